"""Unsaved work is never lost silently: autosave for crash recovery, and a question before closing.

While the window has unsaved work (a gallery edited since it was opened or saved, a model trained and
not saved), a :class:`SessionKeeper` writes it to this session's folder under :func:`recovery_folder`
every ``interval`` and right after training. The files are data, never pickles: the gallery as a
``.slrfr-gallery`` file and each model as an ``.npz`` model file (both atomic writes), and last a
``session.json`` manifest naming them. The writing runs on a background thread from a snapshot, so the
window never waits for the disk.

Each session folder holds a :class:`~PySide6.QtCore.QLockFile`; a clean exit deletes the folder. A
folder whose lock is free (its process is gone) and which holds a manifest is left over from a crash:
on the next start, :meth:`SessionKeeper.offer_restore` offers to bring it back.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QTimer, Signal

from ..files.atomic import atomic_write_bytes
from ..errors import Cancelled, SLRFRError
from ..faces.frame import FRAME_SHAPE, format_resolution, parse_resolution
from ..gallery.gallery import Gallery
from ..gallery.image import GalleryImage
from ..method.modelfile import load_model, save_model
from . import dialogs

log = logging.getLogger(__name__)

MANIFEST = "session.json"
MANIFEST_FORMAT = "slrfr-recovery"
MANIFEST_VERSION = 1
GALLERY_FILE = "gallery.slrfr-gallery"


def recovery_folder() -> Path:
    """Where autosaved sessions are kept: ``recovery`` in the platform's application data folder."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(base or Path.home() / ".slrfr-gui") / "recovery"


@dataclass
class Session:
    """The work of a window that is worth keeping.

    ``models`` maps a resolution (rows, columns) to a fitted classifier, ``thumbnails`` the same
    resolution to an ndarray of shape (n_persons, 48, 40) in the model's ``classes_`` order.
    ``unsaved`` lists the resolutions whose model was trained and not saved.
    """

    gallery: Gallery | None = None
    gallery_dirty: bool = False
    models: dict = field(default_factory=dict)
    thumbnails: dict = field(default_factory=dict)
    unsaved: list = field(default_factory=list)
    saved_at: str = ""


def snapshot_gallery(gallery: Gallery | None) -> Gallery | None:
    """A copy that later edits of ``gallery`` (renames, removals) do not reach; the faces are shared."""
    if gallery is None:
        return None
    images = [GalleryImage(im.person, im.name, im.face, im.source) for im in gallery.images]
    return Gallery(images, gallery.persons, gallery.root)


