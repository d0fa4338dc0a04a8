"""Readers for the public labelled corpora and for our own labelled sentences.

Each reader returns a list of :class:`Record` (text, label, group, source).  The
corpora are never copied into the repository; they are read from a folder given
at run time: the ``corpora`` argument, else the ``RHETORIX_CORPORA`` environment
variable, else ``../shared/corpora`` relative to the working directory or to the
repository that holds this package.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from ..cues.sources import source_kind

__all__ = [
    "Record",
    "parse_ann",
    "find_corpora",
    "read_checkthat",
    "read_mpqa",
    "read_claimbuster",
    "read_cnc",
    "cnc_ids",
    "read_yu2019",
    "read_polnear",
    "read_own",
    "own_records",
    "read_news_labels",
    "news_records",
    "polnear_source_type",
    "own_data_path",
    "OWN_HELD_OUT",
]

#: Topic groups of data/sentences.tsv never trained on: our own held-back evaluation set.
OWN_HELD_OUT = frozenset(f"d{n}" for n in (46, 49, 52, 55, 58, 61, 64, 67, 70, 73))

PathLike = Union[str, os.PathLike]
# the repository checkout when this package is used from one (rhetorix/training/corpora.py)
_CHECKOUT = Path(__file__).resolve().parents[2]


def own_data_path() -> Path:
    """Our labelled sentences: ``data/sentences.tsv`` in the working directory, else in the checkout."""
    for base in (Path.cwd(), _CHECKOUT):
        p = base / "data" / "sentences.tsv"
        if p.is_file():
            return p
    raise FileNotFoundError(
        "data/sentences.tsv not found: run from the rhetorix repository root (training needs it)"
    )


@dataclass(frozen=True)
class Record:
    """One labelled sentence.

    Attributes
    ----------
    text : str
        The sentence.
    label : int or str
        1/0 for opinion and causal; ``"named"``, ``"vague"`` or ``"none"`` for attribution.
    group : str
        Document id, for grouped cross-validation.
    source : str
        Short corpus name.
    """

    text: str
    label: Union[int, str]
    group: str
    source: str


def find_corpora(corpora: Optional[PathLike] = None) -> Optional[Path]:
    """Return the corpora folder, or None when it cannot be found.

    Parameters
    ----------
    corpora : path-like, optional
        Explicit folder.  When given it must exist.
    """
    if corpora is not None:
        p = Path(corpora)
        if not p.is_dir():
            raise FileNotFoundError(f"corpora folder not found: {p}")
        return p
    env = os.environ.get("RHETORIX_CORPORA")
    if env:
        p = Path(env)
        if not p.is_dir():
            raise FileNotFoundError(f"RHETORIX_CORPORA points to a missing folder: {p}")
        return p
    for base in (Path.cwd(), _CHECKOUT):
        p = base.parent / "shared" / "corpora"
        if p.is_dir():
            return p
    return None


def _need(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"corpus file not found: {path}")
    return path


# ------------------------------------------------------------------ opinion
def read_checkthat(root: PathLike, split: str = "train") -> List[Record]:
    """CheckThat! 2025 subjectivity, English; label 1 = SUBJ, 0 = OBJ."""
    if split not in ("train", "dev"):
        raise ValueError(f"split must be 'train' or 'dev', got {split!r}")
    path = _need(Path(root) / "checkthat-subjectivity-en" / f"{split}_en.tsv")
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            label = {"SUBJ": 1, "OBJ": 0}[row["label"].strip()]
            out.append(Record(row["sentence"].strip(), label, row["sentence_id"], f"checkthat-{split}"))
    return out


def read_mpqa(root: PathLike) -> List[Record]:
    """MPQA 1.2 sentences; label 1 = SUBJ, 0 = OBJ; group = document."""
    path = _need(Path(root) / "mpqa-1.2-sentences" / "mpqa12_sentences_subjectivity.tsv")
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            text = " ".join(row["sentence"].split())
            if text:
                out.append(Record(text, int(row["label"] == "SUBJ"), row["doc"], "mpqa"))
    return out


def read_claimbuster(root: PathLike) -> List[Record]:
    """ClaimBuster debate sentences; label 1 = non-factual (NFS), 0 = factual (UFS/CFS)."""
    path = _need(Path(root) / "claimbuster" / "three_class_deprecated" / "data_small.json")
    with open(path, encoding="utf-8") as fh:
        rows = json.load(fh)
    return [
        Record(r["text"].strip(), int(str(r["label"]) == "-1"), f"cb-{r['sentence_id']}", "claimbuster")
        for r in rows
        if r.get("text", "").strip()
    ]


# ------------------------------------------------------------------- causal
def read_cnc(root: PathLike) -> List[Record]:
    """Causal News Corpus subtask 1; label 1 = causal; group = document."""
    path = _need(Path(root) / "causal-news-corpus" / "train_subtask1.csv")
    out = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            group = row["index"].rsplit("_", 1)[0]
            out.append(Record(row["text"].strip(), int(row["label"]), group, "cnc"))
    return out


def cnc_ids(root: PathLike) -> List[str]:
    """The ``index`` of every Causal News Corpus sentence, in the order of :func:`read_cnc`."""
    path = _need(Path(root) / "causal-news-corpus" / "train_subtask1.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [row["index"] for row in csv.DictReader(fh)]


def read_yu2019(root: PathLike) -> List[Record]:
    """Yu et al. 2019 PubMed findings; 1 = direct or conditional causal, 0 = correlational or none."""
    path = _need(Path(root) / "yu2019-causal-language-pubmed" / "pubmed_causal_language_use.csv")
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            out.append(Record(row["sentence"].strip(), int(row["label"] in ("1", "2")), f"yu-{i}", "yu2019"))
    return out


# -------------------------------------------------------------- attribution
def polnear_source_type(source: Optional[str]) -> str:
    """Map a PolNeAR source span to ``named``, ``vague`` or ``none`` (the documented rule).

    * no source span (e.g. "it is believed") -> ``vague``;
    * otherwise :func:`rhetorix.cues.sources.source_kind` as it was when the
      training labels were made (``extended=False``), with first or second
      person only ("I", "we", "you") -> ``none`` (the writer's own voice).
    """
    if source is None or not source.strip():
        return "vague"
    return source_kind(source, extended=False) or "none"


def parse_ann(path: Path) -> Tuple[List[Tuple[int, int, Optional[str]]], List[Tuple[int, int, str]]]:
    """Attributions and their Cue/Source spans in one PolNeAR brat standoff file.

    Returns
    -------
    attributions : list of (cue start, cue end, source text or None)
        One per ``E`` (attribution) line with a cue.
    spans : list of (start, end, kind)
        The ``CUE`` and ``SRC`` spans that take part in an attribution, sorted;
        discontinuous spans ("Cue 10 15;20 25") are reduced to their outer bounds.
    """
    spans: Dict[str, Tuple[str, int, int, str]] = {}
    events = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if not parts or not parts[0]:
                continue
            if parts[0].startswith("T") and len(parts) >= 3:
                head = parts[1].split(" ")
                nums = [int(x) for x in re.findall(r"\d+", " ".join(head[1:]))]
                if nums:
                    spans[parts[0]] = (head[0], min(nums), max(nums), parts[2])
            elif parts[0].startswith("E") and len(parts) >= 2:
                events.append(dict(a.split(":", 1) for a in parts[1].split(" ") if ":" in a))
    attributions, tagged = [], set()
    for ev in events:
        cue = spans.get(ev.get("Cue", ""))
        if cue is None:
            continue
        src = spans.get(ev.get("Source", ""))
        attributions.append((cue[1], cue[2], src[3] if src else None))
        tagged.add((cue[1], cue[2], "CUE"))
        if src is not None:
            tagged.add((src[1], src[2], "SRC"))
    return attributions, sorted(tagged)


def read_polnear(root: PathLike, split: str = "train") -> List[Record]:
    """PolNeAR sentences with attribution labels derived by :func:`polnear_source_type`.

    Articles are split with our segmenter.  A sentence is attributed when an
    attribution cue of the first annotator (sorted by annotator id) of its article
    lies in it; its label is ``named`` if any such attribution has a named source,
    else ``vague`` if any has a vague source, else ``none``.  Headline-like
    fragments of fewer than 4 words are dropped.
    """
    from ..text.segment import segment_spans

    if split not in ("train", "dev"):
        raise ValueError(f"split must be 'train' or 'dev', got {split!r}")
    base = Path(root) / "polnear" / split
    text_dir, ann_dir = _need(base / "text"), _need(base / "attributions")
    first_ann: Dict[str, Path] = {}
    for ann in sorted(ann_dir.glob("*.ann")):
        stem = ann.stem.rsplit("_", 1)[0]
        first_ann.setdefault(stem, ann)
    out = []
    rank = {"none": 0, "vague": 1, "named": 2}
    for stem, ann in sorted(first_ann.items()):
        txt = text_dir / f"{stem}.txt"
        if not txt.exists():
            continue
        with open(txt, encoding="utf-8", newline="") as fh:
            text = fh.read()
        attributions, _ = parse_ann(ann)
        for s, e in segment_spans(text):
            sent = text[s:e]
            if len(sent.split()) < 4:
                continue
            label = "none"
            for cs, _, src in attributions:
                if s <= cs < e:
                    t = polnear_source_type(src)
                    if rank[t] > rank[label]:
                        label = t
            out.append(Record(" ".join(sent.split()), label, stem, f"polnear-{split}"))
    return out


# --------------------------------------------------------------- our own data
def read_own(path: Optional[PathLike] = None) -> List[Dict[str, object]]:
    """Our labelled sentences (``data/sentences.tsv``) as dicts with all four columns."""
    path = _need(Path(path)) if path else own_data_path()
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows.append(
                {
                    "id": row["id"],
                    "doc": row["doc"],
                    "text": row["text"].strip(),
                    "opinion": int(row["opinion"]),
                    "causal": int(row["causal"]),
                    "attribution": row["attribution"].strip(),
                }
            )
    return rows


def own_records(task: str, path: Optional[PathLike] = None, held_out: bool = False) -> List[Record]:
    """Our sentences as :class:`Record` for one task (``opinion``, ``causal``, ``attribution``).

    Parameters
    ----------
    task : str
    path : path-like, optional
        Default: :func:`own_data_path`.
    held_out : bool, default=False
        False: the training sentences (every group but :data:`OWN_HELD_OUT`);
        True: the held-back ones (source ``own-held-out``).
    """
    return [
        Record(r["text"], r[task], f"own-{r['doc']}", "own-held-out" if held_out else "own")
        for r in read_own(path)
        if (r["doc"] in OWN_HELD_OUT) == held_out
    ]


# --------------------------------------------------- our labels on real news
def news_labels_path() -> Path:
    """``data/news_labels.tsv`` beside :func:`own_data_path`."""
    return own_data_path().parent / "news_labels.tsv"


def _corpus_text(root: Path, corpus: str, file: str, cache: Dict[Tuple[str, str], List[Dict[str, str]]]) -> str:
    """The text a news_labels row indexes: a whole file, or one row of a CSV (``name#row``)."""
    name, _, row = file.partition("#")
    if not row:
        with open(_need(root / corpus / name), encoding="utf-8", newline="") as fh:
            return fh.read()
    if (corpus, name) not in cache:
        csv.field_size_limit(2**31 - 1)
        with open(_need(root / corpus / name), encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        cache[(corpus, name)] = rows
    rows = cache[(corpus, name)]
    if corpus == "causal-news-corpus":
        return next(r["text"] for r in rows if r["index"] == row)
    return rows[int(row)]["text"]


def read_news_labels(
    root: PathLike, split: Optional[str] = None, path: Optional[PathLike] = None
) -> List[Dict[str, object]]:
    """Our labels on real news sentences (``data/news_labels.tsv``), with their text from the corpora.

    Parameters
    ----------
    root : path-like
        The corpora folder.
    split : {"train", "test"}, optional
        Only that split.
    path : path-like, optional
        The labels file (default: :func:`news_labels_path`).

    Returns
    -------
    list of dict
        ``text``, ``corpus``, ``file``, ``start``, ``end``, ``split``, ``group`` (the
        article, or the CNC document), ``opinion``, ``causal``, ``attribution``, ``agreed``.

    Raises
    ------
    ValueError
        If a sentence's text does not match the sha1 recorded with its label
        (the corpus differs from the one labelled).
    """
    import hashlib

    path = Path(path) if path else news_labels_path()
    root = Path(root)
    cache: Dict[Tuple[str, str], List[Dict[str, str]]] = {}
    texts: Dict[Tuple[str, str], str] = {}
    out = []
    with open(_need(path), encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if split is not None and row["split"] != split:
                continue
            key = (row["corpus"], row["file"])
            if key not in texts:
                texts[key] = _corpus_text(root, row["corpus"], row["file"], cache)
            start, end = int(row["start"]), int(row["end"])
            text = texts[key][start:end]
            if hashlib.sha1(text.encode("utf-8")).hexdigest()[:12] != row["sha1"]:
                raise ValueError(f"{path}: {row['corpus']}/{row['file']} [{start}:{end}] no longer matches "
                                 "its label (sha1); the corpus differs from the one labelled")
            group = row["file"].rsplit("_", 1)[0] if row["corpus"] == "causal-news-corpus" else row["file"]
            out.append({
                "text": text, "corpus": row["corpus"], "file": row["file"], "start": start, "end": end,
                "split": row["split"], "group": f"{row['corpus']}:{group}", "opinion": int(row["opinion"]),
                "causal": int(row["causal"]), "attribution": row["attribution"], "agreed": row["agreed"] == "1",
            })
    return out


def news_records(root: PathLike, task: str, split: str = "train") -> List[Record]:
    """:func:`read_news_labels` of one split as :class:`Record` for one task (source ``news-<split>``).

    The Causal News Corpus sentences (all ``test``) are left out: they measure the
    distance between CNC's labels and ours, and CNC is a training corpus itself.
    """
    return [
        Record(" ".join(r["text"].split()), r[task], r["group"], f"news-{split}")
        for r in read_news_labels(root, split)
        if r["corpus"] != "causal-news-corpus"
    ]
