"""The face search: every face of a photo or frame, with its eye centres.

Two searches, each where it measures best (``slrfr detection-benchmark``):

* **faces of about 24 pixels and more** (the width of the canonical frame,
  cheek to cheek; dlib's box, brow to chin, is about 1.8 times that): dlib's HOG
  detector scans a copy of the image enlarged or reduced so that the scan costs
  about the same whatever the image's size, and its 5-point landmarks place the
  eyes (:mod:`slrfr_gui.faces.dlib_faces`), on a thread of their own while the
  tiny-face search runs on the caller's (dlib releases the interpreter lock);
* **tiny faces**, 12 pixels wide up to where the HOG scan reaches, which no
  library finds: this project's template pyramid, face-space refinement,
  verifier and alignment regressors (:mod:`slrfr_gui.faces.detect`), learned from
  Yale B only.

A tiny detection that overlaps a library one is dropped. Without dlib (it is a
dependency, but a broken install may lack it) the whole range falls back to the
project's own search.

Entry points: :func:`search_faces` (all at once, cancellable) and
:func:`search_steps` (one work unit at a time, for a live camera's per-frame
budget); :func:`follow` re-finds a face near where it was on the next frame.
Both return :class:`slrfr_gui.faces.detect.Detection` objects: ``placement`` (the
canonical frame in the image), ``eyes()``, ``box``, ``score``, ``method``.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import cv2
import numpy as np

from . import dlib_faces
from .align import COLS, Placement, placement_from_eyes, run_steps
from .detect import MIN_FACE_WIDTH, Detection, _overlap, searchable
from .detect import search_steps as tiny_search_steps

#: Pixels of the copy the HOG detector scans in a frame up to this size: a 640 x 480 frame is
#: scanned enlarged 1.6 times (faces from about 28 pixels; the tiny-face search covers those below, up
#: to 32), a 1000 x 750 photo as it is. At 1,050,000 (1.85 times, faces from 24 pixels) the scan cost
#: 47 ms of a frame's 90; at 790,000 it costs 35, and Yale B faces of 16-48 pixels pasted into photos'
#: backgrounds were found as often (43 of 70 both ways, seed 7, no false detection).
SCAN_PIXELS = 790_000
#: Scanned pixels at most in a large photo (a 12-megapixel photo is reduced to this; about half a
#: second): there the HOG scan finds faces from about 60 pixels and the tiny search covers the rest.
MAX_SCAN_PIXELS = 6_000_000
#: How far (a fraction of the face's width, and of its scale) the project's regressors may move a frame placed
#: by dlib's eyes.
REFINE_LIMIT = 0.15
#: Scanned pixels for a live camera (:class:`slrfr_gui.faces.find.FaceTracker` with a time budget): the
#: HOG scan is one unit of work that cannot be split, so it is kept to a few milliseconds (a 640 x 480
#: frame reduced 0.62 times: faces from about 70 pixels, a webcam's at arm's length); the tiny-face
#: search, in small units, covers the smaller ones.
LIVE_SCAN_PIXELS = 120_000
#: Ratio of dlib's box width (brow to chin) to the canonical frame's width (cheek to cheek), measured
#: on the 5-point eye distance: the frame is 1.61 eye distances wide, dlib's box about 2.9.
BOX_TO_FRAME = 1.8
#: When dlib finds no face at all in an image, the project's own search (every size) still names the faces
#: its verifier is sure of: this score is the lower quartile of its scores for Yale B faces pasted into
#: noise, its home ground (``python scripts/measure_detection.py --shipped-scores``: 7.71, 8.73, 9.24). It
#: keeps the tight crops without hair or ears that dlib rejects (Yale B, the demo's rendered faces) while
#: a photo in which dlib finds people never takes the project's guesses beside them.
SURE_SCORE = 7.7
#: Below SURE_SCORE, a face of that search is still kept from this verifier score when dlib, on a copy where
#: it is about 100 pixels wide, scores it at :data:`CONFIRM` or more. Measured on Yale B faces of 32-128
#: pixels pasted into photos' backgrounds and on the bare backgrounds (seed 13, 85 frames): the search's
#: detections that were no face scored 5.96 at most; SURE_SCORE alone kept 34 of its 63 true faces, with
#: this rule (6.5 and dlib at -0.3) 55, no false one either way. On the uncropped Yale B gallery
#: (scripts/measure_uncropped_gallery.py) the two frontal faces missed before scored 7.3 and 7.5.
LIKELY_SCORE = 6.5
#: Where dlib's eye centres (midpoints of the eye corners) lie in the canonical frame, relative to its eye
#: centres (measured on the mean Yale B face), frame pixels, ((dx, dy) image-left, (dx, dy) image-right):
#: 1.3 pixels lower and half a pixel closer together. The frame is placed by these, so that a photo's
#: reference lines up with the protocol's crops (``python scripts/measure_detection.py --landmark-offset``,
#: the median over Yale B faces). Unaligned, an uncropped Yale B gallery lost 14-18 rank-1 points.
LANDMARK_OFFSET = np.array([[0.49, 1.37], [-0.56, 1.26]])
#: Verifier score a tiny-face candidate needs where the template search proposes it, before it is refined
#: (refinement is most of the tiny search's cost): on Yale B faces of 12-28 pixels pasted into photos'
#: backgrounds (seed 11, not the benchmark's), every face the search kept had 4.9 or more there, and 41 % of
#: all candidates passed 4.0; the detector's own rough threshold (2.8) let 87 % through.
PRESCREEN = 4.0
#: dlib score a tiny face needs on its enlarged copy to be kept (dlib's own default is 0). On Yale B faces of
#: 12-32 pixels pasted into photos' backgrounds (seed 7, 90 frames, and the 10 bare backgrounds): 0 kept 42,
#: -0.3 kept 49 with no false detection, -0.6 51 with the first false ones (0.1 a frame). Tight crops without
#: hair or outline (Yale B's, the scan's test video's) score just below 0 however sure the verifier is.
CONFIRM = -0.3
METHOD_LIBRARY = "dlib HOG + 5 landmarks"
METHOD_TINY = "tiny-face search"
METHOD_OWN = "own search (no face for dlib)"


def scan_factor(rows: int, cols: int, scan_pixels: float | None = None) -> float:
    """How much the HOG scan enlarges (> 1) or reduces (< 1) an image of ``rows`` x ``cols``
    (``scan_pixels``: the pixels scanned, :data:`SCAN_PIXELS` by default)."""
    pixels = float(rows) * float(cols)
    if scan_pixels is not None:
        return min(2.0, math.sqrt(float(scan_pixels) / pixels))
    factor = math.sqrt(SCAN_PIXELS / pixels)
    if factor < 1.0:
        factor = min(1.0, math.sqrt(MAX_SCAN_PIXELS / pixels))
    return min(factor, 2.0)


def library_min_width(rows: int, cols: int, scan_pixels: float | None = None) -> float:
    """Width (canonical frame, image pixels) of the smallest face the HOG scan finds in such an image."""
    return dlib_faces.HOG_WINDOW / scan_factor(rows, cols, scan_pixels) / BOX_TO_FRAME


def search_faces(image: np.ndarray, min_width: float = MIN_FACE_WIDTH, max_faces: int = 20, tiny: bool = True,
                 should_stop=None, detector=None, model=None) -> list[Detection]:
    """Find every face of an image.

    Parameters
    ----------
    image : ndarray of shape (rows, columns)
        Grey levels in [0, 1].
    min_width : float
        Smallest face searched, canonical frame width in image pixels (from 12; in large
        photos the tiny search starts at 1/160 of the long side).
    max_faces : int
    tiny : bool
        Also search for faces smaller than the HOG scan reaches.
    should_stop : callable() -> bool, optional
        Checked between work units (a few milliseconds each).
    detector, model
        The project's detector and face model for the tiny search (the shipped ones by default).

    Returns
    -------
    list of Detection
        Largest first.

    Raises
    ------
    ValueError
        ``image`` is not a 2-D array of finite grey levels.
    Cancelled
        ``should_stop()`` returned True.
    """
    return run_steps(search_steps(image, min_width, max_faces, tiny, detector, model), should_stop)


def search_steps(image: np.ndarray, min_width: float = MIN_FACE_WIDTH, max_faces: int = 20, tiny: bool = True,
                 detector=None, model=None, scan_pixels: float | None = None) -> Generator[None, None, list[Detection]]:
    """:func:`search_faces` as a generator of work units (see :func:`slrfr_gui.faces.detect.search_steps`).

    The HOG scan is one unit (tens of milliseconds at the default ``scan_pixels``); a live camera
    gives :data:`LIVE_SCAN_PIXELS` to keep it to a few.
    """
    image = searchable(image)
    if image is None:
        return []
    rows, cols = image.shape
    yield
    if not dlib_faces.available():
        return (yield from tiny_search_steps(image, detector, model, min_width=min_width, max_faces=max_faces))
    # dlib's scan runs on a thread of its own while this one does the tiny-face search (dlib releases the
    # interpreter lock while it scans): on two cores a frame takes the longer of the two, not their sum.
    work, fx, fy = _scan_copy(image, scan_pixels)
    scan = dlib_faces.hog_faces_async(work)
    try:
        reach = library_min_width(rows, cols, scan_pixels)
        proposed = []
        if tiny and min_width < reach * 1.15:
            # Below the scan's reach, the project's tiny-face search (a 12 x 10 template). Each face it keeps
            # must also be a face to dlib on a copy where it is about 100 pixels wide, at CONFIRM: the
            # project's verifier, learned from Yale B, takes textures of real photos for faces (1.8 false
            # detections a photo on photos/). Proposals above the reach, confirmed the same way, were tried:
            # they found nothing the scan had missed and cost 60 ms a frame.
            proposed = yield from tiny_search_steps(image, detector, model, min_width=min_width,
                                                    max_width=reach * 1.15, max_faces=max_faces, use_haar=False,
                                                    small_template=True, prescreen=PRESCREEN)
        while not scan.done():
            yield
            scan_wait(scan)
        boxes = scan.result()
    finally:
        scan.cancel()
    found = []
    for box, score, eyes in boxes:
        yield
        eyes = np.column_stack([(eyes[:, 0] + 0.5) / fx - 0.5, (eyes[:, 1] + 0.5) / fy - 0.5])
        placement = _placement(eyes, image)
        if placement is not None:
            found.append(Detection(placement, score, METHOD_LIBRARY, eyes))
    library = list(found)
    for d in proposed:
        yield
        if all(_overlap(d.box, k.box) <= 0.25 for k in library) and \
                dlib_faces.best_face_near(image, d.box, d.width * BOX_TO_FRAME, CONFIRM) is not None:
            found.append(Detection(d.placement, d.score, METHOD_TINY))
    if not found:
        # Without OpenCV's Haar cascade: on Yale B faces of 32-200 pixels pasted into noise (the home ground
        # of this fallback) it found no face the template search missed (13 of 40 kept at SURE_SCORE both
        # ways) and cost 45 of a faceless frame's 75 ms.
        own = yield from tiny_search_steps(image, detector, model, min_width=max(min_width, reach * 1.15),
                                           max_faces=max_faces, use_haar=False, prescreen=PRESCREEN)
        for d in own:
            yield
            if d.score >= SURE_SCORE or (d.score >= LIKELY_SCORE and dlib_faces.best_face_near(
                    image, d.box, d.width * BOX_TO_FRAME, CONFIRM) is not None):
                found.append(Detection(d.placement, d.score, METHOD_OWN))
    found.sort(key=lambda d: -d.width)
    return found[:max_faces]


def scan_wait(future, seconds: float = 0.002) -> None:
    """Wait up to ``seconds`` for ``future``: a work unit of a search waiting for dlib's scan thread, kept short
    so that a live camera's search (4 ms a frame) does not overrun its budget waiting."""
    from concurrent.futures import TimeoutError as FutureTimeout

    try:
        future.result(timeout=seconds)
    except FutureTimeout:
        pass


