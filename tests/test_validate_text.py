"""Decoding data files as UTF-8 (geo.validate.text), and the callers that share it."""

from __future__ import annotations

import pytest

from geo import schema
from geo.errors import DezmapError
from geo.validate import NotUtf8Error, decode_utf8, strip_bom, validate_paths
from tests.conftest import csv_text, write_zones, zone_feature
from tests.test_validate_records import AGREEMENT


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
