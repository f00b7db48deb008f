"""Settings that are damaged, of the wrong type or from a newer version are reset with a notice, never a crash."""

import logging

import pytest
from PySide6.QtCore import QSettings

from slrfr_gui.gui import settings
from slrfr_gui.gui.window import MainWindow

pytestmark = pytest.mark.timeout(60)


def open_window(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    return win


def test_values_of_the_wrong_type_are_reset_with_a_notice(qtbot, caplog):
    s = QSettings()
    s.setValue("train/sparsity", "banana")
    s.setValue("train/n_iter", -5)
    s.setValue("train/n_atoms", 3.7)
    s.setValue("train/auto_retrain", "maybe")
    s.setValue("results/top", [1, 2])
    s.setValue("recent/galleries", 123)
    s.setValue("view/resolution", "\x00garbage")
    s.setValue("train/n_components", 40)  # a good value stays
    s.sync()
    with caplog.at_level(logging.WARNING):
        win = open_window(qtbot)
    for key in ("train/sparsity", "train/n_iter", "train/n_atoms", "train/auto_retrain", "results/top",
                "recent/galleries", "view/resolution"):
        # Removed, so the default applies (the window writes the resolution it starts at).
        assert QSettings().value(key) == (settings.default(key) if key == "view/resolution" else None), key
        assert any(key in notice for notice in win.settings_notices), key
        assert key in caplog.text
    assert settings.read("train/n_components") == 40
    assert win.training.sparsity.value() == settings.default("train/sparsity")
    assert win.resolution == (7, 6)
    # Seen by the user without blocking: a box left open, and the status bar.
    assert win.notice.isVisible() and "train/sparsity" in win.notice.text()
    assert "reset" in win.statusBar().currentMessage()


def test_settings_from_a_newer_version_are_reset_as_a_whole(qtbot, caplog):
    s = QSettings()
    s.setValue(settings.VERSION_KEY, settings.SETTINGS_VERSION + 5)
    s.setValue("train/sparsity", 7)  # valid here, but its meaning may have changed
    s.setValue("view/resolution", "12x10")
    s.sync()
    with caplog.at_level(logging.WARNING):
        win = open_window(qtbot)
    assert len(win.settings_notices) == 1 and "newer" in win.settings_notices[0]
    assert "newer" in caplog.text
    assert settings.read("train/sparsity") == settings.default("train/sparsity")
    assert win.resolution == (7, 6)
    assert int(QSettings().value(settings.VERSION_KEY)) == settings.SETTINGS_VERSION


@pytest.mark.parametrize("version", ["not a number", "9" * 40 + "x", [1, 2]])
def test_a_damaged_version_mark_resets_everything(qtbot, version):
    s = QSettings()
    s.setValue(settings.VERSION_KEY, version)
    s.setValue("train/sparsity", 7)
    s.sync()
    notices = settings.check()
    assert len(notices) == 1 and "version mark" in notices[0]
    assert settings.read("train/sparsity") == settings.default("train/sparsity")
    assert settings.check() == []  # repaired: nothing to say the next time


def test_a_settings_file_of_garbage_does_not_stop_the_start(qtbot):
    path = QSettings().fileName()
    from pathlib import Path

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(b"\xff\xfe\x00[[[train]\nsparsity=\x00\x01\nview/resolution = 99x99\n\x80\x81" * 50)
    win = open_window(qtbot)
    assert win.resolution == (7, 6)
    assert settings.read("train/sparsity") == settings.default("train/sparsity")


def test_good_settings_give_no_notice(qtbot):
    settings.write("train/sparsity", 5)
    settings.write("view/resolution", "12x10")
    settings.write("recent/models", ["/a/m.npz", "/b/m.npz"])
    settings.write("train/auto_retrain", True)
    assert settings.check() == []
    win = open_window(qtbot)
    assert win.settings_notices == [] and not hasattr(win, "notice")
    assert win.resolution == (12, 10) and win.training.sparsity.value() == 5
    assert settings.read("recent/models") == ["/a/m.npz", "/b/m.npz"] and settings.read("train/auto_retrain") is True


def test_a_typed_odd_resolution_is_for_this_session_only(qtbot):
    win = open_window(qtbot)
    win.resolution_bar.set_resolution((12, 10))
    win.resolution_bar.edit.setText("31x29")
    win.resolution_bar.edit.editingFinished.emit()
    assert win.resolution == (31, 29)  # used now ...
    assert settings.read("view/resolution") == "12x10"  # ... but the slider size is what is remembered
    win.close()
    assert open_window(qtbot).resolution == (12, 10)
    # One stored by an older version is not restored either, and the user is told why.
    QSettings().setValue("view/resolution", "31x29")
    win = open_window(qtbot)
    assert win.resolution == (7, 6)
    assert any("31x29" in n and "slider" in n for n in win.settings_notices)


def test_recent_paths_are_resolved_so_one_folder_is_listed_once(tmp_path, monkeypatch):
    (tmp_path / "g").mkdir()
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    settings.add_recent("recent/galleries", "../g")
    items = settings.add_recent("recent/galleries", str(tmp_path / "g"))
    assert items == [str((tmp_path / "g").resolve())]
