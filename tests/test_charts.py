"""Zone timeline chart (geo.charts)."""

from __future__ import annotations

import pandas as pd

from geo.charts import status_segments, zone_timeline_chart
from geo.datasets import load_timeline
from geo.metrics import zone_daily
from tests.conftest import DATA


def test_status_segments_merge_runs():
    daily = pd.DataFrame(
        {
            "date": pd.date_range("2017-01-01", periods=5).date,
            "status": ["none", "none", "holding", "holding", "violated"],
        }
    )
    segments = status_segments(daily)
    assert list(segments["status"]) == ["none", "holding", "violated"]
    assert segments["end"].iloc[0] == pd.Timestamp("2017-01-03")


def test_zone_chart_has_agreements_incidents_and_status():
    timeline = load_timeline(DATA)
    daily = zone_daily(timeline, "daraa-al-balad")
    agreements = timeline.agreements.frame
    mine = agreements[agreements["zone_ids"].map(lambda z: "daraa-al-balad" in z)]
    spec = zone_timeline_chart(daily, mine).to_dict()
    titles = [part["title"] for part in spec["vconcat"]]
    assert titles == ["Agreements", "Incidents per day", "Status"]
    data = str(spec["datasets"])
    assert "Daraa al-Balad two-week truce" in data or "daraa" in data.lower()
