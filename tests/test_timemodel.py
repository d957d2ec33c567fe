"""The time model and the spatial-temporal join (geo.timemodel, geo.join)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from geo import schema
from geo.errors import Report, UsageError
from geo.io import load_dataset, violations_frame
from geo.join import ZoneIndex, join_incidents, outside_every_zone
from geo.timemodel import (
    annotate_incidents,
    as_instant,
    build_timeline,
    incident_agreements,
    linked_incidents,
    status_at,
    window_incidents,
)
from geo.validate import check_violations_bytes
from tests.conftest import DATA, csv_text, write_zones, zone_feature

BIG = [[36.30, 33.50], [36.50, 33.50], [36.50, 33.65], [36.30, 33.65], [36.30, 33.50]]
SMALL = [[36.38, 33.55], [36.43, 33.55], [36.43, 33.60], [36.38, 33.60], [36.38, 33.55]]
IN_SMALL = (33.57, 36.40)  # lat, lon: inside both outlines
IN_BIG_ONLY = (33.52, 36.32)  # inside the first outline only
OUTSIDE = (35.93, 36.63)  # Idlib city: in no zone of this folder


def agreement_row(agreement_id, start, end="", zone="ghouta", outcome="held"):
    return {
        "agreement_id": agreement_id,
        "title": agreement_id,
        "kind": "truce",
        "signed": start[:10],
        "effective_from": start,
        "effective_to": end,
        "zone_ids": zone,
        "parties": "a;b",
        "terms": "t",
        "outcome": outcome,
        "source": "Test fixture, 2017-01-01, https://example.org/fixture",
    }


def violation_row(
    violation_id, occurred, where=IN_SMALL, precision="day", location="town", kind="shelling"
):
    return {
        "violation_id": violation_id,
        "occurred": occurred,
        "date_precision": precision,
        "lat": str(where[0]),
        "lon": str(where[1]),
        "location_precision": location,
        "place": "somewhere",
        "kind": kind,
        "alleged_perpetrator": "unknown",
        "summary": "s",
        "source": "Test fixture, 2017-01-01, https://example.org/fixture",
    }


def make_folder(tmp_path, agreements, violations, zones=None):
    folder = tmp_path / "data"
    folder.mkdir()
    zones = zones or [
        zone_feature(ring=BIG, zone_id="ghouta", valid_from="2017-01-01", valid_to="2018-01-01"),
        zone_feature(ring=SMALL, zone_id="ghouta", valid_from="2018-01-01", valid_to=""),
    ]
    write_zones(folder / "zones.geojson", *zones)
    (folder / "agreements.csv").write_text(csv_text(list(schema.AGREEMENT_COLUMNS), agreements))
    (folder / "violations.csv").write_text(csv_text(list(schema.VIOLATION_COLUMNS), violations))
    ds = load_dataset(folder)
    return build_timeline(ds.zones, ds.agreements, ds.violations)


def status(timeline, at, **kw):
    table = status_at(timeline, at, **kw).set_index("zone_id")
    return table.loc["ghouta"] if "ghouta" in table.index else None


# --- statuses ---------------------------------------------------------------------------------


@pytest.fixture
def story(tmp_path):
    """A truce from 1 March to 1 June 2017 (expired), a violation on 18 March, a second
    agreement from 1 September 2017, open-ended."""
    return make_folder(
        tmp_path,
        [
            agreement_row("first", "2017-03-01T12:00+02:00", "2017-06-01", outcome="expired"),
            agreement_row("second", "2017-09-01"),
        ],
        [violation_row("v-1", "2017-03-18"), violation_row("v-old", "2017-02-20")],
    )


@pytest.mark.parametrize(
    "at,expected,agreements,violations",
    [
        ("2016-12-31", None, (), 0),  # the zone does not exist yet
        ("2017-02-21", "none", (), 1),  # incidents, but no agreement: none
        ("2017-03-01T11:59+02:00", "none", (), 0),
        ("2017-03-01T12:00+02:00", "holding", ("first",), 0),  # the 20 Feb incident predates it
        ("2017-03-20", "violated", ("first",), 1),
        ("2017-03-25", "violated", ("first",), 1),  # window 18-24 March
        ("2017-03-26", "holding", ("first",), 0),  # window 19-25 March: past the 18th
        ("2017-07-01", "lapsed", (), 0),  # expired, nothing replaced it
        ("2017-09-01", "holding", ("second",), 0),  # open-ended successor
        ("2025-01-01", "holding", ("second",), 0),
    ],
)
def test_each_status_transition(story, at, expected, agreements, violations):
    row = status(story, at)
    if expected is None:
        assert row is None
        return
    assert row["status"] == expected
    assert row["agreements"] == agreements
    assert row["violations"] == violations


def test_lapsed_names_the_agreement_that_ended_last(story):
    assert status(story, "2017-07-01")["last_ended"] == "first"


def test_window_length_is_the_users(story):
    assert status(story, "2017-03-26")["status"] == "holding"
    assert status(story, "2017-03-26", window_days=10)["status"] == "violated"
    with pytest.raises(UsageError, match="positive"):
        status_at(story, "2017-03-26", window_days=0)


def test_filter_mask_drops_incidents(story):
    mask = np.zeros(story.n_incidents, dtype=bool)
    assert status(story, "2017-03-20", incident_mask=mask)["status"] == "holding"


# --- boundary at the incident's own time --------------------------------------------------------


def test_incident_is_matched_to_the_outline_of_its_own_date(tmp_path):
    timeline = make_folder(
        tmp_path,
        [agreement_row("a", "2017-01-01")],
        [
            violation_row("v-2017", "2017-06-01", where=IN_BIG_ONLY),
            violation_row("v-2018", "2018-06-01", where=IN_BIG_ONLY),
            violation_row("v-small", "2018-06-01", where=IN_SMALL),
            violation_row("v-out", "2017-06-01", where=OUTSIDE),
        ],
    )
    notes = annotate_incidents(timeline).set_index("violation_id")
    assert notes.loc["v-2017", "zones"] == ("ghouta",)
    assert notes.loc["v-2018", "zones"] == ()  # same place, after the zone shrank
    assert notes.loc["v-small", "zones"] == ("ghouta",)
    assert notes.loc["v-out", "outside_zones"] and notes.loc["v-2018", "outside_zones"]
    assert len(notes) == 4  # incidents outside every zone are kept


def test_eastern_ghouta_2017_outline_versus_2018_pocket_on_bundled_data():
    ds = load_dataset(DATA)
    towns = {"harasta": (33.558370, 36.364003), "duma": (33.569859, 36.399142)}
    rows = [
        violation_row(f"v-{name}-{day}", day, where=where)
        for name, where in towns.items()
        for day in ("2017-08-01", "2018-04-05")
    ]
    report = Report()
    text = csv_text(list(schema.VIOLATION_COLUMNS), rows)
    incidents = violations_frame(check_violations_bytes(text.encode(), "extra.csv", report))
    assert report.ok
    timeline = build_timeline(ds.zones, ds.agreements, incidents)
    zones = annotate_incidents(timeline).set_index("violation_id")["zones"]
    assert "eastern-ghouta" in zones["v-harasta-2017-08-01"]
    assert "eastern-ghouta" not in zones["v-harasta-2018-04-05"]  # Douma was all that was left
    assert "eastern-ghouta" in zones["v-duma-2018-04-05"]
    assert all("syria-nationwide" in z for z in zones)


# --- agreements: time zones, open-ended, expired ---------------------------------------------------


def test_violation_before_a_noon_ceasefire_on_its_first_day_is_not_a_violation_of_it(tmp_path):
    # The Cairo agreement took effect at 12:00 Damascus time (UTC+3) on 22 July 2017.
    timeline = make_folder(
        tmp_path,
        [agreement_row("cairo", "2017-07-22T12:00+03:00")],
        [
            violation_row("v-1130", "2017-07-22T11:30+03:00", precision="hour"),
            violation_row("v-1230", "2017-07-22T12:30+03:00", precision="hour"),
            # the same instants written in UTC: 08:30Z is 11:30 in Damascus
            violation_row("v-0830z", "2017-07-22T08:30Z", precision="hour"),
        ],
    )
    pairs = incident_agreements(timeline)
    ids = timeline.incidents["violation_id"].to_numpy()
    violated = {ids[i] for i in pairs.loc[pairs["agreement_id"] == "cairo", "incident"]}
    assert violated == {"v-1230"}
    # at 12:15 only the 12:30 report counts, and only as uncertain: its hour is 12:00-13:00
    early = status(timeline, "2017-07-22T12:15+03:00")
    assert (early["status"], early["violations"], early["uncertain"]) == (
        "possibly-violated",
        1,
        1,
    )
    late = status(timeline, "2017-07-22T13:00+03:00")
    assert (late["status"], late["violations"], late["uncertain"]) == ("violated", 1, 0)


def test_day_precision_report_on_the_first_day_is_only_possibly_a_violation(tmp_path):
    timeline = make_folder(
        tmp_path,
        [agreement_row("cairo", "2017-07-22T12:00+03:00")],
        [violation_row("v-day", "2017-07-22")],
    )
    pairs = incident_agreements(timeline)
    assert list(pairs["certain"]) == [False]
    row = status(timeline, "2017-07-22T18:00+03:00")
    assert row["violations"] == 1 and row["uncertain"] == 1
    assert row["status"] == "possibly-violated"
    # the next midnight the whole day is in the window, but it still straddles the truce's
    # noon start, which clips the window: still only possibly
    assert status(timeline, "2017-07-23")["status"] == "possibly-violated"


def test_one_certain_incident_makes_the_zone_violated_beside_uncertain_ones(tmp_path):
    timeline = make_folder(
        tmp_path,
        [agreement_row("a", "2017-07-01")],
        [
            violation_row("v-hour", "2017-07-20T09:30+03:00", precision="hour"),
            violation_row("v-day", "2017-07-20"),
        ],
    )
    noon = status(timeline, "2017-07-20T12:00+03:00")
    assert (noon["status"], noon["violations"], noon["uncertain"]) == ("violated", 2, 1)
    morning = status(timeline, "2017-07-20T09:00+03:00")  # only the day report can count
    assert (morning["status"], morning["violations"]) == ("possibly-violated", 1)


def test_statuses_are_the_documented_five():
    from geo.render.style import STATUS_COLORS, STATUS_LABELS
    from geo.timemodel import STATUSES

    assert STATUSES == ("none", "holding", "possibly-violated", "violated", "lapsed")
    assert tuple(STATUS_COLORS) == STATUSES == tuple(STATUS_LABELS)


def test_daraa_al_balad_is_possibly_violated_at_noon_on_the_truce_day():
    """14 Aug 2021: the truce starts that day; the Tareeq al-Sad shelling was reported that
    evening, dated to the day only. At noon it may not have happened yet."""
    from geo.datasets import load_timeline

    bundled = load_timeline(DATA)
    noon = status_at(bundled, "2021-08-14T12:00+03:00").set_index("zone_id")
    row = noon.loc["daraa-al-balad"]
    assert (row["status"], row["violations"], row["uncertain"]) == ("possibly-violated", 1, 1)
    assert "daraa-al-balad-truce-2021-08" in row["agreements"]
    # the next day's noon: the 14th lies wholly in the window, the 15th's report is uncertain
    later = status_at(bundled, "2021-08-15T12:00+03:00").set_index("zone_id")
    assert later.loc["daraa-al-balad", "status"] == "violated"


def test_the_daily_series_carries_possibly_violated(tmp_path):
    from geo.metrics import zone_daily

    timeline = make_folder(
        tmp_path,
        [agreement_row("a", "2017-01-01")],
        [violation_row("v-aug", "2017-08-01", precision="month")],
    )
    series = zone_daily(timeline, "ghouta").set_index("date")
    assert series.loc[dt.date(2017, 8, 10), "status"] == "possibly-violated"
    assert series.loc[dt.date(2017, 7, 20), "status"] == "holding"


def test_open_ended_and_expired_agreements(tmp_path):
    timeline = make_folder(
        tmp_path,
        [
            agreement_row("expired", "2017-01-01", "2017-02-01", outcome="expired"),
            agreement_row("open", "2017-01-15"),
        ],
        [violation_row("v-late", "2017-12-01")],
    )
    assert status(timeline, "2017-01-20")["agreements"] == ("expired", "open")
    assert status(timeline, "2017-02-01")["agreements"] == ("open",)  # the end is exclusive
    pairs = incident_agreements(timeline)
    assert list(pairs["agreement_id"]) == ["open"]


def test_status_cli_date_without_offset_is_damascus_time():
    assert as_instant("2017-07-22T12:00") == as_instant("2017-07-22T12:00+03:00")
    assert as_instant("2017-07-22") == pd.Timestamp("2017-07-21T21:00Z")
    with pytest.raises(UsageError):
        as_instant("22/07/2017")


# --- imprecise positions and dates -----------------------------------------------------------------


def test_imprecise_position_and_date_are_flagged_not_treated_as_exact(tmp_path):
    timeline = make_folder(
        tmp_path,
        [agreement_row("a", "2017-01-01")],
        [
            violation_row("v-exact", "2017-05-01T10:00+03:00", precision="hour", location="exact"),
            violation_row("v-district", "2017-05-01", location="district"),
            violation_row("v-month", "2017-12-01", precision="month"),
        ],
    )
    notes = annotate_incidents(timeline).set_index("violation_id")
    assert not notes.loc["v-exact", "imprecise_location"]
    assert notes.loc["v-district", "imprecise_location"]
    assert not notes.loc["v-district", "imprecise_date"]
    assert notes.loc["v-month", "imprecise_date"]
    # December 2017 spans the change of outline on 1 January 2018? No: it ends on 1 January.
    assert not notes.loc["v-month", "spans_versions"]


def test_interval_across_a_boundary_change_matches_one_version_and_is_flagged(tmp_path):
    timeline = make_folder(
        tmp_path,
        [agreement_row("a", "2017-01-01")],
        [
            violation_row("v-week", "2017-12-29", precision="week"),  # 29 Dec to 5 Jan
        ],
    )
    assert len(timeline.matches) == 1
    assert timeline.matches.spans_versions.tolist() == [True]
    first = timeline.zones.versions.loc[timeline.matches.version[0], "valid_from"]
    assert first.tz_convert(schema.DAMASCUS).year == 2017


def test_month_precision_counts_in_every_window_it_overlaps(tmp_path):
    timeline = make_folder(
        tmp_path,
        [agreement_row("a", "2017-01-01")],
        [violation_row("v-aug", "2017-08-01", precision="month")],
    )
    # a month-long interval is never wholly inside a week's window: only possibly a breach
    for day in ("2017-08-03", "2017-08-20", "2017-09-05"):
        row = status(timeline, day)
        assert row["status"] == "possibly-violated" and row["uncertain"] == 1, day
    assert status(timeline, "2017-09-09")["status"] == "holding"
    # a window that holds the whole month is sure of it
    assert status(timeline, "2017-09-02", window_days=40)["status"] == "violated"


def test_window_incidents_name_the_zone_they_counted_in(story):
    recent = window_incidents(story, "2017-03-20")
    assert list(recent["violation_id"]) == ["v-1"] and list(recent["zone_id_matched"]) == ["ghouta"]


# --- the join alone ----------------------------------------------------------------------------


def test_join_matches_nested_zones_and_keeps_outside_incidents():
    ds = load_dataset(DATA)
    index = ZoneIndex.from_zones(ds.zones)
    matches = join_incidents(ds.violations, index)
    per_incident = np.bincount(matches.incident, minlength=len(ds.violations))
    assert per_incident.min() >= 1  # every bundled incident is in the national extent
    assert per_incident.max() == 2  # a local zone nested in the national one
    assert not outside_every_zone(matches, len(ds.violations)).any()
    for code in range(len(index.zone_ids)):
        part = matches.of_zone(code)
        assert np.all(np.diff(matches.start[part]) >= 0)


def test_join_agrees_with_geopandas_sjoin_on_bundled_data():
    import geopandas as gpd

    ds = load_dataset(DATA)
    index = ZoneIndex.from_zones(ds.zones)
    matches = join_incidents(ds.violations, index)
    ours = {
        (int(i), index.versions.at[int(v), "version_id"])
        for i, v in zip(matches.incident, matches.version, strict=True)
    }
    joined = gpd.sjoin(ds.violations, index.versions, predicate="intersects")
    overlap = (
        joined["occurred"] < joined["valid_to"].fillna(pd.Timestamp.max.tz_localize("UTC"))
    ) & (joined["occurred_end"] > joined["valid_from"])
    theirs = {
        (int(i), v)
        for i, v in zip(joined.index[overlap], joined.loc[overlap, "version_id"], strict=True)
    }
    assert ours == theirs


# --- violations linked to the agreements they breach (agreement_ids) -------------------------

ROAD = (33.74, 36.60)  # a checkpoint on the road into the zone: outside both outlines


@pytest.fixture
def linked(tmp_path):
    """A truce in 'ghouta' from 1 March 2017 and a second zone 'other' with its own truce;
    a violation at ROAD (outside every zone) on 10 March naming the ghouta truce, and one
    on 12 March inside ghouta that also names it."""
    other = [[36.70, 33.70], [36.80, 33.70], [36.80, 33.80], [36.70, 33.80], [36.70, 33.70]]
    zones = [
        zone_feature(ring=BIG, zone_id="ghouta", valid_from="2017-01-01", valid_to="2018-01-01"),
        zone_feature(ring=SMALL, zone_id="ghouta", valid_from="2018-01-01", valid_to=""),
        zone_feature(ring=other, zone_id="other", valid_from="2017-01-01", valid_to=""),
    ]
    road = dict(violation_row("v-road", "2017-03-10", where=ROAD), agreement_ids="truce")
    inside = dict(violation_row("v-in", "2017-03-12"), agreement_ids="truce")
    return make_folder(
        tmp_path,
        [
            agreement_row("truce", "2017-03-01"),
            agreement_row("other-truce", "2017-03-01", zone="other"),
            agreement_row("ghouta-second", "2017-03-01"),
        ],
        [road, inside],
        zones=zones,
    )


def test_linked_violation_outside_the_zone_makes_its_zone_violated(linked):
    row = status(linked, "2017-03-11")
    assert row["status"] == "violated" and row["violations"] == 1
    # without the link the same point is in no zone: the zone would be holding
    spatial = join_incidents(linked.incidents, linked.zones)
    assert outside_every_zone(spatial, 2).tolist() == [True, False]
    other = status_at(linked, "2017-03-11").set_index("zone_id").loc["other"]
    assert other["status"] == "holding"  # the link names only the ghouta truce


def test_linked_violation_inside_the_zone_is_counted_once(linked):
    row = status(linked, "2017-03-13")
    assert row["violations"] == 2  # v-road and v-in, each once
    assert int(np.count_nonzero(linked.matches.incident == 1)) == 1
    assert linked.matches.linked.tolist().count(True) == 1


def test_linked_violation_counts_against_the_named_agreement_only(linked):
    pairs = incident_agreements(linked)
    road = pairs[pairs["incident"] == 0]
    assert road["agreement_id"].tolist() == ["truce"] and road["linked"].all()
    inside = pairs[pairs["incident"] == 1]
    assert sorted(inside["agreement_id"]) == ["ghouta-second", "truce"]
    assert not inside["linked"].any()


def test_linked_violation_is_listed_with_its_zone_and_stays_outside(linked):
    window = window_incidents(linked, "2017-03-11", zone_id="ghouta")
    assert window["violation_id"].tolist() == ["v-road"] and window["linked"].tolist() == [True]
    notes = annotate_incidents(linked).set_index("violation_id")
    assert notes.loc["v-road", "outside_zones"] and notes.loc["v-road", "zones"] == ()
    assert notes.loc["v-road", "linked_zones"] == "ghouta"
    assert notes.loc["v-road", "agreements"] == ("truce",)
    assert notes.loc["v-in", "linked_zones"] == ""


def test_linked_incidents_of_a_zone(linked):
    assert linked_incidents(linked, "ghouta")["violation_id"].tolist() == ["v-road"]
    assert linked_incidents(linked, "other").empty
    mask = np.array([False, True])
    assert linked_incidents(linked, "ghouta", incident_mask=mask).empty


def test_link_to_a_zone_that_did_not_exist_then_is_dropped(tmp_path):
    zones = [
        zone_feature(ring=BIG, zone_id="ghouta", valid_from="2017-01-01", valid_to=""),
        zone_feature(ring=SMALL, zone_id="later", valid_from="2018-01-01", valid_to=""),
    ]
    row = dict(violation_row("v-road", "2017-03-10", where=ROAD), agreement_ids="late")
    timeline = make_folder(
        tmp_path,
        [agreement_row("late", "2018-01-01", zone="later")],
        [row],
        zones=zones,
    )
    assert len(timeline.matches) == 0


def test_inside_one_zone_of_a_multi_zone_agreement_counts_there_only(tmp_path):
    """A memorandum covering ghouta and other: a strike inside ghouta that names it does not
    make 'other' violated; one on the road, outside both, is linked to both."""
    other = [[36.70, 33.70], [36.80, 33.70], [36.80, 33.80], [36.70, 33.80], [36.70, 33.70]]
    zones = [
        zone_feature(ring=BIG, zone_id="ghouta", valid_from="2017-01-01", valid_to=""),
        zone_feature(ring=other, zone_id="other", valid_from="2017-01-01", valid_to=""),
    ]
    inside = dict(violation_row("v-in", "2017-03-12"), agreement_ids="memo")
    road = dict(violation_row("v-road", "2017-06-10", where=ROAD), agreement_ids="memo")
    timeline = make_folder(
        tmp_path,
        [agreement_row("memo", "2017-03-01", zone="ghouta;other")],
        [inside, road],
        zones=zones,
    )
    march = status_at(timeline, "2017-03-13").set_index("zone_id")
    assert march.loc["ghouta", "status"] == "violated"
    assert march.loc["other", "status"] == "holding"
    assert not timeline.matches.linked[timeline.matches.incident == 0].any()
    june = status_at(timeline, "2017-06-11").set_index("zone_id")
    assert june.loc["ghouta", "status"] == "violated" == june.loc["other", "status"]
    assert linked_incidents(timeline, "other")["violation_id"].tolist() == ["v-road"]


def test_status_json_says_possibly_violated():
    """``dezmap status --json`` at 14 Aug 2021, 12:00 Damascus: Daraa al-Balad possibly violated."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "geo",
            "status",
            "--date",
            "2021-08-14T12:00",
            "--json",
            "--data",
            str(DATA),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=DATA.parent,
    )
    assert result.returncode == 0, result.stderr
    zones = {z["zone_id"]: z for z in json.loads(result.stdout)}
    daraa = zones["daraa-al-balad"]
    assert (daraa["status"], daraa["violations"], daraa["uncertain"]) == (
        "possibly-violated",
        1,
        1,
    )
    text = subprocess.run(
        [sys.executable, "-m", "geo", "status", "--date", "2021-08-14T12:00", "--data", str(DATA)],
        capture_output=True,
        text=True,
        check=False,
        cwd=DATA.parent,
    ).stdout
    assert "daraa-al-balad    possibly-violated  violations 1 (1 uncertain)" in text
