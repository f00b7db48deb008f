#!/usr/bin/env python3
"""Measure face detection, alignment and identification on Yale B faces pasted into noisy frames.

The face model and the detector are trained on subjects B01-B20 only; the frames
show subjects B21-B39 (one cropped image each, at a random place and width, in
640 x 480 Gaussian noise). A face counts as *found* when the best detection's
eye centres lie within two pixels (at 48 x 40) of where the canonical frame puts
them, and as *identified* when the aligned face, degraded to the probe size,
is ranked first against a gallery of the 19 test subjects (one frontal image each).

    python scripts/measure_detection.py [--frames 100] [--max-subset 2] [--resolution 7x6]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slrfr_gui.evaluation.detect_benchmark import measure  # noqa: E402
from slrfr_gui.faces.frame import parse_resolution  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "CroppedYale",
                        help="the CroppedYale folder of Extended Yale B (default: %(default)s)")
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--max-subset", type=int, default=2, help="probe lights up to S(n) (default 2: S1-S2)")
    parser.add_argument("--resolution", default="7x6")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--shipped-scores", action="store_true",
                        help="print the shipped detector's verifier score quartiles for Yale B faces pasted into "
                             "noise (the reference of face_search.SURE_SCORE) and stop")
    parser.add_argument("--landmark-offset", action="store_true",
                        help="print where dlib's 5-point eye centres lie relative to the canonical frame's (the "
                             "reference of face_search.LANDMARK_OFFSET) and stop")
    args = parser.parse_args(argv)
    if args.landmark_offset:
        from slrfr_gui.evaluation.detect_benchmark import landmark_offset

        print("landmark eye offset (frame pixels, image-left and image-right eye (dx, dy))",
              landmark_offset(args.data).tolist())
        return 0
    if args.shipped_scores:
        from slrfr_gui.evaluation.detect_benchmark import shipped_score_quartiles

        print("verifier score quartiles", shipped_score_quartiles(args.data))
        return 0
    result = measure(args.data, args.frames, args.max_subset - 1, parse_resolution(args.resolution),
                     seed=args.seed, verbose=args.verbose)
    for key, value in result.items():
        print(f"{key:28} {value:.3f}" if isinstance(value, float) else f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
