"""slrfr-gui from the command line, as a newcomer following the README runs it: no screen, --camera,
Ctrl+C, --json for a failed probe, --model with --resolution or another gallery, and the window's
warnings and refusals that go with them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from slrfr_gui.cli import slrfr as cli
from slrfr_gui.faces.frame import degrade
from slrfr_gui.files.imageio import write_grey
from slrfr_gui.gui import app as app_module
from slrfr_gui.gui.app import main

ROOT = Path(__file__).resolve().parents[2]


def run_gui(args, tmp_path, env_extra=None, drop=(), **kw):
    """slrfr-gui in a new process, with its own settings and data folders."""
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
                "HOME": str(tmp_path / "home"), **(env_extra or {})})
    return subprocess.run([sys.executable, "-m", "slrfr_gui.gui.app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, **kw)


@pytest.fixture
def no_exec(monkeypatch):
    """main() returns at once; the window's work goes on in the test's event loop."""
    monkeypatch.setattr(QApplication, "exec", lambda self=None: 0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is for Linux desktops")
def test_no_screen_is_one_line_saying_what_to_do_and_version_still_works(tmp_path):
    drop = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    done = run_gui(["--demo"], tmp_path, drop=drop, timeout=60)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert lines[0].startswith("slrfr-gui: error: no screen")
    assert "QT_QPA_PLATFORM=offscreen slrfr-gui --demo --screenshot shot.png" in lines[0]
    assert run_gui(["--version"], tmp_path, drop=drop, timeout=60).returncode == 0
    assert "usage: slrfr-gui" in run_gui(["--help"], tmp_path, drop=drop, timeout=60).stdout


def camera_folder(tmp_path, face, n=5) -> Path:
    folder = tmp_path / "frames"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        frame = np.clip(0.5 + 0.05 * rng.standard_normal((120, 160)), 0, 1)
        frame[30:78, 60:100] = face
        write_grey(folder / f"{i:03d}.png", frame)
    return folder


def test_camera_option_starts_the_panel_and_the_screenshot_waits_for_frames(qtbot, no_exec, monkeypatch,
                                                                           synthetic_gallery, tmp_path, capsys):
    folder, probes = synthetic_gallery
    frames = camera_folder(tmp_path, probes["person2"])
    seen = {}

    class Recording(app_module.MainWindow):
        def closeEvent(self, event):
            seen["last"] = self.camera_view.last
            seen["visible"] = self.camera_dock.isVisible()
            seen["page"] = self.pages.currentWidget() is self.main_page
            super().closeEvent(event)

    monkeypatch.setattr(app_module, "MainWindow", Recording)
    shot = tmp_path / "shot.png"
    main(["--camera", str(frames), "--screenshot", str(shot)])
    qtbot.waitUntil(lambda: "last" in seen, timeout=60_000)
    assert shot.stat().st_size > 10_000
    assert seen["last"]["index"] >= 2 and seen["visible"] and seen["page"]
    assert "error" not in capsys.readouterr().err


@pytest.mark.parametrize("source", ["no-such.avi", " "])
def test_camera_option_with_a_missing_source_is_a_usage_error(source, capsys, monkeypatch):
    monkeypatch.setattr(app_module, "MainWindow", lambda *a, **k: pytest.fail("a window was opened"))
    with pytest.raises(SystemExit) as exc:
        main(["--camera", source])
    assert exc.value.code == 2 and "argument --camera" in capsys.readouterr().err


def test_sigint_closes_the_window_cleanly(tmp_path):
    env = {"QT_QPA_PLATFORM": "offscreen"}
    log = tmp_path / "data" / "slrfr-gui" / "slrfr-gui" / "logs" / "slrfr-gui.log"
    proc = subprocess.Popen([sys.executable, "-m", "slrfr_gui.gui.app", "--demo"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **env, "XDG_CONFIG_HOME": str(tmp_path / "config"),
                                 "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path / "home")})
    try:
        deadline = time.monotonic() + 60
        while not log.exists():  # written once the handler is in place
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        time.sleep(1.5)  # the window shown and the demo training
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        assert time.monotonic() - start < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "interrupted (SIGINT): closing the window" in log.read_text()


def test_json_with_a_probe_and_nothing_to_rank_it_against_is_a_usage_error(tmp_path, capsys, monkeypatch):
    write_grey(tmp_path / "p.png", np.random.default_rng(0).random((7, 6)))
    monkeypatch.setattr(app_module, "MainWindow", lambda *a, **k: pytest.fail("a window was opened"))
    with pytest.raises(SystemExit) as exc:
        main(["--probe", str(tmp_path / "p.png"), "--screenshot", str(tmp_path / "s.png"),
              "--json", str(tmp_path / "r.json")])
    assert exc.value.code == 2 and "nothing to rank the probe against" in capsys.readouterr().err


def test_a_failed_probe_is_an_error_entry_in_json_and_one_line_on_the_terminal(synthetic_gallery, tmp_path):
    folder, _ = synthetic_gallery
    write_grey(tmp_path / "blank.png", np.full((7, 6), 0.5))
    out = tmp_path / "r.json"
    done = run_gui(["--gallery", str(folder), "--resolution", "7x6", "--probe", str(tmp_path / "blank.png"),
                    "--screenshot", str(tmp_path / "s.png"), "--json", str(out)], tmp_path,
                   env_extra={"QT_QPA_PLATFORM": "offscreen"}, timeout=120)
    assert done.returncode == 1
    entry = json.loads(out.read_text())[0]
    assert entry["probe"] == str(tmp_path / "blank.png") and entry["ranked"] == [] and "blank" in entry["error"]
    mentions = [line for line in done.stderr.splitlines() if "blank" in line]
    assert len(mentions) == 1 and mentions[0].startswith("slrfr-gui: error:"), done.stderr


@pytest.fixture
def model_12x10(synthetic_gallery, tmp_path):
    """A 12x10 model of three of the gallery's six persons."""
    folder, _ = synthetic_gallery
    small = tmp_path / "small"
    for person in ("person1", "person2", "person3"):
        (small / person).mkdir(parents=True)
        for f in (folder / person).iterdir():
            (small / person / f.name).write_bytes(f.read_bytes())
    model = tmp_path / "m12.npz"
    assert cli.main(["enroll", str(small), "--resolution", "12x10", "-o", str(model), "--quiet"]) == 0
    return model


