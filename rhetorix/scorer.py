"""Score sentences and documents: :class:`Scorer` and :func:`load`.

A :class:`Scorer` drives a model tier (an object with the interface of
:class:`rhetorix.tiers.base.Model`: texts in, probabilities and cues out) and
turns its output into :class:`~rhetorix.results.SentenceScore` and
:class:`~rhetorix.results.DocumentScore`, applying the thresholds and the
size guard.  A second kind of model plugs in here without touching results,
batch, report or the command line.
"""

from __future__ import annotations

import math
import numbers
import os
import threading
from dataclasses import replace
from types import MappingProxyType
from typing import Dict, Iterable, List, Mapping, Optional, Tuple, Union

import numpy as np

from .bundle import bundle_path, load_bundle
from .cues.cue import Source, cue_order
from .cues.lexicon import Lexicon
from .results import DocumentScore, SentenceScore, summarize
from .tiers.accurate import AccurateModel
from .tiers.base import ATTRIBUTION_LABELS, TECHNIQUES, THRESHOLD_KINDS, Model, thresholds_of
from .tiers.cascade import CascadeModel
from .tiers.fast import FastModel

__all__ = ["Scorer", "load", "link_pronoun_sources", "check_thresholds", "MAX_CHARS", "MODEL_NAMES", "LINK_WINDOW",
           "THRESHOLD_KINDS", "TECHNIQUES"]

#: Default longest sentence, in characters (see :class:`Scorer`).
MAX_CHARS = 100_000


def _pieces(text: str, start: int, end: int, max_chars: int) -> List[Tuple[int, int]]:
    """Cut ``text[start:end]`` into spans of at most `max_chars`, at spaces when possible."""
    out = []
    while end - start > max_chars:
        cut = start + max_chars
        space = text.rfind(" ", start + max_chars // 2, cut)
        if space > start:
            cut = space
        out.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        out.append((start, end))
    return out


_PRONOUNS = frozenset({"he", "she"})
#: How many sentences back a pronoun source ("he added") looks for the named source it continues.
LINK_WINDOW = 2


def link_pronoun_sources(sentences: List[SentenceScore]) -> List[SentenceScore]:
    """Link each he/she source to the named source it continues.

    A source that is only "he" or "she" takes as :attr:`Source.refers_to` the
    last named, non-pronoun source in the same sentence before it or in the
    :data:`LINK_WINDOW` sentences before; none is set when there is none.
    This is the common news pattern ("Dana Cole said ... . Prices will rise
    further, she added."); it does not check gender or number.
    """
    out: List[SentenceScore] = []
    recent: List[Tuple[int, Source]] = []  # (sentence index, named source)
    for k, sent in enumerate(sentences):
        recent = [(j, s) for j, s in recent if k - j <= LINK_WINDOW]
        changed = False
        sources = []
        for src in sent.sources:
            if src.text.lower() in _PRONOUNS:
                if recent:
                    src = replace(src, refers_to=recent[-1][1])
                    changed = True
            elif src.kind == "named":
                recent.append((k, src))
            sources.append(src)
        out.append(replace(sent, sources=sources) if changed else sent)
    return out


def check_thresholds(thresholds: Optional[Mapping[str, float]]) -> Dict[str, float]:
    """A checked copy of user thresholds: keys from :data:`THRESHOLD_KINDS` or :data:`TECHNIQUES`, numbers in [0, 1].

    Raises
    ------
    TypeError
        If `thresholds` is not a mapping, or a value is not a number.
    ValueError
        For an unknown flag or a value outside [0, 1].
    """
    if thresholds is None:
        return {}
    if not isinstance(thresholds, Mapping):
        raise TypeError(f"thresholds must be a mapping of flag to number, got {type(thresholds).__name__}")
    out = {}
    for kind, value in thresholds.items():
        if kind not in THRESHOLD_KINDS and kind not in TECHNIQUES:
            raise ValueError(f"unknown threshold {kind!r}; choose from {', '.join(THRESHOLD_KINDS)} "
                             "or a persuasion technique (rhetorix.TECHNIQUES)")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"threshold {kind!r} must be a number, got {type(value).__name__}")
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(f"threshold {kind!r} must be between 0 and 1, got {value}")
        out[kind] = float(value)
    return out


