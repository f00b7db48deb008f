#!/usr/bin/env python3
"""Derive the shipped generic metric (resources/generic_metrics.npz) from IMM and Extended Yale B.

The generic metric scores galleries whose faces are not framed like the canonical frame
(slrfr_gui/method/generic.py explains it). Its two parts, for every size the lighting metrics ship for:

* pose and expression: the IMM face set (40 persons, 6 head-and-shoulders frames each). Each face is
  found by the shipped face detector in the frame enlarged 4 times; a person's faces are placed by their
  detection where it agrees with the person's median detection (centre within 0.3 face widths, size
  within 0.8-1.25), else at that median (turned heads and the spotlight image often defeat the detector;
  the camera and the person stay put). A person for whom fewer than two detections agree is left out
  (one person's only detection was background), and so is an image whose placement is not face-like
  (distance from the face space above 0.6). Every face is cropped in each
  framing of slrfr_gui.method.generic.FRAMINGS, brought to 48 x 40 as the gallery loader does, degraded to
  the size, and used mirrored too (as another person);
* lighting: every Extended Yale B subject's images under a gallery light (S1-S2) against their other
  images, and the same mirrored, in each framing of slrfr_gui.method.generic.LIGHT_FRAMINGS.

No image is copied; only these covariances (compressed to their leading eigenvectors) are written.

    python scripts/derive_generic_metric.py [--imm ../shared/data/IMM] [--yale ../shared/data/CroppedYale]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slrfr_gui.method.slrfr import log_features  # noqa: E402
from slrfr_gui.faces.frame import degrade, format_resolution, to_frame  # noqa: E402
from slrfr_gui.method.generic import (FRAMINGS, LIGHT_FRAMINGS, crop_framed,  # noqa: E402
                                    framed_lighting_covariance, pair_covariances, save_generic_parts)
from slrfr_gui.files.imageio import read_grey  # noqa: E402

UPSCALE = 4
MAX_FACE_DISTANCE = 0.6
#: A person's faces are placed only when at least this many of their images' detections agree.
MIN_AGREEING = 2


def _sizes() -> list:
    """The sizes the shipped lighting metrics serve (so both resources always cover the same sizes)."""
    from slrfr_gui.files.datafile import read_data_file
    from slrfr_gui.errors import ResourceError
    from slrfr_gui.method.lighting_resources import FILE_NAME, FORMAT, FORMAT_VERSION

    try:
        _, meta = read_data_file(ROOT / "resources" / FILE_NAME, FORMAT, FORMAT_VERSION, ResourceError, "", "")
        return [tuple(int(v) for v in s.split("x")) for s in meta["sizes"]]
    except (ResourceError, KeyError, ValueError):
        return sorted({(r, int(r * 5 / 6 + 0.5)) for r in range(5, 25)} | {(7, 6), (10, 8), (12, 10), (19, 16)})


def imm_faces(root: Path):
    """Each IMM image with its face placement: (images, persons, placements), and the persons left out."""
    import cv2

    from slrfr_gui.faces.align import Placement, faceness
    from slrfr_gui.faces.detect import detect_faces

    images, persons, placements, skipped = [], [], [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        frames = [read_grey(f) for f in files]
        found = []
        for frame in frames:
            big = cv2.resize(frame, None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_CUBIC)
            d = detect_faces(big)
            found.append(None if not d else d[0].placement)
        seen = np.array([[p.cx, p.cy, p.scale, p.angle] for p in found if p is not None])
        if len(seen) == 0:
            skipped.append((folder.name, "no face detected in any image"))
            continue
        median = np.median(seen, axis=0)

        def agrees(v):
            return np.hypot(*(v[:2] - median[:2])) < 0.3 * 40 * median[2] and 0.8 < v[2] / median[2] < 1.25

        if sum(agrees(v) for v in seen) < MIN_AGREEING:
            skipped.append((folder.name, f"fewer than {MIN_AGREEING} detections agree on where the face is"))
            continue
        kept = []
        for frame, p in zip(frames, found):
            use = median
            if p is not None:
                v = np.array([p.cx, p.cy, p.scale, p.angle])
                if agrees(v):
                    use = v
            placement = Placement(use[0] / UPSCALE, use[1] / UPSCALE, use[2] / UPSCALE, use[3])
            if faceness(frame, placement) <= MAX_FACE_DISTANCE:
                kept.append((frame, placement))
        if len(kept) < 2:
            skipped.append((folder.name, "fewer than two face-like placements"))
            continue
        for frame, placement in kept:
            images.append(frame)
            persons.append(folder.name)
            placements.append(placement)
    return images, np.array(persons), placements, skipped


def imm_parts(images, persons, placements, sizes) -> dict:
    """Intra- and extra-personal covariances of the IMM faces in every framing, per size."""
    faces = {fr: np.stack([to_frame(crop_framed(im, pl, *fr)) for im, pl in zip(images, placements)])
             for fr in FRAMINGS}
    out = {}
    for size in sizes:
        intra, extra, n = 0.0, 0.0, 0
        for k, fr in enumerate(FRAMINGS):
            both = np.concatenate([faces[fr], faces[fr][:, :, ::-1]])  # mirrored: another person
            who = np.concatenate([persons, np.char.add(persons, "-mirrored")])
            f = log_features(degrade(both, size).reshape(len(both), -1))
            i, e, _ = pair_covariances(f, who, random_state=k, identities=np.concatenate([persons, persons]))
            intra, extra, n = intra + i, extra + e, n + 1
        out[size] = {"intra": intra / n, "extra": extra / n}
    return out


def yale_parts(yale, sizes) -> dict:
    rows = list(np.flatnonzero(yale.subsets <= 1))
    return {size: framed_lighting_covariance(yale.images, yale.subjects, rows, size) for size in sizes}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = ROOT.parent / "shared" / "data"
    parser.add_argument("--imm", type=Path, default=data / "IMM", help="the IMM folder (default: %(default)s)")
    parser.add_argument("--yale", type=Path, default=data / "CroppedYale",
                        help="the CroppedYale folder (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "generic_metrics.npz",
                        help="output file (default: %(default)s)")
    args = parser.parse_args(argv)
    from slrfr_gui.evaluation.yale import load_yale

    start = time.perf_counter()
    sizes = _sizes()
    images, persons, placements, skipped = imm_faces(args.imm)
    for name, why in skipped:
        print(f"IMM {name}: left out ({why})")
    print(f"IMM: {len(images)} faces of {len(set(persons.tolist()))} persons placed"
          f" ({time.perf_counter() - start:.0f} s)", flush=True)
    parts = imm_parts(images, persons, placements, sizes)
    yale = load_yale(args.yale)
    for size, light in yale_parts(yale, sizes).items():
        parts[size]["light"] = light
    meta = {"sizes": [format_resolution(s) for s in sizes],
            "imm_persons": sorted(set(persons.tolist())), "imm_images": len(images),
            "yale_subjects": sorted(int(s) for s in set(yale.subjects.tolist())),
            "framings": [list(f) for f in FRAMINGS], "light_framings": [list(f) for f in LIGHT_FRAMINGS],
            "made_by": "scripts/derive_generic_metric.py"}
    save_generic_parts(args.out, parts, meta)
    print(f"generic metrics for {len(sizes)} sizes -> {args.out} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
