"""Rendering to folium (geo.render): rendered to strings and looked inside, never displayed."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from geo.datasets import load_timeline
from geo.render import (
    DETAIL_LIMIT,
    STATUS_COLORS,
    base_map,
    citations,
    dynamic_layers,
    esc,
    kind_color,
    legend,
    outline_history_map,
    safe_href,
    script_json,
    snapshot_map,
    source_links,
    zoom_for,
)
from geo.timemodel import status_at, window_incidents
from tests.conftest import DATA

XSS = '<img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def timeline():
    return load_timeline(DATA)


def markers_of(group):
    """The incident data a DetailedIncidents element of a feature group carries."""
    from geo.render.maps import DetailedIncidents

    element = next(c for c in group._children.values() if isinstance(c, DetailedIncidents))
    return json.loads(element.data.replace("<\\/", "</").replace("<\\!--", "<!--"))


def labels_of(group):
    """The zone labels a zones feature group carries (see geo.render.maps.ZoneLabels)."""
    from geo.render.maps import ZoneLabels

    element = next(c for c in group._children.values() if isinstance(c, ZoneLabels))
    return json.loads(element.data)


def decoded(html):
    """Folium writes <, > and & inside embedded JSON as \\u003c etc.; undo that to read it."""
    return (
        html.replace("\\u003c", "<")
        .replace("\\u003e", ">")
        .replace("\\u0026", "&")
        .replace('\\"', '"')
    )


def bounds(timeline):
    return tuple(timeline.zones.versions.total_bounds)


def render_at(timeline, at, **kw):
    status = status_at(timeline, at)
    incidents = window_incidents(timeline, at)
    m = snapshot_map(timeline, status, incidents, bounds(timeline), **kw)
    return m.get_root().render(), status


def test_snapshot_colours_each_zone_by_its_status(timeline):
    html, status = render_at(timeline, "2017-07-23T12:00+03:00")
    for _, row in status.iterrows():
        cls = f"dz-zone dz-zone-{row['zone_id']} dz-status-{row['status']}"
        assert cls in html, cls
    assert STATUS_COLORS["violated"] in html
    assert "Cairo agreement on the Eastern Ghouta de-escalation zone" in html


def test_no_remote_asset_and_no_tiles_by_default(timeline):
    html, _ = render_at(timeline, "2017-07-23T12:00+03:00")
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/app/static/vendor/") for s in sources), sources
    assert "tile.openstreetmap" not in html and "cartocdn" not in html
    assert "No base map" in html


def test_online_base_maps_are_selectable(timeline):
    m = base_map(bounds(timeline), basemap="carto")
    assert "basemaps.cartocdn.com" in m.get_root().render()
    with pytest.raises(ValueError, match="unknown base map"):
        base_map(bounds(timeline), basemap="satellite")


def test_zone_popup_escapes_every_data_string(timeline):
    frame = timeline.zones.versions.copy()
    frame.loc[frame["zone_id"] == "eastern-ghouta", "name"] = XSS
    agreements = timeline.agreements.frame.copy()
    agreements.loc[agreements["agreement_id"] == "cairo-eastern-ghouta-2017", "title"] = XSS
    agreements.loc[agreements["agreement_id"] == "cairo-eastern-ghouta-2017", "source"] = (
        'Evil "outlet", 2017-07-22, javascript:alert(1)'
    )
    from dataclasses import replace

    from geo.join import ZoneIndex
    from geo.timemodel import AgreementIndex

    zones = ZoneIndex.from_zones(frame)
    hacked = replace(timeline, zones=zones, agreements=AgreementIndex.build(agreements, zones))
    html, _ = render_at(hacked, "2017-07-23T12:00+03:00")
    html = decoded(html)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert 'href="javascript:' not in html
    assert "Evil &quot;outlet&quot;" in html


def test_incident_popups_escape_and_link_safely(timeline):
    at = "2021-08-15T12:00+03:00"
    incidents = window_incidents(timeline, at).copy()
    incidents.loc[incidents.index[0], "summary"] = "</script><script>alert(2)</script>"
    groups = dynamic_layers(timeline, status_at(timeline, at), incidents)
    m = base_map(bounds(timeline))
    for group in groups:
        group.add_to(m)
    html = decoded(m.get_root().render())
    assert "<script>alert(2)" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(2)" in html
    assert (
        'href="https://www.newarab.com/news/syrian-regime-militias-bomb-daraa-after-ceasefire-announced"'
        in html
    )


def _spread(timeline, n, seed=1, **columns):
    """``n`` copies of one incident of the bundled data, each at its own random position."""
    at = pd.Timestamp("2017-07-23T12:00+03:00")
    many = window_incidents(timeline, at).iloc[[0]].sample(n, replace=True, random_state=seed)
    rng = np.random.default_rng(seed)  # spread them out: every position its own
    return at, many.assign(
        lat=rng.uniform(32.3, 37.3, n),
        lon=rng.uniform(35.7, 42.3, n),
        violation_id=[f"v-{i}" for i in range(n)],
        **columns,
    )


def cluster_of(group):
    """The CompactIncidentCluster of a feature group: the element, base, kinds and columns."""
    import base64

    from geo.render.maps import CompactIncidentCluster

    element = next(c for c in group._children.values() if isinstance(c, CompactIncidentCluster))
    types = {"u1": "<u1", "u2": "<u2", "u4": "<u4"}
    columns = [
        np.frombuffer(base64.b64decode(data), dtype=types[code]).astype(np.int64)
        for code, data in json.loads(element.columns)
    ]
    return (
        element,
        json.loads(element.base),
        json.loads(decoded(element.kinds).replace("<\\/", "</")),
        columns,
    )


def test_many_incidents_are_clustered_compactly(timeline):
    at, many = _spread(timeline, DETAIL_LIMIT + 1)
    (_, incidents) = dynamic_layers(timeline, status_at(timeline, at), many)
    empty = base_map(bounds(timeline)).get_root().render()
    m = base_map(bounds(timeline))
    incidents.add_to(m)
    html = m.get_root().render()
    # supercluster, served by the app itself, clusters in the browser; no per-marker plugin
    assert '<script src="/app/static/vendor/supercluster/supercluster.min.js"></script>' in html
    assert "/app/static/vendor/leaflet.markercluster/MarkerCluster.Default.css" in html
    assert "L.markerClusterGroup" not in html and "leaflet.markercluster.js" not in html
    assert "https://" not in html.replace(empty, "")
    assert "new Supercluster(" in html and ".getClusters(" in html
    assert "getClusterExpansionZoom" in html
    assert 'className: "dz-incident"' in html and "dz-cluster" in html and "dz-stack" in html
    assert 'pane: "dz-incidents"' in html
    assert (len(html) - len(empty)) / len(many) < 15  # bytes an incident, with the script
    # each further incident: 6 bytes (one day: days fit in one), 8 characters of base64; with
    # ten years of days 7 bytes, 9.4 characters: 100k in one window stay near 1 MB
    _, more = _spread(timeline, 3 * len(many))
    (_, bigger) = dynamic_layers(timeline, status_at(timeline, at), more)
    m = base_map(bounds(timeline))
    bigger.add_to(m)
    marginal = (len(m.get_root().render()) - len(html)) / (len(more) - len(many))
    assert 7.9 <= marginal <= 8.1


def test_clustered_incidents_array_holds_every_incident(timeline):
    """The flat array decodes to each incident's place (within the grid), kind and day."""
    kinds = ["shelling", "airstrike", "clashes"]
    at, many = _spread(timeline, DETAIL_LIMIT + 7, seed=3)
    many = many.assign(
        kind=[kinds[i % 3] for i in range(len(many))],
        occurred=many["occurred"] - pd.to_timedelta(np.arange(len(many)) % 40, unit="D"),
    )
    (_, group) = dynamic_layers(timeline, status_at(timeline, at), many)
    element, base, names, columns = cluster_of(group)
    lat0, lon0, day0, step = base
    assert [n for n, _ in names] == sorted(kinds)
    assert [c for _, c in names] == [kind_color(k) for k in sorted(kinds)]
    assert [json.loads(element.columns)[i][0] for i in range(4)] == ["u2", "u2", "u1", "u1"]
    rows = np.column_stack(columns)
    assert rows.shape == (len(many), 4)
    assert np.abs(lat0 + rows[:, 0] * step - many["lat"].to_numpy()).max() <= step / 2 + 1e-6
    assert np.abs(lon0 + rows[:, 1] * step - many["lon"].to_numpy()).max() <= step / 2 + 1e-6
    assert [names[k][0] for k in rows[:, 2]] == list(many["kind"])
    days = [(pd.Timestamp("1970-01-01") + pd.Timedelta(days=day0 + d)).date() for d in rows[:, 3]]
    local = many["occurred"].dt.tz_convert("Asia/Damascus").dt.date.tolist()
    assert days == local
    assert rows.min() >= 0


