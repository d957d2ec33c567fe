"""The map read from a reader's side, in Debian's Chromium against a real ``dezmap serve``.

Names on the map (zone labels at national and zone zoom, the towns layer), the honest status
(Daraa al-Balad possibly violated at noon on 14 Aug 2021), legible detail (co-located
incidents as separate markers, a legend that collapses and never covers a popup). One server
for the module, on the bundled data; expected values are computed in-process with ``geo``.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest

from geo.datasets import load_timeline
from geo.places import load_places
from geo.render import STATUS_COLORS
from geo.timemodel import status_at
from tests import browser
from tests.conftest import DATA

pytestmark = pytest.mark.browser

if not browser.CHROMIUM.exists():
    pytest.skip(
        f"Chromium not found at {browser.CHROMIUM} (install Debian's chromium: make browser)",
        allow_module_level=True,
    )

from playwright.sync_api import expect  # noqa: E402 - after the skip

ASTANA = "2017-07-23T12:00+03:00"
TRUCE_NOON = "2021-08-14T12:00+03:00"
TWO_AT_DARAA = "2021-08-16T12:00+03:00"  # Tareeq al-Sad (14th) and the Saraya crossing (15th)
DARAA_POINT = (32.61044, 36.09379)


def address(**params: str) -> str:
    return "/?" + urllib.parse.urlencode(params, safe=":")


@pytest.fixture(scope="module")
def timeline():
    return load_timeline(DATA)


@pytest.fixture(scope="module")
def server():
    with browser.serve(DATA) as running:
        yield running


def open_map(page, server, **params: str):
    page.goto(server.base_url + address(**params))
    browser.wait_for_map(page)
    browser.wait_for_idle(page)
    return browser.map_box(page), browser.map_document(page)


_LABELS_JS = """
() => Array.from(document.querySelectorAll("span.dz-zone-label")).map((el) => {
    const r = el.getBoundingClientRect();
    const pane = el.closest(".leaflet-pane");
    return {
        zone: el.dataset.zone, text: el.textContent, place: el.classList.contains(
            "dz-label-inside") ? "inside" : (el.classList.contains("dz-label-beside") ?
            "beside" : null),
        w: r.width, h: r.height, x: r.left + r.width / 2, y: r.top + r.height / 2,
        events: getComputedStyle(pane).pointerEvents,
    };
})
"""


_TOWN_NAMES_JS = """
() => Array.from(document.querySelectorAll("span.dz-town-label"))
    .filter((el) => el.style.visibility !== "hidden").map((el) => {
        const r = el.getBoundingClientRect();
        return {text: el.textContent, left: r.left, right: r.right, top: r.top,
                bottom: r.bottom};
    })
