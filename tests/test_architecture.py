"""The layout holds: layers import only downwards, Qt stays in the top layer, no import circle, modules stay readable.

The layers and the Qt rule are import-linter contracts in ``pyproject.toml`` (``lint-imports`` runs them
too); docs/ARCHITECTURE.md draws them. Imports made inside functions count like any other.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "slrfr_gui"
#: Everything below the command line and the window: Qt-free.
QT_FREE = ["errors", "files", "faces", "method", "gallery", "demo", "scan", "evaluation"]
#: A module may pass about 500 lines only when it is one indivisible thing: which, and why.
LONG_MODULES: dict[str, str] = {}
MAX_LINES = 550


def test_import_contracts_are_kept(capsys):
    from importlinter.cli import lint_imports

    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert code == 0, capsys.readouterr().out


def _cycles(graph, modules):
    """Every import circle among ``modules``, each as a list of modules (a depth-first search)."""
    state, stack, found = {}, [], []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in sorted(graph.find_modules_directly_imported_by(m) & modules):
            if state.get(n) == "open":
                found.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = "done"

    for m in sorted(modules):
        if m not in state:
            visit(m)
    return found


def test_no_import_circle_anywhere():
    import grimp

    graph = grimp.build_graph("slrfr_gui")
    modules = {m for m in graph.modules if not m.endswith("__main__")}
    # A package's __init__ that hands names on from its modules is not a circle with them.
    edges_from_init = {m for m in modules if (PACKAGE.parent / m.replace(".", "/") / "__init__.py").exists()}
    cycles = [c for c in _cycles(graph, modules) if not (set(c) & edges_from_init)]
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_circle_search_finds_a_circle():
    class Graph:
        edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

        def find_modules_directly_imported_by(self, m):
            return self.edges.get(m, set())

    assert _cycles(Graph(), {"a", "b", "c", "d"}) == [["a", "b", "c", "a"]]


def test_qt_free_packages_load_no_qt_at_run_time():
    code = ("import sys, importlib, pkgutil, slrfr_gui;"
            f"parts = {QT_FREE!r};"
            "mods = [m.name for m in pkgutil.walk_packages(slrfr_gui.__path__, 'slrfr_gui.')"
            " if m.name.split('.')[1] in parts];"
            "[importlib.import_module(m) for m in mods];"
            "import slrfr_gui.cli;"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')];"
            "print(len(mods), bad); sys.exit(1 if bad or len(mods) < 40 else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("path", sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")))
def test_modules_stay_readable(path):
    lines = len((PACKAGE / path).read_text().splitlines())
    if path in LONG_MODULES:
        return
    assert lines <= MAX_LINES, (f"slrfr_gui/{path} has {lines} lines: split it, or say in LONG_MODULES why it is "
                                "one indivisible thing")
