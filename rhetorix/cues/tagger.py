"""Who says so: a linear token tagger for attribution sources and cues (numpy only).

Every token of a sentence is tagged ``O``, ``SRC`` (part of a source: "Dana
Cole, chief economist at Redfield Capital") or ``CUE`` (part of the
attribution cue: "said", "according to", "believes") by a linear model over
hashed token features (:data:`TEMPLATES`):

* the token and its neighbours (two each side), lowercased; the pair of the
  token and the next one;
* the shape of the token and its neighbours (lower, Capitalised, ALL CAPS,
  digit, punctuation);
* the lexicon kind covering the token and its neighbours (attribution cue,
  vague source, hedge, ...), and whether they are belief, estimate or evidence
  verbs (:data:`STANCE_VERBS`);
* the distance, in tokens, to the nearest attribution-like cue (lexicon
  attribution cue, vague source or stance verb) on each side, bucketed, alone
  and with the token's shape; the commas between the token and the next one
  (appositions);
* whether the token opens the sentence.

A second linear model, stacked on the first, also reads what the first made of
the neighbouring tokens (:data:`CONTEXT_TEMPLATES`).  A feature is an index into
a weight table (:func:`token_features`, :func:`context_features`: the form the
training code fits).  Scoring does the same sums with fewer lookups
(:meth:`SpanTagger.token_proba`): the features that read only small inputs
(shapes, lexicon kinds, distance buckets, ...) are looked up together in
tables precomputed from the weights, one row per combination of their inputs;
only the features of words are hashed per token.  Spans are then decoded for
the whole batch at once (:func:`decode_spans`): consecutive tokens of one kind
form a span, a single ``O`` token between two tokens of one kind joins them,
and a source's edges are trimmed (:func:`~rhetorix.cues.sources.trim_source`).
The tagger is trained on PolNeAR's Source and Cue spans and ours
(:mod:`rhetorix.training.spans`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from itertools import chain
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from ..text.tokens import TokenBatch, memo_map, straight
from .automaton import Automaton
from .cue import LEXICON_KINDS
from .finder import cue_codes, match
from .sources import trim_source

__all__ = ["TAG_KINDS", "TEMPLATES", "CONTEXT_TEMPLATES", "N_TEMPLATES", "N_CONTEXT", "TaggedSpan", "SpanTagger",
           "TokenScorer", "token_features", "context_features", "token_extents", "lexicon_kinds", "decode_spans",
           "attach", "STANCE_VERBS"]

#: Tag classes, in the column order of the tagger's weights.
TAG_KINDS: Tuple[str, ...] = ("O", "SRC", "CUE")

#: A feature template: its id (mixed into the hash) and the inputs it reads, each
#: an input column (see :class:`_Columns`) at a token offset (-1: the token before).
Template = Tuple[int, Tuple[Tuple[str, int], ...]]

#: First-stage templates (:func:`token_features`), one feature per token each.
TEMPLATES: Tuple[Template, ...] = (
    (0, (("word", 0),)),
    (1, (("word", -1),)),
    (2, (("word", 1),)),
    (3, (("word", -2),)),
    (4, (("word", 2),)),
    (5, (("word", 0), ("word", 1))),
    (6, (("shape", 0),)),
    (7, (("shape", -1), ("shape", 0), ("shape", 1))),
    (8, (("kind", 0),)),
    (9, (("kind", -1), ("kind", 0), ("kind", 1))),
    (10, (("before", 0), ("after", 0))),
    (11, (("before", 0), ("after", 0), ("shape", 0))),
    (12, (("first", 0), ("shape", 0))),
    (13, (("before", 0), ("word", 0))),
    (14, (("after", 0), ("word", 0))),
    (15, (("commas", 0), ("after", 0), ("shape", 0))),
    (16, (("word", -1), ("word", 0))),
    (17, (("shape", -2), ("shape", -1), ("shape", 0))),
    (18, (("shape", 0), ("shape", 1), ("shape", 2))),
    (19, (("stance", -1), ("stance", 0), ("stance", 1))),
)
#: Second-stage templates (:func:`context_features`): the first stage's view of the neighbours.
CONTEXT_TEMPLATES: Tuple[Template, ...] = tuple(
    (40 + j, (("code", d),)) for j, d in enumerate((-3, -2, -1, 1, 2, 3))
) + (
    (50, (("code", -1), ("code", 0), ("code", 1))),
    (51, (("code", 0),)),
    (52, (("cue_after", 0), ("cue_before", 0))),
)
#: Number of features per token (one weight row each).
N_TEMPLATES = len(TEMPLATES)
#: Number of second-stage features per token.
N_CONTEXT = len(CONTEXT_TEMPLATES)

# Templates scored together from one precomputed table (their inputs are all small).
_JOINT = ((6, 7, 12, 17, 18), (8, 9), (10, 11, 15), (19,))
_CONTEXT_JOINT = ((42, 43, 50, 51), (40, 41), (44, 45), (52,))

_N_KINDS = len(LEXICON_KINDS)
# Values the small inputs take: column value v is hashed as VALUES[name][v].
_VALUES: Dict[str, np.ndarray] = {
    name: np.arange(size, dtype=np.uint64)
    for name, size in dict(shape=6, stance=2, before=8, after=8, first=2, commas=4, code=17,
                           cue_after=7, cue_before=7).items()
}
_VALUES["kind"] = np.array(list(range(_N_KINDS + 1)) + [99], dtype=np.uint64)  # 0: none, 1 + index, pad
_PAD_WORD = np.uint64(0x9E3779B97F4A7C15)
# value of an input past either end of its text
_PAD = {"word": _PAD_WORD, "kind": _N_KINDS + 1}
_ATTRIBUTION_LIKE = (LEXICON_KINDS.index("attribution_cue") + 1, LEXICON_KINDS.index("vague_source") + 1)
_DIST_BUCKETS = np.array([0, 1, 2, 3, 4, 4, 4, 5, 5, 5, 5] + [6] * 5, dtype=np.int64)  # distance -> bucket
_NONE_BUCKET = 7
_MIX = [np.uint64(x) for x in (0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93, 0xA0761D6478BD642F)]

#: Verbs that attribute a claim to their subject without saying it aloud (belief,
#: estimate, projection, evidence: guide rule A7).  Not cues in the lexicon (a
#: word list cannot tell "the IMF expects" from "expects to travel"); for the
#: tagger they are one more feature, whose weight it learns from PolNeAR.
STANCE_VERBS = frozenset(
    """believe believes believed think thinks thought estimate estimates estimated project projects projected
    expect expects expected find finds found show shows showed shown conclude concludes concluded suggest
    suggests suggested predict predicts predicted forecast forecasts assume assumes assumed fear fears feared
    suspect suspects suspected reckon reckons reckoned calculate calculates calculated indicate indicates
    indicated reveal reveals revealed""".split()
)

_INFO: Dict[str, int] = {}
_WORD_BITS = 33  # crc32 + 1 < 2**33
_COMMA = zlib.crc32(b",") + 1


def _info(token: str) -> int:
    """A token's word id (crc32 of its lowercase form, plus one), shape and stance flag, packed in one int."""
    w = straight(token).lower()
    c = token[:1]
    if not (c.isalnum() or c == "_"):
        shape = 5  # punctuation
    elif c.isdigit():
        shape = 4
    elif token.isupper() and len(token) > 1:
        shape = 3
    elif c.isupper():
        shape = 2
    else:
        shape = 1
    return zlib.crc32(w.encode("utf-8", "surrogatepass")) + 1 | shape << _WORD_BITS | (w in STANCE_VERBS) << 36


