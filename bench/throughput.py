"""Throughput, start-up time and peak memory of rhetorix against two baselines.

A benchmark run by hand, not a test::

    python bench/throughput.py [--n 20000] [--repeat 3] [--warmup 200] [--json PATH]

The same list of sentences is scored, in the same run, by

(a) rhetorix: ``rhetorix.load().score_sentences(sentences)``, i.e. all three
    models (opinion, causal, attribution) plus cue spans and sources; and the
    same with ``rhetorix.load(sources=False)`` (no source tagger);
(b) TextBlob's default PatternAnalyzer: ``TextBlob(x).subjectivity`` per
    sentence (optional: skipped, and said so, when textblob is not importable);
(c) a bare regex word tokenizer, ``re.compile(r"\\w+|[^\\w\\s]").findall(x)``
    per sentence: the floor, it does nothing but split words.

Each system gets a warm-up on the first ``--warmup`` sentences, then
``--repeat`` timed passes over the whole list (``time.perf_counter``, garbage
collector left on, passes interleaved round-robin so that background load hits
every system alike); the best pass counts.  Loading the rhetorix model is not
part of its throughput.

Two further figures come from fresh interpreters (``sys.executable -c``),
median of 5 runs each, timed from just before ``import rhetorix``:

* load + first sentence: ``rhetorix.load().score_sentences([one sentence])``;
* load + one document: ``rhetorix.load().score_document(three sentences)``
  (includes building the sentence segmenter).

Peak memory is the peak RSS (``VmHWM``) of a fresh interpreter that imports rhetorix,
loads it and scores all the sentences (handed over in a temporary JSON file).

Sentences
---------
Real news: the article texts of PolNeAR (``polnear/train/text`` then
``polnear/dev/text``, then the SemEval-2020 PTC ``train-articles``), files in
sorted name order, segmented with :func:`rhetorix.text.segment.segment_spans`; the
first ``--n`` sentences are used.  The corpora folder is ``$RHETORIX_CORPORA``
or ``../shared/corpora`` (see :func:`rhetorix.training.corpora.find_corpora`).  Without
it, our own ``data/sentences.tsv`` is repeated cyclically up to ``--n`` and the
output says so.  No corpus text is written into the repository.

Targets: rhetorix >= 3x TextBlob; tokenizer / rhetorix <= 6;
load + first sentence < 0.5 s; peak RSS < 200 MB.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from _common import REPO, machine_info, news_files, write_json  # noqa: E402  (puts this checkout on sys.path)

import rhetorix  # noqa: E402
from rhetorix.text.segment import segment_spans  # noqa: E402
from rhetorix.training.corpora import find_corpora, read_own  # noqa: E402

# Our own text (not from any corpus) for the start-up measurements.
DOC_3 = (
    "Officials said the storm closed most schools on Monday. "
    "Critics argue that the new plan is reckless and unfair. "
    "Because fuel prices rose, airlines cut several routes."
)
FIRST_SENTENCE = "Officials said the storm closed most schools on Monday."

TARGETS = {
    "rhetorix_over_textblob": 3.0,  # >=
    "tokenizer_over_rhetorix": 6.0,  # <=
    "load_first_sentence_s": 0.5,  # <
    "peak_rss_mb": 200.0,  # <
    "accurate_sent_per_s": 120.0,  # >= on one core
    "accurate_over_torch": 2.0,  # >=
    "accurate_load_first_sentence_s": 2.0,  # <
    "accurate_peak_rss_mb": 500.0,  # <
}
SUBPROCESS_RUNS = 5
TOKEN_RE = re.compile(r"\w+|[^\w\s]")

Scorer = Callable[[List[str]], object]


# ------------------------------------------------------------- sentences
def news_sentences(root: Path, n: int) -> Tuple[List[str], str]:
    """First `n` sentences of the news articles under `root` (fewer if they run out)."""
    out: List[str] = []
    used: Dict[str, int] = {}
    for path in news_files(root):
        text = path.read_text(encoding="utf-8")
        for start, end in segment_spans(text):
            if text[start:end].strip():
                out.append(text[start:end])
        corpus = path.relative_to(root).parts[0]
        used[corpus] = used.get(corpus, 0) + 1
        if len(out) >= n:
            break
    files = ", ".join(f"{k} {v} articles" for k, v in used.items())
    return out[:n], f"news articles in {root} ({files}), segmented with rhetorix.text.segment"


def own_sentences() -> Tuple[List[str], str]:
    """Our labelled sentences from data/sentences.tsv."""
    return [r["text"] for r in read_own() if r["text"]], "rhetorix data/sentences.tsv (own data)"


def cycle_to(items: Sequence[str], n: int) -> List[str]:
    """Repeat `items` cyclically to length `n`."""
    return [items[i % len(items)] for i in range(n)]


def load_sentences(n: int) -> Tuple[List[str], Dict[str, object]]:
    """The benchmark sentences and a description of where they came from."""
    root = find_corpora(None)
    sents, source = news_sentences(root, n) if root is not None else ([], "")
    if not sents:
        sents, source = own_sentences()
    unique = len(sents)
    info = {"source": source, "n": n, "unique": unique, "repeated": unique < n}
    if unique < n:
        sents = cycle_to(sents, n)
    info["mean_chars"] = round(sum(map(len, sents)) / len(sents), 1)
    return sents, info


# ------------------------------------------------------------ throughput
def rhetorix_scorer(sources: bool = True) -> Scorer:
    """rhetorix, all models and cues (and sources unless told not to); the model is loaded here,
    outside the timing."""
    scorer = rhetorix.load(sources=sources)

    def run(sents: List[str]) -> object:
        out = scorer.score_sentences(sents)
        assert len(out) == len(sents)
        return out

    return run


def textblob_scorer() -> Optional[Scorer]:
    """TextBlob PatternAnalyzer subjectivity per sentence, or None without textblob."""
    try:
        from textblob import TextBlob
    except ImportError:
        return None
    return lambda sents: [TextBlob(x).subjectivity for x in sents]


def tokenizer_scorer() -> Scorer:
    """The floor: split each sentence into words and punctuation, nothing else."""
    findall = TOKEN_RE.findall
    return lambda sents: [findall(x) for x in sents]


def time_once(fn: Scorer, sents: List[str]) -> float:
    """Seconds for one pass of `fn` over `sents`."""
    gc.collect()
    t0 = time.perf_counter()
    fn(sents)
    return time.perf_counter() - t0


def measure_throughput(
    systems: Dict[str, Scorer], sents: List[str], repeat: int, warmup: int
) -> Dict[str, Dict[str, object]]:
    """Best-of-`repeat` sentences/s per system, passes interleaved round-robin."""
    for fn in systems.values():
        fn(sents[:warmup])
    times: Dict[str, List[float]] = {name: [] for name in systems}
    for r in range(repeat):
        for name, fn in systems.items():
            times[name].append(time_once(fn, sents))
            print(f"  pass {r + 1}/{repeat} {name:<10} {len(sents) / times[name][-1]:>12,.0f} sent/s",
                  flush=True)
    return {
        name: {"best_s": min(ts), "sent_per_s": len(sents) / min(ts), "all_s": ts}
        for name, ts in times.items()
    }


# ------------------------------------------------------------ subprocess
def _run_python(code: str, *args: str) -> str:
    """Run `code` in a fresh interpreter on this checkout; return its stdout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"subprocess failed ({proc.returncode}):\n{proc.stderr}")
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"subprocess printed nothing:\n{proc.stderr}")
    return lines[-1]


