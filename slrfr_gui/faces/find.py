"""From any image to aligned faces: detected, placed by given eye centres, or taken as a crop."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .align import align, placement_from_eyes
from .frame import FRAME_SHAPE

MODES = ("auto", "detect", "crop")
#: In "auto" mode, an image smaller than this (either side, pixels) is taken as a crop.
SMALL_IMAGE = 100
#: In "auto" mode, a detected face this wide relative to the image means the image is a crop.
CROP_FRACTION = 0.6
#: In "auto" mode, an image where no face is detected is still taken as a crop when it is at most
#: this large (pixels, either side) and shaped like the canonical frame (rows / columns in
#: CROP_ASPECT): a tight face crop lit from the side often defeats the detector (on cropped
#: Extended Yale B, 20 of 57 S5 images are detected), and the note says the crop was assumed.
CROP_FALLBACK_SIZE = 400
CROP_ASPECT = (1.0, 1.45)


@dataclass
class FoundFace:
    """One face of an image, ready to identify.

    Attributes
    ----------
    aligned : ndarray of shape (r, c)
        The face in the canonical frame at its own resolution (never up-sampled
        past 48 x 40), grey levels in [0, 1].
    box : (int, int, int, int)
        (x, y, w, h) of the face in the image, pixels.
    how : str
        "detected", "eyes given" or "taken as a crop".
    eyes : ndarray of shape (2, 2) or None
        (x, y) of the image-left and image-right eye centres in the image: where the canonical
        frame the face was aligned with puts its eye centres.
    score : float or None
        The detector's score, for detected faces (dlib's for library detections, the
        project's verifier's for tiny ones).
    method : str
        For detected faces, which search found it ("dlib HOG + 5 landmarks" or
        "tiny-face search", :mod:`slrfr_gui.faces.face_search`).
    placement : Placement or None
        The canonical frame in the image (None for a crop).
    """

    aligned: np.ndarray
    box: tuple
    how: str
    eyes: np.ndarray | None = None
    score: float | None = None
    method: str = ""
    placement: object = None


@dataclass
class FaceSearch:
    """The faces of one image and how they were found."""

    faces: list = field(default_factory=list)
    note: str = ""


def parse_eyes(text: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """``"LX,LY,RX,RY"`` -> ((LX, LY), (RX, RY)), image pixels.

    Raises
    ------
    ValueError
        Not four numbers, or the two points coincide.
    """
    try:
        values = [float(v) for v in str(text).replace(";", ",").split(",")]
    except ValueError:
        raise ValueError(f"eyes {text!r} must be four numbers LX,LY,RX,RY (pixels)") from None
    if len(values) != 4 or not np.all(np.isfinite(values)):
        raise ValueError(f"eyes {text!r} must be four numbers LX,LY,RX,RY (pixels)")
    left, right = (values[0], values[1]), (values[2], values[3])
    if np.hypot(left[0] - right[0], left[1] - right[1]) < 1.0:
        raise ValueError(f"eyes {text!r}: the two eye centres must be at least a pixel apart")
    if left[0] > right[0]:
        left, right = right, left
    return left, right


def find_faces(image: np.ndarray, mode: str = "auto", eyes=None, detector=None, model=None,
               should_stop=None, library: bool = True) -> FaceSearch:
    """Find the faces of an image and bring each into the canonical frame.

    Parameters
    ----------
    image : ndarray of shape (rows, columns)
        Grey levels in [0, 1].
    mode : {"auto", "detect", "crop"}
        "crop" takes the whole image as a face cropped like the canonical frame;
        "detect" finds faces with :func:`slrfr_gui.faces.face_search.search_faces`;
        "auto" takes small images (under 100 pixels a side) and images that
        already are a canonical crop (one face, its eyes where the frame puts
        them) as crops, and detects faces in the others; an image up to
        400 pixels, shaped like the frame (rows / columns 1.0-1.45), in which
        no face is detected is taken as a crop too (the note says so).
    eyes : ((float, float), (float, float)), optional
        Eye centres placed by hand (image-left, image-right); overrides ``mode``.
    should_stop : callable() -> bool, optional
        Checked between the detector's work units (a search of a large photo takes seconds).
    library : bool
        Search with dlib for faces of 24 pixels and more (the default); False: only with
        the project's own search, learned from Yale B (:func:`slrfr_gui.faces.detect.detect_faces`).

    Returns
    -------
    FaceSearch
        The faces (possibly none) and a note saying how they were found.

    Raises
    ------
    ValueError
        Unknown mode, or eye positions that coincide or lie outside the image.
    Cancelled
        ``should_stop()`` returned True during the search.
    """
    image = np.asarray(image, dtype=np.float64)
    rows, cols = image.shape
    whole = FoundFace(image, (0, 0, cols, rows), "taken as a crop")
    if eyes is not None:
        for x, y in eyes:
            if not (-0.5 <= x <= cols - 0.5 and -0.5 <= y <= rows - 0.5):
                raise ValueError(f"eye position ({x:g}, {y:g}) lies outside the {rows}x{cols} image")
        placement = placement_from_eyes(eyes[0], eyes[1], model)
        face = FoundFace(align(image, placement), placement.box(), "eyes given", placement.eyes(model),
                         placement=placement)
        return FaceSearch([face], "aligned by the eye centres given")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "crop":
        return FaceSearch([whole], "taken as a crop in the canonical frame, as asked")
    if mode == "auto" and min(rows, cols) < SMALL_IMAGE:
        return FaceSearch([whole], f"taken as a crop in the canonical frame (the image is only {rows}x{cols} "
                                   "pixels)")
    if library:
        from .face_search import search_faces

        found = search_faces(image, detector=detector, model=model, should_stop=should_stop)
    else:
        from .detect import detect_faces

        found = detect_faces(image, detector=detector, model=model, should_stop=should_stop)
    if mode == "auto" and len(found) == 1 and found[0].width >= CROP_FRACTION * cols and \
            (not library or _already_framed(found[0].eyes(model), rows, cols, model)):
        return FaceSearch([whole], "taken as a crop in the canonical frame (one face fills the image)")
    faces = [FoundFace(align(image, d.placement), d.box, "detected", d.eyes(model), d.score, d.method, d.placement)
             for d in found]
    if not faces and mode == "auto" and _frame_shaped(rows, cols):
        return FaceSearch([whole], "no face detected; taken as a crop in the canonical frame (the image has "
                                   "its shape; if it is not a face crop, place the eye centres by hand)")
    if not faces:
        return FaceSearch([], "no face found; place the eye centres by hand (--eyes LX,LY,RX,RY, or two "
                              "clicks in the window)")
    return FaceSearch(faces, f"{len(faces)} face{'s' if len(faces) != 1 else ''} detected")


#: An image one face fills is taken as a crop when the face's eyes lie within this fraction of the image's
#: width of where the canonical frame, stretched over the image, puts them; a looser crop (hair, a
#: border) is aligned by the eyes found instead.
FRAMED_TOLERANCE = 0.08


def _already_framed(eyes, rows: int, cols: int, model=None) -> bool:
    """Whether eyes found in a ``rows`` x ``cols`` image lie where they are in a canonical crop of that size."""
    from .facemodel import default_face_model

    canonical = np.asarray((model or default_face_model()).eye_centres, dtype=np.float64)
    expected = (canonical + 0.5) * [cols / FRAME_SHAPE[1], rows / FRAME_SHAPE[0]] - 0.5
    return bool(np.max(np.hypot(*(np.asarray(eyes) - expected).T)) <= FRAMED_TOLERANCE * cols)


def _frame_shaped(rows: int, cols: int) -> bool:
    """Whether an image could be a face cropped to the canonical frame (see CROP_FALLBACK_SIZE)."""
    return max(rows, cols) <= CROP_FALLBACK_SIZE and CROP_ASPECT[0] <= rows / cols <= CROP_ASPECT[1]


def needs_search(shape, mode: str = "auto", eyes=None) -> bool:
    """Whether :func:`find_faces` would run the detector on an image of ``shape`` (rows, columns):
    the part that can take seconds, worth running off an interactive thread."""
    return eyes is None and (mode == "detect" or (mode == "auto" and min(shape[:2]) >= SMALL_IMAGE))


def aligned_size_note(face: FoundFace) -> str:
    r, c = face.aligned.shape
    return f"{r}x{c}" + (" (reduced to the 48x40 frame)" if (r, c) == FRAME_SHAPE else "")


#: Seconds of face search a live camera frame may spend (:class:`FaceTracker`'s ``budget_s``):
#: with tracking, degrading and identifying, a 640 x 480 frame stays near 15 ms.
LIVE_SEARCH_BUDGET_S = 0.004


class FaceTracker:
    """Faces across the frames of a stream: full searches now and then, cheap re-alignment in between.

    Each frame, the faces of the previous frame are re-aligned where they were
    (the detector's regressors move a placement by a few pixels, and its
    verifier says whether a face is still there); a full search runs every
    ``search_every`` frames (also while none is tracked), or when a face is lost. A steady
    webcam face thus costs one alignment per frame instead of a search of the
    whole frame.

    A full search of a 640 x 480 frame takes about 0.2 s (faces from 12 pixels
    wide). With ``budget_s`` set, it is spread over frames instead
    (:func:`slrfr_gui.faces.detect.search_steps`): each frame does search work for
    about ``budget_s`` seconds (one work unit at least, a few milliseconds), the
    search runs on the frame it started on, and the faces it finds are re-aligned
    on the frame where it ends and added to the tracked ones. While no face is
    tracked, a frame searches for twice ``budget_s``. No frame then
    stalls a live view; a new face is found a few dozen frames after it appears.

    Parameters
    ----------
    search_every : int
        Frames between full searches.
    detector, model
        As for :func:`slrfr_gui.faces.detect.detect_faces`.
    budget_s : float, optional
        Seconds of search per frame (live cameras: :data:`LIVE_SEARCH_BUDGET_S`);
        None (the default) finishes each search on the frame that starts it.
    exact : bool
        Search the whole frame on every frame where no face is followed (after a face
        is lost, and while none is), not only every ``search_every`` frames: for video
        files and folders, where each frame must be treated exactly and no one waits
        for the next frame. False (the default) spares a live camera showing an empty
        scene a whole search on every frame. Needs ``budget_s`` None.

    Raises
    ------
    ValueError
        ``budget_s`` is not a positive number, or is given with ``exact``.
    """

    def __init__(self, search_every: int = 10, detector=None, model=None, budget_s: float | None = None,
                 library: bool = True, exact: bool = False):
        if budget_s is not None and not (np.isfinite(budget_s) and budget_s > 0):
            raise ValueError(f"budget_s must be a positive number of seconds or None, got {budget_s!r}")
        if exact and budget_s is not None:
            raise ValueError("exact searches finish on their frame: give budget_s None with exact=True")
        self.exact = bool(exact)
        self.search_every = max(1, int(search_every))
        self.detector = detector
        self.model = model
        self.budget_s = budget_s
        self.library = library
        self.placements: list = []  # the Detections followed
        self.frames_since_search = 0
        self.searches = 0
        self._search = None  # the running search_steps generator
        self._snapshot = None  # the frame it searches

    @property
    def searching(self) -> bool:
        """A search is under way (spread over frames)."""
        return self._search is not None

    def update(self, image: np.ndarray) -> list[FoundFace]:
        """The faces of the next frame (grey levels in [0, 1], shape (rows, columns))."""
        from .detect import _overlap, default_detector, search_steps
        from .face_search import follow
        from .face_search import search_steps as library_search_steps

        image = np.asarray(image, dtype=np.float32)
        detector = self.detector or default_detector()
        tracked = [d for d in (follow(image, previous, detector) for previous in self.placements) if d is not None]
        lost = len(tracked) < len(self.placements)
        self.frames_since_search += 1
        # A search runs when a face followed is lost and every search_every frames, not on every frame
        # that holds no face: a whole search costs tens of milliseconds, and a camera or a video file
        # showing an empty scene would otherwise pay it on every frame. An exact tracker (files and folders)
        # does pay it: a frame there must not go unsearched because the previous one held no face.
        if self._search is None and (lost or self.searches == 0 or self.frames_since_search >= self.search_every
                                     or (self.exact and not tracked)):
            if not self.library:
                self._search = search_steps(image, detector=self.detector, model=self.model)
            else:  # a live camera keeps the HOG scan, one unit of work, to a few milliseconds
                from .face_search import LIVE_SCAN_PIXELS

                self._search = library_search_steps(image, detector=self.detector, model=self.model,
                                                    scan_pixels=None if self.budget_s is None else LIVE_SCAN_PIXELS)
            self._snapshot = image
            self.searches += 1
            self.frames_since_search = 0
        found = [] if (lost and self.budget_s is None) else tracked
        if self._search is not None:
            # With no face to follow there is nothing else to do this frame: search twice as long.
            result = self._advance(None if self.budget_s is None else self.budget_s * (1 if tracked else 2))
            if result is not None:
                if self._snapshot is not image:  # found on an earlier frame: settle it on this one
                    result = [self._settle(image, d, detector) for d in result]
                    result = [d for d in result if d is not None]
                if self.budget_s is None:
                    found = result
                else:
                    found = tracked + [d for d in result if all(_overlap(d.box, t.box) <= 0.25 for t in tracked)]
                self._snapshot = None
        self.placements = list(found)
        return [FoundFace(align(image, d.placement), d.box, "detected", d.eyes(self.model), d.score,
                          d.method, d.placement) for d in found]

    def _settle(self, image, found, detector):
        """A detection from the search's (earlier) frame, found again on ``image``: re-aligned
        where it was, or, if the face has moved too far for that, searched for near there
        (scales 0.7-1.4 times its width, within a face width of its box). None if gone."""
        from .detect import Detection, detect_faces
        from .face_search import follow

        again = follow(image, found, detector)
        if again is not None or found.method != "tiny-face search":
            return again
        x, y, w, h = found.box
        x0, y0 = max(0, x - w), max(0, y - h)
        x1, y1 = min(image.shape[1], x + 2 * w), min(image.shape[0], y + 2 * h)
        near = detect_faces(image[y0:y1, x0:x1], detector=self.detector, model=self.model, min_width=0.7 * w,
                            max_width=1.4 * w, use_haar=False, max_faces=1)
        if not near:
            return None
        p = near[0].placement
        return Detection(type(p)(p.cx + x0, p.cy + y0, p.scale, p.angle), near[0].score)

    def _advance(self, budget_s: float | None):
        """Run the search for ``budget_s`` seconds (None: to its end); its detections if it ended,
        else None. A unit is not started when the last one says it would overrun the budget."""
        import time

        start = last = time.perf_counter()
        try:
            while True:
                next(self._search)
                now = time.perf_counter()
                if budget_s is not None and (now - start) + (now - last) > budget_s:
                    return None
                last = now
        except StopIteration as done:
            self._search = None
            return done.value
        except BaseException:
            self._search = None
            raise
