"""dlib's face detector and 5-point landmarks: the library side of the face search.

For faces of 24 pixels and more, a well-kept library finds faces in ordinary
photographs better than anything learned here from 38 Yale B subjects
(``slrfr detection-benchmark`` measures it). This module wraps the two parts of
dlib that are used:

* the HOG + linear SVM frontal face detector (``dlib.get_frontal_face_detector``,
  Dalal and Triggs 2005; its weights are compiled into dlib itself), with an
  80 x 80 window: at the image's own scale it finds faces of about 80 pixels and
  more, and on a copy enlarged by f, faces of 80 / f;
* the 5-point shape predictor (an ensemble of regression trees, Kazemi and
  Sullivan, CVPR 2014: two corners of each eye and the base of the nose), whose
  weights ``shape_predictor_5_face_landmarks.dat`` (9 MB, free for any use) ship
  in the ``face_recognition_models`` package.

Both come from PyPI (``dlib-bin``, ``face_recognition_models``), nothing is
downloaded at run time. ``face_recognition_models`` itself is never imported (its
``__init__`` needs ``pkg_resources``, which new environments lack): only its
model file is read.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..errors import ResourceError

#: Side of the HOG detector's window, pixels: the smallest face it finds at a given scale.
HOG_WINDOW = 80
LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"


def landmark_model_path() -> Path:
    """The 5-point landmark model inside the installed ``face_recognition_models`` (or a frozen build).

    Raises
    ------
    ResourceError
        The package (or, in a PyInstaller build, its bundled copy) is missing.
    """
    places = []
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        places.append(Path(sys._MEIPASS) / "face_recognition_models" / "models" / LANDMARKS_FILE)
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is not None and spec.submodule_search_locations:
        places += [Path(p) / "models" / LANDMARKS_FILE for p in spec.submodule_search_locations]
    for place in places:
        if place.is_file():
            return place
    raise ResourceError(f"dlib's 5-point landmark model ({LANDMARKS_FILE}) was not found; reinstall slrfr-gui "
                        "(it comes with the face_recognition_models package)")


def available() -> bool:
    """Whether dlib and its landmark model can be used here."""
    try:
        _models()
    except (ImportError, ResourceError, RuntimeError):
        return False
    return True


_FREE: list = []  # detectors not in use
_FREE_LOCK = threading.Lock()


def _models():
    """dlib's detector and the landmark predictor (read once; for :func:`available`)."""
    with _detector():
        pass
    return _predictor()


@contextlib.contextmanager
def _detector():
    """A frontal face detector for the calling thread's use while the block runs.

    dlib's detector keeps scratch state while it scans, so two threads never share one at a time (threads
    scanning at once each take their own; the scan thread of :func:`hog_faces_async` has one of its own);
    one is built only when all are in use (building one takes about half a second), and kept for the next.
    """
    with _FREE_LOCK:
        detector = _FREE.pop() if _FREE else None
    if detector is None:
        import dlib

        detector = dlib.get_frontal_face_detector()
    try:
        yield detector
    finally:
        with _FREE_LOCK:
            _FREE.append(detector)


@functools.cache
def _predictor():
    import dlib

    return dlib.shape_predictor(str(landmark_model_path()))


@functools.cache
def _scan_thread() -> ThreadPoolExecutor:
    # As many scan threads as cores: searches on several threads at once (a GUI's workers, a scan's Dask
    # worker threads in a frozen build) each get their scan run beside them, not one after another.
    return ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="dlib-hog-scan")


def _after_fork_in_child() -> None:
    # A forked child has none of its parent's threads: an executor made before the fork would take work
    # and never run it (a search would wait for ever), so the child makes its own when it first scans.
    _scan_thread.cache_clear()
    with contextlib.suppress(RuntimeError):
        _FREE_LOCK.release()
    with contextlib.suppress(RuntimeError):
        _CPU_LOCK.release()


_CPU_LOCK = threading.Lock()
_SCAN_CPU: dict = {}  # thread id of the caller -> processor seconds its scans took on the scan threads

if hasattr(os, "register_at_fork"):
    def _before_fork():
        _FREE_LOCK.acquire()
        _CPU_LOCK.acquire()

    def _after_fork_in_parent():
        _CPU_LOCK.release()
        _FREE_LOCK.release()

    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)


def hog_faces_async(image8: np.ndarray, threshold: float = 0.0) -> Future:
    """:func:`hog_faces` and each face's :func:`eye_centres`, on a scan thread; its Future, whose result is
    a list of ((x, y, w, h), score, eyes), best first.

    dlib releases Python's global interpreter lock while it scans and places landmarks (checked: a Python
    loop on another thread runs at full speed meanwhile), so the caller can do other work, such as the
    tiny-face search: on two cores a frame's search then takes the longer of the two, not their sum.
    """
    return _scan_thread().submit(_faces_and_eyes, image8, threshold, threading.get_ident())


def scan_thread_cpu() -> float:
    """Processor seconds the scans that the calling thread gave :func:`hog_faces_async` have taken on the
    scan threads so far (a caller that accounts for its own thread's time, such as a scan chunk, adds
    this)."""
    with _CPU_LOCK:
        return _SCAN_CPU.get(threading.get_ident(), 0.0)


