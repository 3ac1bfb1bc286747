#!/usr/bin/env python3
"""Brute-force vector search in SQL, side by side in one run (`make bench-vector-sql`).

    SELECT rowid FROM t ORDER BY vector_distance_cos(emb, ?) LIMIT 10

over 100k x 384-d float32 rows (the debian-384 dataset if `make datasets` built it, else seeded
random vectors), with the query vector as a parameter (its float32 bytes), through each system's
Python package — the user's path:

* embedlite (this repo's package; `F32_BLOB(384)` column, rows from `insert_vectors`);
* libsql (PyPI; the same SQL, `F32_BLOB(384)` column);
* sqlite-vec (PyPI) loaded into apsw: its brute-force `vec_distance_cosine(emb, ?)` over a plain
  BLOB column, and its `vec0` virtual table (`WHERE emb MATCH ? AND k = 10`, also exhaustive);
* pyturso (PyPI; the same SQL) — given `--turso-budget` seconds, it may run fewer queries.

Each system gets its own database file in a temporary directory, filled in one transaction, and
answers `--queries` queries after one warm-up query. Every answer is checked against numpy's exact
top-10 (recall@10), so a fast wrong answer does not count. QPS ratios are embedlite / peer (above
1 means embedlite is faster). Results go to bench/results/vector_sql.md and .json.

`--profile` adds embedlite-vs-libSQL timings of simpler statements over the same table, which split
a query's time into scan, blob reading, distance and sort.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
SQL = "SELECT rowid FROM t ORDER BY vector_distance_cos(emb, ?) LIMIT {k}"


def load_data(rows: int, queries: int, dims: int, source: str, seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(base, queries, description): debian-384 from datasets/cache if asked for and present."""
    if source in ("auto", "debian-384"):
        sys.path.insert(0, str(ROOT / "datasets"))
        try:
            from embedlite_datasets.registry import load

            ds = load("debian-384")
            base = np.ascontiguousarray(ds.base[:rows], dtype=np.float32)
            q = np.ascontiguousarray(ds.queries[:queries], dtype=np.float32)
            if len(base) == rows and base.shape[1] == dims:
                return base, q, f"debian-384 (MiniLM embeddings of Debian package texts), {rows} x {dims}"
        except (ImportError, FileNotFoundError, OSError) as e:
            if source == "debian-384":
                raise
            print(f"[bench] debian-384 not available ({e}); using random vectors", file=sys.stderr)
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((rows, dims), dtype=np.float32)
    q = rng.standard_normal((queries, dims), dtype=np.float32)
    return base, q, f"random normal float32 (seed {seed}), {rows} x {dims}"


def exact_top_k(base: np.ndarray, queries: np.ndarray, k: int) -> list[list[int]]:
    """Rowids (1-based) of the k nearest rows by cosine distance, nearest first."""
    b = base.astype(np.float64)
    b /= np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-300)
    out = []
    for q in queries.astype(np.float64):
        sims = b @ (q / max(float(np.linalg.norm(q)), 1e-300))
        top = np.argpartition(-sims, k)[:k]
        out.append([int(i) + 1 for i in top[np.argsort(-sims[top])]])
    return out


class System:
    """One system under test: how to fill its table and how to run one query."""

    def __init__(self, name: str, fill: Callable[[str, np.ndarray], Any],
                 query: Callable[[Any, bytes, int], list[int]], note: str) -> None:
        self.name, self.fill, self.query, self.note = name, fill, query, note


def embedlite_system() -> Optional[System]:
    import embedlite

    def fill(path: str, base: np.ndarray) -> Any:
        con = embedlite.connect(path)
        con.execute(f"CREATE TABLE t(emb F32_BLOB({base.shape[1]}))")
        with con:
            con.insert_vectors("t", "emb", base, ids=range(1, len(base) + 1))
        return con

    def query(con: Any, q: bytes, k: int) -> list[int]:
        return [r[0] for r in con.execute(SQL.format(k=k), (q,)).fetchall()]

    return System("embedlite", fill, query, "vector_distance_cos, F32_BLOB column")


def dbapi_system(name: str, module: str, note: str) -> Optional[System]:
    """libsql and pyturso: the same SQL as embedlite through their DB-API."""
    try:
        mod = __import__(module)
    except ImportError:
        return None

    def fill(path: str, base: np.ndarray) -> Any:
        con = mod.connect(path)
        con.execute(f"CREATE TABLE t(emb F32_BLOB({base.shape[1]}))")
        con.executemany("INSERT INTO t(rowid, emb) VALUES (?, ?)",
                        [(i + 1, base[i].tobytes()) for i in range(len(base))])  # libsql: a list
        con.commit()
        return con

    def query(con: Any, q: bytes, k: int) -> list[int]:
        return [r[0] for r in con.execute(SQL.format(k=k), (q,)).fetchall()]

    return System(name, fill, query, note)


