"""`dezmap snapshot`: a view, or an atlas of views over time, as PNG, PDF, SVG or HTML."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from geo.cli.base import EXIT_OK
from geo.errors import UsageError

#: View options and the query parameter each one sets.
_VIEW_FLAGS = {
    "date": "at",
    "window_days": "window",
    "zone": "zone",
    "zones": "zones",
    "kinds": "kinds",
    "perpetrators": "perpetrators",
    "datasets": "datasets",
}
_FLAG_OF = {
    "at": "--date",
    "window": "--window-days",
    "zone": "--zone",
    "zones": "--zones",
    "kinds": "--kinds",
    "perpetrators": "--perpetrators",
    "datasets": "--datasets",
    "bbox": "--bbox",
    "base": "--view",
}


def _view(args: argparse.Namespace, timeline):
    """The view the options ask for, checked strictly; errors name the option."""
    from geo.export.snapshot import SnapshotError, check_instant
    from geo.view import View, parse_query

    if args.view:
        try:
            params = parse_query(args.view)
        except UsageError as exc:
            raise SnapshotError(f"--view: {exc}") from None
        where = "--view"
    else:
        params = {
            param: str(getattr(args, flag))
            for flag, param in _VIEW_FLAGS.items()
            if getattr(args, flag) not in (None, "")
        }
        if "at" not in params and not args.from_:
            raise UsageError("give the instant: --date D, --view 'QUERY' or --from/--to")
        where = ""
    if args.bbox:
        params["bbox"] = args.bbox
    if args.from_:
        params["at"] = args.from_
    view, notes = View.from_params(params, timeline)
    if notes:
        named = []
        for note in notes:
            key, _, rest = note.partition(": ")
            flag = "--bbox" if key == "bbox" else (where or _FLAG_OF.get(key, f"--{key}"))
            if args.from_ and key == "at":
                flag = "--from"
            named.append(f"{flag}: {key + ': ' if where and key != 'bbox' else ''}{rest}")
        raise SnapshotError("; ".join(named))
    check_instant(timeline, view, "--from" if args.from_ else (where or "--date"))
    return view


def cmd_snapshot(args: argparse.Namespace) -> int:
    """Write a snapshot of a view, or an atlas, to -o."""
    from geo.config import default_data_dir
    from geo.datasets import load_timeline
    from geo.export import snapshot as snap
    from geo.timemodel import as_instant

    started = time.perf_counter()
    atlas = bool(args.from_ or args.to or args.every)
    if atlas and not (args.from_ and args.to and args.every):
        raise UsageError("an atlas needs all three of --from, --to and --every")
    if atlas and args.view:
        raise UsageError("--view and --from/--to are exclusive: an atlas sets the instants")
    if atlas and args.date:
        raise UsageError("--date and --from/--to are exclusive: an atlas sets the instants")
    given = [f"--{f.replace('_', '-')}" for f in _VIEW_FLAGS if getattr(args, f) is not None]
    if args.view and given:
        raise UsageError(f"--view already says what to show; drop {', '.join(given)}")
    # check what needs no data first: a bad option costs nothing and leaves no file
    if atlas:
        kind = snap.atlas_format(args.output)
        snap.check_output(args.output, folder=kind == "dir")
        fmt = "pdf" if kind == "pdf" else "png"
    else:
        fmt = snap.infer_format(args.output, args.format)
        snap.check_output(args.output)
    from geo.render.static import page_size

    try:
        page_size(args.size, portrait=args.portrait, dpi=args.dpi)
    except UsageError as exc:  # a value the command cannot use: exit 1 like the others
        raise snap.SnapshotError(str(exc)) from None
    options = snap.Options(
        fmt=fmt,
        size=args.size,
        portrait=args.portrait,
        dpi=args.dpi,
        lang=args.lang,
        title=args.title,
    ).checked()
    data_dir = Path(args.data) if args.data else default_data_dir()
    if not data_dir.is_dir():
        raise UsageError(f"--data: no such data folder: {data_dir}")
    timeline = load_timeline(data_dir)
    from dataclasses import replace

    options = replace(options, data_version=snap.data_version(data_dir), reference=_reference(args))
    view = _view(args, timeline)
    if not atlas:
        data = snap.render_snapshot(timeline, view, options)
        path = snap.write_snapshot(args.output, data)
        print(f"wrote {path} ({fmt}, {len(data):,} bytes) in {time.perf_counter() - started:.2f} s")
        return EXIT_OK
    try:
        end = as_instant(args.to)
    except UsageError as exc:
        raise snap.SnapshotError(f"--to: {exc}") from None
    instants = snap.atlas_instants(view.at, end, args.every)

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{done}/{total} pages", end="", file=sys.stderr, flush=True)

    written = snap.write_atlas(timeline, view, instants, args.output, options, progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    what = f"{len(written)} files in {args.output}" if len(written) > 1 else str(written[0])
    print(
        f"wrote {what} ({len(instants)} instants, every {args.every}) in "
        f"{time.perf_counter() - started:.2f} s"
    )
    return EXIT_OK


def _reference(args: argparse.Namespace) -> list:
    """Reference layers from --reference DIR (or $DEZMAP_REFERENCE), as the app draws them."""
    import os

    folder = args.reference or os.environ.get("DEZMAP_REFERENCE")
    if not folder:
        return []
    from geo.render.reference import load_reference_layers

    layers, problems = load_reference_layers(folder)
    for problem in problems:
        print(f"dezmap snapshot: reference layer skipped: {problem}", file=sys.stderr)
    return layers


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``dezmap snapshot``."""
    p = sub.add_parser(
        "snapshot",
        help="a view as PNG, PDF, SVG or HTML, or an atlas over time",
        description="Render the view the app shows (same instant, window, filters, focus and "
        "extent) for a briefing: PNG, PDF and SVG without a browser, or one self-contained "
        "HTML file. --view takes the app's address or its query string. With --from, --to and "
        "--every: one page per instant in a PDF, an animated GIF or WebP, or PNG files in a "
        "folder (-o DIR/). The file is written atomically; on any error nothing is written.",
    )
    p.add_argument(
        "--view",
        metavar="QUERY",
        help="the app's address or query string, e.g. 'at=2017-07-23T12:00&zone=eastern-ghouta'",
    )
    p.add_argument(
        "--date",
        metavar="YYYY-MM-DD[THH:MM[+HH:MM]]",
        help="the instant (without an offset: Damascus time; a date alone: its midnight)",
    )
    p.add_argument(
        "--window-days", type=float, metavar="N", help="days before the instant (default 7)"
    )
    p.add_argument("--zone", metavar="Z", help="focus on this zone (the extent follows it)")
    p.add_argument("--zones", metavar="A,B", help="only these zones")
    p.add_argument("--kinds", metavar="K,...", help="only incidents of these kinds")
    p.add_argument("--perpetrators", metavar="P,...", help="only incidents attributed to these")
    p.add_argument("--datasets", metavar="S,...", help="only these data sets")
    p.add_argument(
        "--bbox",
        metavar="MINLON,MINLAT,MAXLON,MAXLAT",
        help="the extent in degrees (default: the focused zone, else every zone)",
    )
    p.add_argument(
        "--size",
        default="a4",
        metavar="a4|letter|slide|WxHpx",
        help="page size (default a4; slide is 1920x1080 px)",
    )
    p.add_argument("--portrait", action="store_true", help="portrait instead of landscape")
    p.add_argument("--dpi", type=int, default=200, metavar="N", help="resolution (default 200)")
    p.add_argument("--lang", default="en", choices=["en", "ar"], help="language (default en)")
    p.add_argument("--title", metavar="TEXT", help="a title instead of the default one")
    p.add_argument(
        "--format",
        choices=["png", "pdf", "svg", "html"],
        help="the format (default: from the extension of -o)",
    )
    p.add_argument("--from", dest="from_", metavar="D1", help="atlas: first instant")
    p.add_argument("--to", metavar="D2", help="atlas: last instant (included)")
    p.add_argument("--every", metavar="1d|7d|1m", help="atlas: step (days, weeks or months)")
    p.add_argument("--data", metavar="DIR", help="data folder (default: ./data)")
    p.add_argument(
        "--reference",
        metavar="DIR",
        help="folder of GeoJSON reference layers to draw (default: $DEZMAP_REFERENCE)",
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write")
    p.set_defaults(func=cmd_snapshot)