def token_extents(batch: TokenBatch) -> Tuple[np.ndarray, np.ndarray]:
    """Character start and end of every token of `batch` in its own text (flat arrays)."""
    n_parts = np.fromiter(map(len, batch.parts), dtype=np.int64, count=len(batch.parts))
    ends = np.fromiter(map(len, chain.from_iterable(batch.parts)), dtype=np.int64, count=int(n_parts.sum()))
    np.cumsum(ends, out=ends)
    # offsets restart at each text: subtract the running length before the text's first part
    first = np.cumsum(n_parts) - n_parts
    base = np.where(first > 0, ends[np.maximum(first - 1, 0)], 0)
    # parts alternate gap, token, gap, ...: token t of text i is part first[i] + 2t + 1
    idx = np.repeat(first, batch.lengths) + 2 * _local_index(batch.lengths) + 1
    tok_end = ends[idx] - np.repeat(base, batch.lengths)
    tok_start = tok_end - np.fromiter(map(len, batch.flat), dtype=np.int64, count=len(batch.flat))
    return tok_start, tok_end


def _local_index(lengths: np.ndarray) -> np.ndarray:
    """Index of each token within its text."""
    total = int(lengths.sum())
    begins = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) - np.repeat(begins, lengths)


class _Layout:
    """Where the texts of a batch lie among its flat tokens; shifts per-token arrays within each text."""

    def __init__(self, lengths: np.ndarray):
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.local = _local_index(self.lengths)
        self._outside: Dict[int, np.ndarray] = {}

    def shift(self, a: np.ndarray, d: int, pad) -> np.ndarray:
        """``a`` at token offset `d` within each text (`pad` past the text's ends)."""
        n = len(a)
        if d == 0:
            return a
        out = np.empty_like(a)
        if abs(d) >= n:  # every neighbour lies past an end
            out[:] = pad
            return out
        if d > 0:
            out[: n - d] = a[d:]
            out[n - d:] = pad
        else:
            out[-d:] = a[: n + d]
            out[: -d] = pad
        if d not in self._outside:  # tokens whose neighbour at `d` lies in another text
            rep = np.repeat(self.lengths, self.lengths)
            self._outside[d] = np.flatnonzero((self.local + d >= rep) if d > 0 else (self.local + d < 0))
        out[self._outside[d]] = pad
        return out


