"""What the numbers mean, computed in one place (and tested on a toy system with known answers).

recall@k
    For each query, the share of the true top-k (exact, from the dataset's ground truth) among
    the k ids the system returned, averaged over the queries. A returned id outside the true
    top-k still counts when its exact distance is no larger than the k-th true distance (a tie:
    ann-benchmarks does the same); ids repeated or -1 (missing) count once / not at all.
QPS (single thread)
    queries answered / wall-clock seconds of the pass, one query at a time from one thread,
    Python call overhead included (the same for every system). ``qps_cpu`` uses the worker's CPU
    seconds instead: on a shared, noisy machine wall time grows when another process takes the
    core, CPU time much less — the two side by side say how noisy a figure is.
latency p50 / p99
    percentiles of the per-query wall times of the pass, in milliseconds.
Each point is the median over the measured passes (warm-up excluded); recall comes from the
first measured pass, and ``recall_spread`` says whether other passes differed.
"""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np


def recall_at_k(found: np.ndarray, gt_ids: np.ndarray, k: int, *, found_dists: np.ndarray | None = None,
                gt_dists: np.ndarray | None = None, rel_eps: float = 1e-5) -> float:
    """Mean recall@k of ``found`` (nq, >=k ids, -1 = none) against ``gt_ids`` (nq, >=k).

    With ``found_dists`` (exact distances of the found ids) and ``gt_dists``, a found id whose
    distance is within ``rel_eps`` of the k-th true distance counts as a hit (ties)."""
    found = np.asarray(found)[:, :k]
    gt = np.asarray(gt_ids)[:, :k]
    if found.shape[0] != gt.shape[0]:
        raise ValueError(f"{found.shape[0]} result rows for {gt.shape[0]} queries")
    if found.shape[0] == 0:
        return float("nan")
    hits = 0
    for i in range(found.shape[0]):
        truth = set(gt[i].tolist())
        seen: set[int] = set()
        for j, x in enumerate(found[i].tolist()):
            if x < 0 or x in seen:
                continue
            seen.add(x)
            if x in truth:
                hits += 1
            elif found_dists is not None and gt_dists is not None:
                kth = float(gt_dists[i, k - 1])
                if float(found_dists[i, j]) <= kth + rel_eps * max(1.0, abs(kth)):
                    hits += 1
    return hits / (found.shape[0] * k)


def exact_distances_of(found: np.ndarray, base: np.ndarray, queries: np.ndarray, metric: str) -> np.ndarray:
    """float64 distances of each found id to its query (inf for -1)."""
    from embedlite_datasets.groundtruth import pair_distances

    found = np.asarray(found)
    safe = np.where(found < 0, 0, found)
    safe = np.minimum(safe, len(base) - 1)
    d = pair_distances(queries[:found.shape[0]], np.asarray(base)[safe], metric)
    d[(found < 0) | (found >= len(base))] = np.inf
    return d


def latency_stats(lat_ns: np.ndarray) -> dict[str, float]:
    lat = np.asarray(lat_ns, dtype=np.float64) / 1e6
    if lat.size == 0:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "mean_ms": float("nan")}
    return {"p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99)),
            "mean_ms": float(lat.mean())}


def pass_figures(n: int, wall_s: float, cpu_s: float, lat_ns: np.ndarray | None = None) -> dict[str, float]:
    """The figures of one measured pass."""
    out = {"n": n, "wall_s": wall_s, "cpu_s": cpu_s,
           "qps": n / wall_s if wall_s > 0 else float("nan"),
           "qps_cpu": n / cpu_s if cpu_s > 0 else float("nan")}
    if lat_ns is not None:
        out.update(latency_stats(lat_ns))
    return out


def median_of_passes(passes: list[dict[str, float]]) -> dict[str, float]:
    """Field-wise median over passes (each figure separately)."""
    if not passes:
        return {}
    keys = [k for k in passes[0] if isinstance(passes[0][k], (int, float))]
    return {k: float(statistics.median(p[k] for p in passes)) for k in keys}


def best_at_recall(points: list[dict[str, Any]], threshold: float) -> dict[str, Any] | None:
    """The point with the highest single-thread QPS among those with recall >= threshold."""
    ok = [p for p in points if p.get("recall") is not None and p["recall"] >= threshold and p.get("qps")]
    return max(ok, key=lambda p: p["qps"]) if ok else None


def summary(systems: list[dict[str, Any]], threshold: float = 0.95, reference: str = "embedlite",
            fallback_reference: str = "hnswlib") -> dict[str, Any]:
    """For recall >= threshold, each system's best single-thread QPS and its ratio to
    ``reference`` (embedlite) — and to ``fallback_reference`` for context."""
    best = {}
    for s in systems:
        if s.get("status") != "ok":
            continue
        b = best_at_recall(s.get("points", []), threshold)
        best[s["name"]] = b
    ref = best.get(reference)
    fb = best.get(fallback_reference)
    rows = []
    for name, b in best.items():
        rows.append({
            "system": name,
            "best_qps": b["qps"] if b else None,
            "param": b["param"] if b else None,
            "recall": b["recall"] if b else None,
            "ratio_to_" + reference: (b["qps"] / ref["qps"]) if (b and ref) else None,
            "ratio_to_" + fallback_reference: (b["qps"] / fb["qps"]) if (b and fb) else None,
        })
    rows.sort(key=lambda r: -(r["best_qps"] or 0))
    absent = [s for s in systems if s["name"] == reference and s.get("status") != "ok"]
    note = None
    if ref is None:
        why = "not run"
        if absent and absent[0].get("reason"):
            lines = [x.strip() for x in str(absent[0]["reason"]).splitlines() if x.strip()]
            why = f"{absent[0].get('status')}: {lines[0].split(':')[0]}: {lines[-1]}" if len(lines) > 1 else lines[0]
        note = f"{reference} has no point with recall@10 >= {threshold}: {why}"
    return {"threshold": threshold, "reference": reference, "reference_note": note, "rows": rows,
            "line": summary_line(rows, threshold, reference, fallback_reference, note)}


def _ratio(x: float) -> str:
    return f"{x:.2f}x" if x >= 0.1 else f"{x:.2g}x"


def summary_line(rows: list[dict[str, Any]], threshold: float, reference: str, fallback: str,
                 note: str | None) -> str:
    parts = []
    for r in rows:
        if r["best_qps"] is None:
            parts.append(f"{r['system']} —")
            continue
        ratio = r.get("ratio_to_" + reference)
        rtxt = f"{_ratio(ratio)} {reference}" if ratio is not None else f"{reference} n/a"
        fr = r.get("ratio_to_" + fallback)
        ftxt = f", {_ratio(fr)} {fallback}" if fr is not None and r["system"] != fallback else ""
        parts.append(f"{r['system']} {r['best_qps']:,.0f} QPS ({rtxt}{ftxt})")
    head = f"recall@10 >= {threshold}: best single-thread QPS — "
    tail = f" [{note}]" if note else ""
    return head + "; ".join(parts) + tail
