"""The bundled data: valid, cited, the seeds' facts present, towns inside their zones."""

from __future__ import annotations

import csv
import datetime as dt
import re

import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from geo import schema
from geo.io import load_dataset
from tests.conftest import DATA, needs_realdata


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(DATA)


def versions(ds, zone_id):
    return ds.zones[ds.zones["zone_id"] == zone_id].sort_values("valid_from")


def at(ds, zone_id, day):
    t = pd.Timestamp(schema.local_midnight(dt.date.fromisoformat(day)))
    z = versions(ds, zone_id)
    z = z[(z["valid_from"] <= t) & (z["valid_to"].isna() | (z["valid_to"] > t))]
    assert len(z) == 1, f"{zone_id} has {len(z)} versions on {day}"
    return z.iloc[0]


def agreement(ds, agreement_id):
    rows = ds.agreements[ds.agreements["agreement_id"] == agreement_id]
    assert len(rows) == 1, agreement_id
    return rows.iloc[0]


def test_bundled_data_has_no_errors_and_no_weak_sources(dataset):
    assert dataset.report.ok
    assert "weak-source" not in dataset.report.codes()


def test_sizes(dataset):
    assert dataset.zones["zone_id"].nunique() == 7
    assert len(dataset.agreements) >= 20
    assert len(dataset.violations) >= 40


def test_every_record_cites_a_url_or_dataset_id(dataset):
    cited = re.compile(r"https?://|\bPA-X \d+")
    for frame, key in ((dataset.agreements, "agreement_id"), (dataset.violations, "violation_id")):
        for _, row in frame.iterrows():
            assert cited.search(row["source"]), row[key]


def test_outlines_are_marked_approximate_and_cite_their_sources(dataset):
    assert set(dataset.zones["accuracy"]) == {"approximate"}
    for _, row in dataset.zones.iterrows():
        assert "Own approximate digitising" in row["boundary_source"], row["version_id"]
        assert "http" in row["boundary_source"], row["version_id"]


def test_required_zones_exist(dataset):
    assert set(dataset.zones["zone_id"]) == {
        "syria-nationwide",
        "eastern-ghouta",
        "idlib",
        "northern-homs",
        "southern",
        "daraa-al-balad",
        "east-qalamoun",
    }


# --- geography -------------------------------------------------------------------------------

ZONE_OF_HINT = {
    "Eastern Ghouta": "eastern-ghouta",
    "East Qalamoun": "east-qalamoun",
    "Northern Homs countryside": "northern-homs",
    "Idlib": "idlib",
    "Daraa al-Balad": "daraa-al-balad",
    "Southern Syria (Quneitra)": "southern",
}


