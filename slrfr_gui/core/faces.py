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
        (x, y) of the image-left and image-right eye centres in the image.
    score : float or None
        The detector's verifier score, for detected faces.
    """

    aligned: np.ndarray
    box: tuple
    how: str
    eyes: np.ndarray | None = None
    score: float | None = None


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


def find_faces(image: np.ndarray, mode: str = "auto", eyes=None, detector=None, model=None) -> FaceSearch:
    """Find the faces of an image and bring each into the canonical frame.

    Parameters
    ----------
    image : ndarray of shape (rows, columns)
        Grey levels in [0, 1].
    mode : {"auto", "detect", "crop"}
        "crop" takes the whole image as a face cropped like the canonical frame;
        "detect" finds faces with :func:`slrfr_gui.core.detect.detect_faces`;
        "auto" takes small images (under 100 pixels a side) and images filled
        by one face as crops, and detects faces in the others.
    eyes : ((float, float), (float, float)), optional
        Eye centres placed by hand (image-left, image-right); overrides ``mode``.

    Returns
    -------
    FaceSearch
        The faces (possibly none) and a note saying how they were found.

    Raises
    ------
    ValueError
        Unknown mode, or eye positions that coincide or lie outside the image.
    """
    image = np.asarray(image, dtype=np.float64)
    rows, cols = image.shape
    whole = FoundFace(image, (0, 0, cols, rows), "taken as a crop")
    if eyes is not None:
        for x, y in eyes:
            if not (-0.5 <= x <= cols - 0.5 and -0.5 <= y <= rows - 0.5):
                raise ValueError(f"eye position ({x:g}, {y:g}) lies outside the {rows}x{cols} image")
        placement = placement_from_eyes(eyes[0], eyes[1], model)
        face = FoundFace(align(image, placement), placement.box(), "eyes given", placement.eyes(model))
        return FaceSearch([face], "aligned by the eye centres given")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "crop":
        return FaceSearch([whole], "taken as a crop in the canonical frame, as asked")
    if mode == "auto" and min(rows, cols) < SMALL_IMAGE:
        return FaceSearch([whole], f"taken as a crop in the canonical frame (the image is only {rows}x{cols} "
                                   "pixels)")
    from .detect import detect_faces

    found = detect_faces(image, detector=detector, model=model)
    if mode == "auto" and found and found[0].width >= CROP_FRACTION * cols and len(found) == 1:
        return FaceSearch([whole], "taken as a crop in the canonical frame (one face fills the image)")
    faces = [FoundFace(align(image, d.placement), d.box, "detected", d.placement.eyes(model), d.score)
             for d in found]
    if not faces:
        return FaceSearch([], "no face found; place the eye centres by hand (--eyes LX,LY,RX,RY, or two "
                              "clicks in the window)")
    return FaceSearch(faces, f"{len(faces)} face{'s' if len(faces) != 1 else ''} detected")


def aligned_size_note(face: FoundFace) -> str:
    r, c = face.aligned.shape
    return f"{r}x{c}" + (" (reduced to the 48x40 frame)" if (r, c) == FRAME_SHAPE else "")


class FaceTracker:
    """Faces across the frames of a stream: full searches now and then, cheap re-alignment in between.

    Each frame, the faces of the previous frame are re-aligned where they were
    (the detector's regressors move a placement by a few pixels, and its
    verifier says whether a face is still there); a full search runs every
    ``search_every`` frames, or when a face is lost. A steady webcam face thus
    costs one alignment per frame instead of a search of the whole frame.

    Parameters
    ----------
    search_every : int
        Frames between full searches.
    detector, model
        As for :func:`slrfr_gui.core.detect.detect_faces`.
    """

    def __init__(self, search_every: int = 10, detector=None, model=None):
        self.search_every = max(1, int(search_every))
        self.detector = detector
        self.model = model
        self.placements: list = []
        self.frames_since_search = 0
        self.searches = 0

    def update(self, image: np.ndarray) -> list[FoundFace]:
        """The faces of the next frame (grey levels in [0, 1], shape (rows, columns))."""
        from .detect import Detection, default_detector, detect_faces

        image = np.asarray(image, dtype=np.float32)
        detector = self.detector or default_detector()
        found = []
        if self.placements and self.frames_since_search < self.search_every:
            for placement in self.placements:
                moved, score = detector.align(image, placement)
                if score >= detector.final_threshold:
                    found.append(Detection(moved, score))
            if len(found) < len(self.placements):
                found = []  # a face was lost: look again everywhere
        if not found:
            found = detect_faces(image, detector=self.detector, model=self.model)
            self.frames_since_search = 0
            self.searches += 1
        else:
            self.frames_since_search += 1
        self.placements = [d.placement for d in found]
        image64 = image.astype(np.float64)
        return [FoundFace(align(image64, d.placement), d.box, "detected", d.placement.eyes(self.model), d.score)
                for d in found]
