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

import base64
import json
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement, Template

from geo import schema
from geo.assets import localize
from geo.render.escape import esc, script_json, source_links
from geo.render.reference import ReferenceLayer
from geo.render.style import (
    HATCH_COLOR,
    HATCHED_STATUSES,
    STATUS_COLORS,
    STATUS_LABELS,
    ink_on,
    kind_color,
)
from geo.render.verbatim import install as _render_verbatim
from geo.render.words import LANGS
from geo.timemodel import Timeline
from geo.view import NATIONWIDE

# folium's output is data: it must never be compiled as a template (geo.render.verbatim)
_render_verbatim()

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
#: A focused zone's outlines span between this many pixels and half as many (see zoom_for).
ZONE_SPAN_PX = 320
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


Rows = pd.DataFrame | Sequence[Mapping[str, Any]]


def _records(rows: Rows, limit: int | None = None) -> list[Mapping[str, Any]]:
    """The first ``limit`` rows (all with None) as mappings, from a frame or a list of them."""
    if isinstance(rows, pd.DataFrame):
        return _row_dicts(rows if limit is None else rows.head(limit))
    return list(rows if limit is None else rows[:limit])


def _row_dicts(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> list[dict]:
    """A frame's rows as dicts of the given columns (all by default), column by column.

    ``DataFrame.to_dict("records")`` does the same a row at a time, some ten times slower on
    the few rows of a popup; a map is built on every run of the Map page.
    """
    names = list(frame.columns) if columns is None else [c for c in columns if c in frame]
    values = [frame[c].tolist() for c in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def zone_popup(
    version: Mapping[str, Any],
    status: Mapping[str, Any],
    agreements: Rows,
    incidents: Rows,
    *,
    total: int | None = None,
) -> str:
    """Escaped HTML for a zone's popup: names, status, agreements in force, recent incidents.

    ``version`` and ``status`` are rows (a Series or a dict); ``agreements`` and ``incidents``
    frames or lists of rows. Only the first :data:`POPUP_INCIDENTS` incidents are listed;
    ``total`` is their number when ``incidents`` holds only the first few (default: all of
    them are given). Incidents that count for the zone only because they name one of its
    agreements (``linked``, from :func:`geo.timemodel.window_incidents`) are listed with their
    place and the agreements they name, marked as outside the zone.
    """
    total = len(incidents) if total is None else total
    agreements = _records(agreements)
    incidents = _records(incidents, POPUP_INCIDENTS)
    color = STATUS_COLORS[status["status"]]
    rows = [
        f'<div class="dz-popup" data-zone="{esc(version["zone_id"])}">',
        f"<h4>{esc(version['name'])}</h4>",
        f'<div dir="rtl" lang="ar" class="dz-ar">{esc(version["name_ar"])}</div>',
        f'<p><span class="dz-status dz-status-badge-{esc(status["status"])}" '
        f'style="background:{color};color:{ink_on(color)}">{esc(status["status"])}</span> '
        f"{esc(STATUS_LABELS[status['status']])}</p>",
    ]
    if agreements:
        rows.append("<b>Agreements in force</b><ul>")
        for a in agreements:
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
    if total:
        rows.append(f"<b>Incidents in the window ({total})</b><ul>")
        for v in incidents:
            linked = ""
            if bool(v.get("linked", False)):
                names = str(v.get("agreement_ids", "") or "").replace(";", ", ")
                linked = (
                    f' <small class="dz-linked">(outside the zone; breach of {esc(names)})</small>'
                )
            # the place first: two incidents of one day and kind differ by where they were
            rows.append(
                f'<li><b class="dz-place">{esc(v["place"]) or "(place not given)"}</b>: '
                f"{_local_day(v['occurred'], v['date_precision'])}, {esc(v['kind'])}, "
                f"{esc(v['alleged_perpetrator'])}{linked} <small>[{esc(v['dataset'])}] "
                f"{source_links(v['source'], 1)}</small></li>"
            )
        if total > len(incidents):
            rows.append(f"<li>and {total - len(incidents)} more (see Records)</li>")
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
            f'<div class="dz-popup"><b class="dz-place">{esc(place)}</b><br>'
            f"<b>{esc(kind)}</b>, {_local_day(occurred, precision)} ({esc(precision)} "
            "precision; place "
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


#: The fields of an outline version, an agreement and an incident that a zone's popup and
#: label read.
_VERSION_FIELDS = ("zone_id", "version_id", "name", "name_ar", "accuracy", "geometry")
_AGREEMENT_FIELDS = (
    "agreement_id",
    "title",
    "effective_from",
    "effective_to",
    "date_precision",
    "outcome",
    "source",
)
_INCIDENT_FIELDS = (
    "place",
    "occurred",
    "date_precision",
    "kind",
    "alleged_perpetrator",
    "linked",
    "agreement_ids",
    "dataset",
    "source",
)


def _zone_rows(
    timeline: Timeline, status: pd.DataFrame, incidents: pd.DataFrame
) -> list[tuple[dict, dict, list[dict], list[dict], int]]:
    """Each zone of ``status`` as plain rows, largest first.

    For each: its outline version, its status row, the agreements in force, its first
    :data:`POPUP_INCIDENTS` incidents and their number. Largest first, so that smaller zones
    are drawn (and clicked) on top. Read column by column, with one take for all zones: this
    runs on every run of the Map page, where pandas' row-by-row access (``iterrows``, ``loc``
    per zone) cost three times as much as the rest of the layer.
    """
    if not len(status):
        return []
    frame = timeline.zones.versions
    where = pd.Index(frame["version_id"]).get_indexer(status["version_id"])
    if (where < 0).any():
        raise ValueError("status names an outline version the timeline does not have")
    order = np.argsort(-shapely.area(frame.geometry.to_numpy()[where]), kind="stable")
    versions = _row_dicts(frame.iloc[where[order]], _VERSION_FIELDS)
    rows = _row_dicts(status.iloc[order])
    wanted = {a for row in rows for a in row["agreements"]}
    known = timeline.agreements.frame
    by_id = {
        a["agreement_id"]: a
        for a in _row_dicts(known[known["agreement_id"].isin(wanted)], _AGREEMENT_FIELDS)
    }
    positions = incidents.groupby("zone_id_matched", sort=False).indices if len(incidents) else {}
    mine = [positions.get(row["zone_id"], np.empty(0, int)) for row in rows]
    heads = [m[:POPUP_INCIDENTS] for m in mine]
    listed = iter(_row_dicts(incidents.iloc[np.concatenate(heads)], _INCIDENT_FIELDS))
    return [
        (
            version,
            row,
            [by_id[a] for a in row["agreements"]],
            [next(listed) for _ in head],
            len(every),
        )
        for version, row, head, every in zip(versions, rows, heads, mine, strict=True)
    ]


def zone_layer(
    timeline: Timeline,
    status: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    focus: str | None = None,
    name: str = "Zones",
    lang: str = "en",
) -> folium.FeatureGroup:
    """Zones existing at the instant, coloured by status, with popups, tooltips and labels.

    ``status`` comes from :func:`geo.timemodel.status_at`; ``incidents`` from
    :func:`geo.timemodel.window_incidents` (with ``zone_id_matched``). Each zone gets a
    permanent label with its name (Arabic when ``lang`` is ``"ar"`` and the zone has one),
    inside it when it fits, else beside it (see :class:`ZoneLabels`).
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    features, labels = [], []
    for version, row, agreements, mine, total in _zone_rows(timeline, status, incidents):
        popup = zone_popup(version, row, agreements, mine, total=total)
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
                    "nested": row["zone_id"] != NATIONWIDE,
                    "focus": row["zone_id"] == focus,
                    "popup": popup,
                    "tooltip": tooltip,
                },
            }
        )
        labels.append(_zone_label(row, version, lang))
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
    # smallest zones first: they get the first pick of places beside themselves
    ZoneLabels(labels[::-1]).add_to(group)
    return group


def _zone_style(feature: dict) -> dict:
    props = feature["properties"]
    color = STATUS_COLORS[props["status"]]
    hatched = " dz-hatched" if props["status"] in HATCHED_STATUSES else ""
    return {
        "color": "#111827" if props["focus"] else color,
        "weight": 3 if props["focus"] else (2 if props["nested"] else 1.5),
        "fillColor": color,
        "fillOpacity": 0.45 if props["nested"] else 0.08,
        "dashArray": None if props["nested"] else "6 4",
        "className": f"dz-zone dz-zone-{props['zone_id']} dz-status-{props['status']}{hatched}",
    }


def _zone_label(row: Mapping[str, Any], version: Mapping[str, Any], lang: str) -> list:
    """One zone's label: anchor, bounding box, escaped text, and how to draw it."""
    from shapely.ops import polylabel

    geometry = version["geometry"]
    parts = list(getattr(geometry, "geoms", [geometry]))
    largest = max(parts, key=lambda p: p.area)
    # the pole of inaccessibility: a point well inside even a concave or holed outline
    anchor = polylabel(largest, tolerance=0.002)
    x0, y0, x1, y1 = geometry.bounds
    name = str(version["name"] or "")
    arabic = str(version.get("name_ar") or "")
    rtl = lang == "ar" and bool(arabic.strip())
    text = arabic if rtl else name
    return [
        round(anchor.y, 5),
        round(anchor.x, 5),
        [round(y0, 5), round(x0, 5), round(y1, 5), round(x1, 5)],
        esc(text or row["zone_id"]),
        esc(row["zone_id"]),
        STATUS_COLORS[row["status"]],
        int(rtl),
        int(row["zone_id"] != NATIONWIDE),
    ]


class ZoneLabels(MacroElement):
    """Permanent labels naming the zones, placed again at every zoom.

    A label goes inside its zone (at the pole of inaccessibility) when it fits there,
    otherwise beside the zone's bounding box (right, left, above, below: the first place
    that collides with no label placed before it, nor with the country names). Labels are
    in their own pane, above the zones and under the incident markers and popups, and take
    no mouse events, so they never stand between a reader and a zone or a marker. Each is a
    ``span.dz-zone-label`` with ``data-zone`` and the class ``dz-label-inside`` or
    ``dz-label-beside``. After placing them it fires ``dz:zonelabels`` on the map, so
    that the towns' names (:class:`TownsLayer`) can step aside.

    ``labels``: lists of latitude, longitude, bounding box (south, west, north, east),
    escaped text, escaped zone id, status colour, right-to-left flag and nested flag (0 for
    the national extent, drawn quieter), in placing order.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var d = {{ this.data }};
                var Labels = L.Layer.extend({
                    onAdd: function (map) {
                        if (!map.getPane("dz-zone-labels")) {
                            var pane = map.createPane("dz-zone-labels");
                            pane.style.zIndex = 590;
                            pane.style.pointerEvents = "none";
                        }
                        this._layer = L.layerGroup(d.map(function (l) {
                            var style = "display:inline-block;width:max-content;max-width:15em;" +
                                "text-align:center;padding:1px 5px;border-radius:3px;" +
                                "background:rgba(255,255,255,.82);border:1px solid " + l[5] +
                                ";font:" + (l[7] ? "600 12px" : "italic 11px") +
                                "/1.2 sans-serif;color:" + (l[7] ? "#111827" : "#4b5563") +
                                ";white-space:normal;transform:translate(-50%,-50%)";
                            var dir = l[6] ? ' dir="rtl" lang="ar"' : "";
                            return L.marker([l[0], l[1]], {
                                pane: "dz-zone-labels", interactive: false, keyboard: false,
                                icon: L.divIcon({
                                    className: "dz-zone-label-icon", iconSize: null,
                                    html: '<span class="dz-zone-label" data-zone="' + l[4] +
                                        '"' + dir + ' style="' + style + '">' + l[3] + "</span>"
                                })
                            });
                        })).addTo(map);
                        map.on("zoomend resize", this._place, this);
                        map.whenReady(this._place, this);
                    },
                    onRemove: function (map) {
                        map.off("zoomend resize", this._place, this);
                        map.removeLayer(this._layer);
                        map.__dzZoneLabels = [];
                    },
                    _place: function () {
                        var map = this._map;
                        if (!map) { return; }
                        // rectangles in container pixels, computed from the labels' anchors
                        // and sizes rather than read from the page: the map's stylesheet
                        // may not be loaded yet when this first runs
                        var taken = [], names = [];
                        (map.__dzCountryLabels || []).forEach(function (m) {
                            var el = m.getElement(), span = el && el.firstChild;
                            if (!span || el.style.display === "none") { return; }
                            var p = map.latLngToContainerPoint(m.getLatLng());
                            var w = span.offsetWidth, h = span.offsetHeight;
                            taken.push([p.x - w / 2, p.y - h / 2, p.x + w / 2, p.y + h / 2]);
                        });
                        function free(r) {
                            return taken.every(function (t) {
                                return r[2] <= t[0] || r[0] >= t[2] || r[3] <= t[1] || r[1] >= t[3];
                            });
                        }
                        var marks = this._layer.getLayers();
                        d.forEach(function (l, i) {
                            var el = marks[i].getElement();
                            var span = el && el.firstChild;
                            if (!span) { return; }
                            var w = span.offsetWidth, h = span.offsetHeight;
                            var a = map.latLngToContainerPoint([l[0], l[1]]);
                            var sw = map.latLngToContainerPoint([l[2][0], l[2][1]]);
                            var ne = map.latLngToContainerPoint([l[2][2], l[2][3]]);
                            var zw = ne.x - sw.x, zh = sw.y - ne.y, spots = [];
                            if (w <= zw * 0.8 && h <= zh * 0.6) {
                                [0, 1.4, -1.4, 2.8, -2.8].forEach(function (k) {
                                    spots.push(["inside", 0, k * h]);
                                });
                            }
                            spots.push(["beside", ne.x - a.x + 6 + w / 2, 0]);
                            spots.push(["beside", sw.x - a.x - 6 - w / 2, 0]);
                            spots.push(["beside", 0, ne.y - a.y - 4 - h / 2]);
                            spots.push(["beside", 0, sw.y - a.y + 4 + h / 2]);
                            var pick = spots[0], rect = null;
                            for (var k = 0; k < spots.length; k++) {
                                var x = a.x + spots[k][1], y = a.y + spots[k][2];
                                var r = [x - w / 2, y - h / 2, x + w / 2, y + h / 2];
                                if (free(r)) { pick = spots[k]; rect = r; break; }
                            }
                            if (!rect) {
                                var px = a.x + pick[1], py = a.y + pick[2];
                                rect = [px - w / 2, py - h / 2, px + w / 2, py + h / 2];
                            }
                            taken.push(rect);
                            names.push(rect);
                            span.style.transform = "translate(calc(-50% + " + pick[1] +
                                "px), calc(-50% + " + pick[2] + "px))";
                            span.classList.toggle("dz-label-inside", pick[0] === "inside");
                            span.classList.toggle("dz-label-beside", pick[0] === "beside");
                        });
                        // the towns' names step aside from the zones' names
                        map.__dzZoneLabels = names;
                        map.fire("dz:zonelabels");
                    }
                });
                new Labels().addTo({{ this._parent.get_name() }});
            })();
        {% endmacro %}
        """
    )

    def __init__(self, labels: list[list]) -> None:
        super().__init__()
        self._name = "ZoneLabels"
        self.data = script_json(labels)


def incident_layers(incidents: pd.DataFrame) -> list[folium.FeatureGroup]:
    """One feature group of incident markers per data set (``bundled`` first)."""
    groups = []
    names = sorted(incidents["dataset"].unique(), key=lambda n: (n != "bundled", n))
    for name in names:
        rows = incidents["dataset"] == name
        label = "Bundled violations" if name == "bundled" else f"Incidents: {name}"
        group = folium.FeatureGroup(name=label, overlay=True, control=True)
        if incidents.loc[rows, "violation_id"].nunique(dropna=False) <= DETAIL_LIMIT:
            part = incidents[rows].drop_duplicates("violation_id")
            _detailed_markers(part).add_to(group)
        else:
            # only the columns the clusters send (copying every text column of 100k rows
            # costs 0.1 s)
            part = incidents.loc[rows, _CLUSTER_COLUMNS].drop_duplicates("violation_id")
            _clustered_markers(part).add_to(group)
        groups.append(group)
    return groups


class DetailedIncidents(MacroElement):
    """Incidents as circle markers with popups; markers at one point are spread in a ring.

    Many records share a town's point (the OCHA point of the town a report names). Drawn
    there, they would hide each other; instead every group of markers at one point is laid
    out on a small ring around it, a fixed number of pixels wide at every zoom, each with a
    thin leg to a dot at the true point, so that each incident is its own clickable marker.
    Markers are ``path.dz-incident`` (filled with their kind's colour), legs
    ``path.dz-incident-leg`` and the dots ``path.dz-incident-hub``; none of the latter two
    takes the mouse.

    ``features``: lists of latitude, longitude, fill colour, popup HTML and tooltip HTML
    (escaped).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var d = {{ this.data }}, groups = {}, rings = [];
                var layer = L.featureGroup();
                d.forEach(function (f) {
                    var key = f[0] + "," + f[1];
                    (groups[key] = groups[key] || {at: L.latLng(f[0], f[1]), markers: []})
                        .markers.push(null);
                });
                // legs and hubs first, so that the markers are drawn over them
                Object.keys(groups).sort().forEach(function (key) {
                    var g = groups[key];
                    if (g.markers.length < 2) { return; }
                    g.legs = g.markers.map(function () {
                        return L.polyline([g.at, g.at], {
                            weight: 1, color: "#374151", opacity: 0.8, interactive: false,
                            className: "dz-incident-leg", pane: "dz-incidents"
                        }).addTo(layer);
                    });
                    L.circleMarker(g.at, {
                        radius: 2, weight: 0, fill: true, fillColor: "#111827",
                        fillOpacity: 0.9, interactive: false, className: "dz-incident-hub",
                        pane: "dz-incidents"
                    }).addTo(layer);
                    g.markers = [];
                    rings.push(g);
                });
                d.forEach(function (f) {
                    var m = L.circleMarker([f[0], f[1]], {
                        radius: 6, weight: 1, color: "#ffffff", fill: true, fillOpacity: 0.85,
                        fillColor: f[2], className: "dz-incident", pane: "dz-incidents"
                    });
                    m.bindPopup(f[3], {maxWidth: 360});
                    m.bindTooltip(f[4]);
                    layer.addLayer(m);
                    var g = groups[f[0] + "," + f[1]];
                    if (g.legs) { g.markers.push(m); }
                });
                function spread() {
                    var map = layer._map;
                    if (!map) { return; }
                    rings.forEach(function (g) {
                        var n = g.markers.length, c = map.latLngToLayerPoint(g.at);
                        var r = Math.max(11, n * 14 / (2 * Math.PI));
                        g.markers.forEach(function (m, i) {
                            var angle = -Math.PI / 2 + 2 * Math.PI * i / n;
                            var p = c.add([r * Math.cos(angle), r * Math.sin(angle)]);
                            m.setLatLng(map.layerPointToLatLng(p));
                            g.legs[i].setLatLngs([g.at, m.getLatLng()]);
                        });
                    });
                }
                // the markers get a pane above the zones' names (which sit above the zones)
                var Incidents = L.Layer.extend({
                    onAdd: function (map) {
                        if (!map.getPane("dz-incidents")) {
                            map.createPane("dz-incidents").style.zIndex = 610;
                        }
                        layer.addTo(map);
                        map.on("zoomend", spread);
                        map.whenReady(spread);
                    },
                    onRemove: function (map) {
                        map.off("zoomend", spread);
                        map.removeLayer(layer);
                    }
                });
                new Incidents().addTo({{ this._parent.get_name() }});
            })();
        {% endmacro %}
        """
    )

    def __init__(self, features: list[list]) -> None:
        super().__init__()
        self._name = "DetailedIncidents"
        self.data = script_json(features)