def sqlite_vec_systems() -> list[System]:
    try:
        import apsw
        import sqlite_vec
    except ImportError:
        return []

    def connect(path: str) -> Any:
        con = apsw.Connection(path)
        con.enable_load_extension(True)
        con.load_extension(sqlite_vec.loadable_path())
        return con

    def fill_plain(path: str, base: np.ndarray) -> Any:
        con = connect(path)
        with con:
            con.execute("CREATE TABLE t(emb BLOB)")
            con.executemany("INSERT INTO t(rowid, emb) VALUES (?, ?)",
                            ((i + 1, base[i].tobytes()) for i in range(len(base))))
        return con

    def query_plain(con: Any, q: bytes, k: int) -> list[int]:
        sql = f"SELECT rowid FROM t ORDER BY vec_distance_cosine(emb, ?) LIMIT {k}"
        return [r[0] for r in con.execute(sql, (q,))]

    def fill_vec0(path: str, base: np.ndarray) -> Any:
        con = connect(path)
        with con:
            con.execute(f"CREATE VIRTUAL TABLE v USING vec0(emb float[{base.shape[1]}] distance_metric=cosine)")
            con.executemany("INSERT INTO v(rowid, emb) VALUES (?, ?)",
                            ((i + 1, base[i].tobytes()) for i in range(len(base))))
        return con

    def query_vec0(con: Any, q: bytes, k: int) -> list[int]:
        return [r[0] for r in con.execute(f"SELECT rowid FROM v WHERE emb MATCH ? AND k = {k}", (q,))]

    return [
        System("sqlite-vec", fill_plain, query_plain, "apsw, ORDER BY vec_distance_cosine(emb, ?) LIMIT k"),
        System("sqlite-vec vec0", fill_vec0, query_vec0, "apsw, vec0 table, WHERE emb MATCH ? AND k = k"),
    ]


def recall(got: list[int], want: list[int]) -> float:
    return len(set(got) & set(want)) / len(want)


def run_system(sys_: System, base: np.ndarray, queries: np.ndarray, truth: list[list[int]], k: int,
               tmp: Path, budget_s: float) -> dict[str, Any]:
    path = str(tmp / f"{sys_.name.replace(' ', '_')}.db")
    t0 = time.perf_counter()
    con = sys_.fill(path, base)
    fill_s = time.perf_counter() - t0
    qbytes = [q.tobytes() for q in queries]
    t0 = time.perf_counter()
    sys_.query(con, qbytes[0], k)  # warm-up: pages into the caches
    warm_s = time.perf_counter() - t0
    times, recalls = [], []
    for qb, want in zip(qbytes, truth):
        t0 = time.perf_counter()
        got = sys_.query(con, qb, k)
        times.append(time.perf_counter() - t0)
        recalls.append(recall(got, want))
        if sum(times) > budget_s:
            break
    return {
        "system": sys_.name, "note": sys_.note, "fill_s": fill_s, "warmup_s": warm_s,
        "queries": len(times), "qps": len(times) / sum(times), "median_ms": statistics.median(times) * 1e3,
        "recall": float(np.mean(recalls)), "file_mb": os.path.getsize(path) / 2**20, "con": con,
    }


def time_statement(con: Any, sql: str, params: tuple[Any, ...], repeat: int) -> float:
    """Median milliseconds of one statement (all rows fetched)."""
    con.execute(sql, params).fetchall()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        con.execute(sql, params).fetchall()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e3


PROFILE = [
    ("SELECT count(*) FROM t", "scan only (no column read)"),
    ("SELECT count(emb) FROM t", "scan + read each blob"),
    ("SELECT sum(length(emb)) FROM t", "scan + blob + a function call"),
    ("SELECT max(vector_distance_cos(emb, ?)) FROM t", "scan + blob + distance, no sort"),
    ("SELECT rowid FROM t ORDER BY length(emb) LIMIT 10", "scan + blob + sort / top-k, no distance"),
    ("SELECT rowid FROM t ORDER BY vector_distance_cos(emb, ?) LIMIT 10", "the benchmark query"),
    ("SELECT rowid FROM t ORDER BY vector_distance_cos(emb, ?)", "the same without LIMIT: full sort"),
]