def _checked_items(items, method: str, hint: str) -> List[str]:
    """`items` as a list of str, or a TypeError naming what is wrong."""
    if isinstance(items, str):
        raise TypeError(f"{method} expects a list of str; {hint}")
    try:
        it = iter(items)
    except TypeError:
        raise TypeError(f"{method} expects a list of str, got {type(items).__name__}") from None
    return [_check_str(x, i) for i, x in enumerate(it)]


def _check_str(item, index: Optional[int] = None) -> str:
    if not isinstance(item, str):
        where = f"item {index}" if index is not None else "input"
        raise TypeError(f"{where} is {type(item).__name__}, expected str")
    return item


class Scorer:
    """Scores sentences and documents with a model tier.

    Create it with :func:`rhetorix.load`; load once and reuse it: scoring does not
    change it, and it can be shared between threads.

    Parameters
    ----------
    model : Model
        A model tier, e.g. :class:`rhetorix.tiers.fast.FastModel`.
    max_chars : int or None, default=100_000
        Longest sentence scored as one.  Scoring takes time linear in the input
        length, but a "sentence" of a megabyte (a text without punctuation, an
        OCR dump) is not a sentence: :meth:`score_document` cuts such a span
        into consecutive pieces of at most `max_chars` characters (at a space
        when there is one in the last half of the window), so no text is lost
        and offsets stay exact; :meth:`score_sentences` raises ValueError for a
        longer item.  None turns the guard off.
    thresholds : mapping of str to float, optional
        Decision thresholds that replace the model's own for some flags
        (keys from :data:`THRESHOLD_KINDS`, or the name of a persuasion
        technique the model scores; see :attr:`thresholds`).

    Raises
    ------
    TypeError, ValueError
        For a bad `max_chars` or `thresholds` (:func:`check_thresholds`), or a
        threshold for a technique the model does not score.
    """

    def __init__(self, model: Model, max_chars: Optional[int] = MAX_CHARS,
                 thresholds: Optional[Mapping[str, float]] = None):
        if max_chars is not None and (not isinstance(max_chars, int) or max_chars < 1):
            raise ValueError(f"max_chars must be a positive int or None, got {max_chars!r}")
        self.max_chars = max_chars
        self.model = model
        own = thresholds_of(model)
        checked = check_thresholds(thresholds)
        unscored = [k for k in checked if k not in own]
        if unscored:
            scored = [k for k in own if k in TECHNIQUES]
            raise ValueError(f"the model scores no technique {', '.join(map(repr, unscored))}; "
                             f"its techniques: {', '.join(scored) or 'none'}")
        self._thresholds = MappingProxyType({**own, **checked})

    @property
    def thresholds(self) -> Mapping[str, float]:
        """The decision thresholds, read-only: ``opinion``, ``causal``, ``unattributed_causal`` and one per technique.

        A sentence's flag is set when its score is at least the threshold
        (``unattributed_causal`` also needs the causal flag).  The model's own
        values unless replaced when the scorer was made; for other values,
        ``rhetorix.load(thresholds={...})`` (cheap: the model is shared).
        """
        return self._thresholds

    def __repr__(self) -> str:
        return f"Scorer(model={self.model.name!r}, thresholds={dict(self.thresholds)})"

    # -------------------------------------------------------------- sentences
    def score_sentences(self, sentences: Iterable[str], batch_size: int = 512) -> List[SentenceScore]:
        """Score each string as one sentence (no segmentation).

        Parameters
        ----------
        sentences : iterable of str
            The sentences; results come back in the same order.
        batch_size : int, default=512
            Sentences featurised at once; results do not depend on it.

        Returns
        -------
        list of SentenceScore
            Offsets are relative to each sentence (``start=0``, ``end=len(text)``).
        """
        items = _checked_items(sentences, "score_sentences", "use score_document for one text")
        if self.max_chars is not None:
            for i, s in enumerate(items):
                if len(s) > self.max_chars:
                    raise ValueError(
                        f"item {i} has {len(s):,} characters, more than max_chars={self.max_chars:,}; "
                        "score it with score_document, or raise max_chars"
                    )
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        out: List[SentenceScore] = []
        for b in range(0, len(items), batch_size):
            chunk = items[b:b + batch_size]
            out.extend(self._score(chunk, [0] * len(chunk)))
        return out

    def _score(self, texts: List[str], offsets: List[int]) -> List[SentenceScore]:
        """Score `texts`, each starting at ``offsets[i]`` in the caller's text."""
        if not texts:
            return []
        pred = self.model.predict(texts, offsets)
        p_op, p_ca, p_att = pred.opinion.tolist(), pred.causal.tolist(), pred.attribution.tolist()
        best_att = pred.attribution.argmax(axis=1).tolist()
        th_op, th_ca, th_un = (self.thresholds[k] for k in ("opinion", "causal", "unattributed_causal"))
        names = pred.technique_names if pred.techniques is not None else ()
        p_tech = pred.techniques.tolist() if names else [()] * len(texts)
        flagged: List[List[str]] = [[] for _ in texts]
        if names:
            hits = pred.techniques >= np.asarray([self.thresholds[k] for k in names])
            rows, cols = np.nonzero(hits)
            for i, j in zip(rows.tolist(), cols.tolist()):
                flagged[i].append(names[j])
        cues = pred.cues
        if pred.mark_techniques is not None and any(flagged):
            marks = pred.mark_techniques(flagged)
            cues = [sorted([*c, *m], key=cue_order) if m else c for c, m in zip(cues, marks)]
        results = []
        for i, text in enumerate(texts):
            named, vague, none = p_att[i]
            op, ca = p_op[i], p_ca[i]
            unatt = min(1.0, max(0.0, ca * (1.0 - named)))
            # fields set directly: a frozen dataclass's __init__ is slow, and this
            # is the innermost loop of batch scoring
            score = object.__new__(SentenceScore)
            score.__dict__.update(
                text=text,
                start=offsets[i],
                end=offsets[i] + len(text),
                opinion=op,
                causal=ca,
                attribution=ATTRIBUTION_LABELS[best_att[i]],
                attribution_scores={"named": named, "vague": vague, "none": none},
                unattributed_causal=unatt,
                flags={
                    "opinion": op >= th_op,
                    "causal": ca >= th_ca,
                    "unattributed_causal": ca >= th_ca and unatt >= th_un,
                    "techniques": flagged[i],
                },
                cues=cues[i],
                sources=pred.sources[i] if pred.sources is not None else [],
                techniques=dict(zip(names, p_tech[i])),
            )
            results.append(score)
        return results

    # -------------------------------------------------------------- documents
    def score_document(self, text: str) -> DocumentScore:
        """Split `text` into sentences and score them.

        Sentence and cue offsets index `text` itself.
        """
        from .text.segment import segment_spans  # here, not at import: it loads Punkt (0.1 s)

        _check_str(text)
        spans = segment_spans(text)
        if self.max_chars is not None:
            spans = [piece for s, e in spans for piece in _pieces(text, s, e, self.max_chars)]
        sents = link_pronoun_sources(self._score([text[s:e] for s, e in spans], [s for s, _ in spans]))
        return DocumentScore(sents, summarize(sents), text)

    def score_documents(self, texts: Iterable[str], progress: Optional[bool] = False) -> List[DocumentScore]:
        """Score several documents; results in input order.

        Parameters
        ----------
        texts : iterable of str
        progress : bool or None, default=False
            Show a progress bar on stderr, one step per document (None: when
            stderr is a terminal).
        """
        items = _checked_items(texts, "score_documents", "use score_document for one text")
        from .progress import progress_bar

        with progress_bar(len(items), "rhetorix", "doc", progress) as bar:
            out = []
            for t in items:
                out.append(self.score_document(t))
                bar.update(1)
        return out


