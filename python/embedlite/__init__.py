"""embedlite: an embedded, SQLite-compatible SQL database whose rows and vectors live in one file.

This module is a DB-API 2.0 (PEP 249) driver shaped like the standard ``sqlite3`` module: code
written for ``sqlite3`` runs by changing the import. ::

    import embedlite
    con = embedlite.connect("notes.db")
    with con:                                        # commits, or rolls back on an exception
        con.execute("CREATE TABLE IF NOT EXISTS notes(id INTEGER PRIMARY KEY, text TEXT)")
        con.executemany("INSERT INTO notes(text) VALUES (?)", [("hello",), ("world",)])
    for (text,) in con.execute("SELECT text FROM notes WHERE id > :after", {"after": 0}):
        print(text)

Differences from ``sqlite3`` worth knowing:

* Vectors: a 1-D numpy ``float32``/``float16``/``float64`` array, or a ``list`` of numbers
  (stored as float32), binds as a libSQL vector blob (``sqlite3`` rejects both, so no valid
  ``sqlite3`` program changes meaning). ``Connection.insert_vectors`` inserts the rows of an
  ``(n, d)`` array in one call; ``vector_from_blob``/``vectors_from_blobs`` read them back.
* ``VectorIndex``: the in-memory HNSW/DiskANN graph of embedlite's vector index without SQL,
  keyed by ``int`` ids (``add(ids, vectors)``, ``search(query, k)``, ``remove(ids)``).
  ``embedlite.memory.Memory`` is an agent memory (texts, metadata, embeddings) over plain SQL
  tables; ``embedlite.integrations`` has LangChain and LlamaIndex vector stores.
* Not yet: ``detect_types``/adapters/converters, ``create_function`` and the other callback
  hooks, ``iterdump``, ``backup``, blob I/O, Python 3.12's ``autocommit`` attribute.
"""

from __future__ import annotations

import datetime as _datetime
import os
import time as _time
from typing import Optional, Type, TypeVar, Union, overload

from embedlite._embedlite import (
    Connection,
    Cursor,
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Row,
    VectorIndex,
    Warning,
    sqlite_version,
    vector_blob,
)
from embedlite._embedlite import version as _native_version
from embedlite.vectors import vector_from_blob, vectors_from_blobs

__all__ = [
    "Binary",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "PARSE_COLNAMES",
    "PARSE_DECLTYPES",
    "ProgrammingError",
    "Row",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "VectorIndex",
    "Warning",
    "apilevel",
    "complete_statement",
    "connect",
    "paramstyle",
    "sqlite_version",
    "sqlite_version_info",
    "threadsafety",
    "vector_blob",
    "vector_from_blob",
    "vectors_from_blobs",
    "version",
    "version_info",
]

__version__: str = _native_version
#: The version of this package (``sqlite3.version`` is its module's version too).
version: str = _native_version
version_info: tuple[int, ...] = tuple(int(x) for x in version.split("."))
#: The SQLite version whose SQL and file format embedlite follows.
sqlite_version_info: tuple[int, ...] = tuple(int(x) for x in sqlite_version.split("."))

apilevel = "2.0"
#: Threads may share the module but not connections (unless ``check_same_thread=False``, which
#: serialises the threads on the connection's lock).
threadsafety = 1
#: ``?`` parameters with a sequence; ``:name`` parameters with a dict work too.
paramstyle = "qmark"

PARSE_DECLTYPES = 1
PARSE_COLNAMES = 2

Date = _datetime.date
Time = _datetime.time
Timestamp = _datetime.datetime
Binary = memoryview


def DateFromTicks(ticks: float) -> _datetime.date:
    """PEP 249: the local date of a POSIX timestamp."""
    return Date(*_time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> _datetime.time:
    """PEP 249: the local time of a POSIX timestamp."""
    return Time(*_time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> _datetime.datetime:
    """PEP 249: the local date and time of a POSIX timestamp."""
    return Timestamp(*_time.localtime(ticks)[:6])


def complete_statement(statement: str) -> bool:
    """Whether ``statement`` ends with a semicolon outside quotes and comments."""
    i, n, last = 0, len(statement), ""
    while i < n:
        c = statement[i]
        if c in "'\"`[":
            close = "]" if c == "[" else c
            j = statement.find(close, i + 1)
            while j != -1 and close != "]" and statement[j + 1 : j + 2] == close:
                j = statement.find(close, j + 2)
            if j == -1:
                return False
            i, last = j + 1, close
        elif statement.startswith("--", i):
            j = statement.find("\n", i)
            i = n if j == -1 else j + 1
        elif statement.startswith("/*", i):
            j = statement.find("*/", i + 2)
            if j == -1:
                return False
            i = j + 2
        else:
            if not c.isspace():
                last = c
            i += 1
    return last == ";"


_C = TypeVar("_C", bound=Connection)
_Path = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


@overload
def connect(
    database: _Path,
    timeout: float,
    detect_types: int,
    isolation_level: Optional[str],
    check_same_thread: bool,
    factory: Type[_C],
    cached_statements: int = 128,
    uri: bool = False,
) -> _C: ...


@overload
def connect(
    database: _Path,
    timeout: float = 5.0,
    detect_types: int = 0,
    isolation_level: Optional[str] = "",
    check_same_thread: bool = True,
    *,
    factory: Type[_C],
    cached_statements: int = 128,
    uri: bool = False,
) -> _C: ...


@overload
def connect(
    database: _Path,
    timeout: float = 5.0,
    detect_types: int = 0,
    isolation_level: Optional[str] = "",
    check_same_thread: bool = True,
    factory: Type[Connection] = Connection,
    cached_statements: int = 128,
    uri: bool = False,
) -> Connection: ...


def connect(
    database: _Path,
    timeout: float = 5.0,
    detect_types: int = 0,
    isolation_level: Optional[str] = "",
    check_same_thread: bool = True,
    factory: Type[Connection] = Connection,
    cached_statements: int = 128,
    uri: bool = False,
) -> Connection:
    """Opens (creating if needed) the database file ``database`` (``":memory:"`` for a private
    in-memory one), like ``sqlite3.connect``.

    ``timeout``: seconds to wait for another connection's lock before ``OperationalError``
    ("database is locked"). ``isolation_level``: ``""``/``"DEFERRED"``/``"IMMEDIATE"``/
    ``"EXCLUSIVE"`` open a transaction implicitly before ``INSERT``/``UPDATE``/``DELETE``/
    ``REPLACE`` (end it with ``commit()``/``rollback()``); ``None`` is autocommit.
    ``check_same_thread``: only the creating thread may use the connection. ``factory``: a
    ``Connection`` subclass to instantiate. ``cached_statements``: size of the statement cache.
    ``uri``: ``database`` is a ``file:`` URI (``mode=ro`` and ``mode=memory`` are understood).
    """
    return factory(
        database,
        timeout=timeout,
        detect_types=detect_types,
        isolation_level=isolation_level,
        check_same_thread=check_same_thread,
        factory=factory,
        cached_statements=cached_statements,
        uri=uri,
    )
