"""Score many documents: streaming input and output, parallel workers, resumable runs.

This is what ``rhetorix batch`` runs.  Records stream from the inputs (a folder
of ``.txt`` files, JSON Lines, CSV or stdin; ``.gz`` read transparently) in
chunks, are scored in order (in this process, by joblib workers or on a Dask
cluster) and written as they come, so memory stays flat whatever the input
size.  A record that cannot be scored (empty, not text, bad JSON, a missing
field, undecodable bytes) goes to an errors file and the run goes on.

After every chunk the output and errors files are flushed and a small resume
file (``OUTPUT.resume.json``) records how many input records are done and how
long both files were.  ``--resume`` truncates the files to those lengths and
skips the records already done, so a run killed at any moment (even
``kill -9``) and resumed ends with every record exactly once.

>>> from rhetorix.batch import score_stream
>>> rows = score_stream([("a", "Sanctions caused the crisis.")])   # doctest: +SKIP
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from .output import DOCUMENT_COLUMNS, SENTENCE_COLUMNS, csv_cell, flat_sentence, json_line

__all__ = ["BatchError", "BatchSummary", "Record", "iter_records", "run_batch", "score_stream"]

LEVELS = ("document", "sentence")
INPUT_FORMATS = ("auto", "txt", "jsonl", "csv")
# 2: document rows gained `words`; a run started by version 1 cannot be resumed into the same file
RESUME_VERSION = 2
_CHUNK_DOCS = 64
_CHUNK_CHARS = 256_000


class BatchError(ValueError):
    """A problem with the batch command itself (bad options, unusable output), not a record."""


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


# ------------------------------------------------------------------ reading
def _open_binary(path: str) -> IO[bytes]:
    """Open a path (or ``-``) for reading bytes, un-gzipping when it is gzip data."""
    raw: IO[bytes] = sys.stdin.buffer if path == "-" else open(path, "rb")
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == b"\x1f\x8b" or path.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    return raw


def _format_of(path: str, input_format: str) -> str:
    if input_format != "auto":
        return input_format
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
    with _open_binary(path) as fh:
        data = fh.read()
    text, problem = _decode(data, encoding, errors)
    if problem:
        yield Record(path, None, rid, error=problem, size=len(data))
    else:
        yield _document(path, None, rid, text, len(data))


def _read_jsonl(path: str, id_field: str, text_field: str, encoding: str, errors: str) -> Iterator[Record]:
    with _open_binary(path) as fh:
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
    with _open_binary(path) as fh:
        # surrogateescape keeps undecodable bytes visible, so one bad record is
        # rejected instead of the whole file
        text_io = io.TextIOWrapper(fh, encoding=encoding, errors="surrogateescape" if errors == "strict" else errors, newline="")
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


def _expand(inputs: Sequence[str]) -> List[Tuple[str, Optional[str]]]:
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
    return _records(_expand(inputs), id_field, text_field, input_format, encoding, encoding_errors)


def _records(
    files: Sequence[Tuple[str, Optional[str]]],
    id_field: str,
    text_field: str,
    input_format: str,
    encoding: str,
    encoding_errors: str,
) -> Iterator[Record]:
    """The records of already expanded inputs (see :func:`iter_records`)."""
    for path, rid in files:
        fmt = _format_of(path, input_format)
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


def _chunks(records: Iterable[Record]) -> Iterator[List[Record]]:
    chunk: List[Record] = []
    chars = 0
    for r in records:
        chunk.append(r)
        chars += len(r.text or "")
        if len(chunk) >= _CHUNK_DOCS or chars >= _CHUNK_CHARS:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


# ------------------------------------------------------------------ scoring
_SCORERS: Dict[Tuple[Optional[str], Optional[str]], object] = {}


def _scorer(model: Optional[str], lexicon_dir: Optional[str]):
    """The scorer for these options, loaded once per process (so once per worker)."""
    key = (model, lexicon_dir)
    if key not in _SCORERS:
        from .scorer import load

        _SCORERS[key] = load(model, lexicon_dir=lexicon_dir)
    return _SCORERS[key]


def _rows(scorer, rid: str, text: str, level: str) -> List[Dict[str, object]]:
    doc = scorer.score_document(text)
    if level == "document":
        return [{"id": rid, **doc.summary}]
    return [{"id": rid, "sentence_index": k, **s.to_dict()} for k, s in enumerate(doc.sentences)]


def _score_chunk(
    items: List[Tuple[Optional[str], Optional[str]]],
    level: str,
    model: Optional[str],
    lexicon_dir: Optional[str],
) -> List[Tuple[Optional[List[Dict[str, object]]], Optional[str]]]:
    """Score ``(id, text)`` items (text None: skipped); per item ``(rows, error)``.

    Runs in worker processes, so it takes and returns plain data only.
    """
    scorer = _scorer(model, lexicon_dir)
    out: List[Tuple[Optional[List[Dict[str, object]]], Optional[str]]] = []
    for rid, text in items:
        if text is None:
            out.append((None, None))
            continue
        try:
            out.append((_rows(scorer, rid, text, level), None))
        except Exception as exc:  # a record must never stop the run
            out.append((None, f"scoring failed: {type(exc).__name__}: {exc}"))
    return out


def _ordered_map(
    func: Callable, chunks: Iterable, jobs: int, scheduler: Optional[str]
) -> Iterator:
    """``map(func, chunks)`` in order: here, on joblib workers or on a Dask cluster."""
    if scheduler:
        yield from _dask_map(func, chunks, scheduler)
    elif jobs == 1:
        for c in chunks:
            yield func(c)
    else:
        from joblib import Parallel, delayed

        with Parallel(n_jobs=jobs, return_as="generator", pre_dispatch="2*n_jobs") as parallel:
            yield from parallel(delayed(func)(c) for c in chunks)


def _dask_map(func: Callable, chunks: Iterable, address: str) -> Iterator:
    try:
        from distributed import Client
    except ImportError:
        raise BatchError("--dask-scheduler needs the dask extra: pip install 'rhetorix[dask]'") from None
    try:
        client = Client(address, timeout=30)
    except (OSError, TimeoutError) as exc:
        raise BatchError(f"cannot connect to the Dask scheduler at {address}: {exc}") from None
    with client:
        window = 2 * max(1, sum(client.nthreads().values()))
        pending: deque = deque()
        for c in chunks:
            pending.append(client.submit(func, c, pure=False))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def score_stream(
    items: Iterable[Tuple[str, str]],
    level: str = "document",
    jobs: int = 1,
    model: Optional[str] = None,
    lexicon_dir: Optional[str] = None,
) -> Iterator[Dict[str, object]]:
    """Score ``(id, text)`` pairs lazily and yield output rows in input order.

    The Python counterpart of ``rhetorix batch``: memory stays flat for any
    number of items.

    Parameters
    ----------
    items : iterable of (str, str)
        Document ids and texts.
    level : {"document", "sentence"}
        One row per document (``id`` and the summary) or per sentence (``id``,
        ``sentence_index`` and the sentence record).
    jobs : int, default=1
        Worker processes (joblib); each loads the model once.
    model, lexicon_dir : str, optional
        As for :func:`rhetorix.load`.

    Raises
    ------
    TypeError
        If a text is not a ``str`` (naming its id).
    """
    _check_options(level, jobs)

    def records():
        for i, item in enumerate(items):
            rid, text = item
            if not isinstance(text, str):
                raise TypeError(f"item {i} (id {rid!r}): text is {type(text).__name__}, expected str")
            yield Record("<items>", i, str(rid), text)

    func = _ChunkScorer(level, model, lexicon_dir)
    for chunk, results in _scored_chunks(_chunks(records()), func, jobs, None):
        for rec, (rows, error) in zip(chunk, results):
            if error:
                raise RuntimeError(f"id {rec.id!r}: {error}")
            yield from rows


def _scored_chunks(
    chunks: Iterable[List[Record]], func: Callable, jobs: int, scheduler: Optional[str]
) -> Iterator[Tuple[List[Record], list]]:
    """Each chunk with its results, in input order."""
    sent: deque = deque()

    def feed():
        for c in chunks:
            sent.append(c)  # a result only comes back after its chunk was fed
            yield [(r.id, r.text) for r in c]

    for res in _ordered_map(func, feed(), jobs, scheduler):
        yield sent.popleft(), res


class _ChunkScorer:
    """Picklable callable for workers: ``_score_chunk`` with the options bound."""

    def __init__(self, level: str, model: Optional[str], lexicon_dir: Optional[str]):
        self.level, self.model, self.lexicon_dir = level, model, lexicon_dir

    def __call__(self, items):
        return _score_chunk(items, self.level, self.model, self.lexicon_dir)


def _check_options(level: str, jobs: int) -> None:
    if level not in LEVELS:
        raise BatchError(f"unknown level {level!r}; expected one of {LEVELS}")
    if not isinstance(jobs, int) or jobs < 1:
        raise BatchError(f"jobs must be a positive integer, got {jobs!r}")


# ------------------------------------------------------------------ writing
def _output_format(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".parquet"):
        return suffix[1:]
    raise BatchError(f"{path}: output must end in .jsonl, .csv or .parquet")


def _columns(level: str) -> List[str]:
    return ["id", *DOCUMENT_COLUMNS] if level == "document" else ["id", "sentence_index", *SENTENCE_COLUMNS]


def _flat(row: Dict[str, object], level: str) -> Dict[str, object]:
    if level == "document":
        return row
    return {"id": row["id"], "sentence_index": row["sentence_index"], **flat_sentence(row)}


class _TextSink:
    """JSON Lines or CSV output that can be cut back to a known length."""

    def __init__(self, path: str, fmt: str, level: str, start: Optional[int]):
        self.fmt, self.level = fmt, level
        if start is None:
            self.fh = open(path, "wb")
            if fmt == "csv":
                self._write_csv([dict(zip(_columns(level), _columns(level)))], header=True)
        else:
            self.fh = open(path, "r+b")
            self.fh.truncate(start)
            self.fh.seek(start)

    def _write_csv(self, rows, header: bool = False) -> None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for row in rows:
            w.writerow(row.values() if header else (csv_cell(v) for v in _flat(row, self.level).values()))
        self.fh.write(buf.getvalue().encode("utf-8", "surrogatepass"))

    def write(self, rows: List[Dict[str, object]]) -> None:
        if self.fmt == "csv":
            self._write_csv(rows)
        else:
            data = "".join(json_line(r) for r in rows)
            self.fh.write(data.encode("utf-8", "surrogatepass"))

    def flush(self) -> int:
        self.fh.flush()
        return self.fh.tell()

    def close(self) -> None:
        self.fh.close()


class _ParquetSink:
    """Parquet output (optional ``parquet`` extra): one row group per chunk."""

    def __init__(self, path: str, level: str):
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise BatchError("Parquet output needs the parquet extra: pip install 'rhetorix[parquet]'") from None
        self.pa, self.level, self.rows = pa, level, []
        types = {"id": pa.string(), "sentence_index": pa.int64(), "sentences": pa.int64(), "words": pa.int64(),
                 "causal_claims": pa.int64(), "unattributed_causal_claims": pa.int64(),
                 "text": pa.string(), "start": pa.int64(), "end": pa.int64(), "attribution": pa.string(),
                 "cues": pa.string(), "flag_opinion": pa.bool_(), "flag_causal": pa.bool_(),
                 "flag_unattributed_causal": pa.bool_()}
        self.schema = pa.schema([(c, types.get(c, pa.float64())) for c in _columns(level)])
        self.writer = pq.ParquetWriter(path, self.schema)

    def write(self, rows: List[Dict[str, object]]) -> None:
        self.rows.extend(_flat(r, self.level) for r in rows)

    def flush(self) -> int:
        if self.rows:
            self.writer.write_table(self.pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []
        return 0

    def close(self) -> None:
        self.flush()
        self.writer.close()


class _ErrorSink:
    """The errors file (JSON Lines), created on the first rejected record."""

    def __init__(self, path: str, start: int):
        self.path, self.start, self.fh = path, start, None
        if os.path.exists(path):
            # resuming cuts it back; a fresh run starts it empty
            with open(path, "r+b") as fh:
                fh.truncate(start)

    def write(self, rec: Record, reason: str) -> None:
        if self.fh is None:
            self.fh = open(self.path, "ab")
        line = {"input": rec.source, "line": rec.line, "id": rec.id, "reason": reason}
        self.fh.write(json_line(line).encode("utf-8", "surrogatepass"))

    def flush(self) -> int:
        if self.fh is None:
            return self.start
        self.fh.flush()
        return self.fh.tell()

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


# ------------------------------------------------------------------ progress
class _Progress:
    """A one-line progress bar on stderr, redrawn at most five times a second."""

    def __init__(self, enabled: bool, total_bytes: Optional[int]):
        self.enabled, self.total = enabled, total_bytes
        self.t0 = self.last = time.monotonic()

    def update(self, docs: int, sentences: int, done_bytes: int, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.2 and not force):
            return
        self.last = now
        rate = sentences / max(now - self.t0, 1e-9)
        msg = f"{docs:,} documents, {sentences:,} sentences, {rate:,.0f} sentences/s"
        if self.total:
            frac = min(1.0, done_bytes / self.total)
            eta = (now - self.t0) * (1 - frac) / frac if frac > 0 else 0.0
            msg += f", {frac:4.0%}, ETA {int(eta) // 60}:{int(eta) % 60:02d}"
        sys.stderr.write("\r" + msg + "\033[K")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


# ------------------------------------------------------------------ the run
@dataclass
class BatchSummary:
    """What a batch run did.

    Attributes
    ----------
    documents : int
        Records scored.
    sentences : int
        Sentences in them.
    rejected : int
        Records written to the errors file.
    seconds : float
        Wall time of this invocation.
    output, errors : str
        Paths written.
    """

    documents: int = 0
    sentences: int = 0
    rejected: int = 0
    seconds: float = 0.0
    output: str = ""
    errors: str = ""

    @property
    def exit_code(self) -> int:
        """0 when every record was scored, 3 when some were rejected."""
        return 3 if self.rejected else 0

    def line(self) -> str:
        """The one-line summary printed at the end of ``rhetorix batch``."""
        rate = self.sentences / self.seconds if self.seconds > 0 else 0.0
        msg = (f"rhetorix batch: {self.documents:,} documents scored ({self.sentences:,} sentences) "
               f"in {self.seconds:.1f} s, {rate:,.0f} sentences/s; {self.rejected:,} rejected")
        return msg + (f" (see {self.errors})" if self.rejected else "")


def _save_state(path: str, state: Dict[str, object]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(state, fh)
    os.replace(tmp, path)  # atomic: a kill leaves the old state or the new one


def _total_bytes(files: Sequence[Tuple[str, Optional[str]]]) -> Optional[int]:
    """Input size in bytes, when it measures the text to read (no stdin, no gzip)."""
    if any(path == "-" or path.endswith(".gz") for path, _ in files):
        return None
    return sum(os.path.getsize(path) for path, _ in files) or None


def run_batch(
    inputs: Sequence[str],
    output: str,
    errors: Optional[str] = None,
    jobs: int = 1,
    resume: bool = False,
    level: str = "document",
    id_field: str = "id",
    text_field: str = "text",
    input_format: str = "auto",
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    model: Optional[str] = None,
    lexicon_dir: Optional[str] = None,
    dask_scheduler: Optional[str] = None,
    progress: Optional[bool] = None,
) -> BatchSummary:
    """Score every record of `inputs` into `output`; what ``rhetorix batch`` runs.

    Parameters
    ----------
    inputs : sequence of str
        See :func:`iter_records`.
    output : str
        ``.jsonl`` or ``.csv`` (or ``.parquet`` with the parquet extra).
    errors : str, optional
        Errors file (JSON Lines); default ``output + ".errors.jsonl"``.
    jobs : int, default=1
        Worker processes (joblib), each loading the model once.
    resume : bool, default=False
        Continue an interrupted run of the same command (see the module docs).
    level : {"document", "sentence"}
        One row per document or per sentence.
    id_field, text_field, input_format, encoding, encoding_errors
        See :func:`iter_records`.
    model, lexicon_dir : str, optional
        As for :func:`rhetorix.load`.
    dask_scheduler : str, optional
        Address of a dask.distributed scheduler to score on instead of local workers.
    progress : bool, optional
        Show a progress bar on stderr; default: when stderr is a terminal.

    Returns
    -------
    BatchSummary

    Raises
    ------
    BatchError
        For unusable options, inputs or outputs (nothing is scored then).
    """
    t0 = time.monotonic()
    _check_options(level, jobs)
    if encoding_errors not in ("strict", "replace"):
        raise BatchError(f"encoding_errors must be 'strict' or 'replace', got {encoding_errors!r}")
    fmt = _output_format(output)
    errors = errors or output + ".errors.jsonl"
    state_path = output + ".resume.json"
    options = {"inputs": list(inputs), "level": level, "id_field": id_field, "text_field": text_field,
               "input_format": input_format, "encoding": encoding, "encoding_errors": encoding_errors,
               "errors": errors}
    if input_format not in INPUT_FORMATS:
        raise BatchError(f"unknown input format {input_format!r}; expected one of {INPUT_FORMATS}")
    files = _expand(inputs)  # once, and before anything is written: a missing input fails early
    _scorer(model, lexicon_dir)  # and on a bad model, before any worker starts
    state: Dict[str, object] = {"version": RESUME_VERSION, "options": options, "records": 0,
                                "output_bytes": None, "errors_bytes": 0,
                                "documents": 0, "sentences": 0, "rejected": 0, "bytes": 0}
    if resume:
        if fmt == "parquet":
            raise BatchError("--resume works with .jsonl and .csv output, not Parquet")
        if os.path.exists(state_path):
            with open(state_path, encoding="utf-8") as fh:
                saved = json.load(fh)
            if saved.get("version") != RESUME_VERSION or saved.get("options") != options:
                raise BatchError(f"{state_path} was written by a different command; "
                                 "rerun with the same inputs and options, or without --resume")
            state = saved
        elif os.path.exists(output):
            raise BatchError(f"{output} exists but has no resume state ({state_path}): the run that "
                             "wrote it finished or was not started with this version; remove it or drop --resume")
    out = (_ParquetSink(output, level) if fmt == "parquet"
           else _TextSink(output, fmt, level, state["output_bytes"]))
    err = _ErrorSink(errors, int(state["errors_bytes"]) if resume else 0)
    summary = BatchSummary(int(state["documents"]), int(state["sentences"]), int(state["rejected"]),
                           output=output, errors=errors)
    done_bytes = int(state["bytes"])
    bar = _Progress(sys.stderr.isatty() if progress is None else progress, _total_bytes(files))
    try:
        if fmt != "parquet":
            state["output_bytes"], state["errors_bytes"] = out.flush(), err.flush()
            _save_state(state_path, state)
        records = _records(files, id_field, text_field, input_format, encoding, encoding_errors)
        for _ in range(int(state["records"])):
            if next(records, None) is None:
                break
        func = _ChunkScorer(level, model, lexicon_dir)
        for chunk, results in _scored_chunks(_chunks(records), func, jobs, dask_scheduler):
            for rec, (rows, problem) in zip(chunk, results):
                done_bytes += rec.size
                reason = rec.error or problem
                if reason:
                    err.write(rec, reason)
                    summary.rejected += 1
                    continue
                out.write(rows)
                summary.documents += 1
                summary.sentences += len(rows) if level == "sentence" else int(rows[0]["sentences"])
            if fmt != "parquet":
                state.update(records=int(state["records"]) + len(chunk), output_bytes=out.flush(),
                             errors_bytes=err.flush(), documents=summary.documents,
                             sentences=summary.sentences, rejected=summary.rejected, bytes=done_bytes)
                _save_state(state_path, state)
            else:
                out.flush()
            bar.update(summary.documents, summary.sentences, done_bytes)
    finally:
        bar.update(summary.documents, summary.sentences, done_bytes, force=True)
        bar.close()
        out.close()
        err.close()
    if os.path.exists(state_path):
        os.remove(state_path)  # finished: nothing to resume
    summary.seconds = time.monotonic() - t0
    return summary
