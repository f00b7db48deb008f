"""Bad files: every loader of the core, fed damaged, foreign and random bytes (issue 7).

Two halves:

* explicit cases for the data-file format (models, galleries): versioned,
  ``allow_pickle=False``, JSON metadata, a checksum over the arrays, one-line
  errors naming the file, atomic writes that a failure part-way cannot spoil;
* property-based tests (Hypothesis): mutations of *valid* files (bit flips,
  truncation, splicing in bytes of another file, overwriting a run of bytes)
  and plain random bytes, given to every loader. Only the project's named
  exceptions (:class:`~slrfr_gui.errors.SLRFRError`) may come out, with a
  one-line message naming the file; never another exception or a hang.

Hypothesis settings (the ``FUZZ`` profile below): ``derandomize=True`` so a run
is reproducible and needs no example database; ``max_examples`` per loader
chosen so the whole module runs in well under a minute on the 2-core test machine
(``FUZZ_EXAMPLES`` environment variable multiplies them for a longer hunt);
``deadline`` 3 s per example, which turns a hang into a failure.
"""

from __future__ import annotations

import io
import json
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from slrfr_gui.method.learned import LearnedRelightingClassifier
from slrfr_gui.errors import GalleryError, ImageReadError, ModelFileError, ResourceError, SLRFRError
from slrfr_gui.gallery.gallery import Gallery
from slrfr_gui.files.imageio import read_grey
from slrfr_gui.method.modelfile import load_model, save_model
from slrfr_gui.evaluation.yale import light_vector
from tests.conftest import ROOT, synthetic_faces

_SCALE = float(os.environ.get("FUZZ_EXAMPLES", "1"))


def fuzz_settings(examples: int):
    """The ``FUZZ`` profile: reproducible, ``examples`` x FUZZ_EXAMPLES cases, 3 s per case at most."""
    return settings(max_examples=max(1, int(examples * _SCALE)), deadline=3000, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


# ------------------------------------------------------------------ seeds
@pytest.fixture(scope="module")
def trained():
    _, images = synthetic_faces(3, light_vector([0, 20, -15], [0, 10, -5]), seed=7)
    clf = LearnedRelightingClassifier(resolution=(7, 6)).fit(images[:, 0], ["ann", "bob", "çé"])
    return clf, images


class _Seeds(dict):
    """A dict whose repr stays short in Hypothesis's failure reports."""

    def __repr__(self):
        return f"<{len(self)} seed files>"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory, trained):
    """Valid files of every kind the core reads, as bytes."""
    from slrfr_gui.method.classifiers import make_classifier

    folder = tmp_path_factory.mktemp("seeds")
    clf, images = trained
    out = _Seeds()
    save_model(clf, folder / "model.npz", thumbnails=images[:, 0])
    out["model"] = (folder / "model.npz").read_bytes()
    outdoor = make_classifier("outdoor", resolution=(7, 6))
    outdoor.fit(images.reshape(-1, 48, 40), np.repeat(["ann", "bob", "çé"], images.shape[1]))
    save_model(outdoor, folder / "outdoor.npz")
    out["outdoor"] = (folder / "outdoor.npz").read_bytes()
    gallery = Gallery()
    for person, stack in zip(["ann", "Bob", "Zoë"], images):
        gallery.add_face(person, stack[0], name="a.png")
    gallery.add_person("nobody")
    gallery.save(folder / "g.slrfr-gallery")
    out["gallery"] = (folder / "g.slrfr-gallery").read_bytes()
    grey = (images[0, 0] * 255).astype(np.uint8)
    for fmt, kwargs in [("PNG", {}), ("JPEG", {"quality": 90}), ("GIF", {}), ("TIFF", {}), ("BMP", {}),
                        ("WEBP", {"lossless": True}), ("PPM", {})]:
        buffer = io.BytesIO()
        Image.fromarray(grey).save(buffer, fmt, **kwargs)
        out[f"image.{fmt.lower()}"] = buffer.getvalue()
    buffer = io.BytesIO()
    Image.fromarray(grey.astype(np.uint16) * 257).save(buffer, "PNG")
    out["image.png16"] = buffer.getvalue()
    for name in ("detector.npz", "face_model.npz", "lighting_metrics.npz", "generic_metrics.npz", "openset.json"):
        out[name] = (ROOT / "resources" / name).read_bytes()
    out["results.json"] = json.dumps({"protocol": "yaleb-lr-v1", "results": [
        {"method": "slrfr", "resolution": "7x6", "rank1": 0.8, "rank1_min": 0.7, "runs": 2,
         "subsets": {"S1": 0.9}, "cmc": [0.8] * 10, "regime": "x",
         "open_set": {"0.1": {"threshold": 0.8, "fpir": 0.1, "fnir": 0.3}}}]}).encode()
    return out


