"""The scan view: run ``slrfr scan`` in the background and browse the appearances it finds.

*File → Scan videos…* asks for the videos or folders, the results file and the
options (:class:`~slrfr_gui.gui.scan_dialog.ScanDialog`), then the panel runs
:func:`slrfr_gui.scan.run_scan` in a worker thread (its Dask workers are
processes) with progress (chunks, frames per second, time left) and *Cancel*,
which leaves a resumable results file. Any results file opens too
(*Open results…*). The table lists every appearance with the best face's
thumbnail, filtered by person and sorted by time or residual; below it, a
timeline of the chosen video (one row per person, a bar per appearance); a
double-click opens the appearance's frame with its box.

Run on its own on a results file: ``python -m slrfr_gui.gui.scan_panel RESULTS.sqlite [--screenshot OUT.png]``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QProgressBar, QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from ..scan import ScanOptions, ScanStore
from .common import fit_pixmap, to_pixmap
from .worker import Task

COLUMNS = ["face", "person", "residual", "ratio", "source", "track", "first (s)", "last (s)", "faces"]
ALL, UNKNOWN = "All persons", "Unknown only"
PLACEHOLDER = ("No scan results yet.\n\nOpen results… (a file written by 'slrfr scan -o FILE') or "
               "File → Scan videos… to find the enrolled persons in videos and folders of stills.")


def _clock(seconds) -> str:
    if seconds is None or not np.isfinite(seconds):
        return "?"
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class FrameView(QDialog):
    """One frame of a video with an appearance's box drawn on it."""

    def __init__(self, frame: np.ndarray, box, title: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        label = QLabel()
        pixmap = to_pixmap(frame.astype(np.float64) / 255.0)
        painter = QPainter(pixmap)
        x, y, w, h = box
        pen = QPen(QColor("#ff3b30"))
        pen.setWidth(2)
        painter.setPen(pen)
        painter.drawRect(QRectF(x - 1, y - 1, w + 2, h + 2))
        painter.end()
        label.setPixmap(pixmap)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(QLabel(title))


def read_frame(path: str, frame_no: int) -> np.ndarray | None:
    """Frame ``frame_no`` of a video (or the still itself), uint8 grey; None if it cannot be read."""
    import cv2

    from ..files.imageio import read_grey

    if Path(path).suffix.lower() not in {".avi", ".mp4", ".m4v", ".mkv", ".mov", ".mpg", ".mpeg", ".wmv",
                                         ".webm", ".ts", ".flv", ".3gp", ".mjpg", ".mjpeg"}:
        try:
            return np.clip(np.round(read_grey(path) * 255), 0, 255).astype(np.uint8)
        except Exception:  # noqa: BLE001 - reported by the caller as "cannot be read"
            return None
    capture = cv2.VideoCapture(path)
    try:
        if not capture.isOpened():
            return None
        capture.set(cv2.CAP_PROP_POS_FRAMES, frame_no)
        ok, frame = capture.read()
        if not ok:
            return None
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    finally:
        capture.release()


class ScanPanel(QWidget):
    """Progress of a running scan, and the appearances of a results file (see the module docstring)."""

    failed = Signal(str, str)  # message, details
    finished = Signal(object)  # after the scan's thread ended: its ScanSummary, or None (cancelled or failed)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.store: ScanStore | None = None
        self.rows: list[dict] = []
        self.task: Task | None = None
        self._outcome = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        bar = QHBoxLayout()
        self.btn_open = QPushButton("Open results…")
        self.btn_open.setToolTip("Open a results file written by a scan (slrfr scan -o FILE)")
        self.btn_open.clicked.connect(self._choose_results)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("no scan running")
        self.btn_cancel = QPushButton("Cancel")
        self.btn_cancel.setToolTip("Stop the scan; the chunks finished are kept and the scan can be resumed")
        self.btn_cancel.setEnabled(False)
        self.btn_cancel.clicked.connect(self.cancel)
        self.status = QLabel("")
        bar.addWidget(self.btn_open)
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.btn_cancel)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        # Until a results file is open or a scan runs, a placeholder says how to get one: the panel,
        # remembered in the saved layout, came back empty with a meaningless 0-1 timeline plot.
        # (Shown or hidden, not stacked: a hidden page's minimum height would still count.)
        self.placeholder = QLabel(PLACEHOLDER)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.content = QWidget()
        self.content.hide()
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.content, 1)
        layout = QVBoxLayout(self.content)
        layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        self.person = QComboBox()
        self.person.setToolTip("Show the appearances whose best match is this person")
        self.person.currentTextChanged.connect(lambda _: self._fill())
        self.order = QComboBox()
        self.order.addItems(["by time", "by residual"])
        self.order.currentTextChanged.connect(lambda _: self._fill())
        self.video = QComboBox()
        self.video.setToolTip("The video whose timeline is drawn")
        self.video.currentTextChanged.connect(lambda _: self._timeline())
        filters.addWidget(QLabel("Person"))
        filters.addWidget(self.person, 1)
        filters.addWidget(QLabel("Sort"))
        filters.addWidget(self.order)
        filters.addWidget(QLabel("Timeline of"))
        filters.addWidget(self.video, 2)
        layout.addLayout(filters)
        split = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setDefaultSectionSize(52)
        self.table.setIconSize(self.table.iconSize().expandedTo(pg.QtCore.QSize(48, 48)))
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(self.open_row)
        self.table.setToolTip("Double-click a row to see its frame with the face's box")
        self.table.setMinimumHeight(180)  # three rows at least (it showed one of 25 in a short dock)
        split.addWidget(self.table)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "time (s)")
        self.plot.setMouseEnabled(y=False)
        self.plot.setMinimumHeight(80)
        split.addWidget(self.plot)
        split.setChildrenCollapsible(False)
        split.setStretchFactor(0, 3)  # the appearances take most of the room the dock is given
        split.setStretchFactor(1, 1)
        split.setSizes([400, 150])
        layout.addWidget(split, 1)

    def _show_content(self) -> None:
        """The table and the timeline in place of the placeholder (a results file is open or a scan runs)."""
        self.placeholder.hide()
        self.content.show()

    # ------------------------------------------------------------ running
    def running(self) -> bool:
        return self.task is not None and self.task.is_running()

    def start(self, model, inputs, output, options: ScanOptions, workers=None, scheduler=None, resume=False,
              model_id=None) -> Task:
        """Run a scan in the background; the table shows its results file as chunks finish."""
        from ..scan import run_scan

        if self.running():
            raise RuntimeError("a scan is already running")
        state = {"last": None}

        def work(progress, should_stop):
            def report(p):
                state["last"] = p
                eta = _clock(p.eta_s)
                progress(p.chunks_done, max(p.chunks_total, 1),
                         f"{p.chunks_done}/{p.chunks_total} chunks, {p.fps:.0f} frames/s on {p.workers} workers, "
                         f"{eta} left")

            return run_scan(model, inputs, output, options, scheduler=scheduler, workers=workers, resume=resume,
                            progress=report, should_stop=should_stop, model_id=model_id)

        task = Task(work, "scan", self)
        self.output = Path(output)
        task.progress.connect(self._on_progress)
        task.returned.connect(self._on_done)
        task.errored.connect(lambda m, d: (self.status.setText(f"Scan failed: {m}"), self.failed.emit(m, d)))
        task.cancelled.connect(self._on_cancelled)
        task.finished.connect(self._on_finished)
        self.task = task
        self._outcome = None
        self._show_content()
        self.btn_cancel.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.setFormat("starting the Dask workers…")
        self.status.setText(f"Scanning {len(inputs)} input{'s' if len(inputs) != 1 else ''} into {output}")
        self._started = time.monotonic()
        self._last_refresh = 0.0
        task.start()
        return task

    def cancel(self) -> None:
        if self.running():
            self.task.cancel()
            self.progress.setFormat("cancelling…")

    def stop(self, ms: int = 30_000) -> bool:
        """Cancel and wait for the scan (the window is closing); True if it ended."""
        if not self.running():
            return True
        self.task.cancel()
        return self.task.wait(ms)

    def _on_progress(self, done, total, text):
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(text or "%v/%m chunks")
        if done and time.monotonic() - self._last_refresh > 2.0:  # the table follows the chunks written
            self._last_refresh = time.monotonic()
            self.open_results(self.output, quiet=True)

    def _on_done(self, summary):
        self.open_results(self.output, quiet=True)
        skipped = f"; {len(summary.problems)} input(s) not scanned" if summary.problems else ""
        self.status.setText(f"Scanned {summary.frames:,} frames in {summary.seconds:.0f} s ({summary.fps:.0f} "
                            f"frames/s, {summary.workers} workers): {summary.appearances} appearances{skipped}")
        if summary.problems:
            self.status.setToolTip("\n".join(summary.problems))
        self._outcome = summary

    def _on_cancelled(self):
        self.status.setText(f"Scan cancelled: the chunks finished are kept in {self.output}; scan into the same "
                            "file again to finish it.")
        self.open_results(self.output, quiet=True)

    def _on_finished(self):
        self.btn_cancel.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if self.store is not None else 0)
        outcome, self._outcome = self._outcome, None
        self.progress.setFormat("scan finished" if outcome is not None else "no scan running")
        self.finished.emit(outcome)

    # ------------------------------------------------------------ results
    def _choose_results(self):
        path, _ = QFileDialog.getOpenFileName(self, "Scan results", "", "SQLite (*.sqlite *.db);;All files (*)")
        if path:
            self.open_results(path)

    def open_results(self, path, quiet: bool = False) -> bool:
        """Show a results file; False (and a message unless ``quiet``) when it cannot be read."""
        from ..scan import ScanStoreError

        try:
            store = ScanStore(path) if Path(path).exists() else None
        except ScanStoreError as exc:
            if not quiet:
                self.failed.emit(str(exc), "")
            return False
        if store is None:
            return False
        if self.store is not None:
            self.store.close()
        self.store = store
        self._show_content()
        self.rows = store.appearances()
        self._sources = {s["path"]: s for s in store.sources()}
        current = self.person.currentText()
        persons = sorted({r["person"] for r in self.rows if r["person"]})
        self.person.blockSignals(True)
        self.person.clear()
        self.person.addItems([ALL, UNKNOWN] + persons)
        if current in persons or current in (ALL, UNKNOWN):
            self.person.setCurrentText(current)
        self.person.blockSignals(False)
        videos = [p for p, s in self._sources.items() if s["kind"] == "video"]
        chosen = self.video.currentText()
        self.video.blockSignals(True)
        self.video.clear()
        self.video.addItems(videos)
        if chosen in videos:
            self.video.setCurrentText(chosen)
        self.video.blockSignals(False)
        self._fill()
        self._timeline()
        if not self.running():
            done, total = store.counts()
            self.status.setText(f"{path}: {len(self.rows)} appearances, {done}/{total} chunks done"
                                + ("" if done == total else " (scan into it again to finish)"))
        return True

    def visible_rows(self) -> list[dict]:
        choice = self.person.currentText()
        rows = self.rows
        if choice == UNKNOWN:
            rows = [r for r in rows if r["unknown"]]
        elif choice and choice != ALL:
            rows = [r for r in rows if r["person"] == choice]
        if self.order.currentText() == "by residual":
            rows = sorted(rows, key=lambda r: (r["residual"] if r["residual"] is not None else np.inf))
        return rows

    def _fill(self):
        rows = self.visible_rows()
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            thumb = self.store.thumbnail(r["id"]) if self.store is not None else None
            face = QTableWidgetItem()
            if thumb is not None:
                face.setIcon(QIcon(fit_pixmap(thumb / 255.0, 48, 48)))
            face.setData(Qt.ItemDataRole.UserRole, r["id"])
            name = f"unknown ({r['person']}?)" if r["unknown"] else (r["person"] or "")
            first = "" if r["first_s"] is None else f"{r['first_s']:.1f}"
            last = "" if r["last_s"] is None else f"{r['last_s']:.1f}"
            values = [name, f"{r['residual']:.4f}" if r["residual"] is not None else "", f"{r['ratio']:.3f}",
                      Path(r["source"]).name, str(r["track"]), first, last, str(r["faces"])]
            self.table.setItem(i, 0, face)
            for j, v in enumerate(values, start=1):
                item = QTableWidgetItem(v)
                item.setToolTip(r["source"] if j == 4 else
                                "\n".join(f"{p} {res:.4f}" for p, res in r["ranked"]) if j == 1 else "")
                if r["unknown"] and j == 1:
                    item.setForeground(QColor("#888888"))
                self.table.setItem(i, j, item)
        self.table.resizeColumnToContents(1)

    def _timeline(self):
        self.plot.clear()
        video = self.video.currentText()
        rows = [r for r in self.rows if r["source"] == video and r["first_s"] is not None]
        names = sorted({r["person"] if not r["unknown"] else "unknown" for r in rows})
        if "unknown" in names:
            names = [n for n in names if n != "unknown"] + ["unknown"]
        lanes = {n: i for i, n in enumerate(names)}
        colours = [pg.intColor(i, hues=max(len(names), 3)) for i in range(len(names))]
        for r in rows:
            lane = lanes["unknown" if r["unknown"] else r["person"]]
            width = max(r["last_s"] - r["first_s"], 0.2)
            bar = pg.BarGraphItem(x0=[r["first_s"]], y=[lane], width=[width], height=0.6,
                                  brush=pg.mkBrush("#999999" if r["unknown"] else colours[lane]))
            self.plot.addItem(bar)
        axis = self.plot.getAxis("left")
        axis.setTicks([[(i, n) for n, i in lanes.items()]])
        axis.setWidth(90)
        self.plot.setMinimumHeight(max(140, 18 * len(names) + 70))  # a readable row per person
        source = self._sources.get(video) if hasattr(self, "_sources") else None
        if source and source["fps"]:
            self.plot.setXRange(0, source["frames"] / source["fps"], padding=0.01)
        self.plot.setYRange(-0.7, max(len(names), 1) - 0.3, padding=0)
        self.plot.setTitle(f"{Path(video).name}: appearances by person" if video else "")

    def open_row(self, row: int, _column: int = 0) -> FrameView | None:
        """Show the row's best frame with its box (returns the dialog)."""
        item = self.table.item(row, 0)
        if item is None:
            return None
        rid = item.data(Qt.ItemDataRole.UserRole)
        r = next((x for x in self.rows if x["id"] == rid), None)
        if r is None:
            return None
        frame = read_frame(r["source"], r["best_frame"])
        if frame is None:
            self.failed.emit(f"{r['source']}: frame {r['best_frame']} cannot be read (moved or deleted?)", "")
            return None
        when = f" at {r['best_s']:.2f} s (frame {r['best_frame']})" if r["best_s"] is not None else ""
        who = "unknown" if r["unknown"] else r["person"]
        view = FrameView(frame, (r["x"], r["y"], r["w"], r["h"]), f"{Path(r['source']).name}{when}: {who}, "
                                                                   f"ratio {r['ratio']:.3f}", self)
        view.show()
        self._frame_view = view
        return view


def main(argv=None) -> int:
    import argparse
    import sys

    from PySide6.QtWidgets import QApplication

    parser = argparse.ArgumentParser(description="The scan view on a results file.")
    parser.add_argument("results", type=Path)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args(argv)
    from .common import apply_palette_to_pyqtgraph

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_palette_to_pyqtgraph()
    panel = ScanPanel()
    panel.resize(1200, 820)
    panel.open_results(args.results)
    panel.show()
    if args.screenshot:
        app.processEvents()
        panel.grab().save(str(args.screenshot))
        return 0
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
