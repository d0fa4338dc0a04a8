"""Cue spans: lexicon phrases (opinion markers, hedges, causal connectives, ...) and named sources.

:class:`Lexicon` holds the phrases (:mod:`.lexicon`) and compiles them into an
automaton (:mod:`.automaton`); :mod:`.finder` matches it over a batch of
sentences; :mod:`.sources` finds named sources next to attribution cues.
"""

from .cue import CUE_KINDS, LEXICON_KINDS, Cue
from .lexicon import Lexicon

__all__ = ["Cue", "Lexicon", "CUE_KINDS", "LEXICON_KINDS"]
