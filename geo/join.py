"""Spatial-temporal join: each incident to the zone versions that contained it at its own time.

An incident is a point with a time interval ``[occurred, occurred_end)`` (an exact time is a
short interval; a date of month precision is a whole month; a UCDP event is its
``date_start``..``date_end``). It is matched to every zone version whose validity overlaps that
interval and whose polygon covers the point: the boundary **at the incident's own time**, not
today's. Zones may nest, so one incident may match several zones (Daraa al-Balad and the
southern zone and the national extent), but at most one version of each zone: when an
interval spans a boundary change, the earliest version that covers the point is kept and the
match is flagged ``spans_versions``.

A violation may also name the agreements it breaches (``agreement_ids``); :func:`add_links`
then matches it to the zones those agreements cover even where its position lies outside
them (a delegation stopped at a checkpoint on the road into a zone). Such matches are
flagged ``linked``; an incident is still matched at most once per zone.

The work is vectorised: incidents are ordered by start once; each zone's bounding box picks
the candidate points; each version keeps the candidates whose interval overlaps its validity
and tests them with :func:`shapely.intersects_xy` against the prepared polygon.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

NS_MAX = np.iinfo(np.int64).max


def to_ns(values: pd.Series | pd.Index, *, missing: int = NS_MAX) -> np.ndarray:
    """UTC instants as int64 nanoseconds; missing values (NaT) become ``missing``."""
    series = pd.Series(values)
    if series.empty:
        return np.empty(0, dtype=np.int64)
    if getattr(series.dtype, "tz", None) is None:
        raise ValueError("instants must be timezone-aware (datetime64[ns, UTC])")
    ns = series.dt.tz_convert("UTC").to_numpy(dtype="datetime64[ns]").view(np.int64).copy()
    ns[series.isna().to_numpy()] = missing
    return ns


@dataclass(frozen=True)
class ZoneIndex:
    """Zone versions prepared for point-at-time queries.

    Attributes
    ----------
    versions
        The zones frame, one row per version, ordered by zone then ``valid_from``.
    zone_ids
        The zones, in code order; ``zone_ids[code]``.
    zone, start, end, bounds
        Per version: zone code, validity as int64 ns (``end`` is ``NS_MAX`` when open) and
        bounding box ``(minx, miny, maxx, maxy)``.
    """

    versions: gpd.GeoDataFrame
    zone_ids: tuple[str, ...]
    zone: np.ndarray
    start: np.ndarray
    end: np.ndarray
    bounds: np.ndarray

    @classmethod
    def from_zones(cls, zones: gpd.GeoDataFrame) -> ZoneIndex:
        """Index a zones frame as returned by :func:`geo.io.zones_frame`."""
        versions = zones.sort_values(["zone_id", "valid_from"], kind="stable")
        versions = versions.reset_index(drop=True)
        zone_ids = tuple(dict.fromkeys(versions["zone_id"]))
        codes = {z: i for i, z in enumerate(zone_ids)}
        geoms = versions.geometry.to_numpy()
        shapely.prepare(geoms)
        return cls(
            versions=versions,
            zone_ids=zone_ids,
            zone=np.array([codes[z] for z in versions["zone_id"]], dtype=np.int32),
            start=to_ns(versions["valid_from"], missing=np.iinfo(np.int64).min),
            end=to_ns(versions["valid_to"]),
            bounds=shapely.bounds(geoms),
        )

    def code(self, zone_id: str) -> int:
        """The code of a zone id; KeyError names the known zones."""
        try:
            return self.zone_ids.index(zone_id)
        except ValueError:
            raise KeyError(f"unknown zone {zone_id!r}; zones: {', '.join(self.zone_ids)}") from None

    def valid_at(self, t: int) -> np.ndarray:
        """Positions of the versions valid at instant ``t`` (int64 ns), one per zone at most."""
        return np.flatnonzero((self.start <= t) & (self.end > t))


@dataclass(frozen=True)
class Matches:
    """The result of the join: one row per (incident, zone), grouped by zone, sorted by start.

    ``incident`` is the incident's row position in the joined frame; ``zone_offsets[c]`` to
    ``zone_offsets[c + 1]`` is the slice of zone code ``c``; ``max_duration[c]`` is the longest
    incident interval in that slice (for window searches). ``linked`` marks the matches that
    come from the agreements an incident names rather than from its position
    (:func:`add_links`).
    """

    incident: np.ndarray
    version: np.ndarray
    zone: np.ndarray
    start: np.ndarray
    end: np.ndarray
    spans_versions: np.ndarray
    zone_offsets: np.ndarray
    max_duration: np.ndarray
    linked: np.ndarray

    def __len__(self) -> int:
        return len(self.incident)

    def of_zone(self, code: int) -> slice:
        """The slice of matches of one zone code."""
        return slice(int(self.zone_offsets[code]), int(self.zone_offsets[code + 1]))

    def in_window(self, code: int, lo: int, hi: int) -> np.ndarray:
        """Positions (into the match arrays) of zone ``code`` matches overlapping ``[lo, hi)``.

        An interval ``[start, end)`` overlaps when ``start < hi`` and ``end > lo``.
        """
        part = self.of_zone(code)
        starts = self.start[part]
        first = np.searchsorted(starts, lo - int(self.max_duration[code]), side="left")
        last = np.searchsorted(starts, hi, side="left")
        candidates = np.arange(part.start + first, part.start + last)
        return candidates[self.end[candidates] > lo]


def join_incidents(incidents: pd.DataFrame, index: ZoneIndex) -> Matches:
    """Match incidents to the zone versions that contained them at their own time.

    Parameters
    ----------
    incidents
        A frame with ``lon``, ``lat``, ``occurred`` and ``occurred_end`` (UTC instants), such
        as the violations frame or an imported incident set.
    index
        The zone versions (:meth:`ZoneIndex.from_zones`).

    Returns
    -------
    Matches
        One row per (incident, zone). Incidents outside every zone have no row; see
        :func:`outside_every_zone`.
    """
    missing = {"lon", "lat", "occurred", "occurred_end"} - set(incidents.columns)
    if missing:
        raise ValueError(f"incidents need the columns {sorted(missing)}")
    start = to_ns(incidents["occurred"])
    end = to_ns(incidents["occurred_end"])
    order = np.argsort(start, kind="stable")
    start, end = start[order], end[order]
    x = incidents["lon"].to_numpy(dtype=np.float64)[order]
    y = incidents["lat"].to_numpy(dtype=np.float64)[order]
    geoms = index.versions.geometry.to_numpy()

    n_zones = len(index.zone_ids)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    offsets = np.zeros(n_zones + 1, dtype=np.int64)
    for code in range(n_zones):
        rows = np.flatnonzero(index.zone == code)
        minx, miny = index.bounds[rows, 0].min(), index.bounds[rows, 1].min()
        maxx, maxy = index.bounds[rows, 2].max(), index.bounds[rows, 3].max()
        near = np.flatnonzero((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
        found_idx, found_ver, found_span = [], [], []
        taken = np.zeros(0, dtype=np.int64)
        for v in rows:  # versions of this zone, in time order
            cand = near[(start[near] < index.end[v]) & (end[near] > index.start[v])]
            if cand.size == 0:
                continue
            x0, y0, x1, y1 = index.bounds[v]
            xs, ys = x[cand], y[cand]
            cand = cand[(xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)]
            cand = cand[shapely.intersects_xy(geoms[v], x[cand], y[cand])]
            span = (start[cand] < index.start[v]) | (end[cand] > index.end[v])
            if taken.size and span.any():
                # an interval across a boundary change may already match an earlier version
                again = np.isin(cand, taken) & span
                cand, span = cand[~again], span[~again]
            if span.any():
                taken = np.union1d(taken, cand[span])
            found_idx.append(cand)
            found_ver.append(np.full(cand.size, v, dtype=np.int32))
            found_span.append(span)
        if found_idx:
            idx = np.concatenate(found_idx)
            ver = np.concatenate(found_ver)
            spn = np.concatenate(found_span)
            if idx.size > 1 and np.any(np.diff(start[idx]) < 0):
                resort = np.argsort(start[idx], kind="stable")
                idx, ver, spn = idx[resort], ver[resort], spn[resort]
            parts.append((idx, ver, spn))
        else:
            parts.append((np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0, bool)))
        offsets[code + 1] = offsets[code] + parts[-1][0].size

    idx = np.concatenate([p[0] for p in parts]).astype(np.int64)
    ver = np.concatenate([p[1] for p in parts])
    spn = np.concatenate([p[2] for p in parts])
    zone = index.zone[ver] if ver.size else np.empty(0, np.int32)
    m_start, m_end = start[idx], end[idx]
    duration = m_end - m_start
    max_duration = np.array(
        [duration[offsets[c] : offsets[c + 1]].max(initial=0) for c in range(n_zones)],
        dtype=np.int64,
    )
    return Matches(
        incident=order[idx],
        version=ver,
        zone=zone,
        start=m_start,
        end=m_end,
        spans_versions=spn,
        zone_offsets=offsets,
        max_duration=max_duration,
        linked=np.zeros(idx.size, dtype=bool),
    )


def add_links(
    matches: Matches,
    index: ZoneIndex,
    incidents: pd.DataFrame,
    incident: np.ndarray,
    zone: np.ndarray,
) -> Matches:
    """Add matches of incidents to zones they are linked to whatever their position.

    Parameters
    ----------
    matches
        The spatial matches (:func:`join_incidents`) of ``incidents``.
    index
        The zone versions.
    incidents
        The incidents that were joined (``occurred`` and ``occurred_end`` are read).
    incident, zone
        Pairs of an incident row position and a zone code to link it to (the zones the
        agreements it names cover).

    Returns
    -------
    Matches
        The matches with a row, flagged ``linked``, for each pair whose incident is not yet
        matched to that zone and whose interval overlaps a version of the zone (the earliest
        such version, flagged ``spans_versions`` when the interval crosses its validity).
        Pairs for a zone that did not exist at the incident's time are dropped.
    """
    incident = np.asarray(incident, dtype=np.int64)
    zone = np.asarray(zone, dtype=np.int64)
    if incident.size == 0:
        return matches
    start = to_ns(incidents["occurred"])
    end = to_ns(incidents["occurred_end"])
    taken = set(zip(matches.incident.tolist(), matches.zone.tolist(), strict=True))
    extra: dict[int, list[tuple[int, int, bool]]] = {}
    for i, code in sorted(set(zip(incident.tolist(), zone.tolist(), strict=True))):
        if (i, code) in taken:
            continue
        rows = np.flatnonzero(index.zone == code)
        over = rows[(index.start[rows] < end[i]) & (index.end[rows] > start[i])]
        if over.size == 0:
            continue
        v = int(over[0])
        span = bool(start[i] < index.start[v] or end[i] > index.end[v])
        extra.setdefault(code, []).append((i, v, span))
    if not extra:
        return matches
    n_zones = len(index.zone_ids)
    fields = ("incident", "version", "zone", "start", "end", "spans_versions", "linked")
    out: dict[str, list[np.ndarray]] = {f: [] for f in fields}
    offsets = np.zeros(n_zones + 1, dtype=np.int64)
    for code in range(n_zones):
        part = matches.of_zone(code)
        cols = {f: getattr(matches, f)[part] for f in fields}
        added = extra.get(code, [])
        if added:
            rows_i = np.array([a[0] for a in added], dtype=np.int64)
            new = {
                "incident": rows_i,
                "version": np.array([a[1] for a in added], dtype=matches.version.dtype),
                "zone": np.full(len(added), code, dtype=matches.zone.dtype),
                "start": start[rows_i],
                "end": end[rows_i],
                "spans_versions": np.array([a[2] for a in added], dtype=bool),
                "linked": np.ones(len(added), dtype=bool),
            }
            cols = {f: np.concatenate([cols[f], new[f]]) for f in fields}
            order = np.argsort(cols["start"], kind="stable")
            cols = {f: c[order] for f, c in cols.items()}
        for f in fields:
            out[f].append(cols[f])
        offsets[code + 1] = offsets[code] + cols["incident"].size
    joined = {f: np.concatenate(out[f]) for f in fields}
    duration = joined["end"] - joined["start"]
    max_duration = np.array(
        [duration[offsets[c] : offsets[c + 1]].max(initial=0) for c in range(n_zones)],
        dtype=np.int64,
    )
    return Matches(
        incident=joined["incident"],
        version=joined["version"],
        zone=joined["zone"],
        start=joined["start"],
        end=joined["end"],
        spans_versions=joined["spans_versions"],
        zone_offsets=offsets,
        max_duration=max_duration,
        linked=joined["linked"],
    )


def outside_every_zone(matches: Matches, n_incidents: int) -> np.ndarray:
    """Boolean mask of the incidents that fell in no zone version at their time.

    Only the position counts: an incident linked to a zone it lies outside is outside.
    """
    inside = np.zeros(n_incidents, dtype=bool)
    inside[matches.incident[~matches.linked]] = True
    return ~inside


def zones_of_incidents(
    matches: Matches, index: ZoneIndex, n_incidents: int, *, linked: bool = False
) -> list[tuple[str, ...]]:
    """The zone ids each incident fell in, as a list aligned with the incidents' rows.

    With ``linked``, instead the zones it was only linked to (through the agreements it names)
    while lying outside them.
    """
    out: list[list[str]] = [[] for _ in range(n_incidents)]
    keep = matches.linked if linked else ~matches.linked
    for i, code in zip(matches.incident[keep].tolist(), matches.zone[keep].tolist(), strict=True):
        out[i].append(index.zone_ids[code])
    return [tuple(z) for z in out]
