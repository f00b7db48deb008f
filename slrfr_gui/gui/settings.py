"""Application settings: one table of defaults behind QSettings, with typed, validated reads and a reset.

A stored value of the wrong type, out of range or unreadable is never used: :func:`read` gives the
default instead, and :func:`check` (run once at start-up) removes such values and says which, so the
user is told rather than surprised. Settings written by a newer version of slrfr-gui (a higher
``settings/version``) are reset as a whole: their meaning may have changed.
"""

from __future__ import annotations

import logging

from pathlib import Path

from PySide6.QtCore import QSettings

from ..faces.frame import format_resolution, parse_resolution

log = logging.getLogger(__name__)

#: The format of the stored settings; raise it when a key changes meaning.
SETTINGS_VERSION = 1
VERSION_KEY = "settings/version"

_DEFAULTS: dict = {
    "train/n_atoms": 0,  # auto
    "train/sparsity": 3,
    "train/n_iter": 10,
    "train/n_components": 0,  # 0: keep 99.9 % of the training variance
    "train/auto_retrain": False,
    "view/resolution": "7x6",
    "results/top": 10,
    "recent/galleries": [],
    "recent/models": [],
}
# Inclusive bounds of the integer settings (the ranges of their spin boxes).
_RANGES = {
    "train/n_atoms": (0, 500),
    "train/sparsity": (1, 50),
    "train/n_iter": (0, 100),
    "train/n_components": (0, 2000),
    "results/top": (1, 1000),
}
TRAINING_KEYS = ("train/n_atoms", "train/sparsity", "train/n_iter", "train/n_components")
RECENT_MAX = 8
_TRUE, _FALSE = ("1", "true", "yes"), ("0", "false", "no")


def default(key: str):
    """The default value of ``key``."""
    return _DEFAULTS[key]


def standard_resolution(resolution) -> bool:
    """True for the probe sizes of the resolution slider (5x4 .. 24x20, the 6:5 aspect of the frame).

    Only these are remembered between sessions: a size typed off the slider (say 31x29) is for the
    session it was typed in, so nobody starts the next day at a size they have forgotten choosing.
    """
    rows, cols = resolution
    return 5 <= rows <= 24 and cols == int(rows * 5 / 6 + 0.5)


def _convert(key: str, value):
    """``value`` as stored for ``key``, converted to the type of its default; raises ValueError if unusable."""
    fallback = _DEFAULTS[key]
    if isinstance(fallback, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if isinstance(value, (str, int)) else None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"not true or false: {value!r}")
    if isinstance(fallback, int):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(f"not a whole number: {value!r}")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(f"not a whole number: {value!r}") from None
        lo, hi = _RANGES[key]
        if not lo <= number <= hi:
            raise ValueError(f"{number} is outside {lo} .. {hi}")
        return number
    if isinstance(fallback, list):
        if isinstance(value, str):  # INI files keep a one-item list as a plain string
            return [value] if value else []
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"not a list of paths: {value!r}")
        return [str(v) for v in value][:RECENT_MAX]
    if key == "view/resolution":
        resolution = parse_resolution(value if isinstance(value, str) else "")
        if not standard_resolution(resolution):
            raise ValueError(f"{format_resolution(resolution)} is not a size of the resolution slider")
        return format_resolution(resolution)
    if not isinstance(value, str):
        raise ValueError(f"not text: {value!r}")
    return value


def read(key: str):
    """The stored value of ``key``, converted to the type of its default (the default if absent or unusable)."""
    value = QSettings().value(key, None)
    if value is None:
        return _DEFAULTS[key]
    try:
        return _convert(key, value)
    except (TypeError, ValueError):
        return _DEFAULTS[key]


def write(key: str, value) -> None:
    if key not in _DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    QSettings().setValue(key, value)


def reset(keys=None) -> None:
    """Restore ``keys`` (all by default) to their defaults."""
    settings = QSettings()
    for key in keys or _DEFAULTS:
        settings.remove(key)


def check() -> list[str]:
    """Verify the stored settings once at start-up; returns notices for the user (empty when all is well).

    * a settings file that cannot be parsed, or a ``settings/version`` that is not a number, is reset
      as a whole;
    * settings from a newer slrfr-gui (a higher version) are reset as a whole;
    * each value of the wrong type or out of range is removed (its default applies).

    Every reset is logged as a warning. Never raises for anything found in the settings.
    """
    settings = QSettings()
    notices: list[str] = []
    version = settings.value(VERSION_KEY, None)
    whole = ""
    if settings.status() != QSettings.Status.NoError:
        whole = f"the settings file {settings.fileName()} could not be read"
    elif version is not None:
        try:
            number = int(str(version).strip()) if isinstance(version, (int, str)) else None
        except ValueError:
            number = None
        if number is None:
            whole = f"the settings hold a damaged version mark ({str(version)[:40]!r})"
        elif number > SETTINGS_VERSION:
            whole = (f"the settings were written by a newer slrfr-gui (settings version {number}; this one "
                     f"reads version {SETTINGS_VERSION})")
    if whole:
        settings.clear()
        notices.append(f"Settings reset to their defaults: {whole}.")
    else:
        for key in _DEFAULTS:
            value = settings.value(key, None)
            if value is None:
                continue
            try:
                _convert(key, value)
            except (TypeError, ValueError) as exc:
                settings.remove(key)
                notices.append(f"Setting {key} reset to its default ({default(key)!r}): {exc}.")
    settings.setValue(VERSION_KEY, SETTINGS_VERSION)
    settings.sync()
    for notice in notices:
        log.warning("%s", notice)
    return notices


def add_recent(key: str, path: str) -> list[str]:
    """Put ``path`` (resolved: absolute, without ``..`` or links) first in the recent list ``key``; returns the list."""
    path = str(Path(path).resolve())
    items = [p for p in read(key) if p != path]
    items.insert(0, path)
    write(key, items[:RECENT_MAX])
    return items[:RECENT_MAX]
