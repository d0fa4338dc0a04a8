"""Train the three models and evaluate them against baselines.

``rhetorix train`` calls :func:`train_bundle`; ``rhetorix evaluate`` calls
:func:`evaluate`.  Both are deterministic (fixed seeds, sorted inputs).

Training data, with fixed per-source sample weights (chosen before looking at
any evaluation split, see the model card):

* opinion: CheckThat! train (+ dev for the shipped model), MPQA 1.2, our sentences;
* causal: Causal News Corpus, our sentences;
* attribution: PolNeAR train (labels by :func:`rhetorix.training.corpora.polnear_source_type`),
  our sentences.

Decision thresholds are chosen on out-of-fold predictions of the training data
(grouped 5-fold), never on an evaluation split.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import extra_required

try:
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
except ImportError:  # pragma: no cover - depends on the environment
    raise extra_required("train", "training") from None

from ..bundle import LinearHead, probabilities, save_bundle
from ..cues.lexicon import Lexicon
from ..features.transformers import SentenceFeaturizer
from . import corpora as C
from .spans import tagger_manifest, train_tagger
from .thresholds import best_threshold

__all__ = [
    "TrainConfig", "TrainingData", "TextModel", "CachedFeatures", "train_bundle", "best_threshold",
    "fit_binary", "fit_attribution", "fit_calibration", "decision_from_proba", "to_head", "sample_weight",
    "tfidf_features", "oof_proba", "opinion_data", "causal_data", "attribution_data", "log",
]

SEED = 0


@dataclass
class TrainConfig:
    """Settings of the shipped models (also used for every evaluation run).

    Attributes
    ----------
    n_features : int
        Hash buckets for word n-grams.
    ngram_range : tuple
        Word n-gram sizes.
    C_grid : tuple of float
        Inverse regularisation strengths tried for the binary models (chosen by
        out-of-fold F1 on the training data).
    C_distilled : tuple of float
        The same for models that learn from the teacher's labels too: with
        about 100,000 more sentences every fit takes minutes, so one value.
    C_attribution : float
        Inverse regularisation strength of the attribution model.
    weights : dict
        Sample weight per corpus source.
    folds : int
        Folds for out-of-fold threshold selection.
    """

    n_features: int = 2**17
    ngram_range: Tuple[int, int] = (1, 2)
    C_grid: Tuple[float, ...] = (0.5, 2.0, 8.0)
    C_distilled: Tuple[float, ...] = (2.0,)
    C_attribution: float = 2.0
    weights: Dict[str, float] = field(
        default_factory=lambda: {
            "checkthat-train": 3.0,
            "checkthat-dev": 3.0,
            "mpqa": 0.5,
            "cnc": 1.0,
            "polnear-train": 1.0,
            "own": 3.0,
            "news-train": 3.0,
            "teacher": 1.0,
        }
    )
    folds: int = 5
    distill: bool = True
    distill_limit: Optional[int] = None


@dataclass
class TrainingData:
    """Texts, labels, groups, sources and per-row weights for one model.

    Soft labels are rows too: a sentence the teacher gives P(causal) = 0.8 is
    one row labelled 1 with weight 0.8 and one labelled 0 with weight 0.2, so a
    weighted log loss over the rows is the cross-entropy against the teacher.
    """

    texts: List[str]
    labels: np.ndarray
    groups: np.ndarray
    sources: np.ndarray
    weights: Optional[np.ndarray] = None

    @classmethod
    def of(cls, records: Sequence[C.Record]) -> TrainingData:
        return cls(
            [r.text for r in records],
            np.asarray([r.label for r in records]),
            np.asarray([r.group for r in records]),
            np.asarray([r.source for r in records]),
        )

    @classmethod
    def soft(cls, texts: Sequence[str], probs: np.ndarray, classes: Sequence, groups: Sequence[str],
             source: str = "teacher") -> TrainingData:
        """Rows for soft labels: each text once per class, weighted by ``probs[i, class]``."""
        probs = np.asarray(probs, dtype=np.float64).reshape(len(texts), len(classes))
        k = len(classes)
        return cls(
            [t for t in texts for _ in range(k)],
            np.tile(np.asarray(classes), len(texts)),
            np.repeat(np.asarray(groups), k),
            np.full(len(texts) * k, source),
            probs.reshape(-1),
        )

    def __add__(self, other: TrainingData) -> TrainingData:
        return TrainingData(
            list(self.texts) + list(other.texts),
            np.concatenate([self.labels, other.labels]),
            np.concatenate([self.groups, other.groups]),
            np.concatenate([self.sources, other.sources]),
            np.concatenate([self.row_weights(), other.row_weights()]),
        )

    def row_weights(self) -> np.ndarray:
        return np.ones(len(self)) if self.weights is None else self.weights

    def subset(self, mask: np.ndarray) -> TrainingData:
        idx = np.flatnonzero(mask)
        return TrainingData([self.texts[i] for i in idx], self.labels[idx], self.groups[idx], self.sources[idx],
                            None if self.weights is None else self.weights[idx])

    def __len__(self) -> int:
        return len(self.texts)


def log(msg: str, verbose: bool) -> None:
    """Print `msg` (flushed) when `verbose`."""
    if verbose:
        print(msg, flush=True)


# ------------------------------------------------------------------ datasets
def opinion_data(root: Path, include_dev: bool) -> TrainingData:
    recs = (C.read_checkthat(root, "train") + C.read_mpqa(root) + C.own_records("opinion")
            + C.news_records(root, "opinion"))
    if include_dev:
        recs += C.read_checkthat(root, "dev")
    return TrainingData.of(recs)


def causal_data(root: Path) -> TrainingData:
    return TrainingData.of(C.read_cnc(root) + C.own_records("causal") + C.news_records(root, "causal"))


def attribution_data(root: Path) -> TrainingData:
    return TrainingData.of(C.read_polnear(root, "train") + C.own_records("attribution")
                           + C.news_records(root, "attribution"))


class Distillation:
    """The teacher's soft labels (:class:`~rhetorix.training.distill.TeacherLabels`) as training rows.

    Parameters
    ----------
    labels : TeacherLabels
    texts : list of str
        The pool sentences, in the order of `labels`.
    limit : int, optional
        Use only the first `limit` sentences of a fixed shuffle of the pool.
    """

    def __init__(self, labels, texts: Sequence[str], limit: Optional[int] = None):
        order = np.random.default_rng(SEED).permutation(len(texts))[:limit]
        self.labels, self.order = labels, order
        self.texts = [texts[i] for i in order]
        self.groups = np.char.add(np.char.add(labels.corpus[order].astype(str), ":"), labels.file[order].astype(str))

    @classmethod
    def load(cls, root: Path, path: Optional[Path] = None, limit: Optional[int] = None) -> Optional[Distillation]:
        """The labels at `path` (default ``models/teacher_labels.npz``), or None when there are none."""
        from .distill import TeacherLabels, teacher_labels_path

        path = Path(path) if path else teacher_labels_path()
        if not path.is_file():
            return None
        labels = TeacherLabels.load(path)
        return cls(labels, labels.texts(root), limit)

    @property
    def has_folds(self) -> bool:
        """Whether the labels hold each cross-validation teacher's P(causal)."""
        return self.labels.causal_folds is not None

    def rows(self, task: str, fold: Optional[int] = None) -> TrainingData:
        """Soft-label rows for `task`; for ``causal`` with `fold`, the labels of the teacher
        that never saw that fold of the Causal News Corpus.

        Raises
        ------
        ValueError
            For a `fold` when the labels hold no per-fold probabilities.
        """
        lab, i = self.labels, self.order
        if fold is not None and task == "causal" and not self.has_folds:
            raise ValueError("these teacher labels hold no per-fold P(causal) (causal_folds): "
                             "a fold's student would learn from a teacher that saw its test fold")
        if task == "opinion":
            p, classes = lab.opinion[i], [0, 1]
        elif task == "causal":
            p = lab.causal[i] if fold is None else lab.causal_folds[fold][i]
            classes = [0, 1]
        else:
            return TrainingData.soft(self.texts, lab.attribution[i], ["named", "vague", "none"], self.groups)
        return TrainingData.soft(self.texts, np.column_stack([1.0 - p, p]), classes, self.groups)