class RecoveryStore:
    """The session folders under ``folder``: this session's own, and those left by sessions that crashed."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.own: Path | None = None
        self._lock: QLockFile | None = None

    def start(self) -> Path:
        """Create and lock this session's folder.

        Raises
        ------
        OSError
            The folder cannot be created.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        own = self.folder / f"session-{os.getpid()}-{time.time_ns()}"
        own.mkdir()
        lock = QLockFile(str(own / "lock"))
        lock.setStaleLockTime(0)  # ours while this process lives, however long
        if not lock.tryLock(0):
            raise OSError(f"{own}: cannot take the session lock ({lock.error()})")
        self.own, self._lock = own, lock
        return own

    def write(self, session: Session, should_stop=None) -> Path:
        """Write ``session`` into this session's folder; the manifest last, atomically.

        Runs on any thread (the session must be a snapshot nobody edits meanwhile).

        Raises
        ------
        SLRFRError
            A file cannot be written (the previous autosave stays whole).
        Cancelled
            ``should_stop`` returned True (polled between files and while a model is written).
        """
        if self.own is None:
            raise RuntimeError("RecoveryStore.start() was not called")
        files = {}
        if session.gallery is not None:
            session.gallery.save(self.own / GALLERY_FILE)
            files["gallery"] = GALLERY_FILE
        models = []
        for res, clf in session.models.items():
            if should_stop is not None and should_stop():
                raise Cancelled("the autosave was stopped")
            name = f"model_{format_resolution(res)}.npz"
            save_model(clf, self.own / name, thumbnails=session.thumbnails.get(res), should_stop=should_stop)
            models.append({"file": name, "resolution": format_resolution(res), "unsaved": res in session.unsaved})
        files["models"] = models
        manifest = {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "pid": os.getpid(),
                    "saved_at": datetime.now().isoformat(timespec="seconds"),
                    "gallery_dirty": bool(session.gallery_dirty), **files}
        try:
            atomic_write_bytes(self.own / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"))
        except OSError as exc:
            raise SLRFRError(f"{self.own / MANIFEST}: could not autosave ({exc.strerror or exc})") from None
        keep = {MANIFEST, GALLERY_FILE, "lock"} | {m["file"] for m in models}
        for path in self.own.iterdir():  # models of an earlier autosave that are gone now
            if path.name not in keep and path.suffix == ".npz":
                path.unlink(missing_ok=True)
        return self.own / MANIFEST

    def clear(self) -> None:
        """Remove this session's autosave (nothing is unsaved any more); the folder and its lock stay."""
        if self.own is None:
            return
        (self.own / MANIFEST).unlink(missing_ok=True)
        for path in self.own.iterdir():
            if path.name != "lock":
                path.unlink(missing_ok=True)

    def orphans(self) -> list[Path]:
        """Session folders with an autosave whose process is gone (newest first)."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.glob("session-*"):
            if path == self.own or not (path / MANIFEST).is_file():
                continue
            lock = QLockFile(str(path / "lock"))
            lock.setStaleLockTime(0)  # stale only when its process is gone
            if lock.tryLock(0):  # nobody holds it: that session ended without cleaning up
                lock.unlock()
                found.append(path)
        return sorted(found, key=lambda p: (p / MANIFEST).stat().st_mtime, reverse=True)

    @staticmethod
    def manifest(path: Path) -> dict:
        """The manifest of a session folder.

        Raises
        ------
        SLRFRError
            Missing or damaged.
        """
        try:
            meta = json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SLRFRError(f"{path}: the autosaved session cannot be read ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != MANIFEST_FORMAT:
            raise SLRFRError(f"{path}: not an autosaved session")
        if meta.get("version") != MANIFEST_VERSION:
            raise SLRFRError(f"{path}: autosaved by another version of slrfr-gui (format {meta.get('version')!r})")
        return meta

    def describe(self, path: Path) -> str:
        """One line on what a session folder holds, for the question to the user."""
        meta = self.manifest(path)
        parts = []
        if meta.get("gallery"):
            parts.append("an edited gallery" if meta.get("gallery_dirty") else "the gallery")
        unsaved = [m["resolution"] for m in meta.get("models", []) if m.get("unsaved")]
        if unsaved:
            parts.append(f"unsaved model(s) at {', '.join(unsaved)}")
        return f"{' and '.join(parts) or 'nothing'} (autosaved {meta.get('saved_at', '?')})"

    def read(self, path: Path) -> Session:
        """Load an autosaved session.

        Raises
        ------
        SLRFRError
            The manifest or a file it names is missing or damaged (GalleryError, ModelFileError, ...).
        """
        meta = self.manifest(path)
        session = Session(gallery_dirty=bool(meta.get("gallery_dirty")), saved_at=str(meta.get("saved_at", "")))
        if meta.get("gallery"):
            session.gallery = Gallery.open(Path(path) / GALLERY_FILE)
        for entry in meta.get("models", []):
            try:
                res = parse_resolution(entry["resolution"])
                name = str(entry["file"])
            except (KeyError, TypeError, ValueError) as exc:
                raise SLRFRError(f"{path}: the autosaved session is damaged ({exc})") from None
            clf, thumbs = load_model(Path(path) / Path(name).name)
            session.models[res] = clf
            if thumbs is not None:
                session.thumbnails[res] = thumbs
            if entry.get("unsaved"):
                session.unsaved.append(res)
        return session

    @staticmethod
    def discard(path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)

    def finish(self) -> None:
        """A clean exit: remove this session's folder."""
        if self.own is None:
            return
        if self._lock is not None:
            self._lock.unlock()
        shutil.rmtree(self.own, ignore_errors=True)
        self.own, self._lock = None, None


class SessionKeeper(QObject):
    """Autosaves a window's unsaved work (periodically and on request) and offers it back after a crash.

    The window provides ``has_unsaved_work()``, ``session()`` (a :class:`Session` snapshot) and
    ``restore_session(session)``. Signals: ``saved(str)`` with the manifest path, ``failed(str)``.
    """

    saved = Signal(str)
    failed = Signal(str)

    def __init__(self, window, store: RecoveryStore, interval_ms: int = 60_000):
        super().__init__(window)
        self.window = window
        self.store = store
        self.store.start()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        self._stop = threading.Event()  # set on a clean exit: a write in progress is abandoned
        self._pending: Future | None = None
        self._written = False
        self.timer = QTimer(self)
        self.timer.setInterval(int(interval_ms))
        self.timer.timeout.connect(self.autosave)
        self.timer.start()

    def autosave(self) -> Future | None:
        """Write a snapshot of the unsaved work in the background (or remove the autosave when there is none)."""
        if not self.window.has_unsaved_work():
            if self._written:
                self._submit(self.store.clear)
                self._written = False
            return None
        session = self.window.session()
        self._written = True
        return self._submit(lambda: self.store.write(session, self._stop.is_set))

    def _submit(self, fn) -> Future:
        def run():
            try:
                path = fn()
            except Cancelled:
                log.info("an autosave in progress was abandoned on a clean exit")
            except SLRFRError as exc:
                log.warning("autosave failed: %s", exc)
                self.failed.emit(str(exc))
            except Exception as exc:  # noqa: BLE001 - an autosave that fails must be told, not crash the app
                log.exception("autosave failed")
                self.failed.emit(f"{type(exc).__name__}: {exc}")
            else:
                if path is not None:
                    self.saved.emit(str(path))

        self._pending = self._pool.submit(run)
        return self._pending

    def wait(self, timeout: float = 10.0) -> bool:
        """Wait for the autosave being written; False if it took longer than ``timeout`` seconds."""
        pending = self._pending
        if pending is None:
            return True
        try:
            pending.result(timeout=timeout)
        except TimeoutError:
            return False
        return True

    def finish(self, timeout: float = 10.0) -> bool:
        """A clean exit: stop autosaving, abandon a write in progress (its files are removed with the
        folder anyway; closing right after training waited ~9 s for it), remove this session's folder."""
        self.timer.stop()
        self._stop.set()
        done = self.wait(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)
        if done:
            self.store.finish()
        else:
            log.warning("an autosave did not finish within %.0f s; its folder stays in %s", timeout, self.store.own)
        return done

    def offer_restore(self) -> bool:
        """Offer to restore the newest session left by a crash; True when one was restored."""
        restored = False
        for path in self.store.orphans():
            try:
                what = self.store.describe(path)
            except SLRFRError as exc:
                log.warning("%s; removed", exc)
                self.store.discard(path)
                continue
            answer = None if restored else dialogs.ask_restore(
                self.window, f"slrfr-gui did not exit cleanly last time. Restore the work it autosaved: {what}?")
            if answer is None and not restored:  # closed unanswered (Ctrl+C): nothing is lost, asked again next time
                log.info("kept the autosaved session %s: the question was closed without an answer", path)
                break
            if answer:
                try:
                    session = self.store.read(path)
                except SLRFRError as exc:
                    self.window._on_error(f"The autosaved work cannot be restored: {exc}", "")
                else:
                    self.window.restore_session(session)
                    restored = True
                    log.info("restored the autosaved session %s", path)
            else:
                log.info("discarded the autosaved session %s", path)
            self.store.discard(path)
        if restored:
            self.autosave()  # it is this session's unsaved work now
        return restored


def thumbnails_for(model, thumbnails: dict) -> np.ndarray:
    """One thumbnail per person of ``model`` (blank where none is known), shape (n_persons, 48, 40)."""
    return np.stack([thumbnails.get(str(p), np.zeros(FRAME_SHAPE)) for p in model.classes_])


def confirm_close(window) -> bool:
    """Ask before unsaved work is lost; True when the window may close.

    Save saves each piece (asking for file names); cancelling any of those keeps the window open.
    """
    return confirm_discard(window, "closing")


def confirm_discard(window, before: str) -> bool:
    """Ask (Save / Discard / Cancel) before unsaved work is replaced or lost; True when it may go.

    ``before`` says what would lose it ("closing", "opening the demo"). Save saves each piece
    (asking for file names); cancelling any of those answers False.
    """
    if not window.has_unsaved_work():
        return True
    answer = dialogs.ask_unsaved(window, f"{window.unsaved_description()} Save before {before}?")
    if answer == dialogs.CANCEL:
        return False
    if answer == dialogs.DISCARD:
        log.info("%s: unsaved work discarded by the user", before)
        return True
    if window.gallery_dirty:
        path = dialogs.ask_save_path(window, "Save gallery", "gallery.slrfr-gallery", "slrfr galleries (*.slrfr-gallery)")
        if not path or not window.save_gallery(path):
            return False
    for res in sorted(window.unsaved_models):
        path = dialogs.ask_save_path(window, f"Save the {format_resolution(res)} model", f"model_{format_resolution(res)}.npz",
                                     "slrfr models (*.npz)")
        if not path or not window.save_model(path, res):
            return False
    return True
