"""The index page of ``rhetorix batch`` output: its documents in a table sortable by every column."""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

from .page import escape, page, per_1000

__all__ = ["index_html"]


_INDEX_COLUMNS = (
    ("id", "Document", False),
    ("sentences", "Sentences", True),
    ("words", "Words", True),
    ("opinion_share", "Opinion share", True),
    ("causal_claims", "Causal claims", True),
    ("unattributed_causal_claims", "Unattributed causal claims", True),
    ("unattributed_per_1000_words", "Unattributed causal per 1,000 words", True),
    ("techniques_per_1000_words", "Persuasion techniques per 1,000 words", True),
)


def _rate_cell(rate: Optional[object]) -> str:
    """A per-1,000-words cell, "n/a" without a rate (no word count, or output that lacks the field)."""
    if rate is None:
        return '<td data-value="">n/a</td>'
    return f'<td data-value="{float(rate):.6f}">{float(rate):.1f}</td>'


def index_html(documents: Sequence[Mapping[str, object]], title: Optional[str] = None) -> str:
    """An index page comparing documents, sortable by every column.

    Parameters
    ----------
    documents : sequence of mapping
        One per document: ``id`` and the summary fields of
        :attr:`rhetorix.DocumentScore.summary` (``words`` and
        ``techniques_per_1000_words`` may be missing, from output of older
        versions; their columns then show "n/a").  See
        :func:`read_batch_output`.
    title : str, optional
        Heading and page title; default "rhetorix report: N documents".

    Returns
    -------
    str
        A whole HTML page.
    """
    title = title or f"rhetorix report: {len(documents)} documents"
    rows = []
    total_words = 0
    total_unatt = 0
    for d in documents:
        words = d.get("words")
        rate = per_1000(float(d["unattributed_causal_claims"]), words)
        total_words += int(words or 0)
        total_unatt += int(d["unattributed_causal_claims"])
        share = float(d["opinion_share"])
        cells = [
            f'<td data-value="{escape(d["id"])}">{escape(d["id"])}</td>',
            f'<td data-value="{int(d["sentences"])}">{int(d["sentences"]):,}</td>',
            f'<td data-value="{"" if words is None else int(words)}">'
            f'{"n/a" if words is None else format(int(words), ",")}</td>',
            f'<td data-value="{share:.6f}"><span class="rhx-bar" style="width: {share * 4:.2f}em"></span>'
            f"{share:.0%}</td>",
            f'<td data-value="{int(d["causal_claims"])}">{int(d["causal_claims"])}</td>',
            f'<td data-value="{int(d["unattributed_causal_claims"])}">{int(d["unattributed_causal_claims"])}</td>',
            _rate_cell(rate),
            _rate_cell(d.get("techniques_per_1000_words")),
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    heads = "".join(
        f'<th scope="col"{" data-numeric" if numeric else ""}><button type="button">{label}</button></th>'
        for _, label, numeric in _INDEX_COLUMNS
    )
    overall = per_1000(total_unatt, total_words)
    body = (
        f"<header><h1>{escape(title)}</h1>"
        '<ul class="rhx-stats">'
        f"<li><b>{len(documents):,}</b> documents</li>"
        f"<li><b>{total_words:,}</b> words</li>"
        f"<li><b>{total_unatt:,}</b> unattributed causal claims"
        + (f" ({overall:.1f} per 1,000 words)" if overall is not None else "")
        + "</li></ul>"
        '<p class="rhx-muted">Select a column heading to sort by it; select it again to reverse. '
        "For one document's full view, run <code>rhetorix report</code> on its text.</p></header>"
        f'<table><thead><tr>{heads}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )
    return page(title, body, "index.js", True, "rhx-root")
