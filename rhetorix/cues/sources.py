"""Rules about sources: capitalised runs next to attribution cues, a source's kind, its edges.

* :func:`named_source_runs` finds runs of capitalised words next to an
  attribution cue ("according to the World Bank", "Lavrov said") by a small
  rule over token flags.  The fast tier's heads count them as a feature (they
  were trained with it); the sources a user sees come from the learned span
  finders (:mod:`rhetorix.cues.tagger`, the accurate tier's tagger graph).
  The flags of a token (:func:`is_name_token`, :data:`NAME_JOINERS`,
  :data:`CLAUSE_OPENERS`) are functions of the token alone, so the cue finder
  computes them once per distinct token.
* :func:`source_kind` says whether a source span is named or vague.
* :func:`trim_source` drops words that never begin or end a source.
"""

from __future__ import annotations

import bisect
import functools
import re
from importlib import resources
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from ..text.tokens import straight

__all__ = [
    "CLAUSE_OPENERS", "NAME_JOINERS", "is_name_token", "named_source_runs", "source_kind", "source_kind_in",
    "trim_source",
]

#: A clause opens after a token ending in one of these characters.
CLAUSE_OPENERS = frozenset('.!?:;"\'\u201c\u2018(-\u2013\u2014')

# Capitalised words that start sentences or clauses but do not name anyone.
_NOT_NAMES = frozenset(
    """a an the this that these those it its he she they we i you his her their our my your
    but and or so if when while after before as at in on of for by with from to into over
    many some most several other others all both each every no not yet also however meanwhile
    yesterday today tomorrow tonight last next earlier later now then there here
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december mr mrs ms dr prof
    according said says asked what why how who which where one two three""".split()
)
#: Tokens that can join two words of a name ("Bank of England", "al-Assad").
NAME_JOINERS = frozenset({"of", "for", "the", "and", "&", "-", "'s", "de", "al", "bin", "von", "van", "."})
_BEFORE_WINDOW = 8
_AFTER_WINDOW = 4


def is_name_token(token: str) -> bool:
    """Can this token (as written) be a word of a name: Capitalised, a letter first, not a
    function word or a date word?"""
    first = token[:1]
    return first.isupper() and first.isalpha() and straight(token).lower() not in _NOT_NAMES


