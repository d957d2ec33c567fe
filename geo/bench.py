"""Benchmark of the join and the status query (``dezmap bench``).

Seeded synthetic incidents are spread over the bundled zone versions and years: most fall
inside a zone version at a time when it was valid, the rest anywhere in the national extent.
For each size the benchmark measures, in a fresh process (so that peak memory is that size's
own):

- **join**: :func:`geo.timemodel.build_timeline` (zone index, join of every incident against
  every zone version at its own time, agreement index);
- **status**: :func:`geo.timemodel.status_at` for every zone at one instant, over many random
  instants (median and 95th percentile), with all incidents loaded;
- **peak memory**: the process's maximum resident set size, and what it was before the
  incidents were generated;
- **baseline**: the straightforward approach, ``geopandas.sjoin`` of the incident points
  against every zone version and then filtering by date, once for the join and again for
  each status query; and the ratio baseline / dezmap.

Timing is wall-clock on whatever machine runs it; it is a measurement, not a test.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
_KINDS = np.array(schema.VIOLATION_KINDS[:-1])
_PERPETRATORS = np.array(["government forces", "opposition groups", "unknown", "militias"])
_PRECISIONS = np.array(["hour", "day", "week", "month"])
_PRECISION_WEIGHTS = np.array([0.15, 0.70, 0.10, 0.05])
_NS_PER_HOUR = 3600 * 10**9
_OPEN_END = pd.Timestamp("2023-01-01", tz="UTC")


def synthetic_incidents(zones: gpd.GeoDataFrame, n: int, seed: int = 7) -> pd.DataFrame:
    """Make ``n`` seeded synthetic incidents spread over the zone versions and years.

    80% fall inside a randomly chosen zone version (uniformly in its outline, at a time when
    it was valid); 20% anywhere in the national extent between 2016 and 2022. Dates get a
    precision (hour 15%, day 70%, week 10%, month 5%) and the matching interval.

    Returns a frame with the columns the join needs and those the filters use.
    """
    rng = np.random.default_rng(seed)
    versions = zones.reset_index(drop=True)
    local = versions[versions["zone_id"] != "syria-nationwide"].index.to_numpy()
    nation = versions[versions["zone_id"] == "syria-nationwide"].index.to_numpy()
    inside = rng.random(n) < 0.8
    chosen = np.where(inside, rng.choice(local, n), rng.choice(nation, n))
    lon = np.empty(n)
    lat = np.empty(n)
    start_ns = np.empty(n, dtype=np.int64)
    for v in np.unique(chosen):
        rows = np.flatnonzero(chosen == v)
        lon[rows], lat[rows] = _points_in(versions.geometry.iloc[v], rows.size, rng)
        lo = versions["valid_from"].iloc[v]
        hi = versions["valid_to"].iloc[v]
        hi = _OPEN_END if pd.isna(hi) else hi
        start_ns[rows] = rng.integers(lo.value, hi.value, rows.size)
    precision = rng.choice(_PRECISIONS, n, p=_PRECISION_WEIGHTS)
    start, end = _intervals(start_ns, precision)
    return pd.DataFrame(
        {
            "violation_id": pd.RangeIndex(n).astype(str),
            "occurred": start,
            "occurred_end": end,
            "date_precision": pd.Categorical(precision),
            "lat": lat,
            "lon": lon,
            "location_precision": pd.Categorical(rng.choice(["exact", "town", "district"], n)),
            "kind": pd.Categorical(rng.choice(_KINDS, n)),
            "alleged_perpetrator": pd.Categorical(rng.choice(_PERPETRATORS, n)),
            "dataset": pd.Categorical(["synthetic"] * n),
        }
    )


def _points_in(polygon, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform random points inside a polygon, by rejection from its bounding box."""
    x0, y0, x1, y1 = polygon.bounds
    shapely.prepare(polygon)
    xs, ys = [], []
    need = count
    while need > 0:
        batch = max(64, int(need * 1.5 * (x1 - x0) * (y1 - y0) / max(polygon.area, 1e-12)))
        x = rng.uniform(x0, x1, batch)
        y = rng.uniform(y0, y1, batch)
        keep = shapely.contains_xy(polygon, x, y)
        xs.append(x[keep][:need])
        ys.append(y[keep][:need])
        need -= int(min(keep.sum(), need))
    return np.concatenate(xs), np.concatenate(ys)


