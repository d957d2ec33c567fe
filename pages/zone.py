"""One zone: its outlines over time, agreements, a timeline chart and compliance metrics."""

import streamlit as st

from geo import schema
from geo.export import for_display
from geo.render import md_escape, outline_history_map
from geo.timemodel import linked_incidents
from geo.view import nearest_instant, page_zone, select, with_changes
from ui import controls, data, state
from ui.leafmap import leaflet_map
from ui.snapshot import snapshot_control

timeline = data.timeline()
controls.apply_pending()
view = state.view(timeline)
controls.sidebar(timeline, view)
zones = timeline.zones
zone_id = page_zone(timeline, view)
scene = select(timeline, with_changes(view, zones=(zone_id,)))
shown, mask = scene.timeline, scene.mask
versions = zones.versions[zones.versions["zone_id"] == zone_id]
first = versions.iloc[0]
name = md_escape(first["name"])

head, snap = st.columns([5, 1], vertical_alignment="center")
head.title(name)
with snap:
    snapshot_control(timeline, with_changes(view, zone=zone_id), page="zone")
st.text(first["name_ar"])
controls.filters_line(timeline, view)
now = scene.status
if now.empty:
    nearest = nearest_instant(timeline, zone_id, view.at)
    st.info(f"{name} did not exist on {schema.format_local(view.at)}.")
    if nearest is not None:
        st.button(
            f"Go to {schema.format_local(nearest)}, when it existed",
            key="w.nearest",
            on_click=controls.set_instant,
            args=(nearest,),
            icon=":material/update:",
        )
else:
    row = now.iloc[0]
    st.markdown(
        f"**{schema.format_local(view.at)}**: status **{md_escape(row['status'])}**, "
        f"{row['violations']} incidents in the {view.window:g}-day window."
    )
if not view.zone:
    st.caption("Choose a zone with 'Focus zone' in the sidebar.")

st.subheader("Outline history")
leaflet_map(outline_history_map(versions), key=f"dz-history-{zone_id}", height=380, report=False)
st.dataframe(
    versions.assign(
        valid_from=versions["valid_from"].map(lambda t: schema.format_local(t, with_time=False)),
        valid_to=versions["valid_to"].map(
            lambda t: (
                "still valid" if t is None or t != t else schema.format_local(t, with_time=False)
            )
        ),
    )[["version_id", "valid_from", "valid_to", "accuracy", "notes", "boundary_source"]],
    hide_index=True,
    width="stretch",
    column_config={
        "version_id": "Version",
        "valid_from": "From (first day)",
        "valid_to": "Until (first day no longer valid)",
        "accuracy": "Accuracy",
        "notes": "Notes",
        "boundary_source": "How it was drawn",
    },
)

agreements = shown.agreements.frame
mine = agreements[agreements["zone_ids"].map(lambda z: zone_id in z)]
st.subheader(f"Agreements ({len(mine)})")
st.caption("Dates and times are Damascus local time, to the precision they are known.")
st.dataframe(
    for_display(
        mine[
            [
                "agreement_id",
                "title",
                "kind",
                "effective_from",
                "effective_to",
                "outcome",
                "source",
                "dataset",
            ]
        ]
    ),
    hide_index=True,
    width="stretch",
    column_config={
        "agreement_id": "Id",
        "title": "Agreement",
        "kind": "Kind",
        "effective_from": "In force from",
        "effective_to": "Until",
        "outcome": "Outcome",
        "source": "Sources",
        "dataset": "Data set",
    },
)
for _, v in linked_incidents(shown, zone_id, incident_mask=mask).iterrows():
    st.markdown(
        f"Linked incident outside the zone: {schema.format_local(v['occurred'], False)}, "
        f"{md_escape(v['kind'])} at {md_escape(v['place'])} ({md_escape(v['violation_id'])}), "
        f"breach of {md_escape(v['agreement_ids'].replace(';', ', '))}"
    )

st.subheader("Timeline")
st.vega_lite_chart(data.zone_chart_spec(timeline, zone_id, view), width="content")

st.subheader("Compliance")
if mine.empty:
    st.info("No agreement names this zone.")
else:
    st.caption(
        f"Figures for {name} count only the incidents in this zone (and those outside it that "
        "name the agreement), over the zone's lifetime; the columns marked 'whole agreement' "
        "count every zone the agreement covers. Hours are from entry into force; a range "
        "means the first incident is dated to the day."
    )
    st.dataframe(
        data.zone_compliance_table(timeline, zone_id, view),
        hide_index=True,
        width="stretch",
    )
state.end_run()  # last: the browser's copy of the widgets is known once it holds this
