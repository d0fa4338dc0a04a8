"""Any input, no surprises: odd characters, adversarial sizes, threads, and fuzzing."""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from timing import best_time  # tests/ is on sys.path

import rhetorix
from rhetorix import cli
from rhetorix.cues import Lexicon
from rhetorix.text.segment import segment_spans

ODD = [
    "Prices rose\x00 because of the war.",
    "Control \x01\x02\x1b[31m characters\x7f caused trouble.",
    "A lone surrogate \ud800 here, and \udfff there, led to chaos.",
    "\u202eRight-to-left\u202c marks \u200f and \u200e caused confusion.",
    "Emoji \U0001F600\U0001F468\u200d\U0001F469\u200d\U0001F467 family led to joy!",
    "Cafe\u0301 and e\u0301le\u0300ve: combining marks, experts say.",
    "Line one.\r\nLine two caused line three.\r\n",
    "Unicode\u2028line\u2029separators, officials said.",
    "\ufeffBOM at the start. Zero\u200bwidth\u200cspaces.",
    "\u0130stanbul \u1e9e \ufb01 ligatures change length when lowercased.",
]


def check_document(text: str, doc) -> None:
    for s in doc.sentences:
        assert text[s.start:s.end] == s.text
        for p in (s.opinion, s.causal, s.unattributed_causal, *s.attribution_scores.values()):
            assert 0.0 <= p <= 1.0
        for c in s.cues:
            assert text[c.start:c.end] == c.text
            assert s.start <= c.start <= c.end <= s.end


@pytest.mark.parametrize("text", ODD)
def test_odd_characters_never_crash_or_shift_offsets(scorer, text):
    check_document(text, scorer.score_document(text))
    assert len(scorer.score_sentences([text])) == 1


def test_odd_characters_through_the_cli(capsys, tmp_path):
    # every odd text that UTF-8 can hold is scored, and every offset slices the decoded file
    text = "\n".join(t for t in ODD if not any("\ud800" <= c <= "\udfff" for c in t))
    path = tmp_path / "odd.txt"
    path.write_bytes(text.encode("utf-8"))
    assert cli.main(["score", str(path), "--format", "jsonl"]) == 0
    out, _ = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) >= len(ODD) - 1
    for rec in records:
        assert text[rec["start"]:rec["end"]] == rec["text"]
        for cue in rec["cues"]:
            assert text[cue["start"]:cue["end"]] == cue["text"]
    # lone surrogates are not valid UTF-8: written anyway, the file gives one clear error
    bad = tmp_path / "surrogates.txt"
    bad.write_bytes("\n".join(ODD).encode("utf-8", "surrogatepass"))
    assert cli.main(["score", str(bad), "--format", "jsonl"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "cannot decode" in err and "Traceback" not in err


# ------------------------------------------------------------ linear time
def _ratio(make, score, small: int) -> float:
    """Time(10 x size) / time(size); about 10 when linear, about 100 when quadratic."""
    a, b = make(small), make(10 * small)
    score(a)  # warm-up
    return best_time(lambda: score(b)) / best_time(lambda: score(a))


@pytest.mark.slow
def test_no_punctuation_no_newlines_is_linear(scorer):
    words = "the sanctions caused the crisis many experts concur according to reports "
    ratio = _ratio(lambda n: (words * (n // len(words) + 1))[:n], scorer.score_document, 300_000)
    assert ratio < 25, ratio


@pytest.mark.slow
def test_one_huge_sentence_is_linear():
    scorer = rhetorix.load(max_chars=None)
    words = "because of the war prices rose and critics argue that "
    ratio = _ratio(lambda n: (words * (n // len(words) + 1))[:n] + ".",
                   lambda t: scorer.score_sentences([t]), 100_000)
    assert ratio < 25, ratio


@pytest.mark.slow
def test_repeated_cue_phrase_is_linear(scorer):
    phrase = "according to many experts, "
    ratio = _ratio(lambda n: phrase * (n // len(phrase)), Lexicon.default().find, 10_000 * len(phrase))
    assert ratio < 25, ratio
    doc = scorer.score_document(phrase * 2000)
    check_document(phrase * 2000, doc)


# ------------------------------------------------------------ max_chars
def test_max_chars_cuts_long_spans_without_losing_text():
    scorer = rhetorix.load(max_chars=50)
    text = ("word " * 40) + "end. Short one."
    doc = scorer.score_document(text)
    check_document(text, doc)
    assert all(len(s.text) <= 50 for s in doc.sentences)
    assert "".join(s.text for s in doc.sentences).replace(" ", "") == text.replace(" ", "")


def test_max_chars_in_score_sentences_is_a_clear_error():
    scorer = rhetorix.load(max_chars=10)
    with pytest.raises(ValueError, match=r"item 1 has 11 characters, more than max_chars=10"):
        scorer.score_sentences(["short", "x" * 11])


@pytest.mark.parametrize("bad", [0, -1, 2.5, "10"])
def test_bad_max_chars(bad):
    with pytest.raises(ValueError, match="max_chars"):
        rhetorix.load(max_chars=bad)


def test_default_max_chars_allows_long_real_sentences(scorer):
    assert scorer.max_chars == 100_000
    assert len(scorer.score_sentences(["word " * 5000])) == 1


# ------------------------------------------------------------ threads
def test_one_scorer_shared_by_eight_threads(scorer):
    docs = [f"Document {i}: the drought caused shortages, officials said. Clearly it is bad." * (1 + i % 3)
            for i in range(64)]
    expected = [scorer.score_document(d).to_dict() for d in docs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda d: scorer.score_document(d).to_dict(), docs))
    assert got == expected


# ------------------------------------------------------------ fuzzing
_PIECE = st.one_of(
    st.text(st.characters(codec=None), max_size=8),
    st.sampled_from(list(".!?\"'\n\r\t ,;:-()\u2019\u201c\u201d\u2028\u00a0")),
    st.sampled_from(["Mr.", "U.S.", " caused ", " said ", " according to ", " many experts ", "\n\n",
                     "Clearly", " because of ", "The World Bank"]),
)
_TEXT = st.lists(_PIECE, max_size=40).map("".join)
_FUZZ = settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@_FUZZ
@given(_TEXT)
def test_fuzz_segmenter_cues_and_scorer(text):
    scorer = rhetorix.load()
    for s, e in segment_spans(text):
        assert 0 <= s < e <= len(text)
    for c in Lexicon.default().find(text):
        assert text[c.start:c.end] == c.text
    doc = scorer.score_document(text)
    check_document(text, doc)
    # the same result alone and in a batch
    if doc.sentences:
        texts = [s.text for s in doc.sentences]
        alone = [scorer.score_sentences([t])[0].to_dict() for t in texts[:3]]
        batch = [r.to_dict() for r in scorer.score_sentences(texts)[:3]]
        assert alone == batch


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_fuzz_cli(text):
    import sys

    stdin = io.TextIOWrapper(io.BytesIO(text.encode("utf-8", "surrogatepass")), encoding="utf-8")
    out = io.StringIO()
    real_in, real_out = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = stdin, out
    try:
        code = cli.main(["score", "-", "--format", "jsonl"])
    finally:
        sys.stdin, sys.stdout = real_in, real_out
    assert code in (0, 1)  # 1: undecodable input (lone surrogates), reported cleanly
    lines = out.getvalue().splitlines()  # Unicode line breaks inside records are escaped
    assert lines == out.getvalue().split("\n")[:-1] or not lines
    for line in lines:
        rec = json.loads(line)
        assert 0.0 <= rec["opinion"] <= 1.0
