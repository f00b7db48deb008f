"""The dialog of *File → Scan videos…*: the videos and folders, the results file, the options."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QMessageBox, QPushButton, QSpinBox, QVBoxLayout)

from ..scan import ScanOptions


class ScanDialog(QDialog):
    """Inputs, results file and options of a scan. ``settings()`` gives them after ``exec()``."""

    def __init__(self, parent=None, persons=(), has_model: bool = True):
        super().__init__(parent)
        self.setWindowTitle("Scan videos")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Videos and folders of stills to search for the enrolled persons:"))
        self.inputs = QListWidget()
        layout.addWidget(self.inputs)
        row = QHBoxLayout()
        for text, slot in (("Add videos…", self._add_files), ("Add folder…", self._add_folder),
                           ("Remove", self._remove)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        form = QFormLayout()
        self.model_path = QLineEdit()
        self.model_path.setPlaceholderText("the model in the window" if has_model else "a model file (.npz)")
        pick_model = QPushButton("…")
        pick_model.clicked.connect(self._pick_model)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_path, 1)
        model_row.addWidget(pick_model)
        form.addRow("Model", model_row)
        self.output = QLineEdit(str(Path.home() / "scan.sqlite"))
        pick_out = QPushButton("…")
        pick_out.clicked.connect(self._pick_output)
        out_row = QHBoxLayout()
        out_row.addWidget(self.output, 1)
        out_row.addWidget(pick_out)
        form.addRow("Results file", out_row)
        self.detect_every = QSpinBox(minimum=1, maximum=100_000, value=25)
        self.detect_every.setToolTip("Frames between face searches; faces are followed in between")
        self.track_every = QSpinBox(minimum=1, maximum=100_000, value=2)
        self.track_every.setToolTip("Frames between tracker updates; the others are grabbed, not converted to images")
        self.min_face = QDoubleSpinBox(minimum=5, maximum=4096, value=12, suffix=" px")
        self.top = QSpinBox(minimum=1, maximum=1000, value=5)
        self.persons = QLineEdit()
        self.persons.setPlaceholderText("all (comma-separated names to keep only them)")
        persons = [str(p) for p in persons]  # a model's classes_ is a NumPy array: no truth value
        if persons:
            self.persons.setToolTip("Enrolled: " + ", ".join(persons[:40]) + (" …" if len(persons) > 40 else ""))
        self.workers = QSpinBox(minimum=0, maximum=1024, value=0, specialValueText="one per core")
        self.scheduler = QLineEdit()
        self.scheduler.setPlaceholderText("this machine (or tcp://host:8786 for a running Dask scheduler)")
        form.addRow("Search every", self.detect_every)
        form.addRow("Follow every", self.track_every)
        form.addRow("Smallest face", self.min_face)
        form.addRow("Persons kept per appearance", self.top)
        form.addRow("Look for", self.persons)
        form.addRow("Workers", self.workers)
        form.addRow("Dask scheduler", self.scheduler)
        layout.addLayout(form)
        self.resume_note = QLabel("")
        self.resume_note.setWordWrap(True)
        layout.addWidget(self.resume_note)
        self.output.textChanged.connect(self._check_output)
        self._check_output()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Scan")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(620, 560)

    def add_inputs(self, paths) -> None:
        for p in paths:
            if str(p) and not self.inputs.findItems(str(p), Qt.MatchFlag.MatchExactly):
                self.inputs.addItem(str(p))

    def _add_files(self):
        files, _ = QFileDialog.getOpenFileNames(self, "Videos", "", "Videos (*.mp4 *.avi *.mkv *.mov *.m4v *.mpg "
                                                "*.mpeg *.wmv *.webm *.ts);;All files (*)")
        self.add_inputs(files)

    def _add_folder(self):
        folder = QFileDialog.getExistingDirectory(self, "A folder of stills (or of videos)")
        self.add_inputs([folder] if folder else [])

    def _remove(self):
        for item in self.inputs.selectedItems():
            self.inputs.takeItem(self.inputs.row(item))

    def _pick_model(self):
        path, _ = QFileDialog.getOpenFileName(self, "Model", "", "Models (*.npz)")
        if path:
            self.model_path.setText(path)

    def _pick_output(self):
        path, _ = QFileDialog.getSaveFileName(self, "Results file", self.output.text(), "SQLite (*.sqlite *.db)",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.output.setText(path)

    def _check_output(self):
        exists = Path(self.output.text()).exists()
        self.resume_note.setText("This results file exists: the scan continues it (only the chunks not finished "
                                 "are scanned; use the same model and options)." if exists else "")

    def _accept(self):
        if self.inputs.count() == 0:
            QMessageBox.warning(self, "Scan videos", "Add at least one video or folder.")
            return
        if not self.output.text().strip():
            QMessageBox.warning(self, "Scan videos", "Give a results file.")
            return
        self.accept()

    def settings(self) -> dict:
        options = ScanOptions(detect_every=self.detect_every.value(), track_every=min(self.track_every.value(),
                                                                                     self.detect_every.value()),
                              min_face=self.min_face.value(), top=self.top.value(),
                              persons=tuple(p.strip() for p in self.persons.text().split(",") if p.strip()))
        output = Path(self.output.text().strip())
        return {"inputs": [self.inputs.item(i).text() for i in range(self.inputs.count())], "output": output,
                "options": options, "model_path": self.model_path.text().strip() or None,
                "workers": self.workers.value() or None, "scheduler": self.scheduler.text().strip() or None,
                "resume": output.exists()}
