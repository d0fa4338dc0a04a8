"""The fast tier: cue, style and hashed n-gram features (numpy only), linear heads and a span tagger.

The heads: opinion, causal, attribution and, in a bundle that has them, one per
persuasion technique (:mod:`rhetorix.tiers.techniques`), all over the same
sentence features; the words that mark a technique are scored by a linear model
over the span tagger's hashed token features (:func:`~rhetorix.cues.tagger.token_features`),
only in the sentences flagged for it.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Iterable, List, Mapping, Optional, Sequence

import numpy as np

from ..bundle import Bundle
from ..cues.cue import Cue
from ..cues.lexicon import Lexicon
from ..cues.tagger import SpanTagger, TaggedSpan, TokenScorer, lexicon_kinds
from ..errors import BundleError
from ..features.featurize import N_DENSE, Weights, featurize
from ..text.tokens import TokenBatch
from .base import ATTRIBUTION_LABELS, Predictions, agree, make_sources, with_sources
from .techniques import TechniqueHeads, word_spans

__all__ = ["FastModel"]

_HEADS = ("opinion", "causal", "attribution")


class FastModel:
    """The linear models of a bundle over the numpy featurizer.

    Parameters
    ----------
    bundle : Bundle
        A loaded bundle (:func:`rhetorix.bundle.load_bundle`).
    extra_cues : mapping of str to list of str, optional
        Extra lexicon entries by kind, added to the bundle's lexicons.  They show
        as cues and count in the cue features.
    sources : bool, default=True
        Find sources with the bundle's tagger (when it has one).

    Raises
    ------
    BundleError
        If the bundle's heads do not match this featurizer's width.
    """

    def __init__(self, bundle: Bundle, extra_cues: Optional[Mapping[str, Iterable[str]]] = None,
                 sources: bool = True):
        self.bundle = bundle
        self.lexicon: Lexicon = bundle.lexicon.extended(extra_cues) if extra_cues else bundle.lexicon
        feat = bundle.manifest.get("featurizer", {})
        self.n_hash = int(feat.get("n_features", 2**17))
        self.ngram_range = tuple(feat.get("ngram_range", (1, 2)))
        width = N_DENSE + self.n_hash
        for name, head in bundle.heads.items():
            if head.coef.shape[1] != width:
                raise BundleError(
                    f"model {name!r} expects {head.coef.shape[1]} features but the featurizer "
                    f"makes {width}; the bundle does not match this rhetorix version"
                )
        self.thresholds = MappingProxyType(dict(bundle.thresholds))  # shared: read-only
        self.name = f"fast, {bundle.path}"
        att_classes = list(bundle.heads["attribution"].classes)
        self._att_index = [att_classes.index(c) for c in ATTRIBUTION_LABELS]
        self.techniques = TechniqueHeads.of(bundle)
        blocks = [bundle.heads[k].coef for k in _HEADS]
        if self.techniques is not None:
            n_buckets = self.techniques.word_coef.shape[0]
            if self.techniques.coef.shape[1] != width or n_buckets & (n_buckets - 1):
                raise BundleError(f"{bundle.path}: technique heads do not match this featurizer")
            blocks.append(self.techniques.coef)
            self._word_scorer = TokenScorer(self.techniques.word_coef)
        # all heads' weights in one matrix: one pass over the features per batch
        self._heads = [bundle.heads[k] for k in _HEADS]
        self._coef = Weights.of(np.vstack(blocks))
        self._cuts = np.cumsum([len(b) for b in blocks])[:-1]
        self.tagger: Optional[SpanTagger] = None
        if sources and "tagger.npz" in bundle.manifest.get("files", {}):  # checksummed by load_bundle
            try:
                self.tagger = SpanTagger.load(bundle.path / "tagger.npz")
            except (OSError, KeyError, ValueError) as exc:
                raise BundleError(f"{bundle.path}: cannot read tagger.npz ({exc})") from None

    def spans(self, texts: Sequence[str]) -> List[List[TaggedSpan]]:
        """The tagger's source and cue spans of each text (offsets into it); empty without a tagger."""
        if self.tagger is None:
            return [[] for _ in texts]
        return self.tagger.spans(*lexicon_kinds(texts, self.lexicon.automaton))

    def predict(self, texts: Sequence[str], offsets: Optional[Sequence[int]] = None) -> Predictions:
        """Probabilities and cues of each text (see :class:`~rhetorix.tiers.base.Model`)."""
        batch = TokenBatch.split(texts)
        need_kinds = self.tagger is not None or self.techniques is not None
        kinds = np.zeros(len(batch.flat), dtype=np.int64) if need_kinds else None
        cues, X = featurize(texts, self.lexicon, self.n_hash, self.ngram_range, offsets, batch, kinds)
        z_op, z_ca, z_att, *z_tech = np.split(X.decision(self._coef), self._cuts, axis=1)
        op_head, ca_head, att_head = self._heads
        attribution = att_head.proba_from_decision(z_att)[:, self._att_index]
        offs = offsets if offsets is not None else [0] * len(texts)
        sources = None
        if self.tagger is not None:
            sources = make_sources(texts, offs, self.tagger.spans(batch, kinds))
            attribution = agree(attribution, sources)
            cues = with_sources(cues, sources)
        pred = Predictions(
            opinion=op_head.proba_from_decision(z_op)[:, 1],
            causal=ca_head.proba_from_decision(z_ca)[:, 1],
            attribution=attribution,
            cues=cues,
            sources=sources,
        )
        if self.techniques is not None:
            pred.techniques = self.techniques.proba(z_tech[0])
            pred.technique_names = self.techniques.names
            pred.mark_techniques = lambda flagged: self._marks(texts, offs, batch, kinds, flagged)
        return pred

    def _marks(self, texts: Sequence[str], offsets: Sequence[int], batch: TokenBatch, kinds: np.ndarray,
               flagged: Sequence[Sequence[str]]) -> List[List[Cue]]:
        """The words that mark the techniques each sentence is flagged for (only those sentences are tagged)."""
        heads = self.techniques
        flags = heads.word_flags(flagged)
        chosen = flags.any(axis=1)
        rows = np.flatnonzero(chosen)
        out: List[List[Cue]] = [[] for _ in texts]
        if not len(rows):
            return out
        sub = batch.select(rows.tolist())
        sub_kinds = kinds[np.repeat(chosen, batch.lengths)]  # the lexicon kinds of the chosen sentences' tokens
        proba = heads.word_proba(self._word_scorer(sub, sub_kinds).astype(np.float64))
        marks = word_spans([texts[i] for i in rows], [offsets[i] for i in rows], sub, proba, flags[rows], heads)
        for i, m in zip(rows.tolist(), marks):
            out[i] = m
        return out
