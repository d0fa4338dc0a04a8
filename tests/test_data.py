"""Tests for the data shipped in the repository (data/) and a check that no corpus text was copied."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from rhetorix.training.corpora import read_own

COLUMNS = ["id", "doc", "text", "opinion", "causal", "attribution"]


@pytest.fixture(scope="module")
def tsv_path(repo_root) -> Path:
    return repo_root / "data" / "sentences.tsv"


@pytest.fixture(scope="module")
def rows(tsv_path):
    with open(tsv_path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return list(reader)


def test_sentences_tsv_format(tsv_path, rows):
    raw = tsv_path.read_bytes()
    assert b"\r" not in raw, "sentences.tsv must use LF line endings"
    assert raw.endswith(b"\n")
    assert not raw.startswith(b"\xef\xbb\xbf"), "no byte order mark"
    raw.decode("utf-8")
    assert rows[0] == COLUMNS
    for n, row in enumerate(rows[1:], start=2):
        assert len(row) == len(COLUMNS), f"line {n}: {len(row)} fields"


def test_sentences_tsv_values(rows):
    body = [dict(zip(COLUMNS, r)) for r in rows[1:]]
    assert len(body) >= 300
    for r in body:
        where = r["id"]
        assert re.fullmatch(r"s\d{4,}", r["id"]), where
        assert re.fullmatch(r"d\d{2,}", r["doc"]), where
        assert r["opinion"] in ("0", "1"), where
        assert r["causal"] in ("0", "1"), where
        assert r["attribution"] in ("named", "vague", "none"), where
        text = r["text"]
        assert text == text.strip() and text, where
        assert "  " not in text, where
        assert len(text.split()) >= 3, where
    ids = Counter(r["id"] for r in body)
    assert [i for i, n in ids.items() if n > 1] == []
    texts = Counter(" ".join(r["text"].lower().split()) for r in body)
    assert [t for t, n in texts.items() if n > 1] == []
    # every label value occurs often enough to be learnable
    for col, values in (("opinion", "01"), ("causal", "01"), ("attribution", ("named", "vague", "none"))):
        counts = Counter(r[col] for r in body)
        for v in values:
            assert counts[v] >= 20, (col, v, counts)


def test_read_own_agrees(tsv_path, rows):
    own = read_own(tsv_path)
    assert len(own) == len(rows) - 1
    assert own[0]["id"] == rows[1][0]
    assert {r["attribution"] for r in own} <= {"named", "vague", "none"}


@pytest.mark.parametrize("name", ["annotation_guide.md", "example_article.txt", "sentences.tsv", "source_spans.txt",
                                  "README.md"])
def test_data_files_exist(repo_root, name):
    p = repo_root / "data" / name
    assert p.is_file()
    assert p.stat().st_size > 200
    p.read_bytes().decode("utf-8")


def test_annotation_guide_covers_labels(repo_root):
    guide = (repo_root / "data" / "annotation_guide.md").read_text(encoding="utf-8").lower()
    for word in ("opinion", "causal", "named", "vague", "none"):
        assert word in guide, word


# ------------------------------------------------------------ corpus text
_SPLIT = re.compile(r'[\n\r\t"]+')
_SKIP_CORPUS_NAMES = re.compile(r"^(license|licence|copying|readme)", re.I)
PREFIX = 60
MIN_LEN = 80
MAX_REPO_FILE = 20 * 1024 * 1024


def _corpus_prefixes(root: Path) -> set:
    prefixes = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or _SKIP_CORPUS_NAMES.match(path.name) or path.suffix == ".py":
            continue
        try:
            text = path.read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        for piece in _SPLIT.split(text):
            s = " ".join(piece.split())
            if len(s) < MIN_LEN or s.count(" ") < 8:
                continue
            letters = sum(ch.isalpha() for ch in s)
            if letters < 0.6 * len(s):
                continue  # ids, offsets, numbers: not sentence-like
            prefixes.add(s[:PREFIX])
    return prefixes


def _repo_text_files(repo_root: Path):
    if shutil.which("git") is None:
        pytest.skip("git not found")
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=repo_root, capture_output=True, check=True, timeout=60,
        ).stdout
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"not a usable git checkout ({exc})")
    for name in out.decode("utf-8", "surrogateescape").split("\0"):
        if not name:
            continue
        path = repo_root / name
        if not path.is_file() or path.stat().st_size > MAX_REPO_FILE:
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        try:
            yield name, data.decode("utf-8")
        except UnicodeDecodeError:
            yield name, data.decode("latin-1")


@pytest.mark.corpora
def test_no_corpus_text_in_repo(corpora_root, repo_root):
    prefixes = _corpus_prefixes(corpora_root)
    assert len(prefixes) > 1000, "found too few corpus sentences; is the corpora folder complete?"
    hits = []
    checked = 0
    for name, text in _repo_text_files(repo_root):
        norm = " ".join(text.split())
        checked += 1
        for i in range(0, max(0, len(norm) - PREFIX + 1)):
            if norm[i:i + PREFIX] in prefixes:
                hits.append(f"{name}: {norm[i:i + PREFIX]!r}")
                break
    assert checked > 10
    assert hits == [], "corpus text found in the repository:\n" + "\n".join(hits)


def test_corpus_prefix_scan_detects_a_copy(tmp_path):
    """The scanner itself works: a fake corpus sentence is found after whitespace changes."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    sentence = ("The harbour pilots of the invented town of Qorvell refused to guide the grain barges "
                "upstream after the spring floods.")
    (corpus / "fake.tsv").write_text(f"id\ttext\n7\t\"{sentence}\"\n", encoding="utf-8")
    prefixes = _corpus_prefixes(corpus)
    assert prefixes == {sentence[:PREFIX]}
    copied = "Intro.\n" + sentence.replace(" of the ", " of\n  the ")
    norm = " ".join(copied.split())
    assert any(norm[i:i + PREFIX] in prefixes for i in range(len(norm) - PREFIX + 1))


