"""Sessions: reopening restores document, scroll, selection and layout; locked projects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from window_support import OFFSCREEN_WINDOW_WARNINGS, add_documents, focus_window, open_window

from annotator.model import Document, Span
from annotator.store import Project
from annotator.ui.launcher import Launcher
from annotator.ui.preferences import Preferences

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)


LINE_LENGTH = len("Ligne 300 : Alice Martin rejoint Acme à Paris.\n")


def _long_document_project(path: Path) -> tuple[int, str]:
    """Two short documents, then a long one (id 3) with a span far down."""
    lines = [f"Ligne {n} : Alice Martin rejoint Acme à Paris." for n in range(400)]
    text = "\n".join(lines)
    tokens, position = [], 0
    for word in text.replace("\n", " ").split(" "):
        tokens.append((position, position + len(word)))
        position += len(word) + 1
    with Project.create(path) as project:
        add_documents(project, 2)
        doc_id, _ = project.add_document(Document(text=text, tokens=tuple(tokens)))
        start = text.index("Acme", text.index("Ligne 300 "))
        span = Span(doc_id=doc_id, start=start, end=start + 4, label="ORG")
        project.insert_span(span)
    return doc_id, span.id


def test_reopening_restores_document_scroll_and_selection(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "session.annotator"
    doc_id, span_id = _long_document_project(path)
    first = Launcher(Preferences())
    window = open_window(qtbot, first, path)
    window.session.open_document(doc_id)
    window.view.select(span_id)
    qtbot.waitUntil(lambda: window.view.scroll_position() > 0)
    scrolled_to = window.view.scroll_position()
    window.labels_dock.hide()  # a layout change that must come back too
    window.close()
    assert first.window is None

    again = Launcher(Preferences())
    assert again.start(None)  # `annotator` alone: the last project
    reopened = again.window
    assert reopened is not None and reopened.project_path == path
    qtbot.waitExposed(reopened)
    try:
        assert reopened.session.current_doc_id == doc_id
        assert reopened.view.doc_id() == doc_id
        selected = reopened.view.selected()
        assert selected is not None and selected.id == span_id
        assert reopened.view.scroll_position() == scrolled_to  # the same first line is shown
        assert reopened.inspector.item is not None and reopened.inspector.item.id == span_id
        assert not reopened.labels_dock.isVisible()
        assert reopened.documents_dock.isVisible()
    finally:
        reopened.close()


def test_no_last_project_shows_the_welcome_screen(qtbot) -> None:
    launcher = Launcher(Preferences())
    assert launcher.start(None)
    try:
        assert launcher.window is None
        assert launcher.welcome is not None and launcher.welcome.isVisible()
        assert launcher.welcome.new_button.isEnabled()
    finally:
        launcher.welcome.close()


def test_recent_projects_are_remembered(qtbot, launcher, project_file) -> None:
    first = project_file(1, name="first.annotator")
    second = project_file(1, name="second.annotator")
    first_window = open_window(qtbot, launcher, first)
    seen_at_close: list[bool] = []
    first_window.closed.connect(
        lambda _w: seen_at_close.append(launcher.window is not None and launcher.window.isVisible())
    )
    open_window(qtbot, launcher, second)  # replaces the window, closing the first project
    # the new window showed before the old one closed: the app never had no window
    assert seen_at_close == [True]
    assert launcher.preferences.recent_projects() == [second, first]
    menu = launcher.window.actions_.recent_menu
    menu.aboutToShow.emit()
    assert [a.text() for a in menu.actions()] == ["second.annotator", "first.annotator"]
    with Project.open(first):  # the first project's lock was released
        pass


def test_a_locked_project_offers_read_only(qtbot, project_file) -> None:
    path = project_file(2)
    asked: list[str] = []

    def accept_read_only(_parent, message: str) -> bool:
        asked.append(message)
        return True

    launcher = Launcher(Preferences(), ask_read_only=accept_read_only)
    with Project.open(path) as writer:  # another process writing
        assert launcher.open_project(path)
        window = focus_window(qtbot, launcher.window)
        try:
            assert "open for writing in another window or process" in asked[0]
            assert window.session.project.read_only
            assert "(read-only)" in window.windowTitle()
            # an edit is refused with a message, and nothing changes
            qtbot.keyClick(window.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            assert "read-only" in window.statusBar().currentMessage()
            assert writer.document_status(1) == "new"
        finally:
            window.close()


def test_a_read_only_window_shows_on_the_key_that_nothing_changed(qtbot, project_file) -> None:
    path = project_file(2)
    launcher = Launcher(Preferences(), ask_read_only=lambda _parent, _message: True)
    with Project.open(path) as writer:
        assert launcher.open_project(path)
        window = focus_window(qtbot, launcher.window)
        try:
            notice = window.findChild(QLabel, "editor.refusal_notice")
            assert notice is not None and not notice.isVisible()
            [org] = [s for s in writer.spans(1) if s.label == "ORG"]
            window.view.select(org.id)
            qtbot.keyClick(window.view, "a")  # accept the suggestion: refused
            assert notice.isVisible()  # at once: no wait, no event loop turn
            assert notice.text() == "Read-only: nothing was changed."
            assert notice.geometry().intersects(window.view.viewport().geometry())
            assert [s.status for s in writer.spans(1) if s.label == "ORG"] == ["suggested"]
        finally:
            window.close()


def test_a_locked_project_can_be_left_alone(qtbot, project_file) -> None:
    path = project_file(1)
    launcher = Launcher(Preferences(), ask_read_only=lambda _parent, _message: False)
    with Project.open(path):
        assert not launcher.open_project(path)
    assert launcher.window is None


def test_a_file_that_is_not_a_project_gets_a_message(qtbot, tmp_path, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        "annotator.ui.launcher.critical",
        lambda _parent, title, message: shown.append(f"{title}: {message}"),
    )
    bogus = tmp_path / "notes.annotator"
    bogus.write_text("not a database")
    launcher = Launcher(Preferences())
    assert not launcher.open_project(bogus)
    assert shown and "notes.annotator" in shown[0] and "not an annotator project" in shown[0]


def test_an_empty_project_says_how_to_fill_it(qtbot, launcher, tmp_path) -> None:
    path = tmp_path / "empty.annotator"
    Project.create(path).close()
    window = open_window(qtbot, launcher, path)
    assert window.session.current_doc_id is None
    assert "no documents yet" in window.statusBar().currentMessage()
    assert window.status.position_label.text() == "– / 0"


def test_a_project_the_user_cannot_write_opens_read_only_and_says_so(qtbot, project_file) -> None:
    from permissions import immutable

    path = project_file(2)
    launcher = Launcher(Preferences(), ask_read_only=lambda _parent, _message: False)
    with immutable(path):
        assert launcher.open_project(path)
        window = focus_window(qtbot, launcher.window)
        try:
            assert window.session.project.read_only
            assert "(read-only)" in window.windowTitle()
            message = window.statusBar().currentMessage()
            assert message.startswith(f"Opened read-only: {path}: you cannot write this project")
            qtbot.keyClick(window.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            assert "read-only" in window.statusBar().currentMessage()
        finally:
            window.close()
    with Project.open(path) as project:
        assert project.document_status(1) == "new"


def test_gui_read_only_opens_a_project_being_written_without_asking(qtbot, project_file) -> None:
    path = project_file(1)
    asked: list[str] = []
    launcher = Launcher(
        Preferences(), ask_read_only=lambda _p, message: bool(asked.append(message))
    )
    with Project.open(path):  # another process writing
        assert launcher.start(path, read_only=True)
        window = focus_window(qtbot, launcher.window)
        try:
            assert window.session.project.read_only and not asked
        finally:
            window.close()


def test_reopening_shows_the_line_it_was_closed_on(qtbot, tmp_path: Path) -> None:
    """A document of long paragraphs, scrolled with Page Down, closed with Ctrl+Q and opened
    again: the same first line shows, and still after the text re-wraps (the document list
    hidden and shown again, or the window manager resizing the window after it shows). Before,
    each width change re-anchored at the start of the line that held the position at the old
    width, so the position crept up a line or more."""
    path = tmp_path / "paragraphs.annotator"
    sentence = "Alice Martin rejoint Acme à Paris, puis visite Lyon."
    text = "\n\n".join(f"{n} " + " ".join([sentence] * 14) for n in range(300))
    tokens = tuple((m.start(), m.end()) for m in re.finditer(r"\S+", text))
    with Project.create(path) as project:
        doc_id, _ = project.add_document(Document(text=text, tokens=tokens))
    first = Launcher(Preferences())
    window = open_window(qtbot, first, path)
    window.resize(780, 700)  # fits the offscreen screen: the next window gets the same size
    qtbot.waitUntil(lambda: window.size().toTuple() == (780, 700))
    for _ in range(40):
        qtbot.keyClick(window.view, Qt.Key.Key_PageDown)
    shown = window.view.first_line_shown()
    while shown is not None and text[shown[0] - 1] == "\n":  # on to a line mid-paragraph
        qtbot.keyClick(window.view, Qt.Key.Key_PageDown)
        shown = window.view.first_line_shown()
    assert shown is not None and shown[0] > 0
    width = window.view.viewport().width()
    qtbot.keyClick(window.view, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert first.window is None

    again = Launcher(Preferences())
    reopened = open_window(qtbot, again, path)
    try:
        assert reopened.view.doc_id() == doc_id
        assert reopened.view.first_line_shown() == shown
        for _ in range(2):  # the list hidden, then shown again: the text re-wraps twice
            qtbot.keyClick(reopened.view, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
            qtbot.wait(20)
        assert reopened.documents_dock.isVisible()
        assert reopened.view.viewport().width() == width
        assert reopened.view.first_line_shown() == shown
    finally:
        reopened.close()


def test_a_floating_dock_comes_back_after_ctrl_q(qtbot, project_file) -> None:
    """Quit (Ctrl+Q) closed every top-level window, the floating Labels dock before the main
    window, which then saved it as hidden: it did not come back."""
    path = project_file(2)
    first = Launcher(Preferences())
    window = open_window(qtbot, first, path)
    window.labels_dock.setFloating(True)
    qtbot.waitUntil(window.labels_dock.isVisible)
    qtbot.keyClick(window.view, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert first.window is None

    again = Launcher(Preferences())
    reopened = open_window(qtbot, again, path)
    try:
        assert reopened.labels_dock.isFloating()
        qtbot.waitUntil(reopened.labels_dock.isVisible)
    finally:
        reopened.close()


def test_a_kill_right_after_moving_on_does_not_scroll_the_next_document(
    qtbot, tmp_path: Path
) -> None:
    """The open document is saved at once, its scroll position 400 ms later: killed in
    between, the next document opened far down, at the previous one's position."""
    path = tmp_path / "two.annotator"
    text = "\n".join(f"Ligne {n} : Alice Martin rejoint Acme à Paris." for n in range(400))
    tokens = tuple((m.start(), m.end()) for m in re.finditer(r"\S+", text))
    with Project.create(path) as project:
        first_id, _ = project.add_document(Document(text=text, tokens=tokens))
        second_id, _ = project.add_document(Document(text=text + " Fin.", tokens=tokens))
    first = Launcher(Preferences())
    window = open_window(qtbot, first, path)
    window.session.open_document(first_id)
    for _ in range(20):
        qtbot.keyClick(window.view, Qt.Key.Key_PageDown)
    assert window.view.scroll_position() > 0
    window.save_view_state()
    window.session.open_document(second_id)  # and killed before its position is saved
    again = Launcher(Preferences())  # the project is still held: a read-only window
    again.start(path, read_only=True)
    reopened = again.window
    assert reopened is not None
    try:
        assert reopened.view.doc_id() == second_id
        assert reopened.view.scroll_position() == 0
    finally:
        reopened.close()
        window.close()


