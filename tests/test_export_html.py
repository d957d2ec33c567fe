"""Self-contained HTML snapshots (geo.export.html): real data on disk, a real Chromium.

Library tests look inside the page; the browser tests open the written file from disk with
every request outside ``file:`` and ``data:`` aborted and recorded.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from geo.assets import VENDOR_DIR, AssetError
from geo.datasets import load_timeline
from geo.errors import DezmapError, UsageError
from geo.export.html import (
    MAX_CITATIONS,
    external_references,
    inline_assets,
    snapshot_html,
)
from geo.render import STATUS_COLORS, citations, esc
from geo.view import View, select
from tests import browser
from tests.conftest import DATA, ROOT

GENERATED = dt.datetime(2024, 3, 1, 8, 30, tzinfo=dt.UTC)
AT = "2017-07-23T12:00"  # Damascus time
XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "</script><script>alert(2)</script>"
XSS_AR = "</script><script>window.__dz_xss=3</script>"
EVIL_SOURCE = 'Evil <b>outlet</b>, 2017-07-23, javascript:alert(1) | Good "one", 2017-07-23, https://example.org/a?b=1&c=2'
#: Tags whose src/href make a browser fetch something.
ASSET_TAG = re.compile(
    r"<(?:script|link|img|iframe|source|embed|video|audio|object)\b[^>]*?\b(?:src|href|data)\s*=",
    re.I,
)


@pytest.fixture(scope="module")
def timeline():
    return load_timeline(DATA)


@pytest.fixture(scope="module")
def scene(timeline):
    return select(timeline, View.parse(f"at={AT}&zone=eastern-ghouta", timeline))


def decoded(page: str) -> str:
    """Folium writes <, > and & inside embedded JSON as \\u003c etc.; undo that to read it."""
    return (
        page.replace("\\u003c", "<")
        .replace("\\u003e", ">")
        .replace("\\u0026", "&")
        .replace('\\"', '"')
    )


def hostile_copy(data: Path) -> Path:
    """Markup in a zone's names, an agreement and an incident of the bundled data (on disk)."""
    path = data / "zones.geojson"
    zones = json.loads(path.read_text(encoding="utf-8"))
    for feature in zones["features"]:
        if feature["properties"]["zone_id"] == "eastern-ghouta":
            feature["properties"]["name"] = XSS_NAME
            feature["properties"]["name_ar"] = XSS_AR
    path.write_text(json.dumps(zones, ensure_ascii=False, indent=1), encoding="utf-8")
    _edit_csv(
        data / "violations.csv",
        "violation_id",
        "v-20170723-duma",
        place=XSS_NAME,
        summary=XSS_SCRIPT,
        alleged_perpetrator=XSS_NAME,
        source=EVIL_SOURCE,
    )
    _edit_csv(
        data / "agreements.csv",
        "agreement_id",
        "cairo-eastern-ghouta-2017",
        title=XSS_NAME,
        source='Evil "outlet", 2017-07-22, javascript:alert(1)',
    )
    return data


def _edit_csv(path: Path, key: str, value: str, **changes: str) -> None:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    hits = [row for row in rows if row[key] == value]
    assert hits, f"{path.name} has no {key}={value}"
    for row in hits:
        row.update(changes)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


# --- self-contained --------------------------------------------------------------------------


def test_snapshot_holds_every_asset_and_refers_to_nothing_outside(scene):
    page = snapshot_html(scene, generated=GENERATED)
    assert page.startswith("<!DOCTYPE html>")
    assert not ASSET_TAG.search(page), ASSET_TAG.search(page).group(0)
    assert 'src="http' not in page and "src='http" not in page
    assert not re.search(r"<link\b", page, re.I)
    assert "/app/static/" not in page
    assert external_references(page) == []
    # Leaflet, the fullscreen control and their images are in the page itself
    for script in ("leaflet/leaflet.js", "leaflet.fullscreen/Control.FullScreen.js"):
        assert (VENDOR_DIR / script).read_text(encoding="utf-8") in page, script
    assert "data:image/png;base64," in page  # leaflet's layers.png
    assert "data:image/svg+xml;base64," in page  # the fullscreen icon
    assert "L.tileLayer(" not in page.split("</head>", 1)[1].replace("L.tileLayer = ", "")


