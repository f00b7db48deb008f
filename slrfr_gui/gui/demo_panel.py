"""The demo's probes: click one to identify it.

Run on its own: ``python -m slrfr_gui.gui.demo_panel``.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QLabel, QListView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from .common import to_pixmap


class DemoProbesPanel(QWidget):
    """Thumbnails of the demo's probes, each named with the person it shows.

    Signals
    -------
    probe_chosen(object)
        The :class:`~slrfr_gui.demo.persons.DemoProbe` clicked.
    """

    probe_chosen = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.probes: list = []
        note = QLabel("Fictional persons under new lights (the name under each is the truth). Click one: it is "
                      "brought down to the resolution of the slider and identified.")
        note.setWordWrap(True)
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setFlow(QListView.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setIconSize(QSize(60, 72))
        self.list.setMovement(QListView.Movement.Static)
        self.list.setFixedHeight(110)
        self.list.currentRowChanged.connect(self._chosen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(note)
        layout.addWidget(self.list)
        layout.addStretch(1)

    def set_probes(self, probes) -> None:
        """Show ``probes`` (a list of DemoProbe), none chosen."""
        self.probes = list(probes)
        self.list.blockSignals(True)
        self.list.clear()
        for probe in self.probes:
            item = QListWidgetItem(QIcon(to_pixmap(probe.image)), probe.person)
            item.setToolTip(probe.label)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.list.addItem(item)
        self.list.blockSignals(False)

    def choose(self, index: int) -> None:
        """Choose the ``index``-th probe, as a click does."""
        self.list.setCurrentRow(index)

    def _chosen(self, row: int) -> None:
        if 0 <= row < len(self.probes):
            self.probe_chosen.emit(self.probes[row])


if __name__ == "__main__":  # pragma: no cover - manual preview
    from PySide6.QtWidgets import QApplication

    from ..demo.persons import make_demo

    app = QApplication([])
    panel = DemoProbesPanel()
    panel.set_probes(make_demo(6, 2).probes)
    panel.probe_chosen.connect(lambda p: print(p.label))
    panel.resize(900, 160)
    panel.show()
    app.exec()
