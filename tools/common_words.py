"""Build rhetorix/text/resources/common_words.txt: words news prints in lower case.

A capitalised word that opens a sentence ("Traders said ...", "Currency
traders said ...") is no evidence of a name when the word is common in lower
case; :func:`rhetorix.cues.sources.source_kind` reads this list to tell
"Traders" from "Merkel".  The list is derived from the distillation pool
(``models/teacher_labels.npz``: BBC 2004-05, SemEval PTC, PolNeAR train, MPQA):
every word of letters seen in lower case at least 5 times, one per line, sorted.
No sentence is kept.

    python tools/common_words.py [--corpora PATH]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

from rhetorix.training import corpora as C
from rhetorix.training.distill import TeacherLabels, teacher_labels_path

OUT = Path(__file__).resolve().parents[1] / "rhetorix" / "text" / "resources" / "common_words.txt"
MIN_COUNT = 5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora")
    root = C.find_corpora(ap.parse_args().corpora)
    counts: Counter = Counter()
    for text in TeacherLabels.load(teacher_labels_path()).texts(root):
        counts.update(w for w in re.findall(r"(?<![A-Za-z])[a-z]+(?![A-Za-z])", text) if len(w) > 1)
    words = sorted(w for w, n in counts.items() if n >= MIN_COUNT)
    OUT.write_text("# words seen in lower case at least 5 times in the distillation pool (tools/common_words.py)\n"
                   + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words):,} words -> {OUT}")


if __name__ == "__main__":
    main()
