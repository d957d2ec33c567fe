"""Imported data sets: where they live, how they are stored and how they are loaded.

An imported data set is one Parquet file, ``<data_dir>/imported/<name>.parquet``, written by
``dezmap import`` (see :mod:`geo.importers`). ``<name>`` is a slug and is the name users see.
There are two kinds:

- **incidents** (from UCDP GED or ACLED): the columns of the violations frame of
  :mod:`geo.io` without ``geometry``; the points are rebuilt from ``lat``/``lon`` on load.
- **agreements** (from PA-X): the columns of the agreements frame plus ``dataset``.

The file's schema metadata holds, under the key ``b"dezmap"``, a JSON object that says what
the file is: kind, source format, name, source file, import time, rows and skipped rows. A
Parquet file without it is not a dezmap data set and is refused.

See ``docs/datasets.md`` for the user-facing description.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from geo import schema
from geo.atomic import fsync_dir, open_locked_temp, remove_stale_temps, resolve_target
from geo.errors import DataError, ImportFileError, Report, UsageError
from geo.io import AGREEMENT_FRAME_COLUMNS, BUNDLED, CRS, VIOLATION_FRAME_COLUMNS

if TYPE_CHECKING:
    from geo.timemodel import Timeline

DatasetKind = Literal["incidents", "agreements"]
SourceFormat = Literal["ucdp", "acled", "pax"]

#: The folder of a data folder that holds imported sets.
IMPORTED_DIR = "imported"
SUFFIX = ".parquet"
#: The key of the schema metadata that marks a Parquet file as a dezmap data set.
METADATA_KEY = b"dezmap"
#: The version of the file layout, stored in the metadata, for future migrations.
LAYOUT_VERSION = 1
KINDS: tuple[str, ...] = ("incidents", "agreements")
FORMATS: tuple[str, ...] = ("ucdp", "acled", "pax")

#: Columns stored for incidents: the violations frame without its geometry.
INCIDENT_COLUMNS: list[str] = [c for c in VIOLATION_FRAME_COLUMNS if c != "geometry"]
#: Columns stored for agreements: the agreements frame and the name of the set.
AGREEMENT_COLUMNS: list[str] = [*AGREEMENT_FRAME_COLUMNS, "dataset"]

_TEXT = pa.string()
_INSTANT = pa.timestamp("ns", tz="UTC")
_INSTANT_DTYPE = "datetime64[ns, UTC]"
_INCIDENT_TYPES = {
    "occurred": _INSTANT,
    "occurred_end": _INSTANT,
    "lat": pa.float64(),
    "lon": pa.float64(),
    "casualties": pa.int64(),
}
_AGREEMENT_TYPES = {
    "signed": _INSTANT,
    "effective_from": _INSTANT,
    "effective_to": _INSTANT,
    "zone_ids": pa.list_(pa.string()),
}
INCIDENT_SCHEMA = pa.schema([(c, _INCIDENT_TYPES.get(c, _TEXT)) for c in INCIDENT_COLUMNS])
AGREEMENT_SCHEMA = pa.schema([(c, _AGREEMENT_TYPES.get(c, _TEXT)) for c in AGREEMENT_COLUMNS])
_SCHEMAS: dict[str, pa.Schema] = {"incidents": INCIDENT_SCHEMA, "agreements": AGREEMENT_SCHEMA}
#: Columns a frame or an older file may lack, with the value they then hold: importers leave
#: ``agreement_ids`` (the agreements a bundled violation names) empty.
_DEFAULTS: dict[str, dict[str, str]] = {"incidents": {"agreement_ids": ""}, "agreements": {}}
_METADATA_FIELDS = ("kind", "format", "name", "source_file", "imported_at", "rows", "skipped")


@dataclass(frozen=True)
class DatasetInfo:
    """What an imported data set is, as recorded in its file.

    Parameters
    ----------
    name
        The set's name (the file name without ``.parquet``), shown to users.
    kind
        ``"incidents"`` or ``"agreements"``.
    format
        The source format it was imported from: ``"ucdp"``, ``"acled"`` or ``"pax"``.
    path
        The Parquet file.
    rows
        Rows in the set.
    skipped
        Rows of the source file that were skipped as unusable.
    source_file
        The name (not the path) of the file it was imported from.
    imported_at
        When it was imported (UTC).
    """

    name: str
    kind: str
    format: str
    path: Path
    rows: int
    skipped: int
    source_file: str
    imported_at: dt.datetime


# --- names and places ------------------------------------------------------------------------


def imported_dir(data_dir: str | Path) -> Path:
    """The folder that holds the imported sets of a data folder."""
    return Path(data_dir) / IMPORTED_DIR


def dataset_path(data_dir: str | Path, name: str) -> Path:
    """The file of the imported set ``name`` in a data folder."""
    return imported_dir(data_dir) / f"{name}{SUFFIX}"


def slugify(text: str) -> str:
    """Turn a file name or title into a data set name: ``GED Syria 19.1`` -> ``ged-syria-19-1``.

    Returns ``"dataset"`` when nothing usable is left, and ``"bundled-imported"`` for the
    reserved name ``bundled``.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not slug:
        return "dataset"
    return f"{slug}-imported" if slug == BUNDLED else slug


