"""Country context for maps without tiles: Syria's border and its neighbours.

The countries come from Natural Earth (public domain) as published in the npm package
``world-atlas`` (TopoJSON), vendored into ``static/vendor/world-atlas/`` by
``python -m geo.assets`` like Leaflet. This module decodes the TopoJSON itself (no extra
dependency): each arc is a list of quantized positions, delta-encoded from the previous one;
the topology's ``transform`` turns them back into degrees; a ring is a chain of arcs, a
negative index (``~i``) meaning arc ``i`` walked backwards.

Because neighbours share arcs, :func:`countries` can simplify each arc once and both sides of
a border stay identical: no slivers or gaps appear between simplified countries.

The outlines are Natural Earth's as published, which follow the lines of control: the Golan
Heights, for instance, lie inside Israel's polygon, not Syria's. Nothing here redraws them.

Plain library: no Streamlit. Frames are in EPSG:4326 with the columns ``iso_n3``, ``name``,
``name_ar`` and ``geometry``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo.assets import VENDOR_DIR, AssetError
from geo.errors import DataError, UsageError

Bounds = tuple[float, float, float, float]

#: The vendored Natural Earth countries (see ``FILES`` in :mod:`geo.assets` for why 1:10m).
COUNTRIES_FILE = VENDOR_DIR / "world-atlas" / "countries-10m.json"
CRS = "EPSG:4326"
COLUMNS = ["iso_n3", "name", "name_ar", "geometry"]

SYRIA = "760"
#: Syria's neighbours by ISO 3166 numeric code: Turkey, Iraq, Jordan, Israel, Lebanon,
#: the Palestinian territories and Cyprus (across the sea, but in every regional map).
NEIGHBOURS = ("792", "368", "400", "376", "422", "275", "196")
#: Parts of the island of Cyprus that Natural Earth keeps apart and that have no ISO code;
#: they are drawn with the neighbours so that the island is whole.
_CYPRUS_PARTS = ("N. Cyprus", "Cyprus U.N. Buffer Zone", "Akrotiri", "Dhekelia")

#: Arabic names (ISO numeric code -> name), for Syria, its neighbours and the region around.
NAMES_AR: dict[str, str] = {
    "760": "سوريا",
    "792": "تركيا",
    "368": "العراق",
    "400": "الأردن",
    "376": "إسرائيل",
    "422": "لبنان",
    "275": "فلسطين",
    "196": "قبرص",
    "818": "مصر",
    "682": "السعودية",
    "364": "إيران",
    "268": "جورجيا",
    "051": "أرمينيا",
    "031": "أذربيجان",
    "300": "اليونان",
    "414": "الكويت",
}
#: Arabic names for the few Natural Earth features that have no ISO code, by their name.
_NAMES_AR_BY_NAME: dict[str, str] = {
    "N. Cyprus": "شمال قبرص",
    "Cyprus U.N. Buffer Zone": "المنطقة العازلة في قبرص",
    "Akrotiri": "أكروتيري",
    "Dhekelia": "ديكيليا",
}


def countries(bounds: Bounds | None = None, *, tolerance: float = 0.0) -> gpd.GeoDataFrame:
    """Syria and its neighbours, or every country that meets ``bounds``.

    The vendored file is read once per process; each outline is decoded the first time it
    is asked for.

    Parameters
    ----------
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)``: return every country whose outline
        intersects this box (whole, not clipped). None: Syria, then Turkey, Iraq, Jordan,
        Israel, Lebanon, the Palestinian territories and Cyprus (with the parts of the island
        that Natural Earth keeps apart).
    tolerance
        Simplify each shared border once by this many degrees (0: the data as published).
        Both sides of a border stay identical.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``iso_n3`` (ISO 3166 numeric, ``""`` where Natural Earth has
        none), ``name`` (English, from the data), ``name_ar`` (from :data:`NAMES_AR`, ``""``
        where the table has none) and ``geometry``. A new frame on every call.

    Raises
    ------
    AssetError
        When the vendored file is missing (run ``make setup`` or ``python -m geo.assets``).
    DataError
        When the file is not a usable TopoJSON topology.
    geo.errors.UsageError
        For bounds that are not four finite numbers with min < max.
    """
    tolerance = _check_tolerance(tolerance)
    box = None if bounds is None else _check_bounds(bounds)
    topology = _countries_topology(COUNTRIES_FILE, box)
    if bounds is None:
        wanted = (SYRIA, *NEIGHBOURS)
        members = [m for code in wanted for m in topology.members if m.code == code]
        members += [m for m in topology.members if m.name in _CYPRUS_PARTS]
        return topology.frame(members, tolerance)
    near = [m for m in topology.members if m.kind and _boxes_meet(m.bbox, box)]
    frame = topology.frame(near, tolerance)
    return frame[frame.intersects(shapely.box(*box))].reset_index(drop=True)


def syria(*, tolerance: float = 0.0) -> BaseGeometry:
    """Syria's outline (EPSG:4326, Natural Earth 1:10m), for locator maps.

    Parameters
    ----------
    tolerance
        As in :func:`countries`.

    Returns
    -------
    shapely.geometry.base.BaseGeometry
        A Polygon or MultiPolygon in longitude/latitude.

    Raises
    ------
    AssetError
        When the vendored file is missing (run ``make setup`` or ``python -m geo.assets``).
    DataError
        When the file has no feature with Syria's code (760).
    """
    tolerance = _check_tolerance(tolerance)
    topology = _countries_topology(COUNTRIES_FILE)
    for member in topology.members:
        if member.code == SYRIA:
            geometry = topology.geometry(member, tolerance)
            if geometry is not None:
                return geometry
    raise DataError(f"{topology.where}: no polygon with id {SYRIA} (Syria); reinstall the assets")


def read_topojson(
    path: Path, object_name: str = "countries", *, tolerance: float = 0.0
) -> gpd.GeoDataFrame:
    """Decode the polygons of one object of a TopoJSON file into a GeoDataFrame.

    Parameters
    ----------
    path
        A TopoJSON ``Topology`` (quantized or not).
    object_name
        The member of ``objects`` to decode (a ``GeometryCollection`` or one geometry).
    tolerance
        Simplify each arc by this many degrees before assembling rings (0: none). Rings
        that collapse are dropped, and so are features left with no polygon.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``iso_n3`` (the feature ``id``), ``name`` (``properties.name``),
        ``name_ar`` and ``geometry``, in the file's order; features without geometry are
        left out. Polygons made invalid by quantization are repaired.

    Raises
    ------
    AssetError
        When the file does not exist.
    DataError
        When it is not a topology, lacks the object, or has an arc index out of range or a
        geometry type other than Polygon and MultiPolygon; the message names the feature.
    """
    topology = _Topology.read(Path(path), object_name)
    return topology.frame(topology.members, _check_tolerance(tolerance))


def _check_bounds(bounds: Bounds) -> Bounds:
    try:
        x0, y0, x1, y1 = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise UsageError(
            f"bounds {bounds!r}: give four numbers (min_lon, min_lat, max_lon, max_lat)"
        ) from None
    if not all(np.isfinite([x0, y0, x1, y1])) or x0 >= x1 or y0 >= y1:
        raise UsageError(
            f"bounds {bounds!r}: need finite numbers with min_lon < max_lon and min_lat < max_lat"
        )
    return x0, y0, x1, y1


# --- decoding ------------------------------------------------------------------------------


#: Every dezmap map stays inside this box (min_lon, min_lat, max_lon, max_lat): its countries
#: are kept in a small extract of the vendored file (about a tenth of it), which is what a
#: process reads instead of the whole world.
REGION: Bounds = (20.0, 20.0, 65.0, 50.0)


def regional_file(path: Path = COUNTRIES_FILE) -> Path:
    """Where the extract of :data:`REGION` is kept, beside the vendored file."""
    return path.with_name(f"{path.stem}.region.json")


@lru_cache(maxsize=4)
def _countries_topology(path: Path, box: Bounds | None = None) -> _Topology:
    """The countries that meet ``box`` (None: the neighbours), read once per process.

    A box inside :data:`REGION` is answered from the regional extract, made from the vendored
    file the first time it is needed (and again whenever the vendored file is newer).
    """
    inside = box is None or (
        box[0] >= REGION[0] and box[1] >= REGION[1] and box[2] <= REGION[2] and box[3] <= REGION[3]
    )
    if not inside:
        return _Topology.read(path, "countries")
    extract = regional_file(path)
    try:
        fresh = extract.stat().st_mtime_ns >= path.stat().st_mtime_ns
    except OSError:
        fresh = False
    if fresh:
        try:
            return _Topology.read(extract, "countries")
        except (AssetError, DataError):
            pass  # a damaged extract: make it again from the vendored file
    return _write_extract(path, extract)


def _write_extract(path: Path, extract: Path) -> _Topology:
    """Cut the countries meeting :data:`REGION` out of the vendored file, keep and return them.

    Only the arcs those countries use are kept (renumbered), with the file's own transform, so
    the extract decodes to exactly the same outlines. A folder that cannot be written only
    costs the time of reading the whole file next time.
    """
    from geo.atomic import atomic_write_text

    full = _Topology.read(path, "countries")
    raw = json.loads(path.read_text(encoding="utf-8"))
    kept = [m for m in full.members if m.kind and _boxes_meet(m.bbox, REGION)]
    used = sorted({~i if i < 0 else i for m in kept for i in _flatten(m.arcs, m.label, 1 << 62)})
    number = {old: new for new, old in enumerate(used)}

    def renumber(refs):
        if isinstance(refs, list):
            return [renumber(r) for r in refs]
        return number[refs] if refs >= 0 else ~number[~refs]

    geometries = raw["objects"]["countries"]["geometries"]
    subset = dict(raw)
    subset["arcs"] = [raw["arcs"][i] for i in used]
    subset["objects"] = {
        "countries": {
            "type": "GeometryCollection",
            "geometries": [
                dict(geometries[m.index], arcs=renumber(geometries[m.index]["arcs"])) for m in kept
            ],
        }
    }
    text = json.dumps(subset, separators=(",", ":"), ensure_ascii=False)
    try:
        atomic_write_text(extract, text)
    except OSError:
        pass
    return _Topology(json.loads(text), "countries", str(extract))


def _check_tolerance(tolerance: float) -> float:
    value = float(tolerance)
    if not np.isfinite(value) or value < 0:
        raise UsageError(f"tolerance {tolerance!r}: give a number of degrees >= 0")
    return value


def _boxes_meet(a: Bounds, b: Bounds) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


@dataclass(frozen=True)
class _Member:
    """One feature of the object: its id, name, type, arc references and bounding box."""

    index: int
    code: str
    name: str
    kind: str | None
    arcs: list
    bbox: Bounds
    label: str


class _Topology:
    """A decoded TopoJSON object: arcs in degrees, and outlines built (and kept) on demand."""

    def __init__(self, topology: object, object_name: str, where: str) -> None:
        if not isinstance(topology, dict) or topology.get("type") != "Topology":
            raise DataError(f"{where}: not a TopoJSON Topology (its type must be 'Topology')")
        objects = topology.get("objects")
        if not isinstance(objects, dict) or object_name not in objects:
            raise DataError(f"{where}: no object {object_name!r} under 'objects'")
        self.where = where
        self.arcs = _arcs(topology, where)
        lows = np.array([a.min(axis=0) if len(a) else (np.inf, np.inf) for a in self.arcs])
        highs = np.array([a.max(axis=0) if len(a) else (-np.inf, -np.inf) for a in self.arcs])
        obj = objects[object_name]
        found = obj.get("geometries", []) if obj.get("type") == "GeometryCollection" else [obj]
        self.members = []
        for index, item in enumerate(found):
            props = item.get("properties") or {}
            code = "" if item.get("id") is None else str(item["id"])
            name = str(props.get("name", ""))
            label = f"{where}: feature {index} (id={code or None}, name={name!r})"
            kind = item.get("type")
            if kind not in (None, "Polygon", "MultiPolygon"):
                raise DataError(
                    f"{label}: geometry type {kind!r}; only Polygon and MultiPolygon are read"
                )
            refs = item.get("arcs", []) if kind else []
            used = [~i if i < 0 else i for i in _flatten(refs, label, len(self.arcs))]
            bbox = (
                (*lows[used].min(axis=0), *highs[used].max(axis=0))
                if used
                else (np.inf, np.inf, -np.inf, -np.inf)
            )
            self.members.append(
                _Member(index, code, name, kind, refs, tuple(map(float, bbox)), label)
            )
        self._simplified: dict[tuple[int, float], np.ndarray] = {}
        self._geometries: dict[tuple[int, float], BaseGeometry | None] = {}

    @classmethod
    def read(cls, path: Path, object_name: str) -> _Topology:
        """Read and check a TopoJSON file."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise AssetError(
                f"{path} is missing: the country outlines are installed with the map assets; "
                "run `make setup` (or `.venv/bin/python -m geo.assets`)"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: cannot be read: {exc}") from None
        try:
            topology = json.loads(text)
        except ValueError as exc:
            raise DataError(
                f"{path}: not JSON ({exc}); reinstall it with `python -m geo.assets --force`"
            ) from None
        return cls(topology, object_name, str(path))

    def arc(self, index: int, tolerance: float) -> np.ndarray:
        """Arc ``index`` (``~i`` reversed), simplified once per tolerance."""
        forward = ~index if index < 0 else index
        points = self.arcs[forward]
        if tolerance > 0 and len(points) > 2:
            key = (forward, tolerance)
            if key not in self._simplified:
                line = LineString(points).simplify(tolerance, preserve_topology=False)
                self._simplified[key] = shapely.get_coordinates(line)
            points = self._simplified[key]
        return points[::-1] if index < 0 else points

    def geometry(self, member: _Member, tolerance: float) -> BaseGeometry | None:
        """The member's outline (None without polygons), built once per tolerance."""
        key = (member.index, tolerance)
        if key not in self._geometries:
            self._geometries[key] = self._build(member, tolerance)
        return self._geometries[key]

    def _build(self, member: _Member, tolerance: float) -> BaseGeometry | None:
        if member.kind is None:
            return None
        polygons = [member.arcs] if member.kind == "Polygon" else member.arcs
        parts = []
        for rings in polygons:
            coords = [self._ring(ring, tolerance) for ring in rings]
            if coords and coords[0] is not None:  # else the exterior collapsed
                parts.append(Polygon(coords[0], [c for c in coords[1:] if c is not None]))
        if not parts:
            return None
        geometry = parts[0] if len(parts) == 1 else MultiPolygon(parts)
        if not geometry.is_valid:
            # quantization leaves rings that touch themselves; the outline is only context
            geometry = shapely.make_valid(geometry, method="structure", keep_collapsed=False)
        return geometry

    def _ring(self, indexes: Sequence[int], tolerance: float) -> np.ndarray | None:
        # each arc after the first starts where the previous one ended
        pieces = [
            self.arc(index, tolerance)[0 if n == 0 else 1 :] for n, index in enumerate(indexes)
        ]
        ring = np.concatenate(pieces) if pieces else np.empty((0, 2))
        return ring if len(ring) >= 4 else None

    def frame(self, members: Sequence[_Member], tolerance: float) -> gpd.GeoDataFrame:
        """A GeoDataFrame of the members that have an outline, in the order given."""
        rows = []
        for member in members:
            geometry = self.geometry(member, tolerance)
            if geometry is None or geometry.is_empty:
                continue
            if member.code:
                name_ar = NAMES_AR.get(member.code, "")
            else:
                name_ar = _NAMES_AR_BY_NAME.get(member.name, "")
            rows.append((member.code, member.name, name_ar, geometry))
        columns = list(zip(*rows, strict=True)) if rows else [[], [], [], []]
        return gpd.GeoDataFrame(
            {"iso_n3": list(columns[0]), "name": list(columns[1]), "name_ar": list(columns[2])},
            geometry=list(columns[3]),
            crs=CRS,
        )[COLUMNS]


