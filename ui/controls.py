"""The widgets more than one page uses: sidebar filters and the time controls."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace
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
from ui.state import MAX_WINDOW_DAYS, View, bind, binding, current, update, widget

PLAY_STEPS = {
    "1 day": pd.Timedelta(days=1),
    "1 week": pd.Timedelta(days=7),
    "1 month": pd.Timedelta(days=30),
}


@binding("w.zone")
def _apply_zone(view: View, value: Any, timeline: Timeline) -> View:
    return replace(view, zone=value or None)


@binding("w.base")
def _apply_base(view: View, value: Any, timeline: Timeline) -> View:
    return replace(view, base=value)


@binding("w.window")
def _apply_window(view: View, value: Any, timeline: Timeline) -> View | None:
    return replace(view, window=int(value)) if value is not None else None


def _apply_tuple(field: str) -> Callable[[View, Any, Timeline], View]:
    def apply(view: View, value: Any, timeline: Timeline) -> View:
        return replace(view, **{field: tuple(value or ())})

    return apply


for _key, _field in [
    ("w.zones", "zones"),
    ("w.kinds", "kinds"),
    ("w.perpetrators", "perpetrators"),
    ("w.datasets", "datasets"),
]:
    binding(_key)(_apply_tuple(_field))


@binding("w.day")
@binding("w.date")
def _apply_day(view: View, value: Any, timeline: Timeline) -> View | None:
    if not isinstance(value, dt.date):  # an empty date box
        return None
    _, hour, minute = _local_parts(view.at)
    return replace(view, at=local_instant(value, hour, minute))


@binding("w.hour")
def _apply_hour(view: View, value: Any, timeline: Timeline) -> View | None:
    if value is None:
        return None
    day, _, _ = _local_parts(view.at)
    return replace(view, at=local_instant(day, value))


@binding("w.jump")
def _apply_jump(view: View, value: Any, timeline: Timeline) -> View | None:
    agreements = timeline.agreements.frame
    start = agreements.loc[agreements["agreement_id"] == value, "effective_from"]
    return replace(view, at=start.iloc[0]) if value and len(start) else None


@binding("w.search")
def _apply_search(view: View, value: Any, timeline: Timeline) -> View:
    return replace(view, q=" ".join(str(value or "").split()))


def _multi(
    label: str,
    key: str,
    options: list[str],
    value: tuple[str, ...],
    help_text: str,
    labels: dict[str, str] | None = None,
) -> None:
    widget(
        st.multiselect,
        key,
        [v for v in value if v in options],
        label,
        options,
        help=help_text,
        format_func=(lambda v: labels.get(v, v)) if labels else str,
    )


#: Session flag: the controls (filters, time controls) are drawn from now on (the Map page's
#: first paint is over, or a page drew them).
CONTROLS_SHOWN = "dz.controls_shown"


def first_paint() -> bool:
    """Whether this run is the session's first paint of the Map page: the map first.

    A browser's first page load fetches the code of every kind of widget on the page, and
    Streamlit's frontend (React) shows all those widgets, and the map's element with them, in
    one go once the last of them has its code: the map waited for about twenty widgets it
    does not need. On a session's first run the Map page therefore draws its heading and the
    map, with the controls' places kept (:func:`time_controls_pending`); once the map has
    drawn itself (or said why it cannot) the page runs again
    (:func:`ui.leafmap.run_again_once_drawn`), and that run and every later one draw the
    controls (a session that has drawn them on any page draws them at once). True once per
    session.
    """
    first = not st.session_state.get(CONTROLS_SHOWN, False)
    st.session_state[CONTROLS_SHOWN] = True
    return first


def sidebar(timeline: Timeline, view: View) -> None:
    """Draw the filters (each changes the view; geo.view.select applies them)."""
    st.session_state[CONTROLS_SHOWN] = True
    zones = timeline.zones
    names = dict(zip(zones.versions["zone_id"], zones.versions["name"], strict=False))
    with st.sidebar:
        st.header("Filters")
        widget(
            st.selectbox,
            "w.zone",
            view.zone or "",
            "Focus zone",
            ["", *zones.zone_ids],
            format_func=lambda z: names.get(z, z) if z else "(none: the whole map)",
            help="The zone the map zooms to and the Zone page shows.",
        )
        _multi(
            "Zones shown",
            "w.zones",
            list(zones.zone_ids),
            view.zones,
            "Only these zones on the map and in the tables (empty: all).",
            names,
        )
        kinds, perpetrators = data.choices()
        _multi(
            "Incident kinds",
            "w.kinds",
            kinds,
            view.kinds,
            "Only incidents of these kinds count (empty: all).",
        )
        _multi(
            "Alleged perpetrators",
            "w.perpetrators",
            list(dict.fromkeys([*perpetrators, *view.perpetrators])),
            view.perpetrators,
            "Only incidents whose reported perpetrator names one of these actor families "
            "count (empty: all). The Records page keeps each report's own wording.",
            FAMILIES,
        )
        _multi(
            "Data sets",
            "w.datasets",
            dataset_names(timeline),
            view.datasets,
            "The bundled data and imported sets (empty: all).",
        )
        widget(
            st.selectbox,
            "w.base",
            view.base,
            "Base map",
            list(BASEMAP_LABELS),
            format_func=BASEMAP_LABELS.get,
            help="'None' needs no network: zones on a plain background with reference layers.",
        )
        st.caption("The address bar always holds this view: copy it to share it.")


def set_instant(at: pd.Timestamp) -> None:
    """Move the view to an instant (for button callbacks; the time widgets follow the view)."""
    update(at=at)


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
#: The room the time controls take in their box (CSS): two rows of widgets on a wide screen,
#: their labels wrapped on a narrower one (the sidebar open beside them).
_PENDING_CSS = (
    ".dz-controls-pending { height: 216px; }\n"
    "@media (min-width: 768px) and (max-width: 1023px) { .dz-controls-pending { height: 256px; } }"
)


def _time_controls_box() -> Any:
    """The time controls' expander (open on a wide screen, closed on a small one)."""
    box = st.expander(TIME_CONTROLS, expanded=True, icon=":material/schedule:")
    collapse_on_small_screens(TIME_CONTROLS)
    return box


