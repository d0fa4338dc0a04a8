"""Tests for the ``rhetorix`` command line (rhetorix.cli)."""

from __future__ import annotations

import csv
import io
import json
import re
import sys

import pytest

import rhetorix
from rhetorix import cli
from rhetorix.io.rows import SENTENCE_COLUMNS

KEYS = {
    "text", "start", "end", "opinion", "causal", "attribution", "attribution_scores",
    "unattributed_causal", "flags", "cues", "sources", "techniques",
}
# five lines: an empty one in the middle, one ending in CRLF, non-ASCII text, no final newline
FIVE_LINES = ["The levy caused fares to rise.", "Frankly, it is a disgrace.", "",
              "Many analysts said the ferry was late.", "Caf\u00e9 owners blamed the rain."]
FIVE_INPUT = (
    FIVE_LINES[0] + "\n" + FIVE_LINES[1] + "\n" + FIVE_LINES[2] + "\n" + FIVE_LINES[3] + "\r\n" + FIVE_LINES[4]
).encode("utf-8")
BAD_BYTES = b"Prices rose \xff\xfe sharply in the caf\xe9.\n"


@pytest.fixture(scope="module")
def article(repo_root):
    return repo_root / "data" / "example_article.txt"


@pytest.fixture
def bad_file(tmp_path):
    p = tmp_path / "latin1_input.txt"
    p.write_bytes(BAD_BYTES)
    return p


def parse_jsonl(out: str):
    lines = [ln for ln in out.split("\n") if ln != ""]
    return [json.loads(ln) for ln in lines]


def check_record(rec):
    assert set(rec) == KEYS
    assert all(isinstance(rec["flags"][k], bool) for k in ("opinion", "causal", "unattributed_causal"))
    assert set(rec["flags"]["techniques"]) <= set(rec["techniques"])
    assert set(rec["flags"]) == {"opinion", "causal", "unattributed_causal", "techniques"}
    assert rec["attribution"] in ("named", "vague", "none")
    assert set(rec["attribution_scores"]) == {"named", "vague", "none"}
    for k in ("opinion", "causal", "unattributed_causal"):
        assert 0.0 <= rec[k] <= 1.0
    for c in rec["cues"]:
        assert set(c) == {"kind", "start", "end", "text"}
    for src in rec["sources"]:
        assert set(src) == {"start", "end", "text", "kind", "score", "cue", "refers_to"}
        assert src["kind"] in ("named", "vague")


def no_traceback(proc):
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    return err


