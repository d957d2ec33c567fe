"""The benchmark's parts (geo.bench): its data and its baseline are right; nothing is timed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo.bench import baseline_status, format_table, measure_size, synthetic_incidents
from geo.io import load_dataset
from geo.timemodel import build_timeline, status_at
from tests.conftest import DATA


def test_synthetic_incidents_are_seeded_valid_intervals_inside_the_country():
    zones = load_dataset(DATA).zones
    a = synthetic_incidents(zones, 3000, seed=3)
    b = synthetic_incidents(zones, 3000, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(synthetic_incidents(zones, 3000, seed=4))
    assert (a["occurred_end"] > a["occurred"]).all()
    nation = zones[zones["zone_id"] == "syria-nationwide"].geometry.iloc[0]
    assert shapely.intersects_xy(nation, a["lon"], a["lat"]).all()
    hours = a[a["date_precision"] == "hour"]
    assert ((hours["occurred_end"] - hours["occurred"]) == pd.Timedelta(hours=1)).all()
    assert (
        a["occurred"].dt.tz_convert("Asia/Damascus").dt.hour[a["date_precision"] == "day"] <= 1
    ).all()


def test_status_agrees_with_the_straightforward_sjoin_approach():
    ds = load_dataset(DATA)
    incidents = synthetic_incidents(ds.zones, 5000, seed=11)
    timeline = build_timeline(ds.zones, ds.agreements, incidents)
    rng = np.random.default_rng(5)
    instants = pd.to_datetime(
        rng.integers(pd.Timestamp("2016-03-01").value, pd.Timestamp("2022-01-01").value, 25),
        utc=True,
    )
    for at in instants:
        ours = status_at(timeline, at)[["zone_id", "status", "violations"]]
        theirs = baseline_status(incidents, ds.zones, ds.agreements, at)
        pd.testing.assert_frame_equal(
            ours.sort_values("zone_id").reset_index(drop=True),
            theirs.sort_values("zone_id").reset_index(drop=True),
        )


def test_measure_size_reports_every_figure():
    result = measure_size(2000, queries=5, baseline_queries=1)
    assert result.incidents == 2000 and result.matches >= 2000
    assert result.status_agrees_with_baseline is True
    assert result.peak_rss_mb >= result.rss_before_mb > 0
    assert "2,000" in format_table([result])
