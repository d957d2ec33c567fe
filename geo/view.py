"""What a view shows, and the selection that follows from it.

A :class:`View` is everything a user chooses: the instant, the window before it, the focused
zone, the zones shown, the incident filters (kinds, alleged perpetrators, data sets), the base
map and, optionally, an extent. Its text form is the app's permalink query string
(``at=2017-07-22T12:00+03:00&window=7&zone=eastern-ghouta``): the address bar of the app,
``dezmap snapshot --view`` and the footer of a snapshot all use it.

:func:`select` applies a view to a :class:`~geo.timemodel.Timeline` and returns a
:class:`Scene`: the zones that exist at the instant with their status, the agreements in force
there and the incidents of the window. The Map page, the Records page and every snapshot are
drawn from a scene, so what a snapshot shows cannot differ from the screen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema
from geo.errors import UsageError
from geo.filters import busiest_instant, incident_mask
from geo.timemodel import (
    DEFAULT_WINDOW_DAYS,
    Timeline,
    annotate_incidents,
    as_instant,
    status_at,
    window_incidents,
)

Bounds = tuple[float, float, float, float]

#: Comma-separated list fields of a view, in the order they appear in a query string.
LIST_FIELDS = ("kinds", "perpetrators", "datasets", "zones")
#: The longest window a view may ask for (ten years).
MAX_WINDOW_DAYS = 3650.0
#: Base maps a view may name; ``none`` needs no network.
BASEMAP_NAMES = ("none", "osm", "carto")
#: Query parameters a view reads; anything else in an address is ignored.
PARAMS = ("at", "window", "zone", *LIST_FIELDS, "base", "bbox")
#: The zone that stands for the whole country (agreements of national scope name it).
NATIONWIDE = "syria-nationwide"
#: Margin around a focused zone's outlines, as a share of its size.
_FOCUS_MARGIN = 0.15


@dataclass(frozen=True)
class View:
    """Everything that decides what a page or a snapshot shows.

    Attributes
    ----------
    at
        The instant (UTC timestamp).
    window
        Days before ``at`` in which incidents count.
    zone
        The focused zone (the map zooms to it, the Zone page shows it), or None.
    kinds, perpetrators, datasets
        Incident filters; empty means "any".
    zones
        Only these zones are shown; empty means all.
    base
        Base map name (:data:`BASEMAP_NAMES`).
    bbox
        Extent (min lon, min lat, max lon, max lat), or None for the default extent.
    """

    at: pd.Timestamp
    window: float = DEFAULT_WINDOW_DAYS
    zone: str | None = None
    kinds: tuple[str, ...] = ()
    perpetrators: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    base: str = "none"
    bbox: Bounds | None = None

    def params(self) -> dict[str, str]:
        """The view as query parameters (defaults left out, except the instant)."""
        local = self.at.tz_convert(schema.DAMASCUS)
        out = {"at": local.isoformat(timespec="minutes")}
        if self.window != DEFAULT_WINDOW_DAYS:
            out["window"] = f"{self.window:g}"
        if self.zone:
            out["zone"] = self.zone
        for name in LIST_FIELDS:
            values = getattr(self, name)
            if values:
                out[name] = ",".join(values)
        if self.base != "none":
            out["base"] = self.base
        if self.bbox is not None:
            out["bbox"] = ",".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in self.bbox)
        return out

    def query(self) -> str:
        """The permalink query string (without ``?``), as the app's address bar shows it."""
        return "&".join(f"{k}={quote(v, safe=':,')}" for k, v in self.params().items())

    def permalink(self, base_url: str = "") -> str:
        """The address of this view: ``base_url`` (the app's address) followed by the query."""
        return f"{base_url.rstrip('?')}?{self.query()}"

    @classmethod
    def from_params(
        cls, params: Mapping[str, str] | str, timeline: Timeline
    ) -> tuple[View, list[str]]:
        """Read a view leniently: bad values fall back to defaults, each with a note.

        Parameters
        ----------
        params
            Query parameters, or a query string, or a whole address (``http://...?at=...``).
        timeline
            The data the view is of: zones and filter values are checked against it.

        Returns
        -------
        (View, list of str)
            The view, and one note per value that could not be used (``"zone: no zone 'x'"``).
        """
        return _read(_as_params(params), timeline)

    @classmethod
    def parse(cls, params: Mapping[str, str] | str, timeline: Timeline) -> View:
        """Read a view strictly (command line): any value that cannot be used is an error.

        Raises
        ------
        UsageError
            Naming every parameter that cannot be used and what to give instead.
        """
        view, notes = cls.from_params(params, timeline)
        if notes:
            raise UsageError("the view cannot be shown: " + "; ".join(notes))
        return view


