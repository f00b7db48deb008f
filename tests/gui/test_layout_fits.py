"""The window fits a 1366 x 768 laptop screen and its content never widens it."""

import numpy as np
from PySide6.QtCore import QSize

from slrfr_gui.files.imageio import write_grey
from slrfr_gui.gui.common import PREFERRED_SIZE, ElidedLabel, image_label, initial_size


def long_named_gallery(tmp_path, synthetic_gallery):
    """The synthetic persons under names far too long for the results' columns."""
    folder, probes = synthetic_gallery
    long_folder = tmp_path / "long"
    for person in sorted(p.name for p in folder.iterdir()):
        target = long_folder / f"{person} Maximiliana Bartholomew-Featherstonehaugh"
        target.mkdir(parents=True)
        for image in (folder / person).iterdir():
            target.joinpath(image.name).write_bytes(image.read_bytes())
    return long_folder, probes


def test_the_window_fits_a_laptop_screen_and_does_not_grow_when_identifying(window, qtbot, synthetic_gallery,
                                                                             tmp_path):
    folder, probes = long_named_gallery(tmp_path, synthetic_gallery)
    with qtbot.waitSignal(window.gallery_loaded, timeout=20_000):
        window.open_gallery(folder)
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.training.btn_train.click()
    hint = window.minimumSizeHint()
    assert hint.width() <= 1366 and hint.height() <= 768, hint
    window.resize(1366, 740)
    qtbot.wait(50)
    width = window.width()
    probe = tmp_path / "probe.png"
    write_grey(probe, probes["person4"])
    with qtbot.waitSignal(window.identified, timeout=5_000):
        window.results.set_probe(probe)
    qtbot.wait(50)
    assert window.width() <= width
    assert window.minimumSizeHint().width() <= 1366
    # The long names are elided in the top three, whole in their tooltips.
    name = window.results.recon_names[0]
    assert "Featherstonehaugh" in name.toolTip() and name.is_elided()


def test_the_opening_size_is_bounded_by_the_screen():
    assert initial_size(QSize(1366, 740), "xcb") == QSize(1366, 740)
    assert initial_size(QSize(1600, 1000), "xcb") == PREFERRED_SIZE
    assert initial_size(QSize(800, 600), "offscreen") == PREFERRED_SIZE  # the made-up screen of --screenshot runs


def test_a_portrait_photo_stays_inside_its_frame(qtbot):
    label = image_label("", 120, 140, "", 84, 100)
    qtbot.addWidget(label)
    label.resize(100, 110)
    label.show()
    portrait = np.linspace(0, 1, 900 * 400).reshape(900, 400)
    label.set_image(portrait)
    inside = label.contentsRect()
    assert label.pixmap().width() <= inside.width() and label.pixmap().height() <= inside.height()
    label.resize(90, 100)  # fitted again when the layout shrinks it
    qtbot.wait(10)
    assert label.pixmap().height() <= label.contentsRect().height()
    tiny = np.eye(7, 6)  # a 7x6 probe magnified by whole pixels: blocks, not a blur
    label.set_image(tiny)
    assert label.pixmap().width() % 6 == 0 and label.pixmap().height() % 7 == 0


def test_an_elided_label_asks_for_little_room(qtbot):
    label = ElidedLabel("a very long name " * 10, 50)
    qtbot.addWidget(label)
    assert label.minimumSizeHint().width() == 50
    assert label.sizeHint().width() <= 240
    assert label.toolTip().startswith("a very long name")


def test_an_empty_scan_panel_says_how_to_fill_it_and_the_scan_dock_spares_the_left_docks(window, qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from slrfr_gui.gui.scan_panel import ScanPanel

    panel = ScanPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert panel.placeholder.isVisible() and not panel.plot.isVisible()
    assert "Open results" in panel.placeholder.text() and "Scan videos" in panel.placeholder.text()
    assert panel.table.minimumHeight() >= 3 * 52  # three appearances at least, not one of 25
    assert not panel.open_results(tmp_path / "missing.sqlite", quiet=True)
    assert panel.placeholder.isVisible() and panel.content.isHidden()
    # The bottom docks sit under the central area; the gallery review keeps the full height on the left.
    assert window.corner(Qt.Corner.BottomLeftCorner) == Qt.DockWidgetArea.LeftDockWidgetArea
    window.resize(1280, 800)
    window.scan_dock.show()
    qtbot.wait(50)
    review = window.review_dock.geometry()
    scan = window.scan_dock.geometry()
    assert not review.intersects(scan), (review, scan)
    assert window.review_dock.height() >= window.review_dock.minimumSizeHint().height()
