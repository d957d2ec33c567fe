"""scripts/ucdp_coverage.py: bundled violations against UCDP GED events per zone and month.

Runs on a few real UCDP rows (from the shared real data) and the bundled data folder."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

from geo.io import load_dataset
from tests.conftest import DATA, ROOT, needs_realdata

TAFAS = "243515"  # Tafas, 15 Jun 2017, state-based, 11 deaths (southern zone)
KAFR_SHAMS = "242127"  # Kafr Shams, 1 Jun 2017, state-based, 20 deaths (southern zone)
DARAT_IZZAH = "276102"  # Darat Izzah, 1-2 Jan 2019, HTS against the NLF, 46 deaths (Idlib)
LONG = "900000001"  # synthetic: the Tafas row stretched over 60 days, 500 deaths


def load_script():
    path = ROOT / "scripts" / "ucdp_coverage.py"
    spec = importlib.util.spec_from_file_location("ucdp_coverage", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def uc():
    return load_script()


@pytest.fixture(scope="module")
def sample(uc, tmp_path_factory):
    """A UCDP CSV with three real rows and one synthetic long event."""
    source = needs_realdata() / uc.UCDP_FILE
    if not source.is_file():
        pytest.skip(f"{source} not found")
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    rows = frame[frame["id"].isin([TAFAS, KAFR_SHAMS, DARAT_IZZAH])].copy()
    assert len(rows) == 3
    long = rows[rows["id"] == TAFAS].copy()
    long[["id", "date_end", "best", "high", "low"]] = [LONG, "2017-08-15", "500", "500", "500"]
    path = tmp_path_factory.mktemp("ucdp") / "sample.csv"
    pd.concat([rows, long]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(DATA)


@pytest.fixture(scope="module")
def incidents(uc, sample):
    return uc.ucdp_incidents(sample)


def table_for(uc, dataset, incidents, violations=None, **kw):
    bundled = dataset.violations if violations is None else violations
    timeline = uc.coverage_timeline(dataset.zones, dataset.agreements, bundled, incidents)
    return uc.coverage(timeline, **kw)


def row(table, zone_id, month):
    rows = table[(table["zone_id"] == zone_id) & (table["month"] == month)]
    assert len(rows) == 1, (zone_id, month)
    return rows.iloc[0]


def test_ucdp_rows_are_imported_with_their_type_of_violence(incidents):
    kinds = dict(zip(incidents["violation_id"], incidents["type_of_violence"], strict=True))
    assert kinds[TAFAS] == "1" and kinds[DARAT_IZZAH] == "2"


def test_a_month_with_a_bundled_violation_is_not_a_gap(uc, dataset, incidents):
    table = table_for(uc, dataset, incidents)
    june = row(table, "southern", "2017-06")
    assert june["bundled"] >= 1  # the Tafas school strike of 14 June 2017
    assert (june["ucdp_events"], june["ucdp_deaths"], june["ucdp_state_based_deaths"]) == (
        2,
        31,
        31,
    )
    assert june["agreement_in_force"]
    assert uc.gaps(table).query("zone_id == 'southern' and month == '2017-06'").empty


def test_without_the_bundled_violation_the_month_is_a_gap(uc, dataset, incidents):
    others = dataset.violations[dataset.violations["violation_id"] != "v-20170614-tafas-school"]
    table = table_for(uc, dataset, incidents, violations=others)
    gaps = uc.gaps(table, min_deaths=25)
    gap = row(gaps, "southern", "2017-06")
    assert (gap["bundled"], gap["ucdp_deaths"]) == (0, 31)
    assert row(uc.gaps(table, min_deaths=31), "southern", "2017-06")["ucdp_deaths"] == 31
    assert uc.gaps(table, min_deaths=32).query("zone_id == 'southern'").empty


def test_events_longer_than_a_month_are_left_out(uc, dataset, incidents):
    table = table_for(uc, dataset, incidents)
    assert table["ucdp_deaths"].max() < 500
    assert table.query("zone_id == 'southern'")["ucdp_events"].sum() == 2


def test_non_state_deaths_are_counted_apart(uc, dataset, incidents):
    january = row(table_for(uc, dataset, incidents), "idlib", "2019-01")
    assert (january["ucdp_deaths"], january["ucdp_state_based_deaths"]) == (46, 0)


def test_the_national_extent_only_on_request(uc, dataset, incidents):
    assert "syria-nationwide" not in set(table_for(uc, dataset, incidents)["zone_id"])
    table = table_for(uc, dataset, incidents, include_nationwide=True)
    assert row(table, "syria-nationwide", "2017-06")["ucdp_deaths"] == 31


def test_main_prints_the_gaps_as_a_markdown_table(uc, sample, capsys):
    assert uc.main(["--ucdp", str(sample), "--min-deaths", "40"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("| zone | month | bundled |")
    assert "| idlib | 2019-01 | 0 | 1 | 46 | 0 | yes |" in out
    assert not any("southern" in line for line in out)


def test_the_gap_table_in_data_readme_is_current(uc, capsys):
    """data/README.md reports the gaps of the bundled data against the whole UCDP file."""
    source = needs_realdata() / uc.UCDP_FILE
    if not source.is_file():
        pytest.skip(f"{source} not found")
    assert uc.main(["--ucdp", str(source)]) == 0
    table = capsys.readouterr().out.strip()
    assert table.count("\n") > 2
    assert table in (DATA / "README.md").read_text(encoding="utf-8")
