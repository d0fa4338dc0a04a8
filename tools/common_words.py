"""Build rhetorix/text/resources/common_words.txt and name_words.txt from the distillation pool.

A capitalised word that opens a sentence ("Traders said ...", "Currency
traders said ...") is no evidence of a name when the word is common in lower
case; :func:`rhetorix.cues.sources.source_kind` reads ``common_words.txt`` to
tell "Traders" from "Merkel": every word of letters seen in lower case at least
5 times.  Some of them are names all the same ("trump", "bush", "congress"):
``name_words.txt`` lists the common words that the pool prints capitalised
after a word, a digit or a comma (not where a sentence or a quotation opens)
more often than in lower case, and a source of that one word is named ("Trump
said ...").  Both are derived from the distillation pool
(``models/teacher_labels.npz``: BBC 2004-05, SemEval PTC, PolNeAR train, MPQA),
one word per line, sorted.  No sentence is kept.

    python tools/common_words.py [--corpora PATH]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

from rhetorix.training import corpora as C
from rhetorix.training.distill import TeacherLabels, teacher_labels_path

RESOURCES = Path(__file__).resolve().parents[1] / "rhetorix" / "text" / "resources"
MIN_COUNT = 5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora")
    root = C.find_corpora(ap.parse_args().corpora)
    counts: Counter = Counter()
    capitalised: Counter = Counter()
    for text in TeacherLabels.load(teacher_labels_path()).texts(root):
        counts.update(w for w in re.findall(r"(?<![A-Za-z])[a-z]+(?![A-Za-z])", text) if len(w) > 1)
        capitalised.update(w.lower() for w in re.findall(r"(?<=[A-Za-z0-9,;)] )[A-Z][a-z]+(?![A-Za-z])", text))
    words = sorted(w for w, n in counts.items() if n >= MIN_COUNT)
    names = [w for w in words if capitalised[w] > counts[w]]
    for name, listed, what in (
            ("common_words.txt", words, "words seen in lower case at least 5 times"),
            ("name_words.txt", names, "of those, the words printed capitalised (not opening a sentence) more often")):
        (RESOURCES / name).write_text(f"# {what} in the distillation pool (tools/common_words.py)\n"
                                      + "\n".join(listed) + "\n", encoding="utf-8")
        print(f"{len(listed):,} words -> {RESOURCES / name}")


if __name__ == "__main__":
    main()
