"""Find the files the application ships, in a checkout, an installed wheel or a frozen build."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import ResourceError


def resource_dirs() -> list[Path]:
    """Folders searched for resources, first match wins.

    1. ``sys._MEIPASS/resources`` in a PyInstaller build;
    2. ``slrfr_gui/resources`` inside an installed wheel;
    3. ``resources/`` at the top of a source checkout (editable install).
    """
    here = Path(__file__).resolve().parent.parent  # slrfr_gui/
    dirs = []
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        dirs.append(Path(sys._MEIPASS) / "resources")
    dirs += [here / "resources", here.parent / "resources"]
    return dirs


def shared_data_dir() -> Path:
    """The shared data folder (CroppedYale/, GT/, photos/, ...) as the scripts find it: ``shared/data`` beside
    the source checkout (``scripts/*.py``: ``ROOT.parent / "shared" / "data"``), whatever the current folder.

    Outside a checkout (an installed wheel, a frozen build) there is no checkout to stand beside:
    ``../shared/data`` from the current folder, as before.
    """
    checkout = Path(__file__).resolve().parent.parent.parent  # the folder holding slrfr_gui/
    if (checkout / "pyproject.toml").is_file() and (checkout / "slrfr_gui").is_dir():
        return checkout.parent / "shared" / "data"
    return Path("..") / "shared" / "data"


def resource_path(name: str) -> Path:
    """Path of the shipped resource ``name``.

    Raises
    ------
    ResourceError
        No resource folder holds ``name``.
    """
    for folder in resource_dirs():
        candidate = folder / name
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(d) for d in resource_dirs())
    raise ResourceError(f"resource {name!r} not found (searched {searched}); reinstall slrfr-gui")
