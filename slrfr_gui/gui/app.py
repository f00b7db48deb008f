"""The first window: open a gallery, pick the resolution, train, identify a probe.

Run ``slrfr-gui`` (or ``python -m slrfr_gui.gui.app``). Options:
``--gallery DIR`` opens a gallery at start, ``--probe FILE`` sets a probe,
``--train`` trains right away, ``--screenshot FILE`` saves the window once the
work asked for is done and quits.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QComboBox, QFileDialog, QFrame, QHBoxLayout,
                               QHeaderView, QLabel, QListWidget, QListWidgetItem, QMainWindow, QMessageBox,
                               QProgressBar, QPushButton, QSizePolicy, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from .. import __version__
from ..core.classifier import SLRFRClassifier
from ..core.errors import SLRFRError
from ..core.frame import FRAME_SHAPE, format_resolution, parse_resolution, prepare_probe
from ..core.gallery import Gallery, load_gallery
from ..core.imageio import read_grey
from ..core.modelfile import load_model, save_model
from .worker import Task

log = logging.getLogger(__name__)

#: Preset probe sizes offered in the resolution box (rows x columns, 6:5 aspect).
PRESET_RESOLUTIONS = [(5, 4), (7, 6), (10, 8), (12, 10), (14, 12), (19, 16), (24, 20)]
TOP = 10


def to_pixmap(image: np.ndarray, scale: int = 1) -> QPixmap:
    """Grey levels in [0, 1], shape (rows, columns) -> QPixmap, magnified ``scale`` x with visible pixels."""
    arr = np.ascontiguousarray(np.clip(np.round(np.asarray(image) * 255.0), 0, 255).astype(np.uint8))
    rows, cols = arr.shape
    qimage = QImage(arr.data, cols, rows, cols, QImage.Format.Format_Grayscale8).copy()
    pixmap = QPixmap.fromImage(qimage)
    if scale != 1:
        pixmap = pixmap.scaled(cols * scale, rows * scale, Qt.AspectRatioMode.IgnoreAspectRatio,
                               Qt.TransformationMode.FastTransformation)
    return pixmap


def image_label(text: str, size: tuple[int, int]) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setFixedSize(*size)
    label.setFrameShape(QFrame.Shape.StyledPanel)
    label.setWordWrap(True)
    return label


class ResidualBars(pg.PlotWidget):
    """Horizontal bars of the ranked persons' residuals, best at the top, highlighted."""

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.setMinimumHeight(180)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.getPlotItem().setLabel("bottom", "residual (smaller is a better match)")
        self.getPlotItem().getAxis("bottom").enableAutoSIPrefix(False)
        self.getPlotItem().invertY(True)
        self.values: list[float] = []

    def set_ranked(self, ranked: list[tuple[str, float]]) -> None:
        self.clear()
        self.values = [v for _, v in ranked]
        if not ranked:
            return
        n = len(ranked)
        y = np.arange(n)
        brushes = [pg.mkBrush("#d9822b") if i == 0 else pg.mkBrush("#5b8fd1") for i in range(n)]
        self.addItem(pg.BarGraphItem(x0=0, y=y, height=0.7, width=self.values, brushes=brushes))
        axis = self.getPlotItem().getAxis("left")
        axis.setTicks([[(i, name) for i, (name, _) in enumerate(ranked)]])
        self.setXRange(0, max(self.values) * 1.05 if max(self.values) > 0 else 1.0, padding=0)
        self.setYRange(-0.6, n - 0.4, padding=0)


