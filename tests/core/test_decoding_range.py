"""Issue 15, items 10, 16 and 17: 12-bit data in 16-bit files, huge phone photos, empty files."""

import numpy as np
import pytest
from PIL import Image

from slrfr_gui.errors import ImageReadError
from slrfr_gui.files.imageio import read_grey


def test_twelve_bit_values_in_a_sixteen_bit_png_read_as_the_full_range_copy(tmp_path):
    grey = np.linspace(0.05, 0.95, 48 * 40).reshape(48, 40)
    Image.fromarray(np.round(grey * 4095).astype(np.uint16)).save(tmp_path / "12bit.png")
    Image.fromarray(np.round(grey * 65535).astype(np.uint16)).save(tmp_path / "16bit.png")
    twelve, sixteen = read_grey(tmp_path / "12bit.png"), read_grey(tmp_path / "16bit.png")
    assert np.abs(twelve - sixteen).max() < 1e-3  # before: 16 times too dark
    # Real 16-bit data (values above 4095) keeps its scale.
    assert sixteen.max() == pytest.approx(0.95, abs=1e-4)


def test_an_empty_file_is_called_empty(tmp_path):
    (tmp_path / "zero.png").write_bytes(b"")
    with pytest.raises(ImageReadError, match=r"zero.png: empty file \(0 bytes\)"):
        read_grey(tmp_path / "zero.png")


def test_a_jpeg_over_the_pixel_limit_is_decoded_reduced_others_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)  # stands for 100 million: a 108 MP photo
    rng = np.random.default_rng(0)
    photo = (rng.uniform(0, 1, (1000, 1600)) * 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "big.jpg", quality=90)
    Image.fromarray(photo).save(tmp_path / "big.png")
    assert read_grey(tmp_path / "big.jpg").shape == (500, 800)  # before: refused outright
    with pytest.raises(ImageReadError, match="too large to be a face image .over 1 million pixels; JPEGs up to 2"):
        read_grey(tmp_path / "big.png")
