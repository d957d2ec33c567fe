"""The view and its selection (geo.view): one definition for the pages and the snapshots."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from geo.datasets import load_timeline
from geo.errors import UsageError
from geo.filters import incident_mask
from geo.render import BASEMAPS
from geo.timemodel import status_at, window_incidents
from geo.view import (
    BASEMAP_NAMES,
    View,
    extent,
    page_zone,
    parse_bbox,
    parse_query,
    select,
    with_changes,
)
from tests.conftest import DATA


@pytest.fixture(scope="module")
def timeline():
    return load_timeline(DATA)


CAIRO = pd.Timestamp("2017-07-23T09:00", tz="UTC")


def test_query_round_trip_keeps_every_field(timeline):
    view = View(
        at=CAIRO,
        window=14,
        zone="eastern-ghouta",
        kinds=("shelling", "airstrike"),
        datasets=("bundled",),
        zones=("eastern-ghouta", "idlib"),
        base="osm",
        bbox=(35.5, 32.3, 37.25, 34.0),
    )
    back = View.parse(view.query(), timeline)
    assert back == view


def test_query_is_the_app_address_form():
    view = View(at=CAIRO, zone="eastern-ghouta")
    # Damascus summer time, minutes, the '+' escaped so that it survives an address bar
    assert view.query() == "at=2017-07-23T12:00%2B03:00&zone=eastern-ghouta"
    assert view.permalink("http://localhost:8501/") == (
        "http://localhost:8501/?at=2017-07-23T12:00%2B03:00&zone=eastern-ghouta"
    )


@pytest.mark.parametrize(
    "text",
    [
        "at=2017-07-23T12:00%2B03:00&window=3&zone=idlib",
        "?at=2017-07-23T12:00%2B03:00&window=3&zone=idlib",
        "http://localhost:8501/zone?at=2017-07-23T12:00%2B03:00&window=3&zone=idlib",
        "https://dezmap.example/?zone=idlib&window=3&at=2017-07-23T12%3A00%2B03%3A00",
    ],
)
def test_parse_query_reads_a_query_or_a_whole_address(text, timeline):
    assert parse_query(text) == {"at": "2017-07-23T12:00+03:00", "window": "3", "zone": "idlib"}
    view = View.parse(text, timeline)
    assert (view.at, view.window, view.zone) == (CAIRO, 3.0, "idlib")


def test_parse_query_refuses_text_without_parameters():
    with pytest.raises(UsageError, match="cannot read a view"):
        parse_query("eastern ghouta in july")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"zone": "eastern-gouta"},
            r"zone: no zone 'eastern-gouta' \(did you mean 'eastern-ghouta'",
        ),
        ({"window": "0"}, "window: '0' is not a number of days"),
        ({"window": "lots"}, "window: 'lots' is not a number of days"),
        ({"at": "23/07/2017"}, "at: "),
        (
            {"kinds": "airstrikes"},
            r"kinds: 'airstrikes' is not in the data \(did you mean 'airstrike'",
        ),
        ({"datasets": "acled"}, "datasets: 'acled' is not in the data"),
        ({"base": "google"}, "base: 'google' is not one of none, osm, carto"),
        ({"bbox": "37,34,36,33"}, "bbox: .*min < max"),
    ],
)
def test_bad_values_are_notes_leniently_and_errors_strictly(params, message, timeline):
    view, notes = View.from_params(params, timeline)
    assert len(notes) == 1, notes
    assert re.search(message, notes[0]), notes
    # the lenient reading falls back to the default for that field
    assert view == with_changes(View.from_params({}, timeline)[0])
    with pytest.raises(UsageError, match=message):
        View.parse(params, timeline)


def test_unknown_filter_values_are_dropped_not_kept(timeline):
    # a mistyped kind must not filter out every incident (false calm)
    view, notes = View.from_params({"kinds": "shelling,airstrikes"}, timeline)
    assert view.kinds == ("shelling",)
    assert len(notes) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("35.5,32.3,37,34", (35.5, 32.3, 37.0, 34.0)),
        (" 36 , 33 , 37 , 34 ", (36.0, 33.0, 37.0, 34.0)),
    ],
)
def test_parse_bbox(text, expected):
    assert parse_bbox(text) == expected


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "36,33,37,nan", "36,33,36,34", "0,-95,1,0"])
def test_parse_bbox_refuses(text):
    with pytest.raises(UsageError, match="MINLON,MINLAT,MAXLON,MAXLAT"):
        parse_bbox(text)


def test_basemap_names_match_the_renderer():
    assert set(BASEMAP_NAMES) == set(BASEMAPS)


VIEWS = [
    {"at": "2017-07-23T12:00"},
    {"at": "2017-07-23T12:00", "window": "30", "kinds": "shelling"},
    {"at": "2018-02-25T12:00", "zones": "eastern-ghouta"},
    {"at": "2016-03-01T12:00", "window": "10"},
    {"at": "2021-08-15T12:00", "zone": "daraa-al-balad"},
    {"at": "2017-05-10T12:00", "datasets": "bundled", "window": "60"},
]


@pytest.mark.parametrize("params", VIEWS)
def test_select_is_the_time_model_applied_to_the_view(params, timeline):
    view = View.parse(params, timeline)
    scene = select(timeline, view)
    mask = incident_mask(
        timeline.incidents, kinds=view.kinds, perpetrators=view.perpetrators, datasets=view.datasets
    )
    zone_ids = list(view.zones) or None
    expected = status_at(
        timeline, view.at, window_days=view.window, incident_mask=mask, zone_ids=zone_ids
    )
    pd.testing.assert_frame_equal(scene.status, expected)
    incidents = window_incidents(timeline, view.at, window_days=view.window, incident_mask=mask)
    if zone_ids:
        incidents = incidents[incidents["zone_id_matched"].isin(zone_ids)]
    assert list(scene.incidents["violation_id"]) == list(incidents["violation_id"])
    assert scene.records["violation_id"].is_unique
    assert set(scene.records["violation_id"]) == set(incidents["violation_id"])
    in_force = {a for row in expected["agreements"] for a in row}
    assert set(scene.agreements["agreement_id"]) == in_force
    assert list(scene.zones["zone_id"]) == list(expected["zone_id"])
    assert scene.zones.geometry.notna().all()


def test_select_on_the_cairo_agreement(timeline):
    scene = select(timeline, View.parse("at=2017-07-23T12:00&zone=eastern-ghouta", timeline))
    ghouta = scene.status.set_index("zone_id").loc["eastern-ghouta"]
    assert "cairo-eastern-ghouta-2017" in ghouta["agreements"]
    assert "cairo-eastern-ghouta-2017" in set(scene.agreements["agreement_id"])


def test_kind_filter_changes_counts(timeline):
    everything = select(timeline, View.parse("at=2021-09-10T12:00&window=3650", timeline))
    kinds = set(everything.records["kind"])
    assert len(kinds) >= 2, kinds
    one = sorted(kinds)[0]
    filtered = select(
        timeline, View.parse(f"at=2021-09-10T12:00&window=3650&kinds={one}", timeline)
    )
    assert set(filtered.records["kind"]) == {one}
    assert 0 < len(filtered.records) < len(everything.records)


def test_incident_records_all_scope_respects_zones_and_filters(timeline):
    scene = select(
        timeline, View.parse("at=2018-02-25T12:00&zones=idlib&kinds=airstrike", timeline)
    )
    rows = scene.incident_records("all")
    assert len(rows)
    assert rows["kind"].eq("airstrike").all()
    assert rows["zones"].map(lambda z: "idlib" in z).all()
    with pytest.raises(UsageError, match="scope"):
        scene.incident_records("everything")


def test_extent_prefers_bbox_then_focus_then_everything(timeline):
    everything = extent(timeline, View(at=CAIRO))
    ghouta = extent(timeline, View(at=CAIRO, zone="eastern-ghouta"))
    assert everything[0] < ghouta[0] < ghouta[2] < everything[2]
    assert everything[1] < ghouta[1] < ghouta[3] < everything[3]
    box = (36.0, 33.0, 37.0, 34.0)
    assert extent(timeline, View(at=CAIRO, zone="eastern-ghouta", bbox=box)) == box


def test_page_zone_is_the_focus_or_the_first_local_zone(timeline):
    assert page_zone(timeline, View(at=CAIRO, zone="idlib")) == "idlib"
    assert page_zone(timeline, View(at=CAIRO)) != "syria-nationwide"
