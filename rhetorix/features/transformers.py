"""scikit-learn transformers that turn sentences into feature matrices.

Each transformer takes an iterable of ``str`` (one sentence each) and follows
scikit-learn's conventions, so it can sit in a user's own
:class:`~sklearn.pipeline.Pipeline`:

>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.linear_model import LogisticRegression
>>> model = make_pipeline(CueFeatures(), LogisticRegression())  # doctest: +SKIP

None of them learns anything from data (n-grams are hashed, counts are
log-scaled), so ``fit`` only validates its input.  :class:`SentenceFeaturizer`
stacks the three blocks used by the shipped models.  The feature code itself
lives in :mod:`rhetorix.features.featurize`, which needs only numpy; these
transformers need scikit-learn and scipy (``pip install 'rhetorix[train]'``).
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..errors import extra_required

try:
    import scipy.sparse as sp
    from sklearn.base import BaseEstimator, TransformerMixin
except ImportError:  # pragma: no cover - depends on the environment
    raise extra_required("train", "rhetorix's scikit-learn transformers") from None

from ..cues.cue import Cue
from ..cues.finder import find_cues
from ..cues.lexicon import Lexicon
from .featurize import CUE_NAMES, STYLE_NAMES, cue_row, featurize, ngram_features, style_features

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


class CueFeatures(_Stateless):
    """Counts and positions of cue spans, by kind.

    For each kind in :data:`rhetorix.cues.cue.CUE_KINDS`: ``log1p`` of its count and
    whether one starts in the first quarter of the sentence; plus a few
    interactions (causal cue with a named, vague or no source).

    Parameters
    ----------
    lexicon : Lexicon, optional
        Cue lexicon; the packaged one when None.
    """

    def __init__(self, lexicon: Optional[Lexicon] = None):
        self.lexicon = lexicon

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(CUE_NAMES, dtype=object)

    def transform(self, X) -> np.ndarray:
        """Return a dense ``(n_sentences, n_features)`` array."""
        lex = self.lexicon if self.lexicon is not None else Lexicon.default()
        texts = _check_texts(X)
        rows = [cue_row(t, cues) for t, cues in zip(texts, find_cues(texts, lex.automaton))]
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(CUE_NAMES))


class StyleFeatures(_Stateless):
    """Stylistic features: person, modality, numbers and dates, quotes, punctuation, length.

    Counts are ``log1p``-scaled and ratios lie in [0, 1], so no scaler is needed.
    """

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(STYLE_NAMES, dtype=object)

    def transform(self, X) -> np.ndarray:
        """Return a dense ``(n_sentences, n_features)`` array."""
        return style_features(_check_texts(X))


class NgramFeatures(_Stateless):
    """Hashed n-grams of word and punctuation tokens (binary, L2-normalised).

    Tokens are lowercased, curly apostrophes made straight and digits folded to
    ``0``.  Hashing needs no vocabulary, so the model file holds no text.

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

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray([f"ngram_hash_{i}" for i in range(self.n_features)], dtype=object)

    def fit(self, X, y=None):
        _check_texts(X)
        self.n_features_out_ = self.n_features
        return self

    def transform(self, X) -> sp.csr_matrix:
        """Return a sparse ``(n_sentences, n_features)`` CSR matrix."""
        texts = _check_texts(X)
        rows, cols, values = ngram_features(texts, self.n_features, tuple(self.ngram_range))
        return sp.csr_matrix((values, (rows, cols)), shape=(len(texts), self.n_features))


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

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.concatenate([
            CueFeatures().get_feature_names_out(),
            StyleFeatures().get_feature_names_out(),
            NgramFeatures(self.n_features).get_feature_names_out(),
        ])

    def transform(self, X) -> sp.csr_matrix:
        """Return a sparse CSR matrix: cue, style and n-gram blocks side by side."""
        return self.analyze(_check_texts(X))[1]

    def analyze(
        self, texts: Sequence[str], offsets: Optional[Sequence[int]] = None
    ) -> Tuple[List[List[Cue]], sp.csr_matrix]:
        """The cues of each text (offsets shifted by ``offsets[i]``) and the matrix of :meth:`transform`."""
        lex = self.lexicon if self.lexicon is not None else Lexicon.default()
        cues, rows = featurize(texts, lex, self.n_features, tuple(self.ngram_range), offsets)
        return cues, rows.tocsr()
