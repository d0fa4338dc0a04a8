"""The teacher's labels: stored by place without text, read back, checked, turned into training rows."""

import numpy as np
import pytest

from rhetorix.training.distill import PoolSentence, TeacherLabels, crc, recalibrate
from rhetorix.training.fit import Distillation

DOC = "The port reopened on Monday. Critics say the blockade caused the shortages. Prices fell."


def _labels(with_folds: bool) -> TeacherLabels:
    spans = [(0, 28), (29, 75), (76, 88)]
    pool = [PoolSentence("news", "a.txt", s, e, DOC[s:e]) for s, e in spans]
    probs = {
        "opinion": np.array([0.1, 0.6, 0.2]),
        "causal": np.array([0.05, 0.9, 0.3]),
        "attribution": np.array([[0.1, 0.1, 0.8], [0.1, 0.7, 0.2], [0.2, 0.2, 0.6]]),
    }
    if with_folds:
        probs["causal_folds"] = np.array([[0.1, 0.8, 0.2], [0.0, 0.7, 0.4]])
    return TeacherLabels.of(pool, probs, "f" * 64)


def test_labels_round_trip_without_text(tmp_path):
    labels = _labels(with_folds=True)
    path = labels.save(tmp_path / "labels.npz")
    with np.load(path, allow_pickle=False) as z:
        assert not any(DOC[29:75] in str(z[k]) for k in z.files)  # offsets, not text
    back = TeacherLabels.load(path)
    assert list(back.corpus) == ["news"] * 3 and list(back.file) == ["a.txt"] * 3
    np.testing.assert_array_equal(back.start, labels.start)
    np.testing.assert_allclose(back.causal, labels.causal, atol=1e-3)  # stored as float16
    np.testing.assert_allclose(back.causal_folds, labels.causal_folds, atol=1e-3)
    assert back.teacher == "f" * 64


def test_texts_are_read_from_the_corpora_and_checked(tmp_path):
    labels = _labels(with_folds=False)
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.txt").write_text(DOC, encoding="utf-8")
    assert labels.texts(tmp_path) == [DOC[0:28], DOC[29:75], DOC[76:88]]
    assert labels.crc[1] == crc(DOC[29:75])
    (tmp_path / "news" / "a.txt").write_text(DOC.replace("blockade", "embargo!"), encoding="utf-8")
    with pytest.raises(ValueError, match="no longer matches its CRC"):
        labels.texts(tmp_path)


def test_recalibrate():
    p = np.array([0.02, 0.3, 0.5, 0.9])
    np.testing.assert_allclose(recalibrate(p, 1.5, 1.5), p, atol=1e-6)
    # logit 0.9 = 2.197; at temperature 2 from 1: sigmoid(1.0986) = 0.75
    assert recalibrate(np.array([0.9]), 1.0, 2.0)[0] == pytest.approx(0.75, abs=1e-4)
    assert recalibrate(np.array([0.5]), 1.0, 3.0)[0] == pytest.approx(0.5)


def test_distillation_rows_per_fold_need_fold_labels():
    texts = [DOC[0:28], DOC[29:75], DOC[76:88]]
    with_folds = Distillation(_labels(with_folds=True), texts)
    rows = with_folds.rows("causal", fold=1)
    assert len(rows.texts) == 6  # each sentence once per class, weighted by the teacher's probability
    # fold 1's teacher, not the final one
    assert sorted(np.round(rows.row_weights()[rows.labels == 1], 3)) == [0.0, 0.4, 0.7]
    without = Distillation(_labels(with_folds=False), texts)
    assert len(without.rows("opinion").texts) == 6
    with pytest.raises(ValueError, match="per-fold"):
        without.rows("causal", fold=1)
