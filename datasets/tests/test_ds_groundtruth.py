"""The blocked brute force equals the obvious computation."""

import numpy as np
import pytest

from embedlite_datasets.groundtruth import exact_knn, naive_knn


@pytest.mark.parametrize("metric", ["cosine", "l2", "ip"])
def test_exact_knn_matches_naive(metric):
    seed = 7
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((523, 13)).astype(np.float32)
    queries = rng.standard_normal((41, 13)).astype(np.float32)
    # small blocks so that the block merging is exercised
    ids, d = exact_knn(base, queries, 20, metric, query_block=8, base_block=97, margin=4)
    nids, nd = naive_knn(base, queries, 20, metric)
    assert ids.dtype == np.int32 and ids.shape == (41, 20)
    np.testing.assert_array_equal(ids, nids, err_msg=f"seed={seed}")
    np.testing.assert_allclose(d, nd, rtol=1e-6, atol=1e-6)


def test_ties_go_to_the_smaller_id():
    base = np.array([[1, 0], [0, 1], [1, 0], [2, 0]], dtype=np.float32)
    ids, d = exact_knn(base, np.array([[1, 0]], dtype=np.float32), 3, "cosine")
    assert ids.tolist() == [[0, 2, 3]]  # three vectors at cosine distance 0, by id
    assert np.allclose(d, 0)
    ids, _ = exact_knn(base, np.array([[1, 0]], dtype=np.float32), 2, "l2")
    assert ids.tolist() == [[0, 2]]


def test_k_larger_than_base():
    base = np.eye(3, dtype=np.float32)
    ids, _ = exact_knn(base, base, 10, "l2")
    assert ids.shape == (3, 3)
    assert ids[:, 0].tolist() == [0, 1, 2]