def _name_runs(
    is_name: Sequence[bool], joiner: Sequence[bool], lo: int = 0, hi: Optional[int] = None
) -> List[Tuple[int, int]]:
    """Maximal runs of name tokens (token index ranges), joiners allowed inside.

    Only runs starting in ``[lo, hi)`` are returned; `lo` is first moved left
    to a token that no run can continue through, so those runs are the same
    as in a scan of the whole sentence.
    """
    runs = []
    n = len(is_name)
    hi = n if hi is None else min(hi, n)
    i = max(0, lo)
    while i > 0 and (is_name[i - 1] or joiner[i - 1]):
        i -= 1
    while i < hi:
        if is_name[i]:
            j = i + 1
            while j < n:
                if is_name[j]:
                    j += 1
                elif j + 1 < n and is_name[j + 1] and joiner[j]:
                    j += 2
                else:
                    break
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def named_source_runs(
    attribution: Sequence[Tuple[int, int, str]],
    others: Sequence[Tuple[int, int]],
    is_name: Sequence[bool],
    joiner: Sequence[bool],
    opens_clause: Sequence[bool],
) -> List[Tuple[int, int]]:
    """Named sources of one sentence: runs of capitalised words next to an attribution cue.

    "according to X" looks after the cue.  Reporting verbs take, in order: a
    run right before the cue ("Lavrov said"), a run starting within two tokens
    after it ("said Lavrov", "said the Kremlin"), or the nearest run up to eight
    tokens before it ("the World Bank, in a report, said") unless that run is
    one clause-initial word ("Prices rose, officials said").  Runs that overlap
    another cue (a vague source, "Clearly") are skipped.

    Parameters
    ----------
    attribution : sequence of (start, end, first word)
        The attribution cues, as token index ranges in order, with their first
        token lowercased.
    others : sequence of (start, end)
        Token ranges of the other cues.
    is_name, joiner, opens_clause : sequence of bool
        Per token: can be a word of a name (:func:`is_name_token`); can join
        two name words ("of", "al", "-"); a clause opens after it.

    Returns
    -------
    list of (start, end)
        Token index ranges, without repeats, in the order found.
    """
    if not attribution:
        return []
    # only runs near an attribution cue can be chosen
    lo = attribution[0][0] - _BEFORE_WINDOW - 1
    hi = attribution[-1][1] + _AFTER_WINDOW + 1
    runs = _name_runs(is_name, joiner, lo, hi)
    if not runs:
        return []
    covered = bytearray(len(is_name) + 1)  # tokens of another cue cannot be names
    for a, b in others:
        covered[a:b] = b"\x01" * (b - a)

    def usable(run) -> bool:
        return not any(covered[run[0]:run[1]])

    def clause_initial_word(run) -> bool:
        i = run[0]
        return run[1] - i == 1 and (i == 0 or opens_clause[i - 1])

    run_ends = [r[1] for r in runs]
    run_starts = [r[0] for r in runs]
    found: Dict[Tuple[int, int], None] = {}
    for a, b, first in attribution:
        k_before = bisect.bisect_right(run_ends, a) - 1  # last run ending at or before the cue
        before = runs[k_before] if k_before >= 0 and a - runs[k_before][1] <= _BEFORE_WINDOW else None
        k_after = bisect.bisect_left(run_starts, b)  # first run starting after the cue
        after = runs[k_after] if k_after < len(runs) and runs[k_after][0] - b <= _AFTER_WINDOW else None
        if first in ("according", "as"):
            candidates = [after]
        else:
            candidates = [
                before if before and a - before[1] <= 1 else None,
                after if after and after[0] - b <= 2 else None,
                before if before and not clause_initial_word(before) else None,
            ]
        chosen = next((r for r in candidates if r is not None and usable(r)), None)
        if chosen is not None:
            found[chosen] = None
    return list(found)


_FIRST_SECOND = frozenset("i me my we us our you your myself ourselves yourself yourselves".split())
_SPECIFIC_PRONOUNS = frozenset("he she him his her himself herself".split())
_GENERIC_CAPS = frozenset(
    """the a an some many most several few other others officials official experts expert analysts
    analyst sources source critics critic observers observer people reports report media diplomats
    insiders aides aide advisers advisors one it they them this that these those both all""".split()
)
# more groups the guide calls vague ("traders say", "residents said"); not in the rule that
# labelled PolNeAR for training (``extended=False``), so those labels stay as they were
_GENERIC_MORE = frozenset(
    """traders trader economists economist investors investor residents resident witnesses witness
    scientists scientist researchers researcher doctors doctor farmers farmer protesters protester
    activists activist lawmakers lawmaker authorities police campaigners campaigner workers worker
    employees employee voters voter users user commentators commentator journalists journalist
    everyone everybody someone somebody anyone nobody not no""".split()
)
_WORD = re.compile(r"[A-Za-z][\w'\u2019.-]*")


def _word_list(name: str) -> FrozenSet[str]:
    text = resources.files("rhetorix.text.resources").joinpath(name).read_text(encoding="utf-8")
    return frozenset(w for w in text.split("\n") if w and not w.startswith("#"))


@functools.lru_cache(maxsize=1)
def common_words() -> FrozenSet[str]:
    """Words news prints in lower case (``rhetorix/text/resources/common_words.txt``, made by
    tools/common_words.py from the distillation pool)."""
    return _word_list("common_words.txt")


@functools.lru_cache(maxsize=1)
def name_words() -> FrozenSet[str]:
    """Common words that news prints capitalised more often than not: names ("trump", "bush",
    "congress"; ``rhetorix/text/resources/name_words.txt``, made by tools/common_words.py)."""
    return _word_list("name_words.txt")


_DEMONYM_ENDINGS = ("an", "ese", "ish", "i", "ch")


