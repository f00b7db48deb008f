"""Model files: a trained classifier as data, never code.

A model file is a NumPy ``.npz`` archive read with ``allow_pickle=False``: the
arrays, plus one ``metadata`` array holding UTF-8 JSON (format name, version,
the class it holds, resolution, parameters, person names, a SHA-256 over the
arrays). It is written to a temporary file in the same folder, flushed, synced
and renamed, so an interrupted save leaves any previous file intact.

The class a file holds is named in its metadata (``"estimator"``: one of
:data:`~slrfr_gui.method.classifiers.ESTIMATORS`); files written before classes
were named (format 4, and format 5 up to slrfr-gui 0.1.0 as of issue 17) say it
by ``"classifier"`` (``"slrfr"`` or ``"outdoor"``) and the ``relighting``
parameter, and are read as before. The arrays are the same either way, so the
format version stays 5 and earlier versions of the application read the files
this one writes.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .. import __version__
from .classifiers import ESTIMATORS, slrfr_class
from .outdoor import OutdoorClassifier
from .slrfr import SLRFRClassifier
from ..files.datafile import read_data_file, write_data_file
from ..errors import ModelFileError
from .metric import LightingMetric

FORMAT = "slrfr-model"
#: Version 5 stores what version 4 repeated only once: no dictionaries equal to their bases, no
#: identity feature map, the shipped lighting metric in its compact eigen-form (a 304-person
#: model at 24x20: 209 MB -> 96 MB, the same residuals). Version 4 files still load.
FORMAT_VERSION = 5
READS = (4, 5)
_PARAMS = ("n_atoms", "sparsity", "n_iter", "n_components", "include_input", "normalize", "random_state",
           "features", "learned_shading", "relighting", "alignment_shift", "framing", "unrelit_hypothesis")


def save_model(model: SLRFRClassifier, path, thumbnails=None, progress=None, should_stop=None,
               references=None) -> Path:
    """Write a fitted classifier to ``path`` atomically.

    Parameters
    ----------
    model : SLRFRClassifier or OutdoorClassifier
        Fitted (:class:`~slrfr_gui.method.learned.LearnedRelightingClassifier`,
        :class:`~slrfr_gui.method.physical.PhysicalRelightingClassifier` or
        :class:`~slrfr_gui.method.outdoor.OutdoorClassifier`).
    path : path
        Output file (``.npz`` is customary).
    thumbnails : ndarray of shape (n_persons, 48, 40), optional
        One face per person (in ``classes_`` order) to show beside matches.
    progress : callable(done, total, stage), optional
        Bytes hashed and written (stage ``"save"``); called from the calling thread.
    should_stop : callable() -> bool, optional
        Polled between chunks; True raises :class:`~slrfr_gui.errors.Cancelled` (any previous
        file is left as it was).
    references : list of dict, optional
        How each gallery image became a reference (``GalleryImage.record()``: source, eye
        centres, how it was found, SHA-256 of the file), kept so that enrolling again gives
        the same references (``slrfr enroll --eyes-from MODEL``).

    Returns
    -------
    Path

    Raises
    ------
    ModelFileError
        The model is not fitted, or the file cannot be written.
    Cancelled
        ``should_stop`` returned True.
    """
    path = Path(path)
    if not hasattr(model, "classes_"):
        raise ModelFileError("cannot save a model that is not trained yet")
    extra = {} if references is None else {"references": list(references)}
    if getattr(model, "mode", "slrfr") == "outdoor":
        return _save_outdoor(model, path, thumbnails, progress, should_stop, extra)
    arrays = {"bases": model.bases_, "basis_offsets": model.basis_offsets_.astype(np.int64)}
    p = model.pca_basis_.shape[0]
    identity = model.pca_basis_.shape == (p, p) and not model.pca_mean_.any() and \
        np.array_equal(model.pca_basis_, np.eye(p))
    if not identity:  # the log and square-root features: the identity, made again on loading
        arrays.update(pca_mean=model.pca_mean_, pca_basis=model.pca_basis_)
    arrays.update(_metric_arrays(model.metric_))
    # A dictionary equal to its person's basis (every learned-relighting model, and the physical
    # relighting's nearest-subspace regime) is not stored twice.
    offsets = model.basis_offsets_
    own = [i for i, d in enumerate(model.dictionaries_)
           if not (d.shape == (model.bases_.shape[0], offsets[i + 1] - offsets[i])
                   and np.array_equal(d, model.bases_[:, offsets[i]:offsets[i + 1]]))]
    arrays["dictionary_persons"] = np.array(own, dtype=np.int64)
    if own:
        arrays["dictionaries"] = np.concatenate([model.dictionaries_[i] for i in own], axis=1)
        arrays["atom_offsets"] = np.cumsum([0] + [model.dictionaries_[i].shape[1] for i in own]).astype(np.int64)
    if thumbnails is not None:
        arrays["thumbnails"] = _thumbnail_array(model, thumbnails)
    meta = {
        "software": f"slrfr-gui {__version__}",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "resolution": list(model.resolution_),
        "requested_resolution": list(getattr(model, "requested_resolution_", model.resolution_)),
        "params": {name: getattr(model, name) for name in _PARAMS if hasattr(model, name)},
        "persons": [str(c) for c in model.classes_],
        "classifier": "slrfr",
        "estimator": type(model).__name__,
        "regime": model.regime_,
        "gamma": model.gamma_,
        "metric_source": model.metric_source_,
        "metric_centred": bool(model.metric_.centred),
        **extra,
        **({"framing": model.framing_.to_json()} if getattr(model, "framing_", None) is not None else {}),
    }
    return write_data_file(path, arrays, meta, FORMAT, FORMAT_VERSION, ModelFileError, progress, should_stop,
                           store_floats=True)


def _metric_arrays(metric: LightingMetric) -> dict:
    """The metric's arrays for a model file: the shipped compact form when it gives these very numbers."""
    from .lighting_resources import shipped_compact

    arrays = {"metric_templates": metric.templates}
    if metric.means is not None:
        arrays["metric_means"] = metric.means
    compact = shipped_compact(metric)
    if compact is None:
        arrays["metric_transforms"] = metric.transforms
    else:
        arrays.update({f"metric_compact_{k}": v for k, v in compact.items() if k in ("vectors", "values", "rest")})
    return arrays


