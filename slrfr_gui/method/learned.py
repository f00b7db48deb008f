"""SLRFR with the learned relighting: the application's default classifier.

Each gallery image is relit to the probe's kind of light by the mean log ratio that training
faces show between that light and a gallery light (a quotient image, learned:
:func:`slrfr_gui.method.lighting.learn_ratio_metric`), and a probe is named by the person whose
relit reference is nearest, measured by the Bayesian intra/extra-personal distance of the probe's
light cluster. Galleries framed otherwise than the canonical frame are scored by the framing-free
generic metric instead (:mod:`slrfr_gui.method.framing`, :mod:`slrfr_gui.method.generic`).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..errors import Cancelled
from ..faces.frame import degrade
from .base import check_probes
from .slrfr import _CACHE_LOCK, _CHUNK, LOG_OFFSET, SLRFRClassifier, _compact, grey_levels

__all__ = ["LearnedRelightingClassifier", "shift_faces"]


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


class LearnedRelightingClassifier(SLRFRClassifier):
    """SLRFR with the learned relighting: nearest relit reference under a learned metric.

    Each person's references are their gallery images as log features at the probe resolution
    (with ``alignment_shift``, also moved a little); a probe y of light cluster c is compared with
    every reference a relit to that cluster by the mean log ratio m_c, by the Bayesian
    intra/extra-personal distance ||T_c (y - m_c - a)|| with T_c T_c = C_c^-1 - beta E_c^-1
    (:func:`slrfr_gui.method.lighting.learn_ratio_metric`), and each person's residual is that of
    their nearest reference. The shared parameters (``resolution``, ``features``, which must be
    ``"log"``, ``metric``, ``normalize``, ``face_model``) are :class:`~slrfr_gui.method.slrfr.SLRFRClassifier`'s.

    Parameters
    ----------
    alignment_shift : float
        The alignment search, in pixels of the 48 x 40
        frame, in [0, 1]: each gallery image is also enrolled moved by +- this
        much across and down, and a probe is compared with the nearest of the
        five (0: the image alone). On ``yaleb-lr-v1`` 0.5 leaves rank-1 as it
        is (71.2 -> 71.1 at 7x6, 82.6 -> 82.7 at 12x10) and, for probes 2
        pixels too low, lifts it from 53.9 to 59.0 at 7x6 and from 51.3 to
        63.5 at 12x10; it costs five times the references.
    framing : {"auto", "canonical", "crop"}
        The learned relighting's statistics are per pixel of the canonical
        frame. ``"auto"`` (the default) estimates from the gallery how its
        faces are framed (:func:`slrfr_gui.method.framing.estimate_framing`):
        framed like the canonical frame, the learned relighting scores them;
        framed otherwise (crops holding the whole head, as most face sets
        are cut), the framing-free generic metric does
        (:mod:`slrfr_gui.method.generic`), each gallery image enrolled under
        the :data:`~slrfr_gui.method.framing.CROP_MOVES` (shifts and scalings) and the probe compared
        with the nearest. ``"canonical"`` and ``"crop"`` force one.
    generic_metric : "learned", LightingMetric or callable
        The metric of the ``"crop"`` regime: the shipped one for the
        resolution (:func:`slrfr_gui.method.generic.shipped_generic_metric`),
        one composed by :func:`slrfr_gui.method.generic.compose_generic_metric`,
        or a function of no argument returning one (called only when a
        gallery needs it; the benchmark derives its own that way).
    unrelit_hypothesis : bool
        Compare the probe with each gallery image
        relit to the probe's light cluster *and* with the image as it is, and
        keep the nearer: the cluster is chosen from the probe alone, and a
        probe lit like its gallery image but unlike the training faces (another
        camera, another face set) was otherwise relit to a light it was never
        under. On ``yaleb-lr-v1``'s folds (fast version) rank-1 is unchanged
        (69.1 -> 69.2 at 7x6, 80.7 -> 80.8 at 12x10); on IMM faces (pose and
        expression, learned relighting of all 38 Yale B subjects) it rises from
        21.5 to 36.0 % at 7x6. It doubles the scoring work.

    Attributes
    ----------
    framing_ : Framing
        How the gallery's faces are framed; its ``regime`` (``"canonical"`` or ``"crop"``) says
        which metric scores.
    dictionaries_ : list of ndarray of shape (p, n_images_i)
        Each person's gallery images as log features (kept in model files).
    bases_ : ndarray of shape (p, n_references)
        Every reference (each image, and its moved copies), person after person.
    regime_ : str
        ``"nearest-reference"``.
    (and those of :class:`~slrfr_gui.method.slrfr.SLRFRClassifier`)

    Examples
    --------
    >>> clf = LearnedRelightingClassifier(resolution=(7, 6)).fit(faces, labels)   # doctest: +SKIP
    >>> clf.predict(degrade(probe_faces, (7, 6)))                                 # doctest: +SKIP
    """

    relighting = "learned"
    _scores_noise = True

    def __init__(self, resolution=(7, 6), normalize: bool = True, face_model=None, features: str = "log",
                 metric="learned", alignment_shift: float = 0.5, framing: str = "auto", generic_metric="learned",
                 unrelit_hypothesis: bool = True):
        super().__init__(resolution=resolution, features=features, metric=metric, normalize=normalize,
                         face_model=face_model)
        self.alignment_shift = alignment_shift
        self.framing = framing
        self.generic_metric = generic_metric
        self.unrelit_hypothesis = unrelit_hypothesis

    def _check_parameters(self) -> None:
        if not 0.0 <= float(self.alignment_shift) <= 1.0:
            raise ValueError(f"alignment_shift must be in [0, 1] pixels, got {self.alignment_shift}")

    def _setup_features(self, resolution) -> None:
        if self.features != "log":
            raise ValueError(f"the learned relighting works on log features, not {self.features!r}")
        super()._setup_features(resolution)

    def _resolve_generic_metric(self, p: int):
        """The ``"crop"`` regime's metric and where it came from (see ``generic_metric``)."""
        from .generic import shipped_generic_metric
        from .metric import LightingMetric

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
    def fit(self, faces, labels, synthesized=None, progress=None, should_stop=None) -> "LearnedRelightingClassifier":
        """Enroll a gallery: each person's gallery images become their references.

        With ``alignment_shift`` d > 0 each image is also enrolled moved by +-d
        pixels of the 48 x 40 frame, across and down (five references an image),
        so that the nearest reference absorbs a probe's small misalignment. A
        gallery framed otherwise than the canonical frame (``framing``) is
        scored by the generic metric instead, each image enrolled under every
        move of :data:`~slrfr_gui.method.framing.CROP_MOVES`.

        Parameters
        ----------
        faces : ndarray of shape (n, 48, 40)
            High-resolution gallery faces, grey levels in [0, 1].
        labels : array-like of shape (n,)
            Person of each face.
        synthesized : ignored
            Taken for the same calls as :meth:`PhysicalRelightingClassifier.fit
            <slrfr_gui.method.physical.PhysicalRelightingClassifier.fit>`; this relighting synthesises nothing.
        progress : callable(done, total, stage), optional
            Called with stage ``"enroll"`` (gallery images done).
        should_stop : callable() -> bool, optional
            Polled between steps; True raises :class:`~slrfr_gui.errors.Cancelled`.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Bad shapes, non-finite values, a bad resolution, features other than ``"log"``, or a
            metric learned for another feature space.
        Cancelled
            ``should_stop`` returned True.
        """
        faces, labels = self._begin_fit(faces, labels)
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
    def _score_cluster(self, y: np.ndarray, grey: np.ndarray, cluster: int, noise: float) -> np.ndarray:
        out = np.empty((len(y), len(self.classes_)))
        shift = self._shift(cluster)
        unrelit = self._two_hypotheses(cluster)
        if noise > 0:
            out[:] = self._noise_aware_residuals(y - shift, grey, cluster, noise)
            if unrelit:
                energy = self._energy(y - shift, cluster)
                out[:] = np.minimum(out, self._noise_aware_residuals(y, grey, cluster, noise)
                                    * self._energy_ratio(y, energy, cluster))
            return out
        transform = self.metric_.transforms[cluster]
        for lo in range(0, len(y), _CHUNK):  # bounded temporaries for large batches
            part = slice(lo, lo + _CHUNK)
            z = (y[part] - shift) @ transform
            if unrelit:  # the nearer of the relit and the unrelit comparison, scaled alike
                out[part] = self._reference_residuals(z, cluster, also=y[part] @ transform)
            else:
                out[part] = self._reference_residuals(z, cluster)
        return out

    def _two_hypotheses(self, cluster: int) -> bool:
        """Whether probes of ``cluster`` are also compared with the gallery not relit (``unrelit_hypothesis``)."""
        means = self.metric_.means
        return bool(self.unrelit_hypothesis) and means is not None and bool(np.any(means[cluster] != 0))

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
        """The learned relighting to ``cluster``: the mean log ratio (0 without a learned one)."""
        if self.metric_.means is not None:
            return self.metric_.means[cluster]
        return 0.0


    def _whiten_bases(self, transform: np.ndarray, out: np.ndarray) -> None:
        for lo in range(0, self.bases_.shape[1], 65536):  # whitened references, no subspace to orthonormalise
            out[:, lo:lo + 65536] = transform @ self.bases_[:, lo:lo + 65536].astype(np.float64)

    def _after_whitening(self, cluster: int, whitened: np.ndarray, norms: dict) -> None:
        # ||T_c a||^2 of every reference, for the nearest-reference distance
        norms[cluster] = np.einsum("pk,pk->k", whitened, whitened, dtype=np.float64)

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
        # so it is added after the minimum over a person's references. The factor -2 goes into the
        # probes before the product (exact: a power of two), which saves a pass over the
        # (probes x references) block; with two comparisons ||a||^2 is common to both and is added
        # after their minimum.
        d2 = ((-2.0 * z).astype(refs.dtype) @ refs).astype(np.float64, copy=False)
        if also is not None:
            d2 += energy[:, None]
            other = ((-2.0 * also).astype(refs.dtype) @ refs).astype(np.float64, copy=False)
            other += np.sum(also**2, axis=1)[:, None]
            np.minimum(d2, other, out=d2)
            del other
        d2 += norms[None]
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
        """The probe as person ``person_index``'s nearest reference relit to it, shape (r, c), grey levels.

        The reference (of the relit and, with ``unrelit_hypothesis``, the unrelit comparison) nearest
        to the probe in the whitened feature space of its light cluster, relit to that cluster and
        mapped back to grey levels.
        """
        self._check_fitted()
        y = self.feature_vectors(check_probes(probe, self.resolution_))
        cluster = int(self.metric_.assign(y)[0])
        t = self.metric_.transforms[cluster]
        lo, hi = self.basis_offsets_[person_index], self.basis_offsets_[person_index + 1]
        # the nearest reference relit to the probe's light cluster
        shifts = [self._shift(cluster)] + ([0.0] if self._two_hypotheses(cluster) else [])
        refs = self.cluster_bases(cluster)[:, lo:hi].astype(np.float64)
        dist, best, shift = min((float(np.min(d := np.sum((refs - ((y[0] - m) @ t)[:, None]) ** 2, axis=0))),
                                 int(np.argmin(d)), m) for m in shifts)
        v = self.bases_[:, lo + best].astype(np.float64) + shift
        return grey_levels(v).reshape(self.resolution_)

    def _describe_features(self, feats: str) -> str:
        return "learned relighting, " + feats
