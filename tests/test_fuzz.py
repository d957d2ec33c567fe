"""One contract, held on hostile data: whatever `dezmap validate` accepts, every command handles.

A copy of the bundled data folder is changed (a hostile value in a CSV cell or a zone property,
a moved or absurd coordinate, a dropped or duplicated record, a broken date, stray bytes) and
then either

- ``validate`` rejects it, with every error placed (file and, inside a file, where) and
  printable, and the commands that load data refuse it as a data error (exit 1), or
- ``validate`` accepts it, and ``status``, ``metrics``, ``fmt --check`` and ``snapshot`` (to a
  small PNG) all succeed on it.

Never an "internal error" (exit 3) or a traceback. The failures the hardening issue found are
kept below as fixed cases; the property-based test looks for new ones with bounded examples
(see ``FUZZ_SETTINGS``) so that it runs in CI in well under a minute.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import random
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.cli import EXIT_DATA, EXIT_OK, main
from geo.validate import validate_dataset
from tests.conftest import DATA

FILES = ("zones.geojson", "agreements.csv", "violations.csv")
#: Problems about a whole file may have no place inside it; every other error must have one.
WHOLE_FILE_CODES = {"unreadable", "missing-file", "encoding", "empty-file", "json-syntax"}
#: Bounded so that the test runs in CI in well under a minute (about 20 s on 2 cores).
FUZZ_SETTINGS = settings(
    # DEZMAP_FUZZ_EXAMPLES=1000 runs a longer campaign by hand
    max_examples=int(os.environ.get("DEZMAP_FUZZ_EXAMPLES", "40")),
    deadline=None,  # the first example pays for imports; the budget is the example count
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- running the commands ------------------------------------------------------------------------


def run(*argv: str) -> tuple[int, str, str]:
    """Run the command line in this process; return the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as exc:  # argparse refusing an option
            status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


def check_contract(folder: Path) -> str:
    """Hold the data folder to the contract; return ``"rejected"`` or ``"accepted"``."""
    report = validate_dataset(folder).report
    names = {str(folder / name) for name in FILES}
    if not report.ok:
        for problem in report.errors:
            assert problem.path in names, problem
            assert problem.where or problem.code in WHOLE_FILE_CODES, problem
            assert problem.message.strip(), problem
            str(problem).encode("utf-8")  # printable: no lone surrogate reaches the terminal
        status, out, err = run("status", "--data", str(folder), "--date", "2017-07-23")
        assert status == EXIT_DATA and "internal error" not in err, (out, err)
        return "rejected"
    with tempfile.TemporaryDirectory() as scratch:
        snapshot = Path(scratch) / "view.png"
        commands = [
            ("status", "--data", str(folder), "--date", "2017-07-23T12:00", "--json"),
            ("status", "--data", str(folder), "--date", "2021-08-20"),
            ("metrics", "--data", str(folder), "--json"),
            ("fmt", "--check", str(folder / "zones.geojson")),
            (
                "snapshot",
                "--data",
                str(folder),
                "--date",
                "2017-07-23",
                "--size",
                "320x240px",
                "--dpi",
                "50",
                "-o",
                str(snapshot),
            ),
        ]
        for argv in commands:
            status, out, err = run(*argv)
            allowed = (EXIT_OK, EXIT_DATA) if argv[0] == "fmt" else (EXIT_OK,)
            said = f"`dezmap {' '.join(argv)}` exited {status}: {err.strip()[-500:]}"
            assert status in allowed and "internal error" not in err, said
            if argv[0] == "fmt" and status == EXIT_DATA:
                assert "would reformat" in out, (out, err)  # changed, never refused
        assert snapshot.read_bytes().startswith(b"\x89PNG")
    return "accepted"


# --- changing a data folder ----------------------------------------------------------------------


