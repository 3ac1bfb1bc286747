"""The DB-API, run against embedlite and sqlite3 with the same test bodies (see conftest.py)."""

from __future__ import annotations

import os
import types
from pathlib import Path
from typing import Any, Callable

import pytest

import embedlite


def make_table(con: embedlite.Connection) -> None:
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, data BLOB)")
    con.executemany(
        "INSERT INTO t(name, score, data) VALUES (?, ?, ?)",
        [("ann", 1.5, b"\x00\x01"), ("bob", None, None), ("cid", -2.25, b"")],
    )
    con.commit()


# --- module attributes ---------------------------------------------------------------------------


def test_module_attributes(mod: types.ModuleType) -> None:
    assert mod.apilevel == "2.0"
    assert mod.paramstyle == "qmark"
    assert mod.threadsafety in (1, 2, 3)
    assert isinstance(mod.sqlite_version, str)
    assert tuple(mod.sqlite_version_info) >= (3, 35, 0)
    assert mod.Binary is memoryview
    assert mod.complete_statement("SELECT 1;")
    assert not mod.complete_statement("SELECT 'a;")
    assert not mod.complete_statement("SELECT 1")


def test_exception_hierarchy(mod: types.ModuleType, con: embedlite.Connection) -> None:
    assert issubclass(mod.Warning, Exception)
    assert issubclass(mod.Error, Exception)
    assert issubclass(mod.InterfaceError, mod.Error)
    assert issubclass(mod.DatabaseError, mod.Error)
    for name in ["DataError", "OperationalError", "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError"]:
        assert issubclass(getattr(mod, name), mod.DatabaseError), name
        # PEP 249's optional extension: the classes are attributes of connections too.
        assert getattr(con, name) is getattr(mod, name)


# --- queries and results ---------------------------------------------------------------------------


def test_roundtrip_types(con: embedlite.Connection) -> None:
    values: list[Any] = [None, 0, -1, 2**63 - 1, -(2**63), 1.5, -0.0, 1e300, "", "héllo ☃ 𝄞", b"", b"\x00\xff" * 100, True]
    con.execute("CREATE TABLE v(x)")
    con.executemany("INSERT INTO v VALUES (?)", [(v,) for v in values])
    got = [r[0] for r in con.execute("SELECT x FROM v ORDER BY rowid")]
    expect = [int(v) if isinstance(v, bool) else v for v in values]
    assert got == expect
    assert [type(g) for g in got] == [type(e) for e in expect]


def test_blob_like_parameters(con: embedlite.Connection) -> None:
    row = con.execute("SELECT ?, ?, ?", (bytearray(b"ab"), memoryview(b"cd"), b"ef")).fetchone()
    assert row == (b"ab", b"cd", b"ef")


def test_select_fetch_methods(con: embedlite.Connection) -> None:
    make_table(con)
    cur = con.execute("SELECT id, name FROM t ORDER BY id")
    assert cur.fetchone() == (1, "ann")
    assert cur.fetchmany(1) == [(2, "bob")]
    assert cur.fetchall() == [(3, "cid")]
    assert cur.fetchone() is None
    assert cur.fetchall() == []
    assert cur.fetchmany() == []


def test_fetchmany_arraysize(con: embedlite.Connection) -> None:
    make_table(con)
    cur = con.cursor()
    assert cur.arraysize == 1
    cur.arraysize = 2
    cur.execute("SELECT id FROM t ORDER BY id")
    assert cur.fetchmany() == [(1,), (2,)]
    assert cur.fetchmany(5) == [(3,)]


def test_iteration(con: embedlite.Connection) -> None:
    make_table(con)
    cur = con.execute("SELECT name FROM t ORDER BY id")
    assert iter(cur) is cur
    assert [name for (name,) in cur] == ["ann", "bob", "cid"]
    assert list(con.execute("SELECT 1 WHERE 0")) == []


