"""Decoding data files as UTF-8 (geo.validate.text), and the callers that share it."""

from __future__ import annotations

import json

import pytest

from geo import schema
from geo.cli import main
from geo.errors import DezmapError, Report
from geo.validate import (
    NotUtf8Error,
    check_agreements_bytes,
    check_violations_bytes,
    check_zones_text,
    decode_utf8,
    strip_bom,
    validate_paths,
)
from geo.validate.text import printable, text_problem
from tests.conftest import csv_text, write_zones, zone_feature
from tests.test_validate_records import AGREEMENT, VIOLATION, only


def test_byte_order_mark_is_dropped_once():
    assert decode_utf8(b"\xef\xbb\xbfzone_id\n") == "zone_id\n"
    assert strip_bom(b"\xef\xbb\xbf\xef\xbb\xbfx") == b"\xef\xbb\xbfx"
    assert strip_bom(b"plain") == b"plain"


def test_not_utf8_names_line_column_byte_and_guess():
    data = "a,b\nDaraa,Caf\u00e9\n".encode("cp1252")
    with pytest.raises(NotUtf8Error) as info:
        decode_utf8(data)
    error = info.value
    assert isinstance(error, DezmapError)
    assert (error.line, error.column, error.byte, error.guess) == (2, 10, 0xE9, "\u00e9")
    assert "byte 0xe9 at line 2, column 10" in str(error) and "UTF-8" in str(error)


def test_position_is_counted_after_the_byte_order_mark():
    with pytest.raises(NotUtf8Error) as info:
        decode_utf8(b"\xef\xbb\xbfab\xff")
    assert (info.value.line, info.value.column) == (1, 3)


def test_replace_reads_what_it_can():
    assert decode_utf8(b"\xef\xbb\xbfok\xff", errors="replace") == "ok\ufffd"


def test_reference_zones_with_a_byte_order_mark_are_read(tmp_path):
    # A CSV named alone is checked against the data folder's zones, read leniently; a BOM
    # written by an editor must not hide every zone.
    folder = tmp_path / "d"
    folder.mkdir()
    zones = write_zones(folder / "zones.geojson", zone_feature())
    zones.write_bytes(b"\xef\xbb\xbf" + zones.read_bytes())
    named = tmp_path / "agreements.csv"
    named.write_text(csv_text(list(schema.AGREEMENT_COLUMNS), [AGREEMENT]), encoding="utf-8")
    assert list(validate_paths([named], data_dir=folder).report) == []


# --- characters text may not hold --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code", "words"),
    [
        ("a\ud800b", "lone-surrogate", "lone surrogate \\ud800 at character 2"),
        ("\udfff", "lone-surrogate", "\\udfff at character 1"),
        ("red \x1b[31m", "control-character", "U+001B (ESC) at character 5"),
        ("bell\x07", "control-character", "U+0007 (BEL)"),
        ("nul\x00", "control-character", "U+0000 (NUL)"),
        ("c1\x85", "control-character", "U+0085 (a control character)"),
        ("del\x7f", "control-character", "U+007F (DEL)"),
    ],
)
def test_text_problem_names_the_character_and_where(value, code, words):
    found = text_problem(value)
    assert found is not None and found[0] == code and words in found[1]


@pytest.mark.parametrize(
    "value", ["", "plain", "tab\tand\nlines\r\n", "الغوطة الشرقية", "\u200fRLM", "😀 emoji"]
)
def test_ordinary_text_passes(value):
    assert text_problem(value) is None and printable(value) == value


def test_printable_escapes_what_cannot_be_shown():
    assert printable("x\ud800\x1by") == "x\\ud800\\x1by"
    printable("x\ud800").encode("utf-8")


def zones_text_with(raw_value, key="notes"):
    text = json.dumps({"type": "FeatureCollection", "features": [zone_feature(notes="PLACE")]})
    return text.replace('"notes": "PLACE"', f'"{key}": "{raw_value}"')