# ------------------------------------------------------------------- fitting
def sample_weight(data: TrainingData, cfg: TrainConfig) -> np.ndarray:
    w = np.asarray([cfg.weights.get(s, 1.0) for s in data.sources], dtype=np.float64) * data.row_weights()
    # balance classes on top of the source and row weights
    out = w.copy()
    classes = np.unique(data.labels)
    total = w.sum()
    for c in classes:
        m = data.labels == c
        out[m] *= total / (len(classes) * w[m].sum())
    return out


class TextModel:
    """A text classifier: a featurizer, then logistic regression, then optional calibration.

    ``make_features()`` returns an object with ``fit_transform`` and ``transform``
    (a fresh one per fit, so baselines that learn a vocabulary never see test text).
    Two classes use liblinear; more use multinomial lbfgs.  Calibration
    (:func:`fit_calibration`) is a linear map of the decision values, so it
    folds into the linear head at no cost at scoring time.
    """

    def __init__(self, make_features: Callable[[], object], C_: float):
        self.make_features = make_features
        self.C = C_
        self.calibration: Optional[Tuple[np.ndarray, np.ndarray]] = None

    def fit(self, data: TrainingData, weights: np.ndarray) -> TextModel:
        self.features = self.make_features()
        X = self.features.fit_transform(data.texts)
        binary = len(np.unique(data.labels)) == 2
        self.clf = LogisticRegression(
            C=self.C, solver="liblinear" if binary else "lbfgs", max_iter=5000, random_state=SEED
        )
        self.clf.fit(X, data.labels, sample_weight=weights)
        return self

    def predict_proba(self, texts: List[str]) -> np.ndarray:
        z = np.asarray(self.clf.decision_function(self.features.transform(texts)), dtype=np.float64)
        return probabilities(_apply(self.calibration, z.reshape(len(texts), -1)))


