"""How a gallery is framed, the crop regime it selects, and the generic metric's parts."""

import numpy as np
import pytest

from slrfr_gui.method.learned import LearnedRelightingClassifier
from slrfr_gui.faces.frame import FRAME_SHAPE, degrade
from slrfr_gui.method.framing import CROP_MOVES, Framing, canonical_framing, estimate_framing, move_faces
from slrfr_gui.method.generic import (LIGHT_FRAMINGS, _compress, _expand, compose_generic_metric, crop_framed,
                                    framed_lighting_covariance, lighting_covariance, pair_covariances,
                                    shipped_generic_metric)
from slrfr_gui.method.modelfile import load_model, save_model
from slrfr_gui.evaluation.yale import light_vector
from tests.conftest import synthetic_faces

LIGHTS = light_vector([0, 15, -15, 5], [0, 5, -5, 15])


@pytest.fixture(scope="module")
def faces():
    _, images = synthetic_faces(8, LIGHTS, seed=21)
    return images  # (8, 4, 48, 40), rendered in the canonical frame


def test_faces_in_the_canonical_frame_are_canonical_and_a_head_crop_is_not(faces):
    framing = estimate_framing(faces[:, 0])
    assert framing.regime == "canonical"
    assert framing.scale == pytest.approx(1.0, abs=0.05) and abs(framing.cx - 19.5) < 1 and abs(framing.cy - 23.5) < 1
    # The same faces as a looser crop: smaller in the frame and lower (the crop holds more above the face).
    loose = move_faces(faces[:, 0], 0.0, 4.0, 0.65)
    framing = estimate_framing(loose)
    assert framing.regime == "crop"
    assert framing.scale == pytest.approx(0.65, abs=0.06) and framing.cy == pytest.approx(27.5, abs=1.5)
    assert "framed otherwise" in framing.describe() and framing.to_json()["regime"] == "crop"
    assert canonical_framing().regime == "canonical"
    assert Framing(19.5, 23.5, 1.2, 0.1).regime == "crop"  # beyond the 15 % scale tolerance
    with pytest.raises(ValueError, match="shape"):
        estimate_framing(np.zeros((2, 40, 48)))


def test_move_faces_shifts_and_scales_about_the_frame_centre():
    faces = np.random.default_rng(0).random((2, *FRAME_SHAPE))
    assert move_faces(faces, 0, 0, 1.0) is faces
    moved = move_faces(faces, 2.0, -1.0)
    np.testing.assert_allclose(moved[:, 5:40, 5:30], faces[:, 6:41, 3:28], atol=1e-6)
    # Scaling by s about the centre moves a pixel at offset o from the centre to offset s * o.
    dot = np.zeros((1, *FRAME_SHAPE))
    dot[0, 23, 29] = 1.0  # (x, y) = (29, 23): offset (9.5, -0.5) from (19.5, 23.5)
    big = move_faces(dot, 0, 0, 2.0)[0]
    y, x = np.unravel_index(np.argmax(big), big.shape)
    assert (x, y) in ((38, 22), (39, 22), (38, 23), (39, 23))


def test_a_gallery_framed_otherwise_is_scored_by_the_generic_metric_under_every_move(faces, tmp_path):
    loose = move_faces(faces.reshape(-1, *FRAME_SHAPE), 0.0, 4.0, 0.65).reshape(faces.shape)
    labels = np.array([f"p{i}" for i in range(len(faces))])
    clf = LearnedRelightingClassifier(resolution=(7, 6)).fit(loose[:, 0], labels)
    assert clf.framing_.regime == "crop" and clf.framing_regime == "crop"
    assert clf.metric_source_ == "generic" and len(clf.metric_.templates) == 1 and not clf.metric_.means.any()
    assert clf.bases_.shape == (42, len(labels) * len(CROP_MOVES))
    assert [d.shape for d in clf.dictionaries_] == [(42, 1)] * len(labels)  # the images themselves
    probes = degrade(loose[:, 1:].reshape(-1, *FRAME_SHAPE), (7, 6))
    res = clf.residuals(probes)
    assert np.mean(clf.classes_[np.argmin(res, axis=1)] == np.repeat(labels, 3)) >= 0.75
    assert "framing-free generic metric" in clf.describe() and "framed otherwise" in clf.describe()
    # Forced canonical: the learned relighting, five references an image.
    forced = LearnedRelightingClassifier(resolution=(7, 6), framing="canonical").fit(loose[:, 0], labels)
    assert forced.framing_regime == "canonical" and forced.bases_.shape[1] == len(labels) * 5
    # A model file keeps the regime and the framing, and scores alike.
    path = save_model(clf, tmp_path / "m.npz")
    loaded, _ = load_model(path)
    assert loaded.framing_regime == "crop" and loaded.framing_.to_json() == clf.framing_.to_json()
    np.testing.assert_allclose(loaded.residuals(probes), res, rtol=1e-10)
    with pytest.raises(ValueError, match="framing"):
        LearnedRelightingClassifier(resolution=(7, 6), framing="sideways").fit(loose[:, 0], labels)


