"""What can be checked about the packaging without building anything.

The builds themselves (wheel in a fresh venv, PyInstaller) run in .ci/run and packaging/build_*.
"""

from __future__ import annotations

import ast
import configparser
import re
import shutil
import subprocess
import sys
import tomllib
import types
from pathlib import Path

import pytest

import slrfr_gui

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
PACKAGING = ROOT / "packaging"


def resource_files() -> list[Path]:
    files = sorted(p for p in RESOURCES.rglob("*") if p.is_file())
    assert files, "resources/ is empty"
    return files


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_wheel_and_sdist_carry_every_resource():
    hatch = pyproject()["tool"]["hatch"]["build"]["targets"]
    force = hatch["wheel"]["force-include"]
    # resources/ goes whole into the package, where resource_dirs() looks in an installed wheel.
    assert force.get("resources") == "slrfr_gui/resources"
    assert "resources" in hatch["sdist"]["include"]
    for path in resource_files():
        assert any(path.relative_to(ROOT).parts[0] == src for src in force), path


def test_installed_layout_is_where_resource_dirs_looks():
    from slrfr_gui.files.resources import resource_dirs

    package = Path(slrfr_gui.__file__).resolve().parent
    assert package / "resources" in resource_dirs()


def spec_analysis(platform: str) -> dict:
    """Run packaging/slrfr-gui.spec with stand-ins for PyInstaller's build classes; what they were given."""
    seen: dict = {}

    def recorder(kind):
        def record(*args, **kwargs):
            seen[kind] = (args, kwargs)
            return types.SimpleNamespace(pure=[], scripts=[], binaries=[], datas=[])
        return record

    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda name, filter=None: [name]
    hooks.collect_data_files = lambda name: [(f"<{name} data>", name)]
    fakes = {"PyInstaller": types.ModuleType("PyInstaller"), "PyInstaller.utils": types.ModuleType("PyInstaller.utils"),
             "PyInstaller.utils.hooks": hooks}
    saved = {name: sys.modules.get(name) for name in fakes}
    saved_platform = sys.platform
    sys.modules.update(fakes)
    sys.platform = platform
    try:
        names = {"SPECPATH": str(PACKAGING), "__file__": str(PACKAGING / "slrfr-gui.spec")}
        names.update({kind: recorder(kind) for kind in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")})
        exec(compile((PACKAGING / "slrfr-gui.spec").read_text(), "slrfr-gui.spec", "exec"), names)
    finally:
        sys.platform = saved_platform
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return seen


def test_pyinstaller_spec_bundles_every_resource_and_the_haar_cascade():
    import cv2

    seen = spec_analysis("linux")
    ((script,),), kwargs = seen["Analysis"]
    assert Path(script).is_file()
    datas = {(Path(src).resolve(), Path(dest)) for src, dest in kwargs["datas"]}
    for path in resource_files():  # at the same place under the bundle as under the checkout
        assert (path.resolve(), path.relative_to(ROOT).parent) in datas, path
    cascade = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
    assert (cascade.resolve(), Path("cv2") / "data") in datas
    assert "slrfr_gui" in kwargs["hiddenimports"] and "BUNDLE" not in seen
    from slrfr_gui.faces.dlib_faces import landmark_model_path

    assert (landmark_model_path().resolve(), Path("face_recognition_models") / "models") in datas
    assert "dlib" in kwargs["hiddenimports"]
    # File -> Scan videos: Dask and distributed, with their configuration files, in the bundle
    assert {"dask", "distributed"} <= set(kwargs["hiddenimports"])
    assert {(Path(f"<{m} data>").resolve(), Path(m)) for m in ("dask", "distributed")} <= datas
    assert not {"dask", "distributed"} & set(kwargs["excludes"])


@pytest.mark.parametrize("platform, suffix", [("win32", ".ico"), ("darwin", ".icns")])
def test_pyinstaller_spec_gives_the_executable_its_icon(platform, suffix):
    seen = spec_analysis(platform)
    icon = Path(seen["EXE"][1]["icon"])
    assert icon.suffix == suffix and icon.is_file()
    assert ("BUNDLE" in seen) == (platform == "darwin")


def resource_names_in_code() -> set[str]:
    """Every literal name given to resource_path() in the package (and the lighting and generic metrics'
    FILE_NAME)."""
    names = set()
    for path in (ROOT / "slrfr_gui").rglob("*.py"):
        names.update(re.findall(r'resource_path\("([^"]+)"\)', path.read_text()))
    from slrfr_gui.method.generic import FILE_NAME as GENERIC
    from slrfr_gui.method.lighting_resources import FILE_NAME

    return names | {FILE_NAME, GENERIC}


def launcher_required() -> tuple[str, ...]:
    tree = ast.parse((PACKAGING / "launch_gui.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "REQUIRED_RESOURCES":
            return ast.literal_eval(node.value)
    raise AssertionError("launch_gui.py has no REQUIRED_RESOURCES")


def test_every_resource_the_code_reads_is_shipped_and_checked_by_the_frozen_launcher():
    names = resource_names_in_code()
    assert {"face_model.npz", "detector.npz", "openset.json", "lighting_metrics.npz", "generic_metrics.npz"} <= names
    required = set(launcher_required())
    assert names <= required
    for name in required:
        assert (RESOURCES / name).is_file(), name


def test_icon_files_exist_at_every_size():
    from slrfr_gui.gui.icon import PNG_SIZES

    for size in PNG_SIZES:
        assert (RESOURCES / "icons" / f"slrfr-gui-{size}.png").is_file()
    for name in ("slrfr-gui.svg", "slrfr-gui.ico", "slrfr-gui.icns"):
        assert (RESOURCES / "icons" / name).is_file()


def test_generated_icons_match_the_svg():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_icon.py"), "--check"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def test_window_icon_is_not_empty(qapp):
    from slrfr_gui.gui.icon import app_icon

    icon = app_icon()
    assert not icon.isNull()
    assert max(s.width() for s in icon.availableSizes()) == 256


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(PACKAGING / "slrfr-gui.desktop")
    return parser["Desktop Entry"]


def test_desktop_entry_runs_an_installed_script_and_names_a_shipped_icon():
    entry = desktop_entry()
    scripts = pyproject()["project"]
    command = entry["Exec"].split()[0]
    assert command in scripts["gui-scripts"], f"Exec={command} is not a [project.gui-scripts] entry"
    icon = entry["Icon"]
    assert "/" not in icon and "." not in icon  # a theme name: install_desktop_entry.sh installs it
    assert (RESOURCES / "icons" / f"{icon}.svg").is_file()
    assert (RESOURCES / "icons" / f"{icon}-256.png").is_file()
    assert "resources/icons" in (PACKAGING / "install_desktop_entry.sh").read_text()


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-validate not installed")
def test_desktop_entry_validates():
    out = subprocess.run(["desktop-file-validate", str(PACKAGING / "slrfr-gui.desktop")], capture_output=True, text=True)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


def test_entry_points_exist():
    import importlib

    project = pyproject()["project"]
    for target in [*project["scripts"].values(), *project["gui-scripts"].values()]:
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function)), target


@pytest.mark.parametrize("module, prog", [("slrfr_gui.cli", "slrfr"), ("slrfr_gui.gui.app", "slrfr-gui")])
def test_version_prints_the_package_version(module, prog):
    version = re.search(r'__version__ = "([^"]+)"', (ROOT / "slrfr_gui" / "__init__.py").read_text()).group(1)
    out = subprocess.run([sys.executable, "-c", f"import sys; from {module} import main; sys.exit(main(['--version']))"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0] == f"{prog} {version}"
    if prog == "slrfr-gui":  # and which face search runs: a frozen build must carry dlib and its landmarks
        assert lines[1].startswith("face search: dlib") and "5-point" in lines[1]
    else:
        assert len(lines) == 1


def test_build_output_stays_out_of_git():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "build/" in ignored and "dist/" in ignored
