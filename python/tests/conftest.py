"""Fixtures: most DB-API tests run twice, against embedlite and against the standard sqlite3
module, with the same body — the proof that code written for sqlite3 runs on embedlite by
changing the import."""

from __future__ import annotations

import sqlite3
import sys
import types
from typing import Iterator

import pytest

import embedlite


# The oracle is the sqlite3 of Python >= 3.11: older ones word several errors differently, lack
# `sqlite_errorname`, and do not skip comments when looking for the DML keyword.
_OLD_SQLITE3 = pytest.mark.skipif(sys.version_info < (3, 11), reason="sqlite3 of Python < 3.11 is not the oracle")


@pytest.fixture(params=[embedlite, pytest.param(sqlite3, marks=_OLD_SQLITE3)], ids=["embedlite", "sqlite3"])
def mod(request: pytest.FixtureRequest) -> types.ModuleType:
    """The DB-API module under test."""
    m: types.ModuleType = request.param
    return m


@pytest.fixture
def con(mod: types.ModuleType) -> Iterator[embedlite.Connection]:
    """An in-memory connection of the module under test (typed as embedlite's: same API)."""
    c: embedlite.Connection = mod.connect(":memory:")
    yield c
    c.close()
