"""Data files: NumPy ``.npz`` archives with JSON metadata, never pickles.

Every file the application writes (models, galleries, the face model) is an
``.npz`` whose arrays are read with ``allow_pickle=False`` and whose
``metadata`` entry holds UTF-8 JSON: the format name, its version and a
SHA-256 over the arrays. Writes are atomic (:mod:`.atomic`).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from .atomic import atomic_write


#: Bytes hashed or written between two progress reports and cancellation checks.
CHUNK = 4 << 20


def digest(arrays: dict, progress=None) -> str:
    """SHA-256 over the arrays' names, dtypes, shapes and bytes (in name order).

    ``progress(done_bytes)`` is called after each chunk of :data:`CHUNK` bytes when given.
    """
    h = hashlib.sha256()
    done = 0
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        h.update(name.encode())
        h.update(str(arr.dtype).encode())
        h.update(str(arr.shape).encode())
        raw = memoryview(arr.reshape(-1).view(np.uint8)) if arr.size else memoryview(b"")
        for lo in range(0, len(raw), CHUNK):
            h.update(raw[lo:lo + CHUNK])
            done += len(raw[lo:lo + CHUNK])
            if progress is not None:
                progress(done)
    return h.hexdigest()


def write_data_file(path, arrays: dict, meta: dict, fmt: str, version: int, error_cls, progress=None,
                    should_stop=None, store_floats: bool = False) -> Path:
    """Write ``arrays`` and ``meta`` as a data file, atomically, streaming to disk.

    Parameters
    ----------
    progress : callable(done, total, stage), optional
        Bytes hashed and written so far (``total`` is twice the arrays' bytes), stage ``"save"``.
    should_stop : callable() -> bool, optional
        Polled between chunks; True raises :class:`~slrfr_gui.errors.Cancelled` and leaves any
        previous file at ``path`` as it was.
    store_floats : bool
        Store float32/float64 arrays over 1 MB without compression: such data (model bases) shrinks
        by about 4 % under deflate at about 20 MB/s, which made saving a large model take seconds.

    Raises
    ------
    error_cls
        The file cannot be written; any previous file at ``path`` is unchanged.
    Cancelled
        ``should_stop`` returned True.
    """
    from ..errors import Cancelled

    path = Path(path)
    arrays = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
    for name, arr in arrays.items():
        if arr.dtype == object:
            raise error_cls(f"{path}: array {name!r} holds Python objects; data files hold numbers only")
    total = 2 * sum(a.nbytes for a in arrays.values()) or 1
    written = [0]

    def step(n_bytes):
        if should_stop is not None and should_stop():
            raise Cancelled(f"saving {path.name} was cancelled; any previous file there is unchanged")
        if progress is not None:
            progress(min(n_bytes, total), total, "save")

    meta = {"format": fmt, "version": version, **meta, "sha256": digest(arrays, step)}
    hashed = total // 2
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)

    def write(fh):
        with zipfile.ZipFile(fh, "w", allowZip64=True) as archive:
            for name, arr in arrays.items():
                stored = store_floats and arr.dtype in (np.float32, np.float64) and arr.nbytes > 1 << 20
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                with archive.open(info, "w", force_zip64=True) as out:
                    np.lib.format.write_array_header_1_0(out, np.lib.format.header_data_from_array_1_0(arr))
                    raw = memoryview(arr.reshape(-1).view(np.uint8)) if arr.size else memoryview(b"")
                    for lo in range(0, len(raw), CHUNK):
                        out.write(raw[lo:lo + CHUNK])
                        written[0] += len(raw[lo:lo + CHUNK])
                        step(hashed + written[0])

    try:
        atomic_write(path, write)
    except OSError as exc:
        raise error_cls(f"{path}: could not save ({exc.strerror or exc}); any previous file there is unchanged") from None
    return path


def read_data_file(path, fmt: str, version: int, error_cls, what: str, remedy: str):
    """Read a data file written by :func:`write_data_file`.

    Parameters
    ----------
    fmt, version
        The format name and the version this build reads: an int, or a tuple of the versions it
        reads (the newest last).
    error_cls
        Exception class raised with a one-line message naming the file.
    what : str
        What the file should be, for messages ("slrfr model file").
    remedy : str
        What to do about a bad file ("enroll the gallery again").

    Returns
    -------
    arrays : dict of str to ndarray
    meta : dict
    """
    path = Path(path)
    if not path.exists():
        raise error_cls(f"{path}: no such {what}")
    if path.is_dir():
        raise error_cls(f"{path}: is a folder, not a {what}")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise error_cls(f"{path}: cannot read ({exc.strerror or exc})") from None
    if magic != b"PK\x03\x04":
        kind = "an empty file" if not magic else "a bare NumPy array" if magic.startswith(b"\x93NUM") else \
            "a pickle, refused" if magic[:1] == b"\x80" else "another kind of file"
        raise error_cls(f"{path}: not a {what} ({kind}); {remedy}")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise error_cls(f"{path}: not a {what} (a bare NumPy array)")
        with data:
            arrays = {name: data[name] for name in data.files}
    except error_cls:
        raise
    except (zipfile.BadZipFile, EOFError) as exc:
        raise error_cls(f"{path}: truncated or damaged {what} ({exc}); {remedy}") from None
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise error_cls(f"{path}: holds pickled Python objects; refused ({what}s are data only)") from None
        raise error_cls(f"{path}: not a {what} ({exc})") from None
    except OSError as exc:
        raise error_cls(f"{path}: cannot read ({exc.strerror or exc})") from None
    except Exception as exc:  # noqa: BLE001 - any other parse failure means a damaged file
        raise error_cls(f"{path}: not a {what} ({type(exc).__name__}: {exc})") from None
    raw = arrays.pop("metadata", None)
    if raw is None or raw.dtype != np.uint8:
        raise error_cls(f"{path}: not a {what} (no metadata)")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise error_cls(f"{path}: damaged metadata in {what}; {remedy}") from None
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        raise error_cls(f"{path}: not a {what}")
    versions = tuple(version) if isinstance(version, (tuple, list)) else (version,)
    if meta.get("version") not in versions:
        reads = f"version {versions[0]}" if len(versions) == 1 else \
            "versions " + ", ".join(map(str, versions[:-1])) + f" and {versions[-1]}"
        raise error_cls(f"{path}: {what} format version {meta.get('version')!r} is not supported"
                        f" (this build reads {reads}); {remedy}")
    if meta.get("sha256") != digest(arrays):
        raise error_cls(f"{path}: checksum mismatch, the {what} is damaged; {remedy}")
    return arrays, meta
