"""`dezmap zones`: add-version, import, export and diff on real files; bad input changes nothing."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import zipfile

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from geo.cli import main
from geo.edit import file_hash, save_zones
from geo.edit.save import BACKUP_DIR, read_log
from geo.fmt import fmt_file
from geo.io import load_dataset, read_zones
from geo.validate import validate_dataset
from tests.conftest import ROOT, TEST_DATA, needs_realdata

EDIT_DATA = TEST_DATA / "edit" / "data"


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(EDIT_DATA, target)
    return target


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _polygon_file(tmp_path, geom, name="outline.geojson", crs="EPSG:4326"):
    path = tmp_path / name
    gpd.GeoDataFrame({"n": [1]}, geometry=[geom], crs="EPSG:4326").to_crs(crs).to_file(path)
    return path


# --- add-version -----------------------------------------------------------------------------


def test_add_version_from_a_real_clockwise_outline(folder, capsys):
    # Natural Earth's Syria: one real polygon, clockwise as published
    outline = needs_realdata() / "boundaries" / "naturalearth_110m_admin0_syria.geojson"
    zones_file = folder / "zones.geojson"
    code, out, err = _run(
        capsys,
        "zones",
        "add-version",
        "holed",
        "--from",
        outline,
        "--valid-from",
        "2019-01-01",
        "--source",
        "Natural Earth 1:110m admin 0, Syria",
        "--data",
        folder,
    )
    assert code == 0, err
    assert "added version holed@2019-01-01" in out
    assert "closed holed@2017-05-06 at it" in out
    zones = read_zones(zones_file).set_index("version_id")
    new = zones.loc["holed@2019-01-01"]
    assert new["boundary_source"] == "Natural Earth 1:110m admin 0, Syria"
    assert new.geometry.exterior.is_ccw  # written with RFC 7946 winding
    closed = zones.loc["holed@2017-05-06", "valid_to"].tz_convert("Asia/Damascus")
    assert closed.date().isoformat() == "2019-01-01"
    assert load_dataset(folder).report.ok  # the folder as a whole still validates
    assert not fmt_file(zones_file, check=True).changed
    [entry] = read_log(folder)
    assert entry["versions"] == ["holed@2017-05-06", "holed@2019-01-01"]
    assert entry["summary"]["command"] == "zones add-version"


def test_add_version_from_projected_shapefile(folder, tmp_path, capsys):
    outline = _polygon_file(
        tmp_path, box(36.30, 33.50, 36.50, 33.62), name="utm.shp", crs="EPSG:32637"
    )
    code, out, err = _run(
        capsys,
        "zones",
        "add-version",
        "ghouta-u",
        "--from",
        outline,
        "--valid-from",
        "2018-06-01",
        "--accuracy",
        "surveyed",
        "--data",
        folder,
    )
    assert code == 0, err
    zones = read_zones(folder / "zones.geojson").set_index("version_id")
    new = zones.loc["ghouta-u@2018-06-01"]
    assert new["accuracy"] == "surveyed"
    assert new["boundary_source"] == "Outline from utm.shp (dezmap zones add-version)"
    assert shapely.hausdorff_distance(new.geometry, box(36.30, 33.50, 36.50, 33.62)) < 2e-6


# --- bad input: a message, an exit code, and the file unchanged -------------------------------


def _bow_tie(tmp_path):
    return _polygon_file(
        tmp_path, Polygon([(36.60, 33.40), (36.80, 33.60), (36.80, 33.40), (36.60, 33.60)])
    )


def _points(tmp_path):
    path = tmp_path / "points.geojson"
    gpd.GeoDataFrame(
        {"n": [1, 2]}, geometry=[Point(36.4, 33.6), Point(36.5, 33.6)], crs="EPSG:4326"
    ).to_file(path)
    return path


def _empty(tmp_path):
    path = tmp_path / "empty.gpkg"
    gpd.GeoDataFrame({"n": []}, geometry=[], crs="EPSG:4326").to_file(path, layer="empty")
    return path


def _garbage(tmp_path):
    path = tmp_path / "garbage.geojson"
    path.write_text("<html>not a GIS file</html>")
    return path


def _bad_crs(tmp_path):
    path = _polygon_file(tmp_path, box(36.3, 33.5, 36.5, 33.6), name="bad.shp", crs="EPSG:32637")
    path.with_suffix(".prj").write_text("PROJCS[garbage")
    return path


def _no_crs(tmp_path):
    path = _polygon_file(tmp_path, box(36.3, 33.5, 36.5, 33.6), name="nocrs.shp", crs="EPSG:32637")
    path.with_suffix(".prj").unlink()
    return path


def _good(tmp_path):
    return _polygon_file(tmp_path, box(36.30, 33.50, 36.50, 33.62))


@pytest.mark.parametrize(
    ("make", "zone", "day", "code", "message"),
    [
        (_bow_tie, "holed", "2019-01-01", 1, "not a valid polygon: Self-intersection"),
        (_good, "ghouta-u", "2018-01-01", 1, "overlapping versions of zone 'ghouta-u'"),
        (_good, "ghouta", "2019-01-01", 1, "unknown zone 'ghouta' (did you mean 'ghouta-u'?)"),
        (_good, "holed", "2019-02-30", 2, "is not a real date"),
        (_points, "holed", "2019-01-01", 1, "the layer has no polygons (found 2 a Point)"),
        (_empty, "holed", "2019-01-01", 1, "has no features"),
        (_garbage, "holed", "2019-01-01", 1, "cannot be read as a GIS file"),
        (_bad_crs, "holed", "2019-01-01", 1, "coordinate reference system cannot be read"),
        (_no_crs, "holed", "2019-01-01", 1, "has no coordinate reference system"),
        (lambda p: p / "missing.shp", "holed", "2019-01-01", 2, "no such file"),
    ],
)
def test_add_version_bad_input_leaves_file_unchanged(
    folder, tmp_path, capsys, make, zone, day, code, message
):
    zones_file = folder / "zones.geojson"
    before = _sha(zones_file)
    source = make(tmp_path)
    got, out, err = _run(
        capsys,
        "zones",
        "add-version",
        zone,
        "--from",
        source,
        "--valid-from",
        day,
        "--data",
        folder,
    )
    assert got == code
    assert message in out + err
    assert "Traceback" not in out + err
    assert _sha(zones_file) == before
    assert not (folder / BACKUP_DIR).exists()


def test_import_that_strands_a_violation_is_refused(folder, tmp_path, capsys):
    # the west arm of the first U version moves east: a record that names the zone falls out
    zones = read_zones(folder / "zones.geojson")
    first = zones[zones["version_id"] == "ghouta-u@2017-05-06"]
    moved = first.assign(geometry=[shapely.affinity.translate(first.geometry.iloc[0], xoff=0.04)])
    path = tmp_path / "moved.gpkg"
    moved[["zone_id", "valid_from", "geometry"]].assign(
        valid_from=[d.tz_convert("Asia/Damascus").date().isoformat() for d in moved["valid_from"]]
    ).to_file(path)
    before = _sha(folder / "zones.geojson")
    code, out, err = _run(capsys, "zones", "import", path, "--data", folder)
    assert code == 1
    assert "violations.csv:row 3, column zone_id: error:" in out
    assert "lies" in out and "outside zone 'ghouta-u'" in out
    assert "not saved" in err
    assert _sha(folder / "zones.geojson") == before


def test_usage_errors(folder, capsys):
    assert _run(capsys, "zones")[0] == 2
    with pytest.raises(SystemExit) as exit_:
        main(["zones", "export", "--format", "dxf", "-o", "x", "--data", str(folder)])
    assert exit_.value.code == 2
    assert "invalid choice: 'dxf'" in capsys.readouterr().err
    code, _, err = _run(
        capsys, "zones", "export", "--format", "gpkg", "-o", "x.gpkg", "--data", folder / "nope"
    )
    assert code == 2 and "no such data folder" in err


# --- import ----------------------------------------------------------------------------------


def test_import_raw_shapefile_zipped(folder, tmp_path, capsys):
    raw = needs_realdata() / "boundaries" / "raw_shapefile_ocha2016_adm1"
    archive = tmp_path / "syr_admin1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in raw.iterdir():
            zf.write(f, f.name)
    code, out, err = _run(
        capsys,
        "zones",
        "import",
        f"zip://{archive}",
        "--id-field",
        "PCODE",
        "--name-field",
        "NAME_EN",
        "--valid-from-field",
        "UPDATE_DAT",
        "--data",
        folder,
    )
    assert code == 0, err
    assert "14 feature(s): 14 new zone(s), 14 version(s) added, 0 replaced, 0 unchanged" in out
    zones = read_zones(folder / "zones.geojson").set_index("version_id")
    damascus = zones.loc["sy01@2016-09-05"]
    assert (damascus["name"], damascus["name_ar"], damascus["group"]) == (
        "Damascus",
        "دمشق",
        "syr-admin1",
    )
    assert validate_dataset(folder).report.ok
    assert read_log(folder)[-1]["summary"]["command"] == "zones import"


def test_import_geojson_with_crs_member_and_null_valid_to(folder, capsys):
    path = needs_realdata() / "boundaries" / "ocha2020_syr_admin1_v02_syrianzone.geojson"
    code, out, err = _run(
        capsys,
        "zones",
        "import",
        path,
        "--id-field",
        "ADM1_PCODE",
        "--name-field",
        "ADM1_EN",
        "--valid-from-field",
        "valid_on",
        "--data",
        folder,
    )
    assert code == 0, err
    zones = read_zones(folder / "zones.geojson")
    gov = zones[zones["zone_id"].str.startswith("sy")]
    assert len(gov) == 14 and gov["valid_to"].isna().all()
    assert set(gov["valid_from"].dt.tz_convert("Asia/Damascus").dt.date.astype(str)) == {
        "2020-12-17"
    }


def test_import_without_dates_is_refused(folder, capsys):
    path = needs_realdata() / "boundaries" / "ocha2015_syr_admin1_alahwa_with_crs_member.geojson"
    before = _sha(folder / "zones.geojson")
    code, out, err = _run(
        capsys,
        "zones",
        "import",
        path,
        "--id-field",
        "PCODE",
        "--name-field",
        "NAME_EN",
        "--data",
        folder,
    )
    assert code == 1
    assert "feature 0 (zone_id=sy07): error: no first day (valid_from)" in out
    assert "14 problems in the features; nothing was imported" in err
    assert _sha(folder / "zones.geojson") == before


# --- export and round trips ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["gpkg", "kml", "shp", "geojson"])
def test_export_then_import_changes_nothing(folder, tmp_path, capsys, fmt):
    out_file = tmp_path / f"zones.{fmt}"
    code, out, err = _run(
        capsys, "zones", "export", "--format", fmt, "-o", out_file, "--data", folder
    )
    assert code == 0, err
    assert "wrote 4 boundary versions of 3 zones" in out
    before = (folder / "zones.geojson").read_bytes()
    code, out, err = _run(capsys, "zones", "import", out_file, "--data", folder)
    assert code == 0, err
    assert "0 version(s) added, 0 replaced, 4 unchanged" in out
    assert "unchanged; nothing written" in out
    assert (folder / "zones.geojson").read_bytes() == before
    assert read_log(folder) == []


def test_edit_in_a_gis_and_import_back(folder, tmp_path, capsys):
    gpkg = tmp_path / "zones.gpkg"
    assert _run(capsys, "zones", "export", "--format", "gpkg", "-o", gpkg, "--data", folder)[0] == 0
    # what a curator does in QGIS: the holed zone's ring grows 0.01 degrees to the east
    layer = gpd.read_file(gpkg)
    i = layer.index[layer["version_id"] == "holed@2017-05-06"][0]
    geom = layer.geometry[i]
    geom = geom.geoms[0] if geom.geom_type == "MultiPolygon" else geom  # GeoPackage promotes
    shell = [(x + 0.01 if x > 36.79 else x, y) for x, y in geom.exterior.coords]
    layer.loc[i, "geometry"] = Polygon(shell, [h.coords for h in geom.interiors])
    layer.to_file(gpkg, layer="zones")
    old_copy = tmp_path / "old.geojson"
    shutil.copy(folder / "zones.geojson", old_copy)

    code, out, err = _run(capsys, "zones", "import", gpkg, "--data", folder)
    assert code == 0, err
    assert "1 replaced" in out

    code, out, err = _run(capsys, "zones", "diff", old_copy, folder / "zones.geojson", "--json")
    assert code == 0, err
    diff = json.loads(out)
    [changed] = diff["versions_changed"]
    assert changed["version_id"] == "holed@2017-05-06"
    assert changed["area_change_km2"] == pytest.approx(0.01 * 0.2 * 92.6 * 111.0, rel=0.02)
    assert changed["hausdorff_km"] == pytest.approx(0.93, rel=0.02)


# --- diff ------------------------------------------------------------------------------------


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


def test_diff_against_a_git_revision(tmp_path, capsys, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    shutil.copytree(EDIT_DATA, repo / "data")
    _git(repo, "init", "-q")
    _git(repo, "add", "data")
    _git(repo, "commit", "-q", "-m", "zones")
    outline = _polygon_file(tmp_path, box(36.60, 33.40, 36.80, 33.60))
    code, _, err = _run(
        capsys,
        "zones",
        "add-version",
        "holed",
        "--from",
        outline,
        "--valid-from",
        "2019-01-01",
        "--data",
        repo / "data",
    )
    assert code == 0, err
    _git(repo, "commit", "-q", "-am", "holed filled in 2019")
    monkeypatch.chdir(repo)

    code, out, err = _run(
        capsys, "zones", "diff", "git:HEAD~1:data/zones.geojson", "git:HEAD:data/zones.geojson"
    )
    assert code == 0, err
    assert "version added: holed@2019-01-01" in out
    assert "version changed: holed@2017-05-06: valid_to: '' -> '2019-01-01'" in out
    code, out, err = _run(
        capsys, "zones", "diff", "git:nope:data/zones.geojson", "data/zones.geojson"
    )
    assert code == 2 and "git cannot show it" in err


def test_diff_of_real_sub_districts(tmp_path, capsys):
    real = needs_realdata() / "boundaries" / "ocha2016_syr_admin3_simplified.geojson"
    folder = tmp_path / "a"
    shutil.copytree(EDIT_DATA, folder)
    code, _, err = _run(
        capsys,
        "zones",
        "import",
        real,
        "--id-field",
        "PCODE",
        "--name-field",
        "NAME_EN",
        "--valid-from-field",
        "UPDATE_DAT",
        "--data",
        folder,
    )
    assert code == 0, err
    other = tmp_path / "b"
    shutil.copytree(folder, other, ignore=shutil.ignore_patterns(BACKUP_DIR))
    zones = read_zones(other / "zones.geojson")
    duma = zones.index[zones["zone_id"] == "sy030200"][0]
    zones.loc[duma, "geometry"] = shapely.buffer(zones.geometry[duma], 0.002)

    save_zones(other / "zones.geojson", zones, expected=file_hash(other / "zones.geojson"))
    code, out, err = _run(
        capsys, "zones", "diff", folder / "zones.geojson", other / "zones.geojson"
    )
    assert code == 0, err
    [line] = [ln for ln in out.splitlines() if ln.startswith("version changed:")]
    assert line.startswith("version changed: sy030200@2016-09-05: area ")
    assert "Hausdorff distance 0.2" in line  # 0.002 degrees: 0.19 to 0.22 km


# --- pre-commit hooks ------------------------------------------------------------------------


def _hooks():
    """The hooks of .pre-commit-hooks.yaml (a flat list of simple mappings; no YAML library)."""
    hooks, current = [], None
    for line in (ROOT / ".pre-commit-hooks.yaml").read_text().splitlines():
        if line.startswith("- id:"):
            current = {"id": line.split(":", 1)[1].strip()}
            hooks.append(current)
        elif current is not None and line.startswith("  ") and ":" in line:
            key, value = line.strip().split(":", 1)
            value = value.strip()
            current[key] = value[1:-1] if value[:1] == "'" == value[-1:] else value
    return {h["id"]: h for h in hooks}


def _run_hook(capsys, hook, files):
    """Run a hook as pre-commit does: its entry, then the matching files unless told not to."""
    argv = hook["entry"].split()
    assert argv[0] == "dezmap" and hook["language"] == "python"
    chosen = [f for f in files if re.search(hook["files"], f)]
    if hook.get("pass_filenames") != "false":
        if not chosen:
            return None
        argv += chosen
    elif not chosen:
        return None
    return _run(capsys, *argv[1:])[0]


def test_pre_commit_hooks(tmp_path, capsys, monkeypatch):
    hooks = _hooks()
    assert set(hooks) == {"dezmap-validate", "dezmap-validate-data", "dezmap-fmt"}
    repo = tmp_path / "repo"
    shutil.copytree(EDIT_DATA, repo / "data")
    (repo / "README.md").write_text("notes")
    (repo / "other.csv").write_text("a,b\n1,2\n")
    monkeypatch.chdir(repo)
    monkeypatch.delenv("DEZMAP_DATA", raising=False)
    staged = [
        "README.md",
        "other.csv",
        "data/zones.geojson",
        "data/agreements.csv",
        "data/violations.csv",
    ]
    assert re.search(hooks["dezmap-validate"]["files"], "other.csv") is None
    for hook in hooks.values():
        assert _run_hook(capsys, hook, staged) == 0, hook["id"]
    # a hand edit that is valid but not canonical: only the format hook objects
    zones = repo / "data" / "zones.geojson"
    zones.write_text(json.dumps(json.loads(zones.read_text()), indent=4, ensure_ascii=False))
    assert _run_hook(capsys, hooks["dezmap-fmt"], staged) == 1
    assert _run_hook(capsys, hooks["dezmap-validate"], staged) == 0
    # a broken value: the validators object, naming the file
    zones.write_text(zones.read_text().replace('"approximate"', '"roughly"', 1))
    argv = hooks["dezmap-validate"]["entry"].split()[1:] + ["data/zones.geojson"]
    code, out, _ = _run(capsys, *argv)
    assert code == 1 and "data/zones.geojson:feature 0 (zone_id=ghouta-u)" in out
    assert _run_hook(capsys, hooks["dezmap-validate-data"], staged) == 1


# --- documentation ---------------------------------------------------------------------------


def _zones_actions():
    import argparse

    from geo.cli import build_parser

    parser = build_parser()
    top = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    zones = top.choices["zones"]
    sub = next(a for a in zones._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


def test_every_zones_action_and_option_is_documented():
    guide = (ROOT / "docs" / "editing.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    actions = _zones_actions()
    assert set(actions) == {"add-version", "import", "export", "diff"}
    for name, parser in actions.items():
        assert f"`dezmap zones {name} " in readme, name
        assert f"`dezmap zones {name} " in guide, name
        for action in parser._actions:
            for option in action.option_strings:
                if option in ("-h", "--help"):
                    continue
                assert option in guide, f"{name} {option} is not in docs/editing.md"
            for choice in action.choices or ():
                assert choice in guide, f"{name}: choice {choice} is not in docs/editing.md"