def parse_query(text: str) -> dict[str, str]:
    """Query parameters from a query string or a whole address (the last value of each wins).

    Raises
    ------
    UsageError
        For text that holds no parameter of a view.
    """
    text = text.strip()
    if "?" in text or "://" in text:
        text = urlsplit(text).query
    pairs = parse_qsl(text.lstrip("?"), keep_blank_values=False)
    params = {k: v for k, v in pairs}
    if text and not params:
        raise UsageError(
            f"cannot read a view from {text[:80]!r}; give the app's address or its query "
            "string, e.g. 'at=2017-07-23T12:00&window=7&zone=eastern-ghouta'"
        )
    return params


def _as_params(params: Mapping[str, str] | str) -> dict[str, str]:
    if isinstance(params, str):
        return parse_query(params)
    return {str(k): str(v) for k, v in params.items()}


def _read(params: dict[str, str], timeline: Timeline) -> tuple[View, list[str]]:
    notes: list[str] = []
    values: dict[str, Any] = {"at": busiest_instant(timeline)}
    if params.get("at"):
        try:
            values["at"] = as_instant(params["at"])
        except UsageError as exc:
            notes.append(f"at: {exc}")
    if params.get("window"):
        try:
            window = float(params["window"])
            if not 0 < window <= MAX_WINDOW_DAYS:
                raise ValueError
            values["window"] = window
        except ValueError:
            notes.append(
                f"window: {params['window']!r} is not a number of days from 1 to "
                f"{MAX_WINDOW_DAYS:g}"
            )
    zone_ids = list(timeline.zones.zone_ids)
    zone = params.get("zone")
    if zone:
        if zone in zone_ids:
            values["zone"] = zone
        else:
            notes.append(f"zone: no zone {zone!r}{schema.suggest(zone, zone_ids)}")
    known = choices(timeline) if any(params.get(n) for n in LIST_FIELDS) else {}
    for name in LIST_FIELDS:
        if not params.get(name):
            continue
        asked = list(dict.fromkeys(v.strip() for v in params[name].split(",") if v.strip()))
        unknown = [v for v in asked if v not in known[name]]
        for value in unknown:
            notes.append(
                f"{name}: {value!r} is not in the data"
                f"{schema.suggest(value, known[name]) or _listing(known[name])}"
            )
        kept = tuple(v for v in asked if v in known[name])
        if kept:
            values[name] = kept
    if params.get("base"):
        if params["base"] in BASEMAP_NAMES:
            values["base"] = params["base"]
        else:
            notes.append(f"base: {params['base']!r} is not one of {', '.join(BASEMAP_NAMES)}")
    if params.get("bbox"):
        try:
            values["bbox"] = parse_bbox(params["bbox"])
        except UsageError as exc:
            notes.append(f"bbox: {exc}")
    return View(**values), notes


def _listing(values: list[str]) -> str:
    if not values:
        return " (the data has none)"
    shown = ", ".join(values[:12])
    return f" (the data has: {shown}{', ...' if len(values) > 12 else ''})"


def parse_bbox(text: str) -> Bounds:
    """Read ``MINLON,MINLAT,MAXLON,MAXLAT`` in degrees.

    Raises
    ------
    UsageError
        For anything but four finite numbers in that order within longitude and latitude range.
    """
    parts = [p.strip() for p in str(text).split(",")]
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 4 or not all(math.isfinite(v) for v in numbers):
        raise UsageError(
            f"{text!r} is not four numbers MINLON,MINLAT,MAXLON,MAXLAT, e.g. 35.5,32.3,37.0,34.0"
        )
    x0, y0, x1, y1 = numbers
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise UsageError(
            f"{text!r} is not MINLON,MINLAT,MAXLON,MAXLAT with min < max, longitudes in "
            "-180..180 and latitudes in -90..90"
        )
    return (x0, y0, x1, y1)


def choices(timeline: Timeline) -> dict[str, list[str]]:
    """The values each list field of a view may take in this data (for checks and widgets).

    ``kinds`` sorted, ``perpetrators`` most frequent first, ``datasets`` bundled first,
    ``zones`` in the data's order.
    """
    from geo.datasets import dataset_names

    incidents = timeline.incidents
    return {
        "kinds": sorted(incidents["kind"].astype(str).unique()),
        "perpetrators": list(incidents["alleged_perpetrator"].astype(str).value_counts().index),
        "datasets": dataset_names(timeline),
        "zones": list(timeline.zones.zone_ids),
    }


