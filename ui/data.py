"""Cached loading: each data folder is loaded and joined once per change of its files."""

from __future__ import annotations

import os
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

from geo import schema
from geo.config import default_data_dir
from geo.datasets import imported_dir, load_timeline
from geo.errors import DataError
from geo.filters import event_instants
from geo.metrics import zone_compliance, zone_daily
from geo.places import gazetteer, places_path
from geo.render import ReferenceLayer, md_escape
from geo.render.reference import load_reference_layers
from geo.timemodel import Timeline
from geo.view import View, select


def data_dir() -> Path:
    """The data folder of this server: ``$DEZMAP_DATA`` (set by ``dezmap serve``) or default."""
    return Path(os.environ.get("DEZMAP_DATA") or default_data_dir())


def reference_dir() -> Path:
    """Folder of reference layers: ``$DEZMAP_REFERENCE`` or ``<data>/reference``."""
    return Path(os.environ.get("DEZMAP_REFERENCE") or data_dir() / "reference")


def _fingerprint(paths: list[Path]) -> tuple:
    out = []
    for path in sorted(paths):
        try:
            stat = path.stat()
        except OSError:
            continue
        out.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


def data_fingerprint(folder: Path) -> tuple:
    """Names, modification times and sizes of every file the data folder's view depends on."""
    files = [folder / "zones.geojson", folder / "agreements.csv", folder / "violations.csv"]
    files += list(imported_dir(folder).glob("*.parquet"))
    return _fingerprint(files)


# st.cache_resource, not cache_data: the timeline of a million incidents must not be copied
# on every rerun. It is never modified after it is built.
@st.cache_resource(show_spinner="Loading and joining the data...", max_entries=4)
def _timeline(folder: str, fingerprint: tuple) -> Timeline:
    # one line in the server's log per load: a second one for the same files would be a bug
    print(f"dezmap: loading and joining {folder}", file=sys.stderr, flush=True)
    return load_timeline(folder)


@st.cache_resource
def _last_good() -> dict[str, tuple[tuple, Timeline]]:
    """The last fingerprint and timeline each data folder loaded (shared by every session)."""
    return {}


def _loaded_fingerprint(folder: Path) -> tuple:
    """The fingerprint of the data the pages show: the files', or the last good one's."""
    good = _last_good().get(str(folder))
    current = data_fingerprint(folder)
    if good is None or good[0] == current:
        return current
    return good[0] if _broken().get(str(folder)) == current else current


@st.cache_resource
def _broken() -> dict[str, tuple]:
    """The fingerprint of each folder's files when they last failed to load."""
    return {}


def timeline() -> Timeline:
    """The data folder's timeline.

    When the files break while the app runs (a stray comma saved from an editor), every viewer
    keeps the last data that loaded, under a banner that names the first error and points to
    the Data health page. Only when nothing ever loaded does the page stop with every problem.
    """
    folder = data_dir()
    try:
        loaded = _timeline(str(folder), data_fingerprint(folder))
    except DataError as exc:
        _broken()[str(folder)] = data_fingerprint(folder)
        good = _last_good().get(str(folder))
        if good is None:
            show_data_error(exc)
            st.stop()
            raise  # pragma: no cover - st.stop() raises
        show_stale_banner(exc)
        return good[1]
    _last_good()[str(folder)] = (data_fingerprint(folder), loaded)
    return loaded


def show_stale_banner(exc: DataError) -> None:
    """Say that the files have an error and the page shows the last data that loaded."""
    first = next((p for p in exc.problems if p.severity == "error"), None)
    where = f" First error: {md_escape(first)}." if first is not None else ""
    st.warning(
        "The data files changed and now have an error, so this page shows the last data that "
        f"loaded.{where} Fix the file (or run `dezmap validate`); the Data health page lists "
        "every problem.",
        icon=":material/warning:",
    )
    st.page_link("pages/health.py", label="Open Data health", icon=":material/health_and_safety:")


def timeline_or_none() -> Timeline | None:
    """The timeline, or None when the data cannot be loaded (for pages that report problems)."""
    folder = data_dir()
    try:
        return _timeline(str(folder), data_fingerprint(folder))
    except DataError:
        return None


def show_data_error(exc: DataError) -> None:
    """Say what is wrong with the data, problem by problem, as text."""
    st.error(f"The data cannot be loaded. {md_escape(exc.message)}")
    errors = [str(p) for p in exc.problems if p.severity == "error"]
    if errors:
        st.code("\n".join(errors[:200]), language=None)


@st.cache_resource(max_entries=4)
def _events(folder: str, fingerprint: tuple) -> np.ndarray:
    return event_instants(_timeline(folder, fingerprint))


def events() -> np.ndarray:
    """Instants at which something happens in the data (for previous/next buttons)."""
    folder = data_dir()
    return _events(str(folder), _loaded_fingerprint(folder))


