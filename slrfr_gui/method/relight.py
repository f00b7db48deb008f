"""Relighting a single face image (section 3.1 of the paper).

Lambertian model I(p) = rho(p) * max(n(p)^T s, 0). With the mean surface
normals n-bar of a :class:`~slrfr_gui.faces.facemodel.FaceModel`:

1. :func:`estimate_light` fits the light vector s of the image;
2. :func:`estimate_albedo` recovers rho with the local linear MMSE filter of
   Biswas, Aggarwal and Chellappa (TPAMI 2009);
3. :func:`relight` renders rho * S_k under the nine "points of light" of Lee,
   Ho and Kriegman (TPAMI 2005), S_k being the face model's mean shading image
   for light k (learned from the training subjects, so it holds the mean
   face's cast shadows and ambient light; see ``FaceModel.shading_for``), or
   the Lambertian max(n-bar^T s_k, 0) where no learned shading is near.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..faces.facemodel import SATURATION_LEVEL, SHADOW_LEVEL, FaceModel
from ..faces.frame import FRAME_SHAPE

def light_vector(azimuth, elevation) -> np.ndarray:
    """Unit light vector of a light at ``azimuth`` and ``elevation``, as Extended Yale B names its flashes.

    s = (-sin A cos E, sin E, cos A cos E) in (image-right, image-up,
    toward-camera) coordinates; A > 0 lights the left half of the image.

    Parameters
    ----------
    azimuth, elevation : float or ndarray
        Degrees.

    Returns
    -------
    ndarray of shape (..., 3), float64
    """
    a = np.radians(np.asarray(azimuth, dtype=np.float64))
    e = np.radians(np.asarray(elevation, dtype=np.float64))
    return np.stack([-np.sin(a) * np.cos(e), np.sin(e), np.cos(a) * np.cos(e)], axis=-1)


#: The nine points of light of Lee, Ho and Kriegman (TPAMI 2005), as (angle from
#: the camera axis, azimuth about it) in degrees.
POINTS_OF_LIGHT_DEG = np.array(
    [(0, 0), (68, -90), (74, 108), (80, 52), (85, -42), (85, -137), (85, 146), (85, -4), (51, 67)],
    dtype=np.float64,
)


def points_of_light() -> np.ndarray:
    """Unit vectors of the nine points of light, shape (9, 3), (sin a cos b, sin a sin b, cos a)."""
    a = np.radians(POINTS_OF_LIGHT_DEG[:, 0])
    b = np.radians(POINTS_OF_LIGHT_DEG[:, 1])
    return np.stack([np.sin(a) * np.cos(b), np.sin(a) * np.sin(b), np.cos(a)], axis=1)


#: Pixels where n-bar^T s is below this fraction of |s| hold no albedo information.
MIN_SHADING = 0.1
#: Side of the square window of the local statistics, pixels at 48 x 40.
WINDOW = 5


def _stack(images, name: str) -> tuple[np.ndarray, bool]:
    """(n, 48, 40) float64 from one image or a stack; whether a single image was given."""
    arr = np.asarray(images, dtype=np.float64)
    single = arr.ndim == 2
    arr = arr[None] if single else arr
    if arr.ndim != 3 or arr.shape[1:] != FRAME_SHAPE:
        raise ValueError(f"{name} must have shape (48, 40) or (n, 48, 40) (the canonical frame), got {arr.shape}")
    return arr, single


def estimate_light(image: np.ndarray, model: FaceModel, n_refine: int = 2) -> np.ndarray:
    """Least-squares light vector of a face image: I ~ N-bar s.

    Uses the face pixels of ``model`` that are neither in shadow nor saturated
    (assumes roughly constant albedo), then refits after dropping the pixels
    the fit puts in attached shadow (N-bar s <= 0). Every image of a stack is
    fitted on its own, with the stack's arithmetic batched.

    Parameters
    ----------
    image : ndarray of shape (48, 40) or (n, 48, 40)
        Grey levels in [0, 1], in the canonical frame.
    model : FaceModel

    Returns
    -------
    ndarray of shape (3,) or (n, 3), float64
        Light vector (direction times strength, the strength absorbing the mean
        albedo), in (image-right, image-up, toward-camera) coordinates.
    """
    images, single = _stack(image, "image")
    normals = model.normals.reshape(-1, 3)
    values = images.reshape(len(images), -1)
    mask = model.face_mask.ravel()
    use = mask & (values > SHADOW_LEVEL) & (values < SATURATION_LEVEL)
    dark = use.sum(axis=1) < 10  # a nearly black image: any direction; take the camera axis
    use[dark] = mask
    s = _least_squares_light(normals, values, use)
    active = np.ones(len(images), dtype=bool)
    for _ in range(n_refine):
        keep = use & (s @ normals.T > 0)
        active &= keep.sum(axis=1) >= 10
        if not active.any():
            break
        s[active] = _least_squares_light(normals, values[active], keep[active])
    bad = ~np.all(np.isfinite(s), axis=1) | (np.linalg.norm(s, axis=1) < 1e-9)
    if bad.any():
        s[bad] = 0.0
        s[bad, 2] = np.maximum(values[bad].mean(axis=1), 1e-6)
    return s[0] if single else s


def _least_squares_light(normals: np.ndarray, values: np.ndarray, use: np.ndarray) -> np.ndarray:
    """argmin_s sum over ``use`` of (n_p^T s - I_p)^2 for each row of ``values`` (n, P), by the
    3 x 3 normal equations (lstsq where they are singular). Returns (n, 3)."""
    weights = use.astype(np.float64)
    gram = np.stack([(weights * normals[:, j]) @ normals for j in range(3)], axis=1)  # (n, 3, 3)
    rhs = (weights * values) @ normals
    out = np.empty((len(values), 3))
    good = np.linalg.cond(gram) < 1e10
    if good.any():
        out[good] = np.linalg.solve(gram[good], rhs[good][:, :, None])[:, :, 0]
    for i in np.flatnonzero(~good):
        out[i] = np.linalg.lstsq(normals[use[i]], values[i, use[i]], rcond=None)[0]
    return out


#: Images per call of OpenCV's box filter (it takes up to 512 channels, but is fastest at about 16).
_CHANNELS = 16


def _box_sums(stack: np.ndarray, size: int) -> np.ndarray:
    """Sum over a size x size window (border reflected) of each image of a (n, rows, columns) stack."""
    out = np.empty_like(stack)
    for lo in range(0, len(stack), _CHANNELS):
        part = np.ascontiguousarray(stack[lo:lo + _CHANNELS].transpose(1, 2, 0))
        summed = cv2.boxFilter(part, -1, (size, size), normalize=False, borderType=cv2.BORDER_REFLECT)
        out[lo:lo + _CHANNELS] = summed.reshape(part.shape).transpose(2, 0, 1)
    return out


def _box_mean(values: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Weighted local sums over a size x size window (normalised convolution): (numerator, weight)."""
    return _box_sums(values * weights, size), _box_sums(weights, size)


