"""The spatial-temporal join on zones that are not rectangles (geo.join, through geo.timemodel).

The shapes of ``tests/shapes.py`` have points inside their bounding boxes but outside the
zones (a notch, a hole, a gap), so that every step of the join is needed: the time filter, the
bounding-box pre-filter and the point-in-polygon test. Removing the last one makes
``test_each_point_matches_exactly_the_zones_that_contain_it`` and the status tests fail.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, shape

from geo import schema
from geo.io import load_dataset, violations_frame
from geo.join import ZoneIndex, join_incidents, outside_every_zone
from geo.metrics import agreement_metrics
from geo.timemodel import build_timeline, status_at, window_incidents
from geo.validate import validate_dataset
from tests import shapes
from tests.conftest import csv_text, write_zones

POINTS = shapes.labelled_points()
SOURCE = "Test fixture, 2017-01-01, https://example.org/dezmap-test-fixture"


def incident(violation_id, point, occurred="2017-07-23", precision="day", zone_id=""):
    lon, lat = point
    return {
        "violation_id": violation_id,
        "occurred": occurred,
        "date_precision": precision,
        "lat": str(lat),
        "lon": str(lon),
        "location_precision": "exact",
        "place": violation_id,
        "zone_id": zone_id,
        "kind": "shelling",
        "alleged_perpetrator": "unknown",
        "summary": "s",
        "source": SOURCE,
    }


def truce(agreement_id, zone_ids, start="2017-07-01", end=""):
    return {
        "agreement_id": agreement_id,
        "title": agreement_id,
        "kind": "truce",
        "signed": start[:10],
        "effective_from": start,
        "effective_to": end,
        "zone_ids": zone_ids,
        "parties": "a;b",
        "terms": "t",
        "outcome": "violated",
        "source": SOURCE,
    }


def folder_of(tmp_path, zones, agreements, violations):
    folder = tmp_path / "data"
    folder.mkdir()
    write_zones(folder / "zones.geojson", *zones)
    (folder / "agreements.csv").write_text(csv_text(list(schema.AGREEMENT_COLUMNS), agreements))
    (folder / "violations.csv").write_text(csv_text(list(schema.VIOLATION_COLUMNS), violations))
    return folder


def slug(name):
    return "v-" + "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


@pytest.fixture
def every_point(tmp_path):
    """Every shape as a zone, one incident at each named point, one truce over every zone."""
    names = list(POINTS)
    folder = folder_of(
        tmp_path,
        [s.feature() for s in shapes.ALL],
        [truce("all", ";".join(s.zone_id for s in shapes.ALL))],
        [incident(slug(name), POINTS[name]) for name in names],
    )
    data = load_dataset(folder)
    return names, data, build_timeline(data.zones, data.agreements, data.violations)


# --- the shapes themselves -------------------------------------------------------------------------


@pytest.mark.parametrize("s", shapes.ALL, ids=lambda s: s.zone_id)
def test_the_shapes_tell_a_polygon_from_its_bounding_box(s):
    outline = shape(s.geometry)
    assert outline.is_valid and not outline.equals(outline.envelope)
    for point in s.inside.values():
        assert outline.contains(Point(point))
    for point in s.boundary.values():
        assert outline.boundary.distance(Point(point)) < 1e-12
    x0, y0, x1, y1 = s.bounds
    for point in s.outside.values():
        assert x0 < point[0] < x1 and y0 < point[1] < y1  # inside the bounding box ...
        assert not outline.covers(Point(point))  # ... and outside the zone


def test_a_folder_of_the_shapes_validates_without_a_problem(every_point, tmp_path):
    report = validate_dataset(tmp_path / "data").report
    assert list(report) == []


# --- the join --------------------------------------------------------------------------------------


def matched_zones(timeline, names):
    found: dict[str, set[str]] = {name: set() for name in names}
    ids = timeline.incidents["violation_id"].tolist()
    by_id = {slug(name): name for name in names}
    for i, code in zip(timeline.matches.incident, timeline.matches.zone, strict=True):
        found[by_id[ids[i]]].add(timeline.zones.zone_ids[code])
    return found


def test_each_point_matches_exactly_the_zones_that_contain_it(every_point):
    names, _, timeline = every_point
    found = matched_zones(timeline, names)
    expected = {name: shapes.zones_containing(POINTS[name]) for name in names}
    assert found == expected


@pytest.mark.parametrize("name", [f"{s.zone_id}: {name}" for s in shapes.ALL for name in s.outside])
def test_a_point_in_the_bounding_box_but_outside_the_zone_is_outside_every_zone(every_point, name):
    names, _, timeline = every_point
    i = timeline.incidents.index[timeline.incidents["violation_id"] == slug(name)][0]
    outside = outside_every_zone(timeline.matches, timeline.n_incidents)
    assert outside[i]


def test_a_point_on_a_shared_edge_is_in_both_touching_zones(every_point):
    names, _, timeline = every_point
    found = matched_zones(timeline, names)
    assert found["touching-west: shared edge"] == {"touching-west", "touching-east"}
    assert found["touching-west: west"] == {"touching-west"}


def test_the_join_matches_shapely_on_many_random_points(every_point):
    _, data, _ = every_point
    rng = np.random.default_rng(11)
    n = 2000
    lon = rng.uniform(35.85, 36.85, n)
    lat = rng.uniform(33.25, 33.85, n)
    frame = pd.DataFrame(
        {
            "lon": lon,
            "lat": lat,
            "occurred": pd.Timestamp("2017-07-23", tz="UTC"),
            "occurred_end": pd.Timestamp("2017-07-24", tz="UTC"),
        }
    )
    index = ZoneIndex.from_zones(data.zones)
    matches = join_incidents(frame, index)
    pairs = set(zip(matches.incident.tolist(), matches.zone.tolist(), strict=True))
    expected = set()
    for code, zone_id in enumerate(index.zone_ids):
        outline = shape(next(s.geometry for s in shapes.ALL if s.zone_id == zone_id))
        for i in np.flatnonzero(
            [outline.covers(Point(x, y)) for x, y in zip(lon, lat, strict=True)]
        ):
            expected.add((int(i), code))
    assert pairs == expected and len(expected) > 100


def test_time_decides_which_outline_counts(tmp_path):
    # the U's notch is filled from 2018: a point in it is outside before, inside after
    filled = {
        "type": "Polygon",
        "coordinates": [
            [[36.30, 33.50], [36.50, 33.50], [36.50, 33.65], [36.30, 33.65], [36.30, 33.50]]
        ],
    }
    zones = [
        shapes.CONCAVE.feature(valid_from="2017-01-01", valid_to="2018-01-01"),
        dict(shapes.CONCAVE.feature(valid_from="2018-01-01"), geometry=filled),
    ]
    notch = shapes.CONCAVE.outside["notch"]
    folder = folder_of(
        tmp_path,
        zones,
        [truce("u", "concave-u")],
        [
            incident("v-before", notch, "2017-07-23"),
            incident("v-after", notch, "2018-07-23"),
            incident("v-across", notch, "2017-12-01", precision="month"),
        ],
    )
    data = load_dataset(folder)
    timeline = build_timeline(data.zones, data.agreements, data.violations)
    ids = timeline.incidents["violation_id"].tolist()
    matched = {
        ids[i]: bool(s)
        for i, s in zip(timeline.matches.incident, timeline.matches.spans_versions, strict=True)
    }
    assert "v-before" not in matched and matched["v-after"] is False
    assert "v-across" not in matched  # December 2017 lies wholly in the notched version


# --- status and metrics need the polygon, not its box ---------------------------------------------


@pytest.mark.parametrize(
    ("s", "point_name"),
    [(shapes.CONCAVE, "notch"), (shapes.HOLED, "hole"), (shapes.MULTIPART, "gap")],
    ids=["notch", "hole", "gap"],
)
def test_an_incident_in_the_bounding_box_but_outside_does_not_violate_the_zone(
    tmp_path, s, point_name
):
    folder = folder_of(
        tmp_path,
        [s.feature()],
        [truce("t", s.zone_id)],
        [incident("v-outside", s.outside[point_name])],
    )
    data = load_dataset(folder)
    timeline = build_timeline(data.zones, data.agreements, data.violations)
    row = status_at(timeline, "2017-07-25").set_index("zone_id").loc[s.zone_id]
    assert (row["status"], row["violations"]) == ("holding", 0)
    assert len(window_incidents(timeline, "2017-07-25", zone_id=s.zone_id)) == 0
    metrics = agreement_metrics(timeline, "t").iloc[0]
    assert metrics["violations"] == 0


@pytest.mark.parametrize(
    ("s", "point_name"),
    [(shapes.CONCAVE, "west arm"), (shapes.HOLED, "ring south"), (shapes.MULTIPART, "part 2")],
    ids=["arm", "ring", "second part"],
)
def test_an_incident_inside_violates_the_zone(tmp_path, s, point_name):
    folder = folder_of(
        tmp_path,
        [s.feature()],
        [truce("t", s.zone_id)],
        [incident("v-inside", s.inside[point_name])],
    )
    data = load_dataset(folder)
    timeline = build_timeline(data.zones, data.agreements, data.violations)
    row = status_at(timeline, "2017-07-25").set_index("zone_id").loc[s.zone_id]
    assert (row["status"], row["violations"]) == ("violated", 1)
    assert agreement_metrics(timeline, "t").iloc[0]["violations"] == 1


def test_the_validator_places_a_named_zone_by_its_polygon_too(tmp_path):
    # a violation that names the U but lies in its notch is an error, one in an arm is not
    folder = folder_of(
        tmp_path,
        [shapes.CONCAVE.feature()],
        [truce("t", "concave-u")],
        [
            incident("v-notch", shapes.CONCAVE.outside["notch"], zone_id="concave-u"),
            incident("v-arm", shapes.CONCAVE.inside["east arm"], zone_id="concave-u"),
        ],
    )
    report = validate_dataset(folder).report
    assert [(p.code, p.where) for p in report.errors] == [("outside-zone", "row 2, column zone_id")]


def test_frames_from_records_join_like_files(every_point):
    # the loaders' frame builder and the join agree on a frame made in memory
    names, data, _ = every_point
    records = [
        dict(
            violation_id=slug(n),
            occurred=pd.Timestamp("2017-07-22T21:00Z").to_pydatetime(),
            occurred_end=pd.Timestamp("2017-07-23T21:00Z").to_pydatetime(),
            date_precision="day",
            lat=POINTS[n][1],
            lon=POINTS[n][0],
            location_precision="exact",
            place=n,
            zone_id="",
            agreement_ids=[],
            kind="shelling",
            alleged_perpetrator="unknown",
            reported_by="",
            casualties=None,
            summary="s",
            source=SOURCE,
        )
        for n in names
    ]
    frame = violations_frame(records)
    matches = join_incidents(frame, ZoneIndex.from_zones(data.zones))
    assert len(matches) == sum(len(shapes.zones_containing(POINTS[n])) for n in names)
    json.dumps(sorted(map(int, matches.incident)))  # plain integers
