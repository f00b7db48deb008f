"""SLRFR with the paper's physical relighting: nine relit images and a K-SVD dictionary per person.

The synthesis of Shekhar, Patel and Chellappa (IJCB 2011) as the paper gives it: each gallery face
is relit under the nine points of light (section 3.1, :mod:`slrfr_gui.method.relight`), the input
and its relit copies are degraded to the probe resolution (equation 4) and mapped to features, one
K-SVD dictionary per person is learned from them (section 3.2, :mod:`slrfr_gui.method.ksvd`), and a
probe is named by the person whose dictionary's span leaves the smallest residual (section 3.3).
"""

from __future__ import annotations

import itertools
import os
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..errors import Cancelled
from ..faces.facemodel import FaceModel, default_face_model
from ..faces.frame import FRAME_SHAPE, degrade
from .base import check_faces, check_probes
from .ksvd import ksvd
from .relight import points_of_light, relight_batch
from .slrfr import _CHUNK, SLRFRClassifier, _compact, grey_levels

__all__ = ["PhysicalRelightingClassifier", "orthonormal_basis"]


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


class PhysicalRelightingClassifier(SLRFRClassifier):
    """SLRFR as the paper gives it: nine Lambertian relit images per gallery face, a K-SVD dictionary per person.

    ``fit`` relights each high-resolution gallery face under the nine points of
    light (section 3.1), degrades the input and its relit copies to the probe
    resolution (equation 4), maps them to features, learns one K-SVD
    dictionary per person (section 3.2) and keeps an orthonormal basis Q_i of
    each dictionary's span. ``residuals`` gives r_i(y) = ||(I - Q_i Q_i^T) T y||
    for every person with one stacked matrix product (section 3.3), where T is
    the whitening of the probe's light cluster (:mod:`slrfr_gui.method.metric`;
    the identity without a learned metric). The shared parameters (``resolution``,
    ``features``, ``metric``, ``normalize``, ``face_model``) are
    :class:`~slrfr_gui.method.slrfr.SLRFRClassifier`'s.

    Parameters
    ----------
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
    random_state : int or None
        Seed of K-SVD's atom order.
    learned_shading : bool
        Relight with the face model's mean shading images (cast shadows)
        instead of the plain Lambertian rendering.

    Attributes
    ----------
    n_atoms_ : int
        K as used: ``n_atoms`` capped at max(10, p // 2) (:func:`~slrfr_gui.method.params.atoms_cap`).
    dictionaries_ : list of ndarray of shape (p, K_i)
    bases_ : ndarray of shape (p, sum of ranks)
        The stacked orthonormal bases Q_i of span(D_i), in the unwhitened
        feature space; the bases of span(T_c Q_i) that scoring uses are derived
        from them per light cluster (:meth:`cluster_bases`).
    regime_ : str
        ``"nearest-subspace"`` when every person has K_i >= the rank of their
        signals (K-SVD then leaves the span unchanged), else ``"sparse"``.
    (and those of :class:`~slrfr_gui.method.slrfr.SLRFRClassifier`)

    Examples
    --------
    >>> clf = PhysicalRelightingClassifier(resolution=(7, 6), features="sqrt").fit(faces, labels)  # doctest: +SKIP
    >>> clf.predict(degrade(probe_faces, (7, 6)))                                                  # doctest: +SKIP
    """

    relighting = "physical"

    def __init__(self, resolution=(7, 6), n_atoms: int | None = None, sparsity: int = 3, n_iter: int = 10,
                 n_components: int | None = None, include_input: bool = True, normalize: bool = True,
                 face_model: FaceModel | None = None, random_state: int | None = 0,
                 features: str = "log", metric="learned", learned_shading: bool = True):
        super().__init__(resolution=resolution, features=features, metric=metric, normalize=normalize,
                         face_model=face_model)
        self.n_atoms = n_atoms
        self.sparsity = sparsity
        self.n_iter = n_iter
        self.n_components = n_components
        self.include_input = include_input
        self.random_state = random_state
        self.learned_shading = learned_shading

    def _components(self):
        return self.n_components

    def _check_parameters(self) -> None:
        if (self.n_atoms is not None and int(self.n_atoms) < 1) or int(self.sparsity) < 1 or int(self.n_iter) < 0:
            raise ValueError("n_atoms and sparsity must be >= 1 and n_iter >= 0")

    # ----------------------------------------------------------- synthesis
    def synthesize(self, faces, progress=None, should_stop=None) -> np.ndarray:
        """The HR signals of each gallery face: itself (if ``include_input``) and its relit copies.

        Faces are relit in chunks of :data:`RELIGHT_CHUNK`
        (:func:`~slrfr_gui.method.relight.relight_batch`), the chunks spread over the
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

    # ---------------------------------------------------------------- fit
    def fit(self, faces, labels, synthesized=None, progress=None, should_stop=None) -> "PhysicalRelightingClassifier":
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
            Called as work proceeds, stage after stage: ``"relight"`` (faces relit) then
            ``"train"`` (persons whose dictionary is learned, each one as it is done).
        should_stop : callable() -> bool, optional
            Polled between steps; True raises :class:`~slrfr_gui.errors.Cancelled`.

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
        faces, labels = self._begin_fit(faces, labels)
        r, c = self.resolution_
        p = self.pca_basis_.shape[1]
        from .params import atoms_cap

        # At most max(10, p // 2) atoms: a span covering most of the feature space explains any probe.
        self.n_atoms_ = min(int(self.n_atoms), atoms_cap(p)) if self.n_atoms is not None else atoms_cap(p)
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


    # --------------------------------------------------------- identify
    def _score_cluster(self, y: np.ndarray, grey: np.ndarray, cluster: int, noise: float) -> np.ndarray:
        out = np.empty((len(y), len(self.classes_)))
        shift = 0.0  # no relighting to the probe's light: the dictionaries span the lights
        transform = self.metric_.transforms[cluster]
        for lo in range(0, len(y), _CHUNK):  # bounded temporaries for large batches
            part = slice(lo, lo + _CHUNK)
            z = (y[part] - shift) @ transform
            out[part] = self._cluster_residuals(z, cluster)
        return out

    def _whiten_bases(self, transform: np.ndarray, out: np.ndarray) -> None:
        """Orthonormal bases of span(T_c Q_i), person by person (one product and a QR each, batched)."""
        widths = np.diff(self.basis_offsets_)
        p = self.bases_.shape[0]
        if widths.size and np.all(widths == widths[0]) and widths[0] > 0:
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

    def _cluster_residuals(self, z: np.ndarray, cluster: int) -> np.ndarray:
        """Residuals of whitened features ``z`` (n, p) against every person's basis of ``cluster``."""
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
        q = self.cluster_bases(cluster)[:, lo:hi].astype(np.float64)
        z = y[0] @ t
        f = np.linalg.solve(t, q @ (q.T @ z))
        v = self.pca_mean_ + self.pca_basis_ @ f
        if self.gamma_ == 0.0:
            v = grey_levels(v)
        elif self.gamma_ != 1.0:
            v = np.maximum(v, 0.0) ** (1.0 / self.gamma_)
        return v.reshape(self.resolution_)


#: Gallery faces relit per batch (:meth:`PhysicalRelightingClassifier.synthesize`): small enough for the
#: batch to stay in cache, large enough to leave Python's overhead behind.
RELIGHT_CHUNK = 64
#: Threads relighting gallery chunks; None: one per core.
RELIGHT_WORKERS: int | None = None
#: Persons per batched SVD in :meth:`PhysicalRelightingClassifier.fit`.
_SVD_BATCH = 1024
