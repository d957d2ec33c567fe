"""Zone properties and versions, CSV records and cross-file checks (geo.validate)."""

from __future__ import annotations

import json

import pytest

from geo import schema
from geo.errors import Report
from geo.validate import (
    check_agreements_bytes,
    check_violations_bytes,
    check_zones_text,
    validate_dataset,
    validate_paths,
)
from tests.conftest import csv_text, write_zones, zone_feature


def zones_report(*features):
    report = Report()
    text = json.dumps(
        {"type": "FeatureCollection", "features": list(features)}, indent=2, ensure_ascii=False
    )
    result = check_zones_text(text, "zones.geojson", report, kind="zones")
    return report, result


def codes(report):
    return [p.code for p in report]


def only(report, code):
    found = [p for p in report if p.code == code]
    assert found, f"no {code!r} problem in {[str(p) for p in report]}"
    return found[0]


# --- zone properties --------------------------------------------------------------------------


def test_valid_zone_has_no_problem_and_is_parsed():
    report, result = zones_report(zone_feature())
    assert list(report) == []
    (version,) = result.versions
    assert version.zone_id == "eastern-ghouta"
    assert version.valid_from.isoformat() == "2017-07-22" and version.valid_to is None
    assert version.version_id == "eastern-ghouta@2017-07-22"


@pytest.mark.parametrize(
    "name", ["zone_id", "name", "name_ar", "group", "valid_from", "accuracy", "boundary_source"]
)
def test_missing_required_property(name):
    report, result = zones_report(zone_feature(**{name: None}))
    problem = only(report, "missing-property")
    assert f"property {name!r} is missing" in problem.message
    assert result.versions == []


def test_mistyped_property_says_value_and_fix():
    report, _ = zones_report(zone_feature(valid_from=20170722))
    message = only(report, "bad-property").message
    assert "'valid_from' must be a string, found 20170722" in message
    assert "YYYY-MM-DD" in message


@pytest.mark.parametrize("value", ["Eastern Ghouta", "eastern_ghouta", "-ghouta"])
def test_zone_id_must_be_a_slug(value):
    report, _ = zones_report(zone_feature(zone_id=value))
    assert "lower-case slug" in only(report, "bad-slug").message


@pytest.mark.parametrize(
    "value,words", [("2017-02-30", "not a real date"), ("22/07/2017", "YYYY-MM-DD")]
)
def test_impossible_or_malformed_dates(value, words):
    report, _ = zones_report(zone_feature(valid_from=value))
    assert words in only(report, "bad-date").message


def test_valid_to_before_valid_from():
    report, _ = zones_report(zone_feature(valid_from="2018-03-01", valid_to="2018-02-01"))
    assert "not after valid_from" in only(report, "date-order").message


def test_accuracy_vocabulary_with_suggestion():
    report, _ = zones_report(zone_feature(accuracy="aproximate"))
    assert "did you mean 'approximate'" in only(report, "bad-accuracy").message


def test_unknown_property_is_kept_with_a_warning_and_suggestion():
    report, result = zones_report(zone_feature(valid_form="2017-01-01"))
    problem = only(report, "unknown-property")
    assert problem.severity == "warning" and "did you mean 'valid_from'" in problem.message
    assert dict(result.versions[0].extra) == {"valid_form": "2017-01-01"}


def test_empty_arabic_name_is_a_warning():
    report, _ = zones_report(zone_feature(name_ar=""))
    assert only(report, "missing-arabic-name").severity == "warning"


def test_overlapping_versions_name_both_features():
    first = zone_feature(valid_from="2017-07-22", valid_to="2018-03-15")
    second = zone_feature(valid_from="2018-03-10", valid_to="")
    report, _ = zones_report(first, second)
    problem = only(report, "overlapping-versions")
    assert problem.where.startswith("feature 1 (zone_id=eastern-ghouta)")
    assert (
        "feature 0" in problem.message
        and "set the earlier version's valid_to to 2018-03-10" in problem.message
    )


def test_open_ended_version_followed_by_another_overlaps():
    report, _ = zones_report(zone_feature(valid_to=""), zone_feature(valid_from="2018-03-10"))
    assert "still valid" in only(report, "overlapping-versions").message


def test_back_to_back_versions_do_not_overlap():
    report, result = zones_report(
        zone_feature(valid_from="2017-07-22", valid_to="2018-03-10"),
        zone_feature(valid_from="2018-03-10", valid_to="2018-04-14"),
    )
    assert report.errors == [] and len(result.versions) == 2


