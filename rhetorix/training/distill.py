"""Distillation: the teacher's probabilities on a pool of unlabelled news sentences.

The accurate tier's model (the teacher) labels about 100,000 sentences of the
shared corpora; the fast tier is trained on the gold labels plus these soft
labels.  The probabilities are kept in the repository (``models/teacher_labels.npz``)
keyed by corpus, file and character offsets, with a CRC-32 of each sentence
to notice a changed corpus, never the text; so ``rhetorix train`` rebuilds the
fast model without torch or the teacher.

The pool: every sentence (of at least 4 words, by our segmenter) of the BBC
news articles, the SemEval-2020 PTC training articles and the PolNeAR train
articles, and the MPQA sentences.  Left out: the articles of the ``test`` split
of ``data/news_labels.tsv`` (held-out evaluation), PolNeAR dev and CheckThat!
(evaluation sets), and the Causal News Corpus (its grouped cross-validation
would otherwise see soft labels of its own test folds).
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from ..text.segment import segment_spans
from . import corpora as C

__all__ = ["PoolSentence", "pool_sentences", "TeacherLabels", "crc", "teacher_labels_path", "teacher_probabilities",
           "recalibrate", "label_pool"]

MIN_WORDS = 4


@dataclass(frozen=True)
class PoolSentence:
    """One sentence of the distillation pool: where it is, and its text."""

    corpus: str
    file: str
    start: int
    end: int
    text: str


def teacher_labels_path() -> Path:
    """``models/teacher_labels.npz`` of the checkout that holds ``data/sentences.tsv``."""
    return C.own_data_path().parent.parent / "models" / "teacher_labels.npz"


def crc(text: str) -> int:
    """CRC-32 of a sentence's UTF-8 bytes (detects a changed corpus; not a secure hash)."""
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def _spans(corpus: str, file: str, text: str) -> Iterator[PoolSentence]:
    for s, e in segment_spans(text):
        if len(text[s:e].split()) >= MIN_WORDS:
            yield PoolSentence(corpus, file, s, e, text[s:e])


def pool_sentences(root, limit: Optional[int] = None) -> List[PoolSentence]:
    """The distillation pool (see the module docstring), in a fixed order.

    Parameters
    ----------
    root : path-like
        The corpora folder.
    limit : int, optional
        Stop after this many sentences (for quick runs).
    """
    root = Path(root)
    held_out = {(r["corpus"], r["file"]) for r in C.read_news_labels(root, "test")}
    out: List[PoolSentence] = []
    csv.field_size_limit(2**31 - 1)
    for split in ("train", "val", "test"):  # the BBC release's topic splits: all unlabelled for us
        name = f"{split}.csv"
        with open(root / "bbc-news-2004-2005" / name, encoding="utf-8", newline="") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                file = f"{name}#{i}"
                if ("bbc-news-2004-2005", file) not in held_out:
                    out.extend(_spans("bbc-news-2004-2005", file, row["text"]))
    for corpus, folder in (("semeval2020-ptc", "train-articles"), ("polnear", "train/text")):
        for p in sorted((root / corpus / folder).glob("*.txt")):
            file = f"{folder}/{p.name}"
            if (corpus, file) not in held_out:
                with open(p, encoding="utf-8", newline="") as fh:
                    out.extend(_spans(corpus, file, fh.read()))
    name = "mpqa12_sentences_subjectivity.tsv"
    with open(root / "mpqa-1.2-sentences" / name, encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)):
            text = row["sentence"]
            if len(text.split()) >= MIN_WORDS:
                out.append(PoolSentence("mpqa-1.2-sentences", f"{name}#{i}", 0, len(text), text))
    return out[:limit] if limit else out


