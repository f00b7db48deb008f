#!/usr/bin/env python3
"""Derive the shipped face model from the cropped Extended Yale B images.

Writes ``resources/detector.npz`` (the face detector's verifier and alignment
regressors, trained on the same faces pasted on random backgrounds),
``resources/face_model.npz`` (mean surface normals by photometric stereo,
their per-pixel covariance, the face mask, the eye centres of the canonical
frame and a PCA of the 48 x 40 faces) and ``resources/face_frame.json`` (the
frame's measured eye centres, for people and other tools to read) and
``resources/lighting_metrics.npz`` (the illumination-specific residual metric
of every slider resolution, :mod:`slrfr_gui.method.lighting`). No image is
copied: only these statistics over all 38 subjects.

    python scripts/derive_face_model.py [--data ../shared/data/CroppedYale] [--no-detector]
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

from slrfr_gui.faces.detector_training import train_detector  # noqa: E402
from slrfr_gui.faces.facemodel import FaceModel  # noqa: E402
from slrfr_gui.evaluation.yale import load_yale  # noqa: E402
from slrfr_gui.evaluation.yale import training_faces_2x  # noqa: E402


def write_lighting_metrics(yale, model, path) -> None:
    """Learn the lighting metrics of every slider resolution (and the protocol's) from all subjects: the
    learned relighting (log features, the default) and the physical relighting's (square-root features)."""
    from slrfr_gui.method.physical import PhysicalRelightingClassifier
    from slrfr_gui.method.lighting import learn_for_classifier
    from slrfr_gui.method.lighting_resources import save_metrics

    sizes = sorted({(r, int(r * 5 / 6 + 0.5)) for r in range(5, 25)} | {(7, 6), (10, 8), (12, 10), (19, 16)})
    rows = np.flatnonzero(yale.subsets <= 1)  # the gallery lights of the protocol: S1, S2
    synthesized = PhysicalRelightingClassifier(face_model=model).synthesize(yale.images[rows])
    conditions = yale.azimuth * 1000 + yale.elevation
    mirrored = -yale.azimuth * 1000 + yale.elevation  # a face mirrored left to right: azimuth negated
    metrics = [learn_for_classifier(yale.images, yale.subjects, conditions, rows, synthesized, size, params,
                                    mirrored_conditions=mirrored)
               for size in sizes
               for params in ({"relighting": "learned", "features": "log"},
                              {"relighting": "physical", "features": "sqrt"})]
    save_metrics(path, metrics, {"subjects": model.subjects, "sizes": [f"{r}x{c}" for r, c in sizes]})
    print(f"lighting metrics for {len(sizes)} sizes -> {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "CroppedYale",
                        help="the CroppedYale folder (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=ROOT / "resources", help="output folder (default: %(default)s)")
    parser.add_argument("--components", type=int, default=400, help="PCA components kept (default: %(default)s)")
    parser.add_argument("--no-detector", action="store_true", help="keep the existing detector.npz")
    parser.add_argument("--metrics-only", action="store_true",
                        help="only rewrite lighting_metrics.npz, with the face model already in --out")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    yale = load_yale(args.data)
    if args.metrics_only:
        model = FaceModel.load(args.out / "face_model.npz")
        write_lighting_metrics(yale, model, args.out / "lighting_metrics.npz")
        print(f"in {time.perf_counter() - start:.1f} s")
        return 0
    model = FaceModel.from_training(yale.images, yale.subjects, yale.lights, n_pca=args.components)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save(args.out / "face_model.npz")
    frame = {
        "frame_shape_rows_cols": [48, 40],
        "source": "Extended Yale B cropped, columns 4-163 of 192x168, area-resized by 4",
        "eye_centres_xy_pixels": {
            "image_left": [round(float(v), 3) for v in model.eye_centres[0]],
            "image_right": [round(float(v), 3) for v in model.eye_centres[1]],
        },
        "convention": "x = column, y = row, pixel centres at integers, origin at the top-left pixel",
        "measured_on": "mean of the frontal-flash images (A=0, E=0) of all subjects",
        "subjects": model.subjects,
        "face_pixels": int(model.face_mask.sum()),
    }
    (args.out / "face_frame.json").write_text(json.dumps(frame, indent=2) + "\n")
    write_lighting_metrics(yale, model, args.out / "lighting_metrics.npz")
    if not args.no_detector:
        detector = train_detector(training_faces_2x(yale, max_subset=2), model=model)
        detector.save(args.out / "detector.npz")
    print(f"face model from {len(yale.images)} images of {len(model.subjects)} subjects"
          f" in {time.perf_counter() - start:.1f} s -> {args.out / 'face_model.npz'}")
    print(f"eye centres (x, y): {np.round(model.eye_centres, 2).tolist()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
