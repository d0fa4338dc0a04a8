"""The span tagger's pieces: token offsets, features, decoding, weights on disk."""

from __future__ import annotations

import numpy as np
import pytest

from rhetorix.bundle import load_bundle
from rhetorix.cues.lexicon import Lexicon
from rhetorix.cues.sources import source_kind
from rhetorix.cues.tagger import (
    N_CONTEXT,
    N_TEMPLATES,
    TAG_KINDS,
    SpanTagger,
    TokenScorer,
    attach,
    context_features,
    decode_spans,
    lexicon_kinds,
    token_extents,
    token_features,
)
from rhetorix.text.tokens import TokenBatch, tokenize_spans

TEXTS = [
    "Dana Cole, chief economist at Redfield Capital, said prices would rise.",
    "",
    "  \u00a0Odd\u2028spacing \u2014 and caf\u00e9s\u2019 prices!  ",
    "One.",
]


@pytest.mark.parametrize("texts", [[], [""], ["Hi"], ["", "A b"], ["x"] * 5])
def test_tiny_batches_are_featurised(texts):
    batch = TokenBatch.split(texts)
    n = len(batch.flat)
    idx = token_features(batch, np.zeros(n, dtype=np.int64), 2**8)
    assert idx.shape == (n, N_TEMPLATES)
    tagger = SpanTagger(np.zeros((2**8, 3)), np.array([1.0, 0, 0]), np.zeros((2**8, 3)), np.array([1.0, 0, 0]))
    assert tagger.spans(batch, np.zeros(n, dtype=np.int64)) == [[] for _ in texts]


def test_token_extents_match_the_tokenizer():
    batch = TokenBatch.split(TEXTS)
    starts, ends = token_extents(batch)
    expected = [span for text in TEXTS for span in tokenize_spans(text)]
    assert list(zip(starts.tolist(), ends.tolist())) == expected
    flat = [text[a:b] for text in TEXTS for a, b in tokenize_spans(text)]
    assert flat == batch.flat


def test_features_are_deterministic_in_range_and_local_to_a_text():
    batch = TokenBatch.split(TEXTS)
    kinds = np.zeros(len(batch.flat), dtype=np.int64)
    idx = token_features(batch, kinds, 2**10)
    assert idx.shape == (len(batch.flat), N_TEMPLATES)
    assert idx.min() >= 0 and idx.max() < 2**10
    assert np.array_equal(idx, token_features(batch, kinds, 2**10))
    # a text's features do not depend on its neighbours in the batch
    alone = token_features(TokenBatch.split(TEXTS[:1]), kinds[:len(tokenize_spans(TEXTS[0]))], 2**10)
    assert np.array_equal(alone, idx[:len(alone)])


def test_lexicon_kinds_mark_the_tokens_a_cue_covers():
    lexicon = load_bundle().lexicon
    batch, kinds = lexicon_kinds(["Dana Cole said the dam failed.", "", "Many experts believe it."],
                                 lexicon.automaton)
    assert batch.flat[:7] == ["Dana", "Cole", "said", "the", "dam", "failed", "."]
    assert kinds[:7].tolist() == [0, 0, 6, 0, 0, 0, 0]  # 1 + LEXICON_KINDS.index("attribution_cue")
    assert kinds[7:9].tolist() == [7, 7]  # "Many experts": 1 + LEXICON_KINDS.index("vague_source")


def _one(kinds, probs, starts, ends, toks, fill_gaps=True):
    """decode_spans of one sentence."""
    [spans] = decode_spans(np.asarray(kinds), probs, np.asarray(starts), np.asarray(ends), toks, [len(toks)],
                           fill_gaps)
    return spans


