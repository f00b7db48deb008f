"""Issue 15, item 5: a model file stores each thing once, saves with progress, and older files still load."""

import zipfile

import numpy as np
import pytest

from slrfr_gui.method.classifiers import make_classifier
from slrfr_gui.method.learned import LearnedRelightingClassifier
from slrfr_gui.method.physical import PhysicalRelightingClassifier
from slrfr_gui.files.datafile import write_data_file
from slrfr_gui.errors import Cancelled, ModelFileError
from slrfr_gui.faces.frame import degrade
from slrfr_gui.method.modelfile import FORMAT, load_model, save_model
from slrfr_gui.evaluation.yale import light_vector
from tests.conftest import synthetic_faces


@pytest.fixture(scope="module")
def data():
    _, images = synthetic_faces(12, light_vector([0, 20, -20, 10], [0, 10, -5, 30]), seed=7)
    faces = images[:, :3].reshape(-1, 48, 40)
    labels = np.repeat([f"p{i:02d}" for i in range(12)], 3)
    probes = degrade(images[:, 3], (12, 10))
    return faces, labels, probes


def _v4(model, path):
    """The version-4 layout, as slrfr-gui wrote it before (every array in full)."""
    arrays = {"pca_mean": model.pca_mean_, "pca_basis": model.pca_basis_, "bases": model.bases_,
              "metric_templates": model.metric_.templates, "metric_transforms": model.metric_.transforms,
              "basis_offsets": model.basis_offsets_, "dictionaries": np.concatenate(model.dictionaries_, axis=1),
              "atom_offsets": np.cumsum([0] + [d.shape[1] for d in model.dictionaries_])}
    if model.metric_.means is not None:
        arrays["metric_means"] = model.metric_.means
    meta = {"resolution": list(model.resolution_), "persons": list(model.classes_), "regime": model.regime_,
            "gamma": model.gamma_, "metric_source": model.metric_source_, "metric_centred": model.metric_.centred,
            "params": {"relighting": model.relighting, "features": model.features}}
    write_data_file(path, arrays, meta, FORMAT, 4, ModelFileError)


@pytest.mark.parametrize("relighting,features", [("learned", "log"), ("physical", "sqrt")])
def test_model_files_store_bases_once_and_give_the_same_residuals(data, tmp_path, relighting, features):
    faces, labels, probes = data
    clf = make_classifier(resolution=(12, 10), relighting=relighting, features=features).fit(faces, labels)
    seen = []
    path = save_model(clf, tmp_path / "m.npz", progress=lambda d, t, s: seen.append((d, t, s)))
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        stored = sum(i.compress_size for i in archive.infolist())
    # Before: the dictionaries repeated the bases, and the metric's 24 p x p transforms were stored in full.
    assert "dictionaries.npy" not in names and "metric_transforms.npy" not in names and "pca_basis.npy" not in names
    assert stored < clf.bases_.nbytes + 2_000_000
    assert seen and seen[-1][0] == seen[-1][1] and {s for *_, s in seen} == {"save"}
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    loaded, _ = load_model(path)
    assert np.array_equal(loaded.residuals(probes), clf.residuals(probes))
    assert np.array_equal(loaded.metric_.transforms, clf.metric_.transforms)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.dictionaries_, clf.dictionaries_))
    # A version-4 file (written before this change) loads to the same residuals.
    _v4(clf, tmp_path / "v4.npz")
    old, _ = load_model(tmp_path / "v4.npz")
    assert np.array_equal(old.residuals(probes), clf.residuals(probes))


def test_sparse_dictionaries_are_kept_and_an_unknown_version_is_named(data, tmp_path):
    faces, labels, probes = data
    clf = PhysicalRelightingClassifier(resolution=(7, 6), features="sqrt", n_atoms=12).fit(
        np.concatenate([faces, faces[:3] * 0.9]), np.concatenate([labels, labels[:3]]))
    assert clf.regime_ == "sparse"
    loaded, _ = load_model(save_model(clf, tmp_path / "m.npz"))
    assert all(np.array_equal(a, b) for a, b in zip(loaded.dictionaries_, clf.dictionaries_))
    write_data_file(tmp_path / "v3.npz", {"bases": np.zeros((2, 2))}, {}, FORMAT, 3, ModelFileError)
    with pytest.raises(ModelFileError, match=r"format version 3 is not supported \(this build reads versions 4 and 5\)"):
        load_model(tmp_path / "v3.npz")


def test_a_cancelled_save_leaves_the_earlier_file(data, tmp_path):
    faces, labels, _ = data
    clf = LearnedRelightingClassifier(resolution=(12, 10)).fit(faces, labels)
    path = save_model(clf, tmp_path / "m.npz")
    before = path.read_bytes()
    with pytest.raises(Cancelled):
        save_model(clf, path, thumbnails=faces[::3], should_stop=lambda: True)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]
