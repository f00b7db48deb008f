"""Bringing a gallery image into the canonical frame: searched for like a probe, or taken as a crop.

An analyst's gallery is a folder of photographs (ID pictures, mugshots, stills),
not of ready crops. :func:`align_gallery_image` finds the face of one image and
returns it in the 48 x 40 frame with how it was found, the eye centres it was
aligned with (so that the same reference can be made again, and shown), and what
makes it doubtful. The window and ``slrfr enroll`` both use it.

Modes (``--align`` of ``slrfr enroll``):

* ``auto`` (the default): a crop stays a crop (an image under 100 pixels a side,
  or one whose single face already sits where the canonical frame puts it), a
  photo is searched (:func:`slrfr_gui.faces.find.find_faces`); a frame-shaped
  image up to 400 pixels in which no face is found is taken as a crop, marked
  doubtful;
* ``detect``: always searched;
* ``crop``: always taken as a crop (the behaviour before this version).

Eye centres given (placed by hand in the window, or kept from an earlier
enrolment) override the mode.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..faces.align import align, placement_from_eyes
from ..faces.frame import FRAME_SHAPE, to_frame

MODES = ("auto", "detect", "crop")
#: Faces narrower than this (the canonical frame's width, pixels) are refused: no reference can be made.
MIN_GALLERY_FACE = 12
#: A reference from a face narrower than this is enlarged to 48 x 40 and marked doubtful.
SMALL_GALLERY_FACE = 24
#: A face whose canonical frame lies more than this fraction outside the image is cut by the border.
MAX_OUTSIDE = 0.15
#: Detections scoring less than this above their search's threshold are marked doubtful
#: (dlib's scores: 0 is its threshold; the project's verifier: see face_search.SURE_SCORE).
LOW_LIBRARY_SCORE = 0.25

if TYPE_CHECKING:
    from .image import GalleryImage

HOW_DETECTED, HOW_EYES, HOW_CROP = "detected", "eyes given", "taken as a crop"


class NotEnrolled(ValueError):
    """The image cannot give a reference; the message is the reason, one line."""


@dataclass
class AlignedImage:
    """A gallery image in the canonical frame, and how it got there.

    Attributes
    ----------
    face : ndarray of shape (48, 40), float64
        Grey levels in [0, 1].
    how : str
        "detected", "eyes given" or "taken as a crop".
    eyes : ndarray of shape (2, 2) or None
        (x, y) of the image-left and image-right eye centres in the source image, pixels, where
        the canonical frame the reference was aligned with puts them (None for a crop): the
        same eyes give the same reference again.
    method : str
        For detected faces, the search that found it.
    score : float or None
        The detector's score, for detected faces.
    faces : int
        Faces the search found in the image (the largest was taken).
    doubts : list of str
        What makes the reference doubtful (empty when nothing does).
    note : str
        One line on how the face was found.
    """

    face: np.ndarray
    how: str
    eyes: np.ndarray | None = None
    method: str = ""
    score: float | None = None
    faces: int = 1
    doubts: list = field(default_factory=list)
    note: str = ""

    @property
    def width(self) -> float | None:
        """Width of the face (the canonical frame) in the source image, pixels; None for a crop."""
        if self.eyes is None:
            return None
        return float(placement_from_eyes(self.eyes[0], self.eyes[1]).scale * FRAME_SHAPE[1])


def _outside_fraction(placement, rows: int, cols: int) -> float:
    """Fraction of the canonical frame's area that lies outside a ``rows`` x ``cols`` image."""
    x, y, w, h = placement.box()
    inside_w = max(0, min(x + w, cols) - max(x, 0))
    inside_h = max(0, min(y + h, rows) - max(y, 0))
    return 1.0 - inside_w * inside_h / max(1, w * h)


