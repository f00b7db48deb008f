import numpy as np
import pytest
from scipy import ndimage

from slrfr_gui.method.base import NotFittedError
from slrfr_gui.method.classifiers import make_classifier
from slrfr_gui.method.learned import LearnedRelightingClassifier, shift_faces
from slrfr_gui.method.lrpca import LRPCANearestNeighbour
from slrfr_gui.method.physical import orthonormal_basis, PhysicalRelightingClassifier
from slrfr_gui.faces.frame import degrade
from slrfr_gui.evaluation.yale import light_vector
from tests.conftest import synthetic_faces


@pytest.fixture(scope="module")
def fitted():
    lights = light_vector([0, 25, -20, 10, -5], [0, 5, -10, 30, -25])
    _, images = synthetic_faces(5, lights, seed=4)
    gallery = images[:, 0]
    labels = np.array([f"p{i}" for i in range(5)])
    clf = PhysicalRelightingClassifier(resolution=(10, 8), features="sqrt").fit(gallery, labels)
    probes = degrade(images[:, 1:].reshape(-1, 48, 40), (10, 8))
    truth = np.repeat(labels, 4)
    return clf, probes, truth


@pytest.fixture(scope="module")
def fitted_learned():
    lights = light_vector([0, 25, -20, 10, -5], [0, 5, -10, 30, -25])
    _, images = synthetic_faces(5, lights, seed=4)
    labels = np.array(["p0", "p0", "p1", "p2", "p3"])  # p0 has two gallery images
    gallery = np.stack([images[0, 0], images[0, 3], images[1, 0], images[2, 0], images[3, 0]])
    clf = LearnedRelightingClassifier(resolution=(10, 8)).fit(gallery, labels)
    probes = degrade(images[:4, 1:3].reshape(-1, 48, 40), (10, 8))
    return clf, gallery, labels, probes


def test_learned_relighting_residuals_are_whitened_distances_to_the_relit_references(fitted_learned):
    """r_i = min over person i's images a, relit or not, of ||T_c (y - a - mu)|| / ||T_c (y - mu_c)||, mu in
    {mu_c, 0}, y = log(x + 0.005)."""
    clf, gallery, labels, probes = fitted_learned
    assert clf.relighting == "learned" and clf.features == "log" and clf.regime_ == "nearest-reference"
    assert clf.framing_.regime == "canonical" and clf.framing_regime == "canonical"  # rendered in the frame
    assert clf.metric_.means is not None and len(clf.metric_.templates) > 1  # the shipped learned relighting
    res = clf.residuals(probes)
    y = np.log(probes.reshape(len(probes), -1) + 0.005)
    # Each gallery image and its copies moved half a pixel across and down (the alignment search).
    moves = [(0, 0), (0, 0.5), (0, -0.5), (0.5, 0), (-0.5, 0)]  # (down, across)
    moved = np.stack([ndimage.shift(face, move, order=1, mode="nearest") for face in gallery for move in moves])
    refs = np.log(degrade(moved, (10, 8)).reshape(len(moved), -1) + 0.005)
    labels = np.repeat(labels, len(moves))
    assert clf.bases_.shape == (80, len(refs))
    centred = y - y.mean(axis=1, keepdims=True)
    clusters = np.argmax(centred @ clf.metric_.templates.T, axis=1)
    for n, (vec, c) in enumerate(zip(y, clusters)):
        t, mu = clf.metric_.transforms[c], clf.metric_.means[c]
        energy = np.linalg.norm(t @ (vec - mu))
        for i, person in enumerate(clf.classes_):
            direct = min(np.linalg.norm(t @ (vec - a - m)) for a in refs[labels == person] for m in (mu, 0 * mu))
            assert res[n, i] == pytest.approx(direct / energy, rel=1e-6, abs=1e-9)
    # Without the unrelit hypothesis, only the relit comparison counts.
    relit_only = LearnedRelightingClassifier(resolution=(10, 8), unrelit_hypothesis=False).fit(gallery, labels_of(clf, gallery))
    res_relit = relit_only.residuals(probes)
    for n, (vec, c) in enumerate(zip(y, clusters)):
        t, mu = clf.metric_.transforms[c], clf.metric_.means[c]
        energy = np.linalg.norm(t @ (vec - mu))
        for i, person in enumerate(clf.classes_):
            direct = min(np.linalg.norm(t @ (vec - a - mu)) for a in refs[labels == person]) / energy
            assert res_relit[n, i] == pytest.approx(direct, rel=1e-6, abs=1e-9)
    assert np.all(res <= res_relit + 1e-12) and np.any(res < res_relit - 1e-6)
    # The reconstruction is the nearest reference, relit by the learned mean log ratio or not, whichever is nearer.
    c = clusters[0]
    recon = clf.reconstruct(probes[0], 0).ravel()
    assert any(np.allclose(recon, np.maximum(np.exp(a + m) - 0.005, 0))
               for a in refs[labels == "p0"] for m in (clf.metric_.means[c], 0.0))