@functools.lru_cache(maxsize=8192)  # news repeats its sources ("he", "officials", "the ministry")
def source_kind(source: str, extended: bool = True, sentence_initial: bool = False) -> Optional[str]:
    """``named``, ``vague`` or None (the writer's own voice) for the text of a source span.

    * first or second person only ("I", "we", "you") -> None;
    * he/she (a specific individual, named nearby) -> ``named``;
    * a capitalised word that is not a generic noun ("Officials", "Experts")
      -> ``named`` (a person or organisation a reader can check);
    * otherwise ("officials", "they", "a senior aide", "many experts") -> ``vague``.

    With `extended` (the default), a capitalised word does not make a source
    named when it is one more generic group ("Traders", "Residents"), when it
    opens the sentence (`sentence_initial`) and is common in lower case
    ("Currency traders", "Western diplomats", but "Merkel"), when it is a
    nationality before a lower-case noun ("Some African economists"), or when
    it follows "in" ("Economists in Budapest": a place, not who says so).
    A source of one word that news capitalises more often than not stays
    named where it opens the sentence ("Trump said ...", "Congress voted ...").
    ``extended=False`` is the rule that made PolNeAR's training labels
    (:func:`rhetorix.training.corpora.polnear_source_type`).
    """
    words = _WORD.findall(source)
    lower = [w.lower() for w in words]
    if lower and all(w in _FIRST_SECOND for w in lower):
        return None
    if len(lower) == 1 and lower[0] in _SPECIFIC_PRONOUNS:
        return "named"
    first_word = bool(sentence_initial)
    for k, w in enumerate(words):
        key = w.lower().strip(".")
        opens = first_word and k == 0
        if not w[0].isupper() or key in _GENERIC_CAPS or w.lower() in _FIRST_SECOND:
            continue
        common = opens and key in common_words() and not (len(words) == 1 and key in name_words())
        if extended and (key in _GENERIC_MORE or common or (
                key.endswith(_DEMONYM_ENDINGS) and k + 1 < len(words) and words[k + 1][0].islower())
                or (k > 0 and lower[k - 1] == "in")):  # "officials in Brussels": a place, not who
            continue
        return "named"
    return "vague"


_LETTER = re.compile(r"\w")


def source_kind_in(sentence: str, start: int, end: int) -> Optional[str]:
    """:func:`source_kind` of ``sentence[start:end]``, told whether the span opens the sentence
    (nothing but spaces and punctuation before it)."""
    return source_kind(sentence[start:end], sentence_initial=not _LETTER.search(sentence, 0, start))


_TIME_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december yesterday today tonight week month year weekend morning
    afternoon evening night""".split()
)
# never the first word of a source ("according to | recent reports", "said by | ...")
_LEAD_TRIM = frozenset("to by from and but or that as of".split())
# never the last word of a source ("Okafor, meanwhile, says"; "Marsh in July criticized")
_TAIL_TRIM = frozenset(
    """meanwhile however though also too then now instead still earlier later recently again
    in on at last this next""".split()
) | _TIME_WORDS


def _is_punct(token: str) -> bool:
    return not (token[:1].isalnum() or token[:1] == "_")


def trim_source(tokens: Sequence[str], first: int, last: int) -> Tuple[int, int]:
    """Token range of a source without punctuation, discourse adverbs and time phrases at its edges,
    and with any name it cuts completed.

    A tagger may run a source on into "Okafor, meanwhile," or "Marsh in July",
    or stop inside a name ("the World" of "the World Bank"); the reader needs
    "Okafor", "Marsh" and "the World Bank".  Returns ``(first, last)``
    (``first > last`` when nothing is left).
    """
    a, b = first, last
    while a <= b and (_is_punct(tokens[a]) or straight(tokens[a]).lower() in _LEAD_TRIM):
        a += 1
    while b >= a and (_is_punct(tokens[b]) or straight(tokens[b]).lower() in _TAIL_TRIM or tokens[b].isdigit()):
        b -= 1
    if a <= b:  # a source never cuts a name in two: "the World | Bank" -> "the World Bank"
        while b + 1 < len(tokens) and is_name_token(tokens[b]) and is_name_token(tokens[b + 1]):
            b += 1
        while a > 0 and is_name_token(tokens[a]) and is_name_token(tokens[a - 1]):
            a -= 1
    return a, b