def test_packed_columns_take_the_smallest_type_that_holds_them():
    import base64

    from geo.render.maps import _packed

    for values, code in (([0, 255], "u1"), ([0, 256, 65535], "u2"), ([65536, 7], "u4")):
        got, data = _packed(np.array(values))
        assert got == code
        back = np.frombuffer(base64.b64decode(data), dtype=f"<{code}")
        assert back.tolist() == values


def test_clustered_incidents_escape_their_kind(timeline):
    hostile = "</script><script>window.__dz_xss=1</script>" + XSS
    at, many = _spread(timeline, DETAIL_LIMIT + 1, kind=hostile)
    (_, group) = dynamic_layers(timeline, status_at(timeline, at), many)
    m = base_map(bounds(timeline))
    group.add_to(m)
    html = m.get_root().render()
    assert "<script>window.__dz_xss" not in html and "<img src=x" not in html
    assert "</script><script>window" not in decoded(html)
    _, _, names, _ = cluster_of(group)
    assert names == [[esc(hostile), kind_color(hostile)]]  # HTML-escaped, shown as text


def test_cluster_layer_lets_go_of_the_map_when_removed(timeline):
    """A slider step swaps the layers: the old one must stop listening to the map."""
    at, many = _spread(timeline, DETAIL_LIMIT + 1)
    (_, group) = dynamic_layers(timeline, status_at(timeline, at), many)
    element, *_ = cluster_of(group)
    script = element._template.module.script(element)
    add = script[script.index("onAdd:") : script.index("onRemove:")]
    remove = script[script.index("onRemove:") :]
    assert 'map.on("moveend", this.draw, this)' in add
    assert 'map.off("moveend", this.draw, this)' in remove
    assert "map.removeLayer(group)" in remove


