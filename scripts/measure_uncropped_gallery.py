#!/usr/bin/env python3
"""Does a gallery of uncropped photos identify like the same gallery cropped by hand?

Two face sets, each enrolled twice, then the same probes identified:

* **Yale B** (38 subjects): the gallery is each subject's frontal image, either as the
  protocol crops it (``docs/PROTOCOL.md``: "cropped by hand") or pasted, at a face width
  of 60-140 pixels, into a 640 x 480 cut of ``photos/dogs.jpg`` (a scene with no human
  face) and found by the face search (``--align auto``); probes are the protocol crops of
  every other image of lighting subsets S1-S3.
* **GT** (50 persons, another camera, expression and pose): the gallery is each person's
  first image, as distributed (a 40 x 30 crop, not eye-aligned) or enlarged 3 times and
  pasted the same way; probes are the person's other images, the same way: as crops for
  the cropped gallery, pasted (enlarged 3 times, and at their own size, faces about 30
  pixels wide) and searched for, for the uncropped one. Probes whose face is not found
  count as wrong.

Rank-1 is printed for each; also how many gallery images the search found.

    python scripts/measure_uncropped_gallery.py [--data ../shared/data] [--resolutions 7x6,12x10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slrfr_gui.method.learned import LearnedRelightingClassifier  # noqa: E402
from slrfr_gui.faces.find import find_faces  # noqa: E402
from slrfr_gui.faces.frame import parse_resolution, prepare_probe, to_frame, yale_crop  # noqa: E402
from slrfr_gui.gallery.gallery import load_gallery  # noqa: E402
from slrfr_gui.files.imageio import read_grey, write_grey  # noqa: E402
from slrfr_gui.evaluation.yale import parse_name, subset_index  # noqa: E402


def paste(face: np.ndarray, background: np.ndarray, rng, scale: float) -> np.ndarray:
    """``face`` resized by ``scale`` at a random place of a random 640 x 480 cut of ``background``."""
    import cv2

    y0 = int(rng.integers(0, background.shape[0] - 480 + 1))
    x0 = int(rng.integers(0, background.shape[1] - 640 + 1))
    scene = background[y0:y0 + 480, x0:x0 + 640].copy()
    small = cv2.resize(face.astype(np.float32), None, fx=scale, fy=scale,
                       interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    h, w = small.shape
    y, x = int(rng.integers(0, 480 - h)), int(rng.integers(0, 640 - w))
    scene[y:y + h, x:x + w] = np.clip(small, 0, 1)
    return scene


def rank1(gallery, probes, labels, resolution) -> tuple[float, int]:
    clf = LearnedRelightingClassifier(resolution=resolution).fit(gallery.faces, gallery.labels)
    enrolled = set(gallery.labels)
    hits = [clf.predict(prepare_probe(p, resolution)[None])[0] == lab if p is not None and lab in enrolled else False
            for p, lab in zip(probes, labels)]
    return float(np.mean(hits)), len(enrolled)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--resolutions", default="7x6,12x10")
    parser.add_argument("--gt-probes", type=int, default=14, help="probes per GT person (default: all 14)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    resolutions = [parse_resolution(r) for r in args.resolutions.split(",")]
    rng = np.random.default_rng(args.seed)
    background = read_grey(args.data / "photos" / "dogs.jpg")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # ---- Yale B
        yale = args.data / "CroppedYale"
        subjects = sorted(p.name for p in yale.iterdir() if p.is_dir() and p.name.startswith("yaleB"))
        probes, labels = [], []
        for s in subjects:
            frontal = yale / s / f"{s}_P00A+000E+00.pgm"
            image = read_grey(frontal)
            (tmp / "yale_crop" / s).mkdir(parents=True)
            write_grey(tmp / "yale_crop" / s / "frontal.png", yale_crop(image))
            (tmp / "yale_photo" / s).mkdir(parents=True)
            width = rng.uniform(60, 140)  # the face (canonical frame) width in the photo
            write_grey(tmp / "yale_photo" / s / "frontal.png", paste(image, background, rng, width / 160))
            for path in sorted((yale / s).glob(f"{s}_P00A*.pgm")):
                parsed = parse_name(path.name)
                if parsed and path != frontal and subset_index(parsed[1], parsed[2]) <= 2:
                    probes.append(yale_crop(read_grey(path)))
                    labels.append(s)
        cropped = load_gallery(tmp / "yale_crop", align="crop", warn=False)
        photo = load_gallery(tmp / "yale_photo", align="auto", warn=False)
        how = {h: sum(im.how == h for im in photo.images) for h in ("detected", "taken as a crop")}
        print(f"Yale B: {len(subjects)} subjects, {len(probes)} probes (S1-S3); uncropped gallery: "
              f"{len(photo.images)} of {len(subjects)} enrolled ({how}), {len(photo.skipped)} skipped")
        for res in resolutions:
            a, _ = rank1(cropped, probes, labels, res)
            b, n = rank1(photo, probes, labels, res)
            print(f"  {res[0]}x{res[1]}: rank-1 cropped by hand {100 * a:.1f} %, uncropped photos {100 * b:.1f} %"
                  f" ({n} persons enrolled)")
        # ---- GT
        gt = args.data / "GT"
        persons = sorted(p.name for p in gt.iterdir() if p.is_dir())
        crops, labels, pasted, pasted3 = [], [], [], []
        for person in persons:
            files = sorted((gt / person).glob("*.png"))
            first = read_grey(files[0])
            (tmp / "gt_crop" / person).mkdir(parents=True)
            write_grey(tmp / "gt_crop" / person / files[0].name, first)
            (tmp / "gt_photo" / person).mkdir(parents=True)
            write_grey(tmp / "gt_photo" / person / files[0].name, paste(first, background, rng, 3.0))
            for path in files[1:1 + args.gt_probes]:
                crop = read_grey(path)
                crops.append(to_frame(crop))
                labels.append(person)
                pasted.append(paste(crop, background, rng, 1.0))
                pasted3.append(paste(crop, background, rng, 3.0))
        cropped = load_gallery(tmp / "gt_crop", align="crop", warn=False)
        photo = load_gallery(tmp / "gt_photo", align="auto", warn=False)
        how = {h: sum(im.how == h for im in photo.images) for h in ("detected", "taken as a crop")}
        found, found3 = [], []
        for scenes, out in ((pasted, found), (pasted3, found3)):
            for scene in scenes:
                faces = find_faces(scene, mode="detect").faces
                out.append(max(faces, key=lambda f: f.box[2]).aligned if faces else None)
        print(f"GT: {len(persons)} persons, {len(crops)} probes; uncropped gallery: {len(photo.images)} of "
              f"{len(persons)} enrolled ({how}); probe faces found: {sum(f is not None for f in found3)} of "
              f"{len(found3)} enlarged 3 times, {sum(f is not None for f in found)} at their own size")
        for res in resolutions:
            a, _ = rank1(cropped, crops, labels, res)
            b, n = rank1(photo, found3, labels, res)
            c, _ = rank1(photo, found, labels, res)
            d, _ = rank1(photo, crops, labels, res)
            print(f"  {res[0]}x{res[1]}: rank-1 cropped gallery + cropped probes {100 * a:.1f} %; uncropped gallery + "
                  f"searched probes {100 * b:.1f} % (faces ~90 px), {100 * c:.1f} % (faces ~30 px); uncropped "
                  f"gallery + GT's crops as probes {100 * d:.1f} % ({n} persons enrolled)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
