"""The rivals of ``evaluate --baselines`` and the outdoor mode, on fictional faces."""

import numpy as np
import pytest

from slrfr_gui.evaluation.baselines import (CLPM, BicubicPCANearestNeighbour, LBPNearestNeighbour, RelitFisherfaces,
                                      RelitPCANearestNeighbour)
from slrfr_gui.method.lrpca import LRPCANearestNeighbour
from slrfr_gui.faces.frame import degrade
from slrfr_gui.method.modelfile import load_model, save_model
from slrfr_gui.method.classifiers import make_classifier
from slrfr_gui.method.outdoor import l1_project, OutdoorClassifier, PCALDASVM, regularized_lda
from slrfr_gui.evaluation.yale import light_vector
from tests.conftest import synthetic_faces

LIGHTS = light_vector([0, 10, -10, 5, -5, 15], [0, 5, -5, 10, -10, 0])


@pytest.fixture(scope="module")
def faces():
    _, images = synthetic_faces(8, LIGHTS, seed=11)
    _, train = synthetic_faces(60, LIGHTS, seed=12)  # CLPM needs more faces than dimensions
    return images, train.reshape(-1, 48, 40)


@pytest.mark.parametrize("make", [
    lambda train: LRPCANearestNeighbour(resolution=(12, 10)),
    lambda train: RelitPCANearestNeighbour(resolution=(12, 10)),
    lambda train: BicubicPCANearestNeighbour(resolution=(12, 10)),
    lambda train: RelitFisherfaces(resolution=(12, 10)),
    lambda train: LBPNearestNeighbour(resolution=(12, 10)),
    lambda train: CLPM(resolution=(12, 10), train_faces=train),
    lambda train: PCALDASVM(resolution=(12, 10)),
], ids=["LR-PCA", "LR-PCA relit", "Bicubic+PCA", "Fisherfaces relit", "LBP", "CLPM", "PCA+LDA+SVM"])
def test_each_rival_names_persons_under_nearby_lights(faces, make):
    images, train = faces
    labels = np.array([f"p{i}" for i in range(8)])
    clf = make(train).fit(images[:, 0], labels)
    probes = degrade(images[:, 1:].reshape(-1, 48, 40), (12, 10))
    res = clf.residuals(probes)
    assert res.shape == (len(probes), 8) and np.all(np.isfinite(res))
    # Near-frontal lights, 12x10: every rival is far above chance (1/8).
    assert np.mean(clf.predict(probes) == np.repeat(labels, 5)) >= 0.5


def test_l1_projection_ignores_sparse_outliers_that_least_squares_does_not():
    rng = np.random.default_rng(0)
    basis, _ = np.linalg.qr(rng.standard_normal((40, 3)))
    truth = np.array([1.0, -2.0, 0.5])
    y = basis @ truth
    y[[3, 17, 29]] += 5.0  # a few pixels ruined (a highlight, a cast shadow)
    c = l1_project(y[None], basis, n_iter=50)[0]
    np.testing.assert_allclose(c, truth, atol=1e-3)
    ls = np.linalg.lstsq(basis, y, rcond=None)[0]
    assert np.abs(ls - truth).max() > 0.1


def test_regularized_lda_separates_two_classes_with_one_sample_each():
    x = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]])
    w = regularized_lda(x, np.array([0, 1]), shrinkage=0.5)
    assert w.shape == (3, 1)
    assert abs((x[1] - x[0]) @ w[:, 0]) > 0.1


def test_outdoor_mode_round_trips_through_a_model_file(faces, tmp_path):
    images, _ = faces
    labels = np.repeat([f"p{i}" for i in range(8)], 3)
    clf = make_classifier("outdoor", resolution=(10, 8), n_atoms=10).fit(images[:, :3].reshape(-1, 48, 40), labels)
    assert clf.bases_.shape == (80, 24) and "outdoor" in clf.describe()
    loaded, _ = load_model(save_model(clf, tmp_path / "outdoor.npz"))
    assert isinstance(loaded, OutdoorClassifier)
    probes = degrade(images[:, 3:].reshape(-1, 48, 40), (10, 8))
    # Several images per person: far above chance (1/8), though the relighting mode does better here.
    assert np.mean(clf.predict(probes) == np.repeat([f"p{i}" for i in range(8)], 3)) >= 0.4
    np.testing.assert_allclose(loaded.residuals(probes), clf.residuals(probes), rtol=1e-10)
    assert loaded.reconstruct(probes[0], 0).shape == (10, 8)
    with pytest.raises(ValueError, match="mode"):
        make_classifier("magic")


@pytest.mark.parametrize("make", [lambda: OutdoorClassifier(resolution=(7, 6)), lambda: PCALDASVM(resolution=(7, 6))])
def test_svm_rivals_fit_one_image_a_person_without_scikit_learns_regression_warning(make):
    """25 persons of one image each: more classes than half the samples, which made scikit-learn's LinearSVC
    warn that the labels might be a regression target (8 lines on evaluate --baselines' terminal)."""
    import warnings

    rng = np.random.default_rng(5)
    faces, labels = rng.random((25, 48, 40)), np.array([f"p{i:02d}" for i in range(25)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = make().fit(faces, labels)
    assert list(clf.classes_) == list(labels)
