"""What every ``slrfr`` command shares: argument types, exit statuses, the progress bar, output checks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _resolution(text: str):
    from ..faces.frame import parse_resolution

    try:
        return parse_resolution(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _resolutions(text: str):
    parts = [p for p in text.split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("give at least one resolution, e.g. 7x6,12x10")
    return [_resolution(p) for p in parts]


def _eyes(text: str):
    from ..faces.find import parse_eyes

    try:
        return parse_eyes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _sigma(text: str) -> float:
    """An argparse type: a noise standard deviation in grey levels of the [0, 1] range, 0 to 0.5."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 0.5:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text} must be from 0 to 0.5 (grey levels in [0, 1]; 0.02 is about 5 of 255)")
    return value


def _int_at_least(lowest: int, highest: int = 1_000_000):
    """An argparse type: a whole number from ``lowest`` to ``highest``.

    The upper bound turns a slip of the keyboard (``--iterations 10000000``) into a usage
    error instead of hours of work. ``lowest`` and ``highest`` are kept on the function so
    that tests can enumerate the wrong values of every option.
    """
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < lowest:
            raise argparse.ArgumentTypeError(f"{value} must be {lowest} or more")
        if value > highest:
            raise argparse.ArgumentTypeError(f"{value} is too large (at most {highest:,})")
        return value

    parse.lowest, parse.highest = lowest, highest
    return parse


_positive_int = _int_at_least(1)


def _progress_bar(desc: str, quiet: bool):
    """A tqdm bar on stderr and a ``progress(done, total, *stage)`` callable feeding it."""
    from tqdm import tqdm

    show = not quiet and sys.stderr.isatty()
    bar = tqdm(desc=desc, total=0, disable=not show, unit="step", file=sys.stderr, dynamic_ncols=True, leave=False)

    def progress(done, total, stage=None):
        if bar.total != total:
            bar.reset(total=total)
        if stage:
            bar.set_description(f"{desc} ({stage})", refresh=False)
        bar.n = done
        bar.refresh()

    return bar, progress


def _pct(value) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def _check_output_file(path: Path, option: str) -> None:
    """Fail early, before long work, when ``path`` cannot be written."""
    from ..errors import SLRFRError

    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise SLRFRError(f"{path}: is a folder; give a file name for {option}")
    if not parent.is_dir():
        raise SLRFRError(f"{parent}: no such folder for {option} {path}")
