"""Edits of the zones frame, and what an edit changes.

Every function here is pure: it takes the zones frame (as :func:`geo.io.read_zones` returns:
one row per boundary version, ``valid_from``/``valid_to`` as the UTC instants at which those
Damascus days begin) and returns a new frame; the input is never modified. Saving is
:func:`geo.edit.save.save_zones`, which validates the whole file again.

Versions follow the data model (``docs/data-model.md``): a version is named
``zone_id@valid_from`` (``eastern-ghouta@2018-03-11``), its period is half-open
``[valid_from, valid_to)`` in Damascus days, and two versions of one zone never overlap.
When a version is added after an open-ended one (empty ``valid_to``), the open one is closed
at the new version's ``valid_from``.

:func:`change_summary` is the editor's preview: areas before and after, the areas added and
removed, the incidents whose join to a zone changes (the real join of :mod:`geo.join`, at each
incident's own time) and the reported towns that move in or out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from geo import schema
from geo.edit.frame import day_of, day_start, renumber, version_id
from geo.edit.measure import area_km2
from geo.errors import EditError, GeometryError, Problem, UsageError, ZoneFileError

if TYPE_CHECKING:
    from geo.io import Dataset
    from geo.timemodel import Timeline

__all__ = [
    "ChangeSummary",
    "ImportResult",
    "VersionChange",
    "add_version",
    "change_summary",
    "delete_part",
    "delete_version",
    "import_versions",
    "new_zone",
    "replace_geometry",
    "set_version_attributes",
    "set_zone_attributes",
    "snap_outline",
]

#: The ``path`` of problems found in edits that are not (yet) in a file.
EDIT = "edit"

GeometryLike: TypeAlias = BaseGeometry | Mapping[str, Any]
DayLike: TypeAlias = dt.date | str


# --- checks ----------------------------------------------------------------------------------


def _where(zone_id: str, vid: str | None = None) -> str:
    return f"zone {zone_id}" + (f", version {vid}" if vid else "")


def _polygonal(geometry: GeometryLike, where: str) -> BaseGeometry:
    """A valid Polygon or MultiPolygon from a shapely geometry or a GeoJSON mapping."""
    if isinstance(geometry, Mapping):
        try:
            geometry = shape(geometry)
        except Exception as exc:  # noqa: BLE001 - shapely raises several kinds
            raise GeometryError(
                f"{where}: edit refused",
                [Problem(EDIT, where, "error", f"unreadable geometry: {exc}", "bad-geometry")],
            ) from None
    if not isinstance(geometry, Polygon | MultiPolygon):
        kind = type(geometry).__name__
        message = f"a zone's outline must be a Polygon or MultiPolygon, not a {kind}"
        raise GeometryError(
            f"{where}: edit refused", [Problem(EDIT, where, "error", message, "not-polygon")]
        )
    if geometry.is_empty:
        message = "the outline is empty; draw at least one polygon"
        raise GeometryError(
            f"{where}: edit refused", [Problem(EDIT, where, "error", message, "empty-geometry")]
        )
    geometry = shapely.force_2d(geometry)
    if not shapely.is_valid(geometry):
        reason = shapely.is_valid_reason(geometry)
        message = (
            f"the outline is not a valid polygon: {reason} (shapely); move the vertices so "
            "that no edge crosses or touches another along a line"
        )
        raise GeometryError(
            f"{where}: edit refused", [Problem(EDIT, where, "error", message, "invalid-geometry")]
        )
    return geometry


def _zone_rows(zones: gpd.GeoDataFrame, zone_id: str) -> pd.Index:
    rows = zones.index[zones["zone_id"] == zone_id]
    if len(rows) == 0:
        known = sorted(set(zones["zone_id"]))
        raise EditError(
            f"unknown zone {zone_id!r}{schema.suggest(zone_id, known)}; the zones are: "
            f"{', '.join(known) or 'none'}"
        )
    return rows


def _version_row(zones: gpd.GeoDataFrame, vid: str) -> Any:
    rows = zones.index[zones["version_id"] == vid]
    if len(rows) == 0:
        known = list(zones["version_id"])
        hint = schema.suggest(vid, known)
        if not hint and "@" in vid and vid.split("@")[0] in set(zones["zone_id"]):
            zone = vid.split("@")[0]
            hint = f" (zone {zone!r} has {', '.join(v for v in known if v.startswith(zone + '@'))})"
        raise EditError(f"unknown boundary version {vid!r}{hint}; versions are zone_id@valid_from")
    return rows[0]


def _slug(value: str, what: str) -> str:
    if not isinstance(value, str) or not schema.SLUG_RE.match(value):
        raise UsageError(
            f"{what} {value!r} must be a lower-case slug of letters, digits and hyphens, "
            "such as 'eastern-ghouta'"
        )
    return value


def _accuracy(value: str) -> str:
    if value not in schema.ACCURACY:
        raise UsageError(
            f"accuracy {value!r} must be 'approximate' or 'surveyed'"
            f"{schema.suggest(str(value), schema.ACCURACY)}"
        )
    return value


def _required_day(value: DayLike, what: str) -> dt.date:
    day = day_of(value)
    if day is None:
        raise UsageError(f"{what} is required: give the first day as YYYY-MM-DD")
    return day


def _period_problem(zone_id: str, vid: str, message: str, code: str) -> ZoneFileError:
    where = _where(zone_id, vid)
    return ZoneFileError(f"{where}: edit refused", [Problem(EDIT, where, "error", message, code)])


def _spans(zones: gpd.GeoDataFrame, zone_id: str, skip: Any = None) -> list[tuple[Any, Any, Any]]:
    """The zone's versions as (row, first day, end day or None), in time order."""
    out = []
    for row in _zone_rows(zones, zone_id):
        if row == skip:
            continue
        out.append((row, day_of(zones.at[row, "valid_from"]), day_of(zones.at[row, "valid_to"])))
    return sorted(out, key=lambda s: s[1])