def test_model_with_another_resolution_is_a_usage_error(model_12x10, capsys, monkeypatch):
    monkeypatch.setattr(app_module, "MainWindow", lambda *a, **k: pytest.fail("a window was opened"))
    with pytest.raises(SystemExit) as exc:
        main(["--model", str(model_12x10), "--resolution", "7x6"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "is a model for 12x10, not 7x6" in err and "--resolution 12x10" in err


def test_model_whose_persons_are_not_the_gallery_is_warned_about(qtbot, no_exec, model_12x10, synthetic_gallery,
                                                                 tmp_path, capsys, monkeypatch):
    folder, probes = synthetic_gallery
    write_grey(tmp_path / "p.png", probes["person2"])
    out = tmp_path / "r.json"
    main(["--gallery", str(folder), "--model", str(model_12x10), "--probe", str(tmp_path / "p.png"),
          "--screenshot", str(tmp_path / "s.png"), "--json", str(out)])
    qtbot.waitUntil(out.exists, timeout=60_000)
    err = capsys.readouterr().err
    assert "slrfr-gui: warning: the model m12.npz's persons are not the gallery's" in err
    assert "only in the gallery: person4, person5, person6" in err


def test_the_verdict_warns_when_the_probe_is_up_sampled(window, qtbot, model_12x10, synthetic_gallery):
    _, probes = synthetic_gallery
    assert window.open_model(model_12x10)
    with qtbot.waitSignal(window.identified, timeout=10_000):
        window.results.set_probe_image(degrade(probes["person2"], (7, 6)), "p7x6.png")
    text = window.results.verdict.text()
    assert "up-sampled" in text and "12x10" in text and "set the probe resolution to 7x6 and train" in text
    assert "up-sampled" in window.results.ranked_json()[0]["warning"]
    with qtbot.waitSignal(window.identified, timeout=10_000):
        window.results.set_probe_image(probes["person2"], "p48x40.png")
    assert "up-sampled" not in window.results.verdict.text() and "warning" not in window.results.ranked_json()[0]


def test_save_model_refuses_to_overwrite_what_is_not_a_model(window, qtbot, model_12x10, tmp_path):
    assert window.open_model(model_12x10)
    image = tmp_path / "alice.png"
    image.write_bytes(b"an image")
    with qtbot.waitSignal(window.task_failed) as failed:
        assert not window.save_model(image)
    assert "model files end in .npz" in failed.args[0]
    other = tmp_path / "other.npz"
    other.write_bytes(b"not a model")
    with qtbot.waitSignal(window.task_failed) as failed:
        assert not window.save_model(other)
    assert "not a slrfr model file" in failed.args[0]
    assert image.read_bytes() == b"an image" and other.read_bytes() == b"not a model"
    assert window.save_model(tmp_path / "copy.npz") and window.save_model(tmp_path / "copy.npz")


def test_errors_reach_the_terminal_once(tmp_path):
    done = run_gui(["--probe", str(tmp_path / "missing.png")], tmp_path, env_extra={"QT_QPA_PLATFORM": "offscreen"},
                   timeout=60)
    assert done.returncode == 2  # (a usage error before any window)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    g = tmp_path / "g" / "Ann"
    g.mkdir(parents=True)
    write_grey(g / "a.png", np.random.default_rng(0).random((48, 40)))
    done = run_gui(["--gallery", str(tmp_path / "g"), "--probe", str(bad), "--screenshot", str(tmp_path / "s.png")],
                   tmp_path, env_extra={"QT_QPA_PLATFORM": "offscreen"}, timeout=120)
    assert done.returncode == 1
    mentions = [line for line in done.stderr.splitlines() if "bad.png" in line]
    assert len(mentions) == 1 and mentions[0].startswith("slrfr-gui: error:"), done.stderr


def test_sigint_while_the_restore_question_is_open_keeps_the_autosave_and_exits_cleanly(tmp_path):
    """A session left an autosave; the next start asks whether to restore it. Ctrl+C then used to abort
    the process (glibc: "double free or corruption", status -6) and, answered no, lost the autosave."""
    data = tmp_path / "data"
    recovery = data / "slrfr-gui" / "slrfr-gui" / "recovery"
    code = ("import os, sys\n"
            "sys.path.insert(0, sys.argv[2])\n"
            "from slrfr_gui.gui.recovery import RecoveryStore, Session\n"
            "from tests.gui.test_reliability import small_gallery\n"
            "store = RecoveryStore(sys.argv[1]); store.start()\n"
            "g = small_gallery(2); g.add_person('Edited')\n"
            "store.write(Session(g, True))\n"
            "os._exit(3)\n")
    done = subprocess.run([sys.executable, "-c", code, str(recovery), str(ROOT)], cwd=ROOT, timeout=120,
                          capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    left = sorted(p for p in recovery.iterdir() if p.is_dir())
    assert left
    log = data / "slrfr-gui" / "slrfr-gui" / "logs" / "slrfr-gui.log"
    proc = subprocess.Popen([sys.executable, "-m", "slrfr_gui.gui.app", "--demo"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "c"),
                                 "XDG_DATA_HOME": str(data), "HOME": str(tmp_path / "home")})
    try:
        deadline = time.monotonic() + 60
        while not log.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        time.sleep(2.5)  # the restore question is open
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    text = log.read_text()
    assert "closing the open dialog first" in text and "kept the autosaved session" in text
    assert all(p.exists() for p in left)


def test_the_windows_json_has_the_keys_of_slrfr_identify_json(qtbot, no_exec, synthetic_gallery, tmp_path, capsys):
    """The README says the window's --json is written "as slrfr identify --json does": the same entry, keys
    and values, built by the same function (it held only probe and ranked)."""
    folder, probes = synthetic_gallery
    write_grey(tmp_path / "p.png", degrade(probes["person6"], (7, 6)))
    write_grey(tmp_path / "blank.png", np.full((7, 6), 0.5))
    model = tmp_path / "m.npz"
    assert cli.main(["enroll", str(folder), "--resolution", "7x6", "-o", str(model), "--quiet"]) == 0
    capsys.readouterr()
    cli.main(["identify", str(model), str(tmp_path / "p.png"), str(tmp_path / "blank.png"), "--json"])
    by_cli = {e["probe"]: e for e in json.loads(capsys.readouterr().out)}
    for probe in ("p.png", "blank.png"):
        out = tmp_path / f"{probe}.json"
        main(["--gallery", str(folder), "--model", str(model), "--probe", str(tmp_path / probe),
              "--screenshot", str(tmp_path / "s.png"), "--json", str(out)])
        qtbot.waitUntil(out.exists, timeout=60_000)
        (entry,) = json.loads(out.read_text())
        cli_entry = by_cli[str(tmp_path / probe)]
        assert entry.keys() == cli_entry.keys() >= {"probe", "ranked", "alignment", "faces"}
        assert entry["alignment"] == cli_entry["alignment"]
        assert [f.keys() for f in entry["faces"]] == [f.keys() for f in cli_entry["faces"]]
        assert entry["ranked"][:1] == cli_entry["ranked"][:1]
    assert by_cli[str(tmp_path / "p.png")]["ranked"][0]["person"] == "person6"
