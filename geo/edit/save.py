"""Saving a zones file: validated, canonical, atomic, backed up, conflict-checked and logged.

Every route that changes ``zones.geojson`` (the editor page, ``dezmap zones add-version`` and
``import``, a restore) goes through :func:`save_zones`:

1. The zones are written out as the canonical text of ``dezmap fmt`` (:func:`zones_text`), so
   a saved file is byte-identical to what ``dezmap fmt`` makes of it and a diff shows only
   the change.
2. That text is validated with the validator's own checks (:func:`check_candidate`): every
   zone rule and, when the file is a data folder's ``zones.geojson``, the references of the
   folder's agreements and violations to the zones (unknown zones, violations outside the
   zone they name). On any error nothing is written and a :class:`~geo.errors.ZoneFileError`
   carries the located problems.
3. The file on disk must still be the one the edit started from: its sha256 must equal
   ``expected``; otherwise a :class:`ConflictError` is raised and nothing is written.
4. The previous content is kept in ``<data>/.backups/zones.<UTC time>.<hash8>.geojson``
   (the last :data:`KEEP_BACKUPS`), the new content replaces the file atomically
   (:mod:`geo.atomic`), and one JSON line is appended to ``<data>/.backups/edits.log``.

Saves in dezmap processes are serialised by a lock file in the backups folder, so that two
editors can never both pass the conflict check for the same file content.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.atomic import atomic_write_bytes, fsync_dir, remove_stale_temps
from geo.config import AGREEMENTS_FILE, VIOLATIONS_FILE, ZONES_FILE
from geo.edit.frame import ZonesInput, to_features
from geo.errors import ConflictError, DezmapError, Problem, Report, UsageError, ZoneFileError

__all__ = [
    "BACKUP_DIR",
    "KEEP_BACKUPS",
    "LOG_FILE",
    "Backup",
    "ConflictError",
    "SaveResult",
    "check_candidate",
    "default_editor",
    "file_hash",
    "list_backups",
    "read_log",
    "restore_backup",
    "save_zones",
    "zones_text",
]

#: The folder, inside the data folder, that holds backups and the edit log.
BACKUP_DIR = ".backups"
#: How many backups of each file are kept; older ones are removed after a save.
KEEP_BACKUPS = 20
LOG_FILE = "edits.log"
_LOCK_FILE = ".save.lock"
_LOCK_TIMEOUT_S = 30.0
#: Problems of the agreements and violations files that an edit of the zones can cause.
CROSS_FILE_CODES = frozenset({"unknown-zone", "outside-zone", "zone-not-in-force"})
_BACKUP_RE = re.compile(
    r"^(?P<stem>.+)\.(?P<taken>\d{8}T\d{6}\.\d{6}Z)\.(?P<hash>[0-9a-f]{8})(?P<suffix>\.[^.]+)$"
)
_SECRET_KEY_RE = re.compile(r"token|password|passwd|secret|auth|credential", re.IGNORECASE)


@dataclass(frozen=True)
class SaveResult:
    """What a save did.

    Attributes
    ----------
    path
        The file saved, as given.
    changed
        False when the new content equalled the file's: then nothing was written or logged.
    sha256_before, sha256_after
        The file's hash before (None when there was no file) and after the save.
    backup
        The backup of the previous content (None when nothing was replaced).
    zones, versions
        The zone ids and version ids (``zone@valid_from``) added, removed or changed.
    warnings
        The validator's warnings about the saved content.
    """

    path: Path
    changed: bool
    sha256_before: str | None
    sha256_after: str
    backup: Path | None
    zones: tuple[str, ...]
    versions: tuple[str, ...]
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Backup:
    """One kept copy of a previous content of a zones file.

    Attributes
    ----------
    path
        The backup file.
    target
        The name of the file it is a copy of (``zones.geojson``).
    taken
        When the save that replaced it happened (UTC).
    hash8
        The first 8 hex digits of its sha256.
    size
        Its size in bytes.
    """

    path: Path
    target: str
    taken: dt.datetime
    hash8: str
    size: int

    @property
    def name(self) -> str:
        """The backup's file name."""
        return self.path.name


# --- content ---------------------------------------------------------------------------------