def _check_order(zone_id: str, vid: str, start: dt.date, end: dt.date | None) -> None:
    """Refuse a ``valid_to`` that is not after ``valid_from``."""
    if end is not None and end <= start:
        raise _period_problem(
            zone_id,
            vid,
            f"valid_to {end} is not after valid_from {start}; valid_to is the first day the "
            "version no longer applies, so it must come later",
            "date-order",
        )


def _check_period(
    zones: gpd.GeoDataFrame,
    zone_id: str,
    start: dt.date,
    end: dt.date | None,
    *,
    skip: Any = None,
    close_open: bool = False,
) -> Any:
    """Refuse a period that overlaps another version of the zone.

    Returns the row of an open-ended earlier version that must be closed at ``start`` (only
    with ``close_open``), else None.
    """
    vid = version_id(zone_id, start)
    _check_order(zone_id, vid, start, end)
    to_close = None
    for row, first, last in _spans(zones, zone_id, skip=skip):
        if first == start:
            raise _period_problem(
                zone_id,
                vid,
                f"zone {zone_id!r} already has a version starting {start}; give the new "
                "version another valid_from, or replace that version's outline",
                "duplicate-version",
            )
        if first < start:
            if last is None and close_open and to_close is None:
                to_close = row
            elif last is None or last > start:
                ends = "is still valid (empty valid_to)" if last is None else f"runs to {last}"
                raise _period_problem(
                    zone_id,
                    vid,
                    f"overlapping versions of zone {zone_id!r}: the version from {first} {ends}, "
                    f"after the new version starts on {start}; set that version's valid_to to "
                    f"{start} first, or start the new version on {last or 'a later day'}",
                    "overlapping-versions",
                )
        elif end is None or end > first:
            ends = "is open-ended (no valid_to)" if end is None else f"runs to {end}"
            raise _period_problem(
                zone_id,
                vid,
                f"overlapping versions of zone {zone_id!r}: the new version {ends}, but the "
                f"version from {first} starts before that; give the new version "
                f"valid_to {first} (or earlier)",
                "overlapping-versions",
            )
    return to_close


def _with_row(zones: gpd.GeoDataFrame, values: dict[str, Any], pos: int) -> gpd.GeoDataFrame:
    """A copy of ``zones`` with one more row, inserted at position ``pos``, renumbered."""
    geometry_name = zones.geometry.name
    row = {c: values.get(c) for c in zones.columns if c != geometry_name}
    row[geometry_name] = values["geometry"]
    new = gpd.GeoDataFrame([row], geometry=geometry_name, crs=zones.crs)[list(zones.columns)]
    out = pd.concat([zones.iloc[:pos], new, zones.iloc[pos:]], ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry=geometry_name, crs=zones.crs)
    for col in zones.columns:
        if col != geometry_name and out[col].dtype != zones[col].dtype:
            out[col] = out[col].astype(zones[col].dtype)
    return renumber(out)


# --- edits -----------------------------------------------------------------------------------


