"""The zone editor's map: a Streamlit component without a build step.

``frontend/index.html`` loads Leaflet and leaflet-geoman from the app's static folder and
``frontend/editor.js`` speaks Streamlit's component protocol over ``postMessage`` itself.
streamlit-folium cannot be used here: it relays only Leaflet.draw's ``draw:*`` events, and
geoman's edits (vertex moves, holes, removed parts) fire ``pm:*`` events.

The component is declared on first use, not on import: a component declared before the
server runs is never served (see :mod:`ui.serve`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FRONTEND = Path(__file__).resolve().parent / "frontend"
NAME = "dezmap_editor"

_component: Callable[..., Any] | None = None


@dataclass(frozen=True)
class EditStep:
    """One edit step sent by the map: the outline after it, and who sent it.

    ``id`` is unique per step; ``revision`` is the revision of the outline the step was made
    on (a step made on an outline Python has since replaced is stale).
    """

    geometry: dict | None
    id: str
    revision: int


def _declare() -> Callable[..., Any]:
    global _component
    if _component is None:
        import streamlit.components.v1 as components

        _component = components.declare_component(NAME, path=str(FRONTEND))
    return _component


def zone_editor(
    geometry: dict | None,
    *,
    revision: int,
    key: str,
    context: dict | None = None,
    countries: dict | None = None,
    added: dict | None = None,
    removed: dict | None = None,
    applied: str = "",
    fit: tuple[float, float, float, float] | None = None,
    height: int = 520,
) -> EditStep | None:
    """Show the editing map; return the latest edit step it sent, if any.

    Parameters
    ----------
    geometry
        The outline to edit (GeoJSON Polygon or MultiPolygon), or None for a new zone.
    revision
        The map loads ``geometry`` only when this number changes; bump it to replace what
        is on the map (another version, undo, a reload).
    key
        The component's widget key (keep it stable, or the map is rebuilt).
    context
        A FeatureCollection drawn faintly under the outline; each feature's ``kind``
        (``version`` or ``zone``) chooses the style and ``label`` its tooltip (shown as text).
    countries
        A FeatureCollection of country outlines, or None.
    added, removed
        Preview geometries (GeoJSON) of what the edit adds and removes.
    applied
        Id of the last step Python took into account (for tests and the benchmark).
    fit
        Bounds to show when there is no outline (west, south, east, north).
    height
        Height of the map in pixels.

    Returns
    -------
    EditStep or None
        The last step the map sent (Streamlit repeats it on every rerun: compare its ``id``),
        or None before the first edit.
    """
    value = _declare()(
        geometry=geometry,
        revision=revision,
        context=context,
        countries=countries,
        added=added,
        removed=removed,
        applied=applied,
        fit=list(fit) if fit else None,
        height=height,
        key=key,
        default=None,
    )
    return parse_step(value)


def parse_step(value: object) -> EditStep | None:
    """Read the component's value; None for anything that is not a well-formed step."""
    if not isinstance(value, dict):
        return None
    geometry = value.get("geometry")
    step_id = value.get("id")
    revision = value.get("revision")
    if geometry is not None and not isinstance(geometry, dict):
        return None
    if not isinstance(step_id, str) or not isinstance(revision, int):
        return None
    return EditStep(geometry=geometry, id=step_id, revision=revision)
