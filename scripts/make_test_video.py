#!/usr/bin/env python3
"""Write a 640x480 test video of one Extended Yale B subject, for `slrfr identify --camera`.

Two kinds:

* ``jump`` (default): every frame pastes the subject's cropped image, under an S1-S2
  light other than the frontal one, at a new random place and width (40-160 pixels)
  into Gaussian noise (the frames of ``scripts/measure_detection.py``);
* ``drift``: one image of the subject drifts slowly over a smooth background, as a
  face in front of a webcam does.

    python scripts/make_test_video.py OUT.avi [--subject 3] [--kind jump] [--frames 100] [--seed 5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slrfr_gui.faces.camera import write_video  # noqa: E402
from slrfr_gui.files.imageio import read_grey  # noqa: E402
from slrfr_gui.demo.synthetic import pasted_frame  # noqa: E402
from slrfr_gui.errors import DataSetError  # noqa: E402
from slrfr_gui.evaluation.yale import load_yale  # noqa: E402


def _fictional_faces(seed: int) -> list:
    """One fictional person (albedo from the face model's PCA) under eight near-frontal lights, 192 x 168
    like a cropped Yale B image."""
    import cv2

    from slrfr_gui.demo.synthetic import render_faces, sample_albedos
    from slrfr_gui.evaluation.yale import light_vector

    rng = np.random.default_rng(seed)
    lights = light_vector(rng.uniform(-20, 20, 8), rng.uniform(-10, 15, 8))
    faces = render_faces(sample_albedos(1, seed=seed), lights)[0]
    return [cv2.resize(face, (168, 192), interpolation=cv2.INTER_CUBIC).clip(0, 1) for face in faces]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="video file to write (.avi, MJPG)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "CroppedYale",
                        help="the CroppedYale folder of Extended Yale B (default: %(default)s)")
    parser.add_argument("--subject", type=int, default=3, help="Yale B subject number (default 3)")
    parser.add_argument("--kind", choices=["jump", "drift"], default="jump")
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)

    import cv2

    rng = np.random.default_rng(args.seed)
    try:
        yale = load_yale(args.data, subjects=[args.subject])
    except DataSetError as exc:
        # A fresh machine has no Yale B: a fictional face drawn from the face model instead (no traceback).
        print(f"make_test_video: note: {exc}; using a fictional face from the shipped face model instead "
              "(give --data DIR for a real one)", file=sys.stderr)
        faces, who = _fictional_faces(args.seed), "a fictional person"
    else:
        frontal = (yale.azimuth == 0) & (yale.elevation == 0)
        lights = np.flatnonzero((yale.subsets <= 1) & ~frontal)
        if not lights.size:
            print(f"make_test_video: error: subject {args.subject} has no image under lights S1 in {args.data}",
                  file=sys.stderr)
            return 1
        faces, who = [read_grey(yale.paths[i]) for i in lights], f"yaleB{args.subject:02d}"
    frames = []
    if args.kind == "jump":
        for _ in range(args.frames):
            image = faces[int(rng.integers(len(faces)))]
            frames.append(pasted_frame(image, int(rng.integers(40, 161)), rng)[0])
    else:
        face = cv2.resize(faces[0], (84, 96), interpolation=cv2.INTER_AREA)
        background = cv2.GaussianBlur(rng.random((480, 640)), (0, 0), 8)
        background = 0.3 + 0.4 * (background - background.min()) / np.ptp(background)
        for t in range(args.frames):
            frame = np.clip(background + 0.02 * rng.standard_normal(background.shape), 0, 1)
            x, y = 200 + int(40 * np.sin(t / 15)), 150 + int(20 * np.cos(t / 20))
            frame[y:y + 96, x:x + 84] = face
            frames.append(frame)
    write_video(args.out, frames, fps=30 if args.kind == "drift" else 10)
    print(f"{len(frames)} frames of {who} ({args.kind}) -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
