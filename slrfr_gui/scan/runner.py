"""Running a scan on Dask: plan the chunks, send the model once, gather the results into the store.

By default an embedded ``LocalCluster`` of worker processes (one per core, one
thread each) is started and closed with the scan; ``scheduler="tcp://host:8786"``
uses an existing cluster instead (its workers need slrfr-gui installed and the
input paths readable). Only this process writes the results file, one
transaction per finished chunk (:class:`~slrfr_gui.scan.store.ScanStore`),
so a worker that dies mid-chunk loses nothing: the scheduler gives its chunk to
another worker, and a chunk is written once whatever happens.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Cancelled, SLRFRError
from .sources import check_inputs, plan_chunks
from .store import ScanStore, ScanStoreError
from .tracks import ScanOptions, scan_chunk

log = logging.getLogger(__name__)


#: The shortest chunk a video is cut into to give every worker work (unless chunk_seconds is shorter).
SHORT_CHUNK_S = 5.0


class SchedulerError(SLRFRError):
    """The Dask scheduler given cannot be reached, or no cluster could be started."""


@dataclass
class ScanProgress:
    """Where a scan stands (passed to ``progress``; plain data, safe to send across threads)."""

    chunks_done: int
    chunks_total: int
    frames_done: int
    frames_total: int
    elapsed_s: float
    fps: float
    eta_s: float | None
    workers: int
    message: str = ""


@dataclass
class ScanSummary:
    """What a scan did."""

    output: str
    chunks_done: int
    chunks_total: int
    frames: int
    seconds: float
    fps: float
    appearances: int
    workers: int
    problems: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    interrupted: bool = False
    cpu_seconds: float = 0.0

    @property
    def cpu_ms_per_frame(self) -> float:
        """CPU time the workers spent per frame of video (milliseconds): what a frame costs on an idle core,
        however loaded the machine was. Frames per second on N idle cores: about N * 1000 / this."""
        return 1e3 * self.cpu_seconds / self.frames if self.frames else float("nan")

    @property
    def complete(self) -> bool:
        return self.chunks_done == self.chunks_total and not self.interrupted


def frozen() -> bool:
    """True in the PyInstaller build."""
    return bool(getattr(sys, "frozen", False))


@contextmanager
def cluster_client(scheduler: str | None = None, workers: int | None = None, timeout: float = 10.0):
    """A ``distributed.Client``: to ``scheduler``, or to a ``LocalCluster`` of ``workers`` processes.

    The local workers ignore Ctrl+C (the scan stops them itself, cleanly). In
    the frozen application they are threads of this process, since a frozen
    executable cannot be started again as a bare Python worker.

    Raises
    ------
    SchedulerError
        The scheduler cannot be reached within ``timeout`` seconds.
    """
    from distributed import Client, LocalCluster

    for name in ("distributed", "distributed.scheduler", "distributed.core", "distributed.nanny"):
        if logging.getLogger(name).level == logging.NOTSET or logging.getLogger(name).level < logging.WARNING:
            logging.getLogger(name).setLevel(logging.WARNING)  # its INFO lines are not the user's business
    if scheduler:
        try:
            client = Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}: {exc}); "
                                 "check the address and that 'dask scheduler' runs there, or leave out --scheduler "
                                 "to scan on this machine") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = int(workers or os.cpu_count() or 1)
    processes = not frozen()
    env = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    previous = signal.getsignal(signal.SIGINT)
    in_main = _main_thread()
    if processes and in_main:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the workers: Ctrl+C stops the scan, not them
    try:
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes, dashboard_address=":0",
                               silence_logs=logging.CRITICAL, **({"env": env} if processes else {}))
    finally:
        if processes and in_main:
            signal.signal(signal.SIGINT, previous)
    client = Client(cluster, set_as_default=False)
    try:
        client.wait_for_workers(n, timeout=120)
        yield client
    finally:
        client.close()
        cluster.close()


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _worker_scan(model, chunk, options):
    """The task each worker runs (one BLAS thread: the cluster spreads the work over cores)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return scan_chunk(model, chunk, options)


