"""The Extended Yale Face Database B (cropped): file names, lights and subsets.

Georghiades, Belhumeur, Kriegman, IEEE TPAMI 23(6), 2001; Lee, Ho, Kriegman,
IEEE TPAMI 27(5), 2005. File names ``yaleBxx_P00A{+|-}aaaE{+|-}ee.pgm`` give the
flash's azimuth A and elevation E in degrees.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataSetError, ImageReadError
from ..faces.frame import yale_crop
from ..files.imageio import read_grey
from ..method.relight import light_vector  # the light of an image name; the tests and scripts take it from here

_NAME_RE = re.compile(r"^yaleB(\d{2,3})_P00A([+-]\d{3})E([+-]\d{2})\.(?:pgm|png|tiff?|bmp|jpe?g)$")
#: The cropped images' size, rows x columns; other sizes are resized to it first (another face set in this layout).
CROPPED_SHAPE = (192, 168)

#: Upper bounds of the lighting subsets S1..S4 on theta (degrees); S5 is above.
SUBSET_BOUNDS = (12.0, 25.5, 52.0, 77.5)
SUBSET_NAMES = ("S1", "S2", "S3", "S4", "S5")


def parse_name(name: str):
    """``"yaleB01_P00A-005E+10.pgm"`` -> ``(1, -5, 10)``, or None if not a protocol image.

    Also accepts three-digit subject numbers and ``.png``, ``.tif``, ``.tiff``,
    ``.bmp``, ``.jpg`` and ``.jpeg`` files, so another face set can be laid out
    the same way.
    """
    match = _NAME_RE.match(name)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def light_angle(azimuth, elevation) -> np.ndarray:
    """theta = arccos(cos A cos E), the angle between flash and camera axis, in degrees."""
    a = np.radians(np.asarray(azimuth, dtype=np.float64))
    e = np.radians(np.asarray(elevation, dtype=np.float64))
    return np.degrees(np.arccos(np.clip(np.cos(a) * np.cos(e), -1.0, 1.0)))


def subset_index(azimuth, elevation) -> np.ndarray:
    """Lighting subset 0..4 (S1..S5) of ``docs/PROTOCOL.md`` for each light."""
    theta = light_angle(azimuth, elevation)
    return np.searchsorted(np.asarray(SUBSET_BOUNDS), theta, side="left")


@dataclass
class YaleB:
    """All usable images of a cropped Extended Yale B folder, in the 48 x 40 frame.

    Attributes
    ----------
    images : ndarray of shape (n, 48, 40), float64
        Grey levels in [0, 1].
    subjects : ndarray of shape (n,), int
        Subject number (1..39, no 14).
    azimuth, elevation : ndarray of shape (n,), int
        Flash direction in degrees.
    paths : list of Path
    skipped : list of (Path, str)
        Files in the subject folders that are not protocol images, with the reason.
    resized : int
        How many images were not 192 x 168 and were resized to it before the crop.
    """

    images: np.ndarray
    subjects: np.ndarray
    azimuth: np.ndarray
    elevation: np.ndarray
    paths: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    resized: int = 0

    @property
    def lights(self) -> np.ndarray:
        """Unit light vectors, shape (n, 3)."""
        return light_vector(self.azimuth, self.elevation)

    @property
    def subsets(self) -> np.ndarray:
        """Lighting subset 0..4 (S1..S5), shape (n,)."""
        return subset_index(self.azimuth, self.elevation)

    def select(self, mask) -> "YaleB":
        """The images where ``mask`` (bool array of shape (n,)) is True."""
        mask = np.asarray(mask, dtype=bool)
        return YaleB(
            self.images[mask], self.subjects[mask], self.azimuth[mask], self.elevation[mask],
            [p for p, m in zip(self.paths, mask) if m], list(self.skipped), self.resized,
        )


def _protocol_entries(root: Path, wanted) -> tuple[list, list]:
    """(path, parsed name) of every protocol image under ``root`` (of subjects ``wanted``), and the others."""
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "no such folder"
        raise DataSetError(f"{root}: {what}; give the CroppedYale folder of the Extended Yale B data set")
    entries, skipped = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            parsed = parse_name(path.name)
            if parsed is None:
                skipped.append((path, "not a protocol image name"))
                continue
            if wanted is not None and parsed[0] not in wanted:
                continue
            entries.append((path, parsed))
    if not entries:
        loose = any(parse_name(p.name) for p in root.iterdir() if p.is_file())
        where = ("it holds Yale B images directly; " if loose else "")
        raise DataSetError(
            f"{root}: no Extended Yale B subject folder found ({where}give the CroppedYale folder, which holds one"
            " sub-folder per subject, yaleB01 ... yaleB39, of images named yaleBxx_P00AsaaaEsee.pgm; .png, .tif,"
            " .bmp and .jpg are read too)"
        )
    return entries, skipped


def check_yale_dir(root: str | os.PathLike) -> None:
    """Fail at once, reading no image, when ``root`` is not a CroppedYale folder.

    Raises
    ------
    DataSetError
        The folder is missing, is a file, or holds no protocol image name.
    """
    _protocol_entries(Path(root), None)


def load_yale(root: str | os.PathLike, subjects=None, progress=None) -> YaleB:
    """Load the usable images of a cropped Extended Yale B folder.

    Only files named ``yaleBxx_P00A{+|-}aaaE{+|-}ee.pgm`` are protocol images;
    everything else (``.pgm.bad``, ``_Ambient.pgm``, ``.info``, ``WS_FTP.LOG``,
    ``DEADJOE``) is listed in ``skipped``. An image of another size than
    192 x 168 (another face set laid out the same way) is first resized to it
    (area interpolation when shrinking, bicubic when enlarging) and counted in
    ``resized``.

    Parameters
    ----------
    root : path
        The ``CroppedYale`` folder (sub-folders ``yaleB01`` .. ``yaleB39``).
    subjects : iterable of int, optional
        Subject numbers to load; all by default.
    progress : callable(done, total), optional

    Raises
    ------
    DataSetError
        The folder is missing or holds no protocol image.
    """
    root = Path(root)
    entries, skipped = _protocol_entries(root, None if subjects is None else {int(s) for s in subjects})
    images = np.empty((len(entries), 48, 40))
    resized = 0
    for i, (path, _) in enumerate(entries):
        try:
            image = read_grey(path)
            if image.shape != CROPPED_SHAPE:
                image, resized = _to_cropped_shape(image), resized + 1
            images[i] = yale_crop(image)
        except ValueError as exc:
            raise DataSetError(f"{path}: {exc}") from None
        except ImageReadError as exc:
            raise DataSetError(str(exc)) from None
        if progress is not None:
            progress(i + 1, len(entries))
    parsed = np.array([p for _, p in entries], dtype=int)
    return YaleB(images, parsed[:, 0], parsed[:, 1], parsed[:, 2], [p for p, _ in entries], skipped, resized)


def _to_cropped_shape(image: np.ndarray) -> np.ndarray:
    import cv2

    shrink = image.shape[0] >= CROPPED_SHAPE[0] and image.shape[1] >= CROPPED_SHAPE[1]
    return cv2.resize(image, CROPPED_SHAPE[::-1], interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def training_faces_2x(yale: YaleB, max_subset: int = 2) -> np.ndarray:
    """The protocol crop of each image at twice the frame size, for training the detector.

    Parameters
    ----------
    yale : YaleB
    max_subset : int
        Only images lit from subsets S1 .. S(max_subset + 1).

    Returns
    -------
    ndarray of shape (n, 96, 80), float32
    """
    import cv2

    keep = np.flatnonzero(yale.subsets <= max_subset)
    return np.stack([cv2.resize(read_grey(yale.paths[i])[:, 4:164], (80, 96), interpolation=cv2.INTER_AREA)
                     for i in keep]).astype(np.float32)