def test_a_last_project_moved_away_is_named_not_replaced_by_an_older_one(
    qtbot, launcher, project_file
) -> None:
    """`annotator` alone, the last project moved away: it opened an older recent project
    without a word (or, with no other, said "No recent projects yet")."""
    older = project_file(1, name="older.annotator")
    last = project_file(1, name="last.annotator")
    launcher.preferences.add_recent(older)
    launcher.preferences.add_recent(last)
    last.rename(last.with_name("moved.annotator"))
    again = Launcher(Preferences())
    assert again.start(None)
    try:
        assert again.window is None  # not the older project, unasked
        assert again.welcome is not None and again.welcome.isVisible()
        notice = again.welcome.findChild(QLabel, "welcome-notice")
        assert notice is not None and str(last.resolve()) in notice.text()
        assert "moved, renamed or deleted" in notice.text()
    finally:
        if again.welcome is not None:
            again.welcome.close()


def test_a_read_only_window_follows_the_writers_edits_then_can_write(qtbot, project_file) -> None:
    """A second window, read-only while another held the project, showed the state it opened
    on until the document was left and opened again (its list and progress never); and once
    the writer closed, Open project on the same file only raised the read-only window."""
    from annotator import edits

    path = project_file(2)
    launcher = Launcher(Preferences(), ask_read_only=lambda _parent, _message: True)
    with Project.open(path) as writer:  # another window or process writing
        assert launcher.open_project(path)
        window = focus_window(qtbot, launcher.window)
        assert window.session.project.read_only and window.view.doc_id() == 1
        suggestion = writer.spans(1, "suggested")[0]
        writer.apply(edits.accept_span(suggestion))
        writer.apply(edits.set_document_status(1, writer.document_status(1), "done"))

        def shown() -> bool:
            window.view.select(suggestion.id)
            selected = window.view.selected()
            return selected is not None and selected.status == "accepted"

        qtbot.waitUntil(shown, timeout=5000)
        progress = window.document_list.progress
        qtbot.waitUntil(lambda: progress.format().startswith("1 / 2 done"), timeout=5000)
    assert launcher.open_project(path)  # the writer is gone: this time for writing
    reopened = launcher.window
    assert reopened is not None and reopened is not window
    try:
        assert not reopened.session.project.read_only
        assert "(read-only)" not in reopened.windowTitle()
    finally:
        reopened.close()


