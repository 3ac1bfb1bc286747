"""embedlite.VectorIndex: the in-memory graph index without SQL, checked against exact search."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import embedlite


def recall(got: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(g) & set(t)) / len(t) for g, t in zip(got.tolist(), truth.tolist())]))


@pytest.mark.parametrize("kind", ["hnsw", "diskann"])
@pytest.mark.parametrize("metric", ["cosine", "l2", "dot"])
def test_recall_against_exact(kind: str, metric: str) -> None:
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3000, 24)).astype(np.float32)
    qs = rng.standard_normal((50, 24)).astype(np.float32)
    index = embedlite.VectorIndex(24, metric, kind)
    index.add(np.arange(100, 3100), x)
    assert len(index) == 3000 and index.dim == 24 and index.metric == metric and index.kind == kind
    ids, dist = index.search(qs, 10, search_l=100)
    assert ids.shape == dist.shape == (50, 10) and ids.dtype == np.int64 and dist.dtype == np.float64
    exact_ids, exact_dist = index.search(qs, 10, exact=True)
    assert recall(ids, exact_ids) >= 0.95
    # Exact search against numpy.
    x64 = x.astype(np.float64)
    for q, got in zip(qs.astype(np.float64), exact_dist):
        if metric == "l2":
            d = np.linalg.norm(x64 - q, axis=1)
        elif metric == "dot":
            d = -(x64 @ q)
        else:
            d = 1 - (x64 @ q) / (np.linalg.norm(x64, axis=1) * np.linalg.norm(q))
        np.testing.assert_allclose(got, np.sort(d)[:10], rtol=1e-4, atol=1e-4)
    # One query: 1-D arrays, same answer as the batch.
    one_ids, one_dist = index.search(qs[0], 10, search_l=100)
    assert one_ids.tolist() == ids[0].tolist()
    np.testing.assert_allclose(one_dist, dist[0])


def test_add_replace_remove_and_padding() -> None:
    index = embedlite.VectorIndex(3, "l2", max_neighbors=8, insert_l=32, search_l=16, seed=1)
    assert "max_neighbors=8" in index.options and "search_l=16" in index.options
    index.add([1, 2, 3], [[0, 0, 0], [1, 0, 0], [5, 5, 5]])  # lists work, cast to float32
    ids, dist = index.search([0.9, 0, 0], 5)
    assert ids.tolist() == [2, 1, 3]
    np.testing.assert_allclose(dist[:2], [0.1, 0.9], rtol=1e-6)
    ids2, dist2 = index.search(np.array([[0.9, 0, 0]]), 5)
    assert ids2.tolist() == [[2, 1, 3, -1, -1]] and np.isinf(dist2[0, 3:]).all()
    index.add(np.array([2], dtype=np.int32), np.array([[9.0, 9, 9]]))  # replaces id 2
    assert len(index) == 3
    assert index.search([0.9, 0, 0], 1)[0].tolist() == [1]
    assert index.remove([1, 42]) == 1
    assert 1 not in index and 2 in index and len(index) == 2
    assert index.memory_bytes > 0
    assert "len=2" in repr(index)
    assert index.search([0, 0, 0], 0)[0].shape == (0,)


def test_errors_leave_the_index_unchanged() -> None:
    index = embedlite.VectorIndex(4)
    with pytest.raises(ValueError, match="4"):
        index.add([1], np.zeros((1, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="2 ids for 1 vectors"):
        index.add([1, 2], np.zeros((1, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="2-D"):
        index.add([1], np.zeros(4, dtype=np.float32))
    bad = np.ones((3, 4), dtype=np.float32)
    bad[2, 1] = np.inf
    with pytest.raises(ValueError, match="finite"):
        index.add([1, 2, 3], bad)
    assert len(index) == 0
    with pytest.raises(ValueError, match="dimension"):
        index.search(np.zeros(5, dtype=np.float32), 1)
    with pytest.raises(ValueError):
        index.search(np.zeros((1, 1, 4), dtype=np.float32), 1)
    for metric, kind in [("hamming", "hnsw"), ("l2", "ivf"), ("l2,type=diskann", "hnsw")]:
        with pytest.raises(ValueError):
            embedlite.VectorIndex(4, metric, kind)
    with pytest.raises(ValueError):
        embedlite.VectorIndex(4, max_neighbors=100000)
    with pytest.raises(ValueError):
        embedlite.VectorIndex(0)


def test_searches_from_threads_while_adding() -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2000, 8)).astype(np.float32)
    index = embedlite.VectorIndex(8, "l2")
    index.add(np.arange(1000), x[:1000])
    errors: list[BaseException] = []

    def searcher() -> None:
        try:
            for q in x[:200]:
                ids, _ = index.search(q, 5)
                assert len(ids) == 5
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    for t in threads:
        t.start()
    index.add(np.arange(1000, 2000), x[1000:])
    for t in threads:
        t.join()
    assert not errors
    assert len(index) == 2000
