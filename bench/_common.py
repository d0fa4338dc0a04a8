"""Helpers shared by the benchmarks: this checkout on sys.path, the machine, news files."""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Dict, List, Sequence

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # benchmark this checkout, installed or not

#: Folders of raw news articles in the shared corpora, in the order they are read.
NEWS_FOLDERS = ("polnear/train/text", "polnear/dev/text", "semeval2020-ptc/train-articles")


def package_version(dist: str) -> str:
    """Installed version of a distribution, or "not installed"."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info(dists: Sequence[str]) -> Dict[str, object]:
    """Platform, CPU count, Python, the versions of `dists`, and rhetorix's version."""
    import rhetorix

    info: Dict[str, object] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }
    info.update({d: package_version(d) for d in dists})
    info["rhetorix"] = rhetorix.__version__
    return info


def write_json(path: str, figures: Dict[str, object]) -> str:
    """Write a benchmark's figures to `path` as JSON; returns the line to print."""
    Path(path).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return f"\nfigures written to {path}"


def news_files(root: Path, folders: Sequence[str] = NEWS_FOLDERS) -> List[Path]:
    """The ``.txt`` article files of `folders` under `root`, each folder sorted by name."""
    dirs = [root / f for f in folders]
    return [f for d in dirs if d.is_dir() for f in sorted(d.glob("*.txt"))]