"""


def labels(frame) -> dict[str, dict]:
    return {label["zone"]: label for label in frame.evaluate(_LABELS_JS)}


def overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and (a["top"] < b["bottom"] and b["top"] < a["bottom"])
    )


def wait_until_still(frame, selector: str) -> None:
    """Wait until the element has the same place on screen in two animation frames running."""
    frame.evaluate("() => { window.__dzLastPlace = null; }")
    frame.wait_for_function(
        """(selector) => {
            const el = document.querySelector(selector);
            const r = el && el.getBoundingClientRect();
            const place = r ? [r.left, r.top, r.width, r.height].join() : null;
            const still = place !== null && place === window.__dzLastPlace;
            window.__dzLastPlace = place;
            return still;
        }""",
        arg=selector,
        polling="raf",
    )


def rect(locator) -> dict:
    return locator.evaluate(
        "(el) => { const r = el.getBoundingClientRect();"
        " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }"
    )


# --- names on the map ---------------------------------------------------------------------------


def test_zone_labels_name_every_zone_at_national_and_zone_zoom(page, server, timeline):
    status = status_at(timeline, ASTANA)
    names = dict(zip(status["zone_id"], status["name"], strict=True))
    _, frame = open_map(page, server, at=ASTANA)
    national = labels(frame)
    assert set(national) == set(names)
    for zone_id, label in national.items():
        assert label["text"] == names[zone_id]
        assert label["w"] > 20 and label["h"] > 8, zone_id  # drawn, not hidden
        assert label["place"] in ("inside", "beside") and label["events"] == "none"
    # Eastern Ghouta is a speck at national zoom: its name goes beside it
    assert national["eastern-ghouta"]["place"] == "beside"

    _, frame = open_map(page, server, at=ASTANA, zone="eastern-ghouta")
    zoomed = labels(frame)
    assert set(zoomed) == set(names)
    assert zoomed["eastern-ghouta"]["place"] == "inside"
    assert frame.evaluate("() => window.dzMap.getZoom()") > 8


def test_labels_are_placed_again_when_the_reader_zooms(page, server):
    _, frame = open_map(page, server, at=ASTANA)
    assert labels(frame)["eastern-ghouta"]["place"] == "beside"
    frame.evaluate("() => window.dzMap.setView([33.55, 36.40], 11, {animate: false})")
    assert labels(frame)["eastern-ghouta"]["place"] == "inside"


def test_towns_layer_draws_the_gazetteer_and_can_be_switched_off(page, server):
    places = load_places(DATA)
    map_box, frame = open_map(page, server, at=ASTANA)
    towns = map_box.locator("path.dz-town")
    expect(towns).to_have_count(len(places))
    shown = frame.evaluate(_TOWN_NAMES_JS)
    assert shown and {t["text"] for t in shown} <= set(places["name_en"])
    # the names shown overlap neither each other nor a zone's name
    zone_names = frame.evaluate(
        "() => Array.from(document.querySelectorAll('span.dz-zone-label')).map((el) => {"
        " const r = el.getBoundingClientRect();"
        " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; })"
    )
    for i, town in enumerate(shown):
        assert not any(overlap(town, other) for other in shown[i + 1 :]), town["text"]
        assert not any(overlap(town, zone) for zone in zone_names), town["text"]
    # zoomed in on Idlib city, its name is shown
    frame.evaluate("() => window.dzMap.setView([35.93, 36.63], 12, {animate: false})")
    idleb = map_box.locator('span.dz-town-label[data-pcode="C3871"]')
    expect(idleb).to_have_text("Idleb")
    assert idleb.evaluate("(el) => el.style.visibility") != "hidden"
    # the layer control lists it, and unticking it removes the towns
    control = map_box.locator(".leaflet-control-layers")
    control.hover()
    row = control.locator("label", has_text="Towns (OCHA places)")
    row.locator("input").uncheck()
    expect(towns).to_have_count(0)
    row.locator("input").check()
    expect(towns).to_have_count(len(places))


# --- the honest status ----------------------------------------------------------------------


def test_daraa_al_balad_is_possibly_violated_at_noon_on_14_august_2021(page, server, timeline):
    expected = status_at(timeline, TRUCE_NOON).set_index("zone_id")
    assert expected.loc["daraa-al-balad", "status"] == "possibly-violated"
    map_box, _ = open_map(page, server, at=TRUCE_NOON, zone="daraa-al-balad")
    zones = {z["zone"]: z for z in browser.zone_paths(page)}
    daraa = zones["daraa-al-balad"]
    assert daraa["status"] == "possibly-violated"
    assert daraa["fill"].lower() == STATUS_COLORS["possibly-violated"]
    # its legend entry, with the same colour
    entry = map_box.locator('.dz-legend-row[data-status="possibly-violated"]')
    expect(entry).to_contain_text("Possibly violated")
    swatch = entry.locator(".dz-swatch").evaluate("(el) => getComputedStyle(el).backgroundColor")
    r, g, b = (int(STATUS_COLORS["possibly-violated"][i : i + 2], 16) for i in (1, 3, 5))
    assert swatch == f"rgb({r}, {g}, {b})"
    # the popup says so
    popup = browser.open_zone_popup(page, "daraa-al-balad")
    assert "possibly-violated" in popup.inner_text()
    assert "Possibly violated" in popup.inner_text()


def test_violated_zones_are_striped_as_well_as_coloured(page, server, timeline):
    expected = status_at(timeline, TWO_AT_DARAA).set_index("zone_id")
    assert expected.loc["daraa-al-balad", "status"] == "violated"
    map_box, _ = open_map(page, server, at=TWO_AT_DARAA)
    path = map_box.locator("path.dz-zone-daraa-al-balad")
    assert path.get_attribute("fill").lower() == STATUS_COLORS["violated"]
    assert path.evaluate("(el) => getComputedStyle(el).fill") == 'url("#dz-hatch-violated")'
    assert map_box.locator("pattern#dz-hatch-violated").count() == 1


# --- legible detail ---------------------------------------------------------------------------


def _markers(frame) -> list[dict]:
    return frame.evaluate(
        "() => Array.from(document.querySelectorAll('path.dz-incident')).map((el) => {"
        " const r = el.getBoundingClientRect();"
        " return {x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width}; })"
    )


@pytest.mark.parametrize("zone", ["daraa-al-balad", ""])
def test_two_incidents_at_one_town_point_are_two_clickable_markers(page, server, zone):
    params = {"at": TWO_AT_DARAA, "window": "7"}
    if zone:
        params["zone"] = zone
    map_box, frame = open_map(page, server, **params)
    markers = map_box.locator("path.dz-incident")
    expect(markers).to_have_count(2)
    a, b = _markers(frame)
    assert ((a["x"] - b["x"]) ** 2 + (a["y"] - b["y"]) ** 2) ** 0.5 >= a["w"]  # apart
    places = set()
    for i in range(2):
        browser.click_path(page, markers.nth(i))
        content = map_box.locator(".leaflet-popup-content .dz-popup .dz-place")
        content.wait_for(state="visible")
        places.add(content.inner_text())
    assert places == {"Tareeq al-Sad, Daraa al-Balad", "al-Saraya crossing, Daraa al-Balad"}


def test_legend_collapses_on_request_and_steps_aside_for_a_popup(page, server):
    map_box, frame = open_map(page, server, at=ASTANA, zone="eastern-ghouta")
    box = map_box.locator(".dz-legend-box")
    toggle = box.locator(".dz-legend-toggle")
    body = box.locator(".dz-legend")
    expect(body).to_be_visible()
    toggle.click()
    expect(body).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(body).to_be_visible()

    # a popup opening right where the open legend stands: the legend folds, the popup moves
    frame.evaluate(
        """() => {
            const size = window.dzMap.getSize();
            const at = window.dzMap.containerPointToLatLng([size.x - 40, size.y - 30]);
            L.popup({maxWidth: 300}).setLatLng(at)
                .setContent('<div class="dz-test-popup" style="width:260px;height:140px">x</div>')
                .openOn(window.dzMap);
        }"""
    )
    popup = map_box.locator(".leaflet-popup")
    expect(popup).to_be_visible()
    expect(body).to_be_hidden()
    wait_until_still(frame, ".leaflet-popup")  # Leaflet pans the map to it, animated
    assert not overlap(rect(popup), rect(box))
    # opening the legend by hand closes the popup; closing a popup opens it again
    toggle.click()
    expect(popup).to_have_count(0)
    expect(body).to_be_visible()
    zone_popup = browser.open_zone_popup(page, "eastern-ghouta")
    expect(body).to_be_hidden()
    wait_until_still(frame, ".leaflet-popup")
    assert not overlap(rect(map_box.locator(".leaflet-popup")), rect(box))
    assert "Eastern Ghouta" in zone_popup.inner_text()
    browser.close_popups(page)
    expect(body).to_be_visible()
    assert page.log.page_errors == []


_MOVE_JS = """() => {
    const map = window.dzMap, box = map.getContainer();
    let moveends = 0;
    map.once("moveend", () => { moveends += 1; });
    const before = {zoom: map.getZoom(), reported: box.dataset.dzReported};
    map.setView([33.55, 36.40], 11);  // as the page moves it to a focused zone
    const b = map.getBounds();
    return {before: before, zoom: map.getZoom(), moveends: moveends,
            reported: JSON.parse(box.dataset.dzReported),
            bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]};
}"""


def test_a_move_asked_by_the_app_is_made_and_reported_at_once(page, server):
    """A new focus zone: the map is there without a zoom animation, and its extent goes back
    to the page in the same moment (a reader's own move is reported 250 ms after it ends)."""
    _, frame = open_map(page, server, at=ASTANA)
    browser.wait_for_settled(page)
    moved = frame.evaluate(_MOVE_JS)
    assert moved["before"]["reported"]  # the first drawing was reported
    assert moved["before"]["zoom"] != 11 and moved["zoom"] == 11  # no animation to wait for
    assert moved["moveends"] == 1  # the move has ended when setView returns
    # ... and the new extent was reported to the page before setView returned
    west, south, east, north = moved["bounds"]
    assert moved["reported"] == {
        "_southWest": {"lat": south, "lng": west},
        "_northEast": {"lat": north, "lng": east},
    }
    # and the page took it: the Snapshot offers the extent on screen
    page.get_by_role("button", name="Snapshot").click()
    page.get_by_text(f"Extent as on screen: {west:.3f} to {east:.3f} E").wait_for()


def test_the_readers_own_zoom_keeps_its_animation(page, server):
    _, frame = open_map(page, server, at=ASTANA)
    zoom = frame.evaluate(
        "() => { const z = window.dzMap.getZoom(); window.dzMap.setZoom(z + 2); "
        "return [z, window.dzMap.getZoom()]; }"
    )
    assert zoom[1] == zoom[0]  # still animating: Leaflet's zoom changes when it ends
    frame.wait_for_function("(z) => window.dzMap.getZoom() === z", arg=zoom[0] + 2)


def test_the_map_page_loads_the_chart_library_hidden_once_the_map_is_drawn(page, server):
    open_map(page, server, at=ASTANA)
    chart = page.locator('.st-key-dz-chart-code [data-testid="stVegaLiteChart"]')
    chart.wait_for(state="attached")  # drawn by the run that the map's first report asks for
    assert not chart.is_visible()  # and takes no room on the page
    assert page.log.unexpected_console_errors() == []


# --- the map component (ui/leafmap.js) ---------------------------------------------------------


def test_the_map_is_drawn_in_the_page_and_its_scripts_load_once_per_page(page, server):
    """No iframe: the map lives in the page. Going to the Zone page (a second map) and back
    loads Leaflet and its plugins no more: each asset is one element of the page's head."""
    open_map(page, server, at=ASTANA)
    assert page.locator("iframe").count() == 0
    assert page.locator(f"{browser.MAP} .leaflet-container").count() == 1
    page.get_by_role("link", name="Zone", exact=True).click()
    browser.map_box(page).locator("path.dz-version").first.wait_for()
    page.get_by_role("link", name="Map", exact=True).click()
    browser.wait_for_map(page)
    browser.wait_for_idle(page)
    heads = page.evaluate(
        "() => Array.from(document.head.querySelectorAll('script[src], link[href]'))"
        ".map((e) => e.getAttribute('src') || e.getAttribute('href'))"
        ".filter((u) => u.startsWith('/app/static/vendor/'))"
    )
    assert "/app/static/vendor/leaflet/leaflet.js" in heads
    assert len(heads) == len(set(heads)), heads
    assert page.log.page_errors == []


def test_a_map_whose_scripts_cannot_load_says_so(context, server):
    """A vendored asset missing (``make setup`` not run, a proxy in the way): the map's box
    says what could not be loaded, instead of staying blank."""
    page, log = browser.new_page(context, server.base_url)
    page.route("**/app/static/vendor/leaflet.fullscreen/**", lambda route: route.abort())
    page.goto(server.base_url + address(at=ASTANA))
    alert = page.locator(".dz-map-problem")
    expect(alert).to_contain_text(
        "The map could not be drawn: could not load /app/static/vendor/leaflet.fullscreen/",
        timeout=30_000,
    )
    assert page.locator("path.dz-zone").count() == 0
    # a first paint without its map goes on to the controls all the same
    page.locator(browser.DAY_SLIDER).wait_for(timeout=30_000)
    assert page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').count() > 0


_FIRST_PAINT_JS = """
(() => {
  const seen = (window.__dzPaint = { maps: 0 });
  const top = () => {
    const box = document.querySelector(__MAP__);
    return box ? Math.round(box.getBoundingClientRect().top + window.scrollY) : null;
  };
  new MutationObserver(() => {
    if (!seen.zone && document.querySelector("path.dz-zone")) {
      seen.zone = performance.now();
      seen.zoneTop = top();
      seen.sliderAtZone = !!document.querySelector(__SLIDER__);
      seen.sidebarAtZone = !!document.querySelector(
        '[data-testid="stSidebar"] [data-testid="stSelectbox"]');
    }
    if (!seen.slider && document.querySelector(__SLIDER__)) {
      seen.slider = performance.now();
    }
    // the page as it was when the map first told its extent
    if (!seen.report && document.querySelector(".dz-map[data-dz-reported]")) {
      const app = document.querySelector('[data-testid="stApp"]');
      seen.report = {
        state: app.dataset.testScriptState,
        skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
        slider: !!document.querySelector(__SLIDER__),
      };
    }
  }).observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-dz-reported"],
  });
  // every Leaflet map made on this page (the map drawn again would be a second one)
  let leaflet;
  Object.defineProperty(window, "L", {
    configurable: true,
    get: () => leaflet,
    set: (value) => {
      leaflet = value;
      if (value && value.Map && !value.Map.__dzCounted) {
        value.Map.__dzCounted = true;
        value.Map.addInitHook(function () { seen.maps += 1; });
      }
    },
  });
})();
""".replace("__MAP__", json.dumps(browser.MAP)).replace(
    "__SLIDER__", json.dumps(browser.DAY_SLIDER)
)


def test_a_first_visit_shows_the_map_first_then_the_controls_around_it(context, server):
    """A session's first page: heading and map first, the controls in a second run.

    The map is drawn once (the controls' arrival neither draws it again nor moves it: their
    room was kept), and the controls then work.
    """
    context.add_init_script(_FIRST_PAINT_JS)
    page, log = browser.new_page(context, server.base_url)
    page.goto(server.base_url + address(at=ASTANA))
    browser.wait_for_map(page)
    page.locator(browser.DAY_SLIDER).wait_for()
    browser.wait_for_settled(page)
    paint = page.evaluate("window.__dzPaint")
    assert paint["sliderAtZone"] is False and paint["sidebarAtZone"] is False, paint
    assert paint["zone"] < paint["slider"], paint
    assert paint["maps"] == 1, paint
    top = browser.map_box(page).evaluate(
        "(el) => Math.round(el.getBoundingClientRect().top + window.scrollY)"
    )
    assert abs(top - paint["zoneTop"]) <= 2, (top, paint)
    assert browser.heading(page) == "23 July 2017, 12:00 Damascus time"
    assert page.locator('[data-testid="stDataFrame"]').count() == 1  # the zones' table too
    # the extent, held during the first paint, is reported once the second run has ended and
    # its controls are drawn (a report runs the map's fragment: not in the middle of that run)
    assert browser.map_box(page).locator(".dz-map[data-dz-reported]").count() == 1
    assert paint["report"] == {"state": "notRunning", "skeletons": 0, "slider": True}, paint
    assert browser.map_box(page).locator(".dz-map[data-dz-held]").count() == 0
    browser.press_day_slider(page)
    expect(page.locator(browser.HEADING)).to_have_text("24 July 2017, 12:00 Damascus time")
    assert page.evaluate("window.__dzPaint.maps") == 1  # a step swaps layers, nothing more
    assert log.page_errors == [] and log.unexpected_console_errors() == []


def _click_at_first_sight(*selectors: str) -> str:
    """An init script: the moment the first zone is on the page, in the same task, a click on
    the first element of each selector; ``window.__dzClicked`` says which were found and
    whether the controls were on the page yet."""
    return """
(() => {
  new MutationObserver((_, observer) => {
    if (!document.querySelector("path.dz-zone")) return;
    observer.disconnect();
    const links = __SELECTORS__.map((s) => document.querySelector(s));
    window.__dzClicked = {
      found: links.map((a) => !!a), controls: !!document.querySelector(__SLIDER__),
    };
    links.forEach((a) => a && a.click());
  }).observe(document, { subtree: true, childList: true });
})();
""".replace("__SELECTORS__", json.dumps(list(selectors))).replace(
        "__SLIDER__", json.dumps(browser.DAY_SLIDER)
    )


def test_a_page_link_clicked_as_the_map_appears_leads_to_that_page(context, server):
    """A reader who leaves a first visit's Map page the moment its map shows (before the
    page's second run) ends on the page chosen: the second run, asked for once the first has
    ended, is never asked for after such a click (Streamlit still shows "not running" and the
    old address until the server answers it), which would bring the reader back."""
    context.add_init_script(
        _click_at_first_sight('[data-testid="stSidebarNav"] a[href$="/records"]')
    )
    page, log = browser.new_page(context, server.base_url)
    page.goto(server.base_url + address(at=ASTANA))
    page.wait_for_url("**/records?*")
    page.get_by_role("button", name="Download incidents (GeoJSON)").wait_for()
    browser.wait_for_settled(page)
    assert page.evaluate("window.__dzClicked") == {"found": [True], "controls": False}
    assert urllib.parse.urlsplit(page.url).path == "/records"
    assert page.locator("h1").first.inner_text().strip() == "Records"
    assert log.page_errors == [] and log.unexpected_console_errors() == []


def test_a_click_on_the_map_as_it_appears_does_not_stop_the_controls(context, server):
    """Links to the page itself (Leaflet's zoom buttons, a heading's anchor), clicked during a
    first visit's first paint, are no page change: the controls still come."""
    # Leaflet's zoom-in button and the heading's anchor: both links to this very address
    context.add_init_script(_click_at_first_sight(".leaflet-control-zoom-in", "h4 a[href^='#']"))
    page, log = browser.new_page(context, server.base_url)
    page.goto(server.base_url + address(at=ASTANA))
    page.locator(browser.DAY_SLIDER).wait_for()
    browser.wait_for_idle(page)
    assert page.evaluate("window.__dzClicked") == {"found": [True, True], "controls": False}
    assert urllib.parse.urlsplit(page.url).path == "/"
    assert browser.heading(page) == "23 July 2017, 12:00 Damascus time"
    assert log.page_errors == [] and log.unexpected_console_errors() == []


def test_a_filter_draws_the_map_again_and_the_page_keeps_one_live_map(page, server):
    """Choosing an incident kind changes the base map (its legend says what is filtered): the
    component takes the old map off and draws the new one in the same box, which reports its
    extent again; the old map is gone, not hidden."""
    _, frame = open_map(page, server, at=ASTANA)
    browser.wait_for_settled(page)
    frame.evaluate("() => { window.__dzFirst = window.dzMap; }")
    kinds = page.locator('[data-testid="stMultiSelect"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text="Incident kinds")
    )
    kinds.click()
    page.get_by_role("option", name="shelling", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_url(lambda url: browser.query(url).get("kinds") == "shelling")
    browser.wait_for_settled(page)
    browser.map_box(page).locator(".dz-legend-filtered").wait_for(state="attached")
    state = frame.evaluate(
        """() => ({
            replaced: window.dzMap !== window.__dzFirst,
            oldGone: !window.__dzFirst.getContainer().isConnected,
            maps: document.querySelectorAll(".leaflet-container").length,
            reported: !!window.dzMap.getContainer().dataset.dzReported,
        })"""
    )
    assert state == {"replaced": True, "oldGone": True, "maps": 1, "reported": True}
    browser.wait_for_map(page)
    assert page.log.page_errors == []
