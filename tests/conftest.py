"""Shared fixtures for the rhetorix test suite.

Every example sentence in these tests was written for the tests; none comes
from a corpus.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
try:
    import rhetorix  # noqa: F401
except ImportError:  # a fresh clone run without PYTHONPATH or an install
    sys.path.insert(0, str(REPO_ROOT))

import rhetorix.training.corpora  # noqa: E402


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository checkout holding ``rhetorix/``, ``data/`` and ``models/``."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def scorer():
    """The shipped model, loaded once for the whole session (``rhetorix.load()``)."""
    return rhetorix.load()


@pytest.fixture(scope="session")
def corpora_root() -> Path:
    """The shared corpora folder, or skip the test when it cannot be found."""
    try:
        root = rhetorix.training.corpora.find_corpora()
    except FileNotFoundError as exc:
        pytest.skip(f"shared corpora not found ({exc})")
    if root is None:
        pytest.skip("shared corpora not found at ../shared/corpora (set RHETORIX_CORPORA)")
    return root


@pytest.fixture(scope="session")
def subprocess_env():
    """Environment for child Pythons: the repo checkout first on PYTHONPATH."""
    env = dict(os.environ)
    old = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + old if old else "")
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("PYTHONWARNINGS", None)
    return env


@pytest.fixture(scope="session")
def run_cli(subprocess_env):
    """Run ``python -m rhetorix.cli ARGS`` in a child process; returns CompletedProcess (bytes)."""

    def run(args, input=None, cwd=None, timeout=120):
        return subprocess.run(
            [sys.executable, "-m", "rhetorix.cli", *[str(a) for a in args]],
            input=input,
            capture_output=True,
            env=subprocess_env,
            cwd=str(cwd or REPO_ROOT),
            timeout=timeout,
        )

    return run
