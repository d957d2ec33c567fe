"""Filters, search and event stepping (geo.filters)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo import schema
from geo.datasets import load_timeline
from geo.filters import (
    busiest_instant,
    event_instants,
    fold,
    incident_mask,
    local_instant,
    search,
    step_event,
)
from tests.conftest import DATA


@pytest.fixture(scope="module")
def timeline():
    return load_timeline(DATA)


def test_incident_mask(timeline):
    inc = timeline.incidents
    assert incident_mask(inc) is None and incident_mask(inc, kinds=[]) is None
    shelling = incident_mask(inc, kinds=["shelling"])
    assert shelling.sum() == (inc["kind"] == "shelling").sum() > 0
    both = incident_mask(inc, kinds=["shelling"], perpetrators=["government"])
    assert 0 < both.sum() < shelling.sum()
    assert inc[both]["alleged_perpetrator"].str.contains("government", case=False).all()
    russia = incident_mask(inc, perpetrators=["russia"])
    wordings = set(inc[russia]["alleged_perpetrator"])
    assert {"Russian air force", "Syrian government or Russian aircraft"} <= wordings
    assert "Syrian government forces" not in wordings
    assert not incident_mask(inc, datasets=["ucdp"]).any()


def test_search_needs_every_word(timeline):
    agreements = timeline.agreements.frame
    found = search(agreements, "cairo GHOUTA", ["title", "terms"])
    assert list(found["agreement_id"]) == ["cairo-eastern-ghouta-2017"]
    assert len(search(agreements, "  ", ["title"])) == len(agreements)
    assert search(agreements, "cairo atlantis", ["title"]).empty


def test_event_stepping(timeline):
    events = event_instants(timeline)
    assert np.all(np.diff(events) > 0)
    cairo = pd.Timestamp("2017-07-22T09:00Z")
    assert cairo.value in events
    assert step_event(events, cairo - pd.Timedelta(minutes=1), 1) == cairo
    assert step_event(events, cairo, -1) < cairo
    assert step_event(events, pd.Timestamp("2099-01-01", tz="UTC"), 1) is None
    assert step_event(events, pd.Timestamp("2000-01-01", tz="UTC"), -1) is None


def test_busiest_instant_shows_the_most_zones(timeline):
    at = busiest_instant(timeline)
    local = at.tz_convert(schema.DAMASCUS)
    assert (local.hour, local.minute) == (12, 0)
    count = len(timeline.zones.valid_at(at.value))
    assert count == max(len(timeline.zones.valid_at(int(t))) for t in timeline.zones.start)


def test_local_instant_is_damascus_wall_clock():
    assert local_instant(pd.Timestamp("2017-07-22").date(), 12) == pd.Timestamp("2017-07-22T09:00Z")
    assert local_instant(pd.Timestamp("2017-01-22").date(), 12) == pd.Timestamp("2017-01-22T10:00Z")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Duma", "Douma"),
        ("Ghouta", "Guta"),
        ("Eastern Ghouta", "EASTERN GHUTA"),
        ("Saraqeb", "Saraqib"),
        ("Khan Sheikhoun", "Khan Shaykhun"),
        ("al-Qutayfah", "El Qutayfah"),
        ("Ḥarastā", "Harasta"),
        ("Idlib", "Edlib"),
        ("الغوطة الشرقية", "الغوطه الشرقيه"),
        ("إدلب", "ادلب"),
        ("دُومَا", "دوما"),
    ],
)
def test_fold_makes_spelling_variants_one(one, other):
    assert fold(one) == fold(other)


@pytest.mark.parametrize("query", ["duma", "DOUMA", "Dūmā"])
def test_search_is_accent_case_and_transliteration_tolerant(timeline, query):
    incidents = timeline.incidents
    found = search(incidents, query, ["place", "summary"])
    assert len(found) >= 3
    assert found["place"].str.contains("Douma|Duma").all()


def test_search_finds_arabic_names(timeline):
    zones = timeline.zones.versions
    found = search(zones, "الغوطه", ["name", "name_ar"])
    assert set(found["zone_id"]) == {"eastern-ghouta"}
    assert search(zones, "غوطة", ["name_ar"])["zone_id"].eq("eastern-ghouta").all()
    assert search(zones, "atlantis", ["name"]).empty
    assert search(zones, "ghouta", ["no_such_column"]).empty
