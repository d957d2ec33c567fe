"""Loading dezmap's data files into typed frames, and writing files safely.

Loaders validate first (with :mod:`geo.validate`) and build their frames from the validated
records, so that what the app shows is exactly what the validator passed. A file with errors
raises a :class:`~geo.errors.DataError` that carries every problem.

Instants are ``datetime64[ns, UTC]``; a date without a time of day stands for the day in
Damascus, so it starts at local midnight (see :mod:`geo.schema`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from geo import schema
from geo.config import AGREEMENTS_FILE, VIOLATIONS_FILE, ZONES_FILE, default_data_dir
from geo.errors import DataError, Problem, RecordError, Report, ZoneFileError
from geo.validate import (
    ZonesCheck,
    ZoneVersion,
    check_agreements_bytes,
    check_violation_zones,
    check_violations_bytes,
    check_zones_text,
    validate_dataset,
)
from geo.validate.files import UnreadableFile, read_data_file
from geo.validate.text import NotUtf8Error, decode_utf8

CRS = "EPSG:4326"
BUNDLED = "bundled"

# the zone properties, with each version's name after the zone's, then its feature and outline
ZONE_FRAME_COLUMNS = [
    schema.ZONE_PROPERTIES[0],  # zone_id
    "version_id",
    *schema.ZONE_PROPERTIES[1:],
    "feature",
    "geometry",
]
AGREEMENT_FRAME_COLUMNS = list(schema.AGREEMENT_COLUMNS)
# the CSV columns, with the end of each incident's interval after its start, then where the
# record came from and its point
VIOLATION_FRAME_COLUMNS = [
    *schema.VIOLATION_COLUMNS[:2],  # violation_id, occurred
    "occurred_end",
    *schema.VIOLATION_COLUMNS[2:],
    "dataset",
    "geometry",
]


# --- frames from validated records -----------------------------------------------------------


def _utc(values: Iterable[Any]) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True), dtype="datetime64[ns, UTC]")


def zones_frame(versions: list[ZoneVersion]) -> gpd.GeoDataFrame:
    """Build the zones GeoDataFrame (one row per boundary version) from validated versions."""
    rows = [
        {
            "zone_id": v.zone_id,
            "version_id": v.version_id,
            "name": v.name,
            "name_ar": v.name_ar,
            "group": v.group,
            "valid_from": schema.local_midnight(v.valid_from),
            "valid_to": schema.local_midnight(v.valid_to) if v.valid_to else None,
            "accuracy": v.accuracy,
            "boundary_source": v.boundary_source,
            "notes": v.notes,
            "feature": v.feature,
            "geometry": v.geometry,
        }
        for v in versions
    ]
    frame = pd.DataFrame(rows, columns=ZONE_FRAME_COLUMNS)
    frame["valid_from"] = _utc(frame["valid_from"])
    frame["valid_to"] = _utc(frame["valid_to"])
    frame["feature"] = frame["feature"].astype("int64")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS)


def agreements_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Build the agreements DataFrame from validated records."""
    frame = pd.DataFrame(records, columns=AGREEMENT_FRAME_COLUMNS)
    frame["signed"] = _utc(schema.local_midnight(d) if d else None for d in frame["signed"])
    frame["effective_from"] = _utc(frame["effective_from"])
    frame["effective_to"] = _utc(frame["effective_to"])
    frame["zone_ids"] = [tuple(z) for z in frame["zone_ids"]]
    return frame


def violations_frame(records: list[dict[str, Any]], dataset: str = BUNDLED) -> gpd.GeoDataFrame:
    """Build the violations GeoDataFrame (points) from validated records."""
    frame = pd.DataFrame(records, columns=VIOLATION_FRAME_COLUMNS[:-2])
    frame["occurred"] = _utc(frame["occurred"])
    frame["occurred_end"] = _utc(frame["occurred_end"])
    frame["lat"] = frame["lat"].astype("float64")
    frame["lon"] = frame["lon"].astype("float64")
    frame["casualties"] = frame["casualties"].astype("Int64")
    # the linked agreements as the CSV writes them ("a;b"), so that the column is plain text
    # like zone_id in every frame, export and imported set
    frame["agreement_ids"] = [
        ";".join(ids) if isinstance(ids, list | tuple) else (ids or "")
        for ids in frame["agreement_ids"]
    ]
    frame["dataset"] = dataset
    geometry = gpd.points_from_xy(frame["lon"], frame["lat"], crs=CRS)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)


# --- single files ----------------------------------------------------------------------------


def _raise_if_errors(report: Report, path: str, error: type[DataError]) -> None:
    if report.errors:
        n = len(report.errors)
        raise error(
            f"{path}: {n} error{'s' * (n != 1)}; run `dezmap validate {path}` for the full report",
            report.problems,
        )


def read_zones(path: str | Path) -> gpd.GeoDataFrame:
    """Read a zones GeoJSON file into a GeoDataFrame, one row per boundary version.

    Raises
    ------
    ZoneFileError
        If the file has errors; ``.problems`` lists them all.
    """
    check, _ = _check_geojson_file(path, "zones", ZoneFileError)
    return zones_frame(check.versions)


