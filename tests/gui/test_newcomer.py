"""Issue 15: what a newcomer hit in the window (each test failed before its fix)."""

import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from slrfr_gui.gallery.gallery import Gallery


def load(window, qtbot, folder):
    with qtbot.waitSignal(window.gallery_loaded, timeout=20_000):
        window.open_gallery(folder)


def train(window, qtbot):
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.training.btn_train.click()


class StallProbe:
    """The longest gap between 5 ms timer ticks on the GUI thread (the method of tests/gui/test_load.py)."""

    def __init__(self):
        self.ticks = []
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def __enter__(self):
        self.start = time.perf_counter()
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.stop()
        self.end = time.perf_counter()

    @property
    def gaps(self) -> np.ndarray:
        return np.diff([self.start] + self.ticks + [self.end])

    @property
    def longest(self) -> float:
        return float(np.max(self.gaps))

    def check(self, limit: float = 0.4) -> None:
        """The GUI thread was never held for long: under ``limit`` seconds, and at most two gaps over 100 ms
        (one or two are the OS running other processes on a loaded 2-core machine, as tests/gui/test_load.py
        found; work on the GUI thread shows as one long stall: seconds before these fixes)."""
        long = self.gaps[self.gaps > 0.1]
        assert self.longest < limit and len(long) <= 2, (
            f"GUI thread held {self.longest * 1000:.0f} ms; {len(long)} gaps over 100 ms")


def test_window_refuses_sparsity_above_the_atoms_as_the_command_line_does(window, qtbot, synthetic_gallery):
    folder, _ = synthetic_gallery
    load(window, qtbot, folder)
    window.training.mode.setCurrentIndex(1)  # the physical relighting
    window.training.n_atoms.setValue(10)
    window.training.sparsity.setValue(50)
    with qtbot.waitSignal(window.task_failed, timeout=5_000) as blocker:
        window.train()
    assert "cannot exceed the atoms per person, 10" in blocker.args[0]
    assert not window.busy() and window.models == {}


def drop(window, path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    window.dropEvent(QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier))


def test_a_dropped_folder_of_probes_with_a_sub_folder_is_probes_and_unsaved_work_is_asked_about(
        window, qtbot, synthetic_gallery, tmp_path, answers):
    from slrfr_gui.files.imageio import write_grey
    from slrfr_gui.gui import dialogs

    folder, probes = synthetic_gallery
    load(window, qtbot, folder)
    train(window, qtbot)
    window.gallery_panel.add_person("Newcomer")
    assert window.has_unsaved_work()
    persons = list(window.gallery.persons)
    # probes_sub/ holds probe images and an old/ sub-folder: before, it opened as the one-person gallery "old".
    sub = tmp_path / "probes_sub"
    (sub / "old").mkdir(parents=True)
    for name, face in probes.items():
        write_grey(sub / f"{name}.png", face)
    write_grey(sub / "old" / "x.png", probes["person1"])
    with qtbot.waitSignal(window.batch_done, timeout=20_000):
        drop(window, sub)
    assert list(window.gallery.persons) == persons and window.models and window.has_unsaved_work()
    assert "identified as probes" in window.statusBar().currentMessage()
    assert len(window.batch_panel.rows) == len(probes) + 1
    assert not answers.asked  # nothing was to be replaced
    # A real gallery folder, the demo and Ctrl+G ask first; Cancel keeps everything.
    answers.unsaved = dialogs.CANCEL
    drop(window, folder)
    assert window.open_gallery(folder) is False
    window.open_demo()
    assert [kind for kind, _ in answers.asked] == ["unsaved"] * 3
    assert "Save before opening the gallery gallery" in answers.asked[0][1]
    assert list(window.gallery.persons) == persons and window.models and not window.busy()
    # Discard goes ahead.
    answers.unsaved = dialogs.DISCARD
    with qtbot.waitSignal(window.gallery_loaded, timeout=20_000):
        drop(window, folder)
    assert "Newcomer" not in window.gallery.persons


