"""End to end: the real ``dezmap serve`` server in Debian's Chromium (Playwright).

One server per module on the bundled data, with one real OCHA boundary file as a reference
layer (copied into a temporary folder at test time); a fresh browser context per test. Every
expected value is computed in-process with ``geo`` from the same data, never copied from the
app's output. See ``tests/browser.py`` for the DOM hooks and helpers.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from geo.datasets import load_timeline
from geo.render import DETAIL_LIMIT, STATUS_COLORS, kind_color
from geo.timemodel import status_at, window_incidents
from tests import browser
from tests.browser import q, query
from tests.conftest import DATA, ROOT, needs_realdata

pytestmark = pytest.mark.browser

if not browser.CHROMIUM.exists():
    pytest.skip(
        f"Chromium not found at {browser.CHROMIUM} (install Debian's chromium: make browser)",
        allow_module_level=True,
    )


OCHA_ADMIN1 = "boundaries/ocha2016_syr_admin1_simplified.geojson"
CAIRO_TITLE = "Cairo agreement on the Eastern Ghouta de-escalation zone"
PAGES = ["/", "/zone", "/records", "/health"]
XSS_NAME = "<img src=x onerror=window.__dz_xss=1>"
XSS_TEXT = "<script>window.__dz_xss=2</script>"


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def timeline():
    """The bundled data's timeline, loaded in-process: the source of every expected value."""
    return load_timeline(DATA)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``dezmap serve`` on the bundled data, with one real OCHA admin-1 file as reference."""
    source = needs_realdata() / OCHA_ADMIN1
    if not source.is_file():
        pytest.skip(f"{source} not found in the shared real data")
    reference = tmp_path_factory.mktemp("reference")
    shutil.copy(source, reference / source.name)
    with browser.serve(DATA, reference_dir=reference) as running:
        yield running


def expected_zones(timeline, instant: str) -> dict[str, str]:
    """zone_id -> status at an instant, as ``dezmap status --json`` computes it."""
    status = status_at(timeline, instant)
    return dict(zip(status["zone_id"], status["status"], strict=True))


# --- a. every zone that exists at the instant ------------------------------------------------


def test_map_shows_every_zone_existing_at_the_instant_with_its_status_colour(
    page, server, timeline
):
    instant = "2017-07-23T12:00+03:00"
    expected = expected_zones(timeline, instant)
    assert len(expected) >= 5, expected  # the test means something only with several zones

    page.goto(f"{server.base_url}/?at={q(instant)}")
    browser.wait_for_map(page)
    browser.wait_for_idle(page)
    assert browser.heading(page) == "23 July 2017, 12:00 Damascus time"

    drawn = browser.zone_paths(page)
    ids = [z["zone"] for z in drawn]
    assert sorted(ids) == sorted(set(ids)), f"a zone is drawn twice: {ids}"
    assert set(ids) == set(expected)
    for zone in drawn:
        want = expected[zone["zone"]]
        assert (zone["zone"], zone["status"]) == (zone["zone"], want)
        assert (zone["zone"], zone["fill"].lower()) == (zone["zone"], STATUS_COLORS[want])
    # the legend is there, and the reference layer (OCHA admin 1) is drawn under the zones
    frame = browser.map_box(page)
    assert "Zone status" in frame.locator(".dz-legend-box").inner_text()
    assert frame.locator("path.dz-reference").count() >= 14  # Syria's 14 governorates


# --- b. moving to 23 July 2017 through the UI ------------------------------------------------


def _incidents_in_popup(popup) -> int | None:
    text = popup.inner_text()
    marker = "Incidents in the window ("
    if marker not in text:
        return 0
    return int(text.split(marker, 1)[1].split(")", 1)[0])


def test_slider_moves_the_map_to_the_cairo_agreement(page, server, timeline):
    before, after = "2017-07-21T12:00+03:00", "2017-07-23T12:00+03:00"
    zone = "eastern-ghouta"
    status_before = expected_zones(timeline, before)[zone]
    status_after = expected_zones(timeline, after)[zone]
    assert status_before != status_after  # else the colour check below proves nothing
    incidents_after = int((window_incidents(timeline, after)["zone_id_matched"] == zone).sum())

    # focused on the zone, the map zooms in: at the whole country's zoom the incidents' markers
    # can cover all of Eastern Ghouta's few pixels
    page.goto(f"{server.base_url}/?at={q(before)}&zone={zone}")
    browser.wait_for_map(page)
    browser.wait_for_idle(page)
    (path,) = [z for z in browser.zone_paths(page) if z["zone"] == zone]
    assert path["status"] == status_before
    assert path["fill"].lower() == STATUS_COLORS[status_before]
    popup = browser.open_zone_popup(page, zone)
    assert "Agreements in force" in popup.inner_text()
    assert CAIRO_TITLE not in popup.inner_text()
    browser.close_popups(page)

    # two days later with the keyboard on the Day slider, one day at a time
    for day in ("22 July 2017", "23 July 2017"):
        browser.press_day_slider(page, "ArrowRight")
        page.locator(browser.HEADING).filter(has_text=f"{day}, 12:00 Damascus time").wait_for()
    browser.wait_for_idle(page)
    assert query(page.url)["at"] == after

    # the map holds the 22 July layers until the component swaps them: wait until
    # the zone is drawn once, in its 23 July status, and open the popup of that layer
    browser.map_document(page).wait_for_function(
        """([zone, status]) => {
            const paths = document.querySelectorAll("path.dz-zone-" + zone);
            return paths.length === 1 && paths[0].classList.contains("dz-status-" + status);
        }""",
        arg=[zone, status_after],
    )
    (path,) = [z for z in browser.zone_paths(page) if z["zone"] == zone]
    assert path["fill"].lower() == STATUS_COLORS[status_after]
    popup = browser.open_zone_popup(page, zone)
    assert _incidents_in_popup(popup) == incidents_after
    assert "Agreements in force" in popup.inner_text()
    assert CAIRO_TITLE in popup.inner_text()


def test_moving_the_slider_updates_layers_without_remounting_the_map(page, server, timeline):
    before, after = "2017-07-21T12:00+03:00", "2017-07-23T12:00+03:00"
    page.goto(f"{server.base_url}/?at={q(before)}&zone=eastern-ghouta")
    browser.wait_for_map(page)
    browser.wait_for_idle(page)
    frame = browser.map_document(page)
    # marks that a reload (a new document) or a new Leaflet map would wipe out
    frame.evaluate("() => { window.__dz_mark = 'kept'; window.dzMap.__dz_mark = 'kept'; }")
    for day in ("22 July 2017", "23 July 2017"):
        browser.press_day_slider(page, "ArrowRight")
        page.locator(browser.HEADING).filter(has_text=f"{day}, 12:00 Damascus time").wait_for()
    browser.wait_for_idle(page)
    status_after = expected_zones(timeline, after)["eastern-ghouta"]
    frame = browser.map_document(page)
    frame.locator(f"path.dz-zone-eastern-ghouta.dz-status-{status_after}").wait_for()
    assert frame.evaluate("() => [window.__dz_mark, window.dzMap.__dz_mark]") == ["kept", "kept"]


def test_rapid_key_presses_all_count_and_the_address_agrees(page, server):
    # 20 presses 30 ms apart: faster than a rerun, so reruns carry addresses the app wrote a few
    # runs before; none of them may move the view back (issue 11)
    start = dt.date(2017, 7, 1)
    page.goto(f"{server.base_url}/?at={q(f'{start}T12:00+03:00')}")
    browser.wait_for_map(page)
    browser.wait_for_settled(page)
    slider = page.locator(browser.DAY_SLIDER)
    slider.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(30)  # the pace of the presses, not a wait for the app
    end = start + dt.timedelta(days=20)
    expected = f"{end.day} {end:%B %Y}, 12:00 Damascus time"
    page.locator(browser.HEADING).filter(has_text=expected).wait_for(timeout=60_000)
    browser.wait_for_idle(page)
    assert browser.heading(page) == expected
    assert query(page.url)["at"] == f"{end}T12:00+03:00"
    assert slider.get_attribute("aria-valuetext") == f"{end.day} {end:%b %Y}"
    assert "KeyError" not in server.log()


def test_incident_markers_are_filled_with_their_kind_colour(page, server, timeline):
    instant = "2017-07-23T12:00+03:00"
    shown = window_incidents(timeline, instant).drop_duplicates(["dataset", "violation_id"])
    assert len(shown) >= 2
    page.goto(f"{server.base_url}/?at={q(instant)}&zone=eastern-ghouta")
    browser.wait_for_map(page)
    browser.wait_for_idle(page)
    fills = (
        browser.map_box(page)
        .locator("path.dz-incident")
        .evaluate_all("paths => paths.map((p) => (p.getAttribute('fill') || '').toLowerCase())")
    )
    assert sorted(fills) == sorted(kind_color(str(k)) for k in shown["kind"])


#: What the incident clusters on the map hold: the sum of the clusters' counts, the single
#: incidents (``path.dz-incident``, of every layer), and the map's zoom.
_CLUSTERED_JS = """() => {
    const clusters = Array.from(document.querySelectorAll(".dz-cluster"));
    return {
        clusters: clusters.length,
        inClusters: clusters.reduce((sum, c) => sum + Number(c.textContent), 0),
        singles: document.querySelectorAll("path.dz-incident").length,
        old: document.querySelectorAll("[data-dz-old]").length,
        zoom: window.dzMap.getZoom(),
        moveListeners: (window.dzMap._events.moveend || []).length,
    };
}"""

#: The element of ``selector`` nearest the map's centre: its index, distance (px) and fill.
_NEAREST_JS = """(selector) => {
    const box = document.querySelector(".leaflet-container").getBoundingClientRect();
    const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
    let best = null;
    document.querySelectorAll(selector).forEach((el, i) => {
        const r = el.getBoundingClientRect();
        const d = Math.hypot(r.left + r.width / 2 - cx, r.top + r.height / 2 - cy);
        if (!best || d < best.distance) {
            best = {index: i, distance: d, fill: (el.getAttribute("fill") || "").toLowerCase()};
        }
    });
    return best;
}"""


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """A server on the bundled data plus 5,000 synthetic incidents, and their timeline."""
    data = browser.synthetic_folder(tmp_path_factory.mktemp("many") / "data", 5_000)
    with browser.serve(data) as running:
        yield running, load_timeline(data)


def _in_window(timeline, instant: str):
    shown = window_incidents(timeline, instant, window_days=3650)
    return shown.drop_duplicates(["dataset", "violation_id"])


def _clustered(frame) -> dict:
    return frame.evaluate(_CLUSTERED_JS)


def _wait_for_total(frame, total: int, timeout: float = 30_000) -> dict:
    """Wait until the clusters' counts and the single markers add up to ``total``."""
    frame.wait_for_function(
        f"(total) => {{ const c = ({_CLUSTERED_JS})(); "
        "return c.clusters > 0 && c.old === 0 && c.inClusters + c.singles === total; }",
        arg=total,
        timeout=timeout,
        polling=100,
    )
    return _clustered(frame)


