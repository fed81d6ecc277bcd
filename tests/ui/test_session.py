"""The session's undo stack: a step that no longer fits is reported and dropped, never raised;
a database held by another writer is reported as a one-line message."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from annotator.edits import accept_span, relabel_span
from annotator.model import Span
from annotator.store import Project
from annotator.ui.schema_editor import NAME, SchemaEditor
from annotator.ui.session import ProjectSession

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def session(qtbot, make_project: Callable[..., Project]) -> ProjectSession:
    created = ProjectSession(make_project(3))
    created.open_document(1)
    return created


def _suggested(session: ProjectSession) -> Span:
    return next(s for s in session.project.spans(1) if s.status == "suggested")


def test_an_undo_that_no_longer_fits_is_reported_and_leaves_the_stack(qtbot, session) -> None:
    suggested = _suggested(session)
    assert session.push(accept_span(suggested))
    accepted = _accepted(session, suggested.id)
    # the span changes behind the stack's back (another tool, another window)
    session.project.apply(relabel_span(accepted, "PER"))
    with qtbot.waitSignal(session.edit_failed) as failed:
        session.undo_stack.undo()
    assert "has changed since this edit was made" in failed.args[0]
    assert session.undo_stack.count() == 0 and not session.undo_stack.canRedo()
    assert _accepted(session, suggested.id).label == "PER"  # nothing was undone


def _accepted(session: ProjectSession, span_id: str) -> Span:
    return next(s for s in session.project.spans(1) if s.id == span_id)


def test_a_label_rename_ends_the_undo_history(qtbot, session) -> None:
    suggested = _suggested(session)
    assert session.push(accept_span(suggested))
    assert session.undo_stack.canUndo()
    editor = SchemaEditor(session)
    qtbot.addWidget(editor)
    row = next(r for r in range(editor.entities.rowCount()) if editor.entities.name(r) == "ORG")
    editor.entities.item(row, NAME).setText("COMPANY")
    editor.accept()
    assert not session.undo_stack.canUndo()
    session.undo_stack.undo()  # nothing to undo: no error either
    assert _accepted(session, suggested.id).label == "COMPANY"


def test_a_busy_database_is_reported_for_menu_actions_too(qtbot, session) -> None:
    project = session.project
    project.db.execute("PRAGMA busy_timeout = 50")
    with project.worker_connection() as other, other.transaction():
        other.set_state("holding", 1)  # the other connection holds the write lock
        with qtbot.waitSignal(session.edit_failed) as failed:
            assert not session.mark_done_and_next("reject")
    assert "database is locked" in failed.args[0] and "\n" not in failed.args[0]
    assert project.document_status(1) != "done"
    assert session.current_doc_id == 1 and session.undo_stack.count() == 0


def test_a_session_builds_the_edits_validators_before_the_first_edit(
    make_project: Callable[..., Project],
) -> None:
    """pydantic builds a model's validator at its first use (``defer_build``): 50-75 ms that
    the window's first accept paid. A new interpreter, where no edit was made yet."""
    project = make_project(1)
    check = (
        "import sys\n"
        "from annotator import edits\n"
        "from annotator.store import Project\n"
        "from annotator.ui.session import ProjectSession\n"
        "models = (edits.UpdateSpan, edits.SetDocumentStatus, edits.EditGroup)\n"
        "before = [m.__pydantic_complete__ for m in models]\n"
        "ProjectSession(Project.open(sys.argv[1], read_only=True))\n"
        "print(before, [m.__pydantic_complete__ for m in models])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check, str(project.path)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("] [") == ["[False, False, False", "True, True, True]\n"]
