"""Editing benchmark: saving the zones, `dezmap zones diff` and `dezmap zones import`.

Run it from the checkout (needs the shared real data, ``../shared/realdata`` or
``$DEZMAP_REALDATA``)::

    .venv/bin/python benchmarks/edit_bench.py           # table, with pass/fail per target
    .venv/bin/python benchmarks/edit_bench.py --json    # the same figures as JSON

What is timed (wall clock, and the CPU time of this process, median of ``--runs``; in this
process after the imports, so interpreter start-up is not counted; one ``dezmap`` subprocess
run of each command is reported beside it for the whole cost as a user sees it; the load
average is printed, since other processes on the cores stretch the wall clock):

- **save**: :func:`geo.edit.save.save_zones` of the bundled zones with one vertex moved, in a
  copy of ``data/``: canonical text, validation (with the folder's agreements and violations),
  conflict check, backup of the previous file, atomic write, log line. Target 300 ms.
- **preview**: :func:`geo.edit.versions.change_summary` of that edit on the bundled timeline
  (the editor shows it after each vertex drag).
- **diff**: ``dezmap zones diff A B`` (``geo.cli.main``) of two zones files of the 272 OCHA
  sub-districts (admin 3): A as published, B every outline buffered by 0.0005 degrees (about
  50 m) and simplified by 0.0003 degrees. Both files are read and validated, every version is
  compared (area, symmetric difference, Hausdorff distance). Target 1 s. Measured for the full
  file (129,000 vertices) and the simplified one (17,000).
- **import**: ``dezmap zones import`` of the same file into a fresh copy of ``data/`` (272 new
  zones): reading the GeoJSON, merging, saving (validation included). Target 2 s.

It is a script, not a test: the figures depend on the machine; targets are reported, not
enforced (exit code 0).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import shapely  # noqa: E402
from shapely.geometry import Polygon  # noqa: E402

from geo.cli import main as dezmap  # noqa: E402
from geo.datasets import load_timeline  # noqa: E402
from geo.edit import file_hash, save_zones  # noqa: E402
from geo.edit.gis import read_gis  # noqa: E402
from geo.edit.versions import change_summary, import_versions, replace_geometry  # noqa: E402
from geo.io import read_zones  # noqa: E402

DATA = ROOT / "data"
REALDATA = Path(os.environ.get("DEZMAP_REALDATA", ROOT.parent / "shared" / "realdata"))
ADMIN3 = {
    "full": REALDATA / "boundaries" / "ocha2016_syr_admin3.geojson",
    "simplified": REALDATA / "boundaries" / "ocha2016_syr_admin3_simplified.geojson",
}
IMPORT_ARGS = ["--id-field", "PCODE", "--name-field", "NAME_EN", "--valid-from-field", "UPDATE_DAT"]
TARGETS = {"save_ms": 300.0, "diff_s": 1.0, "import_s": 2.0}


def log(message: str) -> None:
    """Progress, on stderr."""
    print(message, file=sys.stderr, flush=True)


def fresh_data(tmp: Path, name: str) -> Path:
    """A copy of the bundled data folder (no imported sets, no backups)."""
    target = tmp / name
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("imported", ".backups"))
    return target


def quiet(argv: list[str]) -> int:
    """Run ``dezmap`` in this process with its output swallowed."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return dezmap(argv)


class Clock:
    """Wall-clock and CPU seconds of this process since it was made.

    The CPU time is the one to compare between machines or runs when other processes compete
    for the cores: the wall clock then also counts the time spent waiting for one.
    """

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def timed(fn: Any, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each run."""
    wall, cpu = [], []
    for _ in range(runs):
        clock = Clock()
        fn()
        w, c = clock.read()
        wall.append(w)
        cpu.append(c)
    return wall, cpu


def subprocess_seconds(argv: list[str]) -> float:
    """One run of the ``dezmap`` console script, start-up included."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "geo", *argv], capture_output=True, text=True, cwd=ROOT
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"dezmap {' '.join(argv)} failed:\n{proc.stderr}")
    return elapsed


def moved_vertex(zones: Any, step: int) -> Any:
    """The bundled zones with one vertex of Eastern Ghouta's first version moved east."""
    i = zones.index[zones["zone_id"] == "eastern-ghouta"][0]
    ring = list(zones.geometry[i].exterior.coords)
    x, y = ring[1]
    ring[1] = (x + 0.001 * (1 + step % 3), y)
    return replace_geometry(zones, zones.at[i, "version_id"], Polygon(ring[:-1]))


def bench_save(tmp: Path, runs: int) -> dict[str, Any]:
    folder = fresh_data(tmp, "save")
    path = folder / "zones.geojson"
    base = read_zones(path)
    times, cpu = [], []
    for step in range(runs):
        edited = moved_vertex(base, step)
        expected = file_hash(path)
        clock = Clock()
        result = save_zones(path, edited, expected=expected, editor="bench")
        w, c = clock.read()
        times.append(w)
        cpu.append(c)
        assert result.changed and result.backup is not None
    timeline = load_timeline(folder)
    edited = moved_vertex(base, 1)
    preview, preview_cpu = timed(lambda: change_summary(base, edited, timeline), runs)
    return {
        "save_ms": statistics.median(times) * 1000,
        "save_cpu_ms": statistics.median(cpu) * 1000,
        "save_runs_ms": [round(t * 1000, 1) for t in times],
        "zones_bytes": path.stat().st_size,
        "preview_ms": statistics.median(preview) * 1000,
        "preview_cpu_ms": statistics.median(preview_cpu) * 1000,
    }


