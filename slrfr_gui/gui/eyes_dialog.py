"""Place two eye centres on an image with two clicks.

Run on its own: ``python -m slrfr_gui.gui.eyes_dialog IMAGE``.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from .common import to_pixmap


class _ClickLabel(QLabel):
    clicked = Signal(QPointF)

    def mousePressEvent(self, event):
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(event.position())


class EyesDialog(QDialog):
    """Shows an image magnified; the first two clicks are the eye centres. ``eyes`` holds them (image pixels)."""

    def __init__(self, image: np.ndarray, parent=None, max_side: int = 640):
        super().__init__(parent)
        self.setWindowTitle("Place the eye centres")
        self.image = np.asarray(image, dtype=np.float64)
        rows, cols = self.image.shape
        self.scale = max(1.0, min(max_side / cols, max_side / rows)) if max(rows, cols) < max_side else \
            min(max_side / cols, max_side / rows)
        self.points: list[tuple[float, float]] = []
        layout = QVBoxLayout(self)
        self.hint = QLabel("Click the centre of one eye, then of the other. Click again to start over.")
        layout.addWidget(self.hint)
        self.view = _ClickLabel()
        self.view.setCursor(Qt.CursorShape.CrossCursor)
        self.view.clicked.connect(self.add_point)
        layout.addWidget(self.view)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._draw()

    @property
    def eyes(self):
        """((x, y), (x, y)) image-left then image-right, image pixels; None until two clicks."""
        if len(self.points) < 2:
            return None
        a, b = sorted(self.points[:2])
        return a, b

    def add_point(self, pos: QPointF) -> None:
        if len(self.points) >= 2:
            self.points = []
        # Label pixel -> image pixel (pixel centres at integers).
        self.points.append((pos.x() / self.scale - 0.5, pos.y() / self.scale - 0.5))
        self._draw()

    def _draw(self) -> None:
        rows, cols = self.image.shape
        pixmap = to_pixmap(self.image).scaled(int(round(cols * self.scale)), int(round(rows * self.scale)),
                                              Qt.AspectRatioMode.IgnoreAspectRatio,
                                              Qt.TransformationMode.FastTransformation)
        painter = QPainter(pixmap)
        painter.setPen(QPen(QColor("#ff3030"), 2))
        for x, y in self.points:
            cx, cy = (x + 0.5) * self.scale, (y + 0.5) * self.scale
            painter.drawLine(QPointF(cx - 6, cy), QPointF(cx + 6, cy))
            painter.drawLine(QPointF(cx, cy - 6), QPointF(cx, cy + 6))
        painter.end()
        self.view.setPixmap(pixmap)
        self.view.setFixedSize(pixmap.size())
        apart = len(self.points) == 2 and bool(np.hypot(self.points[0][0] - self.points[1][0],
                                                        self.points[0][1] - self.points[1][1]) >= 1.0)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(apart)


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    from PySide6.QtWidgets import QApplication

    from ..files.imageio import read_grey

    app = QApplication(sys.argv)
    dialog = EyesDialog(read_grey(sys.argv[1]))
    if dialog.exec():
        print(dialog.eyes)
