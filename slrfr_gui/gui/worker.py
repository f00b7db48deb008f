"""Run core work in a QThread, report through signals, stop cooperatively.

The core's long operations take ``progress`` and ``should_stop`` callables; a
:class:`Task` wraps one such call, runs it on its own thread and emits only
plain data. Workers never touch widgets.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from ..errors import Cancelled, SLRFRError

log = logging.getLogger(__name__)


class _Runner(QObject):
    progress = Signal(int, int, str)
    returned = Signal(object)
    errored = Signal(str, str)  # message, traceback
    cancelled = Signal()
    finished = Signal()

    def __init__(self, fn, stop: threading.Event):
        super().__init__()
        self._fn = fn
        self._stop = stop
        self._last_emit = 0.0

    def _progress(self, done, total, stage=""):
        # Emit at most every 30 ms (and always the last step): the GUI thread
        # must not drown in queued signals.
        now = time.monotonic()
        stage = str(stage or "")
        if done >= total or now - self._last_emit >= 0.03 or stage != getattr(self, "_last_stage", stage):
            self._last_emit, self._last_stage = now, stage
            self.progress.emit(int(done), int(total), str(stage or ""))

    @Slot()
    def run(self):
        try:
            result = self._fn(self._progress, self._stop.is_set)
        except Cancelled:
            self.cancelled.emit()
        except SLRFRError as exc:
            # A named error is a message for the user, not a bug: no traceback.
            self.errored.emit(str(exc), "")
        except Exception as exc:  # noqa: BLE001 - reported to the user, never lost
            log.exception("worker failed")
            self.errored.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        else:
            self.returned.emit(result)
        finally:
            self.finished.emit()


class Task(QObject):
    """One piece of core work on its own thread.

    ``fn(progress, should_stop)`` runs on the worker thread. Signals (all
    delivered on the thread that made the Task): ``progress(done, total,
    stage)``, ``returned(result)``, ``errored(message, traceback)``,
    ``cancelled()``, and ``finished()`` last in every case.
    """

    progress = Signal(int, int, str)
    returned = Signal(object)
    errored = Signal(str, str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, fn, name: str = "task", parent=None):
        super().__init__(parent)
        self.name = name
        self._stop = threading.Event()
        self._thread = QThread()
        self._thread.setObjectName(name)
        self._runner = _Runner(fn, self._stop)
        self._runner.moveToThread(self._thread)
        self._thread.started.connect(self._runner.run)
        self._runner.progress.connect(self.progress)
        self._runner.returned.connect(self.returned)
        self._runner.errored.connect(self.errored)
        self._runner.cancelled.connect(self.cancelled)
        # Direct: quit() is thread-safe, and a queued call would never arrive while the
        # window's thread is blocked in wait() (closing during training).
        self._runner.finished.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread.finished.connect(self._on_thread_finished)
        self.started_at = 0.0
        self._active = False

    def start(self) -> None:
        self.started_at = time.monotonic()
        self._active = True
        self._thread.start()

    def _on_thread_finished(self) -> None:
        self._active = False
        self.finished.emit()

    def cancel(self) -> None:
        """Ask the work to stop at its next check; ``cancelled`` follows."""
        self._stop.set()

    def is_running(self) -> bool:
        """True from ``start`` until ``finished`` has been delivered."""
        return self._active or self._thread.isRunning()

    def wait(self, ms: int = 10_000) -> bool:
        """Block until the thread ends (used when the window closes)."""
        return self._thread.wait(ms)
