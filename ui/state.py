"""The shareable view: instant, window, zone and filters, in the session and in the address.

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

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import streamlit as st

from geo import schema
from geo.errors import UsageError
from geo.filters import busiest_instant
from geo.render import BASEMAPS, md_escape
from geo.timemodel import DEFAULT_WINDOW_DAYS, Timeline, as_instant

_VIEW = "dz.view"
_WRITTEN = "dz.params"
_LISTS = ("kinds", "perpetrators", "datasets", "zones")
MAX_WINDOW_DAYS = 3650.0


@dataclass(frozen=True)
class View:
    """Everything that decides what the pages show."""

    at: pd.Timestamp
    window: float = DEFAULT_WINDOW_DAYS
    zone: str | None = None
    kinds: tuple[str, ...] = ()
    perpetrators: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    base: str = "none"

    def params(self) -> dict[str, str]:
        """The view as query parameters (defaults left out, except the instant)."""
        local = self.at.tz_convert(schema.DAMASCUS)
        out = {"at": local.isoformat(timespec="minutes")}
        if self.window != DEFAULT_WINDOW_DAYS:
            out["window"] = f"{self.window:g}"
        if self.zone:
            out["zone"] = self.zone
        for name in _LISTS:
            values = getattr(self, name)
            if values:
                out[name] = ",".join(values)
        if self.base != "none":
            out["base"] = self.base
        return out


def from_params(params: dict[str, str], timeline: Timeline) -> tuple[View, list[str]]:
    """Read a view from query parameters; bad values fall back to defaults, with a note each."""
    notes: list[str] = []
    at = busiest_instant(timeline)
    if params.get("at"):
        try:
            at = as_instant(params["at"])
        except UsageError as exc:
            notes.append(f"at: {exc}")
    values: dict[str, Any] = {"at": at}
    if params.get("window"):
        try:
            window = float(params["window"])
            if not 0 < window <= MAX_WINDOW_DAYS:
                raise ValueError
            values["window"] = window
        except ValueError:
            notes.append(
                f"window: {params['window']!r} is not a number of days from 1 to "
                f"{MAX_WINDOW_DAYS:g}"
            )
    zone = params.get("zone")
    if zone:
        if zone in timeline.zones.zone_ids:
            values["zone"] = zone
        else:
            notes.append(f"zone: no zone {zone!r}")
    for name in _LISTS:
        if params.get(name):
            values[name] = tuple(v for v in params[name].split(",") if v)
    if params.get("base"):
        if params["base"] in BASEMAPS:
            values["base"] = params["base"]
        else:
            notes.append(f"base: {params['base']!r} is not one of {', '.join(BASEMAPS)}")
    return View(**values), notes


def view(timeline: Timeline) -> View:
    """The current view, read from the address on the first run (or when it was edited)."""
    params = st.query_params.to_dict()
    if _VIEW not in st.session_state or params != st.session_state.get(_WRITTEN):
        if params or _VIEW not in st.session_state:
            current, notes = from_params(params, timeline)
            for note in notes:
                st.warning(f"The address asks for something dezmap cannot show: {md_escape(note)}")
            _store(current, reset_widgets=True)
    current = st.session_state[_VIEW]
    _write_params(current)
    return current


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


def current() -> View:
    """The view as callbacks see it (they run before the page)."""
    return st.session_state[_VIEW]


def bind(key: str, value: Any) -> str:
    """Give a widget key its value from the view unless the widget already has one."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key
