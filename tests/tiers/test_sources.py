"""Who says so, in both tiers: the source of each claim, on sentences of our own.

Each sentence repeats a pattern that went wrong before sources were learned
(belief and evidence verbs not counted as attribution, the wrong entity marked
as the source, an actor taken for a source); the names are invented.
"""

from __future__ import annotations

import importlib.util

import pytest

import rhetorix

TIERS = ["fast"] + (["accurate"] if importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("tokenizers")
                    else [pytest.param("accurate", marks=pytest.mark.skip(
                        reason="the accurate extra is not installed (pip install '.[accurate]')"))])

# sentence, the source's first words, its kind, its cue
NAMED = [
    ("Tomas Ortega believes the tariffs caused the factory closures.", "Tomas Ortega", "named", "believes"),
    ("Chancellor Adler thinks the strikes drove up food prices.", "Chancellor Adler", "named", "thinks"),
    ("Analysts at Brightwater Bank estimate that the drought cut wheat exports by a third.",
     "Analysts at Brightwater Bank", "named", "estimate"),
    ("The Budget Office projects that the tax cut will widen the deficit.", "The Budget Office", "named", "projects"),
    ("A study by the Kessler Institute found that the subsidy cut poverty.", "A study by the Kessler Institute",
     "named", "found"),
    ("Okafor, meanwhile, says that the E.U. is to blame for the shortages.", "Okafor", "named", "says"),
    ("Sam Rivera, a senior adviser with the Hartley campaign, said the ads had backfired.", "Sam Rivera",
     "named", "said"),
    ("Lena Fox, chief economist at Northgate Capital, said rents would keep rising.", "Lena Fox", "named", "said"),
    ("Exports fell sharply because of the embargo, new customs data showed on Monday.", "new customs data",
     "vague", "showed"),
    ("Congress said the tariffs caused the layoffs.", "Congress", "named", "said"),
]


@pytest.fixture(scope="module", params=TIERS)
def tier(request):
    return rhetorix.load(request.param)


@pytest.mark.parametrize("sentence, who, kind, verb", NAMED)
def test_the_source_is_the_speaker(tier, sentence, who, kind, verb):
    [r] = tier.score_sentences([sentence])
    assert r.sources, f"no source found in {sentence!r}"
    src = r.sources[0]
    assert src.text.startswith(who) and src.kind == kind, (src.text, src.kind)
    assert sentence[src.start:src.end] == src.text
    assert src.cue is not None and verb in src.cue.text and sentence[src.cue.start:src.cue.end] == src.cue.text
    named_cues = [c.text for c in r.cues if c.kind == "named_source"]
    assert named_cues == [s.text for s in r.sources if s.kind == "named"]
    if kind == "named":  # the sentence-level label agrees with the source, so the claim is attributed
        assert r.attribution == "named" and not r.flags["unattributed_causal"]


def test_the_critic_not_the_criticised_is_the_source(tier):
    sentence = "Marsh in July sharply criticized Hale's handling of the budget."
    [r] = tier.score_sentences([sentence])
    assert all(not s.text.startswith("Hale") for s in r.sources)
    assert [c.text for c in r.cues if c.kind == "named_source"] in ([], ["Marsh"])


@pytest.mark.parametrize("sentence", [
    "Since last spring, the rebel council has seized three river ports.",
    "I think the sanctions caused the shortages.",
    "The flood destroyed the bridge near Tamsk on Sunday.",
])
def test_actors_and_the_writer_are_not_sources(tier, sentence):
    [r] = tier.score_sentences([sentence])
    assert [s for s in r.sources if s.kind == "named"] == []


def test_a_pronoun_continues_the_named_source_of_the_sentence_before(tier):
    text = "Ines Varga said the port would reopen in May. The closure hurt fishermen badly, she added."
    doc = tier.score_document(text)
    first, second = doc.sentences
    [she] = second.sources
    assert text[she.start:she.end] == "she" and she.refers_to is not None
    assert she.refers_to.text == "Ines Varga" == first.sources[0].text
    assert doc.to_dict()["sentences"][1]["sources"][0]["refers_to"]["text"] == "Ines Varga"
    assert doc.summary["named_sources"] == 2


def test_sources_can_be_turned_off(tier, tmp_path):
    sentence = NAMED[0][0]
    off = rhetorix.load(tier.model.name.split(",")[0], sources=False)
    assert off is not rhetorix.load(tier.model.name.split(",")[0])  # the shared default scorer is untouched
    [r] = off.score_sentences([sentence])
    [on] = tier.score_sentences([sentence])
    assert r.sources == [] and on.sources
    assert [c for c in r.cues if c.kind != "named_source"] == [c for c in on.cues if c.kind != "named_source"]
    assert r.causal == on.causal and r.opinion == on.opinion


def test_no_sources_on_the_command_line(tmp_path):
    from rhetorix import cli

    src = tmp_path / "a.txt"
    src.write_text(NAMED[6][0], encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert cli.main(["batch", str(src), "-o", str(out), "--level", "sentence", "--no-sources", "-q"]) == 0
    import json

    [rec] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rec["sources"] == []
    assert cli.main(["batch", str(src), "-o", str(tmp_path / "on.jsonl"), "--level", "sentence", "-q"]) == 0
    [rec] = [json.loads(line) for line in (tmp_path / "on.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rec["sources"][0]["text"].startswith("Sam Rivera")
