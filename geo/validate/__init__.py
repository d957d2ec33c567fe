"""Validation of dezmap's data: every problem, located, with a severity.

The checks both validate and parse: each records problems in a :class:`~geo.errors.Report` and
returns what it could read, with typed values, so that the loaders in :mod:`geo.io` build their
frames from exactly what was validated.

- :mod:`geo.validate.entry`: files and data folders (what ``dezmap validate`` runs), and
  zones held in memory (:func:`check_zone_features`, :func:`check_zone_frame`);
- :mod:`geo.validate.geometry`: GeoJSON structure and geometry, for every polygon layer;
- :mod:`geo.validate.zones`: zone properties and boundary versions (:class:`ZoneVersion`);
- :mod:`geo.validate.records`: the agreements and violations CSV files;
- :mod:`geo.validate.location`: where a problem is, in a file or in memory;
- :mod:`geo.validate.text`: decoding files as UTF-8, and the characters text may hold;
- :mod:`geo.validate.files`: reading a path named as a data file, whatever it turns out to be.

Every public name is importable from ``geo.validate``.
"""

from __future__ import annotations

from geo.validate.entry import (
    ValidatedData,
    check_zone_features,
    check_zone_frame,
    detect_kind,
    validate_dataset,
    validate_paths,
)
from geo.validate.files import (
    MAX_DATA_BYTES,
    MAX_IMPORT_BYTES,
    UnreadableFile,
    check_path,
    read_data_file,
)
from geo.validate.geometry import FeatureInfo, GeoJSONChecker, region_test
from geo.validate.location import LocatedProblem, Location
from geo.validate.records import (
    CsvTable,
    Unread,
    check_agreements_bytes,
    check_violation_agreements,
    check_violation_zones,
    check_violations_bytes,
    check_zone_references,
    read_csv_bytes,
)
from geo.validate.text import NotUtf8Error, decode_utf8, strip_bom
from geo.validate.zones import (
    MEMORY,
    FileKind,
    ZonesCheck,
    ZoneVersion,
    check_zones_text,
    read_zone_features,
    row_feature,
)

__all__ = [
    "MAX_DATA_BYTES",
    "MAX_IMPORT_BYTES",
    "MEMORY",
    "CsvTable",
    "FeatureInfo",
    "FileKind",
    "GeoJSONChecker",
    "LocatedProblem",
    "Location",
    "NotUtf8Error",
    "Unread",
    "UnreadableFile",
    "ValidatedData",
    "ZoneVersion",
    "ZonesCheck",
    "check_agreements_bytes",
    "check_path",
    "check_violation_agreements",
    "check_violation_zones",
    "check_violations_bytes",
    "check_zone_features",
    "check_zone_frame",
    "check_zone_references",
    "check_zones_text",
    "decode_utf8",
    "detect_kind",
    "read_csv_bytes",
    "read_data_file",
    "read_zone_features",
    "region_test",
    "row_feature",
    "strip_bom",
    "validate_dataset",
    "validate_paths",
]