# --- the selection -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """What a view shows of a timeline (see :func:`select`).

    Attributes
    ----------
    view
        The view.
    timeline
        The timeline with only the chosen data sets' agreements (the join is kept).
    mask
        Boolean mask over ``timeline.incidents`` of the incidents the filters let through,
        or None when nothing is filtered.
    status
        One row per zone shown that exists at the instant (:func:`geo.timemodel.status_at`).
    incidents
        Incidents of the window matched to the zones that exist at the instant (and are shown),
        one row per (incident, zone) match, with ``zone_id_matched``; most recent first.
    """

    view: View
    timeline: Timeline
    mask: np.ndarray | None
    status: pd.DataFrame
    incidents: pd.DataFrame = field(repr=False)

    @cached_property
    def records(self) -> pd.DataFrame:
        """The incidents of the window, each once (what the map draws as markers)."""
        return self.incidents.drop_duplicates(["dataset", "violation_id"])

    @cached_property
    def agreements(self) -> pd.DataFrame:
        """The agreements in force in the zones shown, in order of entry into force."""
        ids = {a for agreements in self.status["agreements"] for a in agreements}
        frame = self.timeline.agreements.frame
        return frame[frame["agreement_id"].isin(ids)]

    @cached_property
    def zones(self) -> gpd.GeoDataFrame:
        """The zone versions shown, with their status columns and outline (EPSG:4326)."""
        versions = self.timeline.zones.versions
        cols = [c for c in versions.columns if c not in ("name", "name_ar", "zone_id")]
        merged = self.status.merge(versions[cols], on="version_id", how="left")
        return gpd.GeoDataFrame(merged, geometry="geometry", crs=versions.crs)

    def extent(self) -> Bounds:
        """The extent to draw: the view's bbox, else the focused zone, else every zone."""
        return extent(self.timeline, self.view)

    def agreement_records(self) -> pd.DataFrame:
        """Every agreement of the chosen data sets that names a zone shown (Records page)."""
        frame = self.timeline.agreements.frame
        if self.view.zones:
            wanted = set(self.view.zones)
            frame = frame[frame["zone_ids"].map(lambda z: bool(set(z) & wanted))]
        return frame

    def incident_records(self, scope: str = "window") -> pd.DataFrame:
        """Incidents for tables: those of the window (``"window"``) or all (``"all"``).

        Each incident appears once; with ``"all"`` they carry what the join found
        (:func:`geo.timemodel.annotate_incidents`).
        """
        if scope == "window":
            return self.records
        if scope != "all":
            raise UsageError(f"scope must be 'window' or 'all', not {scope!r}")
        incidents = annotate_incidents(self.timeline)
        if self.mask is not None:
            incidents = incidents[self.mask]
        if self.view.zones:
            wanted = set(self.view.zones)
            incidents = incidents[incidents["zones"].map(lambda z: bool(set(z) & wanted))]
        return incidents


def select(timeline: Timeline, view: View) -> Scene:
    """Apply a view to a timeline: statuses, agreements in force and incidents of the window.

    Parameters
    ----------
    timeline
        From :func:`geo.datasets.load_timeline` (or :func:`geo.timemodel.build_timeline`).
    view
        What to show.

    Returns
    -------
    Scene

    Raises
    ------
    UsageError
        If the view names a data set the timeline does not have.
    """
    shown = timeline
    if view.datasets:
        from geo.datasets import restrict

        shown = restrict(timeline, view.datasets)[0]
    mask = incident_mask(
        timeline.incidents, kinds=view.kinds, perpetrators=view.perpetrators, datasets=view.datasets
    )
    zone_ids = list(view.zones) or None
    status = status_at(
        shown, view.at, window_days=view.window, incident_mask=mask, zone_ids=zone_ids
    )
    incidents = window_incidents(shown, view.at, window_days=view.window, incident_mask=mask)
    if zone_ids:
        incidents = incidents[incidents["zone_id_matched"].isin(zone_ids)]
    return Scene(view=view, timeline=shown, mask=mask, status=status, incidents=incidents)


def extent(timeline: Timeline, view: View) -> Bounds:
    """The extent of a view: its bbox, else the focused zone's outlines, else every zone."""
    if view.bbox is not None:
        return view.bbox
    versions = timeline.zones.versions
    if view.zone:
        mine = versions[versions["zone_id"] == view.zone]
        if len(mine):
            x0, y0, x1, y1 = (float(v) for v in mine.total_bounds)
            pad = max(x1 - x0, y1 - y0, 0.02) * _FOCUS_MARGIN
            return (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    if view.zones:
        mine = versions[versions["zone_id"].isin(view.zones)]
        if len(mine):
            return tuple(float(v) for v in mine.total_bounds)  # type: ignore[return-value]
    return tuple(float(v) for v in versions.total_bounds)  # type: ignore[return-value]


def page_zone(timeline: Timeline, view: View) -> str:
    """The zone a one-zone page shows: the focused zone, else the first local zone."""
    if view.zone:
        return view.zone
    ids = list(timeline.zones.zone_ids)
    local = [z for z in ids if z != NATIONWIDE]
    return (local or ids)[0]


def default_view(timeline: Timeline) -> View:
    """The view an address without parameters opens: the busiest instant, everything shown."""
    return View(at=busiest_instant(timeline))


def with_changes(view: View, **changes: Any) -> View:
    """A copy of ``view`` with some fields changed (for callbacks and the command line)."""
    return replace(view, **changes)
