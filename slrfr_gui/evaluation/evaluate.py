"""The accuracy benchmark ``yaleb-lr-v1`` of ``docs/PROTOCOL.md``.

Two folds (train on one half of the subjects, test on the other), and in each
a run per gallery light direction g of subsets S1 and S2: the one HR image of
every test subject under g is the gallery, every other usable image of the test
subjects, degraded to the probe size, is a probe. Figures are averaged over
the runs, each run weighted equally.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import numpy as np

from ..method.classifiers import make_classifier
from ..method.lrpca import LRPCANearestNeighbour
from ..method.physical import PhysicalRelightingClassifier
from ..errors import Cancelled, DataSetError
from ..faces.facemodel import FaceModel
from ..faces.frame import check_resolution, degrade, format_resolution
from .yale import SUBSET_NAMES, YaleB, load_yale

PROTOCOLS = ("yaleb-lr-v1",)
DEFAULT_RESOLUTIONS = ((7, 6), (10, 8), (12, 10), (19, 16))
CMC_RANKS = 10
#: The default methods: the method and the paper's simplest rival.
METHODS = ("SLRFR", "LR-PCA")
#: The rivals of ``--baselines`` (:mod:`slrfr_gui.evaluation.baselines`, :mod:`slrfr_gui.method.outdoor`).
BASELINES = ("LR-PCA relit", "Bicubic+PCA", "Fisherfaces relit", "LBP", "CLPM", "SLRFR-outdoor", "PCA+LDA+SVM")
#: ``--ablation``: SLRFR with one component switched off (classifier parameters changed). The
#: default relights by the learned mean log ratio; "SLRFR physical" is the paper's synthesis (nine
#: Lambertian relit images, a dictionary of them) with this project's additions, which the
#: "physical -..." variants switch off one by one; "SLRFR paper" has none of them.
_PHYSICAL = {"relighting": "physical", "features": "sqrt"}
ABLATIONS = {
    "SLRFR -learned relighting": {"metric": None},
    "SLRFR physical": dict(_PHYSICAL),
    "SLRFR physical -metric": {**_PHYSICAL, "metric": None},
    "SLRFR physical -sqrt": {**_PHYSICAL, "features": "pca"},
    "SLRFR physical -shading": {**_PHYSICAL, "learned_shading": False},
    "SLRFR physical -input": {**_PHYSICAL, "include_input": False},
    "SLRFR paper": {"relighting": "physical", "metric": None, "features": "pca", "learned_shading": False},
    "SLRFR -extra-personal": {},
    "SLRFR -mirror": {},
    "SLRFR -alignment search": {"alignment_shift": 0.0},
    "SLRFR -unrelit hypothesis": {"unrelit_hypothesis": False},
}
#: Ablations of how the learned relighting is learned (:func:`~slrfr_gui.method.lighting.learn_ratio_metric`):
#: the plain Mahalanobis distance instead of the Bayesian intra/extra-personal one; no mirrored training faces.
METRIC_ABLATIONS = {"SLRFR -extra-personal": {"extra_weight": 0.0}, "SLRFR -mirror": {"mirror": False}}
ALL_METHODS = METHODS + BASELINES + tuple(ABLATIONS)
OPEN_SET_FPIR = (0.01, 0.1)
#: The open-set test needs this many subjects in each fold half (half enrolled, the ratio needs two named).
OPEN_SET_MIN_HALF = 3
#: The probes of S1, S2 and S3 taken together, per run (a key of ``MethodResult.subsets``).
NEAR_FRONTAL = "S1-S3"


@dataclass
class MethodResult:
    """Figures of one method at one resolution (rates are fractions)."""

    method: str
    resolution: tuple
    rank1: float
    rank1_min: float
    subsets: dict
    subsets_min: dict
    cmc: list
    runs: int
    regime: str = ""
    open_set: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "method": self.method,
            "resolution": format_resolution(self.resolution),
            "rank1": self.rank1,
            "rank1_min": self.rank1_min,
            "subsets": self.subsets,
            "subsets_min": self.subsets_min,
            "cmc": self.cmc,
            "runs": self.runs,
            **({"regime": self.regime} if self.regime else {}),
            **({"open_set": self.open_set} if self.open_set else {}),
        }


@dataclass
class Evaluation:
    """Everything one ``evaluate`` run measured."""

    protocol: str
    results: list
    seconds: float
    stage_seconds: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "protocol": self.protocol,
            "results": [r.to_json() for r in self.results],
            "seconds": self.seconds,
            "stage_seconds": self.stage_seconds,
            "notes": self.notes,
        }


def true_ranks(residuals: np.ndarray, classes: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Rank (1 = best) of each probe's true person, ties counted against it.

    Parameters
    ----------
    residuals : ndarray of shape (n_probes, n_persons)
    classes : ndarray of shape (n_persons,)
    truth : ndarray of shape (n_probes,)

    Returns
    -------
    ndarray of shape (n_probes,), int
    """
    col = np.searchsorted(classes, truth)
    own = residuals[np.arange(len(truth)), col]
    return np.sum(residuals <= own[:, None], axis=1)


