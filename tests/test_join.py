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
from geo.join import (
    NS_MAX,
    ZoneIndex,
    add_links,
    join_incidents,
    outside_every_zone,
    to_ns,
    zones_of_incidents,
)
from geo.metrics import agreement_metrics
from geo.timemodel import (
    annotate_incidents,
    build_timeline,
    linked_incidents,
    status_at,
    window_incidents,
)
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


# --- the pieces of the join, one by one (each test kills mutants that the others let live) ----------

NS_DAY = 86_400 * 10**9


def utc(text):
    return pd.Timestamp(text, tz="UTC")


def test_to_ns_of_nothing_is_an_empty_integer_array():
    out = to_ns(pd.Series([], dtype="datetime64[ns, UTC]"))
    assert out.shape == (0,) and out.dtype == np.int64


def test_to_ns_refuses_naive_instants_and_fills_missing_ones():
    with pytest.raises(
        ValueError, match=r"^instants must be timezone-aware \(datetime64\[ns, UTC\]\)$"
    ):
        to_ns(pd.Series([pd.Timestamp("2017-01-01")]))
    out = to_ns(pd.Series([utc("2017-01-01T03:00"), pd.NaT], dtype="datetime64[ns, UTC]"))
    assert out.tolist() == [utc("2017-01-01T03:00").value, NS_MAX]
    in_damascus = pd.Series([pd.Timestamp("2017-01-01T05:00", tz="Asia/Damascus")])
    assert to_ns(in_damascus).tolist() == [utc("2017-01-01T03:00").value]


@pytest.fixture
def two_versions(tmp_path):
    """The U from 2017, its notch filled from 2018-01-01; the holed square from 2017."""
    filled = {
        "type": "Polygon",
        "coordinates": [
            [[36.30, 33.50], [36.50, 33.50], [36.50, 33.65], [36.30, 33.65], [36.30, 33.50]]
        ],
    }
    zones = [
        shapes.HOLED.feature(),
        dict(shapes.CONCAVE.feature(valid_from="2018-01-01"), geometry=filled),
        shapes.CONCAVE.feature(valid_from="2017-01-01", valid_to="2018-01-01"),
    ]
    folder = folder_of(tmp_path, zones, [truce("u", "concave-u")], [])
    return load_dataset(folder).zones


def test_the_index_orders_versions_by_zone_then_start_and_keeps_the_frame(two_versions):
    index = ZoneIndex.from_zones(two_versions)
    assert index.zone_ids == ("concave-u", "holed")
    assert index.zone.tolist() == [0, 0, 1]
    assert list(index.versions.columns) == list(two_versions.columns)
    assert index.versions.index.tolist() == [0, 1, 2]
    assert index.start.tolist() == [
        utc("2016-12-31T22:00").value,
        utc("2017-12-31T22:00").value,
        utc("2016-12-31T22:00").value,
    ]
    assert index.end.tolist() == [utc("2017-12-31T22:00").value, NS_MAX, NS_MAX]
    assert index.bounds[0].tolist() == [36.30, 33.50, 36.50, 33.65]


def test_a_version_without_a_start_counts_from_the_beginning_of_time(two_versions):
    zones = two_versions.copy()
    zones.loc[0, "valid_from"] = pd.NaT
    index = ZoneIndex.from_zones(zones)
    assert index.start[index.versions["zone_id"] == "holed"].tolist() == [np.iinfo(np.int64).min]


def test_versions_are_valid_from_their_first_instant_until_their_end(two_versions):
    index = ZoneIndex.from_zones(two_versions)
    change = utc("2017-12-31T22:00").value
    assert index.valid_at(change - 1).tolist() == [0, 2]
    assert index.valid_at(change).tolist() == [1, 2]
    assert index.valid_at(index.start[0]).tolist() == [0, 2]
    assert index.valid_at(index.start[0] - 1).tolist() == []


def test_an_unknown_zone_code_names_the_known_zones(two_versions):
    index = ZoneIndex.from_zones(two_versions)
    assert index.code("holed") == 1
    with pytest.raises(KeyError) as info:
        index.code("idlib")
    assert info.value.args[0] == "unknown zone 'idlib'; zones: concave-u, holed"


