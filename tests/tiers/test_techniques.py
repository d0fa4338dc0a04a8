"""Persuasion techniques in the tiers: the bundle file, the word spans, the scorer's flags and thresholds.

Every sentence here was written for these tests.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import rhetorix
from rhetorix.bundle import add_files, bundle_path, load_bundle, save_bundle
from rhetorix.cues.cue import TECHNIQUES, WORD_TECHNIQUES
from rhetorix.errors import BundleError
from rhetorix.text.tokens import TokenBatch
from rhetorix.tiers.base import THRESHOLD_KINDS
from rhetorix.tiers.techniques import FILE, TechniqueHeads, word_spans

LOADED = "These spineless cowards and their sleazy cronies have wrecked our proud and glorious nation."
PLAIN = "The council met on Tuesday and approved the budget for the coming year."
SHIPPED = tuple(load_bundle(bundle_path("fast")).manifest["techniques"]["names"])


def test_the_shipped_fast_tier_scores_its_techniques(scorer):
    assert SHIPPED and set(SHIPPED) <= set(TECHNIQUES)
    loaded, plain = scorer.score_sentences([LOADED, PLAIN])
    for r in (loaded, plain):
        assert tuple(r.techniques) == SHIPPED
        assert all(0.0 <= p <= 1.0 for p in r.techniques.values())
        assert r.flags["techniques"] == [n for n in SHIPPED if r.techniques[n] >= scorer.thresholds[n]]
        assert r.to_dict()["techniques"] == r.techniques
    assert max(loaded.techniques.values()) > max(plain.techniques.values())
    assert "Loaded_Language" in loaded.flags["techniques"] and not plain.flags["techniques"]


def test_technique_flags_and_spans_follow_the_thresholds():
    every = rhetorix.load(thresholds={n: 0.0 for n in SHIPPED})
    none = rhetorix.load(thresholds={n: 1.0 for n in SHIPPED})
    text = f"{PLAIN} {LOADED}"
    doc = every.score_document(text)
    assert all(s.flags["techniques"] == list(SHIPPED) for s in doc.sentences)
    marks = [c for s in doc.sentences for c in s.cues if c.kind in WORD_TECHNIQUES]
    assert marks and all(text[c.start:c.end] == c.text for c in marks)
    assert all(c.text[0].isalnum() and c.text[-1].isalnum() for c in marks)  # no punctuation at the edges
    doc = none.score_document(text)
    assert not any(s.flags["techniques"] for s in doc.sentences)
    assert not any(c.kind in WORD_TECHNIQUES for s in doc.sentences for c in s.cues)
    assert doc.summary["techniques"] == 0


def test_spans_mark_only_flagged_techniques(scorer):
    r = scorer.score_sentences([LOADED])[0]
    kinds = {c.kind for c in r.cues if c.kind in TECHNIQUES}
    assert kinds and kinds <= set(r.flags["techniques"])


def test_same_techniques_alone_and_in_a_batch(scorer):
    texts = [LOADED, PLAIN, "Only a fool would believe the lies of this corrupt gang.", "Rain is likely."]
    batch = scorer.score_sentences(texts)
    for t, b in zip(texts, batch):
        alone = scorer.score_sentences([t])[0]
        assert alone.techniques == pytest.approx(b.techniques, abs=1e-12)
        assert alone.flags == b.flags and alone.cues == b.cues


def test_summary_counts_technique_flags(scorer):
    doc = scorer.score_document(f"{LOADED} {PLAIN}")
    n = sum(len(s.flags["techniques"]) for s in doc.sentences)
    assert doc.summary["techniques"] == n
    assert doc.summary["techniques_per_1000_words"] == pytest.approx(1000 * n / doc.summary["words"])


def test_technique_thresholds_are_checked():
    with pytest.raises(ValueError, match="unknown threshold 'Loaded language'"):
        rhetorix.load(thresholds={"Loaded language": 0.5})
    missing = next(n for n in TECHNIQUES if n not in SHIPPED)
    with pytest.raises(ValueError, match=f"scores no technique '{missing}'"):
        rhetorix.load(thresholds={missing: 0.5})
    with pytest.raises(ValueError, match="between 0 and 1"):
        rhetorix.load(thresholds={SHIPPED[0]: 1.5})
    assert rhetorix.load(thresholds={SHIPPED[0]: 0.25}).thresholds[SHIPPED[0]] == 0.25


def _plain_bundle(path):
    """The shipped fast bundle's heads alone: no tagger, no technique heads."""
    b = load_bundle(bundle_path("fast"))
    keep = {k: v for k, v in b.manifest.items() if k not in ("files", "techniques", "tagger")}
    keep["thresholds"] = {k: b.thresholds[k] for k in THRESHOLD_KINDS}
    return save_bundle(path, b.heads, b.lexicon, keep)


