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

import functools
import json
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from .errors import BatchError, extra_required
from .io.formats import INPUT_FORMATS, output_format
from .io.readers import Record, expand_inputs, iter_records, read_records
from .io.rows import LEVELS, plural
from .io.writers import ErrorSink, ParquetSink, TextSink
from .progress import progress_bar
from .scorer import Scorer, check_thresholds, load

__all__ = ["BatchError", "BatchSummary", "Record", "iter_records", "run_batch", "score_stream", "worker_scorer",
           "threshold_items"]

# 2: document rows gained `words`; a run started by version 1 cannot be resumed into the same file
RESUME_VERSION = 2
_CHUNK_DOCS = 64
_CHUNK_CHARS = 256_000


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
#: Thresholds as worker arguments: hashable ``(flag, value)`` pairs.
ThresholdItems = Tuple[Tuple[str, float], ...]


def threshold_items(thresholds: Optional[Mapping[str, float]]) -> ThresholdItems:
    """Checked thresholds (:func:`rhetorix.scorer.check_thresholds`) as sorted ``(flag, value)`` pairs."""
    return tuple(sorted(check_thresholds(thresholds).items()))


@functools.lru_cache(maxsize=8)
def worker_scorer(model: Optional[str], lexicon_dir: Optional[str], sources: bool = True,
                  thresholds: ThresholdItems = ()) -> Scorer:
    """:func:`rhetorix.load` for these options, once per process (so once per worker)."""
    return load(model, lexicon_dir=lexicon_dir, sources=sources, thresholds=dict(thresholds))


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
    sources: bool = True,
    thresholds: ThresholdItems = (),
) -> List[Tuple[Optional[List[Dict[str, object]]], Optional[str]]]:
    """Score ``(id, text)`` items (text None: skipped); per item ``(rows, error)``.

    Runs in worker processes, so it takes and returns plain data only.
    """
    scorer = worker_scorer(model, lexicon_dir, sources, thresholds)
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


#: Seconds between a worker's checks that the process that started the run is alive.
ORPHAN_CHECK_S = 1.0
_watching = False


def _exit_with(parent: int) -> None:
    """In a worker: exit at once when `parent` (the run's process) is gone, whatever killed it.

    A process whose parent dies is adopted by another (init or a subreaper):
    its ``getppid()`` changes.  A daemon thread checks every
    :data:`ORPHAN_CHECK_S` seconds, so a worker never outlives a ``kill -9``
    of the run by more than that (and the process pool's helper processes,
    which wait for the workers, end with them).
    """
    global _watching
    if _watching or os.getpid() == parent:
        return
    _watching = True

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="rhetorix-orphan-watch", daemon=True).start()


class _InWorker:
    """`func` for a worker process that exits when the run's process dies (picklable)."""

    def __init__(self, func: Callable):
        self.func, self.parent = func, os.getpid()

    def __call__(self, chunk):
        _exit_with(self.parent)
        return self.func(chunk)


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

        work = _InWorker(func)
        with Parallel(n_jobs=jobs, return_as="generator", pre_dispatch="2*n_jobs") as parallel:
            yield from parallel(delayed(work)(c) for c in chunks)


