"""Rendering to folium: a base map, zones coloured by status, incidents styled by kind.

A map is built in two parts so that the app can move through time without rebuilding it:
:func:`base_map` (background, reference layers, controls; the same at every instant) and
:func:`dynamic_layers` (zones and incidents at one instant, as feature groups that
streamlit-folium swaps in place). :func:`snapshot_map` puts both together into one
stand-alone map (exports, tests).

Every string that comes from a data file is untrusted: it is HTML-escaped before it goes into
a popup, tooltip or legend, links are only made from ``http``/``https`` addresses, and text
embedded in scripts cannot close the script. Functions return folium objects and never display
them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement, Template

from geo import schema
from geo.assets import localize
from geo.render.escape import esc, script_json, source_links
from geo.render.reference import ReferenceLayer
from geo.render.style import STATUS_COLORS, STATUS_LABELS, kind_color
from geo.timemodel import Timeline

Bounds = tuple[float, float, float, float]

BASEMAPS = {
    "none": None,
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        "OpenStreetMap",
    ),
    "carto": (
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
        '&copy; <a href="https://carto.com/attributions">CARTO</a>',
        "CARTO light",
    ),
}
BASEMAP_LABELS = {"none": "None (offline)", "osm": "OpenStreetMap", "carto": "CARTO light"}
#: Above this many incidents in the window, markers are clustered and carry a short label only.
DETAIL_LIMIT = 1500
#: Popups list at most this many recent incidents per zone.
POPUP_INCIDENTS = 8
_COORD_DECIMALS = 5


# --- popups ----------------------------------------------------------------------------------


def _local_day(ts: pd.Timestamp | None, precision: str = "day") -> str:
    if ts is None or pd.isna(ts):
        return "open-ended"
    local = ts.tz_convert(schema.DAMASCUS)
    if precision in ("minute", "hour"):
        return f"{local.day} {local:%b %Y, %H:%M}"
    if precision == "month":
        return f"{local:%B %Y}"
    return f"{local.day} {local:%b %Y}"


def zone_popup(
    version: pd.Series, status: pd.Series, agreements: pd.DataFrame, incidents: pd.DataFrame
) -> str:
    """Escaped HTML for a zone's popup: names, status, agreements in force, recent incidents.

    Incidents that count for the zone only because they name one of its agreements
    (``linked``, from :func:`geo.timemodel.window_incidents`) are listed with their place and
    the agreements they name, marked as outside the zone.
    """
    color = STATUS_COLORS[status["status"]]
    rows = [
        f'<div class="dz-popup" data-zone="{esc(version["zone_id"])}">',
        f"<h4>{esc(version['name'])}</h4>",
        f'<div dir="rtl" lang="ar" class="dz-ar">{esc(version["name_ar"])}</div>',
        f'<p><span class="dz-status" style="background:{color}">{esc(status["status"])}</span> '
        f"{esc(STATUS_LABELS[status['status']])}</p>",
    ]
    if len(agreements):
        rows.append("<b>Agreements in force</b><ul>")
        for _, a in agreements.iterrows():
            since = _local_day(a["effective_from"], a["date_precision"])
            until = _local_day(a["effective_to"])
            rows.append(
                f"<li>{esc(a['title'])} <small>({since} to {until}; {esc(a['outcome'])})</small>"
                f"<br><small>{source_links(a['source'])}</small></li>"
            )
        rows.append("</ul>")
    elif status.get("last_ended"):
        rows.append(f"<p>Last agreement: {esc(status['last_ended'])}</p>")
    else:
        rows.append("<p>No agreement in force.</p>")
    if len(incidents):
        total = len(incidents)
        rows.append(f"<b>Incidents in the window ({total})</b><ul>")
        for _, v in incidents.head(POPUP_INCIDENTS).iterrows():
            linked = ""
            if bool(v.get("linked", False)):
                names = str(v.get("agreement_ids", "") or "").replace(";", ", ")
                linked = (
                    f' <small class="dz-linked">(outside the zone, at {esc(v["place"])}; '
                    f"breach of {esc(names)})</small>"
                )
            rows.append(
                f"<li>{_local_day(v['occurred'], v['date_precision'])}: {esc(v['kind'])}, "
                f"{esc(v['alleged_perpetrator'])}{linked} <small>[{esc(v['dataset'])}] "
                f"{source_links(v['source'], 1)}</small></li>"
            )
        if total > POPUP_INCIDENTS:
            rows.append(f"<li>and {total - POPUP_INCIDENTS} more (see Records)</li>")
        rows.append("</ul>")
    rows.append(
        f'<small class="dz-version">Outline {esc(version["version_id"])}, '
        f"{esc(version['accuracy'])}</small></div>"
    )
    return "".join(rows)


def _incident_popups(frame: pd.DataFrame) -> list[str]:
    """Escaped popup HTML for many incidents, one pass over the columns."""
    casualties = frame["casualties"].tolist() if "casualties" in frame else [None] * len(frame)
    out = []
    for occurred, precision, kind, place, loc, perpetrator, summary, dataset, source, killed in zip(
        frame["occurred"],
        frame["date_precision"],
        frame["kind"],
        frame["place"],
        frame["location_precision"],
        frame["alleged_perpetrator"],
        frame["summary"],
        frame["dataset"],
        frame["source"],
        casualties,
        strict=True,
    ):
        dead = f"; {int(killed)} killed" if killed is not None and pd.notna(killed) else ""
        out.append(
            f'<div class="dz-popup"><b>{esc(kind)}</b> at {esc(place)}<br>'
            f"{_local_day(occurred, precision)} ({esc(precision)} precision; place "
            f"{esc(loc)}){dead}<br>Alleged perpetrator: {esc(perpetrator)}<br>"
            f"<small>{esc(summary)}</small><br><small>[{esc(dataset)}] "
            f"{source_links(source)}</small></div>"
        )
    return out


# --- layers ----------------------------------------------------------------------------------


def _geometry_json(geometry) -> dict:
    from shapely import set_precision
    from shapely.geometry import mapping

    return mapping(set_precision(geometry, 10**-_COORD_DECIMALS))


def zone_layer(
    timeline: Timeline,
    status: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    focus: str | None = None,
    name: str = "Zones",
) -> folium.FeatureGroup:
    """Zones existing at the instant, coloured by status, with popups and tooltips.

    ``status`` comes from :func:`geo.timemodel.status_at`; ``incidents`` from
    :func:`geo.timemodel.window_incidents` (with ``zone_id_matched``).
    """
    versions = timeline.zones.versions.set_index("version_id")
    agreements = timeline.agreements.frame.set_index("agreement_id", drop=False)
    features = []
    ordered = status.assign(
        _area=[versions.loc[v, "geometry"].area for v in status["version_id"]]
    ).sort_values("_area", ascending=False)
    for _, row in ordered.iterrows():
        version = versions.loc[row["version_id"]]
        version = pd.concat([version, pd.Series({"version_id": row["version_id"]})])
        mine = incidents[incidents["zone_id_matched"] == row["zone_id"]]
        popup = zone_popup(version, row, agreements.loc[list(row["agreements"])], mine)
        tooltip = (
            f"{esc(version['name'])} ({esc(row['status'])}, {int(row['violations'])} in window)"
        )
        features.append(
            {
                "type": "Feature",
                "geometry": _geometry_json(version["geometry"]),
                "properties": {
                    "zone_id": row["zone_id"],
                    "status": row["status"],
                    "nested": row["zone_id"] != "syria-nationwide",
                    "focus": row["zone_id"] == focus,
                    "popup": popup,
                    "tooltip": tooltip,
                },
            }
        )
    group = folium.FeatureGroup(name=name, overlay=True, control=True)
    if not features:
        return group
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        style_function=_zone_style,
        highlight_function=lambda f: {"weight": 4},
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=420),
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
        zoom_on_click=False,
    ).add_to(group)
    return group


def _zone_style(feature: dict) -> dict:
    props = feature["properties"]
    color = STATUS_COLORS[props["status"]]
    return {
        "color": "#111827" if props["focus"] else color,
        "weight": 3 if props["focus"] else (2 if props["nested"] else 1.5),
        "fillColor": color,
        "fillOpacity": 0.45 if props["nested"] else 0.08,
        "dashArray": None if props["nested"] else "6 4",
        "className": f"dz-zone dz-zone-{props['zone_id']} dz-status-{props['status']}",
    }


def incident_layers(incidents: pd.DataFrame) -> list[folium.FeatureGroup]:
    """One feature group of incident markers per data set (``bundled`` first)."""
    groups = []
    names = sorted(set(incidents["dataset"]), key=lambda n: (n != "bundled", n))
    for name in names:
        part = incidents[incidents["dataset"] == name].drop_duplicates("violation_id")
        label = "Bundled violations" if name == "bundled" else f"Incidents: {name}"
        group = folium.FeatureGroup(name=label, overlay=True, control=True)
        if len(part) <= DETAIL_LIMIT:
            _detailed_markers(part).add_to(group)
        else:
            _clustered_markers(part).add_to(group)
        groups.append(group)
    return groups


def _detailed_markers(part: pd.DataFrame) -> folium.GeoJson:
    popups = _incident_popups(part)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
            "properties": {
                "kind": str(kind),
                "popup": popup,
                "tooltip": f"{_local_day(occurred, precision)}: {esc(kind)}",
            },
        }
        for lon, lat, kind, occurred, precision, popup in zip(
            part["lon"],
            part["lat"],
            part["kind"],
            part["occurred"],
            part["date_precision"],
            popups,
            strict=True,
        )
    ]
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        marker=folium.CircleMarker(radius=6, weight=1, fill=True, fill_opacity=0.85),
        style_function=lambda f: {
            "color": "#ffffff",
            "fillColor": kind_color(f["properties"]["kind"]),
            "className": "dz-incident",
        },
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=360),
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
    )


class CompactIncidentCluster(folium.elements.JSCSSMixin, MacroElement):
    """Many incidents as clustered circle markers, sent as one flat array of small integers.

    Each incident is four numbers: latitude and longitude on a grid of ``step`` degrees
    (about 100 m) from the layer's south-west corner, the index of its kind and its Damascus
    day counted from the first day in the layer. About 16 bytes an incident.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var base = {{ this.base }}, kinds = {{ this.kinds }}, flat = {{ this.flat }};
                var cluster = L.markerClusterGroup({chunkedLoading: true, maxClusterRadius: 50});
                var markers = [];
                for (var i = 0; i < flat.length; i += 4) {
                    var kind = kinds[flat[i + 2]];
                    var day = new Date((base[2] + flat[i + 3]) * 864e5).toISOString().slice(0, 10);
                    var marker = L.circleMarker(
                        [base[0] + flat[i] * base[3], base[1] + flat[i + 1] * base[3]],
                        {radius: 5, weight: 1, color: "#ffffff", fillOpacity: 0.85,
                         fillColor: kind[1], className: "dz-incident"});
                    marker.bindTooltip(kind[0] + ", " + day);
                    markers.push(marker);
                }
                cluster.addLayers(markers);
                cluster.addTo({{ this._parent.get_name() }});
            })();
        {% endmacro %}
        """
    )
    default_js = [
        ("markerclusterjs", "/app/static/vendor/leaflet.markercluster/leaflet.markercluster.js")
    ]
    default_css = [
        ("markerclustercss", "/app/static/vendor/leaflet.markercluster/MarkerCluster.css"),
        (
            "markerclusterdefaultcss",
            "/app/static/vendor/leaflet.markercluster/MarkerCluster.Default.css",
        ),
    ]

    def __init__(self, part: pd.DataFrame, step: float = 0.001) -> None:
        super().__init__()
        self._name = "CompactIncidentCluster"
        kinds = sorted(set(part["kind"].astype(str)))
        codes = {k: i for i, k in enumerate(kinds)}
        lat = part["lat"].to_numpy(dtype=float)
        lon = part["lon"].to_numpy(dtype=float)
        days = (
            part["occurred"].dt.tz_convert(schema.DAMASCUS).dt.tz_localize(None).dt.normalize()
            - pd.Timestamp("1970-01-01")
        ).dt.days.to_numpy()
        lat0, lon0, day0 = float(lat.min()), float(lon.min()), int(days.min())
        columns = np.column_stack(
            [
                np.round((lat - lat0) / step),
                np.round((lon - lon0) / step),
                [codes[str(k)] for k in part["kind"]],
                days - day0,
            ]
        ).astype(np.int64)
        self.base = script_json([round(lat0, 6), round(lon0, 6), day0, step])
        self.kinds = script_json([[esc(k), kind_color(k)] for k in kinds])
        self.flat = "[" + ",".join(map(str, columns.ravel().tolist())) + "]"


def _clustered_markers(part: pd.DataFrame) -> CompactIncidentCluster:
    """Many incidents: compact clustered markers with a short tooltip each."""
    return CompactIncidentCluster(part)


def dynamic_layers(
    timeline: Timeline,
    status: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    focus: str | None = None,
) -> list[folium.FeatureGroup]:
    """The layers that change with the instant: zones, then incidents per data set."""
    return [zone_layer(timeline, status, incidents, focus=focus), *incident_layers(incidents)]


# --- the base map ----------------------------------------------------------------------------


def base_map(
    bounds: Bounds,
    *,
    basemap: str = "none",
    reference: Sequence[ReferenceLayer] = (),
    kinds: Iterable[str] | None = None,
    height: str = "100%",
) -> folium.Map:
    """The part of the map that does not change with the instant.

    Parameters
    ----------
    bounds
        (min_lon, min_lat, max_lon, max_lat) to fit.
    basemap
        ``"none"`` (no tiles: no request leaves the machine; Syria and its neighbours are
        drawn from Natural Earth under everything else), ``"osm"`` or ``"carto"`` (tiles when
        they can be had: on the first tile error, or without a tile after
        :data:`TILE_TIMEOUT_S`, the map drops them and draws the offline base map instead).
    reference
        Layers drawn as thin outlines under the zones.
    kinds
        Incident kinds for the legend; None for a map without legend.
    """
    if basemap not in BASEMAPS:
        raise ValueError(f"unknown base map {basemap!r}; use one of {', '.join(BASEMAPS)}")
    x0, y0, x1, y1 = bounds
    m = folium.Map(
        location=[(y0 + y1) / 2, (x0 + x1) / 2],
        zoom_start=7,
        tiles=None,
        control_scale=True,
        height=height,
    )
    # folium gives min/max zoom only to a tile layer; without tiles Leaflet would have no
    # maxZoom, and the marker-cluster plugin refuses to work without one
    m.options.update(min_zoom=5, max_zoom=14)
    tiles = BASEMAPS[basemap]
    if tiles:
        url, attribution, name = tiles
        layer = folium.TileLayer(tiles=url, attr=attribution, name=name, max_zoom=19).add_to(m)
        _CountryContext(tiles=layer).add_to(m)
    else:
        _Background().add_to(m)
        _CountryContext().add_to(m)
    for layer in reference:
        _reference_layer(layer).add_to(m)
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    if kinds is not None:
        legend(kinds).add_to(m)
        m.get_root().header.add_child(folium.Element(f"<style>{MAP_CSS}</style>"))
    m.fit_bounds([[y0, x0], [y1, x1]])
    return localize(m)


class _Background(MacroElement):
    """A plain background for maps without tiles: it must not look like a broken map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.getContainer().style.background = "#dfe6ec";
            {{ this._parent.get_name() }}.attributionControl.addAttribution(
                "No base map: borders from Natural Earth");
        {% endmacro %}
        """
    )


#: Seconds to wait for a first tile before falling back to the offline base map.
TILE_TIMEOUT_S = 4.0
#: The region the country context covers (min_lon, min_lat, max_lon, max_lat): from the Aegean
#: coast of Turkey to the Zagros, from Sinai to central Anatolia. A map fitted to Syria (zoom 6
#: or more) mostly stays inside it; beyond it the plain background shows.
CONTEXT_BOX: Bounds = (29.0, 29.0, 48.0, 40.5)
#: Borders are simplified by about 500 m and sent on a grid of 0.001 degree (about 100 m):
#: Natural Earth's 1:10m file is itself quantized to about 330 x 190 m here.
CONTEXT_TOLERANCE = 0.005
_CONTEXT_GRID = 0.001
#: A country whose part in the box is smaller than this (square degrees) gets no label.
_CONTEXT_LABEL_AREA = 0.5
#: The zoom from which a label shows, by the area of its country in the box (square degrees),
#: so that small neighbours' names do not pile up when the map shows the whole region.
_CONTEXT_LABEL_ZOOMS = ((5, 15.0), (6, 3.0), (7, 0.0))


class _CountryContext(MacroElement):
    """Syria and its neighbours under everything: fills, borders and name labels.

    Nothing in it reacts to the mouse: the fills and borders are in their own pane under the
    overlays, the labels in a pane that ignores pointer events. The data are sent compactly
    (see :func:`_country_context_data`) and are the same for every map, so the map's script
    does not change between reruns. Borders are the rings' edges except where a ring was cut
    by :data:`CONTEXT_BOX`.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var map = {{ this._parent.get_name() }}, d = {{ this.data }};
                function draw() {
                if (map.__dzContext) { return; }
                map.__dzContext = true;
                function grid(a) {
                    var x = 0, y = 0, out = [];
                    for (var i = 0; i < a.length; i += 2) {
                        x += a[i]; y += a[i + 1]; out.push([x, y]);
                    }
                    return out;
                }
                function latlng(p) { return [d.o[1] + p[1] * d.q, d.o[0] + p[0] * d.q]; }
                function cut(a, b) {
                    return (a[0] === b[0] && (a[0] === 0 || a[0] === d.e[0])) ||
                        (a[1] === b[1] && (a[1] === 0 || a[1] === d.e[1]));
                }
                function borders(ring, out) {
                    var closed = ring.concat([ring[0]]), run = [];
                    for (var i = 1; i < closed.length; i++) {
                        if (cut(closed[i - 1], closed[i])) {
                            if (run.length > 1) { out.push(run.map(latlng)); }
                            run = [];
                        } else {
                            if (!run.length) { run.push(closed[i - 1]); }
                            run.push(closed[i]);
                        }
                    }
                    if (run.length > 1) { out.push(run.map(latlng)); }
                }
                map.createPane("dz-context").style.zIndex = 350;
                var labels = map.createPane("dz-context-labels");
                labels.style.zIndex = 360;
                labels.style.pointerEvents = "none";
                var quiet = {pane: "dz-context", interactive: false};
                d.f.forEach(function (f) {
                    var syria = f[0] === 1, lines = [];
                    var rings = f[1].map(function (p) { return p.map(grid); });
                    rings.forEach(function (p) { p.forEach(function (r) { borders(r, lines); }); });
                    L.polygon(rings.map(function (p) { return p.map(function (r) {
                        return r.map(latlng); }); }), L.extend({
                        stroke: false, fillOpacity: 1, fillColor: syria ? "#fbfaf7" : "#ece8df",
                        className: syria ? "dz-country dz-country-syria" : "dz-country"
                    }, quiet)).addTo(map);
                    L.polyline(lines, L.extend({
                        color: syria ? "#4b5563" : "#9aa3ae", weight: syria ? 1.8 : 0.8,
                        className: syria ? "dz-border dz-border-syria" : "dz-border"
                    }, quiet)).addTo(map);
                });
                var marks = d.l.map(function (l) {
                    return L.marker([l[0], l[1]], {
                        pane: "dz-context-labels", interactive: false, keyboard: false, dzMin: l[4],
                        icon: L.divIcon({
                            className: "dz-country-label", iconSize: null,
                            html: '<span style="display:inline-block;white-space:nowrap;' +
                                "transform:translate(-50%,-50%);font:600 " +
                                (l[3] ? "14px" : "12px") + "/1 sans-serif;letter-spacing:.12em;" +
                                "text-transform:uppercase;text-shadow:0 0 3px #fff;color:" +
                                (l[3] ? "#374151" : "#7b8491") + '">' + l[2] + "</span>"
                        })
                    }).addTo(map);
                });
                function declutter() {
                    var zoom = map.getZoom();
                    marks.forEach(function (m) {
                        var el = m.getElement();
                        if (el) { el.style.display = zoom >= m.options.dzMin ? "" : "none"; }
                    });
                }
                map.on("zoomend", declutter);
                declutter();
                }
                {% if this.tiles %}
                // Tiles were asked for: draw the context only if they cannot be had. The first
                // tile error, or no tile at all within a few seconds, means unreachable.
                var tiles = {{ this.tiles }}, loaded = false;
                function fallback() {
                    if (loaded || map.__dzContext) { return; }
                    map.getContainer().style.background = "#dfe6ec";
                    map.removeLayer(tiles);
                    draw();
                    map.attributionControl.addAttribution(
                        "Tiles unreachable: offline base map (borders from Natural Earth)");
                    map.getContainer().classList.add("dz-tiles-unreachable");
                }
                tiles.on("tileload", function () { loaded = true; });
                tiles.once("tileerror", function () { if (!loaded) { fallback(); } });
                setTimeout(fallback, {{ this.timeout_ms }});
                {% else %}
                draw();
                {% endif %}
            })();
        {% endmacro %}
        """
    )

    def __init__(self, tiles: folium.TileLayer | None = None) -> None:
        super().__init__()
        self._name = "CountryContext"
        self.data = _country_context_data()
        #: With tiles, the context is only the fallback for tiles that cannot be loaded.
        self.tiles = tiles.get_name() if tiles is not None else ""
        self.timeout_ms = int(TILE_TIMEOUT_S * 1000)


@lru_cache(maxsize=1)
def _country_context_data() -> str:
    """The country layer as compact script JSON, made once per process.

    ``o`` the origin (the box's south-west corner), ``q`` the grid step in degrees, ``e`` the
    box's east and north edges in steps; ``f`` fills: Syria flag (1 or 0), then polygons of
    rings, each ring a flat list of grid steps from the previous point (the first from the
    origin), unclosed; ``l`` labels: latitude, longitude, escaped name, Syria flag and the
    zoom from which the label shows. Syria
    comes last so that its border is drawn on top.
    """
    import shapely

    from geo import context

    frame = context.countries(CONTEXT_BOX, tolerance=CONTEXT_TOLERANCE)
    box = shapely.box(*CONTEXT_BOX)
    origin = np.asarray(CONTEXT_BOX[:2])
    extent = np.round((np.asarray(CONTEXT_BOX[2:]) - origin) / _CONTEXT_GRID).astype(int)

    def steps(coords) -> list[int]:
        grid = np.round((np.asarray(coords)[:, :2] - origin) / _CONTEXT_GRID).astype(np.int64)
        return np.diff(grid, axis=0, prepend=[[0, 0]]).ravel().tolist()

    last = (frame["iso_n3"] == context.SYRIA).to_numpy()
    frame = pd.concat([frame[~last], frame[last]], ignore_index=True)
    fills, labels = [], []
    for code, name, geometry in zip(frame["iso_n3"], frame["name"], frame.geometry, strict=True):
        inside = shapely.set_precision(geometry.intersection(box), _CONTEXT_GRID)
        polygons = [p for p in getattr(inside, "geoms", [inside]) if p.geom_type == "Polygon"]
        if not polygons:
            continue
        is_syria = int(code == context.SYRIA)
        rings = [[steps(r.coords[:-1]) for r in (p.exterior, *p.interiors)] for p in polygons]
        fills.append([is_syria, rings])
        if code and inside.area >= _CONTEXT_LABEL_AREA:
            point = inside.representative_point()
            big = [z for z, least in _CONTEXT_LABEL_ZOOMS if inside.area >= least]
            label = [round(point.y, 3), round(point.x, 3), esc(name), is_syria, big[0]]
            labels.append(label)
    data = {"o": origin.tolist(), "q": _CONTEXT_GRID, "e": extent.tolist(), "f": fills}
    data["l"] = labels
    # script_json's protections, without the spaces of its default separators
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _reference_layer(layer: ReferenceLayer) -> folium.GeoJson:
    return folium.GeoJson(
        layer.geojson,
        name=f"Reference: {layer.name}",
        style_function=lambda f: {
            "color": "#64748b",
            "weight": 0.8,
            "fill": False,
            "className": "dz-reference",
        },
        tooltip=(
            folium.GeoJsonTooltip(fields=["label"], labels=False) if layer.label_field else None
        ),
        control=True,
        overlay=True,
        show=True,
    )


def legend(kinds: Iterable[str]) -> MacroElement:
    """A Leaflet control naming the status colours and the incident kinds shown."""
    status_rows = "".join(
        f'<div><span class="dz-swatch" style="background:{STATUS_COLORS[s]}"></span>'
        f"{esc(STATUS_LABELS[s])}</div>"
        for s in STATUS_COLORS
    )
    kind_rows = "".join(
        f'<div><span class="dz-dot" style="background:{kind_color(k)}"></span>{esc(k)}</div>'
        for k in sorted(set(kinds))
    )
    body = (
        f'<div class="dz-legend"><b>Zone status</b>{status_rows}'
        + (f"<b>Incidents</b>{kind_rows}" if kind_rows else "")
        + "</div>"
    )
    element = MacroElement()
    element._template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var legend = L.control({position: "bottomright"});
                legend.onAdd = function () {
                    var div = L.DomUtil.create("div", "dz-legend-box");
                    div.innerHTML = """
        + script_json(body)
        + """;
                    return div;
                };
                legend.addTo({{ this._parent.get_name() }});
            })();
        {% endmacro %}
        """
    )
    return element


