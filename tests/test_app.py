"""The Streamlit pages through AppTest: real scripts, real data, no browser."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import DATA, app_test

pytestmark = pytest.mark.app
PAGES = ["pages/map.py", "pages/zone.py", "pages/records.py", "pages/health.py"]


@pytest.fixture(autouse=True)
def bundled_data(monkeypatch):
    monkeypatch.setenv("DEZMAP_DATA", str(DATA))
    monkeypatch.delenv("DEZMAP_REFERENCE", raising=False)


def start(**params) -> AppTest:
    app = app_test()
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
    assert "Cairo agreement" not in before["agreements"]
    app.slider(key="w.day").set_value(dt.date(2017, 7, 23)).run()
    assert heading(app) == "#### 23 July 2017, 12:00 Damascus time"
    after = status_of(app, "Eastern Ghouta")
    # the status table names agreements by their titles
    assert "Cairo agreement on the Eastern Ghouta de-escalation zone" in after["agreements"]
    assert app.query_params["at"] == "2017-07-23T12:00+03:00"


def test_hour_and_window_controls():
    app = start(at="2017-07-22T12:00+03:00")
    app.select_slider(key="w.hour").set_value(11).run()
    assert "Cairo agreement" not in status_of(app, "Eastern Ghouta")["agreements"]
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


# --- issue 10: no silent filters, the zone's own metrics, state in step -----------------------


def warnings_of(app: AppTest) -> str:
    return " ".join(w.value.replace("\\", "") for w in app.warning)


@pytest.mark.parametrize("page", PAGES)
def test_an_unknown_filter_value_is_reported_on_every_page_and_ignored(page):
    app = start(at="2021-08-16T12:00+03:00", kinds="airstrikes")
    if page != PAGES[0]:
        app.switch_page(page).run()
        # a page opened by its address reads it afresh
        app = app_test()
        app.query_params.update(at="2021-08-16T12:00+03:00", kinds="airstrikes")
        app.switch_page(page).run()
    assert not app.exception
    assert "kinds: 'airstrikes' is not in the data" in warnings_of(app), page
    assert "kinds" not in app.query_params  # the address no longer carries the bad value


def test_an_unknown_filter_value_leaves_the_map_unfiltered():
    plain = start(at="2021-08-16T12:00+03:00")
    typo = start(at="2021-08-16T12:00+03:00", kinds="airstrikes")
    assert typo.dataframe[0].value.equals(plain.dataframe[0].value)
    assert status_of(typo, "Daraa al-Balad")["violations"] >= 1  # not a false calm
    assert any("Showing: every incident in every zone" in c.value for c in typo.caption)
    # the warning stays on later runs, until the user changes the view
    typo.select_slider(key="w.hour").set_value(13).run()
    assert "airstrikes" not in warnings_of(typo)
    again = start(at="2021-08-16T12:00+03:00", kinds="airstrikes")
    again.run()
    assert "airstrikes" in warnings_of(again)


def test_active_filters_are_said_above_the_map():
    app = start(at="2021-08-16T12:00+03:00", kinds="shelling", zones="daraa-al-balad")
    (info,) = [i.value.replace("\\", "") for i in app.info if "Showing:" in i.value]
    assert "Filtered" in info and "shelling only" in info and "Daraa al-Balad" in info


def test_perpetrator_filter_offers_actor_families():
    app = start(at="2021-08-16T12:00+03:00")
    box = app.multiselect(key="w.perpetrators")
    assert box.options[:2] == ["Syrian government forces", "Russian forces"]
    assert len(box.options) <= 9
    box.set_value(["russia"]).run()
    assert app.query_params["perpetrators"] == "russia"
    # an older address with a reported wording still works, with a note
    old = start(at="2021-08-16T12:00+03:00", perpetrators="Russian air force")
    assert old.multiselect(key="w.perpetrators").value == ["russia"]
    assert "read as its actor family" in warnings_of(old)


def test_focus_survives_page_switches_in_both_directions():
    app = start(at="2017-07-23T12:00+03:00", zone="eastern-ghouta")
    for page in [*PAGES[1:], PAGES[0], PAGES[2], PAGES[1], PAGES[0]]:
        app.switch_page(page).run()
        assert not app.exception
        assert app.query_params["zone"] == "eastern-ghouta", page
        if page != "pages/health.py":
            assert app.selectbox(key="w.zone").value == "eastern-ghouta", page
    # choosing "(none)" on another page clears the focus everywhere
    app.switch_page("pages/records.py").run()
    app.selectbox(key="w.zone").select("").run()
    assert "zone" not in app.query_params
    app.switch_page("pages/map.py").run()
    assert app.selectbox(key="w.zone").value == ""
    app.selectbox(key="w.zone").select("idlib").run()
    app.switch_page("pages/zone.py").run()
    assert app.title[0].value.startswith("Idlib")
    assert app.selectbox(key="w.zone").value == "idlib"


def test_a_typed_date_moves_the_view_and_the_slider():
    app = start(at="2017-07-21T12:00+03:00")
    app.date_input(key="w.date").set_value(dt.date(2018, 3, 15)).run()
    assert heading(app) == "#### 15 March 2018, 12:00 Damascus time"
    assert app.slider(key="w.day").value == dt.date(2018, 3, 15)
    assert app.query_params["at"] == "2018-03-15T12:00+02:00"
    app.slider(key="w.day").set_value(dt.date(2018, 3, 16)).run()
    assert app.date_input(key="w.date").value == dt.date(2018, 3, 16)


def test_window_is_a_whole_number_of_days():
    app = start(at="2017-07-22T12:00+03:00", window="2.5")
    assert "not a whole number of days" in warnings_of(app)
    box = app.number_input(key="w.window")
    assert box.value == 7 and isinstance(box.value, int)
    box.set_value(10).run()
    assert app.query_params["window"] == "10"


def test_zone_page_metrics_count_only_the_zones_incidents():
    from geo.datasets import load_timeline
    from geo.timemodel import incident_agreements

    app = start(at="2017-07-23T12:00+03:00", zone="eastern-ghouta")
    app.switch_page("pages/zone.py").run()
    table = app.dataframe[-1].value
    astana = table[table["Agreement"].str.startswith("Astana memorandum")].iloc[0]
    timeline = load_timeline(DATA)
    pairs = incident_agreements(timeline)
    mine = pairs[pairs["agreement_id"] == "astana-deescalation-memorandum-2017"]
    assert (
        astana["Incidents in this zone"]
        == mine[mine["zone_id"] == "eastern-ghouta"]["incident"].nunique()
    )
    assert astana["Incidents, whole agreement"] == mine["incident"].nunique()
    assert astana["Incidents in this zone"] < astana["Incidents, whole agreement"]
    assert not [c for c in table.columns if "_" in c]


def test_zone_page_offers_the_nearest_instant_when_the_zone_existed():
    app = start(at="2016-03-01T12:00+02:00", zone="eastern-ghouta")
    app.switch_page("pages/zone.py").run()
    assert any("did not exist" in i.value for i in app.info)
    app.button(key="w.nearest").click().run()
    assert app.query_params["at"] == "2017-05-06T12:00+03:00"
    assert not any("did not exist" in i.value for i in app.info)
    assert any("status" in m.value for m in app.markdown)


def test_zone_page_without_focus_shows_a_zone_of_the_instant():
    app = start(at="2017-07-23T12:00+03:00")
    app.switch_page("pages/zone.py").run()
    assert not any("did not exist" in i.value for i in app.info), app.title[0].value


def test_records_search_lives_in_the_address():
    app = start(at="2018-03-01T12:00+02:00", window="30", q="douma")
    app.switch_page("pages/records.py").run()
    assert app.text_input(key="w.search").value == "douma"
    incidents = app.dataframe[1].value
    assert len(incidents) and incidents["place"].str.contains("Douma|Duma").all()
    app.text_input(key="w.search").input("الغوطه").run()
    assert app.query_params["q"] == "الغوطه"
    agreements = app.dataframe[0].value
    assert len(agreements) and agreements["zone_ids"].str.contains("eastern-ghouta").all()
    # a town's Arabic name, from the gazetteer (data/places.csv)
    app.text_input(key="w.search").input("دوما").run()
    incidents = app.dataframe[1].value
    assert len(incidents) and incidents["place"].str.contains("Duma").all()


# --- bound widgets: the user's changes and the browser's late echoes (issue 11) ----------------


def beacon(app: AppTest):
    return app.text_input(key="dz-beacon")


def test_every_page_run_ends_with_its_number_in_the_hidden_beacon():
    app = start(at="2017-07-21T12:00+03:00")
    first = int(beacon(app).value)
    app.slider(key="w.day").set_value(dt.date(2017, 7, 22)).run()
    assert int(beacon(app).value) == first + 1
    assert ".st-key-dz-beacon { display: none; }" in " ".join(h.value for h in app.html)


def test_a_late_echo_of_a_pushed_value_does_not_move_the_view_back():
    app = start(at="2017-07-21T12:00+03:00")
    applied = beacon(app).value  # the last run the "browser" has applied
    # the slider moves: this run gives the date box 22 July (a push the browser must apply)
    app.slider(key="w.day").set_value(dt.date(2017, 7, 22)).run()
    assert app.date_input(key="w.date").value == dt.date(2017, 7, 22)
    # a request sent before the browser applied that run: the box still shows 21 July
    beacon(app).set_value(applied)
    app.date_input(key="w.date").set_value(dt.date(2017, 7, 21)).run()
    assert heading(app) == "#### 22 July 2017, 12:00 Damascus time"
    assert app.query_params["at"] == "2017-07-22T12:00+03:00"
    assert app.date_input(key="w.date").value == dt.date(2017, 7, 22)  # given again


def test_the_same_value_chosen_after_the_browser_applied_the_run_is_the_users():
    app = start(at="2017-07-21T12:00+03:00")
    app.slider(key="w.day").set_value(dt.date(2017, 7, 22)).run()
    # the browser holds this run (its beacon came back): typing 21 July again is a choice
    app.date_input(key="w.date").set_value(dt.date(2017, 7, 21)).run()
    assert heading(app) == "#### 21 July 2017, 12:00 Damascus time"
    assert app.slider(key="w.day").value == dt.date(2017, 7, 21)


def test_a_new_value_is_the_users_even_before_the_browser_applied_the_last_run():
    app = start(at="2017-07-21T12:00+03:00")
    applied = beacon(app).value
    app.button(key="w.next").click().run()  # pushes a new day into the slider
    pushed = app.slider(key="w.day").value
    assert pushed != dt.date(2017, 7, 21)
    beacon(app).set_value(applied)
    app.slider(key="w.day").set_value(dt.date(2017, 7, 25)).run()  # neither old nor pushed
    assert heading(app).startswith("#### 25 July 2017, ")


def test_widgets_keep_the_view_across_page_switches_without_being_given_it_again():
    app = start(at="2018-03-15T12:00+02:00", zone="eastern-ghouta", window="3")
    for page in ["pages/zone.py", "pages/records.py", "pages/map.py"]:
        app.switch_page(page).run()
        assert app.selectbox(key="w.zone").value == "eastern-ghouta", page
        assert app.query_params["zone"] == "eastern-ghouta", page
    assert app.number_input(key="w.window").value == 3


# --- the Zone page's cached figures (issue 12) --------------------------------------------------


def zone_figures(folder, zone_id: str, **filters) -> tuple:
    """The compliance table and the chart's daily incident counts, computed with geo."""
    from geo.datasets import load_timeline
    from geo.metrics import zone_compliance, zone_daily
    from geo.view import View, select

    timeline = load_timeline(folder)
    scene = select(timeline, View(at=timeline.range[1], **filters))
    daily = zone_daily(scene.timeline, zone_id, incident_mask=scene.mask)
    return zone_compliance(scene.timeline, zone_id, incident_mask=scene.mask), daily