def admin3_pair(tmp: Path, which: str) -> tuple[Path, Path, int]:
    """Zones files A (the sub-districts as published) and B (buffered and simplified)."""
    source = ADMIN3[which]
    incoming = read_gis(
        source, id_field="PCODE", name_field="NAME_EN", valid_from_field="UPDATE_DAT"
    )
    empty = read_zones(DATA / "zones.geojson").iloc[:0]
    merged = import_versions(empty, incoming, source=source.name, group="ocha-admin3").zones
    a = tmp / f"diff-{which}-a" / "zones.geojson"
    b = tmp / f"diff-{which}-b" / "zones.geojson"
    a.parent.mkdir()
    b.parent.mkdir()
    save_zones(a, merged, expected=None)
    changed = read_zones(a)
    changed["geometry"] = shapely.simplify(
        shapely.buffer(changed.geometry.to_numpy(), 0.0005), 0.0003
    )
    save_zones(b, changed, expected=None)
    vertices = int(shapely.get_num_coordinates(read_zones(a).geometry.to_numpy()).sum())
    return a, b, vertices


def bench_diff(tmp: Path, runs: int, which: str) -> dict[str, Any]:
    a, b, vertices = admin3_pair(tmp, which)
    argv = ["zones", "diff", str(a), str(b)]
    assert quiet(argv) == 0
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        dezmap([*argv, "--json"])
    changed = len(json.loads(out.getvalue())["versions_changed"])
    times, cpu = timed(lambda: quiet(argv), runs)
    return {
        "diff_s": statistics.median(times),
        "diff_cpu_s": statistics.median(cpu),
        "diff_runs_s": [round(t, 3) for t in times],
        "versions_changed": changed,
        "vertices_a": vertices,
        "bytes_a": a.stat().st_size,
        "diff_subprocess_s": subprocess_seconds(argv),
    }


def bench_import(tmp: Path, runs: int, which: str) -> dict[str, Any]:
    times, cpu = [], []
    bundled = len(read_zones(DATA / "zones.geojson"))
    for k in range(runs):
        folder = fresh_data(tmp, f"import-{which}-{k}")
        argv = ["zones", "import", str(ADMIN3[which]), *IMPORT_ARGS, "--data", str(folder)]
        clock = Clock()
        code = quiet(argv)
        w, c = clock.read()
        times.append(w)
        cpu.append(c)
        assert code == 0, f"import failed in {folder}"
        assert len(read_zones(folder / "zones.geojson")) == bundled + 272
    folder = fresh_data(tmp, f"import-{which}-sub")
    argv = ["zones", "import", str(ADMIN3[which]), *IMPORT_ARGS, "--data", str(folder)]
    return {
        "import_s": statistics.median(times),
        "import_cpu_s": statistics.median(cpu),
        "import_runs_s": [round(t, 3) for t in times],
        "import_subprocess_s": subprocess_seconds(argv),
    }


def verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    if not REALDATA.is_dir():
        raise SystemExit(f"shared real data not found at {REALDATA} (set DEZMAP_REALDATA)")
    figures: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "shapely": shapely.__version__,
            "geos": ".".join(map(str, shapely.geos_version)),
        }
    }
    figures["load_before"] = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="dezmap-edit-bench-") as name:
        tmp = Path(name)
        log("save and preview (bundled zones) ...")
        figures["save"] = bench_save(tmp, max(args.runs, 5))
        for which in ("full", "simplified"):
            log(f"diff ({which} sub-districts) ...")
            figures[f"diff_{which}"] = bench_diff(tmp, args.runs, which)
            log(f"import ({which} sub-districts) ...")
            figures[f"import_{which}"] = bench_import(tmp, max(1, args.runs // 2 + 1), which)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    s = figures["save"]
    rows = [
        (
            "save the bundled zones (one vertex moved)",
            f"{s['save_ms']:.0f} ms median, {s['save_cpu_ms']:.0f} ms CPU "
            f"({s['zones_bytes'] / 1000:.0f} kB file)",
            f"<= {TARGETS['save_ms']:.0f} ms",
            verdict(s["save_ms"], TARGETS["save_ms"]),
        ),
        (
            "change preview of that edit (change_summary)",
            f"{s['preview_ms']:.0f} ms median, {s['preview_cpu_ms']:.0f} ms CPU",
            "",
            "",
        ),
    ]
    for which in ("full", "simplified"):
        d, i = figures[f"diff_{which}"], figures[f"import_{which}"]
        rows.append(
            (
                f"zones diff, 272 sub-districts ({which}, {d['vertices_a']:,} vertices)",
                f"{d['diff_s']:.2f} s median, {d['diff_cpu_s']:.2f} s CPU "
                f"({d['versions_changed']} versions changed; {d['diff_subprocess_s']:.2f} s "
                "as a command)",
                f"<= {TARGETS['diff_s']:.0f} s",
                verdict(d["diff_s"], TARGETS["diff_s"]),
            )
        )
        rows.append(
            (
                f"zones import, 272 sub-districts ({which})",
                f"{i['import_s']:.2f} s median, {i['import_cpu_s']:.2f} s CPU "
                f"({i['import_subprocess_s']:.2f} s as a command)",
                f"<= {TARGETS['import_s']:.0f} s",
                verdict(i["import_s"], TARGETS["import_s"]),
            )
        )
    m = figures["machine"]
    print(f"load average before: {figures['load_before']}, after: {os.getloadavg()[0]:.2f}")
    print(f"{m['cpus']} CPUs, Python {m['python']}, shapely {m['shapely']} (GEOS {m['geos']})")
    print("| figure | measured | target | |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
