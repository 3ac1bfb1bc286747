"""One system in its own process: builds it, then answers the driver's measurement requests.

Why a process per system: peak memory (``ru_maxrss``) is then the system's own, a crash (a
segfault in a native library) costs one system and not the run, and one system's threads,
allocator and caches do not colour another's numbers. All workers stay alive during the query
phase so that the driver can interleave them; an idle worker uses no CPU.

Protocol (over a ``multiprocessing`` pipe, dicts both ways): ``init``, ``build``, ``search``,
``batch``, ``close``; every reply has ``ok``; a failure carries ``error`` (the traceback).
"""

from __future__ import annotations

import gc
import os
import resource
import time
import traceback
from importlib import metadata
from pathlib import Path
import numpy as np


def rss_bytes() -> int:
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except ImportError:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    """Peak resident memory of this process: ``VmHWM`` from /proc (Linux).

    Not ``getrusage().ru_maxrss``: Linux carries ``ru_maxrss`` across ``execve``, so a spawned
    worker would inherit the driver's peak at the moment of the fork. ``VmHWM`` belongs to the
    address space, which ``execve`` replaces."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024  # KiB on Linux


def package_versions(names: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = "not installed"
    return out


def insert_rates(samples: list[tuple[float, int]], n: int) -> list[float | None] | None:
    """Vectors/s over the first and the last tenth of the build, from ``(seconds, done)`` progress
    samples that start with ``(0, 0)``: a falling rate means inserts slow down as the index grows."""
    if n < 10 or len(samples) < 3:
        return None

    def rate(a: tuple[float, int], b: tuple[float, int]) -> float | None:
        return (b[1] - a[1]) / (b[0] - a[0]) if b[0] > a[0] and b[1] > a[1] else None

    first_end = next(s for s in samples if s[1] >= n // 10 or s is samples[-1])
    last_start = [s for s in samples if s[1] <= n - n // 10][-1]
    return [rate(samples[0], first_end), rate(last_start, samples[-1])]


def load_vectors(dataset: str, cache: str | None, limit: int | None, n_queries: int | None):
    """The base and query matrices the driver measures (the driver holds the ground truth)."""
    if dataset.startswith("synthetic:"):
        from .toy import synthetic

        ds = synthetic(dataset)
        base, queries, metric = ds["base"], ds["queries"], ds["metric"]
    else:
        from embedlite_datasets import load

        ds = load(dataset, Path(cache) if cache else None)
        base, queries, metric = ds.base, ds.queries, ds.metric
    if limit is not None:
        base = base[:limit]
    if n_queries is not None:
        queries = queries[:n_queries]
    return np.ascontiguousarray(base, dtype=np.float32), np.ascontiguousarray(queries, dtype=np.float32), metric


def serve(conn, progress_value) -> None:
    """The worker's main loop (the target of the worker process)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    system = None
    queries = None
    k = 10
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        op = msg.get("op")
        try:
            if op == "init":
                from .systems import Unavailable, get_system

                k = int(msg["k"])
                base, queries, metric = load_vectors(msg["dataset"], msg.get("cache"), msg.get("limit"),
                                                     msg.get("n_queries"))
                cls = get_system(msg["system"])
                workdir = Path(msg["workdir"])
                workdir.mkdir(parents=True, exist_ok=True)
                system = cls(base.shape[1], metric, workdir)
                try:
                    system.check()
                except Unavailable as e:
                    conn.send({"ok": False, "skip": str(e)})
                    continue
                versions = package_versions(cls.packages)
                try:
                    versions.update(system.extra_versions())
                except Exception as e:  # a version probe must not sink the run
                    versions["extra_versions_error"] = repr(e)
                system.prepare(base)
                del base
                gc.collect()
                conn.send({"ok": True, "versions": versions, "describe": system.describe(),
                           "params": list(system.params), "param_name": system.param_name,
                           "exact": system.exact, "batch_mode": system.batch_mode, "pid": os.getpid(),
                           "rss_before_build": rss_bytes(), "peak_rss_before_build": peak_rss_bytes()})
            elif op == "build":
                n = len(system.base)
                samples: list[tuple[float, int]] = [(0.0, 0)]

                def progress(done: int) -> None:
                    progress_value.value = done
                    samples.append((time.perf_counter() - t0, done))

                t0, c0 = time.perf_counter(), time.process_time()
                system.build(progress)
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                gc.collect()
                disk = system.disk_bytes()
                conn.send({"ok": True, "n": n, "build_wall_s": wall, "build_cpu_s": cpu,
                           "vectors_per_s": n / wall if wall > 0 else None, "disk_bytes": disk,
                           "rate_first_last_10pct": insert_rates(samples, n),
                           "progress": samples[:: max(1, len(samples) // 100)],
                           "rss_after_build": rss_bytes(), "peak_rss_after_build": peak_rss_bytes()})
            elif op == "search":
                system.set_param(msg["param"])
                nq = len(queries) if msg.get("n") is None else min(len(queries), int(msg["n"]))
                budget = msg.get("budget_s")
                ids = np.full((nq, k), -1, dtype=np.int64)
                lat = np.zeros(nq, dtype=np.int64)
                done = 0
                t0, c0 = time.perf_counter(), time.process_time()
                for i in range(nq):
                    s = time.perf_counter_ns()
                    ids[i] = system.search(queries[i], k)
                    lat[i] = time.perf_counter_ns() - s
                    done = i + 1
                    if budget is not None and time.perf_counter() - t0 > budget:
                        break
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                conn.send({"ok": True, "ids": ids[:done], "lat_ns": lat[:done], "n": done, "wall_s": wall,
                           "cpu_s": cpu})
            elif op == "batch":
                system.set_param(msg["param"])
                nq = len(queries) if msg.get("n") is None else min(len(queries), int(msg["n"]))
                t0, c0 = time.perf_counter(), time.process_time()
                ids = system.search_batch(queries[:nq], k, int(msg["threads"]))
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                conn.send({"ok": True, "ids": np.asarray(ids), "n": nq, "wall_s": wall, "cpu_s": cpu})
            elif op == "stats":
                conn.send({"ok": True, "rss": rss_bytes(), "peak_rss": peak_rss_bytes()})
            elif op == "close":
                if system is not None:
                    system.close()
                conn.send({"ok": True, "peak_rss": peak_rss_bytes()})
                return
            else:
                conn.send({"ok": False, "error": f"unknown op {op!r}"})
        except Exception:
            conn.send({"ok": False, "error": traceback.format_exc()})
