"""What the document view paints: literal text, label colours, suggestions, overlaps, marks,
and that only what is on screen is laid out."""

from __future__ import annotations

import re
import sys

import pytest
from editor_support import Editor, open_editor
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QImage

from annotator.model import Document, LabelSchema, Relation, Span
from annotator.store import Project

PER_COLOUR = QColor("#e6194b")


def _tokens(text: str) -> tuple[tuple[int, int], ...]:
    return tuple((m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text))


def _document(project: Project, text: str) -> int:
    doc_id, _ = project.add_document(Document(text=text, tokens=_tokens(text)))
    return doc_id


def _image(editor: Editor) -> QImage:
    return editor.view.viewport().grab().toImage()


def _close(a: QColor, b: QColor, tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def _tag_is_filled_with(editor: Editor, span_id: str, colour: QColor) -> bool:
    """Whether the inside of a span's label tag, above its text, has ``colour``."""
    centre = editor.view.point_for_item(span_id)
    inside = QRect(centre.x() - 8, centre.y() - 6, 16, 2)
    return _count_colour(_image(editor), inside, colour) > inside.width() * inside.height() // 2


def _count_colour(image: QImage, rect: QRect, colour: QColor) -> int:
    return sum(
        1
        for x in range(rect.left(), rect.left() + rect.width())
        for y in range(rect.top(), rect.top() + rect.height())
        if _close(image.pixelColor(x, y), colour, 40)
    )


def test_markup_in_the_text_is_laid_out_literally(qtbot, project: Project) -> None:
    text = "Tom said <b>bold</b> &amp; <i>x</i> &lt;3"
    editor = open_editor(qtbot, project, _document(project, text))
    assert editor.view.laid_out_text() == text
    start = text.index("<b>")
    editor.drag(start, start + 2)
    assert editor.view.text_selection() == (start, start + 3)  # "<", "b", ">" are tokens here


def test_an_accepted_span_is_painted_in_its_label_colour_and_a_suggestion_lighter(
    qtbot, project: Project, doc_id: int
) -> None:
    accepted = Span(doc_id=doc_id, start=0, end=10, label="PER")
    suggested = Span(doc_id=doc_id, start=21, end=30, label="PER", status="suggested")
    project.add_spans([accepted, suggested])
    editor = open_editor(qtbot, project, doc_id)
    assert _tag_is_filled_with(editor, accepted.id, PER_COLOUR)
    assert not _tag_is_filled_with(editor, suggested.id, PER_COLOUR)


def test_a_schema_change_recolours_the_spans(qtbot, project: Project, doc_id: int) -> None:
    span = Span(doc_id=doc_id, start=0, end=10, label="PER")
    project.add_spans([span])
    editor = open_editor(qtbot, project, doc_id)
    schema = project.schema
    recoloured = [
        e.model_copy(update={"color": "#0000ff"}) if e.name == "PER" else e for e in schema.entities
    ]
    editor.session.set_schema(LabelSchema(entities=tuple(recoloured), relations=schema.relations))
    assert _tag_is_filled_with(editor, span.id, QColor("#0000ff"))


def test_overlapping_spans_stack_and_each_stays_clickable(
    qtbot, project: Project, doc_id: int
) -> None:
    outer = Span(doc_id=doc_id, start=0, end=10, label="PER")
    inner = Span(doc_id=doc_id, start=5, end=10, label="MISC")
    project.add_spans([outer, inner])
    editor = open_editor(qtbot, project, doc_id)
    outer_tag = editor.view.point_for_item(outer.id)
    inner_tag = editor.view.point_for_item(inner.id)
    assert inner_tag.y() > outer_tag.y()  # a second level under the first
    editor.click(inner_tag)
    assert editor.view.selected() == inner
    editor.click(outer_tag)
    assert editor.view.selected() == outer
    editor.click_offset(7)  # on the text: the innermost span
    assert editor.view.selected() == inner


def test_a_misaligned_span_gets_a_red_mark(qtbot, project: Project, doc_id: int) -> None:
    span = Span(doc_id=doc_id, start=22, end=26, label="ORG")  # inside "Microsoft"
    project.add_spans([span])
    assert project.misaligned_span_ids(doc_id) == [span.id]
    editor = open_editor(qtbot, project, doc_id)
    left = editor.view.point_for_offset(22)
    right = editor.view.point_for_offset(25)
    around = QRect(QPoint(left.x() - 8, left.y() - 14), QPoint(right.x() + 8, left.y() + 14))
    assert _count_colour(_image(editor), around, QColor("#d00000")) > 10


def test_a_rejected_span_is_not_painted(qtbot, project: Project, doc_id: int) -> None:
    span = Span(doc_id=doc_id, start=0, end=10, label="PER", status="rejected")
    project.add_spans([span])
    editor = open_editor(qtbot, project, doc_id)
    point = editor.view.point_for_offset(2)
    area = QRect(QPoint(0, point.y() - 12), QPoint(200, point.y() + 40))
    assert _count_colour(_image(editor), area, PER_COLOUR) == 0
    assert editor.view.shown_item_ids() == []


def test_offsets_stay_exact_after_characters_outside_the_bmp(qtbot, project: Project) -> None:
    text = "😀🎉 Brad Smith 🚀 Microsoft"
    editor = open_editor(qtbot, project, _document(project, text))
    start = text.index("Microsoft")
    editor.drag(start, start + 8)
    editor.key("2")
    [span] = editor.spans()
    assert text[span.start : span.end] == "Microsoft"
    editor.drag(3, 9)
    assert editor.view.text_selection() == (3, 13)


def _long_text(paragraphs: int) -> str:
    sentence = "Alice Martin rejoint Acme à Paris, dit le journal du soir."
    return "\n".join(f"{number}. {sentence} {sentence}" for number in range(paragraphs))


def test_only_what_is_on_screen_is_laid_out(qtbot, project: Project) -> None:
    editor = open_editor(qtbot, project, _document(project, _long_text(3000)))
    editor.view.viewport().repaint()
    laid, total = editor.view.visible_block_count()
    assert total == 3000
    assert 0 < laid < 40
    editor.view.set_scroll_position(150_000)
    editor.view.viewport().repaint()
    laid, _ = editor.view.visible_block_count()
    assert laid < 80


def test_scroll_position_is_a_character_offset_that_round_trips(qtbot, project: Project) -> None:
    text = _long_text(500)
    editor = open_editor(qtbot, project, _document(project, text))
    target = text.index("250. ")
    editor.view.set_scroll_position(target)
    editor.view.viewport().repaint()
    position = editor.view.scroll_position()
    assert position <= target < position + 200
    editor.view.resize(500, 300)  # re-wrapping keeps the same text at the top
    qtbot.wait(10)
    position = editor.view.scroll_position()
    assert position <= target < position + 200


def test_scrolling_up_into_unlaid_blocks_keeps_the_top_line_steady(qtbot, project: Project) -> None:
    text = _long_text(800)
    editor = open_editor(qtbot, project, _document(project, text))
    editor.view.set_scroll_position(text.index("400. "))
    editor.view.viewport().repaint()
    bar = editor.view.verticalScrollBar()
    for _ in range(30):
        before = editor.view.scroll_position()
        bar.setValue(bar.value() - bar.singleStep())
        editor.view.viewport().repaint()
        after = editor.view.scroll_position()
        assert after <= before  # never jumps forward while scrolling up
    assert editor.view.scroll_position() < text.index("400. ")


def test_opening_another_document_replaces_text_and_clears_the_selection(
    qtbot, project: Project, doc_id: int
) -> None:
    span = Span(doc_id=doc_id, start=0, end=10, label="PER")
    project.add_spans([span])
    other = _document(project, "Une autre histoire.")
    editor = open_editor(qtbot, project, doc_id)
    editor.view.select(span.id)
    with qtbot.waitSignal(editor.view.selection_changed) as signal:
        editor.session.open_document(other)
    assert signal.args == [None]
    assert editor.view.laid_out_text() == "Une autre histoire."
    assert editor.view.doc_id() == other


@pytest.mark.parametrize("width", [120, 900])
def test_wrapping_keeps_every_character_reachable(
    qtbot, project: Project, doc_id: int, width: int
) -> None:
    editor = open_editor(qtbot, project, doc_id)
    editor.view.resize(width, 400)
    qtbot.wait(10)
    editor.drag(34, 40)
    assert editor.view.text_selection() == (34, 41)


def test_many_repaints_keep_none_alive(qtbot, project: Project, doc_id: int) -> None:
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every void Qt call, which
    aborts the interpreter after a few thousand paints; pyproject keeps it out (< 6.12)."""
    project.add_spans([Span(doc_id=doc_id, start=0, end=10, label="PER", status="suggested")])
    editor = open_editor(qtbot, project, doc_id)
    editor.view.viewport().repaint()
    before = sys.getrefcount(None)
    for _ in range(400):
        editor.view.viewport().repaint()
    assert sys.getrefcount(None) >= before - 50


def test_hovering_a_span_or_arc_tells_its_origin_and_score(
    qtbot, project: Project, doc_id: int
) -> None:
    head = Span(doc_id=doc_id, start=0, end=10, label="PER")
    child = Span(
        doc_id=doc_id,
        start=22,
        end=26,
        label="ORG",
        status="suggested",
        origin="model:m@1",
        score=0.81,
    )
    project.add_spans([head, child])
    relation = Relation(doc_id=doc_id, head=head.id, child=child.id, label="works_for")
    project.add_relations([relation])
    editor = open_editor(qtbot, project, doc_id)
    editor.view.viewport().repaint()
    tip = editor.view.tooltip_at(editor.view.point_for_offset(23))
    assert tip.startswith("ORG · suggested · model:m@1 · score 0.81")
    assert "token boundaries" in tip
    assert editor.view.tooltip_at(editor.view.point_for_item(relation.id)).startswith(
        "PER → works_for → ORG · accepted · human"
    )
    assert editor.view.tooltip_at(editor.view.point_for_offset(13)) == ""
