"""Long file work (saving a large model) in a worker, with a progress dialog, the window kept live.

:func:`run_in_background` runs ``fn(progress, should_stop)`` in a :class:`~slrfr_gui.gui.worker.Task`
while a window-modal progress dialog shows the bytes written and offers Cancel; the caller gets the
outcome as if the call had been made directly, but the GUI thread keeps painting meanwhile (a
304-person model took the window 14-16 s when saved on the GUI thread).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QProgressDialog

from .worker import Task

#: The dialog appears only for work that lasts longer than this (ms): a small model saves unseen.
SHOW_AFTER_MS = 400


@dataclass
class Outcome:
    """How background work ended: ``result`` when it returned, else ``error`` (message, details) or
    ``cancelled``."""

    result: object = None
    error: tuple | None = None
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.cancelled


def run_in_background(parent, fn, label: str, name: str = "save") -> Outcome:
    """Run ``fn(progress, should_stop)`` on a worker thread; return its :class:`Outcome` when it ends.

    A window-modal progress dialog (``label``, a percentage, Cancel) shows after
    :data:`SHOW_AFTER_MS`; events are processed meanwhile, so the window repaints and no input
    reaches it but the dialog's.
    """
    task = Task(fn, name, parent)
    outcome = Outcome()
    loop = QEventLoop()
    dialog = QProgressDialog(label, "Cancel", 0, 1000, parent)
    dialog.setWindowTitle("slrfr-gui")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumDuration(0)
    dialog.hide()
    show = QTimer()
    show.setSingleShot(True)
    show.timeout.connect(dialog.show)
    dialog.canceled.connect(task.cancel)
    task.progress.connect(lambda done, total, _stage: dialog.setValue(int(1000 * done / max(total, 1))))
    task.returned.connect(lambda result: setattr(outcome, "result", result))
    task.errored.connect(lambda message, details: setattr(outcome, "error", (message, details)))
    task.cancelled.connect(lambda: setattr(outcome, "cancelled", True))
    task.finished.connect(loop.quit)
    task.start()
    show.start(SHOW_AFTER_MS)
    if task.is_running():
        loop.exec()
    show.stop()
    dialog.hide()
    dialog.deleteLater()
    task.deleteLater()
    return outcome