def copy_data(target: Path) -> Path:
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("imported", "README.md", ".*"))
    return target


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def set_cell(name: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """Put ``value`` in a cell (``row`` counts data rows from 0, modulo their number)."""

    def change(folder: Path) -> None:
        path = folder / name
        rows = read_rows(path)
        rows[1 + row % (len(rows) - 1)][rows[0].index(column)] = value
        write_rows(path, rows)

    return change


def raw_json(value: object) -> str:
    """JSON for a value; a string of the form ``RAW:...`` is written as the text after it."""
    if isinstance(value, str) and value.startswith("RAW:"):
        return value[4:]
    return json.dumps(value)  # lone surrogates become \\ud800 escapes, as an editor may write


def edit_zones(edit: Callable[[dict, Callable[[object], object]], None]) -> Callable[[Path], None]:
    """Change the zones document; values ``RAW:text`` are written as raw JSON text."""

    def change(folder: Path) -> None:
        path = folder / "zones.geojson"
        doc = json.loads(path.read_text(encoding="utf-8"))
        raws: dict[str, str] = {}

        def mark(value: object) -> object:
            if isinstance(value, str) and value.startswith("RAW:"):
                key = f"@@raw{len(raws)}@@"
                raws[key] = value[4:]
                return key
            return value

        edit(doc, mark)
        text = json.dumps(doc, indent=1)
        for key, literal in raws.items():
            text = text.replace(json.dumps(key), literal)
        path.write_text(text, encoding="utf-8")

    return change


def zone_property(feature: int, name: str, value: object) -> Callable[[Path], None]:
    def edit(doc: dict, mark: Callable[[object], object]) -> None:
        features = doc["features"]
        props = features[feature % len(features)]["properties"]
        if value is DELETE:
            props.pop(name, None)
        else:
            props[name] = mark(value)

    return edit_zones(edit)


def zone_coordinate(feature: int, vertex: int, axis: int, value: object) -> Callable[[Path], None]:
    def edit(doc: dict, mark: Callable[[object], object]) -> None:
        features = doc["features"]
        geometry = features[feature % len(features)]["geometry"]
        coords = geometry["coordinates"]
        ring = coords[0] if geometry["type"] == "Polygon" else coords[0][0]
        position = ring[vertex % len(ring)]
        if isinstance(value, float) and abs(value) < 1:  # a small move keeps a valid outline
            position[axis % 2] = round(position[axis % 2] + value, 6)
            if vertex % len(ring) == 0:
                ring[-1] = list(position)
        else:
            position[axis % 2] = mark(value)

    return edit_zones(edit)


def zone_structure(kind: str, feature: int, seed: int) -> Callable[[Path], None]:
    def edit(doc: dict, mark: Callable[[object], object]) -> None:
        features = doc["features"]
        i = feature % len(features)
        target = features[i]
        rng = random.Random(seed)
        if kind == "drop-feature":
            del features[i]
        elif kind == "duplicate-feature":
            features.append(json.loads(json.dumps(target)))
        elif kind == "drop-geometry":
            target["geometry"] = None
        elif kind == "bbox":
            target["bbox"] = [rng.uniform(30, 45) for _ in range(4)]
        elif kind == "reverse-ring":
            coords = target["geometry"]["coordinates"]
            ring = coords[0] if target["geometry"]["type"] == "Polygon" else coords[0][0]
            ring.reverse()
        elif kind == "drop-vertex":
            coords = target["geometry"]["coordinates"]
            ring = coords[0] if target["geometry"]["type"] == "Polygon" else coords[0][0]
            if len(ring) > 4:
                del ring[1 + rng.randrange(len(ring) - 2)]
        elif kind == "extra-dimensions":
            coords = target["geometry"]["coordinates"]
            ring = coords[0] if target["geometry"]["type"] == "Polygon" else coords[0][0]
            for position in ring:
                position.extend([0.0, 1.5][: 1 + seed % 2])
        elif kind == "crs":
            doc["crs"] = {"type": "name", "properties": {"name": "EPSG:4326"}}

    return edit_zones(edit)


def csv_structure(name: str, kind: str, row: int) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        path = folder / name
        rows = read_rows(path)
        i = 1 + row % (len(rows) - 1)
        if kind == "drop-row":
            del rows[i]
        elif kind == "duplicate-row":
            rows.append(list(rows[i]))
        elif kind == "short-row":
            rows[i] = rows[i][:-1]
        elif kind == "swap-columns":
            header = rows[0]
            a, b = (header.index("lat"), header.index("lon")) if "lat" in header else (3, 4)
            rows[i][a], rows[i][b] = rows[i][b], rows[i][a]
        write_rows(path, rows)

    return change


def raw_bytes(name: str, offset: int, junk: bytes) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        path = folder / name
        data = path.read_bytes()
        at = offset % (len(data) + 1)
        path.write_bytes(data[:at] + junk + data[at:])

    return change


DELETE = object()

# --- hostile values --------------------------------------------------------------------------------

HOSTILE_TEXT = [
    "",
    " ",
    "0001-01-01",
    "9999-12-31",
    "9999-12-31T23:00-12:00",
    "1900-01-01",
    "2100-12-31",
    "2005-06-01",
    "2017-02-29",
    "2016-02-29",
    "2017-03-31",
    "2017-07-22T12:00",
    "2017-07-22T24:00+03:00",
    "2017-07-22T12:00+03:00",
    "2017-07-22T12:00+14:00",
    "2021-08-14",
    "1e400",
    "-1e400",
    "nan",
    "inf",
    "1" + "0" * 5000,
    str(2**63),
    str(10**40),
    "1e19",
    "-1",
    "0",
    "10001",
    "1000000",
    "1000001",
    "36.4",
    "33.57",
    "-33.57",
    "3_3.5",
    "٣٣",
    '=HYPERLINK("http://127.0.0.1:9/")',
    "a\x1b[31mb",
    "bell\x07",
    "tab\there",
    "two\nlines",
    "x" * 5000,
    "<script>alert(1)</script>",
    "eastern-ghouta",
    "daraa-al-balad",
    "syria-nationwide",
    "no-such-zone",
    "eastern-ghouta;idlib",
    "cairo-eastern-ghouta-2017",
    "month",
    "week",
    "hour",
    "minute",
    "year",
    "exact",
    "governorate",
    "held",
    "collapsed",
    "unknown",
    "العربية",
    "https://example.org/a",
    "PA-X 2093",
]
plausible_cells = st.one_of(
    st.integers(0, 2_000_000).map(str),
    st.dates(dt.date(2011, 1, 1), dt.date(2024, 12, 31)).map(lambda d: d.isoformat()),
    st.datetimes(dt.datetime(2011, 1, 1), dt.datetime(2024, 12, 31)).map(
        lambda t: t.strftime("%Y-%m-%dT%H:%M") + "+03:00"
    ),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=40),
)
cell_values = st.one_of(
    plausible_cells,
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=30),
    st.integers(-(10**25), 10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates(min_value=dt.date(1850, 1, 1)).map(lambda d: d.isoformat()),
)
property_values = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.sampled_from(["a\ud800b", "\udfff", "RAW:1e400", "RAW:" + "9" * 5000, "RAW:-0.0"]),
    st.text(max_size=20),
    st.integers(-(10**20), 10**20),
    st.none(),
    st.booleans(),
    st.just(DELETE),
    st.lists(st.text(max_size=5), max_size=3),
)
coordinate_values = st.one_of(
    st.floats(-0.05, 0.05, allow_nan=False),
    st.floats(-0.002, 0.002, allow_nan=False),
    # near Syria, far away (outside the region is a warning) or out of range (an error)
    st.floats(29.5, 48),
    st.floats(-179, 179),
    st.floats(180.5, 400) | st.floats(-400, -180.5),
    st.sampled_from(["RAW:1e400", "RAW:-1e400", "RAW:" + "3" * 5000, "36.4", None, True]),
)
AGREEMENT_COLUMNS = [
    "agreement_id",
    "title",
    "kind",
    "signed",
    "effective_from",
    "effective_to",
    "date_precision",
    "zone_ids",
    "outcome",
    "source",
]
VIOLATION_COLUMNS = [
    "violation_id",
    "occurred",
    "date_precision",
    "lat",
    "lon",
    "location_precision",
    "zone_id",
    "agreement_ids",
    "kind",
    "casualties",
    "summary",
    "source",
]
ZONE_PROPERTIES = ["zone_id", "name", "name_ar", "valid_from", "valid_to", "accuracy", "notes"]