def chart_incidents(app: AppTest) -> int:
    """The incidents the Zone page's chart shows, summed over its days."""
    import pyarrow as pa

    (chart,) = app.get("vega_lite_chart")
    total = 0
    for dataset in chart.proto.datasets:
        table = pa.ipc.open_stream(dataset.data.data).read_all()
        if "incidents" in table.column_names:
            total += sum(table.column("incidents").to_pylist())
    return total


def compliance_table(app: AppTest):
    return app.dataframe[-1].value


def test_zone_page_figures_follow_the_data_files(data_copy, monkeypatch):
    import csv

    monkeypatch.setenv("DEZMAP_DATA", str(data_copy))
    app = start(at="2017-07-23T12:00+03:00", zone="eastern-ghouta")
    app.switch_page("pages/zone.py").run()
    before, chart_before = compliance_table(app), chart_incidents(app)
    expected, daily = zone_figures(data_copy, "eastern-ghouta")
    assert before.equals(expected) and chart_before == daily["incidents"].sum()
    # one more incident in the zone, under the Astana memorandum: a copy of one under another id
    path = data_copy / "violations.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    (row,) = [r for r in rows if r["violation_id"] == "v-20170723-duma"]
    rows.append({**row, "violation_id": row["violation_id"] + "-again"})
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    app.run()
    assert not app.exception
    after, chart_after = compliance_table(app), chart_incidents(app)
    expected, daily = zone_figures(data_copy, "eastern-ghouta")
    assert after.equals(expected), "the Zone page shows stale cached figures"
    assert not after.equals(before)
    assert chart_after == daily["incidents"].sum() == chart_before + 1


