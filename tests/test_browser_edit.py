"""End to end: the Edit zones page in Debian's Chromium against a real ``dezmap serve --edit``.

One server per module, started exactly as a curator would (``python -m geo serve --data DIR
--port N --edit``) on a copy of the bundled data in a temporary folder; the tests change that
copy in turn, so each one reads the file as it is before it starts. Vertices are moved with
the real mouse on geoman's handles; what is expected is read from the files on disk and from
``geo``, never copied from the page.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.edit.save import read_log
from tests import browser
from tests.conftest import DATA, ROOT

pytestmark = pytest.mark.browser

if not browser.CHROMIUM.exists():
    pytest.skip(
        f"Chromium not found at {browser.CHROMIUM} (install Debian's chromium: make browser)",
        allow_module_level=True,
    )

from playwright.sync_api import expect  # noqa: E402 - after the skip

EDITOR = 'iframe[title="ui.editor.dezmap_editor"]'
ZONE = "eastern-ghouta"
ZONE_LABEL = "Eastern Ghouta (eastern-ghouta)"
VERSION = "eastern-ghouta@2018-03-31"  # the zone's last version: the page opens on it
IN_FORCE = "2018-04-05T12:00%2B03:00"  # an instant at which that version is in force
VERTEX = ".leaflet-marker-icon.marker-icon:not(.marker-icon-middle)"
XSS_NAME = "<img src=x onerror=window.__dz_xss=1>"


# --- the server with --edit ------------------------------------------------------------------


@contextlib.contextmanager
def serve_edit(data_dir: Path, timeout: float = 90.0, attempts: int = 3) -> Iterator:
    """``python -m geo serve --data DIR --port FREE --edit`` in its own process group."""
    env = browser.server_env()
    log_dir = Path(tempfile.mkdtemp(prefix="dezmap-edit-server-"))
    server = None
    try:
        for _ in range(attempts):
            port = browser.free_port()
            log_path = log_dir / f"server-{port}.log"
            command = [
                sys.executable, "-m", "geo", "serve",
                "--data", str(data_dir), "--port", str(port), "--edit",
            ]  # fmt: skip
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
            server = browser.Server(
                f"http://localhost:{port}", port, process, log_path, started_at=started
            )
            while time.perf_counter() < started + timeout and process.poll() is None:
                if browser._health(server.base_url) == "ok":
                    server.ready_at = time.perf_counter()
                    break
                time.sleep(0.05)
            if server.ready_at:
                break
            browser.stop(process)
            if "already in use" not in server.log():
                raise RuntimeError(f"dezmap serve --edit did not start:\n{server.log()}")
        assert server is not None and server.ready_at, "no free port found"
        try:
            yield server
        finally:
            browser.stop(server.process)
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("edit") / "data"
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("imported", ".backups"))
    return target


@pytest.fixture(scope="module")
def server(data_dir):
    with serve_edit(data_dir) as running:
        yield running


def new_page(context, server):
    page, log = browser.new_page(context, server.base_url)
    page.log = log
    return page


# --- helpers ---------------------------------------------------------------------------------


def zones_file(data_dir: Path) -> Path:
    return data_dir / "zones.geojson"


def editor_frame(page):
    return page.locator(EDITOR).element_handle().content_frame()


def open_editor(page, server, label: str = ZONE_LABEL) -> None:
    """Open the app, go to Edit zones through the navigation and choose Eastern Ghouta."""
    page.goto(server.base_url + "/")
    # a first load (two tabs at once in one test) waits for the server's page runs: on a loaded
    # 2-core machine those can take longer than the default 30 s
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Edit zones").click(timeout=90_000)
    page.get_by_role("heading", name="Edit zones").wait_for(timeout=90_000)
    page.locator(EDITOR).wait_for(timeout=90_000)
    browser.wait_for_idle(page, timeout=90_000)
    frame = editor_frame(page)
    frame.wait_for_function("document.body.dataset.revision !== undefined")
    revision = frame.evaluate("document.body.dataset.revision")
    zone_box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Zone").first
    zone_box.click()
    page.get_by_role("option", name=label, exact=True).click()
    frame.wait_for_function(f"document.body.dataset.revision !== {json.dumps(revision)}")
    frame.locator(VERTEX).first.wait_for(state="visible")
    browser.wait_for_idle(page)
    expect(page.get_by_text("The edit passes every check.")).to_be_visible()


def drag_easternmost_vertex(page, dx: float = 15, dy: float = 0) -> dict:
    """Drag the outline's easternmost vertex with the mouse; return the outline sent."""
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
    handle = page.frame_locator(EDITOR).locator(VERTEX).nth(index)
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    sent = frame.evaluate("document.body.dataset.sent || ''")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=4)
    page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()
    frame.wait_for_function(
        f"document.body.dataset.sent && document.body.dataset.sent !== {json.dumps(sent)}"
    )
    wait_applied(page)
    return frame.evaluate("window.dzEditor.geometry()")


