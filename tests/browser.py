"""Helpers for the browser tier: a real ``dezmap serve`` server and Chromium driven by Playwright.

Shared by ``tests/test_browser.py`` and ``benchmarks/browser_bench.py``. Nothing here imports
Streamlit; the server is always a separate process group, started with ``python -m geo serve``
exactly as a user would, and stopped (the whole group) when the ``with`` block ends.

The DOM hooks used here are the app's own (see ``geo/render.py``): every zone is an SVG
``path.dz-zone.dz-zone-<zone_id>.dz-status-<status>`` whose ``fill`` is the status colour,
incident markers are ``path.dz-incident``, a zone's popup is ``div.dz-popup[data-zone=...]``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
CHROMIUM = Path("/usr/bin/chromium")
#: Debian's Chromium, never a downloaded one; nothing in the background that calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 1000}

#: The element holding the map on the page (``ui/leafmap.js`` draws it there: no iframe).
MAP = '[data-testid="stBidiComponentRegular"]:has(> div.dz-map)'
DAY_SLIDER = '[data-testid="stSlider"] input[type="range"][aria-label="Day"]'
#: Streamlit idle, and the page whole: not in the Map page's first paint, which draws the map
#: before its controls (whose room ``.dz-controls-pending`` keeps until the page's second run
#: draws them) and holds the map's report (``data-dz-held``) until those are drawn.
APP_IDLE = (
    '[data-testid="stApp"][data-test-script-state="notRunning"]'
    ":not(:has(.dz-controls-pending, .dz-map[data-dz-held]))"
)
HEADING = '[data-testid="stMarkdownContainer"] h4'

#: Console errors that Streamlit's own frontend causes on a deep link to a page other than "/":
#: it probes ``<page>/_stcore/health`` and ``<page>/_stcore/host-config`` (404) before it
#: finds the server root. Nothing else is tolerated.
_PROBE_404 = re.compile(r"^/[^/?#]+/_stcore/(health|host-config)$")


def q(instant: str) -> str:
    """An instant as a query-string value (the ``+`` of the offset encoded)."""
    return urllib.parse.quote(instant, safe=":")


def query(url: str) -> dict[str, str]:
    """The query parameters of an address (one value each)."""
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).items()}


def free_port() -> int:
    """A TCP port that was free a moment ago (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the server ------------------------------------------------------------------------------


@dataclass
class Server:
    """A running ``dezmap serve``: its address, process and log file."""

    base_url: str
    port: int
    process: subprocess.Popen
    log_path: Path
    started_at: float = 0.0  # time.perf_counter() just before the process was launched
    ready_at: float = 0.0  # time.perf_counter() when /_stcore/health first said "ok"

    def log(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def server_env(**extra: str | None) -> dict[str, str]:
    """The environment for a test server: ours, minus DEZMAP_* unless given, plus ``extra``.

    The file watcher is off: a checkout being edited while the tests run must not hot-reload
    modules under a running test (and the watcher's threads are not what is being tested).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEZMAP_")}
    env["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    for key, value in extra.items():
        if value is not None:
            env[key] = value
    return env


def _health(base_url: str) -> str | None:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
            return response.read().decode("utf-8", "replace").strip()
    except (urllib.error.URLError, OSError):
        return None


def stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Terminate the server's whole process group (``dezmap serve`` -> ``streamlit run``)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    # the child (streamlit) may outlive its parent: always clean up the group
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)


def _launch(data_dir: str | Path, env: dict[str, str], log_dir: Path, timeout: float) -> Server:
    """Start one server; return it once healthy, or stopped (``ready_at`` 0) if it died."""
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    command = [sys.executable, "-m", "geo", "serve", "--data", str(data_dir), "--port", str(port)]
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(f"http://localhost:{port}", port, process, log_path, started_at=started)
    try:
        while time.perf_counter() < started + timeout and process.poll() is None:
            if _health(server.base_url) == "ok":
                server.ready_at = time.perf_counter()
                return server
            time.sleep(0.05)
    except BaseException:
        stop(process)
        raise
    stop(process)
    if process.returncode is not None and "already in use" in server.log():
        return server  # a port taken between free_port() and the bind: try another one
    raise RuntimeError(
        f"dezmap serve did not answer ok on {server.base_url}/_stcore/health within "
        f"{timeout:g} s (exit code {process.returncode}); its log:\n{server.log()}"
    )


@contextlib.contextmanager
def serve(
    data_dir: str | Path,
    *,
    reference_dir: str | Path | None = None,
    timeout: float = 60.0,
    attempts: int = 3,
) -> Iterator[Server]:
    """Start ``python -m geo serve --data DIR --port FREE`` and yield it once healthy.

    The process runs in its own session; its group is terminated when the block ends, also on
    errors. A server that loses its port between :func:`free_port` and the bind is retried on
    another port, up to ``attempts`` times.

    Raises
    ------
    RuntimeError
        If the server does not answer ``ok`` on ``/_stcore/health`` within ``timeout`` seconds;
        the message holds the server's log.
    """
    env = server_env(DEZMAP_REFERENCE=str(reference_dir) if reference_dir is not None else None)
    log_dir = Path(tempfile.mkdtemp(prefix="dezmap-server-"))
    try:
        server = None
        for _ in range(attempts):
            server = _launch(data_dir, env, log_dir, timeout)
            if server.ready_at:
                break
        assert server is not None
        if not server.ready_at:
            raise RuntimeError(
                f"dezmap serve found no free port in {attempts} attempts:\n{server.log()}"
            )
        try:
            yield server
        finally:
            stop(server.process)
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)


# --- data ------------------------------------------------------------------------------------


def synthetic_folder(target: Path, n: int, seed: int = 7) -> Path:
    """A copy of the bundled data plus ``imported/synthetic.parquet`` with ``n`` incidents.

    The incidents come from :func:`geo.bench.synthetic_incidents`, completed with the columns
    of :data:`geo.io.VIOLATION_FRAME_COLUMNS` it does not make, and are written as an imported
    data set; the file is read back to check that it round-trips.
    """
    import pandas as pd

    from geo.bench import synthetic_incidents
    from geo.datasets import read_dataset, write_dataset
    from geo.io import VIOLATION_FRAME_COLUMNS, load_dataset

    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("imported"))
    zones = load_dataset(DATA).zones
    frame = synthetic_incidents(zones, n, seed=seed)
    frame = frame.assign(
        place="",
        zone_id="",
        agreement_ids="",
        reported_by="",
        casualties=pd.array([pd.NA] * n, dtype="Int64"),
        summary="",
        source="synthetic",
        dataset="synthetic",
    )
    for column in ("date_precision", "location_precision", "kind", "alleged_perpetrator"):
        frame[column] = frame[column].astype(str)
    columns = [c for c in VIOLATION_FRAME_COLUMNS if c != "geometry"]
    frame = frame[columns]
    path = target / "imported" / "synthetic.parquet"
    write_dataset(frame, path, kind="incidents", format="acled", source_file="synthetic", skipped=0)

    back, info = read_dataset(path)
    problems = [] if info.rows == len(back) == n else [f"{len(back)} rows read, {n} written"]
    for column in ("violation_id", "occurred", "occurred_end", "lat", "lon", "kind"):
        if not back[column].reset_index(drop=True).equals(frame[column].reset_index(drop=True)):
            problems.append(f"column {column} does not round-trip")
    if not (back["casualties"].isna().all() and (back["dataset"] == "synthetic").all()):
        problems.append("casualties or dataset do not round-trip")
    if problems:
        raise RuntimeError(f"{path}: " + "; ".join(problems))
    return target


# --- the browser -----------------------------------------------------------------------------


def launch_chromium(playwright: Any, **kwargs: Any) -> Any:
    """Debian's Chromium, headless, with nothing in the background that talks to the network."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, **kwargs
    )


@dataclass
class PageLog:
    """What a page did: console errors, uncaught page errors, requests and websockets."""

    base_url: str
    console_errors: list[tuple[str, str]] = field(default_factory=list)  # (text, url)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> PageLog:
        """Start recording ``page`` (its frames included)."""
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("websocket", lambda ws: self.websockets.append(ws.url))
        return self

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append((message.text, message.location.get("url", "")))

    def unexpected_console_errors(self) -> list[tuple[str, str]]:
        """Console errors other than Streamlit's documented probe 404s on deep links."""
        return [(text, url) for text, url in self.console_errors if not self._is_probe(text, url)]

    def _is_probe(self, text: str, url: str) -> bool:
        if not text.startswith(
            "Failed to load resource: the server responded with a status of 404"
        ):
            return False
        if not url.startswith(self.base_url + "/"):
            return False
        return bool(_PROBE_404.match(url[len(self.base_url) :]))

    def foreign_requests(self) -> list[str]:
        """Requests and websockets that go anywhere but this server (data:, blob:, about: are fine)."""
        local = (f"{self.base_url}/", f"ws://localhost:{self.base_url.rsplit(':', 1)[1]}/")
        return [
            url
            for url in [*self.requests, *self.websockets]
            if not url.startswith(local) and not url.startswith(("data:", "blob:", "about:"))
        ]


def new_page(context: Any, base_url: str) -> tuple[Any, PageLog]:
    """A page of ``context`` with a :class:`PageLog` attached."""
    page = context.new_page()
    return page, PageLog(base_url).attach(page)


# --- the app ---------------------------------------------------------------------------------


def map_box(page: Any) -> Any:
    """The Locator of the map's box (the first map of the page)."""
    return page.locator(MAP).first


def map_document(page: Any) -> Any:
    """The Playwright ``Frame`` the map lives in (to evaluate scripts there): the page's own."""
    return page.main_frame


def wait_for_map(page: Any, timeout: float = 60_000) -> None:
    """Wait until a zone is drawn (visible) in the map."""
    map_box(page).locator("path.dz-zone").first.wait_for(state="visible", timeout=timeout)


def wait_for_idle(page: Any, timeout: float = 30_000) -> None:
    """Wait until Streamlit says the script is not running and the page is whole."""
    page.locator(APP_IDLE).wait_for(state="attached", timeout=timeout)


def wait_for_settled(page: Any, quiet_ms: int = 600, timeout: float = 30_000) -> None:
    """Wait until Streamlit has been idle for ``quiet_ms`` (the page's own run state).

    After a first load the map reports its extent, which runs the page once more; a key
    press or a typed value sent during that run can be overtaken by it. This waits for
    that run too, however late it starts on a loaded machine.
    """
    page.wait_for_function(
        """([idle, quiet]) => {
            const now = performance.now();
            if (!document.querySelector(idle)) { window.__dzIdleSince = null; return false; }
            if (window.__dzIdleSince == null) { window.__dzIdleSince = now; }
            return now - window.__dzIdleSince >= quiet;
        }""",
        arg=[APP_IDLE, quiet_ms],
        polling=100,
        timeout=timeout,
    )


def heading(page: Any) -> str:
    """The map page's heading: the instant in words."""
    return page.locator(HEADING).first.inner_text().strip()


_ZONES_JS = """
() => Array.from(document.querySelectorAll("path.dz-zone")).map((el) => {
    const classes = Array.from(el.classList);
    const zone = classes.find((c) => c.startsWith("dz-zone-"));
    const status = classes.find((c) => c.startsWith("dz-status-"));
    return {
        zone: zone ? zone.slice("dz-zone-".length) : null,
        status: status ? status.slice("dz-status-".length) : null,
        fill: el.getAttribute("fill"),
    };
})
"""


def zone_paths(page: Any) -> list[dict[str, str | None]]:
    """Every zone path in the map: ``{"zone", "status", "fill"}`` read from its classes."""
    return map_document(page).evaluate(_ZONES_JS)


def map_signature(page: Any) -> tuple:
    """What the map shows: sorted (zone, status, fill) and the number of incident markers."""
    frame = map_document(page)
    zones = frame.evaluate(_ZONES_JS)
    markers = frame.evaluate(
        "() => document.querySelectorAll('path.dz-incident').length"
        " + document.querySelectorAll('.marker-cluster').length"
    )
    return tuple(
        sorted((z["zone"], z["status"], (z["fill"] or "").lower()) for z in zones)
    ), markers


#: A point of an element where a click lands on that element itself (not on a marker or a
#: smaller zone drawn above it), with a margin of 2 px around it, relative to its bounding box;
#: null when there is none.
_HIT_POINT_JS = """
(el) => {
    const r = el.getBoundingClientRect();
    const W = document.documentElement.clientWidth, H = document.documentElement.clientHeight;
    const x0 = Math.max(r.left, 0), x1 = Math.min(r.right, W);
    const y0 = Math.max(r.top, 0), y1 = Math.min(r.bottom, H);
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    const hits = (x, y) => [[0, 0], [2, 0], [-2, 0], [0, 2], [0, -2]].every(
        ([dx, dy]) => document.elementFromPoint(x + dx, y + dy) === el);
    const points = [];
    for (let j = 1; j < 32; j++) {
        for (let i = 1; i < 32; i++) {
            points.push([x0 + (x1 - x0) * i / 32, y0 + (y1 - y0) * j / 32]);
        }
    }
    // nearest the middle first: away from edges, where rounding could miss the shape
    points.sort((a, b) => Math.hypot(a[0] - cx, a[1] - cy) - Math.hypot(b[0] - cx, b[1] - cy));
    const found = points.find(([x, y]) => hits(x, y));
    return found ? {x: found[0] - r.left, y: found[1] - r.top} : null;
}
"""


def close_popups(page: Any) -> None:
    """Close any open Leaflet popup in the map, and wait until it is gone (it fades out)."""
    from playwright.sync_api import expect

    map_document(page).evaluate(
        "() => document.querySelectorAll('.leaflet-popup-close-button').forEach((b) => b.click())"
    )
    expect(map_box(page).locator(".leaflet-popup")).to_have_count(0)


def click_path(page: Any, path: Any, *, synthetic_ok: bool = False) -> None:
    """Click an SVG path of the map where the path itself receives the click.

    With ``synthetic_ok``, a path that no point of the screen reaches (covered by another
    layer, or drawn without a fill so that only its outline takes clicks) gets a click event
    dispatched to it instead, as Leaflet would receive it: for reading its popup only.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        close_popups(page)
        # Leaflet focuses the map on mousedown; the browser then scrolls the page to show the
        # whole map, and the mouseup lands elsewhere. Focus (and scroll) first, then aim.
        map_document(page).evaluate("() => document.querySelector('.leaflet-container').focus()")
        path.scroll_into_view_if_needed()
        point = path.evaluate(_HIT_POINT_JS)
        if point is None:
            break
        try:
            path.click(position=point, timeout=5_000)
            return
        except PlaywrightTimeout:
            # the layers were redrawn between aiming and clicking (a rerun landing): aim again
            if attempt == 2:
                raise
    assert synthetic_ok, "no point of the path takes a click (covered by other layers)"
    path.dispatch_event("click")


def open_zone_popup(page: Any, zone_id: str, timeout: float = 10_000) -> Any:
    """Click a zone on the map; return the locator of its popup content (visible)."""
    frame = map_box(page)
    click_path(page, frame.locator(f"path.dz-zone-{zone_id}").first)
    popup = frame.locator(f'.leaflet-popup-content div.dz-popup[data-zone="{zone_id}"]')
    popup.wait_for(state="visible", timeout=timeout)
    return popup


def press_day_slider(page: Any, key: str = "ArrowRight") -> None:
    """Focus the Day slider's thumb and press a key (ArrowRight: one day later)."""
    slider = page.locator(DAY_SLIDER)
    slider.focus()
    slider.press(key)
