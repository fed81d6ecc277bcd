"""Ctrl+Enter on a document with pending suggestions asks once: accept the rest, reject the
rest, or go back; the answer can be remembered in the project and forgotten from the menu."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from window_support import (
    CTRL,
    OFFSCREEN_WINDOW_WARNINGS,
    answer_next_dialog,
    focus_window,
    open_window,
)

from annotator.store import Project

SHIFT = Qt.KeyboardModifier.ShiftModifier

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)


def _state(path) -> tuple[dict[int, str], list[str], str]:
    """Document statuses, the span statuses of document 1, the remembered choice."""
    with Project.open(path, read_only=True) as project:
        statuses = {doc_id: project.document_status(doc_id) for doc_id in project.document_ids()}
        spans = [s.status for s in project.spans(1)]
        return statuses, spans, project.settings.pending_on_done


def test_escape_goes_back_and_changes_nothing(qtbot, launcher, project_file) -> None:
    path = project_file(2)  # document 1: an accepted PER and a pending ORG suggestion
    window = open_window(qtbot, launcher, path)
    answer_next_dialog(qtbot, Qt.Key.Key_Escape)
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL)
    assert window.session.current_doc_id == 1
    assert _state(path) == ({1: "new", 2: "new"}, ["accepted", "suggested"], "ask")
    assert window.session.undo_stack.count() == 0


@pytest.mark.parametrize(("key", "decided"), [("a", "accepted"), ("r", "rejected")])
def test_accept_or_reject_the_rest_and_the_status_are_one_undo_step(
    qtbot, launcher, project_file, key: str, decided: str
) -> None:
    path = project_file(2)
    window = open_window(qtbot, launcher, path)
    answer_next_dialog(qtbot, key)
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL)
    assert window.session.current_doc_id == 2
    assert _state(path) == ({1: "done", 2: "new"}, ["accepted", decided], "ask")
    focus_window(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert _state(path) == ({1: "new", 2: "new"}, ["accepted", "suggested"], "ask")


def test_without_pending_suggestions_nothing_is_asked(qtbot, launcher, project_file) -> None:
    path = project_file(3)
    window = open_window(qtbot, launcher, path)
    window.session.open_document(2)  # no suggestions
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL)
    assert _state(path)[0][2] == "done"


def test_a_remembered_choice_is_stored_in_the_project_and_can_be_reset(
    qtbot, launcher, project_file
) -> None:
    path = project_file(4)  # documents 1 and 4 have a pending suggestion
    window = open_window(qtbot, launcher, path)
    answer_next_dialog(qtbot, "m", "r")  # remember, reject the rest
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL)
    assert _state(path)[1:] == (["accepted", "rejected"], "reject")
    focus_window(qtbot, window)
    window.session.open_document(4)
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL)  # no dialog: remembered
    with Project.open(path, read_only=True) as project:
        assert project.document_status(4) == "done"
        assert [s.status for s in project.spans(4)] == ["accepted", "rejected"]
    assert window.statusBar().currentMessage() == (  # no dialog said it: the bar does
        "Document 4 done: 1 pending suggestion rejected, as remembered "
        "(Document ▸ Ask again about pending suggestions)"
    )
    window.actions_.actions["ask_pending"].trigger()
    assert _state(path)[2] == "ask"
    assert "asks again" in window.statusBar().currentMessage()


def test_accept_is_refused_while_two_labels_share_tokens(qtbot, launcher, project_file) -> None:
    path = project_file(2)
    window = open_window(qtbot, launcher, path)
    project = window.session.project
    org = project.spans(1, "suggested")[0]
    project.add_spans([org.model_copy(update={"id": "misc", "label": "MISC"})])
    window.session.open_document(1)
    answer_next_dialog(qtbot, "a", Qt.Key.Key_Escape)  # accept is disabled: then go back
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL)
    assert window.session.current_doc_id == 1
    assert _state(path)[0][1] == "new"


def test_the_first_edit_shows_in_progress_in_the_document_list(
    qtbot, launcher, project_file
) -> None:
    window = open_window(qtbot, launcher, project_file(2))
    model = window.document_list.model
    status = model.index(0, 0).data(model.StatusRole)
    assert status == "new"
    window.view.select(window.session.project.spans(1, "suggested")[0].id)
    qtbot.keyClick(window.view, Qt.Key.Key_A)
    assert model.index(0, 0).data(model.StatusRole) == "in_progress"


def test_undo_in_another_document_opens_it_and_says_so(qtbot, launcher, project_file) -> None:
    """Ctrl+Z after Ctrl+Enter had opened the next document un-marked document 1 out of
    sight: the view stayed on document 2 and nothing said what had changed."""
    path = project_file(2)
    window = open_window(qtbot, launcher, path)
    answer_next_dialog(qtbot, "r")
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL)
    assert window.session.current_doc_id == 2
    focus_window(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert window.session.current_doc_id == 1
    assert window.view.doc_id() == 1
    assert window.statusBar().currentMessage() == (
        "Undid reject the rest and mark document done in document 1"
    )
    assert _state(path) == ({1: "new", 2: "new"}, ["accepted", "suggested"], "ask")


def test_undo_and_redo_say_what_they_did_and_when_there_is_nothing(
    qtbot, launcher, project_file
) -> None:
    """An undo in the open document said nothing (a message left by an earlier undo in
    another document stayed up, naming the wrong step), and Ctrl+Z with nothing to undo was
    silent: the annotator could not tell a key that did nothing from a key not taken."""
    window = open_window(qtbot, launcher, project_file(2))
    focus_window(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert window.statusBar().currentMessage() == "Nothing to undo"
    window.view.select(window.session.project.spans(1, "suggested")[0].id)
    qtbot.keyClick(window.view, Qt.Key.Key_A)
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert window.statusBar().currentMessage() == "Undid accept suggestion"
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL | SHIFT)
    assert window.statusBar().currentMessage() == "Redid accept suggestion"
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL | SHIFT)
    assert window.statusBar().currentMessage() == "Nothing to redo"


def test_edits_reach_the_project_file_itself_soon_after_the_keys_stop(
    qtbot, launcher, project_file, tmp_path
) -> None:
    """The edits stayed in the -wal file until it grew to 4 MB: after a crash whose -wal was
    deleted, or in a copy of the project file taken while the window was open (a backup, the
    files handed to a team), the whole session was gone."""
    path = project_file(2)
    window = open_window(qtbot, launcher, path)
    suggestion = window.session.project.spans(1, "suggested")[0]
    window.view.select(suggestion.id)
    qtbot.keyClick(window.view, Qt.Key.Key_A)

    def accepted_in_the_file_alone() -> bool:
        copy = tmp_path / "copy.annotator"
        copy.write_bytes(path.read_bytes())
        with Project.open(copy, read_only=True) as copied:
            return suggestion.id in {s.id for s in copied.spans(1, "accepted")}

    qtbot.waitUntil(accepted_in_the_file_alone, timeout=10_000)


def test_a_project_renamed_while_open_is_said_at_the_next_edit(
    qtbot, launcher, project_file
) -> None:
    """Renamed from a shell while open: the next key showed "old.annotator: not an annotator
    project or damaged (unable to open database file)", from a background search."""
    path = project_file(5)  # documents 1 and 4 have a suggestion
    window = open_window(qtbot, launcher, path)
    moved = path.with_name("renamed.annotator")
    path.rename(moved)
    suggestion = window.session.project.spans(1, "suggested")[0]
    window.view.select(suggestion.id)
    qtbot.keyClick(window.view, Qt.Key.Key_A)
    message = window.statusBar().currentMessage()
    assert message.startswith(f"{path}: the project file was renamed, moved or deleted while open")
    assert f"open {moved}" in message
    other = window.session.project.spans(4, "suggested")[0]  # each edit says it again
    window.session.open_document(4)
    window.view.select(other.id)
    qtbot.keyClick(window.view, Qt.Key.Key_X)
    assert window.statusBar().currentMessage() == message
    window.close()
    with Project.open(moved, read_only=True) as reopened:  # the accept is in it
        assert suggestion.id in {s.id for s in reopened.spans(1, "accepted")}


def test_a_note_on_a_key_goes_at_the_next_edit(qtbot, launcher, project_file) -> None:
    """ "Already accepted" stayed 8 s while later keys changed things: X rejecting a span still
    showed it."""
    window = open_window(qtbot, launcher, project_file(2))
    project = window.session.project
    window.view.select(project.spans(1, "accepted")[0].id)
    qtbot.keyClick(window.view, Qt.Key.Key_A)
    assert window.statusBar().currentMessage() == "Already accepted"
    window.view.select(project.spans(1, "suggested")[0].id)
    qtbot.keyClick(window.view, Qt.Key.Key_X)
    assert window.statusBar().currentMessage() == ""
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # and what an undo says stays
    assert window.statusBar().currentMessage() == "Undid reject suggestion"
