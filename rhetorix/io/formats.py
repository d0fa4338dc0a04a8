"""File formats by name: gzip detection and the suffix rules of inputs and outputs."""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path
from typing import IO, Optional, Union

from ..errors import BatchError

__all__ = ["INPUT_FORMATS", "open_binary", "input_format_of", "output_format", "batch_output_format"]

#: Input formats of ``rhetorix batch`` (``auto``: by the name).
INPUT_FORMATS = ("auto", "txt", "jsonl", "csv")


def open_binary(path: str) -> IO[bytes]:
    """Open a path (or ``-``) for reading bytes, un-gzipping when it is gzip data."""
    raw: IO[bytes] = sys.stdin.buffer if path == "-" else open(path, "rb")
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == b"\x1f\x8b" or path.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    return raw


def input_format_of(path: str, fmt: str = "auto") -> str:
    """``txt``, ``jsonl`` or ``csv``: `fmt` itself, or (``auto``) the format the name tells.

    Raises
    ------
    BatchError
        If `fmt` is ``auto`` and the name ends in no known suffix (``.gz`` is looked through).
    """
    if fmt != "auto":
        return fmt
    name = path[:-3] if path.endswith(".gz") else path
    suffix = Path(name).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix == ".txt" or path == "-":
        return "jsonl" if path == "-" else "txt"
    raise BatchError(
        f"{path}: cannot tell the input format from the name; use .txt, .jsonl or .csv "
        "(optionally .gz), or pass --input-format"
    )


def output_format(path: str) -> str:
    """``jsonl``, ``csv`` or ``parquet``, by the suffix of an output path.

    Raises
    ------
    BatchError
        For any other suffix.
    """
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".parquet"):
        return suffix[1:]
    raise BatchError(f"{path}: output must end in .jsonl, .csv or .parquet")


def batch_output_format(path: Union[str, os.PathLike]) -> Optional[str]:
    """``"jsonl"``, ``"csv"`` or ``"parquet"`` for a file named like ``rhetorix batch``
    output (``.gz`` allowed except for Parquet), else None."""
    name = str(path)
    if Path(name).suffix.lower() == ".parquet":
        return "parquet"
    try:
        fmt = input_format_of(name)
    except BatchError:
        return None
    return fmt if fmt in ("jsonl", "csv") and name != "-" else None