def test_many_incidents_bring_the_cluster_plugin_inline(timeline):
    from geo.render import DETAIL_LIMIT

    scene = select(timeline, View.parse("at=2019-01-01T12:00&window=3650", timeline))
    many = scene.incidents.iloc[[0]].sample(DETAIL_LIMIT + 1, replace=True, random_state=1)
    many = many.assign(violation_id=[f"v{i}" for i in range(len(many))])
    from dataclasses import replace

    page = snapshot_html(replace(scene, incidents=many), generated=GENERATED)
    assert "new Supercluster(" in page
    plugin = VENDOR_DIR / "supercluster" / "supercluster.min.js"
    assert plugin.read_text(encoding="utf-8") in page.split("</head>", 1)[0]
    assert ".marker-cluster-small" in page  # the clusters' style, inlined too
    assert external_references(page) == []


def test_the_view_asking_for_tiles_gets_none_and_a_note(timeline):
    scene = select(timeline, View.parse(f"at={AT}&base=osm", timeline))
    page = snapshot_html(scene, generated=GENERATED)
    assert "tile.openstreetmap" not in page and "cartocdn" not in page
    assert "the view asked for OpenStreetMap" in page
    plain = snapshot_html(select(timeline, View.parse(f"at={AT}", timeline)), generated=GENERATED)
    assert "the view asked for" not in plain


# --- what the page says ----------------------------------------------------------------------


def test_header_says_the_instant_the_view_and_the_data(scene):
    link = "https://dezmap.example/?" + scene.view.query()
    page = snapshot_html(
        scene, permalink=link, data_version="d4t4v3r510n", generated=GENERATED, title="Briefing"
    )
    header = page.split('<header class="dz-snap-head"', 1)[1].split("</header>", 1)[0]
    assert "<h1>Briefing</h1>" in header
    assert "<title>Briefing</title>" in page
    assert "23 July 2017, 12:00 Damascus time" in header
    assert "23 July 2017, 09:00 UTC" in header
    assert f'href="{esc(link)}"' in header and f">{esc(link)}</a>" in header
    assert "d4t4v3r510n" in header
    assert "2024-03-01 08:30 UTC" in header
    assert "Zone boundaries are approximate" in header
    assert "focus: <bdi>Eastern Ghouta</bdi>" in header
    counts = f"{len(scene.status)} zones shown, {len(scene.agreements)} agreements in force"
    assert counts in header


def test_without_a_permalink_the_query_is_shown_as_text_not_a_link(scene):
    page = snapshot_html(scene, generated=GENERATED)
    header = page.split("</header>", 1)[0]
    assert f"<code>{esc(scene.view.permalink(''))}</code>" in header
    assert "?at=2017-07-23T12:00" in header


def test_default_title_names_the_focused_zone(scene):
    page = snapshot_html(scene, generated=GENERATED)
    assert "<h1>Syria: ceasefire and de-escalation zones: Eastern Ghouta</h1>" in page


def test_footer_cites_every_record_shown(scene):
    page = snapshot_html(scene, generated=GENERATED)
    footer = page.split('<footer class="dz-snap-foot"', 1)[1].split("</footer>", 1)[0]
    assert len(scene.agreements) and len(scene.records)
    for source in [*scene.agreements["source"], *scene.records["source"]]:
        for label, url in citations(source):
            assert esc(label) in footer, label
            if url:
                assert f'href="{esc(url)}"' in footer, url
    for _, row in scene.status.iterrows():
        assert f'data-zone="{row["zone_id"]}"' in footer
        assert STATUS_COLORS[row["status"]] in footer
    assert "Zone boundaries are approximate" in footer


def test_footer_lists_at_most_max_citations(timeline):
    from dataclasses import replace

    scene = select(timeline, View.parse(f"at={AT}", timeline))
    n = MAX_CITATIONS + 25
    many = scene.incidents.iloc[[0]].sample(n, replace=True, random_state=1)
    many = many.assign(
        violation_id=[f"v{i}" for i in range(n)],
        source=[f"Outlet {i}, 2017-07-23, https://example.org/{i}" for i in range(n)],
    )
    page = snapshot_html(replace(scene, incidents=many), generated=GENERATED)
    footer = page.split("<footer", 1)[1].split("</footer>", 1)[0]
    assert ">Outlet 0, 2017-07-23</a>" in footer
    assert f">Outlet {MAX_CITATIONS - 1}, 2017-07-23</a>" in footer
    assert f">Outlet {MAX_CITATIONS}, 2017-07-23</a>" not in footer
    assert "and 25 more citations" in footer


