"""The rivals of ``slrfr evaluate --baselines``, each with the classifier contract.

Every rival is fitted on the high-resolution gallery (shape (n, 48, 40), one
or more images per person) and scores low-resolution probes (shape
(n, r, c), made by :func:`~slrfr_gui.faces.frame.degrade`); ``residuals``
returns a distance per (probe, person), smaller is better, so ranks and CMC
curves are computed the same way for all. Learned parts that need data beyond
the gallery (PCA bases, coupled mappings) come from the face model or the
training subjects, never from the probes.

* **LR-PCA**: eigenfaces on the degraded gallery, nearest neighbour (Turk and
  Pentland 1991; all components). In :mod:`slrfr_gui.method.slrfr`.
* **LR-PCA relit**: the same on the degraded relit gallery (10 images per
  person); the paper's "PCA on the relit gallery" rival.
* **Bicubic+PCA**: the probe up-sampled (bicubic) to 48 x 40, nearest neighbour
  in the training subjects' HR PCA space (100 components of the face model);
  the usual super-resolve-then-match rival.
* **Fisherfaces relit**: PCA to N - C dimensions, then LDA to C - 1, on the
  degraded relit gallery; nearest class mean (Belhumeur, Hespanha, Kriegman,
  TPAMI 1997).
* **LBP**: uniform LBP codes (P = 8, R = 1, scikit-image's
  ``local_binary_pattern``) histogrammed in a 2 x 2 grid of cells, chi-square
  nearest neighbour (Ahonen, Hadid, Pietikainen, TPAMI 2006). At 7 x 6 a cell
  holds only 12 codes.
* **CLPM**: coupled locality preserving mappings of LR and HR faces into one
  space, nearest neighbour there (Li, Chang, Shan, Chen, IEEE SPL 17(1), 2010).
  Learned on the training subjects: 2 HR neighbours with a heat kernel
  (t = their mean squared distance), 40 dimensions (at most r * c), ridge 1e-4;
  k = 2 was the best of {0, 2, 5, 10} for this rival on the benchmark.
* **NC-NN**: normalised-correlation nearest neighbour: grey levels minus their
  mean, unit norm, and the gallery face (degraded to the probe size) of
  largest dot product; no training at all, the simplest baseline there is.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..method.base import BaseClassifier, check_faces, check_probes
from ..method.lrpca import LRPCANearestNeighbour, nearest_by_person, pca, squared_distances
from ..method.physical import PhysicalRelightingClassifier
from ..faces.frame import FRAME_SHAPE, degrade

__all__ = ["RelitPCANearestNeighbour", "BicubicPCANearestNeighbour", "RelitFisherfaces", "LBPNearestNeighbour",
           "CLPM", "NormalisedCorrelationNN"]


class _Synthesizing(BaseClassifier):
    """A rival that uses the SLRFR relit gallery (10 signals per person)."""

    def _signals(self, faces, labels, synthesized):


        if synthesized is None:
            synthesized = PhysicalRelightingClassifier(face_model=self.face_model).synthesize(faces)
        synthesized = np.asarray(synthesized, dtype=np.float64)
        k = synthesized.shape[1]
        r, c = self.resolution_
        lr = degrade(synthesized.reshape(-1, *FRAME_SHAPE), (r, c)).reshape(len(faces) * k, r * c)
        return lr, np.repeat(labels, k)


class RelitPCANearestNeighbour(LRPCANearestNeighbour, _Synthesizing):
    """Eigenfaces nearest neighbour on the degraded relit gallery (the paper's "PCA on relit" rival)."""

    def __init__(self, resolution=(7, 6), face_model=None):
        super().__init__(resolution)
        self.face_model = face_model

    def fit(self, faces, labels, synthesized=None):
        faces, labels = self._checked_fit_input(faces, labels)
        return self._fit_vectors(*self._signals(faces, labels, synthesized))


class BicubicPCANearestNeighbour(BaseClassifier):
    """Probe up-sampled to 48 x 40 (bicubic), nearest neighbour in the face model's HR PCA space."""

    def __init__(self, resolution=(7, 6), face_model=None, n_components: int = 100):
        self.resolution = resolution
        self.face_model = face_model
        self.n_components = n_components

    def fit(self, faces, labels):
        from ..faces.facemodel import default_face_model

        faces, labels = self._checked_fit_input(faces, labels)
        model = self.face_model or default_face_model()
        self.mean_ = model.pca_mean
        self.components_ = model.pca_components[: self.n_components]
        self.gallery_ = (faces.reshape(len(faces), -1) - self.mean_) @ self.components_.T
        self.sample_labels_ = labels
        self.classes_ = np.unique(labels)
        return self

    def residuals(self, probes):
        self._check_fitted()
        r, c = self.resolution_
        lr = check_probes(probes, self.resolution_).reshape(-1, r, c)
        up = np.stack([cv2.resize(p, (FRAME_SHAPE[1], FRAME_SHAPE[0]), interpolation=cv2.INTER_CUBIC) for p in lr])
        y = (up.reshape(len(up), -1) - self.mean_) @ self.components_.T
        return np.sqrt(nearest_by_person(squared_distances(y, self.gallery_), self.sample_labels_, self.classes_))


class RelitFisherfaces(_Synthesizing):
    """Fisherfaces (PCA to N - C dimensions, then LDA to C - 1) on the degraded relit gallery.

    Probes are matched to the nearest class mean in the LDA space.
    """

    def __init__(self, resolution=(7, 6), face_model=None):
        self.resolution = resolution
        self.face_model = face_model

    def fit(self, faces, labels, synthesized=None):
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

        faces, labels = self._checked_fit_input(faces, labels)
        x, y = self._signals(faces, labels, synthesized)
        self.classes_ = np.unique(labels)
        self.mean_, self.components_ = pca(x, max(1, len(x) - len(self.classes_)))
        pcs = (x - self.mean_) @ self.components_.T
        self.lda_ = LinearDiscriminantAnalysis(solver="svd").fit(pcs, y) if len(self.classes_) > 1 else None
        z = self.lda_.transform(pcs) if self.lda_ is not None else pcs
        self.means_ = np.stack([z[y == person].mean(axis=0) for person in self.classes_])
        return self

    def residuals(self, probes):
        self._check_fitted()
        pcs = (check_probes(probes, self.resolution_) - self.mean_) @ self.components_.T
        z = self.lda_.transform(pcs) if self.lda_ is not None else pcs
        return np.sqrt(squared_distances(z, self.means_))


class LBPNearestNeighbour(BaseClassifier):
    """Uniform LBP histograms (P=8, R=1) over a grid of cells, chi-square nearest neighbour.

    The gallery is degraded to the probe size first; both are coded with
    scikit-image's ``local_binary_pattern``.
    """

    def __init__(self, resolution=(7, 6), points: int = 8, radius: float = 1.0, grid=(2, 2)):
        self.resolution = resolution
        self.points = points
        self.radius = radius
        self.grid = grid

    def _histograms(self, images: np.ndarray) -> np.ndarray:
        from skimage.feature import local_binary_pattern

        bins = self.points + 2
        gr, gc = self.grid
        out = []
        for image in images:
            codes = local_binary_pattern(np.clip(image * 255, 0, 255).astype(np.uint8), self.points, self.radius,
                                         method="uniform")
            rows = np.array_split(np.arange(codes.shape[0]), gr)
            cols = np.array_split(np.arange(codes.shape[1]), gc)
            hist = [np.bincount(codes[np.ix_(r, c)].astype(int).ravel(), minlength=bins) for r in rows for c in cols]
            h = np.concatenate(hist).astype(np.float64)
            out.append(h / max(h.sum(), 1.0))
        return np.array(out)

    def fit(self, faces, labels):
        faces, labels = self._checked_fit_input(faces, labels)
        self.gallery_ = self._histograms(degrade(faces, self.resolution_))
        self.sample_labels_ = labels
        self.classes_ = np.unique(labels)
        return self

    def residuals(self, probes):
        self._check_fitted()
        r, c = self.resolution_
        h = self._histograms(check_probes(probes, self.resolution_).reshape(-1, r, c))
        num = (h[:, None] - self.gallery_[None]) ** 2
        den = h[:, None] + self.gallery_[None]
        chi2 = np.sum(np.where(den > 0, num / np.maximum(den, 1e-12), 0.0), axis=2)
        return nearest_by_person(chi2, self.sample_labels_, self.classes_)


class CLPM(BaseClassifier):
    """Coupled locality preserving mappings (Li, Chang, Shan, Chen, IEEE SPL 2010).

    Two linear maps, P_L for low-resolution and P_H for high-resolution faces,
    into one space where a face's LR and HR versions (and their HR
    neighbours) land close: minimise sum_ij w_ij ||P_L^T l_i - P_H^T h_j||^2
    subject to a unit scale, a generalised eigenproblem. HR faces enter as
    coefficients of the face model's PCA (``n_hr`` of them). Learned on
    training faces (``train_faces``: the training subjects, never the gallery);
    matching is nearest neighbour in the common space.
    """

    def __init__(self, resolution=(7, 6), train_faces=None, face_model=None, n_dims: int = 40,
                 n_neighbours: int = 2, n_hr: int = 100, ridge: float = 1e-4):
        self.resolution = resolution
        self.train_faces = train_faces
        self.face_model = face_model
        self.n_dims = n_dims
        self.n_neighbours = n_neighbours
        self.n_hr = n_hr
        self.ridge = ridge

    def _hr(self, faces):
        return (faces.reshape(len(faces), -1) - self.hr_mean_) @ self.hr_basis_.T

    def fit(self, faces, labels):
        from scipy.linalg import eigh

        from ..faces.facemodel import default_face_model

        faces, labels = self._checked_fit_input(faces, labels)
        if self.train_faces is None:
            raise ValueError("CLPM needs train_faces (training subjects' HR faces) to learn its mappings")
        train = check_faces(self.train_faces, "train_faces")
        model = self.face_model or default_face_model()
        self.hr_mean_, self.hr_basis_ = model.pca_mean, model.pca_components[: self.n_hr]
        r, c = self.resolution_
        low = degrade(train, (r, c)).reshape(len(train), -1)
        self.lr_mean_ = low.mean(axis=0)
        # Both sides in the span of the training faces (a null direction would satisfy any mapping).
        _, s_low, vt_low = np.linalg.svd(low - self.lr_mean_, full_matrices=False)
        self.lr_basis_ = vt_low[: max(1, int(np.sum(s_low > 1e-6 * s_low[0])))]
        low = ((low - self.lr_mean_) @ self.lr_basis_.T).T  # (dl, n)
        high = self._hr(train).T  # (dh, n)
        _, s_high, vt_high = np.linalg.svd(high.T, full_matrices=False)
        keep = vt_high[: max(1, int(np.sum(s_high > 1e-6 * s_high[0])))]
        self.hr_basis_ = keep @ self.hr_basis_
        high = keep @ high
        # Weights: each face with itself and its HR nearest neighbours, heat kernel.
        d2 = squared_distances(high.T, high.T)
        k = min(self.n_neighbours, len(train) - 1)
        w = np.zeros_like(d2)
        if k > 0:
            nn = np.argsort(d2, axis=1)[:, 1: k + 1]
            t = float(np.mean(d2[np.arange(len(train))[:, None], nn])) or 1.0
            rows = np.repeat(np.arange(len(train)), k)
            w[rows, nn.ravel()] = np.exp(-d2[rows, nn.ravel()] / t)
        w = np.maximum(w, w.T)
        np.fill_diagonal(w, 1.0)
        dr, dc = np.diag(w.sum(axis=1)), np.diag(w.sum(axis=0))
        a11, a22, a12 = low @ dr @ low.T, high @ dc @ high.T, low @ w @ high.T
        a = np.block([[a11, -a12], [-a12.T, a22]])
        b = np.block([[a11, np.zeros_like(a12)], [np.zeros_like(a12.T), a22]])
        b += self.ridge * np.trace(b) / len(b) * np.eye(len(b))
        a = (a + a.T) / 2
        m = min(self.n_dims, low.shape[0])
        _, vecs = eigh(a, b, subset_by_index=[0, m - 1])
        self.p_low_, self.p_high_ = vecs[: low.shape[0]], vecs[low.shape[0]:]
        self.gallery_ = self._hr(faces) @ self.p_high_
        self.sample_labels_ = labels
        self.classes_ = np.unique(labels)
        return self

    def residuals(self, probes):
        self._check_fitted()
        y = ((check_probes(probes, self.resolution_) - self.lr_mean_) @ self.lr_basis_.T) @ self.p_low_
        return np.sqrt(nearest_by_person(squared_distances(y, self.gallery_), self.sample_labels_, self.classes_))


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=1, keepdims=True)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class NormalisedCorrelationNN(BaseClassifier):
    """Nearest neighbour by normalised correlation at the probe size.

    Each gallery face is degraded to ``resolution``; gallery and probe vectors
    have their mean removed and are scaled to unit norm; the residual of a
    person is 1 - the largest correlation with any of their gallery faces
    (in [0, 2]; 0 for a probe equal to a gallery face up to gain and offset).
    """

    def __init__(self, resolution=(7, 6)):
        self.resolution = resolution

    def fit(self, faces, labels):
        faces, labels = self._checked_fit_input(faces, labels)
        r, c = self.resolution_
        self.gallery_ = _unit_rows(degrade(faces, (r, c)).reshape(len(faces), -1))
        self.sample_labels_ = labels
        self.classes_ = np.unique(labels)
        return self

    def residuals(self, probes):
        """1 - the best correlation with each person's gallery faces, shape (n_probes, n_persons)."""
        self._check_fitted()
        y = _unit_rows(check_probes(probes, self.resolution_))
        return nearest_by_person(1.0 - y @ self.gallery_.T, self.sample_labels_, self.classes_)
