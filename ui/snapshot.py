"""The Snapshot control: download exactly the view on screen as PNG, PDF, SVG or HTML.

The file is rendered by :func:`geo.export.snapshot.render_snapshot` only when the user clicks
the download button (Streamlit's deferred download), never on a rerun.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from geo import schema
from geo.export.snapshot import FORMATS, Options, data_version, render_snapshot
from geo.timemodel import Timeline
from geo.view import View
from ui import data
from ui.state import bind

MIME = {
    "png": "image/png",
    "pdf": "application/pdf",
    "svg": "image/svg+xml",
    "html": "text/html",
}
SIZES = {"a4": "A4", "letter": "Letter", "slide": "Slide (1920×1080)"}
LANG_LABELS = {"en": "English", "ar": "العربية (Arabic)"}


@st.cache_resource(max_entries=4)
def _data_version(folder: str, fingerprint: tuple) -> str:
    return data_version(folder)


def app_address() -> str:
    """The app's own address without the query (for the permalink printed on snapshots)."""
    try:
        url = st.context.url or ""
    except Exception:  # noqa: BLE001 - outside a browser session (AppTest): no address
        url = ""
    return url.split("?", 1)[0]


def file_name(view: View, fmt: str) -> str:
    """``dezmap-<zone or syria>-<Damascus date and time>.<fmt>``."""
    local = view.at.tz_convert(schema.DAMASCUS)
    return f"dezmap-{view.zone or 'syria'}-{local:%Y-%m-%dT%H%M}.{fmt}"


#: The widest extent (degrees a side) taken from the screen; wider views use the default one.
MAX_SCREEN_SPAN = 25.0


def screen_extent(page: str) -> dict:
    """The holder of the extent shown on a page's map (filled by :func:`record_extent`).

    The Snapshot button is drawn before the map; it keeps this holder and reads the extent
    when it is clicked, so the snapshot has the extent the user sees at that moment.
    """
    return st.session_state.setdefault(f"dz.extent.{page}", {})


def record_extent(holder: dict, returned: dict | None) -> None:
    """Keep the map's bounds (as st_folium returns them) in the holder, if they are usable."""
    bounds = (returned or {}).get("bounds") or {}
    try:
        sw, ne = bounds["_southWest"], bounds["_northEast"]
        box = (
            max(float(sw["lng"]), -180.0),
            max(float(sw["lat"]), -90.0),
            min(float(ne["lng"]), 180.0),
            min(float(ne["lat"]), 90.0),
        )
    except (KeyError, TypeError, ValueError):
        return
    if (
        box[0] < box[2]
        and box[1] < box[3]
        and max(box[2] - box[0], box[3] - box[1]) <= MAX_SCREEN_SPAN
    ):
        holder["bbox"] = box
    else:
        holder.pop("bbox", None)


def snapshot_control(
    timeline: Timeline, view: View, *, page: str, extent: dict | None = None
) -> None:
    """A popover with the format, size and language and a button that downloads the view.

    ``extent`` is the holder of :func:`screen_extent`: when it holds the map's bounds at the
    time of the click (and the view has no extent of its own), the snapshot uses them.
    """
    with st.popover("Snapshot", icon=":material/photo_camera:"):
        st.caption(
            "Exactly this view (instant, window, filters, focus) for a briefing. "
            "Rendered when you click."
        )
        fmt = st.selectbox(
            "Format", list(FORMATS), key=bind(f"w.snap.{page}.fmt", "png"), format_func=str.upper
        )
        size = st.selectbox(
            "Size", list(SIZES), key=bind(f"w.snap.{page}.size", "a4"), format_func=SIZES.get
        )
        portrait = st.toggle("Portrait", key=bind(f"w.snap.{page}.portrait", False))
        lang = st.radio(
            "Language",
            list(LANG_LABELS),
            key=bind(f"w.snap.{page}.lang", "en"),
            format_func=LANG_LABELS.get,
            horizontal=True,
        )
        if extent and extent.get("bbox") and view.bbox is None:
            x0, y0, x1, y1 = extent["bbox"]
            st.caption(f"Extent as on screen: {x0:.3f} to {x1:.3f} E, {y0:.3f} to {y1:.3f} N.")
        folder = data.data_dir()
        options = Options(
            fmt=fmt,
            size=size,
            portrait=portrait,
            lang=lang,
            base_url=app_address(),
            data_version=_data_version(str(folder), data.data_fingerprint(folder)),
            reference=tuple(data.reference_layers()[0]),
        )

        def render() -> bytes:
            shown = view
            if extent and extent.get("bbox") and view.bbox is None:
                shown = replace(view, bbox=extent["bbox"])
            return render_snapshot(timeline, shown, options)

        st.download_button(
            f"Download {fmt.upper()}",
            data=render,
            file_name=file_name(view, fmt),
            mime=MIME[fmt],
            key=f"w.snap.{page}.download",
            on_click="ignore",
            type="primary",
            icon=":material/download:",
        )
