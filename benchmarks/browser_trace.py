"""Where the browser spends its time: Chromium performance traces of five moments.

::

    .venv/bin/python benchmarks/browser_trace.py [--incidents 100000] [--json]

1. **page load**: a fresh browser context opening "/" on a warm ``dezmap serve`` (bundled
   data) until the first zone is drawn and Streamlit is idle;
2. **slider step**: ArrowRight on the Day slider (bundled data, from 18 July 2017) until the
   map shows the next day;
3. **focus change** and **Map -> Zone**: choosing Eastern Ghouta as the focus zone, then the
   Zone page from the sidebar (timed as browser_bench's interactions are);
4. **wide step**: a slider step on a copy of the data with ``--incidents`` synthetic
   incidents, opened with ``window=3650`` on 29 December 2022 (nearly every incident in the
   window).

Each is traced with Chromium's own tracing (the DevTools timeline categories) and reduced to
the renderer's main-thread time by kind, counted as self time (an event's duration less that
of the events inside it), as DevTools' summary does: script (parse, compile and run, split by
the script's address: Streamlit's frontend, Leaflet and its plugins, the map's own inline
code), style and layout, paint and compositing, HTML parsing, garbage collection, other. It
also gives the wall time of the moment and the bytes the server sent on the websocket.

A diagnosis, not a benchmark with targets: figures depend on the machine and its load, which
is printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import browser_bench as bench  # noqa: E402

from tests import browser  # noqa: E402

CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "v8.execute",
    "blink.user_timing",
    "loading",
    "v8",
]
SCRIPT = {
    "EvaluateScript",
    "FunctionCall",
    "v8.compile",
    "v8.compileModule",
    "V8.CompileCode",
    "v8.produceCache",
    "v8.run",
    "v8.callFunction",
    "EventDispatch",
    "TimerFire",
    "FireAnimationFrame",
    "RunMicrotasks",
    "v8.evaluateModule",
    "XHRReadyStateChange",
    "XHRLoad",
    "ParseAuthorStyleSheet",
}
STYLE_LAYOUT = {"UpdateLayoutTree", "Layout", "RecalculateStyles", "HitTest", "PrePaint"}
PAINT = {"Paint", "PaintImage", "CompositeLayers", "UpdateLayer", "Layerize", "RasterTask"}
PARSE = {"ParseHTML"}
GC = {"MinorGC", "MajorGC", "V8.GCScavenger", "V8.GCFinalizeMC", "BlinkGC.AtomicPhase"}


def _kind(name: str) -> str:
    if name in SCRIPT:
        return "script"
    if name in STYLE_LAYOUT:
        return "style and layout"
    if name in PAINT:
        return "paint and compositing"
    if name in PARSE:
        return "HTML parsing"
    if name in GC or "GC" in name:
        return "garbage collection"
    return "other"


def _source(event: dict) -> str:
    """Whose script an event runs, from its address."""
    data = (event.get("args") or {}).get("data") or {}
    url = str(data.get("url") or data.get("scriptName") or "")
    if "/static/vendor/" in url:
        return "Leaflet and plugins"
    if "/static/js/" in url or "/static/" in url and url.endswith(".js"):
        return "Streamlit frontend"
    if url.startswith("about:srcdoc") or "component" in url or not url:
        return "map and component code (inline)"
    return "other scripts"


def _close(stack: list[list], until: float, kinds: Counter, sources: Counter) -> None:
    """Pop the events that end by ``until``, adding their self time to the counters."""
    while stack and stack[-1][1] <= until:
        event, _, inside = stack.pop()
        own = max(event["dur"] - inside, 0) / 1000
        kind = _kind(event["name"])
        kinds[kind] += own
        if kind == "script":
            sources[_source(event)] += own
        if stack:
            stack[-1][2] += event["dur"]


def summarise(trace: dict) -> dict[str, Any]:
    """Main-thread self time of the renderer, by kind and by script source (ms)."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    names = {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            names[(e["pid"], e["tid"])] = e["args"]["name"]
    main = {k for k, v in names.items() if v == "CrRendererMain"}
    by_thread: dict[tuple, list[dict]] = defaultdict(list)
    for e in events:
        key = (e.get("pid"), e.get("tid"))
        if key in main and e.get("ph") == "X" and "dur" in e:
            by_thread[key].append(e)
    kinds: Counter = Counter()
    sources: Counter = Counter()
    busy = 0.0
    for items in by_thread.values():
        items.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack: list[list] = []  # [event, end, time of the events inside it]
        for e in items:
            _close(stack, e["ts"], kinds, sources)
            if not stack and e["name"] in ("RunTask", "ThreadControllerImpl::RunTask"):
                busy += e["dur"] / 1000
            stack.append([e, e["ts"] + e["dur"], 0.0])
        _close(stack, float("inf"), kinds, sources)
    kinds.pop("other", None)
    return {
        "main_thread_busy_ms": round(busy, 1),
        "by_kind_ms": {k: round(v, 1) for k, v in kinds.most_common()},
        "script_by_source_ms": {k: round(v, 1) for k, v in sources.most_common()},
    }


