"""The inspector keeps its width and shows every line of a long text (issue 10)."""

from __future__ import annotations

import pytest
from window_support import OFFSCREEN_WINDOW_WARNINGS, open_window

from annotator.model import Document, Span
from annotator.store import Project

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)

LONG = (
    "Organisation mondiale de la propriété intellectuelle et Conférence des Nations unies "
    "sur le commerce et le développement"
)


@pytest.fixture
def long_span_project(tmp_path) -> object:
    path = tmp_path / "inspector.annotator"
    with Project.create(path) as project:
        text = f"Selon {LONG}, la croissance ralentit."
        doc_id, _ = project.add_document(Document(text=text))
        start = text.index(LONG)
        project.insert_span(Span(doc_id=doc_id, start=start, end=start + len(LONG), label="ORG"))
        project.insert_span(Span(doc_id=doc_id, start=0, end=5, label="MISC"))
    return path


def test_selecting_a_long_span_does_not_widen_the_inspector(
    qtbot, launcher, long_span_project
) -> None:
    window = open_window(qtbot, launcher, long_span_project)
    dock = window.inspector_dock
    before = dock.width()
    view_before = window.view.width()
    window.view.setFocus()
    qtbot.keyClick(window.view, "\t")  # Tab selects the first span
    qtbot.keyClick(window.view, "\t")  # then the long one
    qtbot.wait(50)
    assert window.inspector.fields["text"].text() == LONG
    assert dock.width() == before
    assert window.view.width() == view_before  # the text did not reflow


def test_the_text_field_shows_every_line(qtbot, launcher, long_span_project) -> None:
    window = open_window(qtbot, launcher, long_span_project)
    qtbot.keyClick(window.view, "\t")
    qtbot.keyClick(window.view, "\t")
    qtbot.wait(50)
    field = window.inspector.fields["text"]
    assert field.text() == LONG
    needed = field.heightForWidth(field.width())
    assert needed > field.fontMetrics().lineSpacing()  # it wraps: more than one line
    assert field.height() >= needed
