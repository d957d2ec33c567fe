"""Editing zone boundaries: the back end of the editor page and of ``dezmap zones``.

- :mod:`geo.edit.save`: saving a zones file (validated, canonical, atomic, backed up,
  conflict-checked, logged), backups and their restore;
- :mod:`geo.edit.versions`: pure edits of the zones frame (add a version, a zone, replace an
  outline, delete a part) and the change preview (:func:`~geo.edit.versions.change_summary`);
- :mod:`geo.edit.diff`: what changed between two zones files (or git revisions);
- :mod:`geo.edit.gis`: reading and writing GeoJSON, GeoPackage, Shapefile and KML;
- :mod:`geo.edit.frame`: conversions between the zones frame and GeoJSON features.

No Streamlit here: the page composes these functions. See ``docs/editing.md``.
"""

from __future__ import annotations

from geo.edit.save import (
    Backup,
    ConflictError,
    SaveResult,
    file_hash,
    list_backups,
    restore_backup,
    save_zones,
    zones_text,
)

__all__ = [
    "Backup",
    "ConflictError",
    "SaveResult",
    "file_hash",
    "list_backups",
    "restore_backup",
    "save_zones",
    "zones_text",
]
