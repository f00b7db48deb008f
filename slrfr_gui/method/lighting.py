"""Illumination-specific residual metric, learned from training subjects.

The synthesised subspace of a person misses what a single image cannot tell:
the person's own shape (shadow boundaries), cast shadows, highlights. These
misses are not random: under a given light they fall in the same places for
everyone. So, on the training subjects (never the gallery), every step of
enrolment is run as it will be run for a gallery, and the residuals of each
training subject's other images against their own synthesised subspace are
collected per light condition. Their covariance C says which directions of
the feature space a correct match commonly leaves unexplained; residuals are
then measured after whitening by C^(-1/2) (a Mahalanobis nearest subspace, the
Gaussian form of the "generic intra-class variation" of extended sparse-
representation classifiers; Deng, Hu, Guo, TPAMI 2012).

The covariance depends on the light, so the light conditions are grouped into
clusters by the appearance of the training faces under them (k-means on the
mean normalised low-resolution image of each condition); a probe is assigned
to the cluster whose template it matches best, and uses that cluster's
whitening (mixed with the global one for stability).
"""

from __future__ import annotations

import numpy as np

from .metric import LightingMetric, whitening

__all__ = ["LightingMetric", "learn_lighting_metric", "learn_ratio_metric", "whitening"]


def _condition_templates(unit: np.ndarray, cond_index: np.ndarray, conditions) -> np.ndarray:
    """Unit mean of the unit feature vectors of each light condition in ``conditions``, shape (len, p)."""
    templates = np.stack([unit[cond_index == i].mean(axis=0) for i in conditions])
    return templates / np.maximum(np.linalg.norm(templates, axis=1, keepdims=True), 1e-12)


def _light_clusters(templates: np.ndarray, n_clusters: int, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """k-means of the condition templates: the clusters' unit centres (n_kept, p), and the cluster of each
    template as an index into them (empty clusters are dropped)."""
    from scipy.cluster.vq import kmeans2

    k = int(min(max(n_clusters, 1), len(templates)))
    if k == 1:
        cluster_of = np.zeros(len(templates), dtype=int)
    else:
        _, cluster_of = kmeans2(templates, k, seed=random_state, minit="++")
    _, cluster_of = np.unique(cluster_of, return_inverse=True)
    centres = np.stack([templates[cluster_of == c].mean(axis=0) for c in range(cluster_of.max() + 1)])
    return centres / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12), cluster_of


