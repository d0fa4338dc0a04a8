"""Input records for batch scoring, and batch output read back.

:func:`iter_records` streams the documents of ``rhetorix batch`` inputs (a
folder of ``.txt`` files, JSON Lines, CSV or stdin; ``.gz`` read
transparently).  A record that cannot be scored (empty, not text, bad JSON, a
missing field, undecodable bytes) comes back with its reason, and the run goes
on.  :func:`read_batch_output` reads ``rhetorix batch`` output back as
per-document summaries.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from ..errors import BatchError, ReportError, extra_required
from .formats import INPUT_FORMATS, batch_output_format, input_format_of, open_binary

__all__ = ["Record", "iter_records", "expand_inputs", "read_records", "read_batch_output"]


@dataclass
class Record:
    """One input record: a document to score, or the reason it cannot be.

    Attributes
    ----------
    source : str
        Input path (``-`` for stdin).
    line : int or None
        Line number in the input (JSON Lines and CSV; None for ``.txt`` files).
    id : str or None
        Record id, when known.
    text : str or None
        The document; None when `error` is set.
    error : str or None
        Why the record was rejected.
    size : int
        Bytes it took in the input (for progress).
    """

    source: str
    line: Optional[int]
    id: Optional[str]
    text: Optional[str] = None
    error: Optional[str] = None
    size: int = 0


def _decode(data: bytes, encoding: str, errors: str) -> Tuple[Optional[str], Optional[str]]:
    """Decoded text, or the reason it cannot be decoded."""
    try:
        text = data.decode(encoding, errors)
    except UnicodeDecodeError as exc:
        return None, f"undecodable bytes at byte {exc.start} ({exc.reason}) for {encoding}"
    return (text[1:] if text.startswith("\ufeff") else text), None


def _document(source: str, line: Optional[int], rid: Optional[str], text: object, size: int) -> Record:
    if not isinstance(text, str):
        return Record(source, line, rid, error=f"text is {type(text).__name__}, expected a string", size=size)
    if not text.strip():
        return Record(source, line, rid, error="empty text", size=size)
    return Record(source, line, rid, text=text, size=size)


def _read_txt(path: str, rid: str, encoding: str, errors: str) -> Iterator[Record]:
    with open_binary(path) as fh:
        data = fh.read()
    text, problem = _decode(data, encoding, errors)
    if problem:
        yield Record(path, None, rid, error=problem, size=len(data))
    else:
        yield _document(path, None, rid, text, len(data))


def _read_jsonl(path: str, id_field: str, text_field: str, encoding: str, errors: str) -> Iterator[Record]:
    with open_binary(path) as fh:
        for n, raw in enumerate(fh, 1):
            line, problem = _decode(raw, encoding, errors)
            if problem:
                yield Record(path, n, None, error=problem, size=len(raw))
                continue
            if not line.strip():
                continue  # blank lines separate nothing and hold no record
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Record(path, n, None, error=f"invalid JSON: {exc.msg} at column {exc.colno}", size=len(raw))
                continue
            if not isinstance(obj, dict):
                yield Record(path, n, None, error=f"expected a JSON object, got {type(obj).__name__}", size=len(raw))
                continue
            rid = obj.get(id_field)
            rid = None if rid is None else str(rid)
            if id_field not in obj:
                yield Record(path, n, None, error=f"missing field {id_field!r}", size=len(raw))
            elif text_field not in obj:
                yield Record(path, n, rid, error=f"missing field {text_field!r}", size=len(raw))
            else:
                yield _document(path, n, rid, obj[text_field], len(raw))


def _read_csv(path: str, id_field: str, text_field: str, encoding: str, errors: str) -> Iterator[Record]:
    csv.field_size_limit(2**31 - 1)
    with open_binary(path) as fh:
        # surrogateescape keeps undecodable bytes visible, so one bad record is
        # rejected instead of the whole file
        text_io = io.TextIOWrapper(
            fh, encoding=encoding, errors="surrogateescape" if errors == "strict" else errors, newline=""
        )
        reader = csv.reader(text_io)
        try:
            header = next(reader)
        except StopIteration:
            return
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        idx = {name: i for i, name in enumerate(header)}
        missing = [f for f in (id_field, text_field) if f not in idx]
        line = reader.line_num + 1
        for row in reader:
            start, line = line, reader.line_num + 1
            size = sum(len(c) for c in row) + len(row)
            if missing:
                yield Record(path, start, None, error=f"missing field {missing[0]!r} (CSV header: {header})", size=size)
                continue
            if len(row) != len(header):
                yield Record(path, start, None, error=f"expected {len(header)} fields, got {len(row)}", size=size)
                continue
            rid, text = row[idx[id_field]], row[idx[text_field]]
            bad = next((c for c in (rid, text) if _has_surrogates(c)), None)
            if bad is not None:
                yield Record(path, start, None if bad is rid else rid,
                             error=f"undecodable bytes for {encoding}", size=size)
                continue
            yield _document(path, start, rid, text, size)


def _has_surrogates(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def expand_inputs(inputs: Sequence[str]) -> List[Tuple[str, Optional[str]]]:
    """Input paths with the id of ``.txt`` documents found in folders (relative path)."""
    out: List[Tuple[str, Optional[str]]] = []
    for name in inputs:
        if name == "-":
            out.append((name, None))
            continue
        p = Path(name)
        if p.is_dir():
            files = sorted(
                f for f in p.rglob("*") if f.is_file() and (f.name.endswith(".txt") or f.name.endswith(".txt.gz"))
            )
            out.extend((str(f), f.relative_to(p).as_posix()) for f in files)
        elif p.is_file():
            out.append((name, None))
        elif not p.exists():
            raise BatchError(f"{name}: no such file or directory")
        else:
            raise BatchError(f"{name}: not a regular file or folder")
        if p.is_file() and not os.access(p, os.R_OK):
            raise BatchError(f"{name}: permission denied")
    return out


def iter_records(
    inputs: Sequence[str],
    id_field: str = "id",
    text_field: str = "text",
    input_format: str = "auto",
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
) -> Iterator[Record]:
    """Stream the records of the inputs, in order.

    Parameters
    ----------
    inputs : sequence of str
        Files, folders (every ``.txt``/``.txt.gz`` inside, sorted; id = path
        relative to the folder) or ``-`` for stdin (JSON Lines unless
        `input_format` says otherwise).
    id_field, text_field : str
        Field names for JSON Lines and CSV.
    input_format : {"auto", "txt", "jsonl", "csv"}
        ``auto`` goes by file extension (after ``.gz``).
    encoding : str, default="utf-8"
    encoding_errors : {"strict", "replace"}
        ``strict`` rejects records with undecodable bytes; ``replace`` decodes
        them as U+FFFD.

    Returns
    -------
    iterator of Record
        Lazily read; each with `text` set, or `error` set for a rejected record.

    Raises
    ------
    BatchError
        At once, for an unknown format or a missing or unreadable input path.
    """
    if input_format not in INPUT_FORMATS:
        raise BatchError(f"unknown input format {input_format!r}; expected one of {INPUT_FORMATS}")
    return read_records(expand_inputs(inputs), id_field, text_field, input_format, encoding, encoding_errors)


def read_records(
    files: Sequence[Tuple[str, Optional[str]]],
    id_field: str,
    text_field: str,
    input_format: str,
    encoding: str,
    encoding_errors: str,
) -> Iterator[Record]:
    """The records of already expanded inputs (see :func:`iter_records`)."""
    for path, rid in files:
        fmt = input_format_of(path, input_format)
        if path != "-" and os.path.getsize(path) == 0:
            yield Record(path, None, rid, error="empty file (0 bytes)")
            continue
        try:
            if fmt == "txt":
                yield from _read_txt(path, rid or path, encoding, encoding_errors)
            elif fmt == "jsonl":
                yield from _read_jsonl(path, id_field, text_field, encoding, encoding_errors)
            else:
                yield from _read_csv(path, id_field, text_field, encoding, encoding_errors)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            # a damaged or unreadable file: reported as one rejected record, the run goes on
            yield Record(path, None, rid, error=f"cannot read: {exc}")


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _batch_rows(path: Path) -> Iterator[Tuple[str, Dict[str, object]]]:
    """``(where, row)`` for each record of a batch output file."""
    kind = batch_output_format(path)
    if kind == "parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise ReportError(f"{path}: {extra_required('parquet', 'reading Parquet')}") from None
        for k, row in enumerate(pq.read_table(path).to_pylist(), 1):
            yield f"row {k}", row
        return
    with io.TextIOWrapper(open_binary(str(path)), encoding="utf-8", newline="") as fh:
        if kind == "csv":
            for k, row in enumerate(csv.DictReader(fh), 1):
                yield f"row {k}", row
            return
        for k, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ReportError(f"{path}, line {k}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise ReportError(f"{path}, line {k}: expected a JSON object")
            yield f"line {k}", row


def read_batch_output(path: Union[str, os.PathLike]) -> List[Dict[str, object]]:
    """Per-document summaries from a ``rhetorix batch`` output file.

    Parameters
    ----------
    path : path-like
        ``.jsonl``, ``.csv`` (either optionally ``.gz``) or ``.parquet`` output
        of ``rhetorix batch`` at either level.  Sentence-level rows are summed
        per document (a document starts where ``sentence_index`` is 0 or the
        id changes); documents with no sentences have no sentence rows, so
        they are missing from sentence-level output.

    Returns
    -------
    list of dict
        ``id`` and the fields of :attr:`rhetorix.DocumentScore.summary`, in
        file order (``named_sources`` and ``vague_sources`` are None for
        output written before rhetorix reported sources, ``techniques`` and
        ``techniques_per_1000_words`` for output written before it scored
        persuasion techniques).

    Raises
    ------
    ReportError
        If the file is not batch output (a record does not parse or lacks a field).
    """
    path = Path(path)
    docs: List[Dict[str, object]] = []
    level = None
    try:
        for where, row in _batch_rows(path):
            if level is None:
                level = "sentence" if "sentence_index" in row else "document" if "opinion_share" in row else ""
                if not level:
                    raise ReportError(
                        f"{path}, {where}: not rhetorix batch output (no 'opinion_share' or "
                        "'sentence_index' field)"
                    )
            try:
                if level == "document":
                    docs.append(_document_row(row))
                else:
                    _add_sentence_row(docs, row)
            except (KeyError, TypeError, ValueError) as exc:
                detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
                raise ReportError(f"{path}, {where}: {detail}") from None
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise ReportError(f"{path}: cannot read ({exc})") from None
    for d in docs:
        op = d.pop("_opinion", None)
        if op is not None:
            d["opinion_share"] = op / d["sentences"] if d["sentences"] else 0.0
            if d["techniques"] is not None:
                d["techniques_per_1000_words"] = 1000.0 * d["techniques"] / d["words"] if d["words"] else 0.0
    return docs


def _json_list(value: object, what: str) -> list:
    """A list field of a batch row: as is (JSON Lines) or parsed from its JSON string (CSV, Parquet)."""
    value = json.loads(value) if isinstance(value, str) else value
    if not isinstance(value, list):
        raise ValueError(f"{what} is not a list: {value!r}")
    return value


def _optional(row: Mapping[str, object], key: str, kind):
    """``kind(row[key])``, or None where the field is missing or empty (output of an older rhetorix)."""
    return None if row.get(key) in (None, "") else kind(row[key])


def _document_row(row: Mapping[str, object]) -> Dict[str, object]:
    words = row.get("words")
    return {
        "id": str(row["id"]),
        "sentences": int(row["sentences"]),  # type: ignore[arg-type]
        "words": None if words in (None, "") else int(words),  # type: ignore[arg-type]
        "opinion_share": float(row["opinion_share"]),  # type: ignore[arg-type]
        "causal_claims": int(row["causal_claims"]),  # type: ignore[arg-type]
        "unattributed_causal_claims": int(row["unattributed_causal_claims"]),  # type: ignore[arg-type]
        # counted since sources (techniques) were added to the output; None in older files
        **{k: _optional(row, k, int) for k in ("named_sources", "vague_sources", "techniques")},
        "techniques_per_1000_words": _optional(row, "techniques_per_1000_words", float),
    }


def _add_sentence_row(docs: List[Dict[str, object]], row: Mapping[str, object]) -> None:
    rid = str(row["id"])
    index = int(row["sentence_index"])  # type: ignore[arg-type]
    if not docs or index == 0 or docs[-1]["id"] != rid:
        has_sources = row.get("sources") not in (None, "")
        has_techniques = row.get("techniques") not in (None, "")
        docs.append({"id": rid, "sentences": 0, "words": 0, "_opinion": 0,
                     "causal_claims": 0, "unattributed_causal_claims": 0,
                     "named_sources": 0 if has_sources else None, "vague_sources": 0 if has_sources else None,
                     "techniques": 0 if has_techniques else None, "techniques_per_1000_words": None})
    d = docs[-1]
    flags = row["flags"] if "flags" in row else {
        k: row[f"flag_{k}"] for k in ("opinion", "causal", "unattributed_causal", "techniques") if f"flag_{k}" in row
    }
    d["sentences"] += 1  # type: ignore[operator]
    d["words"] += len(str(row["text"]).split())  # type: ignore[operator]
    d["_opinion"] += _truthy(flags["opinion"])  # type: ignore[index,operator]
    d["causal_claims"] += _truthy(flags["causal"])  # type: ignore[index,operator]
    d["unattributed_causal_claims"] += _truthy(flags["unattributed_causal"])  # type: ignore[index,operator]
    if d["techniques"] is not None:
        d["techniques"] += len(_json_list(flags.get("techniques", []), "flagged techniques"))  # type: ignore[operator]
    if d["named_sources"] is not None:
        for src in _json_list(row.get("sources"), "'sources'"):
            kind = src.get("kind") if isinstance(src, dict) else None
            if kind in ("named", "vague"):
                d[f"{kind}_sources"] += 1  # type: ignore[operator]
