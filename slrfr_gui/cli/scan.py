"""``slrfr scan``: every appearance of the enrolled persons in videos and folders of stills.

    slrfr scan MODEL INPUT... -o RESULTS.sqlite [--scheduler ADDRESS] [--workers N] [--resume]
               [--detect-every N] [--track-every K] [--min-face PX] [--persons A,B] [--top K] [--csv FILE]

Kept out of :mod:`slrfr_gui.cli` (which only registers it) so that the scan's options live beside
their command.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _float_range(lowest: float, highest: float):
    """An argparse type: a number from ``lowest`` to ``highest`` (kept on the function, with ``kind``
    "float", for the tests that enumerate wrong values)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not lowest <= value <= highest:  # also refuses nan
            raise argparse.ArgumentTypeError(f"{text} must be from {lowest:g} to {highest:g}")
        return value

    parse.lowest, parse.highest, parse.kind = lowest, highest, "float"
    return parse


def add_parser(sub, int_at_least) -> argparse.ArgumentParser:
    sc = sub.add_parser(
        "scan", help="find every appearance of the enrolled persons in videos and folders of stills (Dask)",
        description="Search videos (anything OpenCV reads) and folders of stills for faces every few frames, follow "
                    "them in between, identify each track from all its faces, and write one row per appearance "
                    "(source, track, first and last time, box, thumbnail, ranked persons, ratio, unknown) to an "
                    "SQLite file. The work is cut into chunks and run on an embedded Dask cluster (one process per "
                    "core) or on an existing one (--scheduler).",
        epilog="Ctrl+C stops cleanly: the chunks finished are kept, and the same command with --resume redoes only "
               "the others.")
    sc.add_argument("model", type=Path, metavar="MODEL_FILE", help="model file written by 'slrfr enroll'")
    sc.add_argument("inputs", type=Path, nargs="+", metavar="INPUT", help="video files and folders of stills")
    sc.add_argument("-o", "--output", type=Path, required=True, metavar="RESULTS",
                    help="SQLite results file to write (e.g. scan.sqlite)")
    sc.add_argument("--resume", action="store_true", help="continue RESULTS: scan only the chunks not finished")
    sc.add_argument("--scheduler", metavar="ADDRESS", help="use a running Dask scheduler (e.g. tcp://HOST:8786) "
                    "instead of starting one on this machine; its workers need slrfr-gui and the input paths")
    sc.add_argument("--workers", type=int_at_least(1, 1024), default=None, metavar="N",
                    help="worker processes of the embedded cluster (default: one per core)")
    sc.add_argument("--detect-every", type=int_at_least(1, 100_000), default=25, metavar="N",
                    help="frames between face searches (default: %(default)s)")
    sc.add_argument("--track-every", type=int_at_least(1, 100_000), default=2, metavar="K",
                    help="frames between tracker updates; the others are grabbed, not converted to images "
                         "(default: %(default)s)")
    sc.add_argument("--min-face", type=_float_range(5, 4096), default=12.0, metavar="PX",
                    help="smallest face width searched for, pixels (default: %(default)g)")
    sc.add_argument("--max-face", type=_float_range(5, 4096), default=None, metavar="PX",
                    help="largest face width searched for, pixels (default: the frame)")
    sc.add_argument("--persons", metavar="A,B,...", default="",
                    help="keep only appearances named as one of these enrolled persons (default: every appearance, "
                         "unknown ones too)")
    sc.add_argument("--top", type=int_at_least(1, 1000), default=5, metavar="K",
                    help="ranked persons kept per appearance (default: %(default)s)")
    sc.add_argument("--combine", choices=["mean", "best"], default="mean",
                    help="identify a track by the mean of its faces' residuals, or by its clearest face "
                         "(default: %(default)s)")
    sc.add_argument("--chunk-seconds", type=_float_range(0.5, 86_400), default=20.0, metavar="S",
                    help="video per chunk of work (default: %(default)g)")
    sc.add_argument("--min-faces", type=int_at_least(1, 100_000), default=3, metavar="N",
                    help="faces a track of a video needs to be reported (default: %(default)s)")
    sc.add_argument("--keep-still", action="store_true",
                    help="keep faces that never move for over two seconds (by default taken for background)")
    sc.add_argument("--csv", type=Path, metavar="FILE", help="also export the appearances as CSV")
    sc.add_argument("--quiet", action="store_true", help="no progress line")
    return sc


def _clock(seconds) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


