"""Shared fixtures. Tests never need a display, a trained model or the network unless marked."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlite_utils import Database

from annotator.model import Document, default_schema
from annotator.store import FORMAT_MARKER, Project
from annotator.store.migrations import migrations

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
SEEDS = ROOT / "seeds"


@pytest.fixture
def fixtures_dir() -> Path:
    """``../shared/fixtures``: other people's real files, referenced in place, never copied."""
    if not FIXTURES.is_dir():
        pytest.skip(f"real-world fixtures not found at {FIXTURES}")
    return FIXTURES


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """A new, empty project with the default schema (PER, ORG, LOC, MISC)."""
    with Project.create(tmp_path / "test.annotator") as created:
        yield created


@pytest.fixture
def doc_id(project: Project) -> int:
    """One document, "Brad Smith works for Microsoft in Redmond.", tokenised by whitespace."""
    text = "Brad Smith works for Microsoft in Redmond."
    tokens = ((0, 4), (5, 10), (11, 16), (17, 20), (21, 30), (31, 33), (34, 41), (41, 42))
    new_id, _ = project.add_document(Document(text=text, tokens=tokens))
    return new_id


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
