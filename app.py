"""dezmap: the app's entry point. Pages are listed here; each one composes geo and ui."""

import streamlit as st

from ui.serve import edit_access

st.set_page_config(page_title="dezmap", page_icon="🗺️", layout="wide")
pages = [
    st.Page("pages/map.py", title="Map", default=True),
    st.Page("pages/zone.py", title="Zone"),
    st.Page("pages/records.py", title="Records"),
    st.Page("pages/health.py", title="Data health"),
]
# the editor exists only on a server started with `dezmap serve --edit`
if edit_access().enabled:
    pages.append(st.Page("pages/edit.py", title="Edit zones", url_path="edit"))
navigation = st.navigation(pages)
navigation.run()
