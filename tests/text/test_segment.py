"""Tests for rhetorix.text.segment (Punkt-based sentence segmentation).

Every sentence here is written for these tests; none comes from a corpus.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from timing import best_time  # tests/ is on sys.path

import rhetorix.text.segment as segment
from rhetorix.text.segment import SentenceSegmenter, load_abbreviations, segment_spans

REPO_ROOT = Path(__file__).resolve().parents[2]
PARAMS_FILE = REPO_ROOT / "rhetorix" / "text" / "resources" / "punkt_en.json"
ABBREV_FILE = REPO_ROOT / "rhetorix" / "text" / "resources" / "abbreviations.txt"
TRAINER = REPO_ROOT / "tools" / "train_punkt.py"


@pytest.fixture(scope="module")
def seg() -> SentenceSegmenter:
    return SentenceSegmenter()


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

# Independent re-statement of the bullet rule: optional indentation, a
# marker, whitespace, then text on the same line.
_BULLET_RE = re.compile(r"(\s*)([-*\u2022\u2013\u2014\u25e6\u25aa\u2023\u25cf]|\d{1,3}[.)])\s+\S")


def bullet_marker_positions(text: str) -> set[int]:
    """Offsets of bullet-marker characters (and their trailing blanks)."""
    out: set[int] = set()
    offset = 0
    for line in text.splitlines(keepends=True):
        m = _BULLET_RE.match(line)
        if m:
            out.update(range(offset + m.start(2), offset + m.end() - 1))
        offset += len(line)
    return out


def check_spans(text: str, spans: list[tuple[int, int]]) -> None:
    """Assert every documented guarantee of a span list."""
    assert isinstance(spans, list)
    prev_end = 0
    for span in spans:
        assert isinstance(span, tuple) and len(span) == 2
        start, end = span
        assert isinstance(start, int) and isinstance(end, int)
        assert prev_end <= start < end <= len(text), (spans, text)
        piece = text[start:end]
        assert piece == piece.strip() and piece
        prev_end = end
    covered = bytearray(len(text))
    for start, end in spans:
        covered[start:end] = b"\x01" * (end - start)
    markers = bullet_marker_positions(text)
    for i, ch in enumerate(text):
        if not ch.isspace() and not covered[i]:
            assert i in markers, f"lost character {ch!r} at {i} in {text!r}: {spans}"


def sentences(seg: SentenceSegmenter, text: str) -> list[str]:
    spans = seg.span_tokenize(text)
    check_spans(text, spans)
    result = seg.tokenize(text)
    assert result == [text[s:e] for s, e in spans]
    return result


# ---------------------------------------------------------------------------
# input handling
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, b"Some bytes.", 42, ["A list."], 3.5])
def test_non_str_raises_type_error(seg, bad):
    with pytest.raises(TypeError, match="str"):
        seg.span_tokenize(bad)
    with pytest.raises(TypeError, match="str"):
        seg.tokenize(bad)
    with pytest.raises(TypeError, match="str"):
        segment_spans(bad)


def test_bytes_message_suggests_decoding(seg):
    with pytest.raises(TypeError, match="decode"):
        seg.span_tokenize(b"abc")


@pytest.mark.parametrize("text", ["", " ", "\n\n", "\t \r\n ", "\u2028\u3000\xa0", "\x1f"])
def test_empty_and_whitespace_only(seg, text):
    assert seg.span_tokenize(text) == []
    assert seg.tokenize(text) == []
    assert segment_spans(text) == []


def test_str_subclass_accepted(seg):
    class MyStr(str):
        pass

    text = MyStr("The vote passed. Critics objected.")
    assert seg.tokenize(text) == ["The vote passed.", "Critics objected."]


# ---------------------------------------------------------------------------
# abbreviations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Mr. Smith met Dr. Jones in the U.S. capital on Monday.",
        "Some fruits, e.g. apples and pears, keep well in winter.",
        "Citrus fruits, i.e. lemons and limes, taste sour.",
        "Smith et al. reported a small but steady effect.",
        "She holds a Ph.D. in chemistry from a small college.",
        "He was ranked No. 5 in the world.",
        "The hearing starts at 9 a.m. on Tuesday and ends by 5 p.m. on Friday.",
        "Gen. Ada Brown and Lt. Col. Ray Cole testified on Jan. 5 in the capital.",
        "Prof. Lee of Acme Inc. spoke with Sen. Ortiz and Rep. Hall.",
        "The U.S. Senate approved the measure late at night.",
        "The U.K. and the E.U. signed a deal at the U.N. headquarters.",
        "Mrs. Clinton and Sen. Sanders met Mr. Trump in Washington.",
        "The case of Smith vs. Jones went to the Supreme Court.",
        "Acme Corp. and Widget Co. Ltd. merged their sales teams.",
        "Supplies, fuel, food, etc. were running low at the camp.",
        "See Fig. 3 and pp. 10-12 of Vol. 2 for details.",
    ],
)
def test_abbreviations_do_not_split(seg, text):
    assert sentences(seg, text) == [text]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The U.S. economy grew. Prices fell.", ["The U.S. economy grew.", "Prices fell."]),
        (
            "Troops stayed in the U.S. The next day they left.",
            ["Troops stayed in the U.S.", "The next day they left."],
        ),
        ("It happened in the U.S. He was there.", ["It happened in the U.S.", "He was there."]),
        ("The answer was no. Prices fell.", ["The answer was no.", "Prices fell."]),
        (
            "Smith et al. found a link. The study was small.",
            ["Smith et al. found a link.", "The study was small."],
        ),
        ("He lives on Main St. He likes it.", ["He lives on Main St.", "He likes it."]),
        (
            "The meeting ended at 5 p.m. The guests left.",
            ["The meeting ended at 5 p.m.", "The guests left."],
        ),
        (
            "She earned a Ph.D. in physics. Then she moved abroad.",
            ["She earned a Ph.D. in physics.", "Then she moved abroad."],
        ),
    ],
)
def test_abbreviation_then_new_sentence(seg, text, expected):
    assert sentences(seg, text) == expected


def test_us_before_lowercase_and_proper_noun(seg):
    text = "Officials in the U.S. capital met U.S. Army leaders. Talks ended."
    assert sentences(seg, text) == [
        "Officials in the U.S. capital met U.S. Army leaders.",
        "Talks ended.",
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("She studied at N.Y.U. before moving west.", ["She studied at N.Y.U. before moving west."]),
        (
            "She studied at N.Y.U. The course was hard.",
            ["She studied at N.Y.U.", "The course was hard."],
        ),
        ("MILLTOWN, W.Va. \u2014 Rain fell all day.", ["MILLTOWN, W.Va. \u2014 Rain fell all day."]),
    ],
)
def test_unlisted_dotted_acronyms(seg, text, expected):
    assert sentences(seg, text) == expected


def test_reviewed_list_contents():
    reviewed = load_abbreviations()
    for abbr in [
        "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt",
        "sgt", "capt", "st", "jr", "sr", "inc", "ltd", "co", "corp", "vs", "etc",
        "e.g", "i.e", "al", "ph.d", "u.s", "u.k", "u.n", "e.u", "jan", "feb",
        "sept", "a.m", "p.m", "approx", "dept", "est", "vol", "pp", "ed", "rev",
        "hon", "amb", "pres", "messrs", "mt", "ft",
    ]:
        assert abbr in reviewed.abbrev_types, abbr
    assert ("no", "##number##") in reviewed.collocations
    for abbr in reviewed.abbrev_types:
        assert abbr == abbr.lower() and not abbr.endswith(".") and abbr.strip() == abbr


def test_reviewed_abbreviations_are_united_with_learned(seg):
    learned = set(json.loads(PARAMS_FILE.read_text(encoding="utf-8"))["abbrev_types"])
    reviewed = load_abbreviations().abbrev_types
    assert learned | reviewed <= seg.abbreviations


def test_abbreviation_file_format(tmp_path):
    path = tmp_path / "abbr.txt"
    path.write_text(
        "# a comment\n\nFoo.\nbar   # trailing comment\nqux ##number##  # pair\n",
        encoding="utf-8",
    )
    reviewed = load_abbreviations(path)
    assert reviewed.abbrev_types == {"foo", "bar"}
    assert reviewed.collocations == {("qux", "##number##")}
    path.write_text("a b c\n", encoding="utf-8")
    with pytest.raises(ValueError):
        load_abbreviations(path)


def test_custom_abbreviation_list(tmp_path):
    path = tmp_path / "abbr.txt"
    path.write_text("zorp\n", encoding="utf-8")
    custom = SentenceSegmenter(abbreviations_path=path)
    assert custom.tokenize("The zorp. Wimble said hi.") == ["The zorp. Wimble said hi."]
    assert SentenceSegmenter().tokenize("The zorp. Wimble said hi.") == [
        "The zorp.",
        "Wimble said hi.",
    ]


# ---------------------------------------------------------------------------
# quotations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            '"We will not retreat." The minister left.',
            ['"We will not retreat."', "The minister left."],
        ),
        (
            '"Will you stay?" The minister left.',
            ['"Will you stay?"', "The minister left."],
        ),
        ('"Never!" The crowd cheered.', ['"Never!"', "The crowd cheered."]),
        (
            "\u201cWe will not retreat.\u201d The minister left.",
            ["\u201cWe will not retreat.\u201d", "The minister left."],
        ),
        (
            "\u201cWill you stay?\u201d The minister left.",
            ["\u201cWill you stay?\u201d", "The minister left."],
        ),
        (
            "He called it \u2018a fair deal.\u2019 The talks ended.",
            ["He called it \u2018a fair deal.\u2019", "The talks ended."],
        ),
        (
            "She said 'enough.' Then she left.",
            ["She said 'enough.'", "Then she left."],
        ),
        (
            "The plan (approved in May.) The budget followed.",
            ["The plan (approved in May.)", "The budget followed."],
        ),
    ],
)
def test_closing_quotes_stay_with_their_sentence(seg, text, expected):
    assert sentences(seg, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            '"Are you sure?" she asked. Nobody answered.',
            ['"Are you sure?" she asked.', "Nobody answered."],
        ),
        (
            "\u201cNot again!\u201d he shouted at the screen.",
            ["\u201cNot again!\u201d he shouted at the screen."],
        ),
    ],
)
def test_quote_followed_by_lowercase_attribution(seg, text, expected):
    assert sentences(seg, text) == expected


def test_nltk_default_lang_vars_keep_period_quote_together():
    # Check the behaviour this module relies on: nltk's default
    # PunktLanguageVars realign a closing quote after ``.``/``?`` onto the
    # sentence it ends, for ASCII and curly quotes alike.
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    plain = PunktSentenceTokenizer()
    for text, first in [
        ('"We will not retreat." The minister left.', '"We will not retreat."'),
        ('"Will you stay?" The minister left.', '"Will you stay?"'),
        ("\u201cWe will not retreat.\u201d The minister left.", "\u201cWe will not retreat.\u201d"),
    ]:
        assert plain.tokenize(text) == [first, "The minister left."]


# ---------------------------------------------------------------------------
# initials
# ---------------------------------------------------------------------------


def test_initials(seg):
    assert sentences(seg, "J. R. Smith arrived. He spoke.") == ["J. R. Smith arrived.", "He spoke."]


def test_initials_in_mid_sentence(seg):
    text = "The novel by T. S. Kowalski sold well. Critics loved it."
    assert sentences(seg, text) == ["The novel by T. S. Kowalski sold well.", "Critics loved it."]


# ---------------------------------------------------------------------------
# headlines, bylines, hard wraps, paragraphs
# ---------------------------------------------------------------------------

HEADLINE_DOC = (
    "Sanctions bite as winter nears\n"
    "By Jane Doe, Staff Writer\n"
    "\n"
    "The first paragraph starts here. It has two sentences."
)
HEADLINE_SENTS = [
    "Sanctions bite as winter nears",
    "By Jane Doe, Staff Writer",
    "The first paragraph starts here.",
    "It has two sentences.",
]


def test_headline_and_byline(seg):
    assert sentences(seg, HEADLINE_DOC) == HEADLINE_SENTS


def test_hard_wrapped_prose_not_split(seg):
    text = (
        "The committee met on a cold\n"
        "morning and voted to adjourn before\n"
        "noon. Members then went home."
    )
    assert sentences(seg, text) == [
        "The committee met on a cold\nmorning and voted to adjourn before\nnoon.",
        "Members then went home.",
    ]


def test_hard_wrap_after_function_word_or_comma(seg):
    text = "Officials said they met with\nMayor Green on Friday, and\nCouncil members agreed."
    assert sentences(seg, text) == [text]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Markets slide\n3 reasons to stay calm", ["Markets slide", "3 reasons to stay calm"]),
        (
            'Minister speaks out\n"We will win," she said.',
            ["Minister speaks out", '"We will win," she said.'],
        ),
        (
            "Minister speaks out\n\u201cWe will win,\u201d she said.",
            ["Minister speaks out", "\u201cWe will win,\u201d she said."],
        ),
    ],
)
def test_unpunctuated_line_before_digit_or_quote(seg, text, expected):
    assert sentences(seg, text) == expected


def test_period_at_line_end_left_to_punkt(seg):
    text = "The talks were led by Dr.\nBrown and ended early.\nAfterwards everyone left."
    assert sentences(seg, text) == [
        "The talks were led by Dr.\nBrown and ended early.",
        "Afterwards everyone left.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "First line without stop\n\nsecond paragraph in lowercase",
        "First line without stop\n \t\nsecond paragraph in lowercase",
        "First line without stop\u2029second paragraph in lowercase",
        "First line without stop\r\n\r\nsecond paragraph in lowercase",
    ],
)
def test_blank_line_always_ends_sentence(seg, text):
    assert sentences(seg, text) == ["First line without stop", "second paragraph in lowercase"]


def test_blank_line_after_abbreviation(seg):
    assert sentences(seg, "He met the Gen.\n\nAnd then it rained") == [
        "He met the Gen.",
        "And then it rained",
    ]


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\u2028", "\x0b", "\x85"])
def test_other_line_breaks_behave_like_newline(seg, newline):
    base = HEADLINE_DOC + "\nA wrapped line that goes\non in lowercase here."
    text = base.replace("\n", newline)
    spans = seg.span_tokenize(text)
    check_spans(text, spans)
    # same segmentation as with "\n", modulo the line-break characters
    base_spans = seg.span_tokenize(base)
    assert [text[s:e].replace(newline, "\n") for s, e in spans] == [
        base[s:e] for s, e in base_spans
    ]
    assert len(spans) == 5


# ---------------------------------------------------------------------------
# bullets
# ---------------------------------------------------------------------------


def test_bullet_lines_are_sentences_without_marker(seg):
    text = (
        "Key points:\n"
        "- Prices rose sharply\n"
        "* Wages fell\n"
        "\u2022 Jobs vanished\n"
        "\u2013 Rents climbed\n"
        "1. First numbered item\n"
        "2) Second numbered item\n"
        "  - An indented item. It has two sentences."
    )
    spans = seg.span_tokenize(text)
    check_spans(text, spans)
    got = [text[s:e] for s, e in spans]
    assert got == [
        "Key points:",
        "Prices rose sharply",
        "Wages fell",
        "Jobs vanished",
        "Rents climbed",
        "First numbered item",
        "Second numbered item",
        "An indented item.",
        "It has two sentences.",
    ]
    # each bullet span starts exactly at the item text, after the marker
    assert spans[1][0] == text.index("Prices")
    assert spans[5][0] == text.index("First numbered")
    assert text[spans[5][0] - 3 : spans[5][0]] == "1. "


def test_bullet_continuation_line(seg):
    text = "- A long item that wraps\n  onto a second line\n- Short item"
    assert sentences(seg, text) == ["A long item that wraps\n  onto a second line", "Short item"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("-", ["-"]),
        ("- ", ["-"]),
        ("1.", ["1."]),
        ("1.5 percent growth", ["1.5 percent growth"]),
        ("-5 degrees tonight", ["-5 degrees tonight"]),
        ("1234. Not a bullet", ["1234.", "Not a bullet"]),
        ("--- \nText", ["---", "Text"]),
    ],
)
def test_not_bullets(seg, text, expected):
    assert sentences(seg, text) == expected


# ---------------------------------------------------------------------------
# offsets, odd input, fallback
# ---------------------------------------------------------------------------


def test_offsets_index_original_string(seg):
    text = "\u00a0\u201cOui.\u201d \U0001f600 Cela va.\u2028Deuxi\u00e8me ligne\u2026 fin."
    spans = seg.span_tokenize(text)
    check_spans(text, spans)
    assert [text[s:e] for s, e in spans][0] == "\u201cOui.\u201d"


def test_normalisation_keeps_length():
    text = "\u201cA\u201d \u2018b\u2019 \u00ab c \u00bb\r\n\u2028\u3000\x0b\x85"
    norm = segment.normalize_for_punkt(text)
    assert len(norm) == len(text)
    assert norm == "\"A\" 'b' \" c \"\n\n\n \n\n"


def test_every_whitespace_char_is_normalised():
    for cp in range(0x110000):
        ch = chr(cp)
        if ch.isspace():
            assert segment.normalize_for_punkt(ch) in (" ", "\n"), hex(cp)


WEIRD = [
    ".",
    "...",
    ". . .",
    "!?",
    "?!?!",
    '"',
    "''",
    '""""',
    "\u201c\u201d\u2019",
    "\x00",
    "\x00.\x00 A.",
    "a\x00b. C\x00d.",
    "\U0001f600",
    "\U0001f600. \U0001f600!",
    ".\n.\n.",
    "- \n* \n1. ",
    '." ) ] }',
    "((((",
    "Mr.",
    "Mr. Mr. Mr.",
    "U.S.",
    "e.g.,",
    "A.B.C. D.E.F.",
    "\ufeffStart. Next.",
    "\u200b.\u200b",
    "a" * 50,
    "\r",
    "\r\r\n\n",
    "\u2029\u2029x",
    "1) 2) 3)",
    "\u0301. \u0301",
    "\ud800 lone surrogate.",
]


