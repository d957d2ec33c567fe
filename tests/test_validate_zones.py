"""Zone properties and boundary versions (geo.validate.zones), through check_zones_text."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from geo import schema
from geo.errors import DataError, Report
from geo.io import read_zones
from geo.validate import ZoneVersion, check_zones_text, read_zone_features, row_feature
from tests.conftest import DATA, zone_feature


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


# --- building a version from a feature or a frame row ----------------------------------------


def test_version_from_a_feature_has_typed_values_and_a_location():
    version = ZoneVersion.from_feature(zone_feature(valid_to="2018-03-10", notes=" split "))
    assert version.version_id == "eastern-ghouta@2017-07-22"
    assert version.valid_from == dt.date(2017, 7, 22) and version.valid_to == dt.date(2018, 3, 10)
    assert version.notes == "split" and version.geometry.geom_type == "Polygon"
    assert version.where == "zone eastern-ghouta, version eastern-ghouta@2017-07-22"
    assert version.location.zone_id == "eastern-ghouta"


def test_version_from_a_bad_feature_raises_with_every_problem():
    with pytest.raises(DataError, match="cannot be used: 2 errors") as info:
        ZoneVersion.from_feature(zone_feature(accuracy="rough", name=""), index=4)
    assert {p.code for p in info.value.problems} == {"bad-accuracy", "empty-property"}
    assert all(
        p.where == "zone eastern-ghouta, version eastern-ghouta@2017-07-22"
        for p in info.value.problems
    )


def test_version_from_a_feature_without_zone_is_named_by_its_index():
    with pytest.raises(DataError) as info:
        ZoneVersion.from_feature(zone_feature(zone_id=None), index=4)
    assert info.value.problems[0].where == "feature 4"
    assert str(info.value).startswith("feature 4: this zone version cannot be used")


def test_version_from_a_frame_row_equals_the_version_from_the_file():
    text = (DATA / "zones.geojson").read_text(encoding="utf-8")
    from_file = check_zones_text(text, "zones.geojson", Report(), kind="zones").versions
    frame = read_zones(DATA / "zones.geojson")
    for i, (_, row) in enumerate(frame.iterrows()):
        version = ZoneVersion.from_row(row, index=i)
        expected = from_file[i]
        assert version.version_id == expected.version_id
        assert (version.valid_from, version.valid_to) == (expected.valid_from, expected.valid_to)
        assert (version.name, version.name_ar, version.notes) == (
            expected.name,
            expected.name_ar,
            expected.notes,
        )
        assert version.geometry.equals(expected.geometry)


def test_row_feature_turns_instants_into_damascus_days_and_drops_derived_columns():
    frame = read_zones(DATA / "zones.geojson")
    row = frame.iloc[0]
    feature = row_feature(row)
    props = feature["properties"]
    assert "version_id" not in props and "feature" not in props

    def day(instant):
        return "" if pd.isna(instant) else instant.tz_convert(schema.DAMASCUS).date().isoformat()

    assert props["valid_from"] == day(row["valid_from"]) and props["valid_to"] == day(
        row["valid_to"]
    )
    missing = row.copy()
    missing["valid_to"] = pd.NaT
    assert row_feature(missing)["properties"]["valid_to"] == ""
    assert feature["geometry"]["type"] == "Polygon"
    assert isinstance(feature["geometry"]["coordinates"][0][0], list)
    assert row_feature({"zone_id": "x", "name": float("nan"), "geometry": None}) == {
        "type": "Feature",
        "properties": {"zone_id": "x"},
        "geometry": None,
    }


def test_read_zone_features_returns_the_versions_it_could_read():
    report = Report()
    check = read_zone_features(
        [zone_feature(), zone_feature(zone_id="douma", accuracy="x")], report
    )
    assert [v.zone_id for v in check.versions] == ["eastern-ghouta"]
    assert check.broken_zone_ids == {"douma"}
    assert [p.where for p in report] == ["zone douma, version douma@2017-07-22"]


# --- what to do about each property, when it is not text ------------------------------------------

HINTS = {
    "zone_id": "give a lower-case slug such as 'eastern-ghouta'",
    "name": "give the zone's English name",
    "name_ar": "give the zone's Arabic name ('' if unknown)",
    "group": "give the family of zones, such as 'astana-2017'",
    "valid_from": "give the first day of this boundary version as YYYY-MM-DD",
    "valid_to": "give the first day this version no longer applies (YYYY-MM-DD) or ''",
    "accuracy": "write 'approximate' or 'surveyed'",
    "boundary_source": "say how the outline was drawn and cite its sources",
    "notes": "write a short note or ''",
}


def test_every_zone_property_has_its_hint():
    assert set(HINTS) == set(schema.ZONE_PROPERTIES)


@pytest.mark.parametrize("name", sorted(HINTS))
def test_a_property_that_is_not_text_says_what_to_write(name):
    report, _ = zones_report(zone_feature(**{name: 5}))
    problem = only(report, "bad-property")
    assert problem.severity == "error"
    assert problem.message == f"property {name!r} must be a string, found 5; {HINTS[name]}"
