"""Bringing a face from any image into the canonical 48 x 40 frame, at its own resolution.

A placement of the canonical frame in an image is a similarity transform: the
frame's pixel (u, v) (column, row, pixel centres at integers) lands at

    x = cx + s * (cos t * (u - u0) - sin t * (v - v0))
    y = cy + s * (sin t * (u - u0) + cos t * (v - v0))

with (u0, v0) = (19.5, 23.5) the frame's centre, s image pixels per frame
pixel and t the in-plane rotation. Two eye centres fix it (the canonical eye
centres are measured on the mean face, :attr:`FaceModel.eye_centres`).

:func:`align` warps the image so that the face lands in the frame *at its own
scale*: a face 14 pixels wide gives an aligned crop about 17 x 14 pixels, never
an up-sampled pretend high-resolution one; a face larger than 48 x 40 is
area-reduced to 48 x 40.

:func:`faceness` measures how face-like a 48 x 40 crop is: the relative
distance from the face space (Moghaddam & Pentland, "Probabilistic Visual
Learning for Object Representation", TPAMI 1997) spanned by the mean face and
the leading eigenfaces of the face model, which include the lighting modes of
Extended Yale B. :func:`refine` adjusts a placement to minimise it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import Cancelled
from .facemodel import FaceModel, default_face_model
from .frame import FRAME_SHAPE

ROWS, COLS = FRAME_SHAPE
CENTRE = ((COLS - 1) / 2.0, (ROWS - 1) / 2.0)  # (u0, v0)


@dataclass(frozen=True)
class Placement:
    """Where the canonical frame sits in an image (see the module docstring).

    Attributes
    ----------
    cx, cy : float
        Image position of the frame's centre, pixels.
    scale : float
        Image pixels per frame pixel (the face is 40 * scale pixels wide).
    angle : float
        In-plane rotation, radians (positive turns the face clockwise in the image).
    """

    cx: float
    cy: float
    scale: float
    angle: float = 0.0

    def frame_to_image(self) -> np.ndarray:
        """2 x 3 affine matrix taking frame (u, v) to image (x, y)."""
        c, s = np.cos(self.angle) * self.scale, np.sin(self.angle) * self.scale
        u0, v0 = CENTRE
        return np.array([[c, -s, self.cx - c * u0 + s * v0], [s, c, self.cy - s * u0 - c * v0]])

    def map_points(self, points) -> np.ndarray:
        """Frame points (n, 2) as (u, v) -> image points (n, 2) as (x, y)."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return pts @ self.frame_to_image()[:, :2].T + self.frame_to_image()[:, 2]

    def eyes(self, model: FaceModel | None = None) -> np.ndarray:
        """Image positions (2, 2) of the image-left and image-right eye centres."""
        return self.map_points((model or default_face_model()).eye_centres)

    def box(self) -> tuple[int, int, int, int]:
        """Bounding box (x, y, w, h) of the frame in the image, pixels."""
        corners = self.map_points([[-0.5, -0.5], [COLS - 0.5, -0.5], [-0.5, ROWS - 0.5], [COLS - 0.5, ROWS - 0.5]])
        x0, y0 = corners.min(axis=0)
        x1, y1 = corners.max(axis=0)
        return int(round(x0)), int(round(y0)), int(round(x1 - x0)), int(round(y1 - y0))

    def moved(self, dx=0.0, dy=0.0, factor=1.0, dangle=0.0) -> "Placement":
        return Placement(self.cx + dx, self.cy + dy, self.scale * factor, self.angle + dangle)


def placement_from_eyes(left, right, model: FaceModel | None = None, offset=None) -> Placement:
    """The placement that puts the canonical eye centres on the given image points.

    Parameters
    ----------
    left, right : (float, float)
        (x, y) image positions of the eye on the image's left and on its right.
    offset : array-like of shape (2, 2), optional
        Where the given points lie in the frame relative to its eye centres (frame pixels), for eye
        centres found by another convention (dlib's landmarks: ``face_search.LANDMARK_OFFSET``).

    Raises
    ------
    ValueError
        The two points coincide or are not finite.
    """
    model = model or default_face_model()
    src = np.asarray(model.eye_centres, dtype=np.float64)
    if offset is not None:
        src = src + np.asarray(offset, dtype=np.float64)
    dst = np.array([left, right], dtype=np.float64)
    if not np.all(np.isfinite(dst)):
        raise ValueError("eye positions must be finite numbers")
    d_src, d_dst = src[1] - src[0], dst[1] - dst[0]
    if np.hypot(*d_dst) < 1e-6:
        raise ValueError("the two eye positions coincide")
    scale = np.hypot(*d_dst) / np.hypot(*d_src)
    angle = np.arctan2(d_dst[1], d_dst[0]) - np.arctan2(d_src[1], d_src[0])
    # Place the midpoint of the eyes, then derive the frame centre.
    mid_src, mid_dst = src.mean(axis=0), dst.mean(axis=0)
    p = Placement(0.0, 0.0, scale, angle)
    offset = p.map_points(mid_src)[0]
    return Placement(mid_dst[0] - offset[0], mid_dst[1] - offset[1], scale, angle)