def test_spans_fill_one_token_gaps_and_trim_the_edges_of_sources():
    toks = ["Lena", "Fox", ",", "an", "economist", ",", "said", "so", "."]
    kinds = [1, 1, 1, 0, 1, 1, 2, 0, 0]
    starts = np.arange(len(toks)) * 10
    ends = starts + 5
    probs = np.full((len(toks), 3), 1 / 3)
    spans = _one(kinds, probs, starts, ends, toks)
    assert [(s.kind, s.first_token, s.last_token) for s in spans] == [("SRC", 0, 4), ("CUE", 6, 6)]
    assert (spans[0].start, spans[0].end) == (0, 45)
    spans = _one(kinds, probs, starts, ends, toks, fill_gaps=False)
    assert [(s.kind, s.first_token, s.last_token) for s in spans] == [("SRC", 0, 1), ("SRC", 4, 4), ("CUE", 6, 6)]
    # a cue may be punctuation (a colon introducing a quote)
    assert [s.kind for s in _one([2], probs[:1], starts[:1], ends[:1], [":"])] == ["CUE"]


@pytest.mark.parametrize("toks, kinds, kept", [
    (["Okafor", ",", "meanwhile", ",", "says"], [1, 1, 1, 1, 2], (0, 0)),
    (["Marsh", "in", "July", "criticized"], [1, 1, 1, 2], (0, 0)),
    (["According", "to", "recent", "reports"], [2, 1, 1, 1], (2, 3)),
    (["officials", "on", "Friday", "said"], [1, 1, 1, 2], (0, 0)),
    (["the", "Bank", "of", "England"], [1, 1, 1, 1], (0, 3)),
    (["According", "to", "the", "World", "Bank", ","], [2, 2, 1, 1, 0, 0], (2, 4)),  # a name is not cut
    (["Analysts", "at", "Rook", "Hill", "Bank", "estimate"], [1, 1, 0, 1, 0, 2], (0, 4)),
])
def test_sources_lose_adverbs_time_phrases_and_leading_prepositions(toks, kinds, kept):
    probs = np.full((len(toks), 3), 1 / 3)
    [src] = [s for s in _one(kinds, probs, np.arange(len(toks)), np.arange(len(toks)) + 1, toks)
             if s.kind == "SRC"]
    assert (src.first_token, src.last_token) == kept


def test_each_source_attaches_to_the_nearest_cue():
    toks = ["Ann", "said", "that", "Bo", "thinks", "so"]
    probs = np.full((len(toks), 3), 1 / 3)
    spans = _one([1, 2, 0, 1, 2, 0], probs, np.arange(6), np.arange(6) + 1, toks)
    pairs = [(s.first_token, c.first_token) for s, c in attach(spans)]
    assert pairs == [(0, 1), (3, 4)]
    lone = _one([1, 0, 0], probs[:3], np.arange(3), np.arange(3) + 1, toks[:3])
    assert attach(lone)[0][1] is None


def test_weights_round_trip_and_bad_shapes_are_refused(tmp_path):
    rng = np.random.default_rng(0)
    batch = TokenBatch.split(TEXTS)
    kinds = np.zeros(len(batch.flat), dtype=np.int64)
    for tagger in (SpanTagger(rng.normal(size=(2**8, 3)), np.zeros(3)),
                   SpanTagger(rng.normal(size=(2**8, 3)), np.ones(3), rng.normal(size=(2**8, 3)), np.zeros(3))):
        tagger.save(tmp_path / "tagger.npz")
        again = SpanTagger.load(tmp_path / "tagger.npz")
        assert np.array_equal(again.coef, tagger.coef.astype(np.float16).astype(np.float32))  # stored as float16
        assert (again.coef2 is None) == (tagger.coef2 is None)
        p = again.token_proba(batch, kinds)
        assert np.allclose(p, tagger.token_proba(batch, kinds), atol=1e-2) and np.allclose(p.sum(axis=1), 1)
    with pytest.raises(ValueError, match="one shape"):
        SpanTagger(np.zeros((2**8, 3)), np.zeros(3), np.zeros((2**9, 3)), np.zeros(3))
    for coef in (np.zeros((100, 3)), np.zeros((2**8, 2)), np.zeros(2**8)):
        with pytest.raises(ValueError, match="tagger weights"):
            SpanTagger(coef, np.zeros(3))
    assert TAG_KINDS == ("O", "SRC", "CUE")


