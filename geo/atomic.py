"""Writing files so that a crash, a kill or a full disk never leaves one half-written.

Every writer in dezmap goes through :func:`atomic_write_bytes`:

- the data goes to a temporary file in the target's own folder, named
  ``.<name>.<random>.tmp``, which is flushed to disk (``fsync``);
- the temporary file then replaces the target in one ``rename``, and the folder is flushed too,
  so that the new name survives a power cut;
- the replaced file's permission bits (and, where allowed, its owner) are kept;
- when the target is a symbolic link, the file it points to is written and the link stays a
  link;
- while it writes, the writer holds an exclusive ``flock`` on its temporary file. A writer that
  was killed leaves its temporary file behind, unlocked; the next write to the same target
  removes such leftovers. A temporary file whose lock is held belongs to a live writer and is
  left alone.

On any error the temporary file is removed and the target is untouched.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import secrets
from pathlib import Path

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "fsync_dir",
    "open_locked_temp",
    "remove_stale_temps",
    "resolve_target",
    "temp_name_pattern",
]

_NEW_FILE_MODE = 0o666  # the umask applies, as for any new file


def resolve_target(path: str | Path) -> Path:
    """The file a write to ``path`` really changes: a symbolic link's target, else ``path``.

    Links are followed through any number of hops; a dangling link names the file it would
    create.
    """
    target = Path(path)
    if target.is_symlink():
        return Path(os.path.realpath(target))
    return target


def temp_name_pattern(name: str | None = None) -> re.Pattern[str]:
    """The names of the temporary files written for a target called ``name`` (None: any)."""
    target = re.escape(name) if name is not None else ".+"
    return re.compile(rf"^\.{target}\.[A-Za-z0-9_]+\.tmp$")


def fsync_dir(folder: str | Path) -> None:
    """Flush a folder's entries to disk, so that a rename in it survives a crash.

    File systems that cannot flush a folder (some network and FUSE ones) are skipped.
    """
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def remove_stale_temps(folder: str | Path, name: str | None = None) -> list[Path]:
    """Remove the temporary files left in ``folder`` by killed writers of the file ``name``.

    A temporary file is stale when nobody holds its lock: every live writer holds the lock of
    its own temporary file until it has renamed it. With ``name`` None, the leftovers of every
    file of the folder are removed (for folders that only dezmap writes, such as backups).

    Returns
    -------
    list of Path
        The files removed.
    """
    pattern = temp_name_pattern(name)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.match(entry.name):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # a live writer holds it
            continue
        try:
            # unlink only if the name still is the file we locked (it may have been renamed)
            if os.stat(entry.path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def open_locked_temp(folder: Path, name: str) -> tuple[int, Path]:
    """Create and lock a new temporary file ``.<name>.<random>.tmp`` in ``folder``.

    Returns its descriptor and path. For a writer that fills it piece by piece and then
    renames it over ``folder / name`` (as :func:`atomic_write_bytes` does in one go): while
    the lock is held, :func:`remove_stale_temps` leaves the file alone; once the writer has
    died, the next writer of the same name removes it.
    """
    for _ in range(100):
        tmp = folder / f".{name}.{secrets.token_hex(6)}.tmp"
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, _NEW_FILE_MODE
        )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # a cleaner may have taken and removed the file between its creation and our lock
            if os.stat(tmp, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                return fd, tmp
        except OSError:
            pass
        os.close(fd)
    raise OSError(errno.EEXIST, f"could not create a temporary file in {folder}")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write a file so that it is either wholly old or wholly new, never half-written.

    Parameters
    ----------
    path
        The file to write. Its folder must exist. A symbolic link is followed: the file it
        points to is replaced and the link is kept.
    data
        The new content.

    Raises
    ------
    OSError
        When the file cannot be written (no space, no permission); the target is then
        unchanged and no temporary file is left behind.
    """
    target = resolve_target(path)
    folder = target.parent
    remove_stale_temps(folder, target.name)
    fd, tmp = open_locked_temp(folder, target.name)
    try:
        try:
            st = os.stat(target)
        except FileNotFoundError:
            st = None
        if st is not None:
            os.fchmod(fd, st.st_mode & 0o7777)
            own = os.fstat(fd)
            if (own.st_uid, own.st_gid) != (st.st_uid, st.st_gid):
                try:
                    os.fchown(fd, st.st_uid, st.st_gid)
                except PermissionError:
                    pass  # only the owner's group or root may; the mode is what matters
        _write_all(fd, data)
        os.fsync(fd)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        os.close(fd)
        raise
    try:
        fsync_dir(folder)
    finally:
        os.close(fd)  # releases the lock only after the rename


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 text atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))
