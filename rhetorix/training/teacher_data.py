"""Training data of the accurate tier's model (the teacher): examples, folds, epochs, span tags.

Every training sentence becomes one :class:`Example` that carries whichever
labels its source provides (opinion, causal, attribution and, for PolNeAR, the
character spans of attribution sources and cues); a missing label is ``None``
and is masked out of the loss.  Sources (:func:`load_sources`):

* ``checkthat-train`` (opinion), ``mpqa`` (opinion), ``cnc`` (causal; ``uid`` is
  its ``index`` column), read with :mod:`rhetorix.training.corpora`;
* ``polnear-train`` (attribution and Source/Cue spans): re-read here to keep the
  offsets of the annotated spans, checked to give exactly the sentences and
  labels of :func:`~rhetorix.training.corpora.read_polnear`;
* ``own``: our sentences (:func:`~rhetorix.training.corpora.own_records`, the
  training groups only), all three labels;
* ``news``: our labels on real news, ``train`` split
  (:func:`~rhetorix.training.corpora.news_records`), all three labels.

Folds (:func:`assign_folds`) are grouped by document within each source; the
Causal News Corpus folds are exactly those of ``rhetorix evaluate``.  Span tags
(:func:`encode_tags`, :func:`decode_tags`) are word-level BIO tags on the first
sub-token of each word.

Needs no torch.  No corpus text is written anywhere by this module.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..text.segment import segment_spans
from . import corpora as C

__all__ = [
    "ATTRIBUTION_CLASSES",
    "TAGS",
    "IGNORE",
    "N_FOLDS",
    "SOURCES",
    "Span",
    "Example",
    "read_polnear_spans",
    "records_to_examples",
    "own_examples",
    "news_examples",
    "load_sources",
    "assign_folds",
    "subset",
    "epoch_sample",
    "fingerprint",
    "word_starts",
    "word_extents",
    "encode_tags",
    "decode_tags",
]

#: Order of the attribution head's outputs (that of :data:`rhetorix.tiers.base.ATTRIBUTION_LABELS`).
ATTRIBUTION_CLASSES: Tuple[str, ...] = ("named", "vague", "none")
#: Order of the token-tagging head's outputs (BIO over Source and Cue spans).
TAGS: Tuple[str, ...] = ("O", "B-SRC", "I-SRC", "B-CUE", "I-CUE")
#: Tag id of tokens left out of the tagging loss (special tokens, non-initial sub-tokens).
IGNORE = -100
#: Folds of the cross-validation (those of ``rhetorix evaluate`` on the Causal News Corpus).
N_FOLDS = 5
#: The training sources, in the order they are read and sampled.
SOURCES: Tuple[str, ...] = ("checkthat-train", "mpqa", "cnc", "polnear-train", "own", "news")

#: ``(start, end, kind)``: character offsets into :attr:`Example.text`, kind ``"SRC"`` or ``"CUE"``.
Span = Tuple[int, int, str]
_KIND_B = {"SRC": 1, "CUE": 3}  # index of B-<kind> in TAGS; I-<kind> is the next one


@dataclass(frozen=True)
class Example:
    """One sentence with the labels its source provides.

    Attributes
    ----------
    text : str
        The sentence (whitespace-normalised as by the corpus readers).
    source : str
        Source name (one of :data:`SOURCES`).
    group : str
        Document id, for grouped folds.
    uid : str
        Unique id within the source (the Causal News Corpus: its ``index`` column).
    opinion, causal : int or None
        Binary labels; None when the source does not label the task.
    attribution : str or None
        ``named``, ``vague`` or ``none``; None when not labelled.
    spans : tuple of Span or None
        Source/Cue character spans (PolNeAR only); None when not annotated.
    """

    text: str
    source: str
    group: str
    uid: str
    opinion: Optional[int] = None
    causal: Optional[int] = None
    attribution: Optional[str] = None
    spans: Optional[Tuple[Span, ...]] = None


# ------------------------------------------------------------------ PolNeAR
def _normalise_with_map(sent: str) -> Tuple[str, np.ndarray]:
    """``" ".join(sent.split())`` and, per original character, its index in the result (-1: dropped)."""
    pos = np.full(len(sent) + 1, -1, dtype=np.int64)
    out, n = [], 0
    for m in re.finditer(r"\S+", sent):
        if out:
            n += 1  # the joining space
        pos[m.start():m.end()] = np.arange(n, n + m.end() - m.start())
        out.append(m.group())
        n += m.end() - m.start()
    return " ".join(out), pos


def _map_span(pos: np.ndarray, a: int, b: int) -> Optional[Tuple[int, int]]:
    """Original sentence offsets ``[a, b)`` as normalised offsets, whitespace trimmed."""
    inside = np.flatnonzero(pos[a:b] >= 0)
    if len(inside) == 0:
        return None
    return int(pos[a + inside[0]]), int(pos[a + inside[-1]]) + 1


def read_polnear_spans(root: Path, split: str = "train", check: bool = True, annotator: int = 0) -> List[Example]:
    """PolNeAR sentences with attribution labels and Source/Cue spans.

    Sentences and labels are those of
    :func:`rhetorix.training.corpora.read_polnear` (first annotator per article,
    our segmenter, fragments under 4 words dropped).  A Source or Cue span is
    attached to a sentence when it starts inside it; one running past the
    sentence end is clipped.

    Parameters
    ----------
    root : Path
        The corpora folder.
    split : {"train", "dev"}
    check : bool, default=True
        Verify that the sentences, labels and groups equal those of
        :func:`~rhetorix.training.corpora.read_polnear` (for ``annotator=0``).
    annotator : int, default=0
        Which annotator of each article, in sorted order: 0 is the one
        :func:`~rhetorix.training.corpora.read_polnear` reads; with 1 or more,
        only the articles that many people annotated are read (to measure how
        far annotators agree).

    Raises
    ------
    ValueError
        If `check` finds a difference.
    """
    base = Path(root) / "polnear" / split
    text_dir, ann_dir = base / "text", base / "attributions"
    by_article: Dict[str, List[Path]] = {}
    for ann in sorted(ann_dir.glob("*.ann")):
        by_article.setdefault(ann.stem.rsplit("_", 1)[0], []).append(ann)
    first_ann = {stem: anns[annotator] for stem, anns in by_article.items() if len(anns) > annotator}
    rank = {"none": 0, "vague": 1, "named": 2}
    out: List[Example] = []
    for stem, ann in sorted(first_ann.items()):
        txt = text_dir / f"{stem}.txt"
        if not txt.exists():
            continue
        with open(txt, encoding="utf-8", newline="") as fh:
            text = fh.read()
        attributions, tagged = C.parse_ann(ann)
        for k, (s, e) in enumerate(segment_spans(text)):
            sent = text[s:e]
            if len(sent.split()) < 4:
                continue
            label = "none"
            for cs, _, src in attributions:
                if s <= cs < e:
                    t = C.polnear_source_type(src)
                    if rank[t] > rank[label]:
                        label = t
            norm, pos = _normalise_with_map(sent)
            spans = set()
            for a, b, kind in tagged:
                if s <= a < e:
                    m = _map_span(pos, a - s, min(b, e) - s)
                    if m is not None:
                        spans.add((m[0], m[1], kind))
            out.append(Example(norm, f"polnear-{split}", stem, f"{stem}#{k}", attribution=label,
                               spans=tuple(sorted(spans))))
    if check and annotator == 0:
        ref = C.read_polnear(root, split)
        mine = [(e.text, e.attribution, e.group) for e in out]
        if mine != [(r.text, r.label, r.group) for r in ref]:
            raise ValueError(f"PolNeAR {split}: the span reader disagrees with corpora.read_polnear "
                             f"({len(mine)} vs {len(ref)} sentences); keep the two readers in step")
    return out


# ------------------------------------------------------------------ sources
def records_to_examples(records: Sequence[C.Record], task: str, uids: Optional[Sequence[str]] = None,
                        source: Optional[str] = None) -> List[Example]:
    """One-task :class:`~rhetorix.training.corpora.Record` objects as examples.

    Parameters
    ----------
    records : sequence of Record
    task : {"opinion", "causal", "attribution"}
        The label the records carry.
    uids : sequence of str, optional
        Ids (default ``<source>#<i>``).
    source : str, optional
        Source name (default: the records' own).
    """
    out = []
    for i, r in enumerate(records):
        src = source or r.source
        uid = uids[i] if uids is not None else f"{src}#{i}"
        out.append(Example(r.text, src, r.group, uid, **{task: r.label}))
    return out


def _all_tasks(per_task: Dict[str, Sequence[C.Record]], source: str) -> List[Example]:
    """One example per sentence from three same-order record lists (one per task)."""
    op, ca, at = per_task["opinion"], per_task["causal"], per_task["attribution"]
    if not len(op) == len(ca) == len(at) or any(a.text != b.text or a.text != c.text for a, b, c in zip(op, ca, at)):
        raise ValueError(f"{source}: the per-task records are not the same sentences")
    return [Example(a.text, source, a.group, f"{source}#{i}", opinion=int(a.label), causal=int(b.label),
                    attribution=str(c.label)) for i, (a, b, c) in enumerate(zip(op, ca, at))]


def own_examples(path: Optional[Path] = None) -> List[Example]:
    """Our sentences of the training groups (never :data:`~rhetorix.training.corpora.OWN_HELD_OUT`).

    Parameters
    ----------
    path : Path, optional
        ``data/sentences.tsv`` (default: :func:`~rhetorix.training.corpora.own_data_path`).
    """
    return _all_tasks({t: C.own_records(t, path) for t in ("opinion", "causal", "attribution")}, "own")


def news_examples(root: Path) -> List[Example]:
    """Our labels on real news, ``train`` split, one example per sentence with all three labels."""
    return _all_tasks({t: C.news_records(root, t, "train") for t in ("opinion", "causal", "attribution")}, "news")


def load_sources(root: Path, include: Sequence[str] = SOURCES) -> Dict[str, List[Example]]:
    """Read the training sources, keyed by name, in :data:`SOURCES` order.

    Parameters
    ----------
    root : Path
        The corpora folder.
    include : sequence of str
        Names of the sources to read.
    """
    unknown = set(include) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown teacher sources {sorted(unknown)}; expected some of {list(SOURCES)}")
    root = Path(root)
    readers: Dict[str, Callable[[], List[Example]]] = {
        "checkthat-train": lambda: records_to_examples(C.read_checkthat(root, "train"), "opinion"),
        "mpqa": lambda: records_to_examples(C.read_mpqa(root), "opinion"),
        "cnc": lambda: _cnc_examples(root),
        "polnear-train": lambda: read_polnear_spans(root, "train"),
        "own": own_examples,
        "news": lambda: news_examples(root),
    }
    return {name: readers[name]() for name in SOURCES if name in include}


def _cnc_examples(root: Path) -> List[Example]:
    records, ids = C.read_cnc(root), C.cnc_ids(root)
    if len(records) != len(ids):
        raise ValueError("Causal News Corpus: read_cnc and cnc_ids disagree on the number of sentences")
    return records_to_examples(records, "causal", ids)


# -------------------------------------------------------------------- folds
def assign_folds(sources: Dict[str, List[Example]], n_folds: int = N_FOLDS) -> Dict[str, np.ndarray]:
    """Fold id (``0 .. n_folds-1``) of every example, grouped by document, per source.

    Each source gets its own unshuffled ``GroupKFold(n_folds)`` over its groups,
    so fold *k* holds out a grouped fifth of every source.  For ``cnc`` (in
    :func:`~rhetorix.training.corpora.read_cnc` order, grouped by
    ``Record.group``) these are exactly the folds of ``rhetorix evaluate``.  A
    ``news`` sentence whose text also occurs in another source takes that
    source's fold, so no fold model has seen a sentence it is scored on.

    Raises
    ------
    ValueError
        If a source has fewer groups than folds.
    """
    from sklearn.model_selection import GroupKFold

    folds: Dict[str, np.ndarray] = {}
    for name, exs in sources.items():
        groups = np.asarray([e.group for e in exs])
        if len(set(groups.tolist())) < n_folds:
            raise ValueError(f"source {name!r} has {len(set(groups.tolist()))} groups, fewer than {n_folds} folds")
        f = np.full(len(exs), -1, dtype=np.int64)
        for k, (_, te) in enumerate(GroupKFold(n_splits=n_folds).split(np.arange(len(exs)), groups=groups)):
            f[te] = k
        folds[name] = f
    if "news" in sources:
        fold_of_text = {e.text: int(folds[n][i]) for n, exs in sources.items() if n != "news"
                        for i, e in enumerate(exs)}
        for i, e in enumerate(sources["news"]):
            if e.text in fold_of_text:
                folds["news"][i] = fold_of_text[e.text]
    return folds


def subset(sources: Dict[str, List[Example]], folds: Dict[str, np.ndarray],
           keep: Callable[[np.ndarray], np.ndarray]) -> Dict[str, List[Example]]:
    """Per source, the examples whose fold id passes ``keep(fold_ids) -> bool mask``."""
    return {k: [e for e, m in zip(v, keep(folds[k])) if m] for k, v in sources.items()}


def epoch_sample(sources: Dict[str, List[Example]], per_epoch: Dict[str, float],
                 rng: np.random.Generator) -> List[Example]:
    """The examples of one epoch, shuffled.

    ``per_epoch[source]`` up to 10 is a multiplier (2.0: every example twice;
    0.5: a random half); above 10 it is a count drawn without replacement (the
    whole source repeated first if it is smaller).  A source missing from
    `per_epoch` counts once; 0 leaves it out.  A fresh draw every epoch lets
    the large sources (MPQA, PolNeAR) contribute many distinct sentences over a
    run without slowing each epoch.
    """
    out: List[Example] = []
    for name, exs in sources.items():
        v = float(per_epoch.get(name, 1.0))
        if v <= 0 or not exs:
            continue
        n = int(round(v * len(exs))) if v <= 10 else int(v)
        whole, rest = divmod(n, len(exs))
        idx = list(np.tile(np.arange(len(exs)), whole))
        if rest:
            idx += list(rng.choice(len(exs), size=rest, replace=False))
        out.extend(exs[i] for i in idx)
    order = rng.permutation(len(out))
    return [out[i] for i in order]


def fingerprint(sources: Dict[str, List[Example]]) -> str:
    """sha256 over every example (text, labels, spans): tells whether training data changed."""
    h = hashlib.sha256()
    for name, exs in sources.items():
        for e in exs:
            h.update(repr((name, e.uid, e.group, e.text, e.opinion, e.causal, e.attribution, e.spans)).encode(
                "utf-8", "surrogatepass"))
    return h.hexdigest()


# --------------------------------------------------------------------- tags
def word_starts(special: Sequence[int], words: Sequence[Optional[int]]) -> List[bool]:
    """True for the first sub-token of each word (pre-tokenizer word), False elsewhere."""
    out, prev = [], None
    for sp, w in zip(special, words):
        out.append((not sp) and w is not None and w != prev)
        if not sp:
            prev = w
    return out


def word_extents(offsets: Sequence[Tuple[int, int]], special: Sequence[int],
                 words: Sequence[Optional[int]]) -> List[Tuple[int, int, int]]:
    """``(first token index, char start, char end)`` of every word of a tokenised sentence."""
    ext: List[List[int]] = []
    prev = None
    for i, ((s, e), sp, w) in enumerate(zip(offsets, special, words)):
        if sp or w is None:
            continue
        if w != prev:
            ext.append([i, s, e])
            prev = w
        else:
            ext[-1][2] = e
    return [(a, b, c) for a, b, c in ext]


def encode_tags(offsets: Sequence[Tuple[int, int]], special: Sequence[int], spans: Sequence[Span],
                words: Sequence[Optional[int]]) -> List[int]:
    """Word-level tag ids (indices into :data:`TAGS`) on the first sub-token of each word.

    Parameters
    ----------
    offsets : sequence of (start, end)
        Character offsets of every token (the tokenizer's offset mapping).
    special : sequence of int
        1 for special tokens ([CLS], [SEP]).
    spans : sequence of Span
        Gold spans.
    words : sequence of int or None
        Word index of every token (``Encoding.word_ids``).

    Returns
    -------
    list of int
        A word overlapping a span is tagged with its kind, B- on the span's
        first word and I- on later ones, otherwise O; special tokens and
        non-initial sub-tokens get :data:`IGNORE`.  Where spans of both kinds
        overlap a word the later span in `spans` order wins (rare in PolNeAR).
    """
    tags = [IGNORE] * len(offsets)
    ext = word_extents(offsets, special, words)
    for i, _, _ in ext:
        tags[i] = 0
    for a, b, kind in spans:
        first = True
        for i, s, e in ext:
            if e <= a or s >= b:
                continue
            tags[i] = _KIND_B[kind] + (0 if first else 1)
            first = False
    return tags


def decode_tags(tag_logits: np.ndarray, offsets: Sequence[Tuple[int, int]], special: Sequence[int],
                words: Sequence[Optional[int]], fill_gaps: bool = True) -> List[Span]:
    """Character spans (whole words) from the tag logits of each word's first sub-token.

    A word's kind is the argmax of P(O), P(B-SRC)+P(I-SRC) and
    P(B-CUE)+P(I-CUE); consecutive words of one kind form one span (B/I do not
    split spans: that fixed most fragmented spans in the research runs); with
    `fill_gaps`, a single O word between two words of the same kind joins them.

    Parameters
    ----------
    tag_logits : ndarray of shape (n_tokens, 5)
        The ``tags`` output for the sentence's tokens.
    offsets, special, words
        As in :func:`encode_tags`.
    fill_gaps : bool, default=True
        Fill single-word gaps.
    """
    z = np.asarray(tag_logits, dtype=np.float64)
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    p = z / z.sum(axis=-1, keepdims=True)
    kinds = np.stack([p[:, 0], p[:, 1] + p[:, 2], p[:, 3] + p[:, 4]], axis=1).argmax(axis=1)
    ext = word_extents(offsets, special, words)
    lab = [int(kinds[i]) for i, _, _ in ext]
    if fill_gaps:
        for j in range(1, len(lab) - 1):
            if lab[j] == 0 and lab[j - 1] and lab[j - 1] == lab[j + 1]:
                lab[j] = lab[j - 1]
    out: List[Span] = []
    cur: Optional[List] = None  # [start, end, kind]
    for k, (_, s, e) in zip(lab, ext):
        kind = ("SRC", "CUE")[k - 1] if k else None
        if cur and kind == cur[2]:
            cur[1] = e
            continue
        if cur:
            out.append((cur[0], cur[1], cur[2]))
        cur = [s, e, kind] if kind else None
    if cur:
        out.append((cur[0], cur[1], cur[2]))
    return out
