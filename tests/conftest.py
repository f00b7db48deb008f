"""Shared fixtures. Qt runs offscreen; Yale B tests skip where the data is absent."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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
    """Fictional faces from the shipped face model (albedo PCA, mean normals).

    Returns
    -------
    albedos : ndarray of shape (n_persons, 48, 40)
    images : ndarray of shape (n_persons, n_lights, 48, 40), grey levels in [0, 1]
    """
    from slrfr_gui.demo.synthetic import render_faces, sample_albedos

    albedos = sample_albedos(n_persons, seed=seed)
    return albedos, render_faces(albedos, lights)


@pytest.fixture
def synthetic_gallery(tmp_path):
    """A gallery folder of 6 synthetic persons (2 images each) plus probes of each person.

    Returns (folder, probes) with probes a dict person -> ndarray (48, 40) under a new light.
    """
    from slrfr_gui.files.imageio import write_grey
    from slrfr_gui.evaluation.yale import light_vector

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
