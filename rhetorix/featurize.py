"""Sentence features with numpy alone: cue, style and hashed n-gram blocks.

This is the feature code of the shipped models, used both to train them and to
score with them.  Scoring imports neither scikit-learn nor scipy: a batch of
sentences becomes a :class:`FeatureRows` (a dense block plus the hashed n-gram
columns of each row), and a linear model is applied to it directly.  The
scikit-learn transformers in :mod:`rhetorix.features` wrap these functions.

Speed comes from doing per-token work once per distinct token: each token is
looked up in a per-lexicon table holding, packed in one int, its n-gram hash
(CRC-32 of the lowercased token, digits folded to ``0``), its style flags and
whether a cue can start at it.  The style and n-gram blocks are then computed
with numpy for the whole batch, and the cue finder only runs on sentences with
a token that can start a cue.  N-grams are hashed, so the model holds no text
and no vocabulary.
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .cues import _SPLIT_RE, LEXICON_KINDS, Cue, Lexicon, _straight, tokens_from_parts

__all__ = ["FeatureRows", "featurize", "style_features", "ngram_features", "N_DENSE"]

# --------------------------------------------------------------------- cue block
_CUE_COUNT_KINDS = LEXICON_KINDS + ("named_source",)
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
#   bits 39-49  the flags _IS_WORD ... _CUE_OPEN
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
# cue flags: a cue may start at the token; one ends at it ("clearly"); or the
# second token of a cue starting at it is a prefix entry, so it cannot be checked by hash
_CUE_START, _CUE_ALONE, _CUE_OPEN = range(47, 50)
_LEN_SHIFT = 52
_TABLE_MAX = 500_000
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


def _pack(token: str, lexicon: Lexicon) -> int:
    """The packed description of one token (see the layout above)."""
    w = _straight(token).lower()
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
    nodes = lexicon._root.step(w)
    if nodes:
        v |= 1 << _CUE_START
        if any(node.kinds for node in nodes):
            v |= 1 << _CUE_ALONE
        literal = lexicon._root.children.get(w)
        if any(node.prefixes or (node is not literal and node.children) for node in nodes):
            v |= 1 << _CUE_OPEN  # the next token cannot be checked against _cue_pairs
    return v | (min(len(token), 255) << _LEN_SHIFT)


def _token_table(lexicon: Lexicon) -> Dict[str, int]:
    """Per-lexicon cache of packed tokens (plain dict: safe to share between threads)."""
    table = lexicon.__dict__.get("_packed_tokens")
    if table is None:
        table = lexicon.__dict__.setdefault("_packed_tokens", {})
    return table


def _token_hash(word: str) -> int:
    return zlib.crc32(_DIGITS.sub("0", word).encode("utf-8", "surrogatepass"))


def _mix(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Hash of a token pair (or n-gram and token) from their hashes."""
    with np.errstate(over="ignore"):
        return (first * _MIX1 + second * _MIX2) >> _SHIFT


def _cue_pairs(lexicon: Lexicon) -> np.ndarray:
    """Sorted pair hashes of the first two literal tokens of every multi-token entry."""
    pairs = lexicon.__dict__.get("_cue_pairs")
    if pairs is None:
        first, second = [], []
        for w1, node in lexicon._root.children.items():
            for w2 in node.children:
                first.append(_token_hash(w1))
                second.append(_token_hash(w2))
        pairs = np.unique(_mix(np.asarray(first, dtype=np.uint64), np.asarray(second, dtype=np.uint64)))
        lexicon.__dict__["_cue_pairs"] = pairs
    return pairs


