import numpy as np
import pytest

from slrfr_gui.core.classifier import SLRFRClassifier, orthonormal_basis
from slrfr_gui.core.lighting import LightingMetric, learn_lighting_metric, whitening
from slrfr_gui.core.lighting_resources import compress, expand, shipped_metric
from tests.conftest import synthetic_faces


def test_whitening_inverts_the_square_root_of_the_covariance():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((6, 6))
    cov = a @ a.T
    t = whitening(cov, ridge=0.0)
    np.testing.assert_allclose(t @ cov @ t, np.eye(6), atol=1e-8)
    np.testing.assert_allclose(t, t.T)


def _toy_problem(seed=0):
    """Two light conditions; under each, residuals vary along its own axis."""
    rng = np.random.default_rng(seed)
    p, subjects = 8, np.repeat(np.arange(10), 2)
    conditions = np.tile([0, 1], 10)
    base = np.zeros((20, p))
    base[conditions == 0, 0] = 5.0  # condition templates: axis 0 and axis 1
    base[conditions == 1, 1] = 5.0
    noise = rng.standard_normal((20, p)) * 0.01
    noise[conditions == 0, 2] = rng.standard_normal(10) * 2.0  # condition 0 errs along axis 2
    noise[conditions == 1, 3] = rng.standard_normal(10) * 2.0  # condition 1 along axis 3
    features = base + noise
    # Each image serves as a gallery whose signal explains nothing of the other image but axis 4.
    signals = {i: np.eye(p)[4][None] for i in range(20)}
    return features, subjects, conditions, signals


def test_learned_metric_whitens_each_light_clusters_own_error_direction():
    features, subjects, conditions, signals = _toy_problem()
    metric = learn_lighting_metric(features, subjects, conditions, signals, lambda s: orthonormal_basis(s.T),
                                   n_clusters=2, mix=1.0, ridge=0.01)
    assert metric.templates.shape == (2, 8) and metric.transforms.shape == (2, 8, 8)
    clusters = metric.assign(features)
    even, odd = set(clusters[0::2].tolist()), set(clusters[1::2].tolist())
    assert len(even) == len(odd) == 1 and even != odd
    t0, t1 = metric.transforms[even.pop()], metric.transforms[odd.pop()]
    # Each cluster shrinks the axis its own residuals spread along, far more than a quiet axis.
    assert t0[2, 2] < 0.2 * t0[5, 5] and t0[3, 3] > 0.5 * t0[5, 5]
    assert t1[3, 3] < 0.2 * t1[5, 5] and t1[2, 2] > 0.5 * t1[5, 5]


def test_compressed_metric_round_trips_when_the_rank_covers_it():
    features, subjects, conditions, signals = _toy_problem(1)
    metric = learn_lighting_metric(features, subjects, conditions, signals, lambda s: orthonormal_basis(s.T),
                                   n_clusters=2)
    back = expand(compress(metric, rank=8), (7, 6), "sqrt")
    np.testing.assert_allclose(back.transforms, metric.transforms, rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(back.templates, metric.templates, rtol=1e-6)


def test_a_metric_ships_for_every_slider_size_and_fits_the_classifier():
    for rows in (5, 7, 12, 19, 24):
        size = (rows, int(rows * 5 / 6 + 0.5))
        metric = shipped_metric(size, "sqrt")
        assert metric is not None, size
        p = size[0] * size[1]
        assert metric.transforms.shape[1:] == (p, p) and len(metric.templates) > 1
        assert np.all(np.isfinite(metric.transforms))
    assert shipped_metric((31, 29), "sqrt") is None  # a typed size: none ships


def test_typed_size_without_a_shipped_metric_falls_back_and_says_so():
    lights = np.array([[0, 0, 1.0], [0.3, 0.1, 0.95]])
    _, images = synthetic_faces(3, lights, seed=2)
    clf = SLRFRClassifier(resolution=(31, 29)).fit(images[:, 0], ["a", "b", "c"])
    assert "no lighting metric" in clf.describe()
    assert clf.metric_source_.startswith("none")


def test_metric_for_other_features_is_refused():
    metric = LightingMetric.identity((7, 6), "pca", 42)
    _, images = synthetic_faces(2, np.array([[0, 0, 1.0]]), seed=3)
    with pytest.raises(ValueError, match="learned for pca"):
        SLRFRClassifier(resolution=(7, 6), metric=metric).fit(images[:, 0], ["a", "b"])
