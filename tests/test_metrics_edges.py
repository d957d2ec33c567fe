"""Compliance metrics to the digit (geo.metrics), on the shared test shapes.

Written to kill the mutants that ``scripts/mutation.sh metrics`` found alive: every number of
one agreement's metrics is checked exactly (rounding included), with an agreement that saw no
violation beside it. The story: a truce over the U zone (``tests/shapes.py``) from 1 March
2017, 12:00 to 1 June 2017; incidents in its arm before and after, one in its notch (outside),
one dated only to the day the truce began (possibly before it); a quiet truce over the holed
square.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from geo.errors import UsageError
from geo.io import load_dataset
from geo.metrics import COMPLIANCE_COLUMNS, agreement_metrics, zone_compliance, zone_daily
from geo.timemodel import build_timeline, incident_agreements
from tests import shapes
from tests.test_join import folder_of, incident, truce

ARM = shapes.CONCAVE.inside["west arm"]
NOTCH = shapes.CONCAVE.outside["notch"]


@pytest.fixture
def metrics(tmp_path):
    first = dict(
        truce("first", "concave-u", "2017-03-01T12:00+02:00", "2017-06-01"), outcome="expired"
    )
    quiet = truce("quiet", "holed", "2017-03-01")
    rows = [
        dict(incident("v-1", ARM, "2017-03-02T06:30+02:00", precision="hour"), casualties="3"),
        incident("v-2", ARM, "2017-03-10"),
        incident("v-3", ARM, "2017-03-10", precision="week"),
        dict(incident("v-b1", ARM, "2017-02-20"), kind="airstrike"),
        incident("v-notch", NOTCH, "2017-03-05"),
        incident("v-poss", ARM, "2017-03-01", precision="day"),
    ]
    folder = folder_of(
        tmp_path, [shapes.CONCAVE.feature(), shapes.HOLED.feature()], [first, quiet], rows
    )
    data = load_dataset(folder)
    timeline = build_timeline(data.zones, data.agreements, data.violations)
    table = agreement_metrics(timeline)
    metrics = {r["agreement_id"]: r for r in table.to_dict("records")}
    metrics["timeline"] = timeline
    return metrics


def missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def test_every_number_of_a_violated_agreement(metrics):
    r = metrics["first"]
    assert r["zone_ids"] == ["concave-u"]
    assert r["effective_from"] == "2017-03-01T12:00+02:00" and r["effective_to"] == "2017-06-01"
    assert (r["violations"], r["certain_violations"]) == (4, 3)
    assert r["first_violation"] == "v-1" and r["first_violation_dataset"] == "bundled"
    # v-1 is known to the hour: 06:30 Damascus stands for 06:00 to 07:00, 18 to 19 hours in
    assert (r["hours_to_first_violation"], r["hours_to_first_violation_max"]) == (18.0, 19.0)
    assert r["first_possible_violation"] == "v-poss"
    assert r["comparison_days"] == 91.5
    assert (r["per_30_days_before"], r["per_30_days_after"]) == (0.66, 1.31)
    assert r["longest_quiet_days"] == 82.96
    assert r["by_kind"] == {"shelling": 4} and r["by_perpetrator"] == {"unknown": 4}


def test_every_number_of_a_quiet_agreement(metrics):
    r = metrics["quiet"]
    assert (r["violations"], r["certain_violations"]) == (0, 0)
    for name in (
        "effective_to",
        "first_violation",
        "first_violation_dataset",
        "hours_to_first_violation",
        "hours_to_first_violation_max",
        "first_possible_violation",
    ):
        assert missing(r[name]), name
    assert r["comparison_days"] == 92.0
    assert (r["per_30_days_before"], r["per_30_days_after"]) == (0.0, 0.0)
    assert r["longest_quiet_days"] == 91.96
    assert r["by_kind"] == {} and r["by_perpetrator"] == {}


def test_metrics_of_one_agreement_with_incidents_left_out(metrics):
    timeline = metrics["timeline"]
    ids = timeline.incidents["violation_id"].tolist()
    mask = [i not in ("v-1", "v-poss") for i in ids]
    table = agreement_metrics(timeline, "first", incident_mask=np.array(mask))
    assert table["agreement_id"].tolist() == ["first"]
    r = table.iloc[0]
    assert (r["violations"], r["first_violation"]) == (2, "v-2")
    assert missing(r["first_possible_violation"])


# --- more edges: each number at the instant where it changes -----------------------------------------

RING = shapes.HOLED.inside["ring south"]
HOUR = 3600 * 10**9


def timeline_of(tmp_path, zones, agreements, rows):
    data = load_dataset(folder_of(tmp_path, zones, agreements, rows))
    return data, build_timeline(data.zones, data.agreements, data.violations)


def one(timeline, agreement_id, **kw):
    (row,) = agreement_metrics(timeline, agreement_id, **kw).to_dict("records")
    return row


def test_an_unknown_zone_is_refused_with_a_suggestion(metrics):
    with pytest.raises(
        UsageError, match=r"^unknown zone 'concave-v' \(did you mean 'concave-u'\?\)$"
    ):
        agreement_metrics(metrics["timeline"], zone_id="concave-v")


def test_an_incident_on_the_edge_of_two_zones_of_an_agreement_counts_once(tmp_path):
    edge = shapes.TOUCHING_WEST.boundary["shared edge"]
    _, timeline = timeline_of(
        tmp_path,
        [shapes.TOUCHING_WEST.feature(), shapes.TOUCHING_EAST.feature()],
        [truce("both", "touching-west;touching-east", "2017-03-01")],
        [incident("v-edge", edge, "2017-03-05")],
    )
    assert len(incident_agreements(timeline)) == 2  # one pair per zone ...
    r = one(timeline, "both")
    assert (r["violations"], r["certain_violations"], r["by_kind"]) == (1, 1, {"shelling": 1})


def test_hours_to_the_first_violation_keep_two_decimals_and_follow_time_not_rows(tmp_path):
    # the truce begins at 00:50 (Damascus, +02:00 in March); the first incident is the second
    # row, known to the hour: 19:00 to 20:00, so 18 h 10 min to 19 h 10 min, 18.17 to 19.17
    _, timeline = timeline_of(
        tmp_path,
        [shapes.CONCAVE.feature()],
        [truce("t", "concave-u", "2017-03-01T00:50+02:00")],
        [
            incident("v-later", ARM, "2017-03-20"),
            incident("v-hour", ARM, "2017-03-01T19:00+02:00", precision="hour"),
        ],
    )
    r = one(timeline, "t")
    assert r["first_violation"] == "v-hour"
    assert (r["hours_to_first_violation"], r["hours_to_first_violation_max"]) == (18.17, 19.17)


def test_a_quiet_agreement_alone_still_has_every_column(metrics):
    table = agreement_metrics(metrics["timeline"], "quiet")
    for name in (
        "first_violation",
        "first_violation_dataset",
        "hours_to_first_violation",
        "hours_to_first_violation_max",
        "first_possible_violation",
    ):
        assert name in table.columns and missing(table.iloc[0][name]), name


def test_a_possible_violation_at_the_same_instant_as_a_certain_one_is_not_named(tmp_path):
    # a day report and a week report both from 5 February: the week runs past the truce's end
    # on 10 February (uncertain), but it is not earlier than the certain one
    _, timeline = timeline_of(
        tmp_path,
        [shapes.CONCAVE.feature()],
        [truce("t", "concave-u", "2017-02-01", "2017-02-10")],
        [
            incident("v-week", ARM, "2017-02-05", precision="week"),
            incident("v-day", ARM, "2017-02-05"),
        ],
    )
    r = one(timeline, "t")
    assert (r["violations"], r["certain_violations"]) == (2, 1)
    assert r["first_violation"] == "v-day" and missing(r["first_possible_violation"])


def test_an_agreement_before_its_zone_existed(tmp_path):
    # the truce runs 1 February to 3 March 2017 (30 days); the U exists from 15 February:
    # quiet days count from then; the incident of 20 January (before the truce, in the U's
    # arm) is counted "before" in the first outline the zone had
    _, timeline = timeline_of(
        tmp_path,
        [shapes.CONCAVE.feature(valid_from="2017-02-15")],
        [truce("t", "concave-u", "2017-02-01", "2017-03-03")],
        [incident("v-before", ARM, "2017-01-20"), incident("v-notch", NOTCH, "2017-01-21")],
    )
    r = one(timeline, "t")
    assert (r["quiet_period_from"], r["quiet_period_to"]) == ("2017-02-15", "2017-03-03")
    assert r["longest_quiet_days"] == 16.0
    assert r["comparison_days"] == 30.0
    assert (r["per_30_days_before"], r["per_30_days_after"]) == (1.0, 0.0)


def test_zones_the_timeline_does_not_have_are_left_out(tmp_path):
    # a timeline of the U alone: 'h' names only the holed square (not in it), 'memo' names
    # the holed square first and then the U
    data, _ = timeline_of(
        tmp_path,
        [shapes.CONCAVE.feature(), shapes.HOLED.feature()],
        [
            truce("h", "holed", "2017-02-01", "2017-03-03"),
            truce("memo", "holed;concave-u", "2017-02-01", "2017-03-03"),
        ],
        [incident("v-before", ARM, "2017-01-20")],
    )
    only_u = data.zones[data.zones["zone_id"] == "concave-u"]
    timeline = build_timeline(only_u, data.agreements, data.violations)
    h = one(timeline, "h")
    assert (h["quiet_period_from"], h["quiet_period_to"]) == ("2017-02-01", "2017-03-03")
    assert h["per_30_days_before"] == 0.0
    memo = one(timeline, "memo")
    assert memo["per_30_days_before"] == 1.0  # v-before, in the U


def test_the_comparison_stops_after_365_days(tmp_path):
    # an open-ended truce from 1 January 2017: the "after" period is 365 days, to
    # 1 January 2018 (both Damascus winter time), and an incident of that day is outside it
    _, timeline = timeline_of(
        tmp_path,
        [shapes.HOLED.feature()],
        [truce("t", "holed", "2017-01-01")],
        [incident("v-june", RING, "2017-06-01"), incident("v-year", RING, "2018-01-01")],
    )
    r = one(timeline, "t")
    assert (r["violations"], r["comparison_days"]) == (2, 365.0)
    assert r["per_30_days_after"] == round(1 / 365 * 30, 2) == 0.08


def test_the_before_rate_follows_the_filter(metrics):
    # before 1 March 12:00 lie v-b1 (20 February) and v-poss (1 March, a whole day): with
    # v-b1 filtered out one is left, over the 91.46 days of comparison
    timeline = metrics["timeline"]
    ids = timeline.incidents["violation_id"]
    r = one(timeline, "first", incident_mask=(ids != "v-b1").to_numpy())
    assert r["per_30_days_before"] == round(1 / (91 + 11 / 24) * 30, 2) == 0.33
    assert r["violations"] == 4  # the filter takes nothing away after the start


def test_positions_held_as_objects_are_counted_before(tmp_path):
    data, timeline = timeline_of(
        tmp_path,
        [shapes.CONCAVE.feature()],
        [truce("t", "concave-u", "2017-02-01", "2017-03-03")],
        [incident("v-before", ARM, "2017-01-20")],
    )
    incidents = data.violations.astype({"lon": object, "lat": object})
    as_objects = build_timeline(data.zones, data.agreements, incidents)
    assert one(as_objects, "t")["per_30_days_before"] == one(timeline, "t")["per_30_days_before"]
    assert one(as_objects, "t")["per_30_days_before"] == 1.0


def test_the_before_period_ends_where_the_agreement_begins_and_has_its_length(tmp_path):
    # the truce runs 1 February to 3 March 2017 (30 days): the "before" period is 2 January
    # to 1 February; a report dated 1 January ends as it begins (out), one dated 1 February
    # begins with the truce (after, not before)
    _, timeline = timeline_of(
        tmp_path,
        [shapes.CONCAVE.feature()],
        [truce("t", "concave-u", "2017-02-01", "2017-03-03")],
        [incident("v-new-year", ARM, "2017-01-01"), incident("v-first-day", ARM, "2017-02-01")],
    )
    r = one(timeline, "t")
    assert (r["per_30_days_before"], r["per_30_days_after"]) == (0.0, 1.0)
    assert r["first_violation"] == "v-first-day" and r["hours_to_first_violation"] == 0.0


def test_before_uses_the_outline_in_force_when_the_agreement_begins(tmp_path):
    # the U's notch is filled from 1 January 2018; a truce from that very day: a report of
    # 20 December in the notch lies in the outline in force at the truce's start (the filled
    # one), though not in the outline of its own day
    filled = {
        "type": "Polygon",
        "coordinates": [
            [[36.30, 33.50], [36.50, 33.50], [36.50, 33.65], [36.30, 33.65], [36.30, 33.50]]
        ],
    }
    _, timeline = timeline_of(
        tmp_path,
        [
            shapes.CONCAVE.feature(valid_from="2017-01-01", valid_to="2018-01-01"),
            dict(shapes.CONCAVE.feature(valid_from="2018-01-01"), geometry=filled),
        ],
        [truce("t", "concave-u", "2018-01-01", "2018-01-31")],
        [incident("v-notch", NOTCH, "2017-12-20")],
    )
    r = one(timeline, "t")
    assert r["violations"] == 0 and r["comparison_days"] == 30.0
    assert r["per_30_days_before"] == 1.0


def test_before_counts_an_incident_in_any_of_the_agreements_zones(tmp_path):
    _, timeline = timeline_of(
        tmp_path,
        [shapes.CONCAVE.feature(), shapes.HOLED.feature()],
        [truce("memo", "concave-u;holed", "2017-02-01", "2017-03-03")],
        [
            incident("v-arm", ARM, "2017-01-20"),
            incident("v-hole", shapes.HOLED.outside["hole"], "2017-01-21"),
        ],
    )
    assert one(timeline, "memo")["per_30_days_before"] == 1.0  # the arm, not the hole


def test_the_quiet_period_starts_at_the_agreement_not_at_an_earlier_possible_violation(tmp_path):
    # the truce begins at noon on 1 February; a report dated that day (from midnight) is
    # possible; the next is on 1 March; the truce ends on 3 March: 27.5 quiet days
    _, timeline = timeline_of(
        tmp_path,
        [shapes.CONCAVE.feature()],
        [truce("t", "concave-u", "2017-02-01T12:00+02:00", "2017-03-03")],
        [incident("v-poss", ARM, "2017-02-01"), incident("v-march", ARM, "2017-03-01")],
    )
    r = one(timeline, "t")
    assert r["first_possible_violation"] == "v-poss" and r["first_violation"] == "v-march"
    assert r["longest_quiet_days"] == 27.5


def test_missing_kinds_and_perpetrators_count_as_unknown(tmp_path):
    data, _ = timeline_of(
        tmp_path,
        [shapes.CONCAVE.feature()],
        [truce("t", "concave-u", "2017-02-01")],
        [incident(f"v-{n}", ARM, f"2017-02-0{n}") for n in range(2, 6)],
    )
    incidents = data.violations.copy()
    incidents["kind"] = pd.Series(["shelling", "", None, "shelling"], dtype=object)
    incidents["alleged_perpetrator"] = pd.Series(["", None, "unknown", "ISIS"], dtype=object)
    r = one(build_timeline(data.zones, data.agreements, incidents), "t")
    assert r["by_kind"] == {"shelling": 2, "unknown": 2}
    assert r["by_perpetrator"] == {"unknown": 3, "ISIS": 1}


def test_the_agreements_own_date_precision_says_how_its_start_is_written(tmp_path):
    month = dict(truce("t", "concave-u", "2017-02-01"), date_precision="month")
    _, timeline = timeline_of(tmp_path, [shapes.CONCAVE.feature()], [month], [])
    assert one(timeline, "t")["effective_from"] == "2017-02"


# --- the daily series and the Zone page's table ----------------------------------------------------


@pytest.fixture
def daily(tmp_path):
    """The U from 1 to 10 January 2017 and again from 20 January to 1 February (a gap
    between), the holed square from 1 January 2017; one open truce over both; a day report
    in the U's arm on 5 January and a week report from 22 January."""
    zones = [
        shapes.CONCAVE.feature(valid_from="2017-01-01", valid_to="2017-01-10"),
        shapes.CONCAVE.feature(valid_from="2017-01-20", valid_to="2017-02-01"),
        shapes.HOLED.feature(),
    ]
    return timeline_of(
        tmp_path,
        zones,
        [truce("t", "concave-u;holed", "2017-01-01")],
        [
            incident("v-5", ARM, "2017-01-05"),
            incident("v-week", ARM, "2017-01-22", precision="week"),
        ],
    )[1]