def labels_of(clf, gallery):
    """The labels ``fitted_learned`` enrolled its gallery with."""
    return np.array(["p0", "p0", "p1", "p2", "p3"])


def test_noise_aware_residuals_are_the_gaussian_distance_with_the_probes_feature_noise(fitted_learned):
    """r_i^2 = min over references a of d' (F^-1 + D)^-1 d / ||T_c (y - mu_c)||^2, d = y - a - mu_c, F = T_c^2,
    D = diag(sigma^2 / (x + 0.005)^2): computed here with explicit inverses, not the classifier's Woodbury form."""
    clf, gallery, labels, probes = fitted_learned
    sigma = 0.03
    res = clf.residuals(probes, noise=sigma)
    np.testing.assert_array_equal(clf.residuals(probes, noise=0.0), clf.residuals(probes))
    x = probes.reshape(len(probes), -1)
    y = np.log(x + 0.005)
    refs = clf.bases_.T  # the references' log features (with the alignment search's moved copies)
    owner = np.repeat(clf.classes_, np.diff(clf.basis_offsets_))
    clusters = clf.metric_.assign(y)
    for n, (vec, c) in enumerate(zip(y, clusters)):
        t, mu = clf.metric_.transforms[c], clf.metric_.means[c]
        form = t @ t + 1e-9 * np.eye(len(t))  # F is PSD; a hair of ridge makes its inverse exist
        precision = np.linalg.inv(np.linalg.inv(form) + np.diag(sigma**2 / (x[n] + 0.005) ** 2))
        energy = np.linalg.norm(t @ (vec - mu)) ** 2
        for i, person in enumerate(clf.classes_):  # relit or not, whichever is nearer (unrelit_hypothesis)
            direct = min((vec - a - m) @ precision @ (vec - a - m) for a in refs[owner == person] for m in (mu, 0 * mu))
            assert res[n, i] == pytest.approx(np.sqrt(direct / energy), rel=1e-4)
    # Noise makes every distance smaller (dark pixels count less), never larger.
    assert np.all(res <= clf.residuals(probes) + 1e-12)
    with pytest.raises(ValueError, match="noise must be"):
        clf.residuals(probes, noise=-0.1)
    physical = PhysicalRelightingClassifier(resolution=(10, 8), features="sqrt").fit(gallery, labels)
    with pytest.raises(ValueError, match="learned relighting"):
        physical.residuals(probes, noise=0.02)


def test_shift_faces_is_linear_interpolation_with_repeated_borders():
    faces = np.random.default_rng(0).random((3, 48, 40))
    for dx, dy in [(0.5, 0), (-0.5, 0), (0, 0.5), (0, -0.25), (1.0, -1.0), (0.3, 0.7)]:
        expected = np.stack([ndimage.shift(f, (dy, dx), order=1, mode="nearest") for f in faces])
        np.testing.assert_allclose(shift_faces(faces, dx, dy), expected, atol=1e-12)
    assert shift_faces(faces, 0, 0) is faces
    with pytest.raises(ValueError, match="one pixel"):
        shift_faces(faces, 1.5, 0)


def test_alignment_search_off_enrolls_one_reference_an_image_and_bad_values_are_refused():
    faces = np.random.default_rng(1).random((3, 48, 40)) * 0.8 + 0.1
    clf = LearnedRelightingClassifier(resolution=(7, 6), alignment_shift=0, framing="canonical").fit(faces, ["a", "b", "b"])
    assert clf.bases_.shape == (42, 3) and list(clf.basis_offsets_) == [0, 1, 3]
    clf = LearnedRelightingClassifier(resolution=(7, 6), framing="canonical").fit(faces, ["a", "b", "b"])
    assert clf.bases_.shape == (42, 15) and list(clf.basis_offsets_) == [0, 5, 15]
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="alignment_shift"):
            LearnedRelightingClassifier(resolution=(7, 6), alignment_shift=bad).fit(faces, ["a", "b", "b"])