def _detailed_markers(part: pd.DataFrame) -> DetailedIncidents:
    """A few incidents: a marker each, with its popup and a tooltip naming the place."""
    popups = _incident_popups(part)
    features = [
        [
            round(float(lat), 5),
            round(float(lon), 5),
            kind_color(str(kind)),
            popup,
            f"{esc(place)}: {_local_day(occurred, precision)}, {esc(kind)}",
        ]
        for lat, lon, kind, place, occurred, precision, popup in zip(
            part["lat"],
            part["lon"],
            part["kind"],
            part["place"],
            part["occurred"],
            part["date_precision"],
            popups,
            strict=True,
        )
    ]
    return DetailedIncidents(features)


class CompactIncidentCluster(folium.elements.JSCSSMixin, MacroElement):
    """Many incidents, clustered in the browser, sent as four packed columns of integers.

    Each incident is four numbers: latitude and longitude on a grid of ``step`` degrees
    (about 100 m) from the layer's south-west corner, the index of its kind and its Damascus
    day counted from the first day in the layer. Each column is sent as the base64 of a
    little-endian array of the smallest unsigned type that holds it (8, 16 or 32 bits): for
    the extent of Syria and ten years, 7 bytes an incident, about 9.4 characters (a JSON array
    of the same numbers takes about 17, and is slower to write, send and parse).

    In the browser, ``supercluster`` indexes the points when the layer is first added to a map
    (clusters of 50 pixels, from the map's minimum zoom to 11), and once more, to one below
    the map's maximum zoom (so that every incident stands alone at the maximum), the first
    time the map is zoomed in past 11. After each move or zoom, only the
    clusters and incidents in view (with half a screen around it) are Leaflet layers: a few
    hundred, whatever the number of incidents. Layers still in view are kept from one move to
    the next. A cluster is a ``div.marker-cluster.dz-cluster`` (the look of
    leaflet.markercluster's default style: small, medium, large) holding its count; a click
    zooms to where it splits. A single incident is a ``path.dz-incident`` circle filled with
    its kind's colour, with a tooltip "kind, day". Incidents at one point of the grid, which no
    zoom separates, are one ``div.dz-cluster.dz-stack`` with their number, whose popup lists
    them ("kind, day", the first 100). Both sit in the incidents' pane, above the
    zones' names. Removing the layer (streamlit-folium swapping the dynamic layers on a rerun,
    or the layer control) removes its listeners and everything it drew.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var base = {{ this.base }}, kinds = {{ this.kinds }};
                var types = {u1: Uint8Array, u2: Uint16Array, u4: Uint32Array};
                // typed arrays are in the platform's byte order: little-endian everywhere
                var cols = {{ this.columns }}.map(function (c) {
                    var text = atob(c[1]), bytes = new Uint8Array(text.length);
                    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
                    return new types[c[0]](bytes.buffer);
                });
                var lat = cols[0], lon = cols[1], kindOf = cols[2], dayOf = cols[3];
                var points = null, indexes = {}, shown = {}, group = L.layerGroup();
                // The index for a zoom: clustering up to zoom 11 (the whole country down to
                // a zone) costs half as much as up to one below the map's maximum, so that
                // one is built only when the map is first zoomed in past 11.
                function indexFor(map, zoom) {
                    var top = map.getMaxZoom(), low = Math.max(0, map.getMinZoom() || 0);
                    var full = isFinite(top) ? Math.max(0, top - 1) : 16;
                    var upto = zoom <= 11 && full > 11 ? 11 : full;
                    if (indexes[upto]) { return indexes[upto]; }
                    if (!points) {
                        points = new Array(lat.length);
                        for (var i = 0; i < lat.length; i++) {
                            points[i] = {i: i, geometry: {coordinates: [
                                base[1] + lon[i] * base[3], base[0] + lat[i] * base[3]]}};
                        }
                    }
                    indexes[upto] = new Supercluster({
                        radius: 50, extent: 256, minZoom: Math.min(low, upto), maxZoom: upto
                    }).load(points);
                    indexes[upto].upto = upto;
                    return indexes[upto];
                }
                function counted(ll, n, title, extra) {
                    var size = n < 10 ? "small" : n < 100 ? "medium" : "large";
                    return L.marker([ll[1], ll[0]], {
                        pane: "dz-incidents", title: title,
                        icon: L.divIcon({
                            html: "<div><span>" + n + "</span></div>",
                            className: "marker-cluster marker-cluster-" + size + " dz-cluster"
                                + extra,
                            iconSize: L.point(40, 40)
                        })
                    });
                }
                function cluster(f, map, index) {
                    var n = f.properties.point_count;
                    var marker = counted(f.geometry.coordinates, n, n + " incidents", "");
                    var id = f.properties.cluster_id;
                    marker.on("click", function () {
                        map.setView(marker.getLatLng(), index.getClusterExpansionZoom(id));
                    });
                    return marker;
                }
                // "kind, day" (the kind's name is HTML-escaped by the server)
                function label(i) {
                    var day = new Date((base[2] + dayOf[i]) * 864e5).toISOString().slice(0, 10);
                    return kinds[kindOf[i]][0] + ", " + day;
                }
                function incident(f) {
                    var ll = f.geometry.coordinates;
                    return L.circleMarker([ll[1], ll[0]], {
                        radius: 5, weight: 1, color: "#ffffff", fill: true, fillOpacity: 0.85,
                        fillColor: kinds[kindOf[f.i]][1], className: "dz-incident",
                        pane: "dz-incidents"
                    }).bindTooltip(label(f.i));
                }
                // incidents at one point, past the last zoom that clusters: one marker with
                // their number, whose popup lists them
                function stack(fs) {
                    var n = fs.length;
                    var marker = counted(
                        fs[0].geometry.coordinates, n, n + " incidents at one place", " dz-stack");
                    return marker.bindPopup(function () {
                        var lines = fs.slice(0, 100).map(function (f) { return label(f.i); });
                        if (n > 100) { lines.push("and " + (n - 100) + " more"); }
                        return '<div class="dz-stack-list">' + lines.join("<br>") + "</div>";
                    }, {maxHeight: 300});
                }
                var Clusters = L.Layer.extend({
                    draw: function () {
                        var map = this._map;
                        if (!map) { return; }
                        var b = map.getBounds().pad(0.5), next = {};
                        var zoom = Math.round(map.getZoom()), index = indexFor(map, zoom);
                        var found = index.getClusters([
                            Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()),
                            Math.min(180, b.getEast()), Math.min(85, b.getNorth())
                        ], zoom);
                        var alone = {};  // single incidents by their point on the grid
                        for (var k = 0; k < found.length; k++) {
                            var f = found[k];
                            if (f.properties && f.properties.cluster) {
                                var key = "c" + index.upto + ":" + f.properties.cluster_id;
                                next[key] = shown[key] || cluster(f, map, index);
                            } else {
                                var at = lat[f.i] + "," + lon[f.i];
                                (alone[at] = alone[at] || []).push(f);
                            }
                        }
                        for (at in alone) {
                            var fs = alone[at];
                            key = fs.length > 1 ? "s" + at + ":" + fs.length : "p" + fs[0].i;
                            next[key] = shown[key]
                                || (fs.length > 1 ? stack(fs) : incident(fs[0]));
                        }
                        for (key in shown) {
                            if (!next[key]) { group.removeLayer(shown[key]); }
                        }
                        for (key in next) {
                            if (!shown[key]) { group.addLayer(next[key]); }
                        }
                        shown = next;
                    },
                    onAdd: function (map) {
                        if (!map.getPane("dz-incidents")) {
                            map.createPane("dz-incidents").style.zIndex = 610;
                        }
                        group.addTo(map);
                        map.on("moveend", this.draw, this);
                        this.draw();
                    },
                    onRemove: function (map) {
                        map.off("moveend", this.draw, this);
                        map.removeLayer(group);
                        group.clearLayers();
                        shown = {};
                    }
                });
                new Clusters().addTo({{ this._parent.get_name() }});
            })();
        {% endmacro %}
        """
    )
    default_js = [("supercluster", "/app/static/vendor/supercluster/supercluster.min.js")]
    default_css = [
        (
            "markerclusterdefaultcss",
            "/app/static/vendor/leaflet.markercluster/MarkerCluster.Default.css",
        ),
    ]

    def __init__(self, part: pd.DataFrame, step: float = 0.001) -> None:
        super().__init__()
        self._name = "CompactIncidentCluster"
        # one pass in C, not a Python loop over the rows (0.5 s for 100k incidents)
        codes, uniques = pd.factorize(part["kind"], sort=True, use_na_sentinel=False)
        kinds = [str(k) for k in uniques]
        lat = part["lat"].to_numpy(dtype=float)
        lon = part["lon"].to_numpy(dtype=float)
        days = (
            part["occurred"].dt.tz_convert(schema.DAMASCUS).dt.tz_localize(None).dt.normalize()
            - pd.Timestamp("1970-01-01")
        ).dt.days.to_numpy()
        lat0, lon0, day0 = float(lat.min()), float(lon.min()), int(days.min())
        self.base = script_json([round(lat0, 6), round(lon0, 6), day0, step])
        self.kinds = script_json([[esc(k), kind_color(k)] for k in kinds])
        self.columns = script_json(
            [
                _packed(np.round((lat - lat0) / step)),
                _packed(np.round((lon - lon0) / step)),
                _packed(codes),
                _packed(days - day0),
            ]
        )


