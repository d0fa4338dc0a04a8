#!/usr/bin/env python
"""Learn the Punkt parameters of rhetorix's sentence segmenter.

Trains :class:`nltk.tokenize.punkt.PunktTrainer` on raw news text from the
shared corpora and writes ``rhetorix/text/resources/punkt_en.json``: learned
abbreviations, collocations, frequent sentence starters and the
orthographic context of word types, plus a format version and a note of the
training data.  Only single tokens (and pairs of tokens for collocations)
are stored -- never any sentence or other multi-word string of corpus text --
and never a pickle.

Usage (from the repository root)::

    python tools/train_punkt.py                  # ../shared/corpora
    python tools/train_punkt.py --corpora PATH   # or RHETORIX_CORPORA=PATH

The output is deterministic: the same corpora and nltk version give a
byte-identical file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import nltk  # noqa: E402
from nltk.tokenize.punkt import PunktLanguageVars, PunktTrainer  # noqa: E402

from rhetorix.text.segment import FORMAT_VERSION, normalize_for_punkt  # noqa: E402

#: (sub-folder of the corpora root, glob, description) of the training text.
SOURCES = (
    (
        "polnear/train/text",
        "*.txt",
        "PolNeAR (Newell et al. 2018) political news articles, train part; "
        "research use, news text under its publishers' copyright",
    ),
    (
        "semeval2020-ptc/train-articles",
        "*.txt",
        "SemEval-2020 Task 11 propaganda techniques corpus, training "
        "articles; research use",
    ),
)

DEFAULT_OUTPUT = REPO_ROOT / "rhetorix" / "text" / "resources" / "punkt_en.json"
#: Ortho-context entries of word types seen fewer times are dropped (1 keeps
#: all; the file stays well under 1 MB).
DEFAULT_MIN_ORTHO_COUNT = 1
#: Longest token kept in the file (longer ones are URLs and other noise).
MAX_TOKEN_LEN = 40
#: A learned sentence starter is kept only if at least this fraction of its
#: occurrences is lowercase.  Punkt learns personal names ("clinton",
#: "sanders") as frequent sentence starters, which would split "Mrs. Clinton"
#: and "Sen. Sanders"; real starters ("the", "however") are often lowercase.
MIN_STARTER_LOWER_FRACTION = 0.02


def resolve_corpora(cli_value: str | None) -> Path:
    """Corpora root: --corpora, else $RHETORIX_CORPORA, else ../shared/corpora."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get("RHETORIX_CORPORA")
    if env:
        return Path(env)
    return REPO_ROOT.parent / "shared" / "corpora"


def read_documents(root: Path) -> tuple[list[str], list[dict]]:
    """Read and normalise every training document, in sorted path order."""
    docs: list[str] = []
    notes: list[dict] = []
    for sub, pattern, description in SOURCES:
        folder = root / sub
        files = sorted(folder.glob(pattern))
        if not files:
            raise SystemExit(f"no training files matching {folder / pattern}")
        chars = 0
        for path in files:
            text = path.read_text(encoding="utf-8", errors="replace")
            text = normalize_for_punkt(text.replace("\r\n", "\n"))
            docs.append(text)
            chars += len(text)
        notes.append(
            {"corpus": sub, "files": len(files), "characters": chars, "about": description}
        )
    return docs, notes


def _abbrev_like(value: str) -> bool:
    """Letters, digits, periods, hyphens and '&' only, with a letter."""
    return _single_token(value) and any(ch.isalpha() for ch in value) and all(
        ch.isalnum() or ch in ".-&" for ch in value
    )


def lowercase_fractions(docs: list[str], words: set[str]) -> dict[str, float]:
    """Fraction of the occurrences of each of `words` that are lowercase."""
    lang_vars = PunktLanguageVars()
    lower = dict.fromkeys(words, 0)
    total = dict.fromkeys(words, 0)
    for doc in docs:
        for tok in lang_vars.word_tokenize(doc):
            key = tok.lower()
            if key.endswith("."):
                key = key[:-1]
            if key in total:
                total[key] += 1
                if tok[0].islower():
                    lower[key] += 1
    return {w: (lower[w] / total[w] if total[w] else 0.0) for w in words}


def _single_token(value: str) -> bool:
    return bool(value) and len(value) <= MAX_TOKEN_LEN and not any(
        ch.isspace() for ch in value
    )


def train(docs: list[str], min_ortho_count: int) -> dict:
    """Train Punkt on `docs` and return the JSON-ready parameter object."""
    trainer = PunktTrainer()
    # One call so that abbreviation scores use the statistics of all text;
    # documents are separated by a paragraph break.
    trainer.train("\n\n".join(docs), finalize=False)
    trainer.finalize_training()
    params = trainer.get_params()

    type_counts: dict[str, int] = {}
    for typ, count in trainer._type_fdist.items():
        if typ is None:
            continue
        # ortho_context is keyed by the type without a sentence-final period
        key = typ[:-1] if len(typ) > 1 and typ.endswith(".") else typ
        type_counts[key] = type_counts.get(key, 0) + count

    starters = set(params.sent_starters)
    lower_fraction = lowercase_fractions(docs, starters)
    ortho = {
        typ: int(flags)
        for typ, flags in params.ortho_context.items()
        if flags and _single_token(typ) and type_counts.get(typ, 0) >= min_ortho_count
    }
    return {
        "abbrev_types": sorted(a for a in params.abbrev_types if _abbrev_like(a)),
        "collocations": sorted(
            [a, b]
            for a, b in params.collocations
            if _single_token(a) and _single_token(b)
        ),
        "sent_starters": sorted(
            s
            for s in starters
            if _single_token(s) and lower_fraction[s] >= MIN_STARTER_LOWER_FRACTION
        ),
        "ortho_context": dict(sorted(ortho.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpora",
        help="corpora root (default: $RHETORIX_CORPORA or ../shared/corpora)",
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="JSON file to write"
    )
    parser.add_argument(
        "--min-ortho-count",
        type=int,
        default=DEFAULT_MIN_ORTHO_COUNT,
        help="drop ortho_context entries of types seen fewer times (default %(default)s)",
    )
    args = parser.parse_args(argv)

    root = resolve_corpora(args.corpora)
    if not root.is_dir():
        raise SystemExit(f"corpora folder not found: {root}")
    docs, notes = read_documents(root)
    learned = train(docs, args.min_ortho_count)
    data = {
        "format_version": FORMAT_VERSION,
        "trained_on": {
            "trainer": f"nltk {nltk.__version__} PunktTrainer, default settings",
            "corpora": notes,
            "min_ortho_count": args.min_ortho_count,
            "sent_starter_min_lowercase_fraction": MIN_STARTER_LOWER_FRACTION,
            "note": "single word types only; no corpus sentences are stored",
        },
        **learned,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, indent=0, sort_keys=False) + "\n"
    args.output.write_text(text, encoding="utf-8")
    print(
        f"wrote {args.output} ({len(text.encode('utf-8')):,} bytes): "
        f"{len(learned['abbrev_types'])} abbreviations, "
        f"{len(learned['collocations'])} collocations, "
        f"{len(learned['sent_starters'])} sentence starters, "
        f"{len(learned['ortho_context'])} ortho-context types"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