def test_the_daily_series_of_a_zone_with_a_gap(daily):
    series = zone_daily(daily, "concave-u")
    assert list(series.columns) == [
        "date",
        "incidents",
        "imprecise",
        "status",
        "agreements",
        "version_id",
    ]
    series = series.set_index("date")
    # from the first day of the first version to the last day before the second one ends
    assert (series.index[0], series.index[-1], len(series)) == (
        dt.date(2017, 1, 1),
        dt.date(2017, 1, 31),
        31,
    )
    day = series.loc[dt.date(2017, 1, 5)]
    assert day.tolist() == [1, 0, "violated", 1, "concave-u@2017-01-01"]
    assert series.loc[dt.date(2017, 1, 6)].tolist() == [0, 0, "violated", 1, "concave-u@2017-01-01"]
    # between the versions the zone does not exist: no status, no agreement, no version
    assert series.loc[dt.date(2017, 1, 12)].tolist() == [0, 0, "none", 0, ""]
    # the week from 22 January runs past the day's end: counted, only possibly a violation
    assert series.loc[dt.date(2017, 1, 22)].tolist() == [
        1,
        1,
        "possibly-violated",
        1,
        "concave-u@2017-01-20",
    ]
    assert series["incidents"].sum() == 2 and series["imprecise"].sum() == 1