def test_arabic_page_furniture_is_right_to_left_with_arabic_names(scene):
    page = snapshot_html(scene, generated=GENERATED, lang="ar")
    assert '<html lang="ar">' in page
    assert '<header class="dz-snap-head" lang="ar" dir="rtl">' in page
    assert '<footer class="dz-snap-foot" lang="ar" dir="rtl">' in page
    assert 'lang="en" dir="ltr" class="folium-map"' in page
    assert "23 تموز 2017، الساعة 12:00 بتوقيت دمشق" in page
    assert "حدود المناطق تقريبية" in page
    footer = page.split("<footer", 1)[1]
    for _, row in scene.status.iterrows():
        assert esc(row["name_ar"]) in footer
    assert "سوريا: مناطق وقف إطلاق النار وخفض التصعيد: الغوطة الشرقية" in page


# --- escaping --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    import shutil

    data = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("imported"))
    timeline = load_timeline(hostile_copy(data))
    return select(timeline, View.parse(f"at={AT}&zone=eastern-ghouta", timeline))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_markup_in_data_and_title_is_escaped(hostile, lang):
    title = "Ghouta </script><script>alert(9)</script> & <b>co</b>"
    page = snapshot_html(hostile, title=title, generated=GENERATED, lang=lang)
    for text in (page, decoded(page)):
        assert "<img src=x" not in text
        assert "<script>alert(" not in text
        assert "<script>window.__dz_xss" not in text
        assert "<b>outlet</b>" not in text and "<b>co</b>" not in text
        assert 'href="javascript:' not in text
    assert f"<title>{esc(title)}</title>" in page and f"<h1>{esc(title)}</h1>" in page
    footer = page.split("<footer", 1)[1].split("</footer>", 1)[0]
    shown_name = XSS_AR if lang == "ar" else XSS_NAME
    assert esc(shown_name) in footer
    assert f"<bdi>{esc(XSS_NAME)}</bdi>" in footer  # the agreement's title
    assert "Evil &lt;b&gt;outlet&lt;/b&gt;" in footer
    assert 'href="https://example.org/a?b=1&amp;c=2"' in footer
    # the map's popups hold the same strings, escaped as in the app
    assert f"<h4>{esc(XSS_NAME)}</h4>" in decoded(page)
    assert esc(XSS_SCRIPT) in decoded(page)
    assert external_references(page) == []


# --- deterministic, small and quick ----------------------------------------------------------


def test_two_exports_of_a_view_are_byte_identical(scene):
    first = snapshot_html(scene, generated=GENERATED, data_version="v1")
    second = snapshot_html(scene, generated=GENERATED, data_version="v1")
    assert first == second
    assert not re.search(r"_[0-9a-f]{32}\b", first)  # no random folium id left
    assert "map_" in first


_OTHER_PROCESS = """
import datetime as dt, sys
from geo.datasets import load_timeline
from geo.export.html import snapshot_html
from geo.view import View, select
timeline = load_timeline(sys.argv[1])
scene = select(timeline, View.parse(sys.argv[2], timeline))
when = dt.datetime(2024, 3, 1, 8, 30, tzinfo=dt.UTC)
sys.stdout.write(snapshot_html(scene, generated=when, data_version="v1"))
"""


def test_another_process_writes_the_same_bytes(scene):
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, str(DATA), f"at={AT}&zone=eastern-ghouta"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    here = snapshot_html(scene, generated=GENERATED, data_version="v1")
    assert out.stdout.decode("utf-8") == here


@pytest.mark.parametrize(
    "query",
    [
        "at=2016-12-31T12:00",
        f"at={AT}",
        "at=2018-02-25T12:00&window=30",
        "at=2021-08-15T12:00&zone=daraa-al-balad",
        "at=2017-07-23T12:00&window=3650",
    ],
)
def test_size_for_the_bundled_data(timeline, query):
    # its time is measured by benchmarks/snapshot_bench.py, not asserted here
    try:
        view = View.parse(query, timeline)
    except UsageError:
        view = View.parse(query.split("&zone=")[0], timeline)
    page = snapshot_html(select(timeline, view), generated=GENERATED)
    size = len(page.encode("utf-8"))
    assert size <= 1_000_000


# --- bad input -------------------------------------------------------------------------------


def test_bad_arguments_are_usage_errors(scene):
    with pytest.raises(UsageError, match="lang must be one of en, ar, not 'fr'"):
        snapshot_html(scene, lang="fr")
    with pytest.raises(UsageError, match="MINLON,MINLAT,MAXLON,MAXLAT"):
        snapshot_html(scene, bbox=(37.0, 33.0, 36.0, 34.0))
    with pytest.raises(UsageError, match="four numbers"):
        snapshot_html(scene, bbox="36,33,x,34")
    with pytest.raises(UsageError, match="generated must be a datetime"):
        snapshot_html(scene, generated="yesterday")  # type: ignore[arg-type]
    assert issubclass(AssetError, DezmapError)


