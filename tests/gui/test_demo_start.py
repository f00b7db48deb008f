"""The start page and the built-in demo."""

import json

from slrfr_gui.gui import settings
from slrfr_gui.gui.app import main
from slrfr_gui.gui.window import MainWindow


def test_the_start_page_offers_three_ways_in_and_recent_work(qtbot, tmp_path):
    gone = tmp_path / "gone"
    here = tmp_path / "here"
    here.mkdir()
    settings.add_recent("recent/galleries", str(gone))
    settings.add_recent("recent/galleries", str(here))
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    assert win.pages.currentWidget() is win.welcome
    items = [win.welcome.recent_galleries.item(i) for i in range(win.welcome.recent_galleries.count())]
    assert [i.text().split()[0] for i in items] == ["here", "gone"]
    assert items[1].text().endswith("(not found)") and str(tmp_path) in items[0].text()
    assert win.welcome.recent_models.item(0).text() == "(none yet)"
    opened = []
    win.open_gallery = opened.append
    win.welcome.recent_galleries.itemActivated.emit(items[0])
    win.welcome.recent_galleries.itemActivated.emit(items[1])  # not offered: nothing happens
    assert opened == [str(here)]
    for button in (win.welcome.btn_open, win.welcome.btn_demo, win.welcome.btn_webcam):
        assert button.isVisible() and button.toolTip()


def test_try_the_demo_trains_and_identifies_a_probe_without_asking_to_save(qtbot, answers):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.model_ready, timeout=60_000):
        win.welcome.btn_demo.click()
    assert win.pages.currentWidget() is win.main_page
    assert win.demo_dock.isVisible() and len(win.demo_panel.probes) == 24
    assert len(win.gallery.persons) == 12 and win.model is not None
    probe = win.demo_panel.probes[5]
    win.demo_panel.choose(5)
    assert win.results.result is not None and win.results.result.ranked[0][0] == probe.person
    assert probe.person in win.results.probe_source
    # The demo is nothing to lose: closing asks no question.
    assert not win.has_unsaved_work()
    win.close()
    assert not [a for a in answers.asked if a[0] == "unsaved"]


def test_an_edited_demo_gallery_is_unsaved_work(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model_ready, timeout=60_000):
        win.open_demo()
    assert not win.has_unsaved_work()
    win.enroll_faces("Zoe", [win.demo_panel.probes[0].image])
    assert win.has_unsaved_work() and "edited" in win.unsaved_description()


def test_slrfr_gui_demo_screenshot_writes_the_picture_and_the_ranking(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QApplication

    shot, ranked = tmp_path / "demo.png", tmp_path / "demo.json"
    monkeypatch.setattr(QApplication, "exec", lambda self=None: 0)
    main(["--demo", "--screenshot", str(shot), "--json", str(ranked)])
    qtbot.waitUntil(ranked.exists, timeout=60_000)
    assert shot.stat().st_size > 10_000
    result = json.loads(ranked.read_text())
    assert result[0]["probe"].startswith("demo probe: Ada")
    assert result[0]["ranked"][0]["person"] == "Ada"


def test_demo_with_a_gallery_is_a_usage_error(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit) as exit_:
        main(["--demo", "--gallery", str(tmp_path)])
    assert exit_.value.code == 2
    assert "--demo" in capsys.readouterr().err
