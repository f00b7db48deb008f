"""Model files: a trained :class:`SLRFRClassifier` as data, never code.

A model file is a NumPy ``.npz`` archive read with ``allow_pickle=False``: the
arrays, plus one ``metadata`` array holding UTF-8 JSON (format name, version,
resolution, parameters, person names, a SHA-256 over the arrays). It is
written to a temporary file in the same folder, flushed, synced and renamed,
so an interrupted save leaves any previous file intact.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .. import __version__
from .classifier import SLRFRClassifier
from .datafile import read_data_file, write_data_file
from .errors import ModelFileError
from .lighting import LightingMetric

FORMAT = "slrfr-model"
FORMAT_VERSION = 4
_PARAMS = ("n_atoms", "sparsity", "n_iter", "n_components", "include_input", "normalize", "random_state",
           "features", "learned_shading", "relighting", "alignment_shift", "framing", "unrelit_hypothesis")


def save_model(model: SLRFRClassifier, path, thumbnails=None) -> Path:
    """Write a fitted classifier to ``path`` atomically.

    Parameters
    ----------
    model : SLRFRClassifier
        Fitted.
    path : path
        Output file (``.npz`` is customary).
    thumbnails : ndarray of shape (n_persons, 48, 40), optional
        One face per person (in ``classes_`` order) to show beside matches.

    Returns
    -------
    Path

    Raises
    ------
    ModelFileError
        The model is not fitted, or the file cannot be written.
    """
    path = Path(path)
    if not hasattr(model, "classes_"):
        raise ModelFileError("cannot save a model that is not trained yet")
    if getattr(model, "mode", "slrfr") == "outdoor":
        return _save_outdoor(model, path, thumbnails)
    arrays = {
        "pca_mean": model.pca_mean_,
        "pca_basis": model.pca_basis_,
        "bases": model.bases_,
        "metric_templates": model.metric_.templates,
        "metric_transforms": model.metric_.transforms,
        **({} if model.metric_.means is None else {"metric_means": model.metric_.means}),
        "basis_offsets": model.basis_offsets_.astype(np.int64),
        "dictionaries": np.concatenate(model.dictionaries_, axis=1),
        "atom_offsets": np.cumsum([0] + [d.shape[1] for d in model.dictionaries_]).astype(np.int64),
    }
    if thumbnails is not None:
        arrays["thumbnails"] = _thumbnail_array(model, thumbnails)
    meta = {
        "software": f"slrfr-gui {__version__}",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "resolution": list(model.resolution_),
        "params": {name: getattr(model, name) for name in _PARAMS},
        "persons": [str(c) for c in model.classes_],
        "classifier": "slrfr",
        "regime": model.regime_,
        "gamma": model.gamma_,
        "metric_source": model.metric_source_,
        "metric_centred": bool(model.metric_.centred),
        **({"framing": model.framing_.to_json()} if getattr(model, "framing_", None) is not None else {}),
    }
    return write_data_file(path, arrays, meta, FORMAT, FORMAT_VERSION, ModelFileError)


def _thumbnail_array(model, thumbnails):
    thumbs = np.asarray(thumbnails, dtype=np.float32)
    if thumbs.shape != (len(model.classes_), 48, 40):
        raise ModelFileError(f"thumbnails must have shape ({len(model.classes_)}, 48, 40), got {thumbs.shape}")
    return thumbs


def _save_outdoor(model, path: Path, thumbnails) -> Path:
    arrays = {"bases": model.bases_, "basis_offsets": model.basis_offsets_.astype(np.int64),
              "coef": model.coef_, "intercept": model.intercept_}
    if thumbnails is not None:
        arrays["thumbnails"] = _thumbnail_array(model, thumbnails)
    meta = {
        "software": f"slrfr-gui {__version__}",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "classifier": "outdoor",
        "resolution": list(model.resolution_),
        "params": {"n_basis": model.n_basis, "C": model.C},
        "persons": [str(c) for c in model.classes_],
        "regime": model.regime_,
    }
    return write_data_file(path, arrays, meta, FORMAT, FORMAT_VERSION, ModelFileError)


def _load_outdoor(path, arrays, meta):
    from .outdoor import OutdoorClassifier

    try:
        params = {k: v for k, v in meta["params"].items() if k in ("n_basis", "C")}
        model = OutdoorClassifier(resolution=tuple(meta["resolution"]), **params)
        model.resolution_ = tuple(int(v) for v in meta["resolution"])
        model.classes_ = np.array(meta["persons"], dtype=str)
        model.bases_ = arrays["bases"].astype(np.float64)
        model.basis_offsets_ = arrays["basis_offsets"].astype(np.int64)
        model.coef_ = arrays["coef"].astype(np.float64)
        model.intercept_ = arrays["intercept"].astype(np.float64)
        model.regime_ = "outdoor"
        r, c = model.resolution_
        n = len(model.classes_)
        ok = (model.bases_.shape[0] == r * c and len(model.basis_offsets_) == n + 1
              and model.basis_offsets_[-1] == model.bases_.shape[1]
              and model.coef_.shape == (n, model.bases_.shape[1]) and model.intercept_.shape == (n,)
              and np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.bases_)))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFileError(f"{path}: model file is incomplete ({exc})") from None
    if not ok:
        raise ModelFileError(f"{path}: model file arrays do not fit together; enroll the gallery again")
    return model


def load_model(path):
    """Read a model file written by :func:`save_model`.

    Returns
    -------
    model : SLRFRClassifier
        Fitted, ready for ``residuals``/``predict``.
    thumbnails : ndarray of shape (n_persons, 48, 40) or None

    Raises
    ------
    ModelFileError
        Missing, truncated or damaged file, a file of another kind, or an
        unknown format version. The message names the file.
    """
    arrays, meta = read_data_file(path, FORMAT, FORMAT_VERSION, ModelFileError, "slrfr model file",
                                  "enroll the gallery again")
    if meta.get("classifier", "slrfr") == "outdoor":
        model = _load_outdoor(path, arrays, meta)
        return model, _checked_thumbnails(path, model, arrays)
    try:
        params = {k: v for k, v in meta["params"].items() if k in _PARAMS}
        model = SLRFRClassifier(resolution=tuple(meta["resolution"]), **params)
        model.resolution_ = tuple(int(v) for v in meta["resolution"])
        model.classes_ = np.array(meta["persons"], dtype=str)
        model.pca_mean_ = arrays["pca_mean"].astype(np.float64)
        model.pca_basis_ = arrays["pca_basis"].astype(np.float64)
        bases = arrays["bases"]
        model.bases_ = bases if bases.dtype == np.float32 else bases.astype(np.float64)
        model.gamma_ = float(meta["gamma"])
        model.metric_source_ = str(meta.get("metric_source", "given"))
        means = arrays.get("metric_means")
        model.metric_ = LightingMetric(model.resolution_, str(model.features),
                                       arrays["metric_templates"].astype(np.float64),
                                       arrays["metric_transforms"].astype(np.float64),
                                       None if means is None else means.astype(np.float64),
                                       bool(meta.get("metric_centred", False)))
        model.basis_offsets_ = arrays["basis_offsets"].astype(np.int64)
        atom_offsets = arrays["atom_offsets"].astype(np.int64)
        dicts = arrays["dictionaries"].astype(np.float64)
        model.dictionaries_ = [dicts[:, a:b] for a, b in zip(atom_offsets[:-1], atom_offsets[1:])]
        model.regime_ = str(meta.get("regime", ""))
        if isinstance(meta.get("framing"), dict):
            from .framing import Framing

            f = meta["framing"]
            model.framing_ = Framing(float(f["cx"]), float(f["cy"]), float(f["scale"]), float(f["distance"]))
        r, c = model.resolution_
        p = model.pca_basis_.shape[1]
        n_clusters = len(model.metric_.templates)
        ok = (model.pca_mean_.shape == (r * c,) and model.pca_basis_.shape[0] == r * c
              and model.bases_.ndim == 2 and model.bases_.shape[0] == p
              and model.metric_.templates.shape == (n_clusters, p)
              and model.metric_.transforms.shape == (n_clusters, p, p)
              and len(model.basis_offsets_) == len(model.classes_) + 1
              and model.basis_offsets_[-1] == model.bases_.shape[1]
              and np.all(np.isfinite(model.metric_.transforms)) and np.all(np.isfinite(model.bases_))
              and (model.metric_.means is None or (model.metric_.means.shape == (n_clusters, p)
                                                   and np.all(np.isfinite(model.metric_.means))))
              and model.relighting in ("learned", "physical")
              and 0.0 <= model.gamma_ <= 1.0 and (model.gamma_ == 0.0) == (model.features == "log"))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFileError(f"{path}: model file is incomplete ({exc})") from None
    if not ok:
        raise ModelFileError(f"{path}: model file arrays do not fit together; enroll the gallery again")
    if len(set(model.classes_.tolist())) != len(model.classes_):
        raise ModelFileError(f"{path}: model file names a person twice; enroll the gallery again")
    return model, _checked_thumbnails(path, model, arrays)


def _checked_thumbnails(path, model, arrays):
    thumbs = arrays.get("thumbnails")
    if thumbs is not None and thumbs.shape != (len(model.classes_), 48, 40):
        raise ModelFileError(f"{path}: model file thumbnails have shape {thumbs.shape}; enroll the gallery again")
    return None if thumbs is None else thumbs.astype(np.float64)


def check_model_output(path) -> Path:
    """Refuse, before any work, to write a model where it would destroy something else.

    A model file name must end in ``.npz``; an existing file is overwritten only
    when it is itself a slrfr model file (it is read with :func:`load_model`).

    Parameters
    ----------
    path : path
        Where the model is to be written.

    Returns
    -------
    Path

    Raises
    ------
    ModelFileError
        The name does not end in ``.npz``, names a folder, or names an existing
        file that is not a slrfr model file (an image, a gallery, a damaged model).
    """
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{path}: is a folder; give a model file name ending in .npz")
    if path.suffix.lower() != ".npz":
        raise ModelFileError(f"{path}: model files end in .npz; give a name such as {path.stem or 'model'}.npz")
    if path.exists():
        try:
            load_model(path)
        except ModelFileError as exc:
            why = str(exc).removeprefix(f"{path}: ").split("; ")[0]
            raise ModelFileError(f"{path}: exists and is not a slrfr model file this version reads ({why}), so it"
                                 " was not overwritten; give another name, or remove the file first") from None
    return path


def read_metadata(path) -> dict:
    """The JSON metadata of a model file (validated as :func:`load_model` does)."""
    model, _ = load_model(path)
    return {"resolution": list(model.resolution_), "persons": list(model.classes_), "regime": model.regime_}
