"""The live camera view: stream, detected faces outlined, capture a probe, continuous identification, enrolment.

Frames are grabbed, searched and identified in a worker thread; the window only
draws what the worker sends (plain data: the frame, the faces, their rankings,
the frame rate). The camera is released when the view stops or closes.

Run on its own with a video file or an image folder standing in for a camera:
``python -m slrfr_gui.gui.camera_view SOURCE``.
"""

from __future__ import annotations

import threading
import time


from PySide6.QtCore import QObject, QRectF, Qt, QThread, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from ..faces.camera import FrameSource, describe_source
from ..errors import SLRFRError
from ..faces.find import LIVE_SEARCH_BUDGET_S, FaceTracker
from ..faces.frame import probe_problem
from .common import fit_pixmap


class CameraWorker(QObject):
    """Reads a :class:`FrameSource` until stopped; emits ``frame(dict)``, ``failed(str)``, ``ended(str)``, ``stopped()``.

    ``failed`` carries why the source could not be opened or stopped sending (a device that sends no
    frame for its timeout counts as disconnected); ``ended`` says a video file or folder ran out.

    Each ``frame`` dict holds ``image`` (grey array), ``faces`` (list of
    FoundFace), ``ranked`` (a ranked list per face, empty when not
    identifying), ``fps`` and ``index``.
    """

    frame = Signal(object)
    failed = Signal(str)
    ended = Signal(str)
    stopped = Signal()

    def __init__(self, spec, loop: bool = True):
        super().__init__()
        self.spec = spec
        self.loop = loop
        self.model = None  # set from the window; read here (a reference swap is atomic)
        self.threshold = 1.0  # "unknown" above this ratio of best to second residual
        self.identify = False
        self.detect = True
        self._stop = threading.Event()
        self.source: FrameSource | None = None

    def stop(self) -> None:
        self._stop.set()

    @Slot()
    def run(self) -> None:
        try:
            self.source = FrameSource(self.spec, loop=self.loop)
            tracker = FaceTracker(budget_s=LIVE_SEARCH_BUDGET_S if self.source.kind == "device" else None,
                                  exact=self.source.kind != "device")  # a file: every frame treated exactly
            times = []
            index = 0
            while not self._stop.is_set():
                image = self.source.read()
                if image is None:
                    self.ended.emit(f"{describe_source(self.spec)} ended after {index} frame(s)")
                    break
                faces = tracker.update(image) if self.detect else []
                ranked, unknown = [], []
                model = self.model
                if self.identify and model is not None:
                    for face in faces:
                        if probe_problem(face.aligned):
                            ranked.append([])
                            unknown.append(True)
                            continue
                        face_ranked, ratio = model.rank_probe(face.aligned, top=3)
                        ranked.append(face_ranked)
                        unknown.append(len(model.classes_) >= 2 and ratio > self.threshold)  # one: no test
                now = time.perf_counter()
                times = [t for t in times if now - t < 2.0] + [now]
                fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
                self.frame.emit({"image": image, "faces": faces, "ranked": ranked, "unknown": unknown, "fps": fps,
                                 "index": index})
                index += 1
                if self.source.kind != "device":
                    time.sleep(0.01)  # files are not rate-limited like cameras: leave the GUI room
        except SLRFRError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - reported, never lost
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        finally:
            if self.source is not None:
                self.source.release()
            self.stopped.emit()


