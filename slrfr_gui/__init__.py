"""slrfr-gui: recognise people from tiny, badly lit face images.

Built on SLRFR (Shekhar, Patel, Chellappa, "Synthesis-based Recognition of Low
Resolution Faces", IJCB 2011). The method lives in :mod:`slrfr_gui.core`, which
never imports Qt; :mod:`slrfr_gui.cli` and :mod:`slrfr_gui.gui` are thin layers
over it.
"""

__version__ = "0.1.0"
