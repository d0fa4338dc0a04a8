"""Tests for rhetorix.cues.lexicon: lexicon matching, named sources, validation, loading, speed."""

from __future__ import annotations

import statistics
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rhetorix.cues import CUE_KINDS, LEXICON_KINDS, Cue, Lexicon
from rhetorix.text.tokens import tokenize_spans


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return Lexicon.default()


def kinds_texts(cues):
    return [(c.kind, c.text) for c in cues]


def of_kind(cues, kind):
    return [c.text for c in cues if c.kind == kind]


# --------------------------------------------------------------------- matching
def test_longest_match_wins_per_kind(lex):
    text = "According to recent reports, the ferry operator cut its timetable."
    cues = lex.find(text)
    vague = [c for c in cues if c.kind == "vague_source"]
    assert [(c.start, c.end, c.text) for c in vague] == [(0, 27, "According to recent reports")]
    attribution = [c for c in cues if c.kind == "attribution_cue"]
    assert [(c.start, c.end, c.text) for c in attribution] == [(0, 12, "According to")]


def test_longest_match_custom_lexicon():
    lex = Lexicon({"hedge": ["it is", "it is possible", "it is possible that"]})
    cues = lex.find("It is possible that rain returns, and it is late.")
    assert kinds_texts(cues) == [("hedge", "It is possible that"), ("hedge", "it is")]


def test_kinds_are_matched_independently():
    lex = Lexicon({"hedge": ["may"], "opinion_marker": ["may well"]})
    cues = lex.find("Rates may well climb.")
    assert sorted(kinds_texts(cues)) == [("hedge", "may"), ("opinion_marker", "may well")]


def test_no_overlapping_matches_within_a_kind():
    lex = Lexicon({"causal_verb": ["led to", "to higher"]})
    cues = lex.find("The storm led to higher tides.")
    # "to higher" starts inside "led to", so only the leftmost match is kept.
    assert kinds_texts(cues) == [("causal_verb", "led to")]


def test_prefix_entries():
    lex = Lexicon({"causal_verb": ["destabili*", "trigger* off"]})
    text = "Floods destabilised roads; DESTABILIZING rains followed, triggering off slides. Destab."
    assert of_kind(lex.find(text), "causal_verb") == ["destabilised", "DESTABILIZING", "triggering off"]
    # the prefix must match the start of one word, not cross words
    assert lex.find("The destab ilised road") == []
    assert lex.find("It triggered slides.") == []  # "off" is required


def test_prefix_in_default_lexicon(lex):
    prefixed = [(k, e) for k in LEXICON_KINDS for e in lex.entries[k] if e.endswith("*") and " " not in e]
    assert prefixed, "the shipped lexicons use prefix entries (e.g. trigger*)"
    for kind, entry in prefixed:
        word = entry[:-1] + "qzx"
        assert (kind, word) in kinds_texts(lex.find(f"Then {word} again.")), entry


def test_case_insensitive():
    lex = Lexicon({"intensifier": ["Utterly", "BEYOND doubt"]})
    cues = lex.find("UTTERLY wrong, utterly, beyond Doubt.")
    assert of_kind(cues, "intensifier") == ["UTTERLY", "utterly", "beyond Doubt"]


def test_curly_apostrophes_are_normalised():
    lex = Lexicon({"opinion_marker": ["don't think"], "hedge": ["it\u2019s likely"]})
    cues = lex.find("I don\u2019t think so, and it's likely that it\u2019s likely.")
    assert of_kind(cues, "opinion_marker") == ["don\u2019t think"]
    assert of_kind(cues, "hedge") == ["it's likely", "it\u2019s likely"]
    assert lex.entries["hedge"] == ["it's likely"]


def test_punctuation_tokens():
    lex = Lexicon({"causal_connective": ["as a result ,"]})
    assert of_kind(lex.find("As a result, fares rose."), "causal_connective") == ["As a result,"]
    assert lex.find("As a result fares rose.") == []


def test_offset_shifts_every_cue(lex):
    text = "Officials said the blockade caused delays, according to the Port Authority."
    plain = lex.find(text)
    assert plain, "expected some cues"
    prefix = "Unrelated lead-in text. "
    shifted = lex.find(text, offset=len(prefix))
    assert [(c.kind, c.start - len(prefix), c.end - len(prefix), c.text) for c in shifted] == [
        (c.kind, c.start, c.end, c.text) for c in plain
    ]
    doc = prefix + text
    for c in shifted:
        assert doc[c.start:c.end] == c.text
    assert {c.kind for c in shifted} >= {"vague_source", "attribution_cue", "causal_verb", "named_source"}


def test_results_sorted_by_start(lex):
    cues = lex.find("Clearly, many analysts argued that the levy caused job losses, and perhaps worse.")
    assert [c.start for c in cues] == sorted(c.start for c in cues)


def test_find_rejects_non_str(lex):
    with pytest.raises(TypeError, match="bytes"):
        lex.find(b"caused")


