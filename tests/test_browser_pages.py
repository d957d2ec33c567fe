"""The pages from the reader's side (issue 10): the real ``dezmap serve`` in Chromium.

One server per module on the bundled data; a fresh browser context per test. Tables are read
as a reader would take them away: through each table's own "Download as CSV" button (the
File System Access API is switched off, so the browser saves the file as an ordinary
download). Every expected value is computed in-process with ``geo`` from the same data.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from geo.datasets import load_timeline
from geo.timemodel import incident_agreements
from geo.view import View, select
from tests import browser
from tests.browser import q, query
from tests.conftest import DATA
from tests.test_export_records import DAY, LOCAL_INSTANT, UTC_LEFTOVER

pytestmark = pytest.mark.browser

if not browser.CHROMIUM.exists():
    pytest.skip(
        f"Chromium not found at {browser.CHROMIUM} (install Debian's chromium: make browser)",
        allow_module_level=True,
    )

from playwright.sync_api import expect  # noqa: E402 - after the skip

#: Streamlit saves a table through the File System Access API when the browser has it;
#: without it, the table's CSV is an ordinary download that Playwright can read.
NO_FILE_PICKER = "delete window.showSaveFilePicker; window.showSaveFilePicker = undefined;"
SMALL = {"width": 390, "height": 844}
GHOUTA = "eastern-ghouta"
CAIRO = "2017-07-23T12:00+03:00"
MONTH = re.compile(r"^\d{4}-\d{2}$")


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def timeline():
    """The bundled data's timeline, loaded in-process: the source of every expected value."""
    return load_timeline(DATA)


@pytest.fixture(scope="module")
def server():
    """``dezmap serve`` on the bundled data."""
    with browser.serve(DATA) as running:
        yield running


@pytest.fixture
def context(chromium):
    """A fresh browser context per test, saving tables as downloads."""
    ctx = chromium.new_context(viewport=browser.VIEWPORT, accept_downloads=True)
    ctx.set_default_timeout(30_000)
    ctx.add_init_script(NO_FILE_PICKER)
    try:
        yield ctx
    finally:
        ctx.close()


# --- helpers ---------------------------------------------------------------------------------


def settle(page, path: str) -> None:
    """Wait until a page has drawn its last element and Streamlit is idle."""
    if path == "/":
        browser.wait_for_map(page)
        page.locator('[data-testid="stDataFrame"]').first.wait_for()
    elif path == "/zone":
        page.locator("h3").filter(has_text="Compliance").wait_for()
        page.locator('[data-testid="stDataFrame"]').nth(2).wait_for()
    elif path == "/records":
        page.get_by_role("button", name="Download incidents (GeoJSON)").wait_for()
    browser.wait_for_idle(page)


def go_to(page, label: str, path: str) -> None:
    """Switch page through the sidebar's navigation, as a reader does."""
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=label).first.click()
    page.wait_for_url(f"**{path}?*" if path != "/" else re.compile(r".*/\?.*"))
    settle(page, path)


def download(page, click) -> str:
    """The text of the file a click downloads."""
    with page.expect_download(timeout=60_000) as info:
        click()
    return Path(info.value.path()).read_text(encoding="utf-8-sig")


def tables(page) -> list[str]:
    """Every table on the page, as its own "Download as CSV" button saves it."""
    out = []
    frames = page.locator('[data-testid="stDataFrame"]')
    for i in range(frames.count()):
        frame = frames.nth(i)
        frame.scroll_into_view_if_needed()
        frame.hover()
        button = frame.get_by_role("button", name="Download as CSV")
        out.append(download(page, button.click))
    return out


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def assert_no_utc(where: str, text: str) -> None:
    found = UTC_LEFTOVER.search(text)
    assert found is None, f"{where}: {text[max(0, found.start() - 120) : found.end() + 20]!r}"


def select_box(page, label: str):
    return page.locator('[data-testid="stSelectbox"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=label)
    )


# --- one clock -------------------------------------------------------------------------------


