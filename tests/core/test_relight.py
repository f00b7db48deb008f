"""Relighting recovers the albedo and light of a synthetic Lambertian face."""

import numpy as np
import pytest

from slrfr_gui.faces.facemodel import FaceModel, photometric_stereo
from slrfr_gui.method.relight import estimate_albedo, estimate_light, points_of_light, relight, render
from slrfr_gui.evaluation.yale import light_vector


def sphere_normals(rows=48, cols=40):
    """Normals of a half-ellipsoid filling the frame (all facing the camera half-space)."""
    y, x = np.mgrid[0:rows, 0:cols]
    u = (x - (cols - 1) / 2) / (cols * 0.75)
    v = -(y - (rows - 1) / 2) / (rows * 0.75)
    z = np.sqrt(np.clip(1 - u**2 - v**2, 0.05, None))
    n = np.stack([u, v, z], axis=-1)
    return n / np.linalg.norm(n, axis=-1, keepdims=True)


def exact_model(normals):
    """A face model whose mean normals are exactly the face's (no normal error)."""
    return FaceModel(normals=normals, normal_cov=np.zeros((*normals.shape[:2], 3, 3)),
                     face_mask=np.ones(normals.shape[:2], bool), eye_centres=np.array([[12.0, 16], [28, 16]]),
                     pca_mean=np.zeros(48 * 40), pca_components=np.eye(1, 48 * 40), pca_std=np.ones(1), subjects=[],
                     albedo_mean=np.full(48 * 40, 0.5), albedo_components=np.eye(1, 48 * 40), albedo_std=np.ones(1))


@pytest.fixture
def face():
    rng = np.random.default_rng(3)
    albedo = 0.5 + 0.3 * rng.random((48, 40))
    return albedo, sphere_normals()


def test_estimate_light_recovers_the_light(face):
    albedo, normals = face
    s = light_vector(15, 10) * 0.8
    image = render(albedo, normals, s[None])[0]
    est = estimate_light(image, exact_model(normals))
    # Albedo varies, so the fit absorbs its mean into the strength: compare direction and strength.
    np.testing.assert_allclose(est / np.linalg.norm(est), s / np.linalg.norm(s), atol=0.02)
    assert np.linalg.norm(est) == pytest.approx(0.8 * albedo.mean(), rel=0.05)


def test_albedo_and_relit_images_recovered_with_exact_normals(face):
    albedo, normals = face
    s = light_vector(-10, 5)
    image = render(albedo, normals, s[None])[0]
    model = exact_model(normals)
    est = estimate_albedo(image, s, model, noise_std=1e-6)
    lit = normals @ s > 0.1
    np.testing.assert_allclose(est[lit], albedo[lit], rtol=1e-6)
    # relight() estimates the light itself; rho-hat * |s-hat| * max(n^T s_k, 0) must give the
    # true rendering rho * max(n^T s_k, 0) (|s| = 1 here) up to the small light-direction error.
    result = relight(image, model)
    truth = render(albedo, normals, points_of_light())
    check = lit[None] & (truth > 0.1)
    np.testing.assert_allclose(result.relit[check], truth[check], rtol=0.15)
    assert np.median(np.abs(result.relit[check] / truth[check] - 1)) < 0.03


def test_lmmse_smooths_where_normals_are_uncertain(face):
    """With a large normal spread, alpha -> 0 and the estimate becomes the local mean."""
    albedo, normals = face
    s = light_vector(0, 0)
    image = render(albedo, normals, s[None])[0]
    noisy = exact_model(normals)
    noisy.normal_cov = np.broadcast_to(np.eye(3) * 10.0, (48, 40, 3, 3)).copy()
    est = estimate_albedo(image, s, noisy)
    exact = estimate_albedo(image, s, exact_model(normals), noise_std=1e-6)
    assert np.std(est) < 0.5 * np.std(exact)
    assert est.mean() == pytest.approx(albedo.mean(), rel=0.05)


def test_photometric_stereo_recovers_normals_and_albedo(face):
    albedo, normals = face
    az = np.array([0, 20, -20, 0, 0, 35, -35, 50, -50, 10])
    el = np.array([0, 0, 0, 20, -20, 15, -15, 0, 0, 40])
    lights = light_vector(az, el)
    images = render(albedo, normals, lights)
    est_n, est_a, valid = photometric_stereo(np.clip(images, 0, 1), lights)
    assert valid.mean() > 0.95
    np.testing.assert_allclose(est_n[valid], normals[valid], atol=1e-6)
    np.testing.assert_allclose(est_a[valid], albedo[valid], rtol=1e-6)


def test_points_of_light_are_unit_and_first_is_frontal():
    lights = points_of_light()
    assert lights.shape == (9, 3)
    np.testing.assert_allclose(np.linalg.norm(lights, axis=1), 1.0)
    np.testing.assert_allclose(lights[0], [0, 0, 1], atol=1e-12)


def test_relight_rejects_bad_input():
    from slrfr_gui.faces.facemodel import default_face_model

    with pytest.raises(ValueError, match="48x40"):
        relight(np.zeros((10, 10)), default_face_model())
    bad = np.zeros((48, 40))
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        relight(bad, default_face_model())
    # An all-black face gives finite (zero) output, not a division by zero.
    out = relight(np.zeros((48, 40)), default_face_model())
    assert np.all(np.isfinite(out.relit))


def test_relighting_a_stack_is_relighting_each_face():
    """Each face of a stack is relit on its own: no mask, fill or fallback leaks across faces."""
    from slrfr_gui.faces.facemodel import default_face_model
    from slrfr_gui.method.relight import relight_batch
    from slrfr_gui.demo.synthetic import render_faces, sample_albedos

    model = default_face_model()
    rng = np.random.default_rng(1)
    base = render_faces(sample_albedos(1, seed=2), np.array([[0.5, 0.2, 0.8]]))[0, 0]
    # Ordinary, dark (the camera-axis fallback), saturated and noisy faces in one stack.
    stack = np.stack([base, base * 0.01, np.clip(base * 4, 0, 1), rng.random(base.shape), base[::-1].copy()])
    lights, albedos, relit = relight_batch(stack, model)
    for i, image in enumerate(stack):
        one = relight(image, model)
        np.testing.assert_allclose(lights[i], one.light, atol=1e-12)
        np.testing.assert_allclose(albedos[i], one.albedo, atol=1e-10)
        np.testing.assert_allclose(relit[i], one.relit, atol=1e-10)
