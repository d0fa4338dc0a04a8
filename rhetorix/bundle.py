"""Save and load model bundles without running code from them.

A bundle is a folder::

    manifest.json      format version, versions, corpora, thresholds, featurizer
                       settings, and the sha256 of every other file
    manifest.sha256    the sha256 of manifest.json, so that no byte of any file
                       can change unnoticed
    weights.npz        one coefficient matrix and intercept per model (numpy,
                       loaded with ``allow_pickle=False``)
    lexicons/*.txt     the cue lexicons the models were trained with

Nothing in a bundle is unpickled or executed: the manifest is JSON, the weights
are plain numeric arrays and the lexicons are text.  Every file's sha256 is
checked on load, and a bundle of another format version is refused.  The
checksums detect damage and accidental edits, not forgery (see SECURITY.md).
"""

from __future__ import annotations

import hashlib
import json
import os
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
    "Bundle", "LinearHead", "BundleError", "save_bundle", "load_bundle", "default_bundle_path",
    "probabilities", "FORMAT_VERSION", "MODEL_NAMES",
]

FORMAT_VERSION = 2  # 2: manifest.sha256 added
MODEL_NAMES = ("opinion", "causal", "attribution")
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
    """Everything a :class:`~rhetorix.Scorer` needs, loaded from a bundle folder."""

    heads: Dict[str, LinearHead]
    lexicon: Lexicon
    manifest: Dict[str, object]
    path: Optional[Path] = None
    thresholds: Dict[str, float] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_bundle(
    path: PathLike,
    heads: Mapping[str, LinearHead],
    lexicon: Lexicon,
    manifest: Mapping[str, object],
) -> Path:
    """Write a bundle folder; returns its path.

    Parameters
    ----------
    path : path-like
        Folder to write (created if needed; files of a previous bundle are replaced).
    heads : mapping
        ``opinion``, ``causal`` and ``attribution`` heads.
    lexicon : Lexicon
        The lexicon the features were computed with.
    manifest : mapping
        Extra manifest fields (versions, corpora, thresholds, featurizer, metrics).
    """
    path = Path(path)
    (path / "lexicons").mkdir(parents=True, exist_ok=True)
    missing = set(MODEL_NAMES) - set(heads)
    if missing:
        raise ValueError(f"missing model heads: {sorted(missing)}")
    arrays = {}
    for name in MODEL_NAMES:
        arrays[f"{name}_coef"] = np.asarray(heads[name].coef, dtype=np.float32)
        arrays[f"{name}_intercept"] = np.asarray(heads[name].intercept, dtype=np.float64)
    np.savez_compressed(path / "weights.npz", **arrays)
    for kind in LEXICON_KINDS:
        with open(path / "lexicons" / f"{kind}.txt", "w", encoding="utf-8") as fh:
            fh.write(f"# {kind}: lexicon the bundled models were trained with\n")
            fh.write("\n".join(lexicon.entries[kind]) + "\n")
    files = ["weights.npz"] + [f"lexicons/{k}.txt" for k in LEXICON_KINDS]
    full = dict(manifest)
    full.update(
        {
            "format_version": FORMAT_VERSION,
            "rhetorix_version": __version__,
            "numpy_version": np.__version__,
            "classes": {n: list(heads[n].classes) for n in MODEL_NAMES},
            "files": {f: _sha256(path / f) for f in files},
        }
    )
    data = (json.dumps(full, indent=2, sort_keys=True) + "\n").encode("utf-8")
    (path / "manifest.json").write_bytes(data)
    (path / "manifest.sha256").write_text(hashlib.sha256(data).hexdigest() + "\n", encoding="ascii")
    return path


def default_bundle_path() -> Path:
    """Path of the bundle shipped with the package.

    Installed, it is package data of ``rhetorix.models``; in a source checkout
    that is not installed, it is ``models/default`` beside the package.
    """
    try:
        return Path(str(resources.files("rhetorix.models") / "default"))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "models" / "default"


def load_bundle(path: Optional[PathLike] = None) -> Bundle:
    """Load and verify a bundle folder (the shipped one when `path` is None).

    Raises
    ------
    BundleError
        When the folder or a file is missing, a checksum does not match, the
        manifest is malformed or the format version is not supported.
    """
    path = Path(path) if path is not None else default_bundle_path()
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
    if version < FORMAT_VERSION:
        raise BundleError(
            f"{path}: bundle format version {version} is older than this rhetorix reads "
            f"({FORMAT_VERSION}); retrain it with `rhetorix train`"
        )
    try:
        expected = (path / "manifest.sha256").read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise BundleError(f"{path}: file manifest.sha256 is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path}: unreadable manifest.sha256 ({exc})") from None
    if hashlib.sha256(data).hexdigest() != expected:
        raise BundleError(f"{path}: checksum mismatch for manifest.json; the file was changed or damaged")
    files = manifest.get("files")
    if not isinstance(files, dict) or "weights.npz" not in files:
        raise BundleError(f"{mpath}: manifest lists no files")
    for name, digest in files.items():
        fpath = (path / name).resolve()
        if path.resolve() not in fpath.parents:
            raise BundleError(f"{mpath}: file entry {name!r} points outside the bundle")
        if not fpath.is_file():
            raise BundleError(f"{path}: file {name} listed in the manifest is missing")
        if _sha256(fpath) != digest:
            raise BundleError(f"{path}: checksum mismatch for {name}; the file was changed or damaged")
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
            heads[name] = LinearHead(list(classes[name]), coef, intercept)
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
    lex_entries = {}
    for kind in LEXICON_KINDS:
        f = path / "lexicons" / f"{kind}.txt"
        if f"lexicons/{kind}.txt" not in files:
            raise BundleError(f"{mpath}: lexicon {kind} is not listed in the manifest")
        lex_entries[kind] = read_lexicon_file(f)
    thresholds = manifest.get("thresholds", {})
    if not isinstance(thresholds, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in thresholds.values()
    ):
        raise BundleError(f"{mpath}: thresholds must be a mapping of names to numbers")
    return Bundle(heads, Lexicon(lex_entries), manifest, path, dict(thresholds))