def test_the_daily_series_follows_the_filter_and_counts_only_its_zone(daily):
    ids = daily.incidents["violation_id"]
    series = zone_daily(daily, "concave-u", incident_mask=(ids != "v-5").to_numpy())
    day = series.set_index("date").loc[dt.date(2017, 1, 5)]
    assert (day["incidents"], day["status"]) == (0, "holding")
    # the holed square (the second zone) had no incident: the U's are not counted in it
    holed = zone_daily(daily, "holed").set_index("date")
    assert holed["incidents"].sum() == 0 and holed["imprecise"].sum() == 0
    assert holed.loc[dt.date(2017, 1, 5), "status"] == "holding"
    assert holed.index[-1] == dt.date(2017, 2, 1)  # open-ended: to the last day of the data


@pytest.fixture
def compliance(tmp_path):
    """A memorandum over the U and the holed square (1 March to 1 June 2017), an open truce
    over the holed square, a later truce over it that nobody broke; a fourth zone nobody
    named."""
    agreements = [
        dict(truce("memo", "concave-u;holed", "2017-03-01", "2017-06-01"), outcome="expired"),
        truce("holed-only", "holed", "2017-03-01"),
        truce("quiet", "holed", "2017-07-01"),
    ]
    rows = [
        dict(
            incident("v-arm", ARM, "2017-03-03"),
            kind="airstrike",
            alleged_perpetrator="Syrian government forces",
        ),
        incident("v-ring", RING, "2017-03-02"),
        incident("v-arm2", ARM, "2017-03-10"),
        incident("v-arm3", ARM, "2017-03-12"),
    ]
    zones = [shapes.CONCAVE.feature(), shapes.HOLED.feature(), shapes.TOUCHING_WEST.feature()]
    return timeline_of(tmp_path, zones, agreements, rows)[1]


