"""Who says so: a linear token tagger for attribution sources and cues (numpy only).

Every token of a sentence is tagged ``O``, ``SRC`` (part of a source: "Dana
Cole, chief economist at Redfield Capital") or ``CUE`` (part of the
attribution cue: "said", "according to", "believes") by a linear model over
hashed token features:

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
the neighbouring tokens (:func:`context_features`).  The tokens of a whole
batch are featurised at once with numpy (a feature is an index into the weight
table).  Then, in Python for the sentences with a tagged token, consecutive
tokens of one kind form a span, a single ``O`` token between two tokens of one
kind joins them, and a source's edges are trimmed
(:func:`~rhetorix.cues.sources.trim_source`).  The tagger costs more than the
rest of the fast tier (docs/experiments.md SP8).  It is trained on PolNeAR's
Source and Cue spans and ours (:mod:`rhetorix.training.spans`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..text.tokens import TokenBatch, memo_map, straight
from .cue import LEXICON_KINDS, Cue
from .sources import trim_source

__all__ = ["TAG_KINDS", "N_TEMPLATES", "N_CONTEXT", "TaggedSpan", "SpanTagger", "token_features",
           "context_features", "token_extents", "lexicon_kinds", "spans_from_kinds", "attach", "STANCE_VERBS"]

#: Tag classes, in the column order of the tagger's weights.
TAG_KINDS: Tuple[str, ...] = ("O", "SRC", "CUE")

_ATTRIBUTION_LIKE = (LEXICON_KINDS.index("attribution_cue") + 1, LEXICON_KINDS.index("vague_source") + 1)
_DIST_BUCKETS = np.array([0, 1, 2, 3, 4, 4, 4, 5, 5, 5, 5] + [6] * 5, dtype=np.uint64)  # distance -> bucket
_NONE_BUCKET = 7
_PAD_WORD = np.uint64(0x9E3779B97F4A7C15)
_MIX = [np.uint64(x) for x in (0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93, 0xA0761D6478BD642F)]

_WORD_IDS: Dict[str, int] = {}
_SHAPES: Dict[str, int] = {}
_STANCE: Dict[str, int] = {}

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


def _stance(token: str) -> int:
    return int(straight(token).lower() in STANCE_VERBS)


def _word_id(token: str) -> int:
    return zlib.crc32(straight(token).lower().encode("utf-8", "surrogatepass")) + 1


def _shape(token: str) -> int:
    c = token[:1]
    if not (c.isalnum() or c == "_"):
        return 5  # punctuation
    if c.isdigit():
        return 4
    if token.isupper() and len(token) > 1:
        return 3
    if c.isupper():
        return 2
    return 1


def token_extents(batch: TokenBatch) -> Tuple[np.ndarray, np.ndarray]:
    """Character start and end of every token of `batch` in its own text (flat arrays)."""
    lengths = [len(p) for parts in batch.parts for p in parts]
    ends = np.cumsum(np.asarray(lengths, dtype=np.int64))
    n_parts = np.fromiter((len(p) for p in batch.parts), dtype=np.int64, count=len(batch.parts))
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


def _shift(a: np.ndarray, d: int, local: np.ndarray, lengths_rep: np.ndarray, pad) -> np.ndarray:
    """``a`` at token offset `d` within each text (`pad` past the text's ends)."""
    out = np.full_like(a, pad)
    n = len(a)
    if abs(d) >= n:  # every neighbour lies past an end
        return out
    if d > 0:
        out[: n - d] = a[d:]
        out[local + d >= lengths_rep] = pad
    elif d < 0:
        out[-d:] = a[: n + d]
        out[local + d < 0] = pad
    else:
        out[:] = a
    return out


def _mix(template: int, *parts: np.ndarray) -> np.ndarray:
    h = np.full(len(parts[0]), np.uint64(template + 1) * _MIX[3], dtype=np.uint64)
    for k, p in enumerate(parts):
        h = (h ^ p.astype(np.uint64)) * _MIX[k % 3]
        h ^= h >> np.uint64(29)
    return h


#: Number of features per token (one weight row each).
N_TEMPLATES = 20


def token_features(batch: TokenBatch, lexicon_kind: np.ndarray, n_buckets: int) -> np.ndarray:
    """Feature indices of every token of `batch`, shape ``(n_tokens, N_TEMPLATES)``.

    Parameters
    ----------
    batch : TokenBatch
    lexicon_kind : ndarray of int
        Per token, 1 + the index in :data:`LEXICON_KINDS` of a lexicon cue
        covering it (the attribution kinds win), or 0.
    n_buckets : int
        Size of the weight table (a power of two).
    """
    with np.errstate(over="ignore"):
        words = np.fromiter(memo_map(_word_id, batch.flat, _WORD_IDS), dtype=np.uint64, count=len(batch.flat))
        shapes = np.fromiter(memo_map(_shape, batch.flat, _SHAPES), dtype=np.uint64, count=len(batch.flat))
        local = _local_index(batch.lengths)
        lengths_rep = np.repeat(batch.lengths, batch.lengths)
        kinds = lexicon_kind.astype(np.uint64)
        stance = np.fromiter(memo_map(_stance, batch.flat, _STANCE), dtype=np.uint64, count=len(batch.flat))

        def sh(a, d, pad):
            return _shift(a, d, local, lengths_rep, pad)

        # distance to the nearest attribution-like cue token before and after, within the text
        n = len(words)
        pos = np.arange(n, dtype=np.int64)
        is_att = np.isin(lexicon_kind, _ATTRIBUTION_LIKE) | (stance == 1)
        text_begin = pos - local
        last = np.maximum.accumulate(np.where(is_att, pos, -1)) if n else pos
        nxt = (np.minimum.accumulate(np.where(is_att, pos, n)[::-1])[::-1]) if n else pos
        text_end = text_begin + lengths_rep
        d_prev = np.where(last >= text_begin, pos - last, -1)
        d_next = np.where(nxt < text_end, nxt - pos, -1)

        def bucket(d):
            return np.where(d < 0, _NONE_BUCKET, _DIST_BUCKETS[np.clip(d, 0, len(_DIST_BUCKETS) - 1)])

        b_prev, b_next = bucket(d_prev).astype(np.uint64), bucket(d_next).astype(np.uint64)
        # commas between the token and the next attribution-like cue (apposition: "X, a spokesman for Y, said")
        comma = np.fromiter((t == "," for t in batch.flat), dtype=np.int64, count=n)
        c_run = np.cumsum(comma)
        commas = np.where(d_next >= 0, c_run[np.clip(nxt, 0, max(n - 1, 0))] - c_run, 9)
        commas = np.minimum(commas, 3).astype(np.uint64)
        first = (local == 0).astype(np.uint64)
        pw = _PAD_WORD
        feats = [
            _mix(0, words),
            _mix(1, sh(words, -1, pw)),
            _mix(2, sh(words, 1, pw)),
            _mix(3, sh(words, -2, pw)),
            _mix(4, sh(words, 2, pw)),
            _mix(5, words, sh(words, 1, pw)),
            _mix(6, shapes),
            _mix(7, sh(shapes, -1, 0), shapes, sh(shapes, 1, 0)),
            _mix(8, kinds),
            _mix(9, sh(kinds, -1, 99), kinds, sh(kinds, 1, 99)),
            _mix(10, b_prev, b_next),
            _mix(11, b_prev, b_next, shapes),
            _mix(12, first, shapes),
            _mix(13, b_prev, words),
            _mix(14, b_next, words),
            _mix(15, commas, b_next, shapes),
            _mix(16, sh(words, -1, pw), words),
            _mix(17, sh(shapes, -2, 0), sh(shapes, -1, 0), shapes),
            _mix(18, shapes, sh(shapes, 1, 0), sh(shapes, 2, 0)),
            _mix(19, sh(stance, -1, 0), stance, sh(stance, 1, 0)),
        ]
        idx = np.stack(feats, axis=1) & np.uint64(n_buckets - 1)
    return idx.astype(np.int64)


#: Number of second-stage features per token (:func:`context_features`).
N_CONTEXT = 9


def context_features(batch: TokenBatch, proba: np.ndarray, n_buckets: int) -> np.ndarray:
    """Second-stage feature indices from the first stage's tag probabilities, ``(n_tokens, N_CONTEXT)``.

    The first stage tags each token on its own; the second also sees what the
    first made of the neighbours (P(SRC) and P(CUE) in four bins, three tokens
    each side, and how far the nearest likely cue is), which joins fragments
    into whole spans ("a", "spokeswoman for the" -> one source).
    """
    with np.errstate(over="ignore"):
        local = _local_index(batch.lengths)
        lengths_rep = np.repeat(batch.lengths, batch.lengths)
        zero = np.uint64(0)

        def sh(a, d):
            return _shift(a, d, local, lengths_rep, zero)

        q = np.minimum((proba[:, 1:] * 4).astype(np.uint64), np.uint64(3))
        code = q[:, 0] * np.uint64(4) + q[:, 1] + np.uint64(1)
        feats = [_mix(40 + j, sh(code, d)) for j, d in enumerate((-3, -2, -1, 1, 2, 3))]
        feats.append(_mix(50, sh(code, -1), code, sh(code, 1)))
        feats.append(_mix(51, code))
        cue = (proba[:, 2] > 0.5).astype(np.uint64)
        after = np.zeros(len(cue), dtype=np.uint64)
        before = np.zeros(len(cue), dtype=np.uint64)
        for d in range(1, 7):  # 6 - distance to the nearest likely cue after / before, 0 when none
            after = np.maximum(after, sh(cue, d) * np.uint64(7 - d))
            before = np.maximum(before, sh(cue, -d) * np.uint64(7 - d))
        feats.append(_mix(52, after, before))
        idx = np.stack(feats, axis=1) & np.uint64(n_buckets - 1)
    return idx.astype(np.int64)


def lexicon_kinds(cues: Sequence[Sequence[Cue]], batch: TokenBatch, starts: np.ndarray,
                  offsets: Optional[Sequence[int]] = None) -> np.ndarray:
    """Per token, 1 + the lexicon kind of a cue covering it (attribution kinds win), or 0.

    `starts` is :func:`token_extents`'s first array; the cues of text ``i``
    hold offsets into the caller's text, where text ``i`` starts at
    ``offsets[i]`` (default 0).
    """
    out = np.zeros(len(batch.flat), dtype=np.int64)
    begins = np.cumsum(batch.lengths) - batch.lengths
    order = {k: i + 1 for i, k in enumerate(LEXICON_KINDS)}
    prio = {k: (2 if i in _ATTRIBUTION_LIKE else 1) for k, i in order.items()}
    for i, found in enumerate(cues):
        if not found:
            continue
        b, n = int(begins[i]), int(batch.lengths[i])
        st = starts[b:b + n]
        o = offsets[i] if offsets is not None else 0
        for c in sorted((c for c in found if c.kind in order), key=lambda c: prio[c.kind]):
            lo, hi = np.searchsorted(st, c.start - o), np.searchsorted(st, c.end - o)
            out[b + lo:b + hi] = order[c.kind]
    return out


@dataclass(frozen=True)
class TaggedSpan:
    """A span the tagger found: character offsets into its sentence, kind ``SRC`` or ``CUE``, mean probability."""

    start: int
    end: int
    kind: str
    score: float
    first_token: int
    last_token: int


def spans_from_kinds(kinds: Sequence[int], probs: np.ndarray, starts: Sequence[int], ends: Sequence[int],
                     tokens: Sequence[str], fill_gaps: bool = True) -> List[TaggedSpan]:
    """Spans of one sentence from per-token kinds (0 ``O``, 1 ``SRC``, 2 ``CUE``).

    Consecutive tokens of one kind form a span; with `fill_gaps` a single
    ``O`` token between two tokens of one kind joins them.  A source loses
    punctuation, discourse adverbs and time phrases at its edges
    (:func:`~rhetorix.cues.sources.trim_source`); a cue may be punctuation, as
    a colon introducing a quote.
    """
    lab = list(kinds)
    if fill_gaps:
        for j in range(1, len(lab) - 1):
            if lab[j] == 0 and lab[j - 1] and lab[j - 1] == lab[j + 1]:
                lab[j] = lab[j - 1]
    out: List[TaggedSpan] = []
    j = 0
    while j < len(lab):
        k = lab[j]
        if not k:
            j += 1
            continue
        e = j
        while e + 1 < len(lab) and lab[e + 1] == k:
            e += 1
        a, b = trim_source(tokens, j, e) if k == 1 else (j, e)
        if a <= b:
            out.append(TaggedSpan(int(starts[a]), int(ends[b]), TAG_KINDS[k], float(probs[a:b + 1, k].mean()), a, b))
        j = e + 1
    return out


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
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

    @staticmethod
    def _checked(coef, intercept) -> Tuple[np.ndarray, np.ndarray]:
        coef = np.asarray(coef, dtype=np.float32)
        n = coef.shape[0] if coef.ndim else 0
        if coef.ndim != 2 or coef.shape[1] != len(TAG_KINDS) or n < 1 or n & (n - 1):
            raise ValueError(f"tagger weights must have shape (2**k, {len(TAG_KINDS)}), got {coef.shape}")
        return coef, np.asarray(intercept, dtype=np.float32).reshape(len(TAG_KINDS))

    def first_stage(self, batch: TokenBatch, lexicon_kind: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Feature indices and first-stage probabilities of every token."""
        idx = token_features(batch, lexicon_kind, self.n_buckets)
        return idx, _softmax_rows(self.coef[idx].sum(axis=1) + self.intercept)

    def token_proba(self, batch: TokenBatch, lexicon_kind: np.ndarray) -> np.ndarray:
        """P(O), P(SRC), P(CUE) of every token of `batch`, shape ``(n_tokens, 3)``."""
        idx, p = self.first_stage(batch, lexicon_kind)
        if self.coef2 is None:
            return p
        ctx = context_features(batch, p, self.n_buckets)
        z = self.coef2[idx].sum(axis=1) + self.coef2[ctx].sum(axis=1) + self.intercept2
        return _softmax_rows(z)

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

    def spans(self, batch: TokenBatch, cues: Sequence[Sequence[Cue]],
              offsets: Optional[Sequence[int]] = None) -> List[List[TaggedSpan]]:
        """The tagged spans of each text of `batch`, offsets into the text itself.

        Parameters
        ----------
        batch : TokenBatch
        cues : sequence of sequence of Cue
            The lexicon cues of each text.
        offsets : sequence of int, optional
            Where each text starts in the caller's text (the cues' coordinates); default 0.
        """
        starts, ends = token_extents(batch)
        p = self.token_proba(batch, lexicon_kinds(cues, batch, starts, offsets))
        kinds = p.argmax(axis=1)
        out: List[List[TaggedSpan]] = [[] for _ in range(len(batch.lengths))]
        begins = np.cumsum(batch.lengths) - batch.lengths
        # only texts with a tagged token are decoded in Python
        owner = np.repeat(np.arange(len(begins)), batch.lengths)
        flagged = np.flatnonzero(np.bincount(owner[kinds > 0], minlength=len(begins)))
        for i in flagged.tolist():
            b, n = int(begins[i]), int(batch.lengths[i])
            out[i] = spans_from_kinds(kinds[b:b + n].tolist(), p[b:b + n], starts[b:b + n], ends[b:b + n],
                                      batch.flat[b:b + n])
        return out


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

