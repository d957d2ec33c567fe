"""The map: zones coloured by status at the chosen instant, incidents in the window."""

import folium
import streamlit as st

from geo import schema
from geo.render import base_map, dynamic_layers, md_escape, zoom_for
from geo.timemodel import Timeline
from geo.view import Scene, View, active_filters, select
from ui import controls, data, state
from ui.leafmap import leaflet_map, run_again_once_drawn
from ui.snapshot import record_extent, screen_extent, snapshot_control

#: The map's widget key (its state: the extent it last reported).
MAP_KEY = "dz-map"


@st.fragment
def map_and_snapshot(timeline: Timeline, view: View, scene: Scene, first_paint: bool) -> None:
    """The map and its Snapshot button, a fragment of the page.

    When the reader pans or zooms, the map reports its extent (for the Snapshot) and only this
    part of the page runs again. On the session's ``first_paint`` the map holds its report:
    the page's second run (``run_again_once_drawn``) brings the controls, then the extent.
    """
    reference, unreadable = data.reference_layers()
    for problem in unreadable:
        st.warning(f"Reference layer skipped: {md_escape(problem)}")
    places, broken = data.places()
    if broken:
        st.warning(f"Towns layer left out: {md_escape(broken)}")
    _, snap = st.columns([5, 1], vertical_alignment="bottom")
    base = base_map(
        tuple(timeline.zones.versions.total_bounds),
        basemap=view.base,
        reference=reference,
        kinds=data.choices()[0],
        places=places,
        filtered=active_filters(view, timeline),
    )
    center, zoom = zoom_for(timeline, view.zone)
    shown = leaflet_map(
        base,
        key=MAP_KEY,
        layers=dynamic_layers(scene.timeline, scene.status, scene.incidents, focus=view.zone),
        layer_control=folium.LayerControl(collapsed=True),
        height=620,
        center=center,
        zoom=zoom,
        hold=first_paint,  # its extent is sent with the second run (run_again_once_drawn)
    )
    record_extent(screen_extent("map"), shown)
    if shown.get("bounds"):  # the map has drawn itself and reported its extent
        data.prefetch_chart_code()  # the Zone page's chart library, loaded meanwhile
    with snap:  # drawn after the map, in its place above it: it knows the extent on screen
        snapshot_control(timeline, view, page="map", extent=screen_extent("map"))


def zones_table(scene: Scene) -> None:
    """The zones at the instant: status, incidents in the window, agreements in force."""
    status = scene.status
    if status.empty:
        st.info("No zone existed at this instant.")
    else:
        titles = dict(zip(scene.agreements["agreement_id"], scene.agreements["title"], strict=True))
        st.dataframe(
            status.assign(
                agreements=status["agreements"].map(
                    lambda ids: "; ".join(titles.get(a, a) for a in ids)
                )
            )[["name", "status", "violations", "uncertain", "agreements", "version_id"]],
            hide_index=True,
            width="stretch",
            column_config={
                "name": "Zone",
                "status": "Status",
                "violations": st.column_config.NumberColumn("Incidents in window"),
                "uncertain": st.column_config.NumberColumn("of which uncertain"),
                "agreements": "Agreements in force",
                "version_id": "Outline version",
            },
        )


timeline = data.timeline()
controls.apply_pending()
view = state.view(timeline)
first_paint = controls.first_paint()  # the session's first run: the map before the controls
if not first_paint:
    controls.sidebar(timeline, view)
scene = select(timeline, view)

st.markdown(f"#### {schema.format_local(view.at)}")
controls.filters_line(timeline, view)
st.caption(
    f"Window: the {view.window:g} days before this instant: {len(scene.records):,} incidents "
    f"on the map, of {timeline.n_incidents:,} loaded."
)
if first_paint:
    controls.time_controls_pending()
else:
    controls.time_controls(timeline, view)
map_and_snapshot(timeline, view, scene, first_paint)
if first_paint:
    run_again_once_drawn()  # the controls and the table come with that run
data.prefetch_zone(timeline, view)  # the focused zone's page, computed once this run ends

if not first_paint:  # on a first paint the table comes with the controls
    zones_table(scene)
state.end_run()  # last: the browser's copy of the widgets is known once it holds this
controls.play(timeline, view)