def incidents_frame(rows):
    """(lon, lat, start, end) rows as an incidents frame."""
    return pd.DataFrame(
        {
            "lon": [r[0] for r in rows],
            "lat": [r[1] for r in rows],
            "occurred": pd.Series([utc(r[2]) for r in rows], dtype="datetime64[ns, UTC]"),
            "occurred_end": pd.Series([utc(r[3]) for r in rows], dtype="datetime64[ns, UTC]"),
        }
    )


def test_the_join_needs_its_columns():
    with pytest.raises(ValueError, match=r"^incidents need the columns \['occurred_end'\]$"):
        join_incidents(pd.DataFrame(columns=["lon", "lat", "occurred"]), None)


def test_an_interval_across_a_boundary_change_matches_the_version_that_holds_it(two_versions):
    index = ZoneIndex.from_zones(two_versions)
    arm, notch = shapes.CONCAVE.inside["west arm"], shapes.CONCAVE.outside["notch"]
    frame = incidents_frame(
        [
            (*arm, "2017-12-28T00:00", "2017-12-29T00:00"),  # 0: the first version only
            (*notch, "2017-12-27T00:00", "2018-01-03T00:00"),  # 1: across; only v2 has the notch
            (*arm, "2017-12-30T00:00", "2018-01-06T00:00"),  # 2: across; both hold it: v1 kept
            (*notch, "2018-01-05T00:00", "2018-01-06T00:00"),  # 3: the second version
            (*shapes.HOLED.outside["hole"], "2017-06-01T00:00", "2017-06-02T00:00"),  # 4
            (*notch, "2017-12-31T22:00", "2018-01-01T00:00"),  # 5: from v2's first instant
        ]
    )
    m = join_incidents(frame, index)
    rows = sorted(
        zip(m.incident.tolist(), m.version.tolist(), m.spans_versions.tolist(), strict=True)
    )
    assert rows == [(0, 0, False), (1, 1, True), (2, 0, True), (3, 1, False), (5, 1, False)]
    part = m.of_zone(0)
    assert np.all(np.diff(m.start[part]) >= 0)  # each zone's matches in time order
    assert m.incident[part].tolist() == [1, 0, 2, 5, 3]
    assert m.zone_offsets.tolist() == [0, 5, 5] and m.zone.tolist() == [0] * 5
    week, day = 7 * NS_DAY, NS_DAY
    assert m.max_duration.tolist() == [week, 0]
    assert m.end[part].tolist() == [to_ns(frame["occurred_end"])[i] for i in [1, 0, 2, 5, 3]]
    assert not m.linked.any() and m.version.dtype == np.int32
    # the window search finds the week-long incident that began before the window
    lo = utc("2018-01-02T00:00").value
    found = m.incident[m.in_window(0, lo, lo + day)].tolist()
    assert sorted(found) == [1, 2]


def test_points_on_the_edges_of_a_zones_bounding_box_are_in_it():
    west, south, east, north = shapes.CONCAVE.bounds
    frame = incidents_frame(
        [
            (36.33, north, "2017-07-23T00:00", "2017-07-24T00:00"),
            (east, 33.55, "2017-07-23T00:00", "2017-07-24T00:00"),
            (west, 33.55, "2017-07-23T00:00", "2017-07-24T00:00"),
            (36.40, south, "2017-07-23T00:00", "2017-07-24T00:00"),
        ]
    )
    zones = gpd_zones([shapes.CONCAVE])
    m = join_incidents(frame, ZoneIndex.from_zones(zones))
    assert sorted(m.incident.tolist()) == [0, 1, 2, 3]


def gpd_zones(shape_list):
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {
            "zone_id": [s.zone_id for s in shape_list],
            "valid_from": pd.Series([utc("2017-01-01")] * len(shape_list)),
            "valid_to": pd.Series([pd.NaT] * len(shape_list), dtype="datetime64[ns, UTC]"),
        },
        geometry=[shape(s.geometry) for s in shape_list],
        crs="EPSG:4326",
    )


