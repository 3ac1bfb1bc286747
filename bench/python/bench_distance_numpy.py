#!/usr/bin/env python3
"""The distance kernels of `cargo bench --bench distance`, timed with numpy for context
(`make bench-distance` runs both).

For each element type (float32, float64, float16, int8, and 1-bit codes; numpy has no bfloat16),
metric (cos, l2, l2sq, dot; hamming for bits) and dimension (128, 384, 768, 1536):

* batched: one query against a block of `--block` stored vectors in one vectorised expression
  (`M @ q`, `((M - q) ** 2).sum(1)`, ...), nanoseconds per vector pair — numpy at its best;
* single: one pair per call, as a per-row SQL function would call it — mostly Python overhead.

Seeded random vectors; prints a table (ns per pair).
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import numpy as np

DIMS = (128, 384, 768, 1536)
METRICS = ("cos", "l2", "l2sq", "dot")
Array = np.ndarray


def batched(metric: str, acc: type) -> Callable[[Array, Array], Array]:
    """Distances from q to every row of m, accumulated in `acc` (as the SIMD kernels widen)."""

    def f(m: Array, q: Array) -> Array:
        mm, qq = m.astype(acc, copy=False), q.astype(acc, copy=False)
        if metric == "dot":
            return -(mm @ qq)
        if metric in ("l2", "l2sq"):
            d = mm - qq
            s = np.einsum("ij,ij->i", d, d)
            return np.sqrt(s) if metric == "l2" else s
        dots = mm @ qq
        norms = np.sqrt(np.einsum("ij,ij->i", mm, mm).astype(np.float64) * float(qq @ qq))
        return 1 - dots / np.where(norms == 0, 1, norms)

    return f


def single(metric: str, acc: type) -> Callable[[Array, Array], float]:
    def f(a: Array, b: Array) -> float:
        x, y = a.astype(acc, copy=False), b.astype(acc, copy=False)
        if metric == "dot":
            return float(-(x @ y))
        if metric in ("l2", "l2sq"):
            d = x - y
            s = float(d @ d)
            return s**0.5 if metric == "l2" else s
        return float(1 - (x @ y) / np.sqrt(float(x @ x) * float(y @ y)))

    return f


def hamming_batched(m: Array, q: Array) -> Array:
    return np.bitwise_count(m ^ q).sum(axis=1, dtype=np.int64)


def hamming_single(a: Array, b: Array) -> float:
    return float(np.bitwise_count(a ^ b).sum())


def time_ns(fn: Callable[[], object], min_s: float) -> float:
    """Median-of-runs nanoseconds of one call of fn, repeating for at least min_s seconds."""
    fn()
    runs, start = [], time.perf_counter()
    while time.perf_counter() - start < min_s or len(runs) < 3:
        t0 = time.perf_counter_ns()
        fn()
        runs.append(time.perf_counter_ns() - t0)
    return float(np.median(runs))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--block", type=int, default=4096, help="stored vectors per batched call")
    ap.add_argument("--pairs", type=int, default=200, help="pairs per single-call measurement")
    ap.add_argument("--min-seconds", type=float, default=0.05)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    types: list[tuple[str, Callable[[Array], Array], type]] = [
        ("f32", lambda x: x.astype(np.float32), np.float32),
        ("f64", lambda x: x.astype(np.float64), np.float64),
        ("f16", lambda x: x.astype(np.float16), np.float32),  # numpy f16 math is slow: widen
        ("i8", lambda x: np.round(x * 127).astype(np.int8), np.int32),
    ]
    print(f"numpy {np.__version__}; batched = one query vs {args.block} vectors; ns per vector pair\n")
    print(f"{'type':<6} {'metric':<8} {'dims':>6} {'batched ns':>12} {'single ns':>11}")
    for name, make, acc in types:
        for metric in METRICS:
            for dims in DIMS:
                raw = rng.uniform(-1, 1, (args.block + 1, dims))
                data = make(raw)
                q, m = data[0], np.ascontiguousarray(data[1:])
                fb, fs = batched(metric, acc), single(metric, acc)
                b_ns = time_ns(lambda: fb(m, q), args.min_seconds) / args.block
                pairs = m[: args.pairs]
                s_ns = time_ns(lambda: [fs(q, v) for v in pairs], args.min_seconds) / len(pairs)
                print(f"{name:<6} {metric:<8} {dims:>6} {b_ns:>12.1f} {s_ns:>11.1f}", flush=True)
    for dims in DIMS:
        bits = np.packbits(rng.uniform(-1, 1, (args.block + 1, dims)) > 0, axis=1, bitorder="little")
        q, m = bits[0], np.ascontiguousarray(bits[1:])
        b_ns = time_ns(lambda: hamming_batched(m, q), args.min_seconds) / args.block
        pairs = m[: args.pairs]
        s_ns = time_ns(lambda: [hamming_single(q, v) for v in pairs], args.min_seconds) / len(pairs)
        print(f"{'1bit':<6} {'hamming':<8} {dims:>6} {b_ns:>12.1f} {s_ns:>11.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
