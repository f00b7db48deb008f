"""Identification against a gallery too large for one worker: the persons split across workers.

A fitted :class:`~slrfr_gui.method.slrfr.SLRFRClassifier` is cut into
shards of consecutive persons (:func:`shard_model`); each worker holds one
shard and ranks only its persons (:func:`shard_top_k`); the client merges the
shards' top-k into the gallery's (:func:`merge_top_k`). A person's residual
depends only on the probe and that person's references (and the probe's own
norm), so the merged top-k, and the ratio of the first two, are those of one
process holding the whole gallery (``tests/core/test_scan.py`` compares them).

:func:`identify_sharded` runs it on a ``distributed.Client``: each shard is
scattered to one worker only, or made there by a function (so that a
million-person gallery never passes through the client).
"""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np

from .tracks import probe_batch_size


def shard_model(model, n_shards: int) -> list:
    """Split a fitted classifier into ``n_shards`` classifiers of consecutive persons.

    Returns
    -------
    list of (classifier, offset)
        Each shard and the index of its first person in ``model.classes_``.
    """
    n = len(model.classes_)
    n_shards = max(1, min(int(n_shards), n))
    bounds = np.linspace(0, n, n_shards + 1).round().astype(int)
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        shard = copy.copy(model)
        a, b = int(model.basis_offsets_[lo]), int(model.basis_offsets_[hi])
        shard.classes_ = model.classes_[lo:hi]
        shard.bases_ = np.ascontiguousarray(model.bases_[:, a:b])
        shard.basis_offsets_ = model.basis_offsets_[lo:hi + 1] - a
        shard.dictionaries_ = list(model.dictionaries_[lo:hi]) if getattr(model, "dictionaries_", None) else []
        shard._cluster_cache = OrderedDict()
        shard._norm_cache = {}
        out.append((shard, int(lo)))
    return out


def shard_top_k(shard, probes: np.ndarray, k: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` smallest residuals of each probe against a shard's persons.

    Parameters
    ----------
    shard : fitted classifier
    probes : ndarray of shape (n, r, c)
        At the shard's resolution.
    k : int
    offset : int
        Added to the person indices (the shard's first person in the whole gallery).

    Returns
    -------
    indices : ndarray of shape (n, min(k, persons)), int64
    residuals : ndarray of shape (n, min(k, persons)), float64
        Best first; ties broken by the lower index, as a stable sort of the whole row would.
    """
    probes = np.asarray(probes, dtype=np.float64)
    k = min(int(k), len(shard.classes_))
    idx = np.empty((len(probes), k), np.int64)
    val = np.empty((len(probes), k))
    # Probes of one light cluster together: the cluster's whitened references are derived once a call
    # (for a million persons they exceed the classifier's cache, and deriving them dominates).
    order = np.arange(len(probes))
    if hasattr(shard, "metric_") and len(probes):
        features = shard.feature_vectors(probes.reshape(len(probes), -1))
        order = np.argsort(shard.metric_.assign(features), kind="stable")
    step = probe_batch_size(shard)
    for lo in range(0, len(probes), step):
        rows = order[lo:lo + step]
        res = shard.residuals(probes[rows])
        part = np.argpartition(res, k - 1, axis=1)[:, :k] if k < res.shape[1] else np.tile(np.arange(k),
                                                                                             (len(res), 1))
        v = np.take_along_axis(res, part, axis=1)
        best = np.lexsort((part, v), axis=1)
        idx[rows] = np.take_along_axis(part, best, axis=1) + offset
        val[rows] = np.take_along_axis(v, best, axis=1)
    return idx, val


def merge_top_k(parts, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge the shards' ``(indices, residuals)`` into the gallery's top ``k`` (best first)."""
    idx = np.concatenate([p[0] for p in parts], axis=1)
    val = np.concatenate([p[1] for p in parts], axis=1)
    order = np.lexsort((idx, val), axis=1)[:, :k]
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(val, order, axis=1)


def identify_sharded(client, shards, probes: np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-k and ratio of ``probes`` against a gallery held in shards on the workers.

    Parameters
    ----------
    client : distributed.Client
    shards : list of (Future, offset)
        Each shard's future (from :func:`place_shards`) and the index of its first person.
    probes : ndarray of shape (n, r, c)
    k : int
        At least 2 (the ratio needs the second residual).

    Returns
    -------
    indices : ndarray of shape (n, k)
    residuals : ndarray of shape (n, k)
    ratio : ndarray of shape (n,)
        Best over second residual (:func:`~slrfr_gui.method.openset.margin_ratio`).
    """
    k = max(2, int(k))
    futures = [client.submit(shard_top_k, shard, probes, k, offset, pure=False) for shard, offset in shards]
    parts = client.gather(futures)
    idx, val = merge_top_k(parts, k)
    ratio = np.where(val[:, 1] > 0, val[:, 0] / np.maximum(val[:, 1], 1e-300), 1.0)
    return idx, val, ratio


def place_shards(client, shards) -> list:
    """Scatter each (shard, offset) to one worker of its own, round robin; returns [(Future, offset)]."""
    workers = sorted(client.scheduler_info()["workers"])
    return [(client.scatter(shard, workers=[workers[i % len(workers)]], hash=False), offset)
            for i, (shard, offset) in enumerate(shards)]


def make_shards_on_workers(client, factory, n_shards: int, *args) -> list:
    """Build each shard on its own worker with ``factory(shard_index, n_shards, *args)`` -> (shard, offset);
    returns [(Future of the shard, offset)]. Nothing of the gallery passes through the client."""
    workers = sorted(client.scheduler_info()["workers"])
    out = []
    for i in range(n_shards):
        pair = client.submit(factory, i, n_shards, *args, workers=[workers[i % len(workers)]], pure=False)
        shard = client.submit(lambda p: p[0], pair, workers=[workers[i % len(workers)]], pure=False)
        offset = client.submit(lambda p: p[1], pair, workers=[workers[i % len(workers)]], pure=False).result()
        del pair
        out.append((shard, offset))
    return out
