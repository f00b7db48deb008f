#!/usr/bin/env python3
"""Generate the application icon files from the hand-drawn resources/icons/slrfr-gui.svg.

Writes, beside the SVG:

* ``slrfr-gui-N.png`` for N in 16, 24, 32, 48, 64, 128, 256 (the window icon, the Linux
  desktop icon theme sizes), rendered by Qt's QSvgRenderer;
* ``slrfr-gui.ico`` (Windows: the PyInstaller executable) holding 16 to 256 pixels;
* ``slrfr-gui.icns`` (macOS: the PyInstaller .app) from a 1024-pixel rendering;
  both written by Pillow.

    QT_QPA_PLATFORM=offscreen python scripts/make_icon.py [--check]

``--check`` writes nothing and exits 1 when a generated file is missing or differs from what
the SVG gives now (so a changed SVG without regenerated files is noticed).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
SVG = ICONS / "slrfr-gui.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
_QT_APP: list = []  # keeps the QGuiApplication alive while painting


def render(size: int):
    """The SVG rendered at ``size`` x ``size`` pixels, as a Pillow RGBA image."""
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"make_icon: {SVG} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGBA")


def outputs() -> dict[str, bytes]:
    """File name -> contents of every generated icon file."""
    files = {}
    images = {}
    for size in PNG_SIZES:
        images[size] = render(size)
        out = io.BytesIO()
        images[size].save(out, "PNG", optimize=True)
        files[f"slrfr-gui-{size}.png"] = out.getvalue()
    out = io.BytesIO()
    images[256].save(out, "ICO", sizes=[(s, s) for s in ICO_SIZES],
                     append_images=[images[s] for s in ICO_SIZES if s != 256])
    files["slrfr-gui.ico"] = out.getvalue()
    out = io.BytesIO()
    render(1024).save(out, "ICNS")
    files["slrfr-gui.icns"] = out.getvalue()
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a generated file is stale")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _QT_APP.append(QGuiApplication.instance() or QGuiApplication([sys.argv[0]]))  # QPainter needs one
    stale = []
    for name, data in outputs().items():
        path = ICONS / name
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(name)
        else:
            path.write_bytes(data)
            print(f"wrote {path.relative_to(ROOT)} ({len(data)} bytes)")
    if stale:
        print(f"make_icon: out of date: {', '.join(stale)}; run scripts/make_icon.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
