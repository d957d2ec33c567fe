"""Country context (geo.context): Natural Earth's TopoJSON decoded and checked against facts."""

from __future__ import annotations

import json

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Point

from geo import context
from geo.assets import AssetError
from geo.errors import DataError, UsageError

# (lon, lat) of a few cities, from their well-known coordinates
DAMASCUS = Point(36.29, 33.51)
ALEPPO = Point(37.16, 36.20)
BEIRUT = Point(35.50, 33.89)
AMMAN = Point(35.93, 31.95)
EDIRNE = Point(26.56, 41.68)  # European Turkey
ANKARA = Point(32.85, 39.93)
MASERU = Point(27.48, -29.31)  # capital of Lesotho, enclosed by South Africa
PRETORIA = Point(28.19, -25.75)


def by_code(frame, code):
    rows = frame[frame["iso_n3"] == code]
    assert len(rows) == 1, f"{code}: {list(frame['name'])}"
    return rows.iloc[0]


def test_syria_contains_damascus_and_aleppo_but_not_beirut():
    outline = context.syria()
    assert outline.is_valid and outline.geom_type in ("Polygon", "MultiPolygon")
    assert outline.contains(DAMASCUS)
    assert outline.contains(ALEPPO)
    assert not outline.contains(BEIRUT)
    assert not outline.contains(AMMAN)


def test_area_of_syria_in_an_equal_area_crs():
    frame = context.countries()
    syria = frame[frame["iso_n3"] == context.SYRIA].to_crs("EPSG:6933")  # equal-area cylindrical
    area_km2 = syria.geometry.iloc[0].area / 1e6
    assert area_km2 == pytest.approx(185_180, rel=0.03)


def test_default_countries_are_syria_and_its_neighbours_in_order():
    frame = context.countries()
    assert list(frame.columns) == ["iso_n3", "name", "name_ar", "geometry"]
    assert frame.crs.to_epsg() == 4326
    coded = [c for c in frame["iso_n3"] if c]
    assert coded == ["760", "792", "368", "400", "376", "422", "275", "196"]
    assert frame.is_valid.all() and not frame.geometry.is_empty.any()
    lebanon = by_code(frame, "422")
    assert lebanon["name"] == "Lebanon" and lebanon["name_ar"] == "لبنان"
    assert lebanon.geometry.contains(BEIRUT)
    assert by_code(frame, "760")["name_ar"] == "سوريا"
    assert (frame["name_ar"] != "").all()
    # the parts of Cyprus without an ISO code make the island whole
    assert "N. Cyprus" in set(frame["name"])


def test_lebanon_shares_a_border_with_syria_and_none_with_jordan():
    frame = context.countries()
    syria, lebanon = by_code(frame, "760").geometry, by_code(frame, "422").geometry
    jordan = by_code(frame, "400").geometry
    shared = syria.boundary.intersection(lebanon.boundary)
    border_km = Geod(ellps="WGS84").geometry_length(shared) / 1000
    # the border is some 375 km on the ground; generalised to 1:10m and without the stretch
    # along the Golan (inside Israel's polygon in Natural Earth), about 290 km remain
    assert 250 < border_km < 400
    assert syria.intersection(lebanon).area < 1e-6  # they touch, they do not overlap
    assert not lebanon.intersects(jordan)


def test_turkey_is_multipart_across_the_bosporus():
    turkey = by_code(context.countries(), "792").geometry
    assert turkey.geom_type == "MultiPolygon"
    european = [p for p in turkey.geoms if p.contains(EDIRNE)]
    asian = [p for p in turkey.geoms if p.contains(ANKARA)]
    assert len(european) == 1 and len(asian) == 1 and european[0] is not asian[0]


def test_a_country_with_a_hole_lesotho_inside_south_africa():
    frame = context.countries((27.0, -30.0, 28.5, -25.0))
    south_africa = by_code(frame, "710").geometry
    lesotho = by_code(frame, "426").geometry
    holes = [
        ring for part in getattr(south_africa, "geoms", [south_africa]) for ring in part.interiors
    ]
    assert holes, "South Africa should have Lesotho as a hole"
    assert south_africa.contains(PRETORIA) and not south_africa.contains(MASERU)
    assert lesotho.contains(MASERU)