def test_zone_page_compliance_follows_the_kind_filter():
    app = start(at="2017-07-23T12:00+03:00", zone="eastern-ghouta")
    app.switch_page("pages/zone.py").run()
    unfiltered = compliance_table(app)
    app.multiselect(key="w.kinds").set_value(["shelling"]).run()
    assert app.query_params["kinds"] == "shelling"
    shelling = compliance_table(app)
    expected, daily = zone_figures(DATA, "eastern-ghouta", kinds=("shelling",))
    assert shelling.equals(expected)
    assert not shelling.equals(unfiltered)
    assert chart_incidents(app) == daily["incidents"].sum()
    app.multiselect(key="w.kinds").set_value([]).run()
    assert compliance_table(app).equals(unfiltered)


def test_the_cached_chart_is_streamlits_own_spec_at_each_instant():
    import pandas as pd

    from geo.charts import zone_timeline_chart
    from geo.metrics import zone_daily
    from geo.view import View, select
    from ui import data

    timeline = data.timeline()
    for at, zone_id, kinds in [
        ("2017-07-23T09:00Z", "eastern-ghouta", ()),
        ("2018-03-01T21:30Z", "eastern-ghouta", ()),
        ("2019-05-01T09:00Z", "idlib", ("airstrike",)),
    ]:
        view = View(at=pd.Timestamp(at), zone=zone_id, kinds=kinds, window=10)
        scene = select(timeline, view)
        daily = zone_daily(scene.timeline, zone_id, window_days=10, incident_mask=scene.mask)
        frame = scene.timeline.agreements.frame
        mine = frame[frame["zone_ids"].map(lambda z, zone_id=zone_id: zone_id in z)]
        direct = data.vega_lite_spec(zone_timeline_chart(daily, mine, at=view.at))
        assert data.zone_chart_spec(timeline, zone_id, view) == direct, at
    # the instant is swapped into one cached chart, not a chart drawn per instant
    key = (data._zone_key(view), "idlib", 10.0)
    assert data._zone_chart(timeline, *key, None)[1] is not None


