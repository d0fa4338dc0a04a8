"""``rhetorix evaluate``: measure our models and two baselines in one run.

* opinion: trained without CheckThat! dev (train, MPQA, our sentences), scored
  on CheckThat! dev (macro-F1 over SUBJ/OBJ);
* causal: grouped 5-fold cross-validation on the Causal News Corpus (our
  sentences added to every training fold, never to a test fold);
* attribution: trained on PolNeAR train (+ our sentences), scored on PolNeAR dev.

Baselines, trained on exactly the same data and given thresholds by the same
out-of-fold procedure: TF-IDF word (1-2) + char (2-5) n-grams with logistic
regression; and for opinion, TextBlob's subjectivity >= 0.5 (needs the
``test`` extra).  Every threshold is chosen on training data only.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from ..errors import extra_required

try:
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import GroupKFold
except ImportError:  # pragma: no cover - depends on the environment
    raise extra_required("train", "evaluation") from None

from ..cues.lexicon import Lexicon
from . import corpora as C
from .calibration import expected_calibration_error, plot_reliability, reliability, top_label
from .fit import (
    CachedFeatures,
    TextModel,
    TrainConfig,
    TrainingData,
    attribution_data,
    causal_data,
    fit_attribution,
    fit_binary,
    log,
    opinion_data,
    sample_weight,
    tfidf_features,
)

__all__ = ["evaluate", "write_model_card_metrics"]


def _r(x: float) -> float:
    return round(float(x), 4)


def _systems(cfg: TrainConfig, cache: CachedFeatures):
    """Unfitted-model factories taking C; both systems get the same C and threshold search."""
    return {
        "rhetorix": lambda c: TextModel(cache, c),
        "tfidf_lr": lambda c: TextModel(tfidf_features, c),
    }


# ------------------------------------------------------------------- opinion
def _opinion_metrics(y: np.ndarray, pred: np.ndarray, threshold: float) -> Dict[str, float]:
    return {
        "macro_f1": _r(f1_score(y, pred, average="macro")),
        "subj_f1": _r(f1_score(y, pred)),
        "accuracy": _r(accuracy_score(y, pred)),
        "threshold": threshold,
    }


def _eval_opinion(root: Path, cfg: TrainConfig, cache, verbose: bool) -> Dict[str, object]:
    train = opinion_data(root, include_dev=False)
    dev = TrainingData.of(C.read_checkthat(root, "dev"))
    y = dev.labels.astype(int)
    out: Dict[str, object] = {
        "data": "CheckThat! 2025 English dev (trained on train + MPQA + own, without dev)",
        "n": len(dev),
    }
    for name, make in _systems(cfg, cache).items():
        t0 = time.time()
        model, th, _ = fit_binary(make, train, cfg, ["checkthat-train", "own"], "macro", False, name)
        p = model.predict_proba(dev.texts)[:, 1]
        out[name] = _opinion_metrics(y, (p >= th).astype(int), th)
        out[name]["ece"] = _r(expected_calibration_error(y, p))
        out[name]["reliability"] = reliability(y, p)
        log(f"  opinion {name}: {out[name]} ({time.time() - t0:.0f}s)", verbose)
    try:
        from textblob import TextBlob
    except ImportError:
        out["textblob"] = {"skipped": "textblob is not installed (pip install 'rhetorix[test]')"}
    else:
        pred = np.asarray([int(TextBlob(t).sentiment.subjectivity >= 0.5) for t in dev.texts])
        out["textblob"] = _opinion_metrics(y, pred, 0.5)
        log(f"  opinion textblob: {out['textblob']}", verbose)
    return out


# -------------------------------------------------------------------- causal
def _eval_causal(root: Path, cfg: TrainConfig, cache, verbose: bool) -> Dict[str, object]:
    data = causal_data(root)
    cnc = data.sources == "cnc"
    idx_cnc = np.flatnonzero(cnc)
    out: Dict[str, object] = {
        "data": "Causal News Corpus subtask 1, grouped 5-fold CV by document (own sentences added to training folds)",
        "n": int(cnc.sum()),
    }
    folds = list(GroupKFold(n_splits=5).split(idx_cnc, data.labels[idx_cnc], data.groups[idx_cnc]))
    for name, make in _systems(cfg, cache).items():
        t0 = time.time()
        pred = np.zeros(len(data), dtype=int)
        prob = np.zeros(len(data))
        fold_f1 = []
        for _, te in folds:
            test_idx = idx_cnc[te]
            train_mask = np.ones(len(data), dtype=bool)
            train_mask[test_idx] = False
            model, th, _ = fit_binary(make, data.subset(train_mask), cfg, ["cnc", "own"], "binary", False, name)
            prob[test_idx] = model.predict_proba([data.texts[i] for i in test_idx])[:, 1]
            pred[test_idx] = (prob[test_idx] >= th).astype(int)
            fold_f1.append(f1_score(data.labels[test_idx].astype(int), pred[test_idx]))
        y = data.labels[idx_cnc].astype(int)
        out[name] = {
            "f1": _r(f1_score(y, pred[idx_cnc])),
            "f1_fold_mean": _r(np.mean(fold_f1)),
            "f1_fold_std": _r(np.std(fold_f1)),
            "accuracy": _r(accuracy_score(y, pred[idx_cnc])),
            "ece": _r(expected_calibration_error(y, prob[idx_cnc])),
            "reliability": reliability(y, prob[idx_cnc]),
        }
        log(f"  causal {name}: {out[name]} ({time.time() - t0:.0f}s)", verbose)
    return out


# --------------------------------------------------------------- attribution
def _attribution_metrics(y: np.ndarray, proba: np.ndarray, classes: List[str]) -> Dict[str, float]:
    pred = np.asarray(classes)[np.argmax(proba, axis=1)]
    gold_att = y != "none"
    pred_att = pred != "none"
    nv = [classes.index("named"), classes.index("vague")]
    among = gold_att & np.isin(y, ["named", "vague"])
    nv_pred = np.asarray(["named", "vague"])[np.argmax(proba[among][:, nv], axis=1)]
    return {
        "accuracy": _r(accuracy_score(y, pred)),
        "macro_f1": _r(f1_score(y, pred, average="macro")),
        "attributed_f1": _r(f1_score(gold_att, pred_att)),
        "named_vs_vague_accuracy": _r(accuracy_score(y[among], nv_pred)),
    }


def _eval_attribution(root: Path, cfg: TrainConfig, cache, verbose: bool) -> Dict[str, object]:
    train = attribution_data(root)
    dev = TrainingData.of(C.read_polnear(root, "dev"))
    labs, counts = np.unique(dev.labels, return_counts=True)
    out: Dict[str, object] = {
        "data": "PolNeAR dev sentences (trained on PolNeAR train + own)",
        "n": len(dev),
        "labels": {str(k): int(v) for k, v in zip(labs, counts)},
    }
    w = sample_weight(train, cfg)
    for name, make in _systems(cfg, cache).items():
        t0 = time.time()
        _, model = fit_attribution(make, train, cfg, w, False)
        classes = [str(c) for c in model.clf.classes_]
        proba = model.predict_proba(dev.texts)
        out[name] = _attribution_metrics(dev.labels.astype(str), proba, classes)
        correct, confidence = top_label(dev.labels.astype(str), proba, classes)
        out[name]["ece"] = _r(expected_calibration_error(correct, confidence))
        out[name]["reliability"] = reliability(correct, confidence)
        log(f"  attribution {name}: {out[name]} ({time.time() - t0:.0f}s)", verbose)
    return out


# ------------------------------------------------------------------- driver
def evaluate(
    corpora=None,
    metrics_path: Optional[Path] = None,
    card_path: Optional[Path] = None,
    tasks=("opinion", "causal", "attribution"),
    verbose: bool = True,
    plots_dir: Optional[Path] = None,
) -> Dict[str, object]:
    """Run the evaluation; optionally write metrics JSON and the model card table.

    Parameters
    ----------
    corpora : path-like, optional
        Corpora folder (see :func:`rhetorix.training.corpora.find_corpora`).
    metrics_path : path, optional
        Where to write the metrics as JSON.
    card_path : path, optional
        Model card whose metrics table (between ``<!-- metrics:start -->`` and
        ``<!-- metrics:end -->``) is replaced.
    tasks : sequence of str
        Which evaluations to run.
    plots_dir : path, optional
        Folder for reliability diagrams (``reliability_<task>.png``; needs matplotlib).
    """
    import sklearn

    from .._version import __version__

    root = C.find_corpora(corpora)
    if root is None:
        raise FileNotFoundError("corpora folder not found: pass --corpora PATH or set RHETORIX_CORPORA")
    cfg = TrainConfig()
    cache = CachedFeatures(cfg, Lexicon.default())
    results: Dict[str, object] = {
        "rhetorix_version": __version__,
        "sklearn_version": sklearn.__version__,
        "command": "rhetorix evaluate",
    }
    runners = {"opinion": _eval_opinion, "causal": _eval_causal, "attribution": _eval_attribution}
    for task in tasks:
        if task not in runners:
            raise ValueError(f"unknown task {task!r}; expected one of {list(runners)}")
        log(f"evaluating {task}", verbose)
        results[task] = runners[task](root, cfg, cache, verbose)
    if plots_dir:
        for task in tasks:
            curves = {sys_: m["reliability"] for sys_, m in results[task].items()
                      if isinstance(m, dict) and "reliability" in m}
            what = "top-label confidence" if task == "attribution" else f"P({task})"
            path = plot_reliability(Path(plots_dir) / f"reliability_{task}.png", curves,
                                    f"{task}: {what} on {_PLOT_DATA[task]}")
            log(f"  wrote {path}", verbose)
    if metrics_path:
        Path(metrics_path).write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if card_path:
        write_model_card_metrics(Path(card_path), results)
    return results


_PLOT_DATA = {"opinion": "CheckThat! dev", "causal": "CNC (5-fold CV)", "attribution": "PolNeAR dev"}


def metrics_table(results: Dict[str, object]) -> str:
    """Markdown table of the headline numbers."""
    rows = ["| task (data) | metric | rhetorix | TF-IDF + LR | TextBlob |", "|---|---|---|---|---|"]

    def cell(task, system, metric):
        v = results.get(task, {}).get(system, {})
        return f"{v[metric]:.3f}" if isinstance(v, dict) and metric in v else "n/a"

    spec = [
        ("opinion", "CheckThat! dev", "macro_f1", "macro-F1"),
        ("opinion", "CheckThat! dev", "accuracy", "accuracy"),
        ("causal", "CNC grouped 5-fold CV", "f1", "F1 (causal)"),
        ("attribution", "PolNeAR dev", "attributed_f1", "F1 attributed vs not"),
        ("attribution", "PolNeAR dev", "named_vs_vague_accuracy", "named vs vague accuracy"),
        ("attribution", "PolNeAR dev", "macro_f1", "macro-F1 (3 classes)"),
        ("opinion", "CheckThat! dev", "ece", "ECE (lower is better)"),
        ("causal", "CNC grouped 5-fold CV", "ece", "ECE (lower is better)"),
        ("attribution", "PolNeAR dev", "ece", "top-label ECE (lower is better)"),
    ]
    for task, data, metric, label in spec:
        if task in results:
            rows.append(
                f"| {task} ({data}) | {label} | {cell(task, 'rhetorix', metric)} | "
                f"{cell(task, 'tfidf_lr', metric)} | {cell(task, 'textblob', metric)} |"
            )
    return "\n".join(rows)


def write_model_card_metrics(card: Path, results: Dict[str, object]) -> None:
    """Replace the metrics block of the model card with a fresh table."""
    text = card.read_text(encoding="utf-8") if card.exists() else ""
    block = f"<!-- metrics:start -->\n{metrics_table(results)}\n<!-- metrics:end -->"
    pattern = re.compile(r"<!-- metrics:start -->.*?<!-- metrics:end -->", re.S)
    text = pattern.sub(lambda m: block, text) if pattern.search(text) else text + "\n" + block + "\n"
    card.write_text(text, encoding="utf-8")
