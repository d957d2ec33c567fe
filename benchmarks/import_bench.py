"""Benchmark of ``dezmap import ucdp`` on a large file: wall time, CPU time and peak memory.

The file is made from the real UCDP GED rows for Syria in ``../shared/realdata`` (or
``$DEZMAP_REALDATA``), repeated until it has ``--rows`` rows; each copy's ids are shifted so
that every id stays distinct (otherwise all but the first copy would be skipped as
duplicates). It is written to a temporary folder (or to ``--keep PATH``) and never into the
checkout. The import then runs as users run it, as a separate ``dezmap import`` process, and
its peak resident memory is read from the kernel's accounting of that child
(``os.wait4``'s ``ru_maxrss``). The import streams (``CHUNK_ROWS`` rows at a time, one Parquet
row group each): the row groups of the file written are reported too.

Usage::

    .venv/bin/python benchmarks/import_bench.py [--rows 1000000] [--runs 1] [--json]

Targets (issue 12): 1,000,000 rows in at most 15 s and 1 GB. A measurement, not a test: the
exit code is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
UCDP_NAME = "events/ucdp_ged_syria_2016-01-01_2019-11-30.csv"
TARGET_S = 15.0
TARGET_BYTES = 1_000_000_000


def log(message: str) -> None:
    """Progress, on stderr (stdout holds the table or the JSON)."""
    print(message, file=sys.stderr, flush=True)


def realdata() -> Path:
    """The shared real-data folder."""
    return Path(os.environ.get("DEZMAP_REALDATA") or ROOT.parent / "shared" / "realdata")


def make_file(target: Path, rows: int) -> Path:
    """Write a UCDP GED CSV of ``rows`` rows, the real Syrian rows repeated with distinct ids.

    Rows are written as UCDP writes them (quotes only where a value needs them); only the
    ``id`` column (the first) changes from copy to copy.
    """
    import csv
    import io

    source = realdata() / UCDP_NAME
    with open(source, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        records = list(reader)
    if header[0] != "id":
        raise RuntimeError(f"{source}: expected the id column first, found {header[0]!r}")
    rest = []
    for record in records:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(record[1:])
        rest.append(buffer.getvalue())
    ids = [int(record[0]) for record in records]
    shift = max(ids) + 1
    with open(target, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(header) + "\n")
        for n in range(rows):
            copy, i = divmod(n, len(records))
            out.write(f"{ids[i] + copy * shift},{rest[i]}")
    return target


def run_import(source: Path, out: Path) -> dict[str, Any]:
    """Run ``dezmap import ucdp`` once; wall and CPU seconds, peak memory, what it printed."""
    env = {k: v for k, v in os.environ.items() if k != "DEZMAP_DATA"}
    # python -m geo from the checkout: the code of this checkout, whatever the venv points to
    command = [sys.executable, "-m", "geo", "import", "ucdp", str(source), "--out", str(out)]
    command.append("--no-progress")
    # output goes to files (one warning per skipped row on stderr), so that the child is
    # reaped by os.wait4 below and its own peak memory can be read
    with tempfile.TemporaryFile() as stdout_file, tempfile.TemporaryFile() as stderr_file:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=stdout_file, stderr=stderr_file
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout_file.seek(0)
        stderr_file.seek(0)
        stdout = stdout_file.read().decode("utf-8", "replace")
        stderr = stderr_file.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise RuntimeError(f"dezmap import exited {process.returncode}: {stderr[-2000:]}")
    import pyarrow.parquet as pq

    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "user_s": usage.ru_utime,
        "system_s": usage.ru_stime,
        "peak_rss_bytes": usage.ru_maxrss * 1024,  # Linux reports KiB
        "output": stdout.strip(),
        "out_bytes": out.stat().st_size,
        "out_row_groups": pq.ParquetFile(out).num_row_groups,
    }


def check_output(out: Path, rows: int) -> list[str]:
    """Problems with the written data set: it must hold every row, with distinct ids."""
    sys.path.insert(0, str(ROOT))
    from geo.datasets import read_dataset

    frame, info = read_dataset(out)
    problems = []
    if info.rows != len(frame):
        problems.append(f"metadata says {info.rows} rows, the file has {len(frame)}")
    if frame["violation_id"].duplicated().any():
        problems.append("ids are not distinct")
    if len(frame) + info.skipped != rows:
        problems.append(f"{len(frame)} written + {info.skipped} skipped != {rows} rows")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Make the file, import it ``--runs`` times, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows (default 1000000)")
    parser.add_argument("--runs", type=int, default=1, help="imports of the file (default 1)")
    parser.add_argument("--keep", metavar="PATH", help="write (or reuse) the CSV file here")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not (realdata() / UCDP_NAME).is_file():
        print(f"import_bench: {realdata() / UCDP_NAME} not found", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="dezmap-import-bench-") as tmp:
        source = Path(args.keep) if args.keep else Path(tmp) / "ucdp_big.csv"
        if not source.is_file():
            log(f"writing {args.rows:,} UCDP rows to {source}")
            make_file(source, args.rows)
        out = Path(tmp) / "ucdp-big.parquet"
        load_start = os.getloadavg()
        runs = []
        for run in range(args.runs):
            result = run_import(source, out)
            log(
                f"  run {run + 1}/{args.runs}: {result['wall_s']:.2f} s wall, "
                f"{result['cpu_s']:.2f} s CPU, peak {result['peak_rss_bytes'] / 1e9:.2f} GB "
                f"(load average {os.getloadavg()[0]:.1f})"
            )
            runs.append(result)
        problems = check_output(out, args.rows)
        file_bytes = source.stat().st_size  # before the temporary folder goes
    figures = {
        "rows": args.rows,
        "file_bytes": file_bytes,
        "median_wall_s": statistics.median(r["wall_s"] for r in runs),
        "median_cpu_s": statistics.median(r["cpu_s"] for r in runs),
        "max_peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs),
        "load_average_start": load_start,
        "load_average": os.getloadavg(),
        "runs": runs,
        "problems": problems,
        "pass": {
            "time": statistics.median(r["wall_s"] for r in runs) <= TARGET_S,
            "memory": max(r["peak_rss_bytes"] for r in runs) <= TARGET_BYTES,
            "output": not problems,
        },
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"import of {args.rows:,} UCDP rows ({(figures['file_bytes'] or 0) / 1e6:.0f} MB)")
    print(
        f"  wall {figures['median_wall_s']:.2f} s (target <= {TARGET_S:g} s): "
        f"{'PASS' if figures['pass']['time'] else 'FAIL'}"
    )
    print(f"  CPU  {figures['median_cpu_s']:.2f} s")
    print(
        f"  peak memory {figures['max_peak_rss_bytes'] / 1e9:.2f} GB (target <= "
        f"{TARGET_BYTES / 1e9:g} GB): {'PASS' if figures['pass']['memory'] else 'FAIL'}"
    )
    print("  output: " + ("every row, distinct ids" if not problems else "; ".join(problems)))
    groups = sorted({r["out_row_groups"] for r in runs})
    print(
        f"  file: {runs[-1]['out_bytes'] / 1e6:.0f} MB in {'/'.join(map(str, groups))} row group(s)"
    )
    print(
        "  load average: start "
        + ", ".join(f"{v:.2f}" for v in figures["load_average_start"])
        + "; end "
        + ", ".join(f"{v:.2f}" for v in figures["load_average"])
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
