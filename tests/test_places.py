"""The gazetteer (geo.places): the bundled towns against OCHA's file, and the loader's checks."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from geo.places import PLACE_COLUMNS, PlacesError, gazetteer, load_places, load_places_if_any
from tests.conftest import DATA, needs_realdata

OCHA_PLACES = "places/ocha2015_syr_admin4_pplp_points_utf8_cleaned.geojson"
HEADER = ",".join(PLACE_COLUMNS)
DUMA = 'C2338,Duma,دوما,Rural Damascus,33.56986,36.39914,"OCHA COD populated places"'


@pytest.fixture(scope="module")
def ocha():
    """OCHA's populated places, by P-code: names, governorate and the point's position."""
    path = needs_realdata() / OCHA_PLACES
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return {
        f["properties"]["PCODE"]: {
            **f["properties"],
            "lon": f["geometry"]["coordinates"][0][0],
            "lat": f["geometry"]["coordinates"][0][1],
        }
        for f in features
    }


@pytest.fixture(scope="module")
def places():
    return load_places(DATA)


def test_every_row_matches_the_ocha_file(places, ocha):
    assert len(places) == 65
    for row in places.itertuples():
        town = ocha[row.pcode]
        assert row.name_en == town["NAME_EN"], row.pcode
        assert row.admin1_en == town["ADMIN1_EN"], row.pcode
        # the shared copy of OCHA's file has one Arabic name cut mid-character (U+FFFD, see
        # data/README.md): the gazetteer keeps what precedes it
        assert row.name_ar == town["NAME_ARA"].replace("\ufffd", "").rstrip(), row.pcode
        assert abs(row.lat - town["lat"]) < 1e-5 and abs(row.lon - town["lon"]) < 1e-5, row.pcode
        assert row.source.startswith("OCHA COD populated places of Syria, 2015")


def test_the_gazetteer_is_exactly_the_towns_the_violations_use(places):
    violations = pd.read_csv(DATA / "violations.csv")
    towns = places[["lat", "lon"]].to_numpy()
    used = set()
    for lat, lon, vid in violations[["lat", "lon", "violation_id"]].itertuples(index=False):
        distance = np.hypot(towns[:, 0] - lat, towns[:, 1] - lon)
        assert distance.min() < 2e-5, f"{vid} is at no gazetteer town"
        used.add(int(distance.argmin()))
    assert used == set(range(len(places))), "a gazetteer town no violation uses"


def test_arabic_names_are_arabic_and_pcodes_unique(places):
    assert places["pcode"].is_unique
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in name) for name in places["name_ar"])
    assert not places["name_ar"].str.contains("\ufffd").any()


def test_a_folder_without_a_gazetteer_has_none(tmp_path):
    assert load_places_if_any(tmp_path) is None
    with pytest.raises(PlacesError, match="no gazetteer file"):
        load_places(tmp_path)


def test_a_missing_column_is_named(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text("pcode,name_en,lat,lon\nC1,x,33,36\n", encoding="utf-8")
    with pytest.raises(PlacesError, match="lacks the column.*name_ar.*admin1_en.*source"):
        load_places(path)


def test_every_bad_row_is_reported_with_its_row_and_column(tmp_path):
    path = tmp_path / "places.csv"
    lines = [
        HEADER,
        DUMA,
        DUMA,  # repeated P-code
        'X12,Nowhere,مكان,Idleb,35.9,36.6,"OCHA"',  # not a P-code
        'C3871,Idleb,,Idleb,35.9,north,"OCHA"',  # no Arabic name, longitude not a number
        'C9999,Paris,باريس,Ile-de-France,48.85,2.35,"OCHA"',  # outside Syria
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(PlacesError) as caught:
        load_places(path)
    found = {(p.where, p.code) for p in caught.value.problems}
    assert found == {
        ("row 3, column pcode", "duplicate-pcode"),
        ("row 4, column pcode", "pcode"),
        ("row 5, column name_ar", "empty"),
        ("row 5, column lon", "not-a-number"),
        ("row 6, column lat", "outside-syria"),
        ("row 6, column lon", "outside-syria"),
    }
    assert "'north' is not a number" in str(caught.value)


def test_a_good_file_reads_with_float_positions(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(f"{HEADER}\n{DUMA}\n", encoding="utf-8")
    frame = load_places(path)
    assert frame.loc[0, "name_ar"] == "دوما" and frame.loc[0, "lat"] == pytest.approx(33.56986)


def test_gazetteer_for_a_map_says_why_a_broken_file_is_left_out(tmp_path):
    assert gazetteer(tmp_path) == (None, None)
    (tmp_path / "places.csv").write_text(f"{HEADER}\nC1,x,,Idleb,35,36,OCHA\n", encoding="utf-8")
    places, problem = gazetteer(tmp_path)
    assert places is None and "row 2, column name_ar" in problem
    assert len(gazetteer(DATA)[0]) == 65
