"""A model opened without its gallery: its persons are listed and the relighting says why it is empty."""

from slrfr_gui.gui.window import MainWindow


def test_a_model_without_its_gallery_lists_its_persons_and_hides_the_empty_relighting(window, qtbot,
                                                                                      synthetic_gallery, tmp_path):
    folder, _ = synthetic_gallery
    with qtbot.waitSignal(window.gallery_loaded, timeout=20_000):
        window.open_gallery(folder)
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.training.btn_train.click()
    assert window.save_model(tmp_path / "m.npz")

    alone = MainWindow()
    alone.confirm_close = False
    qtbot.addWidget(alone)
    alone.show()
    with qtbot.waitSignal(alone.model_ready, timeout=5_000):
        assert alone.open_model(tmp_path / "m.npz")
    panel = alone.gallery_panel
    names = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
    assert names == [f"person{i}" for i in range(1, 7)]
    assert "Model with 6 persons loaded" in panel.summary.text() and "No gallery yet" not in panel.summary.text()
    assert not alone.relight_view.canvas.isVisible()  # no grid of empty panels
    assert "open its gallery folder" in alone.relight_view.caption.text()
    # Opening the gallery then shows its images and their relighting as usual.
    with qtbot.waitSignal(alone.gallery_loaded, timeout=20_000):
        alone.open_gallery(folder)
    qtbot.waitUntil(lambda: alone.relight_view.canvas.isVisible(), timeout=5_000)
    assert "Model with" not in panel.summary.text()
