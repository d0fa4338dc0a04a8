"""The lexicon as a deterministic automaton over token classes, run on whole batches with numpy.

The entries of a lexicon form a token trie.  Walking it in Python, one start
token at a time, is slow; here the trie becomes a deterministic automaton over
*token classes*, so every start position of a batch advances one token per
numpy step; a lexicon entry is at most a few tokens long, so a batch takes a
handful of steps.  The result is the same as the trie walk's (longest match
per kind at each start, matches of one kind do not overlap, a capitalised word
inside a clause does not start a cue), which tests/cues/test_automaton.py
checks against such a plain trie walk.

Token classes.  A token matches a trie edge by being that literal token, or by
starting with a ``*`` prefix.  Two prefixes that one word starts with are
prefixes of each other, so what a token can match is fixed by the token itself
if it is in the lexicon's vocabulary, and by the longest prefix it starts with.
There are at most (vocabulary + prefixes) classes, all known when the lexicon
is built; every other token is class 0 and matches nothing.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

__all__ = ["Automaton", "MIN_PREFIX"]

#: Shortest ``*`` prefix, in characters; prefixes are indexed by this many first characters.
MIN_PREFIX = 4

_ClassKey = Tuple[Optional[str], Optional[str]]  # (literal or None, longest prefix or None)


class _Node:
    __slots__ = ("children", "prefixes", "kinds")

    def __init__(self) -> None:
        self.children: Dict[str, _Node] = {}
        # prefix entries ("destabili*"), indexed by their first MIN_PREFIX characters
        self.prefixes: Dict[str, List[Tuple[str, _Node]]] = {}
        self.kinds: set = set()


def _trie(entries: Mapping[str, Iterable[str]]) -> _Node:
    """The token trie of normalised entries (tokens separated by one space)."""
    root = _Node()
    for kind, phrases in entries.items():
        for phrase in phrases:
            node = root
            for tok in phrase.split(" "):
                if tok.endswith("*") and len(tok) > 1:
                    prefix = tok[:-1]
                    bucket = node.prefixes.setdefault(prefix[:MIN_PREFIX], [])
                    nxt = next((n for p, n in bucket if p == prefix), None)
                    if nxt is None:
                        nxt = _Node()
                        bucket.append((prefix, nxt))
                else:
                    nxt = node.children.get(tok)
                    if nxt is None:
                        nxt = node.children[tok] = _Node()
                node = nxt
            node.kinds.add(kind)
    return root


class Automaton:
    """Lexicon entries as a deterministic automaton over token classes.

    State 0 is dead, state 1 the start.  ``step(states, classes)`` advances
    arrays of states; ``accept[state]`` is a bit mask over `kinds` of the
    entries that end there.

    Parameters
    ----------
    entries : mapping of str to iterable of str
        Normalised phrases by kind: lowercase tokens separated by one space, a
        token ending in ``*`` (at least :data:`MIN_PREFIX` characters before
        it) matching any word that starts with it.
    kinds : sequence of str
        The kinds, in the order of the bits of ``accept``.
    """

    def __init__(self, entries: Mapping[str, Iterable[str]], kinds: Sequence[str]):
        entries = {k: list(v) for k, v in entries.items()}
        root = _trie(entries)
        nodes: List[_Node] = []
        stack = [root]
        while stack:  # every trie node
            node = stack.pop()
            nodes.append(node)
            stack.extend(node.children.values())
            stack.extend(n for bucket in node.prefixes.values() for _, n in bucket)
        vocab = {w for n in nodes for w in n.children}
        prefixes = {p for n in nodes for bucket in n.prefixes.values() for p, _ in bucket}
        self._vocab: FrozenSet[str] = frozenset(vocab)
        self._by_head: Dict[str, List[str]] = {}
        for p in sorted(prefixes, key=len, reverse=True):  # longest first
            self._by_head.setdefault(p[:MIN_PREFIX], []).append(p)

        # classes: one per vocabulary word and one per prefix (words outside the vocabulary)
        keys: List[_ClassKey] = [(w, self._longest_prefix(w)) for w in sorted(vocab)]
        keys += [(None, p) for p in sorted(prefixes)]
        self._class_of: Dict[_ClassKey, int] = {k: i for i, k in enumerate(dict.fromkeys(keys), 1)}
        self.n_classes = len(self._class_of) + 1
        by_literal = {lit: c for (lit, _), c in self._class_of.items() if lit is not None}
        by_prefix: Dict[str, List[int]] = {}  # prefix -> classes whose tokens start with it
        for (_, longest), c in self._class_of.items():
            for p in prefixes:
                if longest is not None and longest.startswith(p):
                    by_prefix.setdefault(p, []).append(c)
        class_keys = {c: k for k, c in self._class_of.items()}

        # subset construction, only along the edges that exist
        start = frozenset([root])
        state_of: Dict[FrozenSet[_Node], int] = {start: 1}
        states: List[FrozenSet[_Node]] = [frozenset(), start]
        transitions: Dict[int, int] = {}
        todo = [start]
        while todo:
            current = todo.pop()
            sid = state_of[current]
            classes = set()
            for node in current:
                classes.update(by_literal[w] for w in node.children)
                for bucket in node.prefixes.values():
                    for p, _ in bucket:
                        classes.update(by_prefix.get(p, ()))
            for c in classes:
                lit, longest = class_keys[c]
                target = set()
                for node in current:
                    if lit is not None and lit in node.children:
                        target.add(node.children[lit])
                    if longest is not None:
                        for p, nxt in node.prefixes.get(longest[:MIN_PREFIX], ()):
                            if longest.startswith(p):
                                target.add(nxt)
                if not target:
                    continue
                frozen = frozenset(target)
                if frozen not in state_of:
                    state_of[frozen] = len(states)
                    states.append(frozen)
                    todo.append(frozen)
                transitions[sid * self.n_classes + c] = state_of[frozen]
        order = sorted(transitions)
        self._keys = np.asarray(order, dtype=np.int64)
        self._next = np.asarray([transitions[k] for k in order], dtype=np.int64)
        bit = {k: 1 << i for i, k in enumerate(kinds)}
        self.accept = np.asarray(
            [sum(bit[k] for k in set().union(*(n.kinds for n in s))) if s else 0 for s in states],
            dtype=np.int64,
        )
        # the longest entry, in tokens: no walk is longer
        self.depth = max((len(e.split(" ")) for v in entries.values() for e in v), default=0)

    def _longest_prefix(self, word: str) -> Optional[str]:
        for p in self._by_head.get(word[:MIN_PREFIX], ()):
            if word.startswith(p):
                return p
        return None

    def token_class(self, word: str) -> int:
        """The class of a token (lowercased, straight apostrophes); 0 if it matches nothing."""
        key = (word if word in self._vocab else None, self._longest_prefix(word))
        return self._class_of.get(key, 0)

    def step(self, states: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """The states reached from `states` by tokens of `classes` (0 where none)."""
        if not len(self._keys):  # an empty lexicon
            return np.zeros_like(states)
        keys = states * self.n_classes + classes
        pos = np.searchsorted(self._keys, keys)
        pos = np.minimum(pos, len(self._keys) - 1)
        hit = (self._keys[pos] == keys) & (classes > 0)
        return np.where(hit, self._next[pos], 0)