@pytest.mark.parametrize("text, kind", [
    ("Dana Cole, chief economist at Redfield Capital", "named"),
    ("she", "named"),
    ("the Budget Office", "named"),
    ("many experts", "vague"),
    ("Officials", "vague"),
    ("new customs data", "vague"),
    ("they", "vague"),
    ("we", None),
    ("I", None),
    ("Traders", "vague"),
    ("Not everyone", "vague"),
    ("Reuters", "named"),
])
def test_source_kind(text, kind):
    assert source_kind(text) == kind


@pytest.mark.parametrize("text, initial, kind", [
    ("Currency traders", True, "vague"),
    ("Merkel", True, "named"),
    ("Western diplomats", True, "vague"),
    ("Some African economists", False, "vague"),
    ("the European Commission", False, "named"),
    ("Economists in Budapest", True, "vague"),
    ("Officials at the Finance Ministry", True, "named"),
    # one word that news capitalises more often than not is a name, even where it is a common word
    ("Congress", True, "named"),
    ("Trump", True, "named"),
    ("Police", True, "vague"),
    ("Historians", True, "vague"),
    ("Democratic lawmakers", True, "vague"),
])
def test_source_kind_discounts_capitals_that_name_no_one(text, initial, kind):
    assert source_kind(text, sentence_initial=initial) == kind


def test_the_rule_that_labelled_polnear_is_kept():
    assert source_kind("Traders", extended=False) == "named"  # as PolNeAR's training labels have it
    assert source_kind("Officials", extended=False) == "vague"


def test_overlapping_cues_leave_the_attribution_kind_on_shared_tokens():
    lexicon = load_bundle().lexicon.extended({"hedge": ["said the"]})
    _, kinds = lexicon_kinds(["Dana Cole said the dam failed."], lexicon.automaton)
    assert kinds[2:4].tolist() == [6, 2]  # "said": attribution cue over hedge; "the": hedge only


def test_scoring_sums_the_same_weights_as_the_feature_indices():
    """token_proba (joint tables, hashed words) equals the plain sum over token_features/context_features."""
    rng = np.random.default_rng(1)
    n_buckets = 2**12
    tagger = SpanTagger(rng.normal(size=(n_buckets, 3)), rng.normal(size=3),
                        rng.normal(size=(n_buckets, 3)), rng.normal(size=3))
    texts = TEXTS + ["Many experts, a panel said, believe the plan failed: \"it did\".", "A b c d e f g"]
    batch = TokenBatch.split(texts)
    kinds = rng.integers(0, 8, len(batch.flat))

    def softmax(z):
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    idx = token_features(batch, kinds, n_buckets)
    p1 = softmax(tagger.coef[idx].sum(axis=1) + tagger.intercept)
    ctx = context_features(batch, p1, n_buckets)
    assert ctx.shape == (len(batch.flat), N_CONTEXT)
    p2 = softmax(tagger.coef2[np.hstack([idx, ctx])].sum(axis=1) + tagger.intercept2)
    assert np.allclose(tagger.token_proba(batch, kinds), p2, atol=1e-5)
    one = SpanTagger(tagger.coef, tagger.intercept)
    assert np.allclose(one.token_proba(batch, kinds), p1, atol=1e-5)


def test_token_scorer_sums_the_feature_weights():
    rng = np.random.default_rng(3)
    weights = rng.normal(size=(2**12, 2)).astype(np.float32)
    texts = ["Dana Cole, chief economist at Redfield Capital, said prices rose.", "Officials believe it.", ""]
    batch, kinds = lexicon_kinds(texts, Lexicon.default().automaton)
    want = weights[token_features(batch, kinds, 2**12)].sum(axis=1)
    assert np.allclose(TokenScorer(weights)(batch, kinds), want, atol=1e-4)
    with pytest.raises(ValueError, match="2\\*\\*k"):
        TokenScorer(np.zeros((3, 2)))