def estimate_albedo(image: np.ndarray, light: np.ndarray, model: FaceModel,
                    noise_std: float = 0.01, window: int = WINDOW) -> np.ndarray:
    """Albedo by the local linear MMSE estimator (Biswas, Aggarwal, Chellappa 2009).

    The naive albedo rho0 = I / (n-bar^T s) equals rho * (1 + e), with
    e = (n - n-bar)^T s / (n-bar^T s): the error of the mean normals, which the
    model's per-pixel normal covariance Sigma gives, var(e) = s^T Sigma s /
    (n-bar^T s)^2. With w = rho * e (sigma_w^2 = mu^2 var(e) + sensor noise),
    the estimate is

        rho-hat = mu + alpha * (rho0 - mu),
        alpha = sigma_rho^2 / (sigma_rho^2 + sigma_w^2),
        sigma_rho^2 = max(sigma^2 - sigma_w^2, 0),

    where mu and sigma^2 are the local mean and variance of rho0 over a
    ``window`` x ``window`` neighbourhood of reliable pixels. Where
    n-bar^T s < 0.1 |s| (attached shadow or grazing light) or the pixel is in
    shadow or saturated, alpha = 0 and the local mean is used, filled in from
    ever larger neighbourhoods where the window holds no reliable pixel.

    Parameters
    ----------
    image : ndarray of shape (48, 40) or (n, 48, 40)
        Grey levels in [0, 1], in the canonical frame.
    light : ndarray of shape (3,) or (n, 3)
        From :func:`estimate_light`, one per image.
    model : FaceModel
    noise_std : float
        Sensor noise, grey levels.
    window : int
        Window side in pixels (3 to 5 at 48 x 40).

    Returns
    -------
    ndarray of shape (48, 40) or (n, 48, 40), float64
        Albedo, in the grey-level units of ``image`` divided by |s|... i.e. such
        that ``albedo * (n-bar^T s)`` reproduces the image where it is lit.
    """
    images, single = _stack(image, "image")
    light = np.asarray(light, dtype=np.float64).reshape(-1, 3)
    if len(light) != len(images):
        raise ValueError(f"one light per image: {len(images)} images, light of shape {light.shape}")
    strength = np.linalg.norm(light, axis=1)[:, None, None]
    shading = np.einsum("hwa,na->nhw", model.normals, light)
    reliable = (shading > MIN_SHADING * strength) & (images > SHADOW_LEVEL) & (images < SATURATION_LEVEL)
    rho0 = np.where(reliable, images / np.where(reliable, shading, 1.0), 0.0)
    w = reliable.astype(np.float64)

    num, den = _box_mean(rho0, w, window)
    num2, _ = _box_mean(rho0**2, w, window)
    has = den > 0.5
    mu = np.where(has, num / np.maximum(den, 1e-12), 0.0)
    var = np.where(has, num2 / np.maximum(den, 1e-12) - mu**2, 0.0)
    var = np.maximum(var, 0.0)

    # Variance of the relative error e from the spread of the normals.
    spread = np.einsum("na,hwab,nb->nhw", light, model.normal_cov, light)
    safe_shading = np.maximum(shading, MIN_SHADING * strength)
    var_e = spread / safe_shading**2
    var_w = mu**2 * var_e + (noise_std / safe_shading) ** 2
    var_rho = np.maximum(var - var_w, 0.0)
    alpha = np.where(reliable, var_rho / np.maximum(var_rho + var_w, 1e-12), 0.0)
    albedo = mu + alpha * (rho0 - mu)

    # Fill pixels whose window held no reliable pixel from wider neighbourhoods.
    missing = ~has
    size = window
    known = (~missing).astype(np.float64)
    while missing.any() and size < 4 * max(FRAME_SHAPE):
        size = 2 * size + 1
        rows = np.flatnonzero(missing.any(axis=(1, 2)))
        n2, d2 = _box_mean(albedo[rows], known[rows], size)
        fill = missing[rows] & (d2 > 0.5)
        part = albedo[rows]
        part[fill] = n2[fill] / d2[fill]
        albedo[rows] = part
        missing[rows] &= ~fill
    for i in np.flatnonzero(missing.any(axis=(1, 2))):
        albedo[i][missing[i]] = albedo[i][~missing[i]].mean() if (~missing[i]).any() else 0.0
    albedo = np.maximum(albedo, 0.0)
    return albedo[0] if single else albedo


