"""Project files as older versions of annotator left them, for upgrade tests, and damaged ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlite_utils import Database

from annotator.model import Document, default_schema
from annotator.store import FORMAT_MARKER, Project
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


ROOT = Path(__file__).resolve().parents[1]


def run_killed(code: str, *arguments: object) -> None:
    """Run ``code`` in a Python process of its own, which must end by SIGKILL (it kills itself
    midway, as a power cut or ``kill -9`` would)."""
    killed = subprocess.run(
        [sys.executable, "-c", code, *map(str, arguments)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == -9, killed.stderr


PAGE = 4096  # SQLite's default page size, what Project.create leaves


def project_with_a_damaged_page(path: Path, last_document: int | None = None) -> Path:
    """200 documents of about 2 KB; the page holding the text of document 151 is overwritten
    with garbage (the others, and the tables opening reads, are sound)."""
    with Project.create(path) as project:
        for n in range(200):
            project.add_document(Document(text=f"texte numéro {n:04d} " * 100))
        if last_document is not None:
            project.set_state("last_document", last_document)
        project.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = data.index("texte numéro 0150".encode()) // PAGE
    data[page * PAGE : (page + 1) * PAGE] = b"\xff" * PAGE
    path.write_bytes(bytes(data))
    return path