def folds(subjects) -> list[tuple[np.ndarray, np.ndarray]]:
    """The two folds: (train subjects, test subjects), halves of the sorted subject numbers."""
    ids = np.array(sorted(set(int(s) for s in subjects)))
    half = len(ids) // 2
    a, b = ids[:half], ids[half:]
    return [(a, b), (b, a)]


def evaluate_yaleb(data, resolutions=DEFAULT_RESOLUTIONS, methods=METHODS, classifier_params=None,
                   progress=None, should_stop=None, protocol: str = "yaleb-lr-v1",
                   open_set: bool = False) -> Evaluation:
    """Run ``yaleb-lr-v1`` for each resolution and method, in one pass.

    Parameters
    ----------
    data : path or YaleB
        The ``CroppedYale`` folder, or images already loaded with
        :func:`slrfr_gui.evaluation.yale.load_yale` (a subset of subjects gives a
        smaller version of the protocol with the same rules).
    resolutions : sequence of (int, int)
        Probe sizes, rows x columns.
    methods : sequence of str
        Any of :data:`ALL_METHODS`: ``"SLRFR"``, ``"LR-PCA"``, the
        :data:`BASELINES` and the :data:`ABLATIONS`.
    classifier_params : dict, optional
        Keyword arguments for :class:`SLRFRClassifier` (every SLRFR variant).
    open_set : bool
        Also measure open-set identification for ``"SLRFR"``: in every run
        half the test subjects are left out of the gallery; the thresholds
        for FPIR 0.01 and 0.1 are calibrated on the fold's training subjects.
    progress : callable(done, total), optional
        Called after each run.
    should_stop : callable() -> bool, optional

    Returns
    -------
    Evaluation

    Raises
    ------
    DataSetError
        The folder is missing or not Extended Yale B.
    ValueError
        Unknown protocol or method, or a bad resolution.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")
    unknown = [m for m in methods if m not in ALL_METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; known: {', '.join(ALL_METHODS)}")
    resolutions = [check_resolution(r) for r in resolutions]
    params = dict(classifier_params or {})
    start = time.perf_counter()
    yale = data if isinstance(data, YaleB) else load_yale(data)
    stage = {"load": time.perf_counter() - start, "face_model": 0.0, "relight": 0.0, "train": 0.0, "identify": 0.0}
    notes = []

    subsets = yale.subsets
    directions = sorted({(int(a), int(e)) for a, e, s in zip(yale.azimuth, yale.elevation, subsets) if s <= 1})
    if not directions:
        raise DataSetError("no image lit from subsets S1-S2 found; cannot form galleries")
    n_subjects = len(set(yale.subjects.tolist()))
    if n_subjects < 4:
        raise DataSetError(f"{n_subjects} subject(s) found; the protocol needs at least 4 (two per fold half),"
                           " and its figures are defined for all 38 of Extended Yale B")
    if n_subjects != 38:
        notes.append(f"{n_subjects} subjects, not 38: a reduced version of the protocol, not comparable with"
                     " the full benchmark's figures")
    if yale.resized:
        notes.append(f"{yale.resized} image(s) were not 192x168 and were resized to it before the protocol's crop")
    fold_list = folds(yale.subjects)
    if open_set and min(len(a) for a, _ in fold_list) < OPEN_SET_MIN_HALF:
        notes.append(f"open set skipped: it needs at least {OPEN_SET_MIN_HALF} subjects in each half (half of them"
                     " enrolled, at least two of them named), and this set has"
                     f" {min(len(a) for a, _ in fold_list)}")
        open_set = False
    total = len(fold_list) * len(directions)
    # per (method, resolution): list of per-run dicts
    runs = {(m, r): [] for m in methods for r in resolutions}
    regimes = {(m, r): set() for m in methods for r in resolutions}
    open_runs = {r: [] for r in resolutions}
    done = 0
    for fold_no, (train_ids, test_ids) in enumerate(fold_list, start=1):
        t0 = time.perf_counter()
        train = yale.select(np.isin(yale.subjects, train_ids))
        model = FaceModel.from_training(train.images, train.subjects, train.lights)
        stage["face_model"] += time.perf_counter() - t0
        test = yale.select(np.isin(yale.subjects, test_ids))
        test_dirs = list(zip(test.azimuth.tolist(), test.elevation.tolist()))
        gallery_lights = set(directions)
        gallery_rows = [i for i, d in enumerate(test_dirs) if d in gallery_lights]

        variants = {m: v for m in methods if (v := _variant_params(m, params)) is not None}
        needs_synthesis = bool(variants) or any(m in ("LR-PCA relit", "Fisherfaces relit") for m in methods)
        synthesized = {}  # (learned_shading, include_input) -> {row: signals}
        metrics = {}  # (method, resolution) -> LightingMetric or None
        t0 = time.perf_counter()
        shading_kinds = {_kind(v) for v in variants.values()} | ({_kind(params)} if needs_synthesis else set())
        relighters = {kind: PhysicalRelightingClassifier(face_model=model, learned_shading=kind[0],
                                                         include_input=kind[1])
                      for kind in shading_kinds}
        for kind, relighter in relighters.items():
            synthesized[kind] = dict(zip(gallery_rows, relighter.synthesize(test.images[gallery_rows])))
        stage["relight"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        train_synth = {}
        for name, vparams in variants.items():
            if vparams.get("metric", "learned") is None:
                continue
            kind = _kind(vparams)
            if kind not in train_synth:
                train_synth[kind] = _training_synthesis(train, directions, relighters[kind])
            for r in resolutions:
                metrics[(name, r)] = _learn_metric(train, train_synth[kind], r, {**vparams, "face_model": model},
                                                   **METRIC_ABLATIONS.get(name, {}))
        # A gallery found framed otherwise is scored by the generic metric: its Yale B part from this fold's
        # training subjects (the shipped one learned from all 38), its IMM part as shipped.
        generics = {r: functools.cache(functools.partial(_fold_generic_metric, train, directions, r))
                    for r in resolutions}  # derived only if some gallery of the fold needs it
        for name, vparams in variants.items():
            vparams["generic_metric"] = generics
        stage["metric"] = stage.get("metric", 0.0) + time.perf_counter() - t0
        thresholds = {}
        if open_set and "SLRFR" in variants:
            t0 = time.perf_counter()
            kind = _kind(variants["SLRFR"])
            if kind not in train_synth:
                train_synth[kind] = _training_synthesis(train, directions, relighters[kind])
            for r in resolutions:
                thresholds[r] = _calibrate_open_set(train, train_synth[kind], r, model, variants["SLRFR"],
                                                    metrics.get(("SLRFR", r)))
            if any(t is None for t in thresholds.values()):
                notes.append(f"fold {fold_no}: open set skipped: no gallery light has two or more enrolled training"
                             " subjects to calibrate the threshold on")
                thresholds = {}
            stage["open_set"] = stage.get("open_set", 0.0) + time.perf_counter() - t0
        train_faces = train.images

        lr_images = {r: degrade(test.images, r) for r in resolutions}
        for g in directions:
            if should_stop is not None and should_stop():
                raise Cancelled("evaluation was cancelled")
            gal = np.array([i for i, d in enumerate(test_dirs) if d == g], dtype=int)
            gal_subjects = test.subjects[gal]
            missing = sorted(set(test_ids.tolist()) - set(gal_subjects.tolist()))
            if len(set(gal_subjects.tolist())) < 2:
                notes.append(
                    f"fold {fold_no}, gallery A{g[0]:+04d}E{g[1]:+03d}: fewer than two test subjects have a usable"
                    " image under this light; the run is left out"
                )
                done += 1
                if progress is not None:
                    progress(done, total)
                continue
            if missing:
                notes.append(
                    f"fold {fold_no}, gallery A{g[0]:+04d}E{g[1]:+03d}: no usable image of subject(s) "
                    f"{', '.join(f'B{s:02d}' for s in missing)}; their probes are left out of this run"
                )
            probe_mask = np.isin(test.subjects, gal_subjects)
            probe_mask[gal] = False
            probes_idx = np.flatnonzero(probe_mask)
            truth = test.subjects[probes_idx]
            probe_subsets = test.subsets[probes_idx]
            for r in resolutions:
                probes = lr_images[r][probes_idx]
                for method in methods:
                    t0 = time.perf_counter()
                    if method in variants:
                        vparams = variants[method]
                        kind = _kind(vparams)
                        clf = make_classifier(resolution=r, face_model=model,
                                              **_at_resolution(vparams, r, metrics.get((method, r))))
                        clf.fit(test.images[gal], gal_subjects,
                                synthesized=np.stack([synthesized[kind][i] for i in gal]))
                        regimes[(method, r)].add(clf.regime_)
                    else:
                        clf = _rival(method, r, model, train_faces)
                        if method in ("LR-PCA relit", "Fisherfaces relit"):
                            clf.fit(test.images[gal], gal_subjects,
                                    synthesized=np.stack([synthesized[_kind(params)][i] for i in gal]))
                        else:
                            clf.fit(test.images[gal], gal_subjects)
                    t1 = time.perf_counter()
                    res = clf.residuals(probes)
                    t2 = time.perf_counter()
                    stage["train"] += t1 - t0
                    stage["identify"] += t2 - t1
                    ranks = true_ranks(res, clf.classes_, truth)
                    runs[(method, r)].append(_run_figures(ranks, probe_subsets))
                if thresholds:
                    run = _open_set_run(test, gal, probes_idx, lr_images[r], r, model, variants["SLRFR"],
                                        metrics.get(("SLRFR", r)), synthesized[_kind(variants["SLRFR"])],
                                        thresholds[r])
                    if run is not None:
                        open_runs[r].append(run)
            done += 1
            if progress is not None:
                progress(done, total)

    results = []
    for r in resolutions:
        for method in methods:
            result = _aggregate(method, r, runs[(method, r)], ", ".join(sorted(regimes[(method, r)])))
            if method == "SLRFR" and open_runs[r]:
                result.open_set = _aggregate_open_set(open_runs[r])
            results.append(result)
    return Evaluation(protocol, results, time.perf_counter() - start,
                      {k: round(v, 3) for k, v in stage.items()}, notes)


def _at_resolution(params: dict, resolution, metric) -> dict:
    """Classifier parameters of a variant at one resolution: its metric, and the fold's generic metric."""
    out = {**params, "metric": metric}
    generic = out.get("generic_metric")
    if isinstance(generic, dict):
        out["generic_metric"] = generic.get(tuple(resolution), "learned")
    return out


