"""Sentence segmentation for English news-style text.

The segmenter is built on NLTK's unsupervised Punkt algorithm
(:mod:`nltk.tokenize.punkt`).  Its parameters (abbreviations, collocations,
frequent sentence starters and orthographic context) were learned with
:class:`nltk.tokenize.punkt.PunktTrainer` on raw news text and are shipped as a
plain JSON file, ``rhetorix/text/resources/punkt_en.json`` -- never as a pickle.  At
load time the learned abbreviations are united with a reviewed list,
``rhetorix/text/resources/abbreviations.txt``.  ``tools/train_punkt.py`` regenerates
the JSON file.

Punkt only looks at ``.``, ``?`` and ``!``.  News text also contains
headlines, bylines and bullet lists that carry no final full stop, so a
single linear pass over the lines of the input runs first and cuts the text
into *blocks* that Punkt then segments on its own:

* A blank line (or U+2029 PARAGRAPH SEPARATOR) always ends a sentence.
* A line that starts with a bullet marker (``-``, ``*``, ``•``, ``–``,
  ``—``, ``◦``, ``▪``, ``‣``, ``●``, or one to three digits followed by ``.``
  or ``)``), then whitespace and some text, starts a new block.  The marker
  itself is **not** part of any span: the span starts at the item's text.
* A line that ends without sentence-final punctuation (``.``, ``!``, ``?``,
  optionally followed by closing quotes or brackets) ends a sentence when
  the next line starts with an uppercase letter, a digit, a bullet or a
  quotation mark -- unless the line ends with a comma, semicolon, a
  hyphenated word part (``well-``), a dash, an opening bracket, ``&``/``/``
  or a function word such as *the*, *of*, *and* or *to*, which mark
  hard-wrapped prose.  A next line starting with anything else (typically
  a lowercase word) continues the sentence.
* Lines ending with sentence-final punctuation are joined with the next line
  and Punkt decides (so ``Mr.`` at a line end does not end a sentence).

Within a block Punkt decides, with three additions:

* Besides the learned and reviewed abbreviations, every dotted acronym made
  of one- or two-letter groups (``N.Y.U.``, ``W.Va.``) counts as an
  abbreviation.  Like any abbreviation it still ends a sentence before a
  frequent sentence starter (``The``, ``He``, ``However`` ...).
* Learned sentence starters that are names (Punkt learns ``clinton`` or
  ``sanders`` from news, which would split ``Mrs. Clinton``) are filtered
  out by the trainer, and a few function words are added.
* A boundary after ``?`` or ``!`` (plus closing quotes or brackets), or after
  ``."`` / ``.'``, is dropped when the next word starts in lowercase:
  ``"Why?" she asked.`` is one sentence.

Line breaks are those of :meth:`str.splitlines` (``\\n``, ``\\r\\n``, ``\\r``,
``\\v``, ``\\f``, ``\\x1c``-``\\x1e``, ``\\x85``, U+2028, U+2029), so CRLF
input and U+2028 LINE SEPARATOR behave exactly like ``\\n``.

Before Punkt sees a block, curly quotes and guillemets are mapped to ASCII
quotes and every whitespace character to a space or ``\\n``; the mapping is
one character to one character, so the returned offsets index the caller's
original string.  Very long blocks are fed to Punkt in overlapping windows of
bounded size, and any exception raised inside Punkt makes the affected window
fall back to a single sentence, so the whole segmenter runs in linear time
and never raises on ``str`` input.

Guarantees of every result: spans are non-empty, in order, non-overlapping,
have no leading or trailing whitespace, and together cover every
non-whitespace character of the input except excluded bullet markers.

Known limitations
-----------------
* An abbreviation at the very end of a sentence followed by a capitalised
  word is ambiguous.  ``in the U.S. The next day`` is split (``The`` is a
  known sentence starter), and ``the U.S. economy`` / ``the U.S. Senate`` are
  not, but ``in the U.S. Prices rose`` stays one sentence.  Conversely an
  abbreviation before a capitalised word that Punkt only ever saw starting
  sentences may be split off (``A.B. Holdings``).
* A hard-wrapped prose line followed by a line that starts with a capitalised
  word, a digit or a quote (``I met\\nJohn``) is split unless the first line
  ends with a comma or a function word -- the headline rule cannot tell the
  two apart.
* The single-character ellipsis ``…`` never ends a sentence inside a line;
  ``...`` is handled by Punkt.  ``?`` and ``!`` always end a sentence unless
  a lowercase word follows (``Yahoo! Inc.`` is split).
* A sentence longer than about 5,000 characters may be cut at a
  whitespace position (windowing for linear time).
"""