def _intervals(start_ns: np.ndarray, precision: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """Floor each instant to its precision in Damascus wall-clock time; give [start, end)."""
    wall = pd.to_datetime(start_ns, utc=True).tz_convert(schema.DAMASCUS).tz_localize(None)
    floor = wall.floor("h").where(precision == "hour", wall.normalize())
    month = precision == "month"
    floor = floor.where(~month, wall.to_period("M").to_timestamp())
    steps = {
        "hour": pd.DateOffset(hours=1),
        "day": pd.DateOffset(days=1),
        "week": pd.DateOffset(days=7),
        "month": pd.DateOffset(months=1),
    }
    end = floor.copy()
    for name, step in steps.items():
        rows = precision == name
        end = end.where(~rows, floor + step)

    def to_utc(naive: pd.DatetimeIndex) -> pd.Series:
        # a local midnight that does not exist (summer time began at 00:00) is the change
        local = naive.tz_localize(
            schema.DAMASCUS, nonexistent="shift_forward", ambiguous=np.ones(len(naive), dtype=bool)
        )
        return pd.Series(local.tz_convert("UTC")).astype("datetime64[ns, UTC]")

    return to_utc(floor), to_utc(end)


# --- the straightforward approach ---------------------------------------------------------------


def baseline_join(incidents: pd.DataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """geopandas.sjoin of the points against every zone version, then a filter on dates."""
    points = gpd.GeoDataFrame(
        incidents[["occurred", "occurred_end"]],
        geometry=gpd.points_from_xy(incidents["lon"], incidents["lat"]),
        crs="EPSG:4326",
    )
    joined = gpd.sjoin(
        points, zones[["zone_id", "valid_from", "valid_to", "geometry"]], predicate="intersects"
    )
    open_end = joined["valid_to"].isna()
    keep = (joined["occurred"] < joined["valid_to"].where(~open_end, _FAR)) & (
        joined["occurred_end"] > joined["valid_from"]
    )
    return joined[keep]


_FAR = pd.Timestamp("2262-01-01", tz="UTC")


def baseline_status(
    incidents: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    agreements: pd.DataFrame,
    at: pd.Timestamp,
    window_days: float = 7.0,
) -> pd.DataFrame:
    """The status query done the straightforward way: sjoin, then filter, for one instant."""
    joined = baseline_join(incidents, zones)
    lo = at - pd.Timedelta(days=window_days)
    current = zones[
        (zones["valid_from"] <= at) & (zones["valid_to"].isna() | (zones["valid_to"] > at))
    ]
    rows = []
    for zone_id in current["zone_id"]:
        named = agreements[agreements["zone_ids"].map(lambda z, zid=zone_id: zid in z)]
        in_force = named[
            (named["effective_from"] <= at)
            & (named["effective_to"].isna() | (named["effective_to"] > at))
        ]
        start = max(lo, in_force["effective_from"].min()) if len(in_force) else lo
        mine = joined[
            (joined["zone_id"] == zone_id)
            & (joined["occurred"] < at)
            & (joined["occurred_end"] > start)
        ]
        if len(in_force):
            # a zone whose incidents only partly overlap the window may have been violated
            certain = (mine["occurred"] >= start) & (mine["occurred_end"] <= at)
            if not len(mine):
                status = "holding"
            else:
                status = "violated" if certain.any() else "possibly-violated"
        else:
            status = "lapsed" if (named["effective_to"] <= at).any() else "none"
        # an interval that spans a boundary change matches two versions: count it once
        rows.append((zone_id, status, mine.index.nunique()))
    return pd.DataFrame(rows, columns=["zone_id", "status", "violations"])


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class SizeResult:
    """Figures for one size."""

    incidents: int
    matches: int
    generate_s: float
    join_s: float
    status_median_ms: float
    status_p95_ms: float
    status_queries: int
    peak_rss_mb: float
    rss_before_mb: float
    baseline_join_s: float | None
    baseline_status_ms: float | None
    join_ratio: float | None
    status_ratio: float | None
    status_agrees_with_baseline: bool | None


def _rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_size(
    n: int, *, seed: int = 7, queries: int = 200, baseline: bool = True, baseline_queries: int = 3
) -> SizeResult:
    """Measure one size in this process (see the module docstring)."""
    from geo.config import default_data_dir
    from geo.io import load_dataset
    from geo.timemodel import build_timeline, status_at

    dataset = load_dataset(default_data_dir())
    before = _rss_mb()
    t0 = time.perf_counter()
    incidents = synthetic_incidents(dataset.zones, n, seed)
    generate = time.perf_counter() - t0

    t0 = time.perf_counter()
    timeline = build_timeline(dataset.zones, dataset.agreements, incidents)
    join = time.perf_counter() - t0

    rng = np.random.default_rng(seed + 1)
    lo, hi = pd.Timestamp("2016-06-01", tz="UTC").value, pd.Timestamp("2022-06-01", tz="UTC").value
    instants = [pd.Timestamp(int(v), tz="UTC") for v in rng.integers(lo, hi, queries)]
    status_at(timeline, instants[0])  # warm-up
    times = []
    for at in instants:
        t0 = time.perf_counter()
        status_at(timeline, at)
        times.append((time.perf_counter() - t0) * 1000)
    peak = _rss_mb()

    base_join = base_status = None
    agrees = None
    if baseline:
        t0 = time.perf_counter()
        baseline_join(incidents, dataset.zones)
        base_join = time.perf_counter() - t0
        base_times = []
        agrees = True
        for at in instants[:baseline_queries]:
            t0 = time.perf_counter()
            theirs = baseline_status(incidents, dataset.zones, dataset.agreements, at)
            base_times.append((time.perf_counter() - t0) * 1000)
            ours = status_at(timeline, at)[["zone_id", "status", "violations"]]
            agrees &= (
                ours.sort_values("zone_id")
                .reset_index(drop=True)
                .equals(theirs.sort_values("zone_id").reset_index(drop=True))
            )
        base_status = statistics.median(base_times)
    median = statistics.median(times)
    return SizeResult(
        incidents=n,
        matches=len(timeline.matches),
        generate_s=round(generate, 3),
        join_s=round(join, 3),
        status_median_ms=round(median, 3),
        status_p95_ms=round(float(np.percentile(times, 95)), 3),
        status_queries=queries,
        peak_rss_mb=round(peak, 1),
        rss_before_mb=round(before, 1),
        baseline_join_s=None if base_join is None else round(base_join, 3),
        baseline_status_ms=None if base_status is None else round(base_status, 2),
        join_ratio=None if base_join is None else round(base_join / join, 1),
        status_ratio=None if base_status is None else round(base_status / median, 1),
        status_agrees_with_baseline=agrees,
    )


def run(
    sizes: tuple[int, ...] = DEFAULT_SIZES,
    *,
    seed: int = 7,
    queries: int = 200,
    baseline: bool = True,
) -> list[SizeResult]:
    """Measure each size in a fresh Python process and collect the figures."""
    results = []
    for n in sizes:
        command = [
            sys.executable,
            "-m",
            "geo.bench",
            str(n),
            str(seed),
            str(queries),
            "1" if baseline else "0",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=Path.cwd())
        if done.returncode != 0:
            raise RuntimeError(f"benchmark of {n} incidents failed:\n{done.stderr[-2000:]}")
        results.append(SizeResult(**json.loads(done.stdout.strip().split("\n")[-1])))
    return results


def format_table(results: list[SizeResult]) -> str:
    """The figures as a plain-text table."""
    head = (
        f"{'incidents':>10} {'join s':>8} {'status ms':>10} {'p95 ms':>8} {'peak MB':>8} "
        f"{'sjoin s':>8} {'ratio':>6} {'sjoin status ms':>16} {'ratio':>7} {'same':>5}"
    )
    lines = [head]
    for r in results:

        def fmt(value, spec):
            return format(value, spec) if value is not None else "-"

        lines.append(
            f"{r.incidents:>10,} {r.join_s:>8.3f} {r.status_median_ms:>10.3f} "
            f"{r.status_p95_ms:>8.3f} {r.peak_rss_mb:>8.0f} {fmt(r.baseline_join_s, '>8.3f')} "
            f"{fmt(r.join_ratio, '>5.1f')}x {fmt(r.baseline_status_ms, '>16.1f')} "
            f"{fmt(r.status_ratio, '>6.0f')}x {str(r.status_agrees_with_baseline):>5}"
        )
    return "\n".join(lines)


def _main(argv: list[str]) -> None:
    n, seed, queries, baseline = int(argv[0]), int(argv[1]), int(argv[2]), argv[3] == "1"
    result = measure_size(n, seed=seed, queries=queries, baseline=baseline)
    print(json.dumps(asdict(result)))


if __name__ == "__main__":  # pragma: no cover - run by run() in a subprocess
    _main(sys.argv[1:])
