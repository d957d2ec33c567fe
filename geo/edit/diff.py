"""What changed between two zones files: zones and boundary versions added, removed, changed.

Versions are matched by their id, ``zone_id@valid_from``: a version whose ``valid_from``
changed shows as one removed and one added. For each version on both sides whose outline
changed, the diff gives the change in area (km², equal-area), the area of the symmetric
difference (what lies in exactly one of the two outlines) and the Hausdorff distance (km, how
far the boundary moved where it moved most), all computed in the metric projection of
:mod:`geo.edit.measure`; and, for every version on both sides, the properties that changed.

A side is a file or ``git:REV:PATH`` (:func:`load_side`): the file as it was in a git revision,
read with ``git show``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo import schema
from geo.edit.frame import day_of, frame_from_text
from geo.edit.measure import area_km2, hausdorff_km, symmetric_difference_km2, to_metric
from geo.errors import UsageError, ZoneFileError

__all__ = ["VersionDiff", "ZoneDiff", "diff_zones", "format_diff", "load_side"]

GIT_PREFIX = "git:"
#: The version properties compared (``zone_id`` and ``valid_from`` make the version's id).
COMPARED = tuple(p for p in schema.ZONE_PROPERTIES if p not in ("zone_id", "valid_from"))


@dataclass(frozen=True)
class VersionDiff:
    """One boundary version present on both sides that changed.

    Attributes
    ----------
    version_id, zone_id
        The version.
    geometry_changed
        Whether the outline changed (a change of vertex order or ring direction alone is not).
    area_before_km2, area_after_km2, area_change_km2
        Areas and the change (after minus before); km².
    symmetric_difference_km2
        The area in exactly one of the two outlines; 0 when the outline did not change.
    hausdorff_km
        How far the boundary moved where it moved most; 0 when the outline did not change.
    attributes
        The properties that changed: name -> (before, after); dates as ``YYYY-MM-DD``, an
        open ``valid_to`` as ``""``.
    """

    version_id: str
    zone_id: str
    geometry_changed: bool
    area_before_km2: float
    area_after_km2: float
    area_change_km2: float
    symmetric_difference_km2: float
    hausdorff_km: float
    attributes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "version_id": self.version_id,
            "zone_id": self.zone_id,
            "geometry_changed": self.geometry_changed,
            "area_before_km2": round(self.area_before_km2, 6),
            "area_after_km2": round(self.area_after_km2, 6),
            "area_change_km2": round(self.area_change_km2, 6),
            "symmetric_difference_km2": round(self.symmetric_difference_km2, 6),
            "hausdorff_km": round(self.hausdorff_km, 6),
            "attributes": {k: {"before": a, "after": b} for k, (a, b) in self.attributes.items()},
        }


@dataclass(frozen=True)
class ZoneDiff:
    """The differences between two zones frames.

    Attributes
    ----------
    zones_added, zones_removed
        Zone ids present on one side only.
    versions_added, versions_removed
        Version ids present on one side only (every version of an added zone is added).
    versions_changed
        The versions on both sides that differ, in version id order.
    old, new
        How the two sides were named (file, or ``git:REV:PATH``).
    """

    zones_added: tuple[str, ...]
    zones_removed: tuple[str, ...]
    versions_added: tuple[str, ...]
    versions_removed: tuple[str, ...]
    versions_changed: tuple[VersionDiff, ...]
    old: str = "old"
    new: str = "new"

    @property
    def empty(self) -> bool:
        """True when the two sides hold the same zones and versions."""
        return not (
            self.zones_added
            or self.zones_removed
            or self.versions_added
            or self.versions_removed
            or self.versions_changed
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (what ``dezmap zones diff --json`` prints)."""
        return {
            "old": self.old,
            "new": self.new,
            "zones_added": list(self.zones_added),
            "zones_removed": list(self.zones_removed),
            "versions_added": list(self.versions_added),
            "versions_removed": list(self.versions_removed),
            "versions_changed": [v.to_dict() for v in self.versions_changed],
        }


def _values(frame: gpd.GeoDataFrame, rows: list[Any]) -> dict[str, list[Any]]:
    """The compared properties of some rows, as plain values (days as ``YYYY-MM-DD``)."""
    out: dict[str, list[Any]] = {}
    for name in COMPARED:
        if name not in frame.columns:
            continue
        column = frame[name].loc[rows]
        if name == "valid_to":
            out[name] = [d.isoformat() if d else "" for d in map(day_of, column)]
        else:
            out[name] = column.tolist()
    return out


