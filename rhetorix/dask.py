"""Score a Dask DataFrame of documents, partition by partition (optional ``dask`` extra).

>>> import dask.dataframe as dd                                     # doctest: +SKIP
>>> from rhetorix.dask import score_dataframe                      # doctest: +SKIP
>>> scored = score_dataframe(dd.read_parquet("articles/"), text_column="body")  # doctest: +SKIP

Each worker process loads the model once and keeps it.  The result is the
input with one column added per field of :attr:`rhetorix.DocumentScore.summary`.
"""

from __future__ import annotations

from typing import Mapping, Optional

from .batch import threshold_items, worker_scorer
from .frames import SUMMARY_DTYPES, document_frame
from .io.rows import DOCUMENT_COLUMNS

__all__ = ["score_dataframe", "score_partition", "SUMMARY_DTYPES"]


def score_partition(df, text_column: str, model: Optional[str] = None, lexicon_dir: Optional[str] = None,
                    sources: bool = True, thresholds=()):
    """Score one pandas DataFrame: `df` with the summary columns added (a copy).

    Missing texts (None, NaN, NA) get an empty summary (0 sentences); any other
    value that is not a ``str`` raises TypeError naming its row.
    """
    return document_frame(df, text_column, worker_scorer(model, lexicon_dir, sources, tuple(thresholds)))


def score_dataframe(ddf, text_column: str = "text", model: Optional[str] = None, lexicon_dir: Optional[str] = None,
                    sources: bool = True, thresholds: Optional[Mapping[str, float]] = None):
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
    thresholds : mapping of str to float, optional
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
    ValueError
        For bad `thresholds` or summary columns already in `ddf`.
    """
    th = threshold_items(thresholds)
    if text_column not in ddf.columns:
        raise KeyError(f"no column {text_column!r}; columns are {list(ddf.columns)}")
    if any(c in ddf.columns for c in DOCUMENT_COLUMNS):
        clash = [c for c in DOCUMENT_COLUMNS if c in ddf.columns]
        raise ValueError(f"ddf already has column(s) {clash}; rename them first")
    meta = ddf._meta.copy()
    for col in DOCUMENT_COLUMNS:
        meta[col] = meta.index.to_series().astype(SUMMARY_DTYPES[col]).iloc[:0]
    return ddf.map_partitions(score_partition, text_column, model, lexicon_dir, sources, th, meta=meta)