def wait_applied(page) -> None:
    """Wait until Python has taken the map's last step into account, and the page is idle."""
    editor_frame(page).wait_for_function(
        "document.body.dataset.applied === document.body.dataset.sent", timeout=30_000
    )
    browser.wait_for_idle(page)


def save(page) -> None:
    page.get_by_role("button", name="Save", exact=True).click()
    browser.wait_for_idle(page)


def outline_of(path: Path, version: str) -> dict:
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        props = feature["properties"]
        if f"{props['zone_id']}@{props['valid_from']}" == version:
            return feature["geometry"]
    raise AssertionError(f"{version} not in {path}")


def positions(geometry: dict) -> list[tuple[float, float]]:
    rings = (
        geometry["coordinates"]
        if geometry["type"] == "Polygon"
        else [r for poly in geometry["coordinates"] for r in poly]
    )
    return [(round(x, 6), round(y, 6)) for ring in rings for x, y in ring[:-1]]


def moved_vertex(before: dict, after: dict) -> tuple[tuple, tuple]:
    """The one vertex that differs between two outlines with the same vertex count."""
    old, new = positions(before), positions(after)
    assert len(old) == len(new), "a drag moves a vertex; it adds or removes none"
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert len(changed) == 1, changed
    return changed[0]


def dezmap(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "geo", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def no_problems_in(page) -> None:
    assert page.log.unexpected_console_errors() == []
    assert page.log.page_errors == []
    assert page.log.foreign_requests() == []


# --- tests -----------------------------------------------------------------------------------


def test_move_a_vertex_and_save(page, server, data_dir):
    path = zones_file(data_dir)
    before_text = path.read_text(encoding="utf-8")
    before = outline_of(path, VERSION)
    log_before = len(read_log(data_dir))

    open_editor(page, server)
    assert page.locator('input[type="password"]').count() == 0, "no token on localhost"
    sent = drag_easternmost_vertex(page)
    old, new = moved_vertex(before, sent)
    assert new[0] > old[0], "dragged east: the longitude grew"
    # the preview: the area grew, and the added area is drawn on the map
    expect(page.get_by_text("The edit passes every check.")).to_be_visible()
    assert page.frame_locator(EDITOR).locator("path.dz-added").count() >= 1
    save(page)
    expect(page.get_by_text("Saved eastern-ghouta@2018-03-31", exact=False)).to_be_visible()

    # the file: only that version's outline changed, by that one vertex, on one line
    after_text = path.read_text(encoding="utf-8")
    after = outline_of(path, VERSION)
    assert moved_vertex(before, after) == (old, new)
    diff = [
        line
        for line in difflib.unified_diff(before_text.splitlines(), after_text.splitlines(), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    lines = 2 if old != positions(before)[0] else 4  # the first vertex also closes the ring
    assert len(diff) == lines, diff
    check = dezmap("fmt", "--check", str(path))
    assert check.returncode == 0, check.stdout + check.stderr
    valid = dezmap("validate", "--data", str(data_dir))
    assert valid.returncode == 0, valid.stdout + valid.stderr
    # one line in the edit log, for this save
    log = read_log(data_dir)
    assert len(log) == log_before + 1
    assert log[-1]["versions"] == [VERSION] and log[-1]["action"] == "save"

    # the Map page draws the new outline at once
    page.goto(f"{server.base_url}/?at={IN_FORCE}&zone={ZONE}")
    browser.wait_for_map(page)
    browser.wait_for_idle(page)
    drawn = browser.map_document(page).evaluate(
        """(zone) => {
            const el = document.querySelector(`path.dz-zone-${zone}`);
            for (const value of Object.values(window)) {
                if (!(value instanceof L.Map)) continue;
                let found = null;
                value.eachLayer((layer) => { if (layer._path === el) found = layer; });
                if (found) return found.toGeoJSON(6).geometry;
            }
            return null;
        }""",
        ZONE,
    )
    assert drawn is not None
    assert any(abs(x - new[0]) < 2e-5 and abs(y - new[1]) < 2e-5 for x, y in positions(drawn))
    assert not any(abs(x - old[0]) < 2e-5 and abs(y - old[1]) < 2e-5 for x, y in positions(drawn))
    no_problems_in(page)


def test_save_after_the_file_changed_on_disk_is_refused_and_the_edit_stays(page, server, data_dir):
    path = zones_file(data_dir)
    open_editor(page, server)
    log_before = len(read_log(data_dir))

    # another process changes the file (another zone's notes), as a text editor would
    changer = (
        "import json, sys; p = sys.argv[1]; d = json.load(open(p, encoding='utf-8'));"
        "d['features'][0]['properties']['notes'] = 'changed by another process';"
        "open(p, 'w', encoding='utf-8').write(json.dumps(d, ensure_ascii=False, indent=2))"
    )
    subprocess.run([sys.executable, "-c", changer, str(path)], check=True, timeout=60)
    theirs = path.read_bytes()

    sent = drag_easternmost_vertex(page)
    save(page)
    expect(page.get_by_text("changed on disk since it was loaded", exact=False)).to_be_visible()
    assert path.read_bytes() == theirs, "the other process's file is left as it is"
    assert len(read_log(data_dir)) == log_before
    # the edit is still on the map, unchanged
    frame = editor_frame(page)
    assert frame.evaluate("window.dzEditor.geometry()") == sent

    # and it can be applied to the file as it is now
    page.get_by_role("button", name="Reload the file and keep my edit").click()
    browser.wait_for_idle(page)
    assert frame.evaluate("window.dzEditor.geometry()") == sent
    save(page)
    expect(page.get_by_text("Saved eastern-ghouta@2018-03-31", exact=False)).to_be_visible()
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    assert features[0]["properties"]["notes"] == "changed by another process"
    assert positions(outline_of(path, VERSION)) == positions(sent)
    assert len(read_log(data_dir)) == log_before + 1
    assert dezmap("fmt", "--check", str(path)).returncode == 0
    no_problems_in(page)


def test_two_tabs_editing_the_same_zone_the_second_save_is_refused(context, server, data_dir):
    path = zones_file(data_dir)
    first, second = new_page(context, server), new_page(context, server)
    open_editor(first, server)
    open_editor(second, server)
    log_before = len(read_log(data_dir))

    mine = drag_easternmost_vertex(first)
    drag_easternmost_vertex(second, dx=0, dy=-15)
    save(first)
    expect(first.get_by_text("Saved eastern-ghouta@2018-03-31", exact=False)).to_be_visible()
    saved = path.read_bytes()
    assert positions(outline_of(path, VERSION)) == positions(mine)

    save(second)
    expect(second.get_by_text("changed on disk since it was loaded", exact=False)).to_be_visible()
    assert path.read_bytes() == saved
    assert len(read_log(data_dir)) == log_before + 1
    for tab in (first, second):
        no_problems_in(tab)


def click_polygon(page, tool: str, points: list[tuple[float, float]]) -> dict:
    """Draw with one of geoman's tools (a part or a hole) by clicking ``points`` (map pixels)
    and the first again; return the outline sent once Python has taken it into account."""
    frame = editor_frame(page)
    sent = frame.evaluate("document.body.dataset.sent || ''")
    page.frame_locator(EDITOR).locator(f".leaflet-pm-icon-{tool}").click()
    box = page.locator(EDITOR).bounding_box()
    for x, y in [*points, points[0]]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=3)
        page.mouse.click(box["x"] + x, box["y"] + y)
    frame.wait_for_function(f"document.body.dataset.sent !== {json.dumps(sent)}")
    wait_applied(page)
    return frame.evaluate("window.dzEditor.geometry()")


def test_draw_a_part_cut_a_hole_delete_the_part_and_save(page, server, data_dir):
    path = zones_file(data_dir)
    open_editor(page, server)
    frame = editor_frame(page)
    # a new part in the map's lower left corner, away from the zone and the toolbar
    square = [(60, 400), (110, 400), (110, 440), (60, 440)]
    two = click_polygon(page, "polygon", square)
    assert two["type"] == "MultiPolygon" and len(two["coordinates"]) == 2
    expect(page.get_by_text("Parts (2)")).to_be_visible()
    expect(page.get_by_text("The edit passes every check.")).to_be_visible()

    # a hole in the middle of the zone
    cx, cy = frame.evaluate(
        """() => {
            // the biggest editable part is the zone (context layers carry no geoman handle)
            const map = window.dzEditor.map;
            let best = null, size = -1;
            map.eachLayer((l) => {
                if (!(l instanceof L.Polygon) || !l.pm || l.options.pmIgnore) return;
                const b = l.getBounds();
                const s = (b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth());
                if (s > size) { size = s; best = b; }
            });
            const p = map.latLngToContainerPoint(best.getCenter());
            return [p.x, p.y];
        }"""
    )
    holed = click_polygon(
        page,
        "cut",
        [(cx - 15, cy - 15), (cx + 15, cy - 15), (cx + 15, cy + 15), (cx - 15, cy + 15)],
    )
    rings = sorted(len(polygon) for polygon in holed["coordinates"])
    assert rings == [1, 2], rings
    expect(page.get_by_text("The edit passes every check.")).to_be_visible()

    # the removal tool deletes the new part alone
    sent = frame.evaluate("document.body.dataset.sent")
    page.frame_locator(EDITOR).locator(".leaflet-pm-icon-delete").click()
    box = page.locator(EDITOR).bounding_box()
    page.mouse.click(box["x"] + 85, box["y"] + 420)
    frame.wait_for_function(f"document.body.dataset.sent !== {json.dumps(sent)}")
    wait_applied(page)
    one = frame.evaluate("window.dzEditor.geometry()")
    assert one["type"] == "Polygon" and len(one["coordinates"]) == 2

    save(page)
    expect(page.get_by_text("Saved eastern-ghouta@2018-03-31", exact=False)).to_be_visible()
    saved = outline_of(path, VERSION)
    assert saved["type"] == "Polygon" and len(saved["coordinates"]) == 2, "outline and hole"
    assert dezmap("validate", "--data", str(data_dir)).returncode == 0
    assert dezmap("fmt", "--check", str(path)).returncode == 0
    no_problems_in(page)


def test_names_from_the_data_are_text_in_the_editor(page, server, data_dir):
    path = zones_file(data_dir)
    doc = json.loads(path.read_text(encoding="utf-8"))
    for feature in doc["features"]:
        if feature["properties"]["zone_id"] == ZONE:
            feature["properties"]["name"] = XSS_NAME
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")

    open_editor(page, server, label=f"{XSS_NAME} ({ZONE})")
    frame = editor_frame(page)
    # open every tooltip of the context (the zone's other versions carry its name)
    tips = frame.evaluate(
        """() => {
            const out = [];
            window.dzEditor.map.eachLayer((layer) => {
                if (layer.getTooltip && layer.getTooltip()) {
                    layer.openTooltip(layer.getBounds().getCenter());
                    out.push(layer.getTooltip().getElement().textContent);
                }
            });
            return out;
        }"""
    )
    assert tips and all(t.startswith(XSS_NAME + ": ") for t in tips), tips
    assert frame.evaluate("document.querySelectorAll('.leaflet-tooltip img').length") == 0
    assert frame.evaluate("window.__dz_xss") is None
    assert page.evaluate("window.__dz_xss") is None
    no_problems_in(page)
