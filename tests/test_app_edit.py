"""The Edit zones page through AppTest: who may see and save, checks before saving, undo.

Every test works on a copy of the bundled data in a temporary folder and reads the files back
from disk; the switches are the environment that ``dezmap serve`` sets (``DEZMAP_EDIT``,
``DEZMAP_HOST``, ``DEZMAP_EDIT_TOKEN``). The map itself (a custom component) cannot run here:
its value is set through ``session_state`` exactly as the component sends it. The real map in
Chromium is ``tests/test_browser_edit.py``.
"""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
from streamlit.testing.v1 import AppTest

from geo.edit.save import BACKUP_DIR, LOG_FILE, read_log
from tests.conftest import ROOT

pytestmark = pytest.mark.app

ZONE = "eastern-ghouta"
TOKEN = "s3cret-token-for-tests"
EDIT_PAGE = "pages/edit.py"
# a bow tie: two edges cross at (36.4, 33.55)
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[36.3, 33.5], [36.5, 33.6], [36.5, 33.5], [36.3, 33.6], [36.3, 33.5]]],
}


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def env(monkeypatch, data_copy):
    """The data copy as the server's folder; editing off until a test turns it on."""
    monkeypatch.setenv("DEZMAP_DATA", str(data_copy))
    monkeypatch.delenv("DEZMAP_REFERENCE", raising=False)
    for name in ("DEZMAP_EDIT", "DEZMAP_HOST", "DEZMAP_EDIT_TOKEN", "DEZMAP_EDITOR"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def editing(env, *, host="127.0.0.1", token=None):
    env.setenv("DEZMAP_EDIT", "1")
    env.setenv("DEZMAP_HOST", host)
    if token is not None:
        env.setenv("DEZMAP_EDIT_TOKEN", token)


def open_editor(zone: str = ZONE) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.run()
    app.switch_page(EDIT_PAGE).run()
    assert not app.exception, app.exception
    app.selectbox(key="ed.w.zone").set_value(zone).run()
    assert not app.exception, app.exception
    return app


def grown(geometry: dict, by: float = 0.01) -> dict:
    """The outline with its easternmost vertex moved further east: bigger, still valid."""
    out = copy.deepcopy(geometry)
    ring = out["coordinates"][0] if out["type"] == "Polygon" else out["coordinates"][0][0]
    east = max(range(len(ring) - 1), key=lambda i: ring[i][0])
    ring[east][0] = round(ring[east][0] + by, 6)
    if east == 0:
        ring[-1] = list(ring[0])
    return out


def send_step(app: AppTest, geometry: dict, step_id: str) -> AppTest:
    """What the map component sends after an edit step."""
    app.session_state["ed.map"] = {
        "geometry": geometry,
        "id": step_id,
        "revision": app.session_state["ed.revision"],
    }
    return app.run()


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def plain(values: list[str]) -> list[str]:
    """Texts as the reader sees them (Markdown escapes removed)."""
    return [t.replace("\\", "") for t in values]


def shown(app: AppTest) -> list[str]:
    """Errors and markdown as the reader sees them."""
    return plain(texts(app.error) + texts(app.markdown))


def button(app: AppTest, key: str):
    return next(b for b in app.button if b.key == key)


# --- who may see the page --------------------------------------------------------------------


def test_page_is_not_listed_without_edit(env):
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    assert not app.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(EDIT_PAGE)


def test_page_is_listed_with_edit(env):
    editing(env)
    app = open_editor()
    assert texts(app.title) == ["Edit zones"]
    assert app.session_state["ed.target"][0] == ZONE
    assert "Save" in [b.label for b in app.button]
    assert not app.text_input(key="ed.w.editor").disabled
    assert "ed.w.token" not in [t.key for t in app.text_input], "no token asked on localhost"


def test_page_opened_by_its_address_without_edit_shows_no_editor(env, data_copy):
    # Streamlit runs a script of pages/ opened by its address even when st.navigation does
    # not list it: the page itself must refuse
    before = sha(data_copy / "zones.geojson")
    app = AppTest.from_file(str(ROOT / EDIT_PAGE), default_timeout=90).run()
    assert not app.exception
    assert any("Editing is off" in e for e in texts(app.error))
    assert not app.button and not app.selectbox
    assert sha(data_copy / "zones.geojson") == before


def test_an_inherited_edit_switch_other_than_1_does_not_turn_editing_on(env):
    env.setenv("DEZMAP_EDIT", "true")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    with pytest.raises(ValueError):
        app.switch_page(EDIT_PAGE)


# --- saving: the token beyond localhost ------------------------------------------------------


def test_save_beyond_localhost_needs_the_token(env, data_copy):
    editing(env, host="0.0.0.0", token=TOKEN)
    zones = data_copy / "zones.geojson"
    before = sha(zones)
    app = open_editor()
    assert app.text_input(key="ed.w.token").value == ""
    send_step(app, grown(app.session_state["ed.geometry"]), "t:1")
    assert any("passes every check" in s for s in plain(texts(app.success)))

    button(app, "ed.w.save").click().run()  # no token
    assert any("token is missing or wrong" in e for e in texts(app.error))
    assert sha(zones) == before

    app.text_input(key="ed.w.token").input(TOKEN + "x").run()
    button(app, "ed.w.save").click().run()  # wrong token
    assert any("token is missing or wrong" in e for e in texts(app.error))
    assert sha(zones) == before
    assert not (data_copy / BACKUP_DIR / LOG_FILE).exists()

    app.text_input(key="ed.w.token").input(TOKEN).run()
    app.text_input(key="ed.w.editor").input("Rima").run()
    button(app, "ed.w.save").click().run()
    assert not app.exception, app.exception
    assert any(s.startswith("Saved") for s in plain(texts(app.success))), texts(app.error)
    assert sha(zones) != before
    log = read_log(data_copy)
    assert len(log) == 1 and log[0]["editor"] == "Rima" and log[0]["zones"] == [ZONE]
    assert TOKEN not in (data_copy / BACKUP_DIR / LOG_FILE).read_text()


def test_save_refused_when_the_server_has_no_token_beyond_localhost(env, data_copy):
    # a server started some other way than `dezmap serve` (no token set): nothing opens it
    editing(env, host="0.0.0.0")
    zones = data_copy / "zones.geojson"
    before = sha(zones)
    app = open_editor()
    send_step(app, grown(app.session_state["ed.geometry"]), "t:1")
    app.text_input(key="ed.w.token").input("").run()
    button(app, "ed.w.save").click().run()
    assert any("token is missing or wrong" in e for e in texts(app.error))
    assert sha(zones) == before


# --- checks before saving --------------------------------------------------------------------


def test_invalid_outline_shows_shapely_reason_and_writes_nothing(env, data_copy):
    editing(env)
    zones = data_copy / "zones.geojson"
    before = zones.read_bytes()
    app = open_editor()
    send_step(app, BOWTIE, "t:1")
    errors = shown(app)
    assert any("Self-intersection" in e and "vertex" in e for e in errors), errors
    assert any("stop the save" in e for e in texts(app.error))
    button(app, "ed.w.save").click().run()
    assert not app.exception
    assert any("not saved" in e for e in texts(app.error)), texts(app.error)
    assert zones.read_bytes() == before
    assert not (data_copy / BACKUP_DIR).exists() or not any(
        (data_copy / BACKUP_DIR).glob("zones.*.geojson")
    )
    # the edit is still there to fix
    assert app.session_state["ed.geometry"] == BOWTIE


def test_a_step_is_applied_once_and_undo_goes_back(env):
    editing(env)
    app = open_editor()
    original = app.session_state["ed.geometry"]
    revision = app.session_state["ed.revision"]
    first = grown(original)
    send_step(app, first, "t:1")
    assert app.session_state["ed.geometry"] == first
    app.run()  # Streamlit repeats the component's last value on every rerun
    assert len(app.session_state["ed.undo"]) == 1
    second = grown(first)
    send_step(app, second, "t:2")
    assert app.session_state["ed.geometry"] == second
    button(app, "ed.w.undo").click().run()
    assert app.session_state["ed.geometry"] == first
    assert app.session_state["ed.revision"] == revision + 1, "the map reloads the outline"
    # a step made on the outline before the undo is stale and ignored
    app.session_state["ed.map"] = {"geometry": second, "id": "t:3", "revision": revision}
    app.run()
    assert app.session_state["ed.geometry"] == first
    button(app, "ed.w.undo").click().run()
    assert app.session_state["ed.geometry"] == original
    assert button(app, "ed.w.undo").disabled


def test_change_preview_shows_areas_before_and_after(env):
    import re

    from shapely.geometry import shape

    from geo.edit.measure import area_km2

    editing(env)
    app = open_editor()
    before_outline = app.session_state["ed.geometry"]
    after_outline = grown(before_outline, by=0.02)
    send_step(app, after_outline, "t:1")
    (text,) = [t for t in shown(app) if "Area:" in t]
    found = re.search(r"Area: ([\d,.]+) km² → ([\d,.]+) km²", text)
    assert found, text
    before, after = (float(v.replace(",", "")) for v in found.groups())
    want = area_km2([shape(before_outline), shape(after_outline)])
    assert (before, after) == (round(want[0], 2), round(want[1], 2))
    assert after > before
    assert "removed 0.00 km²" in text


def test_new_version_closes_the_previous_one(env, data_copy):
    import datetime as dt

    editing(env)
    zones = data_copy / "zones.geojson"
    app = open_editor("idlib")
    last = app.session_state["ed.target"][1]
    assert last == "idlib@2020-03-06"
    button(app, "ed.w.to_new_version").click().run()
    app.date_input(key="ed.w.valid_from").set_value(dt.date(2024, 1, 1)).run()
    app.text_area(key="ed.w.source").input("test: redrawn after a report").run()
    send_step(app, grown(app.session_state["ed.geometry"]), "t:1")
    assert not app.error, texts(app.error)
    button(app, "ed.w.save").click().run()
    assert any(s.startswith("Saved idlib@2024-01-01") for s in plain(texts(app.success))), texts(
        app.error
    )
    features = json.loads(zones.read_text())["features"]
    idlib = {
        f["properties"]["valid_from"]: f["properties"]
        for f in features
        if f["properties"]["zone_id"] == "idlib"
    }
    assert idlib["2020-03-06"]["valid_to"] == "2024-01-01"
    assert idlib["2024-01-01"]["boundary_source"] == "test: redrawn after a report"
    assert app.session_state["ed.target"] == ("idlib", "idlib@2024-01-01")


def test_overlapping_new_version_is_refused_with_a_message(env, data_copy):
    import datetime as dt

    editing(env)
    zones = data_copy / "zones.geojson"
    before = zones.read_bytes()
    app = open_editor("idlib")
    app.selectbox(key="ed.w.version").set_value("idlib@2018-01-20").run()
    button(app, "ed.w.to_new_version").click().run()
    # starts inside the version after the one it comes from
    app.date_input(key="ed.w.valid_from").set_value(dt.date(2019, 6, 1)).run()
    app.checkbox(key="ed.w.open").uncheck().run()
    app.date_input(key="ed.w.valid_to").set_value(dt.date(2019, 9, 1)).run()
    errors = shown(app)
    assert any("overlapping versions" in e for e in errors), errors
    button(app, "ed.w.save").click().run()
    assert zones.read_bytes() == before


def test_zone_names_are_shown_as_text(env, data_copy):
    from geo.render import md_escape

    editing(env)
    path = data_copy / "zones.geojson"
    doc = json.loads(path.read_text())
    name = "**bold** <img src=x onerror=alert(1)>"
    for feature in doc["features"]:
        if feature["properties"]["zone_id"] == ZONE:
            feature["properties"]["name"] = name
    path.write_text(json.dumps(doc, ensure_ascii=False))
    app = open_editor()
    assert app.text_input(key="ed.w.name").value == name
    button(app, "ed.w.to_new_version").click().run()
    info = texts(app.info)
    assert any(md_escape(name) in i for i in info), info


def test_new_zone_is_saved_with_its_first_version(env, data_copy):
    import datetime as dt

    editing(env)
    zones = data_copy / "zones.geojson"
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    app.switch_page(EDIT_PAGE).run()
    app.selectbox(key="ed.w.zone").set_value("\x00new").run()
    assert app.session_state["ed.mode"] == "new-zone"
    assert app.session_state["ed.geometry"] is None
    assert any("no outline" in e for e in shown(app)), shown(app)
    app.text_input(key="ed.w.zone_id").input("test-zone").run()
    app.text_input(key="ed.w.name").input("Test zone").run()
    app.text_input(key="ed.w.name_ar").input("منطقة اختبار").run()
    app.text_input(key="ed.w.group").input("local-2017").run()
    app.date_input(key="ed.w.valid_from").set_value(dt.date(2017, 8, 1)).run()
    app.text_area(key="ed.w.source").input("test outline around Duma").run()
    square = {
        "type": "Polygon",
        "coordinates": [
            [[36.37, 33.55], [36.43, 33.55], [36.43, 33.6], [36.37, 33.6], [36.37, 33.55]]
        ],
    }
    send_step(app, square, "t:1")
    assert not app.error, texts(app.error)
    button(app, "ed.w.save").click().run()
    assert any(s.startswith("Saved test-zone@2017-08-01") for s in plain(texts(app.success))), (
        texts(app.error)
    )
    (feature,) = [
        f
        for f in json.loads(zones.read_text())["features"]
        if f["properties"]["zone_id"] == "test-zone"
    ]
    assert feature["properties"]["name_ar"] == "منطقة اختبار"
    assert feature["properties"]["valid_to"] == ""
    assert app.session_state["ed.target"] == ("test-zone", "test-zone@2017-08-01")


def test_new_zone_with_a_bad_id_is_refused(env, data_copy):
    editing(env)
    zones = data_copy / "zones.geojson"
    before = zones.read_bytes()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    app.switch_page(EDIT_PAGE).run()
    app.selectbox(key="ed.w.zone").set_value("\x00new").run()
    app.text_input(key="ed.w.zone_id").input("Bad Zone").run()
    app.text_input(key="ed.w.name").input("Bad").run()
    app.text_input(key="ed.w.group").input("local-2017").run()
    app.text_area(key="ed.w.source").input("x").run()
    triangle = {
        "type": "Polygon",
        "coordinates": [[[36.37, 33.55], [36.43, 33.55], [36.43, 33.6], [36.37, 33.55]]],
    }
    send_step(app, triangle, "t:1")
    assert any("slug" in e for e in shown(app)), shown(app)
    button(app, "ed.w.save").click().run()
    assert zones.read_bytes() == before


def test_restore_previous_save_puts_the_old_file_back(env, data_copy):
    from geo.fmt import format_text

    editing(env)
    zones = data_copy / "zones.geojson"
    original = format_text(zones.read_text(encoding="utf-8"))
    app = open_editor()
    send_step(app, grown(app.session_state["ed.geometry"]), "t:1")
    button(app, "ed.w.save").click().run()
    assert any(s.startswith("Saved") for s in plain(texts(app.success)))
    assert zones.read_text(encoding="utf-8") != original
    from geo.edit import list_backups

    newest = list_backups(data_copy)[0]
    assert app.selectbox(key="ed.w.backup").value == newest.name  # the file before the save
    button(app, "ed.w.restore").click().run()
    assert any(s.startswith("Restored") for s in plain(texts(app.success))), texts(app.error)
    assert zones.read_text(encoding="utf-8") == original
    log = read_log(data_copy)
    assert [e["action"] for e in log] == ["save", "restore"]
    # the page now edits the restored file: a save from here is not a conflict
    assert app.session_state["ed.hash"] == sha(zones)
