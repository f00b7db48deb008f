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
