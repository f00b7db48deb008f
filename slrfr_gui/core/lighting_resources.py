"""The lighting metrics shipped with the application, one per slider resolution.

``resources/lighting_metrics.npz`` is written by
``scripts/derive_face_model.py`` from all 38 Extended Yale B subjects (and
their mirror images, for the learned relighting). Each transform T
(symmetric, p x p: a whitening, or the square root of the learned
relighting's Bayesian form) is stored compactly by its eigen-decomposition:
the ``RANK`` eigenvectors with the smallest eigenvalues of T (the directions
where training residuals vary most, which T shrinks), in float16, and one
value standing for all the others.
"""

from __future__ import annotations

import functools

import numpy as np

from .datafile import read_data_file, write_data_file
from .errors import ResourceError
from .frame import format_resolution
from .lighting import LightingMetric

FORMAT = "slrfr-lighting-metrics"
FORMAT_VERSION = 1
FILE_NAME = "lighting_metrics.npz"
#: Eigenvectors kept per transform (the physical relighting's metric).
RANK = 48
#: Eigenvectors kept per transform of the learned relighting: its transform has a wider range.
#: 128 keeps sizes up to 12x10 exact; on yaleb-lr-v1's folds, 19x16 loses 1.8 rank-1 points with
#: 128 (86.3 -> 84.5) and 3.7 with 64; keeping some of the largest instead loses more.
RANK_LEARNED = 128


def compress(metric: LightingMetric, rank: int = RANK) -> dict:
    """Arrays that :func:`expand` turns back into ``metric`` (up to the low-rank approximation)."""
    p = metric.transforms.shape[1]
    k = min(rank, p)
    vectors, values, rest = [], [], []
    for t in metric.transforms:
        w, v = np.linalg.eigh(t)  # ascending: smallest gains first
        vectors.append(v[:, :k])
        values.append(w[:k])
        rest.append(w[k:].mean() if k < p else 1.0)
    arrays = {"templates": metric.templates.astype(np.float32), "vectors": np.array(vectors, dtype=np.float16),
              "values": np.array(values, dtype=np.float32), "rest": np.array(rest, dtype=np.float32)}
    if metric.means is not None:  # the learned relighting
        arrays["means"] = metric.means.astype(np.float32)
    arrays["centred"] = np.array([metric.centred])
    return arrays


def expand(arrays: dict, resolution, features: str) -> LightingMetric:
    """The metric stored by :func:`compress`."""
    transforms = []
    for v, w, rest in zip(arrays["vectors"].astype(np.float64), arrays["values"].astype(np.float64),
                          arrays["rest"].astype(np.float64)):
        q, _ = np.linalg.qr(v)
        t = (q * w) @ q.T + rest * (np.eye(len(q)) - q @ q.T)
        transforms.append(t)
    means = arrays.get("means")
    return LightingMetric(tuple(resolution), features, arrays["templates"].astype(np.float64), np.array(transforms),
                          None if means is None else means.astype(np.float64),
                          bool(arrays.get("centred", np.array([False]))[0]))


def save_metrics(path, metrics: list, meta: dict | None = None) -> None:
    """Write several metrics (each at its own resolution) as one data file, atomically."""
    arrays = {}
    for metric in metrics:
        key = f"{metric.features}_{format_resolution(metric.resolution)}"
        for name, value in compress(metric, RANK_LEARNED if metric.means is not None else RANK).items():
            arrays[f"{key}__{name}"] = value
    write_data_file(path, arrays, dict(meta or {}), FORMAT, FORMAT_VERSION, ResourceError)


@functools.cache
def _load(path: str) -> dict:
    arrays, _ = read_data_file(path, FORMAT, FORMAT_VERSION, ResourceError, "lighting metrics file",
                               "reinstall slrfr-gui or run scripts/derive_face_model.py")
    return arrays


def shipped_metric(resolution, features: str = "sqrt"):
    """The shipped metric for ``resolution`` and ``features``, or None if none ships.

    Raises
    ------
    ResourceError
        The resource file is damaged.
    """
    path = _shipped_path()
    key = f"{features}_{format_resolution(resolution)}"
    if path is None or f"{key}__templates" not in _load(path):
        return None
    return _expand_cached(path, key, tuple(resolution), features)


def shipped_relighting(resolution):
    """The shipped learned relighting's mean log ratios for ``resolution``, shape (n_clusters, rows * columns),
    float32, or None if none ships; reads no transform (cheap enough for a preview).

    Raises
    ------
    ResourceError
        The resource file is damaged.
    """
    path = _shipped_path()
    return None if path is None else _load(path).get(f"log_{format_resolution(resolution)}__means")


def _shipped_path() -> str | None:
    """The shipped metrics file, or None when the installation has none."""
    from .resources import resource_path

    try:
        return str(resource_path(FILE_NAME))
    except ResourceError:
        return None


@functools.lru_cache(maxsize=64)
def _expand_cached(path, key, resolution, features):
    arrays = _load(path)
    names = ("templates", "vectors", "values", "rest", "means", "centred")
    return expand({n: arrays[f"{key}__{n}"] for n in names if f"{key}__{n}" in arrays}, resolution, features)
