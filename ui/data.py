"""Cached loading: each data folder is loaded and joined once per change of its files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import streamlit as st

from geo.config import default_data_dir
from geo.datasets import imported_dir, load_timeline
from geo.errors import DataError
from geo.filters import event_instants
from geo.render import ReferenceLayer, md_escape
from geo.render.reference import load_reference_layers
from geo.timemodel import Timeline


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