def test_many_incidents_are_drawn_as_clusters(context, many):
    server, timeline = many
    instant = "2022-12-30T12:00+03:00"
    shown = _in_window(timeline, instant)
    synthetic = shown[shown["dataset"] == "synthetic"]
    assert len(synthetic) > DETAIL_LIMIT
    page, log = browser.new_page(context, server.base_url)
    page.goto(f"{server.base_url}/?at={q(instant)}&window=3650")
    browser.wait_for_map(page)
    browser.wait_for_idle(page)
    frame = browser.map_document(page)
    # every incident in the window is in a cluster's count or drawn alone, once
    got = _wait_for_total(frame, len(shown))
    assert 0 < got["clusters"] <= 400 and got["singles"] < DETAIL_LIMIT

    # a click on a cluster zooms in to where it splits
    nearest = frame.evaluate(_NEAREST_JS, ".dz-cluster")
    cluster = browser.map_box(page).locator(".dz-cluster").nth(nearest["index"])
    # focus the map first: Leaflet focuses it on mousedown, the page then scrolls to show it
    # whole and the mouseup would land elsewhere (see browser.click_path)
    frame.evaluate("() => document.querySelector('.leaflet-container').focus()")
    cluster.scroll_into_view_if_needed()
    # the zoom is animated: wait for its end (moveend), or a later setView would be undone
    frame.evaluate(
        "() => { window.__dzMoved = false;"
        " window.dzMap.once('moveend', () => { window.__dzMoved = true; }); }"
    )
    cluster.click()
    frame.wait_for_function("() => window.__dzMoved", polling=100)
    assert frame.evaluate("() => window.dzMap.getZoom()") > got["zoom"]
    browser.wait_for_idle(page)

    # zoomed in far enough, an incident is a single marker in its kind's colour
    one = synthetic.sort_values("violation_id").iloc[0]
    frame.evaluate(
        "([lat, lon]) => window.dzMap.setView([lat, lon], window.dzMap.getMaxZoom(), {animate: false})",
        [float(one["lat"]), float(one["lon"])],
    )
    frame.wait_for_function(
        f"() => {{ const n = ({_NEAREST_JS})('path.dz-incident'); "
        "return n !== null && n.distance < 25; }",
        polling=100,
    )
    browser.wait_for_idle(page)
    nearest = frame.evaluate(_NEAREST_JS, "path.dz-incident")
    assert nearest["fill"] == kind_color(str(one["kind"]))
    marker = browser.map_box(page).locator("path.dz-incident").nth(nearest["index"])
    marker.hover()
    day = one["occurred"].tz_convert("Asia/Damascus").date().isoformat()
    # (the zones' tooltips are folium's, ``.foliumtooltip``)
    tooltip = browser.map_box(page).locator(".leaflet-tooltip:not(.foliumtooltip)")
    tooltip.wait_for(state="visible")
    assert tooltip.inner_text() == f"{one['kind']}, {day}"
    assert log.page_errors == []
    assert log.unexpected_console_errors() == []
    assert log.foreign_requests() == []


