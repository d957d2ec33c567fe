"""Editor benchmark: from a vertex drag to the validation and change preview shown.

Run it from the checkout::

    .venv/bin/python benchmarks/edit_page_bench.py            # a table
    .venv/bin/python benchmarks/edit_page_bench.py --json     # the same figures as JSON

It starts the real server with the editor on (``python -m geo serve --edit``) on a temporary
copy of ``data/``, opens Edit zones in Debian's Chromium, chooses Eastern Ghouta and drags the
outline's easternmost vertex with the mouse, 15 px east then back, ``--steps`` times. Nothing
is saved.

A step is timed in the browser, with ``performance.timeOrigin + performance.now()`` in both
documents: from the ``mouseup`` that ends the drag (seen by the editor's frame) to the later of

- the map showing the preview of that step: the frame's ``data-applied`` becomes the id of the
  step it sent, which the editor sets after drawing the added and removed areas that Python
  computed for that step, and
- the page's script run for that step ending (``data-test-script-state`` back to
  ``notRunning``), with the check panel (problems, areas before and after, incidents) drawn.

The editor waits 200 ms after a drag ends before it sends the outline (so that a quick series
of drags costs one rerun); that wait is part of the figure. Target: 500 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import browser  # noqa: E402
from tests.test_browser_edit import (  # noqa: E402
    EDITOR,
    VERTEX,
    editor_frame,
    open_editor,
    serve_edit,
    wait_applied,
)

TARGET_MS = 500.0

_WATCH_PAGE = """() => {
    window.__dzIdleAt = [];
    const app = document.querySelector('[data-testid="stApp"]');
    new MutationObserver(() => {
        if (app.getAttribute("data-test-script-state") === "notRunning") {
            window.__dzIdleAt.push(performance.timeOrigin + performance.now());
        }
    }).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""

_WATCH_FRAME = """() => {
    window.__dzUpAt = null;
    window.__dzAppliedAt = {};
    document.addEventListener("mouseup", () => {
        window.__dzUpAt = performance.timeOrigin + performance.now();
    }, true);
    new MutationObserver(() => {
        const id = document.body.dataset.applied;
        if (id && !(id in window.__dzAppliedAt)) {
            window.__dzAppliedAt[id] = performance.timeOrigin + performance.now();
        }
    }).observe(document.body, {attributes: true, attributeFilter: ["data-applied"]});
}"""


def log(message: str) -> None:
    """Progress, on stderr."""
    print(message, file=sys.stderr, flush=True)


def step(page, dx: float) -> dict[str, float]:
    """One drag of the easternmost vertex by ``dx`` pixels; its timings in ms."""
    frame = editor_frame(page)
    index = frame.evaluate(
        """(selector) => {
            const boxes = Array.from(document.querySelectorAll(selector))
                .map((el, i) => [el.getBoundingClientRect().right, i]);
            boxes.sort((a, b) => b[0] - a[0]);
            return boxes[0][1];
        }""",
        VERTEX,
    )
    box = page.frame_locator(EDITOR).locator(VERTEX).nth(index).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    before = frame.evaluate("document.body.dataset.sent || ''")
    page.evaluate("() => { window.__dzIdleAt = []; }")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y, steps=4)
    page.mouse.move(x + dx, y, steps=4)
    page.mouse.up()
    frame.wait_for_function(
        f"document.body.dataset.sent && document.body.dataset.sent !== {json.dumps(before)}"
    )
    sent = frame.evaluate("document.body.dataset.sent")
    wait_applied(page)
    up = frame.evaluate("window.__dzUpAt")
    applied = frame.evaluate(f"window.__dzAppliedAt[{json.dumps(sent)}]")
    idle = [t for t in page.evaluate("window.__dzIdleAt") if t >= up]
    done = max(applied, idle[-1] if idle else applied)
    return {"map_ms": applied - up, "page_ms": (idle[-1] - up) if idle else 0.0, "ms": done - up}


def run(steps: int) -> dict:
    """Start the server, open the editor and time ``steps`` drags."""
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="dezmap-edit-bench-"))
    data = work / "data"
    shutil.copytree(browser.DATA, data, ignore=shutil.ignore_patterns("imported", ".backups"))
    results = []
    try:
        with serve_edit(data) as server, sync_playwright() as playwright:
            chromium = browser.launch_chromium(playwright)
            context = chromium.new_context(viewport=browser.VIEWPORT)
            context.set_default_timeout(60_000)
            page, _ = browser.new_page(context, server.base_url)
            open_editor(page, server)
            page.evaluate(_WATCH_PAGE)
            editor_frame(page).evaluate(_WATCH_FRAME)
            step(page, 15)  # warm-up: the first rerun with a change compiles and caches
            step(page, -15)
            for i in range(steps):
                results.append(step(page, 15 if i % 2 == 0 else -15))
                log(f"step {i + 1}/{steps}: {results[-1]['ms']:.0f} ms")
            chromium.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = sorted(r["ms"] for r in results)
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "steps": len(results),
        "drag_to_preview_ms": {
            "median": statistics.median(total),
            "p90": total[int(0.9 * (len(total) - 1))],
            "max": total[-1],
            "min": total[0],
        },
        "map_preview_ms_median": statistics.median(r["map_ms"] for r in results),
        "page_run_ms_median": statistics.median(r["page_ms"] for r in results),
        "debounce_ms": 200,
        "target_ms": TARGET_MS,
        "runs": results,
    }


def main() -> int:
    """Run the benchmark and print a table or JSON (exit 0 whatever the figures)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--steps", type=int, default=20, help="drags to time (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    figures = run(args.steps)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    # on a shared 2-core machine other work slows every step: say how busy it was
    figures["load_average_1min"] = {"before": load_before, "after": os.getloadavg()[0]}
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    d = figures["drag_to_preview_ms"]
    verdict = "PASS" if d["median"] <= TARGET_MS else "FAIL"
    print("| figure | measured | target | |")
    print("|---|---|---|---|")
    print(
        f"| vertex drag to validation and change preview shown, median of {figures['steps']} "
        f"| {d['median']:.0f} ms (p90 {d['p90']:.0f}, max {d['max']:.0f}) "
        f"| <= {TARGET_MS:.0f} ms | {verdict} |"
    )
    print(
        f"| of which: map preview drawn (median) | {figures['map_preview_ms_median']:.0f} ms | | |"
    )
    print(f"| of which: page run over (median) | {figures['page_run_ms_median']:.0f} ms | | |")
    print("| of which: the editor's wait after a drag | 200 ms | | |")
    load = figures["load_average_1min"]
    print(f"\nload average (1 min) before {load['before']:.2f}, after {load['after']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
