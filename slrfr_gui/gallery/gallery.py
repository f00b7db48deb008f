"""Gallery folders: one sub-folder per person, face images inside.

Each image is searched for its face and aligned like a probe, or taken as a crop
(:mod:`slrfr_gui.gallery.gallery_align`, ``align="auto"`` by default); the eye
centres it was aligned with are kept with it, in gallery and model files, so
that enrolling again gives the same references.
"""

from __future__ import annotations

import errno
import os
import unicodedata
import warnings
from pathlib import Path

import numpy as np

from ..errors import Cancelled, GalleryError, ImageReadError
from ..faces.frame import FRAME_SHAPE, to_frame
from ..files.imageio import read_grey
from .image import GalleryImage, gallery_image_problem


class SkippedFilesWarning(UserWarning):
    """Some files of a gallery folder were skipped; the message lists them with reasons."""


class Gallery:
    """An editable gallery: persons (possibly without images yet) and their face images.

    Parameters
    ----------
    images : list of GalleryImage
    persons : list of str, optional
        Person order, including persons without images; by default the sorted
        persons of ``images``.
    root : Path, optional
        The folder it was loaded from.
    skipped : list of (Path, str)
        Files that were not used when loading, with the reason.

    Attributes ``faces`` (n, 48, 40), ``labels`` (n,) and ``paths`` are views
    built from the images, in person order.
    """

    def __init__(self, images=(), persons=None, root=None, skipped=(), empty_persons=()):
        self.images: list[GalleryImage] = list(images)
        names = sorted({im.person for im in self.images} | set(empty_persons)) if persons is None else list(persons)
        for im in self.images:
            if im.person not in names:
                names.append(im.person)
        self._persons: list[str] = names
        self.root = None if root is None else Path(root)
        self.skipped: list = list(skipped)

    # ------------------------------------------------------------- views
    @property
    def persons(self) -> list[str]:
        """Every person, in gallery order (including persons without images)."""
        return list(self._persons)

    @property
    def empty_persons(self) -> list[str]:
        """Persons without any image."""
        used = {im.person for im in self.images}
        return [p for p in self._persons if p not in used]

    def images_of(self, person: str) -> list[GalleryImage]:
        """The images of ``person``, in order."""
        return [im for im in self.images if im.person == person]

    def count(self, person: str) -> int:
        """Number of images of ``person``."""
        return sum(1 for im in self.images if im.person == person)

    def _ordered(self) -> list[GalleryImage]:
        order = {p: i for i, p in enumerate(self._persons)}
        return sorted(self.images, key=lambda im: order[im.person])

    @property
    def faces(self) -> np.ndarray:
        """ndarray of shape (n, 48, 40): every image, person by person."""
        ordered = self._ordered()
        return np.stack([im.face for im in ordered]) if ordered else np.zeros((0, *FRAME_SHAPE))

    @property
    def labels(self) -> np.ndarray:
        """ndarray of shape (n,), str: the person of each row of ``faces``."""
        return np.array([im.person for im in self._ordered()], dtype=str)

    @property
    def paths(self) -> list:
        """Source of each row of ``faces``."""
        return [Path(im.source) if im.source else None for im in self._ordered()]

    def thumbnail(self, person: str) -> np.ndarray | None:
        """The first face of ``person``, shape (48, 40), or None."""
        images = self.images_of(person)
        return images[0].face if images else None

    def skipped_report(self) -> str:
        """The skipped files and empty persons as text, one per line."""
        lines = [f"{path}: {reason}" for path, reason in self.skipped]
        lines += [f"{name}: person has no usable image" for name in self.empty_persons]
        return "\n".join(lines)

    # ------------------------------------------------------------- edits
    def _check_name(self, name: str, what: str = "person") -> str:
        name = person_key_form(name)
        if not name:
            raise GalleryError(f"a {what} name cannot be empty")
        if any(ch in name for ch in "\n\r\t\0"):
            raise GalleryError(f"{what} name {name!r} holds a control character")
        return name

    def add_person(self, name: str) -> str:
        """Add a person without images; returns the cleaned name.

        Raises
        ------
        GalleryError
            Empty name, or a person of that name (ignoring case) exists.
        """
        name = self._check_name(name)
        if name.casefold() in {p.casefold() for p in self._persons}:
            raise GalleryError(f"a person named {name!r} is already in the gallery")
        self._persons.append(name)
        return name

    def rename_person(self, old: str, new: str) -> str:
        """Rename a person (all their images follow).

        Raises
        ------
        GalleryError
            ``old`` is not in the gallery, ``new`` is empty or taken by another person.
        """
        if old not in self._persons:
            raise GalleryError(f"no person named {old!r} in the gallery")
        new = self._check_name(new)
        if new != old and new.casefold() in {p.casefold() for p in self._persons if p != old}:
            raise GalleryError(f"a person named {new!r} is already in the gallery")
        self._persons[self._persons.index(old)] = new
        for im in self.images:
            if im.person == old:
                im.person = new
        return new

    def remove_person(self, name: str) -> list[GalleryImage]:
        """Remove a person and their images; returns the removed images (for undo)."""
        if name not in self._persons:
            raise GalleryError(f"no person named {name!r} in the gallery")
        removed = self.images_of(name)
        self.images = [im for im in self.images if im.person != name]
        self._persons.remove(name)
        return removed

    def restore_person(self, position: int, name: str, images) -> None:
        """Put back a person removed by :meth:`remove_person` (undo)."""
        if name in self._persons:
            raise GalleryError(f"a person named {name!r} is already in the gallery")
        self._persons.insert(min(max(position, 0), len(self._persons)), name)
        self.images.extend(images)

    def restore_image(self, index: int, image: GalleryImage) -> None:
        """Put back an image removed by :meth:`remove_image` (undo)."""
        if image.person not in self._persons:
            self._persons.append(image.person)
        self.images.insert(min(max(index, 0), len(self.images)), image)

    def add_face(self, person: str, face: np.ndarray, name: str = "", source: str = "") -> GalleryImage:
        """Add one face (any size, taken as a canonical-frame crop) to ``person``, creating them if needed."""
        if person not in self._persons:
            person = self.add_person(person)
        face = np.asarray(face, dtype=np.float64)
        if face.ndim != 2 or not np.all(np.isfinite(face)):
            raise GalleryError(f"{name or source or 'image'}: not a finite 2-D grey image")
        problem = gallery_image_problem(face)
        if problem:
            raise GalleryError(f"{name or source or 'image'}: {problem}")
        image = GalleryImage(person, name or (Path(source).name if source else f"image{len(self.images) + 1}"),
                             to_frame(face), str(source))
        self.images.append(image)
        return image

    def add_files(self, person: str, paths, align: str = "auto", should_stop=None) -> tuple[list[GalleryImage], list]:
        """Read image files into ``person``, each searched and aligned (``align``, see
        :func:`load_gallery`); returns (added images, skipped (path, reason))."""
        if person not in self._persons:
            person = self.add_person(person)
        added, skipped = [], []
        for path in paths:
            path = Path(path)
            image, reason = _read(path, align, should_stop=should_stop)
            if image is None:
                skipped.append((path, reason))
                continue
            image.person = person
            self.images.append(image)
            added.append(image)
        return added, skipped

    def realign(self, image: GalleryImage, eyes=None, crop: bool = False) -> dict:
        """Make ``image``'s reference again from its source file: by ``eyes`` (placed by hand), as a
        crop, or (neither) by searching it again. Returns the previous state, for
        :meth:`restore_alignment` (undo). The slow part is :meth:`aligned_again`, which a window
        runs on a worker thread and hands to :meth:`apply_alignment`.

        Raises
        ------
        GalleryError
            The source file cannot be read any more, or no usable face comes out.
        """
        return self.apply_alignment(image, self.aligned_again(image, eyes, crop))

    @classmethod
    def aligned_again(cls, image: GalleryImage, eyes=None, crop: bool = False, should_stop=None):
        """The :class:`~slrfr_gui.gallery.gallery_align.AlignedImage` :meth:`realign` would give (reads the
        source file, changes nothing).

        Raises
        ------
        GalleryError
            See :meth:`realign`.
        """
        from .gallery_align import NotEnrolled, align_gallery_image

        source = cls.source_image(image)
        try:
            return align_gallery_image(source, "crop" if crop else "auto", eyes=None if crop else eyes,
                                       should_stop=should_stop)
        except NotEnrolled as exc:
            raise GalleryError(f"{image.name}: {exc}") from None

    @staticmethod
    def apply_alignment(image: GalleryImage, result) -> dict:
        """Give ``image`` the reference ``result`` (an AlignedImage); returns the previous state."""
        before = {k: getattr(image, k) for k in ("face", "how", "eyes", "method", "score", "doubts")}
        image.face, image.how, image.eyes = result.face, result.how, result.eyes
        image.method, image.score, image.doubts = result.method, result.score, list(result.doubts)
        return before

    @staticmethod
    def restore_alignment(image: GalleryImage, before: dict) -> None:
        """Undo :meth:`realign`."""
        for key, value in before.items():
            setattr(image, key, value)

    @staticmethod
    def source_image(image: GalleryImage) -> np.ndarray:
        """The grey image ``image`` was made from.

        Raises
        ------
        GalleryError
            It came from no file, or the file cannot be read any more.
        """
        if not image.source or not Path(image.source).is_file():
            raise GalleryError(f"{image.name}: its source file {image.source or '(none)'} is not there any more, "
                               "so it cannot be aligned again")
        try:
            return read_grey(image.source)
        except ImageReadError as exc:
            raise GalleryError(str(exc)) from None

    def remove_image(self, image: GalleryImage) -> None:
        """Remove one image (the person stays, possibly without images)."""
        self.images = [im for im in self.images if im is not image]

    def rename_image(self, image: GalleryImage, name: str) -> None:
        """Give an image a new display name."""
        image.name = self._check_name(name, "image")

    # -------------------------------------------------------------- files
    def save(self, path) -> Path:
        """Write the gallery (faces and names, not the source files) as a data file, atomically.

        Raises
        ------
        GalleryError
            The file cannot be written.
        """
        from ..files.datafile import write_data_file

        faces = np.stack([im.face for im in self.images]).astype(np.float32) if self.images else \
            np.zeros((0, *FRAME_SHAPE), np.float32)
        meta = {"persons": self._persons,
                "images": [im.record() for im in self.images],
                "root": str(self.root) if self.root else None}
        return write_data_file(path, {"faces": faces}, meta, GALLERY_FORMAT, GALLERY_VERSION, GalleryError)

    @classmethod
    def open(cls, path) -> "Gallery":
        """Read a gallery file written by :meth:`save`.

        Raises
        ------
        GalleryError
            Missing, damaged or foreign file (one line, naming the file).
        """
        from ..files.datafile import read_data_file

        arrays, meta = read_data_file(path, GALLERY_FORMAT, GALLERY_VERSION, GalleryError, "slrfr gallery file",
                                      "open the gallery folder again")
        try:
            faces = arrays["faces"].astype(np.float64)
            entries, persons, root = meta["images"], meta["persons"], meta.get("root")
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                raise ValueError("the image list is not a list of entries")
            if not isinstance(persons, list) or not all(isinstance(p, str) for p in persons):
                raise ValueError("the person list is not a list of names")
            if root is not None and not isinstance(root, str):
                raise ValueError("the folder it came from is not a path")
            if faces.shape != (len(entries), *FRAME_SHAPE):
                raise ValueError("faces do not match the image list")
            if not np.all(np.isfinite(faces)):
                raise ValueError("faces hold values that are not numbers")
            images = [_image_from_record(e, f) for e, f in zip(entries, faces)]
        except (KeyError, TypeError, ValueError) as exc:
            raise GalleryError(f"{path}: gallery file is incomplete ({exc}); open the gallery folder again") from None
        return cls(images, persons, root)