def test_legend_names_statuses_and_escapes_kinds():
    m = base_map((36.0, 33.0, 37.0, 34.0))
    legend(["shelling", "<b>odd</b>"]).add_to(m)
    html = m.get_root().render()
    assert "Violated: incidents in the window" in html
    assert "&lt;b&gt;odd&lt;/b&gt;" in html and "<b>odd</b>" not in html


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://example.org/a?b=1&c=2", True),
        ("http://x.org", True),
        ("javascript:alert(1)", False),
        ("data:text/html,hi", False),
        ("//evil.org", False),
    ],
)
def test_safe_href(url, ok):
    assert (safe_href(url) is not None) is ok
    if ok:
        assert "&amp;" in safe_href(url) or "&" not in url


def test_citations_and_links():
    source = "TRT World, 2017-07-22, http://www.trtworld.com/x | PA-X 2093"
    assert citations(source) == [
        ("TRT World, 2017-07-22", "http://www.trtworld.com/x"),
        ("PA-X 2093", None),
    ]
    assert source_links(source) == (
        '<a href="http://www.trtworld.com/x" target="_blank" '
        'rel="noopener noreferrer">TRT World, 2017-07-22</a>; PA-X 2093'
    )


def test_script_json_cannot_close_a_script():
    text = script_json({"a": "</script><!--"})
    assert "</script" not in text and "<!--" not in text
    assert json.loads(text.replace("<\\!--", "<!--")) == {"a": "</script><!--"}


def test_esc_handles_missing_values():
    assert esc(None) == "" and esc(float("nan")) == "" and esc("<") == "&lt;"


