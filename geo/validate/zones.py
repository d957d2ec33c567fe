"""The zone rules: properties, dates and boundary versions of a zones file.

:func:`check_zones_text` checks a GeoJSON file as a zones file (or a plain polygon layer): the
structure and geometry checks of :mod:`geo.validate.geometry`, then each feature's properties
and the versions of each zone together. It returns the versions it could read, with typed
values, so that the loaders build their frames from exactly what was validated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from shapely.geometry.base import BaseGeometry

from geo import schema
from geo.errors import Report
from geo.geojson import parse_text
from geo.schema import ParseError
from geo.validate.geometry import FeatureInfo, GeoJSONChecker

FileKind = Literal["zones", "layer", "agreements", "violations"]


@dataclass(frozen=True)
class ZoneVersion:
    """One boundary version of a zone, as read from a zones file."""

    zone_id: str
    name: str
    name_ar: str
    group: str
    valid_from: dt.date
    valid_to: dt.date | None
    accuracy: str
    boundary_source: str
    notes: str
    geometry: BaseGeometry
    feature: int
    where: str
    extra: tuple[tuple[str, Any], ...] = ()

    @property
    def version_id(self) -> str:
        """A stable name for the version: ``eastern-ghouta@2017-07-22``."""
        return f"{self.zone_id}@{self.valid_from.isoformat()}"


@dataclass
class ZonesCheck:
    """What :func:`check_zones_text` found."""

    kind: FileKind
    versions: list[ZoneVersion] = field(default_factory=list)
    features: list[FeatureInfo] = field(default_factory=list)
    #: Zones with a version that could not be read: checks that depend on their outlines are
    #: skipped, so that one mistake is not reported again for every record in the zone.
    broken_zone_ids: set[str] = field(default_factory=set)


def check_zones_text(
    text: str, path: str, report: Report, *, kind: FileKind | None = None
) -> ZonesCheck:
    """Check the text of a GeoJSON file as a zones file or as a plain polygon layer.

    Parameters
    ----------
    text
        The file's text.
    path
        The name used in messages.
    report
        Receives the problems.
    kind
        ``"zones"`` to apply the zone rules (properties, dates, versions), ``"layer"`` for a
        reference layer (geometry rules only), or None to decide: a file is a zones file when
        its name starts with ``zones`` or any feature has a ``zone_id`` property.

    Returns
    -------
    ZonesCheck
        The kind decided, the features whose structure could be read and, for a zones file,
        the versions whose every property could be read.
    """
    parsed = parse_text(text, path, report)
    if parsed is None:
        return ZonesCheck(kind or "zones")
    if kind is None:
        kind = "zones" if _looks_like_zones(parsed.doc, path) else "layer"
    checker = GeoJSONChecker(path, report)
    features = checker.check_document(parsed, require_collection=kind == "zones")
    result = ZonesCheck(kind, features=features)
    if kind == "zones":
        result.versions = _check_zone_properties(features, path, report)
        _check_versions(result.versions, features, path, report)
        parsed = {v.feature for v in result.versions}
        result.broken_zone_ids = {
            str(info.properties.get("zone_id"))
            for info in features
            if info.properties and info.index not in parsed and info.properties.get("zone_id")
        }
    return result


def _looks_like_zones(doc: Any, path: str) -> bool:
    if Path(path).name.lower().startswith("zones"):
        return True
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        return False
    return any(
        isinstance(f, dict)
        and isinstance(f.get("properties"), dict)
        and "zone_id" in f["properties"]
        for f in features
    )


def _check_zone_properties(
    features: list[FeatureInfo], path: str, report: Report
) -> list[ZoneVersion]:
    versions = []
    for info in features:
        props = info.properties
        where = info.where
        if props is None:
            report.error(
                path,
                where,
                "properties are missing; a zone needs " + ", ".join(schema.ZONE_PROPERTIES),
                "missing-property",
            )
            continue
        before = len(report.errors)
        values: dict[str, Any] = {}
        for name in schema.ZONE_PROPERTIES:
            optional = name in ("valid_to", "notes")
            value = props.get(name)
            if name not in props:
                if not optional:
                    report.error(
                        path,
                        where,
                        f"property {name!r} is missing; {_zone_property_hint(name)}",
                        "missing-property",
                    )
                continue
            if value is None and optional:
                continue
            if not isinstance(value, str):
                report.error(
                    path,
                    where,
                    f"property {name!r} must be a string, found "
                    f"{value!r}; {_zone_property_hint(name)}",
                    "bad-property",
                )
                continue
            values[name] = value.strip()
        for name in props:
            if name not in schema.ZONE_PROPERTIES:
                report.warning(
                    path,
                    where,
                    f"unknown property {name!r}{schema.suggest(name, schema.ZONE_PROPERTIES)} "
                    "is kept but not used by dezmap",
                    "unknown-property",
                )
        parsed = _parse_zone_values(values, where, path, report)
        if len(report.errors) > before or parsed is None or info.geometry is None:
            continue
        extra = tuple((k, v) for k, v in props.items() if k not in schema.ZONE_PROPERTIES)
        versions.append(
            ZoneVersion(
                geometry=info.geometry,
                feature=info.index or 0,
                where=where,
                extra=extra,
                **parsed,
            )
        )
    return versions


def _zone_property_hint(name: str) -> str:
    return {
        "zone_id": "give a lower-case slug such as 'eastern-ghouta'",
        "name": "give the zone's English name",
        "name_ar": "give the zone's Arabic name ('' if unknown)",
        "group": "give the family of zones, such as 'astana-2017'",
        "valid_from": "give the first day of this boundary version as YYYY-MM-DD",
        "valid_to": "give the first day this version no longer applies (YYYY-MM-DD) or ''",
        "accuracy": "write 'approximate' or 'surveyed'",
        "boundary_source": "say how the outline was drawn and cite its sources",
        "notes": "write a short note or ''",
    }[name]


def _parse_zone_values(
    values: dict[str, str], where: str, path: str, report: Report
) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    ok = True
    for name in ("zone_id", "group"):
        value = values.get(name)
        if value is not None and not schema.SLUG_RE.match(value):
            report.error(
                path,
                where,
                f"{name} {value!r} must be a lower-case slug of letters, "
                "digits and hyphens, such as 'eastern-ghouta'",
                "bad-slug",
            )
            ok = False
    for name in ("name", "boundary_source"):
        if name in values and not values[name]:
            report.error(
                path, where, f"{name} is empty; {_zone_property_hint(name)}", "empty-property"
            )
            ok = False
    if values.get("name_ar") == "":
        report.warning(
            path, where, "name_ar is empty; add the zone's Arabic name", "missing-arabic-name"
        )
    accuracy = values.get("accuracy")
    if accuracy is not None and accuracy not in schema.ACCURACY:
        report.error(
            path,
            where,
            f"accuracy {accuracy!r} must be 'approximate' or "
            f"'surveyed'{schema.suggest(accuracy, schema.ACCURACY)}",
            "bad-accuracy",
        )
        ok = False
    valid_from = valid_to = None
    if "valid_from" in values:
        try:
            valid_from = schema.parse_date(values["valid_from"])
        except ParseError as exc:
            report.error(path, where, f"valid_from: {exc}", "bad-date")
            ok = False
    if values.get("valid_to"):
        try:
            valid_to = schema.parse_date(values["valid_to"])
        except ParseError as exc:
            report.error(path, where, f"valid_to: {exc}", "bad-date")
            ok = False
    if valid_from and valid_to and valid_to <= valid_from:
        report.error(
            path,
            where,
            f"valid_to {valid_to} is not after valid_from {valid_from}; valid_to is the first "
            "day the version no longer applies, so it must come later",
            "date-order",
        )
        ok = False
    if not ok or valid_from is None:
        return None
    out.update(
        zone_id=values.get("zone_id", ""),
        name=values.get("name", ""),
        name_ar=values.get("name_ar", ""),
        group=values.get("group", ""),
        valid_from=valid_from,
        valid_to=valid_to,
        accuracy=values.get("accuracy", ""),
        boundary_source=values.get("boundary_source", ""),
        notes=values.get("notes", ""),
    )
    return out


def _check_versions(
    versions: list[ZoneVersion], features: list[FeatureInfo], path: str, report: Report
) -> None:
    seen_ids: dict[Any, str] = {}
    for info in features:
        fid = info.feature_id
        if fid is None or isinstance(fid, dict | list):
            continue
        if fid in seen_ids:
            report.error(
                path,
                info.where,
                f"duplicate feature id {fid!r} (also {seen_ids[fid]}); feature ids must be unique",
                "duplicate-id",
            )
        else:
            seen_ids[fid] = info.where
    by_zone: dict[str, list[ZoneVersion]] = {}
    for v in versions:
        by_zone.setdefault(v.zone_id, []).append(v)
    for zone_id, group in by_zone.items():
        group.sort(key=lambda v: v.valid_from)
        for a, b in zip(group, group[1:], strict=False):
            if a.valid_from == b.valid_from:
                report.error(
                    path,
                    b.where,
                    f"duplicate version: zone {zone_id!r} already has a "
                    f"version starting {a.valid_from} ({a.where}); give each version its "
                    "own valid_from",
                    "duplicate-version",
                )
            elif a.valid_to is None or a.valid_to > b.valid_from:
                ends = (
                    "is still valid (empty valid_to)"
                    if a.valid_to is None
                    else f"runs to {a.valid_to}"
                )
                report.error(
                    path,
                    b.where,
                    f"overlapping versions of zone {zone_id!r}: the version from {a.valid_from} "
                    f"({a.where}) {ends}, but this one starts {b.valid_from}; set the earlier "
                    f"version's valid_to to {b.valid_from}",
                    "overlapping-versions",
                )
        names = {v.name for v in group}
        if len(names) > 1:
            report.warning(
                path,
                group[-1].where,
                f"versions of zone {zone_id!r} have different names: {sorted(names)}",
                "inconsistent-name",
            )