def test_duplicate_version_and_duplicate_feature_id():
    a, b = zone_feature(), zone_feature()
    a["id"] = b["id"] = "eg"
    report, _ = zones_report(a, b)
    assert {"duplicate-version", "duplicate-id"} <= set(codes(report))


def test_nested_zones_are_allowed():
    inner = [[36.39, 33.56], [36.41, 33.56], [36.41, 33.58], [36.39, 33.58], [36.39, 33.56]]
    report, result = zones_report(zone_feature(), zone_feature(ring=inner, zone_id="douma"))
    assert report.errors == [] and len(result.versions) == 2


# --- CSV files -------------------------------------------------------------------------------

AGREEMENT = {
    "agreement_id": "cairo-eastern-ghouta-2017",
    "title": "Cairo agreement on Eastern Ghouta",
    "kind": "de-escalation",
    "signed": "2017-07-22",
    "effective_from": "2017-07-22T12:00+03:00",
    "effective_to": "",
    "date_precision": "minute",
    "zone_ids": "eastern-ghouta",
    "parties": "Russian MoD;Eastern Ghouta opposition",
    "guarantors": "Russia;Egypt",
    "terms": "Cessation of hostilities from noon.",
    "outcome": "violated",
    "source": "TASS, 2017-07-22, http://tass.com/world/957354",
}
VIOLATION = {
    "violation_id": "v-20170723-duma",
    "occurred": "2017-07-23",
    "date_precision": "day",
    "lat": "33.56986",
    "lon": "36.39914",
    "location_precision": "town",
    "place": "Duma",
    "zone_id": "eastern-ghouta",
    "kind": "airstrike",
    "alleged_perpetrator": "Syrian government forces",
    "reported_by": "SOHR",
    "casualties": "",
    "summary": "Air strikes hit Duma a day after the truce.",
    "source": "AFP, 2017-07-23, https://example.org/a",
}


def agreements(rows, header=schema.AGREEMENT_COLUMNS, zone_ids=frozenset({"eastern-ghouta"})):
    report = Report()
    data = csv_text(list(header), rows).encode("utf-8")
    records = check_agreements_bytes(data, "agreements.csv", report, zone_ids=set(zone_ids))
    return report, records


def violations(rows, header=schema.VIOLATION_COLUMNS, zone_ids=frozenset({"eastern-ghouta"})):
    report = Report()
    data = csv_text(list(header), rows).encode("utf-8")
    records = check_violations_bytes(data, "violations.csv", report, zone_ids=set(zone_ids))
    return report, records


def test_valid_agreement_is_parsed_with_utc_instants():
    report, (record,) = agreements([AGREEMENT])
    assert list(report) == []
    assert record["effective_from"].isoformat() == "2017-07-22T09:00:00+00:00"
    assert record["effective_to"] is None and record["zone_ids"] == ["eastern-ghouta"]


def test_bom_and_windows_line_endings_are_accepted():
    data = (
        b"\xef\xbb\xbf"
        + csv_text(list(schema.AGREEMENT_COLUMNS), [AGREEMENT]).replace("\n", "\r\n").encode()
    )
    report = Report()
    records = check_agreements_bytes(data, "a.csv", report, zone_ids={"eastern-ghouta"})
    assert list(report) == [] and records[0]["agreement_id"] == "cairo-eastern-ghouta-2017"


def test_non_utf8_file_is_located_and_the_fix_is_named():
    row = dict(AGREEMENT, title="Accord du Caire é")
    data = csv_text(list(schema.AGREEMENT_COLUMNS), [row]).encode("cp1252")
    report = Report()
    assert check_agreements_bytes(data, "a.csv", report) == []
    problem = only(report, "encoding")
    assert problem.where.startswith("line 2, column ")
    assert "0xe9" in problem.message and "UTF-8" in problem.message


def test_missing_and_unknown_columns():
    header = [c for c in schema.AGREEMENT_COLUMNS if c != "source"] + ["sauce"]
    report, records = agreements([AGREEMENT], header=header)
    assert records == []
    assert "missing column(s): source" in only(report, "missing-column").message
    unknown = only(report, "unknown-column")
    assert unknown.where == f"row 1, column {len(header)}" and "'sauce'" in unknown.message