def _mix(template: int, *parts: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = np.full(len(parts[0]), np.uint64(template + 1) * _MIX[3], dtype=np.uint64)
        for k, p in enumerate(parts):
            h = (h ^ p.astype(np.uint64)) * _MIX[k % 3]
            h ^= h >> np.uint64(29)
    return h


def _nearest(marked: np.ndarray, layout: _Layout) -> Tuple[np.ndarray, np.ndarray]:
    """Per token, the distance in tokens to the nearest `marked` token at or after it, and at or
    before it, within its text (-1 when there is none)."""
    n = len(marked)
    pos = np.arange(n, dtype=np.int64)
    if not n:
        return pos, pos
    begin = pos - layout.local
    end = begin + np.repeat(layout.lengths, layout.lengths)
    last = np.maximum.accumulate(np.where(marked, pos, -1))
    nxt = np.minimum.accumulate(np.where(marked, pos, n)[::-1])[::-1]
    return np.where(nxt < end, nxt - pos, -1), np.where(last >= begin, pos - last, -1)


class _Columns:
    """The per-token inputs of the templates for one batch, shifted within each text on demand.

    ``word`` holds word ids; every other column holds small ints, an index
    into its ``_VALUES`` (hashed as the value there).
    """

    def __init__(self, layout: _Layout, columns: Dict[str, np.ndarray]):
        self.layout = layout
        self.columns = columns
        self._shifted: Dict[Tuple[str, int], np.ndarray] = {}

    def get(self, name: str, d: int) -> np.ndarray:
        key = (name, d)
        if key not in self._shifted:
            self._shifted[key] = self.layout.shift(self.columns[name], d, _PAD.get(name, 0))
        return self._shifted[key]

    def hashed(self, template: Template, n_buckets: int) -> np.ndarray:
        """Feature index of `template` for every token."""
        tid, parts = template
        arrays = [self.get(n, d) if n == "word" else _VALUES[n][self.get(n, d)] for n, d in parts]
        return (_mix(tid, *arrays) & np.uint64(n_buckets - 1)).astype(np.int64)


def _token_columns(batch: TokenBatch, lexicon_kind: np.ndarray) -> _Columns:
    n = len(batch.flat)
    info = np.fromiter(memo_map(_info, batch.flat, _INFO), dtype=np.int64, count=n)
    words = info & ((1 << _WORD_BITS) - 1)
    stance = (info >> 36) & 1
    layout = _Layout(batch.lengths)
    is_att = np.isin(lexicon_kind, _ATTRIBUTION_LIKE) | (stance == 1)
    d_next, d_prev = _nearest(is_att, layout)

    def bucket(d):
        return np.where(d < 0, _NONE_BUCKET, _DIST_BUCKETS[np.clip(d, 0, len(_DIST_BUCKETS) - 1)])

    # commas between the token and the next attribution-like cue (apposition: "X, a spokesman for Y, said")
    c_run = np.cumsum(words == _COMMA)
    commas = np.where(d_next >= 0, c_run[np.clip(np.arange(n) + d_next, 0, max(n - 1, 0))] - c_run, 9)
    return _Columns(layout, dict(
        word=words.astype(np.uint64), shape=(info >> _WORD_BITS) & 7, stance=stance,
        kind=np.asarray(lexicon_kind, dtype=np.int64), before=bucket(d_prev), after=bucket(d_next),
        first=(layout.local == 0).astype(np.int64), commas=np.minimum(commas, 3),
    ))


def _context_columns(layout: _Layout, proba: np.ndarray) -> _Columns:
    q = np.minimum((proba[:, 1:] * 4).astype(np.int64), 3)
    at_or_after, at_or_before = _nearest(proba[:, 2] > 0.5, layout)
    # 7 - distance to the nearest likely cue after / before the token, 0 when none within 6 tokens
    after, before = (np.where((d >= 0) & (d <= 5), 6 - d, 0)
                     for d in (layout.shift(at_or_after, 1, -1), layout.shift(at_or_before, -1, -1)))
    return _Columns(layout, {"code": q[:, 0] * 4 + q[:, 1] + 1, "cue_after": after, "cue_before": before})


def token_features(batch: TokenBatch, lexicon_kind: np.ndarray, n_buckets: int) -> np.ndarray:
    """Feature indices of every token of `batch`, shape ``(n_tokens, N_TEMPLATES)``.

    Parameters
    ----------
    batch : TokenBatch
    lexicon_kind : ndarray of int
        Per token, 1 + the index in :data:`LEXICON_KINDS` of a lexicon cue
        covering it (the attribution kinds win), or 0: the ``kinds_out`` of
        :func:`rhetorix.cues.finder.match`.
    n_buckets : int
        Size of the weight table (a power of two).
    """
    cols = _token_columns(batch, lexicon_kind)
    return _stacked([cols.hashed(t, n_buckets) for t in TEMPLATES], len(batch.flat))


def context_features(batch: TokenBatch, proba: np.ndarray, n_buckets: int) -> np.ndarray:
    """Second-stage feature indices from the first stage's tag probabilities, ``(n_tokens, N_CONTEXT)``.

    The first stage tags each token on its own; the second also sees what the
    first made of the neighbours (P(SRC) and P(CUE) in four bins, three tokens
    each side, and how far the nearest likely cue is), which joins fragments
    into whole spans ("a", "spokeswoman for the" -> one source).
    """
    cols = _context_columns(_Layout(batch.lengths), proba)
    return _stacked([cols.hashed(t, n_buckets) for t in CONTEXT_TEMPLATES], len(batch.flat))


def _stacked(columns: List[np.ndarray], n: int) -> np.ndarray:
    return np.stack(columns, axis=1) if n else np.zeros((0, len(columns)), dtype=np.int64)


def lexicon_kinds(texts: Sequence[str], automaton: Automaton) -> Tuple[TokenBatch, np.ndarray]:
    """The tokens of `texts` and, per token, the lexicon kind covering it (:func:`token_features`'s input).

    Scoring gets the kinds from the cue finder's pass over the batch
    (``kinds_out``); this is the same for callers with texts alone.
    """
    batch = TokenBatch.split(texts)
    kinds = np.zeros(len(batch.flat), dtype=np.int64)
    match(texts, [0] * len(texts), batch, cue_codes(batch, automaton), automaton, kinds)
    return batch, kinds


class TaggedSpan(NamedTuple):
    """A span the tagger found: character offsets into its sentence, kind ``SRC`` or ``CUE``, mean probability,
    and its first and last token (counted from the sentence's first)."""

    start: int
    end: int
    kind: str
    score: float
    first_token: int
    last_token: int


def decode_spans(kinds: np.ndarray, probs: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 tokens: Sequence[str], lengths: np.ndarray, fill_gaps: bool = True) -> List[List[TaggedSpan]]:
    """Spans of each text from per-token kinds (0 ``O``, 1 ``SRC``, 2 ``CUE``), for a whole batch.

    Consecutive tokens of one kind form a span; with `fill_gaps` a single
    ``O`` token between two tokens of one kind joins them.  A source loses
    punctuation, discourse adverbs and time phrases at its edges
    (:func:`~rhetorix.cues.sources.trim_source`); a cue may be punctuation, as
    a colon introducing a quote.  A span's score is the mean probability of its
    kind over its tokens.

    Parameters
    ----------
    kinds : ndarray of int, shape (n_tokens,)
    probs : ndarray of shape (n_tokens, 3)
        Tag probabilities, :data:`TAG_KINDS` order.
    starts, ends : ndarray of int, shape (n_tokens,)
        Character offsets of each token in its text (:func:`token_extents`).
    tokens : sequence of str
        The tokens, as written.
    lengths : ndarray of int
        The number of tokens of each text (they follow one another).
    fill_gaps : bool, default=True

    Returns
    -------
    list of list of TaggedSpan
        Per text, its spans in order; token indices count from the text's first token.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    lab = np.array(kinds, dtype=np.int64)
    layout = _Layout(lengths)
    if fill_gaps:
        before = layout.shift(lab, -1, 0)
        gap = (lab == 0) & (before > 0) & (before == layout.shift(lab, 1, 0))
        lab[gap] = before[gap]
    first = np.flatnonzero((lab > 0) & (layout.shift(lab, -1, -1) != lab))
    last = np.flatnonzero((lab > 0) & (layout.shift(lab, 1, -1) != lab))
    begins = (np.cumsum(lengths) - lengths).tolist()
    owner = np.repeat(np.arange(len(lengths)), lengths)[first].tolist()
    found: List[Tuple[int, int, int, int]] = []  # (text, first token, last token, kind), in order
    text, text_tokens = -1, []  # the tokens of the text in hand, sliced once (a text may hold thousands of spans)
    for i, a, e, k in zip(owner, first.tolist(), last.tolist(), lab[first].tolist()):
        if k == 1:
            b0 = begins[i]
            if i != text:
                text, text_tokens = i, tokens[b0:b0 + int(lengths[i])]
            a, e = (x + b0 for x in trim_source(text_tokens, a - b0, e - b0))
            if a > e:
                continue
        found.append((i, a, e, k))
    out: List[List[TaggedSpan]] = [[] for _ in range(len(lengths))]
    if not found:
        return out
    # each span's probability sum, added up over its own tokens only (the same whatever the batch)
    bounds = np.array([x for _, a, e, _ in found for x in (a, e + 1)], dtype=np.int64)
    padded = np.zeros((len(probs) + 1, probs.shape[1]))  # float64, one row past the end for the last bound
    padded[:-1] = probs
    sums = np.add.reduceat(padded, bounds, axis=0)[::2]
    for (i, a, e, k), total in zip(found, sums[np.arange(len(found)), [f[3] for f in found]].tolist()):
        b0 = begins[i]
        out[i].append(TaggedSpan(int(starts[a]), int(ends[e]), TAG_KINDS[k], total / (e + 1 - a), a - b0, e - b0))
    return out


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    """Softmax of each row of a three-column `z`, in place (column-wise ops: numpy is slow along a short axis)."""
    z -= np.maximum(np.maximum(z[:, 0], z[:, 1]), z[:, 2])[:, None]
    np.exp(z, out=z)
    z /= (z[:, 0] + z[:, 1] + z[:, 2])[:, None]
    return z


@dataclass
class _Plan:
    """How one stage's sums are scored: templates hashed per token, and joint tables of the rest."""

    hashed: Tuple[Template, ...]
    joint: Tuple[Tuple[Tuple[Tuple[str, int], ...], np.ndarray], ...]  # (inputs, table), one row per combination


def _plan(templates: Sequence[Template], joint: Sequence[Sequence[int]], weights: np.ndarray) -> _Plan:
    """Precompute, for each group of `joint` templates, the summed weights of every combination of their inputs."""
    by_id = dict(templates)
    n_buckets = weights.shape[0]
    tables = []
    for group in joint:
        inputs = tuple(dict.fromkeys(p for tid in group for p in by_id[tid]))  # in order, once each
        sizes = [len(_VALUES[name]) for name, _ in inputs]
        combos = np.indices(sizes).reshape(len(sizes), -1)  # row r: the inputs' values of combination r
        value = {p: _VALUES[p[0]][combos[j]] for j, p in enumerate(inputs)}
        table = np.zeros((combos.shape[1], weights.shape[1]), dtype=np.float32)
        for tid in group:
            h = _mix(tid, *(value[p] for p in by_id[tid])) & np.uint64(n_buckets - 1)
            table += weights[h.astype(np.int64)]
        tables.append((inputs, table))
    grouped = {tid for group in joint for tid in group}
    return _Plan(tuple(t for t in templates if t[0] not in grouped), tuple(tables))


def _score(plan: _Plan, cols: _Columns, weights: np.ndarray, out: np.ndarray) -> None:
    """Add every template's weights for each token to `out`, shape ``(n_tokens, weights.shape[1])``."""
    for template in plan.hashed:
        out += np.take(weights, cols.hashed(template, weights.shape[0]), axis=0)
    for inputs, table in plan.joint:
        row = np.zeros(len(out), dtype=np.int64)
        for name, d in inputs:  # mixed radix, first input most significant (np.indices order)
            row *= len(_VALUES[name])
            row += cols.get(name, d)
        out += np.take(table, row, axis=0)


class TokenScorer:
    """Per token, the sum of a weight table's rows at its :func:`token_features`, computed as the tagger does.

    Parameters
    ----------
    weights : ndarray of shape (n_buckets, k)
        One row per feature index (a power of two of them).

    Calling it with a batch and its lexicon kinds gives ``(n_tokens, k)``: the
    same sums as ``weights[token_features(batch, kinds, n_buckets)].sum(axis=1)``,
    up to float32 rounding, with the small inputs' templates read from joint
    tables (:class:`SpanTagger` scores its first stage this way).
    """

    def __init__(self, weights: np.ndarray):
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)
        n = self.weights.shape[0] if self.weights.ndim == 2 else 0
        if n < 1 or n & (n - 1):
            raise ValueError(f"token weights must have shape (2**k, n_outputs), got {self.weights.shape}")
        self._plan = _plan(TEMPLATES, _JOINT, self.weights)

    def __call__(self, batch: TokenBatch, lexicon_kind: np.ndarray) -> np.ndarray:
        z = np.zeros((len(batch.flat), self.weights.shape[1]), dtype=np.float32)
        _score(self._plan, _token_columns(batch, lexicon_kind), self.weights, z)
        return z


