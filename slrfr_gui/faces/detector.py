"""The project's learned face verifier and aligner for tiny faces (the file it runs on).

A Fisher linear discriminant on the normalised 24 x 20 crop separates aligned
faces from parts of faces, faces with their surroundings, and background (the
verifier), and a cascade of linear regressors from the normalised 48 x 40 crop
to the placement error (shift and log-scale), in the manner of the supervised
descent method (Xiong and De la Torre, CVPR 2013), settles a face in the
canonical frame (the aligner). Both are learned from training faces pasted on
random backgrounds (:func:`slrfr_gui.faces.detector_training.train_detector`); ``scripts/derive_face_model.py``
trains the shipped one (``resources/detector.npz``) on the 38 Yale B subjects.
The search that uses them is :mod:`slrfr_gui.faces.detect`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import ResourceError
from ..files.datafile import read_data_file, write_data_file
from .align import Placement, _warp
from .frame import FRAME_SHAPE

FORMAT = "slrfr-detector"
FORMAT_VERSION = 3
#: Perturbations (shift sigma in frame pixels, log-scale sigma) each regressor stage is trained on.
STAGES = ((4.0, 0.10), (2.0, 0.05), (1.0, 0.025), (0.5, 0.0125))
#: Iterations of each stage at detection time.
STAGE_ITERATIONS = (1, 1, 1, 2)
REGRESSOR_SHAPE = FRAME_SHAPE
VERIFIER_SHAPE = (24, 20)


def _features(crop: np.ndarray) -> np.ndarray:
    """Zero-mean, unit-norm pixels plus a constant 1, shape (pixels + 1,)."""
    x = np.asarray(crop, dtype=np.float64).ravel()
    x = x - x.mean()
    x = x / max(np.linalg.norm(x), 1e-9)
    return np.append(x, 1.0)


def _regressor_features(crop: np.ndarray) -> np.ndarray:
    """Pixels and their horizontal and vertical Sobel gradients, each zero-mean and unit-norm, plus 1.

    Gradients locate edges (brows, eyes, nostrils, mouth) whatever the lighting's
    gain; they lift faces aligned within 2 pixels by about two points over pixels alone.
    """
    x = np.asarray(crop, dtype=np.float64)
    parts = []
    for channel in (x, cv2.Sobel(x, cv2.CV_64F, 1, 0, ksize=3), cv2.Sobel(x, cv2.CV_64F, 0, 1, ksize=3)):
        v = channel.ravel() - channel.mean()
        parts.append(v / max(np.linalg.norm(v), 1e-9))
    return np.append(np.concatenate(parts), 1.0)


def crop(image: np.ndarray, placement: Placement, shape) -> np.ndarray:
    """The crop under ``placement`` sampled to ``shape``, anti-aliased: the neighbourhood is
    first resized so that the face has one pixel per frame pixel (as detection does)."""
    x, y, w, h = placement.box()
    pad_x, pad_y = int(0.2 * w) + 3, int(0.2 * h) + 3
    x0, y0 = max(0, x - pad_x), max(0, y - pad_y)
    x1, y1 = min(image.shape[1], x + w + pad_x), min(image.shape[0], y + h + pad_y)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.zeros(shape, np.float32)
    f = 1.0 / placement.scale
    size = (max(2, int(round((x1 - x0) * f))), max(2, int(round((y1 - y0) * f))))
    work = cv2.resize(image[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    fx, fy = size[0] / (x1 - x0), size[1] / (y1 - y0)
    local = Placement((placement.cx - x0 + 0.5) * fx - 0.5, (placement.cy - y0 + 0.5) * fy - 0.5,
                      placement.scale * fx, placement.angle)
    return _warp(work, local, shape)


def _apply(placement: Placement, delta) -> Placement:
    dx, dy, dlog = delta
    return Placement(placement.cx + dx * placement.scale, placement.cy + dy * placement.scale,
                     placement.scale * float(np.exp(dlog)), placement.angle)


@dataclass
class FaceDetector:
    """Learned alignment regressors and face verifier (see the module docstring).

    Attributes
    ----------
    regressors : ndarray of shape (n_stages, 3 * 48 * 40 + 1, 3)
        Each maps crop features (pixels and gradients) to (dx, dy, dlog-scale) in frame pixels.
    verifier : ndarray of shape (24 * 20 + 1,)
        Fisher discriminant weights (last entry unused, kept for the constant).
    threshold : float
        Verifier score a rough candidate needs to be aligned at all.
    final_threshold : float
        Verifier score an aligned face needs (90 % of aligned training faces pass).
    """

    regressors: np.ndarray
    verifier: np.ndarray
    threshold: float
    final_threshold: float

    # --------------------------------------------------------------- files
    def save(self, path) -> None:
        write_data_file(path, {"regressors": self.regressors, "verifier": self.verifier},
                        {"threshold": self.threshold, "final_threshold": self.final_threshold},
                        FORMAT, FORMAT_VERSION, ResourceError)

    @classmethod
    def load(cls, path) -> "FaceDetector":
        arrays, meta = read_data_file(path, FORMAT, FORMAT_VERSION, ResourceError, "face detector file",
                                      "reinstall slrfr-gui or run scripts/derive_face_model.py")
        try:
            return cls(arrays["regressors"], arrays["verifier"], float(meta["threshold"]),
                       float(meta["final_threshold"]))
        except KeyError as exc:
            raise ResourceError(f"{path}: face detector lacks {exc}") from None

    # ---------------------------------------------------------------- use
    def align(self, image: np.ndarray, start: Placement) -> tuple[Placement, float]:
        """Correct a rough placement; returns (placement, verifier score)."""
        p = start
        for R, n in zip(self.regressors, STAGE_ITERATIONS):
            for _ in range(n):
                p = _apply(p, _regressor_features(crop(image, p, REGRESSOR_SHAPE)) @ R)
                if not (0.1 < p.scale / start.scale < 10.0):
                    return p, -np.inf
        return p, self.score(image, p)

    def score(self, image: np.ndarray, placement: Placement) -> float:
        """Verifier score of the crop under ``placement`` (above ``threshold``: a face)."""
        return float(_features(crop(image, placement, VERIFIER_SHAPE)) @ self.verifier)


@functools.cache
def default_detector() -> FaceDetector:
    """The detector shipped with the application (trained on all 38 Yale B subjects), read once."""
    from ..files.resources import resource_path

    return FaceDetector.load(resource_path("detector.npz"))
