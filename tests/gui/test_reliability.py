"""Failures while running lose nothing: closing asks, a crash is recovered, errors reach the user, nothing hangs."""

import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QObject, Signal

from slrfr_gui.faces.camera import write_video
from slrfr_gui.gallery.gallery import Gallery
from slrfr_gui.method.modelfile import load_model
from slrfr_gui.gui import logs
from slrfr_gui.gui import dialogs
from slrfr_gui.gui.app import main
from slrfr_gui.gui.window import MainWindow
from slrfr_gui.gui.recovery import RecoveryStore

pytestmark = pytest.mark.timeout(180)


def small_gallery(n=4, seed=3):
    from slrfr_gui.demo.synthetic import render_faces, sample_albedos
    from slrfr_gui.evaluation.yale import light_vector

    faces = render_faces(sample_albedos(n, seed=seed), light_vector([0, 20], [0, 10]))
    gallery = Gallery()
    for i, pair in enumerate(faces):
        for k, face in enumerate(pair):
            gallery.add_face(f"p{i}", face, f"{k}.png")
    return gallery


def train(window, qtbot):
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.train()


@pytest.fixture
def log_file(tmp_path):
    path = logs.setup_logging(tmp_path / "logs")
    yield path
    handler = logs._log_handler
    logging.getLogger().removeHandler(handler)
    handler.close()
    logs._log_handler = None


def flushed_text(path):
    for h in logging.getLogger().handlers:
        h.flush()
    return Path(path).read_text(encoding="utf-8")


# ------------------------------------------------------------------ closing with unsaved work
def test_closing_with_nothing_unsaved_asks_nothing(window, answers):
    window._gallery_done(small_gallery())
    assert not window.has_unsaved_work()
    assert window.close()
    assert answers.asked == []


def test_cancel_keeps_the_window_open_and_discard_closes_it(window, qtbot, answers):
    window._gallery_done(small_gallery())
    window.gallery_panel.add_person("Zoë")
    assert window.has_unsaved_work() and "gallery was edited" in window.unsaved_description()
    answers.unsaved = dialogs.CANCEL
    assert not window.close()
    assert window.isVisible() and answers.asked[0][0] == "unsaved"
    answers.unsaved = dialogs.DISCARD
    assert window.close()
    assert not window.isVisible()


def test_save_on_close_saves_the_gallery_and_the_trained_model(window, qtbot, answers, tmp_path):
    window._gallery_done(small_gallery())
    train(window, qtbot)
    window.gallery_panel.add_person("Zoë")
    text = window.unsaved_description()
    assert "gallery" in text and "7x6" in text
    answers.unsaved = dialogs.SAVE
    answers.paths = [tmp_path / "g.slrfr-gallery", tmp_path / "m.npz"]
    assert window.close()
    assert "Zoë" in Gallery.open(tmp_path / "g.slrfr-gallery").persons
    model, _ = load_model(tmp_path / "m.npz")
    assert list(model.classes_) == ["p0", "p1", "p2", "p3"]