class MainWindow(QMainWindow):
    """Gallery on the left; resolution, training and identification on the right."""

    #: Emitted after each identification with the ranked (person, residual) list.
    identified = Signal(list)
    #: Emitted when a model is ready (trained or opened).
    model_ready = Signal()
    #: Emitted when a gallery has been loaded.
    gallery_loaded = Signal()

    def __init__(self):
        super().__init__()
        self.setWindowTitle(f"slrfr-gui {__version__}: low-resolution face recognition")
        self.setAcceptDrops(True)
        self.gallery: Gallery | None = None
        self.models: dict[tuple[int, int], SLRFRClassifier] = {}
        self.thumbnails: dict[str, np.ndarray] = {}
        self.task: Task | None = None
        self.probe_image: np.ndarray | None = None
        self.probe_path: Path | None = None
        self.ranked: list = []
        self._build_menu()
        self._build_ui()
        self._update_state()
        self.resize(1100, 720)

    # ------------------------------------------------------------------ UI
    def _build_menu(self):
        menu = self.menuBar().addMenu("&File")
        self.act_open_gallery = QAction("Open &gallery folder…", self, shortcut=QKeySequence("Ctrl+G"),
                                        triggered=self.choose_gallery)
        self.act_open_probe = QAction("Open &probe image…", self, shortcut=QKeySequence.StandardKey.Open,
                                      triggered=self.choose_probe)
        self.act_open_model = QAction("Open &model…", self, triggered=self.choose_model)
        self.act_save_model = QAction("&Save model…", self, shortcut=QKeySequence.StandardKey.Save,
                                      triggered=self.choose_save_model)
        self.act_quit = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close)
        for act in (self.act_open_gallery, self.act_open_probe, None, self.act_open_model, self.act_save_model,
                    None, self.act_quit):
            menu.addSeparator() if act is None else menu.addAction(act)

    def _build_ui(self):
        # Left: the gallery.
        left = QWidget()
        lv = QVBoxLayout(left)
        self.btn_gallery = QPushButton("Open gallery folder…")
        self.btn_gallery.clicked.connect(self.choose_gallery)
        self.gallery_label = QLabel("No gallery. Open a folder with one sub-folder of face images per person.")
        self.gallery_label.setWordWrap(True)
        self.person_list = QListWidget()
        self.person_list.setIconSize(pg.QtCore.QSize(40, 48))
        self.skipped_label = QLabel("")
        self.skipped_label.setWordWrap(True)
        self.skipped_label.setStyleSheet("color: #a05000")
        lv.addWidget(self.btn_gallery)
        lv.addWidget(self.gallery_label)
        lv.addWidget(self.person_list, 1)
        lv.addWidget(self.skipped_label)

        # Right, top: resolution and training.
        right = QWidget()
        rv = QVBoxLayout(right)
        row = QHBoxLayout()
        row.addWidget(QLabel("Probe resolution (rows × columns):"))
        self.resolution_box = QComboBox()
        self.resolution_box.setEditable(True)
        self.resolution_box.addItems([format_resolution(r) for r in PRESET_RESOLUTIONS])
        self.resolution_box.setCurrentText("7x6")
        self.resolution_box.setToolTip("Pick a size or type one, e.g. 9x7 (5x4 to 48x40)")
        self.resolution_box.currentTextChanged.connect(self._resolution_changed)
        row.addWidget(self.resolution_box)
        self.btn_train = QPushButton("Train")
        self.btn_train.clicked.connect(self.train)
        self.btn_cancel = QPushButton("Cancel")
        self.btn_cancel.clicked.connect(self.cancel)
        row.addWidget(self.btn_train)
        row.addWidget(self.btn_cancel)
        row.addStretch(1)
        rv.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setFormat("%p%")
        self.status = QLabel("")
        rv.addWidget(self.progress)
        rv.addWidget(self.status)

        # Right, middle: the probe.
        probe_row = QHBoxLayout()
        self.probe_given = image_label("Drop a probe image here,\nor File → Open probe image…", (200, 240))
        self.probe_lr = image_label("probe at the model's resolution", (200, 240))
        self.btn_probe = QPushButton("Open probe…")
        self.btn_probe.clicked.connect(self.choose_probe)
        self.probe_info = QLabel("")
        self.probe_info.setWordWrap(True)
        side = QVBoxLayout()
        side.addWidget(self.btn_probe)
        side.addWidget(self.probe_info)
        side.addStretch(1)
        probe_row.addWidget(self.probe_given)
        probe_row.addWidget(self.probe_lr)
        probe_row.addLayout(side, 1)
        rv.addLayout(probe_row)

        # Right, bottom: the ranked persons and their residual bars.
        self.result_label = QLabel("")
        rv.addWidget(self.result_label)
        results = QSplitter(Qt.Orientation.Horizontal)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["rank", "gallery", "person", "residual"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setIconSize(pg.QtCore.QSize(40, 48))
        self.bars = ResidualBars()
        results.addWidget(self.table)
        results.addWidget(self.bars)
        results.setSizes([420, 420])
        rv.addWidget(results, 1)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([300, 800])
        self.setCentralWidget(split)
        self.statusBar().showMessage("Open a gallery folder to begin.")

    # ------------------------------------------------------------- state
    def current_resolution(self):
        """The resolution in the box, or None when the text is not a valid size."""
        try:
            return parse_resolution(self.resolution_box.currentText())
        except ValueError:
            return None

    @property
    def model(self) -> SLRFRClassifier | None:
        res = self.current_resolution()
        return self.models.get(res) if res else None

    def _update_state(self):
        busy = self.task is not None and self.task.is_running()
        res = self.current_resolution()
        self.btn_train.setEnabled(not busy and self.gallery is not None and res is not None)
        self.btn_cancel.setEnabled(busy)
        self.btn_gallery.setEnabled(not busy)
        self.act_open_gallery.setEnabled(not busy)
        self.act_save_model.setEnabled(self.model is not None)
        if not busy:
            if res is None:
                self.status.setText("Type a resolution as ROWSxCOLUMNS, e.g. 7x6 (5x4 to 48x40).")
            elif self.model is not None:
                self.status.setText(f"Model trained for {format_resolution(res)}: {self.model.describe()}.")
            elif self.gallery is not None:
                self.status.setText(f"No model for {format_resolution(res)} yet: press Train.")
            else:
                self.status.setText("")

    def _resolution_changed(self, _text):
        self._update_state()
        self._show_probe()
        self.identify()

    # ------------------------------------------------------------ gallery
    def choose_gallery(self):
        folder = QFileDialog.getExistingDirectory(self, "Open gallery folder (one sub-folder per person)")
        if folder:
            self.open_gallery(folder)

    def open_gallery(self, folder):
        """Load a gallery folder in a worker thread."""
        folder = Path(folder)
        self._start_task(lambda progress, stop: load_gallery(folder, progress, stop, warn=False),
                         f"Loading {folder}…", self._gallery_done, "load gallery")

    def _gallery_done(self, gallery: Gallery):
        self.gallery = gallery
        self.models.clear()
        self.thumbnails = {p: gallery.faces[gallery.labels == p][0] for p in gallery.persons}
        self.person_list.clear()
        for person in gallery.persons:
            item = QListWidgetItem(f"{person}  ({gallery.count(person)} image{'s' * (gallery.count(person) != 1)})")
            item.setIcon(to_pixmap(self.thumbnails[person]))
            self.person_list.addItem(item)
        self.gallery_label.setText(f"{gallery.root}\n{len(gallery.persons)} persons, {len(gallery.faces)} images")
        n_skip = len(gallery.skipped) + len(gallery.empty_persons)
        self.skipped_label.setText(f"{n_skip} file(s) or person(s) skipped (hover for the list)" if n_skip else "")
        self.skipped_label.setToolTip(gallery.skipped_report())
        self.statusBar().showMessage(f"Gallery loaded: {len(gallery.persons)} persons.")
        self.ranked = []
        self._show_results()
        self.gallery_loaded.emit()

    # ------------------------------------------------------------ training
    def train(self):
        res = self.current_resolution()
        if self.gallery is None or res is None:
            return
        gallery = self.gallery
        clf = SLRFRClassifier(resolution=res)

        def work(progress, stop):
            return clf.fit(gallery.faces, gallery.labels, progress=progress, should_stop=stop)

        self._start_task(work, f"Training {format_resolution(res)} for {len(gallery.persons)} persons…",
                         self._train_done, "train")

    def _train_done(self, clf: SLRFRClassifier):
        self.models[tuple(clf.resolution_)] = clf
        self.statusBar().showMessage(f"Trained: {clf.describe()}.")
        self.model_ready.emit()
        self.identify()

    def cancel(self):
        if self.task is not None:
            self.task.cancel()
            self.status.setText("Cancelling…")

    def _start_task(self, fn, message, on_result, name):
        if self.task is not None and self.task.is_running():
            self.task.cancel()
            self.task.wait()
        task = Task(fn, name, self)
        outcome = {}
        task.progress.connect(self._on_progress)
        task.returned.connect(lambda result: outcome.update(result=result))
        task.errored.connect(self._on_error)
        task.cancelled.connect(lambda: self.statusBar().showMessage("Cancelled; nothing was changed."))

        def finished():
            # The result is applied once the thread is done, so the window is idle again
            # when the gallery_loaded / model_ready signals go out.
            self._task_finished()
            if "result" in outcome:
                on_result(outcome["result"])
                self._update_state()

        task.finished.connect(finished)
        self.task = task
        self.progress.setValue(0)
        self.status.setText(message)
        task.start()
        self._update_state()

    def _on_progress(self, done, total, stage):
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        elapsed = time.monotonic() - self.task.started_at if self.task else 0.0
        remaining = elapsed / done * (total - done) if done else float("nan")
        what = {"relight": "relighting gallery images", "train": "learning dictionaries"}.get(stage, "working")
        eta = f", about {remaining:.0f} s left" if done and remaining == remaining else ""
        self.status.setText(f"{what}: {done}/{total}, {elapsed:.1f} s elapsed{eta}")

    def _task_finished(self):
        self.progress.setValue(self.progress.maximum())
        self._update_state()

    def _on_error(self, message, details):
        log.error("%s\n%s", message, details)
        box = QMessageBox(QMessageBox.Icon.Warning, "slrfr-gui", message, QMessageBox.StandardButton.Ok, self)
        box.setDetailedText(details)
        box.open()
        self.error_box = box

    # -------------------------------------------------------------- models
    def choose_model(self):
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", "slrfr models (*.npz);;All files (*)")
        if path:
            self.open_model(path)

    def open_model(self, path):
        try:
            clf, thumbs = load_model(path)
        except SLRFRError as exc:
            self._on_error(str(exc), "")
            return
        self.models[tuple(clf.resolution_)] = clf
        if thumbs is not None:
            self.thumbnails.update({str(p): t for p, t in zip(clf.classes_, thumbs)})
        self.resolution_box.setCurrentText(format_resolution(clf.resolution_))
        self.statusBar().showMessage(f"Opened {path}: {clf.describe()}.")
        self._update_state()
        self.model_ready.emit()
        self.identify()

    def choose_save_model(self):
        if self.model is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save model", f"model_{format_resolution(self.model.resolution_)}.npz",
                                              "slrfr models (*.npz)")
        if path:
            self.save_model(path)

    def save_model(self, path):
        clf = self.model
        thumbs = [self.thumbnails.get(str(p), np.zeros(FRAME_SHAPE)) for p in clf.classes_]
        try:
            save_model(clf, path, thumbnails=thumbs)
        except SLRFRError as exc:
            self._on_error(str(exc), "")
            return
        self.statusBar().showMessage(f"Model saved to {path}.")

    # ---------------------------------------------------------------- probe
    def choose_probe(self):
        path, _ = QFileDialog.getOpenFileName(
            self, "Open probe image", "",
            "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.pgm *.ppm *.gif *.webp);;All files (*)")
        if path:
            self.set_probe(path)

    def set_probe(self, path):
        """Read a probe image, show it, and identify it if a model is ready."""
        path = Path(path)
        try:
            image = read_grey(path)
        except SLRFRError as exc:
            self._on_error(str(exc), "")
            return
        self.probe_image, self.probe_path = image, path
        self._show_probe()
        self.identify()

    def _show_probe(self):
        if self.probe_image is None:
            return
        image = self.probe_image
        scale = max(1, min(200 // image.shape[1], 240 // image.shape[0]))
        pix = to_pixmap(image, scale) if scale > 1 else to_pixmap(image).scaled(
            200, 240, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self.probe_given.setPixmap(pix)
        res = self.current_resolution()
        if res is not None:
            lr = prepare_probe(image, res)
            self.probe_lr.setPixmap(to_pixmap(lr, max(1, min(200 // res[1], 240 // res[0]))))
            self.probe_info.setText(f"{self.probe_path.name}\ngiven {image.shape[0]}×{image.shape[1]}, "
                                    f"used at {format_resolution(res)}")

    def identify(self):
        """Rank the persons for the current probe with the model of the current resolution."""
        clf = self.model
        if clf is None or self.probe_image is None:
            self.ranked = []
            self._show_results()
            return
        lr = prepare_probe(self.probe_image, clf.resolution_)
        self.ranked = clf.ranked(lr[None], top=TOP)[0]
        self._show_results()
        self.identified.emit(self.ranked)

    def _show_results(self):
        self.table.setRowCount(len(self.ranked))
        for i, (person, residual) in enumerate(self.ranked):
            rank = QTableWidgetItem(str(i + 1))
            thumb = QTableWidgetItem()
            if person in self.thumbnails:
                thumb.setIcon(to_pixmap(self.thumbnails[person]))
            name = QTableWidgetItem(person)
            value = QTableWidgetItem(f"{residual:.4f}")
            if i == 0:
                for item in (rank, name, value):
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
            for col, item in enumerate((rank, thumb, name, value)):
                self.table.setItem(i, col, item)
            self.table.setRowHeight(i, 52)
        self.bars.set_ranked(self.ranked)
        if len(self.ranked) >= 2:
            margin = self.ranked[1][1] - self.ranked[0][1]
            self.result_label.setText(f"Best match: <b>{self.ranked[0][0]}</b> "
                                      f"(residual {self.ranked[0][1]:.4f}, margin to the second {margin:.4f})")
        elif self.ranked:
            self.result_label.setText(f"Best match: <b>{self.ranked[0][0]}</b>")
        else:
            self.result_label.setText("")

    # ---------------------------------------------------------- drag and drop
    def dragEnterEvent(self, event):
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event):
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            return
        if paths[0].is_dir():
            self.open_gallery(paths[0])
        elif paths[0].suffix.lower() == ".npz":
            self.open_model(paths[0])
        else:
            self.set_probe(paths[0])
        event.acceptProposedAction()

    # ---------------------------------------------------------------- close
    def closeEvent(self, event):
        if self.task is not None and self.task.is_running():
            self.task.cancel()
            self.task.wait(10_000)
        QSettings().setValue("window/geometry", self.saveGeometry())
        super().closeEvent(event)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="slrfr-gui", description="The slrfr-gui window.")
    parser.add_argument("--version", action="version", version=f"slrfr-gui {__version__}")
    parser.add_argument("--gallery", type=Path, help="open this gallery folder at start")
    parser.add_argument("--resolution", default=None, help="probe resolution, e.g. 7x6")
    parser.add_argument("--train", action="store_true", help="train as soon as the gallery is loaded")
    parser.add_argument("--model", type=Path, help="open this model file at start")
    parser.add_argument("--probe", type=Path, help="identify this probe image")
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the window when the work asked for is done, then quit")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("slrfr-gui")
    app.setOrganizationName("slrfr-gui")
    window = MainWindow()
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    geometry = QSettings().value("window/geometry")
    if geometry is not None and args.screenshot is None:
        window.restoreGeometry(geometry)
    if args.resolution:
        window.resolution_box.setCurrentText(args.resolution)
    window.show()

    def shoot():
        window.grab().save(str(args.screenshot))
        print(f"screenshot written to {args.screenshot}")
        window.close()

    if args.train:
        window.gallery_loaded.connect(window.train)
    if args.probe:
        window.set_probe(args.probe)
    if args.model:
        window.open_model(args.model)
    if args.gallery:
        window.open_gallery(args.gallery)
    if args.screenshot:
        waiting_for = window.model_ready if (args.train or args.model) else (
            window.gallery_loaded if args.gallery else None)
        if waiting_for is None:
            QTimer.singleShot(300, shoot)
        else:
            waiting_for.connect(lambda: QTimer.singleShot(300, shoot))
            if args.model and window.model is not None:
                QTimer.singleShot(300, shoot)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
