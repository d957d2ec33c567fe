"""Validation of dezmap's data files: every problem, located, with a severity.

The checks here both validate and parse: each ``check_*`` function records problems in a
:class:`~geo.errors.Report` and returns the records it could read, with typed values, so that
the loaders in :mod:`geo.io` build their frames from exactly what was validated.

Entry points: :func:`validate_paths` (what ``dezmap validate`` runs) and
:func:`validate_dataset` (the three files of a data folder, checked together).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from geo import schema
from geo.config import AGREEMENTS_FILE, VIOLATIONS_FILE, ZONES_FILE
from geo.errors import Report
from geo.geojson import FeatureInfo, GeoJSONChecker, parse_text
from geo.schema import ParseError

FileKind = Literal["zones", "layer", "agreements", "violations"]
_BOM = b"\xef\xbb\xbf"
_URL_RE = re.compile(r"https?://\S+")
_DATASET_RE = re.compile(r"\b(PA-X|UCDP|ACLED|GED)\b", re.IGNORECASE)


# --- zones -----------------------------------------------------------------------------------


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


# --- CSV files -------------------------------------------------------------------------------


@dataclass
class CsvTable:
    """The rows of a CSV file, as text, with their spreadsheet row numbers (header = row 1)."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


def read_csv_bytes(
    data: bytes, path: str, report: Report, *, columns: Sequence[str], optional: Iterable[str]
) -> CsvTable | None:
    """Decode and split a CSV file, checking encoding, header and row lengths.

    A UTF-8 byte-order mark and Windows line endings are accepted. Returns None when the file
    cannot be read at all.
    """
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        guess = data[exc.start : exc.start + 1].decode("cp1252", errors="replace")
        report.error(
            path,
            f"line {line}, column {column}",
            f"the file is not UTF-8: byte 0x{data[exc.start]:02x} (perhaps {guess!r} in "
            "Windows-1252) cannot be read; re-save the file as 'CSV UTF-8' (Excel) or with "
            "character set UTF-8 (LibreOffice)",
            "encoding",
        )
        return None
    if "\x00" in text:
        report.error(
            path,
            "",
            "the file contains NUL bytes; it is not a text CSV file "
            "(was it saved as a spreadsheet?)",
            "encoding",
        )
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        report.error(
            path,
            f"line {reader.line_num}",
            f"the CSV cannot be read: {exc}; check the quotes on this line",
            "csv-syntax",
        )
        return None
    if not records or not any(cell.strip() for cell in records[0]):
        report.error(
            path,
            "row 1",
            "the file is empty; the first row must be the header: " + ",".join(columns),
            "empty-file",
        )
        return None
    header = [name.strip() for name in records[0]]
    optional = set(optional)
    bad_header = False
    seen: set[str] = set()
    for i, name in enumerate(header, start=1):
        if name in seen:
            report.error(
                path,
                f"row 1, column {name}",
                f"column {name!r} appears twice; keep one",
                "duplicate-column",
            )
            bad_header = True
        seen.add(name)
        if name not in columns:
            report.error(
                path,
                f"row 1, column {i}",
                f"unknown column {name!r}{schema.suggest(name, list(columns))}; the columns are "
                f"{', '.join(columns)}; rename or remove it",
                "unknown-column",
            )
            bad_header = True
    missing = [c for c in columns if c not in seen and c not in optional]
    if missing:
        report.error(
            path,
            "row 1",
            f"missing column(s): {', '.join(missing)}; add them to the "
            "header (a column may be left empty where allowed)",
            "missing-column",
        )
        bad_header = True
    if bad_header:
        return None
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            report.error(
                path,
                f"row {number}",
                f"row has {len(record)} fields but the header has {len(header)}; quote values "
                "that contain commas",
                "row-length",
            )
            continue
        rows.append(
            (number, {name: cell.strip() for name, cell in zip(header, record, strict=True)})
        )
    return CsvTable(header, rows)


