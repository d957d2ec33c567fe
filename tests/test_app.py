"""The Streamlit pages through AppTest: real scripts, real data, no browser."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import DATA, ROOT

pytestmark = pytest.mark.app
PAGES = ["pages/map.py", "pages/zone.py", "pages/records.py", "pages/health.py"]


@pytest.fixture(autouse=True)
def bundled_data(monkeypatch):
    monkeypatch.setenv("DEZMAP_DATA", str(DATA))
    monkeypatch.delenv("DEZMAP_REFERENCE", raising=False)


def start(**params) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in params.items():
        app.query_params[key] = value
    return app.run()


def status_of(app: AppTest, zone_name: str) -> dict:
    table = app.dataframe[0].value
    row = table[table["name"] == zone_name]
    assert len(row) == 1, list(table["name"])
    return row.iloc[0].to_dict()


def heading(app: AppTest) -> str:
    return app.markdown[0].value


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(page):
    app = start(at="2017-07-23T12:00+03:00", zone="eastern-ghouta")
    app.switch_page(page).run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]


def test_slider_changes_the_computed_statuses():
    app = start(at="2017-07-21T12:00+03:00")
    before = status_of(app, "Eastern Ghouta")
    assert "cairo-eastern-ghouta-2017" not in before["agreements"]
    app.slider(key="w.day").set_value(dt.date(2017, 7, 23)).run()
    assert heading(app) == "#### 23 July 2017, 12:00 Damascus time"
    after = status_of(app, "Eastern Ghouta")
    assert "cairo-eastern-ghouta-2017" in after["agreements"]
    assert app.query_params["at"] == "2017-07-23T12:00+03:00"


def test_hour_and_window_controls():
    app = start(at="2017-07-22T12:00+03:00")
    app.select_slider(key="w.hour").set_value(11).run()
    assert "cairo-eastern-ghouta-2017" not in status_of(app, "Eastern Ghouta")["agreements"]
    app.number_input(key="w.window").set_value(30).run()
    assert app.query_params["window"] == "30"
    assert any("the 30 days before" in c.value for c in app.caption), [c.value for c in app.caption]


def test_next_and_previous_event_buttons():
    app = start(at="2017-07-22T11:00+03:00")
    app.button(key="w.next").click().run()
    assert heading(app) == "#### 22 July 2017, 12:00 Damascus time"  # the Cairo cessation
    app.button(key="w.prev").click().run()
    assert "22 July 2017" in heading(app) or "21 July 2017" in heading(app)
    assert "12:00" not in heading(app)


def test_jump_to_an_agreement():
    app = start(at="2016-03-01T12:00+02:00")
    app.selectbox(key="w.jump").select("daraa-al-balad-truce-2021-08").run()
    assert heading(app) == "#### 14 August 2021, 00:00 Damascus time"
    assert status_of(app, "Daraa al-Balad")["status"] in ("holding", "violated")


def test_permalink_restores_the_view_on_every_page():
    params = {
        "at": "2018-03-15T12:00+02:00",
        "window": "3",
        "zone": "eastern-ghouta",
        "kinds": "shelling,airstrike",
    }
    app = start(**params)
    assert heading(app) == "#### 15 March 2018, 12:00 Damascus time"
    assert app.number_input(key="w.window").value == 3
    assert app.selectbox(key="w.zone").value == "eastern-ghouta"
    assert app.multiselect(key="w.kinds").value == ["shelling", "airstrike"]
    for page in PAGES[1:]:
        app.switch_page(page).run()
        assert not app.exception
        assert {k: app.query_params[k] for k in params} == params, page
    app.switch_page("pages/zone.py").run()
    assert app.title[0].value == "Eastern Ghouta"


def test_bad_permalink_values_fall_back_with_a_warning():
    app = start(at="yesterday", window="-3", zone="atlantis", base="satellite")
    warnings = " ".join(w.value for w in app.warning)
    assert "at:" in warnings and "window:" in warnings and "zone:" in warnings
    assert "base:" in warnings
    assert not app.exception


def test_filters_change_counts_and_the_address():
    app = start(at="2021-08-16T12:00+03:00")
    assert status_of(app, "Daraa al-Balad")["violations"] >= 1
    app.multiselect(key="w.kinds").set_value(["airstrike"]).run()
    assert status_of(app, "Daraa al-Balad")["violations"] == 0
    assert app.query_params["kinds"] == "airstrike"


def test_play_steps_through_time_and_stops_at_the_end():
    app = start(at="2024-09-01T12:00+03:00")
    app.selectbox(key="w.playstep").select("1 month")
    app.toggle(key="w.play").set_value(True).run(timeout=120)
    assert not app.exception
    assert app.toggle(key="w.play").value is False  # it stopped at the end of the data
    assert "2024" in heading(app) and "1 September 2024" not in heading(app)


def test_records_search_and_downloads():
    app = start(at="2021-08-16T12:00+03:00")
    app.switch_page("pages/records.py").run()
    captions = [c.value for c in app.caption]
    assert any(c.startswith("16 August 2021, 12:00 Damascus time") for c in captions)
    app.text_input(key="w.search").input("Daraa truce").run()
    agreements = app.dataframe[0].value
    assert "daraa-al-balad-truce-2021-08" in set(agreements["agreement_id"])
    assert len(agreements) < 10
    app.radio(key="w.scope").set_value("all").run()
    assert not app.exception


def test_health_page_reports_a_broken_data_folder(data_copy, monkeypatch):
    zones = data_copy / "zones.geojson"
    zones.write_text(
        zones.read_text(encoding="utf-8").replace('"2017-05-06"', '"2017-02-30"', 1),
        encoding="utf-8",
    )
    monkeypatch.setenv("DEZMAP_DATA", str(data_copy))
    app = start()
    assert app.error and "cannot be loaded" in app.error[0].value
    assert not app.exception
    app.switch_page("pages/health.py").run()
    assert app.metric[0].value == "1"  # one mistake, reported once
    problems = app.dataframe[0].value
    assert "not a real date" in problems.iloc[0]["message"]


def test_zone_page_escapes_a_script_like_name(data_copy, monkeypatch):
    zones = data_copy / "zones.geojson"
    doc = json.loads(zones.read_text(encoding="utf-8"))
    for feature in doc["features"]:
        if feature["properties"]["zone_id"] == "northern-homs":
            feature["properties"]["name"] = "<img src=x onerror=alert(1)> *bold*"
    zones.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("DEZMAP_DATA", str(data_copy))
    app = start(zone="northern-homs")
    app.switch_page("pages/zone.py").run()
    assert app.title[0].value == "\\<img src=x onerror=alert\\(1\\)\\> \\*bold\\*"


def test_broken_data_while_running_keeps_the_last_good_data_with_a_banner(data_copy, monkeypatch):
    monkeypatch.setenv("DEZMAP_DATA", str(data_copy))
    app = start(at="2017-07-23T12:00+03:00")
    assert status_of(app, "Eastern Ghouta")["status"]
    zones = data_copy / "zones.geojson"
    text = zones.read_text(encoding="utf-8")
    zones.write_text(text.replace("{", "{,", 1), encoding="utf-8")  # a stray comma
    app.run()
    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    (banner,) = [w.value for w in app.warning if "last data that loaded" in w.value]
    assert "zones.geojson" in banner.replace("\\", "")
    assert status_of(app, "Eastern Ghouta")["status"]  # the map still shows the last good data
    zones.write_text(text, encoding="utf-8")
    app.run()
    assert not [w for w in app.warning if "last data that loaded" in w.value]


def test_zone_page_lists_a_linked_incident_outside_the_zone():
    # the Russian delegation stopped at al-Qutayfah names the East Qalamoun ceasefire
    app = start(at="2017-08-20T12:00+03:00", zone="east-qalamoun")
    app.switch_page("pages/zone.py").run()
    assert not app.exception
    lines = [m.value.replace("\\", "") for m in app.markdown]
    linked = [t for t in lines if t.startswith("Linked incident outside the zone")]
    assert len(linked) == 1 and "v-20170801-qutayfah" in linked[0]
    assert "east-qalamoun-trial-ceasefire-2017-07" in linked[0]
