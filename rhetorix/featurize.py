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
with numpy for the whole batch, and cues are matched for the whole batch at once
by :mod:`rhetorix.matcher`.  N-grams are hashed, so the model holds no text and
no vocabulary.
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass
from itertools import accumulate, chain
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .cues import (
    _CLAUSE_OPENERS,
    _CUE_ORDER,
    _NAME_JOINERS,
    _SPLIT_RE,
    LEXICON_KINDS,
    Cue,
    Lexicon,
    _cue,
    _straight,
    is_name_token,
    named_source_runs,
)
from .matcher import automaton

__all__ = ["FeatureRows", "featurize", "find_cues", "style_features", "ngram_features", "N_DENSE"]

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
#   bits 39-50  the flags _IS_WORD ... _JOINER
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
# for the cue matcher: a Capitalised (not ALL CAPS) token of two or more
# characters, which does not start a cue inside a clause ("Will Smith"); a
# token after which a clause opens; a token that can be part of a name, or join two
_NAME_CAP, _OPENS_CLAUSE, _NAME_WORD, _JOINER = 47, 48, 49, 50
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
    if len(token) > 1 and token[0].isupper() and not token[1:].isupper():
        v |= 1 << _NAME_CAP
    if w[-1:] in _CLAUSE_OPENERS:
        v |= 1 << _OPENS_CLAUSE
    if is_name_token(token):
        v |= 1 << _NAME_WORD
    if w in _NAME_JOINERS:
        v |= 1 << _JOINER
    return v | (min(len(token), 255) << _LEN_SHIFT)


def _token_tables(lexicon: Lexicon) -> Tuple[Dict[str, int], Dict[str, int]]:
    """Per-lexicon caches of packed tokens and of their matcher classes (plain dicts:
    safe to share between threads)."""
    tables = lexicon.__dict__.get("_token_tables")
    if tables is None:
        tables = lexicon.__dict__.setdefault("_token_tables", ({}, {}))
    return tables


def _token_hash(word: str) -> int:
    return zlib.crc32(_DIGITS.sub("0", word).encode("utf-8", "surrogatepass"))


