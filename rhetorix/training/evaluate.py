"""``rhetorix evaluate``: both tiers, the cascade and the baselines, measured in one run.

Splits (the same for every system):

* opinion: CheckThat! dev (462 sentences), which no system is trained on;
* causal: grouped 5-fold cross-validation on the Causal News Corpus (our own
  sentences and our news labels are added to every training fold, never to a
  test fold);
* attribution: PolNeAR dev sentences, which no system is trained on.

Systems:

* ``fast``: the fast tier as shipped: cue, style and hashed n-gram features
  with linear heads, trained on the gold labels plus the teacher's soft labels
  on the distillation pool (:mod:`rhetorix.training.distill`); retrained here
  on each training split.  In the CNC folds it learns from the soft labels of
  the teacher that never saw that fold (``causal_folds``).
* ``fast_gold``: the same features and training without the teacher's labels.
* ``tfidf_lr``: TF-IDF word (1-2) and char (2-5) n-grams with logistic
  regression, on the gold data, with the same threshold procedure.
* ``textblob`` (opinion): TextBlob's subjectivity >= 0.5.
* ``accurate``: the shipped accurate bundle on the dev sets; on CNC, the
  teacher's own cross-validation (``models/teacher_cv.npz``: fold ``k`` is
  scored by the model trained without it, with a temperature and threshold
  chosen on the other folds' out-of-fold predictions).
* ``cascade``: ``fast`` as retrained here, with ``accurate`` for the sentences
  ``fast`` is unsure about (:func:`rhetorix.tiers.cascade.combine`).

Every threshold of a retrained system is chosen on its training data only
(out-of-fold), never on an evaluation split.

``ours`` adds end-to-end figures at the shipped thresholds of the shipped
models, on the sentences labelled by our own guide that no model was trained
on: our held-back sentences (``data/sentences.tsv``, groups
:data:`~rhetorix.training.corpora.OWN_HELD_OUT`), the ``test`` split of our
labels on news, and the 200 CNC sentences we relabelled.  There both labels
of the unattributed-causal flag are known, so its precision and recall are
measured directly.

``sources`` measures the span finders of the shipped tiers (the fast tier's
tagger, the accurate tier's tagger graph) on PolNeAR dev: precision, recall and
F1 of Source and Cue spans, exact and overlap match, and the named-vs-vague
accuracy of matched sources (:func:`rhetorix.training.spans.span_scores`).  The
fast and fast-without-teacher attribution heads are measured with their
probabilities made to agree with the shipped tagger's sources
(:func:`rhetorix.tiers.base.agree`), as the fast tier scores.

``techniques`` measures sentence-level persuasion technique detection on the
SemEval-2020 PTC training articles by grouped 5-fold cross-validation by
article (:func:`rhetorix.training.techniques.cross_validate`): ``tfidf_lr``,
``fast`` (the fast tier's features and recipe, gold labels only: its technique
heads learn from no teacher) and ``accurate`` (heads on the shipped encoder's
states, averaged with heads on the fast features; the encoder never saw
technique labels), all 14 techniques, and how
the shipped tiers' causal flag meets the corpus's causal oversimplification.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import numpy as np

from ..errors import extra_required

try:
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
    from sklearn.model_selection import GroupKFold
except ImportError:  # pragma: no cover - depends on the environment
    raise extra_required("train", "evaluation") from None

from ..bundle import bundle_path, load_bundle
from ..cues.lexicon import Lexicon
from ..tiers.base import ATTRIBUTION_LABELS, Model, Predictions, agree, thresholds_of
from ..tiers.cascade import BAND, CascadeModel, unsure
from ..tiers.fast import FastModel
from . import corpora as C
from .calibration import expected_calibration_error, plot_reliability, reliability, top_label
from .fit import (
    CachedFeatures,
    Distillation,
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
from .spans import span_predictions, span_scores
from .teacher_data import read_polnear_spans

__all__ = ["evaluate", "merge_results", "write_outputs", "metrics_table", "write_model_card_metrics",
           "attribution_metrics", "teacher_cv_path", "SYSTEMS", "TASKS"]

#: Every system of the table, in its column order.
SYSTEMS = ("fast", "fast_gold", "tfidf_lr", "textblob", "accurate", "cascade")
_EMPTY = TrainingData([], np.zeros(0, int), np.zeros(0, str), np.zeros(0, str))


def _rounded(value):
    """`value` with every float in it rounded by :func:`_r` (dicts, lists and numbers)."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return _r(value) if isinstance(value, float) else value


