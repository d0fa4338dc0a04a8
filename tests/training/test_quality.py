"""Quality on the shared corpora: rhetorix against its baselines, and the shipped metrics.

These tests train and evaluate on ../shared/corpora (a few minutes on 2 cores)
and skip with a reason when the folder is absent.
"""

import json
from pathlib import Path

import pytest

from rhetorix.training.evaluate import evaluate

pytestmark = pytest.mark.corpora

METRICS = Path(__file__).resolve().parents[2] / "models" / "metrics.json"


@pytest.fixture(scope="module")
def results(corpora_root, tmp_path_factory):
    plots = tmp_path_factory.mktemp("plots")
    res = evaluate(corpora=corpora_root, verbose=False, plots_dir=plots)
    res["plots"] = sorted(p.name for p in plots.glob("*.png"))
    return res


def test_reliability_plots_are_written(results):
    assert results["plots"] == [f"reliability_{t}.png" for t in ("attribution", "causal", "opinion")]


def test_opinion_is_level_with_tfidf_and_well_ahead_of_textblob(results):
    """On 462 dev sentences a macro-F1 difference below about 0.02 is noise; rhetorix and
    TF-IDF + LR have swapped places between runs (0.672 vs 0.668, 0.667 vs 0.672)."""
    op = results["opinion"]
    assert op["n"] == 462
    assert op["rhetorix"]["macro_f1"] >= op["tfidf_lr"]["macro_f1"] - 0.02
    if "macro_f1" not in op["textblob"]:
        pytest.fail("TextBlob baseline was not measured: " + op["textblob"].get("skipped", "?"))
    assert op["rhetorix"]["macro_f1"] > op["textblob"]["macro_f1"] + 0.10


def test_causal_is_level_with_tfidf_in_grouped_cv(results):
    """rhetorix does not beat the TF-IDF baseline on CNC (0.752 vs 0.756, within fold
    noise; docs/experiments.md lists what was tried); this guards against falling behind."""
    ca = results["causal"]
    assert ca["n"] == 3075
    assert ca["rhetorix"]["f1"] >= ca["tfidf_lr"]["f1"] - 0.02


def test_attribution_is_useful_on_polnear_dev(results):
    at = results["attribution"]
    # a floor well above chance: "none" vs attributed is roughly balanced in PolNeAR
    assert at["rhetorix"]["attributed_f1"] > 0.80
    assert at["rhetorix"]["named_vs_vague_accuracy"] > 0.70


def test_probabilities_are_calibrated_on_each_dev_set(results):
    """Expected calibration error <= 0.05 (10 bins) for each model's probabilities."""
    for task in ("opinion", "causal", "attribution"):
        assert results[task]["rhetorix"]["ece"] <= 0.05, task


def test_shipped_metrics_are_reproduced(results):
    """models/metrics.json was written by this same evaluation; it must still hold."""
    if not METRICS.exists():
        pytest.fail("models/metrics.json is missing: run rhetorix evaluate --metrics models/metrics.json")
    shipped = json.loads(METRICS.read_text(encoding="utf-8"))
    pairs = [
        ("opinion", "macro_f1"),
        ("causal", "f1"),
        ("attribution", "attributed_f1"),
        ("attribution", "named_vs_vague_accuracy"),
        ("opinion", "ece"),
        ("causal", "ece"),
        ("attribution", "ece"),
    ]
    for task, metric in pairs:
        for system in ("rhetorix", "tfidf_lr"):
            assert results[task][system][metric] == pytest.approx(
                shipped[task][system][metric], abs=0.01
            ), (task, system, metric)
