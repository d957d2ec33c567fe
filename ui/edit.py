"""The Edit zones page's state: what is loaded, the edit in progress and its undo stack.

Everything lives in ``st.session_state`` under keys that start with ``ed.``:

- ``ed.hash``: sha256 of ``zones.geojson`` as it was loaded; a save is refused when the file
  on disk no longer has it (:class:`geo.edit.ConflictError`);
- ``ed.target``: what is being edited, ``(zone_id, version_id)`` or ``(NEW_ZONE, None)``;
- ``ed.mode``: ``edit`` (the version itself), ``new-version`` (a new version that starts
  from it) or ``new-zone``;
- ``ed.geometry``: the outline as edited (GeoJSON), ``ed.base``: the outline it started
  from (the preview compares the two);
- ``ed.undo``: the previous outlines, one per edit step; ``ed.revision``: bumped whenever the
  map must load ``ed.geometry`` afresh; ``ed.step``: the id of the last map step applied;
- ``ed.conflict``: the message of a refused save, until the file is reloaded;
- ``ed.notice``: what the last save did, shown once;
- ``ed.w.*``: the page's widgets.

The data itself (the zones frame) is cached by the file's hash, not kept in the session. The
editing rules are :mod:`geo.edit`'s; this module only keeps track of the session and turns
the page's inputs into calls.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import streamlit as st
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from geo.config import ZONES_FILE
from geo.errors import DezmapError, Problem
from ui import data
from ui.editor import EditStep
from ui.serve import EditAccess, edit_access, token_matches

NEW_ZONE = "\x00new"
MODES = ("edit", "new-version", "new-zone")
UNDO_LIMIT = 200
#: Digits kept for coordinates sent to the map (about 1 m for context, as saved for the edit).
_CONTEXT_DIGITS = 5

_HASH, _TARGET, _MODE = "ed.hash", "ed.target", "ed.mode"
_GEOMETRY, _BASE, _UNDO = "ed.geometry", "ed.base", "ed.undo"
_REVISION, _STEP = "ed.revision", "ed.step"
_CONFLICT, _NOTICE = "ed.conflict", "ed.notice"


class EditRefused(DezmapError):
    """A save this server does not allow (editing off, or the token missing or wrong)."""


@dataclass(frozen=True)
class Loaded:
    """The zones file as loaded: where it is, its sha256 and its frame (one row per version)."""

    path: Path
    sha256: str
    frame: gpd.GeoDataFrame
    warnings: tuple[Problem, ...] = field(default=())


# --- loading ---------------------------------------------------------------------------------


def zones_path() -> Path:
    """The zones file this server edits: ``<data folder>/zones.geojson``."""
    return data.data_dir() / ZONES_FILE


@st.cache_resource(max_entries=8, show_spinner=False)
def _parse(path: str, sha256: str, _raw: bytes) -> tuple[gpd.GeoDataFrame, tuple[Problem, ...]]:
    from geo.edit.frame import frame_from_text
    from geo.validate import decode_utf8

    frame, report = frame_from_text(decode_utf8(_raw), path)
    return frame, tuple(report.warnings)


def load() -> Loaded:
    """Read the zones file now (its hash) and its frame (cached by hash).

    Raises
    ------
    geo.errors.DataError
        When the file cannot be used (the page shows the problems).
    """
    path = zones_path()
    from geo.validate import NotUtf8Error

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DezmapError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    sha = hashlib.sha256(raw).hexdigest()
    try:
        frame, warnings = _parse(str(path), sha, raw)
    except NotUtf8Error as exc:
        raise DezmapError(str(exc)) from None
    return Loaded(path, sha, frame, warnings)


# --- choosing what to edit -------------------------------------------------------------------


def zone_choices(frame: gpd.GeoDataFrame) -> list[str]:
    """Zone ids in the order of the file, then :data:`NEW_ZONE`."""
    return [*dict.fromkeys(frame["zone_id"]), NEW_ZONE]


def version_choices(frame: gpd.GeoDataFrame, zone_id: str) -> list[str]:
    """The version ids of a zone, oldest first."""
    rows = frame[frame["zone_id"] == zone_id].sort_values("valid_from")
    return list(rows["version_id"])


def day_text(value: Any) -> str:
    """A frame instant as the Damascus day it starts (``2018-03-11``), or ``open``."""
    from geo.edit.frame import day_of

    day = day_of(value)
    return day.isoformat() if day else "open"


def version_label(frame: gpd.GeoDataFrame, version_id: str) -> str:
    """``2017-05-06 to 2018-03-05`` for a version (its validity, as days)."""
    row = frame[frame["version_id"] == version_id]
    if row.empty:
        return version_id
    first = row.iloc[0]
    end = day_text(first["valid_to"])
    return (
        f"{day_text(first['valid_from'])} to {end}"
        if end != "open"
        else (f"from {day_text(first['valid_from'])} (still valid)")
    )


def zone_label(frame: gpd.GeoDataFrame, zone_id: str) -> str:
    """A zone's English name and id, for a list (shown as plain text)."""
    if zone_id == NEW_ZONE:
        return "+ New zone"
    rows = frame[frame["zone_id"] == zone_id]
    name = str(rows.iloc[0]["name"]) if not rows.empty else zone_id
    return f"{name} ({zone_id})"


