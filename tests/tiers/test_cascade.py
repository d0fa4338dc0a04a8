"""The cascade: fast everywhere, accurate where the fast tier is unsure."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="the accurate extra is not installed (pip install '.[accurate]')")

import rhetorix  # noqa: E402
from rhetorix.tiers.base import TECHNIQUES, THRESHOLD_KINDS  # noqa: E402
from rhetorix.tiers.cascade import CascadeModel, unsure  # noqa: E402
from rhetorix.training.corpora import read_own  # noqa: E402


@pytest.fixture(scope="module")
def tiers():
    return rhetorix.load("fast").model, rhetorix.load("accurate").model


@pytest.fixture(scope="module")
def texts():
    return [r["text"] for r in read_own()][:80]


def test_each_sentence_comes_from_the_tier_its_band_says(tiers, texts):
    fast, accurate = tiers
    f, a = fast.predict(texts), accurate.predict(texts)
    routed = unsure(f.opinion, f.causal, fast.thresholds, 0.25)
    assert 0 < routed.sum() < len(texts)  # some of each
    c = CascadeModel(fast, accurate, band=0.25).predict(texts)
    for name in ("opinion", "causal", "attribution"):
        got, fp, ap = getattr(c, name), getattr(f, name), getattr(a, name)
        assert np.allclose(got[routed], ap[routed]) and np.allclose(got[~routed], fp[~routed])
    # cues and sources too: the accurate tier's where it scored, the fast tier's elsewhere
    for i, r in enumerate(routed):
        src = a if r else f
        assert c.cues[i] == src.cues[i]
        assert c.sources[i] == (src.sources[i] if src.sources is not None else [])


def test_band_zero_is_the_fast_tier_and_band_one_the_accurate_one(tiers, texts):
    fast, accurate = tiers
    assert np.allclose(CascadeModel(fast, accurate, band=0.0).predict(texts).causal, fast.predict(texts).causal)
    assert np.allclose(CascadeModel(fast, accurate, band=1.0).predict(texts).causal,
                       accurate.predict(texts).causal)
    with pytest.raises(ValueError):
        CascadeModel(fast, accurate, band=1.5)


def test_load_cascade_uses_the_accurate_thresholds_and_the_fast_techniques():
    scorer = rhetorix.load("cascade")
    fast, accurate = rhetorix.load("fast").thresholds, rhetorix.load("accurate").thresholds
    for kind in THRESHOLD_KINDS:
        assert scorer.thresholds[kind] == accurate[kind]
    techniques = {k: v for k, v in fast.items() if k in TECHNIQUES}
    assert techniques and {k: v for k, v in scorer.thresholds.items() if k in TECHNIQUES} == techniques
    text = "Sanctions caused the shortages, many experts say. Prices rose 4% in May."
    doc = scorer.score_document(text)
    assert len(doc.sentences) == 2
    fast_doc = rhetorix.load().score_document(text)
    assert [s.techniques for s in doc.sentences] == [s.techniques for s in fast_doc.sentences]
