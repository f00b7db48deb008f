import numpy as np
import pytest

from slrfr_gui.method.learned import LearnedRelightingClassifier
from slrfr_gui.method.physical import orthonormal_basis
from slrfr_gui.method.lighting import LightingMetric, learn_lighting_metric, learn_ratio_metric, whitening
from slrfr_gui.method.lighting_resources import compress, expand, shipped_metric
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


def test_typed_size_without_a_shipped_metric_is_served_from_the_nearest_and_says_so():
    lights = np.array([[0, 0, 1.0], [0.3, 0.1, 0.95]])
    _, images = synthetic_faces(3, lights, seed=2)
    clf = LearnedRelightingClassifier(resolution=(31, 29)).fit(images[:, 0], ["a", "b", "c"])
    assert "asked for 31x29" in clf.describe() and clf.resolution_ == (24, 20)
    assert clf.metric_source_ == "learned"


def test_metric_for_other_features_is_refused():
    metric = LightingMetric.identity((7, 6), "pca", 42)
    _, images = synthetic_faces(2, np.array([[0, 0, 1.0]]), seed=3)
    with pytest.raises(ValueError, match="learned for pca"):
        LearnedRelightingClassifier(resolution=(7, 6), metric=metric).fit(images[:, 0], ["a", "b"])


def _ratio_problem(seed=0, n_subjects=12):
    """Log features at 2 x 3: a frontal gallery light (0) and a light from the image's left (1).

    Faces differ from each other along `identity`; under light 1 every face gains the ramp `shade`
    plus a person-specific error along `lighting_error`.
    """
    rng = np.random.default_rng(seed)
    identity = np.array([1.0, -1.0, 0.0, 0.0, 1.0, -1.0]) / 2
    lighting_error = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0]) / 2
    shade = np.array([1.0, 0.0, -1.0, 1.0, 0.0, -1.0])
    frontal = np.array([0.0, 2.0, 0.0, 0.0, 2.0, 0.0])  # both lights brighten the middle column
    features, subjects, conditions = [], [], []
    for s in range(n_subjects):
        face = rng.standard_normal() * identity
        for light in (0, 1):
            for _ in range(2):
                noise = rng.standard_normal(6) * 0.05 + (rng.standard_normal() * 0.5 * lighting_error if light else 0)
                features.append(face + frontal + light * shade + noise)
                subjects.append(s)
                conditions.append(light)
    return np.array(features), np.array(subjects), np.array(conditions), identity, lighting_error, shade


def _quiet_axis():
    """A unit direction orthogonal to the identity, lighting-error and shade axes of the toy problem."""
    identity, lighting_error, shade = _ratio_problem()[3:]
    _, _, vt = np.linalg.svd(np.stack([identity, lighting_error, shade]))
    return vt[-1]


def test_learned_relighting_is_the_mean_log_ratio_and_its_plain_form_whitens_what_it_misses():
    features, subjects, conditions, _, lighting_error, shade = _ratio_problem()
    rows = np.flatnonzero(conditions == 0)
    metric = learn_ratio_metric(features, subjects, conditions, rows, n_clusters=2, mix=1.0, ridge=0.0,
                                extra_weight=0.0, resolution=(2, 3))
    assert metric.features == "log" and metric.centred and metric.transforms.shape == (2, 6, 6)
    lit = metric.assign(features[conditions == 1])
    assert len(set(lit.tolist())) == 1
    c = lit[0]
    # The relighting learned: the mean log ratio of every (gallery image, other image of the subject in
    # the cluster) pair, which is about the shade.
    assigned = metric.assign(features)
    expected = np.mean([features[q] - features[g] for g in rows for q in np.flatnonzero(subjects == subjects[g])
                        if q != g and assigned[q] == c], axis=0)
    np.testing.assert_allclose(metric.means[c], expected, atol=1e-12)
    np.testing.assert_allclose(metric.means[c], shade, atol=0.25)
    t = metric.transforms[c]
    np.testing.assert_allclose(t, t.T, atol=1e-10)
    # Along the lighting error the whitened distance shrinks: the light's own error costs little.
    u = lighting_error / np.linalg.norm(lighting_error)
    quiet = _quiet_axis()
    assert np.linalg.norm(u @ t) < 0.35 * np.linalg.norm(quiet @ t)  # Euclidean: 1.0


def test_extra_personal_term_weighs_the_directions_faces_differ_in():
    features, subjects, conditions, identity, _, _ = _ratio_problem(1)
    rows = np.flatnonzero(conditions == 0)
    plain, bayes = (learn_ratio_metric(features, subjects, conditions, rows, n_clusters=2, ridge=0.0, mix=1.0,
                                       extra_weight=beta, resolution=(2, 3)) for beta in (0.0, 0.7))
    c = plain.assign(features[conditions == 1])[0]
    u = identity / np.linalg.norm(identity)
    quiet = _quiet_axis()

    def share(metric):  # the weight of the identity axis relative to a quiet one
        t = metric.transforms[c]
        return np.linalg.norm(u @ t) / np.linalg.norm(quiet @ t)

    # Where only the noise varies, extra-personal pairs vary as little as intra-personal ones, and lose
    # weight by about (1 - beta)^(1/2); along the identity axis they vary a lot, so it keeps its weight.
    assert share(bayes) > 1.4 * share(plain)
    w = np.linalg.eigvalsh(bayes.transforms[c] @ bayes.transforms[c].T)
    assert w.min() > -1e-12  # positive semi-definite after the clip
    with pytest.raises(ValueError, match="extra_weight"):
        learn_ratio_metric(features, subjects, conditions, rows, extra_weight=1.5, resolution=(2, 3))


def test_mirrored_training_faces_teach_the_mirrored_light():
    """Trained on light from the left only, the mirrored faces teach the relighting to light from the right."""
    features, subjects, conditions, _, _, shade = _ratio_problem(2)
    rows = np.flatnonzero(conditions == 0)
    mirrored = np.where(conditions == 1, 2, 0)  # light 1 mirrored is a light 2 the training set lacks
    metric = learn_ratio_metric(features, subjects, conditions, rows, n_clusters=3, resolution=(2, 3),
                                mirrored_conditions=mirrored)
    flipped = features.reshape(-1, 2, 3)[:, :, ::-1].reshape(-1, 6)
    right = metric.assign(flipped[conditions == 1])
    left = metric.assign(features[conditions == 1])
    assert len(set(right.tolist())) == 1 and right[0] != left[0]
    left_mean = metric.means[left[0]].reshape(2, 3)
    np.testing.assert_allclose(metric.means[right[0]], left_mean[:, ::-1].ravel(), atol=1e-12)
    with pytest.raises(ValueError, match="resolution"):
        learn_ratio_metric(features, subjects, conditions, rows, resolution=(3, 3), mirrored_conditions=mirrored)
