"""Save and load model bundles without running code from them.

A bundle is a folder::

    manifest.json      format version, tier, versions, corpora, thresholds, model
                       settings, and the sha256 of every other file
    manifest.sha256    the sha256 of manifest.json, so that no byte of any file
                       can change unnoticed
    lexicons/*.txt     the cue lexicons the models were trained with

and the model files of its tier:

    fast               weights.npz: one coefficient matrix and intercept per
                       model (numpy, loaded with ``allow_pickle=False``)
    accurate           model.onnx (an ONNX graph: data for onnxruntime, not
                       code) and tokenizer.json (the tokenizers library's JSON)

Nothing in a bundle is unpickled or executed: the manifest is JSON, the weights
are plain numeric arrays or an ONNX graph, the lexicons and the tokenizer are
text.  Every file's sha256 is checked on load, and a bundle of an unknown
format version is refused.  The checksums detect damage and accidental edits,
not forgery (see SECURITY.md).

Format versions: 2 added manifest.sha256; 3 added ``tier`` (a version 2
bundle is a fast one).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Union

import numpy as np

from ._version import __version__
from .cues.cue import LEXICON_KINDS
from .cues.lexicon import Lexicon, read_lexicon_file
from .errors import BundleError

__all__ = [
    "Bundle", "LinearHead", "BundleError", "save_bundle", "add_files", "load_bundle", "bundle_path",
    "probabilities", "sha256_file", "FORMAT_VERSION", "MODEL_NAMES", "TIERS",
]

FORMAT_VERSION = 3
#: The oldest format version read (see the module docstring).
MIN_FORMAT_VERSION = 2
MODEL_NAMES = ("opinion", "causal", "attribution")
#: Bundle kinds, and the model files each must hold besides the lexicons.
TIERS = {"fast": ("weights.npz",), "accurate": ("model.onnx", "tokenizer.json")}
PathLike = Union[str, os.PathLike]


@dataclass
class LinearHead:
    """A fitted linear classifier: ``softmax``/``sigmoid`` of ``X @ coef.T + intercept``.

    Attributes
    ----------
    classes : list
        Class labels; for two classes the positive class is ``classes[1]``.
    coef : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept : ndarray of shape (1,) or (n_classes,)
    """

    classes: List[Union[int, str]]
    coef: np.ndarray
    intercept: np.ndarray

    def predict_proba(self, X) -> np.ndarray:
        """Return class probabilities, shape ``(n_samples, n_classes)``.

        `X` is a :class:`~rhetorix.features.featurize.FeatureRows`, or any matrix
        (numpy or scipy.sparse) with ``n_features`` columns.
        """
        z = X.decision(self.coef) if hasattr(X, "decision") else np.asarray(X @ self.coef.T, dtype=np.float64)
        return self.proba_from_decision(z)

    def proba_from_decision(self, z: np.ndarray) -> np.ndarray:
        """Class probabilities from ``X @ coef.T`` (without the intercept)."""
        return probabilities(z + self.intercept)


def probabilities(z: np.ndarray) -> np.ndarray:
    """Class probabilities from decision values of shape ``(n, 1)`` (two classes: sigmoid,
    returned as two columns) or ``(n, k)`` (softmax)."""
    if z.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-np.clip(z[:, 0], -500, 500)))
        return np.column_stack([1.0 - p, p])
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class Bundle:
    """A verified bundle folder, loaded.

    Attributes
    ----------
    heads : dict of str to LinearHead
        The linear models of a fast bundle (empty for an accurate one, whose
        model is ``path / "model.onnx"``).
    lexicon : Lexicon
    manifest : dict
    path : Path or None
    thresholds : dict of str to float
    tier : {"fast", "accurate"}
    """

    heads: Dict[str, LinearHead]
    lexicon: Lexicon
    manifest: Dict[str, object]
    path: Optional[Path] = None
    thresholds: Dict[str, float] = field(default_factory=dict)
    tier: str = "fast"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_bundle(
    path: PathLike,
    heads: Optional[Mapping[str, LinearHead]],
    lexicon: Lexicon,
    manifest: Mapping[str, object],
    tier: str = "fast",
    files: Optional[Mapping[str, PathLike]] = None,
) -> Path:
    """Write a bundle folder; returns its path.

    Parameters
    ----------
    path : path-like
        Folder to write (created if needed; files of a previous bundle are replaced).
    heads : mapping or None
        ``opinion``, ``causal`` and ``attribution`` heads of a fast bundle (None for accurate).
    lexicon : Lexicon
        The lexicon the models were trained with.
    manifest : mapping
        Extra manifest fields (versions, corpora, thresholds, model settings, metrics).
    tier : {"fast", "accurate"}, default="fast"
    files : mapping of str to path-like, optional
        Model files to copy into the bundle, by name (an accurate bundle's
        ``model.onnx`` and ``tokenizer.json``).
    """
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; expected one of {sorted(TIERS)}")
    path = Path(path)
    (path / "lexicons").mkdir(parents=True, exist_ok=True)
    full = dict(manifest)
    if tier == "fast":
        if heads is None or set(MODEL_NAMES) - set(heads):
            raise ValueError(f"missing model heads: {sorted(set(MODEL_NAMES) - set(heads or {}))}")
        arrays = {}
        for name in MODEL_NAMES:
            arrays[f"{name}_coef"] = np.asarray(heads[name].coef, dtype=np.float32)
            arrays[f"{name}_intercept"] = np.asarray(heads[name].intercept, dtype=np.float64)
        np.savez_compressed(path / "weights.npz", **arrays)
        full["classes"] = {n: list(heads[n].classes) for n in MODEL_NAMES}
    for name, source in (files or {}).items():
        shutil.copyfile(source, path / name)
    missing = [f for f in TIERS[tier] if not (path / f).is_file()]
    if missing:
        raise ValueError(f"a {tier} bundle needs {missing}")
    for kind in LEXICON_KINDS:
        with open(path / "lexicons" / f"{kind}.txt", "w", encoding="utf-8") as fh:
            fh.write(f"# {kind}: lexicon the bundled models were trained with\n")
            fh.write("\n".join(lexicon.entries[kind]) + "\n")
    names = list(dict.fromkeys([*TIERS[tier], *(files or {})])) + [f"lexicons/{k}.txt" for k in LEXICON_KINDS]
    full.update(
        {
            "format_version": FORMAT_VERSION,
            "tier": tier,
            "rhetorix_version": __version__,
            "numpy_version": np.__version__,
            "files": {f: sha256_file(path / f) for f in names},
        }
    )
    return _write_manifest(path, full)


def _write_manifest(path: Path, full: Mapping[str, object]) -> Path:
    data = (json.dumps(full, indent=2, sort_keys=True) + "\n").encode("utf-8")
    (path / "manifest.json").write_bytes(data)
    (path / "manifest.sha256").write_text(hashlib.sha256(data).hexdigest() + "\n", encoding="ascii")
    return path


def add_files(path: PathLike, files: Mapping[str, PathLike], manifest: Optional[Mapping[str, object]] = None) -> Path:
    """Copy extra model files into an existing bundle and re-checksum its manifest.

    Parameters
    ----------
    path : path-like
        A bundle folder (verified first, as by :func:`load_bundle`).
    files : mapping of str to path-like
        Files to copy in, by name (replacing any of that name).
    manifest : mapping, optional
        Entries to add to the manifest (e.g. how the files were made).
    """
    path = Path(path)
    full = dict(_verified_manifest(path))
    for name, source in files.items():
        shutil.copyfile(source, path / name)
    full.update(manifest or {})
    full["files"] = {**full["files"], **{name: sha256_file(path / name) for name in files}}
    return _write_manifest(path, full)


def bundle_path(name: str = "fast") -> Path:
    """Path of a bundle shipped with the package: ``fast`` or ``accurate``.

    Installed, it is package data of ``rhetorix.models``; in a source checkout
    that is not installed, it is ``models/<name>`` beside the package.
    """
    try:
        return Path(str(resources.files("rhetorix.models") / name))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "models" / name


def _verified_manifest(path: Path) -> Dict[str, object]:
    """The manifest of a bundle folder once its format and every checksum are verified."""
    if not path.is_dir():
        raise BundleError(f"model bundle folder not found: {path}")
    mpath = path / "manifest.json"
    if not mpath.is_file():
        raise BundleError(f"{path}: not a rhetorix model bundle (manifest.json missing)")
    try:
        data = mpath.read_bytes()
        manifest = json.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{mpath}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict):
        raise BundleError(f"{mpath}: manifest must be a JSON object")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BundleError(f"{mpath}: missing or invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise BundleError(
            f"{path}: bundle format version {version} is newer than this rhetorix supports "
            f"({FORMAT_VERSION}); upgrade rhetorix"
        )
    if version < MIN_FORMAT_VERSION:
        raise BundleError(
            f"{path}: bundle format version {version} is older than this rhetorix reads "
            f"({MIN_FORMAT_VERSION}); retrain it with `rhetorix train`"
        )
    try:
        expected = (path / "manifest.sha256").read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise BundleError(f"{path}: file manifest.sha256 is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path}: unreadable manifest.sha256 ({exc})") from None
    if hashlib.sha256(data).hexdigest() != expected:
        raise BundleError(f"{path}: checksum mismatch for manifest.json; the file was changed or damaged")
    tier = manifest.get("tier", "fast") if version >= 3 else "fast"
    if tier not in TIERS:
        raise BundleError(f"{mpath}: unknown tier {tier!r}; expected one of {sorted(TIERS)}")
    manifest["tier"] = tier
    files = manifest.get("files")
    if not isinstance(files, dict) or any(f not in files for f in TIERS[tier]):
        raise BundleError(f"{mpath}: manifest does not list the {tier} model files {list(TIERS[tier])}")
    for name, digest in files.items():
        fpath = (path / name).resolve()
        if path.resolve() not in fpath.parents:
            raise BundleError(f"{mpath}: file entry {name!r} points outside the bundle")
        if not fpath.is_file():
            raise BundleError(f"{path}: file {name} listed in the manifest is missing")
        if sha256_file(fpath) != digest:
            raise BundleError(f"{path}: checksum mismatch for {name}; the file was changed or damaged")
    return manifest


def _linear_heads(path: Path, manifest: Mapping[str, object]) -> Dict[str, LinearHead]:
    try:
        with np.load(path / "weights.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:  # zipfile/ValueError on damaged data
        raise BundleError(f"{path}: cannot read weights.npz ({exc})") from None
    classes = manifest.get("classes", {})
    heads = {}
    for name in MODEL_NAMES:
        try:
            coef = arrays[f"{name}_coef"].astype(np.float64)
            intercept = arrays[f"{name}_intercept"].astype(np.float64)
            heads[name] = LinearHead(list(classes[name]), coef, intercept)  # type: ignore[index]
        except (KeyError, TypeError) as exc:
            raise BundleError(f"{path}: model {name!r} incomplete ({exc} missing)") from None
        if coef.ndim != 2 or coef.shape[0] != intercept.shape[0]:
            raise BundleError(f"{path}: model {name!r} has inconsistent array shapes")
        n_cls = len(heads[name].classes)
        if n_cls < 2 or coef.shape[0] != (1 if n_cls == 2 else n_cls):
            raise BundleError(
                f"{path}: model {name!r} lists {n_cls} classes but has {coef.shape[0]} coefficient rows"
            )
    if sorted(map(str, heads["attribution"].classes)) != ["named", "none", "vague"]:
        raise BundleError(f"{path}: attribution classes must be named, vague and none")
    return heads


def load_bundle(path: Optional[PathLike] = None) -> Bundle:
    """Load and verify a bundle folder (the shipped fast one when `path` is None).

    Raises
    ------
    BundleError
        When the folder or a file is missing, a checksum does not match, the
        manifest is malformed or the format version is not supported.
    """
    path = Path(path) if path is not None else bundle_path("fast")
    manifest = _verified_manifest(path)
    files = manifest["files"]
    mpath = path / "manifest.json"
    heads = _linear_heads(path, manifest) if manifest["tier"] == "fast" else {}
    lex_entries = {}
    for kind in LEXICON_KINDS:
        f = path / "lexicons" / f"{kind}.txt"
        if f"lexicons/{kind}.txt" not in files:  # type: ignore[operator]
            raise BundleError(f"{mpath}: lexicon {kind} is not listed in the manifest")
        lex_entries[kind] = read_lexicon_file(f)
    thresholds = manifest.get("thresholds", {})
    if not isinstance(thresholds, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in thresholds.values()
    ):
        raise BundleError(f"{mpath}: thresholds must be a mapping of names to numbers")
    return Bundle(heads, Lexicon(lex_entries), manifest, path, dict(thresholds), str(manifest["tier"]))