def test_links_add_a_match_per_new_pair_at_the_earliest_version(two_versions):
    index = ZoneIndex.from_zones(two_versions)
    far = (36.90, 33.90)  # in no zone
    frame = incidents_frame(
        [
            (*shapes.HOLED.inside["ring south"], "2017-06-01T00:00", "2017-06-02T00:00"),  # 0
            (*far, "2017-12-27T00:00", "2018-01-03T00:00"),  # 1: across the U's change
            (*far, "2018-03-01T00:00", "2018-03-02T00:00"),  # 2
            (*far, "2016-03-01T00:00", "2016-03-02T00:00"),  # 3: before any zone
            (*far, "2017-12-31T21:00", "2017-12-31T22:00"),  # 4: ends as v2 begins
        ]
    )
    spatial = join_incidents(frame, index)
    assert add_links(spatial, index, frame, np.array([], dtype=int), np.array([])) is spatial
    pairs = [(0, 1), (1, 0), (1, 0), (2, 0), (3, 1), (2, 1), (4, 0)]
    m = add_links(spatial, index, frame, [p[0] for p in pairs], [p[1] for p in pairs])
    rows = sorted(
        zip(
            m.incident.tolist(),
            m.zone.tolist(),
            m.version.tolist(),
            m.spans_versions.tolist(),
            m.linked.tolist(),
            strict=True,
        )
    )
    assert rows == [
        (0, 1, 2, False, False),  # already matched by position: kept, not linked again
        (1, 0, 0, True, True),  # the earliest version it overlaps, across the change
        (2, 0, 1, False, True),
        (2, 1, 2, False, True),
        (4, 0, 0, False, True),  # an interval that ends at v2's start overlaps v1 only
    ]
    assert m.zone_offsets.tolist() == [0, 3, 5]
    for code in (0, 1):
        part = m.of_zone(code)
        assert np.all(np.diff(m.start[part]) >= 0)
        assert m.max_duration[code] == (m.end[part] - m.start[part]).max()
    assert m.max_duration.tolist() == [7 * NS_DAY, NS_DAY]
    assert m.version.dtype == spatial.version.dtype and m.zone.dtype == spatial.zone.dtype
    assert outside_every_zone(m, 5).tolist() == [False, True, True, True, True]
    assert zones_of_incidents(m, index, 5) == [("holed",), (), (), (), ()]
    assert zones_of_incidents(m, index, 5, linked=True) == [
        (),
        ("concave-u",),
        ("concave-u", "holed"),
        (),
        ("concave-u",),
    ]


def test_two_matches_from_two_versions_are_put_back_in_time_order(two_versions):
    # the second version's match (an interval across the change, in the notch only v2 covers)
    # begins a day before the first version's match: the zone's slice must be re-sorted even
    # when it holds just these two, or the window search below would miss the earlier one
    index = ZoneIndex.from_zones(two_versions)
    arm, notch = shapes.CONCAVE.inside["west arm"], shapes.CONCAVE.outside["notch"]
    frame = incidents_frame(
        [
            (*arm, "2017-12-28T00:00", "2017-12-29T00:00"),  # 0: v1
            (*notch, "2017-12-27T00:00", "2018-01-03T00:00"),  # 1: v2, begins earlier
        ]
    )
    m = join_incidents(frame, index)
    assert m.incident.tolist() == [1, 0] and m.version.tolist() == [1, 0]
    assert m.start.tolist() == [utc("2017-12-27T00:00").value, utc("2017-12-28T00:00").value]
    lo = utc("2017-12-27T12:00").value
    assert sorted(m.incident[m.in_window(0, lo, lo + NS_DAY)].tolist()) == [0, 1]


def test_simultaneous_incidents_keep_the_order_of_their_rows(two_versions):
    # thirty reports of the same day in the U's arm and one earlier, longer one in its notch
    # (matched by the second version only): every sort on the way is by start, and reports of
    # the same instant stay in the order of the file (a stable sort; numpy's default quicksort
    # reorders equal keys once there are more than sixteen)
    index = ZoneIndex.from_zones(two_versions)
    arm, notch = shapes.CONCAVE.inside["west arm"], shapes.CONCAVE.outside["notch"]
    rows = [(*arm, "2017-12-28T00:00", "2017-12-29T00:00")] * 30
    rows.append((*notch, "2017-12-27T00:00", "2018-01-03T00:00"))
    m = join_incidents(incidents_frame(rows), index)
    assert m.incident.tolist() == [30, *range(30)]
    assert (
        m.version.tolist() == [1] + [0] * 30 and m.spans_versions.tolist() == [True] + [False] * 30
    )