def dataset_name(path: str | Path) -> str:
    """The data set name that a file path gives, after checking that it can be one.

    Raises
    ------
    UsageError
        If the file does not end in ``.parquet``, its name is not a slug, or it is the
        reserved name ``bundled``; the message suggests a name that works.
    """
    target = Path(path)
    if target.suffix != SUFFIX:
        raise UsageError(
            f"{target}: a data set file must end in {SUFFIX}; "
            f"use e.g. {target.with_name(slugify(target.stem) + SUFFIX)}"
        )
    name = target.stem
    if name == BUNDLED:
        raise UsageError(
            f"{target}: {BUNDLED!r} is the name of the bundled data and cannot name an imported "
            f"set; use e.g. {target.with_name(f'{BUNDLED}-imported{SUFFIX}')}"
        )
    if not schema.SLUG_RE.match(name):
        raise UsageError(
            f"{target}: {name!r} cannot name a data set: use lower-case letters, digits and "
            f"single hyphens, e.g. {target.with_name(slugify(name) + SUFFIX)}"
        )
    return name


def default_output(data_dir: str | Path, source: str | Path) -> Path:
    """Where ``dezmap import`` writes when no ``--out`` is given: named after the source file.

    ``ged_syria.csv`` in data folder ``data`` goes to ``data/imported/ged-syria.parquet``.
    """
    return dataset_path(data_dir, slugify(Path(source).stem))


# --- writing ---------------------------------------------------------------------------------


def write_dataset(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    kind: str,
    format: str,
    source_file: str,
    skipped: int,
) -> DatasetInfo:
    """Write an imported data set atomically, with its metadata.

    The file is written to a temporary file in the target folder and then renamed over the
    target, so that it is never half-written; the folder is created if needed. To write a
    large set piece by piece, use :class:`DatasetWriter` (this is one write of it).

    Parameters
    ----------
    frame
        The records: for incidents the columns of the violations frame (``geometry`` and
        ``dataset`` may be absent and are ignored), for agreements those of the agreements
        frame. Instants must be timezone-aware.
    path
        The target ``<name>.parquet``; its stem becomes the set's name and ``dataset`` column.
    kind
        ``"incidents"`` or ``"agreements"``.
    format
        The source format: ``"ucdp"``, ``"acled"`` or ``"pax"``.
    source_file
        The file the records came from; only its name is stored.
    skipped
        How many rows of the source were skipped.

    Returns
    -------
    DatasetInfo
        What was written.

    Raises
    ------
    UsageError
        If ``path`` cannot name a data set (see :func:`dataset_name`).
    ValueError
        If ``kind``, ``format`` or ``skipped`` is invalid or the frame lacks columns.
    OSError
        If the file cannot be written (an existing file is then left as it was).
    """
    with DatasetWriter(path, kind=kind, format=format, source_file=source_file) as writer:
        _check_skipped(skipped)
        writer.write(frame)
        return writer.close(skipped)


