"""Every kind of image a person may drop decodes to the same grey levels, or fails with one line naming the file."""

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from slrfr_gui.errors import ImageReadError
from slrfr_gui.gallery.gallery import load_gallery
from slrfr_gui.files.imageio import read_grey

GREY = (np.arange(48 * 40).reshape(48, 40) % 200 + 20).astype(np.uint8)


def rgb():
    return np.stack([GREY, GREY, GREY], axis=-1)


WRITERS = {
    "png": lambda p: Image.fromarray(GREY).save(p, "PNG"),
    "bmp": lambda p: Image.fromarray(rgb()).save(p, "BMP"),
    "tif": lambda p: Image.fromarray(GREY).save(p, "TIFF"),
    "pgm": lambda p: Image.fromarray(GREY).save(p, "PPM"),
    "ppm": lambda p: Image.fromarray(rgb()).save(p, "PPM"),
    "gif": lambda p: Image.fromarray(GREY).save(p, "GIF"),
    "webp": lambda p: Image.fromarray(rgb()).save(p, "WEBP", lossless=True),
    "palette.png": lambda p: Image.fromarray(GREY).convert("P").save(p, "PNG"),
    "alpha.png": lambda p: Image.fromarray(np.dstack([rgb(), np.full((48, 40), 255, np.uint8)])).save(p, "PNG"),
    "cmyk.tif": lambda p: Image.fromarray(rgb()).convert("CMYK").save(p, "TIFF"),
    "16bit.png": lambda p: Image.fromarray(GREY.astype(np.uint16) * 257).save(p, "PNG"),
    "noextension": lambda p: Image.fromarray(GREY).save(p, "PNG"),
    "wrong.jpg": lambda p: Image.fromarray(GREY).save(p, "PNG"),
    "grüße_人脸.png": lambda p: Image.fromarray(GREY).save(p, "PNG"),
}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_every_kind_gives_the_same_grey_levels(tmp_path, name):
    path = tmp_path / f"face.{name}" if "." not in name and name != "noextension" else tmp_path / name
    WRITERS[name](path)
    grey = read_grey(path)
    assert grey.shape == (48, 40)
    tolerance = 3.0 / 255 if "cmyk" in name else 0.6 / 255
    np.testing.assert_allclose(grey, GREY / 255.0, atol=tolerance)


def test_jpeg_and_exif_orientation(tmp_path):
    Image.fromarray(GREY).save(tmp_path / "f.jpg", quality=95)
    assert np.abs(read_grey(tmp_path / "f.jpg") - GREY / 255.0).mean() < 0.02
    exif = Image.Exif()
    exif[0x0112] = 8  # rotate 90 degrees counter-clockwise for display
    Image.fromarray(GREY).save(tmp_path / "r.jpg", exif=exif, quality=95)
    assert read_grey(tmp_path / "r.jpg").shape == (40, 48)


def png_header_only(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b"")


BAD = {
    "empty.png": b"",
    "text.png": b"hello, I am not an image",
    "truncated.png": None,  # filled below
    "corrupt.jpg": b"\xff\xd8\xff\xe0" + b"\x13" * 40,
    "bomb.png": png_header_only(30000, 30000),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_give_one_line_naming_the_file(tmp_path, name):
    data = BAD[name]
    if data is None:
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200), dtype=np.uint8)).save(tmp_path / "full.png")
        data = (tmp_path / "full.png").read_bytes()[:500]
    (tmp_path / name).write_bytes(data)
    with pytest.raises(ImageReadError) as err:
        read_grey(tmp_path / name)
    message = str(err.value)
    assert name in message and "\n" not in message
    if name == "bomb.png":
        assert "too large" in message


def test_a_gallery_goes_on_past_bad_files(tmp_path):
    person = tmp_path / "g" / "Ana"
    person.mkdir(parents=True)
    Image.fromarray(GREY).save(person / "good.png")
    for name, data in BAD.items():
        (person / name).write_bytes(data or b"\x89PNG\r\n")
    gallery = load_gallery(tmp_path / "g", warn=False)
    assert gallery.count("Ana") == 1
    assert {p.name for p, _ in gallery.skipped} == set(BAD)
