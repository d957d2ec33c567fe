"""Compliance metrics (geo.metrics) on the bundled data and on a small folder of real files."""

from __future__ import annotations

import datetime as dt

import pytest

from geo.errors import UsageError
from geo.io import load_dataset
from geo.metrics import agreement_metrics, zone_daily
from geo.timemodel import build_timeline
from tests.conftest import DATA
from tests.test_timemodel import agreement_row, make_folder, violation_row


@pytest.fixture(scope="module")
def bundled():
    ds = load_dataset(DATA)
    return build_timeline(ds.zones, ds.agreements, ds.violations)


def one(timeline, agreement_id):
    (row,) = agreement_metrics(timeline, agreement_id).to_dict("records")
    return row


def test_daraa_al_balad_truce_was_violated_within_hours(bundled):
    row = one(bundled, "daraa-al-balad-truce-2021-08")
    assert row["first_violation"] == "v-20210814-tareeq-al-sad"
    # both the truce and the shelling are known to the day: 0 to 24 hours
    assert row["hours_to_first_violation"] == 0
    assert row["hours_to_first_violation_max"] == 24
    assert row["violations"] >= 2


def test_cairo_agreement_first_certain_and_possible_violations(bundled):
    row = one(bundled, "cairo-eastern-ghouta-2017")
    assert row["first_violation"] == "v-20170723-ein-terma"
    assert (row["hours_to_first_violation"], row["hours_to_first_violation_max"]) == (12, 36)
    assert row["first_possible_violation"] == "v-20170722-ein-terma"


def test_unknown_agreement_suggests_the_right_id(bundled):
    with pytest.raises(UsageError, match="did you mean 'cairo-eastern-ghouta-2017'"):
        agreement_metrics(bundled, "cairo-eastern-gouta-2017")


def test_every_agreement_has_a_row(bundled):
    table = agreement_metrics(bundled)
    assert len(table) == len(bundled.agreements.frame)
    assert {
        "hours_to_first_violation",
        "per_30_days_before",
        "per_30_days_after",
        "longest_quiet_days",
        "by_kind",
        "by_perpetrator",
    } <= set(table.columns)


def test_rates_quiet_period_and_counts(tmp_path):
    timeline = make_folder(
        tmp_path,
        [agreement_row("truce", "2017-03-01", "2017-03-31")],  # 30 days in force
        [
            violation_row("v-before-1", "2017-02-05"),
            violation_row("v-before-2", "2017-02-20", kind="airstrike"),
            violation_row("v-after-1", "2017-03-03"),
            violation_row("v-after-2", "2017-03-04"),
            violation_row("v-after-3", "2017-03-25", kind="airstrike"),
            violation_row("v-much-later", "2017-06-01"),
        ],
    )
    row = one(timeline, "truce")
    assert row["comparison_days"] == 30
    assert (row["per_30_days_before"], row["per_30_days_after"]) == (2, 3)
    assert row["violations"] == 3 and row["first_violation"] == "v-after-1"
    assert (row["hours_to_first_violation"], row["hours_to_first_violation_max"]) == (48, 72)
    assert row["longest_quiet_days"] == 21  # 4 March to 25 March
    assert row["by_kind"] == {"shelling": 2, "airstrike": 1}
    assert row["by_perpetrator"] == {"unknown": 3}


def test_agreement_never_violated(tmp_path):
    timeline = make_folder(
        tmp_path,
        [agreement_row("quiet", "2017-03-01", "2017-03-11")],
        [violation_row("v-later", "2017-05-01")],
    )
    row = one(timeline, "quiet")
    assert row["first_violation"] is None and row["hours_to_first_violation"] is None
    assert row["longest_quiet_days"] == 10


def test_zone_daily_series(tmp_path):
    timeline = make_folder(
        tmp_path,
        [agreement_row("truce", "2017-03-01", "2017-04-01", outcome="expired")],
        [
            violation_row("v-1", "2017-03-10"),
            violation_row("v-2", "2017-03-10"),
            violation_row("v-month", "2017-05-01", precision="month"),
        ],
    )
    series = zone_daily(timeline, "ghouta").set_index("date")
    assert series.index[0] == dt.date(2017, 1, 1)
    assert series.loc[dt.date(2017, 2, 28), "status"] == "none"
    assert series.loc[dt.date(2017, 3, 1), "status"] == "holding"
    assert series.loc[dt.date(2017, 3, 10), ["incidents", "status"]].tolist() == [2, "violated"]
    assert series.loc[dt.date(2017, 3, 16), "status"] == "violated"
    assert series.loc[dt.date(2017, 3, 17), "status"] == "holding"
    assert series.loc[dt.date(2017, 4, 1), "status"] == "lapsed"
    assert series.loc[dt.date(2017, 5, 1), ["incidents", "imprecise"]].tolist() == [1, 1]
    assert series.loc[dt.date(2018, 1, 1), "version_id"] == "ghouta@2018-01-01"


def test_zone_daily_unknown_zone(bundled):
    with pytest.raises(KeyError, match="unknown zone 'atlantis'"):
        zone_daily(bundled, "atlantis")


def test_linked_violation_outside_the_zone_counts_against_its_agreement(tmp_path):
    road = (33.74, 36.60)  # outside the zone's outline
    timeline = make_folder(
        tmp_path,
        [
            agreement_row("truce", "2017-03-01", "2017-03-31"),
            agreement_row("bystander", "2017-03-01", "2017-03-31"),
        ],
        [
            dict(violation_row("v-road", "2017-03-02", where=road), agreement_ids="truce"),
            violation_row("v-in", "2017-03-05"),
            dict(violation_row("v-in-named", "2017-03-06"), agreement_ids="truce"),
        ],
    )
    row = one(timeline, "truce")
    assert row["violations"] == 3 and row["first_violation"] == "v-road"
    assert (row["hours_to_first_violation"], row["hours_to_first_violation_max"]) == (24, 48)
    # only the incident outside the zone is "linked"; the one inside that names it is not
    assert row["linked_violations"] == 1 and row["linked"] == ["v-road"]
    other = one(timeline, "bystander")  # same zone, not named: the road incident is not its
    assert other["violations"] == 2 and other["linked_violations"] == 0
    series = zone_daily(timeline, "ghouta").set_index("date")
    assert series.loc[dt.date(2017, 3, 2), ["incidents", "status"]].tolist() == [1, "violated"]


def test_metrics_command_names_linked_violations(tmp_path, capsys):
    from geo.cli import main

    road = (33.74, 36.60)
    make_folder(
        tmp_path,
        [agreement_row("truce", "2017-03-01", "2017-03-31")],
        [dict(violation_row("v-road", "2017-03-02", where=road), agreement_ids="truce")],
    )
    assert main(["metrics", "--data", str(tmp_path / "data"), "--agreement", "truce"]) == 0
    out = capsys.readouterr().out
    assert "first violation v-road" in out and "1 linked" in out and "v-road" in out
