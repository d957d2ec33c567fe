"""What ``dezmap validate`` runs: files and data folders, checked together.

:func:`validate_paths` checks the files a user names; :func:`validate_dataset` checks the three
files of a data folder, cross-file references included. Each file goes to the checks of its
kind (:mod:`geo.validate.zones` for GeoJSON, :mod:`geo.validate.records` for CSV).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from geo.config import AGREEMENTS_FILE, VIOLATIONS_FILE, ZONES_FILE
from geo.errors import Report
from geo.validate.records import (
    check_agreements_bytes,
    check_violation_zones,
    check_violations_bytes,
)
from geo.validate.text import NotUtf8Error, decode_utf8
from geo.validate.zones import FileKind, ZonesCheck, ZoneVersion, check_zones_text


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
    for f in files:
        if not f.is_file():
            result.report.error(
                _join(shown, f.name),
                "",
                f"file not found; a data folder needs "
                f"{ZONES_FILE}, {AGREEMENTS_FILE} and {VIOLATIONS_FILE}",
                "missing-file",
            )
    return _validate_files(
        [(f, _join(shown, f.name)) for f in files if f.is_file()],
        result,
        kinds={_join(shown, ZONES_FILE): "zones"},
    )


def validate_paths(
    paths: Sequence[str | Path], *, data_dir: str | Path | None = None
) -> ValidatedData:
    """Validate the named files; CSV zone references are checked against the zones given.

    When no zones file is among ``paths``, references are checked against ``data_dir``'s
    ``zones.geojson`` if there is one.
    """
    result = ValidatedData(Report())
    pairs = [(Path(p), str(p)) for p in paths]
    extra_zones = None
    names = {p.name.lower() for p, _ in pairs}
    if data_dir is not None and not any(n.endswith((".geojson", ".json")) for n in names):
        candidate = Path(data_dir) / ZONES_FILE
        if candidate.is_file():
            extra_zones = candidate
    return _validate_files(pairs, result, kinds={}, reference_zones=extra_zones)


def _join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}" if folder else name


def _validate_files(
    files: list[tuple[Path, str]],
    result: ValidatedData,
    *,
    kinds: dict[str, FileKind],
    reference_zones: Path | None = None,
) -> ValidatedData:
    report = result.report
    loaded: list[tuple[FileKind, str, bytes]] = []
    for path, shown in files:
        try:
            data = path.read_bytes()
        except IsADirectoryError:
            report.error(
                shown, "", "is a folder; name a file, or use --data for a data folder", "unreadable"
            )
            continue
        except OSError as exc:
            report.error(shown, "", f"cannot be read: {exc.strerror or exc}", "unreadable")
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
    for kind, shown, data in loaded:
        if kind in (None, "zones", "layer"):
            text = _decode_json(data, shown, report)
            if text is None:
                continue
            check = check_zones_text(text, shown, report, kind=kind)
            if check.kind == "zones":
                have_zones = True
                zone_versions.extend(check.versions)
                broken |= check.broken_zone_ids
                if result.zones is None:
                    result.zones = check
    if not have_zones and reference_zones is not None:
        ref_report = Report()
        text = decode_utf8(reference_zones.read_bytes(), errors="replace")
        zone_versions = check_zones_text(
            text, str(reference_zones), ref_report, kind="zones"
        ).versions
        have_zones = True
    zone_ids = ({v.zone_id for v in zone_versions} | broken) if have_zones else None
    for kind, shown, data in loaded:
        if kind == "agreements":
            result.agreements += check_agreements_bytes(data, shown, report, zone_ids=zone_ids)
        elif kind == "violations":
            records = check_violations_bytes(data, shown, report, zone_ids=zone_ids)
            check_violation_zones(records, zone_versions, shown, report, skip=broken)
            result.violations += records
    return result


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