# --- c. the address is a permalink -----------------------------------------------------------


def _select_value(page, label: str) -> str:
    box = page.locator('[data-testid="stSelectbox"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=label)
    )
    return box.locator("input").input_value()


def _multiselect_values(page, label: str) -> list[str]:
    box = page.locator('[data-testid="stMultiSelect"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=label)
    )
    return box.locator('[data-testid="stMultiSelectTagsContainer"] [data-tag]').evaluate_all(
        "tags => tags.map((t) => t.getAttribute('aria-label'))"
    )


def test_permalink_restores_the_view_and_survives_a_page_change(page, server):
    instant = "2018-03-15T12:00+03:00"
    page.goto(
        f"{server.base_url}/?at={q(instant)}&window=3&zone=eastern-ghouta&kinds=shelling,airstrike"
    )
    browser.wait_for_map(page)
    browser.wait_for_idle(page)
    # 12:00 at UTC+3 is 11:00 in Damascus on 15 March 2018: Syria's summer time (UTC+3) began
    # on 30 March that year (tz database, Asia/Damascus; docs/data-model.md)
    assert browser.heading(page) == "15 March 2018, 11:00 Damascus time"
    window = page.locator('[data-testid="stNumberInput"]').filter(has_text="Window (days)")
    assert float(window.locator("input").input_value()) == 3
    assert _select_value(page, "Focus zone") == "Eastern Ghouta"
    assert _multiselect_values(page, "Incident kinds") == ["shelling", "airstrike"]

    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Zone").click()
    page.wait_for_url("**/zone?*")
    page.locator("h1").filter(has_text="Eastern Ghouta").wait_for()
    browser.wait_for_idle(page)
    params = query(page.url)
    assert dt.datetime.fromisoformat(params["at"]) == dt.datetime.fromisoformat(instant)
    assert params["zone"] == "eastern-ghouta"
    assert params["window"] == "3"
    assert params["kinds"] == "shelling,airstrike"
    assert page.locator("h1").first.inner_text().strip() == "Eastern Ghouta"

    page.goto(f"{server.base_url}/zone?at={q(instant)}&zone=northern-homs")
    page.locator("h1").filter(has_text="Northern Homs countryside").wait_for()
    browser.wait_for_idle(page)
    assert page.locator("h1").first.inner_text().strip() == "Northern Homs countryside"
    assert query(page.url)["zone"] == "northern-homs"