def test_description(con: embedlite.Connection) -> None:
    make_table(con)
    cur = con.cursor()
    assert cur.description is None
    cur.execute("SELECT id, name AS who, score * 2 FROM t WHERE 0")
    assert cur.description is not None
    assert [d[0] for d in cur.description] == ["id", "who", "score * 2"]
    assert all(len(d) == 7 and d[1:] == (None,) * 6 for d in cur.description)
    cur.execute("INSERT INTO t(name) VALUES ('x')")
    assert cur.description is None


def test_rowcount_and_lastrowid(con: embedlite.Connection) -> None:
    cur = con.cursor()
    assert cur.rowcount == -1
    assert cur.lastrowid is None
    cur.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v)")
    assert cur.rowcount == -1
    cur.execute("INSERT INTO t(v) VALUES (10)")
    assert cur.rowcount == 1
    assert cur.lastrowid == 1
    cur.execute("INSERT INTO t(id, v) VALUES (41, 20)")
    assert cur.lastrowid == 41
    cur.executemany("INSERT INTO t(v) VALUES (?)", [(1,), (2,), (3,)])
    assert cur.rowcount == 3
    assert cur.lastrowid == 41  # executemany leaves lastrowid alone
    cur.execute("UPDATE t SET v = v + 1 WHERE v < 10")
    assert cur.rowcount == 3
    cur.execute("DELETE FROM t")
    assert cur.rowcount == 5
    cur.execute("SELECT * FROM t")
    assert cur.rowcount == -1


def test_returning(con: embedlite.Connection) -> None:
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
    cur = con.execute("INSERT INTO t(v) VALUES ('a'), ('b') RETURNING id, v")
    assert cur.fetchall() == [(1, "a"), (2, "b")]
    assert cur.description is not None and [d[0] for d in cur.description] == ["id", "v"]


def test_empty_and_comment_only_sql(con: embedlite.Connection) -> None:
    cur = con.execute("")
    assert cur.description is None and cur.fetchall() == []
    con.execute("  -- just a comment\n")
    con.execute("/* block */")
    assert con.execute("SELECT 1; -- trailing comment").fetchall() == [(1,)]


# --- parameters -------------------------------------------------------------------------------------


def test_qmark_parameters(con: embedlite.Connection) -> None:
    assert con.execute("SELECT ?, ? + 1", (1, 2)).fetchone() == (1, 3)
    assert con.execute("SELECT ?, ?", [1, "x"]).fetchone() == (1, "x")
    assert con.execute("SELECT ?1, ?1", (7,)).fetchone() == (7, 7)


def test_named_parameters(con: embedlite.Connection) -> None:
    assert con.execute("SELECT :a, :b, :a", {"a": 1, "b": "two", "extra": 3}).fetchone() == (1, "two", 1)
    assert con.execute("SELECT @x, $y", {"x": 1, "y": 2}).fetchone() == (1, 2)

    class Defaulting(dict[str, int]):
        def __missing__(self, key: str) -> int:
            return 99

    assert con.execute("SELECT :missing", Defaulting()).fetchone() == (99,)


def test_parameter_errors(mod: types.ModuleType, con: embedlite.Connection) -> None:
    with pytest.raises(mod.ProgrammingError, match="Incorrect number of bindings"):
        con.execute("SELECT ?", (1, 2))
    with pytest.raises(mod.ProgrammingError, match="Incorrect number of bindings"):
        con.execute("SELECT ?, ?")
    with pytest.raises(mod.ProgrammingError, match="You did not supply a value for binding parameter :a"):
        con.execute("SELECT :a", {"b": 1})
    with pytest.raises(mod.ProgrammingError, match="has no name"):
        con.execute("SELECT ?", {"a": 1})
    with pytest.raises(mod.ProgrammingError, match="type 'object' is not supported"):
        con.execute("SELECT ?", (object(),))
    with pytest.raises(mod.ProgrammingError, match="type 'dict' is not supported"):
        con.execute("SELECT ?", ({},))
    with pytest.raises(mod.ProgrammingError, match="parameters are of unsupported type"):
        con.execute("SELECT ?", 1)  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        con.execute("SELECT ?", (2**63,))
    with pytest.raises(TypeError):
        con.execute(42)  # type: ignore[arg-type]
    # The connection is still fine afterwards.
    assert con.execute("SELECT 1").fetchone() == (1,)


