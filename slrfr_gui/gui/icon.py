"""The application icon (resources/icons/, generated from the SVG by scripts/make_icon.py)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from ..errors import ResourceError
from ..files.resources import resource_path

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)


def app_icon() -> QIcon:
    """The window icon at every shipped size (PNG: no dependence on Qt's SVG icon plug-in).

    An empty icon, not an error, when the files are missing: the window works without one.
    """
    icon = QIcon()
    for size in PNG_SIZES:
        try:
            icon.addFile(str(resource_path(f"icons/slrfr-gui-{size}.png")))
        except ResourceError:
            continue
    return icon
