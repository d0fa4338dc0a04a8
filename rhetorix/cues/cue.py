"""The cue span type and the cue kinds."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from operator import attrgetter
from typing import Dict, Optional, Tuple

__all__ = ["Cue", "Source", "LEXICON_KINDS", "CUE_KINDS", "SOURCE_KINDS", "TECHNIQUES", "WORD_TECHNIQUES",
           "make_cue", "cue_order"]

#: Cue kinds read from lexicon files, in a fixed order (feature order depends on it).
LEXICON_KINDS: Tuple[str, ...] = (
    "opinion_marker",
    "hedge",
    "intensifier",
    "causal_connective",
    "causal_verb",
    "attribution_cue",
    "vague_source",
)
#: The lexicon and source cue kinds (the fast tier's features count each, in this order).
CUE_KINDS: Tuple[str, ...] = LEXICON_KINDS + ("named_source",)
#: The persuasion techniques of the SemEval-2020 Task 11 corpus, spelled as the corpus spells them.
TECHNIQUES: Tuple[str, ...] = (
    "Appeal_to_Authority",
    "Appeal_to_fear-prejudice",
    "Bandwagon,Reductio_ad_hitlerum",
    "Black-and-White_Fallacy",
    "Causal_Oversimplification",
    "Doubt",
    "Exaggeration,Minimisation",
    "Flag-Waving",
    "Loaded_Language",
    "Name_Calling,Labeling",
    "Repetition",
    "Slogans",
    "Thought-terminating_Cliches",
    "Whataboutism,Straw_Men,Red_Herring",
)
#: Techniques marked by words: the words that mark one are a :class:`Cue` of that kind.
WORD_TECHNIQUES: Tuple[str, ...] = ("Loaded_Language", "Name_Calling,Labeling", "Exaggeration,Minimisation", "Doubt")


@dataclass(frozen=True)
class Cue:
    """A span of text that supports a score.

    Attributes
    ----------
    kind : str
        One of :data:`CUE_KINDS`, or of :data:`WORD_TECHNIQUES` for the words
        that mark a persuasion technique.
    start, end : int
        Character offsets into the caller's original text; ``text == source[start:end]``.
    text : str
        The matched text.
    """

    kind: str
    start: int
    end: int
    text: str

    def to_dict(self) -> Dict[str, object]:
        """Return the cue as a plain dict (JSON-ready)."""
        return asdict(self)


def make_cue(kind: str, start: int, end: int, text: str) -> Cue:
    """``Cue(kind, start, end, text)`` without the frozen dataclass's slow ``__init__``."""
    cue = object.__new__(Cue)
    cue.__dict__.update(kind=kind, start=start, end=end, text=text)
    return cue


#: Kinds of a :class:`Source`.
SOURCE_KINDS: Tuple[str, ...] = ("named", "vague")


@dataclass(frozen=True)
class Source:
    """Who a sentence's claim is attributed to: a source span and the cue it attaches to.

    Attributes
    ----------
    start, end : int
        Character offsets into the caller's text, as for :class:`Cue`.
    text : str
        The source as written ("Dana Cole, chief economist at Redfield Capital").
    kind : str
        ``named`` (a person or body a reader can check) or ``vague`` ("officials",
        "many experts"); see :func:`rhetorix.cues.sources.source_kind`.
    score : float
        The span finder's mean probability over the span's tokens.
    cue : Cue or None
        The attribution cue ("said", "believes", "according to") nearest the
        source, kind ``attribution_cue``; None when the finder saw no cue.
    refers_to : Source or None
        For a pronoun source ("..., he added"), the named source of an earlier
        sentence it continues (set by :meth:`rhetorix.Scorer.score_document`).
    """

    start: int
    end: int
    text: str
    kind: str
    score: float
    cue: Optional[Cue] = None
    refers_to: Optional[Source] = None

    def to_dict(self) -> Dict[str, object]:
        """Return the source as a plain dict (JSON-ready); `refers_to` without its own cue."""
        ref = self.refers_to
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "kind": self.kind,
            "score": self.score,
            "cue": self.cue.to_dict() if self.cue else None,
            "refers_to": {"start": ref.start, "end": ref.end, "text": ref.text} if ref else None,
        }


#: Sort key of cues: by start, then end, then kind.
cue_order = attrgetter("start", "end", "kind")
