"""Mixed right-to-left and left-to-right lines: highlights and hits follow the bidi layout."""

from __future__ import annotations

from editor_support import open_editor
from PySide6.QtCore import QPoint

from annotator.model import Document, Span

TEXT = "Selon Reuters, דוד גר בירושלים and مرحبا بكم in Paris, a dit le journal."


def _project_with(project, spans: list[tuple[str, str]]):
    doc_id, _ = project.add_document(Document(text=TEXT))
    for phrase, label in spans:
        start = TEXT.index(phrase)
        project.insert_span(Span(doc_id=doc_id, start=start, end=start + len(phrase), label=label))
    return project, doc_id


def _row_point(editor, span_id: str, offset: int) -> QPoint:
    """The span rows' height (from the span's tag) under character ``offset``."""
    x = editor.view.point_for_offset(offset).x()
    return QPoint(x, editor.view.point_for_item(span_id).y())


def test_a_span_across_directions_is_not_drawn_over_the_words_between(qtbot, project) -> None:
    # logically "בירושלים and": drawn at the left end of the Hebrew phrase and after it,
    # never over "דוד גר", which sit between the two pieces on screen
    project, doc_id = _project_with(project, [("בירושלים and", "LOC")])
    editor = open_editor(qtbot, project, doc_id)
    [span] = editor.spans()
    for word in ("דוד", "גר"):
        middle = TEXT.index(word) + 1
        assert editor.view.tooltip_at(_row_point(editor, span.id, middle)) == ""
    for word in ("בירושלים", "and"):
        middle = TEXT.index(word) + 1
        assert editor.view.tooltip_at(_row_point(editor, span.id, middle)).startswith("LOC")


def test_a_hebrew_span_covers_exactly_its_words(qtbot, project) -> None:
    project, doc_id = _project_with(project, [("דוד גר בירושלים", "PER"), ("Paris", "LOC")])
    editor = open_editor(qtbot, project, doc_id)
    hebrew = next(s for s in editor.spans() if s.label == "PER")
    for word in ("דוד", "גר", "בירושלים"):
        middle = TEXT.index(word) + 1
        assert editor.view.tooltip_at(_row_point(editor, hebrew.id, middle)).startswith("PER")
    for word in ("Reuters", "and", "مرحبا"):
        middle = TEXT.index(word) + 1
        assert editor.view.tooltip_at(_row_point(editor, hebrew.id, middle)) == ""


def test_dragging_over_arabic_text_labels_those_characters(qtbot, project) -> None:
    project, doc_id = _project_with(project, [])
    editor = open_editor(qtbot, project, doc_id)
    start = TEXT.index("مرحبا")
    editor.drag(start, start + len("مرحبا") - 1)
    editor.key("3")  # LOC
    [span] = editor.spans()
    assert TEXT[span.start : span.end] == "مرحبا"
