"""`dezmap serve`: starting warm (ui.serve), and who may edit (--edit, --host, the token)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from geo.cli import main as cli_main
from geo.cli.serve import EDIT_ENV, HOST_ENV, TOKEN_ENV, is_loopback, serve_env
from geo.errors import UsageError
from tests.conftest import DATA, ROOT
from ui.serve import edit_access, token_matches

PROBE = """
import sys
from ui import data, serve
seconds = serve.warm_up()
first = data.timeline_or_none()
again = data.timeline_or_none()
print(seconds > 0, first is again, "streamlit_folium" in sys.modules, first.n_incidents)
"""


def test_warm_up_fills_the_pages_cache_and_leaves_components_alone():
    env = dict(os.environ, DEZMAP_DATA=str(DATA))
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    warmed, cached, components, incidents = result.stdout.split()[-4:]
    assert (warmed, cached) == ("True", "True")  # the page's call returns the warmed object
    # components are left to the pages' own imports (ui.leafmap, which imports streamlit-folium,
    # whose component, declared before the server exists, would never be served)
    assert components == "False"
    assert int(incidents) >= 40


def test_warm_up_survives_a_broken_data_folder(data_copy):
    (data_copy / "agreements.csv").write_text("not,a,header\n")
    env = dict(os.environ, DEZMAP_DATA=str(data_copy))
    code = "from ui import serve, data; serve.warm_up(); print(data.timeline_or_none())"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("None")


def test_main_starts_streamlit_without_waiting_for_the_warm_up(monkeypatch):
    """The warm-up runs beside Streamlit: the server is started before it ends."""
    import uvicorn
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    from ui import serve

    monkeypatch.setattr(PagesManager, "uses_pages_directory", PagesManager.uses_pages_directory)
    monkeypatch.setattr(uvicorn.Server, "startup", uvicorn.Server.startup)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    serving, warmed = threading.Event(), threading.Event()
    seen = {}

    def warm_up():
        # a warm-up that could only end once Streamlit serves
        seen["streamlit was serving"] = serving.wait(10)
        warmed.set()
        return 0.0

    def streamlit_main():
        seen["routing fixed first"] = PagesManager.uses_pages_directory is False
        seen["argv"] = list(sys.argv)
        serving.set()
        seen["warmed up meanwhile"] = warmed.wait(10)

    monkeypatch.setattr(serve, "warm_up", warm_up)
    monkeypatch.setattr(cli, "main", streamlit_main)
    serve.main(["app.py", "--server.port", "8600"])
    assert seen == {
        "routing fixed first": True,
        "argv": ["streamlit", "run", "app.py", "--server.port", "8600"],
        "streamlit was serving": True,
        "warmed up meanwhile": True,
    }
    assert getattr(uvicorn.Server.startup, "_dezmap_no_delay", False), "replies not sent at once"


def test_the_rest_of_the_warm_up_waits_for_a_page_run_in_progress():
    from ui import serve

    release = threading.Event()
    page_run = threading.Thread(target=release.wait, args=(30,), name=serve._PAGE_RUN_THREAD)
    page_run.start()
    waiter = threading.Thread(target=serve.after_page_runs)
    waiter.start()
    try:
        waiter.join(0.5)
        assert waiter.is_alive(), "the warm-up went on while a page ran"
    finally:
        release.set()
    waiter.join(10)
    assert not waiter.is_alive()


def test_a_failing_warm_up_is_reported_and_the_server_goes_on(monkeypatch, capsys):
    from ui import serve

    def broken():
        raise RuntimeError("no such module")

    monkeypatch.setattr(serve, "warm_up", broken)
    serve.warm_up_beside().join(10)
    err = capsys.readouterr().err
    assert "warming up failed" in err and "RuntimeError: no such module" in err


# --- who may edit: dezmap serve --edit / --host and the token ----------------------------------

TOKEN = "correct-horse-battery-staple"


@pytest.mark.parametrize(
    "host,loopback",
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("example.org", False),
        ("localhost.example.org", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_serve_env_without_edit_drops_an_inherited_edit_switch_and_token():
    inherited = {EDIT_ENV: "1", TOKEN_ENV: TOKEN, "PATH": "/usr/bin"}
    env = serve_env(inherited, data_dir=DATA, port=8600, host="127.0.0.1", edit=False)
    assert EDIT_ENV not in env and TOKEN_ENV not in env
    assert env["PATH"] == "/usr/bin"
    assert env["STREAMLIT_SERVER_ADDRESS"] == "127.0.0.1" and env[HOST_ENV] == "127.0.0.1"
    assert env["STREAMLIT_SERVER_PORT"] == "8600"
    # no full garbage collection after every page run (it holds the interpreter ~0.1-0.2 s)
    assert env["STREAMLIT_RUNNER_POST_SCRIPT_GC"] == "false"
    assert inherited[EDIT_ENV] == "1", "the caller's mapping is not changed"
    assert edit_access(env).enabled is False


def test_serve_env_with_edit_on_localhost_needs_no_token():
    env = serve_env({}, data_dir=DATA, port=8600, host="127.0.0.1", edit=True)
    assert env[EDIT_ENV] == "1" and TOKEN_ENV not in env
    access = edit_access(env)
    assert access.enabled and not access.token_required


@pytest.mark.parametrize("token", [None, "", "   ", "x7Kq9"])
def test_serve_env_refuses_edit_beyond_localhost_without_a_usable_token(token):
    environ = {} if token is None else {TOKEN_ENV: token}
    with pytest.raises(UsageError, match=TOKEN_ENV) as caught:
        serve_env(environ, data_dir=DATA, port=8600, host="0.0.0.0", edit=True)
    if token and token.strip():
        assert token not in str(caught.value), "the message never shows the token"


def test_serve_env_with_edit_beyond_localhost_passes_the_token_on():
    env = serve_env({TOKEN_ENV: TOKEN}, data_dir=DATA, port=8600, host="0.0.0.0", edit=True)
    assert env[TOKEN_ENV] == TOKEN and env[EDIT_ENV] == "1"
    access = edit_access(env)
    assert access.enabled and access.token_required and access.host == "0.0.0.0"


def test_edit_access_of_a_server_started_some_other_way_requires_the_token():
    # plain `streamlit run` listens on every interface when no address is set
    assert edit_access({EDIT_ENV: "1"}).token_required
    assert not edit_access({EDIT_ENV: "yes"}).enabled


def test_token_matches_compares_exactly_and_never_accepts_an_empty_secret():
    env = {TOKEN_ENV: TOKEN}
    assert token_matches(TOKEN, env)
    assert not token_matches(TOKEN + " ", env)
    assert not token_matches(TOKEN[:-1], env)
    assert not token_matches("", env)
    assert not token_matches("", {TOKEN_ENV: ""})
    assert not token_matches("anything", {})
    assert token_matches("ключ-مفتاح-secret", {TOKEN_ENV: "ключ-مفتاح-secret"})


def test_command_line_refuses_edit_beyond_localhost_without_token(capsys, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    code = cli_main(["serve", "--data", str(DATA), "--edit", "--host", "0.0.0.0"])
    err = capsys.readouterr().err
    assert code == 2
    assert TOKEN_ENV in err and "--host 127.0.0.1" in err


def test_address_is_kept_as_an_alias_of_host_and_the_default_is_loopback():
    from geo.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["serve"]).host == "127.0.0.1"
    assert parser.parse_args(["serve", "--address", "0.0.0.0"]).host == "0.0.0.0"
    assert parser.parse_args(["serve", "--host", "::1"]).host == "::1"
    assert parser.parse_args(["serve"]).edit is False


def test_serve_passes_the_token_only_through_the_environment(capsys, monkeypatch):
    """`dezmap serve --edit --host 0.0.0.0`: the token is in no printed line and no argument."""
    import subprocess as sp

    calls = []
    monkeypatch.setattr(sp, "call", lambda command, env, cwd: calls.append((command, env)) or 0)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.delenv(EDIT_ENV, raising=False)
    code = cli_main(["serve", "--data", str(DATA), "--edit", "--host", "0.0.0.0", "--port", "8600"])
    out = capsys.readouterr()
    assert code == 0
    assert TOKEN not in out.out + out.err
    assert "saving needs the token set in DEZMAP_EDIT_TOKEN" in out.out
    ((command, env),) = calls
    assert TOKEN not in " ".join(command)
    assert env[TOKEN_ENV] == TOKEN and env[EDIT_ENV] == "1"
    assert env["STREAMLIT_SERVER_ADDRESS"] == "0.0.0.0"


def test_serve_without_edit_says_nothing_about_editing(capsys, monkeypatch):
    import subprocess as sp

    calls = []
    monkeypatch.setattr(sp, "call", lambda command, env, cwd: calls.append((command, env)) or 0)
    monkeypatch.setenv(EDIT_ENV, "1")  # inherited from a shell: must not turn editing on
    assert cli_main(["serve", "--data", str(DATA), "--port", "8600"]) == 0
    assert "editing" not in capsys.readouterr().out
    ((_, env),) = calls
    assert EDIT_ENV not in env and env["STREAMLIT_SERVER_ADDRESS"] == "127.0.0.1"


def test_warm_up_with_edit_fills_the_editors_caches_and_declares_no_component(data_copy):
    env = dict(os.environ, DEZMAP_DATA=str(data_copy), DEZMAP_EDIT="1", DEZMAP_HOST="127.0.0.1")
    code = (
        "from ui import serve\n"
        "serve.warm_up()\n"
        "from ui import edit, editor\n"
        "import geo.context, geo.edit.frame\n"
        "def parsed_again(*args, **kwargs):\n"
        "    raise RuntimeError('parsed again: the warm-up did not fill this cache')\n"
        "geo.edit.frame.frame_from_text = parsed_again\n"
        "geo.context.countries = parsed_again\n"
        "loaded = edit.load()\n"
        "ok = edit.countries_near(tuple(loaded.frame.total_bounds))\n"
        "print(bool(ok), editor._component is None)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-2:] == ["True", "True"]


# --- a visitor who arrives while the server warms up --------------------------------------------


@pytest.mark.browser
def test_first_visitor_during_the_warm_up_sees_the_map_from_one_load(tmp_path):
    """Health answers before the warm-up ends; the first page waits for the same load."""
    from tests import browser

    if not browser.CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {browser.CHROMIUM} (make browser)")
    from playwright.sync_api import sync_playwright

    # 100,000 incidents: loading and joining them keeps the warm-up busy for seconds
    data = browser.synthetic_folder(tmp_path / "data", 100_000)
    with browser.serve(data) as server, sync_playwright() as playwright:
        assert "dezmap: warmed up" not in server.log(), "the server warmed up before serving"
        chromium = browser.launch_chromium(playwright)
        try:
            page, log = browser.new_page(chromium.new_context(), server.base_url)
            page.goto(f"{server.base_url}/")
            browser.wait_for_map(page, timeout=120_000)
            browser.wait_for_idle(page, timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert log.page_errors == [] and log.unexpected_console_errors() == []
        finally:
            chromium.close()
        server_log = server.log()
    assert server_log.count("dezmap: loading and joining") == 1, server_log
    assert "warming up failed" not in server_log


# --- replies sent at once (TCP_NODELAY) --------------------------------------------------------


def test_no_delay_reaches_every_connection_a_listening_socket_accepts():
    """A socket made as Streamlit makes it (no protocol number) passes the option on."""
    import socket

    from ui.serve import no_delay

    def accepted(switch: bool) -> int:
        with socket.socket(family=socket.AF_INET) as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            if switch:
                no_delay(listener)
            with socket.create_connection(listener.getsockname()) as client:
                conn, _ = listener.accept()
                with client, conn:
                    return conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)

    assert accepted(False) == 0, "the kernel switched Nagle off by itself: test means nothing"
    assert accepted(True) != 0


def test_no_delay_leaves_a_unix_socket_alone(tmp_path):
    import socket

    from ui.serve import no_delay

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(tmp_path / "s"))
        no_delay(sock)  # no error: the option does not exist there


def test_send_replies_at_once_wraps_uvicorn_once(monkeypatch):
    import uvicorn

    from ui import serve

    monkeypatch.setattr(uvicorn.Server, "startup", uvicorn.Server.startup)
    serve.send_replies_at_once()
    wrapped = uvicorn.Server.startup
    serve.send_replies_at_once()
    assert uvicorn.Server.startup is wrapped
    assert getattr(wrapped, "_dezmap_no_delay", False)


@pytest.mark.browser
def test_the_server_answers_a_kept_alive_connection_without_delay():
    """Requests after the first on one connection are not held back by Nagle's algorithm.

    With the option off, every request after the first waited for the client's delayed
    acknowledgement (40 ms or more on Linux, every time). The fastest of ten later
    requests shows it: load on the machine slows requests down, never all below 40 ms.
    """
    import http.client
    import time

    from tests import browser

    with browser.serve(DATA) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        seconds = []
        try:
            for _ in range(11):
                started = time.perf_counter()
                conn.request("GET", "/_stcore/health")
                response = conn.getresponse()
                assert response.read() == b"ok"
                seconds.append(time.perf_counter() - started)
        finally:
            conn.close()
    assert min(seconds[1:]) < 0.030, [round(s * 1000, 1) for s in seconds]
