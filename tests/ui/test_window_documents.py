"""Moving between documents from the keyboard, the document list and the status bar."""

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

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)
ALT = Qt.KeyboardModifier.AltModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _statuses(path) -> dict[int, str]:
    with Project.open(path, read_only=True) as project:
        return {doc_id: project.document_status(doc_id) for doc_id in project.document_ids()}


def test_ctrl_enter_marks_done_and_opens_the_next_unfinished(qtbot, launcher, project_file) -> None:
    path = project_file(4)
    window = open_window(qtbot, launcher, path)
    session = window.session
    assert session.current_doc_id == 1
    window.session.project.set_document_status(2, "done")  # already finished: jumped over
    answer_next_dialog(qtbot, "a")  # document 1 has a pending suggestion: accept the rest
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL)
    assert session.current_doc_id == 3
    assert window.view.doc_id() == 3
    assert _statuses(path)[1] == "done"
    focus_window(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_Enter, CTRL)  # the keypad Enter too
    assert session.current_doc_id == 4
    # the document list and the status bar follow
    list_row = window.document_list.table.currentIndex().row()
    assert window.document_list.model.doc_id_at(list_row) == 4
    qtbot.waitUntil(lambda: window.status.position_label.text() == "Document 4 / 4")
    assert window.document_list.progress.text().startswith("3 / 4 done")
    # undo brings the status back, as one step
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert _statuses(path)[3] == "new"


def test_skip_previous_and_next(qtbot, launcher, project_file) -> None:
    path = project_file(3)
    window = open_window(qtbot, launcher, path)
    session = window.session
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL_SHIFT)
    assert _statuses(path)[1] == "skipped"
    assert session.current_doc_id == 2
    qtbot.keyClick(window.view, Qt.Key.Key_Right, ALT)
    assert session.current_doc_id == 3
    qtbot.keyClick(window.view, Qt.Key.Key_Right, ALT)
    assert session.current_doc_id == 3
    assert "last document" in window.statusBar().currentMessage()
    qtbot.keyClick(window.view, Qt.Key.Key_Left, ALT)
    qtbot.keyClick(window.view, Qt.Key.Key_Left, ALT)
    assert session.current_doc_id == 1


def test_when_every_document_is_done_the_window_says_so(qtbot, launcher, project_file) -> None:
    path = project_file(2)
    window = open_window(qtbot, launcher, path)
    answer_next_dialog(qtbot, "r")  # document 1 has a pending suggestion: reject the rest
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL)
    focus_window(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL)
    assert _statuses(path) == {1: "done", 2: "done"}
    assert "Everything is done" in window.statusBar().currentMessage()


def test_clicking_a_row_of_the_list_opens_its_document(qtbot, launcher, project_file) -> None:
    window = open_window(qtbot, launcher, project_file(6))
    table = window.document_list.table
    rect = table.visualRect(table.model().index(4, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.session.current_doc_id == 5
    assert window.view.doc_id() == 5
    assert window.view.hasFocus()  # label keys go to the document again


def test_the_filter_box_narrows_the_list(qtbot, launcher, project_file) -> None:
    window = open_window(qtbot, launcher, project_file(12))
    panel = window.document_list
    qtbot.keyClicks(panel.text_filter, "Document 1")  # 1, 10, 11
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3)
    panel.text_filter.clear()
    panel.label_filter.setCurrentIndex(panel.label_filter.findData("PER"))  # 0, 3, 6, 9
    assert panel.model.rowCount() == 4
    panel.label_filter.setCurrentIndex(0)
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("done"))
    assert panel.model.rowCount() == 0


