"""The cross-set protocol cross-v1 on a small fictional face set."""

import numpy as np
import pytest

from slrfr_gui.evaluation.crossset import ABLATIONS, METHODS, evaluate_cross, load_face_set
from slrfr_gui.errors import DataSetError
from slrfr_gui.faces.frame import degrade
from slrfr_gui.files.imageio import read_grey, write_grey
from slrfr_gui.method.openset import OpenSetDefaults
from slrfr_gui.evaluation.yale import light_vector
from tests.conftest import synthetic_faces

LIGHTS = light_vector([0, 15, -15, 5], [0, 5, -5, 15])


@pytest.fixture(scope="module")
def face_set(tmp_path_factory):
    """Six persons, four images each, as 60x50 files (not the 48x40 frame); person6 has one image only."""
    import cv2

    _, images = synthetic_faces(6, LIGHTS, seed=31)
    root = tmp_path_factory.mktemp("set")
    for i, stack in enumerate(images):
        folder = root / f"person{i + 1}"
        folder.mkdir()
        for j, face in enumerate(stack[: (1 if i == 5 else 4)]):
            write_grey(folder / f"img{3 - j}.png", cv2.resize(face, (50, 60), interpolation=cv2.INTER_CUBIC))
    (root / "person1" / "notes.txt").write_text("not an image")
    return root


def test_the_gallery_is_the_first_image_by_name_and_probes_the_stored_others(face_set):
    faces = load_face_set(face_set)
    assert faces.persons == [f"person{i}" for i in range(1, 7)]
    assert [p.split("/")[-1] for p in faces.gallery_files] == ["img0.png"] * 5 + ["img3.png"]
    assert faces.gallery.shape == (6, 48, 40) and len(faces.probes) == 5 * 3
    assert all(p.shape == (60, 50) for p in faces.probes)  # as stored: not cropped, not resized
    np.testing.assert_array_equal(faces.probes[0], read_grey(face_set / "person1" / "img1.png"))
    assert any("notes.txt" in path for path, _ in faces.skipped)


def test_evaluate_cross_runs_the_default_its_rivals_and_the_open_set(face_set):
    result = evaluate_cross(face_set, [(7, 6), (12, 10)], methods=METHODS + tuple(ABLATIONS))
    assert result.protocol == "cross-v1"
    by = {(r.method, r.resolution): r for r in result.results}
    assert set(by) == {(m, s) for m in METHODS + tuple(ABLATIONS) for s in [(7, 6), (12, 10)]}
    for r in result.results:
        assert 0.0 <= r.rank1 <= 1.0 and r.runs == 1 and r.subsets == {} and len(r.cmc) == 10
        assert r.cmc == sorted(r.cmc) and r.cmc[-1] <= 1.0
    # Fictional faces rendered in the canonical frame under near-frontal lights: the default names most.
    assert by[("SLRFR", (12, 10))].rank1 >= 0.8
    # The open set at the shipped default threshold of the model's regime.
    o = by[("SLRFR", (7, 6))].open_set["0.1"]
    assert o["threshold"] == pytest.approx(OpenSetDefaults.load().threshold((7, 6), "canonical"))
    assert 0.0 <= o["fpir"] <= 1.0 and 0.0 <= o["fnir"] <= 1.0
    assert any("single image" in n for n in result.notes) and any("canonical regime" in n for n in result.notes)


def test_probes_are_the_protocol_degradation_of_the_stored_image(face_set, monkeypatch):
    """Scored probes are degrade(stored image, r x c): checked by scoring them by hand with NC-NN."""
    from slrfr_gui.evaluation.baselines import NormalisedCorrelationNN
    from slrfr_gui.evaluation.evaluate import true_ranks

    faces = load_face_set(face_set)
    result = evaluate_cross(faces, [(10, 8)], methods=("NC-NN",), open_set=False)
    probes = np.stack([degrade(p, (10, 8)) for p in faces.probes])
    clf = NormalisedCorrelationNN(resolution=(10, 8)).fit(faces.gallery, np.array(faces.persons))
    ranks = true_ranks(clf.residuals(probes), clf.classes_, faces.probe_persons)
    assert result.results[0].rank1 == pytest.approx(np.mean(ranks == 1))


def test_sets_it_cannot_run_on_say_why(tmp_path):
    with pytest.raises(DataSetError, match="no such folder"):
        load_face_set(tmp_path / "missing")
    (tmp_path / "one" / "alice").mkdir(parents=True)
    write_grey(tmp_path / "one" / "alice" / "a.png", np.random.default_rng(0).random((48, 40)))
    write_grey(tmp_path / "one" / "alice" / "b.png", np.random.default_rng(1).random((48, 40)))
    with pytest.raises(DataSetError, match="at least two"):
        load_face_set(tmp_path / "one")
    (tmp_path / "one" / "bob").mkdir()
    (tmp_path / "one" / "alice" / "b.png").unlink()
    write_grey(tmp_path / "one" / "bob" / "a.png", np.random.default_rng(2).random((48, 40)))
    with pytest.raises(DataSetError, match="no probe"):
        load_face_set(tmp_path / "one")
    with pytest.raises(ValueError, match="unknown method"):
        evaluate_cross(tmp_path / "one", [(7, 6)], methods=("magic",))


def test_normalised_correlation_ignores_gain_and_offset():
    from slrfr_gui.evaluation.baselines import NormalisedCorrelationNN

    faces = np.random.default_rng(4).random((3, 48, 40))
    clf = NormalisedCorrelationNN(resolution=(7, 6)).fit(faces, np.array(["a", "b", "c"]))
    probe = 0.3 * degrade(faces[1], (7, 6)) + 0.2
    res = clf.residuals(probe[None])
    assert res[0, 1] == pytest.approx(0.0, abs=1e-12) and np.all(res[0, [0, 2]] > 0.05)


def test_open_set_defaults_keep_a_curve_per_regime(tmp_path):
    import json

    path = tmp_path / "openset.json"
    path.write_text(json.dumps({"fpir": 0.1, "thresholds": {"7x6": 0.8, "12x10": 0.85},
                                "crop_thresholds": {"7x6": 0.9, "12x10": 0.95}}))
    defaults = OpenSetDefaults.load(path)
    assert defaults.threshold((7, 6)) == pytest.approx(0.8)
    assert defaults.threshold((7, 6), "crop") == pytest.approx(0.9)
    assert defaults.threshold((12, 10), "crop") == pytest.approx(0.95)
    path.write_text(json.dumps({"fpir": 0.1, "thresholds": {"7x6": 0.8}}))
    assert OpenSetDefaults.load(path).threshold((7, 6), "crop") == pytest.approx(0.8)  # no crop curve: canonical
