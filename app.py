"""dezmap: the map page (the app's entry point)."""

import streamlit as st

from geo.config import default_data_dir
from geo.errors import DataError
from geo.io import load_dataset

st.set_page_config(page_title="dezmap", layout="wide")
st.title("dezmap")

try:
    dataset = load_dataset(default_data_dir())
except DataError as exc:
    st.error(exc.message)
    st.code("\n".join(str(p) for p in exc.problems if p.severity == "error"), language=None)
    st.stop()

zones = dataset.zones
st.write(
    f"{zones['zone_id'].nunique()} zones ({len(zones)} boundary versions), "
    f"{len(dataset.agreements)} agreements, {len(dataset.violations)} violations"
)
