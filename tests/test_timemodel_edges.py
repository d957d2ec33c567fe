"""Edges of the time model (geo.timemodel) on the shared test shapes.

Written to kill the mutants that ``scripts/mutation.sh timemodel`` found alive: boundaries of
periods and windows, the columns of empty results, the readings of instants, and the frames a
timeline keeps. The story: the U zone (``tests/shapes.py``) from 2017; a truce over it from 1
March to 1 June 2017 and a shorter one from 1 April to 1 May 2017; incidents in its arm (one
naming the truce), in its notch (outside), and one far away that names the truce.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geo.errors import UsageError
from geo.io import load_dataset
from geo.timemodel import (
    annotate_incidents,
    as_instant,
    build_timeline,
    incident_agreements,
    linked_agreements,
    status_at,
    window_incidents,
    zone_state,
)
from tests import shapes
from tests.test_join import folder_of, incident, truce

ARM = shapes.CONCAVE.inside["west arm"]
NOTCH = shapes.CONCAVE.outside["notch"]
FAR = (36.90, 33.90)


@pytest.fixture
def story(tmp_path):
    first = dict(truce("first", "concave-u", "2017-03-01", "2017-06-01"), outcome="expired")
    second = dict(truce("second", "concave-u", "2017-04-01", "2017-05-01"), outcome="expired")
    named = dict(incident("v-named", FAR, "2017-03-20"), agreement_ids="first")
    folder = folder_of(
        tmp_path,
        [shapes.CONCAVE.feature(), shapes.HOLED.feature()],
        [second, first],
        [
            incident("v-late", ARM, "2017-03-25"),
            incident("v-early", ARM, "2017-03-18"),
            incident("v-notch", NOTCH, "2017-03-19"),
            named,
            incident("v-week", ARM, "2017-02-25", precision="week"),
        ],
    )
    data = load_dataset(folder)
    return data, build_timeline(data.zones, data.agreements, data.violations)


# --- instants ----------------------------------------------------------------------------------------


def test_as_instant_reads_every_kind_of_instant():
    utc = pd.Timestamp("2017-07-22T09:00", tz="UTC")
    assert as_instant("2017-07-22T12:00+03:00") == utc
    assert as_instant("2017-07-22T12:00") == utc  # Damascus time
    assert (
        as_instant(dt.datetime(2017, 7, 22, 12, tzinfo=dt.timezone(dt.timedelta(hours=3)))) == utc
    )
    aware = as_instant(pd.Timestamp("2017-07-22T12:00", tz="Asia/Damascus"))
    assert aware == utc and str(aware.tz) == "UTC"
    assert as_instant(dt.date(2017, 7, 22)) == pd.Timestamp("2017-07-21T21:00", tz="UTC")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("22 July", "'22 July' is neither a date"),
        (dt.datetime(2017, 7, 22, 12), "has no time zone; give a UTC offset"),
        (pd.Timestamp("2017-07-22T12:00"), "has no time zone; give a UTC offset"),
        (5, "cannot read an instant from 5"),
    ],
)
def test_as_instant_refuses_what_is_no_instant(value, message):
    with pytest.raises(UsageError, match=message):
        as_instant(value)


def test_linked_agreements_reads_text_lists_and_gaps():
    frame = pd.DataFrame({"agreement_ids": ["a; b", ["c", "d"], None, ""]})
    assert linked_agreements(frame) == [("a", "b"), ("c", "d"), (), ()]
    assert linked_agreements(pd.DataFrame({"x": [1, 2]})) == [(), ()]


# --- the timeline's frames -----------------------------------------------------------------------------


def test_the_timeline_keeps_the_frames_as_given_and_its_range(story):
    data, timeline = story
    assert list(timeline.incidents.columns) == list(data.violations.columns)
    assert timeline.incidents.index.tolist() == list(range(5))
    assert list(timeline.agreements.frame.columns) == list(data.agreements.columns)
    assert timeline.agreements.frame["agreement_id"].tolist() == ["first", "second"]
    lo, hi = timeline.range
    assert lo == data.zones["valid_from"].min()
    assert hi == max(data.violations["occurred_end"].max(), data.agreements["effective_to"].max())
    assert hi == pd.Timestamp("2017-05-31T21:00", tz="UTC")


# --- status at the edges of periods and windows --------------------------------------------------------


def test_an_agreement_has_ended_at_its_end_instant_not_before(story):
    _, timeline = story
    end = pd.Timestamp("2017-05-31T21:00", tz="UTC")  # 1 June, Damascus midnight
    before = status_at(timeline, end - pd.Timedelta(1, "ns")).set_index("zone_id")
    at = status_at(timeline, end).set_index("zone_id")
    assert before.loc["concave-u", "agreements"] == ("first",)
    assert at.loc["concave-u", "status"] == "lapsed"
    assert at.loc["concave-u", "last_ended"] == "first"  # it ended after 'second'
    assert at.loc["holed", "last_ended"] == "" and at.loc["holed", "status"] == "none"


def test_the_window_starts_where_it_says(story):
    _, timeline = story
    table = status_at(timeline, "2017-03-26", window_days=0.5).set_index("zone_id")
    start = table.loc["concave-u", "window_start"]
    assert start == pd.Timestamp("2017-03-25T10:00", tz="UTC") and str(start.tz) == "UTC"
    assert table.loc["concave-u", "violations"] == 1  # v-late's day, to 22:00 UTC
    later = status_at(timeline, "2017-03-26T12:00", window_days=0.5).set_index("zone_id")
    assert later.loc["concave-u", "violations"] == 0


def test_status_for_chosen_zones_only(story):
    _, timeline = story
    table = status_at(timeline, "2017-03-26", zone_ids=["holed"])
    assert table["zone_id"].tolist() == ["holed"]


def test_window_incidents_are_newest_first_and_an_empty_window_keeps_its_columns(story):
    _, timeline = story
    found = window_incidents(timeline, "2017-03-26", window_days=10, zone_id="concave-u")
    assert found["violation_id"].tolist() == ["v-late", "v-named", "v-early"]
    assert found["linked"].tolist() == [False, True, False]
    assert found["zone_id_matched"].tolist() == ["concave-u"] * 3
    empty = window_incidents(timeline, "2016-01-01", zone_id="concave-u")
    assert len(empty) == 0 and empty["linked"].dtype == bool
    assert set(timeline.incidents.columns) < set(empty.columns)
    everywhere = window_incidents(timeline, "2017-03-26", window_days=10)
    assert everywhere["violation_id"].tolist() == ["v-late", "v-named", "v-early"]


# --- pairs of incidents and agreements ------------------------------------------------------------------


def test_incident_agreements_says_which_pairs_are_certain_and_linked(story):
    _, timeline = story
    pairs = incident_agreements(timeline)
    assert list(pairs.columns) == ["incident", "agreement_id", "zone_id", "certain", "linked"]
    assert pairs.index.tolist() == list(range(len(pairs)))
    ids = timeline.incidents["violation_id"].tolist()
    found = {
        (ids[i], a, c, linked)
        for i, a, c, linked in zip(
            pairs["incident"], pairs["agreement_id"], pairs["certain"], pairs["linked"], strict=True
        )
    }
    # v-week (25 February to 4 March) only partly overlaps 'first' (from 1 March): uncertain
    assert found == {
        ("v-early", "first", True, False),
        ("v-late", "first", True, False),
        ("v-named", "first", True, True),
        ("v-week", "first", False, False),
    }


def test_incident_agreements_of_a_timeline_without_pairs_has_the_columns(tmp_path):
    folder = folder_of(tmp_path, [shapes.HOLED.feature()], [truce("t", "holed")], [])
    data = load_dataset(folder)
    pairs = incident_agreements(build_timeline(data.zones, data.agreements, data.violations))
    assert list(pairs.columns) == ["incident", "agreement_id", "zone_id", "certain", "linked"]
    assert pairs.empty


def test_annotations_mark_spans_and_linked_zones(story):
    _, timeline = story
    table = annotate_incidents(timeline).set_index("violation_id")
    assert table["spans_versions"].dtype == bool and not table["spans_versions"].any()
    assert table.loc["v-named", "linked_zones"] == "concave-u"
    assert table.loc["v-named", "outside_zones"] and table.loc["v-notch", "outside_zones"]
    assert table.loc["v-early", "linked_zones"] == ""
    assert np.array_equal(table["zones"].map(len).to_numpy(), [1, 1, 0, 0, 1])


# --- more edges: ranges, links, lapses, windows ----------------------------------------------------


def test_the_range_of_zones_without_a_first_day_starts_with_the_first_agreement_or_incident(
    story,
):
    # every zone version counts from the beginning of time (no valid_from): the range still
    # starts at the earliest instant the data speaks of, v-week's 25 February (Damascus)
    data, _ = story
    zones = data.zones.copy()
    zones["valid_from"] = pd.Series(pd.NaT, index=zones.index, dtype=zones["valid_from"].dtype)
    timeline = build_timeline(zones, data.agreements, data.violations)
    lo, hi = timeline.range
    assert lo == pd.Timestamp("2017-02-24T22:00", tz="UTC") == data.violations["occurred"].min()
    assert hi == pd.Timestamp("2017-05-31T21:00", tz="UTC")  # 'first' ends on 1 June


def test_a_timeline_of_some_agreements_ignores_names_of_the_others(story):
    # the Agreements page may build a timeline of a selection: v-named names 'first', which
    # is not in it, so it is linked to nothing (and nothing breaks)
    data, _ = story
    only_second = data.agreements[data.agreements["agreement_id"] == "second"]
    timeline = build_timeline(data.zones, only_second, data.violations)
    assert not timeline.matches.linked.any()
    table = annotate_incidents(timeline).set_index("violation_id")
    assert table.loc["v-named", "linked_zones"] == "" and table.loc["v-named", "outside_zones"]


@pytest.mark.parametrize("names", ["first;h", "h;first"])
def test_an_incident_inside_one_zone_is_still_linked_to_another_agreements_zone(tmp_path, names):
    # in the U's arm, naming the U's truce (it lies in that zone: no link needed) and the
    # holed square's truce (it lies outside that zone: linked), in either order
    folder = folder_of(
        tmp_path,
        [shapes.CONCAVE.feature(), shapes.HOLED.feature()],
        [truce("first", "concave-u", "2017-03-01"), truce("h", "holed", "2017-03-01")],
        [dict(incident("v-both", ARM, "2017-03-10"), agreement_ids=names)],
    )
    data = load_dataset(folder)
    timeline = build_timeline(data.zones, data.agreements, data.violations)
    row = annotate_incidents(timeline).iloc[0]
    assert row["zones"] == ("concave-u",) and row["linked_zones"] == "holed"
    assert row["agreements"] == ("first", "h")
    assert status_at(timeline, "2017-03-12").set_index("zone_id")["status"].to_dict() == {
        "concave-u": "violated",
        "holed": "violated",
    }


def test_lapsed_names_the_agreement_that_ended_last_not_the_one_that_began_first(tmp_path):
    early = dict(truce("early", "concave-u", "2017-03-01", "2017-04-01"), outcome="expired")
    late = dict(truce("late", "concave-u", "2017-03-15", "2017-06-01"), outcome="expired")
    folder = folder_of(tmp_path, [shapes.CONCAVE.feature()], [late, early], [])
    data = load_dataset(folder)
    timeline = build_timeline(data.zones, data.agreements, data.violations)
    row = status_at(timeline, "2017-07-01").set_index("zone_id").loc["concave-u"]
    assert (row["status"], row["last_ended"]) == ("lapsed", "late")
    # the building block says the same, about the version it was asked about
    t = int(pd.Timestamp("2017-07-01T00:00+03:00").value)
    state = zone_state(timeline, 0, t, 7 * 86_400 * 10**9)
    assert state.version == 0 and state.status == "lapsed"
    assert timeline.agreements.frame["agreement_id"][state.last_ended] == "late"


def test_window_incidents_of_one_zone_and_through_a_filter(story):
    _, timeline = story
    # the holed square had no incident; the U's incidents are not its
    assert window_incidents(timeline, "2017-03-26", window_days=10, zone_id="holed").empty
    ids = timeline.incidents["violation_id"]
    found = window_incidents(
        timeline,
        "2017-03-26",
        window_days=10,
        zone_id="concave-u",
        incident_mask=(ids != "v-late").to_numpy(),
    )
    assert found["violation_id"].tolist() == ["v-named", "v-early"]
    everywhere = window_incidents(
        timeline, "2017-03-26", window_days=10, incident_mask=(ids == "v-early").to_numpy()
    )
    assert everywhere["violation_id"].tolist() == ["v-early"]


def test_a_window_before_any_zone_existed_is_empty_with_the_usual_columns(story):
    _, timeline = story
    full = window_incidents(timeline, "2017-03-26", window_days=10)
    empty = window_incidents(timeline, "2016-06-01", window_days=400)  # no zone exists yet
    assert len(empty) == 0
    assert list(empty.columns) == list(full.columns)
    assert empty["zone_id_matched"].dtype == full["zone_id_matched"].dtype
    assert empty["linked"].dtype == full["linked"].dtype == bool


def test_an_incident_on_an_agreements_last_day_is_certain_and_on_the_next_day_is_none(tmp_path):
    # 'first' is in force until 1 June 2017 (Damascus midnight): a report dated 31 May ends
    # exactly as it ends (certain); one dated 1 June begins as it ends (not a violation of it)
    folder = folder_of(
        tmp_path,
        [shapes.CONCAVE.feature(), shapes.HOLED.feature()],
        [
            truce("first", "concave-u", "2017-03-01", "2017-06-01"),
            truce("h", "holed", "2017-03-01"),
        ],
        [
            incident("v-last-day", ARM, "2017-05-31"),
            incident("v-next-day", ARM, "2017-06-01"),
            incident("v-ring", shapes.HOLED.inside["ring south"], "2017-03-10"),
        ],
    )
    data = load_dataset(folder)
    pairs = incident_agreements(build_timeline(data.zones, data.agreements, data.violations))
    ids = data.violations["violation_id"].tolist()
    found = [
        (ids[i], a, c)
        for i, a, c in zip(pairs["incident"], pairs["agreement_id"], pairs["certain"], strict=True)
    ]
    assert sorted(found) == [("v-last-day", "first", True), ("v-ring", "h", True)]
    assert pairs.index.tolist() == [0, 1]  # one index over both zones' pairs


def test_annotations_flag_an_interval_across_a_boundary_change_and_two_linked_zones(tmp_path):
    # the U's notch is filled from 2018; a week from 28 December 2017 in its arm lies in both
    # outlines and crosses the change; a report far away names a truce over both zones
    filled = {
        "type": "Polygon",
        "coordinates": [
            [[36.30, 33.50], [36.50, 33.50], [36.50, 33.65], [36.30, 33.65], [36.30, 33.50]]
        ],
    }
    zones = [
        shapes.CONCAVE.feature(valid_from="2017-01-01", valid_to="2018-01-01"),
        dict(shapes.CONCAVE.feature(valid_from="2018-01-01"), geometry=filled),
        shapes.HOLED.feature(),
    ]
    folder = folder_of(
        tmp_path,
        zones,
        [truce("memo", "concave-u;holed", "2017-03-01")],
        [
            incident("v-week", ARM, "2017-12-28", precision="week"),
            incident("v-day", ARM, "2017-12-28"),
            dict(incident("v-far", FAR, "2017-06-01"), agreement_ids="memo"),
        ],
    )
    data = load_dataset(folder)
    table = annotate_incidents(build_timeline(data.zones, data.agreements, data.violations))
    table = table.set_index("violation_id")
    assert table["spans_versions"].to_dict() == {"v-week": True, "v-day": False, "v-far": False}
    assert table.loc["v-far", "linked_zones"] == "concave-u;holed"
    assert table.loc["v-week", "zones"] == ("concave-u",)
