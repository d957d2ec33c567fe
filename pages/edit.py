"""Edit zones: outlines (vertices, parts, holes), new versions and zones, checked, then saved.

Listed only when the server runs with ``dezmap serve --edit``; the save checks that again.
"""

import geopandas as gpd
import streamlit as st

from geo.edit import list_backups
from geo.errors import DataError, DezmapError
from geo.render import md_escape
from geo.schema import ACCURACY
from ui import data, edit
from ui.editor import parse_step, zone_editor

MAP_KEY = "ed.map"

st.title("Edit zones")
rights = edit.access()
if not rights.enabled:
    st.error("Editing is off on this server. Start it with `dezmap serve --edit` to edit zones.")
    st.stop()
try:
    loaded = edit.load()
except DataError as exc:
    data.show_data_error(exc)
    st.stop()
except DezmapError as exc:
    st.error(md_escape(exc))
    st.stop()
frame = loaded.frame


def _incidents():
    timeline = data.timeline_or_none()
    return timeline if timeline is not None else gpd.GeoDataFrame()


# --- what to edit ----------------------------------------------------------------------------
pick_zone, pick_version = st.columns(2)
zone_id = pick_zone.selectbox(
    "Zone",
    edit.zone_choices(frame),
    format_func=lambda z: edit.zone_label(frame, z),
    key="ed.w.zone",
)
version_id = None
if zone_id != edit.NEW_ZONE:
    versions = edit.version_choices(frame, zone_id)
    if st.session_state.get("ed.w.version") not in versions:
        st.session_state["ed.w.version"] = versions[-1]
    version_id = pick_version.selectbox(
        "Boundary version",
        versions,
        format_func=lambda v: edit.version_label(frame, v),
        key="ed.w.version",
    )
edit.ensure(loaded, zone_id, version_id)
edit.init_fields(loaded)
edit.apply_step(parse_step(st.session_state.get(MAP_KEY)))
# Messages and fields come and go above the map: each area is one container, so that the map
# keeps its place in the page and Streamlit never remounts it (which would reset its view).
notices, fields_area = st.container(), st.container()

# --- what happened last ----------------------------------------------------------------------
with notices:
    done = edit.outcome()
    if done is not None:
        if done.kind == "saved":
            st.success(md_escape(done.message))
        elif done.kind == "conflict":
            pass  # shown below with the reload button, for as long as it applies
        else:
            st.error(md_escape(done.message))
            if done.problems:
                st.code("\n".join(str(p) for p in done.problems[:50]), language=None)
    if edit.conflict():
        st.error(md_escape(edit.conflict()) + " Your edit is still on the map.")
    elif loaded.sha256 != edit.loaded_hash():
        st.warning(
            "The zones file changed on disk since you loaded it (another editor or tab saved it): "
            "saving would be refused. Reload it to apply your edit to the current file."
        )
    if edit.conflict() or loaded.sha256 != edit.loaded_hash():
        st.button(
            "Reload the file and keep my edit", on_click=edit.reload_clicked, key="ed.w.reload"
        )

# --- the fields ------------------------------------------------------------------------------
mode = edit.mode()
with fields_area:
    if mode == "edit":
        st.button(
            "New version from this one",
            on_click=edit.set_mode,
            args=("new-version",),
            help="Start a new boundary version from this outline, with its own dates; the "
            "current version then ends on the new one's first day.",
            key="ed.w.to_new_version",
        )
    elif mode == "new-version":
        st.info(
            f"New version of {md_escape(edit.zone_label(frame, zone_id))}, starting from the "
            f"outline of {md_escape(edit.version_label(frame, version_id))}."
        )
        st.button(
            "Back to editing this version",
            on_click=edit.set_mode,
            args=("edit",),
            key="ed.w.to_edit",
        )

    with st.expander("Zone attributes", expanded=mode == "new-zone"):
        a, b, c = st.columns(3)
        if mode == "new-zone":
            st.text_input("Zone id (lower-case slug)", key="ed.w.zone_id", placeholder="new-zone")
        a.text_input("Name", key="ed.w.name")
        b.text_input("Arabic name", key="ed.w.name_ar")
        c.text_input("Group (slug)", key="ed.w.group")
    if mode in ("new-version", "new-zone"):
        with st.expander("The new version", expanded=True):
            a, b, c = st.columns(3)
            a.date_input("Valid from", key="ed.w.valid_from", format="YYYY-MM-DD")
            open_ended = b.checkbox("Still valid (no end)", key="ed.w.open")
            b.date_input(
                "Valid to (first day it no longer applies)",
                key="ed.w.valid_to",
                format="YYYY-MM-DD",
                disabled=open_ended,
            )
            c.selectbox("Accuracy", ACCURACY, key="ed.w.accuracy")
            st.text_area("Boundary source", key="ed.w.source", height=80)
            st.text_area("Notes", key="ed.w.notes", height=68)

