"""scikit-learn transformers that turn sentences into feature matrices.

Each transformer takes an iterable of ``str`` (one sentence each) and follows
scikit-learn's conventions, so it can sit in a user's own
:class:`~sklearn.pipeline.Pipeline`:

>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.linear_model import LogisticRegression
>>> model = make_pipeline(CueFeatures(), LogisticRegression())  # doctest: +SKIP

None of them learns anything from data (n-grams are hashed, counts are
log-scaled), so ``fit`` only validates its input.  :class:`SentenceFeaturizer`
stacks the three blocks used by the shipped models and can reuse cue spans the
scorer has already found.
"""

from __future__ import annotations

import math
import re
from typing import List, Optional, Sequence, Tuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer

from .cues import _APOSTROPHES, LEXICON_KINDS, Cue, Lexicon, tokens

__all__ = ["CueFeatures", "StyleFeatures", "NgramFeatures", "SentenceFeaturizer"]



def _check_texts(X) -> List[str]:
    if isinstance(X, str):
        raise TypeError("expected an iterable of str (one sentence each), got a single str")
    texts = list(X)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"item {i} is {type(t).__name__}, expected str")
    return texts


class _Stateless(TransformerMixin, BaseEstimator):
    """Shared fit for transformers that learn nothing from data."""

    def fit(self, X, y=None):
        """Check `X` and return self (nothing is learned)."""
        _check_texts(X)
        self.n_features_out_ = len(self.get_feature_names_out())
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = False
        return tags


# --------------------------------------------------------------------- cue block
_THIRD_PERSON = frozenset({"he", "she", "they", "it"})
_CUE_EXTRA = (
    "causal_any",
    "causal_and_named",
    "causal_and_vague",
    "causal_unattributed",
    "attribution_any",
    "attribution_pronoun_source",
    "attribution_unnamed",
)


def _cue_block(text: str, cues: Sequence[Cue], offset: int = 0) -> List[float]:
    counts = dict.fromkeys(LEXICON_KINDS + ("named_source",), 0)
    early = dict.fromkeys(counts, 0.0)
    limit = max(1, len(text)) * 0.25
    pronoun_source = 0.0
    for c in cues:
        counts[c.kind] += 1
        if c.start - offset <= limit:
            early[c.kind] = 1.0
        if c.kind == "attribution_cue":
            before = text[max(0, c.start - offset - 12):c.start - offset].lower().split()
            if before and before[-1].strip(",") in _THIRD_PERSON:
                pronoun_source = 1.0
    causal = float(counts["causal_connective"] + counts["causal_verb"] > 0)
    named = float(counts["named_source"] > 0)
    vague = float(counts["vague_source"] > 0)
    attrib = float(counts["attribution_cue"] > 0)
    row = [math.log1p(counts[k]) for k in counts] + [early[k] for k in counts]
    row += [
        causal,
        causal * named,
        causal * vague,
        causal * (1.0 - named),
        attrib,
        pronoun_source,
        attrib * (1.0 - named) * (1.0 - vague),
    ]
    return row


class CueFeatures(_Stateless):
    """Counts and positions of cue spans, by kind.

    For each kind in :data:`rhetorix.cues.CUE_KINDS`: ``log1p`` of its count and
    whether one starts in the first quarter of the sentence; plus a few
    interactions (causal cue with a named, vague or no source).

    Parameters
    ----------
    lexicon : Lexicon, optional
        Cue lexicon; the packaged one when None.
    """

    def __init__(self, lexicon: Optional[Lexicon] = None):
        self.lexicon = lexicon

    def _lexicon(self) -> Lexicon:
        return self.lexicon if self.lexicon is not None else Lexicon.default()

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        kinds = LEXICON_KINDS + ("named_source",)
        names = [f"cue_count_{k}" for k in kinds] + [f"cue_early_{k}" for k in kinds]
        return np.asarray(names + [f"cue_{n}" for n in _CUE_EXTRA], dtype=object)

    def transform(self, X) -> np.ndarray:
        """Return a dense ``(n_sentences, n_features)`` array."""
        lex = self._lexicon()
        texts = _check_texts(X)
        return self.transform_cues(texts, [lex.find(t) for t in texts])

    @staticmethod
    def transform_cues(texts: Sequence[str], cues: Sequence[Sequence[Cue]], offsets=None):
        """Features from cues already found (offsets relative to each text + offset)."""
        offsets = offsets or [0] * len(texts)
        rows = [_cue_block(t, c, o) for t, c, o in zip(texts, cues, offsets)]
        n = 2 * (len(LEXICON_KINDS) + 1) + len(_CUE_EXTRA)
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), n)


