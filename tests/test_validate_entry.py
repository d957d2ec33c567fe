"""Files and data folders checked together, with cross-file references (geo.validate.entry)."""

from __future__ import annotations

from geo import schema
from geo.validate import validate_dataset, validate_paths
from tests.conftest import csv_text, write_zones, zone_feature
from tests.test_validate_records import AGREEMENT, VIOLATION, only

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
