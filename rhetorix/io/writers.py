"""Output writers of batch scoring: JSON Lines, CSV, Parquet, and the errors file.

The text writers report how long their file is after every flush, so an
interrupted run can cut the file back to the last complete chunk and resume.
"""

from __future__ import annotations

import csv
import io
import os
from typing import Dict, List, Optional

from ..errors import BatchError, extra_required
from .readers import Record
from .rows import columns, csv_cell, flat_row, json_line

__all__ = ["TextSink", "ParquetSink", "ErrorSink"]


class TextSink:
    """JSON Lines or CSV output that can be cut back to a known length."""

    def __init__(self, path: str, fmt: str, level: str, start: Optional[int]):
        self.fmt, self.level = fmt, level
        if start is None:
            self.fh = open(path, "wb")
            if fmt == "csv":
                self._write_csv([dict(zip(columns(level), columns(level)))], header=True)
        else:
            self.fh = open(path, "r+b")
            self.fh.truncate(start)
            self.fh.seek(start)

    def _write_csv(self, rows, header: bool = False) -> None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for row in rows:
            w.writerow(row.values() if header else (csv_cell(v) for v in flat_row(row, self.level).values()))
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


class ParquetSink:
    """Parquet output (optional ``parquet`` extra): one row group per chunk."""

    def __init__(self, path: str, level: str):
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise BatchError(str(extra_required("parquet", "Parquet output"))) from None
        self.pa, self.level, self.rows = pa, level, []
        types = {"id": pa.string(), "sentence_index": pa.int64(), "sentences": pa.int64(), "words": pa.int64(),
                 "causal_claims": pa.int64(), "unattributed_causal_claims": pa.int64(),
                 "named_sources": pa.int64(), "vague_sources": pa.int64(), "techniques": pa.int64(),
                 "text": pa.string(), "start": pa.int64(), "end": pa.int64(), "attribution": pa.string(),
                 "cues": pa.string(), "sources": pa.string(), "flag_opinion": pa.bool_(), "flag_causal": pa.bool_(),
                 "flag_unattributed_causal": pa.bool_(), "flag_techniques": pa.string()}
        if level == "sentence":
            types["techniques"] = pa.string()  # the JSON object of a sentence's probabilities
        self.schema = pa.schema([(c, types.get(c, pa.float64())) for c in columns(level)])
        self.writer = pq.ParquetWriter(path, self.schema)

    def write(self, rows: List[Dict[str, object]]) -> None:
        self.rows.extend(flat_row(r, self.level) for r in rows)

    def flush(self) -> int:
        if self.rows:
            self.writer.write_table(self.pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []
        return 0

    def close(self) -> None:
        self.flush()
        self.writer.close()


class ErrorSink:
    """The errors file (JSON Lines), created on the first rejected record."""

    def __init__(self, path: str, start: int):
        self.path, self.start, self.fh = path, start, None
        if os.path.exists(path):
            # resuming cuts it back; a fresh run starts it empty
            with open(path, "r+b") as fh:
                fh.truncate(start)

    def write(self, rec: Record, reason: str) -> None:
        """Append one rejected record and the reason."""
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
