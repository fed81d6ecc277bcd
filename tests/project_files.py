"""Project files as older versions of annotator left them, for upgrade tests."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from annotator.model import default_schema
from annotator.store import FORMAT_MARKER
from annotator.store.migrations import migrations


def older_project_file(path: Path, stop_before: str) -> Database:
    """A project file as an older version left it: migrations up to ``stop_before``, the format
    marker, default settings and schema. The caller adds rows, then closes it."""
    db = Database(path)
    migrations.apply(db, stop_before=stop_before)
    db["meta"].insert_all(
        [
            {"key": "format", "value": f'"{FORMAT_MARKER}"'},
            {"key": "settings", "value": "{}"},
            {"key": "schema", "value": default_schema().model_dump_json()},
        ]
    )
    return db
