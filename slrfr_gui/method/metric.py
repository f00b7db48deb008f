"""The lighting metric a classifier scores with: per-light-cluster whitening transforms.

A probe is assigned to the light cluster whose template it matches best
(:meth:`LightingMetric.assign`) and its residuals are measured after that cluster's whitening
T_c. How the metrics are learned is :mod:`slrfr_gui.method.lighting` (and, for galleries framed
otherwise, :mod:`slrfr_gui.method.generic`); the shipped ones are read by
:mod:`slrfr_gui.method.lighting_resources`. This module is what the classifiers need of them, and
nothing more, so that learning a metric (which runs a classifier) stays above the classifiers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LightingMetric", "whitening"]


@dataclass
class LightingMetric:
    """Per-cluster whitening transforms in a classifier's feature space.

    Attributes
    ----------
    resolution : (int, int)
        Probe size it was learned at, rows x columns.
    features : str
        The classifier feature map it was learned in (``"sqrt"`` or ``"pca"``).
    templates : ndarray of shape (n_clusters, p), float64
        Unit-norm mean feature vector of each light cluster.
    transforms : ndarray of shape (n_clusters, p, p), float64
        Symmetric whitening C_c^(-1/2) of each cluster.
    means : ndarray of shape (n_clusters, p), float64, or None
        The learned relighting (:func:`learn_ratio_metric`): the mean log ratio
        between a face under the cluster's lights and the same face under a
        gallery light. None for the metric of the physical relighting.
    centred : bool
        Templates (and so the assignment) use feature vectors minus their own
        mean (in the log domain: free of the exposure).
    """

    resolution: tuple
    features: str
    templates: np.ndarray
    transforms: np.ndarray
    means: np.ndarray | None = None
    centred: bool = False

    def assign(self, features: np.ndarray) -> np.ndarray:
        """Light cluster of each feature vector, shape (n,), int (best template by cosine)."""
        f = np.asarray(features, dtype=np.float64)
        if len(self.templates) == 1:
            return np.zeros(len(f), dtype=int)
        if self.centred:
            f = f - f.mean(axis=1, keepdims=True)
        return np.argmax(f @ self.templates.T, axis=1)

    @classmethod
    def identity(cls, resolution, features: str, p: int) -> "LightingMetric":
        """One cluster, no whitening (the plain Euclidean nearest subspace)."""
        return cls(tuple(resolution), features, np.ones((1, p)) / np.sqrt(p), np.eye(p)[None])


def whitening(cov: np.ndarray, ridge: float) -> np.ndarray:
    """Symmetric (C + ridge * tr(C)/p * I)^(-1/2) of a covariance of shape (p, p)."""
    p = cov.shape[0]
    w, v = np.linalg.eigh(cov + ridge * max(np.trace(cov), 1e-12) / p * np.eye(p))
    return (v * np.maximum(w, 1e-12) ** -0.5) @ v.T