def _apply(calibration: Optional[Tuple[np.ndarray, np.ndarray]], z: np.ndarray) -> np.ndarray:
    if calibration is None:
        return z
    A, b = calibration
    return z @ A.T + b


def decision_from_proba(p: np.ndarray) -> np.ndarray:
    """Decision values (up to a per-row constant for softmax) from probabilities."""
    p = np.clip(p, 1e-12, 1 - 1e-12)
    if p.shape[1] == 2:
        return np.log(p[:, 1:] / p[:, :1])
    return np.log(p)


def fit_calibration(p_oof: np.ndarray, y: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Temperature scaling fitted on out-of-fold probabilities.

    One scalar ``a = 1 / T`` multiplies the decision values; it is chosen to
    minimise the log loss of the out-of-fold predictions.  Unlike Platt or
    matrix scaling it has no bias term, so it corrects over- or
    under-confidence without moving the model's class prior towards that of
    the training sources (the prior of the text a user scores is unknown).
    Returns ``(A, b)``: ``A = a * I`` (``1 x 1`` for two classes) and ``b = 0``.
    """
    from scipy.optimize import minimize_scalar

    z = decision_from_proba(p_oof)
    onehot = (np.asarray(y)[:, None] == np.unique(y)[None, :]).astype(np.float64)

    def log_loss(a: float) -> float:
        return float(-np.mean(np.sum(onehot * np.log(probabilities(a * z) + 1e-12), axis=1)))

    a = float(minimize_scalar(log_loss, bounds=(0.05, 5.0), method="bounded").x)
    k = z.shape[1]
    return a * np.eye(k), np.zeros(k)


class CachedFeatures:
    """Our featurizer learns nothing, so each sentence is featurised once per run."""

    def __init__(self, cfg: TrainConfig, lexicon: Lexicon):
        self.featurizer = SentenceFeaturizer(lexicon, cfg.n_features, cfg.ngram_range)
        self.rows: Dict[str, int] = {}
        self.X = None

    def transform(self, texts: List[str]):
        new = [t for t in dict.fromkeys(texts) if t not in self.rows]
        if new:
            Xn = self.featurizer.transform(new)
            base = len(self.rows)
            self.rows.update({t: base + i for i, t in enumerate(new)})
            self.X = Xn if self.X is None else sp.vstack([self.X, Xn], format="csr")
        return self.X[[self.rows[t] for t in texts]]

    fit_transform = transform

    def __call__(self) -> CachedFeatures:
        return self


def tfidf_features():
    """TF-IDF word (1-2) + char (2-5) n-grams, the baseline."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
    ])


