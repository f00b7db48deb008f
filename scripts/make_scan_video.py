#!/usr/bin/env python3
"""Write a test video for `slrfr scan`, its gallery and the truth: who appears where and when.

Faces of Extended Yale B subjects (under S1-S2 lights other than the gallery's frontal one) and of
Georgia Tech persons (another image than the gallery's) move over a real photograph (one of
../shared/data/photos, its annotated faces blurred away, grey, 640x480) at 10-40 pixels wide,
entering and leaving at known times; some of them are enrolled, some are not (the unknown persons).
Each face is pasted as the canonical frame (forehead to chin, cheek to cheek; 6:5), the same crop the
gallery images are, with a little sensor noise on every frame.

    python scripts/make_scan_video.py OUT_DIR [--seconds 60] [--fps 25] [--seed 0] [--data ../shared/data]
    python scripts/make_scan_video.py OUT_DIR --fictional     # no data needed: the benchmark's video


writes OUT_DIR/video.mp4 (MPEG-4), OUT_DIR/gallery/<person>/<image>.png and OUT_DIR/truth.json
(every appearance: person, enrolled, width, first/last frame and second, and its box on every frame).
GT and the photos are used here only as a check, as data/README.md asks: nothing is learned from them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slrfr_gui.files.imageio import read_grey, write_grey  # noqa: E402

SHAPE = (480, 640)
#: Enrolled and unknown persons: Yale B subject numbers and GT person folders.
YALE_ENROLLED, YALE_UNKNOWN = (21, 24, 27, 30, 33), (36, 38)
GT_ENROLLED, GT_UNKNOWN = ("s05", "s12", "s19", "s26", "s33"), ("s40", "s47")


def background(photos: Path, rng) -> tuple[np.ndarray, str]:
    """A grey 640 x 480 photograph with its annotated faces blurred beyond recognition (or dogs.jpg)."""
    import cv2

    notes = json.loads((photos / "faces.json").read_text())
    names = sorted(notes) + ["dogs.jpg"]
    name = names[int(rng.integers(len(names)))]
    image = read_grey(photos / name).astype(np.float32)
    for face in notes.get(name, []):
        x, y, w, h = face["box_xywh"]
        x0, y0 = max(0, int(x - 0.4 * w)), max(0, int(y - 0.5 * h))
        x1, y1 = min(image.shape[1], int(x + 1.4 * w)), min(image.shape[0], int(y + 1.5 * h))
        image[y0:y1, x0:x1] = cv2.GaussianBlur(image[y0:y1, x0:x1], (0, 0), max(4.0, w / 3))
    rows, cols = image.shape
    f = max(SHAPE[0] / rows, SHAPE[1] / cols)
    image = cv2.resize(image, (int(np.ceil(cols * f)), int(np.ceil(rows * f))), interpolation=cv2.INTER_AREA
                       if f < 1 else cv2.INTER_CUBIC)
    y0, x0 = (image.shape[0] - SHAPE[0]) // 2, (image.shape[1] - SHAPE[1]) // 2
    return np.clip(image[y0:y0 + SHAPE[0], x0:x0 + SHAPE[1]], 0, 1), name


def faces(data: Path, rng):
    """{person: (gallery image 6:5, [probe images 6:5], enrolled)} for the chosen persons."""
    from slrfr_gui.evaluation.yale import load_yale

    out = {}
    yale = load_yale(data / "CroppedYale", subjects=list(YALE_ENROLLED + YALE_UNKNOWN))
    for subject in YALE_ENROLLED + YALE_UNKNOWN:
        mine = yale.subjects == subject
        frontal = np.flatnonzero(mine & (yale.azimuth == 0) & (yale.elevation == 0))
        others = np.flatnonzero(mine & (yale.subsets <= 1) & ~((yale.azimuth == 0) & (yale.elevation == 0)))
        crop = (lambda i: read_grey(yale.paths[i])[:, 4:164])  # the canonical frame's 6:5 columns
        out[f"yaleB{subject:02d}"] = (crop(frontal[0]), [crop(i) for i in rng.permutation(others)[:6]],
                                      subject in YALE_ENROLLED)
    for person in GT_ENROLLED + GT_UNKNOWN:
        files = sorted((data / "GT" / person).glob("*.png"))
        out[f"gt_{person}"] = (read_grey(files[0]), [read_grey(p) for p in files[1:7]], person in GT_ENROLLED)
    return out


def enrolment_face(image: np.ndarray, scene: np.ndarray, width: int = 96) -> tuple[np.ndarray, str]:
    """The gallery image as the scan will see its faces: pasted (6:5, ``width`` pixels) on the scene and
    found and aligned by the application's own face search, 48 x 40. GT's crops are tighter than the
    canonical frame, so taking them as crops would enrol another framing than the video's faces get.
    Falls back to the crop itself, saying so, when no face is found."""
    import cv2

    from slrfr_gui.faces.find import find_faces

    h = int(round(1.2 * width))
    still = scene.copy()
    y, x = (SHAPE[0] - h) // 2, (SHAPE[1] - width) // 2
    still[y:y + h, x:x + width] = cv2.resize(image.astype(np.float32), (width, h), interpolation=cv2.INTER_AREA)
    found = [f for f in find_faces(still, mode="detect").faces
             if abs(f.box[0] + f.box[2] / 2 - (x + width / 2)) < width / 2 and 0.7 < f.box[2] / width < 1.4]
    if not found:
        return cv2.resize(image.astype(np.float32), (40, 48), interpolation=cv2.INTER_AREA), "taken as a crop"
    return np.clip(found[0].aligned, 0, 1), f"found and aligned as the scan does (box {list(found[0].box)})"


def schedule(people: dict, seconds: float, fps: float, rng, count: int) -> list[dict]:
    """Appearances: each a person, a width of 10-40 pixels, a straight path, a start and a length, no two
    faces on screen overlapping."""
    names = sorted(people)
    frames = int(round(seconds * fps))
    plan = []
    widths = np.concatenate([np.linspace(10, 40, count)])
    rng.shuffle(widths)
    for i in range(count):
        name = names[i % len(names)]
        for _ in range(200):
            w = int(round(widths[i]))
            h = int(round(1.2 * w))
            length = int(rng.uniform(3, 9) * fps)
            first = int(rng.integers(0, max(1, frames - length)))
            last = first + length - 1
            a = np.array([rng.uniform(0, SHAPE[1] - w), rng.uniform(0, SHAPE[0] - h)])
            b = np.clip(a + rng.uniform(-1, 1, 2) * rng.uniform(10, 35) * length / fps, [0, 0],
                        [SHAPE[1] - w, SHAPE[0] - h])
            t = np.linspace(0, 1, length)[:, None]
            xy = np.round(a + t * (b - a)).astype(int)
            boxes = np.column_stack([xy, np.full(length, w), np.full(length, h)])
            if all(not _clash(boxes, first, p) for p in plan):
                break
        plan.append({"person": name, "enrolled": bool(people[name][2]), "width": w, "first_frame": first,
                     "last_frame": last, "first_s": first / fps, "last_s": last / fps, "boxes": boxes.tolist(),
                     "image": int(rng.integers(len(people[name][1])))})
    plan.sort(key=lambda p: p["first_frame"])
    return plan


def _clash(boxes, first, other) -> bool:
    lo, hi = max(first, other["first_frame"]), min(first + len(boxes) - 1, other["last_frame"])
    if lo > hi:
        return False
    a = boxes[lo - first:hi - first + 1]
    b = np.asarray(other["boxes"])[lo - other["first_frame"]:hi - other["first_frame"] + 1]
    gap = 8
    apart = ((a[:, 0] + a[:, 2] + gap < b[:, 0]) | (b[:, 0] + b[:, 2] + gap < a[:, 0])
             | (a[:, 1] + a[:, 3] + gap < b[:, 1]) | (b[:, 1] + b[:, 3] + gap < a[:, 1]))
    return not bool(np.all(apart))


def main(argv=None) -> int:
    import cv2

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder to write video.mp4, gallery/ and truth.json into")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                        help="folder holding CroppedYale, GT and photos (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--appearances", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fictional", action="store_true",
                        help="write the benchmark's video instead (fictional persons of the demo walking over a "
                             "synthetic background; no data needed, no truth file) and their gallery")
    args = parser.parse_args(argv)
    if args.fictional:
        from slrfr_gui.evaluation.scan_benchmark import make_bench_video

        args.out.mkdir(parents=True, exist_ok=True)
        video, demo = make_bench_video(args.out / "video.mp4", args.seconds, args.fps, seed=args.seed)
        for im in demo.gallery.images:
            (args.out / "gallery" / im.person).mkdir(parents=True, exist_ok=True)
            write_grey(args.out / "gallery" / im.person / f"{im.person}.png", im.face)
        print(f"{video}: {args.seconds:g} s of fictional persons walking; their gallery in {args.out / 'gallery'}")
        return 0
    for sub in ("CroppedYale", "GT", "photos"):
        if not (args.data / sub).is_dir():
            print(f"make_scan_video.py: error: {args.data / sub} not found (give --data)", file=sys.stderr)
            return 1
    rng = np.random.default_rng(args.seed)
    people = faces(args.data, rng)
    scene, photo = background(args.data / "photos", rng)
    plan = schedule(people, args.seconds, args.fps, rng, args.appearances)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, (gallery, _, enrolled) in people.items():
        if enrolled:
            (args.out / "gallery" / name).mkdir(parents=True, exist_ok=True)
            face, how = enrolment_face(gallery, scene)
            write_grey(args.out / "gallery" / name / f"{name}.png", face)
            print(f"gallery {name}: {how}")
    frames = int(round(args.seconds * args.fps))
    path = args.out / "video.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), args.fps, SHAPE[::-1], True)
    if not writer.isOpened():
        print(f"make_scan_video.py: error: OpenCV cannot write {path}", file=sys.stderr)
        return 1
    sprites = {}
    for k, a in enumerate(plan):
        image = people[a["person"]][1][a["image"]].astype(np.float32)
        w, h = a["width"], int(round(1.2 * a["width"]))
        sprites[k] = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    try:
        for f in range(frames):
            frame = scene + rng.normal(0, 2 / 255, SHAPE).astype(np.float32)
            for k, a in enumerate(plan):
                if a["first_frame"] <= f <= a["last_frame"]:
                    x, y, w, h = a["boxes"][f - a["first_frame"]]
                    frame[y:y + h, x:x + w] = sprites[k]
            grey = np.clip(np.round(frame * 255), 0, 255).astype(np.uint8)
            writer.write(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR))
    finally:
        writer.release()
    truth = {"video": "video.mp4", "fps": args.fps, "frames": frames, "background": photo, "seed": args.seed,
             "appearances": plan}
    (args.out / "truth.json").write_text(json.dumps(truth) + "\n")
    enrolled = sum(1 for p in people.values() if p[2])
    print(f"{frames} frames ({args.seconds:g} s at {args.fps:g} fps) over {photo} -> {path}; {len(plan)} appearances "
          f"of {len(people)} persons ({enrolled} enrolled in {args.out / 'gallery'}); truth in {args.out / 'truth.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
