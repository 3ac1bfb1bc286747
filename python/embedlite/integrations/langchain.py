"""A LangChain vector store over an embedlite table: ``pip install 'embedlite[langchain]'``.

::

    from langchain_core.documents import Document
    from embedlite.integrations.langchain import EmbedliteVectorStore

    store = EmbedliteVectorStore(embeddings, "agent.db")          # any LangChain Embeddings
    store.add_documents([Document("Alice prefers window seats", metadata={"user": "alice"})])
    store.similarity_search("seating", k=4, filter={"user": "alice"})
    store.as_retriever(search_kwargs={"k": 4, "filter": "json_extract(metadata, '$.year') > 2020"})

Documents live in the table ``table`` (schema in ``embedlite.integrations._table``): ids are the
documents' string ids (a UUID4 when a document has none), adding an id that exists replaces
it. ``filter`` is a dict of metadata conditions (``embedlite.memory.metadata_filter``:
equality, lists for "any of", ``$gt``/``$in``/... operators, ``$and``/``$or``) or an SQL
condition over the columns with ``params``; it is applied inside the vector search. Passes the
standard tests of ``langchain-tests`` (``python/tests/test_integration_langchain.py``).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore
from langchain_core.vectorstores.utils import maximal_marginal_relevance

import embedlite
from embedlite.integrations._table import KeyedTable, Record
from embedlite.memory import metadata_filter

__all__ = ["EmbedliteVectorStore"]

Filter = Union[Mapping[str, Any], str, None]


class EmbedliteVectorStore(VectorStore):
    """LangChain ``VectorStore`` backed by the embedlite file (or connection) ``connection``.

    ``embedding`` embeds documents and queries; ``metric`` is ``cosine`` (default), ``l2`` or
    ``dot``. The table is created on the first write (its embedding size is the first
    embedding's) or reused if it exists.
    """

    def __init__(
        self,
        embedding: Embeddings,
        connection: Union[str, Path, embedlite.Connection] = ":memory:",
        *,
        table: str = "langchain",
        metric: str = "cosine",
    ) -> None:
        self._embedding = embedding
        self._table = KeyedTable(connection, table, None, metric)

    @property
    def embeddings(self) -> Embeddings:
        return self._embedding

    @property
    def table(self) -> KeyedTable:
        """The storage, with the connection (``.con``) for SQL of your own."""
        return self._table

    # -- writes --------------------------------------------------------------------------------
    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: Optional[list[dict[str, Any]]] = None,
        *,
        ids: Optional[list[str]] = None,
        **kwargs: Any,
    ) -> list[str]:
        """Embeds and stores ``texts``; returns their ids (generated where ``ids`` has none)."""
        texts = list(texts)
        if metadatas is not None and len(metadatas) != len(texts):
            raise ValueError(f"{len(metadatas)} metadatas for {len(texts)} texts")
        if ids is not None and len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids for {len(texts)} texts")
        if not texts:
            return []
        given: list[Optional[str]] = list(ids) if ids else [None] * len(texts)
        keys = [str(i) if i is not None else str(uuid.uuid4()) for i in given]
        vectors = self._embedding.embed_documents(texts)
        self._table.upsert(keys, texts, list(metadatas or [{}] * len(texts)), vectors)
        return keys

    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        ids = kwargs.pop("ids", None)
        if ids is None:
            ids = [doc.id for doc in documents]
        return self.add_texts(
            [d.page_content for d in documents], [dict(d.metadata) for d in documents], ids=ids, **kwargs
        )

    def delete(self, ids: Optional[list[str]] = None, **kwargs: Any) -> Optional[bool]:
        """Deletes the documents with ``ids`` (all of them if ``ids`` is ``None``); missing ids
        are ignored."""
        if ids is None:
            self._table.clear()
        else:
            self._table.delete([str(i) for i in ids])
        return True

    # -- reads ---------------------------------------------------------------------------------
    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        return [self._document(r) for r in self._table.get([str(i) for i in ids])]

    @staticmethod
    def _document(r: Record) -> Document:
        return Document(id=r.key, page_content=r.text, metadata=r.metadata)

    def _records(self, embedding: Sequence[float], k: int, filter: Filter, params: Sequence[Any]) -> list[Record]:
        if filter is None:
            cond, args = "1", list(params)
        elif isinstance(filter, str):
            cond, args = filter, list(params)
        else:
            cond, args = metadata_filter(filter)
        return self._table.search(embedding, k, cond, args)

    def similarity_search_by_vector_with_score(
        self,
        embedding: Sequence[float],
        k: int = 4,
        filter: Filter = None,
        params: Sequence[Any] = (),
        **kwargs: Any,
    ) -> list[tuple[Document, float]]:
        """The ``k`` nearest documents to ``embedding`` that pass ``filter``, with distances
        (smaller is nearer)."""
        return [(self._document(r), float(r.distance or 0.0)) for r in self._records(embedding, k, filter, params)]

    def similarity_search_with_score(
        self, query: str, k: int = 4, filter: Filter = None, params: Sequence[Any] = (), **kwargs: Any
    ) -> list[tuple[Document, float]]:
        return self.similarity_search_by_vector_with_score(
            self._embedding.embed_query(query), k, filter, params, **kwargs
        )

    def similarity_search_by_vector(
        self, embedding: list[float], k: int = 4, filter: Filter = None, params: Sequence[Any] = (), **kwargs: Any
    ) -> list[Document]:
        return [d for d, _ in self.similarity_search_by_vector_with_score(embedding, k, filter, params, **kwargs)]

    def similarity_search(
        self, query: str, k: int = 4, filter: Filter = None, params: Sequence[Any] = (), **kwargs: Any
    ) -> list[Document]:
        return [d for d, _ in self.similarity_search_with_score(query, k, filter, params, **kwargs)]

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        return {
            "cosine": self._cosine_relevance_score_fn,
            "l2": self._euclidean_relevance_score_fn,
            "dot": self._max_inner_product_relevance_score_fn,
        }[self._table.metric]

    def max_marginal_relevance_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Filter = None,
        params: Sequence[Any] = (),
        **kwargs: Any,
    ) -> list[Document]:
        records = self._records(embedding, fetch_k, filter, params)
        if not records:
            return []
        chosen = maximal_marginal_relevance(
            np.asarray(embedding, dtype=np.float32),
            [r.embedding.tolist() for r in records],
            lambda_mult=lambda_mult,
            k=k,
        )
        return [self._document(records[i]) for i in chosen]

    def max_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Filter = None,
        params: Sequence[Any] = (),
        **kwargs: Any,
    ) -> list[Document]:
        return self.max_marginal_relevance_search_by_vector(
            self._embedding.embed_query(query), k, fetch_k, lambda_mult, filter, params, **kwargs
        )

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: Optional[list[dict[str, Any]]] = None,
        *,
        ids: Optional[list[str]] = None,
        connection: Union[str, Path, embedlite.Connection] = ":memory:",
        table: str = "langchain",
        metric: str = "cosine",
        **kwargs: Any,
    ) -> EmbedliteVectorStore:
        store = cls(embedding, connection, table=table, metric=metric)
        store.add_texts(texts, metadatas, ids=ids)
        return store

    def close(self) -> None:
        """Closes the connection if the store opened it."""
        self._table.close()
