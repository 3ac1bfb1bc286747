"""Writes a run's results: ``<name>.json`` (everything), ``<name>.md`` (tables), ``<name>.png``
(recall–QPS plot: recall@10 on x, single-thread QPS on a log y axis, one line per system)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        x = float(x)
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def write_json(res: dict[str, Any], path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(_jsonable(res), f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def _mb(b: Any) -> str:
    return "—" if b is None else f"{b / 1e6:,.1f} MB"


def _num(x: Any, fmt: str = ",.0f") -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return format(x, fmt)


def markdown(res: dict[str, Any]) -> str:
    ds, st, m = res["dataset"], res["settings"], res["machine"]
    out = [f"# ANN benchmark: {ds['name']}", ""]
    out.append(f"{ds['n_base']:,} base vectors × {ds['dim']} dims, {ds['metric']}, {ds['n_queries']:,} queries, "
               f"k = {st['k']}. Run {res['started']} → {res['finished']} on {m['cpu']} ({m['cores']} cores); "
               f"load average before {tuple(round(x, 2) for x in m['loadavg_before'])}, "
               f"after {tuple(round(x, 2) for x in m['loadavg_after'])}.")
    out.append(f"Single-thread points are the median of {st['passes']} interleaved passes after a warm-up of "
               f"{st['warmup_queries']} queries per point; one query per call, Python overhead included. "
               + (f"A point stops after {st['point_budget_s']:.0f} s (see the queries column). "
                  if st.get("point_budget_s") else ""))
    if ds.get("checksums"):
        c = ds["checksums"]
        out.append("Dataset checksums (sha256, first 16 hex): "
                   + ", ".join(f"{k} `{str(v)[:16]}`" for k, v in c.items() if isinstance(v, str))
                   + (f"; matches the committed reference: {ds.get('matches_reference')}" if "matches_reference" in ds else "")
                   + ".")
    out += ["", f"**Summary.** {res['summary']['line']}", ""]

    systems = res["systems"]
    out += ["## Build", "",
            "| system | build wall s | build CPU s | vectors/s | first → last 10 % | on disk | peak RSS | RSS before build | settings |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for s in systems:
        if s.get("status") != "ok":
            continue
        b, mem = s.get("build", {}), s.get("memory", {})
        peak = mem.get("peak_rss_final") or mem.get("peak_rss_after_build")
        settings = ", ".join(f"{k}={v}" for k, v in (s.get("settings") or {}).items())
        fl = b.get("rate_first_last_10pct") or [None, None]
        rates = f"{_num(fl[0])} → {_num(fl[1])}" if fl[0] and fl[1] else "—"
        out.append(f"| {s['name']} | {_num(b.get('build_wall_s'), ',.1f')} | {_num(b.get('build_cpu_s'), ',.1f')} | "
                   f"{_num(b.get('vectors_per_s'))} | {rates} | {_mb(b.get('disk_bytes'))} | {_mb(peak)} | "
                   f"{_mb(mem.get('rss_before_build'))} | {settings} |")
    out += ["", f"## Search sweep (single thread, k = {st['k']})", "",
            "| system | parameter | recall@10 | QPS | QPS by CPU time | p50 ms | p99 ms | queries |",
            "|---|---|---:|---:|---:|---:|---:|---:|"]
    for s in systems:
        if s.get("status") != "ok":
            continue
        for p in s.get("points", []):
            param = "exact" if p["param"] is None else f"{s.get('param_name')}={p['param']}"
            spread = f" (±{p['recall_spread']:.3f})" if p.get("recall_spread") else ""
            out.append(f"| {s['name']} | {param} | {p['recall']:.4f}{spread} | {_num(p['qps'])} | {_num(p['qps_cpu'])} | "
                       f"{_num(p['p50_ms'], '.3f')} | {_num(p['p99_ms'], '.3f')} | {p['n_queries']:,} |")
    out += ["", f"## Batch / multi-thread ({st['batch_threads']} threads, at the best point with recall@10 ≥ "
                f"{st['recall_threshold']}, else the highest-recall point)", "",
            "| system | parameter | recall@10 | QPS | QPS by CPU time | how |", "|---|---|---:|---:|---:|---|"]
    for s in systems:
        b = s.get("batch")
        if s.get("status") != "ok" or not b:
            continue
        param = "exact" if b["param"] is None else f"{s.get('param_name')}={b['param']}"
        how = s.get("batch_mode", "")
        out.append(f"| {s['name']} | {param} | {b['recall']:.4f} | {_num(b['qps'])} | {_num(b['qps_cpu'])} | {how} |")
    skipped = [s for s in systems if s.get("status") != "ok"]
    if skipped:
        out += ["", "## Not measured", ""]
        for s in skipped:
            out.append(f"- **{s['name']}** ({s['status']}): {s.get('reason', '').strip().splitlines()[-1] if s.get('reason') else ''}")
    out += ["", "## Versions", "", "| package | version |", "|---|---|"]
    for k, v in sorted(res["versions"].items()):
        out.append(f"| {k} | {v} |")
    out += ["", "Columns: *QPS* = queries / wall seconds of a pass; *QPS by CPU time* = queries / CPU seconds of "
                "the worker process (close to QPS when the machine was quiet); *p50/p99* = per-query wall latency; "
                "*on disk* = index or database file size; *peak RSS* = the worker's maximum resident memory "
                "(includes Python, numpy and the dataset: compare with *RSS before build*).", ""]
    return "\n".join(out)


def write_markdown(res: dict[str, Any], path: Path) -> None:
    path.write_text(markdown(res), encoding="utf-8")


def write_plot(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 6), dpi=110)
    markers = "osD^vP*Xh<>p"
    for i, s in enumerate(res["systems"]):
        pts = [p for p in (s.get("points") or []) if p.get("qps")]
        if s.get("status") != "ok" or not pts:
            continue
        pts = sorted(pts, key=lambda p: p["recall"])
        r = [p["recall"] for p in pts]
        q = [p["qps"] for p in pts]
        style = "--" if s.get("exact") else "-"
        ax.plot(r, q, style, marker=markers[i % len(markers)], label=s["name"], linewidth=1.5, markersize=5)
    ax.set_yscale("log")
    ax.set_xlabel(f"recall@{res['settings']['k']}")
    ax.set_ylabel("queries per second (single thread, log scale)")
    ds = res["dataset"]
    ax.set_title(f"{ds['name']}: {ds['n_base']:,} × {ds['dim']} ({ds['metric']}), {ds['n_queries']:,} queries, "
                 f"{res['machine']['cores']} cores")
    thr = res["settings"]["recall_threshold"]
    ax.axvline(thr, color="grey", linewidth=0.8, linestyle=":")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)


def write_all(res: dict[str, Any], out_dir: Path, name: str) -> dict[str, Path | None]:
    """Write the three files; the plot is left out (``None``) when matplotlib is not installed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path | None] = {"json": out_dir / f"{name}.json", "md": out_dir / f"{name}.md",
                                     "png": out_dir / f"{name}.png"}
    write_json(res, paths["json"])
    write_markdown(res, paths["md"])
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        paths["png"] = None
    else:
        write_plot(res, paths["png"])
    return paths