def diff_zones(
    old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, *, old_name: str = "old", new_name: str = "new"
) -> ZoneDiff:
    """Compare two zones frames (as :func:`geo.io.read_zones` returns).

    Parameters
    ----------
    old, new
        The two sides. Not modified.
    old_name, new_name
        How to name them in the result.

    Returns
    -------
    ZoneDiff
    """
    old_ids = dict(zip(old["version_id"], old.index, strict=True))
    new_ids = dict(zip(new["version_id"], new.index, strict=True))
    old_zones, new_zones = set(old["zone_id"]), set(new["zone_id"])
    common = sorted(old_ids.keys() & new_ids.keys())
    o_rows = [old_ids[v] for v in common]
    n_rows = [new_ids[v] for v in common]
    og = np.asarray(old.geometry.loc[o_rows].to_numpy(), dtype=object)
    ng = np.asarray(new.geometry.loc[n_rows].to_numpy(), dtype=object)
    moved = ~(shapely.equals_exact(og, ng, 0.0) | shapely.equals(og, ng)) if common else []
    moved = np.asarray(moved, dtype=bool)
    todo = np.flatnonzero(moved)
    mo, mn = to_metric(og), to_metric(ng)  # once, for every measure
    a_old, a_new = area_km2(mo, projected=True), area_km2(mn, projected=True)
    sym = np.zeros(len(common))
    haus = np.zeros(len(common))
    if todo.size:
        sym[todo] = symmetric_difference_km2(mo[todo], mn[todo], projected=True)
        haus[todo] = hausdorff_km(mo[todo], mn[todo], projected=True)
    before, after = _values(old, o_rows), _values(new, n_rows)
    names = [n for n in COMPARED if n in before and n in after]
    changed = []
    for i, vid in enumerate(common):
        n = n_rows[i]
        attributes = {
            name: (before[name][i], after[name][i])
            for name in names
            if before[name][i] != after[name][i]
        }
        if not moved[i] and not attributes:
            continue
        changed.append(
            VersionDiff(
                version_id=vid,
                zone_id=str(new.at[n, "zone_id"]),
                geometry_changed=bool(moved[i]),
                area_before_km2=float(a_old[i]),
                area_after_km2=float(a_new[i]),
                area_change_km2=float(a_new[i] - a_old[i]),
                symmetric_difference_km2=float(sym[i]),
                hausdorff_km=float(haus[i]),
                attributes=attributes,
            )
        )
    return ZoneDiff(
        zones_added=tuple(sorted(new_zones - old_zones)),
        zones_removed=tuple(sorted(old_zones - new_zones)),
        versions_added=tuple(sorted(new_ids.keys() - old_ids.keys())),
        versions_removed=tuple(sorted(old_ids.keys() - new_ids.keys())),
        versions_changed=tuple(changed),
        old=old_name,
        new=new_name,
    )


def format_diff(diff: ZoneDiff) -> str:
    """The diff in words, one line per item (what ``dezmap zones diff`` prints)."""
    lines = [f"--- {diff.old}", f"+++ {diff.new}"]
    if diff.empty:
        lines.append("no differences in zones or boundary versions")
        return "\n".join(lines)
    for label, items in (
        ("zone added", diff.zones_added),
        ("zone removed", diff.zones_removed),
        ("version added", diff.versions_added),
        ("version removed", diff.versions_removed),
    ):
        lines += [f"{label}: {item}" for item in items]
    for v in diff.versions_changed:
        parts = []
        if v.geometry_changed:
            parts.append(
                f"area {v.area_before_km2:.2f} -> {v.area_after_km2:.2f} km² "
                f"({v.area_change_km2:+.2f}), symmetric difference "
                f"{v.symmetric_difference_km2:.2f} km², Hausdorff distance {v.hausdorff_km:.3f} km"
            )
        for name, (before, after) in v.attributes.items():
            parts.append(f"{name}: {_short(before)} -> {_short(after)}")
        lines.append(f"version changed: {v.version_id}: " + "; ".join(parts))
    n = len(diff.versions_added) + len(diff.versions_removed) + len(diff.versions_changed)
    lines.append(
        f"{len(diff.zones_added)} zone(s) added, {len(diff.zones_removed)} removed; "
        f"{n} version(s) differ"
    )
    return "\n".join(lines)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


# --- reading a side ----------------------------------------------------------------------------


def load_side(spec: str) -> gpd.GeoDataFrame:
    """Read one side of a diff: a zones file, or ``git:REV:PATH``.

    For ``git:REV:PATH`` the file is read with ``git show REV:PATH`` from the repository that
    holds the current folder (a relative PATH is taken from the current folder, as git does
    with ``REV:./PATH``), or else the one that holds PATH.

    Returns
    -------
    GeoDataFrame
        The zones frame (messages about it name the side as ``spec``).

    Raises
    ------
    UsageError
        No such file; git missing; not in a git repository; no such revision or path in it.
    ZoneFileError
        The file has errors (the problems are listed).
    """
    if spec.startswith(GIT_PREFIX):
        text = _git_show(spec)
    else:
        path = Path(spec)
        if not path.is_file():
            raise UsageError(f"no such file: {spec}")
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise UsageError(f"{spec}: cannot be read: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise ZoneFileError(f"{spec}: is not UTF-8; re-save it as UTF-8") from None
    frame, _ = frame_from_text(text, spec)
    return frame


def _git_show(spec: str) -> str:
    rest = spec[len(GIT_PREFIX) :]
    rev, sep, path = rest.partition(":")
    if not sep or not rev or not path:
        raise UsageError(
            f"{spec!r}: write a git side as git:REV:PATH, such as git:HEAD~1:data/zones.geojson"
        )
    target = Path(path)
    if target.is_absolute():
        folder = _existing_folder(target.parent)
        name = os.path.relpath(target, folder)
    else:
        folder = Path.cwd()
        if _git(["rev-parse", "--is-inside-work-tree"], folder, spec, check=False) is None:
            folder = _existing_folder((Path.cwd() / target).parent)
            name = os.path.relpath(Path.cwd() / target, folder)
        else:
            name = path
    out = _git(["show", f"{rev}:./{name}"], folder, spec)
    assert out is not None
    try:
        return out.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ZoneFileError(f"{spec}: is not UTF-8 in that revision") from None


def _existing_folder(folder: Path) -> Path:
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    return folder


def _git(args: list[str], folder: Path, spec: str, *, check: bool = True) -> bytes | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        raise UsageError(
            f"{spec}: git is not installed; install git, or compare two files instead"
        ) from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"{spec}: git did not answer within 60 s") from None
    if proc.returncode == 0:
        return proc.stdout
    if not check:
        return None
    message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    said = message[-1] if message else f"exit status {proc.returncode}"
    if "not a git repository" in said.lower():
        raise UsageError(f"{spec}: {folder} is not inside a git repository ({said})")
    raise UsageError(
        f"{spec}: git cannot show it: {said}; check the revision (git log) and the path "
        "(relative to the current folder)"
    )
