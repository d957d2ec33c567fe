"""The checks every polygon layer must pass: GeoJSON structure and geometry.

These checks know RFC 7946 and nothing about zones: types, members, nesting, rings, ranges,
swapped axes, validity, winding and the legacy ``crs`` member. What passes is turned into
shapely geometries. The zone rules (properties, dates, versions) are in
:mod:`geo.validate.zones`.

The same checks run on a file's features and on features held in memory; only the place given
to them differs (see :mod:`geo.validate.location`): the words of a place in a file, or a
:class:`~geo.validate.location.Location` that each check narrows to the part, ring and vertex
where the problem is.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo.errors import Report
from geo.geojson import GEOMETRY_TYPES, POLYGON_TYPES, WGS84_NAMES, ParsedText, json_type
from geo.schema import REGION, REGION_NAME
from geo.validate.location import Location, Where, record
from geo.validate.text import printable, text_problem

# Members that change an object's meaning when they appear on the wrong kind (RFC 7946 7.1).
_FORBIDDEN = {
    "FeatureCollection": ("coordinates", "geometries", "geometry", "properties"),
    "Feature": ("coordinates", "geometries", "features"),
    "geometry": ("geometry", "properties", "features"),
}
_MAX_EXAMPLES = 3
_BBOX_ORDER = (
    "write [west, south, east, north] (with heights: [west, south, lowest, east, north, highest])"
)
# The point shapely gives after the reason: "Self-intersection[36.4 33.575]".
_REASON_POINT = re.compile(r"\[(\S+) (\S+)(?: \S+)?\]$")


@dataclass
class FeatureInfo:
    """One feature (or the bare geometry of the document) after the structural checks."""

    index: int | None
    line: int
    where: str
    properties: dict[str, Any] | None
    geometry: BaseGeometry | None
    feature_id: Any = None
    #: For a feature held in memory, where it is (``where`` holds the same in words).
    location: Location | None = None

    @property
    def site(self) -> Where:
        """Where problems of this feature are placed: its location, or its place in a file."""
        return self.location if self.location is not None else self.where


Bounds = tuple[float, float, float, float]


def region_test(lon: Any, lat: Any, region: Bounds = REGION) -> tuple[Any, Any]:
    """Tell whether positions lie in the region, and whether they look swapped.

    The one test of where a position lies, used for zone outlines, violation records and
    imported events alike. It works on single numbers and, element by element, on numpy
    arrays and pandas Series (where a missing value counts as neither).

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees: numbers, or arrays/Series of the same length.
    region
        ``(min_lon, min_lat, max_lon, max_lat)``; Syria and its borders by default.

    Returns
    -------
    inside, swapped
        Whether each position lies in the region; and whether it lies outside but would lie
        inside with longitude and latitude exchanged (the two were swapped).
    """
    x0, y0, x1, y1 = region
    inside = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    exchanged = (lat >= x0) & (lat <= x1) & (lon >= y0) & (lon <= y1)
    if isinstance(inside, bool):
        return inside, exchanged and not inside
    return inside, exchanged & ~inside


def _strings(value: Any) -> list[str]:
    """Every string in a property value, nested arrays and objects included (keys too)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (key, *_strings(item))]
    return []


def _is_number(value: Any) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


