"""The systems the harness measures, behind one small interface.

A system is a class with a ``name``, the packages whose versions it reports, and:

- ``check()``            raise ``Unavailable`` (import failed, metric unsupported) to be skipped
- ``prepare(base)``      untimed: convert the vectors into what ``build`` consumes (blobs, ...)
- ``build(progress)``    timed: create the index / insert the rows; ``progress(n)`` after each batch
- ``disk_bytes()``       size on disk of what ``build`` made (index file or database file)
- ``params``             the sweep of the search-width parameter (``[None]`` for exact search)
- ``set_param(p)``       switch the search width
- ``search(q, k)``       ids of the ``k`` nearest base rows (0-based), one query, one thread
- ``search_batch(Q, k, threads)``  all queries, ``threads`` threads (library batch call or a thread
                         pool with one connection per thread); returns an (nq, k) id array

Ids are the 0-based row numbers of the base matrix; SQL tables store ``id = row + 1`` (so that
no rowid is 0) and the adapter subtracts 1. Missing results are -1.

Adding a system: subclass ``System`` (or ``SqlSystem`` for a DB-API database), register it in
``SYSTEMS``. Each system runs in its own worker process (see ``worker.py``).
"""

from __future__ import annotations

import os
import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import numpy as np

CPU_COUNT = os.cpu_count() or 1


class Unavailable(Exception):
    """The system cannot run here (package missing, metric unsupported); it is skipped."""