def test_outline_history_lists_every_version(timeline):
    versions = timeline.zones.versions[timeline.zones.versions["zone_id"] == "eastern-ghouta"]
    html = outline_history_map(versions).get_root().render()
    assert html.count("dz-version") == len(versions)
    assert "eastern-ghouta@2018-03-31: 31 Mar 2018 to 14 Apr 2018" in html


def test_zoom_for_a_zone(timeline):
    assert zoom_for(timeline, None) == (None, None)
    (lat, lon), zoom = zoom_for(timeline, "daraa-al-balad")
    assert 32.5 < lat < 32.7 and 36.0 < lon < 36.2 and zoom >= 11
    assert zoom_for(timeline, "syria-nationwide")[1] <= 7


def test_map_without_tiles_still_has_zoom_limits(timeline):
    html = base_map(bounds(timeline)).get_root().render()
    assert '"maxZoom": 14' in html and '"minZoom": 5' in html  # marker clusters need maxZoom


def test_the_map_opens_on_its_extent_without_a_zoom_animation(timeline):
    """The first view is there at once (Leaflet would animate the zoom to the fitted extent
    for 250 ms, and a map taken off the page meanwhile threw at the animation's end)."""
    versions = timeline.zones.versions
    for m in (
        base_map(bounds(timeline)),
        outline_history_map(versions[versions["zone_id"] == "daraa-al-balad"]),
    ):
        html = m.get_root().render()
        fits = re.findall(r"\.fitBounds\(\s*(\[\[.*?\]\]),\s*(\{.*?\})\s*\);", html, re.DOTALL)
        assert len(fits) == 1, fits
        assert json.loads(fits[0][1]) == {"animate": False}


def test_incident_markers_are_filled(timeline):
    at = "2017-07-23T12:00+03:00"
    (_, incidents) = dynamic_layers(
        timeline, status_at(timeline, at), window_incidents(timeline, at)
    )
    m = base_map(bounds(timeline))
    incidents.add_to(m)
    html = m.get_root().render()
    assert "fill: true" in html and 'className: "dz-incident"' in html
    data = markers_of(incidents)
    shown = window_incidents(timeline, at).drop_duplicates("violation_id")
    assert sorted(f[2] for f in data) == sorted(kind_color(k) for k in shown["kind"])


def test_reference_layer_labels_are_escaped_and_made_once():
    import geopandas as gpd
    from shapely.geometry import box

    from geo.render import ReferenceLayer

    layer = ReferenceLayer(
        "admin",
        gpd.GeoDataFrame({"name": ["<b>x</b>"]}, geometry=[box(36, 33, 37, 34)], crs=4326),
        "name",
    )
    assert layer.geojson["features"][0]["properties"] == {"label": "&lt;b&gt;x&lt;/b&gt;"}
    assert layer.geojson is layer.geojson
    html = decoded(base_map((36, 33, 37, 34), reference=[layer]).get_root().render())
    assert "dz-reference" in html and "<b>x</b>" not in html


def _script_of(html):
    """The map's script with folium's random element ids made equal."""
    return re.sub(r"_[0-9a-f]{32}", "_ID", html)


def test_offline_base_map_draws_the_countries_under_everything(timeline):
    from geo.render import maps

    html = base_map(bounds(timeline), kinds=[]).get_root().render()
    online = base_map(bounds(timeline), basemap="osm", kinds=[]).get_root().render()
    assert 'createPane("dz-context")' in html and "dz-country-syria" in html
    # with tiles the countries are only the fallback for tiles that cannot be loaded
    assert 'tiles.once("tileerror"' in online and "Tiles unreachable" in online
    assert 'tiles.once("tileerror"' not in html
    data = json.loads(maps._country_context_data())
    labels = {label[2]: label for label in data["l"]}
    assert {"Syria", "Lebanon", "Turkey", "Iraq", "Jordan", "Israel"} <= set(labels)
    lat, lon, _, is_syria, _ = labels["Syria"]
    assert is_syria == 1 and 32.3 < lat < 37.3 and 35.7 < lon < 42.4
    assert data["f"][-1][0] == 1  # Syria is drawn last, over its neighbours
    assert maps._country_context_data() in html
    # the same for every map (the app's map must not remount), and small
    assert _script_of(html) == _script_of(base_map(bounds(timeline), kinds=[]).get_root().render())
    assert len(maps._country_context_data()) < 40_000