def test_pair_and_lighting_covariances_by_hand():
    f = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [0.0, 4.0]])
    intra, extra, (n_intra, n_extra) = pair_covariances(f, np.array(["a", "a", "b", "b"]), n_extra=200)
    # Intra pairs: (a1 - a0) = (1, 0) both ways, (b1 - b0) = (0, 2) both ways.
    np.testing.assert_allclose(intra, [[0.5, 0.0], [0.0, 2.0]])
    assert n_intra == 4 and n_extra > 0 and np.all(np.linalg.eigvalsh(extra) >= 0)
    # A mirrored copy ("am") is another person for intra pairs but never an extra-personal partner of "a".
    f6 = np.array([[0.0, 0.0], [1.0, 0.0], [9.0, 0.0], [8.0, 0.0], [0.0, 1.0], [0.0, 2.0]])
    persons = np.array(["a", "a", "am", "am", "b", "b"])
    _, extra_ident, _ = pair_covariances(f6, persons, identities=np.array(["a", "a", "a", "a", "b", "b"]))
    _, extra_plain, _ = pair_covariances(f6, persons)
    assert extra_ident[0, 0] < extra_plain[0, 0]  # the large a-am differences are left out
    rng = np.random.default_rng(1)
    f = rng.normal(size=(20, 5))
    subjects = np.repeat([1, 2], 10)
    rows = [0, 4, 13]
    d = np.array([f[o] - f[g] for g in rows for o in np.flatnonzero(subjects == subjects[g]) if o != g])
    np.testing.assert_allclose(lighting_covariance(f, subjects, rows), d.T @ d / len(d), atol=1e-12)
    with pytest.raises(ValueError):
        pair_covariances(f[:1], np.array(["a"]))


def test_the_lighting_part_averages_the_framings_and_the_mirror_images(faces):
    images = faces.reshape(-1, *FRAME_SHAPE)
    subjects = np.repeat(np.arange(len(faces)), faces.shape[1])
    rows = list(range(0, len(images), faces.shape[1]))
    one = framed_lighting_covariance(images, subjects, rows, (7, 6), framings=[(1.0, 0.0)])
    from slrfr_gui.method.slrfr import log_features

    both = np.concatenate([images, images[:, :, ::-1]])
    feats = log_features(degrade(both, (7, 6)).reshape(len(both), -1))
    expected = lighting_covariance(feats, np.concatenate([subjects, subjects + 100]),
                                   rows + [r + len(images) for r in rows])
    np.testing.assert_allclose(one, expected, rtol=1e-10)
    assert len(LIGHT_FRAMINGS) == 12 and (1.0, 0.0) in LIGHT_FRAMINGS


def test_the_generic_metric_is_the_clipped_bayesian_form_and_round_trips_compressed():
    rng = np.random.default_rng(2)
    a, b, c = (rng.normal(size=(60, 12)) for _ in range(3))
    intra, extra, light = a.T @ a / 60, 4 * b.T @ b / 60, c.T @ c / 60
    metric = compose_generic_metric(intra, extra, light, (4, 3), ridge=0.1, extra_weight=0.7)
    t = metric.transforms[0]
    assert metric.transforms.shape == (1, 12, 12) and not metric.means.any() and metric.centred
    np.testing.assert_allclose(t, t.T, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(t) >= -1e-12)

    def inv_ridged(cov):
        return np.linalg.inv(cov + 0.1 * np.trace(cov) / 12 * np.eye(12))

    form = inv_ridged(intra + light) - 0.7 * inv_ridged(extra + light)
    w, v = np.linalg.eigh(form)
    np.testing.assert_allclose(t @ t, (v * np.maximum(w, 0)) @ v.T, atol=1e-9)
    # Compression keeps a covariance of rank <= RANK up to float16 eigenvectors.
    low = a[:, :12].T @ a[:, :12] / 60
    np.testing.assert_allclose(_expand(**_compress(low)), low, atol=2e-3 * np.abs(low).max())
    with pytest.raises(ValueError, match="do not fit"):
        compose_generic_metric(intra, extra, None, (5, 3))


@pytest.mark.parametrize("size", [(5, 4), (7, 6), (12, 10), (19, 16), (24, 20)])
def test_a_generic_metric_ships_for_every_slider_size(size):
    metric = shipped_generic_metric(size)
    p = size[0] * size[1]
    assert metric is not None and metric.transforms.shape == (1, p, p) and np.all(np.isfinite(metric.transforms))


def test_crop_framed_at_zoom_one_is_the_frame_under_the_placement():
    from slrfr_gui.faces.align import Placement, _warp

    image = np.random.default_rng(3).random((120, 100))
    placement = Placement(50.0, 60.0, 1.5)
    np.testing.assert_allclose(crop_framed(image, placement, 1.0, 1.0, 0.0), _warp(image, placement, (72, 60)),
                               atol=1e-9)
    assert crop_framed(image, placement, 2.0, 1.5, 0.1).shape == (144, 90)


def test_the_generic_metric_ships_for_the_same_sizes_as_the_lighting_metrics():
    """scripts/derive_generic_metric.py takes its sizes from the lighting metrics: rerun it when those change."""
    from slrfr_gui.method import generic, lighting_resources
    from slrfr_gui.files.datafile import read_data_file
    from slrfr_gui.errors import ResourceError
    from slrfr_gui.files.resources import resource_path

    _, lighting = read_data_file(resource_path(lighting_resources.FILE_NAME), lighting_resources.FORMAT,
                                 lighting_resources.FORMAT_VERSION, ResourceError, "", "")
    _, shipped = read_data_file(resource_path(generic.FILE_NAME), generic.FORMAT, generic.FORMAT_VERSION,
                                ResourceError, "", "")
    assert sorted(shipped["sizes"]) == sorted(lighting["sizes"])
    assert shipped["made_by"] == "scripts/derive_generic_metric.py" and len(shipped["imm_persons"]) >= 30