def _normalized(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    n[n == 0] = 1
    return (x / n).astype(np.float32)


def _pad(ids: list[int] | np.ndarray, k: int) -> np.ndarray:
    out = np.full(k, -1, dtype=np.int64)
    ids = np.asarray(ids, dtype=np.int64)[:k]
    out[:len(ids)] = ids
    return out


class System:
    name = "?"
    packages: tuple[str, ...] = ()
    param_name = ""
    params: list[Any] = [None]
    exact = False  # brute force: recall 1.0 by construction
    batch_mode = "library batch call"

    def __init__(self, dim: int, metric: str, workdir: Path):
        self.dim, self.metric, self.workdir = dim, metric, Path(workdir)
        self.param: Any = None

    def check(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        """Build settings worth recording next to the numbers."""
        return {}

    def extra_versions(self) -> dict[str, str]:
        return {}

    def prepare(self, base: np.ndarray) -> None:
        self.base = np.ascontiguousarray(base, dtype=np.float32)

    def build(self, progress: Callable[[int], None]) -> None:
        raise NotImplementedError

    def disk_bytes(self) -> int | None:
        return None

    def set_param(self, p: Any) -> None:
        self.param = p

    def search(self, q: np.ndarray, k: int) -> np.ndarray:
        raise NotImplementedError

    def search_batch(self, queries: np.ndarray, k: int, threads: int) -> np.ndarray:
        return np.stack([self.search(q, k) for q in queries])

    def close(self) -> None:
        pass


# --- graph libraries -----------------------------------------------------------------------------

class Hnswlib(System):
    name = "hnswlib"
    packages = ("hnswlib",)
    param_name = "ef"
    params = [10, 20, 40, 80, 120, 160, 240, 320, 640]
    M, EF_CONSTRUCTION = 16, 200

    def check(self) -> None:
        try:
            import hnswlib  # noqa: F401
        except ImportError as e:
            raise Unavailable(f"import hnswlib failed: {e}") from e
        self.space = {"cosine": "cosine", "l2": "l2", "ip": "ip"}[self.metric]

    def describe(self) -> dict[str, Any]:
        return {"M": self.M, "ef_construction": self.EF_CONSTRUCTION, "build_threads": CPU_COUNT,
                "space": self.space}

    def build(self, progress):
        import hnswlib

        n = len(self.base)
        self.index = hnswlib.Index(space=self.space, dim=self.dim)
        self.index.init_index(max_elements=n, ef_construction=self.EF_CONSTRUCTION, M=self.M, random_seed=100)
        step = 10_000
        for s in range(0, n, step):
            self.index.add_items(self.base[s:s + step], np.arange(s, min(n, s + step)), num_threads=CPU_COUNT)
            progress(min(n, s + step))

    def disk_bytes(self):
        p = self.workdir / "hnswlib.bin"
        self.index.save_index(str(p))
        return p.stat().st_size

    def set_param(self, p):
        self.param = p
        self.index.set_ef(p)

    def search(self, q, k):
        labels, _ = self.index.knn_query(q[None, :], k=k, num_threads=1)
        return labels[0].astype(np.int64)

    def search_batch(self, queries, k, threads):
        labels, _ = self.index.knn_query(queries, k=k, num_threads=threads)
        return labels.astype(np.int64)


class _Faiss(System):
    packages = ("faiss-cpu",)

    def check(self) -> None:
        try:
            import faiss  # noqa: F401
        except ImportError as e:
            raise Unavailable(f"import faiss failed: {e}") from e

    def extra_versions(self):
        import faiss

        return {"faiss": faiss.__version__}

    def _vecs(self, x: np.ndarray) -> np.ndarray:
        return _normalized(x) if self.metric == "cosine" else np.ascontiguousarray(x, dtype=np.float32)

    def _metric(self):
        import faiss

        return faiss.METRIC_L2 if self.metric == "l2" else faiss.METRIC_INNER_PRODUCT

    def disk_bytes(self):
        import faiss

        p = self.workdir / f"{self.name}.faiss"
        faiss.write_index(self.index, str(p))
        return p.stat().st_size

    def search(self, q, k):
        import faiss

        faiss.omp_set_num_threads(1)
        _, ids = self.index.search(self._vecs(q[None, :]), k)
        return ids[0].astype(np.int64)

    def search_batch(self, queries, k, threads):
        import faiss

        faiss.omp_set_num_threads(threads)
        try:
            _, ids = self.index.search(self._vecs(queries), k)
        finally:
            faiss.omp_set_num_threads(1)
        return ids.astype(np.int64)


class FaissHnsw(_Faiss):
    name = "faiss-hnsw"
    param_name = "efSearch"
    params = [10, 20, 40, 80, 120, 160, 240, 320, 640]
    M, EF_CONSTRUCTION = 16, 200

    def describe(self):
        return {"index": f"IndexHNSWFlat(M={self.M})", "efConstruction": self.EF_CONSTRUCTION,
                "build_threads": CPU_COUNT, "cosine_as": "inner product on normalised vectors"}

    def build(self, progress):
        import faiss

        faiss.omp_set_num_threads(CPU_COUNT)
        self.index = faiss.IndexHNSWFlat(self.dim, self.M, self._metric())
        self.index.hnsw.efConstruction = self.EF_CONSTRUCTION
        x = self._vecs(self.base)
        step = 10_000
        for s in range(0, len(x), step):
            self.index.add(x[s:s + step])
            progress(min(len(x), s + step))
        faiss.omp_set_num_threads(1)

    def set_param(self, p):
        self.param = p
        self.index.hnsw.efSearch = p


class FaissFlat(_Faiss):
    name = "faiss-flat"
    exact = True

    def describe(self):
        return {"index": "IndexFlatL2" if self.metric == "l2" else "IndexFlatIP (normalised)"}

    def build(self, progress):
        import faiss

        self.index = faiss.IndexFlatL2(self.dim) if self.metric == "l2" else faiss.IndexFlatIP(self.dim)
        self.index.add(self._vecs(self.base))
        progress(len(self.base))


class Usearch(System):
    name = "usearch"
    packages = ("usearch",)
    param_name = "expansion_search"
    params = [10, 20, 40, 80, 120, 160, 240, 320, 640]
    dtype = "f32"
    CONNECTIVITY, EXPANSION_ADD = 16, 200

    def check(self):
        try:
            import usearch.index  # noqa: F401
        except ImportError as e:
            raise Unavailable(f"import usearch failed: {e}") from e
        self.umetric = {"cosine": "cos", "l2": "l2sq", "ip": "ip"}[self.metric]

    def describe(self):
        return {"connectivity": self.CONNECTIVITY, "expansion_add": self.EXPANSION_ADD, "dtype": self.dtype,
                "metric": self.umetric, "build_threads": CPU_COUNT}

    def build(self, progress):
        from usearch.index import Index

        self.index = Index(ndim=self.dim, metric=self.umetric, dtype=self.dtype,
                           connectivity=self.CONNECTIVITY, expansion_add=self.EXPANSION_ADD)
        n = len(self.base)
        step = 10_000
        for s in range(0, n, step):
            self.index.add(np.arange(s, min(n, s + step)), self.base[s:s + step], threads=CPU_COUNT)
            progress(min(n, s + step))

    def disk_bytes(self):
        p = self.workdir / f"{self.name}.usearch"
        self.index.save(str(p))
        return p.stat().st_size

    def set_param(self, p):
        self.param = p
        self.index.expansion_search = p

    def search(self, q, k):
        m = self.index.search(q, k, threads=1)
        return _pad(m.keys, k)

    def search_batch(self, queries, k, threads):
        m = self.index.search(queries, k, threads=threads)
        keys = np.asarray(m.keys, dtype=np.int64)
        counts = np.asarray(m.counts)
        for i, c in enumerate(counts):  # rows with fewer hits hold garbage past the count
            keys[i, c:] = -1
        return keys


class UsearchBf16(Usearch):
    name = "usearch-bf16"
    dtype = "bf16"


# --- SQL databases (DB-API) ------------------------------------------------------------------------

class SqlSystem(System):
    """A database reached through a DB-API-like connection. Subclasses say how to connect, how to
    create the table, and which SELECT answers a query; rows are ``(id = row + 1, float32 blob)``."""

    insert_batch = 1000
    batch_mode = "Python threads, one connection each"
    distance_fn = {"cosine": "vector_distance_cos", "l2": "vector_distance_l2"}

    def connect(self):
        raise NotImplementedError

    def schema(self) -> list[str]:
        raise NotImplementedError

    def insert_sql(self) -> str:
        return "INSERT INTO t(id, emb) VALUES (?, ?)"

    def query_sql(self) -> str:
        raise NotImplementedError

    @property
    def path(self) -> Path:
        return self.workdir / f"{self.name}.db"

    def prepare(self, base):
        super().prepare(base)
        self.rows = [(i + 1, v.tobytes()) for i, v in enumerate(self.base)]

    def begin(self, conn) -> None:
        pass

    def commit(self, conn) -> None:
        conn.commit()

    def build(self, progress):
        self.conn = self.connect()
        cur = self.conn.cursor()
        for stmt in self.schema():
            cur.execute(stmt)
        self.commit(self.conn)
        self.begin(self.conn)
        sql = self.insert_sql()
        for s in range(0, len(self.rows), self.insert_batch):
            cur.executemany(sql, self.rows[s:s + self.insert_batch])
            progress(min(len(self.rows), s + self.insert_batch))
        self.commit(self.conn)
        del self.rows
        self.cur = self.conn.cursor()

    def disk_bytes(self):
        return sum(p.stat().st_size for p in self.workdir.glob(self.path.name + "*"))

    def _run(self, cur, blob: bytes, k: int) -> np.ndarray:
        cur.execute(self.query_sql(), (blob, k))
        return _pad([r[0] - 1 for r in cur.fetchall()], k)

    def search(self, q, k):
        return self._run(self.cur, np.ascontiguousarray(q, dtype=np.float32).tobytes(), k)

    def search_batch(self, queries, k, threads):
        blobs = [np.ascontiguousarray(q, dtype=np.float32).tobytes() for q in queries]
        if threads <= 1:
            return np.stack([self._run(self.cur, b, k) for b in blobs])
        out = np.empty((len(blobs), k), dtype=np.int64)
        shares = [range(t, len(blobs), threads) for t in range(threads)]

        def work(share):
            conn = self.connect()
            cur = conn.cursor()
            for i in share:
                out[i] = self._run(cur, blobs[i], k)
            conn.close()

        with ThreadPoolExecutor(threads) as ex:
            for f in [ex.submit(work, s) for s in shares]:
                f.result()
        return out

    def close(self):
        conn = getattr(self, "conn", None)
        if conn is not None:
            conn.close()

    def _need_sql_metric(self):
        if self.metric not in self.distance_fn:
            raise Unavailable(f"{self.name}: metric {self.metric!r} not supported (cosine and l2 only)")


class SqliteVec(SqlSystem):
    """sqlite-vec's ``vec0`` virtual table (exact scan), loaded into apsw's SQLite: the default
    ``python3`` here has a ``sqlite3`` module that cannot load extensions."""

    name = "sqlite-vec"
    packages = ("sqlite-vec", "apsw")
    exact = True

    def check(self):
        try:
            import apsw  # noqa: F401
            import sqlite_vec  # noqa: F401
        except ImportError as e:
            raise Unavailable(f"import apsw/sqlite_vec failed: {e}") from e
        self._need_sql_metric()

    def extra_versions(self):
        import apsw

        c = self.connect()
        v = c.execute("SELECT vec_version()").fetchone()[0]
        c.close()
        return {"sqlite (apsw)": apsw.sqlite_lib_version(), "vec_version()": v}

    def connect(self):
        import apsw
        import sqlite_vec

        c = apsw.Connection(str(self.path))
        c.enable_load_extension(True)
        c.load_extension(sqlite_vec.loadable_path())
        c.enable_load_extension(False)
        return c

    def schema(self):
        m = "cosine" if self.metric == "cosine" else "l2"
        return [f"CREATE VIRTUAL TABLE IF NOT EXISTS t USING vec0(emb float[{self.dim}] distance_metric={m})"]

    def insert_sql(self):
        return "INSERT INTO t(rowid, emb) VALUES (?, ?)"

    def query_sql(self):
        return "SELECT rowid FROM t WHERE emb MATCH ? AND k = ?"

    def begin(self, conn):
        conn.execute("BEGIN")

    def commit(self, conn):
        if not conn.getautocommit():
            conn.execute("COMMIT")


class LibsqlBrute(SqlSystem):
    """libSQL (PyPI ``libsql``) without an index: ``ORDER BY vector_distance_* LIMIT k``."""

    name = "libsql-brute"
    packages = ("libsql",)
    exact = True

    def check(self):
        try:
            import libsql  # noqa: F401
        except ImportError as e:
            raise Unavailable(f"import libsql failed: {e}") from e
        self._need_sql_metric()

    def extra_versions(self):
        c = self.connect()
        v = c.execute("SELECT sqlite_version()").fetchone()[0]
        c.close()
        return {"sqlite_version()": v}

    def connect(self):
        import libsql

        return libsql.connect(str(self.path))

    def schema(self):
        return [f"CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, emb F32_BLOB({self.dim}))"]

    def query_sql(self):
        return f"SELECT id FROM t ORDER BY {self.distance_fn[self.metric]}(emb, ?) LIMIT ?"


class LibsqlDiskann(LibsqlBrute):
    """libSQL's DiskANN index (``libsql_vector_idx`` + ``vector_top_k``), default build settings.

    libSQL has no per-query search width: ``search_l`` is an index parameter, stored in the
    ``libsql_vector_meta_shadow`` row as (1-byte tag, 8-byte little-endian value) pairs, tag 9
    = search_l. The sweep rewrites that value, which is what creating the index with
    ``'search_l=N'`` would store, without rebuilding the graph (insert_l, max_neighbors etc. stay
    at their defaults)."""

    name = "libsql-diskann"
    param_name = "search_l"
    params = [10, 20, 40, 80, 120, 160, 200, 320, 640]
    exact = False
    SEARCH_L_TAG = 9

    def describe(self):
        return {"index": "libsql_vector_idx defaults (insert_l=70, alpha=1.2, max_neighbors auto)",
                "metric": self.metric, "search_l_default": 200,
                "sweep": "search_l rewritten in libsql_vector_meta_shadow"}

    def schema(self):
        m = "cosine" if self.metric == "cosine" else "l2"
        return super().schema() + [f"CREATE INDEX IF NOT EXISTS t_idx ON t(libsql_vector_idx(emb, 'metric={m}'))"]

    def query_sql(self):
        return "SELECT id FROM vector_top_k('t_idx', ?, ?)"

    def set_param(self, p):
        self.param = p
        cur = self.conn.cursor()
        cur.execute("SELECT metadata FROM libsql_vector_meta_shadow WHERE name = 't_idx'")
        blob = bytearray(cur.fetchone()[0])
        if len(blob) % 9:
            raise RuntimeError(f"libsql_vector_meta_shadow: unexpected metadata length {len(blob)}")
        for off in range(0, len(blob), 9):
            if blob[off] == self.SEARCH_L_TAG:
                blob[off + 1:off + 9] = struct.pack("<Q", int(p))
                break
        else:
            blob += bytes([self.SEARCH_L_TAG]) + struct.pack("<Q", int(p))
        cur.execute("UPDATE libsql_vector_meta_shadow SET metadata = ? WHERE name = 't_idx'", (bytes(blob),))
        self.conn.commit()


class TursoBrute(LibsqlBrute):
    """Turso's engine (PyPI ``pyturso``): vector functions, no ANN index yet — brute force."""

    name = "turso-brute"
    packages = ("pyturso",)

    def check(self):
        try:
            import turso  # noqa: F401
        except ImportError as e:
            raise Unavailable(f"import turso (pyturso) failed: {e}") from e
        self._need_sql_metric()

    def connect(self):
        import turso

        return turso.connect(str(self.path))

    def schema(self):
        return ["CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, emb BLOB)"]


# --- embedlite -------------------------------------------------------------------------------------

class Embedlite(SqlSystem):
    """embedlite through its Python package (DB-API ``embedlite.connect(path)``) with
    libSQL-compatible SQL: an ``F32_BLOB`` column, a ``libsql_vector_idx`` index created before
    the rows (so every row is an incremental insert into the graph, as in libSQL's run) and
    ``vector_top_k`` with its per-query search width (4th argument) swept. Skipped with the
    import error while the package is not built."""

    name = "embedlite"
    packages = ("embedlite",)
    param_name = "search_l"
    params = [10, 20, 40, 80, 120, 160, 240, 320, 640]

    def check(self):
        try:
            import embedlite
        except ImportError as e:
            raise Unavailable(f"import embedlite failed ({e}); build the Python package to include it") from e
        self._need_sql_metric()
        self._probe(embedlite)

    def _probe(self, embedlite) -> None:
        """Run this adapter's SQL on a two-row table: a package that imports but lacks the vector
        functions or index (yet) is skipped with the engine's own message, not counted as failed."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="annbench-probe-") as d:
            conn = embedlite.connect(str(Path(d) / "probe.db"))
            try:
                cur = conn.cursor()
                for stmt in self.probe_schema():
                    cur.execute(stmt.replace(f"F32_BLOB({self.dim})", "F32_BLOB(2)"))
                cur.executemany(self.insert_sql(), [(1, np.float32([1, 0]).tobytes()),
                                                    (2, np.float32([0, 1]).tobytes())])
                conn.commit()
                probe = (np.float32([1, 0.1]).tobytes(), 1, 80)
                cur.execute(self.query_sql(), probe[:self.query_sql().count("?")])
                got = [r[0] for r in cur.fetchall()]
            except embedlite.Error as e:
                raise Unavailable(f"embedlite cannot run this system's SQL yet: {type(e).__name__}: {e}") from e
            finally:
                conn.close()
        if got != [1]:
            raise Unavailable(f"embedlite answered the probe query with {got}, expected [1]")

    def probe_schema(self) -> list[str]:
        return self.schema()

    def extra_versions(self):
        import embedlite

        v = getattr(embedlite, "__version__", None)
        return {"embedlite.__version__": str(v)} if v else {}

    def describe(self):
        m = "cosine" if self.metric == "cosine" else "l2"
        return {"index": f"libsql_vector_idx(emb, 'metric={m}') defaults", "query": self.query_sql()}

    def connect(self):
        import embedlite

        return embedlite.connect(str(self.path))

    def schema(self):
        m = "cosine" if self.metric == "cosine" else "l2"
        return [f"CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, emb F32_BLOB({self.dim}))",
                f"CREATE INDEX IF NOT EXISTS t_idx ON t(libsql_vector_idx(emb, 'metric={m}'))"]

    def query_sql(self):
        return "SELECT id FROM vector_top_k('t_idx', ?, ?, ?)"

    def _run(self, cur, blob: bytes, k: int) -> np.ndarray:
        cur.execute(self.query_sql(), (blob, k, self.param or 80))
        return _pad([r[0] - 1 for r in cur.fetchall()], k)


class EmbedliteBulk(Embedlite):
    """embedlite with ``CREATE INDEX`` after the rows are loaded: the parallel bulk build."""

    name = "embedlite-bulk"

    def schema(self):
        return super().schema()[:1]

    def probe_schema(self):
        return Embedlite.schema(self)

    def build(self, progress):
        super().build(progress)
        m = "cosine" if self.metric == "cosine" else "l2"
        self.cur.execute(f"CREATE INDEX t_idx ON t(libsql_vector_idx(emb, 'metric={m}'))")
        self.conn.commit()


class EmbedliteBrute(Embedlite):
    """embedlite, exact search in SQL: ``ORDER BY vector_distance_* LIMIT k`` without an index."""

    name = "embedlite-brute"
    exact = True
    param_name = ""
    params = [None]

    def describe(self):
        return {"query": self.query_sql()}

    def schema(self):
        return [f"CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, emb F32_BLOB({self.dim}))"]

    def query_sql(self):
        return f"SELECT id FROM t ORDER BY {self.distance_fn[self.metric]}(emb, ?) LIMIT ?"

    def _run(self, cur, blob: bytes, k: int) -> np.ndarray:
        return SqlSystem._run(self, cur, blob, k)


SYSTEMS: dict[str, type[System]] = {cls.name: cls for cls in (
    Embedlite, EmbedliteBulk, EmbedliteBrute, Hnswlib, FaissHnsw, FaissFlat, Usearch, UsearchBf16, SqliteVec,
    LibsqlDiskann, LibsqlBrute, TursoBrute,
)}

# systems that exist for the harness's own tests; never part of a default run
HIDDEN = ("toy",)


def get_system(name: str) -> type[System]:
    if name in SYSTEMS:
        return SYSTEMS[name]
    if name == "toy":
        from .toy import ToySystem

        return ToySystem
    raise KeyError(f"unknown system {name!r}; known: {', '.join(SYSTEMS)}")
