"""sqlite-utils, imported when first used and without numpy or pandas; ``PlainDatabase`` without it.

sqlite-utils imports numpy and pandas when they are installed (spaCy installs numpy) only to map
their scalars to column types; the store never writes any. Loading numpy doubles the start-up of
a command like ``annotator stats``, and pandas (0.7 s) would load whenever numpy is loaded
already (``annotator agreement`` counts with numpy), so both are hidden from this one import
(unless loaded already) and are importable as usual afterwards. Store modules import
sqlite-utils from here.

A project reads and writes through ``PlainDatabase``, plain ``sqlite3``: importing
sqlite-utils (with dateutil, click and pluggy's entry point scan) is a tenth of ``annotator
stats``, and 0.1 s of an ``annotator export`` (the export writes its event in the project, so
it opens it for writing). It is imported for creating or upgrading a file (the migrations),
and for the few table helpers the store asks a ``Database`` for.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database, Migrations

__all__ = ["Database", "Migrations", "PlainDatabase"]


def __getattr__(name: str) -> Any:
    """``Database`` and ``Migrations``, imported on first use (PEP 562)."""
    if name not in ("Database", "Migrations"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    hidden = [module for module in ("numpy", "pandas") if module not in sys.modules]
    for module in hidden:
        sys.modules[module] = None  # type: ignore[assignment]  # ``import numpy`` fails meanwhile
    try:
        import sqlite_utils
    finally:
        for module in hidden:
            del sys.modules[module]
    return getattr(sqlite_utils, name)


_SAVEPOINTS = count(1)


class PlainDatabase:
    """What the store reads and writes with, from ``sqlite_utils.Database``, on ``sqlite3``
    alone (``execute``, ``table_names``, ``atomic``); anything else (``db[table].exists()``)
    goes to a ``Database`` on the same connection, made when first asked for (``full``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._database: Database | None = None

    @contextmanager
    def atomic(self) -> Iterator[PlainDatabase]:
        """``Database.atomic``: one write transaction, or a savepoint inside one; rolled back
        when the block raises (unless the error ended the transaction already)."""
        conn = self.conn
        if conn.in_transaction:
            savepoint = f"annotator_{next(_SAVEPOINTS)}"
            conn.execute(f"SAVEPOINT {savepoint}")
            try:
                yield self
            except BaseException:
                if conn.in_transaction:  # a RAISE(ROLLBACK) may have ended it already
                    conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                    conn.execute(f"RELEASE SAVEPOINT {savepoint}")
                raise
            conn.execute(f"RELEASE SAVEPOINT {savepoint}")
            return
        # for writing from the start: a deferred transaction that reads, then writes after
        # another connection committed, is refused at once ("database is locked") instead of
        # waiting out the busy timeout
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            conn.rollback()  # nothing when the error ended the transaction already
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            conn.rollback()
            raise

    def execute(self, sql: str, parameters: Any = None) -> sqlite3.Cursor:
        if parameters is None:
            return self.conn.execute(sql)
        return self.conn.execute(sql, parameters)

    def table_names(self) -> list[str]:
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return [name for (name,) in rows]

    def __getitem__(self, table: str) -> Any:
        return self._full()[table]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._full(), name)

    def full(self) -> Database:
        """sqlite-utils' ``Database`` on this connection (for the migrations)."""
        return self._full()

    def _full(self) -> Database:
        if self._database is None:
            self._database = __getattr__("Database")(self.conn, execute_plugins=False)
        return self._database
