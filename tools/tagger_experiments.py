"""The fast tier's span tagger: the settings compared on held-out PolNeAR *train* articles.

A fifth of the PolNeAR train articles (drawn with seed 0) is held out; every
setting is fitted on the rest and scored there (span F1, exact and overlap,
as ``rhetorix evaluate --task sources``).  PolNeAR dev is never read.  The
results are in docs/experiments.md (SP1-SP6; SP6 needs models/teacher_spans.npz).
With today's data/source_spans.txt and span decoding, the SP6 row is the log's SP7,
the shipped tagger's recipe; SP1-SP5 were logged before SP7's changes.

    python tools/tagger_experiments.py [--corpora PATH] [--only SP5,SP6]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rhetorix.bundle import load_bundle
from rhetorix.cues.tagger import lexicon_kinds
from rhetorix.training import corpora as C
from rhetorix.training.spans import (
    OWN_SPAN_COPIES,
    fit_tagger,
    read_own_spans,
    span_predictions,
    span_scores,
    teacher_span_rows,
    teacher_spans_path,
)
from rhetorix.training.teacher_data import read_polnear_spans


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora")
    ap.add_argument("--only", help="comma-separated run names to run, e.g. SP5,SP6")
    args = ap.parse_args()
    root = C.find_corpora(args.corpora)
    lexicon = load_bundle().lexicon
    train = read_polnear_spans(root, "train")
    docs = sorted({e.group for e in train})
    held = set(np.random.default_rng(0).choice(docs, len(docs) // 5, replace=False))
    fit = [e for e in train if e.group not in held]
    test = [e for e in train if e.group in held]
    texts = [e.text for e in test]
    print(f"fit on {len(fit):,} sentences, held out {len(test):,} ({len(held)} articles)")
    own = [(t, sp, f"own-spans-{k}") for k, (t, sp) in enumerate(read_own_spans()) for _ in range(OWN_SPAN_COPIES)]
    pool = []
    if teacher_spans_path().is_file():  # the accurate tier's spans on pool sentences, minus the held-out articles
        pool = [(t, sp, g) for t, sp, g in zip(*teacher_span_rows(root)) if not any(h in g for h in held)]
    runs = [("SP1 one stage", 1.0, False, []), ("SP2 one stage", 0.3, False, []), ("SP3 one stage", 3.0, False, []),
            ("SP4 two stages", 0.3, True, []), ("SP5 two stages + our spans", 0.3, True, own)]
    if pool:
        runs.append((f"SP6 two stages + our spans + the teacher's spans on {len(pool):,} pool sentences", 0.3, True,
                     own + pool))
    only = args.only.split(",") if args.only else None
    for name, C_reg, stacked, extra in runs:
        if only and name.split()[0] not in only:
            continue
        t0 = time.time()
        rows = [(e.text, e.spans, e.group) for e in fit] + extra
        tagger = fit_tagger([r[0] for r in rows], [r[1] for r in rows], lexicon,
                            [r[2] for r in rows] if stacked else None, C_reg=C_reg)
        found = tagger.spans(*lexicon_kinds(texts, lexicon.automaton))
        r = span_scores(span_predictions(found, texts), [e.spans for e in test], texts)
        print(f"{name}, C={C_reg}: source F1 exact {r['source']['exact']['f1']:.3f} overlap "
              f"{r['source']['overlap']['f1']:.3f}; cue F1 exact {r['cue']['exact']['f1']:.3f} overlap "
              f"{r['cue']['overlap']['f1']:.3f}; named vs vague {r['source_kind_accuracy']:.3f} "
              f"({time.time() - t0:.0f}s)", flush=True)


if __name__ == "__main__":
    main()