def _mix(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Hash of a token pair (or n-gram and token) from their hashes."""
    with np.errstate(over="ignore"):
        return (first * _MIX1 + second * _MIX2) >> _SHIFT


def _packed_tokens(
    texts: Sequence[str], lexicon: Lexicon
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, List[List[str]]]:
    """The tokens of all `texts` as flat arrays of packed descriptions and of
    matcher classes, the token count of each text, and each text split by
    ``_SPLIT_RE`` (gaps and tokens alternating)."""
    table, classes = _token_tables(lexicon)
    if len(table) > _TABLE_MAX:  # bounds memory on endless vocabularies
        table.clear()
        classes.clear()
    all_parts = list(map(_SPLIT_RE.split, texts))
    tokens = [parts[1::2] for parts in all_parts]
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(texts))
    flat = list(chain.from_iterable(tokens))
    vals = list(map(table.get, flat))
    cls = list(map(classes.get, flat))
    if None in vals or None in cls:  # tokens not seen before (or tables cleared meanwhile)
        auto = automaton(lexicon)
        for j, tok in enumerate(flat):
            if vals[j] is None or cls[j] is None:
                cls[j] = classes[tok] = auto.token_class(_straight(tok).lower())
                vals[j] = table[tok] = _pack(tok, lexicon)
    n = len(flat)
    return (
        np.fromiter(vals, dtype=np.uint64, count=n),
        np.fromiter(cls, dtype=np.int64, count=n),
        lengths,
        all_parts,
    )


def _flag(packed: np.ndarray, k: int) -> np.ndarray:
    return ((packed >> np.uint64(k)) & np.uint64(1)).astype(bool)


def _bit(packed: np.ndarray, k: int) -> np.ndarray:
    return _flag(packed, k).astype(np.float64)


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


# ------------------------------------------------------------------- cue spans
def _find_cues(
    texts: Sequence[str],
    offsets: Sequence[int],
    parts: List[List[str]],
    packed: np.ndarray,
    classes: np.ndarray,
    lengths: np.ndarray,
    lexicon: Lexicon,
) -> List[List[Cue]]:
    """The cues of every text (see :meth:`rhetorix.cues.Lexicon.find`)."""
    n = len(texts)
    cues: List[List[Cue]] = [[] for _ in range(n)]
    auto = automaton(lexicon)
    ends = np.cumsum(lengths)
    begins = ends - lengths
    if not n or not ends[-1] or not auto.depth:
        return cues
    sentence = np.repeat(np.arange(n), lengths)
    # every token that starts a lexicon path ...
    starts = np.flatnonzero(classes)
    state = auto.step(np.ones(len(starts), dtype=np.int64), classes[starts])
    # ... unless it is a capitalised word inside a clause ("on 3 May", "Will Smith")
    first = starts == begins[sentence[starts]]
    after_opener = _flag(packed[np.maximum(starts - 1, 0)], _OPENS_CLAUSE)
    keep = (state > 0) & (first | after_opener | ~_flag(packed[starts], _NAME_CAP))
    starts, state = starts[keep], state[keep]

    # walk all paths one token at a time; best[r, k]: end of the longest kind-k match at starts[r]
    best = np.zeros((len(starts), len(LEXICON_KINDS)), dtype=np.int64)
    limit = ends[sentence[starts]]
    alive = np.arange(len(starts))
    step = 1
    while len(alive):
        accept = auto.accept[state]
        for k in range(len(LEXICON_KINDS)):
            hit = alive[(accept >> k) & 1 == 1]
            best[hit, k] = starts[hit] + step
        nxt = starts[alive] + step
        more = nxt < limit[alive]
        alive, state, nxt = alive[more], state[more], nxt[more]
        state = auto.step(state, classes[nxt])
        more = state > 0
        alive, state = alive[more], state[more]
        step += 1

    # per kind, matches do not overlap: the earlier start wins (token indices
    # are global, so an end never reaches into the next sentence)
    rows, kinds = np.nonzero(best)
    free = [0] * len(LEXICON_KINDS)
    kept: List[Tuple[int, int, int]] = []
    for s, e, k in zip(starts[rows].tolist(), best[rows, kinds].tolist(), kinds.tolist()):
        if s >= free[k]:
            free[k] = e
            kept.append((s, e, k))
    if not kept:
        return cues

    flags = [_flag(packed, f) for f in (_NAME_WORD, _JOINER, _OPENS_CLAUSE)]
    attribution = LEXICON_KINDS.index("attribution_cue")
    owner = sentence[[s for s, _, _ in kept]].tolist()
    j = 0
    while j < len(kept):  # one sentence at a time
        i = owner[j]
        stop = j + 1
        while stop < len(owner) and owner[stop] == i:
            stop += 1
        b, o, text, toks = int(begins[i]), offsets[i], texts[i], parts[i]
        char = list(accumulate(map(len, toks)))  # token t spans char[2t], char[2t + 1]
        found = cues[i]
        for s, e, k in kept[j:stop]:
            cs, ce = char[2 * (s - b)], char[2 * (e - b) - 1]
            found.append(_cue(LEXICON_KINDS[k], cs + o, ce + o, text[cs:ce]))
        local = [(s - b, e - b, k) for s, e, k in kept[j:stop]]
        if any(k == attribution for _, _, k in local):
            end = int(ends[i])
            for x, y in named_source_runs(
                [(s, e, _straight(toks[2 * s + 1]).lower()) for s, e, k in local if k == attribution],
                [(s, e) for s, e, k in local if k != attribution],
                *(flag[b:end].tolist() for flag in flags),
            ):
                cs, ce = char[2 * x], char[2 * y - 1]
                found.append(_cue("named_source", cs + o, ce + o, text[cs:ce]))
        if len(found) > 1:
            found.sort(key=_CUE_ORDER)
        j = stop
    return cues


def find_cues(
    texts: Sequence[str], lexicon: Lexicon, offsets: Optional[Sequence[int]] = None
) -> List[List[Cue]]:
    """The cues of each text (see :meth:`rhetorix.cues.Lexicon.find`), offset by `offsets`."""
    offsets = offsets if offsets is not None else [0] * len(texts)
    packed, classes, lengths, parts = _packed_tokens(texts, lexicon)
    return _find_cues(texts, offsets, parts, packed, classes, lengths, lexicon)


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
    packed, classes, lengths, parts = _packed_tokens(texts, lexicon)
    cues = _find_cues(texts, offsets, parts, packed, classes, lengths, lexicon)
    cue_block = np.tile(np.asarray(cue_row("", []), dtype=np.float64), (n, 1))
    for i, found in enumerate(cues):
        if found:
            cue_block[i] = cue_row(texts[i], found, offsets[i])
    dense = np.hstack([cue_block, _style_block(texts, packed, lengths)])
    rows, cols, values = _ngram_columns(packed, lengths, n_features, ngram_range)
    return cues, FeatureRows(dense, rows, cols, values, N_DENSE + n_features)


def style_features(texts: Sequence[str]) -> np.ndarray:
    """The style block of each text, shape ``(len(texts), len(STYLE_NAMES))``."""
    packed, _, lengths, _ = _packed_tokens(texts, Lexicon.default())
    return _style_block(texts, packed, lengths)


def ngram_features(
    texts: Sequence[str], n_features: int, ngram_range: Tuple[int, int] = (1, 2)
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The n-gram block of each text as ``(rows, cols, values)`` (see :class:`FeatureRows`)."""
    packed, _, lengths, _ = _packed_tokens(texts, Lexicon.default())
    return _ngram_columns(packed, lengths, n_features, ngram_range)
