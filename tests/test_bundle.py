"""Tests for rhetorix.bundle: safe, verified model bundles."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import rhetorix
from rhetorix import BundleError
from rhetorix.bundle import (
    FORMAT_VERSION,
    MODEL_NAMES,
    Bundle,
    LinearHead,
    bundle_path,
    load_bundle,
    save_bundle,
    sha256_file,
)
from rhetorix.cues import LEXICON_KINDS, Lexicon
from rhetorix.cues.cue import TECHNIQUES
from rhetorix.features.transformers import SentenceFeaturizer
from rhetorix.scorer import Scorer
from rhetorix.tiers.fast import FastModel

SENTENCES = [
    "The levy caused fares to rise, officials said.",
    "Frankly, the plan is a disgrace.",
    "According to the Harbour Authority, 40 ships docked in May.",
    "",
]


# ------------------------------------------------------------------ helpers
@pytest.fixture(scope="session")
def fabricated_bundle(tmp_path_factory):
    """A small self-consistent bundle written by save_bundle (independent of the shipped one)."""
    lex = Lexicon({"hedge": ["perhaps", "it may be"], "causal_verb": ["caused", "trigger*"],
                   "attribution_cue": ["said"], "vague_source": ["many experts"]})
    width = len(SentenceFeaturizer(lexicon=lex, n_features=64).get_feature_names_out())
    manifest = {"featurizer": {"n_features": 64, "ngram_range": [1, 2]}}
    return save_bundle(tmp_path_factory.mktemp("fabricated") / "bundle", _tiny_heads(width), lex, manifest)


@pytest.fixture(params=["shipped", "fabricated"])
def bundle_copy(request, tmp_path):
    """A private copy of a bundle (the shipped one, or a fabricated one) that a test may damage."""
    src = bundle_path("fast") if request.param == "shipped" else request.getfixturevalue("fabricated_bundle")
    dst = tmp_path / "bundle"
    shutil.copytree(src, dst)
    return dst


def read_manifest(path):
    return json.loads((path / "manifest.json").read_text(encoding="utf-8"))


def write_manifest(path, manifest):
    """Rewrite the manifest *and* its checksum file, as a deliberate edit would."""
    data = json.dumps(manifest, indent=2).encode("utf-8")
    (path / "manifest.json").write_bytes(data)
    (path / "manifest.sha256").write_text(_sha256_bytes(data) + "\n", encoding="ascii")


def _sha256_bytes(data):
    import hashlib

    return hashlib.sha256(data).hexdigest()


def rehash(path, name):
    m = read_manifest(path)
    m["files"][name] = sha256_file(path / name)
    write_manifest(path, m)


def flip_byte(file, pos=None):
    data = bytearray(file.read_bytes())
    i = len(data) // 2 if pos is None else pos
    data[i] ^= 0xFF
    file.write_bytes(bytes(data))


# ---------------------------------------------------------------- shipped one
def test_load_shipped_bundle():
    b = load_bundle()
    assert isinstance(b, Bundle)
    assert set(b.heads) == set(MODEL_NAMES)
    assert b.manifest["format_version"] == FORMAT_VERSION
    assert b.path is not None and (b.path / "manifest.json").is_file()
    for kind in LEXICON_KINDS:
        assert b.lexicon.entries[kind], kind
    assert set(b.thresholds) <= {"opinion", "causal", "unattributed_causal", *TECHNIQUES}
    for v in b.thresholds.values():
        assert 0.0 < v < 1.0
    width = len(SentenceFeaturizer(n_features=b.manifest["featurizer"]["n_features"]).get_feature_names_out())
    for name, head in b.heads.items():
        assert head.coef.shape[1] == width, name
        assert head.coef.shape[0] == head.intercept.shape[0]
        assert np.all(np.isfinite(head.coef)) and np.all(np.isfinite(head.intercept))
    assert sorted(b.heads["attribution"].classes) == ["named", "none", "vague"]
    assert list(b.heads["opinion"].classes) == [0, 1]
    assert list(b.heads["causal"].classes) == [0, 1]


def test_shipped_manifest_lists_every_bundle_file():
    path = bundle_path("fast")
    m = read_manifest(path)
    on_disk = {
        p.relative_to(path).as_posix()
        for p in path.rglob("*")
        if p.is_file() and p.name not in ("manifest.json", "manifest.sha256") and "__pycache__" not in p.parts
    }
    assert on_disk == set(m["files"])
    for name, digest in m["files"].items():
        assert sha256_file(path / name) == digest, name


def test_bundle_copy_loads(bundle_copy):
    b = load_bundle(bundle_copy)
    assert b.path == bundle_copy


# ------------------------------------------------------------------- damage
def _expect_error(path, *fragments):
    with pytest.raises(BundleError) as info:
        load_bundle(path)
    msg = str(info.value)
    for frag in fragments:
        assert frag.lower() in msg.lower(), msg
    # also through the public loader
    with pytest.raises(BundleError):
        rhetorix.load(path)
    return msg


def _bundle_files(path):
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_one_flipped_byte_in_any_file_is_refused(bundle_copy, where):
    names = _bundle_files(bundle_copy)
    assert {"manifest.json", "manifest.sha256", "weights.npz"} <= set(names)
    for name in names:
        f = bundle_copy / name
        original = f.read_bytes()
        pos = {"start": 0, "middle": len(original) // 2, "end": len(original) - 1}[where]
        flip_byte(f, pos)
        with pytest.raises(BundleError):
            load_bundle(bundle_copy)
        f.write_bytes(original)
    load_bundle(bundle_copy)  # restored: loads again


def test_changed_threshold_in_manifest_is_refused(bundle_copy):
    # a valid manifest with one threshold changed, its checksum file left alone
    m = read_manifest(bundle_copy)
    m.setdefault("thresholds", {})["opinion"] = 0.0
    (bundle_copy / "manifest.json").write_text(json.dumps(m, indent=2), encoding="utf-8")
    _expect_error(bundle_copy, "checksum", "manifest.json")


def test_missing_manifest_checksum(bundle_copy):
    (bundle_copy / "manifest.sha256").unlink()
    _expect_error(bundle_copy, "manifest.sha256", "missing")


def test_older_format_version(bundle_copy):
    m = read_manifest(bundle_copy)
    m["format_version"] = 1
    write_manifest(bundle_copy, m)
    _expect_error(bundle_copy, "older", "retrain")


def test_bad_thresholds(bundle_copy):
    m = read_manifest(bundle_copy)
    m["thresholds"] = {"opinion": "high"}
    write_manifest(bundle_copy, m)
    _expect_error(bundle_copy, "thresholds")


def test_flipped_byte_in_weights(bundle_copy):
    flip_byte(bundle_copy / "weights.npz")
    _expect_error(bundle_copy, "checksum", "weights.npz")


def test_flipped_byte_in_weights_with_matching_checksum(bundle_copy):
    # the checksum is updated too, so the damage must be caught by the npz reader
    flip_byte(bundle_copy / "weights.npz", pos=(bundle_copy / "weights.npz").stat().st_size // 3)
    rehash(bundle_copy, "weights.npz")
    _expect_error(bundle_copy, "weights.npz")


def test_changed_lexicon_file(bundle_copy):
    f = bundle_copy / "lexicons" / "hedge.txt"
    data = bytearray(f.read_bytes())
    i = data.rindex(b"\n", 0, len(data) - 1) + 1  # first byte of the last entry
    data[i] = ord("q") if data[i] != ord("q") else ord("z")
    f.write_bytes(bytes(data))
    _expect_error(bundle_copy, "checksum", "hedge.txt")


def test_truncated_weights(bundle_copy):
    f = bundle_copy / "weights.npz"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    _expect_error(bundle_copy, "weights.npz")


def test_truncated_weights_with_matching_checksum(bundle_copy):
    f = bundle_copy / "weights.npz"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    rehash(bundle_copy, "weights.npz")
    _expect_error(bundle_copy, "weights.npz")


@pytest.mark.parametrize("name", ["weights.npz", "lexicons/causal_verb.txt"])
def test_deleted_file(bundle_copy, name):
    (bundle_copy / name).unlink()
    _expect_error(bundle_copy, "missing", name)


def test_deleted_manifest(bundle_copy):
    (bundle_copy / "manifest.json").unlink()
    _expect_error(bundle_copy, "manifest.json")


def test_missing_folder(tmp_path):
    _expect_error(tmp_path / "no-such-bundle", "not found")


def test_lexicon_not_listed_in_manifest(bundle_copy):
    m = read_manifest(bundle_copy)
    del m["files"]["lexicons/hedge.txt"]
    write_manifest(bundle_copy, m)
    _expect_error(bundle_copy, "hedge")


def test_newer_format_version(bundle_copy):
    m = read_manifest(bundle_copy)
    m["format_version"] = 999
    write_manifest(bundle_copy, m)
    _expect_error(bundle_copy, "999", "format version")


@pytest.mark.parametrize("value", [0, -1, "1", None, 1.5, True])
def test_invalid_format_version(bundle_copy, value):
    m = read_manifest(bundle_copy)
    m["format_version"] = value
    write_manifest(bundle_copy, m)
    _expect_error(bundle_copy, "format_version")


def test_manifest_not_json(bundle_copy):
    (bundle_copy / "manifest.json").write_text("{ this is not json", encoding="utf-8")
    _expect_error(bundle_copy, "manifest")


def test_manifest_not_utf8(bundle_copy):
    (bundle_copy / "manifest.json").write_bytes(b'{"format_version": 2, "x": "\xff\xfe"}')
    _expect_error(bundle_copy, "manifest")


def test_manifest_not_an_object(bundle_copy):
    (bundle_copy / "manifest.json").write_text("[1, 2, 3]", encoding="utf-8")
    _expect_error(bundle_copy, "JSON object")


def test_manifest_without_files(bundle_copy):
    m = read_manifest(bundle_copy)
    del m["files"]
    write_manifest(bundle_copy, m)
    _expect_error(bundle_copy, "files")


def test_file_entry_outside_bundle(bundle_copy, tmp_path):
    outside = tmp_path / "x"
    outside.write_text("harmless\n", encoding="utf-8")
    m = read_manifest(bundle_copy)
    m["files"]["../x"] = sha256_file(outside)  # a valid digest, so only the path check can catch it
    write_manifest(bundle_copy, m)
    _expect_error(bundle_copy, "../x", "outside")


def test_absolute_file_entry(bundle_copy, tmp_path):
    outside = tmp_path / "abs.txt"
    outside.write_text("harmless\n", encoding="utf-8")
    m = read_manifest(bundle_copy)
    m["files"][str(outside)] = sha256_file(outside)
    write_manifest(bundle_copy, m)
    _expect_error(bundle_copy, "outside")


def test_missing_model_arrays(bundle_copy):
    with np.load(bundle_copy / "weights.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files if not k.startswith("causal_")}
    np.savez_compressed(bundle_copy / "weights.npz", **arrays)
    rehash(bundle_copy, "weights.npz")
    _expect_error(bundle_copy, "causal")


def test_pickled_weights_are_refused(bundle_copy):
    with np.load(bundle_copy / "weights.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["opinion_coef"] = np.array([{"not": "numbers"}], dtype=object)
    np.savez(bundle_copy / "weights.npz", **arrays)
    rehash(bundle_copy, "weights.npz")
    _expect_error(bundle_copy, "weights.npz")


def test_classes_inconsistent_with_weights(bundle_copy):
    m = read_manifest(bundle_copy)
    m["classes"]["opinion"] = [0, 1, 2]
    write_manifest(bundle_copy, m)
    with pytest.raises(BundleError, match="classes"):
        rhetorix.load(bundle_copy)


# ---------------------------------------------------------------- round trip
def _tiny_heads(width, seed=0):
    rng = np.random.default_rng(seed)

    def arr(*shape):
        # float32-representable values: the bundle stores coefficients as float32
        return rng.normal(scale=0.5, size=shape).astype(np.float32).astype(np.float64)

    return {
        "opinion": LinearHead([0, 1], arr(1, width), arr(1)),
        "causal": LinearHead([0, 1], arr(1, width), arr(1)),
        "attribution": LinearHead(["named", "none", "vague"], arr(3, width), arr(3)),
    }


def test_save_load_round_trip(tmp_path):
    lex = Lexicon({"hedge": ["perhaps", "it may be"], "causal_verb": ["caused", "trigger*"],
                   "attribution_cue": ["said"], "vague_source": ["many experts"]})
    feat = SentenceFeaturizer(lexicon=lex, n_features=64)
    width = len(feat.get_feature_names_out())
    heads = _tiny_heads(width)
    manifest = {"featurizer": {"n_features": 64, "ngram_range": [1, 2]},
                "thresholds": {"opinion": 0.6, "causal": 0.4, "unattributed_causal": 0.3},
                "note": "fabricated for a test"}
    out = save_bundle(tmp_path / "tiny", heads, lex, manifest)
    assert (out / "manifest.json").is_file() and (out / "weights.npz").is_file()

    loaded = load_bundle(out)
    assert loaded.thresholds == manifest["thresholds"]
    assert loaded.manifest["note"] == "fabricated for a test"
    assert loaded.manifest["format_version"] == FORMAT_VERSION
    assert loaded.lexicon.entries == lex.entries
    X = feat.fit(SENTENCES).transform(SENTENCES)
    for name in MODEL_NAMES:
        assert loaded.heads[name].classes == heads[name].classes
        assert np.array_equal(loaded.heads[name].coef, heads[name].coef)
        assert np.array_equal(loaded.heads[name].intercept, heads[name].intercept)
        assert np.array_equal(loaded.heads[name].predict_proba(X), heads[name].predict_proba(X))

    original = Scorer(FastModel(Bundle(heads, lex, dict(manifest), None, dict(manifest["thresholds"]))))
    again = rhetorix.load(out)
    assert again.thresholds == original.thresholds
    assert [r.to_dict() for r in again.score_sentences(SENTENCES)] == [
        r.to_dict() for r in original.score_sentences(SENTENCES)
    ]


def test_save_bundle_requires_all_heads(tmp_path):
    heads = _tiny_heads(10)
    del heads["causal"]
    with pytest.raises(ValueError, match="causal"):
        save_bundle(tmp_path / "b", heads, Lexicon({}), {})


def test_save_over_existing_bundle(tmp_path):
    lex = Lexicon({"hedge": ["perhaps"]})
    width = len(SentenceFeaturizer(lexicon=lex, n_features=32).get_feature_names_out())
    man = {"featurizer": {"n_features": 32, "ngram_range": [1, 2]}}
    save_bundle(tmp_path / "b", _tiny_heads(width, 1), lex, man)
    save_bundle(tmp_path / "b", _tiny_heads(width, 2), lex, man)
    b = load_bundle(tmp_path / "b")
    assert np.array_equal(b.heads["opinion"].coef, _tiny_heads(width, 2)["opinion"].coef)
    rhetorix.load(tmp_path / "b").score_sentences(SENTENCES)


def test_featurizer_width_mismatch_is_reported(tmp_path):
    lex = Lexicon({"hedge": ["perhaps"]})
    save_bundle(tmp_path / "b", _tiny_heads(50), lex, {"featurizer": {"n_features": 32}})
    with pytest.raises(ValueError, match="features"):
        rhetorix.load(tmp_path / "b")


# -------------------------------------------------------------- LinearHead
@pytest.mark.parametrize("n_classes", [2, 3])
def test_linear_head_probabilities(n_classes):
    rng = np.random.default_rng(n_classes)
    rows = 1 if n_classes == 2 else n_classes
    head = LinearHead(list(range(n_classes)), rng.normal(size=(rows, 6)), rng.normal(size=rows))
    X = rng.normal(scale=50.0, size=(40, 6))
    X[0] = 0.0
    X[1] = 1e6  # extreme scores must not overflow into nan
    X[2] = -1e6
    p = head.predict_proba(X)
    assert p.shape == (40, n_classes)
    assert np.all(np.isfinite(p))
    assert np.all(p >= 0.0) and np.all(p <= 1.0)
    assert np.allclose(p.sum(axis=1), 1.0)


def test_linear_head_binary_is_sigmoid():
    head = LinearHead([0, 1], np.array([[2.0, -1.0]]), np.array([0.5]))
    X = np.array([[1.0, 1.0], [0.0, 0.0]])
    z = X @ np.array([2.0, -1.0]) + 0.5
    assert np.allclose(head.predict_proba(X)[:, 1], 1 / (1 + np.exp(-z)))


def test_linear_head_accepts_sparse():
    import scipy.sparse as sp

    rng = np.random.default_rng(7)
    head = LinearHead(["a", "b", "c"], rng.normal(size=(3, 5)), rng.normal(size=3))
    X = rng.normal(size=(4, 5))
    assert np.allclose(head.predict_proba(sp.csr_matrix(X)), head.predict_proba(X))


# ---------------------------------------------------------- no code on load
_AUDIT_SCRIPT = textwrap.dedent(
    """
    import json, sys
    events = {"find_class": [], "code": [], "opened": []}

    def hook(event, args):
        if event == "pickle.find_class":
            events["find_class"].append([str(a) for a in args])
        elif event == "compile":
            src, filename = args[0], args[1]
            if not isinstance(src, (str, bytes)):
                src = ""
            if isinstance(src, bytes):
                src = src.decode("utf-8", "replace")
            events["code"].append(["compile", str(filename), src[:2000]])
        elif event == "exec":
            code = args[0]
            events["code"].append(["exec", str(getattr(code, "co_filename", "")), ""])
        elif event == "open" and args and isinstance(args[0], (str, bytes)):
            events["opened"].append(str(args[0]))

    sys.addaudithook(hook)
    import rhetorix
    scorer = rhetorix.load()
    res = scorer.score_sentences(["The new tariff caused shortages, many experts said."])
    assert 0.0 <= res[0].causal <= 1.0
    print(json.dumps({"bundle": str(scorer.model.bundle.path), **events}))
    """
)


def test_loading_runs_no_pickle_or_bundle_code(subprocess_env):
    proc = subprocess.run(
        [sys.executable, "-c", _AUDIT_SCRIPT], capture_output=True, text=True,
        env=subprocess_env, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    assert data["find_class"] == [], data["find_class"]
    bundle = data["bundle"]
    # the test must actually have watched the bundle being read
    assert any(p.startswith(bundle) and p.endswith("weights.npz") for p in data["opened"])
    assert any(p.startswith(bundle) and p.endswith("manifest.json") for p in data["opened"])
    contents = []
    for rel in ("manifest.json", "lexicons/hedge.txt"):
        with open(f"{bundle}/{rel}", encoding="utf-8") as fh:
            contents.append(fh.read()[:200])
    for kind, filename, src in data["code"]:
        assert not filename.startswith(bundle), (kind, filename)
        for c in contents:
            assert not (src and c.strip() and c.strip()[:80] in src), (kind, filename)



@pytest.mark.parametrize("name", ["fast", "accurate"])
def test_every_shipped_file_is_package_data(repo_root, name):
    """An installed rhetorix has every file its bundles' manifests list (setup.cfg's package_data)."""
    import configparser
    import fnmatch

    cfg = configparser.ConfigParser()
    cfg.read(repo_root / "setup.cfg", encoding="utf-8")
    data = {pkg: [p.strip() for p in pats.split(",")] for pkg, pats in cfg["options.package_data"].items()}
    manifest = json.loads((repo_root / "models" / name / "manifest.json").read_text(encoding="utf-8"))
    for f in [*manifest["files"], "manifest.json", "manifest.sha256"]:
        folder, _, base = f"{name}/{f}".rpartition("/")
        pkg = "rhetorix.models." + folder.replace("/", ".")
        assert any(fnmatch.fnmatch(base, p) for p in data.get(pkg, [])), f"{name}/{f} is not package data"
