"""``slrfr evaluate``, ``benchmark``, ``detection-benchmark`` and ``report``: the commands that measure and show."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import EXIT_ERROR, EXIT_OK, _check_output_file, _pct, _progress_bar


def _write_figures(path, payload, done: str = "figures written to") -> int:
    """Write ``payload`` as JSON to ``path`` atomically; EXIT_OK, or one error line and EXIT_ERROR."""
    from ..files.atomic import atomic_write_bytes

    try:
        atomic_write_bytes(path, (json.dumps(payload, indent=2) + "\n").encode())
    except OSError as exc:
        print(f"slrfr: error: {path}: could not write the figures ({exc.strerror or exc})", file=sys.stderr)
        return EXIT_ERROR
    print(f"{done} {path}")
    return EXIT_OK

def cmd_evaluate(args) -> int:
    from ..evaluation import crossset
    from ..evaluation.evaluate import ABLATIONS, BASELINES, DEFAULT_RESOLUTIONS, METHODS, NEAR_FRONTAL, evaluate_yaleb
    from ..faces.frame import format_resolution
    from ..evaluation.yale import SUBSET_NAMES

    resolutions = args.resolutions or list(DEFAULT_RESOLUTIONS)
    if args.json is not None:
        _check_output_file(args.json, "--json")
    cross = args.protocol == crossset.PROTOCOL
    ablations = crossset.ABLATIONS if cross else ABLATIONS
    methods = (list(crossset.METHODS if cross else METHODS) + (list(BASELINES) if args.baselines else [])
               + (list(ablations) if args.ablation else []))
    methods = list(dict.fromkeys(methods))
    if args.baselines:
        import importlib.util

        if importlib.util.find_spec("skimage") is None:
            from ..errors import SLRFRError

            raise SLRFRError("the LBP rival of --baselines needs scikit-image:"
                             " pip install 'slrfr-gui[bench]'") from None
    bar, progress = _progress_bar("evaluate", args.quiet)
    try:
        if cross:
            result = crossset.evaluate_cross(args.data, resolutions, methods=methods, progress=progress,
                                             open_set=not args.no_open_set)
        else:
            result = evaluate_yaleb(args.data, resolutions, methods=methods, progress=progress,
                                    protocol=args.protocol, open_set=not args.no_open_set)
    finally:
        bar.close()
    width = max(len(m) for m in methods)
    columns = () if cross else SUBSET_NAMES + (NEAR_FRONTAL,)
    header = (f"{'method':{width}} {'size':>6} {'rank-1':>7} {'min':>7} " + " ".join(f"{s:>6}" for s in columns)
              + "  regime")
    print(f"protocol {result.protocol}: rank-1 identification, "
          + ("one run (gallery: each person's first image)" if cross else
             f"mean over {result.results[0].runs} runs"))
    print(header)
    print("-" * len(header))
    for r in result.results:
        print(f"{r.method:{width}} {format_resolution(r.resolution):>6} {_pct(r.rank1):>7} {_pct(r.rank1_min):>7} "
              + " ".join(f"{_pct(r.subsets.get(s)):>6}" for s in columns) + f"  {r.regime}")
    opened = [r for r in result.results if r.open_set]
    if opened:
        print("open set (SLRFR; every other person not enrolled, then the others; the shipped default threshold):"
              if cross else
              "open set (SLRFR; half the test subjects not enrolled; thresholds calibrated on training subjects):")
        for r in opened:
            cells = "  ".join(f"FPIR {k}: threshold {v['threshold']:.3f}, measured FPIR {_pct(v['fpir'])},"
                              f" FNIR {_pct(v['fnir'])}" for k, v in r.open_set.items())
            print(f"  {format_resolution(r.resolution):>6}  {cells}")
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.stage_seconds.items())
    print(f"time: {result.seconds:.1f} s ({stages})")
    for note in result.notes:
        print(f"note: {note}")
    if args.json:
        return _write_figures(args.json, result.to_json())
    return EXIT_OK


def cmd_benchmark(args) -> int:
    import os
    import subprocess
    import tempfile
    import time

    from ..evaluation.benchmark import Stage, run_benchmark
    from ..evaluation.evaluate import BASELINES, METHODS, evaluate_yaleb

    if args.json is not None:
        _check_output_file(args.json, "--json")
    if args.scaling_plot is not None:
        _check_output_file(args.scaling_plot, "--scaling-plot")
    if args.data is not None:
        from ..evaluation.yale import check_yale_dir

        check_yale_dir(args.data)  # a wrong --data fails now, not after minutes of timing
    result = run_benchmark(args.resolution, repeat=args.repeat,
                           progress=lambda name: print(f"timing {name}...", file=sys.stderr, flush=True))
    stages = result["stages"]
    if not args.no_window:
        print("timing window_shown...", file=sys.stderr, flush=True)
        times = []
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
            for i in range(3):
                shot = Path(tmp) / f"w{i}.png"
                t0 = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "slrfr_gui.gui.app", "--screenshot", str(shot)],
                                      env=env, capture_output=True, timeout=120)
                if done.returncode == 0 and shot.is_file():
                    times.append(time.perf_counter() - t0)
        if times:
            stages["window_shown"] = Stage(float(sorted(times)[len(times) // 2]), None, None, len(times),
                                           {"note": "launch to first screenshot, a new Python process each time"})
    if args.data is not None:
        print("timing evaluate_all (a few minutes)...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        evaluate_yaleb(args.data, methods=list(METHODS) + list(BASELINES), open_set=True)
        stages["evaluate_all"] = Stage(time.perf_counter() - t0, None, None, 1,
                                       {"note": "yaleb-lr-v1, four sizes, SLRFR and every rival, open set"})
    scan_rows = None
    if args.scan:
        from .scan import scan_benchmark_stages

        scan_rows = scan_benchmark_stages(stages, args.scan_seconds)
    scaling_rows = None
    if args.scaling_plot is not None:
        from ..evaluation.benchmark import scaling
        from .report import write_scaling_plot

        scaling_rows = scaling(args.resolution, progress=lambda s: print(f"scaling: {s}...", file=sys.stderr,
                                                                        flush=True))
        write_scaling_plot(scaling_rows, args.scaling_plot, scan_rows)
    speeds = result["machine"]
    print(f"machine: {speeds['cpus']} CPUs, {speeds['gemm_gflops']:.1f} GFLOP/s (float64 GEMM),"
          f" {speeds['bandwidth_gbs']:.1f} GB/s (copy); probes {result['resolution']}")
    print(f"{'stage':18} {'median':>11} {'limit':>11} {'x limit':>8} {'paper loop':>11}  notes")
    for name, st in stages.items():
        med = "skipped" if not (st.median_s == st.median_s) else _seconds(st.median_s)
        lim = _seconds(st.limit_s) if st.limit_s is not None else "-"
        ratio = f"{st.median_s / st.limit_s:.1f}" if st.limit_s and st.median_s == st.median_s else "-"
        ref = _seconds(st.reference_s) if st.reference_s is not None else "-"
        notes = []
        if "model_mb" in st.extra:
            notes.append(f"model {st.extra['model_mb']:.3g} MB")
        if st.extra.get("peak_memory_mb"):
            notes.append(f"peak {st.extra['peak_memory_mb']:.3g} MB")
        if st.extra.get("first_probe_of_a_light_cluster_s"):
            notes.append(f"first probe of a light cluster {_seconds(st.extra['first_probe_of_a_light_cluster_s'])}")
        if "slowest_s" in st.extra:
            notes.append(f"slowest {_seconds(st.extra['slowest_s'])}")
        if "skipped" in st.extra:
            notes.append(st.extra["skipped"])
        if "summary" in st.extra:
            notes.append(st.extra["summary"])
        print(f"{name:18} {med:>11} {lim:>11} {ratio:>8} {ref:>11}  {'; '.join(notes)}")
    if scaling_rows:
        print("scaling (one probe): " + ", ".join(f"{r['persons']:,} persons {_seconds(r['median_s'])}"
                                                 f" / {r['model_mb']:.0f} MB" for r in scaling_rows))
        print(f"scaling plot written to {args.scaling_plot}")
    if args.json:
        payload = {"stages": {k: v.to_json() for k, v in stages.items()}, "machine": speeds,
                   "resolution": result["resolution"], **({"scaling": scaling_rows} if scaling_rows else {}),
                   **({"scan_scaling": scan_rows} if scan_rows else {})}
        return _write_figures(args.json, payload, done="written to")
    return EXIT_OK


def _seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} us"


def cmd_detection_benchmark(args) -> int:
    from ..evaluation.detect_benchmark import run_detection_benchmark
    from .report import detection_table

    if args.json is not None:
        _check_output_file(args.json, "--json")
    names = [n.strip() for n in args.detectors.split(",") if n.strip()] if args.detectors else None
    try:
        result = run_detection_benchmark(args.data, names, args.per_width, args.gt_per_person, args.seed,
                                         progress=lambda s: print(f"running {s}...", file=sys.stderr, flush=True))
    except FileNotFoundError as exc:
        print(f"slrfr: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    result["command"] = "slrfr detection-benchmark " + " ".join(sys.argv[2:]) if sys.argv[1:2] == \
        ["detection-benchmark"] else "slrfr detection-benchmark"
    print(detection_table(result))
    if args.json:
        return _write_figures(args.json, result)
    return EXIT_OK


def cmd_report(args) -> int:
    from .report import write_report

    for path in write_report(args.results, args.output, detection=args.detection):
        print(f"wrote {path}")
    return EXIT_OK
