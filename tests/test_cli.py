import json
import subprocess
import sys

import numpy as np
import pytest

from slrfr_gui.cli import main
from slrfr_gui.faces.frame import degrade
from slrfr_gui.files.imageio import write_grey


def test_enroll_identify_json(tmp_path, synthetic_gallery, capsys):
    folder, probes = synthetic_gallery
    model = tmp_path / "model.npz"
    assert main(["enroll", str(folder), "--resolution", "10x8", "-o", str(model), "--quiet"]) == 0
    assert "enrolled 6 persons" in capsys.readouterr().out
    files = []
    for person, image in probes.items():
        write_grey(tmp_path / f"{person}.png", degrade(image, (10, 8)))
        files.append(str(tmp_path / f"{person}.png"))
    assert main(["identify", str(model), *files, "--json", "--top", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["probe"] for r in out] == files
    assert all(len(r["ranked"]) == 3 for r in out)
    assert all(set(r["ranked"][0]) == {"person", "residual"} for r in out)
    correct = sum(r["ranked"][0]["person"] in r["probe"] for r in out)
    assert correct >= 5
    # A 48x40 probe is degraded to the model's size; the table output names it.
    # A 48x40 probe is degraded to the model's size: it ranks as its degraded copy does.
    write_grey(tmp_path / "hr.png", probes["person2"])
    assert main(["identify", str(model), str(tmp_path / "hr.png"), "--top", "3"]) == 0
    text = capsys.readouterr().out
    own = next(r for r in out if r["probe"].endswith("person2.png"))
    assert "48x40 -> 10x8" in text
    assert [line.split()[1] for line in text.splitlines() if line.strip()[:2] in ("1.", "2.", "3.")] == \
        [m["person"] for m in own["ranked"]]


def test_identify_errors_are_one_line(tmp_path, capsys):
    assert main(["identify", str(tmp_path / "missing.npz"), "x.png"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("slrfr: error:") and "missing.npz" in err and "\n" not in err


def test_unreadable_probe_is_reported_and_others_still_identified(tmp_path, synthetic_gallery, capsys):
    folder, probes = synthetic_gallery
    model = tmp_path / "m.npz"
    main(["enroll", str(folder), "-o", str(model), "--quiet"])
    (tmp_path / "bad.png").write_bytes(b"nope")
    write_grey(tmp_path / "ok.png", probes["person1"])
    capsys.readouterr()
    assert main(["identify", str(model), str(tmp_path / "bad.png"), str(tmp_path / "ok.png")]) == 1
    captured = capsys.readouterr()
    assert "bad.png" in captured.err and "ok.png" in captured.out
    # --json lists the unreadable file too, with the reason, in the order given.
    assert main(["identify", str(model), str(tmp_path / "bad.png"), str(tmp_path / "ok.png"), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [e["probe"] for e in out] == [str(tmp_path / "bad.png"), str(tmp_path / "ok.png")]
    assert out[0]["ranked"] == [] and out[0]["error"] and "bad.png" not in out[0]["error"]
    assert out[1]["ranked"][0]["person"] == "person1" and "error" not in out[1]


def test_a_one_person_gallery_ranks_but_does_not_judge_unknown(tmp_path, synthetic_gallery, capsys):
    folder, probes = synthetic_gallery
    one = tmp_path / "one"
    (one / "person1").mkdir(parents=True)
    first = sorted((folder / "person1").iterdir())[0]
    (one / "person1" / first.name).write_bytes(first.read_bytes())
    model = tmp_path / "one.npz"
    assert main(["enroll", str(one), "-o", str(model), "--quiet"]) == 0
    assert "only one person is enrolled" in capsys.readouterr().err
    write_grey(tmp_path / "p.png", probes["person3"])
    assert main(["identify", str(model), str(tmp_path / "p.png"), "--json"]) == 0
    face = json.loads(capsys.readouterr().out)[0]["faces"][0]
    assert face["unknown"] is None and "only one person" in face["warning"]
    assert main(["identify", str(model), str(tmp_path / "p.png")]) == 0
    assert "cannot be judged" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["enroll", "g", "--resolution", "3x3", "-o", "m.npz"],
    ["enroll", "g", "--resolution", "big", "-o", "m.npz"],
    ["enroll", "g"],
    ["enroll", "g", "-o", "m.npz", "--atoms", "0"],
    ["identify", "m.npz", "p.png", "--top", "-1"],
    ["evaluate", "--data", "d", "--resolutions", ","],
    ["evaluate", "--data", "d", "--protocol", "other"],
    ["frobnicate"],
    [],
])
def test_bad_arguments_give_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_missing_gallery_and_data(tmp_path, capsys):
    assert main(["enroll", str(tmp_path / "none"), "-o", str(tmp_path / "m.npz")]) == 1
    assert "no such folder" in capsys.readouterr().err
    assert main(["evaluate", "--data", str(tmp_path), "--quiet"]) == 1
    assert "CroppedYale" in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()


def test_relight_writes_albedo_and_nine_images(tmp_path, synthetic_gallery, capsys):
    folder, _ = synthetic_gallery
    out = tmp_path / "out"
    assert main(["relight", str(folder / "person1" / "a.png"), "-o", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert "albedo.png" in names and "input.png" in names
    assert len([n for n in names if n.startswith("relit_")]) == 9


def test_console_script_help_runs():
    out = subprocess.run([sys.executable, "-m", "slrfr_gui.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("evaluate", "enroll", "identify", "relight"):
        assert command in out.stdout


def test_enroll_identify_ten_yale_persons(yale_dir, tmp_path, capsys):
    """Ten Yale B persons, one frontal image each; probes under other S1-S2 lights at 7x6."""
    from slrfr_gui.files.imageio import read_grey
    from slrfr_gui.evaluation.yale import light_angle, load_yale

    yale = load_yale(yale_dir, subjects=range(1, 11))
    gallery = tmp_path / "gallery"
    probes = []
    for i, path in enumerate(yale.paths):
        name = f"yaleB{yale.subjects[i]:02d}"
        if yale.azimuth[i] == 0 and yale.elevation[i] == 0:
            (gallery / name).mkdir(parents=True)
            write_grey(gallery / name / "frontal.png", read_grey(path)[:, 4:164])
        elif light_angle(yale.azimuth[i], yale.elevation[i]) <= 25.5:
            probe = tmp_path / f"{name}__{i}.png"
            write_grey(probe, degrade(yale.images[i], (7, 6)))
            probes.append(str(probe))
    model = tmp_path / "m.npz"
    assert main(["enroll", str(gallery), "--resolution", "7x6", "-o", str(model), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["identify", str(model), *probes, "--json", "--top", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    rate = np.mean([r["ranked"][0]["person"] + "__" in r["probe"] for r in out])
    assert len(out) == 180
    assert rate >= 0.9


def test_blank_tiny_and_huge_probes(tmp_path, synthetic_gallery, capsys):
    from PIL import Image

    folder, probes = synthetic_gallery
    model = tmp_path / "m.npz"
    main(["enroll", str(folder), "-o", str(model), "--quiet"])
    Image.new("L", (40, 48), 0).save(tmp_path / "black.png")
    Image.new("L", (1, 1), 200).save(tmp_path / "dot.png")
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((3000, 2500)) * 255).astype(np.uint8)).save(tmp_path / "big.png")
    capsys.readouterr()
    code = main(["identify", str(model), str(tmp_path / "black.png"), str(tmp_path / "dot.png"),
                 str(tmp_path / "big.png"), "--json"])
    captured = capsys.readouterr()
    assert code == 1
    out = json.loads(captured.out)
    assert out[0]["ranked"] == [] and "blank" in out[0]["error"]
    assert out[1]["ranked"] == [] and "too small" in out[1]["error"]
    # A large photo of noise is searched, quickly, and nobody is named in it.
    assert out[2]["ranked"] == [] and "no face found" in out[2]["error"]
    assert "black.png" in captured.err and "dot.png" in captured.err


def test_output_problems_are_reported_before_long_work(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["evaluate", "--data", str(tmp_path), "--json", str(tmp_path / "file" / "r.json")]) == 1
    assert "no such folder for --json" in capsys.readouterr().err
    assert main(["enroll", str(tmp_path), "-o", str(tmp_path), "--quiet"]) == 1
    assert "is a folder" in capsys.readouterr().err
    assert main(["enroll", str(tmp_path), "-o", str(tmp_path / "m.npz"), "--sparsity", "5", "--atoms", "3"]) == 2


def test_identify_into_a_closed_pipe_stops_quietly(tmp_path, synthetic_gallery):
    folder, probes = synthetic_gallery
    model = tmp_path / "m.npz"
    main(["enroll", str(folder), "-o", str(model), "--quiet"])
    files = []
    for i in range(40):
        write_grey(tmp_path / f"p{i}.png", probes["person1"])
        files.append(str(tmp_path / f"p{i}.png"))
    proc = subprocess.Popen([sys.executable, "-m", "slrfr_gui.cli", "identify", str(model), *files],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err


def test_large_cropped_probe_goes_through_the_frame(tmp_path, synthetic_gallery, capsys):
    from PIL import Image

    folder, probes = synthetic_gallery
    model = tmp_path / "m.npz"
    main(["enroll", str(folder), "-o", str(model), "--quiet"])
    big = np.kron(probes["person5"], np.ones((50, 50)))  # 2400 x 2000, the face fills it
    Image.fromarray(np.round(big * 255).astype(np.uint8)).save(tmp_path / "big.png")
    capsys.readouterr()
    assert main(["identify", str(model), str(tmp_path / "big.png"), "--cropped", "--json", "--top", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["ranked"][0]["person"] == "person5"


def test_benchmark_refuses_bad_output_paths_before_timing_anything(tmp_path, capsys):
    import time

    start = time.perf_counter()
    assert main(["benchmark", "--json", str(tmp_path / "missing" / "b.json")]) == 1
    assert "no such folder for --json" in capsys.readouterr().err
    assert main(["benchmark", "--scaling-plot", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err
    assert main(["benchmark", "--data", str(tmp_path / "nope")]) == 1
    assert "no such folder" in capsys.readouterr().err
    assert time.perf_counter() - start < 5  # failed before the minutes of timing


def test_probe_noise_scores_noisy_probes_and_needs_the_learned_relighting(tmp_path, synthetic_gallery, capsys):
    folder, probes = synthetic_gallery
    model, physical = tmp_path / "m.npz", tmp_path / "p.npz"
    assert main(["enroll", str(folder), "-o", str(model), "--quiet"]) == 0
    assert main(["enroll", str(folder), "-o", str(physical), "--relighting", "physical", "--quiet"]) == 0
    noisy = np.clip(degrade(probes["person4"], (7, 6)) + np.random.default_rng(0).normal(0, 0.02, (7, 6)), 0, 1)
    write_grey(tmp_path / "n.png", noisy)
    capsys.readouterr()
    assert main(["identify", str(model), str(tmp_path / "n.png"), "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)[0]["ranked"]
    assert main(["identify", str(model), str(tmp_path / "n.png"), "--json", "--probe-noise", "0.02"]) == 0
    aware = json.loads(capsys.readouterr().out)[0]["ranked"]
    assert aware[0]["person"] == "person4"
    plain = {e["person"]: e["residual"] for e in plain}
    shared = [e for e in aware if e["person"] in plain]
    assert shared and all(e["residual"] <= plain[e["person"]] + 1e-6 for e in shared)  # noise only forgives
    assert main(["identify", str(physical), str(tmp_path / "n.png"), "--probe-noise", "0.02"]) == 2
    assert "learned relighting" in capsys.readouterr().err


def test_evaluate_cross_v1_on_a_face_set_prints_every_method_and_writes_json(tmp_path, capsys):
    from slrfr_gui.files.imageio import write_grey
    from slrfr_gui.evaluation.yale import light_vector
    from tests.conftest import synthetic_faces

    _, images = synthetic_faces(4, light_vector([0, 10, -10], [0, 5, -5]), seed=41)
    for i, stack in enumerate(images):
        (tmp_path / "set" / f"p{i}").mkdir(parents=True)
        for j, face in enumerate(stack):
            write_grey(tmp_path / "set" / f"p{i}" / f"{j}.png", face)
    out = tmp_path / "cross.json"
    assert main(["evaluate", "--protocol", "cross-v1", "--data", str(tmp_path / "set"), "--resolutions", "7x6",
                 "--ablation", "--quiet", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "protocol cross-v1: rank-1 identification, one run" in text
    for method in ("SLRFR ", "SLRFR physical", "NC-NN", "LR-PCA", "SLRFR before cross-v1"):
        assert method in text
    assert "S1-S3" not in text and "open set" in text and "FPIR 0.1" in text
    data = json.loads(out.read_text())
    assert data["protocol"] == "cross-v1" and {r["method"] for r in data["results"]} >= {"SLRFR", "NC-NN"}