class GeoJSONChecker:
    """Structural and geometric checks of one GeoJSON document.

    Parameters
    ----------
    path
        The file name used in messages.
    report
        Where problems go.
    region
        Where positions are expected (min_lon, min_lat, max_lon, max_lat).
    """

    def __init__(
        self,
        path: str,
        report: Report,
        region: Bounds = REGION,
    ) -> None:
        self.path = path
        self.report = report
        self.region = region

    # -- helpers --------------------------------------------------------------------------

    def _error(self, where: Where, message: str, code: str, **at: int | None) -> None:
        record(self.report, self.path, where, "error", message, code, **at)

    def _warning(self, where: Where, message: str, code: str, **at: int | None) -> None:
        record(self.report, self.path, where, "warning", message, code, **at)

    def _check_bbox(self, obj: dict[str, Any], where: Where) -> list[float] | None:
        """Check a ``bbox`` member's form and order; return it when it can be compared."""
        if "bbox" not in obj:
            return None
        bbox = obj["bbox"]
        if not isinstance(bbox, list):
            self._error(where, f"bbox must be an array of numbers, found {json_type(bbox)}", "bbox")
        elif not all(_is_number(v) for v in bbox):
            self._error(where, "every element of bbox must be a number", "bbox")
        elif len(bbox) not in (4, 6):
            self._error(
                where,
                f"bbox must have 4 numbers (2D) or 6 (3D), found {len(bbox)}; "
                "or remove it: dezmap does not need it",
                "bbox",
            )
        else:
            half = len(bbox) // 2
            west, south, east, north = bbox[0], bbox[1], bbox[half], bbox[half + 1]
            wrong = None
            if south > north and west > east:
                wrong = "is in the wrong order: it gives the north-east corner first"
            elif south > north:
                wrong = (
                    f"is in the wrong order: its south ({south}) is north of its north ({north})"
                )
            elif half == 3 and bbox[2] > bbox[5]:
                wrong = (
                    f"is in the wrong order: its lowest height ({bbox[2]}) is above its highest "
                    f"({bbox[5]})"
                )
            if wrong is None:
                return bbox
            self._error(where, f"bbox {bbox} {wrong}; {_BBOX_ORDER}", "bbox")
        return None

    def _check_bbox_contains(
        self, bbox: list[float] | None, shapes: list[BaseGeometry], where: Where
    ) -> None:
        """Check that a bbox holds every position of the geometries it summarises."""
        if bbox is None or not shapes:
            return
        xy = np.concatenate([shapely.get_coordinates(g) for g in shapes])
        half = len(bbox) // 2
        west, south, east, north = bbox[0], bbox[1], bbox[half], bbox[half + 1]
        inside_y = (xy[:, 1] >= south) & (xy[:, 1] <= north)
        if west <= east:
            inside = inside_y & (xy[:, 0] >= west) & (xy[:, 0] <= east)
        else:  # RFC 7946 5.2: a bbox whose west is east of its east crosses the antimeridian
            inside = inside_y & ((xy[:, 0] >= west) | (xy[:, 0] <= east))
        outside = np.flatnonzero(~inside)
        if not len(outside):
            return
        x, y = (float(v) for v in xy[outside[0]])
        if west > east and not ((xy[:, 0] >= west).any() and (xy[:, 0] <= east).any()):
            detail = (
                f"its west ({west}) is east of its east ({east}), which RFC 7946 reads as "
                "crossing the antimeridian, but the geometry does not cross it"
            )
        else:
            detail = f"{len(outside)} position(s) lie outside it, the first [{x:g}, {y:g}]"
        self._error(
            where,
            f"bbox {bbox} does not contain the geometry: {detail}; correct it or remove it "
            f"(dezmap does not need it): {_BBOX_ORDER}",
            "bbox",
        )

    def _check_characters(self, props: dict[str, Any], where: Where) -> None:
        """Report lone surrogates and control characters in property names and text values."""
        for name, value in props.items():
            found = text_problem(name)
            if found is not None:
                self._error(where, f"a property name ({ascii(name)}) {found[1]}", found[0])
                continue
            for text in _strings(value):
                found = text_problem(text)
                if found is not None:
                    self._error(where, f"property {name!r} {found[1]}", found[0])
                    break

    def _check_forbidden(self, obj: dict[str, Any], kind: str, where: Where) -> None:
        for member in _FORBIDDEN[kind]:
            if member in obj:
                self._error(
                    where,
                    f"a {kind} object must not have a {member!r} member (RFC 7946 7.1); "
                    "remove it or fix the object's type",
                    "forbidden-member",
                )

    def check_crs(self, obj: dict[str, Any], where: Where) -> None:
        """Flag a legacy ``crs`` member: a warning if it names WGS84, else an error."""
        if "crs" not in obj:
            return
        crs = obj["crs"]
        name = None
        if isinstance(crs, dict) and isinstance(crs.get("properties"), dict):
            name = crs["properties"].get("name")
        if crs is None or name is None or (isinstance(name, str) and name.lower() in WGS84_NAMES):
            said = f" ({name})" if name else ""
            self._warning(
                where,
                f"legacy 'crs' member{said}: RFC 7946 removed it and coordinates are always "
                "WGS84 longitude/latitude; `dezmap fmt` removes it",
                "crs-member",
            )
        else:
            self._error(
                where,
                f"'crs' member names {name!r}: coordinates in another reference system cannot be "
                "used; re-export the file as WGS84 longitude/latitude (EPSG:4326), for example "
                "with QGIS 'Export > Save Features As' and CRS EPSG:4326",
                "crs-not-wgs84",
            )

    # -- documents ------------------------------------------------------------------------

    def check_document(self, parsed: ParsedText, *, require_collection: bool) -> list[FeatureInfo]:
        """Check a whole document and return its features (usable geometry or None)."""
        doc = parsed.doc
        if not isinstance(doc, dict):
            self._error(
                "top level",
                "the file must hold a GeoJSON object (a FeatureCollection), found "
                f"{json_type(doc)}",
                "not-feature-collection",
            )
            return []
        type_line = parsed.member_lines.get("type", 1)
        top = f"top level, line {type_line}"
        kind = doc.get("type")
        if "type" not in doc:
            self._error(
                top,
                "'type' member required; a zones file starts with "
                '{"type": "FeatureCollection", "features": [...]}',
                "missing-type",
            )
            return []
        if not isinstance(kind, str):
            self._error(top, f"'type' must be a string, found {json_type(kind)}", "bad-type")
            return []
        self.check_crs(doc, f"top level, line {parsed.member_lines.get('crs', 1)}")
        if kind == "FeatureCollection":
            return self._check_collection(doc, parsed, top)
        if kind.lower() == "featurecollection":
            self._error(
                top,
                f"type is {kind!r}; GeoJSON types are case sensitive: write 'FeatureCollection'",
                "bad-type",
            )
            return []
        if require_collection:
            self._error(
                top,
                f"a zones file must be a FeatureCollection, found a {kind!r} object; wrap it as "
                '{"type": "FeatureCollection", "features": [...]}',
                "not-feature-collection",
            )
            return []
        if kind == "Feature":
            info = self._check_feature(doc, None, 1, "feature, line 1")
            return [info] if info else []
        geom = self.check_geometry(doc, "geometry, line 1")
        return [FeatureInfo(None, 1, "geometry, line 1", None, geom)]

    def _check_collection(
        self, doc: dict[str, Any], parsed: ParsedText, top: str
    ) -> list[FeatureInfo]:
        self._check_forbidden(doc, "FeatureCollection", top)
        bbox = self._check_bbox(doc, top)
        if "features" not in doc:
            self._error(top, "'features' member required: the array of zones", "missing-features")
            return []
        features = doc["features"]
        if not isinstance(features, list):
            self._error(
                f"top level, line {parsed.member_lines.get('features', 1)}",
                f"'features' must be an array, found {json_type(features)}",
                "bad-features",
            )
            return []
        if not features:
            self._error(
                f"top level, line {parsed.member_lines.get('features', 1)}",
                "the collection holds no features: zones must be polygons, and there is none",
                "no-features",
            )
            return []
        lines = parsed.feature_lines or [parsed.member_lines.get("features", 1)] * len(features)
        infos = []
        for i, feature in enumerate(features):
            info = self._check_feature(feature, i, lines[i], f"feature {i}, line {lines[i]}")
            if info is not None:
                infos.append(info)
        shapes = [info.geometry for info in infos if info.geometry is not None]
        self._check_bbox_contains(bbox, shapes, top)
        return infos

    def check_feature(self, feature: Any, location: Location) -> FeatureInfo | None:
        """Check one feature held in memory; problems are placed at ``location``.

        Parameters
        ----------
        feature
            A GeoJSON Feature of plain JSON values (dicts, lists, strings, numbers).
        location
            Where the feature is (see :func:`geo.validate.location.feature_location`).

        Returns
        -------
        FeatureInfo or None
            The feature's properties and geometry (None when unusable); None when the
            feature is not an object.
        """
        return self._check_feature(feature, location.feature, 0, location)

    def _check_feature(
        self, feature: Any, index: int | None, line: int, where: Where
    ) -> FeatureInfo | None:
        if not isinstance(feature, dict):
            self._error(
                where, f"every feature must be an object, found {json_type(feature)}", "bad-feature"
            )
            return None
        props = feature.get("properties")
        zone_id = props.get("zone_id") if isinstance(props, dict) else None
        if isinstance(where, str) and isinstance(zone_id, str) and zone_id and index is not None:
            where = f"feature {index} (zone_id={printable(zone_id[:60])}), line {line}"
        kind = feature.get("type")
        if kind != "Feature":
            hint = (
                " (GeoJSON types are case sensitive)"
                if isinstance(kind, str) and kind.lower() == "feature"
                else ""
            )
            found = (
                repr(kind)
                if isinstance(kind, str)
                else json_type(kind)
                if "type" in feature
                else "nothing"
            )
            self._error(
                where, f"a feature's type must be 'Feature', found {found}{hint}", "bad-type"
            )
        self._check_forbidden(feature, "Feature", where)
        bbox = self._check_bbox(feature, where)
        self.check_crs(feature, where)
        if "id" in feature and not (isinstance(feature["id"], str) or _is_number(feature["id"])):
            self._error(
                where,
                f"a feature's 'id' must be a string or a number, found {json_type(feature['id'])}",
                "bad-id",
            )
        if "properties" not in feature:
            self._error(
                where, "'properties' member required (an object, or null)", "missing-properties"
            )
        elif props is not None and not isinstance(props, dict):
            self._error(
                where, f"'properties' must be an object, found {json_type(props)}", "bad-properties"
            )
            props = None
        if props is not None:
            self._check_characters(props, where)
        if "geometry" not in feature:
            self._error(where, "'geometry' member required: the zone's outline", "missing-geometry")
            geom = None
        else:
            geom = self.check_geometry(feature["geometry"], where)
        if geom is not None:
            self._check_bbox_contains(bbox, [geom], where)
        location = where if isinstance(where, Location) else None
        return FeatureInfo(index, line, str(where), props, geom, feature.get("id"), location)

    # -- geometry -------------------------------------------------------------------------

    def check_geometry(self, geometry: Any, where: Where) -> BaseGeometry | None:
        """Check one geometry object; return it as shapely when it is a usable polygon."""
        if geometry is None:
            self._error(
                where,
                "geometry is null: zones must be polygons; draw the outline or remove the feature",
                "null-geometry",
            )
            return None
        if not isinstance(geometry, dict):
            self._error(
                where, f"geometry must be an object, found {json_type(geometry)}", "bad-geometry"
            )
            return None
        kind = geometry.get("type")
        if "type" not in geometry:
            self._error(
                where,
                "geometry has no 'type' member; zones must be polygons: "
                'write "type": "Polygon" or "MultiPolygon"',
                "missing-type",
            )
            return None
        if not isinstance(kind, str):
            self._error(
                where, f"geometry 'type' must be a string, found {json_type(kind)}", "bad-type"
            )
            return None
        self._check_forbidden(geometry, "geometry", where)
        bbox = self._check_bbox(geometry, where)
        self.check_crs(geometry, where)
        if kind not in GEOMETRY_TYPES:
            match = [t for t in GEOMETRY_TYPES if t.lower() == kind.lower()]
            hint = (
                f"; GeoJSON types are case sensitive: write {match[0]!r}"
                if match
                else "; zones must be polygons: use 'Polygon' or 'MultiPolygon'"
            )
            self._error(where, f"unknown geometry type {kind!r}{hint}", "bad-type")
            return None
        if kind not in POLYGON_TYPES:
            self._error(
                where,
                f"geometry is a {kind}: zones must be polygons (Polygon or MultiPolygon); "
                "draw the zone as an area",
                "not-polygon",
            )
            return None
        if "coordinates" not in geometry:
            self._error(where, f"{kind} has no 'coordinates' member", "missing-coordinates")
            return None
        coords = geometry["coordinates"]
        if not isinstance(coords, list):
            self._error(
                where,
                f"'coordinates' must be an array, found {json_type(coords)}",
                "bad-coordinates",
            )
            return None
        if not coords:
            self._error(
                where,
                f"{kind} is empty (no coordinates): zones must be polygons with "
                "an outline; draw it or remove the feature",
                "empty-geometry",
            )
            return None
        polygons = [coords] if kind == "Polygon" else coords
        failures = 0
        stats = _PositionStats()
        for p, rings in enumerate(polygons):
            label = "" if kind == "Polygon" else f"polygon {p + 1}, "
            if not isinstance(rings, list) or not rings:
                failures += 1
                if failures <= _MAX_EXAMPLES:
                    found = json_type(rings) if rings != [] else "an empty array"
                    self._error(
                        where,
                        f"{label}expected an array of rings, found {found}",
                        "bad-nesting",
                        part=p + 1,
                    )
                continue
            for r, ring in enumerate(rings):
                ring_name = f"{label}{'exterior ring' if r == 0 else f'hole {r}'}"
                quiet = failures >= _MAX_EXAMPLES
                at = {"part": p + 1, "ring": r}
                if not self._check_ring(ring, ring_name, where, stats, at, quiet=quiet):
                    failures += 1
        if failures > _MAX_EXAMPLES:
            self._error(
                where,
                f"{failures - _MAX_EXAMPLES} more ring(s) of this geometry have "
                "problems like those above",
                "bad-nesting",
            )
        if failures:
            return None
        stats.classify(self.region)
        self._report_positions(stats, where)
        if stats.out_of_range or self._crosses_antimeridian(stats, where):
            return None
        try:
            # the outline is flat: heights and any further numbers (a warning above) are dropped
            flat = [[[pos[:2] for pos in ring] for ring in rings] for rings in polygons]
            polys = [Polygon(rings[0], rings[1:]) for rings in flat]
        except (ValueError, TypeError, shapely.errors.GEOSException) as exc:
            self._error(where, f"the outline cannot be built: {exc}", "bad-geometry")
            return None
        shape: BaseGeometry = polys[0] if kind == "Polygon" else MultiPolygon(polys)
        self._check_validity(shape, where, polygons)
        self._check_winding(polys, kind, where)
        self._check_bbox_contains(bbox, [shape], where)
        return shape

    def _check_ring(
        self,
        ring: Any,
        name: str,
        where: Where,
        stats: _PositionStats,
        at: dict[str, int],
        *,
        quiet: bool = False,
    ) -> bool:
        """Check one ring; report its first problem unless ``quiet``; True when usable.

        ``at`` is the ring's part (from 1) and index (0 for the exterior), for locations in
        memory.
        """
        if quiet:
            return _ring_ok(ring)
        if not isinstance(ring, list):
            self._error(
                where,
                f"{name}: a number was found where a ring (an array of "
                "positions) should be; this needs to be nested more deeply",
                "bad-nesting",
                **at,
            )
            return False
        bad = 0
        stats.start_ring(name, at["part"], at["ring"])
        for v, pos in enumerate(ring):
            if not isinstance(pos, list):
                self._error(
                    where,
                    f"{name}: {json_type(pos)} was found where a position [longitude, latitude] "
                    "should be; this needs to be nested more deeply",
                    "bad-nesting",
                    vertex=v,
                    **at,
                )
                return False
            if len(pos) < 2:
                self._error(
                    where,
                    f"{name}: position {pos!r} has {len(pos)} element(s); a "
                    "position needs [longitude, latitude]",
                    "bad-position",
                    vertex=v,
                    **at,
                )
                return False
            if not all(_is_number(x) for x in pos):
                bad += 1
                if bad == 1:
                    self._error(
                        where,
                        f"{name}: every element of a position must be a number, found {pos!r}",
                        "bad-position",
                        vertex=v,
                        **at,
                    )
                continue
            if len(pos) > 3:
                stats.add_too_long()
            stats.add(pos[0], pos[1])
        if bad:
            return False
        if len(ring) < 4:
            self._error(
                where,
                f"{name} has {len(ring)} positions; a ring needs at least 4 "
                "(three corners and the first one repeated at the end)",
                "short-ring",
                **at,
            )
            return False
        if ring[0] != ring[-1]:
            self._error(
                where,
                f"{name} is not closed: the last position {ring[-1]!r} differs from the first "
                f"{ring[0]!r}; repeat the first position at the end",
                "unclosed-ring",
                vertex=len(ring) - 1,
                **at,
            )
            return False
        return True

    def _report_positions(self, stats: _PositionStats, where: Where) -> None:
        if stats.too_long:
            self._warning(
                where,
                f"{stats.too_long} position(s) have more than 3 elements; only "
                "longitude, latitude and an optional height are allowed: the outline is read "
                "from the first two (keep other values, such as a time, in the properties)",
                "position-size",
                **stats.at(stats.first_too_long),
            )
        if stats.out_of_range and stats.swapped_in == stats.out_of_range:
            self._error(
                where, _swap_message(stats), "swapped-coordinates", **stats.at(stats.first_swap)
            )
        elif stats.out_of_range:
            lon, lat, name = stats.example_range
            self._error(
                where,
                f"{stats.out_of_range} position(s) are out of range "
                f"(first: {name}, [{lon}, {lat}]); "
                "longitude must lie in [-180, 180] and latitude in [-90, 90], written "
                "[longitude, latitude] in WGS84 degrees",
                "out-of-range",
                **stats.at(stats.first_range),
            )
        elif stats.outside and stats.swapped_in == stats.outside:
            self._error(
                where, _swap_message(stats), "swapped-coordinates", **stats.at(stats.first_swap)
            )
        elif stats.outside:
            lon, lat, name = stats.example_outside
            self._warning(
                where,
                f"{stats.outside} of {stats.total} position(s) lie outside {REGION_NAME} "
                f"(first: {name}, [{lon}, {lat}]); check that this is the right place",
                "outside-region",
                **stats.at(stats.first_outside),
            )

    def _crosses_antimeridian(self, stats: _PositionStats, where: Where) -> bool:
        """Report an edge that spans more than half the globe (it crosses the antimeridian)."""
        lons = np.array(stats.lons, dtype="float64")
        starts = [r[0] for r in stats.rings] + [len(lons)]
        for begin, end in zip(starts, starts[1:], strict=False):
            jumps = np.flatnonzero(np.abs(np.diff(lons[begin:end])) > 180)
            if jumps.size:
                i = begin + int(jumps[0])
                self._error(
                    where,
                    f"the outline crosses the antimeridian: an edge of the {stats.example(i)[2]} "
                    f"goes from {lons[i]:g} to {lons[i + 1]:g} degrees of longitude, which a map "
                    "reads as going the long way round the globe; cut it in two at longitude "
                    "180 (a MultiPolygon), as RFC 7946 3.1.9 says",
                    "antimeridian",
                    **stats.at(i),
                )
                return True
        return False

    def _check_validity(self, shape: BaseGeometry, where: Where, polygons: list[Any]) -> None:
        if shapely.is_valid(shape):
            return
        reason = shapely.is_valid_reason(shape)
        # Only a location in memory has room for the vertex; a file names the feature.
        at = _reason_vertex(reason, polygons) if isinstance(where, Location) else {}
        self._error(
            where,
            f"the outline is not a valid polygon: {reason} (shapely); move the vertices so that "
            "no edge crosses or touches another along a line (QGIS: Vector > Geometry Tools > "
            "Fix Geometries)",
            "invalid-geometry",
            **at,
        )

    def _check_winding(self, polys: list[Polygon], kind: str, where: Where) -> None:
        wrong = []
        for p, poly in enumerate(polys):
            label = "" if kind == "Polygon" else f"polygon {p + 1} "
            if not poly.exterior.is_ccw:
                wrong.append((f"{label}exterior ring is clockwise", p + 1, 0))
            for h, hole in enumerate(poly.interiors):
                if hole.is_ccw:
                    wrong.append((f"{label}hole {h + 1} is counter-clockwise", p + 1, h + 1))
        if wrong:
            first, part, ring = wrong[0]
            more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
            self._warning(
                where,
                f"{first}{more}: RFC 7946 wants counter-clockwise exteriors and clockwise "
                "holes (the right-hand rule); `dezmap fmt` rewinds them",
                "winding",
                part=part,
                ring=ring,
            )


