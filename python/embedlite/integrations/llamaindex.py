"""A LlamaIndex vector store over an embedlite table: ``pip install 'embedlite[llamaindex]'``.

::

    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.vector_stores import MetadataFilters, MetadataFilter
    from embedlite.integrations.llamaindex import EmbedliteVectorStore

    store = EmbedliteVectorStore("agent.db")
    index = VectorStoreIndex(nodes, storage_context=StorageContext.from_defaults(vector_store=store),
                             embed_model=embed_model)
    filters = MetadataFilters(filters=[MetadataFilter(key="user", value="alice")])
    index.as_retriever(similarity_top_k=4, filters=filters).retrieve("seating")

Nodes live in the table ``table_name`` (schema in ``embedlite.integrations._table``): the key is
the node id, ``text`` the node's text, ``metadata`` the node's metadata at the top level plus
LlamaIndex's own fields (``_node_content``, ``_node_type``, ``ref_doc_id``, ...: what
``node_to_metadata_dict`` writes, as every LlamaIndex store does). ``MetadataFilters`` become an
SQL condition applied inside the vector search: every ``FilterOperator`` (``==``, ``!=``, ``>``,
``>=``, ``<``, ``<=``, ``in``, ``nin``, ``any``, ``all``, ``contains``, ``text_match``,
``text_match_insensitive``, ``is_empty``), the conditions ``and``/``or``/``not``, and nested
``MetadataFilters``, with the semantics of LlamaIndex's ``SimpleVectorStore`` (which
``python/tests/test_integration_llamaindex.py`` compares against). Similarities: ``1 - distance``
for cosine, the inner product for dot, ``1 / (1 + distance)`` for l2 (higher is nearer).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional, Sequence, Union

from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.schema import BaseNode, MetadataMode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
    VectorStoreQueryResult,
)
from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict

import embedlite
from embedlite.integrations._table import KeyedTable, Record
from embedlite.memory import _json_path

__all__ = ["EmbedliteVectorStore", "filters_to_sql"]

_COMPARE = {
    FilterOperator.EQ: "=",
    FilterOperator.GT: ">",
    FilterOperator.GTE: ">=",
    FilterOperator.LT: "<",
    FilterOperator.LTE: "<=",
}


def _filter_sql(f: MetadataFilter, params: list[Any]) -> str:
    path = _json_path(f.key).replace("'", "''")
    expr = f"json_extract(metadata, '{path}')"
    each = f"json_each(metadata, '{path}')"
    op, value = f.operator, f.value
    values = list(value) if isinstance(value, list) else [value]
    marks = ", ".join("?" * len(values))
    if op == FilterOperator.IS_EMPTY:
        return f"({expr} IS NULL OR {expr} = '' OR (json_type(metadata, '{path}') = 'array' AND json_array_length(metadata, '{path}') = 0))"
    if op in _COMPARE:
        params.append(value)
        return f"{expr} {_COMPARE[op]} ?"
    if op == FilterOperator.NE:
        params.append(value)
        return f"({expr} IS NULL OR {expr} != ?)"
    if op == FilterOperator.IN:
        params.extend(values)
        return f"{expr} IN ({marks})" if values else "0"
    if op == FilterOperator.NIN:
        params.extend(values)
        return f"({expr} IS NULL OR {expr} NOT IN ({marks}))" if values else "1"
    if op == FilterOperator.CONTAINS:
        # `value in metadata_value`: an element of a list, or a substring of a text.
        params.extend([value, value])
        return (
            f"(CASE json_type(metadata, '{path}') WHEN 'array' THEN EXISTS (SELECT 1 FROM {each} WHERE value = ?) "
            f"WHEN 'text' THEN instr({expr}, ?) > 0 ELSE 0 END)"
        )
    if op == FilterOperator.ANY:
        params.extend(values)
        return f"EXISTS (SELECT 1 FROM {each} WHERE value IN ({marks}))" if values else "0"
    if op == FilterOperator.ALL:
        distinct = list(dict.fromkeys(values))
        params.extend(distinct)
        if not distinct:
            return "1"
        return (
            f"(SELECT count(DISTINCT value) FROM {each} WHERE value IN ({', '.join('?' * len(distinct))})) = {len(distinct)}"
        )
    if op in (FilterOperator.TEXT_MATCH, FilterOperator.TEXT_MATCH_INSENSITIVE):
        if not isinstance(value, str):
            raise TypeError(f"{op.value} needs a string value, got {value!r}")
        params.append(value)
        if op == FilterOperator.TEXT_MATCH:
            return f"(json_type(metadata, '{path}') = 'text' AND instr({expr}, ?) > 0)"
        return f"(json_type(metadata, '{path}') = 'text' AND instr(lower({expr}), lower(?)) > 0)"
    raise ValueError(f"unsupported filter operator {op!r}")


def filters_to_sql(filters: Optional[MetadataFilters], params: list[Any]) -> str:
    """The SQL condition for ``filters`` over the table's ``metadata`` column; its parameters are
    appended to ``params``."""
    if filters is None or not filters.filters:
        return "1"
    parts = [
        f"({filters_to_sql(f, params)})" if isinstance(f, MetadataFilters) else _filter_sql(f, params)
        for f in filters.filters
    ]
    condition = filters.condition or FilterCondition.AND
    if condition == FilterCondition.AND:
        return " AND ".join(parts)
    if condition == FilterCondition.OR:
        return "(" + " OR ".join(parts) + ")"
    if condition == FilterCondition.NOT:
        # LlamaIndex: true when none of the filters matches.
        return "NOT (" + " OR ".join(f"coalesce({p}, 0)" for p in parts) + ")"
    raise ValueError(f"unsupported filter condition {condition!r}")


class EmbedliteVectorStore(BasePydanticVectorStore):
    """LlamaIndex vector store backed by the embedlite file (or connection) ``connection``.

    ``metric`` is ``cosine`` (default), ``l2`` or ``dot``; ``dim`` is the embedding size (read
    from the table if it exists, else taken from the first nodes added).
    """

    stores_text: bool = True
    flat_metadata: bool = False
    table_name: str = "llamaindex"
    metric: str = "cosine"

    # A pydantic private attribute (a KeyedTable): `Any` because on the class it is pydantic's
    # descriptor, which mypy.stubtest checks the annotation against; `table` gives it its type.
    _table: Any = PrivateAttr()

    def __init__(
        self,
        connection: Union[str, Path, embedlite.Connection] = ":memory:",
        table_name: str = "llamaindex",
        metric: str = "cosine",
        dim: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        fields: dict[str, Any] = {"table_name": table_name, "metric": metric, **kwargs}
        super().__init__(**fields)
        self._table = KeyedTable(connection, table_name, dim, metric)

    @classmethod
    def class_name(cls) -> str:
        return "EmbedliteVectorStore"

    @property
    def client(self) -> embedlite.Connection:
        """The embedlite connection."""
        return self.table.con

    @property
    def table(self) -> KeyedTable:
        """The storage, with the connection (``.con``) for SQL of your own."""
        table: KeyedTable = self._table
        return table

    def add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> List[str]:
        """Stores the nodes (each must have an embedding), replacing nodes with the same id."""
        if not nodes:
            return []
        keys = [n.node_id for n in nodes]
        texts = [n.get_content(metadata_mode=MetadataMode.NONE) for n in nodes]
        metas = [node_to_metadata_dict(n, remove_text=True, flat_metadata=self.flat_metadata) for n in nodes]
        self._table.upsert(keys, texts, metas, [n.get_embedding() for n in nodes])
        return keys

    def delete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        """Deletes every node of the document ``ref_doc_id``."""
        self._table.delete_where("json_extract(metadata, '$.ref_doc_id') = ?", (ref_doc_id,))

    def _cond(self, node_ids: Optional[Sequence[str]], filters: Optional[MetadataFilters], params: list[Any]) -> str:
        conds = []
        if node_ids is not None:
            conds.append(f"key IN ({', '.join('?' * len(node_ids))})" if node_ids else "0")
            params.extend(node_ids)
        conds.append(filters_to_sql(filters, params))
        return " AND ".join(f"({c})" for c in conds)

    def delete_nodes(
        self,
        node_ids: Optional[List[str]] = None,
        filters: Optional[MetadataFilters] = None,
        **delete_kwargs: Any,
    ) -> None:
        """Deletes the nodes with these ids that pass ``filters`` (all nodes if both are None)."""
        if node_ids is not None and filters is None:
            self._table.delete(node_ids)
            return
        params: list[Any] = []
        self._table.delete_where(self._cond(node_ids, filters, params), params)

    def get_nodes(
        self,
        node_ids: Optional[List[str]] = None,
        filters: Optional[MetadataFilters] = None,
    ) -> List[BaseNode]:
        """The nodes with these ids that pass ``filters`` (with their embeddings)."""
        if node_ids is not None and filters is None:
            records = self._table.get(node_ids)
        else:
            params: list[Any] = []
            records = self._table.select(self._cond(node_ids, filters, params), params)
        return [self._node(r) for r in records]

    def clear(self) -> None:
        self._table.clear()

    @staticmethod
    def _node(r: Record) -> BaseNode:
        node = metadata_dict_to_node(r.metadata, r.text)
        node.embedding = [float(x) for x in r.embedding]
        return node

    def _similarity(self, distance: float) -> float:
        if self.metric == "cosine":
            return 1.0 - distance
        if self.metric == "dot":
            return -distance
        return 1.0 / (1.0 + distance)

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """The ``similarity_top_k`` nodes nearest to ``query.query_embedding`` that pass
        ``query.filters`` (and are among ``query.node_ids`` / belong to ``query.doc_ids`` when
        those are not empty)."""
        if query.mode != VectorStoreQueryMode.DEFAULT:
            raise NotImplementedError(f"EmbedliteVectorStore supports the default query mode only, not {query.mode}")
        if query.query_embedding is None:
            raise ValueError("EmbedliteVectorStore.query needs query.query_embedding")
        params: list[Any] = []
        # An empty node_ids / doc_ids list means "no restriction": VectorStoreIndex's retriever
        # passes node_ids=[] for stores that keep their own text.
        cond = self._cond(query.node_ids or None, query.filters, params)
        if query.doc_ids:
            cond += f" AND json_extract(metadata, '$.ref_doc_id') IN ({', '.join('?' * len(query.doc_ids))})"
            params.extend(query.doc_ids)
        records = self._table.search(query.query_embedding, query.similarity_top_k, cond, params)
        return VectorStoreQueryResult(
            nodes=[self._node(r) for r in records],
            similarities=[self._similarity(float(r.distance or 0.0)) for r in records],
            ids=[r.key for r in records],
        )

    def close(self) -> None:
        """Closes the connection if the store opened it."""
        self._table.close()