def _dask_map(func: Callable, chunks: Iterable, address: str) -> Iterator:
    try:
        from distributed import Client
    except ImportError:
        raise BatchError(str(extra_required("dask", "--dask-scheduler"))) from None
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
    sources: bool = True,
    thresholds: Optional[Mapping[str, float]] = None,
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
    sources : bool, default=True
        As for :func:`rhetorix.load`.
    thresholds : mapping of str to float, optional
        As for :func:`rhetorix.load`.

    Raises
    ------
    TypeError
        If a text is not a ``str`` (naming its id).
    """
    _check_options(level, jobs)
    th = threshold_items(thresholds)

    def records():
        for i, item in enumerate(items):
            rid, text = item
            if not isinstance(text, str):
                raise TypeError(f"item {i} (id {rid!r}): text is {type(text).__name__}, expected str")
            yield Record("<items>", i, str(rid), text)

    func = _ChunkScorer(level, model, lexicon_dir, sources, th)
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

    def __init__(self, level: str, model: Optional[str], lexicon_dir: Optional[str], sources: bool = True,
                 thresholds: ThresholdItems = ()):
        self.level, self.model, self.lexicon_dir = level, model, lexicon_dir
        self.sources, self.thresholds = sources, thresholds

    def __call__(self, items):
        return _score_chunk(items, self.level, self.model, self.lexicon_dir, self.sources, self.thresholds)


def _check_options(level: str, jobs: int) -> None:
    if level not in LEVELS:
        raise BatchError(f"unknown level {level!r}; expected one of {LEVELS}")
    if not isinstance(jobs, int) or jobs < 1:
        raise BatchError(f"jobs must be a positive integer, got {jobs!r}")


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
        msg = (f"rhetorix batch: {plural(self.documents, 'document')} scored "
               f"({plural(self.sentences, 'sentence')}) in {self.seconds:.1f} s, {rate:,.0f} sentences/s; "
               f"{self.rejected:,} rejected")
        return msg + (f" (see {self.errors})" if self.rejected else "")


def _save_state(path: str, state: Dict[str, object]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(state, fh)
    os.replace(tmp, path)  # atomic: a kill leaves the old state or the new one


class _OutputLock:
    """An exclusive lock on ``OUTPUT.lock`` for the length of a run (POSIX ``flock``).

    The kernel releases a ``flock`` when its process ends, however it ends, so a
    lock left by a killed run is stale and the next run takes it.  The file
    holds the owner's pid for the error message.  Where ``fcntl`` is missing
    (Windows) runs are not locked.
    """

    def __init__(self, output: str):
        self.output, self.path = output, output + ".lock"
        self.fh = None

    def __enter__(self) -> _OutputLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return self
        while True:
            fh = open(self.path, "a+", encoding="utf-8")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.seek(0)
                owner = fh.read().strip() or "unknown"
                fh.close()
                raise BatchError(f"{self.output} is being written by another rhetorix batch run (pid {owner}); "
                                 "wait for it to finish, or write to another output") from None
            try:  # the lock must be on the file now at the path, not on one a finishing run just removed
                same = os.path.samestat(os.fstat(fh.fileno()), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            fh.close()
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self.fh = fh
        return self

    def __exit__(self, *exc) -> None:
        if self.fh is not None:
            try:
                os.remove(self.path)
            except OSError:
                pass
            self.fh.close()  # releases the flock
            self.fh = None


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
    sources: bool = True,
    dask_scheduler: Optional[str] = None,
    progress: Optional[bool] = None,
    thresholds: Optional[Mapping[str, float]] = None,
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
    sources : bool, default=True
        As for :func:`rhetorix.load` (False: no sources, the fast tier at full speed).
    dask_scheduler : str, optional
        Address of a dask.distributed scheduler to score on instead of local workers.
    progress : bool, optional
        Show a progress bar on stderr; default: when stderr is a terminal.
    thresholds : mapping of str to float, optional
        As for :func:`rhetorix.load`: they set the flags in the output.

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
    try:
        th = threshold_items(thresholds)
    except (TypeError, ValueError) as exc:
        raise BatchError(str(exc)) from None
    if encoding_errors not in ("strict", "replace"):
        raise BatchError(f"encoding_errors must be 'strict' or 'replace', got {encoding_errors!r}")
    fmt = output_format(output)
    errors = errors or output + ".errors.jsonl"
    state_path = output + ".resume.json"
    options = {"inputs": list(inputs), "level": level, "id_field": id_field, "text_field": text_field,
               "input_format": input_format, "encoding": encoding, "encoding_errors": encoding_errors,
               "errors": errors}
    if input_format not in INPUT_FORMATS:
        raise BatchError(f"unknown input format {input_format!r}; expected one of {INPUT_FORMATS}")
    files = expand_inputs(inputs)  # once, and before anything is written: a missing input fails early
    if not sources:  # only then: resume states of runs with sources (the default) stay valid
        options["sources"] = False
    if th:  # the same: only when set
        options["thresholds"] = dict(th)
    worker_scorer(model, lexicon_dir, sources, th)  # and on a bad model, before any worker starts
    for path in (output, errors):  # a missing output folder is made, as `mkdir -p` would
        folder = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise BatchError(f"cannot create the folder of {path}: {exc.strerror or exc}") from None
    with _OutputLock(output):  # one run per output at a time
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
        out = (ParquetSink(output, level) if fmt == "parquet"
               else TextSink(output, fmt, level, state["output_bytes"]))
        err = ErrorSink(errors, int(state["errors_bytes"]) if resume else 0)
        summary = BatchSummary(int(state["documents"]), int(state["sentences"]), int(state["rejected"]),
                               output=output, errors=errors)
        done_bytes = int(state["bytes"])
        bar = progress_bar(_total_bytes(files), "rhetorix batch", "B", progress, initial=done_bytes, unit_scale=True,
                           unit_divisor=1024)
        try:
            if fmt != "parquet":
                state["output_bytes"], state["errors_bytes"] = out.flush(), err.flush()
                _save_state(state_path, state)
            records = read_records(files, id_field, text_field, input_format, encoding, encoding_errors)
            for _ in range(int(state["records"])):
                if next(records, None) is None:
                    break
            func = _ChunkScorer(level, model, lexicon_dir, sources, th)
            for chunk, results in _scored_chunks(_chunks(records), func, jobs, dask_scheduler):
                chunk_bytes = sum(rec.size for rec in chunk)
                done_bytes += chunk_bytes
                for rec, (rows, problem) in zip(chunk, results):
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
                bar.set_postfix_str(f"{summary.documents:,} documents, {summary.sentences:,} sentences", refresh=False)
                bar.update(chunk_bytes)
        finally:
            bar.close()
            out.close()
            err.close()
        if os.path.exists(state_path):
            os.remove(state_path)  # finished: nothing to resume
    summary.seconds = time.monotonic() - t0
    return summary
