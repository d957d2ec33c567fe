"""Files and data folders checked together, with cross-file references (geo.validate.entry)."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from shapely.geometry import Polygon

from geo import schema
from geo.errors import UsageError
from geo.io import load_dataset, read_zones
from geo.validate import check_zone_features, check_zone_frame, validate_dataset, validate_paths
from tests.conftest import DATA, DUMA_SQUARE, csv_text, write_zones, zone_feature
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


# One mistake in a file that others refer to is one error, not one per record that refers to it.
ZONES_BREAKAGE = {
    "a stray comma": lambda text: text.replace('"type": "Feature",', '"type": "Feature",,', 1),
    "an empty file": lambda text: "",
    "only white space": lambda text: "  \n\n",
    "not UTF-8": lambda text: text.replace("Eastern", "Eastern \udce9", 1),
    "an array at the top": lambda text: "[]",
    "a string at the top": lambda text: '"zones"',
    "no features member": lambda text: '{"type": "FeatureCollection"}',
    "features not an array": lambda text: '{"type": "FeatureCollection", "features": {}}',
    "an unknown type": lambda text: text.replace('"FeatureCollection"', '"Collection"', 1),
}


@pytest.mark.parametrize("case", list(ZONES_BREAKAGE), ids=list(ZONES_BREAKAGE))
def test_an_unreadable_zones_file_is_one_error_not_one_per_record(tmp_path, case):
    records = [dict(VIOLATION, violation_id=f"v-{i}") for i in range(30)]
    folder = write_dataset(tmp_path / "d", [zone_feature()], [AGREEMENT], records)
    path = folder / "zones.geojson"
    text = ZONES_BREAKAGE[case](path.read_text(encoding="utf-8"))
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    report = validate_dataset(folder).report
    assert len(report.errors) == 1, [str(p) for p in report.errors]
    assert report.errors[0].path.endswith("zones.geojson")


def test_a_broken_agreements_file_does_not_make_every_link_unknown(tmp_path):
    linked = [
        dict(VIOLATION, violation_id=f"v-{i}", agreement_ids=AGREEMENT["agreement_id"])
        for i in range(20)
    ]
    folder = write_dataset(tmp_path / "d", [zone_feature()], [AGREEMENT], linked)
    path = folder / "agreements.csv"
    path.write_text(path.read_text().replace("Cairo agreement", '"Cairo agreement', 1))
    report = validate_dataset(folder).report
    assert [p.code for p in report.errors] == ["csv-syntax"]


def test_a_broken_agreement_row_does_not_make_its_links_unknown(tmp_path):
    linked = [
        dict(VIOLATION, violation_id=f"v-{i}", agreement_ids=AGREEMENT["agreement_id"])
        for i in range(20)
    ]
    folder = write_dataset(
        tmp_path / "d", [zone_feature()], [dict(AGREEMENT, signed="2017-02-30")], linked
    )
    report = validate_dataset(folder).report
    assert [p.code for p in report.errors] == ["bad-date"]


# --- zones held in memory: the same rules as a file --------------------------------------------

BOWTIE = [[36.37, 33.55], [36.43, 33.60], [36.43, 33.55], [36.37, 33.60], [36.37, 33.55]]
SWAPPED = [[y, x] for x, y in DUMA_SQUARE][::-1]


def geometry(kind, coordinates):
    return {"type": kind, "coordinates": coordinates}


def with_geometry(value, **props):
    feature = zone_feature(**props)
    feature["geometry"] = value
    return feature


# One broken zone each: what a curator or an editor can get wrong.
BROKEN = {
    "self-intersection": zone_feature(ring=BOWTIE),
    "unclosed ring": zone_feature(ring=DUMA_SQUARE[:-1]),
    "short ring": zone_feature(ring=DUMA_SQUARE[:3]),
    "clockwise exterior": zone_feature(ring=DUMA_SQUARE[::-1]),
    "swapped lat/lon": zone_feature(ring=SWAPPED),
    "out of range": zone_feature(ring=[[x + 200, y] for x, y in DUMA_SQUARE]),
    "far from Syria": zone_feature(ring=[[x - 36, y - 33] for x, y in DUMA_SQUARE]),
    "multipart with a short part": with_geometry(
        geometry("MultiPolygon", [[DUMA_SQUARE], [DUMA_SQUARE[:3]]])
    ),
    "a point": with_geometry(geometry("Point", [36.4, 33.57])),
    "no geometry": with_geometry(None),
    "unknown accuracy": zone_feature(accuracy="aproximate"),
    "missing name": zone_feature(name=None),
    "empty name": zone_feature(name=" "),
    "dates in the wrong order": zone_feature(valid_from="2018-03-01", valid_to="2018-02-01"),
    "impossible date": zone_feature(valid_from="2017-02-30"),
    "not a slug": zone_feature(zone_id="Eastern Ghouta"),
    "unknown property": zone_feature(valid_form="2017-01-01"),
    "empty Arabic name": zone_feature(name_ar=""),
    "number as a property": zone_feature(name=7),
}


def problems_of(report):
    return [(p.code, p.severity, p.message) for p in report]


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_a_broken_zone_gets_the_same_problems_in_a_file_and_in_memory(tmp_path, case):
    feature = BROKEN[case]
    path = write_zones(tmp_path / "zones.geojson", feature)
    from_file = validate_paths([path]).report
    in_memory = check_zone_features([feature])
    assert problems_of(from_file), f"{case}: the file has no problem"
    assert problems_of(in_memory) == problems_of(from_file)
    for problem in from_file:
        assert problem.path == str(path) and "line " in problem.where
    for problem in in_memory:
        assert problem.path == "<memory>" and problem.where.startswith(("zone ", "feature 0"))
        assert "line" not in problem.where


def test_overlapping_versions_in_memory_name_both_versions():
    earlier = zone_feature(valid_from="2017-07-22", valid_to="2018-03-15")
    later = zone_feature(valid_from="2018-03-10", valid_to="")
    report = check_zone_features([earlier, later])
    (problem,) = report.errors
    assert problem.code == "overlapping-versions"
    assert problem.where == "zone eastern-ghouta, version eastern-ghouta@2018-03-10"
    assert "(zone eastern-ghouta, version eastern-ghouta@2017-07-22) runs to 2018-03-15" in (
        problem.message
    )
    assert "set the earlier version's valid_to to 2018-03-10" in problem.message
    closed = zone_feature(valid_from="2017-07-22", valid_to="2018-03-10")
    assert list(check_zone_features([closed, later])) == []


def test_versions_in_a_file_and_in_memory_overlap_alike(tmp_path):
    features = [zone_feature(valid_to=""), zone_feature(valid_from="2018-03-10")]
    path = write_zones(tmp_path / "zones.geojson", *features)
    from_file = validate_paths([path]).report
    in_memory = check_zone_features(features)
    assert [p.code for p in in_memory] == [p.code for p in from_file] == ["overlapping-versions"]


def test_features_are_not_changed_and_may_use_tuples_and_shapely():
    feature = zone_feature(ring=[tuple(p) for p in DUMA_SQUARE])
    feature["geometry"]["coordinates"] = tuple(feature["geometry"]["coordinates"])
    before = copy.deepcopy(feature)
    assert list(check_zone_features([feature])) == []
    assert feature == before
    shaped = dict(zone_feature(), geometry=Polygon(BOWTIE))
    assert [p.code for p in check_zone_features([shaped])] == ["invalid-geometry"]


def test_a_feature_collection_may_be_given_whole():
    collection = {"type": "FeatureCollection", "features": [zone_feature(ring=BOWTIE)]}
    assert [p.code for p in check_zone_features(collection)] == ["invalid-geometry"]


def test_no_features_is_an_error():
    assert [p.code for p in check_zone_features([])] == ["no-features"]


@pytest.mark.parametrize(
    "value,words",
    [
        ('{"type": "FeatureCollection"}', "found str"),
        (zone_feature(), "pass \\[feature\\]"),
        (None, "found NoneType"),
    ],
)
def test_features_that_are_not_a_collection_are_a_usage_error(value, words):
    with pytest.raises(UsageError, match=words):
        check_zone_features(value)


def test_source_names_the_features_in_messages():
    report = check_zone_features([zone_feature(ring=BOWTIE)], source="zones (unsaved edit)")
    assert str(report.problems[0]).startswith(
        "zones (unsaved edit):zone eastern-ghouta, version eastern-ghouta@2017-07-22, part 1, "
        "ring 0, vertex "
    )


# --- frames ----------------------------------------------------------------------------------


def test_the_bundled_zones_read_into_a_frame_have_no_problem():
    dataset = load_dataset(DATA)
    frame = read_zones(DATA / "zones.geojson")
    before = frame.copy()
    assert list(check_zone_frame(frame)) == []
    report = check_zone_frame(
        dataset.zones, agreements=dataset.agreements, violations=dataset.violations
    )
    assert list(report) == []
    assert frame.equals(before)


def test_an_edit_in_a_frame_is_placed_at_its_version():
    frame = read_zones(DATA / "zones.geojson")
    edited = frame.copy()
    row = int(edited.index[(edited["version_id"] == "eastern-ghouta@2018-03-05")][0])
    edited.loc[row, "geometry"] = Polygon(BOWTIE)
    edited.loc[row, "accuracy"] = "rough"
    report = check_zone_frame(edited)
    assert [p.code for p in report] == ["invalid-geometry", "bad-accuracy"]
    assert {p.where.split(", part")[0] for p in report} == {
        "zone eastern-ghouta, version eastern-ghouta@2018-03-05"
    }
    assert list(check_zone_frame(frame)) == []  # the frame read is untouched


def test_overlapping_versions_in_a_frame():
    frame = read_zones(DATA / "zones.geojson")
    first = frame.index[frame["version_id"] == "eastern-ghouta@2017-05-06"][0]
    frame.loc[first, "valid_to"] = pd.NaT  # the first version never closed
    problems = [p for p in check_zone_frame(frame) if p.code == "overlapping-versions"]
    assert (
        problems and problems[0].where == "zone eastern-ghouta, version eastern-ghouta@2018-03-05"
    )
    assert "is still valid (empty valid_to)" in problems[0].message


def test_a_missing_value_in_a_frame_is_a_missing_property():
    frame = read_zones(DATA / "zones.geojson")
    frame.loc[frame.index[0], "name"] = None
    problem = only(check_zone_frame(frame), "missing-property")
    assert problem.where == "zone syria-nationwide, version syria-nationwide@2016-02-27"


def test_a_frame_in_another_crs_is_refused():
    frame = read_zones(DATA / "zones.geojson").to_crs("EPSG:3857")
    problem = only(check_zone_frame(frame), "crs-not-wgs84")
    assert "EPSG:3857" in problem.message and "to_crs('EPSG:4326')" in problem.message


def test_a_frame_without_outlines_is_a_usage_error():
    with pytest.raises(UsageError, match="no geometry column"):
        check_zone_frame(pd.DataFrame({"zone_id": ["idlib"]}))
    with pytest.raises(UsageError, match="expected a GeoDataFrame"):
        check_zone_frame([zone_feature()])


# --- records that refer to zones in memory --------------------------------------------------


def test_removing_a_zone_that_records_name_is_an_error_per_record():
    dataset = load_dataset(DATA)
    kept = dataset.zones[dataset.zones["zone_id"] != "daraa-al-balad"]
    report = check_zone_frame(kept, agreements=dataset.agreements, violations=dataset.violations)
    assert report.codes() == {"unknown-zone"}
    named = dataset.agreements[dataset.agreements["zone_ids"].map(lambda z: "daraa-al-balad" in z)]
    places = {p.where for p in report if p.where.startswith("agreement ")}
    assert places == {f"agreement {a}, column zone_ids" for a in named["agreement_id"]}
    assert any(p.where.startswith("violation ") for p in report)


def test_shrinking_a_zone_leaves_its_violations_outside():
    shrunk = zone_feature(
        ring=[[36.41, 33.59], [36.43, 33.59], [36.43, 33.60], [36.41, 33.60], [36.41, 33.59]]
    )
    report = check_zone_features([shrunk], violations=[_violation_record(VIOLATION)])
    problem = only(report, "outside-zone")
    assert problem.where == "violation v-20170723-duma, column zone_id"
    assert "(zone eastern-ghouta, version eastern-ghouta@2017-07-22)" in problem.message
    assert (
        list(check_zone_features([zone_feature()], violations=[_violation_record(VIOLATION)])) == []
    )


def test_records_without_the_fields_needed_are_a_usage_error():
    with pytest.raises(UsageError, match="agreements lack the field"):
        check_zone_features([zone_feature()], agreements=[{"agreement_id": "a"}])
    with pytest.raises(UsageError, match="violations lack the field"):
        check_zone_features([zone_feature()], violations=pd.DataFrame({"zone_id": ["x"]}))


def _violation_record(row):
    return {
        "violation_id": row["violation_id"],
        "zone_id": row["zone_id"],
        "occurred": pd.Timestamp(row["occurred"]).tz_localize("Asia/Damascus"),
        "lat": float(row["lat"]),
        "lon": float(row["lon"]),
        "location_precision": row["location_precision"],
    }


def test_violations_from_a_frame_with_gaps_and_naive_times_are_read_as_the_csv_would_be():
    # a frame edited by hand: no zone as NaN, times without an offset (UTC), a record without
    # a position and one without a date; only the record placed outside its zone is reported
    duma, idlib = (33.57, 36.40), (35.93, 36.63)
    frame = pd.DataFrame(
        {
            "violation_id": ["v-no-zone", "v-naive", "v-no-position", "v-no-date", "v-outside"],
            "zone_id": [float("nan"), *["eastern-ghouta"] * 4],
            "occurred": [
                pd.Timestamp("2017-07-23T10:00"),
                pd.Timestamp("2017-07-23T10:00"),
                pd.Timestamp("2017-07-23T10:00"),
                pd.NaT,
                pd.Timestamp("2017-07-23T10:00"),
            ],
            "lat": [idlib[0], duma[0], float("nan"), duma[0], idlib[0]],
            "lon": [idlib[1], duma[1], float("nan"), duma[1], idlib[1]],
            "location_precision": ["exact"] * 5,
        }
    )
    report = check_zone_features([zone_feature()], violations=frame)
    assert [(p.code, p.where, p.severity) for p in report] == [
        ("outside-zone", "violation v-outside, column zone_id", "error")
    ]


def test_zone_references_in_memory_are_reported_in_full_in_record_order():
    # Eastern Ghouta (the square around Duma, 36.37-36.43 E, 33.55-33.60 N) from 22 July to
    # 1 August 2017 and again from 1 September; records checked against it one after another
    def record(violation_id, zone_id, day, precision="exact", lat=33.50, lon=36.50):
        return {
            "violation_id": violation_id,
            "zone_id": zone_id,
            "occurred": pd.Timestamp(day, tz="Asia/Damascus"),
            "lat": lat,
            "lon": lon,
            "location_precision": precision,
        }

    zones = [zone_feature(valid_to="2017-08-01"), zone_feature(valid_from="2017-09-01")]
    report = check_zone_features(
        zones,
        source="edited zones",
        agreements=[{"agreement_id": "a", "zone_ids": "eastern-gouta;eastern-ghouta"}],
        violations=[
            record("v-no-zone", "", "2017-07-23"),
            record("v-unknown", "eastern-gouta", "2017-07-23"),
            record("v-gap", "eastern-ghouta", "2017-08-01"),  # the day the first version ended
            record("v-inside", "eastern-ghouta", "2017-07-23", lat=33.57, lon=36.40),
            record("v-out", "eastern-ghouta", "2017-07-23"),
            record("v-district", "eastern-ghouta", "2017-07-23", "district"),
            record("v-governorate", "eastern-ghouta", "2017-07-23", "governorate"),
        ],
    )
    unknown = "unknown zone 'eastern-gouta' (did you mean 'eastern-ghouta'?); zones are defined in zones.geojson"
    # (36.50, 33.50) to the square's corner (36.43, 33.55): 0.07 degrees of longitude at
    # 33.5 N (111.32 km x cos 33.5 = 92.83 km each) and 0.05 of latitude (110.57 km each):
    # hypot(6.50, 5.53) = 8.5 km
    outside = (
        "the position (lat 33.5, lon 36.5) lies 8.5 km outside zone 'eastern-ghouta' as it was "
        "on 2017-07-23 (zone eastern-ghouta, version eastern-ghouta@2017-07-22); fix the "
        "position or the zone, or leave zone_id empty"
    )
    assert [(p.path, p.where, p.severity, p.message, p.code) for p in report] == [
        ("edited zones", "agreement a, column zone_ids", "error", unknown, "unknown-zone"),
        (
            "edited zones",
            "violation v-unknown, column zone_id",
            "error",
            unknown + ", or leave it empty to derive it from the position",
            "unknown-zone",
        ),
        (
            "edited zones",
            "violation v-gap, column zone_id",
            "error",
            "zone 'eastern-ghouta' has no boundary version on 2017-08-01 (its versions: "
            "2017-07-22 to 2017-08-01, 2017-09-01 to now); check the date or the zone",
            "zone-not-in-force",
        ),
        ("edited zones", "violation v-out, column zone_id", "error", outside, "outside-zone"),
        (
            "edited zones",
            "violation v-district, column zone_id",
            "warning",
            outside + " (the position is only district-precise)",
            "outside-zone",
        ),
        (
            "edited zones",
            "violation v-governorate, column zone_id",
            "warning",
            outside + " (the position is only governorate-precise)",
            "outside-zone",
        ),
    ]


@pytest.mark.parametrize(
    ("display", "shown"),
    [("my data/", "my data/"), ("my data", "my data/"), ("", ""), (None, "{folder}/")],
)
def test_missing_files_of_a_data_folder_are_named_as_the_folder_is_shown(tmp_path, display, shown):
    # a folder with only its zones file: both CSV files are missing, each named, in order
    folder = tmp_path / "data"
    folder.mkdir()
    write_zones(folder / "zones.geojson", zone_feature())
    report = validate_dataset(folder, display=display).report
    prefix = shown.format(folder=folder)
    message = "file not found; a data folder needs zones.geojson, agreements.csv and violations.csv"
    assert [(p.path, p.where, p.severity, p.message, p.code) for p in report] == [
        (f"{prefix}agreements.csv", "", "error", message, "missing-file"),
        (f"{prefix}violations.csv", "", "error", message, "missing-file"),
    ]


def test_the_zones_of_a_data_folder_are_named_as_the_folder_is_shown(tmp_path):
    folder = write_dataset(
        tmp_path / "data", [zone_feature(name="")], [AGREEMENT], [dict(VIOLATION, zone_id="")]
    )
    report = validate_dataset(folder, display="shown/").report
    assert {p.path for p in report} == {"shown/zones.geojson"}
    assert report.codes() == {"empty-property"}


def test_a_named_csv_is_checked_against_the_folders_zones_even_when_they_are_not_utf8(tmp_path):
    # a byte of Windows-1252 in a note: the zones file's own problem belongs to another run;
    # its outlines still say which zones exist
    folder = write_dataset(tmp_path / "data", [zone_feature(notes="cafe")], [AGREEMENT], [])
    path = folder / "zones.geojson"
    path.write_bytes(path.read_bytes().replace(b'"cafe"', b'"caf\xe9"'))
    named = tmp_path / "violations.csv"
    named.write_text(
        csv_text(list(schema.VIOLATION_COLUMNS), [dict(VIOLATION, zone_id="eastern-gouta")])
    )
    report = validate_paths([named], data_dir=folder).report
    assert [(p.where, p.code) for p in report] == [("row 2, column zone_id", "unknown-zone")]


def test_a_named_csv_is_not_judged_by_a_broken_zones_file_of_the_folder(tmp_path):
    folder = write_dataset(tmp_path / "data", [zone_feature()], [AGREEMENT], [])
    (folder / "zones.geojson").write_text('{"type": "FeatureCollection", "features": [', "utf-8")
    named = tmp_path / "violations.csv"
    named.write_text(csv_text(list(schema.VIOLATION_COLUMNS), [VIOLATION]))
    report = validate_paths([named], data_dir=folder).report
    assert list(report) == []