def _faces_and_eyes(image8: np.ndarray, threshold: float, caller: int) -> list:
    import time

    start = time.thread_time()
    try:
        return [(box, score, eye_centres(image8, box))
                for box, score in hog_faces(image8, 0, threshold, _scan_detector())]
    finally:
        with _CPU_LOCK:
            _SCAN_CPU[caller] = _SCAN_CPU.get(caller, 0.0) + time.thread_time() - start


_SCAN_LOCAL = threading.local()


def _scan_detector():
    """The calling scan thread's own detector, built there (half a second) rather than taken from the pool:
    a caller following a face while the scan runs would otherwise find the pool empty and build one on its
    own thread, a live camera's frame stalling meanwhile (one frame of 250 ms in the benchmark's webcam
    stage)."""
    detector = getattr(_SCAN_LOCAL, "detector", None)
    if detector is None:
        import dlib

        detector = _SCAN_LOCAL.detector = dlib.get_frontal_face_detector()
    return detector


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Grey levels in [0, 1] as a C-contiguous uint8 array (what dlib takes)."""
    return np.ascontiguousarray(np.clip(np.asarray(image, dtype=np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8))


def hog_faces(image8: np.ndarray, upsample: int = 0, threshold: float = 0.0, detector=None) -> list[tuple[tuple, float]]:
    """Faces found by dlib's HOG detector.

    Parameters
    ----------
    image8 : ndarray of shape (rows, columns), uint8
    upsample : int
        Times the image is doubled first (each finds faces half as large, at four times the cost).
    threshold : float
        Score a window needs (dlib's default is 0).
    detector : dlib.fhog_object_detector, optional
        One no other thread uses meanwhile; by default one from the pool.

    Returns
    -------
    list of ((x, y, w, h), score)
        Boxes in image pixels (x, y of the top-left pixel; brow to chin, cheek to cheek), best first.
    """
    if detector is None:
        with _detector() as detector:
            rects, scores, _ = detector.run(image8, int(upsample), float(threshold))
    else:
        rects, scores, _ = detector.run(image8, int(upsample), float(threshold))
    out = [((r.left(), r.top(), r.right() - r.left() + 1, r.bottom() - r.top() + 1), float(s))
           for r, s in zip(rects, scores)]
    return sorted(out, key=lambda t: -t[1])


def eye_centres(image8: np.ndarray, box) -> np.ndarray:
    """The two eye centres of the face in ``box``, from the 5-point landmarks.

    Each eye's centre is the midpoint of its two corners.

    Parameters
    ----------
    image8 : ndarray of shape (rows, columns), uint8
    box : (x, y, w, h)
        A face box as :func:`hog_faces` gives it, image pixels.

    Returns
    -------
    ndarray of shape (2, 2), float64
        (x, y) of the image-left and the image-right eye centre, image pixels.
    """
    import dlib

    predictor = _predictor()
    x, y, w, h = (int(round(v)) for v in box)
    shape = predictor(image8, dlib.rectangle(x, y, x + w - 1, y + h - 1))
    points = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64)
    eyes = np.array([points[0:2].mean(axis=0), points[2:4].mean(axis=0)])
    return eyes[np.argsort(eyes[:, 0])]


def best_face_near(image: np.ndarray, box, box_width: float, threshold: float = 0.0, margin: float = 1.0):
    """dlib's best face in the neighbourhood of ``box``, on a copy in which it is about 100 pixels wide.

    Checks a face another search proposed (a tiny face, or a face followed from the previous
    frame) at the scale the HOG detector knows best: a few milliseconds.

    Parameters
    ----------
    image : ndarray of shape (rows, columns)
        Grey levels in [0, 1].
    box : (x, y, w, h)
        Where the face was proposed, image pixels.
    box_width : float
        The width dlib's box would have there (brow to chin), image pixels.
    threshold : float
        Score the face needs (dlib's own default, 0, unless given).
    margin : float
        How far around ``box`` to look, in ``box_width`` (a face followed from the frame before has
        moved little: half of it scans a copy half the size).

    Returns
    -------
    (eyes, score) or None
        ``eyes``: ndarray of shape (2, 2), the image-left and image-right eye centres in
        ``image``'s pixels; None when dlib finds no face there.
    """
    import cv2

    x, y, w, h = box
    rows, cols = image.shape
    pad = max(box_width * margin, 0.5 * w, 0.5 * h)
    x0, y0 = max(0, int(x - pad)), max(0, int(y - pad))
    x1, y1 = min(cols, int(x + w + pad)), min(rows, int(y + h + pad))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    f = 100.0 / max(box_width, 1.0)
    size = (max(8, int(round((x1 - x0) * f))), max(8, int(round((y1 - y0) * f))))
    patch = to_uint8(image[y0:y1, x0:x1])
    work = cv2.resize(patch, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    found = hog_faces(work, 0, threshold)
    if not found:
        return None
    best, score = found[0]
    eyes = eye_centres(work, best)
    fx, fy = size[0] / (x1 - x0), size[1] / (y1 - y0)
    return np.column_stack([(eyes[:, 0] + 0.5) / fx - 0.5 + x0, (eyes[:, 1] + 0.5) / fy - 0.5 + y0]), score
