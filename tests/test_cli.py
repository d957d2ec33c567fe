"""The `dezmap` command line, run as users run it: a real process on real files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from geo import schema
from tests.conftest import DATA, REALDATA, ROOT, csv_text, write_zones, zone_feature

DEZMAP = Path(sys.executable).parent / "dezmap"
LINE = re.compile(r"^[^:]+:[^:]+: (error|warning): .+$")


def dezmap(*args: str, cwd: Path = ROOT, module: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "geo", *args] if module else [str(DEZMAP), *args]
    env = {k: v for k, v in os.environ.items() if k not in ("DEZMAP_DATA", "DEZMAP_DEBUG")}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def test_validate_bundled_data_exits_0_with_counts():
    result = dezmap("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().split("\n")[-1]
    assert re.match(
        r"checked data folder data \(\d+ zones, \d+ boundary versions, \d+ "
        r"agreements, \d+ violations\): 0 errors, \d+ warnings? in [\d.]+ s$",
        summary,
    )


def test_python_dash_m_geo_is_the_same_command():
    assert dezmap("validate", module=True).returncode == 0


def test_validate_data_folder_option(data_copy):
    (data_copy / "violations.csv").write_text(
        (data_copy / "violations.csv")
        .read_text(encoding="utf-8")
        .replace(",day,", ",fortnight,", 1),
        encoding="utf-8",
    )
    result = dezmap("validate", "--data", str(data_copy))
    assert result.returncode == 1
    (line,) = [x for x in result.stdout.split("\n") if "fortnight" in x]
    assert re.match(
        rf"^{re.escape(str(data_copy))}/violations\.csv:row \d+, column "
        r"date_precision: error: 'fortnight' is not one of",
        line,
    )
    assert result.stdout.strip().split("\n")[-1].startswith(f"checked data folder {data_copy}")


def test_errors_exit_1_and_every_line_is_located(tmp_path):
    bad = write_zones(
        tmp_path / "zones.geojson",
        zone_feature(valid_from="2017-02-30"),
        zone_feature(zone_id="Bad Id", valid_from="2018-01-01"),
    )
    result = dezmap("validate", str(bad))
    assert result.returncode == 1
    lines = result.stdout.strip().split("\n")
    assert all(LINE.match(line) for line in lines[:-1])
    assert (
        f"{bad}:feature 0 (zone_id=eastern-ghouta), line 4: error: valid_from: '2017-02-30' is not a real date"
        in result.stdout
    )
    assert lines[-1].startswith("checked 1 file: 2 errors, 0 warnings")
    assert result.stderr == ""


def test_warnings_alone_exit_0(tmp_path):
    path = write_zones(tmp_path / "zones.geojson", zone_feature(name_ar=""))
    result = dezmap("validate", str(path))
    assert result.returncode == 0 and ": warning: name_ar is empty" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "--nope"),
        ("validate", "no/such/file.geojson"),
        ("frobnicate",),
        (),
        ("validate", "--data", "no/such/dir"),
    ],
)
def test_usage_errors_exit_2(args):
    result = dezmap(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_csv_with_unknown_zone_checked_against_data_folder(tmp_path):
    rows = [
        {
            "agreement_id": "x-1",
            "title": "t",
            "kind": "truce",
            "signed": "2017-01-01",
            "effective_from": "2017-01-01",
            "zone_ids": "atlantis",
            "parties": "a",
            "terms": "t",
            "outcome": "held",
            "source": "PA-X 1",
        }
    ]
    path = tmp_path / "agreements.csv"
    path.write_text(csv_text(list(schema.AGREEMENT_COLUMNS), rows))
    result = dezmap("validate", "--data", str(DATA), str(path))
    assert result.returncode == 1
    assert f"{path}:row 2, column zone_ids: error: unknown zone 'atlantis'" in result.stdout


def broken_inputs(tmp: Path) -> list[Path]:
    files = {
        "empty.geojson": b"",
        "binary.geojson": bytes(range(256)) * 4,
        "latin1.csv": "agreement_id,title\nx,caf\xe9\n".encode("latin-1"),
        "deep.geojson": b"[" * 50_000 + b"]" * 50_000,
        "huge-field.csv": b"violation_id,occurred\n" + b'"' + b"x" * 300_000 + b'",1\n',
        "only-header.csv": b"violation_id\n",
        "nan.geojson": b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"zone_id":"a"},"geometry":{"type":"Polygon","coordinates":[[[NaN,1],[2,2],[3,1],[NaN,1]]]}}]}',
        "bool-coords.geojson": b'{"type":"Polygon","coordinates":[[[true,1],[2,2],[3,1],[true,1]]]}',
        "unterminated.csv": b'agreement_id,title\n"x,unterminated\n',
        "weird.json": b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"zone_id":[1]},"geometry":{"type":"MultiPolygon","coordinates":[[[]]]}}]}',
    }
    paths = []
    for name, data in files.items():
        path = tmp / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_no_input_produces_a_traceback(tmp_path):
    inputs = broken_inputs(tmp_path)
    if REALDATA.is_dir():
        inputs += sorted((REALDATA / "fixtures").rglob("*.geojson"))
    result = dezmap("validate", *map(str, inputs))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for path in inputs[:10]:
        assert f"{path}:" in result.stdout or f"{path}: error" in result.stdout, path


# --- status, metrics, import ------------------------------------------------------------------


def test_status_json_shows_cairo_in_force_in_eastern_ghouta():
    import json

    result = dezmap("status", "--date", "2017-07-23", "--json")
    assert result.returncode == 0, result.stderr
    zones = {z["zone_id"]: z for z in json.loads(result.stdout)}
    ghouta = zones["eastern-ghouta"]
    assert {"zone_id", "name", "status", "agreements", "violations"} <= set(ghouta)
    assert "cairo-eastern-ghouta-2017" in ghouta["agreements"]
    assert ghouta["status"] in ("holding", "violated") and ghouta["name"] == "Eastern Ghouta"
    assert "daraa-al-balad" not in zones  # not a zone in 2017


def test_status_text_and_window_and_bad_date():
    result = dezmap("status", "--date", "2021-08-15T20:00", "--window-days", "2")
    assert result.returncode == 0
    assert "Status at 15 August 2021, 20:00 Damascus time (window 2 days" in result.stdout
    assert re.search(r"daraa-al-balad\s+violated", result.stdout)
    bad = dezmap("status", "--date", "15/08/2021")
    assert bad.returncode == 2 and "neither a date" in bad.stderr


def test_metrics_shows_daraa_truce_violated_within_hours():
    import json

    text = dezmap("metrics", "--agreement", "daraa-al-balad-truce-2021-08")
    assert text.returncode == 0
    assert (
        "first violation v-20210814-tareeq-al-sad (bundled): 0 to 24 hours after entry into force"
        in text.stdout
    )
    rows = json.loads(dezmap("metrics", "--json").stdout, parse_constant=lambda c: 1 / 0)
    assert any(r["effective_to"] is None for r in rows)  # open-ended: null, not NaN
    truce = next(r for r in rows if r["agreement_id"] == "daraa-al-balad-truce-2021-08")
    assert truce["hours_to_first_violation"] == 0 and truce["hours_to_first_violation_max"] <= 24
    assert dezmap("metrics", "--agreement", "nope").returncode == 2


def test_metrics_zone_series_csv():
    result = dezmap("metrics", "--zone", "daraa-al-balad")
    lines = result.stdout.strip().split("\n")
    assert lines[0] == "date,incidents,imprecise,status,agreements,version_id"
    # the truce evening (Tareeq al-Sad); the crossing was barred the next day (issue 9)
    assert any(line.startswith("2021-08-14,1,0,violated,1,") for line in lines)
    assert any(line.startswith("2021-08-15,1,0,violated,1,") for line in lines)
    assert dezmap("metrics", "--zone", "atlantis").returncode == 2


def test_import_then_status_counts_and_names_data_sets(data_copy):
    needs = REALDATA / "events" / "ucdp_ged_syria_SAMPLE_zone_districts.csv"
    if not needs.exists():
        pytest.skip("shared real data absent")
    result = dezmap("import", "ucdp", str(needs), "--data", str(data_copy), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "imported 1334 of 1334 rows" in result.stdout
    out = data_copy / "imported" / "ucdp-ged-syria-sample-zone-districts.parquet"
    assert out.is_file()
    both = dezmap("status", "--date", "2017-08-20", "--data", str(data_copy), "--json")
    only = dezmap(
        "status",
        "--date",
        "2017-08-20",
        "--data",
        str(data_copy),
        "--json",
        "--datasets",
        "bundled",
    )
    import json

    count = {z["zone_id"]: z["violations"] for z in json.loads(both.stdout)}
    bundled = {z["zone_id"]: z["violations"] for z in json.loads(only.stdout)}
    assert count["eastern-ghouta"] > bundled["eastern-ghouta"]
    unknown = dezmap(
        "status", "--date", "2017-08-20", "--data", str(data_copy), "--datasets", "acled"
    )
    assert unknown.returncode == 2 and "the data sets are: bundled, ucdp-ged" in unknown.stderr


def test_import_errors_exit_1_and_write_nothing(tmp_path, data_copy):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = dezmap("import", "acled", str(empty), "--data", str(data_copy))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert not (data_copy / "imported").exists()
    assert dezmap("import", "gdelt", str(empty)).returncode == 2


def test_output_piped_to_a_closed_reader_is_not_an_error():
    result = subprocess.run(
        f"{DEZMAP} metrics | head -1", shell=True, capture_output=True, text=True, cwd=ROOT
    )
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