def _fold_generic_metric(train: YaleB, directions, resolution):
    """The generic metric with its lighting part from the fold's training subjects (mirrored too); None when
    no generic metric ships (the classifier then says so)."""
    from ..method.generic import compose_generic_metric, framed_lighting_covariance, shipped_generic_parts

    parts = shipped_generic_parts(resolution)
    if parts is None:
        return None
    dirs = list(zip(train.azimuth.tolist(), train.elevation.tolist()))
    rows = [i for i, d in enumerate(dirs) if d in set(directions)]
    light = framed_lighting_covariance(train.images, train.subjects, rows, resolution)
    return compose_generic_metric(parts["intra"], parts["extra"], light, resolution)


def _kind(params: dict) -> tuple:
    """What the synthesis of an SLRFR variant depends on: (learned_shading, include_input)."""
    return bool(params.get("learned_shading", True)), bool(params.get("include_input", True))


def _variant_params(method: str, params: dict):
    """Classifier parameters of an SLRFR variant, or None for a rival."""
    if method == "SLRFR":
        return dict(params)
    if method in ABLATIONS:
        return {**params, **ABLATIONS[method]}
    return None


def _rival(method: str, resolution, model: FaceModel, train_faces):
    from . import baselines
    from ..method import outdoor

    if method == "LR-PCA":
        return LRPCANearestNeighbour(resolution=resolution)
    if method == "LR-PCA relit":
        return baselines.RelitPCANearestNeighbour(resolution=resolution, face_model=model)
    if method == "Bicubic+PCA":
        return baselines.BicubicPCANearestNeighbour(resolution=resolution, face_model=model)
    if method == "Fisherfaces relit":
        return baselines.RelitFisherfaces(resolution=resolution, face_model=model)
    if method == "LBP":
        return baselines.LBPNearestNeighbour(resolution=resolution)
    if method == "CLPM":
        return baselines.CLPM(resolution=resolution, train_faces=train_faces, face_model=model)
    if method == "SLRFR-outdoor":
        return outdoor.OutdoorClassifier(resolution=resolution)
    if method == "PCA+LDA+SVM":
        return outdoor.PCALDASVM(resolution=resolution)
    raise ValueError(f"unknown method {method!r}")


