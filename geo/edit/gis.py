"""Reading and writing zone outlines as GIS files: GeoJSON, GeoPackage, Shapefile, KML.

:func:`read_gis` reads a polygon layer drawn or kept in a GIS (QGIS, Google Earth, ArcGIS) in
whatever coordinate reference system it uses and returns it in longitude/latitude (EPSG:4326),
with the zone properties it holds under their dezmap names and the format's own noise (KML's
``description``, ``altitudeMode``, ``tessellate``, ...) dropped. It refuses, with a message
that names the file and the feature, what cannot become zones: an unreadable file, an empty
layer, a layer without polygons, features that are not polygons, a file without a usable CRS.

:func:`write_gis` writes the zones frame with its validity as real date fields (``valid_from``
and ``valid_to`` are Date columns in GeoPackage and Shapefile), so that QGIS's Temporal
Controller can play the versions as they are ("separate fields for start and end").

Shapefile limits: field names have at most 10 characters, so ``boundary_source`` is written
as ``bnd_source`` (and read back under its full name); text fields hold at most 254 bytes,
so longer sources and notes are cut (the file's ``.cpg`` says UTF-8). KML has no date type:
the dates are text, and each placemark also gets a ``TimeSpan`` (Google Earth's time slider;
QGIS reads it as the ``begin``/``end`` fields).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon

from geo import schema
from geo.atomic import fsync_dir
from geo.edit.frame import day_of
from geo.errors import GeometryError, ImportFileError, Problem, Report, UsageError

__all__ = ["FORMATS", "KML_NOISE", "read_gis", "write_gis"]

CRS = "EPSG:4326"
#: Output formats: name -> (GDAL driver, file suffix).
FORMATS: dict[str, tuple[str, str]] = {
    "geojson": ("GeoJSON", ".geojson"),
    "gpkg": ("GPKG", ".gpkg"),
    "shp": ("ESRI Shapefile", ".shp"),
    "kml": ("KML", ".kml"),
}
#: Columns that KML readers add to every placemark and that say nothing about a zone.
KML_NOISE = frozenset(
    {
        "id",
        "description",
        "timestamp",
        "begin",
        "end",
        "altitudemode",
        "tessellate",
        "extrude",
        "visibility",
        "draworder",
        "icon",
        "snippet",
        "styleurl",
    }
)
#: Names that other tools (and the 10-character limit of shapefiles) give zone properties.
_ALIASES = {
    "bnd_source": "boundary_source",
    "boundary_s": "boundary_source",
}
_SHAPEFILE_NAMES = {"boundary_source": "bnd_source"}
_DBF_TEXT_BYTES = 254
_KML_NS = "http://www.opengis.net/kml/2.2"


# --- reading ---------------------------------------------------------------------------------


def _is_virtual(path: str) -> bool:
    return path.startswith(("/vsi", "zip://", "http://", "https://"))


def _open_error(shown: str, exc: Exception) -> ImportFileError:
    said = str(exc).split("; It might help")[0].strip()
    return ImportFileError(
        f"{shown}: cannot be read as a GIS file ({said}); dezmap reads GeoJSON, GeoPackage, "
        "Shapefile (plain or zipped) and KML"
    )


def _choose_layer(path: str, shown: str, layer: str | None) -> tuple[str | None, int]:
    """The layer to read (given, the only one, or the only polygon layer) and how many."""
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio's errors carry GDAL's message
        raise _open_error(shown, exc) from None
    names = [str(n) for n, _ in layers]
    if layer is not None:
        if layer not in names:
            raise UsageError(
                f"{shown}: no layer {layer!r}{schema.suggest(layer, names)}; its layers are: "
                f"{', '.join(names) or 'none'}"
            )
        return layer, len(names)
    if len(names) <= 1:
        return (names[0] if names else None), len(names)
    polygonal = [str(n) for n, kind in layers if kind and "Polygon" in str(kind)]
    if len(polygonal) == 1:
        return polygonal[0], len(names)
    listed = ", ".join(f"{n} ({kind or 'no geometry'})" for n, kind in layers)
    raise UsageError(f"{shown}: holds several layers ({listed}); choose one with --layer")


def _field(
    columns: list[str], wanted: str | None, default: str, what: str, shown: str
) -> str | None:
    """The column holding ``default`` (given as ``wanted``, or found by name)."""
    if wanted is not None:
        if wanted in columns:
            return wanted
        raise UsageError(
            f"{shown}: no field {wanted!r} for the {what}{schema.suggest(wanted, columns)}; "
            f"its fields are: {', '.join(columns) or 'none'}"
        )
    if default in columns:
        return default
    lower = {c.lower(): c for c in columns}
    if default in lower:
        return lower[default]
    for alias, target in _ALIASES.items():
        if target == default and alias in lower:
            return lower[alias]
    return None


def _polygonal(geom: Any) -> tuple[Any, str | None]:
    """A 2D Polygon/MultiPolygon, or None and the name of what the feature holds instead."""
    if geom is None or geom.is_empty:
        return None, "no geometry"
    if isinstance(geom, GeometryCollection) and not isinstance(geom, MultiPolygon):
        parts = [g for g in geom.geoms if not g.is_empty]
        if parts and all(isinstance(g, Polygon | MultiPolygon) for g in parts):
            polys = [p for g in parts for p in getattr(g, "geoms", [g])]
            geom = polys[0] if len(polys) == 1 else MultiPolygon(polys)
        else:
            kinds = sorted({g.geom_type for g in parts}) or ["nothing"]
            return None, "a GeometryCollection of " + ", ".join(kinds)
    if not isinstance(geom, Polygon | MultiPolygon):
        return None, f"a {geom.geom_type}"
    if isinstance(geom, MultiPolygon) and len(geom.geoms) == 1:
        geom = geom.geoms[0]  # formats that promote every outline to multi (GeoPackage, KML)
    return shapely.force_2d(geom), None


def _to_day(value: Any) -> dt.date | None | str:
    """A date from a field value; the offending text when it is not one."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp | dt.datetime):
        if pd.isna(value):
            return None
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    m = re.match(
        r"^(\d{4})[-/](\d{2})[-/](\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?)?$", text
    )
    if not m:
        return text
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return text