# --- d. and e. console and network on every page ---------------------------------------------


def _settle(page, path: str) -> None:
    """Wait until a page has drawn everything down to its last element, its frames have
    loaded, and Streamlit is idle. (Right after a navigation Streamlit reports "not running"
    before the first run has started: idle alone proves nothing.)"""
    if path == "/":
        browser.wait_for_map(page)
        page.locator('[data-testid="stDataFrame"]').first.wait_for()  # the table under the map
    elif path == "/zone":
        browser.map_box(page).locator("path.dz-version").first.wait_for()
        page.locator("h3").filter(has_text="Compliance").wait_for()
    elif path == "/records":
        page.get_by_role("button", name="Download incidents (GeoJSON)").wait_for()
    elif path == "/health":
        page.locator("h3").filter(has_text="Reference layers").wait_for()
    browser.wait_for_idle(page)
    for frame in page.frames:
        frame.wait_for_load_state("load")
    browser.wait_for_settled(page)  # Streamlit's websocket never goes idle: wait on its run state


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_console_or_page_errors(page, server, path):
    page.goto(f"{server.base_url}{path}")
    _settle(page, path)
    if path == "/":  # popups are built lazily: open one
        browser.open_zone_popup(page, "syria-nationwide")
    browser.wait_for_settled(page, quiet_ms=1000)  # late errors (timers, components drawn after)
    assert page.log.unexpected_console_errors() == []
    assert page.log.page_errors == []
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in server.log(), server.log()


