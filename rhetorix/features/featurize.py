"""Sentence features with numpy alone: cue, style and hashed n-gram blocks.

This is the feature code of the shipped models, used both to train them and to
score with them.  Scoring imports neither scikit-learn nor scipy: a batch of
sentences becomes a :class:`FeatureRows` (a dense block plus the hashed n-gram
columns of each row), and a linear model is applied to it directly.  The
scikit-learn transformers in :mod:`rhetorix.features.transformers` wrap these functions.

Speed comes from doing per-token work once per distinct token: each token is
looked up in a table holding, packed in one int, its n-gram hash (CRC-32 of
the lowercased token, digits folded to ``0``) and its style flags.  The style and n-gram blocks are then computed
with numpy for the whole batch, and cues are matched for the whole batch at once
by :mod:`rhetorix.cues.finder`.  N-grams are hashed, so the model holds no text and
no vocabulary.
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from ..cues.cue import CUE_KINDS, Cue
from ..cues.finder import cue_codes, match
from ..cues.lexicon import Lexicon
from ..text.tokens import TokenBatch, memo_map, straight

__all__ = [
    "FeatureRows", "Weights", "featurize", "cue_row", "style_features", "ngram_features",
    "CUE_NAMES", "STYLE_NAMES", "N_DENSE",
]

# --------------------------------------------------------------------- cue block
_CUE_COUNT_KINDS = CUE_KINDS
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
CUE_NAMES: Tuple[str, ...] = tuple(
    [f"cue_count_{k}" for k in _CUE_COUNT_KINDS]
    + [f"cue_early_{k}" for k in _CUE_COUNT_KINDS]
    + [f"cue_{n}" for n in _CUE_EXTRA]
)


_KIND_INDEX = {k: i for i, k in enumerate(_CUE_COUNT_KINDS)}
_I_CONN, _I_VERB, _I_ATTR, _I_VAGUE, _I_NAMED = (
    _KIND_INDEX[k] for k in ("causal_connective", "causal_verb", "attribution_cue", "vague_source", "named_source")
)


def cue_row(text: str, cues: Sequence[Cue], offset: int = 0) -> List[float]:
    """Cue features of one sentence whose cues are offset by `offset`."""
    counts = [0] * len(_CUE_COUNT_KINDS)
    early = [0.0] * len(_CUE_COUNT_KINDS)
    limit = max(1, len(text)) * 0.25
    pronoun_source = 0.0
    for c in cues:
        k = _KIND_INDEX[c.kind]
        counts[k] += 1
        if c.start - offset <= limit:
            early[k] = 1.0
        if k == _I_ATTR and not pronoun_source:
            before = text[max(0, c.start - offset - 12):c.start - offset].lower().split()
            if before and before[-1].strip(",") in _THIRD_PERSON:
                pronoun_source = 1.0
    causal = float(counts[_I_CONN] + counts[_I_VERB] > 0)
    named = float(counts[_I_NAMED] > 0)
    vague = float(counts[_I_VAGUE] > 0)
    attrib = float(counts[_I_ATTR] > 0)
    row = [math.log1p(n) if n else 0.0 for n in counts]
    row += early
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


# ------------------------------------------------------------------ token table
# Everything the style and n-gram blocks need from a token is a function of the
# token alone, so it is computed once per distinct token and packed in one int:
#   bits 0-31   CRC-32 of the lowercased token, digits folded to 0 (the n-gram hash)
#   bits 32-38  membership of the word sets below
#   bits 39-46  the flags _IS_WORD ... _CAP
#   bits 52-59  token length (capped at 255)
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
_MONTHS = frozenset({
    "january", "february", "march", "april", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "jan", "feb", "aug", "sept", "oct", "nov", "dec",
})
_YEAR_RE = re.compile(r"(?:1[89]|20)\d\d")
_DIGITS = re.compile(r"\d")
_QUOTES = frozenset('"\u201c\u201d\u00ab\u00bb')
_N_SETS = len(_WORDSETS)
_IS_WORD, _NUMBER, _YEAR, _MONTH, _PERCENT, _LY, _EST, _CAP = range(39, 47)
_LEN_SHIFT = 52
_MIX1 = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xC2B2AE3D27D4EB4F)
_SHIFT = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)

STYLE_NAMES: Tuple[str, ...] = tuple(f"style_{n}" for n in tuple(_WORDSETS) + (
    "numbers", "date", "percent", "quote", "starts_with_quote", "question", "exclamation",
    "length", "mean_word_length", "proper_noun_density", "ly_adverbs", "superlative_est",
    "colon_or_dash",
))
N_DENSE = len(CUE_NAMES) + len(STYLE_NAMES)


def _pack(token: str) -> int:
    """The packed description of one token (see the layout above)."""
    w = straight(token).lower()
    v = _token_hash(w)
    for k, words in enumerate(_WORDSETS.values()):
        if w in words:
            v |= 1 << (32 + k)
    c = w[0]
    if c.isalnum() or c == "_":
        v |= 1 << _IS_WORD
        if c.isdigit():
            v |= 1 << _NUMBER
            if len(w) == 4 and _YEAR_RE.fullmatch(w):
                v |= 1 << _YEAR
        elif w in _MONTHS:
            v |= 1 << _MONTH
        if w in ("percent", "cent"):
            v |= 1 << _PERCENT
        if len(w) > 4 and w.endswith("ly"):
            v |= 1 << _LY
        elif len(w) > 5 and w.endswith("est"):
            v |= 1 << _EST
        if token[0].isupper():
            v |= 1 << _CAP
    elif w == "%":
        v |= 1 << _PERCENT
    return v | (min(len(token), 255) << _LEN_SHIFT)


# packed tokens seen so far (a plain dict: safe to share between threads)
_TABLE: Dict[str, int] = {}


def _token_hash(word: str) -> int:
    return zlib.crc32(_DIGITS.sub("0", word).encode("utf-8", "surrogatepass"))


def _mix(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Hash of a token pair (or n-gram and token) from their hashes."""
    with np.errstate(over="ignore"):
        return (first * _MIX1 + second * _MIX2) >> _SHIFT


