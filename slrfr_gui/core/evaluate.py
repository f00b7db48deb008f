"""The accuracy benchmark ``yaleb-lr-v1`` of ``docs/PROTOCOL.md``.

Two folds (train on one half of the subjects, test on the other), and in each
a run per gallery light direction g of subsets S1 and S2: the one HR image of
every test subject under g is the gallery, every other usable image of the test
subjects, degraded to the probe size, is a probe. Figures are averaged over
the runs, each run weighted equally.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .classifier import LRPCANearestNeighbour, SLRFRClassifier
from .errors import Cancelled, DataSetError
from .facemodel import FaceModel
from .frame import check_resolution, degrade, format_resolution
from .yale import SUBSET_NAMES, YaleB, load_yale

PROTOCOLS = ("yaleb-lr-v1",)
DEFAULT_RESOLUTIONS = ((7, 6), (10, 8), (12, 10), (19, 16))
CMC_RANKS = 10
METHODS = ("SLRFR", "LR-PCA")


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
                   progress=None, should_stop=None, protocol: str = "yaleb-lr-v1") -> Evaluation:
    """Run ``yaleb-lr-v1`` for each resolution and method, in one pass.

    Parameters
    ----------
    data : path or YaleB
        The ``CroppedYale`` folder, or images already loaded with
        :func:`slrfr_gui.core.yale.load_yale` (a subset of subjects gives a
        smaller version of the protocol with the same rules).
    resolutions : sequence of (int, int)
        Probe sizes, rows x columns.
    methods : sequence of str
        Any of ``"SLRFR"``, ``"LR-PCA"``.
    classifier_params : dict, optional
        Keyword arguments for :class:`SLRFRClassifier`.
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
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; known: {', '.join(METHODS)}")
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
    fold_list = folds(yale.subjects)
    total = len(fold_list) * len(directions)
    # per (method, resolution): list of per-run dicts
    runs = {(m, r): [] for m in methods for r in resolutions}
    regimes = {r: set() for r in resolutions}
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

        t0 = time.perf_counter()
        relighter = SLRFRClassifier(face_model=model, **params)
        synthesized = dict(zip(gallery_rows, relighter.synthesize(test.images[gallery_rows])))
        stage["relight"] += time.perf_counter() - t0
        metrics = {}
        if "SLRFR" in methods and params.get("metric", "learned") is not None:
            t0 = time.perf_counter()
            metrics = _fold_metrics(train, model, directions, resolutions, params, relighter)
            stage["metric"] = stage.get("metric", 0.0) + time.perf_counter() - t0

        lr_images = {r: degrade(test.images, r) for r in resolutions}
        for g in directions:
            if should_stop is not None and should_stop():
                raise Cancelled("evaluation was cancelled")
            gal = np.array([i for i, d in enumerate(test_dirs) if d == g])
            gal_subjects = test.subjects[gal]
            missing = sorted(set(test_ids.tolist()) - set(gal_subjects.tolist()))
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
                    if method == "SLRFR":
                        clf = SLRFRClassifier(resolution=r, face_model=model,
                                              **{**params, "metric": metrics.get(r)})
                        clf.fit(test.images[gal], gal_subjects, synthesized=np.stack([synthesized[i] for i in gal]))
                        regimes[r].add(clf.regime_)
                    else:
                        clf = LRPCANearestNeighbour(resolution=r).fit(test.images[gal], gal_subjects)
                    t1 = time.perf_counter()
                    res = clf.residuals(probes)
                    t2 = time.perf_counter()
                    stage["train"] += t1 - t0
                    stage["identify"] += t2 - t1
                    ranks = true_ranks(res, clf.classes_, truth)
                    runs[(method, r)].append(_run_figures(ranks, probe_subsets))
            done += 1
            if progress is not None:
                progress(done, total)

    results = []
    for r in resolutions:
        for method in methods:
            results.append(_aggregate(method, r, runs[(method, r)],
                                      ", ".join(sorted(regimes[r])) if method == "SLRFR" else ""))
    return Evaluation(protocol, results, time.perf_counter() - start,
                      {k: round(v, 3) for k, v in stage.items()}, notes)


def _fold_metrics(train: YaleB, model: FaceModel, directions, resolutions, params, relighter) -> dict:
    """The lighting metric of each resolution, learned on the fold's training subjects only.

    Every training image lit from a gallery direction (S1, S2) is enrolled on
    its own; the subject's other images are its probes.
    """
    from .lighting import learn_for_classifier

    dirs = list(zip(train.azimuth.tolist(), train.elevation.tolist()))
    rows = [i for i, d in enumerate(dirs) if d in set(directions)]
    synthesized = relighter.synthesize(train.images[rows])
    conditions = train.azimuth * 1000 + train.elevation
    return {r: learn_for_classifier(train.images, train.subjects, conditions, rows, synthesized, r, params)
            for r in resolutions}


def _run_figures(ranks: np.ndarray, probe_subsets: np.ndarray) -> dict:
    out = {"rank1": float(np.mean(ranks == 1)),
           "cmc": [float(np.mean(ranks <= k)) for k in range(1, CMC_RANKS + 1)]}
    for i, name in enumerate(SUBSET_NAMES):
        sel = probe_subsets == i
        out[name] = float(np.mean(ranks[sel] == 1)) if sel.any() else float("nan")
    return out


def _aggregate(method, resolution, per_run: list, regime: str) -> MethodResult:
    rank1 = np.array([r["rank1"] for r in per_run])
    subsets, subsets_min = {}, {}
    for name in SUBSET_NAMES:
        vals = np.array([r[name] for r in per_run])
        vals = vals[np.isfinite(vals)]
        subsets[name] = float(vals.mean()) if vals.size else None
        subsets_min[name] = float(vals.min()) if vals.size else None
    cmc = np.mean([r["cmc"] for r in per_run], axis=0)
    return MethodResult(method, tuple(resolution), float(rank1.mean()), float(rank1.min()),
                        subsets, subsets_min, [float(v) for v in cmc], len(per_run), regime)
