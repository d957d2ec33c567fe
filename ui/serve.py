"""Start the app: ``python -m ui.serve APP [streamlit options]`` (run by ``dezmap serve``).

Streamlit starts serving at once; the pages' modules are imported and the data folder is
loaded and joined into the pages' caches in a thread beside it (:func:`warm_up_beside`), in
the order the Map page needs them, then what the other pages need. ``/_stcore/health``
answers as soon as the server listens, while the browser loads Streamlit's frontend the
warm-up goes on, and a visitor who arrives before it ends waits for the same cached load (a
Streamlit cache computes a value once, the other callers wait for it), never for a second
one and never on an error.

It also says who may edit: :func:`edit_access` reads what ``dezmap serve`` put in the
environment (``--edit``, ``--host``), and :func:`token_matches` compares a typed token with
``$DEZMAP_EDIT_TOKEN`` in constant time. Nothing a browser sends (an address, a query
parameter) can turn editing on.
"""

from __future__ import annotations

import functools
import hmac
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass

from geo.cli.serve import EDIT_ENV, HOST_ENV, TOKEN_ENV, token_required

#: Syria's extent (min lon, min lat, max lon, max lat), for the warm-up's first map.
SYRIA_BOUNDS = (35.6, 32.3, 42.4, 37.4)


@dataclass(frozen=True)
class EditAccess:
    """Whether this server lets people edit zones, and whether saving needs the token."""

    enabled: bool
    token_required: bool
    host: str


def edit_access(environ: Mapping[str, str] | None = None) -> EditAccess:
    """Who may edit on this server, from the environment ``dezmap serve`` set.

    Editing is on only when ``DEZMAP_EDIT`` is ``1``. The token is required unless the server
    listens on a loopback address; a server whose interface is unknown (started some other
    way than ``dezmap serve``) is treated as reachable from the network, as Streamlit then
    listens on every interface.
    """
    env = os.environ if environ is None else environ
    host = env.get(HOST_ENV) or env.get("STREAMLIT_SERVER_ADDRESS") or "0.0.0.0"
    return EditAccess(
        enabled=env.get(EDIT_ENV, "") == "1",
        token_required=token_required(host),
        host=host,
    )


def token_matches(given: str, environ: Mapping[str, str] | None = None) -> bool:
    """True when ``given`` equals the server's edit token (compared in constant time).

    False when the server has no token: an empty secret never opens anything.
    """
    env = os.environ if environ is None else environ
    expected = env.get(TOKEN_ENV, "")
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def warm_up() -> float:
    """Import the pages' modules and fill the data caches; return the seconds it took.

    First what the Map page (the first a visitor sees) needs, in the order it imports it, so
    that a visitor's first run importing the same modules meanwhile only waits on them (two
    threads importing in the same order cannot deadlock); then, once no page run is in
    progress (a first visitor's page goes first), the Zone page's charts and, with
    ``--edit``, the editor's caches. A data folder with errors is not an error here:
    the pages show the problems.
    """
    started = time.perf_counter()
    # the Map page's imports, in its order; not its components (ui.leafmap imports
    # streamlit_folium, whose component, declared before the server exists, is never served)
    import folium  # noqa: F401 - imported for its cost, once

    from geo.render import base_map
    from ui import data

    quiet_cache_warnings()

    # The first map compiles folium's templates and decodes the country outlines, which do
    # not depend on the data: done first, while a visitor who arrives meanwhile loads the
    # data (or waits for this thread's load), rather than both decoding the outlines at once
    # when the page reaches its map (their cache has no lock).
    base_map(SYRIA_BOUNDS).get_root().render()
    if data.timeline_or_none() is not None:
        data.events()
        data.choices()
        data.reference_layers()
        data.places()
    # the other pages: the Zone page's charts (its figures are computed per zone, when the Map
    # page focuses one: ui.data.prefetch_zone); not while a visitor's page runs, which would
    # then share the interpreter with this import
    after_page_runs()
    import altair  # noqa: F401 - imported for its cost, once

    if edit_access().enabled:
        # the editor's zones frame, its checks' records and the country outlines (decoding
        # Natural Earth takes about a second); its map component is declared on first use only
        from ui import edit

        edit.warm_up()
    return time.perf_counter() - started


