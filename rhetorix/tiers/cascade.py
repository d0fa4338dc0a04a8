"""The cascade: the fast tier on every sentence, the accurate tier where the fast one is unsure.

A sentence is unsure when its fast opinion or causal probability lies within
`band` of the fast tier's threshold.  Those sentences get all their
probabilities from the accurate tier; the others keep the fast tier's.  The
decision thresholds are the accurate tier's, so a sentence near a decision is
always decided by the accurate model.  Persuasion techniques are the fast
tier's on every sentence, with its thresholds: the unsure band is drawn around
the opinion and causal decisions, and a technique's probability and threshold
must come from the same heads.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, Optional, Sequence

import numpy as np

from .base import TECHNIQUES, Model, Predictions

__all__ = ["CascadeModel", "BAND", "unsure"]

#: Default half-width of the "unsure" band around the fast tier's thresholds.
BAND = 0.25


def unsure(opinion: np.ndarray, causal: np.ndarray, thresholds: Mapping[str, float], band: float = BAND) -> np.ndarray:
    """Which sentences the fast tier is unsure about: a probability within `band` of its threshold."""
    return (np.abs(opinion - thresholds.get("opinion", 0.5)) < band) | (
        np.abs(causal - thresholds.get("causal", 0.5)) < band
    )


class CascadeModel:
    """Two tiers: `fast` everywhere, `accurate` for the sentences `fast` is unsure about.

    Parameters
    ----------
    fast, accurate : Model
    band : float, default=BAND
        A sentence goes to `accurate` when ``|p - threshold| < band`` for the fast
        tier's opinion or causal probability.  0 sends none, 1 sends all.
    """

    def __init__(self, fast: Model, accurate: Model, band: float = BAND):
        if not 0.0 <= band <= 1.0:
            raise ValueError(f"band must lie in [0, 1], got {band!r}")
        self.fast, self.accurate, self.band = fast, accurate, band
        self.thresholds = MappingProxyType({
            **{k: v for k, v in accurate.thresholds.items() if k not in TECHNIQUES},
            **{k: v for k, v in fast.thresholds.items() if k in TECHNIQUES},
        })
        self.name = f"cascade (band {band}) of {fast.name} and {accurate.name}"

    def predict(self, texts: Sequence[str], offsets: Optional[Sequence[int]] = None) -> Predictions:
        """Probabilities and cues of each text (see :class:`~rhetorix.tiers.base.Model`)."""
        pred = self.fast.predict(texts, offsets)
        idx = np.flatnonzero(unsure(pred.opinion, pred.causal, self.fast.thresholds, self.band))
        if len(idx):
            sub = self.accurate.predict([texts[i] for i in idx], [offsets[i] for i in idx] if offsets else None)
            pred.opinion[idx] = sub.opinion
            pred.causal[idx] = sub.causal
            pred.attribution[idx] = sub.attribution
            if sub.sources is not None:  # the accurate tier's sources and cues for the sentences it scored
                sources = pred.sources if pred.sources is not None else [[] for _ in texts]
                for j, i in enumerate(idx.tolist()):
                    sources[i] = sub.sources[j]
                    pred.cues[i] = sub.cues[j]
                pred.sources = sources
        return pred
