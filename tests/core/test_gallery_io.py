import numpy as np
import pytest
from PIL import Image

from slrfr_gui.errors import GalleryError, ImageReadError
from slrfr_gui.gallery.gallery import SkippedFilesWarning, load_gallery
from slrfr_gui.files.imageio import read_grey


def test_gallery_skips_junk_and_reports_empty_persons(synthetic_gallery):
    folder, _ = synthetic_gallery
    (folder / "person1" / "notes.txt").write_text("not an image")
    (folder / "person2" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (folder / "nobody").mkdir()
    (folder / "nobody" / "readme.md").write_text("#")
    (folder / "stray.png").write_bytes(b"")
    (folder / "person3" / ".DS_Store").write_bytes(b"junk")
    with pytest.warns(SkippedFilesWarning) as record:
        gallery = load_gallery(folder)
    assert len(record) == 1
    message = str(record[0].message)
    for name in ("notes.txt", "broken.png", "readme.md", "stray.png", "nobody"):
        assert name in message
    assert ".DS_Store" not in message
    assert gallery.persons == [f"person{i}" for i in range(1, 7)] + ["nobody"]
    assert gallery.faces.shape == (12, 48, 40)
    assert gallery.empty_persons == ["nobody"]
    assert gallery.count("person1") == 2


def test_gallery_errors_name_the_folder(tmp_path):
    with pytest.raises(GalleryError, match="no such folder"):
        load_gallery(tmp_path / "missing")
    with pytest.raises(GalleryError, match="no person sub-folder"):
        load_gallery(tmp_path)
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "x.txt").write_text("x")
    with pytest.raises(GalleryError, match="no person folder holds a readable image"):
        load_gallery(tmp_path, warn=False)


def test_read_grey_formats(tmp_path):
    rgb = np.zeros((20, 16, 3), np.uint8)
    rgb[..., 0] = 255
    Image.fromarray(rgb).save(tmp_path / "red.jpg")
    Image.fromarray(rgb).save(tmp_path / "red.gif")
    Image.fromarray((np.arange(320).reshape(20, 16) * 200).astype(np.uint16)).save(tmp_path / "deep.png")
    rgba = np.zeros((20, 16, 4), np.uint8)
    Image.fromarray(rgba).save(tmp_path / "clear.png")
    Image.fromarray(np.full((20, 16), 128, np.uint8)).save(tmp_path / "noext", format="PNG")
    assert read_grey(tmp_path / "red.jpg").shape == (20, 16)
    assert read_grey(tmp_path / "red.jpg").mean() == pytest.approx(0.299, abs=0.02)
    assert read_grey(tmp_path / "red.gif").shape == (20, 16)
    deep = read_grey(tmp_path / "deep.png")
    assert deep.max() == pytest.approx(319 * 200 / 65535)
    np.testing.assert_allclose(read_grey(tmp_path / "clear.png"), 1.0)  # transparent -> white
    assert read_grey(tmp_path / "noext").mean() == pytest.approx(128 / 255)


def test_read_grey_applies_exif_orientation(tmp_path):
    img = Image.fromarray(np.zeros((10, 30), np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    img.save(tmp_path / "rot.jpg", exif=exif)
    assert read_grey(tmp_path / "rot.jpg").shape == (30, 10)


def test_read_grey_errors_name_the_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "junk.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 10)
    for name in ("empty.png", "junk.jpg", "missing.png"):
        with pytest.raises(ImageReadError, match=name):
            read_grey(tmp_path / name)
    with pytest.raises(ImageReadError, match="folder"):
        read_grey(tmp_path)


def test_gallery_editing_and_file_round_trip(synthetic_gallery, tmp_path):
    from slrfr_gui.gallery.gallery import Gallery

    folder, probes = synthetic_gallery
    gallery = load_gallery(folder)
    gallery.add_person("Zoë")
    with pytest.raises(GalleryError, match="already"):
        gallery.add_person("zoë")
    with pytest.raises(GalleryError, match="empty"):
        gallery.add_person("  ")
    assert gallery.empty_persons == ["Zoë"]
    gallery.add_face("Zoë", probes["person1"], name="new.png")
    gallery.rename_person("person2", "Bob")
    assert gallery.count("Bob") == 2 and "person2" not in gallery.persons
    with pytest.raises(GalleryError, match="already"):
        gallery.rename_person("Bob", "PERSON3")
    removed = gallery.remove_person("person3")
    assert len(removed) == 2
    gallery.remove_image(gallery.images_of("person4")[0])
    gallery.rename_image(gallery.images_of("person4")[0], "kept.png")
    assert gallery.faces.shape == (10, 48, 40)
    assert list(gallery.labels).count("Zoë") == 1

    path = gallery.save(tmp_path / "g.slrfr-gallery")
    again = Gallery.open(path)
    assert again.persons == gallery.persons
    np.testing.assert_allclose(again.faces, gallery.faces, atol=1e-6)
    assert [im.name for im in again.images_of("person4")] == ["kept.png"]
    (tmp_path / "bad").write_bytes(path.read_bytes()[:50])
    with pytest.raises(GalleryError, match="bad"):
        Gallery.open(tmp_path / "bad")
