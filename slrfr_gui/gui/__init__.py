"""The Qt window: a thin layer over :mod:`slrfr_gui.core`."""
