"""The data model: field names, vocabularies and the parsing of dates and instants.

See ``docs/data-model.md`` for the user-facing description. Everything here is plain data and
small pure functions, shared by the validator, the loaders and the importers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

#: The zones' local time. Dates without a time of day are days in this zone.
DAMASCUS = ZoneInfo("Asia/Damascus")
UTC = dt.UTC

#: Where positions are expected, as (min_lon, min_lat, max_lon, max_lat): Syria with a margin
#: that takes in the border areas. A position outside it is suspicious; one that falls inside
#: it once latitude and longitude are exchanged was almost surely written in the wrong order.
REGION: tuple[float, float, float, float] = (34.5, 31.5, 43.0, 38.0)
REGION_NAME = "Syria and its borders (longitude 34.5 to 43.0, latitude 31.5 to 38.0)"

#: The years dezmap reads dates from. The records are of the Syrian war; the margin on each
#: side keeps a typo in the year (0017, 20017) from reaching the time model as a real instant.
MIN_YEAR, MAX_YEAR = 1900, 2100

#: Deaths in one record above which a count is refused: no recorded event comes near it, so
#: it is a misplaced digit or a pasted id.
MAX_CASUALTIES = 1_000_000
#: Deaths in one record above which a count earns a warning: more than any single event
#: recorded in the Syrian war (UCDP GED's largest Syrian record, a country-wide total for the
#: whole of 2016, counts 8,179).
IMPLAUSIBLE_CASUALTIES = 10_000

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
# ISO 8601 date and time, minutes required, seconds optional, then Z or +HH:MM.
DATETIME_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)

# --- zones.geojson ---------------------------------------------------------------------------

ZONE_PROPERTIES: tuple[str, ...] = (
    "zone_id",
    "name",
    "name_ar",
    "group",
    "valid_from",
    "valid_to",
    "accuracy",
    "boundary_source",
    "notes",
)
ACCURACY = ("approximate", "surveyed")

# --- agreements.csv --------------------------------------------------------------------------

AGREEMENT_COLUMNS: tuple[str, ...] = (
    "agreement_id",
    "title",
    "kind",
    "signed",
    "effective_from",
    "effective_to",
    "date_precision",
    "zone_ids",
    "parties",
    "guarantors",
    "terms",
    "outcome",
    "source",
)
#: Columns a file may leave out (older files, spreadsheets that dropped an empty column).
AGREEMENT_OPTIONAL: frozenset[str] = frozenset({"date_precision", "guarantors"})
AGREEMENT_KINDS = (
    "nationwide-ceasefire",
    "de-escalation",
    "local-ceasefire",
    "truce",
    "reconciliation",
    "evacuation",
    "humanitarian-pause",
    "demilitarised-zone",
    "monitoring",
    "other",
)
OUTCOMES = (
    "held",
    "violated",
    "collapsed",
    "superseded",
    "expired",
    "partially-implemented",
    "unknown",
)
#: Outcomes that mean the agreement stopped applying at ``effective_to`` without a successor.
ENDED_OUTCOMES = frozenset({"collapsed", "expired"})

# --- violations.csv --------------------------------------------------------------------------

VIOLATION_COLUMNS: tuple[str, ...] = (
    "violation_id",
    "occurred",
    "date_precision",
    "lat",
    "lon",
    "location_precision",
    "place",
    "zone_id",
    "agreement_ids",
    "kind",
    "alleged_perpetrator",
    "reported_by",
    "casualties",
    "summary",
    "source",
)
VIOLATION_OPTIONAL: frozenset[str] = frozenset(
    {"zone_id", "agreement_ids", "reported_by", "casualties"}
)
VIOLATION_KINDS = (
    "shelling",
    "airstrike",
    "ground-assault",
    "clashes",
    "siege",
    "obstruction",
    "sniping",
    "detention",
    "bombing",
    "other",
)
LOCATION_PRECISIONS = ("exact", "town", "district", "governorate")
#: Imported data sets may also place an event only at country level (UCDP where_prec 6-7).
IMPORTED_LOCATION_PRECISIONS = (*LOCATION_PRECISIONS, "country")

#: How long an uncertain date stretches, by precision. ``year`` is for imported data sets.
DATE_PRECISIONS = ("minute", "hour", "day", "week", "month", "year")
VIOLATION_DATE_PRECISIONS = ("hour", "day", "week", "month")
AGREEMENT_DATE_PRECISIONS = ("minute", "hour", "day", "month")


class ParseError(ValueError):
    """A value that cannot be read; the message says why and what to write instead."""


@dataclass(frozen=True)
class Instant:
    """A parsed date or date-time: the instant it starts (UTC) and whether a time was given."""

    utc: dt.datetime
    has_time: bool


def parse_date(value: str) -> dt.date:
    """Read an ISO 8601 calendar date ``YYYY-MM-DD``.

    Raises
    ------
    ParseError
        If the text is not of that form or names a day that does not exist.
    """
    m = DATE_RE.match(value)
    if not m:
        raise ParseError(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2017-07-22")
    try:
        day = dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError as exc:
        raise ParseError(f"{value!r} is not a real date ({exc})") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ParseError(
            f"{value!r} is outside the years {MIN_YEAR} to {MAX_YEAR} that dezmap reads; "
            "check the year"
        )
    return day


def local_midnight(day: dt.date) -> dt.datetime:
    """The UTC instant at which ``day`` begins in Damascus.

    On days when daylight saving time starts at midnight, local midnight does not exist;
    the day then begins at the transition instant (01:00 summer time).

    Raises
    ------
    ParseError
        For the first day of the calendar (0001-01-01), whose start in UTC falls before it.
    """
    try:
        return dt.datetime.combine(day, dt.time(0), tzinfo=DAMASCUS).astimezone(UTC)
    except OverflowError:
        raise _off_the_calendar(day) from None


def _off_the_calendar(value: object) -> ParseError:
    return ParseError(
        f"{value} cannot be placed in time: it lies at the end of the calendar; "
        f"use a year from {MIN_YEAR} to {MAX_YEAR}"
    )


def parse_instant(value: str, *, local_if_naive: bool = False) -> Instant:
    """Read a date (a day in Damascus) or a date-time with a UTC offset.

    With ``local_if_naive`` a date-time without an offset is read as Damascus time (for the
    command line); in data files an offset is required.

    Raises
    ------
    ParseError
        If the text is neither, names an impossible date or time, or is a date-time without
        an offset (ambiguous: the fix is to add one, such as ``+03:00``).
    """
    text = value.strip()
    if DATE_RE.match(text):
        return Instant(local_midnight(parse_date(text)), has_time=False)
    m = DATETIME_RE.match(text)
    if not m:
        raise ParseError(
            f"{value!r} is neither a date (YYYY-MM-DD) nor a date and time with a UTC offset "
            "(YYYY-MM-DDTHH:MM+03:00)"
        )
    try:
        day = parse_date(m[1])
    except ParseError as exc:  # name the whole value, not only its date
        raise ParseError(str(exc).replace(repr(m[1]), repr(value), 1)) from None
    if m[5] is None and local_if_naive:
        try:
            naive = dt.datetime.fromisoformat(text.replace(" ", "T"))
        except ValueError as exc:
            raise ParseError(f"{value!r} is not a real date and time ({exc})") from None
        return Instant(naive.replace(tzinfo=DAMASCUS).astimezone(UTC), has_time=True)
    if m[5] is None:
        raise ParseError(
            f"{value!r} has a time but no UTC offset; add one, e.g. {m[1]}T{m[2]}:{m[3]}+03:00 "
            "(Damascus summer time) or +02:00 (winter)"
        )
    try:
        parsed = dt.datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00"))
    except ValueError as exc:
        raise ParseError(f"{value!r} is not a real date and time ({exc})") from None
    if parsed.date() != day:  # pragma: no cover - fromisoformat keeps the given day
        raise ParseError(f"{value!r} is not a real date and time")
    return Instant(parsed.astimezone(UTC), has_time=True)


def precision_interval(instant: dt.datetime, precision: str) -> tuple[dt.datetime, dt.datetime]:
    """The interval [start, end) that a date or time of this precision stands for, in UTC.

    A value stands for the whole unit that contains it, counted in Damascus local time:
    ``11:30`` with precision ``hour`` means 11:00 to 12:00; ``2017-08-01`` with ``month``
    means the whole of August 2017; ``week`` means seven days from the given day.

    Raises
    ------
    ParseError
        For an unknown precision, or an interval that would run past the end of the calendar.
    """
    try:
        return _precision_interval(instant, precision)
    except ParseError:
        raise
    except (OverflowError, ValueError):  # a day or a year past 9999
        raise _off_the_calendar(instant) from None


def _precision_interval(instant: dt.datetime, precision: str) -> tuple[dt.datetime, dt.datetime]:
    local = instant.astimezone(DAMASCUS)
    day = local.date()
    if precision == "minute":
        start = instant.replace(second=0, microsecond=0)
        return start, start + dt.timedelta(minutes=1)
    if precision == "hour":
        start = (local.replace(minute=0, second=0, microsecond=0)).astimezone(UTC)
        return start, start + dt.timedelta(hours=1)
    if precision == "day":
        return local_midnight(day), local_midnight(day + dt.timedelta(days=1))
    if precision == "week":
        return local_midnight(day), local_midnight(day + dt.timedelta(days=7))
    if precision == "month":
        first = day.replace(day=1)
        nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        return local_midnight(first), local_midnight(nxt)
    if precision == "year":
        return local_midnight(dt.date(day.year, 1, 1)), local_midnight(dt.date(day.year + 1, 1, 1))
    raise ParseError(f"unknown date precision {precision!r}; use one of {DATE_PRECISIONS}")


def split_list(value: str) -> list[str]:
    """Split a semicolon-separated cell into its trimmed, non-empty items."""
    return [item.strip() for item in value.split(";") if item.strip()]


def suggest(value: str, choices: tuple[str, ...] | list[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for a near miss among ``choices``, else ``""``."""
    import difflib

    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def format_local(instant: dt.datetime, with_time: bool = True) -> str:
    """Say an instant in words, in Damascus time: ``22 July 2017, 12:00 Damascus time``."""
    local = instant.astimezone(DAMASCUS)
    day = f"{local.day} {local:%B %Y}"
    return f"{day}, {local:%H:%M} Damascus time" if with_time else day
