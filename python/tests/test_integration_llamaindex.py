"""embedlite.integrations.llamaindex against LlamaIndex's documented vector-store contract.

llama-index-core ships no reusable test suite for vector stores, so the reference here is its
own in-memory ``SimpleVectorStore``: the same nodes go into both, and every query (each
``FilterOperator``, each ``FilterCondition``, node-id restrictions) must return the same nodes
with the same similarities. Then the store runs under ``VectorStoreIndex`` end to end."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

pytest.importorskip("llama_index.core")

from llama_index.core import StorageContext, VectorStoreIndex  # noqa: E402
from llama_index.core.embeddings import MockEmbedding  # noqa: E402
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode  # noqa: E402
from llama_index.core.vector_stores import SimpleVectorStore  # noqa: E402
from llama_index.core.vector_stores.types import (  # noqa: E402
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)

import embedlite  # noqa: E402
from embedlite.integrations.llamaindex import EmbedliteVectorStore  # noqa: E402

DIM = 8
USERS = ["ann", "bob", "cy"]
TAGS = ["red", "green", "blue", "cyan"]
WORDS = ["Alpha", "beta", "gamma", "Delta"]


def make_nodes(n: int, seed: int = 0) -> list[TextNode]:
    rnd = random.Random(seed)
    rng = np.random.default_rng(seed)
    nodes = []
    for i in range(n):
        meta: dict[str, Any] = {}
        if i % 7 != 0:
            meta["user"] = rnd.choice(USERS)
        if i % 5 != 0:
            meta["year"] = rnd.randint(2015, 2025)
        if i % 3 != 0:
            meta["tags"] = rnd.sample(TAGS, rnd.randint(0, 3))
        if i % 4 != 0:
            meta["title"] = " ".join(rnd.sample(WORDS, 2))
        if i % 11 == 0:
            meta["title"] = ""
        node = TextNode(id_=f"n{i}", text=f"text {i}", metadata=meta, embedding=rng.standard_normal(DIM).tolist())
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=f"doc{i % 4}")
        nodes.append(node)
    return nodes


def F(key: str, value: Any, op: FilterOperator = FilterOperator.EQ) -> MetadataFilter:
    return MetadataFilter(key=key, value=value, operator=op)


FILTERS: list[MetadataFilters] = [
    MetadataFilters(filters=[F("user", "ann")]),
    MetadataFilters(filters=[F("user", "ann", FilterOperator.NE)]),
    MetadataFilters(filters=[F("year", 2020, FilterOperator.GT)]),
    MetadataFilters(filters=[F("year", 2020, FilterOperator.GTE)]),
    MetadataFilters(filters=[F("year", 2018, FilterOperator.LT)]),
    MetadataFilters(filters=[F("year", 2018, FilterOperator.LTE)]),
    MetadataFilters(filters=[F("year", 2020.5, FilterOperator.LT)]),
    MetadataFilters(filters=[F("user", ["ann", "cy"], FilterOperator.IN)]),
    MetadataFilters(filters=[F("user", ["ann", "cy"], FilterOperator.NIN)]),
    MetadataFilters(filters=[F("year", [2016, 2019], FilterOperator.IN)]),
    MetadataFilters(filters=[F("tags", "red", FilterOperator.CONTAINS)]),
    MetadataFilters(filters=[F("title", "lph", FilterOperator.CONTAINS)]),
    MetadataFilters(filters=[F("tags", ["red", "blue"], FilterOperator.ANY)]),
    MetadataFilters(filters=[F("tags", ["red", "blue"], FilterOperator.ALL)]),
    MetadataFilters(filters=[F("title", "Alpha", FilterOperator.TEXT_MATCH)]),
    MetadataFilters(filters=[F("title", "alpha", FilterOperator.TEXT_MATCH)]),
    MetadataFilters(filters=[F("title", "alpha", FilterOperator.TEXT_MATCH_INSENSITIVE)]),
    MetadataFilters(filters=[F("tags", None, FilterOperator.IS_EMPTY)]),
    MetadataFilters(filters=[F("title", None, FilterOperator.IS_EMPTY)]),
    MetadataFilters(filters=[F("user", "bob"), F("year", 2020, FilterOperator.GTE)]),
    MetadataFilters(filters=[F("user", "bob"), F("year", 2020, FilterOperator.GTE)], condition=FilterCondition.OR),
    MetadataFilters(filters=[F("user", "bob"), F("year", 2020, FilterOperator.GTE)], condition=FilterCondition.NOT),
    MetadataFilters(filters=[F("user", "nobody")]),
    MetadataFilters(filters=[]),
]


@pytest.fixture(scope="module")
def stores() -> Iterator[tuple[SimpleVectorStore, EmbedliteVectorStore]]:
    nodes = make_nodes(300)
    ref = SimpleVectorStore()
    ref.add(nodes)
    ours = EmbedliteVectorStore()
    assert ours.add(nodes) == [n.node_id for n in nodes]
    yield ref, ours
    ours.close()


@pytest.mark.parametrize("filters", FILTERS, ids=[f"f{i}" for i in range(len(FILTERS))])
def test_query_matches_simple_vector_store(
    stores: tuple[SimpleVectorStore, EmbedliteVectorStore], filters: MetadataFilters
) -> None:
    ref, ours = stores
    q = np.random.default_rng(99).standard_normal(DIM).tolist()
    for k in (5, 1000):
        query = VectorStoreQuery(query_embedding=q, similarity_top_k=k, filters=filters)
        want, got = ref.query(query), ours.query(query)
        assert got.ids == want.ids
        np.testing.assert_allclose(got.similarities or [], want.similarities or [], atol=1e-5)
        assert got.nodes is not None
        assert [n.get_content() for n in got.nodes] == [f"text {i[1:]}" for i in got.ids or []]
    # get_nodes with the same filters selects the same set.
    assert {n.node_id for n in ours.get_nodes(filters=filters)} == set(want.ids or [])


def test_node_ids_doc_ids_and_roundtrip(stores: tuple[SimpleVectorStore, EmbedliteVectorStore]) -> None:
    ref, ours = stores
    q = np.random.default_rng(5).standard_normal(DIM).tolist()
    query = VectorStoreQuery(query_embedding=q, similarity_top_k=3, node_ids=["n1", "n2", "n3", "n4", "n999"])
    assert ours.query(query).ids == ref.query(query).ids
    res = ours.query(VectorStoreQuery(query_embedding=q, similarity_top_k=500, doc_ids=["doc1"]))
    assert res.ids is not None and len(res.ids) == 75 and all(int(i[1:]) % 4 == 1 for i in res.ids)
    node = ours.get_nodes(node_ids=["n7", "n8"])[1]
    original = make_nodes(300)[8]
    assert (node.node_id, node.get_content(), node.metadata, node.ref_doc_id) == (
        "n8",
        "text 8",
        original.metadata,
        "doc0",
    )
    np.testing.assert_allclose(node.get_embedding(), original.get_embedding(), rtol=1e-6)


def test_delete_paths() -> None:
    store = EmbedliteVectorStore()
    store.add(make_nodes(40))
    store.delete("doc1")
    assert store.table.count() == 30
    store.delete_nodes(node_ids=["n0", "n2", "missing"])
    assert store.table.count() == 28
    store.delete_nodes(filters=MetadataFilters(filters=[F("user", "ann")]))
    assert all(n.metadata.get("user") != "ann" for n in store.get_nodes())
    store.delete_nodes(node_ids=["n4", "n6"], filters=MetadataFilters(filters=[F("user", "nobody")]))
    assert {"n4", "n6"} <= {n.node_id for n in store.get_nodes(node_ids=["n4", "n6"])}
    store.clear()
    assert store.get_nodes() == []


def test_vector_store_index_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "li.db"
    nodes = make_nodes(20)
    for n in nodes:
        n.embedding = None  # the index embeds them
    store = EmbedliteVectorStore(path, table_name="nodes")
    index = VectorStoreIndex(
        nodes,
        storage_context=StorageContext.from_defaults(vector_store=store),
        embed_model=MockEmbedding(embed_dim=DIM),
    )
    filters = MetadataFilters(filters=[F("user", "bob")])
    got = index.as_retriever(similarity_top_k=50, filters=filters).retrieve("anything")
    assert got and all(r.node.metadata["user"] == "bob" for r in got)
    assert {r.node.node_id for r in got} == {n.node_id for n in nodes if n.metadata.get("user") == "bob"}
    index.delete_ref_doc("doc2")
    store.close()
    # Reopened from the file: the rows are there (and plain SQL sees them).
    again = EmbedliteVectorStore(path, table_name="nodes")
    assert again.table.count() == 15 and again.table.dim == DIM
    with pytest.raises(ValueError, match="8-d embeddings, not 4-d"):
        EmbedliteVectorStore(path, table_name="nodes", dim=4)
    con = embedlite.connect(str(path))
    try:
        (n,) = con.execute("SELECT count(*) FROM nodes WHERE metadata ->> 'ref_doc_id' = 'doc1'").fetchone()
        assert n == 5
    finally:
        con.close()
    again.close()
