"""The time model: which zones exist at an instant, what is in force there, is it holding.

For an instant ``t`` (timezone-aware; zone days are Damascus days) and a window ``W`` (default
7 days), every zone that has a boundary version valid at ``t`` gets a status:

- ``none``: no agreement for the zone is in force at ``t``, and none ever ended before ``t``;
- ``holding``: an agreement is in force and no incident in the zone falls in the window;
- ``violated``: an agreement is in force and at least one incident falls in the window;
- ``possibly-violated``: an agreement is in force and incidents may fall in the window, but
  every one of them is uncertain (its interval only partly overlaps the window: a report
  dated to the day, on the day of the instant or of the window's start);
- ``lapsed``: no agreement is in force, but an earlier one expired or collapsed and nothing
  replaced it.

The window is the period before ``t`` in which incidents count: ``[t - W, t)``, but never
earlier than the start of the agreements in force, since nothing can violate an agreement
before it exists. Like every period in dezmap it is half-open, so the window of midnight on
23 July holds the seven days 16 to 22 July. An incident counts when its interval overlaps the
window; one whose interval only partly overlaps (an imprecise date) is counted and reported
as ``uncertain``.

Agreements apply to the zones they name. An incident is matched to every zone that contained
it at its own time (:mod:`geo.join`), so an incident in Eastern Ghouta also counts for the
national extent, but the nationwide ceasefire's status is the national zone's status.

A violation that names the agreements it breaches (``agreement_ids``) also counts, once, in
every zone those agreements cover, wherever its position lies: a delegation stopped on the
road into a zone makes that zone ``violated``. For agreements it counts against those it
names (not against other agreements of a zone it lies outside).

A :class:`Timeline` is built once for a data set (the join runs then); queries are cheap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema
from geo.errors import UsageError
from geo.join import (
    Matches,
    ZoneIndex,
    add_links,
    join_incidents,
    to_ns,
    zones_of_incidents,
)

STATUSES = ("none", "holding", "possibly-violated", "violated", "lapsed")
DEFAULT_WINDOW_DAYS = 7.0
_NS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class AgreementIndex:
    """Agreements prepared for in-force queries, per zone code."""

    frame: pd.DataFrame
    start: np.ndarray
    end: np.ndarray
    by_zone: tuple[np.ndarray, ...]

    @classmethod
    def build(cls, agreements: pd.DataFrame, zones: ZoneIndex) -> AgreementIndex:
        """Index agreements (as from :func:`geo.io.agreements_frame`) by the zones they name."""
        frame = agreements.sort_values(["effective_from", "agreement_id"], kind="stable")
        frame = frame.reset_index(drop=True)
        lists: list[list[int]] = [[] for _ in zones.zone_ids]
        codes = {z: i for i, z in enumerate(zones.zone_ids)}
        for pos, zone_ids in enumerate(frame["zone_ids"]):
            for zone_id in zone_ids:
                if zone_id in codes:
                    lists[codes[zone_id]].append(pos)
        return cls(
            frame=frame,
            start=to_ns(frame["effective_from"]),
            end=to_ns(frame["effective_to"]),
            by_zone=tuple(np.array(x, dtype=np.int64) for x in lists),
        )

    def in_force(self, code: int, t: int) -> np.ndarray:
        """Positions of the zone's agreements in force at ``t`` (int64 ns)."""
        agr = self.by_zone[code]
        return agr[(self.start[agr] <= t) & (self.end[agr] > t)]

    def ended_before(self, code: int, t: int) -> np.ndarray:
        """Positions of the zone's agreements that had ended by ``t``."""
        agr = self.by_zone[code]
        return agr[self.end[agr] <= t]


@dataclass(frozen=True)
class Timeline:
    """Zones, agreements and incidents joined once, ready for queries at any instant."""

    zones: ZoneIndex
    agreements: AgreementIndex
    incidents: gpd.GeoDataFrame
    matches: Matches
    range: tuple[pd.Timestamp, pd.Timestamp] = field(repr=False)

    @property
    def n_incidents(self) -> int:
        """How many incidents were joined."""
        return len(self.incidents)