@pytest.mark.parametrize("text", WEIRD)
def test_weird_inputs(seg, text):
    spans = seg.span_tokenize(text)
    check_spans(text, spans)


def test_punkt_exception_falls_back_to_one_sentence_per_block(monkeypatch):
    fresh = SentenceSegmenter()

    def boom(text, *args, **kwargs):
        raise RuntimeError("simulated Punkt failure")

    monkeypatch.setattr(fresh._punkt, "span_tokenize", boom)
    text = "Headline here\nBy A. Writer\n\nOne sentence. Two sentences."
    spans = fresh.span_tokenize(text)
    check_spans(text, spans)
    assert [text[s:e] for s, e in spans] == [
        "Headline here",
        "By A. Writer",
        "One sentence. Two sentences.",
    ]


def test_punkt_lazy_failure_falls_back(monkeypatch):
    fresh = SentenceSegmenter()

    def half(text, *args, **kwargs):
        yield (0, 1)
        raise TimeoutError("simulated regex timeout")

    monkeypatch.setattr(fresh._punkt, "span_tokenize", half)
    text = "One sentence. Two sentences."
    assert fresh.tokenize(text) == [text]


# ---------------------------------------------------------------------------
# long input
# ---------------------------------------------------------------------------


def test_long_paragraph_windows_are_stitched(seg):
    text = "".join(f"Sentence number {i} ends here. " for i in range(3000))
    assert len(text) > 4 * segment._WINDOW
    got = sentences(seg, text)
    assert got == [f"Sentence number {i} ends here." for i in range(3000)]