def _check_skipped(skipped: int) -> None:
    if skipped < 0:
        raise ValueError(f"skipped must not be negative, not {skipped!r}")


class DatasetWriter:
    """Writes an imported data set piece by piece, atomically: all of it or nothing.

    Each :meth:`write` converts a frame of records to the stored columns and types and
    appends it to the Parquet file as one row group, so that only that frame is held in
    memory. The rows go to a temporary file, ``.<name>.parquet.<random>.tmp`` in the target's
    folder (named, locked and cleaned up as :mod:`geo.atomic` does), which :meth:`close`
    renames over the target once the metadata (rows and skipped rows, known only at the end)
    is in its footer. Until then the target is untouched; :meth:`abort`, or leaving a
    ``with`` block by an exception, removes the temporary file, and the folders this writer
    created if they are still empty. The file is the one :func:`write_dataset` writes for
    the same rows, with one row group per write.

    Nothing is created on disk before the first :meth:`write` (or :meth:`close`), so a writer
    may be made before it is known whether there is anything to write.

    Parameters
    ----------
    path, kind, format, source_file
        As for :func:`write_dataset`; checked at once.

    Raises
    ------
    UsageError
        If ``path`` cannot name a data set (see :func:`dataset_name`).
    ValueError
        If ``kind`` or ``format`` is invalid.
    """

    def __init__(self, path: str | Path, *, kind: str, format: str, source_file: str) -> None:
        self.path = Path(path)
        self.name = dataset_name(self.path)
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        if format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {format!r}")
        self.kind, self.format, self.source_file = kind, format, Path(source_file).name
        #: Rows written so far.
        self.rows = 0
        self._schema = _SCHEMAS[kind]
        self._fd: int | None = None
        self._tmp: Path | None = None
        self._target: Path | None = None
        self._stream: Any = None
        self._writer: pq.ParquetWriter | None = None
        self._made: list[Path] = []
        self._finished = False

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None or not self._finished:
            self.abort()

    def write(self, frame: pd.DataFrame) -> None:
        """Append records (columns as for :func:`write_dataset`) as one row group.

        Raises
        ------
        ValueError
            If the frame lacks columns or its instants are not timezone-aware (nothing is
            written then).
        OSError
            If the file cannot be written; call :meth:`abort` (a ``with`` block does).
        """
        if self._finished:
            raise ValueError(f"{self.path}: this data set has been closed")
        table = _to_table(frame, self.kind, self.name)
        if self._writer is None:
            self._open()
        if table.num_rows:
            assert self._writer is not None
            self._writer.write_table(table)
            self.rows += table.num_rows

    def close(self, skipped: int) -> DatasetInfo:
        """Write the metadata, then put the file in place of the target.

        Parameters
        ----------
        skipped
            How many rows of the source were skipped.

        Returns
        -------
        DatasetInfo
            What was written.

        Raises
        ------
        ValueError
            If ``skipped`` is negative.
        OSError
            If the file cannot be written; the temporary file is then removed and the target
            left as it was.
        """
        _check_skipped(skipped)
        if self._finished:
            raise ValueError(f"{self.path}: this data set has been closed")
        try:
            if self._writer is None:
                self._open()
            writer, fd, tmp, target = self._writer, self._fd, self._tmp, self._target
            assert writer is not None and fd is not None and tmp is not None and target
            imported_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
            metadata = {
                "kind": self.kind,
                "format": self.format,
                "name": self.name,
                "source_file": self.source_file,
                "imported_at": imported_at.isoformat().replace("+00:00", "Z"),
                "rows": self.rows,
                "skipped": int(skipped),
                "version": LAYOUT_VERSION,
            }
            marker = json.dumps(metadata).encode("utf-8")
            # The rows and skipped rows are known only now, but Arrow takes the schema's
            # metadata when the writer opens. The footer's key-value metadata is that metadata
            # plus the Arrow schema itself (serialised, base64, under ARROW:schema), which is
            # where readers find the schema's metadata: replace both, so that the footer is
            # the one pq.write_table writes for a table with this metadata.
            final = self._schema.with_metadata({METADATA_KEY: marker})
            arrow_schema = base64.b64encode(final.serialize().to_pybytes())
            writer.add_key_value_metadata({METADATA_KEY: marker, b"ARROW:schema": arrow_schema})
            writer.close()
            self._writer = None
            self._stream.close()
            self._stream = None
            os.fsync(fd)
            os.replace(tmp, target)
        except BaseException:
            self.abort()
            raise
        self._tmp, self._fd, self._made, self._finished = None, None, [], True
        try:
            fsync_dir(target.parent)
        finally:
            os.close(fd)  # releases the lock only after the rename
        return DatasetInfo(
            name=self.name,
            kind=self.kind,
            format=self.format,
            path=self.path,
            rows=self.rows,
            skipped=int(skipped),
            source_file=self.source_file,
            imported_at=imported_at,
        )

    def abort(self) -> None:
        """Give up: remove the temporary file (and the folders made for it); never raises."""
        self._finished = True
        for closing in (self._writer, self._stream):
            if closing is not None:
                with contextlib.suppress(Exception):
                    closing.close()
        self._writer = self._stream = None
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)
            self._tmp = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        for folder in self._made:  # the deepest first
            try:
                folder.rmdir()
            except OSError:
                break
        self._made = []

    def _open(self) -> None:
        """Create the folder if needed and the locked temporary file, and start the file."""
        missing = []
        for folder in [self.path.parent, *self.path.parent.parents]:
            if folder.exists() or folder.is_symlink():
                break
            missing.append(folder)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._made = missing
        target = resolve_target(self.path)
        remove_stale_temps(target.parent, target.name)
        # the locked temporary file of geo.atomic.atomic_write_bytes, filled piece by piece
        self._fd, self._tmp = open_locked_temp(target.parent, target.name)
        self._target = target
        try:
            st = os.stat(target)
        except FileNotFoundError:
            st = None
        if st is not None:  # keep the replaced file's permissions (and owner, where allowed)
            os.fchmod(self._fd, st.st_mode & 0o7777)
            own = os.fstat(self._fd)
            if (own.st_uid, own.st_gid) != (st.st_uid, st.st_gid):
                with contextlib.suppress(PermissionError):
                    os.fchown(self._fd, st.st_uid, st.st_gid)
        self._stream = pa.OSFile(str(self._tmp), mode="wb")
        self._writer = pq.ParquetWriter(self._stream, self._schema, compression="lz4")


