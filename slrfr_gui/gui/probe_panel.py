"""The probe panel: a probe image in, its face found, identified against the model, the ranked persons out.

:class:`ProbePanel` is the :class:`~slrfr_gui.gui.results.ResultsPanel` (probe views, ranked persons,
residual bars, open-set verdict) with the logic that fills it: reading a probe file (large ones in a
worker, :mod:`.probe_loading`), searching a photo for its face in a worker (a newer probe supersedes
the search), eye centres placed by hand and remembered per image, pasting from the clipboard,
identifying with the model the window hands it (:meth:`set_context`), and the result as
``slrfr identify --json`` gives it. It talks to the window through signals only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QFileDialog

from ..errors import SLRFRError
from ..faces.find import find_faces, needs_search
from ..faces.frame import format_resolution, probe_problem
from ..files.imageio import read_grey, to_grey
from ..method.openset import ONE_PERSON_NOTE
from ..method.params import upsampling_warning
from ..method.probe_report import probe_json
from . import probe_loading, settings
from .eyes_dialog import EyesDialog
from .results import ResultsPanel, identify
from .worker import Task


def qimage_to_grey(image: QImage) -> np.ndarray:
    """A QImage (e.g. from the clipboard) as grey levels in [0, 1], shape (rows, columns)."""
    from PIL import Image

    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    width, height = rgba.width(), rgba.height()
    buffer = np.frombuffer(rgba.constBits(), dtype=np.uint8, count=rgba.sizeInBytes())
    arr = buffer.reshape(height, rgba.bytesPerLine())[:, : width * 4].reshape(height, width, 4).copy()
    return to_grey(Image.fromarray(arr, "RGBA"))


class ProbePanel(ResultsPanel):
    """The probe and its ranked persons (see the module docstring).

    Signals
    -------
    identified(list)
        A probe was identified: its ranked ``(person, residual)`` pairs.
    searched()
        A search for the probe's face (in a worker) ended, found or not.
    failed(str, str)
        A message for the user and the details (a traceback, or ""); the window shows and logs it.
    status(str)
        A line for the status bar.
    shown()
        A probe is being shown: the window leaves its start page.
    """

    identified = Signal(list)
    searched = Signal()
    failed = Signal(str, str)
    status = Signal(str)
    shown = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = None  # the model of the window's resolution, set by set_context
        self.resolution = (7, 6)
        self.no_model_hint = ""
        self.busy = False
        self.probe_task: Task | None = None  # the search for the current probe's face, if one runs
        self.probe_search = None  # the FaceSearch of the current probe
        self.probe_tasks: set = set()  # every probe search still running, superseded ones too
        self.probe_image: np.ndarray | None = None  # the aligned face that is identified
        self.probe_given: np.ndarray | None = None  # the image as given
        self.probe_source = ""
        self.search_note = ""  # how the probe's face was found (or not)
        self.probe_failure: tuple[str, str] | None = None  # (source, why) of the last probe that failed
        self.eye_memory: dict[str, tuple] = {}  # eye centres placed by hand, per probe source
        self.result = None
        self.btn_eyes.clicked.connect(lambda: self.place_eyes())
        self.noise_changed.connect(lambda _: self.identify())

    def set_context(self, model, resolution, no_model_hint: str = "", busy: bool = False) -> None:
        """What the window holds: the model of the current resolution (or None), the resolution, what to
        say when there is no model, and whether a task runs (then that is not said yet)."""
        self.model, self.resolution = model, tuple(resolution)
        self.no_model_hint, self.busy = no_model_hint, busy

    def probe_searching(self) -> bool:
        """True while the current probe's face is being searched for in a worker."""
        return self.probe_task is not None and self.probe_task.is_running()

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
            self.failed.emit(str(exc), "")
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
            self.failed.emit(f"{source or 'The probe'}: cannot identify: {problem}", "")
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
            self.failed.emit(f"{source or 'The probe'}: {exc}", "")
            return False
        self._show_search(image, source, search)
        return True

    def _search_probe(self, image: np.ndarray, source: str) -> None:
        self._clear_probe()
        self.probe_given, self.probe_source, self.search_note = image, source, "finding the face…"
        self._show_main_page()
        message = f"Finding the face in {source or 'the probe'} ({image.shape[1]}x{image.shape[0]})…"
        self.verdict.setText(message)
        self.btn_eyes.setEnabled(True)  # two clicks need not wait for the search
        self.status.emit(message)
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
        self.verdict.setText(message)
        self.status.emit(message)
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
            self.failed.emit(f"{path}: cannot identify: {loaded.problem}", "")
            return
        self.probe_preview = (loaded.image, loaded.preview)
        self._show_search(loaded.image, path, loaded.search)

    def _probe_load_failed(self, path: str, message: str, details: str) -> None:
        self._clear_probe()
        self.probe_failure = (path, message.split(": ", 1)[-1] if message.startswith(path) else message)
        self.failed.emit(message, details)

    def _probe_search_failed(self, source: str, message: str, details: str) -> None:
        self.probe_failure = (source, message)
        self.verdict.setText(f"<b>No face found</b> in {source or 'the probe'}: {message}")
        self.failed.emit(f"{source or 'The probe'}: {message}", details)

    def _probe_search_ended(self, task: Task) -> None:
        self.probe_tasks.discard(task)
        if self.probe_task is task:
            self.probe_task = None
            self.searched.emit()
        task.deleteLater()

    def _stop_probe_search(self) -> None:
        """Let a running search for an earlier probe's face end unseen."""
        if self.probe_task is not None:
            self.probe_task.cancel()
            self.probe_task = None

    def _show_main_page(self) -> None:
        """Ask the window to leave its start page (a probe opened there stayed unseen behind it)."""
        self.shown.emit()

    def _show_search(self, image: np.ndarray, source: str, search) -> None:
        why = search.note if search.note.startswith("no face") else f"no face found ({search.note})"
        self.probe_failure = None if search.faces else (source, why)
        self.probe_given, self.probe_source, self.search_note = image, source, search.note
        self.probe_search = search  # for ranked_json: the same entry as slrfr identify --json
        self.probe_image = search.faces[0].aligned if search.faces else None
        self._show_main_page()
        self.btn_eyes.setEnabled(True)
        self._show_probe()
        self.identify()
        if self.probe_image is None:
            self.verdict.setText(f"<b>No face found</b> in {source or 'the probe'}: use Place eyes… "
                                         "to click the two eye centres.")
        self.status.emit(f"{source or 'The probe'}: {search.note}.")

    def _clear_probe(self):
        """Forget the current probe, so nothing shown belongs to an image that failed to load."""
        self._stop_probe_search()
        self.probe_given = self.probe_image = self.probe_search = None
        self.probe_failure = None
        self.probe_source = self.search_note = ""
        self.btn_eyes.setEnabled(False)
        for label in (self.given, self.aligned, self.lowres):
            label.clear()
        self.probe_note.setText("")
        self.result = None
        self.show_result(None)

    def _show_probe(self, searching: bool = False):
        given = self.probe_given
        if given is not None:  # draw a reduced copy of a large image, made once per image
            if getattr(self, "probe_preview", (None,))[0] is not given:
                self.probe_preview = (given, probe_loading.preview_of(given))
            given = self.probe_preview[1]
        self.show_probe(given, self.probe_image, self.resolution, self.search_note, searching)

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
        self.status.emit("The clipboard holds no image.")

    def identify(self):
        model = self.model
        if model is None or self.probe_image is None:
            self.result = None
            self.show_result(None)
            if self.probe_image is not None and not self.busy:
                self.verdict.setText(f"No model for {format_resolution(self.resolution)} yet to identify this probe: "
                                     + self.no_model_hint)
            return
        noise = self.noise_spin.value()
        learned = getattr(model, "relighting", None) == "learned"
        self.result = identify(model, self.probe_image, self.threshold, settings.read("results/top"),
                               noise if learned else 0.0)
        warnings = []
        if noise and not learned:
            warnings.append("the probe noise setting applies to the learned relighting only; it was not used")
        warning = upsampling_warning(self.probe_image.shape, model.resolution_)
        if warning:
            size = format_resolution(self.probe_image.shape)
            warnings.append(f"{warning}: set the probe resolution to {size} and train (Ctrl+T).")
        self.result.warning = "; ".join(warnings)
        self.show_result(self.result)
        self.identified.emit(self.result.ranked)

    def ranked_json(self) -> list:
        """The current result in the form ``slrfr identify --json`` prints: the ranked persons, or an
        ``"error"`` saying why the probe could not be identified, and any ``"warning"``."""
        search = self.probe_search
        if self.probe_failure is not None:
            source, why = self.probe_failure
            return [probe_json(source, search if search is not None and not search.faces else None, (), [why])]
        if self.result is None or search is None or not search.faces:
            return []
        warnings = [w for w in (self.result.warning, ONE_PERSON_NOTE if self.result.n_persons < 2 else "") if w]
        return [probe_json(self.probe_source, search, [(search.faces[0], self.result.ranked, self.result.ratio)],
                           threshold=self.result.threshold, model=self.model, warning="; ".join(warnings))]

    def stop(self, wait_ms: int = 10_000) -> None:
        """Stop every probe search (the window is closing)."""
        self._stop_probe_search()
        for task in list(self.probe_tasks):
            task.cancel()
            task.wait(wait_ms)


if __name__ == "__main__":  # pragma: no cover - manual preview: python -m slrfr_gui.gui.probe_panel [out.png]
    import sys

    from ..method.learned import LearnedRelightingClassifier
    from .common import sample_gallery, show_preview

    app = QApplication(sys.argv)
    g = sample_gallery()
    panel = ProbePanel()
    panel.thumbnails = {p: g.thumbnail(p) for p in g.persons}
    panel.set_context(LearnedRelightingClassifier(resolution=(7, 6)).fit(g.faces, g.labels), (7, 6))
    panel.failed.connect(lambda message, details: print(message, file=sys.stderr))
    panel.set_probe_image(g.images[1].face, "sample probe")
    panel.resize(800, 600)
    show_preview(app, panel, sys.argv[1] if len(sys.argv) > 1 else None)
