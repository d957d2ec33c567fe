"""What a view shows, and the selection that follows from it.

A :class:`View` is everything a user chooses: the instant, the window before it (whole days),
the focused zone, the zones shown, the incident filters (kinds, alleged perpetrators' actor
families, data sets), the search text of the tables, the base map and, optionally, an
extent. Its text form is the app's permalink query string
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
from geo.actors import FAMILIES, actor_families, family_label
from geo.errors import UsageError
from geo.filters import busiest_instant, incident_mask, search
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
PARAMS = ("at", "window", "zone", *LIST_FIELDS, "q", "base", "bbox")
#: The longest search text a view keeps (a longer one is cut, with a note).
MAX_QUERY_CHARS = 200
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
        Whole days before ``at`` in which incidents count.
    zone
        The focused zone (the map zooms to it, the Zone page shows it), or None.
    kinds, perpetrators, datasets
        Incident filters; empty means "any". ``perpetrators`` are actor family ids
        (:data:`geo.actors.FAMILIES`).
    zones
        Only these zones are shown; empty means all.
    q
        Search text for the record tables (every word must appear; see
        :func:`geo.filters.search`); empty means no search.
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
    q: str = ""
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
        if self.q:
            out["q"] = self.q
        if self.base != "none":
            out["base"] = self.base
        if self.bbox is not None:
            out["bbox"] = ",".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in self.bbox)
        return out

    def query(self) -> str:
        """The permalink query string (without ``?``), as the app's address bar shows it."""
        return "&".join(
            f"{k}={quote(v, safe='' if k == 'q' else ':,')}" for k, v in self.params().items()
        )

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
        window = _whole_days(params["window"])
        if window is None:
            notes.append(
                f"window: {params['window']!r} is not a whole number of days from 1 to "
                f"{MAX_WINDOW_DAYS:g}"
            )
        else:
            values["window"] = window
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
        if name == "perpetrators":
            asked = _families_of(asked, known, notes)
            allowed = list(FAMILIES)
        else:
            allowed = known[name]
        unknown = [v for v in asked if v not in allowed]
        for value in unknown:
            what = "an actor family" if name == "perpetrators" else "in the data"
            notes.append(
                f"{name}: {value!r} is not {what}"
                f"{schema.suggest(value, allowed) or _listing(allowed)}; it is ignored"
            )
        kept = tuple(v for v in asked if v in allowed)
        if kept:
            values[name] = kept
    if params.get("q", "").strip():
        text = " ".join(params["q"].split())
        if len(text) > MAX_QUERY_CHARS:
            notes.append(f"q: the search text is cut to its first {MAX_QUERY_CHARS} characters")
            text = text[:MAX_QUERY_CHARS].rstrip()
        values["q"] = text
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


def _whole_days(text: str) -> int | None:
    """A window length: a whole number of days from 1 to :data:`MAX_WINDOW_DAYS`, or None."""
    try:
        days = float(text)
    except ValueError:
        return None
    if not (1 <= days <= MAX_WINDOW_DAYS) or days != int(days):  # NaN fails too
        return None
    return int(days)