def _to_table(frame: pd.DataFrame, kind: str, name: str) -> pa.Table:
    """The Arrow table of a frame, with the stored columns and types and ``dataset = name``."""
    target_schema = _SCHEMAS[kind]
    wanted = [c for c in target_schema.names if c != "dataset"]
    missing = [c for c in wanted if c not in frame.columns and c not in _DEFAULTS[kind]]
    if missing:
        raise ValueError(f"the {kind} frame lacks column(s): {', '.join(missing)}")
    data = pd.DataFrame(
        {c: frame[c] if c in frame.columns else _DEFAULTS[kind][c] for c in wanted},
        index=frame.index,
    )
    for column, type_ in zip(target_schema.names, target_schema.types, strict=True):
        if type_ == _INSTANT:
            values = data[column]
            if not isinstance(values.dtype, pd.DatetimeTZDtype):
                raise ValueError(f"column {column!r} must hold timezone-aware instants")
            data[column] = values.dt.tz_convert("UTC").astype(_INSTANT_DTYPE)
    if kind == "agreements":
        zone_ids = [list(z) for z in data["zone_ids"]]
        data["zone_ids"] = pd.Series(zone_ids, index=data.index, dtype=object)  # even if empty
    data["dataset"] = name
    return pa.Table.from_pandas(data, schema=target_schema, preserve_index=False)


