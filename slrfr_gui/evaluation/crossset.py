"""The cross-set protocol ``cross-v1``: the application as shipped, on a face set it was never tuned on.

Any folder with one sub-folder per person (``docs/PROTOCOL.md``): the gallery
is each person's first image in name order, brought into the application as
its gallery loader brings any image (:func:`slrfr_gui.gallery.gallery.load_gallery`);
the probes are all their other images, each made from the stored image by the
protocol's degradation (:func:`slrfr_gui.faces.frame.degrade`: Gaussian blur
sigma_rows = 0.5 H / r, sigma_cols = 0.5 W / c, area resize to r x c).
Everything the application ships (face model, lighting and generic metrics,
the "unknown" thresholds) is used as shipped, so the figures say how the
defaults hold on faces they never saw. Rivals that learn from training faces
(CLPM) learn from the gallery, the only faces an application has.

The open set: every other person (in name order) is left out of the gallery,
then the others; each person's probes are scored against the half that
holds them or not; the "unknown" threshold is the shipped default for the
size, and the measured FPIR and FNIR are averaged over the two halves.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import Cancelled, DataSetError
from ..faces.frame import check_resolution, degrade

PROTOCOL = "cross-v1"
#: The default methods of ``cross-v1``: the application's default, the paper's physical relighting and the
#: simplest rival there is.
METHODS = ("SLRFR", "SLRFR physical", "NC-NN", "LR-PCA")
#: ``--ablation`` on ``cross-v1``: the default with one of this issue's changes switched off.
ABLATIONS = {
    "SLRFR canonical framing": {"framing": "canonical"},
    "SLRFR -unrelit hypothesis": {"unrelit_hypothesis": False},
    "SLRFR before cross-v1": {"framing": "canonical", "unrelit_hypothesis": False},
}


@dataclass
class FaceSet:
    """A folder-per-person face set split as ``cross-v1`` splits it.

    Attributes
    ----------
    persons : list of str
        Person folders with at least one image, sorted.
    gallery : ndarray of shape (n_persons, 48, 40)
        Each person's first image as the gallery loader enrols it.
    gallery_files : list of str
    probes : list of ndarray
        Every other image as stored (grey levels in [0, 1], any size).
    probe_persons : ndarray of shape (n_probes,)
    skipped : list of (str, str)
        Files not used, with the reason.
    """

    persons: list
    gallery: np.ndarray
    gallery_files: list
    probes: list
    probe_persons: np.ndarray
    skipped: list


def load_face_set(root) -> FaceSet:
    """Read a folder-per-person face set for ``cross-v1``.

    Raises
    ------
    DataSetError
        The folder is missing, holds no person folder with an image, or fewer
        than two persons, or no person with a second image (no probe).
    """
    from ..errors import GalleryError
    from ..gallery.gallery import load_gallery
    from ..files.imageio import read_grey

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gallery = load_gallery(root, warn=False)
    except GalleryError as exc:
        raise DataSetError(str(exc)) from None
    persons, faces, files, probes, probe_persons = [], [], [], [], []
    skipped = [(str(p), why) for p, why in gallery.skipped]
    for person in gallery.persons:
        images = gallery.images_of(person)
        if not images:
            continue
        persons.append(person)
        faces.append(images[0].face)
        files.append(images[0].source)
        for image in images[1:]:
            probes.append(read_grey(image.source))
            probe_persons.append(person)
    if len(persons) < 2:
        raise DataSetError(f"{root}: {len(persons)} person(s) with an image; cross-v1 needs at least two")
    if not probes:
        raise DataSetError(f"{root}: no person has a second image, so there is no probe; cross-v1 takes each"
                           " person's first image as the gallery and the others as probes")
    return FaceSet(persons, np.stack(faces), files, probes, np.array(probe_persons), skipped)


def evaluate_cross(data, resolutions, methods=METHODS, open_set: bool = True, progress=None, should_stop=None):
    """Run ``cross-v1`` on a face set for each resolution and method.

    Parameters
    ----------
    data : path or FaceSet
    resolutions : sequence of (int, int)
    methods : sequence of str
        Any of :data:`METHODS`, the rivals of ``--baselines``
        (:data:`slrfr_gui.evaluation.evaluate.BASELINES`) and :data:`ABLATIONS`.
    open_set : bool
        Also measure the default's open-set FPIR and FNIR at the shipped threshold.
    progress : callable(done, total), optional
    should_stop : callable() -> bool, optional

    Returns
    -------
    slrfr_gui.evaluation.evaluate.Evaluation
        One run per size; ``subsets`` are empty (a face set has no lighting subsets).

    Raises
    ------
    DataSetError
        See :func:`load_face_set`.
    ValueError
        An unknown method or a bad resolution.
    """
    from .evaluate import BASELINES, Evaluation, _aggregate, _run_figures, true_ranks

    known = METHODS + BASELINES + tuple(ABLATIONS)
    unknown = [m for m in methods if m not in known]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown} for {PROTOCOL}; known: {', '.join(known)}")
    resolutions = [check_resolution(r) for r in resolutions]
    start = time.perf_counter()
    faces = data if isinstance(data, FaceSet) else load_face_set(data)
    stage = {"load": time.perf_counter() - start, "train": 0.0, "identify": 0.0}
    labels = np.array(faces.persons)
    notes = [f"{len(faces.persons)} persons, {len(faces.probes)} probes; gallery: each person's first image"]
    if faces.skipped:
        notes.append(f"{len(faces.skipped)} file(s) skipped: "
                     + "; ".join(f"{p} ({why})" for p, why in faces.skipped[:5])
                     + (" ..." if len(faces.skipped) > 5 else ""))
    lonely = len(set(labels.tolist()) - set(faces.probe_persons.tolist()))
    if lonely:
        notes.append(f"{lonely} person(s) have a single image: enrolled, with no probe")
    runs, regimes, open_runs = {}, {}, {}
    total = len(resolutions) * (len(methods) + (1 if open_set else 0))
    done = 0
    for r in resolutions:
        probes = np.stack([degrade(p, r) for p in faces.probes])
        for method in methods:
            if should_stop is not None and should_stop():
                raise Cancelled("evaluation was cancelled")
            t0 = time.perf_counter()
            clf = _classifier(method, r, faces.gallery)
            clf.fit(faces.gallery, labels)
            t1 = time.perf_counter()
            res = clf.residuals(probes)
            stage["train"] += t1 - t0
            stage["identify"] += time.perf_counter() - t1
            ranks = true_ranks(res, clf.classes_, faces.probe_persons)
            runs[(method, r)] = [_run_figures(ranks, np.full(len(ranks), -1))]
            regimes[(method, r)] = _regime(clf)
            if method == "SLRFR" and r == resolutions[0]:
                framing = getattr(clf, "framing_", None)
                if framing is not None:
                    notes.append(f"SLRFR: gallery framing estimated at face scale {framing.scale:.2f}, centre"
                                 f" ({framing.cx:.1f}, {framing.cy:.1f}): {framing.regime} regime")
            done += 1
            if progress is not None:
                progress(done, total)
        if open_set:
            open_runs[r] = _open_set(faces, labels, probes, r)
            done += 1
            if progress is not None:
                progress(done, total)
    results = []
    for r in resolutions:
        for method in methods:
            result = _aggregate(method, r, runs[(method, r)], regimes[(method, r)])
            result.subsets, result.subsets_min = {}, {}
            if method == "SLRFR" and open_runs.get(r):
                result.open_set = open_runs[r]
            results.append(result)
    return Evaluation(PROTOCOL, results, time.perf_counter() - start, {k: round(v, 3) for k, v in stage.items()},
                      notes)


def _classifier(method: str, resolution, gallery):
    from ..method.classifiers import make_classifier
    from ..method.learned import LearnedRelightingClassifier
    from ..method.physical import PhysicalRelightingClassifier
    from .evaluate import _rival
    from ..faces.facemodel import default_face_model

    if method == "SLRFR":
        return LearnedRelightingClassifier(resolution=resolution)
    if method == "SLRFR physical":
        return PhysicalRelightingClassifier(resolution=resolution, features="sqrt")
    if method in ABLATIONS:
        return make_classifier(resolution=resolution, **ABLATIONS[method])
    if method == "NC-NN":
        from .baselines import NormalisedCorrelationNN

        return NormalisedCorrelationNN(resolution=resolution)
    return _rival(method, resolution, default_face_model(), gallery)


def _regime(clf) -> str:
    regime = getattr(clf, "regime_", "")
    if getattr(clf, "metric_source_", "").startswith("generic"):
        return f"{regime}, crop framing"
    return regime


def _open_set(faces: FaceSet, labels, probes, resolution) -> dict:
    """FPIR and FNIR at the shipped default threshold, half the persons enrolled (both halves, averaged)."""
    from ..method.learned import LearnedRelightingClassifier
    from ..method.openset import OpenSetDefaults, fnir_at, margin_ratio

    defaults = OpenSetDefaults.load()
    figures = []
    for half in (0, 1):
        enrolled = labels[half::2]
        if len(enrolled) < 2:
            continue
        keep = np.isin(labels, enrolled)
        clf = LearnedRelightingClassifier(resolution=resolution).fit(faces.gallery[keep], labels[keep])
        res = clf.residuals(probes)
        scores = margin_ratio(res)
        mated = np.isin(faces.probe_persons, enrolled)
        correct = clf.classes_[np.argmin(res, axis=1)] == faces.probe_persons
        t = defaults.threshold(resolution, clf.framing_regime)
        figures.append({"threshold": t, "fpir": float(np.mean(scores[~mated] <= t)),
                        "fnir": fnir_at(t, scores[mated], correct[mated])})
    if not figures:
        return {}
    key = f"{defaults.fpir:g}"
    return {key: {k: float(np.mean([f[k] for f in figures])) for k in ("threshold", "fpir", "fnir")}}
