"""The canonical face frame and the degradation operator (equation 4 of the paper).

Every face lives in one aligned frame of 48 x 40 pixels (rows x columns), the
frame of the cropped Extended Yale B images after the crop of ``docs/PROTOCOL.md``
(columns 4-163 of the 192 x 168 image, area-resized by 4). Its eye centres are
measured once by ``scripts/derive_face_model.py`` and recorded in the face
model resource (:attr:`slrfr_gui.faces.facemodel.FaceModel.eye_centres`).
"""

from __future__ import annotations

import functools

import re

import cv2
import numpy as np

#: Rows x columns of the canonical high-resolution (HR) face frame.
FRAME_SHAPE: tuple[int, int] = (48, 40)

#: Smallest probe size accepted, rows x columns.
MIN_RESOLUTION: tuple[int, int] = (5, 4)

_RESOLUTION_RE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")


def parse_resolution(text: str) -> tuple[int, int]:
    """Parse ``"7x6"`` (rows x columns) into ``(7, 6)``.

    Raises
    ------
    ValueError
        The text is not ``ROWSxCOLUMNS`` or lies outside 5x4 .. 48x40.
    """
    match = _RESOLUTION_RE.match(str(text))
    if not match:
        raise ValueError(f"resolution {text!r} is not of the form ROWSxCOLUMNS, e.g. 7x6")
    return check_resolution((int(match.group(1)), int(match.group(2))))


def check_resolution(resolution) -> tuple[int, int]:
    """Validate a probe resolution ``(rows, columns)`` and return it as ints.

    Raises
    ------
    ValueError
        Not two integers, or outside the range 5x4 .. 48x40.
    """
    try:
        rows, cols = (int(v) for v in resolution)
    except (TypeError, ValueError):
        raise ValueError(f"resolution must be (rows, columns), got {resolution!r}") from None
    if not (MIN_RESOLUTION[0] <= rows <= FRAME_SHAPE[0] and MIN_RESOLUTION[1] <= cols <= FRAME_SHAPE[1]):
        raise ValueError(
            f"resolution {rows}x{cols} is outside {MIN_RESOLUTION[0]}x{MIN_RESOLUTION[1]}"
            f" .. {FRAME_SHAPE[0]}x{FRAME_SHAPE[1]} (rows x columns)"
        )
    return rows, cols


def format_resolution(resolution) -> str:
    """``(7, 6)`` -> ``"7x6"``."""
    return f"{int(resolution[0])}x{int(resolution[1])}"


def yale_crop(image: np.ndarray) -> np.ndarray:
    """Bring a cropped Extended Yale B image (192 x 168) into the 48 x 40 frame.

    Keeps columns 4-163 (192 x 160) and area-resizes by 4 (``docs/PROTOCOL.md``).

    Parameters
    ----------
    image : ndarray of shape (192, 168)
        Grey levels in [0, 1].

    Returns
    -------
    ndarray of shape (48, 40), float64
    """
    image = np.asarray(image, dtype=np.float64)
    if image.shape != (192, 168):
        raise ValueError(f"a cropped Yale B image is 192x168, got {image.shape[0]}x{image.shape[1]}")
    return cv2.resize(image[:, 4:164], (FRAME_SHAPE[1], FRAME_SHAPE[0]), interpolation=cv2.INTER_AREA)


def to_frame(image: np.ndarray) -> np.ndarray:
    """Resize a face already cropped to the canonical frame to 48 x 40.

    Area interpolation when shrinking, bicubic when enlarging.

    Parameters
    ----------
    image : ndarray of shape (rows, columns)
        Grey levels in [0, 1].

    Returns
    -------
    ndarray of shape (48, 40), float64
    """
    image = np.asarray(image, dtype=np.float64)
    if image.shape == FRAME_SHAPE:
        return image.copy()
    shrinking = image.shape[0] >= FRAME_SHAPE[0] and image.shape[1] >= FRAME_SHAPE[1]
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    out = cv2.resize(image, (FRAME_SHAPE[1], FRAME_SHAPE[0]), interpolation=interp)
    return np.clip(out, 0.0, 1.0)