def zone_towns():
    root = needs_realdata()
    with open(root / "places" / "zone_towns_from_ocha_pplp.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_each_zone_contains_its_reported_towns_in_its_first_version(dataset):
    checked = 0
    for town in zone_towns():
        point = Point(float(town["lon"]), float(town["lat"]))
        assert shapely.covers(versions(dataset, "syria-nationwide").iloc[0].geometry, point)
        zone_id = ZONE_OF_HINT.get(town["zone_hint"])
        if zone_id is None:
            continue  # the government-held half of Daraa city lies outside the enclave
        first = versions(dataset, zone_id).iloc[0]
        assert shapely.covers(first.geometry, point), (town["NAME_EN"], zone_id)
        checked += 1
    assert checked >= 15


def test_ar_rastan_point_lies_inside_northern_homs_despite_ocha_subdistrict(dataset):
    # OCHA's own Ar-Rastan point lies ~300 m outside OCHA's Ar-Rastan sub-district polygon.
    rastan = next(t for t in zone_towns() if t["NAME_EN"] == "Ar-Rastan")
    assert shapely.covers(
        at(dataset, "northern-homs", "2017-08-03").geometry,
        Point(float(rastan["lon"]), float(rastan["lat"])),
    )


def test_every_zone_lies_inside_the_national_extent(dataset):
    nation = versions(dataset, "syria-nationwide").iloc[0].geometry
    for _, row in dataset.zones.iterrows():
        assert shapely.covers(nation, row.geometry), row["version_id"]


def test_daraa_al_balad_nests_in_the_southern_zone(dataset):
    southern = versions(dataset, "southern").iloc[0].geometry
    for _, row in versions(dataset, "daraa-al-balad").iterrows():
        assert shapely.covers(southern, row.geometry), row["version_id"]


def test_eastern_ghouta_shrank_during_2018(dataset):
    areas = list(versions(dataset, "eastern-ghouta").to_crs(32637).geometry.area)  # UTM 37N
    assert len(areas) >= 4
    assert areas == sorted(areas, reverse=True) and areas[-1] < areas[0] / 3
    assert at(dataset, "eastern-ghouta", "2018-03-15").geometry.geom_type == "MultiPolygon"


def test_daraa_al_balad_has_2021_versions(dataset):
    v = versions(dataset, "daraa-al-balad")
    in_2021 = v[v["valid_from"].dt.year == 2021]
    assert len(in_2021) >= 2
    assert in_2021.iloc[-1].geometry.area < in_2021.iloc[0].geometry.area


def test_every_agreement_zone_exists_while_the_agreement_is_in_force(dataset):
    for _, a in dataset.agreements.iterrows():
        for zone_id in a["zone_ids"]:
            z = versions(dataset, zone_id)
            start = a["effective_from"]
            overlaps = z["valid_to"].isna() | (z["valid_to"] > start)
            if pd.notna(a["effective_to"]):
                overlaps &= z["valid_from"] < a["effective_to"]
            assert overlaps.any(), (a["agreement_id"], zone_id)


# --- the seeds ---------------------------------------------------------------------------------

SEED_URLS = {
    "000 TRT World": "trtworld.com/mea/russia-agrees-on-de-escalation-zone-mechanism-with-syrian-opposition-406300",
    "001 Middle East Monitor (IFMAT copy)": "ifmat.org/08/16/syria-iran-militias-violate-daraa-ceasefire-middle-east-monitor",
    "002 The Syrian Observer": "syrianobserver.com/?p=22438",
    "003 Gulf News (AFP)": "gulfnews.com/news/mena/syria/syria-regime-rebels-agree-nationwide-ceasefire-1.1953568",
    "004 SouthFront": "southfront.press/establishment-of-four-de-escalation-zones-including-idlib-in-syria-officially-announced",
}


@pytest.mark.parametrize("seed,url", SEED_URLS.items())
def test_each_seed_report_is_cited(dataset, seed, url):
    sources = " ".join(dataset.agreements["source"]) + " ".join(dataset.violations["source"])
    assert url in sources, seed


def utc(text):
    return pd.Timestamp(text).tz_convert("UTC")


def test_seed_nationwide_ceasefire_from_midnight(dataset):
    a = agreement(dataset, "nationwide-ceasefire-2016-12")
    assert a["effective_from"] == utc("2016-12-30T00:00+02:00")
    assert a["zone_ids"] == ("syria-nationwide",) and "Turkey" in a["guarantors"]


def test_seed_astana_memorandum(dataset):
    a = agreement(dataset, "astana-deescalation-memorandum-2017")
    assert a["signed"] == utc("2017-05-03T21:00Z") and "PA-X 2093" in a["source"]
    assert set(a["zone_ids"]) == {"eastern-ghouta", "idlib", "northern-homs", "southern"}


def test_seed_cairo_agreement_from_noon_local(dataset):
    a = agreement(dataset, "cairo-eastern-ghouta-2017")
    assert a["effective_from"] == utc("2017-07-22T09:00Z")
    assert a["zone_ids"] == ("eastern-ghouta",)


def test_seed_east_qalamoun_two_month_trial(dataset):
    a = agreement(dataset, "east-qalamoun-trial-ceasefire-2017-07")
    assert a["effective_from"].tz_convert(schema.DAMASCUS).month == 7
    assert (a["effective_to"] - a["effective_from"]).days in range(58, 64)
    assert "renewable" in a["terms"]


def test_seed_astana_statement_six_months_four_zones(dataset):
    a = agreement(dataset, "astana-joint-statement-2017-09")
    assert a["signed"].tz_convert(schema.DAMASCUS).date() == dt.date(2017, 9, 15)
    assert set(a["zone_ids"]) == {"eastern-ghouta", "idlib", "northern-homs", "southern"}
    assert "six months" in a["terms"]


def test_seed_daraa_al_balad_two_week_truce(dataset):
    a = agreement(dataset, "daraa-al-balad-truce-2021-08")
    assert a["signed"].tz_convert(schema.DAMASCUS).date() == dt.date(2021, 8, 14)
    assert (a["effective_to"] - a["effective_from"]).days == 14
    assert a["outcome"] == "violated"


def test_seed_bab_al_hawa_intra_rebel_ceasefire(dataset):
    a = agreement(dataset, "bab-al-hawa-hts-ahrar-ceasefire-2017")
    assert a["signed"].tz_convert(schema.DAMASCUS).date() == dt.date(2017, 7, 21)
    assert "Hayat Tahrir al-Sham" in a["parties"] and "Ahrar al-Sham" in a["parties"]


def test_seed_violations(dataset):
    v = dataset.violations.set_index("violation_id")
    bombard = v.loc["v-20210814-tareeq-al-sad"]
    assert bombard["zone_id"] == "daraa-al-balad" and bombard["kind"] == "shelling"
    assert bombard["occurred"].tz_convert(schema.DAMASCUS).date() == dt.date(2021, 8, 14)
    saraya = v.loc["v-20210814-saraya-crossing"]
    assert saraya["kind"] == "obstruction"
    delegation = v.loc["v-20170801-qutayfah"]
    assert delegation["kind"] == "obstruction" and delegation["date_precision"] == "month"
    assert "Russian delegation" in delegation["summary"]