def geometry_json(geometry: BaseGeometry | None) -> dict | None:
    """A shapely outline as a GeoJSON dict of plain lists (None for none or empty)."""
    if geometry is None or geometry.is_empty:
        return None
    return json.loads(json.dumps(mapping(geometry)))


def ensure(loaded: Loaded, zone_id: str, version_id: str | None) -> None:
    """Load ``(zone_id, version_id)`` into the editor unless it is what is being edited.

    Choosing another zone or version starts afresh: the unsaved edit of the previous one is
    dropped (the page warns before that happens).
    """
    target = (zone_id, version_id)
    if st.session_state.get(_TARGET) == target and _HASH in st.session_state:
        return
    st.session_state[_TARGET] = target
    st.session_state[_HASH] = loaded.sha256
    st.session_state[_CONFLICT] = None
    if zone_id == NEW_ZONE:
        st.session_state[_MODE] = "new-zone"
        outline = None
    else:
        st.session_state[_MODE] = "edit"
        row = loaded.frame[loaded.frame["version_id"] == version_id]
        outline = geometry_json(row.iloc[0].geometry) if not row.empty else None
    _reset_outline(outline, outline)
    _clear_widgets()


def _reset_outline(geometry: dict | None, base: dict | None) -> None:
    st.session_state[_GEOMETRY] = geometry
    st.session_state[_BASE] = base
    st.session_state[_UNDO] = []
    st.session_state[_REVISION] = st.session_state.get(_REVISION, 0) + 1


def _clear_widgets() -> None:
    for key in [k for k in st.session_state if str(k).startswith("ed.w.") and k != "ed.w.zone"]:
        if key not in ("ed.w.version", "ed.w.editor", "ed.w.token"):
            del st.session_state[key]


def target() -> tuple[str, str | None]:
    """What is being edited: ``(zone_id, version_id)`` or ``(NEW_ZONE, None)``."""
    return st.session_state[_TARGET]


def mode() -> str:
    """``edit``, ``new-version`` or ``new-zone``."""
    return st.session_state[_MODE]


def set_mode(value: str) -> None:
    """Switch between editing the version and making a new version from it (a callback)."""
    if value not in MODES:
        raise ValueError(f"unknown mode {value!r}")
    st.session_state[_MODE] = value


def loaded_hash() -> str:
    """The sha256 of the zones file the edit is based on."""
    return st.session_state[_HASH]


def geometry() -> dict | None:
    """The outline as edited (GeoJSON), None when there is none."""
    return st.session_state[_GEOMETRY]


def base() -> dict | None:
    """The outline the edit started from (GeoJSON), None for a new zone."""
    return st.session_state[_BASE]


def revision() -> int:
    """Bumped whenever the map must load :func:`geometry` afresh."""
    return st.session_state[_REVISION]


def last_step() -> str:
    """The id of the last map step applied ('' before the first)."""
    return st.session_state.get(_STEP, "")


def dirty() -> bool:
    """True when the outline differs from the one loaded."""
    return geometry() != base() or bool(st.session_state.get(_UNDO))


# --- edit steps and undo ---------------------------------------------------------------------


def apply_step(step: EditStep | None) -> bool:
    """Take one map step into account; True when it changed the outline.

    Streamlit returns the map's last value on every rerun: a step already applied, or made
    on an outline that has since been replaced (an older revision), is ignored.
    """
    if step is None or step.id == st.session_state.get(_STEP):
        return False
    st.session_state[_STEP] = step.id
    if step.revision != revision():
        return False
    return _push(step.geometry)


def set_geometry(new: dict | None) -> bool:
    """Replace the outline from Python (a part deleted): one undoable step; the map reloads."""
    if _push(new):
        st.session_state[_REVISION] = revision() + 1
        return True
    return False


def _push(new: dict | None) -> bool:
    current = geometry()
    if new == current:
        return False
    undo = st.session_state[_UNDO]
    undo.append(current)
    del undo[:-UNDO_LIMIT]
    st.session_state[_GEOMETRY] = new
    return True


def can_undo() -> bool:
    """True when there is an edit step to undo."""
    return bool(st.session_state.get(_UNDO))


