"""``KeyedTable``: documents with string ids in a plain embedlite table, the storage of the
framework stores. For ``KeyedTable(con, dim=384, metric="cosine", table="langchain")``::

    CREATE TABLE langchain (
        id        INTEGER PRIMARY KEY,           -- the rowid the vector index is keyed by
        key       TEXT NOT NULL UNIQUE,          -- the framework's document / node id
        text      TEXT NOT NULL,
        metadata  TEXT NOT NULL DEFAULT '{}',    -- a JSON object
        embedding F32_BLOB(384) NOT NULL
    );
    CREATE INDEX langchain_embedding_idx ON langchain(libsql_vector_idx(embedding, 'metric=cosine'));

Searches are the filtered ``ORDER BY vector_distance_*(embedding, ?) LIMIT k`` of
``embedlite.memory``: the filter runs inside the vector search.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

import embedlite
from embedlite.memory import _DECLTYPE, _METRICS, Params, _quote, write_transaction

__all__ = ["KeyedTable", "Record"]


@dataclass(frozen=True)
class Record:
    """One stored document: its key, text, metadata, embedding and (from a search) distance."""

    key: str
    text: str
    metadata: dict[str, Any]
    embedding: NDArray[np.float32] = field(repr=False, compare=False)
    distance: Optional[float] = None


class KeyedTable:
    """The table (created if needed) and the statements the framework stores run on it. The
    embedding size ``dim`` may be ``None`` for a table that exists: it is then read from the
    schema (and a new table is created on the first ``upsert``)."""

    def __init__(
        self,
        connection: Union[str, Path, embedlite.Connection],
        table: str,
        dim: Optional[int] = None,
        metric: str = "cosine",
    ) -> None:
        if metric not in _METRICS:
            raise ValueError(f"metric must be one of {sorted(_METRICS)}, got {metric!r}")
        self.table = table
        self.metric = metric
        self._t = _quote(table)
        self._distance = _METRICS[metric]
        self._owns = not isinstance(connection, embedlite.Connection)
        self.con = (
            connection
            if isinstance(connection, embedlite.Connection)
            else embedlite.connect(str(connection), check_same_thread=False)
        )
        self.dim: Optional[int] = self._existing_dim()
        if dim is not None and self.dim is not None and dim != self.dim:
            raise ValueError(f"table {table!r} holds {self.dim}-d embeddings, not {dim}-d")
        if self.dim is None and dim is not None:
            self._create(dim)

    def _existing_dim(self) -> Optional[int]:
        decl = {r[1]: str(r[2]) for r in self.con.execute(f"PRAGMA table_info({self._t})").fetchall()}
        if not decl:
            return None
        m = _DECLTYPE.match(decl.get("embedding", ""))
        if not {"key", "text", "metadata"} <= decl.keys() or m is None:
            raise ValueError(f"table {self.table!r} exists but is not a document table (columns {sorted(decl)})")
        return int(m.group(1))

    def _create(self, dim: int) -> None:
        index = _quote(f"{self.table}_embedding_idx")
        with write_transaction(self.con):
            self.con.execute(
                f"CREATE TABLE IF NOT EXISTS {self._t} (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, "
                f"text TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{{}}', embedding F32_BLOB({dim}) NOT NULL)"
            )
            self.con.execute(
                f"CREATE INDEX IF NOT EXISTS {index} ON {self._t}(libsql_vector_idx(embedding, 'metric={self.metric}'))"
            )
        self.dim = dim

    def _vectors(self, vectors: ArrayLike, n: int) -> NDArray[np.float32]:
        arr = np.asarray(vectors, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[0] != n:
            raise ValueError(f"expected {n} embeddings as an (n, dim) array, got shape {arr.shape}")
        if self.dim is None:
            self._create(int(arr.shape[1]))
        if arr.shape[1] != self.dim:
            raise ValueError(f"embeddings must have {self.dim} dimensions, got {arr.shape[1]}")
        if not np.isfinite(arr).all():
            raise ValueError("embeddings contain NaN or infinite values")
        return np.ascontiguousarray(arr)

    def upsert(
        self,
        keys: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[Optional[Mapping[str, Any]]],
        vectors: ArrayLike,
    ) -> None:
        """Inserts the documents, replacing those whose key exists; one transaction."""
        n = len(keys)
        if not (len(texts) == len(metadatas) == n):
            raise ValueError(f"{n} keys, {len(texts)} texts and {len(metadatas)} metadata dicts")
        if n == 0:
            return
        arr = self._vectors(vectors, n)
        metas = [json.dumps(dict(m) if m else {}, ensure_ascii=False) for m in metadatas]
        with write_transaction(self.con):
            self.con.executemany(
                f"INSERT INTO {self._t}(key, text, metadata, embedding) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET text = excluded.text, metadata = excluded.metadata, "
                "embedding = excluded.embedding",
                zip(keys, texts, metas, arr),
            )

    def delete(self, keys: Sequence[str]) -> int:
        """Deletes the documents with these keys; returns how many existed."""
        if self.dim is None or not keys:
            return 0
        with write_transaction(self.con):
            # One `key = ?` per key: an index seek each (an `IN` list would scan the table).
            return self.con.executemany(f"DELETE FROM {self._t} WHERE key = ?", [(k,) for k in keys]).rowcount

    def delete_where(self, cond: str, params: Params = ()) -> int:
        """Deletes the documents that satisfy the SQL condition ``cond``."""
        if self.dim is None:
            return 0
        with write_transaction(self.con):
            return self.con.execute(f"DELETE FROM {self._t} WHERE {cond}", params).rowcount

    def _record(self, row: Sequence[Any], distance: Optional[float] = None) -> Record:
        meta = json.loads(row[2]) if row[2] else {}
        emb = np.frombuffer(row[3], dtype="<f4").astype(np.float32)
        return Record(row[0], row[1], meta if isinstance(meta, dict) else {"value": meta}, emb, distance)

    def get(self, keys: Sequence[str]) -> list[Record]:
        """The documents with these keys, in the order given; missing keys are skipped."""
        if self.dim is None:
            return []
        sql = f"SELECT key, text, metadata, embedding FROM {self._t} WHERE key = ?"
        out = []
        for k in keys:
            row = self.con.execute(sql, (k,)).fetchone()
            if row is not None:
                out.append(self._record(row))
        return out

    def select(self, cond: str = "1", params: Params = (), limit: Optional[int] = None) -> list[Record]:
        """The documents that satisfy the SQL condition ``cond``, in insertion order."""
        if self.dim is None:
            return []
        sql = f"SELECT key, text, metadata, embedding FROM {self._t} WHERE {cond} ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [self._record(r) for r in self.con.execute(sql, params).fetchall()]

    def search(self, vector: ArrayLike, k: int, cond: str = "1", params: Sequence[Any] = ()) -> list[Record]:
        """The ``k`` documents nearest to ``vector`` among those that satisfy ``cond`` (``?``
        placeholders bound from ``params``), nearest first, with their distances."""
        if self.dim is None or k <= 0:
            return []
        q = np.ascontiguousarray(np.asarray(vector, dtype=np.float32))
        if q.shape != (self.dim,):
            raise ValueError(f"the query embedding must have {self.dim} dimensions, got shape {q.shape}")
        sql = (
            f"SELECT key, text, metadata, embedding, {self._distance}(embedding, ?) AS distance "
            f"FROM {self._t} WHERE ({cond}) ORDER BY distance LIMIT ?"
        )
        rows = self.con.execute(sql, [q, *params, int(k)]).fetchall()
        return [self._record(r, float(r[4])) for r in rows]

    def count(self) -> int:
        if self.dim is None:
            return 0
        (n,) = self.con.execute(f"SELECT count(*) FROM {self._t}").fetchone()
        return int(n)

    def clear(self) -> None:
        """Deletes every document (the table and its index stay)."""
        self.delete_where("1")

    def close(self) -> None:
        """Closes the connection if this table opened it."""
        if self._owns:
            self.con.close()
