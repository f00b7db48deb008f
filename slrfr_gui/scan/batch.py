"""Identify every image of a folder, and export the results as CSV."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import Cancelled, GalleryError, ImageReadError, ProbeError
from ..files.imageio import read_grey


@dataclass
class BatchRow:
    """One probe file's outcome. ``error`` is set (and the rest empty) when the file could not be read."""

    probe: str
    best: str = ""
    residual: float = float("nan")
    second: str = ""
    second_residual: float = float("nan")
    ratio: float = float("nan")
    decision: str = ""
    error: str = ""


CSV_FIELDS = list(BatchRow.__dataclass_fields__)


def probe_files(folder) -> list[Path]:
    """Every non-hidden file in ``folder`` and its sub-folders, sorted.

    Raises
    ------
    GalleryError
        ``folder`` is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise GalleryError(f"{folder}: not a folder of probe images")
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


#: File name endings taken as images when telling a gallery folder from a folder of probes.
IMAGE_SUFFIXES = frozenset(".png .jpg .jpeg .bmp .tif .tiff .pgm .ppm .pbm .gif .webp .jp2".split())


def folder_kind(folder) -> str:
    """What a dropped folder is: ``"gallery"``, ``"probes"`` or ``"empty"``.

    A folder is taken as a gallery only when it is clearly one: person sub-folders and no image
    file of its own. A folder that holds images is a folder of probes, whatever sub-folders it
    also has (a stray ``old/`` must not turn it into a one-person gallery). Hidden entries are
    ignored.

    Raises
    ------
    GalleryError
        ``folder`` is not a folder or cannot be listed.
    """
    folder = Path(folder)
    try:
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError as exc:
        raise GalleryError(f"{folder}: cannot list the folder ({exc.strerror or exc})") from None
    if any(p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES for p in entries):
        return "probes"
    if any(p.is_dir() for p in entries):
        return "gallery"
    return "probes" if any(p.is_file() for p in entries) else "empty"


def identify_files(model, paths, threshold: float, progress=None, should_stop=None) -> list[BatchRow]:
    """Identify each image file with a fitted classifier.

    Parameters
    ----------
    model : SLRFRClassifier
        Fitted.
    paths : iterable of path
    threshold : float
        A probe whose ratio of best to second residual exceeds it is "unknown".
    progress : callable(done, total, stage), optional
    should_stop : callable() -> bool, optional

    Returns
    -------
    list of BatchRow, in the order of ``paths``
    """
    paths = list(paths)
    rows = []
    for i, path in enumerate(paths):
        if should_stop is not None and should_stop():
            raise Cancelled("batch identification was cancelled")
        try:
            ranked, ratio = model.rank_probe(read_grey(path), top=2)
        except ImageReadError as exc:
            rows.append(BatchRow(str(path), error=str(exc).split(": ", 1)[-1]))
        except ProbeError as exc:  # blank, too small: no face to name
            rows.append(BatchRow(str(path), error=str(exc)))
        else:
            (best, residual), second = ranked[0], (ranked[1] if len(ranked) > 1 else ("", float("nan")))
            rows.append(BatchRow(str(path), best, residual, second[0], second[1], ratio,
                                 "unknown" if len(model.classes_) >= 2 and ratio > threshold else best))
        if progress is not None:
            progress(i + 1, len(paths), "identify")
    return rows


def write_csv(rows, path) -> Path:
    """Write batch rows as CSV (UTF-8, header first), atomically."""
    from ..files.atomic import atomic_write_bytes

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator=os.linesep)
    writer.writeheader()
    for row in rows:
        record = asdict(row)
        for key, value in record.items():
            if isinstance(value, float):
                record[key] = "" if np.isnan(value) else f"{value:.6f}"
        writer.writerow(record)
    return atomic_write_bytes(path, buffer.getvalue().encode("utf-8"))
