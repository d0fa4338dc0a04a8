"""The accurate tier: the shipped ONNX bundle behind the same API (needs the accurate extra)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="the accurate extra is not installed (pip install '.[accurate]')")
pytest.importorskip("tokenizers", reason="the accurate extra is not installed (pip install '.[accurate]')")

import rhetorix  # noqa: E402
from rhetorix import BundleError  # noqa: E402
from rhetorix.bundle import bundle_path, load_bundle  # noqa: E402
from rhetorix.text.tokens import TokenBatch  # noqa: E402
from rhetorix.tiers.accurate import AccurateModel, windows  # noqa: E402
from rhetorix.training.corpora import read_own  # noqa: E402


@pytest.fixture(scope="module")
def accurate():
    return rhetorix.load("accurate")


def test_load_by_name_is_cached_and_says_what_it_is(accurate):
    assert rhetorix.load("accurate").model is accurate.model
    assert isinstance(accurate.model, AccurateModel) and "accurate" in repr(accurate)
    th = accurate.thresholds
    assert set(th) == {"opinion", "causal", "unattributed_causal", "Loaded_Language", "Name_Calling,Labeling"}
    assert all(0 < v < 1 for v in th.values())


def test_shipped_bundle_is_small_and_lists_every_file():
    path = bundle_path("accurate")
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tier"] == "accurate"
    on_disk = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()} - {
        "manifest.json", "manifest.sha256"}
    assert on_disk == set(manifest["files"])
    assert (path / "model.onnx").stat().st_size <= 30_000_000
    base = manifest["encoder"]["base"]
    assert base["licence"] == "Apache-2.0" and base["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert base["sha256"]["model.safetensors"] == (
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db")


def test_offsets_slice_the_text(accurate, repo_root):
    text = (repo_root / "data" / "example_article.txt").read_text(encoding="utf-8")
    doc = accurate.score_document(text)
    assert doc.sentences
    for s in doc.sentences:
        assert text[s.start:s.end] == s.text
        for p in (s.opinion, s.causal, s.unattributed_causal, *s.attribution_scores.values()):
            assert 0.0 <= p <= 1.0
        assert abs(sum(s.attribution_scores.values()) - 1.0) < 1e-9
        for c in s.cues:
            assert text[c.start:c.end] == c.text


def test_same_scores_alone_and_in_a_batch(accurate):
    texts = [r["text"] for r in read_own()][:60]
    batch = [s.to_dict() for s in accurate.score_sentences(texts)]
    assert [accurate.score_sentences([t])[0].to_dict() for t in texts] == batch
    assert [s.to_dict() for s in accurate.score_sentences(texts[::-1])][::-1] == batch


def test_scores_follow_the_text(accurate):
    causal, plain = accurate.score_sentences([
        "The drought pushed food prices up because the harvest failed.",
        "The committee met on Tuesday in the capital.",
    ])
    assert causal.causal > 0.5 > plain.causal


def test_windows_cover_every_token():
    assert windows(10, 126, 64) == [(0, 10)]
    assert windows(0, 126, 64) == [(0, 0)]
    spans = windows(300, 126, 64)
    assert spans[0][0] == 0 and spans[-1][1] == 300
    assert all(b - a <= 126 for a, b in spans)
    assert all(a2 <= b1 for (_, b1), (a2, _) in zip(spans, spans[1:]))  # overlapping, no gap


def test_a_sentence_longer_than_the_window_keeps_its_offsets(accurate):
    unit = "The drought pushed prices up because the harvest failed, officials said. "
    text = "Intro. " + unit * 30 + "The end."
    doc = accurate.score_document(text.replace(". The", ", and the").replace(". Intro", ""))
    longest = max(doc.sentences, key=lambda s: len(s.text))
    n_tokens = len(accurate.model.tokenizer.encode(longest.text, add_special_tokens=False).ids)
    assert n_tokens > accurate.model.max_length  # really longer than one window
    assert 0.0 <= longest.causal <= 1.0 and longest.cues
    for c in longest.cues:
        assert doc.text[c.start:c.end] == c.text


def test_flipped_byte_in_the_model_is_refused(tmp_path):
    dst = tmp_path / "accurate"
    shutil.copytree(bundle_path("accurate"), dst)
    for name in ("model.onnx", "tokenizer.json"):
        f = dst / name
        original = f.read_bytes()
        data = bytearray(original)
        data[len(data) // 2] ^= 0xFF
        f.write_bytes(bytes(data))
        with pytest.raises(BundleError, match="checksum"):
            rhetorix.load(dst)
        f.write_bytes(original)
    assert rhetorix.load(dst).model.name.startswith("accurate")


def test_a_fast_bundle_is_not_an_accurate_model():
    with pytest.raises(BundleError, match="not an accurate"):
        AccurateModel(load_bundle(bundle_path("fast")))


def test_missing_encoder_settings_are_reported(tmp_path):
    from rhetorix.bundle import save_bundle

    b = load_bundle(bundle_path("accurate"))
    manifest = {k: v for k, v in b.manifest.items() if k not in ("encoder", "files", "format_version", "tier")}
    out = save_bundle(tmp_path / "b", None, b.lexicon, manifest, tier="accurate",
                      files={"model.onnx": b.path / "model.onnx", "tokenizer.json": b.path / "tokenizer.json"})
    with pytest.raises(BundleError, match="encoder"):
        rhetorix.load(out)


def test_sources_come_from_the_bundles_tagger_graph(tmp_path, accurate):
    """The shipped tagger graph gives the source and cue tags; a manifest without it falls back to model.onnx."""
    from rhetorix.bundle import add_files
    from rhetorix.training.spans import read_own_spans

    enc = accurate.model.bundle.manifest["encoder"]
    assert enc["tagger"]["file"] == "tagger.onnx" and accurate.model.tag_graph == "tagger.onnx"
    dst = tmp_path / "accurate"
    shutil.copytree(bundle_path("accurate"), dst)
    add_files(dst, {}, {"encoder": {k: v for k, v in enc.items() if k != "tagger"}})
    plain = AccurateModel(load_bundle(dst))
    assert plain.tag_graph == "model.onnx" and AccurateModel(load_bundle(dst), sources=False).tag_graph is None
    texts = [t for t, _ in read_own_spans()]
    assert plain.spans(texts) != accurate.model.spans(texts)  # two different token heads
    assert plain.logits(texts)["causal"].tolist() == accurate.model.logits(texts)["causal"].tolist()
    add_files(dst, {}, {"encoder": {**enc, "tagger": {"file": "missing.onnx"}}})
    with pytest.raises(BundleError, match="encoder.tagger"):
        AccurateModel(load_bundle(dst))


_WITHOUT_EXTRA = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("onnxruntime", "tokenizers"):
            raise ImportError(name + " is blocked")
sys.meta_path.insert(0, Block())
import rhetorix
for name in ("accurate", "cascade"):
    try:
        rhetorix.load(name)
    except ImportError as exc:
        assert "pip install 'rhetorix[accurate]'" in str(exc), exc
    else:
        raise AssertionError(name + " loaded without its extra")
from rhetorix import cli
assert cli.main(["score", "--model", "accurate", "data/example_article.txt"]) == 1
print("ok")
"""


