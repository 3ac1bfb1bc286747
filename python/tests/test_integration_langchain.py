"""embedlite.integrations.langchain: LangChain's own standard vector-store suite
(``langchain_tests.integration_tests.VectorStoreIntegrationTests``: every sync and async test it
defines runs against the store), then filters, scores, MMR and persistence."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

pytest.importorskip("langchain_tests")

from langchain_core.documents import Document  # noqa: E402
from langchain_core.vectorstores import VectorStore  # noqa: E402
from langchain_tests.integration_tests import VectorStoreIntegrationTests  # noqa: E402

import embedlite  # noqa: E402
from embedlite.integrations.langchain import EmbedliteVectorStore  # noqa: E402


class TestEmbedliteStandard(VectorStoreIntegrationTests):
    """The upstream suite, unchanged: an empty in-memory store per test."""

    @pytest.fixture()
    def vectorstore(self) -> Iterator[VectorStore]:
        store = EmbedliteVectorStore(self.get_embeddings())
        yield store
        store.close()


class TestEmbedliteStandardOnFile(VectorStoreIntegrationTests):
    """The upstream suite again, on a database file and with the l2 metric."""

    @pytest.fixture()
    def vectorstore(self, tmp_path: Path) -> Iterator[VectorStore]:
        store = EmbedliteVectorStore(self.get_embeddings(), tmp_path / "lc.db", table="docs", metric="l2")
        yield store
        store.close()


def _docs() -> list[Document]:
    return [
        Document("the cat sat on the mat", metadata={"user": "ann", "year": 2019}, id="a"),
        Document("dogs chase cats", metadata={"user": "bob", "year": 2021}, id="b"),
        Document("a cat and a dog", metadata={"user": "ann", "year": 2023}, id="c"),
        Document("stock markets fell", metadata={"user": "cy", "year": 2023}, id="d"),
    ]


def test_filters_scores_and_mmr() -> None:
    store = EmbedliteVectorStore(VectorStoreIntegrationTests.get_embeddings())
    assert store.add_documents(_docs()) == ["a", "b", "c", "d"]
    hits = store.similarity_search("the cat sat on the mat", k=4, filter={"user": "ann"})
    assert [d.id for d in hits] == ["a", "c"]
    hits = store.similarity_search("x", k=4, filter={"year": {"$gte": 2021}, "user": {"$ne": "cy"}})
    assert sorted(d.id or "" for d in hits) == ["b", "c"]
    hits = store.similarity_search("x", k=4, filter="json_extract(metadata, '$.year') < ?", params=(2020,))
    assert [d.id for d in hits] == ["a"]
    scored = store.similarity_search_with_score("the cat sat on the mat", k=1)
    assert scored[0][0].id == "a" and scored[0][1] == pytest.approx(0.0, abs=1e-6)
    rel = store.similarity_search_with_relevance_scores("the cat sat on the mat", k=2)
    assert rel[0][1] == pytest.approx(1.0, abs=1e-6) and 0.0 <= rel[1][1] <= 1.0
    mmr = store.max_marginal_relevance_search("the cat sat on the mat", k=2, fetch_k=4)
    assert len(mmr) == 2 and mmr[0].id == "a"
    retriever = store.as_retriever(search_kwargs={"k": 1, "filter": {"user": "bob"}})
    assert [d.id for d in retriever.invoke("anything")] == ["b"]
    store.delete()
    assert store.similarity_search("x", k=4) == []


def test_persists_and_is_plain_sql(tmp_path: Path) -> None:
    path = tmp_path / "lc.db"
    emb = VectorStoreIntegrationTests.get_embeddings()
    store = EmbedliteVectorStore.from_texts(["one", "two"], emb, [{"n": 1}, {"n": 2}], ids=["x", "y"], connection=path)
    store.close()
    again = EmbedliteVectorStore(emb, path)
    assert [d.page_content for d in again.get_by_ids(["y", "x", "zz"])] == ["two", "one"]
    again.close()
    con = embedlite.connect(str(path))
    try:
        assert con.execute("SELECT key, text, metadata ->> 'n' FROM langchain ORDER BY key").fetchall() == [
            ("x", "one", 1),
            ("y", "two", 2),
        ]
    finally:
        con.close()
    with pytest.raises(ValueError, match="6 dimensions"):
        EmbedliteVectorStore(emb, path).similarity_search_by_vector([1.0, 2.0])
