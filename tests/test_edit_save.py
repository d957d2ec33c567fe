"""geo.edit.save: validated, canonical, atomic, backed-up, conflict-checked and logged saves."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import shutil
import signal
import stat
import time
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Polygon

import geo.atomic as atomic_mod
from geo.edit import (
    ConflictError,
    file_hash,
    list_backups,
    restore_backup,
    save_zones,
    zones_text,
)
from geo.edit.save import BACKUP_DIR, KEEP_BACKUPS, LOG_FILE, read_log
from geo.errors import ZoneFileError
from geo.fmt import fmt_file, format_text
from geo.io import read_zones
from tests.conftest import DATA, TEST_DATA

EDIT_DATA = TEST_DATA / "edit" / "data"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the editing test data (concave, holed and two-part zones)."""
    target = tmp_path / "data"
    shutil.copytree(EDIT_DATA, target)
    return target


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _row(zones, version_id):
    return zones.index[zones["version_id"] == version_id][0]


def _moved_west_arm(zones, dx: float, version: str = "ghouta-u@2018-03-11"):
    """A version of the U zone with its west arm moved by dx degrees (a real vertex edit)."""
    out = zones.copy()
    i = _row(out, version)
    coords = list(out.at[i, "geometry"].exterior.coords)
    coords = [(x + dx, y) if x < 36.36 else (x, y) for x, y in coords]
    out.at[i, "geometry"] = Polygon(coords)
    return out


# --- content ---------------------------------------------------------------------------------


def test_unchanged_save_writes_nothing(folder):
    path = folder / "zones.geojson"
    before = path.read_bytes()
    result = save_zones(path, read_zones(path), expected=file_hash(path))
    assert not result.changed
    assert result.sha256_before == result.sha256_after == _sha(path)
    assert path.read_bytes() == before
    assert not (folder / BACKUP_DIR / LOG_FILE).exists()
    assert list_backups(folder) == []


def test_edit_is_saved_canonical_valid_and_backed_up(folder):
    path = folder / "zones.geojson"
    old = path.read_bytes()
    expected = file_hash(path)
    zones = _moved_west_arm(read_zones(path), -0.01)

    result = save_zones(path, zones, expected=expected, editor="Curator One")

    assert result.changed and result.sha256_before == expected
    assert result.sha256_after == _sha(path)
    assert result.zones == ("ghouta-u",)
    assert result.versions == ("ghouta-u@2018-03-11",)
    # canonical: dezmap fmt would change nothing
    assert not fmt_file(path, check=True).changed
    reread = read_zones(path)
    xs = shapely.get_coordinates(reread.geometry[_row(reread, "ghouta-u@2018-03-11")])[:, 0]
    assert xs.min() == pytest.approx(36.29)
    # the old version of the same zone is untouched
    assert reread.geometry[0].equals(read_zones(EDIT_DATA / "zones.geojson").geometry[0])
    [backup] = list_backups(folder)
    assert backup.path.read_bytes() == old
    assert backup.hash8 == expected[:8]
    assert backup.name.startswith("zones.") and backup.name.endswith(f".{expected[:8]}.geojson")


def test_save_is_byte_identical_to_dezmap_fmt(folder, tmp_path):
    # a hand-made, non-canonical file: clockwise rings, long decimals, keys out of order
    features = json.loads((folder / "zones.geojson").read_text())["features"]
    for f in features:
        f["properties"] = dict(reversed(list(f["properties"].items())))
        geom = shapely.geometry.shape(f["geometry"])
        geom = shapely.affinity.translate(geom, 1e-9, -1e-9)
        f["geometry"] = shapely.geometry.mapping(shapely.orient_polygons(geom, exterior_cw=True))
    raw = tmp_path / "raw" / "zones.geojson"
    raw.parent.mkdir()
    raw.write_text(json.dumps({"features": features, "type": "FeatureCollection"}))
    fmt_file(raw)

    path = folder / "zones.geojson"
    save_zones(path, features, expected=file_hash(path))
    assert path.read_bytes() == raw.read_bytes()
    assert format_text(path.read_text()) == path.read_text()


# --- refusals leave the file as it was -------------------------------------------------------


