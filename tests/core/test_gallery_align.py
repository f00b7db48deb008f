"""Gallery images searched and aligned like probes; bad ones skipped with their reason; eyes kept."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from slrfr_gui.gallery.gallery import Gallery, load_gallery
from slrfr_gui.gallery.gallery_align import NotEnrolled, align_gallery_image
from slrfr_gui.files.imageio import write_grey


def _face(seed=4, size=(96, 80)):
    import cv2

    from slrfr_gui.demo.synthetic import render_faces, sample_albedos
    from slrfr_gui.evaluation.yale import light_vector

    face = render_faces(sample_albedos(1, seed=seed), light_vector([0], [5]))[0, 0]
    return cv2.resize(face, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)


def _photo(faces, shape=(240, 320), seed=0):
    """A noisy frame with each (face, x, y) pasted; returns the frame and each face's true eye centres."""
    from slrfr_gui.faces.align import Placement
    from slrfr_gui.faces.facemodel import default_face_model

    frame = np.clip(0.45 + 0.03 * np.random.default_rng(seed).standard_normal(shape), 0, 1)
    eyes = []
    for face, x, y in faces:
        h, w = face.shape
        frame[y:y + h, x:x + w] = face
        truth = Placement(x + (w - 1) / 2, y + (h - 1) / 2, w / 40)
        eyes.append(truth.map_points(default_face_model().eye_centres))
    return frame, eyes


def _frame_eyes(found):
    """Where the frame the face was aligned with puts its eye centres."""
    return np.asarray(found.eyes)