def _scan_copy(image: np.ndarray, scan_pixels=None):
    """The uint8 copy dlib scans (at :func:`scan_factor`) and its scale factors (x, y) from ``image``."""
    rows, cols = image.shape
    f = scan_factor(rows, cols, scan_pixels)
    image8 = dlib_faces.to_uint8(image)
    if abs(f - 1.0) > 1e-3:
        size = (max(1, int(round(cols * f))), max(1, int(round(rows * f))))
        work = cv2.resize(image8, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    else:
        work = image8
    return work, work.shape[1] / cols, work.shape[0] / rows


def frame_placement(eyes, method: str = METHOD_LIBRARY) -> Placement:
    """The canonical frame placed by eye centres found by ``method`` (dlib's landmarks follow their own
    convention, :data:`LANDMARK_OFFSET`; eyes placed by hand or by the project's search, the frame's).

    Raises
    ------
    ValueError
        The two points coincide or are not finite.
    """
    eyes = np.asarray(eyes, dtype=np.float64)
    return placement_from_eyes(eyes[0], eyes[1], offset=LANDMARK_OFFSET if method == METHOD_LIBRARY else None)


def _placement(eyes, image=None, detector=None) -> Placement | None:
    """The frame placed by dlib's eyes, then settled by the project's alignment regressors (learned on Yale B
    for this frame) when they agree: their verifier accepts the result and it moved less than 15 % of the
    face's width and scale. On uncropped Yale B photos this lifts rank-1 at 7x6 from 85.4 to 91.3 %
    (``scripts/measure_uncropped_gallery.py``): the landmarks alone are off by about a frame pixel."""
    try:
        placement = frame_placement(eyes)
    except ValueError:
        return None
    if image is None:
        return placement
    from .detect import default_detector

    detector = detector or default_detector()
    moved, score = detector.align(image, placement)
    step = np.hypot(moved.cx - placement.cx, moved.cy - placement.cy) / (COLS * placement.scale)
    if score >= detector.final_threshold and step < REFINE_LIMIT and abs(np.log(moved.scale / placement.scale)) \
            < REFINE_LIMIT:
        return moved
    return placement


#: How far around a followed face's box dlib looks for it on the next frame, in widths of dlib's box.
FOLLOW_MARGIN = 0.5


def follow(image: np.ndarray, previous: Detection, detector=None) -> Detection | None:
    """The face of ``previous`` on a new frame, searched for near where it was; None if it is gone.

    A library detection is looked for again by dlib in its neighbourhood (a copy in which the
    face is about 100 pixels wide, a few milliseconds), at :data:`CONFIRM` rather than dlib's 0: a
    face already found is kept through the frames where its score dips just below (a face whose
    dlib score hovers about 0 was otherwise lost every other frame). Where dlib no longer finds it,
    and for the project's own detections, the face is re-aligned by the project's regressors and
    kept while its verifier accepts it.
    """
    image = np.asarray(image, dtype=np.float32)
    if previous.method == METHOD_LIBRARY:
        near = dlib_faces.best_face_near(image, previous.box, previous.width * BOX_TO_FRAME, CONFIRM, FOLLOW_MARGIN)
        placement = None if near is None else _placement(near[0], image, detector)
        if placement is not None:
            return Detection(placement, near[1], METHOD_LIBRARY, near[0])
    from .detect import default_detector

    detector = detector or default_detector()
    moved, score = detector.align(image, previous.placement)
    if score < detector.final_threshold:
        return None
    # Followed by the regressors, a library face keeps its method (and dlib is asked again next frame)
    # but not its landmarks, which are those of an earlier frame.
    return Detection(moved, previous.score if previous.method == METHOD_LIBRARY else score, previous.method)


def has_library() -> bool:
    """Whether the library side (dlib and its landmark model) is installed."""
    return dlib_faces.available()


def library_status() -> str:
    """One line saying which face search runs here (``slrfr-gui --version`` prints it)."""
    try:
        import dlib

        path = dlib_faces.landmark_model_path()
    except ImportError as exc:
        return f"face search: the project's own only (dlib cannot be imported: {exc}); reinstall slrfr-gui"
    except Exception as exc:  # noqa: BLE001 - a missing model file is said, not raised
        return f"face search: the project's own only ({exc})"
    return f"face search: dlib {dlib.__version__} HOG detector and 5-point landmarks ({path.name}), " \
           "and the project's tiny-face search"


__all__ = ["search_faces", "search_steps", "follow", "scan_factor", "library_min_width", "has_library",
           "METHOD_LIBRARY", "METHOD_TINY", "COLS"]
