"""Rendering: interactive maps, static snapshots, the shared palette and escaping of data text.

:mod:`geo.render.maps` builds the app's folium maps, :mod:`geo.render.static` draws static
snapshots (PNG, PDF, SVG) with matplotlib, :mod:`geo.render.style` holds the palette and
labels, :mod:`geo.render.escape` escapes data text.
The names most callers need are importable from here; the map and snapshot names load folium
and matplotlib only when first used.
"""

from geo.render.escape import citations, esc, md_escape, safe_href, script_json, source_links
from geo.render.style import (
    KIND_COLORS,
    OTHER_KIND_COLOR,
    STATUS_COLORS,
    STATUS_LABELS,
    kind_color,
)

#: Names imported on first use, by module: folium and matplotlib are slow to import, and a
#: command that draws a PNG needs no folium (nor the app matplotlib).
_LAZY = {
    "maps": (
        "BASEMAP_LABELS",
        "BASEMAPS",
        "DETAIL_LIMIT",
        "MAP_CSS",
        "POPUP_INCIDENTS",
        "Bounds",
        "CompactIncidentCluster",
        "ReferenceLayer",
        "base_map",
        "dynamic_layers",
        "incident_layers",
        "legend",
        "outline_history_map",
        "snapshot_map",
        "zone_layer",
        "zone_popup",
        "zoom_for",
    ),
    "static": ("SIZES", "PageSize", "page_size", "render_static", "save_figure", "snapshot_info"),
}
_MODULE_OF = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'geo.render' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"geo.render.{module}"), name)


__all__ = [
    "BASEMAPS",
    "BASEMAP_LABELS",
    "DETAIL_LIMIT",
    "KIND_COLORS",
    "MAP_CSS",
    "OTHER_KIND_COLOR",
    "POPUP_INCIDENTS",
    "SIZES",
    "STATUS_COLORS",
    "STATUS_LABELS",
    "Bounds",
    "CompactIncidentCluster",
    "PageSize",
    "ReferenceLayer",
    "base_map",
    "citations",
    "dynamic_layers",
    "esc",
    "incident_layers",
    "kind_color",
    "legend",
    "md_escape",
    "outline_history_map",
    "page_size",
    "render_static",
    "safe_href",
    "save_figure",
    "script_json",
    "snapshot_info",
    "snapshot_map",
    "source_links",
    "zone_layer",
    "zone_popup",
    "zoom_for",
]