# ----------------------------------------------------------- in a subprocess
# Each child Python needs ~2 s to import scikit-learn, so all the subprocess
# cases are started together, a few at a time, and the tests check the results.
@pytest.fixture(scope="module")
def proc(run_cli, article, tmp_path_factory):
    from concurrent.futures import ThreadPoolExecutor

    tmp = tmp_path_factory.mktemp("cli")
    bad = tmp / "latin1_input.txt"
    bad.write_bytes(BAD_BYTES)
    folder = tmp / "a_folder"
    folder.mkdir()
    cases = {
        "version": (["--version"], None),
        "help": (["--help"], None),
        "no_subcommand": ([], None),
        "table": (["score", article], None),
        "jsonl": (["score", "--format", "jsonl", article], None),
        "csv": (["score", "--format", "csv", article], None),
        "sentences": (["score", "--sentences", "--format", "jsonl"], FIVE_INPUT),
        "missing": (["score", tmp / "no_such_article.txt"], None),
        "directory": (["score", folder], None),
        "bad_utf8": (["score", bad], None),
        "latin1": (["score", "--encoding", "latin-1", "--format", "jsonl", bad], None),
        "no_model": (["score", "--model", "/nonexistent/rhetorix-bundle", article], None),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {k: pool.submit(run_cli, a, i) for k, (a, i) in cases.items()}
        return {k: f.result() for k, f in futures.items()}


def test_version(proc):
    p = proc["version"]
    assert p.returncode == 0
    out = p.stdout.decode().strip()
    assert out == f"rhetorix {rhetorix.__version__}"
    assert re.fullmatch(r"rhetorix \d+\.\d+\.\d+\S*", out)


def test_help(proc):
    p = proc["help"]
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert out.startswith("usage: rhetorix")
    for sub in ("score", "train", "evaluate"):
        assert sub in out


def test_no_subcommand_is_a_usage_error(proc):
    p = proc["no_subcommand"]
    assert p.returncode == 2
    assert "usage" in no_traceback(p)


def test_score_table(proc):
    p = proc["table"]
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode("utf-8")
    assert re.search(r"^\d+ sentences; opinion share \d+%; \d+ causal claims, \d+ unattributed; "
                     r"\d+ persuasion technique flags?\.$", out, re.M), out
    assert "flags: O opinion" in out
    assert out.splitlines()[0].split()[:2] == ["#", "opin"]


def test_score_jsonl(proc, article, scorer):
    p = proc["jsonl"]
    assert p.returncode == 0, p.stderr
    records = parse_jsonl(p.stdout.decode("utf-8"))
    text = article.read_bytes().decode("utf-8")
    expected = scorer.score_document(text)
    assert len(records) == len(expected.sentences) > 5
    for rec, s in zip(records, expected.sentences):
        check_record(rec)
        assert rec == json.loads(json.dumps(s.to_dict()))
        assert text[rec["start"]:rec["end"]] == rec["text"]


def test_score_csv(proc, article):
    p = proc["csv"]
    assert p.returncode == 0, p.stderr
    rows = list(csv.reader(io.StringIO(p.stdout.decode("utf-8"), newline="")))
    assert rows[0] == SENTENCE_COLUMNS
    assert len(rows) > 6
    text = article.read_bytes().decode("utf-8")
    for row in rows[1:]:
        rec = dict(zip(rows[0], row))
        assert len(row) == len(rows[0])
        assert text[int(rec["start"]):int(rec["end"])] == rec["text"]
        assert rec["flag_opinion"] in ("true", "false")
        assert rec["attribution"] in ("named", "vague", "none")
        assert abs(float(rec["named"]) + float(rec["vague"]) + float(rec["none"]) - 1.0) < 1e-4
        assert isinstance(json.loads(rec["cues"]), list)


def test_sentences_from_stdin(proc):
    p = proc["sentences"]
    assert p.returncode == 0, p.stderr
    records = parse_jsonl(p.stdout.decode("utf-8"))
    assert [r["text"] for r in records] == FIVE_LINES
    for rec in records:
        check_record(rec)
        assert (rec["start"], rec["end"]) == (0, len(rec["text"]))


def test_missing_file(proc):
    p = proc["missing"]
    assert p.returncode not in (0, None)
    err = no_traceback(p)
    assert "no_such_article.txt" in err
    assert p.stdout == b""


def test_directory_input(proc):
    p = proc["directory"]
    assert p.returncode not in (0, None)
    err = no_traceback(p)
    assert "a_folder" in err and "directory" in err


def test_invalid_utf8(proc):
    p = proc["bad_utf8"]
    assert p.returncode not in (0, None)
    err = no_traceback(p)
    assert "byte" in err
    assert "latin1_input.txt" in err
    assert "--encoding" in err


def test_encoding_option(proc):
    p = proc["latin1"]
    assert p.returncode == 0, p.stderr
    records = parse_jsonl(p.stdout.decode("utf-8"))
    assert [r["text"] for r in records] == [BAD_BYTES.decode("latin-1").strip()]


def test_missing_model(proc):
    p = proc["no_model"]
    assert p.returncode not in (0, None)
    err = no_traceback(p)
    assert "/nonexistent/rhetorix-bundle" in err
    assert "not found" in err
    assert p.stdout == b""


# ------------------------------------------------------------------ in process
def run_main(args, monkeypatch, stdin: bytes = b""):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    return cli.main([str(a) for a in args])


def test_main_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"rhetorix {rhetorix.__version__}"


@pytest.mark.parametrize("args", [["--help"], ["score", "--help"], ["train", "--help"], ["evaluate", "--help"]])
def test_main_help(capsys, args):
    with pytest.raises(SystemExit) as info:
        cli.main(args)
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: rhetorix " + (args[0] if len(args) == 2 else ""))


def test_main_no_subcommand(capsys):
    assert cli.main([]) == 2
    assert "usage" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["score", "--format", "xml"], ["frobnicate"], ["train"]])