def file_hash(path: str | Path) -> str | None:
    """The sha256 (hex) of a file's content, or None when there is no such file.

    This is the ``expected`` value an editor keeps when it loads the file.

    Raises
    ------
    UsageError
        If the path exists but cannot be read (a folder, no permission).
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    return hashlib.sha256(data).hexdigest()


def zones_text(zones: ZonesInput, *, path: str = "<zones>") -> str:
    """The canonical text of zones, exactly as ``dezmap fmt`` writes it.

    Parameters
    ----------
    zones
        A zones frame (as :func:`geo.io.read_zones` returns, possibly edited), a
        FeatureCollection dict or a list of feature dicts.
    path
        The name used in messages.

    Raises
    ------
    ZoneFileError
        If the zones cannot be written as JSON.
    UsageError
        If ``zones`` is none of the accepted inputs.
    """
    from geo.fmt import format_text

    doc = {"type": "FeatureCollection", "features": to_features(zones)}
    try:
        raw = json.dumps(doc, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ZoneFileError(f"{path}: the zones cannot be written as JSON: {exc}") from None
    return format_text(raw, path)


def check_candidate(text: str, path: str | Path, *, shown: str | None = None) -> Report:
    """Validate the text about to be saved as ``path``, as ``dezmap validate`` would.

    The zone rules apply to the text. When ``path`` is a data folder's ``zones.geojson``, the
    folder's agreements and violations are checked against these zones, and the problems that
    zones can cause there (:data:`CROSS_FILE_CODES`: an unknown zone, a violation outside the
    zone it names or dated when the zone had no version) are reported too; problems that
    belong to those files alone are not the edit's and are left out.

    Returns
    -------
    Report
        Every problem found.
    """
    from geo.validate import (
        check_agreements_bytes,
        check_violation_zones,
        check_violations_bytes,
        check_zones_text,
    )

    target = Path(path)
    shown = shown or str(path)
    report = Report()
    check = check_zones_text(text, shown, report, kind="zones")
    if target.name != ZONES_FILE:
        return report
    folder = target.parent
    zone_ids = {v.zone_id for v in check.versions} | check.broken_zone_ids
    cross = Report()
    agreements = folder / AGREEMENTS_FILE
    if agreements.is_file():
        check_agreements_bytes(
            agreements.read_bytes(), _beside(shown, AGREEMENTS_FILE), cross, zone_ids=zone_ids
        )
    violations = folder / VIOLATIONS_FILE
    if violations.is_file():
        vshown = _beside(shown, VIOLATIONS_FILE)
        records = check_violations_bytes(violations.read_bytes(), vshown, cross, zone_ids=zone_ids)
        check_violation_zones(records, check.versions, vshown, cross, skip=check.broken_zone_ids)
    report.extend(p for p in cross if p.code in CROSS_FILE_CODES)
    return report


def _beside(shown: str, name: str) -> str:
    head, sep, _ = shown.rpartition("/")
    return f"{head}{sep}{name}" if sep else name


# --- saving ----------------------------------------------------------------------------------


def default_editor() -> str | None:
    """Who is editing, for the log: ``$DEZMAP_EDITOR``, else the login name, else None."""
    name = os.environ.get("DEZMAP_EDITOR")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def save_zones(
    path: str | Path,
    features_or_frame: ZonesInput,
    *,
    expected: str | None,
    editor: str | None = None,
    summary: Mapping[str, Any] | None = None,
) -> SaveResult:
    """Save zones to a zones file: validated, canonical, atomic, backed up and logged.

    Parameters
    ----------
    path
        The zones file (usually ``<data>/zones.geojson``). Backups and the edit log go to
        ``.backups/`` beside it. A symbolic link is followed and kept.
    features_or_frame
        The whole new content: a zones frame, a FeatureCollection dict or a list of features.
    expected
        The sha256 of the file as the edit loaded it (:func:`file_hash`). The save is refused
        when the file now differs. None means the edit started from no file: the save is
        refused when a file exists.
    editor
        Who made the edit, for the log (a name; never a token or password).
    summary
        A short JSON-friendly description of the edit for the log (what the command did);
        keys that look like secrets are dropped.

    Returns
    -------
    SaveResult

    Raises
    ------
    ZoneFileError
        If the new content has errors (``.problems`` lists them); nothing is written.
    ConflictError
        If the file changed since it was loaded; nothing is written.
    UsageError
        If the file's folder does not exist.
    """
    shown = str(path)
    text = zones_text(features_or_frame, path=shown)
    return _save_text(Path(path), shown, text, expected=expected, editor=editor, summary=summary)


def _save_text(
    target: Path,
    shown: str,
    text: str,
    *,
    expected: str | None,
    editor: str | None,
    summary: Mapping[str, Any] | None,
    action: str = "save",
) -> SaveResult:
    folder = target.parent
    if not folder.is_dir():
        raise UsageError(f"{shown}: no such folder {str(folder)!r}; create the data folder first")
    report = check_candidate(text, target, shown=shown)
    if report.errors:
        n = len(report.errors)
        raise ZoneFileError(
            f"{shown}: not saved: the edited zones have {n} error{'s' * (n != 1)}; "
            "fix them and save again (the file on disk is unchanged)",
            report.problems,
        )
    new = text.encode("utf-8")
    after = hashlib.sha256(new).hexdigest()
    backups = folder / BACKUP_DIR
    with _locked(backups, shown):
        try:
            old: bytes | None = target.read_bytes()
        except FileNotFoundError:
            old = None
        except OSError as exc:
            raise UsageError(f"{shown}: cannot be read: {exc.strerror or exc}") from None
        before = hashlib.sha256(old).hexdigest() if old is not None else None
        if before != expected:
            raise ConflictError(shown, expected, before)
        if old == new:
            return SaveResult(target, False, before, after, None, (), (), tuple(report.warnings))
        zones, versions = _touched(old, text)
        remove_stale_temps(backups)  # backups have new names: clear every killed writer's file
        now = dt.datetime.now(dt.UTC)
        backup = None
        if old is not None:
            backup = backups / _backup_name(target, now, before or "")
            atomic_write_bytes(backup, old)
        atomic_write_bytes(target, new)
        _append_log(
            backups / LOG_FILE,
            {
                "time": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "action": action,
                "file": target.name,
                "zones": list(zones),
                "versions": list(versions),
                "sha256_before": before,
                "sha256_after": after,
                "backup": backup.name if backup else None,
                "editor": _clean_editor(editor),
                "summary": _without_secrets(dict(summary)) if summary else None,
            },
        )
        _prune(backups, target.name)
    return SaveResult(target, True, before, after, backup, zones, versions, tuple(report.warnings))


@contextmanager
def _locked(backups: Path, shown: str) -> Iterator[None]:
    """Hold the folder's save lock (one save at a time among dezmap processes)."""
    try:
        backups.mkdir(exist_ok=True)
        fd = os.open(backups / _LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise UsageError(
            f"{shown}: cannot use the backups folder {str(backups)!r}: {exc.strerror or exc}"
        ) from None
    try:
        deadline = time.monotonic() + _LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise DezmapError(
                        f"{shown}: another save has held the lock for {_LOCK_TIMEOUT_S:.0f} s; "
                        "nothing was saved: try again"
                    ) from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)


