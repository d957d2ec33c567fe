"""The entry points of validation: files and data folders, and zones held in memory.

:func:`validate_paths` checks the files a user names (what ``dezmap validate`` runs);
:func:`validate_dataset` checks the three files of a data folder, cross-file references
included. Each file goes to the checks of its kind (:mod:`geo.validate.zones` for GeoJSON,
:mod:`geo.validate.records` for CSV).

:func:`check_zone_features` and :func:`check_zone_frame` check zones that are not (yet) in a
file, such as an unsaved edit, with the same zone rules, and optionally the agreements and
violations that refer to them; problems are placed by zone, version and vertex.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from geo.config import AGREEMENTS_FILE, VIOLATIONS_FILE, ZONES_FILE
from geo.errors import Report, UsageError
from geo.geojson import WGS84_NAMES
from geo.validate.files import UnreadableFile, check_path, read_data_file
from geo.validate.records import (
    Unread,
    check_agreements_bytes,
    check_violation_agreements,
    check_violation_zones,
    check_violations_bytes,
    check_zone_references,
)
from geo.validate.text import NotUtf8Error, decode_utf8
from geo.validate.zones import (
    MEMORY,
    FileKind,
    ZonesCheck,
    ZoneVersion,
    check_zones_text,
    read_zone_features,
    row_feature,
)

#: Records to check zone references of: a frame as :mod:`geo.io` reads them, or mappings.
Records = pd.DataFrame | Iterable[Mapping[str, Any]]
_AGREEMENT_FIELDS = ("agreement_id", "zone_ids")
_VIOLATION_FIELDS = ("violation_id", "zone_id", "occurred", "lat", "lon", "location_precision")


@dataclass
class ValidatedData:
    """What a validation run read: the report and the records that could be parsed."""

    report: Report
    zones: ZonesCheck | None = None
    agreements: list[dict[str, Any]] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)


def detect_kind(path: Path, data: bytes) -> FileKind | Literal["unknown"] | None:
    """Tell a file's kind from its name and, for CSV files, its header."""
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return None  # decided from content by check_zones_text
    if suffix in (".csv", ".txt", ".tsv"):
        head = decode_utf8(data[:4096], errors="replace").split("\n", 1)[0]
        if "violation_id" in head:
            return "violations"
        if "agreement_id" in head:
            return "agreements"
        name = path.name.lower()
        if name.startswith("violations"):
            return "violations"
        if name.startswith("agreements"):
            return "agreements"
    return "unknown"


def validate_dataset(data_dir: str | Path, *, display: str | None = None) -> ValidatedData:
    """Validate the three files of a data folder together, cross-references included.

    Parameters
    ----------
    data_dir
        The folder holding ``zones.geojson``, ``agreements.csv`` and ``violations.csv``.
    display
        How to name the folder in messages (defaults to the path as given).
    """
    base = Path(data_dir)
    shown = display if display is not None else str(base)
    files = [base / ZONES_FILE, base / AGREEMENTS_FILE, base / VIOLATIONS_FILE]
    result = ValidatedData(Report())
    present = []
    for f in files:
        try:
            check_path(f)
        except UnreadableFile as exc:
            if exc.code == "missing":
                result.report.error(
                    _join(shown, f.name),
                    "",
                    f"file not found; a data folder needs "
                    f"{ZONES_FILE}, {AGREEMENTS_FILE} and {VIOLATIONS_FILE}",
                    "missing-file",
                )
                continue
        present.append(f)  # anything else is refused, by what it is, when it is read
    return _validate_files(
        [(f, _join(shown, f.name)) for f in present],
        result,
        kinds={_join(shown, ZONES_FILE): "zones"},
    )


