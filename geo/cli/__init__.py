"""The ``dezmap`` command line (also ``python -m geo``).

Every sub-command turns dezmap's errors into a message and an exit code; no input, however
broken, ends in a traceback (set ``DEZMAP_DEBUG=1`` to see one for a bug report).

Exit codes: 0 success, 1 the data has errors (or ``--check`` found work), 2 usage error,
3 internal error.

Each command group is a module of this package with a ``register(sub)`` function that adds its
sub-commands; :data:`GROUPS` lists them in the order ``dezmap --help`` shows them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from geo.cli.base import EXIT_DATA, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, Parser, print_problems
from geo.errors import DataError, DezmapError, UsageError

__all__ = ["EXIT_DATA", "EXIT_INTERNAL", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

#: Command groups, each a module ``geo.cli.<name>`` with ``register(sub)``.
GROUPS = ("data", "zones", "timeline", "snapshot", "imports", "bench", "serve")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every sub-command."""
    parser = Parser(
        prog="dezmap",
        description="Map ceasefire and de-escalation zones, their agreements and violations.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in GROUPS:
        importlib.import_module(f"geo.cli.{name}").register(sub)
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
        print_problems(exc.problems)
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
