"""The window's log and its crash reports: where errors go when nobody is watching the terminal.

:func:`setup_logging` logs to stderr and to a rotating file in the platform's log folder
(:func:`log_folder`); :func:`install_excepthook` logs an unexpected exception from any slot or
thread and shows the crash dialog (:func:`~slrfr_gui.gui.dialogs.show_crash`) with the log's path,
instead of the application vanishing. Records of messages the user is already shown carry
``extra=SHOWN``: they go to the file, not a second time to the terminal.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal
from PySide6.QtWidgets import QApplication, QMainWindow

from . import dialogs

log = logging.getLogger("slrfr_gui")


def log_folder() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(base or Path.home() / ".slrfr-gui") / "logs"


_log_handler: RotatingFileHandler | None = None

#: ``extra`` for log records of messages the user is shown (dialog, status bar, and ``slrfr-gui: error:``
#: on the terminal by :func:`main`): they go to the log file, not a second time to the terminal.
SHOWN = {"shown": True}


class _NotShownFilter(logging.Filter):
    def filter(self, record):
        return not getattr(record, "shown", False)


def setup_logging(folder=None) -> Path | None:
    """Log to stderr and to a rotating file (1 MB, 3 old files kept) in ``folder`` (by default
    :func:`log_folder`); returns the file, or None when it cannot be written. Calling it again moves
    the log rather than adding a second file handler."""
    global _log_handler
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    for handler in root.handlers:
        if type(handler) is logging.StreamHandler and not any(isinstance(f, _NotShownFilter) for f in handler.filters):
            handler.addFilter(_NotShownFilter())
    if _log_handler is not None:
        root.removeHandler(_log_handler)
        _log_handler.close()
        _log_handler = None
    try:
        folder = Path(folder) if folder is not None else log_folder()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "slrfr-gui.log"
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    _log_handler = handler
    return path


class _CrashReporter(QObject):
    """Carries an unexpected error from any thread to the GUI thread, where the crash dialog is shown."""

    crashed = Signal(str, str)  # message, traceback

    def __init__(self, log_path):
        super().__init__()
        self.log_path = log_path
        self.showing = False
        self.crashed.connect(self._show)

    def _show(self, message, details):
        if self.showing:  # an error while the dialog is up is logged, not stacked
            return
        self.showing = True
        try:
            where = f"The details are in the log: {self.log_path}" if self.log_path else \
                "The log could not be written; the details follow."
            parent = next((w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()),
                          None)
            dialogs.show_crash(parent, f"{message}\n\n{where}", details)
        finally:
            self.showing = False


def install_excepthook(log_path):
    """Log unexpected exceptions (in slots, event handlers and threads) and show a crash dialog with the
    log's path instead of vanishing. Returns the reporter (it must live as long as the hook)."""
    reporter = _CrashReporter(log_path)

    def report(kind, value, tb, where=""):
        text = "".join(traceback.format_exception(kind, value, tb))
        log.critical("unexpected error%s\n%s", where, text)
        if QApplication.instance() is not None:
            reporter.crashed.emit(f"{kind.__name__}: {value}", text)  # queued when not on the GUI thread

    def thread_hook(args):
        if args.exc_type is not SystemExit:
            report(args.exc_type, args.exc_value, args.exc_traceback,
                   f" in thread {args.thread.name if args.thread else '?'}")

    sys.excepthook = report
    threading.excepthook = thread_hook
    return reporter
