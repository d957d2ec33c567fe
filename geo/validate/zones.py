"""The zone rules: properties, dates and boundary versions, in a file or in memory.

One implementation for both routes. :func:`check_zones_text` checks a GeoJSON file: it parses
the text keeping the line of each feature, runs the structure and geometry checks of
:mod:`geo.validate.geometry` on each feature, then the rules of this module (each feature's
properties, the versions of each zone together). :func:`read_zone_features` runs the very same
feature, property and version checks on features held in memory (an unsaved edit), placing
problems by zone, version and vertex instead of line. Both return the versions they could read
as :class:`ZoneVersion` records, so that the loaders build their frames from exactly what was
validated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo import schema
from geo.errors import DataError, Report, UsageError
from geo.geojson import parse_text
from geo.schema import ParseError
from geo.validate.geometry import FeatureInfo, GeoJSONChecker
from geo.validate.location import Location, Where, feature_location, record

FileKind = Literal["zones", "layer", "agreements", "violations"]

#: How problems found in memory name their source (their ``path``) unless told otherwise.
MEMORY = "<memory>"
#: Columns that :func:`geo.io.read_zones` derives from the properties; not properties.
DERIVED_COLUMNS = ("version_id", "feature")


@dataclass(frozen=True)
class ZoneVersion:
    """One boundary version of a zone, with typed values, as the checks read it.

    The checks build these from a zones file (:func:`check_zones_text`) or from features in
    memory (:func:`read_zone_features`); build one yourself with :meth:`from_feature` or
    :meth:`from_row`, which check it first.

    Attributes
    ----------
    zone_id, name, name_ar, group, accuracy, boundary_source, notes
        The zone properties (see ``docs/data-model.md``), trimmed.
    valid_from, valid_to
        The version's first day, and the first day it no longer applies (None: still valid).
    geometry
        The outline, a shapely Polygon or MultiPolygon in WGS84 longitude/latitude.
    feature
        Index of the feature in its file, or among the features checked.
    where
        The version's place in words, as messages name it: ``feature 3
        (zone_id=eastern-ghouta), line 40`` in a file, ``zone eastern-ghouta, version
        eastern-ghouta@2018-03-10`` in memory.
    extra
        Properties that are not zone properties, kept as (name, value) pairs.
    location
        For a version read from memory, its :class:`~geo.validate.location.Location`.
    """

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
    location: Location | None = field(default=None, compare=False)

    @property
    def version_id(self) -> str:
        """A stable name for the version: ``eastern-ghouta@2017-07-22``."""
        return f"{self.zone_id}@{self.valid_from.isoformat()}"

    @property
    def site(self) -> Where:
        """Where problems of this version are placed: its location, or its place in a file."""
        return self.location if self.location is not None else self.where

    @classmethod
    def from_feature(cls, feature: Mapping[str, Any], *, index: int = 0) -> ZoneVersion:
        """Check one GeoJSON feature with the zone rules and build its version.

        Parameters
        ----------
        feature
            A GeoJSON Feature: ``{"type": "Feature", "properties": {...}, "geometry":
            {...}}``. Coordinates may be lists or tuples; the geometry may also be a shapely
            geometry (anything with ``__geo_interface__``). It is not changed.
        index
            The feature's index, used in its location when it has no zone or version.

        Returns
        -------
        ZoneVersion
            The version, with typed values. Warnings (winding, an empty Arabic name) do not
            stop it. Rules between versions (overlaps) need all of a zone's versions: use
            :func:`geo.validate.check_zone_features` for them.

        Raises
        ------
        DataError
            When the feature has errors; ``.problems`` lists every problem, located by zone,
            version and vertex.
        """
        report = Report()
        check = _read_features([(index, feature)], MEMORY, report)
        if report.errors or not check.versions:
            where = feature_location(_plain(feature), index)
            n = len(report.errors)
            raise DataError(
                f"{where}: this zone version cannot be used: {n} error{'s' * (n != 1)}",
                report.problems,
            )
        return check.versions[0]

    @classmethod
    def from_row(
        cls, row: Mapping[str, Any] | pd.Series, *, index: int = 0, geometry: str = "geometry"
    ) -> ZoneVersion:
        """Check one row of a zones frame with the zone rules and build its version.

        Parameters
        ----------
        row
            A row of a frame like the one :func:`geo.io.read_zones` returns (a pandas Series
            from ``frame.iloc[i]`` or ``frame.iterrows()``, or a mapping): the zone properties
            as columns, dates as dates, date strings or instants (read as the day in
            Damascus), an empty ``valid_to`` as missing, and the outline as a shapely geometry.
            The derived columns ``version_id`` and ``feature`` are ignored.
        index
            The row's index, used in its location when it has no zone or version.
        geometry
            The name of the outline's column.

        Returns
        -------
        ZoneVersion
            As :meth:`from_feature`.

        Raises
        ------
        DataError
            When the row has errors; ``.problems`` lists every problem.
        """
        return cls.from_feature(row_feature(row, geometry=geometry), index=index)


@dataclass
class ZonesCheck:
    """What :func:`check_zones_text` (or :func:`read_zone_features`) found."""

    kind: FileKind
    versions: list[ZoneVersion] = field(default_factory=list)
    features: list[FeatureInfo] = field(default_factory=list)
    #: Zones with a version that could not be read: checks that depend on their outlines are
    #: skipped, so that one mistake is not reported again for every record in the zone.
    broken_zone_ids: set[str] = field(default_factory=set)
    #: False when the document could not be read as features at all (not JSON, not a
    #: collection of features): then it names no zone, and records that refer to zones
    #: cannot be checked against it.
    readable: bool = True


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
        return ZonesCheck(kind or "zones", readable=False)
    if kind is None:
        kind = "zones" if _looks_like_zones(parsed.doc, path) else "layer"
    checker = GeoJSONChecker(path, report)
    features = checker.check_document(parsed, require_collection=kind == "zones")
    result = ZonesCheck(kind, features=features, readable=bool(features))
    if kind == "zones":
        _zone_rules(result, path, report)
    return result


def read_zone_features(
    features: Iterable[Mapping[str, Any]], report: Report, *, source: str = MEMORY
) -> ZonesCheck:
    """Check zone features held in memory with the rules of a zones file; keep the versions.

    The same feature, geometry, property and version checks as :func:`check_zones_text`, on
    features that are not in a file. Problems are :class:`~geo.validate.location.LocatedProblem`
    records placed by zone, version and, where the problem is at one point of the outline,
    part, ring and vertex: ``zone eastern-ghouta, version eastern-ghouta@2018-03-10, part 1,
    ring 0, vertex 17``.

    Parameters
    ----------
    features
        GeoJSON Feature mappings (or a FeatureCollection mapping). They are not changed.
    report
        Receives the problems.
    source
        How the problems name where the features come from (their ``path``).

    Returns
    -------
    ZonesCheck
        The features that could be read and the versions whose every property could be read.

    Raises
    ------
    UsageError
        When ``features`` is not a collection of features (a string, a single feature).
    """
    items = list(enumerate(_feature_list(features)))
    if not items:
        record(
            report,
            source,
            "",
            "error",
            "the collection holds no features: zones must be polygons, and there is none",
            "no-features",
        )
        return ZonesCheck("zones")
    return _read_features(items, source, report)


def row_feature(row: Mapping[str, Any] | pd.Series, *, geometry: str = "geometry") -> dict:
    """Turn a row of a zones frame into a GeoJSON feature of plain values.

    Dates and instants become ``YYYY-MM-DD`` (an instant is read as its day in Damascus),
    a missing ``valid_to`` becomes ``""`` (still valid), other missing values are left out
    (so that a missing required property is reported as missing), the derived columns
    ``version_id`` and ``feature`` are dropped and the outline becomes a GeoJSON geometry.
    The row is not changed.
    """
    properties: dict[str, Any] = {}
    outline = None
    for name, value in row.items():
        if name == geometry:
            outline = None if _missing(value) else _plain(value)
        elif name in DERIVED_COLUMNS:
            continue
        elif _missing(value):
            if name == "valid_to":
                properties[name] = ""
        else:
            properties[str(name)] = _cell(value)
    return {"type": "Feature", "properties": properties, "geometry": outline}


def _feature_list(features: Any) -> list[Any]:
    """The features to check, from a list of features or a FeatureCollection mapping."""
    if isinstance(features, Mapping):
        if features.get("type") == "FeatureCollection" and "features" in features:
            return list(features["features"] or [])
        raise UsageError(
            f"expected a list of features (or a FeatureCollection), found a mapping of type "
            f"{features.get('type')!r}; pass [feature] to check one feature"
        )
    if isinstance(features, str | bytes) or not isinstance(features, Iterable):
        raise UsageError(
            f"expected a list of GeoJSON features, found {type(features).__name__}; to check "
            "a file's text use check_zones_text"
        )
    return list(features)


def _read_features(items: list[tuple[int, Any]], source: str, report: Report) -> ZonesCheck:
    """Check (index, feature) pairs in memory with the rules of a zones file."""
    checker = GeoJSONChecker(source, report)
    infos = []
    for index, feature in items:
        plain = _plain(feature)
        info = checker.check_feature(plain, feature_location(plain, index))
        if info is not None:
            infos.append(info)
    result = ZonesCheck("zones", features=infos)
    _zone_rules(result, source, report)
    return result


def _zone_rules(result: ZonesCheck, path: str, report: Report) -> None:
    """The rules of a zones file, for features a checker has read (from a file or memory)."""
    features = result.features
    result.versions = _check_zone_properties(features, path, report)
    _check_versions(result.versions, features, path, report)
    parsed = {v.feature for v in result.versions}
    result.broken_zone_ids = {
        str(info.properties.get("zone_id"))
        for info in features
        if info.properties and info.index not in parsed and info.properties.get("zone_id")
    }


def _plain(value: Any) -> Any:
    """A copy of ``value`` in plain JSON types: dicts, lists, strings, numbers, None.

    Tuples become lists, numpy values Python ones, and shapely geometries (anything with
    ``__geo_interface__``) their GeoJSON mapping, so that memory and files meet the same checks.
    """
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "__geo_interface__"):
        return _plain(value.__geo_interface__)
    return value


def _missing(value: Any) -> bool:
    """Whether a frame cell holds no value (None, NaN, NaT, pd.NA)."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _cell(value: Any) -> Any:
    """A frame cell as a property value: days as ``YYYY-MM-DD``, numpy values as Python ones."""
    if isinstance(value, dt.datetime):  # pandas Timestamps too
        if value.tzinfo is not None:
            value = value.astimezone(schema.DAMASCUS)
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return _plain(value)


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
        where = info.site
        if props is None:
            record(
                report,
                path,
                where,
                "error",
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
                    record(
                        report,
                        path,
                        where,
                        "error",
                        f"property {name!r} is missing; {_zone_property_hint(name)}",
                        "missing-property",
                    )
                continue
            if value is None and optional:
                continue
            if not isinstance(value, str):
                record(
                    report,
                    path,
                    where,
                    "error",
                    f"property {name!r} must be a string, found "
                    f"{value!r}; {_zone_property_hint(name)}",
                    "bad-property",
                )
                continue
            values[name] = value.strip()
        for name in props:
            if name not in schema.ZONE_PROPERTIES:
                record(
                    report,
                    path,
                    where,
                    "warning",
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
                where=info.where,
                extra=extra,
                location=info.location,
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
    values: dict[str, str], where: Where, path: str, report: Report
) -> dict[str, Any] | None:
    def error(message: str, code: str) -> None:
        record(report, path, where, "error", message, code)

    out: dict[str, Any] = {}
    ok = True
    for name in ("zone_id", "group"):
        value = values.get(name)
        if value is not None and not schema.SLUG_RE.match(value):
            error(
                f"{name} {value!r} must be a lower-case slug of letters, "
                "digits and hyphens, such as 'eastern-ghouta'",
                "bad-slug",
            )
            ok = False
    for name in ("name", "boundary_source"):
        if name in values and not values[name]:
            error(f"{name} is empty; {_zone_property_hint(name)}", "empty-property")
            ok = False
    if values.get("name_ar") == "":
        record(
            report,
            path,
            where,
            "warning",
            "name_ar is empty; add the zone's Arabic name",
            "missing-arabic-name",
        )
    accuracy = values.get("accuracy")
    if accuracy is not None and accuracy not in schema.ACCURACY:
        error(
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
            error(f"valid_from: {exc}", "bad-date")
            ok = False
    if values.get("valid_to"):
        try:
            valid_to = schema.parse_date(values["valid_to"])
        except ParseError as exc:
            error(f"valid_to: {exc}", "bad-date")
            ok = False
    if valid_from and valid_to and valid_to <= valid_from:
        error(
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
            record(
                report,
                path,
                info.site,
                "error",
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
                record(
                    report,
                    path,
                    b.site,
                    "error",
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
                record(
                    report,
                    path,
                    b.site,
                    "error",
                    f"overlapping versions of zone {zone_id!r}: the version from {a.valid_from} "
                    f"({a.where}) {ends}, but this one starts {b.valid_from}; set the earlier "
                    f"version's valid_to to {b.valid_from}",
                    "overlapping-versions",
                )
        names = {v.name for v in group}
        if len(names) > 1:
            record(
                report,
                path,
                group[-1].site,
                "warning",
                f"versions of zone {zone_id!r} have different names: {sorted(names)}",
                "inconsistent-name",
            )
