"""Searchable tables of agreements and incidents; download the current selection."""

import streamlit as st

from geo import schema
from geo.export import for_display, records_csv, records_geojson
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
    "filters apply to both tables; dates and times are Damascus local time, to the "
    "precision they are known."
)
controls.filters_line(timeline, view, search_text=True)
state.widget(
    st.text_input,
    "w.search",
    view.q,
    "Search",
    help="Every word must appear (title, terms, parties, place, zone names in English or "
    "Arabic, perpetrator, summary, source...). Case, accents and spellings such as "
    "Duma/Douma do not matter. The search is part of the address.",
)
scope = st.radio("Incidents", ["in the window", "all"], horizontal=True, key="w.scope")


def first_link(source: str) -> str | None:
    return next((url for _, url in citations(source) if url), None)


agreements = scene.agreement_records()
st.subheader(f"Agreements ({len(agreements)})")
st.dataframe(
    for_display(agreements.assign(link=agreements["source"].map(first_link))),
    hide_index=True,
    width="stretch",
    column_config={"link": st.column_config.LinkColumn("First source", display_text="open")},
)
# the files are made when a download is asked for, not on every run (every search keystroke),
# and a download does not run the page again
st.download_button(
    "Download agreements (CSV)",
    lambda: records_csv(agreements),
    file_name="dezmap-agreements.csv",
    mime="text/csv",
    key="w.dl-agreements",
    on_click="ignore",  # a download changes nothing on the page: no rerun
)

places, _ = data.places()  # a broken gazetteer only costs Arabic town names here
incidents = scene.incident_records("all" if scope == "all" else "window", places=places)
st.subheader(f"Incidents ({len(incidents)})")
table = for_display(incidents.assign(link=incidents["source"].map(first_link)))
first_columns = ["violation_id", "occurred", "date_precision", "place", "kind"]
first_columns += ["actor_families", "alleged_perpetrator"]
order = [c for c in first_columns if c in table.columns]
table = table[order + [c for c in table.columns if c not in order]]
st.dataframe(
    table.head(5000),
    hide_index=True,
    width="stretch",
    column_config={
        "link": st.column_config.LinkColumn("First source", display_text="open"),
        "actor_families": "Perpetrator (actor family)",
        "alleged_perpetrator": "Perpetrator as reported",
    },
)
if len(table) > 5000:
    st.caption(f"Showing the first 5,000 of {len(table):,}; the downloads hold all of them.")
left, right = st.columns(2)
left.download_button(
    "Download incidents (CSV)",
    lambda: records_csv(incidents),
    file_name="dezmap-incidents.csv",
    mime="text/csv",
    key="w.dl-csv",
    on_click="ignore",  # a download changes nothing on the page: no rerun
)
right.download_button(
    "Download incidents (GeoJSON)",
    lambda: records_geojson(incidents),
    file_name="dezmap-incidents.geojson",
    mime="application/geo+json",
    key="w.dl-geojson",
    on_click="ignore",  # a download changes nothing on the page: no rerun
)
state.end_run()  # last: the browser's copy of the widgets is known once it holds this
