"""Small pieces shared by the widgets: images to pixmaps, palette-aware plots, sample data."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QFrame, QLabel

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


def image_label(text: str, width: int, height: int, tooltip: str = "") -> QLabel:
    """A framed, centred label that holds an image."""
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setFixedSize(width, height)
    label.setFrameShape(QFrame.Shape.StyledPanel)
    label.setWordWrap(True)
    if tooltip:
        label.setToolTip(tooltip)
    return label


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