def _flatten(refs: object, label: str, count: int) -> list[int]:
    """Every arc index under a Polygon's or MultiPolygon's ``arcs``, checked."""
    out: list[int] = []
    stack = [refs]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool) and -count <= item < count:
            out.append(item)
        else:
            raise DataError(f"{label}: arc index {item!r} is out of range (0..{count - 1})")
    return out


def _arcs(topology: dict, where: str) -> list[np.ndarray]:
    """Every arc in degrees: quantized positions un-delta-encoded and transformed."""
    transform = topology.get("transform")
    if transform is not None:
        try:
            scale = np.asarray(transform["scale"], dtype=float).reshape(2)
            translate = np.asarray(transform["translate"], dtype=float).reshape(2)
        except (KeyError, TypeError, ValueError):
            raise DataError(
                f"{where}: 'transform' needs a 'scale' and a 'translate' of 2"
            ) from None
    out = []
    for i, arc in enumerate(topology.get("arcs") or []):
        try:
            points = np.asarray(arc, dtype=float).reshape(-1, 2) if arc else np.empty((0, 2))
        except (ValueError, TypeError):
            raise DataError(f"{where}: arc {i} is not a list of [x, y] positions") from None
        if transform is not None:
            points = np.cumsum(points, axis=0) * scale + translate
        out.append(points)
    return out
