#!/usr/bin/env python3
"""Where each classifier mode wins: SLRFR (relighting) against the paper's outdoor variant and PCA+LDA+SVM.

``yaleb-lr-v1`` gives one gallery image per person, the setting SLRFR is made
for. The outdoor variant (section 4.3 of the paper) is made for several gallery
images per person whose probes also differ in pose and blur. This script
measures both settings on Extended Yale B, with the benchmark's folds (the
face model and lighting metric from the training half):

* K gallery images per test subject (K = 1, 3, 8), under lights drawn at
  random from S1-S3, the other images as probes;
* the same with "outdoor-like" probes: each probe shifted by up to 2 pixels,
  rotated by up to 5 degrees and scaled by up to 5 % in the 48 x 40 frame
  (misalignment) and blurred (Gaussian, sigma up to 1.5 px) before degradation.

    python scripts/compare_modes.py [--data ../shared/data/CroppedYale] [--size 12x10] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slrfr_gui.method.learned import LearnedRelightingClassifier  # noqa: E402
from slrfr_gui.evaluation.evaluate import _learn_metric, _training_synthesis, folds  # noqa: E402
from slrfr_gui.faces.facemodel import FaceModel  # noqa: E402
from slrfr_gui.faces.frame import degrade, parse_resolution  # noqa: E402
from slrfr_gui.method.outdoor import OutdoorClassifier, PCALDASVM  # noqa: E402
from slrfr_gui.evaluation.yale import load_yale  # noqa: E402


def perturb(images: np.ndarray, rng) -> np.ndarray:
    """Random similarity misalignment and blur of 48 x 40 faces."""
    out = np.empty_like(images)
    for i, im in enumerate(images):
        angle, scale = rng.uniform(-5, 5), rng.uniform(0.95, 1.05)
        m = cv2.getRotationMatrix2D((19.5, 23.5), angle, scale)
        m[:, 2] += rng.uniform(-2, 2, size=2)
        warped = cv2.warpAffine(im, m, (40, 48), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        sigma = rng.uniform(0.0, 1.5)
        out[i] = cv2.GaussianBlur(warped, (0, 0), sigma) if sigma > 0.1 else warped
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "CroppedYale")
    parser.add_argument("--size", type=parse_resolution, default=(12, 10))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    yale = load_yale(args.data)
    rng = np.random.default_rng(args.seed)
    size = args.size
    directions = sorted({(int(a), int(e)) for a, e, s in zip(yale.azimuth, yale.elevation, yale.subsets) if s <= 1})
    rows = []
    for k in (1, 3, 8):
        for outdoor_like in (False, True):
            scores = {"SLRFR": [], "outdoor": [], "PCA+LDA+SVM": []}
            for train_ids, test_ids in folds(yale.subjects):
                train = yale.select(np.isin(yale.subjects, train_ids))
                test = yale.select(np.isin(yale.subjects, test_ids))
                model = FaceModel.from_training(train.images, train.subjects, train.lights)
                relighter = LearnedRelightingClassifier(face_model=model)
                metric = _learn_metric(train, _training_synthesis(train, directions, relighter), size,
                                       {"face_model": model})
                for _ in range(3):  # three random galleries per fold
                    gal = []
                    for s in np.unique(test.subjects):
                        pool = np.flatnonzero((test.subjects == s) & (test.subsets <= 2))
                        gal += list(rng.choice(pool, size=min(k, len(pool)), replace=False))
                    gal = np.array(gal)
                    probes = np.setdiff1d(np.arange(len(test.images)), gal)
                    hr = perturb(test.images[probes], rng) if outdoor_like else test.images[probes]
                    lr = degrade(hr, size)
                    truth = test.subjects[probes]
                    for name, clf in (("SLRFR", LearnedRelightingClassifier(resolution=size, face_model=model, metric=metric)),
                                      ("outdoor", OutdoorClassifier(resolution=size)),
                                      ("PCA+LDA+SVM", PCALDASVM(resolution=size))):
                        clf.fit(test.images[gal], test.subjects[gal])
                        scores[name].append(float(np.mean(clf.predict(lr) == truth)))
            rows.append((k, outdoor_like, {n: 100 * np.mean(v) for n, v in scores.items()}))
            print(f"K={k} {'misaligned+blurred' if outdoor_like else 'aligned':18}  "
                  + "  ".join(f"{n} {v:5.1f} %" for n, v in rows[-1][2].items()), flush=True)
    print(f"({size[0]}x{size[1]} probes, rank-1 over 2 folds x 3 random galleries; {time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
