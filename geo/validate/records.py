"""The rules of the agreements and violations CSV files, and their zone cross-checks.

Each ``check_*_bytes`` function records problems in a :class:`~geo.errors.Report` and returns
the rows it could read, with typed values. :func:`check_violation_zones` checks that each
violation lies in the zone it names, as that zone was on the day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from geo import schema
from geo.errors import Report
from geo.schema import ParseError
from geo.validate.geometry import region_test
from geo.validate.text import NotUtf8Error, decode_utf8, quoted, text_problem
from geo.validate.zones import ZoneVersion

_URL_RE = re.compile(r"https?://\S+")
# Plain decimal numbers with ASCII digits: float() would also read "3_3.5", "inf" and other
# scripts' digits, which are typing mistakes in a coordinate column.
_DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_COUNT_RE = re.compile(r"[0-9]+")
_DATASET_RE = re.compile(r"\b(PA-X|UCDP|ACLED|GED)\b", re.IGNORECASE)


@dataclass
class Unread:
    """What a check of records could not read, so that references to it are not reported.

    A record that names an agreement whose row has an error would otherwise earn a second
    error ("unknown agreement") for the same mistake.
    """

    #: The ids of rows that were rejected.
    ids: set[str] = field(default_factory=set)
    #: True when the file could not be read at all (encoding, quoting, header).
    whole_file: bool = False


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
    try:
        text = decode_utf8(data)
    except NotUtf8Error as exc:
        report.error(
            path,
            f"line {exc.line}, column {exc.column}",
            f"the file is not UTF-8: byte 0x{exc.byte:02x} (perhaps {exc.guess!r} in "
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

    def check_characters(self) -> None:
        """Report lone surrogates and control characters in any cell of the row."""
        for column, value in self.row.items():
            found = text_problem(value)
            if found is not None:
                self.error(column, f"{column} {found[1]}", found[0])

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
        return parsed if self._plausible_time(column, value, parsed.utc) else None

    def day(self, column: str) -> dt.date | None:
        """A calendar day (``signed``), with the checks of an instant."""
        value = self.text(column)
        if not value:
            return None
        try:
            parsed = schema.parse_date(value)
        except ParseError as exc:
            self.error(column, str(exc), "bad-date")
            return None
        ok = self._plausible_time(column, value, schema.local_midnight(parsed))
        return parsed if ok else None

    def _plausible_time(self, column: str, value: str, utc: dt.datetime) -> bool:
        """Refuse an instant in the future; warn about one before the war (False: refused)."""
        if utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
            self.error(
                column,
                f"{value!r} lies in the future; records are of things that "
                "happened: check the year",
                "future-date",
            )
            return False
        if utc.year < 2011:
            self.warning(
                column,
                f"{value!r} is before the Syrian war began (2011); check the year",
                "early-date",
            )
        return True

    def number(self, column: str, low: float, high: float) -> float | None:
        value = self.text(column)
        if not value:
            return None
        if not _DECIMAL_RE.fullmatch(value):
            self.error(
                column,
                f"{quoted(value)} is not a number; write decimal degrees with a point and the "
                "digits 0-9, e.g. 33.5102",
                "bad-number",
            )
            return None
        number = float(value)
        if not math.isfinite(number) or not low <= number <= high:
            self.error(column, f"{quoted(value)} is out of range [{low}, {high}]", "out-of-range")
            return None
        return number

    def count(self, column: str) -> int | None:
        value = self.text(column, required=False)
        if not value:
            return None
        if not _COUNT_RE.fullmatch(value):
            self.error(
                column,
                f"{quoted(value)} must be a whole number of people written with the digits 0-9 "
                "(or empty when not reported)",
                "bad-number",
            )
            return None
        # compare the digits before converting: Python refuses to read 4,300 digits or more
        digits = value.lstrip("0") or "0"
        if len(digits) > len(str(schema.MAX_CASUALTIES)) or int(digits) > schema.MAX_CASUALTIES:
            self.error(
                column,
                f"{quoted(value)} is out of range: more than {schema.MAX_CASUALTIES:,} people "
                "killed in one incident is not a plausible count; check for a misplaced digit",
                "out-of-range",
            )
            return None
        number = int(digits)
        if number > schema.IMPLAUSIBLE_CASUALTIES:
            self.warning(
                column,
                f"{number:,} people killed is more than any single event recorded in the Syrian "
                f"war (none reached {schema.IMPLAUSIBLE_CASUALTIES:,}); check the count",
                "implausible-count",
            )
        return number

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
    data: bytes,
    path: str,
    report: Report,
    *,
    zone_ids: set[str] | None = None,
    unread: Unread | None = None,
) -> list[dict[str, Any]]:
    """Check an agreements CSV and return its readable rows with typed values.

    ``zone_ids``, when given, are the zones that records may name. ``unread``, when given,
    receives the ids of the rows that were rejected, or learns that the file could not be
    read at all.
    """
    table = read_csv_bytes(
        data, path, report, columns=schema.AGREEMENT_COLUMNS, optional=schema.AGREEMENT_OPTIONAL
    )
    if table is None:
        if unread is not None:
            unread.whole_file = True
        return []
    out, seen = [], {}
    for number, row in table.rows:
        r = _RowReader(path, number, row, report)
        r.check_characters()
        agreement_id = r.slug("agreement_id")
        _unique(r, "agreement_id", agreement_id, seen)
        title = r.text("title")
        kind = r.choice("kind", schema.AGREEMENT_KINDS, strict=False)
        signed = r.day("signed")
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
        if not (r.ok and start):
            if unread is not None and agreement_id:
                unread.ids.add(agreement_id)
            continue
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
            r.error("zone_ids", _unknown_zone(zone, zone_ids), "unknown-zone")
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
        r.check_characters()
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
            r.error("zone_id", _unknown_zone(zone_id, zone_ids, may_be_empty=True), "unknown-zone")
        agreement_ids = _agreement_list(r, row.get("agreement_ids", ""))
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
                    "agreement_ids": agreement_ids,
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


def _agreement_list(r: _RowReader, value: str) -> list[str]:
    """The agreement ids of a violation's ``agreement_ids`` cell, each checked as a slug."""
    ids = schema.split_list(value)
    for agreement_id in ids:
        if not schema.SLUG_RE.match(agreement_id):
            r.error(
                "agreement_ids",
                f"{agreement_id!r} is not an agreement id (a lower-case slug); separate ids "
                "with semicolons",
                "bad-slug",
            )
    if len(set(ids)) != len(ids):
        r.warning(
            "agreement_ids",
            f"{value!r} names an agreement more than once; keep one",
            "duplicate-agreement",
        )
    return ids