def oof_proba(
    make: Callable[[], TextModel], data: TrainingData, cfg: TrainConfig, weights: np.ndarray
) -> np.ndarray:
    """Out-of-fold probabilities with grouped K-fold."""
    n_classes = len(np.unique(data.labels))
    out = np.zeros((len(data), n_classes))
    for tr, te in GroupKFold(n_splits=cfg.folds).split(data.texts, data.labels, data.groups):
        mask = np.zeros(len(data), dtype=bool)
        mask[tr] = True
        m = make().fit(data.subset(mask), weights[tr])
        out[te] = m.predict_proba([data.texts[i] for i in te])
    return out


def _calibration(p_oof: np.ndarray, y: np.ndarray, data: TrainingData) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """Temperature scaling (:func:`fit_calibration`), or none for a model that learns from the teacher.

    The teacher saw every gold row a student holds out in its own folds, and
    its soft labels carry that knowledge back in: the student's out-of-fold
    predictions are better than its predictions on new text, so a temperature
    fitted to them is biased towards sharpening (0.74-0.84 on the three heads,
    where models without the teacher get 0.97-1.09).  The student keeps the
    scale it learns from the teacher's calibrated soft labels instead.  Neither
    choice makes it well calibrated on opinion and causal (docs/experiments.md D6).
    """
    if np.any(data.sources == "teacher"):
        return None
    return fit_calibration(p_oof, y)


def _temperature_text(calibration: Optional[Tuple[np.ndarray, np.ndarray]]) -> str:
    return "no temperature" if calibration is None else f"temperature {1 / calibration[0][0, 0]:.2f}"


def fit_binary(
    make: Callable[[float], TextModel],
    data: TrainingData,
    cfg: TrainConfig,
    in_domain: Sequence[str],
    average: str,
    verbose: bool,
    name: str,
) -> Tuple[TextModel, float, np.ndarray]:
    """Choose C, calibration and threshold on out-of-fold predictions; fit on all.

    `make(C)` returns an unfitted model.  Each C in ``cfg.C_grid`` is scored by the
    best (macro-)F1 over thresholds of its out-of-fold predictions on the
    in-domain sources.  Temperature scaling is fitted on those same
    out-of-fold predictions (public corpora only, not our own sentences), and
    the threshold is chosen on the calibrated ones.  Returns
    the fitted, calibrated model, the threshold and the calibrated
    out-of-fold probabilities of the positive class.
    """
    w = sample_weight(data, cfg)
    mask = np.isin(data.sources, list(in_domain))
    y = data.labels[mask].astype(int)
    best = None
    for c in cfg.C_grid:
        oof = oof_proba(functools.partial(make, c), data, cfg, w)
        _, score = best_threshold(y, oof[mask, 1], average)
        if best is None or score > best[0]:
            best = (score, c, oof)
    _, c, oof = best
    # calibrated on the public corpora only: our own sentences are cleaner than real news
    public = mask & (data.sources != "own")
    calibration = _calibration(oof[public], data.labels[public].astype(int), data)
    oof_cal = probabilities(_apply(calibration, decision_from_proba(oof)))[:, 1]
    th, score = best_threshold(y, oof_cal[mask], average)
    log(f"  {name}: C={c}, {_temperature_text(calibration)}, threshold {th:.2f} "
         f"(out-of-fold {average} F1 {score:.3f} on {', '.join(sorted(set(in_domain)))})", verbose)
    model = make(c).fit(data, w)
    model.calibration = calibration
    return model, th, oof_cal


