"""geo.edit.versions: pure edits of the zones frame, and the change preview on the real join."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon, box

from geo.edit import file_hash, save_zones
from geo.edit.versions import (
    add_version,
    change_summary,
    delete_part,
    delete_version,
    new_zone,
    replace_geometry,
    set_version_attributes,
    set_zone_attributes,
)
from geo.errors import EditError, GeometryError, UsageError, ZoneFileError
from geo.io import load_dataset, read_zones
from geo.timemodel import build_timeline
from tests.conftest import TEST_DATA

EDIT_DATA = TEST_DATA / "edit" / "data"
U_SECOND = "ghouta-u@2018-03-11"
BOW_TIE = Polygon([(36.60, 33.40), (36.80, 33.60), (36.80, 33.40), (36.60, 33.60)])
GEOD = Geod(ellps="WGS84")


@pytest.fixture
def zones():
    return read_zones(EDIT_DATA / "zones.geojson")


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(EDIT_DATA, target)
    return target


def _geodesic_km2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def _unchanged(before, after):
    pd.testing.assert_frame_equal(before.drop(columns="geometry"), after.drop(columns="geometry"))
    assert before.geometry.geom_equals_exact(after.geometry, 0).all()


def _day(frame, vid, column):
    value = frame.loc[frame["version_id"] == vid, column].iloc[0]
    return None if pd.isna(value) else value.tz_convert("Asia/Damascus").date().isoformat()


# --- add_version -----------------------------------------------------------------------------


def test_add_version_closes_the_open_version(zones):
    copy = zones.copy()
    outline = box(36.30, 33.50, 36.50, 33.60)
    out = add_version(
        zones, "ghouta-u", outline, valid_from="2018-04-14", source="redrawn", accuracy="surveyed"
    )
    _unchanged(copy, zones)  # the input is not modified
    assert list(out["version_id"]) == [
        "ghouta-u@2017-05-06",
        U_SECOND,
        "ghouta-u@2018-04-14",
        "holed@2017-05-06",
        "multi@2017-05-06",
    ]
    assert _day(out, U_SECOND, "valid_to") == "2018-04-14"
    assert _day(out, "ghouta-u@2018-04-14", "valid_to") is None
    new = out[out["version_id"] == "ghouta-u@2018-04-14"].iloc[0]
    assert (new["name"], new["group"], new["accuracy"]) == (
        "U-shaped test zone",
        "test-2017",
        "surveyed",
    )
    assert new["boundary_source"] == "redrawn"
    assert list(out["feature"]) == [0, 1, 2, 3, 4]
    assert out.dtypes.equals(zones.dtypes)


def test_added_version_saves_and_validates(folder):
    path = folder / "zones.geojson"
    zones = read_zones(path)
    out = add_version(
        zones,
        "ghouta-u",
        box(36.30, 33.50, 36.50, 33.60),
        valid_from="2018-04-14",
        source="redrawn from a report",
        accuracy="approximate",
    )
    result = save_zones(path, out, expected=file_hash(path))
    assert result.versions == (U_SECOND, "ghouta-u@2018-04-14")
    reread = read_zones(path)
    assert list(reread["version_id"]) == list(out["version_id"])
    assert _day(reread, U_SECOND, "valid_to") == "2018-04-14"


def test_add_version_between_two_versions_with_an_end(zones):
    out = add_version(
        zones,
        "holed",
        box(36.60, 33.40, 36.80, 33.60),
        valid_from="2016-01-01",
        valid_to="2017-05-06",
        source="earlier extent",
        accuracy="approximate",
    )
    assert list(out["version_id"][2:4]) == ["holed@2016-01-01", "holed@2017-05-06"]
    assert _day(out, "holed@2017-05-06", "valid_to") is None  # a later version is not closed


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"zone_id": "ghouta", "valid_from": "2019-01-01"},
            EditError,
            r"unknown zone 'ghouta' \(did you mean 'ghouta-u'\?\)",
        ),
        (
            {"zone_id": "ghouta-u", "valid_from": "2018-01-01"},
            ZoneFileError,
            "the version from 2017-05-06 runs to 2018-03-11",
        ),
        (
            {"zone_id": "ghouta-u", "valid_from": "2017-01-01"},
            ZoneFileError,
            "give the new version valid_to 2017-05-06",
        ),
        (
            {"zone_id": "ghouta-u", "valid_from": "2018-03-11"},
            ZoneFileError,
            "already has a version starting 2018-03-11",
        ),
        (
            {"zone_id": "holed", "valid_from": "2019-01-01", "valid_to": "2018-01-01"},
            ZoneFileError,
            "valid_to 2018-01-01 is not after valid_from 2019-01-01",
        ),
        (
            {"zone_id": "holed", "valid_from": "2019-02-30"},
            UsageError,
            "is not a real date",
        ),
        (
            {"zone_id": "holed", "valid_from": "2019-01-01", "accuracy": "surveyd"},
            UsageError,
            "did you mean 'surveyed'",
        ),
        (
            {"zone_id": "holed", "valid_from": "2019-01-01", "geometry": BOW_TIE},
            GeometryError,
            "version holed@2019-01-01",
        ),
        (
            {"zone_id": "holed", "valid_from": "2019-01-01", "geometry": Point(36.7, 33.5)},
            GeometryError,
            "edit refused",
        ),
        (
            {"zone_id": "holed", "valid_from": "2019-01-01", "geometry": Polygon()},
            GeometryError,
            "edit refused",
        ),
    ],
)
def test_add_version_refusals(zones, kwargs, error, match):
    args = {
        "geometry": box(36.6, 33.4, 36.8, 33.6),
        "source": "test",
        "accuracy": "approximate",
        **kwargs,
    }
    copy = zones.copy()
    with pytest.raises(error, match=match):
        add_version(zones, args.pop("zone_id"), args.pop("geometry"), **args)
    _unchanged(copy, zones)


def test_geometry_problems_are_located_and_explained(zones):
    with pytest.raises(GeometryError) as err:
        replace_geometry(zones, "holed@2017-05-06", BOW_TIE)
    [problem] = err.value.problems
    assert problem.where == "zone holed, version holed@2017-05-06"
    assert problem.code == "invalid-geometry"
    assert "Self-intersection[36.7 33.5]" in problem.message
    with pytest.raises(GeometryError, match="edit refused") as err:
        replace_geometry(zones, "holed@2017-05-06", Point(36.7, 33.5))
    assert "must be a Polygon or MultiPolygon, not a Point" in str(err.value)


# --- other edits -----------------------------------------------------------------------------


def test_new_zone_is_appended_and_saves(folder):
    path = folder / "zones.geojson"
    zones = read_zones(path)
    out = new_zone(
        zones,
        "new-zone",
        "New test zone",
        "منطقة جديدة",
        "test-2017",
        box(36.9, 33.4, 37.0, 33.5),
        "2017-06-01",
        source="drawn for a test",
    )
    assert out["version_id"].iloc[-1] == "new-zone@2017-06-01"
    assert out["feature"].iloc[-1] == 4
    save_zones(path, out, expected=file_hash(path))
    assert "new-zone" in set(read_zones(path)["zone_id"])


@pytest.mark.parametrize(
    ("zone_id", "group", "match"),
    [
        ("holed", "test-2017", "exists already"),
        ("New Zone", "test-2017", "must be a lower-case slug"),
        ("new-zone", "Test 2017", "group 'Test 2017' must be a lower-case slug"),
    ],
)
def test_new_zone_refusals(zones, zone_id, group, match):
    with pytest.raises(UsageError, match=match):
        new_zone(zones, zone_id, "N", "", group, box(36, 33, 36.1, 33.1), "2017-06-01", source="s")


def test_replace_geometry_with_a_hole(zones):
    i = zones.index[zones["version_id"] == "multi@2017-05-06"][0]
    square = box(36.10, 33.30, 36.20, 33.40)
    holed = Polygon(square.exterior, [box(36.13, 33.33, 36.17, 33.37).exterior])
    out = replace_geometry(zones, "multi@2017-05-06", holed)
    assert out.geometry[i].equals(holed)
    assert zones.geometry[i].geom_type == "MultiPolygon"
    with pytest.raises(EditError, match=r"unknown boundary version 'multi@2017-05-07'"):
        replace_geometry(zones, "multi@2017-05-07", holed)


def test_set_zone_attributes_changes_every_version(zones):
    out = set_zone_attributes(zones, "ghouta-u", name="Renamed", group="test-2018")
    u = out[out["zone_id"] == "ghouta-u"]
    assert set(u["name"]) == {"Renamed"} and set(u["group"]) == {"test-2018"}
    assert set(u["name_ar"]) == {"منطقة اختبار على شكل حرف U"}
    assert set(out[out["zone_id"] == "holed"]["name"]) == {"Test zone with a hole"}
    with pytest.raises(UsageError, match="cannot be empty"):
        set_zone_attributes(zones, "ghouta-u", name=" ")
    with pytest.raises(UsageError, match="slug"):
        set_zone_attributes(zones, "ghouta-u", group="Not a slug")


def test_set_version_attributes(zones):
    out = set_version_attributes(zones, U_SECOND, valid_to="2019-01-01", notes="ends")
    assert _day(out, U_SECOND, "valid_to") == "2019-01-01"
    with pytest.raises(ZoneFileError, match="overlapping versions"):
        set_version_attributes(zones, "ghouta-u@2017-05-06", valid_to=None)
    with pytest.raises(ZoneFileError, match="overlapping versions"):
        set_version_attributes(zones, "ghouta-u@2017-05-06", valid_to="2018-03-12")
    ok = set_version_attributes(zones, "ghouta-u@2017-05-06", valid_to="2018-03-01")
    assert _day(ok, "ghouta-u@2017-05-06", "valid_to") == "2018-03-01"


def test_delete_part(zones):
    out = delete_part(zones, "multi@2017-05-06", 0)
    geom = out[out["version_id"] == "multi@2017-05-06"].geometry.iloc[0]
    assert geom.geom_type == "Polygon" and geom.equals(box(36.25, 33.30, 36.35, 33.40))
    with pytest.raises(UsageError, match="single part; delete the version instead"):
        delete_part(zones, "holed@2017-05-06", 0)
    with pytest.raises(UsageError, match="no part 2; the outline has parts 0 to 1"):
        delete_part(zones, "multi@2017-05-06", 2)


def test_delete_version(zones):
    out = delete_version(zones, "ghouta-u@2017-05-06")
    assert "ghouta-u@2017-05-06" not in set(out["version_id"])
    assert list(out["feature"]) == [0, 1, 2]


# --- change_summary --------------------------------------------------------------------------


def _only(summary, vid):
    [change] = [c for c in summary.versions if c.version_id == vid]
    return change


def test_east_arm_pushed_out_brings_in_the_record_of_its_time(zones):
    i = zones.index[zones["version_id"] == U_SECOND][0]
    old = zones.geometry[i]
    coords = [(36.50 if x == 36.48 else x, y) for x, y in old.exterior.coords]
    new_outline = Polygon(coords)
    edited = replace_geometry(zones, U_SECOND, new_outline)

    summary = change_summary(zones, edited, EDIT_DATA)

    change = _only(summary, U_SECOND)
    assert change.kind == "changed"
    assert change.area_before_km2 == pytest.approx(_geodesic_km2(old), rel=1e-3)
    assert change.area_after_km2 == pytest.approx(_geodesic_km2(new_outline), rel=1e-3)
    strip = box(36.48, 33.50, 36.50, 33.65)
    assert change.added.equals(strip)
    assert change.added_km2 == pytest.approx(_geodesic_km2(strip), rel=1e-3)
    assert change.removed.is_empty and change.removed_km2 == 0
    [row] = summary.incidents.to_dict("records")
    assert (row["violation_id"], row["zone_id"], row["change"]) == (
        "v-20180401-east-arm",
        "ghouta-u",
        "enters",
    )
    assert (row["version_before"], row["version_after"]) == ("", U_SECOND)
    [town] = summary.towns.to_dict("records")
    assert (town["place"], town["change"], town["records"]) == ("East arm edge town", "in", 1)
    assert summary.zones == ("ghouta-u",)
    areas = summary.areas()
    assert list(areas["kind"]) == ["added"]


def test_filling_the_notch_counts_only_records_of_the_versions_time(zones):
    # the first version's notch is filled; the record in the notch (2017) joins the zone, while
    # the east-arm record (2018, after this version ended) is not counted, though its point lies
    # inside the new outline
    first = "ghouta-u@2017-05-06"
    i = zones.index[zones["version_id"] == first][0]
    filled = shapely.convex_hull(zones.geometry[i])
    summary = change_summary(zones, replace_geometry(zones, first, filled), EDIT_DATA)
    assert list(summary.incidents["violation_id"]) == ["v-20170801-notch"]
    assert list(summary.incidents["change"]) == ["enters"]
    notch = box(36.35, 33.55, 36.45, 33.65)
    assert _only(summary, first).added_km2 == pytest.approx(_geodesic_km2(notch), rel=1e-3)
    assert list(summary.towns["place"]) == ["Notch town (between the arms of the U)"]


def test_filling_a_hole_and_deleting_a_part(zones):
    holed = zones[zones["zone_id"] == "holed"].geometry.iloc[0]
    edited = replace_geometry(zones, "holed@2017-05-06", Polygon(holed.exterior))
    edited = delete_part(edited, "multi@2017-05-06", 1)
    summary = change_summary(zones, edited, EDIT_DATA)
    changes = summary.incidents.set_index("violation_id")["change"].to_dict()
    assert changes == {"v-20170803-hole": "enters", "v-20170806-part-two": "leaves"}
    towns = summary.towns.set_index("place")["change"].to_dict()
    assert towns == {"Hole town": "in", "Part two town": "out"}
    assert summary.zones == ("holed", "multi")


def test_period_change_moves_records_but_no_town(zones):
    edited = set_version_attributes(zones, "holed@2017-05-06", valid_to="2017-08-04")
    summary = change_summary(zones, edited, EDIT_DATA)
    change = _only(summary, "holed@2017-05-06")
    assert change.period_after[1].isoformat() == "2017-08-04"
    assert change.added.is_empty and change.removed.is_empty
    assert list(summary.incidents["violation_id"]) == ["v-20170804-ring"]
    assert list(summary.incidents["change"]) == ["leaves"]
    assert summary.towns.empty


def test_added_and_removed_versions(zones):
    edited = add_version(
        zones,
        "holed",
        box(36.60, 33.40, 36.80, 33.60),
        valid_from="2017-08-02",
        source="test",
        accuracy="approximate",
    )
    edited = delete_version(edited, "multi@2017-05-06")
    summary = change_summary(zones, edited, EDIT_DATA)
    kinds = {c.version_id: c.kind for c in summary.versions}
    assert kinds == {
        "holed@2017-05-06": "changed",  # closed at 2017-08-02
        "holed@2017-08-02": "added",
        "multi@2017-05-06": "removed",
    }
    removed = _only(summary, "multi@2017-05-06")
    assert removed.area_after_km2 is None and removed.removed_km2 == pytest.approx(
        removed.area_before_km2
    )
    changes = summary.incidents.set_index("violation_id")["change"].to_dict()
    # the hole record (2017-08-03) falls in the new full square; the ring record (08-04) moves
    # from the old version to the new; the part-two record leaves with its zone
    assert changes == {
        "v-20170803-hole": "enters",
        "v-20170804-ring": "moves version",
        "v-20170806-part-two": "leaves",
    }


def test_summary_from_a_timeline_equals_summary_from_the_folder(zones):
    dataset = load_dataset(EDIT_DATA)
    timeline = build_timeline(dataset.zones, dataset.agreements, dataset.violations)
    edited = delete_part(zones, "multi@2017-05-06", 1)
    a = change_summary(zones, edited, timeline)
    b = change_summary(zones, edited, EDIT_DATA)
    pd.testing.assert_frame_equal(a.incidents, b.incidents)
    assert a.to_dict() == b.to_dict()


def test_no_change_means_empty_summary(zones):
    summary = change_summary(zones, zones.copy(), EDIT_DATA)
    assert summary.empty and summary.incidents.empty and summary.towns.empty


def test_multipolygon_area_counts_both_parts(zones):
    geom = zones[zones["zone_id"] == "multi"].geometry.iloc[0]
    assert isinstance(geom, MultiPolygon)
    edited = delete_version(zones, "multi@2017-05-06")
    removed = _only(change_summary(zones, edited, EDIT_DATA), "multi@2017-05-06")
    assert removed.area_before_km2 == pytest.approx(_geodesic_km2(geom), rel=1e-3)
