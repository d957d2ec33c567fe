"""Imported data sets (geo.datasets): storage, metadata, typed reading, listing and loading."""

from __future__ import annotations

import datetime as dt
import json
import os

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from geo.atomic import temp_name_pattern
from geo.datasets import (
    METADATA_KEY,
    DatasetWriter,
    dataset_name,
    dataset_path,
    default_output,
    list_datasets,
    load_agreements,
    load_incidents,
    read_dataset,
    read_info,
    slugify,
    write_dataset,
)
from geo.errors import DataError, ImportFileError, Report, UsageError
from geo.importers import run_import
from geo.io import AGREEMENT_FRAME_COLUMNS, VIOLATION_FRAME_COLUMNS, load_dataset
from tests.conftest import DATA, TEST_DATA, needs_realdata


@pytest.fixture(scope="module")
def bundled():
    return load_dataset(DATA)


@pytest.fixture
def data_dir(tmp_path):
    """A data folder with two imported incident sets and one agreements set."""
    imported = tmp_path / "imported"
    run_import("acled", TEST_DATA / "acled_syria_synthetic.csv", imported / "acled-new.parquet")
    run_import(
        "acled", TEST_DATA / "acled_syria_synthetic_upper.csv", imported / "acled-old.parquet"
    )
    return tmp_path


def write_pax(data_dir, bundled, name="pax-curated"):
    path = dataset_path(data_dir, name)
    return write_dataset(
        bundled.agreements, path, kind="agreements", format="pax", source_file="a.csv", skipped=0
    )


# --- round trips -----------------------------------------------------------------------------


def test_incidents_round_trip_keeps_values_and_dtypes(tmp_path, bundled):
    violations = bundled.violations
    info = write_dataset(
        violations,
        tmp_path / "imported" / "curated.parquet",
        kind="incidents",
        format="ucdp",
        source_file="/some/where/ged.csv",
        skipped=3,
    )
    frame, read = read_dataset(info.path)
    assert read == info
    assert list(frame.columns) == VIOLATION_FRAME_COLUMNS
    assert frame.dtypes.to_dict() == violations.dtypes.to_dict()
    assert str(frame.crs) == "EPSG:4326"
    assert frame.drop(columns="dataset").equals(violations.drop(columns="dataset"))
    assert set(frame["dataset"]) == {"curated"}
    assert frame["casualties"].isna().sum() == violations["casualties"].isna().sum() > 0


def test_imported_incidents_have_the_dtypes_of_the_violations_frame(data_dir, bundled):
    frame, info = read_dataset(dataset_path(data_dir, "acled-new"))
    assert info.kind == "incidents" and info.rows == len(frame) == 16
    assert frame.dtypes.to_dict() == bundled.violations.dtypes.to_dict()
    assert str(frame["occurred"].dtype) == "datetime64[ns, UTC]"
    assert frame.geometry.x.tolist() == frame["lon"].tolist()


def test_agreements_round_trip_keeps_values_and_dtypes(tmp_path, bundled):
    agreements = bundled.agreements
    info = write_pax(tmp_path, bundled)
    frame, read = read_dataset(info.path)
    assert (read.kind, read.format, read.rows) == ("agreements", "pax", len(agreements))
    assert list(frame.columns) == [*AGREEMENT_FRAME_COLUMNS, "dataset"]
    assert frame.drop(columns="dataset").dtypes.to_dict() == agreements.dtypes.to_dict()
    assert frame.drop(columns="dataset").equals(agreements)
    assert all(isinstance(z, tuple) for z in frame["zone_ids"])
    assert frame["effective_to"].isna().any()


def test_metadata_says_what_the_file_is(data_dir):
    path = dataset_path(data_dir, "acled-new")
    meta = json.loads(pq.read_schema(path).metadata[METADATA_KEY])
    assert {k: meta[k] for k in ("kind", "format", "name", "source_file", "rows", "skipped")} == {
        "kind": "incidents",
        "format": "acled",
        "name": "acled-new",
        "source_file": "acled_syria_synthetic.csv",
        "rows": 16,
        "skipped": 0,
    }
    stamp = dt.datetime.fromisoformat(meta["imported_at"].replace("Z", "+00:00"))
    assert meta["imported_at"].endswith("Z")
    assert abs(dt.datetime.now(dt.UTC) - stamp) < dt.timedelta(minutes=5)
    assert read_info(path).imported_at == stamp


