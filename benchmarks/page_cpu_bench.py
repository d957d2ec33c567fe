"""CPU of one page run, measured in-process with Streamlit's AppTest (no browser, no server).

    .venv/bin/python benchmarks/page_cpu_bench.py [--data DIR] [--repeat N] [--json]

The process is first warmed up as ``dezmap serve`` warms a server (``ui.serve.warm_up``:
imports, the first base map, the data folder loaded and joined, altair imported), then one
session goes through the interactions of ``browser_bench.py``'s warm-server figures on the
bundled data: a Map run, a slider step, choosing Eastern Ghouta in "Focus zone", the switch
to the Zone page 1.5 s later (first visit of that zone and view in the process; the CPU
spent in the background meanwhile, the Map page's prefetch of the focused zone, is reported
apart), a rerun of the Zone page, back to the Map and to the Zone page again (second visit),
a slider step on the Map followed by the Zone page (the instant changed), a kind filter on
the Zone page, another zone chosen in "Focus zone" on the Zone page (not prefetched), and
the Records page (first run, then a second run).

Each figure is ``time.process_time()`` around ``AppTest.run()``: the CPU of the page's
script and of AppTest's handling of what it drew (a few ms), every thread of the process
included. ``--repeat N`` runs the whole sequence N times in fresh sessions and reports the
median of each figure; after the first sequence the Zone page's per-zone caches are warm,
so the "first visit" figure is a first visit only in the first sequence (reported apart).
It is a script, not a test: figures depend on the machine (exit code 0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = "2017-07-23T12:00+03:00"
FOCUS = "eastern-ghouta"
OTHER = "northern-homs"
#: Seconds between the focus change and the click on "Zone", as a user's.
PAUSE_S = 1.5


def timed(action) -> float:
    """CPU seconds of one AppTest run (``action`` returns the AppTest after ``run()``)."""
    started = time.process_time()
    app = action()
    spent = time.process_time() - started
    if app.exception:
        raise RuntimeError(f"the page raised: {app.exception}")
    return spent


def sequence() -> dict[str, float]:
    """One session through the interactions; CPU seconds per run, by name."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params["at"] = START
    out: dict[str, float] = {}
    out["Map, first run of a session"] = timed(app.run)
    out["Map, slider step"] = timed(
        lambda: app.slider(key="w.day").set_value(dt.date(2017, 7, 24)).run()
    )
    out["Map, focus zone change"] = timed(
        lambda: app.selectbox(key="w.zone").set_value(FOCUS).run()
    )
    # a user takes a moment before the next click: the Map page's prefetch of the focused
    # zone's page (a thread started by the run) happens then, counted here
    started = time.process_time()
    time.sleep(PAUSE_S)
    out[f"(background, {PAUSE_S:g} s after the focus change)"] = time.process_time() - started
    out["Map -> Zone, first visit"] = timed(lambda: app.switch_page("pages/zone.py").run())
    assert app.title[0].value == "Eastern Ghouta", app.title[0].value
    out["Zone, rerun"] = timed(app.run)
    out["Zone -> Map"] = timed(lambda: app.switch_page("pages/map.py").run())
    out["Map -> Zone, second visit"] = timed(lambda: app.switch_page("pages/zone.py").run())
    app.switch_page("pages/map.py").run()
    app.slider(key="w.day").set_value(dt.date(2017, 7, 25)).run()
    out["Map -> Zone after a slider step"] = timed(lambda: app.switch_page("pages/zone.py").run())
    out["Zone, kind filter"] = timed(
        lambda: app.multiselect(key="w.kinds").set_value(["shelling"]).run()
    )
    app.multiselect(key="w.kinds").set_value([]).run()
    out["Zone, focus changed there (not prefetched)"] = timed(
        lambda: app.selectbox(key="w.zone").set_value(OTHER).run()
    )
    out["Records, first run of a session"] = timed(
        lambda: app.switch_page("pages/records.py").run()
    )
    out["Records, rerun"] = timed(app.run)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT / "data"), help="data folder (DEZMAP_DATA)")
    parser.add_argument("--repeat", type=int, default=3, help="sequences (default 3)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    os.environ["DEZMAP_DATA"] = str(Path(args.data).resolve())
    os.environ.pop("DEZMAP_REFERENCE", None)

    from ui.serve import warm_up

    started = time.process_time()
    warm_up()
    warm = time.process_time() - started
    runs = [sequence() for _ in range(max(1, args.repeat))]
    names = list(runs[0])
    result = {
        "warm_up_cpu_s": round(warm, 3),
        "first_sequence": {k: round(runs[0][k], 3) for k in names},
        "median": {k: round(statistics.median(r[k] for r in runs), 3) for k in names},
        "runs": len(runs),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"warm-up (as dezmap serve): {warm:.2f} s of CPU; {len(runs)} sequence(s)")
    print(f"{'page run':40} {'first seq. ms':>14} {'median ms':>10}")
    for name in names:
        first, median = runs[0][name] * 1000, result["median"][name] * 1000
        print(f"{name:40} {first:14.0f} {median:10.0f}")


if __name__ == "__main__":
    main()