# ------------------------------------------------------------- mutations
@st.composite
def mutated(draw, data: bytes, others=()):
    """``data`` after 1-3 mutations: bit flip, truncation, splice from another file, overwrite, repeat."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "truncate", "splice", "overwrite", "repeat"]))
        n = len(out)
        if n == 0:
            break
        pos = draw(st.integers(0, n - 1))
        if kind == "flip":
            out[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del out[pos:]
        elif kind == "splice":
            donor = draw(st.sampled_from(list(others) or [bytes(data)]))
            start = draw(st.integers(0, max(len(donor) - 1, 0)))
            out[pos:pos] = donor[start:start + draw(st.integers(1, 4096))]
        elif kind == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=64))
            out[pos:pos + len(chunk)] = chunk
        else:
            out[pos:pos] = out[pos:pos + draw(st.integers(1, 512))]
    return bytes(out)


_counter = iter(range(10**9))


def _write(folder: Path, data: bytes, suffix: str) -> Path:
    path = folder / f"fuzz{next(_counter)}{suffix}"
    path.write_bytes(data)
    return path


def _expect_named_error(load, path, allowed):
    """Call ``load(path)``: it may succeed or raise one of ``allowed`` with a one-line message naming the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a warning (e.g. a RuntimeWarning of NumPy) is a failure too
            return load(path)
    except allowed as exc:
        message = str(exc)
        assert "\n" not in message, message
        assert path.name in message, message
        return None
    finally:
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------- loaders
def _model(path):
    model, thumbs = load_model(path)
    # Whatever loads must also rank a probe without a traceback.
    probe = np.random.default_rng(0).random((7, 6))
    try:
        model.rank_probe(probe, 2)
    except SLRFRError:
        pass
    return model


def _gallery(path):
    g = Gallery.open(path)
    assert g.faces.shape[1:] == (48, 40) and len(g.labels) == len(g.faces)
    return g


def _face_model(path):
    from slrfr_gui.faces.facemodel import FaceModel

    return FaceModel.load(path)


def _detector(path):
    from slrfr_gui.faces.detect import FaceDetector

    return FaceDetector.load(path)


def _lighting(path):
    from slrfr_gui.method.lighting_resources import _load

    return _load.__wrapped__(str(path))


def _generic(path):
    from slrfr_gui.method.generic import _load

    return _load.__wrapped__(str(path))


def _image(path):
    grey = read_grey(path)
    assert grey.ndim == 2 and np.all((grey >= 0) & (grey <= 1))
    return grey


LOADERS = {
    # name: (loader, seed keys, file suffix, allowed exceptions, examples)
    "model": (_model, ["model", "outdoor"], ".npz", ModelFileError, 250),
    "gallery": (_gallery, ["gallery"], ".slrfr-gallery", GalleryError, 150),
    "face_model": (_face_model, ["face_model.npz"], ".npz", ResourceError, 60),
    "detector": (_detector, ["detector.npz"], ".npz", ResourceError, 100),
    "lighting_metrics": (_lighting, ["lighting_metrics.npz"], ".npz", ResourceError, 50),
    "generic_metrics": (_generic, ["generic_metrics.npz"], ".npz", ResourceError, 30),
    "image": (_image, ["image.png", "image.jpeg", "image.gif", "image.tiff", "image.bmp", "image.webp",
                       "image.ppm", "image.png16"], ".img", ImageReadError, 600),
}


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def _mutation_test(name):
    load, keys, suffix, allowed, examples = LOADERS[name]

    @fuzz_settings(examples)
    @given(data=st.data())
    def test(seeds, fuzz_dir, data):
        key = data.draw(st.sampled_from(keys), label="seed")
        others = [seeds[k] for k in sorted(seeds) if k != key]
        blob = data.draw(mutated(seeds[key], others), label="mutated")
        _expect_named_error(load, _write(fuzz_dir, blob, suffix), allowed)

    test.__name__ = f"test_mutated_{name}_gives_only_named_errors"
    return test


