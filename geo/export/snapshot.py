"""Briefing snapshots of a view: PNG, PDF, SVG and self-contained HTML, and atlases over time.

A snapshot is drawn from the same :class:`~geo.view.Scene` the app shows for the view, so the
two cannot disagree. Static formats are rendered by :mod:`geo.render.static` (matplotlib, no
browser); HTML by :mod:`geo.export.html` (one file, every asset inlined). An atlas is one
snapshot per instant between two dates: a multi-page PDF, an animated GIF or WebP, or one PNG
per instant in a folder.

Every file is written atomically: a failed or interrupted snapshot leaves no file behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from geo import schema
from geo.atomic import atomic_write_bytes
from geo.errors import DezmapError
from geo.view import View, select

if TYPE_CHECKING:
    from geo.render.maps import ReferenceLayer
    from geo.timemodel import Timeline

#: Single-view formats, by file extension.
FORMATS = ("png", "pdf", "svg", "html")
#: Atlas outputs: a multi-page PDF, an animation, or a folder of PNGs ("dir").
ATLAS_FORMATS = ("pdf", "gif", "webp", "dir")
LANGS = ("en", "ar")
#: The app's address for permalinks in footers: ``$DEZMAP_PUBLIC_URL`` or the local default.
DEFAULT_BASE_URL = "http://localhost:8501/"
#: At most this many pages or frames in one atlas.
MAX_ATLAS_PAGES = 500
#: Frame duration of animated atlases (ms).
FRAME_MS = 900

_STEP = re.compile(r"^\s*(\d+)\s*([dwm])\s*$")


class SnapshotError(DezmapError):
    """A snapshot cannot be made as asked: the message names the argument and the fix."""


@dataclass(frozen=True)
class Options:
    """How to render a snapshot (everything but the view).

    Attributes
    ----------
    fmt
        One of :data:`FORMATS`.
    size, portrait, dpi
        Page: ``a4``, ``letter``, ``slide`` or ``WxHpx``; landscape unless ``portrait``.
    lang
        ``en`` or ``ar``.
    title
        A title instead of the default one (user text: escaped where rendered).
    base_url
        The app's address, for the permalink printed on the snapshot.
    data_version
        A short hash of the data files (:func:`data_version`).
    generated
        The generation time printed on the snapshot (when None: ``$SOURCE_DATE_EPOCH`` if
        set, else now).
    reference
        Reference layers to draw under the zones.
    """

    fmt: str = "png"
    size: str = "a4"
    portrait: bool = False
    dpi: int = 200
    lang: str = "en"
    title: str | None = None
    base_url: str = ""
    data_version: str = ""
    generated: dt.datetime | None = None
    reference: Sequence[ReferenceLayer] = field(default=(), repr=False)

    def checked(self) -> Options:
        """The options with defaults filled in, or a :class:`SnapshotError` naming the bad one."""
        if self.fmt not in FORMATS:
            raise SnapshotError(f"--format: {self.fmt!r} is not one of {', '.join(FORMATS)}")
        if self.lang not in LANGS:
            raise SnapshotError(f"--lang: {self.lang!r} is not one of {', '.join(LANGS)}")
        base_url = self.base_url or os.environ.get("DEZMAP_PUBLIC_URL") or DEFAULT_BASE_URL
        generated = self.generated or _now()
        return replace(self, base_url=base_url, generated=generated)


def _now() -> dt.datetime:
    """Now, or ``$SOURCE_DATE_EPOCH`` when set (reproducible output, as build tools do)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def infer_format(path: str | Path, fmt: str | None = None) -> str:
    """The output format: ``fmt`` when given, else the file's extension.

    Raises
    ------
    SnapshotError
        When neither names a known format.
    """
    if fmt:
        fmt = fmt.lower().lstrip(".")
        if fmt not in FORMATS:
            raise SnapshotError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "htm":
        suffix = "html"
    if suffix not in FORMATS:
        raise SnapshotError(
            f"-o: cannot tell the format from {str(path)!r}; end the name in "
            f"{', '.join('.' + f for f in FORMATS)} or give --format"
        )
    return suffix


