"""Regression: the shipped model's predictions on our own sentences are pinned.

data/README.md promises that changes to models or lexicons do not silently
change predictions on data/sentences.tsv.  The pinned probabilities live in
tests/pins/sentences.tsv (our sentences' ids, no text); a change beyond the
tolerance fails here.  After a deliberate change (a retrained model, a lexicon
edit), regenerate the pins and commit them with the change::

    RHETORIX_UPDATE_PINS=1 pytest tests/test_regression.py
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from rhetorix.training.corpora import read_own

PINS = Path(__file__).resolve().parent / "pins" / "sentences.tsv"
COLUMNS = ("opinion", "causal", "named", "vague", "none")
TOLERANCE = 1e-4  # float sums may differ in the last digits across numpy versions and machines


def _predictions(scorer):
    own = read_own()
    scores = scorer.score_sentences([r["text"] for r in own])
    return {r["id"]: s for r, s in zip(own, scores)}


def test_predictions_on_our_sentences_are_pinned(scorer):
    preds = _predictions(scorer)
    if os.environ.get("RHETORIX_UPDATE_PINS") == "1":
        with open(PINS, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, delimiter="\t", lineterminator="\n")
            w.writerow(["id", *COLUMNS, "flags"])
            for sid, s in preds.items():
                flags = "".join(k[0].upper() for k in ("opinion", "causal", "unattributed_causal") if s.flags[k])
                w.writerow([sid, f"{s.opinion:.6f}", f"{s.causal:.6f}",
                            *(f"{s.attribution_scores[k]:.6f}" for k in COLUMNS[2:]), flags])
        pytest.skip(f"pins written to {PINS}")
    with open(PINS, encoding="utf-8", newline="") as fh:
        pins = {row["id"]: row for row in csv.DictReader(fh, delimiter="\t")}
    assert set(pins) == set(preds), "the pins are for another data/sentences.tsv: regenerate them"
    th = scorer.thresholds
    changed = []
    for sid, s in preds.items():
        pin = pins[sid]
        got = {"opinion": s.opinion, "causal": s.causal, **s.attribution_scores}
        if any(abs(got[k] - float(pin[k])) > TOLERANCE for k in COLUMNS):
            changed.append((sid, {k: (float(pin[k]), round(got[k], 6)) for k in COLUMNS}))
            continue
        flags = "".join(k[0].upper() for k in ("opinion", "causal", "unattributed_causal") if s.flags[k])
        got["unattributed_causal"] = s.unattributed_causal
        near = any(abs(got[k] - th[k]) <= 2 * TOLERANCE for k in ("opinion", "causal", "unattributed_causal"))
        if flags != pin["flags"] and not near:
            changed.append((sid, {"flags": (pin["flags"], flags)}))
    assert not changed, f"{len(changed)} predictions changed, e.g. {changed[:3]}"