def test_without_the_extra_one_clear_error(subprocess_env, repo_root):
    proc = subprocess.run([sys.executable, "-c", _WITHOUT_EXTRA], capture_output=True, text=True,
                          env=subprocess_env, cwd=repo_root, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
    assert "rhetorix[accurate]" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_score_and_batch_with_the_accurate_model(run_cli, tmp_path, repo_root, accurate):
    article = repo_root / "data" / "example_article.txt"
    proc = run_cli(["score", article, "--model", "accurate", "--format", "jsonl"])
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    expected = [s.to_dict() for s in accurate.score_document(article.read_text(encoding="utf-8")).sentences]
    assert [r["text"] for r in records] == [e["text"] for e in expected]
    assert np.allclose([r["causal"] for r in records], [e["causal"] for e in expected])
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": article.read_text(encoding="utf-8")}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = run_cli(["batch", src, "-o", out, "--model", "accurate", "--level", "sentence", "--quiet"])
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["causal"] for r in rows] == [e["causal"] for e in expected]


def test_report_and_dask_paths_take_the_accurate_model(run_cli, tmp_path, repo_root, accurate):
    pd = pytest.importorskip("pandas", reason="the dask extra is not installed")
    from rhetorix.dask import score_partition

    article = repo_root / "data" / "example_article.txt"
    out = tmp_path / "report.html"
    proc = run_cli(["report", article, "--model", "accurate", "-o", out, "--quiet"])
    assert proc.returncode == 0 and "Unattributed causal claims" in out.read_text(encoding="utf-8"), proc.stderr
    text = article.read_text(encoding="utf-8")
    frame = score_partition(pd.DataFrame({"text": [text, None]}), "text", model="accurate")
    assert frame["causal_claims"].tolist() == [accurate.score_document(text).summary["causal_claims"], 0]


def test_techniques_and_their_words(accurate):
    every = rhetorix.load("accurate", thresholds={"Loaded_Language": 0.0, "Name_Calling,Labeling": 0.0})
    text = "These spineless cowards and their sleazy cronies have wrecked our proud nation. Rain fell on Monday."
    loaded, plain = accurate.score_document(text).sentences
    assert set(loaded.techniques) == {"Loaded_Language", "Name_Calling,Labeling"}
    assert loaded.techniques["Loaded_Language"] > plain.techniques["Loaded_Language"]
    assert "Loaded_Language" in loaded.flags["techniques"] and not plain.flags["techniques"]
    marks = [c for s in every.score_document(text).sentences for c in s.cues if c.kind in rhetorix.TECHNIQUES]
    assert marks and all(text[c.start:c.end] == c.text for c in marks)
    states, words = accurate.model.states([text, ""])
    assert states.shape == (2, 768) and words.shape == (len(TokenBatch.split([text]).flat), 384)