def _random_test(name):
    load, _, suffix, allowed, examples = LOADERS[name]

    @fuzz_settings(max(10, examples // 3))
    @given(blob=st.one_of(st.binary(max_size=2048),
                          st.sampled_from([b"PK\x03\x04", b"\x93NUMPY", b"\x80\x04", b"\x89PNG\r\n\x1a\n",
                                           b"\xff\xd8\xff", b"GIF89a", b"II*\x00", b"BM", b"RIFF"]).flatmap(
                              lambda head: st.binary(max_size=512).map(lambda tail: head + tail))))
    def test(fuzz_dir, blob):
        _expect_named_error(load, _write(fuzz_dir, blob, suffix), allowed)

    test.__name__ = f"test_random_bytes_{name}_give_only_named_errors"
    return test


for _name in LOADERS:
    globals()[f"test_mutated_{_name}_gives_only_named_errors"] = _mutation_test(_name)
    globals()[f"test_random_bytes_{_name}_give_only_named_errors"] = _random_test(_name)


# ---------------------------------------------------------- JSON the core reads
json_values = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=8),
                           lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids,
                                                                                     max_size=4), max_leaves=12)


@st.composite
def mutated_json(draw, data: bytes):
    """A JSON document with one value somewhere replaced by a random JSON value, or its bytes mutated."""
    if draw(st.booleans()):
        return draw(mutated(data))
    doc = json.loads(data)
    node = doc
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        if draw(st.booleans()) or not isinstance(node[key], (dict, list)):
            node[key] = draw(json_values)
            break
        node = node[key]
    return json.dumps(doc).encode()


@fuzz_settings(250)
@given(data=st.data())
def test_openset_defaults_always_give_a_usable_threshold(seeds, fuzz_dir, data):
    """resources/openset.json damaged in any way: the defaults fall back, and every threshold is a ratio."""
    from slrfr_gui.method.openset import OpenSetDefaults

    blob = data.draw(st.one_of(mutated_json(seeds["openset.json"]), st.binary(max_size=256)))
    path = _write(fuzz_dir, blob, ".json")
    defaults = OpenSetDefaults.load(path)
    for resolution in [(5, 4), (7, 6), (12, 10), (48, 40)]:
        t = defaults.threshold(resolution)
        assert isinstance(t, float) and 0.0 < t <= 1.0, t
    path.unlink()


@fuzz_settings(250)
@given(data=st.data())
def test_results_json_gives_only_named_errors(seeds, fuzz_dir, data):
    """The JSON 'slrfr report' reads (written by evaluate --json), damaged: an SLRFRError naming it, or accepted."""
    from slrfr_gui.cli.report import load_results

    blob = data.draw(st.one_of(mutated_json(seeds["results.json"]), st.binary(max_size=256)))
    _expect_named_error(load_results, _write(fuzz_dir, blob, ".json"), SLRFRError)


# --------------------------------------- metadata edited, checksum still valid
def _rewrite_meta(raw: bytes, edit) -> bytes:
    with np.load(io.BytesIO(raw)) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(arrays["metadata"].tobytes())
    edit(meta)
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@fuzz_settings(200)
@given(data=st.data())
def test_edited_model_metadata_gives_only_named_errors(seeds, fuzz_dir, data):
    """The checksum covers the arrays; a metadata field set to any JSON value must still fail cleanly."""
    key = data.draw(st.sampled_from(["model", "outdoor"]))
    field = data.draw(st.sampled_from(["resolution", "params", "persons", "gamma", "regime", "classifier",
                                       "metric_source", "version", "format"]))
    value = data.draw(json_values)

    def edit(meta):
        meta[field] = value

    _expect_named_error(_model, _write(fuzz_dir, _rewrite_meta(seeds[key], edit), ".npz"), ModelFileError)


@fuzz_settings(150)
@given(data=st.data())
def test_edited_gallery_metadata_gives_only_named_errors(seeds, fuzz_dir, data):
    field = data.draw(st.sampled_from(["persons", "images", "root"]))
    value = data.draw(json_values)

    def edit(meta):
        meta[field] = value

    _expect_named_error(_gallery, _write(fuzz_dir, _rewrite_meta(seeds["gallery"], edit), ".slrfr-gallery"),
                        GalleryError)


# ------------------------------------------------------- the format, point by point
def _save_gallery(path, trained):
    gallery = Gallery()
    for person, stack in zip(["ann", "bob"], trained[1]):
        gallery.add_face(person, stack[0], name="a.png")
    return gallery.save(path)


def _save_model(path, trained):
    return save_model(trained[0], path)


KINDS = {
    # kind: (save(path, trained), load(path), exception, what the remedy says)
    "model": (_save_model, load_model, ModelFileError, "enroll the gallery again"),
    "gallery": (_save_gallery, Gallery.open, GalleryError, "open the gallery folder again"),
}


def _resave(path: Path, meta_changes=None, array_changes=None) -> None:
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(arrays["metadata"].tobytes())
    meta.update(meta_changes or {})
    for name, change in (array_changes or {}).items():
        arrays[name] = change(arrays[name].copy())
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


