"""Calibration measures and reliability plots for ``rhetorix evaluate``.

Expected calibration error (ECE) uses ``n_bins`` equal-width bins of the
predicted probability: the mean over bins of ``|accuracy - confidence|``,
weighted by the share of predictions in the bin.  For two classes the
probability is that of the positive class and "accuracy" is the share of
positives; for more classes it is the top-label ECE (confidence of the
predicted class against whether it was right).
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

from ..errors import extra_required

__all__ = ["reliability", "expected_calibration_error", "top_label", "plot_reliability"]


def reliability(y: Sequence[int], p: Sequence[float], n_bins: int = 10) -> Dict[str, List[float]]:
    """Per-bin mean probability, observed frequency and count (empty bins left out)."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError(f"y and p must be 1-D and of equal length, got {y.shape} and {p.shape}")
    if len(p) and (p.min() < 0 or p.max() > 1):
        raise ValueError("probabilities must lie in [0, 1]")
    idx = np.minimum((p * n_bins).astype(int), n_bins - 1)
    out: Dict[str, List[float]] = {"confidence": [], "frequency": [], "count": []}
    for b in range(n_bins):
        m = idx == b
        if m.any():
            out["confidence"].append(float(p[m].mean()))
            out["frequency"].append(float(y[m].mean()))
            out["count"].append(int(m.sum()))
    return out


def expected_calibration_error(y: Sequence[int], p: Sequence[float], n_bins: int = 10) -> float:
    """ECE of probabilities `p` for binary outcomes `y` (0/1)."""
    bins = reliability(y, p, n_bins)
    n = sum(bins["count"])
    if n == 0:
        return 0.0
    return float(sum(c * abs(f - q) for q, f, c in zip(bins["confidence"], bins["frequency"], bins["count"])) / n)


def top_label(y: Sequence[str], proba: np.ndarray, classes: Sequence[str]):
    """Confidence of the predicted class and whether it was right, for top-label ECE."""
    proba = np.asarray(proba, dtype=np.float64)
    pred = np.asarray(classes)[np.argmax(proba, axis=1)]
    return (pred == np.asarray(y)).astype(int), proba.max(axis=1)


def plot_reliability(path: Path, curves: Dict[str, Dict[str, List[float]]], title: str) -> Path:
    """Save a reliability diagram (one line per system) as PNG; needs matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise extra_required("plots", "plots") from None
    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=120)
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="perfect calibration")
    for (name, bins), marker in zip(curves.items(), "osD^v"):
        ax.plot(bins["confidence"], bins["frequency"], marker=marker, label=name)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed frequency")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
