"""Starting the app warm (ui.serve): data loaded and joined before the first visitor."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import DATA, ROOT

PROBE = """
import sys, time
from ui import data, serve
seconds = serve.warm_up()
first = data.timeline_or_none()
started = time.perf_counter()
again = data.timeline_or_none()
print(seconds > 0, first is again, time.perf_counter() - started < 0.5,
      "streamlit_folium" in sys.modules, first.n_incidents)
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
    warmed, cached, fast, components, incidents = result.stdout.split()
    assert (warmed, cached, fast) == ("True", "True", "True")
    # importing streamlit-folium before the server exists would leave its component unserved
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
