#!/usr/bin/env python3
"""embedlite through Python, side by side with its peers, in one run (`make bench-python`).

Relational (the workload of ../shared/anchors.md's "relational baseline"), against stdlib
`sqlite3`, `libsql` (PyPI) and `pyturso` (PyPI, module `turso`), each through its DB-API:

* insert: 100k rows `(id, category, name, price)` with `executemany` in one transaction, commit
  (and, as a second line, the same rows into a table without the index on `name`);
* point selects: 10k `SELECT name, price FROM items WHERE id = ?` (rowid lookups), random ids;
* index lookups: 10k `SELECT id, price FROM items WHERE name = ?` through an index on `name`;
* group by: `SELECT category, count(*), avg(price) FROM items GROUP BY category` (100 groups).

Vectors: 100k x 384-d float32 vectors from one numpy array into a table, one transaction:
stdlib `sqlite3` (a BLOB column, `executemany` over `(i, v.tobytes())`), `apsw` + `sqlite-vec`
(a `vec0` virtual table), and embedlite (`Connection.insert_vectors`, and `executemany` over
`zip(ids, array)`, which binds each row as an F32 blob without Python-level copies).

Every figure is the median of `--repeat` runs (default 3) on a fresh file in a temporary
directory; ratios are time / time of stdlib sqlite3 (lower is better, 1.00 = parity). Each
driver's answers are checked against sqlite3's, so a fast wrong answer does not count.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any, Callable, Optional

import numpy as np

ROWS = 100_000
POINT = 10_000
LOOKUPS = 10_000

Connect = Callable[[str], Any]


def drivers() -> dict[str, Optional[Connect]]:
    """name -> connect(path), or None if the package is missing."""
    out: dict[str, Optional[Connect]] = {}
    import sqlite3

    import embedlite

    out["sqlite3"] = sqlite3.connect
    out["embedlite"] = embedlite.connect
    for name, module in [("libsql", "libsql"), ("pyturso", "turso")]:
        try:
            out[name] = importlib.import_module(module).connect
        except ImportError:
            out[name] = None
    return out


def relational_once(connect: Connect, path: str) -> tuple[dict[str, float], tuple[Any, ...]]:
    con = connect(path)
    con.execute("CREATE TABLE items(id INTEGER PRIMARY KEY, category INTEGER NOT NULL, name TEXT NOT NULL, price REAL NOT NULL)")
    con.execute("CREATE INDEX items_name ON items(name)")
    con.commit()
    rows = [(i, i % 100, f"item-{i * 7919 % ROWS:06d}-{i}", (i * 37 % 1000) / 10) for i in range(1, ROWS + 1)]
    rng = random.Random(42)
    ids = [rng.randrange(1, ROWS + 1) for _ in range(POINT)]
    names = [rows[rng.randrange(ROWS)][2] for _ in range(LOOKUPS)]
    times: dict[str, float] = {}

    t = time.perf_counter()
    con.executemany("INSERT INTO items VALUES (?, ?, ?, ?)", rows)
    con.commit()
    times["insert 100k rows (1 txn)"] = time.perf_counter() - t

    # The same rows into a table without the secondary index: separates the cost of binding and
    # the table B-tree from the cost of maintaining the index.
    con.execute("CREATE TABLE plain(id INTEGER PRIMARY KEY, category INTEGER NOT NULL, name TEXT NOT NULL, price REAL NOT NULL)")
    con.commit()
    t = time.perf_counter()
    con.executemany("INSERT INTO plain VALUES (?, ?, ?, ?)", rows)
    con.commit()
    times["  same, table without index"] = time.perf_counter() - t

    t = time.perf_counter()
    check_point = 0.0
    for i in ids:
        r = con.execute("SELECT name, price FROM items WHERE id = ?", (i,)).fetchone()
        check_point += r[1]
    times["10k point selects"] = time.perf_counter() - t

    t = time.perf_counter()
    check_lookup = 0
    for n in names:
        r = con.execute("SELECT id, price FROM items WHERE name = ?", (n,)).fetchone()
        check_lookup += r[0]
    times["10k index lookups"] = time.perf_counter() - t

    t = time.perf_counter()
    groups = con.execute("SELECT category, count(*), avg(price) FROM items GROUP BY category").fetchall()
    times["GROUP BY over 100k rows"] = time.perf_counter() - t
    con.close()
    answer = (round(check_point, 3), check_lookup, tuple((g[0], g[1], round(g[2], 6)) for g in groups))
    return times, answer


def vectors_sqlite3(path: str, vecs: np.ndarray) -> float:
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, emb BLOB)")
    t = time.perf_counter()
    con.executemany("INSERT INTO docs VALUES (?, ?)", ((i, v.tobytes()) for i, v in enumerate(vecs)))
    con.commit()
    elapsed = time.perf_counter() - t
    assert con.execute("SELECT count(*) FROM docs").fetchone()[0] == len(vecs)
    con.close()
    return elapsed


def vectors_apsw_vec0(path: str, vecs: np.ndarray) -> Optional[float]:
    try:
        import apsw
        import sqlite_vec
    except ImportError:
        return None
    con = apsw.Connection(path)
    con.enable_load_extension(True)
    con.load_extension(sqlite_vec.loadable_path())
    con.execute(f"CREATE VIRTUAL TABLE docs USING vec0(emb float[{vecs.shape[1]}])")
    t = time.perf_counter()
    with con:
        con.executemany("INSERT INTO docs(rowid, emb) VALUES (?, ?)", ((i, v.tobytes()) for i, v in enumerate(vecs)))
    elapsed = time.perf_counter() - t
    assert next(con.execute("SELECT count(*) FROM docs"))[0] == len(vecs)
    con.close()
    return elapsed


def vectors_embedlite(path: str, vecs: np.ndarray, how: str) -> float:
    import embedlite

    con = embedlite.connect(path)
    con.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, emb BLOB)")
    t = time.perf_counter()
    if how == "insert_vectors":
        con.insert_vectors("docs", "emb", vecs, ids=range(len(vecs)))
    else:
        con.executemany("INSERT INTO docs VALUES (?, ?)", zip(range(len(vecs)), vecs))
    con.commit()
    elapsed = time.perf_counter() - t
    assert con.execute("SELECT count(*) FROM docs").fetchone()[0] == len(vecs)
    first = con.execute("SELECT emb FROM docs WHERE id = 0").fetchone()[0]
    assert first == vecs[0].tobytes()
    con.close()
    return elapsed


def median_of(repeat: int, tmp: str, run: Callable[[str], Any]) -> Any:
    results = []
    for k in range(repeat):
        d = os.path.join(tmp, f"run{k}")
        os.makedirs(d)
        results.append(run(os.path.join(d, "bench.db")))
        shutil.rmtree(d)
    return results


def fmt_ratio(t: Optional[float], base: float) -> str:
    return "—" if t is None else f"{t:8.3f} s  {t / base:5.2f}x"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--vectors", type=int, default=100_000, help="number of vectors (0 skips the vector part)")
    ap.add_argument("--dims", type=int, default=384)
    ap.add_argument("--skip-relational", action="store_true")
    args = ap.parse_args()

    import embedlite

    print(f"python {sys.version.split()[0]}, embedlite {embedlite.version}, repeat {args.repeat} (median)")
    tmp = tempfile.mkdtemp(prefix="embedlite-bench-")
    try:
        if not args.skip_relational:
            ds = drivers()
            medians: dict[str, dict[str, Optional[float]]] = {}
            reference: Optional[tuple[Any, ...]] = None
            for name, connect in ds.items():
                if connect is None:
                    print(f"{name}: not installed (pip install -r bench/python/requirements.txt)")
                    medians[name] = {}
                    continue
                runs = median_of(args.repeat, tmp, lambda p, c=connect: relational_once(c, p))
                answers = {a for _, a in runs}
                if reference is None:
                    reference = runs[0][1]
                ok = answers == {reference}
                if not ok:
                    print(f"{name}: ANSWERS DIFFER from sqlite3's")
                medians[name] = {k: statistics.median(r[0][k] for r in runs) for k in runs[0][0]}
            metrics = list(medians["sqlite3"])
            names = [n for n in ds if medians.get(n)]
            print()
            print(f"| {'relational, 100k rows':28} | " + " | ".join(f"{n:>18}" for n in names) + " |")
            print("|" + "-" * 30 + "|" + "|".join("-" * 20 for _ in names) + "|")
            for m in metrics:
                base = medians["sqlite3"][m]
                assert base is not None
                print(f"| {m:28} | " + " | ".join(f"{fmt_ratio(medians[n].get(m), base):>18}" for n in names) + " |")

        if args.vectors:
            rng = np.random.default_rng(0)
            vecs = rng.standard_normal((args.vectors, args.dims), dtype=np.float32)
            label = f"insert {args.vectors // 1000}k x {args.dims}-d f32"
            rows: dict[str, Optional[float]] = {}
            rows["sqlite3 (BLOB, v.tobytes())"] = statistics.median(median_of(args.repeat, tmp, lambda p: vectors_sqlite3(p, vecs)))
            apsw_runs = median_of(args.repeat, tmp, lambda p: vectors_apsw_vec0(p, vecs))
            rows["apsw + sqlite-vec (vec0)"] = None if None in apsw_runs else statistics.median(apsw_runs)
            rows["embedlite insert_vectors"] = statistics.median(
                median_of(args.repeat, tmp, lambda p: vectors_embedlite(p, vecs, "insert_vectors"))
            )
            rows["embedlite executemany(zip)"] = statistics.median(
                median_of(args.repeat, tmp, lambda p: vectors_embedlite(p, vecs, "executemany"))
            )
            base = rows["sqlite3 (BLOB, v.tobytes())"]
            assert base is not None
            print()
            print(f"| {label:28} | {'time, ratio to sqlite3':>22} | {'vectors/s':>10} |")
            print("|" + "-" * 30 + "|" + "-" * 24 + "|" + "-" * 12 + "|")
            for k, v in rows.items():
                rate = "—" if v is None else f"{args.vectors / v:10,.0f}"
                print(f"| {k:28} | {fmt_ratio(v, base):>22} | {rate:>10} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
