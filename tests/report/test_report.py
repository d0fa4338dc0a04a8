"""HTML reports: escaping, no external resources, text kept, accessibility, index pages, CLI.

The browser tests are in test_report_browser.py.  Every text here was written
for the tests.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from rhetorix import cli
from rhetorix.report import ReportError, index_html, read_batch_output
from rhetorix.report.page import (
    CHART_COLOURS,
    CUE_STYLES,
    LINK_COLOUR,
    MUTED_COLOUR,
    OPINION_TINTS,
    PAGE_COLOUR,
    TEXT_COLOUR,
    UNATTRIBUTED_COLOUR,
)
from rhetorix.results import DocumentScore

HOSTILE = (
    "Officials said <script>alert('x')</script> nothing happened.\n\n"
    "The <b>bold</b> plan caused chaos & panic, many experts say. "
    'A "quoted" <img src=x onerror=alert(1)> tag ends here. '
    "Some say the rumours were spread by http://example.com/evil.js agents."
)


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Tree(HTMLParser):
    """Collects tags with attributes, style and script text, and the article's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: List[Tuple[str, Dict[str, Optional[str]]]] = []
        self.styles: List[str] = []
        self.scripts: List[str] = []
        self.article = []  # text inside <article>, without icons, screen-reader text
        self._stack: List[Tuple[str, Dict[str, Optional[str]]]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag not in _VOID:
            self._stack.append((tag, a))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        while self._stack:
            t, _ = self._stack.pop()
            if t == tag:
                break

    def _in(self, pred) -> bool:
        return any(pred(t, a) for t, a in self._stack)

    def handle_data(self, data):
        if self._in(lambda t, a: t == "style"):
            self.styles.append(data)
        elif self._in(lambda t, a: t == "script"):
            self.scripts.append(data)
        elif self._in(lambda t, a: t == "article") and not self._in(
            lambda t, a: any(c in (a.get("class") or "").split() for c in ("rhx-icon", "rhx-sr", "rhx-chip"))
        ):
            self.article.append(data)


def parse(page: str) -> _Tree:
    tree = _Tree()
    tree.feed(page)
    tree.close()
    return tree


@pytest.fixture(scope="module")
def example(repo_root):
    return (repo_root / "data" / "example_article.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def example_doc(scorer, example):
    return scorer.score_document(example)


# ------------------------------------------------------------------ safety
def test_markup_in_the_article_is_shown_as_text(scorer):
    doc = scorer.score_document(HOSTILE)
    for page in (doc.to_html(), doc._repr_html_()):
        tree = parse(page)
        assert [t for t, _ in tree.tags if t == "script"] == ["script"]  # only our own
        assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
        assert not any(t == "img" for t, _ in tree.tags)
        assert not any("onerror" in a for _, a in tree.tags)
        text = "".join(tree.article)
        assert "<script>alert('x')</script>" in text
        assert "<img src=x onerror=alert(1)>" in text
        assert "chaos & panic" in text


def test_a_title_with_markup_is_escaped(example_doc):
    page = example_doc.to_html(title="</title><script>alert(1)</script>")
    assert [t for t, _ in parse(page).tags if t == "script"] == ["script"]


_URL_ATTRS = ("href", "src", "action", "formaction", "srcset", "poster", "background", "xlink:href", "data")


def _assert_self_contained(page: str) -> None:
    # no raw control character anywhere (a CSS escape in a Python string once put U+0011 in every header)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", page)
    tree = parse(page)
    for tag, attrs in tree.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed", "base", "source", "video", "audio")
        if tag == "script":
            assert "src" not in attrs
        for name in _URL_ATTRS:
            if name in attrs:
                assert (attrs[name] or "").startswith("#"), (tag, name, attrs[name])
        assert "url(" not in (attrs.get("style") or "")
    css = "".join(tree.styles)
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
    js = "".join(tree.scripts)
    assert not re.search(r"https?:|fetch\(|XMLHttpRequest|import\(|\.src\s*=", js)


def test_control_characters_never_reach_a_page(scorer):
    page = scorer.score_document("Prices rose\x00 because\x01 of the war.\x1b[31m Officials said\x7f so.").to_html()
    _assert_self_contained(page)
    assert "\u2400" in page and "\u2401" in page and "\u241b" in page and "\u2421" in page
    with pytest.raises(AssertionError):  # the check sees a raw control character (the old header bug)
        _assert_self_contained(page.replace("\u2400", "\x11"))


def test_reports_load_nothing_from_outside(scorer, example_doc):
    _assert_self_contained(example_doc.to_html())
    _assert_self_contained(example_doc._repr_html_())
    _assert_self_contained(scorer.score_document(HOSTILE).to_html())
    docs = [{"id": "<script>x</script>", "sentences": 3, "words": 40, "opinion_share": 0.5,
             "causal_claims": 1, "unattributed_causal_claims": 1}]
    page = index_html(docs)
    _assert_self_contained(page)
    assert "&lt;script&gt;x&lt;/script&gt;" in page


# ------------------------------------------------------------------ content
def test_article_text_is_kept_exactly(scorer, example_doc, example):
    assert "".join(parse(example_doc.to_html()).article) == example
    hostile = scorer.score_document(HOSTILE)
    assert "".join(parse(hostile.to_html()).article) == HOSTILE


def test_lone_surrogates_do_not_break_the_page(scorer):
    text = "Prices rose \ud800 because of the drought. Odd \udfff end."
    page = scorer.score_document(text).to_html()
    page.encode("utf-8")  # writable as UTF-8
    assert "".join(parse(page).article) == text.replace("\ud800", "\ufffd").replace("\udfff", "\ufffd")


def test_without_the_text_the_sentences_are_joined(example_doc):
    bare = DocumentScore(example_doc.sentences, example_doc.summary)
    assert "".join(parse(bare.to_html()).article) == " ".join(s.text for s in example_doc.sentences)


def test_inconsistent_text_falls_back_to_the_sentences(example_doc):
    wrong = DocumentScore(example_doc.sentences, example_doc.summary, "something else entirely")
    assert "".join(parse(wrong.to_html()).article) == " ".join(s.text for s in example_doc.sentences)


def test_sentences_out_of_order_fall_back_to_the_sentences(example_doc):
    swapped = [example_doc.sentences[1], example_doc.sentences[0], *example_doc.sentences[2:]]
    doc = DocumentScore(swapped, example_doc.summary, example_doc.text)
    assert "".join(parse(doc.to_html()).article) == " ".join(s.text for s in swapped)


def test_every_sentence_is_marked_with_its_scores_and_flags(example_doc):
    tree = parse(example_doc.to_html())
    spans = [a for t, a in tree.tags if t == "span" and "rhx-s" in (a.get("class") or "").split()
             and a.get("id", "").startswith("s-")]
    assert len(spans) == len(example_doc.sentences)
    for a, s in zip(spans, example_doc.sentences):
        classes = a["class"].split()
        assert float(a["data-op"]) == pytest.approx(s.opinion, abs=1e-4)
        assert float(a["data-un"]) == pytest.approx(s.unattributed_causal, abs=1e-4)
        assert ("rhx-unatt" in classes) == s.flags["unattributed_causal"]
        assert ("rhx-op" in classes) == s.flags["opinion"]
        flagged = any(s.flags.values())
        assert (a.get("tabindex") == "0") == flagged  # keyboard stops at flagged sentences only
        assert [tuple(c) for c in json.loads(a["data-cues"])] == [
            (CUE_STYLES[c.kind][0].lower(), c.text) for c in s.cues
        ]
        assert [tuple(r) for r in json.loads(a["data-sources"])] == [
            (src.text, src.kind, src.cue.text if src.cue else "", src.refers_to.text if src.refers_to else "")
            for src in s.sources
        ]
        assert "opinion" in a["title"]
        assert all(src.text in a["title"] for src in s.sources)
    assert any(s.sources for s in example_doc.sentences)  # the example article names its sources


def test_the_side_panel_names_the_source_and_its_verb(scorer):
    doc = scorer.score_document("Ines Varga said the port would reopen. The closure hurt fishermen, she added.")
    tree = parse(doc.to_html())
    spans = [a for t, a in tree.tags if t == "span" and a.get("id", "").startswith("s-")]
    assert json.loads(spans[1]["data-sources"]) == [["she", "named", "added", "Ines Varga"]]
    assert "\u201cshe = Ines Varga\u201d (named), added" in spans[1]["title"]
    script = doc.to_html()
    assert "Who says so:" in script and "d.sources" in script  # the panel script lists them


def test_summary_lists_every_unattributed_causal_claim_with_a_link(example_doc):
    tree = parse(example_doc.to_html())
    ids = {a["id"] for _, a in tree.tags if "id" in a}
    links = [a["href"] for t, a in tree.tags if t == "a"]
    n = example_doc.summary["unattributed_causal_claims"]
    assert n > 0
    assert len(links) == n
    assert all(h[1:] in ids for h in links)
    assert f"<b>{n}</b> unattributed causal claims" in example_doc.to_html()


def test_cue_spans_cover_the_cue_text(example_doc):
    tree = parse(example_doc.to_html())
    kinds = {c for _, a in tree.tags for c in (a.get("class") or "").split() if c.startswith("rhx-k-")}
    found = {c.kind for s in example_doc.sentences for c in s.cues}
    assert {f"rhx-k-{k}" for k in found} <= kinds


def test_legend_names_every_cue_kind_and_mark(example_doc):
    page = example_doc.to_html()
    for label, short, _, style in CUE_STYLES.values():
        assert label in page and f"({short}, {style} line)" in page
    assert "unattributed causal claim" in page and "flagged as opinion" in page


def test_cue_kinds_differ_by_more_than_colour():
    looks = [(short, style) for _, short, _, style in CUE_STYLES.values()]
    assert len(set(looks)) == len(looks)
    assert len({short for short, _ in looks}) == len(looks)  # each kind has its own label


# WCAG 2.1 contrast: 4.5:1 for text, 3:1 for graphics such as outlines
def _luminance(rgb) -> float:
    def chan(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = rgb
    return 0.2126 * chan(r) + 0.7152 * chan(g) + 0.0722 * chan(b)


def _hex(colour: str):
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def _contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _tint_backgrounds():
    page = _hex(PAGE_COLOUR)
    return [tuple(round(a * c + (1 - a) * p) for c, p in zip((r, g, b), page))
            for _, (r, g, b, a) in OPINION_TINTS]


def test_contrast_passes_wcag_aa():
    for bg in _tint_backgrounds():
        assert _contrast(_hex(TEXT_COLOUR), bg) >= 4.5
        assert _contrast(_hex(UNATTRIBUTED_COLOUR), bg) >= 4.5  # icon and outline
        for _, _, colour, _ in CUE_STYLES.values():
            assert _contrast(_hex(colour), bg) >= 4.5, colour  # cue labels are text
    for colour in (LINK_COLOUR, MUTED_COLOUR, TEXT_COLOUR):
        assert _contrast(_hex(colour), _hex(PAGE_COLOUR)) >= 4.5
    for colour in CHART_COLOURS:  # graphics: 3:1
        assert _contrast(_hex(colour), _hex(PAGE_COLOUR)) >= 3.0


def test_the_contrast_check_can_fail():
    assert _contrast(_hex("#ffff00"), _hex("#ffffff")) < 4.5


# ------------------------------------------------------------------ notebook
def test_repr_html_is_a_scoped_fragment(example_doc):
    frag = example_doc._repr_html_()
    assert "<html" not in frag and frag.startswith('<div class="rhx-report"')
    tree = parse(frag)
    css = "".join(tree.styles)
    selectors = [sel.strip() for block in re.findall(r"([^{}]+)\{[^{}]*\}", re.sub(r"@media[^{]+\{", "", css))
                 for sel in block.split(",")]
    assert selectors and all(sel.startswith(".rhx-report") for sel in selectors if sel)
    ids = [a["id"] for _, a in tree.tags if "id" in a]
    assert all(i.startswith("rhx") for i in ids)  # prefixed: two reports in one notebook do not clash
    assert example_doc.to_html(full_page=False) == frag


def test_to_html_is_a_full_page(example_doc):
    page = example_doc.to_html(title="Example")
    assert page.startswith("<!DOCTYPE html>") and "<title>Example</title>" in page
    assert '<html lang="en">' in page


def test_empty_document(scorer):
    doc = scorer.score_document("   ")
    page = doc.to_html()
    assert "<b>0</b> sentences" in page and "None found." in page
    _assert_self_contained(page)


# ------------------------------------------------------------------ index pages
def _batch(tmp_path, level: str, suffix: str) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir(exist_ok=True)
    (folder / "a.txt").write_text(
        "Rates rose because the bank panicked. Critics say the plan is reckless. It rained.", encoding="utf-8"
    )
    (folder / "b.txt").write_text("The mayor opened a library on Tuesday.", encoding="utf-8")
    (folder / "c.txt").write_text("Many analysts believe the blockade caused the famine.", encoding="utf-8")
    out = tmp_path / f"out-{level}{suffix}"
    assert cli.main(["batch", str(folder), "-o", str(out), "--level", level, "-q"]) == 0
    return out


def test_both_levels_give_the_same_summaries(tmp_path, scorer):
    docs = read_batch_output(_batch(tmp_path, "document", ".jsonl"))
    by_sentence = read_batch_output(_batch(tmp_path, "sentence", ".jsonl"))
    by_csv = read_batch_output(_batch(tmp_path, "sentence", ".csv"))
    doc_csv = read_batch_output(_batch(tmp_path, "document", ".csv"))
    assert [d["id"] for d in docs] == ["a.txt", "b.txt", "c.txt"]
    for other in (by_sentence, by_csv, doc_csv):
        assert len(other) == len(docs)
        for x, y in zip(docs, other):
            assert x.keys() == y.keys()
            for k in x:
                assert x[k] == pytest.approx(y[k], abs=1e-6), k  # CSV keeps 6 decimals
    text = (tmp_path / "docs" / "a.txt").read_text(encoding="utf-8")
    expected = scorer.score_document(text).summary
    assert {k: docs[0][k] for k in expected} == pytest.approx(expected)


def test_gzip_and_parquet_batch_output(tmp_path):
    plain = _batch(tmp_path, "document", ".jsonl")
    gz = tmp_path / "out.jsonl.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    assert read_batch_output(gz) == read_batch_output(plain)
    pytest.importorskip("pyarrow")
    parquet = _batch(tmp_path, "sentence", ".parquet")
    assert [d["id"] for d in read_batch_output(parquet)] == ["a.txt", "b.txt", "c.txt"]


def test_index_page_rows_and_rates():
    docs = [
        {"id": "x", "sentences": 10, "words": 500, "opinion_share": 0.3, "causal_claims": 4,
         "unattributed_causal_claims": 2},
        {"id": "y", "sentences": 2, "words": None, "opinion_share": 0.0, "causal_claims": 0,
         "unattributed_causal_claims": 0},
    ]
    page = index_html(docs, title="Two")
    tree = parse(page)
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 2
    assert 'data-value="4.000000">4.0</td>' in rows[0]  # 2 claims per 500 words = 4 per 1,000
    assert "n/a" in rows[1]  # no word count (older batch output)
    heads = [a for t, a in tree.tags if t == "th"]
    assert len(heads) == 8 and sum("data-numeric" in a for a in heads) == 7
    assert sum(t == "button" for t, _ in tree.tags) == 8  # every heading sorts, by keyboard too
    assert rows[0].count("n/a") == 1  # no techniques_per_1000_words: output written before techniques


def test_technique_chips_spans_and_counts(scorer):
    import rhetorix

    every = rhetorix.load(thresholds={n: 0.0 for n in scorer.model.techniques.names})
    text = "These spineless cowards have wrecked our glorious nation. The council met on Tuesday."
    doc = every.score_document(text)
    page = doc.to_html()
    tree = parse(page)
    chips = [a for t, a in tree.tags if t == "span" and a.get("class") == "rhx-chip"]
    n_flags = sum(len(s.flags["techniques"]) for s in doc.sentences)
    assert n_flags == doc.summary["techniques"] > 0
    assert len(chips) >= n_flags  # one per flag on the sentences, plus the header's counts and the legend
    assert "Persuasion techniques</h2>" in page and f"<b>{n_flags}</b> persuasion technique flags" in page
    sentence = next(a for t, a in tree.tags if t == "span" and a.get("data-n") == "1")
    assert json.loads(sentence["data-tech"]) and "loaded language" in sentence["data-flags"]
    # technique names hold commas: their cue classes do not
    assert "rhx-k-Name_Calling-Labeling" in page and "rhx-k-Name_Calling,Labeling" not in page


def test_no_technique_section_for_a_model_without_techniques(example_doc):
    from dataclasses import replace

    sents = [replace(s, techniques={}, flags={**s.flags, "techniques": []}) for s in example_doc.sentences]
    page = DocumentScore(sents, example_doc.summary, example_doc.text).to_html()
    assert "Persuasion techniques</h2>" not in page and "persuasion technique flag" not in page


def test_bad_batch_output_is_a_clear_error(tmp_path):
    not_json = tmp_path / "bad.jsonl"
    not_json.write_text('{"id": "a", "sentences": 1}\n{oops\n', encoding="utf-8")
    with pytest.raises(ReportError, match="line 1"):  # no opinion_share: not batch output
        read_batch_output(not_json)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "sentences": 1, "opinion_share": 0.5, "causal_claims": 0, '
                      '"unattributed_causal_claims": 0}\n{oops\n', encoding="utf-8")
    with pytest.raises(ReportError, match="line 2: not JSON"):
        read_batch_output(broken)
    missing = tmp_path / "missing.csv"
    missing.write_text("id,opinion_share\na,0.5\n", encoding="utf-8")
    with pytest.raises(ReportError, match="row 1: missing field 'sentences'"):
        read_batch_output(missing)
    bad_gz = tmp_path / "bad.jsonl.gz"
    bad_gz.write_bytes(b"not gzip at all")
    with pytest.raises(ReportError, match="cannot read"):
        read_batch_output(bad_gz)


# ------------------------------------------------------------------ command line
def test_cli_report_of_an_article(tmp_path, example, capsys):
    article = tmp_path / "article.txt"
    article.write_text(example, encoding="utf-8")
    assert cli.main(["report", str(article)]) == 0
    page = (tmp_path / "article.html").read_text(encoding="utf-8")
    assert "<title>article.txt</title>" in page
    assert "".join(parse(page).article) == example
    assert "wrote" in capsys.readouterr().err
    assert cli.main(["report", str(article), "-o", str(tmp_path / "x.html"), "--title", "Mine", "-q"]) == 0
    assert "<h1>Mine</h1>" in (tmp_path / "x.html").read_text(encoding="utf-8")
    assert capsys.readouterr().err == ""


def test_cli_report_from_stdin_to_stdout(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(HOSTILE.encode("utf-8"))))
    assert cli.main(["report", "-"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<!DOCTYPE html>") and "&lt;script&gt;" in out


def test_cli_report_of_batch_output(tmp_path):
    out = _batch(tmp_path, "document", ".jsonl")
    assert cli.main(["report", str(out), "-q"]) == 0
    page = out.with_suffix(".html").read_text(encoding="utf-8")
    assert "3</b> documents" in page and "c.txt" in page
    as_json = tmp_path / "copy.json"  # rhetorix batch also writes JSON Lines to .json
    as_json.write_bytes(out.read_bytes())
    assert cli.main(["report", str(as_json), "-q"]) == 0
    assert "3</b> documents" in (tmp_path / "copy.html").read_text(encoding="utf-8")


def test_cli_report_errors(tmp_path, capsys):
    article = tmp_path / "a.txt"
    article.write_text("One sentence here.", encoding="utf-8")
    assert cli.main(["report", str(article), "-o", str(article)]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err
    assert article.read_text(encoding="utf-8") == "One sentence here."
    assert cli.main(["report", str(tmp_path / "nope.txt")]) == 1
    assert cli.main(["report", str(tmp_path / "nope.jsonl")]) == 1
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "x"}\n', encoding="utf-8")
    assert cli.main(["report", str(bad)]) == 1
    assert "not rhetorix batch output" in capsys.readouterr().err
    bad.write_text("[1, 2]\n", encoding="utf-8")
    assert cli.main(["report", str(bad)]) == 1
    assert "expected a JSON object" in capsys.readouterr().err
    assert cli.main(["report", str(article), "-o", str(tmp_path / "no" / "dir" / "x.html")]) == 1
    assert "cannot write" in capsys.readouterr().err
