"""The start page: open a gallery, try the demo, enroll from the webcam, or reopen recent work.

Run on its own: ``python -m slrfr_gui.gui.welcome``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QGridLayout, QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPushButton, QVBoxLayout, QWidget)

INTRO = ("<h2>Recognise people from tiny, badly lit faces</h2>"
         "<p>slrfr-gui brings each gallery face down to the probe's size (7&times;6 to 20&times;20 pixels), "
         "relights it to the probe's light with a relighting learned from real faces, and names a probe by "
         "the person whose relit face comes nearest (the smallest residual).</p>")
LAYOUT_HELP = ("A gallery folder holds one sub-folder per person, named after them, with one or more face "
               "images in each (PNG, JPEG, PGM, TIFF, BMP, GIF, WebP).")


def _shown(path) -> str:
    """A path as listed: its name, then where it is (the home folder as ~)."""
    path = Path(path)
    where = str(path.parent)
    home = str(Path.home())
    if where == home or where.startswith(home + "/"):
        where = "~" + where[len(home):]
    return f"{path.name or path}  —  {where}"


class WelcomePanel(QWidget):
    """Three ways in and the recent galleries and models.

    Signals
    -------
    open_gallery_requested, demo_requested, webcam_requested
        The three big buttons.
    recent_chosen(str, str)
        ("gallery" or "model", path) of a double-clicked (or Enter) recent item.
    """

    open_gallery_requested = Signal()
    demo_requested = Signal()
    webcam_requested = Signal()
    recent_chosen = Signal(str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.btn_open = self._big_button("Open a gallery folder…", "One sub-folder of face images per person",
                                         self.open_gallery_requested)
        self.btn_demo = self._big_button("Try the demo", "Twelve fictional persons and probes to identify: "
                                         "no data needed", self.demo_requested)
        self.btn_webcam = self._big_button("Enroll people from the webcam", "Start the camera, capture a few "
                                           "faces of each person, name them", self.webcam_requested)
        buttons = QHBoxLayout()
        for b in (self.btn_open, self.btn_demo, self.btn_webcam):
            buttons.addWidget(b)
        layout_help = QLabel(LAYOUT_HELP)
        layout_help.setWordWrap(True)

        self.recent_galleries = QListWidget()
        self.recent_models = QListWidget()
        recent = QGridLayout()
        for column, (title, widget, kind) in enumerate((("Recent galleries", self.recent_galleries, "gallery"),
                                                         ("Recent models", self.recent_models, "model"))):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            widget.setMaximumHeight(240)
            widget.itemActivated.connect(lambda item, k=kind: self._chosen(k, item))
            recent.addWidget(box, 0, column)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 30, 40, 30)
        outer.addWidget(intro)
        outer.addSpacing(10)
        outer.addLayout(buttons)
        outer.addWidget(layout_help)
        outer.addSpacing(10)
        outer.addLayout(recent)
        outer.addStretch(1)

    def _big_button(self, text: str, tip: str, signal) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setMinimumSize(QSize(220, 56))
        font = button.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        button.setFont(font)
        button.clicked.connect(signal.emit)
        return button

    def _chosen(self, kind: str, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        if path:
            self.recent_chosen.emit(kind, path)

    def set_recent(self, galleries, models) -> None:
        """Fill the two lists (most recent first); paths that are gone are shown greyed, not offered."""
        for widget, paths in ((self.recent_galleries, galleries), (self.recent_models, models)):
            widget.clear()
            for path in paths or []:
                item = QListWidgetItem(_shown(path))
                item.setToolTip(str(path))
                if Path(path).exists():
                    item.setData(Qt.ItemDataRole.UserRole, str(path))
                else:
                    item.setFlags(Qt.ItemFlag.NoItemFlags)
                    item.setText(f"{item.text()} (not found)")
                widget.addItem(item)
            if widget.count() == 0:
                empty = QListWidgetItem("(none yet)")
                empty.setFlags(Qt.ItemFlag.NoItemFlags)
                widget.addItem(empty)


if __name__ == "__main__":  # pragma: no cover - manual preview
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    panel = WelcomePanel()
    panel.set_recent(["/data/galleries/staff"], [])
    panel.resize(1000, 600)
    panel.show()
    app.exec()