def validate_paths(
    paths: Sequence[str | Path], *, data_dir: str | Path | None = None
) -> ValidatedData:
    """Validate the named files; CSV zone references are checked against the zones given.

    When no zones file is among ``paths``, references are checked against ``data_dir``'s
    ``zones.geojson`` if there is one; likewise a violations file's ``agreement_ids`` against
    ``data_dir``'s ``agreements.csv`` when no agreements file is named.
    """
    result = ValidatedData(Report())
    pairs = [(Path(p), str(p)) for p in paths]
    extra_zones = extra_agreements = None
    names = {p.name.lower() for p, _ in pairs}
    if data_dir is not None and not any(n.endswith((".geojson", ".json")) for n in names):
        candidate = Path(data_dir) / ZONES_FILE
        if _readable(candidate):
            extra_zones = candidate
    if data_dir is not None:
        candidate = Path(data_dir) / AGREEMENTS_FILE
        if _readable(candidate):
            extra_agreements = candidate
    return _validate_files(
        pairs,
        result,
        kinds={},
        reference_zones=extra_zones,
        reference_agreements=extra_agreements,
    )


def _readable(path: Path) -> bool:
    """Whether a reference file (the data folder's zones or agreements) is a regular file."""
    try:
        check_path(path)
    except UnreadableFile:
        return False
    return True


def _join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}" if folder else name


def _validate_files(
    files: list[tuple[Path, str]],
    result: ValidatedData,
    *,
    kinds: dict[str, FileKind],
    reference_zones: Path | None = None,
    reference_agreements: Path | None = None,
) -> ValidatedData:
    report = result.report
    loaded: list[tuple[FileKind, str, bytes]] = []
    for path, shown in files:
        try:
            data = read_data_file(path)
        except UnreadableFile as exc:
            report.error(shown, "", exc.reason, "unreadable")
            continue
        kind = kinds.get(shown) or detect_kind(path, data)
        if kind == "unknown":
            report.error(
                shown,
                "",
                "cannot tell what this file holds: dezmap reads zones "
                "(.geojson) and agreements or violations (.csv, whose header starts "
                "with agreement_id or violation_id)",
                "unknown-kind",
            )
            continue
        loaded.append((kind, shown, data))  # type: ignore[arg-type]
    zone_versions: list[ZoneVersion] = []
    broken: set[str] = set()
    have_zones = False
    # A zones file that cannot be read as features (not JSON, not a collection) names no zone:
    # then no record's zones can be checked, and saying so for each record repeats one mistake.
    unreadable_zones = False
    for kind, shown, data in loaded:
        if kind in (None, "zones", "layer"):
            text = _decode_json(data, shown, report)
            if text is None:
                unreadable_zones |= kind == "zones"
                continue
            check = check_zones_text(text, shown, report, kind=kind)
            if check.kind == "zones":
                have_zones = True
                unreadable_zones |= not check.readable
                zone_versions.extend(check.versions)
                broken |= check.broken_zone_ids
                if result.zones is None:
                    result.zones = check
    if not have_zones and not unreadable_zones and reference_zones is not None:
        reference = _reference_zones(reference_zones)
        if reference is not None:
            zone_versions, have_zones = reference, True
    known_zones = have_zones and not unreadable_zones
    zone_ids = ({v.zone_id for v in zone_versions} | broken) if known_zones else None
    have_agreements = False
    unread = Unread()
    violation_files: list[tuple[str, list[dict[str, Any]]]] = []
    for kind, shown, data in loaded:
        if kind == "agreements":
            have_agreements = True
            result.agreements += check_agreements_bytes(
                data, shown, report, zone_ids=zone_ids, unread=unread
            )
        elif kind == "violations":
            records = check_violations_bytes(data, shown, report, zone_ids=zone_ids)
            check_violation_zones(records, zone_versions, shown, report, skip=broken)
            result.violations += records
            violation_files.append((shown, records))
    agreements = result.agreements
    if not have_agreements and reference_agreements is not None and violation_files:
        # the reference file's own problems belong to another run; only its ids are needed
        try:
            reference = read_data_file(reference_agreements)
        except UnreadableFile:
            reference = None
        if reference is not None:
            agreements = check_agreements_bytes(
                reference, str(reference_agreements), Report(), unread=unread
            )
            have_agreements = True
    if have_agreements and not unread.whole_file:
        for shown, records in violation_files:
            check_violation_agreements(records, agreements, shown, report, skip=unread.ids)
    return result


