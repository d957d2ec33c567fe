"""`dezmap bench`: the join and status benchmark."""

from __future__ import annotations

import argparse

from geo.cli.base import EXIT_OK, to_json
from geo.errors import UsageError


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
        print(to_json([asdict(r) for r in results]))
    else:
        print(
            f"dezmap bench: seed {args.seed}, {args.queries} status queries per size, each "
            "size in its own process"
        )
        print(format_table(results))
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's sub-commands."""
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