def test_model_card_states_the_measured_precision_and_recall(repo_root):
    """The card's "What to expect" table is models/metrics.json's end-to-end figures, not typed by hand."""
    card = (repo_root / "models" / "MODEL_CARD.md").read_text(encoding="utf-8")
    ours = json.loads((repo_root / "models" / "metrics.json").read_text(encoding="utf-8"))["ours"]
    section = card[card.index("## What to expect at the shipped thresholds"):card.index("## Misuse")]
    rows = [ln for ln in section.splitlines() if ln.startswith("| ") and "/" in ln.split("|")[3]]
    sets = {"news": "news_test", "our held-back": "own_held_out", "protest news": "cnc_relabelled"}
    current = None
    assert len(rows) == 8
    for row in rows:
        flag, text, fast, accurate = [c.strip() for c in row.strip("|").split("|")]
        current = next((v for k, v in sets.items() if text.startswith(k)), current)
        key = flag.replace(" ", "_")
        for tier, cell in (("fast", fast), ("accurate", accurate)):
            m = ours[tier][current][key]
            assert cell == f"{m['precision']:.2f} / {m['recall']:.2f}", (flag, text, tier)


EXPERIMENT_REF = re.compile(r"experiments\.md[\s,:(]*((?:[A-Z]{1,2}\d+)(?:\s*(?:-|–|,|and)\s*[A-Z]{1,2}\d+)*)")


def test_every_cited_experiment_has_a_row(repo_root):
    """Each run that README, model card, code or tools cite as docs/experiments.md X is a row there."""
    log = (repo_root / "docs" / "experiments.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| ([A-Z]{1,2}\d+) \|", log, flags=re.M))
    files = [repo_root / "README.md", repo_root / "models" / "MODEL_CARD.md"]
    files += sorted((repo_root / "rhetorix").rglob("*.py")) + sorted((repo_root / "tools").glob("*.py"))
    cited = {}
    for path in files:
        for refs in EXPERIMENT_REF.findall(path.read_text(encoding="utf-8")):
            for ref in re.findall(r"[A-Z]{1,2}\d+", refs):
                cited.setdefault(ref, path.name)
    assert len(cited) >= 8
    assert {ref: name for ref, name in cited.items() if ref not in rows} == {}
