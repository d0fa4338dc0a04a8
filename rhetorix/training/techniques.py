"""Persuasion techniques: the SemEval-2020 Task 11 data, the heads of both tiers, grouped cross-validation.

Data (:func:`read_ptc`): the articles of ``semeval2020-ptc/train-articles``,
cut into sentences by our segmenter.  A sentence has a technique when one of
the article's spans of that technique overlaps it by at least one
non-space character (a span across sentences counts for each); the part of
the span inside the sentence is kept for the word heads.

Heads (:func:`fit_heads`), the same recipe in both tiers, only the features
differ:

* sentence heads: one logistic regression per technique (classes balanced;
  liblinear on sparse features, lbfgs on dense ones) over the tier's sentence features (the fast tier's featurizer; the
  accurate tier's mean- and max-pooled encoder states, standardised, the
  scaling folded into the weights);
* word heads, for :data:`~rhetorix.cues.cue.WORD_TECHNIQUES`: one logistic
  regression per technique over the tier's word features (the fast tier's
  tagger token features, hashed; the accurate tier's encoder state of the
  word's first word piece); a word is positive when it overlaps a span of the
  technique;
* thresholds: a sentence head's flag threshold maximises its F1 on
  out-of-fold probabilities of grouped 5-fold cross-validation by article
  (:func:`rhetorix.training.thresholds.best_threshold`); a word head's threshold
  maximises word-level F0.5 (precision counts double: a span shown should be
  right) over the words of the sentences that have the technique, out of fold
  as well.

Which techniques a bundle scores (:data:`SHIPPED`) was decided once from the
grouped cross-validation of both tiers (:func:`cross_validate`, the model card
has the table): the techniques whose sentence-level F1 is at least
:data:`MIN_F1` in both tiers.  The others are too unreliable to show.

Evaluation (:func:`cross_validate`): grouped 5-fold cross-validation by
article; in each fold the thresholds come from an inner grouped 3-fold
cross-validation of the training articles only, so no threshold sees the
articles it is measured on.  Precision, recall and F1 per technique at
sentence level, micro- and macro-averaged, and the same for the TF-IDF + LR
baseline (:func:`rhetorix.training.fit.tfidf_features`) in the same run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..bundle import add_files, load_bundle
from ..cues.cue import TECHNIQUES, WORD_TECHNIQUES
from ..cues.tagger import lexicon_kinds, token_extents, token_features
from ..text.segment import segment_spans
from ..text.tokens import TokenBatch
from ..tiers.techniques import FILE, TechniqueHeads
from .spans import one_hot_rows
from .thresholds import best_threshold

__all__ = ["TechniqueData", "Features", "read_ptc", "word_labels", "fast_features", "accurate_features", "fit_heads",
           "cross_validate", "feature_blocks", "causal_overlap", "add_techniques", "train_techniques", "SHIPPED",
           "MIN_F1", "FOLDS", "PTC_FOLDER", "TECHNIQUES"]

PTC_FOLDER = "semeval2020-ptc"
#: Folds of the grouped cross-validation (by article).
FOLDS = 5
#: Smallest grouped cross-validation F1 (sentence level, both tiers) of a technique a bundle scores.
MIN_F1 = 0.30
#: The techniques the shipped bundles score (see the module docstring).
SHIPPED: Tuple[str, ...] = ("Loaded_Language", "Name_Calling,Labeling")
SEED = 0
#: Inverse regularisation of the heads over the fast tier's sentence features and over encoder states.
FAST_C = 1.0
ENCODER_C = 0.05
#: The word heads' thresholds maximise F-beta with this beta (precision weighs more).
WORD_BETA = 0.5


@dataclass
class TechniqueData:
    """PTC sentences with their techniques.

    Attributes
    ----------
    texts : list of str
    labels : ndarray of int8, shape (n, len(TECHNIQUES))
    groups : ndarray of str
        The article of each sentence.
    spans : list of list of (int, int, int)
        Per sentence, ``(technique index, start, end)`` of the technique spans in it (offsets into the sentence).
    """

    texts: List[str]
    labels: np.ndarray
    groups: np.ndarray
    spans: List[List[Tuple[int, int, int]]]


def read_ptc(root) -> TechniqueData:
    """The sentences of the SemEval-2020 PTC training articles with their techniques (see the module docstring)."""
    folder = Path(root) / PTC_FOLDER
    articles = sorted((folder / "train-articles").glob("article*.txt"))
    if not articles:
        raise FileNotFoundError(f"no SemEval-2020 PTC articles under {folder / 'train-articles'}")
    texts: List[str] = []
    labels: List[np.ndarray] = []
    groups: List[str] = []
    spans: List[List[Tuple[int, int, int]]] = []
    for path in articles:
        aid = path.stem[len("article"):]
        with open(path, encoding="utf-8", newline="") as fh:
            text = fh.read()
        marked = []
        label_file = folder / "train-labels-task2-technique-classification" / f"article{aid}.task2-TC.labels"
        with open(label_file, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    _, name, start, end = line.rstrip("\n").split("\t")
                    marked.append((TECHNIQUES.index(name), int(start), int(end)))
        for s, e in segment_spans(text):
            if not text[s:e].strip():
                continue
            y = np.zeros(len(TECHNIQUES), dtype=np.int8)
            inside = []
            for k, a, b in marked:
                if a < e and b > s and text[max(a, s):min(b, e)].strip():
                    y[k] = 1
                    inside.append((k, max(a, s) - s, min(b, e) - s))
            texts.append(text[s:e])
            labels.append(y)
            groups.append(aid)
            spans.append(inside)
    return TechniqueData(texts, np.asarray(labels), np.asarray(groups), spans)


def word_labels(batch: TokenBatch, spans: Sequence[Sequence[Tuple[int, int, int]]],
                names: Sequence[str] = WORD_TECHNIQUES) -> np.ndarray:
    """Per token of `batch` and technique of `names`, 1 when the token overlaps a span of it."""
    starts, ends = token_extents(batch)
    out = np.zeros((len(batch.flat), len(names)), dtype=np.int8)
    begins = np.cumsum(batch.lengths) - batch.lengths
    index = {TECHNIQUES.index(n): j for j, n in enumerate(names)}
    for i, found in enumerate(spans):
        b, n = int(begins[i]), int(batch.lengths[i])
        for k, a, e in found:
            if k in index:
                out[b:b + n][(starts[b:b + n] < e) & (ends[b:b + n] > a), index[k]] = 1
    return out


def _fit_lr(X, y: np.ndarray, C: float, dense: bool) -> Tuple[np.ndarray, float]:
    """One logistic regression; a constant model (weights 0, probability about 0 or 1) when `y` has one class."""
    from sklearn.linear_model import LogisticRegression

    if y.min() == y.max():
        return np.zeros(X.shape[1]), 20.0 if y.max() else -20.0

    clf = LogisticRegression(C=C, solver="lbfgs" if dense else "liblinear", class_weight="balanced", max_iter=5000,
                             random_state=SEED)
    clf.fit(X, y)
    return clf.coef_[0].astype(np.float64), float(clf.intercept_[0])


def _decision(X, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    return np.asarray(X @ coef.T, dtype=np.float64) + intercept


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


class _Scaled:
    """Standardised dense features (the accurate tier's); the scaling is folded into the fitted weights."""

    def __init__(self, X: np.ndarray):
        self.mean = X.mean(axis=0)
        self.scale = np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.scale

    def fold(self, coef: np.ndarray, intercept: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Weights on the raw features equal to `coef`, `intercept` on the scaled ones (coef: (k, d))."""
        w = coef / self.scale
        return w, intercept - w @ self.mean


def _fit_block(X, Y: np.ndarray, C: float, dense: bool) -> Tuple[np.ndarray, np.ndarray]:
    """One logistic regression per column of `Y`; returns ``coef (k, d)`` and ``intercept (k,)`` on raw `X`."""
    scaler = _Scaled(X) if dense else None
    Xs = scaler(X) if scaler else X
    fits = [_fit_lr(Xs, Y[:, j], C, dense) for j in range(Y.shape[1])]
    coef = np.vstack([c for c, _ in fits])
    intercept = np.asarray([b for _, b in fits])
    return scaler.fold(coef, intercept) if scaler else (coef, intercept)


def _grouped_folds(groups: np.ndarray, k: int) -> List[Tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import GroupKFold

    return list(GroupKFold(n_splits=k).split(np.zeros(len(groups)), groups=groups))


Block = Tuple[object, bool, float]  # (features, dense, C)


def _block_proba(blocks_train: Sequence[Block], blocks_test: Sequence[object], Y: np.ndarray) -> np.ndarray:
    """Fit one head per column of `Y` on each block; the mean of the blocks' probabilities on the test rows."""
    out = 0.0
    for (Xa, dense, C), Xb in zip(blocks_train, blocks_test):
        coef, b = _fit_block(Xa, Y, C, dense)
        out = out + _sigmoid(_decision(Xb, coef, b))
    return out / len(blocks_train)


def _oof(blocks: Sequence[Block], Y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Out-of-fold probabilities of :func:`_block_proba` by grouped :data:`FOLDS`-fold."""
    P = np.zeros(Y.shape)
    for tr, te in _grouped_folds(groups, FOLDS):
        P[te] = _block_proba([(X[tr], d, c) for X, d, c in blocks], [X[te] for X, _, _ in blocks], Y[tr])
    return P


def _thresholds(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
    return np.asarray([best_threshold(Y[:, j], P[:, j])[0] for j in range(Y.shape[1])])


@dataclass
class Features:
    """A tier's features of :class:`TechniqueData`.

    Attributes
    ----------
    blocks : list of (matrix, bool, float)
        Sentence features, one head each, their probabilities averaged: the
        matrix (sparse or dense, ``(n, d)``), whether it is dense (dense
        features are standardised before fitting) and the heads' inverse
        regularisation C.  The first block's heads are ``coef``; a second is
        the accurate tier's n-gram heads (``ngram_coef``).
    words : matrix of shape (n_tokens, d_words)
        Per token of ``TokenBatch.split(data.texts)``.
    words_dense : bool
    C_words : float
    featurizer : dict, optional
        The fast featurizer's settings of an n-gram block that is not the first.
    """

    blocks: List[Block]
    words: object
    words_dense: bool
    C_words: float
    featurizer: Optional[Dict[str, object]] = None


def _fast_sentence_block(data: TechniqueData, bundle) -> Tuple[object, Dict[str, object]]:
    from ..features.transformers import SentenceFeaturizer

    feat = {"n_features": int(bundle.manifest.get("featurizer", {}).get("n_features", 2**17)),
            "ngram_range": list(bundle.manifest.get("featurizer", {}).get("ngram_range", (1, 2)))}
    X = SentenceFeaturizer(bundle.lexicon, feat["n_features"], tuple(feat["ngram_range"])).transform(data.texts)
    return X, feat


def fast_features(data: TechniqueData, bundle_dir) -> Features:
    """The fast tier's sentence features and hashed token features (its tagger's, 2**17 buckets)."""
    bundle = load_bundle(bundle_dir)
    X, _ = _fast_sentence_block(data, bundle)
    batch, kinds = lexicon_kinds(data.texts, bundle.lexicon.automaton)
    n_buckets = 2**17
    W = one_hot_rows(token_features(batch, kinds, n_buckets), n_buckets)
    return Features([(X, False, FAST_C)], W, words_dense=False, C_words=0.1)


def accurate_features(data: TechniqueData, bundle_dir, batch_size: int = 256) -> Features:
    """The accurate tier's encoder states (:meth:`rhetorix.tiers.accurate.AccurateModel.states`), and the
    fast featurizer's sentence features for its n-gram heads (with the accurate bundle's lexicon)."""
    from ..tiers.accurate import AccurateModel

    bundle = load_bundle(bundle_dir)
    model = AccurateModel(bundle)
    sent, words = [], []
    for b in range(0, len(data.texts), batch_size):
        s, w = model.states(data.texts[b:b + batch_size])
        sent.append(s)
        words.append(w.astype(np.float32))
    X, feat = _fast_sentence_block(data, bundle)
    return Features([(np.vstack(sent), True, ENCODER_C), (X, False, FAST_C)], np.vstack(words), words_dense=True,
                    C_words=0.1, featurizer=feat)


def fit_heads(data: TechniqueData, features: Features, names: Sequence[str] = SHIPPED,
              verbose: bool = True) -> Tuple[TechniqueHeads, Dict[str, float], Dict[str, object]]:
    """Fit the technique heads of a tier on all of `data` (see the module docstring).

    Returns
    -------
    heads : TechniqueHeads
    thresholds : dict
        The sentence heads' flag thresholds, by technique.
    info : dict
        What the bundle manifest records (training rows, out-of-fold F1 at the thresholds).
    """
    cols = [TECHNIQUES.index(n) for n in names]
    Y = data.labels[:, cols]
    t0 = time.time()
    P = _oof(features.blocks, Y, data.groups)
    th = _thresholds(Y, P)
    fitted = [_fit_block(X, Y, c, d) for X, d, c in features.blocks]
    coef, intercept = fitted[0]
    _log(verbose, f"techniques: sentence heads fitted ({time.time() - t0:.0f} s)")
    word_names = [n for n in names if n in WORD_TECHNIQUES]
    batch = TokenBatch.split(data.texts)
    G = word_labels(batch, data.spans, word_names)
    sentence = np.repeat(np.arange(len(data.texts)), batch.lengths)
    token_groups = data.groups[sentence]
    Pw = _oof([(features.words, features.words_dense, features.C_words)], G, token_groups)
    word_th = []
    for j, n in enumerate(word_names):
        inside = data.labels[sentence, TECHNIQUES.index(n)] == 1  # words of sentences that have the technique
        word_th.append(best_threshold(G[inside, j], Pw[inside, j], beta=WORD_BETA)[0])
    wcoef, wintercept = _fit_block(features.words, G, features.C_words, features.words_dense)
    _log(verbose, f"techniques: word heads fitted ({time.time() - t0:.0f} s)")
    ngram = fitted[1] if len(fitted) > 1 else (None, None)
    heads = TechniqueHeads(tuple(names), coef, intercept, tuple(word_names), wcoef.T.copy(), wintercept,
                           np.asarray(word_th), ngram[0], ngram[1], features.featurizer)
    f1 = {n: v["f1"] for n, v in _scores(Y, P >= th, names)["per_technique"].items()}
    info = {"rows": len(data.texts), "articles": len(set(data.groups.tolist())),
            "positives": {n: int(Y[:, j].sum()) for j, n in enumerate(names)},
            "out_of_fold_f1": f1, "C": [c for _, _, c in features.blocks], "C_words": features.C_words}
    return heads, {n: float(t) for n, t in zip(names, th)}, info


def _log(verbose: bool, msg: str) -> None:
    if verbose:
        print(msg, flush=True)


def add_techniques(bundle_dir, heads: TechniqueHeads, thresholds: Dict[str, float], info: Dict[str, object],
                   model: str) -> Path:
    """Write `heads` into the bundle at `bundle_dir` (``techniques.npz``, manifest entry and thresholds)."""
    bundle_dir = Path(bundle_dir)
    manifest = load_bundle(bundle_dir).manifest
    tmp = bundle_dir / f".{FILE}"
    heads.save(tmp)
    try:
        entry = {**heads.manifest(), "model": model, "trained_on": "SemEval-2020 Task 11 PTC, training articles "
                 "(all 371; sentence labels from the technique spans, rhetorix.training.techniques)", **info}
        corpora = {**manifest.get("corpora", {}), PTC_FOLDER: "research use"}
        add_files(bundle_dir, {FILE: tmp}, {"techniques": entry, "corpora": corpora,
                                            "thresholds": {**manifest.get("thresholds", {}), **thresholds}})
    finally:
        tmp.unlink(missing_ok=True)
    return bundle_dir


# ---------------------------------------------------------------- evaluation
def _scores(Y: np.ndarray, pred: np.ndarray, names: Sequence[str]) -> Dict[str, object]:
    tp = (pred & (Y == 1)).sum(axis=0)
    fp = (pred & (Y == 0)).sum(axis=0)
    fn = (~pred & (Y == 1)).sum(axis=0)
    per = {}
    for j, n in enumerate(names):
        p = tp[j] / max(tp[j] + fp[j], 1)
        r = tp[j] / max(tp[j] + fn[j], 1)
        per[n] = {"precision": float(p), "recall": float(r), "f1": float(2 * tp[j] / max(2 * tp[j] + fp[j] + fn[j], 1)),
                  "support": int(Y[:, j].sum())}
    micro = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1)
    return {"micro_f1": float(micro), "macro_f1": float(np.mean([v["f1"] for v in per.values()])),
            "micro_precision": float(tp.sum() / max(tp.sum() + fp.sum(), 1)),
            "micro_recall": float(tp.sum() / max(tp.sum() + fn.sum(), 1)), "per_technique": per}


Maker = Callable[[np.ndarray, np.ndarray], List[Tuple[object, object, bool, float]]]


def cross_validate(data: TechniqueData, make: Maker, names: Sequence[str] = TECHNIQUES, verbose: bool = True,
                   label: str = "") -> Dict[str, object]:
    """Grouped cross-validation of sentence heads with nested thresholds (see the module docstring).

    Parameters
    ----------
    data : TechniqueData
    make : callable
        ``make(train_rows, test_rows) -> [(X_train, X_test, dense, C), ...]``: feature blocks
        fitted on the training rows only (a TF-IDF vocabulary learns from them); a
        sentence's probability is the mean of the blocks' heads' (:class:`Features`).
    names : sequence of str
        The techniques to measure.
    """
    cols = [TECHNIQUES.index(n) for n in names]
    Y = data.labels[:, cols]
    pred = np.zeros(Y.shape, dtype=bool)
    t0 = time.time()

    def proba(tr, te):
        blocks = make(tr, te)
        return _block_proba([(a, d, c) for a, _, d, c in blocks], [b for _, b, _, _ in blocks], Y[tr])

    for f, (tr, te) in enumerate(_grouped_folds(data.groups, FOLDS)):
        inner = np.zeros((len(tr), len(cols)))
        for itr, ite in _grouped_folds(data.groups[tr], 3):
            inner[ite] = proba(tr[itr], tr[ite])
        pred[te] = proba(tr, te) >= _thresholds(Y[tr], inner)
        _log(verbose, f"  techniques {label} fold {f + 1}/{FOLDS} ({time.time() - t0:.0f} s)")
    return _scores(Y, pred, names)


def feature_blocks(features: Features) -> Maker:
    """The ``make`` of :func:`cross_validate` for a tier's (fixed) features."""
    return lambda tr, te: [(X[tr], X[te], d, c) for X, d, c in features.blocks]


def causal_overlap(data: TechniqueData, causal: np.ndarray, threshold: float) -> Dict[str, object]:
    """How a causal flag meets Causal_Oversimplification: its recall on those sentences, and their share of its flags.

    Parameters
    ----------
    data : TechniqueData
    causal : ndarray
        P(causal) of each sentence of `data`.
    threshold : float
        The causal flag's threshold.
    """
    co = data.labels[:, TECHNIQUES.index("Causal_Oversimplification")] == 1
    flagged = np.asarray(causal) >= threshold
    return {
        "oversimplification_sentences": int(co.sum()),
        "flagged_causal": float(flagged[co].mean()) if co.any() else 0.0,
        "flagged_causal_other_sentences": float(flagged[~co].mean()) if (~co).any() else 0.0,
        "oversimplification_share_of_causal_flags": float(co[flagged].mean()) if flagged.any() else 0.0,
    }


def train_techniques(bundle_dir, corpora=None, verbose: bool = True) -> Path:
    """Fit the :data:`SHIPPED` technique heads of the bundle at `bundle_dir` (fast or accurate) and write them in.

    Parameters
    ----------
    bundle_dir : path-like
        A fast or an accurate bundle (an accurate one needs the ``accurate``
        extra and a graph with the ``pooled`` and ``hidden`` outputs).
    corpora : path-like, optional
        Corpora folder (see :func:`rhetorix.training.corpora.find_corpora`).
    """
    from .corpora import find_corpora

    root = find_corpora(corpora)
    if root is None:
        raise FileNotFoundError("corpora folder not found: pass --corpora PATH or set RHETORIX_CORPORA")
    tier = load_bundle(bundle_dir).tier
    _log(verbose, f"persuasion techniques ({tier} tier): SemEval-2020 PTC training articles")
    data = read_ptc(root)
    features = fast_features(data, bundle_dir) if tier == "fast" else accurate_features(data, bundle_dir)
    heads, thresholds, info = fit_heads(data, features, SHIPPED, verbose)
    model = ("one logistic regression per technique over the fast tier's sentence features; word heads over its "
             "tagger's hashed token features") if tier == "fast" else (
        "per technique, the mean of two logistic regressions' probabilities: over the encoder's mean- and "
        "max-pooled last-layer states, and over the fast tier's sentence features; word heads over the state "
        "of each word's first word piece")
    for n in heads.names:
        _log(verbose, f"  {n}: threshold {thresholds[n]:.3f}, out-of-fold F1 {info['out_of_fold_f1'][n]:.3f}")
    return add_techniques(bundle_dir, heads, thresholds, info, model)
