"""dezmap: the app's entry point. Pages are listed here; each one composes geo and ui."""

import streamlit as st

st.set_page_config(page_title="dezmap", page_icon="🗺️", layout="wide")
navigation = st.navigation(
    [
        st.Page("pages/map.py", title="Map", default=True),
        st.Page("pages/zone.py", title="Zone"),
        st.Page("pages/records.py", title="Records"),
        st.Page("pages/health.py", title="Data health"),
    ]
)
navigation.run()
