"""Issue 15, items 6 and 7: training reports every stage in order and stops inside K-SVD when asked."""

import time

import numpy as np
import pytest

from slrfr_gui.method.learned import LearnedRelightingClassifier
from slrfr_gui.method.physical import PhysicalRelightingClassifier
from slrfr_gui.errors import Cancelled
from slrfr_gui.method.ksvd import ksvd
from slrfr_gui.evaluation.yale import light_vector
from tests.conftest import synthetic_faces


@pytest.fixture(scope="module")
def many_images():
    """Six persons with eight images each: at 7x6 their 80 signals need K-SVD (the sparse regime)."""
    rng = np.random.default_rng(5)
    _, images = synthetic_faces(6, light_vector(rng.uniform(-40, 40, 8), rng.uniform(-20, 30, 8)), seed=8)
    return images.reshape(-1, 48, 40), np.repeat([f"p{i}" for i in range(6)], 8)


def test_physical_training_reports_relighting_then_each_persons_dictionary(many_images):
    faces, labels = many_images
    seen = []
    clf = PhysicalRelightingClassifier(resolution=(7, 6), features="sqrt", n_iter=3).fit(
        faces, labels, progress=lambda d, t, s: seen.append((s, d, t)))
    assert clf.regime_ == "sparse"
    stages = [s for s, _, _ in seen]
    assert stages == sorted(stages, key=["relight", "train"].index)  # in order, never back
    train = [(d, t) for s, d, t in seen if s == "train"]
    # Before: one report for the whole batch of persons, after all their K-SVDs.
    assert [d for d, _ in train][:7] == [0, 1, 2, 3, 4, 5, 6] and all(t == 6 for _, t in train)
    relight = [d for s, d, _ in seen if s == "relight"]
    assert relight == sorted(relight) and relight[-1] == len(faces)


def test_learned_relighting_reports_as_it_enrolls():
    _, images = synthetic_faces(300, light_vector([0, 20], [0, 10]), seed=2)
    seen = []
    LearnedRelightingClassifier(resolution=(7, 6)).fit(images.reshape(-1, 48, 40), np.repeat(np.arange(300), 2),
                                           progress=lambda d, t, s: seen.append((s, d, t)))
    # Before: one report, at the end, for any gallery under 4,096 images.
    assert [d for _, d, _ in seen] == [256, 512, 600] and {s for s, _, _ in seen} == {"enroll"}


def test_cancel_reaches_k_svd_inside_a_batch_of_persons(many_images):
    faces, labels = many_images
    asked = {}

    def progress(done, total, stage):
        if stage == "train" and done >= 1 and "at" not in asked:
            asked["at"] = done

    calls = []

    def should_stop():
        calls.append(time.perf_counter())
        return "at" in asked

    with pytest.raises(Cancelled):  # before: the batch of all six persons ran to its end, then fit returned
        PhysicalRelightingClassifier(resolution=(7, 6), features="sqrt").fit(
            faces, labels, progress=progress, should_stop=should_stop)
    assert asked["at"] == 1


def test_ksvd_stops_between_iterations():
    signals = np.random.default_rng(0).standard_normal((42, 200))
    count = []

    def stop():
        count.append(1)
        return len(count) > 2

    with pytest.raises(Cancelled):
        ksvd(signals, 21, 3, n_iter=50, should_stop=stop)
    assert len(count) == 3