def test_a_long_incident_in_a_later_zone_is_found_by_a_window_it_began_before(tmp_path):
    # the holed square is the second zone (code 1); a report dated to July 2017 in its ring
    # overlaps the week before 25 July although it began on 1 July: the window search must
    # reach back by that zone's own longest interval (a month), not by another zone's
    rows = [
        incident("v-u", shapes.CONCAVE.inside["base"], "2017-07-23"),
        incident("v-month", shapes.HOLED.inside["ring south"], "2017-07-01", precision="month"),
    ]
    folder = folder_of(
        tmp_path,
        [shapes.CONCAVE.feature(), shapes.HOLED.feature()],
        [truce("t", "concave-u;holed")],
        rows,
    )
    data = load_dataset(folder)
    timeline = build_timeline(data.zones, data.agreements, data.violations)
    m = timeline.matches
    assert timeline.zones.zone_ids == ("concave-u", "holed")
    month = (utc("2017-07-31T21:00") - utc("2017-06-30T21:00")).value  # July, Damascus days
    assert m.max_duration.tolist() == [NS_DAY, month]
    found = window_incidents(timeline, "2017-07-25", zone_id="holed")
    assert found["violation_id"].tolist() == ["v-month"]
    row = status_at(timeline, "2017-07-25").set_index("zone_id").loc["holed"]
    # the month only partly overlaps the window: counted, and uncertain
    assert (row["status"], row["violations"], row["uncertain"]) == ("possibly-violated", 1, 1)


def test_a_timeline_whose_incidents_all_lie_outside_still_links_them(tmp_path):
    # no incident lies in a zone, so the spatial join is empty; one names the truce over the
    # U and is linked to it: the empty join's zone codes must still be integer codes
    far = (36.90, 33.90)
    folder = folder_of(
        tmp_path,
        [shapes.CONCAVE.feature(), shapes.HOLED.feature()],
        [truce("u", "concave-u")],
        [
            dict(incident("v-named", far), agreement_ids="u"),
            incident("v-far", far),
        ],
    )
    data = load_dataset(folder)
    index = ZoneIndex.from_zones(data.zones)
    spatial = join_incidents(data.violations, index)
    assert len(spatial) == 0
    assert spatial.zone.dtype == index.zone.dtype == np.int32
    assert spatial.zone_offsets.tolist() == [0, 0, 0] and spatial.max_duration.tolist() == [0, 0]
    timeline = build_timeline(data.zones, data.agreements, data.violations)
    table = annotate_incidents(timeline).set_index("violation_id")
    assert table.loc["v-named", "linked_zones"] == "concave-u"
    assert table.loc["v-named", "zones"] == () and table.loc["v-far", "linked_zones"] == ""
    assert zones_of_incidents(timeline.matches, timeline.zones, 2, linked=True) == [
        ("concave-u",),
        (),
    ]


def test_positions_held_as_python_objects_are_read_as_numbers(every_point):
    # a frame built from records with a gap holds lon and lat as objects: they are read as
    # floats, and the incident without a position lies in no zone
    _, data, _ = every_point
    arm, hole = shapes.CONCAVE.inside["west arm"], shapes.HOLED.outside["hole"]
    frame = pd.DataFrame(
        {
            "lon": pd.Series([arm[0], None, hole[0]], dtype=object),
            "lat": pd.Series([arm[1], None, hole[1]], dtype=object),
            "occurred": pd.Series([utc("2017-07-23")] * 3, dtype="datetime64[ns, UTC]"),
            "occurred_end": pd.Series([utc("2017-07-24")] * 3, dtype="datetime64[ns, UTC]"),
        }
    )
    index = ZoneIndex.from_zones(data.zones)
    m = join_incidents(frame, index)
    assert [(i, index.zone_ids[z]) for i, z in zip(m.incident, m.zone, strict=True)] == [
        (0, "concave-u")
    ]
    assert outside_every_zone(m, 3).tolist() == [False, True, True]


