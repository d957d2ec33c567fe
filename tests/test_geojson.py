"""Reading GeoJSON text with locations (geo.geojson): lines, syntax errors, duplicates."""

from __future__ import annotations

import json

import pytest

from geo.errors import Report
from geo.geojson import parse_text
from geo.validate import check_zones_text
from tests.conftest import DUMA_SQUARE, zone_feature


def check(doc_or_text, kind="layer", path="t.geojson"):
    text = doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text, indent=2)
    report = Report()
    result = check_zones_text(text, path, report, kind=kind)
    return report, result


def collection(*geometries):
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": g} for g in geometries],
    }


def polygon(*rings):
    return {"type": "Polygon", "coordinates": list(rings)}


def only(report, code):
    found = [p for p in report if p.code == code]
    assert found, f"no {code!r} problem in {[str(p) for p in report]}"
    return found[0]


# --- parsing and locations -------------------------------------------------------------------


def test_parse_text_gives_the_line_where_each_feature_starts():
    text = json.dumps(collection(polygon(DUMA_SQUARE), polygon(DUMA_SQUARE)), indent=2)
    parsed = parse_text(text, "t", Report())
    lines = text.split("\n")
    assert len(parsed.feature_lines) == 2
    for line in parsed.feature_lines:
        assert lines[line - 1].strip() == "{"
        assert '"type": "Feature"' in lines[line]


def test_problem_names_feature_index_zone_id_and_line():
    bad = zone_feature(ring=[[36.37, 33.55], [36.43, 33.55], [36.43, 33.60], [36.37, 33.55]][:3])
    text = json.dumps({"type": "FeatureCollection", "features": [zone_feature(), bad]}, indent=2)
    report, _ = check(text, kind="zones")
    problem = only(report, "short-ring")
    line = parse_text(text, "t", Report()).feature_lines[1]
    assert problem.where == f"feature 1 (zone_id=eastern-ghouta), line {line}"
    assert str(problem).startswith(
        f"t.geojson:feature 1 (zone_id=eastern-ghouta), line {line}: error: "
    )


def test_syntax_error_reports_line_and_column():
    report, _ = check('{\n  "type": "FeatureCollection"\n  "features": []\n}')
    problem = only(report, "json-syntax")
    assert problem.where == "line 3, column 3"
    assert "not valid JSON" in problem.message


def test_trailing_comma_is_a_syntax_error():
    report, _ = check('{"type": "FeatureCollection", "features": [],}')
    assert only(report, "json-syntax").severity == "error"


def test_duplicate_member_is_an_error_located_in_its_feature():
    feature = json.dumps(zone_feature())
    feature = feature.replace('"name": ', '"name": "First", "name": ', 1)
    text = '{"type": "FeatureCollection", "features": [\n' + feature + "\n]}"
    report, _ = check(text, kind="zones")
    problem = only(report, "duplicate-member")
    assert problem.where == "feature 0, line 2"
    assert "'name'" in problem.message


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_non_json_constants_are_rejected(value):
    text = json.dumps(collection(polygon(DUMA_SQUARE))).replace("36.37", value, 1)
    report, _ = check(text)
    assert any(value in p.message for p in report.errors)


def test_very_deep_nesting_is_an_error_not_a_crash():
    report, _ = check("[" * 100_000 + "]" * 100_000)
    assert not report.ok


@pytest.mark.parametrize("text", ["", "   \n\t\r\n"])
def test_an_empty_file_is_one_syntax_error_not_null(text):
    report = Report()
    assert parse_text(text, "zones.geojson", report) is None
    assert [(p.code, p.where) for p in report] == [("json-syntax", "line 1")]
    assert "the file is empty" in report.problems[0].message


@pytest.mark.parametrize(
    ("literal", "words"),
    [
        ("3" + "0" * 5000, "a number with 5001 digits (30000000000"),
        ("-" + "9" * 400, "a number with 400 digits (-9999999999"),
        ("1e400", "1e400 is too large"),
        ("-2.5E+999", "-2.5E+999 is too large"),
    ],
)
def test_numbers_too_large_for_a_float_are_located_errors_not_crashes(literal, words):
    doc = collection(polygon(DUMA_SQUARE), polygon(DUMA_SQUARE))
    text = json.dumps(doc, indent=2)
    at = text.index("36.37", text.index('"Feature"', text.index('"Feature"') + 1))
    text = text[:at] + literal + text[at + 5 :]
    report, result = check(text)
    problem = only(report, "bad-number")
    assert words in problem.message and problem.where == "feature 1, line 35"
    assert len(result.features) == 2 and result.features[1].geometry is None


def test_large_numbers_a_float_can_hold_are_kept():
    report = Report()
    parsed = parse_text('{"a": 123456789012345678901234567890, "b": 1e300}', "x", report)
    assert report.ok and parsed.doc == {"a": 123456789012345678901234567890, "b": 1e300}
