"""What the map component (``ui/leafmap.py``) sends to the browser for a map.

The browser side (``ui/leafmap.js``) is tested in the browser tier (``test_browser_map.py``).
"""

from __future__ import annotations

import re

import folium
import pytest

from geo.datasets import load_timeline
from geo.render import MAP_CSS, base_map, dynamic_layers, outline_history_map
from geo.view import View, select
from tests.conftest import DATA

AT = "2017-07-23T12:00%2B03:00"


@pytest.fixture(scope="module")
def timeline():
    return load_timeline(DATA)


def _parts(timeline, params: str = f"at={AT}"):
    from ui.leafmap import map_parts

    view = View.parse(params, timeline)
    scene = select(timeline, view)
    m = base_map(
        tuple(timeline.zones.versions.total_bounds),
        kinds=sorted(set(timeline.incidents["kind"].astype(str))),
    )
    layers = dynamic_layers(scene.timeline, scene.status, scene.incidents, focus=view.zone)
    return map_parts(m, layers, folium.LayerControl(collapsed=True))


def test_the_assets_are_the_apps_own_with_leaflet_before_its_plugins(timeline):
    assets = _parts(timeline)["assets"]
    assert assets and all(a.startswith("/app/static/vendor/") for a in assets), assets
    assert len(assets) == len(set(assets))
    scripts = [a for a in assets if a.endswith(".js")]
    assert scripts[0] == "/app/static/vendor/leaflet/leaflet.js"
    assert "/app/static/vendor/leaflet/leaflet.css" in assets
    assert any("fullscreen" in a.lower() for a in scripts)


def test_the_css_is_the_maps_own_never_the_pages(timeline):
    css = _parts(timeline)["css"]
    assert MAP_CSS in css
    # folium's rules for a page of its own would restyle the whole Streamlit page
    assert not re.search(r"(^|[\s,}])(html|body)\s*[,{]", css), css
    assert not re.search(r"#map(_div)?\s*\{", css), css
    assert "container-type: inline-size" in css and "isolation: isolate" in css


def test_the_layers_are_apart_from_the_base_map(timeline):
    parts = _parts(timeline)
    script, layers = parts["script"], parts["layers"]
    assert "var map_div = L.map(" in script
    # the zones and incidents travel in the layers' script, which alone changes with the instant
    assert "dz-zone-idlib" in layers and "dz-zone-idlib" not in script
    assert "L.control.layers(" in layers and "window.layer_control" in layers
    later = _parts(timeline, "at=2018-03-20T12:00%2B03:00")
    assert later["script"] == script  # the base map is the same: the browser keeps it
    assert later["layers"] != layers


def test_a_map_without_layers_has_an_empty_layers_script(timeline):
    from ui.leafmap import map_parts

    versions = timeline.zones.versions
    parts = map_parts(outline_history_map(versions[versions["zone_id"] == "eastern-ghouta"]))
    assert parts["layers"] == ""
    assert "dz-version" in parts["script"]