def test_main_bad_arguments(capsys, args):
    with pytest.raises(SystemExit) as info:
        cli.main(args)
    assert info.value.code == 2


def test_main_sentences_formats(monkeypatch, capsys):
    assert run_main(["score", "--sentences", "--format", "jsonl"], monkeypatch, FIVE_INPUT) == 0
    records = parse_jsonl(capsys.readouterr().out)
    assert [r["text"] for r in records] == FIVE_LINES

    assert run_main(["score", "--sentences", "--format", "csv"], monkeypatch, FIVE_INPUT) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out, newline="")))
    assert [r["text"] for r in rows] == FIVE_LINES

    assert run_main(["score", "--sentences"], monkeypatch, FIVE_INPUT) == 0
    out = capsys.readouterr().out
    body = out.splitlines()[1:]
    assert len(body) == 5
    assert "sentences; opinion share" not in out  # no document summary for line mode


def test_main_sentences_edge_cases(monkeypatch, capsys):
    # a final newline does not add a record; an empty input gives none
    assert run_main(["score", "--sentences", "--format", "jsonl"], monkeypatch, b"One.\nTwo.\n") == 0
    assert [r["text"] for r in parse_jsonl(capsys.readouterr().out)] == ["One.", "Two."]
    assert run_main(["score", "--sentences", "--format", "jsonl"], monkeypatch, b"") == 0
    assert capsys.readouterr().out == ""
    assert run_main(["score", "--sentences", "--format", "jsonl"], monkeypatch, b"\n\n") == 0
    assert [r["text"] for r in parse_jsonl(capsys.readouterr().out)] == ["", ""]
    # a UTF-8 byte order mark is not part of the first line
    assert run_main(["score", "--sentences", "--format", "jsonl"], monkeypatch, "\ufeffOne.\n".encode()) == 0
    assert [r["text"] for r in parse_jsonl(capsys.readouterr().out)] == ["One."]


def test_main_document_from_stdin(monkeypatch, capsys, scorer):
    text = "The levy caused fares to rise. Frankly, it is a disgrace.\r\n\r\nOfficials said so."
    assert run_main(["score", "-", "--format", "jsonl"], monkeypatch, text.encode()) == 0
    records = parse_jsonl(capsys.readouterr().out)
    assert [r["text"] for r in records] == [s.text for s in scorer.score_document(text).sentences]
    for r in records:
        assert text[r["start"]:r["end"]] == r["text"]


def test_main_errors(monkeypatch, capsys, tmp_path, bad_file):
    assert run_main(["score", tmp_path / "gone.txt"], monkeypatch) == 1
    assert "gone.txt" in capsys.readouterr().err
    assert run_main(["score", tmp_path], monkeypatch) == 1
    assert "directory" in capsys.readouterr().err
    assert run_main(["score", bad_file], monkeypatch) == 1
    assert "byte" in capsys.readouterr().err
    assert run_main(["score", "--encoding", "no-such-codec", bad_file], monkeypatch) == 1
    assert "no-such-codec" in capsys.readouterr().err
    assert run_main(["score", "--model", tmp_path / "nobundle"], monkeypatch, b"Hi.") == 1
    assert "nobundle" in capsys.readouterr().err
    assert run_main(["score", "--lexicon-dir", tmp_path / "nolex"], monkeypatch, b"Hi.") == 1
    assert "nolex" in capsys.readouterr().err