def test_no_utc_instant_in_any_table_or_download(page, server):
    seen: dict[str, str] = {}
    page.goto(f"{server.base_url}/?at={q(CAIRO)}&zone={GHOUTA}")
    settle(page, "/")
    for i, text in enumerate(tables(page)):
        seen[f"map table {i}"] = text

    page.goto(f"{server.base_url}/zone?at={q(CAIRO)}&zone={GHOUTA}")
    settle(page, "/zone")
    zone_tables = tables(page)
    assert len(zone_tables) == 3  # outline versions, agreements, compliance
    for i, text in enumerate(zone_tables):
        seen[f"zone table {i}"] = text

    for scope in ("in the window", "all"):
        page.goto(f"{server.base_url}/records?at={q('2018-03-01T12:00+02:00')}&window=30")
        settle(page, "/records")
        if scope == "all":
            page.get_by_text("all", exact=True).click()
            page.locator("h3").filter(has_text=re.compile(r"Incidents \(\d{3,}\)")).wait_for()
            browser.wait_for_idle(page)
        for i, text in enumerate(tables(page)):
            seen[f"records table {i} ({scope})"] = text
        for name in ("agreements (CSV)", "incidents (CSV)", "incidents (GeoJSON)"):
            button = page.get_by_role("button", name=f"Download {name}")
            seen[f"download {name} ({scope})"] = download(page, button.click)

    for where, text in seen.items():
        assert_no_utc(where, text)
    # the instants are there, in Damascus time with their offset, or as days
    incidents = rows(seen["records table 1 (all)"])
    assert len(incidents) > 100
    occurred = [r["occurred"] for r in incidents]
    precise = [LOCAL_INSTANT.match(v) or DAY.match(v) or MONTH.match(v) for v in occurred]
    assert all(precise), [v for v, ok in zip(occurred, precise, strict=True) if not ok]
    # a month-precise report prints as its month, not as midnight on the 1st
    months = [r for r in incidents if r["date_precision"] == "month"]
    assert months and all(MONTH.match(r["occurred"]) for r in months), months[:1]
    assert any(LOCAL_INSTANT.match(v) for v in occurred) and any(DAY.match(v) for v in occurred)
    agreements = {r["agreement_id"]: r for r in rows(seen["download agreements (CSV) (all)"])}
    cairo = agreements["cairo-eastern-ghouta-2017"]
    assert (cairo["signed"], cairo["effective_from"]) == ("2017-07-22", "2017-07-22T12:00+03:00")
    assert "2017-07-22T12:00+03:00" in seen["zone table 1"]
    assert page.log.page_errors == []


# --- no silent filters -----------------------------------------------------------------------


def test_a_mistyped_kind_shows_a_warning_and_the_unfiltered_map(page, server):
    page.goto(f"{server.base_url}/?at={q('2021-08-16T12:00+03:00')}")
    settle(page, "/")
    plain = browser.map_signature(page)
    assert plain[1] >= 1  # incidents on the map: a filter that dropped them would show

    page.goto(f"{server.base_url}/?at={q('2021-08-16T12:00+03:00')}&kinds=airstrikes")
    settle(page, "/")
    warning = page.locator('[data-testid="stAlert"]').filter(has_text="airstrikes")
    expect(warning).to_contain_text("is not in the data")
    expect(warning).to_contain_text("airstrike")  # the suggestion
    assert browser.map_signature(page) == plain
    expect(page.get_by_text("Showing: every incident in every zone")).to_be_visible()
    assert "kinds" not in query(page.url)
    legend = browser.map_box(page).locator(".dz-legend-box")
    expect(legend).not_to_contain_text("Filtered")

    # a real filter is said above the map
    page.goto(f"{server.base_url}/?at={q('2021-08-16T12:00+03:00')}&kinds=airstrike")
    settle(page, "/")
    expect(page.get_by_text("Showing: airstrike only")).to_be_visible()
    filtered = browser.map_signature(page)
    assert filtered[1] < plain[1]
    # the map itself says so, folded or open
    legend = browser.map_box(page).locator(".dz-legend-box")
    expect(legend).to_contain_text("Filtered: airstrike only")
    expect(legend.locator(".dz-legend-toggle")).to_contain_text("Legend (filtered)")


