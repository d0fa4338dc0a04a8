"""What a model tier gives the scorer: probabilities and cues for a batch of sentences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Mapping, Optional, Protocol, Sequence

import numpy as np

from ..cues.cue import Cue

__all__ = ["ATTRIBUTION_LABELS", "Predictions", "Model"]

#: Attribution classes, in the column order of :attr:`Predictions.attribution`.
ATTRIBUTION_LABELS = ("named", "vague", "none")


@dataclass
class Predictions:
    """A tier's output for ``n`` sentences.

    Attributes
    ----------
    opinion, causal : ndarray of shape (n,)
        P(opinion), P(causal claim).
    attribution : ndarray of shape (n, 3)
        P(named), P(vague), P(none) (columns in :data:`ATTRIBUTION_LABELS` order).
    cues : list of list of Cue
        The cue spans of each sentence, offsets into the caller's text.
    """

    opinion: np.ndarray
    causal: np.ndarray
    attribution: np.ndarray
    cues: List[List[Cue]]


class Model(Protocol):
    """The interface a :class:`~rhetorix.scorer.Scorer` drives.

    Attributes
    ----------
    name : str
        A short description for ``repr`` (the tier and where it was loaded from).
    thresholds : mapping of str to float
        The decision thresholds shipped with the model (``opinion``, ``causal``,
        ``unattributed_causal``).
    """

    name: str
    thresholds: Mapping[str, float]

    def predict(self, texts: Sequence[str], offsets: Optional[Sequence[int]] = None) -> Predictions:
        """Probabilities and cues of each text, a sentence starting at ``offsets[i]`` in the caller's text."""
        ...  # pragma: no cover
