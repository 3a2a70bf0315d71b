"""The HTML report at scale: render time, page weight and how the page behaves in headless Chromium for a
generated run of thousands of mutants (tests/gate/large_results.py); prints the figures side by side.

A script, not a test (pytest does not collect bench_*.py). Needs Playwright and the Debian chromium.

    python tests/performance/bench_html_report.py [--files 50] [--functions 20] [--mutants 6] [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from gate.report.html import render_html
from tests.gate.large_results import large_run, large_sources
from tests.gate.test_html import CHROMIUM, CHROMIUM_ARGS

# Measured inside the page: from navigation start to the end of the load event and to the first frame
# drawn after it, the DOM it built, and one change of the cause filter (which walks every mutant card).
PAGE_FIGURES = """async () => {
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const painted = performance.now();
  const nav = performance.getEntriesByType("navigation")[0];
  const select = document.getElementById("filter-cause");
  const started = performance.now();
  select.value = select.options[1].value;
  select.dispatchEvent(new Event("change"));
  const filter = performance.now() - started;
  return {painted: painted, load: nav.loadEventEnd, dom: nav.domContentLoadedEventEnd, nodes: document.getElementsByTagName("*").length,
          filter: filter, shown: document.getElementById("shown-count").textContent};
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--functions", type=int, default=20)
    parser.add_argument("--mutants", type=int, default=6, help="mutants per function")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    result = large_run(args.files, args.functions, args.mutants)
    sources = large_sources(args.files, args.functions, args.mutants)
    render_s: list[float] = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        html = render_html(result, sources, [])
        render_s.append(time.perf_counter() - started)
    work = Path(tempfile.mkdtemp(prefix="gate-html-bench-"))
    try:
        page_file = work / "report.html"
        page_file.write_text(html, encoding="utf-8")
        figures = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(args.rounds):
                page = browser.new_page()
                page.goto(page_file.as_uri(), wait_until="load")
                figures.append(page.evaluate(PAGE_FIGURES))
                page.close()
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def median(key: str) -> float:
        return statistics.median(float(f[key]) for f in figures)

    print(
        f"mutants {len(result.mutants)}, shown on the page {len(result.survivors())}, "
        f"files {args.files}, source lines {sum(len(t.splitlines()) for t in sources.values())}"
    )
    print(f"{'render (python)':<28}{statistics.median(render_s) * 1000:>10.0f} ms")
    print(f"{'page weight':<28}{len(html.encode('utf-8')) / 1024:>10.0f} KiB")
    print(f"{'DOM elements':<28}{median('nodes'):>10.0f}")
    print(f"{'DOMContentLoaded':<28}{median('dom'):>10.0f} ms")
    print(f"{'load event end':<28}{median('load'):>10.0f} ms")
    print(f"{'first frame after load':<28}{median('painted'):>10.0f} ms")
    print(
        f"{'one cause filter change':<28}{median('filter'):>10.0f} ms  ({figures[0]['shown']} shown after it)"
    )


if __name__ == "__main__":
    main()
