"""Reading a data file that a user names, whatever the path turns out to be.

A path given as a data file may name something that is not a file: a folder, a named pipe
(FIFO) that would block a plain ``open`` forever, a device such as ``/dev/zero`` that never
ends, a socket, a symbolic link that points to itself or to nothing, a file that cannot be
read, or a file far larger than any data file. :func:`read_data_file` looks at what the path
is first (``os.stat``), opens only regular files, and that without blocking
(``O_NONBLOCK``), checks again on the open file (a path can change between the two looks),
and reads at most a set number of bytes. Every refusal is an :class:`UnreadableFile` that
says what the path is and what to do, so that no caller words it as "file not found".
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from geo.errors import DezmapError

#: The largest zones, agreements, violations or reference layer file read: 128 MiB, about 25
#: times the largest boundary file we know (OCHA's sub-districts at full detail, 5 MB).
MAX_DATA_BYTES = 128 * 1024 * 1024
#: The largest export :mod:`geo.importers` reads (it holds the file in memory): 1 GiB, about
#: twice UCDP's whole-world GED CSV. A larger export is refused: export Syria alone.
MAX_IMPORT_BYTES = 1024 * 1024 * 1024


class UnreadableFile(DezmapError):
    """A path named as a data file that cannot be read as one.

    Attributes
    ----------
    path
        The path as given.
    reason
        What is wrong and what to do, without the path: ``"is a folder; name a file"``.
    code
        A short stable name: ``missing``, ``folder``, ``fifo``, ``device``, ``socket``,
        ``symlink-loop``, ``dangling-symlink``, ``permission``, ``too-large`` or
        ``unreadable``.
    """

    def __init__(self, path: str | Path, reason: str, code: str) -> None:
        self.path = str(path)
        self.reason = reason
        self.code = code
        super().__init__(f"{path}: {reason}")


def _size(n: int) -> str:
    """A byte count in words: ``12.5 MB``."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _not_a_file(mode: int) -> tuple[str, str] | None:
    """What a path is when it is not a regular file, as (reason, code); None for a file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return (
            "is a folder, not a file; name a file in it (or use --data for a data folder)",
            "folder",
        )
    if stat.S_ISFIFO(mode):
        return (
            "is a named pipe (FIFO), not a file; dezmap reads data from regular files: save "
            "the data to a file and name that",
            "fifo",
        )
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file; name a regular data file", "device"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file; name a regular data file", "socket"
    return "is not a regular file; name a regular data file", "unreadable"


def check_path(path: str | Path) -> os.stat_result:
    """Check that ``path`` names a regular file that may be read, without opening it.

    Returns
    -------
    os.stat_result
        The file's status (symbolic links followed).

    Raises
    ------
    UnreadableFile
        Saying what the path is when it is not a readable regular file.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            target = os.readlink(path)
            raise UnreadableFile(
                path,
                f"is a symbolic link to {target!r}, which does not exist; fix or remove the link",
                "dangling-symlink",
            ) from None
        raise UnreadableFile(path, "file not found; check the name", "missing") from None
    except OSError as exc:
        raise _os_error(path, exc) from None
    problem = _not_a_file(info.st_mode)
    if problem is not None:
        raise UnreadableFile(path, *problem)
    return info


def _os_error(path: str | Path, exc: OSError) -> UnreadableFile:
    if exc.errno == errno.ELOOP:
        return UnreadableFile(
            path,
            "is a symbolic link that leads back to itself (a loop); fix the link to name a file",
            "symlink-loop",
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return UnreadableFile(
            path,
            "cannot be read: permission denied; give yourself read permission "
            "(chmod u+r) or copy the file somewhere readable",
            "permission",
        )
    if exc.errno == errno.ENOTDIR:
        return UnreadableFile(
            path, "cannot be found: a part of the path is a file, not a folder", "missing"
        )
    if exc.errno == errno.ENAMETOOLONG:
        return UnreadableFile(path, "cannot be found: the name is too long", "missing")
    return UnreadableFile(path, f"cannot be read: {exc.strerror or exc}", "unreadable")


def read_data_file(path: str | Path, *, limit: int = MAX_DATA_BYTES) -> bytes:
    """Read a data file's bytes, refusing what is not a regular file or is too large.

    Parameters
    ----------
    path
        The file as the user named it (symbolic links are followed).
    limit
        The largest size read, in bytes (:data:`MAX_DATA_BYTES` by default).

    Returns
    -------
    bytes
        The whole file.

    Raises
    ------
    UnreadableFile
        When the path is missing, a folder, a FIFO, a device, a socket, a symbolic link loop
        or a dangling link, unreadable, or larger than ``limit``; nothing blocks or reads
        without end.
    """
    info = check_path(path)
    _check_size(path, info.st_size, limit)
    try:
        # O_NONBLOCK: if the path became a FIFO since it was looked at, open returns at once
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _os_error(path, exc) from None
    try:
        opened = os.fstat(fd)
        problem = _not_a_file(opened.st_mode)
        if problem is not None:
            raise UnreadableFile(path, *problem)
        _check_size(path, opened.st_size, limit)
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            data = handle.read(limit + 1)
    except OSError as exc:
        raise _os_error(path, exc) from None
    finally:
        if fd >= 0:
            os.close(fd)
    _check_size(path, len(data), limit)  # a file that grew while it was read
    return data


def _check_size(path: str | Path, size: int, limit: int) -> None:
    if size > limit:
        raise UnreadableFile(
            path,
            f"is {_size(size)}, larger than the {_size(limit)} dezmap reads from one data file; "
            "split it, or keep only the area and years needed",
            "too-large",
        )
