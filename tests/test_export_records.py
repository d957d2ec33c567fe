"""Exports of the current selection (geo.export)."""

from __future__ import annotations

import csv
import io
import json

from geo.datasets import load_timeline
from geo.export import for_display, records_csv, records_geojson
from geo.timemodel import annotate_incidents
from tests.conftest import DATA


def test_csv_round_trips_with_bom_and_arabic():
    timeline = load_timeline(DATA)
    data = records_csv(timeline.zones.versions[["zone_id", "name_ar", "valid_from"]])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["name_ar"] and rows[0]["valid_from"].endswith("+00:00")


def test_geojson_of_incidents_is_rfc7946():
    incidents = annotate_incidents(load_timeline(DATA))
    doc = json.loads(records_geojson(incidents.head(5)))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    first = doc["features"][0]
    assert first["geometry"]["type"] == "Point"
    lon, lat = first["geometry"]["coordinates"]
    assert (lat, lon) == (first["properties"]["lat"], first["properties"]["lon"])
    assert isinstance(first["properties"]["zones"], str)


def test_display_is_in_damascus_time():
    timeline = load_timeline(DATA)
    table = for_display(timeline.agreements.frame)
    cairo = table[table["agreement_id"] == "cairo-eastern-ghouta-2017"].iloc[0]
    assert cairo["effective_from"] == "2017-07-22 12:00"
    assert cairo["zone_ids"] == "eastern-ghouta" and "geometry" not in table.columns


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


def test_csv_of_the_bundled_records_has_no_formula_cell():
    timeline = load_timeline(DATA)
    for frame in (timeline.agreements.frame, annotate_incidents(timeline)):
        text = records_csv(frame).decode("utf-8-sig")
        for row in csv.reader(io.StringIO(text)):
            assert not any(cell[:1] in ("=", "+", "@", "\t", "\r") for cell in row), row