def test_no_request_leaves_the_server_on_any_page(page, server):
    for path in PAGES:
        page.goto(f"{server.base_url}{path}")
        _settle(page, path)
        if path == "/":
            browser.open_zone_popup(page, "syria-nationwide")
            browser.map_box(page).locator(".leaflet-control-layers").hover()  # layer list
    assert page.log.foreign_requests() == []
    assert "base" not in query(page.url)  # the default base map: none, offline
    # the map's assets came from the app itself, through its static serving
    assert f"{server.base_url}/app/static/vendor/leaflet/leaflet.js" in page.log.requests
    assert any(ws.startswith(f"ws://localhost:{server.port}/") for ws in page.log.websockets)


# --- f. text from data files is shown as text ------------------------------------------------


def _hostile_copy(target: Path, timeline) -> tuple[str, str]:
    """Copy the bundled data and plant markup in a zone name, an agreement title and a
    violation summary; return (zone_id, violation_id)."""
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("imported"))
    zone = "eastern-ghouta"
    zones = target / "zones.geojson"
    text = zones.read_text(encoding="utf-8")
    old = '"name": "Eastern Ghouta"'
    versions = int((timeline.zones.versions["zone_id"] == zone).sum())
    assert text.count(old) == versions, "the zone file's layout changed: update this test"
    zones.write_text(
        text.replace(old, '"name": ' + json.dumps(XSS_NAME, ensure_ascii=False)), encoding="utf-8"
    )

    # an incident of the zone, alone at its position (so that its marker can be clicked)
    window = window_incidents(timeline, "2017-07-23T12:00+03:00")
    positions = window.drop_duplicates("violation_id").groupby(["lat", "lon"]).size()
    mine = window[window["zone_id_matched"] == zone]
    violation = next(
        v
        for v, lat, lon in zip(mine["violation_id"], mine["lat"], mine["lon"], strict=True)
        if positions[(lat, lon)] == 1
    )
    _set_csv_cell(target / "agreements.csv", "agreement_id", "cairo-eastern-ghouta-2017", "title")
    _set_csv_cell(target / "violations.csv", "violation_id", violation, "summary")
    return zone, violation


