"""geo.edit.gis and import_versions: GIS files in any CRS in, dated GIS files out."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from xml.etree import ElementTree

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Point, Polygon, box

from geo.edit import file_hash, save_zones
from geo.edit.gis import read_gis, write_gis
from geo.edit.versions import import_versions
from geo.errors import GeometryError, ImportFileError, UsageError
from geo.io import read_zones
from tests.conftest import DATA, TEST_DATA, needs_realdata

EDIT_DATA = TEST_DATA / "edit" / "data"
GOOGLE_EARTH = TEST_DATA / "edit" / "google_earth.kml"


@pytest.fixture
def zones():
    return read_zones(EDIT_DATA / "zones.geojson")


def _raw_shapefile():
    return needs_realdata() / "boundaries" / "raw_shapefile_ocha2016_adm1"


def _frame(geoms, crs="EPSG:4326", **columns):
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=crs)


# --- reading real files ----------------------------------------------------------------------


def test_raw_shapefile_with_fields_named():
    shp = _raw_shapefile() / "syr_admin1.shp"
    frame = read_gis(shp, id_field="PCODE", name_field="NAME_EN", valid_from_field="UPDATE_DAT")
    assert len(frame) == 14 and frame.crs == "EPSG:4326"
    assert list(frame.index) == list(range(14))  # feature ids as QGIS shows them
    assert list(frame.columns[:4]) == ["zone_id", "name", "name_ar", "valid_from"]
    damascus = frame[frame["zone_id"] == "SY01"].iloc[0]
    assert damascus["name"] == "Damascus" and damascus["name_ar"] == "دمشق"
    assert damascus["valid_from"].isoformat() == "2016-09-05"
    assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}


def test_zipped_shapefile_in_three_spellings(tmp_path):
    folder = _raw_shapefile()
    archive = tmp_path / "adm1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    plain = read_gis(folder / "syr_admin1.shp", id_field="PCODE")
    for spec in (str(archive), f"zip://{archive}", f"/vsizip/{archive}"):
        zipped = read_gis(spec, id_field="PCODE")
        assert list(zipped["zone_id"]) == list(plain["zone_id"])
        assert zipped.geometry.geom_equals_exact(plain.geometry, 0).all()


def test_geojson_with_legacy_crs_member_and_clockwise_rings():
    path = needs_realdata() / "boundaries" / "ocha2015_syr_admin1_alahwa_with_crs_member.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert "crs" in doc
    frame = read_gis(path, id_field="PCODE", name_field="NAME_EN")
    assert frame.crs == "EPSG:4326"
    first = shapely.geometry.shape(doc["features"][0]["geometry"])
    assert not first.exterior.is_ccw  # clockwise in the file
    assert frame.geometry.iloc[0].equals(first)
    assert "name_ar" not in frame.columns  # NAME_ARA is another name, not mapped
    assert "NAME_ARA" in frame.columns


def test_projected_layer_is_reprojected(tmp_path):
    path = needs_realdata() / "boundaries" / "ocha2016_syr_admin1_simplified.geojson"
    original = gpd.read_file(path)
    utm = tmp_path / "adm1_utm.gpkg"
    original.to_crs("EPSG:32637").to_file(utm, layer="adm1")
    frame = read_gis(utm, id_field="PCODE")
    assert frame.crs == "EPSG:4326"
    back = gpd.GeoSeries(frame.geometry.to_numpy(), crs="EPSG:4326")
    assert shapely.hausdorff_distance(back.to_numpy(), original.geometry.to_numpy()).max() < 1e-6


def test_geojson_with_projected_crs_member(tmp_path):
    web = _frame([box(36.3, 33.5, 36.5, 33.6)], zone_id=["a"]).to_crs("EPSG:3857")
    path = tmp_path / "web.geojson"
    web.to_file(path)  # GDAL writes a 'crs' member naming EPSG:3857
    assert "3857" in path.read_text()
    frame = read_gis(path)
    assert frame.geometry.iloc[0].equals_exact(box(36.3, 33.5, 36.5, 33.6), 1e-9)


# --- refusals --------------------------------------------------------------------------------


def _utm_shapefile(tmp_path):
    path = tmp_path / "utm.shp"
    _frame([box(36.3, 33.5, 36.5, 33.6)], zone_id=["a"]).to_crs("EPSG:32637").to_file(path)
    return path


def test_projected_file_without_crs_is_refused(tmp_path):
    path = _utm_shapefile(tmp_path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(ImportFileError, match=r"has no coordinate reference system \(the .prj"):
        read_gis(path)


def test_unreadable_crs_is_refused(tmp_path):
    path = _utm_shapefile(tmp_path)
    path.with_suffix(".prj").write_text("GEOGCS[nonsense")
    with pytest.raises(ImportFileError, match="coordinate reference system cannot be read"):
        read_gis(path)


def test_lon_lat_file_without_crs_is_taken_as_wgs84(tmp_path):
    path = tmp_path / "plain.shp"
    _frame([box(36.3, 33.5, 36.5, 33.6)], zone_id=["a"]).to_file(path)
    path.with_suffix(".prj").unlink()
    assert read_gis(path).crs == "EPSG:4326"


@pytest.mark.parametrize(
    ("write", "error", "match"),
    [
        (
            lambda p: _frame([], zone_id=[]).to_file(p, layer="empty"),
            ImportFileError,
            "has no features",
        ),
        (
            lambda p: _frame([Point(36, 33), Point(37, 34)], a=[1, 2]).to_file(p),
            GeometryError,
            r"the layer has no polygons \(found 2 a Point\)",
        ),
        (
            lambda p: p.write_text("this is not a GIS file"),
            ImportFileError,
            "cannot be read as a GIS file",
        ),
    ],
)
def test_unusable_files(tmp_path, write, error, match):
    path = tmp_path / "layer.gpkg"
    write(path)
    with pytest.raises(error, match=match):
        read_gis(path)


def test_mixed_layer_names_each_non_polygon(tmp_path):
    path = tmp_path / "mixed.geojson"
    _frame(
        [box(36, 33, 36.1, 33.1), Point(36, 33), box(37, 33, 37.1, 33.1)], zone_id=["a", "b", "c"]
    ).to_file(path)
    with pytest.raises(GeometryError) as err:
        read_gis(path)
    [problem] = err.value.problems
    assert problem.where == "feature 1" and "holds a Point, not a polygon" in problem.message


def test_geometry_collection_of_polygons_becomes_multipolygon(tmp_path):
    path = tmp_path / "gc.geojson"
    gc = GeometryCollection([box(36, 33, 36.1, 33.1), box(36.2, 33, 36.3, 33.1)])
    _frame([gc], zone_id=["a"]).to_file(path)
    [geom] = read_gis(path).geometry
    assert isinstance(geom, MultiPolygon) and len(geom.geoms) == 2


def test_layers_and_fields_are_chosen_by_name(tmp_path):
    path = tmp_path / "two.gpkg"
    _frame([box(36, 33, 36.1, 33.1)], zone_id=["a"]).to_file(path, layer="zones")
    _frame([Point(36, 33)], a=[1]).to_file(path, layer="towns")
    assert list(read_gis(path)["zone_id"]) == ["a"]  # the only polygon layer
    _frame([box(37, 33, 37.1, 33.1)], zone_id=["b"]).to_file(path, layer="zones2")
    with pytest.raises(UsageError, match=r"several layers .*choose one with --layer"):
        read_gis(path)
    assert list(read_gis(path, layer="zones2")["zone_id"]) == ["b"]
    with pytest.raises(UsageError, match=r"no layer 'zone' \(did you mean 'zones'\?\)"):
        read_gis(path, layer="zone")
    with pytest.raises(UsageError, match=r"no field 'zone_ld' for the zone id \(did you mean"):
        read_gis(path, layer="zones", id_field="zone_ld")


def test_bad_dates_are_located(tmp_path):
    path = tmp_path / "dates.geojson"
    _frame(
        [box(36, 33, 36.1, 33.1), box(37, 33, 37.1, 33.1)],
        zone_id=["a", "b"],
        start=["2017-05-06", "6 May 2017"],
    ).to_file(path)
    with pytest.raises(ImportFileError) as err:
        read_gis(path, valid_from_field="start")
    [problem] = err.value.problems
    assert problem.where == "feature 1, field valid_from"
    assert "'6 May 2017' is not a date" in problem.message


def test_missing_file():
    with pytest.raises(UsageError, match="no such file"):
        read_gis("/nonexistent/zones.shp")


def test_kml_noise_dropped_and_names_mapped():
    frame = read_gis(GOOGLE_EARTH, id_field="Name")
    assert list(frame.columns) == ["zone_id", "valid_from", "geometry"]
    assert list(frame["zone_id"]) == ["holed", "multi"]
    assert [d.isoformat() for d in frame["valid_from"]] == ["2019-01-01"] * 2  # from TimeSpan
    holed, multi = frame.geometry
    assert len(holed.interiors) == 1 and isinstance(multi, MultiPolygon)
    assert not shapely.has_z(holed)


# --- writing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "kml"])
def test_export_has_dates_and_round_trips_unchanged(tmp_path, zones, fmt):
    path = write_gis(zones, tmp_path / f"zones.{fmt}", fmt)
    info = pyogrio.read_info(path)
    types = dict(zip(info["fields"], info["ogr_types"], strict=True))
    if fmt != "kml":
        assert types["valid_from"] == types["valid_to"] == "OFTDate"
    else:
        assert types["begin"] == "OFTDateTime"  # the TimeSpan, as QGIS reads it
    back = read_gis(path)
    assert list(back["zone_id"]) == list(zones["zone_id"])
    assert [d.isoformat() for d in back["valid_from"]] == [
        t.tz_convert("Asia/Damascus").date().isoformat() for t in zones["valid_from"]
    ]
    assert back["valid_to"].isna().sum() == zones["valid_to"].isna().sum()
    result = import_versions(zones, back, source=path.name)
    assert result.versions_unchanged == tuple(sorted(zones["version_id"]))
    assert result.versions_added == result.versions_replaced == ()


def test_shapefile_export_names_and_text_limits(tmp_path):
    zones = read_zones(DATA / "zones.geojson")
    path = write_gis(zones, tmp_path / "zones.shp", "shp")
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".cpg", ".dbf", ".prj", ".shp", ".shx"]
    raw = pyogrio.read_dataframe(path)
    assert "bnd_source" in raw.columns
    assert raw["bnd_source"].map(lambda s: len(s.encode())).max() <= 254
    assert raw["name_ar"].iloc[0] == zones["name_ar"].iloc[0]  # UTF-8 kept
    back = read_gis(path)
    assert back["boundary_source"].iloc[0].startswith(zones["boundary_source"].iloc[0][:200])


def test_kml_export_has_time_spans(tmp_path, zones):
    path = write_gis(zones, tmp_path / "zones.kml", "kml")
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    marks = ElementTree.parse(path).getroot().findall(".//k:Placemark", ns)
    spans = [
        (
            m.findtext("k:TimeSpan/k:begin", namespaces=ns),
            m.findtext("k:TimeSpan/k:end", namespaces=ns),
        )
        for m in marks
    ]
    assert spans[0] == ("2017-05-06", "2018-03-11")
    assert spans[1] == ("2018-03-11", None)
    assert marks[0].findtext("k:name", namespaces=ns) == "U-shaped test zone"


def test_export_replaces_and_leaves_no_staging(tmp_path, zones):
    target = tmp_path / "zones.gpkg"
    target.write_text("old content")
    write_gis(zones, target, "GPKG")
    assert len(read_gis(target)) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zones.gpkg"]
    with pytest.raises(UsageError, match=r"unknown format 'gpgk' \(did you mean 'gpkg'\?\)"):
        write_gis(zones, tmp_path / "z.gpkg", "gpgk")


# --- import_versions -------------------------------------------------------------------------


def test_import_adds_replaces_and_creates(zones):
    incoming = read_gis(GOOGLE_EARTH, id_field="Name")
    fresh = _frame(
        [box(36.9, 33.4, 37.0, 33.5), box(36.9, 33.4, 37.05, 33.5)],
        zone_id=["Fresh-Zone", "fresh-zone"],
        name=["Fresh zone", "Fresh zone"],
        valid_from=[dt.date(2017, 6, 1), dt.date(2018, 1, 1)],
    )
    fresh.index = [7, 8]
    both = gpd.GeoDataFrame(pd.concat([incoming, fresh]), geometry="geometry", crs="EPSG:4326")
    result = import_versions(zones, both, source="mixed.kml", group="test-2019")
    assert result.zones_added == ("fresh-zone",)
    assert set(result.versions_added) == {
        "holed@2019-01-01",
        "multi@2019-01-01",
        "fresh-zone@2017-06-01",
        "fresh-zone@2018-01-01",
    }
    out = result.zones.set_index("version_id")

    def end(vid):
        return out.loc[vid, "valid_to"].tz_convert("Asia/Damascus").date().isoformat()

    # the open versions of holed and multi are closed by the new ones
    assert end("holed@2017-05-06") == end("multi@2017-05-06") == "2019-01-01"
    # a new zone's first version is closed by its second
    assert end("fresh-zone@2017-06-01") == "2018-01-01"
    assert out.loc["fresh-zone@2017-06-01", "group"] == "test-2019"
    assert (
        out.loc["fresh-zone@2017-06-01", "boundary_source"] == "Imported from mixed.kml, feature 7"
    )


def test_import_of_an_existing_version_replaces_only_its_outline(zones):
    incoming = _frame(
        [box(36.60, 33.40, 36.80, 33.60)],
        zone_id=["holed"],
        name=["Another name"],
        valid_from=[dt.date(2017, 5, 6)],
    )
    result = import_versions(zones, incoming, source="edit.gpkg")
    assert result.versions_replaced == ("holed@2017-05-06",)
    row = result.zones.set_index("version_id").loc["holed@2017-05-06"]
    assert row["name"] == "Test zone with a hole"  # names are not taken from the file
    assert not row.geometry.interiors


def test_import_problems_are_collected_per_feature(zones):
    d = dt.date
    incoming = _frame(
        [
            box(36, 33, 36.1, 33.1),
            box(36, 33, 36.1, 33.1),
            Polygon([(36.6, 33.4), (36.8, 33.6), (36.8, 33.4), (36.6, 33.6)]),
            box(36, 33, 36.1, 33.1),
            box(36, 33, 36.1, 33.1),
        ],
        zone_id=[None, "no name", "holed", "ghouta-u", "brand-new"],
        valid_from=[d(2019, 1, 1), d(2019, 1, 1), d(2019, 1, 1), d(2018, 1, 1), d(2019, 1, 1)],
    )
    with pytest.raises(
        ImportFileError, match="5 problems in the features; nothing was imported"
    ) as err:
        import_versions(zones, incoming, source="bad.gpkg")
    found = {p.where: p.code for p in err.value.problems}
    assert found == {
        "feature 0": "missing-property",
        "feature 1 (zone_id=no name)": "bad-slug",
        "feature 2 (zone_id=holed)": "invalid-geometry",
        "feature 3 (zone_id=ghouta-u)": "overlapping-versions",
        "feature 4 (zone_id=brand-new)": "refused",
    }
    assert "needs a name" in str(err.value)


def test_full_sub_districts_import_and_validate(tmp_path):
    # 272 real sub-districts at full precision: rounding to 6 decimals alone would make two of
    # them self-intersect; the import snaps them so that they stay valid
    path = needs_realdata() / "boundaries" / "ocha2016_syr_admin3.geojson"
    incoming = read_gis(path, id_field="PCODE", name_field="NAME_EN", valid_from_field="UPDATE_DAT")
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("imported", ".backups"))
    zones_file = folder / "zones.geojson"
    before = read_zones(zones_file)
    result = import_versions(before, incoming, source=path.name)
    assert len(result.zones_added) == 272
    assert set(result.zones[result.zones["zone_id"] == "sy030200"]["group"]) == {
        "ocha2016-syr-admin3"
    }
    saved = save_zones(zones_file, result.zones, expected=file_hash(zones_file))
    assert len(saved.versions) == 272
    assert len(read_zones(zones_file)) == len(before) + 272
