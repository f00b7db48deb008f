"""The first window's open -> train -> identify flow, offscreen, with pytest-qt."""

import time

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from slrfr_gui.core.frame import degrade  # noqa: E402
from slrfr_gui.core.imageio import write_grey  # noqa: E402
from slrfr_gui.gui.app import MainWindow, ResidualBars, main  # noqa: E402


@pytest.fixture
def window(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    return win


def test_open_train_identify(window, qtbot, synthetic_gallery, tmp_path):
    folder, probes = synthetic_gallery
    with qtbot.waitSignal(window.gallery_loaded, timeout=20_000):
        window.open_gallery(folder)
    assert window.person_list.count() == 6
    assert window.btn_train.isEnabled()
    window.resolution_box.setCurrentText("10x8")
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.btn_train.click()
    assert (10, 8) in window.models
    probe = tmp_path / "probe.png"
    write_grey(probe, degrade(probes["person4"], (10, 8)))
    with qtbot.waitSignal(window.identified, timeout=5_000) as blocker:
        window.set_probe(probe)
    ranked = blocker.args[0]
    assert ranked[0][0] == "person4"
    assert window.table.rowCount() == 6
    assert window.table.item(0, 2).text() == "person4"
    assert window.bars.values == [v for _, v in ranked]
    assert "person4" in window.result_label.text()
    # A model for another size is kept, not thrown away.
    window.resolution_box.setCurrentText("7x6")
    assert window.model is None and window.table.rowCount() == 0
    window.resolution_box.setCurrentText("10x8")
    assert window.model is not None and window.table.rowCount() == 6
    # Save and reopen the model.
    window.save_model(tmp_path / "m.npz")
    window.models.clear()
    with qtbot.waitSignal(window.model_ready, timeout=5_000):
        window.open_model(tmp_path / "m.npz")
    assert window.table.item(0, 2).text() == "person4"


def test_training_can_be_cancelled_and_window_stays_responsive(window, qtbot, synthetic_gallery):
    folder, _ = synthetic_gallery
    with qtbot.waitSignal(window.gallery_loaded, timeout=20_000):
        window.open_gallery(folder)
    # Slow each relighting step down so that cancel lands mid-way.
    gallery = window.gallery
    import slrfr_gui.core.classifier as classifier

    original = classifier.relight

    def slow_relight(*args, **kwargs):
        time.sleep(0.2)
        return original(*args, **kwargs)

    classifier.relight = slow_relight
    try:
        window.train()
        assert window.btn_cancel.isEnabled()
        ticks = []
        start = time.monotonic()
        while time.monotonic() - start < 0.5:  # the event loop keeps running while the worker trains
            qtbot.wait(20)
            ticks.append(time.monotonic())
        assert max(np.diff(ticks)) < 0.2
        with qtbot.waitSignal(window.task.cancelled, timeout=10_000):
            window.btn_cancel.click()
        qtbot.waitUntil(lambda: not window.task.is_running(), timeout=10_000)
    finally:
        classifier.relight = original
    assert window.models == {}
    assert window.btn_train.isEnabled()
    assert gallery is window.gallery


def test_errors_reach_the_user(window, qtbot, tmp_path):
    window.open_gallery(tmp_path / "missing")
    qtbot.waitUntil(lambda: hasattr(window, "error_box"), timeout=10_000)
    assert "no such folder" in window.error_box.text()
    (tmp_path / "bad.png").write_bytes(b"not an image")
    window.set_probe(tmp_path / "bad.png")
    assert "bad.png" in window.error_box.text()


def test_bad_resolution_text_disables_training(window, qtbot, synthetic_gallery):
    folder, _ = synthetic_gallery
    with qtbot.waitSignal(window.gallery_loaded, timeout=20_000):
        window.open_gallery(folder)
    window.resolution_box.setCurrentText("3x2")
    assert not window.btn_train.isEnabled()
    assert "ROWSxCOLUMNS" in window.status.text()


def test_residual_bars_show_best_first(qtbot):
    bars = ResidualBars()
    qtbot.addWidget(bars)
    bars.set_ranked([("a", 0.1), ("b", 0.3)])
    assert bars.values == [0.1, 0.3]


def test_screenshot_option(qtbot, synthetic_gallery, tmp_path, monkeypatch):
    folder, probes = synthetic_gallery
    write_grey(tmp_path / "p.png", probes["person1"])
    shot = tmp_path / "shot.png"
    from PySide6.QtWidgets import QApplication

    monkeypatch.setattr(QApplication, "exec", lambda self=None: 0)
    main(["--gallery", str(folder), "--train", "--probe", str(tmp_path / "p.png"), "--screenshot", str(shot)])
    qtbot.waitUntil(shot.exists, timeout=60_000)
    assert shot.stat().st_size > 1000


def test_plot_updates_do_not_leak_references_to_true(qtbot):
    """PySide6 6.12.0 loses a reference to True per plot-item change, aborting Python 3.11 at exit."""
    import sys

    bars = ResidualBars()
    qtbot.addWidget(bars)
    before = sys.getrefcount(True)
    for _ in range(20):
        bars.set_ranked([("a", 0.1), ("b", 0.3)])
    assert sys.getrefcount(True) - before > -20
