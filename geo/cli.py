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
from typing import TYPE_CHECKING

from geo.errors import DataError, DezmapError, UsageError

if TYPE_CHECKING:
    import numpy as np

    from geo.timemodel import Timeline

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


# --- time model ------------------------------------------------------------------------------


def _load_timeline(args: argparse.Namespace) -> tuple[Timeline, np.ndarray | None]:
    """The data folder's timeline, restricted to --datasets when given, and the mask."""
    from geo.config import default_data_dir
    from geo.datasets import load_timeline, restrict

    data_dir = Path(args.data) if args.data else default_data_dir()
    if not data_dir.is_dir():
        raise UsageError(f"no such data folder: {data_dir}")
    timeline = load_timeline(data_dir)
    if not args.datasets:
        return timeline, None
    return restrict(timeline, [n.strip() for n in args.datasets.split(",") if n.strip()])


def _json(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=2, default=str, allow_nan=False)


def cmd_status(args: argparse.Namespace) -> int:
    """Print every zone's status at an instant."""
    from geo.schema import format_local
    from geo.timemodel import as_instant, status_at

    at = as_instant(args.date)
    timeline, mask = _load_timeline(args)
    table = status_at(timeline, at, window_days=args.window_days, incident_mask=mask)
    if args.json:
        records = [
            {
                "zone_id": row.zone_id,
                "name": row.name,
                "status": row.status,
                "agreements": list(row.agreements),
                "violations": row.violations,
                "name_ar": row.name_ar,
                "version_id": row.version_id,
                "uncertain": row.uncertain,
                "window_start": row.window_start.isoformat(),
                "last_ended": row.last_ended or None,
                "at": at.isoformat(),
                "window_days": args.window_days,
            }
            for row in table.itertuples()
        ]
        print(_json(records))
        return EXIT_OK
    print(
        f"Status at {format_local(at)} (window {args.window_days:g} days, "
        f"{timeline.n_incidents} incidents)"
    )
    if table.empty:
        print("no zone exists at that instant")
    width = max([len(z) for z in table["zone_id"]] + [4])
    for row in table.itertuples():
        count = f"{row.violations}" + (f" ({row.uncertain} uncertain)" if row.uncertain else "")
        last = f"last: {row.last_ended}" if row.last_ended else "-"
        agreements = ", ".join(row.agreements) or last
        print(f"  {row.zone_id:<{width}}  {row.status:<8}  violations {count:<16}  {agreements}")
    return EXIT_OK


def cmd_metrics(args: argparse.Namespace) -> int:
    """Print compliance metrics per agreement, or a zone's daily series."""
    from geo.metrics import agreement_metrics, zone_daily

    timeline, mask = _load_timeline(args)
    if args.zone:
        try:
            series = zone_daily(
                timeline, args.zone, window_days=args.window_days, incident_mask=mask
            )
        except KeyError as exc:
            raise UsageError(str(exc.args[0])) from None
        if args.json:
            print(_json(series.assign(date=series["date"].astype(str)).to_dict("records")))
        else:
            print(series.to_csv(index=False), end="")
        return EXIT_OK
    table = agreement_metrics(timeline, args.agreement, incident_mask=mask)
    # missing values are NaN in a frame; JSON and the text need None
    records = table.astype(object).where(table.notna(), None).to_dict("records")
    if args.json:
        print(_json(records))
        return EXIT_OK
    for r in records:
        print(_describe_metrics(r))
    return EXIT_OK


def _describe_metrics(r: dict) -> str:
    ends = r["effective_to"][:16] if r["effective_to"] else "open-ended"
    lines = [
        f"{r['agreement_id']}: {r['title']}",
        f"  in force {r['effective_from'][:16]} to {ends} UTC; outcome {r['outcome']}",
    ]
    if r["first_violation"]:
        low, high = r["hours_to_first_violation"], r["hours_to_first_violation_max"]
        lines.append(
            f"  first violation {r['first_violation']} ({r['first_violation_dataset']}): "
            f"{low:g} to {high:g} hours after entry into force"
        )
    else:
        lines.append("  no violation recorded while in force")
    if r["first_possible_violation"]:
        lines.append(
            f"  possibly earlier: {r['first_possible_violation']} (its date is too "
            "imprecise to tell whether it came before or after)"
        )
    lines.append(
        f"  violations {r['violations']} ({r['certain_violations']} certain); per 30 "
        f"days {r['per_30_days_before']:g} before, {r['per_30_days_after']:g} after "
        f"({r['comparison_days']:g} days compared); longest quiet period "
        f"{r['longest_quiet_days']:g} days"
    )
    if r["by_kind"]:
        kinds = ", ".join(f"{k} {v}" for k, v in r["by_kind"].items())
        who = ", ".join(f"{k} {v}" for k, v in r["by_perpetrator"].items())
        lines.append(f"  by kind: {kinds}")
        lines.append(f"  by alleged perpetrator: {who}")
    return "\n".join(lines)