from __future__ import annotations

import importlib.resources
import json
import os
import threading
import warnings
from typing import Iterable, Iterator, NamedTuple, Optional, Union

from .punkt import load_punkt

_punkt = load_punkt()
PunktParameters = _punkt.PunktParameters
PunktSentenceTokenizer = _punkt.PunktSentenceTokenizer

__all__ = [
    "FORMAT_VERSION",
    "ReviewedAbbreviations",
    "SentenceSegmenter",
    "load_abbreviations",
    "normalize_for_punkt",
    "segment_spans",
]

#: Version of the JSON parameter format this module reads and writes.
FORMAT_VERSION = 1

_RESOURCE_PACKAGE = "rhetorix.text"
_NUMBER_TYPE = "##number##"  # Punkt's type for any number
_PARAMS_RESOURCE = "resources/punkt_en.json"
_ABBREV_RESOURCE = "resources/abbreviations.txt"

PathLike = Union[str, "os.PathLike[str]"]

# ---------------------------------------------------------------------------
# Character classes
# ---------------------------------------------------------------------------

#: Characters that :meth:`str.splitlines` treats as line boundaries.
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
#: Line boundaries that also end a paragraph.
_PARAGRAPH_BREAKS = frozenset("\u2029")

#: Every character for which :meth:`str.isspace` is true.
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

_DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e\uff02"
_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2039\u203a\u2032"


def _build_translation() -> dict[int, str]:
    table: dict[int, str] = {}
    for ch in _WHITESPACE:
        table[ord(ch)] = "\n" if ch in _LINE_BREAKS else " "
    for ch in _DOUBLE_QUOTES:
        table[ord(ch)] = '"'
    for ch in _SINGLE_QUOTES:
        table[ord(ch)] = "'"
    return table


_PUNKT_TRANSLATION = _build_translation()

_SENT_FINAL = frozenset(".!?\u203c\u2047\u2048\u2049")
_CLOSERS = frozenset("\"')]}\u201d\u2019\u00bb\u203a")
_QUOTE_STARTS = frozenset("\"'\u201c\u201d\u2018\u2019\u201e\u201a\u00ab\u00bb\u2039\u203a")
_BULLET_CHARS = frozenset("-*\u2022\u2013\u2014\u25e6\u25aa\u2023\u25cf")
#: Characters at the end of a line that show the sentence goes on.
_CONTINUATION_END = frozenset(",;\u2013\u2014([{&/+=")
#: Lowercased final words of a line that show the sentence goes on.
_CONTINUATION_WORDS = frozenset(
    """
    a an the this that these those my your his her its our their whose
    of to in on at by for with from into onto upon over under about above
    below between among through during before after against without within
    via per than as like toward towards
    and or but nor yet so if because while although though whether when
    where which who whom what
    is are was were be been being am has have had do does did will would
    shall should can could may might must not
    """.split()
)
#: Longest trailing word considered when looking for a continuation word.
_MAX_WORD = 12

#: Frequent sentence starters added to the learned ones.  These words are
#: almost never capitalised inside a sentence, so a capitalised occurrence
#: after an abbreviation (``... in the U.S. The next day``) starts a sentence.
_EXTRA_SENT_STARTERS = frozenset(
    """
    the he she it they we his her their its this these those there but
    however meanwhile after when while although in on at for
    """.split()
)

#: Punkt is run on windows of at most this many characters (see
#: :meth:`SentenceSegmenter._punkt_block`); nltk bounds each regular
#: expression search with a wall-clock timeout, so unbounded input must not
#: reach Punkt in one piece.
_WINDOW = 20_000
_MIN_ADVANCE = _WINDOW // 4


