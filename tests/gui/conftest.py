import pytest

pytest.importorskip("pytestqt")


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Every GUI test gets its own QSettings and log folder, so runs never share state."""
    from PySide6.QtCore import QSettings, QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        app.setOrganizationName("slrfr-gui-tests")
        app.setApplicationName("slrfr-gui-tests")
    yield


@pytest.fixture(autouse=True)
def answers(monkeypatch):
    """The window's questions answered without a modal dialog: closing discards, no restore, no file names.

    Tests set ``answers.unsaved`` / ``answers.restore`` / ``answers.paths`` and read ``answers.asked``
    (every question and crash report, in order).
    """
    from types import SimpleNamespace

    from slrfr_gui.gui import dialogs

    state = SimpleNamespace(unsaved=dialogs.DISCARD, restore=False, paths=[], asked=[], crashes=[])

    def ask_unsaved(parent, text):
        state.asked.append(("unsaved", text))
        return state.unsaved

    def ask_restore(parent, text):
        state.asked.append(("restore", text))
        return state.restore

    def ask_save_path(parent, title, name, filters):
        state.asked.append(("path", title))
        return str(state.paths.pop(0)) if state.paths else ""

    def show_crash(parent, text, details):
        state.crashes.append((text, details))

    import sys
    import threading

    # main() installs the crash hooks; they must not outlive the test that ran it.
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(dialogs, "ask_unsaved", ask_unsaved)
    monkeypatch.setattr(dialogs, "ask_restore", ask_restore)
    monkeypatch.setattr(dialogs, "ask_save_path", ask_save_path)
    monkeypatch.setattr(dialogs, "show_crash", show_crash)
    return state


@pytest.fixture
def window(qtbot):
    """A shown main window; a task still running at the end is cancelled and waited for."""
    from slrfr_gui.gui.window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.busy():
        win.task.cancel()
        win.task.wait(10_000)