def test_ctrl_f_then_enter_opens_the_first_match_from_the_keyboard(
    qtbot, launcher, project_file
) -> None:
    """Nothing reached the document list from the keyboard, and Enter in its filter opened
    nothing: the documents could be found by mouse only."""
    window = open_window(qtbot, launcher, project_file(12))
    panel = window.document_list
    window.documents_dock.hide()
    qtbot.keyClick(window.view, Qt.Key.Key_F, CTRL)
    assert window.documents_dock.isVisible() and panel.text_filter.hasFocus()
    qtbot.keyClicks(panel.text_filter, "Document 7")
    qtbot.keyClick(panel.text_filter, Qt.Key.Key_Return)  # at once, before the filter's pause
    assert window.session.current_doc_id == 8  # "Document 7" is the eighth
    assert window.view.hasFocus()  # the keys are back in the text
    qtbot.keyClick(window.view, Qt.Key.Key_F, CTRL)
    assert panel.text_filter.selectedText() == "Document 7"  # selected: typing replaces it
    qtbot.keyClicks(panel.text_filter, "Document 1")  # documents 2, 11 and 12
    qtbot.keyClick(panel.text_filter, Qt.Key.Key_Down)  # into the list, on its first row
    assert panel.table.hasFocus() and window.session.current_doc_id == 2
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    assert window.session.current_doc_id == 11  # arrows walk the matches
    qtbot.keyClick(window.view, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(panel.text_filter, "nowhere")
    qtbot.keyClick(panel.text_filter, Qt.Key.Key_Return)
    assert panel.text_filter.hasFocus()  # nothing to open: the keys stay to change it
    assert window.statusBar().currentMessage() == "No document matches 'nowhere'"
    qtbot.keyClick(panel.text_filter, Qt.Key.Key_Escape)  # cleared, back to the text
    assert panel.text_filter.text() == "" and panel.model.rowCount() == 12
    assert window.view.hasFocus()


def test_status_bar_shows_project_position_and_what_is_left(qtbot, launcher, project_file) -> None:
    window = open_window(qtbot, launcher, project_file(5))
    status = window.status
    qtbot.waitUntil(lambda: status.position_label.text() == "Document 1 / 5")
    assert status.project_label.text() == "window.annotator"
    assert status.review_label.text() == "1 suggestion to review · 5 documents unfinished"


def test_propagation_into_other_documents_shows_in_the_list(qtbot, launcher, project_file) -> None:
    path = project_file(300)  # every third document has a suggested "Acme" ORG
    window = open_window(qtbot, launcher, path)
    model = window.document_list.model
    far = model.row_of(299)  # on another page of the list than the open document
    assert far - model.row_of(1) > 128  # the list reads rows 128 at a time
    assert model.index(far, model.PENDING).data() == ""
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)  # "Alice Martin", accepted
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)  # "Acme", suggested
    with qtbot.waitSignal(window.view.propagated, timeout=10_000) as blocker:
        qtbot.keyClick(window.view, Qt.Key.Key_A)  # accept: "Acme" is proposed elsewhere
    assert blocker.args == [200]
    assert model.index(far, model.PENDING).data() == "1"


def test_the_list_can_put_the_sample_first(qtbot, launcher, project_file) -> None:
    from annotator.services.sampling import SampleOptions, sample_project_file

    path = project_file(12)
    chosen = sample_project_file(path, SampleOptions(n=3, seed=4)).chosen
    _chose_id_order(path)
    window = open_window(qtbot, launcher, path)
    panel = window.document_list
    model = panel.model
    assert [model.doc_id_at(row) for row in range(3)] == [1, 2, 3]
    panel.order_choice.setFocus()
    qtbot.keyClick(panel.order_choice, Qt.Key.Key_Down)  # "Sample first"
    assert [model.doc_id_at(row) for row in range(3)] == chosen
    assert model.rowCount() == 12
    assert model.row_of(chosen[1]) == 1
    qtbot.keyClick(window.view, Qt.Key.Key_Right, ALT)  # the list follows the open document
    current = window.document_list.table.currentIndex().row()
    assert model.doc_id_at(current) == window.session.current_doc_id


def _chose_id_order(path) -> None:
    with Project.open(path) as project:
        project.set_state("document_order", "id")  # as choosing "Id order" by hand leaves it


