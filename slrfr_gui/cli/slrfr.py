"""``slrfr``: the command line, a thin layer over the method (its parser and dispatch; the commands live beside it).

    slrfr evaluate --protocol yaleb-lr-v1 --data DIR [--resolutions 7x6,12x10] [--json FILE]
    slrfr enroll GALLERY_DIR --resolution 7x6 -o MODEL_FILE
    slrfr identify MODEL_FILE PROBE... [--top K] [--json]
    slrfr relight IMAGE -o OUT_DIR
    slrfr scan MODEL_FILE INPUT... -o RESULTS.sqlite [--resume] [--scheduler ADDRESS]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import __version__
from ..files.resources import shared_data_dir
from .common import EXIT_ERROR, EXIT_OK, _eyes, _int_at_least, _positive_int, _resolution, _resolutions, _sigma
from .identify import cmd_enroll, cmd_identify
from .measure import cmd_benchmark, cmd_detection_benchmark, cmd_evaluate, cmd_report


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
    bm.add_argument("--scan-seconds", type=_int_at_least(5, 3600), default=240, metavar="S",
                    help="with --scan: length of the test video, seconds (default: %(default)s; a shorter video "
                         "times mostly the workers' start-up: at 60 s, 1 -> 2 workers gave 1.32x, at 240 s 1.59x)")

    db = sub.add_parser(
        "detection-benchmark", help="face detectors side by side on real photos, pasted Yale B faces and GT",
        description="Run every face detector (the search before this version, OpenCV's Haar cascade, dlib's HOG "
                    "detector with 5-point landmarks, and the application's search) on photos/ (annotated real "
                    "photographs), Yale B crops pasted into those photos' backgrounds at several widths, and GT's "
                    "faces, and print recall, false detections per image, the median eye-centre error (a fraction "
                    "of the eye distance) and the median time per image.",
    )
    db.add_argument("--data", type=Path, default=shared_data_dir(), metavar="DIR",
                    help="folder holding photos/, CroppedYale/ and GT/ (default: shared/data beside the checkout, "
                         "as the scripts find it: %(default)s)")
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
