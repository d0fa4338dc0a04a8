"""Flat output rows shared by ``rhetorix score`` and ``rhetorix batch``."""

from __future__ import annotations

import json
from typing import Dict, List, Mapping

from ..results import SUMMARY_FIELDS

__all__ = [
    "SENTENCE_COLUMNS", "DOCUMENT_COLUMNS", "LEVELS", "columns", "flat_row", "flat_sentence",
    "csv_cell", "json_line", "plural",
]

#: Output levels: one row per document (its summary) or per sentence.
LEVELS = ("document", "sentence")

# Line breaks other than "\n" are valid inside JSON strings, but tools that split
# lines the Unicode way (Python's str.splitlines among them) would cut a record.
_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})

#: Columns of a sentence in CSV (and Parquet) output, after any ``id``/``sentence_index``.
SENTENCE_COLUMNS: List[str] = [
    "text", "start", "end", "opinion", "causal", "attribution", "named", "vague", "none",
    "unattributed_causal", "flag_opinion", "flag_causal", "flag_unattributed_causal", "cues", "sources",
    "techniques", "flag_techniques",
]
#: Fields of a document summary, in order (:attr:`rhetorix.DocumentScore.summary`).
DOCUMENT_COLUMNS: List[str] = list(SUMMARY_FIELDS)


def columns(level: str) -> List[str]:
    """The columns of a flat output row at `level` (``document`` or ``sentence``)."""
    return ["id", *DOCUMENT_COLUMNS] if level == "document" else ["id", "sentence_index", *SENTENCE_COLUMNS]


def flat_row(row: Mapping[str, object], level: str) -> Dict[str, object]:
    """An output row (``id`` and a summary, or ``id``, ``sentence_index`` and a sentence
    record) as the flat row of CSV and Parquet output."""
    if level == "document":
        return dict(row)
    return {"id": row["id"], "sentence_index": row["sentence_index"], **flat_sentence(row)}


def flat_sentence(d: Mapping[str, object]) -> Dict[str, object]:
    """A sentence record (:meth:`SentenceScore.to_dict`) as one flat row.

    Attribution probabilities become the columns ``named``, ``vague`` and
    ``none``, flags ``flag_<name>``, and cues, sources, techniques (name to
    probability) and the flagged techniques (a list) one JSON string each.
    """
    scores = d["attribution_scores"]
    flags = d["flags"]
    return {
        "text": d["text"],
        "start": d["start"],
        "end": d["end"],
        "opinion": d["opinion"],
        "causal": d["causal"],
        "attribution": d["attribution"],
        "named": scores["named"],
        "vague": scores["vague"],
        "none": scores["none"],
        "unattributed_causal": d["unattributed_causal"],
        "flag_opinion": flags["opinion"],
        "flag_causal": flags["causal"],
        "flag_unattributed_causal": flags["unattributed_causal"],
        "cues": json.dumps(d["cues"], ensure_ascii=False),
        "sources": json.dumps(d.get("sources", []), ensure_ascii=False),
        "techniques": json.dumps(d.get("techniques", {}), ensure_ascii=False),
        "flag_techniques": json.dumps(flags.get("techniques", []), ensure_ascii=False),
    }


def csv_cell(value: object) -> object:
    """How a flat value is written to CSV: floats with 6 decimals, booleans lowercase."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.6f}"
    return value


def json_line(obj: object) -> str:
    """One JSON Lines record: UTF-8 text kept, Unicode line breaks escaped, ending in ``\\n``."""
    return json.dumps(obj, ensure_ascii=False).translate(_LINE_BREAKS) + "\n"


def plural(n: int, noun: str) -> str:
    """``"1 sentence"``, ``"2 sentences"``, ``"1,024 documents"``: counts in messages."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
