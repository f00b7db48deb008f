#!/usr/bin/env python3
"""Scan the test video of make_scan_video.py and compare every appearance found with the truth.

    python scripts/make_scan_video.py /tmp/sv
    slrfr enroll /tmp/sv/gallery --resolution 7x6 -o /tmp/sv/model.npz
    python scripts/scan_test_video.py /tmp/sv --model /tmp/sv/model.npz [--combine mean|best] [--workers 2]

A truth appearance is *found* when a reported appearance overlaps it in time and its best face lies
within one face width of the truth's box at that frame; it is *named right* when that report names
its person and is not unknown. Recall: enrolled appearances named right, of all enrolled ones;
precision: reports naming a person that are right, of all reports naming someone; the unknown persons'
appearances should be reported unknown (or not at all). Figures are given for faces of at least 16
pixels wide (the goal) and for all.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def match(truth: dict, rows: list[dict]) -> dict:
    """For each truth appearance, the rows that match it; and each row's truth appearance (or None)."""
    found = {i: [] for i in range(len(truth["appearances"]))}
    row_truth = {}
    for r in rows:
        best = None
        for i, a in enumerate(truth["appearances"]):
            if r["last_frame"] < a["first_frame"] or r["first_frame"] > a["last_frame"]:
                continue
            f = min(max(r["best_frame"], a["first_frame"]), a["last_frame"])
            x, y, w, h = a["boxes"][f - a["first_frame"]]
            d = np.hypot(r["x"] + r["w"] / 2 - (x + w / 2), r["y"] + r["h"] / 2 - (y + h / 2)) / w
            if d < 1.0 and (best is None or d < best[0]):
                best = (d, i)
        row_truth[r["id"]] = None if best is None else best[1]
        if best is not None:
            found[best[1]].append(r)
    return {"found": found, "row_truth": row_truth}


def evaluate(truth: dict, rows: list[dict], min_width: float = 16) -> dict:
    m = match(truth, rows)
    apps = truth["appearances"]
    big = {i for i, a in enumerate(apps) if a["width"] >= min_width}

    def figures(keep: set) -> dict:
        enrolled = [i for i in keep if apps[i]["enrolled"]]
        unknown = [i for i in keep if not apps[i]["enrolled"]]
        named_right = [i for i in enrolled if any(r["person"] == apps[i]["person"] and not r["unknown"]
                                                 for r in m["found"][i])]
        reports = [r for r in rows if not r["unknown"] and (m["row_truth"][r["id"]] is None
                                                             or m["row_truth"][r["id"]] in keep)]
        right = [r for r in reports if m["row_truth"][r["id"]] is not None
                 and apps[m["row_truth"][r["id"]]]["person"] == r["person"]]
        unknown_ok = [i for i in unknown if all(r["unknown"] for r in m["found"][i])]
        detected = [i for i in keep if m["found"][i]]
        return {"appearances": len(keep), "detected": len(detected), "enrolled": len(enrolled),
                "named_right": len(named_right), "recall": len(named_right) / max(len(enrolled), 1),
                "reports_naming": len(reports), "right": len(right), "precision": len(right) / max(len(reports), 1),
                "unknown_appearances": len(unknown), "reported_unknown": len(unknown_ok),
                "unknown_rate": len(unknown_ok) / max(len(unknown), 1)}

    yale = {i for i, a in enumerate(apps) if a["person"].startswith("yaleB")}
    return {"min_width": min_width, "at_least": figures(big), "all": figures(set(range(len(apps)))),
            "yale_at_least": figures(big & yale), "gt_at_least": figures(big - yale), "match": m}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="the folder make_scan_video.py wrote")
    parser.add_argument("--model", type=Path, required=True, help="model enrolled from FOLDER/gallery")
    parser.add_argument("--output", type=Path, help="results file (default: FOLDER/scan.sqlite, replaced)")
    parser.add_argument("--combine", choices=["mean", "best"], default="mean")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--detect-every", type=int, default=25)
    parser.add_argument("--track-every", type=int, default=2)
    parser.add_argument("--min-face", type=float, default=12.0)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    from slrfr_gui.method.modelfile import load_model
    from slrfr_gui.scan import ScanOptions, ScanStore, run_scan

    truth = json.loads((args.folder / "truth.json").read_text())
    output = args.output or args.folder / "scan.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(output) + suffix).unlink(missing_ok=True)
    model, _ = load_model(args.model)
    options = ScanOptions(detect_every=args.detect_every, track_every=args.track_every, min_face=args.min_face,
                          combine=args.combine, top=3)
    t0 = time.perf_counter()
    summary = run_scan(model, [args.folder / truth["video"]], output, options, workers=args.workers,
                       say=lambda line: print(f"skipped: {line}", file=sys.stderr))
    wall = time.perf_counter() - t0
    with ScanStore(output) as store:
        rows = store.appearances()
    result = evaluate(truth, rows)
    m = result["match"]
    print(f"scan: {summary.frames} frames in {summary.seconds:.1f} s ({summary.fps:.0f} frames/s with "
          f"{summary.workers} workers, cluster start-up included; {wall:.1f} s in all; {summary.cpu_ms_per_frame:.1f} "
          f"ms of worker CPU a frame); {len(rows)} appearances reported; combine={args.combine}")
    print(f"{'truth':>3} {'person':12} {'enr':3} {'px':>3} {'seconds':>11}  reported (seconds, named, ratio)")
    for i, a in enumerate(truth["appearances"]):
        found = "; ".join(f"{r['first_s']:.1f}-{r['last_s']:.1f} {'unknown (' + r['person'] + ')' if r['unknown'] else r['person']}"
                          f" {r['ratio']:.3f}" for r in m["found"][i]) or "not found"
        print(f"{i + 1:>3} {a['person']:12} {'yes' if a['enrolled'] else 'no':3} {a['width']:>3} "
              f"{a['first_s']:5.1f}-{a['last_s']:5.1f}  {found}")
    stray = [r for r in rows if m["row_truth"][r["id"]] is None]
    for r in stray:
        print(f"    no truth: {r['first_s']:.1f}-{r['last_s']:.1f} s at {r['x']},{r['y']} {r['w']}px "
              f"{'unknown' if r['unknown'] else r['person']} ratio {r['ratio']:.3f}")
    for key, label in (("at_least", f"faces >= {result['min_width']:g} px"), ("all", "all faces"),
                       ("yale_at_least", "Yale B faces >= 16 px"), ("gt_at_least", "GT faces >= 16 px")):
        f = result[key]
        print(f"{label}: {f['appearances']} appearances, {f['detected']} found; recall {f['recall']:.2f} "
              f"({f['named_right']}/{f['enrolled']} enrolled named right), precision {f['precision']:.2f} "
              f"({f['right']}/{f['reports_naming']} reports naming someone), unknown persons reported unknown "
              f"{f['reported_unknown']}/{f['unknown_appearances']}")
    if args.json:
        args.json.write_text(json.dumps({k: v for k, v in result.items() if k != "match"}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
