"""rhetorix batch: inputs, outputs, errors, parallel workers and resuming after kill -9."""

from __future__ import annotations

import csv
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rhetorix import cli
from rhetorix.batch import BatchError, iter_records, run_batch, score_stream
from rhetorix.io.rows import DOCUMENT_COLUMNS, SENTENCE_COLUMNS
from rhetorix.training.corpora import read_own

DOCS = [
    ("a", "Sanctions caused the crisis, experts say. The plan was approved on 3 May."),
    ("b", "Clearly, the plan is a disaster! According to the World Bank, prices rose 4%."),
    ("c", "The vote was held on Tuesday."),
]


def write_jsonl(path: Path, docs, extra_lines=()) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for rid, text in docs:
            fh.write(json.dumps({"id": rid, "text": text}) + "\n")
        for line in extra_lines:
            fh.write(line + "\n")
    return path


def read_jsonl(path: Path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def run_cli(args, capsys):
    code = cli.main(["batch", *map(str, args)])
    return code, capsys.readouterr()


# ------------------------------------------------------------------ inputs
def test_folder_of_txt_files_ids_are_relative_paths(tmp_path, capsys):
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "one.txt").write_text(DOCS[0][1], encoding="utf-8")
    with gzip.open(root / "sub" / "two.txt.gz", "wt", encoding="utf-8") as fh:
        fh.write(DOCS[1][1])
    (root / "ignored.md").write_text("not a document", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, res = run_cli([root, "-o", out], capsys)
    assert code == 0, res.err
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["one.txt", "sub/two.txt.gz"]
    assert list(rows[0]) == ["id", *DOCUMENT_COLUMNS]
    assert rows[0]["sentences"] == 2
    assert "2 documents scored" in res.err and "0 rejected" in res.err


def test_jsonl_csv_and_gzip_inputs_give_the_same_rows(tmp_path, capsys):
    jl = write_jsonl(tmp_path / "in.jsonl", DOCS)
    gz = tmp_path / "in.jsonl.gz"
    gz.write_bytes(gzip.compress(jl.read_bytes()))
    with open(tmp_path / "in.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["doc", "body"])
        w.writerows(DOCS)
    outs = []
    for src, extra in ((jl, []), (gz, []), (tmp_path / "in.csv", ["--id-field", "doc", "--text-field", "body"])):
        out = tmp_path / f"{src.name}.out.jsonl"
        code, res = run_cli([src, "-o", out, *extra], capsys)
        assert code == 0, res.err
        outs.append(read_jsonl(out))
    assert outs[0] == outs[1] == outs[2]
    assert [r["id"] for r in outs[0]] == ["a", "b", "c"]


def test_stdin_input(tmp_path):
    data = "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in DOCS)
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([sys.executable, "-m", "rhetorix.cli", "batch", "-", "-o", str(out)],
                          input=data.encode(), capture_output=True, cwd=Path(__file__).parents[1])
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in read_jsonl(out)] == ["a", "b", "c"]


# ------------------------------------------------------------------ outputs
def test_sentence_level_rows_match_score_document(tmp_path, capsys):
    import rhetorix

    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    out = tmp_path / "out.jsonl"
    code, _ = run_cli([src, "-o", out, "--level", "sentence"], capsys)
    assert code == 0
    rows = read_jsonl(out)
    expected = []
    for rid, text in DOCS:
        doc = rhetorix.load().score_document(text)
        expected += [{"id": rid, "sentence_index": k, **s.to_dict()} for k, s in enumerate(doc.sentences)]
    assert rows == json.loads(json.dumps(expected))
    for r in rows:  # offsets index the document
        assert dict(DOCS)[r["id"]][r["start"]:r["end"]] == r["text"]


@pytest.mark.parametrize("level", ["document", "sentence"])
def test_csv_output(tmp_path, capsys, level):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    out = tmp_path / "out.csv"
    assert run_cli([src, "-o", out, "--level", level], capsys)[0] == 0
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = ["id", *DOCUMENT_COLUMNS] if level == "document" else ["id", "sentence_index", *SENTENCE_COLUMNS]
    assert rows[0] == header
    assert len(rows) == 1 + (3 if level == "document" else 5)


def test_parquet_output(tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet", reason="parquet extra not installed")
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    out = tmp_path / "out.parquet"
    assert run_cli([src, "-o", out, "--level", "sentence"], capsys)[0] == 0
    table = pq.read_table(out)
    assert table.num_rows == 5
    assert table.column_names == ["id", "sentence_index", *SENTENCE_COLUMNS]


def test_unknown_output_extension_is_a_usage_error(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    code, res = run_cli([src, "-o", tmp_path / "out.txt"], capsys)
    assert code == 2 and ".jsonl, .csv or .parquet" in res.err


# ------------------------------------------------------------------ bad input
def test_bad_records_go_to_the_errors_file_and_good_ones_are_kept(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS[:1], [
        '{"id": "empty", "text": "   "}',
        "{not json",
        '{"text": "no id"}',
        '{"id": "noText"}',
        '{"id": "num", "text": 42}',
        '["a", "list"]',
        "",
    ])
    with open(src, "ab") as fh:
        fh.write(b'{"id": "bytes", "text": "caf\xe9"}\n')
        fh.write(json.dumps({"id": "last", "text": DOCS[2][1]}).encode() + b"\n")
    out = tmp_path / "out.jsonl"
    code, res = run_cli([src, "-o", out], capsys)
    assert code == 3
    assert [r["id"] for r in read_jsonl(out)] == ["a", "last"]
    errors = read_jsonl(Path(str(out) + ".errors.jsonl"))
    assert [(e["line"], e["id"]) for e in errors] == [
        (2, "empty"), (3, None), (4, None), (5, "noText"), (6, "num"), (7, None), (9, None)
    ]
    reasons = [e["reason"] for e in errors]
    assert reasons[0] == "empty text"
    assert reasons[1].startswith("invalid JSON")
    assert reasons[2] == "missing field 'id'"
    assert reasons[3] == "missing field 'text'"
    assert reasons[4] == "text is int, expected a string"
    assert reasons[5] == "expected a JSON object, got list"
    assert reasons[6].startswith("undecodable bytes at byte")
    assert all(e["input"] == str(src) for e in errors)
    assert "7 rejected" in res.err


def test_encoding_errors_replace_keeps_the_record(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "bytes", "text": "Prices rose in caf\xe9s."}\n')
    out = tmp_path / "out.jsonl"
    code, _ = run_cli([src, "-o", out, "--encoding-errors", "replace"], capsys)
    assert code == 0 and [r["id"] for r in read_jsonl(out)] == ["bytes"]


def test_csv_missing_column_and_bad_row(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("id,text\na,Prices rose.\nb\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _ = run_cli([src, "-o", out], capsys)
    assert code == 3
    assert [r["id"] for r in read_jsonl(out)] == ["a"]
    [err] = read_jsonl(Path(str(out) + ".errors.jsonl"))
    assert err["line"] == 3 and "expected 2 fields" in err["reason"]


def test_empty_input_file_is_reported(tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    good = write_jsonl(tmp_path / "good.jsonl", DOCS[:1])
    out = tmp_path / "out.jsonl"
    code, res = run_cli([empty, good, "-o", out], capsys)
    assert code == 3 and [r["id"] for r in read_jsonl(out)] == ["a"]
    [err] = read_jsonl(Path(str(out) + ".errors.jsonl"))
    assert err["input"] == str(empty) and err["reason"] == "empty file (0 bytes)"


def test_missing_input_is_a_usage_error(tmp_path, capsys):
    code, res = run_cli([tmp_path / "nope.jsonl", "-o", tmp_path / "o.jsonl"], capsys)
    assert code == 2 and "no such file" in res.err


def test_iter_records_rejects_unknown_format():
    with pytest.raises(BatchError, match="unknown input format"):
        list(iter_records(["x"], input_format="xml"))


# ------------------------------------------------------------------ python API
def test_score_stream_is_lazy_and_ordered():
    consumed = []

    def items():
        for rid, text in DOCS:
            consumed.append(rid)
            yield rid, text

    rows = score_stream(items(), level="document")
    assert consumed == []  # nothing read before the first row is asked for
    assert [r["id"] for r in rows] == ["a", "b", "c"]


def test_score_stream_rejects_non_text():
    with pytest.raises(TypeError, match=r"item 1 \(id 'x'\): text is NoneType"):
        list(score_stream([("a", "Fine."), ("x", None)]))


def test_two_jobs_give_the_same_output_as_one(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", many_docs(150))
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    run_batch([str(src)], str(one), level="sentence", progress=False)
    s2 = run_batch([str(src)], str(two), level="sentence", jobs=2, progress=False)
    assert s2.documents == 150
    assert one.read_bytes() == two.read_bytes()


def test_progress_bar_and_quiet(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    run_batch([str(src)], str(tmp_path / "o.jsonl"), progress=True)
    assert "documents" in capsys.readouterr().err
    code, res = run_cli([src, "-o", tmp_path / "o2.jsonl", "--quiet"], capsys)
    assert code == 0 and res.err == ""


# ------------------------------------------------------------------ resume
def many_docs(n: int):
    """n documents of several of our own sentences each (deterministic)."""
    own = [r["text"] for r in read_own()]
    return [(f"doc{i:05d}", " ".join(own[(i * 7 + k) % len(own)] for k in range(6))) for i in range(n)]


def _batch_cmd(src: Path, out: Path, *extra: str):
    return [sys.executable, "-m", "rhetorix.cli", "batch", str(src), "-o", str(out), "--quiet",
            "--level", "sentence", *extra]


@pytest.mark.parametrize("kill_after_lines", [1, 400, 2500])
def test_resume_after_kill_9_gives_every_record_exactly_once(tmp_path, kill_after_lines):
    docs = many_docs(700)
    src = write_jsonl(tmp_path / "in.jsonl", docs, ['{"id": "broken"'])  # one rejected record too
    ref = tmp_path / "ref.jsonl"
    run_batch([str(src)], str(ref), level="sentence", progress=False)
    out = tmp_path / "out.jsonl"
    cwd = Path(__file__).parents[1]
    proc = subprocess.Popen(_batch_cmd(src, out), cwd=cwd)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= kill_after_lines:
            break
        time.sleep(0.005)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    resumed = subprocess.run(_batch_cmd(src, out, "--resume"), cwd=cwd, capture_output=True)
    assert resumed.returncode == 3, resumed.stderr  # 3: the broken record was rejected
    assert out.read_bytes() == ref.read_bytes()
    assert read_jsonl(Path(str(out) + ".errors.jsonl")) == read_jsonl(Path(str(ref) + ".errors.jsonl"))
    assert not Path(str(out) + ".resume.json").exists()


def test_resume_refuses_a_different_command(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    out = tmp_path / "out.jsonl"
    Path(str(out) + ".resume.json").write_text(json.dumps({"version": 1, "options": {}}), encoding="utf-8")
    out.write_text("", encoding="utf-8")
    code, res = run_cli([src, "-o", out, "--resume"], capsys)
    assert code == 2 and "different command" in res.err


def test_resume_refuses_a_run_started_by_the_previous_format(tmp_path, capsys):
    # version 1 document rows had no `words` column: resuming would mix two row shapes
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    out = tmp_path / "out.csv"
    code, _ = run_cli([src, "-o", out], capsys)
    assert code == 0
    options = {"inputs": [str(src)], "level": "document", "id_field": "id", "text_field": "text",
               "input_format": "auto", "encoding": "utf-8", "encoding_errors": "strict",
               "errors": str(out) + ".errors.jsonl"}
    state = {"version": 1, "options": options, "records": 1, "output_bytes": 10, "errors_bytes": 0,
             "documents": 1, "sentences": 1, "rejected": 0, "bytes": 10}
    Path(str(out) + ".resume.json").write_text(json.dumps(state), encoding="utf-8")
    before = out.read_bytes()
    code, res = run_cli([src, "-o", out, "--resume"], capsys)
    assert code == 2 and "different command" in res.err
    assert out.read_bytes() == before  # nothing was cut or appended


def test_resume_refuses_finished_output(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    out = tmp_path / "out.jsonl"
    assert run_cli([src, "-o", out], capsys)[0] == 0
    code, res = run_cli([src, "-o", out, "--resume"], capsys)
    assert code == 2 and "no resume state" in res.err


# ------------------------------------------------------- workers and locks
def _children(pid: int):
    """Pids of the live descendants of `pid` (Linux /proc; zombies count as gone)."""
    parents = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[0] != "Z":
                parents[int(d.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from Linux /proc")
def test_no_worker_outlives_a_killed_batch(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", many_docs(3000))
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(_batch_cmd(src, out, "--jobs", "2"), cwd=Path(__file__).parents[1])
    deadline = time.monotonic() + 120
    children = set()
    while time.monotonic() < deadline and proc.poll() is None:
        children |= _children(proc.pid)
        if out.exists() and out.read_bytes().count(b"\n") >= 200:  # the workers are scoring
            break
        time.sleep(0.05)
    children |= _children(proc.pid)
    assert proc.poll() is None, "the run finished before it could be killed"
    assert len(children) >= 2, children  # two workers at least
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in children):
        time.sleep(0.1)
    left = [p for p in children if _alive(p)]
    for p in left:  # do not leave them to the next test
        os.kill(p, signal.SIGKILL)
    assert not left, f"processes still alive 10 s after the run was killed: {left}"


def test_a_second_run_on_the_same_output_is_refused(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", many_docs(1500))
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(_batch_cmd(src, out), cwd=Path(__file__).parents[1])
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not Path(str(out) + ".resume.json").exists():
            time.sleep(0.01)  # locked, and far enough to be resumed
        assert proc.poll() is None
        code, res = run_cli([src, "-o", out], capsys)
        assert code == 2
        assert f"{out} is being written by another rhetorix batch run (pid {proc.pid})" in res.err
        assert res.err.count("\n") == 1
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    # the kill left the lock file, but not the lock: the next run goes ahead
    assert Path(str(out) + ".lock").exists()
    code, _ = run_cli([src, "-o", tmp_path / "fresh.jsonl", "--quiet"], capsys)
    assert code == 0
    assert run_cli([src, "-o", out, "--resume", "--level", "sentence", "--quiet"], capsys)[0] == 0
    assert not Path(str(out) + ".lock").exists()  # removed when a run ends


def test_a_missing_output_folder_is_made(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS[:1])
    out = tmp_path / "new" / "deeper" / "scores.jsonl"
    code, res = run_cli([src, "-o", out], capsys)
    assert code == 0, res.err
    assert len(read_jsonl(out)) == 1
    assert "1 document scored (" in res.err and "sentences/s" in res.err


def test_thresholds_set_the_flags_of_the_output(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    low, high = tmp_path / "low.jsonl", tmp_path / "high.jsonl"
    assert run_cli([src, "-o", low, "--level", "sentence", "--threshold", "causal=0", "--quiet"], capsys)[0] == 0
    assert run_cli([src, "-o", high, "--level", "sentence", "--threshold", "causal=1", "--quiet"], capsys)[0] == 0
    assert all(r["flags"]["causal"] for r in read_jsonl(low))
    assert not any(r["flags"]["causal"] for r in read_jsonl(high))
    rows = list(score_stream(DOCS, level="sentence", thresholds={"causal": 0.0}))
    assert all(r["flags"]["causal"] for r in rows)
    with pytest.raises(BatchError, match="unknown threshold"):
        run_batch([str(src)], str(tmp_path / "x.jsonl"), thresholds={"causality": 0.5})
