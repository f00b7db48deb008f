"""One chunk of a scan: faces searched now and then, followed in between, each track identified.

This is what runs on a Dask worker (:func:`scan_chunk`); it returns plain data
(:class:`ChunkResult`) and writes nothing. The face search and the tracker are
the application's own (:func:`slrfr_gui.faces.face_search.search_faces` and
:func:`~slrfr_gui.faces.face_search.follow`, through :class:`~slrfr_gui.scan.follow.FaceFollower`),
so a better face search reaches the scan without a change here.

A **track** is one face followed through consecutive sampled frames: the faces
of each sampled frame are linked to the tracks of the frames before by the
distance of their centres (relative to the face width) and their size; a face
missed for up to ``detect_every`` frames keeps its track.

A track is identified **from all its frames together**: every sampled face is
degraded to the model's resolution and scored against every person, and the
track's residual for a person is the mean of that person's residuals over the
track's faces (``combine="mean"``); its ratio (best over second mean residual)
is the open-set score. ``combine="best"`` takes instead the ranking of the one
face with the smallest ratio. ``scripts/scan_test_video.py`` measures both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from .follow import FaceFollower
from .sources import ChunkSpec

COMBINE = ("mean", "best")


@dataclass(frozen=True)
class ScanOptions:
    """How a scan searches, follows and identifies faces.

    Attributes
    ----------
    detect_every : int
        Frames between full face searches (a whole 640 x 480 search costs tens of milliseconds).
    track_every : int
        Frames between tracker updates; the frames between are grabbed, not converted into images
        (a compressed video still decodes them: its frames depend on each other).
    min_face, max_face : float
        Face widths searched for, image pixels (max None: the frame).
    top : int
        Ranked persons kept per appearance.
    combine : {"mean", "best"}
        How a track's faces are combined (see the module docstring).
    chunk_seconds : float
        Video per chunk.
    overlap : int or None
        Frames a chunk reads past its end to join tracks; None: twice ``detect_every``.
    batch : int
        Stills per chunk of a folder.
    persons : tuple of str
        Only appearances named as one of these are kept (empty: all, unknown ones too).
    threshold : float or None
        The "unknown" ratio threshold; None: the calibrated default for the model's resolution.
    keep : int
        Persons whose residual sums a track segment keeps for joining across chunks
        (all of them when the gallery is no larger).
    keep_still : bool
        Keep tracks whose face never moves for over two seconds (by default
        they are taken for a face-like part of the background and dropped).
    min_faces : int
        Faces a track of a video needs to be reported (a face seen in fewer
        sampled frames is most often a passing false detection).
    """

    detect_every: int = 25
    track_every: int = 2
    min_face: float = 12.0
    max_face: float | None = None
    top: int = 5
    combine: str = "mean"
    chunk_seconds: float = 20.0
    overlap: int | None = None
    batch: int = 64
    persons: tuple = ()
    threshold: float | None = None
    keep: int = 100
    keep_still: bool = False
    min_faces: int = 3

    def checked(self) -> "ScanOptions":
        """These options, validated; ``ValueError`` naming the option otherwise."""
        if int(self.detect_every) < 1:
            raise ValueError(f"detect_every must be at least 1 frame, got {self.detect_every}")
        if int(self.track_every) < 1 or int(self.track_every) > int(self.detect_every):
            raise ValueError(f"track_every must be from 1 to detect_every ({self.detect_every}), got "
                             f"{self.track_every}")
        if not (5 <= float(self.min_face) <= 4096):
            raise ValueError(f"min_face must be from 5 to 4096 pixels, got {self.min_face}")
        if self.max_face is not None and float(self.max_face) < float(self.min_face):
            raise ValueError(f"max_face ({self.max_face}) is below min_face ({self.min_face})")
        if self.combine not in COMBINE:
            raise ValueError(f"combine must be one of {', '.join(COMBINE)}, got {self.combine!r}")
        if not (0.5 <= float(self.chunk_seconds) <= 86_400):
            raise ValueError(f"chunk_seconds must be from 0.5 to 86400, got {self.chunk_seconds}")
        if int(self.top) < 1 or int(self.batch) < 1 or int(self.keep) < 2:
            raise ValueError("top and batch must be at least 1, keep at least 2")
        return replace(self, persons=tuple(str(p) for p in self.persons))

    @property
    def overlap_frames(self) -> int:
        return int(self.overlap) if self.overlap is not None else 2 * int(self.detect_every)

    def identity(self) -> dict:
        """The options that decide what a chunk finds (a resumed scan must use the same)."""
        return {"detect_every": int(self.detect_every), "track_every": int(self.track_every),
                "min_face": float(self.min_face), "max_face": None if self.max_face is None else float(self.max_face),
                "combine": self.combine, "chunk_seconds": float(self.chunk_seconds),
                "overlap": self.overlap_frames, "batch": int(self.batch), "keep_still": bool(self.keep_still),
                "min_faces": int(self.min_faces)}


@dataclass
class Segment:
    """A track as one chunk saw it (joined with its neighbours' later, by the store).

    Attributes
    ----------
    source : str
        The video file or still image.
    first_frame, last_frame : int
        Frames of the track's first and last face (inclusive).
    frames : ndarray of shape (n,), int32
        The sampled frames where the face was seen.
    boxes : ndarray of shape (n, 4), int32
        (x, y, w, h) of the face in each, pixels.
    best_frame : int
        The frame of the thumbnail: the face the detector's verifier scored highest.
    best_box : (int, int, int, int)
    thumbnail : ndarray of shape (h, w), uint8
        The best face and a margin around it, at the video's own resolution.
    persons : list of str
        The persons with the smallest mean residuals (up to ``keep``), best first.
    sums : ndarray of shape (len(persons),), float64
        Each one's residuals summed over the ``count`` identified faces.
    count : int
    best_ranked : list of (str, float)
        The ranking of the one face with the smallest ratio, and ``best_ratio`` its ratio.
    best_score : float
        The verifier score of the thumbnail's face.
    """

    source: str
    first_frame: int
    last_frame: int
    frames: np.ndarray
    boxes: np.ndarray
    best_frame: int
    best_box: tuple
    thumbnail: np.ndarray
    persons: list
    sums: np.ndarray
    count: int
    best_ranked: list = field(default_factory=list)
    best_ratio: float = 1.0
    best_score: float = 0.0


@dataclass
class ChunkResult:
    """What one chunk found: its segments, how far it read, what went wrong; its wall-clock ``seconds`` and
    ``cpu_seconds`` (the CPU time of the thread that scanned it: what the chunk costs on an idle core)."""

    chunk: ChunkSpec
    segments: list
    frames_read: int
    seconds: float
    problems: list = field(default_factory=list)
    cpu_seconds: float = 0.0


class _Track:
    __slots__ = ("frames", "boxes", "probes", "best_score", "best_frame", "best_box", "thumbnail")  # noqa: RUF023

    def __init__(self):
        self.frames, self.boxes, self.probes = [], [], []
        self.best_score, self.best_frame, self.best_box, self.thumbnail = -np.inf, -1, (0, 0, 0, 0), None

    def add(self, frame_no, face, grey8, probe):
        self.frames.append(frame_no)
        self.boxes.append(tuple(int(v) for v in face.box))
        self.probes.append(probe)
        score = -np.inf if face.score is None else float(face.score)
        if score > self.best_score or self.thumbnail is None:
            self.best_score, self.best_frame, self.best_box = score, frame_no, tuple(int(v) for v in face.box)
            self.thumbnail = thumbnail(grey8, face.box)


def thumbnail(grey8: np.ndarray, box, margin: float = 0.25) -> np.ndarray:
    """The face under ``box`` (x, y, w, h) with ``margin`` of its size around it, uint8, a copy."""
    x, y, w, h = (int(v) for v in box)
    mx, my = int(round(margin * w)), int(round(margin * h))
    rows, cols = grey8.shape
    x0, y0, x1, y1 = max(0, x - mx), max(0, y - my), min(cols, x + w + mx), min(rows, y + h + my)
    if x1 <= x0 or y1 <= y0:
        return np.zeros((1, 1), np.uint8)
    return np.ascontiguousarray(grey8[y0:y1, x0:x1])


def _link(tracks: dict, last_seen: dict, faces, frame_no: int, max_gap: int) -> list:
    """Track id for each face (None: a new track), greedy by centre distance over face width."""
    candidates = []
    for tid, tr in tracks.items():
        if frame_no - last_seen[tid] > max_gap:
            continue
        tx, ty, tw, th = tr.boxes[-1]
        for i, face in enumerate(faces):
            x, y, w, h = face.box
            size = w / max(tw, 1)
            if not 0.6 <= size <= 1.67:
                continue
            d = np.hypot((x + w / 2) - (tx + tw / 2), (y + h / 2) - (ty + th / 2)) / max(w, tw, 1)
            if d < 0.75:
                candidates.append((d, i, tid))
    out = [None] * len(faces)
    used = set()
    for d, i, tid in sorted(candidates):
        if out[i] is None and tid not in used:
            out[i] = tid
            used.add(tid)
    return out


def scan_chunk(model, chunk: ChunkSpec, options: ScanOptions, should_stop=None) -> ChunkResult:
    """Find, follow and identify the faces of one chunk.

    Parameters
    ----------
    model : fitted classifier
        As :func:`slrfr_gui.method.modelfile.load_model` returns.
    chunk : ChunkSpec
    options : ScanOptions
    should_stop : callable() -> bool, optional
        Polled between frames; True raises :class:`~slrfr_gui.errors.Cancelled`.

    Returns
    -------
    ChunkResult
        Its ``problems`` name what could not be read (a still that is not an
        image; a video that ended before its stated length).
    """
    import cv2

    from ..faces.dlib_faces import scan_thread_cpu

    cv2.setNumThreads(1)  # one core per worker: the cluster spreads the work
    # The chunk's CPU: this thread's, and that of the thread dlib's scans run on (face_search).
    t0, c0, d0 = time.perf_counter(), time.thread_time(), scan_thread_cpu()
    if chunk.kind == "stills":
        segments, read, problems = _scan_stills(model, chunk, options, should_stop)
    else:
        segments, read, problems = _scan_video(model, chunk, options, should_stop)
    return ChunkResult(chunk, segments, read, time.perf_counter() - t0, problems,
                       time.thread_time() - c0 + scan_thread_cpu() - d0)


def _scan_video(model, chunk: ChunkSpec, options: ScanOptions, should_stop):
    import cv2

    from ..faces.camera import quiet_opencv
    from ..errors import Cancelled
    from ..faces.frame import prepare_probe

    quiet_opencv()
    problems = []
    capture = open_video(chunk.source)
    if not capture.isOpened():
        return [], 0, [f"{chunk.source}: could not be opened again (was it moved or changed?)"]
    step = int(options.track_every)
    follower = FaceFollower(options)
    resolution = model.resolution_
    tracks: dict[int, _Track] = {}
    last_seen: dict[int, int] = {}
    next_id = 0
    end = min(chunk.stop + chunk.overlap, chunk.frames) if chunk.frames else chunk.stop + chunk.overlap
    frame_no = chunk.start
    read = 0
    try:
        if chunk.start > 0 and not _seek(capture, chunk.start):
            return [], 0, [f"{chunk.source}: could not seek to frame {chunk.start} (the file ends early or is "
                           "damaged there)"]
        while frame_no < end:
            if should_stop is not None and should_stop():
                raise Cancelled("the scan was cancelled")
            if (frame_no - chunk.start) % step:
                if not capture.grab():
                    break
                frame_no += 1
                continue
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            read += 1
            grey8 = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
            faces = follower.update(grey8, frame_no - chunk.start)
            ids = _link(tracks, last_seen, faces, frame_no, int(options.detect_every) + step)
            for face, tid in zip(faces, ids):
                if tid is None:
                    if frame_no >= chunk.stop:  # the overlap only continues tracks; the next chunk starts its own
                        continue
                    tid, next_id = next_id, next_id + 1
                    tracks[tid] = _Track()
                tracks[tid].add(frame_no, face, grey8, prepare_probe(face.aligned, resolution))
                last_seen[tid] = frame_no
            frame_no += 1
    finally:
        capture.release()
    if frame_no < min(chunk.stop, chunk.frames or chunk.stop):
        problems.append(f"{chunk.source}: the video ended at frame {frame_no} of {chunk.frames} stated "
                        "(truncated or damaged); the frames before were scanned")
    return _identify(model, chunk.source, list(tracks.values()), options), read, problems


def open_video(path: str):
    """``cv2.VideoCapture`` of a video file, decoding on the calling thread only where the backend allows it
    (FFmpeg otherwise decodes on a thread per core: a worker is one core's share of the cluster, and its
    thread's CPU time is then the chunk's whole cost)."""
    import cv2

    if hasattr(cv2, "CAP_PROP_N_THREADS"):
        capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
        if capture.isOpened():
            return capture
        capture.release()
    return cv2.VideoCapture(str(path))


def _seek(capture, frame_no: int) -> bool:
    """Move to ``frame_no``; where the container cannot seek exactly, grab from the start."""
    import cv2

    capture.set(cv2.CAP_PROP_POS_FRAMES, frame_no)
    if int(round(capture.get(cv2.CAP_PROP_POS_FRAMES))) == frame_no:
        return True
    capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
    for _ in range(frame_no):
        if not capture.grab():
            return False
    return True


def _scan_stills(model, chunk: ChunkSpec, options: ScanOptions, should_stop):
    from ..errors import Cancelled, ImageReadError
    from ..faces.find import find_faces
    from ..faces.frame import prepare_probe, probe_problem
    from ..files.imageio import read_grey

    segments, problems, read = [], [], 0
    for path in chunk.files:
        if should_stop is not None and should_stop():
            raise Cancelled("the scan was cancelled")
        try:
            image = read_grey(path)
        except ImageReadError as exc:
            problems.append(str(exc))
            continue
        read += 1
        if probe_problem(image):
            continue
        search = find_faces(image, mode="auto")
        grey8 = np.clip(np.round(image * 255), 0, 255).astype(np.uint8)
        tracks = []
        for face in search.faces:
            if face.how == "detected" and face.box[2] < 0.7 * options.min_face:
                continue
            tr = _Track()
            tr.add(0, face, grey8, prepare_probe(face.aligned, model.resolution_))
            tracks.append(tr)
        segments += _identify(model, str(path), tracks, options)
    return segments, read, problems


def probe_batch_size(model, budget_bytes: float = 2e8) -> int:
    """Probes scored at once so that the (probes x references) distances stay within ``budget_bytes``."""
    refs = int(getattr(model, "bases_", np.zeros((1, 1))).shape[1]) or 1
    return int(max(1, min(1024, budget_bytes // (8 * refs))))


def _identify(model, source: str, tracks: list, options: ScanOptions) -> list:
    """Score every face of every track and combine each track's residuals (see the module docstring)."""
    from ..method.openset import margin_ratio

    tracks = [t for t in tracks if t.probes]
    if not tracks:
        return []
    probes = np.stack([p for t in tracks for p in t.probes])
    owner = np.repeat(np.arange(len(tracks)), [len(t.probes) for t in tracks])
    n_persons = len(model.classes_)
    sums = np.zeros((len(tracks), n_persons))
    best = [(np.inf, None) for _ in tracks]  # (ratio, residual row) of each track's clearest face
    size = probe_batch_size(model)
    for lo in range(0, len(probes), size):
        res = model.residuals(probes[lo:lo + size])
        np.add.at(sums, owner[lo:lo + size], res)
        ratios = margin_ratio(res)
        for j, (r, row) in enumerate(zip(ratios, res)):
            k = owner[lo + j]
            if r < best[k][0]:
                best[k] = (float(r), row)
    keep = min(int(options.keep), n_persons)
    out = []
    classes = model.classes_
    for k, tr in enumerate(tracks):
        order = np.argsort(sums[k], kind="stable")[:keep]
        ratio, row = best[k]
        border = np.argsort(row, kind="stable")[:max(int(options.top), 2)]
        out.append(Segment(source, int(tr.frames[0]), int(tr.frames[-1]), np.asarray(tr.frames, np.int32),
                           np.asarray(tr.boxes, np.int32).reshape(-1, 4), int(tr.best_frame), tr.best_box,
                           tr.thumbnail, [str(classes[j]) for j in order], sums[k, order].copy(), len(tr.probes),
                           [(str(classes[j]), float(row[j])) for j in border], ratio,
                           float(tr.best_score) if np.isfinite(tr.best_score) else 0.0))
    return out