def test_write_is_atomic(tmp_path, bundled, monkeypatch):
    path = tmp_path / "imported" / "curated.parquet"
    write_dataset(
        bundled.violations, path, kind="incidents", format="acled", source_file="a.csv", skipped=0
    )
    before = path.read_bytes()

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        write_dataset(
            bundled.violations.iloc[:3],
            path,
            kind="incidents",
            format="acled",
            source_file="b.csv",
            skipped=0,
        )
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert list(path.parent.iterdir()) == [path]


# --- writing piece by piece ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["incidents", "agreements"])
def test_a_set_written_in_pieces_is_the_set_written_at_once(tmp_path, bundled, kind):
    frame = bundled.violations if kind == "incidents" else bundled.agreements
    args = {"kind": kind, "format": "pax" if kind == "agreements" else "ucdp"}
    once = write_dataset(
        frame, tmp_path / "a" / "set.parquet", source_file="x.csv", skipped=4, **args
    )
    cuts = [0, 1, 2, len(frame) // 2, len(frame)]
    with DatasetWriter(tmp_path / "b" / "set.parquet", source_file="/in/x.csv", **args) as writer:
        for start, stop in zip(cuts, cuts[1:], strict=False):
            writer.write(frame.iloc[start:stop])
        writer.write(frame.iloc[:0])  # nothing to add: no row group either
        pieces = writer.close(skipped=4)
    assert pq.ParquetFile(pieces.path).num_row_groups == 4
    assert pq.ParquetFile(once.path).num_row_groups == 1
    a, info_a = read_dataset(once.path)
    b, info_b = read_dataset(pieces.path)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert info_b == pieces
    assert (info_b.rows, info_b.skipped, info_b.source_file) == (len(frame), 4, "x.csv")
    assert (info_a.rows, info_a.skipped, info_a.source_file) == (len(frame), 4, "x.csv")
    # the same footer: the metadata is in the schema, where any Arrow reader finds it
    meta_a, meta_b = (pq.read_metadata(p).metadata for p in (once.path, pieces.path))
    assert meta_a.keys() == meta_b.keys() == {b"ARROW:schema", METADATA_KEY}
    assert pq.read_schema(once.path).equals(pq.read_schema(pieces.path), check_metadata=False)
    marks = [json.loads(pq.read_schema(p).metadata[METADATA_KEY]) for p in (once.path, pieces.path)]
    assert {**marks[0], "imported_at": ""} == {**marks[1], "imported_at": ""}


def test_a_set_being_written_is_a_hidden_temporary_file_until_it_is_closed(tmp_path, bundled):
    path = tmp_path / "imported" / "set.parquet"
    write_dataset(
        bundled.violations, path, kind="incidents", format="acled", source_file="a", skipped=0
    )
    before = path.read_bytes()
    os.chmod(path, 0o640)
    writer = DatasetWriter(path, kind="incidents", format="ucdp", source_file="b.csv")
    writer.write(bundled.violations.iloc[:5])
    [temporary] = [p for p in path.parent.iterdir() if p != path]
    assert temp_name_pattern("set.parquet").match(temporary.name)
    assert path.read_bytes() == before  # untouched while the new set is written
    info = writer.close(skipped=0)
    assert list(path.parent.iterdir()) == [path]
    assert (info.rows, read_info(path).format, read_info(path).rows) == (5, "ucdp", 5)
    assert path.stat().st_mode & 0o777 == 0o640  # the replaced file's permissions are kept
    with pytest.raises(ValueError, match="has been closed"):
        writer.write(bundled.violations.iloc[:1])


def test_an_abandoned_set_leaves_no_file_and_no_folder(tmp_path, bundled):
    path = tmp_path / "data" / "imported" / "set.parquet"
    writer = DatasetWriter(path, kind="incidents", format="ucdp", source_file="b.csv")
    assert not (tmp_path / "data").exists()  # nothing is made before the first write
    with pytest.raises(RuntimeError, match="stop"):
        with writer:
            writer.write(bundled.violations.iloc[:5])
            writer.write(bundled.violations.iloc[5:9])
            assert len(list(path.parent.iterdir())) == 1  # the temporary file
            raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []
    # an existing folder and set stay as they were
    write_dataset(
        bundled.violations, path, kind="incidents", format="acled", source_file="a", skipped=0
    )
    before = path.read_bytes()
    writer = DatasetWriter(path, kind="incidents", format="ucdp", source_file="b.csv")
    writer.write(bundled.violations.iloc[:5])
    with pytest.raises(ValueError, match="lacks column"):
        writer.write(bundled.violations.drop(columns="kind"))
    writer.abort()
    assert list(path.parent.iterdir()) == [path]
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "violations"}, "kind must be one of"),
        ({"format": "gdelt"}, "format must be one of"),
        ({"skipped": -1}, "must not be negative"),
    ],
)
def test_write_checks_its_arguments(tmp_path, bundled, kwargs, match):
    args = {"kind": "incidents", "format": "ucdp", "source_file": "x.csv", "skipped": 0} | kwargs
    with pytest.raises(ValueError, match=match):
        write_dataset(bundled.violations, tmp_path / "x.parquet", **args)
    with pytest.raises(ValueError, match="lacks column"):
        write_dataset(
            bundled.violations.drop(columns="kind"),
            tmp_path / "x.parquet",
            kind="incidents",
            format="ucdp",
            source_file="x",
            skipped=0,
        )
    assert list(tmp_path.iterdir()) == []


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("imported/ged.csv", "must end in .parquet"),
        ("imported/GED Syria.parquet", "ged-syria.parquet"),
        ("imported/bundled.parquet", "bundled-imported.parquet"),
        ("imported/a--b.parquet", "a-b.parquet"),
    ],
)
def test_bad_data_set_names_are_refused_with_a_suggestion(path, match):
    with pytest.raises(UsageError, match=match):
        dataset_name(path)