def _r(x: float) -> float:
    return round(float(x), 4)


def teacher_cv_path() -> Path:
    """``models/teacher_cv.npz`` of the checkout: the teacher's cross-validation on CNC."""
    return C.own_data_path().parent.parent / "models" / "teacher_cv.npz"


class _Run:
    """What every task of one evaluation shares: data, features, the teacher's labels, the shipped accurate tier."""

    def __init__(self, root: Path, systems: Sequence[str], verbose: bool):
        self.root, self.verbose = root, verbose
        self.cfg = TrainConfig()
        self.cache = CachedFeatures(self.cfg, Lexicon.default())
        self.systems = list(systems)
        self.notes: Dict[str, str] = {}
        self.dist = Distillation.load(root) if "fast" in systems or "cascade" in systems else None
        if self.dist is None and ("fast" in systems or "cascade" in systems):
            self.notes["fast"] = "no teacher labels (models/teacher_labels.npz): fast is fast_gold"
        elif self.dist is not None and not self.dist.has_folds:
            self.notes["fast"] = ("the teacher labels hold no per-fold P(causal): in the CNC folds, fast learns "
                                  "without the teacher")
        self.accurate: Optional[Model] = None
        if "accurate" in systems or "cascade" in systems:
            try:
                from ..tiers.accurate import AccurateModel

                self.accurate = AccurateModel(load_bundle(bundle_path("accurate")))
            except ImportError as exc:
                self.notes["accurate"] = str(exc)

    def cfg_for(self, name: str) -> TrainConfig:
        """The settings of a retrained system (one C for the fast tier with the teacher's labels)."""
        return replace(self.cfg, C_grid=self.cfg.C_distilled) if name == "fast" and self.dist else self.cfg

    def makers(self) -> Dict[str, Callable[[float], TextModel]]:
        """Unfitted retrained systems by name (each takes C)."""
        out = {}
        if "fast" in self.systems or "cascade" in self.systems:
            out["fast"] = lambda c: TextModel(self.cache, c)
        if "fast_gold" in self.systems:
            out["fast_gold"] = lambda c: TextModel(self.cache, c)
        if "tfidf_lr" in self.systems:
            out["tfidf_lr"] = lambda c: TextModel(tfidf_features, c)
        return out

    def soft(self, name: str, task: str, fold: Optional[int] = None) -> TrainingData:
        if name != "fast" or self.dist is None or (fold is not None and not self.dist.has_folds):
            return _EMPTY
        return self.dist.rows(task, fold)

    def accurate_predict(self, texts: List[str]):
        return None if self.accurate is None else self.accurate.predict(texts)


def _binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float, average: str) -> Dict[str, object]:
    pred = (p >= threshold).astype(int)
    out: Dict[str, object] = {
        "f1" if average == "binary" else "macro_f1": _r(f1_score(y, pred, average=average)),
        "accuracy": _r(accuracy_score(y, pred)),
        "threshold": _r(threshold),
        "ece": _r(expected_calibration_error(y, p)),
        "reliability": reliability(y, p),
    }
    if average == "macro":
        out["subj_f1"] = _r(f1_score(y, pred))
    return out


