"""Zone properties and boundary versions (geo.validate.zones), through check_zones_text."""

from __future__ import annotations

import json

import pytest

from geo.errors import Report
from geo.validate import check_zones_text
from tests.conftest import zone_feature


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
