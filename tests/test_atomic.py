"""geo.atomic: whole-or-nothing writes, kept modes and links, leftovers of killed writers."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import random
import signal
import stat
import time

import pytest

from geo.atomic import atomic_write_bytes, atomic_write_text, remove_stale_temps


def _temps(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_write_creates_and_replaces(tmp_path):
    target = tmp_path / "zones.geojson"
    atomic_write_text(target, "first\n")
    assert target.read_text() == "first\n"
    atomic_write_bytes(target, "second, longer — ü\n".encode())
    assert target.read_text(encoding="utf-8") == "second, longer — ü\n"
    assert _temps(tmp_path) == []


def test_new_file_mode_follows_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


@pytest.mark.parametrize("mode", [0o600, 0o644, 0o664, 0o444])
def test_mode_of_replaced_file_is_kept(tmp_path, mode):
    target = tmp_path / "zones.geojson"
    target.write_text("old")
    target.chmod(mode)
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_symlink_target_is_written_and_link_kept(tmp_path):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    real = real_dir / "zones.geojson"
    real.write_text("old")
    real.chmod(0o640)
    link_dir = tmp_path / "checkout"
    link_dir.mkdir()
    link = link_dir / "zones.geojson"
    link.symlink_to(real)
    hop = tmp_path / "hop.geojson"  # a link to the link
    hop.symlink_to(link)

    atomic_write_text(hop, "new")

    assert hop.is_symlink() and link.is_symlink()
    assert os.readlink(link) == str(real)
    assert real.read_text() == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert _temps(real_dir) == [] and _temps(link_dir) == [] and _temps(tmp_path) == []


def test_failed_rename_leaves_target_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "zones.geojson"
    target.write_text("old")

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_text(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zones.geojson"]


def test_file_and_folder_are_flushed(tmp_path, monkeypatch):
    flushed = []
    real_fsync = os.fsync

    def recording(fd):
        flushed.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording)
    atomic_write_text(tmp_path / "zones.geojson", "data")
    # the file first, then its folder (after the rename)
    assert flushed == [False, True]


def test_stale_temp_of_killed_writer_is_removed_on_next_write(tmp_path):
    target = tmp_path / "zones.geojson"
    target.write_text("old")
    stale = tmp_path / ".zones.geojson.deadbeef0001.tmp"
    stale.write_text("half a file")
    other = tmp_path / ".agreements.csv.deadbeef0002.tmp"  # another target's: not ours to judge
    other.write_text("x")
    atomic_write_text(target, "new")
    assert not stale.exists()
    assert other.exists()
    assert target.read_text() == "new"


def test_temp_locked_by_live_writer_is_kept(tmp_path):
    live = tmp_path / ".zones.geojson.feedface0003.tmp"
    live.write_text("being written")
    fd = os.open(live, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert remove_stale_temps(tmp_path, "zones.geojson") == []
        assert live.exists()
    finally:
        os.close(fd)
    assert remove_stale_temps(tmp_path, "zones.geojson") == [live]
    assert not live.exists()


def _write_forever(path: str, blobs: list[bytes]) -> None:
    i = 0
    while True:
        atomic_write_bytes(path, blobs[i % 2])
        i += 1


def test_kill_during_writes_never_leaves_a_partial_file(tmp_path):
    # two large blobs of different sizes, so that a torn write could not look like either
    old = b"A" * 3_000_000
    new = b"B" * 2_000_000 + b"\n"
    target = tmp_path / "big.bin"
    target.write_bytes(old)
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(8)
    caught_mid_write = 0
    for _ in range(15):
        proc = ctx.Process(target=_write_forever, args=(str(target), [new, old]))
        proc.start()
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        assert proc.exitcode == -signal.SIGKILL
        assert target.read_bytes() in (old, new)
        caught_mid_write += bool(_temps(tmp_path))
    assert caught_mid_write, "no kill landed during a write: the test proves nothing"
    atomic_write_bytes(target, old)  # the next write clears what the killed writers left
    assert _temps(tmp_path) == []
    assert target.read_bytes() == old
