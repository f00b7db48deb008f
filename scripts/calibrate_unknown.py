#!/usr/bin/env python3
"""Calibrate the default "unknown" threshold on Extended Yale B (the training data).

For each probe resolution and each near-frontal gallery light, half of the 38
subjects are enrolled (one image each) and the other half stand in for
strangers. Every other image under an S1-S3 light is a probe. The score is
the ratio of the best to the second-best residual; the threshold is set so
that at most FPIR of the strangers' probes are given a name. The figures go
to ``resources/openset.json``; the application reads its default from there.

    python scripts/calibrate_unknown.py [--data ../shared/data/CroppedYale] [--fpir 0.1]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slrfr_gui.method.learned import LearnedRelightingClassifier  # noqa: E402
from slrfr_gui.evaluation.evaluate import folds  # noqa: E402
from slrfr_gui.faces.facemodel import FaceModel  # noqa: E402
from slrfr_gui.faces.frame import degrade, format_resolution  # noqa: E402
from slrfr_gui.method.openset import fnir_at, margin_ratio, threshold_at_fpir  # noqa: E402
from slrfr_gui.evaluation.yale import load_yale  # noqa: E402

RESOLUTIONS = [(5, 4), (7, 6), (10, 8), (12, 10), (19, 16), (24, 20)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "CroppedYale",
                        help="the CroppedYale folder of Extended Yale B (default: %(default)s)")
    parser.add_argument("--fpir", type=float, default=0.1)
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "openset.json")
    args = parser.parse_args(argv)

    yale = load_yale(args.data)
    subsets = yale.subsets
    gallery_lights = [(0, 0), (-5, 10), (5, -10), (20, 10), (-20, -10)]
    thresholds, report = {}, {}
    # The enrolled half's face model comes from the other half, as in the benchmark.
    for res in RESOLUTIONS:
        mated, correct, nonmated = [], [], []
        for enrolled, strangers in folds(yale.subjects):
            model = FaceModel.from_training(*(lambda s: (s.images, s.subjects, s.lights))(
                yale.select(np.isin(yale.subjects, strangers))))
            lr = degrade(yale.images, res)
            for a, e in gallery_lights:
                gal = np.flatnonzero(np.isin(yale.subjects, enrolled) & (yale.azimuth == a) & (yale.elevation == e))
                if len(gal) < 2:
                    continue
                clf = LearnedRelightingClassifier(resolution=res, face_model=model).fit(yale.images[gal], yale.subjects[gal])
                probes = np.flatnonzero((subsets <= 2) & ~np.isin(np.arange(len(yale.images)), gal))
                res_all = clf.residuals(lr[probes])
                scores = margin_ratio(res_all)
                is_mated = np.isin(yale.subjects[probes], yale.subjects[gal])
                best = clf.classes_[np.argmin(res_all, axis=1)]
                mated += list(scores[is_mated])
                correct += list(best[is_mated] == yale.subjects[probes][is_mated])
                nonmated += list(scores[~is_mated])
        t = threshold_at_fpir(np.array(nonmated), args.fpir)
        key = format_resolution(res)
        thresholds[key] = round(t, 4)
        report[key] = {"fnir": round(fnir_at(t, mated, correct), 4), "mated": len(mated), "nonmated": len(nonmated)}
        print(f"{key:>6}: threshold {t:.4f}  FNIR {report[key]['fnir']:.3f} at FPIR {args.fpir}"
              f"  ({len(mated)} mated, {len(nonmated)} non-mated probes)")
    out = {
        "score": "ratio of the smallest to the second-smallest normalised residual; unknown when above the threshold",
        "fpir": args.fpir,
        "thresholds": thresholds,
        "calibration": report,
        "description": (f"Extended Yale B, 19 enrolled and 19 stranger subjects per fold, gallery lights "
                        f"{gallery_lights}, probes under S1-S3 lights; made by scripts/calibrate_unknown.py"),
    }
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
