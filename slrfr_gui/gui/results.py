"""The probe and its ranked matches: residual bars, reconstructions, margin and "unknown".

Run on its own with fictional persons: ``python -m slrfr_gui.gui.results``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QDoubleSpinBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QSlider, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..faces.frame import prepare_probe
from ..method.openset import ONE_PERSON_NOTE
from .common import ElidedLabel, fit_pixmap, image_label, palette_colours, to_pixmap
from .probe_loading import preview_of


@dataclass
class Identification:
    """The outcome for one probe, as plain data."""

    ranked: list  # [(person, residual)], best first
    ratio: float  # smallest / second-smallest residual
    threshold: float
    reconstructions: list  # [(person, ndarray (r, c))] for the top three
    warning: str = ""  # e.g. the probe was up-sampled to the model's resolution
    n_persons: int = 2  # enrolled; with one, "unknown" cannot be judged

    @property
    def unknown(self) -> bool:
        return self.n_persons >= 2 and self.ratio > self.threshold

    @property
    def margin(self) -> float:
        return self.ranked[1][1] - self.ranked[0][1] if len(self.ranked) > 1 else float("nan")


def identify(model, probe_image: np.ndarray, threshold: float, top: int = 10, noise: float = 0.0) -> Identification:
    """Rank every person for a probe image with a fitted classifier (any input size; ``noise``: see
    :meth:`slrfr_gui.method.slrfr.SLRFRClassifier.residuals`)."""
    ranked, ratio = model.rank_probe(probe_image, top=max(top, 3), noise=noise)
    lr = prepare_probe(probe_image, model.resolution_)
    index = {str(p): i for i, p in enumerate(model.classes_)}
    recon = [(person, model.reconstruct(lr, index[person])) for person, _ in ranked[:3]]
    return Identification(ranked[:top], ratio, float(threshold), recon, n_persons=len(model.classes_))


class ResidualBars(pg.PlotWidget):
    """Horizontal bars of the ranked persons' residuals, best at the top and highlighted."""

    def __init__(self, parent=None):
        background, _ = palette_colours()
        super().__init__(parent, background=background)
        self.setMinimumHeight(100)  # a 768 px screen with the Scan dock open
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        plot = self.getPlotItem()
        plot.setLabel("bottom", "residual (smaller = better match)")
        plot.getAxis("bottom").enableAutoSIPrefix(False)
        plot.invertY(True)
        self.values: list[float] = []
        self.names: list[str] = []
        self.bar_item: pg.BarGraphItem | None = None
        _, foreground = palette_colours()
        self.placeholder = pg.TextItem("residuals of the ranked persons\nappear here", color=foreground,
                                       anchor=(0.5, 0.5))
        self.placeholder.setPos(0.5, 0.5)
        self.set_ranked([])

    def set_ranked(self, ranked, unknown: bool = False) -> None:
        """Show ``ranked`` ((person, residual) pairs, best first); an empty list clears the names and the
        axes too (they kept the previous probe's ten names) and says what will appear."""
        if self.bar_item is not None:
            self.removeItem(self.bar_item)
            self.bar_item = None
        self.values = [v for _, v in ranked]
        self.names = [name for name, _ in ranked]
        plot = self.getPlotItem()
        plot.getAxis("left").setTicks([[(i, name) for i, name in enumerate(self.names)]])
        for side in ("left", "bottom"):
            plot.showAxis(side, bool(ranked))
        if not ranked:
            if self.placeholder.scene() is None:
                self.addItem(self.placeholder)
            self.setXRange(0, 1, padding=0)
            self.setYRange(0, 1, padding=0)
            return
        if self.placeholder.scene() is not None:
            self.removeItem(self.placeholder)
        n = len(ranked)
        best = "#9a9a9a" if unknown else "#e07b1f"
        brushes = [pg.mkBrush(best if i == 0 else "#5b8fd1") for i in range(n)]
        self.bar_item = pg.BarGraphItem(x0=0, y=np.arange(n), height=0.7, width=self.values, brushes=brushes)
        self.addItem(self.bar_item)
        top = max(self.values)
        self.setXRange(0, top * 1.05 if top > 0 else 1.0, padding=0)
        self.setYRange(-0.6, n - 0.4, padding=0)


