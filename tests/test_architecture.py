"""The core never imports Qt; the GUI and CLI are layers over it."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "slrfr_gui"
#: Everything below the command line and the window: Qt-free.
QT_FREE = ["errors.py", "files", "faces", "method", "gallery", "demo", "scan", "evaluation"]


def test_core_imports_no_qt_at_run_time():
    code = ("import sys, slrfr_gui.method.modelfile, slrfr_gui.gallery.gallery, slrfr_gui.evaluation.evaluate, slrfr_gui.cli;"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')];"
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_core_sources_name_no_gui_module():
    paths = [PACKAGE / part for part in QT_FREE]
    for path in [p for part in paths for p in ([part] if part.suffix else part.rglob("*.py"))]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
                if node.level and node.module and node.module.startswith("gui"):
                    names.append("gui")
            for name in names:
                assert name.split(".")[0] not in ("PySide6", "pyqtgraph", "shiboken6", "gui"), f"{path}: {name}"