def _training_synthesis(train: YaleB, directions, relighter) -> tuple:
    """Every training image lit from a gallery direction (S1, S2), with its synthesised signals."""
    dirs = list(zip(train.azimuth.tolist(), train.elevation.tolist()))
    rows = [i for i, d in enumerate(dirs) if d in set(directions)]
    return rows, relighter.synthesize(train.images[rows])


def _learn_metric(train: YaleB, synthesis, resolution, params, mirror: bool = True, **metric_params):
    """The lighting metric at ``resolution``, learned on the fold's training subjects only.

    Every training image lit from a gallery direction is enrolled on its own;
    the subject's other images are its probes. With ``mirror``, the learned
    relighting also learns from the training faces mirrored left to right.
    """
    from ..method.lighting import learn_for_classifier

    rows, signals = synthesis
    conditions = train.azimuth * 1000 + train.elevation
    mirrored = -train.azimuth * 1000 + train.elevation if mirror else None  # mirrored: azimuth negated
    return learn_for_classifier(train.images, train.subjects, conditions, rows, signals, resolution, params,
                                mirrored_conditions=mirrored, **metric_params)


def _open_set_scores(clf, lr_probes, truth):
    from ..method.openset import margin_ratio

    res = clf.residuals(lr_probes)
    scores = margin_ratio(res)
    mated = np.isin(truth, clf.classes_)
    correct = clf.classes_[np.argmin(res, axis=1)] == truth
    return scores, mated, correct


