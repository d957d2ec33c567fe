"""Browser benchmark: cold start, slider step and map payload, in Debian's Chromium.

Run it from the checkout (see benchmarks/README.md for what each figure means)::

    .venv/bin/python benchmarks/browser_bench.py            # table
    .venv/bin/python benchmarks/browser_bench.py --json     # the same figures as JSON

It drives the real server (``python -m geo serve``) with Playwright, as the browser tests do
(``tests/browser.py``), and computes what the map must show at each instant in-process with
``geo``, so that a step only counts as done when the map shows the right thing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from geo import schema  # noqa: E402
from geo.filters import local_instant  # noqa: E402
from geo.render import DETAIL_LIMIT, STATUS_COLORS  # noqa: E402
from geo.timemodel import DEFAULT_WINDOW_DAYS, Timeline, status_at, window_incidents  # noqa: E402
from tests import browser  # noqa: E402

DATA = browser.DATA
TARGETS = {
    "cold_start_s": 4.0,
    "step_bundled_ms": 300.0,
    "step_100k_ms": 800.0,
    "payload_100k_bytes": 2_000_000,
}
#: The slider benchmark starts here (a busy stretch of the bundled data: July-August 2017).
STEP_START = "2017-07-18"
#: The payload of the 3650-day window is measured on the step from this day (nearly every
#: synthetic incident lies in the ten years before it, through the nationwide zone).
WIDE_START = "2022-12-29"
WIDE_WINDOW = 3650
#: A step is over when the page and the map have not changed for this long (not counted).
QUIET_MS = 400
STEP_TIMEOUT_S = 90.0


def log(message: str) -> None:
    """Progress, on stderr (stdout holds the table or the JSON)."""
    print(message, file=sys.stderr, flush=True)


# --- what the map must show ------------------------------------------------------------------


def expected_view(timeline: Timeline, at: pd.Timestamp, window: float) -> tuple[str, tuple]:
    """The heading and the map signature (see tests.browser.map_signature) at an instant.

    The number of markers is left out (None) when a data set has more than DETAIL_LIMIT
    incidents in the window: they are then drawn as clusters whose count depends on the zoom.
    """
    status = status_at(timeline, at, window_days=window)
    zones = tuple(
        sorted(
            (z, s, STATUS_COLORS[s])
            for z, s in zip(status["zone_id"], status["status"], strict=True)
        )
    )
    shown = window_incidents(timeline, at, window_days=window).drop_duplicates(
        ["dataset", "violation_id"]
    )
    per_set = shown["dataset"].value_counts()
    markers = None if (per_set > DETAIL_LIMIT).any() else len(shown)
    return schema.format_local(at), (zones, markers)


def incidents_in_window(timeline: Timeline, at: pd.Timestamp, window: float) -> int:
    """How many distinct incidents the map draws at an instant."""
    shown = window_incidents(timeline, at, window_days=window)
    return len(shown.drop_duplicates(["dataset", "violation_id"]))


# --- probes in the page and in the map iframe --------------------------------------------------

_PAGE_PROBE = """(heading) => {
    if (window.__dzb) return;
    const now = () => performance.timeOrigin + performance.now();
    const probe = window.__dzb = {key: 0, heading: "", headingAt: 0};
    document.addEventListener("keydown", (e) => {
        if (e.key === "ArrowRight" || e.key === "ArrowLeft") probe.key = now();
    }, true);
    const read = () => {
        const h = document.querySelector(heading);
        const text = h ? h.innerText.trim() : "";
        if (text !== probe.heading) { probe.heading = text; probe.headingAt = now(); }
    };
    new MutationObserver(read).observe(document.body,
        {subtree: true, childList: true, characterData: true});
    read();
}"""

_FRAME_PROBE = """() => {
    if (window.__dzb) return true;
    const pane = document.querySelector(".leaflet-map-pane");
    if (!pane) return false;
    const now = () => performance.timeOrigin + performance.now();
    const probe = window.__dzb = {last: 0};
    new MutationObserver(() => { probe.last = now(); }).observe(pane, {
        subtree: true, childList: true, attributes: true,
        attributeFilter: ["class", "fill", "d"]});
    return true;
}"""

_PAGE_STATE = """(idle) => ({
    key: window.__dzb.key, heading: window.__dzb.heading, headingAt: window.__dzb.headingAt,
    idle: !!document.querySelector(idle),
    now: performance.timeOrigin + performance.now(),
})"""


@dataclass
class Step:
    """One slider step: latency (ms), bytes received on the websocket, incidents shown."""

    ms: float
    ws_bytes: int
    incidents: int


class Session:
    """A page on a server, with websocket byte counting and the probes installed."""

    def __init__(self, context: Any, server: browser.Server) -> None:
        self.page, self.log = browser.new_page(context, server.base_url)
        self.frames: list[int] = []
        self.page.on("websocket", self._on_ws)

    def _on_ws(self, ws: Any) -> None:
        ws.on("framereceived", lambda payload: self.frames.append(_size(payload)))

    def open(self, url: str) -> None:
        """Go to an address and wait until the map is drawn and Streamlit idle."""
        self.page.goto(url)
        browser.wait_for_map(self.page, timeout=STEP_TIMEOUT_S * 1000)
        self.page.locator('[data-testid="stDataFrame"]').first.wait_for(
            timeout=STEP_TIMEOUT_S * 1000
        )
        browser.wait_for_idle(self.page, timeout=STEP_TIMEOUT_S * 1000)

    def _install(self) -> Any:
        self.page.evaluate(_PAGE_PROBE, browser.HEADING)
        frame = browser.map_frame_object(self.page)
        assert frame.evaluate(_FRAME_PROBE), "no Leaflet map in the map iframe"
        return frame

    def step(self, heading: str, signature: tuple, incidents: int) -> Step:
        """Press ArrowRight on the Day slider; wait until the map shows ``signature``.

        The latency is measured in the browser: from the keydown event to the later of the
        heading showing the new instant and the last change of the map's layers.
        """
        frame = self._install()
        self.page.evaluate("() => { window.__dzb.key = 0; }")
        before = len(self.frames)
        browser.press_day_slider(self.page, "ArrowRight")
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while True:
            page = self.page.evaluate(_PAGE_STATE, browser.APP_IDLE)
            last_map = frame.evaluate("() => window.__dzb.last")
            done = page["heading"] == heading and page["idle"] and page["key"]
            if done:
                got = browser.map_signature(self.page)
                if signature[1] is None:
                    got = (got[0], None)
                done = got == signature
            if done:
                changed = max(page["headingAt"], last_map)
                if page["now"] - changed >= QUIET_MS:
                    ms = max(page["headingAt"], last_map if last_map > page["key"] else 0)
                    return Step(ms - page["key"], sum(self.frames[before:]), incidents)
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the step to {heading!r} did not settle in {STEP_TIMEOUT_S:g} s: page "
                    f"{page}, map {browser.map_signature(self.page)}, expected {signature}"
                )
            time.sleep(0.05)


def _size(payload: str | bytes) -> int:
    return len(payload) if isinstance(payload, bytes | bytearray) else len(payload.encode("utf-8"))


# --- the measurements ------------------------------------------------------------------------


def _page_to_map(chromium: Any, server: browser.Server) -> tuple[float, float]:
    """Open "/" in a fresh context; return (time of goto, time the first zone is visible)."""
    context = chromium.new_context(viewport=browser.VIEWPORT)
    try:
        page, _ = browser.new_page(context, server.base_url)
        t_goto = time.perf_counter()
        page.goto(f"{server.base_url}/")
        browser.wait_for_map(page, timeout=STEP_TIMEOUT_S * 1000)
        return t_goto, time.perf_counter()
    finally:
        context.close()


def cold_start(chromium: Any, data: Path, runs: int) -> dict[str, Any]:
    """Launch the server, open "/" and wait for the first zone path drawn; ``runs`` times.

    Each run also opens "/" once more in a new context on the now warm server (modules
    imported, data cached), to show how much of the first load is the server warming up.
    """
    results = []
    for run in range(runs):
        with browser.serve(data) as server:
            t_goto, t_map = _page_to_map(chromium, server)
            w_goto, w_map = _page_to_map(chromium, server)
        row = {
            "total_s": t_map - server.started_at,
            "server_ready_s": server.ready_at - server.started_at,
            "page_to_map_s": t_map - t_goto,
            "warm_page_to_map_s": w_map - w_goto,
        }
        log(f"  cold start {run + 1}/{runs}: " + ", ".join(f"{k} {v:.2f}" for k, v in row.items()))
        results.append(row)
    return {
        "runs": results,
        **{f"median_{k}": statistics.median(r[k] for r in results) for k in results[0]},
    }


def slider(
    chromium: Any, data: Path, timeline: Timeline, steps: int, start: str, window: float
) -> dict[str, Any]:
    """``steps`` presses of ArrowRight on the Day slider from ``start`` at 12:00 Damascus."""
    day = pd.Timestamp(start).date()
    with browser.serve(data) as server:
        context = chromium.new_context(viewport=browser.VIEWPORT)
        try:
            session = Session(context, server)
            at = local_instant(day)
            query = f"at={at.isoformat(timespec='minutes').replace('+', '%2B')}"
            if window != DEFAULT_WINDOW_DAYS:
                query += f"&window={window:g}"
            session.open(f"{server.base_url}/?{query}")
            done = []
            for i in range(steps):
                day = day + pd.Timedelta(days=1)
                at = local_instant(day)
                heading, signature = expected_view(timeline, at, window)
                step = session.step(heading, signature, incidents_in_window(timeline, at, window))
                log(
                    f"  step {i + 1}/{steps} to {heading}: {step.ms:.0f} ms, "
                    f"{step.ws_bytes:,} bytes, {step.incidents} incidents"
                )
                done.append(step)
            errors = session.log.unexpected_console_errors() + session.log.page_errors
        finally:
            context.close()
    ms = [s.ms for s in done]
    return {
        "steps": len(done),
        "window_days": window,
        "median_ms": statistics.median(ms),
        "p90_ms": sorted(ms)[max(0, int(round(0.9 * len(ms))) - 1)],
        "max_ms": max(ms),
        "median_ws_bytes": statistics.median(s.ws_bytes for s in done),
        "max_ws_bytes": max(s.ws_bytes for s in done),
        "median_incidents": statistics.median(s.incidents for s in done),
        "step_ms": [round(v, 1) for v in ms],
        "ws_bytes": [s.ws_bytes for s in done],
        "browser_errors": [str(e) for e in errors],
    }


# --- output ----------------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    chromium = subprocess.run(
        [str(browser.CHROMIUM), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "python": platform.python_version(),
        "streamlit": version("streamlit"),
        "streamlit-folium": version("streamlit-folium"),
        "folium": version("folium"),
        "playwright": version("playwright"),
        "chromium": chromium,
        "cpus": str(os.cpu_count()),
        "machine": platform.machine(),
    }


def table(result: dict[str, Any]) -> str:
    """The figures as a plain-text table with pass/fail against the targets."""
    rows: list[tuple[str, str, str, str]] = []

    def add(name: str, value: str, target: str = "", verdict: bool | None = None) -> None:
        rows.append(
            (name, value, target, "" if verdict is None else ("PASS" if verdict else "FAIL"))
        )

    cold = result.get("cold_start_bundled")
    if cold:
        add(
            "cold start to first painted map (bundled)",
            f"{cold['median_total_s']:.2f} s",
            f"<= {TARGETS['cold_start_s']:g} s",
            cold["median_total_s"] <= TARGETS["cold_start_s"],
        )
        add("  of which: server launch to health ok", f"{cold['median_server_ready_s']:.2f} s")
        add("  of which: page load to map", f"{cold['median_page_to_map_s']:.2f} s")
        add("  page load to map, warm server", f"{cold['median_warm_page_to_map_s']:.2f} s")
    cold = result.get("cold_start_100k")
    if cold:
        add("cold start to first painted map (100k)", f"{cold['median_total_s']:.2f} s")
        add("  of which: page load to map", f"{cold['median_page_to_map_s']:.2f} s")
        add("  page load to map, warm server", f"{cold['median_warm_page_to_map_s']:.2f} s")
    for key, label, target in (
        ("step_bundled", "bundled", "step_bundled_ms"),
        ("step_100k", "100k incidents", "step_100k_ms"),
    ):
        step = result.get(key)
        if step:
            add(
                f"slider step to updated map, median ({label})",
                f"{step['median_ms']:.0f} ms",
                f"<= {TARGETS[target]:g} ms",
                step["median_ms"] <= TARGETS[target],
            )
            add(
                f"  p90 / max over {step['steps']} steps",
                f"{step['p90_ms']:.0f} / {step['max_ms']:.0f} ms",
            )
    step = result.get("step_100k")
    if step:
        add(
            "map payload per step, 100k, 7-day window (median)",
            f"{step['median_ws_bytes'] / 1e6:.3f} MB",
            f"<= {TARGETS['payload_100k_bytes'] / 1e6:g} MB",
            step["median_ws_bytes"] <= TARGETS["payload_100k_bytes"],
        )
        add("  incidents drawn (median)", f"{step['median_incidents']:,.0f}")
    wide = result.get("payload_100k_wide")
    if wide:
        add(
            f"map payload per step, 100k, {WIDE_WINDOW}-day window",
            f"{wide['median_ws_bytes'] / 1e6:.3f} MB",
            f"<= {TARGETS['payload_100k_bytes'] / 1e6:g} MB",
            wide["median_ws_bytes"] <= TARGETS["payload_100k_bytes"],
        )
        add("  incidents drawn", f"{wide['median_incidents']:,.0f}")
        add("  step to updated map", f"{wide['median_ms']:.0f} ms")
    for key in ("step_bundled", "step_100k", "payload_100k_wide"):
        errors = (result.get(key) or {}).get("browser_errors")
        if errors:
            add(f"browser errors ({key})", "; ".join(sorted(set(errors)))[:120])
    widths = [
        max(len(r[i]) for r in [("figure", "measured", "target", ""), *rows]) for i in range(4)
    ]
    lines = []
    for r in [("figure", "measured", "target", ""), *rows]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a table (or JSON); exit 0 (targets are reported, not enforced)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--runs", type=int, default=3, help="cold-start runs (default 3)")
    parser.add_argument("--steps", type=int, default=20, help="slider steps (default 20)")
    parser.add_argument(
        "--incidents", type=int, default=100_000, help="synthetic incidents (default 100000)"
    )
    parser.add_argument(
        "--skip-large", action="store_true", help="only the bundled data (no synthetic set)"
    )
    args = parser.parse_args(argv)
    if not browser.CHROMIUM.exists():
        print(f"browser_bench: {browser.CHROMIUM} not found (make browser)", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    from geo.datasets import load_timeline

    result: dict[str, Any] = {"versions": _versions(), "targets": TARGETS, "quiet_ms": QUIET_MS}
    with tempfile.TemporaryDirectory(prefix="dezmap-bench-") as tmp, sync_playwright() as pw:
        chromium = browser.launch_chromium(pw)
        try:
            log("cold start, bundled data")
            result["cold_start_bundled"] = cold_start(chromium, DATA, args.runs)
            log("slider steps, bundled data")
            bundled = load_timeline(DATA)
            result["step_bundled"] = slider(
                chromium, DATA, bundled, args.steps, STEP_START, DEFAULT_WINDOW_DAYS
            )
            if not args.skip_large:
                log(f"building {args.incidents:,} synthetic incidents")
                large = browser.synthetic_folder(Path(tmp) / "data", args.incidents)
                timeline = load_timeline(large)
                result["incidents_loaded"] = timeline.n_incidents
                log("cold start, synthetic data")
                result["cold_start_100k"] = cold_start(chromium, large, args.runs)
                log("slider steps, synthetic data")
                result["step_100k"] = slider(
                    chromium, large, timeline, args.steps, STEP_START, DEFAULT_WINDOW_DAYS
                )
                log(f"payload, synthetic data, {WIDE_WINDOW}-day window")
                result["payload_100k_wide"] = slider(
                    chromium, large, timeline, 1, WIDE_START, WIDE_WINDOW
                )
        finally:
            chromium.close()
    verdicts = {
        "cold_start": result["cold_start_bundled"]["median_total_s"] <= TARGETS["cold_start_s"],
        "step_bundled": result["step_bundled"]["median_ms"] <= TARGETS["step_bundled_ms"],
    }
    if "step_100k" in result:
        verdicts["step_100k"] = result["step_100k"]["median_ms"] <= TARGETS["step_100k_ms"]
        verdicts["payload_100k_7d"] = (
            result["step_100k"]["median_ws_bytes"] <= TARGETS["payload_100k_bytes"]
        )
        verdicts["payload_100k_wide"] = (
            result["payload_100k_wide"]["median_ws_bytes"] <= TARGETS["payload_100k_bytes"]
        )
    result["pass"] = verdicts
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
