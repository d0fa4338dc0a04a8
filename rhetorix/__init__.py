"""rhetorix: how a piece of writing argues, sentence by sentence.

Scores English sentences for opinion versus fact, causal claims, attribution
(named, vague or none) and unattributed causal claims, and reports the cue
spans behind every score.

>>> import rhetorix
>>> scorer = rhetorix.load()                        # doctest: +SKIP
>>> doc = scorer.score_document("Sanctions caused the crisis, experts say.")  # doctest: +SKIP
"""

from ._version import __version__
from .cues import Cue, Lexicon
from .features import CueFeatures, NgramFeatures, SentenceFeaturizer, StyleFeatures
from .persist import BundleError
from .scorer import DocumentScore, Scorer, SentenceScore, load
from .segment import SentenceSegmenter

__all__ = [
    "__version__",
    "load",
    "Scorer",
    "SentenceScore",
    "DocumentScore",
    "Cue",
    "Lexicon",
    "BundleError",
    "SentenceSegmenter",
    "CueFeatures",
    "StyleFeatures",
    "NgramFeatures",
    "SentenceFeaturizer",
]