def test_the_learned_relighting_needs_log_features_and_a_known_relighting():
    faces = np.full((2, 48, 40), 0.5)
    with pytest.raises(ValueError, match="log features"):
        LearnedRelightingClassifier(features="sqrt").fit(faces, ["a", "b"])
    with pytest.raises(ValueError, match="relighting"):
        make_classifier(relighting="magic").fit(faces, ["a", "b"])


def test_residuals_match_a_direct_least_squares_solve(fitted):
    """r_i = ||T y - T D_i c|| / ||T y||, c the least-squares fit, T the probe's light-cluster whitening."""
    clf, probes, _ = fitted
    res = clf.residuals(probes)
    assert res.shape == (len(probes), 5)
    assert len(clf.metric_.templates) > 1  # the shipped metric for 10x8 has light clusters
    y = np.sqrt(np.maximum(probes.reshape(len(probes), -1), 0))  # square-root features
    clusters = np.argmax(y @ clf.metric_.templates.T, axis=1)
    assert len(set(clusters.tolist())) > 1
    for n, (vec, cluster) in enumerate(zip(y, clusters)):
        t = clf.metric_.transforms[cluster]
        z = t @ vec
        for i, dictionary in enumerate(clf.dictionaries_):
            coef, *_ = np.linalg.lstsq(t @ dictionary, z, rcond=None)
            direct = np.linalg.norm(z - t @ dictionary @ coef) / np.linalg.norm(z)
            assert res[n, i] == pytest.approx(direct, rel=1e-6, abs=1e-9)


def test_unnormalised_residuals_and_reconstruction(fitted):
    clf, probes, _ = fitted
    raw = PhysicalRelightingClassifier(resolution=(10, 8), normalize=False, features="sqrt")
    raw.__dict__.update({k: v for k, v in clf.__dict__.items() if k.endswith("_")})
    y = clf.feature_vectors(probes.reshape(len(probes), -1))
    clusters = clf.metric_.assign(y)
    z = np.einsum("nab,nb->na", clf.metric_.transforms[clusters], y)
    np.testing.assert_allclose(raw.residuals(probes), clf.residuals(probes) * np.linalg.norm(z, axis=1)[:, None],
                               rtol=1e-9)
    rec = clf.reconstruct(probes[0], 0)
    assert rec.shape == (10, 8) and np.all(rec >= 0)


def test_reconstruction_residual_equals_the_persons_residual():
    """Without the square root (PCA features) the map back to grey levels is exact."""
    lights = light_vector([0, 25, -20], [0, 5, -10])
    _, images = synthetic_faces(3, lights, seed=6)
    clf = PhysicalRelightingClassifier(resolution=(10, 8), features="pca").fit(images[:, 0], ["a", "b", "c"])
    probe = degrade(images[0, 1], (10, 8))
    rec = clf.reconstruct(probe, 0)
    y = clf.feature_vectors(probe.reshape(1, -1))[0]
    f = clf.feature_vectors(rec.reshape(1, -1))[0]
    assert np.linalg.norm(y - f) / np.linalg.norm(y) == pytest.approx(clf.residuals(probe[None])[0, 0], rel=1e-6)


def test_identifies_synthetic_persons_under_new_lights(fitted):
    clf, probes, truth = fitted
    assert np.mean(clf.predict(probes) == truth) >= 0.9
    ranked = clf.ranked(probes[:1], top=3)[0]
    assert len(ranked) == 3 and ranked[0][1] <= ranked[1][1] <= ranked[2][1]
    assert clf.regime_ == "nearest-subspace"
    assert clf.rank(probes).shape == (len(probes), 5)


def test_sparse_regime_when_atoms_fewer_than_signals():
    lights = light_vector([0, 25, -20], [0, 5, -10])
    _, images = synthetic_faces(3, lights, seed=5)
    clf = PhysicalRelightingClassifier(resolution=(12, 10), n_atoms=4, sparsity=2, features="sqrt").fit(images[:, :2].reshape(-1, 48, 40),
                                                                          np.repeat(["a", "b", "c"], 2))
    assert clf.regime_ == "sparse"
    assert all(d.shape[1] == 4 for d in clf.dictionaries_)