def test_a_chart_whose_instant_cannot_be_swapped_is_drawn_per_instant(monkeypatch):
    import pandas as pd

    from geo.charts import zone_timeline_chart
    from geo.metrics import zone_daily
    from geo.view import View, select
    from ui import data

    # a mark that is not the chart's: the cached chart cannot take the instant (window 11 is
    # a key no other test fills)
    monkeypatch.setattr(data, "_instant_mark", lambda at: ("no-such-mark", b""))
    timeline = data.timeline()
    view = View(at=pd.Timestamp("2017-07-23T09:00Z"), zone="eastern-ghouta", window=11)
    scene = select(timeline, view)
    daily = zone_daily(scene.timeline, "eastern-ghouta", window_days=11, incident_mask=scene.mask)
    frame = scene.timeline.agreements.frame
    mine = frame[frame["zone_ids"].map(lambda z: "eastern-ghouta" in z)]
    direct = data.vega_lite_spec(zone_timeline_chart(daily, mine, at=view.at))
    assert data.zone_chart_spec(timeline, "eastern-ghouta", view) == direct


def test_focusing_a_zone_on_the_map_prefetches_its_page(data_copy, monkeypatch):
    import threading

    from ui import data

    monkeypatch.setenv("DEZMAP_DATA", str(data_copy))  # a data version nothing has cached
    calls = []
    real = data.zone_compliance
    monkeypatch.setattr(
        data, "zone_compliance", lambda *a, **k: calls.append(a[1]) or real(*a, **k)
    )
    app = start(at="2017-07-23T12:00+03:00")
    app.selectbox(key="w.zone").set_value("east-qalamoun").run()
    for thread in threading.enumerate():
        if thread.name == "dezmap-prefetch-zone":
            thread.join(60)
    assert calls == ["east-qalamoun"]
    app.switch_page("pages/zone.py").run()
    assert app.title[0].value == "East Qalamoun"
    assert calls == ["east-qalamoun"]  # the page found it computed
    expected, _ = zone_figures(data_copy, "east-qalamoun")
    assert compliance_table(app).equals(expected)


