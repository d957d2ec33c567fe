"""Zone timeline chart (geo.charts)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geo.charts import (
    MIN_COLOR_DISTANCE,
    color_distance,
    outcome_colors,
    status_segments,
    wrap_label,
    zone_timeline_chart,
)
from geo.datasets import load_timeline
from geo.metrics import zone_daily
from geo.render import STATUS_COLORS
from tests.conftest import DATA

CAIRO = pd.Timestamp("2017-07-23T09:00Z")  # 12:00 in Damascus


@pytest.fixture(scope="module")
def timeline():
    return load_timeline(DATA)


def zone_chart(timeline, zone_id, at=None):
    daily = zone_daily(timeline, zone_id)
    agreements = timeline.agreements.frame
    mine = agreements[agreements["zone_ids"].map(lambda z: zone_id in z)]
    return mine, zone_timeline_chart(daily, mine, at=at).to_dict()


def layers(part: dict) -> list[dict]:
    """Every single-mark chart in a (possibly layered) chart spec."""
    if "layer" in part:
        return [leaf for child in part["layer"] for leaf in layers(child)]
    return [part]


def mark_type(part: dict) -> str:
    mark = part["mark"]
    return mark if isinstance(mark, str) else mark["type"]


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


def test_zone_chart_has_agreements_incidents_and_status(timeline):
    mine, spec = zone_chart(timeline, "daraa-al-balad")
    titles = [layers(part)[0]["title"] for part in spec["vconcat"]]
    assert titles == ["Agreements", "Incidents per day", "Status"]
    assert "Daraa al-Balad" in str(spec["datasets"])


def test_chart_marks_the_chosen_instant_on_every_panel(timeline):
    _, spec = zone_chart(timeline, "eastern-ghouta", at=CAIRO)
    for part in spec["vconcat"]:
        rules = [leaf for leaf in layers(part) if mark_type(leaf) == "rule"]
        assert len(rules) == 1
        (row,) = spec["datasets"][rules[0]["data"]["name"]]
        # Damascus wall-clock time, as the rest of the chart
        assert row["start"].startswith("2017-07-23T12:00")
        assert row["label"] == "23 July 2017, 12:00 Damascus time"
    _, plain = zone_chart(timeline, "eastern-ghouta")
    assert not [leaf for p in plain["vconcat"] for leaf in layers(p) if mark_type(leaf) == "rule"]


def test_axis_shows_years(timeline):
    _, spec = zone_chart(timeline, "eastern-ghouta", at=CAIRO)
    for part in spec["vconcat"]:
        for leaf in layers(part):
            axis = leaf["encoding"]["x"]["axis"]
            assert "%Y" in axis["format"]


def test_colours_do_not_clash_with_the_map_status_colours(timeline):
    _, spec = zone_chart(timeline, "eastern-ghouta", at=CAIRO)
    agreements = layers(spec["vconcat"][0])[0]
    outcome_range = agreements["encoding"]["color"]["scale"]["range"]
    incidents = layers(spec["vconcat"][1])[0]
    used = [*outcome_range, incidents["mark"]["color"]]
    for color in used:
        for status, status_color in STATUS_COLORS.items():
            assert color_distance(color, status_color) >= MIN_COLOR_DISTANCE, (color, status)
    # the status band is the map's palette itself
    band = layers(spec["vconcat"][2])[0]
    assert band["encoding"]["color"]["scale"]["range"] == list(STATUS_COLORS.values())
    # outcomes get distinct colours when enough are usable
    seven = outcome_colors(["a", "b", "c", "d", "e", "f", "g"])
    assert len(set(seven.values())) == 7


def test_every_agreement_label_is_shown_whole(timeline):
    mine, spec = zone_chart(timeline, "eastern-ghouta", at=CAIRO)
    agreements = layers(spec["vconcat"][0])[0]
    axis = agreements["encoding"]["y"]["axis"]
    assert axis["labelLimit"] == 0  # never cut
    assert "split" in axis["labelExpr"]  # the wrapped lines are drawn one under the other
    rows = spec["datasets"][agreements["data"]["name"]]
    assert sorted(r["title"] for r in rows) == sorted(mine["title"])
    for row in rows:
        assert row["label"].replace("\n", " ") == row["title"]
        assert all(len(line) <= 44 for line in row["label"].split("\n"))
    tooltip = [t["field"] for t in agreements["encoding"]["tooltip"]]
    assert "title" in tooltip


def test_wrap_label_keeps_every_word():
    title = "Southern Ghouta evacuation deal (Faylaq al-Rahman: Arbin, Zamalka, Ein Terma, Jobar)"
    wrapped = wrap_label(title, 30)
    assert wrapped.count("\n") >= 2 and wrapped.replace("\n", " ") == title
    json.dumps(wrapped)  # plain text for the chart's data