# ------------------------------------------------------------------- style block
_WORDSETS = {
    "first_person_singular": {"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"},
    "first_person_plural": {"we", "us", "our", "ours", "ourselves", "we're", "we've", "let's"},
    "second_person": {"you", "your", "yours", "yourself", "yourselves", "you're"},
    "third_person": {"he", "she", "him", "her", "his", "they", "them", "their"},
    "modal": {"would", "could", "should", "must", "may", "might", "can", "will", "shall",
              "ought", "cannot", "won't", "wouldn't", "shouldn't", "can't", "couldn't"},
    "negation": {"not", "no", "never", "nothing", "nobody", "none", "neither", "nor",
                 "don't", "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't"},
    "comparative": {"more", "most", "less", "least", "better", "best", "worse", "worst"},
}
_MONTHS = {"january", "february", "march", "april", "june", "july", "august", "september",
           "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
           "friday", "saturday", "sunday", "jan", "feb", "aug", "sept", "oct", "nov", "dec"}
_YEAR_RE = re.compile(r"(?:1[89]|20)\d\d")
_QUOTES = set('"\u201c\u201d\u00ab\u00bb')
_STYLE_NAMES = tuple(_WORDSETS) + (
    "numbers", "date", "percent", "quote", "starts_with_quote", "question", "exclamation",
    "length", "mean_word_length", "proper_noun_density", "ly_adverbs", "superlative_est",
    "colon_or_dash",
)


def _style_row(text: str, spans, words) -> List[float]:
    counts = dict.fromkeys(_WORDSETS, 0)
    numbers = date = percent = ly = est = caps = nwords = 0
    total_len = 0
    for idx, ((s, e), w) in enumerate(zip(spans, words)):
        if not w[0].isalnum() and w[0] != "_":
            if w == "%":
                percent = 1
            continue
        nwords += 1
        total_len += e - s
        for name, words_set in _WORDSETS.items():
            if w in words_set:
                counts[name] += 1
        if w[0].isdigit():
            numbers += 1
            if len(w) == 4 and _YEAR_RE.fullmatch(w):
                date = 1
        elif w in _MONTHS:
            date = 1
        elif w in ("percent", "cent"):
            percent = 1
        if len(w) > 4 and w.endswith("ly"):
            ly += 1
        if len(w) > 5 and w.endswith("est"):
            est += 1
        if idx > 0 and text[s].isupper():
            caps += 1
    stripped = text.strip()
    row = [math.log1p(counts[k]) for k in _WORDSETS]
    row += [
        math.log1p(numbers),
        float(date),
        float(percent),
        float(any(ch in _QUOTES for ch in text)),
        float(stripped[:1] in _QUOTES),
        float("?" in text),
        float("!" in text),
        math.log1p(nwords) / 4.0,
        (total_len / nwords) / 10.0 if nwords else 0.0,
        caps / nwords if nwords else 0.0,
        math.log1p(ly),
        math.log1p(est),
        float(":" in text or "\u2014" in text),
    ]
    return row


def _style_matrix(rows: List[List[float]]) -> np.ndarray:
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(_STYLE_NAMES))


class StyleFeatures(_Stateless):
    """Stylistic features: person, modality, numbers and dates, quotes, punctuation, length.

    Counts are ``log1p``-scaled and ratios lie in [0, 1], so no scaler is needed.
    """

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray([f"style_{n}" for n in _STYLE_NAMES], dtype=object)

    def transform(self, X) -> np.ndarray:
        """Return a dense ``(n_sentences, n_features)`` array."""
        return _style_matrix([_style_row(t, *tokens(t)) for t in _check_texts(X)])


# ------------------------------------------------------------------ n-gram block
_DIGITS = re.compile(r"\d")


def _preprocess(text: str) -> str:
    return _DIGITS.sub("0", text.translate(_APOSTROPHES).lower())


