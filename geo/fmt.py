"""Canonical formatting of GeoJSON zone files (``dezmap fmt``).

The canonical form makes hand edits and tool edits diff cleanly:

- members in a fixed order (``type``, ``id``, ``properties``, ``geometry`` for a feature; zone
  properties in the order of the data model, others after them in alphabetical order);
- one position per line, ``[longitude, latitude]``, rounded to 6 decimals (about 0.1 m);
- exterior rings counter-clockwise and holes clockwise (RFC 7946, the right-hand rule);
- no legacy ``crs`` member when it names WGS84 (the only CRS RFC 7946 allows);
- two-space indentation, UTF-8 without escapes, a final newline.

Formatting is idempotent: formatting canonical text returns it unchanged.

:func:`fmt_file` writes only what validates: a file with errors is refused with every problem
(fix it first), and so is a file that formatting itself would break (rounding to 6 decimals can
collapse a sliver thinner than 0.1 m into an invalid outline). Warnings (winding, a legacy
``crs``) do not stop it; formatting removes some of them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.atomic import atomic_write_text
from geo.errors import Problem, Report, ZoneFileError
from geo.geojson import WGS84_NAMES, parse_text
from geo.schema import ZONE_PROPERTIES
from geo.validate import FileKind, check_zones_text
from geo.validate.files import UnreadableFile, read_data_file
from geo.validate.text import NotUtf8Error, decode_utf8

DECIMALS = 6
_ORDER = {
    "collection": ("type", "name", "bbox", "features"),
    "feature": ("type", "id", "bbox", "properties", "geometry"),
    "geometry": ("type", "bbox", "coordinates", "geometries"),
}


@dataclass(frozen=True)
class FmtResult:
    """The outcome of formatting one file."""

    path: str
    changed: bool
    text: str


def format_text(text: str, path: str = "<text>") -> str:
    """Return the canonical form of a GeoJSON document.

    Raises
    ------
    ZoneFileError
        When the text cannot be formatted safely: not JSON, duplicate members, a number too
        large for a float, or a ``crs`` that is not WGS84 (reprojecting is not formatting).
    """
    report = Report()
    parsed = parse_text(text, path, report)
    blocking = [
        p for p in report.errors if p.code in ("json-syntax", "duplicate-member", "bad-number")
    ]
    if parsed is None or blocking:
        raise ZoneFileError(f"{path}: cannot be formatted until it is valid JSON", report.problems)
    doc = parsed.doc
    if isinstance(doc, dict):
        doc = _canonical_object(doc, path)
    return _dump(doc, 0) + "\n"


def fmt_file(path: str | Path, *, check: bool = False) -> FmtResult:
    """Format one file in place (atomically), or with ``check`` only tell whether it would change.

    The file is validated first (as ``dezmap validate FILE`` does: a zones file or a polygon
    layer) and its canonical form after: either with an error is refused and nothing is
    written.

    Raises
    ------
    ZoneFileError
        When the file cannot be read, has errors, or would have errors once formatted;
        ``.problems`` lists them.
    """
    shown = str(path)
    try:
        raw = read_data_file(path)
    except UnreadableFile as exc:
        problem = Problem(shown, "", "error", exc.reason, exc.code)
        raise ZoneFileError(str(exc), [problem]) from None
    try:
        text = decode_utf8(raw)
    except NotUtf8Error as exc:
        raise ZoneFileError(f"{shown}: {exc}") from None
    kind = _checked(
        text,
        shown,
        f"{shown}: {{n}} error{{s}}; fix them first (see `dezmap "
        f"validate {shown}`): dezmap fmt writes only what validates",
    )
    new = format_text(text, shown)
    _checked(
        new,
        f"{shown} (formatted)",
        f"{shown}: formatting would make the file invalid ({{n}} error{{s}}), so it was left as "
        "it is; move the vertices apart where an outline is thinner than 6 decimals (0.1 m)",
        kind,
    )
    changed = new.encode("utf-8") != raw
    if changed and not check:
        atomic_write_text(path, new)
    return FmtResult(shown, changed, new)


def _checked(text: str, shown: str, refusal: str, kind: FileKind | None = None) -> FileKind:
    """Validate ``text``; raise ``refusal`` (with the count filled in) when it has errors."""
    report = Report()
    check = check_zones_text(text, shown, report, kind=kind)
    errors = report.errors
    if errors:
        n = len(errors)
        raise ZoneFileError(refusal.format(n=n, s="s" * (n != 1)), report.problems)
    return check.kind


# --- canonical structure ---------------------------------------------------------------------


def _canonical_object(obj: dict[str, Any], path: str) -> dict[str, Any]:
    kind = obj.get("type")
    if kind == "FeatureCollection":
        out = _ordered(_drop_crs(obj, path), _ORDER["collection"])
        if isinstance(out.get("features"), list):
            out["features"] = [
                _canonical_feature(f, path) if isinstance(f, dict) else f for f in out["features"]
            ]
        if "bbox" in out:
            out["bbox"] = _round_all(out["bbox"])
        return out
    if kind == "Feature":
        return _canonical_feature(obj, path)
    return _canonical_geometry(obj, path)


def _canonical_feature(feature: dict[str, Any], path: str) -> dict[str, Any]:
    out = _ordered(_drop_crs(feature, path), _ORDER["feature"])
    props = out.get("properties")
    if isinstance(props, dict):
        out["properties"] = _ordered(props, ZONE_PROPERTIES)
    if isinstance(out.get("geometry"), dict):
        out["geometry"] = _canonical_geometry(out["geometry"], path)
    if "bbox" in out:
        out["bbox"] = _round_all(out["bbox"])
    return out


def _canonical_geometry(geometry: dict[str, Any], path: str) -> dict[str, Any]:
    out = _ordered(_drop_crs(geometry, path), _ORDER["geometry"])
    kind = out.get("type")
    coords = out.get("coordinates")
    if "coordinates" in out:
        coords = _round_all(coords)
        if kind == "Polygon" and _is_rings(coords):
            coords = _wind_polygon(coords)
        elif (
            kind == "MultiPolygon"
            and isinstance(coords, list)
            and all(_is_rings(p) for p in coords)
        ):
            coords = [_wind_polygon(p) for p in coords]
        out["coordinates"] = coords
    if isinstance(out.get("geometries"), list):
        out["geometries"] = [
            _canonical_geometry(g, path) if isinstance(g, dict) else g for g in out["geometries"]
        ]
    if "bbox" in out:
        out["bbox"] = _round_all(out["bbox"])
    return out


def _ordered(obj: dict[str, Any], first: tuple[str, ...]) -> dict[str, Any]:
    out = {k: obj[k] for k in first if k in obj}
    out.update({k: obj[k] for k in sorted(obj) if k not in out})
    return out


def _drop_crs(obj: dict[str, Any], path: str) -> dict[str, Any]:
    if "crs" not in obj:
        return obj
    crs = obj["crs"]
    name = (
        crs.get("properties", {}).get("name")
        if isinstance(crs, dict) and isinstance(crs.get("properties"), dict)
        else None
    )
    if name is not None and not (isinstance(name, str) and name.lower() in WGS84_NAMES):
        raise ZoneFileError(
            f"{path}: the 'crs' member names {name!r}; formatting does not reproject: re-export "
            "the file as WGS84 longitude/latitude (EPSG:4326) first"
        )
    return {k: v for k, v in obj.items() if k != "crs"}


def _round_all(value: Any) -> Any:
    if isinstance(value, list):
        return [_round_all(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        rounded = round(float(value), DECIMALS)
        return 0.0 if rounded == 0 else rounded
    return value


def _is_rings(coords: Any) -> bool:
    return (
        isinstance(coords, list)
        and bool(coords)
        and all(
            isinstance(ring, list)
            and len(ring) >= 4
            and all(
                isinstance(p, list) and len(p) >= 2 and all(isinstance(v, float) for v in p[:2])
                for p in ring
            )
            for ring in coords
        )
    )


def _signed_area(ring: list[list[float]]) -> float:
    return (
        sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:], strict=False))
        / 2
    )


def _wind_polygon(rings: list[list[list[float]]]) -> list[list[list[float]]]:
    out = []
    for i, ring in enumerate(rings):
        area = _signed_area(ring)
        want_ccw = i == 0
        if area != 0 and (area > 0) != want_ccw:
            ring = ring[::-1]
        out.append(ring)
    return out


# --- layout ----------------------------------------------------------------------------------


def _is_flat_numbers(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def _dump(value: Any, level: int) -> str:
    pad = "  " * (level + 1)
    end = "  " * level
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{pad}{json.dumps(k, ensure_ascii=False)}: {_dump(v, level + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if _is_flat_numbers(value):
            return "[" + ", ".join(_number(v) for v in value) + "]"
        items = [pad + _dump(v, level + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + end + "]"
    if isinstance(value, float) and not isinstance(value, bool):
        return _number(value)
    return json.dumps(value, ensure_ascii=False)


def _number(value: float) -> str:
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "null"
    return repr(value) if isinstance(value, float) else str(value)
