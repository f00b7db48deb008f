"""Tracks that cross a chunk boundary, made one again; each joined track's identity.

Neighbouring chunks of a video both read the overlap after the first one's end
(:class:`~slrfr_gui.scan.sources.ChunkSpec`), and sample the same frames
there. A segment of the first chunk and one of the next that hold a face at the
same frame with centres less than half a face width apart are the same track
(matched one to one, nearest first); joined tracks add their per-person
residual sums (a person beyond a segment's kept ones counts at that segment's
worst kept mean, an upper bound on its rank), and the joined track's mean
residuals rank the persons (or, with ``combine="best"``, its clearest face does).
"""

from __future__ import annotations

import json

import numpy as np

#: Centre distance over face width below which two segments' faces at one frame are the same face.
JOIN_DISTANCE = 0.5


def _decode(row) -> dict:
    (sid, chunk_start, source, first, last, frames, boxes, best_frame, bx, by, bw, bh, best_score, thumb, persons,
     faces, best_ranked, best_ratio) = row
    return {"id": sid, "chunk": chunk_start, "source": source, "first": first, "last": last,
            "frames": np.frombuffer(frames, "<i4"), "boxes": np.frombuffer(boxes, "<i4").reshape(-1, 4),
            "best_frame": best_frame, "best_box": (bx, by, bw, bh), "best_score": best_score, "thumbnail": thumb,
            "persons": json.loads(persons), "faces": faces, "best_ranked": json.loads(best_ranked or "[]"),
            "best_ratio": best_ratio if best_ratio is not None else 1.0}


def _same_face_cost(a: dict, b: dict) -> float | None:
    common, ia, ib = np.intersect1d(a["frames"], b["frames"], return_indices=True)
    if not len(common):
        return None
    ba, bb = a["boxes"][ia].astype(float), b["boxes"][ib].astype(float)
    ca = ba[:, :2] + ba[:, 2:] / 2
    cb = bb[:, :2] + bb[:, 2:] / 2
    d = np.hypot(*(ca - cb).T) / np.maximum(np.maximum(ba[:, 2], bb[:, 2]), 1)
    best = float(d.min())
    return best if best < JOIN_DISTANCE else None


def still(frames: np.ndarray, boxes: np.ndarray, min_frames: float) -> bool:
    """Whether a track's face never moved (centre within 12 % of its width, width within 15 %) over
    at least ``min_frames`` frames: a face-like part of the background rather than a person."""
    if len(boxes) < 2 or frames[-1] - frames[0] < min_frames:
        return False
    boxes = np.asarray(boxes, float)
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    width = boxes[:, 2].mean()
    return bool(np.ptp(centres, axis=0).max() <= max(2.0, 0.12 * width) and np.ptp(boxes[:, 2]) <= 0.15 * width)


def join_segments(rows, kind: str, threshold: float, top: int, combine: str = "mean",
                  still_frames: float | None = None, min_faces: int = 1) -> list[dict]:
    """Appearances from a source's segments (rows as :meth:`ScanStore.join_source` selects them).

    ``still_frames``: drop joined tracks of a video whose face never moved over this many
    frames (:func:`still`); None keeps them. ``min_faces``: drop joined tracks of a video with
    fewer faces identified.

    Returns
    -------
    list of dict
        ``source, track, first_frame, last_frame, best_frame, box, person, residual, ratio,
        unknown, faces, ranked, thumbnail``, in order of first frame, tracks numbered from 1
        (for stills: per image).
    """
    segs = [_decode(r) for r in rows]
    parent = list(range(len(segs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if kind == "video":
        starts = sorted({s["chunk"] for s in segs})
        by_chunk = {c: [i for i, s in enumerate(segs) if s["chunk"] == c] for c in starts}
        for c0, c1 in zip(starts, starts[1:]):
            pairs = []
            for i in by_chunk[c0]:
                if segs[i]["last"] < c1:
                    continue
                for j in by_chunk[c1]:
                    cost = _same_face_cost(segs[i], segs[j])
                    if cost is not None:
                        pairs.append((cost, i, j))
            used_i, used_j = set(), set()
            for _, i, j in sorted(pairs):
                if i not in used_i and j not in used_j:
                    used_i.add(i)
                    used_j.add(j)
                    parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(segs)):
        groups.setdefault(find(i), []).append(i)
    out = []
    for members in groups.values():
        parts = [segs[i] for i in members]
        if kind == "video" and sum(p["faces"] for p in parts) < min_faces:
            continue
        if kind == "video" and still_frames is not None:
            frames = np.concatenate([p["frames"] for p in parts])
            order = np.argsort(frames, kind="stable")
            boxes = np.concatenate([p["boxes"] for p in parts])[order]
            if still(frames[order], boxes, still_frames):
                continue
        out.append(_combine(parts, threshold, top, combine))
    out.sort(key=lambda a: (a["source"], a["first_frame"], a["box"][0]))
    counters: dict[str, int] = {}
    for a in out:
        counters[a["source"]] = counters.get(a["source"], 0) + 1
        a["track"] = counters[a["source"]]
    return out


def _combine(parts: list[dict], threshold: float, top: int, combine: str) -> dict:
    names = {}
    for p in parts:
        for name, _ in p["persons"]:
            names.setdefault(name, len(names))
    total = np.zeros(len(names))
    count = sum(p["faces"] for p in parts)
    for p in parts:
        floor = p["persons"][-1][1] / max(p["faces"], 1) if p["persons"] else 1.0
        mine = np.full(len(names), floor * p["faces"])
        for name, value in p["persons"]:
            mine[names[name]] = value
        total += mine
    mean = total / max(count, 1)
    order = np.argsort(mean, kind="stable")
    labels = list(names)
    n_persons = len(labels)
    if combine == "best":
        clearest = min(parts, key=lambda p: p["best_ratio"])
        ranked = [(str(n), float(r)) for n, r in clearest["best_ranked"]][:top]
        ratio = float(clearest["best_ratio"])
    else:
        ranked = [(labels[j], float(mean[j])) for j in order[:top]]
        ratio = float(mean[order[0]] / mean[order[1]]) if n_persons >= 2 and mean[order[1]] > 0 else 1.0
    best = max(parts, key=lambda p: p["best_score"])
    return {"source": parts[0]["source"], "first_frame": min(p["first"] for p in parts),
            "last_frame": max(p["last"] for p in parts), "best_frame": best["best_frame"], "box": best["best_box"],
            "person": ranked[0][0] if ranked else None, "residual": ranked[0][1] if ranked else None,
            "ratio": ratio, "unknown": bool(n_persons >= 2 and ratio > threshold), "faces": int(count),
            "ranked": ranked, "thumbnail": best["thumbnail"]}
