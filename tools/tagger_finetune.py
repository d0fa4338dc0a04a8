"""Fine-tune an encoder for source and cue spans alone (the accurate tier's span tagger).

    python tools/tagger_finetune.py OUT --run fold0 [--epochs 3] [--threads 1]
    python tools/tagger_finetune.py OUT --run final
    python tools/tagger_finetune.py OUT --ship models/accurate

The shipped teacher learns its token head beside three sentence heads, from 6,000 PolNeAR
sentences drawn per epoch (docs/experiments.md T4).  This trains the same architecture
(all-MiniLM-L6-v2, word-level BIO tags of Source and Cue on each word's first word piece)
on the tags alone: every PolNeAR train sentence each epoch (those without an attribution
teach "O"), plus our span sentences (``data/source_spans.txt``, 3 copies per epoch), with
the teacher's optimiser and schedule (``TeacherConfig``).  The model is exported and
quantised like the teacher (``OUT/RUN/bundle``, an accurate bundle whose sentence heads are
untrained and unused).

``--run foldK`` holds out grouped fold K of PolNeAR train (the teacher's folds,
``assign_folds``) and prints the span scores of the int8 model on it, decoded by the
library's runtime (``AccurateModel.spans``, ``span_scores``), to ``OUT/foldK/heldout.json``.
``--run final`` trains on all of PolNeAR train.  ``--ship BUNDLE`` keeps what computes the
``tags`` output of ``OUT/final``'s int8 graph (quantised as :data:`FP32_LAYERS` says;
``tags_graph``) and adds it to the accurate bundle as ``tagger.onnx`` (``add_tag_graph``): the
bundle's sources and cues then come from it.
Needs the teacher extra.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

#: Every MatMul int8: the tags lose nothing measurable to it (held-out fold 0 of the shipped recipe:
#: source F1 exact / overlap 0.697 / 0.834 against 0.699 / 0.835 with the FFN outputs of layers 0-2
#: in fp32, as the teacher keeps them; cue 0.678 / 0.819 against 0.676 / 0.817), and the graph is
#: 23.0 MB instead of 28.3.
FP32_LAYERS: tuple = ()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--run", help="fold0 ... fold4 or final")
    parser.add_argument("--ship", type=Path, help="add OUT/final's tagger graph to this accurate bundle")
    parser.add_argument("--corpora", default=None)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-steps", type=int, default=None, help="stop early (a quick check)")
    args = parser.parse_args(argv)

    from rhetorix.bundle import load_bundle
    from rhetorix.tiers.accurate import AccurateModel
    from rhetorix.training.corpora import find_corpora
    from rhetorix.training.spans import read_own_spans, span_predictions, span_scores
    from rhetorix.training.teacher import (
        TeacherConfig,
        add_tag_graph,
        base_info,
        export_onnx,
        fetch_base,
        load_tokenizer,
        quantize,
        save_run,
        tags_graph,
        train_model,
        write_bundle,
    )
    from rhetorix.training.teacher_data import Example, assign_folds, read_polnear_spans

    if args.ship:
        final = load_bundle(args.out / "final" / "bundle")
        cfg = TeacherConfig.from_dict(json.loads((args.out / "final" / "config.json").read_text(encoding="utf-8")))
        with tempfile.TemporaryDirectory() as tmp:
            graph = tags_graph(final.path / "model.onnx", Path(tmp) / "tagger.onnx")
            add_tag_graph(args.ship, graph, {
                "trained_on": "PolNeAR train (all 28,765 sentences, Source and Cue spans of the first annotator "
                              "per article) and data/source_spans.txt (ours), tags only",
                "made_by": "tools/tagger_finetune.py --run final, then --ship",
                "base": final.manifest["encoder"]["base"],
                "training": {**final.manifest["training"], **{k: v for k, v in cfg.to_dict().items() if k in (
                    "epochs", "lr", "head_lr", "batch_size", "max_length", "per_epoch", "seed")}},
                "quantisation": "onnxruntime quantize_dynamic, int8 per-channel weights, every MatMul"})
        print(f"added the tagger graph of {final.path} to {args.ship}")
        return 0
    if not args.run:
        parser.error("give --run or --ship")
    root = find_corpora(args.corpora)
    polnear = [replace(e, attribution=None) for e in read_polnear_spans(root, "train")]
    own = [Example(text=t, source="own", group=f"own-spans:{i}", uid=f"own-spans:{i}", spans=s)
           for i, (t, s) in enumerate(read_own_spans())]
    folds = assign_folds({"polnear-train": polnear})["polnear-train"]
    if args.run == "final":
        train, held = polnear, []
    elif args.run.startswith("fold") and args.run[4:].isdigit():
        k = int(args.run[4:])
        train = [e for e, f in zip(polnear, folds) if f != k]
        held = [e for e, f in zip(polnear, folds) if f == k]
    else:
        parser.error(f"--run: expected fold0 ... fold4 or final, got {args.run!r}")
    run_dir = args.out / args.run
    run_dir.mkdir(parents=True, exist_ok=True)
    encoder = fetch_base(args.out / "base")
    cfg = TeacherConfig(encoder_path=str(encoder), epochs=args.epochs, max_steps=args.max_steps,
                        fp32_ffn_out_layers=FP32_LAYERS,
                        per_epoch={"polnear-train": 1.0, "own-spans": 3.0},
                        task_weights={"opinion": 0.0, "causal": 0.0, "attribution": 0.0, "tags": 1.0})
    log_file = open(run_dir / "train.log", "a", encoding="utf-8")

    def log(msg: str) -> None:
        print(msg, flush=True)
        log_file.write(msg + "\n")
        log_file.flush()

    tokenizer_json = run_dir / "tokenizer.json"
    load_tokenizer(encoder, cfg.max_length).save(str(tokenizer_json))
    t0 = time.time()
    model = train_model({"polnear-train": train, "own-spans": own}, cfg,
                        load_tokenizer(tokenizer_json, cfg.max_length), args.threads, log)
    seconds = time.time() - t0
    save_run(model, cfg, run_dir)
    with tempfile.TemporaryDirectory(dir=run_dir) as tmp:
        fp32 = export_onnx(model, Path(tmp) / "model.fp32.onnx")
        int8 = quantize(fp32, Path(tmp) / "model.int8.onnx", cfg.fp32_ffn_out_layers)
        bundle = write_bundle(run_dir / "bundle", int8, tokenizer_json, cfg, base=base_info(encoder),
                              extra={"training": {"tags_only": True, "train_seconds": round(seconds, 1)}})
    log(f"{args.run}: trained in {seconds:.0f}s on {len(train):,} PolNeAR sentences; bundle {bundle}")
    if held:
        texts = [e.text for e in held]
        found = AccurateModel(load_bundle(bundle), threads=args.threads).spans(texts)
        res = span_scores(span_predictions(found, texts), [e.spans for e in held], texts)
        res.update(n=len(held), train_seconds=round(seconds, 1))
        (run_dir / "heldout.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
        log(f"held-out fold: source exact/overlap {res['source']['exact']['f1']:.3f} / "
            f"{res['source']['overlap']['f1']:.3f}, cue {res['cue']['exact']['f1']:.3f} / "
            f"{res['cue']['overlap']['f1']:.3f}, named vs vague {res['source_kind_accuracy']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