def test_a_save_cancelled_or_failing_on_close_keeps_the_window_and_the_old_file(window, qtbot, answers, tmp_path,
                                                                                monkeypatch):
    window._gallery_done(small_gallery(3))
    train(window, qtbot)
    old = tmp_path / "m.npz"
    assert window.save_model(old)
    before = old.read_bytes()
    window.resolution_bar.set_resolution((10, 8))
    train(window, qtbot)
    answers.unsaved = dialogs.SAVE
    answers.paths = []  # the user cancels the file dialog
    assert not window.close() and window.isVisible()
    # The disk fails half-way through writing the new model over the old one.
    import slrfr_gui.files.atomic as atomic

    def fail(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", fail)
    answers.paths = [old]
    assert not window.close() and window.isVisible()
    assert "No space" in window.error_box.text()
    assert old.read_bytes() == before and sorted(p.name for p in tmp_path.glob("*.npz*")) == ["m.npz"]
    assert window.unsaved_models == {(10, 8)}  # still unsaved, still offered


# ------------------------------------------------------------------------- autosave, recovery
def test_autosave_after_training_and_restore_after_a_crash(qtbot, answers, tmp_path):
    store_dir = tmp_path / "recovery"
    first = MainWindow()
    qtbot.addWidget(first)
    first.enable_recovery(RecoveryStore(store_dir), interval_ms=100)
    first._gallery_done(small_gallery())
    with qtbot.waitSignal(first.keeper.saved, timeout=60_000):
        train(first, qtbot)  # autosaved right after training
    manifest = json.loads((first.keeper.store.own / "session.json").read_text())
    assert manifest["models"] == [{"file": "model_7x6.npz", "resolution": "7x6", "unsaved": True}]
    first.gallery_panel.add_person("Zoë")
    qtbot.waitUntil(lambda: json.loads((first.keeper.store.own / "session.json").read_text())["gallery_dirty"],
                    timeout=10_000)  # the periodic autosave caught the edit
    first.keeper.timer.stop()
    first.keeper.wait()  # a write still running has its temporary file until it ends (saves stream to disk)
    assert not list(first.keeper.store.own.glob("*.tmp"))
    # "Crash": the process would be gone, so its lock is free; nothing was cleaned up.
    first.keeper.store._lock.unlock()
    first.keeper = None
    first.confirm_close = False

    second = MainWindow()
    qtbot.addWidget(second)
    second.enable_recovery(RecoveryStore(store_dir), interval_ms=60_000)
    answers.restore = True
    assert second.keeper.offer_restore()
    assert answers.asked[-1][0] == "restore" and "7x6" in answers.asked[-1][1]
    assert "Zoë" in second.gallery.persons and second.gallery_dirty
    assert second.model is not None and second.unsaved_models == {(7, 6)}
    second.keeper.wait()
    sessions = sorted(store_dir.glob("session-*"))
    assert sessions == [second.keeper.store.own]  # the old one is gone, the restored work autosaved anew
    answers.unsaved = dialogs.DISCARD
    assert second.close()
    assert list(store_dir.glob("session-*")) == []  # a clean exit leaves no recovery file


def test_a_session_of_a_process_that_died_is_offered_and_a_live_one_is_not(qtbot, answers, tmp_path):
    store_dir = tmp_path / "recovery"
    code = (
        "import os, sys\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from slrfr_gui.gui.recovery import RecoveryStore, Session\n"
        "from tests.gui.test_reliability import small_gallery\n"
        "store = RecoveryStore(sys.argv[1]); store.start()\n"
        "g = small_gallery(2); g.add_person('Edited')\n"
        "store.write(Session(g, True))\n"
        "os._exit(3)\n"  # dies without cleaning up
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code, str(store_dir), str(root)], cwd=root, timeout=120,
                          capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    alive = RecoveryStore(store_dir)  # another window of this process, still running
    alive.start()
    from slrfr_gui.gui.recovery import Session

    alive.write(Session(small_gallery(2), True))
    win = MainWindow()
    qtbot.addWidget(win)
    win.enable_recovery(RecoveryStore(store_dir))
    orphans = win.keeper.store.orphans()
    assert len(orphans) == 1 and orphans[0] != alive.own
    answers.restore = None  # the question closed unanswered (Ctrl+C): kept, asked again next time
    assert not win.keeper.offer_restore()
    assert orphans[0].exists() and win.keeper.store.orphans() == orphans
    answers.restore = False
    assert not win.keeper.offer_restore()
    assert "edited gallery" in answers.asked[-1][1]
    assert not orphans[0].exists()  # declined: removed, not asked again
    assert alive.own.exists() and win.gallery is None
    alive.finish()


def test_a_damaged_autosave_is_reported_not_raised(window, qtbot, answers, tmp_path):
    store_dir = tmp_path / "recovery"
    broken = store_dir / "session-1-1"
    broken.mkdir(parents=True)
    (broken / "session.json").write_text(json.dumps({"format": "slrfr-recovery", "version": 1, "gallery":
                                                     "gallery.slrfr-gallery", "models": []}))
    (broken / "gallery.slrfr-gallery").write_bytes(b"PK\x03\x04 truncated")
    window.enable_recovery(RecoveryStore(store_dir))
    answers.restore = True
    assert not window.keeper.offer_restore()
    assert "cannot be restored" in window.error_box.text()
    assert not broken.exists()


# ------------------------------------------------------------------------------ closing while busy
def test_close_while_the_camera_runs_releases_it(qtbot, answers, tmp_path):
    frames = [np.clip(0.5 + 0.05 * np.random.default_rng(i).standard_normal((120, 160)), 0, 1) for i in range(5)]
    video = write_video(tmp_path / "v.avi", frames)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    camera = win.camera_view
    camera.start(str(video))
    qtbot.waitUntil(lambda: camera.last is not None, timeout=20_000)
    worker, thread = camera.worker, camera.thread
    start = time.monotonic()
    assert win.close()
    assert time.monotonic() - start < 5
    assert not thread.isRunning() and worker.source.released


def test_close_while_an_autosave_is_writing_waits_for_it_and_cleans_up(qtbot, answers, tmp_path, monkeypatch):
    import slrfr_gui.gui.recovery as recovery

    original = recovery.save_model
    writing = threading.Event()

    def slow(*args, **kwargs):
        writing.set()
        time.sleep(1.0)
        return original(*args, **kwargs)

    monkeypatch.setattr(recovery, "save_model", slow)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.enable_recovery(RecoveryStore(tmp_path / "recovery"), interval_ms=60_000)
    win._gallery_done(small_gallery(3))
    train(win, qtbot)
    qtbot.waitUntil(writing.is_set, timeout=10_000)
    answers.unsaved = dialogs.DISCARD
    start = time.monotonic()
    assert win.close()
    assert time.monotonic() - start < 10
    assert list((tmp_path / "recovery").iterdir()) == []  # the write ended whole, then the clean exit removed it


# ----------------------------------------------------------------------- errors reach the user
def test_an_exception_in_a_worker_reaches_a_dialog_and_the_log(window, qtbot, log_file):
    def work(progress, stop):
        raise RuntimeError("the worker broke")

    with qtbot.waitSignal(window.task_failed, timeout=10_000):
        window._start_task(work, "Working…", lambda r: None, "test")
    assert "RuntimeError: the worker broke" in window.error_box.text()
    assert "Traceback" in window.error_box.detailedText()
    assert window.error_box.isVisible()
    text = flushed_text(log_file)
    assert "RuntimeError: the worker broke" in text and "Traceback" in text and 'in work' in text
    qtbot.waitUntil(lambda: not window.busy(), timeout=10_000)


class _Emitter(QObject):
    fire = Signal()


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_or_a_thread_shows_the_crash_dialog_with_the_log_path(qtbot, answers, log_file,
                                                                                      monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    reporter = logs.install_excepthook(log_file)
    emitter = _Emitter()

    def slot():
        raise ValueError("a bug in a slot")

    emitter.fire.connect(slot)
    emitter.fire.emit()
    assert len(answers.crashes) == 1
    message, details = answers.crashes[0]
    assert "ValueError: a bug in a slot" in message and str(log_file) in message
    assert "Traceback" in details and "slot" in details
    thread = threading.Thread(target=lambda: 1 / 0, name="helper")
    thread.start()
    thread.join(10)
    qtbot.waitUntil(lambda: len(answers.crashes) == 2, timeout=5_000)  # delivered on the GUI thread
    assert "ZeroDivisionError" in answers.crashes[1][0]
    text = flushed_text(log_file)
    assert "a bug in a slot" in text and "in thread helper" in text and "ZeroDivisionError" in text
    del reporter


# ------------------------------------------------------------------ camera and folders vanishing
class _Vanishing:
    """A VideoCapture whose device disappears after ``n`` frames: read() returns (False, None) from then on."""

    def __init__(self, capture, n):
        self.capture, self.n = capture, n

    def read(self):
        if self.n <= 0:
            return False, None
        self.n -= 1
        return self.capture.read()

    def release(self):
        self.capture.release()

    def get(self, prop):
        return self.capture.get(prop)


def test_a_camera_that_disconnects_mid_stream_is_reported(window, qtbot, tmp_path, monkeypatch):
    import slrfr_gui.gui.camera_view as camera_view
    from slrfr_gui.faces.camera import FrameSource

    frames = [np.clip(0.5 + 0.05 * np.random.default_rng(i).standard_normal((120, 160)), 0, 1) for i in range(20)]
    video = write_video(tmp_path / "v.avi", frames)

    def device(spec, loop=False, timeout=5.0):
        source = FrameSource(spec, timeout=0.5, loop=False)
        source.kind = "device"  # behave like a webcam: no end of file, only silence
        source._capture = _Vanishing(source._capture, 3)
        return source

    monkeypatch.setattr(camera_view, "FrameSource", device)
    camera = window.camera_view
    window.camera_dock.show()
    camera.start(str(video))
    qtbot.waitUntil(lambda: "disconnected" in camera.status.text(), timeout=15_000)
    qtbot.waitUntil(lambda: not camera.running(), timeout=5_000)
    assert camera.last is not None and camera.last["index"] == 2  # the frames before it vanished were shown
    assert "disconnected" in window.statusBar().currentMessage()
    # The buttons follow the thread's finished signal, queued to this thread: a moment after running() is False.
    qtbot.waitUntil(camera.btn_start.isEnabled, timeout=5_000)


def test_a_video_that_ends_says_so(qtbot, tmp_path):
    from slrfr_gui.gui.camera_view import CameraWorker

    frames = [np.full((60, 80), 0.5) for _ in range(3)]
    worker = CameraWorker(str(write_video(tmp_path / "v.avi", frames)), loop=False)
    worker.detect = False
    ended = []
    worker.ended.connect(ended.append)
    worker.run()  # on this thread: it must return by itself
    assert ended == [f"{tmp_path / 'v.avi'} ended after 3 frame(s)"] and worker.source.released


def test_a_gallery_folder_deleted_while_loading(window, qtbot, tmp_path, monkeypatch, synthetic_gallery):
    import shutil

    import slrfr_gui.files.imageio as gallery_module  # gallery_align.read_gallery_file reads through it

    folder, _ = synthetic_gallery
    original = gallery_module.read_grey
    calls = []

    def read_then_delete(path):
        calls.append(path)
        image = original(path)
        if len(calls) == 3:
            shutil.rmtree(folder)  # the folder vanishes (unplugged drive, deleted) after three images
        return image

    monkeypatch.setattr(gallery_module, "read_grey", read_then_delete)
    with qtbot.waitSignal(window.gallery_loaded, timeout=20_000):
        window.open_gallery(folder)
    assert len(window.gallery.images) == 3
    assert "9 file(s) skipped" in window.statusBar().currentMessage()
    assert all("no such file" in reason.lower() or "cannot" in reason.lower() for _, reason in window.gallery.skipped)
    # Deleted before any image could be read: an error the user can act on, not a crash.
    calls.clear()
    (tmp_path / "g2" / "a").mkdir(parents=True)
    (tmp_path / "g2" / "a" / "x.png").write_bytes(b"")

    def delete_first(path):
        shutil.rmtree(tmp_path / "g2")
        return original(path)

    monkeypatch.setattr(gallery_module, "read_grey", delete_first)
    with qtbot.waitSignal(window.task_failed, timeout=20_000) as failed:
        window.open_gallery(tmp_path / "g2")
    assert "no person folder holds a readable image" in failed.args[0]
    assert "readable image" in window.error_box.text()
    qtbot.waitUntil(lambda: not window.busy(), timeout=10_000)


# ---------------------------------------------------------------------------------- command line
def test_json_without_screenshot_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--json", "r.json"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --json: only with --screenshot" in err


def test_ctrl_c_while_a_question_is_open_closes_it_unanswered_then_the_window(window, qtbot):
    """Ctrl+C during the restore question (or any modal question) used to close the main window under
    the question's own event loop: glibc aborted with "double free or corruption". Now the question is
    closed unanswered (the autosave is kept), then the window closes as its close button does."""
    import os
    import signal

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from slrfr_gui.gui.app import install_sigint_handler

    app = QApplication.instance()
    previous = install_sigint_handler(app, lambda: window)
    try:
        QTimer.singleShot(300, lambda: os.kill(os.getpid(), signal.SIGINT))

        def safety():  # if the question stays open: answer it yes, so the test fails, not hangs
            modal = app.activeModalWidget()
            if modal is not None:
                modal.done(int(dialogs.QMessageBox.StandardButton.Yes))

        QTimer.singleShot(5000, safety)
        import importlib

        real = importlib.reload(dialogs)  # this module's answers fixture stands in for the questions
        assert real.ask_restore(window, "restore?") is None
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)
    finally:
        signal.signal(signal.SIGINT, previous)
        app._sigint_timer.stop()
