"""Shared fixtures. Qt runs offscreen; Yale B tests skip where the data is absent."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
YALE_DIR = Path(os.environ.get("SLRFR_YALE_DIR", ROOT.parent / "shared" / "data" / "CroppedYale"))


@pytest.fixture(scope="session")
def yale_dir() -> Path:
    """The CroppedYale folder, or a skip saying where it was looked for."""
    if not (YALE_DIR / "yaleB01").is_dir():
        pytest.skip(f"Extended Yale B not found at {YALE_DIR} (set SLRFR_YALE_DIR to its CroppedYale folder)")
    return YALE_DIR


def synthetic_faces(n_persons: int, lights, seed: int = 0):
    """Lambertian faces with the shipped mean normals and random smooth albedos.

    Returns
    -------
    albedos : ndarray of shape (n_persons, 48, 40)
    images : ndarray of shape (n_persons, n_lights, 48, 40), grey levels in [0, 1]
    """
    import cv2

    from slrfr_gui.core.facemodel import default_face_model
    from slrfr_gui.core.relight import render

    model = default_face_model()
    rng = np.random.default_rng(seed)
    albedos = []
    for _ in range(n_persons):
        noise = cv2.GaussianBlur(rng.standard_normal((48, 40)), (0, 0), 2.5)
        albedos.append(np.clip(0.55 + 0.25 * noise / noise.std(), 0.05, 0.95))
    albedos = np.stack(albedos)
    images = np.stack([np.clip(render(a, model.normals, lights), 0, 1) for a in albedos])
    return albedos, images


@pytest.fixture
def synthetic_gallery(tmp_path):
    """A gallery folder of 6 synthetic persons (2 images each) plus probes of each person.

    Returns (folder, probes) with probes a dict person -> ndarray (48, 40) under a new light.
    """
    from slrfr_gui.core.imageio import write_grey
    from slrfr_gui.core.yale import light_vector

    lights = light_vector([0, 20, -15], [0, 10, -5])
    _, images = synthetic_faces(6, lights, seed=1)
    folder = tmp_path / "gallery"
    probes = {}
    for i, stack in enumerate(images):
        person = f"person{i + 1}"
        (folder / person).mkdir(parents=True)
        write_grey(folder / person / "a.png", stack[0])
        write_grey(folder / person / "b.png", stack[1])
        probes[person] = stack[2]
    return folder, probes