def degrade(images: np.ndarray, resolution) -> np.ndarray:
    """Blur and down-sample faces to the probe resolution: X = B H X~ (equation 4).

    The operator of ``docs/PROTOCOL.md``: a Gaussian blur with standard deviation
    0.5 x the scale factor along each axis (sigma_rows = 0.5 * R / r,
    sigma_cols = 0.5 * C / c pixels for an R x C input), then area resizing to
    r x c. It is linear, so it may be applied to images, eigenfaces or means
    alike. An input already of size r x c is returned unchanged; an input
    smaller than r x c along some axis is enlarged bicubically.

    Parameters
    ----------
    images : ndarray of shape (rows, columns) or (n, rows, columns)
        Grey levels (any real values; the operator is linear).
    resolution : (int, int)
        Probe size, rows x columns.

    Returns
    -------
    ndarray of shape (r, c) or (n, r, c), float64
    """
    r, c = int(resolution[0]), int(resolution[1])
    arr = np.asarray(images, dtype=np.float64)
    single = arr.ndim == 2
    if single:
        arr = arr[None]
    if arr.ndim != 3:
        raise ValueError(f"images must have shape (rows, columns) or (n, rows, columns), got {arr.shape}")
    n, rows, cols = arr.shape
    out = np.empty((n, r, c), dtype=np.float64)
    if (rows, cols) == (r, c):
        out[:] = arr
    elif rows >= r and cols >= c:
        if n < 8:
            for i in range(n):
                out[i] = _blur_and_area_resize(arr[i], (r, c))
        else:  # the operator is separable: out = L_rows @ image @ L_cols^T, two matrix products for all
            left, right = _degrade_factors((rows, cols), (r, c))
            half = (arr.reshape(n * rows, cols) @ right.T).reshape(n, rows, c)
            np.matmul(left, half, out=out)
    else:
        for i in range(n):
            out[i] = cv2.resize(arr[i], (c, r), interpolation=cv2.INTER_CUBIC)
    return out[0] if single else out


def _blur_and_area_resize(image: np.ndarray, resolution) -> np.ndarray:
    """:func:`degrade` of one image, by OpenCV (Gaussian blur, then area resizing)."""
    r, c = resolution
    rows, cols = image.shape
    blurred = cv2.GaussianBlur(image, (0, 0), sigmaX=0.5 * cols / c, sigmaY=0.5 * rows / r)
    return cv2.resize(blurred, (c, r), interpolation=cv2.INTER_AREA)


@functools.lru_cache(maxsize=64)
def _degrade_factors(shape, resolution) -> tuple[np.ndarray, np.ndarray]:
    """The separable factors of :func:`degrade` from ``shape`` to ``resolution``: (r x rows,
    c x cols) matrices with degrade(X) = L_rows X L_cols^T, read off by degrading impulses
    that are constant along the other axis (both steps keep constants)."""
    rows, cols = shape
    left = np.stack([_blur_and_area_resize(np.repeat(np.eye(rows)[:, j:j + 1], cols, axis=1), resolution)[:, 0]
                     for j in range(rows)], axis=1)
    right = np.stack([_blur_and_area_resize(np.repeat(np.eye(cols)[j:j + 1], rows, axis=0), resolution)[0]
                      for j in range(cols)], axis=1)
    return left, right


def probe_problem(image: np.ndarray) -> str | None:
    """Why a probe image cannot be identified, or None when it can.

    A probe must be at least 5 x 4 pixels, hold finite values and not be blank
    (constant): such images carry no face to name, and ranking persons for them
    would only look like an answer.
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        return f"not a grey image (shape {image.shape})"
    if image.shape[0] < MIN_RESOLUTION[0] or image.shape[1] < MIN_RESOLUTION[1]:
        return (f"too small to hold a face ({image.shape[0]}x{image.shape[1]} pixels; at least "
                f"{MIN_RESOLUTION[0]}x{MIN_RESOLUTION[1]})")
    if not np.all(np.isfinite(image)):
        return "holds values that are not numbers"
    if float(image.max() - image.min()) < 1.0 / 255.0:
        return "blank (every pixel has the same grey level)"
    return None


def prepare_probe(image: np.ndarray, resolution) -> np.ndarray:
    """Bring a probe, taken to be a face cropped to the canonical frame, to ``resolution``.

    A probe larger than the 48 x 40 frame is first area-reduced to it (as
    gallery images are); then, as for the gallery, the degradation operator
    (:func:`degrade`: blur sigma = 0.5 x the scale factor, then area
    down-sampling) brings it to r x c. A probe of exactly r x c is used as it
    is; a smaller one is enlarged bicubically
    (:func:`~slrfr_gui.method.params.upsampling_warning` says so in words).

    Parameters
    ----------
    image : ndarray of shape (rows, columns)
        Grey levels in [0, 1].
    resolution : (int, int)

    Returns
    -------
    ndarray of shape (r, c), float64
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"a probe image must be 2-D grey levels, got shape {image.shape}")
    if image.shape[0] > FRAME_SHAPE[0] and image.shape[1] > FRAME_SHAPE[1]:
        image = to_frame(image)
    return degrade(image, resolution)
