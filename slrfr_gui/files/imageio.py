"""Decode image files to grey-level arrays with Pillow.

OpenCV's ``imread`` cannot read GIF, ignores EXIF orientation when asked for
16-bit data and fails on non-ASCII paths on Windows, so every file is decoded
by Pillow and only then handed to NumPy/OpenCV.
"""

from __future__ import annotations

import errno
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ImageReadError

#: File endings tried when a gallery folder is scanned. Files with other endings
#: are still tried (Pillow recognises formats by content); these are only the
#: ones that are never reported as "not an image" when they fail.
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".pgm", ".ppm", ".pbm", ".pnm",
     ".gif", ".webp"}
)

# Decompression-bomb guard: a photo holding a face is never this large.
Image.MAX_IMAGE_PIXELS = 100_000_000


def to_grey(image: Image.Image) -> np.ndarray:
    """Convert a decoded Pillow image to grey levels in [0, 1].

    Parameters
    ----------
    image : PIL.Image.Image
        Any mode: 1, L, P, RGB, RGBA, CMYK, LA, I;16, I, F.

    Returns
    -------
    ndarray of shape (rows, columns), float64
        Grey level in [0, 1]. Colour is reduced with the ITU-R 601-2 luma weights
        (Pillow's ``convert("L")``); 16-bit images keep their full precision. A
        16-bit image whose values all fit in 12 bits (0-4095: a 12-bit camera or
        scanner stored in a 16-bit PNG or TIFF) is scaled by 4095, not 65535, which
        read it 16 times too dark.
    """
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(image, dtype=np.float64)
        return np.clip(arr / _full_scale(arr.max(initial=0), eight_bit=mode == "I"), 0.0, 1.0)
    if mode == "F":
        arr = np.asarray(image, dtype=np.float64)
        top = arr.max(initial=0)
        return np.clip(arr / top if top > 1 else arr, 0.0, 1.0)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        # Composite on white so that transparent areas do not turn black.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return np.asarray(image.convert("L"), dtype=np.float64) / 255.0


def _reduce_if_huge(image: Image.Image) -> None:
    """A JPEG over ``Image.MAX_IMAGE_PIXELS`` (a 108-megapixel phone photo) is decoded at 1/2, 1/4 or
    1/8 size by the JPEG decoder itself (Pillow's ``draft``); any other image that large is refused.

    Raises
    ------
    PIL.Image.DecompressionBombError
        Too large and not a JPEG.
    """
    width, height = image.size
    if width * height <= Image.MAX_IMAGE_PIXELS:
        return
    if image.format == "JPEG":
        for factor in (2, 4, 8):
            if (width // factor) * (height // factor) <= Image.MAX_IMAGE_PIXELS:
                image.draft(image.mode if image.mode in ("L", "RGB") else "RGB", (width // factor, height // factor))
                if image.size[0] * image.size[1] <= Image.MAX_IMAGE_PIXELS:
                    return
    raise Image.DecompressionBombError(f"{width * height} pixels")


def _full_scale(peak: float, eight_bit: bool) -> float:
    """The white level of integer grey levels whose largest value is ``peak``: 255 for 8-bit data in a
    32-bit image, 4095 for values that fit in 12 bits (and need more than 8), else 65535."""
    if eight_bit and peak <= 255:
        return 255.0
    if 255 < peak <= 4095:
        return 4095.0
    return 65535.0


def read_grey(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as grey levels in [0, 1].

    EXIF orientation is applied; for animated files (GIF, WebP) the first frame
    is used. The format is recognised from the file's content, not its name.

    Parameters
    ----------
    path : str or path-like
        The image file.

    Returns
    -------
    ndarray of shape (rows, columns), float64
        Grey level in [0, 1].

    Raises
    ------
    ImageReadError
        The file is missing, empty, not an image, truncated or corrupt. The
        message names the file and the reason.
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            # Pillow warns about damaged metadata (corrupt EXIF, ...) it then ignores: a folder of such files
            # must not flood the output, and the pixels are what matters. A decompression bomb is an error.
            warnings.simplefilter("ignore")
            if path.is_file() and path.stat().st_size == 0:
                raise ImageReadError(f"{path}: empty file (0 bytes)")
            image = Image.open(path)
            with image:
                image.seek(0)
                _reduce_if_huge(image)
                image.load()
                image = ImageOps.exif_transpose(image)
                grey = to_grey(image)
    except ImageReadError:
        raise
    except FileNotFoundError:
        raise ImageReadError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImageReadError(f"{path}: is a folder, not an image file") from None
    except PermissionError:
        raise ImageReadError(f"{path}: permission denied") from None
    except UnidentifiedImageError:
        raise ImageReadError(f"{path}: not an image file Pillow can read") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageReadError(f"{path}: image is too large to be a face image (over "
                             f"{Image.MAX_IMAGE_PIXELS // 1_000_000} million pixels; JPEGs up to "
                             f"{2 * Image.MAX_IMAGE_PIXELS // 1_000_000} million are read reduced)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ImageReadError(f"{path}: a symbolic link loop; remove the link") from None
        if exc.errno is not None:
            raise ImageReadError(f"{path}: cannot read ({exc.strerror or exc})") from None
        raise ImageReadError(f"{path}: damaged or truncated image ({exc})") from None
    except (ValueError, SyntaxError, EOFError) as exc:
        raise ImageReadError(f"{path}: damaged or truncated image ({exc})") from None
    if grey.ndim != 2 or grey.size == 0:
        raise ImageReadError(f"{path}: image has no pixels")
    if not np.all(np.isfinite(grey)):
        raise ImageReadError(f"{path}: image holds values that are not numbers")
    return grey


def write_grey(path: str | os.PathLike, image: np.ndarray) -> None:
    """Write grey levels in [0, 1] as an 8-bit image (format from the file ending).

    Parameters
    ----------
    path : str or path-like
        Output file, e.g. ``albedo.png``.
    image : ndarray of shape (rows, columns)
        Grey levels; values outside [0, 1] are clipped.
    """
    arr = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)
    Image.fromarray(np.round(arr * 255.0).astype(np.uint8)).save(path)