# ------------------------------------------------------------------- opinion
def _eval_opinion(run: _Run) -> Dict[str, object]:
    root = run.root
    train = opinion_data(root, include_dev=False)
    dev = TrainingData.of(C.read_checkthat(root, "dev"))
    y = dev.labels.astype(int)
    out: Dict[str, object] = {
        "data": "CheckThat! 2025 English dev (trained on train + MPQA + own + news-train, without dev)",
        "n": len(dev),
    }
    probs = {}
    for name, make in run.makers().items():
        t0 = time.time()
        model, th, _ = fit_binary(make, train + run.soft(name, "opinion"), run.cfg_for(name),
                                  ["checkthat-train", "own", "news-train"], "macro", False, name)
        p = model.predict_proba(dev.texts)[:, 1]
        probs[name] = (p, th)
        out[name] = _binary_metrics(y, p, th, "macro")
        log(f"  opinion {name}: macro-F1 {out[name]['macro_f1']} ({time.time() - t0:.0f}s)", run.verbose)
    if "textblob" in run.systems:
        try:
            from textblob import TextBlob
        except ImportError:
            out["textblob"] = {"skipped": "textblob is not installed (pip install 'rhetorix[test]')"}
        else:
            pred = np.asarray([int(TextBlob(t).sentiment.subjectivity >= 0.5) for t in dev.texts])
            out["textblob"] = {"macro_f1": _r(f1_score(y, pred, average="macro")), "subj_f1": _r(f1_score(y, pred)),
                               "accuracy": _r(accuracy_score(y, pred)), "threshold": 0.5}
    acc = run.accurate_predict(dev.texts)
    if acc is not None:
        th = run.accurate.thresholds["opinion"]
        if "accurate" in run.systems:
            out["accurate"] = _binary_metrics(y, acc.opinion, th, "macro")
        if "cascade" in run.systems and "fast" in probs:
            p_fast, th_fast = probs["fast"]
            routed = np.abs(p_fast - th_fast) < BAND
            out["cascade"] = _binary_metrics(y, np.where(routed, acc.opinion, p_fast), th, "macro")
            out["cascade"]["routed_share"] = _r(routed.mean())
    return out


# -------------------------------------------------------------------- causal
def _load_teacher_cv(path: Path) -> Optional[Dict[str, np.ndarray]]:
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _eval_causal(run: _Run) -> Dict[str, object]:
    root = run.root
    data = causal_data(root)
    cnc = data.sources == "cnc"
    idx_cnc = np.flatnonzero(cnc)
    out: Dict[str, object] = {
        "data": "Causal News Corpus subtask 1, grouped 5-fold CV by document "
                "(own sentences and news-train labels added to training folds)",
        "n": int(cnc.sum()),
    }
    folds = list(GroupKFold(n_splits=5).split(idx_cnc, data.labels[idx_cnc], data.groups[idx_cnc]))
    y_all = data.labels.astype(int)
    fold_of = np.full(len(data), -1)
    for k, (_, te) in enumerate(folds):
        fold_of[idx_cnc[te]] = k
    probs: Dict[str, np.ndarray] = {}
    ths: Dict[str, np.ndarray] = {}
    for name, make in run.makers().items():
        t0 = time.time()
        prob, th = np.zeros(len(data)), np.zeros(len(folds))
        for k, (_, te) in enumerate(folds):
            test_idx = idx_cnc[te]
            train_mask = np.ones(len(data), dtype=bool)
            train_mask[test_idx] = False
            model, th[k], _ = fit_binary(make, data.subset(train_mask) + run.soft(name, "causal", k),
                                         run.cfg_for(name), ["cnc", "own", "news-train"], "binary", False, name)
            prob[test_idx] = model.predict_proba([data.texts[i] for i in test_idx])[:, 1]
        probs[name], ths[name] = prob, th
        out[name] = _cv_metrics(y_all, prob, th, fold_of, idx_cnc)
        log(f"  causal {name}: F1 {out[name]['f1']} ({time.time() - t0:.0f}s)", run.verbose)
    cv = _load_teacher_cv(teacher_cv_path())
    if cv is not None:
        pos = {t: i for i, t in enumerate(C.cnc_ids(root))}
        prob = np.zeros(len(data))
        th = np.asarray(cv["threshold"], dtype=np.float64)
        for cid, p, k in zip(cv["index"], cv["causal"], cv["fold"]):
            i = idx_cnc[pos[str(cid)]]
            if fold_of[i] != int(k):
                raise ValueError(f"{teacher_cv_path()}: CNC sentence {cid} is in fold {k} there, "
                                 f"{fold_of[i]} here; the folds differ")
            prob[i] = p
        if "accurate" in run.systems:
            out["accurate"] = _cv_metrics(y_all, prob, th, fold_of, idx_cnc)
        if "cascade" in run.systems and "fast" in probs:
            routed = np.abs(probs["fast"] - ths["fast"][np.maximum(fold_of, 0)]) < BAND
            out["cascade"] = _cv_metrics(y_all, np.where(routed, prob, probs["fast"]), th, fold_of, idx_cnc)
            out["cascade"]["routed_share"] = _r(routed[idx_cnc].mean())
    elif "accurate" in run.systems:
        out["accurate"] = {"skipped": f"{teacher_cv_path()} not found"}
    return out


