"""Following the faces of a video's sampled frames: searched now and then where the picture moved,
re-aligned in between. Used by :func:`slrfr_gui.scan.tracks.scan_chunk` on a Dask worker."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class _Face:
    box: tuple
    score: float
    aligned: np.ndarray
    placement: object


class FaceFollower:
    """Faces of a video's sampled frames: searched every ``detect_every`` frames, followed in between.

    Following is the face search's own (:func:`~slrfr_gui.faces.face_search.follow`, as
    :class:`~slrfr_gui.faces.find.FaceTracker` does for the camera): a face dlib found is looked for
    again by dlib near where it was, a tiny one re-aligned by the project's regressors while its
    verifier passes it. Searches (:func:`~slrfr_gui.faces.face_search.search_faces`: dlib's scan for
    faces from about 28 pixels, the tiny-face search below) cover the whole frame the first time and
    then only where the frame changed from a running background (with a margin of the largest face
    sought), since a new person moves in: most of a CCTV frame is still.
    """

    #: Grey-level change (of 1) from the running background that counts as motion.
    MOTION = 0.06
    #: Background update rate per sampled frame (a moving face's trail fades in about 1 / RATE of them).
    RATE = 0.1
    #: Reduction of the frame for the background model.
    REDUCE = 4

    def __init__(self, options, detector=None):
        from ..faces.detect import default_detector

        self.options = options
        self.detector = detector or default_detector()
        self.placements: list = []
        self.background = None
        self.last_search = None
        self.searches = 0
        self.searched_fraction = 0.0
        self.searched_boxes: list = []  # the faces followed at the last search (their motion since is theirs)

    def update(self, grey8: np.ndarray, index: int) -> list:
        """The faces of one sampled frame (uint8 grey, shape (rows, columns)); ``index`` counts frames."""
        import cv2

        from ..faces.align import align
        from ..faces.face_search import follow

        image = grey8.astype(np.float32) * np.float32(1.0 / 255.0)
        small = cv2.resize(image, None, fx=1 / self.REDUCE, fy=1 / self.REDUCE, interpolation=cv2.INTER_AREA)
        found = []
        for previous in self.placements:
            det = follow(image, previous, self.detector)
            if det is not None and all(_overlap(det.box, f.box) <= 0.25 for f in found):
                found.append(det)
        due = self.last_search is None or index - self.last_search >= int(self.options.detect_every)
        if due:
            regions = self._regions(small, image.shape, [d.box for d in found] + self.searched_boxes)
            self.last_search = index
            self.searches += 1
            for det in self._search(image, regions):
                if all(_overlap(det.box, f.box) <= 0.25 for f in found):
                    found.append(det)
        if self.background is None:
            self.background = small
        else:
            cv2.accumulateWeighted(small, self.background, self.RATE)
        self.placements = list(found)  # the Detections followed
        if due:
            self.searched_boxes = [d.box for d in found]
        out = []
        for det in found:
            x, y, w, h = det.box
            pad = max(w, h)
            x0, y0 = max(0, x - pad), max(0, y - pad)
            x1, y1 = min(image.shape[1], x + w + pad), min(image.shape[0], y + h + pad)
            p = det.placement
            local = type(p)(p.cx - x0, p.cy - y0, p.scale, p.angle)
            out.append(_Face(det.box, float(det.score), align(image[y0:y1, x0:x1], local), p))
        return out

    def _regions(self, small, shape, followed=()):
        """Boxes (x0, y0, x1, y1) to search: the whole frame first, then where it moved, leaving out the
        motion of the faces already followed (boxes ``followed``, now and at the last search, with a
        margin of half their size): a walking face would otherwise make its own region at every search."""
        import cv2

        rows, cols = shape
        if self.background is None:
            self.searched_fraction = 1.0
            return [(0, 0, cols, rows)]
        moved = (np.abs(small - self.background) > self.MOTION).astype(np.uint8)
        r = self.REDUCE
        for x, y, w, h in followed:
            moved[max(0, int((y - h / 2) / r)):int((y + 1.5 * h) / r) + 1,
                  max(0, int((x - w / 2) / r)):int((x + 1.5 * w) / r) + 1] = 0
        n, _, stats, _ = cv2.connectedComponentsWithStats(moved, connectivity=8)
        widest = float(self.options.max_face or max(2.5 * self.options.min_face, 48.0))
        margin = int(round(0.75 * widest))
        boxes = []
        for x, y, w, h, area in stats[1:]:
            if area < 2:
                continue
            r = self.REDUCE
            boxes.append([max(0, x * r - margin), max(0, y * r - margin), min(cols, (x + w) * r + margin),
                          min(rows, (y + h) * r + margin)])
        boxes = _merge_boxes(boxes)
        area = sum((b[2] - b[0]) * (b[3] - b[1]) for b in boxes)
        self.searched_fraction = area / float(rows * cols)
        if self.searched_fraction > 0.6:
            self.searched_fraction = 1.0
            return [(0, 0, cols, rows)]
        return boxes

    def _search(self, image, regions) -> list:
        from ..faces.detect import Detection
        from ..faces.face_search import search_faces

        out = []
        widest = self.options.max_face
        for x0, y0, x1, y1 in regions:
            if x1 - x0 < 16 or y1 - y0 < 16:
                continue
            for det in search_faces(image[y0:y1, x0:x1], min_width=self.options.min_face, detector=self.detector):
                if widest is not None and det.width > 1.3 * float(widest):
                    continue
                p = det.placement
                eyes = None if det.landmarks is None else det.landmarks + [x0, y0]
                out.append(Detection(type(p)(p.cx + x0, p.cy + y0, p.scale, p.angle), det.score, det.method, eyes))
        return out


def _merge_boxes(boxes: list) -> list:
    """Merge overlapping (x0, y0, x1, y1) boxes until none overlap."""
    boxes = [list(b) for b in boxes]
    merged = True
    while merged:
        merged = False
        out = []
        for b in boxes:
            for o in out:
                if b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3]:
                    o[:] = [min(o[0], b[0]), min(o[1], b[1]), max(o[2], b[2]), max(o[3], b[3])]
                    merged = True
                    break
            else:
                out.append(b)
        boxes = out
    return [tuple(b) for b in boxes]


def _overlap(a, b) -> float:
    """Intersection of two (x, y, w, h) boxes over the smaller one's area."""
    w = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    h = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return w * h / max(1, min(a[2] * a[3], b[2] * b[3]))