def test_the_chart_library_is_loaded_on_the_map_only_once_the_map_has_drawn_itself():
    """The hidden chart that makes the browser load Vega-Lite for the Zone page is drawn
    only after the map has reported its extent: never on the run that first sends the map."""
    from ui.data import CHART_CODE_KEY

    app = start(at="2017-07-23T12:00+03:00")
    assert len(app.get("vega_lite_chart")) == 0
    # the map component's state once the map in the browser has reported its extent
    app.session_state["dz-map"] = {
        "bounds": {"_southWest": {"lat": 32.0, "lng": 35.0}, "_northEast": {"lat": 37, "lng": 42}}
    }
    app.run()
    assert not app.exception
    charts = app.get("vega_lite_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    assert spec["mark"] == "point" and spec["width"] == spec["height"] == 1
    hidden = [h.proto.body for h in app.get("html") if CHART_CODE_KEY in h.proto.body]
    assert hidden and "display: none" in hidden[0]


def test_the_gazetteer_is_read_once_per_version_of_its_file(data_copy, monkeypatch):
    from ui import data

    monkeypatch.setenv("DEZMAP_DATA", str(data_copy))
    first, problem = data.places()
    assert problem is None and len(first) > 0
    assert data.places()[0] is first  # the same frame: not read again
    path = data_copy / "places.csv"
    path.write_text(path.read_text(encoding="utf-8") + "C1,,,,,\n", encoding="utf-8")
    places, problem = data.places()  # the file changed: read again, and its problem said
    assert places is None and "gazetteer" in problem


def test_a_sessions_first_paint_is_the_heading_and_the_map_with_the_controls_room_kept():
    """No widget on a session's first Map run (each kind's code would hold the map back in
    the browser); the time controls' box keeps their room; a later page draws them."""
    app = app_test(first_paint=True)
    app.query_params["at"] = "2017-07-23T12:00+03:00"
    app.run()
    assert not app.exception and not app.error
    assert heading(app) == "#### 23 July 2017, 12:00 Damascus time"
    kinds = [app.selectbox, app.multiselect, app.slider, app.select_slider, app.date_input]
    # only the Snapshot's own choices, in its popover (drawn in the browser once opened)
    keys = [w.key for kind in kinds for w in kind]
    assert keys and all(k.startswith("w.snap.") for k in keys), keys
    assert len(app.number_input) == 0 and len(app.dataframe) == 0
    assert [e.label for e in app.expander] == ["Time controls"]
    assert any("dz-controls-pending" in m.value for m in app.expander[0].markdown)
    # the next run (the map's first report causes it in a browser) draws the whole page
    app.run()
    assert not app.exception and not app.error
    assert app.slider(key="w.day").value == dt.date(2017, 7, 23)
    assert app.selectbox(key="w.zone").value == "" and len(app.dataframe) == 1
    assert not any("dz-controls-pending" in m.value for m in app.markdown)


def test_a_session_that_drew_the_controls_elsewhere_opens_the_map_whole():
    app = app_test(first_paint=True)
    app.query_params["at"] = "2017-07-23T12:00+03:00"
    app.switch_page("pages/records.py").run()
    app.switch_page("pages/map.py").run()
    assert app.slider(key="w.day").value == dt.date(2017, 7, 23)
    assert len(app.dataframe) == 1