def check_violation_agreements(
    violations: Iterable[Mapping[str, Any]],
    agreements: Iterable[Mapping[str, Any]],
    path: str,
    report: Report,
    *,
    where: Callable[[Mapping[str, Any]], str] | None = None,
    skip: Collection[str] = frozenset(),
) -> None:
    """Check the agreements each violation says it breaches (its ``agreement_ids``).

    Every id must name an agreement (an error, with a suggestion for a near miss); a
    violation whose time lies wholly outside a linked agreement's period in force
    ``[effective_from, effective_to)`` earns a warning, since it cannot have breached it.

    Parameters
    ----------
    violations
        Records with ``agreement_ids`` (a list, or text separated by semicolons),
        ``occurred`` and ``occurred_end`` (aware instants, or None when unknown).
    agreements
        Records with ``agreement_id``, ``effective_from`` and ``effective_to`` (aware
        instants; ``effective_to`` None when open-ended).
    path
        How problems name the violations' source.
    report
        Receives the problems.
    where
        Names a record's place in messages; by default its CSV row (``rec["row"]``).
    skip
        Agreement ids not to check: those whose rows could not be read (their error is
        reported already).
    """
    periods = {
        rec["agreement_id"]: (rec["effective_from"], rec["effective_to"]) for rec in agreements
    }
    place_of = where or (lambda rec: f"row {rec['row']}, column agreement_ids")
    for rec in violations:
        names = rec.get("agreement_ids") or []
        ids = schema.split_list(names) if isinstance(names, str) else list(names)
        start, end = rec.get("occurred"), rec.get("occurred_end")
        for agreement_id in ids:
            if agreement_id in skip:
                continue
            if agreement_id not in periods:
                report.error(
                    path,
                    place_of(rec),
                    f"unknown agreement {agreement_id!r}"
                    f"{schema.suggest(agreement_id, sorted(periods))}; agreement_ids must name "
                    "agreements defined in agreements.csv",
                    "unknown-agreement",
                )
                continue
            begins, ends = periods[agreement_id]
            if start is None or end is None or begins is None:
                continue
            if end <= begins or (ends is not None and start >= ends):
                until = schema.format_local(ends, False) if ends is not None else "open-ended"
                report.warning(
                    path,
                    place_of(rec),
                    f"the violation ({schema.format_local(start, False)}) lies outside the "
                    f"period in force of agreement {agreement_id!r} "
                    f"({schema.format_local(begins, False)} to {until}), so it cannot have "
                    "breached it; check the date or the link",
                    "outside-agreement-period",
                )


