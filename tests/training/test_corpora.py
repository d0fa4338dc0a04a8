"""rhetorix.training.corpora: finding the data from anywhere, and our labels on real news."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rhetorix.training import corpora as C


def test_data_and_corpora_are_found_from_another_directory(tmp_path, subprocess_env, repo_root):
    script = ("from rhetorix.training.corpora import own_data_path, find_corpora; "
              "print(own_data_path()); print(find_corpora())")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                          env=subprocess_env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    data, corpora = proc.stdout.splitlines()
    assert data == str(repo_root / "data" / "sentences.tsv")
    if (repo_root.parent / "shared" / "corpora").is_dir() and "RHETORIX_CORPORA" not in subprocess_env:
        assert corpora == str(repo_root.parent / "shared" / "corpora")


def test_held_out_groups_are_never_training_records():
    train = {r.group for r in C.own_records("causal")}
    held = {r.group for r in C.own_records("causal", held_out=True)}
    assert held == {f"own-{g}" for g in C.OWN_HELD_OUT} and not train & held
    assert len(C.own_records("causal", held_out=True)) == 120


@pytest.mark.corpora
def test_news_labels_resolve_to_their_sentences(corpora_root):
    rows = C.read_news_labels(corpora_root)  # raises if any text no longer matches its sha1
    assert len(rows) == 1064
    assert {r["split"] for r in rows if r["corpus"] == "causal-news-corpus"} == {"test"}
    # an article is wholly in one split
    split_of = {}
    for r in rows:
        assert split_of.setdefault(r["group"], r["split"]) == r["split"]
    train = C.news_records(corpora_root, "causal", "train")
    assert len(train) == 544 and {r.source for r in train} == {"news-train"}
