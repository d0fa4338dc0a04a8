"""The progress bar of long runs, shared by the command line and the Python API (tqdm, on stderr)."""

from __future__ import annotations

import sys
from typing import Optional

__all__ = ["progress_bar"]


def progress_bar(total: Optional[float] = None, desc: str = "rhetorix", unit: str = "doc",
                 enabled: Optional[bool] = False, **kwargs):
    """A tqdm bar on stderr.

    Parameters
    ----------
    total : number, optional
        What a full bar counts (None: a counter without a bar).
    desc, unit : str
        Label and unit shown.
    enabled : bool or None, default=False
        Show it; None shows it when stderr is a terminal (never in logs or
        pipes unless asked).
    **kwargs
        Passed to ``tqdm`` (``initial``, ``unit_scale``, ...).
    """
    from tqdm import tqdm  # here: `import rhetorix` does not pay for it

    show = sys.stderr.isatty() if enabled is None else bool(enabled)
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, mininterval=0.2, dynamic_ncols=True,
                disable=not show, **kwargs)
