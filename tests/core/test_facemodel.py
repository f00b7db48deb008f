import numpy as np
import pytest

from slrfr_gui.errors import ResourceError
from slrfr_gui.faces.facemodel import FaceModel, default_face_model
from slrfr_gui.faces.frame import degrade
from slrfr_gui.demo.synthetic import render_faces, sample_albedos
from slrfr_gui.evaluation.yale import light_vector


@pytest.fixture(scope="module")
def small_model():
    lights = light_vector([0, 20, -20, 0, 0, 45, -45, 10], [0, 0, 0, 25, -20, 10, 10, 45])
    faces = render_faces(sample_albedos(4, seed=11), lights)
    images = faces.reshape(-1, 48, 40)
    subjects = np.repeat(np.arange(4), len(lights))
    return FaceModel.from_training(images, subjects, np.tile(lights, (4, 1)), n_pca=1000), images


def test_lr_pca_equals_the_pca_of_degraded_training_faces(small_model):
    model, images = small_model
    mean, basis, std = model.lr_pca((7, 6), n_components=10)
    lr = degrade(images, (7, 6)).reshape(len(images), -1)
    np.testing.assert_allclose(mean, lr.mean(axis=0), atol=1e-10)
    _, s, vt = np.linalg.svd(lr - lr.mean(axis=0), full_matrices=False)
    np.testing.assert_allclose(std, s[:10] / np.sqrt(len(lr) - 1), rtol=1e-6)
    # Same subspace (signs may differ): |cosines| of matching axes are 1.
    np.testing.assert_allclose(np.abs(np.sum(basis * vt[:10].T, axis=0)), 1.0, atol=1e-6)
    np.testing.assert_allclose(basis.T @ basis, np.eye(10), atol=1e-10)


def test_mean_normals_of_faces_rendered_with_the_shipped_normals_are_those_normals(small_model):
    model, _ = small_model
    truth = default_face_model().normals
    ok = model.face_mask
    assert ok.mean() > 0.5
    cos = np.sum(model.normals[ok] * truth[ok], axis=1)
    assert np.median(cos) > 0.999


def test_save_load_round_trip_and_damage(tmp_path, small_model):
    model, _ = small_model
    model.save(tmp_path / "fm.npz")
    loaded = FaceModel.load(tmp_path / "fm.npz")
    np.testing.assert_allclose(loaded.normals, model.normals)
    np.testing.assert_allclose(loaded.eye_centres, model.eye_centres)
    data = (tmp_path / "fm.npz").read_bytes()
    (tmp_path / "bad.npz").write_bytes(data[:100])
    with pytest.raises(ResourceError, match="bad.npz"):
        FaceModel.load(tmp_path / "bad.npz")
    with pytest.raises(ResourceError, match="no such face model file"):
        FaceModel.load(tmp_path / "none.npz")


def test_shipped_model_is_sane():
    model = default_face_model()
    np.testing.assert_allclose(np.linalg.norm(model.normals, axis=-1), 1.0, atol=1e-6)
    assert model.normals[..., 2].mean() > 0.7  # faces look at the camera
    (lx, ly), (rx, ry) = model.eye_centres
    assert lx < 20 < rx and abs(ly - ry) < 2 and 5 < ly < 20
    assert len(model.subjects) == 38


def test_sampled_albedos_are_varied_and_in_range():
    a = sample_albedos(5, seed=0)
    assert a.shape == (5, 48, 40) and a.min() >= 0.02 and a.max() <= 1.5
    assert np.std(a[0] - a[1]) > 0.02
    np.testing.assert_array_equal(sample_albedos(2, seed=3), sample_albedos(2, seed=3))


def test_mean_shading_of_lambertian_faces_is_their_shading_and_stands_in_for_near_lights(small_model):
    """Faces rendered as rho * (max(n.s, 0) + ambient): the learned shading of each training light is that."""
    model, _ = small_model
    lights = light_vector([0, 20, -20, 0, 0, 45, -45, 10], [0, 0, 0, 25, -20, 10, 10, 45])
    assert model.shading.shape == (8, 48, 40) and model.shading_lights.shape == (8, 3)
    truth = default_face_model().normals
    ok = model.face_mask
    for light in lights:
        k = int(np.argmax(model.shading_lights @ light))
        expected = np.maximum(truth @ light, 0.0) + 0.03  # render_faces' ambient term
        lit = ok & (expected > 0.2)
        # Photometric-stereo albedo absorbs the ambient term as a small overall scale (which a subspace
        # ignores), and a few bright pixels were clipped at 1 when rendered: the ratio is a constant
        # within 1.5 % (median deviation) and within 5 % of 1.
        ratio = model.shading[k][lit] / expected[lit]
        assert abs(np.median(ratio) - 1) < 0.05
        assert np.median(np.abs(ratio / np.median(ratio) - 1)) < 0.015
    # A light 10 degrees from a training light takes its shading; one far from all is Lambertian.
    near = light_vector([25], [5])[0]
    np.testing.assert_allclose(model.shading_for(near[None])[0], model.shading[int(np.argmax(model.shading_lights
                                                                                            @ near))])
    far = light_vector([0], [-80])[0]
    np.testing.assert_allclose(model.shading_for(far[None])[0], np.maximum(model.normals @ far, 0.0))
