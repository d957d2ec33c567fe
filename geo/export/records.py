"""Exporting records: the current selection as CSV or GeoJSON, written safely.

Every instant leaves dezmap in Damascus time with its UTC offset, and as precise as it is
known (:func:`local_iso`): ``2017-07-22T12:00+03:00`` for an instant known to the minute,
``2017-07-22`` for a day, ``2017-07`` for a month. Tables on screen, the CSV and GeoJSON
downloads and the command line's text and JSON all use it, so a reader never copies a UTC
date that is a day early.
"""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import pandas as pd

from geo import schema

_LIST_COLUMNS = ("zone_ids", "zones", "agreements", "actor_families")
#: Precisions that :func:`local_iso` prints as a date or part of one.
_DATE_FORMATS = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
#: Columns that always hold a Damascus day (their instant is its first moment).
DAY_COLUMNS = ("signed", "valid_from", "valid_to", "date")
#: Columns whose precision is the row's ``date_precision``.
PRECISION_COLUMNS = ("occurred", "effective_from")


def local_iso(instant: object, precision: str | None = None) -> str:
    """An instant as Damascus local time with its offset, to the precision it is known.

    Parameters
    ----------
    instant
        An aware datetime or Timestamp (a date is taken as that Damascus day); None or NaT
        gives ``""``.
    precision
        ``minute`` or ``hour`` (``2017-07-22T12:00+03:00``), ``day`` or ``week``
        (``2017-07-22``, the first day), ``month`` (``2017-07``) or ``year`` (``2017``).
        None: a day when the instant is a Damascus midnight, else to the minute.
    """
    if instant is None or instant is pd.NaT or (isinstance(instant, float) and instant != instant):
        return ""
    if isinstance(instant, dt.date) and not isinstance(instant, dt.datetime):
        return instant.isoformat()
    local = pd.Timestamp(instant)  # type: ignore[arg-type]  # an aware datetime or Timestamp
    if local.tzinfo is None:
        raise ValueError(f"{instant!r} has no UTC offset; dezmap's instants are aware")
    local = local.tz_convert(schema.DAMASCUS)
    if precision is None:
        precision = "day" if (local.hour, local.minute, local.second) == (0, 0, 0) else "minute"
    fmt = _DATE_FORMATS.get(str(precision))
    if fmt is not None:
        return local.strftime(fmt)
    return local.isoformat(timespec="minutes")


def local_instants(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every timezone-aware column as :func:`local_iso` text.

    ``occurred`` and ``effective_from`` follow the row's ``date_precision``; ``signed``,
    ``valid_from`` and ``valid_to`` are days; any other instant is a day when it is a
    Damascus midnight (an end given as a date), else to the minute.
    """
    out = frame.copy()
    precision = out["date_precision"] if "date_precision" in out.columns else None
    for column in out.columns:
        if not isinstance(out[column].dtype, pd.DatetimeTZDtype):
            continue
        values = out[column]
        if column in DAY_COLUMNS:
            text = [local_iso(t, "day") for t in values]
        elif column in PRECISION_COLUMNS and precision is not None:
            text = [local_iso(t, str(p)) for t, p in zip(values, precision, strict=True)]
        elif column == "occurred_end" and precision is not None:
            # the end of a day-, week- or month-precise interval is the next period's start
            text = [
                local_iso(t, "day" if str(p) in _DATE_FORMATS else None)
                for t, p in zip(values, precision, strict=True)
            ]
        else:
            text = [local_iso(t) for t in values]
        out[column] = pd.Series(text, index=out.index, dtype=object)
    return out


#: A spreadsheet reads a cell that starts with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix ``'`` to text a spreadsheet would run as a formula; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = local_instants(frame)
    for column in out.columns:
        if column in _LIST_COLUMNS:
            out[column] = out[column].map(
                lambda v: ";".join(v) if isinstance(v, tuple | list) else v
            )
    return out


def records_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with a byte-order mark, so that spreadsheets read Arabic right).

    Text cells that a spreadsheet would take for a formula (starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return) get a leading ``'``, so that opening the file
    never runs anything; numbers are written as they are.
    """
    data = _plain(frame.drop(columns=["geometry"], errors="ignore"))
    for column in data.columns:
        if data[column].dtype == object or isinstance(data[column].dtype, pd.StringDtype):
            data[column] = data[column].map(neutralise)
    data.columns = [neutralise(str(c)) for c in data.columns]
    # CRLF line ends (RFC 4180): a cell holding a carriage return is then quoted too
    return data.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def records_geojson(frame: gpd.GeoDataFrame) -> bytes:
    """An RFC 7946 FeatureCollection of the records (points for incidents)."""
    data = _plain(frame)
    if not isinstance(data, gpd.GeoDataFrame):
        data = gpd.GeoDataFrame(
            data, geometry=gpd.points_from_xy(data["lon"], data["lat"]), crs="EPSG:4326"
        )
    doc = json.loads(data.to_crs("EPSG:4326").to_json(drop_id=True, na="null"))
    doc.pop("crs", None)
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """A table for people: instants as :func:`local_iso` text, lists joined, no geometry.

    Actor families are shown by their labels (``Syrian government forces, Russian forces``).
    """
    from geo.actors import family_label

    out = local_instants(frame.drop(columns=["geometry"], errors="ignore"))
    for column in out.columns:
        if column == "actor_families":
            out[column] = out[column].map(
                lambda v: (
                    ", ".join(family_label(f) for f in v) if isinstance(v, tuple | list) else v
                )
            )
        elif column in _LIST_COLUMNS:
            out[column] = out[column].map(
                lambda v: ", ".join(v) if isinstance(v, tuple | list) else v
            )
    return out
