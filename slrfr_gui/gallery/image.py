"""One gallery image: the person, the face in the canonical frame, and how it was made.

:class:`GalleryImage` is what :class:`~slrfr_gui.gallery.gallery.Gallery` holds and what
:mod:`slrfr_gui.gallery.gallery_align` makes from an image file; :func:`gallery_image_problem` is the rule
both apply before enrolling an image.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..faces.frame import probe_problem

__all__ = ["GalleryImage", "gallery_image_problem"]


@dataclass
class GalleryImage:
    """One enrolled image.

    Attributes
    ----------
    person : str
    name : str
        Display name (the file name by default; may be renamed).
    face : ndarray of shape (48, 40), float64
        Grey levels in [0, 1], in the canonical frame.
    source : str
        Where it came from (a file path, or "clipboard", "webcam", ...).
    how : str
        "detected", "eyes given" or "taken as a crop".
    eyes : ndarray of shape (2, 2) or None
        (x, y) of the image-left and image-right eye centres in the source image the
        face was aligned with, pixels (None for a crop).
    method : str
        The search that found a detected face.
    score : float or None
        Its detector score.
    doubts : list of str
        Why the reference may be wrong (taken as a crop from a photo, low score, several faces, ...).
    digest : str
        SHA-256 of the source file's bytes (to reuse the eyes of an earlier enrolment).
    """

    person: str
    name: str
    face: np.ndarray
    source: str = ""
    how: str = "taken as a crop"
    eyes: np.ndarray | None = None
    method: str = ""
    score: float | None = None
    doubts: list = field(default_factory=list)
    digest: str = ""

    def record(self) -> dict:
        """How the reference was made, as JSON-ready data (kept in gallery and model files)."""
        return {"person": self.person, "name": self.name, "source": self.source, "how": self.how,
                "eyes": None if self.eyes is None else np.asarray(self.eyes, float).tolist(),  # exact: same reference
                "method": self.method, "score": None if self.score is None else round(float(self.score), 4),
                "doubts": list(self.doubts), "digest": self.digest}

    @property
    def doubtful(self) -> bool:
        return bool(self.doubts)


def gallery_image_problem(image: np.ndarray) -> str | None:
    """Why an image cannot be enrolled (the reason it is skipped), or None.

    The rule probes follow (:func:`~slrfr_gui.faces.frame.probe_problem`): an image
    smaller than 5 x 4 pixels, blank (constant) or holding values that are not
    numbers holds no face, and enrolling it would only teach a person a blank.
    """
    problem = probe_problem(image)
    return None if problem is None else f"{problem}: not enrolled"
