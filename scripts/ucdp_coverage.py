"""Where the bundled violations may be missing events: UCDP GED deaths per zone and month.

For each zone and Damascus calendar month, compare the bundled violations counted in the zone
(by position, or linked through ``agreement_ids``) with the UCDP GED events joined to the same
zone version (the outline valid at each event's own time), and list the months in which UCDP
records many deaths while the bundled data has nothing. It tells a curator where to look; a
UCDP event is not by itself a violation (UCDP also counts fighting with IS, between rebel
groups, and deaths on the zone's front lines).

Usage, from the checkout::

    .venv/bin/python scripts/ucdp_coverage.py                 # the gaps, as a Markdown table
    .venv/bin/python scripts/ucdp_coverage.py --all           # every zone-month with events
    .venv/bin/python scripts/ucdp_coverage.py --min-deaths 50 --ucdp FILE --data DIR

The UCDP file defaults to ``$DEZMAP_REALDATA/events/ucdp_ged_syria_2016-01-01_2019-11-30.csv``
(``../shared/realdata`` when the variable is unset). It is imported with dezmap's own UCDP
importer into a temporary folder; nothing is written to the data folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from geo import schema  # noqa: E402
from geo.timemodel import AgreementIndex, Timeline, build_timeline  # noqa: E402

UCDP_FILE = "events/ucdp_ged_syria_2016-01-01_2019-11-30.csv"
UCDP_SET = "ucdp-ged"
NATIONWIDE = "syria-nationwide"
#: UCDP events longer than this are left out: a month or year of fighting says nothing about
#: the month it starts in.
MAX_EVENT_DAYS = 31
COLUMNS = [
    "zone_id",
    "month",
    "bundled",
    "ucdp_events",
    "ucdp_deaths",
    "ucdp_state_based_deaths",
    "agreement_in_force",
]


def realdata_dir() -> Path:
    """The shared real-data folder (``$DEZMAP_REALDATA`` or ``../shared/realdata``)."""
    return Path(os.environ.get("DEZMAP_REALDATA", ROOT.parent / "shared" / "realdata"))


def ucdp_incidents(path: str | Path) -> pd.DataFrame:
    """Import a UCDP GED CSV file with dezmap's importer; return its incidents frame.

    Adds ``type_of_violence`` (1 state-based, 2 non-state, 3 one-sided) read from the file.
    """
    from geo.datasets import read_dataset
    from geo.importers import run_import

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{UCDP_SET}.parquet"
        run_import("ucdp", path, out, progress=False)
        frame, _ = read_dataset(out)
    types = pd.read_csv(path, usecols=["id", "type_of_violence"], dtype=str)
    kinds = dict(zip(types["id"].str.strip(), types["type_of_violence"], strict=True))
    return frame.assign(type_of_violence=frame["violation_id"].map(kinds))


def coverage_timeline(
    zones: pd.DataFrame, agreements: pd.DataFrame, bundled: pd.DataFrame, ucdp: pd.DataFrame
) -> Timeline:
    """One timeline holding the bundled violations and the UCDP events, joined once."""
    days = (ucdp["occurred_end"] - ucdp["occurred"]).dt.total_seconds() / 86_400
    ucdp = ucdp[days <= MAX_EVENT_DAYS]
    incidents = pd.concat(
        [bundled.assign(dataset="bundled"), ucdp.assign(dataset=UCDP_SET)], ignore_index=True
    )
    import geopandas as gpd

    incidents = gpd.GeoDataFrame(
        incidents,
        geometry=gpd.points_from_xy(incidents["lon"], incidents["lat"]),
        crs="EPSG:4326",
    )
    return build_timeline(zones, agreements, incidents)


def coverage(timeline: Timeline, *, include_nationwide: bool = False) -> pd.DataFrame:
    """Per zone and Damascus month: bundled violations against UCDP events and deaths.

    Parameters
    ----------
    timeline
        From :func:`coverage_timeline` (incidents whose ``dataset`` is ``bundled`` or
        ``ucdp-ged``).
    include_nationwide
        Also report the national extent (every event in Syria falls in it).

    Returns
    -------
    pandas.DataFrame
        One row per zone-month with a bundled violation or a UCDP event: ``zone_id``,
        ``month`` (``YYYY-MM``), ``bundled`` (violations that began that month, counted in the
        zone), ``ucdp_events``, ``ucdp_deaths`` (sum of UCDP's best estimates),
        ``ucdp_state_based_deaths`` (of those, type 1: state forces against rebels) and
        ``agreement_in_force`` (an agreement naming the zone was in force some time that
        month).
    """
    zi, m, ai = timeline.zones, timeline.matches, timeline.agreements
    inc = timeline.incidents
    dataset = inc["dataset"].to_numpy()
    deaths = inc["casualties"].astype("float64").fillna(0).to_numpy()
    state = (inc.get("type_of_violence", pd.Series("", index=inc.index)) == "1").to_numpy()
    rows = []
    for code, zone_id in enumerate(zi.zone_ids):
        if zone_id == NATIONWIDE and not include_nationwide:
            continue
        part = m.of_zone(code)
        if part.stop == part.start:
            continue
        idx = m.incident[part]
        months = (
            pd.to_datetime(m.start[part], utc=True).tz_convert(schema.DAMASCUS).strftime("%Y-%m")
        )
        frame = pd.DataFrame(
            {
                "month": months,
                "bundled": dataset[idx] == "bundled",
                "ucdp": dataset[idx] == UCDP_SET,
                "deaths": np.where(dataset[idx] == UCDP_SET, deaths[idx], 0.0),
                "state_deaths": np.where((dataset[idx] == UCDP_SET) & state[idx], deaths[idx], 0),
            }
        )
        grouped = frame.groupby("month").agg(
            bundled=("bundled", "sum"),
            ucdp_events=("ucdp", "sum"),
            ucdp_deaths=("deaths", "sum"),
            ucdp_state_based_deaths=("state_deaths", "sum"),
        )
        for month, g in grouped.iterrows():
            rows.append(
                (
                    zone_id,
                    month,
                    int(g["bundled"]),
                    int(g["ucdp_events"]),
                    int(g["ucdp_deaths"]),
                    int(g["ucdp_state_based_deaths"]),
                    _in_force(ai, code, str(month)),
                )
            )
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["zone_id", "month"], kind="stable").reset_index(drop=True)


def _in_force(ai: AgreementIndex, code: int, month: str) -> bool:
    """Whether an agreement naming the zone overlaps the Damascus month ``YYYY-MM``."""
    year, number = (int(x) for x in month.split("-"))
    lo, hi = schema.precision_interval(schema.local_midnight(dt.date(year, number, 1)), "month")
    agr = ai.by_zone[code]
    lo_ns, hi_ns = pd.Timestamp(lo).value, pd.Timestamp(hi).value
    return bool(np.any((ai.start[agr] < hi_ns) & (ai.end[agr] > lo_ns)))


def gaps(table: pd.DataFrame, *, min_deaths: int = 25) -> pd.DataFrame:
    """The zone-months with at least ``min_deaths`` UCDP deaths and no bundled violation."""
    wanted = (table["bundled"] == 0) & (table["ucdp_deaths"] >= min_deaths)
    return table[wanted].reset_index(drop=True)


def markdown(table: pd.DataFrame) -> str:
    """A Markdown table of the rows."""
    lines = [
        "| zone | month | bundled | UCDP events | UCDP deaths | of which state-based "
        "| agreement in force |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.zone_id} | {r.month} | {r.bundled} | {r.ucdp_events} | {r.ucdp_deaths} | "
            f"{r.ucdp_state_based_deaths} | {'yes' if r.agreement_in_force else 'no'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the coverage gaps (or every zone-month) as a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ucdp", type=Path, help="a UCDP GED CSV file")
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="the data folder")
    parser.add_argument("--min-deaths", type=int, default=25, help="threshold (default 25)")
    parser.add_argument("--all", action="store_true", help="every zone-month, not only gaps")
    parser.add_argument(
        "--include-nationwide", action="store_true", help="also the national extent"
    )
    args = parser.parse_args(argv)
    from geo.io import load_dataset

    path = args.ucdp or realdata_dir() / UCDP_FILE
    if not path.is_file():
        parser.error(f"{path}: no such UCDP file; pass --ucdp FILE or set DEZMAP_REALDATA")
    ds = load_dataset(args.data)
    timeline = coverage_timeline(ds.zones, ds.agreements, ds.violations, ucdp_incidents(path))
    table = coverage(timeline, include_nationwide=args.include_nationwide)
    print(markdown(table if args.all else gaps(table, min_deaths=args.min_deaths)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
