"""Fictional faces from the face model: no photograph of a real person involved.

A person is an albedo map drawn from the model's albedo PCA (mean plus
Gaussian coefficients along each principal axis, scaled by its standard
deviation), rendered with the mean surface normals under any light with the
Lambertian model plus a little ambient light. Used by the tests, the
screenshots and (later) the demo.
"""

from __future__ import annotations

import numpy as np

from .facemodel import FaceModel, default_face_model
from .frame import FRAME_SHAPE
from .relight import render


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