def run_scan(model, inputs, output, options: ScanOptions | None = None, scheduler: str | None = None,
             workers: int | None = None, resume: bool = False, progress=None, should_stop=None, say=None,
             model_id: dict | None = None, scheduler_timeout: float = 10.0) -> ScanSummary:
    """Scan videos and folders of stills for every appearance of the enrolled persons.

    The embedded cluster's workers are new Python processes (``spawn``): a script that calls this
    must do so under ``if __name__ == "__main__":``, as :mod:`multiprocessing` requires (the
    ``slrfr`` and ``slrfr-gui`` commands do).

    Parameters
    ----------
    model : fitted classifier
        As :func:`slrfr_gui.method.modelfile.load_model` returns; sent to every worker once.
    inputs : list of path
        Video files and folders (:func:`~slrfr_gui.scan.sources.check_inputs`).
    output : path
        The SQLite results file (:class:`~slrfr_gui.scan.store.ScanStore`).
    options : ScanOptions
    scheduler : str, optional
        Address of a running Dask scheduler; None starts a local cluster.
    workers : int, optional
        Worker processes of the local cluster (default: one per core).
    resume : bool
        Continue an existing results file (only its unfinished chunks are scanned).
    progress : callable(ScanProgress), optional
    should_stop : callable() -> bool, optional
        Polled several times a second; True stops the scan (the store stays resumable) and raises
        :class:`~slrfr_gui.errors.Cancelled`.
    say : callable(str), optional
        Receives one line per input that cannot be scanned (and other notes).
    model_id : dict, optional
        What identifies the model (file checksum); a resumed scan must use the same.
    scheduler_timeout : float
        Seconds to wait for the scheduler given.

    Returns
    -------
    ScanSummary

    Raises
    ------
    SchedulerError
        No cluster: nothing is written then.
    ScanStoreError
        ``output`` exists and ``resume`` is False, or it is not this scan's results file.
    Cancelled
        ``should_stop()`` returned True; the chunks finished so far are kept.
    KeyboardInterrupt
        Ctrl+C, likewise.
    """
    from ..method.openset import OpenSetDefaults

    options = (options or ScanOptions()).checked()
    say = say or (lambda line: None)
    output = Path(output)
    if output.exists() and not output.is_dir() and not resume:
        from .store import is_scan_file

        if not is_scan_file(output):  # --resume would refuse it too: say so now, not after a second try
            raise ScanStoreError(f"{output} exists and is not a scan results file: give another -o (it is left as "
                                 "it is)")
        raise ScanStoreError(f"{output} exists: give --resume to continue that scan (only unfinished chunks are "
                             "redone), or another -o")
    if output.is_dir():
        raise ScanStoreError(f"{output}: is a folder; give a file name for the results")
    if not output.parent.is_dir():
        raise ScanStoreError(f"{output}: no such folder {output.parent} for the results file")
    sources, problems = check_inputs(inputs)
    for problem in problems:
        say(str(problem))
    threshold = options.threshold
    if threshold is None:
        threshold = OpenSetDefaults.load().threshold(model.resolution_)
    settings = {"options": options.identity(), "model": model_id or {}, "persons": [str(c) for c in model.classes_],
                "resolution": list(model.resolution_)}
    start = time.perf_counter()
    # No cluster: SchedulerError, and nothing written.
    with cluster_client(scheduler, workers, scheduler_timeout) as client:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        store = ScanStore(output)
        try:
            return _scan(client, store, model, sources, problems, options, settings, threshold, n_workers, start,
                         progress, should_stop, say)
        finally:
            store.close()


def _scan(client, store, model, sources, problems, options, settings, threshold, n_workers, start, progress,
          should_stop, say) -> ScanSummary:
    from distributed import wait

    store.check_settings(settings)
    store.add_problems(problems)
    plan = []
    for source in sources:
        chunk_frames = 0
        if source.kind == "video":  # a short video still in eight chunks (of 5 s at least): every worker busy
            seconds = min(float(options.chunk_seconds), max(SHORT_CHUNK_S, source.frames / source.fps / 8))
            chunk_frames = max(1, int(round(seconds * source.fps)))
        chunks = plan_chunks(source, chunk_frames, options.overlap_frames, options.batch, options.track_every)
        store.add_source(source, chunks)
        plan += chunks
    done_keys = store.done_chunks()
    todo = [c for c in plan if (c.source, c.start) not in done_keys]
    done, total = store.counts()
    frames_total = sum(c.frame_count for c in todo)
    frames_done = 0
    cpu_seconds = 0.0
    failed = []
    for sid in store.sources_ready():  # finished before but never joined (stopped in between)
        store.join_source(sid, threshold, options.top, options.combine, options.persons, options.keep_still,
                          options.min_faces)

    def report(message=""):
        elapsed = time.perf_counter() - start
        fps = frames_done / elapsed if elapsed > 0 else 0.0
        eta = (frames_total - frames_done) / fps if fps > 0 else None
        if progress is not None:
            progress(ScanProgress(done, total, frames_done, frames_total, elapsed, fps, eta, n_workers, message))

    report("starting")
    futures = {}
    run = uuid.uuid4().hex[:8]
    try:
        if todo:
            if hasattr(model, "_cluster_cache"):
                model._cluster_cache.clear()
                model._norm_cache.clear()
            model_future = client.scatter(model, broadcast=True, hash=False)
            for i, chunk in enumerate(todo):
                key = f"slrfr-scan-{run}-{i}"
                futures[client.submit(_worker_scan, model_future, chunk, options, key=key, retries=2,
                                      pure=False)] = chunk
        pending = set(futures)
        while pending:
            if should_stop is not None and should_stop():
                raise Cancelled("the scan was cancelled; the chunks finished so far are kept (resume it)")
            try:
                with client.as_current():
                    finished, pending = wait(pending, timeout=0.25, return_when="FIRST_COMPLETED")
            except TimeoutError:
                continue
            for future in finished:
                chunk = futures[future]
                if future.status != "finished":
                    exc = future.exception()
                    failed.append(f"{chunk.source} frames {chunk.start}-{chunk.stop}: {type(exc).__name__}: {exc}")
                    say(f"{chunk.source}: chunk at frame {chunk.start} failed ({exc}); it stays to be redone "
                        "with --resume")
                    continue
                result = future.result()
                store.write_chunk(result)
                for line in result.problems:
                    say(line)
                done += 1
                frames_done += chunk.frame_count
                cpu_seconds += result.cpu_seconds
                for sid in store.sources_ready():
                    store.join_source(sid, threshold, options.top, options.combine, options.persons,
                                      options.keep_still, options.min_faces)
                report()
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    elapsed = time.perf_counter() - start
    n_app = store.db.execute("SELECT count(*) FROM appearances").fetchone()[0]
    summary = ScanSummary(str(store.path), done, total, frames_done, elapsed,
                          frames_done / elapsed if elapsed > 0 else 0.0, int(n_app), n_workers,
                          [f"{p}: {m}" if not m.startswith(p) else m for p, m in store.problems()], failed,
                          cpu_seconds=cpu_seconds)
    report("finished")
    return summary
