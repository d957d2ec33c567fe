"""The shareable view in the session and in the address (the view itself is geo.view.View).

The view lives in ``st.session_state["dz.view"]`` and is written to ``st.query_params`` on
every run, so that the address bar is always a permalink:

- ``at``: the instant, ISO 8601 with its UTC offset (``2017-07-22T12:00+03:00``);
- ``window``: whole days; ``zone``: the focused zone id; ``kinds``: comma-separated kinds;
- also ``perpetrators`` (actor families), ``datasets`` and ``zones`` (comma-separated),
  ``q`` (the Records page's search) and ``base`` (base map).

Opening such an address restores the view on any page. Widgets that show a view field are
given their value from the view on every run, through their key (:func:`sync`, never through
``value=``), and change the view in their callbacks: whatever page was shown before and
whatever Streamlit kept of a widget across a page switch, the widgets show the view that the
address and the map show. Values of an address that cannot be used are reported on the page
(:func:`show_notes`) until the user changes the view.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from geo.render import md_escape
from geo.timemodel import Timeline
from geo.view import MAX_WINDOW_DAYS, View

__all__ = ["MAX_WINDOW_DAYS", "View", "bind", "current", "show_notes", "sync", "update", "view"]

_VIEW = "dz.view"
_NOTES = "dz.notes"
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
    show_notes()
    return current


def _read(params: dict[str, str], timeline: Timeline) -> None:
    current, notes = View.from_params(params, timeline)
    st.session_state[_NOTES] = notes
    _store(current, reset_widgets=True)


def show_notes() -> None:
    """Say, as warnings, which values of the address were ignored and why.

    They stay on every page until the user changes the view: a mistyped filter in a shared
    link (``kinds=airstrikes``) must never pass for a calm map.
    """
    for note in st.session_state.get(_NOTES, []):
        st.warning(
            f"The address asks for something dezmap cannot show: {md_escape(note)}",
            icon=":material/warning:",
        )


def update(**changes: Any) -> View:
    """Change the view (from a widget callback) and the address with it."""
    current = replace(st.session_state[_VIEW], **changes)
    st.session_state.pop(_NOTES, None)
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
    """Give a widget key a first value unless the widget already has one (UI-only state)."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def sync(key: str, value: Any) -> str:
    """Give a widget key its value from the view, on every run (call before the widget).

    Streamlit may forget or keep a widget's value across a page switch; setting it from the
    view each time keeps every widget in step with the address and the map.
    """
    st.session_state[key] = value
    return key