def _cv_metrics(y_all, prob, th_per_fold, fold_of, idx) -> Dict[str, object]:
    pred = np.zeros(len(y_all), dtype=int)
    fold_f1 = []
    for k, t in enumerate(th_per_fold):
        m = fold_of == k
        pred[m] = (prob[m] >= t).astype(int)
        fold_f1.append(f1_score(y_all[m], pred[m]))
    y = y_all[idx]
    return {
        "f1": _r(f1_score(y, pred[idx])),
        "f1_fold_mean": _r(np.mean(fold_f1)),
        "f1_fold_std": _r(np.std(fold_f1)),
        "accuracy": _r(accuracy_score(y, pred[idx])),
        "ece": _r(expected_calibration_error(y, prob[idx])),
        "reliability": reliability(y, prob[idx]),
    }


# --------------------------------------------------------------- attribution
def attribution_metrics(y: np.ndarray, proba: np.ndarray, classes: Sequence[str]) -> Dict[str, float]:
    classes = list(classes)
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


def _with_ece(y: np.ndarray, proba: np.ndarray, classes: Sequence[str]) -> Dict[str, object]:
    out: Dict[str, object] = dict(attribution_metrics(y, proba, classes))
    correct, confidence = top_label(y, proba, list(classes))
    out["ece"] = _r(expected_calibration_error(correct, confidence))
    out["reliability"] = reliability(correct, confidence)
    return out


def _eval_attribution(run: _Run) -> Dict[str, object]:
    root = run.root
    train = attribution_data(root)
    dev = TrainingData.of(C.read_polnear(root, "dev"))
    y = dev.labels.astype(str)
    labs, counts = np.unique(y, return_counts=True)
    out: Dict[str, object] = {
        "data": "PolNeAR dev sentences (trained on PolNeAR train + own + news-train)",
        "n": len(dev),
        "labels": {str(k): int(v) for k, v in zip(labs, counts)},
    }
    # the fast tier's heads agree with its sources (tiers.base.agree); the sources come from the
    # shipped tagger, trained on PolNeAR train only
    shipped = FastModel(load_bundle(bundle_path("fast")))
    f = shipped.predict(dev.texts)
    # the cascade's attribution routes on the shipped fast tier (below), not on a retrained one
    for name, make in ((k, v) for k, v in run.makers().items() if k in run.systems):
        t0 = time.time()
        data = train + run.soft(name, "attribution")
        _, model = fit_attribution(make, data, run.cfg, sample_weight(data, run.cfg), False)
        classes = [str(c) for c in model.clf.classes_]
        proba = model.predict_proba(dev.texts)
        if name in ("fast", "fast_gold") and f.sources is not None:
            order = [classes.index(c) for c in ATTRIBUTION_LABELS]
            proba, classes = agree(proba[:, order], f.sources), list(ATTRIBUTION_LABELS)
        out[name] = _with_ece(y, proba, classes)
        log(f"  attribution {name}: {out[name]['attributed_f1']} / {out[name]['named_vs_vague_accuracy']} "
            f"({time.time() - t0:.0f}s)", run.verbose)
    acc = run.accurate_predict(dev.texts)
    if acc is not None:
        if "accurate" in run.systems:
            out["accurate"] = _with_ece(y, acc.attribution, ATTRIBUTION_LABELS)
        if "cascade" in run.systems:
            # routed on the opinion and causal heads: the shipped cascade (the shipped fast
            # tier never saw PolNeAR dev either)
            routed = unsure(f.opinion, f.causal, shipped.thresholds, BAND)
            out["cascade"] = _with_ece(y, np.where(routed[:, None], acc.attribution, f.attribution),
                                       ATTRIBUTION_LABELS)
            out["cascade"]["routed_share"] = _r(routed.mean())
    return out


# ------------------------------------------------------- ours: end to end
def _shipped_models(run: _Run) -> Dict[str, Model]:
    models: Dict[str, Model] = {"fast": FastModel(load_bundle(bundle_path("fast")))}
    if run.accurate is not None:
        models["accurate"] = run.accurate
        models["cascade"] = CascadeModel(models["fast"], run.accurate)
    return models