def _version_key(feature: Any) -> str | None:
    props = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(props, dict):
        return None
    return f"{props.get('zone_id')}@{props.get('valid_from')}"


def _features_by_version(text: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        return None
    return {key: f for f in features if (key := _version_key(f)) is not None}


def _touched(old: bytes | None, new_text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The zone ids and version ids that differ between the old content and the new."""
    new = _features_by_version(new_text) or {}
    before: dict[str, Any] = {}
    if old is not None:
        try:
            before = _features_by_version(old.decode("utf-8-sig")) or {}
        except UnicodeDecodeError:
            before = {}  # the old file was unreadable: everything is new
    differ = [k for k in before.keys() & new.keys() if before[k] != new[k]]
    if differ:
        # a version that differs only in formatting (the old file was not canonical) is not
        # an edit; only the differing versions are formatted, so this stays cheap
        canonical = _canonical_features([before[k] for k in differ])
        if canonical is not None:
            before.update(zip(differ, canonical, strict=True))
    versions = sorted(k for k in before.keys() | new.keys() if before.get(k) != new.get(k))
    zones = sorted({k.rsplit("@", 1)[0] for k in versions})
    return tuple(zones), tuple(versions)


def _canonical_features(features: list[Any]) -> list[Any] | None:
    from geo.errors import DataError
    from geo.fmt import format_text

    doc = {"type": "FeatureCollection", "features": features}
    try:
        return json.loads(format_text(json.dumps(doc, ensure_ascii=False)))["features"]
    except (DataError, ValueError, TypeError):
        return None


def _backup_name(target: Path, when: dt.datetime, sha: str) -> str:
    stamp = when.strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{target.stem}.{stamp}.{sha[:8]}{target.suffix}"


def _prune(backups: Path, target_name: str) -> None:
    """Remove the oldest backups of ``target_name`` beyond :data:`KEEP_BACKUPS`."""
    mine = [b for b in _scan(backups) if b.target == target_name]
    for old in mine[KEEP_BACKUPS:]:
        try:
            old.path.unlink()
        except FileNotFoundError:
            pass


def _clean_editor(editor: str | None) -> str | None:
    if editor is None:
        return None
    cleaned = " ".join(str(editor).split())[:100]
    return cleaned or None


def _without_secrets(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            str(k): _without_secrets(v)
            for k, v in value.items()
            if not _SECRET_KEY_RE.search(str(k))
        }
    if isinstance(value, list | tuple):
        return [_without_secrets(v) for v in value]
    return value


def _append_log(log: Path, entry: dict[str, Any]) -> None:
    line = json.dumps(entry, ensure_ascii=False, default=str, allow_nan=False) + "\n"
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(log.parent)


# --- backups and the log ---------------------------------------------------------------------


def _scan(backups: Path) -> list[Backup]:
    found = []
    try:
        entries = list(os.scandir(backups))
    except OSError:
        return []
    for entry in entries:
        m = _BACKUP_RE.match(entry.name)
        if not m or not entry.is_file(follow_symlinks=False):
            continue
        taken = dt.datetime.strptime(m["taken"], "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=dt.UTC)
        found.append(
            Backup(
                path=Path(entry.path),
                target=m["stem"] + m["suffix"],
                taken=taken,
                hash8=m["hash"],
                size=entry.stat(follow_symlinks=False).st_size,
            )
        )
    found.sort(key=lambda b: (b.taken, b.name), reverse=True)
    return found


def list_backups(data_dir: str | Path, *, target: str = ZONES_FILE) -> list[Backup]:
    """The kept backups of a data folder's zones file, newest first.

    Parameters
    ----------
    data_dir
        The data folder (the backups are in its ``.backups/``).
    target
        The file whose backups to list.
    """
    return [b for b in _scan(Path(data_dir) / BACKUP_DIR) if b.target == target]


def read_log(data_dir: str | Path) -> list[dict[str, Any]]:
    """The entries of a data folder's edit log, oldest first (unreadable lines skipped)."""
    log = Path(data_dir) / BACKUP_DIR / LOG_FILE
    try:
        lines = log.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            out.append(entry)
    return out


def restore_backup(
    data_dir: str | Path,
    backup: Backup | str | Path,
    *,
    expected: str | None,
    editor: str | None = None,
) -> SaveResult:
    """Put a backup back in place of the zones file; the restore is itself a save.

    The backup's content is validated, written canonically and atomically, the replaced content
    is backed up in turn and the restore is logged (``"action": "restore"``).

    Parameters
    ----------
    data_dir
        The data folder.
    backup
        A :class:`Backup` from :func:`list_backups`, or a backup's file name or path.
    expected
        The sha256 of the zones file as the caller last loaded it (see :func:`save_zones`).
    editor
        Who restores, for the log.

    Raises
    ------
    UsageError
        If the backup is not one of the folder's backups.
    ZoneFileError
        If the backup does not validate (against the folder's current agreements and
        violations); nothing is written.
    ConflictError
        If the zones file changed since it was loaded.
    """
    from geo.fmt import format_text

    folder = Path(data_dir)
    name = backup.name if isinstance(backup, Backup) else Path(backup).name
    known = {b.name: b for b in _scan(folder / BACKUP_DIR)}
    if name not in known:
        names = ", ".join(list(known)[:5]) or "none"
        raise UsageError(
            f"{name!r} is not a backup in {folder / BACKUP_DIR}; the newest backups are: {names}"
        )
    chosen = known[name]
    target = folder / chosen.target
    try:
        text = chosen.path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ZoneFileError(f"{chosen.path}: the backup cannot be read: {exc}") from None
    canonical = format_text(text, str(chosen.path))
    return _save_text(
        target,
        str(target),
        canonical,
        expected=expected,
        editor=editor,
        summary={"restored": chosen.name},
        action="restore",
    )