# --- errors -----------------------------------------------------------------------------------------


def test_sql_errors(mod: types.ModuleType, con: embedlite.Connection) -> None:
    with pytest.raises(mod.OperationalError) as e:
        con.execute("SELEC 1")
    assert e.value.sqlite_errorname == "SQLITE_ERROR"
    with pytest.raises(mod.OperationalError, match="no such table"):
        con.execute("SELECT * FROM nope")
    con.execute("CREATE TABLE t(a)")
    with pytest.raises(mod.OperationalError, match="no such column"):
        con.execute("SELECT b FROM t")
    with pytest.raises(mod.OperationalError, match="already exists"):
        con.execute("CREATE TABLE t(a)")
    with pytest.raises(mod.ProgrammingError, match="one statement at a time"):
        con.execute("SELECT 1; SELECT 2")
    with pytest.raises(mod.ProgrammingError, match="can only execute DML"):
        con.executemany("SELECT ?", [(1,)])


def test_constraint_errors(mod: types.ModuleType, con: embedlite.Connection) -> None:
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, u TEXT UNIQUE, n TEXT NOT NULL, c INT CHECK (c > 0))")
    con.execute("INSERT INTO t VALUES (1, 'a', 'x', 1)")
    with pytest.raises(mod.IntegrityError, match="UNIQUE constraint failed: t.u") as e:
        con.execute("INSERT INTO t VALUES (2, 'a', 'x', 1)")
    assert e.value.sqlite_errorname.startswith("SQLITE_CONSTRAINT")
    with pytest.raises(mod.IntegrityError, match="NOT NULL constraint failed: t.n"):
        con.execute("INSERT INTO t VALUES (3, 'b', NULL, 1)")
    with pytest.raises(mod.IntegrityError, match="CHECK constraint failed"):
        con.execute("INSERT INTO t VALUES (4, 'c', 'x', 0)")
    with pytest.raises(mod.IntegrityError):
        con.execute("INSERT INTO t VALUES (1, 'd', 'x', 1)")
    # A failed statement is undone alone; the transaction and earlier rows survive.
    assert con.in_transaction
    con.commit()
    assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_executemany_stops_at_failing_row(mod: types.ModuleType, con: embedlite.Connection) -> None:
    con.execute("CREATE TABLE t(a INTEGER PRIMARY KEY)")
    with pytest.raises(mod.IntegrityError):
        con.executemany("INSERT INTO t VALUES (?)", [(1,), (2,), (1,), (3,)])
    assert con.execute("SELECT a FROM t ORDER BY a").fetchall() == [(1,), (2,)]
    with pytest.raises(mod.ProgrammingError):
        con.executemany("INSERT INTO t VALUES (?)", [(10,), (object(),), (11,)])
    assert con.execute("SELECT max(a) FROM t").fetchone() == (10,)


def test_executemany_chunks_and_generators(mod: types.ModuleType, con: embedlite.Connection) -> None:
    con.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)")
    cur = con.executemany("INSERT INTO t VALUES (?, ?)", ((i, str(i)) for i in range(5000)))
    assert cur.rowcount == 5000
    rows: list[Any] = [(i,) for i in range(5000, 8000)]
    rows[2500] = (4999,)  # a duplicate key in the third chunk of 1024
    with pytest.raises(mod.IntegrityError):
        con.executemany("INSERT INTO t(a) VALUES (?)", rows)
    assert con.execute("SELECT count(*), max(a) FROM t").fetchone() == (7500, 7499)
    con.executemany("INSERT INTO t(a) VALUES (?)", [])
    with pytest.raises(TypeError):
        con.executemany("INSERT INTO t(a) VALUES (?)", 5)  # type: ignore[arg-type]


