"""Loaders (geo.io): typed frames from validated files, errors that carry every problem."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.errors import DataError, RecordError, ZoneFileError
from geo.io import load_dataset, read_agreements, read_violations, read_zones
from tests.conftest import DATA, write_zones, zone_feature


def test_load_dataset_types(data_copy):
    ds = load_dataset(data_copy)
    assert str(ds.zones.crs) == "EPSG:4326"
    for frame, columns in (
        (ds.zones, ["valid_from", "valid_to"]),
        (ds.agreements, ["signed", "effective_from", "effective_to"]),
        (ds.violations, ["occurred", "occurred_end"]),
    ):
        for column in columns:
            assert str(frame[column].dtype) == "datetime64[ns, UTC]", column
    assert ds.violations["lat"].dtype == "float64"
    assert str(ds.violations["casualties"].dtype) == "Int64"
    assert set(ds.violations["dataset"]) == {"bundled"}
    assert ds.violations.geometry.geom_type.eq("Point").all()
    assert (ds.violations["occurred_end"] > ds.violations["occurred"]).all()
    assert all(isinstance(z, tuple) for z in ds.agreements["zone_ids"])


def test_open_ended_values_are_missing_not_empty_strings(tmp_path):
    from tests.test_validate_entry import write_dataset
    from tests.test_validate_records import AGREEMENT, VIOLATION

    folder = write_dataset(tmp_path / "d", [zone_feature(valid_to="")], [AGREEMENT], [VIOLATION])
    ds = load_dataset(folder)
    assert pd.isna(ds.zones["valid_to"].iloc[0]) and ds.zones["valid_to"].dtype.tz is not None
    assert pd.isna(ds.agreements["effective_to"].iloc[0])
    assert pd.isna(ds.violations["casualties"].iloc[0])


def test_load_dataset_raises_with_every_error(data_copy):
    text = (data_copy / "violations.csv").read_text(encoding="utf-8")
    text = text.replace(",day,", ",fortnight,", 2)
    (data_copy / "violations.csv").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="2 errors in the data") as info:
        load_dataset(data_copy)
    assert [p.code for p in info.value.problems if p.severity == "error"] == ["bad-choice"] * 2


def test_missing_folder():
    with pytest.raises(DataError, match="no such data folder"):
        load_dataset("/no/such/folder")


def test_read_zones_rejects_a_broken_file_with_its_problems(tmp_path):
    path = write_zones(tmp_path / "zones.geojson", zone_feature(valid_from="someday"))
    with pytest.raises(ZoneFileError) as info:
        read_zones(path)
    assert "dezmap validate" in info.value.message
    assert info.value.problems[0].where.startswith("feature 0 (zone_id=eastern-ghouta)")


def test_read_single_files_against_zones():
    zones = read_zones(DATA / "zones.geojson")
    agreements = read_agreements(DATA / "agreements.csv", zone_ids=set(zones["zone_id"]))
    violations = read_violations(DATA / "violations.csv", zones=zones)
    assert len(agreements) >= 20 and len(violations) >= 40


def test_read_violations_reports_unknown_zone(tmp_path):
    zones = read_zones(DATA / "zones.geojson")
    text = (DATA / "violations.csv").read_text(encoding="utf-8").replace(",idlib,", ",idleb,", 1)
    path = tmp_path / "violations.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecordError) as info:
        read_violations(path, zones=zones)
    assert "did you mean 'idlib'" in info.value.problems[0].message
