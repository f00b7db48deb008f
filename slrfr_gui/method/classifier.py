"""The SLRFR classifier and the LR-PCA baseline, with the scikit-learn contract.

``__init__`` only stores parameters, ``fit`` validates and returns ``self``,
learned state ends in ``_``; ``residuals``, ``rank`` and ``predict`` check the
estimator is fitted.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..errors import Cancelled, ProbeError
from ..faces.facemodel import FaceModel, default_face_model
from ..faces.frame import FRAME_SHAPE, check_resolution, degrade, format_resolution, prepare_probe
from .ksvd import ksvd
from .relight import points_of_light, relight_batch

__all__ = ["SLRFRClassifier", "LRPCANearestNeighbour", "NotFittedError"]


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
            " degrade larger images with slrfr_gui.core.frame.degrade first"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} hold NaN or infinite values")
    return arr.reshape(len(arr), r * c)


def _check_labels(labels, n: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != n:
        raise ValueError(f"labels must have shape ({n},), one per face, got {labels.shape}")
    return labels


def shift_faces(faces: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Faces moved by (dx, dy) pixels (right, down), |dx|, |dy| <= 1, by linear interpolation.

    Parameters
    ----------
    faces : ndarray of shape (n, rows, columns), float64
    dx, dy : float
        Shifts in pixels; edges repeat their border pixels.

    Returns
    -------
    ndarray of the same shape (``faces`` itself when both are 0)
    """
    out = faces
    for axis, d in ((2, float(dx)), (1, float(dy))):
        if d == 0.0:
            continue
        if abs(d) > 1.0:
            raise ValueError(f"shift_faces moves by at most one pixel, got {d}")
        n = out.shape[axis]
        source = np.clip(np.arange(n) - int(np.sign(d)), 0, n - 1)  # the neighbour the content comes from
        out = (1.0 - abs(d)) * out + abs(d) * np.take(out, source, axis=axis)
    return out


def orthonormal_basis(matrix: np.ndarray, rtol: float = 1e-6) -> np.ndarray:
    """Orthonormal basis Q of span(matrix) by SVD with a relative rank tolerance.

    Parameters
    ----------
    matrix : ndarray of shape (d, k)
    rtol : float
        Singular values below rtol * the largest are dropped.

    Returns
    -------
    ndarray of shape (d, rank)
    """
    u, s, _ = np.linalg.svd(matrix, full_matrices=False)
    if s.size == 0 or s[0] <= 0:
        return np.zeros((matrix.shape[0], 0))
    return u[:, s > rtol * s[0]]


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


class _Base:
    def _checked_fit_input(self, faces, labels) -> tuple[np.ndarray, np.ndarray]:
        """Validate ``resolution`` (set ``resolution_``), the faces (n, 48, 40) and their labels (n,)."""
        self.resolution_ = check_resolution(self.resolution)
        faces = check_faces(faces)
        return faces, _check_labels(labels, len(faces))

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
        :func:`~slrfr_gui.core.frame.prepare_probe`. ``noise`` (above 0) is passed to
        :meth:`SLRFRClassifier.residuals`; only that classifier takes it.

        Returns
        -------
        ranked : list of (str, float)
            The ``top`` persons with their residuals, best first.
        ratio : float
            Smallest residual over the second smallest (:func:`~slrfr_gui.core.openset.margin_ratio`);
            the open-set score, "unknown" above a threshold.

        Raises
        ------
        ProbeError
            The image is too small, blank or not finite (:func:`~slrfr_gui.core.frame.probe_problem`).
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


