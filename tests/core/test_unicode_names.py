"""Issue 15, item 12: names that differ only in Unicode normalisation are one person; columns line up."""

import unicodedata

import numpy as np
import pytest

from slrfr_gui.errors import GalleryError
from slrfr_gui.gallery.gallery import Gallery, load_gallery
from slrfr_gui.files.imageio import write_grey
from tests.conftest import synthetic_faces


def test_nfc_and_nfd_folders_are_one_person_reported_as_a_duplicate(tmp_path):
    nfc, nfd = unicodedata.normalize("NFC", "José"), unicodedata.normalize("NFD", "José")
    assert nfc != nfd
    _, images = synthetic_faces(2, np.array([[0, 0, 1.0]]), seed=1)
    for name, face in ((nfc, images[0, 0]), (nfd, images[0, 0]), ("Ana", images[1, 0])):
        (tmp_path / name).mkdir()
        write_grey(tmp_path / name / "a.png", face)
    gallery = load_gallery(tmp_path, warn=False)
    assert len(gallery.persons) == 2  # before: three, two of them looking the same
    assert any("how its accents are encoded" in reason for _, reason in gallery.skipped)
    assert all(p == unicodedata.normalize("NFC", p) for p in gallery.persons)


def test_a_typed_name_in_the_other_form_is_the_same_person():
    gallery = Gallery()
    gallery.add_person(unicodedata.normalize("NFD", "José"))
    assert gallery.persons == [unicodedata.normalize("NFC", "José")]
    with pytest.raises(GalleryError, match="already in the gallery"):
        gallery.add_person(unicodedata.normalize("NFC", "josé"))


def test_command_line_columns_line_up_with_wide_and_combining_characters():
    from slrfr_gui.cli.identify import _pad

    rows = [_pad(name, 12) + "|" for name in ("Ana", "王小明", unicodedata.normalize("NFD", "José"))]
    widths = [sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in r)
              for r in rows]
    assert widths == [13, 13, 13]
