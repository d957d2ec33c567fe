"""The zones frame and its GeoJSON features: conversions shared by the editing modules.

The zones frame is what :func:`geo.io.read_zones` returns: one row per boundary version, with
``valid_from`` and ``valid_to`` as the UTC instants at which those Damascus days begin. A zones
file stores the days themselves (``"2018-03-11"``; ``""`` for an open end). These helpers turn
one into the other, and read zones text into a frame with the validator's rules.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import geopandas as gpd
import pandas as pd
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from geo import schema
from geo.errors import Report, UsageError, ZoneFileError

#: The zone frame's columns that are not zone properties in the file.
FRAME_ONLY = ("version_id", "feature", "geometry")

ZonesInput: TypeAlias = gpd.GeoDataFrame | Sequence[Mapping[str, Any]] | Mapping[str, Any]


def day_of(value: Any) -> dt.date | None:
    """The Damascus day of a frame value (instant, date or ``YYYY-MM-DD``); None when empty.

    Raises
    ------
    UsageError
        If the value is not a day.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return schema.parse_date(value.strip())
        except schema.ParseError as exc:
            raise UsageError(str(exc)) from None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        stamp = pd.Timestamp(value)
        if pd.isna(stamp):
            return None
        if stamp.tzinfo is None:
            return stamp.date()
        return stamp.tz_convert(schema.DAMASCUS).date()
    if isinstance(value, dt.date):
        return value
    raise UsageError(f"{value!r} is not a day; give a date such as 2018-03-11")


def day_start(day: dt.date | str | None) -> Any:
    """The UTC instant (``pd.Timestamp``) at which a Damascus day begins, as the frame holds it.

    ``pd.NaT`` for None or an empty string (an open end).
    """
    parsed = day_of(day)
    if parsed is None:
        return pd.NaT
    return pd.Timestamp(schema.local_midnight(parsed))


def version_id(zone_id: str, valid_from: dt.date) -> str:
    """The id of a boundary version: ``eastern-ghouta@2018-03-11``."""
    return f"{zone_id}@{valid_from.isoformat()}"


def _plain(value: Any) -> Any:
    """A JSON-friendly property value (None for missing)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()  # numpy scalars
    return value


def to_features(zones: ZonesInput) -> list[dict[str, Any]]:
    """GeoJSON features (dicts) of a zones frame, a FeatureCollection or a list of features.

    A frame's rows become features in order; ``valid_from``/``valid_to`` become days, an open
    ``valid_to`` the empty string; columns other than the zone properties (except
    ``version_id`` and ``feature``, which the file does not store) are kept as properties.
    Shapely geometries in features are turned into GeoJSON.

    Raises
    ------
    UsageError
        If the input is none of these.
    """
    if isinstance(zones, gpd.GeoDataFrame):
        return _frame_features(zones)
    if isinstance(zones, Mapping):
        if zones.get("type") != "FeatureCollection" or not isinstance(zones.get("features"), list):
            raise UsageError("zones must be a FeatureCollection, a list of features or a frame")
        zones = zones["features"]
    if isinstance(zones, str | bytes) or not isinstance(zones, Sequence):
        raise UsageError("zones must be a FeatureCollection, a list of features or a frame")
    out = []
    for feature in zones:
        if isinstance(feature, Mapping):
            feature = dict(feature)
            if isinstance(feature.get("geometry"), BaseGeometry):
                feature["geometry"] = mapping(feature["geometry"])
        out.append(feature)
    return out


def _frame_features(zones: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    geometry_name = zones.geometry.name
    extra = [
        c
        for c in zones.columns
        if c not in schema.ZONE_PROPERTIES and c not in FRAME_ONLY and c != geometry_name
    ]
    features = []
    for row in zones.to_dict("records"):
        props: dict[str, Any] = {}
        for name in schema.ZONE_PROPERTIES:
            if name not in row:
                continue
            value = row[name]
            if name in ("valid_from", "valid_to"):
                day = day_of(value)
                props[name] = day.isoformat() if day else ""
            else:
                value = _plain(value)
                props[name] = "" if value is None and name == "notes" else value
        for name in extra:
            value = _plain(row[name])
            if value is not None:
                props[name] = value
        geom = row[geometry_name]
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": mapping(geom) if geom is not None and not geom.is_empty else None,
            }
        )
    return features


def frame_from_text(text: str, shown: str) -> tuple[gpd.GeoDataFrame, Report]:
    """Validate zones text and build its frame (as :func:`geo.io.read_zones` does).

    Returns
    -------
    (GeoDataFrame, Report)
        The zones frame and the report (warnings only).

    Raises
    ------
    ZoneFileError
        If the text has errors; ``.problems`` lists them all.
    """
    from geo.io import zones_frame
    from geo.validate import check_zones_text

    report = Report()
    check = check_zones_text(text, shown, report, kind="zones")
    if report.errors:
        n = len(report.errors)
        raise ZoneFileError(
            f"{shown}: {n} error{'s' * (n != 1)}; run `dezmap validate` on it for the full report",
            report.problems,
        )
    return zones_frame(check.versions), report


def renumber(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy with a fresh index and ``feature`` = position (the feature number once saved)."""
    out = zones.reset_index(drop=True)
    if "feature" in out.columns:
        out["feature"] = pd.Series(range(len(out)), dtype="int64")
    return out
