import io
import json
import pickle
import zipfile

import numpy as np
import pytest

from slrfr_gui.method.learned import LearnedRelightingClassifier
from slrfr_gui.errors import ModelFileError
from slrfr_gui.method.modelfile import load_model, save_model
from slrfr_gui.evaluation.yale import light_vector
from tests.conftest import synthetic_faces


@pytest.fixture(scope="module")
def trained():
    _, images = synthetic_faces(3, light_vector([0, 20], [0, 10]), seed=7)
    return LearnedRelightingClassifier(resolution=(7, 6)).fit(images[:, 0], ["ann", "bob", "çé"]), images


def test_round_trip_gives_identical_residuals(tmp_path, trained):
    clf, images = trained
    path = save_model(clf, tmp_path / "m.npz", thumbnails=images[:, 0])
    loaded, thumbs = load_model(path)
    probes = np.random.default_rng(0).random((4, 7, 6))
    np.testing.assert_allclose(loaded.residuals(probes), clf.residuals(probes), rtol=1e-12)
    assert list(loaded.classes_) == ["ann", "bob", "çé"]
    assert loaded.resolution_ == (7, 6)
    np.testing.assert_allclose(thumbs, images[:, 0], atol=1e-6)
    assert not list(tmp_path.glob(".*tmp")), "no temporary file is left behind"