def test_bounds_select_every_country_meeting_the_box():
    frame = context.countries((35.0, 33.0, 36.2, 34.0))  # around Beirut
    names = set(frame["name"])
    assert {"Lebanon", "Syria", "Israel"} <= names
    assert not names & {"Egypt", "Iraq", "Turkey", "Jordan"}
    whole = by_code(frame, "760").geometry
    assert whole.contains(ALEPPO)  # whole countries, not clipped


def test_simplified_neighbours_still_share_one_border():
    exact = context.countries()
    rough = context.countries(tolerance=0.02)
    for frame in (exact, rough):
        syria, lebanon = by_code(frame, "760").geometry, by_code(frame, "422").geometry
        assert syria.intersection(lebanon).area < 1e-6
    points = lambda g: len(shapely.get_coordinates(g))  # noqa: E731
    assert points(by_code(rough, "760").geometry) < points(by_code(exact, "760").geometry) / 2
    assert context.syria(tolerance=0.02).equals(by_code(rough, "760").geometry)


@pytest.mark.parametrize(
    "bounds",
    [(36, 33, 35, 34), (1, 2, 3), ("a", 1, 2, 3), (float("nan"), 1, 2, 3)],
)
def test_bad_bounds_are_a_usage_error(bounds):
    with pytest.raises(UsageError, match="bounds"):
        context.countries(bounds)


def test_missing_file_says_to_install_the_assets(tmp_path, monkeypatch):
    monkeypatch.setattr(context, "COUNTRIES_FILE", tmp_path / "world-atlas" / "countries-10m.json")
    with pytest.raises(AssetError, match=r"missing.*make setup.*python -m geo\.assets"):
        context.countries()
    with pytest.raises(AssetError, match="missing"):
        context.syria()


# --- decoding a small topology whose answer is known ------------------------------------------

#: Two 2 x 1 degree rectangles side by side sharing one arc: "Alpha" with a square hole,
#: "Lebanon" walking the shared arc backwards plus a separate island; quantized,
#: delta-encoded, with a transform of 0.5 x 0.25 degrees from (30, 30).
SMALL = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.25], "translate": [30, 30]},
    "objects": {
        "countries": {
            "type": "GeometryCollection",
            "geometries": [
                {
                    "type": "Polygon",
                    "arcs": [[0, 1], [3]],
                    "id": "999",
                    "properties": {"name": "Alpha"},
                },
                {
                    "type": "MultiPolygon",
                    "arcs": [[[-1, 2]], [[4]]],
                    "id": "422",
                    "properties": {"name": "Lebanon"},
                },
                {"type": None, "id": "000", "properties": {"name": "Nowhere"}},
            ],
        }
    },
    "arcs": [
        [[4, 0], [0, 4]],  # (4,0) -> (4,4): the shared edge
        [[4, 4], [-4, 0], [0, -4], [4, 0]],  # (4,4) -> (0,4) -> (0,0) -> (4,0)
        [[4, 0], [4, 0], [0, 4], [-4, 0]],  # (4,0) -> (8,0) -> (8,4) -> (4,4)
        [[1, 1], [1, 0], [0, 1], [-1, 0], [0, -1]],  # the hole, (1,1) to (2,2)
        [[10, 0], [1, 0], [0, 1], [-1, 0], [0, -1]],  # the island, (10,0) to (11,1)
    ],
}


def write(tmp_path, topology, name="small.json"):
    path = tmp_path / name
    path.write_text(json.dumps(topology), encoding="utf-8")
    return path


