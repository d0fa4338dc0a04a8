"""Find the cues of a whole batch of sentences at once.

Per-token work is done once per distinct token: each token is looked up in a
table (one per automaton) holding, packed in one int, its token class for the
:class:`~rhetorix.cues.automaton.Automaton` and four flags for the rules
around it (a capitalised word inside a clause starts no cue; named sources are
runs of name words).  The automaton then advances every start token of the
batch one token per numpy step.
"""

from __future__ import annotations

import weakref
from itertools import accumulate
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..text.tokens import TokenBatch, memo_map, straight
from .automaton import Automaton
from .cue import LEXICON_KINDS, Cue, cue_order, make_cue
from .sources import CLAUSE_OPENERS, NAME_JOINERS, is_name_token, named_source_runs

__all__ = ["cue_codes", "match", "find_cues"]

# Code of a token: its automaton class << 4 | these flags.
_NAME_CAP = 1  # Capitalised (not ALL CAPS), two or more characters: no cue starts at it inside a clause
_OPENS_CLAUSE = 2  # a clause opens after it
_NAME_WORD = 4  # can be a word of a name
_JOINER = 8  # can join two words of a name
_CLASS_SHIFT = 4

_TABLES: weakref.WeakKeyDictionary[Automaton, Dict[str, int]] = weakref.WeakKeyDictionary()
_ATTRIBUTION = LEXICON_KINDS.index("attribution_cue")
_WINNING = (_ATTRIBUTION, LEXICON_KINDS.index("vague_source"))  # in kinds_out, over other kinds


def _code(token: str, automaton: Automaton) -> int:
    w = straight(token).lower()
    v = automaton.token_class(w) << _CLASS_SHIFT
    if len(token) > 1 and token[0].isupper() and not token[1:].isupper():
        v |= _NAME_CAP
    if w[-1:] in CLAUSE_OPENERS:
        v |= _OPENS_CLAUSE
    if is_name_token(token):
        v |= _NAME_WORD
    if w in NAME_JOINERS:
        v |= _JOINER
    return v


def cue_codes(batch: TokenBatch, automaton: Automaton) -> np.ndarray:
    """The code of every token of `batch` (class and flags), as an int64 array."""
    table = _TABLES.get(automaton)
    if table is None:
        table = _TABLES.setdefault(automaton, {})
    codes = memo_map(lambda tok: _code(tok, automaton), batch.flat, table)
    return np.fromiter(codes, dtype=np.int64, count=len(codes))


def match(
    texts: Sequence[str],
    offsets: Sequence[int],
    batch: TokenBatch,
    codes: np.ndarray,
    automaton: Automaton,
    kinds_out: Optional[np.ndarray] = None,
) -> List[List[Cue]]:
    """The cues of every text of `batch` (see :meth:`rhetorix.cues.lexicon.Lexicon.find`).

    Parameters
    ----------
    texts : sequence of str
        The texts that `batch` split.
    offsets : sequence of int
        Added to the cue offsets of each text.
    batch : TokenBatch
    codes : ndarray
        :func:`cue_codes` of `batch` for `automaton`.
    automaton : Automaton
    kinds_out : ndarray of int, optional
        One zero per token of `batch`; filled in place with, per token, 1 +
        the index in :data:`LEXICON_KINDS` of a lexicon cue covering it, or 0
        (the span tagger's input: :mod:`rhetorix.cues.tagger`).  Where cues
        overlap, attribution cues and vague sources win, then the later cue.
    """
    n = len(texts)
    cues: List[List[Cue]] = [[] for _ in range(n)]
    lengths = batch.lengths
    ends = np.cumsum(lengths)
    begins = ends - lengths
    if not n or not ends[-1] or not automaton.depth:
        return cues
    classes = codes >> _CLASS_SHIFT
    sentence = np.repeat(np.arange(n), lengths)
    # every token that starts a lexicon path ...
    starts = np.flatnonzero(classes)
    state = automaton.step(np.ones(len(starts), dtype=np.int64), classes[starts])
    # ... unless it is a capitalised word inside a clause ("on 3 May", "Will Smith")
    first = starts == begins[sentence[starts]]
    after_opener = (codes[np.maximum(starts - 1, 0)] & _OPENS_CLAUSE) != 0
    keep = (state > 0) & (first | after_opener | ((codes[starts] & _NAME_CAP) == 0))
    starts, state = starts[keep], state[keep]

    # walk all paths one token at a time; best[r, k]: end of the longest kind-k match at starts[r]
    best = np.zeros((len(starts), len(LEXICON_KINDS)), dtype=np.int64)
    limit = ends[sentence[starts]]
    alive = np.arange(len(starts))
    step = 1
    while len(alive):
        accept = automaton.accept[state]
        for k in range(len(LEXICON_KINDS)):
            hit = alive[(accept >> k) & 1 == 1]
            best[hit, k] = starts[hit] + step
        nxt = starts[alive] + step
        more = nxt < limit[alive]
        alive, state, nxt = alive[more], state[more], nxt[more]
        state = automaton.step(state, classes[nxt])
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
    if kinds_out is not None:
        for s, e, k in sorted(kept, key=_fill_order):
            kinds_out[s:e] = k + 1
    if not kept:
        return cues

    flags = [(codes & f) != 0 for f in (_NAME_WORD, _JOINER, _OPENS_CLAUSE)]
    owner = sentence[[s for s, _, _ in kept]].tolist()
    j = 0
    while j < len(kept):  # one sentence at a time
        i = owner[j]
        stop = j + 1
        while stop < len(owner) and owner[stop] == i:
            stop += 1
        b, o, text, toks = int(begins[i]), offsets[i], texts[i], batch.parts[i]
        char = list(accumulate(map(len, toks)))  # token t spans char[2t], char[2t + 1]
        found = cues[i]
        for s, e, k in kept[j:stop]:
            cs, ce = char[2 * (s - b)], char[2 * (e - b) - 1]
            found.append(make_cue(LEXICON_KINDS[k], cs + o, ce + o, text[cs:ce]))
        local = [(s - b, e - b, k) for s, e, k in kept[j:stop]]
        if any(k == _ATTRIBUTION for _, _, k in local):
            end = int(ends[i])
            for x, y in named_source_runs(
                [(s, e, straight(toks[2 * s + 1]).lower()) for s, e, k in local if k == _ATTRIBUTION],
                [(s, e) for s, e, k in local if k != _ATTRIBUTION],
                *(flag[b:end].tolist() for flag in flags),
            ):
                cs, ce = char[2 * x], char[2 * y - 1]
                found.append(make_cue("named_source", cs + o, ce + o, text[cs:ce]))
        if len(found) > 1:
            found.sort(key=cue_order)
        j = stop
    return cues


def _fill_order(m: Tuple[int, int, int]) -> Tuple[int, int, int, str]:
    """Order in which matches mark their tokens in ``kinds_out``: later ones overwrite earlier ones."""
    s, e, k = m
    return (k in _WINNING, s, e, LEXICON_KINDS[k])


def find_cues(
    texts: Sequence[str], automaton: Automaton, offsets: Optional[Sequence[int]] = None
) -> List[List[Cue]]:
    """The cues of each text, offset by `offsets` (default 0)."""
    offsets = offsets if offsets is not None else [0] * len(texts)
    batch = TokenBatch.split(texts)
    return match(texts, offsets, batch, cue_codes(batch, automaton), automaton)
