"""Benchmark of static snapshots (geo.render.static): PNG, PDF and SVG, bundled data and 100k.

Times, in one warm process, drawing a view with :func:`geo.render.static.render_static` and
writing it with :func:`geo.render.static.save_figure` to memory, for each format:

- **bundled**: the bundled data at its busiest instant (every Astana zone, the incidents of
  the 7-day window), A4 landscape at 200 dpi, in English and in Arabic, and a 16:9 slide;
- **100k**: a temporary copy of the bundled data plus 100,000 synthetic incidents (made as
  ``tests/browser.py``'s ``synthetic_folder`` makes them, from
  :func:`geo.bench.synthetic_incidents`), viewed with a window long enough to hold them all.

Each case is drawn once to warm up (imports, the country outlines, font caches), then
``--runs`` times; the table gives the median and the fastest run, from the start of drawing to
the last byte written. Timing is wall-clock on whatever machine runs it: a measurement, not a
test (exit code 0 either way).

Usage::

    .venv/bin/python benchmarks/snapshot_bench.py [--runs N] [--incidents N] [--skip-large] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.datasets import load_timeline  # noqa: E402
from geo.render.static import page_size, render_static, save_figure  # noqa: E402
from geo.view import View, default_view, select  # noqa: E402
from tests import browser  # noqa: E402

GENERATED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
#: Targets from issue 7, seconds.
TARGETS = {"bundled": 1.0, "100k": 3.0}


@dataclass
class Row:
    """One timed case."""

    data: str
    case: str
    fmt: str
    incidents: int
    median_s: float
    min_s: float
    render_s: float
    bytes: int
    target_s: float

    @property
    def ok(self) -> bool:
        return self.median_s <= self.target_s


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def time_case(scene, *, size: str, lang: str, fmt: str, runs: int) -> tuple[list, list, int]:
    """Draw and write one snapshot ``runs`` times after a warm-up; total and drawing times."""
    page = page_size(size, dpi=200)
    totals, renders, size_bytes = [], [], 0
    for i in range(runs + 1):
        start = time.perf_counter()
        fig = render_static(
            scene,
            page=page,
            lang=lang,
            permalink=scene.view.permalink("http://localhost:8501/"),
            data_version="bench",
            generated=GENERATED,
        )
        drawn = time.perf_counter()
        out = io.BytesIO()
        save_figure(fig, out, fmt)
        end = time.perf_counter()
        if i:  # the first run warms up
            totals.append(end - start)
            renders.append(drawn - start)
        size_bytes = len(out.getvalue())
    return totals, renders, size_bytes


def run_data(name: str, scene, cases, runs: int) -> list[Row]:
    rows = []
    for case, size, lang, fmt in cases:
        log(f"{name}: {case} {fmt} ...")
        totals, renders, size_bytes = time_case(scene, size=size, lang=lang, fmt=fmt, runs=runs)
        rows.append(
            Row(
                data=name,
                case=case,
                fmt=fmt,
                incidents=len(scene.records),
                median_s=statistics.median(totals),
                min_s=min(totals),
                render_s=statistics.median(renders),
                bytes=size_bytes,
                target_s=TARGETS[name],
            )
        )
    return rows


CASES = [
    ("A4 200 dpi, en", "a4", "en", "png"),
    ("A4, en", "a4", "en", "pdf"),
    ("A4, en", "a4", "en", "svg"),
    ("A4 200 dpi, ar", "a4", "ar", "png"),
    ("A4, ar", "a4", "ar", "pdf"),
    ("slide 1920x1080, en", "slide", "en", "png"),
]
LARGE_CASES = [
    ("A4 200 dpi, en", "a4", "en", "png"),
    ("A4, en", "a4", "en", "pdf"),
    ("A4, en", "a4", "en", "svg"),
]


def format_table(rows: list[Row]) -> str:
    header = (
        f"{'data':<8} {'case':<22} {'fmt':<4} {'incidents':>9} {'median s':>9} {'min s':>7} "
        f"{'draw s':>7} {'size':>9}  target"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        size = f"{r.bytes / 1024:,.0f} KB" if r.bytes < 2**20 else f"{r.bytes / 2**20:.1f} MB"
        verdict = "ok" if r.ok else "MISSED"
        lines.append(
            f"{r.data:<8} {r.case:<22} {r.fmt:<4} {r.incidents:>9,} {r.median_s:>9.3f} "
            f"{r.min_s:>7.3f} {r.render_s:>7.3f} {size:>9}  <= {r.target_s:g} s {verdict}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (default 5)")
    parser.add_argument(
        "--incidents", type=int, default=100_000, help="synthetic incidents (default 100000)"
    )
    parser.add_argument("--skip-large", action="store_true", help="bundled data only")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    timeline = load_timeline(browser.DATA)
    rows = run_data("bundled", select(timeline, default_view(timeline)), CASES, args.runs)
    if not args.skip_large:
        with tempfile.TemporaryDirectory(prefix="dezmap-snapshot-bench-") as tmp:
            log(f"making {args.incidents:,} synthetic incidents ...")
            folder = browser.synthetic_folder(Path(tmp) / "data", args.incidents)
            large = load_timeline(folder)
            # ten years before the end of the synthetic dates: every incident is in the window
            view = View.parse("at=2023-01-01T00:00&window=3650", large)
            rows += run_data("100k", select(large, view), LARGE_CASES, args.runs)
    if args.json:
        print(json.dumps([asdict(r) | {"ok": r.ok} for r in rows], indent=2))
    else:
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