# --- import ----------------------------------------------------------------------------------


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


# --- bench -----------------------------------------------------------------------------------


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the join and status benchmark and print the figures."""
    from dataclasses import asdict

    from geo.bench import format_table, run

    try:
        sizes = tuple(int(x.replace("_", "")) for x in args.sizes.split(","))
    except ValueError:
        raise UsageError(
            f"--sizes takes comma-separated whole numbers, not {args.sizes!r}"
        ) from None
    if any(n < 1 for n in sizes):
        raise UsageError("--sizes must be positive")
    results = run(sizes, seed=args.seed, queries=args.queries, baseline=not args.no_baseline)
    if args.json:
        print(_json([asdict(r) for r in results]))
    else:
        print(
            f"dezmap bench: seed {args.seed}, {args.queries} status queries per size, each "
            "size in its own process"
        )
        print(format_table(results))
    return EXIT_OK


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
    # Streamlit reads these before anything else (the app is warmed up before it starts)
    env = dict(
        os.environ,
        DEZMAP_DATA=str(data_dir.resolve()),
        STREAMLIT_SERVER_PORT=str(args.port),
        STREAMLIT_SERVER_ADDRESS=args.address,
        STREAMLIT_SERVER_HEADLESS="true",
        STREAMLIT_SERVER_ENABLE_STATIC_SERVING="true",
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
    )
    # ui.serve loads and joins the data first, then runs `streamlit run` in its process
    command = [sys.executable, "-m", "ui.serve", str(app)]
    print(f"dezmap: serving {data_dir} on http://{args.address}:{args.port}", flush=True)
    return subprocess.call(command, env=env, cwd=PROJECT_DIR)


# --- parser ----------------------------------------------------------------------------------


def _data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", metavar="DIR", help="data folder (default: ./data)")
    p.add_argument(
        "--datasets",
        metavar="NAMES",
        help="comma-separated data sets whose incidents count ('bundled' and imported names; "
        "default: all)",
    )


def _window_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--window-days",
        type=float,
        default=7.0,
        metavar="N",
        help="days before the instant in which violations count (default 7)",
    )


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
        "status",
        help="every zone's status at an instant",
        description="For an instant, list the zones that exist, their status (none, holding, "
        "violated, lapsed), the agreements in force and the violations in the window before "
        "it. A time without a UTC offset is Damascus time.",
    )
    p.add_argument(
        "--date",
        required=True,
        metavar="YYYY-MM-DD[THH:MM[+HH:MM]]",
        help="the instant (a date means its start, 00:00 Damascus time)",
    )
    _window_option(p)
    _data_options(p)
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "metrics",
        help="compliance metrics per agreement",
        description="Hours to the first violation, violations per 30 days before and after, "
        "longest quiet period, counts by kind and alleged perpetrator; with --zone, the "
        "zone's daily series of incidents and status.",
    )
    p.add_argument("--agreement", metavar="ID", help="only this agreement")
    p.add_argument("--zone", metavar="ID", help="print this zone's daily series instead")
    _window_option(p)
    _data_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_metrics)

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

    p = sub.add_parser(
        "bench",
        help="benchmark the join and the status query",
        description="Seeded synthetic incidents over the bundled zones: time the join and "
        "the status query, measure peak memory, and compare with geopandas.sjoin plus a date "
        "filter. Each size runs in its own process.",
    )
    p.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="comma-separated numbers of incidents (default 10000,100000,1000000)",
    )
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--queries", type=int, default=200, help="status queries per size")
    p.add_argument("--no-baseline", action="store_true", help="skip the sjoin baseline")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_bench)

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
    except BrokenPipeError:
        # the reader went away (`dezmap status ... | head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        if os.environ.get("DEZMAP_DEBUG"):
            raise
        print(
            f"dezmap {args.command}: internal error: {type(exc).__name__}: {exc}; "
            "please report it with DEZMAP_DEBUG=1 set to see the traceback",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