def build_timeline(
    zones: gpd.GeoDataFrame, agreements: pd.DataFrame, incidents: gpd.GeoDataFrame
) -> Timeline:
    """Join incidents to zones and index agreements.

    Parameters
    ----------
    zones, agreements, incidents
        Frames as loaded by :mod:`geo.io` / :mod:`geo.datasets`; ``incidents`` may mix the
        bundled violations and imported sets (its ``dataset`` column says which).

    Returns
    -------
    Timeline
    """
    incidents = incidents.reset_index(drop=True)
    index = ZoneIndex.from_zones(zones)
    instants = [zones["valid_from"], agreements["effective_from"], incidents["occurred"]]
    ends = [zones["valid_to"], agreements["effective_to"], incidents["occurred_end"]]
    lo = min(s.min() for s in instants if len(s) and s.notna().any())
    hi = max(s.max() for s in [*instants, *ends] if len(s) and s.notna().any())
    matches = join_incidents(incidents, index)
    rows, codes = _links(incidents, agreements, index, matches)
    return Timeline(
        zones=index,
        agreements=AgreementIndex.build(agreements, index),
        incidents=incidents,
        matches=add_links(matches, index, incidents, rows, codes),
        range=(pd.Timestamp(lo), pd.Timestamp(hi)),
    )


def linked_agreements(incidents: pd.DataFrame) -> list[tuple[str, ...]]:
    """The agreement ids each incident names (its ``agreement_ids``), aligned with its rows.

    Incidents without the column (older frames, imported sets) name none.
    """
    if "agreement_ids" not in incidents.columns:
        return [()] * len(incidents)
    return [
        tuple(schema.split_list(v)) if isinstance(v, str) else tuple(v or ())
        for v in incidents["agreement_ids"].tolist()
    ]


def _links(
    incidents: pd.DataFrame, agreements: pd.DataFrame, index: ZoneIndex, matches: Matches
) -> tuple[np.ndarray, np.ndarray]:
    """(incident row, zone code) for the zones an incident is linked to through an agreement.

    An agreement an incident names links it to every zone the agreement covers, unless the
    incident already lies in one of them (``matches``, by position): then it counts there
    alone, so that a strike inside one zone does not mark every zone of a multi-zone
    memorandum as violated.
    """
    zones_of = {
        a: z for a, z in zip(agreements["agreement_id"], agreements["zone_ids"], strict=True)
    }
    codes = {z: i for i, z in enumerate(index.zone_ids)}
    inside: dict[int, set[int]] = {}
    for i, code in zip(matches.incident.tolist(), matches.zone.tolist(), strict=True):
        inside.setdefault(i, set()).add(code)
    rows, zones = [], []
    for i, ids in enumerate(linked_agreements(incidents)):
        for agreement_id in ids:
            covered = {codes[z] for z in zones_of.get(agreement_id, ()) if z in codes}
            if covered & inside.get(i, set()):
                continue
            for code in sorted(covered):
                rows.append(i)
                zones.append(code)
    return np.array(rows, dtype=np.int64), np.array(zones, dtype=np.int64)


def as_instant(value: str | dt.datetime | dt.date | pd.Timestamp) -> pd.Timestamp:
    """Read an instant: ISO 8601 text (a date means its Damascus midnight) or a datetime.

    Text without a UTC offset (``2017-07-22T12:00``) is Damascus time.

    Raises
    ------
    UsageError
        For text that is not a date or a date-time with an offset, or a naive datetime.
    """
    if isinstance(value, str):
        try:
            parsed = schema.parse_instant(value, local_if_naive=True)
        except schema.ParseError as exc:
            raise UsageError(str(exc)) from None
        return pd.Timestamp(parsed.utc)
    if isinstance(value, dt.datetime | pd.Timestamp):
        if value.tzinfo is None:
            raise UsageError(f"{value!r} has no time zone; give a UTC offset")
        return pd.Timestamp(value).tz_convert("UTC")
    if isinstance(value, dt.date):
        return pd.Timestamp(schema.local_midnight(value))
    raise UsageError(f"cannot read an instant from {value!r}")


def _window_ns(window_days: float) -> int:
    if not window_days > 0:
        raise UsageError(f"the window must be a positive number of days, not {window_days!r}")
    return int(round(window_days * _NS_PER_DAY))


@dataclass(frozen=True)
class ZoneState:
    """One zone's state at one instant (see :func:`zone_state`)."""

    version: int
    status: str
    agreements: np.ndarray
    hits: np.ndarray
    uncertain: int
    window_start: int
    last_ended: int | None


