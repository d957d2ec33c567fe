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
    active_filters,
    describe_filters,
    extent,
    is_filtered,
    nearest_instant,
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
        perpetrators=("government", "russia"),
        q="Douma & Harasta, الغوطة",
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
        ({"window": "0"}, "window: '0' is not a whole number of days"),
        ({"window": "lots"}, "window: 'lots' is not a whole number of days"),
        ({"window": "2.5"}, "window: '2.5' is not a whole number of days"),
        (
            {"perpetrators": "russians"},
            r"perpetrators: 'russians' is not an actor family \(did you mean 'russia'",
        ),
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


def test_every_list_parameter_drops_unknown_values_with_a_note(timeline):
    view, notes = View.from_params(
        {
            "kinds": "airstrikes",
            "perpetrators": "martians",
            "datasets": "acled",
            "zones": "atlantis,idlib",
        },
        timeline,
    )
    assert (view.kinds, view.perpetrators, view.datasets, view.zones) == ((), (), (), ("idlib",))
    assert [n.split(":")[0] for n in notes] == ["kinds", "perpetrators", "datasets", "zones"]
    assert all(n.endswith("it is ignored") for n in notes), notes


def test_perpetrators_are_actor_families_and_old_wordings_still_work(timeline):
    view, notes = View.from_params({"perpetrators": "russia,Syrian government forces"}, timeline)
    assert view.perpetrators == ("russia", "government")
    assert notes == [
        "perpetrators: 'Syrian government forces' is read as its actor family: "
        "Syrian government forces"
    ]
    scene = select(timeline, with_changes(view, at=pd.Timestamp("2024-12-01T09:00Z"), window=3650))
    wordings = set(scene.incident_records("all")["alleged_perpetrator"])
    assert "Russian air force" in wordings and "Syrian government forces (4th Division)" in wordings
    assert "Lebanese Hezbollah" not in wordings  # Iran-backed only


def test_window_is_a_whole_number_of_days(timeline):
    view, notes = View.from_params({"window": "14"}, timeline)
    assert view.window == 14 and isinstance(view.window, int) and notes == []
    assert view.params()["window"] == "14"


def test_search_text_lives_in_the_address_and_filters_the_tables(timeline):
    view = View.parse("at=2018-03-01T12:00&window=30&q=duma", timeline)
    assert view.q == "duma" and view.query().endswith("&q=duma")
    scene = select(timeline, view)
    found = scene.incident_records()
    assert len(found) and found["place"].str.contains("Douma|Duma").all()
    assert len(found) < len(scene.records)
    # Douma and Duma, Ghouta and Guta, Arabic with and without its taa marbuta
    douma = select(timeline, with_changes(view, q="Douma")).incident_records()
    assert list(douma["violation_id"]) == list(found["violation_id"])
    guta = select(timeline, with_changes(view, q="guta")).agreement_records()
    arabic = select(timeline, with_changes(view, q="الغوطه")).agreement_records()
    assert "cairo-eastern-ghouta-2017" in set(guta["agreement_id"])
    # the Arabic name is the zone's: it finds the agreements that name Eastern Ghouta
    every = select(timeline, with_changes(view, q="")).agreement_records()
    names_it = every["zone_ids"].map(lambda z: "eastern-ghouta" in z)
    assert set(arabic["agreement_id"]) == set(every[names_it]["agreement_id"])
    assert set(arabic["agreement_id"]) <= set(guta["agreement_id"])


def test_window_records_carry_their_zones_and_actor_families(timeline):
    scene = select(timeline, View.parse("at=2018-03-01T12:00&window=30", timeline))
    records = scene.incident_records()
    assert records["violation_id"].is_unique
    for zones in records["zones"]:
        assert "syria-nationwide" in zones
    assert records["zones"].map(lambda z: "eastern-ghouta" in z).any()
    assert records["actor_families"].map(bool).all()


def test_describe_filters_says_what_is_shown(timeline):
    assert describe_filters(View(at=CAIRO), timeline) == "Showing: every incident in every zone"
    view = View(at=CAIRO, kinds=("shelling",), zones=("idlib",))
    assert describe_filters(view, timeline) == (
        "Showing: shelling only; zones: Idlib de-escalation zone (Astana zone 1)"
    )
    view = View(at=CAIRO, kinds=("shelling", "airstrike"), perpetrators=("russia",), q="duma")
    assert describe_filters(view, timeline, search_text=True) == (
        "Showing: shelling and airstrike only; perpetrators: Russian forces; search: 'duma'"
    )
    assert is_filtered(view) and not is_filtered(View(at=CAIRO, q="duma"))
    assert active_filters(View(at=CAIRO, q="duma"), timeline) is None
    assert (
        active_filters(view, timeline)
        == "shelling and airstrike only; perpetrators: Russian forces"
    )


def test_nearest_instant_when_the_zone_existed(timeline):
    ghouta = "eastern-ghouta"
    assert nearest_instant(timeline, ghouta, CAIRO) is None
    # before the zone: noon of its first day; after it: noon of its last day
    assert nearest_instant(timeline, ghouta, pd.Timestamp("2016-03-01T10:00Z")) == pd.Timestamp(
        "2017-05-06T09:00Z"
    )
    assert nearest_instant(timeline, ghouta, pd.Timestamp("2019-01-01T10:00Z")) == pd.Timestamp(
        "2018-04-13T09:00Z"
    )
    with pytest.raises(UsageError, match="no zone 'atlantis'"):
        nearest_instant(timeline, "atlantis", CAIRO)


def test_page_zone_without_focus_is_a_zone_that_exists_at_the_instant(timeline):
    from geo.filters import busiest_instant

    first = View(at=busiest_instant(timeline))
    zone = page_zone(timeline, first)
    assert zone != "syria-nationwide"
    assert nearest_instant(timeline, zone, first.at) is None
    # when only the national extent exists, the page shows it
    assert page_zone(timeline, View(at=pd.Timestamp("2016-03-01T10:00Z"))) == "syria-nationwide"


def test_search_finds_incidents_by_the_arabic_name_of_their_town(timeline):
    from geo.places import load_places

    places = load_places(DATA)
    view = View.parse("at=2018-03-01T12:00&window=30", timeline)
    latin = select(timeline, with_changes(view, q="duma")).incident_records(places=places)
    arabic = select(timeline, with_changes(view, q="دوما")).incident_records(places=places)
    assert len(arabic) >= 2
    # every report at Douma's point is found by its Arabic name; without the gazetteer, none
    assert set(arabic["violation_id"]) <= set(latin["violation_id"])
    assert select(timeline, with_changes(view, q="دوما")).incident_records().empty