def _metric_transforms(arrays: dict, resolution, features: str) -> np.ndarray:
    """The transforms a model file holds in full (version 4, metrics of one's own) or compact."""
    if "metric_transforms" in arrays:
        return arrays["metric_transforms"].astype(np.float64)
    from threadpoolctl import threadpool_limits

    from .lighting_resources import expand

    compact = {k: arrays[f"metric_compact_{k}"] for k in ("vectors", "values", "rest")}
    compact["templates"] = arrays["metric_templates"]
    with threadpool_limits(1):  # small QRs: BLAS threads only contend (0.2 s each on a loaded machine)
        return expand(compact, resolution, features).transforms


def _thumbnail_array(model, thumbnails):
    thumbs = np.asarray(thumbnails, dtype=np.float32)
    if thumbs.shape != (len(model.classes_), 48, 40):
        raise ModelFileError(f"thumbnails must have shape ({len(model.classes_)}, 48, 40), got {thumbs.shape}")
    return thumbs


def _save_outdoor(model, path: Path, thumbnails, progress=None, should_stop=None, extra=None) -> Path:
    arrays = {"bases": model.bases_, "basis_offsets": model.basis_offsets_.astype(np.int64),
              "coef": model.coef_, "intercept": model.intercept_}
    if thumbnails is not None:
        arrays["thumbnails"] = _thumbnail_array(model, thumbnails)
    meta = {
        "software": f"slrfr-gui {__version__}",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "classifier": "outdoor",
        "estimator": type(model).__name__,
        "resolution": list(model.resolution_),
        "params": {"n_basis": model.n_basis, "C": model.C},
        "persons": [str(c) for c in model.classes_],
        "regime": model.regime_,
        **(extra or {}),
    }
    return write_data_file(path, arrays, meta, FORMAT, FORMAT_VERSION, ModelFileError, progress, should_stop,
                           store_floats=True)