#: The name Streamlit gives the thread of each page run (one thread per run).
_PAGE_RUN_THREAD = "ScriptRunner.scriptThread"


def quiet_cache_warnings() -> None:
    """Silence Streamlit's warning that a cache is filled outside a page run (intended here).

    Called after importing Streamlit, which configures its loggers on import.
    """
    import logging

    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(
        logging.ERROR
    )
    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)


def after_page_runs(limit: float = 30.0) -> None:
    """Return once no page run is in progress, or after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and any(
        t.name == _PAGE_RUN_THREAD and t.is_alive() for t in threading.enumerate()
    ):
        time.sleep(0.05)


def _warm_up_and_report() -> None:
    """Run :func:`warm_up` and say in the server's log how it went (never raise)."""
    try:
        seconds = warm_up()
    except Exception:  # noqa: BLE001 - the server keeps serving; the pages show the problem
        print("dezmap: warming up failed (the pages load on first use):", file=sys.stderr)
        traceback.print_exc()
        return
    print(f"dezmap: warmed up (imports, data loaded and joined) in {seconds:.1f} s", flush=True)


def warm_up_beside() -> threading.Thread:
    """Start :func:`warm_up` in a daemon thread and return it.

    Called before Streamlit starts: both go on together, the server needing little time to
    listen and the warm-up filling the caches meanwhile and while the first browser loads.
    """
    thread = threading.Thread(target=_warm_up_and_report, name="dezmap-warm-up", daemon=True)
    thread.start()
    return thread


def route_only_through_app() -> None:
    """Make ``app.py``'s ``st.navigation`` the only router, from the first visitor on.

    Streamlit treats an app with a ``pages/`` folder as an old-style multipage app until some
    session has run ``st.navigation``: until then an address such as ``/edit`` runs
    ``pages/edit.py`` directly, bypassing ``app.py`` (and the check that lists the editor only
    with ``--edit``). Streamlit sets this flag itself on the first ``st.navigation`` call; it is
    set here before the server accepts anyone.
    """
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def no_delay(sock: socket.socket) -> None:
    """Switch Nagle's algorithm off on a TCP socket (``TCP_NODELAY``); leave others alone.

    Set on a listening socket, Linux passes it on to every connection the socket accepts.
    """
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def send_replies_at_once() -> None:
    """Make the server send every reply at once: ``TCP_NODELAY`` on the sockets it listens on.

    Streamlit binds its listening socket itself and hands it to uvicorn. The socket is made
    without a protocol number, and asyncio switches Nagle's algorithm off only on sockets
    that carry one; so a reply written in two parts (uvicorn writes the headers, then the
    body) waited for the browser's delayed acknowledgement of the first part: about 40 ms
    for every request after the first on a kept-alive connection (44 ms measured, against 3
    ms for the first). A page load fetches about 80 of Streamlit's script files over six
    connections. Wraps ``uvicorn.Server.startup``, which receives the bound sockets (once).
    """
    import uvicorn

    startup = uvicorn.Server.startup
    if getattr(startup, "_dezmap_no_delay", False):
        return

    @functools.wraps(startup)
    async def startup_without_delay(
        self: uvicorn.Server, sockets: list[socket.socket] | None = None
    ) -> None:
        for sock in sockets or ():
            no_delay(sock)
        await startup(self, sockets=sockets)

    startup_without_delay._dezmap_no_delay = True  # type: ignore[attr-defined]
    uvicorn.Server.startup = startup_without_delay


def main(argv: list[str]) -> None:
    """Run ``streamlit run`` with ``argv`` in this process, warming up beside it."""
    route_only_through_app()
    send_replies_at_once()
    warm_up_beside()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *argv]
    cli.main()


if __name__ == "__main__":  # pragma: no cover - started by dezmap serve
    main(sys.argv[1:])
