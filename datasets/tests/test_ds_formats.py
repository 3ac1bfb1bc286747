"""Each reader round-trips a file its writer made, and rejects damaged files."""

import numpy as np
import pytest

from embedlite_datasets import formats as f


@pytest.fixture
def rng():
    return np.random.default_rng(1)


def test_fvecs_round_trip(tmp_path, rng):
    x = rng.standard_normal((37, 17)).astype(np.float32)
    p = tmp_path / "a.fvecs"
    f.write_fvecs(p, x)
    assert p.stat().st_size == 37 * (4 + 17 * 4)
    np.testing.assert_array_equal(f.read_fvecs(p), x)
    np.testing.assert_array_equal(f.read_fvecs(p, mmap=False), x)
    np.testing.assert_array_equal(f.read_vectors(p), x)
    np.testing.assert_array_equal(f.read_fvecs(p, start=5, count=3), x[5:8])


def test_ivecs_round_trip(tmp_path, rng):
    x = rng.integers(-2**31, 2**31 - 1, size=(11, 100), dtype=np.int64).astype(np.int32)
    p = tmp_path / "gt.ivecs"
    f.write_ivecs(p, x)
    np.testing.assert_array_equal(f.read_ivecs(p), x)


def test_bvecs_round_trip(tmp_path, rng):
    x = rng.integers(0, 256, size=(9, 128), dtype=np.uint8)
    p = tmp_path / "b.bvecs"
    f.write_bvecs(p, x)
    y = f.read_bvecs(p)
    assert y.dtype == np.uint8
    np.testing.assert_array_equal(y, x)
    with pytest.raises(ValueError):
        f.write_bvecs(tmp_path / "bad.bvecs", np.array([[300]]))


def test_npy_round_trip(tmp_path, rng):
    x = rng.standard_normal((5, 3)).astype(np.float32)
    p = tmp_path / "x.npy"
    f.write_npy(p, x)
    np.testing.assert_array_equal(f.read_npy(p), x)
    np.testing.assert_array_equal(f.read_vectors(p), x)


def test_hdf5_round_trip(tmp_path, rng):
    pytest.importorskip("h5py")
    train = rng.standard_normal((50, 8)).astype(np.float32)
    test = rng.standard_normal((4, 8)).astype(np.float32)
    nb = rng.integers(0, 50, size=(4, 10)).astype(np.int32)
    dist = rng.random((4, 10)).astype(np.float32)
    p = tmp_path / "x.hdf5"
    f.write_hdf5(p, train, test, "cosine", nb, dist)
    out = f.read_hdf5(p)
    assert out["metric"] == "cosine"
    np.testing.assert_array_equal(out["train"], train)
    np.testing.assert_array_equal(out["test"], test)
    np.testing.assert_array_equal(out["neighbors"], nb)
    np.testing.assert_array_equal(out["distances"], dist)
    f.write_hdf5(p, train, test, "l2")
    out = f.read_hdf5(p)
    assert out["metric"] == "l2" and out["neighbors"] is None


def test_hdf5_rejects_bad_neighbors(tmp_path, rng):
    pytest.importorskip("h5py")
    p = tmp_path / "bad.hdf5"
    f.write_hdf5(p, np.zeros((5, 2)), np.zeros((1, 2)), "l2", np.array([[7]]))
    with pytest.raises(f.FormatError, match="outside"):
        f.read_hdf5(p)


def test_truncated_and_inconsistent_files_are_rejected(tmp_path, rng):
    p = tmp_path / "t.fvecs"
    f.write_fvecs(p, rng.standard_normal((3, 4)))
    data = p.read_bytes()
    p.write_bytes(data[:-1])
    with pytest.raises(f.FormatError, match="multiple of the record size"):
        f.read_fvecs(p)
    # second record claims another dimension
    bad = bytearray(data)
    bad[20:24] = np.int32(5).tobytes()
    p.write_bytes(bytes(bad))
    with pytest.raises(f.FormatError, match="record 1 has dimension 5"):
        f.read_fvecs(p)
    p.write_bytes(np.int32(-3).tobytes() + b"\0" * 8)
    with pytest.raises(f.FormatError, match="out of range"):
        f.read_fvecs(p)
    with pytest.raises(f.FormatError, match="unknown"):
        f.read_vectors(tmp_path / "x.csv")
