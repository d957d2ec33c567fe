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