def test_cue_to_dict():
    c = Cue("hedge", 3, 8, "maybe")
    assert c.to_dict() == {"kind": "hedge", "start": 3, "end": 8, "text": "maybe"}


def test_tokenize_spans():
    text = "It\u2019s 40% up \u2014 don't panic!"
    assert [text[s:e] for s, e in tokenize_spans(text)] == [
        "It\u2019s", "40", "%", "up", "\u2014", "don't", "panic", "!",
    ]


# ---------------------------------------------------------------- named sources
@pytest.mark.parametrize(
    "text, expected",
    [
        ("Foreign Minister Ana Ruiz said the talks had stalled.", ["Foreign Minister Ana Ruiz"]),
        ("Grain exports fell sharply, according to the World Bank.", ["World Bank"]),
        ("The ceasefire will hold, said Smith.", ["Smith"]),
        ("Many experts said the levy was a mistake.", []),
        ("On Monday, officials said the bridge would reopen.", []),
        ("According to recent reports, the mill closed.", []),
        ("The mayor said on Tuesday that buses would run late.", []),
    ],
)
def test_named_source_rule(lex, text, expected):
    cues = lex.find(text)
    named = [c for c in cues if c.kind == "named_source"]
    assert [c.text for c in named] == expected
    for c in named:
        assert text[c.start:c.end] == c.text


def test_named_source_needs_attribution_cue(lex):
    cues = lex.find("Ana Ruiz visited the World Bank in Lisbon.")
    assert of_kind(cues, "named_source") == []


def test_named_source_with_offset(lex):
    text = "The vote was close, said Smith."
    cues = lex.find(text, offset=100)
    named = [c for c in cues if c.kind == "named_source"]
    assert [(c.start, c.end, c.text) for c in named] == [(125, 130, "Smith")]




@pytest.mark.parametrize(
    "text, expected",
    [
        ("Prices rose, said Smith.", ["Smith"]),
        ("Turnout was low, officials said.", []),
        ("Exports rose, the minister said.", []),
        ("Prices rose sharply last year, Smith said.", ["Smith"]),
    ],
)
def test_named_source_not_taken_from_sentence_start(lex, text, expected):
    assert of_kind(lex.find(text), "named_source") == expected


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "entries, exc, pattern",
    [
        ({"hedge": ["ab*"]}, ValueError, "shorter than"),
        ({"hedge": ["may ab*"]}, ValueError, "shorter than"),
        ({"hedge": ["sort-of"]}, ValueError, "not one word"),
        ({"hedge": ["a*b"]}, ValueError, "not one word"),
        ({"hedge": ["   "]}, ValueError, "empty"),
        ({"hedge": [""]}, ValueError, "empty"),
        ({"hunch": ["maybe"]}, ValueError, "unknown cue kind"),
        ({"named_source": ["Smith"]}, ValueError, "unknown cue kind"),
        ({"hedge": ["maybe", 3]}, TypeError, "must be str"),
        ({"hedge": [None]}, TypeError, "must be str"),
        ({"hedge": "maybe"}, TypeError, "not a str"),
    ],
)
def test_invalid_entries(entries, exc, pattern):
    with pytest.raises(exc, match=pattern):
        Lexicon(entries)


def test_valid_prefix_of_min_length():
    lex = Lexicon({"hedge": ["perh*"]})
    assert of_kind(lex.find("Perhaps."), "hedge") == ["Perhaps"]


def test_duplicate_entries_are_stored_once():
    lex = Lexicon({"hedge": ["maybe", "Maybe", "MAYBE"]})
    assert lex.entries["hedge"] == ["maybe"]
    assert len(lex.find("maybe")) == 1


# --------------------------------------------------------------------- loading
def test_default_loads_all_kinds(lex):
    assert set(lex.entries) == set(LEXICON_KINDS)
    for kind in LEXICON_KINDS:
        assert len(lex.entries[kind]) > 0, kind
    assert "named_source" not in lex.entries
    assert set(CUE_KINDS) == set(LEXICON_KINDS) | {"named_source"}
    assert "Lexicon(" in repr(lex)


