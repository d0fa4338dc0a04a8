"""Timing helper for the linear-time tests (ratios of sizes, never absolute limits)."""

import time


def best_time(fn, repeats: int = 2) -> float:
    """Fastest of `repeats` wall-clock runs of ``fn()``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