def normalize_for_punkt(text: str) -> str:
    """Return the same-length normalised form of `text` that Punkt sees.

    Curly double quotes and guillemets become ``"``, curly single quotes and
    primes become ``'``, line breaks become ``\\n`` and all other whitespace
    becomes a space.  Every character maps to exactly one character, so
    offsets into the result are offsets into `text`.

    Parameters
    ----------
    text : str
        Input text.

    Returns
    -------
    str
        Normalised text with ``len(result) == len(text)``.
    """
    return text.translate(_PUNKT_TRANSLATION)


# ---------------------------------------------------------------------------
# Resources
# ---------------------------------------------------------------------------


def _read_resource(name: str) -> str:
    ref = importlib.resources.files(_RESOURCE_PACKAGE).joinpath(name)
    return ref.read_text(encoding="utf-8")


class ReviewedAbbreviations(NamedTuple):
    """Contents of a reviewed abbreviation file.

    Attributes
    ----------
    abbrev_types : set of str
        Abbreviations without their final period (``u.s``), always treated
        as abbreviations.
    collocations : set of tuple of (str, str)
        ``(abbreviation, next_type)`` pairs: the abbreviation is only known
        before that word type (``("no", "##number##")`` for *No. 5*).
    """

    abbrev_types: set[str]
    collocations: set[tuple[str, str]]


def _parse_abbreviations(lines: Iterable[str]) -> ReviewedAbbreviations:
    abbrevs: set[str] = set()
    collocations: set[tuple[str, str]] = set()
    for raw in lines:
        fields = []
        for field in raw.lower().split():
            if field.startswith("#") and field != _NUMBER_TYPE:
                break  # comment
            fields.append(field)
        if not fields:
            continue
        if len(fields) > 2:
            raise ValueError(f"malformed abbreviation line {raw.strip()!r}")
        word = fields[0][:-1] if fields[0].endswith(".") else fields[0]
        if not word:
            continue
        if len(fields) == 1:
            abbrevs.add(word)
        else:
            nxt = fields[1]
            if nxt != _NUMBER_TYPE and nxt.endswith("."):
                nxt = nxt[:-1]
            collocations.add((word, nxt))
    return ReviewedAbbreviations(abbrevs, collocations)


def load_abbreviations(path: Optional[PathLike] = None) -> ReviewedAbbreviations:
    """Read a reviewed abbreviation list.

    The format is one abbreviation per line, lowercase, without its final
    period (``u.s`` for *U.S.*).  A line with a second field, ``WORD NEXT``,
    makes ``WORD.`` an abbreviation only when the next word has Punkt type
    ``NEXT`` (lowercased; ``##number##`` stands for any number), so
    ``no ##number##`` keeps *No. 5* together without making the word *no.*
    at a sentence end an abbreviation.  A ``#`` that starts a
    whitespace-separated field (other than ``##number##``) starts a comment;
    blank lines are ignored.

    Parameters
    ----------
    path : str or os.PathLike, optional
        File to read.  The default is the packaged
        ``rhetorix/text/resources/abbreviations.txt``.

    Returns
    -------
    ReviewedAbbreviations
        Abbreviations and abbreviation collocations, as Punkt stores them.

    Raises
    ------
    ValueError
        If a line has more than two fields.
    """
    if path is None:
        text = _read_resource(_ABBREV_RESOURCE)
    else:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    return _parse_abbreviations(text.splitlines())


def _is_dotted_acronym(typ: str) -> bool:
    """True for types like ``n.y.u`` or ``w.va``: 2+ groups of 1-2 letters."""
    groups = typ.split(".")
    return len(groups) >= 2 and all(
        0 < len(g) <= 2 and g.isalpha() for g in groups
    )


class _AbbrevTypes(set):
    """Abbreviation set that also contains every dotted acronym.

    Punkt asks ``type in params.abbrev_types``; answering yes for
    ``n.y.u``, ``w.va`` or ``e.t`` keeps *N.Y.U. students* together even
    though no list names every acronym.  Such a token still ends a sentence
    before a known sentence starter, like any other abbreviation.
    """

    def __contains__(self, typ: object) -> bool:
        return set.__contains__(self, typ) or (
            isinstance(typ, str) and _is_dotted_acronym(typ)
        )