def test_country_labels_from_the_data_file_are_escaped(tmp_path, monkeypatch):
    from geo import context
    from geo.render import maps

    topology = {
        "type": "Topology",
        "transform": {"scale": [0.5, 0.25], "translate": [36, 33]},
        "objects": {
            "countries": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "arcs": [[0]], "id": "760", "properties": {"name": XSS}},
                    {
                        "type": "Polygon",
                        "arcs": [[1]],
                        "id": "422",
                        "properties": {"name": "</script><script>alert(2)</script>"},
                    },
                ],
            }
        },
        "arcs": [
            [[0, 0], [4, 0], [0, 4], [-4, 0], [0, -4]],
            [[-4, 0], [4, 0], [0, 4], [-4, 0], [0, -4]],
        ],
    }
    path = tmp_path / "countries-10m.json"
    path.write_text(json.dumps(topology), encoding="utf-8")
    monkeypatch.setattr(context, "COUNTRIES_FILE", path)
    maps._country_context_data.cache_clear()
    try:
        html = base_map((36, 33, 38, 34)).get_root().render()
    finally:
        maps._country_context_data.cache_clear()  # the next test reads the real file again
    assert XSS not in html and "alert(2)</script>" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_zone_popup_lists_a_linked_incident_outside_the_zone_escaped(tmp_path):
    from geo.render import zone_popup
    from tests.test_timemodel import agreement_row, make_folder, violation_row

    road = dict(
        violation_row("v-road", "2017-03-10", where=(33.74, 36.60), kind="obstruction"),
        agreement_ids="truce",
        place=XSS,
    )
    linked = make_folder(tmp_path, [agreement_row("truce", "2017-03-01")], [road])
    status = status_at(linked, "2017-03-11").set_index("zone_id", drop=False).loc["ghouta"]
    assert status["status"] == "violated"
    incidents = window_incidents(linked, "2017-03-11", zone_id="ghouta")
    version = linked.zones.versions.set_index("version_id", drop=False).loc[status["version_id"]]
    agreements = linked.agreements.frame.set_index("agreement_id", drop=False)
    html = zone_popup(version, status, agreements.loc[["truce"]], incidents)
    assert "Incidents in the window (1)" in html and "obstruction" in html
    # the line starts with the place, then says it lies outside the zone
    assert (
        '<li><b class="dz-place">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</b>: 10 Mar 2017'
        in html
    )
    assert "(outside the zone; breach of truce)" in html and "<img src=x" not in html


# --- names on the map: zone labels and towns ---------------------------------------------------


@pytest.fixture(scope="module")
def places():
    from geo.places import load_places

    return load_places(DATA)


def zones_group(timeline, at, **kw):
    return dynamic_layers(timeline, status_at(timeline, at), window_incidents(timeline, at), **kw)[
        0
    ]


def test_zone_labels_name_every_zone_and_sit_inside_it(timeline):
    from shapely.geometry import Point

    at = "2017-07-23T12:00+03:00"
    status = status_at(timeline, at)
    labels = labels_of(zones_group(timeline, at))
    assert sorted(label[4] for label in labels) == sorted(status["zone_id"])
    versions = timeline.zones.versions.set_index("version_id")
    for zone_id, version_id, name in status[["zone_id", "version_id", "name"]].itertuples(
        index=False
    ):
        lat, lon, (s, w, n, e), text, _, color, rtl, nested = next(
            label for label in labels if label[4] == zone_id
        )
        geometry = versions.loc[version_id, "geometry"]
        assert geometry.contains(Point(lon, lat)), zone_id
        assert (w, s, e, n) == pytest.approx(geometry.bounds, abs=1e-5)
        assert text == esc(name) and rtl == 0
        assert nested == (zone_id != "syria-nationwide")
    # smallest first: they choose their place beside themselves before the big ones
    assert labels[-1][4] == "syria-nationwide"


