"""Cue spans (opinion markers, hedges, causal connectives, ...) and who says so.

:class:`Lexicon` holds the phrases (:mod:`.lexicon`) and compiles them into an
automaton (:mod:`.automaton`); :mod:`.finder` matches it over a batch of
sentences; :mod:`.tagger` is the fast tier's learned source and cue span
finder; :mod:`.sources` holds the token rules and :func:`~.sources.source_kind`.
"""

from .cue import CUE_KINDS, LEXICON_KINDS, SOURCE_KINDS, Cue, Source
from .lexicon import Lexicon

__all__ = ["Cue", "Source", "Lexicon", "CUE_KINDS", "LEXICON_KINDS", "SOURCE_KINDS"]
