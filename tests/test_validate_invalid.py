"""The categories of invalid and problematic GeoJSON geometry, as our own small fixtures.

The chrieke/geojson-invalid-geometry project lists the ways GeoJSON geometry goes wrong, and the
issue asked for each way to be reproduced here. ``tests/data/invalid/`` holds one small file per
category, written by us (see ``tests/data/README.md``); this module says, for each, what
``dezmap validate`` reports: the errors that refuse it, or the warnings it passes with.
"""

from __future__ import annotations

import json

import pytest

from geo.cli import main
from geo.validate import validate_paths
from tests.conftest import TEST_DATA

INVALID = TEST_DATA / "invalid"

#: file -> (errors, warnings): the problem codes ``dezmap validate FILE`` reports.
EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    # invalid by the specification (or for a zone)
    "unclosed.geojson": ({"unclosed-ring"}, set()),
    "less_than_three_unique_nodes.geojson": ({"invalid-geometry"}, {"winding"}),
    "exterior_not_ccw.geojson": (set(), {"winding"}),
    "interior_not_cw.geojson": (set(), {"winding"}),
    "inner_and_exterior_ring_intersect.geojson": ({"invalid-geometry"}, set()),
    "two_shells_in_one_polygon.geojson": ({"invalid-geometry"}, {"winding"}),
    "self_intersection.geojson": ({"invalid-geometry"}, set()),
    "outside_lat_lon_boundary.geojson": ({"out-of-range"}, set()),
    "crs_defined.geojson": ({"crs-not-wgs84"}, set()),
    "crs_wgs84.geojson": (set(), {"crs-member"}),
    "zero_length_linestring.geojson": ({"not-polygon"}, set()),
    "incorrect_geometry_type.geojson": ({"not-polygon"}, set()),
    "nested_geometry_collections.geojson": ({"not-polygon"}, set()),
    "feature_without_geometry.geojson": ({"null-geometry"}, set()),
    "wrong_bbox_coordinate_order.geojson": ({"bbox"}, set()),
    "bbox_not_containing_geometry.geojson": ({"bbox"}, set()),
    "crosses_antimeridian.geojson": ({"antimeridian"}, {"outside-region"}),
    "4d_coordinates.geojson": (set(), {"position-size"}),
    # valid, if problematic for some tools: dezmap reads them
    "duplicate_nodes.geojson": (set(), set()),
    "holes.geojson": (set(), set()),
    "3d_coordinates.geojson": (set(), set()),
    "excessive_coordinate_precision.geojson": (set(), set()),
    "excessive_vertices.geojson": (set(), set()),
    "multitype_with_one_geometry.geojson": (set(), set()),
    "geometry_not_wrapped.geojson": (set(), set()),  # a layer may be a bare geometry
}


def test_every_fixture_has_an_expectation_and_a_line_in_the_readme():
    assert {p.name for p in INVALID.glob("*.geojson")} == set(EXPECTED)
    readme = (TEST_DATA / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert f"`{name}`" in readme, name


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_category_gets_its_located_problems(name):
    errors, warnings = EXPECTED[name]
    report = validate_paths([INVALID / name]).report
    assert {p.code for p in report.errors} == errors
    assert {p.code for p in report.warnings} == warnings
    for problem in report:
        assert problem.where, problem  # placed: the feature and its line, or the top level
        assert problem.message.strip() and problem.path == str(INVALID / name)


@pytest.mark.parametrize("name", [n for n, (errors, _) in EXPECTED.items() if errors])
def test_the_command_line_refuses_each_invalid_category(name, capsys):
    assert main(["validate", str(INVALID / name)]) == 1
    out = capsys.readouterr()
    assert f"{INVALID / name}:" in out.out and "internal error" not in out.err


def test_a_bare_geometry_is_no_zones_file(tmp_path):
    zones = tmp_path / "zones.geojson"
    zones.write_text((INVALID / "geometry_not_wrapped.geojson").read_text())
    report = validate_paths([zones]).report
    assert [p.code for p in report.errors] == ["not-feature-collection"]


@pytest.mark.parametrize("name", [n for n, (errors, _) in EXPECTED.items() if not errors])
def test_fmt_writes_the_readable_categories_canonically(name, tmp_path):
    copy = tmp_path / name
    copy.write_text((INVALID / name).read_text())
    assert main(["fmt", str(copy)]) == 0
    assert main(["fmt", "--check", str(copy)]) == 0
    again = validate_paths([copy]).report
    assert again.ok and "winding" not in again.codes() and "crs-member" not in again.codes()
    json.loads(copy.read_text())
