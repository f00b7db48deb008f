"""``slrfr benchmark --scan``: scan speed against workers, and sharded identification of a million persons.

* ``scan_<k>w``: a 640 x 480 test video of fictional persons (no data set needed,
  :func:`make_bench_video`) scanned by clusters of 1, 2 and 4 worker processes on
  this machine, each reached through its scheduler's address, the code path of
  ``slrfr scan --scheduler`` on a real cluster (4 workers on 2 cores is the
  simulated cluster: it checks the path, not the speed). Frames per second of
  video scanned, from the first chunk submitted to the last written (cluster
  start-up excluded), and the speed-up and efficiency from 1 to 2 workers.
* ``identify_sharded_1m``: 1,000,000 fictional persons (random references, as
  the other large-gallery stages) made in shards on the workers themselves, so
  that each holds only its shard; the time per batch of probes, each worker's
  memory, and whether the top-k equals that of one process holding them all.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

#: Worker counts of the scan scaling stage.
SCAN_WORKERS = (1, 2, 4)


def make_bench_video(path, seconds: float = 60.0, fps: float = 25.0, persons: int = 8, seed: int = 0) -> Path:
    """A 640 x 480 MPEG-4 video: a textured still background and fictional faces (16-40 pixels wide)
    walking across it, two or three on screen at a time; the persons are the demo's (``make_demo``)."""
    import cv2

    from ..demo.persons import make_demo

    rng = np.random.default_rng(seed)
    demo = make_demo(persons, 0, seed=seed)
    faces = [im.face.astype(np.float32) for im in demo.gallery.images]
    bg = cv2.GaussianBlur(rng.random((480, 640)).astype(np.float32), (0, 0), 3)
    bg = 0.25 + 0.5 * (bg - bg.min()) / np.ptp(bg)
    frames = int(round(seconds * fps))
    walks = []
    for k in range(int(seconds / 2.5)):
        w = int(rng.integers(16, 41))
        first = int(rng.integers(0, max(1, frames - 4 * fps)))
        length = int(rng.uniform(3, 6) * fps)
        y = int(rng.integers(0, 480 - int(1.2 * w)))
        x0 = int(rng.integers(0, 640 - w))
        vx = float(rng.uniform(-40, 40)) / fps
        walks.append((first, length, faces[k % len(faces)], w, x0, y, vx))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (640, 480), True)
    try:
        sprites = [cv2.resize(f, (w, int(round(1.2 * w))), interpolation=cv2.INTER_AREA)
                   for _, _, f, w, _, _, _ in walks]
        for t in range(frames):
            frame = bg + rng.normal(0, 0.01, bg.shape).astype(np.float32)
            for (first, length, _, w, x0, y, vx), sprite in zip(walks, sprites):
                if first <= t < first + length:
                    x = int(np.clip(x0 + vx * (t - first), 0, 640 - w))
                    frame[y:y + sprite.shape[0], x:x + w] = sprite
            writer.write(cv2.cvtColor(np.clip(frame * 255, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR))
    finally:
        writer.release()
    return Path(path), demo


def scan_scaling(seconds: float = 60.0, workers=SCAN_WORKERS, chunk_seconds: float = 5.0, progress=None) -> list:
    """Scan the benchmark video with clusters of each worker count; one dict per count.

    Returns
    -------
    list of dict
        ``workers``, ``frames``, ``seconds`` (first chunk submitted to last written), ``fps``,
        ``appearances``, ``chunks``, ``cpu_ms_per_frame`` (the workers' CPU time per frame, which the
        machine's other load does not inflate the way it does wall-clock time) and ``idle_core_fps``
        (1000 / that: frames per second one idle core would scan).
    """
    import tempfile

    from distributed import LocalCluster

    from ..method.learned import LearnedRelightingClassifier
    from ..scan.runner import run_scan
    from ..scan.tracks import ScanOptions

    say = progress or (lambda s: None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="slrfr-bench-scan-") as tmp:
        say(f"writing a {seconds:g} s 640x480 test video")
        video, demo = make_bench_video(Path(tmp) / "bench.mp4", seconds)
        faces = np.stack([im.face for im in demo.gallery.images])
        model = LearnedRelightingClassifier(resolution=(7, 6)).fit(faces, [im.person for im in demo.gallery.images])
        options = ScanOptions(chunk_seconds=chunk_seconds)
        for n in workers:
            say(f"scan with {n} worker process{'es' if n != 1 else ''}")
            out = Path(tmp) / f"scan{n}.sqlite"
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                   silence_logs=50, env={k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                                           "MKL_NUM_THREADS")})
            try:
                summary = run_scan(model, [video], out, options, scheduler=cluster.scheduler_address)
            finally:
                cluster.close()
            rows.append({"workers": n, "frames": summary.frames, "seconds": summary.seconds, "fps": summary.fps,
                         "appearances": summary.appearances, "chunks": summary.chunks_total,
                         "cpu_ms_per_frame": summary.cpu_ms_per_frame,
                         "idle_core_fps": 1e3 / summary.cpu_ms_per_frame if summary.frames else float("nan")})
    return rows


