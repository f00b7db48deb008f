"""The SLRFR method, free of Qt: NumPy, SciPy, OpenCV and scikit-learn only.

Main entry points
-----------------
:class:`SLRFRClassifier`
    ``fit(faces, labels)`` on HR faces of shape (n, 48, 40); ``residuals``,
    ``rank``, ``ranked`` and ``predict`` on LR probes of shape (n, r, c).
:func:`load_gallery`, :func:`save_model`, :func:`load_model`, :func:`relight`,
:func:`degrade`, :func:`evaluate_yaleb`.
"""

from .classifier import LRPCANearestNeighbour, NotFittedError, SLRFRClassifier
from .errors import (Cancelled, DataSetError, GalleryError, ImageReadError, ModelFileError, ResourceError,
                     SLRFRError)
from .facemodel import FaceModel, default_face_model
from .frame import FRAME_SHAPE, degrade, format_resolution, parse_resolution, prepare_probe, to_frame
from .gallery import Gallery, SkippedFilesWarning, load_gallery
from .imageio import read_grey, write_grey
from .modelfile import load_model, save_model
from .relight import Relighting, points_of_light, relight

__all__ = [
    "SLRFRClassifier", "LRPCANearestNeighbour", "NotFittedError",
    "Cancelled", "DataSetError", "GalleryError", "ImageReadError", "ModelFileError", "ResourceError", "SLRFRError",
    "FaceModel", "default_face_model", "FRAME_SHAPE", "degrade", "format_resolution", "parse_resolution",
    "prepare_probe", "to_frame", "Gallery", "SkippedFilesWarning", "load_gallery", "read_grey", "write_grey",
    "load_model", "save_model", "Relighting", "points_of_light", "relight",
]