def test_names_and_default_output(tmp_path):
    assert dataset_name("x/ucdp-ged-19-1.parquet") == "ucdp-ged-19-1"
    assert slugify("ucdp_ged_syria_2016-01-01_2019-11-30") == "ucdp-ged-syria-2016-01-01-2019-11-30"
    assert slugify("***") == "dataset"
    assert (
        default_output(tmp_path, "/downloads/GED Syria.csv")
        == tmp_path / "imported" / "ged-syria.parquet"
    )


# --- files that are not data sets ------------------------------------------------------------


def test_a_file_that_is_not_parquet_is_refused(tmp_path):
    path = tmp_path / "fake.parquet"
    path.write_text("event_id_cnty,event_date\n")
    with pytest.raises(
        ImportFileError, match=r"fake.parquet: not a dezmap data set \(it cannot be read as Parquet"
    ):
        read_dataset(path)


def test_a_parquet_file_without_dezmap_metadata_is_refused(tmp_path):
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"a": [1, 2]}), path)
    with pytest.raises(
        ImportFileError,
        match="other.parquet: not a dezmap data set: the Parquet file has no dezmap metadata",
    ):
        read_dataset(path)


def test_damaged_metadata_and_missing_columns_are_refused(tmp_path):
    path = tmp_path / "damaged.parquet"
    pq.write_table(pa.table({"a": [1]}).replace_schema_metadata({METADATA_KEY: b"{not json"}), path)
    with pytest.raises(ImportFileError, match="metadata is damaged"):
        read_dataset(path)
    meta = {
        "kind": "incidents",
        "format": "ucdp",
        "name": "x",
        "source_file": "x.csv",
        "imported_at": "2024-01-01T00:00:00Z",
        "rows": 1,
        "skipped": 0,
    }
    pq.write_table(
        pa.table({"violation_id": ["a"]}).replace_schema_metadata(
            {METADATA_KEY: json.dumps(meta).encode()}
        ),
        path,
    )
    with pytest.raises(ImportFileError, match="lacks column"):
        read_dataset(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(ImportFileError, match="no such data set file"):
        read_dataset(tmp_path / "nope.parquet")


# --- data folders ----------------------------------------------------------------------------


def test_list_datasets_sorted_by_name(data_dir, bundled):
    write_pax(data_dir, bundled, "a-agreements")
    (data_dir / "imported" / ".acled-new.parquet.abc123.tmp").write_bytes(
        b"half"
    )  # an interrupted write
    infos = list_datasets(data_dir)
    assert [(i.name, i.kind, i.format, i.rows) for i in infos] == [
        ("a-agreements", "agreements", "pax", len(bundled.agreements)),
        ("acled-new", "incidents", "acled", 16),
        ("acled-old", "incidents", "acled", 12),
    ]
    assert infos[1].path == data_dir / "imported" / "acled-new.parquet"


def test_list_datasets_without_imported_folder(tmp_path):
    assert list_datasets(tmp_path) == []


def test_unreadable_files_are_reported_not_skipped(data_dir):
    (data_dir / "imported" / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="1 file cannot be read as dezmap data sets") as info:
        list_datasets(data_dir)
    [problem] = info.value.problems
    assert problem.path.endswith("junk.parquet") and problem.severity == "error"
    report = Report()
    assert [i.name for i in list_datasets(data_dir, report=report)] == ["acled-new", "acled-old"]
    assert [p.code for p in report] == ["unreadable-dataset"]


def test_load_incidents_combines_bundled_and_imported(data_dir, bundled):
    violations = bundled.violations
    before = violations.copy()
    frame = load_incidents(data_dir, violations)
    assert frame["dataset"].value_counts().to_dict() == {
        "bundled": len(violations),
        "acled-new": 16,
        "acled-old": 12,
    }
    assert list(frame.columns) == VIOLATION_FRAME_COLUMNS
    assert frame.dtypes.to_dict() == violations.dtypes.to_dict()
    assert list(frame.index) == list(range(len(frame)))
    assert str(frame.crs) == "EPSG:4326"
    assert frame.set_index("violation_id").loc["SYR800001", "dataset"] == "acled-old"
    assert violations.equals(before)


def test_load_incidents_only_named_sets(data_dir, bundled):
    frame = load_incidents(data_dir, bundled.violations, names=["acled-old", "bundled"])
    assert set(frame["dataset"]) == {"bundled", "acled-old"}
    with pytest.raises(UsageError, match="no imported data set 'acled'.*acled-new, acled-old"):
        load_incidents(data_dir, bundled.violations, names=["acled"])
    write_pax(data_dir, bundled)
    with pytest.raises(UsageError, match="'pax-curated' holds agreements, not incidents"):
        load_incidents(data_dir, bundled.violations, names=["pax-curated"])


def test_load_incidents_without_imported_sets_is_the_bundled_data(tmp_path, bundled):
    frame = load_incidents(tmp_path, bundled.violations)
    assert frame.equals(bundled.violations.reset_index(drop=True))


def test_load_agreements_combines_bundled_and_imported(data_dir, bundled):
    write_pax(data_dir, bundled)
    frame = load_agreements(data_dir, bundled.agreements)
    n = len(bundled.agreements)
    assert frame["dataset"].value_counts().to_dict() == {"bundled": n, "pax-curated": n}
    assert list(frame.columns) == [*AGREEMENT_FRAME_COLUMNS, "dataset"]
    assert list(frame.index) == list(range(2 * n))
    assert "dataset" not in bundled.agreements.columns
    assert isinstance(frame.loc[n, "zone_ids"], tuple)
    assert pd.api.types.is_datetime64_any_dtype(frame["signed"])


# --- a whole data folder ----------------------------------------------------------------------


def test_bundled_pax_citations_win_over_imported_pax_rows(data_copy):
    from geo.datasets import load_agreements
    from geo.importers import run_import
    from geo.io import load_dataset

    root = needs_realdata()
    run_import(
        "pax",
        root / "agreements" / "pax_v6_syria_slim.csv",
        data_copy / "imported" / "pax.parquet",
        progress=False,
    )
    agreements = load_agreements(data_copy, load_dataset(data_copy).agreements)
    ids = set(agreements["agreement_id"])
    assert "astana-deescalation-memorandum-2017" in ids  # bundled, cites PA-X 2093
    assert "pax-2093" not in ids
    assert "pax-1018" in ids  # not described by a bundled record
    assert agreements["agreement_id"].is_unique


def test_load_timeline_and_restrict(data_copy):
    from geo.datasets import dataset_names, load_timeline, restrict
    from geo.errors import UsageError
    from geo.importers import run_import

    root = needs_realdata()
    run_import(
        "ucdp",
        root / "events" / "ucdp_ged_syria_SAMPLE_zone_districts.csv",
        data_copy / "imported" / "ucdp.parquet",
        progress=False,
    )
    timeline = load_timeline(data_copy)
    assert dataset_names(timeline) == ["bundled", "ucdp"]
    only_bundled, mask = restrict(timeline, ["bundled"])
    assert mask.sum() == (timeline.incidents["dataset"] == "bundled").sum() > 0
    assert only_bundled.matches is timeline.matches  # no second join
    with pytest.raises(UsageError, match="the data sets are: bundled, ucdp"):
        restrict(timeline, ["acled"])
