"""What scoring returns: :class:`SentenceScore`, :class:`DocumentScore` and their summary.

Every model tier fills the same types; everything that consumes results (batch,
report, io, the command line) never asks which tier ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Union

from .cues.cue import Cue, Source

__all__ = ["Cue", "Source", "SentenceScore", "DocumentScore", "summarize", "SUMMARY_FIELDS"]

#: Fields of :attr:`DocumentScore.summary`, in order.
SUMMARY_FIELDS = (
    "sentences", "words", "opinion_share", "causal_claims", "unattributed_causal_claims", "named_sources",
    "vague_sources", "techniques", "techniques_per_1000_words",
)


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
        at the scorer's thresholds (``unattributed_causal`` is only set for
        sentences flagged ``causal``), and under ``techniques`` the list of
        persuasion techniques flagged (names as in :attr:`techniques`).
    cues : list of Cue
        Spans supporting the scores, offsets into the scored text.  Cues of
        kind ``named_source`` are the named :attr:`sources`; cues named for a
        word-marked technique (``Loaded_Language``, ...) are the words that
        mark it, in sentences flagged for it.
    sources : list of Source
        Who the sentence's claims are attributed to, each with its cue, offsets
        into the scored text (empty when none is found, or for a model without
        a span finder).
    techniques : dict
        Probability of each persuasion technique the model scores, by its
        SemEval-2020 Task 11 name (``Loaded_Language``, ...; empty for a model
        without technique heads).
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
    sources: List[Source] = field(default_factory=list)
    techniques: Dict[str, float] = field(default_factory=dict)

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
            "flags": {**self.flags, "techniques": list(self.flags.get("techniques", ()))},
            "cues": [c.to_dict() for c in self.cues],
            "sources": [s.to_dict() for s in self.sources],
            "techniques": dict(self.techniques),
        }


@dataclass(frozen=True)
class DocumentScore:
    """Scores for a document: its sentences (offsets into it) and a summary.

    The summary has ``sentences`` (count), ``words`` (whitespace-separated
    words in the sentences), ``opinion_share`` (share of sentences flagged as
    opinion), ``causal_claims`` and ``unattributed_causal_claims`` (counts of
    flagged sentences), ``named_sources`` and ``vague_sources`` (counts of
    source spans; a pronoun continuing a named source counts again).

    Attributes
    ----------
    sentences : list of SentenceScore
    summary : dict
    text : str or None
        The scored text, kept by :meth:`Scorer.score_document` for
        :meth:`to_html` (not part of :meth:`to_dict`, equality or repr).

    The summary is :func:`summarize` of the sentences.
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
        from .report.document import document_html  # the one import upwards: rendering is the report's job

        return document_html(self, title=title, full_page=full_page)

    def _repr_html_(self) -> str:
        return self.to_html(full_page=False)


def summarize(sentences: Sequence[SentenceScore]) -> Dict[str, Union[int, float]]:
    """The summary of a document's sentences (:attr:`DocumentScore.summary`).

    Parameters
    ----------
    sentences : sequence of SentenceScore

    Returns
    -------
    dict
        ``sentences``, ``words``, ``opinion_share``, ``causal_claims`` and
        ``unattributed_causal_claims``, ``named_sources`` and ``vague_sources``,
        ``techniques`` and ``techniques_per_1000_words`` (see :class:`DocumentScore`).
    """
    n = len(sentences)
    words = sum(len(s.text.split()) for s in sentences)
    techniques = sum(len(s.flags.get("techniques", ())) for s in sentences)
    return {
        "sentences": n,
        "words": words,
        "opinion_share": (sum(s.flags["opinion"] for s in sentences) / n) if n else 0.0,
        "causal_claims": sum(s.flags["causal"] for s in sentences),
        "unattributed_causal_claims": sum(s.flags["unattributed_causal"] for s in sentences),
        "named_sources": sum(src.kind == "named" for s in sentences for src in s.sources),
        "vague_sources": sum(src.kind == "vague" for s in sentences for src in s.sources),
        "techniques": techniques,
        "techniques_per_1000_words": 1000.0 * techniques / words if words else 0.0,
    }