def learn_ratio_metric(features, subjects, conditions, gallery_rows, n_clusters: int = 24, mix: float = 0.8,
                       ridge: float = 0.003, extra_weight: float = 0.7, resolution=(0, 0),
                       mirrored_conditions=None, random_state: int = 0) -> LightingMetric:
    """Learn the relighting of a gallery image to each light cluster, and its error, from training subjects.

    Under the Lambertian model I = rho S, log I_t - log I_g = log(S_t / S_g): the
    log ratio between a face under light t and under the gallery light g does not
    depend on the albedo, and its mean over people is a relighting learned from
    real faces (their shapes and cast shadows included; the quotient image of
    Shashua and Riklin-Raviv, TPAMI 2001, learned per light). For every
    training image under a gallery light and every other image of the same
    subject, the difference of their log features is taken; the differences
    are grouped by the light cluster of the second image (k-means on the mean
    centred, unit log image of each light condition). Per cluster c, mu_c is
    their mean and C_c the covariance of what mu_c misses (the person's own
    shape, exposure, noise), mixed with the pooled one and ridged. A gallery
    image a is relit to cluster c as a + mu_c.

    A probe y of cluster c is scored by the Bayesian intra/extra-personal
    distance of Moghaddam, Jebara and Pentland (Pattern Recognition 2000),
    d' (C_c^-1 - beta E_c^-1) d with d = y - a - mu_c, where E_c is the same
    covariance for pairs of *different* training subjects: directions in which
    faces differ from each other gain weight, directions in which only the
    lighting varies lose it. beta < 1 (``extra_weight``) shrinks towards the
    plain Mahalanobis distance, since 19 training subjects span few of the
    directions faces differ in; the form is clipped to be positive
    semi-definite and stored as its symmetric square root T_c, so the score is
    ||T_c d||^2.

    With ``mirrored_conditions``, every training image is also used mirrored
    left to right, as a new subject lit from the mirrored direction: twice the
    training faces (on ``yaleb-lr-v1``, ``SLRFR -mirror`` against ``SLRFR``:
    rank-1 69.6 -> 71.1 % at 7x6, 80.1 -> 82.7 % at 12x10).

    Parameters
    ----------
    features : ndarray of shape (n, rows * columns)
        Log features (:meth:`SLRFRClassifier.feature_vectors` with ``features="log"``)
        of every training image at the probe resolution, rows stacked.
    subjects, conditions : ndarray of shape (n,)
        Subject and light condition of each image.
    gallery_rows : sequence of int
        Images taken as gallery images (lit like a gallery: S1-S2 on Yale B).
    n_clusters : int
        Light clusters (at most the number of conditions).
    mix : float
        Weight of a cluster's own covariances against the pooled ones.
    ridge : float
        Added to each covariance as a fraction of its mean eigenvalue.
    extra_weight : float
        beta, the weight of the extra-personal term, in [0, 1]; 0 gives the
        Mahalanobis distance C_c^(-1/2).
    resolution : (int, int)
        Rows and columns of the features (needed to mirror them).
    mirrored_conditions : ndarray of shape (n,), optional
        The condition of each image's mirror image (on Yale B: azimuth negated).
    random_state : int
        Seed of the k-means.

    Returns
    -------
    LightingMetric
        With ``means`` and ``centred=True``, ``features="log"``; transforms of
        shape (n_clusters, p, p), symmetric.

    Raises
    ------
    ValueError
        No gallery row with another image of its subject; ``extra_weight``
        outside [0, 1]; ``mirrored_conditions`` without a matching ``resolution``.
    """
    if not 0.0 <= float(extra_weight) <= 1.0:
        raise ValueError(f"extra_weight must be in [0, 1], not {extra_weight}")
    features = np.asarray(features, dtype=np.float64)
    _, subjects = np.unique(np.asarray(subjects), return_inverse=True)
    conditions = np.asarray(conditions)
    gallery_rows = [int(g) for g in gallery_rows]
    if mirrored_conditions is not None:
        rows, cols = (int(v) for v in resolution)
        if rows * cols != features.shape[1]:
            raise ValueError(f"mirroring needs the features' resolution: {resolution} is not"
                             f" {features.shape[1]} pixels")
        n = len(features)
        flipped = features.reshape(n, rows, cols)[:, :, ::-1].reshape(n, -1)
        features = np.concatenate([features, flipped])
        subjects = np.concatenate([subjects, subjects + subjects.max() + 1])
        conditions = np.concatenate([conditions, np.asarray(mirrored_conditions)])
        gallery_rows = gallery_rows + [g + n for g in gallery_rows]
    centred = features - features.mean(axis=1, keepdims=True)
    unit = centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)
    labels, cond_index = np.unique(conditions, return_inverse=True)
    centres, _ = _light_clusters(_condition_templates(unit, cond_index, range(len(labels))), n_clusters,
                                 random_state)
    k = len(centres)
    cluster = np.argmax(unit @ centres.T, axis=1)  # each image as a probe is assigned
    by_subject = [np.flatnonzero(subjects == s) for s in range(subjects.max() + 1)]
    pairs = [(g, q) for g in gallery_rows for q in by_subject[subjects[g]] if q != g]
    if not pairs:
        raise ValueError("learn_ratio_metric needs a gallery row with another image of the same subject")
    g_rows, q_rows = np.array(pairs).T
    # Extra-personal pairs: the same probe light, another subject (never the mirror of the same one).
    n_ids = subjects.max() + 1
    originals = n_ids // 2 if mirrored_conditions is not None else n_ids
    image_of = np.full((n_ids, len(labels)), -1)
    image_of[subjects, cond_index] = np.arange(len(subjects))
    extra_g, extra_q = [], []
    for shift in (1, 5, 11):
        other = (subjects[q_rows] + shift) % n_ids
        j = image_of[other, cond_index[q_rows]]
        keep = (other % originals != subjects[q_rows] % originals) & (j >= 0)
        extra_g.append(g_rows[keep])
        extra_q.append(j[keep])
    extra_g, extra_q = np.concatenate(extra_g), np.concatenate(extra_q)
    means, intra_cov = _cluster_moments(features, g_rows, q_rows, cluster, k)
    use_extra = len(extra_g) > 0 and extra_weight > 0
    if use_extra:
        _, extra_cov = _cluster_moments(features, extra_g, extra_q, cluster, k, centre=means)
    transforms = []
    for c in range(k):
        m = whitening(_mixed(intra_cov, c, mix), ridge)
        form = m @ m
        if use_extra:
            e = whitening(_mixed(extra_cov, c, mix), ridge)
            form = form - extra_weight * (e @ e)
        w, v = np.linalg.eigh((form + form.T) / 2)
        transforms.append((v * np.sqrt(np.maximum(w, 0.0))) @ v.T)
    return LightingMetric(tuple(resolution), "log", centres, np.stack(transforms), means, True)