def test_decoding_quantized_delta_arcs_with_a_hole_and_a_reversed_arc(tmp_path):
    frame = context.read_topojson(write(tmp_path, SMALL))
    assert list(frame["name"]) == ["Alpha", "Lebanon"]  # the null geometry is left out
    alpha, other = frame.geometry
    assert alpha.equals(shapely.box(30, 30, 32, 31).difference(shapely.box(30.5, 30.25, 31, 30.5)))
    assert len(alpha.interiors) == 1 and alpha.area == pytest.approx(2 - 0.125)
    assert other.geom_type == "MultiPolygon" and len(other.geoms) == 2
    assert other.geoms[0].equals(shapely.box(32, 30, 34, 31))
    assert other.geoms[1].equals(shapely.box(35, 30, 35.5, 30.25))
    assert alpha.intersection(other).length == pytest.approx(1.0)  # the shared edge x = 32
    assert list(frame["iso_n3"]) == ["999", "422"]
    assert list(frame["name_ar"]) == ["", "لبنان"]


def test_decoding_without_a_transform_reads_plain_positions(tmp_path):
    plain = {
        "type": "Topology",
        "objects": {"land": {"type": "Polygon", "arcs": [[0]], "properties": {"name": "Plain"}}},
        "arcs": [[[35.0, 33.0], [36.0, 33.0], [36.0, 34.0], [35.0, 33.0]]],
    }
    frame = context.read_topojson(write(tmp_path, plain), "land")
    assert frame.geometry.iloc[0].equals(shapely.Polygon([(35, 33), (36, 33), (36, 34)]))


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda t: t.update(type="FeatureCollection"), "not a TopoJSON Topology"),
        (lambda t: t["objects"].pop("countries"), "no object 'countries'"),
        (
            lambda t: t["objects"]["countries"]["geometries"][0].update(arcs=[[0, 7]]),
            r"feature 0 \(id=999, name='Alpha'\): arc index 7 is out of range",
        ),
        (
            lambda t: t["objects"]["countries"]["geometries"][1].update(type="Point"),
            r"feature 1 .*geometry type 'Point'",
        ),
        (lambda t: t["arcs"].__setitem__(2, "oops"), "arc 2 is not a list"),
    ],
)
def test_broken_topologies_are_data_errors_naming_the_place(tmp_path, change, message):
    topology = json.loads(json.dumps(SMALL))
    change(topology)
    with pytest.raises(DataError, match=message):
        context.read_topojson(write(tmp_path, topology))


def test_a_file_that_is_not_json_is_a_data_error(tmp_path):
    path = tmp_path / "countries-10m.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match="not JSON.*geo.assets --force"):
        context.read_topojson(path)


def test_the_regional_extract_decodes_to_the_same_outlines(tmp_path):
    import shutil

    from geo.context import COUNTRIES_FILE, REGION, _countries_topology, _Topology, regional_file

    source = tmp_path / "countries-10m.json"
    shutil.copy(COUNTRIES_FILE, source)
    region = _countries_topology(source, (30.0, 28.0, 50.0, 42.0))
    extract = regional_file(source)
    assert extract.is_file() and extract.stat().st_size < source.stat().st_size / 3
    full = _Topology.read(source, "countries")
    by_key = {(m.code, m.name): m for m in full.members}
    names = set()
    for member in region.members:
        twin = by_key[(member.code, member.name)]
        ours, theirs = region.geometry(member, 0.0), full.geometry(twin, 0.0)
        assert ours.equals_exact(theirs, 1e-9), member.name
        names.add(member.name)
    assert {"Syria", "Lebanon", "Turkey", "Iraq", "Jordan", "Iran", "Egypt"} <= names
    # every country of the full file that meets the region is in the extract
    meeting = {
        m.name
        for m in full.members
        if m.kind
        and m.bbox[0] <= REGION[2]
        and REGION[0] <= m.bbox[2]
        and m.bbox[1] <= REGION[3]
        and REGION[1] <= m.bbox[3]
    }
    assert meeting == names
    # a second process reads the extract, not the whole file
    _countries_topology.cache_clear()
    assert _countries_topology(source, None).where == str(extract)
    # a box beyond the region reads the whole file
    assert _countries_topology(source, (-10.0, 0.0, 10.0, 10.0)).where == str(source)
