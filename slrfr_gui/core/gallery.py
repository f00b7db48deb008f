"""Gallery folders: one sub-folder per person, face images inside.

In this version every image is taken to be a face already cropped to the
canonical frame (any size: it is resized to 48 x 40).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import Cancelled, GalleryError, ImageReadError
from .frame import to_frame
from .imageio import IMAGE_SUFFIXES, read_grey


class SkippedFilesWarning(UserWarning):
    """Some files of a gallery folder were skipped; the message lists them with reasons."""


@dataclass
class Gallery:
    """The faces of a gallery folder.

    Attributes
    ----------
    root : Path
    faces : ndarray of shape (n, 48, 40), float64
        Grey levels in [0, 1], in the canonical frame.
    labels : ndarray of shape (n,), str
        Person (sub-folder name) of each face.
    paths : list of Path
        Source file of each face.
    skipped : list of (Path, str)
        Files that were not used, with the reason.
    empty_persons : list of str
        Person folders left with no usable image.
    """

    root: Path
    faces: np.ndarray
    labels: np.ndarray
    paths: list
    skipped: list = field(default_factory=list)
    empty_persons: list = field(default_factory=list)

    @property
    def persons(self) -> list[str]:
        """Names of the persons with at least one face, sorted."""
        return sorted(set(self.labels.tolist()))

    def count(self, person: str) -> int:
        """Number of faces of ``person``."""
        return int(np.sum(self.labels == person))

    def skipped_report(self) -> str:
        """The skipped files and empty persons as text, one per line."""
        lines = [f"{path}: {reason}" for path, reason in self.skipped]
        lines += [f"{self.root / name}: person has no usable image" for name in self.empty_persons]
        return "\n".join(lines)


def load_gallery(folder: str | os.PathLike, progress=None, should_stop=None, warn: bool = True) -> Gallery:
    """Read a gallery folder: one sub-folder per person, named after the person.

    Images may be in any format Pillow reads (recognised by content). Files that
    are not images or cannot be read are skipped and listed in one
    :class:`SkippedFilesWarning` (and in ``Gallery.skipped``); hidden files are
    ignored; a person left with no image is reported in ``empty_persons``.

    Parameters
    ----------
    folder : path
    progress : callable(done, total), optional
    should_stop : callable() -> bool, optional
    warn : bool
        Emit the warning (the GUI shows ``skipped`` itself and turns it off).

    Returns
    -------
    Gallery

    Raises
    ------
    GalleryError
        The folder is missing, not a folder, has no person sub-folder, or no
        person has a usable image.
    Cancelled
        ``should_stop`` returned True.
    """
    root = Path(folder)
    if not root.exists():
        raise GalleryError(f"{root}: no such folder; give a folder with one sub-folder per person")
    if not root.is_dir():
        raise GalleryError(f"{root}: is a file; give a folder with one sub-folder per person")
    try:
        entries = sorted(root.iterdir())
    except OSError as exc:
        raise GalleryError(f"{root}: cannot list the folder ({exc.strerror or exc})") from None
    skipped: list = []
    jobs: list = []
    person_dirs = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            person_dirs.append(entry)
        else:
            skipped.append((entry, "not inside a person folder"))
    if not person_dirs:
        raise GalleryError(
            f"{root}: no person sub-folder; put each person's images in a folder named after them,"
            f" e.g. {root / 'Alice' / 'alice1.png'}"
        )
    for person_dir in person_dirs:
        try:
            files = sorted(p for p in person_dir.rglob("*") if not p.name.startswith("."))
        except OSError as exc:
            skipped.append((person_dir, f"cannot list the folder ({exc.strerror or exc})"))
            continue
        for path in files:
            if path.is_dir():
                continue
            jobs.append((person_dir.name, path))
    faces, labels, paths = [], [], []
    for i, (person, path) in enumerate(jobs):
        if should_stop is not None and should_stop():
            raise Cancelled("loading the gallery was cancelled")
        try:
            image = read_grey(path)
        except ImageReadError as exc:
            reason = str(exc).split(": ", 1)[-1]
            if path.suffix.lower() not in IMAGE_SUFFIXES and "not an image" in reason:
                reason = "not an image"
            skipped.append((path, reason))
        else:
            faces.append(to_frame(image))
            labels.append(person)
            paths.append(path)
        if progress is not None:
            progress(i + 1, len(jobs))
    used = set(labels)
    empty = [d.name for d in person_dirs if d.name not in used]
    if not faces:
        raise GalleryError(f"{root}: no person folder holds a readable image")
    gallery = Gallery(root, np.stack(faces), np.array(labels), paths, skipped, empty)
    if warn and (skipped or empty):
        warnings.warn(
            f"{len(skipped)} file(s) skipped and {len(empty)} person(s) without images in {root}:\n"
            + gallery.skipped_report(),
            SkippedFilesWarning,
            stacklevel=2,
        )
    return gallery