def test_a_bundle_without_technique_heads_scores_none(tmp_path):
    s = rhetorix.load(_plain_bundle(tmp_path / "plain"))
    r = s.score_sentences([LOADED])[0]
    assert r.techniques == {} and r.flags["techniques"] == []
    assert r.to_dict()["techniques"] == {} and r.to_dict()["flags"]["techniques"] == []
    assert s.score_document(LOADED).summary["techniques"] == 0


def test_technique_heads_are_checked_on_load(tmp_path):
    path = tmp_path / "b"
    shutil.copytree(bundle_path("fast"), path)
    heads = TechniqueHeads.of(load_bundle(path))
    bad = tmp_path / FILE
    TechniqueHeads(heads.names, heads.coef[:, :10], heads.intercept, heads.word_names, heads.word_coef,
                   heads.word_intercept, heads.word_thresholds).save(bad)
    add_files(path, {FILE: bad})
    with pytest.raises(BundleError, match="technique heads do not match"):
        rhetorix.load(path)
    add_files(path, {FILE: bad}, {"techniques": {**load_bundle(path).manifest["techniques"], "names": ["Nonsense"]}})
    with pytest.raises(BundleError, match="unknown persuasion techniques"):
        rhetorix.load(path)


def test_heads_round_trip(tmp_path):
    heads = TechniqueHeads.of(load_bundle(bundle_path("fast")))
    heads.save(tmp_path / FILE)
    with np.load(tmp_path / FILE, allow_pickle=False) as npz:
        assert np.allclose(npz["coef"], heads.coef, atol=1e-6)
        assert npz["word_coef"].shape == heads.word_coef.shape
    m = heads.manifest()
    assert m["names"] == list(heads.names) and set(m["word_thresholds"]) == set(heads.word_names)


def test_word_spans_are_runs_in_flagged_sentences_trimmed_to_words():
    texts = ["Those vile , rotten crooks lied .", "Those vile crooks lied ."]
    batch = TokenBatch.split(texts)
    heads = TechniqueHeads(("Loaded_Language",), np.zeros((1, 1)), np.zeros(1), ("Loaded_Language",),
                           np.zeros((1, 1)), np.zeros(1), np.array([0.5]))
    # tokens: Those vile , rotten crooks lied .  |  Those vile crooks lied .
    p = np.array([0.1, 0.9, 0.8, 0.9, 0.7, 0.2, 0.9, 0.1, 0.9, 0.2, 0.1, 0.1])[:, None]
    flagged = heads.word_flags([["Loaded_Language"], []])
    out = word_spans(texts, [100, 200], batch, p, flagged, heads)
    assert [(c.kind, c.text, c.start) for c in out[0]] == [("Loaded_Language", "vile , rotten crooks", 106)]
    assert out[1] == []  # not flagged: no span, however high its words score
    flagged = heads.word_flags([["Loaded_Language"], ["Loaded_Language"]])
    out = word_spans(texts, [0, 0], batch, p, flagged, heads)
    assert [c.text for c in out[1]] == ["vile"]
