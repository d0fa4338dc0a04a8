"""rhetorix: how a piece of writing argues, sentence by sentence.

Scores English sentences for opinion versus fact, causal claims, attribution
(named, vague or none), unattributed causal claims and persuasion techniques,
and reports the cue spans behind every score, and who each claim is
attributed to (source spans).

>>> import rhetorix
>>> scorer = rhetorix.load()                        # doctest: +SKIP
>>> doc = scorer.score_document("Sanctions caused the crisis, experts say.")  # doctest: +SKIP
"""

from importlib import import_module as _import_module

from ._version import __version__

# Public names and the module that defines each.  They are imported on first
# use, so `rhetorix --version` and `import rhetorix` do not pay for loading
# scikit-learn and nltk until something needs them.
_EXPORTS = {
    "load": "scorer",
    "Scorer": "scorer",
    "SentenceScore": "results",
    "DocumentScore": "results",
    "summarize": "results",
    "Cue": "cues.cue",
    "Source": "cues.cue",
    "TECHNIQUES": "cues.cue",
    "Lexicon": "cues.lexicon",
    "BundleError": "errors",
    "BatchError": "errors",
    "ReportError": "errors",
    "score_frame": "frames",
    "run_batch": "batch",
    "score_stream": "batch",
    "BatchSummary": "batch",
    "document_html": "report.document",
    "index_html": "report.index",
    "read_batch_output": "io.readers",
    "SentenceSegmenter": "text.segment",
    "CueFeatures": "features.transformers",
    "StyleFeatures": "features.transformers",
    "NgramFeatures": "features.transformers",
    "SentenceFeaturizer": "features.transformers",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(_import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rhetorix' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