def _flags(p: Predictions, th: Mapping[str, float]) -> Dict[str, np.ndarray]:
    """The decisions the scorer makes from a model's predictions at thresholds `th`."""
    unatt = p.causal * (1.0 - p.attribution[:, 0])
    causal = p.causal >= th["causal"]
    return {
        "opinion": p.opinion >= th["opinion"],
        "causal": causal,
        "attribution": np.asarray(ATTRIBUTION_LABELS)[np.argmax(p.attribution, axis=1)],
        "unattributed_causal": causal & (unatt >= th["unattributed_causal"]),
    }


#: Thresholds at which :func:`_sweep` reports each flag (besides the shipped one).
SWEEP = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def _sweep(p: Predictions, th: Mapping[str, float], gold: Mapping[str, np.ndarray]) -> Dict[str, List[Dict]]:
    """Precision and recall of each flag at the :data:`SWEEP` thresholds and the shipped one, the
    other flags' thresholds kept as shipped (the unattributed flag also needs the causal one)."""
    out: Dict[str, List[Dict]] = {}
    for flag in ("opinion", "causal", "unattributed_causal"):
        rows = []
        for t in sorted(set(SWEEP) | {th[flag]}):
            pred = _flags(p, {**th, flag: t})[flag]
            rows.append({"threshold": _r(t), "shipped": t == th[flag], **_prf(gold[flag], pred)})
        out[flag] = rows
    return out


def _prf(y: np.ndarray, pred: np.ndarray) -> Dict[str, float]:
    return {"precision": _r(precision_score(y, pred, zero_division=0)),
            "recall": _r(recall_score(y, pred, zero_division=0)),
            "f1": _r(f1_score(y, pred, zero_division=0)), "positives": int(y.sum()), "flagged": int(pred.sum())}


def _eval_ours(run: _Run) -> Dict[str, object]:
    """The shipped models at their shipped thresholds on the sentences labelled by our guide."""
    root = run.root
    own = [r for r in C.read_own() if r["doc"] in C.OWN_HELD_OUT]
    news = C.read_news_labels(root, "test")
    sets = {
        "own_held_out": own,
        "news_test": [r for r in news if r["corpus"] != "causal-news-corpus"],
        "cnc_relabelled": [r for r in news if r["corpus"] == "causal-news-corpus"],
    }
    out: Dict[str, object] = {
        "data": "sentences labelled by data/annotation_guide.md that no model was trained on: our held-back "
                "sentences, the test split of our labels on BBC/PTC/PolNeAR news, 200 CNC sentences relabelled",
        "n": {k: len(v) for k, v in sets.items()},
    }
    for name, model in _shipped_models(run).items():
        res = {}
        for set_name, rows in sets.items():
            texts = [" ".join(str(r["text"]).split()) for r in rows]
            p = model.predict(texts)
            f = _flags(p, thresholds_of(model))
            y_op = np.asarray([int(r["opinion"]) for r in rows])
            y_ca = np.asarray([int(r["causal"]) for r in rows])
            y_att = np.asarray([str(r["attribution"]) for r in rows])
            y_un = ((y_ca == 1) & (y_att != "named")).astype(int)
            res[set_name] = {
                "opinion_macro_f1": _r(f1_score(y_op, f["opinion"], average="macro")),
                "opinion": _prf(y_op, f["opinion"]),
                "causal": _prf(y_ca, f["causal"]),
                "attribution_accuracy": _r(accuracy_score(y_att, f["attribution"])),
                "unattributed_causal": _prf(y_un, f["unattributed_causal"]),
                "by_threshold": _sweep(p, thresholds_of(model),
                                       {"opinion": y_op, "causal": y_ca, "unattributed_causal": y_un}),
            }
        out[name] = res
        log(f"  ours {name}: " + ", ".join(f"{k} causal P {v['causal']['precision']} unattributed F1 "
                                            f"{v['unattributed_causal']['f1']}" for k, v in res.items()), run.verbose)
    return out