def traced(chromium: Any, page: Any, action: Any) -> tuple[dict, float]:
    """Trace ``action()``; return the summary and its wall time in seconds."""
    chromium.start_tracing(page=page, categories=CATEGORIES)
    started = time.perf_counter()
    try:
        action()
    finally:
        raw = chromium.stop_tracing()
    return summarise(json.loads(raw)), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Trace the three moments and print what the browser's main thread did."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from geo.datasets import load_timeline
    from geo.filters import local_instant

    out: dict[str, Any] = {"load_average_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="dezmap-trace-") as tmp, sync_playwright() as pw:
        chromium = browser.launch_chromium(pw)
        try:
            timeline = load_timeline(bench.DATA)
            with browser.serve(bench.DATA) as server:
                bench._page_to_map(chromium, server)  # warm the server's caches
                context = chromium.new_context(viewport=browser.VIEWPORT)
                session = bench.Session(context, server)

                def load() -> None:
                    session.open(f"{server.base_url}/")

                summary, wall = traced(chromium, session.page, load)
                out["page load"] = {"wall_s": round(wall, 2), "ws_bytes": sum(session.frames)}
                out["page load"].update(summary)
                at = local_instant(bench.pd.Timestamp(bench.STEP_START).date())
                session.open(
                    f"{server.base_url}/?at={at.isoformat(timespec='minutes')}".replace("+", "%2B")
                )
                day = at + bench.pd.Timedelta(days=1)
                heading, signature = bench.expected_view(timeline, day, 7)
                count = bench.incidents_in_window(timeline, day, 7)
                holder: dict[str, Any] = {}

                def step() -> None:
                    holder["step"] = session.step(heading, signature, count)

                summary, wall = traced(chromium, session.page, step)
                out["slider step"] = {
                    "wall_s": round(wall, 2),
                    "step_ms": round(holder["step"].ms),
                    "ws_bytes": holder["step"].ws_bytes,
                    **summary,
                }
                context.close()
                # a focus change and the switch to the Zone page, on a page with the probes
                context = chromium.new_context(viewport=browser.VIEWPORT)
                context.add_init_script(bench._INIT_PROBE)
                session = bench.Session(context, server)
                page = session.page
                session.open(f"{server.base_url}/")
                name = dict(
                    zip(
                        timeline.zones.versions["zone_id"],
                        timeline.zones.versions["name"],
                        strict=True,
                    )
                )["eastern-ghouta"]

                def focus() -> None:
                    holder["focus"] = bench.interaction(
                        page,
                        lambda: bench._choose(page, "Focus zone", name),
                        lambda: "zone=eastern-ghouta" in page.url,
                        "focus",
                    )

                for label, action, key in (
                    ("focus change", focus, "focus"),
                    ("Map -> Zone", None, "zone"),
                ):
                    if action is None:

                        def action() -> None:
                            holder["zone"] = bench.interaction(
                                page,
                                lambda: bench._nav(page, "Zone"),
                                lambda: (
                                    page.locator("h3").filter(has_text="Compliance").count() > 0
                                ),
                                "Map -> Zone",
                            )

                    before = len(session.frames)
                    summary, wall = traced(chromium, page, action)
                    out[label] = {
                        "wall_s": round(wall, 2),
                        "step_ms": round(holder[key]),
                        "ws_bytes": sum(session.frames[before:]),
                        **summary,
                    }
                context.close()
            data = browser.synthetic_folder(Path(tmp) / "data", args.incidents)
            large = load_timeline(data)
            with browser.serve(data) as server:
                context = chromium.new_context(viewport=browser.VIEWPORT)
                session = bench.Session(context, server)
                at = local_instant(bench.pd.Timestamp(bench.WIDE_START).date())
                query = f"at={at.isoformat(timespec='minutes')}".replace("+", "%2B")
                session.open(f"{server.base_url}/?{query}&window={bench.WIDE_WINDOW}")
                day = at + bench.pd.Timedelta(days=1)
                heading, signature = bench.expected_view(large, day, bench.WIDE_WINDOW)
                count = bench.incidents_in_window(large, day, bench.WIDE_WINDOW)

                def wide() -> None:
                    holder["wide"] = session.step(heading, signature, count)

                summary, wall = traced(chromium, session.page, wide)
                out["wide step"] = {
                    "wall_s": round(wall, 2),
                    "step_ms": round(holder["wide"].ms),
                    "ws_bytes": holder["wide"].ws_bytes,
                    "incidents": count,
                    **summary,
                }
                context.close()
        finally:
            chromium.close()
    out["load_average_end"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    for name in ("page load", "slider step", "focus change", "Map -> Zone", "wide step"):
        moment = out[name]
        extra = f", step {moment['step_ms']} ms" if "step_ms" in moment else ""
        print(
            f"{name}: {moment['wall_s']:.2f} s wall{extra}, websocket {moment['ws_bytes']:,} "
            f"bytes, renderer main thread busy {moment['main_thread_busy_ms']:.0f} ms"
        )
        for kind, ms in moment["by_kind_ms"].items():
            print(f"    {kind:<24} {ms:8.0f} ms")
        for source, ms in moment["script_by_source_ms"].items():
            print(f"      script: {source:<32} {ms:8.0f} ms")
    print(f"load average: {out['load_average_start']:.1f} -> {out['load_average_end']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
