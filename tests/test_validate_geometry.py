"""GeoJSON structure and geometry checks (geo.validate.geometry), through check_zones_text."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geo.errors import Report
from geo.validate import (
    LocatedProblem,
    check_zone_features,
    check_zones_text,
    region_test,
    validate_paths,
)
from tests.conftest import DUMA_SQUARE, write_zones, zone_feature


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


# --- structure -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,found", [("null", "null"), ("[]", "an array"), ('"x"', "a string"), ("3", "a number")]
)
def test_top_level_must_be_an_object(text, found):
    report, _ = check(text)
    assert f"found {found}" in only(report, "not-feature-collection").message


def test_zones_file_must_be_a_feature_collection():
    report, _ = check(zone_feature(), kind="zones")
    assert "must be a FeatureCollection" in only(report, "not-feature-collection").message


def test_type_is_case_sensitive():
    report, _ = check({"type": "featurecollection", "features": []})
    assert "case sensitive" in only(report, "bad-type").message


def test_empty_collection_holds_no_polygons():
    report, _ = check({"type": "FeatureCollection", "features": []})
    assert "zones must be polygons" in only(report, "no-features").message


@pytest.mark.parametrize(
    "member,kind",
    [("coordinates", "FeatureCollection"), ("properties", "FeatureCollection")],
)
def test_members_that_change_meaning_are_errors(member, kind):
    doc = collection(polygon(DUMA_SQUARE))
    doc[member] = {}
    report, _ = check(doc)
    assert f"must not have a {member!r} member" in only(report, "forbidden-member").message


@pytest.mark.parametrize(
    "bbox,words",
    [("x", "array of numbers"), ([1, 2, 3], "4 numbers"), ([1, 2, 3, "4"], "must be a number")],
)
def test_bad_bbox(bbox, words):
    doc = collection(polygon(DUMA_SQUARE))
    doc["bbox"] = bbox
    report, _ = check(doc)
    assert words in only(report, "bbox").message


def test_feature_id_must_be_string_or_number():
    doc = collection(polygon(DUMA_SQUARE))
    doc["features"][0]["id"] = {}
    report, _ = check(doc)
    assert "string or a number" in only(report, "bad-id").message


@pytest.mark.parametrize("props,code", [("missing", "missing-properties"), ([], "bad-properties")])
def test_feature_properties_must_be_present_and_an_object(props, code):
    doc = collection(polygon(DUMA_SQUARE))
    if props == "missing":
        del doc["features"][0]["properties"]
    else:
        doc["features"][0]["properties"] = props
    report, _ = check(doc)
    only(report, code)


# --- geometry ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [36.4, 33.57]},
        {"type": "LineString", "coordinates": [[36.4, 33.57], [36.5, 33.6]]},
        {"type": "GeometryCollection", "geometries": []},
    ],
)
def test_non_polygons_are_refused(geometry):
    report, _ = check(collection(geometry))
    problem = only(report, "not-polygon")
    assert "zones must be polygons" in problem.message
    assert problem.where == "feature 0, line 4"


def test_null_geometry_is_refused():
    report, _ = check(collection(None))
    assert "zones must be polygons" in only(report, "null-geometry").message


def test_empty_coordinates_are_refused():
    report, _ = check(collection(polygon()))
    assert "empty" in only(report, "empty-geometry").message


def test_unclosed_ring_says_which_positions_differ():
    ring = DUMA_SQUARE[:-1]
    report, _ = check(collection(polygon(ring)))
    message = only(report, "unclosed-ring").message
    assert "exterior ring is not closed" in message and "[36.37, 33.6]" in message


def test_short_ring():
    report, _ = check(collection(polygon([[36.37, 33.55], [36.43, 33.55], [36.37, 33.55]])))
    assert "has 3 positions" in only(report, "short-ring").message


def test_number_where_ring_expected_needs_deeper_nesting():
    report, _ = check(collection({"type": "Polygon", "coordinates": [[36.4, 33.5]]}))
    assert "nested more deeply" in only(report, "bad-nesting").message


def test_many_broken_rings_are_summarised():
    rings = [[1, 2]] * 10
    report, _ = check(collection({"type": "Polygon", "coordinates": rings}))
    nesting = [p for p in report if p.code == "bad-nesting"]
    assert len(nesting) == 4
    assert nesting[-1].message.startswith("7 more ring(s)")


def test_string_in_position():
    ring = [list(p) for p in DUMA_SQUARE]
    ring[1][1] = "33.55"
    report, _ = check(collection(polygon(ring)))
    assert "must be a number" in only(report, "bad-position").message


def test_coordinates_out_of_range():
    ring = [[x + 200, y] for x, y in DUMA_SQUARE]
    report, _ = check(collection(polygon(ring)))
    assert "out of range" in only(report, "out-of-range").message


def test_swapped_latitude_and_longitude_are_detected():
    ring = [[y, x] for x, y in DUMA_SQUARE][::-1]
    report, _ = check(collection(polygon(ring)))
    problem = only(report, "swapped-coordinates")
    assert problem.severity == "error"
    assert "[longitude, latitude]" in problem.message


def test_positions_far_from_syria_are_a_warning():
    ring = [[x - 36, y - 33] for x, y in DUMA_SQUARE]
    report, _ = check(collection(polygon(ring)))
    assert only(report, "outside-region").severity == "warning"
    assert report.ok


def test_self_intersection_gives_shapely_reason_and_place():
    bowtie = [[36.37, 33.55], [36.43, 33.60], [36.43, 33.55], [36.37, 33.60], [36.37, 33.55]]
    report, result = check(collection(polygon(bowtie)))
    message = only(report, "invalid-geometry").message
    assert "Self-intersection[36.4 33.575]" in message
    assert result.features[0].geometry is not None


def test_clockwise_exterior_is_a_warning_fmt_fixes():
    report, result = check(collection(polygon(DUMA_SQUARE[::-1])))
    problem = only(report, "winding")
    assert problem.severity == "warning" and "dezmap fmt" in problem.message
    assert report.ok and result.features[0].geometry.area > 0


def test_counter_clockwise_hole_is_a_warning():
    hole = [[36.39, 33.56], [36.41, 33.56], [36.41, 33.58], [36.39, 33.58], [36.39, 33.56]]
    report, _ = check(collection(polygon(DUMA_SQUARE, hole)))
    assert "hole 1 is counter-clockwise" in only(report, "winding").message


def test_multipolygon_parts_are_named():
    doc = collection({"type": "MultiPolygon", "coordinates": [[DUMA_SQUARE], [DUMA_SQUARE[:3]]]})
    report, _ = check(doc)
    assert "polygon 2, exterior ring has 3 positions" in only(report, "short-ring").message


def test_more_than_three_numbers_in_a_position_is_a_warning():
    ring = [p + [0, 0] for p in DUMA_SQUARE]
    report, _ = check(collection(polygon(ring)))
    assert only(report, "position-size").severity == "warning"


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326"])
def test_legacy_wgs84_crs_member_is_a_warning_with_its_line(name):
    doc = collection(polygon(DUMA_SQUARE))
    doc = {
        "type": doc["type"],
        "crs": {"type": "name", "properties": {"name": name}},
        "features": doc["features"],
    }
    report, _ = check(doc)
    problem = only(report, "crs-member")
    assert problem.severity == "warning" and problem.where == "top level, line 3"


def test_crs_in_another_system_is_an_error():
    doc = collection(polygon(DUMA_SQUARE))
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    report, _ = check(doc)
    assert "EPSG:4326" in only(report, "crs-not-wgs84").message


def test_layer_and_zone_detection():
    plain = json.dumps(collection(polygon(DUMA_SQUARE)))
    with_zone = json.dumps({"type": "FeatureCollection", "features": [zone_feature()]})
    assert check_zones_text(plain, "ref.geojson", Report()).kind == "layer"
    assert check_zones_text(plain, "zones-2018.geojson", Report()).kind == "zones"
    assert check_zones_text(with_zone, "mine.geojson", Report()).kind == "zones"


# --- the region test, shared by outlines, records and importers ----------------------------


@pytest.mark.parametrize(
    "lon,lat,expected",
    [
        (36.4, 33.57, (True, False)),  # Duma
        (33.57, 36.4, (False, True)),  # Duma, swapped
        (44.36, 33.31, (False, False)),  # Baghdad: outside, not swapped
        (34.5, 38.0, (True, False)),  # the corner belongs to the region
    ],
)
def test_region_test_on_single_numbers(lon, lat, expected):
    inside, swapped = region_test(lon, lat)
    assert (bool(inside), bool(swapped)) == expected


def test_region_test_works_element_by_element_on_series():
    lon = pd.Series([36.4, 33.57, 44.36, float("nan")], index=[5, 6, 7, 8])
    lat = pd.Series([33.57, 36.4, 33.31, 33.0], index=[5, 6, 7, 8])
    inside, swapped = region_test(lon, lat)
    assert list(inside.index) == [5, 6, 7, 8]
    assert inside.tolist() == [True, False, False, False]
    assert swapped.tolist() == [False, True, False, False]
    inside, swapped = region_test(lon.to_numpy(), lat.to_numpy())
    assert inside.tolist() == [True, False, False, False]


def test_huge_integer_in_a_position_is_refused_not_a_crash():
    text = json.dumps(collection(polygon(DUMA_SQUARE))).replace("36.37", "1" + "0" * 400, 1)
    report, _ = check(text)
    assert "must be a number" in only(report, "bad-position").message


# --- where problems are, for features held in memory ------------------------------------------
#
# The same checks place a problem in memory by zone, version, part, ring and vertex. The shapes:
# a concave zone (a notch in its top edge), a square with a hole, and a two-part zone.

# Vertex 3 is the bottom of the notch; the outline is valid.
CONCAVE = [
    [36.30, 33.50],
    [36.50, 33.50],
    [36.50, 33.70],
    [36.40, 33.60],
    [36.30, 33.70],
    [36.30, 33.50],
]
HOLE = [[36.39, 33.56], [36.39, 33.58], [36.41, 33.58], [36.41, 33.56], [36.39, 33.56]]  # clockwise
BOWTIE = [[36.57, 33.55], [36.63, 33.60], [36.63, 33.55], [36.57, 33.60], [36.57, 33.55]]


def in_memory(geometry, **props):
    feature = zone_feature(valid_from="2018-03-10", **props)
    feature["geometry"] = geometry
    return check_zone_features([feature])


def located(report, code):
    problem = only(report, code)
    assert isinstance(problem, LocatedProblem) and problem.location is not None
    return problem


def test_valid_shapes_have_no_problem_in_memory():
    assert list(in_memory(polygon(CONCAVE))) == []
    assert list(in_memory(polygon(DUMA_SQUARE, HOLE))) == []
    square_east = [[x + 0.2, y] for x, y in DUMA_SQUARE]
    assert (
        list(in_memory({"type": "MultiPolygon", "coordinates": [[DUMA_SQUARE], [square_east]]}))
        == []
    )


def test_self_intersection_of_a_concave_zone_names_the_vertex_moved_across_an_edge():
    moved = [list(p) for p in CONCAVE]
    moved[3] = [36.40, 33.45]  # the notch dragged below the bottom edge
    problem = located(in_memory(polygon(moved)), "invalid-geometry")
    assert problem.where == (
        "zone eastern-ghouta, version eastern-ghouta@2018-03-10, part 1, ring 0, vertex 3"
    )
    assert (problem.location.part, problem.location.ring, problem.location.vertex) == (1, 0, 3)
    assert "Self-intersection[" in problem.message


def test_hole_outside_its_shell_is_placed_on_the_hole():
    outside = [[x + 0.1, y] for x, y in HOLE]
    problem = located(in_memory(polygon(DUMA_SQUARE, outside)), "invalid-geometry")
    assert "Hole lies outside shell" in problem.message
    assert problem.where.endswith("part 1, ring 1, vertex 0")


def test_invalid_part_of_a_multipolygon_is_named():
    geometry = {"type": "MultiPolygon", "coordinates": [[DUMA_SQUARE], [BOWTIE]]}
    problem = located(in_memory(geometry), "invalid-geometry")
    assert problem.location.part == 2 and problem.location.ring == 0
    assert problem.location.vertex in (0, 1, 2, 3)  # an end of a crossing edge


def test_ring_problems_are_placed_at_their_ring_and_vertex():
    unclosed = in_memory(polygon(DUMA_SQUARE[:-1]))
    assert located(unclosed, "unclosed-ring").where.endswith("part 1, ring 0, vertex 3")
    ring = [list(p) for p in DUMA_SQUARE]
    ring[2][0] = "36.43"
    text_in_position = in_memory(polygon(ring))
    assert located(text_in_position, "bad-position").where.endswith("ring 0, vertex 2")
    wound = in_memory(polygon(DUMA_SQUARE, HOLE[::-1]))
    assert located(wound, "winding").where.endswith("part 1, ring 1")


def test_swapped_and_outside_positions_name_the_first_vertex_concerned():
    ring = [list(p) for p in DUMA_SQUARE]
    ring[1] = [33.55, 36.43]  # one vertex typed latitude first
    problem = located(in_memory(polygon(ring)), "swapped-coordinates")
    assert problem.where.endswith("part 1, ring 0, vertex 1")
    far = [[x - 36, y - 33] for x, y in DUMA_SQUARE]
    assert located(in_memory(polygon(far)), "outside-region").where.endswith("vertex 0")


def test_a_file_keeps_naming_the_feature_and_line_not_the_vertex(tmp_path):
    moved = [list(p) for p in CONCAVE]
    moved[3] = [36.40, 33.45]
    path = write_zones(tmp_path / "zones.geojson", zone_feature(ring=moved))
    problem = only(validate_paths([path]).report, "invalid-geometry")
    assert problem.where == "feature 0 (zone_id=eastern-ghouta), line 4"
    assert not isinstance(problem, LocatedProblem)


# --- positions of more than two numbers ----------------------------------------------------------


@pytest.mark.parametrize("extra", [[0], [0, 1700000000], [0, 1, 2]])
def test_positions_with_more_numbers_warn_and_the_outline_is_read(extra):
    ring = [p + extra for p in DUMA_SQUARE]
    report, result = check(collection(polygon(ring)))
    assert report.ok, [str(p) for p in report]
    assert {p.code for p in report} == ({"position-size"} if len(extra) > 1 else set())
    geometry = result.features[0].geometry
    assert geometry is not None and not geometry.has_z and geometry.area > 0


def test_positions_of_mixed_sizes_are_read():
    ring = [p + [0] if i % 2 else p for i, p in enumerate(DUMA_SQUARE)]
    report, result = check(collection(polygon(ring)))
    assert report.ok and result.features[0].geometry is not None


# --- bbox ----------------------------------------------------------------------------------------

DUMA_BBOX = [36.37, 33.55, 36.43, 33.60]


def with_bbox(bbox, on="collection"):
    doc = collection(polygon(DUMA_SQUARE))
    target = {
        "collection": doc,
        "feature": doc["features"][0],
        "geometry": doc["features"][0]["geometry"],
    }[on]
    target["bbox"] = bbox
    return doc


@pytest.mark.parametrize("on", ["collection", "feature", "geometry"])
def test_a_bbox_that_fits_passes(on):
    report, _ = check(with_bbox(DUMA_BBOX, on))
    assert list(report) == []
    report, _ = check(with_bbox([36.0, 33.0, 0, 37.0, 34.0, 100], on))
    assert list(report) == []


@pytest.mark.parametrize("on", ["collection", "feature", "geometry"])
@pytest.mark.parametrize(
    ("bbox", "words"),
    [
        ([36.43, 33.60, 36.37, 33.55], "the wrong order"),  # north-east corner first
        ([33.55, 36.37, 33.60, 36.43], "does not contain"),  # latitude first
        ([36.37, 33.60, 36.43, 33.55], "south (33.6) is north of its north (33.55)"),
        ([36.0, 33.0, 100, 37.0, 34.0, 0], "lowest height (100) is above its highest (0)"),
    ],
)
def test_a_bbox_in_the_wrong_order_is_an_error(on, bbox, words):
    report, _ = check(with_bbox(bbox, on))
    problem = only(report, "bbox")
    assert problem.severity == "error" and words in problem.message
    assert "[west, south, east, north]" in problem.message


@pytest.mark.parametrize("on", ["collection", "feature", "geometry"])
def test_a_bbox_that_does_not_contain_the_geometry_is_an_error(on):
    report, _ = check(with_bbox([36.37, 33.55, 36.40, 33.60], on))
    problem = only(report, "bbox")
    assert "does not contain" in problem.message and "[36.43, 33.55]" in problem.message
    assert "correct it or remove it" in problem.message


def test_a_bbox_across_the_antimeridian_fits_a_geometry_cut_there():
    east = [[179.5, -17.0], [180.0, -17.0], [180.0, -16.0], [179.5, -16.0], [179.5, -17.0]]
    west = [[-180.0, -17.0], [-179.5, -17.0], [-179.5, -16.0], [-180.0, -16.0], [-180.0, -17.0]]
    doc = collection({"type": "MultiPolygon", "coordinates": [[east], [west]]})
    doc["features"][0]["geometry"]["bbox"] = [179.5, -17.0, -179.5, -16.0]
    report, result = check(doc)
    assert "bbox" not in report.codes() and report.ok
    doc["features"][0]["geometry"]["bbox"] = [179.6, -17.0, -179.5, -16.0]
    report, _ = check(doc)
    assert "does not contain" in only(report, "bbox").message


def test_a_bbox_is_checked_against_every_feature_of_the_collection():
    doc = collection(polygon(DUMA_SQUARE), polygon([[x + 0.5, y] for x, y in DUMA_SQUARE]))
    doc["bbox"] = DUMA_BBOX
    report, _ = check(doc)
    assert "[36.87, 33.55]" in only(report, "bbox").message


def test_an_outline_across_the_antimeridian_is_an_error_naming_the_edge():
    ring = [[179.5, -17.0], [-179.5, -17.0], [-179.5, -16.0], [179.5, -16.0], [179.5, -17.0]]
    report, result = check(collection(polygon(ring)))
    problem = only(report, "antimeridian")
    assert problem.severity == "error" and "from 179.5 to -179.5" in problem.message
    assert "cut it in two" in problem.message and "winding" not in report.codes()
    assert result.features[0].geometry is None


def test_an_outline_near_the_antimeridian_that_does_not_cross_it_is_read():
    ring = [[178.5, -17.0], [179.9, -17.0], [179.9, -16.0], [178.5, -16.0], [178.5, -17.0]]
    report, result = check(collection(polygon(ring)))
    assert "antimeridian" not in report.codes() and result.features[0].geometry is not None


def test_rings_past_the_examples_are_counted_only_when_broken():
    # three broken rings are reported one by one; of the rings after them only the broken
    # ones are counted in the summary: a good triangle (four positions, closed) is not; an
    # unclosed ring, a closed ring of three positions, a position with one number, a position
    # of words and a number where a ring should be are
    p, q, r = [36.37, 33.55], [36.43, 33.55], [36.40, 33.60]
    rings = [
        [1, 2],
        [1, 2],
        [1, 2],
        [p, q, r, p],  # good
        [p, q, r, [36.38, 33.58]],  # not closed
        [p, q, p],  # too short
        [p, q, [36.40], p],  # a position with one number
        [p, q, ["36.40", "33.60"], p],  # a position of words
        36.4,  # not a ring
    ]
    report, result = check(collection({"type": "Polygon", "coordinates": rings}))
    nesting = [p for p in report if p.code == "bad-nesting"]
    assert len(nesting) == 4
    assert nesting[-1].message == ("5 more ring(s) of this geometry have problems like those above")


def test_positions_with_more_than_three_numbers_are_counted():
    # two positions of the square carry a height and a fourth number (a time, say)
    ring = [list(p) for p in DUMA_SQUARE]
    ring[1] += [0, 1]
    ring[2] += [0, 2]
    report, _ = check(collection(polygon(ring)))
    problem = only(report, "position-size")
    assert problem.severity == "warning"
    assert problem.message == (
        "2 position(s) have more than 3 elements; only longitude, latitude and an optional "
        "height are allowed: the outline is read from the first two (keep other values, such "
        "as a time, in the properties)"
    )
