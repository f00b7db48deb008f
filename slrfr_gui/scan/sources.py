"""What a scan reads: video files and folders of stills, checked once and cut into chunks.

A video is read with OpenCV's ``VideoCapture`` (whatever codecs its FFmpeg
build has); stills with Pillow, like every other image here. Checking an input
costs one opened file and one decoded frame, so that a corrupt, truncated,
zero-frame or undecodable video, a missing path or a folder without an image
is reported by name before any work is scheduled, and the scan goes on with
the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: Files in a folder with these suffixes are scanned as videos; every other file as a still.
VIDEO_SUFFIXES = frozenset({".avi", ".mp4", ".m4v", ".mkv", ".mov", ".mpg", ".mpeg", ".wmv", ".webm", ".ts",
                            ".flv", ".3gp", ".mjpg", ".mjpeg"})
#: Frame rate assumed for a video that states none (times in seconds then follow it).
DEFAULT_FPS = 25.0


@dataclass(frozen=True)
class Source:
    """One input of a scan.

    Attributes
    ----------
    path : str
        The video file, or the folder of stills.
    kind : {"video", "stills"}
    frames : int
        Frames of a video as its container states them (a truncated file may
        hold fewer; the scan reports where it ended), or the number of stills.
    fps : float
        Frames per second of a video (:data:`DEFAULT_FPS` when it states none); 0 for stills.
    width, height : int
        Frame size in pixels (of the first still for a folder).
    files : tuple of str
        The stills of a folder, in name order (empty for a video).
    """

    path: str
    kind: str
    frames: int
    fps: float
    width: int
    height: int
    files: tuple = ()


@dataclass(frozen=True)
class Problem:
    """An input that cannot be scanned (or part of one), with the reason in words."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class ChunkSpec:
    """A unit of work: frames ``[start, stop)`` of a video, read on to ``stop + overlap`` so that
    the tracks alive at ``stop`` can be joined with the next chunk's; or a batch of stills
    (``files``; ``start``/``stop`` index them in the folder).
    """

    source: str
    kind: str
    start: int
    stop: int
    overlap: int = 0
    fps: float = 0.0
    frames: int = 0
    files: tuple = field(default=())

    @property
    def frame_count(self) -> int:
        """Frames this chunk is responsible for (the overlap is not counted)."""
        return self.stop - self.start


def check_inputs(paths) -> tuple[list[Source], list[Problem]]:
    """Check every input once: what can be scanned, and what cannot and why.

    Parameters
    ----------
    paths : iterable of str or Path
        Video files and folders. A folder's files are taken in name order, its
        sub-folders too; files with a video suffix (:data:`VIDEO_SUFFIXES`)
        are videos, the others stills.

    Returns
    -------
    sources : list of Source
        In the order given (a folder's videos after its stills).
    problems : list of Problem
        A missing path, a video that cannot be opened or has no frame, a
        folder with no image, files of a folder that are not images.
    """
    sources: list[Source] = []
    problems: list[Problem] = []
    seen = set()
    for given in paths:
        path = Path(given)
        if not path.exists():
            problems.append(Problem(str(path), "no such file or folder"))
            continue
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            videos = [p for p in files if p.suffix.lower() in VIDEO_SUFFIXES]
            stills, not_images = [], []
            for p in files:
                if p.suffix.lower() in VIDEO_SUFFIXES:
                    continue
                size = _image_size(p)
                (stills if size else not_images).append((p, size))
            for p, _ in not_images:
                problems.append(Problem(str(p), "not an image"))
            if stills:
                key = str(path)
                if key not in seen:
                    seen.add(key)
                    w, h = stills[0][1]
                    sources.append(Source(key, "stills", len(stills), 0.0, w, h, tuple(str(p) for p, _ in stills)))
            if not stills and not videos:
                problems.append(Problem(str(path), "the folder holds no image and no video"))
            for video in videos:
                _add_video(video, sources, problems, seen)
        else:
            _add_video(path, sources, problems, seen)
    return sources, problems


def _image_size(path: Path):
    """(width, height) if Pillow recognises the file as an image, else None (reads the header only)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return im.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    except Exception:  # noqa: BLE001 - a damaged header must not stop the scan (Pillow raises many kinds)
        return None


def _add_video(path: Path, sources: list, problems: list, seen: set) -> None:
    key = str(path)
    if key in seen:
        return
    seen.add(key)
    source, problem = probe_video(path)
    if problem is not None:
        problems.append(problem)
    else:
        sources.append(source)


def probe_video(path) -> tuple[Source | None, Problem | None]:
    """Open a video, read its frame count, rate and size, and decode its first frame.

    Returns
    -------
    (Source, None) or (None, Problem)
    """
    import cv2

    from ..faces.camera import quiet_opencv

    quiet_opencv()
    path = Path(path)
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            return None, Problem(str(path), "not a video OpenCV can read (damaged, not a video, or a codec this "
                                            "OpenCV build lacks)")
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        ok, frame = capture.read()
        if not ok or frame is None:
            return None, Problem(str(path), "no frame could be decoded (an empty, truncated or damaged file, or a "
                                            "codec this OpenCV build lacks)")
        height, width = frame.shape[:2]
        if frames <= 0:  # a stream that states no length: count it once
            frames = 1
            while capture.grab():
                frames += 1
        if not (fps > 0 and fps < 1000):
            fps = DEFAULT_FPS
        return Source(str(path), "video", frames, fps, width, height), None
    finally:
        capture.release()


def plan_chunks(source: Source, chunk_frames: int, overlap: int, batch: int = 64, step: int = 1) -> list[ChunkSpec]:
    """Cut a source into chunks.

    Parameters
    ----------
    source : Source
    chunk_frames : int
        Frames per video chunk (rounded up to a multiple of ``step``).
    overlap : int
        Frames a video chunk reads past its end, for joining tracks.
    batch : int
        Stills per chunk of a folder.
    step : int
        The scan's sampling step (frames between tracker updates): chunk
        starts fall on multiples of it, so neighbouring chunks sample the same frames.

    Returns
    -------
    list of ChunkSpec
    """
    if source.kind == "stills":
        return [ChunkSpec(source.path, "stills", lo, min(lo + batch, len(source.files)), 0, 0.0, source.frames,
                          source.files[lo:lo + batch]) for lo in range(0, len(source.files), max(1, batch))]
    step = max(1, int(step))
    length = max(step, -(-int(chunk_frames) // step) * step)
    return [ChunkSpec(source.path, "video", lo, min(lo + length, source.frames), int(overlap), source.fps,
                      source.frames) for lo in range(0, source.frames, length)]