def _cluster_moments(features, g_rows, q_rows, cluster, k, centre=None, chunk: int = 8192):
    """Per light cluster of the q rows, the differences d = features[q] - features[g], accumulated in chunks.

    Returns the mean of d in each cluster, shape (k, p) (the pooled mean for an
    empty cluster), and (covariances (k, p, p) of d about ``centre`` (about
    their own means if None), counts (k,), their pooled covariance (p, p)).
    """
    p = features.shape[1]
    total = np.zeros((k, p))
    second = np.zeros((k, p, p))
    counts = np.zeros(k)
    for start in range(0, len(g_rows), chunk):
        g, q = g_rows[start:start + chunk], q_rows[start:start + chunk]
        d = features[q] - features[g]
        c = cluster[q]
        for j in np.unique(c):
            dj = d[c == j]
            total[j] += dj.sum(axis=0)
            second[j] += dj.T @ dj
            counts[j] += len(dj)
    n = np.maximum(counts, 1)[:, None]
    means = np.where(counts[:, None] > 0, total / n, total.sum(axis=0) / counts.sum())
    centre = means if centre is None else centre
    mean = total / n  # E[d d'] - E[d] mu' - mu E[d]' + mu mu' is the covariance about mu
    covs = (second / n[:, :, None] - np.einsum("ki,kj->kij", mean, centre) - np.einsum("ki,kj->kij", centre, mean)
            + np.einsum("ki,kj->kij", centre, centre))
    covs[counts == 0] = 0.0
    pooled = np.tensordot(counts, covs, axes=1) / counts.sum()
    return means, (covs, counts, pooled)


def _mixed(moments, c, mix):
    """Cluster c's covariance mixed with the pooled one (the pooled alone if the cluster has too few pairs)."""
    covs, counts, pooled = moments
    p = pooled.shape[0]
    return mix * covs[c] + (1 - mix) * pooled if counts[c] > p else pooled


def learn_lighting_metric(features, subjects, conditions, gallery_signals: dict, basis_fn,
                          n_clusters: int = 16, mix: float = 0.8, ridge: float = 0.05,
                          resolution=(0, 0), feature_name: str = "sqrt", random_state: int = 0) -> LightingMetric:
    """Learn the per-cluster whitening from training subjects.

    Parameters
    ----------
    features : ndarray of shape (n, p)
        Feature vectors of every training image at the probe resolution.
    subjects : ndarray of shape (n,)
        Training subject of each image.
    conditions : ndarray of shape (n,)
        Light condition label of each image (any hashable: the same flash
        direction gives the same label).
    gallery_signals : dict of int -> ndarray of shape (k, p)
        For some images used as a one-image gallery (row index into
        ``features``), the feature vectors of their synthesised signals.
    basis_fn : callable(ndarray (k, p)) -> ndarray (p, m)
        The classifier's orthonormal basis of a person's signals.
    n_clusters : int
        Light clusters (at most the number of conditions).
    mix : float
        Weight of a cluster's own covariance against the global one.
    ridge : float
        Added to the covariance as a fraction of its mean eigenvalue.

    Returns
    -------
    LightingMetric

    Raises
    ------
    ValueError
        No gallery signals, or shapes that do not agree.
    """
    features = np.asarray(features, dtype=np.float64)
    subjects = np.asarray(subjects)
    conditions = np.asarray(conditions)
    if not gallery_signals:
        raise ValueError("learn_lighting_metric needs at least one gallery image with its signals")
    labels, cond_index = np.unique(conditions, return_inverse=True)
    norms = np.linalg.norm(features, axis=1)
    residuals, owners = [], []
    for row, signals in gallery_signals.items():
        basis = basis_fn(np.asarray(signals, dtype=np.float64))
        probes = np.flatnonzero((subjects == subjects[row]) & (norms > 1e-9))
        probes = probes[probes != row]
        z = features[probes]
        residuals.append((z - (z @ basis) @ basis.T) / norms[probes, None])
        owners.append(cond_index[probes])
    residuals, owners = np.concatenate(residuals), np.concatenate(owners)
    seen = np.zeros(len(labels), dtype=bool)
    seen[np.unique(owners)] = True
    cov = np.stack([residuals[owners == i].T @ residuals[owners == i] / np.sum(owners == i)
                    for i in np.flatnonzero(seen)])
    overall = residuals.T @ residuals / len(residuals)
    unit = features / np.maximum(norms, 1e-12)[:, None]
    centres, cluster_of = _light_clusters(_condition_templates(unit, cond_index, np.flatnonzero(seen)), n_clusters,
                                          random_state)
    transforms = [whitening(mix * cov[cluster_of == c].mean(axis=0) + (1 - mix) * overall, ridge)
                  for c in range(len(centres))]
    return LightingMetric(tuple(resolution), feature_name, centres, np.stack(transforms))