class SLRFRClassifier(_Base):
    """Synthesis-based low-resolution face recognition (Shekhar, Patel, Chellappa, IJCB 2011).

    ``fit`` relights each high-resolution gallery face under the nine points of
    light (section 3.1), degrades the input and its relit copies to the probe
    resolution (equation 4), maps them to features, learns one K-SVD
    dictionary per person (section 3.2) and keeps an orthonormal basis Q_i of
    each dictionary's span. ``residuals`` gives r_i(y) = ||(I - Q_i Q_i^T) T y||
    for every person with one stacked matrix product (section 3.3), where T is
    the whitening of the probe's light cluster (:mod:`slrfr_gui.core.lighting`;
    the identity without a learned metric).

    Parameters
    ----------
    resolution : (int, int)
        Probe size, rows x columns, from 5x4 to 48x40.
    n_atoms : int or None
        K, atoms per person (K_i = min(K, the rank of person i's signals)).
        None: max(10, p // 2) for p features. One gallery image gives 10
        signals, so K_i = 10 either way; with several images per person a
        larger K measured far better than 10 (``scripts/compare_modes.py``:
        three images per person at 12x10, 65 % with K = 10, 81 % with 30).
    sparsity : int
        T0, non-zero coefficients per signal in K-SVD.
    n_iter : int
        K-SVD iterations.
    n_components : int or None
        PCA features p (``features="pca"`` only); None keeps 99.9 % of the
        training variance.
    include_input : bool
        Add each gallery image itself to its person's synthesised signals. On
        ``yaleb-lr-v1`` rank-1 moves by at most 0.4 points without it, but the
        open-set FNIR at FPIR 0.1 (probes under S1-S3) is 1 to 2 points better
        with it, so it stays on.
    normalize : bool
        Divide residuals by ||T y|| (scale-free, in [0, 1]); the ranking is the same.
    face_model : FaceModel or None
        Mean surface normals, mean shading images and face PCA; the shipped
        model by default.
    random_state : int or None
        Seed of K-SVD's atom order.
    relighting : {"learned", "physical"}
        ``"learned"`` (the default): each gallery image is relit to the probe's
        kind of light by the mean log ratio the training subjects show between
        that light and a gallery light, and scored by the Bayesian
        intra/extra-personal distance to it, ||T_c d|| with T_c T_c = C_c^-1 - beta E_c^-1
        (:func:`slrfr_gui.core.lighting.learn_ratio_metric`; the quotient
        image, learned): each person's dictionary is their gallery images, in
        the log domain. ``"physical"``: the paper's synthesis, nine Lambertian
        relit images per gallery image and a K-SVD dictionary of them.
    alignment_shift : float
        The learned relighting's alignment search, in pixels of the 48 x 40
        frame, in [0, 1]: each gallery image is also enrolled moved by +- this
        much across and down, and a probe is compared with the nearest of the
        five (0: the image alone). On ``yaleb-lr-v1`` 0.5 leaves rank-1 as it
        is (71.2 -> 71.1 at 7x6, 82.6 -> 82.7 at 12x10) and, for probes 2
        pixels too low, lifts it from 53.9 to 59.0 at 7x6 and from 51.3 to
        63.5 at 12x10; it costs five times the references.
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
        (:func:`slrfr_gui.core.lighting_resources.shipped_metric`); None: no
        whitening; or a metric learned by
        :func:`slrfr_gui.core.lighting.learn_lighting_metric`.
    learned_shading : bool
        Relight with the face model's mean shading images (cast shadows)
        instead of the plain Lambertian rendering.
    framing : {"auto", "canonical", "crop"}
        The learned relighting's statistics are per pixel of the canonical
        frame. ``"auto"`` (the default) estimates from the gallery how its
        faces are framed (:func:`slrfr_gui.core.framing.estimate_framing`):
        framed like the canonical frame, the learned relighting scores them;
        framed otherwise (crops holding the whole head, as most face sets
        are cut), the framing-free generic metric does
        (:mod:`slrfr_gui.core.generic`), each gallery image enrolled under
        the :data:`CROP_MOVES` (shifts and scalings) and the probe compared
        with the nearest. ``"canonical"`` and ``"crop"`` force one.
    generic_metric : "learned", LightingMetric or callable
        The metric of the ``"crop"`` regime: the shipped one for the
        resolution (:func:`slrfr_gui.core.generic.shipped_generic_metric`),
        one composed by :func:`slrfr_gui.core.generic.compose_generic_metric`,
        or a function of no argument returning one (called only when a
        gallery needs it; the benchmark derives its own that way).
    unrelit_hypothesis : bool
        The learned relighting compares the probe with each gallery image
        relit to the probe's light cluster *and* with the image as it is, and
        keeps the nearer: the cluster is chosen from the probe alone, and a
        probe lit like its gallery image but unlike the training faces (another
        camera, another face set) was otherwise relit to a light it was never
        under. On ``yaleb-lr-v1``'s folds (fast version) rank-1 is unchanged
        (69.1 -> 69.2 at 7x6, 80.7 -> 80.8 at 12x10); on IMM faces (pose and
        expression, learned relighting of all 38 Yale B subjects) it rises from
        21.5 to 36.0 % at 7x6. It doubles the scoring work.

    Attributes
    ----------
    classes_ : ndarray of shape (n_persons,)
        Person labels, sorted.
    requested_resolution_ : (int, int)
        ``resolution`` as asked for.
    resolution_ : (int, int)
        The size the model works at: ``requested_resolution_``, or with ``metric="learned"`` and no
        metric shipped for it, the nearest size that has one
        (:func:`~slrfr_gui.core.lighting_resources.serving_resolution`); probes are brought to it.
    pca_mean_ : ndarray of shape (r * c,)
    pca_basis_ : ndarray of shape (r * c, p)
        Features are (phi(x) - pca_mean_) @ pca_basis_, phi the square root
        or the identity.
    metric_ : LightingMetric
    dictionaries_ : list of ndarray of shape (p, K_i)
    bases_ : ndarray of shape (p, sum of ranks)
        The stacked orthonormal bases Q_i of span(D_i), in the unwhitened
        feature space. The bases of span(T_c Q_i) that scoring uses are derived
        from them per light cluster c when a probe of that cluster first comes
        (:meth:`cluster_bases`), and kept while they fit in
        :data:`CLUSTER_CACHE_MB` (always at least one cluster).
    basis_offsets_ : ndarray of shape (n_persons + 1,), int
        Q_i is ``bases_[:, basis_offsets_[i]:basis_offsets_[i + 1]]``.
    regime_ : str
        ``"nearest-subspace"`` when every person has K_i >= the rank of their
        signals (K-SVD then leaves the span unchanged), else ``"sparse"``;
        ``"nearest-reference"`` for the learned relighting.
    framing_ : Framing
        How the gallery's faces are framed (learned relighting only); its
        ``regime`` (``"canonical"`` or ``"crop"``) says which metric scores.

    Examples
    --------
    >>> clf = SLRFRClassifier(resolution=(7, 6)).fit(faces, labels)   # doctest: +SKIP
    >>> clf.predict(degrade(probe_faces, (7, 6)))                      # doctest: +SKIP
    """

    mode = "slrfr"

    def __init__(self, resolution=(7, 6), n_atoms: int | None = None, sparsity: int = 3, n_iter: int = 10,
                 n_components: int | None = None, include_input: bool = True, normalize: bool = True,
                 face_model: FaceModel | None = None, random_state: int | None = 0,
                 features: str = "log", metric="learned", learned_shading: bool = True,
                 relighting: str = "learned", alignment_shift: float = 0.5, framing: str = "auto",
                 generic_metric="learned", unrelit_hypothesis: bool = True):
        self.resolution = resolution
        self.n_atoms = n_atoms
        self.sparsity = sparsity
        self.n_iter = n_iter
        self.n_components = n_components
        self.include_input = include_input
        self.normalize = normalize
        self.face_model = face_model
        self.random_state = random_state
        self.features = features
        self.metric = metric
        self.alignment_shift = alignment_shift
        self.learned_shading = learned_shading
        self.relighting = relighting
        self.framing = framing
        self.generic_metric = generic_metric
        self.unrelit_hypothesis = unrelit_hypothesis

    # ----------------------------------------------------------- synthesis
    def synthesize(self, faces, progress=None, should_stop=None) -> np.ndarray:
        """The HR signals of each gallery face: itself (if ``include_input``) and its relit copies.

        Faces are relit in chunks of :data:`RELIGHT_CHUNK`
        (:func:`~slrfr_gui.core.relight.relight_batch`), the chunks spread over the
        machine's cores by a thread pool (the batched arithmetic releases the GIL).

        Parameters
        ----------
        faces : ndarray of shape (n, 48, 40)
            Grey levels in [0, 1].
        progress : callable(done, total), optional
            Faces relit so far; called from the calling thread.
        should_stop : callable() -> bool, optional
            Polled between chunks; True raises :class:`Cancelled`.

        Returns
        -------
        ndarray of shape (n, 10, 48, 40), the input first (or (n, 9, 48, 40) without it)
        """
        faces = check_faces(faces)
        out = None
        for lo, part in self._relit_chunks(faces, progress, should_stop):
            if out is None:
                out = np.empty((len(faces), part.shape[1], *FRAME_SHAPE))
            out[lo:lo + len(part)] = part
        return out

    def _relit_chunks(self, faces, progress=None, should_stop=None, resolution=None):
        """(start, signals) for each chunk of ``faces``, in order: shape (m, k, 48, 40), or
        (m, k, r * c) degraded to ``resolution`` when given. The chunks are relit (and degraded)
        on a thread pool, one thread per core and two chunks ahead per thread at most; BLAS
        keeps to one thread meanwhile, so that its threads do not compete with the pool."""
        from threadpoolctl import threadpool_limits

        model = self.face_model or default_face_model()
        lights = points_of_light()

        def one(chunk):
            _, _, relit = relight_batch(chunk, model, lights, learned_shading=self.learned_shading)
            signals = np.concatenate([chunk[:, None], relit], axis=1) if self.include_input else relit
            if resolution is None:
                return signals
            m, k = signals.shape[:2]
            return degrade(signals.reshape(-1, *FRAME_SHAPE), resolution).reshape(m, k, -1)

        starts = list(range(0, len(faces), RELIGHT_CHUNK))
        workers = min(len(starts), RELIGHT_WORKERS or os.cpu_count() or 1)
        if workers <= 1:
            for lo in starts:
                if should_stop is not None and should_stop():
                    raise Cancelled("training was cancelled")
                yield lo, one(faces[lo:lo + RELIGHT_CHUNK])
                if progress is not None:
                    progress(min(lo + RELIGHT_CHUNK, len(faces)), len(faces))
            return
        with threadpool_limits(1), ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slrfr-relight") as pool:
            pending = deque()
            queue = iter(starts)
            try:
                for lo in itertools.islice(queue, 2 * workers):
                    pending.append((lo, pool.submit(one, faces[lo:lo + RELIGHT_CHUNK])))
                while pending:
                    if should_stop is not None and should_stop():
                        raise Cancelled("training was cancelled")
                    lo, future = pending.popleft()
                    part = future.result()
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending.append((nxt, pool.submit(one, faces[nxt:nxt + RELIGHT_CHUNK])))
                    yield lo, part
                    if progress is not None:
                        progress(min(lo + RELIGHT_CHUNK, len(faces)), len(faces))
            finally:
                for _, future in pending:
                    future.cancel()

    # ------------------------------------------------------------ features
    def _setup_features(self, resolution) -> None:
        """Set ``pca_mean_``, ``pca_basis_`` and ``gamma_`` (0: the log) for the feature map."""
        r, c = resolution
        if self.relighting not in ("learned", "physical"):
            raise ValueError(f"relighting must be 'learned' or 'physical', got {self.relighting!r}")
        if self.relighting == "learned" and self.features != "log":
            raise ValueError(f"the learned relighting works on log features, not {self.features!r}")
        if self.features == "log":
            self.pca_mean_, self.pca_basis_, self.gamma_ = np.zeros(r * c), np.eye(r * c), 0.0
        elif self.features == "pca":
            model = self.face_model or default_face_model()
            self.pca_mean_, self.pca_basis_, _ = model.lr_pca((r, c), self.n_components)
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
        :func:`~slrfr_gui.core.lighting_resources.serving_resolution` instead (``resolution_``), and
        probes are resized to it. :meth:`describe` says so.
        """
        self.requested_resolution_ = tuple(self.resolution_)
        if self.metric != "learned" or self.features not in ("sqrt", "log") or self.n_components is not None:
            return
        from .lighting_resources import serving_resolution

        self.resolution_ = serving_resolution(self.resolution_, self.features)

    def _resolve_metric(self, p: int):
        from .lighting import LightingMetric

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

            if self.features not in ("sqrt", "log") or self.n_components is not None:
                return (LightingMetric.identity(self.resolution_, self.features, p),
                        "none (metrics ship for the log and square-root features only)")
            metric = shipped_metric(self.resolution_, self.features)
            if metric is not None and metric.transforms.shape[1:] == (p, p):
                return metric, "learned"
            return LightingMetric.identity(self.resolution_, self.features, p), "none (none ships for this size)"
        raise ValueError(f"metric must be 'learned', None or a LightingMetric, got {self.metric!r}")

    def _resolve_generic_metric(self, p: int):
        """The ``"crop"`` regime's metric and where it came from (see ``generic_metric``)."""
        from .generic import shipped_generic_metric
        from .lighting import LightingMetric

        given = self.generic_metric() if callable(self.generic_metric) else self.generic_metric
        if isinstance(given, LightingMetric):
            if given.transforms.shape[1:] != (p, p):
                raise ValueError(f"generic_metric has size {given.transforms.shape[1]}, not {p}")
            return given, "generic (given)"
        if given is None:
            return LightingMetric.identity(self.resolution_, "log", p), "generic: none (none was given)"
        if given != "learned":
            raise ValueError(f"generic_metric must be 'learned', a LightingMetric or a callable returning one,"
                             f" got {given!r}")
        metric = shipped_generic_metric(self.resolution_)
        if metric is None:
            return LightingMetric.identity(self.resolution_, "log", p), "generic: none (none ships for this size)"
        return metric, "generic"

    # ---------------------------------------------------------------- fit
    def fit(self, faces, labels, synthesized=None, progress=None, should_stop=None) -> "SLRFRClassifier":
        """Enroll a gallery: relight, degrade, learn one dictionary per person.

        Parameters
        ----------
        faces : ndarray of shape (n, 48, 40)
            High-resolution gallery faces in the canonical frame, grey levels in [0, 1].
        labels : array-like of shape (n,)
            Person of each face.
        synthesized : ndarray of shape (n, k, 48, 40), optional
            Output of :meth:`synthesize` for ``faces``, to skip relighting
            (it does not depend on the resolution).
        progress : callable(done, total, stage), optional
            Called as work proceeds, stage after stage: the physical relighting reports
            ``"relight"`` (faces relit) then ``"train"`` (persons whose dictionary is learned, each
            one as it is done); the learned relighting ``"enroll"`` (gallery images).
        should_stop : callable() -> bool, optional
            Polled between steps; True raises :class:`Cancelled`.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Bad shapes, non-finite values, a bad resolution, or a metric
            learned for another feature space.
        Cancelled
            ``should_stop`` returned True.
        """
        faces, labels = self._checked_fit_input(faces, labels)
        if not 0.0 <= float(self.alignment_shift) <= 1.0:
            raise ValueError(f"alignment_shift must be in [0, 1] pixels, got {self.alignment_shift}")
        if (self.n_atoms is not None and int(self.n_atoms) < 1) or int(self.sparsity) < 1 or int(self.n_iter) < 0:
            raise ValueError("n_atoms and sparsity must be >= 1 and n_iter >= 0")
        self._serve_resolution()
        r, c = self.resolution_
        self._setup_features((r, c))
        p = self.pca_basis_.shape[1]
        from .params import atoms_cap

        # At most max(10, p // 2) atoms: a span covering most of the feature space explains any probe.
        self.n_atoms_ = min(int(self.n_atoms), atoms_cap(p)) if self.n_atoms is not None else atoms_cap(p)
        self.metric_, self.metric_source_ = self._resolve_metric(p)
        if self.relighting == "learned":
            return self._fit_references(faces, labels, progress, should_stop)
        labels_order = np.argsort(labels, kind="stable")
        self.classes_, first = np.unique(labels[labels_order], return_index=True)
        if synthesized is None:
            relit_progress = None if progress is None else (lambda d, t: progress(d, t, "relight"))
            chunks = self._relit_chunks(faces, relit_progress, should_stop, resolution=(r, c))
        else:
            synthesized = np.asarray(synthesized, dtype=np.float64)
            if synthesized.ndim != 4 or synthesized.shape[0] != len(faces) or synthesized.shape[2:] != FRAME_SHAPE:
                raise ValueError(f"synthesized must have shape ({len(faces)}, k, 48, 40), got {synthesized.shape}")
            chunks = ((lo, degrade(part.reshape(-1, *FRAME_SHAPE), (r, c)).reshape(len(part), part.shape[1], -1))
                      for lo in range(0, len(faces), RELIGHT_CHUNK)
                      for part in [synthesized[lo:lo + RELIGHT_CHUNK]])
        lr = None
        for lo, part in chunks:  # degraded chunk by chunk: the HR signals are never all in memory
            if lr is None:
                lr = np.empty((len(faces), part.shape[1], r * c))
            lr[lo:lo + len(part)] = part

        # Each person's signals as the columns of a (p, N_i) matrix, grouped by N_i so that the
        # spans of a whole group come from one batched SVD.
        bounds = np.append(first, len(labels))
        per_person = [labels_order[bounds[i]:bounds[i + 1]] for i in range(len(self.classes_))]
        bases: list = [None] * len(self.classes_)
        dictionaries: list = [None] * len(self.classes_)
        sparse = False
        done = 0
        by_count: dict[int, list[int]] = {}
        for i, rows in enumerate(per_person):
            by_count.setdefault(len(rows), []).append(i)
        if progress is not None:
            progress(0, len(self.classes_), "train")  # the dictionaries begin: said at once, not after the first
        for count, people in by_count.items():
            for lo in range(0, len(people), _SVD_BATCH):
                if should_stop is not None and should_stop():
                    raise Cancelled("training was cancelled")
                group = people[lo:lo + _SVD_BATCH]
                rows = np.stack([per_person[i] for i in group])  # (g, count)
                signals = self.feature_vectors(lr[rows].reshape(-1, r * c)).reshape(len(group), -1, p)
                signals = signals.transpose(0, 2, 1)  # (g, p, N_i)
                u, sv, _ = np.linalg.svd(signals, full_matrices=False)
                for j, i in enumerate(group):
                    if should_stop is not None and should_stop():  # per person: K-SVD takes a while
                        raise Cancelled("training was cancelled")
                    keep = sv[j] > 1e-6 * sv[j, 0] if sv[j, 0] > 0 else np.zeros(sv.shape[1], bool)
                    span = u[j][:, keep]
                    if span.shape[1] <= self.n_atoms_:
                        # K >= the rank of the signals: the span is all a dictionary can give, and
                        # K-SVD's T0-sparse fit of repeated or dependent signals (a copied image)
                        # may lose part of it.
                        dictionaries[i] = bases[i] = span
                    else:
                        dictionary, _, _ = ksvd(signals[j], self.n_atoms_, self.sparsity, self.n_iter,
                                                random_state=self.random_state, should_stop=should_stop)
                        dictionaries[i], bases[i] = dictionary, orthonormal_basis(dictionary)
                        sparse = True
                        if progress is not None:
                            progress(done + j + 1, len(self.classes_), "train")
                done += len(group)
                if progress is not None:
                    progress(done, len(self.classes_), "train")
        offsets = np.concatenate([[0], np.cumsum([b.shape[1] for b in bases])])
        self.dictionaries_ = dictionaries
        self.bases_ = _compact(np.concatenate(bases, axis=1))
        self.basis_offsets_ = offsets.astype(np.int64)
        self._cluster_cache = OrderedDict()
        self._norm_cache = {}
        self.regime_ = "sparse" if sparse else "nearest-subspace"
        return self

    def _fit_references(self, faces, labels, progress, should_stop) -> "SLRFRClassifier":
        """The learned relighting's dictionaries: each person's gallery images as log features.

        With ``alignment_shift`` d > 0 each image is also enrolled moved by +-d
        pixels of the 48 x 40 frame, across and down (five references an image),
        so that the nearest reference absorbs a probe's small misalignment. A
        gallery framed otherwise than the canonical frame (``framing``) is
        scored by the generic metric instead, each image enrolled under every
        move of :data:`~slrfr_gui.core.framing.CROP_MOVES`.
        """
        from .framing import CROP_MOVES, canonical_framing, estimate_framing, move_faces

        r, c = self.resolution_
        if self.framing not in ("auto", "canonical", "crop"):
            raise ValueError(f"framing must be 'auto', 'canonical' or 'crop', got {self.framing!r}")
        self.framing_ = (estimate_framing(faces, self.face_model) if self.framing != "canonical"
                         else canonical_framing())
        crop = self.framing == "crop" or (self.framing == "auto" and self.framing_.regime == "crop")
        if crop:
            self.metric_, self.metric_source_ = self._resolve_generic_metric(r * c)
            moves = list(CROP_MOVES)
        else:
            d = float(self.alignment_shift)
            moves = [(0.0, 0.0, 1.0)] + ([(d, 0.0, 1.0), (-d, 0.0, 1.0), (0.0, d, 1.0), (0.0, -d, 1.0)] if d > 0 else [])
        order = np.argsort(labels, kind="stable")
        self.classes_, counts = np.unique(labels[order], return_counts=True)
        k = len(moves)
        refs = np.empty((r * c, len(faces) * k))
        step = 256  # faces between progress reports and cancellation checks (each face is enrolled alone)
        for lo in range(0, len(faces), step):
            if should_stop is not None and should_stop():
                raise Cancelled("training was cancelled")
            rows = order[lo:lo + step]
            columns = (lo + np.arange(len(rows))) * k  # an image's references side by side
            for j, (dx, dy, scale) in enumerate(moves):
                moved = move_faces(faces[rows], dx, dy, scale) if crop else shift_faces(faces[rows], dx, dy)
                refs[:, columns + j] = self.feature_vectors(degrade(moved, (r, c)).reshape(len(rows), -1)).T
            if progress is not None:
                progress(min(lo + step, len(faces)), len(faces), "enroll")
        self.basis_offsets_ = np.concatenate([[0], np.cumsum(counts * k)]).astype(np.int64)
        self.bases_ = _compact(refs)
        # The dictionaries (kept in model files) are the gallery images themselves; the crop regime's
        # 45 moved copies are references for scoring only.
        first = moves.index((0.0, 0.0, 1.0))
        step = k if crop else 1
        self.dictionaries_ = [refs[:, a + (first if crop else 0):b:step]
                              for a, b in zip(self.basis_offsets_[:-1], self.basis_offsets_[1:])]
        self._cluster_cache = OrderedDict()
        self._norm_cache = {}
        self.regime_ = "nearest-reference"
        return self

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
            each probe is scored with :meth:`_noise_aware_residuals`, about
            n_references x p^2 operations per probe instead of one shared product
            (1,000 persons: about 3 ms a probe at 7x6, 35 ms at 19x16).

        Returns
        -------
        ndarray of shape (n_probes, n_persons), float64
            ||(I - P_i) z||, divided by ||z|| when ``normalize`` (then in [0, 1] when every person's span has
            the same dimension). The physical relighting's residuals are weighted by the dimensions each
            person's span leaves free (:meth:`_span_weights`), so a wider span does not win by its width.

        Raises
        ------
        ValueError
            ``noise`` is negative or not finite, or above 0 with the physical relighting.
        """
        self._check_fitted()
        noise = float(noise)
        if not np.isfinite(noise) or noise < 0:
            raise ValueError(f"noise must be a standard deviation >= 0, not {noise}")
        if noise > 0 and self.relighting != "learned":
            raise ValueError("noise-aware scoring needs the learned relighting (relighting='learned')")
        grey = check_probes(probes, self.resolution_)
        y = self.feature_vectors(grey)
        clusters = self.metric_.assign(y)
        out = np.empty((len(y), len(self.classes_)))
        for cluster in np.unique(clusters):
            rows = np.flatnonzero(clusters == cluster)
            shift = self._shift(cluster)
            unrelit = self._two_hypotheses(cluster)
            if noise > 0:
                out[rows] = self._noise_aware_residuals(y[rows] - shift, grey[rows], cluster, noise)
                if unrelit:
                    energy = self._energy(y[rows] - shift, cluster)
                    out[rows] = np.minimum(out[rows], self._noise_aware_residuals(y[rows], grey[rows], cluster, noise)
                                           * self._energy_ratio(y[rows], energy, cluster))
                continue
            transform = self.metric_.transforms[cluster]
            for lo in range(0, len(rows), _CHUNK):  # bounded temporaries for large batches
                part = rows[lo:lo + _CHUNK]
                z = (y[part] - shift) @ transform
                if unrelit:  # the nearer of the relit and the unrelit comparison, scaled alike
                    out[part] = self._reference_residuals(z, cluster, also=y[part] @ transform)
                else:
                    out[part] = self._cluster_residuals(z, cluster)
        return out

    def _two_hypotheses(self, cluster: int) -> bool:
        """Whether probes of ``cluster`` are also compared with the gallery not relit (``unrelit_hypothesis``)."""
        means = self.metric_.means
        return (self.relighting == "learned" and bool(self.unrelit_hypothesis) and means is not None
                and bool(np.any(means[cluster] != 0)))

    def _energy(self, d: np.ndarray, cluster: int) -> np.ndarray:
        """||T_c d||^2 of each row of ``d``, shape (n,)."""
        z = d @ self.metric_.transforms[cluster]
        return np.maximum(np.einsum("np,np->n", z, z), 1e-300)

    def _energy_ratio(self, y: np.ndarray, energy: np.ndarray, cluster: int) -> np.ndarray:
        """Factor taking residuals normalised by the unrelit probe's energy to the relit one's, shape (n, 1)."""
        if not self.normalize:
            return np.ones((len(y), 1))
        return np.sqrt(self._energy(y, cluster) / energy)[:, None]

    def _noise_aware_residuals(self, d: np.ndarray, grey: np.ndarray, cluster: int, noise: float) -> np.ndarray:
        """Residuals when the probes' grey levels carry noise of standard deviation ``noise``.

        Additive noise n on a grey level x moves its log feature by about
        n / (x + LOG_OFFSET): dark pixels, shadows above all, become unreliable.
        The score is then d' (F^-1 + D)^-1 d with F = T_c^2 the cluster's form
        and D = diag(noise^2 / (x + LOG_OFFSET)^2) the probe's own feature noise
        (the Gaussian likelihood of a noisy probe), evaluated by the Woodbury
        identity from T_c alone: ||z||^2 - u' (D^-1 + F)^-1 u with z = T_c d_a
        and u = T_c z, for d_a = y - mu_c - a of every reference a.

        On ``yaleb-lr-v1`` with probes given Gaussian noise of sigma 0.02 and
        8-bit levels, rank-1 rises from 42.8 to 55.1 % at 7x6 and from 51.1 to
        66.9 % at 12x10 (``scripts/check_robustness.py --probe-noise 0.02``);
        on clean probes a noise that is not there costs accuracy (71.1 -> 63.7 %
        at 7x6 for 0.02), so it is an option, not the default.

        Parameters
        ----------
        d : ndarray of shape (n, p)
            Probe features minus the cluster's mean log ratio.
        grey : ndarray of shape (n, r, c)
            The probes' grey levels.

        Returns
        -------
        ndarray of shape (n, n_persons), float64
        """
        transform = self.metric_.transforms[cluster]
        with _CACHE_LOCK:
            refs = self._cluster_bases(cluster).astype(np.float64)
        form = transform @ transform
        form_refs = transform @ refs  # T_c (T_c a) for every reference
        variance = noise**2 / (np.maximum(grey.reshape(len(d), -1), 0.0) + LOG_OFFSET) ** 2
        out = np.empty((len(d), len(self.classes_)))
        for i in range(len(d)):
            z_probe = transform @ d[i]
            z = z_probe[:, None] - refs
            u = (transform @ z_probe)[:, None] - form_refs
            kernel = form + np.diag(1.0 / variance[i])
            dist = np.einsum("pk,pk->k", z, z) - np.einsum("pk,pk->k", u, np.linalg.solve(kernel, u))
            dist = np.maximum(dist, 0.0)
            nearest = np.minimum.reduceat(dist, self.basis_offsets_[:-1])  # every person has a reference
            if self.normalize:
                nearest = nearest / max(float(z_probe @ z_probe), 1e-300)
            out[i] = np.sqrt(nearest)
        return out

    def _shift(self, cluster: int):
        """The learned relighting to ``cluster`` (the mean log ratio; 0 for the physical relighting)."""
        if self.relighting == "learned" and self.metric_.means is not None:
            return self.metric_.means[cluster]
        return 0.0

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
        widths = np.diff(self.basis_offsets_)
        dtype = np.float32 if self.bases_.size * 8 > FLOAT32_ABOVE_MB * 1e6 else np.float64
        out = np.empty(self.bases_.shape, dtype=dtype)
        p = self.bases_.shape[0]
        if self.relighting == "learned":  # whitened references, no subspace to orthonormalise
            for lo in range(0, self.bases_.shape[1], 65536):
                out[:, lo:lo + 65536] = transform @ self.bases_[:, lo:lo + 65536].astype(np.float64)
        elif widths.size and np.all(widths == widths[0]) and widths[0] > 0:
            k = int(widths[0])
            for lo in range(0, len(widths), 4096):  # batched QR in chunks: bounded temporaries
                hi = min(lo + 4096, len(widths))
                whitened = transform @ self.bases_[:, lo * k:hi * k].astype(np.float64)
                q, _ = np.linalg.qr(whitened.reshape(p, hi - lo, k).transpose(1, 0, 2))
                out[:, lo * k:hi * k] = q.transpose(1, 0, 2).reshape(p, (hi - lo) * k)
        else:
            for a, b in zip(self.basis_offsets_[:-1], self.basis_offsets_[1:]):
                if b > a:
                    out[:, a:b] = np.linalg.qr(transform @ self.bases_[:, a:b].astype(np.float64))[0]
        norms = self.__dict__.setdefault("_norm_cache", {})
        while cache and sum(v.nbytes for v in cache.values()) + out.nbytes > CLUSTER_CACHE_MB * 1e6:
            norms.pop(cache.popitem(last=False)[0], None)
        cache[cluster] = out
        if self.relighting == "learned":  # ||T_c a||^2 of every reference, for the nearest-reference distance
            norms[cluster] = np.einsum("pk,pk->k", out, out, dtype=np.float64)
        return out

    def _cluster_residuals(self, z: np.ndarray, cluster: int) -> np.ndarray:
        """Residuals of whitened features ``z`` (n, p) against every person's basis of ``cluster``."""
        if self.relighting == "learned":
            return self._reference_residuals(z, cluster)
        energy = np.sum(z**2, axis=1)
        offsets = self.basis_offsets_
        bases = self.cluster_bases(cluster)
        proj = (z.astype(bases.dtype) @ bases).astype(np.float64)  # (n, sum of ranks): all persons at once
        widths = np.diff(offsets)
        if widths.size and np.all(widths == widths[0]) and widths[0] > 0:
            blocks = proj.reshape(len(z), len(widths), widths[0])
            captured = np.einsum("npk,npk->np", blocks, blocks)
        else:
            proj **= 2
            starts = offsets[:-1]
            if proj.shape[1]:
                captured = np.add.reduceat(proj, np.minimum(starts, proj.shape[1] - 1), axis=1)
            else:
                captured = np.zeros((len(z), len(self.classes_)))
            captured[:, widths == 0] = 0.0
        res2 = np.maximum(energy[:, None] - captured, 0.0)
        weights = self._span_weights()
        whole = ~np.isfinite(weights)
        res2[:, ~whole] *= weights[~whole]
        res2[:, whole] = energy[:, None]  # a span of the whole space explains nothing
        if self.normalize:
            res2 = res2 / np.maximum(energy, 1e-300)[:, None]
        return np.sqrt(res2)

    def _span_weights(self) -> np.ndarray:
        """(p - k_min) / (p - k_i) for each person's span of k_i dimensions, shape (n_persons,).

        A probe's squared residual against a k-dimensional span of a p-dimensional space is
        (p - k) / p of its energy on average whatever the person, so a person with a wider
        span (more gallery images, more atoms) would win probes of everyone else. Dividing by
        the dimensions each span leaves free makes persons comparable; the persons with the
        narrowest span keep their residual as it was (all of them with one image each, as in
        ``yaleb-lr-v1``: the ranking and the residuals are unchanged). A span of the whole space
        explains nothing: weight infinity.
        """
        widths = np.diff(self.basis_offsets_).astype(np.float64)
        p = float(self.bases_.shape[0])
        if not np.any(widths > 0):
            return np.ones_like(widths)
        free = p - widths
        narrowest = p - widths[widths > 0].min()
        return np.where(free > 0, narrowest / np.maximum(free, 1e-300), np.inf)

    def _reference_residuals(self, z: np.ndarray, cluster: int, also: np.ndarray | None = None) -> np.ndarray:
        """||z - T_c a|| for the nearest of each person's references a (the learned relighting).

        With ``also`` (the probes whitened but not relit, same shape as ``z``),
        each reference counts by the nearer of the two comparisons; residuals
        are normalised by ``z``'s energy either way.
        """
        energy = np.sum(z**2, axis=1)
        with _CACHE_LOCK:  # the references and their norms as one consistent pair
            refs = self._cluster_bases(cluster)
            norms = self._norm_cache[cluster]
        # ||z - a||^2 = ||a||^2 - 2 z.a + ||z||^2; the last term is the same for every reference,
        # so it is added after the minimum (with two comparisons, before it).
        d2 = (z.astype(refs.dtype) @ refs).astype(np.float64, copy=False)
        d2 *= -2.0
        d2 += norms[None]
        if also is not None:
            d2 += energy[:, None]
            other = (also.astype(refs.dtype) @ refs).astype(np.float64, copy=False)
            other *= -2.0
            other += norms[None]
            other += np.sum(also**2, axis=1)[:, None]
            np.minimum(d2, other, out=d2)
        widths = np.diff(self.basis_offsets_)
        if widths.size and np.all(widths == 1):
            nearest = d2
        elif widths.size and np.all(widths == widths[0]):
            k = int(widths[0])  # strided minima: numpy reduces a short last axis slowly
            nearest = d2[:, 0::k].copy()
            for j in range(1, k):
                np.minimum(nearest, d2[:, j::k], out=nearest)
        else:
            nearest = np.minimum.reduceat(d2, self.basis_offsets_[:-1], axis=1)
        if also is None:
            nearest += energy[:, None]
        nearest = np.maximum(nearest, 0.0)
        if self.normalize:
            nearest = nearest / np.maximum(energy, 1e-300)[:, None]
        return np.sqrt(nearest)

    def reconstruct(self, probe, person_index: int) -> np.ndarray:
        """The probe as person ``person_index``'s dictionary reconstructs it, shape (r, c), grey levels.

        Q_i Q_i^T z in the whitened feature space of the probe's light
        cluster, mapped back to grey levels.
        """
        self._check_fitted()
        y = self.feature_vectors(check_probes(probe, self.resolution_))
        cluster = int(self.metric_.assign(y)[0])
        t = self.metric_.transforms[cluster]
        lo, hi = self.basis_offsets_[person_index], self.basis_offsets_[person_index + 1]
        if self.relighting == "learned":  # the nearest reference relit to the probe's light cluster
            shifts = [self._shift(cluster)] + ([0.0] if self._two_hypotheses(cluster) else [])
            refs = self.cluster_bases(cluster)[:, lo:hi].astype(np.float64)
            dist, best, shift = min((float(np.min(d := np.sum((refs - ((y[0] - m) @ t)[:, None]) ** 2, axis=0))),
                                     int(np.argmin(d)), m) for m in shifts)
            v = self.bases_[:, lo + best].astype(np.float64) + shift
            return grey_levels(v).reshape(self.resolution_)
        q = self.cluster_bases(cluster)[:, lo:hi].astype(np.float64)
        z = y[0] @ t
        f = np.linalg.solve(t, q @ (q.T @ z))
        v = self.pca_mean_ + self.pca_basis_ @ f
        if self.gamma_ == 0.0:
            v = grey_levels(v)
        elif self.gamma_ != 1.0:
            v = np.maximum(v, 0.0) ** (1.0 / self.gamma_)
        return v.reshape(self.resolution_)

    def describe(self) -> str:
        """One line: resolution, persons, features, metric, regime."""
        self._check_fitted()
        kind = {"pca": "PCA", "sqrt": "square-root", "log": "log"}.get(self.features, str(self.features))
        feats = f"{self.pca_basis_.shape[1]} {kind} features"
        if self.relighting == "learned":
            feats = "learned relighting, " + feats
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
#: Gallery faces relit per batch (:meth:`SLRFRClassifier.synthesize`): small enough for the
#: batch to stay in cache, large enough to leave Python's overhead behind.
RELIGHT_CHUNK = 64
#: Threads relighting gallery chunks; None: one per core.
RELIGHT_WORKERS: int | None = None
#: Persons per batched SVD in :meth:`SLRFRClassifier.fit`.
_SVD_BATCH = 1024
_CACHE_LOCK = threading.Lock()
#: Memory for the per-light-cluster bases kept at once (at least one cluster is always kept).
CLUSTER_CACHE_MB = 400
#: Bases larger than this in float64 are kept in float32 (100,000 persons at 7x6: 168 MB instead of 336).
FLOAT32_ABOVE_MB = 128



class LRPCANearestNeighbour(_Base):
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
