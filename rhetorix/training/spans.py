"""Source and cue spans: train the fast tier's tagger on PolNeAR and measure span finders.

Gold spans are PolNeAR's Source and Cue spans of the first annotator of each
article (:func:`rhetorix.training.teacher_data.read_polnear_spans`: our
segmenter, whitespace-normalised sentences, a span kept in the sentence where
it starts).  A token is ``SRC`` or ``CUE`` when it overlaps a gold span of that
kind, else ``O``.

Metrics (:func:`span_scores`): precision, recall and F1 of predicted spans
against gold spans of the same kind, counted over all sentences, with two
matching rules: *exact* (same start and end) and *overlap* (at least one
character in common; each gold span matches at most one prediction, greedily
in order).  For sources matched by overlap, *named vs vague accuracy* compares
the predicted kind with the gold source's kind
(:func:`rhetorix.training.corpora.polnear_source_type` of the gold text),
over gold sources that are named or vague.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..cues.lexicon import Lexicon
from ..cues.sources import source_kind_in
from ..cues.tagger import (
    N_CONTEXT,
    N_TEMPLATES,
    TAG_KINDS,
    SpanTagger,
    TaggedSpan,
    context_features,
    lexicon_kinds,
    token_extents,
    token_features,
)
from ..text.tokens import TokenBatch
from . import corpora as C

__all__ = ["gold_token_kinds", "one_hot_rows", "fit_tagger", "span_scores", "span_predictions", "read_own_spans",
           "train_tagger", "add_tagger", "tagger_manifest", "SpanPrediction", "OWN_SPAN_COPIES"]

#: Predicted spans of one sentence: (start, end, kind ``SRC``/``CUE``, source kind ``named``/``vague`` or None).
SpanPrediction = Tuple[int, int, str, Optional[str]]


def gold_token_kinds(batch: TokenBatch, spans: Sequence[Sequence[Tuple[int, int, str]]]) -> np.ndarray:
    """Per token of `batch`, the index in :data:`TAG_KINDS` of the gold span kind it overlaps (sources win)."""
    starts, ends = token_extents(batch)
    y = np.zeros(len(batch.flat), dtype=np.int64)
    begins = np.cumsum(batch.lengths) - batch.lengths
    for i, sp in enumerate(spans):
        b, n = int(begins[i]), int(batch.lengths[i])
        st, en = starts[b:b + n], ends[b:b + n]
        for a, e, kind in sorted(sp, key=lambda s: s[2] == "SRC"):  # sources written last: they win
            hit = np.flatnonzero((st < e) & (en > a))
            y[b + hit] = TAG_KINDS.index(kind)
    return y


def _fit_stage(X, y: np.ndarray, C_reg: float, max_iter: int):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C_reg, max_iter=max_iter, tol=1e-4)
    with warnings.catch_warnings():  # a fixed budget of iterations (see fit_tagger), not a failure
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    order = [list(clf.classes_).index(k) for k in range(len(TAG_KINDS))]
    return clf.coef_[order].T.astype(np.float32), clf.intercept_[order].astype(np.float32)


def one_hot_rows(idx: np.ndarray, n_buckets: int):
    """One-hot rows (a CSR matrix) of feature indices, one row per token."""
    from scipy import sparse

    n, k = idx.shape
    X = sparse.csr_matrix((np.ones(n * k, dtype=np.float32), idx.reshape(-1), np.arange(0, n * k + 1, k)),
                          shape=(n, n_buckets))
    X.sum_duplicates()
    return X


def fit_tagger(texts: Sequence[str], spans: Sequence[Sequence[Tuple[int, int, str]]], lexicon: Lexicon,
               groups: Optional[Sequence[str]] = None, n_buckets: int = 2**18, C_reg: float = 0.3,
               max_iter: int = 300) -> SpanTagger:
    """Fit the token tagger (multinomial logistic regression on hashed features).

    With `groups`, a second stage is stacked on the first
    (:func:`rhetorix.cues.tagger.context_features`); it learns from first-stage
    probabilities predicted out of fold (two folds by group), as it will see
    them on new text.

    Parameters
    ----------
    texts : sequence of str
        Sentences.
    spans : sequence of sequence of (start, end, kind)
        Gold ``SRC``/``CUE`` spans of each sentence, offsets into it.
    lexicon : Lexicon
        The lexicon whose cues are features (the bundle's).
    groups : sequence of str, optional
        Document of each sentence; None fits one stage.
    n_buckets : int, default=2**18
        Rows of the weight table (a power of two).
    C_reg : float, default=0.3
        Inverse L2 regularisation strength (chosen on held-out PolNeAR train
        articles: 0.3 over 1 and 3; docs/experiments.md).
    max_iter : int, default=300
        L-BFGS iterations per stage: a fixed budget (on PolNeAR train's
        700,000 tokens the fit stops there, short of scikit-learn's
        convergence tolerance; the warning is silenced).
    """
    batch, kinds = lexicon_kinds(texts, lexicon.automaton)
    idx = token_features(batch, kinds, n_buckets)
    y = gold_token_kinds(batch, spans)
    coef, intercept = _fit_stage(one_hot_rows(idx, n_buckets), y, C_reg, max_iter)
    if groups is None:
        return SpanTagger(coef, intercept)
    # out-of-fold first-stage probabilities: half of the documents predict the other half
    docs = sorted(set(groups))
    half = set(docs[::2])
    in_half = np.repeat(np.asarray([g in half for g in groups]), batch.lengths)
    p = np.zeros((len(y), len(TAG_KINDS)))
    for mask in (in_half, ~in_half):
        tagger = SpanTagger(*_fit_stage(one_hot_rows(idx[~mask], n_buckets), y[~mask], C_reg, max_iter))
        p[mask] = tagger.coef[idx[mask]].sum(axis=1) + tagger.intercept
    p = np.exp(p - p.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    both = np.hstack([idx, context_features(batch, p, n_buckets)])
    coef2, intercept2 = _fit_stage(one_hot_rows(both, n_buckets), y, C_reg, max_iter)
    return SpanTagger(coef, intercept, coef2, intercept2)


def _prf(tp: int, n_pred: int, n_gold: int) -> Dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def span_scores(predicted: Sequence[Sequence[SpanPrediction]], gold: Sequence[Sequence[Tuple[int, int, str]]],
                gold_texts: Sequence[str]) -> Dict[str, object]:
    """Span precision, recall and F1 (exact and overlap) per kind, and named-vs-vague accuracy.

    Parameters
    ----------
    predicted : sequence of sequence of SpanPrediction
        Per sentence, the predicted spans.
    gold : sequence of sequence of (start, end, kind)
        Per sentence, the gold spans.
    gold_texts : sequence of str
        The sentences (for the gold sources' kinds).

    Returns
    -------
    dict
        ``source`` and ``cue``: ``exact`` and ``overlap`` dicts of precision,
        recall, f1, plus ``n_gold`` and ``n_pred``; ``source_kind_accuracy``
        and ``source_kind_n`` (matched named/vague gold sources).
    """
    out: Dict[str, object] = {}
    kind_right = kind_n = 0
    for kind, name in (("SRC", "source"), ("CUE", "cue")):
        n_pred = n_gold = tp_exact = tp_overlap = 0
        for pred, gl, text in zip(predicted, gold, gold_texts):
            ps = [p for p in pred if p[2] == kind]
            gs = [g for g in gl if g[2] == kind]
            n_pred += len(ps)
            n_gold += len(gs)
            tp_exact += len({(p[0], p[1]) for p in ps} & {(g[0], g[1]) for g in gs})
            used = set()
            for p in ps:
                for j, g in enumerate(gs):
                    if j not in used and p[0] < g[1] and g[0] < p[1]:
                        used.add(j)
                        tp_overlap += 1
                        if kind == "SRC":
                            want = C.polnear_source_type(text[g[0]:g[1]])
                            if want in ("named", "vague"):
                                kind_n += 1
                                kind_right += p[3] == want
                        break
        out[name] = {"exact": _prf(tp_exact, n_pred, n_gold), "overlap": _prf(tp_overlap, n_pred, n_gold),
                     "n_gold": n_gold, "n_pred": n_pred}
    out["source_kind_accuracy"] = kind_right / kind_n if kind_n else 0.0
    out["source_kind_n"] = kind_n
    return out


def span_predictions(found: Sequence[Sequence[TaggedSpan]], texts: Sequence[str]) -> List[List[SpanPrediction]]:
    """A span finder's spans as :data:`SpanPrediction` tuples, sources with the kind the tiers give them."""
    return [[(s.start, s.end, s.kind, source_kind_in(t, s.start, s.end) if s.kind == "SRC" else None) for s in sp]
            for sp, t in zip(found, texts)]


_MARK = re.compile(r"\[([SC]) ([^\[\]]+)\]")
#: Copies of each of our span sentences in the tagger's training data (PolNeAR train has 28,765 sentences).
OWN_SPAN_COPIES = 10


def read_own_spans(path=None) -> List[Tuple[str, Tuple[Tuple[int, int, str], ...]]]:
    """Our sentences with source and cue spans (``data/source_spans.txt``): (sentence, spans) pairs.

    Raises
    ------
    ValueError
        On a line with a stray bracket or an empty span, naming the line.
    """
    path = Path(path) if path else C.own_data_path().parent / "source_spans.txt"
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        text, spans, pos = [], [], 0
        for m in _MARK.finditer(line):
            text.append(line[pos:m.start()])
            start = sum(map(len, text))
            span = m.group(2).strip()
            text.append(span)
            spans.append((start, start + len(span), "SRC" if m.group(1) == "S" else "CUE"))
            pos = m.end()
        text.append(line[pos:])
        sentence = "".join(text)
        if "[" in sentence or "]" in sentence or any(a == b for a, b, _ in spans):
            raise ValueError(f"{path}, line {n}: a stray bracket or an empty span")
        out.append((sentence, tuple(spans)))
    return out


#: Pool sentences the accurate tier's tagger labels for the fast tagger (of about 95,000).
TEACHER_SPAN_SENTENCES = 30_000


def teacher_spans_path() -> Path:
    """``models/teacher_spans.npz`` of the checkout: the accurate tier's spans on part of the pool."""
    return C.own_data_path().parents[1] / "models" / "teacher_spans.npz"


def label_pool_spans(root, bundle=None, n: int = TEACHER_SPAN_SENTENCES, seed: int = 0,
                     threads: Optional[int] = None) -> Dict[str, np.ndarray]:
    """The accurate tier's Source and Cue spans on `n` sentences drawn from the distillation pool.

    The pool is that of ``models/teacher_labels.npz`` (its rows are the keys:
    corpus, file, offsets and CRC, no text); PolNeAR dev is not in it.

    Returns
    -------
    dict of ndarray
        ``rows`` (the pool rows labelled, sorted), ``row``, ``start``, ``end``
        and ``kind`` (1 source, 2 cue) of every span, offsets into the
        sentence, and ``teacher`` (the sha256 of the accurate graph that tagged them).
    """
    from ..bundle import bundle_path, load_bundle, sha256_file
    from ..tiers.accurate import AccurateModel
    from .distill import TeacherLabels, teacher_labels_path

    labels = TeacherLabels.load(teacher_labels_path())
    rows = np.sort(np.random.default_rng(seed).choice(len(labels), size=min(n, len(labels)), replace=False))
    texts = _pool_texts(labels, rows, root)
    path = Path(bundle) if bundle else bundle_path("accurate")
    model = AccurateModel(load_bundle(path), threads=threads)
    out = {k: [] for k in ("row", "start", "end", "kind")}
    for i in range(0, len(texts), 2048):
        for r, found in zip(rows[i:i + 2048], model.spans(texts[i:i + 2048])):
            for sp in found:
                out["row"].append(r)
                out["start"].append(sp.start)
                out["end"].append(sp.end)
                out["kind"].append(TAG_KINDS.index(sp.kind))
    return {"rows": rows.astype(np.int32), **{k: np.asarray(v, dtype=np.int32) for k, v in out.items()},
            "teacher": np.asarray(sha256_file(path / (model.tag_graph or "model.onnx")))}


def _pool_texts(labels, rows: np.ndarray, root) -> List[str]:
    from dataclasses import fields, replace

    part = replace(labels, **{f.name: getattr(labels, f.name)[rows] for f in fields(labels)
                              if isinstance(getattr(labels, f.name), np.ndarray) and f.name != "causal_folds"})
    return part.texts(root)


def teacher_span_rows(root, path=None) -> Tuple[List[str], List[Tuple[Tuple[int, int, str], ...]], List[str]]:
    """The pool sentences of ``models/teacher_spans.npz`` with the teacher's spans, and their documents."""
    from .distill import TeacherLabels, teacher_labels_path

    labels = TeacherLabels.load(teacher_labels_path())
    with np.load(path or teacher_spans_path(), allow_pickle=False) as z:
        rows, row, start, end, kind = (z[k] for k in ("rows", "row", "start", "end", "kind"))
    texts = _pool_texts(labels, rows, root)
    where = {int(r): i for i, r in enumerate(rows)}
    spans: List[List[Tuple[int, int, str]]] = [[] for _ in rows]
    for r, a, b, k in zip(row.tolist(), start.tolist(), end.tolist(), kind.tolist()):
        spans[where[r]].append((a, b, TAG_KINDS[k]))
    groups = [f"pool:{labels.corpus[r]}/{labels.file[r].partition('#')[0]}" for r in rows]
    return texts, [tuple(sp) for sp in spans], groups


def train_tagger(root, lexicon: Lexicon, C_reg: float = 0.3, own: bool = True,
                 teacher: bool = True) -> SpanTagger:
    """Fit the fast tier's two-stage tagger on PolNeAR train (all of it; dev stays for evaluation).

    With `own`, our sentences of ``data/source_spans.txt`` join the training
    data, :data:`OWN_SPAN_COPIES` times each (all copies in one group).  With
    `teacher`, so do the pool sentences of ``models/teacher_spans.npz``
    (:func:`label_pool_spans`) with the accurate tier's spans, when that file exists.
    """
    from .teacher_data import read_polnear_spans

    train = read_polnear_spans(root, "train")
    texts, spans, groups = [e.text for e in train], [e.spans for e in train], [e.group for e in train]
    if own:
        for k, (text, sp) in enumerate(read_own_spans()):
            texts += [text] * OWN_SPAN_COPIES
            spans += [sp] * OWN_SPAN_COPIES
            groups += [f"own-spans-{k}"] * OWN_SPAN_COPIES
    if teacher and teacher_spans_path().is_file():
        t, sp, g = teacher_span_rows(root)
        texts, spans, groups = texts + t, spans + sp, groups + g
    return fit_tagger(texts, spans, lexicon, groups, C_reg=C_reg)


def tagger_manifest(C_reg: float = 0.3) -> Dict[str, object]:
    """What a bundle's manifest records about its tagger."""
    teacher = (f"; the accurate tier's spans on {TEACHER_SPAN_SENTENCES:,} pool sentences (models/teacher_spans.npz)"
               if teacher_spans_path().is_file() else "")
    return {"tagger": {"trained_on": "PolNeAR train, Source and Cue spans of the first annotator per article; "
                                     f"data/source_spans.txt (ours) x{OWN_SPAN_COPIES}" + teacher,
                       "model": "two stacked multinomial logistic regressions on hashed token features "
                                "(rhetorix.cues.tagger)",
                       "features": N_TEMPLATES, "context_features": N_CONTEXT, "C": C_reg}}


def add_tagger(bundle_dir, corpora=None, C_reg: float = 0.3) -> SpanTagger:
    """Fit the tagger with the bundle's lexicon and add it to a fast bundle (``tagger.npz``)."""
    import tempfile

    from ..bundle import add_files, load_bundle

    root = C.find_corpora(corpora)
    if root is None:
        raise FileNotFoundError("corpora folder not found: pass --corpora PATH or set RHETORIX_CORPORA")
    tagger = train_tagger(root, load_bundle(bundle_dir).lexicon, C_reg)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tagger.npz"
        tagger.save(path)
        add_files(bundle_dir, {"tagger.npz": path}, tagger_manifest(C_reg))
    return tagger
