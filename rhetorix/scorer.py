"""Score sentences and documents with a loaded model bundle."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from .cues import Cue, Lexicon
from .featurize import N_DENSE, featurize
from .persist import Bundle, BundleError, load_bundle

__all__ = ["Scorer", "SentenceScore", "DocumentScore", "load"]

ATTRIBUTION_LABELS = ("named", "vague", "none")
#: Default longest sentence, in characters (see :class:`Scorer`).
MAX_CHARS = 100_000


@dataclass(frozen=True)
class SentenceScore:
    """Scores for one sentence.  Attribute names match the JSONL keys.

    Attributes
    ----------
    text : str
        The sentence.
    start, end : int
        Offsets of the sentence in the scored text (``0`` and ``len(text)`` for a
        sentence scored alone).
    opinion : float
        Probability that the sentence states an opinion rather than a fact.
    causal : float
        Probability that it asserts a cause-effect relation.
    attribution : str
        Most probable attribution: ``named``, ``vague`` or ``none``.
    attribution_scores : dict
        Probability of each attribution label.
    unattributed_causal : float
        ``causal * (1 - attribution_scores["named"])``.
    flags : dict
        Yes/no decisions for ``opinion``, ``causal`` and ``unattributed_causal``
        at the bundle's thresholds; ``unattributed_causal`` is only set for
        sentences flagged ``causal``.
    cues : list of Cue
        Spans supporting the scores, offsets into the scored text.
    """

    text: str
    start: int
    end: int
    opinion: float
    causal: float
    attribution: str
    attribution_scores: Dict[str, float]
    unattributed_causal: float
    flags: Dict[str, bool]
    cues: List[Cue] = field(default_factory=list)

    def to_dict(self) -> Dict[str, object]:
        """Return a JSON-ready dict with the keys of the JSONL output."""
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "opinion": self.opinion,
            "causal": self.causal,
            "attribution": self.attribution,
            "attribution_scores": dict(self.attribution_scores),
            "unattributed_causal": self.unattributed_causal,
            "flags": dict(self.flags),
            "cues": [c.to_dict() for c in self.cues],
        }


@dataclass(frozen=True)
class DocumentScore:
    """Scores for a document: its sentences (offsets into it) and a summary.

    The summary has ``sentences`` (count), ``words`` (whitespace-separated
    words in the sentences), ``opinion_share`` (share of sentences flagged as
    opinion), ``causal_claims`` and ``unattributed_causal_claims`` (counts of
    flagged sentences).

    Attributes
    ----------
    sentences : list of SentenceScore
    summary : dict
    text : str or None
        The scored text, kept by :meth:`Scorer.score_document` for
        :meth:`to_html` (not part of :meth:`to_dict`, equality or repr).
    """

    sentences: List[SentenceScore]
    summary: Dict[str, Union[int, float]]
    text: Optional[str] = field(default=None, repr=False, compare=False)

    def to_dict(self) -> Dict[str, object]:
        """Return a JSON-ready dict."""
        return {"sentences": [s.to_dict() for s in self.sentences], "summary": dict(self.summary)}

    def to_html(self, title: Optional[str] = None, full_page: bool = True) -> str:
        """The document as a self-contained HTML report (see :mod:`rhetorix.report`).

        Parameters
        ----------
        title : str, optional
            Heading of the report; default "rhetorix report".
        full_page : bool, default=True
            A whole HTML page; False gives a fragment to embed (what Jupyter shows).
        """
        from .report import document_html

        return document_html(self, title=title, full_page=full_page)

    def _repr_html_(self) -> str:
        return self.to_html(full_page=False)


def _summary(sentences: Sequence[SentenceScore]) -> Dict[str, Union[int, float]]:
    n = len(sentences)
    return {
        "sentences": n,
        "words": sum(len(s.text.split()) for s in sentences),
        "opinion_share": (sum(s.flags["opinion"] for s in sentences) / n) if n else 0.0,
        "causal_claims": sum(s.flags["causal"] for s in sentences),
        "unattributed_causal_claims": sum(s.flags["unattributed_causal"] for s in sentences),
    }


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


def _check_str(item, index: Optional[int] = None) -> str:
    if not isinstance(item, str):
        where = f"item {index}" if index is not None else "input"
        raise TypeError(f"{where} is {type(item).__name__}, expected str")
    return item


class Scorer:
    """Scores sentences and documents with a model bundle.

    Create it with :func:`rhetorix.load`; load once and reuse it: scoring does not
    change it, and it can be shared between threads.

    Parameters
    ----------
    bundle : Bundle
        A loaded model bundle.
    extra_cues : mapping of str to list of str, optional
        Extra lexicon entries by kind, added to the bundle's lexicons.  They show
        as cues and count in the cue features.
    max_chars : int or None, default=100_000
        Longest sentence scored as one.  Scoring takes time linear in the input
        length, but a "sentence" of a megabyte (a text without punctuation, an
        OCR dump) is not a sentence: :meth:`score_document` cuts such a span
        into consecutive pieces of at most `max_chars` characters (at a space
        when there is one in the last half of the window), so no text is lost
        and offsets stay exact; :meth:`score_sentences` raises ValueError for a
        longer item.  None turns the guard off.
    """

    def __init__(
        self,
        bundle: Bundle,
        extra_cues: Optional[Mapping[str, Iterable[str]]] = None,
        max_chars: Optional[int] = MAX_CHARS,
    ):
        if max_chars is not None and (not isinstance(max_chars, int) or max_chars < 1):
            raise ValueError(f"max_chars must be a positive int or None, got {max_chars!r}")
        self.max_chars = max_chars
        self.bundle = bundle
        self.lexicon: Lexicon = bundle.lexicon.extended(extra_cues) if extra_cues else bundle.lexicon
        feat = bundle.manifest.get("featurizer", {})
        self._n_hash = int(feat.get("n_features", 2**17))
        self._ngram_range = tuple(feat.get("ngram_range", (1, 2)))
        width = N_DENSE + self._n_hash
        for name, head in bundle.heads.items():
            if head.coef.shape[1] != width:
                raise BundleError(
                    f"model {name!r} expects {head.coef.shape[1]} features but the featurizer "
                    f"makes {width}; the bundle does not match this rhetorix version"
                )
        self.thresholds = {
            "opinion": 0.5, "causal": 0.5, "unattributed_causal": 0.5, **bundle.thresholds
        }
        att_classes = list(bundle.heads["attribution"].classes)
        self._att_index = [att_classes.index(c) for c in ATTRIBUTION_LABELS]
        # all heads' weights in one matrix: one pass over the features per batch
        self._heads = [bundle.heads[k] for k in ("opinion", "causal", "attribution")]
        self._coef = np.vstack([h.coef for h in self._heads])
        self._cuts = np.cumsum([h.coef.shape[0] for h in self._heads])[:-1]

    def __repr__(self) -> str:
        return f"Scorer(path={str(self.bundle.path)!r}, thresholds={self.thresholds})"

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
        if isinstance(sentences, str):
            raise TypeError("score_sentences expects a list of str; use score_document for one text")
        items = [_check_str(s, i) for i, s in enumerate(sentences)]
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
        cues, X = featurize(texts, self.lexicon, self._n_hash, self._ngram_range, offsets)
        z_op, z_ca, z_att = np.split(X.decision(self._coef), self._cuts, axis=1)
        op_head, ca_head, att_head = self._heads
        p_att_arr = att_head.proba_from_decision(z_att)[:, self._att_index]
        p_op = op_head.proba_from_decision(z_op)[:, 1].tolist()
        p_ca = ca_head.proba_from_decision(z_ca)[:, 1].tolist()
        p_att = p_att_arr.tolist()
        best_att = np.argmax(p_att_arr, axis=1).tolist()
        th_op, th_ca, th_un = (self.thresholds[k] for k in ("opinion", "causal", "unattributed_causal"))
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
                },
                cues=cues[i],
            )
            results.append(score)
        return results

    # -------------------------------------------------------------- documents
    def score_document(self, text: str) -> DocumentScore:
        """Split `text` into sentences and score them.

        Sentence and cue offsets index `text` itself.
        """
        from .segment import segment_spans

        _check_str(text)
        spans = segment_spans(text)
        if self.max_chars is not None:
            spans = [piece for s, e in spans for piece in _pieces(text, s, e, self.max_chars)]
        sents = self._score([text[s:e] for s, e in spans], [s for s, _ in spans])
        return DocumentScore(sents, _summary(sents), text)

    def score_documents(self, texts: Iterable[str]) -> List[DocumentScore]:
        """Score several documents; results in input order."""
        if isinstance(texts, str):
            raise TypeError("score_documents expects a list of str; use score_document for one text")
        items = [_check_str(t, i) for i, t in enumerate(texts)]
        return [self.score_document(t) for t in items]


_CACHE: Dict[str, Scorer] = {}
_CACHE_LOCK = threading.Lock()


def load(
    path: Optional[Union[str, os.PathLike]] = None,
    extra_cues: Optional[Mapping[str, Iterable[str]]] = None,
    lexicon_dir: Optional[Union[str, os.PathLike]] = None,
    max_chars: Optional[int] = MAX_CHARS,
) -> Scorer:
    """Load a model bundle and return a :class:`Scorer`.

    Parameters
    ----------
    path : path-like, optional
        A bundle folder written by ``rhetorix train``; the shipped model when None.
        Loading verifies every file's checksum and never executes code from it.
    extra_cues : mapping of str to list of str, optional
        Extra lexicon entries by cue kind, e.g. ``{"hedge": ["by all accounts"]}``.
    lexicon_dir : path-like, optional
        A folder of ``<kind>.txt`` files whose entries are added like `extra_cues`.
    max_chars : int or None, default=100_000
        Longest sentence scored as one (see :class:`Scorer`).

    Returns
    -------
    Scorer
        The shipped model without extras is loaded once per process and reused.

    Raises
    ------
    rhetorix.BundleError
        If the bundle is missing, damaged or of an unsupported format.
    """
    extras: Dict[str, List[str]] = {}
    if lexicon_dir is not None:
        extras.update(Lexicon.from_dir(lexicon_dir, require_all=False).entries)
    for kind, phrases in (extra_cues or {}).items():
        if isinstance(phrases, str):
            raise TypeError(f"extra_cues[{kind!r}] must be a list of phrases, not a str")
        extras.setdefault(kind, []).extend(phrases)
    if path is None and not extras and max_chars == MAX_CHARS:
        with _CACHE_LOCK:
            if "default" not in _CACHE:
                _CACHE["default"] = Scorer(load_bundle(None))
            return _CACHE["default"]
    return Scorer(load_bundle(path), extras or None, max_chars)
