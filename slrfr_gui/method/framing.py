"""How a gallery's faces are framed, and so which form of the method applies to them.

The learned relighting (:func:`slrfr_gui.method.lighting.learn_ratio_metric`) is
a set of per-pixel statistics of the canonical 48 x 40 frame: the mean log
ratio between lights and the covariance of what it misses, learned on
Extended Yale B faces cropped forehead to chin and cheek to cheek. Faces
cropped another way (a head with its hair and some background, as most face
sets are cut) put other things at those pixels, and the statistics then
weigh the wrong places: on the Georgia Tech set, whose crops hold the whole
head, the learned relighting fell to 28 % rank-1 at 7x6, below plain
correlation.

:func:`estimate_framing` finds where the canonical frame sits in the
gallery's faces: the placement (centre, scale) of the face model's face
space in the mean of the gallery images (the mean of many faces framed alike
is a clean face; one image is used alone when that is all there is), by the
pattern search of :func:`slrfr_gui.faces.align.refine` from three starting
scales. The gallery is *canonical* when that placement is within
:data:`SCALE_TOLERANCE` and :data:`CENTRE_TOLERANCE` of the frame itself;
otherwise the classifier uses the framing-free generic metric
(:mod:`slrfr_gui.method.generic`) on the crops as they are.

Measured on Extended Yale B galleries re-framed by a known amount (scratch
study, fast version of ``yaleb-lr-v1``): the estimate recovers the scale to
0.01 and the centre to 0.2 pixels; the learned relighting stays ahead of the
generic metric down to a face scale of about 0.75 on lighting-only faces,
while on faces with pose and expression (IMM) the generic metric is ahead at
every framing. The tolerances sit between the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..faces.frame import FRAME_SHAPE

#: A gallery is canonical when its estimated face scale s satisfies |log s| <= log(1 + SCALE_TOLERANCE).
SCALE_TOLERANCE = 0.15
#: ... and the estimated centre of its faces lies within this many pixels (of the 48 x 40 frame) of the frame's.
CENTRE_TOLERANCE = 2.5
#: Starting scales of the search (a tight crop, a head, a head and shoulders).
_STARTS = (1.0, 0.8, 0.62)
#: Images averaged at most (the mean of more changes nothing but costs time).
_MAX_IMAGES = 400

REGIMES = ("canonical", "crop")


@dataclass(frozen=True)
class Framing:
    """Where the canonical face frame sits in a gallery's images (resized to 48 x 40).

    Attributes
    ----------
    cx, cy : float
        Centre of the face, pixels of the 48 x 40 frame (the canonical frame's own centre is (19.5, 23.5)).
    scale : float
        Face size relative to the canonical frame (1: the face fills the frame as in cropped Yale B;
        0.6: a crop holding the whole head).
    distance : float
        Distance of the face from the face space there, in [0, 1] (small: clearly a face).
    """

    cx: float
    cy: float
    scale: float
    distance: float

    @property
    def regime(self) -> str:
        """``"canonical"`` when the faces are framed like the canonical frame, else ``"crop"``."""
        u0, v0 = (FRAME_SHAPE[1] - 1) / 2.0, (FRAME_SHAPE[0] - 1) / 2.0
        close = (abs(np.log(self.scale)) <= np.log1p(SCALE_TOLERANCE)
                 and np.hypot(self.cx - u0, self.cy - v0) <= CENTRE_TOLERANCE)
        return "canonical" if close else "crop"

    def to_json(self) -> dict:
        return {"cx": round(float(self.cx), 3), "cy": round(float(self.cy), 3), "scale": round(float(self.scale), 4),
                "distance": round(float(self.distance), 4), "regime": self.regime}

    def describe(self) -> str:
        if self.regime == "canonical":
            return "gallery faces framed like the canonical frame"
        return (f"gallery faces framed otherwise: face about {self.scale:.2f} of the canonical frame, centre at"
                f" ({self.cx:.1f}, {self.cy:.1f})")


def estimate_framing(faces, model=None) -> Framing:
    """Estimate the framing of gallery faces (see the module docstring).

    Parameters
    ----------
    faces : ndarray of shape (n, 48, 40) or (48, 40)
        Gallery images brought to the 48 x 40 frame as the gallery loader does, grey levels in [0, 1].
    model : FaceModel, optional
        Supplies the face space; the shipped face model by default.

    Returns
    -------
    Framing

    Raises
    ------
    ValueError
        ``faces`` is not of shape (n, 48, 40), is empty or not finite.
    """
    import cv2

    from ..faces.align import Placement, face_space, refine

    arr = np.asarray(faces, dtype=np.float64)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1:] != FRAME_SHAPE or len(arr) == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"faces must be a non-empty finite array of shape (n, 48, 40), got {arr.shape}")
    if len(arr) > _MAX_IMAGES:
        arr = arr[np.linspace(0, len(arr) - 1, _MAX_IMAGES).astype(int)]
    mean = cv2.GaussianBlur(arr.mean(axis=0).astype(np.float32), (0, 0), 1.0)
    space = face_space(model)
    u0, v0 = (FRAME_SHAPE[1] - 1) / 2.0, (FRAME_SHAPE[0] - 1) / 2.0
    best = None
    for s0 in _STARTS:
        placement, distance = refine(mean, Placement(u0, v0, s0), space, rounds=4)
        if best is None or distance < best[1]:
            best = (placement, distance)
    placement, distance = best
    return Framing(float(placement.cx), float(placement.cy), float(placement.scale), float(distance))


def canonical_framing() -> Framing:
    """The framing of faces already in the canonical frame (what ``framing="canonical"`` assumes)."""
    return Framing((FRAME_SHAPE[1] - 1) / 2.0, (FRAME_SHAPE[0] - 1) / 2.0, 1.0, 0.0)


#: The alignment search of the ``"crop"`` regime: (dx, dy, scale) of each reference enrolled per gallery
#: image, pixels of the 48 x 40 frame and a factor about its centre. Faces cut from other sets are framed
#: less consistently than cropped Yale B (in IMM the face centre of one person moves with a spread of 8 % of
#: the frame's width across and 3.5 % down, its size 3.6 %), so the grid is wider across than down. On IMM in
#: three framings and on Yale B re-framed (scratch study; GT never used) this 5 x 3 x 3 grid measured best
#: on average of the grids tried (none, a 9-move star of 2 px, 10 %, 8 degrees; 3 x 3 x 3 of 2 px and 10 %;
#: 3 x 3 x 3 of 3 px and 15 %; 5 x 3 x 3): 60.2 % against 51.7 % for no search.
CROP_MOVES = tuple((dx, dy, s) for dx in (-4.0, -2.0, 0.0, 2.0, 4.0) for dy in (-2.0, 0.0, 2.0)
                   for s in (1 / 1.12, 1.0, 1.12))


def move_faces(faces: np.ndarray, dx: float, dy: float, scale: float = 1.0) -> np.ndarray:
    """Faces moved by (dx, dy) pixels (right, down) and scaled about the frame's centre; borders replicated.

    Parameters
    ----------
    faces : ndarray of shape (n, 48, 40), float64
    dx, dy : float
        Pixels of the 48 x 40 frame.
    scale : float
        Above 1 enlarges the face.

    Returns
    -------
    ndarray of shape (n, 48, 40), float64
    """
    import cv2

    if dx == 0 and dy == 0 and scale == 1:
        return faces
    matrix = cv2.getRotationMatrix2D(((FRAME_SHAPE[1] - 1) / 2.0, (FRAME_SHAPE[0] - 1) / 2.0), 0.0, float(scale))
    matrix[:, 2] += (dx, dy)
    return np.stack([cv2.warpAffine(np.ascontiguousarray(f), matrix, (FRAME_SHAPE[1], FRAME_SHAPE[0]),
                                    flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) for f in faces])
