"""Exports: records as CSV and GeoJSON (:mod:`geo.export.records`) and snapshots of views."""

from geo.export.records import for_display, records_csv, records_geojson

__all__ = ["for_display", "records_csv", "records_geojson"]