def test_long_text_without_boundaries(seg):
    text = "word " * 12_000
    spans = seg.span_tokenize(text)
    check_spans(text, spans)
    assert all(e - s <= segment._WINDOW for s, e in spans)


@pytest.mark.parametrize(
    "unit",
    [
        "Mr. Lee met Dr. Cho in the U.S. capital. Prices fell. ",
        ". ",
        'a.b! ?x. " ',
        "Line\n",
        "- item\n",
        "1. a\n",
        "x\r\n",
        "Mr. ",
        "!",
        '."',
        "a",
        "\n\n",
        "\u2028 ",
    ],
)
def test_linear_time(seg, unit):
    # A run of word characters has no break to cut at: beyond _WINDOW it is cut
    # into windows, which costs more per character than one Punkt call below it,
    # so its sizes are both taken well past the window (linear from there on).
    n = 8 * segment._WINDOW if unit == "a" else 8_000
    assert_linear(seg.span_tokenize, unit, n=n)


def assert_linear(func, unit: str, min_seconds: float = 0.05, limit: float = 8.0, n: int = 8_000) -> None:
    """4x the input must cost less than `limit` x the time (quadratic: ~16x).

    Each timing repeats the call often enough for the small input to take
    `min_seconds`, so that both timings are well above timer noise and the
    ratio means something.
    """
    small = (unit * (n // len(unit) + 1))[:n]
    large = (unit * (4 * n // len(unit) + 1))[:4 * n]
    func(small)  # warm-up
    reps = max(1, min(10_000, int(min_seconds / max(best_time(lambda: func(small)), 1e-7)) + 1))

    def timed(text):
        return best_time(lambda: [func(text) for _ in range(reps)])

    t_small, t_large = timed(small), timed(large)
    assert t_large < limit * t_small, (reps, t_small, t_large)


def test_linear_time_check_catches_quadratic_work():
    """Negative control: a quadratic function fails the check above."""
    def quadratic(text):
        return sum(text[:i].count(text[i]) for i in range(0, len(text), 1))

    with pytest.raises(AssertionError):
        assert_linear(quadratic, "ab", min_seconds=0.01)


# ---------------------------------------------------------------------------
# property tests
# ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_property_arbitrary_text(text):
    check_spans(text, segment_spans(text))


FRAGMENTS = st.sampled_from(
    [
        "Mr.", "Dr. ", "U.S.", " the ", "The ", "he ", "No. 5", "e.g.", "et al.",
        ". ", "? ", "! ", "...", "\u2026", '"', "'", "\u201c", "\u201d", "\u2019",
        "(", ")", "\n", "\n\n", "\r\n", "\r", "\u2028", "\u2029", " ", "\t",
        "- ", "* ", "\u2022 ", "\u2013 ", "1. ", "2) ", "123. ", "J. ", "Smith",
        "went home", "prices", "3.5", "\x00", "\U0001f600", "\xa0", "\u3000",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FRAGMENTS | st.text(max_size=5), max_size=40).map("".join))
def test_property_newsy_fragments(text):
    check_spans(text, segment_spans(text))


# ---------------------------------------------------------------------------
# default segmenter
# ---------------------------------------------------------------------------


def test_segment_spans_matches_class(seg):
    assert segment_spans(HEADLINE_DOC) == seg.span_tokenize(HEADLINE_DOC)


def test_default_segmenter_created_once_under_threads(monkeypatch):
    created = []
    real_init = SentenceSegmenter.__init__

    def slow_init(self, *args, **kwargs):
        created.append(1)
        time.sleep(0.05)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(segment, "_default_segmenter", None)
    monkeypatch.setattr(SentenceSegmenter, "__init__", slow_init)
    results = []
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        results.append(segment_spans("One. Two."))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(created) == 1
    assert results == [[(0, 4), (5, 9)]] * 8


def test_shared_segmenter_is_thread_safe(seg):
    texts = [HEADLINE_DOC, "J. R. Smith arrived. He spoke.", '"Why?" she asked. Nobody knew.'] * 4
    expected = [seg.span_tokenize(t) for t in texts]
    results: dict[int, list] = {}
    mismatches = []

    def worker(i):
        for _ in range(20):
            results[i] = seg.span_tokenize(texts[i])
            if results[i] != expected[i]:
                mismatches.append(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not mismatches
    assert [results[i] for i in range(len(texts))] == expected


# ---------------------------------------------------------------------------
# parameter file
# ---------------------------------------------------------------------------


def test_parameter_file_shape():
    assert PARAMS_FILE.stat().st_size < 1_500_000
    data = json.loads(PARAMS_FILE.read_text(encoding="utf-8"))
    assert data["format_version"] == segment.FORMAT_VERSION
    assert "trained_on" in data
    assert data["abbrev_types"] == sorted(data["abbrev_types"])
    assert data["sent_starters"] == sorted(data["sent_starters"])
    assert data["collocations"] == sorted(data["collocations"])
    assert all(isinstance(p, list) and len(p) == 2 for p in data["collocations"])
    assert list(data["ortho_context"]) == sorted(data["ortho_context"])
    assert all(isinstance(v, int) for v in data["ortho_context"].values())
    assert len(data["ortho_context"]) > 1000 and "the" in data["sent_starters"]


def test_parameter_file_holds_single_tokens_only():
    data = json.loads(PARAMS_FILE.read_text(encoding="utf-8"))
    tokens = (
        list(data["abbrev_types"])
        + list(data["sent_starters"])
        + [t for pair in data["collocations"] for t in pair]
        + list(data["ortho_context"])
    )
    for tok in tokens:
        assert isinstance(tok, str) and tok
        assert not any(ch.isspace() for ch in tok), tok
        assert len(tok) <= 40


def test_loading_never_uses_pickle(monkeypatch):
    import pickle

    def forbidden(*args, **kwargs):
        raise AssertionError("pickle must not be used")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    assert SentenceSegmenter().tokenize("One. Two.") == ["One.", "Two."]


def test_custom_params_path(tmp_path):
    path = tmp_path / "params.json"
    path.write_text(
        json.dumps(
            {
                "format_version": segment.FORMAT_VERSION,
                "abbrev_types": ["blorb"],
                "collocations": [],
                "sent_starters": [],
                "ortho_context": {},
            }
        ),
        encoding="utf-8",
    )
    custom = SentenceSegmenter(path)
    assert "blorb" in custom.abbreviations
    assert custom.tokenize("A blorb. thing here. Yes.") == ["A blorb. thing here.", "Yes."]


@pytest.mark.parametrize(
    "payload",
    [
        {"format_version": 999},
        {"abbrev_types": []},
        [],
        {"format_version": 1, "collocations": [["a", "b", "c"]]},
    ],
)
def test_bad_params_file(tmp_path, payload):
    path = tmp_path / "params.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(ValueError):
        SentenceSegmenter(path)


# ---------------------------------------------------------------------------
# trainer
# ---------------------------------------------------------------------------


def _load_trainer():
    spec = importlib.util.spec_from_file_location("train_punkt", TRAINER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_toy_corpora(root: Path) -> None:
    paras = [
        "Budget talks resume in the capital",
        "Mr. Alder met Dr. Birch on Monday. The talks lasted an hour. "
        "Officials said the U.S. delegation would return. They did not say when.",
        "Prices rose again. The council blamed fuel costs. "
        "\u201cWe expected this,\u201d said Ms. Cedar. Critics disagreed.",
        "He was ranked No. 4 last year. This year he hopes to do better.",
    ]
    for sub, n in [("polnear/train/text", 3), ("semeval2020-ptc/train-articles", 2)]:
        folder = root / sub
        folder.mkdir(parents=True)
        for i in range(n):
            (folder / f"doc{i}.txt").write_text("\n\n".join(paras[i % 2 :]), encoding="utf-8")


def test_trainer_is_deterministic_and_writes_tokens_only(tmp_path, monkeypatch, capsys):
    trainer = _load_trainer()
    corpora = tmp_path / "corpora"
    _write_toy_corpora(corpora)
    out1, out2 = tmp_path / "a.json", tmp_path / "b.json"
    assert trainer.main(["--corpora", str(corpora), "--output", str(out1)]) == 0
    monkeypatch.setenv("RHETORIX_CORPORA", str(corpora))
    assert trainer.main(["--output", str(out2)]) == 0
    assert out1.read_bytes() == out2.read_bytes()
    data = json.loads(out1.read_text(encoding="utf-8"))
    assert data["format_version"] == segment.FORMAT_VERSION
    assert [c["files"] for c in data["trained_on"]["corpora"]] == [3, 2]
    for key in ("abbrev_types", "sent_starters"):
        assert data[key] == sorted(data[key])
    for tok in list(data["ortho_context"]) + data["abbrev_types"] + data["sent_starters"]:
        assert not any(ch.isspace() for ch in tok)
    # the result loads
    assert SentenceSegmenter(out1).tokenize("One. Two.") == ["One.", "Two."]


def test_trainer_resolves_corpora_path(monkeypatch, tmp_path):
    trainer = _load_trainer()
    monkeypatch.delenv("RHETORIX_CORPORA", raising=False)
    assert trainer.resolve_corpora(None) == REPO_ROOT.parent / "shared" / "corpora"
    monkeypatch.setenv("RHETORIX_CORPORA", str(tmp_path))
    assert trainer.resolve_corpora(None) == tmp_path
    assert trainer.resolve_corpora("/else/where") == Path("/else/where")


def _real_corpora() -> Path:
    env = os.environ.get("RHETORIX_CORPORA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "corpora"


@pytest.mark.slow
@pytest.mark.corpora
def test_shipped_parameters_are_reproducible(tmp_path):
    root = _real_corpora()
    if not (root / "polnear" / "train" / "text").is_dir():
        pytest.skip(f"corpora not found at {root}")
    import nltk

    shipped = json.loads(PARAMS_FILE.read_text(encoding="utf-8"))
    if f"nltk {nltk.__version__} " not in shipped["trained_on"]["trainer"]:
        pytest.skip("shipped parameters were trained with another nltk version")
    out = tmp_path / "punkt_en.json"
    assert _load_trainer().main(["--corpora", str(root), "--output", str(out)]) == 0
    assert out.read_bytes() == PARAMS_FILE.read_bytes()