def _set_csv_cell(path: Path, key: str, value: str, column: str) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    hits = [r for r in rows if r[key] == value]
    assert len(hits) == 1, f"{path.name}: no single row {key}={value!r}"
    hits[0][column] = XSS_TEXT
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


_XSS_STATE_JS = """() => ({
    flag: typeof window.__dz_xss === "undefined" ? null : String(window.__dz_xss),
    images: document.querySelectorAll('img[src="x"]').length,
})"""


def _assert_no_injection(page) -> None:
    for frame in page.frames:
        state = frame.evaluate(_XSS_STATE_JS)
        assert state == {"flag": None, "images": 0}, f"{frame.url}: {state}"


def test_markup_in_data_files_is_shown_as_text(context, tmp_path, timeline):
    data = tmp_path / "hostile"
    zone, violation = _hostile_copy(data, timeline)
    checked = subprocess.run(
        [sys.executable, "-m", "geo", "validate", "--data", str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    with browser.serve(data) as hostile:
        page, log = browser.new_page(context, hostile.base_url)
        at = q("2017-07-23T12:00+03:00")
        # focused on the zone, the map zooms in: the incident markers no longer overlap
        page.goto(f"{hostile.base_url}/?at={at}&zone={zone}")
        browser.wait_for_map(page)
        browser.wait_for_idle(page)

        popup = browser.open_zone_popup(page, zone)
        _assert_no_injection(page)
        text = popup.inner_text()
        assert "<img src=x onerror=" in text
        assert XSS_TEXT in text  # the agreement's title, in "Agreements in force"

        # the incident's popup: try the markers until the planted summary shows
        frame = browser.map_box(page)
        markers = frame.locator("path.dz-incident")
        assert markers.count() >= 1
        texts = []
        for i in range(markers.count()):
            browser.click_path(page, markers.nth(i), synthetic_ok=True)
            content = frame.locator(".leaflet-popup-content").first
            content.wait_for(state="visible")
            texts.append(content.inner_text())
        assert any(XSS_TEXT in t for t in texts), f"no popup shows {violation}'s summary: {texts}"
        _assert_no_injection(page)

        page.goto(f"{hostile.base_url}/zone?at={at}&zone={zone}")
        _settle(page, "/zone")
        assert page.locator("h1").first.inner_text().strip() == XSS_NAME
        _assert_no_injection(page)

        page.goto(f"{hostile.base_url}/records?at={at}&zone={zone}")
        _settle(page, "/records")
        _assert_no_injection(page)

        assert log.page_errors == []
        assert not [u for u in log.requests if urllib.parse.urlsplit(u).path == "/x"]
        assert "Traceback" not in hostile.log(), hostile.log()


# --- e. snapshots from the app ----------------------------------------------------------------


def _choose(page, label: str, option: str) -> None:
    box = page.locator('[data-testid="stSelectbox"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=label)
    )
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    browser.wait_for_idle(page)


@pytest.mark.parametrize(("path", "zone"), [("/", "eastern-ghouta"), ("/zone", "idlib")])
def test_snapshot_button_downloads_the_view_on_screen(page, server, tmp_path, path, zone):
    from pypdf import PdfReader

    instant = "2017-07-23T12:00+03:00"
    page.goto(f"{server.base_url}{path}?at={q(instant)}&zone={zone}&window=14")
    if path == "/":
        browser.wait_for_map(page)
    browser.wait_for_idle(page)
    page.get_by_role("button", name="Snapshot").click()
    _choose(page, "Format", "PDF")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download PDF").click()
    download = info.value
    assert download.suggested_filename == f"dezmap-{zone}-2017-07-23T1200.pdf"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    text = PdfReader(target).pages[0].extract_text()
    name = {"eastern-ghouta": "Eastern Ghouta", "idlib": "Idlib"}[zone]
    assert "23 July 2017, 12:00 Damascus time" in text
    assert name in text
    assert "window=14" in text.replace("\n", "")  # the permalink of the view on screen
    assert page.log.unexpected_console_errors() == []


def test_snapshot_takes_the_extent_on_screen(page, server, tmp_path):
    from pypdf import PdfReader

    page.goto(f"{server.base_url}/?at={q('2017-07-23T12:00+03:00')}")
    browser.wait_for_map(page)
    browser.wait_for_idle(page)
    frame = browser.map_document(page)
    frame.evaluate("() => window.dzMap.setView([33.55, 36.40], 11)")  # the user zooms to Douma
    bounds = frame.evaluate(
        "() => { const b = window.dzMap.getBounds(); return [b.getWest(), b.getSouth(),"
        " b.getEast(), b.getNorth()]; }"
    )
    page.get_by_role("button", name="Snapshot").click()
    page.get_by_text(f"Extent as on screen: {bounds[0]:.3f} to {bounds[2]:.3f} E").wait_for()
    _choose(page, "Format", "PDF")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download PDF").click()
    target = tmp_path / "extent.pdf"
    info.value.save_as(target)
    text = PdfReader(target).pages[0].extract_text().replace("\n", "")
    found = re.search(r"bbox=([-\d.]+),([-\d.]+),([-\d.]+),([-\d.]+)", text)
    assert found, text
    assert [float(v) for v in found.groups()] == pytest.approx(bounds, abs=1e-3)


def test_unreachable_tiles_fall_back_to_the_offline_base_map(page, server):
    # tiles are asked for but cannot be had (aborted here: no request may leave the machine)
    page.route(re.compile(r"^https?://(?!127\\.0\\.0\\.1|localhost)"), lambda route: route.abort())
    page.goto(f"{server.base_url}/?at={q('2017-07-23T12:00+03:00')}&base=osm")
    browser.wait_for_map(page)
    frame = browser.map_box(page)
    frame.locator("path.dz-country-syria").wait_for(timeout=30_000)
    frame.locator(".dz-tiles-unreachable").wait_for()
    assert "Tiles unreachable" in frame.locator(".leaflet-control-attribution").inner_text()
    assert frame.locator("img.leaflet-tile").count() == 0  # the broken tile layer is gone


def test_a_first_visitor_cannot_reach_a_page_app_py_does_not_list(context):
    # a fresh server, no --edit: the first request of all is the editor's address
    with browser.serve(DATA) as fresh:
        page, log = browser.new_page(context, fresh.base_url)
        page.goto(f"{fresh.base_url}/edit?at={q('2017-07-23T12:00+03:00')}")
        browser.wait_for_map(page)  # st.navigation sends an unknown page to the Map page
        browser.wait_for_idle(page)
        assert page.get_by_role("heading", name="Edit zones").count() == 0
        assert "Editing is off" not in page.content()
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Map" in nav and "Edit zones" not in nav and "edit" not in nav.lower()


def test_a_slider_step_replaces_the_cluster_layer(context, many):
    server, timeline = many
    # a day on which incidents enter the 3,650-day window, so that the layers change
    day = next(
        d
        for d in (dt.date(2022, 12, 20) + dt.timedelta(days=i) for i in range(10))
        if len(_in_window(timeline, f"{d + dt.timedelta(days=1)}T12:00+03:00"))
        != len(_in_window(timeline, f"{d}T12:00+03:00"))
    )
    after = day + dt.timedelta(days=1)
    page, log = browser.new_page(context, server.base_url)
    page.goto(f"{server.base_url}/?at={q(f'{day}T12:00+03:00')}&window=3650")
    browser.wait_for_map(page)
    browser.wait_for_settled(page)
    frame = browser.map_document(page)
    before = _wait_for_total(frame, len(_in_window(timeline, f"{day}T12:00+03:00")))
    frame.evaluate(
        "() => document.querySelectorAll('.dz-cluster, path.dz-incident')"
        ".forEach((el) => el.setAttribute('data-dz-old', '1'))"
    )
    browser.press_day_slider(page, "ArrowRight")
    page.locator(browser.HEADING).filter(
        has_text=f"{after.day} {after:%B %Y}, 12:00 Damascus time"
    ).wait_for()
    browser.wait_for_idle(page)
    # the new layer's counts, once: the old layer's markers are all gone, not kept beside it
    got = _wait_for_total(frame, len(_in_window(timeline, f"{after}T12:00+03:00")))
    assert got["old"] == 0
    assert got["moveListeners"] == before["moveListeners"]  # the old layer stopped listening
    assert log.page_errors == []
    assert log.unexpected_console_errors() == []


def test_incidents_at_one_point_are_listed_in_one_marker(context, tmp_path):
    from geo.datasets import read_dataset, write_dataset

    data = browser.synthetic_folder(tmp_path / "stack", 2_000)
    instant = "2022-12-30T12:00+03:00"
    path = data / "imported" / "synthetic.parquet"
    frame, _ = read_dataset(path)
    shown = _in_window(load_timeline(data), instant)
    ids = shown[shown["dataset"] == "synthetic"]["violation_id"].iloc[:30]
    point = (33.5138, 36.2765)  # Damascus: no zoom separates incidents at one point
    frame.loc[frame["violation_id"].isin(ids), ["lat", "lon"]] = point
    write_dataset(frame, path, kind="incidents", format="acled", source_file="synthetic", skipped=0)
    timeline = load_timeline(data)
    shown = _in_window(timeline, instant)
    synthetic = shown[shown["dataset"] == "synthetic"]
    assert len(synthetic) > DETAIL_LIMIT
    stacked = synthetic[synthetic["violation_id"].isin(ids)]
    assert len(stacked) == 30
    with browser.serve(data) as server:
        page, log = browser.new_page(context, server.base_url)
        page.goto(f"{server.base_url}/?at={q(instant)}&window=3650")
        browser.wait_for_map(page)
        browser.wait_for_idle(page)
        frame = browser.map_document(page)
        _wait_for_total(frame, len(shown))
        frame.evaluate(
            "([lat, lon]) => window.dzMap.setView([lat, lon], window.dzMap.getMaxZoom(), "
            "{animate: false})",
            list(point),
        )
        stack = browser.map_box(page).locator(".dz-cluster.dz-stack").filter(has_text="30")
        stack.wait_for()
        browser.wait_for_idle(page)
        frame.evaluate("() => document.querySelector('.leaflet-container').focus()")
        stack.scroll_into_view_if_needed()
        stack.click()
        listed = browser.map_box(page).locator(".leaflet-popup-content .dz-stack-list")
        listed.wait_for()
        days = stacked["occurred"].dt.tz_convert("Asia/Damascus").dt.date
        expected = sorted(
            f"{kind}, {day.isoformat()}" for kind, day in zip(stacked["kind"], days, strict=True)
        )
        assert sorted(listed.inner_text().split("\n")) == expected
        assert log.page_errors == []
        assert log.unexpected_console_errors() == []