def read_gis(
    path: str | Path,
    *,
    layer: str | None = None,
    id_field: str | None = None,
    name_field: str | None = None,
    valid_from_field: str | None = None,
    valid_to_field: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a polygon layer of a GIS file, in longitude/latitude, with zone property names.

    Parameters
    ----------
    path
        A GeoJSON, GeoPackage, Shapefile (``.shp``, or zipped: ``.zip``, ``zip://...``,
        ``/vsizip/...``) or KML file.
    layer
        The layer to read; needed when the file holds several polygon layers.
    id_field, name_field, valid_from_field, valid_to_field
        The fields holding the zone id, the zone's name and the version's first and end day.
        When not given, a field named like the zone property (``zone_id``, ``name``,
        ``valid_from``, ``valid_to``; any case) is used if there is one; for KML, the
        placemark's ``begin``/``end`` stand in for missing days.

    Returns
    -------
    GeoDataFrame
        In EPSG:4326, indexed by the features' ids in the file (as QGIS shows them), with the
        columns found among ``zone_id``, ``name``, ``name_ar``, ``group``, ``valid_from``,
        ``valid_to`` (``datetime.date`` or None), ``accuracy``, ``boundary_source``, ``notes``,
        then the file's other fields (format noise dropped), then ``geometry`` (2D Polygon or
        MultiPolygon).

    Raises
    ------
    UsageError
        No such file, layer or field.
    ImportFileError
        The file cannot be read, has no features, no usable CRS, or a day that is not a date.
    GeometryError
        The layer has no polygons, or some features are not polygons (each one is named).
    """
    import pyogrio
    from pyproj.exceptions import CRSError

    shown = str(path)
    source = str(path)
    if not _is_virtual(source) and not Path(source).exists():
        raise UsageError(f"no such file: {shown}")
    suffix = Path(source.split("!")[-1]).suffix.lower()
    if layer is None and suffix in (".geojson", ".json"):
        # one layer by definition; listing it would parse the whole file once more
        chosen, n_layers = None, 1
    else:
        chosen, n_layers = _choose_layer(source, shown, layer)
    where = f"{shown} (layer {chosen})" if n_layers > 1 else shown
    try:
        raw = pyogrio.read_dataframe(source, layer=chosen, fid_as_index=True)
    except CRSError as exc:
        raise ImportFileError(
            f"{where}: its coordinate reference system cannot be read ({exc}); set the CRS in "
            "your GIS (QGIS: Layer > Set CRS) and export the layer again"
        ) from None
    except Exception as exc:  # noqa: BLE001 - pyogrio's errors carry GDAL's message
        if "CRS" in type(exc).__name__:
            raise ImportFileError(
                f"{where}: its coordinate reference system cannot be read ({exc})"
            ) from None
        raise _open_error(where, exc) from None
    if len(raw) == 0:
        raise ImportFileError(f"{where}: has no features; export the layer with its polygons")
    is_kml = suffix in (".kml", ".kmz")
    frame = _reproject(raw, where, source)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    if is_kml:
        noise = [c for c in columns if c.lower() in KML_NOISE]
    else:
        noise = []
    mapping: dict[str, str] = {}
    for prop, wanted, what in (
        ("zone_id", id_field, "zone id"),
        ("name", name_field, "zone name"),
        ("valid_from", valid_from_field, "first day"),
        ("valid_to", valid_to_field, "end day"),
    ):
        free = columns if wanted is not None else [c for c in columns if c not in mapping]
        found = _field(free, wanted, prop, what, where)
        if found is not None:
            mapping[found] = prop
    for prop in ("name_ar", "group", "accuracy", "boundary_source", "notes"):
        found = _field([c for c in columns if c not in mapping], None, prop, prop, where)
        if found is not None:
            mapping[found] = prop
    if is_kml:
        for kml, prop in (("begin", "valid_from"), ("end", "valid_to")):
            if prop not in mapping.values() and kml in columns and frame[kml].notna().any():
                mapping[kml] = prop
    kept = [c for c in columns if c in mapping or c not in noise]
    out = frame[kept].rename(columns=mapping)
    ordered = [p for p in schema.ZONE_PROPERTIES if p in out.columns]
    out = out[ordered + [c for c in out.columns if c not in ordered]]
    out = gpd.GeoDataFrame(out, geometry=frame.geometry.to_numpy(), crs=CRS)
    return _checked(out, where)


def _reproject(raw: gpd.GeoDataFrame, where: str, source: str) -> gpd.GeoDataFrame:
    if raw.crs is None:
        minx, miny, maxx, maxy = raw.total_bounds
        if all(map(math.isfinite, (minx, miny, maxx, maxy))) and (
            minx < -180 or maxx > 180 or miny < -90 or maxy > 90
        ):
            hint = ""
            if source.lower().endswith(".shp") and not Path(source).with_suffix(".prj").exists():
                hint = " (the .prj file is missing)"
            raise ImportFileError(
                f"{where}: has no coordinate reference system{hint} and its coordinates "
                f"(x {minx:.0f} to {maxx:.0f}, y {miny:.0f} to {maxy:.0f}) are not longitude "
                "and latitude; set the layer's CRS in your GIS (QGIS: Layer > Set CRS) and "
                "export it again"
            )
        return raw.set_crs(CRS)
    if raw.crs.equals(CRS) or raw.crs.to_epsg() == 4326:
        return raw.set_crs(CRS, allow_override=True)
    try:
        return raw.to_crs(CRS)
    except Exception as exc:  # noqa: BLE001 - pyproj raises several kinds
        raise ImportFileError(
            f"{where}: cannot be reprojected from {raw.crs.name!r} to longitude/latitude ({exc})"
        ) from None


def _checked(frame: gpd.GeoDataFrame, where: str) -> gpd.GeoDataFrame:
    """Polygons only, days as dates; every problem named by feature."""
    report = Report()
    geoms = []
    found: dict[str, int] = {}
    bad: list[tuple[Any, str]] = []
    for fid, geom in zip(frame.index, frame.geometry, strict=True):
        poly, what = _polygonal(geom)
        geoms.append(poly)
        if what is not None:
            found[what] = found.get(what, 0) + 1
            bad.append((fid, what))
    if len(bad) == len(frame):
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(found.items()))
        raise GeometryError(
            f"{where}: the layer has no polygons (found {kinds}); zones are areas: draw them as "
            "polygons",
            [Problem(where, "", "error", f"no polygons (found {kinds})", "not-polygon")],
        )
    for fid, what in bad:
        report.error(
            where,
            f"feature {fid}",
            f"holds {what}, not a polygon; zones are areas: remove it or draw it as a polygon",
            "not-polygon",
        )
    out = frame.copy()
    out[out.geometry.name] = geoms
    for column in ("valid_from", "valid_to"):
        if column not in out.columns:
            continue
        days = []
        for fid, value in zip(out.index, out[column], strict=True):
            day = _to_day(value)
            if isinstance(day, str):
                report.error(
                    where,
                    f"feature {fid}, field {column}",
                    f"{day!r} is not a date; write it as YYYY-MM-DD (or make the field a Date "
                    "field)",
                    "bad-date",
                )
                day = None
            days.append(day)
        out[column] = pd.Series(days, index=out.index, dtype=object)
    if report.errors:
        n = len(report.errors)
        raise (GeometryError if bad else ImportFileError)(
            f"{where}: {n} feature{'s' * (n != 1)} cannot become zones; nothing was imported",
            report.problems,
        )
    return out


# --- writing ---------------------------------------------------------------------------------


def _export_frame(zones: gpd.GeoDataFrame, fmt: str) -> gpd.GeoDataFrame:
    """The columns written: zone properties with dates as Date (Arrow date32) and the id."""
    import pyarrow as pa

    columns = {}
    for name in schema.ZONE_PROPERTIES:
        if name in ("valid_from", "valid_to"):
            days = [day_of(v) for v in zones[name]]
            if fmt == "kml":
                columns[name] = pd.Series(
                    [d.isoformat() if d else None for d in days], dtype=object
                )
            else:
                columns[name] = pd.array(days, dtype=pd.ArrowDtype(pa.date32()))  # type: ignore[call-overload]
        else:
            values = zones[name].astype(object).where(zones[name].notna(), None).tolist()
            if fmt == "shp":
                values = [_cut_bytes(v) if isinstance(v, str) else v for v in values]
            columns[_SHAPEFILE_NAMES.get(name, name) if fmt == "shp" else name] = pd.Series(
                values, dtype=object
            )
        if name == "zone_id":
            columns["version_id"] = pd.Series(list(zones["version_id"]), dtype=object)
    frame = pd.DataFrame(columns)
    return gpd.GeoDataFrame(frame, geometry=list(zones.geometry), crs=CRS)


def _cut_bytes(text: str, limit: int = _DBF_TEXT_BYTES) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "..."


def write_gis(zones: gpd.GeoDataFrame, path: str | Path, fmt: str) -> Path:
    """Write the zones frame as a GIS file (one feature per boundary version).

    Parameters
    ----------
    zones
        The zones frame (:func:`geo.io.read_zones`).
    path
        The file to write; replaced if it exists. For a shapefile, its ``.shx``, ``.dbf``,
        ``.prj`` and ``.cpg`` go beside it.
    fmt
        ``"geojson"``, ``"gpkg"``, ``"shp"`` or ``"kml"``.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    UsageError
        Unknown format, or the folder does not exist.

    Notes
    -----
    The file is first written in a temporary folder beside the target and then moved into
    place, so an interrupted export leaves no half-written file under the target's name.
    """
    import pyogrio

    key = str(fmt).lower()
    if key not in FORMATS:
        raise UsageError(
            f"unknown format {fmt!r}{schema.suggest(key, list(FORMATS))}; use one of "
            f"{', '.join(FORMATS)}"
        )
    driver, _suffix = FORMATS[key]
    target = Path(path)
    if not target.parent.is_dir():
        raise UsageError(f"{target}: no such folder {str(target.parent)!r}")
    frame = _export_frame(zones, key)
    staging = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmpdir"
    staging.mkdir()
    try:
        out = staging / target.name
        options: dict[str, Any] = {}
        dataset_options: dict[str, Any] = {}
        if key == "geojson":
            options["RFC7946"] = "YES"
        elif key == "shp":
            options["ENCODING"] = "UTF-8"
        elif key == "kml":
            dataset_options["NameField"] = "name"
        layer = target.stem if key != "gpkg" else "zones"
        pyogrio.write_dataframe(
            frame,
            out,
            driver=driver,
            layer=layer,
            use_arrow=key != "kml",
            layer_options=options or None,
            dataset_options=dataset_options or None,
        )
        if key == "kml":
            _add_time_spans(out, frame)
        for written in sorted(staging.iterdir()):
            with open(written, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(written, target.parent / written.name)
        fsync_dir(target.parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _add_time_spans(path: Path, frame: gpd.GeoDataFrame) -> None:
    """Give each KML placemark a TimeSpan with the version's days (KML has no date fields)."""
    ElementTree.register_namespace("", _KML_NS)
    tree = ElementTree.parse(path)
    placemarks = tree.getroot().findall(f".//{{{_KML_NS}}}Placemark")
    if len(placemarks) != len(frame):  # pragma: no cover - GDAL writes one per row
        return
    after = {f"{{{_KML_NS}}}{t}" for t in ("name", "visibility", "Snippet", "description")}
    for placemark, start, end in zip(
        placemarks, frame["valid_from"], frame["valid_to"], strict=True
    ):
        span = ElementTree.Element(f"{{{_KML_NS}}}TimeSpan")
        if start:
            ElementTree.SubElement(span, f"{{{_KML_NS}}}begin").text = start
        if end:
            ElementTree.SubElement(span, f"{{{_KML_NS}}}end").text = end
        position = sum(1 for child in placemark if child.tag in after)
        placemark.insert(position, span)
    tree.write(path, encoding="utf-8", xml_declaration=True)
