"""`dezmap serve`: the Streamlit app on a data folder, and who may edit its zones.

The zone editor is off unless the server is started with ``--edit``. The app learns it from
the environment this command hands to Streamlit (:data:`EDIT_ENV`, :data:`HOST_ENV`), never
from anything a browser sends. When editing is on and the server listens beyond the loopback
interface, saving needs the token of :data:`TOKEN_ENV`; the server refuses to start without
one. The token is read from the environment only: it is never printed, logged, or put in a
command line or an address.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from geo.errors import UsageError

#: Set to ``1`` in the app's environment when the server was started with ``--edit``.
EDIT_ENV = "DEZMAP_EDIT"
#: The interface the server listens on, as given to ``--host``.
HOST_ENV = "DEZMAP_HOST"
#: The secret that saving requires when the server listens beyond the loopback interface.
TOKEN_ENV = "DEZMAP_EDIT_TOKEN"
#: Shortest token accepted: a guessable secret would not protect anything.
MIN_TOKEN_LENGTH = 12
DEFAULT_HOST = "127.0.0.1"


def is_loopback(host: str) -> bool:
    """True when ``host`` names only this machine (``localhost``, ``127.x.x.x``, ``::1``).

    Any other name, and the wildcard addresses ``0.0.0.0`` and ``::``, count as reachable from
    the network.
    """
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def token_required(host: str) -> bool:
    """True when an editor listening on ``host`` must ask for the token before saving."""
    return not is_loopback(host)


def check_token_setting(environ: Mapping[str, str]) -> None:
    """Refuse a missing or too short edit token (the message never contains the value).

    Raises
    ------
    UsageError
        When :data:`TOKEN_ENV` is unset, empty or shorter than :data:`MIN_TOKEN_LENGTH`.
    """
    token = environ.get(TOKEN_ENV, "")
    if not token.strip():
        raise UsageError(
            f"--edit on a host other than localhost needs a token: set the environment "
            f"variable {TOKEN_ENV} to a secret of at least {MIN_TOKEN_LENGTH} characters "
            "(editors type it in the Edit zones page), or use --host 127.0.0.1"
        )
    if len(token) < MIN_TOKEN_LENGTH:
        raise UsageError(
            f"{TOKEN_ENV} is too short ({len(token)} characters): use at least {MIN_TOKEN_LENGTH}"
        )


def serve_env(
    environ: Mapping[str, str], *, data_dir: Path, port: int, host: str, edit: bool
) -> dict[str, str]:
    """The environment for the app's process.

    Parameters
    ----------
    environ
        The environment this command runs in (``os.environ``).
    data_dir
        The data folder the app reads and the editor writes.
    port, host
        Where Streamlit listens.
    edit
        Whether the editor is on. When it is off, :data:`EDIT_ENV` and :data:`TOKEN_ENV` are
        removed even if they were inherited, so that only ``--edit`` turns editing on.

    Returns
    -------
    dict
        A new mapping; ``environ`` is not changed.

    Raises
    ------
    UsageError
        When editing is on beyond localhost without a usable token.
    """
    if edit and token_required(host):
        check_token_setting(environ)
    env = {k: v for k, v in environ.items() if k not in (EDIT_ENV, TOKEN_ENV, HOST_ENV)}
    if edit:
        env[EDIT_ENV] = "1"
        if TOKEN_ENV in environ:
            env[TOKEN_ENV] = environ[TOKEN_ENV]
    env.update(
        {
            HOST_ENV: host,
            "DEZMAP_DATA": str(data_dir.resolve()),
            "STREAMLIT_SERVER_PORT": str(port),
            "STREAMLIT_SERVER_ADDRESS": host,
            "STREAMLIT_SERVER_HEADLESS": "true",
            "STREAMLIT_SERVER_ENABLE_STATIC_SERVING": "true",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            # Streamlit runs a full garbage collection after every page run by default:
            # 0.1-0.2 s of CPU with the app's modules and data loaded, holding the
            # interpreter while the run's last messages wait to be sent. Python's own
            # collector still runs as objects are allocated.
            "STREAMLIT_RUNNER_POST_SCRIPT_GC": "false",
        }
    )
    return env


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
    host = args.host.strip()
    if not host:
        raise UsageError("--host must not be empty (default: 127.0.0.1)")
    # Streamlit reads these before anything else (the app is warmed up before it starts)
    env = serve_env(os.environ, data_dir=data_dir, port=args.port, host=host, edit=args.edit)
    # ui.serve loads and joins the data first, then runs `streamlit run` in its process
    command = [sys.executable, "-m", "ui.serve", str(app)]
    shown = f"[{host}]" if ":" in host else host
    print(f"dezmap: serving {data_dir} on http://{shown}:{args.port}", flush=True)
    if args.edit:
        who = (
            f"saving needs the token set in {TOKEN_ENV}"
            if token_required(host)
            else "anyone on this machine may save"
        )
        print(f"dezmap: zone editing is on ({who})", flush=True)
    return subprocess.call(command, env=env, cwd=PROJECT_DIR)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's sub-commands."""
    p = sub.add_parser(
        "serve",
        help="start the app on a data folder",
        description=(
            "Start the Streamlit app with the data of --data. The zone editor is off unless "
            f"--edit is given; beyond localhost, saving then needs the token in ${TOKEN_ENV}."
        ),
    )
    p.add_argument("--data", metavar="DIR", help="data folder (default: ./data)")
    p.add_argument("--port", type=int, default=8501, help="port (default: 8501)")
    p.add_argument(
        "--host",
        "--address",
        dest="host",
        default=DEFAULT_HOST,
        metavar="HOST",
        help=(
            f"interface to listen on (default: {DEFAULT_HOST}, this machine only; 0.0.0.0 for "
            "every interface); --address is the older name"
        ),
    )
    p.add_argument(
        "--edit",
        action="store_true",
        help=(
            "turn on the Edit zones page, which writes to the data folder; on a host other "
            f"than localhost, saving needs the token in the environment variable {TOKEN_ENV}"
        ),
    )
    p.set_defaults(func=cmd_serve)
