"""The speed benchmark of the app in Debian's Chromium, and of ``dezmap import``, in one run.

Run it from the checkout (see benchmarks/README.md for what each figure means)::

    .venv/bin/python benchmarks/browser_bench.py            # table
    .venv/bin/python benchmarks/browser_bench.py --json     # the same figures as JSON

It drives the real server (``python -m geo serve``) with Playwright, as the browser tests do
(``tests/browser.py``): server start, cold and warm page loads beside a plain Streamlit page,
slider steps, a focus change, page switches, a jump to an agreement, the Records and Data
health pages' first loads, a records search and a 3,650-day window with 100,000 incidents.
What each screen must show is computed in-process with ``geo``, so that a step only counts as
done when the page shows the right thing. Last, unless ``--skip-import``, it imports 1,000,000
UCDP rows with ``dezmap import`` (``benchmarks/import_bench.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
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
#: Targets of issue 12 (ms unless named _s or _bytes).
TARGETS = {
    "server_ready_s": 3.0,
    "cold_start_s": 7.0,
    "warm_page_to_map_s": 2.5,
    "warm_vs_plain_s": 0.6,
    "step_bundled_ms": 150.0,
    "step_100k_ms": 350.0,
    "focus_ms": 500.0,
    "map_to_zone_ms": 500.0,
    "jump_ms": 500.0,
    "records_first_ms": 1000.0,
    "health_first_ms": 1000.0,
    "search_ms": 300.0,
    "wide_step_ms": 1500.0,
    "payload_100k_bytes": 2_000_000,
    "import_s": 15.0,
    "import_peak_bytes": 1_000_000_000,
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
#: The measures, in the order they run (``--only`` picks some of them).
MEASURES = (
    "plain_streamlit",
    "plain_streamlit_stock",
    "cold_start_bundled",
    "step_bundled",
    "interactions",
    "cold_start_100k",
    "step_100k",
    "payload_100k_wide",
    "import",
)


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


# --- probes in the page and in the map ---------------------------------------------------------

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
    const pane = document.querySelector(".leaflet-map-pane");
    if (window.__dzm && window.__dzm.pane === pane) return true;
    if (!pane) return false;
    const now = () => performance.timeOrigin + performance.now();
    const probe = window.__dzm = {last: 0, pane: pane};
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


#: The hidden chart that loads the chart library (``ui.data.CHART_CODE_KEY``), once drawn.
_CHART_CODE = '.st-key-dz-chart-code [data-testid="stVegaLiteChart"]'


class Session:
    """A page on a server, with websocket byte counting and the probes installed."""

    def __init__(self, context: Any, server: browser.Server) -> None:
        self.page, self.log = browser.new_page(context, server.base_url)
        self.frames: list[int] = []
        self.page.on("websocket", self._on_ws)

    def _on_ws(self, ws: Any) -> None:
        ws.on("framereceived", lambda payload: self.frames.append(_size(payload)))

    def open(self, url: str) -> None:
        """Go to an address and wait until the page is whole and Streamlit idle.

        Whole: the map and the zones' table drawn, and the chart library the Map page loads
        once its map has told its extent (``ui.data.prefetch_chart_code``) loaded, so that
        what is timed next does not share the browser with that load.
        """
        self.page.goto(url)
        browser.wait_for_map(self.page, timeout=STEP_TIMEOUT_S * 1000)
        self.page.locator('[data-testid="stDataFrame"]').first.wait_for(
            timeout=STEP_TIMEOUT_S * 1000
        )
        self.page.locator(_CHART_CODE).wait_for(state="attached", timeout=STEP_TIMEOUT_S * 1000)
        browser.wait_for_idle(self.page, timeout=STEP_TIMEOUT_S * 1000)
        self._settle()

    def _settle(self) -> None:
        """Wait until neither the heading nor the map has changed for ``QUIET_MS``.

        Idle alone is not enough: a page that has just loaded may run once more (the address
        being written back), and a key pressed during that run is lost with the slider it
        was sent to.
        """
        frame = self._install()
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while time.monotonic() < deadline:
            page = self.page.evaluate(_PAGE_STATE, browser.APP_IDLE)
            last = max(page["headingAt"], frame.evaluate("() => window.__dzm.last"))
            if page["idle"] and page["now"] - last >= QUIET_MS:
                return
            time.sleep(0.05)
        raise RuntimeError(f"the page did not settle in {STEP_TIMEOUT_S:g} s ({self.page.url})")

    def _install(self) -> Any:
        self.page.evaluate(_PAGE_PROBE, browser.HEADING)
        frame = browser.map_document(self.page)
        assert frame.evaluate(_FRAME_PROBE), "no Leaflet map on the page"
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
            last_map = frame.evaluate("() => window.__dzm.last")
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


# --- any interaction: from the user's input to the last change on screen -----------------------

#: Installed in every document of a context (the page and each component iframe) before its
#: own scripts run: the time of the last click or key press, and of the last change to the
#: document (Streamlit's header and status widget left out: they change while a script runs).
#: Installed in every document before its scripts: the time of the last input and of the
#: last change of the document. An iframe's first document (about:blank) is replaced by the
#: component's page in the same window object, and Chromium runs no init script for that page:
#: ``ensure()`` watches whichever document the window holds, and every poll calls it, so a
#: new iframe is watched from its first poll on (its map is drawn later than that).
_INIT_PROBE = """(() => {
    const now = () => performance.timeOrigin + performance.now();
    const probe = window.__dzi = window.__dzi || {input: 0, last: 0};
    const NOISE = '[data-testid="stHeader"], [data-testid="stToolbar"], '
        + '[data-testid="stStatusWidget"], [data-testid="stDecoration"]';
    // what cannot show is not counted: a canvas's children are fallback content, never
    // drawn (the data grid keeps an accessible copy of its rows there and refreshes it a
    // moment after the grid is drawn); the canvas's own attributes (its size) do show
    const counts = (r) => {
        const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        if (!el || !el.closest) return true;
        const canvas = el.closest("canvas");
        if (canvas && !(r.type === "attributes" && el === canvas)) return false;
        // inside a container that is not rendered (display: none: the run's hidden beacon,
        // the hidden chart that loads the chart library) nothing shows; an element that
        // hides or shows itself is seen through its parent, which is rendered
        const host = el.parentElement;
        if (host && host.checkVisibility && !host.checkVisibility()) return false;
        return !el.closest(NOISE);
    };
    probe.ensure = () => {
        const doc = window.document;
        if (doc.__dziWatched) return;
        doc.__dziWatched = true;
        new MutationObserver((records) => {
            if (records.some(counts)) probe.last = now();
        }).observe(doc, {subtree: true, childList: true, attributes: true, characterData: true});
        for (const type of ["pointerdown", "keydown"]) {
            doc.addEventListener(type, () => { probe.input = now(); }, true);
        }
    };
    probe.ensure();
})()"""


def _frame_times(page: Any) -> list[float]:
    """The last change of each document of the page (0 for one without the probe)."""
    out = []
    for frame in page.frames:
        try:
            out.append(
                float(
                    frame.evaluate(
                        "() => window.__dzi ? (window.__dzi.ensure(), window.__dzi.last) : 0"
                    )
                )
            )
        except Exception:  # noqa: BLE001 - a frame detached meanwhile
            continue
    return out


def interaction(page: Any, act: Any, done: Any, what: str) -> float:
    """Run ``act`` (the user's input) and return milliseconds until the screen settled.

    The time runs in the browser, from the last click or key press of ``act`` to the last
    change of any document of the page (the page and its iframes), counted once ``done()``
    says the screen shows the right thing, Streamlit is idle, and nothing has changed for
    ``QUIET_MS``. The quiet time is not counted.
    """
    page.evaluate("() => { window.__dzi.input = 0; }")
    _frame_times(page)  # every document watched, iframes included
    act()
    deadline = time.monotonic() + STEP_TIMEOUT_S
    while True:
        state = page.evaluate(
            "(idle) => ({input: window.__dzi.input, idle: !!document.querySelector(idle),"
            " now: performance.timeOrigin + performance.now()})",
            browser.APP_IDLE,
        )
        if state["input"] and state["idle"] and done():
            last = max(_frame_times(page))
            if state["now"] - last >= QUIET_MS:
                return max(last, state["input"]) - state["input"]
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not settle in {STEP_TIMEOUT_S:g} s ({page.url})")
        time.sleep(0.05)


def _select_box(page: Any, label: str) -> Any:
    return page.locator('[data-testid="stSelectbox"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=label)
    )


def _choose(page: Any, label: str, typed: str) -> None:
    """Open a select box, type to filter its options, and press Enter on the first match."""
    box = _select_box(page, label)
    box.locator("input").click()
    box.locator("input").fill(typed)
    page.locator('[role="option"]').first.wait_for()
    box.locator("input").press("Enter")


def _nav(page: Any, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(
        has_text=re.compile(rf"^\s*{re.escape(title)}\s*$")
    ).click()


def _url_view(page: Any, timeline: Timeline) -> Any:
    from geo.view import View

    view, _ = View.from_params(page.url, timeline)
    return view


def _texts(page: Any, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def interactions(
    chromium: Any, data: Path, timeline: Timeline, log_label: str = "bundled"
) -> dict[str, Any]:
    """Focus change, Map->Zone, jump to an agreement, Records and Data health first loads and
    a records search, one after another in one browser tab on a freshly started server.

    Each is measured with :func:`interaction`, and counts only when the page shows what
    ``geo`` computes for the view in the address: the map's zones, statuses and markers and
    the focused zone's outline; the Zone page's title; the Records page's table counts; the
    Data health page's error and warning counts.
    """
    from geo.places import gazetteer
    from geo.validate import validate_dataset
    from geo.view import page_zone, select

    focus_zone = "eastern-ghouta"
    versions = timeline.zones.versions
    names = dict(zip(versions["zone_id"], versions["name"], strict=True))
    agreements = timeline.agreements.frame.sort_values("effective_from")
    out: dict[str, Any] = {}
    with browser.serve(data) as server:
        context = chromium.new_context(viewport=browser.VIEWPORT)
        context.add_init_script(_INIT_PROBE)
        try:
            session = Session(context, server)
            page = session.page

            def measure(key: str, act: Any, done: Any, what: str) -> None:
                before = len(session.frames)
                out[f"{key}_ms"] = interaction(page, act, done, what)
                out[f"{key}_ws_bytes"] = sum(session.frames[before:])

            at = local_instant(pd.Timestamp(STEP_START).date())
            session.open(
                f"{server.base_url}/?at={at.isoformat(timespec='minutes')}".replace("+", "%2B")
            )

            def map_right() -> bool:
                view = _url_view(page, timeline)
                heading, signature = expected_view(timeline, view.at, view.window)
                got = browser.map_signature(page)
                if signature[1] is None:
                    got = (got[0], None)
                return browser.heading(page) == heading and got == signature

            def focused() -> bool:
                if query_of(page.url).get("zone") != focus_zone or not map_right():
                    return False
                strokes = browser.map_document(page).evaluate(
                    "(z) => Array.from(document.querySelectorAll('path.dz-zone'))"
                    ".filter((p) => p.classList.contains('dz-zone-' + z))"
                    ".map((p) => p.getAttribute('stroke'))",
                    focus_zone,
                )
                return bool(strokes) and all(s == "#111827" for s in strokes)

            log(f"  focus zone -> {names[focus_zone]}")
            measure(
                "focus", lambda: _choose(page, "Focus zone", names[focus_zone]), focused, "focus"
            )

            zone_name = names[page_zone(timeline, _url_view(page, timeline))]

            def zone_page() -> bool:
                if not page.url.split("?")[0].endswith("/zone"):
                    return False
                titles = _texts(page, "h1")
                charts = page.locator('[data-testid="stVegaLiteChart"]').count()
                outlines = browser.map_box(page).locator("path.dz-version").count()
                compliance = page.locator("h3").filter(has_text="Compliance").count()
                return titles[:1] == [zone_name] and charts and outlines and compliance

            log("  page switch Map -> Zone")
            measure("map_to_zone", lambda: _nav(page, "Zone"), zone_page, "Zone")

            _nav(page, "Map")
            browser.wait_for_map(page)
            page.wait_for_url("**/?*")
            browser.wait_for_idle(page)
            current = _url_view(page, timeline).at
            target = next(
                row
                for _, row in agreements.iterrows()
                if row["effective_from"] != current
                and (agreements["title"] == row["title"]).sum() == 1
            )
            log(f"  jump to {target['title'][:60]}")

            def jumped() -> bool:
                view = _url_view(page, timeline)
                return view.at == target["effective_from"] and map_right()

            measure(
                "jump",
                lambda: _choose(page, "Jump to an agreement", target["title"][:40]),
                jumped,
                "jump",
            )

            places, _ = gazetteer(data)

            def records_right() -> bool:
                if not page.url.split("?")[0].endswith("/records"):
                    return False
                view = _url_view(page, timeline)
                scene = select(timeline, view)
                want = [
                    f"Agreements ({len(scene.agreement_records())})",
                    f"Incidents ({len(scene.incident_records('window', places=places))})",
                ]
                return (
                    _texts(page, "h3")[:2] == want
                    and page.get_by_role("button", name="Download incidents (GeoJSON)").count() == 1
                )

            log("  Records, first load")
            measure("records_first", lambda: _nav(page, "Records"), records_right, "Records")
            word = "Douma"
            search = page.locator('[data-testid="stTextInput"]').filter(has_text="Search")

            def searched() -> bool:
                return query_of(page.url).get("q") == word and records_right()

            def type_and_enter() -> None:
                search.locator("input").fill(word)
                search.locator("input").press("Enter")

            log(f"  records search {word!r}")
            measure("search", type_and_enter, searched, "search")

            checked = validate_dataset(str(data)).report
            want_metrics = [
                str(sum(p.severity == "error" for p in checked)),
                str(sum(p.severity == "warning" for p in checked)),
            ]

            def health_right() -> bool:
                return (
                    page.url.split("?")[0].endswith("/health")
                    and _texts(page, '[data-testid="stMetricValue"]') == want_metrics
                    and page.locator("h3").filter(has_text="Reference layers").count() == 1
                )

            log("  Data health, first load")
            measure("health_first", lambda: _nav(page, "Data health"), health_right, "Data health")
            errors = session.log.unexpected_console_errors() + session.log.page_errors
            out["browser_errors"] = [str(e) for e in errors]
            out["exceptions_shown"] = page.locator('[data-testid="stException"]').count()
        finally:
            context.close()
    log("  " + ", ".join(f"{k} {v:.0f}" for k, v in out.items() if k.endswith("_ms")))
    return out


def query_of(url: str) -> dict[str, str]:
    """The query parameters of an address (one value each)."""
    import urllib.parse

    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).items()}


# --- a plain Streamlit page, for comparison ---------------------------------------------------

_PLAIN_TEXT = "dezmap benchmark: a plain page"
_PLAIN_APP = f"import streamlit as st\n\nst.write({_PLAIN_TEXT!r})\n"
#: ``streamlit run`` as ``dezmap serve`` runs it: replies sent at once (ui.serve).
_AS_DEZMAP = (
    "import sys\n"
    "from ui.serve import send_replies_at_once\n"
    "send_replies_at_once()\n"
    "from streamlit.web import cli\n"
    "sys.argv = ['streamlit', 'run', *sys.argv[1:]]\n"
    "cli.main()\n"
)


def _first_seen(selector: str) -> str:
    """A script for a context: the page's own time (ms from navigation) when ``selector`` is
    first in the document, as ``window.__dzSeen``, and when the frame that shows it has been
    drawn (the next animation frame, and the task after it), as ``window.__dzPainted``.

    Playwright's waits poll less and less often (up to every 500 ms), so the moment a wait
    returns can lag the page by a few hundred ms when the page is busy; the page's own clock
    does not.
    """
    return (
        "(() => { const sel = " + json.dumps(selector) + "; const note = () => {"
        " if (window.__dzSeen === undefined && document.querySelector(sel)) {"
        " window.__dzSeen = performance.now();"
        " requestAnimationFrame(() => setTimeout(() => {"
        " window.__dzPainted = performance.now(); }, 0)); } };"
        " new MutationObserver(note).observe(document, {subtree: true, childList: true}); })();"
    )


#: True once the first element matching the selector (and holding the text, if one is given)
#: takes room on the page.
_SHOWN_JS = """([sel, text]) => [...document.querySelectorAll(sel)].some((el) => {
  if (text && !el.textContent.includes(text)) return false;
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.height > 0;
})"""


def _painted_at(page: Any) -> float:
    """Seconds from navigation to the drawn frame that first showed :func:`_first_seen`'s
    element, by the page's own clock."""
    page.wait_for_function("window.__dzPainted !== undefined", timeout=STEP_TIMEOUT_S * 1000)
    return page.evaluate("window.__dzPainted") / 1000


def _wait_shown(page: Any, selector: str, text: str = "") -> None:
    """Wait until ``selector`` (with ``text``) is on the page, checked at every animation frame.

    Playwright's own waits for an element poll less and less often (after the first quarter
    second, every 500 ms), which blurs a page load by up to half a second; this one does not.
    """
    page.wait_for_function(
        _SHOWN_JS, arg=[selector, text], polling="raf", timeout=STEP_TIMEOUT_S * 1000
    )


def plain_streamlit(chromium: Any, runs: int, *, stock: bool = False) -> dict[str, Any]:
    """Page load to first text of a one-line Streamlit app, fresh browser context each time.

    The server is ``streamlit run`` with the same environment as dezmap's (file watcher off)
    and, unless ``stock``, its replies sent at once as ``dezmap serve`` has them (without, each
    request after the first on a connection waits 40 ms: :func:`ui.serve.send_replies_at_once`),
    so that the figure is Streamlit's own floor beside dezmap's. Started once; the first load
    is left out (its script runs for the first time), so that the figure compares with
    dezmap's warm-server page load.
    """
    with tempfile.TemporaryDirectory(prefix="dezmap-plain-") as tmp:
        script = Path(tmp) / "plain.py"
        script.write_text(_PLAIN_APP, encoding="utf-8")
        port = browser.free_port()
        env = browser.server_env()
        env.update(
            {
                "STREAMLIT_SERVER_HEADLESS": "true",
                "STREAMLIT_SERVER_PORT": str(port),
                "STREAMLIT_SERVER_ADDRESS": "127.0.0.1",
                "PYTHONPATH": str(ROOT),
            }
        )
        launch = ["-m", "streamlit", "run"] if stock else ["-c", _AS_DEZMAP]
        process = subprocess.Popen(
            [sys.executable, *launch, str(script)],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        base = f"http://localhost:{port}"
        try:
            deadline = time.monotonic() + 60
            while browser._health(base) != "ok":
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the plain Streamlit app did not start")
                time.sleep(0.05)
            times, in_page = [], []
            for run in range(runs + 1):
                context = chromium.new_context(viewport=browser.VIEWPORT)
                context.add_init_script(_first_seen('[data-testid="stMarkdownContainer"]'))
                try:
                    page = context.new_page()
                    started = time.perf_counter()
                    page.goto(f"{base}/")
                    _wait_shown(page, '[data-testid="stMarkdownContainer"]', _PLAIN_TEXT)
                    if run:
                        times.append(time.perf_counter() - started)
                        in_page.append(_painted_at(page))
                finally:
                    context.close()
        finally:
            browser.stop(process)
    label = "as streamlit run serves it" if stock else "served as dezmap is"
    log(f"  plain Streamlit page, {label}: {', '.join(f'{t:.2f}' for t in times)} s")
    return {
        "runs": times,
        "median_s": statistics.median(times),
        "in_page_runs": in_page,
        "median_in_page_s": statistics.median(in_page),
    }


# --- the measurements ------------------------------------------------------------------------


def _tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return total


def _page_to_map(chromium: Any, server: browser.Server) -> tuple[float, float, float, float, float]:
    """Open "/" in a fresh context; return (time of goto, time the first zone is visible,
    CPU seconds the server's processes had used by then, time the Day slider is visible,
    seconds from navigation to the frame that first drew a zone, by the page's own clock).

    The Day slider's time says when the page is whole (its controls drawn)."""
    context = chromium.new_context(viewport=browser.VIEWPORT)
    context.add_init_script(_first_seen("path.dz-zone"))
    try:
        page, _ = browser.new_page(context, server.base_url)
        t_goto = time.perf_counter()
        page.goto(f"{server.base_url}/")
        _wait_shown(page, f"{browser.MAP} path.dz-zone")
        t_map, cpu = time.perf_counter(), _tree_cpu_s(server.process.pid)
        _wait_shown(page, browser.DAY_SLIDER)
        seen = _painted_at(page)
        return t_goto, t_map, cpu, time.perf_counter(), seen
    finally:
        context.close()


#: What ``dezmap serve`` prints once its warm-up (``ui.serve.warm_up``) has ended.
_WARMED_UP = "dezmap: warmed up"


def _warmed_up(server: browser.Server, limit: float = 60.0) -> None:
    """Wait until the server says its warm-up has ended (or ``limit`` seconds).

    The warm-up goes on after the first map (it then imports the Zone page's chart library,
    a second or more of the server's CPU); a page load timed meanwhile shares the machine
    with it and is no warm server's.
    """
    deadline = time.monotonic() + limit
    while _WARMED_UP not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)


def cold_start(chromium: Any, data: Path, runs: int) -> dict[str, Any]:
    """Launch the server, open "/" and wait for the first zone path drawn; ``runs`` times.

    Each run also opens "/" once more in a new context on the now warm server (modules
    imported, data cached, the warm-up's thread done: :func:`_warmed_up`), to show how much
    of the first load is the server warming up.
    """
    results = []
    for run in range(runs):
        with browser.serve(data) as server:
            t_goto, t_map, cpu, _, _ = _page_to_map(chromium, server)
            _warmed_up(server)
            w_goto, w_map, _, w_controls, w_seen = _page_to_map(chromium, server)
        row = {
            "total_s": t_map - server.started_at,
            "server_cpu_to_map_s": cpu,
            "server_ready_s": server.ready_at - server.started_at,
            "page_to_map_s": t_map - t_goto,
            "warm_page_to_map_s": w_map - w_goto,
            "warm_page_to_controls_s": w_controls - w_goto,
            "warm_page_to_map_in_page_s": w_seen,
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


def verdicts(result: dict[str, Any]) -> dict[str, bool]:
    """Each measured figure against its target (True: met)."""
    out: dict[str, bool] = {}
    cold = result.get("cold_start_bundled")
    if cold:
        out["server_ready"] = cold["median_server_ready_s"] <= TARGETS["server_ready_s"]
        out["cold_start"] = cold["median_total_s"] <= TARGETS["cold_start_s"]
        out["warm_page_to_map"] = cold["median_warm_page_to_map_s"] <= TARGETS["warm_page_to_map_s"]
        plain = result.get("plain_streamlit")
        if plain:
            gap = cold["median_warm_page_to_map_s"] - plain["median_s"]
            out["warm_vs_plain"] = gap <= TARGETS["warm_vs_plain_s"]
    for key in ("step_bundled", "step_100k"):
        if result.get(key):
            out[key] = result[key]["median_ms"] <= TARGETS[f"{key}_ms"]
    for key in ("focus", "map_to_zone", "jump", "records_first", "health_first", "search"):
        got = (result.get("interactions") or {}).get(f"{key}_ms")
        if got is not None:
            out[key] = got <= TARGETS[f"{key}_ms"]
    if result.get("step_100k"):
        out["payload_100k_7d"] = (
            result["step_100k"]["median_ws_bytes"] <= TARGETS["payload_100k_bytes"]
        )
    wide = result.get("payload_100k_wide")
    if wide:
        out["payload_100k_wide"] = wide["median_ws_bytes"] <= TARGETS["payload_100k_bytes"]
        out["wide_step"] = wide["median_ms"] <= TARGETS["wide_step_ms"]
    imported = result.get("import")
    if imported:
        out["import_time"] = imported["wall_s"] <= TARGETS["import_s"]
        out["import_memory"] = imported["peak_rss_bytes"] <= TARGETS["import_peak_bytes"]
        out["import_output"] = not imported["problems"]
    return out


def table(result: dict[str, Any]) -> str:
    """The figures as a plain-text table with pass/fail against the targets."""
    rows: list[tuple[str, str, str, str]] = []
    passed = verdicts(result)

    def add(name: str, value: str, target: str = "", key: str | None = None) -> None:
        verdict = "" if key is None or key not in passed else ("PASS" if passed[key] else "FAIL")
        rows.append((name, value, target, verdict))

    cold = result.get("cold_start_bundled")
    plain = result.get("plain_streamlit")
    if cold:
        add(
            "dezmap serve launch to health ok (bundled)",
            f"{cold['median_server_ready_s']:.2f} s",
            f"<= {TARGETS['server_ready_s']:g} s",
            "server_ready",
        )
        add(
            "cold process launch to first painted map (bundled)",
            f"{cold['median_total_s']:.2f} s",
            f"<= {TARGETS['cold_start_s']:g} s",
            "cold_start",
        )
        add("  of which: page load to map", f"{cold['median_page_to_map_s']:.2f} s")
        add("  CPU used by the server until then", f"{cold['median_server_cpu_to_map_s']:.2f} s")
        add(
            "page load to map, warm server (bundled)",
            f"{cold['median_warm_page_to_map_s']:.2f} s",
            f"<= {TARGETS['warm_page_to_map_s']:g} s",
            "warm_page_to_map",
        )
        add(
            "  page whole (the Day slider drawn)",
            f"{cold['median_warm_page_to_controls_s']:.2f} s",
        )
    stock = result.get("plain_streamlit_stock")
    if stock:
        add("plain Streamlit page as `streamlit run` serves it", f"{stock['median_s']:.2f} s")
    if plain:
        add("plain Streamlit page, served as dezmap is", f"{plain['median_s']:.2f} s")
        if cold:
            add(
                "  warm dezmap minus plain Streamlit",
                f"{cold['median_warm_page_to_map_s'] - plain['median_s']:.2f} s",
                f"<= {TARGETS['warm_vs_plain_s']:g} s",
                "warm_vs_plain",
            )
            add(
                "  the same by the pages' own clocks, to the frame drawn (map; plain)",
                f"{cold['median_warm_page_to_map_in_page_s']:.2f} s; "
                f"{plain['median_in_page_s']:.2f} s",
            )
    cold = result.get("cold_start_100k")
    if cold:
        add(
            f"cold process launch to first painted map ({result['incidents']:,} incidents)",
            f"{cold['median_total_s']:.2f} s",
        )
        add("  of which: server launch to health ok", f"{cold['median_server_ready_s']:.2f} s")
        add("  page load to map, warm server", f"{cold['median_warm_page_to_map_s']:.2f} s")
    large = f"{result.get('incidents', 0):,} incidents"
    for key, label in (("step_bundled", "bundled"), ("step_100k", large)):
        step = result.get(key)
        if step:
            add(
                f"slider step to updated map, median ({label})",
                f"{step['median_ms']:.0f} ms",
                f"<= {TARGETS[f'{key}_ms']:g} ms",
                key,
            )
            add(
                f"  p90 / max over {step['steps']} steps",
                f"{step['p90_ms']:.0f} / {step['max_ms']:.0f} ms",
            )
    inter = result.get("interactions")
    if inter:
        for key, label in (
            ("focus", "focus zone change (Map)"),
            ("map_to_zone", "page switch Map -> Zone"),
            ("jump", "jump to an agreement (Map)"),
            ("records_first", "Records, first load (from the Map)"),
            ("search", "records search"),
            ("health_first", "Data health, first load"),
        ):
            value = f"{inter[f'{key}_ms']:.0f} ms"
            if f"{key}_ws_bytes" in inter:
                value += f" ({inter[f'{key}_ws_bytes'] / 1e3:,.0f} kB)"
            add(label, value, f"<= {TARGETS[f'{key}_ms']:g} ms", key)
        if inter.get("exceptions_shown"):
            add("  exceptions shown on the pages", str(inter["exceptions_shown"]))
    step = result.get("step_100k")
    if step:
        add(
            f"map payload per step, {large}, 7-day window (median)",
            f"{step['median_ws_bytes'] / 1e6:.3f} MB",
            f"<= {TARGETS['payload_100k_bytes'] / 1e6:g} MB",
            "payload_100k_7d",
        )
        add("  incidents drawn (median)", f"{step['median_incidents']:,.0f}")
    wide = result.get("payload_100k_wide")
    if wide:
        add(
            f"{WIDE_WINDOW}-day window, {large}: step to painted map",
            f"{wide['median_ms']:.0f} ms",
            f"<= {TARGETS['wide_step_ms']:g} ms",
            "wide_step",
        )
        add(
            "  map payload of that step",
            f"{wide['median_ws_bytes'] / 1e6:.3f} MB",
            f"<= {TARGETS['payload_100k_bytes'] / 1e6:g} MB",
            "payload_100k_wide",
        )
        add("  incidents drawn", f"{wide['median_incidents']:,.0f}")
    imported = result.get("import")
    if imported:
        add(
            f"dezmap import ucdp, {imported['rows']:,} rows: wall time",
            f"{imported['wall_s']:.2f} s (CPU {imported['cpu_s']:.2f} s)",
            f"<= {TARGETS['import_s']:g} s",
            "import_time",
        )
        add(
            "  peak memory",
            f"{imported['peak_rss_bytes'] / 1e9:.2f} GB",
            f"<= {TARGETS['import_peak_bytes'] / 1e9:g} GB",
            "import_memory",
        )
        if imported["problems"]:
            add("  output problems", "; ".join(imported["problems"])[:120], "", "import_output")
    for key in ("step_bundled", "step_100k", "payload_100k_wide", "interactions"):
        errors = (result.get(key) or {}).get("browser_errors")
        if errors:
            add(f"browser errors ({key})", "; ".join(sorted(set(errors)))[:120])
    for name, error in (result.get("errors") or {}).items():
        add(f"FAILED: {name}", error[:100])
    load = result.get("load_average")
    if load:
        add("load average (1 min) at start / end", f"{load['start']:.1f} / {load['end']:.1f}")
    widths = [
        max(len(r[i]) for r in [("figure", "measured", "target", ""), *rows]) for i in range(4)
    ]
    lines = []
    for r in [("figure", "measured", "target", ""), *rows]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _import_bench(rows: int) -> dict[str, Any]:
    """``dezmap import ucdp`` of ``rows`` rows made from the real UCDP file (import_bench)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import import_bench

    with tempfile.TemporaryDirectory(prefix="dezmap-bench-import-") as tmp:
        source = import_bench.make_file(Path(tmp) / "ucdp.csv", rows)
        run = import_bench.run_import(source, Path(tmp) / "ucdp-big.parquet")
        run["problems"] = import_bench.check_output(Path(tmp) / "ucdp-big.parquet", rows)
    run["rows"] = rows
    log(
        f"  {run['wall_s']:.2f} s wall, {run['cpu_s']:.2f} s CPU, "
        f"peak {run['peak_rss_bytes'] / 1e9:.2f} GB"
    )
    return run


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a table (or JSON); exit 0 (targets are reported, not enforced)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--runs", type=int, default=3, help="cold-start runs (default 3)")
    parser.add_argument("--steps", type=int, default=20, help="slider steps (default 20)")
    parser.add_argument(
        "--wide-steps",
        type=int,
        default=1,
        help=f"slider steps with the {WIDE_WINDOW}-day window (default 1)",
    )
    parser.add_argument(
        "--incidents", type=int, default=100_000, help="synthetic incidents (default 100000)"
    )
    parser.add_argument(
        "--skip-large", action="store_true", help="only the bundled data (no synthetic set)"
    )
    parser.add_argument(
        "--import-rows",
        type=int,
        default=1_000_000,
        help="rows of the import benchmark (default 1000000)",
    )
    parser.add_argument("--skip-import", action="store_true", help="no import benchmark")
    parser.add_argument(
        "--only",
        action="append",
        choices=MEASURES,
        metavar="MEASURE",
        help="run only this measure (repeat for more): " + ", ".join(MEASURES),
    )
    args = parser.parse_args(argv)
    wanted = set(args.only or MEASURES)
    if args.skip_large:
        wanted -= {"cold_start_100k", "step_100k", "payload_100k_wide"}
    if args.skip_import:
        wanted.discard("import")
    if not browser.CHROMIUM.exists():
        print(f"browser_bench: {browser.CHROMIUM} not found (make browser)", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    from geo.datasets import load_timeline

    result: dict[str, Any] = {"versions": _versions(), "targets": TARGETS, "quiet_ms": QUIET_MS}
    result["load_average"] = {"start": os.getloadavg()[0]}
    errors: dict[str, str] = {}

    def part(name: str, label: str, measure: Any) -> None:
        """Run one measure; a failure is recorded and the run goes on with the next one."""
        if name not in wanted:
            return
        log(label)
        try:
            result[name] = measure()
        except Exception as exc:  # noqa: BLE001 - reported in the output, not fatal
            log(f"  {name} failed: {exc!r}"[:2000])
            errors[name] = repr(exc)[:2000]

    with tempfile.TemporaryDirectory(prefix="dezmap-bench-") as tmp, sync_playwright() as pw:
        chromium = browser.launch_chromium(pw)
        try:
            part(
                "plain_streamlit",
                "plain Streamlit page",
                lambda: plain_streamlit(chromium, args.runs),
            )
            part(
                "plain_streamlit_stock",
                "plain Streamlit page, as streamlit run serves it",
                lambda: plain_streamlit(chromium, args.runs, stock=True),
            )
            part(
                "cold_start_bundled",
                "cold start, bundled data",
                lambda: cold_start(chromium, DATA, args.runs),
            )
            bundled = load_timeline(DATA)
            part(
                "step_bundled",
                "slider steps, bundled data",
                lambda: slider(
                    chromium, DATA, bundled, args.steps, STEP_START, DEFAULT_WINDOW_DAYS
                ),
            )
            part(
                "interactions",
                "interactions, bundled data",
                lambda: interactions(chromium, DATA, bundled),
            )
            if wanted & {"cold_start_100k", "step_100k", "payload_100k_wide"}:
                log(f"building {args.incidents:,} synthetic incidents")
                large = browser.synthetic_folder(Path(tmp) / "data", args.incidents)
                timeline = load_timeline(large)
                result["incidents_loaded"] = timeline.n_incidents
                result["incidents"] = args.incidents
                part(
                    "cold_start_100k",
                    "cold start, synthetic data",
                    lambda: cold_start(chromium, large, args.runs),
                )
                part(
                    "step_100k",
                    "slider steps, synthetic data",
                    lambda: slider(
                        chromium, large, timeline, args.steps, STEP_START, DEFAULT_WINDOW_DAYS
                    ),
                )
                part(
                    "payload_100k_wide",
                    f"one step, synthetic data, {WIDE_WINDOW}-day window",
                    lambda: slider(
                        chromium, large, timeline, args.wide_steps, WIDE_START, WIDE_WINDOW
                    ),
                )
        finally:
            chromium.close()
    if "import" in wanted:
        part(
            "import",
            f"dezmap import of {args.import_rows:,} UCDP rows",
            lambda: _import_bench(args.import_rows),
        )
    result["errors"] = errors
    result["load_average"]["end"] = os.getloadavg()[0]
    result["pass"] = verdicts(result)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