def undo() -> None:
    """Go back one edit step (a callback); the map reloads the previous outline."""
    stack = st.session_state.get(_UNDO)
    if not stack:
        return
    st.session_state[_GEOMETRY] = stack.pop()
    st.session_state[_REVISION] = revision() + 1


def discard() -> None:
    """Drop the unsaved edit: back to the outline as loaded (a callback)."""
    _reset_outline(base(), base())


# --- the map's arguments ---------------------------------------------------------------------


def _rounded(geometry: BaseGeometry, digits: int = _CONTEXT_DIGITS) -> dict | None:
    import shapely

    if geometry is None or geometry.is_empty:
        return None
    return geometry_json(shapely.set_precision(geometry, 10.0**-digits))


def context_layers(loaded: Loaded, zone_id: str, version_id: str | None) -> dict:
    """Faint context for the map (see :func:`_context_layers`), made once per file content."""
    return _context_cached(loaded.sha256, zone_id, version_id, loaded.frame)


@st.cache_resource(max_entries=64, show_spinner=False)
def _context_cached(
    sha256: str, zone_id: str, version_id: str | None, _frame: gpd.GeoDataFrame
) -> dict:
    return _context_layers(_frame, zone_id, version_id)


def _context_layers(frame: gpd.GeoDataFrame, zone_id: str, version_id: str | None) -> dict:
    """Faint context for the map: the zone's other versions and the zones around it.

    Other zones are those in force at some time of the edited version and near it; zones that
    enclose the whole neighbourhood (the national extent) are left out, as they would only
    tint everything. Labels are plain text (the map shows them with ``textContent``).
    """
    import shapely

    features = []
    own = frame[frame["zone_id"] == zone_id]
    edited = own[own["version_id"] == version_id]
    for row in own.itertuples():
        if row.version_id == version_id:
            continue
        label = f"{row.name}: {version_label(frame, row.version_id)}"
        features.append(_feature(row.geometry, "version", label))
    if edited.empty:
        return {"type": "FeatureCollection", "features": features}
    start, end = edited.iloc[0]["valid_from"], edited.iloc[0]["valid_to"]
    west, south, east, north = edited.total_bounds
    pad = max(east - west, north - south, 0.05)
    near = shapely.box(west - pad, south - pad, east + pad, north + pad)
    others = frame[frame["zone_id"] != zone_id]
    for row in others.itertuples():
        still = row.valid_to is None or row.valid_to != row.valid_to  # open-ended (NaT)
        began = end is None or end != end or row.valid_from < end
        overlaps = began and (still or row.valid_to > start)
        if not overlaps or not row.geometry.intersects(near) or row.geometry.contains(near):
            continue
        label = f"{row.name}: {version_label(frame, row.version_id)}"
        features.append(_feature(row.geometry, "zone", label))
    return {"type": "FeatureCollection", "features": features}


def _feature(geometry: BaseGeometry, kind: str, label: str) -> dict:
    return {
        "type": "Feature",
        "properties": {"kind": kind, "label": label},
        "geometry": _rounded(geometry),
    }


@st.cache_resource(max_entries=32, show_spinner=False)
def _countries(box: tuple[float, float, float, float]) -> dict | None:
    import shapely

    from geo.assets import AssetError
    from geo.context import countries

    try:
        frame = countries(box, tolerance=0.005)
    except (AssetError, DezmapError):
        return None
    clip = shapely.box(*box)
    features = []
    for geometry in frame.geometry:
        # land as a fill without outline, and the borders as lines, so that the edges of the
        # clipping box are never drawn as if they were borders
        land = _rounded(geometry.intersection(clip), 3)
        if land is not None and land["type"] in ("Polygon", "MultiPolygon"):
            features.append({"type": "Feature", "properties": {"part": "land"}, "geometry": land})
        cut = shapely.get_parts(geometry.boundary.intersection(clip))
        lines = [g for g in cut if g.geom_type == "LineString"]
        border = _rounded(shapely.MultiLineString(lines), 3) if lines else None
        if border is not None:
            features.append(
                {"type": "Feature", "properties": {"part": "border"}, "geometry": border}
            )
    return {"type": "FeatureCollection", "features": features}


def countries_near(bounds: tuple[float, float, float, float] | None) -> dict | None:
    """Country outlines (Natural Earth) around ``bounds``, clipped, for a map without tiles.

    None when there is nothing to place them around or the vendored file is missing.
    """
    if bounds is None:
        return None
    west, south, east, north = (round(v) for v in bounds)
    return _countries((west - 2.0, south - 2.0, east + 2.0, north + 2.0))


