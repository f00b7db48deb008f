"""The results of a scan in one SQLite file, readable by any SQLite tool.

The file is opened in WAL mode and every finished chunk is written in one
transaction (its segments, and its row in ``chunks`` marked done), so a scan
killed at any moment leaves a consistent file that ``--resume`` continues: it
redoes only the chunks not marked done, and a chunk written twice (a worker
killed after it had finished, the chunk retried) replaces its own segments
rather than adding to them. When every chunk of a video is done, its segments
are joined into appearances (tracks that cross a chunk boundary become one) and
written, again in one transaction, replacing that video's earlier ones.

Schema (``SCHEMA_VERSION``), as ``README.md`` documents it:

* ``meta(key, value)``: the model's checksum and persons, the scan options, the "unknown" threshold;
* ``sources(id, path, kind, frames, fps, width, height, joined)``;
* ``chunks(id, source_id, start_frame, stop_frame, status, frames_read, seconds, cpu_seconds, error, finished_at)``;
* ``segments(...)``: tracks as each chunk saw them (internal to the join);
* ``appearances(id, source_id, source, track, first_s, last_s, first_frame, last_frame, best_frame, best_s, x, y,
  w, h, person, residual, ratio, unknown, faces, ranked, thumbnail)``: one row per appearance, ``person`` the
  best match, ``unknown`` 1 when its ratio is above the threshold, ``ranked`` a JSON list of
  ``[person, residual]``, ``thumbnail`` a PNG of the best face;
* ``ranks(appearance_id, rank, person, residual)``: the same ranking as rows, for SQL;
* ``problems(path, message)``: inputs that could not be scanned, and why.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import numpy as np

from ..errors import SLRFRError

SCHEMA_VERSION = 1
FORMAT = "slrfr-scan"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, frames INTEGER NOT NULL,
    fps REAL NOT NULL, width INTEGER, height INTEGER, joined INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL REFERENCES sources(id), start_frame INTEGER NOT NULL,
    stop_frame INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
    frames_read INTEGER, seconds REAL, cpu_seconds REAL, error TEXT, finished_at TEXT,
    UNIQUE (source_id, start_frame));
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY, chunk_id INTEGER NOT NULL REFERENCES chunks(id), source TEXT NOT NULL,
    first_frame INTEGER NOT NULL, last_frame INTEGER NOT NULL, frames BLOB NOT NULL, boxes BLOB NOT NULL,
    best_frame INTEGER, best_x INTEGER, best_y INTEGER, best_w INTEGER, best_h INTEGER, best_score REAL,
    thumbnail BLOB, persons TEXT NOT NULL, faces INTEGER NOT NULL, best_ranked TEXT, best_ratio REAL);
CREATE INDEX IF NOT EXISTS segments_chunk ON segments (chunk_id);
CREATE TABLE IF NOT EXISTS appearances (
    id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL REFERENCES sources(id), source TEXT NOT NULL,
    track INTEGER NOT NULL, first_s REAL, last_s REAL, first_frame INTEGER NOT NULL, last_frame INTEGER NOT NULL,
    best_frame INTEGER NOT NULL, best_s REAL, x INTEGER, y INTEGER, w INTEGER, h INTEGER, person TEXT,
    residual REAL, ratio REAL, unknown INTEGER NOT NULL, faces INTEGER NOT NULL, ranked TEXT NOT NULL,
    thumbnail BLOB, UNIQUE (source, track));
CREATE INDEX IF NOT EXISTS appearances_person ON appearances (person);
CREATE TABLE IF NOT EXISTS ranks (
    appearance_id INTEGER NOT NULL REFERENCES appearances(id) ON DELETE CASCADE, rank INTEGER NOT NULL,
    person TEXT NOT NULL, residual REAL NOT NULL, PRIMARY KEY (appearance_id, rank));
CREATE TABLE IF NOT EXISTS problems (path TEXT NOT NULL, message TEXT NOT NULL, PRIMARY KEY (path, message));
"""

#: Columns of :meth:`ScanStore.appearances` rows and of the CSV export.
APPEARANCE_COLUMNS = ("id", "source", "track", "first_s", "last_s", "first_frame", "last_frame", "best_frame",
                      "best_s", "x", "y", "w", "h", "person", "residual", "ratio", "unknown", "faces", "ranked")