def _warp(image: np.ndarray, placement: Placement, shape) -> np.ndarray:
    """Sample the image under ``placement`` into an array of ``shape`` covering the whole frame."""
    rows, cols = shape
    # Output pixel (j, i) is frame point u = (j + 0.5) * COLS / cols - 0.5, likewise v.
    su, sv = COLS / cols, ROWS / rows
    ou, ov = 0.5 * su - 0.5, 0.5 * sv - 0.5
    # frame_to_image() composed with that, written out: the pattern search calls this thousands of times
    # a frame, and building and multiplying the 3 x 3 matrices cost more than the warp itself.
    c, s = math.cos(placement.angle) * placement.scale, math.sin(placement.angle) * placement.scale
    u0, v0 = CENTRE
    tx, ty = placement.cx - c * u0 + s * v0, placement.cy - s * u0 - c * v0
    matrix = np.array([[c * su, -s * sv, c * ou - s * ov + tx], [s * su, c * sv, s * ou + c * ov + ty]])
    return cv2.warpAffine(image, matrix, (cols, rows), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def align(image: np.ndarray, placement: Placement, native: bool = True) -> np.ndarray:
    """The face under ``placement`` in the canonical frame.

    Parameters
    ----------
    image : ndarray of shape (rows, columns)
        Grey levels in [0, 1].
    placement : Placement
    native : bool
        True: keep the face's own resolution (about 48 s x 40 s pixels when the
        scale s < 1, never up-sampled); False: always 48 x 40.

    Returns
    -------
    ndarray of shape (r, c), float64, with r/c close to 48/40
    """
    image = np.asarray(image)
    if image.dtype not in (np.float32, np.float64):
        # Only the face is made float64 (below), not the whole frame: a camera or a scan aligns every face
        # of every frame, and a 640 x 480 frame copied to float64 per face cost more than the warp.
        image = image.astype(np.float32)
    s = placement.scale
    if s > 1.0:
        # Larger than the frame: warp at the face's own scale, then area-reduce (anti-aliased).
        big = (max(ROWS, int(round(ROWS * s))), max(COLS, int(round(COLS * s))))
        warped = _warp(image, placement, big)
        return cv2.resize(warped, (COLS, ROWS), interpolation=cv2.INTER_AREA).astype(np.float64)
    if not native:
        return _warp(image, placement, FRAME_SHAPE).astype(np.float64)
    shape = (max(5, int(round(ROWS * s))), max(4, int(round(COLS * s))))
    return _warp(image, placement, shape).astype(np.float64)


class FaceSpace:
    """How face-like a crop is, at a small working size (24 x 20 by default).

    Crops are compared after removing their mean and scaling to unit norm, so
    gain and offset of the lighting do not matter. The model is a Gaussian of
    such normalised faces, learned by sampling the face model's PCA (which
    holds the Extended Yale B lighting modes): ``k`` principal directions with
    their variances, and an isotropic variance for the rest. :meth:`distance`
    is the relative residual outside the subspace (DFFS); :meth:`cost` adds the
    Mahalanobis distance inside it (DIFS), after Moghaddam and Pentland.
    """

    def __init__(self, model: FaceModel | None = None, k: int = 24, shape=(24, 20), samples: int = 2000, seed: int = 0):
        from .frame import degrade

        model = model or default_face_model()
        self.shape = tuple(shape)
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((samples, len(model.pca_std))) * model.pca_std
        faces = (model.pca_mean + z @ model.pca_components).reshape(samples, *FRAME_SHAPE)
        x = degrade(faces, self.shape).reshape(samples, -1)
        x = self._normalise(x)
        # Eigen-decomposition of the (pixels x pixels) second-moment matrix: far cheaper than an
        # SVD of the samples, and this runs once per process.
        values, vectors = np.linalg.eigh(x.T @ x / samples)
        order = np.argsort(values)[::-1]
        variances = np.maximum(values[order], 0.0)
        self.basis = vectors[:, order[:k]]  # (pixels, k)
        self.variances = variances[:k]
        self.rest_variance = float(variances[k:].sum() / max(x.shape[1] - k, 1))
        mean = degrade(model.pca_mean.reshape(FRAME_SHAPE), self.shape)
        self.template = ((mean - mean.mean()) / max(mean.std(), 1e-9)).astype(np.float32)

    @staticmethod
    def _normalise(x: np.ndarray) -> np.ndarray:
        x = x - x.mean(axis=1, keepdims=True)
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)

    def _parts(self, crops):
        x = np.asarray(crops, dtype=np.float64).reshape(len(crops), -1)
        flat = x.std(axis=1) < 1e-6
        x = self._normalise(x)
        y = x @ self.basis
        residual = np.maximum(1.0 - np.sum(y**2, axis=1), 0.0)
        return y, residual, flat

    def distance(self, crops: np.ndarray) -> np.ndarray:
        """Relative distance from the face space (DFFS), in [0, 1], for crops of shape (n, *shape)."""
        _, residual, flat = self._parts(crops)
        return np.where(flat, 1.0, np.sqrt(residual))

    def cost(self, crops: np.ndarray) -> np.ndarray:
        """Negative log-likelihood up to a constant: sum y_i^2 / lambda_i + DFFS^2 / rho, per pixel."""
        y, residual, flat = self._parts(crops)
        value = (np.sum(y**2 / self.variances, axis=1) + residual / self.rest_variance) / self.basis.shape[0]
        return np.where(flat, np.inf, value)