def test_truncated_file_gives_one_line_error(tmp_path, trained):
    path = save_model(trained[0], tmp_path / "m.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="m.npz") as err:
        load_model(path)
    assert "\n" not in str(err.value)


def test_missing_empty_and_foreign_files(tmp_path):
    with pytest.raises(ModelFileError, match="no such slrfr model file"):
        load_model(tmp_path / "none.npz")
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(ModelFileError, match="empty.npz"):
        load_model(tmp_path / "empty.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ModelFileError, match="text.npz"):
        load_model(tmp_path / "text.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ModelFileError, match="not a slrfr model"):
        load_model(tmp_path / "other.npz")
    np.save(tmp_path / "bare.npy", np.zeros(3))
    with pytest.raises(ModelFileError, match="bare.npy"):
        load_model(tmp_path / "bare.npy")
    with pytest.raises(ModelFileError, match="folder"):
        load_model(tmp_path)


class Boom:
    def __reduce__(self):
        return (RuntimeError, ("the pickled object was loaded",))


def test_pickled_object_is_refused_without_being_loaded(tmp_path, trained):
    path = save_model(trained[0], tmp_path / "m.npz")
    # Add an object array whose unpickling would raise if it ever ran.
    with zipfile.ZipFile(path, "a") as zf:
        buffer = io.BytesIO()
        np.save(buffer, np.array([Boom()], dtype=object), allow_pickle=True)
        zf.writestr("evil.npy", buffer.getvalue())
    with pytest.raises(ModelFileError, match="pickle"):
        load_model(path)
    # A whole pickle file is refused too.
    (tmp_path / "p.npz").write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "p.npz")


def _rewrite(path, **changes):
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(arrays["metadata"].tobytes())
    meta.update(changes.pop("meta", {}))
    arrays.update(changes)
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


def test_unknown_version_and_checksum_mismatch(tmp_path, trained):
    path = save_model(trained[0], tmp_path / "m.npz")
    _rewrite(path, meta={"version": 99})
    with pytest.raises(ModelFileError, match="version 99"):
        load_model(path)
    path = save_model(trained[0], tmp_path / "m2.npz")
    with np.load(path) as data:
        bases = data["bases"].copy()
    bases[0, 0] += 1.0
    _rewrite(path, bases=bases)
    with pytest.raises(ModelFileError, match="checksum"):
        load_model(path)


def test_failed_write_leaves_the_previous_file_intact(tmp_path, trained, monkeypatch):
    path = save_model(trained[0], tmp_path / "m.npz")
    before = path.read_bytes()
    import slrfr_gui.files.atomic as atomic

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", fail)
    with pytest.raises(ModelFileError, match="previous file is unchanged|No space"):
        save_model(trained[0], path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_unfitted_model_cannot_be_saved(tmp_path):
    with pytest.raises(ModelFileError, match="not trained"):
        save_model(LearnedRelightingClassifier(), tmp_path / "m.npz")


def test_messages_say_what_kind_of_file_it_is(tmp_path):
    (tmp_path / "t.npz").write_text("just text")
    with pytest.raises(ModelFileError, match="another kind of file"):
        load_model(tmp_path / "t.npz")
    np.save(tmp_path / "a.npy", np.zeros(3))
    (tmp_path / "a.npy").rename(tmp_path / "a.npz")
    with pytest.raises(ModelFileError, match="bare NumPy array"):
        load_model(tmp_path / "a.npz")
    (tmp_path / "p.npz").write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(ModelFileError, match="pickle"):
        load_model(tmp_path / "p.npz")


def test_duplicate_persons_and_bad_thumbnails_are_refused(tmp_path, trained):
    clf, images = trained
    path = save_model(clf, tmp_path / "m.npz", thumbnails=images[:, 0])
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(arrays.pop("metadata").tobytes())
    meta["persons"] = ["ann", "ann", "bob"]
    from slrfr_gui.files.datafile import write_data_file

    meta.pop("sha256")
    fmt, version = meta.pop("format"), meta.pop("version")
    write_data_file(tmp_path / "dup.npz", arrays, meta, fmt, version, ModelFileError)
    with pytest.raises(ModelFileError, match="twice"):
        load_model(tmp_path / "dup.npz")


def test_output_check_refuses_to_overwrite_what_is_not_a_model(tmp_path, trained):
    from slrfr_gui.method.modelfile import check_model_output

    clf, _ = trained
    assert check_model_output(tmp_path / "new.npz") == tmp_path / "new.npz"  # not there yet: fine
    model = save_model(clf, tmp_path / "old.npz")
    assert check_model_output(model) == model  # a model file may be replaced
    image = tmp_path / "alice.png"
    image.write_bytes(b"\x89PNG not really")
    with pytest.raises(ModelFileError, match="model files end in .npz") as caught:
        check_model_output(image)
    assert str(image) in str(caught.value)
    gallery = tmp_path / "g.npz"
    gallery.write_bytes(b"precious")
    with pytest.raises(ModelFileError, match="not a slrfr model file this version reads .*, so it was not overwritten"):
        check_model_output(gallery)
    assert gallery.read_bytes() == b"precious"
    with pytest.raises(ModelFileError, match="is a folder"):
        check_model_output(tmp_path)


def _rewrite_metadata(path, change):
    """Write ``path`` again with its metadata changed by ``change(meta)`` (arrays as they are)."""
    from slrfr_gui.files.datafile import read_data_file, write_data_file
    from slrfr_gui.method.modelfile import FORMAT, FORMAT_VERSION, READS

    arrays, meta = read_data_file(path, FORMAT, READS, ModelFileError, "slrfr model file", "")
    meta = {k: v for k, v in meta.items() if k not in ("format", "version", "sha256")}
    change(meta)
    write_data_file(path, arrays, meta, FORMAT, FORMAT_VERSION, ModelFileError)


@pytest.mark.parametrize("relighting", ["learned", "physical"])
def test_model_file_names_the_class_it_holds_and_files_that_name_none_still_load(tmp_path, trained, relighting):
    from slrfr_gui.method.classifiers import make_classifier
    from slrfr_gui.method.modelfile import read_data_file, FORMAT, READS

    clf, images = trained
    if relighting == "physical":
        clf = make_classifier(resolution=(7, 6), relighting="physical", features="sqrt").fit(images[:, 0], clf.classes_)
    path = save_model(clf, tmp_path / "m.npz")
    _, meta = read_data_file(path, FORMAT, READS, ModelFileError, "slrfr model file", "")
    assert meta["estimator"] == type(clf).__name__
    assert meta["classifier"] == "slrfr" and meta["params"]["relighting"] == relighting  # as earlier versions read
    probes = np.random.default_rng(1).random((3, 7, 6))
    # A file written before classes were named (slrfr-gui 0.1.0 up to issue 17): its relighting says which.
    _rewrite_metadata(path, lambda meta: meta.pop("estimator"))
    loaded, _ = load_model(path)
    assert type(loaded) is type(clf)
    np.testing.assert_allclose(loaded.residuals(probes), clf.residuals(probes), rtol=1e-12)


def test_a_model_file_holding_an_unknown_class_is_refused_naming_it_and_the_version(tmp_path, trained):
    path = save_model(trained[0], tmp_path / "m.npz")
    _rewrite_metadata(path, lambda meta: meta.update(estimator="SparseCodingClassifier", software="slrfr-gui 9.0"))
    with pytest.raises(ModelFileError, match="m.npz: model file holds a 'SparseCodingClassifier'.*slrfr-gui 9.0"):
        load_model(path)
