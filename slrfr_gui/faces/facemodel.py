"""The generic face model: mean surface normals, their spread, and a face PCA.

Everything the method needs to know about faces in general, derived from
training subjects photographed under known lights (Extended Yale B) and never
from the persons to be recognised:

* mean surface normals n-bar by photometric stereo (``docs/ALGORITHM.md`` section 2),
  with the per-pixel covariance of the subjects' normals around that mean, which
  sets the noise level of the LMMSE albedo estimator;
* the eye centres of the canonical frame, measured on the mean frontal face;
* a principal-component model of high-resolution faces, from which the PCA
  features of any probe resolution are derived exactly (the degradation is
  linear: the covariance at resolution r x c is B C_HR B^T).

The application ships one model derived from all 38 subjects
(``resources/face_model.npz``, made by ``scripts/derive_face_model.py``); the
benchmark derives its own from the training half of each fold.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ..files.datafile import read_data_file, write_data_file
from ..errors import ResourceError
from .frame import FRAME_SHAPE, degrade

FORMAT = "slrfr-face-model"
FORMAT_VERSION = 2

#: Grey levels at or below this count as shadow in photometric stereo.
SHADOW_LEVEL = 0.03
#: Grey levels at or above this count as saturated.
SATURATION_LEVEL = 0.98
#: A learned mean shading image stands in for a light within this angle (degrees)
#: of its training light (the nine points of light lie within 30 degrees of
#: Extended Yale B's flashes).
SHADING_MATCH_DEG = 31.0


def photometric_stereo(images: np.ndarray, lights: np.ndarray, min_images: int = 4):
    """Per-pixel Lambertian photometric stereo: I_j = b^T s_j, b = albedo * normal.

    Solves, for every pixel, the least-squares problem over the images in which
    that pixel is neither in shadow nor saturated, then once more after dropping
    the images the first fit puts in attached shadow (b^T s <= 0).

    Parameters
    ----------
    images : ndarray of shape (n, rows, columns)
        One subject under n known lights, grey levels in [0, 1].
    lights : ndarray of shape (n, 3)
        Light vectors in (image-right, image-up, toward-camera) coordinates.
    min_images : int
        Pixels lit in fewer images are marked invalid.

    Returns
    -------
    normals : ndarray of shape (rows, columns, 3), float64
        Unit surface normals (zero where invalid).
    albedo : ndarray of shape (rows, columns), float64
        |b| (zero where invalid).
    valid : ndarray of shape (rows, columns), bool
    """
    n, rows, cols = images.shape
    intensities = images.reshape(n, -1)  # (n, P)
    lights = np.asarray(lights, dtype=np.float64)
    weights = ((intensities > SHADOW_LEVEL) & (intensities < SATURATION_LEVEL)).astype(np.float64)
    b = np.zeros((rows * cols, 3))
    for _ in range(2):
        # Normal equations per pixel: (sum_j w_pj s_j s_j^T) b_p = sum_j w_pj I_pj s_j.
        gram = np.einsum("jp,ja,jb->pab", weights, lights, lights)
        rhs = np.einsum("jp,jp,ja->pa", weights, intensities, lights)
        count = weights.sum(axis=0)
        ok = (count >= min_images) & (np.linalg.cond(gram) < 1e6)
        b[:] = 0.0
        b[ok] = np.linalg.solve(gram[ok], rhs[ok][..., None])[..., 0]
        shading = lights @ b.T  # (n, P)
        weights = weights * (shading > 0)
    albedo = np.linalg.norm(b, axis=1)
    valid = ok & (albedo > 1e-6)
    normals = np.zeros_like(b)
    normals[valid] = b[valid] / albedo[valid, None]
    return normals.reshape(rows, cols, 3), albedo.reshape(rows, cols), valid.reshape(rows, cols)


def _find_eye_centres(mean_face: np.ndarray) -> np.ndarray:
    """Eye centres (x, y) in frame pixels, from a mean frontal face of shape (48, 40).

    Looks for the darkest blob (the pupil and lashes) in each upper quadrant of
    the face after smoothing, refined to sub-pixel precision by the intensity-
    weighted centroid of its 3 x 3 neighbourhood. The left entry is the eye on
    the image's left.
    """
    import cv2

    rows, cols = mean_face.shape
    smooth = cv2.GaussianBlur(mean_face, (0, 0), 1.0)
    centres = []
    top, bottom = int(rows * 0.2), int(rows * 0.55)
    for lo, hi in ((int(cols * 0.1), cols // 2), (cols // 2, int(cols * 0.9))):
        window = smooth[top:bottom, lo:hi]
        r, c = np.unravel_index(np.argmin(window), window.shape)
        r, c = r + top, c + lo
        r0, r1, c0, c1 = max(r - 1, 0), min(r + 2, rows), max(c - 1, 0), min(c + 2, cols)
        patch = smooth[r0:r1, c0:c1]
        weight = patch.max() - patch + 1e-9
        yy, xx = np.mgrid[r0:r1, c0:c1]
        centres.append(((weight * xx).sum() / weight.sum(), (weight * yy).sum() / weight.sum()))
    return np.asarray(centres)


@dataclass
class FaceModel:
    """Generic face knowledge in the 48 x 40 frame (see the module docstring).

    Attributes
    ----------
    normals : ndarray of shape (48, 40, 3), float64
        Mean unit surface normals n-bar, (image-right, image-up, toward-camera).
    normal_cov : ndarray of shape (48, 40, 3, 3), float64
        Covariance of the training subjects' normals around n-bar, per pixel.
    face_mask : ndarray of shape (48, 40), bool
        Pixels whose normals agree across subjects (used to estimate lights).
    eye_centres : ndarray of shape (2, 2), float64
        (x, y) of the image-left and image-right eye centres, in frame pixels
        (pixel centres at integers).
    pca_mean : ndarray of shape (48 * 40,), float64
        Mean training face, grey levels.
    pca_components : ndarray of shape (m, 48 * 40), float64
        Orthonormal principal axes of the training faces, largest first.
    pca_std : ndarray of shape (m,), float64
        Standard deviation along each axis.
    subjects : list of int
        Training subjects the model was derived from.
    albedo_mean : ndarray of shape (48 * 40,), float64
        Mean albedo map of the training subjects (photometric stereo |b|).
    albedo_components : ndarray of shape (q, 48 * 40), float64
        Orthonormal principal axes of the subjects' albedo maps.
    albedo_std : ndarray of shape (q,), float64
        Standard deviation along each albedo axis. With the mean normals this
        is a generative model of fictional faces (:mod:`slrfr_gui.demo.synthetic`).
    shading_lights : ndarray of shape (L, 3), float64
        The training lights (unit vectors) for which ``shading`` is known.
    shading : ndarray of shape (L, 48, 40), float64
        Mean shading image under each training light: per pixel, the least-
        squares S in I_t = rho_t * S over the training subjects t (rho_t their
        photometric-stereo albedo). Unlike max(n-bar^T s, 0) it holds the mean
        face's cast shadows (nose, brows) and ambient light. Empty when unknown.
    """

    normals: np.ndarray
    normal_cov: np.ndarray
    face_mask: np.ndarray
    eye_centres: np.ndarray
    pca_mean: np.ndarray
    pca_components: np.ndarray
    pca_std: np.ndarray
    subjects: list
    albedo_mean: np.ndarray
    albedo_components: np.ndarray
    albedo_std: np.ndarray
    shading_lights: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    shading: np.ndarray = field(default_factory=lambda: np.zeros((0, *FRAME_SHAPE)))

    # ------------------------------------------------------------------ derive
    @classmethod
    def from_training(cls, images, subjects, lights, n_pca: int = 400, frontal=None) -> "FaceModel":
        """Derive the model from training subjects under known lights.

        Parameters
        ----------
        images : ndarray of shape (n, 48, 40)
            Grey levels in [0, 1], in the canonical frame.
        subjects : ndarray of shape (n,)
            Subject identifier of each image.
        lights : ndarray of shape (n, 3)
            Unit light vectors (see :func:`slrfr_gui.method.relight.light_vector`).
        n_pca : int
            Principal components kept (the LR PCA derived from them is exact
            while n_pca covers the training variance).
        frontal : ndarray of shape (n,), bool, optional
            Images lit from the camera axis, averaged to locate the eyes;
            by default those whose light is within 5 degrees of the axis.
        """
        images = np.asarray(images, dtype=np.float64)
        subjects = np.asarray(subjects)
        lights = np.asarray(lights, dtype=np.float64)
        if images.ndim != 3 or images.shape[1:] != FRAME_SHAPE:
            raise ValueError(f"images must have shape (n, 48, 40), got {images.shape}")
        ids = sorted(set(subjects.tolist()))
        per_subject, valid, albedos = [], [], []
        # Mean shading per light direction: sum_t rho_t I_t / sum_t rho_t^2.
        light_keys = [tuple(np.round(v, 6)) for v in lights]
        distinct = sorted(set(light_keys))
        index = {key: i for i, key in enumerate(distinct)}
        shade_num = np.zeros((len(distinct), *FRAME_SHAPE))
        shade_den = np.zeros((len(distinct), *FRAME_SHAPE))
        for sid in ids:
            sel = subjects == sid
            normals, albedo, ok = photometric_stereo(images[sel], lights[sel])
            per_subject.append(normals)
            valid.append(ok)
            albedos.append(albedo)
            rho = np.where(ok, albedo, 0.0)
            for i in np.flatnonzero(sel):
                shade_num[index[light_keys[i]]] += rho * images[i]
                shade_den[index[light_keys[i]]] += rho**2
        shading = shade_num / np.maximum(shade_den, 1e-9)
        shading_lights = np.array(distinct, dtype=np.float64).reshape(-1, 3)
        shading_lights /= np.maximum(np.linalg.norm(shading_lights, axis=1, keepdims=True), 1e-12)
        per_subject = np.stack(per_subject)  # (S, 48, 40, 3)
        valid = np.stack(valid).astype(np.float64)  # (S, 48, 40)
        count = np.maximum(valid.sum(axis=0), 1.0)
        mean = (per_subject * valid[..., None]).sum(axis=0) / count[..., None]
        resultant = np.linalg.norm(mean, axis=-1)
        normals = np.where(resultant[..., None] > 1e-9, mean / np.maximum(resultant, 1e-9)[..., None], 0.0)
        normals[resultant <= 1e-9] = (0.0, 0.0, 1.0)
        dev = (per_subject - normals[None]) * valid[..., None]
        normal_cov = np.einsum("shwa,shwb->hwab", dev, dev) / count[..., None, None]
        face_mask = (resultant > 0.9) & (valid.mean(axis=0) > 0.9)

        if frontal is None:
            frontal = np.degrees(np.arccos(np.clip(lights[:, 2], -1, 1))) < 5.0
        frontal = np.asarray(frontal, dtype=bool)
        eye_centres = _find_eye_centres(images[frontal].mean(axis=0) if frontal.any() else images.mean(axis=0))

        flat = images.reshape(len(images), -1)
        pca_mean = flat.mean(axis=0)
        _, sing, vt = np.linalg.svd(flat - pca_mean, full_matrices=False)
        m = min(n_pca, len(sing))
        pca_std = sing[:m] / np.sqrt(max(len(flat) - 1, 1))
        # Albedo maps: fill pixels photometric stereo could not solve from the mean.
        albedos = np.stack(albedos).reshape(len(ids), -1)
        ok = valid.reshape(len(ids), -1) > 0
        counts = np.maximum(ok.sum(axis=0), 1)
        albedo_mean = np.where(ok, albedos, 0.0).sum(axis=0) / counts
        albedos = np.where(ok, albedos, albedo_mean)
        albedo_mean = albedos.mean(axis=0)
        _, a_sing, a_vt = np.linalg.svd(albedos - albedo_mean, full_matrices=False)
        q = max(len(ids) - 1, 1)
        albedo_std = a_sing[:q] / np.sqrt(max(len(ids) - 1, 1))
        return cls(normals, normal_cov, face_mask, eye_centres, pca_mean, vt[:m], pca_std, [int(s) for s in ids],
                   albedo_mean, a_vt[:q], albedo_std, shading_lights, shading)

    def shading_for(self, lights) -> np.ndarray:
        """Shading images for unit light vectors, shape (k, 48, 40).

        The mean shading of the nearest training light where one lies within
        :data:`SHADING_MATCH_DEG`, else the Lambertian max(n-bar^T s, 0).
        """
        lights = np.asarray(lights, dtype=np.float64).reshape(-1, 3)
        cache = self.__dict__.setdefault("_shading_cache", {})
        key = lights.tobytes()
        if key not in cache:  # the same nine lights serve every gallery image
            if len(cache) > 16:
                cache.clear()
            cache[key] = self._shading_for(lights)
            cache[key].flags.writeable = False
        return cache[key]

    def _shading_for(self, lights: np.ndarray) -> np.ndarray:
        unit = lights / np.maximum(np.linalg.norm(lights, axis=1, keepdims=True), 1e-12)
        out = np.maximum(np.einsum("hwa,ka->khw", self.normals, unit), 0.0)
        if len(self.shading_lights):
            cos = unit @ self.shading_lights.T
            nearest = np.argmax(cos, axis=1)
            close = cos[np.arange(len(unit)), nearest] >= np.cos(np.radians(SHADING_MATCH_DEG))
            out[close] = self.shading[nearest[close]]
        return out

    # -------------------------------------------------------------- LR PCA
    def lr_pca(self, resolution, n_components=None, energy: float = 0.999):
        """PCA of the training faces degraded to ``resolution``.

        The degradation B is linear, so the low-resolution covariance is
        B U diag(std^2) U^T B^T; its eigenvectors come from the SVD of
        B U diag(std) without touching any image.

        Parameters
        ----------
        resolution : (int, int)
            Probe size, rows x columns.
        n_components : int, optional
            Components kept; by default the fewest that keep ``energy`` of the
            variance, and at least min(20, r * c).
        energy : float
            Fraction of variance kept when ``n_components`` is None.

        Returns
        -------
        mean : ndarray of shape (r * c,)
        basis : ndarray of shape (r * c, p)
            Orthonormal columns, largest variance first.
        std : ndarray of shape (p,)
        """
        r, c = int(resolution[0]), int(resolution[1])
        key = (r, c, n_components, energy)
        cache = self.__dict__.setdefault("_lr_pca_cache", {})
        if key not in cache:
            cache[key] = self._lr_pca(r, c, n_components, energy)
        mean, basis, std = cache[key]
        return mean.copy(), basis.copy(), std.copy()

    def _lr_pca(self, r, c, n_components, energy):
        mean = degrade(self.pca_mean.reshape(FRAME_SHAPE), (r, c)).ravel()
        comps = degrade(self.pca_components.reshape(-1, *FRAME_SHAPE), (r, c)).reshape(len(self.pca_std), -1)
        u, sing, _ = np.linalg.svd((comps * self.pca_std[:, None]).T, full_matrices=False)
        d = r * c
        if n_components is None:
            cum = np.cumsum(sing**2) / max(np.sum(sing**2), 1e-300)
            p = int(np.searchsorted(cum, energy) + 1)
            p = max(p, min(20, d))
        else:
            p = int(n_components)
        p = min(p, d, len(sing))
        return mean, u[:, :p], sing[:p]

    # -------------------------------------------------------------- file I/O
    _ARRAYS = ("normals", "normal_cov", "face_mask", "eye_centres", "pca_mean", "pca_components", "pca_std",
               "albedo_mean", "albedo_components", "albedo_std", "shading_lights", "shading")

    def save(self, path) -> None:
        """Write the model as a data file (``.npz``, no pickled objects), atomically."""
        arrays = {name: np.asarray(getattr(self, name)) for name in self._ARRAYS}
        arrays["pca_components"] = arrays["pca_components"].astype(np.float32)
        arrays["normal_cov"] = arrays["normal_cov"].astype(np.float32)
        arrays["shading"] = arrays["shading"].astype(np.float32)
        write_data_file(path, arrays, {"subjects": self.subjects}, FORMAT, FORMAT_VERSION, ResourceError)

    @classmethod
    def load(cls, path) -> "FaceModel":
        """Read a model written by :meth:`save`.

        Raises
        ------
        ResourceError
            Missing, damaged, or not a face model file.
        """
        arrays, meta = read_data_file(path, FORMAT, FORMAT_VERSION, ResourceError, "face model file",
                                      "reinstall slrfr-gui or run scripts/derive_face_model.py")
        try:
            kwargs = {name: arrays[name].astype(bool if name == "face_mask" else np.float64) for name in cls._ARRAYS}
        except KeyError as exc:
            raise ResourceError(f"{path}: face model lacks the array {exc}") from None
        return cls(subjects=list(meta.get("subjects", [])), **kwargs)


@functools.cache
def default_face_model() -> FaceModel:
    """The face model shipped with the application (derived from all 38 Yale B subjects), read once."""
    from ..files.resources import resource_path

    return FaceModel.load(resource_path("face_model.npz"))