@st.cache_resource(max_entries=4)
def _choices(folder: str, fingerprint: tuple) -> tuple[list[str], list[str]]:
    from geo.actors import present_families

    incidents = _timeline(folder, fingerprint).incidents
    kinds = sorted(incidents["kind"].astype(str).unique())
    families = present_families(incidents["alleged_perpetrator"].astype(str).unique())
    return kinds, families


def choices() -> tuple[list[str], list[str]]:
    """The incident kinds (sorted) and the perpetrators' actor families in the data."""
    folder = data_dir()
    return _choices(str(folder), _loaded_fingerprint(folder))


@st.cache_resource(show_spinner="Loading reference layers...", max_entries=4)
def _reference(folder: str, fingerprint: tuple) -> tuple[list[ReferenceLayer], list[str]]:
    return load_reference_layers(folder)


def reference_layers() -> tuple[list[ReferenceLayer], list[str]]:
    """The reference layers and the files that could not be read."""
    folder = reference_dir()
    if not folder.is_dir():
        return [], []
    return _reference(str(folder), _fingerprint(list(folder.glob("*.geojson"))))


@st.cache_resource(max_entries=4)
def _places(folder: str, fingerprint: tuple) -> tuple[pd.DataFrame | None, str | None]:
    return gazetteer(folder)


def places() -> tuple[pd.DataFrame | None, str | None]:
    """The data folder's gazetteer and what is wrong with it (:func:`geo.places.gazetteer`).

    Read once per version of the file, not on every run of a page (the Map page runs again at
    every step, pan and zoom). The frame is shared: callers read it, never change it.
    """
    folder = data_dir()
    return _places(str(folder), _fingerprint([places_path(folder)]))


# --- the Zone page's figures, cached per data version, zone and filters ----------------------
#
# They depend on the data, the zone, the incident filters (kinds, perpetrators, data sets) and,
# for the chart, the window; not on the instant (only the chart's rule marks it, swapped in on
# each run: :func:`zone_chart_spec`) nor on the zones shown. Keyed on the data folder's
# fingerprint like the loaders above, so a change of the files is a new key, never a stale
# table. The timeline itself is passed unhashed (``_timeline``): the fingerprint stands for it.


class _ZoneKey(NamedTuple):
    """What the Zone page's figures depend on besides the zone (hashable: a cache key)."""

    folder: str
    fingerprint: tuple
    kinds: tuple[str, ...]
    perpetrators: tuple[str, ...]
    datasets: tuple[str, ...]


def _zone_key(view: View) -> _ZoneKey:
    folder = data_dir()
    return _ZoneKey(
        str(folder), _loaded_fingerprint(folder), view.kinds, view.perpetrators, view.datasets
    )


def _filtered(timeline: Timeline, key: _ZoneKey) -> tuple[Timeline, np.ndarray | None]:
    """The timeline with the chosen data sets' agreements and the filters' incident mask."""
    scene = select(
        timeline,
        View(
            at=timeline.range[1],
            kinds=key.kinds,
            perpetrators=key.perpetrators,
            datasets=key.datasets,
        ),
    )
    return scene.timeline, scene.mask


@st.cache_data(max_entries=64, show_spinner=False)
def _compliance(_timeline: Timeline, key: _ZoneKey, zone_id: str) -> pd.DataFrame:
    shown, mask = _filtered(_timeline, key)
    return zone_compliance(shown, zone_id, incident_mask=mask)


def zone_compliance_table(timeline: Timeline, zone_id: str, view: View) -> pd.DataFrame:
    """:func:`geo.metrics.zone_compliance` of a zone under the view's filters (cached)."""
    return _compliance(timeline, _zone_key(view), zone_id)


#: The instant the cached chart is drawn at; each run moves its rule to the view's instant.
_CHART_PLACEHOLDER = pd.Timestamp("2000-01-01T00:00", tz="UTC")


def _instant_mark(at: pd.Timestamp) -> tuple[str, bytes]:
    """The name and Arrow bytes of the chart's instant dataset, as Streamlit makes them.

    The frame is :func:`geo.charts.zone_timeline_chart`'s mark of the instant; whether it
    still is is checked on every cached chart (:func:`_zone_chart`).
    """
    from streamlit import dataframe_util
    from streamlit.util import calc_hash

    local = pd.Timestamp(at).tz_convert(schema.DAMASCUS).tz_localize(None)
    mark = pd.DataFrame({"start": [local], "label": [schema.format_local(at)]})
    data = dataframe_util.convert_anything_to_arrow_bytes(mark)
    return calc_hash(data), data


def vega_lite_spec(chart: Any) -> dict:
    """An Altair chart as ``st.altair_chart`` sends it: a Vega-Lite spec, data as Arrow bytes.

    Streamlit's own conversion (theme and data transformer set under its lock), so that
    ``st.vega_lite_chart`` of the result draws exactly what ``st.altair_chart`` would.
    """
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    return _convert_altair_to_vega_lite_spec(chart)