def _bump_first(a):
    a.flat[0] += 1.0
    return a


FORMAT_CASES = {
    "unknown-version": (lambda p: _resave(p, {"version": 99}), r"version 99 is not supported"),
    "checksum-mismatch": (lambda p: _resave(p, array_changes={"faces" if "gallery" in p.name else "bases":
                                                              _bump_first}), "checksum mismatch"),
    "no-checksum": (lambda p: _resave(p, {"sha256": None}), "checksum mismatch"),
    "truncated-half": (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "truncated or damaged"),
    "truncated-to-header": (lambda p: p.write_bytes(p.read_bytes()[:30]), "truncated or damaged|not a"),
    "empty": (lambda p: p.write_bytes(b""), "an empty file"),
    "text": (lambda p: p.write_text("name,score\nann,1\n"), "another kind of file"),
    "png": (lambda p: Image.new("L", (8, 8)).save(p, "PNG"), "another kind of file"),
    "bare-npy": (lambda p: p.write_bytes(_npy_bytes()), "bare NumPy array"),
    "pickle": (lambda p: p.write_bytes(b"\x80\x04\x95" + b"\x00" * 20), "pickle"),
    "other-npz": (lambda p: np.savez(p, a=np.zeros(3)), "no metadata"),
    "zip-of-text": (lambda p: _zip_of_text(p), "not a"),
    "metadata-not-json": (lambda p: _metadata_bytes(p, b"\xff\xfe not json"), "damaged metadata"),
    "metadata-not-object": (lambda p: _metadata_bytes(p, b"[1, 2]"), "not a slrfr"),
}


def _npy_bytes():
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3))
    return buffer.getvalue()


def _zip_of_text(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")


def _metadata_bytes(path, raw):
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["metadata"] = np.frombuffer(raw, dtype=np.uint8)
    np.savez(path, **arrays)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("case", sorted(FORMAT_CASES))
def test_damaged_data_file_gives_one_line_naming_the_file(tmp_path, trained, kind, case):
    save, load, error, remedy = KINDS[kind]
    path = save(tmp_path / f"my-{kind}.npz", trained)
    damage, expected = FORMAT_CASES[case]
    damage(path)
    with pytest.raises(error, match=expected) as caught:
        load(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    if case in ("unknown-version", "checksum-mismatch", "truncated-half", "text", "empty"):
        assert remedy in message, message


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_data_files_hold_versioned_json_metadata_and_no_pickles(tmp_path, trained, kind):
    save, load, _, _ = KINDS[kind]
    path = save(tmp_path / "f.npz", trained)
    with np.load(path, allow_pickle=False) as data:  # would raise on an object array
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(arrays.pop("metadata").tobytes().decode("utf-8"))
    assert meta["format"].startswith("slrfr-") and isinstance(meta["version"], int)
    from slrfr_gui.files.datafile import digest

    assert meta["sha256"] == digest(arrays)
    assert all(a.dtype != object for a in arrays.values())
    load(path)


class _DiskFullAfter:
    """A file object that writes ``limit`` bytes, then fails as a full disk does."""

    def __init__(self, fh, limit):
        self._fh, self._limit = fh, limit

    def write(self, data):
        self._fh.write(data[: self._limit])
        self._fh.flush()
        raise OSError(28, "No space left on device")

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()
        return False


@pytest.mark.parametrize("kind", sorted(KINDS) + ["csv"])
@pytest.mark.parametrize("where", ["write-part-way", "fsync", "rename"])
def test_failed_save_leaves_the_previous_file_intact(tmp_path, trained, monkeypatch, kind, where):
    import slrfr_gui.files.atomic as atomic
    from slrfr_gui.scan.batch import BatchRow, write_csv

    if kind == "csv":
        def save(path, _):
            return write_csv([BatchRow("p.png", "ann", 0.1, "bob", 0.2, 0.5, "ann")], path)
        error = OSError
    else:
        save, _, error, _ = KINDS[kind]
    path = save(tmp_path / "file", trained)
    before = path.read_bytes()
    real_fdopen = atomic.os.fdopen
    if where == "write-part-way":
        monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: _DiskFullAfter(real_fdopen(fd, mode), 100))
    else:
        def fail(*args, **kwargs):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(atomic.os, "fsync" if where == "fsync" else "replace", fail)
    with pytest.raises(error) as caught:
        save(path, trained)
    if error is not OSError:
        assert "previous file there is unchanged" in str(caught.value) and str(path) in str(caught.value)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["file"], "no temporary file is left behind"