def random_shard(index: int, n_shards: int, persons: int, resolution=(7, 6), seed: int = 0):
    """Shard ``index`` of ``n_shards`` of a gallery of ``persons`` random persons: (classifier, offset).
    The same arguments give the same shard anywhere, so a worker can build its own."""
    from .benchmark import _random_model

    bounds = np.linspace(0, persons, n_shards + 1).round().astype(int)
    lo, hi = int(bounds[index]), int(bounds[index + 1])
    clf = _random_model(hi - lo, resolution, np.random.default_rng([seed, index]))
    clf.classes_ = np.array([f"p{i:07d}" for i in range(lo, hi)])
    return clf, lo


def whole_model(shards: list):
    """One classifier holding the persons of ``shards`` (consecutive, in order): the one-process reference."""
    import copy
    from collections import OrderedDict

    whole = copy.copy(shards[0])
    whole.classes_ = np.concatenate([s.classes_ for s in shards])
    whole.bases_ = np.concatenate([s.bases_ for s in shards], axis=1)
    offsets = [np.asarray(shards[0].basis_offsets_)]
    for s in shards[1:]:
        offsets.append(np.asarray(s.basis_offsets_[1:]) + offsets[-1][-1])
    whole.basis_offsets_ = np.concatenate(offsets)
    whole.dictionaries_ = []
    whole._cluster_cache = OrderedDict()
    whole._norm_cache = {}
    for s in shards:
        s.bases_ = None
    return whole


def _rss_mb() -> float:
    import psutil

    return psutil.Process(os.getpid()).memory_info().rss / 1e6


def sharded_identification(persons: int = 1_000_000, workers: int = 2, batch: int = 64, repeat: int = 3,
                           compare: bool = True, progress=None) -> dict:
    """Time sharded identification against ``persons`` and check it against one process.

    Returns
    -------
    dict
        ``persons``, ``workers``, ``batch``, ``batch_s`` (median per batch of probes), ``per_probe_ms``,
        ``worker_memory_mb`` (resident memory of each worker after scoring), ``same_as_one_process``
        (the same top-k persons in the same order; None when not compared), ``max_relative_difference``
        of their residuals (float32 rounding: galleries this large are kept in float32), ``one_process_batch_s``.
    """
    from distributed import Client, LocalCluster

    from ..scan.shards import identify_sharded, make_shards_on_workers, shard_top_k

    from ..faces.frame import degrade
    from ..demo.synthetic import render_faces, sample_albedos

    say = progress or (lambda s: None)
    # A batch as a video gives it: faces of several persons under one scene's light (one light cluster).
    probes = degrade(render_faces(sample_albedos(batch, seed=7), np.array([[-0.3, 0.1, 0.95]]))[:, 0], (7, 6))
    out = {"persons": persons, "workers": workers, "batch": batch}
    env = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=50, env=env, memory_limit=0) as cluster, \
            Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(workers)
        say(f"building {persons:,} persons in {workers} shards on the workers")
        shards = make_shards_on_workers(client, random_shard, workers, persons)
        identify_sharded(client, shards, probes[:2], k=5)  # derives each shard's light-cluster bases
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            idx, val, _ = identify_sharded(client, shards, probes, k=5)
            times.append(time.perf_counter() - t0)
        out["batch_s"] = float(np.median(times))
        out["per_probe_ms"] = 1e3 * out["batch_s"] / batch
        out["worker_memory_mb"] = sorted(client.run(_rss_mb).values())
    if compare:
        say("the same probes in one process holding every person")
        whole = whole_model([random_shard(i, workers, persons)[0] for i in range(workers)])
        shard_top_k(whole, probes[:2], 5)  # the light-cluster bases, as the workers had
        t0 = time.perf_counter()
        one_idx, one_val = shard_top_k(whole, probes, 5)
        out["one_process_batch_s"] = time.perf_counter() - t0
        out["one_process_memory_mb"] = _rss_mb()
        out["same_as_one_process"] = bool(np.array_equal(one_idx, idx))
        out["max_relative_difference"] = float(np.max(np.abs(one_val - val) / np.maximum(np.abs(one_val), 1e-300)))
    else:
        out["same_as_one_process"] = None
    return out
