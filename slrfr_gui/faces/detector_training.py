"""How the tiny-face verifier and aligner (:class:`~slrfr_gui.faces.detector.FaceDetector`) are learned.

Training faces in the canonical frame are pasted on random backgrounds; the
regressors learn to undo perturbed placements stage by stage, the Fisher
discriminant to tell aligned faces from parts of faces, faces with their
surroundings and background, and then, by bootstrapping (Sung and Poggio 1998),
from what the whole search (:func:`~slrfr_gui.faces.detect.detect_faces`) wrongly
keeps in scenes without a face; that is why this module sits above the search.
``scripts/derive_face_model.py`` trains the shipped one on the 38 Yale B subjects.
"""

from __future__ import annotations

import cv2
import numpy as np

from .align import COLS, ROWS, Placement
from .detect import detect_faces
from .detector import (REGRESSOR_SHAPE, STAGES, VERIFIER_SHAPE, FaceDetector, _apply, _features,
                       _regressor_features, crop)
from .facemodel import FaceModel


def _random_background(rng, shape) -> np.ndarray:
    """Noise, smooth noise or a gradient, with random level and contrast."""
    kind = rng.integers(3)
    if kind == 0:
        bg = rng.standard_normal(shape)
    elif kind == 1:
        bg = cv2.GaussianBlur(rng.standard_normal(shape), (0, 0), rng.uniform(1, 6))
        bg /= max(bg.std(), 1e-9)
    else:
        yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
        bg = (np.cos(rng.uniform(0, np.pi)) * xx + np.sin(rng.uniform(0, np.pi)) * yy) / max(shape)
        bg = (bg - bg.mean()) / max(bg.std(), 1e-9) + 0.3 * rng.standard_normal(shape)
    return np.clip(rng.uniform(0.2, 0.7) + rng.uniform(0.03, 0.2) * bg, 0, 1)


def _training_scene(face: np.ndarray, rng) -> tuple[np.ndarray, Placement]:
    """A face crop (any multiple of the 48 x 40 frame) pasted in the middle of a background 3 times its size."""
    rows, cols = face.shape
    scene = _random_background(rng, (3 * rows, 3 * cols)).astype(np.float32)
    scene[rows:2 * rows, cols:2 * cols] = face
    scale = cols / COLS
    return scene, Placement(cols + (cols - 1) / 2, rows + (rows - 1) / 2, scale)


