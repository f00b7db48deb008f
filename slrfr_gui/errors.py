"""Named exceptions of the core, each with a message a person can act on."""

from __future__ import annotations


class SLRFRError(Exception):
    """Base class of every error the core raises on purpose."""


class ImageReadError(SLRFRError):
    """An image file could not be read or decoded (the message names the file)."""


class GalleryError(SLRFRError):
    """A gallery folder is missing, empty, or has no usable person."""


class ProbeError(SLRFRError, ValueError):
    """A probe image cannot be identified: too small, blank (constant) or holding values that are not numbers.

    Also a ``ValueError``, as scikit-learn raises for bad input to ``predict``.
    """


class ModelFileError(SLRFRError):
    """A model file is missing, truncated, of another kind or of an unknown version."""


class ResourceError(SLRFRError):
    """A resource the application ships (the face model) is missing or damaged."""


class DataSetError(SLRFRError):
    """A benchmark data set is missing or does not look like the one named."""


class Cancelled(SLRFRError):
    """Long work was stopped because its ``should_stop`` callable returned True."""


class CameraError(SLRFRError):
    """A camera (device, video file or image folder) cannot be opened or stopped sending frames."""