def test_a_read_only_window_says_when_the_writer_left_and_reopens_for_writing(
    qtbot, project_file
) -> None:
    """Once the writer closed, the read-only window said nothing: the user had to think of
    opening the same project again."""
    path = project_file(2)
    launcher = Launcher(Preferences(), ask_read_only=lambda _parent, _message: True)
    writer = Project.open(path)  # another window or process writing
    try:
        assert launcher.open_project(path)
        window = focus_window(qtbot, launcher.window)
        reopen = window.actions_.actions["reopen_writable"]
        assert reopen.isVisible() and not reopen.isEnabled()
        qtbot.wait(1200)  # a poll with the writer still there says nothing
        assert "no longer open for writing" not in window.status.currentMessage()
    finally:
        writer.close()
    qtbot.waitUntil(reopen.isEnabled, timeout=5000)
    assert window.status.currentMessage() == (
        f"{path.name} is no longer open for writing elsewhere: File ▸ Reopen for writing "
        "(Ctrl+Shift+W) to edit it here"
    )
    qtbot.keyClick(
        window,
        Qt.Key.Key_W,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: launcher.window is not window, timeout=5000)
    reopened = launcher.window
    assert reopened is not None
    try:
        assert not reopened.session.project.read_only
        assert not reopened.actions_.actions["reopen_writable"].isVisible()
    finally:
        reopened.close()