@pytest.mark.parametrize(
    ("raw", "code"),
    [("a\\ud800b", "lone-surrogate"), ("a\\u001b[2J", "control-character")],
)
def test_a_zone_property_with_bad_characters_is_a_located_error(raw, code):
    report = Report()
    check = check_zones_text(zones_text_with(raw), "zones.geojson", report)
    problem = only(report, code)
    assert problem.severity == "error" and problem.where.startswith("feature 0 (zone_id=")
    assert problem.message.startswith("property 'notes' holds")
    assert len(check.versions) == 1  # its outline still serves the checks of the records
    str(problem).encode("utf-8")


def test_a_property_name_with_bad_characters_is_an_error():
    report = Report()
    check_zones_text(zones_text_with("x", key="no\\ud800tes"), "zones.geojson", report)
    assert "a property name" in only(report, "lone-surrogate").message


def test_a_layer_property_with_bad_characters_is_an_error():
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"ADM1_EN": {"alt": ["PLACE"]}},
                "geometry": zone_feature()["geometry"],
            }
        ],
    }
    report = Report()
    text = json.dumps(doc).replace("PLACE", "Dar\\u0007a")
    check_zones_text(text, "admin1.geojson", report, kind="layer")
    assert "property 'ADM1_EN' holds the invisible" in only(report, "control-character").message


def test_a_zone_id_with_a_surrogate_is_reported_and_printed_without_a_crash(tmp_path, capsys):
    path = tmp_path / "zones.geojson"
    path.write_text(zones_text_with("x").replace('"eastern-ghouta"', '"x\\ud800"'))
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr()
    assert "feature 0 (zone_id=x\\ud800)" in out.out and "internal error" not in out.err


@pytest.mark.parametrize("column", ["summary", "place", "alleged_perpetrator", "source"])
def test_a_csv_cell_with_a_control_character_is_a_located_error(column):
    row = dict(VIOLATION, **{column: VIOLATION[column] + " \x1b[31mhttps://x.org"})
    report = Report()
    records = check_violations_bytes(
        csv_text(list(schema.VIOLATION_COLUMNS), [row]).encode(), "violations.csv", report
    )
    problem = only(report, "control-character")
    assert problem.where == f"row 2, column {column}" and problem.message.startswith(column)
    assert records == []


def test_tabs_and_line_breaks_in_a_csv_cell_are_fine():
    row = dict(VIOLATION, summary="two\nlines\tand a tab")
    report = Report()
    records = check_violations_bytes(
        csv_text(list(schema.VIOLATION_COLUMNS), [row]).encode(), "violations.csv", report
    )
    assert list(report) == [] and records[0]["summary"] == "two\nlines\tand a tab"


def test_an_agreement_cell_with_a_control_character_is_a_located_error():
    row = dict(AGREEMENT, terms="Truce\x0bfrom noon")
    report = Report()
    check_agreements_bytes(
        csv_text(list(schema.AGREEMENT_COLUMNS), [row]).encode(), "agreements.csv", report
    )
    assert only(report, "control-character").where == "row 2, column terms"


# --- where the first unreadable byte is, to the line and column ----------------------------------


@pytest.mark.parametrize(
    ("data", "line", "column"),
    [
        # an empty first line, then "ab", then the byte after "c": line 3, column 2
        (b"\nab\nc\x81d\n", 3, 2),
        # the only line break before the byte is the file's first byte: line 2, column 2
        (b"\nx\x81", 2, 2),
    ],
)
def test_the_unreadable_byte_is_placed_by_the_line_breaks_before_it(data, line, column):
    # 0x81 has no character in Windows-1252 either: the guess is the replacement character
    with pytest.raises(NotUtf8Error) as info:
        decode_utf8(data)
    error = info.value
    assert (error.offset, error.line, error.column) == (data.index(b"\x81"), line, column)
    assert (error.byte, error.guess) == (0x81, "\ufffd")
    assert str(error) == (
        f"not UTF-8: byte 0x81 at line {line}, column {column} (perhaps '\ufffd' in "
        "Windows-1252) cannot be read; re-save the file as UTF-8"
    )