def test_zone_labels_are_arabic_when_the_view_is(timeline):
    at = "2017-07-23T12:00+03:00"
    labels = labels_of(zones_group(timeline, at, lang="ar"))
    ghouta = next(label for label in labels if label[4] == "eastern-ghouta")
    assert ghouta[3] == "الغوطة الشرقية" and ghouta[6] == 1
    with pytest.raises(ValueError, match="unknown language"):
        zones_group(timeline, at, lang="fr")


def test_zone_label_text_is_escaped(timeline):
    from dataclasses import replace

    from geo.join import ZoneIndex
    from geo.timemodel import AgreementIndex

    frame = timeline.zones.versions.copy()
    frame.loc[frame["zone_id"] == "eastern-ghouta", "name"] = XSS
    zones = ZoneIndex.from_zones(frame)
    hacked = replace(
        timeline, zones=zones, agreements=AgreementIndex.build(timeline.agreements.frame, zones)
    )
    group = zones_group(hacked, "2017-07-23T12:00+03:00")
    m = base_map(bounds(hacked))
    group.add_to(m)
    html = m.get_root().render()
    assert XSS not in html and "<img src=x" not in html
    assert any(label[3] == esc(XSS) for label in labels_of(group))


def test_base_map_with_towns_is_the_same_at_every_instant(timeline, places):
    """The app keeps the map mounted only if the base map's script never changes."""
    first = base_map(bounds(timeline), kinds=["shelling"], places=places).get_root().render()
    again = base_map(bounds(timeline), kinds=["shelling"], places=places).get_root().render()
    assert _script_of(first) == _script_of(again)
    assert "new Labels()" not in first  # zone labels belong to the layers that change


def test_towns_layer_names_every_gazetteer_town_and_is_in_the_layer_control(timeline, places):
    from geo.render.maps import TownsLayer

    at = "2021-08-14T12:00+03:00"
    m = snapshot_map(
        timeline,
        status_at(timeline, at),
        window_incidents(timeline, at),
        bounds(timeline),
        places=places,
    )
    html = m.get_root().render()
    towns = next(c for c in m._children.values() if isinstance(c, TownsLayer))
    rows = json.loads(towns.data)
    assert len(rows) == len(places) == 65
    daraa = next(r for r in rows if r[3] == "C6317")
    assert daraa[:3] == [32.61044, 36.09379, "Dar&#x27;a al Balad"] and daraa[4] == 0
    assert '"Towns (OCHA places)"' in html and towns.get_name() in html
    arabic = TownsLayer(places, lang="ar")
    daraa_ar = next(r for r in json.loads(arabic.data) if r[3] == "C6317")
    assert daraa_ar[2] == "درعا البلد" and daraa_ar[4] == 1


def test_town_names_from_the_gazetteer_are_escaped(places):
    from geo.render.maps import TownsLayer

    bad = places.head(1).assign(name_en="</script><script>alert(3)</script>")
    html = base_map((36, 33, 37, 34), places=bad).get_root().render()
    assert "alert(3)</script>" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(3)" in json.loads(TownsLayer(bad).data)[0][2]


# --- statuses on the map: hatch, legend ----------------------------------------------------


def test_violated_zones_are_hatched_over_their_status_colour(timeline):
    from geo.render import maps
    from geo.render.style import HATCHED_STATUSES

    assert HATCHED_STATUSES == {"violated"}
    for status in STATUS_COLORS:
        style = maps._zone_style(
            {"properties": {"status": status, "focus": False, "nested": True, "zone_id": "z"}}
        )
        assert style["fillColor"] == STATUS_COLORS[status]  # the colour stays the fill
        assert ("dz-hatched" in style["className"]) == (status == "violated")
    html = base_map(bounds(timeline), kinds=[]).get_root().render()
    assert 'id=\\"dz-hatch-violated\\"' in html or 'id="dz-hatch-violated"' in decoded(html)
    assert "path.dz-hatched.dz-status-violated{fill:url(#dz-hatch-violated)}" in html


