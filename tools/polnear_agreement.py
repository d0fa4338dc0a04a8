"""How far PolNeAR's annotators agree on Source and Cue spans: a ceiling for the span finders.

PolNeAR has 18 articles (16 in train, 2 in dev) that five or six people annotated.  On
those, each further annotator's spans are scored against the first
annotator's (the gold of ``rhetorix evaluate --task sources``) with the same
:func:`rhetorix.training.spans.span_scores`, pooled over annotators.

    python tools/polnear_agreement.py [--corpora PATH]
"""

from __future__ import annotations

import argparse

from rhetorix.cues.sources import source_kind_in
from rhetorix.training import corpora as C
from rhetorix.training.spans import span_scores
from rhetorix.training.teacher_data import read_polnear_spans


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora")
    root = C.find_corpora(ap.parse_args().corpora)
    pred, gold, texts = [], [], []
    articles = set()
    for split in ("train", "dev"):
        first = {e.uid: e for e in read_polnear_spans(root, split)}
        for k in range(1, 6):
            for e in read_polnear_spans(root, split, annotator=k):
                ref = first[e.uid]
                articles.add(e.group)
                pred.append([(a, b, kind, source_kind_in(e.text, a, b) if kind == "SRC" else None)
                             for a, b, kind in e.spans])
                gold.append(ref.spans)
                texts.append(ref.text)
    r = span_scores(pred, gold, texts)
    print(f"{len(articles)} articles, {len(texts):,} sentence-annotator pairs")
    for kind in ("source", "cue"):
        for match in ("exact", "overlap"):
            v = r[kind][match]
            print(f"{kind} {match}: F1 {v['f1']:.3f} (P {v['precision']:.3f}, R {v['recall']:.3f})")
    print(f"named vs vague of matched sources: {r['source_kind_accuracy']:.3f} ({r['source_kind_n']})")


if __name__ == "__main__":
    main()