class _RowReader:
    """Reads typed values from one CSV row, recording problems with their row and column."""

    def __init__(self, path: str, number: int, row: dict[str, str], report: Report) -> None:
        self.path, self.row_number, self.row, self.report = path, number, row, report
        self.ok = True

    def where(self, column: str) -> str:
        return f"row {self.row_number}, column {column}"

    def error(self, column: str, message: str, code: str) -> None:
        self.report.error(self.path, self.where(column), message, code)
        self.ok = False

    def warning(self, column: str, message: str, code: str) -> None:
        self.report.warning(self.path, self.where(column), message, code)

    def text(self, column: str, *, required: bool = True, what: str = "") -> str:
        value = self.row.get(column, "")
        if required and not value:
            self.error(column, f"{column} is empty{'; ' + what if what else ''}", "empty-field")
        return value

    def slug(self, column: str) -> str:
        value = self.text(column)
        if value and not schema.SLUG_RE.match(value):
            self.error(
                column,
                f"{value!r} must be a lower-case slug of letters, digits and hyphens",
                "bad-slug",
            )
        return value

    def choice(self, column: str, choices: Sequence[str], *, strict: bool) -> str:
        value = self.text(column)
        if value and value not in choices:
            message = (
                f"{value!r} is not one of {', '.join(choices)}"
                f"{schema.suggest(value, list(choices))}"
            )
            if strict:
                self.error(column, message, "bad-choice")
            else:
                self.warning(
                    column, message + "; keep it only if no listed kind fits", "unknown-choice"
                )
        return value

    def instant(self, column: str, *, required: bool = True) -> schema.Instant | None:
        value = self.text(column, required=required)
        if not value:
            return None
        try:
            parsed = schema.parse_instant(value)
        except ParseError as exc:
            self.error(column, str(exc), "bad-date")
            return None
        if parsed.utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
            self.error(
                column,
                f"{value!r} lies in the future; records are of things that "
                "happened: check the year",
                "future-date",
            )
            return None
        if parsed.utc.year < 2011:
            self.warning(
                column,
                f"{value!r} is before the Syrian war began (2011); check the year",
                "early-date",
            )
        return parsed

    def number(self, column: str, low: float, high: float) -> float | None:
        value = self.text(column)
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            self.error(
                column,
                f"{value!r} is not a number; write decimal degrees with a point, e.g. 33.5102",
                "bad-number",
            )
            return None
        if not math.isfinite(number) or not low <= number <= high:
            self.error(column, f"{value!r} is out of range [{low}, {high}]", "out-of-range")
            return None
        return number

    def count(self, column: str) -> int | None:
        value = self.text(column, required=False)
        if not value:
            return None
        if not re.fullmatch(r"\d+", value):
            self.error(
                column,
                f"{value!r} must be a whole number of people (or empty when not reported)",
                "bad-number",
            )
            return None
        return int(value)

    def source(self, column: str = "source") -> str:
        value = self.text(
            column, what="every record must cite its source (outlet and URL, or dataset and id)"
        )
        if value and not (_URL_RE.search(value) or _DATASET_RE.search(value)):
            self.warning(
                column,
                f"source {value[:60]!r} gives neither a URL nor a dataset id; "
                "cite 'Outlet, date, URL' or e.g. 'PA-X 2093'",
                "weak-source",
            )
        return value


def _unique(reader: _RowReader, column: str, value: str, seen: dict[str, int]) -> None:
    if not value:
        return
    if value in seen:
        reader.error(
            column,
            f"duplicate {column} {value!r} (also in row {seen[value]}); ids must be unique",
            "duplicate-id",
        )
    else:
        seen[value] = reader.row_number