def _reference_zones(path: Path) -> list[ZoneVersion] | None:
    """The versions of the data folder's zones file, for the references of named CSV files.

    Its own problems belong to another run. None when it cannot be read as features.
    """
    try:
        data = read_data_file(path)
    except UnreadableFile:
        return None
    check = check_zones_text(decode_utf8(data, errors="replace"), str(path), Report(), kind="zones")
    return check.versions if check.readable else None


def _decode_json(data: bytes, shown: str, report: Report) -> str | None:
    try:
        return decode_utf8(data)
    except NotUtf8Error as exc:
        report.error(
            shown,
            f"line {exc.line}",
            f"the file is not UTF-8 (byte 0x{exc.byte:02x}); GeoJSON must be UTF-8: re-save it "
            "as UTF-8",
            "encoding",
        )
        return None


# --- zones in memory -------------------------------------------------------------------------


def check_zone_features(
    features: Iterable[Mapping[str, Any]] | Mapping[str, Any],
    *,
    agreements: Records | None = None,
    violations: Records | None = None,
    source: str = MEMORY,
) -> Report:
    """Check zone features held in memory with exactly the rules of a zones file.

    The features get the checks ``dezmap validate`` applies to each feature of a zones file
    (structure, geometry with shapely's reason, closure and winding, positions outside the
    region or swapped, every zone property) and the rules between versions (two versions of
    a zone that overlap in time or start on the same day, duplicate ids). With ``agreements``
    or ``violations``, their zone references are checked against the features too.

    Parameters
    ----------
    features
        GeoJSON Feature mappings (or a FeatureCollection mapping), one per boundary version:
        all the versions to be saved, so that overlaps can be found. Coordinates may be lists
        or tuples; a geometry may also be a shapely geometry. Nothing is changed.
    agreements
        Optional: the agreements (a frame as :func:`geo.io.read_agreements` returns, or
        mappings with ``agreement_id`` and ``zone_ids``); each zone they name must be among
        the features.
    violations
        Optional: the violations (a frame as :func:`geo.io.read_violations` returns, or
        mappings with ``violation_id``, ``zone_id``, ``occurred``, ``lat``, ``lon`` and
        ``location_precision``); each zone they name must be among the features and hold
        their position on the day.
    source
        How problems name where the features come from (their ``path``), such as
        ``"data/zones.geojson (unsaved edit)"``.

    Returns
    -------
    Report
        Every problem. Problems of zones are
        :class:`~geo.validate.location.LocatedProblem` records whose ``where`` reads
        ``zone eastern-ghouta, version eastern-ghouta@2018-03-10, part 1, ring 0, vertex 17``
        (as far as the problem is known) and whose ``location`` holds the same as data;
        problems of records are placed by id (``violation v-20170723-duma, column zone_id``).

    Raises
    ------
    UsageError
        When ``features`` is not a collection of features, or ``agreements`` or
        ``violations`` lack a field the checks need.
    """
    report = Report()
    check = read_zone_features(features, report, source=source)
    _check_references(check, agreements, violations, source, report)
    return report


