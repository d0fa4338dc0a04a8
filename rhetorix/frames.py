"""Score a pandas DataFrame of documents (needs pandas: ``pip install 'rhetorix[pandas]'``).

>>> import pandas as pd, rhetorix                                   # doctest: +SKIP
>>> df = pd.DataFrame({"body": ["Sanctions caused the crisis, experts say."]})  # doctest: +SKIP
>>> rhetorix.score_frame(df, text="body")                           # doctest: +SKIP

One row per document in; out, either the same rows with the document summary
added (``level="document"``, the columns of the Dask path,
:func:`rhetorix.dask.score_dataframe`) or one row per sentence indexed by its
document's index (``level="sentence"``, the columns of CSV and Parquet output).
A missing text (None, NaN, NA) is an empty document: zeros in its summary, no
sentences.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from .errors import extra_required
from .io.rows import DOCUMENT_COLUMNS, LEVELS, SENTENCE_COLUMNS, flat_sentence
from .progress import progress_bar
from .results import summarize
from .scorer import Scorer, load

__all__ = ["score_frame", "document_frame", "SUMMARY_DTYPES"]

#: dtype of each summary column.
SUMMARY_DTYPES: Dict[str, str] = {
    "sentences": "int64",
    "words": "int64",
    "opinion_share": "float64",
    "causal_claims": "int64",
    "unattributed_causal_claims": "int64",
    "named_sources": "int64",
    "vague_sources": "int64",
    "techniques": "int64",
    "techniques_per_1000_words": "float64",
}
_EMPTY = summarize([])


def _pandas():
    try:
        import pandas as pd
    except ImportError:
        raise extra_required("pandas", "scoring a DataFrame") from None
    return pd


def _texts(df, text: str, progress: Optional[bool]):
    """``(position, text or None)`` of each row; a value neither text nor missing raises TypeError."""
    pd = _pandas()
    bar = progress_bar(len(df), "rhetorix", "doc", progress)
    try:
        for pos, (idx, value) in enumerate(zip(df.index, df[text])):
            if isinstance(value, str):
                yield pos, value
            elif value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
                yield pos, None
            else:
                raise TypeError(f"row {idx!r}: {text!r} is {type(value).__name__}, expected str")
            bar.update(1)
    finally:
        bar.close()


def _checked(df, text: str) -> None:
    pd = _pandas()
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if text not in df.columns:
        raise KeyError(f"no column {text!r}; columns are {list(df.columns)}")


def document_frame(df, text: str, scorer: Scorer, progress: Optional[bool] = False):
    """`df` (a copy) with the summary of each row's text added, one column per :data:`SUMMARY_DTYPES` field.

    The function the Dask path runs on each partition.
    """
    _checked(df, text)
    clash = [c for c in DOCUMENT_COLUMNS if c in df.columns]
    if clash:
        raise ValueError(f"the frame already has column(s) {clash}; rename them first")
    rows = [scorer.score_document(t).summary if t is not None else _EMPTY for _, t in _texts(df, text, progress)]
    out = df.copy()
    for col in DOCUMENT_COLUMNS:
        out[col] = [r[col] for r in rows]
        out[col] = out[col].astype(SUMMARY_DTYPES[col])
    return out


def score_frame(df, text: str = "text", level: str = "document", scorer: Optional[Scorer] = None,
                progress: Optional[bool] = False):
    """Score the documents of a pandas DataFrame.

    Parameters
    ----------
    df : pandas.DataFrame
        One document per row.
    text : str, default="text"
        The column holding the text.
    level : {"document", "sentence"}, default="document"
        ``document``: `df` (a copy) with the summary columns added
        (``sentences``, ``words``, ``opinion_share``, the claim and source
        counts).  ``sentence``: a new frame with one row per sentence, indexed
        by its document's index, columns ``sentence_index`` and those of CSV
        output (probabilities, flags, offsets; ``cues`` and ``sources`` as
        JSON strings: ``json.loads`` gives the lists back).
    scorer : Scorer, optional
        What to score with (:func:`rhetorix.load` and its options:
        thresholds, extra cues, the tier); default ``rhetorix.load()``.
    progress : bool or None, default=False
        Show a progress bar on stderr (None: when stderr is a terminal).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ImportError
        Without pandas (naming the extra).
    KeyError
        If `text` is not a column.
    TypeError
        If `df` is not a DataFrame or a text is neither a ``str`` nor missing (naming its row).
    ValueError
        For an unknown `level`, or summary columns already in `df` (document level).
    """
    pd = _pandas()
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {LEVELS}")
    scorer = scorer if scorer is not None else load()
    if level == "document":
        return document_frame(df, text, scorer, progress)
    _checked(df, text)
    positions: List[int] = []
    records: List[Dict[str, object]] = []
    for pos, t in _texts(df, text, progress):
        if t is None:
            continue
        for k, s in enumerate(scorer.score_document(t).sentences):
            positions.append(pos)
            records.append({"sentence_index": k, **flat_sentence(s.to_dict())})
    return pd.DataFrame(records, index=df.index.take(positions), columns=["sentence_index", *SENTENCE_COLUMNS])