_SPACES: dict = {}


def face_space(model: FaceModel | None = None) -> FaceSpace:
    """A cached :class:`FaceSpace` for ``model`` (the shipped one by default)."""
    key = id(model) if model is not None else None
    if key not in _SPACES:
        _SPACES[key] = FaceSpace(model)
    return _SPACES[key]


def faceness(image: np.ndarray, placement: Placement, space: FaceSpace | None = None) -> float:
    """Distance from the face space of the crop under ``placement`` (0 = perfectly face-like)."""
    space = space or face_space()
    crop = _warp(image, placement, space.shape)
    return float(space.distance(crop[None])[0])


def face_cost(image: np.ndarray, placement: Placement, space: FaceSpace | None = None) -> float:
    """:meth:`FaceSpace.cost` of the crop under ``placement`` (smaller = more face-like)."""
    space = space or face_space()
    crop = _warp(image, placement, space.shape)
    return float(space.cost(crop[None])[0])


def refine(image: np.ndarray, start: Placement, space: FaceSpace | None = None, rounds: int = 3,
           rotate: bool = False) -> tuple[Placement, float]:
    """Adjust a placement to minimise :meth:`FaceSpace.cost` by a coarse-to-fine pattern search.

    Parameters
    ----------
    image : ndarray of shape (rows, columns)
        Grey levels, ideally already smoothed to the face's scale.
    start : Placement
    rounds : int
        Each round halves the step sizes (shift from 1.5 frame pixels, scale from 6 %).
    rotate : bool
        Search the in-plane angle too.

    Returns
    -------
    (Placement, float)
        The best placement found and its distance from the face space.
    """
    return run_steps(refine_steps(image, start, space, rounds, rotate))


def run_steps(steps, should_stop=None):
    """Run a generator of work units (see :func:`refine_steps`) to its end; its return value.

    Raises
    ------
    Cancelled
        ``should_stop()`` returned True between two work units.
    """
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value
        if should_stop is not None and should_stop():
            steps.close()
            raise Cancelled("the face search was stopped")


def refine_steps(image: np.ndarray, start: Placement, space: FaceSpace | None = None, rounds: int = 3,
                 rotate: bool = False):
    """:func:`refine` as a generator that yields after each move of the pattern search (well
    under a millisecond each) and returns (Placement, float), for searches spread over frames."""
    space = space or face_space()
    placement, _ = yield from _search(image, start, space, rounds, rotate)
    return placement, faceness(np.asarray(image, dtype=np.float32), placement, space)


def _search(image, start, space, rounds, rotate):
    """Pattern search minimising :meth:`FaceSpace.cost`; a generator yielding after each move,
    returning (placement, cost)."""
    image = np.asarray(image, dtype=np.float32)
    best, best_d = start, face_cost(image, start, space)
    step_xy, step_s, step_a = 1.5, 0.06, 0.06
    for _ in range(rounds):
        improved = True
        while improved:
            improved = False
            s = best.scale
            moves = [(step_xy * s, 0, 1, 0), (-step_xy * s, 0, 1, 0), (0, step_xy * s, 1, 0), (0, -step_xy * s, 1, 0),
                     (0, 0, 1 + step_s, 0), (0, 0, 1 / (1 + step_s), 0)]
            if rotate:
                moves += [(0, 0, 1, step_a), (0, 0, 1, -step_a)]
            candidates = [best.moved(dx, dy, f, da) for dx, dy, f, da in moves]
            crops = np.stack([_warp(image, c, space.shape) for c in candidates])
            d = space.cost(crops)
            i = int(np.argmin(d))
            if d[i] < best_d - 1e-6:
                best, best_d, improved = candidates[i], float(d[i]), True
            yield
        step_xy, step_s, step_a = step_xy / 2, step_s / 2, step_a / 2
    return best, best_d
