"""sqlite-utils, imported when first used and without numpy or pandas; ``ReadDatabase`` without it.

sqlite-utils imports numpy and pandas when they are installed (spaCy installs numpy) only to map
their scalars to column types; the store never writes any. Loading numpy doubles the start-up of
a command like ``annotator stats``, and pandas (0.7 s) would load whenever numpy is loaded
already (``annotator agreement`` counts with numpy), so both are hidden from this one import
(unless loaded already) and are importable as usual afterwards. Store modules import
sqlite-utils from here.

A project opened read-only reads through ``ReadDatabase``, plain ``sqlite3``: importing
sqlite-utils (with dateutil and click) is a tenth of ``annotator stats``.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database, Migrations

__all__ = ["Database", "Migrations", "ReadDatabase"]


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


class ReadDatabase:
    """What the store reads with, from ``sqlite_utils.Database``, on ``sqlite3`` alone;
    anything else (``db[table].exists()``) goes to a ``Database`` on the same connection,
    made when first asked for."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._database: Database | None = None

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

    def _full(self) -> Database:
        if self._database is None:
            self._database = __getattr__("Database")(self.conn, execute_plugins=False)
        return self._database
