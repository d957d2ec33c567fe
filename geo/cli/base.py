"""What every sub-command shares: the parser class, exit codes, common options, loading."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from geo.errors import UsageError

if TYPE_CHECKING:
    import numpy as np

    from geo.timemodel import Timeline

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit with :data:`EXIT_USAGE`."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print the usage and the message, and exit 2."""
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def print_problems(problems: Sequence[object]) -> None:
    """Print one line per problem."""
    for problem in problems:
        print(problem)


def load_timeline(args: argparse.Namespace) -> tuple[Timeline, np.ndarray | None]:
    """The data folder's timeline, restricted to --datasets when given, and the mask."""
    from geo.config import default_data_dir
    from geo.datasets import load_timeline as load
    from geo.datasets import restrict

    data_dir = Path(args.data) if args.data else default_data_dir()
    if not data_dir.is_dir():
        raise UsageError(f"no such data folder: {data_dir}")
    timeline = load(data_dir)
    if not args.datasets:
        return timeline, None
    return restrict(timeline, [n.strip() for n in args.datasets.split(",") if n.strip()])


def to_json(value: object) -> str:
    """JSON for printing: UTF-8 text kept, no NaN."""
    import json

    return json.dumps(value, ensure_ascii=False, indent=2, default=str, allow_nan=False)


def data_options(p: argparse.ArgumentParser) -> None:
    """Add --data and --datasets."""
    p.add_argument("--data", metavar="DIR", help="data folder (default: ./data)")
    p.add_argument(
        "--datasets",
        metavar="NAMES",
        help="comma-separated data sets whose incidents count ('bundled' and imported names; "
        "default: all)",
    )


def window_days(text: str) -> float:
    """Read --window-days: a number of days above 0 and at most ten years (the app's bound)."""
    from geo.view import MAX_WINDOW_DAYS

    try:
        days = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not 0 < days <= MAX_WINDOW_DAYS:  # NaN fails too
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of days above 0 and at most {MAX_WINDOW_DAYS:g}"
        )
    return days


def window_option(p: argparse.ArgumentParser) -> None:
    """Add --window-days."""
    p.add_argument(
        "--window-days",
        type=window_days,
        default=7.0,
        metavar="N",
        help="days before the instant in which violations count (default 7)",
    )
