"""Dates, instants and precision intervals (geo.schema)."""

from __future__ import annotations

import datetime as dt

import pytest

from geo import schema
from geo.schema import ParseError


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    "value,expected,has_time",
    [
        ("2017-07-22", "2017-07-21T21:00:00+00:00", False),  # summer: UTC+3
        ("2016-12-30", "2016-12-29T22:00:00+00:00", False),  # winter: UTC+2
        ("2017-07-22T12:00+03:00", "2017-07-22T09:00:00+00:00", True),
        ("2017-07-22T09:00Z", "2017-07-22T09:00:00+00:00", True),
        ("2017-07-22 12:00:30+0300", "2017-07-22T09:00:30+00:00", True),
    ],
)
def test_parse_instant(value, expected, has_time):
    parsed = schema.parse_instant(value)
    assert parsed.utc == utc(expected) and parsed.has_time is has_time


def test_local_midnight_on_the_day_summer_time_begins():
    # Syria moved clocks from 00:00 to 01:00 on 31 March 2017: the day starts at the jump.
    start = schema.local_midnight(dt.date(2017, 3, 31))
    assert start == utc("2017-03-30T22:00:00+00:00")
    assert start.astimezone(schema.DAMASCUS).hour == 1


@pytest.mark.parametrize(
    "value,words",
    [
        ("2017-07-22T12:00", "no UTC offset"),
        ("2017-13-01", "not a real date"),
        ("2017-02-29", "not a real date"),
        ("yesterday", "neither a date"),
    ],
)
def test_parse_instant_errors(value, words):
    with pytest.raises(ParseError, match=words):
        schema.parse_instant(value)


@pytest.mark.parametrize(
    "precision,given,start,end",
    [
        # 11:30 Damascus summer time, known to the hour: the clock hour 11:00-12:00
        (
            "hour",
            "2017-07-22T08:30:00+00:00",
            "2017-07-22T08:00:00+00:00",
            "2017-07-22T09:00:00+00:00",
        ),
        (
            "day",
            "2021-08-14T18:00:00+00:00",
            "2021-08-13T21:00:00+00:00",
            "2021-08-14T21:00:00+00:00",
        ),
        (
            "week",
            "2021-08-13T21:00:00+00:00",
            "2021-08-13T21:00:00+00:00",
            "2021-08-20T21:00:00+00:00",
        ),
        # any day in August 2017 stands for the whole month
        (
            "month",
            "2017-08-14T21:00:00+00:00",
            "2017-07-31T21:00:00+00:00",
            "2017-08-31T21:00:00+00:00",
        ),
        (
            "month",
            "2016-12-05T10:00:00+00:00",
            "2016-11-30T22:00:00+00:00",
            "2016-12-31T22:00:00+00:00",
        ),
        (
            "year",
            "2017-06-01T00:00:00+00:00",
            "2016-12-31T22:00:00+00:00",
            "2017-12-31T22:00:00+00:00",
        ),
    ],
)
def test_precision_interval_is_the_unit_that_contains_the_value(precision, given, start, end):
    assert schema.precision_interval(utc(given), precision) == (utc(start), utc(end))


def test_unknown_precision():
    with pytest.raises(ParseError, match="unknown date precision"):
        schema.precision_interval(utc("2017-01-01T00:00:00+00:00"), "fortnight")


def test_format_local_says_damascus_time():
    instant = utc("2017-07-22T09:00:00+00:00")
    assert schema.format_local(instant) == "22 July 2017, 12:00 Damascus time"
    assert schema.format_local(instant, with_time=False) == "22 July 2017"


def test_suggest():
    assert schema.suggest("airstirke", schema.VIOLATION_KINDS) == " (did you mean 'airstrike'?)"
    assert schema.suggest("zzz", schema.VIOLATION_KINDS) == ""


# --- the years dezmap reads, and the ends of the calendar ---------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01",
        "1899-12-31",
        "2101-01-01",
        "9999-12-31",
        "9999-12-31T23:00-12:00",
        "0001-01-01T00:00+14:00",
        "1899-12-31T23:59Z",
    ],
)
def test_years_outside_1900_to_2100_are_a_clear_error(value):
    with pytest.raises(ParseError, match="outside the years 1900 to 2100") as info:
        schema.parse_instant(value)
    assert str(info.value).startswith(repr(value))


@pytest.mark.parametrize(
    "value", ["1900-01-01", "2100-12-31", "2100-12-31T23:00-12:00", "1900-01-01T00:00+14:00"]
)
def test_the_ends_of_the_range_are_read(value):
    schema.parse_instant(value)


def test_parse_date_refuses_years_outside_the_range():
    with pytest.raises(ParseError, match="outside the years 1900 to 2100"):
        schema.parse_date("0001-01-01")
    assert schema.parse_date("2100-12-31") == dt.date(2100, 12, 31)


def test_local_midnight_at_the_start_of_the_calendar_is_a_parse_error():
    # Damascus is ahead of UTC, so the first day of the calendar began in year 0
    with pytest.raises(ParseError, match="cannot be placed in time"):
        schema.local_midnight(dt.date.min)
    assert schema.local_midnight(dt.date(1, 1, 2)).year == 1


def test_local_midnight_at_the_end_of_the_calendar_is_exact():
    assert schema.local_midnight(dt.date.max) == utc("9999-12-30T21:00:00+00:00")


@pytest.mark.parametrize("precision", ["day", "week", "month", "year"])
def test_precision_interval_at_the_end_of_the_calendar_is_a_parse_error(precision):
    last = dt.datetime(9999, 12, 30, 22, tzinfo=dt.UTC)
    with pytest.raises(ParseError, match="cannot be placed in time"):
        schema.precision_interval(last, precision)


def test_casualty_bounds_are_ordered():
    assert 8179 < schema.IMPLAUSIBLE_CASUALTIES < schema.MAX_CASUALTIES < 2**53
