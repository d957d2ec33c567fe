"""geo.edit.diff: zones and versions added, removed and changed, and sides read from git."""

from __future__ import annotations

import json
import shutil
import subprocess

import geopandas as gpd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Polygon, box

from geo.edit import save_zones, zones_text
from geo.edit.diff import diff_zones, format_diff, load_side
from geo.edit.versions import (
    add_version,
    delete_version,
    new_zone,
    replace_geometry,
    set_version_attributes,
)
from geo.errors import UsageError, ZoneFileError
from geo.io import read_zones
from tests.conftest import TEST_DATA, needs_realdata

EDIT_DATA = TEST_DATA / "edit" / "data"
U_SECOND = "ghouta-u@2018-03-11"
GEOD = Geod(ellps="WGS84")


@pytest.fixture
def zones():
    return read_zones(EDIT_DATA / "zones.geojson")


def _east_arm_out(zones, to: float = 36.50):
    i = zones.index[zones["version_id"] == U_SECOND][0]
    coords = [(to if x == 36.48 else x, y) for x, y in zones.geometry[i].exterior.coords]
    return replace_geometry(zones, U_SECOND, Polygon(coords))


def test_identical_sides_have_no_difference(zones):
    diff = diff_zones(zones, zones.copy())
    assert diff.empty
    assert "no differences" in format_diff(diff)


def test_moved_edge_gives_area_symmetric_difference_and_hausdorff(zones):
    diff = diff_zones(zones, _east_arm_out(zones))
    [v] = diff.versions_changed
    assert v.version_id == U_SECOND and v.geometry_changed and v.attributes == {}
    strip = box(36.48, 33.50, 36.50, 33.65)
    strip_km2 = abs(GEOD.geometry_area_perimeter(strip)[0]) / 1e6
    assert v.area_change_km2 == pytest.approx(strip_km2, rel=1e-3)
    assert v.symmetric_difference_km2 == pytest.approx(strip_km2, rel=1e-3)
    # the edge moved 0.02 degrees east everywhere; furthest at the southern end (33.50 N)
    _, _, metres = GEOD.inv(36.48, 33.50, 36.50, 33.50)
    assert v.hausdorff_km == pytest.approx(metres / 1000, rel=5e-3)
    assert diff.versions_added == diff.versions_removed == ()


def test_shrinking_gives_negative_area_change(zones):
    [v] = diff_zones(zones, _east_arm_out(zones, to=36.47)).versions_changed
    assert v.area_change_km2 < 0
    # equal up to the slivers of edges drawn straight in the projection
    assert v.symmetric_difference_km2 == pytest.approx(-v.area_change_km2, rel=1e-3)


def test_ring_direction_alone_is_not_a_change(zones):
    i = zones.index[zones["version_id"] == "holed@2017-05-06"][0]
    reversed_rings = shapely.orient_polygons(zones.geometry[i], exterior_cw=True)
    edited = zones.copy()
    edited.at[i, "geometry"] = reversed_rings
    assert diff_zones(zones, edited).empty


def test_attributes_and_added_removed_items(zones):
    edited = set_version_attributes(zones, "holed@2017-05-06", valid_to="2018-01-01", notes="x")
    edited = add_version(
        edited,
        "holed",
        box(36.6, 33.4, 36.8, 33.6),
        valid_from="2018-01-01",
        source="test",
        accuracy="surveyed",
    )
    edited = delete_version(edited, "multi@2017-05-06")
    edited = new_zone(
        edited,
        "fresh",
        "Fresh",
        "",
        "test-2017",
        box(36.9, 33.4, 37.0, 33.5),
        "2017-06-01",
        source="test",
    )
    diff = diff_zones(zones, edited, old_name="a.geojson", new_name="b.geojson")
    assert diff.zones_added == ("fresh",) and diff.zones_removed == ("multi",)
    assert diff.versions_added == ("fresh@2017-06-01", "holed@2018-01-01")
    assert diff.versions_removed == ("multi@2017-05-06",)
    [v] = diff.versions_changed
    assert not v.geometry_changed and v.symmetric_difference_km2 == 0 and v.hausdorff_km == 0
    assert v.attributes == {
        "valid_to": ("", "2018-01-01"),
        "notes": ("The hole in the middle is outside the zone.", "x"),
    }
    text = format_diff(diff)
    assert "--- a.geojson" in text and "zone added: fresh" in text
    assert "version changed: holed@2017-05-06: valid_to: '' -> '2018-01-01'" in text
    as_json = json.loads(json.dumps(diff.to_dict()))
    assert as_json["versions_changed"][0]["attributes"]["valid_to"] == {
        "before": "",
        "after": "2018-01-01",
    }


# --- sides -----------------------------------------------------------------------------------