STARTUP_SENTENCE = """\
import sys, time
t0 = time.perf_counter()
import rhetorix
rhetorix.load().score_sentences([sys.argv[1]])
print(time.perf_counter() - t0)
"""

STARTUP_DOCUMENT = """\
import sys, time
t0 = time.perf_counter()
import rhetorix
rhetorix.load().score_document(sys.argv[1])
print(time.perf_counter() - t0)
"""

PEAK_RSS = """\
import json, resource, sys
import rhetorix
with open(sys.argv[1], encoding="utf-8") as fh:
    sents = json.load(fh)
out = rhetorix.load().score_sentences(sents)
assert len(out) == len(sents)
try:  # VmHWM: this process's own peak; ru_maxrss can carry the parent's peak over exec
    with open("/proc/self/status") as fh:
        print(next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")))
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def median_startup(code: str, arg: str, runs: int = SUBPROCESS_RUNS) -> Dict[str, object]:
    """Median seconds over `runs` fresh interpreters running `code` (None if one fails)."""
    try:
        times = [float(_run_python(code, arg)) for _ in range(runs)]
    except RuntimeError as exc:
        print(f"  WARNING: {exc}", file=sys.stderr)
        return {"median_s": None, "all_s": [], "error": str(exc)}
    return {"median_s": statistics.median(times), "all_s": times}


def peak_rss_mb(sents: List[str], code: str = PEAK_RSS) -> Optional[float]:
    """Peak RSS in MB (2**20 bytes) of a fresh interpreter scoring `sents` (None if it fails)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sentences.json"
        path.write_text(json.dumps(sents), encoding="utf-8")
        try:
            maxrss = int(_run_python(code, str(path)))
        except RuntimeError as exc:
            print(f"  WARNING: {exc}", file=sys.stderr)
            return None
    # ru_maxrss is KiB on Linux, bytes on macOS.
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 2**10