# ------------------------------------------------------------ source spans
def _eval_sources(run: _Run) -> Dict[str, object]:
    """Source and cue spans of the shipped tiers on PolNeAR dev (:func:`rhetorix.training.spans.span_scores`)."""
    dev = read_polnear_spans(run.root, "dev")
    texts = [e.text for e in dev]
    out: Dict[str, object] = {
        "data": "PolNeAR dev: Source and Cue spans of the first annotator per article (the fast tier's "
                "tagger is trained on PolNeAR train, our span sentences and the accurate tier's spans on "
                "pool sentences; the accurate tier's tagger graph on PolNeAR train and our span sentences)",
        "n": len(dev),
    }
    for name, model in _shipped_models(run).items():  # the shipped span finders, whatever `systems` says
        if name == "cascade":
            continue
        t0 = time.time()
        found = model.spans(texts)
        res = span_scores(span_predictions(found, texts), [e.spans for e in dev], texts)
        out[name] = _rounded(res)
        log(f"  sources {name}: source F1 exact {res['source']['exact']['f1']:.3f} overlap "
            f"{res['source']['overlap']['f1']:.3f}, cue F1 overlap {res['cue']['overlap']['f1']:.3f}, named vs "
            f"vague {res['source_kind_accuracy']:.3f} ({time.time() - t0:.0f}s)", run.verbose)
    return out


# ------------------------------------------------------- persuasion techniques
def _eval_techniques(run: _Run) -> Dict[str, object]:
    """Sentence-level persuasion techniques, grouped 5-fold CV by article on SemEval PTC
    (:func:`rhetorix.training.techniques.cross_validate`), and how the causal flag meets causal oversimplification."""
    from . import techniques as T

    data = T.read_ptc(run.root)
    out: Dict[str, object] = {
        "data": "SemEval-2020 Task 11 PTC training articles, sentence level, grouped 5-fold CV by article; "
                "thresholds from an inner grouped 3-fold CV of each training part",
        "n": len(data.texts), "articles": len(set(data.groups.tolist())), "shipped": list(T.SHIPPED),
        "support": {n: int(data.labels[:, j].sum()) for j, n in enumerate(T.TECHNIQUES)},
    }
    if "tfidf_lr" in run.systems:
        def tfidf(tr, te):
            f = tfidf_features()
            train, test = [data.texts[i] for i in tr], [data.texts[i] for i in te]
            return [(f.fit_transform(train), f.transform(test), False, 1.0)]

        out["tfidf_lr"] = _rounded(T.cross_validate(data, tfidf, verbose=run.verbose, label="tfidf_lr"))
    tiers = {}
    if "fast" in run.systems or "fast_gold" in run.systems:
        tiers["fast"] = lambda: T.fast_features(data, bundle_path("fast"))
    if run.accurate is not None:
        tiers["accurate"] = lambda: T.accurate_features(data, bundle_path("accurate"))
    for name, features in tiers.items():
        out[name] = _rounded(T.cross_validate(data, T.feature_blocks(features()), verbose=run.verbose, label=name))
    for name, model in _shipped_models(run).items():
        if name in tiers:
            out.setdefault(name, {})["causal_vs_oversimplification"] = _rounded(
                T.causal_overlap(data, model.predict(data.texts).causal, thresholds_of(model)["causal"]))
    for name in ("tfidf_lr", *tiers):
        if name in out:
            log(f"  techniques {name}: micro-F1 {out[name]['micro_f1']:.3f}, macro-F1 {out[name]['macro_f1']:.3f}",
                run.verbose)
    return out


# ------------------------------------------------------------------- driver
_RUNNERS = {"opinion": _eval_opinion, "causal": _eval_causal, "attribution": _eval_attribution, "ours": _eval_ours,
            "sources": _eval_sources, "techniques": _eval_techniques}
TASKS = tuple(_RUNNERS)


