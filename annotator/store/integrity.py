"""What a project file may contain, checked on open before anything else reads it.

A project file is a file anyone can craft. SQLite runs what the file holds: a trigger fires on
our own writes (``AFTER UPDATE ON spans ... DELETE FROM documents``), a view or an index
expression runs on our reads. So the file's ``sqlite_master`` must be what our migrations make
(all of them, or the first ones for a file an older version wrote): the same tables with the
same columns, the same indexes on the same columns, SQLite's own ``sqlite_*`` entries, and
nothing else: no trigger, view or virtual table but the text index and its triggers exactly as
our migrations write them, no generated column, no partial or expression index.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from annotator.errors import NotAProjectError
from annotator.store import layout

if TYPE_CHECKING:
    from annotator.store.sqlite import Database

MAX_OBJECTS_NAMED = 3  # how many offending names the one-line error lists


@dataclass(frozen=True)
class _Index:
    table: str
    columns: tuple[str, ...]
    unique: bool


@dataclass(frozen=True)
class _Layout:
    """Tables (with their column names) and indexes of a project file."""

    tables: dict[str, frozenset[str]]
    indexes: dict[str, _Index]
    # triggers, views and virtual tables, as (kind, SQL with its whitespace folded): only the
    # ones our migrations make (the text index and its triggers), word for word, may be there
    statements: dict[str, tuple[str, str]]


@cache
def expected_layout() -> _Layout:
    """What every migration applied to an empty database makes (``layout``, written out)."""
    return _Layout(
        {name: frozenset(columns) for name, columns in layout.TABLES.items()},
        {name: _Index(*index) for name, index in layout.INDEXES.items()},
        dict(layout.STATEMENTS),
    )


def layout_from_migrations() -> _Layout:
    """What every migration applied to an empty database makes, made by running them."""
    from annotator.store.migrations import migrations
    from annotator.store.sqlite import Database

    db = Database(memory=True, execute_plugins=False)
    migrations.apply(db)
    try:
        return _layout(db)[0]
    finally:
        db.conn.close()


def check_layout(db: Database, path: object) -> None:
    """Refuse, with one line naming ``path``, any object our migrations did not make."""
    layout, refused = _layout(db)
    _refuse_newer(db, path, layout)
    expected = expected_layout()
    for name, (kind, sql) in layout.statements.items():  # named first: they run code
        if expected.statements.get(name) != (kind, sql):
            refused.append(f"{kind} {name}")
    for name, columns in layout.tables.items():
        if name not in expected.tables:
            refused.append(f"table {name}")
        elif not columns <= expected.tables[name]:
            extra = ", ".join(sorted(columns - expected.tables[name]))
            refused.append(f"column(s) {extra} of table {name}")
    for name, index in layout.indexes.items():
        if expected.indexes.get(name) != index:
            refused.append(f"index {name}")
    if refused:
        named = "; ".join(refused[:MAX_OBJECTS_NAMED])
        more = len(refused) - MAX_OBJECTS_NAMED
        raise NotAProjectError(
            f"{path}: refused: the file holds what annotator never creates ({named}"
            f"{f'; and {more} more' if more > 0 else ''}); it may have been crafted to change "
            "or delete data when opened"
        )


def _refuse_newer(db: Database, path: object, found: _Layout) -> None:
    """Refuse a file a newer annotator upgraded, saying so, rather than calling what its
    migrations made crafted: this version cannot tell what they hold, nor write it right."""
    if "_sqlite_migrations" not in found.tables:  # a table, not a view: read without running
        return
    rows = db.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = 'annotator' ORDER BY id"
    ).fetchall()
    newer = [str(name) for (name,) in rows if name not in layout.MIGRATIONS]
    if newer:
        raise NotAProjectError(
            f"{path}: made or upgraded by a newer version of annotator (migration "
            f"{newer[-1][:100]}); update annotator to open it"
        )


def _layout(db: Database) -> tuple[_Layout, list[str]]:
    """The file's tables and indexes, and what cannot be in a project file at all."""
    tables: dict[str, frozenset[str]] = {}
    indexes: dict[str, _Index] = {}
    statements: dict[str, tuple[str, str]] = {}
    refused: list[str] = []
    rows = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid")
    for kind, name, table, sql in rows.fetchall():
        if kind in ("trigger", "view"):
            statements[name] = (kind, " ".join((sql or "").split()))
        elif kind == "table" and name.startswith("sqlite_"):
            continue  # SQLite's own: sqlite_sequence, sqlite_stat1
        elif kind == "table":
            if (sql or "").lstrip().upper().startswith("CREATE VIRTUAL"):
                statements[name] = ("virtual table", " ".join((sql or "").split()))
                continue
            columns = db.execute(
                "SELECT name, hidden FROM pragma_table_xinfo(?)", [name]
            ).fetchall()
            if any(hidden for _, hidden in columns):  # a generated column
                refused.append(f"generated column of table {name}")
            tables[name] = frozenset(column for column, _ in columns)
        elif kind == "index" and not name.startswith("sqlite_autoindex_"):
            indexes[name] = _index(db, name, table, refused)
    return _Layout(tables, indexes, statements), refused


def _index(db: Database, name: str, table: str, refused: list[str]) -> _Index:
    row = db.execute(
        'SELECT "unique", partial FROM pragma_index_list(?) WHERE name = ?', [table, name]
    ).fetchone()
    columns = tuple(
        column for (column,) in db.execute("SELECT name FROM pragma_index_info(?)", [name])
    )
    if row is None or row[1] or None in columns:
        refused.append(f"partial or expression index {name}")
    return _Index(table, columns, bool(row and row[0]))
