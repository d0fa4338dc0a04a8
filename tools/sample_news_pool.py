#!/usr/bin/env python
"""Sample the pool of real news sentences that data/news_labels.tsv labels.

Runs of 8 consecutive sentences (of at least 4 words) from 40 BBC articles
(politics 20, business 15, tech 5), 40 SemEval-2020 PTC articles and 30 PolNeAR
train articles, so that annotators see each sentence in context, and 200 single
Causal News Corpus sentences; each keyed by corpus, file and character offsets.
The split (40 % of articles ``test``) is a hash of the article, fixed before
labelling; the CNC sentences are all ``test``.

The pool, with the sentence texts, is written OUTSIDE the repository (it holds
corpus text); only the keys and our labels go into data/news_labels.tsv::

    python tools/sample_news_pool.py --output /tmp/pool.jsonl [--corpora PATH]

The same seed, corpora and segmenter give the same pool.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rhetorix.text.segment import segment_spans  # noqa: E402
from rhetorix.training.corpora import find_corpora  # noqa: E402

SEED = 20261130
RUN = 8


def split_of(doc: str) -> str:
    return "test" if int(hashlib.sha256(doc.encode()).hexdigest(), 16) % 10 < 4 else "train"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", required=True, type=Path, help="JSON Lines file to write (not in the repository)")
    parser.add_argument("--corpora", help="corpora folder (default: $RHETORIX_CORPORA or ../shared/corpora)")
    args = parser.parse_args(argv)
    if REPO in args.output.resolve().parents:
        parser.error("the pool holds corpus text: write it outside the repository")
    root = find_corpora(args.corpora)
    if root is None:
        parser.error("corpora folder not found: pass --corpora PATH or set RHETORIX_CORPORA")
    rng = random.Random(SEED)
    out = []

    def take_run(corpus: str, file: str, text: str) -> None:
        spans = [(s, e) for s, e in segment_spans(text) if len(text[s:e].split()) >= 4]
        if len(spans) < RUN:
            return
        i = rng.randrange(0, len(spans) - RUN + 1)
        doc = f"{corpus}:{file}"
        for s, e in spans[i:i + RUN]:
            out.append({"corpus": corpus, "file": file, "start": s, "end": e, "doc": doc,
                        "split": split_of(doc), "text": text[s:e]})

    csv.field_size_limit(10**9)
    with open(root / "bbc-news-2004-2005" / "train.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for cat, n in (("politics", 20), ("business", 15), ("tech", 5)):
        idx = [i for i, r in enumerate(rows) if r["category"] == cat]
        for i in sorted(rng.sample(idx, n)):
            take_run("bbc-news-2004-2005", f"train.csv#{i}", rows[i]["text"])
    arts = sorted((root / "semeval2020-ptc" / "train-articles").glob("*.txt"))
    for p in sorted(rng.sample(arts, 40)):
        take_run("semeval2020-ptc", f"train-articles/{p.name}", p.read_text(encoding="utf-8"))
    arts = sorted((root / "polnear" / "train" / "text").glob("*.txt"))
    for p in sorted(rng.sample(arts, 30)):
        with open(p, encoding="utf-8", newline="") as fh:
            take_run("polnear", f"train/text/{p.name}", fh.read())
    with open(root / "causal-news-corpus" / "train_subtask1.csv", encoding="utf-8-sig", newline="") as fh:
        cnc = list(csv.DictReader(fh))
    for r in sorted(rng.sample(cnc, 200), key=lambda r: r["index"]):
        t = r["text"]
        out.append({"corpus": "causal-news-corpus", "file": f"train_subtask1.csv#{r['index']}", "start": 0,
                    "end": len(t), "doc": f"cnc:{r['index'].rsplit('_', 1)[0]}", "split": "test", "text": t})
    with open(args.output, "w", encoding="utf-8") as fh:
        for k, r in enumerate(out, 1):
            fh.write(json.dumps({"uid": f"p{k:04d}", **r}, ensure_ascii=False) + "\n")
    print(f"{len(out)} sentences written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
