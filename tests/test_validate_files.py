"""Paths named as data files that are not data files (geo.validate.files), and the commands
that read them: each is refused by what it is, never as "file not found" and never by hanging."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket

import pytest

from geo.cli import main
from geo.errors import DataError
from geo.io import load_dataset, read_agreements, read_layer, read_violations, read_zones
from geo.validate import files as files_module
from geo.validate import validate_dataset, validate_paths
from geo.validate.files import UnreadableFile, check_path, read_data_file
from tests.conftest import write_zones, zone_feature


@contextlib.contextmanager
def no_hang(seconds: int = 10):
    """Fail the test instead of letting it block forever (a FIFO opened for reading)."""

    def expire(signum, frame):
        raise TimeoutError(f"still blocked after {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def fifo(path):
    os.mkfifo(path)
    return path


def loop(path):
    os.symlink(path.name, path)  # a link to itself
    return path


def dangling(path):
    os.symlink("nowhere.geojson", path)
    return path


def folder(path):
    path.mkdir()
    return path


@pytest.fixture
def unix_socket(tmp_path):
    path = tmp_path / "zones.geojson"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    yield path
    server.close()


KINDS = [
    (fifo, "fifo", "named pipe"),
    (loop, "symlink-loop", "leads back to itself"),
    (dangling, "dangling-symlink", "'nowhere.geojson', which does not exist"),
    (folder, "folder", "is a folder"),
]


@pytest.mark.parametrize(("make", "code", "words"), KINDS)
def test_what_the_path_is_is_said(tmp_path, make, code, words):
    path = make(tmp_path / "zones.geojson")
    with no_hang(), pytest.raises(UnreadableFile) as info:
        read_data_file(path)
    assert info.value.code == code and words in info.value.reason
    assert "not found" not in info.value.reason


def test_a_device_is_refused_without_reading_it():
    with no_hang(), pytest.raises(UnreadableFile, match="is a device") as info:
        read_data_file("/dev/zero")
    assert info.value.code == "device"


def test_a_socket_is_refused(unix_socket):
    with pytest.raises(UnreadableFile, match="is a socket"):
        check_path(unix_socket)


def test_a_missing_file_is_not_found(tmp_path):
    with pytest.raises(UnreadableFile, match="file not found") as info:
        read_data_file(tmp_path / "zones.geojson")
    assert info.value.code == "missing"


def test_an_unreadable_file_says_permission_denied(tmp_path, monkeypatch):
    path = write_zones(tmp_path / "zones.geojson", zone_feature())

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(files_module.os, "open", denied)
    with pytest.raises(UnreadableFile, match="permission denied; give yourself read") as info:
        read_data_file(path)
    assert info.value.code == "permission"


def test_a_file_larger_than_the_bound_is_refused_with_its_size(tmp_path):
    path = tmp_path / "violations.csv"
    path.write_bytes(b"x" * 3000)
    with pytest.raises(UnreadableFile, match=r"is 2\.9 kB, larger than the 2\.0 kB") as info:
        read_data_file(path, limit=2048)
    assert info.value.code == "too-large"
    assert read_data_file(path, limit=3000) == b"x" * 3000


def test_the_default_bound_is_documented():
    docs = (files_module.__file__.rsplit("/geo/", 1)[0]) + "/docs/validation.md"
    text = open(docs, encoding="utf-8").read()
    assert f"{files_module.MAX_DATA_BYTES // 2**20} MiB" in text
    assert f"{files_module.MAX_IMPORT_BYTES // 2**30} GiB" in text


def test_a_file_that_becomes_a_fifo_after_the_look_is_refused_on_the_open_file(
    tmp_path, monkeypatch
):
    path = write_zones(tmp_path / "zones.geojson", zone_feature())
    real_stat = os.stat
    swapped = fifo(tmp_path / "pipe")
    monkeypatch.setattr(files_module.os, "stat", lambda p: real_stat(path))
    with no_hang(), pytest.raises(UnreadableFile, match="named pipe"):
        read_data_file(swapped)


# --- the commands -----------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "code", "words"), KINDS)
def test_validate_names_what_the_file_is(tmp_path, capsys, make, code, words):
    path = make(tmp_path / "zones.geojson")
    with no_hang():
        status = main(["validate", str(path)])
    out = capsys.readouterr()
    assert status == 1, out
    assert f"{path}: error: " in out.out and words in out.out
    assert "no such file" not in out.err + out.out


def test_validate_a_missing_file_is_a_usage_error(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nothing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize(("make", "code", "words"), KINDS)
def test_validate_data_folder_names_what_each_file_is(data_copy, make, code, words):
    target = data_copy / "zones.geojson"
    target.unlink()
    make(target)
    with no_hang():
        report = validate_dataset(data_copy).report
    problems = [p for p in report.errors if p.path.endswith("zones.geojson")]
    assert len(problems) == 1 and words in problems[0].message
    assert "not found" not in problems[0].message


def test_validate_paths_refuses_a_fifo_among_csv_files(tmp_path):
    pipe = fifo(tmp_path / "violations.csv")
    with no_hang():
        report = validate_paths([pipe]).report
    assert [p.code for p in report.errors] == ["unreadable"]


@pytest.mark.parametrize("command", [["fmt"], ["fmt", "--check"]])
@pytest.mark.parametrize(("make", "code", "words"), KINDS)
def test_fmt_names_what_the_file_is(tmp_path, capsys, command, make, code, words):
    path = make(tmp_path / "zones.geojson")
    with no_hang():
        status = main([*command, str(path)])
    out = capsys.readouterr()
    assert status == 1, out
    assert words in out.out + out.err and "no such file" not in out.err


@pytest.mark.parametrize(
    "reader", [read_zones, read_agreements, read_violations, lambda p: read_layer(p)]
)
def test_loaders_refuse_a_fifo(tmp_path, reader):
    pipe = fifo(tmp_path / "data.file")
    with no_hang(), pytest.raises(DataError, match="named pipe"):
        reader(pipe)


def test_load_dataset_refuses_a_fifo_in_the_folder(data_copy):
    (data_copy / "violations.csv").unlink()
    fifo(data_copy / "violations.csv")
    with no_hang(), pytest.raises(DataError) as info:
        load_dataset(data_copy)
    assert any("named pipe" in p.message for p in info.value.problems)


def test_import_refuses_a_fifo(tmp_path, capsys):
    pipe = fifo(tmp_path / "ged.csv")
    with no_hang():
        status = main(["import", "ucdp", str(pipe), "--out", str(tmp_path / "ged.parquet")])
    assert status == 1
    assert "named pipe" in capsys.readouterr().err


# --- every refusal worded in full (kills the mutants of the wording and of the size in words) ------

PERMISSION = (
    "cannot be read: permission denied; give yourself read permission (chmod u+r) or copy the "
    "file somewhere readable"
)


@pytest.mark.parametrize(
    ("error", "code", "reason"),
    [
        (
            OSError(errno.ELOOP, "Too many levels of symbolic links"),
            "symlink-loop",
            "is a symbolic link that leads back to itself (a loop); fix the link to name a file",
        ),
        (PermissionError(errno.EACCES, "Permission denied"), "permission", PERMISSION),
        (PermissionError(errno.EPERM, "Operation not permitted"), "permission", PERMISSION),
        (
            OSError(errno.EIO, "Input/output error"),
            "unreadable",
            "cannot be read: Input/output error",
        ),
        (OSError("the disk went away"), "unreadable", "cannot be read: the disk went away"),
    ],
)
def test_each_error_of_the_look_at_a_path_is_worded(tmp_path, monkeypatch, error, code, reason):
    path = write_zones(tmp_path / "zones.geojson", zone_feature())

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(files_module.os, "stat", fail)
    with pytest.raises(UnreadableFile) as info:
        check_path(path)
    assert (info.value.code, info.value.reason) == (code, reason)
    assert info.value.path == str(path) and str(info.value) == f"{path}: {reason}"


def test_a_path_through_a_file_or_with_a_name_too_long_cannot_be_found(tmp_path):
    # real errors of the operating system, not imitated: ENOTDIR and ENAMETOOLONG
    file = write_zones(tmp_path / "zones.geojson", zone_feature())
    with pytest.raises(UnreadableFile) as info:
        read_data_file(file / "zones.geojson")
    assert (info.value.code, info.value.reason) == (
        "missing",
        "cannot be found: a part of the path is a file, not a folder",
    )
    with pytest.raises(UnreadableFile) as info:
        read_data_file(tmp_path / ("z" * 300 + ".geojson"))
    assert (info.value.code, info.value.reason) == (
        "missing",
        "cannot be found: the name is too long",
    )


@pytest.mark.parametrize(
    ("size", "limit", "words"),
    [
        (1024, 1023, "is 1.0 kB, larger than the 1023 bytes"),
        (3 * 1024**2 + 1024**2 // 2, 1024**2, "is 3.5 MB, larger than the 1.0 MB"),
        (5 * 1024**3 // 2, 1024**3, "is 2.5 GB, larger than the 1.0 GB"),
    ],
)
def test_sizes_are_said_in_the_largest_unit_that_fits(tmp_path, size, limit, words):
    path = tmp_path / "violations.csv"
    with open(path, "wb") as handle:
        handle.truncate(size)  # sparse: nothing is written or read
    with pytest.raises(UnreadableFile) as info:
        read_data_file(path, limit=limit)
    assert info.value.reason == (
        f"{words} dezmap reads from one data file; split it, or keep only the area and years needed"
    )