def test_a_bbox_sets_the_extent(scene):
    page = snapshot_html(scene, generated=GENERATED, bbox="36.0,33.0,37.0,34.0")
    assert re.search(r"fitBounds\(\s*\[\[33\.0, 36\.0\], \[34\.0, 37\.0\]\]", page)


def test_missing_vendored_files_say_how_to_install_them(scene, tmp_path):
    page = (
        '<!DOCTYPE html><html><head><script src="/app/static/vendor/leaflet/leaflet.js">'
        "</script></head><body></body></html>"
    )
    with pytest.raises(AssetError, match=r"not installed; run `make`"):
        inline_assets(page, vendor_dir=tmp_path)


def test_a_style_sheet_pointing_at_the_network_is_refused(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "x.css").write_text(".a{background:url(https://cdn.example/i.png)}")
    page = (
        '<html><head><link rel="stylesheet" href="/app/static/vendor/x/x.css"/></head>'
        "<body></body></html>"
    )
    with pytest.raises(AssetError, match="https://cdn.example/i.png"):
        inline_assets(page, vendor_dir=tmp_path)


def test_a_style_sheet_image_becomes_a_data_uri(tmp_path):
    (tmp_path / "x" / "img").mkdir(parents=True)
    (tmp_path / "x" / "img" / "i.png").write_bytes(b"\x89PNG-not-really")
    (tmp_path / "x" / "x.css").write_text(".a{background:url('img/i.png')}.b{behavior:url(#v)}")
    page = (
        '<html><head><link rel="stylesheet" href="/app/static/vendor/x/x.css"/></head>'
        "<body></body></html>"
    )
    out = inline_assets(page, vendor_dir=tmp_path)
    assert 'url("data:image/png;base64,iVBORy1ub3QtcmVhbGx5")' in out
    assert "url(#v)" in out and "<link" not in out


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="http://example.org/x.png">',
        '<script src="https://cdn.example/leaflet.js"></script>',
        '<link rel="stylesheet" href="leaflet.css">',
        '<iframe src="other.html"></iframe>',
        '<div style="background:url(images/a.png)"></div>',
        "<style>@import 'x.css';</style>",
        "<style>.a{background:url(//cdn.example/a.png)}</style>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="view.html">next to the file</a>',
        '<base href="http://example.org/">',
        '<meta http-equiv="refresh" content="0;url=http://example.org/">',
        '<img srcset="a.png 2x" src="data:image/png;base64,AA==">',
    ],
)
def test_any_reference_outside_the_page_is_an_error(markup):
    page = f"<!DOCTYPE html><html><head></head><body>{markup}</body></html>"
    assert external_references(page)
    with pytest.raises(AssetError, match="outside itself"):
        inline_assets(page)


def test_links_to_sources_and_data_uris_are_fine():
    page = (
        '<html><head><style>.a{background:url("data:image/png;base64,AA==")}</style></head>'
        '<body><a href="https://example.org/a?b=1&amp;c=2">src</a><a href="#top">top</a>'
        '<img src="data:image/gif;base64,AA=="><script>var s = "<img src=http://x>";</script>'
        "</body></html>"
    )
    assert external_references(page) == []


# --- in Chromium, from disk, with no network -------------------------------------------------

needs_chromium = pytest.mark.skipif(
    not browser.CHROMIUM.exists(), reason=f"Chromium not found at {browser.CHROMIUM}"
)


class OpenedFile:
    """A snapshot opened from disk in Chromium, every request outside file:/data: aborted."""

    def __init__(self, playwright, path: Path) -> None:
        self.blocked: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.chromium = browser.launch_chromium(playwright)
        self.context = self.chromium.new_context(viewport=browser.VIEWPORT)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri())
        self.page.locator("path.dz-zone").first.wait_for(state="visible", timeout=20_000)
        self.page.locator(".dz-legend").wait_for(state="visible", timeout=20_000)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.chromium.close()

    def open_zone_popup(self, zone_id: str):
        """Click the zone where its own path takes the click; return its popup (visible)."""
        path = self.page.locator(f"path.dz-zone-{zone_id}").first
        point = path.evaluate(browser._HIT_POINT_JS)
        assert point is not None, f"no point of zone {zone_id} takes a click"
        path.click(position=point)
        popup = self.page.locator(f'.leaflet-popup-content div.dz-popup[data-zone="{zone_id}"]')
        popup.wait_for(state="visible", timeout=10_000)
        return popup


