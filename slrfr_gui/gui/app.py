"""The analyst's window: gallery, relighting preview, resolution slider, training, probes, ranked matches.

``slrfr-gui [--demo | --gallery DIR|FILE] [--model FILE] [--probe IMAGE] [--resolution 7x6] [--camera SOURCE]
[--screenshot OUT.png] [--json OUT.json]`` opens with that state, trains if needed, identifies the probe,
starts the camera panel on SOURCE and, with ``--screenshot``, saves an image of the whole window and exits
(with ``--json``, the ranked persons too, in the form ``slrfr identify --json`` uses). Without a screen
(Linux, no ``DISPLAY``/``WAYLAND_DISPLAY``, no ``QT_QPA_PLATFORM``) it says so and exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QObject, QSettings, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QMainWindow, QMessageBox, QSplitter,
                               QStackedWidget, QVBoxLayout, QWidget)

from .. import __version__
from ..scan.batch import folder_kind, identify_files, probe_files, write_csv
from ..method.slrfr import SLRFRClassifier
from ..method.classifiers import make_classifier
from ..method.params import check_training_parameters, upsampling_warning
from ..errors import SLRFRError
from ..faces.find import find_faces, needs_search
from ..faces.frame import FRAME_SHAPE, format_resolution, parse_resolution, probe_problem
from ..gallery.gallery import Gallery, load_gallery
from ..gallery.image import GalleryImage
from ..files.imageio import read_grey, to_grey
from ..method.lighting_resources import serving_resolution
from ..method.modelfile import check_model_output, load_model, save_model
from ..method.openset import ONE_PERSON_NOTE, OpenSetDefaults
from . import dialogs, probe_loading, recovery, settings
from .saving import run_in_background
from .batch_panel import BatchPanel
from .common import apply_palette_to_pyqtgraph
from .camera_view import CameraView
from .controls import ResolutionBar, TrainingControls
from .demo_panel import DemoProbesPanel
from .eyes_dialog import EyesDialog
from .gallery_panel import GalleryPanel
from .gallery_review import GalleryReview
from .icon import app_icon
from .relight_view import RelightView
from .scan_dialog import ScanDialog
from .scan_panel import ScanPanel
from .results import ResultsPanel, identify
from .welcome import WelcomePanel
from .worker import Task

log = logging.getLogger("slrfr_gui")

ABOUT = f"""<h3>slrfr-gui {__version__}</h3>
<p>Recognises people from tiny, badly lit face images (7×6 to 20×20 pixels) by synthesis: each gallery face
is degraded to the probe's size and relit to the probe's light by a relighting learned from training faces,
and a probe is named by the person whose relit face is nearest (the smallest residual). The paper's form,
nine Lambertian relit images and one dictionary per person, is the physical relighting option.</p>
<p><b>Method:</b> S. Shekhar, V. M. Patel, R. Chellappa, “Synthesis-based Recognition of Low Resolution
Faces”, IJCB 2011.<br>
<b>Albedo:</b> S. Biswas, G. Aggarwal, R. Chellappa, “Robust Estimation of Albedo for Illumination-Invariant
Matching and Shape Recovery”, IEEE TPAMI 31(5), 2009.<br>
<b>Nine points of light:</b> K.-C. Lee, J. Ho, D. Kriegman, “Acquiring Linear Subspaces for Face Recognition
under Variable Lighting”, IEEE TPAMI 27(5), 2005.<br>
<b>K-SVD:</b> M. Aharon, M. Elad, A. Bruckstein, IEEE TSP 54(11), 2006.<br>
<b>Face model data:</b> Extended Yale Face Database B — A. Georghiades, P. Belhumeur, D. Kriegman, “From Few
to Many: Illumination Cone Models for Face Recognition under Variable Lighting and Pose”, IEEE TPAMI 23(6),
2001 (free for research use).</p>"""


def log_folder() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(base or Path.home() / ".slrfr-gui") / "logs"


_log_handler: RotatingFileHandler | None = None

#: ``extra`` for log records of messages the user is shown (dialog, status bar, and ``slrfr-gui: error:``
#: on the terminal by :func:`main`): they go to the log file, not a second time to the terminal.
SHOWN = {"shown": True}


class _NotShownFilter(logging.Filter):
    def filter(self, record):
        return not getattr(record, "shown", False)


def setup_logging(folder=None) -> Path | None:
    """Log to stderr and to a rotating file (1 MB, 3 old files kept) in ``folder`` (by default
    :func:`log_folder`); returns the file, or None when it cannot be written. Calling it again moves
    the log rather than adding a second file handler."""
    global _log_handler
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    for handler in root.handlers:
        if type(handler) is logging.StreamHandler and not any(isinstance(f, _NotShownFilter) for f in handler.filters):
            handler.addFilter(_NotShownFilter())
    if _log_handler is not None:
        root.removeHandler(_log_handler)
        _log_handler.close()
        _log_handler = None
    try:
        folder = Path(folder) if folder is not None else log_folder()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "slrfr-gui.log"
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    _log_handler = handler
    return path


def qimage_to_grey(image: QImage) -> np.ndarray:
    """A QImage (e.g. from the clipboard) as grey levels in [0, 1], shape (rows, columns)."""
    from PIL import Image

    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    width, height = rgba.width(), rgba.height()
    buffer = np.frombuffer(rgba.constBits(), dtype=np.uint8, count=rgba.sizeInBytes())
    arr = buffer.reshape(height, rgba.bytesPerLine())[:, : width * 4].reshape(height, width, 4).copy()
    return to_grey(Image.fromarray(arr, "RGBA"))


class MainWindow(QMainWindow):
    """The analyst's window (see the module docstring)."""

    gallery_loaded = Signal()
    model_ready = Signal()
    identified = Signal(list)
    batch_done = Signal()
    task_failed = Signal(str)
    probe_searched = Signal()  # a search for the probe's face (in a worker) ended, found or not
    warned = Signal(str)  # a warning the user should read (also on the status bar)

    def __init__(self):
        super().__init__()
        self.settings_notices = settings.check()  # before anything reads a setting
        self.setWindowTitle("slrfr-gui: low-resolution face recognition")
        self.setAcceptDrops(True)
        self.gallery: Gallery | None = None
        self.models: dict[tuple, SLRFRClassifier] = {}
        self.stale: set = set()
        self.model_thumbnails: dict[str, np.ndarray] = {}
        self.task: Task | None = None
        self.probe_task: Task | None = None  # the search for the current probe's face, if one runs
        self.probe_tasks: set = set()  # every probe search still running, superseded ones too
        self.probe_image: np.ndarray | None = None  # the aligned face that is identified
        self.probe_given: np.ndarray | None = None  # the image as given
        self.probe_source = ""
        self.probe_note = ""
        self.probe_failure: tuple[str, str] | None = None  # (source, why) of the last probe that failed
        self.eye_memory: dict[str, tuple] = {}  # eye centres placed by hand, per probe source
        self.result = None
        self.defaults = OpenSetDefaults.load()
        self.threshold_is_default = True
        self.gallery_dirty = False  # edited since opened or saved
        self.gallery_is_demo = False  # the built-in demo's persons: nothing to save unless edited
        self.unsaved_models: set = set()  # resolutions trained and not saved
        self.confirm_close = True  # ask before unsaved work is lost (off for --screenshot runs)
        self.show_dialogs = True  # error dialogs (off for --screenshot runs: nobody to close them)
        self.keeper: recovery.SessionKeeper | None = None  # autosave, see enable_recovery
        self._build()
        self._build_menus()
        self.resolution_bar.set_resolution(self._initial_resolution(), emit=False)
        self._resolution_changed(self.resolution_bar.resolution)
        self._update_state()
        self.welcome.set_recent(settings.read("recent/galleries"), settings.read("recent/models"))
        self.resize(1400, 900)
        if QGuiApplication.platformName() in ("offscreen", "minimal"):
            # Qt's offscreen platform warns "does not support propagateSizeHints()" whenever the layout
            # changes a shown top-level's minimum size, which QT_FATAL_WARNINGS=1 turns into an abort of
            # scripted --screenshot runs; an explicit minimum keeps the layout from changing it. (Real
            # platforms support it, and there the layout's own minimum keeps panels from overlapping.)
            hint = self.minimumSizeHint()
            self.setMinimumSize(max(hint.width(), 800), max(hint.height(), 560))
        if self.settings_notices:
            self.notice = dialogs.notify(self, "slrfr-gui: settings reset", "\n".join(self.settings_notices))
            self.statusBar().showMessage(self.settings_notices[0])

    # ---------------------------------------------------------------- build
    @staticmethod
    def _initial_resolution():
        try:
            return parse_resolution(settings.read("view/resolution"))
        except ValueError:
            return (7, 6)

    def _build(self):
        self.gallery_panel = GalleryPanel()
        self.gallery_panel.image_selected.connect(self._image_selected)
        self.gallery_panel.edited.connect(self._gallery_edited)
        self.gallery_panel.folder_dropped.connect(self.open_gallery)
        self.gallery_dock = self._dock("Gallery", self.gallery_panel, Qt.DockWidgetArea.LeftDockWidgetArea, True)
        self.gallery_panel.set_task_starter(self._start_task)
        self.review = GalleryReview()
        self.gallery_panel.image_selected.connect(self.review.set_image)
        self.gallery_panel.edited.connect(self.review.refresh)
        self.review.realign_requested.connect(self.realign_gallery_image)
        self.review_dock = self._dock("Gallery review", self.review, Qt.DockWidgetArea.LeftDockWidgetArea, True)

        self.batch_panel = BatchPanel()
        self.batch_panel.open_requested.connect(self.choose_batch_folder)
        self.batch_panel.export_requested.connect(self.choose_export_csv)
        self.batch_dock = self._dock("Batch", self.batch_panel, Qt.DockWidgetArea.BottomDockWidgetArea, False)

        self.camera_view = CameraView()
        self.camera_view.captured.connect(lambda face, source: self.set_probe_image(face, source))
        self.camera_view.enroll.connect(self.enroll_faces)
        self.camera_view.failed.connect(self._camera_failed)
        self.camera_dock = self._dock("Camera", self.camera_view, Qt.DockWidgetArea.BottomDockWidgetArea, False)

        self.scan_panel = ScanPanel()
        self.scan_panel.failed.connect(self._on_error)
        self.scan_dock = self._dock("Scan", self.scan_panel, Qt.DockWidgetArea.BottomDockWidgetArea, False)

        self.demo_panel = DemoProbesPanel()
        self.demo_panel.setMaximumHeight(170)
        self.demo_panel.probe_chosen.connect(self._demo_probe_chosen)
        self.demo_dock = self._dock("Demo probes", self.demo_panel, Qt.DockWidgetArea.BottomDockWidgetArea, False)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        self.resolution_bar = ResolutionBar()
        self.resolution_bar.resolution_changed.connect(self._resolution_changed)
        self.training = TrainingControls()
        self.training.train_requested.connect(self.train)
        self.training.cancel_requested.connect(self.cancel)
        layout.addWidget(self.resolution_bar)
        layout.addWidget(self.training)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.relight_view = RelightView()
        self.results = ResultsPanel()
        self.results.threshold_changed.connect(self._threshold_changed)
        self.results.noise_changed.connect(lambda _: self.identify())
        self.results.btn_eyes.clicked.connect(lambda: self.place_eyes())
        self.splitter.addWidget(self.relight_view)
        self.splitter.addWidget(self.results)
        self.splitter.setSizes([700, 600])
        layout.addWidget(self.splitter, 1)
        self.welcome = WelcomePanel()
        self.welcome.open_gallery_requested.connect(self.choose_gallery)
        self.welcome.demo_requested.connect(self.open_demo)
        self.welcome.webcam_requested.connect(self.start_webcam_enrolment)
        self.welcome.recent_chosen.connect(lambda kind, path: self.open_gallery(path) if kind == "gallery"
                                           else self.open_model(path))
        self.pages = QStackedWidget()
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(central)
        self.main_page = central
        self.setCentralWidget(self.pages)
        self.model_state = self.statusBar()
        self.statusBar().showMessage("Open a gallery folder (Ctrl+G) or try the demo to begin.")

    def _dock(self, title, widget, area, visible) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title.lower()}_dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        dock.setVisible(visible)
        return dock

    def _action(self, text, slot, shortcut=None, tip=""):
        action = QAction(text, self)
        action.triggered.connect(slot)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        return action

    def _build_menus(self):
        bar = self.menuBar()
        m = bar.addMenu("&File")
        self.act_open_gallery = self._action("Open &gallery folder…", self.choose_gallery, "Ctrl+G",
                                             "A folder with one sub-folder of face images per person")
        self.act_open_gallery_file = self._action("Open gallery &file…", self.choose_gallery_file, None,
                                                  "A gallery saved by slrfr-gui")
        self.act_save_gallery = self._action("Save gallery &as…", self.choose_save_gallery, "Ctrl+Shift+S")
        self.act_open_probe = self._action("Open &probe image…", self.choose_probe, QKeySequence.StandardKey.Open)
        self.act_paste = self._action("&Paste probe", self.paste_probe, QKeySequence.StandardKey.Paste,
                                      "Use the image (or image file) on the clipboard as the probe")
        self.act_batch = self._action("Identify a &folder of probes…", self.choose_batch_folder, "Ctrl+B")
        self.act_export = self._action("&Export batch results as CSV…", self.choose_export_csv, "Ctrl+E")
        self.act_scan = self._action("S&can videos…", self.scan_videos, "Ctrl+Shift+F",
                                     "Find every appearance of the enrolled persons in videos and folders of stills")
        self.act_open_model = self._action("Open &model…", self.choose_model, "Ctrl+Shift+O")
        self.act_save_model = self._action("&Save model…", self.choose_save_model, QKeySequence.StandardKey.Save)
        self.recent_galleries = m.addMenu("Recent galleries")
        self.recent_models = m.addMenu("Recent models")
        for a in (self.act_open_gallery, self.act_open_gallery_file, self.act_save_gallery, None, self.act_open_probe,
                  self.act_paste, self.act_batch, self.act_export, self.act_scan, None, self.act_open_model,
                  self.act_save_model):
            m.addSeparator() if a is None else m.addAction(a)
        m.addMenu(self.recent_galleries)
        m.addMenu(self.recent_models)
        m.addSeparator()
        m.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))
        self.recent_galleries.aboutToShow.connect(lambda: self._fill_recent(self.recent_galleries, "recent/galleries"))
        self.recent_models.aboutToShow.connect(lambda: self._fill_recent(self.recent_models, "recent/models"))

        e = bar.addMenu("&Edit")
        self.act_undo = self._action("&Undo", self.undo, QKeySequence.StandardKey.Undo)
        e.addAction(self.act_undo)
        e.addAction(self._action("Add &person…", self.gallery_panel.ask_add_person, "Ctrl+N"))
        e.addAction(self._action("Add &images to person…", self.gallery_panel.ask_add_images, "Ctrl+I"))
        e.addAction(self._action("&Remove selected", self.gallery_panel.remove_selected, QKeySequence.StandardKey.Delete))

        t = bar.addMenu("&Model")
        self.act_train = self._action("&Train at this resolution", self.train, "Ctrl+T")
        self.act_cancel = self._action("&Cancel", self.cancel, "Esc")
        t.addAction(self.act_train)
        t.addAction(self.act_cancel)
        t.addAction(self._action("&Reset training parameters", self.training.reset_parameters))

        v = bar.addMenu("&View")
        v.addAction(self._action("&Start page", self.show_start_page, None,
                                 "Open a gallery, try the demo, enroll from the webcam, reopen recent work"))
        v.addAction(self.demo_dock.toggleViewAction())
        v.addAction(self.gallery_dock.toggleViewAction())
        v.addAction(self.review_dock.toggleViewAction())
        v.addAction(self.batch_dock.toggleViewAction())
        v.addAction(self.scan_dock.toggleViewAction())
        camera = self.camera_dock.toggleViewAction()
        camera.setShortcut(QKeySequence("Ctrl+K"))
        v.addAction(camera)
        v.addAction(self._action("Reset relighting &zoom", self.relight_view.reset_zoom, "Ctrl+0"))

        h = bar.addMenu("&Help")
        h.addAction(self._action("Try the &demo", self.open_demo, None, "Fictional persons and probes to identify"))
        h.addAction(self._action("&About slrfr-gui", self.about))
        h.addAction(self._action("Show &log folder", lambda: QMessageBox.information(
            self, "Log folder", f"The log is written to\n{log_folder()}")))

    def _fill_recent(self, menu, key):
        menu.clear()
        items = settings.read(key)
        if not items:
            menu.addAction("(none)").setEnabled(False)
        opener = self.open_gallery if key == "recent/galleries" else self.open_model
        for path in items:
            menu.addAction(path, lambda p=path: opener(p))

    # ---------------------------------------------------------------- state
    @property
    def resolution(self):
        return self.resolution_bar.resolution

    @property
    def model(self) -> SLRFRClassifier | None:
        return self.models.get(self.resolution)

    def busy(self) -> bool:
        return self.task is not None and self.task.is_running()

    def probe_searching(self) -> bool:
        """True while the current probe's face is being searched for in a worker."""
        return self.probe_task is not None and self.probe_task.is_running()

    def _update_state(self):
        busy = self.busy()
        has_gallery = self.gallery is not None and len(self.gallery.images) > 0
        if self.pages.currentWidget() is self.welcome and (self.gallery is not None or self.models or busy):
            self.pages.setCurrentWidget(self.main_page)
        self.training.set_busy(busy, has_gallery)
        self.act_train.setEnabled(has_gallery and not busy)
        self.act_cancel.setEnabled(busy)
        self.act_save_model.setEnabled(self.model is not None)
        self.act_save_gallery.setEnabled(self.gallery is not None)
        self.act_export.setEnabled(bool(self.batch_panel.rows))
        self.act_batch.setEnabled(self.model is not None and not busy)
        self.act_undo.setEnabled(self.gallery_panel.can_undo())
        self.act_undo.setText(f"&Undo {self.gallery_panel.undo_text()}" if self.gallery_panel.can_undo() else "&Undo")
        res = self.resolution
        model = self.model
        self.camera_view.set_model(model, self.results.threshold)
        self.resolution_bar.set_trained(model is not None, res in self.stale)
        if busy:
            return
        size = format_resolution(res)
        if model is not None:
            note = " — the gallery changed since: retrain (Ctrl+T)" if res in self.stale else ""
            served = tuple(getattr(model, "resolution_", res))
            if served != tuple(res):
                note = f" (served at {format_resolution(served)}: no lighting metric ships for {size})" + note
            framing = (", framing-free metric (gallery framed otherwise)"
                       if getattr(model, "framing_regime", "") == "crop" else "")
            self.training.status.setText(f"{size}: {len(model.classes_)} persons, {model.regime_}{framing}{note}")
        elif has_gallery:
            self.training.status.setText(f"No model for {size} yet: press Train (Ctrl+T)")
        else:
            self.training.status.setText("")

    # -------------------------------------------------------------- tasks
    def _start_task(self, fn, message, on_result, name):
        if self.busy():
            self.task.cancel()
            self.task.wait()
        task = Task(fn, name, self)
        outcome = {}
        task.progress.connect(lambda d, t, s: self.training.show_progress(d, t, s, time.monotonic() - task.started_at))
        task.returned.connect(lambda result: outcome.update(result=result))
        task.errored.connect(self._on_error)
        task.cancelled.connect(lambda: self.statusBar().showMessage(f"{message.rstrip('…')}: cancelled; nothing changed."))

        def finished():
            done = "result" in outcome and name == "train"
            self.training.progress.setValue(self.training.progress.maximum() if done else 0)
            if self.task is task:
                self._update_state()
            if "result" in outcome:
                on_result(outcome["result"])
            self._update_state()

        task.finished.connect(finished)
        self.task = task
        self.training.progress.setValue(0)
        self.training.status.setText(message)
        self.statusBar().showMessage(message)
        task.start()
        self._update_state()
        return task

    def cancel(self):
        if self.busy():
            self.task.cancel()
            self.training.status.setText("Cancelling…")

    def _on_error(self, message, details):
        if details:
            log.error("%s\n%s", message, details, extra=SHOWN)
        else:
            log.warning("%s", message, extra=SHOWN)
        if self.show_dialogs:  # a scripted run (--screenshot) prints its errors instead
            box = QMessageBox(QMessageBox.Icon.Warning, "slrfr-gui", message, QMessageBox.StandardButton.Ok, self)
            if details:
                box.setDetailedText(details)
            box.open()
            self.error_box = box
        self.statusBar().showMessage(message)
        self.task_failed.emit(message)

    # ------------------------------------------------------------ gallery
    def choose_gallery(self):
        folder = QFileDialog.getExistingDirectory(self, "Open gallery folder (one sub-folder per person)")
        if folder:
            self.open_gallery(folder)

    def choose_gallery_file(self):
        path, _ = QFileDialog.getOpenFileName(self, "Open gallery file", "", "slrfr galleries (*.slrfr-gallery);;All files (*)")
        if path:
            self.open_gallery(path)

    def open_gallery(self, path) -> bool:
        """Load a gallery folder (in a worker) or a saved gallery file, after asking about unsaved work.

        Returns False when the user kept the unsaved work (nothing is opened)."""
        path = Path(path)
        if not recovery.confirm_discard(self, f"opening the gallery {path.name or path}"):
            self.statusBar().showMessage(f"Not opened: {path}; the current work is kept.")
            return False
        if path.is_file():
            try:
                self._gallery_done(Gallery.open(path))
            except SLRFRError as exc:
                self._on_error(str(exc), "")
            return True
        self._start_task(lambda progress, stop: load_gallery(path, lambda d, t: progress(d, t, "load"), stop,
                                                             warn=False),
                         f"Loading {path}…", self._gallery_done, "load gallery")
        return True

    def _gallery_done(self, gallery: Gallery, demo: bool = False):
        self.gallery = gallery
        self.gallery_is_demo = demo
        if not demo:
            self.demo_dock.setVisible(False)
        self.models.clear()
        self.stale.clear()
        self.gallery_dirty = False
        self.unsaved_models.clear()
        self.gallery_panel.set_gallery(gallery)
        self.gallery_panel.select_first_image()
        self._refresh_thumbnails()
        if gallery.root:
            settings.add_recent("recent/galleries", str(gallery.root))
        n_skip = len(gallery.skipped)
        self.statusBar().showMessage(f"Gallery: {len(gallery.persons)} persons, {len(gallery.images)} images"
                                     + (f"; {n_skip} file(s) skipped (see the gallery panel)" if n_skip else ""))
        self.identify()
        self._update_state()
        self.gallery_loaded.emit()
        if settings.read("train/auto_retrain"):
            self.train()

    def _refresh_thumbnails(self):
        thumbs = dict(self.model_thumbnails)
        if self.gallery is not None:
            thumbs.update({p: self.gallery.thumbnail(p) for p in self.gallery.persons if self.gallery.count(p)})
        self.results.thumbnails = thumbs

    def _gallery_edited(self):
        self.gallery_dirty = True
        self.stale.update(self.models)
        self._refresh_thumbnails()
        self._update_state()

    def _image_selected(self, image: GalleryImage | None):
        if image is None:
            self.relight_view.clear()
            return
        self.relight_view.set_resolution(self.resolution)
        self.relight_view.set_face(image.face)
        self.relight_view.caption.setText(f"<b>{image.person}</b> — {image.name}. " + self.relight_view.caption.text())

    def choose_save_gallery(self):
        if self.gallery is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save gallery", "gallery.slrfr-gallery",
                                              "slrfr galleries (*.slrfr-gallery)")
        if path:
            self.save_gallery(path)

    def save_gallery(self, path) -> bool:
        try:
            self.gallery.save(path)
        except SLRFRError as exc:
            self._on_error(str(exc), "")
            return False
        self.gallery_dirty = False
        settings.add_recent("recent/galleries", str(path))
        self.statusBar().showMessage(f"Gallery saved to {path}.")
        return True

    def undo(self):
        self.gallery_panel.undo()

    def realign_gallery_image(self, image: GalleryImage, eyes, crop: bool) -> None:
        """Make a gallery image's reference again (eyes placed by hand, as a crop, or searched again) on a
        worker; the gallery panel applies it, undoably."""
        self._start_task(lambda progress, stop: Gallery.aligned_again(image, eyes, crop, should_stop=stop),
                         f"Aligning {image.name} again…",
                         lambda result: self.gallery_panel.apply_alignment(image, result), "align again")

    # ------------------------------------------------------------ resolution
    def _resolution_changed(self, resolution):
        if settings.standard_resolution(resolution):  # a typed odd size is for this session only
            settings.write("view/resolution", format_resolution(resolution))
        self.relight_view.set_resolution(resolution)
        self._show_probe()
        served = serving_resolution(resolution)  # the open-set threshold of the size a model is served at, as identify
        if self.threshold_is_default:
            self.results.set_default_threshold(self.defaults.threshold(served))
            self.threshold_is_default = True
        else:
            self.results.set_default_threshold(self.defaults.threshold(served), apply=False)
        self.identify()
        self._update_state()
        if self.model is None and self.gallery is not None and self.resolution_bar.auto.isChecked() and not self.busy():
            self.train()

    def _threshold_changed(self, value):
        self.threshold_is_default = abs(value - self.results.default_threshold) < 1e-9
        self.camera_view.set_model(self.model, value)

    # -------------------------------------------------------------- training
    def train(self):
        if self.gallery is None or not self.gallery.images:
            return
        res = self.resolution
        faces, labels = self.gallery.faces, self.gallery.labels
        params = self.training.parameters()
        try:  # the same check as slrfr enroll's
            notes = check_training_parameters(res, **params)
        except ValueError as exc:
            self._on_error(f"Training parameters: {exc}.", "")
            return
        for note in notes:
            log.warning("%s", note, extra=SHOWN)
            self.warned.emit(note)
        n_persons = len(set(labels.tolist()))
        clf = make_classifier(resolution=res, **params)

        def work(progress, stop):
            return clf.fit(faces, labels, progress=progress, should_stop=stop)

        self._start_task(work, f"Training {format_resolution(res)} for {n_persons} persons…", self._train_done, "train")
        if notes:
            self.statusBar().showMessage("; ".join(notes))

    def _train_done(self, clf):
        res = tuple(getattr(clf, "requested_resolution_", clf.resolution_))  # a size served from another
        self.models[res] = clf
        self.stale.discard(res)
        if not (self.gallery_is_demo and not self.gallery_dirty):
            self.unsaved_models.add(res)
        self.statusBar().showMessage(f"Trained: {clf.describe()}.")
        self._update_state()
        if self.keeper is not None:
            self.keeper.autosave()
        if res == self.resolution:
            self.identify()
        self.model_ready.emit()

    # ---------------------------------------------------------------- models
    def choose_model(self):
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", "slrfr models (*.npz);;All files (*)")
        if path:
            self.open_model(path)

    def open_model(self, path) -> bool:
        try:
            clf, thumbs = load_model(path)
        except SLRFRError as exc:
            self._on_error(str(exc), "")
            return False
        res = tuple(getattr(clf, "requested_resolution_", clf.resolution_))
        if res in self.unsaved_models and res in self.models:
            answer = dialogs.ask_unsaved(self, f"The model trained at {format_resolution(res)} is not saved and "
                                         f"{Path(path).name} would replace it. Save it first?")
            if answer == dialogs.CANCEL or (answer == dialogs.SAVE and not self._save_model_asking(res)):
                self.statusBar().showMessage(f"Not opened: {path}; the {format_resolution(res)} model is kept.")
                return False
        self.models[res] = clf
        self.stale.discard(res)
        self.unsaved_models.discard(res)
        if thumbs is not None:
            self.model_thumbnails.update({str(p): t for p, t in zip(clf.classes_, thumbs)})
            self._refresh_thumbnails()
        settings.add_recent("recent/models", str(path))
        self.statusBar().showMessage(f"Opened {path}: {clf.describe()}.")
        mismatch = self._persons_mismatch(clf, path)
        if res != self.resolution:
            self.resolution_bar.set_resolution(res)
        else:
            self.identify()
        self._update_state()
        if mismatch:
            log.warning("%s", mismatch, extra=SHOWN)
            self.statusBar().showMessage(mismatch)
            self.warned.emit(mismatch)
        self.model_ready.emit()
        return True

    def _persons_mismatch(self, clf, path) -> str:
        """A warning when the open gallery's persons are not the model's, else ""."""
        if self.gallery is None or self.gallery_is_demo:
            return ""
        in_gallery = {p for p in self.gallery.persons if self.gallery.count(p)}
        in_model = {str(p) for p in clf.classes_}
        if in_gallery == in_model:
            return ""
        def few(names):
            names = sorted(names)
            return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        parts = [f"only in the model: {few(in_model - in_gallery)}" if in_model - in_gallery else "",
                 f"only in the gallery: {few(in_gallery - in_model)}" if in_gallery - in_model else ""]
        return (f"the model {Path(path).name}'s persons are not the gallery's ({'; '.join(filter(None, parts))}): "
                "its answers name the model's persons; train (Ctrl+T) for this gallery")

    def choose_save_model(self):
        if self.model is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save model", f"model_{format_resolution(self.resolution)}.npz",
                                              "slrfr models (*.npz)")
        if path:
            if not Path(path).suffix:
                path += ".npz"
            self.save_model(path)

    def _save_model_asking(self, res) -> bool:
        path = dialogs.ask_save_path(self, f"Save the {format_resolution(res)} model",
                                     f"model_{format_resolution(res)}.npz", "slrfr models (*.npz)")
        return bool(path) and self.save_model(path, res)

    def save_model(self, path, resolution=None) -> bool:
        """Save the model of ``resolution`` (the current one by default). A name not ending in ``.npz``, or an
        existing file that is not a model, is refused (:func:`~slrfr_gui.core.modelfile.check_model_output`)."""
        res = self.resolution if resolution is None else tuple(resolution)
        clf = self.models[res]
        thumbs = [self.results.thumbnails.get(str(p), np.zeros(FRAME_SHAPE)) for p in clf.classes_]
        try:
            check_model_output(path)
        except SLRFRError as exc:
            self._on_error(str(exc), "")
            return False
        # Written by a worker with a progress dialog: a large model took the window seconds.
        outcome = run_in_background(
            self, lambda progress, stop: save_model(clf, path, thumbnails=thumbs, progress=progress, should_stop=stop),
            f"Saving the {format_resolution(res)} model to {Path(path).name}…", "save model")
        if outcome.cancelled:
            self.statusBar().showMessage(f"Saving {path} was cancelled; any earlier file there is unchanged.")
            return False
        if outcome.error is not None:
            self._on_error(*outcome.error)
            return False
        self.unsaved_models.discard(res)
        settings.add_recent("recent/models", str(path))
        self.statusBar().showMessage(f"Model saved to {path}.")
        return True

    # ----------------------------------------------------------------- probe
    def choose_probe(self):
        path, _ = QFileDialog.getOpenFileName(
            self, "Open probe image", "",
            "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.pgm *.ppm *.gif *.webp);;All files (*)")
        if path:
            self.set_probe(path)

    def set_probe(self, path) -> bool:
        """Read a probe image file, show it, and identify it when a model is ready.

        A large image (over :data:`~slrfr_gui.gui.probe_loading.LARGE_PIXELS`) is decoded, checked
        and searched in a worker, as a photo's face search is; ``probe_searched`` says when it ends."""
        if probe_loading.pixel_count(path) > probe_loading.LARGE_PIXELS:
            self._load_probe_in_background(str(path))
            return True
        try:
            image = read_grey(path)
        except SLRFRError as exc:
            self._clear_probe()
            self.probe_failure = (str(path), str(exc).split(": ", 1)[-1])
            self._on_error(str(exc), "")
            return False
        return self.set_probe_image(image, str(path))

    def set_probe_image(self, image: np.ndarray, source: str = "", eyes=None) -> bool:
        """Find the face of a probe image (or use the eye centres given or remembered), show it, identify it.

        A photo's face is searched for in a worker (seconds for a large photo; the window stays
        live, and a newer probe supersedes it): the image is shown at once, the face and the
        ranking when ``probe_searched`` is emitted. Returns False when the image cannot be a probe.
        """
        self._stop_probe_search()
        problem = probe_problem(image)
        if problem:
            self._clear_probe()
            self.probe_failure = (source, problem)
            self._on_error(f"{source or 'The probe'}: cannot identify: {problem}", "")
            return False
        image = np.asarray(image, dtype=np.float64)
        if eyes is None and source:
            eyes = self.eye_memory.get(source)
        if needs_search(image.shape, eyes=eyes):
            self._search_probe(image, source)
            return True
        try:
            search = find_faces(image, eyes=eyes)
        except ValueError as exc:
            self.probe_failure = (source, str(exc))
            self._on_error(f"{source or 'The probe'}: {exc}", "")
            return False
        self._show_search(image, source, search)
        return True

    def _search_probe(self, image: np.ndarray, source: str) -> None:
        self._clear_probe()
        self.probe_given, self.probe_source, self.probe_note = image, source, "finding the face…"
        self._show_main_page()
        message = f"Finding the face in {source or 'the probe'} ({image.shape[1]}x{image.shape[0]})…"
        self.results.verdict.setText(message)
        self.results.btn_eyes.setEnabled(True)  # two clicks need not wait for the search
        self.statusBar().showMessage(message)
        task = Task(lambda progress, stop: find_faces(image, should_stop=stop), "probe search", self)
        task.returned.connect(lambda search: self._show_search(image, source, search)
                              if self.probe_task is task else None)
        task.errored.connect(lambda message, details: self._probe_search_failed(source, message, details)
                             if self.probe_task is task else None)
        task.finished.connect(lambda: self._probe_search_ended(task))
        self.probe_task = task
        self.probe_tasks.add(task)
        self._show_probe(searching=True)
        task.start()

    def _load_probe_in_background(self, path: str) -> None:
        self._clear_probe()
        eyes = self.eye_memory.get(path)
        self._show_main_page()
        message = f"Reading {Path(path).name} and finding the face…"
        self.results.verdict.setText(message)
        self.statusBar().showMessage(message)
        task = Task(lambda progress, stop: probe_loading.load_probe(path, eyes, stop), "probe load", self)
        task.returned.connect(lambda loaded: self._probe_loaded(path, loaded) if self.probe_task is task else None)
        task.errored.connect(lambda message, details: self._probe_load_failed(path, message, details)
                             if self.probe_task is task else None)
        task.finished.connect(lambda: self._probe_search_ended(task))
        self.probe_task = task
        self.probe_tasks.add(task)
        task.start()

    def _probe_loaded(self, path: str, loaded) -> None:
        if loaded.problem:
            self._clear_probe()
            self.probe_failure = (path, loaded.problem)
            self._on_error(f"{path}: cannot identify: {loaded.problem}", "")
            return
        self.probe_preview = (loaded.image, loaded.preview)
        self._show_search(loaded.image, path, loaded.search)

    def _probe_load_failed(self, path: str, message: str, details: str) -> None:
        self._clear_probe()
        self.probe_failure = (path, message.split(": ", 1)[-1] if message.startswith(path) else message)
        self._on_error(message, details)

    def _probe_search_failed(self, source: str, message: str, details: str) -> None:
        self.probe_failure = (source, message)
        self.results.verdict.setText(f"<b>No face found</b> in {source or 'the probe'}: {message}")
        self._on_error(f"{source or 'The probe'}: {message}", details)

    def _probe_search_ended(self, task: Task) -> None:
        self.probe_tasks.discard(task)
        if self.probe_task is task:
            self.probe_task = None
            self.probe_searched.emit()
        task.deleteLater()

    def _stop_probe_search(self) -> None:
        """Let a running search for an earlier probe's face end unseen."""
        if self.probe_task is not None:
            self.probe_task.cancel()
            self.probe_task = None

    def _show_main_page(self) -> None:
        """Leave the start page for the main page (a probe opened there stayed unseen behind it)."""
        if self.pages.currentWidget() is not self.main_page:
            self.pages.setCurrentWidget(self.main_page)

    def _show_search(self, image: np.ndarray, source: str, search) -> None:
        why = search.note if search.note.startswith("no face") else f"no face found ({search.note})"
        self.probe_failure = None if search.faces else (source, why)
        self.probe_given, self.probe_source, self.probe_note = image, source, search.note
        self.probe_image = search.faces[0].aligned if search.faces else None
        self._show_main_page()
        self.results.btn_eyes.setEnabled(True)
        self._show_probe()
        self.identify()
        if self.probe_image is None:
            self.results.verdict.setText(f"<b>No face found</b> in {source or 'the probe'}: use Place eyes… "
                                         "to click the two eye centres.")
        self.statusBar().showMessage(f"{source or 'The probe'}: {search.note}.")

    def _clear_probe(self):
        """Forget the current probe, so nothing shown belongs to an image that failed to load."""
        self._stop_probe_search()
        self.probe_given = self.probe_image = None
        self.probe_failure = None
        self.probe_source = self.probe_note = ""
        self.results.btn_eyes.setEnabled(False)
        for label in (self.results.given, self.results.aligned, self.results.lowres):
            label.clear()
        self.results.probe_note.setText("")
        self.result = None
        self.results.show_result(None)

    def _show_probe(self, searching: bool = False):
        given = self.probe_given
        if given is not None:  # draw a reduced copy of a large image, made once per image
            if getattr(self, "probe_preview", (None,))[0] is not given:
                self.probe_preview = (given, probe_loading.preview_of(given))
            given = self.probe_preview[1]
        self.results.show_probe(given, self.probe_image, self.resolution, self.probe_note, searching)

    def place_eyes(self, eyes=None) -> bool:
        """Align the current probe by two eye centres (asked for with two clicks when not given)."""
        if self.probe_given is None:
            return False
        if eyes is None:
            dialog = EyesDialog(self.probe_given, self)
            if not dialog.exec() or dialog.eyes is None:
                return False
            eyes = dialog.eyes
        if self.probe_source:
            self.eye_memory[self.probe_source] = eyes
        return self.set_probe_image(self.probe_given, self.probe_source, eyes)

    def paste_probe(self):
        mime = QApplication.clipboard().mimeData()
        if mime is not None and mime.hasImage():
            image = QApplication.clipboard().image()
            if not image.isNull():
                self.set_probe_image(qimage_to_grey(image), "clipboard")
                return
        if mime is not None and mime.hasUrls():
            files = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
            if files:
                self.set_probe(files[0])
                return
        self.statusBar().showMessage("The clipboard holds no image.")

    def identify(self):
        model = self.model
        if model is None or self.probe_image is None:
            self.result = None
            self.results.show_result(None)
            if self.probe_image is not None and not self.busy():
                self.results.verdict.setText(
                    f"No model for {format_resolution(self.resolution)} yet to identify this probe: "
                    + ("train (Ctrl+T)." if self.gallery is not None and self.gallery.images else
                       "open a gallery folder (Ctrl+G) and train (Ctrl+T), or open a model (File → Open model)."))
            return
        noise = self.results.noise_spin.value()
        learned = getattr(model, "relighting", None) == "learned"
        self.result = identify(model, self.probe_image, self.results.threshold, settings.read("results/top"),
                               noise if learned else 0.0)
        warnings = []
        if noise and not learned:
            warnings.append("the probe noise setting applies to the learned relighting only; it was not used")
        warning = upsampling_warning(self.probe_image.shape, model.resolution_)
        if warning:
            size = format_resolution(self.probe_image.shape)
            warnings.append(f"{warning}: set the probe resolution to {size} and train (Ctrl+T).")
        self.result.warning = "; ".join(warnings)
        self.results.show_result(self.result)
        self.identified.emit(self.result.ranked)

    def ranked_json(self) -> list:
        """The current result in the form ``slrfr identify --json`` prints: the ranked persons, or an
        ``"error"`` saying why the probe could not be identified, and any ``"warning"``."""
        if self.probe_failure is not None:
            source, why = self.probe_failure
            return [{"probe": source, "ranked": [], "error": why}]
        if self.result is None:
            return []
        entry = {"probe": self.probe_source,
                 "ranked": [{"person": p, "residual": round(r, 6)} for p, r in self.result.ranked]}
        warnings = [w for w in (self.result.warning, ONE_PERSON_NOTE if self.result.n_persons < 2 else "") if w]
        if warnings:
            entry["warning"] = "; ".join(warnings)
        return [entry]

    # ----------------------------------------------------------------- batch
    def choose_batch_folder(self):
        folder = QFileDialog.getExistingDirectory(self, "Identify every image in a folder")
        if folder:
            self.run_batch(folder)

    def run_batch(self, folder, note: str = ""):
        model = self.model
        if model is None:
            self._on_error(f"Train or open a model for {format_resolution(self.resolution)} first.", "")
            return
        try:
            files = probe_files(folder)
        except SLRFRError as exc:
            self._on_error(str(exc), "")
            return
        threshold = self.results.threshold
        self.batch_dock.show()
        self._start_task(lambda progress, stop: identify_files(model, files, threshold, progress, stop),
                         f"Identifying {len(files)} probes…" + (f" ({note})" if note else ""),
                         lambda rows: self._batch_done(rows, folder, note), "batch")

    def _batch_done(self, rows, folder=None, note: str = ""):
        self.batch_panel.set_rows(rows, folder)
        self._update_state()
        self.statusBar().showMessage(f"Batch done: {self.batch_panel.summary_text()} (Batch panel; Export CSV, "
                                     "Ctrl+E)" + (f"; {note}" if note else ""))  # it kept "Identifying 53 probes…"
        self.batch_done.emit()

    def choose_export_csv(self):
        if not self.batch_panel.rows:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export results", "results.csv", "CSV files (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path) -> bool:
        try:
            write_csv(self.batch_panel.rows, path)
        except OSError as exc:
            self._on_error(f"{path}: could not write ({exc.strerror or exc})", "")
            return False
        self.statusBar().showMessage(f"{len(self.batch_panel.rows)} results written to {path}.")
        return True

    # ---------------------------------------------------------- drag and drop
    def scan_videos(self, inputs=(), output=None) -> bool:
        """File -> Scan videos…: ask for inputs and options, then scan in the background (the Scan panel)."""
        if self.scan_panel.running():
            self.scan_dock.show()
            self.statusBar().showMessage("A scan is already running (Scan panel); cancel it first.")
            return False
        dialog = ScanDialog(self, persons=self.model.classes_ if self.model is not None else (),
                            has_model=self.model is not None)
        dialog.add_inputs([str(p) for p in inputs])
        if output is not None:
            dialog.output.setText(str(output))
        if dialog.exec() != dialog.DialogCode.Accepted:
            return False
        return self.start_scan(dialog.settings())

    def start_scan(self, settings: dict) -> bool:
        """Start a scan from :meth:`ScanDialog.settings`; False (with a message) when it cannot start."""
        import hashlib

        model, model_id = self.model, {"window": format_resolution(self.resolution)}
        if settings.get("model_path"):
            try:
                model, _ = load_model(settings["model_path"])
                model_id = {"sha256": hashlib.sha256(Path(settings["model_path"]).read_bytes()).hexdigest()}
            except (SLRFRError, OSError) as exc:
                self._on_error(f"{settings['model_path']}: {exc}", "")
                return False
        if model is None:
            self._on_error("No model to scan with: train one (Ctrl+T) or choose a model file in the scan dialog.", "")
            return False
        self.scan_dock.show()
        self.scan_panel.start(model, settings["inputs"], settings["output"], settings["options"],
                              workers=settings.get("workers"), scheduler=settings.get("scheduler"),
                              resume=settings.get("resume", False), model_id=model_id)
        return True

    def dragEnterEvent(self, event):
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event):
        mime = event.mimeData()
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []
        if paths:
            first = paths[0]
            if first.is_dir():
                self.open_dropped_folder(first)
            elif first.suffix.lower() == ".npz":
                self.open_model(first)
            elif first.suffix.lower() == ".slrfr-gallery":
                self.open_gallery(first)
            else:
                self.set_probe(first)
        elif mime.hasImage():
            self.set_probe_image(qimage_to_grey(QImage(mime.imageData())), "dropped image")
        event.acceptProposedAction()

    def open_dropped_folder(self, folder) -> str:
        """A dropped folder: a gallery only when clearly one (:func:`~slrfr_gui.core.batch.folder_kind`),
        else probes identified in a batch; the status bar says which. Returns the kind taken."""
        folder = Path(folder)
        try:
            kind = folder_kind(folder)
        except SLRFRError as exc:
            self._on_error(str(exc), "")
            return "error"
        if kind == "gallery":
            if self.open_gallery(folder):
                self.statusBar().showMessage(f"{folder.name}: person sub-folders, opened as a gallery…")
        elif kind == "empty":
            self.statusBar().showMessage(f"{folder}: holds no files; nothing opened.")
        elif self.model is None:
            self._on_error(f"{folder} holds images, so it was taken as probes, but there is no model for "
                           f"{format_resolution(self.resolution)} yet: train or open a model, then drop it again. "
                           "(A gallery folder holds one sub-folder per person and no images of its own.)", "")
        else:
            self.run_batch(folder, note=f"{folder.name} holds images, so it was identified as probes (a gallery "
                                        "folder holds only person sub-folders)")
        return kind

    # ---------------------------------------------------------------- other
    def about(self):
        QMessageBox.about(self, "About slrfr-gui", ABOUT)

    def save_layout(self):
        s = QSettings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/splitter", self.splitter.saveState())

    def restore_layout(self):
        s = QSettings()
        for key, fn in (("window/geometry", self.restoreGeometry), ("window/state", self.restoreState),
                        ("window/splitter", self.splitter.restoreState)):
            value = s.value(key)
            if isinstance(value, (QByteArray, bytes)):
                fn(value)

    # --------------------------------------------------------- start page
    def show_start_page(self) -> None:
        """The start page, with the recent galleries and models brought up to date."""
        self.welcome.set_recent(settings.read("recent/galleries"), settings.read("recent/models"))
        self.pages.setCurrentWidget(self.welcome)

    def open_demo(self, persons: int = 12, probes_per_person: int = 2, resolution=(7, 6)) -> None:
        """Open the built-in demo: fictional persons (:mod:`slrfr_gui.core.demo`), trained at once at
        ``resolution`` (7x6 as the README and start page say; it trained at the last size used: 19 s
        at 24x20), and their probes in the "Demo probes" panel."""
        from ..demo.persons import make_demo

        if not recovery.confirm_discard(self, "opening the demo"):
            self.statusBar().showMessage("The demo was not opened; the current work is kept.")
            return
        if self.busy():
            self.task.cancel()
            self.task.wait()
        demo = make_demo(persons, probes_per_person)
        self.resolution_bar.set_resolution(tuple(resolution), emit=False)
        self._gallery_done(demo.gallery, demo=True)
        self._resolution_changed(self.resolution_bar.resolution)  # previews, threshold (the demo's gallery now)
        self.demo_panel.set_probes(demo.probes)
        self.demo_dock.setVisible(True)
        self.statusBar().showMessage(f"Demo: {len(demo.gallery.persons)} fictional persons. Training; then click "
                                     "a probe in the Demo probes panel.")
        if self.model is None and not self.busy():
            self.train()

    def _demo_probe_chosen(self, probe) -> None:
        self.set_probe_image(probe.image, f"demo probe: {probe.label}")

    def start_webcam_enrolment(self, source=None) -> None:
        """The main page with the camera panel open and started (on ``source``: a device number, a video
        file or a folder of images; by default the panel's choice), ready to enroll."""
        self.pages.setCurrentWidget(self.main_page)
        self.camera_dock.setVisible(True)
        self.camera_dock.raise_()
        if source is not None:
            self.camera_view.source.setCurrentText(str(source))
            self.camera_view.start(str(source))
        elif not self.camera_view.running():
            self.camera_view.start()
        self.camera_view.enroll_name.setFocus()
        self.statusBar().showMessage("Type a name in the camera panel and press Capture for enrolment; faces "
                                     "of that person are kept as they are seen.")

    def enroll_faces(self, name: str, faces: list) -> None:
        """Add faces (from the camera) to a person of the gallery, creating the person if needed."""
        if not name or not faces:
            return
        if self.gallery is None:
            self.gallery = Gallery()
        try:
            for i, face in enumerate(faces, start=1):
                self.gallery.add_face(name, face, name=f"camera {i}", source="camera")
        except SLRFRError as exc:
            self._on_error(str(exc), "")
            return
        self.gallery_panel.set_gallery(self.gallery)
        self._gallery_edited()
        self.statusBar().showMessage(f"{len(faces)} faces of {name} added to the gallery: train to use them.")

    # ------------------------------------------------------- unsaved work
    def has_unsaved_work(self) -> bool:
        return (self.gallery_dirty and self.gallery is not None) or bool(self.unsaved_models & set(self.models))

    def unsaved_description(self) -> str:
        parts = ["The gallery was edited and not saved."] if self.gallery_dirty and self.gallery is not None else []
        unsaved = sorted(self.unsaved_models & set(self.models))
        if unsaved:
            parts.append(f"The model(s) trained at {', '.join(format_resolution(r) for r in unsaved)} are not saved.")
        return " ".join(parts)

    def session(self) -> recovery.Session:
        """A snapshot of the work worth keeping, for the autosave."""
        thumbs = {res: recovery.thumbnails_for(clf, self.results.thumbnails) for res, clf in self.models.items()}
        return recovery.Session(recovery.snapshot_gallery(self.gallery), self.gallery_dirty, dict(self.models),
                                thumbs, sorted(self.unsaved_models & set(self.models)))

    def restore_session(self, session: recovery.Session) -> None:
        """Bring back autosaved work (after a crash); it stays unsaved until saved."""
        if session.gallery is not None:
            self._gallery_done(session.gallery)
            self.gallery_dirty = session.gallery_dirty
        for res, clf in session.models.items():
            self.models[res] = clf
            thumbs = session.thumbnails.get(res)
            if thumbs is not None:
                self.model_thumbnails.update({str(p): t for p, t in zip(clf.classes_, thumbs)})
        self.unsaved_models = set(session.unsaved) & set(self.models)
        self._refresh_thumbnails()
        self.identify()
        self._update_state()
        self.statusBar().showMessage(f"Restored the work autosaved at {session.saved_at}: "
                                     f"{self.unsaved_description() or 'nothing unsaved'}")

    def enable_recovery(self, store: recovery.RecoveryStore, interval_ms: int = 60_000) -> None:
        """Autosave unsaved work into ``store`` every ``interval_ms`` and after training."""
        self.keeper = recovery.SessionKeeper(self, store, interval_ms)
        self.keeper.failed.connect(lambda message: self.statusBar().showMessage(f"Autosave failed: {message}"))

    def _camera_failed(self, message: str) -> None:
        log.warning("camera: %s", message, extra=SHOWN)
        self.statusBar().showMessage(f"Camera: {message}")

    def closeEvent(self, event):
        if self.confirm_close and not recovery.confirm_close(self):
            event.ignore()
            return
        self.camera_view.stop()
        self.review.stop()
        self.close_timed_out = False
        if not self.scan_panel.stop():
            self.close_timed_out = True
            log.warning("the scan did not stop within 30 s")
        self._stop_probe_search()
        for task in list(self.probe_tasks):
            task.cancel()
            task.wait(10_000)
        if self.busy():
            self.task.cancel()
            if not self.task.wait(10_000):
                self.close_timed_out = True
                log.warning("the worker did not stop within 10 s")
        if self.keeper is not None:
            self.keeper.finish()
            self.keeper = None
        self.save_layout()
        super().closeEvent(event)


