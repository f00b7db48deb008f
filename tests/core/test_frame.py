import numpy as np
import pytest

from slrfr_gui.faces.frame import (check_resolution, degrade, format_resolution, parse_resolution, prepare_probe,
                                  to_frame, yale_crop)


def test_parse_and_format_resolution():
    assert parse_resolution("7x6") == (7, 6)
    assert parse_resolution(" 19 X 16 ") == (19, 16)
    assert format_resolution((12, 10)) == "12x10"
    for bad in ("7", "7x", "x6", "seven", "4x4", "49x40", "7x3"):
        with pytest.raises(ValueError):
            parse_resolution(bad)
    with pytest.raises(ValueError, match="rows, columns"):
        check_resolution(None)


def test_degrade_matches_protocol_operator():
    import cv2

    rng = np.random.default_rng(0)
    img = rng.random((48, 40))
    out = degrade(img, (7, 6))
    blurred = cv2.GaussianBlur(img, (0, 0), sigmaX=0.5 * 40 / 6, sigmaY=0.5 * 48 / 7)
    expected = cv2.resize(blurred, (6, 7), interpolation=cv2.INTER_AREA)
    assert out.shape == (7, 6)
    np.testing.assert_allclose(out, expected)


def test_degrade_is_linear_and_batched():
    rng = np.random.default_rng(1)
    a, b = rng.random((2, 48, 40))
    np.testing.assert_allclose(degrade(2 * a - 3 * b, (12, 10)), 2 * degrade(a, (12, 10)) - 3 * degrade(b, (12, 10)),
                               atol=1e-12)
    batch = degrade(np.stack([a, b]), (12, 10))
    np.testing.assert_allclose(batch[1], degrade(b, (12, 10)))
    # A constant image stays constant (the operator preserves the mean level).
    np.testing.assert_allclose(degrade(np.full((48, 40), 0.3), (7, 6)), 0.3, atol=1e-12)


def test_degrade_same_size_is_identity_and_smaller_is_enlarged():
    img = np.random.default_rng(2).random((7, 6))
    np.testing.assert_array_equal(degrade(img, (7, 6)), img)
    assert prepare_probe(img[:5, :4], (7, 6)).shape == (7, 6)


def test_yale_crop_and_to_frame():
    img = np.zeros((192, 168))
    img[:, 4:164] = 1.0
    np.testing.assert_allclose(yale_crop(img), 1.0)
    with pytest.raises(ValueError, match="192x168"):
        yale_crop(np.zeros((10, 10)))
    assert to_frame(np.ones((96, 80))).shape == (48, 40)
    assert to_frame(np.ones((24, 20))).shape == (48, 40)


def test_probe_problem():
    from slrfr_gui.faces.frame import probe_problem

    assert probe_problem(np.random.default_rng(0).random((7, 6))) is None
    assert "too small" in probe_problem(np.zeros((1, 1)))
    assert "blank" in probe_problem(np.full((48, 40), 0.7))
    bad = np.random.default_rng(0).random((7, 6))
    bad[0, 0] = np.nan
    assert "not numbers" in probe_problem(bad)


def test_large_probe_goes_through_the_frame_like_the_gallery():
    big = np.random.default_rng(1).random((480, 400))
    np.testing.assert_allclose(prepare_probe(big, (7, 6)), degrade(to_frame(big), (7, 6)))


def test_upsampling_warning_names_both_sizes_only_when_the_probe_is_enlarged():
    from slrfr_gui.method.params import upsampling_warning

    message = upsampling_warning((7, 6), (12, 10))
    assert "7x6" in message and "12x10" in message and "up-sampled" in message
    assert upsampling_warning((12, 9), (12, 10)) is not None  # one axis is enough
    assert upsampling_warning((7, 6), (7, 6)) is None
    assert upsampling_warning((48, 40), (12, 10)) is None
    assert upsampling_warning((200, 41), (12, 10)) is None  # reduced to the frame first