def test_statement_cache_sizes(mod: types.ModuleType) -> None:
    for size in [0, 1, 3]:
        con = mod.connect(":memory:", cached_statements=size)
        con.execute("CREATE TABLE t(a)")
        for i in range(20):
            con.execute(f"INSERT INTO t VALUES ({i % 5})")
            con.execute("INSERT INTO t VALUES (?)", (i,))
        assert con.execute("SELECT count(*) FROM t").fetchone() == (40,)
        con.close()


def test_cursor_constructor_and_row_constructor(mod: types.ModuleType, con: embedlite.Connection) -> None:
    cur = mod.Cursor(con)
    assert cur.connection is con
    cur.execute("SELECT 1 AS x, 2 AS y")
    row = mod.Row(cur, (1, 2))
    assert row["y"] == 2 and row.keys() == ["x", "y"]


def test_closed_connection(mod: types.ModuleType) -> None:
    con = mod.connect(":memory:")
    cur = con.execute("SELECT 1")
    con.close()
    con.close()  # closing twice is fine
    calls: list[Callable[[], object]] = [
        lambda: con.execute("SELECT 1"),
        lambda: con.cursor(),
        lambda: con.commit(),
        lambda: con.total_changes,
        lambda: cur.fetchone(),
        lambda: cur.execute("SELECT 1"),
    ]
    for call in calls:
        with pytest.raises(mod.ProgrammingError, match="closed database"):
            call()


def test_closed_cursor(mod: types.ModuleType, con: embedlite.Connection) -> None:
    cur = con.execute("SELECT 1 UNION ALL SELECT 2")
    cur.close()
    with pytest.raises(mod.ProgrammingError, match="closed cursor"):
        cur.fetchone()
    with pytest.raises(mod.ProgrammingError, match="closed cursor"):
        cur.execute("SELECT 1")
    with pytest.raises(mod.ProgrammingError, match="closed cursor"):
        cur.fetchall()
    # Other cursors are unaffected.
    assert con.execute("SELECT 3").fetchone() == (3,)


def test_close_rolls_back(mod: types.ModuleType, tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    con = mod.connect(path)
    con.execute("CREATE TABLE t(a)")
    con.execute("INSERT INTO t VALUES (1)")
    assert con.in_transaction
    con.close()
    con = mod.connect(path)
    assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)
    con.close()


# --- transactions -------------------------------------------------------------------------------------


def test_implicit_transactions(con: embedlite.Connection) -> None:
    assert con.isolation_level == ""
    con.execute("CREATE TABLE t(a)")
    assert not con.in_transaction  # DDL does not open one
    con.execute("SELECT * FROM t").fetchall()
    assert not con.in_transaction  # neither does SELECT
    con.execute("INSERT INTO t VALUES (1)")
    assert con.in_transaction
    con.rollback()
    assert not con.in_transaction
    assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)
    con.execute("  /* c */ insert into t values (2)")
    assert con.in_transaction
    con.commit()
    assert not con.in_transaction
    con.commit()  # no-op without a transaction
    con.rollback()
    assert con.execute("SELECT a FROM t").fetchall() == [(2,)]


def test_autocommit_mode(mod: types.ModuleType, tmp_path: Path) -> None:
    path = str(tmp_path / "auto.db")
    con = mod.connect(path, isolation_level=None)
    assert con.isolation_level is None
    con.execute("CREATE TABLE t(a)")
    con.execute("INSERT INTO t VALUES (1)")
    assert not con.in_transaction
    other = mod.connect(path)
    assert other.execute("SELECT a FROM t").fetchall() == [(1,)]
    con.execute("BEGIN")
    con.execute("INSERT INTO t VALUES (2)")
    assert con.in_transaction
    con.execute("ROLLBACK")
    assert other.execute("SELECT count(*) FROM t").fetchone() == (1,)
    other.close()
    con.close()


