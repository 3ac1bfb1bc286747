"""Checksums that say whether a rebuilt dataset is the same dataset.

What is hashed (sha256, hex):

``texts``     the source texts (debian-384) or the source file (glove), in split order
``split``     the ids of the query rows and of the base rows, as little-endian int64
``vectors``   base then query vectors as little-endian float32 — exact for glove-50 and
              random-128; for debian-384 it is informational, since embeddings are not
              bit-identical across CPUs and BLAS builds
``neighbors`` the ground-truth ids (nq x 100, little-endian int32)

``neighbors`` also has a per-query form (``neighbors_per_query``: the first 12 hex digits of
each query's row hash) so that a mismatch can be reported as "N of 1000 queries differ" —
a handful is what float rounding across CPUs can do to near-ties on debian-384; many means a
different dataset.

A reference copy of each dataset's checksums is committed in ``datasets/checksums/NAME.json``;
the build compares against it, and ``python -m embedlite_datasets verify NAME`` recomputes them
from the cached files.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

PER_QUERY_DIGITS = 12


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def sha256_texts(texts: Iterable[str]) -> str:
    """Hash of a sequence of texts: each UTF-8 encoded and terminated by a NUL byte."""
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def sha256_ids(*arrays: np.ndarray) -> str:
    """Hash of integer arrays as little-endian int64, each preceded by its shape."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        h.update(repr(tuple(a.shape)).encode())
        h.update(np.ascontiguousarray(a, dtype="<i8").tobytes())
    return h.hexdigest()


def sha256_f32(*arrays: np.ndarray, block_rows: int = 65536) -> str:
    """Hash of float arrays as little-endian float32, each preceded by its shape."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(repr(tuple(a.shape)).encode())
        for i in range(0, a.shape[0], block_rows):
            h.update(np.ascontiguousarray(a[i:i + block_rows], dtype="<f4").tobytes())
    return h.hexdigest()


def neighbors_digest(neighbors: np.ndarray) -> tuple[str, list[str]]:
    """Whole-array hash of ground-truth ids and the per-query short hashes."""
    nb = np.ascontiguousarray(neighbors, dtype="<i4")
    per = [hashlib.sha256(row.tobytes()).hexdigest()[:PER_QUERY_DIGITS] for row in nb]
    h = hashlib.sha256(repr(tuple(nb.shape)).encode())
    h.update(nb.tobytes())
    return h.hexdigest(), per


def compare(actual: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Differences between two checksum dicts, as human-readable lines (empty = same).

    Keys missing on either side are not compared. ``vectors`` is compared only when
    ``expected`` marks it exact (``vectors_exact``).
    """
    problems = []
    for key in ("source", "texts", "split", "neighbors"):
        if key in actual and key in expected and actual[key] != expected[key]:
            if key == "neighbors" and "neighbors_per_query" in actual and "neighbors_per_query" in expected:
                a, e = actual["neighbors_per_query"], expected["neighbors_per_query"]
                if len(a) == len(e):
                    diff = sum(1 for x, y in zip(a, e) if x != y)
                    problems.append(f"neighbors: {diff} of {len(a)} queries have a different top-k")
                    continue
            problems.append(f"{key}: {actual[key][:16]}… != expected {expected[key][:16]}…")
    if expected.get("vectors_exact") and "vectors" in actual and "vectors" in expected:
        if actual["vectors"] != expected["vectors"]:
            problems.append(f"vectors: {actual['vectors'][:16]}… != expected {expected['vectors'][:16]}…")
    for key in ("n_base", "n_queries", "dim", "metric"):
        if key in actual and key in expected and actual[key] != expected[key]:
            problems.append(f"{key}: {actual[key]} != expected {expected[key]}")
    return problems


def load_json(path: str | os.PathLike) -> dict[str, Any] | None:
    p = Path(path)
    if not p.exists():
        return None
    with open(p, encoding="utf-8") as f:
        return json.load(f)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, p)
