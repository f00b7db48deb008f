"""Issue 15, item 2: one validation of training parameters, and no dictionary that explains every probe."""

import numpy as np
import pytest

from slrfr_gui.method.physical import PhysicalRelightingClassifier
from slrfr_gui.faces.frame import degrade
from slrfr_gui.method.params import atoms_cap, check_training_parameters
from slrfr_gui.evaluation.yale import light_vector
from tests.conftest import synthetic_faces


def test_sparsity_above_the_atoms_is_refused_naming_both():
    with pytest.raises(ValueError, match=r"sparsity T0 \(--sparsity\) 50 cannot exceed the atoms per person, 10"):
        check_training_parameters((7, 6), relighting="physical", n_atoms=10, sparsity=50)
    with pytest.raises(ValueError, match="21 at 7x6 .the default"):
        check_training_parameters((7, 6), relighting="physical", sparsity=30)
    with pytest.raises(ValueError, match="physical relighting only"):
        check_training_parameters((7, 6), relighting="learned", n_components=5)


def test_values_that_will_be_lowered_are_said():
    notes = check_training_parameters((7, 6), relighting="physical", n_atoms=42, n_components=500)
    assert any("--components) 500 is more than the 42 pixels" in n for n in notes)
    assert any("--atoms) 42 capped at 21" in n for n in notes)
    assert check_training_parameters((7, 6), relighting="physical", n_atoms=20) == []
    assert atoms_cap(42) == 21 and atoms_cap(20) == 10


@pytest.mark.parametrize("atoms", [None, 30, 42])
def test_a_person_with_thirty_images_does_not_take_everyone_elses_probes(atoms):
    """Before: with --atoms 42 at 7x6 the person with 30 images matched every probe with residual 0."""
    rng = np.random.default_rng(3)
    az, el = rng.uniform(-60, 60, 31), rng.uniform(-30, 40, 31)
    az[0] = el[0] = 0
    _, images = synthetic_faces(8, light_vector(az, el), seed=6)
    gallery = np.concatenate([images[0, :30], images[1:, 0]])
    labels = ["many"] * 30 + [f"p{i}" for i in range(1, 8)]
    clf = PhysicalRelightingClassifier(resolution=(7, 6), features="sqrt", n_atoms=atoms).fit(gallery, labels)
    assert clf.n_atoms_ <= 21
    probes = degrade(images[1:, 1:].reshape(-1, 48, 40), (7, 6))
    truth = np.repeat([f"p{i}" for i in range(1, 8)], 30)
    res = clf.residuals(probes)
    assert res.min() > 0.0
    taken = np.mean(clf.predict(probes) == "many")
    assert taken < 0.1, taken  # before: 1.0 at 42 atoms


def test_equal_spans_keep_their_residuals():
    """One image per person (every span the same width): the weights are all 1, nothing changes."""
    _, images = synthetic_faces(4, light_vector([0, 20], [0, 10]), seed=1)
    clf = PhysicalRelightingClassifier(resolution=(7, 6), features="sqrt").fit(images[:, 0], list("abcd"))
    assert np.all(clf._span_weights() == 1.0)
