"""Small pieces shared by the widgets: images to pixmaps, palette-aware plots, sample data."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QSizePolicy

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)


def to_pixmap(image: np.ndarray, scale: int = 1) -> QPixmap:
    """Grey levels in [0, 1], shape (rows, columns) -> QPixmap, magnified ``scale`` x with visible pixels."""
    arr = np.ascontiguousarray(np.clip(np.round(np.nan_to_num(np.asarray(image, float)) * 255.0), 0, 255)
                               .astype(np.uint8))
    rows, cols = arr.shape
    pixmap = QPixmap.fromImage(QImage(arr.data, cols, rows, cols, QImage.Format.Format_Grayscale8).copy())
    if scale != 1:
        pixmap = pixmap.scaled(cols * scale, rows * scale, Qt.AspectRatioMode.IgnoreAspectRatio,
                               Qt.TransformationMode.FastTransformation)
    return pixmap


def fit_pixmap(image: np.ndarray, width: int, height: int) -> QPixmap:
    """A pixmap of ``image`` fitted in width x height; small images magnified by whole pixels."""
    rows, cols = np.asarray(image).shape
    scale = min(width // max(cols, 1), height // max(rows, 1))
    if scale >= 1:
        return to_pixmap(image, scale)
    return to_pixmap(image).scaled(width, height, Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)


class ImageLabel(QLabel):
    """A framed, centred label that shows an image fitted to its size, aspect kept.

    It prefers ``width`` x ``height`` but may shrink to ``min_width`` x ``min_height`` (a narrow screen)
    and grows with its layout; the image is fitted again on every resize, so a portrait photo never
    spills out of its frame. :meth:`set_image` takes grey levels (small images magnified by whole
    pixels, as :func:`fit_pixmap`); :meth:`setPixmap` takes any pixmap, scaled down to fit.
    """

    def __init__(self, text: str, width: int, height: int, tooltip: str = "", min_width: int | None = None,
                 min_height: int | None = None):
        super().__init__(text)
        self._preferred = QSize(width, height)
        self._image: np.ndarray | None = None
        self._source: QPixmap | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setWordWrap(True)
        self.setMinimumSize(min_width or width, min_height or height)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        if tooltip:
            self.setToolTip(tooltip)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return self._preferred

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.minimumSize()

    def _room(self) -> tuple[int, int]:
        rect = self.contentsRect()
        return max(rect.width() - 4, 1), max(rect.height() - 4, 1)

    def set_image(self, image: np.ndarray) -> None:
        """Show grey levels in [0, 1], shape (rows, columns), fitted to the label."""
        self._image, self._source = np.asarray(image), None
        super().setPixmap(fit_pixmap(self._image, *self._room()))

    def setPixmap(self, pixmap: QPixmap) -> None:  # noqa: N802
        self._image, self._source = None, pixmap
        super().setPixmap(self._fitted(pixmap))

    def _fitted(self, pixmap: QPixmap) -> QPixmap:
        w, h = self._room()
        if pixmap.isNull() or (pixmap.width() <= w and pixmap.height() <= h):
            return pixmap
        return pixmap.scaled(w, h, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)

    def clear(self) -> None:
        self._image = self._source = None
        super().clear()

    def setText(self, text: str) -> None:  # noqa: N802
        self._image = self._source = None
        super().setText(text)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._image is not None:
            super().setPixmap(fit_pixmap(self._image, *self._room()))
        elif self._source is not None:
            super().setPixmap(self._fitted(self._source))


def image_label(text: str, width: int, height: int, tooltip: str = "", min_width: int | None = None,
                min_height: int | None = None) -> ImageLabel:
    """A framed, centred label that holds an image (an :class:`ImageLabel`)."""
    return ImageLabel(text, width, height, tooltip, min_width, min_height)


class ElidedLabel(QLabel):
    """A one-line label that never widens its window: text too long for it ends in "…", and its tooltip
    holds the whole text. ``min_width``: the narrowest it gets (pixels)."""

    def __init__(self, text: str = "", min_width: int = 40, elide=Qt.TextElideMode.ElideRight, parent=None):
        super().__init__(parent)
        self._min_width = min_width
        self._elide = elide
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(self._min_width, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = super().sizeHint()
        return QSize(min(hint.width(), max(self._min_width, 240)), hint.height())

    def is_elided(self) -> bool:
        """True when the whole text does not fit (for tests)."""
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), self._elide, rect.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, self.alignment() | Qt.AlignmentFlag.AlignVCenter, text)


#: The size the window opens at when the screen has room (a saved layout restores its own).
PREFERRED_SIZE = QSize(1400, 900)


def initial_size(available: QSize, platform: str = "") -> QSize:
    """The window's opening size: :data:`PREFERRED_SIZE`, no larger than the screen's ``available``
    geometry (a 1366 x 768 laptop). Qt's offscreen platform has a made-up 800 x 600 screen: there the
    preferred size is kept, so --screenshot runs show the whole layout."""
    if platform in ("offscreen", "minimal") or available.isEmpty():
        return QSize(PREFERRED_SIZE)
    return PREFERRED_SIZE.boundedTo(available)


def palette_colours() -> tuple[str, str]:
    """(background, foreground) of the current palette, so plots follow light and dark themes."""
    app = QApplication.instance()
    if app is None:
        return "w", "k"
    pal = app.palette()
    return pal.color(QPalette.ColorRole.Base).name(), pal.color(QPalette.ColorRole.Text).name()


def apply_palette_to_pyqtgraph() -> None:
    background, foreground = palette_colours()
    pg.setConfigOptions(background=background, foreground=foreground)


def light_arrow(light: np.ndarray) -> str:
    """A compass arrow for where a light comes from, seen from the camera; a dot for frontal."""
    x, y, z = light
    if np.hypot(x, y) < 0.15:
        return "⊙"
    arrows = "→↗↑↖←↙↓↘"
    angle = np.degrees(np.arctan2(y, x)) % 360
    return arrows[int(((angle + 22.5) % 360) // 45)]


def sample_gallery(n_persons: int = 6, seed: int = 0):
    """A small in-memory gallery of the demo's fictional persons, for running a widget on its own."""
    from ..demo.persons import make_demo

    return make_demo(n_persons, 0, seed).gallery


def show_preview(app, widget, out: str | None = None) -> None:
    """A panel run on its own (``python -m slrfr_gui.gui.NAME [out.png]``): shown, then saved to ``out`` as a
    PNG, or left open until closed (the process exits with the event loop's status)."""
    import sys

    widget.show()
    if out:
        app.processEvents()
        widget.grab().save(out)
    else:
        sys.exit(app.exec())