# --- the Zone page speaks about the zone -----------------------------------------------------


def test_zone_page_metrics_count_only_eastern_ghoutas_incidents(page, server, timeline):
    pairs = incident_agreements(timeline)
    ids = timeline.incidents["violation_id"].to_numpy()
    page.goto(f"{server.base_url}/zone?at={q(CAIRO)}&zone={GHOUTA}")
    settle(page, "/zone")
    compliance = {r["Agreement"]: r for r in rows(tables(page)[2])}
    titles = timeline.agreements.frame.set_index("agreement_id")["title"]
    checked = 0
    for agreement_id, title in titles.items():
        if title not in compliance:
            continue
        mine = pairs[pairs["agreement_id"] == agreement_id]
        here = mine[mine["zone_id"] == GHOUTA]
        row = compliance[title]
        assert int(row["Incidents in this zone"]) == here["incident"].nunique(), title
        assert int(row["Incidents, whole agreement"]) == mine["incident"].nunique(), title
        first = row["First violation in this zone"]
        if first != "none":
            assert first in set(ids[here["incident"].to_numpy()]), (title, first)
        checked += 1
    assert checked >= 5
    astana = compliance["Astana memorandum on creating four de-escalation areas"]
    assert int(astana["Incidents in this zone"]) < int(astana["Incidents, whole agreement"])


def test_zone_page_offers_the_instant_when_the_zone_existed(page, server):
    page.goto(f"{server.base_url}/zone?at={q('2016-03-01T12:00+02:00')}&zone={GHOUTA}")
    page.get_by_text("did not exist on 1 March 2016").wait_for()
    browser.wait_for_idle(page)
    page.get_by_role("button", name=re.compile("Go to 6 May 2017, 12:00")).click()
    page.get_by_text(re.compile(r"6 May 2017, 12:00 Damascus time.*status")).wait_for()
    browser.wait_for_idle(page)
    assert query(page.url)["at"] == "2017-05-06T12:00+03:00"
    assert page.get_by_text("did not exist").count() == 0


# --- state in step ---------------------------------------------------------------------------


def test_focus_survives_page_switches_in_both_directions(page, server):
    page.goto(f"{server.base_url}/?at={q(CAIRO)}&zone={GHOUTA}")
    settle(page, "/")
    focus = select_box(page, "Focus zone").locator("input")
    expect(focus).to_have_value("Eastern Ghouta")
    for label, path in [
        ("Zone", "/zone"),
        ("Records", "/records"),
        ("Map", "/"),
        ("Records", "/records"),
        ("Zone", "/zone"),
        ("Map", "/"),
    ]:
        go_to(page, label, path)
        expect(focus).to_have_value("Eastern Ghouta")
        assert query(page.url)["zone"] == GHOUTA, path

    # "(none)" chosen on another page clears the focus: the box, the address and the map agree
    go_to(page, "Records", "/records")
    select_box(page, "Focus zone").click()
    page.get_by_role("option", name="(none: the whole map)").click()
    page.wait_for_url(lambda url: "zone" not in query(url))
    browser.wait_for_idle(page)
    expect(focus).to_have_value("(none: the whole map)")
    go_to(page, "Map", "/")
    expect(focus).to_have_value("(none: the whole map)")
    assert "zone" not in query(page.url)


def test_a_typed_date_moves_the_view(page, server, timeline):
    page.goto(f"{server.base_url}/?at={q(CAIRO)}")
    settle(page, "/")
    browser.wait_for_settled(page)  # the map's extent reruns the page once after loading
    box = page.locator('[data-testid="stDateInput"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text="Date")
    )
    box.get_by_role("spinbutton", name="year, Date").click()
    page.keyboard.type("20180315")
    page.locator(browser.HEADING).click()  # leaving the box commits the date
    page.locator(browser.HEADING).filter(has_text="15 March 2018, 12:00 Damascus time").wait_for()
    browser.wait_for_idle(page)
    assert query(page.url)["at"] == "2018-03-15T12:00+02:00"
    slider = page.locator(browser.DAY_SLIDER)
    expect(slider).to_have_attribute("aria-valuetext", "15 Mar 2018")
    # the map shows that instant
    expected = select(timeline, View.parse("at=2018-03-15T12:00", timeline)).status
    want = dict(zip(expected["zone_id"], expected["status"], strict=True))
    frame = browser.map_box(page)
    frame.locator(f"path.dz-zone-{GHOUTA}.dz-status-{want[GHOUTA]}").wait_for()
    assert {z["zone"]: z["status"] for z in browser.zone_paths(page)} == want