def test_optional_columns_may_be_left_out():
    header = [c for c in schema.AGREEMENT_COLUMNS if c not in schema.AGREEMENT_OPTIONAL]
    report, (record,) = agreements([AGREEMENT], header=header)
    assert report.errors == [] and record["date_precision"] == "minute"


def test_duplicate_column():
    header = list(schema.AGREEMENT_COLUMNS) + ["title"]
    report, _ = agreements([AGREEMENT], header=header)
    only(report, "duplicate-column")


def test_row_with_wrong_number_of_fields():
    text = csv_text(list(schema.AGREEMENT_COLUMNS), [AGREEMENT]) + "a,b,c\n"
    report = Report()
    check_agreements_bytes(text.encode(), "a.csv", report)
    problem = only(report, "row-length")
    assert problem.where == "row 3" and "has 3 fields" in problem.message


def test_empty_file():
    report = Report()
    check_violations_bytes(b"", "v.csv", report)
    assert "the file is empty" in only(report, "empty-file").message


def test_duplicate_ids_name_the_first_row():
    report, _ = agreements([AGREEMENT, AGREEMENT])
    problem = only(report, "duplicate-id")
    assert problem.where == "row 3, column agreement_id" and "also in row 2" in problem.message


@pytest.mark.parametrize(
    "value,code,words",
    [
        ("2017-07-22T12:00", "bad-date", "no UTC offset"),
        ("2017-02-30", "bad-date", "not a real date"),
        ("2017-07-22T25:00+03:00", "bad-date", "not a real date and time"),
        ("22 July 2017", "bad-date", "neither a date"),
        ("2999-01-01", "future-date", "in the future"),
    ],
)
def test_bad_instants(value, code, words):
    report, records = agreements([dict(AGREEMENT, effective_from=value)])
    problem = only(report, code)
    assert problem.where == "row 2, column effective_from" and words in problem.message
    assert records == []


def test_effective_to_before_effective_from():
    report, _ = agreements([dict(AGREEMENT, effective_to="2017-07-21")])
    assert "not after effective_from" in only(report, "date-order").message


def test_unknown_zone_is_an_error_with_suggestion():
    report, _ = agreements([dict(AGREEMENT, zone_ids="eastern-ghouta;eastern-gouta")])
    problem = only(report, "unknown-zone")
    assert (
        "'eastern-gouta'" in problem.message and "did you mean 'eastern-ghouta'" in problem.message
    )


def test_unknown_kind_is_a_warning():
    report, records = agreements([dict(AGREEMENT, kind="armistice")])
    assert only(report, "unknown-choice").severity == "warning" and len(records) == 1


def test_source_is_required_and_should_be_citable():
    report, _ = agreements([dict(AGREEMENT, source="")])
    assert "cite its source" in only(report, "empty-field").message
    report, _ = agreements([dict(AGREEMENT, source="a friend")])
    assert only(report, "weak-source").severity == "warning"


def test_collapsed_agreement_without_end_is_a_warning():
    report, _ = agreements([dict(AGREEMENT, outcome="collapsed", effective_to="")])
    assert only(report, "open-ended-collapse").severity == "warning"


def test_valid_violation_has_interval_from_its_precision():
    report, (record,) = violations([VIOLATION])
    assert list(report) == []
    assert record["occurred"].isoformat() == "2017-07-22T21:00:00+00:00"
    assert record["occurred_end"].isoformat() == "2017-07-23T21:00:00+00:00"


def test_swapped_violation_position():
    report, records = violations([dict(VIOLATION, lat="36.39914", lon="33.56986")])
    assert "appear swapped" in only(report, "swapped-coordinates").message and records == []


@pytest.mark.parametrize(
    "column,value,code",
    [
        ("lat", "north", "bad-number"),
        ("lat", "95", "out-of-range"),
        ("casualties", "about 5", "bad-number"),
        ("date_precision", "fortnight", "bad-choice"),
        ("location_precision", "village", "bad-choice"),
    ],
)
def test_bad_violation_values(column, value, code):
    report, _ = violations([dict(VIOLATION, **{column: value})])
    assert only(report, code).where == f"row 2, column {column}"


def test_hour_precision_needs_a_time():
    report, _ = violations([dict(VIOLATION, date_precision="hour")])
    only(report, "precision-mismatch")