def _check_geojson_file(
    path: str | Path, kind: Literal["zones", "layer"], error: type[DataError]
) -> tuple[ZonesCheck, Report]:
    """Read and check a GeoJSON file; raise ``error`` with every problem if it has errors."""
    shown = str(path)
    report = Report()
    data = _read_bytes(path, error)
    try:
        text = decode_utf8(data)
    except NotUtf8Error as exc:
        raise error(f"{shown}: cannot be read: {exc}") from None
    check = check_zones_text(text, shown, report, kind=kind)
    _raise_if_errors(report, shown, error)
    return check, report


def read_agreements(path: str | Path, *, zone_ids: set[str] | None = None) -> pd.DataFrame:
    """Read an agreements CSV file into a DataFrame.

    Raises
    ------
    RecordError
        If the file has errors; ``.problems`` lists them all.
    """
    shown = str(path)
    report = Report()
    data = _read_bytes(path, RecordError)
    records = check_agreements_bytes(data, shown, report, zone_ids=zone_ids)
    _raise_if_errors(report, shown, RecordError)
    return agreements_frame(records)


def read_violations(
    path: str | Path, *, zones: gpd.GeoDataFrame | None = None, dataset: str = BUNDLED
) -> gpd.GeoDataFrame:
    """Read a violations CSV file into a GeoDataFrame of points.

    ``zones``, when given, is used to check zone references and positions.

    Raises
    ------
    RecordError
        If the file has errors; ``.problems`` lists them all.
    """
    shown = str(path)
    report = Report()
    data = _read_bytes(path, RecordError)
    zone_ids = set(zones["zone_id"]) if zones is not None else None
    records = check_violations_bytes(data, shown, report, zone_ids=zone_ids)
    if zones is not None:
        check_violation_zones(records, _versions_of(zones), shown, report)
    _raise_if_errors(report, shown, RecordError)
    return violations_frame(records, dataset)


def _versions_of(zones: gpd.GeoDataFrame) -> list[ZoneVersion]:
    local = zones["valid_from"].dt.tz_convert(schema.DAMASCUS).dt.date
    local_to = zones["valid_to"].dt.tz_convert(schema.DAMASCUS).dt.date
    return [
        ZoneVersion(
            zone_id=row.zone_id,
            name=row.name,
            name_ar=row.name_ar,
            group=row.group,
            valid_from=vf,
            valid_to=None if pd.isna(vt) else vt,
            accuracy=row.accuracy,
            boundary_source=row.boundary_source,
            notes=row.notes,
            geometry=row.geometry,
            feature=row.feature,
            where=f"feature {row.feature} (zone_id={row.zone_id})",
        )
        for row, vf, vt in zip(zones.itertuples(), local, local_to, strict=True)
    ]


def _read_bytes(path: str | Path, error: type[DataError]) -> bytes:
    """The file's bytes; a path that is not a readable data file raises ``error`` saying why."""
    try:
        return read_data_file(path)
    except UnreadableFile as exc:
        raise error(str(exc), [Problem(str(path), "", "error", exc.reason, "unreadable")]) from None


# --- data folders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """The bundled data of one folder: zones, agreements and violations, validated together."""

    data_dir: Path
    zones: gpd.GeoDataFrame
    agreements: pd.DataFrame
    violations: gpd.GeoDataFrame
    report: Report = field(default_factory=Report)


def load_dataset(data_dir: str | Path | None = None) -> Dataset:
    """Validate and load a data folder.

    Parameters
    ----------
    data_dir
        The folder with ``zones.geojson``, ``agreements.csv`` and ``violations.csv``;
        :func:`default_data_dir` when None.

    Returns
    -------
    Dataset
        The frames, with the validation report (warnings only).

    Raises
    ------
    DataError
        If any file has errors; ``.problems`` lists every problem.
    """
    base = Path(data_dir) if data_dir is not None else default_data_dir()
    if not base.is_dir():
        raise DataError(
            f"{base}: no such data folder; pass a folder holding {ZONES_FILE}, "
            f"{AGREEMENTS_FILE} and {VIOLATIONS_FILE}"
        )
    checked = validate_dataset(base)
    if checked.report.errors:
        n = len(checked.report.errors)
        raise DataError(
            f"{base}: {n} error{'s' * (n != 1)} in the data; run "
            f"`dezmap validate --data {base}` for the full report",
            checked.report.problems,
        )
    assert checked.zones is not None
    return Dataset(
        data_dir=base,
        zones=zones_frame(checked.zones.versions),
        agreements=agreements_frame(checked.agreements),
        violations=violations_frame(checked.violations),
        report=checked.report,
    )


# --- reference layers ------------------------------------------------------------------------


def read_layer(path: str | Path) -> tuple[gpd.GeoDataFrame, Report]:
    """Read a polygon GeoJSON file as a reference layer (administrative boundaries).

    The file gets every GeoJSON and geometry check (not the zone rules). Returns the layer
    (feature properties as columns) and the report, whose warnings (winding, a legacy ``crs``)
    do not stop it.

    Raises
    ------
    GeometryError
        If the file has errors.
    """
    from geo.errors import GeometryError

    check, report = _check_geojson_file(path, "layer", GeometryError)
    rows = [dict(info.properties or {}) for info in check.features]
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(index=range(len(check.features)))
    geometry = [info.geometry for info in check.features]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS), report