def zone_state(
    timeline: Timeline,
    version: int,
    t: int,
    span: int,
    incident_mask: np.ndarray | None = None,
    *,
    window_end: int | None = None,
) -> ZoneState:
    """The state of the zone of one version at instant ``t`` (ns) with a window of ``span`` ns.

    The window is ``[window_end - span, window_end)``, clipped to the agreements in force at
    ``t``; ``window_end`` defaults to ``t``. (A daily series asks for the state at the last
    instant of a day, with the window ending at the next midnight.) The building block of
    :func:`status_at` and the daily series; ``hits`` are positions in ``timeline.matches``.
    """
    zi, ai, m = timeline.zones, timeline.agreements, timeline.matches
    code = int(zi.zone[version])
    end = t if window_end is None else window_end
    in_force = ai.in_force(code, t)
    window_start = end - span
    if in_force.size:
        window_start = max(window_start, int(ai.start[in_force].min()))
    hits = m.in_window(code, window_start, end)
    if incident_mask is not None:
        hits = hits[incident_mask[m.incident[hits]]]
    uncertain = int(np.count_nonzero((m.start[hits] < window_start) | (m.end[hits] > end)))
    last_ended = None
    if in_force.size:
        if not hits.size:
            status = "holding"
        elif uncertain == hits.size:
            # every incident may lie outside the window (an evening report dated to the day,
            # seen at noon): saying "violated" would claim more than the data knows
            status = "possibly-violated"
        else:
            status = "violated"
    else:
        ended = ai.ended_before(code, t)
        status = "lapsed" if ended.size else "none"
        if ended.size:
            last_ended = int(ended[np.argmax(ai.end[ended])])
    return ZoneState(version, status, in_force, hits, uncertain, window_start, last_ended)


STATUS_COLUMNS = [
    "zone_id",
    "name",
    "name_ar",
    "version_id",
    "status",
    "agreements",
    "violations",
    "uncertain",
    "window_start",
    "last_ended",
]


def status_at(
    timeline: Timeline,
    at: str | dt.datetime | dt.date | pd.Timestamp,
    *,
    window_days: float = DEFAULT_WINDOW_DAYS,
    incident_mask: np.ndarray | None = None,
    zone_ids: list[str] | None = None,
) -> pd.DataFrame:
    """The status of every zone that exists at an instant.

    Parameters
    ----------
    timeline
        From :func:`build_timeline`.
    at
        The instant (see :func:`as_instant`).
    window_days
        The window before ``at`` in which incidents count.
    incident_mask
        Optional boolean mask over ``timeline.incidents``: only these incidents count
        (filters by kind, perpetrator or data set).
    zone_ids
        Optional: only these zones.

    Returns
    -------
    pandas.DataFrame
        One row per zone existing at ``at``: ``zone_id``, ``name``, ``name_ar``,
        ``version_id``, ``status``, ``agreements`` (ids in force, a tuple), ``violations``
        (incidents in the window), ``uncertain`` (of those, how many only partly overlap the
        window or an agreement's start), ``window_start`` and ``last_ended`` (for a lapsed
        zone, the agreement that ended last).
    """
    t = int(as_instant(at).value)
    span = _window_ns(window_days)
    zi = timeline.zones
    ids = timeline.agreements.frame["agreement_id"].to_numpy()
    versions = zi.versions
    rows = []
    for v in zi.valid_at(t):
        zone_id = zi.zone_ids[int(zi.zone[v])]
        if zone_ids is not None and zone_id not in zone_ids:
            continue
        state = zone_state(timeline, int(v), t, span, incident_mask)
        rows.append(
            (
                zone_id,
                versions.at[v, "name"],
                versions.at[v, "name_ar"],
                versions.at[v, "version_id"],
                state.status,
                tuple(str(a) for a in ids[state.agreements]),
                int(state.hits.size),
                state.uncertain,
                pd.Timestamp(state.window_start, tz="UTC"),
                "" if state.last_ended is None else str(ids[state.last_ended]),
            )
        )
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def window_incidents(
    timeline: Timeline,
    at: str | dt.datetime | dt.date | pd.Timestamp,
    *,
    window_days: float = DEFAULT_WINDOW_DAYS,
    zone_id: str | None = None,
    incident_mask: np.ndarray | None = None,
) -> pd.DataFrame:
    """The incidents in the window before ``at``, with the zone they were counted in.

    Unlike :func:`status_at`, the window is not clipped to the agreements in force: this is
    what a map shows for the period. Returns the incident rows (with a ``zone_id_matched``
    column, and ``linked``: True when the incident counts for that zone only through the
    agreements it names, its position lying outside), most recent first.
    """
    t = int(as_instant(at).value)
    lo = t - _window_ns(window_days)
    zi, m = timeline.zones, timeline.matches
    codes = [zi.code(zone_id)] if zone_id else [int(zi.zone[v]) for v in zi.valid_at(t)]
    picked, zones, linked = [], [], []
    for code in codes:
        hits = m.in_window(code, lo, t)
        if incident_mask is not None:
            hits = hits[incident_mask[m.incident[hits]]]
        picked.append(m.incident[hits])
        zones.extend([zi.zone_ids[code]] * hits.size)
        linked.append(m.linked[hits])
    if not picked:
        return timeline.incidents.iloc[0:0].assign(
            zone_id_matched=pd.Series(dtype=str), linked=pd.Series(dtype=bool)
        )
    rows = np.concatenate(picked)
    out = timeline.incidents.iloc[rows].assign(zone_id_matched=zones, linked=np.concatenate(linked))
    return out.sort_values("occurred", ascending=False)