def test_isolation_level_values(mod: types.ModuleType) -> None:
    for level in ["DEFERRED", "IMMEDIATE", "EXCLUSIVE", "deferred"]:
        con = mod.connect(":memory:", isolation_level=level)
        con.execute("CREATE TABLE t(a)")
        con.execute("INSERT INTO t VALUES (1)")
        assert con.in_transaction
        con.commit()
        con.close()
    con = mod.connect(":memory:")
    with pytest.raises(ValueError):
        con.isolation_level = "SOMETIMES"
    con.execute("CREATE TABLE t(a)")
    con.execute("INSERT INTO t VALUES (1)")
    con.isolation_level = None  # commits what is open
    assert not con.in_transaction
    con.close()


def test_context_manager(mod: types.ModuleType, con: embedlite.Connection) -> None:
    con.execute("CREATE TABLE t(a INTEGER PRIMARY KEY)")
    with con as c:
        assert c is con
        con.execute("INSERT INTO t VALUES (1)")
    assert not con.in_transaction
    with pytest.raises(mod.IntegrityError):
        with con:
            con.execute("INSERT INTO t VALUES (2)")
            con.execute("INSERT INTO t VALUES (1)")
    assert con.execute("SELECT a FROM t").fetchall() == [(1,)]
    # The connection stays open.
    con.execute("SELECT 1")


def test_explicit_transactions_and_savepoints(con: embedlite.Connection) -> None:
    con.isolation_level = None
    con.execute("CREATE TABLE t(a)")
    con.execute("BEGIN")
    con.execute("INSERT INTO t VALUES (1)")
    con.execute("SAVEPOINT s1")
    con.execute("INSERT INTO t VALUES (2)")
    con.execute("ROLLBACK TO s1")
    con.execute("COMMIT")
    assert con.execute("SELECT a FROM t").fetchall() == [(1,)]


def test_executescript(mod: types.ModuleType, con: embedlite.Connection) -> None:
    con.execute("CREATE TABLE t(a)")
    con.execute("INSERT INTO t VALUES (0)")
    assert con.in_transaction
    cur = con.executescript(
        """
        -- a script: the open transaction is committed first
        CREATE TABLE u(b);
        INSERT INTO u VALUES (1);
        INSERT INTO u VALUES ('two;three');
        """
    )
    assert isinstance(cur, mod.Cursor)
    assert not con.in_transaction
    assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)
    assert con.execute("SELECT b FROM u ORDER BY rowid").fetchall() == [(1,), ("two;three",)]
    with pytest.raises(mod.OperationalError):
        con.executescript("INSERT INTO u VALUES (3); INSERT INTO nope VALUES (4); INSERT INTO u VALUES (5);")
    assert con.execute("SELECT count(*) FROM u").fetchone() == (3,)


def test_total_changes(con: embedlite.Connection) -> None:
    assert con.total_changes == 0
    con.execute("CREATE TABLE t(a)")
    con.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(5)])
    con.execute("UPDATE t SET a = a + 1 WHERE a < 2")
    assert con.total_changes == 7


def test_schema_change_invalidates_cached_statements(con: embedlite.Connection) -> None:
    con.execute("CREATE TABLE t(a)")
    con.execute("INSERT INTO t VALUES (1)")
    assert con.execute("SELECT * FROM t").fetchall() == [(1,)]
    con.execute("ALTER TABLE t ADD COLUMN b")
    cur = con.execute("SELECT * FROM t")
    assert cur.fetchall() == [(1, None)]
    assert cur.description is not None and len(cur.description) == 2


# --- rows and factories -----------------------------------------------------------------------------