class SpanTagger:
    """The linear token tagger of a bundle: one stage, or two (stacked).

    Parameters
    ----------
    coef : ndarray of shape (n_buckets, 3)
        First stage: one weight per feature index (:func:`token_features`)
        and tag class (:data:`TAG_KINDS` order).
    intercept : ndarray of shape (3,)
    coef2 : ndarray of shape (n_buckets, 3), optional
        Second stage, over the same features plus :func:`context_features` of
        the first stage's probabilities.
    intercept2 : ndarray of shape (3,), optional
    """

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, coef2: Optional[np.ndarray] = None,
                 intercept2: Optional[np.ndarray] = None):
        self.coef, self.intercept = self._checked(coef, intercept)
        self.n_buckets = self.coef.shape[0]
        self.coef2 = self.intercept2 = None
        if coef2 is not None:
            self.coef2, self.intercept2 = self._checked(coef2, intercept2)
            if self.coef2.shape != self.coef.shape:
                raise ValueError(f"tagger weights of both stages must have one shape, got {self.coef.shape} "
                                 f"and {self.coef2.shape}")
        # both stages read the first-stage features: one lookup gives both stages' weights
        self._weights = self.coef if self.coef2 is None else np.ascontiguousarray(np.hstack([self.coef, self.coef2]))
        self._plan = _plan(TEMPLATES, _JOINT, self._weights)
        self._context_plan = None if self.coef2 is None else _plan(CONTEXT_TEMPLATES, _CONTEXT_JOINT, self.coef2)

    @staticmethod
    def _checked(coef, intercept) -> Tuple[np.ndarray, np.ndarray]:
        coef = np.ascontiguousarray(coef, dtype=np.float32)  # row lookups: rows must be contiguous
        n = coef.shape[0] if coef.ndim else 0
        if coef.ndim != 2 or coef.shape[1] != len(TAG_KINDS) or n < 1 or n & (n - 1):
            raise ValueError(f"tagger weights must have shape (2**k, {len(TAG_KINDS)}), got {coef.shape}")
        return coef, np.asarray(intercept, dtype=np.float32).reshape(len(TAG_KINDS))

    def token_proba(self, batch: TokenBatch, lexicon_kind: np.ndarray) -> np.ndarray:
        """P(O), P(SRC), P(CUE) of every token of `batch`, shape ``(n_tokens, 3)``.

        The same sums as the weights of :func:`token_features` (and
        :func:`context_features`), up to float rounding.
        """
        z = np.zeros((len(batch.flat), self._weights.shape[1]), dtype=np.float32)
        cols = _token_columns(batch, lexicon_kind)
        _score(self._plan, cols, self._weights, z)
        p = _softmax_rows(z[:, :3] + self.intercept)
        if self._context_plan is None:
            return p
        z2 = z[:, 3:] + self.intercept2
        _score(self._context_plan, _context_columns(cols.layout, p), self.coef2, z2)
        return _softmax_rows(z2)

    @classmethod
    def load(cls, path) -> SpanTagger:
        """Read a tagger saved by :meth:`save` (an ``.npz`` of plain arrays; nothing is unpickled)."""
        with np.load(path, allow_pickle=False) as npz:
            two = "coef2" in npz.files
            return cls(npz["coef"], npz["intercept"], npz["coef2"] if two else None,
                       npz["intercept2"] if two else None)

    def save(self, path) -> None:
        """Write the weights as an ``.npz`` of plain arrays (the tables as float16, half the size)."""
        arrays = {"coef": self.coef.astype(np.float16), "intercept": self.intercept}
        if self.coef2 is not None:
            arrays.update(coef2=self.coef2.astype(np.float16), intercept2=self.intercept2)
        np.savez_compressed(path, **arrays)

    def spans(self, batch: TokenBatch, lexicon_kind: np.ndarray) -> List[List[TaggedSpan]]:
        """The tagged spans of each text of `batch`, offsets into the text itself.

        Parameters
        ----------
        batch : TokenBatch
        lexicon_kind : ndarray of int
            Per token, the lexicon kind covering it (as for :func:`token_features`).
        """
        starts, ends = token_extents(batch)
        p = self.token_proba(batch, lexicon_kind)
        return decode_spans(p.argmax(axis=1), p, starts, ends, batch.flat, batch.lengths)


def attach(spans: Sequence[TaggedSpan]) -> List[Tuple[TaggedSpan, Optional[TaggedSpan]]]:
    """Each source span with the nearest cue span of its sentence (by tokens), or None."""
    cues = [s for s in spans if s.kind == "CUE"]
    out = []
    for s in spans:
        if s.kind != "SRC":
            continue
        best = None
        for c in cues:
            d = c.first_token - s.last_token if c.first_token > s.last_token else s.first_token - c.last_token
            if best is None or d < best[0]:
                best = (d, c)
        out.append((s, best[1] if best else None))
    return out