def linked_incidents(
    timeline: Timeline, zone_id: str, *, incident_mask: np.ndarray | None = None
) -> pd.DataFrame:
    """The incidents that count for a zone only through the agreements they name.

    Their positions lie outside the zone (as it was at their time), but their
    ``agreement_ids`` name an agreement that covers it. Returns their rows of
    ``timeline.incidents``, oldest first; KeyError for an unknown zone.
    """
    m = timeline.matches
    part = m.of_zone(timeline.zones.code(zone_id))
    hits = np.arange(part.start, part.stop)[m.linked[part]]
    if incident_mask is not None:
        hits = hits[incident_mask[m.incident[hits]]]
    return timeline.incidents.iloc[m.incident[hits]]


def incident_agreements(timeline: Timeline) -> pd.DataFrame:
    """Every (incident, agreement) pair: the agreements in force where and when it happened.

    An incident that names the agreements it breaches is paired with them in the zones they
    cover even where it lies outside those zones; there it is paired with no other agreement.

    Returns
    -------
    pandas.DataFrame
        ``incident`` (row position in ``timeline.incidents``), ``agreement_id``, ``zone_id``,
        ``certain`` (False when the incident's interval only partly overlaps the agreement's
        period: an imprecise date on the day a ceasefire began, for example) and ``linked``
        (True when the pair comes from the incident's ``agreement_ids``, its position lying
        outside the zone).
    """
    zi, ai, m = timeline.zones, timeline.agreements, timeline.matches
    ids = ai.frame["agreement_id"].to_numpy()
    names = linked_agreements(timeline.incidents) if m.linked.any() else []
    parts = []
    for code, agreements in enumerate(ai.by_zone):
        part = m.of_zone(code)
        s, e = m.start[part], m.end[part]
        incident, linked = m.incident[part], m.linked[part]
        for a in agreements:
            lo, hi = int(ai.start[a]), int(ai.end[a])
            hit = (s < hi) & (e > lo)
            if linked.any():
                # a linked match counts only against the agreements the incident names
                named = np.array([ids[a] in names[i] for i in incident[linked].tolist()])
                hit[np.flatnonzero(linked)[~named]] = False
            if not hit.any():
                continue
            rows = np.flatnonzero(hit)
            parts.append(
                pd.DataFrame(
                    {
                        "incident": incident[rows],
                        "agreement_id": ids[a],
                        "zone_id": zi.zone_ids[code],
                        "certain": (s[rows] >= lo) & (e[rows] <= hi),
                        "linked": linked[rows],
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=["incident", "agreement_id", "zone_id", "certain", "linked"])
    return pd.concat(parts, ignore_index=True)


def annotate_incidents(timeline: Timeline) -> gpd.GeoDataFrame:
    """The incidents with what the join found, for tables and exports.

    Adds ``zones`` (zone ids, a tuple), ``outside_zones`` (True when the incident fell in no
    zone at its time: kept, and marked), ``linked_zones`` (text, ids joined by ``;``: zones
    it counts for only through the agreements it names, lying outside them), ``agreements``
    (ids in force there and then, and those it names that were in force then),
    ``imprecise_location`` (town, district, governorate or country precision),
    ``imprecise_date`` (an interval longer than a day) and ``spans_versions``.
    """
    inc = timeline.incidents
    n = len(inc)
    m = timeline.matches
    zones = zones_of_incidents(m, timeline.zones, n)
    pairs = incident_agreements(timeline)
    agreements: list[list[str]] = [[] for _ in range(n)]
    for i, a in zip(pairs["incident"].tolist(), pairs["agreement_id"].tolist(), strict=True):
        if a not in agreements[i]:
            agreements[i].append(a)
    spans = np.zeros(n, dtype=bool)
    spans[m.incident[m.spans_versions]] = True
    duration = to_ns(inc["occurred_end"]) - to_ns(inc["occurred"])
    return inc.assign(
        zones=zones,
        outside_zones=[not z for z in zones],
        linked_zones=[";".join(z) for z in zones_of_incidents(m, timeline.zones, n, linked=True)],
        agreements=[tuple(a) for a in agreements],
        imprecise_location=inc["location_precision"].ne("exact").to_numpy(),
        imprecise_date=duration > _NS_PER_DAY,
        spans_versions=spans,
    )
