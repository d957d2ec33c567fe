"""The gazetteer: towns the records name, with OCHA P-codes, English and Arabic names.

A data folder may hold ``places.csv``: one row per town, its OCHA P-code (``C2338``), its
English and Arabic names as OCHA writes them, its governorate, its position (WGS 84, five
decimals) and the dataset it comes from. The bundled file lists the towns whose OCHA points
the bundled violations use; the map draws them as a labelled layer.

The loader stands on its own (no validator): it reads the file, checks each row and raises
one :class:`PlacesError` listing every problem, placed by row and column.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pandas as pd

from geo.errors import DataError, Problem

PLACES_FILE = "places.csv"
PLACE_COLUMNS = ("pcode", "name_en", "name_ar", "admin1_en", "lat", "lon", "source")
#: The box a town of Syria lies in (min_lon, min_lat, max_lon, max_lat), with a margin.
SYRIA_BOX = (35.5, 32.2, 42.5, 37.5)
_PCODE = re.compile(r"C\d{3,5}")


class PlacesError(DataError):
    """A gazetteer file cannot be used."""


def places_path(data_dir: str | Path) -> Path:
    """Where a data folder keeps its gazetteer."""
    return Path(data_dir) / PLACES_FILE


def load_places(path: str | Path) -> pd.DataFrame:
    """Read a gazetteer CSV.

    Parameters
    ----------
    path
        The file, or a data folder (its ``places.csv``).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`PLACE_COLUMNS`, ``lat`` and ``lon`` as floats, one row per
        town in the file's order.

    Raises
    ------
    PlacesError
        If the file is missing or unreadable, lacks a column, or has rows with a bad P-code
        (not ``C`` and digits, or repeated), an empty name or source, or a position that is
        not a number inside Syria; every problem is listed.
    """
    path = Path(path)
    if path.is_dir():
        path = places_path(path)
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise PlacesError(f"{name}: no gazetteer file here") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlacesError(f"{name}: cannot read the gazetteer ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in PLACE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise PlacesError(
            f"{name}: the gazetteer lacks the column(s) {', '.join(missing)}; its header must "
            f"name {', '.join(PLACE_COLUMNS)}"
        )
    rows, problems, seen = [], [], {}
    for number, raw in enumerate(reader, start=2):
        row, row_problems = _check_row(name, number, raw, seen)
        problems.extend(row_problems)
        rows.append(row)
    if problems:
        raise PlacesError(f"{name}: {len(problems)} problem(s) in the gazetteer", problems)
    return pd.DataFrame(rows, columns=list(PLACE_COLUMNS))


def load_places_if_any(data_dir: str | Path) -> pd.DataFrame | None:
    """The data folder's gazetteer, or None when it has none (it is optional).

    Raises
    ------
    PlacesError
        If the file exists but cannot be used.
    """
    path = places_path(data_dir)
    return load_places(path) if path.is_file() else None


def gazetteer(data_dir: str | Path) -> tuple[pd.DataFrame | None, str | None]:
    """The data folder's gazetteer for a map, and what is wrong with it if it is unusable.

    Returns ``(places, None)``, ``(None, None)`` for a folder without one, or ``(None,
    message)`` when the file cannot be used: a map then goes without towns and says why.
    """
    try:
        return load_places_if_any(data_dir), None
    except PlacesError as exc:
        return None, str(exc)


def _check_row(
    name: str, number: int, raw: dict, seen: dict[str, int]
) -> tuple[dict, list[Problem]]:
    """One row, read and checked: its values and its problems."""
    problems: list[Problem] = []

    def bad(column: str, message: str, code: str) -> None:
        problems.append(Problem(name, f"row {number}, column {column}", "error", message, code))

    row = {c: (raw.get(c) or "").strip() for c in PLACE_COLUMNS}
    if not _PCODE.fullmatch(row["pcode"]):
        bad("pcode", f"{row['pcode']!r} is not an OCHA P-code (C and digits, e.g. C2338)", "pcode")
    elif row["pcode"] in seen:
        bad("pcode", f"{row['pcode']!r} repeats row {seen[row['pcode']]}", "duplicate-pcode")
    else:
        seen[row["pcode"]] = number
    for column in ("name_en", "name_ar", "source"):
        if not row[column]:
            bad(
                column, "is empty; give the town's name as OCHA writes it, and the dataset", "empty"
            )
    (lon0, lat0, lon1, lat1) = SYRIA_BOX
    for column, lo, hi in (("lat", lat0, lat1), ("lon", lon0, lon1)):
        try:
            value = float(row[column])
        except ValueError:
            bad(column, f"{row[column]!r} is not a number", "not-a-number")
            row[column] = math.nan
            continue
        if not lo <= value <= hi:
            bad(column, f"{value!r} is outside Syria ({lo} to {hi})", "outside-syria")
        row[column] = value
    return row, problems