def check_agreements_bytes(
    data: bytes, path: str, report: Report, *, zone_ids: set[str] | None = None
) -> list[dict[str, Any]]:
    """Check an agreements CSV and return its readable rows with typed values.

    ``zone_ids``, when given, are the zones that records may name.
    """
    table = read_csv_bytes(
        data, path, report, columns=schema.AGREEMENT_COLUMNS, optional=schema.AGREEMENT_OPTIONAL
    )
    if table is None:
        return []
    out, seen = [], {}
    for number, row in table.rows:
        r = _RowReader(path, number, row, report)
        agreement_id = r.slug("agreement_id")
        _unique(r, "agreement_id", agreement_id, seen)
        title = r.text("title")
        kind = r.choice("kind", schema.AGREEMENT_KINDS, strict=False)
        signed = None
        if r.text("signed"):
            try:
                signed = schema.parse_date(row["signed"])
            except ParseError as exc:
                r.error("signed", str(exc), "bad-date")
        start = r.instant("effective_from")
        end = r.instant("effective_to", required=False)
        if start and end and end.utc <= start.utc:
            r.error(
                "effective_to",
                f"effective_to {row['effective_to']!r} is not after "
                f"effective_from {row['effective_from']!r}",
                "date-order",
            )
        precision = row.get("date_precision", "")
        if precision:
            precision = r.choice("date_precision", schema.AGREEMENT_DATE_PRECISIONS, strict=True)
        elif start:
            precision = "minute" if start.has_time else "day"
        zones = _zone_list(r, row.get("zone_ids", ""), zone_ids)
        parties = r.text("parties")
        terms = r.text("terms")
        outcome = r.choice("outcome", schema.OUTCOMES, strict=False)
        if outcome in schema.ENDED_OUTCOMES and start and not end:
            r.warning(
                "effective_to",
                f"outcome is {outcome!r} but effective_to is empty, so "
                "the agreement counts as in force indefinitely; give the date it "
                f"{outcome}",
                "open-ended-collapse",
            )
        source = r.source()
        if r.ok and start:
            out.append(
                {
                    "agreement_id": agreement_id,
                    "title": title,
                    "kind": kind,
                    "signed": signed,
                    "effective_from": start.utc,
                    "effective_to": end.utc if end else None,
                    "date_precision": precision,
                    "zone_ids": zones,
                    "parties": parties,
                    "guarantors": row.get("guarantors", ""),
                    "terms": terms,
                    "outcome": outcome,
                    "source": source,
                    "row": number,
                }
            )
    return out


def _zone_list(r: _RowReader, value: str, zone_ids: set[str] | None) -> list[str]:
    zones = schema.split_list(value)
    if not zones:
        r.error(
            "zone_ids",
            "zone_ids is empty; name the zones the agreement covers, separated by semicolons",
            "empty-field",
        )
    for zone in zones:
        if zone_ids is not None and zone not in zone_ids:
            r.error(
                "zone_ids",
                f"unknown zone {zone!r}{schema.suggest(zone, sorted(zone_ids))}; "
                "zones are defined in zones.geojson",
                "unknown-zone",
            )
    return zones


def check_violations_bytes(
    data: bytes, path: str, report: Report, *, zone_ids: set[str] | None = None
) -> list[dict[str, Any]]:
    """Check a violations CSV and return its readable rows with typed values."""
    table = read_csv_bytes(
        data, path, report, columns=schema.VIOLATION_COLUMNS, optional=schema.VIOLATION_OPTIONAL
    )
    if table is None:
        return []
    out, seen = [], {}
    for number, row in table.rows:
        r = _RowReader(path, number, row, report)
        violation_id = r.slug("violation_id")
        _unique(r, "violation_id", violation_id, seen)
        occurred = r.instant("occurred")
        precision = r.choice("date_precision", schema.VIOLATION_DATE_PRECISIONS, strict=True)
        if occurred and precision == "hour" and not occurred.has_time:
            r.error(
                "date_precision",
                "precision 'hour' needs a time in occurred, such as "
                "2021-08-14T21:00+03:00; or use 'day'",
                "precision-mismatch",
            )
        lat = r.number("lat", -90, 90)
        lon = r.number("lon", -180, 180)
        if lat is not None and lon is not None:
            _check_region(r, lon, lat)
        loc_precision = r.choice("location_precision", schema.LOCATION_PRECISIONS, strict=True)
        place = r.text("place")
        zone_id = row.get("zone_id", "")
        if zone_id and zone_ids is not None and zone_id not in zone_ids:
            r.error(
                "zone_id",
                f"unknown zone {zone_id!r}{schema.suggest(zone_id, sorted(zone_ids))}"
                "; zones are defined in zones.geojson, or leave it empty to derive it from "
                "the position",
                "unknown-zone",
            )
        kind = r.choice("kind", schema.VIOLATION_KINDS, strict=False)
        perpetrator = r.text(
            "alleged_perpetrator", what="write 'unknown' if the report names nobody"
        )
        casualties = r.count("casualties")
        summary = r.text("summary")
        source = r.source()
        if r.ok and occurred and precision:
            start, end = schema.precision_interval(occurred.utc, precision)
            out.append(
                {
                    "violation_id": violation_id,
                    "occurred": start,
                    "occurred_end": end,
                    "date_precision": precision,
                    "lat": lat,
                    "lon": lon,
                    "location_precision": loc_precision,
                    "place": place,
                    "zone_id": zone_id,
                    "kind": kind,
                    "alleged_perpetrator": perpetrator,
                    "reported_by": row.get("reported_by", ""),
                    "casualties": casualties,
                    "summary": summary,
                    "source": source,
                    "row": number,
                }
            )
    return out


