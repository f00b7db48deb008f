"""Frame sources: a webcam, a video file, or a folder of images standing in for a camera.

Grabbing uses OpenCV's ``VideoCapture`` (it works in the headless wheel);
folders are read with Pillow like every other image. A source yields grey
frames in [0, 1]; it never blocks forever: a device that stops sending frames
raises :class:`~slrfr_gui.errors.CameraError` after ``timeout`` seconds.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from ..errors import CameraError, ImageReadError
from ..files.imageio import read_grey


def describe_source(spec) -> str:
    """A short human name for a source spec."""
    return f"camera {spec}" if str(spec).isdigit() else str(spec)


def quiet_opencv() -> None:
    """Keep OpenCV's own ``[ WARN:0@...]`` lines (a device probed and missing, a backend it lacks)
    off the terminal: failures reach the user as :class:`CameraError` messages instead."""
    import cv2

    try:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    except AttributeError:  # a build without the logging module
        pass


class FrameSource:
    """Frames from a device index (``0``), a video file, or a folder of images.

    Parameters
    ----------
    spec : int or str or path
        A device index ("0", 0), a video file, or a folder (its images in name order).
    timeout : float
        Seconds a device may go without a frame before :class:`CameraError`.
    loop : bool
        Start a video file or folder again at its end (for demos).

    Raises
    ------
    CameraError
        The source does not exist or cannot be opened, with a message saying what to do.
    """

    def __init__(self, spec, timeout: float = 5.0, loop: bool = False):
        self.spec = spec
        self.timeout = float(timeout)
        self.loop = loop
        self.frame_index = 0
        self._files: list[Path] | None = None
        self._capture = None
        self._lock = threading.Lock()
        text = str(spec).strip()
        path = Path(text)
        if not text:
            raise CameraError("no camera given: give a device number (0, 1, ...), a video file or a folder of images")
        if text.isdigit():
            self._open_capture(int(text))
            self.kind = "device"
        elif path.is_dir():
            self._files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if not self._files:
                raise CameraError(f"{path}: the folder holds no file to use as frames")
            self.kind = "folder"
        elif path.is_file():
            self._open_capture(str(path))
            self.kind = "video"
        else:
            raise CameraError(f"{text}: no such camera, video file or folder; give a device number (0, 1, ...), "
                              "a video file or a folder of images")

    def _open_capture(self, target) -> None:
        import cv2

        quiet_opencv()
        capture = cv2.VideoCapture(target)
        if not capture.isOpened():
            capture.release()
            if isinstance(target, int):
                raise CameraError(f"camera {target} cannot be opened: is it connected, and not in use by "
                                  "another program?")
            raise CameraError(f"{target}: not a video file OpenCV can read")
        self._capture = capture

    @property
    def fps(self) -> float | None:
        """The frame rate the source reports (None for folders and devices that do not say)."""
        if self._capture is None:
            return None
        import cv2

        value = self._capture.get(cv2.CAP_PROP_FPS)
        return float(value) if value and value > 0 else None

    def read(self) -> np.ndarray | None:
        """The next frame as grey levels in [0, 1], shape (rows, columns); None at the end of a file or folder.

        Raises
        ------
        CameraError
            A device sent no frame for ``timeout`` seconds, or the source was released.
        """
        with self._lock:
            if self._files is not None:
                return self._read_folder()
            if self._capture is None:
                raise CameraError(f"{describe_source(self.spec)} is closed")
            return self._read_capture()

    def _read_folder(self):
        failures = 0
        while True:
            if self.frame_index >= len(self._files):
                if not self.loop:
                    return None
                self.frame_index = 0
            path = self._files[self.frame_index]
            self.frame_index += 1
            try:
                return read_grey(path)
            except ImageReadError:
                # A file that is not an image is skipped, as in galleries; a folder with no
                # readable image at all is an error, not an endless loop.
                failures += 1
                if failures >= len(self._files):
                    raise CameraError(f"{self.spec}: the folder holds no image that can be read") from None

    def _read_capture(self):
        import cv2

        start = time.monotonic()
        while True:
            ok, frame = self._capture.read()
            if ok and frame is not None:
                self.frame_index += 1
                if frame.ndim == 3:
                    frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
                scale = 65535.0 if frame.dtype == np.uint16 else 255.0
                return frame.astype(np.float64) / scale
            if self.kind == "video":
                if self.loop and self.frame_index > 0:
                    self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    self.frame_index = 0
                    continue
                return None
            if time.monotonic() - start > self.timeout:
                raise CameraError(f"{describe_source(self.spec)} sent no frame for {self.timeout:.0f} s: "
                                  "it may have been disconnected")
            time.sleep(0.05)

    def release(self) -> None:
        """Free the device or file (safe to call twice)."""
        with self._lock:
            if self._capture is not None:
                self._capture.release()
                self._capture = None
            self._files = self._files and []

    @property
    def released(self) -> bool:
        return self._capture is None and not self._files

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()

    def __iter__(self):
        while True:
            frame = self.read()
            if frame is None:
                return
            yield frame


def write_video(path, frames, fps: float = 10.0) -> Path:
    """Write grey frames in [0, 1] as an MJPG ``.avi`` video (for tests and demos).

    Raises
    ------
    CameraError
        OpenCV cannot write the file.
    """
    import cv2

    frames = [np.asarray(f) for f in frames]
    if not frames:
        raise CameraError(f"{path}: no frames to write")
    rows, cols = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), float(fps), (cols, rows), True)
    if not writer.isOpened():
        raise CameraError(f"{path}: OpenCV cannot write a video there")
    try:
        for frame in frames:
            grey = np.clip(np.round(frame * 255), 0, 255).astype(np.uint8)
            writer.write(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR))
    finally:
        writer.release()
    return Path(path)
