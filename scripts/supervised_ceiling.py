#!/usr/bin/env python3
"""How far a classifier gets on yaleb-lr-v1's probes when it has seen the test subjects under almost every light.

A yardstick for the accuracy goals, not a method: SLRFR sees one gallery image
per test subject. Here each fold's 19 test subjects are split 16-fold
(stratified by subject) and a classifier is trained on 15/16 of *their own*
low-resolution images, lit from nearly all 64 directions, then scored on the
rest, so every image is a probe once. The classifiers: an RBF support vector
machine (C = 100) and a one-hidden-layer perceptron (256 units), both on
unit-norm grey levels (the best of linear, log, square-root and unit-norm
inputs tried). The figure is the mean over the two folds, per lighting subset
too.

    python scripts/supervised_ceiling.py [--data ../shared/data/CroppedYale] [--resolutions 7x6,12x10]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slrfr_gui.cli.common import _resolutions  # noqa: E402
from slrfr_gui.evaluation.evaluate import folds  # noqa: E402
from slrfr_gui.faces.frame import degrade  # noqa: E402
from slrfr_gui.evaluation.yale import SUBSET_NAMES, load_yale  # noqa: E402

CLASSIFIERS = {
    "RBF SVM": lambda: make_pipeline(StandardScaler(), SVC(C=100, gamma="scale")),
    "MLP": lambda: make_pipeline(StandardScaler(), MLPClassifier((256,), alpha=1e-3, max_iter=2000, random_state=0)),
}


def unit_rows(images: np.ndarray) -> np.ndarray:
    x = images.reshape(len(images), -1)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "CroppedYale"))
    parser.add_argument("--resolutions", type=_resolutions, default=[(7, 6)])
    args = parser.parse_args(argv)
    yale = load_yale(args.data)
    print("supervised ceiling: 15/16 of each test subject's own images for training (not the protocol)")
    print(f"{'classifier':10s} {'size':>6s} {'rank-1':>7s} " + " ".join(f"{s:>6s}" for s in SUBSET_NAMES))
    for size in args.resolutions:
        for name, make in CLASSIFIERS.items():
            rates, hits, counts = [], np.zeros(5), np.zeros(5)
            for _, test_subjects in folds(yale.subjects):
                test = yale.select(np.isin(yale.subjects, test_subjects))
                x = unit_rows(degrade(test.images, size))
                cv = StratifiedKFold(16, shuffle=True, random_state=0)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    predicted = cross_val_predict(make(), x, test.subjects, cv=cv)
                correct = predicted == test.subjects
                rates.append(correct.mean())
                for s in range(5):
                    hits[s] += correct[test.subsets == s].sum()
                    counts[s] += (test.subsets == s).sum()
            subsets = " ".join(f"{100 * h / max(c, 1):5.1f}%" for h, c in zip(hits, counts))
            print(f"{name:10s} {size[0]:>3d}x{size[1]:<2d} {100 * np.mean(rates):6.1f}% {subsets}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
