"""``slrfr benchmark``: the time of every stage, beside what this machine could do at best.

Each stage is timed several times and its median reported. Beside it:

* ``limit_s``: the floating-point operations and bytes the stage must move,
  at this machine's measured matrix-product rate (GFLOP/s, float64 GEMM) and
  memory bandwidth (GB/s, a large array copy) -- a lower bound no
  implementation can beat, from :func:`machine_speeds`;
* ``reference_s`` where one exists: the paper's own formulation, the projector
  P_i = D_i (D_i^T D_i)^-1 D_i^T applied person by person in a loop.

Galleries are fictional persons from the face model's albedo PCA
(:mod:`slrfr_gui.demo.synthetic`); identification stages beyond what is
worth enrolling for real use random orthonormal dictionaries, since their
cost does not depend on the faces.
"""

from __future__ import annotations

import os
import time
import tracemalloc
from dataclasses import dataclass, field

import numpy as np

from ..method.classifiers import make_classifier
from ..method.learned import LearnedRelightingClassifier
from ..method.physical import PhysicalRelightingClassifier
from ..method.slrfr import SLRFRClassifier
from ..faces.frame import FRAME_SHAPE, degrade

__all__ = ["machine_speeds", "run_benchmark", "Stage"]

#: Larger models are not built; their stage reports the size they would need.
MEMORY_BUDGET_MB = 1500


@dataclass
class Stage:
    """One timed stage (seconds)."""

    median_s: float
    limit_s: float | None = None
    reference_s: float | None = None
    runs: int = 0
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        out = {"median_s": None if not np.isfinite(self.median_s) else self.median_s, "runs": self.runs}
        if self.limit_s is not None:
            out["limit_s"] = self.limit_s
            if np.isfinite(self.median_s):
                out["of_limit"] = self.median_s / max(self.limit_s, 1e-12)
        if self.reference_s is not None:
            out["reference_s"] = self.reference_s
            out["speedup"] = self.reference_s / max(self.median_s, 1e-12)
        out.update(self.extra)
        return out


def _median_time(fn, repeat: int, min_time: float = 0.0) -> tuple[float, int]:
    """Median seconds of ``fn()`` over ``repeat`` runs (more while under ``min_time``), and the runs counted.
    With more than one run, one uncounted run comes first: what the first call alone pays (resources read
    and cached) is not the stage's time; with --repeat 3 the median of enroll_person was that first call's."""
    if repeat > 1:
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < repeat or (time.perf_counter() - start < min_time and len(times) < 1000):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), len(times)


def machine_speeds() -> dict:
    """Measured float64 matrix-product rate and memory bandwidth of this machine.

    Returns
    -------
    dict
        ``gemm_gflops`` (a 1024 x 1024 product, best of several) and
        ``bandwidth_gbs`` (reading and writing a 256 MB array, best of several),
        plus ``cpus``.
    """
    a = np.random.default_rng(0).standard_normal((1024, 1024))
    best = min(_median_time(lambda: a @ a, 1)[0] for _ in range(5))
    big = np.ones(32 * 1024 * 1024)  # 256 MB
    out = np.empty_like(big)
    copy = min(_median_time(lambda: np.copyto(out, big), 1)[0] for _ in range(5))
    return {"gemm_gflops": 2 * 1024**3 / best / 1e9, "bandwidth_gbs": 2 * big.nbytes / copy / 1e9,
            "cpus": os.cpu_count()}


def _limit(speeds, flops: float, nbytes: float) -> float:
    return max(flops / (speeds["gemm_gflops"] * 1e9), nbytes / (speeds["bandwidth_gbs"] * 1e9))


