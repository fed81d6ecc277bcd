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


ORIGIN = "model:fr_core_news_md@3.7.0"


def test_every_field_of_a_suggestion_shows_at_the_default_layout(qtbot, launcher, tmp_path) -> None:
    """At 1280x800 (no saved layout) the inspector shows every field of a model's suggestion
    without scrolling, and the origin wraps at ``:``, ``_``, ``@`` instead of being cut."""
    import re

    from PySide6.QtWidgets import QScrollArea

    path = tmp_path / "origin.annotator"
    with Project.create(path) as project:
        text = "Selon Alice Martin, la croissance ralentit à Paris."
        doc_id, _ = project.add_document(Document(text=text))
        suggestion = Span(
            doc_id=doc_id,
            start=6,
            end=18,
            label="PER",
            status="suggested",
            origin=ORIGIN,
            score=0.83,
        )
        project.insert_span(suggestion)
    window = open_window(qtbot, launcher, path)
    assert window.size().toTuple() == (1280, 800)
    qtbot.keyClick(window.view, "\t")
    inspector = window.inspector
    qtbot.waitUntil(lambda: inspector.value("score") == "0.83")
    qtbot.wait(50)  # the layout settles
    assert inspector.value("origin") == f"{ORIGIN} (spaCy model)"
    origin = inspector.fields["origin"]
    assert ORIGIN in origin.toolTip()  # the whole of it, unbroken
    metrics = origin.fontMetrics()
    assert metrics.horizontalAdvance(ORIGIN) > origin.width()  # one piece, it would be cut
    pieces = re.split("[ \u200b]", origin.text())
    assert max(metrics.horizontalAdvance(piece) for piece in pieces) <= origin.width()
    assert origin.height() >= origin.heightForWidth(origin.width())

    scroll = inspector.findChild(QScrollArea)
    assert scroll.verticalScrollBar().maximum() == 0  # nothing to scroll to
    viewport = scroll.viewport()
    for key in ("score", "status", "alignment"):
        field = inspector.fields[key]
        bottom = field.mapTo(viewport, field.rect().bottomLeft()).y()
        assert field.isVisible() and bottom <= viewport.height(), key
