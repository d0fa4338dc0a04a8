"""Score a Dask DataFrame of documents, partition by partition (optional ``dask`` extra).

>>> import dask.dataframe as dd                                     # doctest: +SKIP
>>> from rhetorix.dask import score_dataframe                      # doctest: +SKIP
>>> scored = score_dataframe(dd.read_parquet("articles/"), text_column="body")  # doctest: +SKIP

Each worker process loads the model once and keeps it.  The result is the
input with one column added per field of :attr:`rhetorix.DocumentScore.summary`.
"""

from __future__ import annotations

from typing import Optional

from .batch import worker_scorer
from .io.rows import DOCUMENT_COLUMNS
from .results import summarize

__all__ = ["score_dataframe", "SUMMARY_DTYPES"]

#: dtype of each added column.
SUMMARY_DTYPES = {
    "sentences": "int64",
    "words": "int64",
    "opinion_share": "float64",
    "causal_claims": "int64",
    "unattributed_causal_claims": "int64",
    "named_sources": "int64",
    "vague_sources": "int64",
}
_EMPTY = summarize([])


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def score_partition(df, text_column: str, model: Optional[str] = None, lexicon_dir: Optional[str] = None,
                    sources: bool = True):
    """Score one pandas DataFrame: `df` with the summary columns added (a copy).

    Missing texts (None or NaN) get an empty summary (0 sentences); any other
    value that is not a ``str`` raises TypeError naming its row.
    """
    scorer = worker_scorer(model, lexicon_dir, sources)
    rows = []
    for idx, text in zip(df.index, df[text_column]):
        if _is_missing(text):
            rows.append(_EMPTY)
        elif isinstance(text, str):
            rows.append(scorer.score_document(text).summary)
        else:
            raise TypeError(f"row {idx!r}: {text_column!r} is {type(text).__name__}, expected str")
    out = df.copy()
    for col in DOCUMENT_COLUMNS:
        out[col] = [r[col] for r in rows]
        out[col] = out[col].astype(SUMMARY_DTYPES[col])
    return out


def score_dataframe(ddf, text_column: str = "text", model: Optional[str] = None, lexicon_dir: Optional[str] = None,
                    sources: bool = True):
    """Add the document summary of each row's text to a Dask DataFrame (lazily).

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        One document per row.
    text_column : str, default="text"
        Column holding the text.
    model, lexicon_dir : str, optional
        As for :func:`rhetorix.load`; paths must be readable by the workers.
    sources : bool, default=True
        As for :func:`rhetorix.load`.

    Returns
    -------
    dask.dataframe.DataFrame
        `ddf` with the columns of :data:`SUMMARY_DTYPES` (``sentences``,
        ``words``, ``opinion_share``, the claim counts and the source counts);
        compute it as usual.

    Raises
    ------
    KeyError
        If `text_column` is not a column of `ddf`.
    """
    if text_column not in ddf.columns:
        raise KeyError(f"no column {text_column!r}; columns are {list(ddf.columns)}")
    if any(c in ddf.columns for c in DOCUMENT_COLUMNS):
        clash = [c for c in DOCUMENT_COLUMNS if c in ddf.columns]
        raise ValueError(f"ddf already has column(s) {clash}; rename them first")
    meta = ddf._meta.copy()
    for col in DOCUMENT_COLUMNS:
        meta[col] = meta.index.to_series().astype(SUMMARY_DTYPES[col]).iloc[:0]
    return ddf.map_partitions(score_partition, text_column, model, lexicon_dir, sources, meta=meta)
