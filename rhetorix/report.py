"""HTML reports: one scored document, or an index page comparing many.

The pages are self-contained: styles and the small script are inline, and no
fonts, images or scripts are fetched, so a report opens offline and can be
mailed as one file.  Every piece of text from the article is escaped; a
document containing ``<script>`` shows it as text.

Reading a report
----------------
* Each sentence is tinted by its opinion probability (five steps, legend in
  the header); sentences flagged as opinion also carry a diamond icon.
* Unattributed causal claims are outlined and carry a warning icon; other
  causal claims carry an arrow icon.  Every icon has a text equivalent for
  screen readers, so no mark relies on colour alone.
* Cue spans are underlined with a colour *and* a line style per kind, and a
  short label (toggle "Show cue labels").
* Hover, click or focus a sentence to see its scores and cues in the side
  panel (the ``title`` tooltip shows the same without JavaScript, e.g. in an
  untrusted notebook).  Flagged sentences are in the tab order, and the keys
  ``j``/``n`` and ``k``/``p`` move to the next and previous flagged sentence.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from .batch import BatchError, _format_of, _open_binary

if TYPE_CHECKING:  # pragma: no cover
    from .scorer import DocumentScore, SentenceScore

__all__ = [
    "document_html", "index_html", "read_batch_output", "batch_output_format", "ReportError",
    "CUE_STYLES", "OPINION_TINTS",
]


class ReportError(ValueError):
    """A batch output file that cannot be read as one."""


# ------------------------------------------------------------------ palette
TEXT_COLOUR = "#1b1b1b"
PAGE_COLOUR = "#ffffff"
MUTED_COLOUR = "#4a4a4a"
LINK_COLOUR = "#0b4f9c"
UNATTRIBUTED_COLOUR = "#a3120f"
#: Chart bars: sentences flagged as opinion, and the others (3:1 against the page, WCAG non-text).
CHART_COLOURS = ("#6a1b9a", "#a07d00")

#: Cue kind -> (legend label, short label, colour, CSS text-decoration style).
CUE_STYLES: Dict[str, Tuple[str, str, str, str]] = {
    "opinion_marker": ("Opinion marker", "OP", "#6a1b9a", "solid"),
    "intensifier": ("Intensifier", "INT", "#6a1b9a", "double"),
    "hedge": ("Hedge", "H", "#00695c", "dotted"),
    "causal_connective": ("Causal connective", "CC", "#0d47a1", "wavy"),
    "causal_verb": ("Causal verb", "CV", "#0d47a1", "dashed"),
    "attribution_cue": ("Attribution cue", "AT", "#1b5e20", "solid"),
    "named_source": ("Named source", "NS", "#1b5e20", "double"),
    "vague_source": ("Vague source", "VS", "#a3120f", "wavy"),
}

#: Opinion tint steps: (upper bound of the opinion probability, RGBA background).
OPINION_TINTS: Tuple[Tuple[float, Tuple[int, int, int, float]], ...] = (
    (0.2, (255, 193, 7, 0.0)),
    (0.4, (255, 193, 7, 0.15)),
    (0.6, (255, 193, 7, 0.3)),
    (0.8, (255, 193, 7, 0.45)),
    (1.01, (255, 193, 7, 0.6)),
)

_ICONS = {"opinion": "\u25c6", "causal": "\u21d2", "unattributed": "\u26a0"}


def _tint_level(p: float) -> int:
    return next(k for k, (upper, _) in enumerate(OPINION_TINTS) if p < upper)


def _css() -> str:
    tints = "\n".join(
        f".rhx-report .rhx-o{k} {{ background: rgba({r}, {g}, {b}, {a}); }}"
        for k, (_, (r, g, b, a)) in enumerate(OPINION_TINTS)
    )
    cues = "\n".join(
        f".rhx-report .rhx-k-{kind} {{ text-decoration: underline {style} {colour}; "
        f"text-decoration-thickness: 2px; text-underline-offset: 3px; }}\n"
        f".rhx-report .rhx-labels-on .rhx-k-{kind}::after {{ content: \"{short}\"; color: {colour}; }}"
        for kind, (_, short, colour, style) in CUE_STYLES.items()
    )
    return f"""
