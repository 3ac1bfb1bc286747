"""The split is deterministic; a changed dataset is detected by its checksums."""

import numpy as np
import pytest

from embedlite_datasets import checksums as ck
from embedlite_datasets import registry
from embedlite_datasets.split import seeded_split


def test_split_is_deterministic_and_disjoint():
    q1, b1 = seeded_split(1000, 10, 500, seed=3)
    q2, b2 = seeded_split(1000, 10, 500, seed=3)
    np.testing.assert_array_equal(q1, q2)
    np.testing.assert_array_equal(b1, b2)
    assert len(set(q1.tolist()) | set(b1.tolist())) == 510
    q3, b3 = seeded_split(1000, 10, None, seed=3)  # the full variant shares the queries
    np.testing.assert_array_equal(q1, q3)
    assert len(b3) == 990
    q4, _ = seeded_split(1000, 10, 500, seed=4)
    assert q4.tolist() != q1.tolist()
    with pytest.raises(ValueError):
        seeded_split(10, 11)


def test_checksums_notice_changes():
    a = ck.sha256_texts(["a", "b"])
    assert a == ck.sha256_texts(["a", "b"])
    assert a != ck.sha256_texts(["ab"])  # the separator matters
    assert ck.sha256_ids(np.arange(3)) == ck.sha256_ids(np.arange(3, dtype=np.int32))
    nb = np.arange(20).reshape(4, 5)
    whole, per = ck.neighbors_digest(nb)
    nb2 = nb.copy()
    nb2[2, 1] = 99
    whole2, per2 = ck.neighbors_digest(nb2)
    problems = ck.compare({"neighbors": whole2, "neighbors_per_query": per2},
                          {"neighbors": whole, "neighbors_per_query": per})
    assert problems == ["neighbors: 1 of 4 queries have a different top-k"]
    assert ck.compare({"texts": "x", "split": "s"}, {"texts": "y", "split": "s"})[0].startswith("texts:")


@pytest.fixture
def tiny_registry(tmp_path, monkeypatch):
    """A tiny random dataset registered under a test name, with its own cache and reference."""
    monkeypatch.setattr(registry, "REFERENCE_DIR", tmp_path / "ref")
    monkeypatch.setattr(registry, "N_QUERIES", 5)
    spec = registry.Spec("tiny-8", "l2", 8, "test", registry._random(200, 8, seed=1))
    monkeypatch.setitem(registry.SPECS, "tiny-8", spec)
    return tmp_path / "cache"


def test_build_verify_and_detect_change(tiny_registry):
    ds = registry.build("tiny-8", tiny_registry, progress=False)
    assert ds.base.shape == (200, 8) and ds.queries.shape == (5, 8) and ds.neighbors.shape == (5, 100)
    assert ds.manifest["matches_reference"] is True
    assert registry.verify("tiny-8", tiny_registry) == []
    # rebuilding (resume: nothing to do) gives the same checksums
    again = registry.build("tiny-8", tiny_registry, progress=False)
    assert again.manifest["checksums"] == ds.manifest["checksums"]
    # tamper with the cached ground truth: verify must notice
    nb = np.array(ds.neighbors)
    nb[0, :2] = nb[0, 1::-1]
    from embedlite_datasets.formats import write_npy

    write_npy(tiny_registry / "tiny-8" / "neighbors.npy", nb)
    problems = registry.verify("tiny-8", tiny_registry)
    assert problems and "1 of 5 queries" in problems[0]


def test_changed_source_is_reported_against_reference(tiny_registry, monkeypatch):
    registry.build("tiny-8", tiny_registry, progress=False)
    # same name, other data: the committed reference no longer matches
    spec = registry.Spec("tiny-8", "l2", 8, "test", registry._random(200, 8, seed=2))
    monkeypatch.setitem(registry.SPECS, "tiny-8", spec)
    ds = registry.build("tiny-8", tiny_registry, progress=False, force=True)
    assert ds.manifest["matches_reference"] is False
    assert any(p.startswith("source:") for p in ds.manifest["problems"])
    with pytest.raises(SystemExit):
        registry.build("tiny-8", tiny_registry, progress=False, strict=True)


def test_subset_recomputes_ground_truth(tiny_registry):
    ds = registry.build("tiny-8", tiny_registry, progress=False)
    sub = ds.subset(50, 3, k=10)
    from embedlite_datasets.groundtruth import naive_knn

    ids, _ = naive_knn(ds.base[:50], ds.queries[:3], 10, "l2")
    np.testing.assert_array_equal(sub.neighbors, ids)
