"""Exporting records: the current selection as CSV or GeoJSON, written safely."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd

_LIST_COLUMNS = ("zone_ids", "zones", "agreements")
#: A spreadsheet reads a cell that starts with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix ``'`` to text a spreadsheet would run as a formula; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if column in _LIST_COLUMNS:
            out[column] = out[column].map(
                lambda v: ";".join(v) if isinstance(v, tuple | list) else v
            )
        elif isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].map(lambda t: t.isoformat() if pd.notna(t) else "")
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
    """A table for people: instants in Damascus time, lists joined, no geometry column."""
    from geo import schema

    out = frame.drop(columns=["geometry"], errors="ignore").copy()
    for column in out.columns:
        if column in _LIST_COLUMNS:
            out[column] = out[column].map(
                lambda v: ", ".join(v) if isinstance(v, tuple | list) else v
            )
        elif isinstance(out[column].dtype, pd.DatetimeTZDtype):
            local = out[column].dt.tz_convert(schema.DAMASCUS)
            out[column] = local.dt.strftime("%Y-%m-%d %H:%M").where(local.notna(), "")
    return out