mutations = st.one_of(
    st.builds(
        set_cell,
        st.just("agreements.csv"),
        st.integers(0, 99),
        st.sampled_from(AGREEMENT_COLUMNS),
        cell_values,
    ),
    st.builds(
        set_cell,
        st.just("violations.csv"),
        st.integers(0, 199),
        st.sampled_from(VIOLATION_COLUMNS),
        cell_values,
    ),
    st.builds(zone_property, st.integers(0, 99), st.sampled_from(ZONE_PROPERTIES), property_values),
    st.builds(
        zone_coordinate,
        st.integers(0, 99),
        st.integers(0, 999),
        st.integers(0, 1),
        coordinate_values,
    ),
    st.builds(
        zone_structure,
        st.sampled_from(
            [
                "drop-feature",
                "duplicate-feature",
                "drop-geometry",
                "bbox",
                "reverse-ring",
                "drop-vertex",
                "extra-dimensions",
                "crs",
            ]
        ),
        st.integers(0, 99),
        st.integers(0, 2**16),
    ),
    st.builds(
        csv_structure,
        st.sampled_from(["agreements.csv", "violations.csv"]),
        st.sampled_from(["drop-row", "duplicate-row", "short-row", "swap-columns"]),
        st.integers(0, 199),
    ),
    st.builds(
        raw_bytes,
        st.sampled_from(FILES),
        st.integers(0, 10**6),
        st.sampled_from([b",", b"\xff", b"\x00", b'"', b"\n", b"}", b"\xef\xbb\xbf"]),
    ),
)