class NgramFeatures(_Stateless):
    """Hashed word n-grams (binary, L2-normalised), digits folded to ``0``.

    Hashing needs no vocabulary, so the model file holds no text.

    Parameters
    ----------
    n_features : int, default=2**17
        Number of hash buckets.
    ngram_range : tuple of int, default=(1, 2)
        Smallest and largest n.
    """

    def __init__(self, n_features: int = 2**17, ngram_range=(1, 2)):
        self.n_features = n_features
        self.ngram_range = ngram_range

    def _vectorizer(self) -> HashingVectorizer:
        return HashingVectorizer(
            n_features=self.n_features,
            ngram_range=tuple(self.ngram_range),
            alternate_sign=False,
            binary=True,
            norm="l2",
            preprocessor=_preprocess,
            token_pattern=r"(?u)\b\w+\b",
            dtype=np.float64,
        )

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray([f"ngram_hash_{i}" for i in range(self.n_features)], dtype=object)

    def fit(self, X, y=None):
        _check_texts(X)
        self.n_features_out_ = self.n_features
        return self

    def transform(self, X) -> sp.csr_matrix:
        """Return a sparse ``(n_sentences, n_features)`` CSR matrix."""
        texts = _check_texts(X)
        if not texts:
            return sp.csr_matrix((0, self.n_features), dtype=np.float64)
        return self._vectorizer().transform(texts).tocsr()


# ---------------------------------------------------------------- all together
class SentenceFeaturizer(_Stateless):
    """The features of the shipped models: cues, style and hashed n-grams, stacked.

    Parameters
    ----------
    lexicon : Lexicon, optional
        Cue lexicon; the packaged one when None.
    n_features : int, default=2**17
        Hash buckets for the n-gram block.
    ngram_range : tuple of int, default=(1, 2)
        n-gram sizes.
    """

    def __init__(self, lexicon: Optional[Lexicon] = None, n_features: int = 2**17, ngram_range=(1, 2)):
        self.lexicon = lexicon
        self.n_features = n_features
        self.ngram_range = ngram_range

    def _lexicon(self) -> Lexicon:
        return self.lexicon if self.lexicon is not None else Lexicon.default()

    def _ngrams(self) -> NgramFeatures:
        return NgramFeatures(self.n_features, self.ngram_range)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.concatenate([
            CueFeatures().get_feature_names_out(),
            StyleFeatures().get_feature_names_out(),
            self._ngrams().get_feature_names_out(),
        ])

    def transform(self, X) -> sp.csr_matrix:
        """Return a sparse CSR matrix: cue, style and n-gram blocks side by side."""
        return self.analyze(_check_texts(X))[1]

    def analyze(
        self, texts: Sequence[str], offsets: Optional[Sequence[int]] = None
    ) -> Tuple[List[List[Cue]], sp.csr_matrix]:
        """Find the cues of each text and featurise it, tokenising each text once.

        Returns the cues (offsets shifted by ``offsets[i]``, default 0) and the
        feature matrix of :meth:`transform`.
        """
        lex = self._lexicon()
        offsets = offsets or [0] * len(texts)
        cues, style = [], []
        for t, o in zip(texts, offsets):
            spans, words = tokens(t)
            cues.append(lex.find_in_tokens(t, spans, words, o))
            style.append(_style_row(t, spans, words))
        return cues, self._stack(texts, cues, offsets, style)

    def transform_with_cues(
        self, texts: Sequence[str], cues: Sequence[Sequence[Cue]], offsets: Optional[Sequence[int]] = None
    ) -> sp.csr_matrix:
        """Like :meth:`transform`, reusing cue spans already found for each text.

        ``cues[i]`` holds offsets into ``texts[i]`` shifted by ``offsets[i]``
        (default 0).
        """
        return self._stack(texts, cues, offsets, [_style_row(t, *tokens(t)) for t in texts])

    def _stack(self, texts, cues, offsets, style_rows) -> sp.csr_matrix:
        dense = np.hstack([CueFeatures.transform_cues(texts, cues, offsets), _style_matrix(style_rows)])
        return sp.hstack([sp.csr_matrix(dense), self._ngrams().transform(texts)], format="csr")