def test_legend_lists_five_statuses_and_collapses():
    m = base_map((36.0, 33.0, 37.0, 34.0), kinds=["shelling"])
    html = decoded(m.get_root().render())
    for status in STATUS_COLORS:
        assert f'data-status="{status}"' in html
    assert "Possibly violated: only incidents of uncertain date in the window" in html
    assert 'class="dz-swatch dz-swatch-hatched"' in html
    assert 'class="dz-legend-toggle" aria-expanded="true"' in html
    assert 'map.on("popupopen"' in html and "map.closePopup()" in html
    assert ".dz-legend-box.dz-collapsed .dz-legend{display:none}" in html


def test_status_badge_text_reads_on_its_colour():
    from geo.render.style import ink_on

    assert ink_on(STATUS_COLORS["possibly-violated"]) == "#111827"
    assert ink_on(STATUS_COLORS["violated"]) == "#ffffff"
    assert ink_on(STATUS_COLORS["holding"]) == "#ffffff"


# --- detail: co-located incidents, places first -----------------------------------------------


def test_co_located_incidents_are_separate_markers_on_a_ring(timeline):
    at = "2021-08-16T12:00+03:00"  # the Tareeq al-Sad shelling and the Saraya crossing
    (_, incidents) = dynamic_layers(
        timeline, status_at(timeline, at), window_incidents(timeline, at)
    )
    data = markers_of(incidents)
    daraa = [f for f in data if (f[0], f[1]) == (32.61044, 36.09379)]
    assert len(daraa) == 2
    # each popup and tooltip starts with its own place, so the two read differently
    assert {f[3].split("</b>")[0] for f in daraa} == {
        '<div class="dz-popup"><b class="dz-place">Tareeq al-Sad, Daraa al-Balad',
        '<div class="dz-popup"><b class="dz-place">al-Saraya crossing, Daraa al-Balad',
    }
    assert all(f[4].startswith(("Tareeq al-Sad", "al-Saraya crossing")) for f in daraa)
    m = base_map(bounds(timeline))
    incidents.add_to(m)
    html = m.get_root().render()
    assert "dz-incident-leg" in html and "map.layerPointToLatLng" in html


def test_zone_popup_incident_lines_start_with_the_place(timeline):
    at = "2021-08-16T12:00+03:00"
    group = zones_group(timeline, at)
    m = base_map(bounds(timeline))
    group.add_to(m)
    html = decoded(m.get_root().render())
    assert '<li><b class="dz-place">al-Saraya crossing, Daraa al-Balad</b>: 15 Aug 2021' in html
    assert '<li><b class="dz-place">Tareeq al-Sad, Daraa al-Balad</b>: 14 Aug 2021' in html


def test_possibly_violated_zone_is_drawn_with_its_own_colour(timeline):
    html, status = render_at(timeline, "2021-08-14T12:00+03:00")
    row = status.set_index("zone_id").loc["daraa-al-balad"]
    assert row["status"] == "possibly-violated"
    assert "dz-zone dz-zone-daraa-al-balad dz-status-possibly-violated" in html
    assert STATUS_COLORS["possibly-violated"] in html


def test_zone_popup_lists_the_first_incidents_of_a_total_given_apart(timeline):
    """The map hands each popup only the incidents it lists, with their number."""
    from geo.render import POPUP_INCIDENTS, zone_popup

    at = "2021-08-16T12:00+03:00"
    status = status_at(timeline, at).set_index("zone_id", drop=False)
    incidents = window_incidents(timeline, at)
    mine = incidents[incidents["zone_id_matched"] == "daraa-al-balad"]
    assert 2 <= len(mine) <= POPUP_INCIDENTS
    version = timeline.zones.versions.set_index("version_id", drop=False).loc[
        status.loc["daraa-al-balad", "version_id"]
    ]
    whole = zone_popup(version, status.loc["daraa-al-balad"], [], mine)
    assert f"Incidents in the window ({len(mine)})" in whole and "more (see Records)" not in whole
    # the same rows as dicts, said to be the first of 40: the count and the rest are named
    rows = mine.head(2).to_dict("records")
    part = zone_popup(dict(version), dict(status.loc["daraa-al-balad"]), [], rows, total=40)
    assert "Incidents in the window (40)" in part
    assert f"and {40 - 2} more (see Records)" in part
    assert part.count("<li>") == 3  # two incidents and the line naming the rest
    assert whole.split("<li>")[1] == part.split("<li>")[1]  # a row renders alike either way