# --- reading ---------------------------------------------------------------------------------


def read_dataset(path: str | Path) -> tuple[pd.DataFrame | gpd.GeoDataFrame, DatasetInfo]:
    """Read an imported data set.

    Returns
    -------
    frame
        Incidents: a GeoDataFrame of points (EPSG:4326) with exactly the columns and dtypes
        of :func:`geo.io.violations_frame`. Agreements: a DataFrame with the columns and
        dtypes of :func:`geo.io.agreements_frame` plus ``dataset``; ``zone_ids`` are tuples.
    info
        The set's metadata.

    Raises
    ------
    ImportFileError
        If the file cannot be read or is not a dezmap data set.
    """
    target = Path(path)
    try:
        table = pq.read_table(target)
    except (OSError, pa.ArrowException) as exc:
        raise ImportFileError(_unreadable(target, exc)) from None
    info = _info_from_schema(target, table.schema)
    if info.kind == "incidents":
        return _incidents_from_table(table), info
    return _agreements_from_table(table), info


def _unreadable(path: Path, exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError) or not path.exists():
        return f"{path}: no such data set file; run `dezmap import ucdp|acled|pax FILE` to make one"
    return (
        f"{path}: not a dezmap data set (it cannot be read as Parquet: {exc}); remove it, "
        "or import the source again with `dezmap import ucdp|acled|pax FILE`"
    )


def read_info(path: str | Path) -> DatasetInfo:
    """Read only the metadata of an imported data set (cheap: the file's footer).

    Raises
    ------
    ImportFileError
        If the file cannot be read or is not a dezmap data set.
    """
    target = Path(path)
    try:
        file_schema = pq.read_schema(target)
    except (OSError, pa.ArrowException) as exc:
        raise ImportFileError(_unreadable(target, exc)) from None
    return _info_from_schema(target, file_schema)


def _info_from_schema(path: Path, file_schema: pa.Schema) -> DatasetInfo:
    """Check a file's schema and metadata and return its :class:`DatasetInfo`."""
    fix = "import the source again with `dezmap import ucdp|acled|pax FILE`"
    raw = (file_schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise ImportFileError(
            f"{path}: not a dezmap data set: the Parquet file has no dezmap metadata (it was not "
            f"written by `dezmap import`); {fix}"
        )
    try:
        meta: dict[str, Any] = json.loads(raw)
        missing = [k for k in _METADATA_FIELDS if k not in meta]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        kind, fmt = meta["kind"], meta["format"]
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        imported_at = dt.datetime.fromisoformat(str(meta["imported_at"]).replace("Z", "+00:00"))
        rows, skipped = int(meta["rows"]), int(meta["skipped"])
    except (ValueError, TypeError) as exc:
        raise ImportFileError(f"{path}: the dezmap metadata is damaged ({exc}); {fix}") from None
    absent = [
        c for c in _SCHEMAS[kind].names if c not in file_schema.names and c not in _DEFAULTS[kind]
    ]
    if absent:
        raise ImportFileError(
            f"{path}: this {kind} data set lacks column(s) {', '.join(absent)}; {fix}"
        )
    return DatasetInfo(
        name=path.stem,
        kind=kind,
        format=fmt,
        path=path,
        rows=rows,
        skipped=skipped,
        source_file=str(meta["source_file"]),
        imported_at=imported_at.astimezone(dt.UTC),
    )


def _int64_as_nullable(type_: pa.DataType) -> Any:
    return pd.Int64Dtype() if type_ == pa.int64() else None


def _incidents_from_table(table: pa.Table) -> gpd.GeoDataFrame:
    """The incidents GeoDataFrame, typed like :func:`geo.io.violations_frame`."""
    for column, value in _DEFAULTS["incidents"].items():
        if column not in table.column_names:  # a set imported before the column existed
            table = table.append_column(column, pa.array([value] * table.num_rows, _TEXT))
    table = table.select(INCIDENT_COLUMNS).cast(INCIDENT_SCHEMA)
    frame = table.to_pandas(types_mapper=_int64_as_nullable)
    for column in ("occurred", "occurred_end"):
        frame[column] = frame[column].astype(_INSTANT_DTYPE)
    geometry = gpd.points_from_xy(frame["lon"].to_numpy(), frame["lat"].to_numpy(), crs=CRS)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)


