"""HTML reports in a real browser: headless Chromium driven by Selenium.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them
when missing) and the ``selenium`` package (test extra).  Without them these
tests skip with the reason, unless ``RHETORIX_REQUIRE_BROWSER=1`` (set by
``.ci/run``), when they fail instead, so CI never skips them silently.
"""

from __future__ import annotations

import os
import shutil

import pytest

from rhetorix.report import index_html

REQUIRE = os.environ.get("RHETORIX_REQUIRE_BROWSER") == "1"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _unavailable() -> str:
    missing = []
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install '.[test]')")
    if not CHROMIUM:
        missing.append("chromium (Debian package chromium)")
    if not CHROMEDRIVER:
        missing.append("chromedriver (Debian package chromium-driver)")
    return ", ".join(missing)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    missing = _unavailable()
    if missing:
        message = f"browser tests need {missing}"
        if REQUIRE:
            pytest.fail(message + " (RHETORIX_REQUIRE_BROWSER=1)")
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager go online
    options = Options()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def example_doc(scorer, repo_root):
    return scorer.score_document((repo_root / "data" / "example_article.txt").read_text(encoding="utf-8"))


def _open(browser, tmp_path, name: str, page: str):
    path = tmp_path / name
    path.write_text(page, encoding="utf-8")
    browser.get(path.as_uri())
    return path


def _css(browser, selector: str):
    from selenium.webdriver.common.by import By

    return browser.find_elements(By.CSS_SELECTOR, selector)


def test_flagged_sentences_and_legend_are_visible(browser, example_doc, tmp_path):
    _open(browser, tmp_path, "report.html", example_doc.to_html(title="Example article"))
    unatt = _css(browser, ".rhx-article .rhx-s.rhx-unatt")
    assert len(unatt) == example_doc.summary["unattributed_causal_claims"] > 0
    for el in unatt:
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
        assert el.is_displayed() and el.size["width"] > 0 and el.size["height"] > 0
        # the mark is an outline plus an icon, not only a colour
        assert el.value_of_css_property("outline-style") == "solid"
        assert "\u26a0" in el.text
        # the sentence itself is what is drawn at its centre (nothing covers it)
        on_top = browser.execute_script(
            "var r = arguments[0].getClientRects()[0];"
            "var e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
            "return arguments[0].contains(e);",
            el,
        )
        assert on_top
    opinion = _css(browser, ".rhx-article .rhx-s.rhx-op")
    assert len(opinion) == sum(s.flags["opinion"] for s in example_doc.sentences)
    assert all(el.is_displayed() for el in opinion)

    legend = _css(browser, ".rhx-legend-box")
    assert len(legend) == 1 and legend[0].is_displayed()
    for label in ("Opinion marker", "Causal verb", "Vague source", "unattributed causal claim"):
        assert label in legend[0].text
    chart = _css(browser, "svg.rhx-chart")
    assert chart and chart[0].is_displayed()
    assert len(_css(browser, "svg.rhx-chart rect[data-target]")) == len(example_doc.sentences)

    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_keyboard_moves_between_flagged_sentences(browser, example_doc, tmp_path):
    from selenium.webdriver.common.keys import Keys

    _open(browser, tmp_path, "keys.html", example_doc.to_html())
    flagged = [f"s-{i}" for i, s in enumerate(example_doc.sentences, 1) if any(s.flags.values())]
    assert len(flagged) >= 3
    active = lambda: browser.switch_to.active_element.get_attribute("id")  # noqa: E731
    body = _css(browser, "body")[0]
    body.send_keys("j")
    assert active() == flagged[0]
    browser.switch_to.active_element.send_keys("j")
    assert active() == flagged[1]
    browser.switch_to.active_element.send_keys("k")
    assert active() == flagged[0]
    panel = _css(browser, ".rhx-panel-body")[0]
    first = example_doc.sentences[int(flagged[0][2:]) - 1]
    assert f"Sentence {flagged[0][2:]}" in panel.text
    assert f"{round(first.opinion * 100)}%" in panel.text
    # Tab from the last control before the article lands on the first flagged sentence
    browser.execute_script("document.querySelector('.rhx-label-toggle').focus()")
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert active() == flagged[0]
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert active() == flagged[1]  # unflagged sentences are not tab stops


def test_panel_shows_the_cues_of_a_clicked_sentence(browser, example_doc, tmp_path):
    _open(browser, tmp_path, "click.html", example_doc.to_html())
    k, s = next((i, s) for i, s in enumerate(example_doc.sentences, 1) if s.flags["unattributed_causal"] and s.cues)
    el = _css(browser, f"#s-{k}")[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    el.click()
    text = _css(browser, ".rhx-panel-body")[0].text
    assert "Why (cues):" in text
    for c in s.cues:
        assert c.text in text


def test_cue_labels_can_be_turned_off(browser, example_doc, tmp_path):
    _open(browser, tmp_path, "labels.html", example_doc.to_html())
    cue = _css(browser, ".rhx-article .rhx-cue")[0]
    after = "return getComputedStyle(arguments[0], '::after').content"
    assert browser.execute_script(after, cue) not in ("none", "normal", "")
    toggle = _css(browser, ".rhx-label-toggle")[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", toggle)
    toggle.click()
    assert browser.execute_script(after, cue) in ("none", "normal")


def test_markup_in_the_article_does_not_run(browser, scorer, tmp_path):
    text = (
        "Officials said <script>window.rhxPwned = 1</script> nothing happened. "
        'The <img src=x onerror="window.rhxPwned = 2"> plan caused chaos, many experts say.'
    )
    _open(browser, tmp_path, "hostile.html", scorer.score_document(text).to_html())
    assert browser.execute_script("return window.rhxPwned === undefined")
    article = _css(browser, ".rhx-article")[0].text
    assert "<script>window.rhxPwned = 1</script>" in article
    assert not _css(browser, ".rhx-article img, .rhx-article script")


def test_index_page_sorts_by_column(browser, tmp_path):
    docs = [
        {"id": "beta", "sentences": 5, "words": 100, "opinion_share": 0.2, "causal_claims": 2,
         "unattributed_causal_claims": 1},
        {"id": "alpha", "sentences": 9, "words": 1000, "opinion_share": 0.6, "causal_claims": 3,
         "unattributed_causal_claims": 2},
        {"id": "gamma", "sentences": 2, "words": None, "opinion_share": 0.0, "causal_claims": 0,
         "unattributed_causal_claims": 0},
    ]
    _open(browser, tmp_path, "index.html", index_html(docs))
    order = lambda: [r.text.split()[0] for r in _css(browser, "tbody tr")]  # noqa: E731
    assert order() == ["beta", "alpha", "gamma"]
    buttons = _css(browser, "thead th button")
    # the rendered heading: its label, then the sort mark of the ::after rule (a CSS escape in a Python
    # string once rendered as a control character and "C5")
    after = "return getComputedStyle(arguments[0], '::after').content"
    assert [b.text for b in buttons][:2] == ["Document", "Sentences"]
    assert {browser.execute_script(after, b) for b in buttons} == {'" \u21c5"'}
    rate = buttons[-2]  # unattributed causal claims per 1,000 words: 10, 2, n/a
    rate.click()
    assert order() == ["gamma", "alpha", "beta"]
    assert _css(browser, "thead th")[-2].get_attribute("aria-sort") == "ascending"
    rate.click()
    assert order() == ["beta", "alpha", "gamma"]
    buttons[0].send_keys("\n")  # by keyboard: Enter on the "Document" heading
    assert order() == ["alpha", "beta", "gamma"]
