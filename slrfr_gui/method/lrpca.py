"""LR-PCA: eigenfaces at the probe's resolution, nearest neighbour (the paper's baseline rival).

The PCA and nearest-neighbour helpers here serve the other rivals too
(:mod:`slrfr_gui.evaluation.baselines`, :mod:`slrfr_gui.method.outdoor`).
"""

from __future__ import annotations

import numpy as np

from ..faces.frame import degrade
from .base import BaseClassifier, check_probes

__all__ = ["LRPCANearestNeighbour", "nearest_by_person", "pca", "squared_distances"]


def pca(x: np.ndarray, n_components: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and principal axes of the rows of ``x`` (n, d), dropping axes below 1e-10 of the largest.

    Returns
    -------
    mean : ndarray of shape (d,)
    components : ndarray of shape (p, d)
        At least one row; at most ``n_components`` when given.
    """
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    rank = int(np.sum(s > 1e-10 * max(s[0], 1e-300))) if s.size else 0
    p = rank if n_components is None else min(int(n_components), rank)
    return mean, vt[:max(p, 1)]


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``a`` (n, d) and ``b`` (m, d), shape (n, m)."""
    return np.maximum(np.sum(a**2, 1)[:, None] - 2 * a @ b.T + np.sum(b**2, 1)[None], 0.0)


def nearest_by_person(dist: np.ndarray, sample_labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Smallest distance to each person's samples: (n_probes, n_samples) -> (n_probes, n_persons)."""
    out = np.empty((len(dist), len(classes)))
    for i, person in enumerate(classes):
        out[:, i] = dist[:, sample_labels == person].min(axis=1)
    return out


class LRPCANearestNeighbour(BaseClassifier):
    """Baseline: PCA on the degraded gallery images, nearest neighbour (eigenfaces at LR).

    The gallery images themselves, degraded to ``resolution``, give the PCA
    (mean and up to n - 1 components); probes are matched by Euclidean
    distance in that space. This is the "LR-PCA" rival of the paper.

    Attributes
    ----------
    classes_ : ndarray of shape (n_persons,)
    """

    def __init__(self, resolution=(7, 6), n_components: int | None = None):
        self.resolution = resolution
        self.n_components = n_components

    def fit(self, faces, labels) -> "LRPCANearestNeighbour":
        """Degrade the gallery and learn its PCA. ``faces``: (n, 48, 40); ``labels``: (n,)."""
        faces, labels = self._checked_fit_input(faces, labels)
        r, c = self.resolution_
        return self._fit_vectors(degrade(faces, (r, c)).reshape(len(faces), -1), labels)

    def _fit_vectors(self, x: np.ndarray, sample_labels: np.ndarray) -> "LRPCANearestNeighbour":
        """PCA of low-resolution vectors ``x`` (n, r * c), each labelled with its person."""
        self.mean_, self.components_ = pca(x, self.n_components)
        self.gallery_ = (x - self.mean_) @ self.components_.T
        self.sample_labels_ = np.asarray(sample_labels)
        self.classes_ = np.unique(sample_labels)
        return self

    def residuals(self, probes) -> np.ndarray:
        """Smallest Euclidean distance to each person's gallery images in PCA space, (n_probes, n_persons)."""
        self._check_fitted()
        y = (check_probes(probes, self.resolution_) - self.mean_) @ self.components_.T
        return np.sqrt(nearest_by_person(squared_distances(y, self.gallery_), self.sample_labels_, self.classes_))