def add_version(
    zones: gpd.GeoDataFrame,
    zone_id: str,
    geometry: GeometryLike,
    *,
    valid_from: DayLike,
    valid_to: DayLike | None = None,
    source: str,
    accuracy: str,
    notes: str = "",
) -> gpd.GeoDataFrame:
    """Add a boundary version to an existing zone.

    Parameters
    ----------
    zones
        The zones frame. Not modified.
    zone_id
        The zone; its name, Arabic name and group carry over to the new version.
    geometry
        The new outline: a shapely Polygon or MultiPolygon, or its GeoJSON mapping.
    valid_from, valid_to
        The first day of the version and the first day it no longer applies (None: open-ended),
        as dates or ``YYYY-MM-DD``.
    source
        The version's ``boundary_source``: how the outline was drawn, and its sources.
    accuracy
        ``"approximate"`` or ``"surveyed"``.
    notes
        Free text.

    Returns
    -------
    GeoDataFrame
        A new frame with the version placed after the zone's earlier versions. An open-ended
        earlier version is closed at ``valid_from``.

    Raises
    ------
    UsageError
        Unknown zone (with a suggestion), a bad accuracy or day.
    ZoneFileError
        The new version overlaps another version of the zone in time, starts the same day as
        one, or ends before it starts.
    GeometryError
        The outline is not a valid polygon.
    """
    rows = _zone_rows(zones, zone_id)
    start = _required_day(valid_from, "valid_from")
    end = day_of(valid_to)
    vid = version_id(zone_id, start)
    geom = _polygonal(geometry, _where(zone_id, vid))
    to_close = _check_period(zones, zone_id, start, end, close_open=True)
    if not str(source).strip():
        raise UsageError(f"{_where(zone_id, vid)}: give a source: how the outline was drawn")
    latest = max(rows, key=lambda r: zones.at[r, "valid_from"])
    positions = [zones.index.get_loc(r) for r in rows]
    earlier = [
        zones.index.get_loc(r) for r in rows if (day_of(zones.at[r, "valid_from"]) or start) < start
    ]
    # keep the zone's versions together and in time order in the file
    pos = max(earlier) + 1 if earlier else min(positions)
    out = zones.copy()
    if to_close is not None:
        out.at[to_close, "valid_to"] = day_start(start)
    values = {
        "zone_id": zone_id,
        "version_id": vid,
        "name": zones.at[latest, "name"],
        "name_ar": zones.at[latest, "name_ar"],
        "group": zones.at[latest, "group"],
        "valid_from": day_start(start),
        "valid_to": day_start(end),
        "accuracy": _accuracy(accuracy),
        "boundary_source": str(source).strip(),
        "notes": notes or "",
        "feature": -1,
        "geometry": geom,
    }
    return _with_row(out, values, pos)


def new_zone(
    zones: gpd.GeoDataFrame,
    zone_id: str,
    name: str,
    name_ar: str,
    group: str,
    geometry: GeometryLike,
    valid_from: DayLike,
    *,
    valid_to: DayLike | None = None,
    source: str,
    accuracy: str = "approximate",
    notes: str = "",
) -> gpd.GeoDataFrame:
    """Add a new zone with its first boundary version, at the end of the frame.

    Raises
    ------
    UsageError
        The zone exists already (use :func:`add_version`), or a slug, name, day or accuracy is
        bad.
    ZoneFileError
        ``valid_to`` is not after ``valid_from``.
    GeometryError
        The outline is not a valid polygon.
    """
    _slug(zone_id, "zone_id")
    _slug(group, "group")
    if zone_id in set(zones["zone_id"]):
        raise UsageError(
            f"zone {zone_id!r} exists already; add a boundary version to it instead "
            "(add_version, or `dezmap zones add-version`)"
        )
    if not str(name).strip():
        raise UsageError(f"zone {zone_id!r}: give the zone's English name")
    start = _required_day(valid_from, "valid_from")
    end = day_of(valid_to)
    vid = version_id(zone_id, start)
    _check_order(zone_id, vid, start, end)
    if not str(source).strip():
        raise UsageError(f"{_where(zone_id, vid)}: give a source: how the outline was drawn")
    values = {
        "zone_id": zone_id,
        "version_id": vid,
        "name": str(name).strip(),
        "name_ar": str(name_ar or "").strip(),
        "group": group,
        "valid_from": day_start(start),
        "valid_to": day_start(end),
        "accuracy": _accuracy(accuracy),
        "boundary_source": str(source).strip(),
        "notes": notes or "",
        "feature": -1,
        "geometry": _polygonal(geometry, _where(zone_id, vid)),
    }
    return _with_row(zones, values, len(zones))


def replace_geometry(
    zones: gpd.GeoDataFrame, version_id: str, geometry: GeometryLike
) -> gpd.GeoDataFrame:
    """Replace the outline of one boundary version (moved, added or deleted vertices, holes).

    Raises
    ------
    UsageError
        Unknown version (with a suggestion).
    GeometryError
        The outline is not a valid polygon.
    """
    row = _version_row(zones, version_id)
    geom = _polygonal(geometry, _where(zones.at[row, "zone_id"], version_id))
    out = zones.copy()
    out.at[row, out.geometry.name] = geom
    return out


def set_zone_attributes(
    zones: gpd.GeoDataFrame,
    zone_id: str,
    *,
    name: str | None = None,
    name_ar: str | None = None,
    group: str | None = None,
) -> gpd.GeoDataFrame:
    """Set a zone's name, Arabic name or group, on every version of the zone.

    Arguments left as None are unchanged.

    Raises
    ------
    UsageError
        Unknown zone, an empty name or a group that is not a slug.
    """
    rows = _zone_rows(zones, zone_id)
    out = zones.copy()
    if name is not None:
        if not name.strip():
            raise UsageError(f"zone {zone_id!r}: the name cannot be empty")
        out.loc[rows, "name"] = name.strip()
    if name_ar is not None:
        out.loc[rows, "name_ar"] = name_ar.strip()
    if group is not None:
        out.loc[rows, "group"] = _slug(group, "group")
    return out


_UNSET: Any = object()