def time_controls_pending() -> None:
    """The time controls' box, its room kept, for a first paint (:func:`first_paint`).

    The same elements in the same places as :func:`time_controls` draws, so that the map
    below stays where it is, and stays the same map, when the controls arrive.
    """
    _time_controls_box().markdown(
        f'<style>{_PENDING_CSS}</style><div class="dz-controls-pending"></div>',
        unsafe_allow_html=True,
    )


def time_controls(timeline: Timeline, view: View) -> None:
    """Day slider and date box, previous/next event, hour, window, jump and play.

    They sit in an expander, open on a wide screen and closed on a small one
    (:func:`collapse_on_small_screens`).
    """
    lo = timeline.range[0].tz_convert(schema.DAMASCUS).date()
    hi = timeline.range[1].tz_convert(schema.DAMASCUS).date()
    day, hour, minute = _local_parts(view.at)
    day = min(max(day, lo), hi)

    def on_step(direction: int) -> None:
        target = step_event(data.events(), current().at, direction)
        if target is not None:
            set_instant(target)

    box = _time_controls_box()
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
    widget(
        middle.slider,
        "w.day",
        day,
        "Day",
        min_value=lo,
        max_value=hi,
        step=dt.timedelta(days=1),
        format="D MMM YYYY",
    )
    widget(
        date_box.date_input,
        "w.date",
        day,
        "Date",
        min_value=lo,
        max_value=hi,
        format="YYYY-MM-DD",
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
    widget(
        c1.select_slider,
        "w.hour",
        hour,
        "Time of day (Damascus)",
        options=list(range(24)),
        format_func=lambda h: f"{h:02d}:00",
    )
    widget(
        c2.number_input,
        "w.window",
        int(view.window),
        "Window (days)",
        min_value=1,
        max_value=int(MAX_WINDOW_DAYS),
        step=1,
        help="Incidents in this many whole days before the instant count as violations.",
    )
    agreements = timeline.agreements.frame.sort_values("effective_from")
    titles = dict(zip(agreements["agreement_id"], agreements["title"], strict=True))
    starts = dict(zip(agreements["agreement_id"], agreements["effective_from"], strict=True))
    widget(
        c3.selectbox,
        "w.jump",
        "",  # an action: choosing an agreement moves the instant, and the box empties
        "Jump to an agreement",
        ["", *agreements["agreement_id"]],
        format_func=lambda a: (
            f"{schema.format_local(starts[a], with_time=False)}: {titles[a]}"
            if a
            else "(choose an agreement)"
        ),
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