#: Names of the shipped models :func:`load` takes besides a bundle folder.
MODEL_NAMES = ("fast", "accurate", "cascade")

_SHIPPED: Dict[Tuple[str, bool], Model] = {}  # (name, sources): models are never changed after loading
_SHIPPED_LOCK = threading.Lock()


def load(
    model: Optional[Union[str, os.PathLike]] = None,
    extra_cues: Optional[Mapping[str, Iterable[str]]] = None,
    lexicon_dir: Optional[Union[str, os.PathLike]] = None,
    max_chars: Optional[int] = MAX_CHARS,
    sources: bool = True,
    thresholds: Optional[Mapping[str, float]] = None,
) -> Scorer:
    """Load a model and return a :class:`Scorer`.

    Parameters
    ----------
    model : str or path-like, optional
        ``"fast"`` (the default: numpy only, thousands of sentences a second),
        ``"accurate"`` (a fine-tuned transformer; needs ``pip install
        'rhetorix[accurate]'``), ``"cascade"`` (the fast model everywhere, the
        accurate one where the fast one is unsure), or a bundle folder written by
        ``rhetorix train``.  Loading verifies every file's checksum and never
        executes code from the bundle.
    extra_cues : mapping of str to list of str, optional
        Extra lexicon entries by cue kind, e.g. ``{"hedge": ["by all accounts"]}``.
    lexicon_dir : path-like, optional
        A folder of ``<kind>.txt`` files whose entries are added like `extra_cues`.
    max_chars : int or None, default=100_000
        Longest sentence scored as one (see :class:`Scorer`).
    sources : bool, default=True
        Find each sentence's sources (and make its attribution agree with
        them).  False leaves ``sources`` empty and the attribution the head's
        own: the fast tier then scores about 1.4 times as fast (README,
        Performance).
    thresholds : mapping of str to float, optional
        Decision thresholds replacing the model's for some flags, e.g.
        ``{"causal": 0.3}`` to flag more causal claims (recall) or
        ``{"unattributed_causal": 0.7}`` to flag fewer (precision).  Keys from
        :data:`THRESHOLD_KINDS` or a persuasion technique the model scores
        (``{"Loaded_Language": 0.8}``), values in [0, 1].  The shipped values
        and what each trades are in the README (Thresholds).

    Returns
    -------
    Scorer
        A new scorer each call; a shipped model without extras is loaded once
        per process and shared by these scorers (it is never changed).

    Raises
    ------
    rhetorix.BundleError
        If the bundle is missing, damaged or of an unsupported format.
    ImportError
        For ``"accurate"`` or ``"cascade"`` without the accurate extra (naming it).
    TypeError, ValueError
        For bad `thresholds` or `max_chars`, or a threshold for a technique the
        model does not score.
    """
    checked = check_thresholds(thresholds)  # before any loading: a typo fails at once
    extras: Dict[str, List[str]] = {}
    if lexicon_dir is not None:
        extras.update(Lexicon.from_dir(lexicon_dir, require_all=False).entries)
    for kind, phrases in (extra_cues or {}).items():
        if isinstance(phrases, str):
            raise TypeError(f"extra_cues[{kind!r}] must be a list of phrases, not a str")
        extras.setdefault(kind, []).extend(phrases)
    name = "fast" if model is None else model
    if isinstance(name, str) and name in MODEL_NAMES and not extras:
        with _SHIPPED_LOCK:
            if (name, sources) not in _SHIPPED:
                _SHIPPED[name, sources] = _model(name, None, sources)
            return Scorer(_SHIPPED[name, sources], max_chars, checked)
    return Scorer(_model(name, extras or None, sources), max_chars, checked)


def _model(name: Union[str, os.PathLike], extras: Optional[Mapping[str, Iterable[str]]], sources: bool = True) -> Model:
    if isinstance(name, str) and name == "cascade":
        return CascadeModel(_model("fast", extras, sources), _model("accurate", extras, sources))
    path = bundle_path(name) if isinstance(name, str) and name in MODEL_NAMES else name
    bundle = load_bundle(path)
    if bundle.tier == "accurate":
        return AccurateModel(bundle, extras, sources=sources)
    return FastModel(bundle, extras, sources=sources)
