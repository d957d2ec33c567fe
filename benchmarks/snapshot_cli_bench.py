"""Benchmark of `dezmap snapshot` as users run it, and of the browser it replaces.

Measures, on the bundled data (one view: Eastern Ghouta on 23 July 2017 at noon, window 7
days, A4 landscape at 200 dpi):

- **process**: a whole ``dezmap snapshot`` process, from launch to the file on disk (PNG, PDF,
  SVG, HTML), ``--runs`` times each; target 4 s;
- **html**: the self-contained HTML in a warm process (time and size); targets 0.5 s, 1 MB;
- **atlas**: a 24-page monthly atlas PDF (``--from 2017-01-01 --to 2018-12-01 --every 1m``) as a
  whole process; target 20 s;
- **browser**: for the same view, headless Chromium (Debian's, through Playwright) opening the
  HTML snapshot from disk and taking a screenshot of the map once the zones are drawn, with the
  browser already running and including its launch; reported as a ratio to the static PNG
  rendered in a warm process (the snapshot must be faster than the browser).

Wall-clock figures on whatever machine runs it: a measurement, not a test (exit code 0).

Usage::

    .venv/bin/python benchmarks/snapshot_cli_bench.py [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.datasets import load_timeline  # noqa: E402
from geo.export.snapshot import Options, render_snapshot  # noqa: E402
from geo.view import View  # noqa: E402
from tests import browser  # noqa: E402

DEZMAP = Path(sys.executable).parent / "dezmap"
VIEW = "at=2017-07-23T12:00%2B03:00&zone=eastern-ghouta"
GENERATED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed_process(args: list[str]) -> float:
    env = {k: v for k, v in os.environ.items() if k != "DEZMAP_DATA"}
    started = time.perf_counter()
    result = subprocess.run(
        [str(DEZMAP), "snapshot", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"dezmap snapshot {' '.join(args)} failed: {result.stderr}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    out: dict[str, object] = {"view": VIEW, "runs": args.runs}
    work = Path(tempfile.mkdtemp(prefix="dezmap-bench-"))

    processes = {}
    for fmt in ("png", "pdf", "svg", "html"):
        log(f"process: {fmt}")
        times = [
            timed_process(["--view", VIEW, "-o", str(work / f"v.{fmt}")]) for _ in range(args.runs)
        ]
        processes[fmt] = {"median_s": statistics.median(times), "min_s": min(times)}
    out["process"] = processes

    timeline = load_timeline(ROOT / "data")
    view = View.parse(VIEW, timeline)
    render_snapshot(timeline, view, Options(fmt="html", generated=GENERATED))  # warm up
    render_snapshot(timeline, view, Options(fmt="png", generated=GENERATED))
    html_times, png_times = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        html = render_snapshot(timeline, view, Options(fmt="html", generated=GENERATED))
        html_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        render_snapshot(timeline, view, Options(fmt="png", generated=GENERATED))
        png_times.append(time.perf_counter() - started)
    out["html"] = {"median_s": statistics.median(html_times), "bytes": len(html)}
    out["png_warm"] = {"median_s": statistics.median(png_times), "min_s": min(png_times)}
    html_path = work / "view.html"
    html_path.write_bytes(html)

    log("atlas: 24 monthly pages")
    atlas_times = [
        timed_process(
            [
                "--from",
                "2017-01-01",
                "--to",
                "2018-12-01",
                "--every",
                "1m",
                "--zone",
                "eastern-ghouta",
                "-o",
                str(work / "atlas.pdf"),
            ]
        )  # fmt: skip
        for _ in range(max(1, args.runs // 2))
    ]
    out["atlas_24_pages"] = {"median_s": statistics.median(atlas_times), "min_s": min(atlas_times)}

    log("browser: screenshot of the same view")
    from playwright.sync_api import sync_playwright

    warm, cold = [], []
    with sync_playwright() as playwright:
        for _ in range(args.runs):
            started = time.perf_counter()
            chromium = browser.launch_chromium(playwright)
            launched = time.perf_counter()
            page = chromium.new_page(viewport={"width": 2339, "height": 1654})
            page.goto(html_path.as_uri())
            page.locator("path.dz-zone").first.wait_for(state="visible")
            page.screenshot(path=str(work / "browser.png"))
            done = time.perf_counter()
            chromium.close()
            cold.append(done - started)
            warm.append(done - launched)
    out["browser"] = {
        "warm_median_s": statistics.median(warm),
        "with_launch_median_s": statistics.median(cold),
        "ratio_warm_to_png": statistics.median(warm) / statistics.median(png_times),
        "ratio_with_launch_to_process": statistics.median(cold) / processes["png"]["median_s"],
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    p = processes
    print(f"view: {VIEW}; A4 landscape 200 dpi; {args.runs} runs; medians (best)")
    print("| measure | result | target |")
    print("|---|---|---|")
    for fmt in p:
        print(
            f"| whole `dezmap snapshot` process, {fmt.upper()} | {p[fmt]['median_s']:.2f} s "
            f"({p[fmt]['min_s']:.2f}) | <= 4 s |"
        )
    print(
        f"| HTML in a warm process | {out['html']['median_s']:.3f} s, "
        f"{out['html']['bytes'] / 1e6:.2f} MB | <= 0.5 s, <= 1 MB |"
    )
    print(
        f"| PNG in a warm process | {out['png_warm']['median_s']:.2f} s "
        f"({out['png_warm']['min_s']:.2f}) | <= 1 s |"
    )
    a = out["atlas_24_pages"]
    print(f"| 24-page monthly atlas PDF, whole process | {a['median_s']:.1f} s | <= 20 s |")
    b = out["browser"]
    print(
        f"| Chromium: open the HTML and screenshot, browser running | {b['warm_median_s']:.2f} s "
        f"({b['ratio_warm_to_png']:.1f}x the warm PNG) | slower than the PNG |"
    )
    print(
        f"| Chromium including its launch | {b['with_launch_median_s']:.2f} s "
        f"({b['ratio_with_launch_to_process']:.1f}x the whole PNG process) | |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
