"""What both forms of SLRFR share: the feature map, the lighting metric and the scoring of probes.

:class:`SLRFRClassifier` is the common base of
:class:`~slrfr_gui.method.learned.LearnedRelightingClassifier` and
:class:`~slrfr_gui.method.physical.PhysicalRelightingClassifier`; it follows the estimator contract of
:mod:`slrfr_gui.method.base`. The log features of the learned relighting (:func:`log_features`) live
here too, since the generic metric (:mod:`slrfr_gui.method.generic`) is learned in them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from ..faces.facemodel import FaceModel, default_face_model
from ..faces.frame import format_resolution
from .base import BaseClassifier, check_probes

__all__ = ["SLRFRClassifier", "log_features", "grey_levels", "LOG_OFFSET"]


class SLRFRClassifier(BaseClassifier):
    """What both forms of SLRFR share (Shekhar, Patel, Chellappa, IJCB 2011): features, lighting metric, scoring.

    Both bring the gallery down to the probe: each gallery face is degraded to the probe
    resolution (equation 4) and relit, each person is represented in a feature space by a set
    of vectors (a K-SVD dictionary's span, or relit references), and ``residuals`` gives each
    probe's distance to every person's set after whitening by the metric of the probe's light
    cluster, T_c (:mod:`slrfr_gui.method.metric`; the identity without a learned metric), for
    every person with one stacked matrix product (section 3.3). How the gallery is relit and what
    the sets are is each subclass's own:

    * :class:`~slrfr_gui.method.learned.LearnedRelightingClassifier` (the default of the
      application): the relighting learned from training faces, nearest relit reference;
    * :class:`~slrfr_gui.method.physical.PhysicalRelightingClassifier` (the paper's): nine
      Lambertian relit images per gallery face and a K-SVD dictionary per person, nearest subspace.

    This class is not used on its own (constructing it raises ``TypeError``);
    :func:`~slrfr_gui.method.classifiers.make_classifier` picks a subclass by name.

    Parameters
    ----------
    resolution : (int, int)
        Probe size, rows x columns, from 5x4 to 48x40.
    features : {"log", "sqrt", "pca"}
        ``"log"``: log(x + 0.005) of each low-resolution grey level x (the
        learned relighting needs it: a change of light is a sum there);
        ``"sqrt"``: the square root of each low-resolution grey level (a
        variance-stabilising map that weighs the shadowed half of a side-lit
        face as much as the lit half); ``"pca"``: the paper's W^T (x - mu)
        with the face model's low-resolution PCA.
    metric : "learned", None or LightingMetric
        ``"learned"``: the illumination-specific whitening shipped for this
        resolution and feature map, or none if none ships
        (:func:`slrfr_gui.method.lighting_resources.shipped_metric`); None: no
        whitening; or a metric learned by
        :func:`slrfr_gui.method.lighting.learn_lighting_metric`.
    normalize : bool
        Divide residuals by ||T y|| (scale-free, in [0, 1]); the ranking is the same.
    face_model : FaceModel or None
        Mean surface normals, mean shading images and face PCA; the shipped
        model by default.

    Attributes
    ----------
    classes_ : ndarray of shape (n_persons,)
        Person labels, sorted.
    requested_resolution_ : (int, int)
        ``resolution`` as asked for.
    resolution_ : (int, int)
        The size the model works at: ``requested_resolution_``, or with ``metric="learned"`` and no
        metric shipped for it, the nearest size that has one
        (:func:`~slrfr_gui.method.lighting_resources.serving_resolution`); probes are brought to it.
    pca_mean_ : ndarray of shape (r * c,)
    pca_basis_ : ndarray of shape (r * c, p)
        Features are (phi(x) - pca_mean_) @ pca_basis_, phi the log, the square root
        or the identity.
    metric_ : LightingMetric
    dictionaries_ : list of ndarray of shape (p, K_i)
    bases_ : ndarray of shape (p, sum of widths)
        Each person's vectors side by side, in the unwhitened feature space.
        Their whitened forms that scoring uses are derived from them per light
        cluster c when a probe of that cluster first comes
        (:meth:`cluster_bases`), and kept while they fit in
        :data:`CLUSTER_CACHE_MB` (always at least one cluster).
    basis_offsets_ : ndarray of shape (n_persons + 1,), int
        Person i's vectors are ``bases_[:, basis_offsets_[i]:basis_offsets_[i + 1]]``.
    regime_ : str
        ``"nearest-reference"``, ``"nearest-subspace"`` or ``"sparse"`` (see the subclasses).
    """

    mode = "slrfr"
    #: ``"learned"`` or ``"physical"``: which relighting (and so which subclass); kept in model files.
    relighting: str = ""
    #: Whether ``residuals`` takes ``noise`` above 0.
    _scores_noise = False

    def __new__(cls, *args, **kwargs):
        if cls is SLRFRClassifier:
            raise TypeError("SLRFRClassifier is the part both forms of SLRFR share: make a LearnedRelightingClassifier"
                            " or a PhysicalRelightingClassifier, or make_classifier(relighting=...)")
        return super().__new__(cls)

    def __init__(self, resolution=(7, 6), features: str = "log", metric="learned", normalize: bool = True,
                 face_model: FaceModel | None = None):
        self.resolution = resolution
        self.features = features
        self.metric = metric
        self.normalize = normalize
        self.face_model = face_model

    def _components(self):
        """PCA components of ``features="pca"`` (None: 99.9 % of the variance); the physical relighting's."""
        return None

    def _begin_fit(self, faces, labels):
        """The steps every form of fit begins with: checked input, the size served, features, metric.

        Returns the checked faces (n, 48, 40) and labels (n,)."""
        faces, labels = self._checked_fit_input(faces, labels)
        self._check_parameters()
        self._serve_resolution()
        self._setup_features(tuple(self.resolution_))
        self.metric_, self.metric_source_ = self._resolve_metric(self.pca_basis_.shape[1])
        return faces, labels

    def _check_parameters(self) -> None:
        """Refuse parameters out of range (a ValueError naming them); each subclass checks its own."""

    # ------------------------------------------------------------ features
    def _setup_features(self, resolution) -> None:
        """Set ``pca_mean_``, ``pca_basis_`` and ``gamma_`` (0: the log) for the feature map."""
        r, c = resolution
        if self.features == "log":
            self.pca_mean_, self.pca_basis_, self.gamma_ = np.zeros(r * c), np.eye(r * c), 0.0
        elif self.features == "pca":
            model = self.face_model or default_face_model()
            self.pca_mean_, self.pca_basis_, _ = model.lr_pca((r, c), self._components())
            self.gamma_ = 1.0
        elif self.features == "sqrt":
            self.pca_mean_, self.pca_basis_, self.gamma_ = np.zeros(r * c), np.eye(r * c), 0.5
        else:
            raise ValueError(f"features must be 'log', 'sqrt' or 'pca', got {self.features!r}")

    def feature_vectors(self, vectors: np.ndarray) -> np.ndarray:
        """Features of low-resolution vectors of shape (n, r * c): (phi(x) - mu) @ W, shape (n, p)."""
        vectors = np.asarray(vectors, dtype=np.float64)
        if self.gamma_ == 0.0:
            vectors = log_features(vectors)
        elif self.gamma_ != 1.0:
            vectors = np.maximum(vectors, 0.0) ** self.gamma_
        return (vectors - self.pca_mean_) @ self.pca_basis_

    def _serve_resolution(self) -> None:
        """Set ``requested_resolution_`` and, when no metric ships for it, serve from the nearest size that has one.

        With ``metric="learned"`` a size without a shipped metric would lose the learned
        relighting's scoring (rank-1 50.7 % instead of 99.7 % for 20x20 probes of 38 Yale B
        persons); such a model is trained and scored at
        :func:`~slrfr_gui.method.lighting_resources.serving_resolution` instead (``resolution_``), and
        probes are resized to it. :meth:`describe` says so.
        """
        self.requested_resolution_ = tuple(self.resolution_)
        if self.metric != "learned" or self.features not in ("sqrt", "log") or self._components() is not None:
            return
        from .lighting_resources import serving_resolution

        self.resolution_ = serving_resolution(self.resolution_, self.features)

    def _resolve_metric(self, p: int):
        from .metric import LightingMetric

        if isinstance(self.metric, LightingMetric):
            metric = self.metric
            if metric.transforms.shape[1:] != (p, p) or metric.features != self.features:
                raise ValueError(f"metric was learned for {metric.features} features of size"
                                 f" {metric.transforms.shape[1]}, not {self.features} of size {p}")
            return metric, "given"
        if self.metric is None:
            return LightingMetric.identity(self.resolution_, self.features, p), "none"
        if self.metric == "learned":
            from .lighting_resources import shipped_metric

            if self.features not in ("sqrt", "log") or self._components() is not None:
                return (LightingMetric.identity(self.resolution_, self.features, p),
                        "none (metrics ship for the log and square-root features only)")
            metric = shipped_metric(self.resolution_, self.features)
            if metric is not None and metric.transforms.shape[1:] == (p, p):
                return metric, "learned"
            return LightingMetric.identity(self.resolution_, self.features, p), "none (none ships for this size)"
        raise ValueError(f"metric must be 'learned', None or a LightingMetric, got {self.metric!r}")


    # --------------------------------------------------------- identify
    def residuals(self, probes, noise: float = 0.0) -> np.ndarray:
        """Residual of each probe against each person's dictionary (section 3.3).

        r_i(y)^2 = ||z||^2 - ||Q_i^T z||^2 with z = T_c y, y the features of the
        probe and T_c the whitening of its light cluster, computed for all
        persons with one product against the stacked bases of that cluster.

        Parameters
        ----------
        probes : ndarray of shape (n_probes, r, c) or (r, c)
            Low-resolution probes at the model's resolution, grey levels.
        noise : float
            Standard deviation of additive noise on the probes' grey levels
            (units of the [0, 1] range, e.g. 0.02 for about 5 of 255 levels);
            learned relighting only. 0 (the default) scores as above; above 0,
            each probe is scored with
            :meth:`~slrfr_gui.method.learned.LearnedRelightingClassifier._noise_aware_residuals`, about
            n_references x p^2 operations per probe instead of one shared product
            (1,000 persons: about 3 ms a probe at 7x6, 35 ms at 19x16).

        Returns
        -------
        ndarray of shape (n_probes, n_persons), float64
            ||(I - P_i) z||, divided by ||z|| when ``normalize`` (then in [0, 1] when every person's span has
            the same dimension). The physical relighting's residuals are weighted by the dimensions each
            person's span leaves free (:meth:`~slrfr_gui.method.physical.PhysicalRelightingClassifier._span_weights`), so a wider span does not win by its width.

        Raises
        ------
        ValueError
            ``noise`` is negative or not finite, or above 0 with the physical relighting.
        """
        self._check_fitted()
        noise = float(noise)
        if not np.isfinite(noise) or noise < 0:
            raise ValueError(f"noise must be a standard deviation >= 0, not {noise}")
        if noise > 0 and not self._scores_noise:
            raise ValueError("noise-aware scoring needs the learned relighting (relighting='learned')")
        grey = check_probes(probes, self.resolution_)
        y = self.feature_vectors(grey)
        clusters = self.metric_.assign(y)
        out = np.empty((len(y), len(self.classes_)))
        for cluster in np.unique(clusters):
            rows = np.flatnonzero(clusters == cluster)
            out[rows] = self._score_cluster(y[rows], grey[rows], cluster, noise)
        return out

    def _score_cluster(self, y: np.ndarray, grey: np.ndarray, cluster: int, noise: float) -> np.ndarray:
        """Residuals of probes whose features ``y`` (n, p) fall in light ``cluster``, shape (n, n_persons).

        ``grey`` holds their grey levels (n, r, c); ``noise`` is as for :meth:`residuals`."""
        raise NotImplementedError

    def cluster_bases(self, cluster: int) -> np.ndarray:
        """Orthonormal bases of span(T_c Q_i) for every person, stacked: shape (p, sum of ranks).

        Derived on first use (one product T_c Q and a QR per person, batched)
        and cached; float32 when the cluster's bases would exceed
        :data:`FLOAT32_ABOVE_MB` in float64.
        """
        with _CACHE_LOCK:
            return self._cluster_bases(cluster)

    def _cluster_bases(self, cluster: int) -> np.ndarray:
        cache = self.__dict__.setdefault("_cluster_cache", OrderedDict())
        if cluster in cache:
            cache.move_to_end(cluster)
            return cache[cluster]
        transform = self.metric_.transforms[cluster]
        dtype = np.float32 if self.bases_.size * 8 > FLOAT32_ABOVE_MB * 1e6 else np.float64
        out = np.empty(self.bases_.shape, dtype=dtype)
        self._whiten_bases(transform, out)
        norms = self.__dict__.setdefault("_norm_cache", {})
        while cache and sum(v.nbytes for v in cache.values()) + out.nbytes > CLUSTER_CACHE_MB * 1e6:
            norms.pop(cache.popitem(last=False)[0], None)
        cache[cluster] = out
        self._after_whitening(cluster, out, norms)
        return out


    def _whiten_bases(self, transform: np.ndarray, out: np.ndarray) -> None:
        """Fill ``out`` (p, sum of widths) with the bases whitened by ``transform`` (T_c)."""
        raise NotImplementedError

    def _after_whitening(self, cluster: int, whitened: np.ndarray, norms: dict) -> None:
        """What a subclass keeps beside a cluster's whitened bases (in ``norms``, by cluster); nothing here."""

    def _describe_features(self, feats: str) -> str:
        return feats

    def describe(self) -> str:
        """One line: resolution, persons, features, metric, regime."""
        self._check_fitted()
        kind = {"pca": "PCA", "sqrt": "square-root", "log": "log"}.get(self.features, str(self.features))
        feats = f"{self.pca_basis_.shape[1]} {kind} features"
        feats = self._describe_features(feats)
        framing = getattr(self, "framing_", None)
        if self.metric_source_.startswith("none"):
            reason = self.metric_source_[len("none"):].strip(" ()")
            metric = "no lighting metric" + (f" ({reason})" if reason else "")
        elif self.metric_source_.startswith("generic"):
            reason = self.metric_source_.partition("none")[2].strip(" ()")
            metric = ("framing-free generic metric" + (f" missing ({reason})" if reason else "")
                      + (f" ({framing.describe()})" if framing is not None else ""))
        else:
            metric = f"{len(self.metric_.templates)} light clusters"
        return (f"SLRFR {format_resolution(self.resolution_)}: {len(self.classes_)} persons,"
                f" {feats}, {metric}, {self.regime_} regime" + self.serving_note())

    def serving_note(self) -> str:
        """"" or, for a model asked for at a size with no shipped lighting metric, a clause saying at which
        size it is served (``requested_resolution_`` and ``resolution_``)."""
        asked = tuple(getattr(self, "requested_resolution_", self.resolution_))
        if asked == tuple(self.resolution_):
            return ""
        return (f" (asked for {format_resolution(asked)}, which has no shipped lighting metric: served at the"
                f" nearest size that has one, {format_resolution(self.resolution_)}; probes are resized to it)")

    @property
    def framing_regime(self) -> str:
        """``"crop"`` when the generic metric scores (a gallery framed otherwise), else ``"canonical"``."""
        self._check_fitted()
        return "crop" if str(getattr(self, "metric_source_", "")).startswith("generic") else "canonical"



def _compact(bases: np.ndarray) -> np.ndarray:
    """Float32 for bases beyond :data:`FLOAT32_ABOVE_MB` (scoring re-orthonormalises per cluster in float64)."""
    return bases.astype(np.float32) if bases.nbytes > FLOAT32_ABOVE_MB * 1e6 else bases


#: Added to grey levels (in [0, 1]) before the log of ``features="log"``.
LOG_OFFSET = 0.005


def log_features(x) -> np.ndarray:
    """The learned relighting's features of grey levels ``x`` (any shape): log(max(x, 0) + LOG_OFFSET)."""
    return np.log(np.maximum(np.asarray(x, dtype=np.float64), 0.0) + LOG_OFFSET)


def grey_levels(features) -> np.ndarray:
    """Grey levels back from log features (the inverse of :func:`log_features`, floored at 0)."""
    return np.maximum(np.exp(features) - LOG_OFFSET, 0.0)


#: Probes scored at a time in :meth:`SLRFRClassifier.residuals` (bounds the temporaries).
_CHUNK = 1024
_CACHE_LOCK = threading.Lock()
#: Memory for the per-light-cluster bases kept at once (at least one cluster is always kept).
CLUSTER_CACHE_MB = 400
#: Bases larger than this in float64 are kept in float32 (100,000 persons at 7x6: 168 MB instead of 336).
FLOAT32_ABOVE_MB = 128
