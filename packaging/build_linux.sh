#!/usr/bin/env bash
# Build the one-folder Linux application dist/slrfr-gui/ with PyInstaller, then smoke-test it offscreen.
#   packaging/build_linux.sh            (from anywhere; PYTHON=python3.12 to choose the interpreter)
# The build venv is build/venv; PyInstaller's work files go to build/, the application to dist/
# (both ignored by git). A Python built with --enable-shared is needed (distribution Pythons are;
# for pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install ...).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
venv=build/venv

start=$(date +%s)
[ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q . "pyinstaller>=6.10"
echo "== venv ready in $(( $(date +%s) - start )) s"

start=$(date +%s)
"$venv/bin/pyinstaller" --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
    packaging/slrfr-gui.spec
echo "== PyInstaller build in $(( $(date +%s) - start )) s: dist/slrfr-gui ($(du -sh dist/slrfr-gui | cut -f1))"

"$venv/bin/python" packaging/smoke_test.py dist/slrfr-gui/slrfr-gui --out build/smoke