def _image_from_record(entry: dict, face: np.ndarray) -> GalleryImage:
    """A GalleryImage from a gallery file's entry (files of earlier versions hold only person, name, source)."""
    eyes = entry.get("eyes")
    if eyes is not None:
        eyes = np.asarray(eyes, dtype=np.float64)
        if eyes.shape != (2, 2) or not np.all(np.isfinite(eyes)):
            raise ValueError(f"the eyes of {entry.get('name')!r} are not two points")
    score = entry.get("score")
    doubts = entry.get("doubts") or []
    if not isinstance(doubts, list):
        raise ValueError(f"the doubts of {entry.get('name')!r} are not a list")
    return GalleryImage(str(entry["person"]), str(entry["name"]), face, str(entry.get("source", "")),
                        str(entry.get("how", "taken as a crop")), eyes, str(entry.get("method", "")),
                        None if score is None else float(score), [str(d) for d in doubts],
                        str(entry.get("digest", "")))


def _read(*args, **kwargs):
    from .gallery_align import read_gallery_file

    return read_gallery_file(*args, **kwargs)


def _broken_link_reason(path: Path) -> str:
    """Why a symbolic link that leads nowhere was skipped."""
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop; remove the link"
    return "a broken symbolic link (its target is missing)"


def skipped_summary(n_files: int, n_persons: int) -> str:
    """"3 files skipped and 1 person without images", naming only what there is ("" for nothing)."""
    parts = [f"{n_files} file{'s' if n_files != 1 else ''} skipped" if n_files else "",
             f"{n_persons} person{'s' if n_persons != 1 else ''} without images" if n_persons else ""]
    return " and ".join(p for p in parts if p)


