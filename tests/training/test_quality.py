"""Quality on the shared corpora: both tiers against the baselines, and the shipped metrics.

``rhetorix evaluate`` (all tasks and systems) takes about an hour on 2 cores:
the fast tier is retrained with the teacher's 95,000 soft labels for every
task and fold.  These tests rerun the part CI can afford in minutes (opinion
and attribution for the baselines and the shipped accurate tier; the three
shipped models, cascade included, on our own labels) and check that it
reproduces models/metrics.json, which the full run wrote; the rest of that
file is checked for completeness and for the claims the README makes of it.
They skip with a reason when the corpora are absent.
"""

import json
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime", reason="the accurate extra is not installed (pip install '.[accurate]')")

from rhetorix.training.evaluate import SYSTEMS, evaluate  # noqa: E402

pytestmark = pytest.mark.corpora

METRICS = Path(__file__).resolve().parents[2] / "models" / "metrics.json"
RERUN_SYSTEMS = ("fast_gold", "tfidf_lr", "textblob", "accurate")


@pytest.fixture(scope="module")
def results(corpora_root, tmp_path_factory):
    plots = tmp_path_factory.mktemp("plots")
    res = evaluate(corpora=corpora_root, verbose=False, plots_dir=plots,
                   tasks=("opinion", "attribution", "ours", "sources"), systems=RERUN_SYSTEMS)
    res["plots"] = sorted(p.name for p in plots.glob("*.png"))
    return res


@pytest.fixture(scope="module")
def shipped():
    if not METRICS.exists():
        pytest.fail("models/metrics.json is missing: run rhetorix evaluate --metrics models/metrics.json")
    return json.loads(METRICS.read_text(encoding="utf-8"))


def test_reliability_plots_are_written(results):
    assert results["plots"] == ["reliability_attribution.png", "reliability_opinion.png"]


def test_shipped_metrics_are_reproduced(results, shipped):
    """What CI reruns gives the numbers of models/metrics.json (retrained systems within 0.01)."""
    checked = 0
    for task, metrics in (("opinion", ("macro_f1", "ece")),
                          ("attribution", ("attributed_f1", "named_vs_vague_accuracy", "ece"))):
        for system in RERUN_SYSTEMS:
            for metric in metrics:
                if metric in results[task].get(system, {}):
                    assert results[task][system][metric] == pytest.approx(
                        shipped[task][system][metric], abs=0.01), (task, system, metric)
                    checked += 1
    for model in ("fast", "accurate", "cascade"):
        for name, got in results["ours"][model].items():
            assert got == shipped["ours"][model][name], (model, name)
    for tier in ("fast", "accurate"):  # the shipped span finders: no retraining, so the same numbers
        assert results["sources"][tier] == shipped["sources"][tier], tier
    assert checked >= 12


def test_metrics_file_covers_every_system_and_task(shipped):
    for task in ("opinion", "causal", "attribution"):
        for system in SYSTEMS:
            if task != "opinion" and system == "textblob":
                continue
            assert "skipped" not in shipped[task][system], (task, system, shipped[task][system])
    assert set(shipped["ours"]) >= {"fast", "accurate", "cascade"}
    assert set(shipped["sources"]) >= {"fast", "accurate"}


def test_the_accurate_tier_is_well_ahead_of_the_baselines(results):
    """A floor, not the targets: the teacher must clearly beat TF-IDF + LR where CI measures it."""
    op, at = results["opinion"], results["attribution"]
    assert op["accurate"]["macro_f1"] > op["tfidf_lr"]["macro_f1"] + 0.05
    assert at["accurate"]["attributed_f1"] > at["tfidf_lr"]["attributed_f1"] + 0.02
    assert at["accurate"]["named_vs_vague_accuracy"] > at["tfidf_lr"]["named_vs_vague_accuracy"] + 0.05


def test_the_fast_tier_learns_from_the_teacher(shipped):
    """In the full run, the fast tier taught by the teacher beats the same model without it."""
    assert shipped["opinion"]["fast"]["macro_f1"] > shipped["opinion"]["fast_gold"]["macro_f1"]
    assert shipped["causal"]["fast"]["f1"] > shipped["causal"]["fast_gold"]["f1"]


def test_probabilities_are_calibrated(results, shipped):
    """Expected calibration error <= 0.05 (10 bins) where the model card claims it.

    Not claimed, and so not tested: the fast tier on opinion and causal (about
    0.09-0.10, over-confident) and the accurate tier on opinion (0.06); the
    README and the model card report those misses.
    """
    assert results["attribution"]["accurate"]["ece"] <= 0.05
    assert shipped["causal"]["accurate"]["ece"] <= 0.05
    assert shipped["attribution"]["fast"]["ece"] <= 0.05
    for task in ("opinion", "causal", "attribution"):
        assert shipped[task]["fast_gold"]["ece"] <= 0.06, task  # the recipe without the teacher