def test_links_at_the_exact_edges_of_versions(two_versions):
    # the U's first version begins at 2016-12-31T22:00Z and its second at 2017-12-31T22:00Z
    index = ZoneIndex.from_zones(two_versions)
    far = (36.90, 33.90)  # in no zone
    frame = incidents_frame(
        [
            (*far, "2016-12-31T21:00", "2016-12-31T22:00"),  # 0: ends as the U begins
            (*far, "2017-12-31T22:00", "2017-12-31T23:00"),  # 1: begins with v2
        ]
    )
    spatial = join_incidents(frame, index)
    # positions may come as floats (a column that once held a gap); codes as a plain list
    m = add_links(spatial, index, frame, np.array([0.0, 1.0]), [0, 0])
    rows = list(
        zip(
            m.incident.tolist(),
            m.zone.tolist(),
            m.version.tolist(),
            m.spans_versions.tolist(),
            m.linked.tolist(),
            strict=True,
        )
    )
    # the first lies wholly before the zone existed: dropped; the second lies wholly in v2
    assert rows == [(1, 0, 1, False, True)]
    assert m.zone_offsets.tolist() == [0, 1, 1]
    assert m.max_duration.tolist() == [3600 * 10**9, 0]  # the holed square has no match


def test_links_refuse_pairs_of_unequal_lengths(two_versions):
    index = ZoneIndex.from_zones(two_versions)
    frame = incidents_frame([(36.90, 33.90, "2017-06-01T00:00", "2017-06-02T00:00")] * 2)
    spatial = join_incidents(frame, index)
    with pytest.raises(ValueError, match="zip"):
        add_links(spatial, index, frame, [0, 1], [0])


def test_linked_incidents_of_the_same_instant_are_listed_in_file_order(tmp_path):
    # twenty reports of the same day on the road outside the U, each naming its truce, and
    # one a day earlier: the zone lists them oldest first, and those of one day as filed
    far = (36.90, 33.90)
    rows = [dict(incident(f"v-{n:02d}", far, "2017-07-23"), agreement_ids="u") for n in range(20)]
    rows.append(dict(incident("v-early", far, "2017-07-22"), agreement_ids="u"))
    rows.append(incident("v-arm", shapes.CONCAVE.inside["west arm"], "2017-07-23"))
    folder = folder_of(tmp_path, [shapes.CONCAVE.feature()], [truce("u", "concave-u")], rows)
    data = load_dataset(folder)
    timeline = build_timeline(data.zones, data.agreements, data.violations)
    listed = linked_incidents(timeline, "concave-u")["violation_id"].tolist()
    assert listed == ["v-early", *(f"v-{n:02d}" for n in range(20))]
    m = timeline.matches
    # the spatial match of the same day comes before the linked ones of that day
    assert m.linked.tolist() == [True, False] + [True] * 20


def test_the_join_of_a_zone_where_longitudes_and_latitudes_overlap(tmp_path):
    # the U moved north-west to Kessab (35.80-36.00 E, 35.85-36.00 N): its western longitude
    # is below its southern latitude, so mixing the two up in the bounding box would drop
    # the west arm; every named point still matches exactly as shapely says
    from shapely import affinity

    dx, dy = -0.50, 2.35
    moved = affinity.translate(shape(shapes.CONCAVE.geometry), dx, dy)
    assert moved.bounds[0] < moved.bounds[1]
    zones = gpd_zones([shapes.CONCAVE]).set_geometry([moved], crs="EPSG:4326")
    named = {
        name: (x + dx, y + dy)
        for group in (shapes.CONCAVE.inside, shapes.CONCAVE.outside, shapes.CONCAVE.boundary)
        for name, (x, y) in group.items()
    }
    frame = incidents_frame(
        [(x, y, "2017-07-23T00:00", "2017-07-24T00:00") for x, y in named.values()]
    )
    m = join_incidents(frame, ZoneIndex.from_zones(zones))
    expected = [i for i, p in enumerate(named.values()) if moved.covers(Point(p))]
    assert sorted(m.incident.tolist()) == expected
    assert list(named)[expected[0]] == "west arm"
