"""The gallery review: a photo's reference beside the photo, doubtful marks, eyes placed by hand, undo."""

import numpy as np
from PySide6.QtCore import QPointF

from slrfr_gui.files.imageio import write_grey


def _photo_gallery(tmp_path):
    import cv2

    from slrfr_gui.demo.synthetic import render_faces, sample_albedos
    from slrfr_gui.evaluation.yale import light_vector

    faces = render_faces(sample_albedos(2, seed=7), light_vector([0], [5]))[:, 0]
    for i, (person, face) in enumerate(zip(("Ada", "Ben"), faces)):
        frame = np.clip(0.45 + 0.03 * np.random.default_rng(i).standard_normal((240, 320)), 0, 1)
        frame[60:156, 100:180] = cv2.resize(face, (80, 96), interpolation=cv2.INTER_LINEAR)
        (tmp_path / person).mkdir()
        write_grey(tmp_path / person / "photo.png", frame)
    # A frame-shaped image with no face: taken as a crop, and marked doubtful.
    (tmp_path / "Cy").mkdir()
    write_grey(tmp_path / "Cy" / "blank-ish.png",
               np.clip(0.5 + 0.1 * np.random.default_rng(9).standard_normal((192, 168)), 0, 1))
    return tmp_path


def test_review_shows_how_each_image_was_found_and_eyes_by_hand_are_undone(window, qtbot, tmp_path):
    folder = _photo_gallery(tmp_path)
    with qtbot.waitSignal(window.gallery_loaded, timeout=30_000):
        window.open_gallery(folder)
    panel, review = window.gallery_panel, window.review
    gallery = window.gallery
    ada = gallery.images_of("Ada")[0]
    assert ada.how == "detected" and ada.eyes is not None
    cy = gallery.images_of("Cy")[0]
    assert cy.how == "taken as a crop" and cy.doubts
    # The tree marks the doubtful image and its person.
    texts = []
    for i in range(panel.tree.topLevelItemCount()):
        top = panel.tree.topLevelItem(i)
        texts.append(top.text(0))
        texts += [top.child(j).text(0) for j in range(top.childCount())]
    assert any(t.startswith("⚠ ") and "blank-ish" in t for t in texts)
    assert any(t.startswith("Cy") and "1 doubtful" in t for t in texts)
    # Selecting Ada shows her photo (read on a worker) with how it was found.
    review.set_image(ada)
    qtbot.waitUntil(lambda: review.original is not None, timeout=10_000)
    assert "detected" in review.how.text() and "eyes at" in review.how.text()
    assert review.original_view.pixmap() is not None and not review.original_view.pixmap().isNull()
    # Eyes placed by hand (two clicks in the dialog) make the reference again; Undo brings back the old one.
    face = ada.face.copy()
    review.place_eyes()
    dialog = review.eyes_dialog
    for x, y in ((120.0, 80.0), (165.0, 80.0)):
        dialog.add_point(QPointF((x + 0.5) * dialog.scale, (y + 0.5) * dialog.scale))
    with qtbot.waitSignal(panel.edited, timeout=20_000):
        dialog.accept()
    assert ada.how == "eyes given"
    np.testing.assert_allclose(ada.eyes, [(120.0, 80.0), (165.0, 80.0)], atol=1e-6)
    assert not np.allclose(ada.face, face)
    assert window.gallery_dirty and "align photo.png again" in window.act_undo.text()
    window.undo()
    assert ada.how == "detected"
    np.testing.assert_allclose(ada.face, face)
    # Taking an image as a crop, through the window's worker.
    with qtbot.waitSignal(panel.edited, timeout=20_000):
        window.realign_gallery_image(ada, None, True)
    assert ada.how == "taken as a crop"


def test_a_source_that_is_gone_is_said_and_realigning_it_fails_cleanly(window, qtbot, tmp_path):
    folder = _photo_gallery(tmp_path)
    with qtbot.waitSignal(window.gallery_loaded, timeout=30_000):
        window.open_gallery(folder)
    ben = window.gallery.images_of("Ben")[0]
    (folder / "Ben" / "photo.png").unlink()
    window.review.set_image(ben)
    qtbot.waitUntil(lambda: "cannot be shown" in window.review.original_view.text(), timeout=10_000)
    with qtbot.waitSignal(window.task_failed, timeout=20_000) as failed:
        window.realign_gallery_image(ben, None, True)
    assert "not there any more" in failed.args[0]
    assert ben.how == "detected"


def test_a_demo_face_is_said_to_be_generated_and_cannot_be_realigned(window, qtbot):
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.open_demo()
    review = window.review
    image = window.gallery.images[0]
    review.set_image(image)
    qtbot.wait(50)
    assert not review.reading()  # there is no photo to read
    text = review.original_view.text()
    assert "generated demo face" in text and "not there any more" not in text
    assert not any(b.isEnabled() for b in (review.btn_eyes, review.btn_crop, review.btn_search))
    assert review.face_view.pixmap() is not None and not review.face_view.pixmap().isNull()