def _check_region(r: _RowReader, lon: float, lat: float) -> None:
    inside, swapped = region_test(lon, lat)
    if inside:
        return
    if swapped:
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


def _unknown_zone(zone: str, zone_ids: set[str], *, may_be_empty: bool = False) -> str:
    """The message for a record that names a zone the zones do not define."""
    message = (
        f"unknown zone {zone!r}{schema.suggest(zone, sorted(zone_ids))}; "
        "zones are defined in zones.geojson"
    )
    if may_be_empty:
        message += ", or leave it empty to derive it from the position"
    return message


def check_violation_zones(
    violations: list[dict[str, Any]],
    versions: list[ZoneVersion],
    path: str,
    report: Report,
    *,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
    where: Callable[[Mapping[str, Any]], str] | None = None,
) -> None:
    """Check that each violation lies in the zone it names, as that zone was on the day.

    Zones in ``skip`` (those with a version that could not be read) are not checked.
    ``where`` names a record's place in messages; by default its CSV row (``rec["row"]``).
    """
    where_of = where or _row_place
    by_zone: dict[str, list[ZoneVersion]] = {}
    for v in versions:
        by_zone.setdefault(v.zone_id, []).append(v)
    for rec in violations:
        zone_id = rec["zone_id"]
        if not zone_id or zone_id not in by_zone or zone_id in skip:
            continue
        place = where_of(rec)
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
                place,
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
                place,
                message + f" (the position is only {rec['location_precision']}-precise)",
                "outside-zone",
            )
        else:
            report.error(path, place, message, "outside-zone")


def _row_place(rec: Mapping[str, Any]) -> str:
    return f"row {rec['row']}, column zone_id"


def check_zone_references(
    agreements: Iterable[Mapping[str, Any]],
    violations: Iterable[Mapping[str, Any]],
    versions: list[ZoneVersion],
    path: str,
    report: Report,
    *,
    zone_ids: set[str],
    skip: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Check records already read (held in memory) against a set of zones.

    The rules the CSV checks apply to zone references: every zone an agreement or violation
    names is defined, and each violation lies in its zone as that zone was on the day. A
    record is placed by its id: ``agreement cairo-eastern-ghouta-2017, column zone_ids``.

    Parameters
    ----------
    agreements
        Records with ``agreement_id`` and ``zone_ids`` (a list, or text separated by
        semicolons).
    violations
        Records with ``violation_id``, ``zone_id``, ``occurred`` (an aware instant),
        ``lat``, ``lon`` and ``location_precision``; one whose ``occurred``, ``lat`` or
        ``lon`` is None is only checked for an unknown zone.
    versions
        The zone versions to check against.
    path
        How problems name the records' source.
    report
        Receives the problems.
    zone_ids
        The zones that are defined (those of ``versions`` and those that could not be read).
    skip
        Zones whose outlines are not checked (a version could not be read).
    """
    for rec in agreements:
        names = rec["zone_ids"]
        for zone in schema.split_list(names) if isinstance(names, str) else names:
            if zone not in zone_ids:
                report.error(
                    path,
                    f"agreement {rec['agreement_id']}, column zone_ids",
                    _unknown_zone(zone, zone_ids),
                    "unknown-zone",
                )
    known = []
    for rec in violations:
        zone = rec["zone_id"]
        if zone and zone not in zone_ids:
            report.error(
                path,
                f"violation {rec['violation_id']}, column zone_id",
                _unknown_zone(zone, zone_ids, may_be_empty=True),
                "unknown-zone",
            )
        elif all(rec[name] is not None for name in ("occurred", "lat", "lon")):
            known.append(rec)  # a record without a time or place cannot be placed in a zone
    check_violation_zones(
        known,
        versions,
        path,
        report,
        skip=skip,
        where=lambda rec: f"violation {rec['violation_id']}, column zone_id",
    )


def _distance_km(geometry: BaseGeometry, point: Point) -> float:
    # Degrees to km at the point's latitude: plenty for a message.
    nearest = nearest_points(geometry, point)[0]
    dx = (nearest.x - point.x) * 111.32 * math.cos(math.radians(point.y))
    dy = (nearest.y - point.y) * 110.57
    return math.hypot(dx, dy)
