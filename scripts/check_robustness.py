#!/usr/bin/env python3
"""How SLRFR's rank-1 on yaleb-lr-v1 holds when the probes are not made as the protocol makes them.

The gallery side is enrolled as always; only the probes change: area resize
without blur, bicubic resize, Gaussian noise then 8-bit quantisation, a gamma
curve, and faces moved 1 pixel across or 2 pixels down in the 48 x 40 frame
before degradation. ``--split odd-even`` replaces the protocol's two folds by
odd- and even-numbered subjects (the method's settings were chosen on the
protocol's folds). Everything the method learns still comes from each fold's
training subjects.

With ``--probe-noise SIGMA``, the protocol's probes and the noisy ones are also
scored by the noise-aware residuals (``SLRFRClassifier.residuals(noise=SIGMA)``).

With ``--json FILE`` the figures are also written in the layout of ``slrfr evaluate --json`` (one "method"
per kind of probe, with its lighting subsets and CMC), so that ``slrfr report`` puts them on the results page.

    python scripts/check_robustness.py [--data ../shared/data/CroppedYale] [--split protocol|odd-even]
                                       [--probe-noise 0.02] [--sizes 7x6,12x10] [--json FILE]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slrfr_gui.method.learned import LearnedRelightingClassifier, shift_faces  # noqa: E402
from slrfr_gui.method.physical import PhysicalRelightingClassifier  # noqa: E402
from slrfr_gui.evaluation.evaluate import (Evaluation, _aggregate, _fold_generic_metric, _learn_metric,  # noqa: E402
                                     _run_figures, _training_synthesis, folds, true_ranks)
from slrfr_gui.faces.facemodel import FaceModel  # noqa: E402
from slrfr_gui.faces.frame import degrade, parse_resolution  # noqa: E402
from slrfr_gui.evaluation.yale import load_yale  # noqa: E402



def _resize(images, size, interpolation):
    return np.clip(np.stack([cv2.resize(im, (size[1], size[0]), interpolation=interpolation) for im in images]), 0, 1)


def _noisy(images, size):
    rng = np.random.default_rng(0)
    lr = degrade(images, size) + rng.normal(0.0, 0.02, (len(images),) + tuple(size))
    return np.round(np.clip(lr, 0, 1) * 255) / 255


def _moved(images, dx, dy):
    out = images
    for _ in range(int(max(abs(dx), abs(dy)))):  # whole pixels, one at a time
        out = shift_faces(out, float(np.sign(dx)), float(np.sign(dy)))
    return out


PROBES = {
    "protocol (Gaussian blur, area resize)": lambda x, s: degrade(x, s),
    "area resize, no blur": lambda x, s: _resize(x, s, cv2.INTER_AREA),
    "bicubic resize": lambda x, s: _resize(x, s, cv2.INTER_CUBIC),
    "noise sigma 0.02, 8-bit": _noisy,
    "gamma 0.6": lambda x, s: degrade(x, s) ** 0.6,
    "moved 1 px across": lambda x, s: degrade(_moved(x, 1, 0), s),
    "moved 2 px down": lambda x, s: degrade(_moved(x, 0, 2), s),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "CroppedYale",
                        help="the CroppedYale folder (default: %(default)s)")
    parser.add_argument("--split", choices=("protocol", "odd-even"), default="protocol",
                        help="the protocol's folds, or odd- and even-numbered subjects (default: %(default)s)")
    parser.add_argument("--probe-noise", type=float, default=0.0, metavar="SIGMA",
                        help="also score the protocol's and the noisy probes assuming this noise (default: none)")
    parser.add_argument("--sizes", default="7x6,12x10", help="probe sizes (default: %(default)s)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as evaluate's JSON")
    args = parser.parse_args(argv)
    sizes = tuple(parse_resolution(t) for t in args.sizes.split(","))
    start = time.perf_counter()
    yale = load_yale(args.data)
    aware = {} if args.probe_noise <= 0 else {
        f"{name.split(' (')[0].split(',')[0]}, scored for noise {args.probe_noise:g}": name
        for name in ("protocol (Gaussian blur, area resize)", "noise sigma 0.02, 8-bit")}
    if args.split == "protocol":
        splits = folds(yale.subjects)
    else:
        ids = np.unique(yale.subjects)
        splits = [(ids[0::2], ids[1::2]), (ids[1::2], ids[0::2])]
    directions = sorted({(int(a), int(e)) for a, e, s in zip(yale.azimuth, yale.elevation, yale.subsets) if s <= 1})
    scores = {(name, size): [] for name in [*PROBES, *aware] for size in sizes}
    for train_ids, test_ids in splits:
        train = yale.select(np.isin(yale.subjects, train_ids))
        test = yale.select(np.isin(yale.subjects, test_ids))
        model = FaceModel.from_training(train.images, train.subjects, train.lights)
        synthesis = _training_synthesis(train, directions, PhysicalRelightingClassifier(face_model=model))
        test_dirs = list(zip(test.azimuth.tolist(), test.elevation.tolist()))
        for size in sizes:
            metric = _learn_metric(train, synthesis, size, {"face_model": model})
            # never the shipped generic metric (its lighting part saw every subject): the fold's, if needed
            generic = functools.cache(functools.partial(_fold_generic_metric, train, directions, size))
            probes = {name: make(test.images, size) for name, make in PROBES.items()}
            for g in directions:
                gal = np.array([i for i, d in enumerate(test_dirs) if d == g])
                if len(gal) == 0:
                    continue
                mask = np.isin(test.subjects, test.subjects[gal])
                mask[gal] = False
                rows = np.flatnonzero(mask)
                clf = LearnedRelightingClassifier(resolution=size, face_model=model, metric=metric, generic_metric=generic)
                clf.fit(test.images[gal], test.subjects[gal])
                for name in PROBES:
                    ranks = true_ranks(clf.residuals(probes[name][rows]), clf.classes_, test.subjects[rows])
                    scores[(name, size)].append(_run_figures(ranks, test.subsets[rows]))
                for name, kind in aware.items():
                    residuals = clf.residuals(probes[kind][rows], noise=args.probe_noise)
                    ranks = true_ranks(residuals, clf.classes_, test.subjects[rows])
                    scores[(name, size)].append(_run_figures(ranks, test.subsets[rows]))
        print(f"fold done: {len(test_ids)} test subjects", flush=True)
    print(f"SLRFR rank-1 (%), mean over runs, {args.split} split")
    print(f"{'probes':40} " + " ".join(f"{r}x{c:<5}" for r, c in sizes))
    for name in [*PROBES, *aware]:
        print(f"{name:40} " + " ".join(f"{100 * np.mean([f['rank1'] for f in scores[(name, s)]]):7.1f}"
                                       for s in sizes))
    if args.json:
        results = [_aggregate(f"SLRFR, probes: {name}", size, scores[(name, size)], "")
                   for size in sizes for name in [*PROBES, *aware]]
        notes = [f"scripts/check_robustness.py, {args.split} split: the default SLRFR, probes made otherwise than"
                 " the protocol's; everything learned from each fold's training subjects"]
        evaluation = Evaluation(f"yaleb-lr-v1 robustness ({args.split} split)", results,
                                time.perf_counter() - start, {}, notes)
        args.json.write_text(json.dumps(evaluation.to_json(), indent=2) + "\n")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