def test_input_validation_names_the_problem():
    clf = LearnedRelightingClassifier()
    with pytest.raises(NotFittedError):
        clf.predict(np.zeros((1, 7, 6)))
    with pytest.raises(ValueError, match=r"\(n, 48, 40\)"):
        clf.fit(np.zeros((2, 10, 10)), ["a", "b"])
    with pytest.raises(ValueError, match="labels"):
        clf.fit(np.zeros((2, 48, 40)), ["a"])
    with pytest.raises(ValueError, match="outside"):
        LearnedRelightingClassifier(resolution=(2, 2)).fit(np.zeros((1, 48, 40)), ["a"])


def test_probe_shape_is_checked(fitted):
    clf, _, _ = fitted
    with pytest.raises(ValueError, match="10, 8"):
        clf.residuals(np.zeros((1, 7, 6)))


def test_orthonormal_basis_drops_dependent_columns():
    a = np.random.default_rng(0).standard_normal((20, 3))
    q = orthonormal_basis(np.column_stack([a, a[:, 0] + a[:, 1]]))
    assert q.shape == (20, 3)
    np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-12)


def test_lr_pca_baseline_is_nearest_neighbour():
    rng = np.random.default_rng(6)
    gallery = rng.random((4, 48, 40))
    clf = LRPCANearestNeighbour(resolution=(7, 6)).fit(gallery, ["a", "b", "c", "d"])
    probes = degrade(gallery, (7, 6)) + 0.001 * rng.standard_normal((4, 7, 6))
    assert list(clf.predict(probes)) == ["a", "b", "c", "d"]


def test_a_copied_gallery_image_changes_nothing():
    """Found by a tester: a person's image given twice made K-SVD lose part of their span."""
    lights = light_vector([0, 25, -20], [0, 5, -10])
    _, images = synthetic_faces(4, lights, seed=8)
    labels = np.array(["a", "b", "c", "d"])
    once = PhysicalRelightingClassifier(resolution=(7, 6), features="sqrt").fit(images[:, 0], labels)
    twice = PhysicalRelightingClassifier(resolution=(7, 6), features="sqrt").fit(np.concatenate([images[:, 0], images[:1, 0]]),
                                                  np.concatenate([labels, ["a"]]))
    probes = degrade(images[:, 1:].reshape(-1, 48, 40), (7, 6))
    np.testing.assert_allclose(twice.residuals(probes), once.residuals(probes), atol=1e-9)
    assert twice.regime_ == "nearest-subspace"


def test_degrading_a_stack_is_degrading_each_image():
    from slrfr_gui.faces.frame import _blur_and_area_resize, degrade

    images = np.random.default_rng(0).random((12, 48, 40))
    for resolution in [(7, 6), (12, 10), (19, 16), (20, 20)]:
        one_by_one = np.stack([_blur_and_area_resize(x, resolution) for x in images])
        # OpenCV's area weights are single precision: equal to about 1e-7.
        np.testing.assert_allclose(degrade(images, resolution), one_by_one, atol=1e-7)


def test_enrolment_on_several_threads_equals_one_thread(monkeypatch):
    from slrfr_gui.method import physical
    from slrfr_gui.demo.synthetic import render_faces, sample_albedos

    faces = render_faces(sample_albedos(150, seed=5), np.array([[0.3, 0.1, 0.9]]))[:, 0]
    labels = np.repeat([f"p{i:03d}" for i in range(75)], 2)  # two images each, order shuffled below
    order = np.random.default_rng(0).permutation(150)
    faces, labels = faces[order], labels[order]
    monkeypatch.setattr(physical, "RELIGHT_WORKERS", 1)
    one = PhysicalRelightingClassifier(resolution=(7, 6), features="sqrt").fit(faces, labels)
    monkeypatch.setattr(physical, "RELIGHT_WORKERS", 3)
    many = PhysicalRelightingClassifier(resolution=(7, 6), features="sqrt").fit(faces, labels)
    probes = degrade(faces[:20], (7, 6))
    np.testing.assert_allclose(many.residuals(probes), one.residuals(probes), atol=1e-10)
    # Each person's span is that of their own two images' signals.
    assert [b.shape[1] for b in many.dictionaries_] == [20] * 75
