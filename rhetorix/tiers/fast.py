"""The fast tier: cue, style and hashed n-gram features (numpy only), three linear heads and a span tagger."""

from __future__ import annotations

from types import MappingProxyType
from typing import Iterable, List, Mapping, Optional, Sequence

import numpy as np

from ..bundle import Bundle
from ..cues.lexicon import Lexicon
from ..cues.tagger import SpanTagger, TaggedSpan, lexicon_kinds
from ..errors import BundleError
from ..features.featurize import N_DENSE, featurize
from ..text.tokens import TokenBatch
from .base import ATTRIBUTION_LABELS, Predictions, agree, make_sources, with_sources

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
        # all heads' weights in one matrix: one pass over the features per batch
        self._heads = [bundle.heads[k] for k in _HEADS]
        self._coef = np.vstack([h.coef for h in self._heads])
        self._cuts = np.cumsum([h.coef.shape[0] for h in self._heads])[:-1]
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
        kinds = np.zeros(len(batch.flat), dtype=np.int64) if self.tagger is not None else None
        cues, X = featurize(texts, self.lexicon, self.n_hash, self.ngram_range, offsets, batch, kinds)
        z_op, z_ca, z_att = np.split(X.decision(self._coef), self._cuts, axis=1)
        op_head, ca_head, att_head = self._heads
        attribution = att_head.proba_from_decision(z_att)[:, self._att_index]
        sources = None
        if self.tagger is not None:
            offs = offsets if offsets is not None else [0] * len(texts)
            sources = make_sources(texts, offs, self.tagger.spans(batch, kinds))
            attribution = agree(attribution, sources)
            cues = with_sources(cues, sources)
        return Predictions(
            opinion=op_head.proba_from_decision(z_op)[:, 1],
            causal=ca_head.proba_from_decision(z_ca)[:, 1],
            attribution=attribution,
            cues=cues,
            sources=sources,
        )
