"""Batch identification: a folder of probes in, a table out, exported as CSV.

Run on its own: ``python -m slrfr_gui.gui.batch_panel``.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ..core.batch import BatchRow

COLUMNS = ["probe", "decision", "best", "residual", "second", "second residual", "ratio", "error"]


class BatchPanel(QWidget):
    """A table of :class:`~slrfr_gui.core.batch.BatchRow`; the window runs the work and fills it."""

    open_requested = Signal()
    export_requested = Signal()

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
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.btn_open.clicked.connect(self.open_requested)
        self.btn_export.clicked.connect(self.export_requested)
        self.btn_export.setEnabled(False)

    def set_rows(self, rows: list[BatchRow]) -> None:
        self.rows = list(rows)
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            values = [row.probe, row.decision, row.best, row.residual, row.second, row.second_residual, row.ratio,
                      row.error]
            for j, value in enumerate(values):
                if isinstance(value, float):
                    item = QTableWidgetItem()
                    if not math.isnan(value):
                        item.setData(0, round(value, 4))
                else:
                    item = QTableWidgetItem(str(value))
                self.table.setItem(i, j, item)
        self.table.setSortingEnabled(True)
        named = sum(1 for r in rows if r.decision and r.decision != "unknown")
        unknown = sum(1 for r in rows if r.decision == "unknown")
        errors = sum(1 for r in rows if r.error)
        self.summary.setText(f"{len(rows)} probes: {named} named, {unknown} unknown, {errors} unreadable")
        self.btn_export.setEnabled(bool(rows))
