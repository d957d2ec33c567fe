"""Validation of dezmap's data: every problem, located, with a severity.

The checks both validate and parse: each records problems in a :class:`~geo.errors.Report` and
returns what it could read, with typed values, so that the loaders in :mod:`geo.io` build their
frames from exactly what was validated.

- :mod:`geo.validate.entry`: files and data folders (what ``dezmap validate`` runs);
- :mod:`geo.validate.geometry`: GeoJSON structure and geometry, for every polygon layer;
- :mod:`geo.validate.zones`: zone properties and boundary versions;
- :mod:`geo.validate.records`: the agreements and violations CSV files.

Every public name is importable from ``geo.validate``.
"""

from __future__ import annotations

from geo.validate.entry import ValidatedData, detect_kind, validate_dataset, validate_paths
from geo.validate.geometry import FeatureInfo, GeoJSONChecker, region_test
from geo.validate.records import (
    CsvTable,
    check_agreements_bytes,
    check_violation_zones,
    check_violations_bytes,
    read_csv_bytes,
)
from geo.validate.text import NotUtf8Error, decode_utf8, strip_bom
from geo.validate.zones import FileKind, ZonesCheck, ZoneVersion, check_zones_text

__all__ = [
    "CsvTable",
    "FeatureInfo",
    "FileKind",
    "GeoJSONChecker",
    "NotUtf8Error",
    "ValidatedData",
    "ZoneVersion",
    "ZonesCheck",
    "check_agreements_bytes",
    "check_violation_zones",
    "check_violations_bytes",
    "check_zones_text",
    "decode_utf8",
    "detect_kind",
    "read_csv_bytes",
    "region_test",
    "strip_bom",
    "validate_dataset",
    "validate_paths",
]
