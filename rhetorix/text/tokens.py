"""Word and punctuation tokens with character offsets.

A token is a run of word characters with internal apostrophes ("don't",
"Moscow's") or one character that is neither a word character nor a space.
The pattern has no nested quantifiers, so splitting is linear in the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate, chain
from typing import Callable, Dict, List, Sequence, Tuple, TypeVar

import numpy as np

__all__ = ["TOKEN_RE", "SPLIT_RE", "TokenBatch", "memo_map", "straight", "tokens", "tokenize_spans"]

T = TypeVar("T")

#: One token.
TOKEN_RE = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]")
#: ``SPLIT_RE.split(text)`` gives gaps and tokens alternating: ``[gap, token, gap, ..., gap]``.
SPLIT_RE = re.compile(f"({TOKEN_RE.pattern})")


def straight(text: str) -> str:
    """`text` with curly apostrophes made straight (str.replace is faster than translate)."""
    return text.replace("\u2019", "'").replace("\u2018", "'")


def tokens(text: str) -> Tuple[List[Tuple[int, int]], List[str]]:
    """Token spans of `text` and the tokens lowercased, curly apostrophes made straight."""
    parts = SPLIT_RE.split(text)
    ends = list(accumulate(map(len, parts)))
    spans = list(zip(ends[0::2], ends[1::2]))
    if len(parts) < 2:
        return spans, []
    # tokens hold no whitespace, so one join/lower/split does them all
    return spans, straight(" ".join(parts[1::2])).lower().split(" ")


def tokenize_spans(text: str) -> List[Tuple[int, int]]:
    """``(start, end)`` offsets of the word and punctuation tokens of `text`."""
    return tokens(text)[0]


@dataclass
class TokenBatch:
    """The tokens of a batch of texts, split once for every consumer.

    Attributes
    ----------
    parts : list of list of str
        ``SPLIT_RE.split`` of each text: gaps and tokens alternating, so token
        ``t`` of text ``i`` is ``parts[i][2 * t + 1]`` and the character
        offsets of every token follow from the running sum of part lengths.
    flat : list of str
        All tokens of all texts, in order, as written.
    lengths : ndarray of int64
        The number of tokens of each text.
    """

    parts: List[List[str]]
    flat: List[str]
    lengths: np.ndarray

    @classmethod
    def split(cls, texts: Sequence[str]) -> TokenBatch:
        """Split every text (C-level maps: this is on the scoring hot path)."""
        parts = list(map(SPLIT_RE.split, texts))
        toks = [p[1::2] for p in parts]
        lengths = np.fromiter(map(len, toks), dtype=np.int64, count=len(texts))
        return cls(parts, list(chain.from_iterable(toks)), lengths)

    def select(self, rows: Sequence[int]) -> TokenBatch:
        """The tokens of the texts `rows` (in that order), without splitting them again."""
        parts = [self.parts[i] for i in rows]
        return TokenBatch(parts, list(chain.from_iterable(p[1::2] for p in parts)), self.lengths[list(rows)])


def memo_map(func: Callable[[str], T], tokens: List[str], table: Dict[str, T], max_size: int = 500_000) -> List[T]:
    """``[func(t) for t in tokens]``, computing `func` once per distinct token.

    Results are kept in `table` (a plain dict, safe to share between threads)
    for later calls; it is emptied when it holds more than `max_size` tokens,
    which bounds memory on endless vocabularies.
    """
    if len(table) > max_size:
        table.clear()
    out = list(map(table.get, tokens))
    if None in out:  # tokens not seen before
        for j, tok in enumerate(tokens):
            if out[j] is None:
                out[j] = table[tok] = func(tok)
    return out