def data_version(data_dir: str | Path) -> str:
    """A short hash of the data files a view is drawn from (bundled files and imported sets).

    Two snapshots with the same data version were drawn from byte-identical data.
    """
    from geo.config import AGREEMENTS_FILE, VIOLATIONS_FILE, ZONES_FILE
    from geo.datasets import imported_dir

    folder = Path(data_dir)
    files = [folder / ZONES_FILE, folder / AGREEMENTS_FILE, folder / VIOLATIONS_FILE]
    files += sorted(imported_dir(folder).glob("*.parquet"))
    digest = hashlib.sha256()
    for path in files:
        if not path.is_file():
            continue
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def check_instant(timeline: Timeline, view: View, argument: str = "--date") -> None:
    """Refuse an instant outside the data's range, naming the argument and the range."""
    lo, hi = timeline.range
    if not lo <= view.at <= hi:
        raise SnapshotError(
            f"{argument}: {schema.format_local(view.at)} is outside the data, which runs from "
            f"{schema.format_local(lo, with_time=False)} to "
            f"{schema.format_local(hi, with_time=False)}"
        )


def render_snapshot(timeline: Timeline, view: View, options: Options) -> bytes:
    """Render one view in one format and return the file's bytes.

    Parameters
    ----------
    timeline
        The loaded data.
    view
        What to show (the app's view; its ``bbox`` is the extent when set).
    options
        Format, page, language, title... (see :class:`Options`).

    Returns
    -------
    bytes

    Raises
    ------
    SnapshotError, UsageError
        For options that cannot be used.
    """
    options = options.checked()
    scene = select(timeline, view)
    permalink = view.permalink(options.base_url)
    if options.fmt == "html":
        from geo.export.html import snapshot_html

        return snapshot_html(
            scene,
            reference=options.reference,
            title=options.title,
            permalink=permalink,
            data_version=options.data_version,
            generated=options.generated,
            lang=options.lang,
            bbox=view.bbox,
        ).encode("utf-8")
    fig = _figure(scene, options, permalink)
    try:
        out = io.BytesIO()
        from geo.render.static import save_figure

        save_figure(fig, out, options.fmt)
        return out.getvalue()
    finally:
        fig.clear()


#: Where a default extent is kept when the zones reach far beyond Syria (a stray vertex that
#: validate only warns about): Syria and its neighbours, min lon, min lat, max lon, max lat.
REGION = (30.0, 28.0, 50.0, 42.0)


def snapshot_extent(scene) -> tuple[float, float, float, float] | None:
    """The extent a static snapshot draws: the view's bbox, else its default within the region.

    None lets the renderer take the scene's own extent. A default extent that reaches beyond
    :data:`REGION` (a zone with a vertex far from Syria) is clipped to it, so that data that
    validate accepts always gets a snapshot.
    """
    if scene.view.bbox is not None:
        return scene.view.bbox
    x0, y0, x1, y1 = scene.extent()
    rx0, ry0, rx1, ry1 = REGION
    if x0 >= rx0 and y0 >= ry0 and x1 <= rx1 and y1 <= ry1:
        return None
    clipped = (max(x0, rx0), max(y0, ry0), min(x1, rx1), min(y1, ry1))
    if clipped[0] >= clipped[2] or clipped[1] >= clipped[3]:
        return REGION
    return clipped


def _figure(scene, options: Options, permalink: str):
    from geo.render.static import page_size, render_static

    page = page_size(options.size, portrait=options.portrait, dpi=int(options.dpi))
    return render_static(
        scene,
        page=page,
        lang=options.lang,
        title=options.title,
        permalink=permalink,
        data_version=options.data_version,
        generated=options.generated,
        reference=options.reference,
        bbox=snapshot_extent(scene),
    )