class _CrashReporter(QObject):
    """Carries an unexpected error from any thread to the GUI thread, where the crash dialog is shown."""

    crashed = Signal(str, str)  # message, traceback

    def __init__(self, log_path):
        super().__init__()
        self.log_path = log_path
        self.showing = False
        self.crashed.connect(self._show)

    def _show(self, message, details):
        if self.showing:  # an error while the dialog is up is logged, not stacked
            return
        self.showing = True
        try:
            where = f"The details are in the log: {self.log_path}" if self.log_path else \
                "The log could not be written; the details follow."
            parent = next((w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()),
                          None)
            dialogs.show_crash(parent, f"{message}\n\n{where}", details)
        finally:
            self.showing = False


def install_excepthook(log_path):
    """Log unexpected exceptions (in slots, event handlers and threads) and show a crash dialog with the
    log's path instead of vanishing. Returns the reporter (it must live as long as the hook)."""
    reporter = _CrashReporter(log_path)

    def report(kind, value, tb, where=""):
        text = "".join(traceback.format_exception(kind, value, tb))
        log.critical("unexpected error%s\n%s", where, text)
        if QApplication.instance() is not None:
            reporter.crashed.emit(f"{kind.__name__}: {value}", text)  # queued when not on the GUI thread

    def thread_hook(args):
        if args.exc_type is not SystemExit:
            report(args.exc_type, args.exc_value, args.exc_traceback,
                   f" in thread {args.thread.name if args.thread else '?'}")

    sys.excepthook = report
    threading.excepthook = thread_hook
    return reporter


