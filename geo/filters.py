"""Choosing what a view shows: incident filters, text search and stepping from event to event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from geo import schema
from geo.join import NS_MAX, to_ns
from geo.timemodel import Timeline


def incident_mask(
    incidents: pd.DataFrame,
    *,
    kinds: Iterable[str] | None = None,
    perpetrators: Iterable[str] | None = None,
    datasets: Iterable[str] | None = None,
) -> np.ndarray | None:
    """Boolean mask of the incidents that pass the filters; None when nothing is filtered.

    Each filter is a collection of accepted values; None or empty means "any".
    """
    mask = np.ones(len(incidents), dtype=bool)
    filtered = False
    for column, accepted in (
        ("kind", kinds),
        ("alleged_perpetrator", perpetrators),
        ("dataset", datasets),
    ):
        values = list(accepted or [])
        if values:
            mask &= incidents[column].astype(str).isin(values).to_numpy()
            filtered = True
    return mask if filtered else None


def search(frame: pd.DataFrame, text: str, columns: Iterable[str]) -> pd.DataFrame:
    """Rows whose given columns contain every word of ``text`` (case-insensitive)."""
    words = [w for w in text.lower().split() if w]
    if not words:
        return frame
    haystack = frame[list(columns)].astype(str).agg(" ".join, axis=1).str.lower()
    keep = np.ones(len(frame), dtype=bool)
    for word in words:
        keep &= haystack.str.contains(word, regex=False).to_numpy()
    return frame[keep]


def event_instants(timeline: Timeline, incident_mask: np.ndarray | None = None) -> np.ndarray:
    """Sorted unique instants (int64 ns) at which something happens.

    A boundary version or an agreement begins or ends, or an incident begins.
    """
    zi, ai = timeline.zones, timeline.agreements
    starts = to_ns(timeline.incidents["occurred"])
    if incident_mask is not None:
        starts = starts[incident_mask]
    parts = [zi.start, zi.end, ai.start, ai.end, starts]
    every = np.unique(np.concatenate([p for p in parts if len(p)]))
    return every[(every != NS_MAX) & (every != np.iinfo(np.int64).min)]


def step_event(instants: np.ndarray, at: pd.Timestamp, direction: int) -> pd.Timestamp | None:
    """The next (``direction=1``) or previous (``-1``) event from ``at``; None past the end."""
    t = int(at.value)
    if direction > 0:
        i = np.searchsorted(instants, t, side="right")
        return pd.Timestamp(int(instants[i]), tz="UTC") if i < len(instants) else None
    i = np.searchsorted(instants, t, side="left") - 1
    return pd.Timestamp(int(instants[i]), tz="UTC") if i >= 0 else None


def busiest_instant(timeline: Timeline) -> pd.Timestamp:
    """The first moment at which the most zones existed at once, at noon Damascus time.

    A default view that shows as much as the data holds.
    """
    zi = timeline.zones
    candidates = np.unique(zi.start)
    counts = [len(zi.valid_at(int(t))) for t in candidates]
    best = int(candidates[int(np.argmax(counts))])
    day = pd.Timestamp(best, tz="UTC").tz_convert(schema.DAMASCUS).date()
    return local_instant(day, 12)


def local_instant(day: dt.date, hour: int = 12, minute: int = 0) -> pd.Timestamp:
    """A Damascus wall-clock time as a UTC instant."""
    return pd.Timestamp(
        dt.datetime.combine(day, dt.time(hour, minute), tzinfo=schema.DAMASCUS)
    ).tz_convert("UTC")
