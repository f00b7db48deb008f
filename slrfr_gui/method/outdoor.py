"""The paper's outdoor variant (section 4.3) and its rival, PCA + regularised LDA + SVM.

For probes that differ from the gallery in pose and blur as well as light,
the paper drops relighting: each person's dictionary is the eigenbasis of
their own down-sampled gallery images, a probe is projected onto every
person's basis robustly (minimum l1 error instead of least squares), and the
concatenated projection coefficients are classified by a linear SVM trained
on the gallery images' own coefficients. It needs several gallery images per
person to say anything a nearest subspace does not; with one it reduces to a
robust correlation with each gallery image.

Both follow the classifier contract of :mod:`slrfr_gui.method.slrfr`;
``residuals`` are sigmoid(-SVM score), in (0, 1), smaller is better.
"""

from __future__ import annotations

import numpy as np

from .base import BaseClassifier, check_probes
from .lrpca import pca
from ..faces.frame import degrade, format_resolution

__all__ = ["OutdoorClassifier", "PCALDASVM", "l1_project", "regularized_lda"]


def l1_project(y: np.ndarray, basis: np.ndarray, n_iter: int = 15, eps: float = 1e-6) -> np.ndarray:
    """Coefficients c minimising ||y - B c||_1 for each row of ``y``, by iteratively reweighted least squares.

    Parameters
    ----------
    y : ndarray of shape (n, d)
    basis : ndarray of shape (d, k)

    Returns
    -------
    ndarray of shape (n, k), float64
    """
    y = np.asarray(y, dtype=np.float64)
    b = np.asarray(basis, dtype=np.float64)
    c = np.linalg.lstsq(b, y.T, rcond=None)[0].T  # (n, k)
    scale = max(float(np.abs(y).mean()), 1e-12)
    for _ in range(n_iter):
        e = y - c @ b.T
        w = 1.0 / np.maximum(np.abs(e), eps * scale)  # (n, d)
        gram = np.einsum("dk,nd,dl->nkl", b, w, b) + 1e-12 * np.eye(b.shape[1])
        rhs = np.einsum("dk,nd->nk", b, w * y)
        c = np.linalg.solve(gram, rhs[..., None])[..., 0]
    return c


def _fit_linear_svm(x: np.ndarray, labels: np.ndarray, C: float, max_iter: int):
    """scikit-learn's ``LinearSVC`` fitted on ``x`` (n, d), without its "number of unique classes is greater
    than 50% of the number of samples" UserWarning: a face gallery with one or two images a person always has
    that many classes, and the warning (that ``labels`` might be a regression target) says nothing there."""
    import warnings

    from sklearn.svm import LinearSVC

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The number of unique classes is greater than 50%",
                                category=UserWarning)
        return LinearSVC(C=C, max_iter=max_iter).fit(x, labels)


def _sigmoid_distance(scores: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(np.clip(scores, -50, 50)))


