"""The analyst's window, flow by flow, offscreen with pytest-qt."""

import csv
import json
import sys
import time

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent, QImage

from slrfr_gui.faces.frame import degrade
from slrfr_gui.gallery.gallery import Gallery
from slrfr_gui.files.imageio import write_grey
from slrfr_gui.gui.app import main
from slrfr_gui.gui.window import MainWindow
from slrfr_gui.gui.controls import slider_steps
from slrfr_gui.gui.results import ResidualBars


def load(window, qtbot, folder):
    with qtbot.waitSignal(window.gallery_loaded, timeout=20_000):
        window.open_gallery(folder)


def train(window, qtbot):
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.training.btn_train.click()


def test_load_gallery_and_relighting_preview(window, qtbot, synthetic_gallery):
    folder, _ = synthetic_gallery
    load(window, qtbot, folder)
    tree = window.gallery_panel.tree
    assert tree.topLevelItemCount() == 6
    assert tree.topLevelItem(0).text(0) == "person1  (2 images)"
    assert tree.topLevelItem(0).childCount() == 2
    # The first image is selected and relit: nine images at HR and at the probe size.
    view = window.relight_view
    assert view.result is not None and view.result.relit.shape == (9, 48, 40)
    assert all(view.items[f"relit{k}"].image.shape == (48, 40) for k in range(9))
    assert view.lr_shapes() == [window.resolution] * 9
    assert view.items["normals"].image.shape == (48, 40, 3)
    # The bottom row: the input at probe size relit by the learned relighting, from mild to strong.
    learned = view.learned_images()
    assert all(image is not None and image.shape == window.resolution for image in learned)
    lr = view.items["input_lr"].image
    change = [float(np.abs(image - lr).mean()) for image in learned]
    assert change[0] < change[-1] and len({round(c, 6) for c in change}) == len(change)


def test_slider_changes_the_preview_size_and_keeps_models(window, qtbot, synthetic_gallery):
    folder, _ = synthetic_gallery
    load(window, qtbot, folder)
    train(window, qtbot)
    first = window.resolution
    index = slider_steps().index((12, 10))
    window.resolution_bar.slider.setValue(index)
    assert window.resolution == (12, 10)
    assert window.relight_view.lr_shapes() == [(12, 10)] * 9
    assert window.model is None and "not trained" in window.resolution_bar.state.text()
    # A typed size off the slider.
    window.resolution_bar.edit.setText("9x7")
    window.resolution_bar.edit.editingFinished.emit()
    assert window.resolution == (9, 7) and window.relight_view.lr_shapes()[0] == (9, 7)
    # None ships for 9x7: a model for it is served at the nearest shipped size, and so is the preview.
    from slrfr_gui.method.lighting_resources import serving_resolution

    assert all(image.shape == serving_resolution((9, 7)) for image in window.relight_view.learned_images())
    window.resolution_bar.edit.setText("2x2")
    window.resolution_bar.edit.editingFinished.emit()
    assert window.resolution == (9, 7)  # rejected, marked in the box
    window.resolution_bar.set_resolution(first)
    assert window.model is not None and "trained" in window.resolution_bar.state.text()


def test_train_reports_progress_and_identifies_a_dropped_probe(window, qtbot, synthetic_gallery, tmp_path):
    folder, probes = synthetic_gallery
    load(window, qtbot, folder)
    window.resolution_bar.set_resolution((10, 8))
    seen = []
    window.training.progress.valueChanged.connect(seen.append)
    train(window, qtbot)
    # The learned relighting enrolls the gallery images at once: the progress ends at done.
    assert seen and seen[-1] == window.training.progress.maximum()
    probe = tmp_path / "probe.png"
    write_grey(probe, degrade(probes["person4"], (10, 8)))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(probe))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.identified, timeout=5_000) as blocker:
        window.dropEvent(event)
    ranked = blocker.args[0]
    assert ranked[0][0] == "person4"
    # The table and the bars show exactly the core's residuals, best first.
    from slrfr_gui.files.imageio import read_grey

    residuals = window.model.residuals(read_grey(probe)[None])[0]
    expected = sorted(zip(window.model.classes_, residuals), key=lambda t: t[1])
    assert [p for p, _ in ranked] == [str(p) for p, _ in expected]
    np.testing.assert_allclose(window.results.bars.values, [r for _, r in expected], rtol=1e-12)
    table = window.results.table
    assert [table.item(i, 2).text() for i in range(table.rowCount())] == [p for p, _ in ranked]
    assert "person4" in window.results.verdict.text()
    assert window.results.recon_names[0].text() == "person4"