class CameraView(QWidget):
    """Source chooser, stream with outlined faces, capture, continuous mode, and enrolment from the camera.

    Signals
    -------
    captured(object, str)
        An aligned face (ndarray) and where it came from, to use as the probe.
    enroll(str, list)
        A person's name and the aligned faces kept for enrolment.
    """

    captured = Signal(object, str)
    enroll = Signal(str, list)
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.worker: CameraWorker | None = None
        self.thread: QThread | None = None
        self.last: dict | None = None
        self.model = None
        self.threshold = 1.0
        self.enrolling: list = []
        self.enroll_target = 0
        self.enroll_person = ""
        self._lingering: list = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        row = QHBoxLayout()
        self.source = QComboBox()
        self.source.setEditable(True)
        self.source.addItems(["0", "1"])
        self.source.setToolTip("A camera number, a video file or a folder of images")
        self.source.setMinimumContentsLength(28)
        self.source.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.btn_browse = QPushButton("Video or folder…")
        self.btn_start = QPushButton("Start")
        self.btn_stop = QPushButton("Stop")
        self.btn_capture = QPushButton("Capture probe (Space)")
        self.btn_capture.setShortcut(Qt.Key.Key_Space)
        self.continuous = QCheckBox("identify continuously")
        for w in (QLabel("Source:"), self.source, self.btn_browse, self.btn_start, self.btn_stop, self.btn_capture,
                  self.continuous):
            row.addWidget(w)
        row.addStretch(1)
        layout.addLayout(row)
        self.view = QLabel("Choose a camera (0 is usually the built-in one), a video file or a folder, then Start.")
        self.view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.setMinimumSize(320, 240)
        layout.addWidget(self.view, 1)
        self.status = QLabel("")
        layout.addWidget(self.status)
        enroll = QHBoxLayout()
        self.enroll_name = QLineEdit()
        self.enroll_name.setPlaceholderText("name to enroll")
        self.enroll_count = QSpinBox()
        self.enroll_count.setRange(1, 20)
        self.enroll_count.setValue(5)
        self.btn_enroll = QPushButton("Capture for enrolment")
        self.btn_enroll.setToolTip("Keep the face of the next frames in which exactly one face is found")
        self.kept = QHBoxLayout()
        enroll.addWidget(self.enroll_name)
        enroll.addWidget(self.enroll_count)
        enroll.addWidget(self.btn_enroll)
        enroll.addLayout(self.kept)
        enroll.addStretch(1)
        layout.addLayout(enroll)
        self.btn_browse.clicked.connect(self._browse)
        # Lambdas: 'clicked' sends a 'checked' flag that must not land in an optional parameter.
        self.btn_start.clicked.connect(lambda: self.start())
        self.btn_stop.clicked.connect(lambda: self.stop())
        self.btn_capture.clicked.connect(lambda: self.capture())
        self.btn_enroll.clicked.connect(lambda: self.start_enrolment())
        self.continuous.toggled.connect(self._set_continuous)
        self._update_buttons()

    # ---------------------------------------------------------------- control
    def _browse(self):
        path, _ = QFileDialog.getOpenFileName(self, "Video file", "", "Videos (*.avi *.mp4 *.mkv *.mov);;All files (*)")
        if path:
            self.source.setCurrentText(path)

    def running(self) -> bool:
        return self.thread is not None and self.thread.isRunning()

    def set_model(self, model, threshold: float | None = None) -> None:
        self.model = model
        if threshold is not None:
            self.threshold = threshold
        if self.worker is not None:
            self.worker.model = model
            self.worker.threshold = self.threshold

    def start(self, spec=None) -> None:
        """Start grabbing from ``spec`` (or the chosen source) in a worker thread."""
        self.stop()
        spec = spec if spec is not None else self.source.currentText().strip()
        self.worker = CameraWorker(spec)
        self.worker.model = self.model
        self.worker.threshold = self.threshold
        self.worker.identify = self.continuous.isChecked()
        self.thread = QThread()
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.frame.connect(self._frame)
        self.worker.failed.connect(self._failed)
        self.worker.ended.connect(lambda message: self.status.setText(f"{message}; Start to run it again."))
        self.worker.stopped.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.thread.finished.connect(self._update_buttons)
        self.status.setText(f"Opening {describe_source(spec)}…")
        self.thread.start()
        self._update_buttons()

    def stop(self, wait_ms: int = 5000) -> bool:
        """Stop the worker and release the camera; True when it ended within ``wait_ms``.

        A worker still blocked in a camera read is kept alive (and told to stop) rather than
        dropped: destroying a running QThread would abort the application.
        """
        if self.worker is None:
            return True
        self.worker.stop()
        ok = self.thread.wait(int(wait_ms)) if self.thread is not None else True
        if not ok:
            self._lingering.append((self.worker, self.thread))
            self.status.setText("The camera does not answer; it will be released when it does.")
        self.worker = None
        self.thread = None
        self._update_buttons()
        return ok

    def _set_continuous(self, on: bool) -> None:
        if self.worker is not None:
            self.worker.identify = on

    def _update_buttons(self):
        running = self.running()
        self.btn_start.setEnabled(not running)
        self.btn_stop.setEnabled(running)
        self.btn_capture.setEnabled(running)
        self.btn_enroll.setEnabled(running)

    # ----------------------------------------------------------------- frames
    def _failed(self, message: str) -> None:
        self.status.setText(f"⚠ {message}")
        self.last_error = message
        self.failed.emit(message)

    def _frame(self, data: dict) -> None:
        self.last = data
        image, faces, ranked = data["image"], data["faces"], data["ranked"]
        unknown = data.get("unknown", [])
        rows, cols = image.shape
        pixmap = fit_pixmap(image, max(self.view.width(), 320), max(self.view.height(), 240))
        scale = pixmap.width() / cols
        painter = QPainter(pixmap)
        for i, face in enumerate(faces):
            x, y, w, h = face.box
            colour = QColor("#30d030")
            label = ""
            if i < len(ranked) and ranked[i]:
                if i < len(unknown) and unknown[i]:
                    colour, label = QColor("#b0b0b0"), "unknown"
                else:
                    label = f"{ranked[i][0][0]} {ranked[i][0][1]:.3f}"
            painter.setPen(QPen(colour, 2))
            painter.drawRect(QRectF(x * scale, y * scale, w * scale, h * scale))
            if label:  # above the box, or inside it when the box touches the top
                top = y * scale - 16 if y * scale >= 16 else y * scale + 2
                # On a dark plate: green text on a grey frame was hard to read.
                width = painter.fontMetrics().horizontalAdvance(label) + 6
                painter.fillRect(QRectF(x * scale, top, width, 16), QColor(0, 0, 0, 190))
                painter.drawText(QRectF(x * scale + 3, top, width, 16), Qt.AlignmentFlag.AlignVCenter, label)
        painter.end()
        self.view.setPixmap(pixmap)
        best = ""
        if ranked and ranked[0]:
            best = (" · best match unknown" if unknown and unknown[0]
                    else f" · best match {ranked[0][0][0]} (residual {ranked[0][0][1]:.3f})")
        status = f"frame {data['index']} · {len(faces)} face(s) · {data['fps']:.1f} frames/s{best}"
        if self.enroll_target:
            status += (f" · enrolling {self.enroll_person}: {len(self.enrolling)} of {self.enroll_target} kept"
                       + ("" if len(faces) == 1 else " (waiting for a frame with exactly one face)"))
        self.status.setText(status)
        if self.enroll_target and len(faces) == 1:
            self.enrolling.append(faces[0].aligned)
            thumb = QLabel()
            thumb.setPixmap(fit_pixmap(faces[0].aligned, 40, 48))
            self.kept.addWidget(thumb)
            if len(self.enrolling) >= self.enroll_target:
                self.enroll_target = 0
                self.enroll.emit(self.enroll_person, list(self.enrolling))
                self.status.setText(f"{len(self.enrolling)} faces kept for {self.enroll_person}")

    def capture(self) -> bool:
        """Send the best face of the last frame (or the whole frame when no face was found) as the probe."""
        if self.last is None:
            return False
        faces = self.last["faces"]
        if faces:
            self.captured.emit(faces[0].aligned, f"camera frame {self.last['index']}")
        else:
            self.captured.emit(self.last["image"], f"camera frame {self.last['index']}")
        return True

    def start_enrolment(self) -> bool:
        name = self.enroll_name.text().strip()
        if not name:
            self.status.setText("Type the name of the person to enroll first.")
            return False
        while self.kept.count():
            item = self.kept.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.enrolling = []
        self.enroll_person = name
        self.enroll_target = self.enroll_count.value()
        self.status.setText(f"Keeping {self.enroll_target} faces for {name}…")
        return True

    def closeEvent(self, event):
        self.stop()
        super().closeEvent(event)


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    view = CameraView()
    view.resize(800, 600)
    view.show()
    if len(sys.argv) > 1:
        view.start(sys.argv[1])
    code = app.exec()
    view.stop()
    sys.exit(code)