def _families_of(asked: list[str], known: dict[str, list[str]], notes: list[str]) -> list[str]:
    """Perpetrator values as family ids.

    A reported wording (older addresses named those) becomes its families, with a note.
    """
    out: list[str] = []
    wordings = set(known.get("perpetrator_wordings", ()))
    for value in asked:
        if value in FAMILIES or value not in wordings:
            out.append(value)
            continue
        families = actor_families(value)
        labels = ", ".join(family_label(f) for f in families)
        notes.append(f"perpetrators: {value!r} is read as its actor family: {labels}")
        out.extend(families)
    return list(dict.fromkeys(out))


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

    ``kinds`` sorted, ``perpetrators`` the actor families the data's incidents name (in
    :data:`geo.actors.FAMILIES` order), ``datasets`` bundled first, ``zones`` in the data's
    order; ``perpetrator_wordings`` the reported wordings, most frequent first.
    """
    from geo.actors import present_families
    from geo.datasets import dataset_names

    incidents = timeline.incidents
    wordings = list(incidents["alleged_perpetrator"].astype(str).value_counts().index)
    return {
        "kinds": sorted(incidents["kind"].astype(str).unique()),
        "perpetrators": present_families(wordings),
        "perpetrator_wordings": wordings,
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
        """Every agreement of the chosen data sets that names a zone shown (Records page).

        The view's search text (``q``) applies: see :data:`AGREEMENT_SEARCH`.
        """
        frame = self.timeline.agreements.frame
        if self.view.zones:
            wanted = set(self.view.zones)
            frame = frame[frame["zone_ids"].map(lambda z: bool(set(z) & wanted))]
        if self.view.q:
            names = zone_names(self.timeline)
            haystack = frame.assign(
                zone_names=frame["zone_ids"].map(lambda z: " ".join(names.get(i, i) for i in z))
            )
            frame = frame.loc[search(haystack, self.view.q, AGREEMENT_SEARCH).index]
        return frame

    def incident_records(
        self, scope: str = "window", *, places: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Incidents for tables: those of the window (``"window"``) or all (``"all"``).

        Each incident appears once, with ``zones`` (the zones it counts for here) and
        ``actor_families`` (the families its reported perpetrator names, a tuple of ids);
        with ``"all"`` they carry what the join found
        (:func:`geo.timemodel.annotate_incidents`). The view's search text (``q``) applies:
        see :data:`INCIDENT_SEARCH`. With a gazetteer (``places``,
        :func:`geo.places.load_places`), the search also finds an incident by the English
        or Arabic name of the town at its position (``دوما`` finds the Douma reports).
        """
        if scope == "window":
            zones = self.incidents.groupby(["dataset", "violation_id"], sort=False)[
                "zone_id_matched"
            ].agg(tuple)
            records = self.records
            keys = pd.MultiIndex.from_arrays([records["dataset"], records["violation_id"]])
            incidents = records.assign(zones=list(zones.reindex(keys)) if len(records) else [])
        elif scope == "all":
            incidents = annotate_incidents(self.timeline)
            if self.mask is not None:
                incidents = incidents[self.mask]
            if self.view.zones:
                wanted = set(self.view.zones)
                incidents = incidents[incidents["zones"].map(lambda z: bool(set(z) & wanted))]
        else:
            raise UsageError(f"scope must be 'window' or 'all', not {scope!r}")
        incidents = incidents.assign(
            actor_families=incidents["alleged_perpetrator"].map(actor_families)
        )
        if self.view.q:
            names = zone_names(self.timeline)
            haystack = incidents.assign(
                zone_names=incidents["zones"].map(lambda z: " ".join(names.get(i, i) for i in z)),
                actor_families=incidents["actor_families"].map(
                    lambda f: " ".join(family_label(x) for x in f)
                ),
                place_names=town_names(incidents, places),
            )
            incidents = incidents.loc[search(haystack, self.view.q, INCIDENT_SEARCH).index]
        return incidents


#: Columns the search text of a view looks in: agreements (``zone_names`` holds the English
#: and Arabic names of the zones they name).
AGREEMENT_SEARCH = (
    "agreement_id",
    "title",
    "kind",
    "parties",
    "guarantors",
    "terms",
    "outcome",
    "source",
    "zone_names",
)
#: Columns the search text of a view looks in: incidents (``zone_names`` as for agreements,
#: ``actor_families`` the families' labels).
INCIDENT_SEARCH = (
    "violation_id",
    "place",
    "kind",
    "alleged_perpetrator",
    "actor_families",
    "reported_by",
    "summary",
    "source",
    "dataset",
    "zone_names",
    "place_names",
)
#: Decimals of latitude and longitude at which an incident lies at a gazetteer town (about
#: 10 m): the bundled reports at ``town`` precision use the towns' OCHA points.
_TOWN_DECIMALS = 4


def town_names(incidents: pd.DataFrame, places: pd.DataFrame | None) -> list[str]:
    """For each incident, the English and Arabic names of the gazetteer town at its point.

    ``""`` where no town of ``places`` lies at the incident's position (or without a
    gazetteer).
    """
    if places is None or places.empty or incidents.empty:
        return [""] * len(incidents)
    names: dict[tuple[float, float], str] = {}
    town_lats = places["lat"].to_numpy(dtype=float).round(_TOWN_DECIMALS)
    town_lons = places["lon"].to_numpy(dtype=float).round(_TOWN_DECIMALS)
    for en, ar, lat, lon in zip(
        places["name_en"], places["name_ar"], town_lats, town_lons, strict=True
    ):
        key = (float(lat), float(lon))
        names[key] = " ".join(filter(None, [names.get(key, ""), str(en), str(ar)]))
    lats = incidents["lat"].to_numpy(dtype=float).round(_TOWN_DECIMALS)
    lons = incidents["lon"].to_numpy(dtype=float).round(_TOWN_DECIMALS)
    return [names.get((float(a), float(b)), "") for a, b in zip(lats, lons, strict=True)]


