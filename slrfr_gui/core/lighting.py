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

from dataclasses import dataclass

import numpy as np

__all__ = ["LightingMetric", "learn_lighting_metric", "whitening"]


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


def learn_ratio_metric(features, subjects, conditions, gallery_rows, n_clusters: int = 16, mix: float = 0.8,
                       ridge: float = 0.003, resolution=(0, 0), random_state: int = 0) -> LightingMetric:
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
    image a is then relit to cluster c as a + mu_c, and a probe y of that
    cluster is scored by ||C_c^(-1/2) (y - a - mu_c)||.

    Parameters
    ----------
    features : ndarray of shape (n, p)
        Log features (:meth:`SLRFRClassifier.feature_vectors` with ``features="log"``)
        of every training image at the probe resolution.
    subjects, conditions : ndarray of shape (n,)
        Subject and light condition of each image.
    gallery_rows : sequence of int
        Images taken as gallery images (lit like a gallery: S1-S2 on Yale B).
    n_clusters : int
        Light clusters (at most the number of conditions).
    mix : float
        Weight of a cluster's own covariance against the pooled one.
    ridge : float
        Added to each covariance as a fraction of its mean eigenvalue.

    Returns
    -------
    LightingMetric
        With ``means`` and ``centred=True``, ``features="log"``.

    Raises
    ------
    ValueError
        No gallery row with another image of its subject.
    """
    features = np.asarray(features, dtype=np.float64)
    subjects = np.asarray(subjects)
    conditions = np.asarray(conditions)
    centred = features - features.mean(axis=1, keepdims=True)
    unit = centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)
    labels, cond_index = np.unique(conditions, return_inverse=True)
    centres, _ = _light_clusters(_condition_templates(unit, cond_index, range(len(labels))), n_clusters,
                                 random_state)
    cluster = np.argmax(unit @ centres.T, axis=1)  # each image as a probe is assigned
    pairs = [(g, q) for g in gallery_rows for q in np.flatnonzero(subjects == subjects[g]) if q != g]
    if not pairs:
        raise ValueError("learn_ratio_metric needs a gallery row with another image of the same subject")
    g_rows, q_rows = np.array(pairs).T
    diffs = features[q_rows] - features[g_rows]
    p = features.shape[1]
    pooled_mean = diffs.mean(axis=0)
    means = np.stack([diffs[cluster[q_rows] == c].mean(axis=0) if np.any(cluster[q_rows] == c) else pooled_mean
                      for c in range(len(centres))])
    missed = diffs - means[cluster[q_rows]]
    pooled = missed.T @ missed / len(missed)
    transforms = []
    for c in range(len(centres)):
        own = missed[cluster[q_rows] == c]
        cov = mix * (own.T @ own / len(own)) + (1 - mix) * pooled if len(own) > p else pooled
        transforms.append(whitening(cov, ridge))
    return LightingMetric(tuple(resolution), "log", centres, np.stack(transforms), means, True)


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
                         classifier_params=None, **metric_params) -> LightingMetric:
    """Learn the metric of an :class:`~slrfr_gui.core.classifier.SLRFRClassifier` from training subjects.

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
    **metric_params
        Passed to :func:`learn_lighting_metric` (``n_clusters``, ``mix``, ``ridge``).

    Returns
    -------
    LightingMetric
    """
    from .classifier import SLRFRClassifier, orthonormal_basis
    from .frame import check_resolution, degrade

    r, c = check_resolution(resolution)
    params = {k: v for k, v in (classifier_params or {}).items() if k not in ("resolution", "metric")}
    clf = SLRFRClassifier(resolution=(r, c), metric=None, **params)
    clf._setup_features((r, c))
    features = clf.feature_vectors(degrade(np.asarray(images, dtype=np.float64), (r, c)).reshape(len(images), -1))
    if clf.relighting == "learned":
        return learn_ratio_metric(features, subjects, conditions, list(gallery_rows), resolution=(r, c),
                                  **{k: v for k, v in metric_params.items() if k in ("n_clusters", "mix", "ridge")})
    signals = {}
    for row, synth in zip(gallery_rows, synthesized):
        lr = degrade(np.asarray(synth, dtype=np.float64), (r, c)).reshape(len(synth), -1)
        signals[int(row)] = clf.feature_vectors(lr)
    return learn_lighting_metric(features, subjects, conditions, signals, lambda s: orthonormal_basis(s.T),
                                 resolution=(r, c), feature_name=clf.features, **metric_params)