class _OrthoContext(dict):
    """Orthographic-context table that answers 0 for unseen types.

    Punkt indexes its table with arbitrary input tokens; a
    :class:`collections.defaultdict` would grow with every new token seen in
    a long-running process, this does not.
    """

    def __missing__(self, key: str) -> int:
        return 0


def _params_from_json(data: dict) -> PunktParameters:
    if not isinstance(data, dict):
        raise ValueError("Punkt parameter file must hold a JSON object")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"unsupported Punkt parameter format_version {version!r}; "
            f"expected {FORMAT_VERSION}"
        )
    params = PunktParameters()
    params.abbrev_types = {str(a) for a in data.get("abbrev_types", [])}
    collocations = set()
    for pair in data.get("collocations", []):
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ValueError(f"malformed collocation entry {pair!r}")
        collocations.add((str(pair[0]), str(pair[1])))
    params.collocations = collocations
    params.sent_starters = {str(s) for s in data.get("sent_starters", [])}
    ortho = _OrthoContext()
    for key, value in data.get("ortho_context", {}).items():
        ortho[str(key)] = int(value)
    params.ortho_context = ortho
    return params


# ---------------------------------------------------------------------------
# Line pre-splitting
# ---------------------------------------------------------------------------


def _bullet_text_start(text: str, start: int, end: int) -> Optional[int]:
    """Index where a bullet item's text starts, or None if no bullet.

    `start` is the first non-whitespace character of the line and `end` the
    end of its stripped content.
    """
    ch = text[start]
    if ch in _BULLET_CHARS:
        pos = start + 1
    elif "0" <= ch <= "9":
        pos = start + 1
        while pos < end and pos - start < 3 and "0" <= text[pos] <= "9":
            pos += 1
        if pos >= end or text[pos] not in ".)":
            return None
        pos += 1
    else:
        return None
    if pos >= end or not text[pos].isspace():
        return None
    while pos < end and text[pos].isspace():
        pos += 1
    return pos if pos < end else None


def _ends_sentence_final(text: str, start: int, end: int) -> bool:
    """True if text[start:end] ends with . ! ? (plus closing quotes/brackets)."""
    pos = end - 1
    while pos >= start and text[pos] in _CLOSERS:
        pos -= 1
    return pos >= start and text[pos] in _SENT_FINAL


def _ends_with_continuation(text: str, start: int, end: int) -> bool:
    """True if a line text[start:end] visibly stops mid-sentence."""
    last = text[end - 1]
    if last in "-\u2010\u2011":
        # a hyphenated word broken across lines ("well-\nknown"), not a rule
        # line such as "---"
        return end - 2 >= start and text[end - 2].isalpha()
    if last in _CONTINUATION_END:
        return True
    pos = end
    limit = max(start, end - _MAX_WORD - 1)
    while pos > limit and text[pos - 1].isalpha():
        pos -= 1
    if pos == end or end - pos > _MAX_WORD:
        return False
    if pos > start and text[pos - 1].isalnum():
        return False
    return text[pos:end].lower() in _CONTINUATION_WORDS


