"""The ``slrfr`` command line: a thin layer that parses arguments, calls the method and prints.

``slrfr.py`` builds the parser and dispatches to the commands: ``identify.py`` (enroll, identify),
``measure.py`` (evaluate, benchmark, detection-benchmark, report), ``scan.py`` (scan); ``common.py``
holds what they share and ``report.py`` draws the results page (with pyqtgraph, offscreen, which is
why it lives up here with the window and not in :mod:`slrfr_gui.evaluation`).
"""

from .slrfr import main

__all__ = ["main"]