def _packed(batch: TokenBatch) -> np.ndarray:
    """The packed description of every token of `batch`."""
    return np.fromiter(memo_map(_pack, batch.flat, _TABLE), dtype=np.uint64, count=len(batch.flat))


def _bit(packed: np.ndarray, k: int) -> np.ndarray:
    return ((packed >> np.uint64(k)) & np.uint64(1)).astype(np.float64)


def _style_block(texts: Sequence[str], packed: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Style features of each text from its packed tokens."""
    n = len(texts)
    ends = np.cumsum(lengths)
    begins = ends - lengths
    is_word = _bit(packed, _IS_WORD)
    cap = _bit(packed, _CAP) * is_word
    cap[begins[lengths > 0]] = 0.0  # the first token of a sentence is capitalised anyway
    tok_len = ((packed >> np.uint64(_LEN_SHIFT)) & np.uint64(255)).astype(np.float64) * is_word
    cols = [_bit(packed, 32 + k) for k in range(_N_SETS)]
    cols += [is_word, tok_len, _bit(packed, _NUMBER), _bit(packed, _YEAR) + _bit(packed, _MONTH),
             _bit(packed, _PERCENT), _bit(packed, _LY), _bit(packed, _EST), cap]
    cs = np.zeros((len(cols), len(packed) + 1))
    np.cumsum(np.vstack(cols), axis=1, out=cs[:, 1:])  # rows are contiguous: fast cumsum
    sums = (cs[:, ends] - cs[:, begins]).T
    sets, nwords, total_len, numbers, date, percent, ly, est, caps = (
        sums[:, :_N_SETS], sums[:, _N_SETS], sums[:, _N_SETS + 1], sums[:, _N_SETS + 2],
        sums[:, _N_SETS + 3], sums[:, _N_SETS + 4], sums[:, _N_SETS + 5], sums[:, _N_SETS + 6],
        sums[:, _N_SETS + 7],
    )
    safe = np.maximum(nwords, 1.0)
    text_flags = np.asarray(
        [
            (
                not _QUOTES.isdisjoint(t),
                t.lstrip()[:1] in _QUOTES,
                "?" in t,
                "!" in t,
                ":" in t or "\u2014" in t,
            )
            for t in texts
        ],
        dtype=np.float64,
    ).reshape(n, 5)
    return np.column_stack([
        np.log1p(sets),
        np.log1p(numbers),
        np.minimum(date, 1.0),
        np.minimum(percent, 1.0),
        text_flags[:, 0],
        text_flags[:, 1],
        text_flags[:, 2],
        text_flags[:, 3],
        np.log1p(nwords) / 4.0,
        np.where(nwords > 0, total_len / safe / 10.0, 0.0),
        np.where(nwords > 0, caps / safe, 0.0),
        np.log1p(ly),
        np.log1p(est),
        text_flags[:, 4],
    ]).reshape(n, len(STYLE_NAMES))


# ------------------------------------------------------------------ n-gram block


def _ngram_columns(
    packed: np.ndarray, lengths: np.ndarray, n_features: int, ngram_range: Tuple[int, int] = (1, 2)
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hashed, binary, L2-normalised n-gram columns of each row.

    Returns ``(rows, cols, values)``: sorted by row, unique per row, each value
    ``1 / sqrt(number of distinct n-gram buckets in the row)``.
    """
    lo, hi = ngram_range
    if not 1 <= lo <= hi:
        raise ValueError(f"ngram_range must satisfy 1 <= min_n <= max_n, got {ngram_range!r}")
    empty = np.zeros(0, dtype=np.int64)
    if len(packed) == 0:
        return empty, empty, np.zeros(0)
    h = packed & _LOW32
    row_of = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    keys = []
    cur = h  # cur[i]: hash of the n-gram starting at flat position i
    for n in range(1, min(hi, int(lengths.max())) + 1):
        if n > 1:
            cur = _mix(cur[:-1], h[n - 1:])
        if n >= lo:
            valid = row_of[: len(cur)] == row_of[n - 1:]  # the n-gram stays inside its row
            buckets = (cur[valid] % np.uint64(n_features)).astype(np.int64)
            keys.append(row_of[: len(cur)][valid] * n_features + buckets)
    uniq = np.sort(np.concatenate(keys)) if keys else empty
    if len(uniq):
        uniq = uniq[np.concatenate(([True], uniq[1:] != uniq[:-1]))]
    rows = uniq // n_features
    cols = uniq % n_features
    per_row = np.bincount(rows, minlength=len(lengths))
    return rows, cols, 1.0 / np.sqrt(per_row[rows])


# ---------------------------------------------------------------- all together
class Weights(NamedTuple):
    """Linear weights laid out for :meth:`FeatureRows.decision` (prepare once, score many batches).

    Attributes
    ----------
    dense : ndarray of shape (k, N_DENSE)
        The weights of the dense columns.
    ngrams : ndarray of shape (n_buckets, k)
        The weights of the n-gram buckets, one C-ordered row per bucket, so that a
        non-zero entry reads its ``k`` weights at once.
    """

    dense: np.ndarray
    ngrams: np.ndarray

    @classmethod
    def of(cls, coef: np.ndarray) -> Weights:
        """The layout of `coef`, shape ``(k, n_features)``."""
        coef = np.asarray(coef, dtype=np.float64)
        if coef.ndim != 2 or coef.shape[1] < N_DENSE:
            raise ValueError(f"coef must have shape (k, n_features >= {N_DENSE}), got {coef.shape}")
        return cls(np.ascontiguousarray(coef[:, :N_DENSE]), np.ascontiguousarray(coef[:, N_DENSE:].T))


@dataclass
class FeatureRows:
    """Features of a batch of sentences: a dense block and hashed n-gram columns.

    Column ``j < N_DENSE`` is ``dense[:, j]``; n-gram bucket ``b`` is column
    ``N_DENSE + b``, with value ``values[k]`` in row ``rows[k]`` where
    ``cols[k] == b``.

    Attributes
    ----------
    dense : ndarray of shape (n_rows, N_DENSE)
    rows, cols : ndarray of int
        Non-zero n-gram entries, sorted by row.
    values : ndarray of float
    n_features : int
        Total width: ``N_DENSE`` plus the number of hash buckets.
    """

    dense: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    n_features: int

    def __len__(self) -> int:
        return self.dense.shape[0]

    def decision(self, coef: Union[np.ndarray, Weights]) -> np.ndarray:
        """``X @ coef.T`` for `coef` of shape ``(k, n_features)`` (or its :class:`Weights`); returns ``(n_rows, k)``."""
        w = coef if isinstance(coef, Weights) else Weights.of(coef)
        if w.dense.shape[1] + w.ngrams.shape[0] != self.n_features:
            raise ValueError(f"coef must have shape (k, {self.n_features}), got "
                             f"{(w.dense.shape[0], w.dense.shape[1] + w.ngrams.shape[0])}")
        # explicit sums, not BLAS, so each row's result does not depend on the batch
        out = (self.dense[:, None, :] * w.dense[None, :, :]).sum(axis=2)
        if len(self.cols):
            first = np.searchsorted(self.rows, np.arange(len(self)))  # each row's first entry
            filled = np.diff(np.append(first, len(self.rows))) > 0
            # one weight row per non-zero, summed per sentence in entry order
            out[filled] += np.add.reduceat(w.ngrams[self.cols] * self.values[:, None], first[filled], axis=0)
        return out

    def tocsr(self):
        """The whole matrix as a ``scipy.sparse`` CSR matrix (imports scipy)."""
        import scipy.sparse as sp

        n = len(self)
        dense = sp.csr_matrix(self.dense)
        ngrams = sp.csr_matrix(
            (self.values, (self.rows, self.cols)), shape=(n, self.n_features - N_DENSE)
        )
        return sp.hstack([dense, ngrams], format="csr")


def featurize(
    texts: Sequence[str],
    lexicon: Lexicon,
    n_features: int = 2**17,
    ngram_range: Tuple[int, int] = (1, 2),
    offsets: Optional[Sequence[int]] = None,
    batch: Optional[TokenBatch] = None,
    kinds_out: Optional[np.ndarray] = None,
) -> Tuple[List[List[Cue]], FeatureRows]:
    """Find the cues of each sentence and compute its features.

    Parameters
    ----------
    texts : sequence of str
        One sentence each.
    lexicon : Lexicon
        Cue lexicon.
    n_features : int, default=2**17
        Hash buckets for n-grams.
    ngram_range : tuple of int, default=(1, 2)
        Smallest and largest n-gram size.
    offsets : sequence of int, optional
        Added to the cue offsets of each text (its position in a larger string).
    batch : TokenBatch, optional
        ``TokenBatch.split(texts)``, when the caller has it already.
    kinds_out : ndarray of int, optional
        Filled with the lexicon kind of each token, as by
        :func:`rhetorix.cues.finder.match`.

    Returns
    -------
    cues : list of list of Cue
    features : FeatureRows
    """
    n = len(texts)
    offsets = offsets if offsets is not None else [0] * n
    batch = batch if batch is not None else TokenBatch.split(texts)
    auto = lexicon.automaton
    cues = match(texts, offsets, batch, cue_codes(batch, auto), auto, kinds_out)
    packed, lengths = _packed(batch), batch.lengths
    cue_block = np.tile(np.asarray(cue_row("", []), dtype=np.float64), (n, 1))
    for i, found in enumerate(cues):
        if found:
            cue_block[i] = cue_row(texts[i], found, offsets[i])
    dense = np.hstack([cue_block, _style_block(texts, packed, lengths)])
    rows, cols, values = _ngram_columns(packed, lengths, n_features, ngram_range)
    return cues, FeatureRows(dense, rows, cols, values, N_DENSE + n_features)


def style_features(texts: Sequence[str]) -> np.ndarray:
    """The style block of each text, shape ``(len(texts), len(STYLE_NAMES))``."""
    batch = TokenBatch.split(texts)
    return _style_block(texts, _packed(batch), batch.lengths)


def ngram_features(
    texts: Sequence[str], n_features: int, ngram_range: Tuple[int, int] = (1, 2)
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The n-gram block of each text as ``(rows, cols, values)`` (see :class:`FeatureRows`)."""
    batch = TokenBatch.split(texts)
    return _ngram_columns(_packed(batch), batch.lengths, n_features, ngram_range)