def test_violation_zone_id_may_be_empty():
    report, (record,) = violations([dict(VIOLATION, zone_id="")])
    assert report.errors == [] and record["zone_id"] == ""


# --- files together ---------------------------------------------------------------------------


def write_dataset(folder, zones, agreement_rows, violation_rows):
    folder.mkdir(exist_ok=True)
    write_zones(folder / "zones.geojson", *zones)
    (folder / "agreements.csv").write_text(csv_text(list(schema.AGREEMENT_COLUMNS), agreement_rows))
    (folder / "violations.csv").write_text(csv_text(list(schema.VIOLATION_COLUMNS), violation_rows))
    return folder


def test_dataset_cross_checks_pass_on_consistent_files(tmp_path):
    folder = write_dataset(tmp_path / "d", [zone_feature()], [AGREEMENT], [VIOLATION])
    result = validate_dataset(folder)
    assert list(result.report) == []
    assert len(result.agreements) == 1 and len(result.violations) == 1


def test_violation_outside_its_zone_is_an_error_with_distance(tmp_path):
    far = dict(VIOLATION, lat="33.51553", lon="36.35056", place="Ein Terma")
    folder = write_dataset(tmp_path / "d", [zone_feature()], [AGREEMENT], [far])
    problem = only(validate_dataset(folder).report, "outside-zone")
    assert problem.severity == "error" and problem.where == "row 2, column zone_id"
    assert "km outside zone 'eastern-ghouta'" in problem.message


def test_violation_outside_with_district_precision_is_a_warning(tmp_path):
    far = dict(VIOLATION, lat="33.51553", lon="36.35056", location_precision="district")
    folder = write_dataset(tmp_path / "d", [zone_feature()], [AGREEMENT], [far])
    assert only(validate_dataset(folder).report, "outside-zone").severity == "warning"


def test_boundary_version_at_the_violation_date_is_used(tmp_path):
    small = [[36.38, 33.56], [36.42, 33.56], [36.42, 33.59], [36.38, 33.59], [36.38, 33.56]]
    zones = [zone_feature(valid_to="2018-03-10"), zone_feature(ring=small, valid_from="2018-03-10")]
    edge = dict(VIOLATION, lat="33.552", lon="36.372")  # inside the 2017 outline only
    later = dict(edge, violation_id="v-later", occurred="2018-03-20")
    folder = write_dataset(tmp_path / "d", zones, [AGREEMENT], [edge, later])
    problems = [p for p in validate_dataset(folder).report if p.code == "outside-zone"]
    assert [p.where for p in problems] == ["row 3, column zone_id"]


def test_violation_before_the_zone_existed(tmp_path):
    early = dict(VIOLATION, occurred="2016-01-01")
    folder = write_dataset(tmp_path / "d", [zone_feature()], [AGREEMENT], [early])
    assert (
        "no boundary version on 2016-01-01"
        in only(validate_dataset(folder).report, "zone-not-in-force").message
    )


def test_missing_file_in_data_folder(tmp_path):
    folder = write_dataset(tmp_path / "d", [zone_feature()], [AGREEMENT], [VIOLATION])
    (folder / "violations.csv").unlink()
    problem = only(validate_dataset(folder).report, "missing-file")
    assert problem.path.endswith("violations.csv")


def test_named_csv_is_checked_against_the_data_folder_zones(tmp_path):
    folder = write_dataset(tmp_path / "d", [zone_feature()], [AGREEMENT], [VIOLATION])
    bad = tmp_path / "extra.csv"
    bad.write_text(csv_text(list(schema.AGREEMENT_COLUMNS), [dict(AGREEMENT, zone_ids="idlib")]))
    result = validate_paths([bad], data_dir=folder)
    assert only(result.report, "unknown-zone").path == str(bad)


def test_unknown_file_kind(tmp_path):
    other = tmp_path / "notes.csv"
    other.write_text("a,b\n1,2\n")
    assert (
        "cannot tell what this file holds"
        in only(validate_paths([other]).report, "unknown-kind").message
    )


def test_one_broken_zone_version_is_reported_once_not_for_every_record(tmp_path):
    folder = write_dataset(
        tmp_path / "d",
        [zone_feature(valid_from="2017-02-30")],
        [AGREEMENT],
        [VIOLATION, dict(VIOLATION, violation_id="v-2")],
    )
    report = validate_dataset(folder).report
    assert [p.code for p in report.errors] == ["bad-date"]
