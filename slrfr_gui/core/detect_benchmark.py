"""Measuring detection, alignment and identification on Yale B faces pasted into noisy frames.

The face model and the detector are trained on subjects B01-B20 only; the frames
show subjects B21-B39 (one cropped image each, at a random place and width, in
640 x 480 Gaussian noise). A face counts as *found and aligned* when the best
detection's eye centres lie within two pixels (at 48 x 40) of where the
canonical frame puts them, and as *identified* when the aligned face, degraded
to the probe size, is ranked first against a gallery of the 19 test subjects
(one frontal image each).
"""

from __future__ import annotations

import time

import numpy as np

from .classifier import SLRFRClassifier
from .detect import FaceDetector, aligned_faces, detect_faces
from .facemodel import FaceModel
from .frame import prepare_probe
from .imageio import read_grey
from .synthetic import pasted_frame
from .yale import load_yale, training_faces_2x


def measure(data, frames=100, max_subset=1, resolution=(7, 6), widths=(14, 200), seed=0, verbose=False):
    """Run the measurement; returns a dict of rates (fractions), the median eye error and seconds per frame."""
    yale = load_yale(data)
    train = yale.select(yale.subjects <= 20)
    test = yale.select(yale.subjects > 20)
    model = FaceModel.from_training(train.images, train.subjects, train.lights)
    detector = FaceDetector.train(training_faces_2x(train, max_subset=2), model=model)
    frontal = (test.azimuth == 0) & (test.elevation == 0)
    clf = SLRFRClassifier(resolution=resolution, face_model=model).fit(test.images[frontal], test.subjects[frontal])
    rng = np.random.default_rng(seed)
    candidates = np.flatnonzero((test.subsets <= max_subset) & ~frontal)
    eyes = model.eye_centres
    rows = []
    for _ in range(frames):
        i = int(rng.choice(candidates))
        width = int(rng.integers(widths[0], widths[1] + 1))
        frame, truth = pasted_frame(read_grey(test.paths[i]), width, rng)
        start = time.perf_counter()
        found = detect_faces(frame, detector=detector, model=model)
        seconds = time.perf_counter() - start
        if found:
            err = float(np.max(np.hypot(*((found[0].placement.map_points(eyes) - truth.map_points(eyes))
                                          / truth.scale).T)))
            crop = aligned_faces(frame, found[:1])[0]
            named = clf.predict(prepare_probe(crop, resolution)[None])[0] == test.subjects[i]
        else:
            err, named = np.inf, False
        rows.append((width, err, bool(named), len(found), seconds))
        if verbose and err > 2:
            print(f"  width {width}: eye error {err:.1f} px, {len(found)} detection(s)")
    r = np.array(rows, dtype=float)
    aligned = r[:, 1] <= 2
    return {
        "frames": frames,
        "found_and_aligned": float(aligned.mean()),
        "found_within_5px": float((r[:, 1] <= 5).mean()),
        "identified": float(r[:, 2].mean()),
        "identified_when_aligned": float(r[aligned, 2].mean()) if aligned.any() else 0.0,
        "median_eye_error_px": float(np.median(r[:, 1])),
        "extra_detections_per_frame": float(np.mean(np.maximum(r[:, 3] - 1, 0))),
        "no_detection": float(np.mean(r[:, 3] == 0)),
        "median_seconds_per_frame": float(np.median(r[:, 4])),
    }


