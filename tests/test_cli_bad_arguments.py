"""Wrong values for every option of every ``slrfr`` subcommand (issue 7): a usage error, never a traceback.

The cases are enumerated from the argparse parser itself, so a new option is
covered as soon as it is added (a new file-path option must be given a role in
``PATH_ROLES``, or the test that checks the table fails). The convention kept:

* a value argparse can judge (a number, a resolution, a choice) is a usage
  error: exit status 2, ``usage:`` and ``slrfr COMMAND: error: ...`` on stderr;
* a value only the command can judge (a missing file, a folder where a file is
  meant) is one line ``slrfr: error: ...`` naming it, exit status 1, before any
  long work.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from slrfr_gui.cli import slrfr as cli

PARSER = cli.build_parser()
SUBCOMMANDS = next(a for a in PARSER._actions if isinstance(a, argparse._SubParsersAction)).choices


def _value_actions():
    """(command, action) for every option or positional that takes a value."""
    for command, sub in SUBCOMMANDS.items():
        for action in sub._actions:
            if action.nargs == 0 or isinstance(action, argparse._HelpAction):
                continue
            yield command, action


def _name(action) -> str:
    return action.option_strings[-1] if action.option_strings else action.dest


# ---------------------------------------------------------------- wrong values by kind
NOT_NUMBERS = ["abc", "", "1.5", "1e3", "nan", "inf", "0x10", "½", "3 apples"]
BAD_RESOLUTIONS = ["0x0", "7x", "x6", "abc", "", "3x3", "49x40", "7x41", "7x6x5", "-7x6", "7,6", "7 6", "1e9x1e9",
                   "99999999999999999999x6"]
BAD_EYES = ["abc", "", "1,2,3", "1,2,3,4,5", "nan,1,2,3", "inf,1,2,3", "5,5,5,5", "1;2;x;4"]
BAD_CHOICES = ["other", "", "SLRFR "]


def _kind(action) -> str:
    if action.choices is not None:
        return "choice"
    t = action.type
    if t is Path:
        return "path"
    if getattr(t, "kind", None) == "float":
        return "float"
    if hasattr(t, "lowest"):
        return "int"
    if t is cli._resolution:
        return "resolution"
    if t is cli._resolutions:
        return "resolutions"
    if t is cli._eyes:
        return "eyes"
    if t is cli._sigma:
        return "sigma"
    if t is None or t is str:
        return "text"
    raise AssertionError(f"option {_name(action)} has a type the bad-argument tests do not know: {t}")


def _wrong_values(action) -> list[str]:
    kind = _kind(action)
    if kind == "int":
        values = list(NOT_NUMBERS) + [str(action.type.lowest - 1), "-1", str(action.type.highest + 1),
                                      "99999999999999999999999999"]
        if action.type.lowest > 0:
            values.append("0")
        return sorted(set(values), key=values.index)
    if kind == "resolution":
        return BAD_RESOLUTIONS
    if kind == "resolutions":
        return BAD_RESOLUTIONS + [",", ",,", "7x6,abc", "7x6,,3x3"]
    if kind == "eyes":
        return BAD_EYES
    if kind == "choice":
        return BAD_CHOICES
    if kind == "sigma":
        return ["abc", "", "nan", "inf", "-0.01", "0.6", "1e9"]
    if kind == "float":
        return ["abc", "", "nan", "inf", "½", "3 apples", f"{action.type.lowest - 0.5:g}",
                f"{action.type.highest * 2:g}"]
    return []


VALUE_CASES = [pytest.param(command, _name(action), value, id=f"{command} {_name(action)} {value!r}")
               for command, action in _value_actions() for value in _wrong_values(action)]


def _valid_argv(command: str, tmp: Path, replace: str | None = None, value: str | None = None) -> list[str]:
    """A command line for ``command`` with every required argument given a plausible value."""
    sub = SUBCOMMANDS[command]
    files = {"file": tmp / "exists.txt", "dir": tmp}
    files["file"].write_text("x")
    argv, positionals = [command], []
    for action in sub._actions:
        if action.nargs == 0 or isinstance(action, argparse._HelpAction):
            continue
        name = _name(action)
        given = value if name == replace else None
        if given is None and not (action.required or not action.option_strings):
            continue
        if given is None:
            given = {"path": str(files["file"]), "resolution": "7x6", "resolutions": "7x6", "eyes": "10,20,30,20",
                     "int": "3", "float": "20", "choice": str(action.choices[0]) if action.choices else "", "text": "x"}[_kind(action)]
            if action.nargs == "*":
                given = str(files["file"])
        if action.option_strings:
            argv += [name, given]
        else:
            positionals.append(given)
    return argv[:1] + positionals + argv[1:]


def _command_never_runs(monkeypatch):
    def ran(args):
        raise AssertionError(f"the wrong value was accepted and {args.command} ran")

    monkeypatch.setattr(cli, "COMMANDS", {name: ran for name in cli.COMMANDS})


@pytest.mark.parametrize(("command", "option", "value"), VALUE_CASES)
def test_wrong_value_is_a_usage_error(tmp_path, monkeypatch, capsys, command, option, value):
    _command_never_runs(monkeypatch)
    argv = _valid_argv(command, tmp_path, option, value)
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert "usage:" in err and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"slrfr {command}: error: argument {option}") or option in last, last


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_missing_value_and_unknown_option_are_usage_errors(monkeypatch, capsys, tmp_path, command):
    _command_never_runs(monkeypatch)
    for action in SUBCOMMANDS[command]._actions:
        if action.option_strings and action.nargs != 0 and not isinstance(action, argparse._HelpAction):
            argv = _valid_argv(command, tmp_path)
            with pytest.raises(SystemExit) as exc:
                cli.main([a for a in argv if a != _name(action)] + [_name(action)])  # the option, no value
            assert exc.value.code == 2
            assert "expected one argument" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli.main(_valid_argv(command, tmp_path) + ["--no-such-option"])
    assert exc.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err


# ---------------------------------------------------------------- paths, judged by the command
#: (command, dest) -> what the path must be: an input "file", an input "dir", an output "file-out" or "dir-out".
PATH_ROLES = {
    ("evaluate", "data"): "dir", ("evaluate", "json"): "file-out",
    ("benchmark", "json"): "file-out", ("benchmark", "data"): "dir", ("benchmark", "scaling_plot"): "file-out",
    ("report", "results"): "file", ("report", "output"): "dir-out",
    ("enroll", "gallery"): "dir", ("enroll", "output"): "file-out", ("enroll", "eyes_from"): "file",
    ("detection-benchmark", "data"): "dir", ("detection-benchmark", "json"): "file-out", ("report", "detection"): "file",
    ("identify", "model"): "file", ("identify", "probes"): "file",
    ("relight", "image"): "file", ("relight", "output"): "dir-out",
    # scan: an input is a video or a folder; one that cannot be scanned is named and, alone, an error
    ("scan", "model"): "file", ("scan", "inputs"): "dir", ("scan", "output"): "file-out", ("scan", "csv"): "file-out",
}


def test_every_path_option_has_a_role():
    paths = {(command, action.dest) for command, action in _value_actions() if _kind(action) == "path"}
    assert paths == set(PATH_ROLES), "give new path options a role in PATH_ROLES"


def _bad_paths(role: str, tmp: Path, make: bool = True) -> dict:
    if make:
        (tmp / "a-file").write_text("not what is wanted\n")
        (tmp / "a-folder").mkdir(exist_ok=True)
    if role == "file":
        return {"missing": tmp / "missing.bin", "a folder": tmp / "a-folder", "empty name": Path("")}
    if role == "dir":
        return {"missing": tmp / "missing", "a file": tmp / "a-file", "empty folder": tmp / "a-folder"}
    if role == "file-out":
        return {"a folder": tmp / "a-folder", "in a missing folder": tmp / "missing" / "out.json",
                "under a file": tmp / "a-file" / "out.json"}
    return {"a file": tmp / "a-file", "under a file": tmp / "a-file" / "out"}


def _good_inputs(tmp: Path) -> dict:
    """Cheap valid inputs, so that only the bad path fails: a model, a probe, a gallery, results JSON."""
    import json

    from slrfr_gui.files.imageio import write_grey
    from slrfr_gui.demo.synthetic import render_faces, sample_albedos
    from slrfr_gui.evaluation.yale import light_vector

    good = tmp / "good"
    faces = render_faces(sample_albedos(3, seed=0), light_vector([0], [0]))[:, 0]
    for i, face in enumerate(faces):
        (good / "gallery" / f"p{i}").mkdir(parents=True)
        write_grey(good / "gallery" / f"p{i}" / "a.png", face)
    write_grey(good / "probe.png", faces[0])
    assert cli.main(["enroll", str(good / "gallery"), "-o", str(good / "model.npz"), "--quiet",
                     "--iterations", "1"]) == 0
    (good / "results.json").write_text(json.dumps({"protocol": "p", "results": [
        {"method": "slrfr", "resolution": "7x6", "rank1": 0.5, "rank1_min": 0.5, "cmc": [0.5] * 10,
         "subsets": {"S1": 0.5}}]}))
    return {("enroll", "gallery"): good / "gallery", ("identify", "model"): good / "model.npz",
            ("identify", "probes"): good / "probe.png", ("relight", "image"): good / "probe.png",
            ("report", "results"): good / "results.json", ("evaluate", "data"): tmp / "no-data-needed",
            ("benchmark", "data"): None, ("scan", "model"): good / "model.npz", ("scan", "inputs"): good / "gallery"}


PATH_CASES = [pytest.param(command, dest, label, id=f"{command} {dest} {label}")
              for (command, dest), role in PATH_ROLES.items() for label in _bad_paths(role, Path("/nonexistent"), make=False)
              if not ((command, dest) == ("evaluate", "data") and label == "empty folder")]


@pytest.fixture(scope="module")
def good_inputs(tmp_path_factory):
    return _good_inputs(tmp_path_factory.mktemp("cli-good"))


def _path_argv(command, dest, bad: Path, tmp: Path, good: dict) -> list[str]:
    sub = SUBCOMMANDS[command]
    argv, positionals = [command], []
    for action in sub._actions:
        if action.dest == dest:
            value = bad
        elif (command, action.dest) in good and good[(command, action.dest)] is not None and (
                action.required or not action.option_strings):
            value = good[(command, action.dest)]
        elif action.required and PATH_ROLES.get((command, action.dest)) == "file-out":
            value = tmp / "out.npz"  # a model file name: enroll refuses other names
        else:
            continue
        if action.option_strings:
            argv += [_name(action), str(value)]
        else:
            positionals.append(str(value))
    extra = {"enroll": ["--quiet"], "evaluate": ["--quiet"], "benchmark": ["--no-window"]}.get(command, [])
    return argv[:1] + positionals + argv[1:] + extra


@pytest.mark.parametrize(("command", "dest", "label"), PATH_CASES)
def test_bad_path_is_one_line_naming_it(tmp_path, capsys, monkeypatch, good_inputs, command, dest, label):
    import time

    bad = _bad_paths(PATH_ROLES[(command, dest)], tmp_path)[label]
    if command == "benchmark":  # must fail before the minutes of timing: make the timing itself a failure
        import slrfr_gui.evaluation.benchmark as benchmark

        monkeypatch.setattr(benchmark, "run_benchmark", lambda *a, **k: pytest.fail("benchmark ran"))
    argv = _path_argv(command, dest, bad, tmp_path, good_inputs)
    start = time.perf_counter()
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert time.perf_counter() - start < 20
    assert "Traceback" not in err
    assert code in (1, 2), (argv, err)
    lines = [line for line in err.splitlines() if line.strip()]
    if code == 1:
        assert lines and all(line.startswith("slrfr: ") for line in lines), err
        assert any("error" in line for line in lines), err
        shown = str(bad) if str(bad) not in ("", ".") else ""
        assert shown in err, (shown, err)
    else:
        assert "usage:" in err


# ---------------------------------------------------------------- the other checks of the commands
@pytest.mark.parametrize("argv", [
    pytest.param(["identify", "{model}"], id="identify without probe or camera"),
    pytest.param(["identify", "{model}", "{probe}", "--frames", "3"], id="identify --frames without --camera"),
    pytest.param(["identify", "{model}", "{probe}", "{probe}", "--eyes", "1,2,30,2"],
                 id="identify --eyes two probes"),
    pytest.param(["identify", "{model}", "{probe}", "--cropped", "--detect"], id="identify --cropped --detect"),
    pytest.param(["enroll", "{gallery}", "-o", "{tmp}/m.npz", "--atoms", "3", "--sparsity", "5"],
                 id="enroll sparsity above atoms"),
])
def test_inconsistent_options_are_usage_errors(tmp_path, capsys, good_inputs, argv):
    fill = {"model": good_inputs[("identify", "model")], "probe": good_inputs[("identify", "probes")],
            "gallery": good_inputs[("enroll", "gallery")], "tmp": tmp_path}
    argv = [a.format(**fill) for a in argv]
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith(f"slrfr {argv[0]}: error:")


@pytest.mark.parametrize("source", ["missing.avi", "a-file", "empty-folder", "  "])
def test_bad_camera_source_is_one_line(tmp_path, capsys, good_inputs, source):
    (tmp_path / "a-file").write_text("not a video")
    (tmp_path / "empty-folder").mkdir()
    spec = source if not source.strip() else str(tmp_path / source)
    code = cli.main(["identify", str(good_inputs[("identify", "model")]), "--camera", spec, "--frames", "2"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("slrfr: error:")


# ---------------------------------------------------------------- slrfr-gui, before a window opens
GUI_CASES = [pytest.param(["--resolution", v], id=f"--resolution {v!r}") for v in BAD_RESOLUTIONS] + [
    pytest.param([option, "/nonexistent/x"], id=f"{option} missing") for option in ("--gallery", "--model", "--probe")
] + [
    pytest.param(["--model", "/"], id="--model a folder"),
    pytest.param(["--probe", "/"], id="--probe a folder"),
    pytest.param(["--screenshot", "/nonexistent/shot.png"], id="--screenshot in a missing folder"),
    pytest.param(["--no-such-option"], id="unknown option"),
    pytest.param(["--gallery"], id="--gallery without value"),
    pytest.param(["--model"], id="--model without value"),
    pytest.param(["--probe"], id="--probe without value"),
    pytest.param(["--screenshot"], id="--screenshot without value"),
    pytest.param(["--json", "x.json"], id="--json without --screenshot"),
]


@pytest.mark.parametrize("argv", GUI_CASES)
def test_gui_options_fail_before_a_window_opens(capsys, monkeypatch, argv):
    pytest.importorskip("PySide6")
    from slrfr_gui.gui import app

    monkeypatch.setattr(app, "MainWindow", lambda *a, **k: pytest.fail("a window was opened"))
    with pytest.raises(SystemExit) as exc:
        app.main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "usage: slrfr-gui" in err and "Traceback" not in err


def test_detection_benchmark_finds_the_shared_data_beside_the_checkout_from_any_folder(tmp_path, monkeypatch):
    """As the scripts do (ROOT.parent / "shared" / "data"), not ../shared/data from the current folder."""
    root = Path(cli.__file__).resolve().parents[2]
    monkeypatch.chdir(tmp_path)
    args = cli.build_parser().parse_args(["detection-benchmark"])
    assert args.data.resolve() == (root.parent / "shared" / "data").resolve()
