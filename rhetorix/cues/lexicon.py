"""Cue lexicons: phrases by kind, read from plain-text files, matched as an automaton.

A cue is a span of the caller's text that supports a score: "clearly" is an
``intensifier``, "led to" a ``causal_verb``, "many experts" a ``vague_source``.
Cue phrases come from plain-text lexicons (``rhetorix/cues/lexicons/<kind>.txt``,
one phrase per line) that users can extend.  Matching runs over word tokens,
longest match first at each token for each kind, so it takes time linear in the
length of the input (see :mod:`.automaton` and :mod:`.finder`).
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Union

from ..text.tokens import TOKEN_RE, straight
from .automaton import MIN_PREFIX, Automaton
from .cue import LEXICON_KINDS, Cue
from .finder import find_cues

__all__ = ["Lexicon", "read_lexicon_file"]


def _parse_entry(entry: str, kind: str, origin: str) -> str:
    """The entry normalised: lowercase tokens, straight apostrophes, one space apart."""
    tokens = [straight(t).lower() for t in entry.split()]
    if not tokens:
        raise ValueError(f"{origin}: empty cue entry for kind {kind!r}")
    for tok in tokens:
        word = tok[:-1] if tok.endswith("*") and len(tok) > 1 else tok
        if not TOKEN_RE.fullmatch(word):
            raise ValueError(
                f"{origin}: cue entry {entry!r} ({kind}) has token {tok!r} that is not one "
                "word or one punctuation character; separate tokens with spaces"
            )
        if tok.endswith("*") and len(tok) > 1 and len(word) < MIN_PREFIX:
            raise ValueError(
                f"{origin}: prefix {tok!r} in {entry!r} is shorter than {MIN_PREFIX} characters"
            )
    return " ".join(tokens)


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
    """Cue phrases by kind.

    Parameters
    ----------
    entries : mapping of str to iterable of str
        Phrases for each kind in :data:`~rhetorix.cues.cue.LEXICON_KINDS`.
        Tokens are separated by spaces; a token ending in ``*`` matches any
        word starting with it.

    Attributes
    ----------
    entries : dict of str to list of str
        The normalised phrases of every kind (lowercase, one space between
        tokens), without repeats, in the order given.

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
        for kind, phrases in entries.items():
            if isinstance(phrases, str):
                raise TypeError(f"entries for {kind!r} must be a list of phrases, not a str")
            seen = set()
            for phrase in phrases:
                if not isinstance(phrase, str):
                    raise TypeError(
                        f"lexicon {kind!r}: cue entries must be str, got {type(phrase).__name__}"
                    )
                entry = _parse_entry(phrase, kind, origin=f"lexicon {kind!r}")
                if entry not in seen:
                    seen.add(entry)
                    self.entries[kind].append(entry)

    @property
    def automaton(self) -> Automaton:
        """The entries compiled into an :class:`~rhetorix.cues.automaton.Automaton`.

        Built on first use and kept; two threads racing on the first use may
        both build it, and one result is kept (no lock, so a lexicon can be
        copied and pickled).
        """
        auto = self.__dict__.get("_automaton")
        if auto is None:
            auto = self.__dict__.setdefault("_automaton", Automaton(self.entries, LEXICON_KINDS))
        return auto

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_dir(cls, path: Union[str, os.PathLike], require_all: bool = True) -> Lexicon:
        """Load ``<kind>.txt`` files from a directory.

        Parameters
        ----------
        path : path-like
            Directory holding one file per kind.
        require_all : bool, default=True
            If true, every kind in :data:`~rhetorix.cues.cue.LEXICON_KINDS` must have a file.
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
    def default(cls) -> Lexicon:
        """The lexicons shipped in the package, ``rhetorix/cues/lexicons`` (read once, then shared)."""
        return _default_lexicon()

    def extended(self, extra: Optional[Mapping[str, Iterable[str]]]) -> Lexicon:
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
        attribution cue (see :func:`rhetorix.cues.sources.named_source_runs`).

        Parameters
        ----------
        text : str
            The text to search.
        offset : int, default=0
            Added to every offset, for text that is a slice of a larger string.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        return find_cues([text], self.automaton, [offset])[0]

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self.entries.items())
        return f"Lexicon({sizes})"


@functools.lru_cache(maxsize=1)
def _default_lexicon() -> Lexicon:
    root = resources.files("rhetorix.cues") / "lexicons"
    with resources.as_file(root) as p:
        return Lexicon.from_dir(p)