def set_version_attributes(
    zones: gpd.GeoDataFrame,
    version_id: str,
    *,
    valid_to: DayLike | None = _UNSET,
    accuracy: str | None = None,
    source: str | None = None,
    notes: str | None = None,
) -> gpd.GeoDataFrame:
    """Set one version's end day, accuracy, boundary source or notes.

    ``valid_to=None`` makes the version open-ended; leaving it out keeps it. The other
    arguments left as None are unchanged. The version's ``valid_from`` is its name and cannot
    change here (add a version and delete this one).

    Raises
    ------
    UsageError
        Unknown version, bad accuracy, empty source.
    ZoneFileError
        The new end makes the version overlap a later one, or comes before its start.
    """
    row = _version_row(zones, version_id)
    zone_id = zones.at[row, "zone_id"]
    out = zones.copy()
    if valid_to is not _UNSET:
        start = day_of(zones.at[row, "valid_from"])
        assert start is not None
        end = day_of(valid_to)
        _check_period(zones, zone_id, start, end, skip=row)
        out.at[row, "valid_to"] = day_start(end)
    if accuracy is not None:
        out.at[row, "accuracy"] = _accuracy(accuracy)
    if source is not None:
        if not source.strip():
            raise UsageError(f"{_where(zone_id, version_id)}: the source cannot be empty")
        out.at[row, "boundary_source"] = source.strip()
    if notes is not None:
        out.at[row, "notes"] = notes
    return out


def delete_part(zones: gpd.GeoDataFrame, version_id: str, part: int) -> gpd.GeoDataFrame:
    """Delete one polygon (counted from 0) of a version's outline.

    Raises
    ------
    UsageError
        Unknown version, no such part, or the outline has one part only (delete the version
        instead).
    """
    row = _version_row(zones, version_id)
    geom = zones.geometry[row]
    parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    if len(parts) == 1:
        raise UsageError(f"{version_id}: the outline has a single part; delete the version instead")
    if not 0 <= part < len(parts):
        raise UsageError(
            f"{version_id}: no part {part}; the outline has parts 0 to {len(parts) - 1}"
        )
    kept = [p for i, p in enumerate(parts) if i != part]
    out = zones.copy()
    out.at[row, out.geometry.name] = kept[0] if len(kept) == 1 else MultiPolygon(kept)
    return out


def delete_version(zones: gpd.GeoDataFrame, version_id: str) -> gpd.GeoDataFrame:
    """Delete one boundary version (the zone's other versions are kept as they are).

    Raises
    ------
    UsageError
        Unknown version.
    """
    row = _version_row(zones, version_id)
    return renumber(zones.drop(index=row))


# --- what an edit changes --------------------------------------------------------------------