def test_unknown_threshold(window, qtbot, synthetic_gallery):
    folder, probes = synthetic_gallery
    load(window, qtbot, folder)
    train(window, qtbot)
    window.results.set_probe_image(probes["person2"], "test")
    assert window.results.threshold == pytest.approx(window.defaults.threshold(window.resolution))
    window.results.set_threshold(0.0)
    assert "Unknown" in window.results.verdict.text()
    window.results.btn_default.click()
    assert window.results.threshold == pytest.approx(window.defaults.threshold(window.resolution))


def test_probe_noise_setting_rescores_the_probe(window, qtbot, synthetic_gallery):
    """The probe noise box re-identifies at once with the noise-aware residuals, and off restores the plain ones."""
    folder, probes = synthetic_gallery
    load(window, qtbot, folder)
    train(window, qtbot)
    window.results.set_probe_image(probes["person2"], "test")
    plain = dict(window.results.result.ranked)
    assert window.results.noise_spin.text() == "probe noise: off"
    window.results.noise_spin.setValue(0.02)
    aware = dict(window.results.result.ranked)
    expected = window.model.residuals(degrade(probes["person2"], window.resolution)[None], noise=0.02)[0]
    for person, residual in aware.items():
        assert residual == pytest.approx(expected[list(window.model.classes_).index(person)], rel=1e-9)
    assert all(aware[p] <= plain[p] + 1e-12 for p in aware if p in plain) and aware != plain
    window.results.noise_spin.setValue(0.0)
    assert dict(window.results.result.ranked) == plain


def test_cancel_training(window, qtbot, synthetic_gallery, monkeypatch):
    folder, _ = synthetic_gallery
    load(window, qtbot, folder)
    from slrfr_gui.method import physical

    original = physical.relight_batch

    def slow(images, *args, **kwargs):
        time.sleep(0.2 * len(images))  # 0.2 s a face
        return original(images, *args, **kwargs)

    monkeypatch.setattr(physical, "relight_batch", slow)
    window.training.mode.setCurrentIndex(1)  # the physical relighting: its relighting is slowed down
    window.train()
    assert window.training.btn_cancel.isEnabled()
    qtbot.wait(300)
    with qtbot.waitSignal(window.task.cancelled, timeout=10_000):
        window.training.btn_cancel.click()
    qtbot.waitUntil(lambda: not window.busy(), timeout=10_000)
    assert window.models == {}
    assert window.training.btn_train.isEnabled()


def test_gui_thread_never_blocked_while_training_38_persons(window, qtbot):
    from slrfr_gui.demo.synthetic import render_faces, sample_albedos
    from slrfr_gui.evaluation.yale import light_vector

    faces = render_faces(sample_albedos(38, seed=5), light_vector([0, 20], [0, 10]))
    gallery = Gallery()
    for i, pair in enumerate(faces):
        for k, face in enumerate(pair):
            gallery.add_face(f"p{i:02d}", face, f"{k}.png")
    window.training.mode.setCurrentIndex(1)  # the physical relighting, the longer training
    window._gallery_done(gallery)
    qtbot.wait(300)  # let the window finish its first paint, which is not training's doing
    ticks = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    start = time.perf_counter()
    train(window, qtbot)
    timer.stop()
    assert len(window.model.classes_) == 38
    gaps = np.diff([start] + ticks)
    assert gaps.max() < 0.1, f"GUI thread blocked for {gaps.max() * 1000:.0f} ms"