@FUZZ_SETTINGS
@given(changes=st.lists(mutations, min_size=1, max_size=3))
def test_whatever_validate_accepts_every_command_handles(changes):
    with tempfile.TemporaryDirectory() as scratch:
        folder = copy_data(Path(scratch) / "data")
        for change in changes:
            # a change that needs to read what an earlier one broke is left out
            with contextlib.suppress(ValueError, LookupError, TypeError, AttributeError):
                change(folder)
        check_contract(folder)


# --- the failures the hardening issue found, kept as fixed cases ----------------------------------

REGRESSIONS = {
    "casualties of 10^40": set_cell("violations.csv", 0, "casualties", str(10**40)),
    "casualties of 2^63": set_cell("violations.csv", 0, "casualties", str(2**63)),
    "casualties of 5,000 digits": set_cell("violations.csv", 0, "casualties", "1" + "0" * 5000),
    "agreement in force from 0001-01-01": set_cell(
        "agreements.csv", 0, "effective_from", "0001-01-01"
    ),
    "agreement signed 0001-01-01": set_cell("agreements.csv", 0, "signed", "0001-01-01"),
    "violation on 0001-01-01": set_cell("violations.csv", 0, "occurred", "0001-01-01"),
    "violation at the end of the calendar": set_cell(
        "violations.csv", 0, "occurred", "9999-12-31T23:00-12:00"
    ),
    "lone surrogate in a zone's notes": zone_property(0, "notes", "a\ud800b"),
    "lone surrogate in a zone_id": zone_property(0, "zone_id", "x\ud800"),
    "coordinate of 5,000 digits": zone_coordinate(0, 1, 0, "RAW:3" + "0" * 5000),
    "coordinate of 1e400": zone_coordinate(0, 1, 0, "RAW:1e400"),
    "control characters in a summary": set_cell("violations.csv", 0, "summary", "a\x1b[2Jb"),
    "stray comma in the zones": raw_bytes("zones.geojson", 200, b","),
    "4-D positions": zone_structure("extra-dimensions", 0, 1),
    "bbox in the wrong order": zone_structure("bbox", 0, 7),
}
REGRESSIONS["empty zones file"] = lambda folder: (folder / "zones.geojson").write_text("")


def _fifo_zones(folder: Path) -> None:
    (folder / "zones.geojson").unlink()
    os.mkfifo(folder / "zones.geojson")


REGRESSIONS["zones file that is a FIFO"] = _fifo_zones


@pytest.mark.parametrize("case", list(REGRESSIONS), ids=list(REGRESSIONS))
def test_the_failures_found_hold_the_contract(tmp_path, case):
    folder = copy_data(tmp_path / "data")
    REGRESSIONS[case](folder)
    check_contract(folder)


def test_a_zone_reaching_far_from_syria_still_gets_a_snapshot(tmp_path):
    # found by this fuzz test: a zone vertex far from Syria (a warning for validate) made the
    # snapshot's default extent wider than the map allows; it is now clipped to the region
    folder = copy_data(tmp_path / "data")
    zone_coordinate(3, 102, 0, 66.0)(folder)
    assert check_contract(folder) == "accepted"


def test_the_bundled_data_is_accepted_and_every_command_runs(tmp_path):
    assert check_contract(copy_data(tmp_path / "data")) == "accepted"


def test_a_4d_outline_is_accepted_and_every_command_runs(tmp_path):
    folder = copy_data(tmp_path / "data")
    zone_structure("extra-dimensions", 0, 1)(folder)
    assert check_contract(folder) == "accepted"


def test_a_contract_breach_is_caught(tmp_path, monkeypatch):
    # the check itself must bite: a command that crashes on accepted data fails it
    import geo.timemodel

    def broken(*args, **kwargs):
        raise OverflowError("Python int too large to convert to C long")

    monkeypatch.setattr(geo.timemodel, "status_at", broken)
    with pytest.raises(AssertionError, match="OverflowError"):
        check_contract(copy_data(tmp_path / "data"))


# --- hostile options are usage errors, not crashes -------------------------------------------------


@pytest.mark.parametrize("window", ["1e308", "inf", "nan", "-1", "0", "1e400", "99999"])
@pytest.mark.parametrize(
    "command", [["status", "--date", "2017-08-01"], ["metrics", "--zone", "x"]]
)
def test_a_window_beyond_the_bounds_is_a_usage_error(command, window):
    status, out, err = run(*command, f"--window-days={window}")
    assert status == 2 and "--window-days" in err and "internal error" not in err, err


@pytest.mark.parametrize(
    "date", ["0001-01-01", "9999-12-31T23:00-12:00", "2017-02-30", "", "2017-07-22T99:00"]
)
def test_a_date_beyond_the_calendar_is_a_usage_error(date):
    status, out, err = run("status", "--date", date)
    assert status == 2 and "internal error" not in err, err