def test_zone_compliance_figures_here_and_agreement_wide(compliance):
    (row,) = zone_compliance(compliance, "concave-u").to_dict("records")
    assert row == {
        "Agreement": "memo",
        "In force from": "2017-03-01",
        "In force until": "2017-06-01",
        "Incidents in this zone": 3,
        "of which certain": 3,
        "Incidents, whole agreement": 4,
        "First violation in this zone": "v-arm",
        # 3 March, a whole day, two to three days in; agreement-wide v-ring on 2 March
        "Hours to the first violation here": "48 to 72",
        "Hours to the first violation, whole agreement": "24 to 48",
        "Incidents per 30 days here, before": 0.0,
        "Incidents per 30 days here, after": row["Incidents per 30 days here, after"],
        "Longest quiet period here (days)": row["Longest quiet period here (days)"],
        "Longest quiet period, whole agreement (days)": row[
            "Longest quiet period, whole agreement (days)"
        ],
        "Incidents here by kind": "shelling 2, airstrike 1",
        "Incidents here by perpetrator": "Syrian government forces 1, Unknown or unidentified 2",
        "Linked incidents here (outside the zone, naming the agreement)": 0,
    }
    # 12 March to 1 June (summer time from 31 March): 81 days less an hour
    assert row["Longest quiet period here (days)"] == 80.96
    assert row["Longest quiet period, whole agreement (days)"] == 80.96