# ------------------------------------------------------- the accurate tier
STARTUP_ACCURATE = """\
import sys, time
t0 = time.perf_counter()
import rhetorix
rhetorix.load("accurate").score_sentences([sys.argv[1]])
print(time.perf_counter() - t0)
"""

PEAK_RSS_ACCURATE = PEAK_RSS.replace("rhetorix.load()", 'rhetorix.load("accurate")')


def accurate_systems(checkpoint: Optional[str], tagger_checkpoint: Optional[str] = None) -> Dict[str, Scorer]:
    """The accurate tier and the cascade on one onnxruntime thread, and (with `checkpoint`
    and torch) the same fine-tuned encoder in fp32 PyTorch, one window per forward pass as
    the accurate tier runs it; when the bundle has a tagger graph, its fp32 model
    (`tagger_checkpoint`) runs on every window too, as the accurate tier runs both."""
    from rhetorix.bundle import bundle_path, load_bundle
    from rhetorix.tiers.accurate import AccurateModel
    from rhetorix.tiers.cascade import CascadeModel

    accurate = AccurateModel(load_bundle(bundle_path("accurate")), threads=1)
    cascade = CascadeModel(rhetorix.load("fast").model, accurate)
    systems: Dict[str, Scorer] = {"accurate": accurate.predict, "cascade": cascade.predict}
    if checkpoint:
        try:
            import torch

            from rhetorix.training.teacher import load_trained
        except ImportError as exc:
            print(f"  fp32 PyTorch: skipped ({exc})")
            return systems
        from rhetorix.tiers.accurate import windows

        torch.set_num_threads(1)
        models = [load_trained(Path(checkpoint))[0]]
        if accurate.tag_graph not in (None, "model.onnx"):
            if not tagger_checkpoint:
                print("  fp32 PyTorch: skipped (the bundle has a tagger graph: give --tagger-checkpoint too)")
                return systems
            models.append(load_trained(Path(tagger_checkpoint))[0])
        tokenizer = accurate.tokenizer

        def torch_fp32(sents: List[str]) -> object:
            out = []
            with torch.inference_mode():
                for enc in tokenizer.encode_batch(sents, add_special_tokens=False):
                    for a, b in windows(len(enc.ids), accurate.max_length - 2, accurate.stride):
                        ids = torch.tensor([[accurate.cls_id, *enc.ids[a:b], accurate.sep_id]])
                        out.extend(model(ids, torch.ones_like(ids)) for model in models)
            return out

        systems["torch_fp32"] = torch_fp32
    return systems


def run_accurate(args: argparse.Namespace, sents: List[str]) -> Optional[Dict[str, object]]:
    """Speed, start-up and memory of the accurate tier (None without its extra)."""
    try:
        systems = accurate_systems(args.teacher_checkpoint, args.tagger_checkpoint)
    except ImportError as exc:
        print(f"  accurate tier: skipped ({exc})")
        return None
    sub = sents[:args.accurate_n]
    print(f"\n  accurate tier: {len(sub):,} sentences, one thread, best of {args.accurate_repeat}", flush=True)
    throughput = measure_throughput(systems, sub, args.accurate_repeat, min(args.warmup, 50))
    rate = {k: v["sent_per_s"] for k, v in throughput.items()}
    from rhetorix.bundle import bundle_path

    return {
        "sentences": len(sub),
        "throughput": throughput,
        "accurate_over_torch": rate["accurate"] / rate["torch_fp32"] if "torch_fp32" in rate else None,
        "load_first_sentence": median_startup(STARTUP_ACCURATE, FIRST_SENTENCE),
        "peak_rss_mb": peak_rss_mb(sub, PEAK_RSS_ACCURATE),
        "model_mb": sum(p.stat().st_size for p in bundle_path("accurate").glob("*.onnx")) / 1e6,
    }


