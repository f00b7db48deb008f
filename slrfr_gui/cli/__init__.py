"""cli."""

from .slrfr import main

__all__ = ["main"]