def learn_for_classifier(images, subjects, conditions, gallery_rows, synthesized, resolution,
                         classifier_params=None, mirrored_conditions=None, **metric_params) -> LightingMetric:
    """Learn the metric of an :class:`~slrfr_gui.method.slrfr.SLRFRClassifier` from training subjects.

    With the physical relighting, each training image in ``gallery_rows`` is
    enrolled on its own, exactly as a gallery image would be (same synthesis,
    features and dictionary), and the subject's other images are its probes.
    With the learned relighting (``relighting="learned"``), the relighting
    itself is learned from the same pairs (:func:`learn_ratio_metric`;
    ``synthesized`` is not used).

    Parameters
    ----------
    images : ndarray of shape (n, 48, 40)
        Training images, grey levels in [0, 1].
    subjects, conditions : ndarray of shape (n,)
        Subject and light condition of each image.
    gallery_rows : sequence of int
        Images used as one-image galleries.
    synthesized : ndarray of shape (len(gallery_rows), k, 48, 40)
        The classifier's :meth:`synthesize` output for those images.
    resolution : (int, int)
    classifier_params : dict, optional
        Parameters of the classifier the metric is for.
    mirrored_conditions : ndarray of shape (n,), optional
        The condition of each image mirrored left to right: the learned
        relighting then learns from the mirrored faces too (the physical
        relighting ignores it).
    **metric_params
        Passed to :func:`learn_lighting_metric` (``n_clusters``, ``mix``, ``ridge``) or
        :func:`learn_ratio_metric` (also ``extra_weight``).

    Returns
    -------
    LightingMetric
    """
    from ..faces.frame import check_resolution, degrade
    from .classifiers import make_classifier
    from .physical import orthonormal_basis

    r, c = check_resolution(resolution)
    params = {k: v for k, v in (classifier_params or {}).items() if k not in ("resolution", "metric")}
    clf = make_classifier(resolution=(r, c), metric=None, **params)
    clf._setup_features((r, c))
    features = clf.feature_vectors(degrade(np.asarray(images, dtype=np.float64), (r, c)).reshape(len(images), -1))
    if clf.relighting == "learned":
        return learn_ratio_metric(features, subjects, conditions, list(gallery_rows), resolution=(r, c),
                                  mirrored_conditions=mirrored_conditions,
                                  **{k: v for k, v in metric_params.items()
                                     if k in ("n_clusters", "mix", "ridge", "extra_weight")})
    signals = {}
    for row, synth in zip(gallery_rows, synthesized):
        lr = degrade(np.asarray(synth, dtype=np.float64), (r, c)).reshape(len(synth), -1)
        signals[int(row)] = clf.feature_vectors(lr)
    return learn_lighting_metric(features, subjects, conditions, signals, lambda s: orthonormal_basis(s.T),
                                 resolution=(r, c), feature_name=clf.features, **metric_params)