def _calibrate_open_set(train: YaleB, synthesis, resolution, model, params, metric) -> dict | None:
    """Thresholds for each FPIR in :data:`OPEN_SET_FPIR`, on the training subjects only.

    Half the training subjects (every other one) are enrolled from one image
    each under a gallery direction; all other training images are probes;
    the thresholds keep the strangers' acceptance at each FPIR. None when no
    gallery direction has two enrolled subjects (too few training subjects).
    """
    from ..method.openset import threshold_at_fpir

    rows, signals = synthesis
    ids = np.unique(train.subjects)
    enrolled = ids[::2]
    lr = degrade(train.images, resolution)
    dirs = sorted({(int(train.azimuth[i]), int(train.elevation[i])) for i in rows})
    nonmated = []
    for d in dirs[::3]:
        pick = [k for k, i in enumerate(rows) if (train.azimuth[i], train.elevation[i]) == d
                and train.subjects[i] in enrolled]
        if len(pick) < 2:
            continue
        gal = np.array([rows[k] for k in pick])
        clf = make_classifier(resolution=resolution, face_model=model, **_at_resolution(params, resolution, metric))
        clf.fit(train.images[gal], train.subjects[gal], synthesized=signals[pick])
        probes = np.setdiff1d(np.arange(len(train.images)), gal)
        scores, mated, _ = _open_set_scores(clf, lr[probes], train.subjects[probes])
        nonmated.append(scores[~mated])
    if not nonmated:
        return None
    nonmated = np.concatenate(nonmated)
    return {fpir: threshold_at_fpir(nonmated, fpir) for fpir in OPEN_SET_FPIR}


