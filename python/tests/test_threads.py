"""Threads: a connection per thread on one file, the busy timeout, check_same_thread, a shared
connection, and the GIL released while the engine works."""

from __future__ import annotations

import threading
import time
import types
from pathlib import Path
from typing import Callable

import pytest

import embedlite


def run_threads(n: int, target: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []

    def wrap(i: int) -> None:
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001 - reported to the test
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_check_same_thread(mod: types.ModuleType) -> None:
    con = mod.connect(":memory:")
    errors = run_threads(1, lambda _: con.execute("SELECT 1"))
    assert len(errors) == 1 and isinstance(errors[0], mod.ProgrammingError)
    assert "thread" in str(errors[0])
    con.close()
    shared = mod.connect(":memory:", check_same_thread=False)
    assert run_threads(1, lambda _: shared.execute("SELECT 1").fetchall()) == []
    shared.close()


def test_connection_per_thread_on_one_file(mod: types.ModuleType, tmp_path: Path) -> None:
    path = str(tmp_path / "threads.db")
    setup = mod.connect(path)
    setup.execute("CREATE TABLE t(thread INTEGER, i INTEGER)")
    setup.commit()
    setup.close()

    def work(k: int) -> None:
        con = mod.connect(path, timeout=30)
        for batch in range(10):
            with con:
                con.executemany("INSERT INTO t VALUES (?, ?)", [(k, batch * 20 + i) for i in range(20)])
            assert con.execute("SELECT count(*) FROM t WHERE thread = ?", (k,)).fetchone()[0] == (batch + 1) * 20
        con.close()

    assert run_threads(4, work) == []
    con = mod.connect(path)
    assert con.execute("SELECT thread, count(*) FROM t GROUP BY thread ORDER BY thread").fetchall() == [(k, 200) for k in range(4)]
    con.close()


def test_busy_timeout_honoured(mod: types.ModuleType, tmp_path: Path) -> None:
    path = str(tmp_path / "busy.db")
    holder = mod.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t(a)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")

    impatient = mod.connect(path, timeout=0.2)
    start = time.monotonic()
    with pytest.raises(mod.OperationalError, match="locked"):
        impatient.execute("INSERT INTO t VALUES (2)")
    waited = time.monotonic() - start
    assert 0.15 <= waited < 5, waited
    impatient.close()

    timer = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    patient = mod.connect(path, timeout=10)
    start = time.monotonic()
    timer.start()
    patient.execute("INSERT INTO t VALUES (3)")
    patient.commit()
    waited = time.monotonic() - start
    timer.join()
    assert waited >= 0.2, waited
    assert patient.execute("SELECT a FROM t ORDER BY a").fetchall() == [(1,), (3,)]
    patient.close()
    holder.close()


def test_shared_connection_serialises_threads(mod: types.ModuleType) -> None:
    con = mod.connect(":memory:", check_same_thread=False, isolation_level=None)
    con.execute("CREATE TABLE t(k, i)")

    def work(k: int) -> None:
        for i in range(100):
            con.execute("INSERT INTO t VALUES (?, ?)", (k, i))

    assert run_threads(4, work) == []
    assert con.execute("SELECT count(*), count(DISTINCT k) FROM t").fetchone() == (400, 4)
    con.close()


def test_gil_released_during_queries() -> None:
    con = embedlite.connect(":memory:", check_same_thread=False)
    con.execute("CREATE TABLE t(a)")
    con.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(700)])
    con.commit()
    done = threading.Event()
    result: list[int] = []

    def query() -> None:
        result.append(con.execute("SELECT count(*) FROM t AS x, t AS y WHERE x.a < y.a").fetchone()[0])
        done.set()

    worker = threading.Thread(target=query)
    ticks = 0
    start = time.monotonic()
    worker.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    elapsed = time.monotonic() - start
    worker.join()
    assert result == [700 * 699 // 2]
    # With the GIL held for the whole query this loop would not run at all; allow for a slow
    # machine: it must at least have run about once every few ms of the query.
    if elapsed > 0.05:
        assert ticks >= elapsed / 0.02, (ticks, elapsed)
    con.close()