def test_load_side_reads_files_and_refuses_bad_ones(tmp_path):
    frame = load_side(str(EDIT_DATA / "zones.geojson"))
    assert len(frame) == 4 and frame.crs == "EPSG:4326"
    with pytest.raises(UsageError, match="no such file"):
        load_side(str(tmp_path / "missing.geojson"))
    bad = tmp_path / "zones.geojson"
    bad.write_text((EDIT_DATA / "zones.geojson").read_text().replace("approximate", "rough", 1))
    with pytest.raises(ZoneFileError) as err:
        load_side(str(bad))
    assert any(p.code == "bad-accuracy" for p in err.value.problems)


def _git(repo, *args):
    subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.org",
            "HOME": str(repo),
            "PATH": "/usr/bin:/bin",
        },
    )


@pytest.fixture
def repo(tmp_path):
    """A git repository with two commits of data/zones.geojson: the east arm moved in the second."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    path = repo / "data" / "zones.geojson"
    shutil.copy(EDIT_DATA / "zones.geojson", path)
    _git(repo, "init", "-q")
    _git(repo, "add", "data/zones.geojson")
    _git(repo, "commit", "-q", "-m", "first")
    path.write_text(zones_text(_east_arm_out(read_zones(path))), encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "east arm pushed out")
    return repo


def test_git_revision_against_working_file(repo, monkeypatch):
    monkeypatch.chdir(repo)
    old = load_side("git:HEAD~1:data/zones.geojson")
    new = load_side("data/zones.geojson")
    [v] = diff_zones(old, new).versions_changed
    assert v.version_id == U_SECOND and v.area_change_km2 > 0
    # from a sub-folder a relative path is relative to it, as in git
    monkeypatch.chdir(repo / "data")
    again = load_side("git:HEAD~1:zones.geojson")
    assert diff_zones(old, again).empty


def test_git_side_by_absolute_path_from_outside_the_repo(repo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not a repository
    old = load_side(f"git:HEAD~1:{repo / 'data' / 'zones.geojson'}")
    new = load_side(f"git:HEAD:{repo / 'data' / 'zones.geojson'}")
    assert [v.version_id for v in diff_zones(old, new).versions_changed] == [U_SECOND]


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("git:no-such-rev:data/zones.geojson", "git cannot show it: .*no-such-rev"),
        ("git:HEAD:data/other.geojson", "git cannot show it: .*other.geojson"),
        ("git:HEAD", "write a git side as git:REV:PATH"),
        ("git::data/zones.geojson", "write a git side as git:REV:PATH"),
    ],
)
def test_git_side_errors(repo, monkeypatch, spec, match):
    monkeypatch.chdir(repo)
    with pytest.raises(UsageError, match=match):
        load_side(spec)


def test_git_side_outside_any_repository(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    with pytest.raises(UsageError, match="is not inside a git repository"):
        load_side("git:HEAD:zones.geojson")


def test_git_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on this PATH
    with pytest.raises(UsageError, match="git is not installed"):
        load_side("git:HEAD:data/zones.geojson")


# --- real boundaries -------------------------------------------------------------------------


def _admin3_zones(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    for f in doc["features"]:
        p = f["properties"]
        f["properties"] = {
            "zone_id": p["PCODE"].lower(),
            "name": p["NAME_EN"],
            "name_ar": p["NAME_AR"],
            "group": "ocha-admin3",
            "valid_from": "2016-09-05",
            "valid_to": "",
            "accuracy": "surveyed",
            "boundary_source": "OCHA COD-AB Syria 2016, sub-districts (simplified)",
            "notes": "",
        }
    return doc


def test_real_sub_districts_one_buffered(tmp_path):
    real = needs_realdata() / "boundaries" / "ocha2016_syr_admin3_simplified.geojson"
    doc = _admin3_zones(real)
    a = tmp_path / "a" / "zones.geojson"
    a.parent.mkdir()
    save_zones(a, doc, expected=None)
    old = read_zones(a)
    assert len(old) == 272
    # Duma (SY030200) grows by about 500 m all round
    i = old.index[old["zone_id"] == "sy030200"][0]
    grown = shapely.buffer(old.geometry[i], 0.005)
    new = replace_geometry(old, "sy030200@2016-09-05", grown)
    [v] = diff_zones(old, new).versions_changed
    before = abs(GEOD.geometry_area_perimeter(old.geometry[i])[0]) / 1e6
    after = abs(GEOD.geometry_area_perimeter(grown)[0]) / 1e6
    assert v.area_before_km2 == pytest.approx(before, rel=2e-3)
    assert v.area_change_km2 == pytest.approx(after - before, rel=5e-3)
    # checked in another metric projection (UTM 37N) with shapely's own Hausdorff distance
    utm = gpd.GeoSeries([old.geometry[i], grown], crs="EPSG:4326").to_crs("EPSG:32637")
    assert v.hausdorff_km == pytest.approx(utm[0].hausdorff_distance(utm[1]) / 1000, rel=1e-2)
    assert v.hausdorff_km > 0.46  # at least the buffer, 0.005 degrees east-west
