"""Quality on the shared corpora: rhetorix against its baselines, and the shipped metrics.

These tests train and evaluate on ../shared/corpora (a few minutes on 2 cores)
and skip with a reason when the folder is absent.
"""

import json
from pathlib import Path

import pytest

from rhetorix.evaluation import evaluate

pytestmark = pytest.mark.corpora

METRICS = Path(__file__).resolve().parent.parent / "models" / "metrics.json"


@pytest.fixture(scope="module")
def results(corpora_root):
    return evaluate(corpora=corpora_root, verbose=False)


def test_opinion_beats_both_baselines_on_checkthat_dev(results):
    op = results["opinion"]
    assert op["n"] == 462
    assert op["rhetorix"]["macro_f1"] > op["tfidf_lr"]["macro_f1"]
    if "macro_f1" not in op["textblob"]:
        pytest.fail("TextBlob baseline was not measured: " + op["textblob"].get("skipped", "?"))
    assert op["rhetorix"]["macro_f1"] > op["textblob"]["macro_f1"]


def test_causal_is_level_with_tfidf_in_grouped_cv(results):
    """rhetorix 0.1 does not beat the TF-IDF baseline on CNC (0.755 vs 0.756, within
    fold noise); this guards against falling behind it.  Beating it is issue 4's job."""
    ca = results["causal"]
    assert ca["n"] == 3075
    assert ca["rhetorix"]["f1"] >= ca["tfidf_lr"]["f1"] - 0.02


def test_attribution_is_useful_on_polnear_dev(results):
    at = results["attribution"]
    # a floor well above chance: "none" vs attributed is roughly balanced in PolNeAR
    assert at["rhetorix"]["attributed_f1"] > 0.80
    assert at["rhetorix"]["named_vs_vague_accuracy"] > 0.70


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
    ]
    for task, metric in pairs:
        for system in ("rhetorix", "tfidf_lr"):
            assert results[task][system][metric] == pytest.approx(
                shipped[task][system][metric], abs=0.01
            ), (task, system, metric)
