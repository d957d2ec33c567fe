"""Cached loading: each data folder is loaded and joined once per change of its files."""

from __future__ import annotations

import os
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
    return load_timeline(folder)


def timeline() -> Timeline:
    """The data folder's timeline, or a page-stopping error that lists every problem."""
    folder = data_dir()
    try:
        return _timeline(str(folder), data_fingerprint(folder))
    except DataError as exc:
        show_data_error(exc)
        st.stop()
        raise  # pragma: no cover - st.stop() raises


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
    return _events(str(folder), data_fingerprint(folder))


@st.cache_resource(max_entries=4)
def _choices(folder: str, fingerprint: tuple) -> tuple[list[str], list[str]]:
    incidents = _timeline(folder, fingerprint).incidents
    kinds = sorted(incidents["kind"].astype(str).unique())
    perpetrators = list(incidents["alleged_perpetrator"].astype(str).value_counts().index)
    return kinds, perpetrators


def choices() -> tuple[list[str], list[str]]:
    """The incident kinds (sorted) and alleged perpetrators (most frequent first) in the data."""
    folder = data_dir()
    return _choices(str(folder), data_fingerprint(folder))


@st.cache_resource(show_spinner="Loading reference layers...", max_entries=4)
def _reference(folder: str, fingerprint: tuple) -> tuple[list[ReferenceLayer], list[str]]:
    return load_reference_layers(folder)


def reference_layers() -> tuple[list[ReferenceLayer], list[str]]:
    """The reference layers and the files that could not be read."""
    folder = reference_dir()
    if not folder.is_dir():
        return [], []
    return _reference(str(folder), _fingerprint(list(folder.glob("*.geojson"))))
