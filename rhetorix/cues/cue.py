"""The cue span type and the cue kinds."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from operator import attrgetter
from typing import Dict, Tuple

__all__ = ["Cue", "LEXICON_KINDS", "CUE_KINDS", "make_cue", "cue_order"]

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
#: Every kind a :class:`Cue` can have.
CUE_KINDS: Tuple[str, ...] = LEXICON_KINDS + ("named_source",)


@dataclass(frozen=True)
class Cue:
    """A span of text that supports a score.

    Attributes
    ----------
    kind : str
        One of :data:`CUE_KINDS`.
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


#: Sort key of cues: by start, then end, then kind.
cue_order = attrgetter("start", "end", "kind")
