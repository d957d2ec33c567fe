"""folium's output is never compiled as a Jinja template (geo.render.verbatim).

Real data on disk: the bundled folder, and a copy whose zone names, incident kind and
summary hold Jinja syntax. The live map's strings are what the Map page sends to the browser
(``ui.leafmap.map_parts``); the HTML export is made by geo.export.html.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import folium
import pytest
from branca.element import MacroElement

from geo.datasets import load_timeline
from geo.export.html import snapshot_html
from geo.places import gazetteer
from geo.render import base_map, dynamic_layers, legend, verbatim
from geo.view import View, active_filters, select
from tests.conftest import DATA
from tests.test_export_html import _edit_csv
from ui.leafmap import map_parts

GENERATED = dt.datetime(2024, 3, 1, 8, 30, tzinfo=dt.UTC)
AT = "2017-07-23T12:00"
#: Jinja that would print 49 if evaluated, one that would run a command (it must stay text),
#: and one that does not compile.
EXPRESSION = "{{ 7*7 }}"
COMMAND = "{{ cycler.__init__.__globals__.os.popen('echo dz-ran').read() }}"
BROKEN = "{% if"


@pytest.fixture
def branca_own():
    """Render with branca's own MacroElement.render for the duration of a test."""
    verbatim.uninstall()
    try:
        yield
    finally:
        verbatim.install()


def _live_strings(timeline, view: View) -> str:
    """What the Map page hands to the browser: the base map's and the layers' scripts."""
    scene = select(timeline, view)
    places, _ = gazetteer(DATA)
    m = base_map(
        tuple(timeline.zones.versions.total_bounds),
        kinds=sorted(set(timeline.incidents["kind"].astype(str))),
        places=places,
        filtered=active_filters(view, timeline),
    )
    layers = dynamic_layers(scene.timeline, scene.status, scene.incidents, focus=view.zone)
    parts = map_parts(m, layers, folium.LayerControl(collapsed=True))
    return "\n".join([parts["css"], parts["script"], parts["layers"]])


def _normalised(text: str) -> str:
    # folium names elements with random hex ids: equal maps differ only by those
    return re.sub(r"[0-9a-f]{32}", "ID", text)


@pytest.mark.parametrize(
    "params",
    [f"at={AT}", f"at={AT}&zone=eastern-ghouta&window=30", "at=2018-04-01T12:00&kinds=shelling"],
)
def test_the_maps_render_as_branca_renders_them_when_data_holds_no_jinja(params):
    timeline = load_timeline(DATA)
    view = View.parse(params, timeline)
    ours = _live_strings(timeline, view)
    html = snapshot_html(select(timeline, view), generated=GENERATED)
    verbatim.uninstall()
    try:
        theirs = _live_strings(timeline, view)
        html_theirs = snapshot_html(select(timeline, view), generated=GENERATED)
    finally:
        verbatim.install()
    assert len(ours) > 10_000
    assert _normalised(ours) == _normalised(theirs)
    assert html == html_theirs


def _jinja_copy(data: Path) -> Path:
    path = data / "zones.geojson"
    zones = json.loads(path.read_text(encoding="utf-8"))
    for feature in zones["features"]:
        if feature["properties"]["zone_id"] == "eastern-ghouta":
            feature["properties"]["name"] = f"Ghouta {EXPRESSION} {BROKEN}"
    path.write_text(json.dumps(zones, ensure_ascii=False, indent=1), encoding="utf-8")
    _edit_csv(
        data / "violations.csv",
        "violation_id",
        "v-20170723-duma",
        kind=f"shelling {EXPRESSION}",
        summary=COMMAND,
        place=BROKEN,
    )
    return data


def test_jinja_in_the_data_is_shown_as_written_on_the_live_map(data_copy):
    timeline = load_timeline(_jinja_copy(data_copy))
    text = _live_strings(timeline, View.parse(f"at={AT}&zone=eastern-ghouta", timeline))
    assert f"Ghouta {EXPRESSION} {BROKEN}" in text  # the popup, tooltip and label
    assert f"shelling {EXPRESSION}" in text  # the legend and the incident's popup
    assert "cycler.__init__.__globals__" in text
    assert "dz-ran" not in text.replace("echo dz-ran", "")
    assert "Ghouta 49" not in text


def test_jinja_in_the_data_is_shown_as_written_in_the_exported_page(data_copy):
    timeline = load_timeline(_jinja_copy(data_copy))
    scene = select(timeline, View.parse(f"at={AT}&zone=eastern-ghouta", timeline))
    page = snapshot_html(scene, generated=GENERATED)
    assert f"Ghouta {EXPRESSION} {BROKEN}" in page
    assert "cycler.__init__.__globals__" in page
    assert "dz-ran" not in page.replace("echo dz-ran", "")
    assert "Ghouta 49" not in page


def test_branca_alone_would_evaluate_the_data(data_copy, branca_own):
    """Why the module exists: without it, a name holding Jinja is run (or breaks the map)."""
    timeline = load_timeline(_jinja_copy(data_copy))
    scene = select(timeline, View.parse(f"at={AT}", timeline))
    with pytest.raises(Exception, match="unexpected|expected|syntax"):
        snapshot_html(scene, generated=GENERATED)


def test_a_legend_with_jinja_in_a_kind_keeps_it_as_text():
    m = base_map((35.0, 32.0, 42.0, 37.0))
    legend([EXPRESSION, "shelling"], filtered=BROKEN).add_to(m)
    page = m.get_root().render()
    assert EXPRESSION in page and BROKEN in page


def test_install_is_idempotent_and_uninstall_restores_branca():
    ours = MacroElement.render
    verbatim.install()
    assert MacroElement.render is ours
    verbatim.uninstall()
    try:
        assert MacroElement.render is not ours
    finally:
        verbatim.install()
    assert MacroElement.render is ours
