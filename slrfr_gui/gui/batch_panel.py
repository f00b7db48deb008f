"""Batch identification: a folder of probes in (identified in the window's worker), a table out, exported as CSV.

Run on its own: ``python -m slrfr_gui.gui.batch_panel``.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..errors import SLRFRError
from ..faces.frame import format_resolution
from ..scan.batch import BatchRow, identify_files, probe_files, write_csv

COLUMNS = ["probe", "decision", "best", "residual", "second", "second residual", "ratio", "error"]


class BatchPanel(QWidget):
    """A table of :class:`~slrfr_gui.scan.batch.BatchRow`, the identification that fills it, and its CSV export.

    The work runs in the window's worker (:meth:`set_task_starter`: one task at a time).

    Signals
    -------
    open_requested(), export_requested()
        The panel's buttons.
    failed(str, str)
        A message for the user and the details; the window shows and logs it.
    status(str)
        A line for the status bar.
    finished(str)
        A batch was identified and shown; the status line that says so.
    """

    open_requested = Signal()
    export_requested = Signal()
    failed = Signal(str, str)
    status = Signal(str)
    finished = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[BatchRow] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        bar = QHBoxLayout()
        self.btn_open = QPushButton("Identify a folder of probes…")
        self.btn_open.setToolTip("Every image in the folder is identified with the current model (Ctrl+B); "
                                 "you can also drop a folder here")
        self.btn_export = QPushButton("Export CSV…")
        self.btn_export.setToolTip("Save the table as a CSV file (Ctrl+E)")
        self.summary = QLabel("Drop a folder of probe images here.")
        bar.addWidget(self.btn_open)
        bar.addWidget(self.btn_export)
        bar.addWidget(self.summary, 1)
        layout.addLayout(bar)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideLeft)  # a long name loses its start, not its end
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)  # Qt's default: descending
        self.table.setSortingEnabled(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.btn_open.clicked.connect(self.open_requested)
        self.btn_export.clicked.connect(self.export_requested)
        self.btn_export.setEnabled(False)

    def set_rows(self, rows: list[BatchRow], folder=None) -> None:
        """Show ``rows``; probes are named by their path inside ``folder`` (or their file name), the full
        path in the tooltip."""
        self.rows = list(rows)
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            values = [_short_name(row.probe, folder), row.decision, row.best, row.residual, row.second,
                      row.second_residual, row.ratio, row.error]
            for j, value in enumerate(values):
                if isinstance(value, float):
                    item = QTableWidgetItem()
                    if not math.isnan(value):
                        item.setData(0, round(value, 4))
                else:
                    item = QTableWidgetItem(str(value))
                if j == 0:
                    item.setToolTip(row.probe)
                elif j == len(values) - 1 and value:
                    item.setToolTip(str(value))
                self.table.setItem(i, j, item)
        self.table.setSortingEnabled(True)
        self.summary.setText(self.summary_text())
        self.btn_export.setEnabled(bool(rows))

    def set_task_starter(self, start_task) -> None:
        """How to run long work: ``start_task(fn, message, on_result, name)`` (the window's one worker)."""
        self._start_task = start_task

    def probe_files(self, model, folder, resolution):
        """The probe files of ``folder``, or None (with ``failed`` emitted) when there is no model or folder."""
        if model is None:
            self.failed.emit(f"Train or open a model for {format_resolution(resolution)} first.", "")
            return None
        try:
            return probe_files(folder)
        except SLRFRError as exc:
            self.failed.emit(str(exc), "")
            return None

    def run(self, model, files, folder, threshold: float, note: str = "") -> None:
        """Identify ``files`` (of ``folder``) with ``model`` in the window's worker, then show them."""
        self._start_task(lambda progress, stop: identify_files(model, files, threshold, progress, stop),
                         f"Identifying {len(files)} probes…" + (f" ({note})" if note else ""),
                         lambda rows: self._done(rows, folder, note), "batch")

    def _done(self, rows, folder=None, note: str = ""):
        self.set_rows(rows, folder)
        self.finished.emit(f"Batch done: {self.summary_text()} (Batch panel; Export CSV, Ctrl+E)"
                           + (f"; {note}" if note else ""))  # it kept "Identifying 53 probes…"

    def choose_export_csv(self):
        if not self.rows:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export results", "results.csv", "CSV files (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path) -> bool:
        try:
            write_csv(self.rows, path)
        except OSError as exc:
            self.failed.emit(f"{path}: could not write ({exc.strerror or exc})", "")
            return False
        self.status.emit(f"{len(self.rows)} results written to {path}.")
        return True

    def summary_text(self) -> str:
        """"53 probes: 50 named, 2 unknown, 1 unreadable"."""
        named = sum(1 for r in self.rows if r.decision and r.decision != "unknown")
        unknown = sum(1 for r in self.rows if r.decision == "unknown")
        errors = sum(1 for r in self.rows if r.error)
        return f"{len(self.rows)} probes: {named} named, {unknown} unknown, {errors} unreadable"


def _short_name(probe: str, folder) -> str:
    """The probe's path inside ``folder`` when it is there, else its file name."""
    path = Path(probe)
    if folder is not None:
        try:
            return path.relative_to(folder).as_posix()
        except ValueError:
            pass
    return path.name


if __name__ == "__main__":  # pragma: no cover - manual preview: python -m slrfr_gui.gui.batch_panel [out.png]
    import sys

    from PySide6.QtWidgets import QApplication

    from .common import show_preview

    app = QApplication(sys.argv)
    panel = BatchPanel()
    folder = "/home/analyst/cases/2026-11-30 station CCTV/probes"
    panel.set_rows([BatchRow(f"{folder}/camera 2/frame_{i:04d}.png", "Alice", 0.21 + i / 100,
                             "Bob", 0.5, 0.42 + i / 50, "Alice" if i % 3 else "unknown") for i in range(6)]
                   + [BatchRow(f"{folder}/notes.txt", error="not an image file Pillow can read")], folder)
    panel.resize(900, 260)
    show_preview(app, panel, sys.argv[1] if len(sys.argv) > 1 else None)