def fit_attribution(
    make: Callable[[float], TextModel], data: TrainingData, cfg: TrainConfig, w: np.ndarray, verbose: bool
) -> Tuple[np.ndarray, TextModel]:
    """Fit the attribution model, temperature-scaled on out-of-fold PolNeAR train predictions.

    Returns the calibrated out-of-fold probabilities and the fitted model.
    """
    oof = oof_proba(lambda: make(cfg.C_attribution), data, cfg, w)
    mask = data.sources == "polnear-train"
    calibration = _calibration(oof[mask], data.labels[mask], data)
    log(f"  attribution: {_temperature_text(calibration)} (out-of-fold PolNeAR train)", verbose)
    model = make(cfg.C_attribution).fit(data, w)
    model.calibration = calibration
    return probabilities(_apply(calibration, decision_from_proba(oof))), model


def to_head(model: TextModel) -> LinearHead:
    """The model as a :class:`LinearHead`, calibration folded into its weights."""
    clf = model.clf
    coef = np.asarray(clf.coef_, dtype=np.float64)
    intercept = np.asarray(clf.intercept_, dtype=np.float64)
    if model.calibration is not None:
        A, b = model.calibration
        coef, intercept = A @ coef, A @ intercept + b
    return LinearHead([c.item() if hasattr(c, "item") else c for c in clf.classes_], coef, intercept)


