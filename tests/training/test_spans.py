"""Span training and scoring: gold token kinds, our span file, the tagger fit, the metrics."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the train extra is not installed (pip install '.[train]')")

from rhetorix.bundle import load_bundle  # noqa: E402
from rhetorix.cues.tagger import lexicon_kinds  # noqa: E402
from rhetorix.text.tokens import TokenBatch  # noqa: E402
from rhetorix.training.spans import (  # noqa: E402
    fit_tagger,
    gold_token_kinds,
    read_own_spans,
    span_scores,
)


def test_gold_token_kinds_mark_overlapping_tokens_and_sources_win():
    text = "Ana Ruiz, said: fine."
    spans = [(0, 9, "SRC"), (10, 15, "CUE"), (4, 8, "CUE")]
    y = gold_token_kinds(TokenBatch.split([text]), [spans])
    assert y.tolist() == [1, 1, 1, 2, 2, 0, 0]  # Ana Ruiz , | said : | fine .


def test_span_scores_count_exact_and_overlap_matches_once():
    text = "Dana Cole, an economist, said rents rose, officials said."
    gold = [(0, 23, "SRC"), (25, 29, "CUE"), (42, 51, "SRC"), (52, 56, "CUE")]
    pred = [(0, 9, "SRC", "named"), (0, 4, "SRC", "named"), (25, 29, "CUE", None), (42, 51, "SRC", "named")]
    r = span_scores([pred], [gold], [text])
    assert r["source"]["exact"] == {"precision": 1 / 3, "recall": 0.5, "f1": pytest.approx(0.4)}
    assert r["source"]["overlap"]["precision"] == pytest.approx(2 / 3) and r["source"]["overlap"]["recall"] == 1.0
    assert r["cue"]["exact"]["precision"] == 1.0 and r["cue"]["exact"]["recall"] == 0.5
    # "officials" is vague in the gold and was predicted named; "Dana Cole, an economist" is named
    assert r["source_kind_n"] == 2 and r["source_kind_accuracy"] == 0.5
    empty = span_scores([[]], [[]], [""])
    assert empty["source"]["overlap"]["f1"] == 0.0 and empty["source_kind_accuracy"] == 0.0


def test_our_span_file_parses_and_errors_name_the_line(tmp_path):
    rows = read_own_spans()
    assert len(rows) >= 40
    for text, spans in rows:
        assert "[" not in text and all(0 <= a < b <= len(text) for a, b, _ in spans)
    assert sum(1 for _, sp in rows if not sp) >= 5  # actors without a source are there too
    bad = tmp_path / "spans.txt"
    bad.write_text("# comment\n[S Ana] [C said] fine.\nBroken [S one.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3"):
        read_own_spans(bad)
    bad.write_text("[S Ana] [C said] fine.\n", encoding="utf-8")
    assert read_own_spans(bad) == [("Ana said fine.", ((0, 3, "SRC"), (4, 8, "CUE")))]


def test_our_span_sentences_are_not_the_test_sentences():
    from tests.tiers.test_sources import NAMED

    ours = {text for text, _ in read_own_spans()}
    assert not ours & {row[0] for row in NAMED}


def test_the_tagger_learns_a_pattern_in_both_stages():
    rng = np.random.default_rng(0)
    names = ["Ana Ruiz", "Ben Okafor", "Cara Lind", "Dev Patel", "Eli Moss", "Fay Oduya"]
    verbs = ["said", "argued", "noted"]
    texts, spans, groups = [], [], []
    for k in range(240):
        name, verb = names[k % 6], verbs[k % 3]
        claim = "the harbour will reopen" if rng.random() < 0.5 else "prices fell in May"
        if k % 4 == 0:
            text, sp = f"The council met and {claim}.", ()
        else:
            text = f"{name} {verb} {claim}."
            sp = ((0, len(name), "SRC"), (len(name) + 1, len(name) + 1 + len(verb), "CUE"))
        texts.append(text)
        spans.append(sp)
        groups.append(f"doc{k % 20}")
    lexicon = load_bundle().lexicon
    for g in (None, groups):
        tagger = fit_tagger(texts, spans, lexicon, g, n_buckets=2**12, C_reg=1.0, max_iter=200)
        assert (tagger.coef2 is None) == (g is None)
        new = ["Gil Rhee said the bridge was unsafe.", "The council met and the road closed."]
        found = tagger.spans(*lexicon_kinds(new, lexicon.automaton))
        assert [(new[0][s.start:s.end], s.kind) for s in found[0]] == [("Gil Rhee", "SRC"), ("said", "CUE")]
        assert found[1] == []