def _agreements_from_table(table: pa.Table) -> pd.DataFrame:
    """The agreements DataFrame, typed like :func:`geo.io.agreements_frame` plus ``dataset``."""
    table = table.select(AGREEMENT_COLUMNS).cast(AGREEMENT_SCHEMA)
    zone_ids = table.column("zone_ids").to_pylist()
    frame = table.drop_columns(["zone_ids"]).to_pandas()
    for column in ("signed", "effective_from", "effective_to"):
        frame[column] = frame[column].astype(_INSTANT_DTYPE)
    position = AGREEMENT_COLUMNS.index("zone_ids")
    frame.insert(
        position,
        "zone_ids",
        pd.Series([tuple(z or ()) for z in zone_ids], index=frame.index, dtype=object),
    )
    return frame


# --- data folders ----------------------------------------------------------------------------


def list_datasets(data_dir: str | Path, *, report: Report | None = None) -> list[DatasetInfo]:
    """The imported data sets of a data folder, sorted by name.

    Every ``*.parquet`` file in ``<data_dir>/imported`` is expected to be a data set; none is
    skipped silently. A missing ``imported`` folder means there are none.

    Parameters
    ----------
    data_dir
        The data folder.
    report
        Where to record files that cannot be read (one error per file). When given, the
        readable sets are returned and the others are only reported; when None, any
        unreadable file raises.

    Returns
    -------
    list of DatasetInfo
        The readable sets, sorted by name.

    Raises
    ------
    DataError
        If ``report`` is None and some file is not a readable dezmap data set; ``.problems``
        has one error per such file.
    """
    folder = imported_dir(data_dir)
    if not folder.is_dir():
        return []
    found = Report()
    infos = []
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            infos.append(read_info(path))
        except ImportFileError as exc:
            found.error(str(path), "", exc.message, "unreadable-dataset")
    if found.problems:
        if report is None:
            n = len(found.problems)
            raise DataError(
                f"{folder}: {n} file{'s' * (n != 1)} cannot be read as dezmap data sets; "
                "remove them or import their sources again",
                found.problems,
            )
        report.extend(found.problems)
    return sorted(infos, key=lambda info: info.name)


def _chosen(data_dir: str | Path, kind: str, names: Iterable[str] | None) -> list[DatasetInfo]:
    """The sets of one kind to load: all of them, or those named (checked)."""
    if names is None:
        return [info for info in list_datasets(data_dir) if info.kind == kind]
    chosen = []
    for name in dict.fromkeys(names):
        if name == BUNDLED:
            continue
        path = dataset_path(data_dir, name)
        if not path.is_file():
            available = ", ".join(p.stem for p in sorted(imported_dir(data_dir).glob(f"*{SUFFIX}")))
            raise UsageError(
                f"no imported data set {name!r} in {imported_dir(data_dir)}; "
                + (f"the sets are: {available}" if available else "there are none yet")
            )
        info = read_info(path)
        if info.kind != kind:
            raise UsageError(f"data set {name!r} holds {info.kind}, not {kind}")
        chosen.append(info)
    return chosen