def person_key_form(name) -> str:
    """A person's name as the gallery keeps it: stripped and in Unicode NFC, so that "José" typed on one
    system and read from a folder name written by another (macOS writes NFD) is one person."""
    return unicodedata.normalize("NFC", str(name).strip())


GALLERY_FORMAT = "slrfr-gallery"
GALLERY_VERSION = 1


def load_gallery(folder: str | os.PathLike, progress=None, should_stop=None, warn: bool = True,
                 align: str = "auto", reuse: dict | None = None) -> Gallery:
    """Read a gallery folder: one sub-folder per person, named after the person.

    Images may be in any format Pillow reads (recognised by content). Files that
    are not images or cannot be read, images that hold no face (blank, smaller
    than 5 x 4 pixels, see :func:`gallery_image_problem`) and files in
    sub-folders of a person folder are skipped and listed in one
    :class:`SkippedFilesWarning` (and in ``Gallery.skipped``); hidden files are
    ignored; a person left with no image is reported in ``empty_persons``.

    Parameters
    ----------
    folder : path
    progress : callable(done, total), optional
    should_stop : callable() -> bool, optional
    warn : bool
        Emit the warning (the GUI shows ``skipped`` itself and turns it off).
    align : {"auto", "detect", "crop"}
        How each image's face is found (:mod:`slrfr_gui.gallery.gallery_align`): "auto"
        searches photos and keeps crops as they are; "crop" takes every image as a crop.
        An image with no face, a face under 12 pixels wide or cut by the border is skipped
        with the reason.
    reuse : dict, optional
        SHA-256 of a file -> the record of its earlier reference (``GalleryImage.record()``, as
        gallery and model files keep it): such files are aligned as they were before.

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
    real_root = root.resolve()
    seen_names: dict = {}
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            target = entry.resolve()
            if target == real_root or target in real_root.parents:
                skipped.append((entry, "a symbolic link back to the gallery folder (a loop), not followed"))
            elif person_key_form(entry.name).casefold() in seen_names:
                skipped.append((entry, f"person folder differs from {seen_names[person_key_form(entry.name).casefold()]!r}"
                                       " only in upper/lower case or in how its accents are encoded (NFC/NFD);"
                                       " merge or rename one of them"))
            else:
                seen_names[person_key_form(entry.name).casefold()] = entry.name
                person_dirs.append(entry)
        elif entry.is_symlink() and not entry.exists():
            skipped.append((entry, _broken_link_reason(entry)))
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
                if path.is_symlink():
                    skipped.append((path, "a symbolic link to a folder, not followed"))
                continue
            if path.parent != person_dir:
                skipped.append((path, "in a sub-folder: not read (put the person's images directly in "
                                      f"{person_dir.name}/)"))
                continue
            if path.is_symlink() and not path.exists():
                skipped.append((path, _broken_link_reason(path)))
                continue
            jobs.append((person_key_form(person_dir.name), path))
    from .gallery_align import MODES

    if align not in MODES:
        raise ValueError(f"align must be one of {', '.join(MODES)}, got {align!r}")
    images = []
    for i, (person, path) in enumerate(jobs):
        if should_stop is not None and should_stop():
            raise Cancelled("loading the gallery was cancelled")
        image, reason = _read(path, align, reuse, should_stop, person)
        if image is None:
            skipped.append((path, reason))
        else:
            images.append(image)
        if progress is not None:
            progress(i + 1, len(jobs))
    used = {im.person for im in images}
    empty = [person_key_form(d.name) for d in person_dirs if person_key_form(d.name) not in used]
    if not images:
        searched = [(path, reason) for path, reason in skipped if reason.endswith(": not enrolled")]
        if searched:  # images were read, but no face was found (or none usable): say so, file by file
            report = "\n".join(f"  {path}: {reason}" for path, reason in skipped)
            raise GalleryError(
                f"{root}: no face was found in any image ({len(searched)} image{'s' if len(searched) != 1 else ''}"
                f" read and searched); each file and why:\n{report}\n"
                f"If the images are face crops, take them as they are: slrfr enroll {root} --align crop -o MODEL;"
                " otherwise place the eye centres by hand in the window (slrfr-gui --gallery"
                f" {root}), then enroll with --eyes-from the gallery file it saves")
        raise GalleryError(f"{root}: no person folder holds a readable image")
    gallery = Gallery(images, sorted(used) + empty, root, skipped)
    if warn and (skipped or empty):
        warnings.warn(
            f"{skipped_summary(len(skipped), len(empty))} in {root}:\n"
            + gallery.skipped_report(),
            SkippedFilesWarning,
            stacklevel=2,
        )
    return gallery


def load_references(path) -> list:
    """How each reference of a model or gallery file was made (:func:`~slrfr_gui.method.modelfile.save_model`'s
    ``references``, :meth:`Gallery.save`'s images), for ``slrfr enroll --eyes-from``.

    Returns
    -------
    list of dict
        Each with ``source``, ``how``, ``eyes`` ((2, 2) list or None), ``digest`` (SHA-256 of the
        file) and more; empty for files written before references were kept.

    Raises
    ------
    ModelFileError
        Neither a model nor a gallery file, or a damaged one.
    """
    from ..errors import ModelFileError
    from ..files.datafile import read_data_file
    from ..method.modelfile import FORMAT, READS

    try:
        _, meta = read_data_file(path, FORMAT, READS, ModelFileError, "slrfr model file",
                                 "give a model or gallery file")
        records = meta.get("references", [])
    except ModelFileError as first:
        try:
            _, meta = read_data_file(path, GALLERY_FORMAT, GALLERY_VERSION, GalleryError, "slrfr gallery file",
                                     "give a model or gallery file")
        except GalleryError:
            raise first from None
        records = meta.get("images", [])
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ModelFileError(f"{path}: its list of references is damaged; enroll without --eyes-from")
    return records
