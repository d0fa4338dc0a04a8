"""Run the long jobs of ``rhetorix train --tier accurate`` and ``rhetorix evaluate`` in parts.

On 2 cores the teacher's six models train in about an hour when two processes
share the work, and labelling the distillation pool with six models and the
full evaluation take as long again. This script splits each job into parts that
run as separate processes and merges what they write. The shipped
``models/accurate``, ``models/teacher_labels.npz``, ``models/teacher_cv.npz``
and ``models/metrics.json`` were made this way::

    # two processes, one torch thread each (teacher extra)
    python tools/run_in_parts.py train RUN fold0,fold1,fold2 &
    python tools/run_in_parts.py train RUN final,fold3,fold4 &
    wait
    python tools/run_in_parts.py assemble RUN        # calibrate, RUN/bundle, RUN/teacher_cv.npz
    python tools/run_in_parts.py label RUN final,fold0,fold1 &
    python tools/run_in_parts.py label RUN fold2,fold3,fold4 &
    wait
    python tools/run_in_parts.py merge-labels RUN    # RUN/teacher_labels.npz
    cp -r RUN/bundle models/accurate; cp RUN/teacher_*.npz models/
    rhetorix train -o models/fast
    python tools/run_in_parts.py evaluate base.json opinion,causal,attribution fast_gold,tfidf_lr,textblob &
    python tools/run_in_parts.py evaluate causal.json causal fast,accurate,cascade &
    wait
    python tools/run_in_parts.py evaluate rest.json opinion,attribution,ours fast,accurate,cascade
    python tools/run_in_parts.py merge-eval base.json causal.json rest.json

The results are those of the single commands (same data, settings and seeds).
``--encoder DIR`` uses an unpacked base encoder instead of fetching it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _cfg(args):
    from rhetorix.training.teacher import TeacherConfig

    return TeacherConfig(encoder_path=args.encoder)


def _bundle(run: Path, name: str) -> Path:
    return run / "bundle" if name == "final" else run / name / "bundle"


def train(args) -> None:
    from rhetorix.training.teacher import train_teacher

    train_teacher(args.run, corpora=args.corpora, cfg=_cfg(args), threads=1, runs=args.names.split(","),
                  label=False)


def assemble(args) -> None:
    from rhetorix.training.teacher import train_teacher

    print(train_teacher(args.run, corpora=args.corpora, cfg=_cfg(args), threads=1, label=False))


def label(args) -> None:
    from rhetorix.training.distill import pool_sentences, teacher_probabilities

    texts = [s.text for s in pool_sentences(args.corpora)]
    for name in args.names.split(","):
        probs = teacher_probabilities(texts, _bundle(args.run, name), threads=1)
        np.savez(args.run / f"pool_{name}.npz", **probs)
        print(name, "labelled", len(texts), flush=True)


def merge_labels(args) -> None:
    from rhetorix.bundle import sha256_file
    from rhetorix.training.distill import TeacherLabels, pool_sentences, recalibrate
    from rhetorix.training.teacher import fold_bundles

    probs = dict(np.load(args.run / "pool_final.npz"))
    # the fold bundles are uncalibrated: put their P(causal) on the final bundle's temperature
    folds = [np.load(args.run / f"pool_fold{k}.npz") for k in range(len(fold_bundles(args.run)))]
    probs["causal_folds"] = np.stack([recalibrate(f["causal"], f["temperature"], probs["temperature"]) for f in folds])
    pool = pool_sentences(args.corpora)
    path = TeacherLabels.of(pool, probs, sha256_file(args.run / "bundle" / "model.onnx")).save(
        args.run / "teacher_labels.npz")
    print("wrote", path, len(pool))


def evaluate(args) -> None:
    from rhetorix.training.evaluate import evaluate as run

    run(args.corpora, metrics_path=args.out, tasks=args.tasks.split(","), systems=args.systems.split(","))


def merge_eval(args) -> None:
    from rhetorix.training.evaluate import merge_results, write_outputs

    parts = [json.loads(Path(p).read_text(encoding="utf-8")) for p in args.parts]
    write_outputs(merge_results(*parts), ROOT / "models" / "metrics.json", ROOT / "models" / "MODEL_CARD.md",
                  ROOT / "docs" / "img")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpora", default=os.environ.get("RHETORIX_CORPORA", str(ROOT.parent / "shared" / "corpora")))
    p.add_argument("--encoder", metavar="DIR", help="unpacked all-MiniLM-L6-v2 (default: fetch and check it)")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, fn in (("train", train), ("label", label)):
        s = sub.add_parser(name)
        s.add_argument("run", type=Path)
        s.add_argument("names", help="comma-separated: final, fold0 ... fold4")
        s.set_defaults(fn=fn)
    for name, fn in (("assemble", assemble), ("merge-labels", merge_labels)):
        s = sub.add_parser(name)
        s.add_argument("run", type=Path)
        s.set_defaults(fn=fn)
    s = sub.add_parser("evaluate")
    s.add_argument("out", type=Path)
    s.add_argument("tasks")
    s.add_argument("systems")
    s.set_defaults(fn=evaluate)
    s = sub.add_parser("merge-eval", help="merge parts into models/metrics.json, the model card and docs/img")
    s.add_argument("parts", nargs="+")
    s.set_defaults(fn=merge_eval)
    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