@dataclass(frozen=True)
class VersionChange:
    """How one boundary version's outline or period changed.

    Attributes
    ----------
    version_id, zone_id
        The version.
    kind
        ``"added"``, ``"removed"`` or ``"changed"`` (outline or period).
    area_before_km2, area_after_km2
        Areas (equal-area projection); None for the side where the version does not exist.
    added, removed
        The areas gained and lost, as lon/lat geometries (empty when none): the new outline
        minus the old, and the old minus the new.
    added_km2, removed_km2
        Their areas.
    period_before, period_after
        ``(valid_from, valid_to)`` days (``valid_to`` None when open).
    """

    version_id: str
    zone_id: str
    kind: str
    area_before_km2: float | None
    area_after_km2: float | None
    added: BaseGeometry
    removed: BaseGeometry
    added_km2: float
    removed_km2: float
    period_before: tuple[dt.date, dt.date | None] | None
    period_after: tuple[dt.date, dt.date | None] | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (geometries left out)."""

        def period(p: tuple[dt.date, dt.date | None] | None) -> list[str | None] | None:
            return None if p is None else [p[0].isoformat(), p[1].isoformat() if p[1] else None]

        return {
            "version_id": self.version_id,
            "zone_id": self.zone_id,
            "kind": self.kind,
            "area_before_km2": self.area_before_km2,
            "area_after_km2": self.area_after_km2,
            "added_km2": self.added_km2,
            "removed_km2": self.removed_km2,
            "period_before": period(self.period_before),
            "period_after": period(self.period_after),
        }


INCIDENT_CHANGE_COLUMNS = [
    "violation_id",
    "dataset",
    "place",
    "occurred",
    "zone_id",
    "change",
    "version_before",
    "version_after",
]
TOWN_CHANGE_COLUMNS = ["zone_id", "version_id", "place", "lon", "lat", "change", "records"]


@dataclass(frozen=True)
class ChangeSummary:
    """What an edit changes: the editor's preview before saving.

    Attributes
    ----------
    versions
        One :class:`VersionChange` per version whose outline or period changed.
    incidents
        Incidents whose join to a zone changes, one row per (incident, zone):
        ``change`` is ``"enters"`` (now matched to the zone), ``"leaves"`` (no longer) or
        ``"moves version"`` (still in the zone, but in another of its versions);
        ``version_before``/``version_after`` name the versions matched (empty when none).
    towns
        Reported places (the distinct ``place`` and position of the records) that move into
        (``"in"``) or out of (``"out"``) a changed version's outline, with how many records
        name them.
    """

    versions: tuple[VersionChange, ...]
    incidents: pd.DataFrame
    towns: pd.DataFrame
    zones: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        """True when the edit changes no outline or period."""
        return not self.versions

    def areas(self) -> gpd.GeoDataFrame:
        """The added and removed areas, for drawing: ``version_id``, ``kind``, ``area_km2``."""
        rows = []
        for change in self.versions:
            for kind, geom, km2 in (
                ("added", change.added, change.added_km2),
                ("removed", change.removed, change.removed_km2),
            ):
                if geom is not None and not geom.is_empty:
                    rows.append((change.version_id, kind, km2, geom))
        frame = pd.DataFrame(rows, columns=["version_id", "kind", "area_km2", "geometry"])
        return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        incidents = self.incidents.assign(
            occurred=self.incidents["occurred"].map(lambda t: t.isoformat())
        )
        return {
            "zones": list(self.zones),
            "versions": [v.to_dict() for v in self.versions],
            "incidents": incidents.to_dict("records"),
            "towns": self.towns.to_dict("records"),
        }


def _period(zones: gpd.GeoDataFrame, row: Any) -> tuple[dt.date, dt.date | None]:
    start = day_of(zones.at[row, "valid_from"])
    assert start is not None
    return start, day_of(zones.at[row, "valid_to"])


def _incidents_of(source: Timeline | Dataset | gpd.GeoDataFrame | str | Path) -> pd.DataFrame:
    """The incidents to join: from a timeline, a loaded data set, a frame or a data folder."""
    from geo.io import Dataset
    from geo.timemodel import Timeline

    if isinstance(source, Timeline):
        return source.incidents
    if isinstance(source, Dataset):
        return source.violations
    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(source, str | Path):
        from geo.config import VIOLATIONS_FILE
        from geo.datasets import load_incidents
        from geo.io import read_violations

        folder = Path(source)
        if not folder.is_dir():
            raise UsageError(f"no such data folder: {folder}")
        violations = read_violations(folder / VIOLATIONS_FILE)
        return load_incidents(folder, violations)
    raise UsageError(
        "change_summary needs a Timeline, a Dataset, an incidents frame or a data folder"
    )


def _joined(zones: gpd.GeoDataFrame, incidents: pd.DataFrame) -> pd.DataFrame:
    """(incident row, zone_id, version_id) for every match of the real join."""
    from geo.join import ZoneIndex, join_incidents

    if zones.empty or incidents.empty:
        return pd.DataFrame(
            {
                "incident": pd.Series([], dtype="int64"),
                "zone_id": pd.Series([], dtype=object),
                "version_id": pd.Series([], dtype=object),
            }
        )
    index = ZoneIndex.from_zones(zones)
    matches = join_incidents(incidents, index)
    return pd.DataFrame(
        {
            "incident": matches.incident,
            "zone_id": np.asarray(index.zone_ids, dtype=object)[matches.zone]
            if len(matches)
            else [],
            "version_id": index.versions["version_id"].to_numpy()[matches.version]
            if len(matches)
            else [],
        }
    )


def change_summary(
    old_zones: gpd.GeoDataFrame,
    new_zones: gpd.GeoDataFrame,
    timeline_or_data: Timeline | Dataset | gpd.GeoDataFrame | str | Path,
) -> ChangeSummary:
    """What changes between two states of the zones: the editor's preview.

    Parameters
    ----------
    old_zones, new_zones
        The zones frames before and after the edit.
    timeline_or_data
        Where the incidents come from: a :class:`~geo.timemodel.Timeline` (its incidents,
        imported sets included), a :class:`~geo.io.Dataset`, an incidents frame, or a data
        folder (its violations and imported incident sets).

    Returns
    -------
    ChangeSummary
        Areas before and after (km², equal-area), the added and removed areas, the incidents
        whose join to a zone changes (the join of :mod:`geo.join` on the old and the new zones,
        each incident at its own time), and the towns that move in or out.
    """
    old_ids = dict(zip(old_zones["version_id"], old_zones.index, strict=True))
    new_ids = dict(zip(new_zones["version_id"], new_zones.index, strict=True))
    changes: list[VersionChange] = []
    pairs = []
    for vid in sorted(old_ids.keys() | new_ids.keys()):
        o, n = old_ids.get(vid), new_ids.get(vid)
        og = old_zones.geometry[o] if o is not None else None
        ng = new_zones.geometry[n] if n is not None else None
        op = _period(old_zones, o) if o is not None else None
        np_ = _period(new_zones, n) if n is not None else None
        if o is not None and n is not None:
            if op == np_ and og is not None and ng is not None and og.equals(ng):
                continue
            kind = "changed"
        else:
            kind = "added" if o is None else "removed"
        zone = (new_zones if n is not None else old_zones).at[n if n is not None else o, "zone_id"]
        pairs.append((vid, zone, kind, og, ng, op, np_))
    if pairs:
        olds = np.array([p[3] for p in pairs], dtype=object)
        news = np.array([p[4] for p in pairs], dtype=object)
        empty = shapely.Polygon()
        gained = np.array(
            [
                (n if o is None else shapely.difference(n, o)) if n is not None else empty
                for o, n in zip(olds, news, strict=True)
            ],
            dtype=object,
        )
        lost = np.array(
            [
                (o if n is None else shapely.difference(o, n)) if o is not None else empty
                for o, n in zip(olds, news, strict=True)
            ],
            dtype=object,
        )
        a_old, a_new = area_km2(olds), area_km2(news)
        a_gain, a_lost = area_km2(gained), area_km2(lost)
        for i, (vid, zone, kind, og, ng, op, np_) in enumerate(pairs):
            changes.append(
                VersionChange(
                    version_id=vid,
                    zone_id=zone,
                    kind=kind,
                    area_before_km2=float(a_old[i]) if og is not None else None,
                    area_after_km2=float(a_new[i]) if ng is not None else None,
                    added=gained[i],
                    removed=lost[i],
                    added_km2=float(a_gain[i]),
                    removed_km2=float(a_lost[i]),
                    period_before=op,
                    period_after=np_,
                )
            )
    zone_ids = tuple(sorted({c.zone_id for c in changes}))
    incidents = _incidents_of(timeline_or_data).reset_index(drop=True)
    outlines = [(p[3], p[4]) for p in pairs]
    return ChangeSummary(
        versions=tuple(changes),
        incidents=_incident_changes(old_zones, new_zones, incidents, zone_ids),
        towns=_town_changes(changes, outlines, incidents),
        zones=zone_ids,
    )


def _incident_changes(
    old_zones: gpd.GeoDataFrame,
    new_zones: gpd.GeoDataFrame,
    incidents: pd.DataFrame,
    zone_ids: tuple[str, ...],
) -> pd.DataFrame:
    if not zone_ids or incidents.empty:
        return pd.DataFrame(columns=INCIDENT_CHANGE_COLUMNS)
    # only the changed zones can change their matches: join those alone, before and after
    before = _joined(old_zones[old_zones["zone_id"].isin(zone_ids)], incidents)
    after = _joined(new_zones[new_zones["zone_id"].isin(zone_ids)], incidents)
    merged = before.merge(
        after, on=["incident", "zone_id"], how="outer", suffixes=("_before", "_after")
    )
    merged = merged[merged["version_id_before"].ne(merged["version_id_after"])]
    if merged.empty:
        return pd.DataFrame(columns=INCIDENT_CHANGE_COLUMNS)
    change = np.where(
        merged["version_id_before"].isna(),
        "enters",
        np.where(merged["version_id_after"].isna(), "leaves", "moves version"),
    )
    rows = incidents.loc[merged["incident"].astype(int).to_numpy()]
    out = pd.DataFrame(
        {
            "violation_id": rows["violation_id"].to_numpy(),
            "dataset": rows["dataset"].to_numpy() if "dataset" in rows else "bundled",
            "place": rows["place"].to_numpy(),
            "occurred": rows["occurred"].to_numpy(),
            "zone_id": merged["zone_id"].to_numpy(),
            "change": change,
            "version_before": merged["version_id_before"].astype(object).fillna("").to_numpy(),
            "version_after": merged["version_id_after"].astype(object).fillna("").to_numpy(),
        }
    )
    out["occurred"] = pd.to_datetime(out["occurred"], utc=True)
    return out.sort_values(["zone_id", "occurred", "violation_id"], kind="stable").reset_index(
        drop=True
    )


def _town_changes(
    changes: list[VersionChange],
    outlines: list[tuple[BaseGeometry | None, BaseGeometry | None]],
    incidents: pd.DataFrame,
) -> pd.DataFrame:
    if not changes or incidents.empty:
        return pd.DataFrame(columns=TOWN_CHANGE_COLUMNS)
    towns = (
        incidents.groupby(["place", "lon", "lat"], dropna=True, sort=True)
        .size()
        .rename("records")
        .reset_index()
    )
    x = towns["lon"].to_numpy(dtype=float)
    y = towns["lat"].to_numpy(dtype=float)
    rows = []
    for change, (old, new) in zip(changes, outlines, strict=True):
        if change.added.is_empty and change.removed.is_empty:
            continue  # only the period changed: no place moves
        moved = shapely.union(change.added, change.removed)
        minx, miny, maxx, maxy = moved.bounds
        near = np.flatnonzero((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
        if near.size == 0:
            continue
        was = _covers(old, x[near], y[near])
        now = _covers(new, x[near], y[near])
        for i, before, after in zip(near, was, now, strict=True):
            if before == after:
                continue
            rows.append(
                (
                    change.zone_id,
                    change.version_id,
                    towns.at[i, "place"],
                    float(x[i]),
                    float(y[i]),
                    "in" if after else "out",
                    int(towns["records"].iloc[i]),
                )
            )
    return pd.DataFrame(rows, columns=TOWN_CHANGE_COLUMNS)


def _covers(outline: BaseGeometry | None, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether the outline covers each point (boundary included, as the join counts it)."""
    if outline is None:
        return np.zeros(len(x), dtype=bool)
    return shapely.intersects_xy(outline, x, y)