def test_after_a_sample_the_list_opens_sample_first(qtbot, launcher, project_file) -> None:
    """``annotator sample`` in place, then the window: the sample first, at its first
    unfinished document; reopened, the last document; an order chosen by hand is kept."""
    from annotator.services.sampling import SampleOptions, sample_project_file

    path = project_file(12)
    with Project.open(path) as project:
        project.set_state("last_document", 7)  # where the person was before sampling
    chosen = sample_project_file(path, SampleOptions(n=4, seed=4)).chosen
    with Project.open(path) as project:
        project.set_document_status(chosen[0], "done")  # finished: the window starts after it
    window = open_window(qtbot, launcher, path)
    panel = window.document_list
    assert panel.order_choice.currentText() == "Sample first"
    assert [panel.model.doc_id_at(row) for row in range(4)] == chosen
    assert window.session.current_doc_id == chosen[1]
    assert window.view.doc_id() == chosen[1]
    assert panel.model.doc_id_at(panel.table.currentIndex().row()) == chosen[1]
    qtbot.keyClick(window.view, Qt.Key.Key_Right, ALT)  # the sample's order
    assert window.session.current_doc_id == chosen[2]
    window.close()

    window = open_window(qtbot, launcher, path)  # the same sample: where the person was
    assert window.document_list.order_choice.currentText() == "Sample first"
    assert window.session.current_doc_id == chosen[2]
    panel = window.document_list
    panel.order_choice.setFocus()
    qtbot.keyClick(panel.order_choice, Qt.Key.Key_Up)  # "Id order", by hand
    window.close()

    window = open_window(qtbot, launcher, path)
    assert window.document_list.order_choice.currentText() == "Id order"
    assert window.session.current_doc_id == chosen[2]


def test_choosing_sample_first_shows_the_top_of_the_list(qtbot, launcher, project_file) -> None:
    """The open document far down in id order: a new order shows rank 1, not its row."""
    from annotator.store.pool import set_priorities

    path = project_file(600)
    with Project.open(path) as project:
        set_priorities(project, [30, 20, 10])
        project.set_state("document_order", "id")
        project.set_state("last_document", 500)
    window = open_window(qtbot, launcher, path)
    panel = window.document_list
    table = panel.table
    qtbot.waitUntil(lambda: table.rowAt(0) > 400)  # id order keeps document 500 in view
    panel.order_choice.setFocus()
    qtbot.keyClick(panel.order_choice, Qt.Key.Key_Down)  # "Sample first"
    qtbot.wait(50)  # the rows listed after the first chunk must not scroll back either
    assert table.rowAt(0) == 0
    assert panel.model.doc_id_at(0) == 30
    assert panel.model.doc_id_at(table.currentIndex().row()) == 500  # still selected
    focus_window(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_Right, ALT)  # a move: the list follows again
    assert window.session.current_doc_id == 501
    qtbot.waitUntil(lambda: table.rowAt(0) > 400)


def test_the_open_document_is_selected_once_the_list_reaches_it(
    qtbot, launcher, project_file, monkeypatch
) -> None:
    from annotator.ui.document_list_model import DocumentListModel

    monkeypatch.setattr(DocumentListModel, "first_ids", 5)  # the list grows 7 rows an event
    monkeypatch.setattr(DocumentListModel, "ids_per_step", 7)
    path = project_file(40)
    with Project.open(path) as project:
        project.set_state("last_document", 33)
    window = open_window(qtbot, launcher, path)
    panel = window.document_list
    assert window.session.current_doc_id == 33
    qtbot.waitUntil(lambda: not panel.model.is_listing())
    assert panel.model.doc_id_at(panel.table.currentIndex().row()) == 33
    # and across a filter typed in the box: the document stays selected when its row comes
    panel.text_filter.setFocus()
    qtbot.keyClicks(panel.text_filter, "Document 3")  # 3, 30..39: ids 4, 31..40
    qtbot.waitUntil(lambda: panel.model.rowCount() == 11)
    assert panel.model.doc_id_at(panel.table.currentIndex().row()) == 33


def test_closing_the_window_while_the_list_grows_stops_it(
    qtbot, launcher, project_file, monkeypatch
) -> None:
    from annotator.ui.document_list_model import DocumentListModel

    monkeypatch.setattr(DocumentListModel, "first_ids", 2)
    monkeypatch.setattr(DocumentListModel, "ids_per_step", 1)
    window = open_window(qtbot, launcher, project_file(30))
    model = window.document_list.model
    assert model.is_listing()
    window.close()  # closes the project: the list must not read it any more
    assert not model.is_listing()
    qtbot.wait(50)  # events, timers and the deferred delete run: no error in any of them


