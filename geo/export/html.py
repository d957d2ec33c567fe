"""Self-contained HTML snapshots of a view: one file that opens from disk with no network.

:func:`snapshot_html` draws a :class:`~geo.view.Scene` with the app's own folium map
(:func:`geo.render.maps.snapshot_map`: zones by status, incidents of the window, the legend,
popups and the layer control) and wraps it in a page that says what it shows: a header with
the title, the instant in Damascus time and UTC, the view's permalink, the data version and
the generation time, and a footer with the zones shown and the short citations of the records
shown. The map never has tiles: a snapshot is made to be read in a room without internet.

:func:`inline_assets` then replaces every reference to the vendored Leaflet files
(:data:`geo.assets.URL_PREFIX`) by the file's content, and the images those style sheets
refer to by ``data:`` URIs. :func:`external_references` lists whatever in a page would still
be fetched from elsewhere; a snapshot with any such reference is an :class:`AssetError`.

Every string from a data file is escaped where it is shown, exactly as in the app (the map's
popups and tooltips come from the same code); the title is the user's text and is escaped
too. Folium gives each element a random id; here they are numbered in order instead, so that
two exports of the same view (with the same ``generated`` time) are byte-identical.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd

from geo import schema
from geo.assets import URL_PREFIX, VENDOR_DIR, AssetError
from geo.errors import UsageError
from geo.render.escape import citations, esc, safe_href, source_links
from geo.render.maps import BASEMAP_LABELS, ReferenceLayer, snapshot_map
from geo.render.style import HATCH_COLOR, HATCHED_STATUSES, STATUS_COLORS
from geo.view import Bounds, Scene, parse_bbox

#: Languages of the page furniture (header, footer).
LANGUAGES = ("en", "ar")
#: At most this many distinct citations of incidents are listed in the footer.
MAX_CITATIONS = 300

#: Media types of the files a vendored style sheet may refer to.
_MEDIA_TYPES = {
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}

_AR_MONTHS = (
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
)

_TEXT = {
    "en": {
        "title": "Syria: ceasefire and de-escalation zones",
        "utc": "UTC",
        "window": "Incidents of the {days:g} days before this instant",
        "focus": "focus",
        "kinds": "kinds",
        "perpetrators": "alleged perpetrators",
        "datasets": "data sets",
        "zones": "zones",
        "counts": "{zones} zones shown, {agreements} agreements in force, "
        "{incidents} incidents in the window",
        "view": "View",
        "data_version": "Data version",
        "unknown": "not given",
        "generated": "Generated",
        "approximate": "Zone boundaries are approximate.",
        "no_tiles": "This snapshot has no base map tiles (it is made to be read offline); "
        "the view asked for {base}.",
        "zones_shown": "Zones shown",
        "agreements": "Agreements in force",
        "sources": "Sources of the incidents in the window",
        "more": "and {n} more citations (see the Records page or the data set)",
        "none": "none",
        "outlines": "Zone outlines are dezmap's own approximate digitising; each outline's "
        "sources are in the data (boundary_source).",
        "status": {
            "none": "no agreement in force",
            "holding": "holding",
            "possibly-violated": "possibly violated",
            "violated": "violated",
            "lapsed": "lapsed",
        },
    },
    "ar": {
        "title": "سوريا: مناطق وقف إطلاق النار وخفض التصعيد",
        "utc": "بالتوقيت العالمي المنسق (UTC)",
        "window": "نافذة الحوادث قبل هذه اللحظة (بالأيام): {days:g}",
        "focus": "المنطقة المختارة",
        "kinds": "أنواع الحوادث",
        "perpetrators": "الجهات المتهمة",
        "datasets": "مجموعات البيانات",
        "zones": "المناطق",
        "counts": "عدد المناطق المعروضة: {zones}؛ الاتفاقات السارية: {agreements}؛ "
        "الحوادث ضمن النافذة: {incidents}",
        "view": "رابط العرض",
        "data_version": "إصدار البيانات",
        "unknown": "غير محدد",
        "generated": "تاريخ الإنشاء",
        "approximate": "حدود المناطق تقريبية.",
        "no_tiles": "لا تحتوي هذه اللقطة على خريطة أساس (أُعدّت للقراءة دون اتصال)؛ "
        "طلب العرض: {base}.",
        "zones_shown": "المناطق المعروضة",
        "agreements": "الاتفاقات السارية",
        "sources": "مصادر الحوادث ضمن النافذة",
        "more": "استشهادات أخرى غير مدرجة: {n} (انظر صفحة السجلات أو مجموعة البيانات)",
        "none": "لا يوجد",
        "outlines": "حدود المناطق رسمها مشروع dezmap رسماً تقريبياً؛ مصادر كل حد مذكورة في "
        "البيانات (boundary_source).",
        "status": {
            "none": "لا اتفاق ساري",
            "holding": "صامد",
            "possibly-violated": "انتهاك محتمل",
            "violated": "مُنتهَك",
            "lapsed": "انتهى الاتفاق",
        },
    },
}

#: Styles of the page furniture; the map takes the height the header and footer leave.
_PAGE_CSS = """
html,body{height:100%;margin:0}
body{display:flex;flex-direction:column;font:14px/1.4 system-ui,sans-serif;color:#111827}
.dz-snap-head{flex:0 0 auto;padding:8px 14px;border-bottom:1px solid #cbd5e1;background:#f8fafc}
.dz-snap-head h1{font-size:19px;margin:0 0 2px 0}
.dz-snap-head p{margin:1px 0}
.dz-snap-when{font-weight:600}
.dz-snap-note{color:#92400e}
.dz-snap-approx{font-weight:600}
.dz-snap-small{font-size:12px;color:#374151;overflow-wrap:anywhere}
.folium-map{flex:1 1 auto;min-height:320px;height:auto!important}
.dz-snap-foot{flex:0 0 auto;max-height:28vh;overflow:auto;padding:6px 14px;font-size:12px;
border-top:1px solid #cbd5e1;background:#f8fafc;overflow-wrap:anywhere}
.dz-snap-foot h2{font-size:13px;margin:6px 0 2px 0}
.dz-snap-foot ul{margin:0;padding-inline-start:18px}
.dz-snap-zones li{list-style:none}
.dz-snap-swatch{display:inline-block;width:12px;height:9px;margin-inline-end:5px;opacity:.8}
@media print{body{display:block}.folium-map{height:70vh!important}
.dz-snap-foot{max-height:none;overflow:visible}}
"""


def snapshot_html(
    scene: Scene,
    *,
    reference: Sequence[ReferenceLayer] = (),
    title: str | None = None,
    permalink: str = "",
    data_version: str = "",
    generated: dt.datetime | None = None,
    lang: str = "en",
    bbox: Bounds | str | None = None,
) -> str:
    """One self-contained HTML page showing a scene: the map, what it shows and its sources.

    Parameters
    ----------
    scene
        From :func:`geo.view.select`.
    reference
        Reference layers drawn under the zones (as on the app's map).
    title
        The page's title (user text, escaped); None for a default naming the focused zone.
    permalink
        The view's address (``view.permalink(app_url)``); empty for the query string alone.
        It becomes a link only if it is an ``http(s)`` address.
    data_version
        A short identifier of the data files (for example a hash), shown in the header.
    generated
        The generation time shown in the header (a naive datetime is taken as UTC); None for
        now. Two exports of the same scene with the same ``generated`` are byte-identical.
    lang
        ``"en"`` or ``"ar"``: the language of the header and footer (Arabic is right to left
        and uses the zones' Arabic names, on the map's zone labels too). The map's popups
        and legend are the app's.
    bbox
        Extent to draw (min lon, min lat, max lon, max lat, or that as text); None for the
        view's extent.

    Returns
    -------
    str
        The whole page. Nothing in it loads from the network or from disk.

    Raises
    ------
    UsageError
        For an unknown language, a bad bbox or a ``generated`` that is not a datetime.
    AssetError
        If the vendored map assets are not installed (run ``make`` or ``python -m geo.assets``)
        or the page would still refer to anything outside itself.
    """
    if lang not in LANGUAGES:
        raise UsageError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    bounds = _bounds(scene, bbox)
    when = _generated(generated)
    view = scene.view
    m = snapshot_map(
        scene.timeline,
        scene.status,
        scene.incidents,
        bounds,
        basemap="none",
        reference=reference,
        focus=view.zone,
        lang=lang,
    )
    page = _render(m)
    if "L.tileLayer(" in page:
        raise AssetError("a snapshot must not load map tiles, but the map has a tile layer")
    text = _TEXT[lang]
    page = _furnish(
        page,
        title=title if title is not None else _default_title(scene, lang),
        header=_header(scene, text, lang, title, permalink, data_version, when),
        footer=_footer(scene, text, lang),
        lang=lang,
    )
    return inline_assets(page)


# --- the page ----------------------------------------------------------------------------------


def _bounds(scene: Scene, bbox: Bounds | str | None) -> Bounds:
    if bbox is None:
        return scene.extent()
    if isinstance(bbox, str):
        return parse_bbox(bbox)
    try:
        values = [float(v) for v in bbox]
    except (TypeError, ValueError):
        raise UsageError(
            f"bbox {bbox!r} is not four numbers (min lon, min lat, max lon, max lat)"
        ) from None
    return parse_bbox(",".join(repr(v) for v in values))


def _generated(value: dt.datetime | None) -> pd.Timestamp:
    if value is None:
        return pd.Timestamp.now(tz="UTC").floor("s")
    if not isinstance(value, dt.datetime):
        raise UsageError(f"generated must be a datetime, not {value!r}")
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _render(m: Any) -> str:
    """Render a folium map with its element ids numbered in order (a deterministic page)."""
    root = m.get_root()
    named = list(_walk(root))
    for n, element in enumerate(named):
        element._id = str(n)
    page = root.render()
    # elements created while rendering keep folium's random ids: number them too
    known = {id(e) for e in named}
    extra = [e for e in _walk(root) if id(e) not in known]
    for n, element in enumerate(extra, start=len(named)):
        page = page.replace(element._id, str(n))
    return page


def _walk(element: Any) -> Iterator[Any]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def _zone_name(row: pd.Series, lang: str) -> str:
    if lang == "ar":
        name = row.get("name_ar")
        if isinstance(name, str) and name.strip():
            return name
    return str(row.get("name") or row.get("zone_id") or "")


def _default_title(scene: Scene, lang: str) -> str:
    base = _TEXT[lang]["title"]
    if scene.view.zone:
        focused = scene.status[scene.status["zone_id"] == scene.view.zone]
        if len(focused):
            return f"{base}: {_zone_name(focused.iloc[0], lang)}"
    return base


def _instant_words(at: pd.Timestamp, lang: str) -> tuple[str, str]:
    """The instant in Damascus time and in UTC, in words."""
    local = at.tz_convert(schema.DAMASCUS)
    utc = at.tz_convert("UTC")
    if lang == "ar":
        return (
            f"{local.day} {_AR_MONTHS[local.month - 1]} {local.year}، "
            f"الساعة {local:%H:%M} بتوقيت دمشق",
            f"{utc.day} {_AR_MONTHS[utc.month - 1]} {utc.year}، الساعة {utc:%H:%M} "
            + _TEXT["ar"]["utc"],
        )
    return (
        schema.format_local(at.to_pydatetime()),
        f"{utc.day} {utc:%B %Y}, {utc:%H:%M} UTC",
    )


def _filters(scene: Scene, text: dict, lang: str) -> str:
    view = scene.view
    parts = [esc(text["window"].format(days=view.window))]
    if view.zone:
        focused = scene.status[scene.status["zone_id"] == view.zone]
        name = view.zone if focused.empty else _zone_name(focused.iloc[0], lang)
        parts.append(f"{esc(text['focus'])}: <bdi>{esc(name)}</bdi>")
    for name in ("kinds", "perpetrators", "datasets", "zones"):
        values = getattr(view, name)
        if values:
            parts.append(f"{esc(text[name])}: <bdi>{esc(', '.join(values))}</bdi>")
    return "; ".join(parts)


def _header(
    scene: Scene,
    text: dict,
    lang: str,
    title: str | None,
    permalink: str,
    data_version: str,
    when: pd.Timestamp,
) -> str:
    view = scene.view
    shown_title = title if title is not None else _default_title(scene, lang)
    local, utc = _instant_words(view.at, lang)
    address = permalink.strip() or view.permalink("")
    href = safe_href(address)
    link = (
        f'<a href="{href}" target="_blank" rel="noopener noreferrer">{esc(address)}</a>'
        if href
        else f"<code>{esc(address)}</code>"
    )
    counts = text["counts"].format(
        zones=len(scene.status), agreements=len(scene.agreements), incidents=len(scene.records)
    )
    rows = [
        f"<h1>{esc(shown_title)}</h1>",
        f'<p class="dz-snap-when"><time datetime="{esc(view.at.isoformat())}">{esc(local)}'
        f"</time> &middot; {esc(utc)}</p>",
        f'<p class="dz-snap-small">{_filters(scene, text, lang)}</p>',
        f'<p class="dz-snap-small">{esc(counts)}</p>',
        f'<p class="dz-snap-small">{esc(text["view"])}: <span dir="ltr">{link}</span></p>',
        f'<p class="dz-snap-small">{esc(text["data_version"])}: '
        f'<code dir="ltr">{esc(data_version or text["unknown"])}</code> &middot; '
        f'{esc(text["generated"])}: <time dir="ltr" datetime="{esc(when.isoformat())}">'
        f"{when:%Y-%m-%d %H:%M} UTC</time> &middot; "
        f'<span class="dz-snap-approx">{esc(text["approximate"])}</span></p>',
    ]
    if view.base != "none":
        base = BASEMAP_LABELS.get(view.base, view.base)
        rows.append(f'<p class="dz-snap-note">{esc(text["no_tiles"].format(base=base))}</p>')
    return f'<header class="dz-snap-head" {_lang_attrs(lang)}>{"".join(rows)}</header>'


def _footer(scene: Scene, text: dict, lang: str) -> str:
    zones = "".join(
        f'<li data-zone="{esc(row["zone_id"])}" data-status="{esc(row["status"])}">'
        f'<span class="dz-snap-swatch" style="background:{_swatch_fill(row["status"])}"></span>'
        f"<bdi>{esc(_zone_name(row, lang))}</bdi> "
        f"({esc(text['status'].get(row['status'], row['status']))})</li>"
        for _, row in scene.status.iterrows()
    )
    agreements = "".join(
        f"<li><bdi>{esc(a['title'])}</bdi>: "
        f"<bdi>{source_links(a['source'], limit=100) or esc(text['none'])}</bdi></li>"
        for _, a in scene.agreements.iterrows()
    )
    listed, more = _incident_citations(scene.records)
    sources = "; ".join(f"<bdi>{item}</bdi>" for item in listed)
    if more:
        sources += ("; " if sources else "") + esc(text["more"].format(n=more))
    sections = [
        f'<h2>{esc(text["zones_shown"])}</h2><ul class="dz-snap-zones">'
        f"{zones or '<li>' + esc(text['none']) + '</li>'}</ul>",
        f"<h2>{esc(text['agreements'])}</h2>"
        + (f"<ul>{agreements}</ul>" if agreements else f"<p>{esc(text['none'])}</p>"),
        f"<h2>{esc(text['sources'])}</h2><p>{sources or esc(text['none'])}</p>",
        f'<p><span class="dz-snap-approx">{esc(text["approximate"])}</span> '
        f"{esc(text['outlines'])}</p>",
    ]
    return f'<footer class="dz-snap-foot" {_lang_attrs(lang)}>{"".join(sections)}</footer>'


def _swatch_fill(status: str) -> str:
    """A status swatch's CSS background: its colour, striped for the hatched statuses."""
    color = STATUS_COLORS.get(status, "#000")
    if status in HATCHED_STATUSES:
        return f"repeating-linear-gradient(135deg,{color} 0 3px,{HATCH_COLOR} 3px 4.5px),{color}"
    return color


def _incident_citations(records: pd.DataFrame) -> tuple[list[str], int]:
    """Escaped short citations of the incidents (each once, newest first), and how many more."""
    seen: dict[tuple[str, str | None], None] = {}
    if len(records):
        for source in pd.unique(records["source"].astype(str)):
            for pair in citations(source):
                seen.setdefault(pair, None)
    out = []
    for label, url in list(seen)[:MAX_CITATIONS]:
        href = safe_href(url) if url else None
        out.append(
            f'<a href="{href}" target="_blank" rel="noopener noreferrer">{esc(label)}</a>'
            if href
            else esc(label)
        )
    return out, max(len(seen) - MAX_CITATIONS, 0)


def _lang_attrs(lang: str) -> str:
    return 'lang="ar" dir="rtl"' if lang == "ar" else 'lang="en" dir="ltr"'


def _furnish(page: str, *, title: str, header: str, footer: str, lang: str) -> str:
    """Put the title, styles, header and footer into the page folium rendered."""
    edits = [
        ("<html>", f'<html lang="{lang}">'),
        ("<head>", f"<head>\n<title>{esc(title)}</title>\n"),
        ("</head>", f"<style>{_PAGE_CSS}</style>\n</head>"),
        ("<body>", f"<body>\n{header}"),
        ("</body>", f"{footer}\n</body>"),
        ('<div class="folium-map"', '<div lang="en" dir="ltr" class="folium-map"'),
    ]
    for old, new in edits:
        at = page.find(old)
        if at < 0:
            raise AssetError(f"the rendered map has no {old!r}; folium's page layout changed")
        page = page[:at] + new + page[at + len(old) :]
    return page


# --- inlining ----------------------------------------------------------------------------------

_HEAD = re.compile(r"<head\b.*?</head>", re.S | re.I)
_SCRIPT_SRC = re.compile(r'<script\b[^>]*?\bsrc="([^"]*)"[^>]*>\s*</script>', re.I)
_LINK_HREF = re.compile(r'<link\b[^>]*?\bhref="([^"]*)"[^>]*>', re.I)
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]*)\1\s*\)""", re.I)


def inline_assets(html: str, vendor_dir: Path = VENDOR_DIR) -> str:
    """Inline every vendored script and style sheet of a page, with their images.

    Each ``<script src>`` and ``<link href>`` in the page's ``<head>`` that points under
    :data:`geo.assets.URL_PREFIX` is replaced by the file's content, and each ``url(...)``
    in those style sheets by a ``data:`` URI of the file it names.

    Parameters
    ----------
    html
        A whole HTML page.
    vendor_dir
        Where the vendored files are (``static/vendor`` of the project).

    Returns
    -------
    str
        The page, with nothing left to fetch.

    Raises
    ------
    AssetError
        If a vendored file is missing (run ``make`` or ``python -m geo.assets``), cannot be
        inlined safely, or if the page still refers to anything outside itself afterwards
        (see :func:`external_references`).
    """
    vendor = Path(vendor_dir).resolve()
    head = _HEAD.search(html)
    if head is not None:

        def script(match: re.Match[str]) -> str:
            path = _vendored(match.group(1), vendor)
            return match.group(0) if path is None else f"<script>\n{_script_text(path)}\n</script>"

        def link(match: re.Match[str]) -> str:
            path = _vendored(match.group(1), vendor)
            if path is None:
                return match.group(0)
            if path.suffix != ".css":
                raise AssetError(
                    f"{match.group(1)} is linked from the page but is not a style sheet"
                )
            return f"<style>\n{_style_text(path, vendor)}\n</style>"

        part = _LINK_HREF.sub(link, _SCRIPT_SRC.sub(script, head.group(0)))
        html = html[: head.start()] + part + html[head.end() :]
    remaining = external_references(html)
    if remaining:
        shown = ", ".join(remaining[:5]) + (", ..." if len(remaining) > 5 else "")
        raise AssetError(
            f"the page still refers to {len(remaining)} thing(s) outside itself: {shown}; "
            "a snapshot must hold every script, style and image"
        )
    return html


def _vendored(url: str, vendor: Path) -> Path | None:
    """The vendored file an address names; None for an address that is not vendored."""
    prefix = URL_PREFIX.rstrip("/") + "/"
    if not url.startswith(prefix):
        return None
    path = (vendor / url[len(prefix) :].split("?")[0].split("#")[0]).resolve()
    if not path.is_relative_to(vendor):
        raise AssetError(f"{url} points outside the vendored assets")
    if not path.is_file():
        raise AssetError(
            f"{url}: {path} is not installed; run `make` (or `python -m geo.assets`) first"
        )
    return path


def _script_text(path: Path) -> str:
    return _cached_script(str(path), *_stamp(path))


def _style_text(path: Path, vendor: Path) -> str:
    return _cached_style(str(path), str(vendor), *_stamp(path))


def _stamp(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_mtime_ns, info.st_size


@lru_cache(maxsize=32)
def _cached_script(path: str, _mtime: int, _size: int) -> str:
    text = Path(path).read_text(encoding="utf-8")
    if re.search(r"</script|<!--", text, re.I):
        raise AssetError(f"{path} holds '</script' or '<!--' and cannot be inlined as it is")
    return text


@lru_cache(maxsize=32)
def _cached_style(path: str, vendor: str, _mtime: int, _size: int) -> str:
    file = Path(path)
    text = file.read_text(encoding="utf-8")
    if re.search(r"</style", text, re.I):
        raise AssetError(f"{path} holds '</style' and cannot be inlined as it is")
    if re.search(r"@import", text, re.I):
        raise AssetError(f"{path} imports another style sheet; inline it in the vendored copy")

    def image(match: re.Match[str]) -> str:
        target = match.group(2).strip()
        if not target or target.startswith(("data:", "#")):
            return match.group(0)
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//", target, re.I):
            raise AssetError(f"{path} refers to {target}, which is not a vendored file")
        image_path = (file.parent / target.split("?")[0].split("#")[0]).resolve()
        if not image_path.is_relative_to(Path(vendor)) or not image_path.is_file():
            raise AssetError(f"{path} refers to {target}, which is not installed beside it")
        media = _MEDIA_TYPES.get(image_path.suffix.lower())
        if media is None:
            raise AssetError(f"{path} refers to {target}, whose type is not known")
        data = base64.b64encode(image_path.read_bytes()).decode("ascii")
        return f'url("data:{media};base64,{data}")'

    return _CSS_URL.sub(image, text)


# --- checking ----------------------------------------------------------------------------------

#: Attributes that make a browser fetch something, on any element.
_FETCHING = ("src", "srcset", "poster", "data", "background", "action", "formaction", "manifest")


class _References(HTMLParser):
    """Collects every address in a page that a browser would fetch (or navigate to on disk)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" or (tag == "meta" and values.get("http-equiv", "").lower() == "refresh"):
            self.found.append(f"<{tag}> {values.get('href') or values.get('content', '')}")
        for name in _FETCHING:
            if name in values and not values[name].strip().startswith("data:"):
                self.found.append(f"<{tag} {name}={values[name]!r}>")
        for name in ("href", "xlink:href"):
            if name not in values:
                continue
            value = values[name].strip()
            if tag in ("a", "area"):
                if not (value.startswith("#") or safe_href(value)):
                    self.found.append(f"<{tag} {name}={value!r}>")
            elif not value.startswith(("data:", "#")):
                self.found.append(f"<{tag} {name}={value!r}>")
        if "style" in values:
            self.found.extend(_css_references(values["style"]))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found.extend(_css_references(data))


def _css_references(css: str) -> list[str]:
    out = [
        f"@import in a style: {css[m.start() : m.start() + 60]!r}"
        for m in re.finditer(r"@import", css, re.I)
    ]
    for match in _CSS_URL.finditer(css):
        target = match.group(2).strip()
        if not target.startswith(("data:", "#")):
            out.append(f"url({target})")
    return out


def external_references(html: str) -> list[str]:
    """Everything in a page that a browser would load from outside the page.

    Looks at the markup and at the styles (``<style>`` and ``style=""``): the source of
    scripts, images, frames and media, linked files, ``url(...)`` in styles, ``@import``,
    ``<base>`` and refresh redirects. Links a reader may click (``<a href>``) are allowed to
    ``http(s)`` addresses and fragments only. Scripts' own code is not analysed.

    Parameters
    ----------
    html
        A whole HTML page.

    Returns
    -------
    list of str
        One short description per reference, in order; empty for a self-contained page.
    """
    parser = _References()
    parser.feed(html)
    parser.close()
    return parser.found
