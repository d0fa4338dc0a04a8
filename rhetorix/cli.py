"""The ``rhetorix`` command: ``score``, ``batch``, ``report``, ``train`` and ``evaluate``."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Optional, Sequence, TextIO

from ._version import __version__

__all__ = ["main"]

EXIT_ERROR = 1
EXIT_USAGE = 2


class UserError(Exception):
    """A mistake the user can fix; printed without a traceback."""


def _read_input(name: Optional[str], encoding: str, errors: str = "strict") -> str:
    if name in (None, "-"):
        data = sys.stdin.buffer.read()
        label = "<stdin>"
    else:
        path = Path(name)
        if path.is_dir():
            raise UserError(f"{name}: is a directory, expected a text file")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise UserError(f"{name}: no such file") from None
        except PermissionError:
            raise UserError(f"{name}: permission denied") from None
        except OSError as exc:
            raise UserError(f"{name}: cannot read ({exc.strerror or exc})") from None
        label = name
        if not data:
            raise UserError(f"{name}: empty file (0 bytes)")
    try:
        text = data.decode(encoding, errors)
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{label}: cannot decode as {encoding} at byte {exc.start} ({exc.reason}); "
            "pass --encoding with the file's encoding, or --encoding-errors replace"
        ) from None
    except LookupError:
        raise UserError(f"unknown encoding {encoding!r}") from None
    return text[1:] if text.startswith("\ufeff") else text


def _read_document(name: Optional[str], encoding: str, errors: str = "strict") -> str:
    """:func:`_read_input` for one document: one with no text (only whitespace) is an error, as in batch."""
    text = _read_input(name, encoding, errors)
    if not text.strip():
        raise UserError(f"{'<stdin>' if name in (None, '-') else name}: no text (only whitespace)")
    return text


def _threshold(spec: str):
    """``KIND=VALUE`` of ``--threshold`` as ``(kind, value)``; argparse reports a bad one as a usage error."""
    from .scorer import THRESHOLD_KINDS, check_thresholds

    kind, sep, value = spec.partition("=")
    try:
        if not sep:
            raise ValueError(f"expected KIND=VALUE with KIND one of {', '.join(THRESHOLD_KINDS)}, got {spec!r}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{kind}: {value!r} is not a number") from None
        return next(iter(check_thresholds({kind.strip(): number}).items()))
    except (TypeError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _thresholds(args):
    """The ``--threshold`` options as a dict (the last value of a kind wins), or None."""
    return dict(args.threshold) if args.threshold else None


def _fmt(x: float) -> str:
    return f"{x:.2f}"


def _write_table(results, out: TextIO, summary=None) -> None:
    from .io.rows import plural

    out.write(f"{'#':>3}  {'opin':>5} {'caus':>5} {'attrib':<6} {'unatt':>5}  flags  text\n")
    for i, r in enumerate(results, 1):
        flags = "".join(
            ch if r.flags.get(k) else "."
            for ch, k in (("O", "opinion"), ("C", "causal"), ("U", "unattributed_causal"), ("T", "techniques"))
        )
        text = " ".join(r.text.split())
        if len(text) > 90:
            text = text[:87] + "..."
        out.write(
            f"{i:>3}  {_fmt(r.opinion):>5} {_fmt(r.causal):>5} {r.attribution:<6} "
            f"{_fmt(r.unattributed_causal):>5}  {flags:<5}  {text}\n"
        )
    if summary is not None:
        out.write(
            f"\n{plural(summary['sentences'], 'sentence')}; opinion share {summary['opinion_share']:.0%}; "
            f"{plural(summary['causal_claims'], 'causal claim')}, "
            f"{summary['unattributed_causal_claims']} unattributed; "
            f"{plural(summary.get('techniques', 0), 'persuasion technique flag')}.\n"
            "flags: O opinion, C causal claim, U unattributed causal claim, T a persuasion technique "
            "(--format jsonl names it)\n"
        )


def _write_jsonl(results, out: TextIO) -> None:
    from .io.rows import json_line

    for r in results:
        out.write(json_line(r.to_dict()))


def _write_csv(results, out: TextIO) -> None:
    from .io.rows import SENTENCE_COLUMNS, csv_cell, flat_sentence

    w = csv.writer(out, lineterminator="\n")
    w.writerow(SENTENCE_COLUMNS)
    for r in results:
        w.writerow([csv_cell(v) for v in flat_sentence(r.to_dict()).values()])


def _cmd_score(args) -> int:
    from .errors import BundleError

    read = _read_input if args.sentences else _read_document  # lines are records, blank ones too
    text = read(args.file, args.encoding, args.encoding_errors)
    try:
        scorer = _load_scorer(args)
    except (BundleError, FileNotFoundError, ValueError, ImportError) as exc:
        raise UserError(str(exc)) from None
    summary = None
    if args.sentences:
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()  # a final newline ends the last line; it does not start a new one
        results = scorer.score_sentences([ln[:-1] if ln.endswith("\r") else ln for ln in lines])
    else:
        doc = scorer.score_document(text)
        results, summary = doc.sentences, doc.summary
    out = sys.stdout
    if args.format == "jsonl":
        _write_jsonl(results, out)
    elif args.format == "csv":
        _write_csv(results, out)
    else:
        _write_table(results, out, summary)
    return 0


def _cmd_batch(args) -> int:
    from .batch import run_batch
    from .errors import BatchError, BundleError

    try:
        summary = run_batch(
            args.inputs, args.output, errors=args.errors, jobs=args.jobs, resume=args.resume,
            level=args.level, id_field=args.id_field, text_field=args.text_field,
            input_format=args.input_format, encoding=args.encoding,
            encoding_errors=args.encoding_errors, model=args.model, lexicon_dir=args.lexicon_dir,
            sources=not args.no_sources, thresholds=_thresholds(args),
            dask_scheduler=args.dask_scheduler, progress=False if args.quiet else None,
        )
    except BatchError as exc:
        print(f"rhetorix batch: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (BundleError, FileNotFoundError, ValueError, ImportError) as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"{exc.filename or args.output}: {exc.strerror or exc}") from None
    if not args.quiet:
        print(summary.line(), file=sys.stderr)
    return summary.exit_code


def _cmd_report(args) -> int:
    from .errors import BundleError, ReportError
    from .io.formats import batch_output_format
    from .io.readers import read_batch_output
    from .report.document import document_html
    from .report.index import index_html

    name = args.input
    if batch_output_format(name):
        if not Path(name).is_file():
            raise UserError(f"{name}: no such file")
        try:
            page = index_html(read_batch_output(name), title=args.title)
        except ReportError as exc:
            raise UserError(str(exc)) from None
    else:
        text = _read_document(name, args.encoding, args.encoding_errors)
        try:
            scorer = _load_scorer(args)
        except (BundleError, FileNotFoundError, ValueError, ImportError) as exc:
            raise UserError(str(exc)) from None
        title = args.title or ("rhetorix report" if name == "-" else Path(name).name)
        page = document_html(scorer.score_document(text), title=title)
    out = args.output
    if out is None:
        out = "-" if name == "-" else str(Path(name[:-3] if name.endswith(".gz") else name).with_suffix(".html"))
    if out == "-":
        sys.stdout.write(page)
        return 0
    if name != "-" and Path(out).resolve() == Path(name).resolve():
        raise UserError(f"{out}: refusing to overwrite the input; pass -o")
    try:
        Path(out).write_text(page, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{out}: cannot write ({exc.strerror or exc})") from None
    if not args.quiet:
        print(f"rhetorix: wrote {out}", file=sys.stderr)
    return 0


def _load_scorer(args):
    """The scorer named by ``--model`` and ``--lexicon-dir``."""
    from .scorer import load

    return load(args.model, lexicon_dir=args.lexicon_dir, sources=not args.no_sources, thresholds=_thresholds(args))


def _cmd_train(args) -> int:
    try:
        if args.techniques:
            from .training.techniques import train_techniques as train
        elif args.tier == "accurate":
            from .training.teacher import train_teacher as train
        else:
            from .training.fit import train_bundle as train
    except ImportError as exc:  # the train (or teacher) extra is missing
        raise UserError(str(exc)) from None
    try:
        train(args.output, corpora=args.corpora, verbose=not args.quiet)
    except (FileNotFoundError, ImportError) as exc:
        raise UserError(str(exc)) from None
    return 0


def _cmd_evaluate(args) -> int:
    try:
        from .training.evaluate import TASKS, evaluate, metrics_table
    except ImportError as exc:  # the train extra is missing
        raise UserError(str(exc)) from None
    tiers = args.model or ("fast", "accurate", "cascade")
    systems = ["tfidf_lr", "textblob", *tiers] + (["fast_gold"] if "fast" in tiers else [])
    try:
        results = evaluate(
            corpora=args.corpora,
            metrics_path=args.metrics,
            card_path=args.card,
            tasks=args.task or TASKS,
            verbose=not args.quiet,
            plots_dir=args.plots,
            systems=systems,
        )
    except (FileNotFoundError, ImportError) as exc:
        raise UserError(str(exc)) from None
    print(metrics_table(results))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``rhetorix`` command."""
    parser = argparse.ArgumentParser(
        prog="rhetorix",
        description="Score English sentences for opinion, causal claims and attribution, with cues.",
    )
    parser.add_argument("--version", action="version", version=f"rhetorix {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    # options shared by several commands, written once
    model = argparse.ArgumentParser(add_help=False)
    model.add_argument("--model", metavar="MODEL",
                       help="fast (default: numpy only), accurate (a transformer; needs the accurate extra), "
                            "cascade (fast, and accurate where fast is unsure), or a bundle folder")
    model.add_argument("--lexicon-dir", metavar="DIR", help="folder of <kind>.txt files with extra cue entries")
    model.add_argument("--no-sources", action="store_true",
                       help="do not look for sources (who says so): the fast tier scores about 1.5x as fast")
    model.add_argument("--threshold", action="append", type=_threshold, metavar="KIND=VALUE",
                       help="decision threshold of a flag, KIND one of opinion, causal, unattributed_causal, "
                            "VALUE in [0, 1]: lower flags more (recall), higher fewer (precision); "
                            "repeat for several (default: the model's, see the README)")
    reading = argparse.ArgumentParser(add_help=False)
    reading.add_argument("--encoding", default="utf-8", help="input encoding (default: utf-8)")
    reading.add_argument("--encoding-errors", choices=("strict", "replace"), default="strict",
                         help="undecodable bytes: refuse them (strict, default: an error naming the byte "
                              "offset; in batch, the record is rejected) or replace them with U+FFFD")
    quiet = argparse.ArgumentParser(add_help=False)
    quiet.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    corpora = argparse.ArgumentParser(add_help=False)
    corpora.add_argument("--corpora", metavar="PATH",
                         help="corpora folder (default: $RHETORIX_CORPORA or ../shared/corpora)")

    p = sub.add_parser("score", parents=[model, reading], help="score a document (or one sentence per line)",
                       description="Score a text file or stdin, sentence by sentence.")
    p.add_argument("file", nargs="?", default="-", metavar="FILE", help="text file, or - for stdin (default)")
    p.add_argument("--format", choices=("table", "jsonl", "csv"), default="table",
                   help="output format (default: table)")
    p.add_argument("--sentences", action="store_true",
                   help="treat each input line as one sentence: one record per line, in order; "
                        "offsets are relative to the line")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser(
        "batch", parents=[model, reading, quiet], help="score many documents into JSON Lines, CSV or Parquet",
        description="Score every document of the inputs, streaming, in input order. Exit status: "
                    "0 all records scored, 3 some rejected (see the errors file), 1 error (e.g. an "
                    "unusable model or an unwritable output), 2 usage error (bad options or inputs, or "
                    "another run writing the same output).")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="folder of .txt files (id = relative path), .jsonl or .csv file (.gz too), or - for stdin")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT",
                   help="output file: .jsonl, .csv, or .parquet (needs the parquet extra)")
    p.add_argument("--errors", metavar="PATH", help="rejected records, JSON Lines (default: OUTPUT.errors.jsonl)")
    p.add_argument("--level", choices=("document", "sentence"), default="document",
                   help="one row per document (summary) or per sentence (default: document)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default: 1)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run of the same command")
    p.add_argument("--id-field", default="id", help="id field of JSON Lines/CSV records (default: id)")
    p.add_argument("--text-field", default="text", help="text field of JSON Lines/CSV records (default: text)")
    p.add_argument("--input-format", choices=("auto", "txt", "jsonl", "csv"), default="auto",
                   help="input format (default: by extension; stdin is JSON Lines)")
    p.add_argument("--dask-scheduler", metavar="ADDRESS",
                   help="score on this dask.distributed scheduler (needs the dask extra)")
    p.set_defaults(func=_cmd_batch)

    p = sub.add_parser(
        "report", parents=[model, reading, quiet],
        help="an HTML report of an article, or an index page of batch output",
        description="Write a self-contained HTML page: an article with its sentences tinted by "
                    "opinion, unattributed causal claims marked and cues highlighted; or, for a "
                    "rhetorix batch output file (.jsonl, .csv, .parquet), a sortable index comparing "
                    "its documents.")
    p.add_argument("input", metavar="INPUT",
                   help="article text file, - for stdin, or a batch output file")
    p.add_argument("-o", "--output", metavar="HTML",
                   help="where to write (default: INPUT with .html; stdout for stdin; - for stdout)")
    p.add_argument("--title", help="page heading (default: the file name)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("train", parents=[corpora, quiet], help="train a model tier and save a bundle",
                       description="Train on the shared corpora and our labels (data/). "
                                   "`rhetorix train -o models/fast` reproduces the shipped fast model (it learns "
                                   "from the teacher's labels in models/teacher_labels.npz, so it needs no torch); "
                                   "`rhetorix train --tier accurate -o DIR` trains the teacher (the teacher extra: "
                                   "torch and transformers; about two hours on 2 cores with its cross-validation) "
                                   "and writes DIR/bundle (the accurate bundle: models/accurate), "
                                   "DIR/teacher_labels.npz and DIR/teacher_cv.npz (their place is models/).")
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="bundle folder to write (for --tier accurate: the output folder)")
    p.add_argument("--tier", choices=("fast", "accurate"), default="fast", help="which model (default: fast)")
    p.add_argument("--techniques", action="store_true",
                   help="only fit the persuasion technique heads into the existing bundle DIR (fast or accurate; "
                        "from SemEval PTC, minutes)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("evaluate", parents=[corpora, quiet],
                       help="evaluate the model tiers and the baselines on the corpora",
                       description="Retrain the fast tier and the baselines on the training splits, score "
                                   "the shipped accurate tier and the cascade, and report held-out metrics "
                                   "of all of them in one table.")
    p.add_argument("--metrics", metavar="JSON", help="write metrics to this JSON file")
    p.add_argument("--card", metavar="MD", help="update the metrics table in this model card")
    p.add_argument("--plots", metavar="DIR", help="save reliability diagrams (PNG) here; needs matplotlib")
    p.add_argument("--task", action="append",
                   choices=("opinion", "causal", "attribution", "ours", "sources", "techniques"),
                   help="evaluate only this task (repeatable; ours: the shipped models on our own labels; "
                        "sources: source and cue spans on PolNeAR dev; techniques: persuasion techniques, "
                        "grouped CV on SemEval PTC)")
    p.add_argument("--model", action="append", choices=("fast", "accurate", "cascade"),
                   help="evaluate only this tier, beside the baselines (repeatable; default: all three)")
    p.set_defaults(func=_cmd_evaluate)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args)
    except UserError as exc:
        print(f"rhetorix: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
