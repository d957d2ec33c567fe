"""The public GeoJSON test corpora and the real OCHA boundaries, through `dezmap validate`.

Decision (documented in docs/validation.md): a valid GeoJSON file that holds polygons is
accepted (warnings allowed); one that holds no polygon is refused with a message saying that
zones must be polygons. Out-of-range coordinates are refused even where geojsonhint accepts
them (issue82.geojson), because RFC 7946 positions are WGS84 degrees.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from geo.cli import main
from tests.conftest import REALDATA

FIXTURES = REALDATA / "fixtures"
LOCATED = re.compile(
    r"^(?P<path>[^:]+):(?P<where>(top level|feature|geometry|line)[^:]*): "
    r"(?P<severity>error|warning): (?P<message>.+)$"
)


def corpus(*patterns: str) -> list[Path]:
    files: list[Path] = []
    for pattern in patterns:
        files.extend(sorted(FIXTURES.glob(pattern)))
    return files


def ids(paths):
    return ["/".join(p.parts[-3:]) for p in paths]


BAD = corpus(
    "geojsonhint/bad/*.geojson",
    "turf-boolean-valid/false/*/*.geojson",
    "check-geojson/bad/*.geojson",
)
GOOD = corpus("geojsonhint/good/*.geojson", "turf-boolean-valid/true/*/*.geojson")
OUT_OF_RANGE_BUT_GOOD_FOR_GEOJSONHINT = {"issue82.geojson"}


def run(capsys, *args):
    code = main(["validate", *map(str, args)])
    out = capsys.readouterr().out.strip().split("\n")
    return code, out[:-1], out[-1]


def message_only(path: Path) -> bool:
    """True when geojsonhint's expected result holds only message-level notes (or nothing)."""
    result = path.with_suffix(".result")
    if not result.exists():
        return False
    expected = json.loads(result.read_text())
    return all(item.get("level") == "message" for item in expected)


@pytest.fixture(autouse=True)
def _needs_realdata():
    if not FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {FIXTURES} (set DEZMAP_REALDATA)")


def test_corpora_are_present():
    assert len(BAD) >= 60 and len(GOOD) >= 30


@pytest.mark.parametrize("path", BAD, ids=ids(BAD))
def test_invalid_fixture_is_rejected_with_a_located_message(path, capsys):
    code, lines, summary = run(capsys, path)
    assert lines, "no problem reported"
    for line in lines:
        assert LOCATED.match(line), f"not located: {line}"
        assert line.startswith(f"{path}:")
    severities = {LOCATED.match(line)["severity"] for line in lines}
    if message_only(path) and "Polygon" in path.read_text():
        # geojsonhint only notes these (the right-hand rule): a located warning is right
        assert "warning" in severities
    elif message_only(path):
        # a message-level note on a non-polygon (too many numbers in a Point): refused anyway
        assert code == 1 and "error" in severities
    else:
        assert code == 1, summary
        assert any(LOCATED.match(line)["severity"] == "error" for line in lines)


@pytest.mark.parametrize("path", GOOD, ids=ids(GOOD))
def test_valid_fixture_is_accepted_or_refused_as_not_polygons(path, capsys):
    code, lines, summary = run(capsys, path)
    errors = [LOCATED.match(line) for line in lines if ": error: " in line]
    if path.name in OUT_OF_RANGE_BUT_GOOD_FOR_GEOJSONHINT:
        assert code == 1 and all("out of range" in e["message"] for e in errors)
    elif errors:
        assert code == 1
        assert all("zones must be polygons" in e["message"] for e in errors), lines
    else:
        assert code == 0, summary


def test_winding_fixture_warns_with_right_hand_rule():
    code = main(["validate", str(FIXTURES / "geojsonhint/bad/polygon_winding_order.geojson")])
    assert code == 0


BOUNDARIES = REALDATA / "boundaries"


@pytest.mark.slow
@pytest.mark.parametrize(
    "name,winding,crs",
    [
        ("ocha2016_syr_admin0.geojson", 1, 0),
        ("ocha2016_syr_admin1.geojson", 14, 0),
        ("ocha2016_syr_admin2.geojson", 62, 0),
        ("ocha2016_syr_admin3.geojson", 272, 0),
        ("ocha2016_syr_admin3_simplified.geojson", 0, 0),
        ("ocha2015_syr_admin1_alahwa_with_crs_member.geojson", 14, 1),
        ("ocha2020_syr_admin1_v02_syrianzone.geojson", 0, 1),
        ("naturalearth_110m_admin0_syria.geojson", 1, 0),
    ],
)
def test_ocha_boundaries_load_with_precise_warnings(name, winding, crs, capsys):
    path = BOUNDARIES / name
    code, lines, summary = run(capsys, path)
    assert code == 0, lines[:5]
    parsed = [LOCATED.match(line) for line in lines]
    assert all(parsed), lines[:5]
    assert all(p["severity"] == "warning" for p in parsed)
    winding_lines = [p for p in parsed if "RFC 7946 wants counter-clockwise" in p["message"]]
    crs_lines = [p for p in parsed if "legacy 'crs' member" in p["message"]]
    assert len(winding_lines) == winding
    assert len(crs_lines) == crs
    assert all(re.match(r"feature \d+, line \d+", p["where"]) for p in winding_lines)
    if crs:
        assert re.match(r"top level, line \d+", crs_lines[0]["where"])
        assert "CRS84" in crs_lines[0]["message"]
