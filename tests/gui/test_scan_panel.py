"""The window's scan: File -> Scan videos... in the background, the results view, cancel."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "core"))
from test_scan import _video  # noqa: E402


def _demo_model():
    from slrfr_gui.method.learned import LearnedRelightingClassifier
    from slrfr_gui.demo.persons import make_demo

    demo = make_demo(6, 0, seed=3)
    faces = np.stack([im.face for im in demo.gallery.images])
    labels = [im.person for im in demo.gallery.images]
    return LearnedRelightingClassifier(resolution=(12, 10)).fit(faces, labels), demo


def test_scan_from_the_window_lists_filters_and_opens_frames(window, qtbot, tmp_path):
    from slrfr_gui.scan import ScanOptions
    from slrfr_gui.gui.scan_panel import ALL, UNKNOWN

    model, demo = _demo_model()
    window.models[window.resolution] = model
    person = demo.gallery.images[2].person
    video = _video(tmp_path / "walk.avi", demo.gallery.images[2].face)
    out = tmp_path / "scan.sqlite"
    window.start_scan({"inputs": [str(video), str(tmp_path / "gone.avi")], "output": out,
                       "options": ScanOptions(detect_every=6, track_every=1, chunk_seconds=1.0, min_face=16),
                       "workers": 1})
    panel = window.scan_panel
    assert window.scan_dock.isVisible() and panel.running() and panel.btn_cancel.isEnabled()
    with qtbot.waitSignal(panel.finished, timeout=120_000) as done:
        pass
    summary = done.args[0]
    assert summary is not None and summary.complete
    assert "1 input(s) not scanned" in panel.status.text()
    assert not panel.btn_cancel.isEnabled()
    assert panel.table.rowCount() == 1
    assert panel.table.item(0, 1).text() == person
    assert not panel.table.item(0, 0).icon().isNull()  # the thumbnail
    panel.person.setCurrentText(UNKNOWN)
    assert panel.table.rowCount() == 0
    panel.person.setCurrentText(person)
    assert panel.table.rowCount() == 1
    panel.person.setCurrentText(ALL)
    panel.order.setCurrentText("by residual")
    assert panel.table.rowCount() == 1
    assert panel.video.currentText() == str(video)
    view = panel.open_row(0)
    assert view is not None and person in view.windowTitle()


def test_cancel_leaves_a_resumable_file_and_bad_results_files_are_reported(window, qtbot, tmp_path):
    from slrfr_gui.scan import ScanOptions, ScanStore

    model, demo = _demo_model()
    window.models[window.resolution] = model
    video = _video(tmp_path / "walk.avi", demo.gallery.images[1].face, frames=150)
    out = tmp_path / "scan.sqlite"
    window.start_scan({"inputs": [str(video)], "output": out, "workers": 1,
                       "options": ScanOptions(detect_every=6, track_every=1, chunk_seconds=0.5)})
    panel = window.scan_panel
    with qtbot.waitSignal(panel.finished, timeout=120_000) as done:
        panel.cancel()
    assert done.args[0] is None and "cancelled" in panel.status.text()
    with ScanStore(out) as store:
        finished, total = store.counts()
    assert total == 13 and finished < total  # 0.5 s is 12 frames: 13 chunks
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 50)
    with qtbot.waitSignal(panel.failed, timeout=5000) as failed:
        assert not panel.open_results(junk)
    assert "not a scan results file" in failed.args[0]


def test_scan_videos_opens_its_dialog_with_a_trained_model(window, qtbot, tmp_path, monkeypatch):
    """File -> Scan videos... after training: the model's persons (a NumPy array) list in the dialog."""
    from slrfr_gui.gui.scan_dialog import ScanDialog

    model, demo = _demo_model()
    window.models[window.resolution] = model
    seen = {}

    def fake_exec(dialog):
        seen["tooltip"] = dialog.persons.toolTip()
        return dialog.DialogCode.Rejected

    monkeypatch.setattr(ScanDialog, "exec", fake_exec)
    assert window.scan_videos() is False
    assert seen["tooltip"].startswith("Enrolled: ") and str(model.classes_[0]) in seen["tooltip"]
