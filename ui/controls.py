"""The widgets more than one page uses: sidebar filters and the time controls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from geo import schema
from geo.actors import FAMILIES
from geo.datasets import dataset_names
from geo.filters import local_instant, step_event
from geo.render import BASEMAP_LABELS
from geo.timemodel import Timeline
from ui import data
from ui.state import MAX_WINDOW_DAYS, View, bind, current, update

PLAY_STEPS = {
    "1 day": pd.Timedelta(days=1),
    "1 week": pd.Timedelta(days=7),
    "1 month": pd.Timedelta(days=30),
}


_MISSING = object()


def _on(key: str, apply: Callable[[Any], object]) -> Callable[[], None]:
    """A widget callback that applies the widget's value, if the widget still has one.

    A new address resets the widgets; a callback queued before that must not fail on a key
    that is gone.
    """

    def callback() -> None:
        value = st.session_state.get(key, _MISSING)
        if value is not _MISSING:
            apply(value)

    return callback


def _multi(
    label: str,
    key: str,
    options: list[str],
    field: str,
    value: tuple[str, ...],
    help_text: str,
    labels: dict[str, str] | None = None,
) -> None:
    bind(key, [v for v in value if v in options])
    st.multiselect(
        label,
        options,
        key=key,
        help=help_text,
        format_func=(lambda v: labels.get(v, v)) if labels else str,
        on_change=_on(key, lambda v: update(**{field: tuple(v)})),
    )


def sidebar(timeline: Timeline, view: View) -> None:
    """Draw the filters (each changes the view; geo.view.select applies them)."""
    zones = timeline.zones
    names = dict(zip(zones.versions["zone_id"], zones.versions["name"], strict=False))
    with st.sidebar:
        st.header("Filters")
        bind("w.zone", view.zone or "")
        st.selectbox(
            "Focus zone",
            ["", *zones.zone_ids],
            key="w.zone",
            format_func=lambda z: names.get(z, z) if z else "(none: the whole map)",
            help="The zone the map zooms to and the Zone page shows.",
            on_change=_on("w.zone", lambda v: update(zone=v or None)),
        )
        _multi(
            "Zones shown",
            "w.zones",
            list(zones.zone_ids),
            "zones",
            view.zones,
            "Only these zones on the map and in the tables (empty: all).",
            names,
        )
        kinds, perpetrators = data.choices()
        _multi(
            "Incident kinds",
            "w.kinds",
            kinds,
            "kinds",
            view.kinds,
            "Only incidents of these kinds count (empty: all).",
        )
        _multi(
            "Alleged perpetrators",
            "w.perpetrators",
            list(dict.fromkeys([*perpetrators, *view.perpetrators])),
            "perpetrators",
            view.perpetrators,
            "Only incidents whose reported perpetrator names one of these actor families "
            "count (empty: all). The Records page keeps each report's own wording.",
            FAMILIES,
        )
        _multi(
            "Data sets",
            "w.datasets",
            dataset_names(timeline),
            "datasets",
            view.datasets,
            "The bundled data and imported sets (empty: all).",
        )
        bind("w.base", view.base)
        st.selectbox(
            "Base map",
            list(BASEMAP_LABELS),
            key="w.base",
            format_func=BASEMAP_LABELS.get,
            help="'None' needs no network: zones on a plain background with reference layers.",
            on_change=_on("w.base", lambda v: update(base=v)),
        )
        st.caption("The address bar always holds this view: copy it to share it.")


def _sync_time_widgets(at: pd.Timestamp) -> None:
    local = at.tz_convert(schema.DAMASCUS)
    st.session_state["w.day"] = local.date()
    st.session_state["w.hour"] = local.hour


def set_instant(at: pd.Timestamp) -> None:
    """Move the view to an instant and the time widgets with it (for callbacks)."""
    update(at=at)
    _sync_time_widgets(at)


def _local_parts(at: pd.Timestamp) -> tuple[dt.date, int, int]:
    local = at.tz_convert(schema.DAMASCUS)
    return local.date(), local.hour, local.minute


def time_controls(timeline: Timeline, view: View) -> None:
    """Slider over the data's whole range, previous/next event, jump, window and play."""
    lo = timeline.range[0].tz_convert(schema.DAMASCUS).date()
    hi = timeline.range[1].tz_convert(schema.DAMASCUS).date()
    day, hour, minute = _local_parts(view.at)
    day = min(max(day, lo), hi)
    bind("w.day", day)
    bind("w.hour", hour)

    def on_day() -> None:
        day = st.session_state.get("w.day")
        if day is None:  # the widget was reset by a new address meanwhile: nothing to apply
            return
        _, h, m = _local_parts(current().at)
        update(at=local_instant(day, h, m))

    def on_hour() -> None:
        hour = st.session_state.get("w.hour")
        if hour is None:
            return
        d, _, _ = _local_parts(current().at)
        update(at=local_instant(d, hour))

    def on_step(direction: int) -> None:
        target = step_event(data.events(), current().at, direction)
        if target is not None:
            set_instant(target)

    left, middle, right = st.columns([1, 6, 1], vertical_alignment="bottom")
    left.button(
        "◀ Previous",
        key="w.prev",
        on_click=on_step,
        args=(-1,),
        help="Go back to the previous event: a boundary change, an agreement "
        "starting or ending, or an incident.",
        width="stretch",
    )
    middle.slider(
        "Day",
        min_value=lo,
        max_value=hi,
        key="w.day",
        step=dt.timedelta(days=1),
        format="D MMM YYYY",
        on_change=on_day,
    )
    right.button(
        "Next ▶",
        key="w.next",
        on_click=on_step,
        args=(1,),
        help="Go to the next event.",
        width="stretch",
    )

    c1, c2, c3, c4 = st.columns([2, 1, 3, 2], vertical_alignment="bottom")
    c1.select_slider(
        "Time of day (Damascus)",
        options=list(range(24)),
        key="w.hour",
        format_func=lambda h: f"{h:02d}:00",
        on_change=on_hour,
    )
    bind("w.window", float(view.window))
    c2.number_input(
        "Window (days)",
        min_value=1.0,
        max_value=MAX_WINDOW_DAYS,
        step=1.0,
        key="w.window",
        on_change=_on("w.window", lambda v: update(window=v)),
        help="Incidents in this many days before the instant count as violations.",
    )
    agreements = timeline.agreements.frame.sort_values("effective_from")
    titles = dict(zip(agreements["agreement_id"], agreements["title"], strict=True))
    starts = dict(zip(agreements["agreement_id"], agreements["effective_from"], strict=True))
    bind("w.jump", "")

    def on_jump() -> None:
        chosen = st.session_state.get("w.jump")
        if chosen:
            set_instant(starts[chosen])
            st.session_state["w.jump"] = ""

    c3.selectbox(
        "Jump to an agreement",
        ["", *agreements["agreement_id"]],
        key="w.jump",
        format_func=lambda a: (
            f"{schema.format_local(starts[a], with_time=False)}: {titles[a]}"
            if a
            else "(choose an agreement)"
        ),
        on_change=on_jump,
    )
    with c4:
        bind("w.playstep", "1 day")
        st.selectbox("Play step", list(PLAY_STEPS), key="w.playstep")
        st.toggle("▶ Play", key="w.play", help="Step through time automatically.")
    if minute:
        st.caption(
            f"The instant has minutes ({minute:02d}); moving the controls rounds it to the hour."
        )


_PENDING = "dz.pending_at"
PLAY_DELAY_S = 0.7


def play(timeline: Timeline, view: View) -> None:
    """While Play is on: wait, then move one step and run the page again (call it last)."""
    if not st.session_state.get("w.play"):
        return
    nxt = view.at + PLAY_STEPS[st.session_state.get("w.playstep", "1 day")]
    if nxt > timeline.range[1]:
        # the end of the data: switch Play off (the toggle is drawn, so on the next run)
        st.session_state[_PENDING_STOP] = True
        st.rerun()
    import time

    time.sleep(PLAY_DELAY_S)
    # widgets of this run are drawn already: the move happens at the start of the next run
    st.session_state[_PENDING] = nxt
    st.rerun()


_PENDING_STOP = "dz.pending_stop"


def apply_pending() -> None:
    """Apply a move that Play asked for in the previous run (call before reading the view)."""
    pending = st.session_state.pop(_PENDING, None)
    if pending is not None:
        set_instant(pending)
    if st.session_state.pop(_PENDING_STOP, False):
        st.session_state["w.play"] = False
