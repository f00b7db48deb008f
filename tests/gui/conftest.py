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