# ---------------------------------------------------------------- report
def verdicts(res: Dict[str, object]) -> Dict[str, str]:
    """PASS or FAIL per target; SKIP without textblob, ERROR when a subprocess failed."""
    def check(value: Optional[float], ok: Callable[[float], bool], missing: str = "SKIP") -> str:
        if value is None:
            return missing
        return "PASS" if ok(value) else "FAIL"

    acc = res.get("accurate") or {}
    acc_rate = acc["throughput"]["accurate"]["sent_per_s"] if acc else None
    return {
        "accurate_sent_per_s": check(acc_rate, lambda v: v >= TARGETS["accurate_sent_per_s"]),
        "accurate_over_torch": check(acc.get("accurate_over_torch"),
                                     lambda v: v >= TARGETS["accurate_over_torch"]),
        "accurate_load_first_sentence_s": check(
            (acc.get("load_first_sentence") or {}).get("median_s"),
            lambda v: v < TARGETS["accurate_load_first_sentence_s"]),
        "accurate_peak_rss_mb": check(acc.get("peak_rss_mb"), lambda v: v < TARGETS["accurate_peak_rss_mb"]),
        "rhetorix_over_textblob": check(
            res["rhetorix_over_textblob"], lambda v: v >= TARGETS["rhetorix_over_textblob"]),
        "tokenizer_over_rhetorix": check(
            res["tokenizer_over_rhetorix"], lambda v: v <= TARGETS["tokenizer_over_rhetorix"]),
        "load_first_sentence_s": check(
            res["load_first_sentence"]["median_s"], lambda v: v < TARGETS["load_first_sentence_s"],
            "ERROR"),
        "peak_rss_mb": check(res["peak_rss_mb"], lambda v: v < TARGETS["peak_rss_mb"], "ERROR"),
    }


def _rate(res: Dict[str, object], name: str) -> str:
    tp = res["throughput"].get(name)
    return f"{tp['sent_per_s']:,.0f} sentences/s" if tp else "skipped (textblob not importable)"


def _ratio(v: Optional[float]) -> str:
    return "n/a" if v is None else f"{v:.2f}x"


def _fmt(v: Optional[float], fmt: str) -> str:
    return "error" if v is None else fmt.format(v)


