"""One zone: its outlines over time, agreements, a timeline chart and compliance metrics."""

import streamlit as st
from streamlit_folium import st_folium

from geo import schema
from geo.charts import zone_timeline_chart
from geo.metrics import agreement_metrics, zone_daily
from geo.render import md_escape, outline_history_map
from geo.timemodel import linked_incidents
from geo.view import page_zone, select, with_changes
from ui import controls, data, state
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

head, snap = st.columns([5, 1], vertical_alignment="center")
head.title(md_escape(first["name"]))
with snap:
    snapshot_control(timeline, with_changes(view, zone=zone_id), page="zone")
st.text(first["name_ar"])
now = scene.status
if now.empty:
    st.info(f"{md_escape(first['name'])} did not exist on {schema.format_local(view.at)}.")
else:
    row = now.iloc[0]
    st.markdown(
        f"**{schema.format_local(view.at)}**: status **{row['status']}**, "
        f"{row['violations']} incidents in the {view.window:g}-day window."
    )
if not view.zone:
    st.caption("Choose a zone with 'Focus zone' in the sidebar.")

st.subheader("Outline history")
st_folium(
    outline_history_map(versions),
    key=f"dz-history-{zone_id}",
    returned_objects=[],
    width="stretch",
    height=380,
)
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
)

agreements = shown.agreements.frame
mine = agreements[agreements["zone_ids"].map(lambda z: zone_id in z)]
st.subheader(f"Agreements ({len(mine)})")
st.dataframe(
    mine.assign(zone_ids=mine["zone_ids"].map(", ".join))[
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
    ],
    hide_index=True,
    width="stretch",
)
for _, v in linked_incidents(shown, zone_id, incident_mask=mask).iterrows():
    st.markdown(
        f"Linked incident outside the zone: {schema.format_local(v['occurred'], False)}, "
        f"{md_escape(v['kind'])} at {md_escape(v['place'])} ({md_escape(v['violation_id'])}), "
        f"breach of {md_escape(v['agreement_ids'].replace(';', ', '))}"
    )

st.subheader("Timeline")
daily = zone_daily(shown, zone_id, window_days=view.window, incident_mask=mask)
st.altair_chart(zone_timeline_chart(daily, mine), width="content")

st.subheader("Compliance")
if mine.empty:
    st.info("No agreement names this zone.")
else:
    metrics = agreement_metrics(shown, incident_mask=mask)
    metrics = metrics[metrics["agreement_id"].isin(mine["agreement_id"])]
    st.dataframe(
        metrics.assign(
            by_kind=metrics["by_kind"].map(lambda d: ", ".join(f"{k} {v}" for k, v in d.items())),
            by_perpetrator=metrics["by_perpetrator"].map(
                lambda d: ", ".join(f"{k} {v}" for k, v in d.items())
            ),
        )[
            [
                "agreement_id",
                "violations",
                "certain_violations",
                "first_violation",
                "hours_to_first_violation",
                "hours_to_first_violation_max",
                "per_30_days_before",
                "per_30_days_after",
                "longest_quiet_days",
                "by_kind",
                "by_perpetrator",
            ]
        ],
        hide_index=True,
        width="stretch",
    )
