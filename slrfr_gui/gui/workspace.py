"""The window's work on its gallery and its models: what the File and Model menus do.

:class:`GalleryAndModels` opens, saves and edits the gallery (folders in a worker, saved gallery
files), trains a model per resolution in a worker (one task at a time, as every long task of the
window), opens and saves model files (in a worker with progress and Cancel), opens the demo, starts
scans with a model, and says what is unsaved (and what the autosave keeps). It is one part of
:class:`~slrfr_gui.gui.window.MainWindow`, kept in its own module so that the window's module is the
wiring (panels, menus, state, layout); its state (``gallery``, ``models`` by resolution, ``stale``,
``unsaved_models``, ``gallery_dirty``) is the window's, read by the panels it feeds.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog

from ..errors import SLRFRError
from ..faces.frame import FRAME_SHAPE, format_resolution
from ..gallery.gallery import Gallery, load_gallery
from ..gallery.image import GalleryImage
from ..method.classifiers import make_classifier
from ..method.modelfile import check_model_output, load_model, save_model
from ..method.params import check_training_parameters
from . import dialogs, recovery, settings
from .logs import SHOWN
from .saving import run_in_background
from .scan_dialog import ScanDialog

log = logging.getLogger("slrfr_gui")


class GalleryAndModels:
    """The gallery and the models of :class:`~slrfr_gui.gui.window.MainWindow` (see the module docstring)."""

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
        if self.gallery is None:  # the model's persons, and why there are no images to relight
            from .gallery_panel import model_only_message

            self.gallery_panel.show_model_persons([(str(p), self.model_thumbnails.get(str(p)))
                                                   for p in clf.classes_])
            self.relight_view.clear(model_only_message(len(clf.classes_)))
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
        existing file that is not a model, is refused (:func:`~slrfr_gui.method.modelfile.check_model_output`)."""
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

    # ------------------------------------------------- demo, scans, unsaved work
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

    def open_demo(self, persons: int = 12, probes_per_person: int = 2, resolution=(7, 6)) -> None:
        """Open the built-in demo: fictional persons (:mod:`slrfr_gui.demo.persons`), trained at once at
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
