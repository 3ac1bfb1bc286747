"""The driver: one worker process per system, builds one at a time, then interleaved passes.

Order of a run:

1. ground truth: the dataset's (or, with ``limit``, recomputed exactly for the slice);
2. ``init`` every worker (a system whose package is missing is skipped here, with the reason);
3. ``build`` the systems one after another (nothing else runs meanwhile), with an optional
   time limit after which the worker is killed and the system reported as skipped;
4. warm-up: every (system, parameter) answers ``warmup`` queries — not measured;
5. ``passes`` measured passes; in each, the systems in a rotated order, and each system its whole
   parameter sweep, every query once, one thread; each point's figures are the median of passes;
6. batch: at each system's best point with recall >= threshold (else its highest-recall point),
   all queries in one call / ``threads`` threads, median of ``passes``;
7. close the workers, collecting peak RSS.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import metrics
from .systems import CPU_COUNT, HIDDEN, SYSTEMS


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


@dataclass
class Options:
    dataset: str
    systems: list[str] = field(default_factory=lambda: [s for s in SYSTEMS if s not in HIDDEN])
    limit: int | None = None
    n_queries: int | None = None
    k: int = 10
    passes: int = 3
    warmup: int = 200
    point_budget_s: float | None = None
    build_timeout_s: float | None = None
    threads: int = CPU_COUNT
    threshold: float = 0.95
    cache: str | None = None
    workdir: str | None = None
    keep_workdir: bool = False
    quiet: bool = False


@dataclass
class Truth:
    name: str
    metric: str
    base: np.ndarray
    queries: np.ndarray
    ids: np.ndarray
    dists: np.ndarray
    info: dict[str, Any]


def ground_truth(opts: Options) -> Truth:
    from embedlite_datasets.groundtruth import exact_knn

    if opts.dataset.startswith("synthetic:"):
        from .toy import synthetic

        s = synthetic(opts.dataset)
        base, queries = s["base"], s["queries"]
        if opts.limit:
            base = base[:opts.limit]
        if opts.n_queries:
            queries = queries[:opts.n_queries]
        ids, d = exact_knn(base, queries, max(opts.k, 10), s["metric"])
        return Truth(opts.dataset, s["metric"], base, queries, ids, d, {"synthetic": opts.dataset})
    from embedlite_datasets import load

    ds = load(opts.dataset, Path(opts.cache) if opts.cache else None, build_missing=True)
    if opts.limit or ds.neighbors is None or ds.distances is None:
        log(f"computing exact ground truth for {ds.name} (limit={opts.limit})")
        ds = ds.subset(opts.limit, opts.n_queries, k=max(opts.k, 10), progress=not opts.quiet)
    elif opts.n_queries:
        ds = ds.subset(None, opts.n_queries)
    man = ds.manifest or {}
    cks = man.get("checksums", {})
    info = {"manifest_name": man.get("name"), "description": man.get("description"),
            "checksums": {k: cks[k] for k in ("texts", "source", "split", "neighbors", "vectors") if k in cks},
            "matches_reference": man.get("matches_reference")}
    return Truth(ds.name, ds.metric, ds.base, ds.queries, np.asarray(ds.neighbors), np.asarray(ds.distances), info)


class Worker:
    def __init__(self, name: str, ctx, workdir: Path):
        self.name = name
        self.conn, child = ctx.Pipe()
        self.progress = ctx.Value("q", 0)
        self.proc = ctx.Process(target=_serve, args=(child, self.progress), name=f"annbench-{name}", daemon=True)
        self.proc.start()
        child.close()
        self.workdir = workdir / name
        self.result: dict[str, Any] = {"name": name, "status": "ok"}

    def call(self, msg: dict[str, Any], timeout: float | None = None, on_wait=None) -> dict[str, Any]:
        self.conn.send(msg)
        t0 = time.monotonic()
        while not self.conn.poll(10.0 if timeout is None else min(10.0, max(0.0, timeout - (time.monotonic() - t0)))):
            if not self.proc.is_alive():
                raise WorkerDied(f"worker died (exit code {self.proc.exitcode})")
            if on_wait is not None:
                on_wait(time.monotonic() - t0)
            if timeout is not None and time.monotonic() - t0 >= timeout:
                raise TimeoutError
        try:
            reply = self.conn.recv()
        except EOFError:
            raise WorkerDied(f"worker died (exit code {self.proc.exitcode})") from None
        if not reply.get("ok") and "error" in reply:
            raise WorkerFailed(reply["error"])
        return reply

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)

    def fail(self, status: str, reason: str) -> None:
        self.result["status"] = status
        self.result["reason"] = reason
        self.kill()


class WorkerDied(RuntimeError):
    pass


class WorkerFailed(RuntimeError):
    pass


def _serve(conn, progress) -> None:
    from .worker import serve

    serve(conn, progress)


def run(opts: Options) -> dict[str, Any]:
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    load_before = os.getloadavg()
    truth = ground_truth(opts)
    nq = len(truth.queries)
    log(f"dataset {truth.name}: {len(truth.base):,} x {truth.base.shape[1]} {truth.metric}, {nq} queries, k={opts.k}")
    work_root = Path(opts.workdir) if opts.workdir else Path(tempfile.mkdtemp(prefix="annbench-"))
    work_root.mkdir(parents=True, exist_ok=True)
    ctx = mp.get_context("spawn")
    workers = [Worker(name, ctx, work_root) for name in opts.systems]
    active: list[Worker] = []
    try:
        _init_all(workers, active, truth, opts)
        for w in list(active):
            _build(w, active, opts)
        points = {w.name: {} for w in active}  # name -> param -> list of pass dicts
        _warmup(active, opts)
        for pass_i in range(opts.passes):
            order = active[pass_i % len(active):] + active[:pass_i % len(active)] if active else []
            for w in order:
                if w.result["status"] != "ok":
                    continue
                _sweep(w, points[w.name], truth, opts, pass_i)
        for w in active:
            if w.result["status"] == "ok":
                w.result["points"] = _summarise_points(w, points[w.name])
        for w in active:
            if w.result["status"] == "ok":
                _batch(w, truth, opts)
        for w in active:
            if w.result["status"] == "ok":
                try:
                    r = w.call({"op": "close"}, timeout=60)
                    w.result["memory"]["peak_rss_final"] = r["peak_rss"]
                except Exception as e:  # noqa: BLE001 - the numbers are in already
                    w.result.setdefault("notes", []).append(f"close failed: {e}")
    finally:
        for w in workers:
            w.kill()
        if not opts.keep_workdir and not opts.workdir:
            shutil.rmtree(work_root, ignore_errors=True)
    results = [w.result for w in workers]
    return {
        "dataset": {"name": truth.name, "metric": truth.metric, "n_base": int(len(truth.base)),
                    "dim": int(truth.base.shape[1]), "n_queries": nq, "limit": opts.limit, **truth.info},
        "settings": {"k": opts.k, "passes": opts.passes, "warmup_queries": opts.warmup,
                     "point_budget_s": opts.point_budget_s, "build_timeout_s": opts.build_timeout_s,
                     "batch_threads": opts.threads, "recall_threshold": opts.threshold,
                     "single_thread_queries": "one query per call, one thread, Python overhead included"},
        "machine": _machine(load_before),
        "started": started, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": _versions(results),
        "systems": results,
        "summary": metrics.summary(results, opts.threshold),
    }


def _init_all(workers: list[Worker], active: list[Worker], truth: Truth, opts: Options) -> None:
    for w in workers:
        msg = {"op": "init", "system": w.name, "dataset": opts.dataset, "cache": opts.cache, "limit": opts.limit,
               "n_queries": opts.n_queries, "k": opts.k, "workdir": str(w.workdir)}
        try:
            r = w.call(msg, timeout=600)
        except (WorkerDied, WorkerFailed, TimeoutError) as e:
            w.fail("failed", f"init: {e}")
            log(f"{w.name}: FAILED at init: {e}")
            continue
        if not r["ok"]:
            w.fail("skipped", r["skip"])
            log(f"{w.name}: skipped — {r['skip']}")
            continue
        w.params = r["params"]
        w.result.update(param_name=r["param_name"], exact=r["exact"], batch_mode=r["batch_mode"], settings=r["describe"], versions=r["versions"],
                        memory={"rss_before_build": r["rss_before_build"],
                                "peak_rss_before_build": r["peak_rss_before_build"]})
        active.append(w)


def _build(w: Worker, active: list[Worker], opts: Options) -> None:
    last = [0.0]

    def on_wait(elapsed: float) -> None:
        if elapsed - last[0] >= 30:
            last[0] = elapsed
            log(f"{w.name}: building… {elapsed:.0f} s, {w.progress.value:,} vectors in")

    log(f"{w.name}: build")
    try:
        r = w.call({"op": "build"}, timeout=opts.build_timeout_s, on_wait=on_wait)
    except TimeoutError:
        done = w.progress.value
        w.fail("skipped", f"build did not finish within {opts.build_timeout_s:.0f} s "
                          f"({done:,} vectors inserted by then, {done / opts.build_timeout_s:.0f}/s)")
        log(f"{w.name}: skipped — {w.result['reason']}")
        active.remove(w)
        return
    except (WorkerDied, WorkerFailed) as e:
        w.fail("failed", f"build: {e}")
        log(f"{w.name}: FAILED at build: {e}")
        active.remove(w)
        return
    w.result["build"] = {k: r[k] for k in ("n", "build_wall_s", "build_cpu_s", "vectors_per_s", "disk_bytes",
                                           "rate_first_last_10pct", "progress")}
    w.result["memory"].update(rss_after_build=r["rss_after_build"], peak_rss_after_build=r["peak_rss_after_build"])
    disk = r["disk_bytes"]
    log(f"{w.name}: built in {r['build_wall_s']:.1f} s wall / {r['build_cpu_s']:.1f} s CPU "
        f"({r['vectors_per_s']:,.0f} vectors/s), {(disk or 0) / 1e6:.1f} MB on disk, "
        f"peak RSS {r['peak_rss_after_build'] / 1e6:.0f} MB")


def _warmup(active: list[Worker], opts: Options) -> None:
    if opts.warmup <= 0:
        return
    for w in active:
        if w.result["status"] != "ok":
            continue
        try:
            for p in w.params:
                w.call({"op": "search", "param": p, "n": opts.warmup, "budget_s": opts.point_budget_s})
        except (WorkerDied, WorkerFailed) as e:
            w.fail("failed", f"warm-up: {e}")
            log(f"{w.name}: FAILED at warm-up: {e}")


def _sweep(w: Worker, store: dict, truth: Truth, opts: Options, pass_i: int) -> None:
    for p in w.params:
        try:
            r = w.call({"op": "search", "param": p, "n": None, "budget_s": opts.point_budget_s})
        except (WorkerDied, WorkerFailed) as e:
            w.fail("failed", f"search {w.result.get('param_name')}={p}: {e}")
            log(f"{w.name}: FAILED at search: {e}")
            return
        fig = metrics.pass_figures(r["n"], r["wall_s"], r["cpu_s"], r["lat_ns"])
        fig["recall"] = _recall(r["ids"], truth, opts)
        store.setdefault(_key(p), {"param": p, "passes": []})["passes"].append(fig)
        if not opts.quiet:
            log(f"pass {pass_i + 1}/{opts.passes} {w.name} {w.result.get('param_name') or '-'}={p}: "
                f"recall {fig['recall']:.4f}, {fig['qps']:,.0f} QPS ({fig['qps_cpu']:,.0f} by CPU), "
                f"p50 {fig['p50_ms']:.3f} ms, p99 {fig['p99_ms']:.3f} ms, n={r['n']}")


def _key(p: Any) -> str:
    return repr(p)


def _recall(ids: np.ndarray, truth: Truth, opts: Options) -> float:
    n = ids.shape[0]
    fd = metrics.exact_distances_of(ids[:, :opts.k], truth.base, truth.queries[:n], truth.metric)
    return metrics.recall_at_k(ids, truth.ids[:n], opts.k, found_dists=fd, gt_dists=truth.dists[:n])


def _summarise_points(w: Worker, store: dict) -> list[dict[str, Any]]:
    out = []
    for p in w.params:
        entry = store.get(_key(p))
        if not entry:
            continue
        passes = entry["passes"]
        med = metrics.median_of_passes(passes)
        recalls = [x["recall"] for x in passes]
        out.append({"param": p, "recall": recalls[0], "recall_spread": max(recalls) - min(recalls),
                    "qps": med["qps"], "qps_cpu": med["qps_cpu"], "p50_ms": med["p50_ms"], "p99_ms": med["p99_ms"],
                    "n_queries": int(min(x["n"] for x in passes)), "wall_s": med["wall_s"], "cpu_s": med["cpu_s"],
                    "passes": passes})
    return out


def _batch(w: Worker, truth: Truth, opts: Options) -> None:
    pts = w.result.get("points") or []
    if not pts:
        return
    best = metrics.best_at_recall(pts, opts.threshold) or max(pts, key=lambda p: (p["recall"], p["qps"]))
    n = min(x["n_queries"] for x in pts)  # as many queries as the single-thread passes managed
    runs = []
    ids = None
    try:
        for _ in range(opts.passes):
            r = w.call({"op": "batch", "param": best["param"], "threads": opts.threads, "n": n})
            runs.append(metrics.pass_figures(r["n"], r["wall_s"], r["cpu_s"]))
            ids = r["ids"]
    except (WorkerDied, WorkerFailed) as e:
        w.result.setdefault("notes", []).append(f"batch failed: {e}")
        log(f"{w.name}: batch failed: {e}")
        return
    med = metrics.median_of_passes(runs)
    w.result["batch"] = {"param": best["param"], "threads": opts.threads, "n_queries": n,
                         "recall": _recall(np.asarray(ids), truth, opts), "qps": med["qps"], "qps_cpu": med["qps_cpu"],
                         "wall_s": med["wall_s"], "cpu_s": med["cpu_s"], "passes": runs}
    log(f"{w.name}: batch ({opts.threads} threads) at {w.result.get('param_name') or '-'}={best['param']}: "
        f"{med['qps']:,.0f} QPS, recall {w.result['batch']['recall']:.4f}")


def _machine(load_before) -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        import psutil

        mem = psutil.virtual_memory().total
    except ImportError:
        pass
    return {"cpu": cpu, "cores": CPU_COUNT, "memory_bytes": mem, "python": platform.python_version(),
            "platform": platform.platform(), "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
            "env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS")
                    if k in os.environ}}


def _versions(results: list[dict[str, Any]]) -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version(), "numpy": np.__version__}
    for d in ("psutil", "matplotlib", "h5py"):
        try:
            out[d] = metadata.version(d)
        except metadata.PackageNotFoundError:
            pass
    for r in results:
        for k, v in (r.get("versions") or {}).items():
            out[k] = v
    return out
