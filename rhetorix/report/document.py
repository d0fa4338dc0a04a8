"""The HTML report of one scored document.

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
  short label (toggle "Show cue labels"); so are the words that mark a
  persuasion technique (loaded language, name calling, exaggeration, doubt).
* Each persuasion technique a sentence is flagged for shows as a chip before
  it; the header counts them per technique.
* Hover, click or focus a sentence to see its scores and cues in the side
  panel (the ``title`` tooltip shows the same without JavaScript, e.g. in an
  untrusted notebook).  Flagged sentences are in the tab order, and the keys
  ``j``/``n`` and ``k``/``p`` move to the next and previous flagged sentence.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import TYPE_CHECKING, List, Mapping, Optional, Sequence, Tuple

from .page import (
    CHART_COLOURS,
    CUE_STYLES,
    ICONS,
    OPINION_TINTS,
    UNATTRIBUTED_COLOUR,
    cue_class,
    escape,
    page,
    per_1000,
    technique_label,
    tint_level,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..results import DocumentScore, SentenceScore

__all__ = ["document_html"]


def _said_by(row: List[str]) -> str:
    """ "Dana Cole (named), said" / "she = Dana Cole (named), added" for a tooltip."""
    text, kind, verb, ref = row
    who = f"{text} = {ref}" if ref else text
    return f"\u201c{who}\u201d ({kind})" + (f", {verb}" if verb else "")


def _sentence_html(s: SentenceScore, n: int, sid: str) -> str:
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
        piece = escape(text[a:b])
        if kinds:
            names = ", ".join(CUE_STYLES[k][0].lower() for k in kinds)
            pieces.append(
                f'<span class="rhx-cue {cue_class(kinds[0])}" title="{escape(names)}">{piece}</span>'
            )
        else:
            pieces.append(piece)

    flags = s.flags
    unatt = flags["unattributed_causal"]
    classes = ["rhx-s", f"rhx-o{tint_level(s.opinion)}"]
    icons, said = [], []
    if flags["opinion"]:
        classes.append("rhx-op")
        icons.append(f'<span class="rhx-icon">{ICONS["opinion"]}</span>')
        said.append("opinion")
    if unatt:
        classes.append("rhx-unatt")
        icons.append(f'<span class="rhx-icon rhx-icon-unatt">{ICONS["unattributed"]}</span>')
        said.append("unattributed causal claim")
    elif flags["causal"]:
        classes.append("rhx-causal")
        icons.append(f'<span class="rhx-icon">{ICONS["causal"]}</span>')
        said.append("causal claim")
    techniques = flags.get("techniques", [])
    # the chips are seen; screen readers hear the techniques in the flags text instead
    chips = [f'<span class="rhx-chip" aria-hidden="true">{escape(technique_label(t))}</span>' for t in techniques]
    said.extend(technique_label(t).lower() for t in techniques)
    att = s.attribution_scores
    cue_pairs = [[CUE_STYLES[c.kind][0].lower() if c.kind in CUE_STYLES else c.kind.replace("_", " "), c.text]
                 for c in s.cues]
    tech_rows = [[technique_label(t), round(s.techniques.get(t, 0.0), 4)] for t in techniques]
    # who says so: [source, kind, verb, the named source a pronoun continues]
    source_rows = [[src.text, src.kind, src.cue.text if src.cue else "", src.refers_to.text if src.refers_to else ""]
                   for src in s.sources]
    tooltip = (
        f"Sentence {n}: opinion {s.opinion:.0%}, causal {s.causal:.0%}, attribution {s.attribution}, "
        f"unattributed causal {s.unattributed_causal:.0%}"
        + ("; techniques: " + ", ".join(f"{k} {p:.0%}" for k, p in tech_rows) if tech_rows else "")
        + ("; sources: " + "; ".join(_said_by(r) for r in source_rows) if source_rows else "")
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
        "data-sources": json.dumps(source_rows, ensure_ascii=False),
        "data-tech": json.dumps(tech_rows, ensure_ascii=False),
    }
    if said:
        attrs["tabindex"] = "0"
    attr_text = " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items())
    sr = f'<span class="rhx-sr">({escape("; ".join(said))}) </span>' if said else ""
    return f"<span {attr_text}>{''.join(icons)}{''.join(chips)}{sr}{''.join(pieces)}</span>"


def _chart(sentences: Sequence[SentenceScore], prefix: str) -> str:
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
            f'height="{h:.1f}" fill="{fill}" style="cursor: pointer"><title>{escape(label)}</title></rect>'
        )
    flagged = sum(s.flags["opinion"] for s in sentences)
    unatt = sum(s.flags["unattributed_causal"] for s in sentences)
    desc = (
        f"Opinion score of each of the {n} sentences, in order; {flagged} flagged as opinion "
        f"(dark bars), {unatt} unattributed causal claims (red marks below the bars)."
    )
    return (
        f'<svg class="rhx-chart" viewBox="0 0 {n * 10} 60" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(desc)}">{"".join(bars)}</svg>'
    )


def _legend() -> str:
    tints = "".join(
        f'<li><span class="rhx-swatch rhx-o{k}"></span>opinion {lo:.0%}\u2013{min(up, 1.0):.0%}</li>'
        for k, ((up, _), lo) in enumerate(zip(OPINION_TINTS, [0.0] + [u for u, _ in OPINION_TINTS[:-1]]))
    )
    marks = (
        f'<li><span class="rhx-icon">{ICONS["opinion"]}</span>flagged as opinion</li>'
        f'<li><span class="rhx-unatt-sample"><span class="rhx-icon rhx-icon-unatt">{ICONS["unattributed"]}'
        "</span>outlined</span>: unattributed causal claim</li>"
        f'<li><span class="rhx-icon">{ICONS["causal"]}</span>causal claim with a named source</li>'
        '<li><span class="rhx-chip">Loaded language</span>a persuasion technique the sentence is flagged for</li>'
    )
    cues = "".join(
        f'<li><span class="rhx-cue {cue_class(kind)}">{escape(label)}</span> ({short}, {style} line)</li>'
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


def document_html(
    doc: DocumentScore, title: Optional[str] = None, full_page: bool = True
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
            parts.append(escape(text[pos:s.start]))
            pos = s.end
        elif i > 1:
            parts.append(" ")
        parts.append(_sentence_html(s, i, f"{prefix}s-{i}"))
    if text is not None:
        parts.append(escape(text[pos:]))
    article = "".join(parts)

    summary = doc.summary
    technique_stat, technique_section = _techniques(sents, summary)
    unatt = [(i, s) for i, s in enumerate(sents, 1) if s.flags["unattributed_causal"]]
    rate = per_1000(len(unatt), summary["words"])
    stats = (
        '<ul class="rhx-stats">'
        f"<li><b>{len(sents)}</b> sentences</li>"
        f"<li><b>{summary['words']:,}</b> words</li>"
        f"<li><b>{summary['opinion_share']:.0%}</b> opinion "
        f"({sum(s.flags['opinion'] for s in sents)} sentences)</li>"
        f"<li><b>{summary['causal_claims']}</b> causal claims</li>"
        f"<li><b>{len(unatt)}</b> unattributed causal claims"
        + (f" ({rate:.1f} per 1,000 words)" if rate is not None else "")
        + "</li>"
        + technique_stat
        + "</ul>"
    )
    if unatt:
        items = "".join(
            f'<li><a href="#{prefix}s-{i}">Sentence {i}</a>: {escape(_clip(s.text))}</li>' for i, s in unatt
        )
        claims = f'<h2>Unattributed causal claims</h2><ol class="rhx-claims">{items}</ol>'
    else:
        claims = '<h2>Unattributed causal claims</h2><p>None found.</p>'
    help_text = (
        '<p class="rhx-muted">Hover, click or focus a sentence to see its scores and cues. '
        "Tab, or the keys j and k, move between flagged sentences.</p>"
    )
    body = (
        f"<header><h1>{escape(title)}</h1>{stats}"
        f'<h2>Opinion score along the article</h2>{_chart(sents, prefix)}'
        f"{claims}{technique_section}{_legend()}{help_text}</header>"
        '<div class="rhx-grid">'
        f'<article class="rhx-article rhx-labels-on" aria-label="Article">{article}</article>'
        '<aside class="rhx-panel" aria-label="Sentence details"><h2>Sentence details</h2>'
        '<div class="rhx-panel-body" aria-live="polite"><p>Select a sentence to see its scores and '
        "the cues behind them.</p></div></aside></div>"
    )
    return page(title, body, "document.js", full_page, root_id)


def _techniques(sentences: Sequence[SentenceScore], summary: Mapping[str, object]) -> Tuple[str, str]:
    """The header's count of technique flags and the section counting them per technique (both empty when
    no sentence has technique scores)."""
    if not any(s.techniques for s in sentences):
        return "", ""
    n = summary.get("techniques", 0)
    rate = per_1000(n, summary["words"])
    stat = (f"<li><b>{n}</b> persuasion technique flag{'' if n == 1 else 's'}"
            + (f" ({rate:.1f} per 1,000 words)" if rate is not None else "") + "</li>")
    counts = Counter(t for s in sentences for t in s.flags.get("techniques", ()))
    if not counts:
        return stat, "<h2>Persuasion techniques</h2><p>None flagged.</p>"
    items = "".join(
        f'<li><span class="rhx-chip">{escape(technique_label(t))}</span> {k} sentence{"" if k == 1 else "s"}</li>'
        for t, k in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return stat, f'<h2>Persuasion techniques</h2><ul class="rhx-legend">{items}</ul>'


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
