"""Calibration measures, reliability plots, and calibration folded into the shipped heads."""

import numpy as np
import pytest

from rhetorix.cues import Lexicon
from rhetorix.features.featurize import featurize
from rhetorix.training.calibration import (
    expected_calibration_error,
    plot_reliability,
    reliability,
    top_label,
)
from rhetorix.training.corpora import read_own
from rhetorix.training.fit import (
    CachedFeatures,
    TextModel,
    TrainConfig,
    TrainingData,
    fit_calibration,
    to_head,
)


def test_ece_is_small_for_calibrated_and_large_for_overconfident_probabilities():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=20000)
    y = (rng.uniform(size=p.size) < p).astype(int)
    assert expected_calibration_error(y, p) < 0.02
    overconfident = np.where(p > 0.5, 0.99, 0.01)
    assert expected_calibration_error(y, overconfident) > 0.2


def test_reliability_bins():
    bins = reliability([0, 1, 1, 0], [0.05, 0.95, 0.92, 0.15])
    assert bins["count"] == [1, 1, 2]
    assert bins["frequency"] == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        reliability([1], [1.5])


def test_top_label():
    correct, conf = top_label(["a", "b"], np.array([[0.7, 0.3], [0.6, 0.4]]), ["a", "b"])
    assert correct.tolist() == [1, 0] and conf.tolist() == [0.7, 0.6]


def test_plot_is_a_png(tmp_path):
    pytest.importorskip("matplotlib", reason="plots extra not installed")
    path = plot_reliability(tmp_path / "r.png", {"x": reliability([0, 1, 1], [0.2, 0.7, 0.9])}, "t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("task", ["causal", "attribution"])
def test_calibration_folds_into_the_linear_head(task):
    own = read_own()
    data = TrainingData(
        [r["text"] for r in own],
        np.asarray([str(r[task]) for r in own]),
        np.asarray([r["doc"] for r in own]),
        np.asarray(["own"] * len(own)),
    )
    cfg = TrainConfig()
    model = TextModel(CachedFeatures(cfg, Lexicon.default()), 1.0).fit(data, np.ones(len(data)))
    raw = model.predict_proba(data.texts)
    model.calibration = fit_calibration(raw, data.labels)
    calibrated = model.predict_proba(data.texts)
    assert not np.allclose(raw, calibrated)  # the map does something
    _, rows = featurize(data.texts, Lexicon.default(), cfg.n_features, cfg.ngram_range)
    np.testing.assert_allclose(to_head(model).predict_proba(rows), calibrated, atol=1e-9)