def outline_bounds(*outlines: dict | None) -> tuple[float, float, float, float] | None:
    """The bounds of the given GeoJSON outlines together (None when there are none).

    Read from the coordinates alone, so that an invalid outline (a crossing being fixed) or a
    malformed one from the browser still has bounds.
    """
    xs: list[float] = []
    ys: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, list | tuple):
            if len(value) >= 2 and all(isinstance(v, int | float) for v in value[:2]):
                xs.append(float(value[0]))
                ys.append(float(value[1]))
            else:
                for item in value:
                    walk(item)

    for outline in outlines:
        if isinstance(outline, dict):
            walk(outline.get("coordinates"))
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


# --- saving ----------------------------------------------------------------------------------


def access() -> EditAccess:
    """Who may edit on this server (from ``dezmap serve``'s environment)."""
    return edit_access()


def check_allowed(token: str) -> None:
    """Refuse a save this server does not allow.

    Raises
    ------
    EditRefused
        When editing is off, or when the token is required and ``token`` is not it.
    """
    rights = access()
    if not rights.enabled:
        raise EditRefused(
            "Editing is off on this server: nothing was saved. Start it with "
            "`dezmap serve --edit` to edit zones."
        )
    if rights.token_required and not token_matches(token):
        raise EditRefused(
            "The edit token is missing or wrong: nothing was saved. This server listens "
            "beyond this machine, so saving needs the token its curator set in "
            "DEZMAP_EDIT_TOKEN."
        )


def conflict() -> str | None:
    """The message of a save refused because the file changed, until it is reloaded."""
    return st.session_state.get(_CONFLICT)


def note_conflict(message: str) -> None:
    """Remember that the file changed on disk (the edit stays as it is)."""
    st.session_state[_CONFLICT] = message


def reload_keeping_edit(loaded: Loaded) -> str | None:
    """Base the edit on the file as it is now, keeping the edited outline and fields.

    Returns a message when the edited version is gone from the file (then the edit is kept
    as a new version or zone would not be right: the page asks to choose again).
    """
    zone_id, version_id = target()
    st.session_state[_HASH] = loaded.sha256
    st.session_state[_CONFLICT] = None
    if zone_id == NEW_ZONE:
        return None
    row = loaded.frame[loaded.frame["version_id"] == version_id]
    if row.empty:
        return (
            f"The version {version_id} is no longer in the file: choose a version again "
            "(your outline stays on the map until you do)."
        )
    st.session_state[_BASE] = geometry_json(row.iloc[0].geometry)
    return None


def after_save(loaded: Loaded, zone_id: str, version_id: str | None, notice: str) -> None:
    """Start again from the file just saved, on the version that was saved."""
    st.session_state[_TARGET] = None
    st.session_state["ed.w.zone"] = zone_id
    if version_id is not None:
        st.session_state["ed.w.version"] = version_id
    ensure(loaded, zone_id, version_id)
    st.session_state[_NOTICE] = notice


def pop_notice() -> str | None:
    """What the last save did, once."""
    return st.session_state.pop(_NOTICE, None)


def today() -> dt.date:
    """Today in Damascus (the default first day of a new version)."""
    from geo.schema import DAMASCUS

    return dt.datetime.now(DAMASCUS).date()


# --- the edit as a whole: candidate, validation, preview ---------------------------------------


@dataclass(frozen=True)
class Fields:
    """The page's inputs besides the outline: zone attributes and a new version's fields.

    ``zone_id`` is the new zone's id (new-zone mode only); ``valid_from``/``valid_to``,
    ``accuracy``, ``source`` and ``notes`` describe the new version (new-version and new-zone
    modes); ``name``, ``name_ar`` and ``group`` are the zone's attributes in every mode.
    """

    name: str
    name_ar: str
    group: str
    zone_id: str = ""
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    accuracy: str = "approximate"
    source: str = ""
    notes: str = ""


@dataclass
class Preview:
    """What saving now would write, what is wrong with it, and what it changes.

    ``candidate`` is the whole new zones frame (None when the edit cannot be applied);
    ``problems`` the errors and warnings, located; ``summary`` the change preview
    (:class:`geo.edit.versions.ChangeSummary`) or None; ``version_id`` the version the edit
    produces (for a new version or zone, its new id).
    """

    candidate: gpd.GeoDataFrame | None = None
    problems: list[Problem] = field(default_factory=list)
    summary: Any = None
    version_id: str | None = None
    zone_id: str | None = None

    @property
    def errors(self) -> list[Problem]:
        """The problems that stop a save."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The problems that do not stop a save."""
        return [p for p in self.problems if p.severity == "warning"]


