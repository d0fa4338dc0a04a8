"""Tests for rhetorix.cues.automaton and .finder: the batch matcher equals a plain trie walk.

``reference_find`` below is the straightforward matcher rhetorix used before
the batch one (one Python trie walk per start token); the numpy matcher must
agree with it on every text, alone or in a batch, for the shipped lexicon and
for lexicons with ``*`` prefixes anywhere in an entry.
"""

from __future__ import annotations

import bisect
from typing import Dict, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rhetorix.cues import Cue, Lexicon
from rhetorix.cues.cue import cue_order
from rhetorix.cues.finder import find_cues as _find_cues
from rhetorix.cues.sources import CLAUSE_OPENERS, NAME_JOINERS, is_name_token, named_source_runs
from rhetorix.text.tokens import tokens


def find_cues(texts, lexicon, offsets=None):
    return _find_cues(texts, lexicon.automaton, offsets)


def _trie(lexicon: Lexicon) -> dict:
    """The entries as a nested dict: token (or ``prefix*``) -> child, and ``None`` -> kinds."""
    root: dict = {}
    for kind, phrases in lexicon.entries.items():
        for phrase in phrases:
            node = root
            for tok in phrase.split(" "):
                node = node.setdefault(tok, {})
            node.setdefault(None, set()).add(kind)
    return root


def _step(node: dict, word: str) -> list:
    return [child for key, child in node.items()
            if key is not None and (key == word or (key.endswith("*") and len(key) > 1
                                                    and word.startswith(key[:-1])))]


def reference_find(lexicon: Lexicon, text: str, offset: int = 0) -> List[Cue]:
    """Cues of `text` by walking the trie from every token, in Python."""
    spans, words = tokens(text)
    root = _trie(lexicon)
    cues: List[Cue] = []
    free_from: Dict[str, int] = {}
    n = len(words)
    for i in range(n):
        frontier = _step(root, words[i])
        if not frontier:
            continue
        tok = text[spans[i][0]:spans[i][1]]
        if i > 0 and len(tok) > 1 and tok[0].isupper() and not tok[1:].isupper() \
                and words[i - 1][-1:] not in CLAUSE_OPENERS:
            continue  # a capitalised word inside a clause is a name
        best: Dict[str, int] = {}
        j = i + 1
        while True:
            for node in frontier:
                for kind in node.get(None, ()):
                    best[kind] = j
            if j >= n:
                break
            frontier = [nxt for node in frontier for nxt in _step(node, words[j])]
            if not frontier:
                break
            j += 1
        for kind, end in best.items():
            if i >= free_from.get(kind, 0):
                s, e = spans[i][0], spans[end - 1][1]
                cues.append(Cue(kind, s + offset, e + offset, text[s:e]))
                free_from[kind] = end
    starts = [s for s, _ in spans]
    index = lambda char: bisect.bisect_left(starts, char - offset)  # noqa: E731
    attribution = [(index(c.start), index(c.end), words[index(c.start)])
                   for c in cues if c.kind == "attribution_cue"]
    others = [(index(c.start), index(c.end)) for c in cues if c.kind != "attribution_cue"]
    runs = named_source_runs(
        attribution, others, [is_name_token(text[s:e]) for s, e in spans],
        [w in NAME_JOINERS for w in words], [w[-1:] in CLAUSE_OPENERS for w in words],
    )
    for x, y in runs:
        s, e = spans[x][0], spans[y - 1][1]
        cues.append(Cue("named_source", s + offset, e + offset, text[s:e]))
    return sorted(cues, key=cue_order)


CUSTOM = Lexicon({
    "hedge": ["it is", "it is possi*", "poss* that", "may", "may well be"],
    "causal_verb": ["lead* to", "led to the", "trig* off", "trigger* off the", "lead to"],
    "intensifier": ["very*", "very very", "utterly"],
    "attribution_cue": ["said", "according to", "told"],
    "vague_source": ["some exper*", "some experts say", "many"],
})

_WORDS = [
    "it", "It", "is", "possible", "possibly", "possum", "that", "may", "May", "well", "be",
    "leads", "lead", "Leading", "to", "led", "the", "The", "trigger", "triggered", "TRIGGER",
    "off", "very", "veryvery", "Very", "utterly", "said", "according", "According", "told",
    "some", "Some", "experts", "expertise", "say", "many", "Many", "Ana", "Ruiz", "World",
    "Bank", "of", "and", "Clearly", "caused", "because", "led", "blamed", "for", "X",
]
_PUNCT = [" ", " ", " ", ", ", ". ", ": ", " (", ") ", " \u2014 ", "\u2019s ", " \"", "\" ", "\n"]


@st.composite
def _texts(draw):
    words = draw(st.lists(st.sampled_from(_WORDS), min_size=0, max_size=25))
    seps = draw(st.lists(st.sampled_from(_PUNCT), min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps))


@pytest.mark.parametrize("lexicon", [Lexicon.default(), CUSTOM], ids=["default", "custom"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(_texts(), min_size=1, max_size=6), offset=st.integers(0, 40))
def test_batch_matcher_equals_the_trie_walk(lexicon, batch, offset):
    expected = [reference_find(lexicon, t, offset) for t in batch]
    assert find_cues(batch, lexicon, [offset] * len(batch)) == expected
    assert [lexicon.find(t, offset) for t in batch] == expected


def test_equal_on_our_own_sentences_and_article(repo_root):
    lex = Lexicon.default()
    article = (repo_root / "data" / "example_article.txt").read_text(encoding="utf-8")
    lines = (repo_root / "data" / "sentences.tsv").read_text(encoding="utf-8").splitlines()[1:]
    texts = [line.split("\t")[2] for line in lines] + article.split("\n")
    found = find_cues(texts, lex)
    assert found == [reference_find(lex, t) for t in texts]
    assert sum(map(len, found)) > 500  # the comparison covers many cues


def test_prefix_entries_anywhere_in_an_entry():
    cues = CUSTOM.find("Rain triggered off the slide, which leads to floods; it is possibly so.")
    got = [(c.kind, c.text) for c in cues]
    assert ("causal_verb", "triggered off the") in got
    assert ("causal_verb", "leads to") in got
    assert ("hedge", "it is possibly") in got


def test_empty_lexicon_and_empty_texts():
    empty = Lexicon({})
    assert empty.find("Anything at all, said Ana.") == []
    assert find_cues(["", "   ", "x"], Lexicon.default()) == [[], [], []]
    assert find_cues([], Lexicon.default()) == []


def test_token_classes():
    auto = CUSTOM.automaton
    assert auto.token_class("zebra") == 0
    assert auto.token_class("leads") == auto.token_class("leading") != 0  # both only "lead*"
    assert auto.token_class("lead") not in (0, auto.token_class("leads"))  # literal and prefix
    assert auto.depth == 3  # "trigger* off the", "may well be", ...
    assert CUSTOM.automaton is auto  # built once per lexicon
