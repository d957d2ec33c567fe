"""Compliance metrics (geo.metrics) on the bundled data and on a small folder of real files."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from geo.errors import UsageError
from geo.io import load_dataset
from geo.metrics import COMPLIANCE_COLUMNS, agreement_metrics, zone_compliance, zone_daily
from geo.timemodel import build_timeline, incident_agreements
from tests.conftest import DATA, zone_feature
from tests.test_export_records import UTC_LEFTOVER
from tests.test_timemodel import BIG, SMALL, agreement_row, make_folder, violation_row


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


def test_zone_metrics_count_only_the_zones_incidents(bundled):
    pairs = incident_agreements(bundled)
    here = agreement_metrics(bundled, zone_id="eastern-ghouta").set_index("agreement_id")
    wide = agreement_metrics(bundled).set_index("agreement_id")
    astana = "astana-deescalation-memorandum-2017"
    assert astana in here.index
    for agreement_id, row in here.iterrows():
        mine = pairs[
            (pairs["agreement_id"] == agreement_id) & (pairs["zone_id"] == "eastern-ghouta")
        ]
        assert row["violations"] == mine["incident"].nunique(), agreement_id
        assert row["zone_id"] == "eastern-ghouta"
    # the memorandum covers four zones: its first violation anywhere was not in Eastern Ghouta
    assert here.loc[astana, "violations"] < wide.loc[astana, "violations"]
    first = here.loc[astana, "first_violation"]
    zones_of_first = set(
        pairs[bundled.incidents["violation_id"].to_numpy()[pairs["incident"]] == first]["zone_id"]
    )
    assert "eastern-ghouta" in zones_of_first
    # only agreements that name the zone
    assert all("eastern-ghouta" in z for z in here["zone_ids"])
    with pytest.raises(UsageError, match="unknown zone 'eastern-gouta'"):
        agreement_metrics(bundled, zone_id="eastern-gouta")


def test_quiet_period_ends_with_the_zone(bundled):
    # Eastern Ghouta ended in April 2018; the memorandum is open-ended
    row = agreement_metrics(
        bundled, "astana-deescalation-memorandum-2017", zone_id="eastern-ghouta"
    ).iloc[0]
    assert row["quiet_period_to"] == "2018-04-14"
    assert row["longest_quiet_days"] < 365


def test_quiet_period_is_bounded_by_the_zones_lifetime(tmp_path):
    timeline = make_folder(
        tmp_path,
        [agreement_row("truce", "2017-03-01")],  # open-ended
        [
            violation_row("v-1", "2017-03-05"),
            violation_row("v-late", "2019-01-01", where=(33.0, 36.0)),
        ],
        zones=[
            zone_feature(
                ring=BIG, zone_id="ghouta", valid_from="2017-01-01", valid_to="2017-06-01"
            ),
            zone_feature(ring=SMALL, zone_id="elsewhere", valid_from="2017-01-01", valid_to=""),
        ],
    )
    row = one(timeline, "truce")
    # 5 March to the zone's end on 1 June, not to the end of the data in 2019
    assert row["longest_quiet_days"] == 87.96  # 88 days less the hour summer time took
    assert (row["quiet_period_from"], row["quiet_period_to"]) == ("2017-03-01", "2017-06-01")


def test_metric_instants_are_damascus_time_to_their_precision(bundled):
    rows = agreement_metrics(bundled).set_index("agreement_id")
    assert rows.loc["cairo-eastern-ghouta-2017", "effective_from"] == "2017-07-22T12:00+03:00"
    for value in [*rows["effective_from"], *rows["effective_to"].dropna()]:
        assert re.fullmatch(r"\d{4}-\d{2}(-\d{2}(T\d{2}:\d{2}\+0[23]:00)?)?", value), value


def test_zone_compliance_has_human_columns_and_both_figures(bundled):
    table = zone_compliance(bundled, "eastern-ghouta")
    assert list(table.columns) == list(COMPLIANCE_COLUMNS)
    assert not any("_" in c for c in table.columns)
    astana = table[table["Agreement"].str.startswith("Astana memorandum")].iloc[0]
    assert astana["Incidents in this zone"] < astana["Incidents, whole agreement"]
    assert astana["In force until"] == "open-ended"
    cairo = table[table["Agreement"].str.startswith("Cairo agreement")].iloc[0]
    assert cairo["Hours to the first violation here"] == "12 to 36"
    assert cairo["In force from"] == "2017-07-22T12:00+03:00"
    assert "Syrian government forces" in cairo["Incidents here by perpetrator"]


def test_status_and_metrics_commands_print_damascus_time(capsys):
    import json

    from geo.cli import main

    assert main(["status", "--date", "2017-07-23T12:00", "--json"]) == 0
    zones = json.loads(capsys.readouterr().out)
    ghouta = next(z for z in zones if z["zone_id"] == "eastern-ghouta")
    assert ghouta["at"] == "2017-07-23T12:00+03:00"
    assert re.fullmatch(r"2017-07-\d{2}T\d{2}:\d{2}\+03:00", ghouta["window_start"])
    for args in (
        ["metrics", "--json"],
        ["metrics"],
        ["metrics", "--agreement", "cairo-eastern-ghouta-2017"],
        ["status", "--date", "2017-07-23T12:00", "--json"],
    ):
        assert main(args) == 0
        out = capsys.readouterr().out
        found = UTC_LEFTOVER.search(out)
        assert found is None, (args, out[max(0, found.start() - 80) : found.end() + 20])
    assert main(["metrics", "--agreement", "cairo-eastern-ghouta-2017"]) == 0
    text = capsys.readouterr().out
    assert "in force 2017-07-22T12:00+03:00 to 2018-02-18 (Damascus time)" in text
    assert "by actor family: government" in text