def _check_region(r: _RowReader, lon: float, lat: float) -> None:
    x0, y0, x1, y1 = schema.REGION
    if x0 <= lon <= x1 and y0 <= lat <= y1:
        return
    if x0 <= lat <= x1 and y0 <= lon <= y1:
        r.error(
            "lat",
            f"lat {lat} and lon {lon} appear swapped: the position lies outside "
            f"{schema.REGION_NAME} but inside it when exchanged; exchange the two values",
            "swapped-coordinates",
        )
    else:
        r.warning(
            "lat",
            f"position (lat {lat}, lon {lon}) lies outside {schema.REGION_NAME}; check it",
            "outside-region",
        )


def check_violation_zones(
    violations: list[dict[str, Any]],
    versions: list[ZoneVersion],
    path: str,
    report: Report,
    *,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Check that each violation lies in the zone it names, as that zone was on the day.

    Zones in ``skip`` (those with a version that could not be read) are not checked.
    """
    by_zone: dict[str, list[ZoneVersion]] = {}
    for v in versions:
        by_zone.setdefault(v.zone_id, []).append(v)
    for rec in violations:
        zone_id = rec["zone_id"]
        if not zone_id or zone_id not in by_zone or zone_id in skip:
            continue
        where = f"row {rec['row']}, column zone_id"
        day = rec["occurred"].astimezone(schema.DAMASCUS).date()
        current = [
            v
            for v in by_zone[zone_id]
            if v.valid_from <= day and (v.valid_to is None or day < v.valid_to)
        ]
        if not current:
            spans = ", ".join(f"{v.valid_from} to {v.valid_to or 'now'}" for v in by_zone[zone_id])
            report.error(
                path,
                where,
                f"zone {zone_id!r} has no boundary version on {day} (its "
                f"versions: {spans}); check the date or the zone",
                "zone-not-in-force",
            )
            continue
        version = current[0]
        point = Point(rec["lon"], rec["lat"])
        if shapely.covers(version.geometry, point):
            continue
        km = _distance_km(version.geometry, point)
        message = (
            f"the position (lat {rec['lat']}, lon {rec['lon']}) lies {km:.1f} km outside "
            f"zone {zone_id!r} as it was on {day} ({version.where}); fix the position or "
            "the zone, or leave zone_id empty"
        )
        if rec["location_precision"] in ("district", "governorate"):
            report.warning(
                path,
                where,
                message + f" (the position is only {rec['location_precision']}-precise)",
                "outside-zone",
            )
        else:
            report.error(path, where, message, "outside-zone")


def _distance_km(geometry: BaseGeometry, point: Point) -> float:
    # Degrees to km at the point's latitude: plenty for a message.
    nearest = nearest_points(geometry, point)[0]
    dx = (nearest.x - point.x) * 111.32 * math.cos(math.radians(point.y))
    dy = (nearest.y - point.y) * 110.57
    return math.hypot(dx, dy)


# --- files and folders -----------------------------------------------------------------------


@dataclass
class ValidatedData:
    """What a validation run read: the report and the records that could be parsed."""

    report: Report
    zones: ZonesCheck | None = None
    agreements: list[dict[str, Any]] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)


def detect_kind(path: Path, data: bytes) -> FileKind | Literal["unknown"] | None:
    """Tell a file's kind from its name and, for CSV files, its header."""
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return None  # decided from content by check_zones_text
    if suffix in (".csv", ".txt", ".tsv"):
        head = data[:4096].lstrip(_BOM).decode("utf-8", errors="replace").split("\n", 1)[0]
        if "violation_id" in head:
            return "violations"
        if "agreement_id" in head:
            return "agreements"
        name = path.name.lower()
        if name.startswith("violations"):
            return "violations"
        if name.startswith("agreements"):
            return "agreements"
    return "unknown"


def validate_dataset(data_dir: str | Path, *, display: str | None = None) -> ValidatedData:
    """Validate the three files of a data folder together, cross-references included.

    Parameters
    ----------
    data_dir
        The folder holding ``zones.geojson``, ``agreements.csv`` and ``violations.csv``.
    display
        How to name the folder in messages (defaults to the path as given).
    """
    base = Path(data_dir)
    shown = display if display is not None else str(base)
    files = [base / ZONES_FILE, base / AGREEMENTS_FILE, base / VIOLATIONS_FILE]
    result = ValidatedData(Report())
    for f in files:
        if not f.is_file():
            result.report.error(
                _join(shown, f.name),
                "",
                f"file not found; a data folder needs "
                f"{ZONES_FILE}, {AGREEMENTS_FILE} and {VIOLATIONS_FILE}",
                "missing-file",
            )
    return _validate_files(
        [(f, _join(shown, f.name)) for f in files if f.is_file()],
        result,
        kinds={_join(shown, ZONES_FILE): "zones"},
    )


def validate_paths(
    paths: Sequence[str | Path], *, data_dir: str | Path | None = None
) -> ValidatedData:
    """Validate the named files; CSV zone references are checked against the zones given.

    When no zones file is among ``paths``, references are checked against ``data_dir``'s
    ``zones.geojson`` if there is one.
    """
    result = ValidatedData(Report())
    pairs = [(Path(p), str(p)) for p in paths]
    extra_zones = None
    names = {p.name.lower() for p, _ in pairs}
    if data_dir is not None and not any(n.endswith((".geojson", ".json")) for n in names):
        candidate = Path(data_dir) / ZONES_FILE
        if candidate.is_file():
            extra_zones = candidate
    return _validate_files(pairs, result, kinds={}, reference_zones=extra_zones)


def _join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}" if folder else name


