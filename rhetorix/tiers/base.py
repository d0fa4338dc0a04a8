"""What a model tier gives the scorer: probabilities and cues for a batch of sentences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Protocol, Sequence, Tuple

import numpy as np

from ..cues.cue import TECHNIQUES, Cue, Source, cue_order, make_cue
from ..cues.sources import source_kind_in
from ..cues.tagger import TaggedSpan, attach

__all__ = ["ATTRIBUTION_LABELS", "Predictions", "Model", "make_sources", "with_sources", "agree", "THRESHOLD_KINDS",
           "thresholds_of", "TECHNIQUES"]

#: Attribution classes, in the column order of :attr:`Predictions.attribution`.
ATTRIBUTION_LABELS = ("named", "vague", "none")


@dataclass
class Predictions:
    """A tier's output for ``n`` sentences.

    Attributes
    ----------
    opinion, causal : ndarray of shape (n,)
        P(opinion), P(causal claim).
    attribution : ndarray of shape (n, 3)
        P(named), P(vague), P(none) (columns in :data:`ATTRIBUTION_LABELS` order).
    cues : list of list of Cue
        The cue spans of each sentence, offsets into the caller's text.
    sources : list of list of Source, optional
        The sources of each sentence (None: the model finds none).
    techniques : ndarray of shape (n, len(technique_names)), optional
        P(technique) of each persuasion technique the model scores (None: it scores none).
    technique_names : tuple of str
        The columns of `techniques` (names from :data:`TECHNIQUES`).
    mark_techniques : callable, optional
        Given, per sentence, the techniques it is flagged for (a list of names
        each), the cues that mark them: spans of the words of the word-marked
        techniques (:mod:`rhetorix.tiers.techniques`), offsets as for `cues`.
        The scorer calls it once its thresholds have decided the flags.
    """

    opinion: np.ndarray
    causal: np.ndarray
    attribution: np.ndarray
    cues: List[List[Cue]]
    sources: Optional[List[List[Source]]] = None
    techniques: Optional[np.ndarray] = None
    technique_names: Tuple[str, ...] = ()
    mark_techniques: Optional[Callable[[Sequence[Sequence[str]]], List[List[Cue]]]] = None


def make_sources(texts: Sequence[str], offsets: Sequence[int],
                 spans: Sequence[Sequence[TaggedSpan]]) -> List[List[Source]]:
    """:class:`Source` objects from a span finder's spans (offsets into each text itself).

    Each source takes the nearest cue span of its sentence; sources in the
    writer's own voice ("I", "we") are dropped (:func:`~rhetorix.cues.sources.source_kind_in` gives None).
    """
    out: List[List[Source]] = []
    for text, o, found in zip(texts, offsets, spans):
        row = []
        for src, cue in attach(found):
            kind = source_kind_in(text, src.start, src.end)
            if kind is None:
                continue
            c = make_cue("attribution_cue", cue.start + o, cue.end + o, text[cue.start:cue.end]) if cue else None
            row.append(Source(src.start + o, src.end + o, text[src.start:src.end], kind, src.score, c))
        out.append(row)
    return out


def with_sources(cues: List[List[Cue]], sources: Sequence[Sequence[Source]]) -> List[List[Cue]]:
    """The cues of each sentence with the ``named_source`` cues replaced by its named sources."""
    out = []
    for cs, ss in zip(cues, sources):
        named = [make_cue("named_source", s.start, s.end, s.text) for s in ss if s.kind == "named"]
        if named or any(c.kind == "named_source" for c in cs):
            cs = sorted([c for c in cs if c.kind != "named_source"] + named, key=cue_order)
        out.append(cs)
    return out


def agree(attribution: np.ndarray, sources: Sequence[Sequence[Source]]) -> np.ndarray:
    """Make the attribution probabilities agree with the sources found.

    A sentence with a named source gets ``P(named) >= `` that source's score; one
    with only vague sources gets ``P(vague) >=`` their best score; the other
    classes shrink in proportion.  Sentences without sources keep the head's
    probabilities.  Columns in :data:`ATTRIBUTION_LABELS` order.
    """
    att = np.array(attribution, dtype=np.float64, copy=True)
    for i, ss in enumerate(sources):
        if not ss:
            continue
        named = [s.score for s in ss if s.kind == "named"]
        col, floor = (0, max(named)) if named else (1, max(s.score for s in ss))
        if att[i, col] >= floor:
            continue
        rest = 1.0 - att[i, col]
        att[i] *= (1.0 - floor) / rest if rest > 0 else 0.0
        att[i, col] = floor
    return att


class Model(Protocol):
    """The interface a :class:`~rhetorix.scorer.Scorer` drives.

    Attributes
    ----------
    name : str
        A short description for ``repr`` (the tier and where it was loaded from).
    thresholds : mapping of str to float
        The decision thresholds shipped with the model (``opinion``, ``causal``,
        ``unattributed_causal``, and one per persuasion technique it scores).
    """

    name: str
    thresholds: Mapping[str, float]

    def predict(self, texts: Sequence[str], offsets: Optional[Sequence[int]] = None) -> Predictions:
        """Probabilities and cues of each text, a sentence starting at ``offsets[i]`` in the caller's text."""
        ...  # pragma: no cover


#: The flags a threshold controls: a sentence is flagged when its score is at least the threshold.
THRESHOLD_KINDS = ("opinion", "causal", "unattributed_causal")


def thresholds_of(model: Model) -> Dict[str, float]:
    """A model's decision thresholds, 0.5 for any of :data:`THRESHOLD_KINDS` it has none for."""
    return {**dict.fromkeys(THRESHOLD_KINDS, 0.5), **model.thresholds}