def _starts_new_sentence(ch: str) -> bool:
    return ch.isupper() or ch.istitle() or ch.isdigit() or ch in _QUOTE_STARTS


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Split `text` into blocks for Punkt in one linear pass over its lines.

    Yields ``(start, end)`` pairs; each block starts and ends with
    non-whitespace and may contain line breaks.
    """
    block_start = -1
    block_end = -1
    line_start = -1  # stripped start of the last line in the block
    offset = 0
    for line in text.splitlines(keepends=True):
        begin = offset
        offset += len(line)
        stripped_left = len(line) - len(line.lstrip())
        if stripped_left == len(line):
            # blank line: paragraph break
            if block_start >= 0:
                yield block_start, block_end
                block_start = -1
            continue
        first = begin + stripped_left
        last = begin + len(line.rstrip())
        bullet = _bullet_text_start(text, first, last)
        if bullet is not None:
            if block_start >= 0:
                yield block_start, block_end
            block_start, line_start = bullet, bullet
        elif block_start < 0:
            block_start, line_start = first, first
        elif _ends_sentence_final(
            text, line_start, block_end
        ) or not _starts_new_sentence(text[first]):
            line_start = first  # join; Punkt decides
        elif _ends_with_continuation(text, line_start, block_end):
            line_start = first  # hard-wrapped prose
        else:
            yield block_start, block_end
            block_start, line_start = first, first
        block_end = last
        if line[-1] in _PARAGRAPH_BREAKS:
            yield block_start, block_end
            block_start = -1
    if block_start >= 0:
        yield block_start, block_end


def _quote_or_bang_end(norm: str, start: int, end: int) -> bool:
    """True if norm[start:end] ends with ?/! (+ closers) or . + a quote.

    `norm` is normalised text (ASCII quotes, see :func:`normalize_for_punkt`).
    """
    pos = end - 1
    quoted = False
    while pos >= start and norm[pos] in "\"')]}":
        quoted = quoted or norm[pos] in "\"'"
        pos -= 1
    if pos < start:
        return False
    return norm[pos] in "?!" or (norm[pos] == "." and quoted)


def _strip_span(text: str, start: int, end: int) -> Optional[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


class SentenceSegmenter:
    """Punkt-based English sentence segmenter with offset-exact spans.

    Parameters
    ----------
    params_path : str or os.PathLike, optional
        JSON parameter file written by ``tools/train_punkt.py``.  The default
        is the packaged ``rhetorix/text/resources/punkt_en.json``.
    abbreviations_path : str or os.PathLike, optional
        Reviewed abbreviation list united with the learned abbreviations.
        The default is the packaged ``rhetorix/text/resources/abbreviations.txt``.

    Raises
    ------
    ValueError
        If the parameter file is malformed or has an unknown format version.

    Notes
    -----
    Parameters are read from JSON into :class:`~nltk.tokenize.punkt.PunktParameters`;
    no pickle is ever loaded.  Instances are safe to share between threads.
    See the module docstring for the segmentation rules and known
    limitations.

    Examples
    --------
    >>> seg = SentenceSegmenter()
    >>> seg.tokenize("Dr. Jones arrived. She spoke.")
    ['Dr. Jones arrived.', 'She spoke.']
    """

    def __init__(
        self,
        params_path: Optional[PathLike] = None,
        *,
        abbreviations_path: Optional[PathLike] = None,
    ) -> None:
        if params_path is None:
            raw = _read_resource(_PARAMS_RESOURCE)
        else:
            with open(params_path, encoding="utf-8") as handle:
                raw = handle.read()
        params = _params_from_json(json.loads(raw))
        try:
            reviewed = load_abbreviations(abbreviations_path)
        except FileNotFoundError:
            if abbreviations_path is not None:
                raise
            warnings.warn(
                "rhetorix/text/resources/abbreviations.txt is missing; using only "
                "the learned Punkt abbreviations",
                RuntimeWarning,
                stacklevel=2,
            )
            reviewed = ReviewedAbbreviations(set(), set())
        params.abbrev_types = _AbbrevTypes(params.abbrev_types | reviewed.abbrev_types)
        params.collocations |= reviewed.collocations
        params.sent_starters |= _EXTRA_SENT_STARTERS
        self._params = params
        self._punkt = PunktSentenceTokenizer(params)

    @property
    def abbreviations(self) -> frozenset[str]:
        """frozenset of str: listed abbreviations (learned and reviewed).

        Dotted acronyms such as ``n.y.u`` are recognised as well without
        being listed.
        """
        return frozenset(self._params.abbrev_types)

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        """Return the ``(start, end)`` character span of every sentence.

        Parameters
        ----------
        text : str
            Text to segment.  Offsets index this exact string.

        Returns
        -------
        list of tuple of (int, int)
            Sentence spans in order.  ``text[start:end]`` is non-empty and
            has no surrounding whitespace; spans do not overlap.  Empty or
            whitespace-only input gives ``[]``.

        Raises
        ------
        TypeError
            If `text` is not a ``str``.
        """
        if not isinstance(text, str):
            raise TypeError(
                "SentenceSegmenter expects text as str, got "
                f"{type(text).__name__}"
                + (" (decode bytes first)" if isinstance(text, (bytes, bytearray)) else "")
            )
        if not text or text.isspace():
            return []
        norm = normalize_for_punkt(text)
        spans: list[tuple[int, int]] = []
        for start, end in _blocks(text):
            for cut_start, cut_end in self._punkt_block(norm, start, end):
                span = _strip_span(text, cut_start, cut_end)
                if span is not None:
                    spans.append(span)
        return spans

    def tokenize(self, text: str) -> list[str]:
        """Return the sentences of `text` as strings.

        Parameters
        ----------
        text : str
            Text to segment.

        Returns
        -------
        list of str
            ``[text[s:e] for s, e in self.span_tokenize(text)]``.

        Raises
        ------
        TypeError
            If `text` is not a ``str``.
        """
        return [text[s:e] for s, e in self.span_tokenize(text)]

    # -- internals ---------------------------------------------------------

    def _punkt_cuts(self, norm: str, start: int, end: int) -> list[int]:
        """Sentence start offsets Punkt finds in norm[start:end].

        The first element is always `start`.  A boundary after ``?`` or
        ``!`` (optionally followed by closing quotes or brackets), or after
        ``."`` / ``.'``, is dropped when the next sentence starts with a
        lowercase letter (``"Why?" she asked.``, ``Yahoo! said``).  Any
        failure inside Punkt makes the range a single sentence.
        """
        cuts = [start]
        try:
            prev_end = start
            for s, e in self._punkt.span_tokenize(norm[start:end]):
                pos = start + s
                if cuts[-1] < pos < end and not (
                    norm[pos].islower() and _quote_or_bang_end(norm, cuts[-1], prev_end)
                ):
                    cuts.append(pos)
                prev_end = max(prev_end, start + e)
        except Exception:  # nltk may raise on odd input; fall back
            return [start]
        return cuts

    def _punkt_block(self, norm: str, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Partition norm[start:end] into sentence ranges (not yet stripped).

        Blocks longer than ``_WINDOW`` are processed in windows: every
        sentence of a window but the last is kept and the next window starts
        at the last sentence, so Punkt sees each boundary with its context.
        A window advances by at least ``_MIN_ADVANCE`` characters, which
        keeps the total work linear.
        """
        pos = start
        while end - pos > _WINDOW:
            limit = pos + _WINDOW
            cut = limit
            floor = pos + _WINDOW // 2
            while cut > floor and not norm[cut - 1].isspace():
                cut -= 1
            if cut == floor:
                cut = limit
            cuts = self._punkt_cuts(norm, pos, cut)
            if len(cuts) >= 2 and cuts[-1] - pos >= _MIN_ADVANCE:
                keep, pos = cuts[:-1], cuts[-1]
                following = pos
            else:
                keep, pos = cuts, cut
                following = cut
            for i, s in enumerate(keep):
                yield s, keep[i + 1] if i + 1 < len(keep) else following
        cuts = self._punkt_cuts(norm, pos, end)
        for i, s in enumerate(cuts):
            yield s, cuts[i + 1] if i + 1 < len(cuts) else end


_default_segmenter: Optional[SentenceSegmenter] = None
_default_lock = threading.Lock()


def _get_default() -> SentenceSegmenter:
    global _default_segmenter
    seg = _default_segmenter
    if seg is None:
        with _default_lock:
            seg = _default_segmenter
            if seg is None:
                seg = SentenceSegmenter()
                _default_segmenter = seg
    return seg


def segment_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of `text` using the shared default segmenter.

    The default :class:`SentenceSegmenter` is created on first use (once,
    even under concurrent first calls) and cached.

    Parameters
    ----------
    text : str
        Text to segment.

    Returns
    -------
    list of tuple of (int, int)
        See :meth:`SentenceSegmenter.span_tokenize`.

    Raises
    ------
    TypeError
        If `text` is not a ``str``.
    """
    return _get_default().span_tokenize(text)
