"""A probe image file read, checked and searched for its face off the GUI thread.

An 8000 x 6000 JPEG took 4-5 s to decode and as long again to check, copy and draw when that
was done on the GUI thread. :func:`load_probe` does all of it in a worker
(:class:`~slrfr_gui.gui.worker.Task`) and hands back a small preview to draw; only files
above :data:`LARGE_PIXELS` go this way, so small probes still show at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..faces.find import find_faces
from ..faces.frame import probe_problem
from ..files.imageio import read_grey

#: Images with more pixels than this are decoded in a worker (a 2-megapixel JPEG decodes in ~50 ms).
LARGE_PIXELS = 4_000_000
#: Longest side of the preview drawn for a large probe, pixels.
PREVIEW_SIDE = 512


def pixel_count(path) -> int:
    """Rows x columns from the image file's header (no decoding), or 0 when it cannot be told."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
    except Exception:  # noqa: BLE001 - read_grey says what is wrong with the file, later
        return 0
    return int(width) * int(height)


def preview_of(image: np.ndarray, side: int = PREVIEW_SIDE) -> np.ndarray:
    """``image`` reduced (area average) so that its longest side is at most ``side`` pixels."""
    rows, cols = image.shape
    scale = side / max(rows, cols)
    if scale >= 1:
        return image
    size = (max(1, round(cols * scale)), max(1, round(rows * scale)))
    return cv2.resize(np.asarray(image, dtype=np.float32), size, interpolation=cv2.INTER_AREA).astype(np.float64)


@dataclass
class LoadedProbe:
    """A probe file as the window needs it: the image, its preview, its faces (or why it is no probe)."""

    image: np.ndarray
    preview: np.ndarray
    search: object = None  # a FaceSearch
    problem: str = ""


def load_probe(path, eyes=None, should_stop=None) -> LoadedProbe:
    """Decode ``path``, check it is a probe, and find its faces (by ``eyes`` when given).

    Raises
    ------
    ImageReadError
        The file cannot be read.
    Cancelled
        ``should_stop`` returned True during the face search.
    ValueError
        Bad eye centres.
    """
    image = read_grey(path)
    problem = probe_problem(image)
    preview = preview_of(image)
    if problem:
        return LoadedProbe(image, preview, None, problem)
    return LoadedProbe(image, preview, find_faces(image, eyes=eyes, should_stop=should_stop))
