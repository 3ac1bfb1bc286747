"""Exact k-nearest-neighbour ground truth by brute force (blocked matrix products).

Two phases, so that the answer is exact and does not depend on float32 rounding:

1. *candidates*: for a block of queries, score every base block in float32 with one matrix
   product and keep the best ``k + margin`` per query (``argpartition``);
2. *refine*: recompute the distances of those candidates in float64 from the raw vectors and
   sort by ``(distance, id)`` — ties go to the smaller id, so the result is deterministic.

The margin absorbs float32 error in phase 1 (an item just outside the float32 top-k can be
inside the exact top-k only if its float32 score is within rounding of the k-th).

Distances follow ann-benchmarks' conventions: ``cosine`` = 1 - cos(q, x); ``l2`` = Euclidean
distance (not squared); ``ip`` = -<q, x> (smaller is nearer).
"""

from __future__ import annotations

import numpy as np

METRICS = ("cosine", "l2", "ip")


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; known: {METRICS}")


def normalize_rows(x: np.ndarray, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """Rows scaled to unit L2 norm; zero rows stay zero."""
    x = np.asarray(x, dtype=dtype)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1
    return x / n


def distances(queries: np.ndarray, points: np.ndarray, metric: str) -> np.ndarray:
    """Exact distances (float64) between each query row and each point row: shape (nq, n)."""
    _check_metric(metric)
    q = np.asarray(queries, dtype=np.float64)
    x = np.asarray(points, dtype=np.float64)
    if metric == "cosine":
        return 1.0 - normalize_rows(q, np.float64) @ normalize_rows(x, np.float64).T
    if metric == "ip":
        return -(q @ x.T)
    d2 = (q * q).sum(1)[:, None] - 2 * q @ x.T + (x * x).sum(1)[None, :]
    return np.sqrt(np.maximum(d2, 0.0))


def pair_distances(queries: np.ndarray, points: np.ndarray, metric: str) -> np.ndarray:
    """Exact float64 distances between ``queries[i]`` and each of ``points[i, j]``.

    ``queries`` is (nq, d), ``points`` is (nq, m, d); the result is (nq, m).
    """
    _check_metric(metric)
    q = np.asarray(queries, dtype=np.float64)[:, None, :]
    x = np.asarray(points, dtype=np.float64)
    if metric == "cosine":
        qn = np.linalg.norm(q, axis=2)
        xn = np.linalg.norm(x, axis=2)
        qn[qn == 0] = 1
        xn[xn == 0] = 1
        return 1.0 - (q * x).sum(2) / (qn * xn)
    if metric == "ip":
        return -(q * x).sum(2)
    return np.sqrt(((q - x) ** 2).sum(2))


def exact_knn(base: np.ndarray, queries: np.ndarray, k: int = 100, metric: str = "cosine", *,
              query_block: int = 256, base_block: int = 65536, margin: int = 32,
              progress: bool = False, desc: str = "ground truth") -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` neighbours of each query among ``base``.

    Returns ``(ids, dists)``: int32 (nq, k) indices into ``base`` and float32 (nq, k) distances,
    nearest first, ties broken by the smaller id. ``k`` is capped at ``len(base)``.
    """
    _check_metric(metric)
    base = np.asarray(base)
    queries = np.asarray(queries)
    if base.ndim != 2 or queries.ndim != 2 or base.shape[1] != queries.shape[1]:
        raise ValueError(f"base {base.shape} and queries {queries.shape} must be 2-d with equal width")
    n, nq = base.shape[0], queries.shape[0]
    k = min(k, n)
    keep = min(n, k + margin)
    out_ids = np.empty((nq, k), dtype=np.int32)
    out_d = np.empty((nq, k), dtype=np.float32)
    if nq == 0 or k == 0:
        return out_ids, out_d

    # per-base-block norms are computed once, not once per query block
    blocks = []
    for b0 in range(0, n, base_block):
        xb = np.asarray(base[b0:b0 + base_block], dtype=np.float32)
        if metric == "cosine":
            blocks.append((b0, normalize_rows(xb), None))
        elif metric == "l2":
            blocks.append((b0, xb, (xb.astype(np.float64) ** 2).sum(1).astype(np.float32)))
        else:
            blocks.append((b0, xb, None))

    bar = _progress(total=nq, desc=desc, enabled=progress)
    for q0 in range(0, nq, query_block):
        qb = np.asarray(queries[q0:q0 + query_block], dtype=np.float32)
        if metric == "cosine":
            qb = normalize_rows(qb)
        cand_ids = []
        cand_score = []
        for b0, xb, xnorm in blocks:
            s = qb @ xb.T  # larger is nearer for all three after the sign fix below
            if metric == "l2":
                s = 2 * s - xnorm[None, :]  # -(|x|^2 - 2<q,x>): drops |q|^2, same order
            m = min(keep, s.shape[1])
            part = np.argpartition(-s, m - 1, axis=1)[:, :m]
            cand_ids.append(part + b0)
            cand_score.append(np.take_along_axis(s, part, axis=1))
        ids = np.concatenate(cand_ids, axis=1)
        score = np.concatenate(cand_score, axis=1)
        if ids.shape[1] > keep:
            part = np.argpartition(-score, keep - 1, axis=1)[:, :keep]
            ids = np.take_along_axis(ids, part, axis=1)
        # refine in float64 from the raw vectors
        exact = pair_distances(queries[q0:q0 + query_block], base[np.sort(ids, axis=1)], metric)
        ids = np.sort(ids, axis=1)
        order = np.lexsort((ids, exact), axis=1)[:, :k]  # by distance, then id
        out_ids[q0:q0 + len(qb)] = np.take_along_axis(ids, order, axis=1)
        out_d[q0:q0 + len(qb)] = np.take_along_axis(exact, order, axis=1)
        bar.update(len(qb))
    bar.close()
    return out_ids, out_d


def naive_knn(base: np.ndarray, queries: np.ndarray, k: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """The obvious O(n * nq) reference: full float64 distance matrix, stable sort. For tests."""
    d = distances(queries, base, metric)
    ids = np.argsort(d, axis=1, kind="stable")[:, :k]
    return ids.astype(np.int32), np.take_along_axis(d, ids, axis=1).astype(np.float32)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, desc: str, enabled: bool):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="q", dynamic_ncols=True)
