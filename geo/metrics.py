"""Compliance metrics per agreement and daily series per zone.

Per agreement (:func:`agreement_metrics`):

- ``hours_to_first_violation``: from entry into force to the first incident that certainly
  fell in the agreement's period, as bounds: the earliest the incident can have happened
  (``hours_to_first_violation``) and the latest (``hours_to_first_violation_max``), since a
  date reported to the day leaves up to 24 hours open. An incident whose interval straddles
  the start (a day-precision report on the day of a noon ceasefire) is only *possibly* a
  violation; it is named in ``first_possible_violation``.
- ``per_30_days_before`` / ``per_30_days_after``: incidents per 30 days in the agreement's
  zones over the same length of time before and after entry into force (the in-force period,
  capped at 365 days); "before" uses the zone's outline at entry into force.
- ``longest_quiet_days``: the longest stretch without an incident while the agreement was in
  force *and* its zones existed (a zone that ended in April 2018 has no quiet days after it).
- ``by_kind``, ``by_perpetrator`` (the reported wording) and ``by_actor_family``
  (:mod:`geo.actors`): counts of the incidents during the in-force period.
- ``linked_violations``: of the incidents, those that count only because they name the
  agreement (``agreement_ids``) while lying outside its zones, with their ids in ``linked``.

Incidents count against an agreement when they fall in its zones while it is in force, or
when they name it (see :func:`geo.timemodel.incident_agreements`). With ``zone_id``, only the
incidents in that zone count (and those that name the agreement and are linked to the zone),
and the zone's own lifetime bounds the periods: the metrics of one zone, not of every zone
the agreement covers. :func:`zone_compliance` puts both side by side for the Zone page, with
names and units for people.

``effective_from`` and ``effective_to`` are Damascus local time with their offset, to the
precision they are known (:func:`geo.export.records.local_iso`).

Per zone (:func:`zone_daily`): for each Damascus day of the zone's existence, the incidents
that began that day and the zone's status at the end of the day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo import schema
from geo.actors import family_counts, family_label
from geo.errors import UsageError
from geo.export.records import local_iso
from geo.join import NS_MAX, to_ns
from geo.timemodel import DEFAULT_WINDOW_DAYS, Timeline, incident_agreements, zone_state

_NS_PER_HOUR = 3600 * 10**9
_NS_PER_DAY = 24 * _NS_PER_HOUR
_MAX_COMPARISON_DAYS = 365


def agreement_metrics(
    timeline: Timeline,
    agreement_id: str | None = None,
    *,
    incident_mask: np.ndarray | None = None,
    zone_id: str | None = None,
) -> pd.DataFrame:
    """Compliance metrics for every agreement (or one), agreement-wide or in one zone.

    Parameters
    ----------
    timeline
        From :func:`geo.timemodel.build_timeline`.
    agreement_id
        Only this agreement; :class:`~geo.errors.UsageError` if unknown.
    incident_mask
        Optional boolean mask over ``timeline.incidents`` (filters).
    zone_id
        Only the agreements that name this zone, counting only the incidents in it (and
        those linked to it), over the zone's lifetime; :class:`~geo.errors.UsageError` if
        unknown.

    Returns
    -------
    pandas.DataFrame
        One row per agreement, in order of entry into force; ``zone_id`` names the zone the
        row is about (None: agreement-wide).
    """
    frame = timeline.agreements.frame
    if agreement_id is not None and agreement_id not in set(frame["agreement_id"]):
        close = schema.suggest(agreement_id, list(frame["agreement_id"]))
        raise UsageError(f"unknown agreement {agreement_id!r}{close}")
    if zone_id is not None and zone_id not in set(timeline.zones.zone_ids):
        close = schema.suggest(zone_id, list(timeline.zones.zone_ids))
        raise UsageError(f"unknown zone {zone_id!r}{close}")
    pairs = incident_agreements(timeline)
    if incident_mask is not None and len(pairs):
        pairs = pairs[incident_mask[pairs["incident"].to_numpy()]]
    if zone_id is not None:
        pairs = pairs[pairs["zone_id"] == zone_id]
    inc = timeline.incidents
    starts = to_ns(inc["occurred"])
    ends = to_ns(inc["occurred_end"])
    data_end = int(timeline.range[1].value)
    rows = []
    for pos, a in frame.iterrows():
        if agreement_id is not None and a["agreement_id"] != agreement_id:
            continue
        if zone_id is not None and zone_id not in a["zone_ids"]:
            continue
        lo = int(timeline.agreements.start[pos])
        hi = int(timeline.agreements.end[pos])
        mine = pairs[pairs["agreement_id"] == a["agreement_id"]]
        # an incident inside one of the agreement's zones is not "linked" even if it names it
        mine = mine.sort_values(["incident", "linked"], kind="stable")
        mine = mine.drop_duplicates("incident")
        zones = (zone_id,) if zone_id is not None else tuple(a["zone_ids"])
        row = _one_agreement(
            timeline, a, lo, hi, mine, starts, ends, data_end, incident_mask, zones
        )
        row["zone_id"] = zone_id
        rows.append(row)
    return pd.DataFrame(rows)


def _lifetime(timeline: Timeline, zone_ids: tuple[str, ...]) -> tuple[int, int]:
    """The first instant any of the zones existed and the end of the last (NS_MAX: open)."""
    zi = timeline.zones
    codes = [zi.code(z) for z in zone_ids if z in zi.zone_ids]
    rows = np.flatnonzero(np.isin(zi.zone, codes))
    if rows.size == 0:
        return NS_MAX, NS_MAX
    return int(zi.start[rows].min()), int(zi.end[rows].max())


def _one_agreement(
    timeline: Timeline,
    a: pd.Series,
    lo: int,
    hi: int,
    pairs: pd.DataFrame,
    starts: np.ndarray,
    ends: np.ndarray,
    data_end: int,
    incident_mask: np.ndarray | None,
    zone_ids: tuple[str, ...],
) -> dict:
    inc = timeline.incidents
    rows = pairs["incident"].to_numpy(dtype=np.int64)
    certain = pairs["certain"].to_numpy(dtype=bool)
    precision = str(a.get("date_precision") or "minute")
    out: dict = {
        "agreement_id": a["agreement_id"],
        "title": a["title"],
        "zone_ids": list(a["zone_ids"]),
        "effective_from": local_iso(a["effective_from"], precision),
        "effective_to": None if pd.isna(a["effective_to"]) else local_iso(a["effective_to"]),
        "outcome": a["outcome"],
        "violations": int(rows.size),
        "certain_violations": int(certain.sum()),
    }
    first = _first(rows[certain], starts)
    if first is not None:
        out["first_violation"] = str(inc.iloc[first]["violation_id"])
        out["first_violation_dataset"] = str(inc.iloc[first]["dataset"])
        out["hours_to_first_violation"] = round(max(0, starts[first] - lo) / _NS_PER_HOUR, 2)
        out["hours_to_first_violation_max"] = round((ends[first] - lo) / _NS_PER_HOUR, 2)
    else:
        out["first_violation"] = None
        out["first_violation_dataset"] = None
        out["hours_to_first_violation"] = None
        out["hours_to_first_violation_max"] = None
    earlier = _first(rows[~certain], starts)
    if earlier is not None and (first is None or starts[earlier] < starts[first]):
        out["first_possible_violation"] = str(inc.iloc[earlier]["violation_id"])
    else:
        out["first_possible_violation"] = None

    born, gone = _lifetime(timeline, zone_ids)
    period_end = min(hi, data_end, gone)
    quiet_start = max(lo, born) if born != NS_MAX else lo
    length = max(min(period_end - lo, _MAX_COMPARISON_DAYS * _NS_PER_DAY), _NS_PER_DAY)
    days = length / _NS_PER_DAY
    after = int(np.count_nonzero(starts[rows] < lo + length))
    before = _count_before(timeline, zone_ids, lo, length, starts, ends, incident_mask)
    out["comparison_days"] = round(days, 1)
    out["per_30_days_before"] = round(before / days * 30, 2)
    out["per_30_days_after"] = round(after / days * 30, 2)
    out["quiet_period_from"] = local_iso(pd.Timestamp(quiet_start, tz="UTC"))
    out["quiet_period_to"] = local_iso(pd.Timestamp(max(period_end, quiet_start), tz="UTC"))
    out["longest_quiet_days"] = _longest_quiet(
        starts[rows], quiet_start, max(period_end, quiet_start)
    )
    wordings = inc.iloc[rows]["alleged_perpetrator"] if rows.size else pd.Series([], dtype=str)
    out["by_kind"] = _counts(inc.iloc[rows]["kind"]) if rows.size else {}
    out["by_perpetrator"] = _counts(wordings) if rows.size else {}
    out["by_actor_family"] = family_counts(wordings)
    linked = rows[pairs["linked"].to_numpy(dtype=bool)]
    out["linked_violations"] = int(linked.size)
    out["linked"] = [str(v) for v in inc.iloc[np.sort(linked)]["violation_id"]]
    return out


def _first(rows: np.ndarray, starts: np.ndarray) -> int | None:
    if rows.size == 0:
        return None
    return int(rows[np.argmin(starts[rows])])


def _counts(values: pd.Series) -> dict[str, int]:
    counts = values.fillna("unknown").replace("", "unknown").value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def _count_before(
    timeline: Timeline,
    zone_ids: tuple[str, ...],
    lo: int,
    length: int,
    starts: np.ndarray,
    ends: np.ndarray,
    incident_mask: np.ndarray | None,
) -> int:
    """Incidents in the zones (their outlines at entry into force) before the agreement began."""
    zi = timeline.zones
    window = (starts < lo) & (ends > lo - length)
    if incident_mask is not None:
        window &= incident_mask
    idx = np.flatnonzero(window)
    if idx.size == 0:
        return 0
    x = timeline.incidents["lon"].to_numpy(dtype=float)[idx]
    y = timeline.incidents["lat"].to_numpy(dtype=float)[idx]
    inside = np.zeros(idx.size, dtype=bool)
    for zone_id in zone_ids:
        if zone_id not in zi.zone_ids:
            continue
        rows = np.flatnonzero(zi.zone == zi.code(zone_id))
        at_start = rows[(zi.start[rows] <= lo) & (zi.end[rows] > lo)]
        version = at_start[0] if at_start.size else rows[0]
        inside |= shapely.intersects_xy(zi.versions.geometry.iloc[version], x, y)
    return int(inside.sum())


def _longest_quiet(event_starts: np.ndarray, lo: int, hi: int) -> float:
    inside = np.sort(event_starts[(event_starts >= lo) & (event_starts < hi)])
    edges = np.concatenate([[lo], inside, [hi]])
    return round(float(np.diff(edges).max(initial=0)) / _NS_PER_DAY, 2)


def zone_daily(
    timeline: Timeline,
    zone_id: str,
    *,
    window_days: float = DEFAULT_WINDOW_DAYS,
    incident_mask: np.ndarray | None = None,
) -> pd.DataFrame:
    """A zone's daily series: incidents that began each day and the status at the day's end.

    Returns
    -------
    pandas.DataFrame
        ``date`` (Damascus calendar day), ``incidents``, ``imprecise`` (of those, how many
        have an interval longer than a day), ``status``, ``agreements`` (count in force) and
        ``version_id``.
    """
    zi, m = timeline.zones, timeline.matches
    code = zi.code(zone_id)
    rows = np.flatnonzero(zi.zone == code)
    first_ns = int(zi.start[rows].min())
    last_ns = int(zi.end[rows].max())
    if last_ns == NS_MAX:  # still valid: run to the last day the data speaks of
        last_ns = int(timeline.range[1].value) + 1
    first_day = pd.Timestamp(first_ns, tz="UTC").tz_convert(schema.DAMASCUS).date()
    last_day = pd.Timestamp(last_ns - 1, tz="UTC").tz_convert(schema.DAMASCUS).date()
    days = pd.date_range(first_day, last_day, freq="D").date
    part = m.of_zone(code)
    hits = np.arange(part.start, part.stop)
    if incident_mask is not None:
        hits = hits[incident_mask[m.incident[hits]]]
    begin_day = (
        pd.to_datetime(m.start[hits], utc=True).tz_convert(schema.DAMASCUS).normalize().date
        if hits.size
        else np.array([], dtype=object)
    )
    counts = pd.Series(begin_day).value_counts()
    imprecise = pd.Series(begin_day[(m.end[hits] - m.start[hits]) > _NS_PER_DAY]).value_counts()
    span = int(round(window_days * _NS_PER_DAY))
    version_ids = zi.versions["version_id"].to_numpy()
    out = []
    for day in days:
        midnight = int(pd.Timestamp(schema.local_midnight(day + dt.timedelta(days=1))).value)
        last = midnight - 1  # the day's last instant
        valid = rows[(zi.start[rows] <= last) & (zi.end[rows] > last)]
        if valid.size == 0:
            state_row = ("none", 0, "")
        else:
            state = zone_state(
                timeline, int(valid[0]), last, span, incident_mask, window_end=midnight
            )
            state_row = (state.status, int(state.agreements.size), version_ids[valid[0]])
        out.append((day, int(counts.get(day, 0)), int(imprecise.get(day, 0)), *state_row))
    return pd.DataFrame(
        out, columns=["date", "incidents", "imprecise", "status", "agreements", "version_id"]
    )


#: The columns of :func:`zone_compliance`, in order: names and units for people.
COMPLIANCE_COLUMNS = (
    "Agreement",
    "In force from",
    "In force until",
    "Incidents in this zone",
    "of which certain",
    "Incidents, whole agreement",
    "First violation in this zone",
    "Hours to the first violation here",
    "Hours to the first violation, whole agreement",
    "Incidents per 30 days here, before",
    "Incidents per 30 days here, after",
    "Longest quiet period here (days)",
    "Longest quiet period, whole agreement (days)",
    "Incidents here by kind",
    "Incidents here by perpetrator",
    "Linked incidents here (outside the zone, naming the agreement)",
)


def zone_compliance(
    timeline: Timeline, zone_id: str, *, incident_mask: np.ndarray | None = None
) -> pd.DataFrame:
    """The compliance of every agreement naming a zone, in that zone and agreement-wide.

    One row per agreement that names the zone, in order of entry into force, with the
    columns of :data:`COMPLIANCE_COLUMNS`: the zone's own figures (incidents in the zone,
    over the zone's lifetime) and, labelled as such, the agreement's figures over all its
    zones. Hours are given as a range (``12 to 36``) when the first incident's date is
    imprecise; instants are Damascus local time (:func:`geo.export.records.local_iso`).

    Raises
    ------
    UsageError
        For a zone the timeline does not have.
    """
    here = agreement_metrics(timeline, incident_mask=incident_mask, zone_id=zone_id)
    if here.empty:
        return pd.DataFrame(columns=list(COMPLIANCE_COLUMNS))
    wide = agreement_metrics(timeline, incident_mask=incident_mask).set_index("agreement_id")
    rows = []
    for r in here.to_dict("records"):
        w = wide.loc[r["agreement_id"]]
        rows.append(
            (
                r["title"],
                r["effective_from"],
                _or(r["effective_to"], "open-ended"),
                r["violations"],
                r["certain_violations"],
                int(w["violations"]),
                _or(r["first_violation"], "none"),
                _hours(r["hours_to_first_violation"], r["hours_to_first_violation_max"]),
                _hours(w["hours_to_first_violation"], w["hours_to_first_violation_max"]),
                r["per_30_days_before"],
                r["per_30_days_after"],
                r["longest_quiet_days"],
                float(w["longest_quiet_days"]),
                ", ".join(f"{k} {v}" for k, v in r["by_kind"].items()),
                ", ".join(f"{family_label(k)} {v}" for k, v in r["by_actor_family"].items()),
                r["linked_violations"],
            )
        )
    return pd.DataFrame(rows, columns=list(COMPLIANCE_COLUMNS))


def _or(value: object, default: str) -> object:
    """The value, or ``default`` when it is missing (None or NaN)."""
    return default if value is None or (isinstance(value, float) and value != value) else value


def _hours(low: Any, high: Any) -> str:
    """Hours to a first violation as text: ``12``, ``0 to 24``, or ``no violation``."""
    if low is None or pd.isna(low):
        return "no violation"
    if high is None or pd.isna(high) or float(high) == float(low):
        return f"{float(low):g}"
    return f"{float(low):g} to {float(high):g}"
