"""Rendering: interactive maps, the shared palette and escaping of data text.

:mod:`geo.render.maps` builds the app's folium maps, :mod:`geo.render.style` holds the palette
and labels, :mod:`geo.render.escape` escapes data text.
The names most callers need are importable from here.
"""

from geo.render.escape import citations, esc, md_escape, safe_href, script_json, source_links
from geo.render.maps import (
    BASEMAP_LABELS,
    BASEMAPS,
    DETAIL_LIMIT,
    MAP_CSS,
    POPUP_INCIDENTS,
    Bounds,
    CompactIncidentCluster,
    ReferenceLayer,
    base_map,
    dynamic_layers,
    incident_layers,
    legend,
    outline_history_map,
    snapshot_map,
    zone_layer,
    zone_popup,
    zoom_for,
)
from geo.render.style import (
    KIND_COLORS,
    OTHER_KIND_COLOR,
    STATUS_COLORS,
    STATUS_LABELS,
    kind_color,
)

__all__ = [
    "BASEMAPS",
    "BASEMAP_LABELS",
    "DETAIL_LIMIT",
    "KIND_COLORS",
    "MAP_CSS",
    "OTHER_KIND_COLOR",
    "POPUP_INCIDENTS",
    "STATUS_COLORS",
    "STATUS_LABELS",
    "Bounds",
    "CompactIncidentCluster",
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
    "safe_href",
    "script_json",
    "snapshot_map",
    "source_links",
    "zone_layer",
    "zone_popup",
    "zoom_for",
]
