#!/usr/bin/env python3
"""Smoke-test a built slrfr-gui (the PyInstaller executable, or an installed `slrfr-gui`), offscreen.

    python packaging/smoke_test.py dist/slrfr-gui/slrfr-gui [--out DIR]

Run it with a Python that has the project installed (the build's venv): it makes the fictional
gallery with scripts/make_synthetic_gallery.py, then starts the executable three times with
QT_QPA_PLATFORM=offscreen:

1. ``--demo --screenshot demo.png --json demo.json``: the window starts the built-in demo (twelve
   fictional persons, trained), identifies its first probe as Ada and writes its PNG;
2. ``--gallery G --probe Esme__2.png --resolution 7x6 --screenshot --json``: trains (scikit-learn's
   OMP, SciPy, the shipped face model and lighting metrics) and ranks Esme first;
3. the same with a 640x480 frame in which Esme's face is 120 pixels wide: face detection (the shipped
   detector, OpenCV's Haar cascade, the verifier) finds it and ranks Esme first;
4. ``--scan VIDEO --scan-results R.sqlite``: File -> Scan videos' path, a 6 s 640x480 video scanned on the
   embedded Dask cluster (threads in a frozen build), every chunk written to R.sqlite.

Exits 0 when all pass; prints what failed otherwise. Only files are checked, not the output: a
Windows GUI executable has no stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(exe: str, args: list[str], label: str) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    start = time.perf_counter()
    done = subprocess.run([exe, *args], env=env, timeout=300, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"smoke test {label}: {exe} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return seconds


def check_png(path: Path, label: str) -> None:
    if not path.is_file() or path.read_bytes()[:8] != PNG_MAGIC:
        raise SystemExit(f"smoke test {label}: no PNG written at {path}")


def check_first(path: Path, person: str, label: str) -> None:
    try:
        ranked = json.loads(path.read_text())[0]["ranked"]
    except (OSError, ValueError, IndexError, KeyError) as exc:
        raise SystemExit(f"smoke test {label}: no ranked persons in {path} ({exc})")
    if ranked[0]["person"] != person:
        raise SystemExit(f"smoke test {label}: {ranked[0]['person']} ranked first, not {person}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exe", help="the slrfr-gui executable to test")
    parser.add_argument("--out", type=Path, help="folder for the screenshots (default: a temporary one)")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="slrfr-smoke-"))
    out.mkdir(parents=True, exist_ok=True)

    demo = out / "demo"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_synthetic_gallery.py"), str(demo)], check=True,
                   stdout=subprocess.DEVNULL)

    import cv2
    import numpy as np

    from slrfr_gui.files.imageio import read_grey, write_grey
    from slrfr_gui.demo.synthetic import pasted_frame

    face = read_grey(demo / "gallery" / "Esme" / "esme.png")
    big = cv2.resize(face, (168, 192), interpolation=cv2.INTER_CUBIC)
    frame, _ = pasted_frame(big, 120, np.random.default_rng(1), crop_columns=(0, 168))
    write_grey(out / "frame.png", np.clip(frame, 0, 1))

    version = subprocess.run([args.exe, "--version"], capture_output=True, text=True, timeout=120)
    if version.returncode != 0 or "dlib" not in version.stdout or "own only" in version.stdout:
        raise SystemExit(f"smoke test 0 (--version): the build lacks dlib's face search:\n{version.stdout}"
                         f"{version.stderr}")
    print(f"0. {version.stdout.strip().splitlines()[-1]}")

    s = run(args.exe, ["--demo", "--screenshot", str(out / "demo.png"), "--json", str(out / "demo.json")], "1 (demo)")
    check_png(out / "demo.png", "1 (demo)")
    check_first(out / "demo.json", "Ada", "1 (demo)")
    print(f"1. the demo started, trained, ranked Ada first and wrote {out / 'demo.png'} ({s:.1f} s)")

    s = run(args.exe, ["--gallery", str(demo / "gallery"), "--probe", str(demo / "probes" / "Esme__2.png"),
                       "--resolution", "7x6", "--screenshot", str(out / "probe.png"), "--json", str(out / "probe.json")],
            "2 (train and identify)")
    check_png(out / "probe.png", "2 (train and identify)")
    check_first(out / "probe.json", "Esme", "2 (train and identify)")
    print(f"2. trained on 12 fictional persons, a 7x6 probe ranked Esme first ({s:.1f} s)")

    s = run(args.exe, ["--gallery", str(demo / "gallery"), "--probe", str(out / "frame.png"), "--resolution", "7x6",
                       "--screenshot", str(out / "frame_shot.png"), "--json", str(out / "frame.json")],
            "3 (detect and identify)")
    check_png(out / "frame_shot.png", "3 (detect and identify)")
    check_first(out / "frame.json", "Esme", "3 (detect and identify)")
    print(f"3. found the face in a 640x480 frame and ranked Esme first ({s:.1f} s)")

    import sqlite3

    from slrfr_gui.evaluation.scan_benchmark import make_bench_video

    video, _ = make_bench_video(out / "walk.mp4", seconds=6.0)
    results = out / "scan.sqlite"
    s = run(args.exe, ["--gallery", str(demo / "gallery"), "--resolution", "7x6", "--scan", str(video),
                       "--scan-results", str(results), "--screenshot", str(out / "scan.png")], "4 (scan a video)")
    check_png(out / "scan.png", "4 (scan a video)")
    try:
        with sqlite3.connect(results) as db:
            done, total = db.execute("SELECT sum(status = 'done'), count(*) FROM chunks").fetchone()
    except sqlite3.Error as exc:
        raise SystemExit(f"smoke test 4 (scan a video): {results} unreadable ({exc})")
    if not total or done != total:
        raise SystemExit(f"smoke test 4 (scan a video): {done} of {total} chunks done in {results}")
    print(f"4. scanned a 6 s video on the embedded Dask cluster, {total} chunks written ({s:.1f} s)")
    print(f"smoke test passed: {args.exe}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