def _estimator_class(path, meta):
    """The class a model file holds: the one it names, or (files that name none) the one its classifier and
    relighting say."""
    name = meta.get("estimator")
    if name is not None:
        if name not in ESTIMATORS:
            raise ModelFileError(f"{path}: model file holds a {name!r}, which slrfr-gui {__version__} does not know"
                                 f" (written by {meta.get('software', 'another version')}); open it with that version,"
                                 " or enroll the gallery again")
        return ESTIMATORS[name]
    if meta.get("classifier", "slrfr") == "outdoor":
        return OutdoorClassifier
    params = meta.get("params")
    try:
        return slrfr_class(params.get("relighting", "learned") if isinstance(params, dict) else None)
    except ValueError as exc:
        raise ModelFileError(f"{path}: model file is incomplete ({exc}); enroll the gallery again") from None


def _load_outdoor(path, arrays, meta):
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
    arrays, meta = read_data_file(path, FORMAT, READS, ModelFileError, "slrfr model file",
                                  "enroll the gallery again")
    cls = _estimator_class(path, meta)
    if cls is OutdoorClassifier:
        model = _load_outdoor(path, arrays, meta)
        return model, _checked_thumbnails(path, model, arrays)
    try:
        names = set(cls._param_names()) & set(_PARAMS)
        params = {k: v for k, v in meta["params"].items() if k in names}
        model = cls(resolution=tuple(meta["resolution"]), **params)
        model.resolution_ = tuple(int(v) for v in meta["resolution"])
        model.requested_resolution_ = tuple(int(v) for v in meta.get("requested_resolution", model.resolution_))
        model.classes_ = np.array(meta["persons"], dtype=str)
        bases = arrays["bases"]
        model.bases_ = bases if bases.dtype == np.float32 else bases.astype(np.float64)
        if "pca_basis" in arrays or meta["version"] < 5:
            model.pca_mean_ = arrays["pca_mean"].astype(np.float64)
            model.pca_basis_ = arrays["pca_basis"].astype(np.float64)
        else:  # the identity feature map (log and square-root features)
            r, c = model.resolution_
            model.pca_mean_, model.pca_basis_ = np.zeros(r * c), np.eye(r * c)
        model.gamma_ = float(meta["gamma"])
        model.metric_source_ = str(meta.get("metric_source", "given"))
        means = arrays.get("metric_means")
        model.metric_ = LightingMetric(model.resolution_, str(model.features),
                                       arrays["metric_templates"].astype(np.float64),
                                       _metric_transforms(arrays, model.resolution_, str(model.features)),
                                       None if means is None else means.astype(np.float64),
                                       bool(meta.get("metric_centred", False)))
        model.basis_offsets_ = arrays["basis_offsets"].astype(np.int64)
        model.dictionaries_ = _dictionaries(arrays, model)
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
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, np.linalg.LinAlgError) as exc:
        raise ModelFileError(f"{path}: model file is incomplete ({exc})") from None
    if not ok:
        raise ModelFileError(f"{path}: model file arrays do not fit together; enroll the gallery again")
    if len(set(model.classes_.tolist())) != len(model.classes_):
        raise ModelFileError(f"{path}: model file names a person twice; enroll the gallery again")
    return model, _checked_thumbnails(path, model, arrays)


def _dictionaries(arrays, model) -> list:
    """Each person's dictionary: stored (version 4: all; version 5: those that differ from the basis)
    or the person's basis."""
    offsets = model.basis_offsets_
    n = len(model.classes_)
    own = arrays["dictionary_persons"].astype(np.int64) if "dictionary_persons" in arrays else np.arange(n)
    out = [model.bases_[:, offsets[i]:offsets[i + 1]].astype(np.float64) for i in range(n)] \
        if len(own) < n else [None] * n
    if len(own):
        atom_offsets = arrays["atom_offsets"].astype(np.int64)
        dicts = arrays["dictionaries"].astype(np.float64)
        if len(atom_offsets) != len(own) + 1 or np.any((own < 0) | (own >= n)):
            raise ValueError("dictionaries do not match their persons")
        for i, a, b in zip(own, atom_offsets[:-1], atom_offsets[1:]):
            out[i] = dicts[:, a:b]
    return out


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
    return {"resolution": list(model.resolution_),
            "requested_resolution": list(getattr(model, "requested_resolution_", model.resolution_)), "persons": list(model.classes_), "regime": model.regime_}
