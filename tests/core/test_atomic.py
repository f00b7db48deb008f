"""Issue 15, item 4: temporary files left by interrupted saves are cleaned up by the next save."""

import os
import time

from slrfr_gui.files.atomic import STALE_AFTER, atomic_write_bytes, remove_stale_temporaries


def _aged(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_save_removes_its_own_stale_temporaries_and_nothing_else(tmp_path):
    stale = tmp_path / ".model.npz.k3j9_x2a.tmp"  # what a killed save of model.npz leaves
    fresh = tmp_path / ".model.npz.abcdefgh.tmp"  # a save still running in another process
    other = tmp_path / ".other.npz.abcdefgh.tmp"  # another file's
    mine = tmp_path / "notes.tmp"  # not of the form
    for p in (stale, fresh, other, mine):
        p.write_bytes(b"x" * 100)
    for p in (stale, other, mine):
        _aged(p, STALE_AFTER + 60)
    atomic_write_bytes(tmp_path / "model.npz", b"new")
    assert not stale.exists()
    assert fresh.exists() and other.exists() and mine.exists()
    assert (tmp_path / "model.npz").read_bytes() == b"new"
    assert remove_stale_temporaries(tmp_path) == [other]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".model.npz.abcdefgh.tmp", "model.npz", "notes.tmp"]