#: Styles for popups and the legend, added to the page once.
MAP_CSS = """
.dz-legend-box{background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;
font:12px/1.35 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)}
.dz-swatch{display:inline-block;width:14px;height:10px;margin-right:6px;opacity:.8}
.dz-dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px}
.dz-popup h4{margin:0 0 2px 0}.dz-popup ul{padding-left:16px;margin:2px 0 6px 0}
.dz-ar{font-size:14px;margin-bottom:4px}.dz-status{color:#fff;padding:1px 6px;border-radius:3px}
"""


def snapshot_map(
    timeline: Timeline,
    status: pd.DataFrame,
    incidents: pd.DataFrame,
    bounds: Bounds,
    *,
    basemap: str = "none",
    reference: Sequence[ReferenceLayer] = (),
    focus: str | None = None,
) -> folium.Map:
    """A whole map at one instant: base, zones, incidents, legend and layer control."""
    kinds = incidents["kind"].astype(str) if len(incidents) else []
    m = base_map(bounds, basemap=basemap, reference=reference, kinds=kinds)
    for group in dynamic_layers(timeline, status, incidents, focus=focus):
        group.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return localize(m)


def zoom_for(
    timeline: Timeline, zone_id: str | None
) -> tuple[tuple[float, float] | None, int | None]:
    """Centre and zoom level that show a zone (its outlines over time); (None, None) for all."""
    if not zone_id:
        return None, None
    versions = timeline.zones.versions
    mine = versions[versions["zone_id"] == zone_id]
    if mine.empty:
        return None, None
    x0, y0, x1, y1 = mine.total_bounds
    span = max(x1 - x0, y1 - y0, 0.01)
    zoom = int(np.clip(np.floor(np.log2(360 / span)) - 1, 5, 14))
    return ((y0 + y1) / 2, (x0 + x1) / 2), zoom


_HISTORY_COLORS = ["#1d4ed8", "#0891b2", "#059669", "#ca8a04", "#ea580c", "#dc2626", "#9333ea"]


def outline_history_map(versions: gpd.GeoDataFrame, *, basemap: str = "none") -> folium.Map:
    """Every boundary version of one zone as an outline, oldest to newest, with its dates."""
    m = base_map(tuple(versions.total_bounds), basemap=basemap)
    for i, (_, v) in enumerate(versions.reset_index(drop=True).iterrows()):
        since = _local_day(v["valid_from"])
        until = _local_day(v["valid_to"]) if pd.notna(v["valid_to"]) else "still valid"
        color = _HISTORY_COLORS[i % len(_HISTORY_COLORS)]
        folium.GeoJson(
            {
                "type": "Feature",
                "geometry": _geometry_json(v["geometry"]),
                "properties": {"tooltip": f"{esc(v['version_id'])}: {since} to {until}"},
            },
            name=f"{since} to {until}",
            style_function=lambda f, c=color: {
                "color": c,
                "weight": 2,
                "fillOpacity": 0.06,
                "className": "dz-version",
            },
            tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        ).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return localize(m)
