"""Importers (geo.importers): UCDP, ACLED and PA-X files to data sets; bad rows and bad files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil

import pandas as pd
import pyarrow.parquet as pq
import pytest

from geo.datasets import read_dataset
from geo.errors import ImportFileError, UsageError
from geo.importers import pax_kind, pax_zone_ids, run_import
from geo.schema import local_midnight
from tests.conftest import TEST_DATA, csv_text, needs_realdata

UCDP_FILE = "events/ucdp_ged_syria_2016-01-01_2019-11-30.csv"
PAX_FILES = ("agreements/pax_v6_syria_slim.csv", "agreements/pax_v6_syria_all_columns.csv")
ACLED = TEST_DATA / "acled_syria_synthetic.csv"
ACLED_UPPER = TEST_DATA / "acled_syria_synthetic_upper.csv"
ACLED_BAD = TEST_DATA / "acled_syria_bad_rows.csv"


def midnight(text: str) -> pd.Timestamp:
    return pd.Timestamp(local_midnight(dt.date.fromisoformat(text)))


def by_id(frame: pd.DataFrame, column: str = "violation_id") -> pd.DataFrame:
    return frame.set_index(column, drop=False)


# --- UCDP GED (real file) --------------------------------------------------------------------


@pytest.fixture(scope="module")
def ucdp(tmp_path_factory):
    source = needs_realdata() / UCDP_FILE
    out = tmp_path_factory.mktemp("ucdp") / "ucdp-ged-syria.parquet"
    result = run_import("ucdp", source, out, progress=False)
    frame, _ = read_dataset(out)
    raw = pd.read_csv(source, dtype=str, keep_default_na=False)
    return result, by_id(frame), raw


@pytest.mark.slow
def test_ucdp_real_file_imports_every_row(ucdp):
    result, frame, raw = ucdp
    assert len(raw) == 16566
    assert (result.rows_read, result.rows_written, result.skipped) == (16566, 16566, 0)
    assert result.problems == []
    assert (result.info.kind, result.info.format, result.info.rows) == ("incidents", "ucdp", 16566)
    assert result.info.source_file == "ucdp_ged_syria_2016-01-01_2019-11-30.csv"
    assert set(frame["dataset"]) == {"ucdp-ged-syria"}
    assert frame["zone_id"].eq("").all()


@pytest.mark.slow
def test_ucdp_event_keeps_its_id_and_source(ucdp):
    _, frame, raw = ucdp
    row = raw.set_index("id").loc["214797"]
    event = frame.loc["214797"]
    assert event["source"] == (
        "UCDP GED 214797; SOHR, 2015-01-01, 14 shells hit Dahya al-Assad an clashes continue "
        "around Ter Ma’la"
    )
    assert event["reported_by"] == row["source_office"] == "SOHR"
    assert event["occurred"] == midnight("2016-01-01")
    assert event["occurred_end"] == midnight("2016-01-02")
    assert event["date_precision"] == "day"
    assert (event["lat"], event["lon"]) == (34.802462, 36.707602)
    assert event["location_precision"] == "exact"
    assert event["place"] == "Teir Maaleh village"
    assert event["kind"] == "state-based-violence"
    assert event["alleged_perpetrator"] == "Government of Syria"
    assert event["casualties"] == int(row["best"]) == 4
    assert "Government of Syria" in event["summary"] and "Syrian insurgents" in event["summary"]
    assert event["geometry"].x == 36.707602


@pytest.mark.slow
def test_ucdp_multi_source_event_lists_every_citation(ucdp):
    _, frame, raw = ucdp
    many = raw[raw["number_of_sources"] == "3"].iloc[0]
    event = frame.loc[many["id"]]
    assert event["source"].startswith(f"UCDP GED {many['id']}; ")
    assert event["source"].count(" | ") == 2
    assert event["reported_by"] == ";".join(dict.fromkeys(many["source_office"].split(";")))
    assert "\n" not in event["source"]


@pytest.mark.slow
def test_ucdp_date_ranges_become_intervals(ucdp):
    _, frame, raw = ucdp
    spans = raw[raw["date_end"] > raw["date_start"]]
    assert len(spans) == 1086
    for _, row in spans.head(50).iterrows():
        event = frame.loc[row["id"]]
        assert event["occurred"] == midnight(row["date_start"])
        end = dt.date.fromisoformat(row["date_end"]) + dt.timedelta(days=1)
        assert event["occurred_end"] == pd.Timestamp(local_midnight(end))
    whole_day = pd.Timedelta(hours=25)
    assert (frame["occurred_end"] - frame["occurred"] > whole_day).sum() == len(spans)
    year = frame.loc["233200"]  # date_prec 5: the whole of 2016
    assert (year["occurred"], year["occurred_end"]) == (
        midnight("2016-01-01"),
        midnight("2017-01-01"),
    )
    assert year["date_precision"] == "year"


@pytest.mark.slow
def test_ucdp_precision_codes(ucdp):
    _, frame, raw = ucdp
    codes = raw.set_index("id")
    country = codes.index[codes["where_prec"].isin(["6", "7"])]
    assert len(country) == 254
    assert frame.loc[country, "location_precision"].eq("country").all()
    assert frame["location_precision"].value_counts().to_dict() == {
        "exact": 9010,
        "town": 5786,
        "district": 334 + 562,
        "governorate": 620,
        "country": 254,
    }
    assert frame["kind"].value_counts().to_dict() == {
        "state-based-violence": 11507,
        "non-state-violence": 4577,
        "one-sided-violence": 482,
    }


UCDP_HEADER = [
    "id",
    "type_of_violence",
    "side_a",
    "side_b",
    "source_article",
    "source_office",
    "where_prec",
    "where_coordinates",
    "latitude",
    "longitude",
    "date_prec",
    "date_start",
    "date_end",
    "best",
]


def ucdp_row(**values) -> dict:
    row = {
        "id": "1",
        "type_of_violence": "1",
        "side_a": "Government of Syria",
        "side_b": "Syrian insurgents",
        "source_article": '"SOHR,2017-07-22,Test headline"',
        "source_office": "SOHR",
        "where_prec": "2",
        "where_coordinates": "Duma town",
        "latitude": "33.56986",
        "longitude": "36.39914",
        "date_prec": "1",
        "date_start": "2017-07-22",
        "date_end": "2017-07-22",
        "best": "2",
    }
    row.update(values)
    return row


def test_ucdp_bad_rows_are_reported_and_skipped(tmp_path):
    rows = [
        ucdp_row(id="1"),
        ucdp_row(id="2", date_end="2017-07-20"),
        ucdp_row(id="3", type_of_violence="9"),
        ucdp_row(id="4", best="n/a"),
        ucdp_row(id="5", where_prec=""),
        ucdp_row(id="6", date_start="22/07/2017", latitude="north"),
        ucdp_row(id="7", date_start="2017-07-22 00:00:00.000", date_end="2017-07-24 00:00:00.000"),
    ]
    source = tmp_path / "ged.csv"
    source.write_text(csv_text(UCDP_HEADER, rows), encoding="utf-8")
    result = run_import("ucdp", source, tmp_path / "ged.parquet", progress=False)
    assert (result.rows_read, result.rows_written) == (7, 2)
    found = {p.where: p for p in result.problems}
    assert sorted(found) == ["row 3", "row 4", "row 5", "row 6", "row 7"]
    assert "date_end '2017-07-20' is before date_start '2017-07-22'" in found["row 3"].message
    assert found["row 4"].code == "bad-choice" and "'9'" in found["row 4"].message
    assert "best 'n/a' is not a whole number" in found["row 5"].message
    assert "where_prec ''" in found["row 6"].message
    assert "date_start '22/07/2017'" in found["row 7"].message
    assert "latitude 'north'" in found["row 7"].message  # every reason of the row is given
    assert all(p.severity == "warning" for p in result.problems)
    frame, _ = read_dataset(result.info.path)
    assert list(frame["violation_id"]) == ["1", "7"]
    span = frame.iloc[1]
    assert (span["occurred"], span["occurred_end"]) == (
        midnight("2017-07-22"),
        midnight("2017-07-25"),
    )


# --- ACLED (our synthetic fixtures in ACLED's layout) ----------------------------------------

ACLED_KINDS = {
    "SYR900001": "shelling",
    "SYR900002": "airstrike",
    "SYR900003": "clashes",
    "SYR900004": "ground-assault",
    "SYR900005": "bombing",
    "SYR900006": "other",
    "SYR900007": "detention",
    "SYR900010": "detention",
    "SYR900013": "other",
    "SYR900014": "clashes",
    "SYR900016": "other",
    # the older layout: pre-2019 event types, remote violence refined from the notes
    "SYR800001": "airstrike",
    "SYR800002": "shelling",
    "SYR800003": "bombing",
    "SYR800004": "clashes",
    "SYR800005": "ground-assault",
    "SYR800006": "clashes",
    "SYR800007": "other",
    "SYR800009": "airstrike",
    "SYR800012": "other",
}


@pytest.fixture
def acled(tmp_path):
    frames = {}
    for name, source in (("acled", ACLED), ("acled-upper", ACLED_UPPER)):
        result = run_import("acled", source, tmp_path / f"{name}.parquet", progress=False)
        assert result.problems == []
        frames[name] = (result, by_id(read_dataset(result.info.path)[0]))
    return frames


def test_acled_fixtures_import_in_both_header_styles(acled):
    result, frame = acled["acled"]
    assert (result.rows_read, result.rows_written) == (16, 16)
    upper, old = acled["acled-upper"]
    assert (upper.rows_read, upper.rows_written) == (12, 12)
    assert list(old.columns) == list(frame.columns)


@pytest.mark.parametrize(("event_id", "kind"), sorted(ACLED_KINDS.items()))
def test_acled_event_types_map_to_kinds(acled, event_id, kind):
    frame = acled["acled"][1] if event_id.startswith("SYR9") else acled["acled-upper"][1]
    assert frame.loc[event_id, "kind"] == kind


def test_acled_both_date_styles(acled):
    iso = acled["acled"][1].loc["SYR900001"]  # 2017-07-22
    words = acled["acled-upper"][1].loc["SYR800001"]  # 22 July 2017
    assert iso["occurred"] == words["occurred"] == midnight("2017-07-22")
    assert iso["occurred_end"] == words["occurred_end"] == midnight("2017-07-23")


@pytest.mark.parametrize(
    ("event_id", "precision", "start", "end"),
    [
        ("SYR900001", "day", "2017-07-22", "2017-07-23"),
        ("SYR900003", "week", "2017-08-07", "2017-08-14"),  # 7 days centred on 10 August
        ("SYR900012", "month", "2018-04-01", "2018-05-01"),
        ("SYR900016", "day", "2017-11-02", "2017-11-03"),  # winter time: UTC+2
    ],
)
def test_acled_time_precision_intervals(acled, event_id, precision, start, end):
    event = acled["acled"][1].loc[event_id]
    assert event["date_precision"] == precision
    assert (event["occurred"], event["occurred_end"]) == (midnight(start), midnight(end))


def test_acled_columns_are_mapped(acled):
    frame = acled["acled"][1]
    event = frame.loc["SYR900002"]
    assert event["source"] == "ACLED SYR900002; dezmap test fixture"
    assert event["reported_by"] == "dezmap test fixture"
    assert event["alleged_perpetrator"] == "Military Forces of Syria (2000-)"
    assert event["summary"] == "Synthetic test record: an air strike reported on Harasta."
    assert event["place"] == "Harasta"
    assert (event["lat"], event["lon"], event["casualties"]) == (33.55837, 36.364, 3)
    assert pd.isna(frame.loc["SYR900009", "casualties"])  # empty fatalities: not reported
    precisions = frame["location_precision"]
    assert (precisions["SYR900001"], precisions["SYR900007"], precisions["SYR900015"]) == (
        "town",
        "district",
        "governorate",
    )


def test_acled_bad_rows_are_reported_with_row_numbers_and_skipped(tmp_path):
    result = run_import("acled", ACLED_BAD, tmp_path / "bad.parquet", progress=False)
    # 10 data rows, one of them blank (row 8): 9 read, 6 skipped.
    assert (result.rows_read, result.rows_written, result.skipped) == (9, 3, 6)
    assert result.info.skipped == 6
    assert [(p.where, p.code) for p in result.problems] == [
        ("row 3", "bad-date"),
        ("row 4", "missing-coordinates"),
        ("row 5", "bad-number"),
        ("row 6", "swapped-coordinates"),
        ("row 9", "duplicate-id"),
        ("row 10", "bad-choice"),
    ]
    messages = {p.where: p.message for p in result.problems}
    assert "event_date '2017-02-30' is not a date" in messages["row 3"]
    assert "fatalities 'several'" in messages["row 5"]
    assert "appear swapped" in messages["row 6"] and "36.39914" in messages["row 6"]
    assert "'SYR700001': row 2 has the same id" in messages["row 9"]
    assert "time_precision '7'" in messages["row 10"]
    assert all(p.path == str(ACLED_BAD) and p.severity == "warning" for p in result.problems)
    frame, _ = read_dataset(result.info.path)
    assert list(frame["violation_id"]) == ["SYR700001", "SYR700006", "SYR700009"]
    assert frame.loc[2, "kind"] == "other"  # an event type we do not know is kept as "other"


def test_row_with_too_many_fields_is_reported(tmp_path):
    lines = ACLED.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("Synthetic test record:", "Synthetic, test record:")
    source = tmp_path / "acled.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_import("acled", source, tmp_path / "acled.parquet", progress=False)
    assert (result.rows_read, result.rows_written) == (16, 15)
    [problem] = result.problems
    assert (problem.where, problem.code) == ("row 4", "row-length")
    assert "32 fields but the header has 31" in problem.message


def test_position_outside_syria_is_kept_with_a_warning(tmp_path):
    text = ACLED.read_text(encoding="utf-8").replace("33.56986,36.39914", "33.31,44.36", 1)
    source = tmp_path / "acled.csv"
    source.write_text(text, encoding="utf-8")  # Duma moved to Baghdad
    result = run_import("acled", source, tmp_path / "acled.parquet", progress=False)
    assert result.rows_written == 16
    [warning] = result.problems
    assert warning.code == "outside-region" and "rows 2" in warning.message


# --- files that cannot be imported -----------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (b"\xef\xbb\xbf", "the file is empty"),
        (ACLED.read_bytes().splitlines()[0] + b"\n", "header but no data rows"),
        (ACLED.read_bytes().splitlines()[0] + b"\n\n\n", "header but no data rows"),
        (b"PK\x03\x04rest of a zip", "ZIP archive"),
        (b"event_id_cnty,event_date\nSYR1,2017-01-01\x00\n", "NUL bytes"),
        (b"a,b\n1,2\n", "missing required column"),
    ],
)
def test_files_that_cannot_be_imported(tmp_path, content, match):
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    with pytest.raises(ImportFileError, match=match) as info:
        run_import("acled", source, tmp_path / "out.parquet", progress=False)
    assert str(source) in str(info.value)
    assert list(tmp_path.iterdir()) == [source]


def test_missing_file(tmp_path):
    with pytest.raises(ImportFileError, match="no such file"):
        run_import("ucdp", tmp_path / "nope.csv", tmp_path / "out.parquet")


def test_wrong_headers_name_the_missing_columns(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("event_id_cnty,date,Latitude,LONGITUDE,notes\nSYR1,2017-01-01,33,36,x\n")
    with pytest.raises(ImportFileError) as info:
        run_import("acled", source, tmp_path / "out.parquet", progress=False)
    message = str(info.value)
    assert "not an ACLED CSV export" in message
    assert "missing required column(s) event_date, event_type, actor1, location;" in message
    assert "dezmap import ucdp|acled|pax" in message


def test_wrong_format_suggests_the_right_one(tmp_path):
    source = TEST_DATA / "acled_syria_synthetic.csv"
    with pytest.raises(ImportFileError) as info:
        run_import("ucdp", source, tmp_path / "out.parquet", progress=False)
    message = str(info.value)
    assert "not a UCDP GED CSV file" in message
    assert "missing required column(s) id, type_of_violence" in message
    assert f"run `dezmap import acled {source}`" in message


def test_non_utf8_file_is_refused_with_the_place_of_the_bad_byte(tmp_path):
    text = ACLED.read_text(encoding="utf-8").replace("Dar'a al Balad", "Dar'a al Baladé", 1)
    source = tmp_path / "in.csv"
    source.write_bytes(text.encode("cp1252"))
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "Baladé" in t)
    with pytest.raises(ImportFileError, match=rf"not UTF-8: byte 0xe9 at line {line}, column"):
        run_import("acled", source, tmp_path / "out.parquet", progress=False)
    assert list(tmp_path.iterdir()) == [source]


def test_unterminated_quote_is_refused(tmp_path):
    lines = ACLED.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace("Synthetic", '"Synthetic', 1)
    source = tmp_path / "in.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="the CSV cannot be read"):
        run_import("acled", source, tmp_path / "out.parquet", progress=False)


def test_a_file_whose_rows_are_all_bad_writes_nothing(tmp_path):
    rows = [ucdp_row(id=str(i), latitude="") for i in range(3)]
    source = tmp_path / "ged.csv"
    source.write_text(csv_text(UCDP_HEADER, rows), encoding="utf-8")
    with pytest.raises(ImportFileError, match="none of its 3 rows can be imported") as info:
        run_import("ucdp", source, tmp_path / "ged.parquet", progress=False)
    assert [p.where for p in info.value.problems] == ["row 2", "row 3", "row 4"]
    assert not (tmp_path / "ged.parquet").exists()


def test_unknown_format_and_bad_output_name(tmp_path):
    with pytest.raises(UsageError, match="did you mean 'acled'"):
        run_import("acled2", ACLED, tmp_path / "out.parquet")
    with pytest.raises(UsageError, match="must end in .parquet"):
        run_import("acled", ACLED, tmp_path / "out.csv")
    with pytest.raises(UsageError, match="my-set.parquet"):
        run_import("acled", ACLED, tmp_path / "My Set.parquet")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_the_previous_output_intact(tmp_path, monkeypatch):
    out = tmp_path / "imported" / "acled.parquet"
    run_import("acled", ACLED, out, progress=False)
    before = out.read_bytes()

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ImportFileError, match="No space left on device") as info:
        run_import("acled", ACLED_UPPER, out, progress=False)
    assert "an existing file there is unchanged" in str(info.value)
    monkeypatch.undo()
    assert out.read_bytes() == before
    assert list(out.parent.iterdir()) == [out]  # no temporary file left behind
    assert read_dataset(out)[1].source_file == "acled_syria_synthetic.csv"


def test_bad_source_leaves_the_previous_output_intact(tmp_path):
    out = tmp_path / "acled.parquet"
    run_import("acled", ACLED, out, progress=False)
    before = out.read_bytes()
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\xff\xfe" + ACLED.read_bytes())
    with pytest.raises(ImportFileError):
        run_import("acled", broken, out, progress=False)
    assert out.read_bytes() == before


# --- progress --------------------------------------------------------------------------------


def test_progress_bar_on_stderr_when_forced(tmp_path, capsys):
    run_import("acled", ACLED, tmp_path / "a.parquet", progress=True)
    err = capsys.readouterr().err
    assert "Importing acled_syria_synthetic.csv" in err
    assert "16/16" in err and "rows" in err


def test_no_progress_bar_when_disabled_or_not_a_terminal(tmp_path, capsys):
    run_import("acled", ACLED, tmp_path / "a.parquet", progress=False)
    run_import("acled", ACLED, tmp_path / "b.parquet")  # stderr is captured: not a terminal
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


# --- PA-X (real files) -----------------------------------------------------------------------


@pytest.fixture(scope="module", params=PAX_FILES, ids=["slim", "all-columns"])
def pax(request, tmp_path_factory):
    source = needs_realdata() / request.param
    out = tmp_path_factory.mktemp("pax") / "pax-syria.parquet"
    result = run_import("pax", source, out, progress=False)
    return result, by_id(read_dataset(out)[0], "agreement_id")


def test_pax_real_files_import_every_agreement(pax):
    result, frame = pax
    assert (result.rows_read, result.rows_written) == (108, 108)
    assert (result.info.kind, result.info.format) == ("agreements", "pax")
    astana = frame.loc["pax-2093"]
    assert astana["title"] == (
        "Memorandum on the Creation of De-escalation areas in the Syrian Arab Republic"
    )
    assert astana["source"] == "PA-X 2093"
    assert astana["signed"] == astana["effective_from"] == midnight("2017-05-04")
    assert pd.isna(astana["effective_to"])
    assert astana["date_precision"] == "day"
    assert astana["kind"] == "de-escalation"
    assert astana["outcome"] == "unknown"
    assert astana["parties"] == "Islamic Republic of Iran;Russian Federation;Republic of Turkey"
    assert astana["terms"].startswith("Imported from PA-X (stage: ceasefire/related, Cea")
    assert astana["zone_ids"] == ("eastern-ghouta", "idlib", "northern-homs", "southern")


@pytest.mark.parametrize(
    ("agt_id", "zones", "kind"),
    [
        ("1995", ("northern-homs",), "local-ceasefire"),  # Talbisa, Rastan and Al-Hula
        ("1999", ("eastern-ghouta",), "local-ceasefire"),  # East Ghouta and Jubar
        ("2001", ("east-qalamoun",), "local-ceasefire"),
        ("2169", ("idlib",), "de-escalation"),
        ("1507", ("syria-nationwide",), "nationwide-ceasefire"),
        ("2157", (), "local-ceasefire"),  # a cessation of hostilities in Kansafra only
    ],
)
def test_pax_zone_mapping(pax, agt_id, zones, kind):
    _, frame = pax
    agreement = frame.loc[f"pax-{agt_id}"]
    assert agreement["zone_ids"] == zones
    assert agreement["kind"] == kind


def test_pax_agreements_without_zone_are_kept_and_counted(pax):
    result, frame = pax
    none = int((frame["zone_ids"].map(len) == 0).sum())
    assert 0 < none < len(frame)
    [warning] = result.problems
    assert warning.code == "no-zone" and warning.severity == "warning"
    assert warning.message.startswith(f"{none} of 108 agreements name no zone")


@pytest.mark.parametrize(
    ("title", "zones"),
    [
        ("Agreement in East Ghouta and Jubar", ("eastern-ghouta",)),
        ("Jobar truce", ("eastern-ghouta",)),
        ("Sochi memorandum on the buffer zone", ("idlib",)),
        ("Deraa and Quneitra arrangement", ("southern",)),
        ("South-west Syria de-escalation memorandum", ("southern",)),
        ("Nationwide ceasefire", ("syria-nationwide",)),
        ("Ceasefire covering all of Syria", ("syria-nationwide",)),
        ("Homs Hudna Agreement", ()),  # Old Homs, outside the northern Homs pocket
        ("Final statement of the Congress of the Syrian national dialogue, Sochi", ()),
        ("Cessation of Hostilities between two factions in Kansafra", ()),
        ("Saraqib Agreement", ()),
    ],
)
def test_pax_zone_keyword_table(title, zones):
    assert pax_zone_ids(title) == zones


def test_pax_kind_from_title_then_stage():
    assert pax_kind("Homs Hudna Agreement", "Cea", ()) == "truce"
    assert pax_kind("Terms on the Departure of Armed Factions", "Imp", ()) == "evacuation"
    assert pax_kind("Nationwide ceasefire", "Cea", ("syria-nationwide",)) == "nationwide-ceasefire"
    assert pax_kind("Saraqib Agreement", "Cea", ()) == "local-ceasefire"
    assert pax_kind("UN Security Council Resolution 2254", "Pre", ()) == "other"


PAX_HEADER = ["AgtId", "Dat", "Agt", "Stage", "StageSub", "Part", "ThrdPart"]


def test_pax_bad_rows_are_reported(tmp_path):
    good = {
        "AgtId": "2001",
        "Dat": "2017-09-05",
        "Agt": "East Qalamoun Ceasefire",
        "Stage": "Cea",
        "StageSub": "Rel",
        "Part": "Opposition factions;\nRussian Federation.",
        "ThrdPart": "",
    }
    rows = [
        good,
        {**good, "AgtId": "x1"},
        {**good, "AgtId": "3000", "Dat": "5 September 2017"},
        {**good, "AgtId": "3001", "Agt": "  "},
        {**good, "Agt": "East Qalamoun Ceasefire (copy)"},
    ]
    source = tmp_path / "pax.csv"
    source.write_text(csv_text(PAX_HEADER, rows).replace("AgtId,Dat", "agtid,DAT"))
    result = run_import("pax", source, tmp_path / "pax.parquet", progress=False)
    assert (result.rows_read, result.rows_written) == (5, 1)
    assert [(p.where, p.code) for p in result.problems] == [
        ("row 3", "bad-id"),
        ("row 4", "bad-date"),
        ("row 5", "empty-field"),
        ("row 6", "duplicate-id"),
    ]
    assert "Dat '5 September 2017' is not a date" in result.problems[1].message
    frame, _ = read_dataset(result.info.path)
    assert frame.loc[0, "parties"] == "Opposition factions;Russian Federation."
    assert frame.loc[0, "zone_ids"] == ("east-qalamoun",)


def test_fixture_files_are_untouched_by_imports(tmp_path):
    copy = tmp_path / "copy.csv"
    shutil.copy(ACLED_BAD, copy)
    run_import("acled", copy, tmp_path / "out.parquet", progress=False)
    assert copy.read_bytes() == ACLED_BAD.read_bytes()


@pytest.mark.parametrize("careful", [False, True], ids=["fast-reader", "careful-reader"])
def test_row_numbers_hold_across_chunks(tmp_path, monkeypatch, careful):
    import geo.importers

    expected = run_import("acled", ACLED_BAD, tmp_path / "whole.parquet", progress=False)
    source = ACLED_BAD
    if careful:  # a row with an extra field sends the import to the careful reader
        lines = ACLED_BAD.read_text(encoding="utf-8").split("\n")
        lines[10] = lines[10].replace("Synthetic test", "Synthetic, test")
        source = tmp_path / "bad.csv"
        source.write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setattr(geo.importers, "CHUNK_ROWS", 3)
    result = run_import("acled", source, tmp_path / "chunked.parquet", progress=False)
    found = [(p.where, p.code) for p in result.problems]
    if careful:
        assert ("row 11", "row-length") in found
        found.remove(("row 11", "row-length"))
        assert (result.rows_read, result.rows_written) == (9, 2)
    else:
        assert (result.rows_read, result.rows_written) == (9, 3)
    assert found == [(p.where, p.code) for p in expected.problems]


# --- one bad value is that row's problem, however large or strange -------------------------------


@pytest.mark.parametrize(
    "value",
    ["1e19", "1e18", str(2**63), str(2**64 + 1), "1" + "0" * 5000, "1e400", "inf", "1000001"],
)
def test_an_impossible_ucdp_death_count_skips_only_its_row(tmp_path, value):
    rows = [ucdp_row(id="1"), ucdp_row(id="2", best=value), ucdp_row(id="3", best="7")]
    source = tmp_path / "ged.csv"
    source.write_text(csv_text(UCDP_HEADER, rows), encoding="utf-8")
    result = run_import("ucdp", source, tmp_path / "ged.parquet", progress=False)
    assert (result.rows_read, result.rows_written) == (3, 2)
    [problem] = result.problems
    assert problem.where == "row 3" and problem.code in ("bad-number", "out-of-range")
    assert "best" in problem.message and "the row was skipped" in problem.message
    assert len(problem.message) < 400
    frame, _ = read_dataset(result.info.path)
    assert list(frame["casualties"]) == [2, 7]


@pytest.mark.parametrize("value", [str(2**63), str(2**63 - 1), "9" * 30, "1e19"])
def test_an_impossible_acled_fatality_count_skips_only_its_row(tmp_path, value):
    lines = ACLED.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    column = header.index("fatalities")
    fields = next(csv.reader([lines[2]]))
    fields[column] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    lines[2] = out.getvalue()
    source = tmp_path / "acled.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_import("acled", source, tmp_path / "acled.parquet", progress=False)
    assert (result.rows_read, result.rows_written) == (16, 15)
    [problem] = result.problems
    assert problem.where == "row 3" and "fatalities" in problem.message


def test_an_implausible_death_count_is_kept_with_a_warning(tmp_path):
    rows = [ucdp_row(id="1", best="20000"), ucdp_row(id="2"), ucdp_row(id="3", best="10001")]
    source = tmp_path / "ged.csv"
    source.write_text(csv_text(UCDP_HEADER, rows), encoding="utf-8")
    result = run_import("ucdp", source, tmp_path / "ged.parquet", progress=False)
    assert result.rows_written == 3
    [warning] = result.problems
    assert warning.code == "implausible-count" and warning.severity == "warning"
    assert "rows 2, 4" in warning.message and "more than any single event" in warning.message
    frame, _ = read_dataset(result.info.path)
    assert list(frame["casualties"]) == [20000, 2, 10001]


@pytest.mark.parametrize(
    ("column", "value"),
    [("latitude", "3" + "0" * 5000), ("longitude", "1e400"), ("latitude", "nan")],
)
def test_an_absurd_coordinate_skips_only_its_row(tmp_path, column, value):
    rows = [ucdp_row(id="1"), ucdp_row(id="2", **{column: value})]
    source = tmp_path / "ged.csv"
    source.write_text(csv_text(UCDP_HEADER, rows), encoding="utf-8")
    result = run_import("ucdp", source, tmp_path / "ged.parquet", progress=False)
    assert result.rows_written == 1
    [problem] = result.problems
    assert problem.where == "row 3" and column in problem.message and len(problem.message) < 400


def test_an_export_larger_than_the_bound_is_refused_with_its_size(tmp_path, monkeypatch):
    from geo.validate import files

    monkeypatch.setattr(files, "MAX_IMPORT_BYTES", 1024)
    source = tmp_path / "ged.csv"
    source.write_text(csv_text(UCDP_HEADER, [ucdp_row(id=str(i)) for i in range(20)]))
    with pytest.raises(ImportFileError, match=r"larger than the 1\.0 kB dezmap reads"):
        run_import("ucdp", source, tmp_path / "ged.parquet", progress=False)
    assert not (tmp_path / "ged.parquet").exists()


def test_a_folder_is_refused_as_a_folder(tmp_path):
    with pytest.raises(ImportFileError, match="is a folder"):
        run_import("ucdp", tmp_path, tmp_path / "ged.parquet", progress=False)


# --- the Arrow reader: well-formed files are read from disk, never whole into memory ---------


def _import_by_both_readers(fmt, source, tmp_path, monkeypatch, *, arrow_expected=True):
    """Import ``source`` by the Arrow route and by the in-memory route; return both results.

    On the Arrow route the whole-file loader must not be called when ``arrow_expected``.
    """
    import geo.importers

    load_bytes = geo.importers._load_bytes
    if arrow_expected:

        def refuse(*args, **kwargs):
            raise AssertionError("a well-formed file was loaded whole into memory")

        monkeypatch.setattr(geo.importers, "_load_bytes", refuse)
    arrow = run_import(fmt, source, tmp_path / "arrow.parquet", progress=False)
    monkeypatch.setattr(geo.importers, "_load_bytes", load_bytes)
    monkeypatch.setattr(geo.importers, "_scan", lambda path, count_lines: None)
    memory = run_import(fmt, source, tmp_path / "memory.parquet", progress=False)
    monkeypatch.undo()
    return arrow, memory


def _same_import(arrow, memory):
    a, _ = read_dataset(arrow.info.path)
    m, _ = read_dataset(memory.info.path)
    assert a.drop(columns="dataset").equals(m.drop(columns="dataset"))
    assert [str(p) for p in arrow.problems] == [str(p) for p in memory.problems]
    assert (arrow.rows_read, arrow.rows_written) == (memory.rows_read, memory.rows_written)


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("acled", "acled_syria_bad_rows.csv"),
        ("acled", "acled_syria_synthetic.csv"),
        ("acled", "acled_syria_synthetic_upper.csv"),
    ],
)
def test_arrow_reader_matches_the_in_memory_reader(tmp_path, monkeypatch, fmt, name):
    arrow, memory = _import_by_both_readers(fmt, TEST_DATA / name, tmp_path, monkeypatch)
    _same_import(arrow, memory)


@pytest.mark.slow
@pytest.mark.parametrize("name", [UCDP_FILE, *PAX_FILES])
def test_arrow_reader_matches_the_in_memory_reader_on_real_files(tmp_path, monkeypatch, name):
    fmt = "ucdp" if name == UCDP_FILE else "pax"
    arrow, memory = _import_by_both_readers(fmt, needs_realdata() / name, tmp_path, monkeypatch)
    _same_import(arrow, memory)
    assert arrow.rows_written > 100


def test_arrow_reader_keeps_bad_rows_and_odd_text_as_before(tmp_path, monkeypatch):
    rows = [
        ucdp_row(id="1", side_a="  Government\tof\n\nSyria  ", where_coordinates="Duma  town"),
        ucdp_row(id="2", date_end="2017-07-20"),
        {},  # a row of empty fields: skipped silently, but it keeps its row number
        ucdp_row(id="3", source_article='"SOHR,2017-07-22,A" ; "AFP,2017-07-23,B"'),
        ucdp_row(id="4", source_article='""', latitude="north"),
        ucdp_row(id="5", source_article=""),
        ucdp_row(id="1"),  # a duplicate id
    ]
    lines = csv_text(UCDP_HEADER, rows).splitlines()
    lines.insert(5, "")  # a blank line (row 6), which keeps its row number too
    source = tmp_path / "ged.csv"
    source.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    arrow, memory = _import_by_both_readers("ucdp", source, tmp_path, monkeypatch)
    _same_import(arrow, memory)
    assert [p.where for p in arrow.problems] == ["row 3", "row 7", "row 9"]
    frame, _ = read_dataset(arrow.info.path)
    first = frame.set_index("violation_id").loc["1"]
    assert first["alleged_perpetrator"] == "Government of Syria"
    assert first["place"] == "Duma town"


def test_arrow_reader_hands_short_rows_to_the_pandas_reader(tmp_path, monkeypatch):
    text = csv_text(UCDP_HEADER, [ucdp_row(id="1"), ucdp_row(id="2")])
    lines = text.splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0]  # one field fewer: pandas reads it with best empty
    source = tmp_path / "ged.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    arrow, memory = _import_by_both_readers(
        "ucdp", source, tmp_path, monkeypatch, arrow_expected=False
    )
    _same_import(arrow, memory)
    assert arrow.rows_written == 2


def test_a_bad_byte_in_a_column_the_importer_does_not_use_still_refuses_the_file(tmp_path):
    header = [*UCDP_HEADER, "conflict_name"]
    rows = [dict(ucdp_row(id=str(i)), conflict_name="Syria: Government") for i in range(3)]
    text = csv_text(header, rows).replace("Syria: Government", "Syria: Gouvernement é", 1)
    source = tmp_path / "ged.csv"
    source.write_bytes(text.encode("cp1252"))
    with pytest.raises(ImportFileError, match="not UTF-8: byte 0xe9 at line 2"):
        run_import("ucdp", source, tmp_path / "out.parquet", progress=False)


def test_arrow_reader_numbers_rows_across_blocks(tmp_path, monkeypatch):
    import geo.importers

    rows = [ucdp_row(id=str(i)) for i in range(200)]
    rows[57] = ucdp_row(id="57", latitude="north")
    rows[143] = ucdp_row(id="143", source_article='"SOHR,2017-07-22,two\nlines"', best="x")
    source = tmp_path / "ged.csv"
    source.write_text(csv_text(UCDP_HEADER, rows), encoding="utf-8")
    # about five rows a block, three blocks a chunk
    monkeypatch.setattr(geo.importers, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(geo.importers, "ARROW_BLOCK_BYTES", 1024)
    monkeypatch.setattr(geo.importers, "CHUNK_ROWS", 12)
    arrow, memory = _import_by_both_readers("ucdp", source, tmp_path, monkeypatch)
    _same_import(arrow, memory)
    assert [p.where for p in arrow.problems] == ["row 59", "row 145"]


# --- streaming: the file is read, converted and written chunk by chunk -------------------------


def _mixed_ucdp_text(variant: str = "well-formed") -> str:
    """A UCDP file with a problem of each kind spread over its rows (row numbers below).

    Row 3 holds a quoted line break and row 17 is a blank line, so that rows are not lines.
    ``variant`` "short" ends row 29 one field early (Arrow's reader gives up there and the
    pandas reader starts again); "long" gives row 29 one field too many (the careful reader
    takes over, and reports it).
    """
    rows = [ucdp_row(id=str(i), best=str(i % 5)) for i in range(1, 30)]
    rows[1] = ucdp_row(id="2", source_article='"SOHR,2017-07-22,two\nlines"')  # row 3
    rows[4] = ucdp_row(id="5", latitude="north")  # row 6: skipped; its id comes back
    rows[9] = ucdp_row(id="3")  # row 11: the id of row 4
    rows[12] = ucdp_row(id="5")  # row 14: the id of row 6, which was skipped: kept
    rows[13] = ucdp_row(id="5")  # row 15: the id of row 14
    rows[15] = ucdp_row(id="16", latitude="33.31", longitude="44.36")  # row 18: outside Syria
    rows[20] = ucdp_row(id="21", best="20000")  # row 23: implausible count, kept
    rows[24] = ucdp_row(id="25", date_end="2017-07-20")  # row 27: ends before it starts
    rows[26] = ucdp_row(id="12")  # row 29: the id of row 13
    head = csv_text(UCDP_HEADER, rows[:15])
    tail = csv_text(UCDP_HEADER, rows[15:]).split("\n", 1)[1]
    lines = tail.split("\n")
    if variant == "short":
        lines[-3] = lines[-3].rsplit(",", 1)[0]  # row 30 (id 28) without its best
    elif variant == "long":
        lines[-3] += ",surplus"
    return head + "\n" + "\n".join(lines)


MIXED_PROBLEMS = [
    ("row 6", "bad-number"),
    ("row 11", "duplicate-id"),
    ("row 15", "duplicate-id"),
    ("row 27", "date-order"),
    ("row 29", "duplicate-id"),
    ("", "outside-region"),
    ("", "implausible-count"),
]


def _parquet_files(folder):
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".parquet" or "tmp" in p.name)


@pytest.mark.parametrize("variant", ["well-formed", "short", "long"])
def test_a_chunked_import_equals_a_one_chunk_import(tmp_path, variant):
    source = tmp_path / "ged.csv"
    source.write_text(_mixed_ucdp_text(variant), encoding="utf-8")
    whole = run_import("ucdp", source, tmp_path / "whole.parquet", chunk_rows=10_000)
    expected, _ = read_dataset(whole.info.path)
    assert pq.ParquetFile(whole.info.path).num_row_groups == 1
    for chunk_rows in (1, 2, 3, 8):
        out = tmp_path / f"chunks-{chunk_rows}.parquet"
        result = run_import("ucdp", source, out, progress=False, chunk_rows=chunk_rows)
        frame, info = read_dataset(out)
        pd.testing.assert_frame_equal(
            frame.drop(columns="dataset"), expected.drop(columns="dataset"), check_exact=True
        )
        assert [str(p) for p in result.problems] == [str(p) for p in whole.problems]
        assert (result.rows_read, result.rows_written) == (whole.rows_read, whole.rows_written)
        assert (info.rows, info.skipped) == (whole.info.rows, whole.info.skipped)
        if chunk_rows == 1:  # one row group per chunk with a row kept: it really streamed
            assert pq.ParquetFile(out).num_row_groups == result.rows_written
    assert _parquet_files(tmp_path) == [
        "chunks-1.parquet",
        "chunks-2.parquet",
        "chunks-3.parquet",
        "chunks-8.parquet",
        "whole.parquet",
    ]
    found = [(p.where, p.code) for p in whole.problems]
    if variant == "long":
        assert ("row 30", "row-length") in found
        found.remove(("row 30", "row-length"))
    assert found == MIXED_PROBLEMS


def test_problems_in_later_chunks_name_their_source_rows(tmp_path):
    source = tmp_path / "ged.csv"
    source.write_text(_mixed_ucdp_text(), encoding="utf-8")
    result = run_import("ucdp", source, tmp_path / "ged.parquet", progress=False, chunk_rows=4)
    assert [(p.where, p.code) for p in result.problems] == MIXED_PROBLEMS
    found = {p.where: p.message for p in result.problems if p.where}
    assert found["row 6"].startswith("latitude 'north' is not a latitude (a number from -90")
    # a duplicate names the row that is kept, in an earlier chunk or its own
    assert found["row 11"] == (
        "duplicate id '3': row 4 has the same id and is kept; the row was skipped"
    )
    assert "duplicate id '5': row 14 has the same id" in found["row 15"]
    assert "duplicate id '12': row 13 has the same id" in found["row 29"]
    assert found["row 27"].startswith("date_end '2017-07-20' is before date_start '2017-07-22'")
    outside, implausible = (p.message for p in result.problems if not p.where)
    assert "1 row(s) lie outside Syria" in outside and "rows 18;" in outside
    assert "rows 23;" in implausible
    frame, _ = read_dataset(result.info.path)
    # the id of the skipped row 6 is kept from row 14, in the order of the file
    assert list(frame["violation_id"])[:5] == ["1", "2", "3", "4", "6"]
    assert list(frame["violation_id"]).count("5") == 1
    assert (result.rows_read, result.rows_written) == (29, 24)  # the blank line is no row


@pytest.mark.slow
def test_the_real_ucdp_file_imports_the_same_in_small_chunks(tmp_path):
    source = needs_realdata() / UCDP_FILE
    whole = run_import("ucdp", source, tmp_path / "whole.parquet", progress=False)
    small = run_import("ucdp", source, tmp_path / "small.parquet", chunk_rows=997)
    assert pq.ParquetFile(small.info.path).num_row_groups == 17
    a, _ = read_dataset(whole.info.path)
    b, _ = read_dataset(small.info.path)
    pd.testing.assert_frame_equal(a.drop(columns="dataset"), b.drop(columns="dataset"))
    assert (small.rows_read, small.rows_written, small.problems) == (16566, 16566, [])


@pytest.mark.parametrize("existing", [False, True], ids=["new-folder", "existing-output"])
def test_a_failure_after_chunks_were_written_leaves_nothing_behind(tmp_path, existing):
    # every row is read, converted and written before the last one turns out to open a
    # quote that never closes
    rows = [ucdp_row(id=str(i)) for i in range(1, 21)]
    text = csv_text(UCDP_HEADER, rows) + '99,1,"Government of Syria\n'
    source = tmp_path / "ged.csv"
    source.write_text(text, encoding="utf-8")
    out = tmp_path / "data" / "imported" / "ged.parquet"
    if existing:
        run_import("acled", ACLED, out, progress=False)
        before = out.read_bytes()
    with pytest.raises(ImportFileError, match=r"line 22: the CSV cannot be read"):
        run_import("ucdp", source, out, progress=False, chunk_rows=2)
    if existing:
        assert out.read_bytes() == before
        assert list(out.parent.iterdir()) == [out]  # no temporary file left behind
    else:
        assert list(tmp_path.iterdir()) == [source]  # not even the folders


def test_a_failed_rename_after_a_chunked_import_leaves_the_output_intact(tmp_path, monkeypatch):
    out = tmp_path / "ged.parquet"
    source = tmp_path / "ged.csv"
    source.write_text(_mixed_ucdp_text(), encoding="utf-8")
    run_import("acled", ACLED, out, progress=False)
    before = out.read_bytes()

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ImportFileError, match=r"\(No space left on device\); nothing was written"):
        run_import("ucdp", source, out, progress=False, chunk_rows=3)
    monkeypatch.undo()
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ged.csv", "ged.parquet"]


def test_an_import_whose_rows_are_all_bad_in_every_chunk_creates_nothing(tmp_path):
    rows = [ucdp_row(id=str(i), date_start="soon") for i in range(7)]
    source = tmp_path / "ged.csv"
    source.write_text(csv_text(UCDP_HEADER, rows), encoding="utf-8")
    with pytest.raises(ImportFileError, match="none of its 7 rows can be imported"):
        run_import("ucdp", source, tmp_path / "new" / "ged.parquet", chunk_rows=2)
    assert list(tmp_path.iterdir()) == [source]


def _with_bad_dates(source, tmp_path, column, rows):
    """A copy of a CSV file whose ``column`` is unreadable in the given data rows (1 = first)."""
    with open(source, encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    at = [name.lower() for name in records[0]].index(column)
    for row in rows:
        records[row][at] = "someday"
    copy = tmp_path / f"bad-{source.name}"
    with open(copy, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(records)
    return copy


@pytest.mark.parametrize(
    ("fmt", "name", "column"),
    [("acled", "acled", "event_date"), ("pax", "pax", "dat"), ("ucdp", "ucdp", "date_start")],
)
def test_a_chunk_without_one_readable_date(tmp_path, fmt, name, column):
    if name == "acled":
        source = ACLED
    elif name == "pax":
        source = needs_realdata() / PAX_FILES[0]
    else:
        source = tmp_path / "ged.csv"
        source.write_text(csv_text(UCDP_HEADER, [ucdp_row(id=str(i)) for i in range(12)]))
    # with chunks of 4 rows, the second chunk (rows 6 to 9) has no date that can be read
    bad = _with_bad_dates(source, tmp_path, column, [5, 6, 7, 8])
    whole = run_import(fmt, bad, tmp_path / "whole.parquet", progress=False)
    chunked = run_import(fmt, bad, tmp_path / "chunked.parquet", progress=False, chunk_rows=4)
    assert [p.where for p in chunked.problems][:4] == ["row 6", "row 7", "row 8", "row 9"]
    assert [str(p) for p in chunked.problems] == [str(p) for p in whole.problems]
    a, _ = read_dataset(whole.info.path)
    b, _ = read_dataset(chunked.info.path)
    pd.testing.assert_frame_equal(a.drop(columns="dataset"), b.drop(columns="dataset"))


@pytest.mark.parametrize("chunk_rows", [0, -5, 2.5, True])
def test_chunk_rows_must_be_a_positive_whole_number(tmp_path, chunk_rows):
    with pytest.raises(UsageError, match="chunk_rows must be a whole number"):
        run_import("acled", ACLED, tmp_path / "a.parquet", chunk_rows=chunk_rows)
    assert list(tmp_path.iterdir()) == []


def test_duplicate_ids_are_told_apart_from_ids_that_share_a_hash():
    import numpy as np

    from geo.importers import _SeenIds

    def chunks(seen):
        return [
            list(seen.earlier_rows(pd.Series(ids, dtype="str"), np.asarray(rows)))
            for ids, rows in [
                (["a", "bb", "a", "ccc"], [2, 3, 4, 5]),
                (["dd", "bb", "e", "ccc", "dd", "f"], [6, 7, 8, 9, 10, 11]),
                (["a", "f", "gg"], [12, 13, 14]),
            ]
        ]

    expected = [[0, 0, 2, 0], [0, 3, 0, 5, 6, 0], [2, 11, 0]]
    assert chunks(_SeenIds()) == expected
    # ids of one length share a hash, and all share one: still only equal ids are duplicates
    by_length = _SeenIds(lambda ids: np.array([len(i) for i in ids], dtype=np.uint64))
    assert chunks(by_length) == expected
    assert chunks(_SeenIds(lambda ids: np.zeros(len(ids), dtype=np.uint64))) == expected
