"""Data files: NumPy ``.npz`` archives with JSON metadata, never pickles.

Every file the application writes (models, galleries, the face model) is an
``.npz`` whose arrays are read with ``allow_pickle=False`` and whose
``metadata`` entry holds UTF-8 JSON: the format name, its version and a
SHA-256 over the arrays. Writes are atomic (:mod:`.atomic`).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from .atomic import atomic_write_bytes


def digest(arrays: dict) -> str:
    """SHA-256 over the arrays' names, dtypes, shapes and bytes (in name order)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        h.update(name.encode())
        h.update(str(arr.dtype).encode())
        h.update(str(arr.shape).encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def write_data_file(path, arrays: dict, meta: dict, fmt: str, version: int, error_cls) -> Path:
    """Write ``arrays`` and ``meta`` as a data file, atomically.

    Raises
    ------
    error_cls
        The file cannot be written; any previous file at ``path`` is unchanged.
    """
    path = Path(path)
    arrays = {name: np.asarray(a) for name, a in arrays.items()}
    for name, arr in arrays.items():
        if arr.dtype == object:
            raise error_cls(f"{path}: array {name!r} holds Python objects; data files hold numbers only")
    meta = {"format": fmt, "version": version, **meta, "sha256": digest(arrays)}
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except OSError as exc:
        raise error_cls(f"{path}: could not save ({exc.strerror or exc}); any previous file there is unchanged") from None
    return path


def read_data_file(path, fmt: str, version: int, error_cls, what: str, remedy: str):
    """Read a data file written by :func:`write_data_file`.

    Parameters
    ----------
    fmt, version
        The format name and the one version this build reads.
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
    if meta.get("version") != version:
        raise error_cls(f"{path}: {what} format version {meta.get('version')!r} is not supported"
                        f" (this build reads version {version}); {remedy}")
    if meta.get("sha256") != digest(arrays):
        raise error_cls(f"{path}: checksum mismatch, the {what} is damaged; {remedy}")
    return arrays, meta