def _packed_tokens(
    texts: Sequence[str], lexicon: Lexicon
) -> Tuple[np.ndarray, np.ndarray, List[List[str]]]:
    """Packed tokens of all `texts` in one flat array, the token count of each text,
    and each text split by ``_SPLIT_RE`` (gaps and tokens alternating)."""
    table = _token_table(lexicon)
    if len(table) > _TABLE_MAX:
        table.clear()  # bounds memory on endless vocabularies
    get = table.get
    split = _SPLIT_RE.split
    packed: List[int] = []
    all_parts: List[List[str]] = []
    lengths = np.empty(len(texts), dtype=np.int64)
    for i, t in enumerate(texts):
        parts = split(t)
        all_parts.append(parts)
        toks = parts[1::2]
        lengths[i] = len(toks)
        vals = list(map(get, toks))
        if None in vals:
            for j, v in enumerate(vals):
                if v is None:
                    vals[j] = table[toks[j]] = _pack(toks[j], lexicon)
        packed.extend(vals)
    return np.fromiter(packed, dtype=np.uint64, count=len(packed)), lengths, all_parts


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

    def decision(self, coef: np.ndarray) -> np.ndarray:
        """``X @ coef.T`` for `coef` of shape ``(k, n_features)``; returns ``(n_rows, k)``."""
        coef = np.asarray(coef, dtype=np.float64)
        if coef.ndim != 2 or coef.shape[1] != self.n_features:
            raise ValueError(f"coef must have shape (k, {self.n_features}), got {coef.shape}")
        # an explicit sum, not BLAS, so each row's result does not depend on the batch
        out = (self.dense[:, None, :] * coef[None, :, :N_DENSE]).sum(axis=2)
        sparse = coef[:, N_DENSE:]
        for k in range(coef.shape[0]):
            out[:, k] += np.bincount(
                self.rows, weights=sparse[k, self.cols] * self.values, minlength=len(self)
            )
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

    Returns
    -------
    cues : list of list of Cue
    features : FeatureRows
    """
    n = len(texts)
    offsets = offsets if offsets is not None else [0] * n
    packed, lengths, parts = _packed_tokens(texts, lexicon)
    # the cue finder runs only on sentences with a token that can start a cue
    h = packed & _LOW32
    next_pair = np.zeros(len(packed), dtype=bool)
    next_pair[:-1] = np.isin(_mix(h[:-1], h[1:]), _cue_pairs(lexicon), assume_unique=False)
    candidates = np.flatnonzero(
        (_bit(packed, _CUE_ALONE) + _bit(packed, _CUE_OPEN) > 0)
        | ((_bit(packed, _CUE_START) > 0) & next_pair)
    )
    ends = np.cumsum(lengths)
    bounds = np.searchsorted(candidates, np.concatenate([ends - lengths, ends[-1:]])).tolist()
    candidates = candidates.tolist()
    cues: List[List[Cue]] = [[] for _ in range(n)]
    cue_block = np.tile(np.asarray(cue_row("", []), dtype=np.float64), (n, 1))
    base = (ends - lengths).tolist()
    for i in range(n):
        lo, hi = bounds[i], bounds[i + 1]
        if lo == hi:
            continue
        t, o, b = texts[i], offsets[i], base[i]
        spans, words = tokens_from_parts(parts[i])
        cues[i] = lexicon.find_in_tokens(t, spans, words, o, [k - b for k in candidates[lo:hi]])
        cue_block[i] = cue_row(t, cues[i], o)
    dense = np.hstack([cue_block, _style_block(texts, packed, lengths)])
    rows, cols, values = _ngram_columns(packed, lengths, n_features, ngram_range)
    return cues, FeatureRows(dense, rows, cols, values, N_DENSE + n_features)


def style_features(texts: Sequence[str]) -> np.ndarray:
    """The style block of each text, shape ``(len(texts), len(STYLE_NAMES))``."""
    packed, lengths, _ = _packed_tokens(texts, Lexicon.default())
    return _style_block(texts, packed, lengths)


def ngram_features(
    texts: Sequence[str], n_features: int, ngram_range: Tuple[int, int] = (1, 2)
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The n-gram block of each text as ``(rows, cols, values)`` (see :class:`FeatureRows`)."""
    packed, lengths, _ = _packed_tokens(texts, Lexicon.default())
    return _ngram_columns(packed, lengths, n_features, ngram_range)