def _huge_png(path, side=20_000):
    """A PNG whose header says side x side pixels (no pixel data follows): a decompression bomb."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
                     + chunk(b"IEND", b""))


def test_a_photo_is_searched_and_aligned_and_a_crop_stays_a_crop():
    photo, truth = _photo([(_face(), 120, 60)])
    found = align_gallery_image(photo)
    assert found.how == "detected" and found.face.shape == (48, 40)
    assert np.abs(_frame_eyes(found) - truth[0]).max() < 4  # the eyes of the pasted face, within 4 px
    crop = _face(size=(48, 40))
    kept = align_gallery_image(crop)
    assert kept.how == "taken as a crop" and kept.eyes is None
    np.testing.assert_allclose(kept.face, crop, atol=1e-9)
    as_crop = align_gallery_image(photo, "crop")
    assert as_crop.how == "taken as a crop" and as_crop.face.shape == (48, 40)
    with pytest.raises(ValueError, match="align mode"):
        align_gallery_image(photo, "guess")


def test_several_faces_the_largest_is_taken_and_marked_doubtful():
    photo, truth = _photo([(_face(seed=1, size=(72, 60)), 20, 40), (_face(seed=2), 180, 60)])
    found = align_gallery_image(photo)
    assert found.faces == 2 and any("2 faces" in d for d in found.doubts)
    assert np.abs(_frame_eyes(found) - truth[1]).max() < 4  # the larger one


def test_hand_placed_eyes_tiny_faces_and_faces_cut_by_the_border():
    photo, truth = _photo([(_face(), 120, 60)])
    by_eyes = align_gallery_image(photo, eyes=truth[0][::-1])  # order does not matter
    assert by_eyes.how == "eyes given"
    np.testing.assert_allclose(by_eyes.eyes, truth[0])
    assert np.abs(by_eyes.face - align_gallery_image(photo).face).mean() < 0.05
    with pytest.raises(NotEnrolled, match="pixels wide"):
        align_gallery_image(photo, eyes=((100.0, 100.0), (105.0, 100.0)))  # a face 8 px wide
    with pytest.raises(NotEnrolled, match="cut by the image border"):
        align_gallery_image(photo, eyes=((2.0, 5.0), (40.0, 5.0)))
    with pytest.raises(NotEnrolled, match="outside"):
        align_gallery_image(photo, eyes=((-50.0, 5.0), (40.0, 5.0)))
    small = align_gallery_image(photo, eyes=((100.0, 100.0), (112.0, 100.0)))  # ~19 px wide: kept, doubtful
    assert small.face.shape == (48, 40) and any("small face" in d for d in small.doubts)


def test_bad_gallery_files_are_skipped_one_line_each_and_enrolment_goes_on(tmp_path):
    photo, _ = _photo([(_face(), 120, 60)])
    for person in ("Ada", "Ben", "Cy", "Dee", "Eve"):
        (tmp_path / person).mkdir()
    write_grey(tmp_path / "Ada" / "photo.png", photo)
    write_grey(tmp_path / "Ben" / "no_face.png",
               np.clip(0.5 + 0.1 * np.random.default_rng(3).standard_normal((300, 500)), 0, 1))
    (tmp_path / "Cy" / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    _huge_png(tmp_path / "Dee" / "huge.png")
    border, _ = _photo([(_face(), 0, 0)])  # the face's frame half outside: the eyes sit at the top edge
    write_grey(tmp_path / "Eve" / "cut.png", border[30:, :])
    gallery = load_gallery(tmp_path, warn=False)
    assert [im.person for im in gallery.images] == ["Ada"] and gallery.images[0].how == "detected"
    reasons = {path.name: why for path, why in gallery.skipped}
    assert "no face found" in reasons["no_face.png"]
    assert "damaged" in reasons["corrupt.jpg"]
    assert "too large" in reasons["huge.png"]
    assert "cut by the image border" in reasons["cut.png"] or "no face found" in reasons["cut.png"]
    assert all("\n" not in why for why in reasons.values())
    assert set(gallery.empty_persons) == {"Ben", "Cy", "Dee", "Eve"}


def test_eyes_are_kept_in_gallery_and_model_files_and_give_the_same_references(tmp_path, capsys):
    from slrfr_gui.cli import main
    from slrfr_gui.gallery.gallery import load_references

    for i, person in enumerate(("Ada", "Ben", "Cy")):
        (tmp_path / "g" / person).mkdir(parents=True)
        photo, _ = _photo([(_face(seed=10 + i), 60 + 40 * i, 50)], seed=i)
        write_grey(tmp_path / "g" / person / "photo.png", photo)
    write_grey(tmp_path / "g" / "Cy" / "crop.png", _face(seed=12, size=(48, 40)))
    assert main(["enroll", str(tmp_path / "g"), "-o", str(tmp_path / "m.npz"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Ada/photo.png: detected" in out and "Cy/crop.png: taken as a crop" in out
    assert "aligned 4 image(s): 3 detected, 0 by eyes given, 1 taken as crops" in out
    records = load_references(tmp_path / "m.npz")
    assert len(records) == 4 and all(r["digest"] for r in records)
    assert sum(r["eyes"] is not None for r in records) == 3
    # Enrolling again with the kept eyes gives the very same references, without searching.
    first = load_gallery(tmp_path / "g", warn=False)
    again = load_gallery(tmp_path / "g", warn=False, reuse={r["digest"]: r for r in records})
    np.testing.assert_allclose(again.faces, first.faces, atol=1e-6)
    assert [im.how for im in again.images] == [im.how for im in first.images]
    assert main(["enroll", str(tmp_path / "g"), "-o", str(tmp_path / "m2.npz"), "--quiet", "--eyes-from",
                 str(tmp_path / "m.npz")]) == 0
    # A gallery file keeps them too, and a file written before they were kept still opens.
    first.save(tmp_path / "g.slrfr-gallery")
    reopened = Gallery.open(tmp_path / "g.slrfr-gallery")
    for a, b in zip(first.images, reopened.images):
        assert (a.how, a.method, a.digest, a.doubts) == (b.how, b.method, b.digest, b.doubts)
        assert (a.eyes is None) == (b.eyes is None)
        if a.eyes is not None:
            np.testing.assert_allclose(a.eyes, b.eyes, atol=1e-3)
    assert len(load_references(tmp_path / "g.slrfr-gallery")) == 4


def test_realign_and_undo_give_back_the_reference(tmp_path):
    photo, truth = _photo([(_face(), 120, 60)])
    (tmp_path / "Ada").mkdir()
    write_grey(tmp_path / "Ada" / "photo.png", photo)
    gallery = load_gallery(tmp_path, warn=False)
    image = gallery.images[0]
    face = image.face.copy()
    before = gallery.realign(image, crop=True)
    assert image.how == "taken as a crop" and not np.allclose(image.face, face)
    gallery.restore_alignment(image, before)
    np.testing.assert_allclose(image.face, face)
    gallery.realign(image, eyes=truth[0])
    assert image.how == "eyes given"


def test_the_search_falls_back_to_the_projects_own_without_dlib(monkeypatch):
    from slrfr_gui.faces import dlib_faces
    from slrfr_gui.faces.detect import detect_faces
    from slrfr_gui.faces.face_search import search_faces

    photo, _ = _photo([(_face(), 120, 60)])
    monkeypatch.setattr(dlib_faces, "available", lambda: False)
    assert [d.box for d in search_faces(photo)] == [d.box for d in detect_faces(photo, use_haar=True)]
