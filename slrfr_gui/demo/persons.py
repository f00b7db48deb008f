"""The built-in demo: fictional persons and probes, generated here, no data set needed.

Every person is drawn from the face model's statistical model of albedo maps
(the PCA of the albedos that photometric stereo recovered from the training
subjects, ``scripts/derive_face_model.py``) and rendered with the model's mean
surface normals (:mod:`slrfr_gui.demo.synthetic`), so no photograph of a real
person ships or is shown. Each person gets one gallery image under a nearly
frontal light and probes under other lights, like an analyst's enrolment photo
and the poorly lit frames to be checked against it.

The same generator makes galleries of any size for tests and benchmarks
(``scripts/make_synthetic_gallery.py`` writes one as a folder).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..faces.facemodel import FaceModel
from ..gallery.gallery import Gallery
from .synthetic import render_faces, sample_albedos
from ..method.relight import light_vector

#: The ``source`` of the demo's gallery images: generated faces, with no photo to show or align again.
DEMO_SOURCE = "demo"

#: Fictional given names, in order; beyond these persons are "Person021", ...
NAMES = ("Ada", "Basil", "Cleo", "Dmitri", "Esme", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Luca",
         "Mina", "Nils", "Oona", "Pavel", "Quinn", "Rosa", "Soren", "Tess")
#: Light of the gallery images: (azimuth, elevation) in degrees, nearly frontal.
GALLERY_LIGHT_DEG = (5.0, 10.0)
#: Probe lights are drawn from these ranges of azimuth and elevation, degrees.
PROBE_AZIMUTH_DEG = (-50.0, 50.0)
PROBE_ELEVATION_DEG = (-20.0, 35.0)


def person_name(index: int) -> str:
    """The name of the demo's ``index``-th person (from 0)."""
    return NAMES[index] if index < len(NAMES) else f"Person{index + 1:03d}"


@dataclass
class DemoProbe:
    """A probe of the demo: a person photographed under another light.

    Attributes
    ----------
    person : str
        Who it is (the truth, for checking the answer).
    image : ndarray of shape (48, 40), float64
        The face in the canonical frame, grey levels in [0, 1]; the application
        degrades it to the probe resolution chosen.
    azimuth, elevation : float
        Its light, degrees.
    """

    person: str
    image: np.ndarray
    azimuth: float
    elevation: float

    @property
    def label(self) -> str:
        # Yale B's convention: a positive azimuth lights the image's left half.
        side = "left" if self.azimuth > 0 else "right"
        return f"{self.person}, lit {abs(self.azimuth):.0f}° from the image's {side}, {self.elevation:+.0f}° up"


@dataclass
class Demo:
    """A gallery of fictional persons and probes of them (see :func:`make_demo`)."""

    gallery: Gallery
    probes: list = field(default_factory=list)


def make_demo(persons: int = 12, probes_per_person: int = 2, seed: int = 0,
              model: FaceModel | None = None) -> Demo:
    """Generate the demo: ``persons`` fictional persons, a gallery image and probes of each.

    Parameters
    ----------
    persons : int
        Number of persons, at least 1.
    probes_per_person : int
        Probes of each person, at least 0; their lights are drawn at random
        (azimuth in :data:`PROBE_AZIMUTH_DEG`, elevation in :data:`PROBE_ELEVATION_DEG`).
    seed : int
        The same seed gives the same persons, names and probes.
    model : FaceModel, optional
        The shipped face model by default.

    Returns
    -------
    Demo
        ``gallery``: one 48 x 40 image per person (source "demo"), not tied to a
        folder; ``probes``: person by person, in gallery order.

    Raises
    ------
    ValueError
        ``persons`` < 1 or ``probes_per_person`` < 0.
    """
    persons, probes_per_person = int(persons), int(probes_per_person)
    if persons < 1:
        raise ValueError(f"persons must be at least 1, got {persons}")
    if probes_per_person < 0:
        raise ValueError(f"probes_per_person must be at least 0, got {probes_per_person}")
    rng = np.random.default_rng(seed)
    albedos = sample_albedos(persons, model=model, seed=rng)
    gallery_faces = render_faces(albedos, light_vector([GALLERY_LIGHT_DEG[0]], [GALLERY_LIGHT_DEG[1]]), model)[:, 0]
    gallery = Gallery()
    for i, face in enumerate(gallery_faces):
        name = person_name(i)
        gallery.add_face(name, np.clip(face, 0.0, 1.0), name=f"{name.lower()}.png", source=DEMO_SOURCE)
    probes = []
    if probes_per_person:
        azimuth = rng.uniform(*PROBE_AZIMUTH_DEG, size=(persons, probes_per_person))
        elevation = rng.uniform(*PROBE_ELEVATION_DEG, size=(persons, probes_per_person))
        for i in range(persons):
            lit = render_faces(albedos[i:i + 1], light_vector(azimuth[i], elevation[i]), model)[0]
            probes += [DemoProbe(person_name(i), np.clip(image, 0.0, 1.0), float(a), float(e))
                       for image, a, e in zip(lit, azimuth[i], elevation[i])]
    return Demo(gallery, probes)
