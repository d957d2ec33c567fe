"""Canonical formatting of zone files (geo.fmt and `dezmap fmt`)."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import shapely
from shapely.geometry import shape

from geo.cli import main
from geo.errors import Report, ZoneFileError
from geo.fmt import fmt_file, format_text
from geo.validate import check_zones_text
from tests.conftest import DATA, DUMA_SQUARE, REALDATA, write_zones, zone_feature


def test_canonical_layout_is_one_position_per_line_with_ordered_keys():
    feature = zone_feature()
    feature = {
        "geometry": feature["geometry"],
        "properties": dict(reversed(feature["properties"].items())),
        "type": "Feature",
    }
    text = format_text(json.dumps({"features": [feature], "type": "FeatureCollection"}))
    lines = text.split("\n")
    assert lines[0] == "{" and lines[1] == '  "type": "FeatureCollection",'
    assert "            [36.37, 33.55]," in lines
    keys = [line.split('"')[1] for line in lines if line.startswith('        "')]
    assert keys[:9] == [
        "zone_id",
        "name",
        "name_ar",
        "group",
        "valid_from",
        "valid_to",
        "accuracy",
        "boundary_source",
        "notes",
    ]
    assert "الغوطة الشرقية" in text  # no \\u escapes
    assert text.endswith("}\n")


def test_rounds_to_six_decimals():
    ring = [[36.1234567891, 33.5], [36.5, 33.5], [36.5, 33.7], [36.1234567891, 33.5]]
    text = format_text(
        json.dumps({"type": "FeatureCollection", "features": [zone_feature(ring=ring)]})
    )
    assert "[36.123457, 33.5]" in text and "36.1234567" not in text


def test_rewinds_exterior_and_holes_to_rfc7946():
    hole = [[36.39, 33.56], [36.41, 33.56], [36.41, 33.58], [36.39, 33.58], [36.39, 33.56]]
    feature = zone_feature()
    feature["geometry"]["coordinates"] = [DUMA_SQUARE[::-1], hole]
    before = Report()
    check_zones_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), "z", before)
    assert "winding" in before.codes()
    text = format_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    after = Report()
    check_zones_text(text, "z", after)
    assert "winding" not in after.codes() and after.ok
    rings = json.loads(text)["features"][0]["geometry"]["coordinates"]
    assert shapely.LinearRing(rings[0]).is_ccw and not shapely.LinearRing(rings[1]).is_ccw


def test_drops_wgs84_crs_member_and_refuses_other_crs():
    doc = {
        "type": "FeatureCollection",
        "features": [zone_feature()],
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
    }
    assert '"crs"' not in format_text(json.dumps(doc))
    doc["crs"]["properties"]["name"] = "EPSG:3857"
    with pytest.raises(ZoneFileError, match="does not reproject"):
        format_text(json.dumps(doc))


def test_keeps_unknown_members_and_properties():
    feature = zone_feature(fid=7)
    feature["id"] = "eg-1"
    doc = {"type": "FeatureCollection", "name": "zones", "x-extra": True, "features": [feature]}
    out = json.loads(format_text(json.dumps(doc)))
    assert out["name"] == "zones" and out["x-extra"] is True
    assert out["features"][0]["id"] == "eg-1" and out["features"][0]["properties"]["fid"] == 7


def test_refuses_invalid_json_with_the_location():
    with pytest.raises(ZoneFileError) as info:
        format_text('{"type": "FeatureCollection",\n "features": [}', "z.geojson")
    assert info.value.problems[0].where.startswith("line 2")


def test_geometry_survives_formatting():
    doc = {"type": "FeatureCollection", "features": [zone_feature()]}
    out = json.loads(format_text(json.dumps(doc)))
    before = shape(doc["features"][0]["geometry"])
    after = shape(out["features"][0]["geometry"])
    assert before.equals_exact(after, 1e-6)


@pytest.mark.parametrize(
    "source",
    [
        DATA / "zones.geojson",
        REALDATA / "boundaries" / "ocha2016_syr_admin1_simplified.geojson",
        REALDATA / "boundaries" / "ocha2015_syr_admin1_alahwa_with_crs_member.geojson",
    ],
)
def test_formatting_is_idempotent(source):
    if not source.exists():
        pytest.skip(f"{source} not present")
    once = format_text(source.read_text(encoding="utf-8"))
    assert format_text(once) == once


def test_bundled_zones_are_canonical():
    text = (DATA / "zones.geojson").read_text(encoding="utf-8")
    assert format_text(text) == text, "run `dezmap fmt` on data/zones.geojson"


def test_cli_check_reports_and_writes_nothing(tmp_path, capsys):
    path = write_zones(tmp_path / "zones.geojson", zone_feature(ring=DUMA_SQUARE[::-1]))
    before = path.read_bytes()
    assert main(["fmt", "--check", str(path)]) == 1
    assert f"would reformat {path}" in capsys.readouterr().out
    assert path.read_bytes() == before


def test_cli_formats_in_place_then_check_passes(tmp_path, capsys):
    path = write_zones(tmp_path / "zones.geojson", zone_feature(ring=DUMA_SQUARE[::-1]))
    assert main(["fmt", str(path)]) == 0
    assert main(["fmt", "--check", str(path)]) == 0
    assert "1 file already canonical" in capsys.readouterr().out


def test_cli_fmt_on_broken_file_exits_1_and_leaves_it(tmp_path, capsys):
    path = tmp_path / "zones.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [')
    assert main(["fmt", str(path)]) == 1
    assert "not valid JSON" in capsys.readouterr().out
    assert path.read_text() == '{"type": "FeatureCollection", "features": ['


def test_failed_write_leaves_the_original_whole(tmp_path, monkeypatch):
    path = write_zones(tmp_path / "zones.geojson", zone_feature(ring=DUMA_SQUARE[::-1]))
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        fmt_file(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["zones.geojson"]


def test_keeps_file_mode(tmp_path):
    path = write_zones(tmp_path / "zones.geojson", zone_feature(ring=DUMA_SQUARE[::-1]))
    path.chmod(0o640)
    fmt_file(path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_default_file_is_the_data_folder_zones(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    monkeypatch.chdir(tmp_path)
    assert main(["fmt", "--check"]) == 0


# --- fmt writes only what validates ------------------------------------------------------------


def test_an_empty_file_is_refused_not_rewritten_to_null(tmp_path, capsys):
    path = tmp_path / "zones.geojson"
    path.write_text("")
    assert main(["fmt", str(path)]) == 1
    assert "the file is empty" in capsys.readouterr().out
    assert path.read_text() == ""


def test_an_overflowing_coordinate_is_refused_not_written_as_null(tmp_path, capsys):
    path = write_zones(tmp_path / "zones.geojson", zone_feature())
    text = path.read_text().replace("36.37", "1e400", 1)
    path.write_text(text)
    assert main(["fmt", str(path)]) == 1
    out = capsys.readouterr().out
    assert "1e400" in out and "line" in out
    assert path.read_text() == text and "null" not in path.read_text()


def test_a_coordinate_of_5000_digits_is_refused_with_its_place(tmp_path, capsys):
    path = write_zones(tmp_path / "zones.geojson", zone_feature())
    text = path.read_text().replace("36.37", "3" + "0" * 5000, 1)
    path.write_text(text)
    assert main(["fmt", "--check", str(path)]) == 1
    out = capsys.readouterr()
    assert "5001 digits" in out.out and "internal error" not in out.err
    assert path.read_text() == text


def test_a_lone_surrogate_is_refused_with_its_place_not_a_crash(tmp_path, capsys):
    path = write_zones(tmp_path / "zones.geojson", zone_feature(notes="x"))
    text = path.read_text().replace('"notes": "x"', '"notes": "a\\ud800b"')
    path.write_text(text)
    assert main(["fmt", str(path)]) == 1
    out = capsys.readouterr()
    assert "internal error" not in out.err
    assert "notes" in out.out and "\\ud800" in out.out and "feature 0" in out.out
    assert path.read_text() == text


def test_a_file_that_does_not_validate_is_not_written(tmp_path, capsys):
    bowtie = [[36.37, 33.55], [36.43, 33.60], [36.43, 33.55], [36.37, 33.60], [36.37, 33.55]]
    path = write_zones(tmp_path / "zones.geojson", zone_feature(ring=bowtie))
    before = path.read_bytes()
    assert main(["fmt", str(path)]) == 1
    out = capsys.readouterr()
    assert "Self-intersection" in out.out and "dezmap validate" in out.err
    assert path.read_bytes() == before


def test_formatting_that_would_make_an_outline_invalid_is_refused(tmp_path, capsys):
    # a sliver thinner than the 6-decimal grid: valid as written, it collapses when rounded
    sliver = [[36.37, 33.55], [36.43, 33.55], [36.40, 33.5500001], [36.37, 33.55]]
    path = write_zones(tmp_path / "zones.geojson", zone_feature(ring=sliver))
    before = path.read_bytes()
    assert check_zones_text(before.decode(), "zones.geojson", report := Report()).versions
    assert report.ok
    with pytest.raises(ZoneFileError, match="formatting would make") as info:
        fmt_file(path)
    assert any(p.code == "invalid-geometry" for p in info.value.problems)
    assert path.read_bytes() == before


def test_warnings_do_not_stop_formatting(tmp_path):
    path = write_zones(tmp_path / "zones.geojson", zone_feature(ring=DUMA_SQUARE[::-1], name_ar=""))
    assert fmt_file(path).changed


def test_a_byte_order_mark_is_dropped_and_other_encodings_are_located(tmp_path, capsys):
    path = write_zones(tmp_path / "zones.geojson", zone_feature())
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert fmt_file(path).changed and not path.read_bytes().startswith(b"\xef\xbb\xbf")
    path.write_bytes(path.read_bytes().replace(b"Eastern", "Caf\xe9".encode("cp1252")))
    assert main(["fmt", str(path)]) == 1
    err = capsys.readouterr().err
    assert "byte 0xe9 at line" in err and "'é' in Windows-1252" in err
