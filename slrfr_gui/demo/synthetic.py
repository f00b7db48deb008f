"""Fictional faces from the face model: no photograph of a real person involved.

A person is an albedo map drawn from the model's albedo PCA (mean plus
Gaussian coefficients along each principal axis, scaled by its standard
deviation), rendered with the mean surface normals under any light with the
Lambertian model plus a little ambient light. Used by the tests, the
screenshots and (later) the demo.
"""

from __future__ import annotations

import numpy as np

from ..faces.facemodel import FaceModel, default_face_model
from ..faces.frame import FRAME_SHAPE
from ..method.relight import render


def sample_albedos(n: int, model: FaceModel | None = None, seed=None, spread: float = 1.0) -> np.ndarray:
    """Draw ``n`` fictional albedo maps.

    Parameters
    ----------
    n : int
    model : FaceModel, optional
        The shipped model by default.
    seed : int or Generator, optional
    spread : float
        Multiplies the standard deviations (1 = as varied as the training subjects).

    Returns
    -------
    ndarray of shape (n, 48, 40), float64, values in [0.02, 1.5]
    """
    model = model or default_face_model()
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, len(model.albedo_std))) * model.albedo_std * spread
    maps = model.albedo_mean + z @ model.albedo_components
    return np.clip(maps, 0.02, 1.5).reshape(n, *FRAME_SHAPE)


def render_faces(albedos: np.ndarray, lights: np.ndarray, model: FaceModel | None = None,
                 ambient: float = 0.03) -> np.ndarray:
    """Render albedo maps under lights with the mean normals.

    Parameters
    ----------
    albedos : ndarray of shape (n, 48, 40)
    lights : ndarray of shape (k, 3)
        Light vectors (direction times strength), (image-right, image-up, toward-camera).
    ambient : float
        Uniform ambient light added to the shading.

    Returns
    -------
    ndarray of shape (n, k, 48, 40), grey levels clipped to [0, 1]
    """
    model = model or default_face_model()
    lights = np.atleast_2d(np.asarray(lights, dtype=np.float64))
    out = np.stack([render(a, model.normals, lights) + ambient * a[None] for a in np.asarray(albedos)])
    return np.clip(out, 0.0, 1.0)


def pasted_frame(face: np.ndarray, width: int, rng, frame_shape=(480, 640), noise: float = 0.15,
                 crop_columns=(4, 164)):
    """Paste a cropped Yale B image (192 x 168) at a random place of a noisy frame.

    A hard case for a face detector: the crop has no hair or ears.

    Parameters
    ----------
    face : ndarray of shape (192, 168)
        Grey levels in [0, 1].
    width : int
        Width of the pasted image in the frame, pixels.
    rng : numpy Generator
    frame_shape : (int, int)
    noise : float
        Standard deviation of the Gaussian noise around mid-grey.
    crop_columns : (int, int)
        The columns of ``face`` that form the canonical frame (``docs/PROTOCOL.md``).

    Returns
    -------
    frame : ndarray of shape frame_shape, float32
    placement : Placement
        Where the canonical frame lies in ``frame`` (the ground truth).
    """
    import cv2

    from ..faces.align import Placement
    from ..faces.frame import FRAME_SHAPE

    rows, cols = face.shape
    height = int(round(width * rows / cols))
    small = cv2.resize(np.asarray(face, dtype=np.float32), (width, height), interpolation=cv2.INTER_AREA)
    frame = np.clip(0.5 + noise * rng.standard_normal(frame_shape), 0, 1).astype(np.float32)
    x = int(rng.integers(0, frame_shape[1] - width))
    y = int(rng.integers(0, frame_shape[0] - height))
    frame[y:y + height, x:x + width] = small
    sx, sy = width / cols, height / rows
    c0, c1 = crop_columns
    # Frame pixel (u, v) is crop pixel centre (c0 + k (u + 0.5) - 0.5, k (v + 0.5) - 0.5), k = rows / 48.
    k = rows / FRAME_SHAPE[0]
    u0, v0 = (FRAME_SHAPE[1] - 1) / 2, (FRAME_SHAPE[0] - 1) / 2
    cx = x + (c0 + k * (u0 + 0.5) - 0.5 + 0.5) * sx - 0.5
    cy = y + (k * (v0 + 0.5) - 0.5 + 0.5) * sy - 0.5
    return frame, Placement(cx, cy, k * sx)
