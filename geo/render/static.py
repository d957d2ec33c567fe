"""Static snapshots of a view (PNG, PDF, SVG), drawn with matplotlib, without a browser.

:func:`render_static` draws one :class:`~geo.view.Scene` on one page: a title and the instant
in words, the map (zones filled by status with the app's palette, incidents of the window by
kind, zone labels that do not collide, countries for context, reference layers, a scale bar
and a north arrow) in a local transverse Mercator projection centred on the extent, so that
distances are true; beside or below it a locator map, a legend and the agreements in force;
and a footer with the short citations of the records shown, the data version, the generation
time, the permalink and the warning that boundaries are approximate. :func:`save_figure`
writes it as PNG (exactly the page's pixel size), PDF or SVG (text kept as text).

Only matplotlib's object-oriented API is used (a :class:`~matplotlib.figure.Figure` with an
Agg canvas, never pyplot), so snapshots can be made from the app's threads. rcParams are only
changed inside :func:`matplotlib.rc_context`, under a lock. Every string from the data is
drawn with mathtext off, control characters removed and its length capped.

With ``lang="ar"`` the fixed wording is Arabic and the layout is mirrored (sidebar on the
left, text right-aligned); matplotlib shapes Arabic and orders it right to left itself.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import shapely
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Polygon, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import offset_copy
from pyproj import Transformer
from shapely.geometry import box as shapely_box
from shapely.geometry.polygon import orient
from shapely.ops import polylabel

from geo import context
from geo.errors import UsageError
from geo.render import style
from geo.render import words as w
from geo.render.escape import citations
from geo.render.layout import (
    Box,
    fill_lines,
    fit_aspect,
    inside,
    nearest_on_box,
    nice_length,
    overlaps,
    wrap,
)
from geo.render.reference import ReferenceLayer
from geo.view import NATIONWIDE, Scene

Bounds = tuple[float, float, float, float]

#: Named page sizes: (width, height, unit), landscape.
SIZES: dict[str, tuple[float, float, str]] = {
    "a4": (297.0, 210.0, "mm"),
    "letter": (11.0, 8.5, "in"),
    "slide": (1920.0, 1080.0, "px"),
}
#: Formats :func:`save_figure` writes.
FORMATS = ("png", "pdf", "svg")
#: Resolutions a page may have, dots per inch.
DPI_RANGE = (50, 600)
#: Sides a custom pixel size may have.
PX_RANGE = (200, 8000)
#: The smallest page a snapshot is laid out on, inches (long side, short side).
MIN_PAGE_IN = (4.0, 3.0)
#: The longest a page may be for its width (a 16:9 slide is 1.8).
MAX_PAGE_RATIO = 4.0
#: The widest extent a snapshot map shows, degrees (the projection is true near its centre).
MAX_SPAN_DEG = 30.0
#: Above this many incidents, markers are small, without edge, and rasterized in PDF and SVG.
DENSE_INCIDENTS = 2000
_DENSE_ROUNDS = 8

FONT = "DejaVu Sans"  # bundled with matplotlib; has Latin and Arabic glyphs
# no optional ligatures (fi, fl): a ligature glyph stands for two characters, and matplotlib
# embeds such glyphs as a second copy of the font in PDF (one more subset, about 0.15 s)
_FEATURES = ("-liga",)
_RC: dict[str, Any] = {
    "font.family": FONT,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": "dezmap-snapshot",
    "pdf.compression": 6,
    "path.simplify": True,
}
# rc_context swaps global rcParams; renders from several threads take turns
_LOCK = threading.RLock()
_A4_AREA = (297 / 25.4) * (210 / 25.4)
_CUSTOM_SIZE = re.compile(r"^(\d{1,6})\s*[x×]\s*(\d{1,6})\s*px$")

_INK = "#111827"
_MUTED = "#4b5563"
_SEA = "#dbe5ee"
_LAND = "#efeee8"
_SYRIA = "#fdfdfb"
_REFERENCE = "#94a3b8"
_LOCATOR = "#dc2626"


@dataclass(frozen=True)
class PageSize:
    """A page: its name, its size in inches and its resolution.

    A PNG of this page is exactly ``width_px`` by ``height_px`` pixels; PDF and SVG keep the
    physical size.
    """

    name: str
    width_in: float
    height_in: float
    dpi: int

    @property
    def width_px(self) -> int:
        """Width of a PNG of the page, in pixels."""
        return round(self.width_in * self.dpi)

    @property
    def height_px(self) -> int:
        """Height of a PNG of the page, in pixels."""
        return round(self.height_in * self.dpi)

    @property
    def portrait(self) -> bool:
        """True when the page is taller than wide."""
        return self.height_in > self.width_in


@dataclass
class SnapshotInfo:
    """What :func:`render_static` drew, kept on the figure (:func:`snapshot_info`)."""

    title: str
    lang: str
    page: PageSize
    generated: dt.datetime
    crs: str
    extent: Bounds
    zone_labels: dict[str, Text] = field(default_factory=dict)
    dropped_labels: list[str] = field(default_factory=list)
    zones_drawn: list[str] = field(default_factory=list)
    incidents_drawn: int = 0
    citations_shown: int = 0
    citations_total: int = 0
    agreements_shown: int = 0
    countries: list[str] = field(default_factory=list)


def page_size(size: str = "a4", *, portrait: bool = False, dpi: int = 200) -> PageSize:
    """The page for a size name: ``a4``, ``letter``, ``slide`` or ``WxHpx``.

    Parameters
    ----------
    size
        ``a4`` (297 x 210 mm) and ``letter`` (11 x 8.5 in) are landscape unless ``portrait``;
        ``slide`` is 1920 x 1080 pixels (16:9); ``WxHpx`` (``1600x900px``) any pixel size with
        sides from 200 to 8000. Pixel sizes are exact in PNG; their physical size is pixels
        divided by ``dpi``, so a lower ``dpi`` gives smaller text on the same pixels.
    portrait
        Make the page taller than wide (the sides are swapped if need be).
    dpi
        Dots per inch of a PNG (50 to 600).

    Returns
    -------
    PageSize

    Raises
    ------
    UsageError
        For an unknown size or a resolution out of range.
    """
    if isinstance(dpi, bool) or not isinstance(dpi, int | np.integer):
        raise UsageError(f"--dpi: {dpi!r} is not a whole number of dots per inch, e.g. 200")
    if not DPI_RANGE[0] <= dpi <= DPI_RANGE[1]:
        raise UsageError(f"--dpi: {dpi} is out of range; use {DPI_RANGE[0]} to {DPI_RANGE[1]}")
    dpi = int(dpi)
    text = str(size).strip().lower()
    if text in SIZES:
        width, height, unit = SIZES[text]
        name = text
    else:
        match = _CUSTOM_SIZE.match(text)
        if not match:
            raise UsageError(
                f"--size: {size!r} is not a page size; use a4, letter, slide or WxHpx "
                "(e.g. 1600x900px)"
            )
        width, height, unit = float(match.group(1)), float(match.group(2)), "px"
        low, high = PX_RANGE
        if not (low <= width <= high and low <= height <= high):
            raise UsageError(
                f"--size: {size!r} has a side out of range; use {low} to {high} pixels a side"
            )
        name = f"{int(width)}x{int(height)}px"
    if portrait and width > height:
        width, height = height, width
    scale = {"mm": 1 / 25.4, "in": 1.0, "px": 1 / dpi}[unit]
    return check_page(PageSize(name, width * scale, height * scale, dpi))


def check_page(page: PageSize) -> PageSize:
    """Return ``page`` if a snapshot can be laid out on it.

    Raises
    ------
    UsageError
        For a page smaller than :data:`MIN_PAGE_IN` (at its resolution) or more than
        :data:`MAX_PAGE_RATIO` times longer than wide, or a resolution out of range.
    """
    if not isinstance(page, PageSize):
        raise UsageError(f"page: {page!r} is not a PageSize; make one with page_size()")
    if not DPI_RANGE[0] <= page.dpi <= DPI_RANGE[1]:
        raise UsageError(f"--dpi: {page.dpi} is out of range; use {DPI_RANGE[0]} to {DPI_RANGE[1]}")
    long_side, short_side = max(page.width_in, page.height_in), min(page.width_in, page.height_in)
    size = f"{page.width_px}x{page.height_px} pixels at {page.dpi} dpi"
    if long_side < MIN_PAGE_IN[0] or short_side < MIN_PAGE_IN[1]:
        raise UsageError(
            f"--size: {page.name} is {page.width_in:.1f} x {page.height_in:.1f} inches "
            f"({size}), too small for the map, legend and footer; give at least "
            f"{MIN_PAGE_IN[0]:g} x {MIN_PAGE_IN[1]:g} inches: more pixels or a lower --dpi"
        )
    if long_side > MAX_PAGE_RATIO * short_side:
        raise UsageError(
            f"--size: {page.name} ({size}) is more than {MAX_PAGE_RATIO:g} times longer than "
            "wide; give a page closer to square"
        )
    return page


def snapshot_info(fig: Figure) -> SnapshotInfo:
    """What :func:`render_static` drew on ``fig`` (labels, counts, projection).

    Raises
    ------
    UsageError
        For a figure that :func:`render_static` did not make.
    """
    info = getattr(fig, "_dezmap_snapshot", None)
    if not isinstance(info, SnapshotInfo):
        raise UsageError("fig: not a figure made by render_static")
    return info


def render_static(
    scene: Scene,
    *,
    page: PageSize,
    lang: str = "en",
    title: str | None = None,
    permalink: str = "",
    data_version: str = "",
    generated: dt.datetime | None = None,
    reference: Sequence[ReferenceLayer] = (),
    bbox: Bounds | None = None,
) -> Figure:
    """Draw a scene as a briefing page.

    Parameters
    ----------
    scene
        From :func:`geo.view.select`: the zones, statuses, agreements and incidents shown.
    page
        From :func:`page_size`.
    lang
        ``"en"`` or ``"ar"`` (Arabic wording and names, mirrored layout).
    title
        The page title; by default the focused zone's name, else "Ceasefire zones in Syria".
    permalink
        The view's address (:meth:`geo.view.View.permalink`), printed in the footer.
    data_version
        A short name of the data's version (a hash of the data files), printed in the footer.
    generated
        When the snapshot was made (default: now); a fixed value makes the output repeatable.
    reference
        Layers drawn as thin grey outlines under the zones.
    bbox
        (min lon, min lat, max lon, max lat) to show instead of ``scene.extent()``.

    Returns
    -------
    matplotlib.figure.Figure
        With an Agg canvas; :func:`snapshot_info` tells what was drawn.

    Raises
    ------
    UsageError
        For a bad page, language or bbox.
    geo.assets.AssetError
        When the country outlines are not installed (``python -m geo.assets``).
    """
    check_page(page)
    w.check_lang(lang)
    extent = _check_bbox(bbox if bbox is not None else scene.extent())
    if generated is None:
        generated = dt.datetime.now(dt.UTC)
    elif generated.tzinfo is None:
        generated = generated.replace(tzinfo=dt.UTC)
    with _LOCK, rc_context(_RC):
        drawing = _Drawing(scene, page, lang, extent, generated, reference)
        drawing.draw(
            title=w.clean(title) if title else None,
            permalink=w.clean(permalink, 2000),
            data_version=w.clean(data_version, 80),
        )
    return drawing.fig


def save_figure(fig: Figure, out: BinaryIO, fmt: str) -> None:
    """Write a snapshot as PNG, PDF or SVG at the page's resolution.

    PNG is exactly the page's pixel size (no tight bounding box); PDF embeds TrueType fonts
    (Type 42) and SVG writes ``<text>`` elements, so text stays searchable and selectable.
    Dates in the metadata are the snapshot's generation time and SVG ids are salted with a
    fixed value, so a fixed ``generated`` gives the same bytes every time.

    Parameters
    ----------
    fig
        From :func:`render_static`.
    out
        A binary file object.
    fmt
        ``"png"``, ``"pdf"`` or ``"svg"``.

    Raises
    ------
    UsageError
        For another format or a figure not made by :func:`render_static`.
    """
    fmt = str(fmt).lower().lstrip(".")
    if fmt not in FORMATS:
        raise UsageError(f"--format: {fmt!r} is not a static format; use png, pdf or svg")
    info = snapshot_info(fig)
    when = info.generated.astimezone(dt.UTC)
    metadata: dict[str, Any] = {"Title": info.title}
    if fmt == "png":
        metadata["Software"] = "dezmap"
    elif fmt == "pdf":
        metadata.update(Creator="dezmap", CreationDate=when, ModDate=when)
    else:
        metadata.update(Creator="dezmap", Date=when.isoformat(timespec="seconds"))
    with _LOCK, rc_context(_RC):
        fig.savefig(out, format=fmt, dpi=info.page.dpi, metadata=metadata, facecolor="white")


def _check_bbox(bbox: Bounds) -> Bounds:
    try:
        x0, y0, x1, y1 = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise UsageError(
            f"--bbox: {bbox!r} is not four numbers MINLON,MINLAT,MAXLON,MAXLAT"
        ) from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or not (
        -180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90
    ):
        raise UsageError(
            f"--bbox: {bbox!r} needs min < max, longitudes in -180..180 and latitudes in -90..90"
        )
    if x1 - x0 > MAX_SPAN_DEG or y1 - y0 > MAX_SPAN_DEG or max(abs(y0), abs(y1)) > 80:
        raise UsageError(
            f"--bbox: {bbox!r} is too large for a snapshot map (at most {MAX_SPAN_DEG:g} "
            "degrees a side, latitudes within 80 degrees); give the region to show, "
            "e.g. 35.5,32.3,42.4,37.4"
        )
    return (x0, y0, x1, y1)


# --- projection and shapes ----------------------------------------------------------------------


@lru_cache(maxsize=64)
def _projection(lon0: float, lat0: float) -> tuple[str, Transformer]:
    """A transverse Mercator centred on (lon0, lat0), metres; true scale on its meridian."""
    crs = (
        f"+proj=tmerc +lat_0={lat0:.2f} +lon_0={lon0:.2f} +k=1 +x_0=0 +y_0=0 "
        "+datum=WGS84 +units=m +no_defs"
    )
    return crs, Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _project(geometry, transformer: Transformer):
    def forward(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, forward)


def _polygons(geometry) -> list:
    """The polygons of any geometry (collections and multi-parts flattened; lines dropped)."""
    if geometry is None or geometry.is_empty:
        return []
    parts = shapely.get_parts(geometry)
    out = []
    for part in parts:
        if part.geom_type == "Polygon" and not part.is_empty:
            out.append(part)
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            out.extend(_polygons(part))
    return out


def _path(geometry) -> MplPath | None:
    """A matplotlib path for (multi)polygons; holes wind the other way, so they stay empty."""
    vertices, codes = [], []
    for polygon in _polygons(geometry):
        polygon = orient(polygon, 1.0)
        for ring in (polygon.exterior, *polygon.interiors):
            coords = shapely.get_coordinates(ring)
            if len(coords) < 4:
                continue
            ring_codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
            ring_codes[0] = MplPath.MOVETO
            ring_codes[-1] = MplPath.CLOSEPOLY
            vertices.append(coords)
            codes.append(ring_codes)
    if not vertices:
        return None
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def _clip(geometry, box):
    """The part of ``geometry`` inside ``box``; an invalid geometry is repaired first."""
    try:
        return geometry.intersection(box)
    except shapely.errors.GEOSException:
        try:
            return shapely.make_valid(geometry).intersection(box)
        except shapely.errors.GEOSException:
            return shapely.Polygon()


def _label_point(geometry, tolerance: float):
    """Where a label of an area goes: the pole of inaccessibility of its largest part."""
    polygons = _polygons(geometry)
    if not polygons:
        return None
    largest = max(polygons, key=lambda p: p.area)
    try:
        return polylabel(largest, tolerance=max(tolerance, 1e-6))
    except Exception:  # noqa: BLE001 - a degenerate part: fall back on any inner point
        return largest.representative_point()


def _short_citations(records: pd.DataFrame, limit: int = 500) -> tuple[list[str], int]:
    """Short citations of the records: outlet and date, or data set and id.

    Bundled records cite outlets (``TRT World, 2017-07-10``); imported ones are cited by data
    set and record id (``ucdp-ged 12345``). In the records' order (most recent first), without
    repeats.

    Returns
    -------
    (list of str, int)
        The first ``limit`` citations (more than a footer holds) and how many there are in
        all; a window of 100,000 imported incidents costs one pass over the ids, not 100,000
        formatted strings.
    """
    if records.empty:
        return [], 0
    datasets = records["dataset"].astype(str)
    bundled = (datasets == "bundled").to_numpy()
    sources = records["source"].astype(str).to_numpy()
    labels = {
        source: [c for c in (w.clean(label, 80) for label, _ in citations(source)) if c]
        for source in pd.unique(sources[bundled])
    }
    imported = (datasets + " " + records["violation_id"].astype(str)).to_numpy()
    out: dict[str, None] = {}
    for is_bundled, source, name in zip(bundled, sources, imported, strict=True):
        if len(out) >= limit:
            break
        if is_bundled:
            out.update((label, None) for label in labels[source])
        elif cleaned := w.clean(name, 80):
            out[cleaned] = None
    every = {label for found in labels.values() for label in found}
    every.update(pd.unique(imported[~bundled]))
    shown = list(out)[:limit]
    return shown, max(len(every), len(shown))


def _hatch(status: str, alpha: float) -> dict[str, Any]:
    """Patch options for the second cue of a status: stripes (see ``style.HATCHED_STATUSES``).

    The stripes keep "violated" apart from the other statuses without colour (a grey print,
    a reader with a colour-vision deficiency); other statuses get no hatch.
    """
    if status not in style.HATCHED_STATUSES:
        return {}
    return {"hatch": style.HATCH, "hatchcolor": to_rgba(style.HATCH_COLOR, alpha)}


def _safe_id(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(value))[:80]


# --- the page -------------------------------------------------------------------------------------


class _Drawing:
    """One page being drawn: the figure, its measuring renderer and the page's geometry."""

    def __init__(
        self,
        scene: Scene,
        page: PageSize,
        lang: str,
        extent: Bounds,
        generated: dt.datetime,
        reference: Sequence[ReferenceLayer],
    ) -> None:
        self.scene = scene
        self.page = page
        self.lang = lang
        self.rtl = lang == "ar"
        self.lonlat_extent = extent
        self.generated = generated
        self.reference = reference
        # a hair over the pixel count: Agg truncates the canvas size to whole pixels
        self.fig = Figure(
            figsize=((page.width_px + 1e-3) / page.dpi, (page.height_px + 1e-3) / page.dpi),
            dpi=page.dpi,
            facecolor="white",
        )
        FigureCanvasAgg(self.fig)
        self.renderer = self.fig.canvas.get_renderer()
        self.W, self.H = float(page.width_px), float(page.height_px)
        area = page.width_in * page.height_in
        self.k = min(max(math.sqrt(area / _A4_AREA), 0.6), 2.0)
        self.px_per_pt = page.dpi / 72.0
        self.margin = 0.28 * self.k * page.dpi
        self.zone_names = self._zone_names()
        self._props: dict[tuple[float, str, str], FontProperties] = {}
        self._widths: dict[tuple[str, float, str], float] = {}

    # -- text ---------------------------------------------------------------------------------

    def pt(self, size: float) -> float:
        """A font size for this page, scaled from its A4 value."""
        return size * self.k

    def prop(self, size: float, weight: str = "normal", style_: str = "normal") -> FontProperties:
        key = (size, weight, style_)
        if key not in self._props:
            self._props[key] = FontProperties(family=FONT, size=size, weight=weight, style=style_)
        return self._props[key]

    def measure(self, text: str, size: float, weight: str = "normal") -> float:
        """Width of ``text`` in page pixels."""
        if not text:
            return 0.0
        key = (text, size, weight)
        width = self._widths.get(key)
        if width is None:
            if text == " ":
                # a lone space has no ink; measure it as the difference it makes
                width = self.measure("x x", size, weight) - self.measure("xx", size, weight)
            else:
                width, _, _ = self.renderer.get_text_width_height_descent(
                    text, self.prop(size, weight), ismath=False
                )
            self._widths[key] = width
        return width

    def line_height(self, size: float) -> float:
        return size * 1.3 * self.px_per_pt

    def text(
        self,
        x: float,
        y: float,
        s: str,
        size: float,
        *,
        ha: str | None = None,
        va: str = "top",
        weight: str = "normal",
        color: str = _INK,
        style_: str = "normal",
        gid: str | None = None,
    ) -> Text:
        """Text at page pixel (x, y), y up; aligned to the reading side unless ``ha`` says."""
        if ha is None:
            ha = "right" if self.rtl else "left"
        return self.fig.text(
            x / self.W,
            y / self.H,
            s,
            fontproperties=self.prop(size, weight, style_),
            ha=ha,
            va=va,
            color=color,
            parse_math=False,
            fontfeatures=_FEATURES,
            multialignment=ha if ha != "center" else "center",
            gid=gid,
        )

    def lines_block(
        self,
        x0: float,
        x1: float,
        top: float,
        s: str,
        size: float,
        *,
        weight: str = "normal",
        color: str = _INK,
        max_lines: int | None = None,
        gid: str | None = None,
        bottom: float | None = None,
    ) -> float | None:
        """Wrap ``s`` into the column x0..x1 from ``top`` down; return the new top.

        Returns None (and draws nothing) when the block would go below ``bottom``.
        """
        lines = wrap(s, x1 - x0, lambda t: self.measure(t, size, weight), max_lines)
        height = self.line_height(size) * len(lines)
        if bottom is not None and top - height < bottom:
            return None
        x = x1 if self.rtl else x0
        for i, line in enumerate(lines):
            self.text(
                x,
                top - i * self.line_height(size),
                line,
                size,
                weight=weight,
                color=color,
                gid=gid,
            )
        return top - height

    # -- the whole page -----------------------------------------------------------------------

    def draw(self, *, title: str | None, permalink: str, data_version: str) -> None:
        m = self.margin
        title = title or self._default_title()
        header_bottom = self._header(title)
        footer_top = self._footer(permalink, data_version)
        gap = 0.14 * self.k * self.page.dpi
        top, bottom = header_bottom - gap, footer_top + gap
        boxes = self._regions(m, bottom, self.W - m, top)
        self.info = SnapshotInfo(
            title=title,
            lang=self.lang,
            page=self.page,
            generated=self.generated,
            crs="",
            extent=(0.0, 0.0, 0.0, 0.0),
        )
        self._map(boxes["map"])
        self._locator(boxes["locator"])
        legend_bottom = self._legend(boxes["legend"])
        panel = boxes["panel"]
        if boxes.get("stack"):
            panel = (panel[0], panel[1], panel[2], legend_bottom - gap)
        self._agreements(panel)
        self.info.citations_shown = self._citations_shown
        self.info.citations_total = self._citations_total
        self.fig._dezmap_snapshot = self.info  # type: ignore[attr-defined]

    def _regions(self, x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
        """Split the middle of the page into the map and the sidebar (or bottom band)."""
        gap = 0.16 * self.k * self.page.dpi
        width, height = x1 - x0, y1 - y0
        if width >= height * 1.15:
            side = min(max(width * 0.27, 2.4 * self.k * self.page.dpi), width * 0.4)
            if self.rtl:
                side_box = (x0, y0, x0 + side, y1)
                map_box = (x0 + side + gap, y0, x1, y1)
            else:
                map_box = (x0, y0, x1 - side - gap, y1)
                side_box = (x1 - side, y0, x1, y1)
            sx0, sy0, sx1, sy1 = side_box
            locator_h = min(side * 0.78, height * 0.31)
            locator = (sx0, sy1 - locator_h, sx1, sy1)
            rest_top = sy1 - locator_h - gap
            return {
                "map": map_box,
                "locator": locator,
                "legend": (sx0, sy0, sx1, rest_top),
                "panel": (sx0, sy0, sx1, rest_top),
                "stack": True,
            }
        band = min(max(height * 0.3, 2.2 * self.k * self.page.dpi), height * 0.45)
        map_box = (x0, y0 + band + gap, x1, y1)
        col = (width - 2 * gap) / 3
        columns = [
            (x0 + i * (col + gap), y0, x0 + i * (col + gap) + col, y0 + band) for i in range(3)
        ]
        if self.rtl:
            columns.reverse()
        locator_w = min(col, band * 1.15)
        lx0 = columns[0][2] - locator_w if self.rtl else columns[0][0]
        locator = (lx0, columns[0][3] - min(band, locator_w * 0.9), lx0 + locator_w, columns[0][3])
        return {
            "map": map_box,
            "locator": locator,
            "legend": columns[1],
            "panel": columns[2],
            "stack": False,
        }

    # -- header and footer --------------------------------------------------------------------

    def _default_title(self) -> str:
        zone = self.scene.view.zone
        if zone:
            return self.zone_names.get(zone) or zone
        return w.word(self.lang, "title")

    def _header(self, title: str) -> float:
        m = self.margin
        x0, x1 = m, self.W - m
        top = self.H - m
        top = self.lines_block(
            x0, x1, top, title, self.pt(16), weight="bold", max_lines=2, gid="snapshot-title"
        )
        top -= 0.25 * self.line_height(self.pt(9.5))
        top = self.lines_block(
            x0,
            x1,
            top,
            w.instant_words(self.scene.view.at, self.lang),
            self.pt(10),
            gid="snapshot-instant",
        )
        count = len(self.scene.records)
        window = w.word(
            self.lang,
            "window",
            days=w.days_words(self.scene.view.window, self.lang),
            count=count,
        )
        return self.lines_block(
            x0, x1, top, window, self.pt(8), color=_MUTED, max_lines=2, gid="snapshot-window"
        )

    def _footer(self, permalink: str, data_version: str) -> float:
        """The footer, drawn from the bottom of the page up; returns its top."""
        m = self.margin
        x0, x1 = m, self.W - m
        size = self.pt(6.3)
        lh = self.line_height(size)
        y = m
        if permalink:
            url_size = size
            text = w.word(self.lang, "permalink", url=permalink)
            while self.measure(text, url_size) > x1 - x0 and url_size > self.pt(4.5):
                url_size *= 0.92
            lines = wrap(text, x1 - x0, lambda t: self.measure(t, url_size), 3)
            for line in reversed(lines):
                self.text(x1 if self.rtl else x0, y, line, url_size, va="bottom", gid="permalink")
                y += self.line_height(url_size)
        meta = [w.word(self.lang, "approximate")]
        if data_version:
            meta.append(w.word(self.lang, "data_version", version=w.ltr(data_version, self.lang)))
        meta.append(w.word(self.lang, "generated", time=w.utc_words(self.generated, self.lang)))
        for line in reversed(
            wrap("  ·  ".join(meta), x1 - x0, lambda t: self.measure(t, size, "bold"))
        ):
            self.text(
                x1 if self.rtl else x0, y, line, size, va="bottom", weight="bold", gid="footer-meta"
            )
            y += lh
        max_lines = 4 if self.page.portrait else 3
        lines = self._citation_lines(x1 - x0, size, max_lines, bool(permalink))
        for line in reversed(lines):
            self.text(
                x1 if self.rtl else x0,
                y,
                line,
                size,
                va="bottom",
                color="#374151",
                gid="footer-sources",
            )
            y += lh
        y += lh * 0.35
        rule_y = y / self.H
        self.fig.add_artist(
            Line2D(
                [x0 / self.W, x1 / self.W],
                [rule_y, rule_y],
                transform=self.fig.transFigure,
                color="#9ca3af",
                linewidth=0.6,
            )
        )
        return y

    def _citation_lines(
        self, width: float, size: float, max_lines: int, has_link: bool
    ) -> list[str]:
        items, total = _short_citations(self.scene.records)
        beyond = total - len(items)  # never measured: more than the footer could hold
        self._citations_total = total
        if not items:
            self._citations_shown = 0
            return [w.word(self.lang, "no_sources")]
        heading = w.word(self.lang, "sources") + " "
        separator = "؛ " if self.rtl else "; "
        more_key = "more_sources"

        def more(n: int) -> str:
            text = w.word(self.lang, more_key, count=n)
            return text if has_link else text.split(":")[0]

        lines, left = fill_lines(
            items,
            lambda i: self.measure(items[i], size) * 1.01,
            first_width=width - self.measure(heading, size),
            width=width,
            max_lines=max_lines,
            separator_width=self.measure(separator, size),
            suffix_width=lambda n: self.measure(more(n + beyond), size) * 1.01,
        )
        left += beyond
        self._citations_shown = sum(len(line) for line in lines)
        texts = [separator.join(items[i] for i in line) for line in lines]
        if left:
            texts[-1] = (texts[-1] + separator if texts[-1] else "") + more(left)
        texts[0] = heading + texts[0]
        return texts

    # -- the map ------------------------------------------------------------------------------

    def _zone_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        versions = self.scene.timeline.zones.versions
        for frame in (versions, self.scene.zones):
            for zone_id, name, name_ar in zip(
                frame["zone_id"], frame["name"], frame["name_ar"], strict=True
            ):
                text = w.clean(name_ar if self.lang == "ar" and w.clean(name_ar) else name, 120)
                names[str(zone_id)] = text or w.word(self.lang, "unnamed")
        return names

    def _map(self, box: Box) -> None:
        x0, y0, x1, y1 = box
        ax = self.fig.add_axes(
            (x0 / self.W, y0 / self.H, (x1 - x0) / self.W, (y1 - y0) / self.H), gid="map"
        )
        self.ax = ax
        self.map_box = box
        lon0 = (self.lonlat_extent[0] + self.lonlat_extent[2]) / 2
        lat0 = (self.lonlat_extent[1] + self.lonlat_extent[3]) / 2
        self.crs, self.transformer = _projection(round(lon0, 2), round(lat0, 2))
        frame = _project(shapely_box(*self.lonlat_extent).segmentize(0.05), self.transformer)
        limits = fit_aspect(tuple(frame.bounds), (x1 - x0) / (y1 - y0), margin=0.03)
        ax.set_xlim(limits[0], limits[2])
        ax.set_ylim(limits[1], limits[3])
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_linewidth(0.8)
            spine.set_color("#374151")
        self.info.crs = self.crs
        self.info.extent = limits
        self.limits = limits
        self.view_box = shapely_box(*limits)
        self.metres_per_px = (limits[2] - limits[0]) / (x1 - x0)
        inverse = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        corners = shapely.transform(
            self.view_box.segmentize((limits[2] - limits[0]) / 20),
            lambda c: np.column_stack(inverse.transform(c[:, 0], c[:, 1])),
        )
        # where the projection is far from its centre, keep to the sphere's range
        vx0, vy0, vx1, vy1 = (float(v) for v in corners.bounds)
        ok = all(math.isfinite(v) for v in (vx0, vy0, vx1, vy1))
        self.view_lonlat = (
            (max(vx0, -180.0), max(vy0, -85.0), min(vx1, 180.0), min(vy1, 85.0))
            if ok
            else (-180.0, -85.0, 180.0, 85.0)
        )
        self.inverse = inverse
        country_frame = self._countries()
        ax.set_facecolor(_SEA)
        self._draw_countries(country_frame)
        for layer in self.reference:
            self._draw_reference(layer)
        zones = self._draw_zones()
        self.kinds = self._draw_incidents()
        obstacles = [self._scale_bar(), self._north_arrow()]
        self._zone_labels(zones, obstacles)
        self._country_labels(country_frame, obstacles)

    def _countries(self):
        """Countries around the view, clipped near it and projected."""
        x0, y0, x1, y1 = self.view_lonlat
        pad = max(x1 - x0, y1 - y0) * 0.1
        query = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
        # two fixed tolerances, so geo.context decodes the world at most twice per process
        frame = context.countries(query, tolerance=0.002 if (x1 - x0) < 2.5 else 0.01)
        clipped = shapely.clip_by_rect(frame.geometry.values, *query)
        frame = frame.assign(geometry=clipped)
        frame = frame[~frame.geometry.is_empty]
        self.info.countries = [str(n) for n in frame["name"]]
        return frame.assign(geometry=[_project(g, self.transformer) for g in frame.geometry.values])

    def _draw_countries(self, frame) -> None:
        paths, faces = [], []
        syria = None
        for code, geometry in zip(frame["iso_n3"], frame.geometry, strict=True):
            path = _path(geometry)
            if path is None:
                continue
            if code == context.SYRIA:
                syria = path
                continue
            paths.append(path)
            faces.append(_LAND)
        if paths:
            self.ax.add_collection(
                PathCollection(
                    paths,
                    facecolors=faces,
                    edgecolors="#a8a29e",
                    linewidths=0.5,
                    zorder=1,
                    gid="countries",
                ),
                autolim=False,
            )
        if syria is not None:
            self.ax.add_patch(
                PathPatch(syria, facecolor=_SYRIA, edgecolor="none", zorder=1.1, gid="syria")
            )
            self.ax.add_patch(
                PathPatch(
                    syria,
                    facecolor="none",
                    edgecolor="#374151",
                    linewidth=1.4,
                    zorder=4.5,
                    gid="syria-border",
                )
            )

    def _draw_reference(self, layer: ReferenceLayer) -> None:
        frame = layer.frame
        if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
            frame = frame.to_crs("EPSG:4326")
        geoms = shapely.clip_by_rect(frame.geometry.values, *self.view_lonlat)
        geoms = geoms[~shapely.is_empty(geoms)]
        if not len(geoms):
            return
        tolerance = self.metres_per_px * 0.5
        paths = []
        for geometry in geoms:
            projected = _project(geometry, self.transformer).simplify(tolerance)
            path = _path(projected)
            if path is not None:
                paths.append(path)
        if paths:
            self.ax.add_collection(
                PathCollection(
                    paths,
                    facecolors="none",
                    edgecolors=_REFERENCE,
                    linewidths=0.45,
                    zorder=2,
                    gid=f"reference-{_safe_id(layer.name)}",
                ),
                autolim=False,
            )

    def _draw_zones(self) -> list[tuple[str, str, Any]]:
        """Zones by status, largest first (the national extent underneath)."""
        zones = self.scene.zones
        focus = self.scene.view.zone
        drawn = []
        projected = [_project(g, self.transformer) for g in zones.geometry.values]
        order = sorted(range(len(zones)), key=lambda i: -projected[i].area)
        for i in order:
            zone_id = str(zones["zone_id"].iloc[i])
            status = str(zones["status"].iloc[i])
            geometry = projected[i]
            path = _path(geometry)
            if path is None:
                continue
            color = style.STATUS_COLORS.get(status, "#8a8f98")
            national = zone_id == NATIONWIDE
            self.ax.add_patch(
                PathPatch(
                    path,
                    facecolor=to_rgba(color, 0.07 if national else 0.42),
                    edgecolor="none",
                    zorder=3 if national else 3.5,
                    gid=f"zone-{_safe_id(zone_id)}",
                    **_hatch(status, 0.35 if national else 0.85),
                )
            )
            # the outline goes above the incidents, so that many markers cannot hide it
            self.ax.add_patch(
                PathPatch(
                    path,
                    facecolor="none",
                    edgecolor=_INK if zone_id == focus else color,
                    linewidth=2.2 if zone_id == focus else (1.3 if national else 1.1),
                    linestyle=(0, (5, 3)) if national else "solid",
                    zorder=6 if zone_id == focus else 5.9,
                    gid=f"zone-outline-{_safe_id(zone_id)}",
                )
            )
            width = (geometry.bounds[2] - geometry.bounds[0]) / self.metres_per_px
            height = (geometry.bounds[3] - geometry.bounds[1]) / self.metres_per_px
            if not national and max(width, height) < 10 * self.k * self.px_per_pt:
                # a zone a few pixels wide at this scale: ring it so that it can be seen
                centre = geometry.centroid
                self.ax.plot(
                    [centre.x],
                    [centre.y],
                    marker="o",
                    markersize=11 * self.k,
                    markerfacecolor="none",
                    markeredgecolor=_INK if zone_id == focus else color,
                    markeredgewidth=1.6,
                    zorder=3.6,
                    gid=f"zone-ring-{_safe_id(zone_id)}",
                )
            drawn.append((zone_id, status, geometry))
            self.info.zones_drawn.append(zone_id)
        return drawn

    def _draw_incidents(self) -> dict[str, int]:
        """Incidents of the window, coloured by kind; returns the count of each kind.

        A few: one scatter per kind with white-edged markers, the rarest kinds on top. Many
        (more than :data:`DENSE_INCIDENTS`): small markers without edge, the kinds mixed in
        a fixed random order so that none hides the others, rasterized in PDF and SVG.
        """
        records = self.scene.records
        if records.empty:
            return {}
        lon = records["lon"].to_numpy(dtype=float)
        lat = records["lat"].to_numpy(dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        x, y = self.transformer.transform(lon[ok], lat[ok])
        kinds = records["kind"].astype(str).to_numpy()[ok]
        counts = pd.Series(kinds).value_counts()
        self.info.incidents_drawn = int(ok.sum())
        if len(x) > DENSE_INCIDENTS:
            # one colour per scatter keeps matplotlib on its fast marker path; the points of
            # each kind are dealt into a few rounds drawn in turn, so that kinds mix evenly
            rounds = np.random.default_rng(7).integers(0, _DENSE_ROUNDS, len(x))
            names = list(counts.index)
            for turn in range(_DENSE_ROUNDS):
                shift = turn % len(names)
                for kind in names[shift:] + names[:shift]:
                    rows = (kinds == kind) & (rounds == turn)
                    self.ax.scatter(
                        x[rows],
                        y[rows],
                        s=(1.8 * self.k) ** 2,
                        c=style.kind_color(kind),
                        edgecolors="none",
                        linewidths=0,
                        alpha=0.6,
                        zorder=5,
                        rasterized=True,
                        gid=f"incidents-{_safe_id(kind)}",
                    )
        else:
            for order, kind in enumerate(reversed(counts.index)):
                rows = kinds == kind
                self.ax.scatter(
                    x[rows],
                    y[rows],
                    s=(5.2 * self.k) ** 2,
                    c=style.kind_color(kind),
                    edgecolors="white",
                    linewidths=0.7,
                    alpha=0.95,
                    zorder=5.5 - order * 0.01,
                    gid=f"incidents-{_safe_id(kind)}",
                )
        return {str(k): int(v) for k, v in counts.items()}

    # -- map furniture ------------------------------------------------------------------------

    def _to_data(self, px: float, py: float) -> tuple[float, float]:
        """Page pixels to map coordinates (metres)."""
        x0, y0, _, _ = self.map_box
        return (
            self.limits[0] + (px - x0) * self.metres_per_px,
            self.limits[1] + (py - y0) * self.metres_per_px,
        )

    def _scale_bar(self) -> Box:
        x0, y0, x1, y1 = self.map_box
        inset = 0.14 * self.k * self.page.dpi
        width_m = self.limits[2] - self.limits[0]
        length_km = nice_length(width_m * 0.22 / 1000)
        length_px = length_km * 1000 / self.metres_per_px
        bar_h = 4.2 * self.k * self.px_per_pt
        size = self.pt(6.8)
        label = f"{length_km:g} {w.word(self.lang, 'km')}"
        label_w = self.measure(label, size)
        pad = 0.5 * bar_h + self.measure("0", size) * 0.5 + 2
        left = (x1 - inset - length_px - label_w * 0.5 - pad) if self.rtl else x0 + inset + pad
        bottom = y0 + inset
        text_h = self.line_height(size)
        box = (
            left - pad,
            bottom - pad,
            left + length_px + label_w * 0.5 + pad,
            bottom + bar_h + text_h + pad,
        )
        bx0, by0 = self._to_data(box[0], box[1])
        bx1, by1 = self._to_data(box[2], box[3])
        self.ax.add_patch(
            Rectangle(
                (bx0, by0),
                bx1 - bx0,
                by1 - by0,
                facecolor=to_rgba("white", 0.85),
                edgecolor="none",
                zorder=9,
                gid="scale-bar",
            )
        )
        half = length_px / 2
        for i in range(2):
            sx, sy = self._to_data(left + i * half, bottom)
            ex, ey = self._to_data(left + (i + 1) * half, bottom + bar_h)
            self.ax.add_patch(
                Rectangle(
                    (sx, sy),
                    ex - sx,
                    ey - sy,
                    facecolor=_INK if i == 0 else "white",
                    edgecolor=_INK,
                    linewidth=0.6,
                    zorder=9.1,
                    gid="scale-bar-segment",
                )
            )
        for pos, text in ((0.0, "0"), (1.0, label)):
            tx, ty = self._to_data(left + pos * length_px, bottom + bar_h + 1)
            self.ax.text(
                tx,
                ty,
                text,
                fontproperties=self.prop(size),
                ha="center",
                va="bottom",
                color=_INK,
                zorder=9.2,
                parse_math=False,
                fontfeatures=_FEATURES,
            )
        return box

    def _north_arrow(self) -> Box:
        x0, y0, x1, y1 = self.map_box
        inset = 0.16 * self.k * self.page.dpi
        length = 0.36 * self.k * self.page.dpi
        cx = x0 + inset + length * 0.3 if self.rtl else x1 - inset - length * 0.3
        base_y = y1 - inset - length - self.line_height(self.pt(9))
        # true north where the arrow stands (the meridians converge away from the centre)
        ax_, ay_ = self._to_data(cx, base_y)
        lon, lat = self.inverse.transform(ax_, ay_)
        nx, ny = self.transformer.transform(lon, lat + 0.05)
        angle = math.atan2(nx - ax_, ny - ay_)
        ux, uy = math.sin(angle), math.cos(angle)
        vx, vy = uy, -ux
        half = length * 0.28
        tip = (cx + ux * length, base_y + uy * length)
        left = (cx - vx * half, base_y - vy * half)
        right = (cx + vx * half, base_y + vy * half)
        notch = (cx + ux * length * 0.28, base_y + uy * length * 0.28)
        for points, face in (((left, tip, notch), _INK), ((notch, tip, right), "white")):
            self.ax.add_patch(
                Polygon(
                    [self._to_data(*p) for p in points],
                    closed=True,
                    facecolor=face,
                    edgecolor=_INK,
                    linewidth=0.7,
                    zorder=9.1,
                    gid="north-arrow",
                )
            )
        size = self.pt(9)
        lx, ly = self._to_data(tip[0] + ux * 2, tip[1] + uy * 2)
        self.ax.text(
            lx,
            ly,
            w.word(self.lang, "north"),
            fontproperties=self.prop(size, "bold"),
            ha="center",
            va="bottom",
            color=_INK,
            zorder=9.2,
            parse_math=False,
            fontfeatures=_FEATURES,
        )
        return (cx - half - 4, base_y - 4, cx + half + 4, tip[1] + self.line_height(size) + 4)

    # -- labels ------------------------------------------------------------------------------

    def _zone_labels(self, zones: list[tuple[str, str, Any]], obstacles: list[Box]) -> None:
        """Label every zone in view; a label that fits nowhere is dropped (and recorded).

        The focused zone is labelled first, then local zones from the smallest, then the
        national extent. A zone too small to hold its label keeps its outline visible: the
        label goes beside it with a leader line, and no other label may cover it.
        """
        focus = self.scene.view.zone
        tolerance = self.metres_per_px * 2
        labels = []
        for zone_id, status, geometry in zones:
            visible = _clip(geometry, self.view_box)
            if visible.is_empty or visible.area <= 0:
                continue
            national = zone_id == NATIONWIDE
            if national and visible.area < 0.5 * geometry.area:
                continue  # a zoomed-in view: the legend's dashed outline says what it is
            anchor = _label_point(visible, tolerance)
            if anchor is None:
                continue
            text = self._zone_text(zone_id, status, anchor, national)
            size = text.get_window_extent(self.renderer)
            zone_box = self._pixel_box(visible.bounds)
            small = not national and (
                zone_box[2] - zone_box[0] < size.width * 1.25
                or zone_box[3] - zone_box[1] < size.height * 2.2
            )
            labels.append((zone_id, geometry.area, anchor, text, zone_box if small else None))
        labels.sort(key=lambda item: (item[0] != focus, item[0] == NATIONWIDE, item[1]))
        placed: list[Box] = list(obstacles) + self._marker_boxes()
        small_boxes = {item[0]: item[4] for item in labels if item[4] is not None}
        for zone_id, _, anchor, text, own in labels:
            others = [b for z, b in small_boxes.items() if z != zone_id]
            pad = text.get_fontsize() * 0.22 * self.px_per_pt + 2
            box = self._place(
                text, anchor, placed + others + ([own] if own else []), pad, centre=own is None
            )
            if box is None:
                text.remove()
                self.info.dropped_labels.append(zone_id)
                continue
            placed.append(box)
            self.info.zone_labels[zone_id] = text
        self._placed = placed

    def _zone_text(self, zone_id: str, status: str, anchor, national: bool) -> Text:
        size = self.pt(7.6 if national else 8.2)
        weight = "normal" if national else "bold"
        lines = wrap(
            self.zone_names.get(zone_id, zone_id),
            1.55 * self.k * self.page.dpi,
            lambda t: self.measure(t, size, weight),
            3,
        )
        return self.ax.text(
            anchor.x,
            anchor.y,
            "\n".join(lines),
            fontproperties=self.prop(size, weight),
            ha="center",
            va="center",
            multialignment="center",
            color="#374151" if national else _INK,
            zorder=8,
            parse_math=False,
            fontfeatures=_FEATURES,
            bbox={
                "boxstyle": "round,pad=0.22",
                "facecolor": to_rgba("white", 0.82),
                "edgecolor": style.STATUS_COLORS.get(status, "#8a8f98"),
                "linewidth": 0.6,
            },
            gid=f"zone-label-{_safe_id(zone_id)}",
        )

    def _pixel_box(self, bounds: Bounds) -> Box:
        (x0, y0), (x1, y1) = self.ax.transData.transform([bounds[:2], bounds[2:]])
        return (float(x0), float(y0), float(x1), float(y1))

    def _marker_boxes(self) -> list[Box]:
        """Incident markers labels should not hide (when there are few enough to matter)."""
        records = self.scene.records
        if records.empty or len(records) > 300:
            return []
        x, y = self.transformer.transform(
            records["lon"].to_numpy(dtype=float), records["lat"].to_numpy(dtype=float)
        )
        points = self.ax.transData.transform(np.column_stack([x, y]))
        r = 2.8 * self.k * self.px_per_pt
        return [
            (float(px - r), float(py - r), float(px + r), float(py + r))
            for px, py in points
            if np.isfinite(px) and np.isfinite(py)
        ]

    def _place(
        self, text: Text, anchor, placed: list[Box], pad: float, *, centre: bool = True
    ) -> Box | None:
        """Try the anchor, then positions around it; keep the first that collides with nothing.

        A label moved away from its anchor gets a leader line and a dot at the anchor.
        """
        base = text.get_window_extent(self.renderer)
        w_pt = base.width / self.px_per_pt
        h_pt = base.height / self.px_per_pt
        step = 6.0 * self.k
        candidates = [(0.0, 0.0)] if centre else []
        for ring in range(1, 9):
            gx = w_pt / 2 + step * ring + 2
            gy = h_pt / 2 + step * ring + 2
            candidates += [
                (0.0, gy),
                (0.0, -gy),
                (gx, 0.0),
                (-gx, 0.0),
                (gx, gy),
                (-gx, gy),
                (gx, -gy),
                (-gx, -gy),
            ]
        frame = self.map_box
        for dx, dy in candidates:
            text.set_transform(
                offset_copy(self.ax.transData, fig=self.fig, x=dx, y=dy, units="points")
            )
            extent = text.get_window_extent(self.renderer)
            box = (extent.x0 - pad, extent.y0 - pad, extent.x1 + pad, extent.y1 + pad)
            if not inside(box, frame, 2):
                continue
            if any(overlaps(box, other) for other in placed):
                continue
            if dx or dy:
                self._leader(anchor, box)
            return box
        return None

    def _leader(self, anchor, box: Box) -> None:
        ax_px = self.ax.transData.transform((anchor.x, anchor.y))
        end = nearest_on_box((float(ax_px[0]), float(ax_px[1])), box)
        ex, ey = self._to_data(*end)
        self.ax.add_line(
            Line2D(
                [anchor.x, ex],
                [anchor.y, ey],
                color="#374151",
                linewidth=0.7,
                zorder=7.9,
                gid="label-leader",
            )
        )
        self.ax.add_line(
            Line2D(
                [anchor.x],
                [anchor.y],
                marker="o",
                markersize=2.6 * self.k,
                color="#374151",
                linewidth=0,
                zorder=7.9,
            )
        )

    def _country_labels(self, frame, obstacles: list[Box]) -> None:
        width_km = (self.limits[2] - self.limits[0]) / 1000
        if width_km < 150:
            return  # a close-up: country names would only clutter it
        placed = list(getattr(self, "_placed", obstacles))
        view_area = self.view_box.area
        labelled_national = NATIONWIDE in self.info.zone_labels
        for code, name, name_ar, geometry in zip(
            frame["iso_n3"], frame["name"], frame["name_ar"], frame.geometry, strict=True
        ):
            if code == context.SYRIA and (labelled_national or width_km < 400):
                continue
            visible = _clip(geometry, self.view_box)
            if visible.is_empty or visible.area < 0.02 * view_area:
                continue
            anchor = _label_point(visible, self.metres_per_px * 3)
            if anchor is None:
                continue
            label = w.clean(name_ar if self.lang == "ar" and name_ar else name, 60)
            if not label:
                continue
            if self.lang != "ar":
                label = label.upper()
            size = self.pt(8.5 if code == context.SYRIA else 7.5)
            text = self.ax.text(
                anchor.x,
                anchor.y,
                label,
                fontproperties=self.prop(size, "normal"),
                ha="center",
                va="center",
                color="#6b7280" if code != context.SYRIA else "#374151",
                zorder=6,
                parse_math=False,
                fontfeatures=_FEATURES,
                gid=f"country-label-{_safe_id(code or name)}",
            )
            extent = text.get_window_extent(self.renderer)
            box = (extent.x0 - 2, extent.y0 - 2, extent.x1 + 2, extent.y1 + 2)
            if not inside(box, self.map_box, 3) or any(overlaps(box, o) for o in placed):
                text.remove()
                continue
            placed.append(box)

    # -- sidebar -----------------------------------------------------------------------------

    def _locator(self, box: Box) -> None:
        x0, y0, x1, y1 = box
        size = self.pt(7)
        title_h = self.line_height(size)
        self.text(
            x1 if self.rtl else x0,
            y1,
            w.word(self.lang, "locator"),
            size,
            color=_MUTED,
            gid="locator-title",
        )
        y1 -= title_h
        ax = self.fig.add_axes(
            (x0 / self.W, y0 / self.H, (x1 - x0) / self.W, (y1 - y0) / self.H), gid="locator"
        )
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_linewidth(0.6)
            spine.set_color("#6b7280")
        syria, others = self._locator_shapes()
        ax.set_facecolor(_SEA)
        if others:
            ax.add_collection(
                PathCollection(
                    others, facecolors=_LAND, edgecolors="#a8a29e", linewidths=0.35, zorder=1
                ),
                autolim=False,
            )
        bounds = list(self.limits)
        if syria is not None:
            ax.add_patch(
                PathPatch(syria, facecolor=_SYRIA, edgecolor="#374151", linewidth=0.7, zorder=2)
            )
            sx0, sy0, sx1, sy1 = syria.get_extents().bounds
            sx1, sy1 = sx0 + sx1, sy0 + sy1
            bounds = [
                min(bounds[0], sx0),
                min(bounds[1], sy0),
                max(bounds[2], sx1),
                max(bounds[3], sy1),
            ]
        for zone_id, status, geometry in self._locator_zones():
            path = _path(geometry)
            if path is not None and zone_id != NATIONWIDE:
                ax.add_patch(
                    PathPatch(
                        path,
                        facecolor=to_rgba(style.STATUS_COLORS.get(status, "#8a8f98"), 0.75),
                        edgecolor="none",
                        zorder=3,
                        **_hatch(status, 0.85),
                    )
                )
        limits = fit_aspect(tuple(bounds), (x1 - x0) / (y1 - y0), margin=0.06)
        ax.set_xlim(limits[0], limits[2])
        ax.set_ylim(limits[1], limits[3])
        lx0, ly0, lx1, ly1 = self.limits
        ax.add_patch(
            Rectangle(
                (lx0, ly0),
                lx1 - lx0,
                ly1 - ly0,
                facecolor="none",
                edgecolor=_LOCATOR,
                linewidth=1.4,
                zorder=4,
                gid="locator-extent",
            )
        )
        if (lx1 - lx0) < 0.06 * (limits[2] - limits[0]):
            ax.plot(
                [(lx0 + lx1) / 2],
                [(ly0 + ly1) / 2],
                marker="o",
                markersize=7 * self.k,
                markerfacecolor="none",
                markeredgecolor=_LOCATOR,
                markeredgewidth=1.2,
                zorder=4,
            )

    def _locator_shapes(self) -> tuple[MplPath | None, list[MplPath]]:
        """Syria and its neighbours for the locator map, projected like the main map."""
        frame = context.countries(None, tolerance=0.02)
        syria, others = None, []
        for code, geometry in zip(frame["iso_n3"], frame.geometry, strict=True):
            clipped = shapely.clip_by_rect(geometry, 30.0, 28.0, 50.0, 42.0)
            path = _path(_project(clipped, self.transformer))
            if path is None:
                continue
            if code == context.SYRIA:
                syria = path
            else:
                others.append(path)
        return syria, others

    def _locator_zones(self):
        zones = self.scene.zones
        for zone_id, status, geometry in zip(
            zones["zone_id"], zones["status"], zones.geometry.values, strict=True
        ):
            yield str(zone_id), str(status), _project(geometry, self.transformer)

    def _legend(self, box: Box) -> float:
        """Statuses and the kinds shown, from the top of ``box``; returns where it ended."""
        x0, y0, x1, y1 = box
        head = self.pt(8.2)
        size = self.pt(7)
        swatch_w = 15 * self.k * self.px_per_pt
        swatch_h = 9 * self.k * self.px_per_pt
        gap = 5 * self.k * self.px_per_pt
        tx0, tx1 = (x0, x1 - swatch_w - gap) if self.rtl else (x0 + swatch_w + gap, x1)
        sx = x1 - swatch_w if self.rtl else x0
        top = self.lines_block(
            x0, x1, y1, w.word(self.lang, "status_heading"), head, weight="bold", gid="legend"
        )
        top -= 2
        for status, color in style.STATUS_COLORS.items():
            label = w.status_label(self.lang, status)
            new = self.lines_block(tx0, tx1, top, label, size, bottom=y0, gid="legend")
            if new is None:
                return top
            self._swatch(sx, top, swatch_w, swatch_h, color, 0.42, "solid", status=status)
            top = new - 2
        national_status = self._national_status()
        new = self.lines_block(
            tx0,
            tx1,
            top,
            w.word(self.lang, "national"),
            size,
            bottom=y0,
            color=_MUTED,
            gid="legend",
        )
        if new is None:
            return top
        self._swatch(
            sx,
            top,
            swatch_w,
            swatch_h,
            style.STATUS_COLORS.get(national_status, "#8a8f98"),
            0.07,
            "dashed",
            status=national_status,
        )
        top = new - self.line_height(size) * 0.6
        new = self.lines_block(
            x0,
            x1,
            top,
            w.word(self.lang, "kinds_heading"),
            head,
            weight="bold",
            bottom=y0,
            gid="legend",
        )
        if new is None:
            return top
        top = new - 2
        if not self.kinds:
            new = self.lines_block(
                tx0,
                tx1,
                top,
                w.word(self.lang, "no_incidents"),
                size,
                bottom=y0,
                color=_MUTED,
                gid="legend",
            )
            return top if new is None else new
        for kind, count in self.kinds.items():
            label = f"{w.kind_label(self.lang, w.clean(kind, 40))} ({count:,})"
            new = self.lines_block(tx0, tx1, top, label, size, bottom=y0, gid="legend")
            if new is None:
                return top
            cy = top - self.line_height(size) / 2
            self.fig.add_artist(
                Line2D(
                    [(sx + swatch_w / 2) / self.W],
                    [cy / self.H],
                    marker="o",
                    markersize=5.2 * self.k,
                    markerfacecolor=style.kind_color(kind),
                    markeredgecolor="white",
                    markeredgewidth=0.7,
                    linewidth=0,
                    transform=self.fig.transFigure,
                )
            )
            top = new - 1
        return top

    def _national_status(self) -> str:
        zones = self.scene.zones
        rows = zones[zones["zone_id"] == NATIONWIDE]
        return str(rows["status"].iloc[0]) if len(rows) else "none"

    def _swatch(
        self,
        x: float,
        top: float,
        width: float,
        height: float,
        color: str,
        alpha: float,
        linestyle: str,
        *,
        status: str = "",
    ) -> None:
        y = top - (self.line_height(self.pt(7)) + height) / 2
        self.fig.add_artist(
            Rectangle(
                (x / self.W, y / self.H),
                width / self.W,
                height / self.H,
                transform=self.fig.transFigure,
                facecolor=to_rgba(color, alpha),
                edgecolor=color,
                linewidth=1.0,
                linestyle=(0, (3, 2)) if linestyle == "dashed" else "solid",
                gid=f"legend-swatch-{_safe_id(status)}" if status else None,
                **_hatch(status, 0.35 if alpha < 0.2 else 0.85),
            )
        )

    def _agreements(self, box: Box) -> None:
        """The agreements in force in the zones shown: title, since when, short citation."""
        x0, y0, x1, y1 = box
        agreements = self.scene.agreements
        head = self.pt(8.2)
        size = self.pt(7)
        small = self.pt(6.3)
        top = self.lines_block(
            x0,
            x1,
            y1,
            w.word(self.lang, "agreements_heading", count=len(agreements)),
            head,
            weight="bold",
            gid="agreements",
            bottom=y0,
        )
        if top is None:
            return
        top -= 2
        if agreements.empty:
            self.lines_block(
                x0,
                x1,
                top,
                w.word(self.lang, "no_agreements"),
                size,
                color=_MUTED,
                gid="agreements",
                bottom=y0,
            )
            return
        reserve = self.line_height(small)
        shown = 0
        total = len(agreements)
        for _, row in agreements.iterrows():
            last = shown == total - 1
            floor = y0 if last else y0 + reserve
            title = w.clean(row["title"], 160)
            cites = citations(str(row["source"]))
            cite = w.clean(cites[0][0], 60) if cites else ""
            since = w.word(
                self.lang,
                "since",
                date=w.day_words(
                    row["effective_from"], self.lang, str(row.get("date_precision", "day"))
                ),
            )
            detail = f"{since} · {cite}" if cite else since
            title_lines = wrap(title, x1 - x0, lambda t: self.measure(t, size, "bold"), 3)
            detail_lines = wrap(detail, x1 - x0, lambda t: self.measure(t, small), 2)
            need = len(title_lines) * self.line_height(size) + len(detail_lines) * self.line_height(
                small
            )
            if top - need < floor:
                break
            top = self.lines_block(
                x0, x1, top, title, size, weight="bold", max_lines=3, gid="agreements"
            )
            top = self.lines_block(
                x0, x1, top, detail, small, color=_MUTED, max_lines=2, gid="agreements"
            )
            top -= self.line_height(small) * 0.45
            shown += 1
        if shown < total:
            self.lines_block(
                x0,
                x1,
                top,
                w.word(self.lang, "more_agreements", count=total - shown),
                small,
                color=_MUTED,
                gid="agreements",
            )
        self.info.agreements_shown = shown