def train_detector(faces: np.ndarray, perturbations: int = 8, ridge: float = 1.0, seed: int = 0,
          progress=None, model: FaceModel | None = None, hard_negative_rounds: int = 3,
          backgrounds: int = 60) -> FaceDetector:
    """Learn the detector from training faces in the canonical frame.

    Parameters
    ----------
    faces : ndarray of shape (n, 48 k, 40 k)
        Training faces (grey levels in [0, 1]) under many lights, cropped
        to the canonical frame at k times its size (k = 2 keeps the detail
        that parts of larger faces show).
    perturbations : int
        Perturbed placements per face and stage.
    ridge : float
        Ridge penalty of the regressors and the discriminant.
    model : FaceModel, optional
        The face model :func:`detect_faces` will use with this detector (for
        mining hard negatives); the shipped one by default.
    hard_negative_rounds : int
        Rounds of retraining on the detector's own mistakes in scenes without a face.
    backgrounds : int
        Scenes without a face per round.
    """
    rng = np.random.default_rng(seed)
    faces = np.asarray(faces, dtype=np.float32)
    scenes = [_training_scene(f, rng) for f in faces]
    regressors = []
    for stage, (sig_xy, sig_s) in enumerate(STAGES):
        X, Y = [], []
        for scene, truth in scenes:
            for _ in range(perturbations):
                d = rng.normal(0, sig_xy, 2)
                p = Placement(truth.cx + d[0] * truth.scale, truth.cy + d[1] * truth.scale,
                              truth.scale * float(np.exp(rng.normal(0, sig_s))))
                X.append(_regressor_features(crop(scene, p, REGRESSOR_SHAPE)))
                Y.append([(truth.cx - p.cx) / p.scale, (truth.cy - p.cy) / p.scale, np.log(truth.scale / p.scale)])
        X, Y = np.asarray(X), np.asarray(Y)
        regressors.append(np.linalg.solve(X.T @ X + ridge * np.eye(X.shape[1]), X.T @ Y))
        if progress is not None:
            progress(stage + 1, len(STAGES) + 1)
    # Verifier: near-aligned crops against misplaced crops and background.
    pos, neg = [], []
    for scene, truth in scenes:
        for _ in range(3):
            pos.append(_features(crop(scene, _apply(truth, (*rng.normal(0, 0.7, 2), rng.normal(0, 0.03))),
                                      VERIFIER_SHAPE)))
        for _ in range(6):
            kind = rng.integers(3)
            if kind == 0:  # a part of the face
                f = float(np.exp(rng.uniform(np.log(0.15), np.log(0.7))))
            elif kind == 1:  # the face and its surroundings
                f = float(np.exp(rng.uniform(np.log(1.4), np.log(2.5))))
            else:  # the right size, the wrong place
                f = float(np.exp(rng.uniform(-0.1, 0.1)))
            d = rng.uniform(-0.6, 0.6, 2) * np.array([COLS, ROWS])
            if kind == 2 and np.all(np.abs(d) < [0.15 * COLS, 0.15 * ROWS]):
                d[0] += 0.25 * COLS * np.sign(d[0] or 1)
            t = truth.scale
            neg.append(_features(crop(scene, Placement(truth.cx + d[0] * t, truth.cy + d[1] * t, f * t),
                                      VERIFIER_SHAPE)))
        for _ in range(4):  # background, seen at any scale: white noise stays white
            neg.append(_features(_random_background(rng, VERIFIER_SHAPE)))
            t = truth.scale
            drift = Placement(rng.uniform(0, 3 * COLS * t), rng.uniform(0, 3 * ROWS * t),
                              t * float(np.exp(rng.uniform(-0.5, 0.3))))
            if abs(drift.cx - truth.cx) > 0.7 * COLS * t or abs(drift.cy - truth.cy) > 0.7 * ROWS * t:
                neg.append(_features(crop(scene, drift, VERIFIER_SHAPE)))
    pos, neg = np.asarray(pos)[:, :-1], np.asarray(neg)[:, :-1]
    det = FaceDetector(np.stack(regressors), np.zeros(pos.shape[1] + 1), 0.0, 0.0)
    _fit_verifier(det, pos, neg, scenes, rng)
    # Hard negatives (bootstrapping, as in Sung and Poggio 1998): run the whole detector on
    # scenes without a face and learn again from what it wrongly keeps.
    for _ in range(hard_negative_rounds):
        hard = []
        for _ in range(backgrounds):
            scene = _random_background(rng, (240, 320)).astype(np.float32)
            for d in detect_faces(scene, detector=det, model=model):
                hard.append(_features(crop(scene, d.placement, VERIFIER_SHAPE))[:-1])
        if not hard:
            break
        neg = np.vstack([neg, np.repeat(np.asarray(hard), 5, axis=0)])
        _fit_verifier(det, pos, neg, scenes, rng)
    det.hard_negatives_ = int(len(neg))
    if progress is not None:
        progress(len(STAGES) + 1, len(STAGES) + 1)
    return det

def _fit_verifier(det: FaceDetector, pos, neg, scenes, rng) -> None:
    """Fisher discriminant of aligned faces against ``neg``, and its two thresholds."""
    cov = np.cov(pos.T) + np.cov(neg.T) + 1e-3 * np.eye(pos.shape[1])
    w = np.linalg.solve(cov, pos.mean(0) - neg.mean(0))
    det.verifier = np.append(w, 0.0)
    # A rough candidate needs the score 97 % of the aligned training faces reach.
    det.threshold = float(np.percentile(pos @ w, 3))
    # After alignment faces score higher than rough placements, and so do background crops
    # the regressors pull into a face-like shape: a threshold of its own, passed by 90 %.
    finals = []
    for scene, truth in scenes[:: max(1, len(scenes) // 400)]:
        start = _apply(truth, (*rng.normal(0, 2.0, 2), rng.normal(0, 0.05)))
        finals.append(det.align(scene, start)[1])
    finals = np.asarray(finals)
    det.final_threshold = float(np.percentile(finals[np.isfinite(finals)], 10))
    det.training_rejection_ = float(np.mean(neg @ w < det.threshold))