# --- small screens ---------------------------------------------------------------------------


def test_a_phone_screen_shows_the_map_above_the_fold(chromium, server):
    phone = chromium.new_context(viewport=SMALL, is_mobile=True, has_touch=True)
    try:
        page = phone.new_page()
        page.goto(f"{server.base_url}/?at={q(CAIRO)}")
        settle(page, "/")
        # the time controls collapse to one line above the map; the sidebar is closed
        details = page.locator('[data-testid="stExpander"] details').filter(
            has_text="Time controls"
        )
        expect(details).to_have_js_property("open", False)
        expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute(
            "data-collapsed", "true"
        )
        browser.wait_for_idle(page)
        page.evaluate("() => window.scrollTo(0, 0)")
        box = browser.map_box(page).bounding_box()
        assert box is not None
        # at least 300 px of map on the first screen, the whole width
        assert box["y"] + 300 <= SMALL["height"], box
        assert box["x"] >= 0 and box["x"] + box["width"] <= SMALL["width"], box
        # a zone's popup fits the phone's screen
        frame = browser.map_box(page)
        frame.locator(f"path.dz-zone-{GHOUTA}").first.dispatch_event("click")
        popup = frame.locator(".leaflet-popup-content-wrapper")
        popup.wait_for(state="visible")
        frame_box = browser.map_box(page).bounding_box()
        inner = popup.bounding_box()  # in the page's coordinates
        assert inner["x"] >= frame_box["x"] - 1, (inner, frame_box)
        assert inner["x"] + inner["width"] <= frame_box["x"] + frame_box["width"] + 1
        # the controls are one tap away
        page.get_by_text("Time controls").click()
        expect(details).to_have_js_property("open", True)
        expect(page.locator(browser.DAY_SLIDER)).to_be_visible()
    finally:
        phone.close()


def test_focusing_a_zone_again_takes_the_map_back_to_it(page, server):
    """Focus a zone, pan away, clear the focus, focus the zone again: the map goes back to it
    (the page asks for the same view as the first time, and it is a new request)."""
    page.goto(f"{server.base_url}/?at={q(CAIRO)}&zone={GHOUTA}")
    settle(page, "/")
    frame = browser.map_document(page)
    view_js = "() => { const c = window.dzMap.getCenter(); return [c.lat, c.lng, window.dzMap.getZoom()]; }"
    focused = frame.evaluate(view_js)
    # the reader's own move (with options, as Leaflet's handlers make them)
    frame.evaluate("() => window.dzMap.setView([35.9, 36.6], 8, {animate: false})")
    browser.wait_for_settled(page)
    assert frame.evaluate(view_js)[2] == 8
    for name, zone in [("(none: the whole map)", None), ("Eastern Ghouta", GHOUTA)]:
        select_box(page, "Focus zone").click()
        page.get_by_role("option", name=name).click()
        page.wait_for_url(lambda url, zone=zone: query(url).get("zone") == zone)
        browser.wait_for_settled(page)
    frame.wait_for_function(
        # the same centre within 2 px at that zoom (Leaflet rounds the map's pixel origin)
        """([lat, lng, zoom]) => { const c = window.dzMap.getCenter();
            const px = 360 / (256 * 2 ** zoom);
            return window.dzMap.getZoom() === zoom && Math.abs(c.lat - lat) < 2 * px
                && Math.abs(c.lng - lng) < 2 * px; }""",
        arg=focused,
    )
