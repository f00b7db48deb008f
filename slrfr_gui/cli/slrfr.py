"""``slrfr``: the command line over :mod:`slrfr_gui.core`.

    slrfr evaluate --protocol yaleb-lr-v1 --data DIR [--resolutions 7x6,12x10] [--json FILE]
    slrfr enroll GALLERY_DIR --resolution 7x6 -o MODEL_FILE
    slrfr identify MODEL_FILE PROBE... [--top K] [--json]
    slrfr relight IMAGE -o OUT_DIR
    slrfr scan MODEL_FILE INPUT... -o RESULTS.sqlite [--resume] [--scheduler ADDRESS]
"""

from __future__ import annotations

import argparse
import json
import sys

import warnings
from pathlib import Path

from .. import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _resolution(text: str):
    from ..faces.frame import parse_resolution

    try:
        return parse_resolution(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _resolutions(text: str):
    parts = [p for p in text.split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("give at least one resolution, e.g. 7x6,12x10")
    return [_resolution(p) for p in parts]


def _eyes(text: str):
    from ..faces.find import parse_eyes

    try:
        return parse_eyes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _sigma(text: str) -> float:
    """An argparse type: a noise standard deviation in grey levels of the [0, 1] range, 0 to 0.5."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 0.5:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text} must be from 0 to 0.5 (grey levels in [0, 1]; 0.02 is about 5 of 255)")
    return value


def _int_at_least(lowest: int, highest: int = 1_000_000):
    """An argparse type: a whole number from ``lowest`` to ``highest``.

    The upper bound turns a slip of the keyboard (``--iterations 10000000``) into a usage
    error instead of hours of work. ``lowest`` and ``highest`` are kept on the function so
    that tests can enumerate the wrong values of every option.
    """
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < lowest:
            raise argparse.ArgumentTypeError(f"{value} must be {lowest} or more")
        if value > highest:
            raise argparse.ArgumentTypeError(f"{value} is too large (at most {highest:,})")
        return value

    parse.lowest, parse.highest = lowest, highest
    return parse


_positive_int = _int_at_least(1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slrfr",
        description="Recognise people from tiny, badly lit face images (SLRFR, Shekhar, Patel, Chellappa, IJCB 2011).",
        epilog="Run 'slrfr COMMAND --help' for each command's options.",
    )
    parser.add_argument("--version", action="version", version=f"slrfr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    ev = sub.add_parser(
        "evaluate", help="run the accuracy benchmark (docs/PROTOCOL.md) and print rank-1 figures",
        description="Run a benchmark protocol and print rank-1 identification rates, overall, per lighting "
                    "subset S1-S5 and their minimum over runs, for SLRFR and the LR-PCA baseline in one run "
                    "(with --baselines, every rival; with --ablation, SLRFR without each component), and "
                    "SLRFR's open-set FNIR at FPIR 0.01 and 0.1.",
    )
    ev.add_argument("--protocol", default="yaleb-lr-v1", choices=["yaleb-lr-v1", "cross-v1"],
                    help="benchmark protocol: yaleb-lr-v1 (Extended Yale B, lighting) or cross-v1 (any "
                         "folder-per-person face set, the application as shipped) (default: %(default)s)")
    ev.add_argument("--data", type=Path, required=True, metavar="DIR",
                    help="yaleb-lr-v1: the CroppedYale folder of the Extended Yale B data set; cross-v1: a folder "
                         "with one sub-folder of images per person")
    ev.add_argument("--resolutions", type=_resolutions, default=None, metavar="RxC[,RxC...]",
                    help="probe sizes, rows x columns (default: 7x6,10x8,12x10,19x16)")
    ev.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON to FILE")
    ev.add_argument("--baselines", action="store_true",
                    help="also run every rival: LR-PCA on the relit gallery, bicubic+PCA, Fisherfaces on the relit "
                         "gallery, LBP, CLPM, the paper's outdoor variant and PCA+LDA+SVM (cross-v1 always runs "
                         "SLRFR physical, normalised-correlation NN and LR-PCA)")
    ev.add_argument("--ablation", action="store_true",
                    help="also run SLRFR with each component switched off in turn")
    ev.add_argument("--no-open-set", action="store_true",
                    help="skip the open-set figures (FNIR at FPIR 0.01 and 0.1)")
    ev.add_argument("--quiet", action="store_true", help="no progress bar")

    bm = sub.add_parser(
        "benchmark", help="time every stage (relight, enroll, identify, batch, webcam frame, window) beside its limit",
        description="Time each stage of the application (median of repeated runs) on fictional persons, beside "
                    "the least time this machine's measured matrix-product rate and memory bandwidth allow, "
                    "and the paper's per-person projector loop where it applies.",
    )
    bm.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON to FILE")
    bm.add_argument("--resolution", type=_resolution, default=(7, 6), metavar="RxC",
                    help="probe size of the identification stages (default: 7x6)")
    bm.add_argument("--repeat", type=_int_at_least(1, 10_000), default=20,
                    help="runs per stage (default: %(default)s)")
    bm.add_argument("--data", type=Path, metavar="DIR",
                    help="the CroppedYale folder: also time the whole benchmark (evaluate_all, every method)")
    bm.add_argument("--no-window", action="store_true", help="skip timing the window's start-up")
    bm.add_argument("--scaling-plot", type=Path, metavar="PNG",
                    help="also time identification against 10 to 100,000 persons and plot time and memory to PNG")
    bm.add_argument("--scan", action="store_true",
                    help="also time slrfr scan of a 640x480 video with 1, 2 and 4 worker processes, and identification "
                         "of a batch of probes against 1,000,000 persons sharded over 2 workers (a few minutes)")
    bm.add_argument("--scan-seconds", type=_int_at_least(5, 3600), default=60, metavar="S",
                    help="with --scan: length of the test video, seconds (default: %(default)s)")

    db = sub.add_parser(
        "detection-benchmark", help="face detectors side by side on real photos, pasted Yale B faces and GT",
        description="Run every face detector (the search before this version, OpenCV's Haar cascade, dlib's HOG "
                    "detector with 5-point landmarks, and the application's search) on photos/ (annotated real "
                    "photographs), Yale B crops pasted into those photos' backgrounds at several widths, and GT's "
                    "faces, and print recall, false detections per image, the median eye-centre error (a fraction "
                    "of the eye distance) and the median time per image.",
    )
    db.add_argument("--data", type=Path, default=Path("..") / "shared" / "data", metavar="DIR",
                    help="folder holding photos/, CroppedYale/ and GT/ (default: %(default)s)")
    db.add_argument("--detectors", default=None, metavar="NAME[,NAME...]",
                    help="only detectors whose name contains one of these words (default: all)")
    db.add_argument("--per-width", type=_int_at_least(1, 1000), default=19,
                    help="pasted Yale B frames per face width (default: %(default)s)")
    db.add_argument("--gt-per-person", type=_int_at_least(1, 15), default=3,
                    help="GT images per person (default: %(default)s)")
    db.add_argument("--seed", type=_int_at_least(0, 2**31), default=0,
                    help="seed of the pasted frames (default: %(default)s)")
    db.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON to FILE (slrfr report "
                    "--detection FILE puts them on the results page)")

    rp = sub.add_parser(
        "report", help="plots (CMC, rank-1 against size) and a results page from evaluate's JSON",
        description="Write cmc_<size>.png, rank1_vs_size.png and results.md into a folder, from the JSON "
                    "written by slrfr evaluate --json; with several files (e.g. yaleb-lr-v1 and cross-v1), one "
                    "page with a section each, the plots of all but the first named after their protocol.",
    )
    rp.add_argument("results", type=Path, nargs="+", metavar="RESULTS_JSON",
                    help="the file(s) written by slrfr evaluate --json (several: one page, a section each)")
    rp.add_argument("-o", "--output", type=Path, default=Path("results"), metavar="DIR",
                    help="folder to write into (default: %(default)s)")
    rp.add_argument("--detection", type=Path, metavar="JSON",
                    help="also put the face detection table written by slrfr detection-benchmark --json on the page")

    en = sub.add_parser(
        "enroll", help="train a model from a gallery folder (one sub-folder per person)",
        description="Degrade every gallery face to the probe resolution and keep it as its person's reference for "
                    "the learned relighting (or, with --relighting physical, relight it under nine lights and learn "
                    "one K-SVD dictionary per person), and save the model. Each image's face is found and aligned "
                    "like a probe's (--align), and one line per image says how.",
    )
    en.add_argument("gallery", type=Path, metavar="GALLERY_DIR", help="folder with one sub-folder of images per person")
    en.add_argument("--resolution", type=_resolution, default=(7, 6), metavar="RxC",
                    help="probe resolution, rows x columns, 5x4 to 48x40 (default: 7x6)")
    en.add_argument("-o", "--output", type=Path, required=True, metavar="MODEL_FILE", help="model file to write")
    en.add_argument("--atoms", type=_int_at_least(1, 10_000), default=None,
                    help="K, atoms per person (default and most: max(10, pixels / 2), since a dictionary spanning more "
                         "of the feature space explains any probe; one image per person gives 10 signals)")
    en.add_argument("--sparsity", type=_int_at_least(1, 1_000), default=3,
                    help="T0, K-SVD sparsity (default: %(default)s)")
    en.add_argument("--iterations", type=_int_at_least(0, 10_000), default=10,
                    help="K-SVD iterations (default: %(default)s)")
    en.add_argument("--components", type=_int_at_least(1, 48 * 40), default=None,
                    help="use the paper's PCA features with this many components instead of the square-root "
                         "features (default: square-root features)")
    en.add_argument("--mode", choices=["slrfr", "outdoor"], default="slrfr",
                    help="slrfr: relight the gallery (lighting change, one image per person is enough); outdoor: "
                         "the paper's section 4.3 variant, per-person eigenbasis + l1 projection + SVM, for "
                         "several images per person differing in pose and blur (default: %(default)s)")
    en.add_argument("--relighting", choices=["learned", "physical"], default="learned",
                    help="with --mode slrfr: learned: relight each gallery image by the mean log ratio learned from "
                         "training faces (the most accurate); physical: the paper's nine Lambertian relit images "
                         "and a K-SVD dictionary (--atoms, --sparsity, --iterations and --components apply to this "
                         "one) (default: %(default)s)")
    en.add_argument("--align", choices=["auto", "detect", "crop"], default="auto",
                    help="auto: photos are searched for their face and aligned by its eyes, crops (small images, or "
                         "a face already where the canonical frame puts it) stay crops; detect: always search; crop: "
                         "take every image as a face cropped to the canonical frame (default: %(default)s)")
    en.add_argument("--eyes-from", type=Path, metavar="FILE",
                    help="a model or gallery file written before: images found in it (same file contents) are "
                         "aligned with the same eye centres, so the references do not change")
    en.add_argument("--quiet", action="store_true", help="no progress bar")

    idf = sub.add_parser(
        "identify", help="rank the enrolled persons for the faces in probe images or a camera",
        description="Print, for each face of each probe (or of each camera frame), the ranked persons with their "
                    "residuals (smaller is better). Faces are found and aligned in the canonical frame at their own "
                    "resolution; small images, images one face fills, and frame-shaped images up to 400 pixels "
                    "where no face is detected are taken as crops (the output says which).",
    )
    idf.add_argument("model", type=Path, metavar="MODEL_FILE", help="model file written by 'slrfr enroll'")
    idf.add_argument("probes", type=Path, nargs="*", metavar="PROBE", help="probe image files")
    idf.add_argument("--top", type=_positive_int, default=5, metavar="K", help="persons listed per face (default: %(default)s)")
    idf.add_argument("--json", action="store_true", help="print JSON instead of a table")
    idf.add_argument("--probe-noise", type=_sigma, default=0.0, metavar="SIGMA",
                     help="the probes' noise, standard deviation in grey levels of [0, 1] (0.02: about 5 of 255): "
                          "dark pixels then count less (learned relighting only; slower; default: 0)")
    how = idf.add_mutually_exclusive_group()
    how.add_argument("--cropped", action="store_true", help="take each probe as a face already cropped to the "
                     "canonical frame (no detection)")
    how.add_argument("--detect", action="store_true", help="always search probes for faces, however small")
    how.add_argument("--eyes", type=_eyes, metavar="LX,LY,RX,RY", help="eye centres in the probe, pixels "
                     "(for a face the detector misses)")
    idf.add_argument("--camera", metavar="SOURCE", help="identify faces in frames from a camera: a device "
                     "number (0, 1, ...), a video file or a folder of images")
    idf.add_argument("--frames", type=_positive_int, default=None, metavar="N",
                     help="with --camera: stop after N frames (default: 100 for a device, all of a file)")

    from .scan import add_parser as add_scan_parser

    add_scan_parser(sub, _int_at_least)

    rl = sub.add_parser(
        "relight", help="write a face's estimated albedo and its nine relit images as PNG",
        description="Estimate the light and the albedo (LMMSE) of a face cropped to the canonical frame and "
                    "render it under the nine points of light of Lee, Ho and Kriegman.",
    )
    rl.add_argument("image", type=Path, metavar="IMAGE", help="face image (resized to 48x40)")
    rl.add_argument("-o", "--output", type=Path, required=True, metavar="OUT_DIR", help="folder for the PNG files")
    return parser


def _progress_bar(desc: str, quiet: bool):
    """A tqdm bar on stderr and a ``progress(done, total, *stage)`` callable feeding it."""
    from tqdm import tqdm

    show = not quiet and sys.stderr.isatty()
    bar = tqdm(desc=desc, total=0, disable=not show, unit="step", file=sys.stderr, dynamic_ncols=True, leave=False)

    def progress(done, total, stage=None):
        if bar.total != total:
            bar.reset(total=total)
        if stage:
            bar.set_description(f"{desc} ({stage})", refresh=False)
        bar.n = done
        bar.refresh()

    return bar, progress


def _pct(value) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def cmd_evaluate(args) -> int:
    from ..evaluation import crossset
    from ..evaluation.evaluate import ABLATIONS, BASELINES, DEFAULT_RESOLUTIONS, METHODS, NEAR_FRONTAL, evaluate_yaleb
    from ..faces.frame import format_resolution
    from ..evaluation.yale import SUBSET_NAMES

    resolutions = args.resolutions or list(DEFAULT_RESOLUTIONS)
    if args.json is not None:
        _check_output_file(args.json, "--json")
    cross = args.protocol == crossset.PROTOCOL
    ablations = crossset.ABLATIONS if cross else ABLATIONS
    methods = (list(crossset.METHODS if cross else METHODS) + (list(BASELINES) if args.baselines else [])
               + (list(ablations) if args.ablation else []))
    methods = list(dict.fromkeys(methods))
    if args.baselines:
        import importlib.util

        if importlib.util.find_spec("skimage") is None:
            from ..errors import SLRFRError

            raise SLRFRError("the LBP rival of --baselines needs scikit-image:"
                             " pip install 'slrfr-gui[bench]'") from None
    bar, progress = _progress_bar("evaluate", args.quiet)
    try:
        if cross:
            result = crossset.evaluate_cross(args.data, resolutions, methods=methods, progress=progress,
                                             open_set=not args.no_open_set)
        else:
            result = evaluate_yaleb(args.data, resolutions, methods=methods, progress=progress,
                                    protocol=args.protocol, open_set=not args.no_open_set)
    finally:
        bar.close()
    width = max(len(m) for m in methods)
    columns = () if cross else SUBSET_NAMES + (NEAR_FRONTAL,)
    header = (f"{'method':{width}} {'size':>6} {'rank-1':>7} {'min':>7} " + " ".join(f"{s:>6}" for s in columns)
              + "  regime")
    print(f"protocol {result.protocol}: rank-1 identification, "
          + ("one run (gallery: each person's first image)" if cross else
             f"mean over {result.results[0].runs} runs"))
    print(header)
    print("-" * len(header))
    for r in result.results:
        print(f"{r.method:{width}} {format_resolution(r.resolution):>6} {_pct(r.rank1):>7} {_pct(r.rank1_min):>7} "
              + " ".join(f"{_pct(r.subsets.get(s)):>6}" for s in columns) + f"  {r.regime}")
    opened = [r for r in result.results if r.open_set]
    if opened:
        print("open set (SLRFR; every other person not enrolled, then the others; the shipped default threshold):"
              if cross else
              "open set (SLRFR; half the test subjects not enrolled; thresholds calibrated on training subjects):")
        for r in opened:
            cells = "  ".join(f"FPIR {k}: threshold {v['threshold']:.3f}, measured FPIR {_pct(v['fpir'])},"
                              f" FNIR {_pct(v['fnir'])}" for k, v in r.open_set.items())
            print(f"  {format_resolution(r.resolution):>6}  {cells}")
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.stage_seconds.items())
    print(f"time: {result.seconds:.1f} s ({stages})")
    for note in result.notes:
        print(f"note: {note}")
    if args.json:
        from ..files.atomic import atomic_write_bytes

        try:
            atomic_write_bytes(args.json, (json.dumps(result.to_json(), indent=2) + "\n").encode())
        except OSError as exc:
            print(f"slrfr: error: {args.json}: could not write the figures ({exc.strerror or exc})", file=sys.stderr)
            return EXIT_ERROR
        print(f"figures written to {args.json}")
    return EXIT_OK


def _check_output_file(path: Path, option: str) -> None:
    """Fail early, before long work, when ``path`` cannot be written."""
    from ..errors import SLRFRError

    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise SLRFRError(f"{path}: is a folder; give a file name for {option}")
    if not parent.is_dir():
        raise SLRFRError(f"{parent}: no such folder for {option} {path}")


def cmd_enroll(args) -> int:
    from ..gallery.gallery import SkippedFilesWarning, load_gallery
    from ..method.classifiers import make_classifier
    from ..method.modelfile import check_model_output, save_model

    from ..method.params import check_training_parameters

    try:  # the same check as the window's (item 2 of issue 15)
        notes = check_training_parameters(args.resolution, args.mode, args.relighting, n_atoms=args.atoms,
                                          sparsity=args.sparsity, n_iter=args.iterations, n_components=args.components)
    except ValueError as exc:
        print(f"slrfr enroll: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for note in notes:
        print(f"slrfr: warning: {note}", file=sys.stderr)
    _check_output_file(args.output, "-o")
    check_model_output(args.output)  # never overwrite an image, a gallery or anything but a model
    from ..gallery.gallery_align import alignment_report
    from ..method.modelfile import load_references

    reuse = {r["digest"]: r for r in load_references(args.eyes_from) if r.get("digest")} if args.eyes_from else None
    bar, progress = _progress_bar("align", args.quiet)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SkippedFilesWarning)
            gallery = load_gallery(args.gallery, progress=progress, align=args.align, reuse=reuse)
    finally:
        bar.close()
    for w in caught:
        print(f"slrfr: warning: {w.message}", file=sys.stderr)
    print(alignment_report(gallery))
    clf = make_classifier(args.mode, resolution=args.resolution, n_atoms=args.atoms, sparsity=args.sparsity,
                          n_iter=args.iterations, n_components=args.components, relighting=args.relighting,
                          features=("log" if args.relighting == "learned" else "pca" if args.components else "sqrt"))
    if args.mode == "outdoor":
        import numpy as np

        _, counts = np.unique(gallery.labels, return_counts=True)
        if np.any(counts < 2):
            print(f"slrfr: warning: the outdoor mode learns each person from several images; {np.sum(counts < 2)}"
                  f" of {len(counts)} persons have only one, which it cannot tell apart well"
                  " (--mode slrfr relights one image)", file=sys.stderr)
        if args.components:
            print("slrfr: warning: --components applies to --mode slrfr only; ignored", file=sys.stderr)
    bar, progress = _progress_bar("enroll", args.quiet)
    try:
        clf.fit(gallery.faces, gallery.labels, progress=progress)
    finally:
        bar.close()
    thumbs = [gallery.faces[gallery.labels == person][0] for person in clf.classes_]
    save_model(clf, args.output, thumbnails=thumbs, references=[im.record() for im in gallery.images])
    print(f"enrolled {len(clf.classes_)} persons from {len(gallery.faces)} images -> {args.output}")
    print(clf.describe())
    if len(clf.classes_) < 2:
        from ..method.openset import ONE_PERSON_NOTE

        print(f"slrfr: warning: {ONE_PERSON_NOTE}", file=sys.stderr)
    return EXIT_OK


def _ranked_json(ranked):
    return [{"person": p, "residual": round(v, 6)} for p, v in ranked]


def _identify_faces(model, search, top, threshold, noise: float = 0.0):
    """[(face, ranked, ratio)] for the faces of a FaceSearch that can be identified, and the others' problems.

    ``ratio`` is the smallest residual over the second smallest; above ``threshold`` the face is "unknown".
    """
    from ..faces.frame import probe_problem

    out, problems = [], []
    for face in search.faces:
        problem = probe_problem(face.aligned)
        if problem:
            problems.append(problem)
            continue
        out.append((face, *model.rank_probe(face.aligned, top, noise=noise)))
    return out, problems


def _upsampled(face, model) -> str | None:
    """The warning for a face smaller than the model's resolution (it is up-sampled), with the remedy."""
    from ..faces.frame import format_resolution, upsampling_warning

    warning = upsampling_warning(face.aligned.shape, model.resolution_)
    if warning is None:
        return None
    return f"{warning} (slrfr enroll GALLERY --resolution {format_resolution(face.aligned.shape)} -o MODEL)"


def _face_json(face, ranked, ratio, threshold, model=None):
    from ..method.openset import ONE_PERSON_NOTE

    one = model is not None and len(model.classes_) < 2
    out = {"box": [int(v) for v in face.box], "how": face.how, **({"method": face.method} if face.method else {}),
           "ranked": _ranked_json(ranked),
           "ratio": round(ratio, 4), "unknown": None if one else bool(ratio > threshold)}
    warnings = [w for w in (_upsampled(face, model) if model is not None else None,
                            ONE_PERSON_NOTE if one else None) if w]
    if warnings:
        out["warning"] = "; ".join(warnings)
    return out


def cmd_identify(args) -> int:
    from ..errors import ImageReadError
    from ..faces.find import find_faces
    from ..faces.frame import format_resolution, probe_problem
    from ..files.imageio import read_grey
    from ..method.modelfile import load_model
    from ..method.openset import ONE_PERSON_NOTE, OpenSetDefaults

    if not args.probes and not args.camera:
        print("slrfr identify: error: give PROBE files or --camera SOURCE", file=sys.stderr)
        return EXIT_USAGE
    if args.probes and args.camera:
        print("slrfr identify: error: give PROBE files or --camera SOURCE, not both", file=sys.stderr)
        return EXIT_USAGE
    if args.frames is not None and not args.camera:
        print("slrfr identify: error: --frames goes with --camera", file=sys.stderr)
        return EXIT_USAGE
    if args.eyes is not None and (len(args.probes) != 1 or args.camera):
        print("slrfr identify: error: --eyes goes with exactly one PROBE", file=sys.stderr)
        return EXIT_USAGE
    model, _ = load_model(args.model)
    if args.probe_noise > 0 and getattr(model, "relighting", None) != "learned":
        print(f"slrfr identify: error: --probe-noise needs a model with the learned relighting; {args.model} has"
              " another (enroll again without --relighting physical or --mode outdoor)", file=sys.stderr)
        return EXIT_USAGE
    threshold = OpenSetDefaults.load().threshold(model.resolution_, getattr(model, "framing_regime", "canonical"))
    mode = "crop" if args.cropped else "detect" if args.detect else "auto"
    if args.camera:
        return _identify_camera(model, args, mode, threshold)
    results, failed = [], 0
    size = format_resolution(model.resolution_)
    for path in args.probes:
        try:
            image = read_grey(path)
        except ImageReadError as exc:
            print(f"slrfr: error: {exc}", file=sys.stderr)
            results.append((path, None, None, [], [str(exc).removeprefix(f"{path}: ")]))  # --json lists it too
            failed += 1
            continue
        problem = probe_problem(image)
        try:
            search = None if problem else find_faces(image, mode=mode, eyes=args.eyes)
        except ValueError as exc:
            problem = str(exc)
        if problem:
            print(f"slrfr: error: {path}: cannot identify: {problem}", file=sys.stderr)
            results.append((path, image.shape, None, [], [problem]))
            failed += 1
            continue
        identified, problems = _identify_faces(model, search, args.top, threshold, args.probe_noise)
        for problem in problems:
            print(f"slrfr: error: {path}: cannot identify: {problem}", file=sys.stderr)
        for warning in dict.fromkeys(filter(None, (_upsampled(face, model) for face, _, _ in identified))):
            print(f"slrfr: warning: {path}: {warning}", file=sys.stderr)
        if not identified:
            failed += 1
            if not problems:  # exit status 1 always comes with a line on stderr saying why
                print(f"slrfr: error: {path}: cannot identify: {search.note}", file=sys.stderr)
        results.append((path, image.shape, search, identified, problems))
    if args.json:
        out = []
        for path, shape, search, identified, problems in results:
            entry = {"probe": str(path), "ranked": _ranked_json(identified[0][1]) if identified else [],
                     "alignment": search.note if search else "",
                     "faces": [_face_json(face, ranked, ratio, threshold, model)
                               for face, ranked, ratio in identified]}
            warnings_ = [f["warning"] for f in entry["faces"] if "warning" in f]
            if warnings_:
                entry["warning"] = warnings_[0]
            if problems or not identified:
                entry["error"] = "; ".join(problems) or (search.note if search else "")
            out.append(entry)
        print(json.dumps(out, indent=2))
    else:
        for path, shape, search, identified, problems in results:
            if search is None:
                continue
            hint = "; --detect searches it anyway" if "pixels)" in search.note else ""
            print(f"{path} ({shape[0]}x{shape[1]}): {search.note}{hint}")
            for face, ranked, ratio in identified:
                r, c = face.aligned.shape
                if len(search.faces) > 1 or face.how != "taken as a crop":
                    x, y, w, h = face.box
                    how = f"{face.how} by {face.method}" if face.method else face.how
                    print(f"  face at x={x} y={y} w={w} h={h} ({how}, aligned {r}x{c} -> {size})")
                else:
                    print(f"  aligned {r}x{c} -> {size}")
                if len(model.classes_) < 2:
                    print(f"  note: {ONE_PERSON_NOTE}")
                elif ratio > threshold:
                    print(f"  unknown: the best match is not clearly better than the next "
                          f"(ratio {ratio:.3f} > {threshold:.3f}); the ranking, for reference:")
                for i, (person, residual) in enumerate(ranked, start=1):
                    print(f"  {i:>2}. {_pad(person, 24)} residual {residual:.4f}")
    return EXIT_ERROR if failed else EXIT_OK


def _pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` terminal columns: wide (East Asian) characters take two,
    combining accents none, so that columns line up whatever the names (``f"{name:<24}"`` counts code points)."""
    import unicodedata

    used = sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)
    return text + " " * max(0, width - used)


def _camera_line(identified, threshold, top) -> str:
    """One frame's faces: each one's ``top`` persons with residuals ("unknown" first when it is), and where."""
    parts = []
    for face, ranked, ratio in identified:
        names = ", ".join(f"{person} ({residual:.3f})" for person, residual in ranked[:top])
        parts.append(("unknown; ranked " if ratio > threshold else "") + names + f" at {list(face.box)}")
    return "; ".join(parts) or "no face"


def _identify_camera(model, args, mode, threshold) -> int:
    import time

    from ..faces.camera import FrameSource
    from ..faces.find import FaceSearch, FaceTracker, find_faces

    frames_out = []
    tracker = FaceTracker() if mode != "crop" else None
    with FrameSource(args.camera) as source:
        limit = args.frames or (100 if source.kind == "device" else None)
        start = time.perf_counter()
        count = 0
        while limit is None or count < limit:
            frame = source.read()
            if frame is None:
                break
            search = FaceSearch(tracker.update(frame)) if tracker is not None else find_faces(frame, mode="crop")
            identified, _ = _identify_faces(model, search, args.top, threshold, args.probe_noise)
            frames_out.append({"frame": count, "faces": [_face_json(face, ranked, ratio, threshold, model)
                                                         for face, ranked, ratio in identified]})
            if not args.json:
                print(f"frame {count}: {_camera_line(identified, threshold, args.top)}")
            count += 1
        seconds = time.perf_counter() - start
    if count == 0:
        print(f"slrfr: error: {args.camera}: no frame could be read", file=sys.stderr)
        return EXIT_ERROR
    fps = count / seconds if seconds > 0 else 0.0
    if args.json:
        print(json.dumps({"frames": frames_out, "fps": round(fps, 2)}, indent=2))
    else:
        print(f"{count} frames in {seconds:.1f} s: {fps:.1f} frames per second")
    return EXIT_OK


def cmd_relight(args) -> int:
    import numpy as np

    from ..faces.facemodel import default_face_model
    from ..faces.frame import probe_problem, to_frame
    from ..files.imageio import read_grey, write_grey
    from ..method.relight import POINTS_OF_LIGHT_DEG, relight

    raw = read_grey(args.image)
    problem = probe_problem(raw)
    if problem:
        print(f"slrfr: error: {args.image}: cannot relight: {problem}", file=sys.stderr)
        return EXIT_ERROR
    image = to_frame(raw)
    result = relight(image, default_face_model())
    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"slrfr: error: {args.output}: cannot create the folder ({exc.strerror or exc})", file=sys.stderr)
        return EXIT_ERROR
    strength = float(np.linalg.norm(result.light))
    write_grey(args.output / "input.png", image)
    write_grey(args.output / "albedo.png", result.albedo * strength)
    names = []
    for k, (img, (angle, azimuth)) in enumerate(zip(result.relit, POINTS_OF_LIGHT_DEG), start=1):
        name = f"relit_{k}_angle{int(angle):02d}_azimuth{int(azimuth):+04d}.png"
        write_grey(args.output / name, img)
        names.append(name)
    s = result.light / max(strength, 1e-12)
    print(f"estimated light direction (right, up, toward camera): {np.round(s, 3).tolist()}, strength {strength:.3f}")
    print(f"wrote input.png, albedo.png and {len(names)} relit images to {args.output}")
    return EXIT_OK


def cmd_benchmark(args) -> int:
    import os
    import subprocess
    import tempfile
    import time

    from ..evaluation.benchmark import Stage, run_benchmark
    from ..evaluation.evaluate import BASELINES, METHODS, evaluate_yaleb

    if args.json is not None:
        _check_output_file(args.json, "--json")
    if args.scaling_plot is not None:
        _check_output_file(args.scaling_plot, "--scaling-plot")
    if args.data is not None:
        from ..evaluation.yale import check_yale_dir

        check_yale_dir(args.data)  # a wrong --data fails now, not after minutes of timing
    result = run_benchmark(args.resolution, repeat=args.repeat,
                           progress=lambda name: print(f"timing {name}...", file=sys.stderr, flush=True))
    stages = result["stages"]
    if not args.no_window:
        print("timing window_shown...", file=sys.stderr, flush=True)
        times = []
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
            for i in range(3):
                shot = Path(tmp) / f"w{i}.png"
                t0 = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "slrfr_gui.gui.app", "--screenshot", str(shot)],
                                      env=env, capture_output=True, timeout=120)
                if done.returncode == 0 and shot.is_file():
                    times.append(time.perf_counter() - t0)
        if times:
            stages["window_shown"] = Stage(float(sorted(times)[len(times) // 2]), None, None, len(times),
                                           {"note": "launch to first screenshot, a new Python process each time"})
    if args.data is not None:
        print("timing evaluate_all (a few minutes)...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        evaluate_yaleb(args.data, methods=list(METHODS) + list(BASELINES), open_set=True)
        stages["evaluate_all"] = Stage(time.perf_counter() - t0, None, None, 1,
                                       {"note": "yaleb-lr-v1, four sizes, SLRFR and every rival, open set"})
    scan_rows = None
    if args.scan:
        from .scan import scan_benchmark_stages

        scan_rows = scan_benchmark_stages(stages, args.scan_seconds)
    scaling_rows = None
    if args.scaling_plot is not None:
        from ..evaluation.benchmark import scaling
        from .report import write_scaling_plot

        scaling_rows = scaling(args.resolution, progress=lambda s: print(f"scaling: {s}...", file=sys.stderr,
                                                                        flush=True))
        write_scaling_plot(scaling_rows, args.scaling_plot, scan_rows)
    speeds = result["machine"]
    print(f"machine: {speeds['cpus']} CPUs, {speeds['gemm_gflops']:.1f} GFLOP/s (float64 GEMM),"
          f" {speeds['bandwidth_gbs']:.1f} GB/s (copy); probes {result['resolution']}")
    print(f"{'stage':18} {'median':>11} {'limit':>11} {'x limit':>8} {'paper loop':>11}  notes")
    for name, st in stages.items():
        med = "skipped" if not (st.median_s == st.median_s) else _seconds(st.median_s)
        lim = _seconds(st.limit_s) if st.limit_s is not None else "-"
        ratio = f"{st.median_s / st.limit_s:.1f}" if st.limit_s and st.median_s == st.median_s else "-"
        ref = _seconds(st.reference_s) if st.reference_s is not None else "-"
        notes = []
        if "model_mb" in st.extra:
            notes.append(f"model {st.extra['model_mb']:.3g} MB")
        if st.extra.get("peak_memory_mb"):
            notes.append(f"peak {st.extra['peak_memory_mb']:.3g} MB")
        if st.extra.get("first_probe_of_a_light_cluster_s"):
            notes.append(f"first probe of a light cluster {_seconds(st.extra['first_probe_of_a_light_cluster_s'])}")
        if "slowest_s" in st.extra:
            notes.append(f"slowest {_seconds(st.extra['slowest_s'])}")
        if "skipped" in st.extra:
            notes.append(st.extra["skipped"])
        if "summary" in st.extra:
            notes.append(st.extra["summary"])
        print(f"{name:18} {med:>11} {lim:>11} {ratio:>8} {ref:>11}  {'; '.join(notes)}")
    if scaling_rows:
        print("scaling (one probe): " + ", ".join(f"{r['persons']:,} persons {_seconds(r['median_s'])}"
                                                 f" / {r['model_mb']:.0f} MB" for r in scaling_rows))
        print(f"scaling plot written to {args.scaling_plot}")
    if args.json:
        from ..files.atomic import atomic_write_bytes

        payload = {"stages": {k: v.to_json() for k, v in stages.items()}, "machine": speeds,
                   "resolution": result["resolution"], **({"scaling": scaling_rows} if scaling_rows else {}),
                   **({"scan_scaling": scan_rows} if scan_rows else {})}
        try:
            atomic_write_bytes(args.json, (json.dumps(payload, indent=2) + "\n").encode())
        except OSError as exc:
            print(f"slrfr: error: {args.json}: could not write the figures ({exc.strerror or exc})", file=sys.stderr)
            return EXIT_ERROR
        print(f"written to {args.json}")
    return EXIT_OK


def _seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} us"


def cmd_detection_benchmark(args) -> int:
    from ..evaluation.detect_benchmark import run_detection_benchmark
    from .report import detection_table

    if args.json is not None:
        _check_output_file(args.json, "--json")
    names = [n.strip() for n in args.detectors.split(",") if n.strip()] if args.detectors else None
    try:
        result = run_detection_benchmark(args.data, names, args.per_width, args.gt_per_person, args.seed,
                                         progress=lambda s: print(f"running {s}...", file=sys.stderr, flush=True))
    except FileNotFoundError as exc:
        print(f"slrfr: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    result["command"] = "slrfr detection-benchmark " + " ".join(sys.argv[2:]) if sys.argv[1:2] == \
        ["detection-benchmark"] else "slrfr detection-benchmark"
    print(detection_table(result))
    if args.json:
        from ..files.atomic import atomic_write_bytes

        try:
            atomic_write_bytes(args.json, (json.dumps(result, indent=2) + "\n").encode())
        except OSError as exc:
            print(f"slrfr: error: {args.json}: could not write the figures ({exc.strerror or exc})", file=sys.stderr)
            return EXIT_ERROR
        print(f"figures written to {args.json}")
    return EXIT_OK


def cmd_report(args) -> int:
    from .report import write_report

    for path in write_report(args.results, args.output, detection=args.detection):
        print(f"wrote {path}")
    return EXIT_OK


def cmd_scan(args) -> int:
    from .scan import cmd_scan as run

    return run(args)


COMMANDS = {"benchmark": cmd_benchmark, "detection-benchmark": cmd_detection_benchmark, "report": cmd_report,
            "evaluate": cmd_evaluate, "enroll": cmd_enroll, "identify": cmd_identify, "scan": cmd_scan,
            "relight": cmd_relight}


def main(argv=None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # 'identify MODEL --top 1 probe.png': probes may come after options too.
    if args.command == "identify" and extra and not any(e.startswith("-") for e in extra):
        args.probes = list(args.probes) + [Path(e) for e in extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    from ..errors import SLRFRError

    try:
        return COMMANDS[args.command](args)
    except SLRFRError as exc:
        print(f"slrfr: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("slrfr: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. '| head'): stop quietly, as Unix tools do.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