# --- importing GIS features ------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_versions` did.

    Attributes
    ----------
    zones
        The new zones frame.
    zones_added
        Zones that did not exist before.
    versions_added, versions_replaced, versions_unchanged
        Version ids added (to new or existing zones), whose outline (or end day) was replaced,
        and that the file holds exactly as they were.
    """

    zones: gpd.GeoDataFrame
    zones_added: tuple[str, ...]
    versions_added: tuple[str, ...]
    versions_replaced: tuple[str, ...]
    versions_unchanged: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        """JSON-friendly counts and ids (for the edit log)."""
        return {
            "zones_added": list(self.zones_added),
            "versions_added": list(self.versions_added),
            "versions_replaced": list(self.versions_replaced),
            "versions_unchanged": len(self.versions_unchanged),
        }


def snap_outline(geom: BaseGeometry) -> BaseGeometry:
    """The outline snapped to the 6-decimal grid of the zones file, when that keeps it valid.

    Rounding a surveyed outline's coordinates can make a valid polygon self-intersect where two
    vertices lie very close; snapping with GEOS keeps it valid (and an invalid outline is left
    as it is, for the validator to explain).
    """
    if not shapely.is_valid(geom):
        return geom
    snapped = shapely.set_precision(geom, 1e-6)
    if snapped.is_empty or not shapely.is_valid(snapped):
        return geom
    if isinstance(snapped, Polygon | MultiPolygon):
        return snapped
    polys = [g for g in getattr(snapped, "geoms", []) if isinstance(g, Polygon)]
    return MultiPolygon(polys) if polys else geom


def import_versions(
    zones: gpd.GeoDataFrame,
    incoming: gpd.GeoDataFrame,
    *,
    source: str,
    group: str | None = None,
) -> ImportResult:
    """Merge features read from a GIS file (:func:`geo.edit.gis.read_gis`) into the zones.

    Each feature is keyed by its zone id (lower-cased) and first day, the version id
    ``zone_id@valid_from``:

    - an existing version gets the feature's outline (and its ``valid_to``, when the file has
      that field); its other properties are kept (edit names in the editor, as a shapefile
      cuts long text);
    - a new first day of an existing zone adds a version, as :func:`add_version` does (the
      open-ended version before it is closed);
    - a new zone id adds a zone: its name comes from the file (``name``, required),
      ``name_ar``, ``group`` (default ``group`` argument, else the file name as a slug),
      ``accuracy`` (default ``approximate``), ``boundary_source`` (default: the file and the
      feature) and ``notes``; when the file holds several versions of it, each open one is
      closed by the next.

    Outlines are snapped to the file's 6-decimal grid (keeping them valid); an outline equal
    to the stored one (whatever its ring order) leaves the version unchanged.

    Parameters
    ----------
    zones
        The zones frame. Not modified.
    incoming
        The features, as :func:`~geo.edit.gis.read_gis` returns them (indexed by feature id).
    source
        The file's name, for messages and default sources.
    group
        The group of new zones whose feature has none.

    Returns
    -------
    ImportResult

    Raises
    ------
    ImportFileError
        Any feature cannot be imported (no zone id or first day, a bad id, a duplicate, an
        overlap, a bad outline); every problem is listed and nothing is imported.
    """
    from geo.errors import DataError, ImportFileError, Report

    report = Report()
    name = Path(source).name
    default_group = group or _file_slug(name)
    has_valid_to = "valid_to" in incoming.columns
    items: list[tuple[Any, str, dt.date, Any]] = []
    seen: dict[str, Any] = {}
    for fid, row in incoming.iterrows():
        where = f"feature {fid}"
        raw_id = row.get("zone_id")
        zone_id = "" if _missing(raw_id) else str(raw_id).strip().lower()
        if not zone_id:
            report.error(
                source,
                where,
                "no zone id: give the field that holds it (--id-field)",
                "missing-property",
            )
            continue
        where = f"feature {fid} (zone_id={zone_id})"
        if not schema.SLUG_RE.match(zone_id):
            report.error(
                source,
                where,
                f"zone id {zone_id!r} must be a lower-case slug of letters, digits and "
                "hyphens, such as 'eastern-ghouta'",
                "bad-slug",
            )
            continue
        start = row.get("valid_from")
        if _missing(start):
            report.error(
                source,
                where,
                "no first day (valid_from): give the field that holds it (--valid-from-field)",
                "missing-property",
            )
            continue
        vid = version_id(zone_id, start)
        if vid in seen:
            report.error(
                source,
                where,
                f"a second feature for version {vid} (also feature {seen[vid]}); keep one",
                "duplicate-version",
            )
            continue
        seen[vid] = fid
        items.append((fid, zone_id, start, row))

    known = set(zones["zone_id"])
    existing_ids = set(zones["version_id"])
    out = zones
    added: list[str] = []
    replaced: list[str] = []
    unchanged: list[str] = []
    new_rows: list[dict[str, Any]] = []
    items.sort(key=lambda item: (item[1], item[2]))
    by_new_zone: dict[str, list[tuple[Any, str, dt.date, Any]]] = {}
    for fid, zone_id, start, row in items:
        if zone_id not in known:
            by_new_zone.setdefault(zone_id, []).append((fid, zone_id, start, row))
            continue
        where = f"feature {fid} (zone_id={zone_id})"
        vid = version_id(zone_id, start)
        geom = row.geometry
        try:
            if vid in existing_ids:
                i = out.index[out["version_id"] == vid][0]
                changed = False
                snapped = snap_outline(geom)
                if not shapely.equals(snapped, out.geometry[i]):
                    out = replace_geometry(out, vid, snapped)
                    changed = True
                if has_valid_to:
                    end = None if _missing(row.get("valid_to")) else row.get("valid_to")
                    if end != day_of(out.at[i, "valid_to"]):
                        out = set_version_attributes(out, vid, valid_to=end)
                        changed = True
                (replaced if changed else unchanged).append(vid)
            else:
                out = add_version(
                    out,
                    zone_id,
                    snap_outline(geom),
                    valid_from=start,
                    valid_to=None if _missing(row.get("valid_to")) else row.get("valid_to"),
                    source=_text(row, "boundary_source") or f"Imported from {name}, feature {fid}",
                    accuracy=_text(row, "accuracy") or "approximate",
                    notes=_text(row, "notes"),
                )
                added.append(vid)
        except (DataError, UsageError) as exc:
            _relocate(report, exc, source, where)
    for zone_id, versions in by_new_zone.items():
        for k, (fid, _, start, row) in enumerate(versions):
            where = f"feature {fid} (zone_id={zone_id})"
            end = None if _missing(row.get("valid_to")) else row.get("valid_to")
            if end is None and k + 1 < len(versions):
                end = versions[k + 1][2]  # closed by the zone's next version in the file
            try:
                values = _new_version_values(
                    row, zone_id, start, end, fid, name, default_group, versions[0][3]
                )
            except (DataError, UsageError) as exc:
                _relocate(report, exc, source, where)
                continue
            new_rows.append(values)
            added.append(values["version_id"])
    if report.errors:
        n = len(report.errors)
        raise ImportFileError(
            f"{source}: {n} problem{'s' * (n != 1)} in the features; nothing was imported",
            report.problems,
        )
    if new_rows:
        out = _appended(out, new_rows)
    return ImportResult(
        zones=out,
        zones_added=tuple(by_new_zone),
        versions_added=tuple(added),
        versions_replaced=tuple(replaced),
        versions_unchanged=tuple(unchanged),
    )


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text(row: Any, column: str) -> str:
    value = row.get(column)
    return "" if _missing(value) else str(value).strip()


def _file_slug(name: str) -> str:
    stem = Path(name).name.split(".")[0].lower()
    slug = "-".join(p for p in "".join(c if c.isalnum() else " " for c in stem).split() if p)
    return slug if slug and schema.SLUG_RE.match(slug) else "imported"


def _relocate(report: Any, exc: Exception, source: str, where: str) -> None:
    """Record an edit error as a problem of the GIS feature that caused it."""
    problems = getattr(exc, "problems", None)
    if problems:
        for p in problems:
            report.error(source, where, p.message, p.code)
    else:
        report.error(source, where, str(exc), "refused")


def _new_version_values(
    row: Any,
    zone_id: str,
    start: dt.date,
    end: dt.date | None,
    fid: Any,
    name: str,
    default_group: str,
    first: Any,
) -> dict[str, Any]:
    vid = version_id(zone_id, start)
    zone_name = _text(first, "name")
    if not zone_name:
        raise UsageError("a new zone needs a name: give the field that holds it (--name-field)")
    group = _text(first, "group") or default_group
    _slug(group, "group")
    _check_order(zone_id, vid, start, end)
    return {
        "zone_id": zone_id,
        "version_id": vid,
        "name": zone_name,
        "name_ar": _text(first, "name_ar"),
        "group": group,
        "valid_from": day_start(start),
        "valid_to": day_start(end),
        "accuracy": _accuracy(_text(row, "accuracy") or "approximate"),
        "boundary_source": _text(row, "boundary_source") or f"Imported from {name}, feature {fid}",
        "notes": _text(row, "notes"),
        "feature": -1,
        "geometry": _polygonal(snap_outline(row.geometry), _where(zone_id, vid)),
    }


def _appended(zones: gpd.GeoDataFrame, rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """A copy of ``zones`` with many new rows at the end (one concatenation)."""
    geometry_name = zones.geometry.name
    frame = pd.DataFrame(
        [{c: r.get(c) for c in zones.columns if c != geometry_name} for r in rows],
        columns=[c for c in zones.columns if c != geometry_name],
    )
    frame[geometry_name] = [r["geometry"] for r in rows]
    new = gpd.GeoDataFrame(frame, geometry=geometry_name, crs=zones.crs)[list(zones.columns)]
    out = gpd.GeoDataFrame(
        pd.concat([zones, new], ignore_index=True), geometry=geometry_name, crs=zones.crs
    )
    for col in zones.columns:
        if col != geometry_name and out[col].dtype != zones[col].dtype:
            out[col] = out[col].astype(zones[col].dtype)
    return renumber(out)