class _VersionAction(argparse.Action):
    """``--version``: the version, and whether dlib's face search is there (a frozen build must carry it)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from ..faces.face_search import library_status

        print(f"slrfr-gui {__version__}\n{library_status()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="slrfr-gui", description="The slrfr-gui window.")
    parser.add_argument("--version", action=_VersionAction, help="show the version and which face search runs, "
                                                                 "and exit")
    parser.add_argument("--gallery", type=Path, help="open this gallery folder (or saved gallery file)")
    parser.add_argument("--model", type=Path, help="open this model file")
    parser.add_argument("--demo", action="store_true", help="open the built-in demo: fictional persons, trained, "
                        "with probes to identify (no data needed)")
    parser.add_argument("--probe", type=Path, help="identify this probe image")
    parser.add_argument("--resolution", type=str, help="probe resolution, e.g. 7x6")
    parser.add_argument("--train", action="store_true", help="train after opening the gallery (implied when a "
                        "probe is given without a model)")
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the whole window when the work is done, then exit")
    parser.add_argument("--json", type=Path, help="with --screenshot: write the ranked persons as JSON too")
    parser.add_argument("--scan-results", type=Path, metavar="FILE", help="open the Scan panel on a results file of "
                        "'slrfr scan' (with --scan: scan into it, continuing it if it exists)")
    parser.add_argument("--scan", type=Path, action="append", metavar="INPUT", help="scan this video or folder with "
                        "the model (give --scan-results too; repeat for several; with --screenshot, taken when done)")
    parser.add_argument("--camera", metavar="SOURCE", help="open the camera panel on this source: a device number "
                        "(0, 1, ...), a video file or a folder of images (with --screenshot, taken after a few frames)")
    return parser


def _check_arguments(parser: argparse.ArgumentParser, args) -> None:
    """Usage errors that can be told before a window opens (exit status 2, as argparse does)."""
    for option, path, want_file in (("--gallery", args.gallery, None), ("--model", args.model, True),
                                    ("--probe", args.probe, True),
                                    ("--scan-results", None if args.scan else args.scan_results, True)):
        if path is None:
            continue
        if not path.exists():
            parser.error(f"argument {option}: {path}: no such file or folder")
        if want_file and path.is_dir():
            parser.error(f"argument {option}: {path}: is a folder; give a file")
    for option, path in (("--screenshot", args.screenshot), ("--json", args.json)):
        if path is not None and not (path.parent if str(path.parent) else Path(".")).is_dir():
            parser.error(f"argument {option}: {path.parent}: no such folder")
    if args.demo and (args.gallery is not None or args.model is not None):
        parser.error("argument --demo: opens its own gallery; give it without --gallery and --model")
    if args.json is not None and args.screenshot is None:
        parser.error("argument --json: only with --screenshot (the ranked persons are written when the "
                     "screenshot is taken)")
    if args.json is not None and args.probe is not None and not (args.gallery or args.model or args.demo):
        parser.error("argument --json: nothing to rank the probe against; give --gallery, --model or --demo too")
    if args.scan and (args.scan_results is None or not (args.model or args.gallery or args.demo)):
        parser.error("argument --scan: give --scan-results FILE and a model (--model, --gallery or --demo) too")
    if args.camera is not None:
        source = args.camera.strip()
        if not source or not (source.isdigit() or Path(source).exists()):
            parser.error(f"argument --camera: {args.camera!r}: no such video file or folder; give a device number "
                         "(0, 1, ...), a video file or a folder of images")


def _check_model_resolution(parser: argparse.ArgumentParser, args, resolution) -> None:
    """--model with a --resolution the model is not for is a usage error (it used to be ignored)."""
    if args.model is None or resolution is None:
        return
    from ..method.modelfile import read_metadata

    try:
        trained = tuple(read_metadata(args.model)["requested_resolution"])
    except SLRFRError:
        return  # the window reports a bad model file itself
    if trained != tuple(resolution):
        size = format_resolution(trained)
        parser.error(f"argument --resolution: {args.model} is a model for {size}, not "
                     f"{format_resolution(resolution)}; give --resolution {size} or leave it out"
                     + (" (or leave out --model to train the gallery at that size)" if args.gallery else ""))


def no_screen_message() -> str | None:
    """Why no window can open here (Linux without a display and no Qt platform chosen), or None.

    Qt would otherwise abort (exit status 134) saying that reinstalling the application may help."""
    if not sys.platform.startswith("linux") or QApplication.instance() is not None:
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    return ("no screen: neither DISPLAY nor WAYLAND_DISPLAY is set, so no window can open. For a scripted run use "
            "Qt's offscreen platform, e.g. QT_QPA_PLATFORM=offscreen slrfr-gui --demo --screenshot shot.png; "
            "otherwise run slrfr-gui on a desktop")


def install_sigint_handler(app: QApplication, window_of):
    """Ctrl+C (SIGINT) closes the window as its close button does: unsaved work is asked about (or not,
    when ``confirm_close`` is False) and the autosave ends cleanly, instead of a KeyboardInterrupt raised
    in whichever slot runs. Qt's event loop holds the interpreter in C++, so a timer wakes Python every
    200 ms to let it run the handler. ``window_of()`` gives the window (None before it exists: then the
    application just quits). Returns the previous handler (for :func:`signal.signal`)."""
    pending = {"on": False}

    def close_window():
        pending["on"] = False
        window = window_of()
        try:
            visible = window is not None and window.isVisible()
        except RuntimeError:  # already deleted (closed)
            visible = False
        if visible:
            log.info("interrupted (SIGINT): closing the window")
            window.close()
        else:
            app.quit()

    def on_sigint(signum, frame):
        if not pending["on"]:
            pending["on"] = True
            QTimer.singleShot(0, close_window)  # not inside the handler: a question may need an event loop

    previous = signal.signal(signal.SIGINT, on_sigint)
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(200)
    app._sigint_timer = timer
    return previous


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    _check_arguments(parser, args)
    if args.resolution is not None:
        try:
            resolution = parse_resolution(args.resolution)
        except ValueError as exc:
            parser.error(f"argument --resolution: {exc}")
    else:
        resolution = None
    _check_model_resolution(parser, args, resolution)
    no_screen = no_screen_message()
    if no_screen:
        print(f"slrfr-gui: error: {no_screen}", file=sys.stderr)
        return 1
    app = QApplication.instance() or QApplication([sys.argv[0]])
    holder = {}
    previous_sigint = install_sigint_handler(app, lambda: holder.get("window"))
    try:
        return _run(app, args, resolution, holder)
    finally:
        signal.signal(signal.SIGINT, previous_sigint)


def _run(app: QApplication, args, resolution, holder: dict) -> int:
    """The window of :func:`main`, from the checked arguments, until the application quits."""
    app.setApplicationName("slrfr-gui")
    app.setOrganizationName("slrfr-gui")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    log_path = setup_logging()
    app._crash_reporter = install_excepthook(log_path)
    apply_palette_to_pyqtgraph()
    window = MainWindow()
    holder["window"] = window
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if args.screenshot is None:
        window.restore_layout()
        try:
            window.enable_recovery(recovery.RecoveryStore(recovery.recovery_folder()))
        except OSError as exc:
            log.warning("no autosave this session: %s", exc)
        else:
            QTimer.singleShot(0, window.keeper.offer_restore)
    else:
        window.confirm_close = False  # a scripted run ends without questions, and keeps no autosave
        window.show_dialogs = False
        window.resize(1500, 950)
    if resolution:
        window.resolution_bar.set_resolution(resolution)
    window.show()
    status = {"code": 0, "finished": False, "camera_failed": False, "camera_deadline": time.monotonic() + 30}
    if args.camera is not None:
        window.start_webcam_enrolment(args.camera.strip())
    if args.scan_results is not None and not args.scan:
        window.scan_dock.show()
        if not window.scan_panel.open_results(args.scan_results):
            status["code"] = 1
    if args.scan_results is not None:  # the results take most of the window
        QTimer.singleShot(0, lambda: window.resizeDocks([window.scan_dock], [int(window.height() * 0.7)],
                                                        Qt.Orientation.Vertical))

    def camera_waits() -> bool:
        """True while the camera of --camera has shown fewer than three frames (the screenshot waits)."""
        if args.camera is None or status["camera_failed"]:
            return False
        last = window.camera_view.last
        if last is not None and last["index"] >= 2:
            return False
        if time.monotonic() > status["camera_deadline"]:
            print(f"slrfr-gui: error: {args.camera}: no frame shown within 30 s", file=sys.stderr)
            status["code"] = 1
            return False
        return True

    def finish():
        if status["finished"]:
            return
        if args.screenshot is not None and (camera_waits() or window.probe_searching()
                                            or window.scan_panel.running() or window.review.reading()):
            QTimer.singleShot(100, finish)
            return
        status["finished"] = True
        if args.screenshot is not None:
            if window.grab().save(str(args.screenshot)):
                print(f"screenshot written to {args.screenshot}")
            else:
                print(f"slrfr-gui: error: {args.screenshot}: could not write the screenshot (is the folder there, "
                      "and does the name end in .png?)", file=sys.stderr)
                status["code"] = 1
            if args.json is not None:
                ranked = window.ranked_json()
                if not ranked and args.probe:  # never identified (say, the model did not open): say why
                    ranked = [{"probe": str(args.probe), "ranked": [],
                               "error": status.get("message") or "not identified: no model"}]
                args.json.write_text(json.dumps(ranked, indent=2) + "\n")
                print(f"ranked persons written to {args.json}")
                failed = [e for e in ranked if "error" in e]
                if failed and not status["code"]:  # a failure fail() has not printed (no face found)
                    for entry in failed:
                        print(f"slrfr-gui: error: {entry['probe']}: cannot identify: {entry['error']}",
                              file=sys.stderr)
                    status["code"] = 1
            window.close()
            app.quit()

    def fail(message):
        print(f"slrfr-gui: error: {message}", file=sys.stderr)
        status.setdefault("message", message)
        if args.screenshot is not None:  # a scripted run failed; an interactive one showed the error and goes on
            status["code"] = 1
            QTimer.singleShot(100, finish)

    window.task_failed.connect(fail)
    window.warned.connect(lambda message: print(f"slrfr-gui: warning: {message}", file=sys.stderr))

    def camera_failed(message):
        status["camera_failed"] = True
        fail(f"camera: {message}")

    if args.camera is not None:
        window.camera_view.failed.connect(camera_failed)

    def after_model():
        if args.scan:
            from ..scan import ScanOptions

            window.scan_panel.finished.connect(lambda summary: status.update(code=status["code"] or int(
                summary is None or not summary.complete)))
            window.start_scan({"inputs": [str(p) for p in args.scan], "output": args.scan_results,
                               "options": ScanOptions(), "resume": args.scan_results.exists()})
        if args.probe and not window.set_probe(args.probe):
            return  # the window reported why, through task_failed
        QTimer.singleShot(200, finish)

    def after_gallery():
        if args.model and window.open_model(args.model) and window.model is not None:
            return after_model()
        if window.model is None and (args.train or args.probe or args.screenshot):
            window.model_ready.connect(after_model)
            window.train()
        else:
            after_model()

    def after_demo_model():
        window.model_ready.disconnect(after_demo_model)
        if args.probe:
            return after_model()
        window.demo_panel.choose(0)
        if args.screenshot is not None:
            QTimer.singleShot(200, finish)

    if args.demo:
        window.model_ready.connect(after_demo_model)
        window.open_demo(resolution=resolution or (7, 6))
    elif args.gallery:
        window.gallery_loaded.connect(after_gallery)
        window.open_gallery(args.gallery)
    elif args.model:
        if window.open_model(args.model):
            after_model()
    elif args.probe:  # a probe alone: shown (it was ignored), and the window says what it needs
        after_model()
    elif args.screenshot:
        QTimer.singleShot(300, finish)
    code = app.exec()
    return status["code"] or code


if __name__ == "__main__":
    sys.exit(main())