def zone_names(timeline: Timeline) -> dict[str, str]:
    """Zone id -> its English and Arabic names (every version's), for search."""
    versions = timeline.zones.versions
    out: dict[str, list[str]] = {}
    for zone_id, name, name_ar in zip(
        versions["zone_id"], versions["name"], versions["name_ar"], strict=True
    ):
        names = out.setdefault(str(zone_id), [str(zone_id)])
        for text in (name, name_ar):
            if isinstance(text, str) and text and text not in names:
                names.append(text)
    return {z: " ".join(n) for z, n in out.items()}


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
    """The zone a one-zone page shows.

    The focused zone; without one, the first local zone (not the national extent) that
    exists at the view's instant, else the first zone that exists then (the national
    extent), else the first local zone.
    """
    if view.zone:
        return view.zone
    ids = list(timeline.zones.zone_ids)
    local = [z for z in ids if z != NATIONWIDE] or ids
    versions = timeline.zones.versions
    existing = set(versions.iloc[timeline.zones.valid_at(int(view.at.value))]["zone_id"])
    return next((z for z in [*local, *ids] if z in existing), local[0])


def nearest_instant(timeline: Timeline, zone_id: str, at: pd.Timestamp) -> pd.Timestamp | None:
    """The instant nearest ``at`` at which a zone exists; None when it exists at ``at``.

    The answer is noon (Damascus time) of the zone's first day after ``at`` or of its last
    day before it, whichever is nearer, so that the page lands on a whole day of the zone.

    Raises
    ------
    UsageError
        For a zone the timeline does not have.
    """
    from geo.filters import local_instant

    versions = timeline.zones.versions
    mine = versions[versions["zone_id"] == zone_id]
    if mine.empty:
        raise UsageError(f"no zone {zone_id!r}{schema.suggest(zone_id, list(versions['zone_id']))}")
    t = as_instant(at)
    candidates: list[pd.Timestamp] = []
    for start, end in zip(mine["valid_from"], mine["valid_to"], strict=True):
        if start <= t and (pd.isna(end) or t < end):
            return None
        if start > t:
            first = start.tz_convert(schema.DAMASCUS).date()
            noon = local_instant(first, 12)
            candidates.append(noon if pd.isna(end) or noon < end else start)
        elif not pd.isna(end):
            last = (end - pd.Timedelta(microseconds=1)).tz_convert(schema.DAMASCUS).date()
            noon = local_instant(last, 12)
            candidates.append(noon if start <= noon < end else start)
    if not candidates:  # pragma: no cover - a zone has at least one version
        return None
    return min(candidates, key=lambda c: abs(c - t))


def describe_filters(view: View, timeline: Timeline, *, search_text: bool = False) -> str:
    """The active filters of a view in words, for the line above a map or a table.

    ``Showing: shelling only; perpetrators: Russian forces; zones: Idlib``; without any
    filter ``Showing: every incident in every zone``. With ``search_text``, the view's
    search text is named too.
    """
    versions = timeline.zones.versions
    names = dict(zip(versions["zone_id"], versions["name"], strict=True))
    parts = [f"{_words(view.kinds)} only"] if view.kinds else []
    if view.perpetrators:
        parts.append("perpetrators: " + ", ".join(family_label(f) for f in view.perpetrators))
    if view.datasets:
        parts.append("data sets: " + ", ".join(view.datasets))
    if view.zones:
        parts.append("zones: " + ", ".join(str(names.get(z, z)) for z in view.zones))
    if search_text and view.q:
        parts.append(f"search: {view.q!r}")
    if not parts:
        return "Showing: every incident in every zone"
    return "Showing: " + "; ".join(parts)


def active_filters(view: View, timeline: Timeline) -> str | None:
    """The filters that hide incidents or zones, in words (for a map's legend); None if none.

    ``shelling only; zones: Idlib``: :func:`describe_filters` without its "Showing:".
    """
    if not is_filtered(view):
        return None
    return describe_filters(view, timeline).removeprefix("Showing: ")


def _words(values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return values[0]
    return ", ".join(values[:-1]) + " and " + values[-1]


def is_filtered(view: View) -> bool:
    """Whether a view hides any incident or zone (kinds, perpetrators, data sets, zones)."""
    return any(getattr(view, name) for name in LIST_FIELDS)


def default_view(timeline: Timeline) -> View:
    """The view an address without parameters opens: the busiest instant, everything shown."""
    return View(at=busiest_instant(timeline))


def with_changes(view: View, **changes: Any) -> View:
    """A copy of ``view`` with some fields changed (for callbacks and the command line)."""
    return replace(view, **changes)