def preview(loaded: Loaded, fields: Fields, outline: dict | None, incidents: Any) -> Preview:
    """Apply the edit to the loaded zones, validate the result and summarise the change.

    The checks are :mod:`geo.validate`'s in memory, the very rules of a zones file and of the
    violations that name the zone, with problems placed by zone, version, part, ring and
    vertex. (The save checks the whole folder once more, with the same rules.) Warnings the
    zone already had before the edit are left out.

    Parameters
    ----------
    loaded
        The zones file as it is now.
    fields
        The page's inputs (attributes, a new version's fields).
    outline
        The edited outline (GeoJSON) or None.
    incidents
        What :func:`geo.edit.versions.change_summary` joins: the timeline, or an empty
        incidents frame when the data cannot be loaded.

    Returns
    -------
    Preview
        Never raises for a bad edit: dezmap's errors become problems.
    """
    from geo.errors import DataError
    from geo.validate import check_zone_frame

    out = Preview()
    outline = _oriented(outline)
    zone_id, version_id = target()
    out.zone_id = fields.zone_id.strip() if mode() == "new-zone" else zone_id
    # 1. the outline alone, placed by part, ring and vertex
    located = _check_outline(fields, outline, out.zone_id, version_id)
    out.problems.extend(located)
    if any(p.severity == "error" for p in located):
        return out
    # 2. the edit applied to the file's zones (the period rules of geo.edit)
    try:
        out.candidate, out.version_id = _apply(loaded.frame, fields, outline, zone_id, version_id)
    except DataError as exc:
        out.problems.extend(exc.problems or [_problem(exc.message)])
        return out
    except DezmapError as exc:
        out.problems.append(_problem(str(exc)))
        return out
    # 3. the zone's versions in memory, with the violations that name it: the rules between
    #    versions hold within a zone, and an edit of one zone cannot break another's records
    #    (the save checks the whole folder again)
    zone = out.zone_id or ""
    source = f"{loaded.path.name} (unsaved edit)"
    try:
        report = check_zone_frame(
            out.candidate[out.candidate["zone_id"] == zone],
            violations=_violations_of(loaded.path.parent, zone),
            source=source,
        )
    except DezmapError as exc:
        out.problems.append(_problem(str(exc)))
        return out
    known = _known_warnings(loaded, zone, source)
    seen = {(p.severity, p.code, p.message) for p in out.problems}
    out.problems.extend(
        p
        for p in report
        if (p.severity, p.code, p.message) not in seen
        and (p.severity == "error" or (p.code, p.message) not in known)
    )
    # 4. what changes: areas, added and removed parts, incidents and towns
    if not out.errors:
        from geo.edit.versions import change_summary

        try:
            out.summary = change_summary(loaded.frame, out.candidate, incidents)
        except DezmapError as exc:
            out.problems.append(_problem(f"the change preview failed: {exc}", "warning"))
    return out


@st.cache_resource(max_entries=4, show_spinner=False)
def _violations_cached(folder: str, fingerprint: tuple) -> gpd.GeoDataFrame | None:
    from geo.config import VIOLATIONS_FILE
    from geo.errors import DataError
    from geo.io import read_violations

    try:
        return read_violations(Path(folder) / VIOLATIONS_FILE)
    except DataError:
        return None


def _violations_of(folder: Path, zone_id: str) -> gpd.GeoDataFrame | None:
    """The folder's violations that name ``zone_id`` (None when the file cannot be read)."""
    from geo.config import VIOLATIONS_FILE

    path = folder / VIOLATIONS_FILE
    if not path.is_file():
        return None
    stat = path.stat()
    violations = _violations_cached(str(folder), (stat.st_mtime_ns, stat.st_size))
    if violations is None:
        return None
    return violations[violations["zone_id"] == zone_id]


@st.cache_resource(max_entries=16, show_spinner=False)
def _baseline(
    path: str, sha256: str, zone_id: str, source: str, _frame: gpd.GeoDataFrame
) -> frozenset:
    from geo.validate import check_zone_frame

    rows = _frame[_frame["zone_id"] == zone_id]
    if rows.empty:
        return frozenset()
    violations = _violations_of(Path(path).parent, zone_id)
    report = check_zone_frame(rows, violations=violations, source=source)
    return frozenset((p.code, p.message) for p in report.warnings)


def _known_warnings(loaded: Loaded, zone_id: str, source: str) -> frozenset:
    """The warnings the zone already had in the file as loaded (the edit did not cause them)."""
    return _baseline(str(loaded.path), loaded.sha256, zone_id, source, loaded.frame)


def _oriented(outline: dict | None) -> dict | None:
    """The outline wound as RFC 7946 wants, as the save will write it.

    A part drawn clockwise is not the editor's concern. An invalid or unreadable outline is
    returned as it is, so that the problems name the vertices as they were drawn.
    """
    import shapely
    from shapely.geometry import shape

    if not outline:
        return outline
    try:
        geometry = shape(outline)
        if not geometry.is_valid:
            return outline
        return geometry_json(shapely.orient_polygons(geometry, exterior_cw=False))
    except Exception:  # noqa: BLE001 - the checks say what is wrong with it
        return outline