def _packed(values: np.ndarray) -> list[str]:
    """Non-negative integers as [type, base64 of their little-endian bytes] (u1, u2 or u4)."""
    values = np.asarray(values, dtype=np.int64)
    top = int(values.max()) if len(values) else 0
    code = "u1" if top < 1 << 8 else "u2" if top < 1 << 16 else "u4"
    return [code, base64.b64encode(values.astype(f"<{code}").tobytes()).decode("ascii")]


#: The columns of the incidents a CompactIncidentCluster reads.
_CLUSTER_COLUMNS = ["violation_id", "lat", "lon", "kind", "occurred"]


def _clustered_markers(part: pd.DataFrame) -> CompactIncidentCluster:
    """Many incidents: clustered in the browser, with a short tooltip on each single one."""
    return CompactIncidentCluster(part)


def dynamic_layers(
    timeline: Timeline,
    status: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    focus: str | None = None,
    lang: str = "en",
) -> list[folium.FeatureGroup]:
    """The layers that change with the instant: zones (with their labels), then incidents.

    ``lang`` (``"en"`` or ``"ar"``) chooses the names on the zone labels.
    """
    zones = zone_layer(timeline, status, incidents, focus=focus, lang=lang)
    return [zones, *incident_layers(incidents)]


# --- the base map ----------------------------------------------------------------------------