@st.cache_data(max_entries=64, show_spinner=False)
def _zone_chart(
    _timeline: Timeline, key: _ZoneKey, zone_id: str, window: float, at: pd.Timestamp | None
) -> tuple[dict, str | None]:
    """The zone's chart spec at ``at`` (None: at the placeholder, its mark's name beside it)."""
    from geo.charts import zone_timeline_chart

    shown, mask = _filtered(_timeline, key)
    daily = zone_daily(shown, zone_id, window_days=window, incident_mask=mask)
    frame = shown.agreements.frame
    mine = frame[frame["zone_ids"].map(lambda z: zone_id in z)]
    spec = vega_lite_spec(zone_timeline_chart(daily, mine, at=at or _CHART_PLACEHOLDER))
    if at is not None:
        return spec, None
    name, data = _instant_mark(_CHART_PLACEHOLDER)
    if spec.get("datasets", {}).get(name) != data:
        return spec, None  # the chart's mark is no longer what _instant_mark makes
    return spec, name


def _renamed(node: Any, old: str, new: str) -> Any:
    """A copy of a spec in which references to dataset ``old`` name ``new``."""
    if isinstance(node, dict):
        if node.get("name") == old and set(node) == {"name"}:
            return {"name": new}
        return {k: _renamed(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_renamed(v, old, new) for v in node]
    return node


def zone_chart_spec(timeline: Timeline, zone_id: str, view: View) -> dict:
    """The Zone page's timeline chart (:func:`geo.charts.zone_timeline_chart`) as a spec.

    For ``st.vega_lite_chart``: the same spec and data ``st.altair_chart`` sends for the
    chart at the view's instant. The chart is built and converted once per data version,
    zone, window and filters; each run only puts the instant's rule and label in.
    """
    key = (_zone_key(view), zone_id, float(view.window))
    spec, placeholder = _zone_chart(timeline, *key, None)
    if placeholder is None:  # cannot swap the instant: one chart per instant
        return _zone_chart(timeline, *key, view.at)[0]
    name, data = _instant_mark(view.at)
    out = _renamed({k: v for k, v in spec.items() if k != "datasets"}, placeholder, name)
    out["datasets"] = {  # in the same order as Streamlit's conversion would give them
        (name if k == placeholder else k): (data if k == placeholder else v)
        for k, v in spec["datasets"].items()
    }
    return out


#: The (data, zone, filters, window) the Zone page's figures were prefetched for.
_PREFETCHED: dict[tuple, None] = {}
_PREFETCH_LIMIT = 256
_prefetch_lock = threading.Lock()


def prefetch_zone(timeline: Timeline, view: View) -> threading.Thread | None:
    """Fill the Zone page's caches for the focused zone in a background thread.

    Called by the Map page: a user who has just chosen a zone to focus on often opens its
    page next. The thread waits until no page run is in progress (the run that called it
    goes first), then computes the zone's compliance table and chart; a Zone page opened
    meanwhile waits for the same computation rather than doing it twice. Once per zone,
    filters, window and data version; None when there is nothing to do.
    """
    if not view.zone or view.zone not in timeline.zones.zone_ids:
        return None
    key = (_zone_key(view), view.zone, float(view.window))
    with _prefetch_lock:
        if key in _PREFETCHED:
            return None
        _PREFETCHED[key] = None
        while len(_PREFETCHED) > _PREFETCH_LIMIT:
            _PREFETCHED.pop(next(iter(_PREFETCHED)))
    thread = threading.Thread(
        target=_prefetch, args=(timeline, view), name="dezmap-prefetch-zone", daemon=True
    )
    thread.start()
    return thread


def _prefetch(timeline: Timeline, view: View) -> None:
    from ui.serve import after_page_runs, quiet_cache_warnings

    quiet_cache_warnings()
    after_page_runs()
    try:
        zone_compliance_table(timeline, view.zone, view)
        zone_chart_spec(timeline, view.zone, view)
    except Exception:  # noqa: BLE001 - the Zone page computes (and reports) it itself
        traceback.print_exc()


#: The key of the hidden container in which :func:`prefetch_chart_code` draws its chart.
CHART_CODE_KEY = "dz-chart-code"


def prefetch_chart_code() -> None:
    """Draw an empty chart, hidden, so that the browser loads the chart library now.

    Streamlit's frontend loads its Vega-Lite code (about 2 MB of script) the first time a
    page shows a chart; a switch from the Map to the Zone page spent about half a second of
    the browser's main thread on it, before the Zone page's chart and everything after it
    could be drawn. The Map page calls this once its map has drawn itself and reported its
    extent, so that the library loads while the reader looks at the map, never before the
    map. The chart has no data and takes no room.
    """
    with st.container(key=CHART_CODE_KEY):
        st.html(f"<style>.st-key-{CHART_CODE_KEY} {{ display: none; }}</style>")
        st.vega_lite_chart(
            {"mark": "point", "data": {"values": []}, "width": 1, "height": 1},
            width="content",
        )
