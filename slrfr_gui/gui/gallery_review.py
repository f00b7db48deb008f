"""Gallery review: each gallery image's reference beside the photo it came from.

For the selected gallery image: the original (the face's box and the two eye
centres drawn on it), the aligned 48 x 40 reference magnified, how it was found
(detected, and by which search; eyes given; taken as a crop), its score and
eyes, and what makes it doubtful. *Place eyes…* opens the photo: two clicks put
the eye centres and the reference is made again from them; *Take as crop* uses
the whole image; *Search again* forgets the eyes given. Each is undone by
Edit > Undo like any other gallery edit (the gallery panel keeps the undo list).

The source photo is decoded on a worker thread (a 12-megapixel photo takes a
tenth of a second), so clicking through a gallery never stalls the window.

Run on its own on a folder of photos: ``python -m slrfr_gui.gui.gallery_review GALLERY_DIR``.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..demo.persons import DEMO_SOURCE
from ..faces.align import placement_from_eyes
from ..gallery.gallery import Gallery
from ..gallery.image import GalleryImage
from .common import fit_pixmap, image_label, to_pixmap

ORIGINAL_SIZE = (300, 240)  # width, height of the original's view, pixels
FACE_SCALE = 4


class GalleryReview(QWidget):
    """Shows one :class:`GalleryImage` for review (see the module docstring).

    Signals
    -------
    realign_requested(object, object, bool)
        (GalleryImage, eyes or None, crop): make the reference again; the gallery panel does
        it and keeps the undo step.
    """

    realign_requested = Signal(object, object, bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.image: GalleryImage | None = None
        self.original: np.ndarray | None = None  # the source photo, grey, when it could be read
        self._task = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        pictures = QHBoxLayout()
        self.original_view = image_label("Select a gallery image", *ORIGINAL_SIZE,
                                         "The photo the reference was made from: box and eye centres in red",
                                         150, 120)
        self.face_view = image_label("", 40 * FACE_SCALE, 48 * FACE_SCALE,
                                     "The reference: the face in the canonical 48x40 frame", 80, 96)
        pictures.addWidget(self.original_view)
        pictures.addWidget(QLabel("→"))
        pictures.addWidget(self.face_view)
        pictures.addStretch(1)
        layout.addLayout(pictures)
        self.how = QLabel("")
        self.how.setWordWrap(True)
        self.how.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.how)
        self.doubts = QLabel("")
        self.doubts.setWordWrap(True)
        self.doubts.setStyleSheet("color: #b35900")
        layout.addWidget(self.doubts)
        buttons = QHBoxLayout()
        self.btn_eyes = QPushButton("Place eyes…")
        self.btn_eyes.setToolTip("Click the two eye centres on the photo; the reference is made again from them")
        self.btn_crop = QPushButton("Take as crop")
        self.btn_crop.setToolTip("Use the whole image as a face cropped to the canonical frame")
        self.btn_search = QPushButton("Search again")
        self.btn_search.setToolTip("Forget the eyes given and search the photo for its face")
        for b in (self.btn_eyes, self.btn_crop, self.btn_search):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.btn_eyes.clicked.connect(self.place_eyes)
        self.btn_crop.clicked.connect(lambda: self._request(None, True))
        self.btn_search.clicked.connect(lambda: self._request(None, False))
        self.set_image(None)

    # ------------------------------------------------------------ display
    def set_image(self, image: GalleryImage | None) -> None:
        """Show ``image`` (None: nothing selected); its source photo is read in the background."""
        self.image = image
        self.original = None
        self._show()
        if image is None or not image.source or image.source == DEMO_SOURCE:
            return
        from .worker import Task

        if self._task is not None:
            self._task.cancel()
        task = Task(lambda progress, stop: Gallery.source_image(image), "read gallery photo", self)
        task.returned.connect(lambda grey, im=image: self._source_read(im, grey))
        task.errored.connect(lambda message, _details, im=image: self._source_failed(im, message))
        self._task = task
        task.start()

    def _source_read(self, image, grey) -> None:
        if image is self.image:
            self.original = grey
            self._show()

    def _source_failed(self, image, message) -> None:
        if image is self.image:
            self.original_view.setText(f"The original cannot be shown:\n{message}")

    def refresh(self) -> None:
        """Show the current image again (after it was aligned again)."""
        self._show()

    def _show(self) -> None:
        im = self.image
        has = im is not None
        # A generated demo face has no photo: nothing to place eyes on, crop or search again.
        demo = has and im.source == DEMO_SOURCE
        for b in (self.btn_eyes, self.btn_crop, self.btn_search):
            b.setEnabled(has and bool(im.source) and not demo)
        if not has:
            self.original_view.setPixmap(to_pixmap(np.zeros((1, 1))).scaled(1, 1))
            self.original_view.setText("Select a gallery image")
            self.face_view.clear()
            self.how.setText("")
            self.doubts.setText("")
            return
        self.face_view.set_image(im.face)
        if self.original is not None:
            self.original_view.setPixmap(self._marked_original())
        elif demo:
            self.original_view.setText(f"{im.name} is a generated demo face: there is no photo to show, "
                                       "so it cannot be aligned again.")
        elif im.source:
            self.original_view.setText("Reading the original…")
        else:
            self.original_view.setText(f"No original file ({im.name} came from {im.source or 'the window'})")
        self.how.setText(self.describe(im))
        self.doubts.setText("" if not im.doubts else "⚠ " + "\n⚠ ".join(im.doubts))

    @staticmethod
    def describe(im: GalleryImage) -> str:
        text = f"<b>{im.person}</b> — {im.name}: {im.how}"
        if im.method:
            text += f" by {im.method}"
        if im.score is not None:
            text += f", score {im.score:.2f}"
        if im.eyes is not None:
            eyes = np.asarray(im.eyes, dtype=np.float64)
            width = placement_from_eyes(eyes[0], eyes[1]).scale * 40
            text += (f"<br>eyes at ({eyes[0, 0]:.1f}, {eyes[0, 1]:.1f}) and ({eyes[1, 0]:.1f}, {eyes[1, 1]:.1f}),"
                     f" face {width:.0f} px wide")
        return text

    def _marked_original(self):
        grey = self.original
        pixmap = fit_pixmap(grey, *ORIGINAL_SIZE)
        im = self.image
        if im.eyes is None:
            return pixmap
        f = pixmap.width() / grey.shape[1]
        eyes = np.asarray(im.eyes, dtype=np.float64)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("#ff3030"), 2))
        x, y, w, h = placement_from_eyes(eyes[0], eyes[1]).box()
        painter.drawRect(QRectF(x * f, y * f, w * f, h * f))
        for ex, ey in eyes:
            cx, cy = (ex + 0.5) * f, (ey + 0.5) * f
            painter.drawLine(QPointF(cx - 5, cy), QPointF(cx + 5, cy))
            painter.drawLine(QPointF(cx, cy - 5), QPointF(cx, cy + 5))
        painter.end()
        return pixmap

    # ------------------------------------------------------------ actions
    def place_eyes(self) -> None:
        """Two clicks on the original place the eye centres (an :class:`EyesDialog`)."""
        if self.image is None or self.original is None:
            return
        from .eyes_dialog import EyesDialog

        dialog = EyesDialog(self.original, self)
        dialog.setWindowTitle(f"Place the eye centres: {self.image.name}")
        image = self.image
        dialog.accepted.connect(lambda: self._request(dialog.eyes, False, image))
        dialog.open()
        self.eyes_dialog = dialog

    def _request(self, eyes, crop: bool, image=None) -> None:
        image = image or self.image
        if image is not None:
            self.realign_requested.emit(image, eyes, crop)

    def reading(self) -> bool:
        """True while the selected image's photo is being read."""
        return self._task is not None and self._task.is_running()

    def stop(self) -> None:
        """Cancel and wait for the photo being read (the window is closing)."""
        if self._task is not None and self._task.is_running():
            self._task.cancel()
            self._task.wait()


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    from PySide6.QtWidgets import QApplication

    from ..gallery.gallery import load_gallery

    app = QApplication(sys.argv)
    gallery = load_gallery(sys.argv[1], warn=False)
    review = GalleryReview()
    review.set_image(gallery.images[0])
    review.resize(560, 360)
    review.show()
    sys.exit(app.exec())
