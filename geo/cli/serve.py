"""`dezmap serve`: the Streamlit app on a data folder."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from geo.errors import UsageError


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


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's sub-commands."""
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