def _difference(key: str, old, new) -> str:
    """What differs between a scan's recorded setting ``key`` and a resumed one's, as a sentence's end."""
    if key == "model":
        def digest(v):
            return str((v or {}).get("sha256", "?"))[:12] if isinstance(v, dict) else "?"
        return f"another model file (SHA-256 {digest(old)}..., this one {digest(new)}...)"
    if key == "options" and isinstance(old, dict) and isinstance(new, dict):
        def flag(k, v):  # overlap and batch follow from the others: no option of their own
            return f"{'' if k in ('overlap', 'batch') else '--'}{k.replace('_', '-')} {'(none)' if v is None else v}"
        parts = [f"{flag(k, old.get(k))}, not {new.get(k)}" for k in sorted(set(old) | set(new))
                 if old.get(k) != new.get(k)]
        return "other options (" + "; ".join(parts) + ")"
    if key == "persons":
        return f"a model of other persons ({len(old)} persons, this one {len(new)})"
    if key == "resolution":
        return f"a model of another resolution ({'x'.join(map(str, old))}, this one {'x'.join(map(str, new))})"
    return f"{key} {old!r}, not {new!r}"


def is_scan_file(path) -> bool:
    """Whether ``path`` is an SQLite file of scan results (any version), opened read-only: nothing is written."""
    path = Path(path)
    try:
        db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except (sqlite3.Error, ValueError):
        return False
    try:
        row = db.execute("SELECT value FROM meta WHERE key='format'").fetchone()
        return row is not None and json.loads(row[0]) == FORMAT
    except (sqlite3.Error, ValueError):
        return False
    finally:
        db.close()


class ScanStoreError(SLRFRError):
    """The results file cannot be used: not a scan store, another version, or another scan's."""


def png_bytes(grey8: np.ndarray) -> bytes:
    import cv2

    ok, data = cv2.imencode(".png", np.ascontiguousarray(grey8, dtype=np.uint8))
    return bytes(data) if ok else b""


