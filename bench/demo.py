"""The `make run` demo: load a real dataset into an embedlite file through SQL, build the vector
index, answer queries with `vector_top_k` and report recall@10 and latency against the exact
ground truth, then show how to open the file in the `embedlite` shell and in sqlite3.

    python bench/demo.py [--dataset glove-50] [--db demo-vectors.db] [--queries 1000]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

import embedlite
from embedlite_datasets import load


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="glove-50")
    ap.add_argument("--db", default="demo-vectors.db")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args()

    ds = load(args.dataset, build_missing=True)
    n, d = ds.base.shape
    metric = "cosine" if ds.metric in ("cosine", "angular") else "l2"
    dist_fn = "vector_distance_cos" if metric == "cosine" else "vector_distance_l2"
    print(f"dataset {ds.name}: {n:,} vectors x {d} dims, {metric}")
    db = Path(args.db)
    for p in db.parent.glob(db.name + "*"):
        p.unlink()

    con = embedlite.connect(str(db))
    con.execute(f"CREATE TABLE items(id INTEGER PRIMARY KEY, emb F32_BLOB({d}))")
    t0 = time.perf_counter()
    batch = 5000
    with tqdm(total=n, desc="insert rows", unit="row") as bar:
        for s in range(0, n, batch):
            rows = [(i + 1, np.ascontiguousarray(ds.base[i], dtype=np.float32)) for i in range(s, min(n, s + batch))]
            con.executemany("INSERT INTO items VALUES (?, ?)", rows)
            bar.update(len(rows))
    con.commit()
    t_insert = time.perf_counter() - t0
    print(f"inserted {n:,} rows in {t_insert:.1f} s ({n / t_insert:,.0f} rows/s)")

    t0 = time.perf_counter()
    con.execute(f"CREATE INDEX items_idx ON items(libsql_vector_idx(emb, 'metric={metric}'))")
    con.commit()
    t_index = time.perf_counter() - t0
    size = db.stat().st_size
    raw = n * d * 4
    print(f"CREATE INDEX in {t_index:.1f} s; file {size / 1e6:.1f} MB for {raw / 1e6:.1f} MB of raw vectors")

    queries = np.ascontiguousarray(ds.queries[: args.queries], dtype=np.float32)
    truth = ds.neighbors[: len(queries), : args.k] + 1
    sql = "SELECT id FROM vector_top_k('items_idx', ?, ?)"
    for q in queries[:100]:
        con.execute(sql, (q, args.k)).fetchall()
    lat, hits = [], 0
    for q, want in tqdm(list(zip(queries, truth)), desc="vector_top_k", unit="query"):
        t = time.perf_counter()
        got = [r[0] for r in con.execute(sql, (q, args.k))]
        lat.append(time.perf_counter() - t)
        hits += len(set(got) & set(int(x) for x in want))
    lat_ms = np.array(lat) * 1e3
    print(f"vector_top_k: recall@{args.k} {hits / (args.k * len(queries)):.4f}, "
          f"p50 {np.percentile(lat_ms, 50):.3f} ms, p99 {np.percentile(lat_ms, 99):.3f} ms, "
          f"{len(queries) / lat_ms.sum() * 1e3:,.0f} queries/s")

    t = time.perf_counter()
    for q in queries[:20]:
        con.execute(f"SELECT id FROM items NOT INDEXED ORDER BY {dist_fn}(emb, ?) LIMIT ?", (q, args.k)).fetchall()
    exact_ms = (time.perf_counter() - t) / 20 * 1e3
    print(f"exact search (NOT INDEXED): {exact_ms:.1f} ms per query")
    con.close()

    s = sqlite3.connect(db)
    print(f"sqlite3 {sqlite3.sqlite_version}: integrity_check {s.execute('PRAGMA integrity_check').fetchone()[0]}, "
          f"{s.execute('SELECT count(*) FROM items').fetchone()[0]:,} rows")
    s.close()
    print("\nOpen the file in the shell:\n"
          f"  target/release/embedlite {db}\n"
          f"  embedlite> SELECT id, distance FROM vector_top_k('items_idx', (SELECT emb FROM items WHERE id = 1), 5);")
    return 0


if __name__ == "__main__":
    sys.exit(main())