@dataclass
class TeacherLabels:
    """The teacher's probabilities on the pool, keyed by place (no text).

    Attributes
    ----------
    corpus, file : ndarray of str
    start, end : ndarray of int32
    crc : ndarray of uint32
        :func:`crc` of each sentence.
    opinion, causal : ndarray of float32, shape (n,)
    attribution : ndarray of float32, shape (n, 3)
        P(named), P(vague), P(none).
    teacher : str
        sha256 of the teacher's ONNX file.
    causal_folds : ndarray of float32, shape (k, n), optional
        P(causal) from each of the k teachers of the grouped cross-validation
        on the Causal News Corpus, the one that never saw fold ``i`` in row ``i``:
        the student evaluated on fold ``i`` learns from row ``i`` only.
    """

    corpus: np.ndarray
    file: np.ndarray
    start: np.ndarray
    end: np.ndarray
    crc: np.ndarray
    opinion: np.ndarray
    causal: np.ndarray
    attribution: np.ndarray
    teacher: str
    causal_folds: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return len(self.start)

    @classmethod
    def of(cls, sentences: Sequence[PoolSentence], probs: Dict[str, np.ndarray], teacher: str) -> TeacherLabels:
        """Labels for `sentences` from probability arrays ``opinion``, ``causal``, ``attribution``
        (and ``causal_folds`` if given)."""
        folds = probs.get("causal_folds")
        return cls(
            np.asarray([s.corpus for s in sentences]),
            np.asarray([s.file for s in sentences]),
            np.asarray([s.start for s in sentences], dtype=np.int32),
            np.asarray([s.end for s in sentences], dtype=np.int32),
            np.asarray([crc(s.text) for s in sentences], dtype=np.uint32),
            np.asarray(probs["opinion"], dtype=np.float32),
            np.asarray(probs["causal"], dtype=np.float32),
            np.asarray(probs["attribution"], dtype=np.float32).reshape(-1, 3),
            teacher,
            None if folds is None else np.asarray(folds, dtype=np.float32),
        )

    def save(self, path) -> Path:
        """Write a compressed ``.npz`` (plain arrays, read back with ``allow_pickle=False``)."""
        path = Path(path)
        # file names stored once, rows point into them: most of the size otherwise
        files, file_index = np.unique(np.char.add(np.char.add(self.corpus.astype(str), "\t"),
                                                  self.file.astype(str)), return_inverse=True)
        extra = {} if self.causal_folds is None else {"causal_folds": self.causal_folds.astype(np.float16)}
        np.savez_compressed(
            path, files=files, file_index=file_index.astype(np.int32), start=self.start, end=self.end,
            crc=self.crc, opinion=self.opinion.astype(np.float16), causal=self.causal.astype(np.float16),
            attribution=self.attribution.astype(np.float16), teacher=np.asarray(self.teacher), **extra,
        )
        return path

    @classmethod
    def load(cls, path) -> TeacherLabels:
        """Read a file written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            pairs = np.char.partition(z["files"][z["file_index"]].astype(str), "\t")
            return cls(
                pairs[:, 0], pairs[:, 2], z["start"], z["end"], z["crc"],
                z["opinion"].astype(np.float32), z["causal"].astype(np.float32),
                z["attribution"].astype(np.float32), str(z["teacher"]),
                z["causal_folds"].astype(np.float32) if "causal_folds" in z.files else None,
            )

    def texts(self, root) -> List[str]:
        """The sentences, read from the corpora by their keys.

        Raises
        ------
        ValueError
            If a sentence no longer matches its CRC (the corpus differs from the one labelled).
        """
        root = Path(root)
        wanted = {(c, f.partition("#")[0]) for c, f in zip(self.corpus, self.file)}
        sources: Dict[Tuple[str, str], object] = {}
        csv.field_size_limit(2**31 - 1)
        for corpus, name in wanted:
            path = root / corpus / name
            if name.endswith(".csv"):
                with open(path, encoding="utf-8", newline="") as fh:
                    sources[(corpus, name)] = [r["text"] for r in csv.DictReader(fh)]
            elif name.endswith(".tsv"):
                with open(path, encoding="utf-8", newline="") as fh:
                    sources[(corpus, name)] = [
                        r["sentence"] for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
                    ]
        out = []
        whole: Dict[Tuple[str, str], str] = {}
        for corpus, file, s, e, check in zip(self.corpus, self.file, self.start, self.end, self.crc):
            name, _, row = file.partition("#")
            if row:
                doc = sources[(corpus, name)][int(row)]  # type: ignore[index]
            else:
                if (corpus, file) not in whole:
                    with open(root / corpus / file, encoding="utf-8", newline="") as fh:
                        whole[(corpus, file)] = fh.read()
                doc = whole[(corpus, file)]
            text = doc[int(s):int(e)]
            if crc(text) != int(check):
                raise ValueError(f"teacher labels: {corpus}/{file} [{s}:{e}] no longer matches its CRC; "
                                 "the corpus differs from the one labelled")
            out.append(text)
        return out


def teacher_probabilities(texts: Sequence[str], bundle: Path, threads: Optional[int] = None) -> Dict[str, np.ndarray]:
    """P(opinion), P(causal) and P(named, vague, none) of `texts` from an accurate bundle
    (and ``temperature``: the bundle's causal temperature)."""
    from ..bundle import load_bundle
    from ..tiers.accurate import AccurateModel

    # the heads' own probabilities: the student makes its attribution agree with its own sources
    model = AccurateModel(load_bundle(bundle), threads=threads, sources=False)
    parts = [model.predict(list(texts[i:i + 4096])) for i in range(0, len(texts), 4096)]
    return {
        "temperature": np.asarray(model.temperature["causal"]),
        "opinion": np.concatenate([p.opinion for p in parts]),
        "causal": np.concatenate([p.causal for p in parts]),
        "attribution": np.concatenate([p.attribution for p in parts]),
    }


def recalibrate(p: np.ndarray, t_from: float, t_to: float) -> np.ndarray:
    """Binary probabilities given at temperature `t_from`, rescaled to temperature `t_to`.

    The fold models' bundles are uncalibrated (temperature 1); their
    ``causal_folds`` are put on the final bundle's temperature, which was fitted
    on those same fold models' out-of-fold logits.
    """
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    z = np.log(p / (1 - p)) * float(t_from) / float(t_to)
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def label_pool(root, bundle: Path, fold_bundles: Sequence[Path] = (), threads: Optional[int] = None,
               limit: Optional[int] = None) -> TeacherLabels:
    """The teacher's labels on the distillation pool.

    Parameters
    ----------
    root : path-like
        The corpora folder.
    bundle : path
        The accurate bundle whose probabilities the fast tier learns.
    fold_bundles : sequence of path
        The bundles of the teacher's cross-validation models, in fold order: their
        P(causal) becomes ``causal_folds`` (see :class:`TeacherLabels`).
    threads : int, optional
        onnxruntime threads.
    limit : int, optional
        Only the first `limit` pool sentences (quick runs).
    """
    from ..bundle import sha256_file

    pool = pool_sentences(root, limit)
    texts = [s.text for s in pool]
    probs = teacher_probabilities(texts, Path(bundle), threads)
    if fold_bundles:
        probs["causal_folds"] = np.stack([
            recalibrate(f["causal"], f["temperature"], probs["temperature"])
            for f in (teacher_probabilities(texts, Path(b), threads) for b in fold_bundles)
        ])
    return TeacherLabels.of(pool, probs, sha256_file(Path(bundle) / "model.onnx"))