def test_zone_compliance_of_an_agreement_nobody_broke_and_of_a_zone_nobody_named(compliance):
    table = zone_compliance(compliance, "holed").set_index("Agreement")
    assert table.index.tolist() == ["holed-only", "memo", "quiet"]
    quiet = table.loc["quiet"]
    assert quiet["In force until"] == "open-ended"
    assert quiet["First violation in this zone"] == "none"
    assert quiet["Hours to the first violation here"] == "no violation"
    assert quiet["Hours to the first violation, whole agreement"] == "no violation"
    assert table.loc["holed-only", "First violation in this zone"] == "v-ring"
    empty = zone_compliance(compliance, "touching-west")
    assert empty.empty and list(empty.columns) == list(COMPLIANCE_COLUMNS)


def test_zone_compliance_follows_the_filter_here_and_agreement_wide(compliance):
    ids = compliance.incidents["violation_id"]
    mask = ~ids.isin(["v-arm", "v-ring"]).to_numpy()
    (row,) = zone_compliance(compliance, "concave-u", incident_mask=mask).to_dict("records")
    assert (row["Incidents in this zone"], row["Incidents, whole agreement"]) == (2, 2)
    assert row["First violation in this zone"] == "v-arm2"
    assert row["Hours to the first violation, whole agreement"] == "216 to 240"  # 10 March
    assert row["Incidents here by kind"] == "shelling 2"
