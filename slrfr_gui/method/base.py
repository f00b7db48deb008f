"""What every classifier shares: the estimator contract and the checks of its input.

As in scikit-learn (``base.py`` and ``utils/validation.py``): ``__init__`` only stores parameters,
``fit(faces, labels)`` validates its input once (:func:`check_faces`, :func:`check_labels`) and returns
``self``, learned state ends in ``_``, and the scoring methods check that the estimator is fitted.
Every classifier gives ``residuals(probes)`` of shape (n_probes, n_persons), smaller is better;
:class:`BaseClassifier` turns them into ranks, ranked names, an open-set score and predictions.

The classifiers: :class:`~slrfr_gui.method.learned.LearnedRelightingClassifier` and
:class:`~slrfr_gui.method.physical.PhysicalRelightingClassifier` (the two forms of SLRFR, on their
shared :class:`~slrfr_gui.method.slrfr.SLRFRClassifier`), :class:`~slrfr_gui.method.outdoor.OutdoorClassifier`
(the paper's outdoor variant) and :class:`~slrfr_gui.method.lrpca.LRPCANearestNeighbour` (the LR-PCA
rival); :func:`~slrfr_gui.method.classifiers.make_classifier` picks one by name.
"""

from __future__ import annotations

import inspect

import numpy as np

from ..errors import ProbeError
from ..faces.frame import FRAME_SHAPE, check_resolution, prepare_probe

__all__ = ["BaseClassifier", "NotFittedError", "check_faces", "check_labels", "check_probes"]


class NotFittedError(RuntimeError):
    """``residuals``/``predict`` called before ``fit``."""


def check_faces(faces, name: str = "faces") -> np.ndarray:
    """Validate HR faces: ndarray of shape (n, 48, 40), finite, returned as float64."""
    arr = np.asarray(faces, dtype=np.float64)
    if arr.ndim == 2 and arr.shape == FRAME_SHAPE:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1:] != FRAME_SHAPE:
        raise ValueError(f"{name} must have shape (n, 48, 40), got {arr.shape}")
    if len(arr) == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return arr


def check_probes(probes, resolution, name: str = "probes") -> np.ndarray:
    """Validate LR probes: (r, c) or (n, r, c) at ``resolution``; returns (n, r * c) float64."""
    r, c = resolution
    arr = np.asarray(probes, dtype=np.float64)
    if arr.ndim == 2 and arr.shape == (r, c):
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1:] != (r, c):
        raise ValueError(
            f"{name} must have shape (n, {r}, {c}) for a {r}x{c} model, got {arr.shape};"
            " degrade larger images with slrfr_gui.faces.frame.degrade first"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} hold NaN or infinite values")
    return arr.reshape(len(arr), r * c)


def check_labels(labels, n: int) -> np.ndarray:
    """Validate labels: one per face, shape (n,)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != n:
        raise ValueError(f"labels must have shape ({n},), one per face, got {labels.shape}")
    return labels


class BaseClassifier:
    """The contract of every classifier here: ``fit``, then ``residuals`` and what follows from them.

    Subclasses define ``__init__`` (parameters only), ``fit(faces, labels, ...)`` (setting
    ``resolution_`` and ``classes_``) and ``residuals(probes)``; ``describe()`` gives one line.
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        """The parameters of ``__init__``, in order (as scikit-learn's ``_get_param_names``)."""
        return [p.name for p in inspect.signature(cls.__init__).parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]

    def get_params(self) -> dict:
        """The parameters the classifier was made with, by name."""
        return {name: getattr(self, name) for name in self._param_names()}

    def _checked_fit_input(self, faces, labels) -> tuple[np.ndarray, np.ndarray]:
        """Validate ``resolution`` (set ``resolution_``), the faces (n, 48, 40) and their labels (n,)."""
        self.resolution_ = check_resolution(self.resolution)
        faces = check_faces(faces)
        return faces, check_labels(labels, len(faces))

    def _check_fitted(self):
        if not hasattr(self, "classes_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(faces, labels) first")

    def rank(self, probes, top: int | None = None) -> np.ndarray:
        """Indices into ``classes_`` sorted by residual, best first.

        Returns
        -------
        ndarray of shape (n_probes, top or n_persons), int
        """
        res = self.residuals(probes)
        order = np.argsort(res, axis=1, kind="stable")
        return order if top is None else order[:, :top]

    def ranked(self, probes, top: int | None = 10) -> list:
        """For each probe, the ``top`` persons as ``(person, residual)`` pairs, best first.

        Returns
        -------
        list of length n_probes of list of (str, float)
        """
        res = self.residuals(probes)
        order = np.argsort(res, axis=1, kind="stable")
        if top is not None:
            order = order[:, : max(int(top), 1)]
        return [[(str(self.classes_[j]), float(res[i, j])) for j in row] for i, row in enumerate(order)]

    def rank_probe(self, image, top: int | None = 10, noise: float = 0.0) -> tuple[list, float]:
        """Rank the persons for one probe image of any size.

        The image is brought to the model's resolution with
        :func:`~slrfr_gui.faces.frame.prepare_probe`. ``noise`` (above 0) is passed to
        :meth:`~slrfr_gui.method.learned.LearnedRelightingClassifier.residuals`; only that
        classifier takes it.

        Returns
        -------
        ranked : list of (str, float)
            The ``top`` persons with their residuals, best first.
        ratio : float
            Smallest residual over the second smallest (:func:`~slrfr_gui.method.openset.margin_ratio`);
            the open-set score, "unknown" above a threshold.

        Raises
        ------
        ProbeError
            The image is too small, blank or not finite (:func:`~slrfr_gui.faces.frame.probe_problem`).
        """
        from ..faces.frame import probe_problem
        from .openset import margin_ratio

        problem = probe_problem(image)
        if problem:
            raise ProbeError(f"cannot identify the probe: {problem}")
        probe = prepare_probe(image, self.resolution_)[None]
        res = self.residuals(probe, noise=noise) if noise else self.residuals(probe)  # noise: SLRFR's own
        order = np.argsort(res[0], kind="stable")
        if top is not None:
            order = order[: max(int(top), 1)]
        return [(str(self.classes_[j]), float(res[0, j])) for j in order], float(margin_ratio(res)[0])

    def predict(self, probes) -> np.ndarray:
        """Identity with the smallest residual, shape (n_probes,), from ``classes_``."""
        res = self.residuals(probes)
        return self.classes_[np.argmin(res, axis=1)]