def profile(results: dict[str, dict[str, Any]], q: bytes, repeat: int) -> list[dict[str, Any]]:
    rows = []
    for sql, what in PROFILE:
        row: dict[str, Any] = {"sql": sql, "what": what}
        params = (q,) if "?" in sql else ()
        for name in ("embedlite", "libsql"):
            if name in results:
                row[name] = time_statement(results[name]["con"], sql, params, repeat)
        rows.append(row)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--dims", type=int, default=384)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--data", choices=["auto", "random", "debian-384"], default="auto")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--systems", default="embedlite,libsql,sqlite-vec,sqlite-vec vec0,pyturso")
    ap.add_argument("--budget", type=float, default=60.0, help="seconds of queries per system at most")
    ap.add_argument("--turso-budget", type=float, default=30.0)
    ap.add_argument("--profile", action="store_true", help="time simpler statements (embedlite, libsql)")
    ap.add_argument("--out", type=Path, default=RESULTS / "vector_sql")
    args = ap.parse_args()

    base, queries, desc = load_data(args.rows, args.queries, args.dims, args.data, args.seed)
    print(f"data: {desc}; {len(queries)} queries, k = {args.k}", flush=True)
    truth = exact_top_k(base, queries, args.k)

    candidates: list[Optional[System]] = [
        embedlite_system(),
        dbapi_system("libsql", "libsql", "ORDER BY vector_distance_cos(emb, ?) LIMIT k, F32_BLOB"),
        *sqlite_vec_systems(),
        dbapi_system("pyturso", "turso", "ORDER BY vector_distance_cos(emb, ?) LIMIT k"),
    ]
    wanted = [s.strip() for s in args.systems.split(",")]
    systems = [s for s in candidates if s is not None and s.name in wanted]
    missing = [w for w in wanted if w not in {s.name for s in systems}]
    if missing:
        print(f"not installed, skipped: {', '.join(missing)}", flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="bench-vector-sql-"))
    results: dict[str, dict[str, Any]] = {}
    try:
        for s in systems:
            budget = args.turso_budget if s.name == "pyturso" else args.budget
            print(f"[{s.name}] filling {len(base)} rows ...", flush=True)
            r = run_system(s, base, queries, truth, args.k, tmp, budget)
            results[s.name] = r
            print(f"[{s.name}] fill {r['fill_s']:.1f}s, {r['queries']} queries, {r['qps']:.2f} QPS, "
                  f"recall@{args.k} {r['recall']:.3f}", flush=True)
        prof = profile(results, queries[0].tobytes(), 3) if args.profile else []
    finally:
        for r in results.values():
            con = r.pop("con", None)
            if con is not None and hasattr(con, "close"):
                con.close()
        shutil.rmtree(tmp, ignore_errors=True)

    ours = results.get("embedlite")
    lines = [
        "# Brute-force vector search in SQL",
        "",
        f"`{SQL.format(k=args.k)}` — {desc}; {len(queries)} queries (after one warm-up), "
        f"each system through its Python package, database file in a temporary directory.",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}.",
        "",
        "| system | how | QPS | median ms | recall@10 | fill s | embedlite / peer QPS |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results.values():
        ratio = f"{ours['qps'] / r['qps']:.2f}x" if ours and r is not ours else "—"
        lines.append(f"| {r['system']} | {r['note']} | {r['qps']:.2f} | {r['median_ms']:.1f} | "
                     f"{r['recall']:.3f} | {r['fill_s']:.1f} | {ratio} |")
    if prof:
        lines += ["", "Where the time goes (median ms of one statement over the same table):", "",
                  "| statement | what it measures | embedlite ms | libsql ms |", "|---|---|---:|---:|"]
        for p in prof:
            e, lb = p.get("embedlite"), p.get("libsql")
            lines.append(f"| `{p['sql']}` | {p['what']} | {e if e is None else f'{e:.1f}'} | "
                         f"{lb if lb is None else f'{lb:.1f}'} |")
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(text)
    args.out.with_suffix(".json").write_text(json.dumps(
        {"sql": SQL.format(k=args.k), "data": desc, "queries": len(queries), "k": args.k,
         "results": list(results.values()), "profile": prof}, indent=2) + "\n")
    print(f"wrote {args.out.with_suffix('.md')} and .json")
    bad = [r["system"] for r in results.values() if r["recall"] < 0.99]
    if bad:
        print(f"WARNING: recall below 0.99 for {', '.join(bad)}: the comparison is not like for like")
    return 0


if __name__ == "__main__":
    sys.exit(main())
