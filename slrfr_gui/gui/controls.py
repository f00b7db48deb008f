"""The resolution slider and the training controls.

Run on its own: ``python -m slrfr_gui.gui.controls``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QProgressBar, QPushButton, QSlider, QSpinBox, QVBoxLayout, QWidget)

from ..faces.frame import format_resolution, parse_resolution
from . import settings
from .common import ElidedLabel


def slider_steps() -> list[tuple[int, int]]:
    """Probe sizes on the slider: 5x4 up to 24x20, keeping the 6:5 aspect of the 48 x 40 frame."""
    return [(r, int(r * 5 / 6 + 0.5)) for r in range(5, 25)]


class ResolutionBar(QWidget):
    """A slider over :func:`slider_steps` plus a box for any typed size.

    Signals
    -------
    resolution_changed(tuple)
        (rows, columns) whenever the slider moves or a valid size is typed.
    """

    resolution_changed = Signal(tuple)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.steps = slider_steps()
        self._resolution = (7, 6)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Probe resolution:"))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, len(self.steps) - 1)
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setMinimumWidth(220)
        self.slider.setToolTip("Probe size, rows × columns, from 5×4 to 24×20 (6:5 like the 48×40 face frame)")
        self.edit = QLineEdit()
        self.edit.setMaximumWidth(70)
        self.edit.setToolTip("Type any size as ROWSxCOLUMNS (5x4 to 48x40) and press Enter")
        self.state = QLabel("")
        self.auto = QCheckBox("retrain automatically")
        self.auto.setToolTip("Train a model as soon as a size without one is chosen")
        self.auto.setChecked(settings.read("train/auto_retrain"))
        self.auto.toggled.connect(lambda on: settings.write("train/auto_retrain", on))
        row.addWidget(self.slider, 1)
        row.addWidget(self.edit)
        row.addWidget(self.state)
        row.addWidget(self.auto)
        self.slider.valueChanged.connect(self._slider_moved)
        self.edit.editingFinished.connect(self._typed)
        self.set_resolution((7, 6), emit=False)

    @property
    def resolution(self) -> tuple[int, int]:
        return self._resolution

    def set_resolution(self, resolution, emit: bool = True) -> None:
        res = (int(resolution[0]), int(resolution[1]))
        changed = res != self._resolution
        self._resolution = res
        nearest = min(range(len(self.steps)), key=lambda i: abs(self.steps[i][0] - res[0]) + abs(self.steps[i][1] - res[1]))
        self.slider.blockSignals(True)
        self.slider.setValue(nearest)
        self.slider.blockSignals(False)
        self.edit.setText(format_resolution(res))
        self.edit.setStyleSheet("")
        if emit and changed:
            self.resolution_changed.emit(res)

    def _slider_moved(self, index: int) -> None:
        self.set_resolution(self.steps[index])

    def _typed(self) -> None:
        try:
            res = parse_resolution(self.edit.text())
        except ValueError as exc:
            self.edit.setStyleSheet("background: #ffd6d6; color: black")
            self.edit.setToolTip(str(exc))
            return
        self.edit.setToolTip("Type any size as ROWSxCOLUMNS (5x4 to 48x40) and press Enter")
        self.set_resolution(res)

    def set_trained(self, trained: bool, stale: bool = False) -> None:
        if trained and stale:
            self.state.setText("⚠ trained on an older gallery")
        elif trained:
            self.state.setText("✓ trained")
        else:
            self.state.setText("✗ not trained")


class TrainingControls(QWidget):
    """Train and Cancel, the progress bar with elapsed and remaining time, and the advanced parameters."""

    train_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.btn_train = QPushButton("Train")
        self.btn_train.setToolTip("Enrol the gallery at this size: its faces as references for the learned "
                                  "relighting, or (physical relighting) nine relit images and one dictionary "
                                  "per person (Ctrl+T)")
        self.btn_cancel = QPushButton("Cancel")
        self.btn_cancel.setToolTip("Stop the running work; nothing is changed (Esc)")
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        # Elided (whole in the tooltip): a long state ("served at …, retrain") widened the window.
        self.status = ElidedLabel("", 200)
        row.addWidget(self.btn_train)
        row.addWidget(self.btn_cancel)
        row.addWidget(self.progress, 1)
        row.addWidget(self.status)
        layout.addLayout(row)
        self.advanced = QGroupBox("Advanced training parameters")
        self.advanced.setCheckable(True)
        self.advanced.setChecked(False)
        self.advanced.setToolTip("K-SVD and PCA parameters; the defaults suit one to a few images per person")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)  # spin boxes stretched ~1000 px
        self.mode = QComboBox()
        self.mode.addItem("SLRFR, learned relighting (lighting change; the default)", ("slrfr", "learned"))
        self.mode.addItem("SLRFR, physical relighting (the paper's nine lights and K-SVD)", ("slrfr", "physical"))
        self.mode.addItem("Outdoor: eigenbasis, l1 projection, SVM (several images per person)", ("outdoor", None))
        self.mode.setToolTip("SLRFR relights each gallery image to the probe's kind of light: by the mean log "
                             "ratio learned from training faces (the default, most accurate), or physically "
                             "under nine lights with the mean face shape, as the paper did (the atoms, sparsity, "
                             "iterations and PCA settings apply to this one). The paper's outdoor variant "
                             "(section 4.3) skips relighting and needs several gallery images per person")
        form.addRow("classifier", self.mode)
        self.n_atoms = self._spin(0, 500, "K: atoms per person's dictionary; 0 (auto): max(10, pixels / 2)")
        self.n_atoms.setSpecialValueText("auto")
        self.sparsity = self._spin(1, 50, "T0: non-zero coefficients per signal in K-SVD")
        self.n_iter = self._spin(0, 100, "K-SVD iterations")
        self.n_components = self._spin(0, 2000, "PCA features (0: automatic); a number here switches from the"
                                            " square-root features to the paper's PCA features")
        self.n_components.setSpecialValueText("auto")
        form.addRow("atoms (K)", self.n_atoms)
        form.addRow("sparsity (T0)", self.sparsity)
        form.addRow("K-SVD iterations", self.n_iter)
        form.addRow("PCA components", self.n_components)
        self.btn_reset = QPushButton("Reset to defaults")
        self.btn_reset.clicked.connect(self.reset_parameters)
        reset_row = QHBoxLayout()
        reset_row.addWidget(self.btn_reset)
        reset_row.addStretch(1)
        form.addRow(reset_row)
        inner = QWidget()
        inner.setLayout(form)
        box = QVBoxLayout(self.advanced)
        box.addWidget(inner)
        self.advanced.toggled.connect(inner.setVisible)
        inner.setVisible(False)
        layout.addWidget(self.advanced)
        self.btn_train.clicked.connect(self.train_requested)
        self.btn_cancel.clicked.connect(self.cancel_requested)
        self.load_parameters()
        for spin in (self.n_atoms, self.sparsity, self.n_iter, self.n_components):
            spin.valueChanged.connect(self.save_parameters)
        self.mode.currentIndexChanged.connect(self._enable_dictionary_settings)
        self._enable_dictionary_settings()

    def _enable_dictionary_settings(self) -> None:
        """Atoms, sparsity, iterations and PCA components apply to the physical relighting only."""
        physical = self.mode.currentData()[1] == "physical"
        for spin in (self.n_atoms, self.sparsity, self.n_iter, self.n_components):
            spin.setEnabled(physical)

    @staticmethod
    def _spin(lo, hi, tip):
        spin = QSpinBox()
        spin.setRange(lo, hi)
        spin.setMinimumWidth(90)
        spin.setToolTip(tip)
        return spin

    def load_parameters(self) -> None:
        for key, spin in zip(settings.TRAINING_KEYS, (self.n_atoms, self.sparsity, self.n_iter, self.n_components)):
            spin.blockSignals(True)
            spin.setValue(settings.read(key))
            spin.blockSignals(False)

    def save_parameters(self) -> None:
        for key, spin in zip(settings.TRAINING_KEYS, (self.n_atoms, self.sparsity, self.n_iter, self.n_components)):
            settings.write(key, spin.value())

    def reset_parameters(self) -> None:
        settings.reset(settings.TRAINING_KEYS)
        self.load_parameters()
        self.mode.setCurrentIndex(0)

    def parameters(self) -> dict:
        """Keyword arguments for :func:`~slrfr_gui.method.classifiers.make_classifier` (``mode`` and its parameters)."""
        components = self.n_components.value() or None
        mode, relighting = self.mode.currentData()
        if relighting == "learned":
            return {"mode": mode, "relighting": "learned", "features": "log"}
        return {"mode": mode, "relighting": "physical", "n_atoms": self.n_atoms.value() or None,
                "sparsity": self.sparsity.value(), "n_iter": self.n_iter.value(), "n_components": components,
                "features": "pca" if components else "sqrt"}

    def set_busy(self, busy: bool, can_train: bool) -> None:
        self.btn_train.setEnabled(can_train and not busy)
        self.btn_cancel.setEnabled(busy)
        self.advanced.setEnabled(not busy)

    #: What each stage of the core's progress is called, and its place among the stages of its work.
    STAGES = {"relight": ("step 1 of 2: relighting, face", 1), "train": ("step 2 of 2: dictionaries, person", 2),
              "enroll": ("enrolling, image", 1), "load": ("loading", 1), "identify": ("probe", 1),
              "save": ("saving, byte", 1)}

    def show_progress(self, done: int, total: int, stage: str, elapsed: float) -> None:
        """Show ``done`` of ``total`` for ``stage``; the time left is estimated from this stage alone
        (the dictionaries after the relighting are another kind of work)."""
        what, order = self.STAGES.get(stage, (stage, 1))
        if stage != getattr(self, "_stage", None) or elapsed < getattr(self, "_stage_started", 0.0):
            self._stage, self._stage_started = stage, elapsed
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        spent = elapsed - self._stage_started
        left = f", ~{spent / done * (total - done):.0f} s left" if done and spent > 0 and done < total else ""
        self.status.setText(f"{what} {done}/{total} · {elapsed:.1f} s{left}")


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    w = QWidget()
    v = QVBoxLayout(w)
    v.addWidget(ResolutionBar())
    v.addWidget(TrainingControls())
    w.show()
    sys.exit(app.exec())