def _random_model(n_persons: int, resolution, rng, relighting: str = "learned") -> SLRFRClassifier:
    """A fitted classifier of ``n_persons`` (timing only): with the learned relighting, one random
    reference per person; with the physical one, random 10-dimensional subspaces."""
    from ..method.slrfr import _compact
    from ..method.lighting import LightingMetric
    from ..method.lighting_resources import shipped_metric

    r, c = resolution
    p = r * c
    features = "log" if relighting == "learned" else "sqrt"
    clf = make_classifier(resolution=resolution, relighting=relighting, features=features)
    clf.resolution_ = (r, c)
    clf._setup_features((r, c))
    clf.metric_ = shipped_metric((r, c), features) or LightingMetric.identity((r, c), features, p)
    clf.metric_source_ = "learned"
    clf.classes_ = np.array([f"p{i:06d}" for i in range(n_persons)])
    clf.dictionaries_ = []
    if relighting == "learned":  # one image a person, enrolled with the alignment search's moved copies
        k = 5 if clf.alignment_shift > 0 else 1
        refs = rng.normal(-1.5, 0.5, (p, n_persons * k))
        clf.bases_ = _compact(refs.astype(np.float32 if refs.nbytes > 128e6 else np.float64))
        clf.basis_offsets_ = np.arange(0, n_persons * k + 1, k)
        clf.regime_ = "nearest-reference"
        return clf
    k = 10

    bases = np.empty((p, n_persons * k), dtype=np.float32 if p * n_persons * k * 8 > 128e6 else np.float64)
    for lo in range(0, n_persons, 4096):  # one orthonormal block per person, batched QR in chunks
        hi = min(lo + 4096, n_persons)
        q, _ = np.linalg.qr(rng.standard_normal((hi - lo, p, k)))
        bases[:, lo * k:hi * k] = q.transpose(1, 0, 2).reshape(p, (hi - lo) * k)
    clf.bases_ = _compact(bases)
    clf.basis_offsets_ = np.arange(0, n_persons * k + 1, k)
    clf.regime_ = "nearest-subspace"
    return clf