def _problem(message: str, severity: str = "error") -> Problem:
    return Problem("edit", "", severity, message, "edit")  # type: ignore[arg-type]


def _version_fields(fields: Fields) -> dict[str, Any]:
    return {
        "valid_from": fields.valid_from.isoformat() if fields.valid_from else "",
        "valid_to": fields.valid_to.isoformat() if fields.valid_to else "",
        "accuracy": fields.accuracy,
        "boundary_source": fields.source,
        "notes": fields.notes,
    }


def _check_outline(
    fields: Fields, outline: dict | None, zone_id: str | None, version_id: str | None
) -> list[Problem]:
    """The outline checked as a zone feature in memory (problems name part, ring, vertex)."""
    from geo.validate import check_zone_features

    if outline is None:
        what = "draw the new zone's outline" if mode() == "new-zone" else "draw an outline"
        return [_problem(f"the version has no outline left: {what} (or undo)")]
    properties = {
        "zone_id": zone_id or "new-zone",
        "name": fields.name or "?",
        "name_ar": fields.name_ar,
        "group": fields.group or "group",
        "valid_from": (version_id or "@").split("@")[1] or "2000-01-01",
        "valid_to": "",
        "accuracy": "approximate",
        "boundary_source": "edit",
        "notes": "",
    }
    if mode() != "edit" and fields.valid_from:
        properties.update(_version_fields(fields))
        properties["boundary_source"] = fields.source or "edit"
    feature = {"type": "Feature", "properties": properties, "geometry": outline}
    report = check_zone_features([feature], source="outline")
    # only what concerns the outline: the fields are checked with the edit itself
    return [p for p in report if p.code not in _FIELD_CODES]


#: Problems of the placeholder properties used to check an outline alone.
_FIELD_CODES = frozenset(
    {
        "bad-slug",
        "bad-property",
        "bad-accuracy",
        "bad-date",
        "date-order",
        "empty-property",
        "missing-property",
        "unknown-property",
        "missing-arabic-name",
        "inconsistent-name",
        "duplicate-version",
        "duplicate-id",
        "overlapping-versions",
    }
)


def _apply(
    frame: gpd.GeoDataFrame,
    fields: Fields,
    outline: dict | None,
    zone_id: str,
    version_id: str | None,
) -> tuple[gpd.GeoDataFrame, str]:
    from geo.edit import versions

    edit_mode = mode()
    if edit_mode == "new-zone":
        out = versions.new_zone(
            frame,
            fields.zone_id.strip(),
            fields.name,
            fields.name_ar,
            fields.group.strip(),
            outline,
            fields.valid_from or "",
            valid_to=fields.valid_to,
            source=fields.source,
            accuracy=fields.accuracy,
            notes=fields.notes,
        )
        return out, out.iloc[-1]["version_id"]
    if version_id is None:
        raise DezmapError("choose a boundary version to edit")
    if edit_mode == "new-version":
        if fields.valid_from is None:
            raise DezmapError("give the new version's first day (valid from)")
        out = _close_source(frame, version_id, fields.valid_from)
        out = versions.add_version(
            out,
            zone_id,
            outline,
            valid_from=fields.valid_from,
            valid_to=fields.valid_to,
            source=fields.source,
            accuracy=fields.accuracy,
            notes=fields.notes,
        )
        new_id = f"{zone_id}@{fields.valid_from.isoformat()}"
    else:
        out = versions.replace_geometry(frame, version_id, outline)
        new_id = version_id
    out = _with_attributes(out, frame, zone_id, fields)
    return out, new_id


def _close_source(frame: gpd.GeoDataFrame, version_id: str, start: dt.date) -> gpd.GeoDataFrame:
    """End the version the new one is made from at the new one's first day, if it runs on."""
    from geo.edit import versions
    from geo.edit.frame import day_of

    row = frame[frame["version_id"] == version_id]
    if row.empty:
        return frame
    first, last = day_of(row.iloc[0]["valid_from"]), day_of(row.iloc[0]["valid_to"])
    if first is not None and first < start and (last is None or last > start):
        return versions.set_version_attributes(frame, version_id, valid_to=start)
    return frame


def _with_attributes(
    out: gpd.GeoDataFrame, frame: gpd.GeoDataFrame, zone_id: str, fields: Fields
) -> gpd.GeoDataFrame:
    from geo.edit import versions

    first = frame[frame["zone_id"] == zone_id].iloc[0]
    changes = {
        key: value
        for key, value in (
            ("name", fields.name),
            ("name_ar", fields.name_ar),
            ("group", fields.group),
        )
        if value != first[key]
    }
    if not changes:
        return out
    return versions.set_zone_attributes(out, zone_id, **changes)