def check_output(path: str | Path, *, folder: bool = False) -> Path:
    """Refuse an output whose folder is missing or not writable, before any work is done."""
    target = Path(path)
    parent = target if folder else (target.parent if str(target.parent) else Path("."))
    if not parent.is_dir():
        raise SnapshotError(
            f"-o: the folder {str(parent)!r} does not exist; create it or write elsewhere"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise SnapshotError(f"-o: cannot write in {str(parent)!r}; choose a folder you can write")
    if not folder and target.is_dir():
        raise SnapshotError(f"-o: {str(target)!r} is a folder; give a file name")
    return target


def write_snapshot(path: str | Path, data: bytes) -> Path:
    """Write a snapshot atomically (a partial file is never left behind)."""
    target = check_output(path)
    try:
        atomic_write_bytes(target, data)
    except OSError as exc:
        raise SnapshotError(f"-o: cannot write {str(target)!r}: {exc.strerror or exc}") from None
    return target


# --- atlases -------------------------------------------------------------------------------


def atlas_instants(start: pd.Timestamp, end: pd.Timestamp, every: str) -> list[pd.Timestamp]:
    """The instants of an atlas: ``start``, then every step until ``end`` (both included).

    ``every`` is ``Nd`` (days), ``Nw`` (weeks) or ``Nm`` (calendar months, on the same
    Damascus day and time of the month, clipped to the month's last day).

    Raises
    ------
    SnapshotError
        For a step that cannot be read, an end before the start, or too many pages.
    """
    match = _STEP.match(every or "")
    if not match or int(match.group(1)) < 1:
        raise SnapshotError(f"--every: {every!r} is not a step such as 1d, 7d, 2w or 1m")
    if end < start:
        raise SnapshotError("--to: the end is before --from; give a later date")
    n, unit = int(match.group(1)), match.group(2)
    local = start.tz_convert(schema.DAMASCUS)
    out: list[pd.Timestamp] = []
    i = 0
    while True:
        if unit == "m":
            t = local + pd.DateOffset(months=n * i)
        else:
            # wall-clock steps in Damascus, so noon stays noon across summer time changes
            t = local.tz_localize(None) + pd.Timedelta(days=n * i * (7 if unit == "w" else 1))
            t = t.tz_localize(schema.DAMASCUS, nonexistent="shift_forward", ambiguous=False)
        t = pd.Timestamp(t).tz_convert("UTC")
        if t > end:
            break
        out.append(t)
        i += 1
        if len(out) > MAX_ATLAS_PAGES:
            raise SnapshotError(
                f"--every: {every} from --from to --to makes more than {MAX_ATLAS_PAGES} pages; "
                "choose a longer step or a shorter period"
            )
    return out


def atlas_format(path: str | Path) -> str:
    """The atlas output a path asks for: ``pdf``, ``gif``, ``webp`` or ``dir`` (ends in /)."""
    text = str(path)
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        return "dir"
    suffix = Path(text).suffix.lower().lstrip(".")
    if suffix not in ATLAS_FORMATS:
        raise SnapshotError(
            f"-o: an atlas is written to a .pdf, .gif or .webp file or to a folder ending in "
            f"'/', not {text!r}"
        )
    return suffix


def write_atlas(
    timeline: Timeline,
    view: View,
    instants: Sequence[pd.Timestamp],
    path: str | Path,
    options: Options,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write one snapshot per instant: a PDF with a page each, an animation, or PNG files.

    The view is the same for every page but its instant. Returns the files written.
    """
    kind = atlas_format(path)
    options = replace(options, fmt="pdf" if kind == "pdf" else "png").checked()
    if kind == "dir":
        folder = check_output(path, folder=True)
    else:
        folder = None
        check_output(path)
    if kind == "pdf":
        data = _atlas_pdf(timeline, view, instants, options, progress)
        return [write_snapshot(path, data)]
    frames = []
    written = []
    for i, at in enumerate(instants):
        png = render_snapshot(timeline, replace(view, at=at), options)
        if folder is not None:
            local = at.tz_convert(schema.DAMASCUS)
            name = f"dezmap-{local:%Y-%m-%dT%H%M}.png"
            written.append(write_snapshot(folder / name, png))
        else:
            frames.append(png)
        if progress:
            progress(i + 1, len(instants))
    if folder is not None:
        return written
    return [write_snapshot(path, _animation(frames, kind))]


def _atlas_pdf(timeline, view, instants, options: Options, progress) -> bytes:
    from matplotlib.backends.backend_pdf import PdfPages

    out = io.BytesIO()
    metadata = {"Creator": "dezmap", "CreationDate": options.generated, "ModDate": None}
    with PdfPages(out, metadata=metadata) as pdf:
        for i, at in enumerate(instants):
            page_view = replace(view, at=at)
            scene = select(timeline, page_view)
            fig = _figure(scene, options, page_view.permalink(options.base_url))
            pdf.savefig(fig)
            fig.clear()
            if progress:
                progress(i + 1, len(instants))
    return out.getvalue()


def _animation(frames: Sequence[bytes], kind: str) -> bytes:
    from PIL import Image

    images = [Image.open(io.BytesIO(f)).convert("RGB") for f in frames]
    out = io.BytesIO()
    if kind == "gif":
        images = [im.convert("P", palette=Image.Palette.ADAPTIVE, colors=255) for im in images]
    images[0].save(
        out,
        format="GIF" if kind == "gif" else "WEBP",
        save_all=True,
        append_images=images[1:],
        duration=FRAME_MS,
        loop=0,
        **({"lossless": False, "quality": 90} if kind == "webp" else {}),
    )
    return out.getvalue()