class ResultsPanel(QWidget):
    """Probe views, the ranked table with thumbnails, residual bars, reconstructions and the unknown threshold.

    Signals
    -------
    threshold_changed(float)
    noise_changed(float)
        The probe noise setting (standard deviation of grey levels in [0, 1]; 0 is off).
    """

    threshold_changed = Signal(float)
    noise_changed = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.thumbnails: dict[str, np.ndarray] = {}
        self.result: Identification | None = None
        self.default_threshold = 0.8
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)

        probes = QHBoxLayout()
        # Short: the frame may shrink to 84 px on a small screen (the tooltip says the rest).
        self.given = image_label("Drop a probe here, or Ctrl+V, Ctrl+O", 120, 140,
                                 "The probe as given. Drop an image here, paste one (Ctrl+V) or "
                                 "File → Open probe (Ctrl+O)", 84, 100)
        self.aligned = image_label("aligned", 120, 140, "The probe in the canonical face frame", 84, 100)
        self.lowres = image_label("at the model's resolution", 120, 140, "What the classifier sees", 84, 100)
        captions = QGridLayout()
        for col, (w, text) in enumerate(((self.given, "as given"), (self.aligned, "aligned"),
                                         (self.lowres, "at model resolution"))):
            captions.addWidget(w, 0, col)
            caption = QLabel(text, alignment=Qt.AlignmentFlag.AlignCenter)
            caption.setWordWrap(True)  # "at model resolution" in two lines when the frame is narrow
            captions.addWidget(caption, 1, col)
        probes.addLayout(captions)
        side = QVBoxLayout()
        self.btn_eyes = QPushButton("Place eyes…")
        self.btn_eyes.setToolTip("Click the two eye centres of the probe when the face is not found, or found wrongly")
        self.btn_eyes.setEnabled(False)
        self.probe_note = QLabel("")
        self.probe_note.setWordWrap(True)
        self.probe_note.setMaximumWidth(160)
        self.probe_note.setMinimumWidth(90)
        side.addWidget(self.btn_eyes)
        side.addWidget(self.probe_note)
        side.addStretch(1)
        probes.addLayout(side)
        recon_box = QGridLayout()
        self.recon = [image_label("", 70, 84, "The probe as this person's relit face (or dictionary) "
                                               "reconstructs it", 52, 62)
                      for _ in range(3)]
        # Names elide (whole in the tooltip): long ones widened the window and ran into each other.
        self.recon_names = [ElidedLabel("", 52) for _ in range(3)]
        for name in self.recon_names:
            name.setAlignment(Qt.AlignmentFlag.AlignCenter)
        recon_title = QLabel("reconstructed by the top three:")
        recon_title.setWordWrap(True)
        recon_box.addWidget(recon_title, 0, 0, 1, 3)
        for i in range(3):
            recon_box.addWidget(self.recon[i], 1, i)
            recon_box.addWidget(self.recon_names[i], 2, i)
        probes.addLayout(recon_box)
        probes.addStretch(1)
        layout.addLayout(probes)

        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.verdict)

        thr = QHBoxLayout()
        thr.addWidget(ElidedLabel("Unknown when best / second residual >", 90))
        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        self.threshold_slider.setRange(0, 1000)
        self.threshold_slider.setMinimumWidth(80)
        self.threshold_slider.setToolTip("Move right to name more probes, left to say 'unknown' more often")
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.0, 1.0)
        self.threshold_spin.setDecimals(3)
        self.threshold_spin.setSingleStep(0.01)
        self.btn_default = QPushButton("Default")
        self.btn_default.setToolTip("The threshold calibrated on training subjects for this resolution (FPIR 0.1)")
        self.noise_spin = QDoubleSpinBox()
        self.noise_spin.setRange(0.0, 0.2)
        self.noise_spin.setDecimals(3)
        self.noise_spin.setSingleStep(0.005)
        self.noise_spin.setPrefix("probe noise σ ")
        self.noise_spin.setSpecialValueText("probe noise: off")
        self.noise_spin.setToolTip("For noisy probes: the noise's standard deviation in grey levels of [0, 1] (0.02 is "
                                   "about 5 of 255). Dark pixels then count less. Learned relighting only; it costs "
                                   "accuracy on clean probes, so leave it off for them.")
        thr.addWidget(self.threshold_slider, 1)
        thr.addWidget(self.threshold_spin)
        thr.addWidget(self.btn_default)
        thr.addWidget(self.noise_spin)
        layout.addLayout(thr)
        self.noise_spin.valueChanged.connect(lambda v: self.noise_changed.emit(float(v)))
        self.threshold_slider.valueChanged.connect(lambda v: self.set_threshold(v / 1000))
        self.threshold_spin.valueChanged.connect(self.set_threshold)
        self.btn_default.clicked.connect(lambda: self.set_threshold(self.default_threshold))

        split = QSplitter(Qt.Orientation.Horizontal)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["rank", "gallery", "person", "residual"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 40), (1, 48), (3, 70)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
            self.table.setColumnWidth(col, width)
        self.table.setIconSize(QSize(32, 38))
        self.bars = ResidualBars()
        split.addWidget(self.table)
        split.addWidget(self.bars)
        split.setSizes([320, 420])
        layout.addWidget(split, 1)
        self._threshold = 0.8
        self.set_threshold(0.8)

    # --------------------------------------------------------------- probe
    def show_probe(self, given: np.ndarray | None, aligned: np.ndarray | None, resolution, note: str = "",
                   searching: bool = False) -> None:
        """Show the probe as given, aligned in the canonical frame, and at ``resolution``
        (``searching``: its face is still being looked for)."""
        if given is None:
            return
        self.given.set_image(preview_of(given))
        self.probe_note.setText(note)
        if aligned is None:
            self.aligned.clear()
            self.aligned.setText("searching…" if searching else "no face found:\nPlace eyes…")
            self.lowres.clear()
            return
        self.aligned.set_image(preview_of(aligned))  # a face filling a photo is large
        if resolution is not None:
            self.lowres.set_image(prepare_probe(aligned, resolution))

    # ------------------------------------------------------------ threshold
    @property
    def threshold(self) -> float:
        return self._threshold

    def set_threshold(self, value: float) -> None:
        value = float(min(max(value, 0.0), 1.0))
        changed = abs(value - getattr(self, "_threshold", -1)) > 1e-9
        self._threshold = value
        for w, v in ((self.threshold_slider, int(round(value * 1000))), (self.threshold_spin, value)):
            w.blockSignals(True)
            w.setValue(v)
            w.blockSignals(False)
        if self.result is not None:
            self.result.threshold = value
            self._show_verdict()
            self.bars.set_ranked(self.result.ranked, self.result.unknown)
        if changed:
            self.threshold_changed.emit(value)

    def set_default_threshold(self, value: float, apply: bool = True) -> None:
        self.default_threshold = float(value)
        self.btn_default.setToolTip(f"{value:.3f}: calibrated on training subjects for this resolution (FPIR 0.1)")
        if apply:
            self.set_threshold(value)

    # -------------------------------------------------------------- results
    def show_result(self, result: Identification | None) -> None:
        self.result = result
        ranked = result.ranked if result else []
        self.table.setRowCount(len(ranked))
        for i, (person, residual) in enumerate(ranked):
            items = [QTableWidgetItem(str(i + 1)), QTableWidgetItem(), QTableWidgetItem(person),
                     QTableWidgetItem(f"{residual:.4f}")]
            if person in self.thumbnails:
                items[1].setIcon(to_pixmap(self.thumbnails[person]))
            if i == 0:
                for item in items:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
            for col, item in enumerate(items):
                self.table.setItem(i, col, item)
            self.table.setRowHeight(i, 40)
        self.bars.set_ranked(ranked, bool(result and result.unknown))
        for i in range(3):
            if result and i < len(result.reconstructions):
                person, image = result.reconstructions[i]
                self.recon[i].set_image(np.clip(image, 0, 1))
                self.recon_names[i].setText(person)
            else:
                self.recon[i].clear()
                self.recon_names[i].setText("")
        self._show_verdict()

    def _show_verdict(self) -> None:
        r = self.result
        if r is None or not r.ranked:
            self.verdict.setText("")
            return
        best, res = r.ranked[0]
        margin = f", margin to the second {r.margin:.4f}" if len(r.ranked) > 1 else ""
        if r.n_persons < 2:
            self.verdict.setText(f"Best match: <b>{best}</b> (residual {res:.4f}); {ONE_PERSON_NOTE}.")
        elif r.unknown:
            self.verdict.setText(f"<b>Unknown</b>: the best match, {best}, is not clearly better than the rest "
                                 f"(ratio {r.ratio:.3f} > {r.threshold:.3f}{margin}).")
        else:
            self.verdict.setText(f"Best match: <b>{best}</b> (residual {res:.4f}{margin}; ratio {r.ratio:.3f} "
                                 f"≤ {r.threshold:.3f}).")
        if r.warning:
            self.verdict.setText(self.verdict.text() + f"<br>⚠ <b>Warning</b>: {html.escape(r.warning)}")

    def clear(self) -> None:
        self.show_result(None)


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    from PySide6.QtWidgets import QApplication

    from ..method.learned import LearnedRelightingClassifier
    from .common import sample_gallery

    app = QApplication(sys.argv)
    g = sample_gallery()
    clf = LearnedRelightingClassifier(resolution=(7, 6)).fit(g.faces, g.labels)
    panel = ResultsPanel()
    panel.thumbnails = {p: g.thumbnail(p) for p in g.persons}
    probe = g.images[1].face
    panel.show_probe(probe, probe, (7, 6))
    panel.show_result(identify(clf, probe, 0.8))
    panel.resize(800, 600)
    panel.show()
    sys.exit(app.exec())