@pytest.fixture(scope="module")
def big_model():
    """A learned-relighting model of 160 persons at 24x20 (four images each): 12 MB of references."""
    from slrfr_gui.method.learned import LearnedRelightingClassifier
    from slrfr_gui.demo.synthetic import render_faces, sample_albedos
    from slrfr_gui.evaluation.yale import light_vector

    faces = render_faces(sample_albedos(160, seed=3), light_vector([0, 20, -20, 10], [0, 10, -5, 30]))
    labels = np.repeat([f"p{i:03d}" for i in range(160)], 4)
    return LearnedRelightingClassifier(resolution=(24, 20)).fit(faces.reshape(-1, 48, 40), labels)


def test_saving_a_large_model_does_not_hold_the_window(window, qtbot, big_model, tmp_path):
    window.models[(24, 20)] = big_model
    window.unsaved_models.add((24, 20))
    qtbot.wait(200)
    with StallProbe() as probe:
        assert window.save_model(tmp_path / "big.npz", (24, 20))
    print(f"longest GUI-thread stall while saving: {probe.longest * 1000:.0f} ms")
    probe.check()  # before: the whole save on the GUI thread (4711 ms measured)
    assert (24, 20) not in window.unsaved_models and (tmp_path / "big.npz").stat().st_size < 30e6


def test_progress_label_names_each_stage_and_estimates_from_it_alone(qtbot):
    from slrfr_gui.gui.controls import TrainingControls

    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.show_progress(2414, 2414, "relight", 10.0)
    assert controls.status.text().startswith("step 1 of 2: relighting, face 2414/2414") and "left" not in \
        controls.status.text()  # before: "relighting 2414/2414 · ~0 s left" while K-SVD ran for 20 s
    controls.show_progress(1, 10, "train", 12.0)
    controls.show_progress(3, 10, "train", 16.0)
    assert controls.status.text() == "step 2 of 2: dictionaries, person 3/10 · 16.0 s, ~9 s left"
    assert controls.progress.value() == 3 and controls.progress.maximum() == 10


def test_a_clean_exit_abandons_an_autosave_in_progress(qtbot, tmp_path, big_model):
    from slrfr_gui.gui import recovery

    class Owner:  # what SessionKeeper needs of the window
        def has_unsaved_work(self):
            return True

        def session(self):
            models = {res: big_model for res in [(24, 20), (23, 19), (22, 18)]}  # 36 MB to write
            return recovery.Session(None, False, models, {}, list(models))

    from PySide6.QtCore import QObject

    parent = QObject()
    owner = Owner()
    keeper = recovery.SessionKeeper(parent, recovery.RecoveryStore(tmp_path / "rec"), interval_ms=3_600_000)
    keeper.window = owner
    import slrfr_gui.files.datafile as datafile

    slow = datafile.CHUNK
    datafile.CHUNK = 1 << 16  # many small chunks: the write takes a while and checks often
    try:
        future = keeper.autosave()
        time.sleep(0.05)
        start = time.perf_counter()
        assert keeper.finish(timeout=30)
        took = time.perf_counter() - start
    finally:
        datafile.CHUNK = slow
    assert future.done() and took < 0.5, took  # before: waited for the whole write (seconds), then deleted it
    assert not (tmp_path / "rec").exists() or not any((tmp_path / "rec").iterdir())


@pytest.fixture(scope="module")
def big_photo(tmp_path_factory):
    """A 5000 x 4000 JPEG (20 megapixels) with a face in it."""
    import cv2
    from PIL import Image

    from slrfr_gui.demo.synthetic import render_faces, sample_albedos
    from slrfr_gui.evaluation.yale import light_vector

    rng = np.random.default_rng(1)
    photo = cv2.resize(rng.uniform(0.3, 0.7, (400, 500)), (5000, 4000), interpolation=cv2.INTER_LINEAR)
    face = render_faces(sample_albedos(1, seed=4), light_vector([0], [0]))[0, 0]
    photo[1500:1500 + 960, 2000:2000 + 800] = cv2.resize(face, (800, 960), interpolation=cv2.INTER_CUBIC)
    path = tmp_path_factory.mktemp("photo") / "big.jpg"
    Image.fromarray((photo * 255).astype(np.uint8)).save(path, quality=90)
    return path


