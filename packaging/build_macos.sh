#!/usr/bin/env bash
# Build dist/slrfr-gui.app (and the one-folder dist/slrfr-gui/) with PyInstaller on macOS, then
# smoke-test it offscreen.
#   packaging/build_macos.sh            (from anywhere; PYTHON=python3.12 to choose the interpreter)
# Needs a python.org or Homebrew Python >= 3.11. The build venv is build/venv; PyInstaller's work
# files go to build/, the application to dist/ (both ignored by git). The .app is not signed:
# macOS asks for confirmation (right-click, Open) the first time it is started from the Finder.
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
echo "== PyInstaller build in $(( $(date +%s) - start )) s: dist/slrfr-gui.app ($(du -sh dist/slrfr-gui.app | cut -f1))"

"$venv/bin/python" packaging/smoke_test.py dist/slrfr-gui.app/Contents/MacOS/slrfr-gui --out build/smoke
