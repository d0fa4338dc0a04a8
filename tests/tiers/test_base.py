"""What the tiers share: sources from spans, named_source cues, attribution agreeing with sources."""

from __future__ import annotations

import numpy as np

from rhetorix.cues.cue import Cue, Source
from rhetorix.cues.tagger import TaggedSpan
from rhetorix.tiers.base import agree, make_sources, with_sources


def _span(text, word, kind, score=0.9, first=0):
    a = text.index(word)
    return TaggedSpan(a, a + len(word), kind, score, first, first + len(word.split()) - 1)


def test_sources_carry_document_offsets_their_cue_and_kind():
    text = "Ana Ruiz said we were wrong, and I agree."
    spans = [_span(text, "Ana Ruiz", "SRC", 0.8, 0), _span(text, "said", "CUE", 0.9, 2),
             _span(text, "I", "SRC", 0.7, 9), _span(text, "agree", "CUE", 0.6, 10)]
    [sources] = make_sources([text], [50], [spans])
    assert len(sources) == 1  # "I" is the writer's own voice, not a source
    src = sources[0]
    assert (src.start, src.end, src.text, src.kind, src.score) == (50, 58, "Ana Ruiz", "named", 0.8)
    assert src.cue == Cue("attribution_cue", 59, 63, "said")
    doc = " " * 50 + text
    assert doc[src.start:src.end] == src.text and doc[src.cue.start:src.cue.end] == "said"
    d = src.to_dict()
    assert d["cue"] == {"kind": "attribution_cue", "start": 59, "end": 63, "text": "said"} and d["refers_to"] is None


def test_named_source_cues_are_the_named_sources():
    old = [Cue("named_source", 20, 27, "Capital"), Cue("hedge", 30, 35, "maybe")]
    src = Source(0, 9, "Dana Cole", "named", 0.9)
    vague = Source(40, 49, "officials", "vague", 0.9)
    [cues] = with_sources([old], [[src, vague]])
    assert cues == [Cue("named_source", 0, 9, "Dana Cole"), Cue("hedge", 30, 35, "maybe")]
    assert with_sources([old], [[]]) == [[Cue("hedge", 30, 35, "maybe")]]


def test_attribution_agrees_with_the_sources_found():
    att = np.array([[0.1, 0.2, 0.7], [0.1, 0.2, 0.7], [0.9, 0.05, 0.05], [0.2, 0.3, 0.5]])
    named = Source(0, 3, "Ann", "named", 0.8)
    vague = Source(0, 3, "officials", "vague", 0.6)
    out = agree(att, [[named], [vague], [named], []])
    assert np.allclose(out.sum(axis=1), 1)
    assert out[0, 0] == 0.8 and np.isclose(out[0, 1] / out[0, 2], 0.2 / 0.7)  # the rest shrinks in proportion
    assert out[1, 1] == 0.6 and np.isclose(out[1, 0] / out[1, 2], 0.1 / 0.7)
    assert np.array_equal(out[2], att[2]) and np.array_equal(out[3], att[3])  # already agrees / no source
    assert att[0, 0] == 0.1  # the input is not changed
