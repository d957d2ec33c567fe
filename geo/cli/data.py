"""`dezmap validate` and `dezmap fmt`: check data files, write zone files canonically."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from geo.cli.base import EXIT_DATA, EXIT_OK, print_problems
from geo.errors import DataError, UsageError


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate a data folder or named files and print one line per problem."""
    from geo.config import default_data_dir
    from geo.validate import validate_dataset, validate_paths

    started = time.perf_counter()
    data_dir = Path(args.data) if args.data else default_data_dir()
    if args.files:
        missing = [f for f in args.files if _missing(f)]
        if missing:
            raise UsageError(f"no such file: {', '.join(missing)}")
        result = validate_paths(args.files, data_dir=data_dir)
        what = f"{len(args.files)} file{'s' * (len(args.files) != 1)}"
    else:
        if not data_dir.is_dir():
            raise UsageError(f"no such data folder: {data_dir}")
        result = validate_dataset(data_dir, display=args.data or str(data_dir))
        what = f"data folder {args.data or data_dir}"
    print_problems(result.report)
    elapsed = time.perf_counter() - started
    counts = ""
    if result.zones is not None and result.zones.kind == "zones":
        versions = result.zones.versions
        counts = (
            (
                f" ({len({v.zone_id for v in versions})} zones, {len(versions)} boundary "
                f"versions, {len(result.agreements)} agreements, {len(result.violations)} "
                "violations)"
            )
            if not args.files
            else ""
        )
    print(f"checked {what}{counts}: {result.report.summary()} in {elapsed:.2f} s")
    return EXIT_OK if result.report.ok else EXIT_DATA


def cmd_fmt(args: argparse.Namespace) -> int:
    """Rewrite zone files in canonical form, or with --check report which would change."""
    from geo.config import ZONES_FILE, default_data_dir
    from geo.fmt import fmt_file

    files = args.files or [str(default_data_dir() / ZONES_FILE)]
    status = EXIT_OK
    missing = [name for name in files if _missing(name)]
    if missing:
        raise UsageError(f"no such file: {', '.join(missing)}")
    for name in files:
        try:
            result = fmt_file(name, check=args.check)
        except DataError as exc:
            print_problems(exc.problems)
            print(exc.message, file=sys.stderr)
            status = EXIT_DATA
            continue
        if result.changed:
            print(f"would reformat {name}" if args.check else f"reformatted {name}")
            if args.check:
                status = EXIT_DATA
    if status == EXIT_OK:
        print(
            f"{len(files)} file{'s' * (len(files) != 1)} "
            f"{'already canonical' if args.check else 'formatted'}"
        )
    return status


def _missing(name: str) -> bool:
    """Whether nothing at all is at ``name``.

    A folder, FIFO or broken link is something: it is refused by what it is when it is read.
    """
    from geo.validate.files import UnreadableFile, check_path

    try:
        check_path(name)
    except UnreadableFile as exc:
        return exc.code == "missing"
    return False


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's sub-commands."""
    p = sub.add_parser(
        "validate",
        help="check data files and print every problem",
        description="Check zones, agreements and violations files. Prints "
        "PATH:WHERE: error|warning: MESSAGE per problem, then a summary. "
        "Exit 0 with no errors, 1 with errors, 2 on a usage error.",
    )
    p.add_argument(
        "--data",
        metavar="DIR",
        help="data folder with zones.geojson, agreements.csv and violations.csv (default: ./data)",
    )
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="files to check instead of the "
        "data folder (.geojson zones or layers, .csv agreements or violations)",
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "fmt",
        help="rewrite zone files canonically",
        description="Rewrite GeoJSON zone files in canonical form: RFC 7946 "
        "winding, 6 decimals, stable key order, one position per line. "
        "Idempotent.",
    )
    p.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file would change"
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="files (default: data/zones.geojson)")
    p.set_defaults(func=cmd_fmt)
