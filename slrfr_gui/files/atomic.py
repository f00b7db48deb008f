"""Atomic file writes: a temporary file in the same folder, flushed, synced, renamed."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

#: A temporary file of an interrupted save older than this (seconds) is removed by the next save
#: into its folder; a younger one may belong to a save still running in another process.
STALE_AFTER = 600.0


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, write) -> Path:
    """Call ``write(fh)`` on a temporary file beside ``path``, then sync and rename it to ``path``.

    Readers see the old file or the new, never a part; the file gets the usual permissions (0666
    less the umask). Any exception from ``write`` (a cancellation too) removes the temporary file
    and leaves ``path`` as it was.

    Raises
    ------
    OSError
        The folder cannot be written or the disk is full; ``path`` is unchanged.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    remove_stale_temporaries(folder, path.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new, never a part.

    The file gets the usual permissions (0666 less the umask).

    Raises
    ------
    OSError
        The folder cannot be written or the disk is full; ``path`` is unchanged
        and no temporary file is left behind.
    """
    return atomic_write(path, lambda fh: fh.write(data))


def remove_stale_temporaries(folder, name: str | None = None, older_than: float = STALE_AFTER) -> list[Path]:
    """Remove the hidden ``.NAME.xxxxxxxx.tmp`` files that interrupted saves (a killed process, a
    power cut) left in ``folder``: only files of that exact form, owned by this user, and not
    modified for ``older_than`` seconds. ``name`` limits it to one target file's temporaries.

    Returns
    -------
    list of Path
        The files removed; any that cannot be removed are left alone, silently.
    """
    pattern = re.compile(r"\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp\Z")
    removed = []
    now = time.time()
    uid = os.getuid() if hasattr(os, "getuid") else None
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if not match or (name is not None and match["name"] != name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not entry.is_file(follow_symlinks=False) or now - info.st_mtime < older_than:
                continue
            if uid is not None and info.st_uid != uid:
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed
