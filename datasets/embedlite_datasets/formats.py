"""Readers and writers for the vector file formats ANN users have.

Layouts (all little-endian):

``.fvecs`` / ``.ivecs`` / ``.bvecs`` (TEXMEX: SIFT, GIST, the BIGANN sets)
    one record per vector, ``[int32 d][d x element]``, where the element is float32 (fvecs),
    int32 (ivecs) or uint8 (bvecs). Every record repeats ``d``; a file whose records disagree, or
    whose size is not a multiple of the record size, is rejected.

HDF5, ann-benchmarks layout
    datasets ``train`` (n x d), ``test`` (nq x d), ``neighbors`` (nq x k, int) and
    ``distances`` (nq x k, float); the file attribute ``distance`` names the metric
    (``angular`` = cosine, ``euclidean`` = L2, ``dot``/``ip`` = inner product).

``.npy``
    numpy's own format; loaded memory-mapped.

Bytes from disk are untrusted: every reader checks the header against the file size before it
builds an array, and reports the path and the offending value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

# element dtype of each TEXMEX flavour
_VECS_DTYPES = {
    ".fvecs": np.dtype("<f4"),
    ".ivecs": np.dtype("<i4"),
    ".bvecs": np.dtype("u1"),
}

# ann-benchmarks spells metrics its own way; we use "cosine", "l2", "ip".
_HDF5_METRICS = {
    "angular": "cosine",
    "cosine": "cosine",
    "euclidean": "l2",
    "l2": "l2",
    "dot": "ip",
    "ip": "ip",
    "inner_product": "ip",
}
_HDF5_METRIC_NAMES = {"cosine": "angular", "l2": "euclidean", "ip": "dot"}


class FormatError(ValueError):
    """A file is not what its extension says (wrong size, inconsistent header, missing dataset)."""


def _vecs_dtype(path: Path, kind: str | None) -> np.dtype:
    key = f".{kind}" if kind else path.suffix.lower()
    try:
        return _VECS_DTYPES[key]
    except KeyError:
        raise FormatError(f"{path}: unknown vecs flavour {key!r} (want .fvecs, .ivecs or .bvecs)") from None


def read_vecs(path: str | os.PathLike, kind: str | None = None, *, start: int = 0, count: int | None = None,
              mmap: bool = True) -> np.ndarray:
    """Read rows ``[start, start+count)`` of an ``.fvecs``/``.ivecs``/``.bvecs`` file.

    ``kind`` ("fvecs", "ivecs", "bvecs") overrides the extension. With ``mmap`` the result is a
    view of a read-only memory map (no copy); otherwise an owned array.
    """
    path = Path(path)
    elem = _vecs_dtype(path, kind)
    size = path.stat().st_size
    if size == 0:
        return np.zeros((0, 0), dtype=elem)
    if size < 4:
        raise FormatError(f"{path}: {size} bytes, shorter than one 4-byte dimension header")
    d = int(np.fromfile(path, dtype="<i4", count=1)[0])
    if d <= 0 or d > 1 << 20:
        raise FormatError(f"{path}: dimension header {d} out of range 1..{1 << 20}")
    rec = 4 + d * elem.itemsize
    if size % rec != 0:
        raise FormatError(f"{path}: size {size} is not a multiple of the record size {rec} (d={d})")
    n = size // rec
    if start < 0 or start > n:
        raise FormatError(f"{path}: start {start} outside 0..{n}")
    stop = n if count is None else min(n, start + count)
    rec_dtype = np.dtype([("d", "<i4"), ("v", elem, (d,))])
    if mmap:
        recs = np.memmap(path, dtype=rec_dtype, mode="r", offset=start * rec, shape=(stop - start,))
    else:
        with open(path, "rb") as f:
            f.seek(start * rec)
            recs = np.fromfile(f, dtype=rec_dtype, count=stop - start)
    if recs.shape[0] and not np.all(recs["d"] == d):
        bad = int(np.flatnonzero(recs["d"] != d)[0]) + start
        raise FormatError(f"{path}: record {bad} has dimension {int(recs['d'][bad - start])}, expected {d}")
    return recs["v"]


def write_vecs(path: str | os.PathLike, array: np.ndarray, kind: str | None = None) -> None:
    """Write a 2-d array as ``.fvecs``/``.ivecs``/``.bvecs`` (flavour from ``kind`` or the extension)."""
    path = Path(path)
    elem = _vecs_dtype(path, kind)
    a = np.asarray(array)
    if a.ndim != 2:
        raise ValueError(f"write_vecs wants a 2-d array, got shape {a.shape}")
    if elem.kind == "u" and a.size and (a.min() < 0 or a.max() > 255):
        raise ValueError("bvecs elements must lie in 0..255")
    n, d = a.shape
    rec = np.empty(n, dtype=np.dtype([("d", "<i4"), ("v", elem, (d,))]))
    rec["d"] = d
    rec["v"] = a
    _atomic_write_bytes(path, rec.tobytes())


def read_fvecs(path: str | os.PathLike, **kw: Any) -> np.ndarray:
    return read_vecs(path, "fvecs", **kw)


def read_ivecs(path: str | os.PathLike, **kw: Any) -> np.ndarray:
    return read_vecs(path, "ivecs", **kw)


def read_bvecs(path: str | os.PathLike, **kw: Any) -> np.ndarray:
    return read_vecs(path, "bvecs", **kw)


def write_fvecs(path: str | os.PathLike, array: np.ndarray) -> None:
    write_vecs(path, np.asarray(array, dtype=np.float32), "fvecs")


def write_ivecs(path: str | os.PathLike, array: np.ndarray) -> None:
    write_vecs(path, np.asarray(array, dtype=np.int32), "ivecs")


def write_bvecs(path: str | os.PathLike, array: np.ndarray) -> None:
    write_vecs(path, np.asarray(array), "bvecs")


def read_npy(path: str | os.PathLike, *, mmap: bool = True) -> np.ndarray:
    """Load an ``.npy`` file (memory-mapped, read-only, unless ``mmap=False``)."""
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except ValueError as e:  # numpy says what is wrong with the header
        raise FormatError(f"{path}: {e}") from e


def write_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write an ``.npy`` file atomically (temporary file, then rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)
    os.replace(tmp, path)


def metric_from_hdf5(name: str) -> str:
    try:
        return _HDF5_METRICS[name.lower()]
    except KeyError:
        raise FormatError(f"unknown ann-benchmarks distance {name!r}; known: {sorted(_HDF5_METRICS)}") from None


def read_hdf5(path: str | os.PathLike) -> dict[str, Any]:
    """Read an ann-benchmarks HDF5 file into ``{train, test, neighbors, distances, metric}``.

    ``neighbors``/``distances`` are ``None`` when the file has none (the harness then computes
    the ground truth itself).
    """
    import h5py  # imported here so that the other readers work without it

    out: dict[str, Any] = {}
    with h5py.File(path, "r") as f:
        for key in ("train", "test"):
            if key not in f:
                raise FormatError(f"{path}: no dataset {key!r} (ann-benchmarks layout wants train/test)")
            out[key] = np.asarray(f[key])
        for key in ("neighbors", "distances"):
            out[key] = np.asarray(f[key]) if key in f else None
        dist = f.attrs.get("distance", "euclidean")
        if isinstance(dist, bytes):
            dist = dist.decode()
        out["metric"] = metric_from_hdf5(str(dist))
    train, test = out["train"], out["test"]
    if train.ndim != 2 or test.ndim != 2 or train.shape[1] != test.shape[1]:
        raise FormatError(f"{path}: train {train.shape} and test {test.shape} must be 2-d with equal width")
    nb = out["neighbors"]
    if nb is not None and (nb.ndim != 2 or nb.shape[0] != test.shape[0]):
        raise FormatError(f"{path}: neighbors {nb.shape} do not match {test.shape[0]} test vectors")
    if nb is not None and nb.size and (nb.min() < 0 or nb.max() >= train.shape[0]):
        raise FormatError(f"{path}: neighbor ids outside 0..{train.shape[0] - 1}")
    return out


def write_hdf5(path: str | os.PathLike, train: np.ndarray, test: np.ndarray, metric: str,
               neighbors: np.ndarray | None = None, distances: np.ndarray | None = None) -> None:
    """Write an ann-benchmarks HDF5 file (``metric`` in our spelling: cosine, l2, ip)."""
    import h5py

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with h5py.File(tmp, "w") as f:
        f.attrs["distance"] = _HDF5_METRIC_NAMES[metric]
        f.attrs["point_type"] = "float"
        f.create_dataset("train", data=np.asarray(train, dtype=np.float32))
        f.create_dataset("test", data=np.asarray(test, dtype=np.float32))
        if neighbors is not None:
            f.create_dataset("neighbors", data=np.asarray(neighbors, dtype=np.int32))
        if distances is not None:
            f.create_dataset("distances", data=np.asarray(distances, dtype=np.float32))
    os.replace(tmp, path)


def read_vectors(path: str | os.PathLike, **kw: Any) -> np.ndarray:
    """Read one matrix from ``.fvecs``/``.ivecs``/``.bvecs``/``.npy`` by extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _VECS_DTYPES:
        return read_vecs(path, **kw)
    if suffix == ".npy":
        return read_npy(path, **kw)
    raise FormatError(f"{path}: unknown vector file extension {suffix!r}")


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
