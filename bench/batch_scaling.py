"""How ``rhetorix batch`` scales: input size, worker processes and memory.

A benchmark run by hand, not a test::

    python bench/batch_scaling.py [--repeat 2] [--big-mb 1024 | --skip-big] [--json PATH]

It measures three things, each by running the real command
``python -m rhetorix.cli batch INPUT -o OUTPUT --quiet [--jobs N]`` (document
level) on JSON Lines inputs built in a temporary folder:

1. Scaling (``--jobs 1``): wall time on inputs of 1, 10 and 100 MB of text, and
   the ratio time(10x the size) / time(size), which should be about 10.
2. Parallel: wall time with ``--jobs 2`` and ``--jobs 1`` on the 10 MB input,
   ``--repeat`` runs of each, interleaved; the best run of each counts.
3. Flat memory (``--jobs 1``): peak RSS of the batch process on the 10 MB
   input and on a ``--big-mb`` input (default 1024 MB; about an hour on
   2 cores), and their ratio.

How
---
Every batch run is started by a fresh helper interpreter that runs the
command with :func:`subprocess.run`, times it with ``time.perf_counter`` and
then reads ``resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss``: the peak
RSS of the batch process alone, clean for each run (its CPU seconds are printed too:
with ``--jobs 1``, CPU well below wall time means another process took the
core, and that run's time is not trustworthy).  The wall time therefore
includes interpreter start-up and model loading; that fixed cost is measured
separately (batch on a one-document input, median of 3) and printed, since it
pulls the 10 MB / 1 MB ratio below 10; the ratios net of it are printed too
(the verdicts use the plain ratios).  Each run is checked: exit status 0 and
one output line per input document.  Runs of 10 MB or less are repeated
``--repeat`` times (best counts); the 100 MB and big runs run once.

Inputs
------
Real news: the PolNeAR article texts (``polnear/train/text`` then
``polnear/dev/text``, files in sorted name order), each whole article one
document ``{"id": ..., "text": ...}``, cycled in that order until the text
(UTF-8 bytes of the ``text`` fields) reaches the size; ids are
``"<cycle>/<file name>"``, so unique.  1 MB = 2**20 bytes throughout.  The
corpora folder is ``$RHETORIX_CORPORA`` or ``../shared/corpora`` (see
:func:`rhetorix.training.corpora.find_corpora`).  Without it, our own
``data/sentences.tsv`` is grouped into 20-sentence documents instead, and the
output says so.  Inputs and outputs live in a temporary folder that is removed
at the end; no corpus text is written into the repository.

Targets: time ratios for 10x the
size within 8-12 (about 10); ``--jobs 2`` >= 1.7x ``--jobs 1``; peak RSS on
the big input within 1.5x of the 10 MB input.  Timings on a small shared
machine vary by 10-30 % between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from _common import REPO, machine_info, news_files, write_json  # noqa: E402  (puts this checkout on sys.path)

from rhetorix.training.corpora import find_corpora, read_own  # noqa: E402

MB = 2**20
SIZES_MB = (1, 10, 100)
PARALLEL_MB = 10
MEMORY_MB = 10
STARTUP_RUNS = 3
OWN_DOC_SENTENCES = 20

TARGETS = {
    "scaling_ratio_min": 8.0,  # time(10x) / time(x) within [min, max]
    "scaling_ratio_max": 12.0,
    "jobs2_over_jobs1": 1.7,  # >=
    "rss_big_over_small": 1.5,  # <=
}

# Runs the command in argv[1:]; prints wall seconds, peak RSS and CPU seconds of the child
# (and of the workers it waited for), and its exit status.
HELPER = """\
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "maxrss": ru.ru_maxrss, "cpu_s": ru.ru_utime + ru.ru_stime,
                  "returncode": rc}))
