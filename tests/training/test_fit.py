"""Threshold search and calibration used when training."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score

from rhetorix.bundle import probabilities as _proba
from rhetorix.training.fit import (
    best_threshold,
    decision_from_proba,
    fit_calibration,
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 20)), min_size=2, max_size=40),
    st.sampled_from(["binary", "macro"]),
)
def test_best_threshold_is_the_exact_optimum(pairs, average):
    y = np.asarray([a for a, _ in pairs])
    p = np.asarray([b / 20 for _, b in pairs])
    if y.min() == y.max():
        return
    th, score = best_threshold(y, p, average)
    assert f1_score(y, (p >= th).astype(int), average=average, zero_division=0) == pytest.approx(score)
    cuts = list(np.unique(p)) + [2.0]
    assert score >= max(f1_score(y, (p >= t).astype(int), average=average, zero_division=0) for t in cuts) - 1e-12


def test_best_threshold_is_invariant_to_monotone_recalibration():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=500)
    y = (rng.uniform(size=500) < p).astype(int)
    th, score = best_threshold(y, p)
    p2 = p**3  # monotone
    th2, score2 = best_threshold(y, p2)
    assert score == score2
    assert np.array_equal(p >= th, p2 >= th2)


@pytest.mark.parametrize("k", [2, 3])
def test_temperature_scaling_recovers_a_known_temperature(k):
    rng = np.random.default_rng(1)
    z = rng.normal(scale=2.0, size=(20000, 1 if k == 2 else k))
    true = _proba(z)  # calibrated probabilities
    y = np.asarray([rng.choice(k, p=row) for row in true])
    overconfident = _proba(3.0 * z)
    A, b = fit_calibration(overconfident, y)
    assert A[0, 0] == pytest.approx(1 / 3.0, rel=0.05)
    assert np.all(b == 0)
    fixed = _proba(decision_from_proba(overconfident) @ A.T + b)
    np.testing.assert_allclose(fixed, true, atol=0.03)


def test_a_student_of_the_teacher_keeps_the_scale_of_its_soft_labels():
    """Temperature scaling for gold-only models; none once the teacher's rows are in the data."""
    from rhetorix.cues.lexicon import Lexicon
    from rhetorix.training.fit import CachedFeatures, TextModel, TrainConfig, TrainingData, fit_binary

    rng = np.random.default_rng(0)
    words = ["caused", "led", "because", "after", "said", "rose", "fell", "the", "port", "prices"]
    texts = [" ".join(rng.choice(words, 6)) + f" {i}." for i in range(120)]
    labels = np.asarray([int("caused" in t or "because" in t) for t in texts])
    gold = TrainingData(texts, labels, np.asarray([f"g{i % 10}" for i in range(120)]), np.full(120, "cnc"))
    cfg = TrainConfig(C_grid=(1.0,), folds=3)
    cache = CachedFeatures(cfg, Lexicon.default())
    model, th, _ = fit_binary(lambda c: TextModel(cache, c), gold, cfg, ["cnc"], "binary", False, "t")
    assert model.calibration is not None and 0 < th < 1
    soft = TrainingData.soft(texts[:30], np.column_stack([1 - labels[:30] * 0.8, labels[:30] * 0.8]), [0, 1],
                             np.asarray([f"p{i % 5}" for i in range(30)]))
    student, th, _ = fit_binary(lambda c: TextModel(cache, c), gold + soft, cfg, ["cnc"], "binary", False, "t")
    assert student.calibration is None and 0 < th < 1