def _write_lexdir(path, entries):
    path.mkdir(parents=True, exist_ok=True)
    for kind, lines in entries.items():
        (path / f"{kind}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_from_dir(tmp_path):
    entries = {k: [f"# comment for {k}", ""] for k in LEXICON_KINDS}
    entries["hedge"] += ["  arguably  ", "# not an entry", "it may be"]
    entries["causal_verb"] += ["brought about"]
    d = _write_lexdir(tmp_path / "lex", entries)
    lex = Lexicon.from_dir(d)
    assert lex.entries["hedge"] == ["arguably", "it may be"]
    assert lex.entries["causal_verb"] == ["brought about"]
    assert lex.entries["intensifier"] == []
    assert kinds_texts(lex.find("Arguably the frost brought about losses.")) == [
        ("hedge", "Arguably"), ("causal_verb", "brought about"),
    ]


def test_from_dir_missing_and_partial(tmp_path):
    d = _write_lexdir(tmp_path / "lex", {"hedge": ["arguably"]})
    with pytest.raises(FileNotFoundError, match="lexicon file missing"):
        Lexicon.from_dir(d)
    lex = Lexicon.from_dir(d, require_all=False)
    assert lex.entries["hedge"] == ["arguably"]
    with pytest.raises(FileNotFoundError):
        Lexicon.from_dir(tmp_path / "nope")


def test_from_dir_unknown_file(tmp_path):
    d = _write_lexdir(tmp_path / "lex", {k: ["x"] for k in LEXICON_KINDS})
    (d / "hunches.txt").write_text("maybe\n", encoding="utf-8")
    with pytest.raises(ValueError, match="hunches"):
        Lexicon.from_dir(d)


def test_from_dir_bad_entry_names_file(tmp_path):
    d = _write_lexdir(tmp_path / "lex", {"hedge": ["ab*"]})
    with pytest.raises(ValueError, match="ab\\*"):
        Lexicon.from_dir(d, require_all=False)


def test_extended_adds_without_mutating(lex):
    before = {k: list(v) for k, v in lex.entries.items()}
    bigger = lex.extended({"hedge": ["by all accounts"], "causal_verb": ["set in motion"]})
    assert bigger is not lex
    assert lex.entries == before
    assert not of_kind(lex.find("By all accounts it went well."), "hedge")
    assert of_kind(bigger.find("By all accounts it went well."), "hedge") == ["By all accounts"]
    assert of_kind(bigger.find("The vote set in motion a crisis."), "causal_verb") == ["set in motion"]
    assert len(bigger.entries["hedge"]) == len(before["hedge"]) + 1
    # the old entries still work in the extended lexicon
    sample = "Clearly, many analysts said the strike caused a blackout, according to the Port Authority."
    assert set(kinds_texts(lex.find(sample))) <= set(kinds_texts(bigger.find(sample)))
    assert lex.find(sample)
    assert lex.extended(None).entries == before
    assert lex.extended({}).entries == before


def test_extended_validates(lex):
    with pytest.raises(ValueError, match="unknown cue kind"):
        lex.extended({"hunch": ["maybe"]})
    with pytest.raises(TypeError):
        lex.extended({"hedge": "maybe"})
    with pytest.raises(ValueError):
        lex.extended({"hedge": ["ab*"]})


# ------------------------------------------------------------------ complexity
def _median_time(fn, arg, runs=3):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _scaling_ratio(lex, unit, small=20_000, factor=10):
    short = unit * (small // len(unit) + 1)
    long = short * factor
    lex.find(short)  # warm up
    return _median_time(lex.find, long) / max(_median_time(lex.find, short), 1e-6)


@pytest.mark.parametrize(
    "unit",
    [
        "The council said on Monday that the new levy caused clearly higher fares for commuters. ",
        "Perhaps, according to the harbour master, storms led to delays; many analysts disagree! ",
        "x y z 12 % ; ",
    ],
)
def test_find_scales_linearly(lex, unit):
    # Scaling, not a wall-clock limit: 10x more text may take at most ~25x longer.
    ratio = _scaling_ratio(lex, unit)
    assert ratio < 25, f"10x longer input took {ratio:.1f}x longer"


def test_find_scales_linearly_with_many_sources_and_vague_cues(lex):
    unit = "Ruiz said, according to reports. "
    assert of_kind(lex.find(unit), "vague_source") and of_kind(lex.find(unit), "named_source")
    ratio = _scaling_ratio(lex, unit, small=12_000)
    assert ratio < 25, f"10x longer input took {ratio:.1f}x longer"


# -------------------------------------------------------------------- property
_ALPHABET = st.sampled_from(
    list("abcdefgh ABCXYZ.,;:!?'\"-*%0123456789\n\t")
    + ["\u2019", "\u2018", "\u00e9", "\u0130", "\u00df", "\ufb01", "\u2028", "\u00a0", "\u0301"]
)
_PHRASES = st.sampled_from(
    [
        "according to recent reports", "said", "Ana Ruiz", "the World Bank", "many experts",
        "caused", "led to", "because", "clearly", "perhaps", "I think", "don\u2019t", "triggering",
        "Officials", "told reporters", "as a result", "Mr. Lee", "The", "  ",
    ]
)
_TEXT = st.lists(st.one_of(_PHRASES, st.text(_ALPHABET, max_size=6), st.text(max_size=4)), max_size=30).map(
    " ".join
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, offset=st.integers(0, 50))
def test_cue_spans_slice_the_text(lex, text, offset):
    doc = "#" * offset + text
    for cues, base in ((lex.find(text), 0), (lex.find(text, offset=offset), offset)):
        for c in cues:
            assert c.kind in CUE_KINDS
            assert 0 <= c.start - base < c.end - base <= len(text)
            assert text[c.start - base:c.end - base] == c.text
            if base:
                assert doc[c.start:c.end] == c.text
        assert [c.start for c in cues] == sorted(c.start for c in cues)
        for kind in CUE_KINDS:
            same = [c for c in cues if c.kind == kind]
            for a, b in zip(same, same[1:]):
                assert a.end <= b.start, (kind, a, b)
