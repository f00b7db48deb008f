"""The questions and notices the window puts to the user, in one place.

Each is a plain module function, called through the module (``dialogs.ask_unsaved(...)``), so a test
(or a script driving the window) can replace it and answer without a modal dialog blocking the run.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


def notify(parent, title: str, text: str, details: str = "") -> QMessageBox:
    """Show a notice without blocking (the box stays until the user closes it); returns the box."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.open()
    return box


def ask_unsaved(parent, text: str) -> str:
    """Ask what to do with unsaved work on closing: :data:`SAVE`, :data:`DISCARD` or :data:`CANCEL`."""
    buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
               | QMessageBox.StandardButton.Cancel)
    answer = QMessageBox.warning(parent, "slrfr-gui: unsaved work", text, buttons, QMessageBox.StandardButton.Save)
    return {QMessageBox.StandardButton.Save: SAVE, QMessageBox.StandardButton.Discard: DISCARD}.get(answer, CANCEL)


def ask_save_path(parent, title: str, name: str, filters: str) -> str:
    """A file name to save to, or "" when the user cancels."""
    path, _ = QFileDialog.getSaveFileName(parent, title, name, filters)
    return path


def ask_restore(parent, text: str) -> bool:
    """Whether to restore the work autosaved by a session that did not exit cleanly."""
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    answer = QMessageBox.question(parent, "slrfr-gui: restore unsaved work?", text, buttons,
                                  QMessageBox.StandardButton.Yes)
    return answer == QMessageBox.StandardButton.Yes


def show_crash(parent, text: str, details: str) -> None:
    """Report an unexpected error (a bug): the message, the log's path, the traceback folded away."""
    box = QMessageBox(QMessageBox.Icon.Critical, "slrfr-gui: unexpected error", text, QMessageBox.StandardButton.Ok,
                      parent)
    box.setDetailedText(details)
    box.exec()
