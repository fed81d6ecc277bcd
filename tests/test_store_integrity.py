"""What a project file may hold: crafted triggers, views, tables, huge schemas, damaged settings
and state are refused (or ignored) with one line, before they can change data or hang a command."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.errors import NotAProjectError
from annotator.model import Document, Span
from annotator.services.projects import stats
from annotator.store import Project
from annotator.store.integrity import expected_layout, layout_from_migrations


@pytest.fixture
def crafted(tmp_path: Path) -> Path:
    """A project file with one document and a span, to be changed as an attacker would."""
    path = tmp_path / "crafted.annotator"
    with Project.create(path) as project:
        doc_id, _ = project.add_document(Document(text="Brad Smith works for Microsoft."))
        project.insert_span(Span(doc_id=doc_id, start=0, end=10, label="PER", status="suggested"))
    return path


def _execute(path: Path, *statements: str, params: tuple = ()) -> None:
    conn = sqlite3.connect(path)
    with conn:
        for statement in statements:
            conn.execute(statement, params)
    conn.close()


def _count_documents(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    finally:
        conn.close()


def test_a_foreign_trigger_is_refused_before_it_can_delete_documents(crafted: Path) -> None:
    _execute(
        crafted,
        "CREATE TRIGGER wipe AFTER UPDATE ON spans BEGIN DELETE FROM documents; END",
    )
    with pytest.raises(NotAProjectError, match=r"crafted\.annotator: refused: .*trigger wipe"):
        Project.open(crafted)
    with pytest.raises(NotAProjectError, match="trigger wipe"):
        Project.open(crafted, read_only=True)
    assert _count_documents(crafted) == 1


def test_a_recursive_view_is_refused_at_once(crafted: Path) -> None:
    _execute(
        crafted,
        # the rename would change our triggers on spans to spans_kept: refused too, named first
        "DROP TRIGGER span_places_bi",
        "DROP TRIGGER span_places_ad",
        "DROP TRIGGER span_places_bu",
        "ALTER TABLE spans RENAME TO spans_kept",
        "CREATE VIEW spans AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
        "SELECT i AS id, 1 AS doc_id, 'suggested' AS status, 'PER' AS label, 'm' AS origin, "
        "0 AS aligned, 0 AS edited FROM n",
    )
    started = time.monotonic()
    with pytest.raises(NotAProjectError, match="view spans"):
        stats(crafted)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("CREATE TABLE extra (x)", "table extra"),
        ("ALTER TABLE spans ADD COLUMN note TEXT", "column(s) note of table spans"),
        ("CREATE INDEX idx_mine ON spans (origin)", "index idx_mine"),
        ("CREATE INDEX idx_expr ON spans (length(label) * 2)", "index idx_expr"),
        ("CREATE VIRTUAL TABLE found USING fts5(text)", "virtual table found"),
    ],
)
def test_objects_our_migrations_never_make_are_refused(
    crafted: Path, statement: str, named: str
) -> None:
    _execute(crafted, statement)
    with pytest.raises(NotAProjectError) as caught:
        Project.open(crafted)
    assert named in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_schema_of_50000_labels_is_refused_quickly(crafted: Path) -> None:
    schema = {"entities": [{"name": f"L{n}"} for n in range(50_000)], "relations": []}
    _execute(
        crafted, "UPDATE meta SET value = ? WHERE key = 'schema'", params=(json.dumps(schema),)
    )
    started = time.monotonic()
    with pytest.raises(NotAProjectError, match="50000 entities labels; at most 1000"):
        stats(crafted)
    assert time.monotonic() - started < 5


def test_settings_that_are_not_json_are_one_line_for_every_command(
    crafted: Path, tmp_path: Path
) -> None:
    _execute(crafted, "UPDATE meta SET value = '{bad' WHERE key = 'settings'")
    for command in (["stats", str(crafted)], ["export", str(crafted), "-o", str(tmp_path / "x")]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        assert f"{crafted}: damaged settings (not JSON" in result.output


@pytest.mark.parametrize(
    "settings",
    [
        {"lang": 5, "spans_key": ""},
        {"lang": "../../x"},
        {"label_map": {f"L{n}": "PER" for n in range(5000)}},
        {"spans_key": "a\nb"},
    ],
)
def test_bad_settings_are_refused_with_one_line(crafted: Path, settings: dict) -> None:
    _execute(
        crafted, "UPDATE meta SET value = ? WHERE key = 'settings'", params=(json.dumps(settings),)
    )
    with pytest.raises(NotAProjectError, match=r"crafted\.annotator: damaged settings") as caught:
        Project.open(crafted)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("stored", ["1e30", "{not json", "NaN", "-1e300"])
def test_bad_state_is_ignored_with_a_warning(
    crafted: Path, stored: str, caplog: pytest.LogCaptureFixture
) -> None:
    _execute(
        crafted, "INSERT INTO state (key, value) VALUES ('last_document', ?)", params=(stored,)
    )
    with caplog.at_level(logging.WARNING), Project.open(crafted) as project:
        assert project.get_state("last_document", "default") == "default"
        assert project.count_documents() == 1
    assert "state 'last_document' ignored" in caplog.text


@pytest.mark.parametrize(
    ("trigger", "event"),
    [
        ("documents_ad", "AFTER DELETE ON documents"),  # the text index's (m005)
        ("document_counts_au", "AFTER UPDATE OF status ON documents"),  # the counts' (m007)
    ],
)
def test_the_triggers_our_migrations_make_are_accepted_but_not_changed_ones(
    tmp_path: Path, trigger: str, event: str
) -> None:
    path = tmp_path / "p.annotator"
    Project.create(path).close()
    Project.open(path).close()  # its own text index, counts and triggers pass the check
    conn = sqlite3.connect(path)
    conn.executescript(
        f"DROP TRIGGER {trigger}; CREATE TRIGGER {trigger} {event} BEGIN DELETE FROM spans; END;"
    )
    conn.close()
    with pytest.raises(NotAProjectError, match=f"trigger {trigger}"):
        Project.open(path)


def test_the_written_out_layout_is_what_the_migrations_make() -> None:
    """``store/layout.py`` spares every open running the migrations; after adding one, print
    ``layout_from_migrations()`` and update it."""
    assert expected_layout() == layout_from_migrations()


def test_a_project_opened_read_only_still_looks_tables_up(crafted: Path) -> None:
    with Project.open(crafted, read_only=True) as project:
        assert project.count_documents() == 1
        assert project.db.table_names() == project.db["meta"].db.table_names()  # made on demand


def test_the_migrations_written_out_are_the_migrations_in_order() -> None:
    """``layout.MIGRATIONS`` tells, without sqlite-utils, whether a file must be upgraded."""
    from annotator.store.layout import MIGRATIONS
    from annotator.store.migrations import migrations

    assert [migration.name for migration in migrations._migrations] == list(MIGRATIONS)


def test_a_file_a_newer_version_upgraded_is_refused_as_such(tmp_path: Path) -> None:
    """Not called crafted: the file is sound, this version only cannot read it."""
    path = tmp_path / "p.annotator"
    Project.create(path).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('annotator', 'm099_future', '2027-01-01')"
    )
    conn.execute("CREATE TABLE future (x)")  # what that migration made
    conn.commit()
    conn.close()
    for read_only in (False, True):
        with pytest.raises(NotAProjectError, match="newer version of annotator .*m099_future"):
            Project.open(path, read_only=read_only)
