"""Tests for rhetorix.scorer: sentence and document scoring with the shipped model."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rhetorix
from rhetorix.cues import CUE_KINDS
from rhetorix.cues.cue import TECHNIQUES
from rhetorix.results import DocumentScore, SentenceScore

KEYS = {
    "text", "start", "end", "opinion", "causal", "attribution", "attribution_scores",
    "unattributed_causal", "flags", "cues", "sources", "techniques",
}
LABELS = ("named", "vague", "none")

SENTENCES = [
    "The harbour authority said on Friday that the strike caused long delays.",
    "Frankly, this plan is the worst idea the council has had in years.",
    "Rents rose because fewer homes were built, many analysts believe.",
    "The bridge is 240 metres long.",
    "Why would anyone vote for this?",
    "According to the Port of Valdora, exports fell 8% in March.",
    "",
    "   ",
    "I don\u2019t think the tariff will survive the winter!",
    "Heavy rain led to flooding in three districts, officials said.",
]

DOCUMENT = (
    "Flood Defences Fail Again\n"
    "By Tomas Keller\n\n"
    "Heavy rain led to flooding in three riverside districts on Tuesday, the city council said. "
    "Residents were moved to a school gym.  Many experts believe years of cuts caused the failure.\n\n"
    "- The pumps stopped at 3 a.m.\n"
    "- Power returned at noon.\n\n"
    "Frankly, this is a scandal. \u201cWe warned them,\u201d said engineer Lina Park. "
    "Why did nobody listen?\r\n"
    "The U.S. Army Corps of Engineers will review the design, according to Mayor Ruth Adeyemi.\n"
)


# ------------------------------------------------------------- basic shape
def check_score(r, text=None):
    assert isinstance(r, SentenceScore)
    if text is not None:
        assert r.text == text
    for name in ("opinion", "causal", "unattributed_causal"):
        v = getattr(r, name)
        assert isinstance(v, float) and 0.0 <= v <= 1.0, (name, v)
    assert set(r.attribution_scores) == set(LABELS)
    assert all(0.0 <= p <= 1.0 for p in r.attribution_scores.values())
    assert math.isclose(sum(r.attribution_scores.values()), 1.0, abs_tol=1e-6)
    assert r.attribution in LABELS
    assert r.attribution == max(LABELS, key=lambda k: r.attribution_scores[k])
    assert set(r.flags) == {"opinion", "causal", "unattributed_causal", "techniques"}
    assert all(isinstance(r.flags[k], bool) for k in ("opinion", "causal", "unattributed_causal"))
    assert set(r.flags["techniques"]) <= set(r.techniques) <= set(TECHNIQUES)
    assert math.isclose(
        r.unattributed_causal, r.causal * (1.0 - r.attribution_scores["named"]), rel_tol=1e-9, abs_tol=1e-12
    )
    for c in r.cues:
        assert c.kind in CUE_KINDS or c.kind in r.flags["techniques"]


def check_flags(r, th):
    assert r.flags["opinion"] == (r.opinion >= th["opinion"])
    assert r.flags["causal"] == (r.causal >= th["causal"])
    assert r.flags["unattributed_causal"] == (
        r.causal >= th["causal"] and r.unattributed_causal >= th["unattributed_causal"]
    )
    if r.flags["unattributed_causal"]:
        assert r.flags["causal"]


def test_score_sentences_order_and_fields(scorer):
    res = scorer.score_sentences(SENTENCES)
    assert len(res) == len(SENTENCES)
    for r, text in zip(res, SENTENCES):
        check_score(r, text)
        assert (r.start, r.end) == (0, len(text))
        for c in r.cues:
            assert text[c.start:c.end] == c.text
    rev = scorer.score_sentences(list(reversed(SENTENCES)))
    assert [r.to_dict() for r in rev] == [r.to_dict() for r in reversed(res)]


def test_score_sentences_accepts_iterables(scorer):
    a = scorer.score_sentences(SENTENCES)
    b = scorer.score_sentences(iter(SENTENCES))
    c = scorer.score_sentences(tuple(SENTENCES))
    d = scorer.score_sentences(s for s in SENTENCES)
    assert [r.to_dict() for r in a] == [r.to_dict() for r in b] == [r.to_dict() for r in c] == [
        r.to_dict() for r in d
    ]


def test_alone_equals_in_batch_of_50(scorer):
    batch = (SENTENCES * 5)[:50]
    assert len(batch) == 50
    together = scorer.score_sentences(batch)
    for text, r in zip(batch, together):
        alone = scorer.score_sentences([text])[0]
        assert alone.to_dict() == r.to_dict()


@pytest.mark.parametrize("batch_size", [1, 3, 7, 10, 512])
def test_batch_size_does_not_change_results(scorer, batch_size):
    ref = [r.to_dict() for r in scorer.score_sentences(SENTENCES)]
    assert [r.to_dict() for r in scorer.score_sentences(SENTENCES, batch_size=batch_size)] == ref


def test_bad_batch_size(scorer):
    with pytest.raises(ValueError, match="batch_size"):
        scorer.score_sentences(["a"], batch_size=0)


@pytest.mark.parametrize("bad", [None, b"bytes", 3, 2.5, ["nested"]])
def test_non_str_item_raises_type_error(scorer, bad):
    with pytest.raises(TypeError, match="item 2"):
        scorer.score_sentences(["a", "b", bad])


def test_bare_str_is_refused(scorer):
    with pytest.raises(TypeError, match="score_document"):
        scorer.score_sentences("Rain fell on Tuesday.")
    with pytest.raises(TypeError):
        scorer.score_documents("Rain fell on Tuesday.")


def test_non_str_document_is_refused(scorer):
    for bad in (None, b"Rain fell.", 3, ["Rain fell."]):
        with pytest.raises(TypeError):
            scorer.score_document(bad)
    with pytest.raises(TypeError, match="item 1"):
        scorer.score_documents(["Rain fell.", None])


def test_empty_inputs(scorer):
    assert scorer.score_sentences([]) == []
    assert scorer.score_documents([]) == []
    for text in ("", "  \n ", "\n\n\t", "\u2028\u3000"):
        doc = scorer.score_document(text)
        assert isinstance(doc, DocumentScore)
        assert doc.sentences == []
        assert doc.summary["sentences"] == 0
        assert doc.summary["causal_claims"] == 0
        assert doc.summary["unattributed_causal_claims"] == 0
        assert doc.summary["opinion_share"] == 0.0
        json.dumps(doc.to_dict())


# ------------------------------------------------------------------ document
def check_document(text, doc, scorer):
    last_end = 0
    for s in doc.sentences:
        check_score(s)
        check_flags(s, scorer.thresholds)
        assert 0 <= s.start < s.end <= len(text)
        assert s.start >= last_end
        last_end = s.end
        assert text[s.start:s.end] == s.text
        assert s.text == s.text.strip()
        for c in s.cues:
            assert s.start <= c.start < c.end <= s.end
            assert text[c.start:c.end] == c.text
    n = len(doc.sentences)
    assert doc.summary["sentences"] == n
    assert doc.summary["causal_claims"] == sum(s.flags["causal"] for s in doc.sentences)
    assert doc.summary["unattributed_causal_claims"] == sum(
        s.flags["unattributed_causal"] for s in doc.sentences
    )
    share = sum(s.flags["opinion"] for s in doc.sentences) / n if n else 0.0
    assert math.isclose(doc.summary["opinion_share"], share)


def test_score_document_offsets_and_summary(scorer):
    doc = scorer.score_document(DOCUMENT)
    assert len(doc.sentences) >= 8
    check_document(DOCUMENT, doc, scorer)
    assert any(c.kind == "named_source" for s in doc.sentences for c in s.cues)
    assert any(c.kind == "causal_verb" for s in doc.sentences for c in s.cues)
    assert doc.sentences[0].text == "Flood Defences Fail Again"


def test_document_sentence_scores_match_sentence_scores(scorer):
    doc = scorer.score_document(DOCUMENT)
    alone = scorer.score_sentences([s.text for s in doc.sentences])
    for d, a in zip(doc.sentences, alone):
        dd, ad = d.to_dict(), a.to_dict()
        for key in ("opinion", "causal", "attribution", "attribution_scores", "unattributed_causal", "flags"):
            assert dd[key] == ad[key], key
        assert [(c["kind"], c["text"], c["start"] - d.start) for c in dd["cues"]] == [
            (c["kind"], c["text"], c["start"]) for c in ad["cues"]
        ]


def test_score_documents(scorer):
    docs = scorer.score_documents([DOCUMENT, "", "Rain fell. Then it stopped."])
    assert [d.summary["sentences"] for d in docs] == [
        scorer.score_document(t).summary["sentences"] for t in (DOCUMENT, "", "Rain fell. Then it stopped.")
    ]
    assert docs[0].to_dict() == scorer.score_document(DOCUMENT).to_dict()


def test_to_dict_keys_and_json(scorer):
    doc = scorer.score_document(DOCUMENT)
    for s in doc.sentences + scorer.score_sentences(SENTENCES):
        d = s.to_dict()
        assert set(d) == KEYS
        back = json.loads(json.dumps(d))
        assert back == d
        assert isinstance(d["start"], int) and isinstance(d["end"], int)
        for c in d["cues"]:
            assert set(c) == {"kind", "start", "end", "text"}
    out = json.loads(json.dumps(doc.to_dict()))
    assert set(out) == {"sentences", "summary"}
    assert set(out["summary"]) == {"sentences", "words", "opinion_share", "causal_claims", "unattributed_causal_claims",
                                   "named_sources", "vague_sources", "techniques", "techniques_per_1000_words"}


def test_to_dict_is_a_copy(scorer):
    r = scorer.score_sentences(["Rain fell."])[0]
    d = r.to_dict()
    d["flags"]["opinion"] = "changed"
    d["attribution_scores"]["named"] = 42
    assert r.flags["opinion"] in (True, False)
    assert r.attribution_scores["named"] != 42


def test_thresholds(scorer):
    th = scorer.thresholds
    assert set(th) == {"opinion", "causal", "unattributed_causal", *scorer.model.techniques.names}
    for v in th.values():
        assert 0.0 < v < 1.0
    for r in scorer.score_sentences(SENTENCES):
        check_flags(r, th)
    assert "Scorer(" in repr(scorer)


# --------------------------------------------------------------------- load
def test_load_shares_the_model_not_the_scorer(scorer):
    assert rhetorix.load().model is scorer.model
    assert rhetorix.load() is not rhetorix.load()
    assert rhetorix.load(sources=False).model is rhetorix.load(sources=False).model is not scorer.model


def test_thresholds_are_read_only_and_set_per_scorer(scorer):
    shipped = dict(scorer.thresholds)
    with pytest.raises(TypeError):
        scorer.thresholds["causal"] = 0.9
    with pytest.raises(AttributeError):
        scorer.thresholds = {"causal": 0.9}
    with pytest.raises(TypeError):
        scorer.model.thresholds["causal"] = 0.9  # the shared model too
    strict = rhetorix.load(thresholds={"causal": 0.99, "unattributed_causal": 1})
    assert strict.thresholds == {**shipped, "causal": 0.99, "unattributed_causal": 1.0}
    assert dict(rhetorix.load().thresholds) == shipped == dict(scorer.thresholds)  # nothing leaked
    text = ["Because fuel prices rose, airlines cut several routes."]
    assert scorer.score_sentences(text)[0].flags["causal"]
    assert not strict.score_sentences(text)[0].flags["causal"]
    loose = rhetorix.Scorer(scorer.model, thresholds={"opinion": 0})
    assert loose.score_sentences(text)[0].flags["opinion"]


@pytest.mark.parametrize("bad, error, match", [
    ({"causality": 0.5}, ValueError, "unknown threshold 'causality'; choose from opinion, causal"),
    ({"causal": 1.5}, ValueError, "between 0 and 1"),
    ({"causal": float("nan")}, ValueError, "between 0 and 1"),
    ({"causal": "0.5"}, TypeError, "must be a number, got str"),
    ({"causal": True}, TypeError, "must be a number, got bool"),
    ([("causal", 0.5)], TypeError, "must be a mapping"),
])
def test_bad_thresholds_are_refused_before_loading(bad, error, match):
    with pytest.raises(error, match=match):
        rhetorix.load("no/such/bundle", thresholds=bad)


@pytest.mark.parametrize("bad", [None, 3, object()])
def test_non_iterables_get_a_clear_type_error(scorer, bad):
    with pytest.raises(TypeError, match=f"score_sentences expects a list of str, got {type(bad).__name__}"):
        scorer.score_sentences(bad)
    with pytest.raises(TypeError, match=f"score_documents expects a list of str, got {type(bad).__name__}"):
        scorer.score_documents(bad)


def test_score_documents_shows_progress_only_when_asked(scorer, capsys):
    docs = ["Rain fell.", "Prices rose because fuel cost more."]
    assert [d.summary for d in scorer.score_documents(docs)] == [d.summary for d in
                                                                  scorer.score_documents(docs, progress=True)]
    err = capsys.readouterr().err
    assert "2/2" in err and err.count("2/2") >= 1
    scorer.score_documents(docs)
    assert capsys.readouterr().err == ""


def test_public_namespace_holds_only_the_public_api():
    assert dir(rhetorix) == sorted(rhetorix.__all__)
    assert "importlib" not in dir(rhetorix) and "score_frame" in dir(rhetorix)


def test_load_extra_cues():
    text = "By all accounts the new ferry route was a success."
    nonce = "As the owls foretold, the ferry route was a success."
    base = rhetorix.load()
    assert not [c for c in base.score_sentences([nonce])[0].cues if c.kind == "hedge"]
    extra = rhetorix.load(extra_cues={"hedge": ["by all accounts", "as the owls foretold"]})
    assert extra is not base
    cues = extra.score_sentences([text])[0].cues
    assert [(c.kind, c.text) for c in cues if c.kind == "hedge"] == [("hedge", "By all accounts")]
    cues = extra.score_sentences([nonce])[0].cues
    assert [(c.kind, c.text) for c in cues if c.kind == "hedge"] == [("hedge", "As the owls foretold")]
    # the shared default model is unchanged
    assert rhetorix.load().model is base.model
    assert not [c for c in base.score_sentences([nonce])[0].cues if c.kind == "hedge"]
    doc = extra.score_document("Rain fell. " + text)
    assert [c.text for s in doc.sentences for c in s.cues if c.kind == "hedge"] == ["By all accounts"]


def test_load_lexicon_dir(tmp_path):
    (tmp_path / "hedge.txt").write_text("# extra hedges\nby all accounts\n", encoding="utf-8")
    (tmp_path / "causal_verb.txt").write_text("set in motion\n", encoding="utf-8")
    sc = rhetorix.load(lexicon_dir=tmp_path)
    cues = sc.score_sentences(["By all accounts the vote set in motion a crisis."])[0].cues
    assert ("hedge", "By all accounts") in [(c.kind, c.text) for c in cues]
    assert ("causal_verb", "set in motion") in [(c.kind, c.text) for c in cues]


def test_load_lexicon_dir_and_extra_cues_combine(tmp_path):
    (tmp_path / "hedge.txt").write_text("by all accounts\n", encoding="utf-8")
    sc = rhetorix.load(lexicon_dir=tmp_path, extra_cues={"hedge": ["so it seems"]})
    cues = sc.score_sentences(["By all accounts the plan worked, so it seems."])[0].cues
    assert [c.text for c in cues if c.kind == "hedge"] == ["By all accounts", "so it seems"]


def test_load_bad_extras(tmp_path):
    with pytest.raises(TypeError):
        rhetorix.load(extra_cues={"hedge": "by all accounts"})
    with pytest.raises(ValueError):
        rhetorix.load(extra_cues={"hunch": ["maybe"]})
    with pytest.raises(ValueError):
        rhetorix.load(extra_cues={"hedge": ["ab*"]})
    (tmp_path / "hunch.txt").write_text("maybe\n", encoding="utf-8")
    with pytest.raises(ValueError, match="hunch"):
        rhetorix.load(lexicon_dir=tmp_path)
    with pytest.raises(FileNotFoundError):
        rhetorix.load(lexicon_dir=tmp_path / "missing")


# ---------------------------------------------------------- model direction
OPINIONATED = "Clearly, this reckless plan is an utter disaster and must be scrapped."
FACTUAL = "The plan was approved on 3 May by 52 votes to 41."
VAGUE_CAUSAL = "Western sanctions caused the fuel shortages, many experts concur."
NAMED_CAUSAL = "According to the World Bank, the drought caused food prices to rise."


def test_opinion_direction(scorer):
    op, fact = scorer.score_sentences([OPINIONATED, FACTUAL])
    assert op.opinion > fact.opinion
    assert op.flags["opinion"] and not fact.flags["opinion"]


def test_causal_and_attribution_direction(scorer):
    vague, named, fact = scorer.score_sentences([VAGUE_CAUSAL, NAMED_CAUSAL, FACTUAL])
    assert vague.causal > 0.5
    assert named.causal > 0.5
    assert fact.causal < vague.causal
    assert named.attribution_scores["named"] > vague.attribution_scores["named"]
    assert vague.unattributed_causal > named.unattributed_causal
    assert vague.flags["unattributed_causal"]
    assert ("vague_source", "many experts") in [(c.kind, c.text) for c in vague.cues]
    assert any(c.kind == "named_source" and "World Bank" in c.text for c in named.cues)
    assert [s.text for s in named.sources if s.kind == "named"] == [c.text for c in named.cues
                                                                   if c.kind == "named_source"]


# ------------------------------------------------------------------ property
_PIECES = st.sampled_from(
    [
        "The drought caused shortages.", "Many experts said", "according to the World Bank",
        "Clearly,", "Why?", "!", "\n\n", "\r\n", "- ", "1. ", "Mr. Lee", "U.S.", "\u201cQuote,\u201d",
        "\u2028", "\u00a0", "...", "\u2026", "I think", "led to", "because", " ", "\t", "Dr.", "e.g.",
    ]
)
_ANY_TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=25).map("".join),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_ANY_TEXT)
def test_score_document_property(scorer, text):
    doc = scorer.score_document(text)
    check_document(text, doc, scorer)
    json.dumps(doc.to_dict())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(_ANY_TEXT, min_size=1, max_size=8), pick=st.integers(0, 7))
def test_alone_equals_batch_property(scorer, texts, pick):
    pick %= len(texts)
    batch = scorer.score_sentences(texts)
    alone = scorer.score_sentences([texts[pick]])[0]
    assert alone.to_dict() == batch[pick].to_dict()
    for t, r in zip(texts, batch):
        check_score(r, t)
        for c in r.cues:
            assert t[c.start:c.end] == c.text


def test_pronoun_sources_link_to_the_named_source_they_continue():
    from rhetorix.cues.cue import Source
    from rhetorix.results import SentenceScore
    from rhetorix.scorer import LINK_WINDOW, link_pronoun_sources

    def sent(*sources):
        return SentenceScore("x", 0, 1, 0.1, 0.1, "named", {"named": 1.0, "vague": 0.0, "none": 0.0}, 0.0,
                             {"opinion": False, "causal": False, "unattributed_causal": False}, [], list(sources))

    ines = Source(0, 10, "Ines Varga", "named", 0.9)
    she = Source(50, 53, "she", "named", 0.9)
    officials = Source(60, 69, "officials", "vague", 0.9)
    out = link_pronoun_sources([sent(ines), sent(), sent(she, officials)])
    assert out[2].sources[0].refers_to == ines and out[2].sources[1].refers_to is None
    assert out[2].sources[0].to_dict()["refers_to"] == {"start": 0, "end": 10, "text": "Ines Varga"}
    far = link_pronoun_sources([sent(ines), *[sent() for _ in range(LINK_WINDOW)], sent(she)])
    assert far[-1].sources[0].refers_to is None  # too far back to tell
    assert link_pronoun_sources([sent(she)])[0].sources[0].refers_to is None


def test_readme_states_the_shipped_thresholds(repo_root):
    """The README's table of thresholds is the manifests' (rounded to 3 decimals)."""
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| flag | fast | accurate | cascade |"):]
    rows = {}
    for line in table.splitlines()[2:5]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0].split("`")[1]] = [float(c) for c in cells[1:]]
    for k, name in enumerate(("fast", "accurate", "cascade")):
        try:
            th = rhetorix.load(name).thresholds
        except ImportError:
            continue  # the accurate extra is not installed
        assert {flag: round(th[flag], 3) for flag in rows} == {flag: v[k] for flag, v in rows.items()}
