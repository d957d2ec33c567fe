"""`dezmap import`: UCDP GED, ACLED and PA-X exports as data sets."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from geo.cli.base import EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Import a UCDP GED, ACLED or PA-X export as a data set of the data folder."""
    from geo.config import default_data_dir
    from geo.datasets import default_output
    from geo.importers import run_import

    data_dir = Path(args.data) if args.data else default_data_dir()
    out = Path(args.out) if args.out else default_output(data_dir, args.file)
    progress = True if args.progress else (False if args.no_progress else None)
    started = time.perf_counter()
    result = run_import(args.format, args.file, out, progress=progress)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    info = result.info
    print(
        f"imported {result.rows_written} of {result.rows_read} rows of {args.file} into "
        f"{info.path} (data set {info.name!r}, {info.kind}); {result.skipped} skipped "
        f"in {time.perf_counter() - started:.2f} s"
    )
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's sub-commands."""
    p = sub.add_parser(
        "import",
        help="import a UCDP GED, ACLED or PA-X export",
        description="Read an export as published and write it as a data set of the data "
        "folder (DIR/imported/NAME.parquet). Rows that cannot be read are reported by row "
        "number and reason and skipped; the output is written atomically. See "
        "docs/datasets.md.",
    )
    p.add_argument("format", choices=["ucdp", "acled", "pax"], help="the export's format")
    p.add_argument("file", metavar="FILE", help="the CSV file")
    p.add_argument(
        "--out", metavar="PATH", help="file to write (default: DIR/imported/<file name>.parquet)"
    )
    p.add_argument("--data", metavar="DIR", help="data folder (default: ./data)")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--progress", action="store_true", help="always show a progress bar")
    shown.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.set_defaults(func=cmd_import)