def test_main_file_problems_each_give_one_clear_message(monkeypatch, capsys, tmp_path, bad_file):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert run_main(["score", empty], monkeypatch) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "empty file (0 bytes)" in err and "Traceback" not in err
    # undecodable bytes: the error names the file and the byte offset; replace scores anyway
    assert run_main(["score", bad_file], monkeypatch) == 1
    err = capsys.readouterr().err
    assert str(bad_file) in err and "at byte" in err
    assert run_main(["score", "--encoding-errors", "replace", "--format", "jsonl", bad_file], monkeypatch) == 0
    assert "\ufffd" in "".join(r["text"] for r in parse_jsonl(capsys.readouterr().out))
    # no read permission (simulated: the tests may run as root, who can read anything)
    locked = tmp_path / "locked.txt"
    locked.write_text("Secret.", encoding="utf-8")

    def deny(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(locked), "read_bytes", deny)
    assert run_main(["score", locked], monkeypatch) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "permission denied" in err


def test_main_damaged_model(monkeypatch, capsys, tmp_path):
    (tmp_path / "manifest.json").write_text("not json", encoding="utf-8")
    assert run_main(["score", "--model", tmp_path], monkeypatch, b"Hi.") == 1
    assert "manifest" in capsys.readouterr().err


def test_main_lexicon_dir(monkeypatch, capsys, tmp_path):
    (tmp_path / "hedge.txt").write_text("by all accounts\n", encoding="utf-8")
    args = ["score", "--sentences", "--format", "jsonl", "--lexicon-dir", tmp_path]
    assert run_main(args, monkeypatch, b"By all accounts it worked.\n") == 0
    (rec,) = parse_jsonl(capsys.readouterr().out)
    assert {"kind": "hedge", "start": 0, "end": 15, "text": "By all accounts"} in rec["cues"]


def test_main_train_and_evaluate_report_missing_corpora(monkeypatch, capsys, tmp_path):
    assert cli.main(["train", "-q", "-o", str(tmp_path / "out"), "--corpora", str(tmp_path / "none")]) == 1
    assert "corpora" in capsys.readouterr().err
    assert not (tmp_path / "out" / "manifest.json").exists()
    assert cli.main(["evaluate", "-q", "--corpora", str(tmp_path / "none")]) == 1
    assert "corpora" in capsys.readouterr().err


def test_main_whitespace_only_document_is_an_error_like_in_batch(monkeypatch, capsys, tmp_path):
    blank = tmp_path / "blank.txt"
    blank.write_text("  \n\t\n", encoding="utf-8")
    for cmd in (["score", blank], ["report", blank, "-o", tmp_path / "r.html"], ["score", "-"]):
        assert run_main(cmd, monkeypatch, b" \n") == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "no text (only whitespace)" in err
    # line mode keeps blank lines as records
    assert run_main(["score", "--sentences", "--format", "jsonl", blank], monkeypatch) == 0
    assert [r["text"] for r in parse_jsonl(capsys.readouterr().out)] == ["  ", "\t"]


def test_main_summary_counts_are_singular_for_one(monkeypatch, capsys):
    assert run_main(["score", "-"], monkeypatch, b"Rain fell on Tuesday.") == 0
    assert "\n1 sentence; opinion share" in capsys.readouterr().out


@pytest.mark.parametrize("cmd", ["score", "batch", "report"])
def test_threshold_option_is_offered_and_checked(cmd, capsys):
    with pytest.raises(SystemExit):
        cli.main([cmd, "--help"])
    assert "--threshold KIND=VALUE" in capsys.readouterr().out
    for bad, why in (("causal", "expected KIND=VALUE"), ("cause=0.5", "unknown threshold 'cause'"),
                     ("causal=high", "'high' is not a number"), ("opinion=1.5", "between 0 and 1")):
        with pytest.raises(SystemExit) as exc:
            cli.main([cmd, "--threshold", bad, "x"])
        assert exc.value.code == 2 and why in capsys.readouterr().err


def test_main_thresholds_change_the_flags(monkeypatch, capsys):
    text = b"Because fuel prices rose, airlines cut several routes. Frankly, it is a disgrace."
    assert run_main(["score", "-", "--format", "jsonl", "--threshold", "causal=1", "--threshold",
                     "opinion=0"], monkeypatch, text) == 0
    records = parse_jsonl(capsys.readouterr().out)
    assert [r["flags"]["causal"] for r in records] == [False, False]
    assert [r["flags"]["opinion"] for r in records] == [True, True]