def test_row_factory_row(mod: types.ModuleType, con: embedlite.Connection) -> None:
    con.row_factory = mod.Row
    row = con.execute("SELECT 1 AS a, 'x' AS Bee, NULL AS c").fetchone()
    assert isinstance(row, mod.Row)
    assert row.keys() == ["a", "Bee", "c"]
    assert row[0] == 1 and row[-1] is None
    assert row["a"] == 1 and row["bee"] == "x" and row["BEE"] == "x"
    assert row[0:2] == (1, "x")
    assert tuple(row) == (1, "x", None)
    assert len(row) == 3
    assert row == con.execute("SELECT 1 AS a, 'x' AS Bee, NULL AS c").fetchone()
    assert row != con.execute("SELECT 2 AS a, 'x' AS Bee, NULL AS c").fetchone()
    assert hash(row) == hash(con.execute("SELECT 1 AS a, 'x' AS Bee, NULL AS c").fetchone())
    with pytest.raises(IndexError):
        row["nope"]
    with pytest.raises(IndexError):
        row[3]
    assert dict(zip(row.keys(), row)) == {"a": 1, "Bee": "x", "c": None}


def test_custom_row_factories(con: embedlite.Connection) -> None:
    def dict_factory(cursor: Any, row: tuple[Any, ...]) -> dict[str, Any]:
        return {d[0]: v for d, v in zip(cursor.description, row)}

    con.row_factory = dict_factory
    assert con.execute("SELECT 1 AS a, 2 AS b").fetchall() == [{"a": 1, "b": 2}]
    cur = con.cursor()
    assert cur.row_factory is dict_factory
    cur.row_factory = None
    assert cur.execute("SELECT 1 AS a").fetchone() == (1,)
    con.row_factory = None
    assert con.execute("SELECT 1").fetchone() == (1,)


def test_text_factory(con: embedlite.Connection) -> None:
    assert con.text_factory is str
    con.text_factory = bytes
    assert con.execute("SELECT 'héllo'").fetchone() == ("héllo".encode(),)
    con.text_factory = lambda b: b.decode().upper()
    assert con.execute("SELECT 'abc', 1").fetchone() == ("ABC", 1)
    con.text_factory = str
    assert con.execute("SELECT 'abc'").fetchone() == ("abc",)


def test_subclasses_and_factories(mod: types.ModuleType) -> None:
    class MyCursor(mod.Cursor):  # type: ignore[misc,name-defined]
        def __init__(self, connection: Any) -> None:
            super().__init__(connection)
            self.tag = "mine"

    class MyConnection(mod.Connection):  # type: ignore[misc,name-defined]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.opened = True

    con = mod.connect(":memory:", factory=MyConnection)
    assert isinstance(con, MyConnection) and con.opened
    cur = con.cursor(factory=MyCursor)
    assert isinstance(cur, MyCursor) and cur.tag == "mine"
    assert cur.execute("SELECT 5").fetchone() == (5,)
    assert cur.connection is con
    con.close()


# --- files ----------------------------------------------------------------------------------------


def test_file_database_and_pathlike(mod: types.ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "file.db"
    con = mod.connect(path)
    make_table(con)
    con.close()
    con = mod.connect(os.fsencode(path))
    assert con.execute("SELECT name FROM t ORDER BY id").fetchall() == [("ann",), ("bob",), ("cid",)]
    con.close()
    con = mod.connect(f"file:{path}?mode=ro", uri=True)
    assert con.execute("SELECT count(*) FROM t").fetchone() == (3,)
    with pytest.raises(mod.OperationalError):
        con.execute("INSERT INTO t(name) VALUES ('ro')")
    con.close()


def test_unopenable_path(mod: types.ModuleType, tmp_path: Path) -> None:
    with pytest.raises(mod.OperationalError):
        mod.connect(str(tmp_path / "no" / "such" / "dir" / "x.db"))