def base_map(
    bounds: Bounds,
    *,
    basemap: str = "none",
    reference: Sequence[ReferenceLayer] = (),
    kinds: Iterable[str] | None = None,
    height: str = "100%",
    places: pd.DataFrame | None = None,
    lang: str = "en",
    filtered: str | None = None,
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
    height
        The map's CSS height.
    places
        A gazetteer (:func:`geo.places.load_places`): its towns become the "Towns" overlay,
        dots with names. None for no towns.
    lang
        ``"en"`` or ``"ar"``: the language of the towns' names.
    filtered
        The active filters in words, marked in the legend (:func:`legend`); None: unfiltered.
    """
    if basemap not in BASEMAPS:
        raise ValueError(f"unknown base map {basemap!r}; use one of {', '.join(BASEMAPS)}")
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
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
    _MapFurniture().add_to(m)
    for layer in reference:
        _reference_layer(layer).add_to(m)
    if places is not None and len(places):
        TownsLayer(places, lang=lang).add_to(m)
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    if kinds is not None:
        legend(kinds, filtered=filtered).add_to(m)
    m.get_root().header.add_child(folium.Element(f"<style>{MAP_CSS}</style>"))
    fit = folium.map.FitBounds([[y0, x0], [y1, x1]])
    fit.options["animate"] = False  # the first view at once, not after a zoom animation
    m.add_child(fit)
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
                // the zones' names keep clear of these (see ZoneLabels)
                map.__dzCountryLabels = marks;
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


def legend(kinds: Iterable[str], filtered: str | None = None) -> MacroElement:
    """A Leaflet control naming the status colours and the incident kinds shown.

    With ``filtered`` (the active filters in words), the folded button reads "Legend
    (filtered)" and the open legend starts with a "Filtered: ..." line, so a map that hides
    incidents never passes for the whole picture.

    It collapses to a small "Legend" button (click to toggle; it starts collapsed on a map
    narrower than 700 px). It never covers a popup: when a popup opens the legend collapses
    (and opens again when the popup closes), and Leaflet pans every popup clear of the
    folded legend's corner; opening the legend by hand closes the popup.
    """
    status_rows = "".join(
        f'<div class="dz-legend-row" data-status="{esc(s)}">'
        f'<span class="dz-swatch{" dz-swatch-hatched" if s in HATCHED_STATUSES else ""}" '
        f'style="background-color:{STATUS_COLORS[s]}"></span>{esc(STATUS_LABELS[s])}</div>'
        for s in STATUS_COLORS
    )
    kind_rows = "".join(
        f'<div><span class="dz-dot" style="background:{kind_color(k)}"></span>{esc(k)}</div>'
        for k in sorted(set(kinds))
    )
    mark = (
        '<div class="dz-legend-filtered" style="margin-bottom:4px;max-width:18em">'
        f"<b>Filtered:</b> {esc(filtered)}</div>"
        if filtered
        else ""
    )
    body = (
        '<button type="button" class="dz-legend-toggle" aria-expanded="true" data-label="'
        + ("Legend (filtered)" if filtered else "Legend")
        + '">'
        + ("Legend (filtered)" if filtered else "Legend")
        + "</button>"
        f'<div class="dz-legend">{mark}<b>Zone status</b>{status_rows}'
        + (f"<b>Incidents</b>{kind_rows}" if kind_rows else "")
        + "</div>"
    )
    return _Legend(body)


class _Legend(MacroElement):
    """The legend control of :func:`legend`; ``body`` is its HTML (escaped already)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var map = {{ this._parent.get_name() }};
                var legend = L.control({position: "bottomright"});
                legend.onAdd = function () {
                    var div = L.DomUtil.create("div", "dz-legend-box");
                    div.innerHTML = {{ this.body_json }};
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.disableScrollPropagation(div);
                    var button = div.querySelector(".dz-legend-toggle"), auto = false;
                    function show(open) {
                        div.classList.toggle("dz-collapsed", !open);
                        button.setAttribute("aria-expanded", open ? "true" : "false");
                        button.textContent = button.getAttribute("data-label") +
                            (open ? " \\u25be" : " \\u25b8");
                    }
                    function isOpen() { return !div.classList.contains("dz-collapsed"); }
                    button.addEventListener("click", function () {
                        var open = !isOpen();
                        auto = false;
                        if (open) { map.closePopup(); }
                        show(open);
                    });
                    map.on("popupopen", function () {
                        if (isOpen()) { show(false); auto = true; }
                    });
                    map.on("popupclose", function () {
                        if (auto) { auto = false; show(true); }
                    });
                    // Leaflet pans a new popup into the map less this padding at the bottom
                    // and right: the folded legend's corner, so no popup reaches under it.
                    // Measured when Leaflet reads it, as the popup opens.
                    Object.defineProperty(L.Popup.prototype.options, "autoPanPaddingBottomRight", {
                        configurable: true,
                        get: function () {
                            if (!div.isConnected) { return undefined; }
                            var open = isOpen();
                            show(false);
                            var box = div.getBoundingClientRect();
                            var frame = map.getContainer().getBoundingClientRect();
                            show(open);
                            if (!box.width) { return undefined; }
                            return L.point(Math.ceil(frame.right - box.left + 8),
                                           Math.ceil(frame.bottom - box.top + 8));
                        }
                    });
                    show(map.getSize().x >= 700);
                    return div;
                };
                legend.addTo(map);
            })();
        {% endmacro %}
        """
    )

    def __init__(self, body: str) -> None:
        super().__init__()
        self._name = "Legend"
        # a value, never part of the template's source: data text is not Jinja
        self.body_json = script_json(body)


def _hatch_css() -> str:
    """CSS that fills the hatched statuses' zones with their stripe pattern."""
    rules = []
    for status in sorted(HATCHED_STATUSES):
        color = STATUS_COLORS[status]
        rules.append(
            f".leaflet-container path.dz-hatched.dz-status-{status}"
            f"{{fill:url(#dz-hatch-{status})}}"
            f".dz-swatch-hatched{{background-image:repeating-linear-gradient(135deg,"
            f"{color} 0 3px,{HATCH_COLOR} 3px 4.5px)}}"
        )
    return "".join(rules)