def test_previous_and_next_walk_the_sample_first_order(qtbot, launcher, project_file) -> None:
    from annotator.store.pool import set_priorities

    path = project_file(8)
    with Project.open(path) as project:
        set_priorities(project, [4, 2, 6])  # what annotator sample leaves in the project
        project.set_state("document_order", "id")  # the person chose id order before
    window = open_window(qtbot, launcher, path)
    session, panel = window.session, window.document_list
    assert session.current_doc_id == 1
    panel.order_choice.setFocus()
    qtbot.keyClick(panel.order_choice, Qt.Key.Key_Down)  # "Sample first": 4 2 6 1 3 5 7 8
    focus_window(qtbot, window)
    walked = []
    for _ in range(4):
        qtbot.keyClick(window.view, Qt.Key.Key_Left, ALT)
        walked.append(session.current_doc_id)
    assert walked == [6, 2, 4, 4]
    assert "first document" in window.statusBar().currentMessage()
    for _ in range(4):
        qtbot.keyClick(window.view, Qt.Key.Key_Right, ALT)
        walked.append(session.current_doc_id)
    assert walked[4:] == [2, 6, 1, 3]
    row = panel.table.currentIndex().row()
    assert panel.model.doc_id_at(row) == 3  # the list's selection follows
    panel.order_choice.setFocus()
    qtbot.keyClick(panel.order_choice, Qt.Key.Key_Up)  # id order again
    focus_window(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_Right, ALT)
    assert session.current_doc_id == 4


def test_done_and_next_follows_the_sample_first_order(qtbot, launcher, project_file) -> None:
    from annotator.store.pool import set_priorities

    path = project_file(8)
    with Project.open(path) as project:
        set_priorities(project, [5, 3])
        project.set_state("document_order", "id")
        project.set_document_status(3, "done")  # already finished: jumped over
    window = open_window(qtbot, launcher, path)
    panel = window.document_list
    panel.order_choice.setFocus()
    qtbot.keyClick(panel.order_choice, Qt.Key.Key_Down)  # "Sample first": 5 (3) 1 2 4 ...
    focus_window(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_Right, ALT)  # from 1: 2
    for _ in range(3):
        qtbot.keyClick(window.view, Qt.Key.Key_Left, ALT)  # 1, 3 (done), 5
    assert window.session.current_doc_id == 5
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL)  # 5 done; the next unfinished: 1
    assert window.session.current_doc_id == 1
    assert _statuses(path)[5] == "done"


def test_the_status_bar_counts_the_position_in_the_sample_first_order(
    qtbot, launcher, project_file
) -> None:
    from annotator.store.pool import set_priorities

    path = project_file(8)
    with Project.open(path) as project:
        set_priorities(project, [4, 2, 6])
        project.set_state("document_order", "id")
    window = open_window(qtbot, launcher, path)
    panel, position = window.document_list, window.status.position_label

    def shows(text: str) -> None:
        qtbot.waitUntil(lambda: position.text() == text)

    shows("Document 1 / 8")
    panel.order_choice.setFocus()
    qtbot.keyClick(panel.order_choice, Qt.Key.Key_Down)  # "Sample first": 4 2 6 1 3 5 7 8
    shows("Document 4 / 8")  # 1 is fourth in that order
    focus_window(qtbot, window)
    for expected in ("Document 3 / 8", "Document 2 / 8", "Document 1 / 8"):  # 6, 2, 4
        qtbot.keyClick(window.view, Qt.Key.Key_Left, ALT)
        shows(expected)
    qtbot.keyClick(window.view, Qt.Key.Key_Right, ALT)  # 2
    shows("Document 2 / 8")
    qtbot.keyClick(window.view, Qt.Key.Key_Return, CTRL)  # 2 done; next unfinished: 6
    assert window.session.current_doc_id == 6
    shows("Document 3 / 8")
    qtbot.keyClick(window.view, Qt.Key.Key_Right, ALT)  # 1, the first one not ranked
    shows("Document 4 / 8")
    qtbot.keyClick(window.view, Qt.Key.Key_Right, ALT)  # 3
    shows("Document 5 / 8")
    panel.order_choice.setFocus()
    qtbot.keyClick(panel.order_choice, Qt.Key.Key_Up)  # id order again: 3 is third
    shows("Document 3 / 8")