def test_a_large_photo_is_decoded_off_the_gui_thread(window, qtbot, big_photo, monkeypatch):
    """The decoding, checking and drawing of a 20-megapixel photo stay off the GUI thread. The face search
    is taken as a crop here: the search itself (slrfr_gui.faces.detect) holds the GIL for 0.2-0.5 s at a time
    on such an image, a stall of its own that the worker cannot hide (see the issue 15 report)."""
    from slrfr_gui.faces.find import find_faces
    from slrfr_gui.gui import probe_loading

    monkeypatch.setattr(probe_loading, "find_faces", lambda image, eyes=None, should_stop=None:
                        find_faces(probe_loading.preview_of(image, 48), mode="crop"))
    qtbot.wait(200)
    with StallProbe() as probe:
        with qtbot.waitSignal(window.probe_searched, timeout=120_000):
            assert window.results.set_probe(big_photo)
            verdict = window.results.verdict.text()
    print(f"longest GUI-thread stall while opening a 20-megapixel probe: {probe.longest * 1000:.0f} ms")
    probe.check()  # before: decoded, checked and drawn on the GUI thread (1388 ms measured)
    assert "Reading big.jpg" in verdict  # said at once, before the file is even decoded
    assert window.results.probe_given.shape == (4000, 5000) and window.results.given.pixmap() is not None
    assert max(window.results.probe_preview[1].shape) <= 512


def _tick_names(window):
    levels = window.results.bars.getPlotItem().getAxis("left")._tickLevels or []
    return [name for level in levels for _, name in level]


def test_bars_forget_the_previous_probes_names(window, qtbot, synthetic_gallery, tmp_path):
    from slrfr_gui.faces.frame import degrade
    from slrfr_gui.files.imageio import write_grey

    folder, probes = synthetic_gallery
    load(window, qtbot, folder)
    train(window, qtbot)
    assert window.results.set_probe_image(degrade(probes["person2"], (10, 8)), "p2")
    assert len(_tick_names(window)) == 6 and window.results.bars.getPlotItem().getAxis("left").isVisible()
    for bad in (np.full((10, 8), 0.5), np.zeros((10, 8)), np.full((10, 8), np.nan)):
        assert window.results.set_probe_image(degrade(probes["person2"], (10, 8)), "p2")
        assert not window.results.set_probe_image(bad, "bad")
        assert _tick_names(window) == [], bad[0, 0]  # before: the previous probe's names stayed
        assert not window.results.bars.getPlotItem().getAxis("bottom").isVisible()  # no meaningless 0-1 axis
    assert window.results.set_probe_image(degrade(probes["person2"], (10, 8)), "p2")
    with qtbot.waitSignal(window.gallery_loaded, timeout=20_000):
        window.open_demo()  # the gallery replaced (the demo's model is not trained yet)
    assert _tick_names(window) == []


def test_batch_names_probes_sorts_up_and_says_when_done(window, qtbot, synthetic_gallery, tmp_path):
    from PySide6.QtCore import Qt

    from slrfr_gui.files.imageio import write_grey

    folder, probes = synthetic_gallery
    load(window, qtbot, folder)
    train(window, qtbot)
    batch = tmp_path / "a rather long folder name for the probes of a case" / "probes"
    (batch / "cam").mkdir(parents=True)
    for name, face in probes.items():
        write_grey(batch / f"{name}.png", face)
    write_grey(batch / "cam" / "z.png", probes["person1"])
    with qtbot.waitSignal(window.batch_done, timeout=30_000):
        window.run_batch(batch)
    table = window.batch_panel.table
    names = [table.item(i, 0).text() for i in range(table.rowCount())]
    assert names == sorted(names) == ["cam/z.png"] + [f"{p}.png" for p in sorted(probes)]  # before: descending paths
    assert table.item(0, 0).toolTip() == str(batch / "cam" / "z.png")
    assert table.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    message = window.statusBar().currentMessage()
    assert message.startswith("Batch done: 7 probes: 7 named") and "Identifying" not in message


