"""The vector index from Python: libSQL's SQL surface with numpy arrays as parameters, recall
against exact numpy search on clustered data, filtered search, transactions, and the file opened
by the standard sqlite3 module afterwards."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

import embedlite

Matrix = npt.NDArray[np.float32]


def clustered(rng: np.random.Generator, n: int, d: int) -> Matrix:
    centers = rng.normal(size=(20, d)).astype(np.float32)
    labels = rng.integers(0, len(centers), size=n)
    out: Matrix = (centers[labels] + 0.35 * rng.normal(size=(n, d))).astype(np.float32)
    return out


def exact_cosine(base: Matrix, q: npt.NDArray[np.float32], k: int, mask: npt.NDArray[np.bool_] | None = None) -> list[int]:
    b = base / np.linalg.norm(base, axis=1, keepdims=True)
    d = 1.0 - b @ (q / np.linalg.norm(q))
    if mask is not None:
        d = np.where(mask, d, np.inf)
    order = np.argsort(d, kind="stable")[:k]
    return [int(i) + 1 for i in order if np.isfinite(d[i])]


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[embedlite.Connection, Matrix, Path]:
    rng = np.random.default_rng(5)
    base = clustered(rng, 4000, 24)
    path = tmp_path / "v.db"
    con = embedlite.connect(str(path))
    con.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, tag INTEGER, emb F32_BLOB(24))")
    con.executemany("INSERT INTO docs VALUES (?, ?, ?)", [(i + 1, i % 50, base[i]) for i in range(len(base))])
    con.commit()
    con.execute("CREATE INDEX docs_idx ON docs(libsql_vector_idx(emb, 'metric=cosine'))")
    con.commit()
    return con, base, path


def test_top_k_recall_and_order_by(loaded: tuple[embedlite.Connection, Matrix, Path]) -> None:
    con, base, _ = loaded
    rng = np.random.default_rng(6)
    queries = clustered(rng, 40, 24)
    hits = 0
    for q in queries:
        want = exact_cosine(base, q, 10)
        got = [r[0] for r in con.execute("SELECT id FROM vector_top_k('docs_idx', ?, 10)", (q,))]
        hits += len(set(got) & set(want))
        by_order = [r[0] for r in con.execute("SELECT id FROM docs ORDER BY vector_distance_cos(emb, ?) LIMIT 10", (q,))]
        assert by_order == got
    recall = hits / (10 * len(queries))
    assert recall >= 0.95, recall


def test_filtered_search(loaded: tuple[embedlite.Connection, Matrix, Path]) -> None:
    con, base, _ = loaded
    tags = np.arange(len(base)) % 50
    rng = np.random.default_rng(7)
    hits = total = 0
    for q in clustered(rng, 20, 24):
        want = exact_cosine(base, q, 10, tags == 7)
        got = [r[0] for r in con.execute(
            "SELECT id FROM docs WHERE tag = 7 ORDER BY vector_distance_cos(emb, ?) LIMIT 10", (q,))]
        assert len(got) == 10
        hits += len(set(got) & set(want))
        total += len(want)
    assert hits / total >= 0.9


def test_transactions_and_sqlite3_reads_the_file(loaded: tuple[embedlite.Connection, Matrix, Path]) -> None:
    con, base, path = loaded
    q = base[10]
    con.execute("DELETE FROM docs WHERE id = 11")
    assert 11 not in [r[0] for r in con.execute("SELECT id FROM vector_top_k('docs_idx', ?, 5)", (q,))]
    con.rollback()
    assert [r[0] for r in con.execute("SELECT id FROM vector_top_k('docs_idx', ?, 1)", (q,))] == [11]
    with pytest.raises(embedlite.OperationalError, match="24 dimensions"):
        con.execute("SELECT id FROM vector_top_k('docs_idx', ?, 1)", (q[:5],))
    con.close()
    s = sqlite3.connect(path)
    assert s.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert s.execute("SELECT count(*) FROM docs").fetchone() == (4000,)
    s.close()
