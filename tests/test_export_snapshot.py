"""Snapshots (geo.export.snapshot): what a snapshot shows equals what the Map page shows.

The Map page runs for real through Streamlit's AppTest with a query string; the snapshot of the
same query string is rendered to SVG and read back: its zones (drawn with the status colour),
and its incident markers.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from geo.datasets import load_timeline
from geo.export.snapshot import (
    Options,
    SnapshotError,
    atlas_instants,
    data_version,
    infer_format,
    render_snapshot,
)
from geo.render.style import STATUS_COLORS
from geo.view import View
from tests.conftest import DATA, app_test

SVG = "{http://www.w3.org/2000/svg}"
FIXED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

QUERIES = [
    "at=2017-07-23T12:00%2B03:00",
    "at=2017-07-23T12:00%2B03:00&zone=eastern-ghouta",
    "at=2018-02-25T12:00%2B02:00&window=30&zones=eastern-ghouta,idlib",
    "at=2018-02-25T12:00%2B02:00&window=30&kinds=airstrike",
    "at=2021-08-16T12:00%2B03:00&zone=daraa-al-balad&window=3",
    "at=2016-03-01T12:00%2B02:00&window=10",
    "at=2019-05-10T12:00%2B03:00&window=60&zone=idlib",
]


@pytest.fixture(scope="module")
def timeline():
    return load_timeline(DATA)


def map_page(query: str, monkeypatch) -> tuple[dict[str, str], int]:
    """The Map page for a query string: {zone name: status} and the incidents on the map."""
    monkeypatch.setenv("DEZMAP_DATA", str(DATA))
    app = app_test()  # the whole page, as after its first paint
    for key, value in re.findall(r"([^&=]+)=([^&]*)", query):
        app.query_params[key] = value.replace("%2B", "+")
    app.run()
    assert not app.exception and not app.error
    table = app.dataframe[0].value if app.dataframe else pd.DataFrame(columns=["name", "status"])
    (caption,) = [c.value for c in app.caption if "incidents on the map" in c.value]
    count = int(re.search(r"([\d,]+) incidents on the map", caption).group(1).replace(",", ""))
    return dict(zip(table["name"], table["status"], strict=True)), count


def svg_scene(data: bytes, zone_ids) -> tuple[dict[str, str], int]:
    """From a static SVG snapshot: {zone id: fill colour} and the number of incident markers."""
    root = ET.fromstring(data)
    zones, markers = {}, 0
    wanted = {f"zone-{z}" for z in zone_ids}
    patterns = {
        p.get("id"): p.find(f"{SVG}rect").get("fill").lower() for p in root.iter(f"{SVG}pattern")
    }
    for group in root.iter(f"{SVG}g"):
        gid = group.get("id", "")
        if gid in wanted:
            path = group.find(f"{SVG}path")
            fill = re.search(r"fill:\s*(#[0-9a-fA-F]{6}|url\(#([\w-]+)\))", path.get("style", ""))
            if fill.group(2):  # a hatched fill: the pattern's background is the status colour
                zones[gid.removeprefix("zone-")] = "hatched " + patterns[fill.group(2)]
            else:
                zones[gid.removeprefix("zone-")] = fill.group(1).lower()
        elif gid.startswith("incidents-"):
            markers += sum(1 for _ in group.iter(f"{SVG}use"))
    return zones, markers


@pytest.mark.app
@pytest.mark.parametrize("query", QUERIES)
def test_snapshot_shows_what_the_map_page_shows(query, timeline, monkeypatch):
    statuses, on_map = map_page(query, monkeypatch)
    view = View.parse(query, timeline)
    svg = render_snapshot(timeline, view, Options(fmt="svg", generated=FIXED))
    zones, markers = svg_scene(svg, timeline.zones.zone_ids)
    names = dict(
        zip(timeline.zones.versions["zone_id"], timeline.zones.versions["name"], strict=False)
    )
    assert {names[z] for z in zones} == set(statuses)
    for zone_id, fill in zones.items():
        status = statuses[names[zone_id]]
        # violated zones carry a second cue besides their colour: a hatch
        expected = STATUS_COLORS[status]
        assert fill == (f"hatched {expected}" if status == "violated" else expected), zone_id
    assert markers == on_map


def test_every_format_renders_from_the_library(timeline):
    view = View.parse("at=2017-07-23T12:00&zone=eastern-ghouta", timeline)
    magic = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml", "html": b"<!DOCTYPE html>"}
    for fmt, start in magic.items():
        data = render_snapshot(timeline, view, Options(fmt=fmt, dpi=50, generated=FIXED))
        assert data[: len(start)].upper() == start.upper(), fmt


def test_a_fixed_generation_time_makes_identical_files(timeline):
    view = View.parse("at=2017-07-23T12:00", timeline)
    for fmt in ("svg", "pdf", "html"):
        one = render_snapshot(timeline, view, Options(fmt=fmt, generated=FIXED))
        two = render_snapshot(timeline, view, Options(fmt=fmt, generated=FIXED))
        assert one == two, fmt


@pytest.mark.parametrize(
    ("path", "fmt", "expected"),
    [("a.PNG", None, "png"), ("a.htm", None, "html"), ("a.png", "svg", "svg"), ("a", "pdf", "pdf")],
)
def test_infer_format(path, fmt, expected):
    assert infer_format(path, fmt) == expected


@pytest.mark.parametrize(("path", "fmt"), [("a.jpg", None), ("a", None), ("a.png", "tiff")])
def test_infer_format_refuses(path, fmt):
    with pytest.raises(SnapshotError, match="format"):
        infer_format(path, fmt)


def test_data_version_follows_the_bytes_of_the_data(data_copy):
    before = data_version(data_copy)
    assert re.fullmatch(r"[0-9a-f]{12}", before)
    assert data_version(data_copy) == before
    agreements = data_copy / "agreements.csv"
    agreements.write_bytes(agreements.read_bytes() + b"\n")
    assert data_version(data_copy) != before


def instants(start: str, end: str, every: str) -> list[str]:
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    return [t.tz_convert("Asia/Damascus").isoformat() for t in atlas_instants(lo, hi, every)]


def test_atlas_steps_keep_the_damascus_wall_clock():
    # summer time began on 31 March 2017 in Damascus: noon stays noon
    assert instants("2017-03-30T09:00Z", "2017-04-01T09:00Z", "1d") == [
        "2017-03-30T11:00:00+02:00",
        "2017-03-31T11:00:00+03:00",
        "2017-04-01T11:00:00+03:00",
    ]
    months = instants("2017-01-31T10:00Z", "2017-05-01T00:00Z", "1m")
    assert [m[:10] for m in months] == ["2017-01-31", "2017-02-28", "2017-03-31", "2017-04-30"]
    assert len(instants("2017-01-01T00:00Z", "2017-01-29T00:00Z", "2w")) == 3


@pytest.mark.parametrize(
    ("every", "end", "message"),
    [
        ("fortnightly", "2017-02-01", "--every"),
        ("0d", "2017-02-01", "--every"),
        ("1d", "2016-12-01", "--to: the end is before"),
        ("1d", "2020-01-01", "more than 500 pages"),
    ],
)
def test_atlas_steps_refuse(every, end, message):
    with pytest.raises(SnapshotError, match=message):
        atlas_instants(pd.Timestamp("2017-01-01", tz="UTC"), pd.Timestamp(end, tz="UTC"), every)


def test_a_default_extent_beyond_the_region_is_clipped_to_it(timeline):
    from dataclasses import replace

    from geo.export.snapshot import REGION, snapshot_extent
    from geo.view import select

    scene = select(timeline, View.parse("at=2017-07-23T12:00", timeline))
    assert snapshot_extent(scene) is None  # the bundled zones lie inside the region
    box = (36.0, 33.0, 37.0, 34.0)
    assert snapshot_extent(select(timeline, replace(scene.view, bbox=box))) == box
    far = replace(scene, view=scene.view)  # a scene whose zones reach to 102 E
    object.__setattr__(far, "extent", lambda: (35.0, 32.0, 102.0, 37.5))
    assert snapshot_extent(far) == (35.0, 32.0, REGION[2], 37.5)
