"""Persuasion techniques: the part both tiers share.

A bundle that scores persuasion techniques holds ``techniques.npz`` (listed
and checksummed in its manifest like every model file; plain float arrays,
loaded with ``allow_pickle=False``) and a ``techniques`` entry in its manifest:

``names``
    The techniques with a sentence head (from :data:`~rhetorix.cues.cue.TECHNIQUES`),
    in the column order of the arrays.
``word_names``
    The word-marked techniques with a word head (from
    :data:`~rhetorix.cues.cue.WORD_TECHNIQUES`).
``word_thresholds``
    Per word technique, the probability from which a word is part of a span.

The arrays: ``coef`` ``(len(names), n_features)`` and ``intercept`` (the sentence
heads: P(technique) is the sigmoid of ``features @ coef.T + intercept``), and
``word_coef`` ``(n_word_features, len(word_names))`` and ``word_intercept`` (the
word heads).  What the features are is the tier's: the fast tier's sentence
features and its tagger's hashed token features, the accurate tier's encoder
states.  An accurate bundle also holds ``ngram_coef`` and ``ngram_intercept``:
heads over the fast tier's sentence features (its featurizer settings in the
manifest entry's ``featurizer``); its P(technique) is then the mean of the two
heads' probabilities (the encoder, tuned for other tasks, keeps less of the
words than the techniques need).  The flag thresholds of the sentence heads sit in the manifest's
``thresholds``, under each technique's name, as those of the other flags.

A word technique's span is a run of consecutive words whose probability is at
least its word threshold, in a sentence flagged for that technique (so a span
never appears without its chip); punctuation at a run's edges is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..bundle import Bundle
from ..cues.cue import TECHNIQUES, WORD_TECHNIQUES, Cue, cue_order, make_cue
from ..cues.tagger import token_extents
from ..errors import BundleError
from ..text.tokens import TokenBatch

__all__ = ["TechniqueHeads", "FILE", "word_spans"]

#: The bundle file of the technique heads.
FILE = "techniques.npz"


@dataclass(frozen=True)
class TechniqueHeads:
    """The sentence and word heads of a bundle's persuasion techniques.

    Attributes
    ----------
    names : tuple of str
        Techniques with a sentence head, in column order.
    coef : ndarray of shape (len(names), n_features)
    intercept : ndarray of shape (len(names),)
    word_names : tuple of str
        Word-marked techniques with a word head.
    word_coef : ndarray of shape (n_word_features, len(word_names))
    word_intercept : ndarray of shape (len(word_names),)
    word_thresholds : ndarray of shape (len(word_names),)
    ngram_coef : ndarray of shape (len(names), n_ngram_features), optional
        Heads over the fast tier's sentence features, averaged with the others.
    ngram_intercept : ndarray of shape (len(names),), optional
    featurizer : mapping, optional
        ``n_features`` and ``ngram_range`` of the fast featurizer the n-gram heads read.
    """

    names: Tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray
    word_names: Tuple[str, ...]
    word_coef: np.ndarray
    word_intercept: np.ndarray
    word_thresholds: np.ndarray
    ngram_coef: Optional[np.ndarray] = None
    ngram_intercept: Optional[np.ndarray] = None
    featurizer: Optional[Mapping[str, object]] = None

    @classmethod
    def of(cls, bundle: Bundle) -> Optional[TechniqueHeads]:
        """The heads of `bundle` (already verified by :func:`~rhetorix.bundle.load_bundle`); None without them.

        Raises
        ------
        BundleError
            If the file or the manifest entry is malformed.
        """
        if FILE not in bundle.manifest.get("files", {}):
            return None
        try:
            cfg = bundle.manifest["techniques"]
            names, word_names = tuple(cfg["names"]), tuple(cfg["word_names"])
            word_thresholds = np.asarray([float(cfg["word_thresholds"][n]) for n in word_names])
            with np.load(bundle.path / FILE, allow_pickle=False) as npz:
                arrays = {k: np.asarray(npz[k], dtype=np.float64) for k in npz.files}
            featurizer = None
            if "ngram_coef" in arrays:
                featurizer = {"n_features": int(cfg["featurizer"]["n_features"]),
                              "ngram_range": tuple(int(n) for n in cfg["featurizer"]["ngram_range"])}
            heads = cls(names, arrays["coef"], arrays["intercept"], word_names, arrays["word_coef"],
                        arrays["word_intercept"], word_thresholds, arrays.get("ngram_coef"),
                        arrays.get("ngram_intercept"), featurizer)
        except Exception as exc:  # KeyError/TypeError on the manifest, zipfile/ValueError on damaged data
            raise BundleError(f"{bundle.path}: cannot read the persuasion technique heads ({exc!r})") from None
        unknown = [n for n in names if n not in TECHNIQUES] + [n for n in word_names if n not in WORD_TECHNIQUES]
        if unknown:
            raise BundleError(f"{bundle.path}: unknown persuasion techniques {unknown}")
        missing = [n for n in names if n not in bundle.thresholds]
        if missing:
            raise BundleError(f"{bundle.path}: no threshold for techniques {missing}")
        k, kw = len(names), len(word_names)
        ngram_ok = heads.ngram_coef is None or (
            heads.ngram_coef.ndim == 2 and heads.ngram_coef.shape[0] == k
            and heads.ngram_intercept is not None and heads.ngram_intercept.shape == (k,))
        if heads.coef.ndim != 2 or heads.coef.shape[0] != k or heads.intercept.shape != (k,) or \
                heads.word_coef.ndim != 2 or heads.word_coef.shape[1] != kw or \
                heads.word_intercept.shape != (kw,) or not ngram_ok:
            raise BundleError(f"{bundle.path}: technique heads have inconsistent array shapes")
        return heads

    def save(self, path: Path) -> None:
        """Write the arrays to `path` (a ``techniques.npz``; the manifest entry is :meth:`manifest`)."""
        arrays = {"coef": self.coef.astype(np.float32), "intercept": self.intercept,
                  "word_coef": self.word_coef.astype(np.float32), "word_intercept": self.word_intercept}
        if self.ngram_coef is not None:
            arrays.update(ngram_coef=self.ngram_coef.astype(np.float32), ngram_intercept=self.ngram_intercept)
        np.savez_compressed(path, **arrays)

    def manifest(self) -> Mapping[str, object]:
        """The manifest's ``techniques`` entry for these heads."""
        out: dict = {"names": list(self.names), "word_names": list(self.word_names),
                     "word_thresholds": {n: float(t) for n, t in zip(self.word_names, self.word_thresholds)}}
        if self.featurizer is not None:
            out["featurizer"] = {"n_features": int(self.featurizer["n_features"]),
                                 "ngram_range": list(self.featurizer["ngram_range"])}
        return out

    def proba(self, z: np.ndarray, z_ngram: Optional[np.ndarray] = None) -> np.ndarray:
        """P(technique) of each sentence, shape ``(n, len(names))``.

        Parameters
        ----------
        z : ndarray
            ``features @ coef.T``.
        z_ngram : ndarray, optional
            ``ngram_features @ ngram_coef.T`` when the heads have n-gram heads:
            the result is the mean of the two heads' probabilities.
        """
        p = _sigmoid(z + self.intercept)
        if self.ngram_coef is None:
            return p
        return 0.5 * (p + _sigmoid(z_ngram + self.ngram_intercept))

    def word_proba(self, z: np.ndarray) -> np.ndarray:
        """P(the word marks the technique) from ``word_features @ word_coef``, shape ``(n_words, len(word_names))``."""
        return _sigmoid(z + self.word_intercept)

    def word_flags(self, flagged: Sequence[Sequence[str]]) -> np.ndarray:
        """Per sentence and word technique, whether the sentence is flagged for it: ``(n, len(word_names))``."""
        out = np.zeros((len(flagged), len(self.word_names)), dtype=bool)
        for j, name in enumerate(self.word_names):
            out[:, j] = [name in f for f in flagged]
        return out


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def word_spans(
    texts: Sequence[str],
    offsets: Sequence[int],
    batch: TokenBatch,
    proba: np.ndarray,
    flagged: np.ndarray,
    heads: TechniqueHeads,
) -> List[List[Cue]]:
    """The spans of the word techniques each sentence is flagged for, as cues (see the module docstring).

    Parameters
    ----------
    texts : sequence of str
    offsets : sequence of int
        Added to the spans' offsets of each text.
    batch : TokenBatch
        The tokens of `texts`.
    proba : ndarray of shape (n_tokens, len(heads.word_names))
        :meth:`TechniqueHeads.word_proba` of every token of `batch`.
    flagged : ndarray of bool, shape (len(texts), len(heads.word_names))
        :meth:`TechniqueHeads.word_flags`.

    A token that does not start with a letter or digit (punctuation) never
    starts or ends a span.
    """
    out: List[List[Cue]] = [[] for _ in texts]
    n_tok = len(batch.flat)
    if not n_tok or not flagged.any():
        return out
    starts, ends = token_extents(batch)
    tokens = batch.flat
    sentence = np.repeat(np.arange(len(texts)), batch.lengths)
    new_sentence = np.ones(n_tok, dtype=bool)
    new_sentence[1:] = sentence[1:] != sentence[:-1]
    for j, name in enumerate(heads.word_names):
        on = (proba[:, j] >= heads.word_thresholds[j]) & flagged[sentence, j]
        if not on.any():
            continue
        # runs of consecutive on-tokens within a sentence, then trimmed to words at both edges
        first = on & (new_sentence | ~np.roll(on, 1))
        last = on & (np.roll(new_sentence, -1) | ~np.roll(on, -1))
        last[-1] = on[-1]
        for a, b in zip(np.flatnonzero(first).tolist(), np.flatnonzero(last).tolist()):
            while a <= b and not tokens[a][:1].isalnum():
                a += 1
            while b >= a and not tokens[b][:1].isalnum():
                b -= 1
            if a > b:
                continue
            i = int(sentence[a])
            s, e = int(starts[a]), int(ends[b])
            out[i].append(make_cue(name, s + offsets[i], e + offsets[i], texts[i][s:e]))
    return [sorted(c, key=cue_order) if len(c) > 1 else c for c in out]
