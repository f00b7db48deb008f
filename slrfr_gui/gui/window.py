"""The analyst's window: it composes the panels, wires their signals, builds the menus and keeps the layout.

Panels, each with its own module, widgets and logic: the gallery (:mod:`.gallery_panel`) and its review
(:mod:`.gallery_review`), the relighting preview (:mod:`.relight_view`), the resolution bar and training
controls (:mod:`.controls`), the probe and its ranked persons (:mod:`.probe_panel`), batch
identification (:mod:`.batch_panel`), the camera (:mod:`.camera_view`), video scans (:mod:`.scan_panel`),
the demo's probes (:mod:`.demo_panel`) and the start page (:mod:`.welcome`). The work on the gallery and
the models (open, save, train) is :mod:`.workspace`; long work runs in one worker at a time
(:mod:`.worker`); autosave and recovery are :mod:`.recovery`. :mod:`.app` starts the window.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QMainWindow, QMessageBox, QSplitter, QStackedWidget,
                               QVBoxLayout, QWidget)

from ..errors import SLRFRError
from ..faces.frame import format_resolution, parse_resolution
from ..gallery.gallery import Gallery
from ..method.lighting_resources import serving_resolution
from ..method.openset import OpenSetDefaults
from ..method.slrfr import SLRFRClassifier
from ..scan.batch import folder_kind
from . import dialogs, recovery, settings
from .batch_panel import BatchPanel
from .camera_view import CameraView
from .common import initial_size
from .controls import ResolutionBar, TrainingControls
from .demo_panel import DemoProbesPanel
from .gallery_panel import GalleryPanel
from .gallery_review import GalleryReview
from .logs import SHOWN, log_folder
from .probe_panel import ProbePanel, qimage_to_grey
from .relight_view import RelightView
from .scan_panel import ScanPanel
from .welcome import WelcomePanel
from .worker import Task
from .workspace import GalleryAndModels

log = logging.getLogger("slrfr_gui")


class MainWindow(GalleryAndModels, QMainWindow):
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
        self.resize(initial_size(self.screen().availableGeometry().size(), QGuiApplication.platformName()))
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
        self.batch_panel.export_requested.connect(self.batch_panel.choose_export_csv)
        self.batch_panel.failed.connect(self._on_error)
        self.batch_panel.finished.connect(self._batch_done)
        self.batch_panel.set_task_starter(self._start_task)
        self.batch_panel.status.connect(lambda message: self.statusBar().showMessage(message))
        self.batch_dock = self._dock("Batch", self.batch_panel, Qt.DockWidgetArea.BottomDockWidgetArea, False)

        self.camera_view = CameraView()
        self.camera_view.captured.connect(lambda face, source: self.results.set_probe_image(face, source))
        self.camera_view.enroll.connect(self.enroll_faces)
        self.camera_view.failed.connect(self._camera_failed)
        self.camera_dock = self._dock("Camera", self.camera_view, Qt.DockWidgetArea.BottomDockWidgetArea, False)

        self.scan_panel = ScanPanel()
        self.scan_panel.failed.connect(self._on_error)
        self.scan_dock = self._dock("Scan", self.scan_panel, Qt.DockWidgetArea.BottomDockWidgetArea, False)

        # Bottom docks under the central area only: spanning the width, they squeezed the gallery review.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)

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
        self.results = ProbePanel()  # the probe and its ranked persons, with the logic that fills them
        self.results.threshold_changed.connect(self._threshold_changed)
        self.results.identified.connect(self.identified)
        self.results.searched.connect(self.probe_searched)
        self.results.failed.connect(self._on_error)
        self.results.status.connect(lambda message: self.statusBar().showMessage(message))
        self.results.shown.connect(self._show_main_page)
        self.splitter.addWidget(self.relight_view)
        self.splitter.addWidget(self.results)
        self.splitter.setSizes([700, 600])
        self.splitter.setChildrenCollapsible(False)
        # The left docks at the width of their content's minimum, not of its preferred size (a 300 px
        # photo beside the reference took a third of a 1366 px screen); a saved layout restores its own.
        self.resizeDocks([self.gallery_dock], [340], Qt.Orientation.Horizontal)
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
        self.act_open_probe = self._action("Open &probe image…", self.results.choose_probe, QKeySequence.StandardKey.Open)
        self.act_paste = self._action("&Paste probe", self.results.paste_probe, QKeySequence.StandardKey.Paste,
                                      "Use the image (or image file) on the clipboard as the probe")
        self.act_batch = self._action("Identify a &folder of probes…", self.choose_batch_folder, "Ctrl+B")
        self.act_export = self._action("&Export batch results as CSV…", self.batch_panel.choose_export_csv, "Ctrl+E")
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
        return self.results.probe_searching()

    def identify(self) -> None:
        """Identify the current probe (if any) with the model of the current resolution."""
        self._tell_probe_panel()
        self.results.identify()

    def _tell_probe_panel(self) -> None:
        has_gallery = self.gallery is not None and bool(self.gallery.images)
        hint = ("train (Ctrl+T)." if has_gallery else
                "open a gallery folder (Ctrl+G) and train (Ctrl+T), or open a model (File → Open model).")
        self.results.set_context(self.model, self.resolution, hint, self.busy())

    def _update_state(self):
        self._tell_probe_panel()
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

    def _show_main_page(self) -> None:
        """Leave the start page for the main page (a probe opened there stayed unseen behind it)."""
        if self.pages.currentWidget() is not self.main_page:
            self.pages.setCurrentWidget(self.main_page)

    # ------------------------------------------------------------ resolution
    def _resolution_changed(self, resolution):
        if settings.standard_resolution(resolution):  # a typed odd size is for this session only
            settings.write("view/resolution", format_resolution(resolution))
        self.relight_view.set_resolution(resolution)
        self._tell_probe_panel()
        self.results._show_probe()
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

    # ----------------------------------------------------------------- batch
    def choose_batch_folder(self):
        folder = QFileDialog.getExistingDirectory(self, "Identify every image in a folder")
        if folder:
            self.run_batch(folder)

    def run_batch(self, folder, note: str = ""):
        """Identify every image of ``folder`` with the current model, in the Batch panel."""
        files = self.batch_panel.probe_files(self.model, folder, self.resolution)
        if files is not None:
            self.batch_dock.show()
            self.batch_panel.run(self.model, files, folder, self.results.threshold, note)

    def _batch_done(self, status: str) -> None:
        self._update_state()
        self.statusBar().showMessage(status)
        self.batch_done.emit()

    # ---------------------------------------------------------- drag and drop
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
                self.results.set_probe(first)
        elif mime.hasImage():
            self.results.set_probe_image(qimage_to_grey(QImage(mime.imageData())), "dropped image")
        event.acceptProposedAction()

    def open_dropped_folder(self, folder) -> str:
        """A dropped folder: a gallery only when clearly one (:func:`~slrfr_gui.scan.batch.folder_kind`),
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
        QMessageBox.about(self, "About slrfr-gui", dialogs.ABOUT)

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

    def _demo_probe_chosen(self, probe) -> None:
        self.results.set_probe_image(probe.image, f"demo probe: {probe.label}")

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

    # ------------------------------------------------------- unsaved work
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
        self.results.stop()
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
