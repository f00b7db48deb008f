"""The built-in demo's fictional persons and probes."""

import numpy as np
import pytest

from slrfr_gui.method.learned import LearnedRelightingClassifier
from slrfr_gui.demo.persons import NAMES, make_demo, person_name
from slrfr_gui.faces.frame import FRAME_SHAPE, prepare_probe


def test_the_demo_is_fictional_persons_named_and_repeatable():
    demo = make_demo(persons=25, probes_per_person=3, seed=4)
    assert len(demo.gallery.persons) == 25 and len(demo.gallery.images) == 25
    assert demo.gallery.persons[:20] == list(NAMES) and person_name(20) == "Person021"
    assert {im.source for im in demo.gallery.images} == {"demo"} and demo.gallery.root is None
    assert len(demo.probes) == 75 and all(p.image.shape == FRAME_SHAPE for p in demo.probes)
    assert all(0.0 <= p.image.min() and p.image.max() <= 1.0 for p in demo.probes)
    again = make_demo(persons=25, probes_per_person=3, seed=4)
    np.testing.assert_array_equal(demo.gallery.faces, again.gallery.faces)
    np.testing.assert_array_equal(demo.probes[7].image, again.probes[7].image)
    other = make_demo(persons=25, probes_per_person=3, seed=5)
    assert not np.allclose(demo.gallery.faces, other.gallery.faces)
    # Persons differ from one another, and a probe is lit otherwise than its gallery image.
    faces = demo.gallery.faces.reshape(25, -1)
    assert np.min(np.linalg.norm(faces[:, None] - faces[None], axis=2) + np.eye(25) * 1e9) > 0.5
    assert "image's" in demo.probes[0].label and demo.probes[0].person in demo.probes[0].label


def test_the_demo_s_probes_are_recognised_at_12x10():
    demo = make_demo(persons=12, probes_per_person=2, seed=0)
    clf = LearnedRelightingClassifier(resolution=(12, 10)).fit(demo.gallery.faces, demo.gallery.labels)
    probes = np.stack([prepare_probe(p.image, (12, 10)) for p in demo.probes])
    named = clf.predict(probes)
    truth = np.array([p.person for p in demo.probes])
    assert np.mean(named == truth) >= 0.75  # the demo should show the method working


@pytest.mark.parametrize("persons, probes", [(0, 1), (-3, 1), (2, -1)])
def test_bad_demo_sizes_are_refused(persons, probes):
    with pytest.raises(ValueError, match="at least"):
        make_demo(persons, probes)
