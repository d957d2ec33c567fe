"""Exports: records and snapshots of views.

:mod:`geo.export.records` writes records as CSV and GeoJSON; :mod:`geo.export.html` writes a
view as one self-contained HTML page.
"""

from geo.export.records import for_display, records_csv, records_geojson

#: Names of :mod:`geo.export.html`, imported on first use (folium is slow to import).
_HTML = ("external_references", "inline_assets", "snapshot_html")


def __getattr__(name: str):
    if name in _HTML:
        from geo.export import html

        return getattr(html, name)
    raise AttributeError(f"module 'geo.export' has no attribute {name!r}")


__all__ = [
    "external_references",
    "for_display",
    "inline_assets",
    "records_csv",
    "records_geojson",
    "snapshot_html",
]
