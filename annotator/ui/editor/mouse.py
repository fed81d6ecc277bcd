"""Mouse gestures of the document view: click to select, drag to select text, drag from a span
(its tag, or with Ctrl) to another span to make a relation.

A mixin of ``DocumentView``: it works on the view's state (layout, annotations, selection).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QToolTip

from annotator.model import Relation, Span
from annotator.ui.editor import gestures
from annotator.ui.editor.annotation_index import AnnotationIndex
from annotator.ui.editor.editing import Mode
from annotator.ui.editor.geometry import ViewGeometry
from annotator.ui.editor.text_layout import LineBox
from annotator.ui.plain_text import tooltip


@dataclass
class Press:
    """A mouse press being followed until release."""

    point: QPointF  # content coordinates
    modifiers: Qt.KeyboardModifier
    hit: tuple[str, str | int] | None  # ("arc"|"tag"|"row"|"text", id or offset)
    span_under: str | None
    anchor: int | None  # character under the press, for text selection
    drag: str | None = None  # None until moved: "text" or "relation"
    current: QPointF | None = None


def describe(item: Span | Relation, index: AnnotationIndex) -> str:
    """One line about an annotation, for its tooltip."""
    score = "" if item.score is None else f" \u00b7 score {item.score:.2f}"
    if isinstance(item, Relation):
        head, child = index.span_by_id[item.head], index.span_by_id[item.child]
        pair = f"{head.label} \u2192 {item.label} \u2192 {child.label}"
        return f"{pair} \u00b7 {item.status} \u00b7 {item.origin}{score}"
    text = f"{item.label} \u00b7 {item.status} \u00b7 {item.origin}{score}"
    if item.edited:
        text += " \u00b7 corrected"
    if item.id in index.misaligned:
        text += "\nNot on token boundaries: spaCy would drop it (W030)"
    return text


class MouseInteraction:
    """Mouse handling mixed into ``DocumentView``."""

    # -- hit testing -------------------------------------------------------------------------

    def _content_point(self, event: QMouseEvent) -> QPointF:
        position = event.position()
        return QPointF(position.x(), position.y() + self.verticalScrollBar().value())

    def _char_at(self, point: QPointF) -> tuple[LineBox, int] | None:
        if self._layout is None or not self._text:
            return None
        y = min(max(0.0, point.y()), self._layout.total_height() - 1.0)
        box = self._layout.line_at_y(y, self._index)
        if box is None:
            return None
        return box, self._layout.offset_at_x(box, point.x())

    def _hit(self, point: QPointF) -> tuple[tuple[str, str | int] | None, str | None, int | None]:
        """(what is under the point, the span under it if any, the character under it)."""
        for shape in reversed(self._arcs):
            if ViewGeometry.arc_hit(shape, point):
                return ("arc", shape.relation.id), None, None
        found = self._char_at(point)
        if found is None:
            return None, None, None
        box, offset = found
        geometry = self._geometry()
        if point.y() >= box.rows_top:
            for fragment in geometry.fragments(box):
                if fragment.first and geometry.tag_rect(fragment).contains(point):
                    return ("tag", fragment.span.id), fragment.span.id, offset
            for fragment in geometry.fragments(box):
                if fragment.row_rect.contains(point):
                    return ("row", fragment.span.id), fragment.span.id, offset
            return None, None, offset
        if point.y() < box.text_top:
            return None, None, offset
        x1, x2 = self._layout.x_range(box, box.start, box.end) if self._layout else (0, 0)
        if not (x1 - 2 <= point.x() <= x2 + 2):
            return ("text", offset), None, offset
        spans = self._index.spans_at(offset)
        return ("text", offset), (spans[0].id if spans else None), offset

    def tooltip_at(self, point: QPoint) -> str:
        """What hovering at viewport ``point`` tells: label, status, origin and score."""
        content = QPointF(point.x(), point.y() + self.verticalScrollBar().value())
        hit, span_id, _ = self._hit(content)
        if hit is not None and hit[0] == "arc":
            return describe(self._index.relation_by_id[str(hit[1])], self._index)
        if span_id is not None:
            return describe(self._index.span_by_id[span_id], self._index)
        return ""

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos()) if self._layout is not None else ""
            if text:
                QToolTip.showText(event.globalPos(), tooltip(text), self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    # -- mouse ----------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._layout is None:
            super().mousePressEvent(event)
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        point = self._content_point(event)
        hit, span_under, offset = self._hit(point)
        if hit and hit[0] == "tag":
            span_under = str(hit[1])
        self._press = Press(point, event.modifiers(), hit, span_under, offset)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        press = self._press
        if press is None:
            super().mouseMoveEvent(event)
            return
        point = self._content_point(event)
        press.current = point
        if press.drag is None:
            distance = (point - press.point).manhattanLength()
            if distance < QApplication.startDragDistance():
                return
            modifiers = press.modifiers | event.modifiers()
            from_tag = press.hit is not None and press.hit[0] == "tag"
            ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
            if press.span_under is not None and (from_tag or ctrl) and self._mode is Mode.NORMAL:
                press.drag = "relation"
            elif press.anchor is not None:
                press.drag = "text"
            else:
                return
        if press.drag == "text":
            self._drag_text_to(press, point, event.modifiers())
        self.viewport().update()
        event.accept()

    def _drag_text_to(self, press: Press, point: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        found = self._char_at(point)
        if found is None or press.anchor is None:
            return
        _, offset = found
        start, end = min(press.anchor, offset), max(press.anchor, offset) + 1
        precise = bool((press.modifiers | modifiers) & Qt.KeyboardModifier.AltModifier)
        chosen = (
            gestures.without_outer_spaces(self._text, start, end)
            if precise
            else self._tokens.snap(start, end)
        )
        if self._mode is Mode.PICK_CHILD:
            self._leave_pick_mode()
        self._text_selection = chosen
        self._set_selected(None)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """A double click selects the token under the pointer, ready for a label key."""
        if event.button() != Qt.MouseButton.LeftButton or self._mode is not Mode.NORMAL:
            super().mouseDoubleClickEvent(event)
            return
        found = self._char_at(self._content_point(event))
        if found is not None:
            token = self._tokens.snap(found[1], found[1] + 1)
            if token is not None:
                self._press = None
                self._text_selection = token
                self._set_selected(None)
                self.viewport().update()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        press = self._press
        self._press = None
        if press is None or event.button() != Qt.MouseButton.LeftButton:
            super().mouseReleaseEvent(event)
            return
        point = self._content_point(event)
        event.accept()
        if press.drag == "text":
            self._drag_text_to(press, point, event.modifiers())
        elif press.drag == "relation":
            _, target, _ = self._hit(point)
            if target is not None and target != press.span_under:
                self._choose_relation_label(str(press.span_under), target)
        else:
            self._click(press)
        self.viewport().update()

    def _click(self, press: Press) -> None:
        hit = press.hit
        if self._mode is Mode.PICK_CHILD:
            if press.span_under is not None and press.span_under != self._pick_head:
                self._pick_candidate = press.span_under
                self._pick_child()
            return
        self._text_selection = None
        if hit is not None and hit[0] == "arc":
            self._set_selected(str(hit[1]))
        else:
            self._set_selected(press.span_under)