def test_conflict_when_file_changed_on_disk(folder):
    path = folder / "zones.geojson"
    loaded = file_hash(path)
    zones = _moved_west_arm(read_zones(path), -0.01)
    # another editor saves in between
    other = _moved_west_arm(read_zones(path), 0.005)
    save_zones(path, other, expected=loaded, editor="other tab")
    theirs = path.read_bytes()
    log_lines = len(read_log(folder))

    with pytest.raises(ConflictError, match="changed on disk since it was loaded") as err:
        save_zones(path, zones, expected=loaded)
    assert "Reload the file and apply the edit again" in str(err.value)
    assert err.value.expected == loaded and err.value.current == _sha(path)
    assert path.read_bytes() == theirs
    assert len(read_log(folder)) == log_lines
    assert len(list_backups(folder)) == 1  # only the other editor's save made one


def test_conflict_when_hand_edited_outside_dezmap(folder):
    path = folder / "zones.geojson"
    loaded = file_hash(path)
    path.write_text(path.read_text().replace("Two squares", "Two squares (git pull)"))
    changed = path.read_bytes()
    with pytest.raises(ConflictError):
        save_zones(path, read_zones(EDIT_DATA / "zones.geojson"), expected=loaded)
    assert path.read_bytes() == changed


def test_expected_none_means_no_file(folder):
    path = folder / "zones.geojson"
    with pytest.raises(ConflictError, match="not based on it"):
        save_zones(path, read_zones(path), expected=None)
    new = folder / "new" / "zones.geojson"
    new.parent.mkdir()
    result = save_zones(new, read_zones(path), expected=None)
    assert result.changed and result.backup is None and result.sha256_before is None
    assert new.read_bytes() == path.read_bytes()
    with pytest.raises(ConflictError, match="was removed"):
        save_zones(folder / "new" / "gone.geojson", read_zones(path), expected=file_hash(path))


def _bow_tie(zones):
    out = zones.copy()
    out.at[_row(out, "holed@2017-05-06"), "geometry"] = Polygon(
        [(36.60, 33.40), (36.80, 33.60), (36.80, 33.40), (36.60, 33.60)]
    )
    return out


def _overlapping(zones):
    out = zones.copy()
    out.at[_row(out, "ghouta-u@2017-05-06"), "valid_to"] = out["valid_to"][2]  # NaT: open
    return out


def _bad_accuracy(zones):
    out = zones.copy()
    out.loc[:, "accuracy"] = "surveyd"
    return out


def _violation_left_outside(zones):
    # the west arm moves east past the record that names the zone (v-20170802-west-arm)
    return _moved_west_arm(zones, 0.04, "ghouta-u@2017-05-06")


def _zone_dropped(zones):
    return zones[zones["zone_id"] != "multi"]


@pytest.mark.parametrize(
    ("edit", "code", "where"),
    [
        (_bow_tie, "invalid-geometry", "feature 2 (zone_id=holed)"),
        (_overlapping, "overlapping-versions", "feature 1 (zone_id=ghouta-u)"),
        (_bad_accuracy, "bad-accuracy", "(did you mean 'surveyed'?)"),
        (_violation_left_outside, "outside-zone", "violations.csv:row 3, column zone_id"),
        (_zone_dropped, "unknown-zone", "agreements.csv:row 2, column zone_ids"),
    ],
)
def test_bad_edit_is_refused_and_file_unchanged(folder, edit, code, where):
    path = folder / "zones.geojson"
    before = _sha(path)
    with pytest.raises(ZoneFileError, match="not saved") as err:
        save_zones(path, edit(read_zones(path)), expected=before)
    codes = {p.code for p in err.value.problems if p.severity == "error"}
    assert code in codes
    assert where in str(err.value)
    assert _sha(path) == before
    assert list_backups(folder) == [] and read_log(folder) == []
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp")) == []


def test_zones_outside_a_data_folder_skip_cross_checks(folder):
    # the same edit that strands a violation is fine for a zones file that is not zones.geojson
    other = folder / "zones-draft.geojson"
    shutil.copy(folder / "zones.geojson", other)
    result = save_zones(
        other, _violation_left_outside(read_zones(other)), expected=file_hash(other)
    )
    assert result.changed


# --- the file itself: links, modes, backups, the log -----------------------------------------