#: Styles for popups, labels and the legend, added to the page once.
MAP_CSS = (
    """
.dz-legend-box{background:rgba(255,255,255,.92);padding:4px 8px;border-radius:4px;
font:12px/1.35 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:300px}
.dz-legend-toggle{font:600 12px/1.2 sans-serif;border:0;background:none;padding:2px 0;
cursor:pointer;color:#111827}
.dz-legend-box.dz-collapsed .dz-legend{display:none}
.dz-swatch{display:inline-block;width:14px;height:10px;margin-right:6px;opacity:.8;
vertical-align:middle}
.dz-dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px}
.dz-popup h4{margin:0 0 2px 0}.dz-popup ul{padding-left:16px;margin:2px 0 6px 0}
.leaflet-popup-content{max-width:calc(100cqw - 72px);overflow-wrap:anywhere}
.dz-ar{font-size:14px;margin-bottom:4px}.dz-status{color:#fff;padding:1px 6px;border-radius:3px}
.dz-zone-label-icon,.dz-town-label-icon{background:none;border:0}
"""
    + _hatch_css()
    + "\n"
)


class _MapFurniture(MacroElement):
    """What every map's own drawing needs: hatch patterns, and the app's moves made at once.

    Moves the app asks for are made and reported at once (see the script's comment). The
    patterns live in a hidden SVG of the map's container; :data:`MAP_CSS` points the
    hatched zones' fill at them, so a zone path keeps its status colour as its ``fill``
    attribute and shows stripes over it. The same for every map: the script never changes.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var map = {{ this._parent.get_name() }};
                var ns = "http://www.w3.org/2000/svg";
                var svg = document.createElementNS(ns, "svg");
                svg.setAttribute("width", "0");
                svg.setAttribute("height", "0");
                svg.setAttribute("aria-hidden", "true");
                svg.style.position = "absolute";
                svg.innerHTML = {{ this.defs }};
                map.getContainer().appendChild(svg);
                // The app moves the map to a newly focused zone with setView(center, zoom)
                // and no options: go there at once (Leaflet would animate the zoom for
                // 250 ms) and say so with a "dz:appmove" event, on which the app's map
                // component reports the new extent at once (it waits 250 ms after the
                // reader's own moves, which keep their animation).
                map.setView = function (center, zoom, options) {
                    var moved = L.Map.prototype.setView.call(
                        this, center, zoom, options === undefined ? {animate: false} : options);
                    if (options === undefined) { this.fire("dz:appmove"); }
                    return moved;
                };
            })();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapFurniture"
        patterns = "".join(
            f'<pattern id="dz-hatch-{status}" patternUnits="userSpaceOnUse" width="8" '
            f'height="8" patternTransform="rotate(45)"><rect width="8" height="8" '
            f'fill="{STATUS_COLORS[status]}"/><rect width="3" height="8" '
            f'fill="{HATCH_COLOR}" fill-opacity="0.8"/></pattern>'
            for status in sorted(HATCHED_STATUSES)
        )
        self.defs = script_json(f"<defs>{patterns}</defs>")


class TownsLayer(folium.map.Layer):
    """The towns of a gazetteer (:mod:`geo.places`): a dot and a name each.

    An overlay in the layer control ("Towns"). Dots and names take no mouse events. Names
    are in English or Arabic; at every zoom, a name that would overlap one shown before it
    (in the gazetteer's order) or a zone's name is hidden, so the layer stays legible at
    national zoom and names every town when zoomed in. Dots are ``path.dz-town``, names
    ``span.dz-town-label`` with ``data-pcode``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function () {
                var d = {{ this.data }};
                var Towns = L.Layer.extend({
                    onAdd: function (map) {
                        [["dz-towns", 450], ["dz-town-labels", 455]].forEach(function (p) {
                            if (!map.getPane(p[0])) {
                                var pane = map.createPane(p[0]);
                                pane.style.zIndex = p[1];
                                pane.style.pointerEvents = "none";
                            }
                        });
                        var layer = this._layer = L.layerGroup();
                        this._names = d.map(function (t) {
                            L.circleMarker([t[0], t[1]], {
                                pane: "dz-towns", radius: 2.5, weight: 1, color: "#1f2937",
                                fill: true, fillColor: "#ffffff", fillOpacity: 1,
                                interactive: false, className: "dz-town"
                            }).addTo(layer);
                            var dir = t[4] ? ' dir="rtl" lang="ar"' : "";
                            return L.marker([t[0], t[1]], {
                                pane: "dz-town-labels", interactive: false, keyboard: false,
                                icon: L.divIcon({
                                    className: "dz-town-label-icon", iconSize: null,
                                    html: '<span class="dz-town-label" data-pcode="' + t[3] +
                                        '"' + dir + ' style="display:inline-block;' +
                                        "white-space:nowrap;font:11px/1.1 sans-serif;" +
                                        "color:#1f2937;text-shadow:0 0 2px #fff,0 0 3px #fff;" +
                                        'transform:translate(5px,-50%)">' + t[2] + "</span>"
                                })
                            }).addTo(layer);
                        });
                        layer.addTo(map);
                        map.on("zoomend resize dz:zonelabels", this._declutter, this);
                        map.whenReady(this._declutter, this);
                    },
                    onRemove: function (map) {
                        map.off("zoomend resize dz:zonelabels", this._declutter, this);
                        map.removeLayer(this._layer);
                    },
                    _declutter: function () {
                        // computed rectangles (container pixels), as for the zones' names
                        var map = this._map, shown = (map.__dzZoneLabels || []).slice();
                        this._names.forEach(function (m) {
                            var el = m.getElement(), span = el && el.firstChild;
                            if (!span) { return; }
                            var p = map.latLngToContainerPoint(m.getLatLng());
                            var w = span.offsetWidth, h = span.offsetHeight;
                            var r = [p.x + 5, p.y - h / 2, p.x + 5 + w, p.y + h / 2];
                            var clash = shown.some(function (s) {
                                return !(r[2] + 2 <= s[0] || r[0] >= s[2] + 2 ||
                                         r[3] <= s[1] || r[1] >= s[3]);
                            });
                            span.style.visibility = clash ? "hidden" : "";
                            if (!clash) { shown.push(r); }
                        });
                    }
                });
                return new Towns();
            })();
        {% endmacro %}
        """
    )

    def __init__(self, places: pd.DataFrame, *, lang: str = "en") -> None:
        super().__init__(name="Towns (OCHA places)", overlay=True, control=True, show=True)
        self._name = "TownsLayer"
        rows = []
        for pcode, name_en, name_ar, lat, lon in zip(
            places["pcode"],
            places["name_en"],
            places["name_ar"],
            places["lat"],
            places["lon"],
            strict=True,
        ):
            rtl = lang == "ar" and bool(str(name_ar or "").strip())
            text = name_ar if rtl else name_en
            rows.append(
                [round(float(lat), 5), round(float(lon), 5), esc(text), esc(pcode), int(rtl)]
            )
        self.data = script_json(rows)


def snapshot_map(
    timeline: Timeline,
    status: pd.DataFrame,
    incidents: pd.DataFrame,
    bounds: Bounds,
    *,
    basemap: str = "none",
    reference: Sequence[ReferenceLayer] = (),
    focus: str | None = None,
    places: pd.DataFrame | None = None,
    lang: str = "en",
) -> folium.Map:
    """A whole map at one instant: base, zones, incidents, legend and layer control.

    ``places`` (a gazetteer, :func:`geo.places.load_places`) adds the Towns layer; ``lang``
    chooses the language of the zone and town labels.
    """
    kinds = incidents["kind"].astype(str) if len(incidents) else []
    m = base_map(
        bounds, basemap=basemap, reference=reference, kinds=kinds, places=places, lang=lang
    )
    for group in dynamic_layers(timeline, status, incidents, focus=focus, lang=lang):
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
    # at zoom z the world is 256 * 2**z pixels wide: choose the zoom at which the zone's
    # outlines span about ZONE_SPAN_PX (room for its name inside it, and a margin around)
    zoom = int(np.clip(np.floor(np.log2(360 / span * ZONE_SPAN_PX / 256)), 5, 14))
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