def outline_changes(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """What the edited outline adds to the one it started from, and what it takes away.

    Both as GeoJSON (None when empty), for the map: the same areas as the change summary's
    (new minus old, old minus new), but computed at once from the two outlines, so that the
    map can show them before the rest of the check is done. (None, None) when either outline
    is not a valid polygon: the check says why.
    """
    import shapely
    from shapely.geometry import shape

    try:
        new = shape(after) if after else None
        old = shape(before) if before else None
    except Exception:  # noqa: BLE001 - any unreadable outline: the check reports it
        return None, None
    if (new is not None and not new.is_valid) or (old is not None and not old.is_valid):
        return None, None
    if new is None:
        return None, _rounded(old, 6) if old is not None else None
    if old is None:
        return _rounded(new, 6), None
    return _rounded(shapely.difference(new, old), 6), _rounded(shapely.difference(old, new), 6)


def parts(outline: dict | None) -> list[dict]:
    """The polygons of an outline, each as a GeoJSON Polygon."""
    if not outline:
        return []
    if outline.get("type") == "MultiPolygon":
        return [{"type": "Polygon", "coordinates": c} for c in outline["coordinates"]]
    return [outline]


def without_part(outline: dict | None, index: int) -> dict | None:
    """The outline with one polygon (counted from 0) removed; None when none is left."""
    kept = [p for i, p in enumerate(parts(outline)) if i != index]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return {"type": "MultiPolygon", "coordinates": [p["coordinates"] for p in kept]}


def save(loaded: Loaded, result: Preview, *, token: str, editor: str) -> Any:
    """Save the previewed edit (validated again by the save) with the hash the edit loaded.

    Returns
    -------
    geo.edit.SaveResult

    Raises
    ------
    EditRefused
        Editing is off, or the token is missing or wrong.
    geo.edit.ConflictError
        The file changed on disk since the edit was loaded.
    geo.errors.DataError
        The edit has errors (nothing is written).
    """
    from geo.edit import save_zones

    check_allowed(token)
    if result.candidate is None or result.errors:
        from geo.errors import ZoneFileError

        raise ZoneFileError(
            "not saved: the edit has errors; fix them first (the file is unchanged)",
            result.errors,
        )
    summary = {"mode": mode(), "version": result.version_id}
    return save_zones(
        loaded.path,
        result.candidate,
        expected=loaded_hash(),
        editor=editor.strip() or None,
        summary=summary,
    )


def restore(loaded: Loaded, backup: str, *, token: str, editor: str) -> Any:
    """Put a backup back in place of the zones file (a save: checked, logged, backed up).

    Raises
    ------
    EditRefused, geo.edit.ConflictError, geo.errors.DataError
        As :func:`save`.
    """
    from geo.edit import restore_backup

    check_allowed(token)
    return restore_backup(
        loaded.path.parent, backup, expected=loaded_hash(), editor=editor.strip() or None
    )


# --- the page's fields -------------------------------------------------------------------------

_W = "ed.w."


def _default(key: str, value: Any) -> None:
    if _W + key not in st.session_state:
        st.session_state[_W + key] = value


def init_fields(loaded: Loaded) -> None:
    """Give the page's fields their starting values for what is being edited (once)."""
    from geo.edit.frame import day_of

    zone_id, version_id = target()
    frame = loaded.frame
    if zone_id == NEW_ZONE:
        for key, value in (("zone_id", ""), ("name", ""), ("name_ar", ""), ("group", "")):
            _default(key, value)
        _default("valid_from", today())
        _default("open", True)
        _default("valid_to", today() + dt.timedelta(days=1))
        _default("accuracy", "approximate")
        _default("source", "")
        _default("notes", "")
        return
    rows = frame[frame["zone_id"] == zone_id]
    first = rows.iloc[0]
    _default("name", str(first["name"]))
    _default("name_ar", str(first["name_ar"]))
    _default("group", str(first["group"]))
    source = rows[rows["version_id"] == version_id]
    if source.empty:
        return
    row = source.iloc[0]
    start, end = day_of(row["valid_from"]), day_of(row["valid_to"])
    assert start is not None
    if end is None:
        begin = max(today(), start + dt.timedelta(days=1))
    else:
        begin = start + max((end - start) // 2, dt.timedelta(days=1))
    _default("valid_from", begin)
    _default("open", end is None)
    _default("valid_to", end or begin + dt.timedelta(days=1))
    _default("accuracy", str(row["accuracy"]))
    _default("source", str(row["boundary_source"]))
    _default("notes", "")


def fields() -> Fields:
    """The page's fields as they are now."""
    state = st.session_state

    def text(key: str) -> str:
        return str(state.get(_W + key) or "")

    open_ended = bool(state.get(_W + "open", True))
    return Fields(
        name=text("name"),
        name_ar=text("name_ar"),
        group=text("group"),
        zone_id=text("zone_id"),
        valid_from=state.get(_W + "valid_from"),
        valid_to=None if open_ended else state.get(_W + "valid_to"),
        accuracy=text("accuracy") or "approximate",
        source=text("source"),
        notes=text("notes"),
    )


# --- saving from the page (button callbacks: they run before the page script) ------------------

_OUTCOME = "ed.outcome"


@dataclass(frozen=True)
class Outcome:
    """What the last save or restore did, for the page to show.

    ``kind`` is ``saved``, ``refused`` (not allowed), ``conflict`` or ``invalid``; ``problems``
    lists what is wrong for ``invalid``.
    """

    kind: str
    message: str
    problems: tuple[Problem, ...] = ()


def outcome() -> Outcome | None:
    """The outcome of the last save or restore, once."""
    return st.session_state.pop(_OUTCOME, None)


def save_clicked(incidents_loader: Any) -> None:
    """The Save button's callback: save the edit as previewed now, and say what happened."""
    from geo.edit import ConflictError
    from geo.errors import DataError

    token, editor = str(st.session_state.get(_W + "token") or ""), _editor_name()
    try:
        loaded = load()
        result = preview(loaded, fields(), geometry(), incidents_loader())
        saved = save(loaded, result, token=token, editor=editor)
    except EditRefused as exc:
        st.session_state[_OUTCOME] = Outcome("refused", str(exc))
        return
    except ConflictError as exc:
        note_conflict(str(exc))
        st.session_state[_OUTCOME] = Outcome("conflict", str(exc))
        return
    except DataError as exc:
        st.session_state[_OUTCOME] = Outcome("invalid", exc.message, tuple(exc.problems))
        return
    except DezmapError as exc:
        st.session_state[_OUTCOME] = Outcome("invalid", str(exc))
        return
    zone_id = result.zone_id or target()[0]
    what = f"{result.version_id}" if result.version_id else zone_id
    message = (
        f"Saved {what}: {loaded.path.name} is now {saved.sha256_after[:12]} "
        f"(backup {saved.backup.name if saved.backup else 'none'}). The Map page shows it now."
        if saved.changed
        else "Nothing to save: the file already holds this outline."
    )
    after_save(load(), zone_id, result.version_id, message)
    st.session_state[_OUTCOME] = Outcome("saved", message)


def restore_clicked() -> None:
    """The Restore button's callback: put the chosen backup back."""
    from geo.edit import ConflictError
    from geo.errors import DataError

    backup = str(st.session_state.get(_W + "backup") or "")
    token, editor = str(st.session_state.get(_W + "token") or ""), _editor_name()
    try:
        loaded = load()
        saved = restore(loaded, backup, token=token, editor=editor)
    except EditRefused as exc:
        st.session_state[_OUTCOME] = Outcome("refused", str(exc))
        return
    except ConflictError as exc:
        note_conflict(str(exc))
        st.session_state[_OUTCOME] = Outcome("conflict", str(exc))
        return
    except DataError as exc:
        st.session_state[_OUTCOME] = Outcome("invalid", exc.message, tuple(exc.problems))
        return
    except DezmapError as exc:
        st.session_state[_OUTCOME] = Outcome("invalid", str(exc))
        return
    zone_id, version_id = target()
    fresh = load()
    if zone_id != NEW_ZONE and version_id not in set(fresh.frame["version_id"]):
        zone_id = str(fresh.frame.iloc[0]["zone_id"])
        version_id = version_choices(fresh.frame, zone_id)[-1]
    message = f"Restored {backup}: {fresh.path.name} is now {saved.sha256_after[:12]}."
    after_save(fresh, zone_id, version_id, message)
    st.session_state[_OUTCOME] = Outcome("saved", message)


def reload_clicked() -> None:
    """The Reload button's callback: base the edit on the file as it is now."""
    try:
        message = reload_keeping_edit(load())
    except DezmapError as exc:
        message = str(exc)
    if message:
        st.session_state[_OUTCOME] = Outcome("invalid", message)


def _editor_name() -> str:
    return str(st.session_state.get(_W + "editor") or "")


def warm_up() -> None:
    """Fill the editor's caches before the first visitor (run by :mod:`ui.serve`).

    A zones file that cannot be loaded is not an error here: the page shows its problems.
    """
    try:
        loaded = load()
    except DezmapError:
        return
    _violations_of(loaded.path.parent, "")
    countries_near(tuple(loaded.frame.total_bounds))  # type: ignore[arg-type]
