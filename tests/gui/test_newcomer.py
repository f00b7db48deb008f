"""Issue 15: what a newcomer hit in the window (each test failed before its fix)."""

import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from slrfr_gui.core.gallery import Gallery


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
    def longest(self) -> float:
        return float(np.max(np.diff([self.start] + self.ticks + [self.end])))


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
