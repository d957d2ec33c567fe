"""Exports: records and snapshots of views.

:mod:`geo.export.records` writes records as CSV and GeoJSON; :mod:`geo.export.html` writes a
view as one self-contained HTML page.
"""

from geo.export.html import external_references, inline_assets, snapshot_html
from geo.export.records import for_display, records_csv, records_geojson

__all__ = [
    "external_references",
    "for_display",
    "inline_assets",
    "records_csv",
    "records_geojson",
    "snapshot_html",
]
