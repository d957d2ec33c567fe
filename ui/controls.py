"""The widgets more than one page uses: sidebar filters and the time controls."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from geo import schema
from geo.actors import FAMILIES
from geo.datasets import dataset_names
from geo.filters import local_instant, step_event
from geo.render import BASEMAP_LABELS, md_escape
from geo.timemodel import Timeline
from geo.view import describe_filters, is_filtered
from ui import data
from ui.state import MAX_WINDOW_DAYS, View, bind, current, sync, update

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
    sync(key, [v for v in value if v in options])
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
        sync("w.zone", view.zone or "")
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
        sync("w.base", view.base)
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
    st.session_state["w.date"] = local.date()
    st.session_state["w.hour"] = local.hour


def set_instant(at: pd.Timestamp) -> None:
    """Move the view to an instant and the time widgets with it (for callbacks)."""
    update(at=at)
    _sync_time_widgets(at)


def _local_parts(at: pd.Timestamp) -> tuple[dt.date, int, int]:
    local = at.tz_convert(schema.DAMASCUS)
    return local.date(), local.hour, local.minute


def filters_line(timeline: Timeline, view: View, *, search_text: bool = False) -> None:
    """Say which filters are active ("Showing: shelling only; zones: Idlib"), above a map."""
    text = md_escape(describe_filters(view, timeline, search_text=search_text))
    if is_filtered(view) or (search_text and view.q):
        st.info(
            f"**Filtered.** {text}. The sidebar changes the filters.", icon=":material/filter_alt:"
        )
    else:
        st.caption(text)


#: Below this viewport width (CSS pixels) the time controls start collapsed.
SMALL_SCREEN_PX = 700


def collapse_on_small_screens(label: str) -> None:
    """Close the expander labelled ``label`` on a small screen, once per browser tab.

    Below :data:`SMALL_SCREEN_PX` the map must come first on a phone. Streamlit cannot know
    the screen's width on the server, so a short script does it in the browser, as a click on
    the expander's header would.
    """
    script = f"""
<script>
(function () {{
  var label = {json.dumps(label)}, flag = "dz.collapsed." + label;
  if (window.parent.innerWidth >= {SMALL_SCREEN_PX} || window.sessionStorage.getItem(flag)) {{
    return;
  }}
  var doc = window.parent.document, tries = 0;
  (function close() {{
    var found = Array.from(doc.querySelectorAll('[data-testid="stExpander"] details')).find(
      function (d) {{ return d.querySelector("summary").textContent.indexOf(label) >= 0; }});
    if (found) {{
      if (found.open) {{ found.querySelector("summary").click(); }}
      window.sessionStorage.setItem(flag, "1");
    }} else if (tries++ < 50) {{
      window.setTimeout(close, 100);
    }}
  }})();
}})();
</script>"""
    st.html(script, unsafe_allow_javascript=True)


TIME_CONTROLS = "Time controls"


def time_controls(timeline: Timeline, view: View) -> None:
    """Day slider and date box, previous/next event, hour, window, jump and play.

    They sit in an expander, open on a wide screen and closed on a small one
    (:func:`collapse_on_small_screens`).
    """
    lo = timeline.range[0].tz_convert(schema.DAMASCUS).date()
    hi = timeline.range[1].tz_convert(schema.DAMASCUS).date()
    day, hour, minute = _local_parts(view.at)
    day = min(max(day, lo), hi)
    sync("w.day", day)
    sync("w.date", day)
    sync("w.hour", hour)

    def move_to_day(key: str) -> None:
        day = st.session_state.get(key)
        if not isinstance(day, dt.date):  # reset by a new address, or an empty box
            return
        _, h, m = _local_parts(current().at)
        set_instant(local_instant(day, h, m))

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

    box = st.expander(TIME_CONTROLS, expanded=True, icon=":material/schedule:")
    collapse_on_small_screens(TIME_CONTROLS)
    left, middle, date_box, right = box.columns([1, 5, 2, 1], vertical_alignment="bottom")
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
        on_change=move_to_day,
        args=("w.day",),
    )
    date_box.date_input(
        "Date",
        min_value=lo,
        max_value=hi,
        key="w.date",
        format="YYYY-MM-DD",
        on_change=move_to_day,
        args=("w.date",),
        help="Type a date (year, month, day: Damascus calendar); it applies on leaving the box.",
    )
    right.button(
        "Next ▶",
        key="w.next",
        on_click=on_step,
        args=(1,),
        help="Go to the next event.",
        width="stretch",
    )

    c1, c2, c3, c4 = box.columns([2, 1, 3, 2], vertical_alignment="bottom")
    c1.select_slider(
        "Time of day (Damascus)",
        options=list(range(24)),
        key="w.hour",
        format_func=lambda h: f"{h:02d}:00",
        on_change=on_hour,
    )
    sync("w.window", int(view.window))
    c2.number_input(
        "Window (days)",
        min_value=1,
        max_value=int(MAX_WINDOW_DAYS),
        step=1,
        key="w.window",
        on_change=_on("w.window", lambda v: update(window=int(v))),
        help="Incidents in this many whole days before the instant count as violations.",
    )
    agreements = timeline.agreements.frame.sort_values("effective_from")
    titles = dict(zip(agreements["agreement_id"], agreements["title"], strict=True))
    starts = dict(zip(agreements["agreement_id"], agreements["effective_from"], strict=True))
    sync("w.jump", "")

    def on_jump() -> None:
        chosen = st.session_state.get("w.jump")
        if chosen:
            set_instant(starts[chosen])

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
        box.caption(
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
