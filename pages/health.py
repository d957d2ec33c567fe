"""Data health: the validation report of the data folder, imported sets and reference layers."""

import pandas as pd
import streamlit as st

from geo.datasets import list_datasets
from geo.errors import DataError, Report
from geo.export.records import local_iso
from geo.render import md_escape
from geo.validate import validate_dataset
from ui import data, state

st.title("Data health")
loaded = data.timeline_or_none()
if loaded is not None:  # keep the shared view in the address; the report shows either way
    state.view(loaded)
folder = data.data_dir()
st.caption(f"Data folder: {md_escape(folder)}")


@st.cache_data(show_spinner="Validating...")
def report(folder_name: str, fingerprint: tuple) -> pd.DataFrame:
    checked = validate_dataset(folder_name)
    return pd.DataFrame(
        [(p.severity, p.path, p.where, p.message, p.code) for p in checked.report],
        columns=["severity", "file", "where", "message", "code"],
    )


problems = report(str(folder), data.data_fingerprint(folder))
errors = int((problems["severity"] == "error").sum())
warnings = int((problems["severity"] == "warning").sum())
a, b = st.columns(2)
a.metric("Errors", errors)
b.metric("Warnings", warnings)
if problems.empty:
    st.success("The data folder passes every check.")
else:
    (st.error if errors else st.warning)(
        "Fix the errors in the files (or run `dezmap validate`); warnings are worth a look."
    )
    st.dataframe(problems, hide_index=True, width="stretch")

st.subheader("Imported data sets")
listing = Report()
try:
    infos = list_datasets(folder, report=listing)
except DataError as exc:
    infos = []
    st.error(md_escape(exc.message))
if infos:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "name": i.name,
                    "kind": i.kind,
                    "format": i.format,
                    "rows": i.rows,
                    "skipped": i.skipped,
                    "source file": i.source_file,
                    "imported": local_iso(i.imported_at, "minute"),
                }
                for i in infos
            ]
        ),
        hide_index=True,
        width="stretch",
    )
else:
    st.caption("None. `dezmap import ucdp|acled|pax FILE` adds one.")
for problem in listing:
    st.warning(md_escape(problem))

st.subheader("Reference layers")
layers, unreadable = data.reference_layers()
st.caption(f"Folder: {md_escape(data.reference_dir())}")
if layers:
    st.dataframe(
        pd.DataFrame([{"layer": layer.name, "features": len(layer.frame)} for layer in layers]),
        hide_index=True,
    )
else:
    st.caption("None (set DEZMAP_REFERENCE to a folder of GeoJSON boundaries).")
for problem in unreadable:
    st.warning(md_escape(problem))
