"""The ``dezmap`` command line (also ``python -m geo``).

Every sub-command turns dezmap's errors into a message and an exit code; no input, however
broken, ends in a traceback (set ``DEZMAP_DEBUG=1`` to see one for a bug report).

Exit codes: 0 success, 1 the data has errors (or ``--check`` found work), 2 usage error,
3 internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from geo.errors import DataError, DezmapError, UsageError

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _print_problems(problems: Sequence[object]) -> None:
    for problem in problems:
        print(problem)


# --- validate --------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate a data folder or named files and print one line per problem."""
    from geo.config import default_data_dir
    from geo.validate import validate_dataset, validate_paths

    started = time.perf_counter()
    data_dir = Path(args.data) if args.data else default_data_dir()
    if args.files:
        missing = [f for f in args.files if not Path(f).exists()]
        if missing:
            raise UsageError(f"no such file: {', '.join(missing)}")
        result = validate_paths(args.files, data_dir=data_dir)
        what = f"{len(args.files)} file{'s' * (len(args.files) != 1)}"
    else:
        if not data_dir.is_dir():
            raise UsageError(f"no such data folder: {data_dir}")
        result = validate_dataset(data_dir, display=args.data or str(data_dir))
        what = f"data folder {args.data or data_dir}"
    _print_problems(result.report)
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


# --- fmt -------------------------------------------------------------------------------------


def cmd_fmt(args: argparse.Namespace) -> int:
    """Rewrite zone files in canonical form, or with --check report which would change."""
    from geo.config import ZONES_FILE, default_data_dir
    from geo.fmt import fmt_file

    files = args.files or [str(default_data_dir() / ZONES_FILE)]
    status = EXIT_OK
    for name in files:
        if not Path(name).is_file():
            raise UsageError(f"no such file: {name}")
    for name in files:
        try:
            result = fmt_file(name, check=args.check)
        except DataError as exc:
            _print_problems(exc.problems)
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


# --- serve -----------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the Streamlit app on a data folder."""
    import subprocess

    from geo.config import PROJECT_DIR, default_data_dir

    data_dir = Path(args.data) if args.data else default_data_dir()
    if not data_dir.is_dir():
        raise UsageError(f"no such data folder: {data_dir}")
    app = PROJECT_DIR / "app.py"
    if not app.is_file():
        raise UsageError(f"the app is not here: {app} (dezmap serve runs from a checkout)")
    env = dict(os.environ, DEZMAP_DATA=str(data_dir.resolve()))
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(args.port),
        "--server.address",
        args.address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    print(f"dezmap: serving {data_dir} on http://{args.address}:{args.port}", flush=True)
    return subprocess.call(command, env=env, cwd=PROJECT_DIR)


# --- parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every sub-command."""
    parser = _Parser(
        prog="dezmap",
        description="Map ceasefire and de-escalation zones, their agreements and violations.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

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

    p = sub.add_parser(
        "serve",
        help="start the app on a data folder",
        description="Start the Streamlit app with the data of --data.",
    )
    p.add_argument("--data", metavar="DIR", help="data folder (default: ./data)")
    p.add_argument("--port", type=int, default=8501, help="port (default: 8501)")
    p.add_argument(
        "--address", default="localhost", help="address to listen on (default: localhost)"
    )
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UsageError as exc:
        print(f"dezmap {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DataError as exc:
        _print_problems(exc.problems)
        print(f"dezmap {args.command}: {exc.message}", file=sys.stderr)
        return EXIT_DATA
    except DezmapError as exc:
        print(f"dezmap {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        if os.environ.get("DEZMAP_DEBUG"):
            raise
        print(
            f"dezmap {args.command}: internal error: {type(exc).__name__}: {exc}; "
            "please report it with DEZMAP_DEBUG=1 set to see the traceback",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
