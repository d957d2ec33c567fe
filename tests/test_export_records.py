"""Exports of the current selection (geo.export)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pandas as pd
import pytest

from geo.datasets import load_timeline
from geo.export import for_display, records_csv, records_geojson
from geo.export.records import local_instants, local_iso
from geo.timemodel import annotate_incidents
from tests.conftest import DATA

#: What a UTC instant looks like in text: an offset of zero, a Z suffix, or a time followed by
#: "UTC" ("UTC+3" in an agreement's terms is a time zone, not an instant).
UTC_LEFTOVER = re.compile(
    r"\+00:?00\b|\d{2}:\d{2}(:\d{2})?(\.\d+)?Z\b|\d{1,2}:\d{2}(:\d{2})?\s*UTC\b(?![+-])"
)
#: An instant in the one form dezmap prints: Damascus local time with its offset.
LOCAL_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}\+0[23]:00$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def timeline():
    return load_timeline(DATA)


def test_csv_round_trips_with_bom_and_arabic(timeline):
    data = records_csv(timeline.zones.versions[["zone_id", "name_ar", "valid_from"]])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    # a zone version begins on a Damascus day: printed as that day, not as UTC's evening before
    ghouta = next(r for r in rows if r["zone_id"] == "eastern-ghouta")
    assert ghouta["name_ar"] and ghouta["valid_from"] == "2017-05-06"


@pytest.mark.parametrize(
    ("instant", "precision", "text"),
    [
        ("2017-07-22T09:00Z", "minute", "2017-07-22T12:00+03:00"),
        ("2017-07-22T09:00Z", None, "2017-07-22T12:00+03:00"),
        ("2017-01-22T10:00Z", "hour", "2017-01-22T12:00+02:00"),
        ("2017-07-21T21:00Z", "day", "2017-07-22"),
        ("2017-07-21T21:00Z", None, "2017-07-22"),  # a Damascus midnight: a day
        ("2017-07-21T21:00Z", "minute", "2017-07-22T00:00+03:00"),  # known to the minute
        ("2017-07-31T21:00Z", "month", "2017-08"),
        ("2017-07-21T21:00Z", "week", "2017-07-22"),
    ],
)
def test_local_iso_is_damascus_time_to_its_precision(instant, precision, text):
    assert local_iso(pd.Timestamp(instant), precision) == text


def test_local_iso_of_missing_values_and_dates():
    assert local_iso(None) == "" and local_iso(pd.NaT) == ""
    assert local_iso(dt.date(2017, 7, 22)) == "2017-07-22"
    with pytest.raises(ValueError, match="no UTC offset"):
        local_iso(pd.Timestamp("2017-07-22T12:00"))


def test_agreement_instants_follow_their_precision(timeline):
    table = local_instants(timeline.agreements.frame).set_index("agreement_id")
    cairo = table.loc["cairo-eastern-ghouta-2017"]
    assert cairo["signed"] == "2017-07-22"  # signed on 22 July in Damascus, not 21 July UTC
    assert cairo["effective_from"] == "2017-07-22T12:00+03:00"
    daraa = table.loc["daraa-al-balad-truce-2021-08"]
    assert DAY.match(daraa["effective_from"]), daraa["effective_from"]


def test_incident_instants_follow_their_precision(timeline):
    incidents = annotate_incidents(timeline)
    table = local_instants(incidents)
    for precision, occurred in zip(incidents["date_precision"], table["occurred"], strict=True):
        if precision == "hour":
            assert LOCAL_INSTANT.match(occurred), occurred
        elif precision in ("day", "week"):
            assert DAY.match(occurred), occurred
    row = table[table["violation_id"] == "v-20210814-tareeq-al-sad"].iloc[0]
    assert (row["occurred"], row["occurred_end"]) == ("2021-08-14", "2021-08-15")


@pytest.mark.parametrize("kind", ["agreements", "incidents", "zones"])
def test_downloads_and_tables_hold_no_utc_instant(timeline, kind):
    frame = {
        "agreements": timeline.agreements.frame,
        "incidents": annotate_incidents(timeline),
        "zones": timeline.zones.versions,
    }[kind]
    csv_text = records_csv(frame.drop(columns=["summary", "terms"], errors="ignore"))
    texts = [csv_text.decode("utf-8-sig")]
    if kind == "incidents":
        doc = json.loads(records_geojson(frame))
        texts.append(json.dumps([f["properties"] for f in doc["features"]]))
    table = for_display(frame)
    texts.append(table.drop(columns=["summary", "terms"], errors="ignore").to_csv())
    for text in texts:
        found = UTC_LEFTOVER.search(text)
        assert found is None, text[max(0, found.start() - 80) : found.end() + 20]
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            values = [v for v in table[column] if v]
            assert values and all(
                LOCAL_INSTANT.match(v) or DAY.match(v) or re.match(r"^\d{4}-\d{2}$", v)
                for v in values
            ), (column, values[:5])


def test_geojson_of_incidents_is_rfc7946(timeline):
    incidents = annotate_incidents(timeline)
    doc = json.loads(records_geojson(incidents.head(5)))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    first = doc["features"][0]
    assert first["geometry"]["type"] == "Point"
    lon, lat = first["geometry"]["coordinates"]
    assert (lat, lon) == (first["properties"]["lat"], first["properties"]["lon"])
    assert isinstance(first["properties"]["zones"], str)


def test_display_is_in_damascus_time(timeline):
    table = for_display(timeline.agreements.frame)
    cairo = table[table["agreement_id"] == "cairo-eastern-ghouta-2017"].iloc[0]
    assert cairo["effective_from"] == "2017-07-22T12:00+03:00"
    assert cairo["zone_ids"] == "eastern-ghouta" and "geometry" not in table.columns


def test_display_names_actor_families_by_label():
    frame = pd.DataFrame({"actor_families": [("government", "russia"), ("unknown",)]})
    assert list(for_display(frame)["actor_families"]) == [
        "Syrian government forces, Russian forces",
        "Unknown or unidentified",
    ]
    assert list(_csv_column(frame, "actor_families")) == ["government;russia", "unknown"]


def _csv_column(frame, column):
    text = records_csv(frame).decode("utf-8-sig")
    return [row[column] for row in csv.DictReader(io.StringIO(text))]


def test_csv_neutralises_spreadsheet_formulas_but_not_numbers():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "summary": [
                '=HYPERLINK("http://127.0.0.1:9/","x")',
                "+1",
                "-2+3",
                "@SUM(A1)",
                "\tx",
                "\rx",
                "plain",
            ],
            "casualties": [-1, 2, 3, 4, 5, 6, 7],
        }
    )
    text = records_csv(frame).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["summary"] for r in rows] == [
        '\'=HYPERLINK("http://127.0.0.1:9/","x")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "plain",
    ]
    assert rows[0]["casualties"] == "-1"  # a number stays a number


def test_csv_of_the_bundled_records_has_no_formula_cell(timeline):
    for frame in (timeline.agreements.frame, annotate_incidents(timeline)):
        text = records_csv(frame).decode("utf-8-sig")
        for row in csv.reader(io.StringIO(text)):
            assert not any(cell[:1] in ("=", "+", "@", "\t", "\r") for cell in row), row