.rhx-report {{ color: {TEXT_COLOUR}; background: {PAGE_COLOUR}; font: 16px/1.6 system-ui, -apple-system,
  "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; max-width: 78rem; margin: 0 auto; padding: 1rem; }}
.rhx-report h1 {{ font-size: 1.5rem; margin: 0 0 .5rem; line-height: 1.3; }}
.rhx-report h2 {{ font-size: 1.1rem; margin: 1rem 0 .4rem; }}
.rhx-report a {{ color: {LINK_COLOUR}; }}
.rhx-report .rhx-muted {{ color: {MUTED_COLOUR}; }}
.rhx-report .rhx-stats {{ display: flex; flex-wrap: wrap; gap: .4rem 1.5rem; list-style: none; padding: 0; margin: .5rem 0; }}
.rhx-report .rhx-stats b {{ font-size: 1.2rem; }}
.rhx-report .rhx-grid {{ display: grid; grid-template-columns: minmax(0, 1fr) 20rem; gap: 1.5rem; align-items: start; }}
@media (max-width: 60rem) {{ .rhx-report .rhx-grid {{ grid-template-columns: 1fr; }} }}
.rhx-report .rhx-article {{ white-space: pre-wrap; overflow-wrap: break-word; font-size: 1.05rem; line-height: 1.9; }}
.rhx-report .rhx-s {{ border-radius: 3px; padding: 2px 0; }}
.rhx-report .rhx-s:focus {{ outline: 3px solid {TEXT_COLOUR}; outline-offset: 2px; }}
.rhx-report .rhx-s.rhx-unatt, .rhx-report .rhx-unatt-sample {{ outline: 2px solid {UNATTRIBUTED_COLOUR};
  outline-offset: 1px; border-radius: 3px; }}
.rhx-report .rhx-s.rhx-unatt:focus {{ outline: 4px solid {UNATTRIBUTED_COLOUR}; }}
.rhx-report .rhx-icon {{ font-size: .85em; margin-right: .15em; }}
.rhx-report .rhx-icon-unatt {{ color: {UNATTRIBUTED_COLOUR}; font-weight: bold; }}
.rhx-report .rhx-cue::after {{ font-size: .62em; vertical-align: super; margin-left: .1em; font-weight: bold; }}
{tints}
{cues}
.rhx-report .rhx-legend {{ display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; list-style: none; padding: 0; margin: .3rem 0; }}
.rhx-report .rhx-swatch {{ display: inline-block; width: 1.6em; height: 1em; vertical-align: middle;
  border: 1px solid {MUTED_COLOUR}; margin-right: .3em; }}
.rhx-report .rhx-panel {{ position: sticky; top: 1rem; border: 1px solid {MUTED_COLOUR}; border-radius: 6px;
  padding: .6rem .9rem; font-size: .92rem; background: {PAGE_COLOUR}; }}
.rhx-report .rhx-panel dl {{ display: grid; grid-template-columns: auto 1fr; gap: .1rem .8rem; margin: .4rem 0; }}
.rhx-report .rhx-panel dt {{ font-weight: bold; }}
.rhx-report .rhx-panel dd {{ margin: 0; }}
.rhx-report .rhx-chart {{ width: 100%; height: 70px; display: block; border-bottom: 1px solid {MUTED_COLOUR}; }}
.rhx-report .rhx-sr {{ position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }}
.rhx-report table {{ border-collapse: collapse; width: 100%; font-size: .95rem; }}
.rhx-report th, .rhx-report td {{ border-bottom: 1px solid #c8c8c8; padding: .35rem .6rem; text-align: right; }}
.rhx-report th:first-child, .rhx-report td:first-child {{ text-align: left; overflow-wrap: anywhere; }}
.rhx-report th button {{ font: inherit; font-weight: bold; color: {TEXT_COLOUR}; background: none; border: 0;
  padding: 0; cursor: pointer; text-align: inherit; }}
.rhx-report th button:focus {{ outline: 3px solid {TEXT_COLOUR}; outline-offset: 2px; }}
.rhx-report th button::after {{ content: " \21C5"; color: {MUTED_COLOUR}; }}
.rhx-report th[aria-sort="ascending"] button::after {{ content: " \\25B2"; }}
.rhx-report th[aria-sort="descending"] button::after {{ content: " \\25BC"; }}
.rhx-report .rhx-bar {{ display: inline-block; height: .7em; background: {CUE_STYLES["opinion_marker"][2]};
  vertical-align: middle; margin-right: .4em; }}
"""


# Sentence panel, keyboard moves between flagged sentences.  Text reaches the
# page only through textContent, never innerHTML.
_DOCUMENT_JS = """
(function () {
  var root = document.currentScript && document.currentScript.parentNode;
  if (!root) { return; }
  var panel = root.querySelector('.rhx-panel-body');
  var flagged = Array.prototype.slice.call(root.querySelectorAll('.rhx-s[tabindex]'));
  var toggle = root.querySelector('.rhx-label-toggle');
  var article = root.querySelector('.rhx-article');
  if (toggle) {
    toggle.addEventListener('change', function () { article.classList.toggle('rhx-labels-on', toggle.checked); });
  }
  function pct(x) { return Math.round(parseFloat(x) * 100) + '%'; }
  function add(parent, tag, text) {
    var el = document.createElement(tag); el.textContent = text; parent.appendChild(el); return el;
  }
  function show(s) {
    var d = s.dataset;
    panel.textContent = '';
    add(panel, 'p', 'Sentence ' + d.n + (d.flags ? ': ' + d.flags : '')).className = 'rhx-panel-title';
    var dl = add(panel, 'dl', '');
    add(dl, 'dt', 'Opinion'); add(dl, 'dd', pct(d.op));
    add(dl, 'dt', 'Causal claim'); add(dl, 'dd', pct(d.ca));
    add(dl, 'dt', 'Attribution');
    add(dl, 'dd', d.att + ' (named ' + pct(d.named) + ', vague ' + pct(d.vague) + ', none ' + pct(d.none) + ')');
    add(dl, 'dt', 'Unattributed causal'); add(dl, 'dd', pct(d.un));
    var cues = JSON.parse(d.cues || '[]');
    if (!cues.length) { add(panel, 'p', 'No cues in this sentence.'); return; }
    add(panel, 'p', 'Why (cues):');
    var ul = add(panel, 'ul', '');
    cues.forEach(function (c) { add(ul, 'li', c[0] + ': \\u201c' + c[1] + '\\u201d'); });
  }
  function pick(e) {
    var s = e.target.closest ? e.target.closest('.rhx-s') : null;
    if (s && root.contains(s)) { show(s); }
  }
  root.addEventListener('mouseover', pick);
  root.addEventListener('focusin', pick);
  root.addEventListener('click', pick);
  root.querySelectorAll('.rhx-chart [data-target]').forEach(function (bar) {
    bar.addEventListener('click', function () {
      var s = root.querySelector('#' + bar.getAttribute('data-target'));
      if (s) { s.scrollIntoView({block: 'center'}); show(s); }
    });
  });
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || !flagged.length) { return; }
    var active = document.activeElement;
    if (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) { return; }
    var mine = root.contains(active);
    if (!mine && document.querySelector('.rhx-report') !== root) { return; }
    var step = {j: 1, n: 1, k: -1, p: -1}[e.key];
    if (!step) { return; }
    var i = mine ? flagged.indexOf(active) : -1;
    var next = i < 0 ? (step > 0 ? 0 : flagged.length - 1) : i + step;
    if (next < 0 || next >= flagged.length) { return; }
    flagged[next].focus();
    flagged[next].scrollIntoView({block: 'center'});
    e.preventDefault();
  });
})();
"""

_INDEX_JS = """
(function () {
  var root = document.currentScript && document.currentScript.parentNode;
  if (!root) { return; }
  var table = root.querySelector('table');
  var body = table.tBodies[0];
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  heads.forEach(function (th, col) {
    var button = th.querySelector('button');
    button.addEventListener('click', function () {
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var numeric = th.hasAttribute('data-numeric');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-value'), y = b.cells[col].getAttribute('data-value');
        var c;
        if (numeric) {
          x = x === '' ? -Infinity : parseFloat(x); y = y === '' ? -Infinity : parseFloat(y);
          c = x < y ? -1 : x > y ? 1 : 0;
        } else { c = x.localeCompare(y); }
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
})();
"""


_SURROGATES = re.compile("[\ud800-\udfff]")


def _e(text: object) -> str:
    """Escaped for HTML text and attributes; lone surrogates (not encodable) become U+FFFD."""
    return _SURROGATES.sub("\ufffd", html.escape(str(text), quote=True))


def _page(title: str, body: str, js: str, full_page: bool, root_id: str) -> str:
    inner = f'<div class="rhx-report" id="{root_id}">\n<style>{_css()}</style>\n{body}\n<script>{js}</script>\n</div>'
    if not full_page:
        return inner
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n</head>\n<body style=\"margin: 0; background: {PAGE_COLOUR};\">\n"
        f"{inner}\n</body>\n</html>\n"
    )


# ------------------------------------------------------------------ one document
def _sentence_html(s: "SentenceScore", n: int, sid: str) -> str:
    """One sentence: tinted span with icons, screen-reader text and cue segments."""
    text = s.text
    # cue segments: cut the sentence at every cue boundary; a piece covered by
    # several cues (different kinds may overlap) lists all of them
    cues = [(c.start - s.start, c.end - s.start, c.kind) for c in s.cues]
    cues = [(a, b, k) for a, b, k in cues if 0 <= a < b <= len(text) and k in CUE_STYLES]
    cuts = sorted({0, len(text), *(a for a, _, _ in cues), *(b for _, b, _ in cues)})
    pieces = []
    for a, b in zip(cuts, cuts[1:]):
        kinds = [k for (ca, cb, k) in cues if ca <= a and b <= cb]
        piece = _e(text[a:b])
        if kinds:
            names = ", ".join(CUE_STYLES[k][0].lower() for k in kinds)
            pieces.append(
                f'<span class="rhx-cue rhx-k-{kinds[0]}" title="{_e(names)}">{piece}</span>'
            )
        else:
            pieces.append(piece)

    flags = s.flags
    unatt = flags["unattributed_causal"]
    classes = ["rhx-s", f"rhx-o{_tint_level(s.opinion)}"]
    icons, said = [], []
    if flags["opinion"]:
        classes.append("rhx-op")
        icons.append(f'<span class="rhx-icon">{_ICONS["opinion"]}</span>')
        said.append("opinion")
    if unatt:
        classes.append("rhx-unatt")
        icons.append(f'<span class="rhx-icon rhx-icon-unatt">{_ICONS["unattributed"]}</span>')
        said.append("unattributed causal claim")
    elif flags["causal"]:
        classes.append("rhx-causal")
        icons.append(f'<span class="rhx-icon">{_ICONS["causal"]}</span>')
        said.append("causal claim")
    att = s.attribution_scores
    cue_pairs = [[c.kind.replace("_", " "), c.text] for c in s.cues]
    tooltip = (
        f"Sentence {n}: opinion {s.opinion:.0%}, causal {s.causal:.0%}, attribution {s.attribution}, "
        f"unattributed causal {s.unattributed_causal:.0%}"
        + ("; cues: " + "; ".join(f"{k} \u201c{t}\u201d" for k, t in cue_pairs) if cue_pairs else "")
    )
    attrs = {
        "id": sid,
        "class": " ".join(classes),
        "title": tooltip,
        "data-n": n,
        "data-op": f"{s.opinion:.4f}",
        "data-ca": f"{s.causal:.4f}",
        "data-att": s.attribution,
        "data-named": f"{att['named']:.4f}",
        "data-vague": f"{att['vague']:.4f}",
        "data-none": f"{att['none']:.4f}",
        "data-un": f"{s.unattributed_causal:.4f}",
        "data-flags": ", ".join(said),
        "data-cues": json.dumps(cue_pairs, ensure_ascii=False),
    }
    if said:
        attrs["tabindex"] = "0"
    attr_text = " ".join(f'{k}="{_e(v)}"' for k, v in attrs.items())
    sr = f'<span class="rhx-sr">({_e("; ".join(said))}) </span>' if said else ""
    return f"<span {attr_text}>{''.join(icons)}{sr}{''.join(pieces)}</span>"


def _chart(sentences: Sequence["SentenceScore"], prefix: str) -> str:
    """Opinion score along the article: one bar per sentence (SVG)."""
    n = len(sentences)
    if not n:
        return ""
    bars = []
    for i, s in enumerate(sentences):
        h = max(1.0, 50.0 * s.opinion)
        fill = CHART_COLOURS[0] if s.flags["opinion"] else CHART_COLOURS[1]
        label = f"Sentence {i + 1}: opinion {s.opinion:.0%}"
        if s.flags["unattributed_causal"]:
            label += ", unattributed causal claim"
            bars.append(
                f'<rect x="{i * 10 + 1}" y="54" width="8" height="6" fill="{UNATTRIBUTED_COLOUR}"/>'
            )
        bars.append(
            f'<rect data-target="{prefix}s-{i + 1}" x="{i * 10 + 1}" y="{52 - h:.1f}" width="8" '
            f'height="{h:.1f}" fill="{fill}" style="cursor: pointer"><title>{_e(label)}</title></rect>'
        )
    flagged = sum(s.flags["opinion"] for s in sentences)
    unatt = sum(s.flags["unattributed_causal"] for s in sentences)
    desc = (
        f"Opinion score of each of the {n} sentences, in order; {flagged} flagged as opinion "
        f"(dark bars), {unatt} unattributed causal claims (red marks below the bars)."
    )
    return (
        f'<svg class="rhx-chart" viewBox="0 0 {n * 10} 60" preserveAspectRatio="none" role="img" '
        f'aria-label="{_e(desc)}">{"".join(bars)}</svg>'
    )


def _legend() -> str:
    tints = "".join(
        f'<li><span class="rhx-swatch rhx-o{k}"></span>opinion {lo:.0%}\u2013{min(up, 1.0):.0%}</li>'
        for k, ((up, _), lo) in enumerate(zip(OPINION_TINTS, [0.0] + [u for u, _ in OPINION_TINTS[:-1]]))
    )
    marks = (
        f'<li><span class="rhx-icon">{_ICONS["opinion"]}</span>flagged as opinion</li>'
        f'<li><span class="rhx-unatt-sample"><span class="rhx-icon rhx-icon-unatt">{_ICONS["unattributed"]}'
        "</span>outlined</span>: unattributed causal claim</li>"
        f'<li><span class="rhx-icon">{_ICONS["causal"]}</span>causal claim with a named source</li>'
    )
    cues = "".join(
        f'<li><span class="rhx-cue rhx-k-{kind}">{_e(label)}</span> ({short}, {style} line)</li>'
        for kind, (label, short, _, style) in CUE_STYLES.items()
    )
    return (
        '<section class="rhx-legend-box" aria-label="Legend">'
        '<h2>Legend</h2>'
        f'<ul class="rhx-legend">{tints}</ul>'
        f'<ul class="rhx-legend">{marks}</ul>'
        f'<ul class="rhx-legend rhx-labels-on">{cues}</ul>'
        '<label><input type="checkbox" class="rhx-label-toggle" checked> Show cue labels</label>'
        "</section>"
    )


def _per_1000(count: float, words: Optional[float]) -> Optional[float]:
    return 1000.0 * count / words if words else None


def document_html(
    doc: "DocumentScore", title: Optional[str] = None, full_page: bool = True
) -> str:
    """Render a scored document as HTML (see the module docstring for what it shows).

    Parameters
    ----------
    doc : DocumentScore
        From :meth:`rhetorix.Scorer.score_document`.  When ``doc.text`` is set
        (it is, from ``score_document``), the article is shown with its own line
        breaks; otherwise the sentences are joined by spaces.
    title : str, optional
        Heading and page title; default "rhetorix report".
    full_page : bool, default=True
        A whole HTML page, or (False) a ``<div>`` fragment with scoped styles,
        which is what ``DocumentScore._repr_html_`` gives Jupyter.

    Returns
    -------
    str
    """
    title = title or "rhetorix report"
    sents = list(doc.sentences)
    text = doc.text
    if text is not None and (
        any(text[s.start:s.end] != s.text for s in sents)
        or any(b.start < a.end for a, b in zip(sents, sents[1:]))
    ):
        text = None  # offsets do not index this text in order: fall back to the sentences alone
    digest = hashlib.sha1("\x00".join(s.text for s in sents).encode("utf-8", "surrogatepass")).hexdigest()
    prefix = "" if full_page else f"rhx{digest[:8]}-"
    root_id = f"{prefix}rhx-root" if prefix else "rhx-root"

    parts = []
    pos = 0
    for i, s in enumerate(sents, 1):
        if text is not None:
            parts.append(_e(text[pos:s.start]))
            pos = s.end
        elif i > 1:
            parts.append(" ")
        parts.append(_sentence_html(s, i, f"{prefix}s-{i}"))
    if text is not None:
        parts.append(_e(text[pos:]))
    article = "".join(parts)

    from .scorer import _summary

    summary = _summary(sents)  # from the sentences shown, whatever doc.summary says
    unatt = [(i, s) for i, s in enumerate(sents, 1) if s.flags["unattributed_causal"]]
    rate = _per_1000(len(unatt), summary["words"])
    stats = (
        '<ul class="rhx-stats">'
        f"<li><b>{len(sents)}</b> sentences</li>"
        f"<li><b>{summary['words']:,}</b> words</li>"
        f"<li><b>{summary['opinion_share']:.0%}</b> opinion "
        f"({sum(s.flags['opinion'] for s in sents)} sentences)</li>"
        f"<li><b>{summary['causal_claims']}</b> causal claims</li>"
        f"<li><b>{len(unatt)}</b> unattributed causal claims"
        + (f" ({rate:.1f} per 1,000 words)" if rate is not None else "")
        + "</li></ul>"
    )
    if unatt:
        items = "".join(
            f'<li><a href="#{prefix}s-{i}">Sentence {i}</a>: {_e(_clip(s.text))}</li>' for i, s in unatt
        )
        claims = f'<h2>Unattributed causal claims</h2><ol class="rhx-claims">{items}</ol>'
    else:
        claims = '<h2>Unattributed causal claims</h2><p>None found.</p>'
    help_text = (
        '<p class="rhx-muted">Hover, click or focus a sentence to see its scores and cues. '
        "Tab, or the keys j and k, move between flagged sentences.</p>"
    )
    body = (
        f"<header><h1>{_e(title)}</h1>{stats}"
        f'<h2>Opinion score along the article</h2>{_chart(sents, prefix)}'
        f"{claims}{_legend()}{help_text}</header>"
        '<div class="rhx-grid">'
        f'<article class="rhx-article rhx-labels-on" aria-label="Article">{article}</article>'
        '<aside class="rhx-panel" aria-label="Sentence details"><h2>Sentence details</h2>'
        '<div class="rhx-panel-body" aria-live="polite"><p>Select a sentence to see its scores and '
        "the cues behind them.</p></div></aside></div>"
    )
    return _page(title, body, _DOCUMENT_JS, full_page, root_id)


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# ------------------------------------------------------------------ many documents
_INDEX_COLUMNS = (
    ("id", "Document", False),
    ("sentences", "Sentences", True),
    ("words", "Words", True),
    ("opinion_share", "Opinion share", True),
    ("causal_claims", "Causal claims", True),
    ("unattributed_causal_claims", "Unattributed causal claims", True),
    ("unattributed_per_1000_words", "Unattributed causal per 1,000 words", True),
)


def index_html(documents: Sequence[Mapping[str, object]], title: Optional[str] = None) -> str:
    """An index page comparing documents, sortable by every column.

    Parameters
    ----------
    documents : sequence of mapping
        One per document: ``id`` and the summary fields of
        :attr:`rhetorix.DocumentScore.summary` (``words`` may be missing, from
        output of older versions; its columns then show "n/a").  See
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
        rate = _per_1000(float(d["unattributed_causal_claims"]), words)
        total_words += int(words or 0)
        total_unatt += int(d["unattributed_causal_claims"])
        share = float(d["opinion_share"])
        cells = [
            f'<td data-value="{_e(d["id"])}">{_e(d["id"])}</td>',
            f'<td data-value="{int(d["sentences"])}">{int(d["sentences"]):,}</td>',
            f'<td data-value="{"" if words is None else int(words)}">'
            f'{"n/a" if words is None else format(int(words), ",")}</td>',
            f'<td data-value="{share:.6f}"><span class="rhx-bar" style="width: {share * 4:.2f}em"></span>'
            f"{share:.0%}</td>",
            f'<td data-value="{int(d["causal_claims"])}">{int(d["causal_claims"])}</td>',
            f'<td data-value="{int(d["unattributed_causal_claims"])}">{int(d["unattributed_causal_claims"])}</td>',
            f'<td data-value="{"" if rate is None else f"{rate:.6f}"}">{"n/a" if rate is None else f"{rate:.1f}"}</td>',
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    heads = "".join(
        f'<th scope="col"{" data-numeric" if numeric else ""}><button type="button">{label}</button></th>'
        for _, label, numeric in _INDEX_COLUMNS
    )
    overall = _per_1000(total_unatt, total_words)
    body = (
        f"<header><h1>{_e(title)}</h1>"
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
    return _page(title, body, _INDEX_JS, True, "rhx-root")


def batch_output_format(path: Union[str, os.PathLike]) -> Optional[str]:
    """``"jsonl"``, ``"csv"`` or ``"parquet"`` for a file named like ``rhetorix batch``
    output (``.gz`` allowed except for Parquet), else None."""
    name = str(path)
    if Path(name).suffix.lower() == ".parquet":
        return "parquet"
    try:
        fmt = _format_of(name, "auto")
    except BatchError:
        return None
    return fmt if fmt in ("jsonl", "csv") and name != "-" else None


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
            raise ReportError(f"{path}: reading Parquet needs pyarrow: pip install 'rhetorix[parquet]'") from None
        for k, row in enumerate(pq.read_table(path).to_pylist(), 1):
            yield f"row {k}", row
        return
    with io.TextIOWrapper(_open_binary(str(path)), encoding="utf-8", newline="") as fh:
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
        file order.

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
    return docs


def _document_row(row: Mapping[str, object]) -> Dict[str, object]:
    words = row.get("words")
    return {
        "id": str(row["id"]),
        "sentences": int(row["sentences"]),  # type: ignore[arg-type]
        "words": None if words in (None, "") else int(words),  # type: ignore[arg-type]
        "opinion_share": float(row["opinion_share"]),  # type: ignore[arg-type]
        "causal_claims": int(row["causal_claims"]),  # type: ignore[arg-type]
        "unattributed_causal_claims": int(row["unattributed_causal_claims"]),  # type: ignore[arg-type]
    }


def _add_sentence_row(docs: List[Dict[str, object]], row: Mapping[str, object]) -> None:
    rid = str(row["id"])
    index = int(row["sentence_index"])  # type: ignore[arg-type]
    if not docs or index == 0 or docs[-1]["id"] != rid:
        docs.append({"id": rid, "sentences": 0, "words": 0, "_opinion": 0,
                     "causal_claims": 0, "unattributed_causal_claims": 0})
    d = docs[-1]
    flags = row["flags"] if "flags" in row else {
        k: row[f"flag_{k}"] for k in ("opinion", "causal", "unattributed_causal")
    }
    d["sentences"] += 1  # type: ignore[operator]
    d["words"] += len(str(row["text"]).split())  # type: ignore[operator]
    d["_opinion"] += _truthy(flags["opinion"])  # type: ignore[index,operator]
    d["causal_claims"] += _truthy(flags["causal"])  # type: ignore[index,operator]
    d["unattributed_causal_claims"] += _truthy(flags["unattributed_causal"])  # type: ignore[index,operator]