"""

Docs = List[Tuple[str, str]]  # (name, text)
Run = Dict[str, object]


# ---------------------------------------------------------------- inputs
def news_documents(root: Path) -> Tuple[Docs, str]:
    """Whole PolNeAR article texts (train, then dev), in sorted file order."""
    files = news_files(root, ("polnear/train/text", "polnear/dev/text"))
    docs = [(f.name, f.read_text(encoding="utf-8")) for f in files]
    docs = [(name, text) for name, text in docs if text.strip()]
    return docs, f"PolNeAR article texts in {root} ({len(docs)} articles, train then dev)"


def own_documents() -> Tuple[Docs, str]:
    """Our own data/sentences.tsv, grouped into documents of 20 sentences."""
    sents = [str(r["text"]) for r in read_own() if r["text"]]
    docs = [(f"own-{i // OWN_DOC_SENTENCES:04d}", " ".join(sents[i:i + OWN_DOC_SENTENCES]))
            for i in range(0, len(sents), OWN_DOC_SENTENCES)]
    return docs, "rhetorix data/sentences.tsv in 20-sentence documents (own data, NOT news)"


def load_documents() -> Tuple[Docs, str]:
    """The source documents and a description of where they came from."""
    root = find_corpora(None)
    docs, source = news_documents(root) if root is not None else ([], "")
    return (docs, source) if docs else own_documents()


def write_input(path: Path, docs: Docs, size_mb: float) -> Dict[str, object]:
    """Write `docs`, cycled, to JSON Lines `path` until the text reaches `size_mb`."""
    target, text_bytes, n = int(size_mb * MB), 0, 0
    with open(path, "w", encoding="utf-8") as fh:
        while text_bytes < target:
            name, text = docs[n % len(docs)]
            fh.write(json.dumps({"id": f"{n // len(docs)}/{name}", "text": text}) + "\n")
            text_bytes += len(text.encode("utf-8"))
            n += 1
    return {"size_mb": size_mb, "documents": n, "text_mb": text_bytes / MB,
            "file_mb": path.stat().st_size / MB}


# ------------------------------------------------------------------ runs
def _rss_mb(maxrss: int) -> float:
    """ru_maxrss in MB: it is KiB on Linux, bytes on macOS."""
    return maxrss / MB if sys.platform == "darwin" else maxrss / 1024


def run_batch(inp: Path, jobs: int, expect_docs: int) -> Run:
    """One ``rhetorix batch`` run through the helper: seconds and peak RSS (MB)."""
    out = inp.with_suffix(f".out-j{jobs}.jsonl")
    cmd = [sys.executable, "-m", "rhetorix.cli", "batch", str(inp), "-o", str(out),
           "--jobs", str(jobs), "--level", "document", "--quiet"]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, "-c", HELPER, *cmd], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"helper failed ({proc.returncode}):\n{proc.stderr}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    with open(out, "rb") as fh:
        rows = sum(1 for _ in fh)
    out.unlink()
    if res["returncode"] != 0 or rows != expect_docs:
        raise RuntimeError(f"batch on {inp.name} (jobs={jobs}): exit {res['returncode']}, "
                           f"{rows} output rows for {expect_docs} documents\n{proc.stderr}")
    return {"jobs": jobs, "seconds": res["seconds"], "cpu_s": res["cpu_s"],
            "peak_rss_mb": _rss_mb(res["maxrss"])}


def _say(msg: str) -> None:
    print(msg, flush=True)


def timed_runs(inp: Path, info: Dict[str, object], jobs: int, repeat: int) -> List[Run]:
    """`repeat` runs of batch on `inp`, each printed as it ends."""
    runs = []
    for r in range(repeat):
        runs.append(run_batch(inp, jobs, int(info["documents"])))
        _say(f"  {info['size_mb']:>6g} MB jobs={jobs} run {r + 1}/{repeat}: "
             f"{runs[-1]['seconds']:8.1f} s, CPU {runs[-1]['cpu_s']:8.1f} s, "
             f"peak RSS {runs[-1]['peak_rss_mb']:6.1f} MB")
    return runs


def measure_startup(tmp: Path, docs: Docs) -> Dict[str, object]:
    """Median wall time of batch on one short document: start-up and model load."""
    path = tmp / "one.jsonl"
    name, text = min(docs, key=lambda d: len(d[1]))
    path.write_text(json.dumps({"id": name, "text": text}) + "\n", encoding="utf-8")
    times = [float(run_batch(path, 1, 1)["seconds"]) for _ in range(STARTUP_RUNS)]
    return {"median_s": statistics.median(times), "all_s": times}


def _summary(info: Dict[str, object], runs: List[Run]) -> Dict[str, object]:
    fastest = min(runs, key=lambda r: float(r["seconds"]))
    best = float(fastest["seconds"])
    return {**info, "best_s": best, "cpu_s": fastest["cpu_s"], "mb_per_s": float(info["text_mb"]) / best,
            "docs_per_s": int(info["documents"]) / best,
            "peak_rss_mb": max(float(r["peak_rss_mb"]) for r in runs), "runs": runs}


def measure_scaling(tmp: Path, docs: Docs, repeat: int) -> List[Dict[str, object]]:
    """jobs=1 on 1, 10, 100 MB; each row has the time ratio to the previous size."""
    rows: List[Dict[str, object]] = []
    for size in SIZES_MB:
        inp = tmp / f"in-{size}mb.jsonl"
        info = write_input(inp, docs, size)
        row = _summary(info, timed_runs(inp, info, 1, repeat if size <= 10 else 1))
        row["ratio_to_prev"] = row["best_s"] / rows[-1]["best_s"] if rows else None
        rows.append(row)
        if size not in (PARALLEL_MB, MEMORY_MB):
            inp.unlink()
    return rows


def add_net_ratios(rows: List[Dict[str, object]], startup_s: float) -> None:
    """Time ratios to the previous size with the fixed start-up taken off both times."""
    for prev, row in zip(rows, rows[1:]):
        row["net_ratio_to_prev"] = (row["best_s"] - startup_s) / max(prev["best_s"] - startup_s, 1e-9)


def measure_parallel(tmp: Path, info: Dict[str, object], repeat: int) -> Dict[str, object]:
    """jobs=1 and jobs=2 on the same input, interleaved; best of `repeat` each."""
    inp = tmp / f"in-{info['size_mb']}mb.jsonl"
    runs: Dict[int, List[Run]] = {1: [], 2: []}
    for _ in range(repeat):
        for jobs in (1, 2):
            runs[jobs] += timed_runs(inp, info, jobs, 1)
    best = {j: min(float(r["seconds"]) for r in rs) for j, rs in runs.items()}
    return {"size_mb": info["size_mb"], "jobs1_best_s": best[1], "jobs2_best_s": best[2],
            "jobs2_over_jobs1": best[1] / best[2], "runs": runs[1] + runs[2]}


def measure_big(tmp: Path, docs: Docs, big_mb: float) -> Dict[str, object]:
    """One jobs=1 run on the big input (written, run, removed)."""
    inp = tmp / f"in-{big_mb:g}mb.jsonl"
    _say(f"  writing the {big_mb:g} MB input ...")
    info = write_input(inp, docs, big_mb)
    try:
        return _summary(info, timed_runs(inp, info, 1, 1))
    finally:
        inp.unlink()


# ---------------------------------------------------------------- report
def verdicts(res: Dict[str, object]) -> Dict[str, str]:
    """PASS or FAIL per target (SKIP for the memory target without the big run)."""
    lo, hi = TARGETS["scaling_ratio_min"], TARGETS["scaling_ratio_max"]
    out = {}
    for row in res["scaling"][1:]:
        out[f"scaling_{row['size_mb']:g}mb"] = "PASS" if lo <= row["ratio_to_prev"] <= hi else "FAIL"
    out["parallel"] = ("PASS" if res["parallel"]["jobs2_over_jobs1"] >= TARGETS["jobs2_over_jobs1"]
                       else "FAIL")
    ratio = res["memory"]["ratio"]
    out["memory"] = "SKIP" if ratio is None else (
        "PASS" if ratio <= TARGETS["rss_big_over_small"] else "FAIL")
    return out


def scaling_table(res: Dict[str, object]) -> str:
    """Per input size: documents, seconds, MB/s and the time ratio to the previous size."""
    lines = ["| input | text MB | file MB | documents | seconds | CPU s | MB/s | docs/s | peak RSS MB "
             "| time / previous |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    rows = list(res["scaling"]) + ([res["big"]] if res["big"] else [])
    for i, r in enumerate(rows):
        prev = rows[i - 1] if i else None
        ratio = "" if prev is None else (
            f"{r['best_s'] / prev['best_s']:.2f} (size {r['text_mb'] / prev['text_mb']:.2f}x)")
        lines.append(f"| {r['size_mb']:g} MB | {r['text_mb']:.1f} | {r['file_mb']:.1f} | "
                     f"{r['documents']:,} | {r['best_s']:.1f} | {r['cpu_s']:.1f} | {r['mb_per_s']:.3f} | "
                     f"{r['docs_per_s']:.1f} | {r['peak_rss_mb']:.1f} | {ratio} |")
    return "\n".join(lines)


def markdown_table(res: Dict[str, object]) -> str:
    """The final table: figures and PASS/FAIL per target."""
    v, par, mem = res["verdicts"], res["parallel"], res["memory"]
    lo, hi = TARGETS["scaling_ratio_min"], TARGETS["scaling_ratio_max"]
    lines = ["| measure | figure | target | verdict |", "|---|---|---|---|"]
    for r in res["scaling"][1:]:
        size = r["size_mb"]
        lines.append(f"| time({size:g} MB) / time({size / 10:g} MB), jobs=1 | "
                     f"{r['ratio_to_prev']:.2f} (net of start-up: {r['net_ratio_to_prev']:.2f}) | "
                     f"{lo:g}-{hi:g} (about 10) | "
                     f"{v[f'scaling_{size:g}mb']} |")
    lines.append(f"| jobs=2 / jobs=1 throughput, {par['size_mb']:g} MB (best of {res['repeat']}) | "
                 f"{par['jobs2_over_jobs1']:.2f}x ({par['jobs1_best_s']:.1f} s -> {par['jobs2_best_s']:.1f} s) | "
                 f">= {TARGETS['jobs2_over_jobs1']:g}x | {v['parallel']} |")
    big = "skipped" if mem["big_mb"] is None else f"{mem['big_rss_mb']:.1f} MB"
    ratio = "n/a" if mem["ratio"] is None else f"{mem['ratio']:.2f}x"
    lines.append(f"| peak RSS, {MEMORY_MB} MB -> {mem['big_mb'] or '-'} MB input, jobs=1 | "
                 f"{mem['small_rss_mb']:.1f} MB -> {big} ({ratio}) | "
                 f"<= {TARGETS['rss_big_over_small']:g}x | {v['memory']} |")
    return "\n".join(lines)


def print_header(res: Dict[str, object]) -> None:
    m = res["machine"]
    _say(f"machine: {m['platform']}, {m['cpu_count']} CPUs, Python {m['python']}, "
         f"numpy {m['numpy']}, joblib {m['joblib']}, rhetorix {m['rhetorix']}")
    _say(f"documents: {res['source']}")


# ------------------------------------------------------------------ main
def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=2,
                   help="runs of each measurement on inputs <= 10 MB, best counts (default 2)")
    p.add_argument("--big-mb", type=float, default=1024, help="size of the big memory input (default 1024)")
    p.add_argument("--skip-big", action="store_true", help="skip the big input (it takes about an hour)")
    p.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be >= 1")
    return args


def run(args: argparse.Namespace) -> Dict[str, object]:
    """All measurements; the returned dict is what --json writes."""
    docs, source = load_documents()
    res: Dict[str, object] = {"machine": machine_info(("numpy", "joblib")), "source": source, "repeat": args.repeat,
                              "targets": TARGETS}
    print_header(res)
    with tempfile.TemporaryDirectory(prefix="rhetorix-batch-bench-") as tmp_name:
        tmp = Path(tmp_name)
        res["startup"] = measure_startup(tmp, docs)
        _say(f"start-up (batch on one document, median of {STARTUP_RUNS}): "
             f"{res['startup']['median_s']:.2f} s, included in every time below")
        _say("scaling, jobs=1:")
        res["scaling"] = measure_scaling(tmp, docs, args.repeat)
        add_net_ratios(res["scaling"], float(res["startup"]["median_s"]))
        _say("parallel:")
        ten = next(r for r in res["scaling"] if r["size_mb"] == PARALLEL_MB)
        res["parallel"] = measure_parallel(tmp, ten, args.repeat)
        res["big"] = None
        if not args.skip_big:
            _say("memory, big input:")
            res["big"] = measure_big(tmp, docs, args.big_mb)
    small = next(r for r in res["scaling"] if r["size_mb"] == MEMORY_MB)["peak_rss_mb"]
    big = res["big"]["peak_rss_mb"] if res["big"] else None
    res["memory"] = {"small_mb": MEMORY_MB, "small_rss_mb": small,
                     "big_mb": None if big is None else args.big_mb, "big_rss_mb": big,
                     "ratio": None if big is None else big / small}
    res["verdicts"] = verdicts(res)
    return res


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    res = run(args)
    _say("\n" + scaling_table(res))
    _say("\n" + markdown_table(res))
    if args.json:
        _say(write_json(args.json, res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