def align_gallery_image(image: np.ndarray, mode: str = "auto", eyes=None, should_stop=None,
                        library: bool = True) -> AlignedImage:
    """Find the face of a gallery image and bring it into the canonical frame.

    Parameters
    ----------
    image : ndarray of shape (rows, columns)
        Grey levels in [0, 1] (checked for blank and tiny images by the caller,
        :func:`slrfr_gui.gallery.gallery.gallery_image_problem`).
    mode : {"auto", "detect", "crop"}
        See the module docstring.
    eyes : ((float, float), (float, float)), optional
        Eye centres (image-left, image-right), image pixels; override ``mode``.
    should_stop : callable() -> bool, optional
        Checked during the face search.
    library : bool
        Search with dlib for faces of 24 pixels and more (see :func:`slrfr_gui.faces.find.find_faces`).

    Returns
    -------
    AlignedImage

    Raises
    ------
    NotEnrolled
        No face found, a face under 12 pixels wide, a face cut by the image's border,
        or eyes outside the image; the message says which and what to do.
    ValueError
        Unknown ``mode``.
    Cancelled
        ``should_stop()`` returned True.
    """
    from ..faces.find import find_faces

    if mode not in MODES:
        raise ValueError(f"align mode must be one of {', '.join(MODES)}, got {mode!r}")
    image = np.asarray(image, dtype=np.float64)
    rows, cols = image.shape
    if eyes is not None:
        eyes = np.asarray(eyes, dtype=np.float64).reshape(2, 2)
        eyes = eyes[np.argsort(eyes[:, 0])]
        for x, y in eyes:
            if not (-0.5 <= x <= cols - 0.5 and -0.5 <= y <= rows - 0.5):
                raise NotEnrolled(f"eye position ({x:g}, {y:g}) lies outside the {rows}x{cols} image")
        try:
            placement = placement_from_eyes(eyes[0], eyes[1])
        except ValueError as exc:
            raise NotEnrolled(str(exc)) from None
        return _checked(image, placement, AlignedImage(np.zeros(FRAME_SHAPE), HOW_EYES, eyes,
                                                       note="aligned by the eye centres given"))
    if mode == "crop":
        return AlignedImage(to_frame(image), HOW_CROP, note="taken as a crop in the canonical frame, as asked")
    search = find_faces(image, mode=mode, should_stop=should_stop, library=library)
    if not search.faces:
        raise NotEnrolled("no face found; place the eye centres by hand in the window, or enroll with --align "
                          "crop if the image is a face crop")
    # The largest face (the review shows which, and marks the reference doubtful). Preferring well-scored
    # faces was tried: a person's face found at a low score then lost to a smaller one beside it.
    face = max(search.faces, key=lambda f: f.box[2] * f.box[3])
    if face.how == HOW_CROP:
        out = AlignedImage(to_frame(image), HOW_CROP, note=search.note)
        if "no face detected" in search.note:
            out.doubts.append("taken as a crop, but no face was found in it: check it is a face crop, or place "
                              "the eyes")
        return out
    placement = face.placement if face.placement is not None else placement_from_eyes(face.eyes[0], face.eyes[1])
    out = AlignedImage(np.zeros(FRAME_SHAPE), HOW_DETECTED, placement.eyes(), face.method,
                       face.score, len(search.faces), note=search.note)
    if len(search.faces) > 1:
        out.doubts.append(f"{len(search.faces)} faces in the image; the largest was taken")
    if _low(face):
        out.doubts.append(f"low detector score ({face.score:.2f})")
    return _checked(image, placement, out)


def _low(face) -> bool:
    """Whether a found face scored less than :data:`LOW_LIBRARY_SCORE` above its search's threshold."""
    threshold = _threshold(face.method)
    return face.score is not None and threshold is not None and face.score < threshold


def _threshold(method: str):
    from ..faces.face_search import METHOD_LIBRARY, SURE_SCORE

    if method == METHOD_LIBRARY:
        return LOW_LIBRARY_SCORE
    if method:
        return SURE_SCORE
    return None


def _checked(image, placement, out: AlignedImage) -> AlignedImage:
    """Refuse faces too small or cut by the border; fill in the 48 x 40 face; mark small ones."""
    rows, cols = image.shape
    width = placement.scale * FRAME_SHAPE[1]
    if width < MIN_GALLERY_FACE:
        raise NotEnrolled(f"the face is only {width:.0f} pixels wide (at least {MIN_GALLERY_FACE}): too small for a "
                          "reference; use a larger photo")
    outside = _outside_fraction(placement, rows, cols)
    if outside > MAX_OUTSIDE:
        raise NotEnrolled(f"the face is cut by the image border ({100 * outside:.0f} % of it outside); use a photo "
                          "with the whole face, or place the eyes by hand")
    out.face = np.clip(align(image, placement, native=False), 0.0, 1.0)
    if width < SMALL_GALLERY_FACE:
        out.doubts.append(f"small face ({width:.0f} pixels wide), enlarged to the 48x40 frame")
    return out


