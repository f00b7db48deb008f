"""Application settings: one table of defaults behind QSettings, with typed reads and a reset."""

from __future__ import annotations

from PySide6.QtCore import QSettings

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
TRAINING_KEYS = ("train/n_atoms", "train/sparsity", "train/n_iter", "train/n_components")
RECENT_MAX = 8


def default(key: str):
    """The default value of ``key``."""
    return _DEFAULTS[key]


def read(key: str):
    """The stored value of ``key``, converted to the type of its default (the default if absent or unreadable)."""
    value = QSettings().value(key, None)
    fallback = _DEFAULTS[key]
    if value is None:
        return fallback
    try:
        if isinstance(fallback, bool):
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
        if isinstance(fallback, int):
            return int(value)
        if isinstance(fallback, list):
            if isinstance(value, str):
                return [value] if value else []
            return [str(v) for v in value]
        return type(fallback)(value)
    except (TypeError, ValueError):
        return fallback


def write(key: str, value) -> None:
    if key not in _DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    QSettings().setValue(key, value)


def reset(keys=None) -> None:
    """Restore ``keys`` (all by default) to their defaults."""
    settings = QSettings()
    for key in keys or _DEFAULTS:
        settings.remove(key)


def add_recent(key: str, path: str) -> list[str]:
    """Put ``path`` first in the recent list ``key``; returns the list."""
    items = [p for p in read(key) if p != str(path)]
    items.insert(0, str(path))
    write(key, items[:RECENT_MAX])
    return items[:RECENT_MAX]
