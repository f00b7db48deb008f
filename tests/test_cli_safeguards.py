"""What a newcomer following the README ran into on the command line: each fixed, each kept fixed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from slrfr_gui.cli import slrfr as cli
from slrfr_gui.faces.camera import write_video
from slrfr_gui.faces.frame import degrade
from slrfr_gui.files.imageio import write_grey
from slrfr_gui.demo.synthetic import render_faces, sample_albedos
from slrfr_gui.evaluation.yale import light_vector


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A gallery of four fictional persons, a 12x10 model of it, a 7x6 probe of person p2 and a video of p2."""
    tmp = tmp_path_factory.mktemp("safeguards")
    faces = render_faces(sample_albedos(4, seed=3), light_vector([0, 15], [0, 5]))
    for i, stack in enumerate(faces):
        (tmp / "gallery" / f"p{i}").mkdir(parents=True)
        write_grey(tmp / "gallery" / f"p{i}" / "a.png", stack[0])
    assert cli.main(["enroll", str(tmp / "gallery"), "--resolution", "12x10", "-o", str(tmp / "m12.npz"),
                     "--quiet"]) == 0
    write_grey(tmp / "probe_7x6.png", degrade(faces[2, 1], (7, 6)))
    frames = []
    for k in range(3):
        frame = np.clip(0.5 + 0.05 * np.random.default_rng(k).standard_normal((120, 160)), 0, 1)
        frame[30:78, 60:100] = faces[2, 1]
        frames.append(frame)
    write_video(tmp / "v.avi", frames)
    return tmp


def test_enroll_never_overwrites_an_image_or_a_file_that_is_not_a_model(made, tmp_path, capsys):
    image = tmp_path / "alice.png"
    image.write_bytes(b"a gallery image")
    capsys.readouterr()
    assert cli.main(["enroll", str(made / "gallery"), "-o", str(image), "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("slrfr: error:") and "model files end in .npz" in err[0]
    other = tmp_path / "notes.npz"
    other.write_bytes(b"not a model")
    assert cli.main(["enroll", str(made / "gallery"), "-o", str(other), "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a slrfr model file" in err[0] and str(other) in err[0]
    assert image.read_bytes() == b"a gallery image" and other.read_bytes() == b"not a model"
    model = tmp_path / "m.npz"  # an existing model file is replaced, as before
    assert cli.main(["enroll", str(made / "gallery"), "-o", str(model), "--quiet", "--iterations", "1"]) == 0
    assert cli.main(["enroll", str(made / "gallery"), "-o", str(model), "--quiet", "--iterations", "1"]) == 0


def test_sparsity_above_the_default_atoms_is_a_usage_error(made, tmp_path, capsys):
    code = cli.main(["enroll", str(made / "gallery"), "-o", str(tmp_path / "m.npz"), "--sparsity", "30"])
    err = capsys.readouterr().err
    assert code == 2 and "(--sparsity) 30 cannot exceed the atoms per person, 21 at 7x6" in err


def test_a_probe_smaller_than_the_model_is_up_sampled_visibly(made, capsys):
    capsys.readouterr()
    assert cli.main(["identify", str(made / "m12.npz"), str(made / "probe_7x6.png")]) == 0
    captured = capsys.readouterr()
    assert "aligned 7x6 -> 12x10" in captured.out
    warning = [line for line in captured.err.splitlines() if line.startswith("slrfr: warning:")]
    assert len(warning) == 1
    assert "smaller than the model's resolution (12x10)" in warning[0] and "--resolution 7x6" in warning[0]
    assert cli.main(["identify", str(made / "m12.npz"), str(made / "probe_7x6.png"), "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)[0]
    assert "up-sampled" in entry["warning"] and "up-sampled" in entry["faces"][0]["warning"]


def test_probes_and_camera_together_are_a_usage_error(made, capsys):
    code = cli.main(["identify", str(made / "m12.npz"), str(made / "probe_7x6.png"), "--camera", str(made / "v.avi")])
    err = capsys.readouterr().err
    assert code == 2 and "PROBE files or --camera SOURCE, not both" in err


def test_camera_text_output_lists_top_persons(made, capsys):
    capsys.readouterr()
    assert cli.main(["identify", str(made / "m12.npz"), "--camera", str(made / "v.avi"), "--top", "3",
                     "--cropped"]) == 0
    frames = [line for line in capsys.readouterr().out.splitlines() if line.startswith("frame ")]
    assert frames and all(line.count("(") - line.count("unknown") >= 3 for line in frames), frames
    assert cli.main(["identify", str(made / "m12.npz"), "--camera", str(made / "v.avi"), "--top", "1",
                     "--cropped"]) == 0
    frames = [line for line in capsys.readouterr().out.splitlines() if line.startswith("frame ")]
    assert all(line.count(" (") == 1 for line in frames), frames


def test_evaluate_on_a_folder_of_loose_yale_files_asks_for_the_cropped_yale_folder(tmp_path, capsys):
    (tmp_path / "yaleB01_P00A+000E+00.pgm").write_bytes(b"P5 1 1 255\n\x00")
    assert cli.main(["evaluate", "--data", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds Yale B images directly" in err[0] and "one sub-folder per subject" in err[0]


def test_opening_a_missing_camera_keeps_opencv_warnings_off_the_terminal(capfd):
    from slrfr_gui.faces.camera import FrameSource
    from slrfr_gui.errors import CameraError

    with pytest.raises(CameraError, match="camera 99 cannot be opened"):
        FrameSource("99")
    assert "WARN" not in capfd.readouterr().err
