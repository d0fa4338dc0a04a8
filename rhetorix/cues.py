"""Find cue spans (opinion markers, hedges, causal connectives, sources...) in text.

A cue is a span of the caller's text that supports a score: "clearly" is an
``intensifier``, "led to" a ``causal_verb``, "many experts" a ``vague_source``.
Cue phrases come from plain-text lexicons (``rhetorix/lexicons/<kind>.txt``, one
phrase per line) that users can extend.  Named sources ("the World Bank",
"Sergei Lavrov") are found by a small rule next to attribution cues rather than
from a list.

Matching runs over word tokens, longest match first at each token for each
kind, so it takes time linear in the length of the input.  The lexicon is a
token trie; :mod:`rhetorix.matcher` runs it over whole batches of sentences
with numpy.
"""

from __future__ import annotations

import bisect
import functools
from itertools import accumulate
from operator import attrgetter
import os
import re
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

__all__ = ["Cue", "Lexicon", "LEXICON_KINDS", "CUE_KINDS", "tokenize_spans", "tokens"]

#: Cue kinds read from lexicon files, in a fixed order (feature order depends on it).
LEXICON_KINDS: Tuple[str, ...] = (
    "opinion_marker",
    "hedge",
    "intensifier",
    "causal_connective",
    "causal_verb",
    "attribution_cue",
    "vague_source",
)
#: Every kind a :class:`Cue` can have.
CUE_KINDS: Tuple[str, ...] = LEXICON_KINDS + ("named_source",)

# Words with internal apostrophes, or one non-space non-word character.  No
# nested quantifiers, so matching is linear.
_TOKEN_RE = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]")
_SPLIT_RE = re.compile(f"({_TOKEN_RE.pattern})")  # split() gives gaps and tokens alternating
def _straight(text: str) -> str:
    """Curly apostrophes made straight (str.replace is much faster than translate)."""
    return text.replace("\u2019", "'").replace("\u2018", "'")
_MIN_PREFIX = 4


def tokenize_spans(text: str) -> List[Tuple[int, int]]:
    """Return ``(start, end)`` offsets of the word and punctuation tokens of `text`."""
    return tokens(text)[0]


def tokens(text: str) -> Tuple[List[Tuple[int, int]], List[str]]:
    """Token spans of `text` and the tokens lowercased, curly apostrophes made straight."""
    parts = _SPLIT_RE.split(text)  # gaps and tokens alternating
    ends = list(accumulate(map(len, parts)))
    spans = list(zip(ends[0::2], ends[1::2]))
    if len(parts) < 2:
        return spans, []
    # tokens hold no whitespace, so one join/lower/split does them all
    return spans, _straight(" ".join(parts[1::2])).lower().split(" ")


@dataclass(frozen=True)
class Cue:
    """A span of text that supports a score.

    Attributes
    ----------
    kind : str
        One of :data:`CUE_KINDS`.
    start, end : int
        Character offsets into the caller's original text; ``text == source[start:end]``.
    text : str
        The matched text.
    """

    kind: str
    start: int
    end: int
    text: str

    def to_dict(self) -> Dict[str, object]:
        """Return the cue as a plain dict (JSON-ready)."""
        return asdict(self)


def _cue(kind: str, start: int, end: int, text: str) -> Cue:
    """``Cue(kind, start, end, text)`` without the frozen dataclass's slow ``__init__``."""
    cue = object.__new__(Cue)
    cue.__dict__.update(kind=kind, start=start, end=end, text=text)
    return cue


_CUE_ORDER = attrgetter("start", "end", "kind")


class _Node:
    __slots__ = ("children", "prefixes", "kinds")

    def __init__(self) -> None:
        self.children: Dict[str, _Node] = {}
        # prefix entries ("destabili*"), indexed by their first _MIN_PREFIX characters
        self.prefixes: Dict[str, List[Tuple[str, _Node]]] = {}
        self.kinds: set = set()


def _parse_entry(entry: str, kind: str, origin: str) -> List[str]:
    tokens = [_straight(t).lower() for t in entry.split()]
    if not tokens:
        raise ValueError(f"{origin}: empty cue entry for kind {kind!r}")
    for tok in tokens:
        word = tok[:-1] if tok.endswith("*") and len(tok) > 1 else tok
        if not _TOKEN_RE.fullmatch(word):
            raise ValueError(
                f"{origin}: cue entry {entry!r} ({kind}) has token {tok!r} that is not one "
                "word or one punctuation character; separate tokens with spaces"
            )
        if tok.endswith("*") and len(tok) > 1 and len(word) < _MIN_PREFIX:
            raise ValueError(
                f"{origin}: prefix {tok!r} in {entry!r} is shorter than {_MIN_PREFIX} characters"
            )
    return tokens


def read_lexicon_file(path: Union[str, os.PathLike]) -> List[str]:
    """Read one lexicon file: one entry per line, ``#`` starts a comment line."""
    entries = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line and not line.startswith("#"):
                entries.append(line)
    return entries