def run_benchmark(resolution=(7, 6), sizes=(38, 1000, 10_000, 100_000), repeat: int = 20, progress=None,
                  reference: bool = True, webcam: bool = True) -> dict:
    """Time every stage; returns ``{"stages": {name: Stage}, "machine": {...}}``.

    Parameters
    ----------
    resolution : (int, int)
        Probe size of the identification stages.
    sizes : sequence of int
        Gallery sizes for ``identify_<n>`` (``1k`` for 1000, ``100k`` for 100000).
    repeat : int
        Runs per stage (the median is reported).
    progress : callable(str), optional
        Called with the name of each stage as it starts.
    """
    from ..faces.facemodel import default_face_model
    from ..method.relight import relight
    from ..demo.synthetic import render_faces, sample_albedos

    say = progress or (lambda name: None)
    rng = np.random.default_rng(0)
    speeds = machine_speeds()
    stages: dict[str, Stage] = {}
    model = default_face_model()
    albedos = sample_albedos(38, seed=1)
    faces = render_faces(albedos, np.array([[0.15, 0.2, 1.0]]))[:, 0]
    labels = np.array([f"person{i:02d}" for i in range(38)])
    r, c = resolution
    p = r * c
    hr = FRAME_SHAPE[0] * FRAME_SHAPE[1]

    say("relight_image")
    t, n = _median_time(lambda: relight(faces[0], model), repeat)
    # LMMSE albedo: a few box filters and per-pixel arithmetic over 1920 pixels; nine renderings.
    stages["relight_image"] = Stage(t, _limit(speeds, 60 * hr + 9 * 2 * hr, 8 * hr * 30), None, n)

    say("enroll_person")
    t, n = _median_time(lambda: LearnedRelightingClassifier(resolution=resolution).fit(faces[:1], labels[:1]), repeat)
    # Ten degradations of 48 x 40 images and one SVD of a p x 10 matrix, on top of the relighting.
    enroll_limit = stages["relight_image"].limit_s + _limit(speeds, 10 * 2 * hr * 9 + 4 * p * 100, 8 * 10 * hr)
    physical, _ = _median_time(lambda: PhysicalRelightingClassifier(resolution=resolution,
                                                                    features="sqrt").fit(faces[:1], labels[:1]), repeat)
    stages["enroll_person"] = Stage(t, enroll_limit, None, n,
                                    {"physical_relighting_s": physical,
                                     "note": "the learned relighting enrolls the gallery image and four copies moved half a"
                                             " pixel (move, degrade, log);"
                                             " physical_relighting_s: the paper's nine relit images and dictionary"})

    say("enroll_38")
    t, n = _median_time(lambda: LearnedRelightingClassifier(resolution=resolution).fit(faces, labels),
                        max(3, repeat // 5))
    stages["enroll_38"] = Stage(t, 38 * stages["enroll_person"].limit_s, None, n)

    say("enroll_1k")
    stages["enroll_1k"] = _enroll_many_stage(resolution, 1000, stages["enroll_person"].limit_s, repeat)

    probe = degrade(render_faces(albedos[:1], np.array([[-0.3, 0.1, 0.95]]))[0, 0], resolution)
    for size in sizes:
        name = f"identify_{size // 1000}k" if size >= 1000 and size % 1000 == 0 else f"identify_{size}"
        say(name)
        need_mb = 2 * p * size * (4 if p * size * 8 > 128e6 else 8) / 1e6  # references + one cluster's
        if need_mb > MEMORY_BUDGET_MB:
            stages[name] = Stage(float("nan"), _limit(speeds, 2 * p * size, 8 * p * size), None, 0,
                                 {"persons": size, "model_mb": need_mb, "peak_memory_mb": None,
                                  "skipped": f"the model would take about {need_mb:.0f} MB, over the"
                                             f" {MEMORY_BUDGET_MB} MB this benchmark allows"})
            continue
        tracemalloc.start()
        clf = _random_model(size, resolution, rng)
        t0 = time.perf_counter()
        clf.residuals(probe[None])  # derives the bases of the probe's light cluster
        first = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        t, n = _median_time(lambda: clf.residuals(probe[None]), repeat)
        total = clf.bases_.shape[1]
        cluster_bytes = sum(v.nbytes for v in clf._cluster_cache.values())
        itemsize = max(v.itemsize for v in clf._cluster_cache.values())
        stage = Stage(t, _limit(speeds, 2 * p * total, itemsize * p * total), None, n,
                      {"persons": size, "model_mb": (clf.bases_.nbytes + cluster_bytes) / 1e6,
                       "peak_memory_mb": peak, "first_probe_of_a_light_cluster_s": first})
        if reference and size <= 10_000:
            projectors = None
            if size <= 1000:  # the paper's P_i per person (10 signals each), looped (as its Matlab did)
                paper_model = _random_model(size, resolution, rng, "physical")
                d = [paper_model.bases_[:, a:b]
                     for a, b in zip(paper_model.basis_offsets_[:-1], paper_model.basis_offsets_[1:])]
                projectors = [di @ np.linalg.inv(di.T @ di) @ di.T for di in d]
                y = clf.feature_vectors(probe.reshape(1, -1))[0]

                def paper():
                    return [np.linalg.norm(y - pi @ y) for pi in projectors]

                stage.reference_s = _median_time(paper, max(3, repeat // 5))[0]
        stages[name] = stage
        del clf

    say("batch_10k_vs_1k")
    clf = _random_model(1000, resolution, rng)
    probes = np.clip(probe[None] + 0.02 * rng.standard_normal((10_000, r, c)), 0, 1)
    t, n = _median_time(lambda: clf.residuals(probes), max(3, repeat // 5))
    columns = clf.bases_.shape[1]
    stages["batch_10k_vs_1k"] = Stage(t, _limit(speeds, 2 * 10_000 * p * columns, 8 * (10_000 * 1000 + p * 10_000)),
                                      None, n)

    if webcam:
        say("webcam_frame")
        stages["webcam_frame"] = _webcam_stage(resolution, faces, labels, speeds, max(5, repeat // 2))
    return {"stages": stages, "machine": speeds, "resolution": f"{r}x{c}"}


def scaling(resolution=(7, 6), sizes=(10, 100, 1000, 10_000, 100_000), repeat: int = 10, progress=None) -> list:
    """Identification time and memory against gallery size.

    Returns
    -------
    list of dict
        ``persons``, ``median_s`` (one probe), ``model_mb`` (bases and the
        probe's light cluster), ``peak_memory_mb`` (while building and
        scoring), ``first_probe_s`` (deriving a light cluster's bases).
    """
    rng = np.random.default_rng(0)
    from ..demo.synthetic import render_faces, sample_albedos

    probe = degrade(render_faces(sample_albedos(1, seed=2), np.array([[-0.3, 0.1, 0.95]]))[0, 0], resolution)
    rows = []
    for size in sizes:
        if progress is not None:
            progress(f"{size} persons")
        tracemalloc.start()
        clf = _random_model(size, resolution, rng)
        t0 = time.perf_counter()
        clf.residuals(probe[None])
        first = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        t, _ = _median_time(lambda: clf.residuals(probe[None]), repeat)
        model_mb = (clf.bases_.nbytes + sum(v.nbytes for v in clf._cluster_cache.values())) / 1e6
        rows.append({"persons": size, "median_s": t, "model_mb": model_mb, "peak_memory_mb": peak,
                     "first_probe_s": first})
        clf = None  # free the model before the next size
    return rows


def _webcam_stage(resolution, faces, labels, speeds, repeat) -> Stage:
    """Decode a 640 x 480 JPEG, find and align the face, degrade, identify against 38 persons."""
    import cv2

    from ..faces.find import LIVE_SEARCH_BUDGET_S, FaceTracker
    from ..faces.frame import prepare_probe
    from ..demo.synthetic import pasted_frame

    clf = LearnedRelightingClassifier(resolution=resolution).fit(faces, labels)
    rng = np.random.default_rng(3)
    face = cv2.resize(faces[5], (168, 192), interpolation=cv2.INTER_CUBIC)
    frame, _ = pasted_frame(face, 160, rng, crop_columns=(0, 168))
    ok, jpeg = cv2.imencode(".jpg", np.clip(frame * 255, 0, 255).astype(np.uint8))
    def frame_time(tracker):
        t0 = time.perf_counter()
        image = cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE).astype(np.float64) / 255.0
        found = tracker.update(image)
        for face in found:
            clf.residuals(prepare_probe(face.aligned, clf.resolution_)[None])
        return time.perf_counter() - t0, len(found)

    # A whole search in one frame (what a file or a still image gets), for reference.
    frame_time(FaceTracker())
    full = float(np.median([frame_time(FaceTracker())[0] for _ in range(3)]))
    # The live camera: the search spread over frames within a budget, tracking in between.
    tracker = FaceTracker(budget_s=LIVE_SEARCH_BUDGET_S)
    times, first_face = [], None
    for i in range(max(repeat, 60)):
        t, n = frame_time(tracker)
        times.append(t)
        if n and first_face is None:
            first_face = i + 1
    return Stage(float(np.median(times)), _limit(speeds, 640 * 480 * 50, 640 * 480 * 8 * 4), None, len(times),
                 {"mean_s": float(np.mean(times)), "p95_s": float(np.percentile(times, 95)),
                  "slowest_s": float(np.max(times)), "full_search_frame_s": full,
                  "frames_to_first_face": first_face, "searches": tracker.searches,
                  "note": "the camera view's tracker: tracking every frame, the full face search spread over"
                          f" frames ({LIVE_SEARCH_BUDGET_S * 1000:.0f} ms of search per frame); 'slowest_s' is"
                          " the worst frame, 'full_search_frame_s' a whole search done in one frame"})


def _enroll_many_stage(resolution, persons: int, person_limit_s: float, repeat: int) -> Stage:
    """Enroll ``persons`` fictional persons (one gallery image each) with every core, and with
    one (one relighting thread, one BLAS thread) for the speed-up."""
    from threadpoolctl import threadpool_limits

    from ..method import physical
    from ..demo.synthetic import render_faces, sample_albedos

    faces = render_faces(sample_albedos(persons, seed=2), np.array([[0.15, 0.2, 1.0]]))[:, 0]
    labels = np.array([f"person{i:05d}" for i in range(persons)])

    def enroll():
        LearnedRelightingClassifier(resolution=resolution).fit(faces, labels)

    runs = max(3, repeat // 5)
    t, n = _median_time(enroll, runs)
    saved = physical.RELIGHT_WORKERS
    try:
        physical.RELIGHT_WORKERS = 1
        with threadpool_limits(1):
            one, _ = _median_time(enroll, runs)
    finally:
        physical.RELIGHT_WORKERS = saved
    cores = os.cpu_count() or 1
    return Stage(t, persons * person_limit_s / cores, None, n,
                 {"persons": persons, "one_core_s": one, "cores": cores, "speedup": one / t,
                  "note": f"{persons} persons, one gallery image each; one_core_s: one relighting thread and"
                          " one BLAS thread; the limit divides the one-person limit by the cores"})
