"""The accurate tier: a fine-tuned transformer encoder, int8 ONNX, run with onnxruntime.

Needs the ``accurate`` extra (``pip install 'rhetorix[accurate]'``: onnxruntime
and tokenizers); never torch.  The bundle holds ``model.onnx`` (the encoder and
one head per task in one graph, inputs ``input_ids`` and ``attention_mask``,
outputs the logits of each head) and ``tokenizer.json``; its manifest names the
outputs, the label order, the temperatures and the thresholds.

Sentences are tokenised without truncation.  A sentence longer than the
encoder's window is cut into overlapping windows of tokens, each scored on its
own, and its logits are the mean over its windows, so nothing is cut off and
cue offsets (from the lexicon, as in the fast tier) stay exact.

Each window is run through the graph on its own, never padded into a batch
with other sentences.  The graph is dynamically quantised: its activations are
quantised with one scale per tensor, computed at run time, so in a batch every
sentence's scores would depend on its neighbours' (measured: up to 0.09 in a
probability, 4 % of flags changed between a sentence alone and in a batch of
32).  One window per run keeps a sentence's scores the same alone or in any
batch, needs no padding, and on one core is about as fast as batches of 32 of
length-sorted, padded sentences (docs/experiments.md).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..bundle import Bundle
from ..cues.finder import find_cues
from ..cues.tagger import TAG_KINDS, TaggedSpan, decode_spans, token_extents
from ..errors import BundleError, extra_required
from ..text.tokens import TokenBatch
from .base import ATTRIBUTION_LABELS, Predictions, agree, make_sources, with_sources

__all__ = ["AccurateModel", "windows"]


def windows(n_tokens: int, size: int, stride: int) -> List[Tuple[int, int]]:
    """Token ranges ``[start, end)`` covering ``n_tokens`` with windows of at most `size`.

    Consecutive windows overlap by ``size - stride`` tokens; a text that fits
    is one window.
    """
    if n_tokens <= size:
        return [(0, n_tokens)]
    out = []
    start = 0
    while True:
        end = min(start + size, n_tokens)
        out.append((start, end))
        if end == n_tokens:
            return out
        start += stride


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class AccurateModel:
    """The transformer model of an accurate bundle.

    Parameters
    ----------
    bundle : Bundle
        A loaded bundle of tier ``accurate``.
    extra_cues : mapping of str to list of str, optional
        Extra lexicon entries by kind (they show as cues; the scores do not use cues).
    threads : int, optional
        onnxruntime threads for one call (default: onnxruntime's choice, the cores of the machine).
    sources : bool, default=True
        Read sources from the token head (when the bundle has one).  False
        leaves them out and the attribution probabilities the head's own
        (what the fast tier learns from).

    Raises
    ------
    ImportError
        Without the ``accurate`` extra, naming it.
    BundleError
        If the bundle is not an accurate one, or its graph lacks an output the manifest names.
    """

    def __init__(self, bundle: Bundle, extra_cues=None, threads: Optional[int] = None, sources: bool = True):
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError:
            raise extra_required("accurate", "the accurate tier") from None
        if bundle.tier != "accurate":
            raise BundleError(f"{bundle.path}: a {bundle.tier} bundle, not an accurate one")
        self.bundle = bundle
        self.lexicon = bundle.lexicon.extended(extra_cues) if extra_cues else bundle.lexicon
        self.thresholds = MappingProxyType(dict(bundle.thresholds))  # shared: read-only
        self.name = f"accurate, {bundle.path}"
        cfg = bundle.manifest.get("encoder", {})
        try:
            self.max_length = int(cfg["max_length"])
            self.stride = int(cfg.get("stride", self.max_length // 2))
            self.temperature = {k: float(v) for k, v in cfg["temperature"].items()}
            self.outputs = dict(cfg["outputs"])  # task -> graph output name
            att_classes = list(cfg["attribution_classes"])
            self._att_index = [att_classes.index(c) for c in ATTRIBUTION_LABELS]
            self.tags = list(cfg.get("tags", []))
            # columns of the token head for O, SRC and CUE (B- and I- summed); None: no token head
            self._tag_cols = None
            if sources and "tags" in self.outputs and self.tags:
                self._tag_cols = {
                    k: [j for j, tag in enumerate(self.tags) if (tag == "O") == (k == "O") and tag.endswith(k)]
                    for k in TAG_KINDS
                }
                if any(not cols for cols in self._tag_cols.values()):
                    raise ValueError(f"tags {self.tags} lack one of {TAG_KINDS}")
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleError(f"{bundle.path}: manifest 'encoder' settings incomplete ({exc})") from None
        options = ort.SessionOptions()
        options.inter_op_num_threads = 1
        if threads:
            options.intra_op_num_threads = threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(bundle.path / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        have = {o.name for o in self.session.get_outputs()}
        missing = [name for name in self.outputs.values() if name not in have]
        if missing:
            raise BundleError(f"{bundle.path}: model.onnx has no output(s) {missing}")
        self.tokenizer = Tokenizer.from_file(str(bundle.path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.cls_id = self.tokenizer.token_to_id("[CLS]")
        self.sep_id = self.tokenizer.token_to_id("[SEP]")

    def logits(self, texts: Sequence[str]) -> Dict[str, np.ndarray]:
        """Raw logits of each head for each text (the mean over a long text's windows)."""
        return self._run(texts)[0]

    def _run(self, texts: Sequence[str], tags: bool = False):
        """Sentence logits by task and, with `tags`, per text its tag logits and word-piece character starts."""
        tasks = ("opinion", "causal", "attribution")
        names = [self.outputs[t] for t in tasks]
        if tags:
            names.append(self.outputs["tags"])
        out: Dict[str, List[np.ndarray]] = {t: [] for t in tasks}
        token_tags: List[Tuple[np.ndarray, np.ndarray]] = []
        for enc in self.tokenizer.encode_batch(list(texts), add_special_tokens=False):
            ids = enc.ids
            sums = None
            spans = windows(len(ids), self.max_length - 2, self.stride)
            tag_z = np.zeros((len(ids), len(self.tags)), dtype=np.float64) if tags else None
            done = 0  # tags of the tokens before this are set (each from the first window holding it)
            for a, b in spans:
                window = np.asarray([[self.cls_id, *ids[a:b], self.sep_id]], dtype=np.int64)
                res = self.session.run(names, {"input_ids": window, "attention_mask": np.ones_like(window)})
                if tags:
                    z = np.asarray(res.pop(), dtype=np.float64).reshape(b - a + 2, -1)[1:-1]
                    tag_z[done:b] = z[done - a:]
                    done = b
                res = [np.asarray(r, dtype=np.float64).reshape(-1) for r in res]
                sums = res if sums is None else [x + y for x, y in zip(sums, res)]
            for t, total in zip(tasks, sums):
                out[t].append(total / len(spans))
            if tags:
                token_tags.append((tag_z, np.asarray([o[0] for o in enc.offsets], dtype=np.int64)))
        return {t: np.asarray(v).reshape(len(texts), -1) for t, v in out.items()}, token_tags

    def _spans(self, texts: Sequence[str], token_tags) -> List[List[TaggedSpan]]:
        """Source and cue spans from the token head, decoded on our word tokens as in the fast tier."""
        batch = TokenBatch.split(texts)
        starts, ends = token_extents(batch)
        begins = np.cumsum(batch.lengths) - batch.lengths
        words = np.zeros((len(batch.flat), len(TAG_KINDS)))
        for i, (z, piece_start) in enumerate(token_tags):
            b, n = int(begins[i]), int(batch.lengths[i])
            if n == 0 or len(z) == 0:
                continue
            p = _softmax(z)
            p3 = np.stack([p[:, self._tag_cols[k]].sum(axis=1) for k in TAG_KINDS], axis=1)
            # each word takes the tags of its first word piece (the one the head was trained on)
            first = np.clip(np.searchsorted(piece_start, starts[b:b + n]), 0, len(piece_start) - 1)
            words[b:b + n] = p3[first]
        # words of a sentence the encoder never saw keep all-zero rows: tag O, no span
        return decode_spans(words.argmax(axis=1), words, starts, ends, batch.flat, batch.lengths)

    def spans(self, texts: Sequence[str]) -> List[List[TaggedSpan]]:
        """The token head's source and cue spans of each text (offsets into it); empty without a token head."""
        if self._tag_cols is None:
            return [[] for _ in texts]
        return self._spans(texts, self._run(texts, tags=True)[1])

    def predict(self, texts: Sequence[str], offsets: Optional[Sequence[int]] = None) -> Predictions:
        """Calibrated probabilities, sources and lexicon cues of each text (see :class:`~rhetorix.tiers.base.Model`)."""
        z, token_tags = self._run(texts, tags=self._tag_cols is not None)
        t = self.temperature
        attribution = _softmax(z["attribution"] / t["attribution"])[:, self._att_index]
        cues = find_cues(texts, self.lexicon.automaton, offsets)
        found = None
        if token_tags:
            offs = offsets if offsets is not None else [0] * len(texts)
            found = make_sources(texts, offs, self._spans(texts, token_tags))
            attribution = agree(attribution, found)
            cues = with_sources(cues, found)
        return Predictions(
            opinion=_sigmoid(z["opinion"][:, -1] / t["opinion"]),
            causal=_sigmoid(z["causal"][:, -1] / t["causal"]),
            attribution=attribution,
            cues=cues,
            sources=found,
        )