class Lexicon:
    """Cue phrases by kind, compiled into a token trie.

    Parameters
    ----------
    entries : mapping of str to iterable of str
        Phrases for each kind in :data:`LEXICON_KINDS`.  Tokens are separated by
        spaces; a token ending in ``*`` matches any word starting with it.

    Examples
    --------
    >>> lex = Lexicon({"hedge": ["may", "it is possible that"]})
    >>> [(c.kind, c.text) for c in lex.find("Prices may fall.")]
    [('hedge', 'may')]
    """

    def __init__(self, entries: Mapping[str, Iterable[str]]):
        unknown = set(entries) - set(LEXICON_KINDS)
        if unknown:
            raise ValueError(
                f"unknown cue kind(s) {sorted(unknown)}; expected one of {list(LEXICON_KINDS)}"
            )
        self.entries: Dict[str, List[str]] = {k: [] for k in LEXICON_KINDS}
        self._root = _Node()
        for kind, phrases in entries.items():
            if isinstance(phrases, str):
                raise TypeError(f"entries for {kind!r} must be a list of phrases, not a str")
            for phrase in phrases:
                self._add(kind, phrase, origin=f"lexicon {kind!r}")

    def _add(self, kind: str, phrase: str, origin: str) -> None:
        if not isinstance(phrase, str):
            raise TypeError(f"{origin}: cue entries must be str, got {type(phrase).__name__}")
        tokens = _parse_entry(phrase, kind, origin)
        node = self._root
        for tok in tokens:
            if tok.endswith("*") and len(tok) > 1:
                prefix = tok[:-1]
                bucket = node.prefixes.setdefault(prefix[:_MIN_PREFIX], [])
                nxt = next((n for p, n in bucket if p == prefix), None)
                if nxt is None:
                    nxt = _Node()
                    bucket.append((prefix, nxt))
            else:
                nxt = node.children.get(tok)
                if nxt is None:
                    nxt = node.children[tok] = _Node()
            node = nxt
        if kind not in node.kinds:
            node.kinds.add(kind)
            self.entries[kind].append(" ".join(tokens))

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_dir(cls, path: Union[str, os.PathLike], require_all: bool = True) -> "Lexicon":
        """Load ``<kind>.txt`` files from a directory.

        Parameters
        ----------
        path : path-like
            Directory holding one file per kind.
        require_all : bool, default=True
            If true, every kind in :data:`LEXICON_KINDS` must have a file.
        """
        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"lexicon directory not found: {path}")
        entries = {}
        for kind in LEXICON_KINDS:
            f = path / f"{kind}.txt"
            if f.is_file():
                entries[kind] = read_lexicon_file(f)
            elif require_all:
                raise FileNotFoundError(f"lexicon file missing: {f}")
        extra = sorted(p.stem for p in path.glob("*.txt") if p.stem not in LEXICON_KINDS)
        if extra:
            raise ValueError(
                f"{path}: unknown lexicon file(s) {extra}; expected names from {list(LEXICON_KINDS)}"
            )
        return cls(entries)

    @classmethod
    def default(cls) -> "Lexicon":
        """The lexicons shipped in the ``rhetorix`` package (read once, then shared)."""
        return _default_lexicon()

    def extended(self, extra: Optional[Mapping[str, Iterable[str]]]) -> "Lexicon":
        """Return a new lexicon with `extra` entries added to these."""
        merged: Dict[str, List[str]] = {k: list(v) for k, v in self.entries.items()}
        for kind, phrases in (extra or {}).items():
            if kind not in merged:
                raise ValueError(
                    f"unknown cue kind {kind!r}; expected one of {list(LEXICON_KINDS)}"
                )
            if isinstance(phrases, str):
                raise TypeError(f"extra cues for {kind!r} must be a list of phrases, not a str")
            merged[kind].extend(phrases)
        return Lexicon(merged)

    # ------------------------------------------------------------------ matching
    def find(self, text: str, offset: int = 0) -> List[Cue]:
        """Return the cues in `text`, sorted by start offset.

        At each token, the longest entry of each kind that starts there is a
        cue, unless an earlier cue of the same kind covers the token; a
        Capitalised word inside a clause ("Will Smith", "on 3 May") starts
        none.  Named sources are runs of capitalised words next to an
        attribution cue (see :func:`named_source_runs`).

        Parameters
        ----------
        text : str
            The text to search.
        offset : int, default=0
            Added to every offset, for text that is a slice of a larger string.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        from .featurize import find_cues

        return find_cues([text], self, [offset])[0]

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self.entries.items())
        return f"Lexicon({sizes})"


_CLAUSE_OPENERS = frozenset('.!?:;"\'\u201c\u2018(-\u2013\u2014')


@functools.lru_cache(maxsize=1)
def _default_lexicon() -> Lexicon:
    root = resources.files("rhetorix") / "lexicons"
    with resources.as_file(root) as p:
        return Lexicon.from_dir(p)


# ---------------------------------------------------------------- named sources
# Capitalised words that start sentences or clauses but do not name anyone.
_NOT_NAMES = frozenset(
    """a an the this that these those it its he she they we i you his her their our my your
    but and or so if when while after before as at in on of for by with from to into over
    many some most several other others all both each every no not yet also however meanwhile
    yesterday today tomorrow tonight last next earlier later now then there here
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december mr mrs ms dr prof
    according said says asked what why how who which where one two three""".split()
)
_NAME_JOINERS = frozenset({"of", "for", "the", "and", "&", "-", "'s", "de", "al", "bin", "von", "van", "."})
_BEFORE_WINDOW = 8
_AFTER_WINDOW = 4


def is_name_token(token: str) -> bool:
    """Can this token (as written) be a word of a name: Capitalised, a letter first, not a
    function word or a date word?"""
    first = token[:1]
    return first.isupper() and first.isalpha() and _straight(token).lower() not in _NOT_NAMES


def _name_runs(
    is_name: Sequence[bool], joiner: Sequence[bool], lo: int = 0, hi: Optional[int] = None
) -> List[Tuple[int, int]]:
    """Maximal runs of name tokens (token index ranges), joiners allowed inside.

    Only runs starting in ``[lo, hi)`` are returned; `lo` is first moved left
    to a token that no run can continue through, so those runs are the same
    as in a scan of the whole sentence.
    """
    runs = []
    n = len(is_name)
    hi = n if hi is None else min(hi, n)
    i = max(0, lo)
    while i > 0 and (is_name[i - 1] or joiner[i - 1]):
        i -= 1
    while i < hi:
        if is_name[i]:
            j = i + 1
            while j < n:
                if is_name[j]:
                    j += 1
                elif j + 1 < n and is_name[j + 1] and joiner[j]:
                    j += 2
                else:
                    break
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def named_source_runs(
    attribution: Sequence[Tuple[int, int, str]],
    others: Sequence[Tuple[int, int]],
    is_name: Sequence[bool],
    joiner: Sequence[bool],
    opens_clause: Sequence[bool],
) -> List[Tuple[int, int]]:
    """Named sources of one sentence: runs of capitalised words next to an attribution cue.

    "according to X" looks after the cue.  Reporting verbs take, in order: a
    run right before the cue ("Lavrov said"), a run starting within two tokens
    after it ("said Lavrov", "said the Kremlin"), or the nearest run up to eight
    tokens before it ("the World Bank, in a report, said") unless that run is
    one clause-initial word ("Prices rose, officials said").  Runs that overlap
    another cue (a vague source, "Clearly") are skipped.

    Parameters
    ----------
    attribution : sequence of (start, end, first word)
        The attribution cues, as token index ranges in order, with their first
        token lowercased.
    others : sequence of (start, end)
        Token ranges of the other cues.
    is_name, joiner, opens_clause : sequence of bool
        Per token: can be a word of a name (:func:`is_name_token`); can join
        two name words ("of", "al", "-"); a clause opens after it.

    Returns
    -------
    list of (start, end)
        Token index ranges, without repeats, in the order found.
    """
    if not attribution:
        return []
    # only runs near an attribution cue can be chosen
    lo = attribution[0][0] - _BEFORE_WINDOW - 1
    hi = attribution[-1][1] + _AFTER_WINDOW + 1
    runs = _name_runs(is_name, joiner, lo, hi)
    if not runs:
        return []
    covered = bytearray(len(is_name) + 1)  # tokens of another cue cannot be names
    for a, b in others:
        covered[a:b] = b"\x01" * (b - a)

    def usable(run) -> bool:
        return not any(covered[run[0]:run[1]])

    def clause_initial_word(run) -> bool:
        i = run[0]
        return run[1] - i == 1 and (i == 0 or opens_clause[i - 1])

    run_ends = [r[1] for r in runs]
    run_starts = [r[0] for r in runs]
    found: Dict[Tuple[int, int], None] = {}
    for a, b, first in attribution:
        k_before = bisect.bisect_right(run_ends, a) - 1  # last run ending at or before the cue
        before = runs[k_before] if k_before >= 0 and a - runs[k_before][1] <= _BEFORE_WINDOW else None
        k_after = bisect.bisect_left(run_starts, b)  # first run starting after the cue
        after = runs[k_after] if k_after < len(runs) and runs[k_after][0] - b <= _AFTER_WINDOW else None
        if first in ("according", "as"):
            candidates = [after]
        else:
            candidates = [
                before if before and a - before[1] <= 1 else None,
                after if after and after[0] - b <= 2 else None,
                before if before and not clause_initial_word(before) else None,
            ]
        chosen = next((r for r in candidates if r is not None and usable(r)), None)
        if chosen is not None:
            found[chosen] = None
    return list(found)