def evaluate(
    corpora=None,
    metrics_path: Optional[Path] = None,
    card_path: Optional[Path] = None,
    tasks: Sequence[str] = TASKS,
    verbose: bool = True,
    plots_dir: Optional[Path] = None,
    systems: Sequence[str] = SYSTEMS,
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
        Which evaluations to run: ``opinion``, ``causal``, ``attribution``, ``ours``, ``sources``,
        ``techniques``.
    plots_dir : path, optional
        Folder for reliability diagrams (``reliability_<task>.png``; needs matplotlib).
    systems : sequence of str
        Which systems to measure (see the module docstring).
    """
    import sklearn

    from .._version import __version__

    unknown = set(tasks) - set(_RUNNERS) | set(systems) - set(SYSTEMS)
    if unknown:
        raise ValueError(f"unknown task or system {sorted(unknown)}; tasks: {list(_RUNNERS)}, systems: {SYSTEMS}")
    root = C.find_corpora(corpora)
    if root is None:
        raise FileNotFoundError("corpora folder not found: pass --corpora PATH or set RHETORIX_CORPORA")
    run = _Run(root, systems, verbose)
    results: Dict[str, object] = {
        "rhetorix_version": __version__,
        "sklearn_version": sklearn.__version__,
        "command": "rhetorix evaluate",
        "notes": run.notes,
    }
    for task in tasks:
        log(f"evaluating {task}", verbose)
        t0 = time.time()
        results[task] = _RUNNERS[task](run)
        results[task]["seconds"] = round(time.time() - t0)
    write_outputs(results, metrics_path, card_path, plots_dir, verbose)
    return results


def merge_results(*parts: Dict[str, object]) -> Dict[str, object]:
    """One result from evaluations of different tasks or systems (later parts win on a clash).

    ``rhetorix evaluate`` runs for about an hour on 2 cores; its tasks and
    systems can run in separate processes and be merged here.
    """
    out: Dict[str, object] = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = {**out[key], **value}  # type: ignore[dict-item]
            else:
                out[key] = value
    return out


def write_outputs(results: Dict[str, object], metrics_path: Optional[Path] = None, card_path: Optional[Path] = None,
                  plots_dir: Optional[Path] = None, verbose: bool = True) -> None:
    """Write what :func:`evaluate` measured: metrics JSON, the model card's tables, reliability diagrams."""
    if plots_dir:
        for task in (t for t in _PLOT_DATA if t in results):
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


_PLOT_DATA = {"opinion": "CheckThat! dev", "causal": "CNC (5-fold CV)", "attribution": "PolNeAR dev"}
_COLUMNS = (("fast", "fast"), ("fast_gold", "fast, no teacher"), ("tfidf_lr", "TF-IDF + LR"),
            ("textblob", "TextBlob"), ("accurate", "accurate"), ("cascade", "cascade"))


def metrics_table(results: Dict[str, object]) -> str:
    """Markdown tables of the headline numbers: the benchmarks, then our own labels end to end."""
    rows = ["| task (data) | metric | " + " | ".join(label for _, label in _COLUMNS) + " |",
            "|---|---|" + "---|" * len(_COLUMNS)]

    def cell(task, system, metric):
        v = results.get(task, {}).get(system, {})
        return f"{v[metric]:.3f}" if isinstance(v, dict) and metric in v else "n/a"

    spec = [
        ("opinion", "CheckThat! dev", "macro_f1", "macro-F1"),
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
            rows.append(f"| {task} ({data}) | {label} | "
                        + " | ".join(cell(task, s, metric) for s, _ in _COLUMNS) + " |")
    ours = results.get("ours")
    if isinstance(ours, dict):
        models = [m for m in ("fast", "accurate", "cascade") if m in ours]
        rows += ["", "Shipped models at their shipped thresholds, on sentences labelled by our guide "
                 "that no model was trained on:", "",
                 "| data | metric | " + " | ".join(models) + " |", "|---|---|" + "---|" * len(models)]
        names = {"own_held_out": "our held-back sentences", "news_test": "our labels on news (test)",
                 "cnc_relabelled": "CNC, relabelled by us"}
        for set_name, label in names.items():
            n = ours["n"][set_name]
            for metric, what in (("opinion", "opinion flag precision / recall"),
                                 ("causal", "causal flag precision / recall"),
                                 ("unattributed_causal", "unattributed causal precision / recall")):
                if metric not in ours[models[0]][set_name]:
                    continue  # results written before the opinion flag was measured
                vals = [f"{ours[m][set_name][metric]['precision']:.2f} / {ours[m][set_name][metric]['recall']:.2f}"
                        for m in models]
                rows.append(f"| {label} ({n}) | {what} | " + " | ".join(vals) + " |")
            rows.append(f"| {label} ({n}) | opinion macro-F1 | "
                        + " | ".join(f"{ours[m][set_name]['opinion_macro_f1']:.3f}" for m in models) + " |")
        rows += _sweep_table(ours, "news_test", [m for m in ("fast", "accurate") if m in ours])
    src = results.get("sources")
    if isinstance(src, dict):
        models = [m for m in ("fast", "accurate") if m in src]
        rows += ["", f"Source and cue spans on PolNeAR dev ({src['n']:,} sentences), F1 (precision / recall):", "",
                 "| span | match | " + " | ".join(models) + " |", "|---|---|" + "---|" * len(models)]
        for kind in ("source", "cue"):
            for match in ("overlap", "exact"):
                vals = [src[m][kind][match] for m in models]
                rows.append(f"| {kind} | {match} | " + " | ".join(
                    f"{v['f1']:.3f} ({v['precision']:.2f} / {v['recall']:.2f})" for v in vals) + " |")
        rows.append("| matched sources | named vs vague accuracy | "
                    + " | ".join(f"{src[m]['source_kind_accuracy']:.3f}" for m in models) + " |")
    rows += _technique_table(results.get("techniques"))
    return "\n".join(rows)


def _technique_table(tech: Optional[Dict[str, object]]) -> List[str]:
    """Rows of the persuasion technique table: F1 (precision / recall) per technique, micro and macro F1."""
    if not isinstance(tech, dict):
        return []
    models = [m for m in ("tfidf_lr", "fast", "accurate") if m in tech and "per_technique" in tech[m]]
    if not models:
        return []
    label = {"tfidf_lr": "TF-IDF + LR", "fast": "fast", "accurate": "accurate"}
    rows = ["", f"Persuasion techniques, sentence level, SemEval-2020 PTC training articles ({tech['n']:,} "
            f"sentences, {tech['articles']} articles), grouped 5-fold CV by article, nested thresholds; "
            "F1 (precision / recall); **bold**: scored by the shipped bundles:", "",
            "| technique | sentences | " + " | ".join(label[m] for m in models) + " |",
            "|---|---|" + "---|" * len(models)]
    for name, n in tech["support"].items():
        shown = f"**{name}**" if name in tech.get("shipped", ()) else name
        cells = ["{f1:.3f} ({precision:.2f} / {recall:.2f})".format(**tech[m]["per_technique"][name]) for m in models]
        rows.append(f"| {shown} | {n} | " + " | ".join(cells) + " |")
    for avg in ("micro_f1", "macro_f1"):
        rows.append(f"| {avg.replace('_f1', '')}-F1 | | " + " | ".join(f"{tech[m][avg]:.3f}" for m in models) + " |")
    return rows


def _sweep_table(ours: Dict[str, object], set_name: str, models: Sequence[str]) -> List[str]:
    """Rows of the precision / recall by threshold table of one labelled set (empty without sweeps)."""
    if not models or "by_threshold" not in ours[models[0]][set_name]:
        return []
    rows = ["", f"Precision / recall (sentences flagged) of each flag by threshold, on our labels on news "
            f"(test split, {ours['n'][set_name]} sentences); the other flags at their shipped thresholds:", "",
            "| flag | threshold | " + " | ".join(models) + " |", "|---|---|" + "---|" * len(models)]

    def cell(r):
        return f"{r['precision']:.2f} / {r['recall']:.2f} ({r['flagged']})"

    for flag in ("opinion", "causal", "unattributed_causal"):
        sweeps = {m: ours[m][set_name]["by_threshold"][flag] for m in models}
        for t in SWEEP:
            rows.append(f"| {flag} | {t} | " + " | ".join(
                next((cell(r) for r in sweeps[m] if r["threshold"] == t), "n/a") for m in models) + " |")
        rows.append(f"| {flag} | **shipped** | " + " | ".join(
            next(f"**{r['threshold']:.3f}**: {cell(r)}" for r in sweeps[m] if r["shipped"]) for m in models) + " |")
    return rows


def write_model_card_metrics(card: Path, results: Dict[str, object]) -> None:
    """Replace the metrics block of the model card with fresh tables."""
    text = card.read_text(encoding="utf-8") if card.exists() else ""
    block = f"<!-- metrics:start -->\n{metrics_table(results)}\n<!-- metrics:end -->"
    pattern = re.compile(r"<!-- metrics:start -->.*?<!-- metrics:end -->", re.S)
    text = pattern.sub(lambda m: block, text) if pattern.search(text) else text + "\n" + block + "\n"
    card.write_text(text, encoding="utf-8")