def file_digest(path) -> str:
    """SHA-256 of a file's bytes ("" when it cannot be read)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return ""
    return h.hexdigest()


def read_gallery_file(path: Path, align: str = "auto", reuse: dict | None = None, should_stop=None,
                      person: str = "") -> tuple[GalleryImage | None, str]:
    """One gallery image file, searched and aligned: (GalleryImage, "") or (None, the reason it is skipped).

    ``reuse`` maps a file's SHA-256 to an earlier reference's record (``GalleryImage.record()``):
    a file seen before is aligned with the same eyes (or taken as a crop again), whatever ``align``.

    Raises
    ------
    Cancelled
        ``should_stop()`` returned True during the face search.
    """
    from ..errors import ImageReadError
    from .image import GalleryImage, gallery_image_problem
    from ..files.imageio import IMAGE_SUFFIXES, read_grey

    try:
        image = read_grey(path)
    except ImageReadError as exc:
        reason = str(exc).split(": ", 1)[-1]
        if path.suffix.lower() not in IMAGE_SUFFIXES and "not an image" in reason:
            reason = "not an image"
        return None, reason
    problem = gallery_image_problem(image)
    if problem:
        return None, problem
    digest = file_digest(path)
    earlier = (reuse or {}).get(digest)
    try:
        if earlier is not None and earlier.get("eyes") is not None:
            result = align_gallery_image(image, eyes=earlier["eyes"])
            result.how, result.method, result.score = earlier.get("how", result.how), \
                str(earlier.get("method", "")), earlier.get("score")
            result.doubts = list(earlier.get("doubts") or [])
        elif earlier is not None:
            result = align_gallery_image(image, "crop")
            result.doubts = list(earlier.get("doubts") or [])
        else:
            result = align_gallery_image(image, align, should_stop=should_stop)
    except NotEnrolled as exc:
        return None, f"{exc}: not enrolled"
    return GalleryImage(person, path.name, result.face, str(path), result.how, result.eyes, result.method,
                        result.score, list(result.doubts), digest), ""


def describe(image) -> str:
    """One line on how a gallery image became its reference (a GalleryImage), as ``slrfr enroll`` prints it."""
    parts = [image.how + (f" ({image.method})" if image.method else "")]
    if image.eyes is not None:
        eyes = np.asarray(image.eyes, dtype=np.float64)
        width = placement_from_eyes(eyes[0], eyes[1]).scale * FRAME_SHAPE[1]
        parts.append(f"face {width:.0f} px wide, eyes ({eyes[0, 0]:.1f}, {eyes[0, 1]:.1f})"
                     f" ({eyes[1, 0]:.1f}, {eyes[1, 1]:.1f})")
    if image.score is not None:
        parts.append(f"score {image.score:.2f}")
    line = ", ".join(parts)
    return line + (f"; doubtful: {'; '.join(image.doubts)}" if image.doubts else "")


def alignment_report(gallery) -> str:
    """Every enrolled image of a gallery with how it was aligned, then the counts (``slrfr enroll``'s summary)."""
    lines = []
    root = gallery.root
    for image in gallery.images:
        where = f"{image.person}/{image.name}"
        if image.source and root is not None:
            try:
                where = str(Path(image.source).relative_to(root))
            except ValueError:
                pass
        lines.append(f"{where}: {describe(image)}")
    counts = {how: sum(im.how == how for im in gallery.images) for how in (HOW_DETECTED, HOW_EYES, HOW_CROP)}
    doubtful = sum(bool(im.doubts) for im in gallery.images)
    lines.append(f"aligned {len(gallery.images)} image(s): {counts[HOW_DETECTED]} detected, {counts[HOW_EYES]} by "
                 f"eyes given, {counts[HOW_CROP]} taken as crops; {doubtful} doubtful; {len(gallery.skipped)} "
                 "file(s) skipped")
    return "\n".join(lines)