def cmd_scan(args) -> int:
    import hashlib

    from .common import _check_output_file
    from ..method.modelfile import load_model
    from ..scan import check_inputs
    from ..scan import ScanOptions, run_scan

    persons = tuple(p.strip() for p in args.persons.split(",") if p.strip())
    _check_output_file(args.output, "-o")
    if args.csv is not None:
        _check_output_file(args.csv, "--csv")
    model, _ = load_model(args.model)
    unknown = [p for p in persons if p not in set(map(str, model.classes_))]
    if unknown:
        print(f"slrfr scan: error: --persons: {', '.join(unknown)} not enrolled in {args.model} (it has "
              f"{', '.join(map(str, model.classes_[:8]))}{', ...' if len(model.classes_) > 8 else ''})",
              file=sys.stderr)
        return 2
    if args.max_face is not None and args.max_face < args.min_face:
        print("slrfr scan: error: --max-face is below --min-face", file=sys.stderr)
        return 2
    if args.track_every > args.detect_every:
        print("slrfr scan: error: --track-every must not exceed --detect-every", file=sys.stderr)
        return 2
    options = ScanOptions(detect_every=args.detect_every, track_every=args.track_every, min_face=args.min_face,
                          max_face=args.max_face, top=args.top, combine=args.combine,
                          chunk_seconds=args.chunk_seconds, persons=persons, keep_still=args.keep_still,
                          min_faces=args.min_faces)
    model_id = {"sha256": hashlib.sha256(args.model.read_bytes()).hexdigest()}
    show = not args.quiet and sys.stderr.isatty()
    last = {"t": 0.0}

    def progress(p):
        if not show:
            return
        now = time.monotonic()
        if now - last["t"] < 0.5 and p.message != "finished":
            return
        last["t"] = now
        line = (f"\rscan: {p.chunks_done}/{p.chunks_total} chunks, {p.frames_done:,}/{p.frames_total:,} frames, "
                f"{p.fps:.0f} frames/s on {p.workers} worker{'s' if p.workers != 1 else ''}, "
                f"{_clock(p.elapsed_s)} elapsed, {_clock(p.eta_s)} left ")
        print(line, end="", file=sys.stderr, flush=True)

    def say(line):
        if show:
            print("\r\033[K", end="", file=sys.stderr)
        print(f"slrfr: warning: {line}; skipped", file=sys.stderr)

    sources, problems = check_inputs(args.inputs)  # again in run_scan: cheap, and nothing starts for nothing
    if not sources:
        for problem in problems:
            say(str(problem))
        print(f"slrfr: error: nothing to scan: no video or image among {', '.join(map(str, args.inputs))}",
              file=sys.stderr)
        return 1

    try:
        summary = run_scan(model, args.inputs, args.output, options, scheduler=args.scheduler, workers=args.workers,
                           resume=args.resume, progress=progress, say=say, model_id=model_id)
    except KeyboardInterrupt:
        if show:
            print(file=sys.stderr)
        print(f"slrfr scan: interrupted; the chunks finished are kept in {args.output}: run the same command with "
              "--resume to finish", file=sys.stderr)
        return 130
    if show:
        print(file=sys.stderr)
    if summary.frames == 0 and summary.complete:  # a resumed scan with nothing left: no speed to report
        print(f"already finished: chunks {summary.chunks_done} of {summary.chunks_total} done; "
              f"{summary.appearances} appearances in {summary.output}")
    else:
        print(f"scanned {summary.frames:,} frames in {summary.seconds:.1f} s ({summary.fps:.0f} frames per second, "
              f"{summary.workers} worker{'s' if summary.workers != 1 else ''}; {summary.cpu_ms_per_frame:.1f} ms of "
              f"CPU a frame); chunks {summary.chunks_done} of {summary.chunks_total} done; {summary.appearances} "
              f"appearances in {summary.output}")
    if summary.problems:
        print(f"not scanned ({len(summary.problems)}):")
        for line in summary.problems:
            print(f"  {line}")
    if summary.failed:
        print(f"chunks that failed ({len(summary.failed)}; --resume redoes them):")
        for line in summary.failed:
            print(f"  {line}")
    if args.csv is not None:
        from ..scan import ScanStore

        with ScanStore(args.output) as store:
            store.export_csv(args.csv)
        print(f"appearances exported to {args.csv}")
    return 0 if summary.complete and not summary.failed else 1


def scan_benchmark_stages(stages: dict, seconds: int = 60) -> list:
    """``slrfr benchmark --scan``: add the scan and sharded-identification stages to ``stages``; returns the
    scan's rows (workers, fps) for the scaling plot."""
    import os

    from ..evaluation.benchmark import Stage
    from ..evaluation.scan_benchmark import scan_scaling, sharded_identification

    def say(text):
        print(f"scan benchmark: {text}...", file=sys.stderr, flush=True)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = scan_scaling(float(seconds), progress=say)
    one = next((r for r in rows if r["workers"] == 1), None)
    for r in rows:
        speedup = r["fps"] / one["fps"] if one and one["fps"] else float("nan")
        r["speedup"], r["efficiency"] = speedup, speedup / r["workers"]
        extra = {k: r[k] for k in ("workers", "frames", "fps", "appearances", "chunks", "speedup", "efficiency",
                                   "cpu_ms_per_frame", "idle_core_fps")}
        extra["load_average_before"] = load
        extra["summary"] = (f"{r['fps']:.0f} frames/s of 640x480 video, {r['workers']} worker process"
                            f"{'es' if r['workers'] != 1 else ''}; speed-up {speedup:.2f} (efficiency "
                            f"{speedup / r['workers']:.2f}); CPU {r['cpu_ms_per_frame']:.1f} ms a frame = "
                            f"{r['idle_core_fps']:.0f} frames/s per idle core; load average {load:.1f} before")
        stages[f"scan_{r['workers']}w"] = Stage(r["seconds"] / max(r["frames"], 1), None, None, 1,
                                                {**extra, "note": "seconds per frame of video (cluster start-up "
                                                 "excluded); 4 workers on 2 cores: the simulated cluster"})
    say("identification against 1,000,000 persons in 2 shards")
    s = sharded_identification(1_000_000, workers=2, progress=say)
    stages["identify_sharded_1m"] = Stage(
        s["batch_s"], None, None, 3,
        {**s, "summary": f"a batch of {s['batch']} probes {s['batch_s']:.2f} s ({s['per_probe_ms']:.1f} ms a probe), "
                         f"workers {', '.join(f'{m:.0f}' for m in s['worker_memory_mb'])} MB; one process "
                         f"{s.get('one_process_batch_s', float('nan')):.2f} s, "
                         f"{s.get('one_process_memory_mb', float('nan')):.0f} MB; same top-5: "
                         f"{s['same_as_one_process']}"})
    return rows