def test_symlinked_zones_file_stays_a_link(folder, tmp_path):
    real = tmp_path / "store" / "zones.geojson"
    real.parent.mkdir()
    shutil.move(folder / "zones.geojson", real)
    link = folder / "zones.geojson"
    link.symlink_to(real)
    save_zones(link, _moved_west_arm(read_zones(link), -0.01), expected=file_hash(link))
    assert link.is_symlink() and Path(os.readlink(link)) == real
    assert "36.29" in real.read_text()
    assert len(list_backups(folder)) == 1  # beside the link, in the data folder


def test_mode_of_zones_file_kept(folder):
    path = folder / "zones.geojson"
    path.chmod(0o640)
    save_zones(path, _moved_west_arm(read_zones(path), -0.01), expected=file_hash(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_backups_are_bounded_and_log_has_a_line_per_save(folder):
    path = folder / "zones.geojson"
    zones = read_zones(path)
    contents = []
    for n in range(KEEP_BACKUPS + 3):
        zones.loc[:, "notes"] = f"save {n}"
        contents.append(path.read_bytes())
        save_zones(
            path,
            zones,
            expected=file_hash(path),
            editor=f"editor {n}",
            summary={"step": n, "api_token": "s3cret", "nested": {"password": "hunter2"}},
        )
    backups = list_backups(folder)
    assert len(backups) == KEEP_BACKUPS
    # newest first, and exactly the contents replaced by the last KEEP_BACKUPS saves
    assert [b.path.read_bytes() for b in backups] == contents[::-1][:KEEP_BACKUPS]
    log = read_log(folder)
    assert len(log) == KEEP_BACKUPS + 3
    last = log[-1]
    assert last["editor"] == f"editor {KEEP_BACKUPS + 2}"
    assert last["sha256_after"] == _sha(path)
    assert last["sha256_before"] == hashlib.sha256(contents[-1]).hexdigest()
    assert last["zones"] == ["ghouta-u", "holed", "multi"]
    assert len(last["versions"]) == 4
    assert last["time"].endswith("Z")
    raw_log = (folder / BACKUP_DIR / LOG_FILE).read_text()
    assert "s3cret" not in raw_log and "hunter2" not in raw_log
    assert last["summary"] == {"step": KEEP_BACKUPS + 2, "nested": {}}


def test_restore_backup_is_a_logged_save(folder):
    path = folder / "zones.geojson"
    original = path.read_bytes()
    save_zones(path, _moved_west_arm(read_zones(path), -0.01), expected=file_hash(path))
    edited = path.read_bytes()
    [backup] = list_backups(folder)

    with pytest.raises(ConflictError):
        restore_backup(folder, backup, expected=hashlib.sha256(original).hexdigest())
    assert path.read_bytes() == edited

    result = restore_backup(folder, backup.name, expected=file_hash(path), editor="curator")
    assert path.read_bytes() == original
    assert result.versions == ("ghouta-u@2018-03-11",)
    entry = read_log(folder)[-1]
    assert entry["action"] == "restore" and entry["summary"] == {"restored": backup.name}
    # the edit that was undone is itself kept
    assert list_backups(folder)[0].path.read_bytes() == edited


def test_restore_refuses_unknown_and_invalid_backups(folder):
    path = folder / "zones.geojson"
    before = _sha(path)
    with pytest.raises(Exception, match="is not a backup"):
        restore_backup(folder, "zones.20170101T000000.000000Z.00000000.geojson", expected=before)
    bad = folder / BACKUP_DIR / "zones.20170101T000000.000000Z.0badf00d.geojson"
    bad.parent.mkdir()
    bad.write_text(path.read_text().replace('"approximate"', '"guessed"'))
    with pytest.raises(ZoneFileError, match="not saved"):
        restore_backup(folder, bad, expected=before)
    assert _sha(path) == before


def test_saving_the_bundled_zones_round_trips(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("imported", ".backups"))
    path = folder / "zones.geojson"
    result = save_zones(path, read_zones(path), expected=file_hash(path))
    assert not result.changed  # the bundled file is canonical and the frame loses nothing


def test_zones_text_is_canonical():
    text = zones_text(read_zones(EDIT_DATA / "zones.geojson"))
    assert text == (EDIT_DATA / "zones.geojson").read_text(encoding="utf-8")


# --- crash safety ----------------------------------------------------------------------------


def _big_zones(path: Path):
    """The test zones with densified rings (~120 kB canonical, four fsyncs per save), so that a write takes time."""
    zones = read_zones(path)
    zones["geometry"] = shapely.segmentize(zones.geometry.to_numpy(), 0.001)
    return zones


def _save_in_child(path: str, zones, expected: str, signal_fd: int, stop_at: float | None) -> None:
    """Save in a forked child; tell the parent (``signal_fd``) when a file write begins.

    With ``stop_at`` (a fraction), the child also stops in the middle of writing the zones
    file, after that fraction of its bytes, and says so ("p"): the parent's kill then lands
    while a temporary file is half-written, however fast this machine's disk is.
    """
    real_write = atomic_mod._write_all

    def announcing(fd, data):
        os.write(signal_fd, b"w")  # tell the parent the writing has begun
        # the new zones file, not the backup of the old one
        if stop_at is not None and hashlib.sha256(data).hexdigest() != expected:
            cut = int(len(data) * stop_at)
            real_write(fd, data[:cut])
            os.write(signal_fd, b"p")
            time.sleep(600)  # killed here
        real_write(fd, data)

    atomic_mod._write_all = announcing
    save_zones(path, zones, expected=expected)
    os._exit(0)


def _read_until(fd: int, wanted: bytes) -> None:
    while True:
        got = os.read(fd, 1)
        assert got, "the saving child ended before the moment the test waits for"
        if got == wanted:
            return


def test_save_killed_at_random_moments_leaves_old_or_new(folder):
    path = folder / "zones.geojson"
    big = _big_zones(path)
    save_zones(path, big, expected=file_hash(path))
    old = path.read_bytes()
    edited = _moved_west_arm(big, -0.01)
    # the new content, computed once in a scratch folder
    scratch = folder.parent / "scratch"
    scratch.mkdir()
    shutil.copytree(folder, scratch / "data", ignore=shutil.ignore_patterns(BACKUP_DIR))
    save_zones(scratch / "data" / "zones.geojson", edited, expected=hashlib.sha256(old).hexdigest())
    new = (scratch / "data" / "zones.geojson").read_bytes()
    assert len(old) > 100_000 and old != new
    started = time.perf_counter()
    save_zones(scratch / "data" / "zones.geojson", big, expected=hashlib.sha256(new).hexdigest())
    whole = time.perf_counter() - started

    ctx = multiprocessing.get_context("fork")
    rng = random.Random(20170506)
    outcomes = {"old": 0, "new": 0}
    killed_while_writing = 0
    seen: set[Path] = set()
    for attempt in range(50):
        path.write_bytes(old)
        read_fd, write_fd = os.pipe()
        expected = hashlib.sha256(old).hexdigest()
        # odd attempts stop the child part-way through writing the new zones file; even
        # attempts kill it after a random delay (before, during or after the save)
        stop_at = rng.uniform(0.0, 1.0) if attempt % 2 else None
        proc = ctx.Process(
            target=_save_in_child, args=(str(path), edited, expected, write_fd, stop_at)
        )
        proc.start()
        os.close(write_fd)
        if stop_at is not None:
            _read_until(read_fd, b"p")
        else:
            time.sleep(rng.uniform(0.0, whole * 1.3))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        os.close(read_fd)
        data = path.read_bytes()
        json.loads(data)  # always parses
        assert data in (old, new), f"attempt {attempt}: the file is neither old nor new"
        outcomes["old" if data == old else "new"] += 1
        # a temporary file left by this child: the kill landed while it was writing
        leftovers = {p for d in (folder, folder / BACKUP_DIR) for p in d.glob(".*.tmp")}
        if leftovers - seen:
            killed_while_writing += 1
        else:
            assert stop_at is None, f"attempt {attempt}: killed mid-write but no temporary file"
        seen |= leftovers
    assert killed_while_writing >= 25, "the kills did not land while a file was being written"
    # the log holds only whole lines
    for line in (folder / BACKUP_DIR / LOG_FILE).read_text().splitlines():
        json.loads(line)
    # a later save works and clears what the killed writers left
    path.write_bytes(old)
    save_zones(path, edited, expected=hashlib.sha256(old).hexdigest())
    assert path.read_bytes() == new
    assert list(folder.glob(".*.tmp")) == [] and list((folder / BACKUP_DIR).glob(".*.tmp")) == []