def markdown_table(res: Dict[str, object]) -> str:
    """The figures as a Markdown table with PASS/FAIL per target."""
    v = res["verdicts"]
    runs = SUBPROCESS_RUNS
    rows = [
        ("rhetorix `score_sentences` (all heads, cues, sources, techniques)", _rate(res, "rhetorix"), "", ""),
        ("the same, `rhetorix.load(sources=False)`", _rate(res, "no_sources"), "", ""),
        ("TextBlob PatternAnalyzer subjectivity", _rate(res, "textblob"), "", ""),
        ("bare regex tokenizer", _rate(res, "tokenizer"), "", ""),
        ("rhetorix / TextBlob", _ratio(res["rhetorix_over_textblob"]), ">= 3x",
         v["rhetorix_over_textblob"]),
        ("tokenizer / rhetorix", _ratio(res["tokenizer_over_rhetorix"]), "<= 6x",
         v["tokenizer_over_rhetorix"]),
        ("rhetorix without sources / TextBlob", _ratio(res.get("no_sources_over_textblob")), "", ""),
        (f"import + load + first sentence (median of {runs})",
         _fmt(res["load_first_sentence"]["median_s"], "{:.3f} s"), "< 0.5 s",
         v["load_first_sentence_s"]),
        (f"import + load + `score_document` of 3 sentences (median of {runs})",
         _fmt(res["load_document"]["median_s"], "{:.3f} s"), "", ""),
        (f"peak RSS, scoring {res['sentences']['n']:,} sentences",
         _fmt(res["peak_rss_mb"], "{:.0f} MB"), "< 200 MB",
         v["peak_rss_mb"]),
    ]
    acc = res.get("accurate")
    if acc:
        tp = acc["throughput"]
        n = acc["sentences"]
        rows += [
            (f"accurate tier, one thread ({n:,} sentences)", f"{tp['accurate']['sent_per_s']:,.0f} sentences/s",
             ">= 120/s", v["accurate_sent_per_s"]),
            ("cascade (fast, accurate where fast is unsure), one thread",
             f"{tp['cascade']['sent_per_s']:,.0f} sentences/s", "", ""),
            ("same encoder, fp32 PyTorch, one thread, same batching",
             f"{tp['torch_fp32']['sent_per_s']:,.0f} sentences/s" if "torch_fp32" in tp
             else "skipped (needs torch and --teacher-checkpoint)", "", ""),
            ("accurate / fp32 PyTorch", _ratio(acc["accurate_over_torch"]), ">= 2x", v["accurate_over_torch"]),
            (f"import + load accurate + first sentence (median of {runs})",
             _fmt(acc["load_first_sentence"]["median_s"], "{:.3f} s"), "< 2 s", v["accurate_load_first_sentence_s"]),
            (f"peak RSS of the accurate tier, scoring {n:,} sentences", _fmt(acc["peak_rss_mb"], "{:.0f} MB"),
             "< 500 MB", v["accurate_peak_rss_mb"]),
            ("accurate model files (int8 ONNX graphs)", f"{acc['model_mb']:.1f} MB", "", ""),
        ]
    lines = ["| measure | value | target | result |", "|---|---:|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def print_header(info: Dict[str, object], sent_info: Dict[str, object], args: argparse.Namespace) -> None:
    """Machine and input description."""
    print("rhetorix throughput benchmark")
    print(f"  machine : {info['platform']} ({info['machine']}), {info['cpu_count']} CPUs")
    print(f"  python  : {info['python']}; numpy {info['numpy']}, scikit-learn {info['scikit-learn']}, "
          f"textblob {info['textblob']}, rhetorix {info['rhetorix']}")
    print(f"  input   : {sent_info['n']:,} sentences from {sent_info['source']}; "
          f"mean {sent_info['mean_chars']} characters")
    if sent_info["repeated"]:
        print(f"  NOTE    : only {sent_info['unique']:,} distinct sentences, repeated cyclically "
              f"to {sent_info['n']:,}")
    print(f"  timing  : warm-up {args.warmup} sentences, best of {args.repeat} passes\n", flush=True)


# ------------------------------------------------------------------ main
def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=20000, help="number of sentences (default 20000)")
    p.add_argument("--repeat", type=int, default=3, help="timed passes per system, best counts")
    p.add_argument("--warmup", type=int, default=200, help="warm-up sentences per system")
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    p.add_argument("--accurate-n", type=int, default=2000, help="sentences for the accurate tier (default 2000)")
    p.add_argument("--accurate-repeat", type=int, default=2, help="timed passes of the accurate tier")
    p.add_argument("--no-accurate", action="store_true", help="leave the accurate tier out")
    p.add_argument("--teacher-checkpoint", metavar="DIR",
                   help="a trained teacher folder (model.pt, config.json; rhetorix train --tier accurate) "
                        "for the fp32 PyTorch comparison (needs torch)")
    p.add_argument("--tagger-checkpoint", metavar="DIR",
                   help="the tagger graph's trained folder (tools/tagger_finetune.py OUT/final) for the same "
                        "comparison, when the accurate bundle has a tagger graph")
    args = p.parse_args(argv)
    if args.n < 1 or args.repeat < 1 or args.warmup < 0:
        p.error("--n and --repeat must be >= 1, --warmup >= 0")
    return args


def run(args: argparse.Namespace) -> Dict[str, object]:
    """Run every measurement and return the figures."""
    info = machine_info(("numpy", "scikit-learn", "textblob"))
    sents, sent_info = load_sentences(args.n)
    print_header(info, sent_info, args)

    systems: Dict[str, Scorer] = {"rhetorix": rhetorix_scorer(), "no_sources": rhetorix_scorer(sources=False)}
    tb = textblob_scorer()
    if tb is None:
        print("  TextBlob: skipped (textblob is not importable)")
    else:
        systems["textblob"] = tb
    systems["tokenizer"] = tokenizer_scorer()
    throughput = measure_throughput(systems, sents, args.repeat, args.warmup)

    print("  start-up and memory in fresh interpreters ...", flush=True)
    rate = {k: v["sent_per_s"] for k, v in throughput.items()}
    res: Dict[str, object] = {
        "machine": info,
        "sentences": sent_info,
        "repeat": args.repeat,
        "warmup": args.warmup,
        "throughput": throughput,
        "rhetorix_over_textblob": rate["rhetorix"] / rate["textblob"] if "textblob" in rate else None,
        "tokenizer_over_rhetorix": rate["tokenizer"] / rate["rhetorix"],
        "no_sources_over_textblob": rate["no_sources"] / rate["textblob"] if "textblob" in rate else None,
        "load_first_sentence": median_startup(STARTUP_SENTENCE, FIRST_SENTENCE),
        "load_document": median_startup(STARTUP_DOCUMENT, DOC_3),
        "peak_rss_mb": peak_rss_mb(sents),
        "targets": TARGETS,
    }
    res["accurate"] = None if args.no_accurate else run_accurate(args, sents)
    res["verdicts"] = verdicts(res)
    return res


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    res = run(args)
    print()
    print(markdown_table(res))
    if args.json:
        print(write_json(args.json, res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
