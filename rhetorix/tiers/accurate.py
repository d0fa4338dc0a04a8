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

from dataclasses import dataclass
from types import MappingProxyType
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..bundle import Bundle
from ..cues.cue import Cue
from ..cues.finder import cue_codes, match
from ..cues.tagger import TAG_KINDS, TaggedSpan, decode_spans, token_extents
from ..errors import BundleError, extra_required
from ..features.featurize import N_DENSE, Weights, featurize
from ..text.tokens import TokenBatch
from .base import ATTRIBUTION_LABELS, Predictions, agree, make_sources, with_sources
from .techniques import TechniqueHeads, word_spans

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


# per word-piece outputs: the token head's logits in float64 (as they are decoded), states in float32
_PIECE_DTYPE = {"tags": np.float64, "hidden": np.float32}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class AccurateModel:
    """The transformer model of an accurate bundle.

    ``model.onnx`` gives the sentence heads (and the technique heads' states).
    The source and cue tags come from its token head, or, when the manifest's
    ``encoder.tagger`` names a file of the bundle, from that second graph (an
    encoder fine-tuned for the tags alone, same tokenizer and windows; its
    output ``tags``).

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
        If the bundle is not an accurate one, or a graph lacks an output the manifest names.
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
        # a second graph fine-tuned for the tags alone replaces the main graph's token head
        self._tagger = None
        #: The graph the source and cue tags come from (None: sources off, or no token head).
        self.tag_graph: Optional[str] = "model.onnx" if self._tag_cols is not None else None
        tagger = cfg.get("tagger")
        if self._tag_cols is not None and tagger:
            if not isinstance(tagger, dict) or tagger.get("file") not in bundle.manifest.get("files", {}):
                raise BundleError(f"{bundle.path}: manifest 'encoder.tagger' names no file of the bundle")
            self._tagger = ort.InferenceSession(
                str(bundle.path / tagger["file"]), options, providers=["CPUExecutionProvider"]
            )
            if "tags" not in {o.name for o in self._tagger.get_outputs()}:
                raise BundleError(f"{bundle.path}: {tagger['file']} has no output 'tags'")
            self.tag_graph = tagger["file"]
        self.techniques = TechniqueHeads.of(bundle)
        if self.techniques is not None and not {"pooled", "hidden"} <= set(self.outputs):
            raise BundleError(f"{bundle.path}: technique heads need the graph outputs 'pooled' and 'hidden'")
        self._ngram_weights = None
        if self.techniques is not None and self.techniques.ngram_coef is not None:
            width = N_DENSE + self.techniques.featurizer["n_features"]
            if self.techniques.ngram_coef.shape[1] != width:
                raise BundleError(f"{bundle.path}: technique n-gram heads do not match this featurizer")
            self._ngram_weights = Weights.of(self.techniques.ngram_coef)
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
        return self._run(texts).logits

    def states(self, texts: Sequence[str]) -> Tuple[np.ndarray, np.ndarray]:
        """What the technique heads read (a bundle whose graph has the ``pooled`` and ``hidden`` outputs).

        Returns
        -------
        sentence : ndarray of shape (n, 2 * hidden)
            Per text, its mean-pooled last-layer state (the mean over its
            windows) and the element-wise maximum of the last-layer states of
            its word pieces.
        words : ndarray of shape (n_words, hidden)
            The last-layer state of the first word piece of every word token
            (:class:`~rhetorix.text.tokens.TokenBatch`) of all texts, in order.
        """
        run = self._run(texts, states=True)
        return run.sentence, self._word_rows(TokenBatch.split(texts), run.pieces, run.hidden)

    def _run(self, texts: Sequence[str], tags: bool = False, states: bool = False) -> _Encoded:
        """Encode `texts`: sentence logits by task and, as asked, token tags and encoder states."""
        tasks = ("opinion", "causal", "attribution")
        names = [self.outputs[t] for t in tasks]
        extra = (["tags"] if tags else []) + (["pooled", "hidden"] if states else [])
        tagger = self._tagger if tags else None
        names += [self.outputs[k] for k in extra if k != "tags" or tagger is None]
        out: Dict[str, List[np.ndarray]] = {t: [] for t in tasks}
        enc = _Encoded({}, [], [], [], None)
        sentence = []
        for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False):
            ids = e.ids
            sums = None
            spans = windows(len(ids), self.max_length - 2, self.stride)
            per_piece = {k: None for k in extra if k != "pooled"}
            pooled = []
            done = 0  # states of the pieces before this are set (each from the first window holding it)
            for a, b in spans:
                window = np.asarray([[self.cls_id, *ids[a:b], self.sep_id]], dtype=np.int64)
                feed = {"input_ids": window, "attention_mask": np.ones_like(window)}
                res = dict(zip(names, self.session.run(names, feed)))
                if tagger is not None:
                    res[self.outputs["tags"]] = tagger.run(["tags"], feed)[0]
                for k in per_piece:
                    z = np.asarray(res[self.outputs[k]], dtype=_PIECE_DTYPE[k]).reshape(b - a + 2, -1)[1:-1]
                    if per_piece[k] is None:
                        per_piece[k] = np.zeros((len(ids), z.shape[1]), dtype=_PIECE_DTYPE[k])
                    per_piece[k][done:b] = z[done - a:]
                if states:
                    pooled.append(np.asarray(res[self.outputs["pooled"]], dtype=np.float64).reshape(-1))
                done = b
                row = [np.asarray(res[n], dtype=np.float64).reshape(-1) for n in names[:len(tasks)]]
                sums = row if sums is None else [x + y for x, y in zip(sums, row)]
            for t, total in zip(tasks, sums):
                out[t].append(total / len(spans))
            starts = np.asarray([o[0] for o in e.offsets], dtype=np.int64)
            enc.pieces.append(starts)
            if tags:
                enc.tags.append(per_piece["tags"] if ids else np.zeros((0, len(self.tags))))
            if states:
                hidden = per_piece["hidden"] if ids else np.zeros((0, len(pooled[0])), dtype=np.float32)
                enc.hidden.append(hidden)
                top = hidden.max(axis=0) if len(hidden) else np.zeros(len(pooled[0]))
                sentence.append(np.concatenate([np.mean(pooled, axis=0), top]))
        enc.logits = {t: np.asarray(v).reshape(len(texts), -1) for t, v in out.items()}
        if states:
            enc.sentence = np.asarray(sentence, dtype=np.float64).reshape(len(texts), -1)
        return enc

    @staticmethod
    def _word_rows(batch: TokenBatch, piece_starts: Sequence[np.ndarray],
                   per_piece: Sequence[np.ndarray]) -> np.ndarray:
        """Per word token of `batch`, the row of its first word piece (zeros for a word the encoder never saw)."""
        starts, _ = token_extents(batch)
        begins = np.cumsum(batch.lengths) - batch.lengths
        width = next((p.shape[1] for p in per_piece if p.ndim == 2 and p.shape[1]), 0)
        words = np.zeros((len(batch.flat), width), dtype=np.float64)
        for i, (pieces, rows) in enumerate(zip(piece_starts, per_piece)):
            b, n = int(begins[i]), int(batch.lengths[i])
            if n == 0 or len(rows) == 0:
                continue
            # each word takes the row of its first word piece (the one the heads were trained on)
            first = np.clip(np.searchsorted(pieces, starts[b:b + n]), 0, len(pieces) - 1)
            words[b:b + n] = rows[first]
        return words

    def _spans(self, texts: Sequence[str], batch: TokenBatch, enc: _Encoded) -> List[List[TaggedSpan]]:
        """Source and cue spans from the token head, decoded on our word tokens as in the fast tier."""
        starts, ends = token_extents(batch)
        probs = [_softmax(z) if len(z) else z for z in enc.tags]
        p3 = [np.stack([p[:, self._tag_cols[k]].sum(axis=1) for k in TAG_KINDS], axis=1) if len(p)
              else np.zeros((0, len(TAG_KINDS))) for p in probs]
        words = self._word_rows(batch, enc.pieces, p3)
        # words of a sentence the encoder never saw keep all-zero rows: tag O, no span
        return decode_spans(words.argmax(axis=1), words, starts, ends, batch.flat, batch.lengths)

    def spans(self, texts: Sequence[str]) -> List[List[TaggedSpan]]:
        """The token head's source and cue spans of each text (offsets into it); empty without a token head."""
        if self._tag_cols is None:
            return [[] for _ in texts]
        return self._spans(texts, TokenBatch.split(texts), self._run(texts, tags=True))

    def predict(self, texts: Sequence[str], offsets: Optional[Sequence[int]] = None) -> Predictions:
        """Calibrated probabilities, sources and lexicon cues of each text (see :class:`~rhetorix.tiers.base.Model`)."""
        enc = self._run(texts, tags=self._tag_cols is not None, states=self.techniques is not None)
        z, t = enc.logits, self.temperature
        attribution = _softmax(z["attribution"] / t["attribution"])[:, self._att_index]
        offs = offsets if offsets is not None else [0] * len(texts)
        batch = TokenBatch.split(texts)
        z_ngram = None
        if self._ngram_weights is not None:  # the technique heads' n-gram features; the cue pass comes with them
            feat = self.techniques.featurizer
            cues, X = featurize(texts, self.lexicon, feat["n_features"], feat["ngram_range"], offs, batch)
            z_ngram = X.decision(self._ngram_weights)
        else:
            auto = self.lexicon.automaton
            cues = match(texts, offs, batch, cue_codes(batch, auto), auto)
        found = None
        if self._tag_cols is not None:
            found = make_sources(texts, offs, self._spans(texts, batch, enc))
            attribution = agree(attribution, found)
            cues = with_sources(cues, found)
        pred = Predictions(
            opinion=_sigmoid(z["opinion"][:, -1] / t["opinion"]),
            causal=_sigmoid(z["causal"][:, -1] / t["causal"]),
            attribution=attribution,
            cues=cues,
            sources=found,
        )
        if self.techniques is not None:
            heads = self.techniques
            # explicit sums (einsum's own loops, not BLAS): a sentence scores the same alone and in a batch
            pred.techniques = heads.proba(np.einsum("nd,kd->nk", enc.sentence, heads.coef), z_ngram)
            pred.technique_names = heads.names

            def mark(flagged: Sequence[Sequence[str]]) -> List[List[Cue]]:
                words = self._word_rows(batch, enc.pieces, enc.hidden)
                proba = heads.word_proba(np.einsum("nd,dk->nk", words, heads.word_coef))
                return word_spans(texts, offs, batch, proba, heads.word_flags(flagged), heads)

            pred.mark_techniques = mark
        return pred


@dataclass
class _Encoded:
    """What one pass of the encoder gives (:meth:`AccurateModel._run`)."""

    logits: Dict[str, np.ndarray]
    tags: List[np.ndarray]  # per text, the token head's logits of each word piece
    pieces: List[np.ndarray]  # per text, the character start of each word piece
    hidden: List[np.ndarray]  # per text, the last-layer state of each word piece
    sentence: Optional[np.ndarray]  # (n, 2 * hidden): mean-pooled and max-pooled states