class OutdoorClassifier(BaseClassifier):
    """SLRFR's outdoor mode: per-person eigenbasis, l1 projection, linear SVM (section 4.3).

    Parameters
    ----------
    resolution : (int, int)
    n_basis : int
        Eigenvectors kept per person (at most their number of images).
    C : float
        SVM regularisation.

    Attributes
    ----------
    classes_ : ndarray of shape (n_persons,)
    bases_ : ndarray of shape (r * c, sum of k_i)
        Each person's eigenbasis (uncentred: the span of their LR images).
    basis_offsets_ : ndarray of shape (n_persons + 1,)
    coef_ : ndarray of shape (n_persons, sum of k_i)
    intercept_ : ndarray of shape (n_persons,)
        The one-versus-rest linear SVMs on the concatenated l1 coefficients.
    regime_ : str
        ``"outdoor"``.
    """

    mode = "outdoor"

    def __init__(self, resolution=(7, 6), n_basis: int = 5, C: float = 1.0, **_ignored):
        self.resolution = resolution
        self.n_basis = n_basis
        self.C = C

    def _coefficients(self, vectors: np.ndarray) -> np.ndarray:
        y = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        parts = [l1_project(y, self.bases_[:, a:b]) for a, b in zip(self.basis_offsets_[:-1], self.basis_offsets_[1:])]
        return np.concatenate(parts, axis=1)

    def fit(self, faces, labels, progress=None, should_stop=None) -> "OutdoorClassifier":
        """Learn each person's eigenbasis and the SVM (no relighting).

        Parameters
        ----------
        faces : ndarray of shape (n, 48, 40)
        labels : array-like of shape (n,)
        progress : callable(done, total, stage), optional
        should_stop : callable() -> bool, optional

        Raises
        ------
        ValueError
            Bad shapes or values.
        Cancelled
            ``should_stop`` returned True.
        """
        from ..errors import Cancelled

        faces, labels = self._checked_fit_input(faces, labels)
        r, c = self.resolution_
        lr = degrade(faces, (r, c)).reshape(len(faces), -1)
        self.classes_ = np.unique(labels)
        bases, offsets = [], [0]
        for i, person in enumerate(self.classes_):
            if should_stop is not None and should_stop():
                raise Cancelled("training was cancelled")
            u, s, _ = np.linalg.svd(lr[labels == person].T, full_matrices=False)
            k = max(1, min(int(self.n_basis), int(np.sum(s > 1e-10 * max(s[0], 1e-300)))))
            bases.append(u[:, :k])
            offsets.append(offsets[-1] + k)
            if progress is not None:
                progress(i + 1, len(self.classes_), "train")
        self.bases_ = np.concatenate(bases, axis=1)
        self.basis_offsets_ = np.asarray(offsets)
        features = self._coefficients(lr)
        if len(self.classes_) > 1:
            # Standardised coefficients (the scaling is folded into coef_ and intercept_ below).
            mu, sigma = features.mean(axis=0), features.std(axis=0)
            sigma = np.where(sigma > 1e-12, sigma, 1.0)
            svm = _fit_linear_svm((features - mu) / sigma, labels, self.C, 20000)
            coef = svm.coef_ / sigma
            intercept = svm.intercept_ - coef @ mu
            if len(self.classes_) == 2:  # one score for classes_[1]
                coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        else:
            coef, intercept = np.zeros((1, features.shape[1])), np.zeros(1)
        self.coef_, self.intercept_ = np.asarray(coef, dtype=np.float64), np.asarray(intercept, dtype=np.float64)
        self.regime_ = "outdoor"
        return self

    def residuals(self, probes) -> np.ndarray:
        """sigmoid(-SVM score) of each probe for each person, shape (n_probes, n_persons), in (0, 1)."""
        self._check_fitted()
        features = self._coefficients(check_probes(probes, self.resolution_))
        return _sigmoid_distance(features @ self.coef_.T + self.intercept_)

    def reconstruct(self, probe, person_index: int) -> np.ndarray:
        """The probe's l1 projection onto person ``person_index``'s eigenbasis, shape (r, c), grey levels."""
        self._check_fitted()
        y = check_probes(probe, self.resolution_)
        lo, hi = self.basis_offsets_[person_index], self.basis_offsets_[person_index + 1]
        basis = self.bases_[:, lo:hi]
        return (l1_project(y, basis)[0] @ basis.T).reshape(self.resolution_)

    def describe(self) -> str:
        """One line: resolution, persons, mode."""
        self._check_fitted()
        return (f"SLRFR outdoor {format_resolution(self.resolution_)}: {len(self.classes_)} persons,"
                f" eigenbases of up to {self.n_basis} vectors, l1 projection, linear SVM")


def regularized_lda(x: np.ndarray, labels: np.ndarray, shrinkage: float) -> np.ndarray:
    """LDA projection, shape (d, n_classes - 1), with the within-class scatter shrunk towards the identity.

    Solves S_b v = lambda ((1 - a) S_w + a tr(S_t)/d I) v (Friedman's regularised
    discriminant analysis, a = ``shrinkage``), so it is defined even with one
    sample per class.
    """
    from scipy.linalg import eigh

    classes = np.unique(labels)
    mean = x.mean(axis=0)
    d = x.shape[1]
    s_w = np.zeros((d, d))
    s_b = np.zeros((d, d))
    for person in classes:
        xi = x[labels == person]
        mi = xi.mean(axis=0)
        s_w += (xi - mi).T @ (xi - mi)
        s_b += len(xi) * np.outer(mi - mean, mi - mean)
    total = (x - mean).T @ (x - mean)
    reg = (1 - shrinkage) * s_w + shrinkage * max(np.trace(total), 1e-12) / d * np.eye(d)
    k = max(1, min(len(classes) - 1, d))
    _, vecs = eigh(s_b, reg, subset_by_index=[d - k, d - 1])
    return vecs[:, ::-1]


class PCALDASVM(BaseClassifier):
    """PCA + regularised LDA + linear SVM on the degraded gallery (the paper's outdoor rival).

    LDA's within-class scatter is shrunk towards a multiple of the identity
    (``shrinkage``), so it is defined even with one image per person.
    """

    def __init__(self, resolution=(7, 6), shrinkage: float = 0.5, C: float = 1.0):
        self.resolution = resolution
        self.shrinkage = shrinkage
        self.C = C

    def fit(self, faces, labels):
        faces, labels = self._checked_fit_input(faces, labels)
        r, c = self.resolution_
        x = degrade(faces, (r, c)).reshape(len(faces), -1)
        self.classes_ = np.unique(labels)
        self.mean_, self.components_ = pca(x)
        pcs = (x - self.mean_) @ self.components_.T
        if len(self.classes_) > 1:
            self.lda_ = regularized_lda(pcs, labels, self.shrinkage)
            self.svm_ = _fit_linear_svm(pcs @ self.lda_, labels, self.C, 5000)
        else:
            self.lda_ = self.svm_ = None
        return self

    def residuals(self, probes):
        self._check_fitted()
        if self.svm_ is None:
            return np.zeros((len(np.atleast_3d(probes)), 1))
        pcs = (check_probes(probes, self.resolution_) - self.mean_) @ self.components_.T
        scores = self.svm_.decision_function(pcs @ self.lda_)
        if scores.ndim == 1:
            scores = np.stack([-scores, scores], axis=1)
        return _sigmoid_distance(scores)