@dataclass
class _PositionStats:
    """The numeric positions of one geometry, classified against the region all at once."""

    lons: list[float] = field(default_factory=list)
    lats: list[float] = field(default_factory=list)
    #: (index of the ring's first position, ring name, part from 1, ring index), in order.
    rings: list[tuple[int, str, int, int]] = field(default_factory=list)
    too_long: int = 0
    first_too_long: int | None = None
    total: int = 0
    outside: int = 0
    out_of_range: int = 0
    swapped_in: int = 0
    #: Index (among all positions) of the first position of each kind.
    first_outside: int | None = None
    first_range: int | None = None
    first_swap: int | None = None

    def start_ring(self, name: str, part: int, ring: int) -> None:
        self.rings.append((len(self.lons), name, part, ring))

    def add(self, lon: float, lat: float) -> None:
        self.lons.append(lon)
        self.lats.append(lat)

    def add_too_long(self) -> None:
        if self.first_too_long is None:
            self.first_too_long = len(self.lons)
        self.too_long += 1

    def classify(self, region: Bounds) -> None:
        """Count the positions outside the region, out of range and swapped; keep the first."""
        self.total = len(self.lons)
        if not self.total:
            return
        lon = np.array(self.lons, dtype="float64")
        lat = np.array(self.lats, dtype="float64")
        inside, swapped = region_test(lon, lat, region)
        in_range = (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
        self.outside, self.first_outside = _count_first(~inside & in_range)
        self.out_of_range, self.first_range = _count_first(~inside & ~in_range)
        self.swapped_in, self.first_swap = _count_first(swapped)

    def _ring_of(self, i: int) -> tuple[int, str, int, int]:
        return self.rings[bisect.bisect_right([r[0] for r in self.rings], i) - 1]

    def example(self, i: int | None) -> tuple[float, float, str]:
        """The position ``i`` as written, with the name of its ring."""
        if i is None:
            return (0.0, 0.0, "")
        return self.lons[i], self.lats[i], self._ring_of(i)[1]

    def at(self, i: int | None) -> dict[str, int]:
        """The part, ring and vertex of position ``i``, for a location in memory."""
        if i is None:
            return {}
        start, _, part, ring = self._ring_of(i)
        return {"part": part, "ring": ring, "vertex": i - start}

    @property
    def example_outside(self) -> tuple[float, float, str]:
        return self.example(self.first_outside)

    @property
    def example_range(self) -> tuple[float, float, str]:
        return self.example(self.first_range)

    @property
    def example_swap(self) -> tuple[float, float, str]:
        return self.example(self.first_swap)


def _count_first(mask: np.ndarray) -> tuple[int, int | None]:
    """How many positions ``mask`` selects, and the index of the first."""
    hits = np.flatnonzero(mask)
    return len(hits), (int(hits[0]) if len(hits) else None)


def _reason_vertex(reason: str, polygons: list[Any]) -> dict[str, int]:
    """The part, ring and vertex nearest the point shapely gives with its reason.

    Among the edges that pass nearest the point (for a self-intersection, the crossing edges),
    the end closest to the point is chosen: the vertex to move. Empty when the reason has no
    point.
    """
    match = _REASON_POINT.search(reason)
    if not match:
        return {}
    try:
        point = np.array([float(match.group(1)), float(match.group(2))])
    except ValueError:
        return {}
    edges = []  # (distance of the edge, distance of its nearer end, part, ring, vertex)
    for p, rings in enumerate(polygons):
        for r, ring in enumerate(rings):
            xy = np.array([pos[:2] for pos in ring], dtype="float64")
            start, step = xy[:-1], np.diff(xy, axis=0)
            length2 = (step**2).sum(axis=1)
            t = ((point - start) * step).sum(axis=1) / np.where(length2 > 0, length2, 1)
            nearest = start + np.clip(t, 0, 1)[:, None] * step
            to_edge = np.hypot(*(nearest - point).T)
            to_vertex = np.hypot(*(xy - point).T)
            last = len(xy) - 1  # the closing position repeats vertex 0
            for i in np.flatnonzero(to_edge <= to_edge.min() + 1e-7):
                for v in (int(i), int(i) + 1):
                    edges.append((float(to_edge[i]), float(to_vertex[v]), p + 1, r, v % last))
    if not edges:
        return {}
    best = min(e[0] for e in edges)
    _, part, ring, vertex = min(e[1:] for e in edges if e[0] <= best + 1e-7)
    return {"part": part, "ring": ring, "vertex": vertex}


def _ring_ok(ring: Any) -> bool:
    """Whether a ring is well formed (used where its problems are not reported one by one)."""
    return (
        isinstance(ring, list)
        and len(ring) >= 4
        and all(isinstance(p, list) and len(p) >= 2 and all(_is_number(v) for v in p) for p in ring)
        and ring[0] == ring[-1]
    )


def _swap_message(stats: _PositionStats) -> str:
    lon, lat, name = stats.example_swap
    return (
        f"latitude and longitude appear swapped: {stats.swapped_in} position(s) such as "
        f"[{lon}, {lat}] ({name}) lie outside {REGION_NAME} but inside it when exchanged; "
        "GeoJSON positions are [longitude, latitude]"
    )
