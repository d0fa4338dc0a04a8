"""Decision thresholds chosen on scores: the exact best cut for F-beta or macro-F1."""

from __future__ import annotations

from typing import Tuple

import numpy as np

__all__ = ["best_threshold"]


def best_threshold(y: np.ndarray, p: np.ndarray, average: str = "binary", beta: float = 1.0) -> Tuple[float, float]:
    """Threshold on `p` maximising F-beta (``binary``; F1 by default) or macro-F1 (``macro``).

    Returns ``(threshold, score)``.  Every cut between two distinct scores is tried, so the choice does not
    depend on a grid and is the same partition under any monotone
    recalibration of `p`.  The threshold is the midpoint of the chosen cut; a
    threshold above every score (flag nothing) when no cut scores above 0.
    `beta` below 1 weighs precision more (0.5: precision counts double).
    """
    if average == "macro" and beta != 1.0:
        raise ValueError("beta applies to average='binary' only")
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=np.float64)
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    last = np.flatnonzero(np.append(ps[1:] != ps[:-1], True))  # last index of each tie group
    # cut k predicts the first last[k] + 1 scores positive; the first cut predicts none
    tp = np.concatenate([[0.0], np.cumsum(ys)[last]])
    fp = np.concatenate([[0.0], last + 1]) - tp
    pos, neg = ys.sum(), len(ys) - ys.sum()
    fn, tn = pos - tp, neg - fp
    b2 = beta * beta
    with np.errstate(invalid="ignore", divide="ignore"):
        f_pos = np.nan_to_num((1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp))
        f1_neg = np.nan_to_num(2 * tn / (2 * tn + fn + fp))
    score = f_pos if average == "binary" else (f_pos + f1_neg) / 2
    k = int(np.argmax(score))
    if k == 0:
        return float(ps[0] + 1e-9), float(score[0])  # flag nothing
    end = last[k - 1]
    nxt = ps[end + 1] if end + 1 < len(ps) else 0.0
    return float((ps[end] + nxt) / 2), float(score[k])
