"""Vectors from numpy and lists: binding, bulk insert, reading back (embedlite only: sqlite3
rejects arrays and lists as parameters), plus the file read by sqlite3 afterwards."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import numpy.typing as npt
import pytest

import embedlite


@pytest.fixture
def con() -> Iterator[embedlite.Connection]:
    c = embedlite.connect(":memory:")
    c.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, emb BLOB)")
    yield c
    c.close()


def stored(con: embedlite.Connection, param: Any) -> bytes:
    blob: bytes = con.execute("SELECT ?", (param,)).fetchone()[0]
    return blob


def test_float32_array_binds_as_f32_blob(con: embedlite.Connection) -> None:
    v = np.array([1.0, -2.5, 3.25], dtype=np.float32)
    blob = stored(con, v)
    assert blob == v.tobytes() == struct.pack("<3f", 1.0, -2.5, 3.25)
    back = embedlite.vector_from_blob(blob)
    assert back.dtype == np.float32 and np.array_equal(back, v)
    # Read back without a copy: a read-only view of the bytes object.
    assert not back.flags.writeable


def test_float16_and_float64_carry_type_byte(con: embedlite.Connection) -> None:
    h = np.array([0.5, -1.0], dtype=np.float16)
    blob = stored(con, h)
    assert blob == h.tobytes() + b"\x05"
    assert embedlite.vector_from_blob(blob).dtype == np.float16
    d = np.array([0.1, 0.2], dtype=np.float64)
    blob = stored(con, d)
    assert blob == d.tobytes() + b"\x02"
    assert np.array_equal(embedlite.vector_from_blob(blob), d)
    assert embedlite.vector_from_blob(blob, np.float32).dtype == np.float32


def test_list_binds_as_float32(con: embedlite.Connection) -> None:
    assert stored(con, [1, 2.5, -3]) == np.array([1, 2.5, -3], dtype=np.float32).tobytes()
    assert embedlite.vector_blob([0.1, 0.2]) == np.array([0.1, 0.2], dtype=np.float32).tobytes()
    assert embedlite.vector_blob(np.arange(3, dtype=np.float32)) == np.arange(3, dtype=np.float32).tobytes()


def test_non_contiguous_array(con: embedlite.Connection) -> None:
    m = np.arange(12, dtype=np.float32).reshape(3, 4)
    column = m[:, 1]
    assert not column.flags.c_contiguous
    assert stored(con, column) == np.ascontiguousarray(column).tobytes()


def test_numpy_scalars_bind_as_numbers(con: embedlite.Connection) -> None:
    row = con.execute("SELECT ?, ?, ?", (np.int64(7), np.float32(0.5), np.int8(-3))).fetchone()
    assert row == (7, 0.5, -3)
    assert type(row[0]) is int and type(row[1]) is float


def test_bad_vectors(con: embedlite.Connection) -> None:
    with pytest.raises(embedlite.ProgrammingError, match="1-dimensional"):
        con.execute("SELECT ?", (np.zeros((2, 2), dtype=np.float32),))
    with pytest.raises(TypeError, match="float32"):
        con.execute("SELECT ?", (np.zeros(3, dtype=np.int64),))
    with pytest.raises(embedlite.ProgrammingError, match="at least one dimension"):
        con.execute("SELECT ?", (np.zeros(0, dtype=np.float32),))
    with pytest.raises(embedlite.ProgrammingError, match="at least one dimension"):
        con.execute("SELECT ?", ([],))
    with pytest.raises(embedlite.ProgrammingError, match="holds a 'str'"):
        con.execute("SELECT ?", ([1.0, "x"],))
    with pytest.raises(ValueError):
        embedlite.vector_from_blob(b"")
    with pytest.raises(ValueError, match="unknown type byte"):
        embedlite.vector_from_blob(b"\x00\x00\x09")


def test_insert_vectors_bulk(con: embedlite.Connection) -> None:
    rng = np.random.default_rng(7)
    vecs = rng.standard_normal((2500, 16)).astype(np.float32)
    assert con.insert_vectors("docs", "emb", vecs) == 2500
    assert con.in_transaction  # an INSERT: sqlite3's implicit transaction rules apply
    con.commit()
    rows = con.execute("SELECT id, emb FROM docs ORDER BY id").fetchall()
    assert [r[0] for r in rows] == list(range(1, 2501))
    back = embedlite.vectors_from_blobs(r[1] for r in rows)
    assert back.shape == (2500, 16) and np.array_equal(back, vecs)


def test_insert_vectors_with_ids_and_dtypes(con: embedlite.Connection) -> None:
    ids = np.arange(100, 110)
    vecs = np.ones((10, 3), dtype=np.float16)
    con.insert_vectors("docs", "emb", vecs, ids=ids)
    got = con.execute("SELECT id, emb FROM docs ORDER BY id").fetchall()
    assert [g[0] for g in got] == list(range(100, 110))
    assert all(g[1] == vecs[0].tobytes() + b"\x05" for g in got)
    con.execute("CREATE TABLE named(key INTEGER PRIMARY KEY, v BLOB)")
    con.insert_vectors("named", "v", np.zeros((2, 2)), ids=[5, 6], id_column="key")
    assert con.execute("SELECT key, length(v) FROM named").fetchall() == [(5, 17), (6, 17)]


def test_insert_vectors_errors(con: embedlite.Connection) -> None:
    with pytest.raises(ValueError, match="2 ids for 3 vectors"):
        con.insert_vectors("docs", "emb", np.zeros((3, 2), dtype=np.float32), ids=[1, 2])
    with pytest.raises(embedlite.ProgrammingError, match="2-D"):
        con.insert_vectors("docs", "emb", np.zeros(3, dtype=np.float32))
    with pytest.raises(TypeError):
        con.insert_vectors("docs", "emb", [[1.0, 2.0]])
    with pytest.raises(embedlite.OperationalError, match="no such table"):
        con.insert_vectors("nope", "emb", np.zeros((1, 2), dtype=np.float32))
    con.insert_vectors("docs", "emb", np.zeros((1, 2), dtype=np.float32), ids=[1])
    with pytest.raises(embedlite.IntegrityError):
        con.insert_vectors("docs", "emb", np.zeros((2, 2), dtype=np.float32), ids=[2, 1])
    # The failed row is undone; the one before it stays in the open transaction.
    assert con.execute("SELECT id FROM docs ORDER BY id").fetchall() == [(1,), (2,)]


def test_executemany_with_array_rows(con: embedlite.Connection) -> None:
    vecs = np.arange(20, dtype=np.float32).reshape(5, 4)
    con.executemany("INSERT INTO docs(id, emb) VALUES (?, ?)", zip(range(5), vecs))
    back = embedlite.vectors_from_blobs(b for (b,) in con.execute("SELECT emb FROM docs ORDER BY id"))
    assert np.array_equal(back, vecs)


def test_decode_other_libsql_types() -> None:
    # bfloat16: the upper 16 bits of the f32 pattern.
    bf = np.array([1.0, -2.0], dtype=np.float32).view(np.uint32) >> 16
    blob = bf.astype("<u2").tobytes() + b"\x06"
    assert np.array_equal(embedlite.vector_from_blob(blob), [1.0, -2.0])
    # float8: codes, padding to 4, alpha, shift, 0, pad, 0x04 (n = 3, p = 1).
    blob = bytes([0, 1, 255]) + b"\x00" + struct.pack("<ff", 0.5, -1.0) + bytes([0, 1, 4])
    assert np.allclose(embedlite.vector_from_blob(blob), [-1.0, -0.5, 126.5])
    # float1bit: 10 dims -> 2 data bytes (even: a pad byte), t = 8 * 4 - 10 = 22, 0x03.
    blob = bytes([0b0000_0101, 0b0000_0010, 0, 22, 3])
    assert embedlite.vector_from_blob(blob).tolist() == [1, -1, 1, -1, -1, -1, -1, -1, -1, 1]
    assert embedlite.vectors_from_blobs([]).shape == (0, 0)
    with pytest.raises(ValueError, match="different dimensions"):
        embedlite.vectors_from_blobs([b"\x00" * 4, b"\x00" * 8])


def test_sqlite3_reads_vectors_written_by_embedlite(tmp_path: Path) -> None:
    path = str(tmp_path / "vec.db")
    vecs: npt.NDArray[np.float32] = np.random.default_rng(1).random((300, 8), dtype=np.float32)
    con = embedlite.connect(path)
    con.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, emb BLOB)")
    con.insert_vectors("docs", "emb", vecs, ids=range(300))
    con.commit()
    con.close()
    s = sqlite3.connect(path)
    assert s.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    blobs = [b for (b,) in s.execute("SELECT emb FROM docs ORDER BY id")]
    s.close()
    assert np.array_equal(embedlite.vectors_from_blobs(blobs), vecs)
