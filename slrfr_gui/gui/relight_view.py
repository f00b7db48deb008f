"""The relighting view: input, albedo, mean normals, the nine relit images at HR and probe size, and the
face relit by the learned relighting (the default method) at probe size.

Run on its own with a fictional face: ``python -m slrfr_gui.gui.relight_view``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..faces.facemodel import default_face_model
from ..method.slrfr import grey_levels, log_features
from ..faces.frame import FRAME_SHAPE, degrade, format_resolution
from ..method.lighting_resources import serving_resolution, shipped_relighting
from ..method.relight import POINTS_OF_LIGHT_DEG, Relighting, points_of_light, relight
from .common import light_arrow, palette_colours

ROWS, COLS = FRAME_SHAPE
#: Light clusters of the learned relighting shown (from the mildest to the strongest change of light).
LEARNED_SHOWN = 6


class RelightView(QWidget):
    """Shows a :class:`~slrfr_gui.method.relight.Relighting` and its low-resolution versions.

    Every panel shows the same 48 x 40 area (low-resolution images are drawn
    over all of it, so their pixels show as blocks). Scroll to zoom, drag to
    pan; right-click and "View All" resets a panel.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.resolution = (7, 6)
        self.result: Relighting | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.caption = QLabel("Select a gallery image to see it relit under the nine points of light.")
        self.setMinimumWidth(300)  # the panels scale; the window must fit a 1366 x 768 screen
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        background, _ = palette_colours()
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground(background)
        self.canvas.setToolTip("Scroll to zoom, drag to pan; right-click and View All to reset")
        layout.addWidget(self.canvas, 1)
        layout.addStretch(0)
        self.canvas.hide()  # until there is a face: a grid of empty panels said nothing
        self.views: list[pg.ViewBox] = []
        self.items: dict[str, pg.ImageItem] = {}
        self.labels: dict[str, pg.LabelItem] = {}
        self._build()

    def _panel(self, row: int, col: int, key: str, title: str) -> None:
        label = self.canvas.addLabel(title, row=2 * row, col=col, size="7pt")
        view = self.canvas.addViewBox(row=2 * row + 1, col=col, lockAspect=True, invertY=True, enableMenu=True)
        item = pg.ImageItem(axisOrder="row-major")
        view.addItem(item)
        self.views.append(view)
        self.items[key] = item
        self.labels[key] = label

    def _build(self) -> None:
        # Short titles: a column is as wide as its widest title, and six columns of long ones clipped the
        # right column in a narrow panel (the caption says the rest).
        self._panel(0, 0, "input", "input")
        self._panel(0, 1, "albedo", "albedo")
        self._panel(0, 2, "normals", "normals")
        self._panel(0, 3, "input_lr", "input, LR")
        for k, (angle, azimuth) in enumerate(POINTS_OF_LIGHT_DEG):
            row, col = 1 + k // 3, 2 * (k % 3)
            self._panel(row, col, f"relit{k}", f"{light_arrow(points_of_light()[k])} {k + 1}: {angle:.0f}°")
            self._panel(row, col + 1, f"relit{k}_lr", "LR")
        for j in range(LEARNED_SHOWN):
            self._panel(4, j, f"learned{j}", "learned")
        self.reset_zoom()

    # ---------------------------------------------------------------- data
    def set_face(self, face: np.ndarray, model=None) -> Relighting:
        """Relight ``face`` (shape (48, 40), grey levels in [0, 1]) and show it."""
        self.result = relight(np.asarray(face, dtype=np.float64), model or default_face_model())
        self._show()
        return self.result

    def set_resolution(self, resolution) -> None:
        """Redraw the probe-size panels at ``resolution`` (rows, columns)."""
        self.resolution = tuple(resolution)
        self._show_lr()

    def clear(self, message: str = "") -> None:
        """No face: the panels hidden and ``message`` (by default: select a gallery image) in their place."""
        self.result = None
        for item in self.items.values():
            item.clear()
        self.canvas.hide()
        self.caption.setText(message or "Select a gallery image to see it relit under the nine points of light.")

    def _set(self, key: str, image: np.ndarray, levels=(0.0, 1.0)) -> None:
        item = self.items[key]
        item.setImage(np.asarray(image, dtype=np.float32), levels=levels, autoLevels=False)
        item.setRect(0, 0, COLS, ROWS)

    def _show(self) -> None:
        r = self.result
        self.canvas.show()
        strength = float(np.linalg.norm(r.light))
        self._set("input", r.image)
        self._set("albedo", r.albedo * strength)
        normals = default_face_model().normals
        self.items["normals"].setImage(((normals + 1.0) / 2.0).astype(np.float32), levels=(0.0, 1.0), autoLevels=False)
        self.items["normals"].setRect(0, 0, COLS, ROWS)
        for k, (angle, azimuth) in enumerate(POINTS_OF_LIGHT_DEG):
            self._set(f"relit{k}", r.relit[k])
            arrow = light_arrow(r.lights[k])
            self.labels[f"relit{k}"].setText(f"{arrow} {k + 1}: {angle:.0f}°")
        s = r.light / max(strength, 1e-12)
        off_axis = np.degrees(np.arccos(np.clip(s[2], -1, 1)))
        self.caption.setText(
            f"Estimated light of the input: {light_arrow(s)} {off_axis:.0f}° off the camera axis "
            f"(right {s[0]:+.2f}, up {s[1]:+.2f}, toward camera {s[2]:+.2f}). "
            "Each of the nine lights is labelled with its number, where it comes from (arrow, seen from the "
            "camera) and its angle off the camera axis; beside each image, the same at the probe resolution. "
            "Top row: the input, its LMMSE albedo, the mean surface normals, the input at the probe resolution. Normals: red = right, green = up, blue = toward the camera. Bottom row: the input at "
            "probe size relit by the learned relighting (what the default method compares a probe with) to "
            f"{LEARNED_SHOWN} of its light clusters (cN: cluster N), from the mildest change of light to the strongest"
            + (f", at {format_resolution(serving_resolution(self.resolution))}, where a model for "
               f"{format_resolution(self.resolution)} is served." if serving_resolution(self.resolution) !=
               tuple(self.resolution) else ".")
        )
        self._show_lr()
        self.reset_zoom()

    def reset_zoom(self) -> None:
        """Show every panel whole."""
        for view in self.views:
            view.setRange(xRange=(0, COLS), yRange=(0, ROWS), padding=0.02)

    def _show_lr(self) -> None:
        if self.result is None:
            return
        res = self.resolution
        self._set("input_lr", degrade(self.result.image, res))
        self.labels["input_lr"].setText(format_resolution(res))
        for k, lr in enumerate(degrade(self.result.relit, res)):
            self._set(f"relit{k}_lr", lr)
            self.labels[f"relit{k}_lr"].setText(format_resolution(res))
        self._show_learned(res)

    def _show_learned(self, res) -> None:
        """The input at probe size relit to some of the learned relighting's light clusters: exp(log(x + e) + mu_c) - e."""
        res = serving_resolution(res)  # a size with no shipped metric is served (and shown) at the nearest one
        means = shipped_relighting(res)
        if means is None:
            for j in range(LEARNED_SHOWN):
                self.items[f"learned{j}"].clear()
                self.labels[f"learned{j}"].setText("")
            self.labels["learned0"].setText(f"learned: none for {format_resolution(res)}")
            return
        lr = degrade(self.result.image, res)
        log_face = log_features(lr).ravel()
        order = np.argsort(np.linalg.norm(means, axis=1))
        picks = order[np.linspace(0, len(order) - 1, LEARNED_SHOWN).round().astype(int)]
        for j, c in enumerate(picks):
            self._set(f"learned{j}", np.minimum(grey_levels(log_face + means[c]), 1.0).reshape(res))
            self.labels[f"learned{j}"].setText(f"c{c + 1}")  # short: wider labels squeeze the columns

    def lr_shapes(self) -> list[tuple[int, int]]:
        """Shapes of the images in the probe-size panels (for tests)."""
        return [self.items[f"relit{k}_lr"].image.shape for k in range(9)]

    def learned_images(self) -> list:
        """The images of the learned-relighting panels (None where a panel is empty; for tests)."""
        return [self.items[f"learned{j}"].image for j in range(LEARNED_SHOWN)]


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    from PySide6.QtWidgets import QApplication

    from .common import sample_gallery

    app = QApplication(sys.argv)
    view = RelightView()
    view.set_face(sample_gallery(1).images[0].face)
    view.resize(900, 800)
    view.show()
    sys.exit(app.exec())
