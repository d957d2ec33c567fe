"""The shareable view in the session and in the address (the view itself is geo.view.View).

The view lives in ``st.session_state["dz.view"]`` and is written to ``st.query_params`` on
every run, so that the address bar is always a permalink:

- ``at``: the instant, ISO 8601 with its UTC offset (``2017-07-22T12:00+03:00``);
- ``window``: whole days; ``zone``: the focused zone id; ``kinds``: comma-separated kinds;
- also ``perpetrators`` (actor families), ``datasets`` and ``zones`` (comma-separated),
  ``q`` (the Records page's search) and ``base`` (base map).

Opening such an address restores the view on any page. Values of an address that cannot be
used are reported on the page (:func:`show_notes`) until the user changes the view.

Widgets that show a part of the view are *bound* (:func:`binding`, :func:`widget`): each run
gives them their value from the view through their key (never through ``value=``), and the
next run compares what the browser sends back with what the widget was drawn with. A
difference is the user's change and moves the view (:func:`view` does this before anything is
drawn). There are no ``on_change`` callbacks for them, on purpose: Streamlit runs callbacks at
a point where a newer browser request interrupts them at their first use of
``st.session_state``, and the change is then lost for good (the widget's new value already
counts as seen). A comparison made at the start of every run is simply made again by the
next run.

When a run gives a widget a new value (the slider after "Next", the date box after the
slider moved), the browser may send requests before it has applied that value, carrying what
the widget showed before. To tell such late echoes from the user's choice, every run ends
with a hidden beacon widget (:func:`end_run`) given the run's number: the number the browser
sends back says which runs it has wholly applied. A value a widget showed before a push that
the browser has not yet applied is an echo and is ignored; once the run is applied, any
difference is the user's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

from geo.render import md_escape
from geo.timemodel import Timeline
from geo.view import MAX_WINDOW_DAYS, View

__all__ = [
    "MAX_WINDOW_DAYS",
    "View",
    "bind",
    "binding",
    "current",
    "show_notes",
    "update",
    "view",
    "widget",
]

_VIEW = "dz.view"
_NOTES = "dz.notes"
_WRITTEN = "dz.params"
_SEEN = "dz.params_seen"
#: How many addresses written in a session are remembered to recognise late echoes.
_SEEN_LIMIT = 256
_SHOWN = "dz.shown"
#: How many earlier values of a widget are remembered as possible late echoes.
_ECHO_LIMIT = 32
_RUN = "dz.run"
_BEACON = "dz-beacon"


@dataclass
class _Shown:
    """What a bound widget was last drawn with, in which run, and its possible late echoes.

    ``echoes``: the values it showed before run ``pushed`` gave it ``value``; they are echoes
    only while the browser has not applied that run.
    """

    value: Any
    pushed: int = 0
    echoes: list = field(default_factory=list)


#: A bound widget's ``apply(view, value, timeline)``: the view after the user chose ``value``
#: in it (``None``: the value changes nothing).
Apply = Callable[[View, Any, Timeline], "View | None"]
_BINDINGS: dict[str, Apply] = {}


def binding(key: str) -> Callable[[Apply], Apply]:
    """Declare, as a decorator of its ``apply`` function, that widget ``key`` shows the view.

    Changes are applied in the order of declaration (a decorator nearer the function is
    declared first).
    """

    def register(apply: Apply) -> Apply:
        _BINDINGS[key] = apply
        return apply

    return register


def _key(params: dict[str, str]) -> tuple:
    return tuple(sorted(params.items()))


def view(timeline: Timeline) -> View:
    """The current view, read from the address on the first run (or when it was edited).

    The browser sends its address with every rerun. Under fast input (key presses on the
    slider, Play, a loaded server) a rerun can carry an address this session wrote a few runs
    ago, before the browser applied the newer one. Such an echo is not a user's edit and must
    not move the view back: only an address this session never wrote replaces the view.
    """
    st.session_state[_RUN] = st.session_state.get(_RUN, 0) + 1
    params = st.query_params.to_dict()
    if _VIEW not in st.session_state:
        _read(params, timeline)
    elif (
        params
        and params != st.session_state.get(_WRITTEN)
        and _key(params) not in st.session_state.get(_SEEN, {})
    ):
        _read(params, timeline)
    current = _apply_widgets(st.session_state[_VIEW], timeline)
    _write_params(current)
    show_notes()
    return current


def _apply_widgets(current: View, timeline: Timeline) -> View:
    """The view after the changes the user made in bound widgets since they were drawn."""
    shown: dict[str, _Shown] = st.session_state.get(_SHOWN, {})
    applied = _applied_run()
    moved = current
    for key, apply in _BINDINGS.items():
        record = shown.get(key)
        if record is None or key not in st.session_state:
            continue
        value = st.session_state[key]
        if value == record.value or record.pushed <= applied:
            record.echoes.clear()  # the browser has what was drawn
        if value != record.value and value not in record.echoes:
            moved = apply(moved, value, timeline) or moved
    if moved != current:
        st.session_state.pop(_NOTES, None)
        _store(moved, reset_widgets=False)
    return moved


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
        shown: dict[str, _Shown] = st.session_state.setdefault(_SHOWN, {})
        for key in [k for k in st.session_state if str(k).startswith("w.")]:
            if key in shown:  # what the browser still shows is an echo until redrawn
                shown[key].echoes.append(shown[key].value)
                shown[key].pushed = st.session_state.get(_RUN, 0)
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


def widget(draw: Callable[..., Any], key: str, value: Any, *args: Any, **kwargs: Any) -> Any:
    """Draw bound widget ``key`` (``draw(*args, key=key, **kwargs)``) showing ``value``.

    The value is given through the key only when the widget does not already hold it: giving
    it again would make the browser overwrite the widget, and a key press made while this
    run was under way would be undone. What the widget was drawn with is remembered once it
    is drawn, with the values the browser may still echo, for :func:`view` on the next run.
    """
    if key not in _BINDINGS:
        raise KeyError(f"{key} is not a bound widget (declare it with ui.state.binding)")
    had = st.session_state[key] if key in st.session_state else _ABSENT
    pushed = had is _ABSENT or had != value
    if pushed:
        st.session_state[key] = value
    # "session": Streamlit keeps the value across page switches (by default it drops it, and
    # the widget would come back empty on the next page while the view still holds a value)
    result = draw(*args, key=key, persist_state="session", **kwargs)
    shown: dict[str, _Shown] = st.session_state.setdefault(_SHOWN, {})
    record = shown.get(key)
    if pushed:
        echoes: list = []
        earlier = [*(record.echoes if record else []), *([record.value] if record else [])]
        for old in [*earlier, *([] if had is _ABSENT else [had])]:
            if old != value and old not in echoes:
                echoes.append(old)
        shown[key] = _Shown(value, st.session_state.get(_RUN, 0), echoes[-_ECHO_LIMIT:])
    else:
        shown[key] = _Shown(value, record.pushed if record else 0, record.echoes if record else [])
    return result


def _applied_run() -> int:
    """The number of the last run whose widgets the browser had applied when it sent this run."""
    try:
        return int(st.session_state.get(_BEACON) or 0)
    except (TypeError, ValueError):
        return 0


def end_run() -> None:
    """Draw the run's beacon, hidden (call it last on every page, after every bound widget).

    The browser applies a run's messages in order, so once it holds this run's number it
    holds every widget value this run gave; it sends the number back with its next request.
    """
    st.session_state[_BEACON] = str(st.session_state.get(_RUN, 0))
    st.html(f"<style>.st-key-{_BEACON} {{ display: none; }}</style>")
    st.text_input("run", key=_BEACON, label_visibility="collapsed", persist_state="session")


_ABSENT = object()