# --- the map and the live check --------------------------------------------------------------
# the map first, with the added and removed areas: the rest of the check follows beside it
added, removed = edit.outline_changes(edit.base(), edit.geometry())
bounds = edit.outline_bounds(edit.geometry(), edit.base()) or tuple(frame.total_bounds)
left, right = st.columns([3, 2])
with left:
    zone_editor(
        edit.geometry(),
        revision=edit.revision(),
        key=MAP_KEY,
        context=edit.context_layers(loaded, zone_id, version_id),
        countries=edit.countries_near(bounds),
        added=added,
        removed=removed,
        applied=edit.last_step(),
        fit=bounds,
    )
    st.caption(
        "Drag a vertex to move it; drag a middle handle to add one; right-click a vertex to "
        "delete it. Toolbar: draw a new part, cut a hole, delete a part. Green: area added, "
        "red: area removed; dashed: the zone's other versions; grey: other zones."
    )
    u, d = st.columns(2)
    u.button("Undo last step", on_click=edit.undo, disabled=not edit.can_undo(), key="ed.w.undo")
    d.button("Discard the edit", on_click=edit.discard, disabled=not edit.dirty(), key="ed.w.drop")
    if edit.dirty():
        st.caption("Unsaved edit: choosing another zone or version drops it.")

result = edit.preview(loaded, edit.fields(), edit.geometry(), _incidents())
with right:
    st.subheader("Check")
    if result.errors:
        st.error(f"{len(result.errors)} problem(s) stop the save:")
        for problem in result.errors:
            st.markdown(f"- {md_escape(problem.where)}: {md_escape(problem.message)}")
    else:
        st.success("The edit passes every check.")
    for problem in result.warnings:
        st.warning(f"{md_escape(problem.where)}: {md_escape(problem.message)}")
    summary = result.summary
    if summary is not None and not summary.empty:
        for change in summary.versions:
            before, after = change.area_before_km2, change.area_after_km2
            area = (
                f"{before:,.2f} km² → {after:,.2f} km² ({after - before:+,.2f} km²)"
                if before is not None and after is not None
                else f"{after or before or 0:,.2f} km² ({change.kind})"
            )
            st.markdown(
                f"**{md_escape(change.version_id)}** ({change.kind})  \n"
                f"Area: {area}  \n"
                f"Added {change.added_km2:,.2f} km², removed {change.removed_km2:,.2f} km²"
            )
        if not summary.towns.empty:
            st.markdown("**Reported places moving in or out**")
            st.dataframe(summary.towns, hide_index=True, width="stretch")
        if not summary.incidents.empty:
            st.markdown("**Incidents whose zone changes**")
            st.dataframe(summary.incidents, hide_index=True, width="stretch")
        else:
            st.caption("No incident changes zone.")
    elif summary is not None:
        st.caption("No change yet.")
    pieces = edit.parts(edit.geometry())
    if len(pieces) > 1:
        with st.expander(f"Parts ({len(pieces)})"):
            choice = st.selectbox(
                "Part", range(len(pieces)), format_func=lambda i: f"part {i + 1}", key="ed.w.part"
            )
            if st.button("Delete this part", key="ed.w.delete_part"):
                edit.set_geometry(edit.without_part(edit.geometry(), choice))
                st.rerun()

# --- saving ----------------------------------------------------------------------------------
st.subheader("Save")
who, secret = st.columns(2)
who.text_input("Your name (for the edit log, optional)", key="ed.w.editor", max_chars=100)
if rights.token_required:
    secret.text_input(
        "Edit token",
        type="password",
        key="ed.w.token",
        help="This server listens beyond this machine: saving needs the token set by its "
        "curator in DEZMAP_EDIT_TOKEN.",
    )
st.button(
    "Save",
    type="primary",
    on_click=edit.save_clicked,
    args=(_incidents,),
    key="ed.w.save",
)

with st.expander("Restore a previous save"):
    backups = list_backups(loaded.path.parent)
    if not backups:
        st.caption("No backups yet: each save keeps the file it replaces.")
    else:
        taken = {b.name: b for b in backups}
        st.selectbox(
            "Backup (newest first: the file as it was before the last save)",
            list(taken),
            format_func=lambda n: (
                f"{taken[n].taken:%Y-%m-%d %H:%M:%S} UTC, {taken[n].size:,} bytes ({n})"
            ),
            key="ed.w.backup",
        )
        st.button("Restore this backup", on_click=edit.restore_clicked, key="ed.w.restore")
