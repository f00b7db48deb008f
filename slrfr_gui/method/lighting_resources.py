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

from ..files.datafile import read_data_file, write_data_file
from ..errors import ResourceError
from ..faces.frame import format_resolution, parse_resolution
from .metric import LightingMetric

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


def shipped_resolutions(features: str = "log") -> list[tuple[int, int]]:
    """The resolutions (rows, columns) for which a metric of ``features`` ships, smallest first.

    Raises
    ------
    ResourceError
        The resource file is damaged.
    """
    path = _shipped_path()
    if path is None:
        return []
    prefix, suffix = f"{features}_", "__templates"
    sizes = [parse_resolution(k[len(prefix):-len(suffix)]) for k in _load(path)
             if k.startswith(prefix) and k.endswith(suffix)]
    return sorted(sizes, key=lambda s: (s[0] * s[1], s))


def serving_resolution(resolution, features: str = "log") -> tuple[int, int]:
    """The resolution a model asked for at ``resolution`` is trained and scored at.

    A size with a shipped metric is served as it is. Any other size the product accepts
    (5x4 to 48x40) is served at the shipped size nearest to it in log scale,
    ``|log(r'/r)| + |log(c'/c)|`` (the least resampling; a tie goes to the larger size), and its
    probes are resized to that size. Measured on 38 Yale B persons with probes under lights up
    to 130 degrees off the axis (rank-1; the shipped metrics have seen these persons, so the figures
    compare sizes, not the method): 20x20 probes served at 21x18 99.9 % (20x17 99.7, 24x20 99.8,
    19x16 98.9; at 20x20 without a metric 50.7 % with lights up to 60 degrees); 10x10 probes at 12x10
    92.2 % (11x9 93.0, 10x8 83.9, 13x11 86.4); 6x6 probes at 7x6 70.6 % (6x5 28.3, 8x7 47.8).

    Returns
    -------
    (int, int)
        ``resolution`` itself when a metric ships for it or none ships at all.
    """
    resolution = (int(resolution[0]), int(resolution[1]))
    sizes = shipped_resolutions(features)
    if not sizes or resolution in sizes:
        return resolution
    r, c = resolution
    return min(sizes, key=lambda s: (abs(np.log(s[0] / r)) + abs(np.log(s[1] / c)), -s[0] * s[1]))


def _shipped_path() -> str | None:
    """The shipped metrics file, or None when the installation has none."""
    from ..files.resources import resource_path

    try:
        return str(resource_path(FILE_NAME))
    except ResourceError:
        return None


def shipped_compact(metric) -> dict | None:
    """The shipped file's compact arrays (:func:`compress`'s) of ``metric``, or None.

    Given only when ``metric`` is exactly what :func:`expand` makes of them (the shipped metric it
    was trained with, not one from a changed resource file), so that a model file can store these
    few megabytes instead of ``transforms`` (n_clusters x p x p float64: 44 MB at 24x20) and load
    the very same numbers.
    """
    path = _shipped_path()
    key = f"{metric.features}_{format_resolution(metric.resolution)}"
    if path is None or f"{key}__templates" not in _load(path):
        return None
    arrays = _load(path)
    names = ("templates", "vectors", "values", "rest", "means", "centred")
    compact = {n: arrays[f"{key}__{n}"] for n in names if f"{key}__{n}" in arrays}
    shipped = _expand_cached(path, key, tuple(metric.resolution), metric.features)
    same = (shipped is metric or (np.array_equal(shipped.transforms, metric.transforms)
                                  and np.array_equal(shipped.templates, metric.templates)
                                  and (shipped.means is None) == (metric.means is None)
                                  and (metric.means is None or np.array_equal(shipped.means, metric.means))
                                  and shipped.centred == metric.centred))
    return compact if same else None


@functools.lru_cache(maxsize=64)
def _expand_cached(path, key, resolution, features):
    from threadpoolctl import threadpool_limits

    arrays = _load(path)
    names = ("templates", "vectors", "values", "rest", "means", "centred")
    with threadpool_limits(1):  # small QRs and products: BLAS threads only contend (24x20: 3.9 s -> 0.6 s loaded)
        return expand({n: arrays[f"{key}__{n}"] for n in names if f"{key}__{n}" in arrays}, resolution, features)
