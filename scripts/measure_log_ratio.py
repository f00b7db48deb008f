#!/usr/bin/env python3
"""Measure the learned log-ratio relighting on ``yaleb-lr-v1`` (an experiment for issue 5, not yet the app's method).

The idea (the quotient image of Shashua and Riklin-Raviv, learned): under the Lambertian
model I = rho * S, the log of a face under light t is the log of the same face under the
gallery light plus log(S_t / S_g), and that log ratio is mostly the same for everyone. So a
gallery image is "relit" to the probe's kind of light by adding the mean log ratio that the
training subjects show between their own gallery-lit and probe-lit images, and the match is
scored by the Mahalanobis distance under the covariance of what that mean misses (the
person's own shape, cast shadows, exposure):

    d_i(y) = (y - a_i - mu_c)^T Sigma_c^{-1} (y - a_i - mu_c),

with y = log(probe + eps) at the probe resolution, a_i = log(gallery image of person i + eps)
degraded the same way, and (mu_c, Sigma_c) learned per light cluster c (k-means on the
training conditions' mean centred log images; a probe takes the nearest cluster) from the
fold's training subjects only: every training image under a gallery light (S1-S2) against
every other image of the same subject. Sigma_c = mix * own + (1 - mix) * pooled, plus a
ridge of ``ridge`` times its mean eigenvalue. Same folds, galleries and probes as
``slrfr evaluate``.

    python scripts/measure_log_ratio.py --data ../shared/data/CroppedYale [--resolutions 7x6,12x10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.cluster.vq import kmeans2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slrfr_gui.core.evaluate import folds, true_ranks  # noqa: E402
from slrfr_gui.core.frame import degrade, parse_resolution  # noqa: E402
from slrfr_gui.core.yale import SUBSET_NAMES, load_yale  # noqa: E402


def log_features(images, resolution, eps):
    lr = degrade(np.asarray(images, dtype=np.float64), resolution).reshape(len(images), -1)
    return np.log(np.maximum(lr, 0.0) + eps)


def centred_unit(f):
    u = f - f.mean(axis=1, keepdims=True)
    return u / np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-12)


def learn(train, gallery_rows, resolution, eps, n_clusters, mix, ridge):
    """Cluster templates, and per cluster the mean log ratio and the precision of what it misses."""
    f = log_features(train.images, resolution, eps)
    u = centred_unit(f)
    conditions = train.azimuth * 1000 + train.elevation
    labels = np.unique(conditions)
    templates = np.stack([u[conditions == c].mean(axis=0) for c in labels])
    templates /= np.linalg.norm(templates, axis=1, keepdims=True)
    _, cluster_of = kmeans2(templates, n_clusters, seed=0, minit="++")
    centres = np.stack([templates[cluster_of == c].mean(axis=0) for c in np.unique(cluster_of)])
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    cluster = np.argmax(u @ centres.T, axis=1)  # as a probe is assigned
    pairs = [(g, q) for g in gallery_rows for q in np.flatnonzero(train.subjects == train.subjects[g]) if q != g]
    g_rows, q_rows = np.array(pairs).T
    diffs = f[q_rows] - f[g_rows]
    p = f.shape[1]
    means = {c: diffs[cluster[q_rows] == c].mean(axis=0) for c in np.unique(cluster[q_rows])}
    centred = diffs - np.stack([means[c] for c in cluster[q_rows]])
    pooled = centred.T @ centred / len(centred)
    precisions = {}
    for c in means:
        own = centred[cluster[q_rows] == c]
        cov = mix * (own.T @ own / len(own)) + (1 - mix) * pooled
        cov += ridge * np.trace(cov) / p * np.eye(p)
        precisions[c] = np.linalg.inv(cov)
    return centres, means, precisions


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the CroppedYale folder")
    parser.add_argument("--resolutions", default="7x6,10x8,12x10,19x16")
    parser.add_argument("--eps", type=float, default=0.005, help="added before the log (grey levels in [0, 1])")
    parser.add_argument("--clusters", type=int, default=16)
    parser.add_argument("--mix", type=float, default=0.8)
    parser.add_argument("--ridge", type=float, default=0.003)
    args = parser.parse_args(argv)
    resolutions = [parse_resolution(t) for t in args.resolutions.split(",")]
    start = time.perf_counter()
    yale = load_yale(args.data)
    subsets = yale.subsets
    directions = sorted({(int(a), int(e)) for a, e, s in zip(yale.azimuth, yale.elevation, subsets) if s <= 1})
    print(f"{'size':>6} {'rank-1':>7} " + " ".join(f"{s:>6}" for s in SUBSET_NAMES))
    for resolution in resolutions:
        overall, per_subset = [], {s: [] for s in range(len(SUBSET_NAMES))}
        for train_ids, test_ids in folds(yale.subjects):
            train = yale.select(np.isin(yale.subjects, train_ids))
            test = yale.select(np.isin(yale.subjects, test_ids))
            train_dirs = list(zip(train.azimuth.tolist(), train.elevation.tolist()))
            gallery_rows = [i for i, d in enumerate(train_dirs) if d in set(directions)]
            centres, means, precisions = learn(train, gallery_rows, resolution, args.eps, args.clusters, args.mix,
                                               args.ridge)
            f = log_features(test.images, resolution, args.eps)
            cluster = np.argmax(centred_unit(f) @ centres.T, axis=1)
            test_dirs = list(zip(test.azimuth.tolist(), test.elevation.tolist()))
            for g in directions:
                gal = np.array([i for i, d in enumerate(test_dirs) if d == g])
                gal = gal[np.argsort(test.subjects[gal])]
                probe_mask = np.isin(test.subjects, test.subjects[gal])
                probe_mask[gal] = False
                probes = np.flatnonzero(probe_mask)
                scores = np.empty((len(probes), len(gal)))
                for c in np.unique(cluster[probes]):
                    rows = np.flatnonzero(cluster[probes] == c)
                    mu = means.get(c, np.zeros(f.shape[1]))
                    prec = precisions.get(c, np.eye(f.shape[1]))
                    d = f[probes[rows]][:, None, :] - f[gal][None] - mu
                    scores[rows] = np.einsum("ngp,pq,ngq->ng", d, prec, d)
                correct = true_ranks(scores, test.subjects[gal], test.subjects[probes]) == 1
                overall.append(correct.mean())
                for s in per_subset:
                    in_subset = test.subsets[probes] == s
                    if in_subset.any():
                        per_subset[s].append(correct[in_subset].mean())
        print(f"{resolution[0]}x{resolution[1]:<4} {100 * np.mean(overall):6.1f}% "
              + " ".join(f"{100 * np.mean(v):5.1f}%" for v in per_subset.values()), flush=True)
    print(f"({time.perf_counter() - start:.0f} s; rank-1 averaged over the {len(overall)} runs of the last size)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