def render(albedo: np.ndarray, normals: np.ndarray, lights: np.ndarray) -> np.ndarray:
    """Lambertian images rho * max(n^T s_k, 0) for each light s_k.

    Parameters
    ----------
    albedo : ndarray of shape (rows, columns)
    normals : ndarray of shape (rows, columns, 3)
    lights : ndarray of shape (k, 3)

    Returns
    -------
    ndarray of shape (k, rows, columns), float64
    """
    shading = np.einsum("hwa,ka->khw", normals, np.asarray(lights, dtype=np.float64))
    return albedo[None] * np.maximum(shading, 0.0)


@dataclass
class Relighting:
    """The result of relighting one face image.

    Attributes
    ----------
    image : ndarray of shape (48, 40)
        The input, grey levels in [0, 1].
    light : ndarray of shape (3,)
        Estimated light vector of the input.
    albedo : ndarray of shape (48, 40)
        LMMSE albedo estimate.
    relit : ndarray of shape (9, 48, 40)
        The face under the nine points of light, scaled to the input's light
        strength |s| so that grey levels are comparable with the input.
    lights : ndarray of shape (9, 3)
        The unit light vectors used.
    """

    image: np.ndarray
    light: np.ndarray
    albedo: np.ndarray
    relit: np.ndarray
    lights: np.ndarray


def relight(image: np.ndarray, model: FaceModel, lights: np.ndarray | None = None,
            learned_shading: bool = True) -> Relighting:
    """Relight a face in the canonical frame under new lights (section 3.1).

    Parameters
    ----------
    image : ndarray of shape (48, 40)
        Grey levels in [0, 1].
    model : FaceModel
        Supplies the mean surface normals and their spread.
    lights : ndarray of shape (k, 3), optional
        Unit light vectors; the nine points of light by default.
    learned_shading : bool
        Render with the model's mean shading images (cast shadows included)
        where available; False gives the plain Lambertian rendering.

    Returns
    -------
    Relighting

    Raises
    ------
    ValueError
        ``image`` is not 48 x 40 or holds non-finite values.
    """
    image = np.asarray(image, dtype=np.float64)
    if image.shape != FRAME_SHAPE:
        raise ValueError(f"image must be 48x40 (the canonical frame), got {image.shape}")
    lights = points_of_light() if lights is None else np.asarray(lights, dtype=np.float64)
    s, albedo, relit = relight_batch(image[None], model, lights, learned_shading)
    return Relighting(image=image, light=s[0], albedo=albedo[0], relit=relit[0], lights=lights)


def relight_batch(images: np.ndarray, model: FaceModel, lights: np.ndarray | None = None,
                  learned_shading: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`relight` for a stack of faces at once (each relit on its own; the arithmetic of
    the stack is batched, which is what lets a large gallery use every core).

    Parameters
    ----------
    images : ndarray of shape (n, 48, 40)
        Grey levels in [0, 1].
    model, lights, learned_shading
        As for :func:`relight`.

    Returns
    -------
    light : ndarray of shape (n, 3)
    albedo : ndarray of shape (n, 48, 40)
    relit : ndarray of shape (n, k, 48, 40), float64

    Raises
    ------
    ValueError
        ``images`` is not a stack of 48 x 40 images, or holds non-finite values.
    """
    images, _ = _stack(images, "images")
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"images must have shape (n, 48, 40) with n >= 1, got {images.shape}")
    if not np.all(np.isfinite(images)):
        raise ValueError("image holds NaN or infinite values")
    lights = points_of_light() if lights is None else np.asarray(lights, dtype=np.float64)
    s = estimate_light(images, model)
    albedo = estimate_albedo(images, s, model)
    shading = model.shading_for(lights) if learned_shading else np.maximum(
        np.einsum("hwa,ka->khw", model.normals, lights), 0.0)
    relit = np.multiply(albedo[:, None], shading[None])
    relit *= np.linalg.norm(s, axis=1)[:, None, None, None]
    return s, albedo, relit
