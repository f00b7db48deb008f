"""``slrfr enroll`` and ``slrfr identify``: a gallery folder to a model file, probes (or camera frames) to ranked persons."""

from __future__ import annotations

import json
import sys
import warnings

from .common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, _check_output_file, _progress_bar
from ..method.probe_report import face_json as _face_json, probe_json, upsampled_warning as _upsampled


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
    from ..gallery.gallery import load_references

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
        for path, shape, search, identified, problems in results:  # the window's --json writes the same
            out.append(probe_json(path, search, identified, problems, threshold, model))
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
    with FrameSource(args.camera) as source:
        # A video file or folder is searched whole on every frame where no face is followed (the README's
        # "each frame is treated exactly"); a live device only every tenth frame while none is.
        tracker = FaceTracker(exact=source.kind != "device") if mode != "crop" else None
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