def load_incidents(
    data_dir: str | Path, bundled: gpd.GeoDataFrame, names: Iterable[str] | None = None
) -> gpd.GeoDataFrame:
    """The bundled violations together with imported incidents, one frame.

    Parameters
    ----------
    data_dir
        The data folder whose ``imported`` folder holds the sets.
    bundled
        The bundled violations (:func:`geo.io.read_violations` or ``load_dataset``); their
        ``dataset`` is set to ``"bundled"``. Not modified.
    names
        The imported sets to add; all incidents sets when None. ``"bundled"`` is ignored
        (the bundled violations are always included).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of the violations frame; ``dataset`` names the set each row came from; a
        fresh index.

    Raises
    ------
    UsageError
        If a named set does not exist or holds agreements.
    DataError
        If a set cannot be read (:class:`~geo.errors.ImportFileError` for a named one).
    """
    base = gpd.GeoDataFrame(bundled, copy=True)
    base["dataset"] = BUNDLED
    base = base[VIOLATION_FRAME_COLUMNS]
    frames = [base] + [read_dataset(info.path)[0] for info in _chosen(data_dir, "incidents", names)]
    frames = [f for f in frames if len(f)] or [base]
    combined = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(combined, geometry="geometry", crs=CRS)


def load_agreements(
    data_dir: str | Path, bundled: pd.DataFrame, names: Iterable[str] | None = None
) -> pd.DataFrame:
    """The bundled agreements together with imported ones, one frame.

    Parameters
    ----------
    data_dir
        The data folder whose ``imported`` folder holds the sets.
    bundled
        The bundled agreements; they get ``dataset = "bundled"``. Not modified.
    names
        The imported sets to add; all agreements sets when None.

    Returns
    -------
    pandas.DataFrame
        Columns of the agreements frame plus ``dataset``; a fresh index.

    Raises
    ------
    UsageError
        If a named set does not exist or holds incidents.
    DataError
        If a set cannot be read.
    """
    base = bundled.copy()
    base["dataset"] = BUNDLED
    base = base[AGREEMENT_COLUMNS]
    # A curated bundled record that cites a PA-X agreement describes it better than the
    # imported row: keep one record per agreement.
    cited = {f"pax-{n}" for n in base["source"].str.findall(r"PA-X (\d+)").explode().dropna()}
    imported = []
    for info in _chosen(data_dir, "agreements", names):
        frame = read_dataset(info.path)[0]
        imported.append(frame[~frame["agreement_id"].isin(cited)])
    frames = [f for f in [base, *imported] if len(f)] or [base]
    return pd.concat(frames, ignore_index=True)


# --- everything of a data folder -----------------------------------------------------------------


def load_timeline(data_dir: str | Path) -> Timeline:
    """Load a data folder with all its imported sets and join them (see geo.timemodel).

    Raises
    ------
    DataError
        If the bundled files have errors or a set cannot be read.
    """
    from geo.io import load_dataset
    from geo.timemodel import build_timeline

    dataset = load_dataset(data_dir)
    incidents = load_incidents(data_dir, dataset.violations)
    agreements = load_agreements(data_dir, dataset.agreements)
    return build_timeline(dataset.zones, agreements, incidents)


def dataset_names(timeline: Timeline) -> list[str]:
    """The data sets present in a timeline, ``bundled`` first."""
    names = set(timeline.incidents["dataset"]) | set(timeline.agreements.frame["dataset"])
    return sorted(names, key=lambda n: (n != BUNDLED, n))


def restrict(timeline: Timeline, names: Iterable[str]) -> tuple[Timeline, np.ndarray]:
    """Keep only the named data sets: agreements are filtered, incidents get a mask.

    The join is not redone: incidents of other sets stay in the timeline and are masked out
    of every count, so switching data sets is cheap.

    Returns
    -------
    (Timeline, numpy.ndarray)
        The timeline with only the named agreement sets, and the boolean mask of incidents.

    Raises
    ------
    UsageError
        If a name is not a data set of the timeline.
    """
    from dataclasses import replace

    from geo.timemodel import AgreementIndex

    wanted = list(dict.fromkeys(names))
    known = dataset_names(timeline)
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise UsageError(
            f"no data set {', '.join(map(repr, unknown))}; the data sets are: {', '.join(known)}"
        )
    agreements = timeline.agreements.frame
    kept = agreements[agreements["dataset"].isin(wanted)]
    mask = timeline.incidents["dataset"].isin(wanted).to_numpy()
    return replace(timeline, agreements=AgreementIndex.build(kept, timeline.zones)), mask