def test_a_probe_opened_on_the_start_page_shows_the_main_page(window, qtbot, synthetic_gallery, tmp_path):
    from slrfr_gui.files.imageio import write_grey

    _, probes = synthetic_gallery
    write_grey(tmp_path / "p.png", probes["person1"])
    assert window.pages.currentWidget() is window.welcome
    assert window.results.set_probe(tmp_path / "p.png")
    assert window.pages.currentWidget() is window.main_page  # before: the start page stayed
    assert "No model for" in window.results.verdict.text() and "open a gallery folder" in window.results.verdict.text()


def test_an_interactive_session_that_showed_an_error_exits_0_after_a_normal_close(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from slrfr_gui.files.imageio import write_grey

    write_grey(tmp_path / "blank.png", np.full((48, 40), 0.5))  # refused: an error dialog
    log = tmp_path / "data" / "slrfr-gui" / "slrfr-gui" / "logs" / "slrfr-gui.log"
    proc = subprocess.Popen([sys.executable, "-m", "slrfr_gui.gui.app", "--probe", str(tmp_path / "blank.png")],
                            cwd=Path(__file__).resolve().parents[2], text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "c"),
                                 "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path / "home")})
    try:
        deadline = time.monotonic() + 60
        while not (log.exists() and "blank" in log.read_text()):  # the error was shown (and logged)
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)  # closes the window as its close button does
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "cannot identify" in err
    assert proc.returncode == 0, err  # before: 1, because an error dialog had appeared


@pytest.mark.parametrize("case", ["demo", "error"])
def test_scripted_runs_survive_fatal_qt_warnings(tmp_path, case):
    """The README recommends the offscreen platform for scripted runs; QT_FATAL_WARNINGS=1 aborted them on
    'This plugin does not support propagateSizeHints()' (the window's and the error box's size hints)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from slrfr_gui.files.imageio import write_grey

    args = ["--demo"]
    if case == "error":
        write_grey(tmp_path / "blank.png", np.full((48, 40), 0.5))
        args = ["--demo", "--probe", str(tmp_path / "blank.png")]
    proc = subprocess.run([sys.executable, "-m", "slrfr_gui.gui.app", *args, "--screenshot", str(tmp_path / "s.png")],
                          cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_FATAL_WARNINGS": "1",
                               "XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_DATA_HOME": str(tmp_path / "d"),
                               "HOME": str(tmp_path / "h")})
    assert "propagateSizeHints" not in proc.stderr
    assert proc.returncode == (0 if case == "demo" else 1), proc.stderr  # before: -6 (abort)
    assert (tmp_path / "s.png").exists()


def test_the_demo_trains_at_7x6_as_the_readme_says(window, qtbot):
    window.resolution_bar.set_resolution((24, 20))
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.open_demo()
    assert window.resolution == (7, 6) and (7, 6) in window.models  # before: trained at the last size used


def test_cosmetics_spin_boxes_relighting_grid_and_skipped_line(window, qtbot, synthetic_gallery, tmp_path):
    folder, _ = synthetic_gallery
    (folder / "person1" / "notes.txt").write_text("not an image")
    load(window, qtbot, folder)
    window.training.advanced.setChecked(True)
    window.resize(1400, 900)
    qtbot.wait(50)
    for spin in (window.training.n_atoms, window.training.sparsity, window.training.n_iter,
                 window.training.n_components):
        assert spin.width() < 200, spin.width()  # before: stretched ~1000 px
    # The relighting grid fits its panel at its narrowest, at the largest slider size (its right column was cut).
    window.resolution_bar.set_resolution((24, 20))
    view = window.relight_view
    view.resize(view.minimumWidth(), 700)
    qtbot.wait(50)
    # With room for larger fonts (the newcomer's X11 fonts cut it; here it needed 515 of 516 px before).
    assert view.canvas.ci.minimumWidth() <= 0.75 * view.canvas.viewport().width(), (
        view.canvas.ci.minimumWidth(), view.canvas.viewport().width())
    # One file skipped and no empty person: no "0 person(s) without images".
    assert window.gallery_panel.skipped.text() == "⚠ 1 file skipped: show…"