def test_the_lists_filters_come_back_when_the_project_reopens(qtbot, project_file) -> None:
    """The order came back, the text, status and label filters did not."""
    path = project_file(4)
    first = Launcher(Preferences())
    window = open_window(qtbot, first, path)
    listing = window.document_list
    listing.show_status("new")
    listing.label_filter.setCurrentIndex(listing.label_filter.findData("PER"))
    qtbot.keyClicks(listing.text_filter, "Alice")
    qtbot.waitUntil(lambda: listing.model.document_filter.text == "Alice")
    shown = listing.model.rowCount()
    window.close()

    again = Launcher(Preferences())
    reopened = open_window(qtbot, again, path)
    try:
        listing = reopened.document_list
        assert listing.text_filter.text() == "Alice"
        assert listing.status_filter.currentData() == "new"
        assert listing.label_filter.currentData() == "PER"
        qtbot.waitUntil(lambda: listing.model.rowCount() == shown)
        reopened.session.project.set_state(  # a label the schema has no more: left out
            "document_filters", {"text": "", "status": "new", "label": "GONE"}
        )
    finally:
        reopened.close()
    third = open_window(qtbot, Launcher(Preferences()), path)
    try:
        assert third.document_list.label_filter.currentData() == ""
        assert third.document_list.model.document_filter.label == ""
        assert third.document_list.model.document_filter.status == "new"
    finally:
        third.close()
