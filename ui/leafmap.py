"""The app's map: a folium map drawn on the page itself by a small component (``leafmap.js``).

streamlit-folium draws each map in an iframe that loads its own page, a 225 kB React bundle,
then Leaflet and its plugins one after another: about 0.6 s before the first zone shows on a
warm server, and again for every new map (the Zone page's outline history). This component
is a Streamlit "components v2" module: it runs in the page, loads Leaflet and the plugins
from the app's own ``/app/static/vendor`` once per page, side by side, and draws the map.

The map's script is made as streamlit-folium makes it (its string functions are reused, so
the script that runs is the one streamlit-folium ran); on later runs only the layers that
changed are swapped, and a new centre or zoom moves the map. The map reports its extent
(``bounds``) as streamlit-folium did: 250 ms after a reader's move ends, at once after its
first drawing and after a move the app asked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import folium
import streamlit as st
from streamlit_folium import (
    _get_feature_group_string,
    _get_header,
    _get_layer_control_string,
    _get_map_string,
)

from geo.assets import asset_urls

_JS = (Path(__file__).with_name("leafmap.js")).read_text(encoding="utf-8")
#: The component, registered once per process (the name is the element's in the page).
_MOUNT = st.components.v2.component("dezmap_map", js=_JS, isolate_styles=False)

_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL | re.IGNORECASE)
#: folium's styles for a page of its own (the whole page, a full-page ``#map``): never here.
_PAGE_STYLE = re.compile(r"^\s*(html\s*,\s*body|#map\s*\{|#map_div\s*\{)")
#: folium's map font size (its own page's root size); the map's box as the container that
#: sizes its popups (``cqw`` in :data:`geo.render.MAP_CSS`; the viewport in a page of its
#: own), and as a stacking context of its own, so that Leaflet's panes and controls
#: (z-index 400 to 1000) stay under the page's own menus and toolbars.
_MAP_BOX = (
    ".leaflet-container { font-size: 1rem; }\n"
    ".dz-map { container-type: inline-size; isolation: isolate; }"
)


def _css(header: str) -> str:
    """The map's own CSS from folium's header.

    Its ``<style>`` blocks, minus folium's page-wide ones: the map is a box on a Streamlit
    page, not a page of its own.
    """
    blocks = [b for b in _STYLE.findall(header) if not _PAGE_STYLE.match(b)]
    return "\n".join([_MAP_BOX, *blocks])


def map_parts(
    fig: folium.Map,
    layers: Sequence[folium.FeatureGroup] = (),
    layer_control: folium.LayerControl | None = None,
) -> dict[str, Any]:
    """What the browser gets of a map (the layers are added to ``fig``).

    The base map's script, the layers' script (with the layer control), the asset URLs and
    the map's CSS.
    """
    fig.get_root().render()
    header = _get_header(fig)
    script = _get_map_string(fig)
    code = "".join(_get_feature_group_string(g, fig, i) for i, g in enumerate(layers))
    if layer_control is not None:
        code += _get_layer_control_string(layer_control, fig)
    return {"script": script, "layers": code, "assets": asset_urls(fig), "css": _css(header)}


def leaflet_map(
    fig: folium.Map,
    *,
    key: str,
    height: int,
    layers: Sequence[folium.FeatureGroup] = (),
    layer_control: folium.LayerControl | None = None,
    center: Sequence[float] | None = None,
    zoom: int | None = None,
    report: bool = True,
    hold: bool = False,
) -> dict:
    """Draw ``fig`` with ``layers`` on top; return what the map last reported.

    ``bounds``: its extent once drawn; ``problem``: why it could not be drawn (an asset that
    did not load, a script that failed), also shown in the map's box.

    ``layers`` and ``layer_control`` change from run to run without the map being drawn
    again; a change of ``fig`` draws it again. ``center`` (with ``zoom``, or the zoom on
    screen) moves the map when the pair differs from the last one given, so the reader's own
    moves stand until the page asks for another view; ``None`` asks for none. With
    ``report`` false the map never reports (a map that nothing on the page reads); with
    ``hold`` it keeps its reports until a run draws it without ``hold``, and sends them once
    that run has ended and every element it drew is on the page (a page drawn in two steps: a
    report runs the map's fragment, which must not run in the middle of the second step, nor
    while its widgets still show their first values); the map's box carries ``data-dz-held``
    meanwhile. The map
    stays the same element from run to run (``key``, whose ``height`` is fixed), with its
    extent and its reader's moves.
    """
    data = map_parts(fig, layers, layer_control)
    data.update(
        height=int(height),
        center=list(center) if center is not None else None,
        zoom=zoom,
        report=report,
        hold=hold,
    )
    callbacks = {"on_bounds_change": _nothing, "on_problem_change": _nothing} if report else {}
    result = _MOUNT(key=key, data=data, width="stretch", height=int(height), **callbacks)
    return {"bounds": result.get("bounds"), "problem": result.get("problem")} if report else {}


#: The key of the hidden element of :func:`run_again_once_drawn` (and of its container).
_ONCE_DRAWN = "dz-once-drawn"


def run_again_once_drawn() -> None:
    """Run the whole page again as soon as a map on it has drawn itself (or said why not).

    A hidden element of this component, outside any fragment: a map's own report runs only
    its fragment again. Used by a page drawn in two steps (the map first). The run is asked
    for once the run that drew the map has ended, and not at all after a click on a link to
    another page of the app (Streamlit shows "not running" until the server answers such a
    click, and a run asked for meanwhile would bring the reader back to this page).
    """
    with st.container(key=_ONCE_DRAWN):
        st.html(f"<style>.st-key-{_ONCE_DRAWN} {{ display: none; }}</style>")
        _MOUNT(key=f"{_ONCE_DRAWN}-map", data={"once_drawn": True}, on_drawn_change=_nothing)


def _nothing() -> None:
    """The map's report runs the page (or its fragment) again; nothing else to do."""