def _validate_files(
    files: list[tuple[Path, str]],
    result: ValidatedData,
    *,
    kinds: dict[str, FileKind],
    reference_zones: Path | None = None,
) -> ValidatedData:
    report = result.report
    loaded: list[tuple[FileKind, str, bytes]] = []
    for path, shown in files:
        try:
            data = path.read_bytes()
        except IsADirectoryError:
            report.error(
                shown, "", "is a folder; name a file, or use --data for a data folder", "unreadable"
            )
            continue
        except OSError as exc:
            report.error(shown, "", f"cannot be read: {exc.strerror or exc}", "unreadable")
            continue
        kind = kinds.get(shown) or detect_kind(path, data)
        if kind == "unknown":
            report.error(
                shown,
                "",
                "cannot tell what this file holds: dezmap reads zones "
                "(.geojson) and agreements or violations (.csv, whose header starts "
                "with agreement_id or violation_id)",
                "unknown-kind",
            )
            continue
        loaded.append((kind, shown, data))  # type: ignore[arg-type]
    zone_versions: list[ZoneVersion] = []
    broken: set[str] = set()
    have_zones = False
    for kind, shown, data in loaded:
        if kind in (None, "zones", "layer"):
            text = _decode_json(data, shown, report)
            if text is None:
                continue
            check = check_zones_text(text, shown, report, kind=kind)
            if check.kind == "zones":
                have_zones = True
                zone_versions.extend(check.versions)
                broken |= check.broken_zone_ids
                if result.zones is None:
                    result.zones = check
    if not have_zones and reference_zones is not None:
        ref_report = Report()
        text = reference_zones.read_text(encoding="utf-8", errors="replace")
        zone_versions = check_zones_text(
            text, str(reference_zones), ref_report, kind="zones"
        ).versions
        have_zones = True
    zone_ids = ({v.zone_id for v in zone_versions} | broken) if have_zones else None
    for kind, shown, data in loaded:
        if kind == "agreements":
            result.agreements += check_agreements_bytes(data, shown, report, zone_ids=zone_ids)
        elif kind == "violations":
            records = check_violations_bytes(data, shown, report, zone_ids=zone_ids)
            check_violation_zones(records, zone_versions, shown, report, skip=broken)
            result.violations += records
    return result


def _decode_json(data: bytes, shown: str, report: Report) -> str | None:
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        report.error(
            shown,
            f"line {line}",
            f"the file is not UTF-8 (byte 0x{data[exc.start]:02x}"
            "); GeoJSON must be UTF-8: re-save it as UTF-8",
            "encoding",
        )
        return None