def _open_set_run(test: YaleB, gal, probes_idx, lr_images, resolution, model, params, metric,
                  synthesized, thresholds) -> dict | None:
    """One run of the open-set test: every other test subject of the gallery is left out (None when
    fewer than two would stay enrolled: the ratio needs a second person)."""
    from ..method.openset import fnir_at

    gal_subjects = test.subjects[gal]
    kept = np.unique(gal_subjects)[::2]
    if len(kept) < 2:
        return None
    g = gal[np.isin(gal_subjects, kept)]
    clf = make_classifier(resolution=resolution, face_model=model, **_at_resolution(params, resolution, metric))
    clf.fit(test.images[g], test.subjects[g], synthesized=np.stack([synthesized[i] for i in g]))
    scores, mated, correct = _open_set_scores(clf, lr_images[probes_idx], test.subjects[probes_idx])
    out = {}
    for fpir, t in thresholds.items():
        out[fpir] = {"threshold": t, "fpir": float(np.mean(scores[~mated] <= t)),
                     "fnir": fnir_at(t, scores[mated], correct[mated])}
    return out


def _aggregate_open_set(per_run: list) -> dict:
    out = {}
    for fpir in per_run[0]:
        out[f"{fpir:g}"] = {k: float(np.mean([r[fpir][k] for r in per_run])) for k in ("threshold", "fpir", "fnir")}
    return out


def _run_figures(ranks: np.ndarray, probe_subsets: np.ndarray) -> dict:
    out = {"rank1": float(np.mean(ranks == 1)),
           "cmc": [float(np.mean(ranks <= k)) for k in range(1, CMC_RANKS + 1)]}
    for i, name in enumerate(SUBSET_NAMES):
        sel = probe_subsets == i
        out[name] = float(np.mean(ranks[sel] == 1)) if sel.any() else float("nan")
    near = probe_subsets <= 2  # the probes of S1-S3 together (the "S1-S3 at 12x10" figure)
    out[NEAR_FRONTAL] = float(np.mean(ranks[near] == 1)) if near.any() else float("nan")
    return out


def _aggregate(method, resolution, per_run: list, regime: str) -> MethodResult:
    rank1 = np.array([r["rank1"] for r in per_run])
    subsets, subsets_min = {}, {}
    for name in SUBSET_NAMES + (NEAR_FRONTAL,):
        vals = np.array([r[name] for r in per_run])
        vals = vals[np.isfinite(vals)]
        subsets[name] = float(vals.mean()) if vals.size else None
        subsets_min[name] = float(vals.min()) if vals.size else None
    cmc = np.mean([r["cmc"] for r in per_run], axis=0)
    return MethodResult(method, tuple(resolution), float(rank1.mean()), float(rank1.min()),
                        subsets, subsets_min, [float(v) for v in cmc], len(per_run), regime)