def check_zone_frame(
    frame: pd.DataFrame,
    *,
    agreements: Records | None = None,
    violations: Records | None = None,
    source: str = MEMORY,
) -> Report:
    """Check a zones frame (one row per boundary version) with the rules of a zones file.

    Each row becomes a feature (see :func:`geo.validate.zones.row_feature`) and the features
    are checked as by :func:`check_zone_features`. A frame that :func:`geo.io.read_zones`
    returned, edited or not, is accepted as it is.

    Parameters
    ----------
    frame
        A GeoDataFrame (or DataFrame with a ``geometry`` column of shapely outlines) with the
        zone properties as columns; dates as dates, ``YYYY-MM-DD`` text or instants (read as
        the day in Damascus). Its coordinates must be WGS84 longitude/latitude. Not changed.
    agreements, violations, source
        As for :func:`check_zone_features`.

    Returns
    -------
    Report
        Every problem; a row's location counts rows from 0 (``feature 3`` when the row has
        no zone or version).

    Raises
    ------
    UsageError
        When ``frame`` is not a data frame or has no geometry column.
    """
    if not isinstance(frame, pd.DataFrame):
        raise UsageError(
            f"expected a GeoDataFrame of zone versions, found {type(frame).__name__}; "
            "read one with geo.io.read_zones, or check features with check_zone_features"
        )
    try:
        geometry = str(frame.geometry.name)
    except AttributeError:
        raise UsageError(
            f"the frame has no geometry column (its columns: {', '.join(map(str, frame.columns))})"
            "; give the outlines as shapely geometries in a 'geometry' column"
        ) from None
    crs = getattr(frame, "crs", None)
    if crs is not None and crs.to_string().lower() not in WGS84_NAMES:
        report = Report()
        report.error(
            source,
            "",
            f"the frame's coordinates are in {crs.to_string()}, not WGS84 longitude/latitude; "
            "reproject it first: frame.to_crs('EPSG:4326')",
            "crs-not-wgs84",
        )
        return report
    features = [row_feature(row, geometry=geometry) for _, row in frame.iterrows()]
    return check_zone_features(
        features, agreements=agreements, violations=violations, source=source
    )


def _check_references(
    check: ZonesCheck,
    agreements: Records | None,
    violations: Records | None,
    source: str,
    report: Report,
) -> None:
    """Check the zone references of records held in memory against the zones just checked."""
    if agreements is None and violations is None:
        return
    zone_ids = {v.zone_id for v in check.versions} | check.broken_zone_ids
    check_zone_references(
        _records(agreements, _AGREEMENT_FIELDS, "agreements"),
        [_violation(rec) for rec in _records(violations, _VIOLATION_FIELDS, "violations")],
        check.versions,
        source,
        report,
        zone_ids=zone_ids,
        skip=check.broken_zone_ids,
    )


def _records(table: Records | None, fields: tuple[str, ...], what: str) -> list[dict[str, Any]]:
    """The records of a frame or of mappings, after checking they have ``fields``."""
    if table is None:
        return []
    if isinstance(table, pd.DataFrame):
        missing = [f for f in fields if f not in table.columns]
        rows = [] if missing else table[list(fields)].to_dict("records")
    elif isinstance(table, str | bytes | Mapping) or not isinstance(table, Iterable):
        raise UsageError(
            f"{what} must be a frame (as geo.io reads them) or a list of records, found "
            f"{type(table).__name__}"
        )
    else:
        rows = [dict(rec) for rec in table]
        missing = sorted({f for rec in rows for f in fields if f not in rec})
    if missing:
        raise UsageError(
            f"{what} lack the field(s) {', '.join(missing)}, needed to check their zones; "
            f"pass {what} as geo.io reads them"
        )
    return rows


def _violation(rec: dict[str, Any]) -> dict[str, Any]:
    """A violation record for the zone checks: no zone as '', instants aware, gaps as None."""
    out = dict(rec)
    if not isinstance(out["zone_id"], str):
        out["zone_id"] = ""
    for name in ("occurred", "lat", "lon"):
        if out[name] is None or (pd.api.types.is_scalar(out[name]) and pd.isna(out[name])):
            out[name] = None
    if out["occurred"] is not None:
        occurred = pd.Timestamp(out["occurred"])
        out["occurred"] = occurred if occurred.tzinfo else occurred.tz_localize("UTC")
    return out
