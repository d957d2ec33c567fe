"""Searchable tables of agreements and incidents; download the current selection."""

import streamlit as st

from geo import schema
from geo.export import for_display, records_csv, records_geojson
from geo.filters import search
from geo.render import citations
from geo.view import select
from ui import controls, data, state

timeline = data.timeline()
controls.apply_pending()
view = state.view(timeline)
controls.sidebar(timeline, view)
scene = select(timeline, view)

st.title("Records")
st.caption(
    f"{schema.format_local(view.at)}; window: the {view.window:g} days before. The sidebar "
    "filters apply to both tables."
)
query = st.text_input(
    "Search",
    key="w.search",
    help="Every word must appear (title, terms, parties, place, summary, source...).",
)
scope = st.radio("Incidents", ["in the window", "all"], horizontal=True, key="w.scope")


def first_link(source: str) -> str | None:
    return next((url for _, url in citations(source) if url), None)


agreements = search(
    scene.agreement_records(),
    query,
    ["agreement_id", "title", "kind", "parties", "guarantors", "terms", "outcome", "source"],
)
st.subheader(f"Agreements ({len(agreements)})")
st.dataframe(
    agreements.assign(
        zone_ids=agreements["zone_ids"].map(", ".join), link=agreements["source"].map(first_link)
    ),
    hide_index=True,
    width="stretch",
    column_config={"link": st.column_config.LinkColumn("First source", display_text="open")},
)
st.download_button(
    "Download agreements (CSV)",
    records_csv(agreements),
    file_name="dezmap-agreements.csv",
    mime="text/csv",
    key="w.dl-agreements",
)

incidents = search(
    scene.incident_records("all" if scope == "all" else "window"),
    query,
    [
        "violation_id",
        "place",
        "kind",
        "alleged_perpetrator",
        "reported_by",
        "summary",
        "source",
        "dataset",
    ],
)
st.subheader(f"Incidents ({len(incidents)})")
table = for_display(incidents.assign(link=incidents["source"].map(first_link)))
st.dataframe(
    table.head(5000),
    hide_index=True,
    width="stretch",
    column_config={"link": st.column_config.LinkColumn("First source", display_text="open")},
)
if len(table) > 5000:
    st.caption(f"Showing the first 5,000 of {len(table):,}; the downloads hold all of them.")
left, right = st.columns(2)
left.download_button(
    "Download incidents (CSV)",
    records_csv(incidents),
    file_name="dezmap-incidents.csv",
    mime="text/csv",
    key="w.dl-csv",
)
right.download_button(
    "Download incidents (GeoJSON)",
    records_geojson(incidents),
    file_name="dezmap-incidents.geojson",
    mime="application/geo+json",
    key="w.dl-geojson",
)
