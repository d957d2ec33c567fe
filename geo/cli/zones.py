"""`dezmap zones`: add boundary versions, import and export GIS files, diff zones files.

Every command that changes the zones file saves it through :func:`geo.edit.save.save_zones`:
validated with the data folder's agreements and violations, canonical, atomic, backed up in
``DIR/.backups/`` and logged. On any error the file is left byte-for-byte as it was.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from geo.cli.base import EXIT_OK, EXIT_USAGE, print_problems, to_json
from geo.errors import ImportFileError, UsageError

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.edit.save import SaveResult


def _zones_file(args: argparse.Namespace) -> Path:
    from geo.config import ZONES_FILE, default_data_dir

    data_dir = Path(args.data) if args.data else default_data_dir()
    if not data_dir.is_dir():
        raise UsageError(f"no such data folder: {data_dir}")
    path = data_dir / ZONES_FILE
    if not path.is_file():
        raise UsageError(f"no zones file in {data_dir}: {path} does not exist")
    return path


def _load(path: Path) -> tuple[gpd.GeoDataFrame, str]:
    """The zones frame and the sha256 of exactly the bytes it was read from."""
    import hashlib

    from geo.edit.frame import frame_from_text

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(f"{path}: is not UTF-8; run `dezmap validate` on it") from None
    frame, _ = frame_from_text(text, str(path))
    return frame, hashlib.sha256(data).hexdigest()


def _report_save(result: SaveResult, started: float) -> None:
    print_problems(result.warnings)
    if not result.changed:
        print(f"{result.path}: unchanged; nothing written")
        return
    print(
        f"saved {result.path} ({len(result.versions)} version(s) of {len(result.zones)} "
        f"zone(s) changed) in {time.perf_counter() - started:.2f} s"
        + (f"; the previous file is kept as {result.backup}" if result.backup else "")
    )


def cmd_add_version(args: argparse.Namespace) -> int:
    """Add a boundary version to a zone from a polygon file."""
    from geo.edit.gis import read_gis
    from geo.edit.save import default_editor, save_zones
    from geo.edit.versions import add_version, snap_outline

    started = time.perf_counter()
    path = _zones_file(args)
    zones, expected = _load(path)
    outline = read_gis(args.from_file, layer=args.layer)
    if len(outline) != 1:
        raise ImportFileError(
            f"{args.from_file}: holds {len(outline)} polygon features; add-version takes one "
            "outline: merge them into one (QGIS: Vector > Geoprocessing Tools > Dissolve) or "
            "use `dezmap zones import` for several versions"
        )
    source = args.source or f"Outline from {Path(args.from_file).name} (dezmap zones add-version)"
    edited = add_version(
        zones,
        args.zone_id,
        snap_outline(outline.geometry.iloc[0]),
        valid_from=args.valid_from,
        valid_to=args.valid_to,
        source=source,
        accuracy=args.accuracy,
    )
    result = save_zones(
        path,
        edited,
        expected=expected,
        editor=default_editor(),
        summary={"command": "zones add-version", "zone": args.zone_id, "from": args.from_file},
    )
    new_id = f"{args.zone_id}@{args.valid_from}"
    closed = [v for v in result.versions if v != new_id and v in set(zones["version_id"])]
    print(f"added version {new_id}" + (f"; closed {', '.join(closed)} at it" if closed else ""))
    _report_save(result, started)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Import zones and versions from a GIS file."""
    from geo.edit.gis import read_gis
    from geo.edit.save import default_editor, save_zones
    from geo.edit.versions import import_versions

    started = time.perf_counter()
    path = _zones_file(args)
    zones, expected = _load(path)
    incoming = read_gis(
        args.file,
        layer=args.layer,
        id_field=args.id_field,
        name_field=args.name_field,
        valid_from_field=args.valid_from_field,
        valid_to_field=args.valid_to_field,
    )
    merged = import_versions(zones, incoming, source=args.file)
    print(
        f"{args.file}: {len(incoming)} feature(s): {len(merged.zones_added)} new zone(s), "
        f"{len(merged.versions_added)} version(s) added, {len(merged.versions_replaced)} "
        f"replaced, {len(merged.versions_unchanged)} unchanged"
    )
    result = save_zones(
        path,
        merged.zones,
        expected=expected,
        editor=default_editor(),
        summary={"command": "zones import", "file": args.file, **merged.summary()},
    )
    _report_save(result, started)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write the zones as a GIS file with date fields."""
    from geo.edit.gis import write_gis

    path = _zones_file(args)
    zones, _ = _load(path)
    out = write_gis(zones, args.output, args.format)
    print(
        f"wrote {len(zones)} boundary versions of {zones['zone_id'].nunique()} zones to {out} "
        f"({args.format}; validity in valid_from/valid_to)"
    )
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    """Compare two zones files (or git revisions of one)."""
    from geo.edit.diff import diff_zones, format_diff, load_side

    old, new = load_side(args.old), load_side(args.new)
    diff = diff_zones(old, new, old_name=args.old, new_name=args.new)
    print(to_json(diff.to_dict()) if args.json else format_diff(diff))
    return EXIT_OK


def _help(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def show(_args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return EXIT_USAGE

    return show


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``zones`` command group."""
    zones = sub.add_parser(
        "zones",
        help="edit zone boundaries: add versions, import, export, diff",
        description="Edit the zones file of a data folder and compare zones files. Every "
        "change is validated with the folder's agreements and violations, written "
        "canonically and atomically, backed up in DIR/.backups/ and logged in "
        "DIR/.backups/edits.log; on any error the file is unchanged. See docs/editing.md.",
    )
    zones.set_defaults(func=_help(zones))
    actions = zones.add_subparsers(dest="zones_command", metavar="ACTION", parser_class=type(zones))

    p = actions.add_parser(
        "add-version",
        help="add a boundary version to a zone from a polygon file",
        description="Add a boundary version to ZONE_ID with the outline in FILE (GeoJSON, "
        "GeoPackage, Shapefile, KML; one polygon feature, any CRS). The zone's open-ended "
        "version before it is closed at --valid-from.",
    )
    p.add_argument("zone_id", metavar="ZONE_ID", help="the zone, such as eastern-ghouta")
    p.add_argument(
        "--from", dest="from_file", required=True, metavar="FILE", help="the polygon file"
    )
    p.add_argument("--layer", metavar="L", help="the layer of FILE (when it has several)")
    p.add_argument(
        "--valid-from", required=True, metavar="DATE", help="first day of the version (YYYY-MM-DD)"
    )
    p.add_argument(
        "--valid-to",
        metavar="DATE",
        help="first day it no longer applies (YYYY-MM-DD); default: open-ended",
    )
    p.add_argument(
        "--source",
        metavar="TEXT",
        help="how the outline was drawn and its sources (the version's boundary_source; "
        "default: the file's name)",
    )
    p.add_argument(
        "--accuracy",
        choices=["approximate", "surveyed"],
        default="approximate",
        help="default: approximate",
    )
    p.add_argument("--data", metavar="DIR", help="data folder (default: ./data)")
    p.set_defaults(func=cmd_add_version)

    p = actions.add_parser(
        "import",
        help="import zones and versions from a GIS file",
        description="Read a GeoJSON, GeoPackage, Shapefile (plain or zipped) or KML file in "
        "any CRS and merge its polygons into the zones file, keyed by zone id and first day: "
        "an existing version gets the feature's outline (and valid_to when the file has that "
        "field), a new first day adds a version to its zone (closing the open one before it), "
        "a new zone id adds a zone (name required).",
    )
    p.add_argument("file", metavar="FILE", help="the GIS file (zip://, /vsizip/ also work)")
    p.add_argument("--layer", metavar="L", help="the layer to read (when there are several)")
    p.add_argument("--id-field", metavar="F", help="field with the zone id (default: zone_id)")
    p.add_argument("--name-field", metavar="F", help="field with the zone's name (default: name)")
    p.add_argument(
        "--valid-from-field",
        metavar="F",
        help="field with the version's first day (default: valid_from; KML: begin)",
    )
    p.add_argument(
        "--valid-to-field",
        metavar="F",
        help="field with the first day it no longer applies (default: valid_to; KML: end)",
    )
    p.add_argument("--data", metavar="DIR", help="data folder (default: ./data)")
    p.set_defaults(func=cmd_import)

    p = actions.add_parser(
        "export",
        help="write the zones as a GIS file with date fields",
        description="Write one feature per boundary version with valid_from and valid_to as "
        "date fields (QGIS Temporal Controller: separate fields for start and end). "
        "Shapefile names boundary_source bnd_source and cuts text at 254 bytes.",
    )
    p.add_argument(
        "--format", required=True, choices=["geojson", "gpkg", "shp", "kml"], help="file format"
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write")
    p.add_argument("--data", metavar="DIR", help="data folder (default: ./data)")
    p.set_defaults(func=cmd_export)

    p = actions.add_parser(
        "diff",
        help="compare two zones files or git revisions",
        description="Compare two zones files; each side is a file or git:REV:PATH (such as "
        "git:HEAD~1:data/zones.geojson). Prints zones and versions added, removed and "
        "changed, with the change of area (km²), the area of the symmetric difference and "
        "the Hausdorff distance (km), and changed properties.",
    )
    p.add_argument("old", metavar="OLD", help="file or git:REV:PATH")
    p.add_argument("new", metavar="NEW", help="file or git:REV:PATH")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_diff)
