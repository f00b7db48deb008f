"""Finding faces in a frame and placing the canonical frame on each.

Tiny, badly lit faces are the usual case here, and crops of them often have no
hair or ears, which general-purpose detectors rely on. Faces are found in four
steps:

1. **candidates**: OpenCV's Haar cascade (Viola-Jones, from the 4.x wheel's
   data files) for faces of 24 pixels and more, and the peaks of the
   normalised cross-correlation with the mean face over an image pyramid (the
   best few of every scale) for the tiny ones;
2. **placement**: each candidate is refined to minimise the cost of its crop
   under the face model's Gaussian of normalised faces
   (:func:`slrfr_gui.faces.align.refine`);
3. **verification**: a Fisher linear discriminant on the normalised 24 x 20
   crop, trained to separate aligned faces from parts of faces, faces with
   their surroundings, and background, keeps the candidates above its
   threshold; a detection inside a clearly larger one is dropped (a face
   cannot hold another) and overlaps are suppressed;
4. **alignment**: a cascade of linear regressors from the normalised 48 x 40
   crop to the placement error (shift and log-scale), in the manner of the
   supervised descent method (Xiong and De la Torre, CVPR 2013), settles each
   kept face.

The discriminant and the regressors, and how they are learned, are
:mod:`slrfr_gui.faces.detector`; this module is the search that uses them.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import cv2
import numpy as np

from .align import COLS, ROWS, FaceSpace, Placement, align, face_space, refine_steps, run_steps
from .detector import FaceDetector, default_detector
from .facemodel import FaceModel

__all__ = ["Detection", "FaceDetector", "aligned_faces", "default_detector", "detect_faces", "search_steps",
           "searchable"]

SCALE_STEP = 1.15
MIN_FACE_WIDTH = 12


@dataclass
class Detection:
    """One face found in a frame.

    Attributes
    ----------
    placement : Placement
        The canonical frame in the image's coordinates.
    score : float
        Verifier score: larger is more face-like; above the detector's
        threshold counts as a face (for a library detection, the library's score).
    method : str
        Which search found it: "tiny-face search" (this module) or
        "dlib HOG + 5 landmarks" (:mod:`slrfr_gui.faces.face_search`).
    landmarks : ndarray of shape (2, 2) or None
        The eye centres as the library found them (image-left, image-right; their convention
        differs from the frame's, see ``face_search.LANDMARK_OFFSET``); None for this module's.
    """

    placement: Placement
    score: float
    method: str = "tiny-face search"
    landmarks: np.ndarray | None = None

    def eye_points(self, model: FaceModel | None = None) -> np.ndarray:
        """(2, 2): the eye centres as found (the landmarks), else where the frame puts them."""
        return self.landmarks if self.landmarks is not None else self.eyes(model)

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(x, y, w, h) of the face in the image, pixels."""
        return self.placement.box()

    def eyes(self, model: FaceModel | None = None) -> np.ndarray:
        """(2, 2): (x, y) of the image-left and image-right eye centres."""
        return self.placement.eyes(model)

    @property
    def width(self) -> float:
        """Face width in image pixels (the 40-pixel frame width times the scale)."""
        return COLS * self.placement.scale


def _local_maxima(score: np.ndarray, threshold: float, top: int):
    dilated = cv2.dilate(score, np.ones((5, 5), np.uint8))
    ys, xs = np.nonzero((score >= dilated) & (score > threshold))
    values = score[ys, xs]
    order = np.argsort(-values)[:top]
    return [(float(values[i]), int(xs[i]), int(ys[i])) for i in order]


#: Work units of a stepwise search are kept under about this many output pixels
#: (a band of a large pyramid level is one unit; see :func:`search_steps`).
BAND_PIXELS = 120_000


def _bands(rows: int, window: int, width: int):
    """Row ranges [r0, r1) of an image ``rows`` high whose windows (``window`` rows tall)
    start in [r0, r1 - window], covering every window once, each band about BAND_PIXELS."""
    starts = rows - window + 1
    step = max(2, BAND_PIXELS // max(1, width) // 2 * 2)  # even: the cascade scans every other row
    for r0 in range(0, starts, step):
        yield r0, min(rows, r0 + step + window - 1)


def _template_candidates(image, template, min_width, max_width, per_level, ncc_threshold=0.3):
    """Peaks of the NCC with the mean face over the image pyramid; a generator that yields
    between work units and returns the scored candidates."""
    rows, cols = image.shape
    t_rows, t_cols = template.shape
    out = []
    s = min_width / COLS
    # Every level is at most this fraction of the image; in a large photo the levels are taken
    # from one copy at that size, not each from the full image (seconds at 8000 x 8000).
    base, f_base = image, 1.0
    if (t_cols / COLS) / s < 0.5:
        f_base = (t_cols / COLS) / s
        base = cv2.resize(image, (int(round(cols * f_base)), int(round(rows * f_base))), interpolation=cv2.INTER_AREA)
        yield
    while s <= max_width / COLS * 1.0001:
        f = (t_cols / COLS) / s
        size = (int(round(cols * f)), int(round(rows * f)))
        if size[0] < t_cols or size[1] < t_rows:
            break
        if size == base.shape[::-1]:
            level = base
        else:
            level = cv2.resize(base, size, interpolation=cv2.INTER_AREA if f < f_base else cv2.INTER_LINEAR)
        yield
        ncc = np.empty((size[1] - t_rows + 1, size[0] - t_cols + 1), np.float32)
        for r0, r1 in _bands(size[1], t_rows, size[0]):
            ncc[r0:r1 - t_rows + 1] = cv2.matchTemplate(level[r0:r1], template, cv2.TM_CCOEFF_NORMED)
            yield
        for value, px, py in _local_maxima(ncc, ncc_threshold, per_level):
            cx = (px + (t_cols - 1) / 2 + 0.5) / f - 0.5
            cy = (py + (t_rows - 1) / 2 + 0.5) / f - 0.5
            out.append((value, Placement(cx, cy, s)))
        s *= SCALE_STEP
    return out


def searchable(image) -> np.ndarray | None:
    """``image`` as float32 grey levels, or None when it is too small (under 8 pixels) or blank to hold a face.

    Raises
    ------
    ValueError
        ``image`` is not a 2-D array of finite grey levels.
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2 or not np.all(np.isfinite(image)):
        raise ValueError(f"image must be a 2-D array of finite grey levels, got shape {image.shape}")
    if image.shape[0] < 8 or image.shape[1] < 8 or image.std() < 1e-4:
        return None
    return image


def _small_template(space: FaceSpace) -> np.ndarray:
    """The face space's mean-face template area-reduced to 12 x 10, zero mean and unit variance."""
    small = cv2.resize(space.template, (10, 12), interpolation=cv2.INTER_AREA)
    return ((small - small.mean()) / max(float(small.std()), 1e-9)).astype(np.float32)


def _merge_candidates(scored) -> list[Placement]:
    """Keep the best of candidates that describe the same face (near in place and scale)."""
    scored = sorted(scored, key=lambda t: -t[0])
    kept: list[Placement] = []
    for _, p in scored:
        if all(not (abs(np.log(p.scale / k.scale)) < np.log(1.35)
                    and np.hypot(p.cx - k.cx, p.cy - k.cy) < 0.25 * COLS * min(p.scale, k.scale)) for k in kept):
            kept.append(p)
    return kept


_CASCADE = None


def _haar_candidates(image8: np.ndarray, min_width: int):
    """Boxes of OpenCV's frontal-face cascade; a generator that yields between work units
    and returns the candidates.

    The cascade's pyramid is run one scale at a time (its raw windows, ``minNeighbors=0``,
    ``minSize = maxSize`` = that scale's window), then grouped as ``detectMultiScale`` groups
    them (``groupRectangles`` with 4 neighbours, eps 0.2): the same boxes as one call with
    ``scaleFactor=1.15, minNeighbors=4``, but a search can be spread over frames.
    """
    global _CASCADE
    if _CASCADE is None:
        _CASCADE = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if _CASCADE.empty():
        return []
    # Haar serves the larger faces (the template search covers small ones), so a large
    # frame is searched at half size: four times fewer windows.
    f = 0.5 if min(image8.shape) >= 240 else 1.0
    small = cv2.resize(image8, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f != 1.0 else image8
    window, factor = 24, 1.15
    raw = []
    scale = 1.0
    while True:
        size = int(round(window * scale))  # the window at this scale, as OpenCV rounds it
        if size > min(small.shape):
            break
        boxes = _CASCADE.detectMultiScale(small, scaleFactor=factor, minNeighbors=0, minSize=(size, size),
                                          maxSize=(size, size))
        raw += [list(map(int, box)) for box in boxes]
        yield
        scale *= factor
    if not raw:
        return []
    boxes, _ = cv2.groupRectangles(raw, 4, 0.2)
    boxes = [(x / f, y / f, w / f, h / f) for x, y, w, h in boxes]
    # A Haar box spans roughly brow to chin and cheek to cheek; refinement settles the rest.
    return [Placement(x + w / 2 - 0.5, y + 0.55 * h, 1.05 * w / COLS) for x, y, w, h in boxes]


def _refine_at_scale(image: np.ndarray, start: Placement, space: FaceSpace):
    """Refine on a copy of the neighbourhood resized so the face matches the face space's size;
    a generator of work units returning (Placement, float) (see :func:`search_steps`)."""
    f = (space.shape[1] / COLS) / start.scale
    x, y, w, h = start.box()
    pad_x, pad_y = int(0.6 * w) + 2, int(0.6 * h) + 2
    x0, y0 = max(0, x - pad_x), max(0, y - pad_y)
    x1, y1 = min(image.shape[1], x + w + pad_x), min(image.shape[0], y + h + pad_y)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return start, 1.0
    size = (max(4, int(round((x1 - x0) * f))), max(4, int(round((y1 - y0) * f))))
    work = cv2.resize(image[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    fx, fy = size[0] / (x1 - x0), size[1] / (y1 - y0)
    local = Placement((start.cx - x0 + 0.5) * fx - 0.5, (start.cy - y0 + 0.5) * fy - 0.5, start.scale * fx,
                      start.angle)
    best, distance = yield from refine_steps(work, local, space)
    return Placement((best.cx + 0.5) / fx - 0.5 + x0, (best.cy + 0.5) / fy - 0.5 + y0, best.scale / fx,
                     best.angle), distance


def _inside(det: Detection, other: Detection) -> bool:
    x, y, w, h = other.box
    return x <= det.placement.cx <= x + w and y <= det.placement.cy <= y + h


def detect_faces(image: np.ndarray, detector: FaceDetector | None = None, model: FaceModel | None = None,
                 min_width: float = MIN_FACE_WIDTH, max_width: float | None = None, max_faces: int = 20,
                 use_haar: bool = True, per_level: int = 3, threshold: float | None = None,
                 should_stop=None) -> list[Detection]:
    """Find every face in a frame.

    Parameters
    ----------
    image : ndarray of shape (rows, columns)
        Grey levels in [0, 1].
    detector : FaceDetector, optional
        Verifier and alignment regressors; the shipped ones by default.
    model : FaceModel, optional
        Supplies the face space for the first placement; the shipped model by default.
    min_width, max_width : float
        Face widths searched, image pixels (from 12, or 1/160 of the image's long side if
        that is more; the default maximum is the frame).
    max_faces : int
    use_haar : bool
        Also take candidates from OpenCV's Haar cascade (faces of 24 pixels and more).
    per_level : int
        Candidates taken per scale of the template search.
    threshold : float, optional
        Verifier threshold; the detector's own by default.
    should_stop : callable() -> bool, optional
        Checked between work units (a few milliseconds each).

    Returns
    -------
    list of Detection
        Best first (highest verifier score).

    Raises
    ------
    ValueError
        ``image`` is not a 2-D array of finite grey levels.
    Cancelled
        ``should_stop()`` returned True.
    """
    return run_steps(search_steps(image, detector, model, min_width, max_width, max_faces, use_haar, per_level,
                                  threshold), should_stop)


def search_steps(image: np.ndarray, detector: FaceDetector | None = None, model: FaceModel | None = None,
                 min_width: float = MIN_FACE_WIDTH, max_width: float | None = None, max_faces: int = 20,
                 use_haar: bool = True, per_level: int = 3,
                 threshold: float | None = None, small_template: bool = False,
                 prescreen: float | None = None) -> Generator[None, None, list[Detection]]:
    """Find every face in a frame, one work unit at a time: the generator behind :func:`detect_faces`.

    Each ``next()`` does one unit (a level or band of the template pyramid, a scale band of
    the Haar cascade, the refinement or alignment of one candidate: a few milliseconds on a
    640 x 480 frame) and yields None; the detections are the generator's return value
    (``StopIteration.value``, or ``result = yield from search_steps(...)``). A caller with a
    time budget per frame (:class:`slrfr_gui.faces.find.FaceTracker`) spreads a search over
    several frames this way. Parameters, return value and errors as for
    :func:`detect_faces`; the errors are raised at the first ``next()``.

    ``small_template`` proposes candidates with a 12 x 10 mean face instead of 24 x 20: the
    pyramid's levels are then a quarter the size (a 640 x 480 frame searched for faces of 12 to 28
    pixels: 13 ms instead of 40), for searches limited to tiny faces, where the larger template
    only sees an enlarged copy anyway.

    ``prescreen``: a verifier score a template candidate needs where it was proposed, before it is
    refined (refinement is most of the search's cost); None refines every candidate.
    """
    image = searchable(image)
    if image is None:
        return []
    rows, cols = image.shape
    yield
    detector = detector or default_detector()
    threshold = detector.threshold if threshold is None else float(threshold)
    space = face_space(model)
    max_width = float(max_width or min(cols, rows * COLS / ROWS))
    # In a large photo, faces under 1/160 of its long side are not searched (a 4000-pixel photo
    # from 25 pixels on): the pyramid below that costs seconds and finds mostly texture.
    min_width = max(float(min_width), max(rows, cols) / 160.0)
    template = _small_template(space) if small_template else space.template
    starts = yield from _template_candidates(image, template, float(min_width), max_width, per_level)
    starts = _merge_candidates(starts)
    if prescreen is not None:
        starts = [s for s in starts if detector.score(image, s) >= prescreen]
    if use_haar:
        starts += yield from _haar_candidates(np.clip(image * 255, 0, 255).astype(np.uint8), int(min_width))
    found = []
    for start in starts:
        placement, distance = yield from _refine_at_scale(image, start, space)
        if distance > 0.7 or not (min_width * 0.7 <= COLS * placement.scale <= max_width * 1.3):
            continue
        score = detector.score(image, placement)
        if score >= threshold:
            found.append(Detection(placement, score))
    # A face cannot hold another: drop detections inside a clearly larger, comparably scored one.
    found = [d for d in found if not any(o is not d and o.placement.scale >= 1.6 * d.placement.scale
                                         and o.score >= d.score - 2.0 and _inside(d, o) for o in found)]
    found.sort(key=lambda d: -d.score)
    kept: list[Detection] = []
    for det in found:
        if all(np.hypot(det.placement.cx - k.placement.cx, det.placement.cy - k.placement.cy)
               > 0.5 * max(k.width, det.width) for k in kept):
            kept.append(det)
        if len(kept) >= max_faces:
            break
    aligned = []
    for det in kept:
        yield
        placement, score = detector.align(image, det.placement)
        if score >= detector.final_threshold:
            aligned.append(Detection(placement, score))
    # After alignment, neighbours may have moved onto one another: keep the best of any
    # two whose boxes share more than a quarter of the smaller box.
    aligned.sort(key=lambda d: -d.score)
    out: list[Detection] = []
    for det in aligned:
        if all(_overlap(det.box, k.box) <= 0.25 for k in out):
            out.append(det)
    return out


def _overlap(a, b) -> float:
    """Intersection of two (x, y, w, h) boxes over the smaller one's area."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0, min(ay + ah, by + bh) - max(ay, by))
    return w * h / max(1, min(aw * ah, bw * bh))


def aligned_faces(image: np.ndarray, detections, native: bool = True) -> list[np.ndarray]:
    """The aligned crop of each detection (see :func:`slrfr_gui.faces.align.align`)."""
    image = np.asarray(image, dtype=np.float64)
    return [align(image, d.placement, native=native) for d in detections]
