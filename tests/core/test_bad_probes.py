"""Bad probes (issue 7): blank, tiny, NaN-producing and noise images give a clear answer, never a division by zero.

Each probe goes through the core identify path (``rank_probe``, the batch
``identify_files``) and through ``slrfr identify`` on the command line, with
every warning turned into an error.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from PIL import Image

from slrfr_gui.cli import main
from slrfr_gui.scan.batch import identify_files
from slrfr_gui.errors import ImageReadError, ProbeError
from slrfr_gui.files.imageio import read_grey
from slrfr_gui.method.openset import OpenSetDefaults
from tests.conftest import synthetic_faces

RESOLUTIONS = [(7, 6), (12, 10)]


def _noise(shape, seed=0):
    return (np.random.default_rng(seed).random(shape) * 255).astype(np.uint8)


# name: (writer of the probe file, expected outcome)
#   "refused": no ranking, a reason; "unknown": ranked, but nobody named; "read-error": the file is refused.
PROBES = {
    "all-black": (lambda p: Image.new("L", (40, 48), 0).save(p), "refused"),
    "all-white": (lambda p: Image.new("L", (40, 48), 255).save(p), "refused"),
    "constant-grey": (lambda p: Image.new("L", (40, 48), 93).save(p), "refused"),
    "constant-colour": (lambda p: Image.new("RGB", (40, 48), (200, 30, 90)).save(p), "refused"),
    "constant-large": (lambda p: Image.new("L", (400, 480), 128).save(p), "refused"),
    "transparent": (lambda p: Image.new("RGBA", (40, 48), (0, 0, 0, 0)).save(p), "refused"),
    "1x1": (lambda p: Image.new("L", (1, 1), 200).save(p), "refused"),
    "1x1-black": (lambda p: Image.new("L", (1, 1), 0).save(p), "refused"),
    "3x2": (lambda p: Image.fromarray(_noise((3, 2))).save(p), "refused"),
    "one-row": (lambda p: Image.fromarray(_noise((1, 40))).save(p), "refused"),
    "nan-float-tiff": (lambda p: Image.fromarray(np.full((48, 40), np.nan, np.float32), "F").save(p, "TIFF"),
                       "read-error"),
    "inf-float-tiff": (lambda p: Image.fromarray(np.full((48, 40), np.inf, np.float32), "F").save(p, "TIFF"),
                       "read-error"),
    "huge-float-tiff": (lambda p: Image.fromarray(np.full((48, 40), 3e38, np.float32), "F").save(p, "TIFF"),
                        "refused"),
    "negative-float-tiff": (lambda p: Image.fromarray(-_noise((48, 40)).astype(np.float32), "F").save(p, "TIFF"),
                            "refused"),
    "one-lit-pixel": (lambda p: Image.fromarray(np.pad(np.full((1, 1), 255, np.uint8), ((24, 23), (20, 19))))
                      .save(p), "unknown"),
    "noise-48x40": (lambda p: Image.fromarray(_noise((48, 40), 1)).save(p), "unknown"),
    "noise-person-sized": (lambda p: Image.fromarray(_noise((480, 400), 2)).save(p), "unknown"),
    "noise-at-probe-size": (lambda p: Image.fromarray(_noise((7, 6), 3)).save(p), "unknown"),
    "16bit-nearly-black": (lambda p: Image.fromarray(np.arange(48 * 40, dtype=np.uint16).reshape(48, 40) % 3)
                           .save(p), "refused"),
}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A small model at each resolution, fitted on fictional faces, saved to a file too."""
    from slrfr_gui.method.learned import LearnedRelightingClassifier
    from slrfr_gui.method.modelfile import save_model
    from slrfr_gui.evaluation.yale import light_vector

    _, images = synthetic_faces(6, light_vector([0, 20], [0, 10]), seed=1)
    folder = tmp_path_factory.mktemp("models")
    out = {}
    for res in RESOLUTIONS:
        clf = LearnedRelightingClassifier(resolution=res).fit(images[:, 0], [f"person{i + 1}" for i in range(6)])
        out[res] = (clf, save_model(clf, folder / f"m{res[0]}x{res[1]}.npz"))
    return out


@pytest.fixture
def probe(tmp_path, request):
    name = request.param
    path = tmp_path / f"{name}.{'tif' if 'tiff' in name else 'png'}"
    PROBES[name][0](path)
    return name, path


@pytest.mark.parametrize("probe", sorted(PROBES), indirect=True)
@pytest.mark.parametrize("resolution", RESOLUTIONS, ids=lambda r: f"{r[0]}x{r[1]}")
def test_core_identify_path(models, probe, resolution):
    name, path = probe
    expected = PROBES[name][1]
    clf, _ = models[resolution]
    threshold = OpenSetDefaults.load().threshold(resolution)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            image = read_grey(path)
        except ImageReadError as exc:
            assert expected == "read-error", exc
            assert path.name in str(exc)
            return
        assert expected != "read-error"
        if expected == "refused":
            with pytest.raises(ProbeError, match="cannot identify the probe: (blank|too small)"):
                clf.rank_probe(image)
        else:
            ranked, ratio = clf.rank_probe(image, top=3)
            assert len(ranked) == 3 and all(np.isfinite(r) for _, r in ranked)
            assert np.isfinite(ratio) and ratio > threshold, f"{name} was named {ranked[0][0]} (ratio {ratio:.3f})"
        (row,) = identify_files(clf, [path], threshold)
    if expected == "unknown":
        assert row.decision == "unknown" and not row.error
    else:
        assert row.error and not row.decision and not row.best


@pytest.mark.parametrize("probe", sorted(PROBES), indirect=True)
def test_command_line_identify(models, probe, capsys):
    name, path = probe
    expected = PROBES[name][1]
    _, model_path = models[(7, 6)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code = main(["identify", str(model_path), str(path), "--json", "--top", "3"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "Warning" not in captured.err
    if expected == "unknown":
        out = json.loads(captured.out)[0]
        # Noise the size of a photo is searched and no face is found (exit 1, said on stderr);
        # a crop-sized one is ranked and judged unknown (exit 0): never a name.
        assert all(f["unknown"] for f in out["faces"]), out["faces"]
        if code:
            assert code == 1 and "no face found" in out["error"] and path.name in captured.err
    else:
        assert code == 1
        lines = [line for line in captured.err.splitlines() if line]
        assert lines and all(line.startswith("slrfr: error:") and path.name in line for line in lines)
        if expected == "refused":
            assert json.loads(captured.out)[0]["ranked"] == []


def test_a_probe_of_nan_values_from_the_api_is_refused(models):
    clf, _ = models[(7, 6)]
    for bad in (np.full((48, 40), np.nan), np.full((48, 40), np.inf), np.zeros((48, 40, 3)), np.zeros((0, 0))):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ProbeError):
                clf.rank_probe(bad)


def test_batch_of_bad_probes_gives_one_row_each(models, tmp_path):
    clf, _ = models[(7, 6)]
    paths = []
    for name, (write, _) in PROBES.items():
        path = tmp_path / f"{name}.{'tif' if 'tiff' in name else 'png'}"
        write(path)
        paths.append(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = identify_files(clf, paths, 0.8)
    assert [r.probe for r in rows] == [str(p) for p in paths]
    assert all(r.error or r.decision == "unknown" for r in rows)
