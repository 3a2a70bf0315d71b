"""The HTML report: its figures, its trend chart, and the page itself in a real headless Chromium."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from gate.model import Cause, Status
from gate.report.chart import scale, trend_svg
from gate.report.html import context, render_html
from gate.weekly.history import History, record
from tests.gate.sample_results import SOURCES, sample_result

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page_file(tmp_path):
    """A report of the second of two recorded runs, written where a browser can open it."""
    history = History(tmp_path / "history.db")
    first = sample_result("week1")
    record(first, history)
    second = sample_result("week2")
    new = next(m for m in second.mutants if m.id == "c000000004")
    new.status, new.cause = Status.SURVIVED, Cause.WEAK_ASSERTION
    record(second, history)
    path = tmp_path / "report.html"
    path.write_text(render_html(second, SOURCES, history.runs()), encoding="utf-8")
    return path


def test_context_counts_what_the_page_shows():
    data = context(sample_result(), SOURCES, [], "t")
    assert data["shown_total"] == 7  # 3 survived, 2 no-tests, 1 accepted, 1 suspicious
    assert data["causes"] == [
        "accepted",
        "hidden-by-mock",
        "partly-mocked",
        "suspicious",
        "untested",
        "weak-assertion",
    ]
    files = {f.path: f for f in data["files"]}
    marked = {
        line.number: [m.id for m in line.mutants]
        for line in files["py/services/downloader.py"].lines
        if line.mutants
    }
    assert marked == {3: ["d000000006"], 6: ["d000000002"], 11: ["d000000007", "d000000009"]}


def test_page_is_self_contained_and_escapes_source():
    result = sample_result()
    sources = dict(SOURCES)
    sources["py/services/model_cache.py"] = (
        sources["py/services/model_cache.py"] + "# <script>alert(1)</script>\n"
    )
    html = render_html(result, sources, [])
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html
    assert "No history yet" in html


def test_mutant_without_source_is_listed_not_lost():
    html = render_html(
        sample_result(), {"py/services/model_cache.py": SOURCES["py/services/model_cache.py"]}, []
    )
    assert "Source not available" in html
    assert 'id="m-d000000002"' in html


def test_chart_scale_is_padded_to_fives_and_at_least_ten_points():
    assert scale([62.5, 80.0]) == (60.0, 85.0)
    assert scale([99.0, 100.0]) == (90.0, 100.0)
    assert scale([1.0]) == (0.0, 10.0)
    assert scale([]) == (0.0, 100.0)


def test_chart_draws_one_line_per_series_and_breaks_on_gaps():
    svg = trend_svg({"download": [60.0, 70.0, 80.0], "cache": [50.0, None, 55.0]}, ["#1", "#2", "#3"])
    assert svg.count('<polyline data-series="download"') == 1
    assert svg.count('<polyline data-series="cache"') == 0  # two points split by a gap: no segment of 2
    assert svg.count('<circle data-series="cache"') == 2
    assert "download #3: 80.0%" in svg


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="chromium is not installed (apt-get install -y chromium)"
)
def test_page_in_a_headless_browser_shows_counts_and_filters(page_file):
    from playwright.sync_api import expect, sync_playwright

    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(page_file.as_uri())

            assert page.title() == "Mutation testing report"
            download = page.locator('#targets tbody tr[data-target="download"]')
            assert download.locator('td[data-col="score"]').inner_text() == "62.5%"
            assert download.locator('td[data-col="score"]').get_attribute("class") == "under"  # floor 80
            assert download.locator('td[data-col="survived"]').inner_text() == "2"
            assert download.locator('td[data-col="no-tests"]').inner_text() == "1"
            assert download.locator('td[data-col="hidden-by-mock"]').inner_text() == "1"
            assert page.locator('#targets tfoot td[data-col="total"]').inner_text() == "15"
            assert page.locator("#score").inner_text() == "50.0%"
            assert page.locator("#retested").inner_text() == "12 re-tested, 3 re-used from the cache"
            assert page.locator("svg.trend circle").count() == 2 * 3  # two runs, download + cache + all
            comparison = page.locator("#comparison").inner_text()
            assert "cache: 50.0% → 33.3% (-16.7), 1 new survivor, 0 fixed" in comparison
            assert "download: 62.5% → 62.5% (+0.0), 0 new survivors, 0 fixed" in comparison

            assert page.locator("#shown-count").inner_text() == "8"
            assert page.locator("tr.has-mutants.marked").count() == 5
            assert page.locator("tr.detail:visible").count() == 0

            # Click a marked line: its mutants open with diff, tests and cause.
            page.locator('section[data-file="py/services/downloader.py"] tr[data-line="6"]').click()
            card = page.locator("#m-d000000002")
            assert card.is_visible()
            assert card.locator(".cause").inner_text() == "weak-assertion"
            assert (
                "+        if status >= 501 and attempt < self.retries:"
                in card.locator("pre.diff").inner_text()
            )
            assert "tests/services/test_downloader.py::test_retry_on_500" in card.inner_text()

            # The new survivor's link opens its line.
            # hashchange fires after the click returns: wait for it rather than race it.
            page.locator('#comparison a[href="#m-c000000004"]').click()
            expect(page.locator("#m-c000000004")).to_be_visible()

            page.select_option("#filter-cause", "weak-assertion")
            assert page.locator("#shown-count").inner_text() == "3"
            assert page.locator("tr.has-mutants.marked").count() == 3
            assert page.locator("article.mutant:not([hidden])").count() == 3
            # Line 6 of the cache holds 3 shown mutants; 1 of them is weak-assertion.
            cache_line6 = page.locator('section[data-file="py/services/model_cache.py"] tr[data-line="6"]')
            assert cache_line6.locator(".badge").inner_text() == "1"

            page.select_option("#filter-target", "cache")
            assert page.locator("#shown-count").inner_text() == "2"
            assert page.locator('section[data-file="py/services/downloader.py"]').is_hidden()
            assert page.locator("#m-d000000002").is_hidden()
            page.locator('section[data-file="py/services/model_cache.py"] tr[data-line="2"]').click()
            assert page.locator("#m-c000000002").is_visible()

            page.select_option("#filter-cause", "")
            page.select_option("#filter-target", "")
            assert page.locator("#shown-count").inner_text() == "8"
            assert cache_line6.locator(".badge").inner_text() == "3"
            assert errors == []
        finally:
            browser.close()
    assert requests == [page_file.as_uri()]