# -------------------------------------------------------------------- train
def train_bundle(
    out: os.PathLike,
    corpora: Optional[os.PathLike] = None,
    cfg: Optional[TrainConfig] = None,
    verbose: bool = True,
) -> Path:
    """Train the three models, the span tagger and the persuasion technique heads, and save a bundle.

    Parameters
    ----------
    out : path-like
        Bundle folder to write.
    corpora : path-like, optional
        Corpora folder (see :func:`rhetorix.training.corpora.find_corpora`).
    cfg : TrainConfig, optional
        Settings; the shipped defaults when None.
    verbose : bool, default=True
        Print progress.
    """
    cfg = cfg or TrainConfig()
    root = C.find_corpora(corpora)
    if root is None:
        raise FileNotFoundError(
            "corpora folder not found: pass --corpora PATH or set RHETORIX_CORPORA"
        )
    lexicon = Lexicon.default()
    featurize = CachedFeatures(cfg, lexicon)

    def make(c):
        return TextModel(featurize, c)

    dist = Distillation.load(root, limit=cfg.distill_limit) if cfg.distill else None
    log("distillation: " + (f"{len(dist.texts):,} sentences with teacher labels" if dist else "none"), verbose)

    def soft(task: str) -> TrainingData:
        return dist.rows(task) if dist else TrainingData([], np.zeros(0, int), np.zeros(0, str), np.zeros(0, str))

    if dist:
        cfg = replace(cfg, C_grid=cfg.C_distilled)

    log("opinion: CheckThat! train+dev, MPQA, own, news", verbose)
    op = opinion_data(root, include_dev=True) + soft("opinion")
    op_model, op_th, _ = fit_binary(
        make, op, cfg, ["checkthat-train", "checkthat-dev", "own", "news-train"], "macro", verbose, "opinion"
    )

    log("causal: Causal News Corpus, own, news", verbose)
    ca = causal_data(root) + soft("causal")
    ca_model, ca_th, ca_oof = fit_binary(make, ca, cfg, ["cnc", "own", "news-train"], "binary", verbose, "causal")

    log("attribution: PolNeAR train, own, news", verbose)
    at = attribution_data(root) + soft("attribution")
    w = sample_weight(at, cfg)
    at_oof, at_model = fit_attribution(make, at, cfg, w, verbose)

    # unattributed_causal threshold: out-of-fold scores on our own sentences and
    # our labels on news, the data labelled for both causality and attribution.
    ours = ("own", "news-train")
    ca_p = {(t, s): p for t, p, s in zip(ca.texts, ca_oof, ca.sources) if s in ours}
    at_y = {(t, s): y for t, y, s in zip(at.texts, at.labels, at.sources) if s in ours}
    classes = list(at_model.clf.classes_)
    at_p = {(t, s): p for t, p, s in zip(at.texts, at_oof, at.sources) if s in ours}
    ca_y = {(t, s): y for t, y, s in zip(ca.texts, ca.labels, ca.sources) if s in ours}
    keys = [k for k in ca_p if k in at_p]
    y_u = np.asarray([int(ca_y[k] == 1 and at_y[k] != "named") for k in keys])
    p_u = np.asarray([ca_p[k] * (1 - at_p[k][classes.index("named")]) for k in keys])
    u_th, _ = best_threshold(y_u, p_u)
    log(f"  unattributed_causal: threshold {u_th:.2f} from out-of-fold predictions on own and news", verbose)

    heads = {"opinion": to_head(op_model), "causal": to_head(ca_model), "attribution": to_head(at_model)}
    import sklearn

    manifest = {
        "created": _dt.date.today().isoformat(),
        "sklearn_version": sklearn.__version__,
        "featurizer": {"n_features": cfg.n_features, "ngram_range": list(cfg.ngram_range)},
        "thresholds": {"opinion": op_th, "causal": ca_th, "unattributed_causal": u_th},
        "C": {"opinion": op_model.C, "causal": ca_model.C, "attribution": cfg.C_attribution},
        "training": {
            "opinion": _describe(op),
            "causal": _describe(ca),
            "attribution": _describe(at),
            "weights": cfg.weights,
            "seed": SEED,
            "teacher": dist.labels.teacher if dist else None,
        },
        "corpora": {
            "checkthat-subjectivity-en": "CC BY-NC-SA 4.0",
            "mpqa-1.2-sentences": "MPQA terms (research use)",
            "causal-news-corpus": "CC0 1.0",
            "polnear": "research use; news text under its publishers' copyright",
            "rhetorix data/sentences.tsv": "CC BY 4.0 (ours)",
            **({"bbc-news-2004-2005": "research and educational use (teacher labels)",
                "semeval2020-ptc": "research use (teacher labels)"} if dist else {}),
        },
    }
    log("sources: the span tagger on PolNeAR train", verbose)
    manifest.update(tagger_manifest())
    with tempfile.TemporaryDirectory() as tmp:
        tagger_file = Path(tmp) / "tagger.npz"
        train_tagger(root, lexicon).save(tagger_file)
        path = save_bundle(out, heads, lexicon, manifest, files={"tagger.npz": tagger_file})
    from .techniques import train_techniques  # here: it imports this module

    train_techniques(path, root, verbose)
    log(f"saved bundle to {path}", verbose)
    return path


def _describe(d: TrainingData) -> Dict[str, object]:
    """Rows per source, and the weight of each label (soft labels count by their probability)."""
    srcs, counts = np.unique(d.sources, return_counts=True)
    labels = d.labels.astype(str)
    w = d.row_weights()
    return {
        "rows": len(d),
        "sources": {str(s): int(c) for s, c in zip(srcs, counts)},
        "labels": {str(lab): round(float(w[labels == lab].sum()), 1) for lab in np.unique(labels)},
    }