@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


def _opened(playwright, path: Path, page: str) -> OpenedFile:
    path.write_text(page, encoding="utf-8")
    return OpenedFile(playwright, path)


@needs_chromium
@pytest.mark.browser
def test_the_file_opens_from_disk_with_no_network(playwright, scene, tmp_path):
    page = snapshot_html(scene, generated=GENERATED, title="Offline briefing")
    opened = _opened(playwright, tmp_path / "view.html", page)
    try:
        p = opened.page
        drawn = p.evaluate(browser._ZONES_JS)
        expected = {(r["zone_id"], r["status"]) for _, r in scene.status.iterrows()}
        assert {(z["zone"], z["status"]) for z in drawn} == expected
        for z in drawn:
            assert (z["fill"] or "").lower() == STATUS_COLORS[z["status"]]
        assert p.locator("path.dz-incident").count() == len(scene.records)
        popup = opened.open_zone_popup("eastern-ghouta")
        assert "Eastern Ghouta" in popup.inner_text()
        assert p.locator(".leaflet-control-layers").count() == 1
        p.locator(".leaflet-control-layers").hover()
        overlays = p.locator(".leaflet-control-layers-overlays label")
        assert overlays.filter(has_text="Zones").count() == 1
        assert p.locator("h1").inner_text() == "Offline briefing"
        # the images of the controls are data: URIs, and they were decoded
        assert p.evaluate(
            "() => getComputedStyle(document.querySelector('.leaflet-control-layers-toggle'))"
            ".backgroundImage.startsWith('url(\"data:image/png')"
        )
        assert opened.blocked == []
        assert [u for u in opened.requests if not u.startswith(("file:", "data:"))] == []
        assert opened.errors == []
        assert opened.dialogs == []
    finally:
        opened.close()


@needs_chromium
@pytest.mark.browser
def test_markup_in_data_shows_as_text_in_the_browser(playwright, hostile, tmp_path):
    page = snapshot_html(hostile, generated=GENERATED, title=XSS_SCRIPT, lang="ar")
    opened = _opened(playwright, tmp_path / "hostile.html", page)
    try:
        p = opened.page
        popup = opened.open_zone_popup("eastern-ghouta")
        assert popup.locator("h4").inner_text() == XSS_NAME
        assert popup.locator("img").count() == 0
        assert p.locator("h1").inner_text() == XSS_SCRIPT
        assert p.locator("footer.dz-snap-foot").inner_text().count(XSS_AR) >= 1
        assert p.locator("header img, footer img, .leaflet-popup img").count() == 0
        assert p.evaluate("() => window.__dz_xss === undefined")
        assert opened.dialogs == []
        assert opened.blocked == []
        assert opened.errors == []
    finally:
        opened.close()


@needs_chromium
@pytest.mark.browser
def test_many_incidents_cluster_offline(playwright, tmp_path):
    from geo.render import DETAIL_LIMIT

    data = browser.synthetic_folder(tmp_path / "many", 5_000)
    timeline = load_timeline(data)
    scene = select(timeline, View.parse("at=2022-12-30T12:00&window=3650", timeline))
    assert (scene.records["dataset"] == "synthetic").sum() > DETAIL_LIMIT
    opened = _opened(playwright, tmp_path / "many.html", snapshot_html(scene, generated=GENERATED))
    try:
        clusters = opened.page.locator(".marker-cluster")
        clusters.first.wait_for(state="visible", timeout=20_000)
        assert clusters.count() > 0
        assert opened.blocked == []
        assert opened.errors == []
    finally:
        opened.close()


def test_100k_incidents_in_the_window_are_compact(tmp_path):
    data = browser.synthetic_folder(tmp_path / "big", 100_000)
    timeline = load_timeline(data)
    scene = select(timeline, View.parse("at=2022-12-30T12:00&window=3650", timeline))
    n = len(scene.records)
    assert n > 90_000
    page = snapshot_html(scene, generated=GENERATED)
    size = len(page.encode("utf-8"))
    assert "new Supercluster(" in page
    # the bundled incidents are markers with popups (each starts with its place); the
    # synthetic ones a compact array
    bundled = int((scene.records["dataset"] == "bundled").sum())
    assert page.count('<div class=\\"dz-popup\\"><b class=\\"dz-place\\">') == bundled
    assert size <= 40 * n
    assert external_references(page) == []
