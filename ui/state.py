"""The shareable view in the session and in the address (the view itself is geo.view.View).

The view lives in ``st.session_state["dz.view"]`` and is written to ``st.query_params`` on
every run, so that the address bar is always a permalink:

- ``at``: the instant, ISO 8601 with its UTC offset (``2017-07-22T12:00+03:00``);
- ``window``: days; ``zone``: the focused zone id; ``kinds``: comma-separated incident kinds;
- also ``perpetrators``, ``datasets`` and ``zones`` (comma-separated) and ``base`` (base map).

Opening such an address restores the view on any page. Widgets are bound to view fields
through keys set from the view (never through ``value=``), and change the view in their
callbacks, so that state survives page changes and buttons can move other widgets.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from geo.render import md_escape
from geo.timemodel import Timeline
from geo.view import MAX_WINDOW_DAYS, View

__all__ = ["MAX_WINDOW_DAYS", "View", "bind", "current", "update", "view"]

_VIEW = "dz.view"
_WRITTEN = "dz.params"
_SEEN = "dz.params_seen"
#: How many addresses written in a session are remembered to recognise late echoes.
_SEEN_LIMIT = 256


def _key(params: dict[str, str]) -> tuple:
    return tuple(sorted(params.items()))


def view(timeline: Timeline) -> View:
    """The current view, read from the address on the first run (or when it was edited).

    The browser sends its address with every rerun. Under fast input (key presses on the
    slider, Play, a loaded server) a rerun can carry an address this session wrote a few runs
    ago, before the browser applied the newer one. Such an echo is not a user's edit and must
    not move the view back: only an address this session never wrote replaces the view.
    """
    params = st.query_params.to_dict()
    if _VIEW not in st.session_state:
        _read(params, timeline)
    elif (
        params
        and params != st.session_state.get(_WRITTEN)
        and _key(params) not in st.session_state.get(_SEEN, {})
    ):
        _read(params, timeline)
    current = st.session_state[_VIEW]
    _write_params(current)
    return current


def _read(params: dict[str, str], timeline: Timeline) -> None:
    current, notes = View.from_params(params, timeline)
    for note in notes:
        st.warning(f"The address asks for something dezmap cannot show: {md_escape(note)}")
    _store(current, reset_widgets=True)


def update(**changes: Any) -> View:
    """Change the view (from a widget callback) and the address with it."""
    current = replace(st.session_state[_VIEW], **changes)
    _store(current, reset_widgets=False)
    return current


def _store(current: View, *, reset_widgets: bool) -> None:
    st.session_state[_VIEW] = current
    if reset_widgets:
        for key in [k for k in st.session_state if str(k).startswith("w.")]:
            del st.session_state[key]


def _write_params(current: View) -> None:
    params = current.params()
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state[_WRITTEN] = params
    seen: dict[tuple, None] = st.session_state.setdefault(_SEEN, {})
    seen.pop(_key(params), None)
    seen[_key(params)] = None  # most recent last
    while len(seen) > _SEEN_LIMIT:
        seen.pop(next(iter(seen)))


def current() -> View:
    """The view as callbacks see it (they run before the page)."""
    return st.session_state[_VIEW]


def bind(key: str, value: Any) -> str:
    """Give a widget key its value from the view unless the widget already has one."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key
