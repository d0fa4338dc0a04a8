"""What every report page shares: the palette, the styles and scripts, escaping, the page frame.

The styles and scripts are package data (``static/report.css``,
``static/document.js``, ``static/index.js``), inlined into every page so that a
report is one self-contained file.  The colours are defined here once: the
CSS reads them as ``--rhx-*`` variables, and the tests check their contrast.
"""

from __future__ import annotations

import functools
import html
import re
from importlib import resources
from typing import Dict, Optional, Tuple

__all__ = [
    "CUE_STYLES", "OPINION_TINTS", "CHART_COLOURS", "ICONS", "TEXT_COLOUR", "PAGE_COLOUR", "MUTED_COLOUR",
    "LINK_COLOUR", "UNATTRIBUTED_COLOUR", "TECHNIQUE_COLOUR", "cue_class", "escape", "page", "per_1000",
    "static_file", "technique_label", "tint_level",
]

TEXT_COLOUR = "#1b1b1b"
PAGE_COLOUR = "#ffffff"
MUTED_COLOUR = "#4a4a4a"
LINK_COLOUR = "#0b4f9c"
UNATTRIBUTED_COLOUR = "#a3120f"
#: Persuasion technique chips and the underlines of the words that mark a technique.
TECHNIQUE_COLOUR = "#7a3e00"
#: Chart bars: sentences flagged as opinion, and the others (3:1 against the page, WCAG non-text).
CHART_COLOURS = ("#6a1b9a", "#a07d00")

def technique_label(name: str) -> str:
    """How a technique is named on the page: ``Name_Calling,Labeling`` -> ``Name calling, labeling``."""
    words = name.replace("_", " ").replace(",", ", ")
    return words[:1] + words[1:].lower()


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
    # the words that mark a persuasion technique (rhetorix.cues.cue.WORD_TECHNIQUES)
    **{kind: (technique_label(kind), short, TECHNIQUE_COLOUR, style) for kind, short, style in (
        ("Loaded_Language", "LL", "solid"), ("Name_Calling,Labeling", "NC", "double"),
        ("Exaggeration,Minimisation", "EX", "dashed"), ("Doubt", "DB", "dotted"))},
}

#: Opinion tint steps: (upper bound of the opinion probability, RGBA background).
OPINION_TINTS: Tuple[Tuple[float, Tuple[int, int, int, float]], ...] = (
    (0.2, (255, 193, 7, 0.0)),
    (0.4, (255, 193, 7, 0.15)),
    (0.6, (255, 193, 7, 0.3)),
    (0.8, (255, 193, 7, 0.45)),
    (1.01, (255, 193, 7, 0.6)),
)

#: Icons of the flags (each also has screen-reader text).
ICONS = {"opinion": "\u25c6", "causal": "\u21d2", "unattributed": "\u26a0"}


def cue_class(kind: str) -> str:
    """The CSS class of a cue kind (technique names hold commas, which a class name cannot)."""
    return "rhx-k-" + re.sub(r"[^A-Za-z0-9_-]", "-", kind)


def tint_level(p: float) -> int:
    """The opinion tint step (index into :data:`OPINION_TINTS`) of probability `p`."""
    return next(k for k, (upper, _) in enumerate(OPINION_TINTS) if p < upper)


@functools.cache
def static_file(name: str) -> str:
    """The text of a file in ``rhetorix/report/static``."""
    return (resources.files("rhetorix.report") / "static" / name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def css() -> str:
    """The page styles: the colour variables, the opinion tints and cue styles, then ``report.css``."""
    colours = {
        "text": TEXT_COLOUR, "page": PAGE_COLOUR, "muted": MUTED_COLOUR, "link": LINK_COLOUR,
        "unattributed": UNATTRIBUTED_COLOUR, "bar": CUE_STYLES["opinion_marker"][2], "technique": TECHNIQUE_COLOUR,
    }
    variables = "".join(f" --rhx-{k}: {v};" for k, v in colours.items())
    tints = "\n".join(
        f".rhx-report .rhx-o{k} {{ background: rgba({r}, {g}, {b}, {a}); }}"
        for k, (_, (r, g, b, a)) in enumerate(OPINION_TINTS)
    )
    cues = "\n".join(
        f".rhx-report .{cue_class(kind)} {{ text-decoration: underline {style} {colour}; "
        f"text-decoration-thickness: 2px; text-underline-offset: 3px; }}\n"
        f'.rhx-report .rhx-labels-on .{cue_class(kind)}::after {{ content: "{short}"; color: {colour}; }}'
        for kind, (_, short, colour, style) in CUE_STYLES.items()
    )
    static = re.sub(r"/\*.*?\*/", "", static_file("report.css"), flags=re.S).strip()  # comments stay in the file
    return f".rhx-report {{{variables} }}\n{static}\n{tints}\n{cues}\n"


_SURROGATES = re.compile("[\ud800-\udfff]")
# C0 controls other than tab and line breaks, and DEL, shown as their control pictures (one
# character each, so nothing shifts): a page never holds a raw control character.
_CONTROLS = {c: 0x2400 + c for c in range(32) if chr(c) not in "\t\n\r"} | {0x7F: 0x2421}


def escape(text: object) -> str:
    """Escaped for HTML text and attributes: lone surrogates (not encodable) become U+FFFD,
    control characters their visible pictures (U+2400 block)."""
    return _SURROGATES.sub("\ufffd", html.escape(str(text), quote=True)).translate(_CONTROLS)


def page(title: str, body: str, script: str, full_page: bool, root_id: str) -> str:
    """A report: `body` and the named static `script` in a scoped ``<div>``, as a whole page or a fragment."""
    inner = (
        f'<div class="rhx-report" id="{root_id}">\n<style>{css()}</style>\n{body}\n'
        f"<script>{static_file(script)}</script>\n</div>"
    )
    if not full_page:
        return inner
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body style=\"margin: 0; background: {PAGE_COLOUR};\">\n"
        f"{inner}\n</body>\n</html>\n"
    )


def per_1000(count: float, words: Optional[float]) -> Optional[float]:
    """`count` per 1,000 `words`; None without words."""
    return 1000.0 * count / words if words else None