class ScanStore:
    """One scan's results file (see the module docstring).

    Parameters
    ----------
    path : path
        The SQLite file; created if missing.

    Raises
    ------
    ScanStoreError
        The file exists and is not a scan store of this version.
    """

    def __init__(self, path):
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            kind = self._meta_value("format")
        except sqlite3.DatabaseError as exc:
            raise ScanStoreError(f"{self.path}: not a scan results file ({exc}); give another -o") from None
        if kind is None:
            tables = self.db.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
            if tables:
                self.db.close()
                raise ScanStoreError(f"{self.path}: an SQLite file of something else, not scan results; "
                                     "give another -o")
            self.db.executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")
            with self.transaction():
                self._set_meta({"format": FORMAT, "schema_version": SCHEMA_VERSION})
        elif kind != FORMAT or int(self._meta_value("schema_version") or 0) != SCHEMA_VERSION:
            self.db.close()
            raise ScanStoreError(f"{self.path}: scan results of another version ({kind}, schema "
                                 f"{self._meta_value('schema_version')}); give another -o")

    # ------------------------------------------------------------ basics
    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def transaction(self):
        store = self

        class _T:
            def __enter__(self):
                store.db.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind, value, tb):
                store.db.execute("COMMIT" if kind is None else "ROLLBACK")
                return False

        return _T()

    def _meta_value(self, key):
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        except sqlite3.OperationalError:
            return None
        return None if row is None else json.loads(row[0])

    def _set_meta(self, values: dict) -> None:
        self.db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                            [(k, json.dumps(v)) for k, v in values.items()])

    def meta(self) -> dict:
        return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM meta")}

    # ------------------------------------------------------------ planning
    def check_settings(self, settings: dict) -> None:
        """Record the scan's settings, or check that a resumed scan uses the same ones.

        Raises
        ------
        ScanStoreError
            A setting differs from the one the file was begun with (named).
        """
        old = self._meta_value("settings")
        if old is None:
            with self.transaction():
                self._set_meta({"settings": settings})
            return
        for key, value in settings.items():
            if key in old and old[key] != value:
                raise ScanStoreError(f"{self.path} was begun with {_difference(key, old[key], value)}: resume with "
                                     "the same model and options, or give another -o")

    def add_source(self, source, chunks) -> int:
        """Register a source and its chunks (again: nothing changes); returns its id."""
        with self.transaction():
            self.db.execute("INSERT OR IGNORE INTO sources (path, kind, frames, fps, width, height) VALUES "
                            "(?, ?, ?, ?, ?, ?)", (source.path, source.kind, source.frames, source.fps,
                                                   source.width, source.height))
            sid = self.db.execute("SELECT id FROM sources WHERE path=?", (source.path,)).fetchone()[0]
            self.db.executemany("INSERT OR IGNORE INTO chunks (source_id, start_frame, stop_frame) VALUES (?, ?, ?)",
                                [(sid, c.start, c.stop) for c in chunks])
        return sid

    def add_problems(self, problems) -> None:
        with self.transaction():
            self.db.executemany("INSERT OR IGNORE INTO problems (path, message) VALUES (?, ?)",
                                [(p.path, p.message) if hasattr(p, "path") else (str(p).split(": ", 1)[0], str(p))
                                 for p in problems])

    def chunk_id(self, source_path: str, start: int) -> int | None:
        row = self.db.execute("SELECT chunks.id FROM chunks JOIN sources ON sources.id = chunks.source_id WHERE "
                              "sources.path=? AND start_frame=?", (source_path, start)).fetchone()
        return None if row is None else row[0]

    def done_chunks(self) -> set:
        """(source path, start frame) of every chunk written."""
        return set(self.db.execute("SELECT sources.path, start_frame FROM chunks JOIN sources ON "
                                   "sources.id = chunks.source_id WHERE status='done'"))

    def counts(self) -> tuple[int, int]:
        """(chunks done, chunks in all)."""
        done, total = self.db.execute("SELECT sum(status='done'), count(*) FROM chunks").fetchone()
        return int(done or 0), int(total or 0)

    # ------------------------------------------------------------ writing
    def write_chunk(self, result) -> None:
        """Write one finished chunk in one transaction (replacing any earlier copy of it)."""
        chunk = result.chunk
        with self.transaction():
            cid = self.chunk_id(chunk.source, chunk.start)
            if cid is None:
                raise ScanStoreError(f"{self.path}: no chunk {chunk.source} @ {chunk.start} was planned")
            self.db.execute("DELETE FROM segments WHERE chunk_id=?", (cid,))
            self.db.executemany(
                "INSERT INTO segments (chunk_id, source, first_frame, last_frame, frames, boxes, best_frame, best_x,"
                " best_y, best_w, best_h, best_score, thumbnail, persons, faces, best_ranked, best_ratio) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(cid, s.source, s.first_frame, s.last_frame, np.asarray(s.frames, "<i4").tobytes(),
                  np.asarray(s.boxes, "<i4").tobytes(), s.best_frame, *map(int, s.best_box), float(s.best_score),
                  png_bytes(s.thumbnail), json.dumps([[p, float(v)] for p, v in zip(s.persons, s.sums)]),
                  int(s.count), json.dumps(s.best_ranked), float(s.best_ratio)) for s in result.segments])
            self.db.execute("UPDATE chunks SET status='done', frames_read=?, seconds=?, cpu_seconds=?, error=?, "
                            "finished_at=? WHERE id=?",
                            (result.frames_read, result.seconds, result.cpu_seconds,
                             "; ".join(result.problems) or None, time.strftime("%Y-%m-%dT%H:%M:%S"), cid))
            self.db.execute("UPDATE sources SET joined=0 WHERE id=(SELECT source_id FROM chunks WHERE id=?)", (cid,))
            if result.problems:
                self.db.executemany("INSERT OR IGNORE INTO problems (path, message) VALUES (?, ?)",
                                    [(chunk.source, p) for p in result.problems])

    def sources_ready(self) -> list[int]:
        """Sources whose chunks are all done and whose appearances are not yet joined."""
        return [r[0] for r in self.db.execute(
            "SELECT s.id FROM sources s WHERE s.joined=0 AND NOT EXISTS "
            "(SELECT 1 FROM chunks c WHERE c.source_id=s.id AND c.status!='done')")]

    def join_source(self, source_id: int, threshold: float, top: int, combine: str = "mean", persons=(),
                    keep_still: bool = False, min_faces: int = 1) -> int:
        """Join a source's segments into appearances and write them (replacing earlier ones); returns how many.
        Faces that never move for two seconds are dropped unless ``keep_still``."""
        from .join import join_segments

        path, kind, fps = self.db.execute("SELECT path, kind, fps FROM sources WHERE id=?", (source_id,)).fetchone()
        rows = self.db.execute(
            "SELECT seg.id, c.start_frame, seg.source, seg.first_frame, seg.last_frame, seg.frames, seg.boxes, "
            "seg.best_frame, seg.best_x, seg.best_y, seg.best_w, seg.best_h, seg.best_score, seg.thumbnail, "
            "seg.persons, seg.faces, seg.best_ranked, seg.best_ratio FROM segments seg JOIN chunks c ON "
            "c.id = seg.chunk_id WHERE c.source_id=? ORDER BY c.start_frame, seg.first_frame, seg.id",
            (source_id,)).fetchall()
        appearances = join_segments(rows, kind, threshold, top, combine,
                                    None if keep_still else 2.0 * (fps or 25.0), min_faces)
        wanted = set(persons)
        if wanted:
            appearances = [a for a in appearances if a["person"] in wanted and not a["unknown"]]
        with self.transaction():
            self.db.execute("DELETE FROM appearances WHERE source_id=?", (source_id,))
            for a in appearances:
                t = (lambda f: None if kind == "stills" or not fps else f / fps)
                cur = self.db.execute(
                    "INSERT INTO appearances (source_id, source, track, first_s, last_s, first_frame, last_frame,"
                    " best_frame, best_s, x, y, w, h, person, residual, ratio, unknown, faces, ranked, thumbnail)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (source_id, a["source"], a["track"], t(a["first_frame"]), t(a["last_frame"]), a["first_frame"],
                     a["last_frame"], a["best_frame"], t(a["best_frame"]), *a["box"], a["person"], a["residual"],
                     a["ratio"], int(a["unknown"]), a["faces"], json.dumps(a["ranked"]), a["thumbnail"]))
                self.db.executemany("INSERT INTO ranks (appearance_id, rank, person, residual) VALUES (?, ?, ?, ?)",
                                    [(cur.lastrowid, i + 1, p, r) for i, (p, r) in enumerate(a["ranked"])])
            self.db.execute("UPDATE sources SET joined=1 WHERE id=?", (source_id,))
        return len(appearances)

    # ------------------------------------------------------------ reading
    def appearances(self, person: str | None = None, order: str = "time") -> list[dict]:
        """Every appearance as a dict of :data:`APPEARANCE_COLUMNS` (``ranked`` decoded), optionally of one
        ``person`` (best match) and sorted by ``"time"`` (source, first frame) or ``"residual"``."""
        where, args = ("WHERE person=?", (person,)) if person else ("", ())
        by = "residual, source, first_frame" if order == "residual" else "source, first_frame, track"
        cols = ", ".join(APPEARANCE_COLUMNS)
        out = []
        for row in self.db.execute(f"SELECT {cols} FROM appearances {where} ORDER BY {by}", args):  # noqa: S608
            d = dict(zip(APPEARANCE_COLUMNS, row))
            d["ranked"] = json.loads(d["ranked"])
            d["unknown"] = bool(d["unknown"])
            out.append(d)
        return out

    def thumbnail(self, appearance_id: int) -> np.ndarray | None:
        import cv2

        row = self.db.execute("SELECT thumbnail FROM appearances WHERE id=?", (appearance_id,)).fetchone()
        if not row or not row[0]:
            return None
        return cv2.imdecode(np.frombuffer(row[0], np.uint8), cv2.IMREAD_GRAYSCALE)

    def problems(self) -> list[tuple[str, str]]:
        return list(self.db.execute("SELECT path, message FROM problems ORDER BY path"))

    def sources(self) -> list[dict]:
        cols = ("id", "path", "kind", "frames", "fps", "width", "height")
        return [dict(zip(cols, r)) for r in self.db.execute(f"SELECT {', '.join(cols)} FROM sources ORDER BY id")]

    def export_csv(self, path) -> Path:
        """The appearances (no thumbnails) as CSV, written atomically."""
        import csv
        import io
        import os

        from ..files.atomic import atomic_write_bytes

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator=os.linesep)
        writer.writerow(APPEARANCE_COLUMNS)
        for a in self.appearances():
            a["ranked"] = "; ".join(f"{p} {r:.4f}" for p, r in a["ranked"])
            writer.writerow([("" if a[c] is None else f"{a[c]:.4f}" if isinstance(a[c], float) else a[c])
                             for c in APPEARANCE_COLUMNS])
        return atomic_write_bytes(path, buffer.getvalue().encode("utf-8"))