def test_batch_and_csv_export(window, qtbot, synthetic_gallery, tmp_path):
    folder, probes = synthetic_gallery
    load(window, qtbot, folder)
    train(window, qtbot)
    batch = tmp_path / "batch"
    batch.mkdir()
    for person, image in probes.items():
        write_grey(batch / f"{person}.png", degrade(image, window.resolution))
    (batch / "junk.png").write_text("not an image")
    with qtbot.waitSignal(window.batch_done, timeout=20_000):
        window.run_batch(batch)
    rows = window.batch_panel.rows
    assert len(rows) == 7 and window.batch_panel.table.rowCount() == 7
    assert [r.error != "" for r in rows].count(True) == 1
    assert sum(r.best in r.probe for r in rows if not r.error) >= 5
    out = tmp_path / "results.csv"
    assert window.batch_panel.export_csv(out)
    with out.open(newline="", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    assert len(records) == 7 and set(records[0]) >= {"probe", "best", "residual", "decision", "error"}
    assert records[0]["best"] == rows[0].best


def test_save_and_reopen_model(window, qtbot, synthetic_gallery, tmp_path):
    folder, probes = synthetic_gallery
    load(window, qtbot, folder)
    train(window, qtbot)
    window.results.set_probe_image(probes["person3"], "p")
    before = window.results.bars.values
    assert window.save_model(tmp_path / "m.npz")
    window.models.clear()
    window.identify()
    assert window.results.table.rowCount() == 0
    with qtbot.waitSignal(window.model_ready, timeout=5_000):
        assert window.open_model(tmp_path / "m.npz")
    np.testing.assert_allclose(window.results.bars.values, before)
    assert str(tmp_path / "m.npz") in __import__("slrfr_gui.gui.settings", fromlist=["x"]).read("recent/models")


def test_gallery_editing_and_undo(window, qtbot, synthetic_gallery, tmp_path, monkeypatch):
    folder, probes = synthetic_gallery
    load(window, qtbot, folder)
    train(window, qtbot)
    panel = window.gallery_panel
    assert panel.add_person("Zoë") == "Zoë"
    write_grey(tmp_path / "z.png", probes["person1"])
    (tmp_path / "bad.png").write_text("x")
    from PySide6.QtWidgets import QMessageBox

    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    assert panel.add_files("Zoë", [tmp_path / "z.png", tmp_path / "bad.png"]) == 1
    assert warnings and "bad.png" in warnings[0]
    assert window.gallery.count("Zoë") == 1
    assert window.resolution in window.stale and "older gallery" in window.resolution_bar.state.text()
    # Rename through the tree, then remove and undo.
    top = panel.tree.topLevelItem(0)
    top.setText(0, "Alice")
    assert "Alice" in window.gallery.persons and "person1" not in window.gallery.persons
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    panel.remove_selected()
    assert "Alice" not in window.gallery.persons
    window.undo()
    assert "Alice" in window.gallery.persons and window.gallery.count("Alice") == 2
    # Save and re-open the edited gallery.
    path = tmp_path / "g.slrfr-gallery"
    window.save_gallery(path)
    with qtbot.waitSignal(window.gallery_loaded, timeout=5_000):
        window.open_gallery(path)
    assert window.gallery.count("Zoë") == 1


def test_paste_probe_from_clipboard(window, qtbot, synthetic_gallery):
    from PySide6.QtWidgets import QApplication

    folder, probes = synthetic_gallery
    load(window, qtbot, folder)
    train(window, qtbot)
    arr = np.ascontiguousarray((probes["person5"] * 255).astype(np.uint8))
    image = QImage(arr.data, 40, 48, 40, QImage.Format.Format_Grayscale8).copy()
    QApplication.clipboard().setImage(image)
    with qtbot.waitSignal(window.identified, timeout=5_000) as blocker:
        window.results.paste_probe()
    assert blocker.args[0][0][0] == "person5"


def test_errors_reach_the_user(window, qtbot, tmp_path):
    window.open_gallery(tmp_path / "missing")
    qtbot.waitUntil(lambda: hasattr(window, "error_box"), timeout=10_000)
    assert "no such folder" in window.error_box.text()
    (tmp_path / "bad.png").write_bytes(b"not an image")
    assert not window.results.set_probe(tmp_path / "bad.png")
    assert "bad.png" in window.error_box.text()
    (tmp_path / "m.npz").write_bytes(b"junk")
    assert not window.open_model(tmp_path / "m.npz")
    assert "m.npz" in window.error_box.text()


def test_close_during_training_does_not_hang(qtbot, synthetic_gallery, monkeypatch):
    from slrfr_gui.method import physical

    original = physical.relight_batch
    monkeypatch.setattr(physical, "relight_batch",
                        lambda images, *a, **k: (time.sleep(0.1 * len(images)), original(images, *a, **k))[1])
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    folder, _ = synthetic_gallery
    with qtbot.waitSignal(win.gallery_loaded, timeout=20_000):
        win.open_gallery(folder)
    win.training.mode.setCurrentIndex(1)  # the physical relighting: its relighting is slowed down
    win.train()
    qtbot.wait(150)
    assert win.busy()
    win.close()
    assert not win.close_timed_out  # the worker stopped when asked, not at the 10 s limit
    assert not win.task._thread.isRunning()


def test_about_and_shortcuts(window):
    assert "IJCB 2011" in __import__("slrfr_gui.gui.dialogs", fromlist=["ABOUT"]).ABOUT
    assert window.act_train.shortcut().toString() == "Ctrl+T"
    assert window.act_open_gallery.shortcut().toString() == "Ctrl+G"
    assert window.training.btn_train.toolTip()


def test_residual_bars_highlight_the_best(qtbot):
    bars = ResidualBars()
    qtbot.addWidget(bars)
    bars.set_ranked([("a", 0.1), ("b", 0.3)])
    assert bars.values == [0.1, 0.3]


def test_plot_updates_do_not_leak_references_to_true(qtbot):
    """PySide6 6.12.0 loses a reference to True per plot-item change, aborting Python 3.11 at exit."""
    bars = ResidualBars()
    qtbot.addWidget(bars)
    before = sys.getrefcount(True)
    for _ in range(20):
        bars.set_ranked([("a", 0.1), ("b", 0.3)])
    assert sys.getrefcount(True) - before > -20


def test_command_line_screenshot_and_json(qtbot, synthetic_gallery, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QApplication

    folder, probes = synthetic_gallery
    write_grey(tmp_path / "p.png", degrade(probes["person6"], (7, 6)))
    shot, out = tmp_path / "shot.png", tmp_path / "r.json"
    monkeypatch.setattr(QApplication, "exec", lambda self=None: 0)
    main(["--gallery", str(folder), "--probe", str(tmp_path / "p.png"), "--resolution", "7x6",
          "--screenshot", str(shot), "--json", str(out)])
    qtbot.waitUntil(out.exists, timeout=60_000)
    assert shot.stat().st_size > 10_000
    ranked = json.loads(out.read_text())
    assert ranked[0]["probe"] == str(tmp_path / "p.png")
    assert ranked[0]["ranked"][0]["person"] == "person6"


def test_ten_yale_persons_from_the_command_line(qtbot, yale_dir, tmp_path, monkeypatch):
    """--gallery of ten Yale B persons (one frontal image each), a 7x6 probe of one of them under another light."""
    from PySide6.QtWidgets import QApplication

    from slrfr_gui.files.imageio import read_grey
    from slrfr_gui.evaluation.yale import load_yale

    yale = load_yale(yale_dir, subjects=range(1, 11))
    for i, path in enumerate(yale.paths):
        if yale.azimuth[i] == 0 and yale.elevation[i] == 0:
            person = tmp_path / "gallery" / f"yaleB{yale.subjects[i]:02d}"
            person.mkdir(parents=True)
            write_grey(person / "frontal.png", read_grey(path)[:, 4:164])
    probe_index = next(i for i in range(len(yale.paths)) if yale.subjects[i] == 7 and yale.azimuth[i] == -20
                       and yale.elevation[i] == 10)
    write_grey(tmp_path / "probe.png", degrade(yale.images[probe_index], (7, 6)))
    monkeypatch.setattr(QApplication, "exec", lambda self=None: 0)
    out = tmp_path / "r.json"
    main(["--gallery", str(tmp_path / "gallery"), "--probe", str(tmp_path / "probe.png"), "--resolution", "7x6",
          "--screenshot", str(tmp_path / "shot.png"), "--json", str(out)])
    qtbot.waitUntil(out.exists, timeout=60_000)
    assert json.loads(out.read_text())[0]["ranked"][0]["person"] == "yaleB07"


def test_probe_photo_face_found_or_placed_by_eyes(window, qtbot, synthetic_gallery):
    """A large photo is searched for its face; when none is found, two clicked eyes align it."""
    folder, probes = synthetic_gallery
    load(window, qtbot, folder)
    train(window, qtbot)
    rng = np.random.default_rng(0)
    photo = np.clip(0.5 + 0.1 * rng.standard_normal((300, 400)), 0, 1)
    with qtbot.waitSignal(window.probe_searched, timeout=30_000):
        assert window.results.set_probe_image(photo, "photo.png")
        assert window.probe_searching() and "Finding the face" in window.results.verdict.text()
        assert window.results.aligned.text() == "searching…"
    assert window.results.probe_image is None and "No face found" in window.results.verdict.text()
    assert "no face found" in window.results.aligned.text()
    # Put person3's face into the photo at twice the frame size, and click its eyes.
    import cv2

    from slrfr_gui.faces.facemodel import default_face_model

    face = cv2.resize(probes["person3"], (80, 96), interpolation=cv2.INTER_LINEAR)
    photo[100:196, 150:230] = face
    eyes = default_face_model().eye_centres * 2 + 0.5 + np.array([150, 100])
    window.results.set_probe_image(photo, "photo2.png")
    window.results.place_eyes(((eyes[0][0], eyes[0][1]), (eyes[1][0], eyes[1][1])))
    assert window.results.probe_image.shape == (48, 40)
    assert window.results.result.ranked[0][0] == "person3"
    assert "photo2.png" in window.results.eye_memory


def test_camera_view_with_a_video_file(window, qtbot, synthetic_gallery, tmp_path):
    from slrfr_gui.faces.camera import write_video

    folder, probes = synthetic_gallery
    load(window, qtbot, folder)
    train(window, qtbot)
    frames = []
    rng = np.random.default_rng(2)
    for i in range(6):
        frame = np.clip(0.5 + 0.05 * rng.standard_normal((120, 160)), 0, 1)
        frame[30:78, 60:100] = probes["person2"]
        frames.append(frame)
    video = write_video(tmp_path / "cam.avi", frames)
    window.camera_dock.show()
    camera = window.camera_view
    camera.continuous.setChecked(True)
    camera.start(str(video))
    qtbot.waitUntil(lambda: camera.last is not None and camera.last["index"] >= 2, timeout=30_000)
    assert "frames/s" in camera.status.text()
    with qtbot.waitSignal(window.identified, timeout=5_000):
        assert camera.capture()
    assert window.results.probe_source.startswith("camera frame")
    camera.enroll_name.setText("Visitor")
    camera.enroll_count.setValue(2)
    with qtbot.waitSignal(camera.enroll, timeout=30_000):
        camera.start_enrolment()
    assert window.gallery.count("Visitor") == 2
    source = camera.worker.source
    assert camera.stop()
    assert source.released and not camera.running()


def test_camera_errors_are_shown(window, qtbot, tmp_path):
    camera = window.camera_view
    camera.start(str(tmp_path / "no-such-video.avi"))
    qtbot.waitUntil(lambda: "no such camera" in camera.status.text(), timeout=10_000)
    qtbot.waitUntil(lambda: not camera.running(), timeout=10_000)


def test_camera_buttons_and_a_source_without_frames(qtbot, tmp_path, synthetic_gallery):
    from slrfr_gui.faces.camera import write_video
    from slrfr_gui.gui.camera_view import CameraView

    folder, probes = synthetic_gallery
    view = CameraView()
    qtbot.addWidget(view)
    frames = [np.clip(0.5 + 0.05 * np.random.default_rng(i).standard_normal((120, 160)), 0, 1) for i in range(3)]
    view.source.setCurrentText(str(write_video(tmp_path / "v.avi", frames)))
    view.btn_start.click()  # the button, not start(path): 'clicked' must not pass its flag as the source
    qtbot.waitUntil(lambda: view.last is not None, timeout=20_000)
    view.btn_stop.click()
    assert not view.running()
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "x.txt").write_text("not a frame")
    view.start(str(junk))
    qtbot.waitUntil(lambda: "no image that can be read" in view.status.text(), timeout=20_000)
    assert view.stop()  # returns promptly, no abort


def test_a_newer_probe_supersedes_a_photo_still_searched(window, qtbot, synthetic_gallery):
    """The search for a photo's face runs in a worker; a probe given meanwhile wins, and closing waits for it."""
    folder, probes = synthetic_gallery
    load(window, qtbot, folder)
    train(window, qtbot)
    photo = np.clip(0.5 + 0.1 * np.random.default_rng(1).standard_normal((900, 1200)), 0, 1)
    assert window.results.set_probe_image(photo, "photo.png")
    searching = next(iter(window.results.probe_tasks))
    assert window.probe_searching() and window.results.probe_given.shape == photo.shape
    window.results.set_probe_image(probes["person2"], "crop.png")  # 48x40: taken as a crop at once
    assert not window.probe_searching() and window.results.result.ranked[0][0] == "person2"
    qtbot.waitUntil(lambda: searching not in window.results.probe_tasks, timeout=30_000)
    assert window.results.probe_source == "crop.png" and window.results.result.ranked[0][0] == "person2"
    assert window.results.probe_failure is None
    window.results.set_probe_image(photo, "photo.png")
    window.close()  # cancels the search and waits for its thread
    assert all(task.wait(0) for task in window.results.probe_tasks)  # every search thread has ended


def test_coinciding_eyes_are_reported_not_raised(window, qtbot, synthetic_gallery):
    rng = np.random.default_rng(0)
    window.results.set_probe_image(rng.random((200, 300)), "photo.png")
    assert window.results.place_eyes(((5.0, 5.0), (5.0, 5.0))) is False
    assert "coincide" in window.error_box.text()


def test_eyes_dialog_takes_two_distinct_clicks(qtbot):
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QDialogButtonBox

    from slrfr_gui.gui.eyes_dialog import EyesDialog

    dialog = EyesDialog(np.random.default_rng(0).random((96, 80)))
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.add_point(QPointF(60, 100))
    dialog.add_point(QPointF(60, 100))
    assert not ok.isEnabled() and dialog.eyes is not None  # the same spot twice is not two eyes
    dialog.add_point(QPointF(40, 90))  # a third click starts over
    dialog.add_point(QPointF(200, 92))
    assert ok.isEnabled()
    (lx, ly), (rx, ry) = dialog.eyes
    assert lx < rx and abs(ly - ry) < 2 / dialog.scale + 1


def test_a_one_person_model_names_its_person_but_does_not_judge_unknown(qtbot, synthetic_gallery):
    from slrfr_gui.method.learned import LearnedRelightingClassifier
    from slrfr_gui.gui.results import ResultsPanel, identify

    _, probes = synthetic_gallery
    model = LearnedRelightingClassifier(resolution=(7, 6)).fit(probes["person1"][None], ["person1"])
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    result = identify(model, probes["person3"], threshold=0.0)  # a stranger, and a threshold that rejects all
    assert result.n_persons == 1 and not result.unknown
    panel.show_result(result)
    text = panel.verdict.text()
    assert "Best match: <b>person1</b>" in text and "cannot be judged" in text and "Unknown" not in text
    two = LearnedRelightingClassifier(resolution=(7, 6)).fit(np.stack([probes["person1"], probes["person2"]]),
                                                 ["person1", "person2"])
    panel.show_result(identify(two, probes["person3"], threshold=0.0))
    assert "<b>Unknown</b>" in panel.verdict.text()
