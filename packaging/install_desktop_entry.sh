#!/usr/bin/env bash
# Install the Linux desktop entry and its icon for the current user (no root needed):
#   packaging/install_desktop_entry.sh            # Exec=slrfr-gui (pip-installed, on PATH)
#   packaging/install_desktop_entry.sh --exec "$PWD/dist/slrfr-gui/slrfr-gui"   # the PyInstaller build
# Icons go to the hicolor theme as slrfr-gui (the .desktop file's Icon=slrfr-gui).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
icons="$here/../resources/icons"
exec_cmd=""
if [ "${1:-}" = "--exec" ]; then exec_cmd="${2:?--exec needs a path}"; fi
data="${XDG_DATA_HOME:-$HOME/.local/share}"
for size in 16 24 32 48 64 128 256; do
  install -Dm644 "$icons/slrfr-gui-$size.png" "$data/icons/hicolor/${size}x${size}/apps/slrfr-gui.png"
done
install -Dm644 "$icons/slrfr-gui.svg" "$data/icons/hicolor/scalable/apps/slrfr-gui.svg"
install -Dm644 "$here/slrfr-gui.desktop" "$data/applications/slrfr-gui.desktop"
if [ -n "$exec_cmd" ]; then
  sed -i "s|^Exec=.*|Exec=\"$exec_cmd\"|" "$data/applications/slrfr-gui.desktop"
fi
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "installed $data/applications/slrfr-gui.desktop and the slrfr-gui icon in $data/icons/hicolor"
