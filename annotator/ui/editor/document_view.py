"""The document view: one document's text with its spans and relation arcs, edited by keyboard
and mouse.

Every change goes through ``ProjectSession.push`` (one undo step each); the view redraws from
the store when the session announces ``annotations_changed``, so undo, redo and edits made
elsewhere show the same way. A refused edit (``edit_failed``) leaves the view as it was.
Only the blocks on screen are laid out and painted (see ``text_layout``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QMenu, QWidget

from annotator import edits
from annotator.errors import AnnotatorError
from annotator.model import EntityLabel, Relation, RelationLabel, Span
from annotator.ui.editor import gestures
from annotator.ui.editor.annotation_index import AnnotationIndex
from annotator.ui.editor.editor_actions import build_actions
from annotator.ui.editor.geometry import ArcShape, ViewGeometry
from annotator.ui.editor.label_menu import open_label_menu
from annotator.ui.editor.local_copy import LocalAnnotations
from annotator.ui.editor.painting import (
    PaintState,
    paint_arcs,
    paint_banner,
    paint_drag_line,
    paint_lines,
)
from annotator.ui.editor.propagation import PropagationRunner
from annotator.ui.editor.style import ViewStyle
from annotator.ui.editor.text_layout import MARGIN, DocumentLayout, LineBox
from annotator.ui.editor.tokens import TokenIndex
from annotator.ui.session import ProjectSession


class Mode(Enum):
    NORMAL = "normal"
    PICK_CHILD = "pick_child"  # after R: choosing the child span of a new relation


@dataclass
class _Press:
    """A mouse press being followed until release."""

    point: QPointF  # content coordinates
    modifiers: Qt.KeyboardModifier
    hit: tuple[str, str | int] | None  # ("arc"|"tag"|"row"|"text", id or offset)
    span_under: str | None
    anchor: int | None  # character under the press, for text selection
    drag: str | None = None  # None until moved: "text" or "relation"
    current: QPointF | None = None


class DocumentView(QAbstractScrollArea):
    """The editor of one document; it follows the session's current document by itself."""

    selection_changed = Signal(object)  # the selected Span or Relation, or None
    label_requested = Signal()  # the user asked for a label picker (Space)
    propagated = Signal(int)  # background propagation of an accepted span ended: spans added

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("document_view")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.viewport().setBackgroundRole(QPalette.ColorRole.Base)
        self.verticalScrollBar().setSingleStep(24)
        self._style = ViewStyle(session.project.schema, self.font())
        self._doc_id: int | None = None
        self._text = ""
        self._tokens = TokenIndex((), 0)
        self._index = AnnotationIndex()
        self._local: LocalAnnotations | None = None
        self._relation_blocks_cache: list[tuple[Relation, int, int]] = []
        self._relation_blocks_for: AnnotationIndex | None = None
        self._own_edit: edits.Edit | None = None  # being pushed by this view
        self._layout: DocumentLayout | None = None
        self._selected_id: str | None = None
        self._text_selection: tuple[int, int] | None = None
        self._mode = Mode.NORMAL
        self._pick_head: str | None = None
        self._pick_candidate: str | None = None
        self._press: _Press | None = None
        self._arcs: list[ArcShape] = []
        self._label_menu: QMenu | None = None
        self._actions = build_actions(
            self,
            {
                "editor.accept": self._on_accept_triggered,
                "editor.reject": self._on_reject_triggered,
                "editor.accept_all": self._on_accept_all_triggered,
                "editor.delete": self._on_delete_triggered,
                "editor.new_relation": self._on_new_relation_triggered,
                "editor.choose_label": self._on_choose_label_triggered,
                "editor.end_right": lambda: self._move_edge("end", +1),
                "editor.end_left": lambda: self._move_edge("end", -1),
                "editor.start_left": lambda: self._move_edge("start", -1),
                "editor.start_right": lambda: self._move_edge("start", +1),
                "editor.next_item": lambda: self._cycle(+1),
                "editor.previous_item": lambda: self._cycle(-1),
                "editor.next_token": lambda: self._step_token(+1),
                "editor.previous_token": lambda: self._step_token(-1),
                "editor.cancel": self._on_cancel_triggered,
            },
        )
        self._propagation = PropagationRunner(session.project, self)
        self._propagation.finished.connect(self._on_propagation_finished)
        self._propagation.failed.connect(session.edit_failed)
        session.document_opened.connect(self._on_document_opened)
        session.annotations_changed.connect(self._on_annotations_changed)
        session.schema_changed.connect(self._on_schema_changed)
        if session.current_doc_id is not None:
            self._load_document(session.current_doc_id)

    # -- public interface -----------------------------------------------------------------------

    def doc_id(self) -> int | None:
        return self._doc_id

    def selected(self) -> Span | Relation | None:
        return self._index.item(self._selected_id)

    def select(self, item_id: str | None) -> None:
        """Select a span or relation by id (None clears) and scroll it into view."""
        self._set_selected(item_id if self._index.item(item_id) is not None else None)
        if self._selected_id is not None:
            self._reveal_item(self._selected_id)

    def text_selection(self) -> tuple[int, int] | None:
        """The token-snapped text range waiting for a label, if any."""
        return self._text_selection

    def set_text_selection(self, start: int, end: int, snap: bool = True) -> None:
        """Select ``[start, end)`` (snapped to tokens unless ``snap`` is False)."""
        chosen = self._tokens.snap(start, end) if snap else (start, end)
        self._text_selection = chosen if chosen and chosen[0] < chosen[1] else None
        self._set_selected(None)
        self.viewport().update()

    def mode(self) -> Mode:
        return self._mode

    def apply_label(self, label: str) -> None:
        """What a label key or a palette click does: create, relabel or accept-as-relabelled."""
        if self._doc_id is None or self._mode is not Mode.NORMAL:
            return
        schema = self.session.project.schema
        item = self.selected()
        if label in schema.entity_names:
            if self._text_selection is not None:
                self._create_span(label)
            elif isinstance(item, Span):
                self._relabel_span(item, label)
        elif label in schema.relation_names and isinstance(item, Relation):
            self._relabel_relation(item, label)

    def scroll_position(self) -> int:
        """The character offset of the first line shown (stable across window sizes)."""
        if self._layout is None:
            return 0
        box = self._layout.line_at_y(float(self.verticalScrollBar().value()), self._index)
        return box.start if box else 0

    def set_scroll_position(self, value: int) -> None:
        """Scroll so that the line holding character ``value`` is the first one shown."""
        if self._layout is None:
            return
        value = min(max(0, value), max(0, len(self._text) - 1))
        box = self._layout.line_for_offset(value, self._index)
        self._update_scroll_range()
        self.verticalScrollBar().setValue(int(box.top))
        self.viewport().update()

    def actions(self) -> list[QAction]:
        """The editing actions with their shortcuts, in menu order."""
        return list(self._actions)

    def action(self, name: str) -> QAction:
        """One action by name, e.g. ``"editor.accept"`` (see ``editor_actions.ACTION_SPECS``)."""
        return next(a for a in self._actions if a.objectName() == name)

    def propagation(self) -> PropagationRunner:
        """The background propagation queue (``wait()`` before closing the project)."""
        return self._propagation

    def label_menu(self) -> QMenu | None:
        """The label popup while it is open (relation labels, or Space's label list)."""
        menu = self._label_menu
        try:
            return menu if menu is not None and menu.isVisible() else None
        except RuntimeError:  # deleted after closing
            return None

    def point_for_offset(self, offset: int) -> QPoint:
        """Viewport position of the middle of character ``offset``; scrolls it into view.

        For tests and the end-to-end test, which press and drag at characters.
        """
        assert self._layout is not None, "no document open"
        self._reveal_range(offset, offset + 1)
        box = self._layout.line_for_offset(offset, self._index)
        x1, x2 = self._layout.x_range(box, offset, offset + 1)
        y = box.text_top + box.text_height / 2.0 - self.verticalScrollBar().value()
        return QPoint(round((x1 + x2) / 2.0), round(y))

    def point_for_item(self, item_id: str) -> QPoint:
        """Viewport position of a span's label tag or a relation's arc label; scrolls to it."""
        assert self._layout is not None, "no document open"
        self._reveal_item(item_id)
        geometry = self._geometry()
        value = self.verticalScrollBar().value()
        span = self._index.span_by_id.get(item_id)
        if span is not None:
            box = self._layout.line_for_offset(span.start, self._index)
            fragment = next(f for f in geometry.fragments(box) if f.span.id == item_id)
            centre = geometry.tag_rect(fragment).center()
        else:
            shape = geometry.arc(self._index.relation_by_id[item_id], self.viewport().width() / 2)
            assert shape is not None
            centre = shape.label_rect.center()
        return QPoint(round(centre.x()), round(centre.y() - value))

    def shown_item_ids(self) -> list[str]:
        """Spans then relations as Tab visits them: everything shown (rejected ones are not)."""
        return self._index.tab_order()

    def laid_out_text(self) -> str:
        """The text of the laid-out blocks on screen, exactly as handed to ``QTextLayout``."""
        if self._layout is None:
            return ""
        self._layout_visible()
        parts = []
        for block in self._layout.blocks:
            if block.layout is not None:
                parts.append(block.layout.text())
        return "\n".join(parts)

    def visible_block_count(self) -> tuple[int, int]:
        """(blocks laid out, blocks in the document): what lazy layout saved."""
        if self._layout is None:
            return 0, 0
        laid = sum(1 for block in self._layout.blocks if block.layout is not None)
        return laid, len(self._layout.blocks)

    # -- session signals ------------------------------------------------------------------------

    def _on_document_opened(self, doc_id: int) -> None:
        self._load_document(doc_id)

    def _on_annotations_changed(self, doc_id: int) -> None:
        if doc_id != self._doc_id:
            return
        before = self.selected()
        own_edit, self._own_edit = self._own_edit, None
        if own_edit is not None and self._local is not None:
            self._index = self._local.apply(own_edit)
        else:
            self._index = self._read_annotations(doc_id)
        assert self._layout is not None
        self._layout.reposition(self._index)
        for item_id in (self._pick_head, self._pick_candidate):
            if item_id is not None and item_id not in self._index.span_by_id:
                self._leave_pick_mode()
        after = self.selected()
        if after is None:
            self._selected_id = None
        if after != before:
            self.selection_changed.emit(after)
        self._update_scroll_range()
        self.viewport().update()

    def _on_schema_changed(self) -> None:
        self._style = ViewStyle(self.session.project.schema, self.font())
        if self._doc_id is not None:
            self._on_annotations_changed(self._doc_id)

    # -- loading --------------------------------------------------------------------------------

    def _load_document(self, doc_id: int) -> None:
        project = self.session.project
        try:
            document = project.document(doc_id)
        except AnnotatorError as error:
            self.session.edit_failed.emit(str(error))
            return
        self._leave_pick_mode()
        had_selection = self._selected_id is not None
        self._doc_id = doc_id
        self._text = document.text
        self._tokens = TokenIndex(document.tokens, len(document.text))
        self._index = self._read_annotations(doc_id)
        self._layout = DocumentLayout(document.text, self._style.text_font, self._style.tag_font)
        self._layout.set_width(self._text_width())
        self._selected_id = None
        self._text_selection = None
        self._arcs = []
        self.verticalScrollBar().setValue(0)
        self._update_scroll_range()
        self.viewport().update()
        if had_selection:
            self.selection_changed.emit(None)

    def _read_annotations(self, doc_id: int) -> AnnotationIndex:
        project = self.session.project
        self._local = LocalAnnotations(
            project.spans(doc_id),
            project.relations(doc_id),
            project.misaligned_span_ids(doc_id),
            self._tokens,
        )
        return self._local.index()

    def _text_width(self) -> float:
        return float(self.viewport().width()) - 2 * MARGIN

    def _geometry(self) -> ViewGeometry:
        assert self._layout is not None
        return ViewGeometry(self._layout, self._index, self._style)

    # -- layout and scrolling -------------------------------------------------------------------

    def _update_scroll_range(self) -> None:
        if self._layout is None:
            self.verticalScrollBar().setRange(0, 0)
            return
        page = self.viewport().height()
        bar = self.verticalScrollBar()
        bar.setPageStep(page)
        bar.setRange(0, max(0, int(self._layout.total_height()) - page + 8))

    def _layout_visible(self) -> list[LineBox]:
        """Shape the blocks on screen; keep the content in place when a block above the top
        turns out taller or shorter than estimated. Returns the visible lines."""
        layout = self._layout
        assert layout is not None
        bar = self.verticalScrollBar()
        top = float(bar.value())
        height = float(self.viewport().height())
        first = layout.block_at_y(top)
        if not layout.is_laid_out(first):
            block_top = layout.tops()[first]
            change = layout.ensure(first, self._index)
            if block_top < top and change:
                self._update_scroll_range()
                bar.blockSignals(True)
                bar.setValue(int(top + change))
                bar.blockSignals(False)
                top = float(bar.value())
                first = layout.block_at_y(top)
        boxes: list[LineBox] = []
        index = first
        changed = False
        while index < len(layout.blocks) and layout.tops()[index] < top + height:
            changed |= bool(layout.ensure(index, self._index))
            boxes.extend(
                box
                for box in layout.lines(index)
                if box.top < top + height and box.rows_top + box.rows * layout.row_height > top
            )
            index += 1
        if changed:
            self._update_scroll_range()
        return boxes

    def _reveal_range(self, start: int, end: int) -> None:
        if self._layout is None:
            return
        box = self._layout.line_for_offset(start, self._index)
        bar = self.verticalScrollBar()
        height = self.viewport().height()
        bottom = box.rows_top + box.rows * self._layout.row_height
        if box.top < bar.value() or bottom > bar.value() + height:
            self._update_scroll_range()
            bar.setValue(int(max(0.0, box.top - height / 3.0)))
            self._update_scroll_range()
        self.viewport().update()

    def _reveal_item(self, item_id: str) -> None:
        span = self._index.span_by_id.get(item_id)
        if span is None:
            relation = self._index.relation_by_id.get(item_id)
            if relation is None:
                return
            span = self._index.span_by_id[relation.head]
        self._reveal_range(span.start, span.end)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._propagation.watch_window(self.window())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._layout is None:
            return
        anchor = self.scroll_position()
        if self._layout.set_width(self._text_width()):
            self._update_scroll_range()
            self.set_scroll_position(anchor)
        else:
            self._update_scroll_range()

    # -- painting -------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.Base))
        if self._layout is None:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(
                self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, "No document open"
            )
            painter.end()
            return
        boxes = self._layout_visible()
        top = self.verticalScrollBar().value()
        painter.translate(0, -top)
        geometry = self._geometry()
        state = PaintState(
            selected=self._selected_id,
            text_selection=self._text_selection,
            highlight=palette.color(QPalette.ColorRole.Highlight),
            pick_head=self._pick_head,
            pick_candidate=self._pick_candidate,
        )
        painter.setFont(self._style.text_font)
        paint_lines(painter, geometry, boxes, state)
        self._arcs = self._visible_arcs(geometry, boxes)
        paint_arcs(painter, geometry, self._arcs, state)
        press = self._press
        if press is not None and press.drag == "relation" and press.current is not None:
            head = self._index.span_by_id.get(str(press.span_under))
            anchor = geometry.anchor(head) if head else None
            if anchor is not None:
                paint_drag_line(painter, anchor, press.current)
        painter.translate(0, top)
        if self._mode is Mode.PICK_CHILD:
            painter.setFont(self.font())
            paint_banner(
                painter,
                float(self.viewport().width()),
                "New relation: pick the child span (Tab, Enter or click; Esc cancels)",
                palette.color(QPalette.ColorRole.Window),
            )
        painter.end()

    def _visible_arcs(self, geometry: ViewGeometry, boxes: list[LineBox]) -> list[ArcShape]:
        if not boxes or not self._index.relations:
            return []
        assert self._layout is not None
        first, last = boxes[0].block, boxes[-1].block
        shown = []
        middle = self.viewport().width() / 2.0
        for relation, low, high in self._relation_blocks():
            if high < first or low > last:
                continue
            shape = geometry.arc(relation, middle)
            if shape is not None:
                shown.append(shape)
        return shown

    def _relation_blocks(self) -> list[tuple[Relation, int, int]]:
        """Each relation with the first and last block it touches (cached per annotations)."""
        index, layout = self._index, self._layout
        assert layout is not None
        if self._relation_blocks_for is not index:
            found = []
            for relation in index.relations:
                head = layout.block_of_offset(index.span_by_id[relation.head].start)
                child = layout.block_of_offset(index.span_by_id[relation.child].start)
                found.append((relation, min(head, child), max(head, child)))
            self._relation_blocks_cache = found
            self._relation_blocks_for = index
        return self._relation_blocks_cache

    # -- hit testing ----------------------------------------------------------------------------

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
        self._press = _Press(point, event.modifiers(), hit, span_under, offset)
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

    def _drag_text_to(self, press: _Press, point: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        found = self._char_at(point)
        if found is None or press.anchor is None:
            return
        _, offset = found
        start, end = min(press.anchor, offset), max(press.anchor, offset) + 1
        precise = bool((press.modifiers | modifiers) & Qt.KeyboardModifier.AltModifier)
        chosen = (start, end) if precise else self._tokens.snap(start, end)
        if self._mode is Mode.PICK_CHILD:
            self._leave_pick_mode()
        self._text_selection = chosen
        self._set_selected(None)

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

    def _click(self, press: _Press) -> None:
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

    # -- keyboard -------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Tab and not event.modifiers():
                self._cycle(+1)
                return True
            if event.key() == Qt.Key.Key_Backtab:
                self._cycle(-1)
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if text and modifiers in (Qt.KeyboardModifier.NoModifier,):
            label = self._label_for_key(text)
            if label is not None:
                self.apply_label(label)
                event.accept()
                return
        super().keyPressEvent(event)

    def _label_for_key(self, key: str) -> str | None:
        schema = self.session.project.schema
        for entity in schema.entities:
            if entity.key == key:
                return entity.name
        if isinstance(self.selected(), Relation):
            for relation in schema.relations:
                if relation.key == key:
                    return relation.name
        return None

    # -- selection ------------------------------------------------------------------------------

    def _set_selected(self, item_id: str | None) -> None:
        if item_id is not None:
            self._text_selection = None
        if item_id == self._selected_id:
            self.viewport().update()
            return
        self._selected_id = item_id
        self.viewport().update()
        self.selection_changed.emit(self.selected())

    def _cycle(self, step: int) -> None:
        if self._mode is Mode.PICK_CHILD:
            candidates = [s.id for s in self._index.spans if s.id != self._pick_head]
            if candidates:
                self._pick_candidate = gestures.neighbour(candidates, self._pick_candidate, step)
                self._reveal_item(self._pick_candidate)
            return
        order = self._index.tab_order()
        if not order:
            return
        self.select(gestures.neighbour(order, self._selected_id, step))

    def _step_token(self, step: int) -> None:
        """Left/Right: select the token before/after the selection (keyboard span making)."""
        if self._layout is None or self._mode is not Mode.NORMAL:
            return
        item = self.selected()
        if self._text_selection is not None:
            start, end = self._text_selection
        elif isinstance(item, Span):
            start, end = item.start, item.end
        else:
            start = end = self.scroll_position()
            step = 0 if step > 0 else step
        token = (
            self._tokens.token_at(end if step > 0 else start)
            if step >= 0
            else self._tokens.token_before(start)
        )
        if token is None:
            return
        self._text_selection = token
        self._set_selected(None)
        self._reveal_range(*token)

    # -- edits ----------------------------------------------------------------------------------

    def _push(self, edit: edits.Edit) -> bool:
        """One undo step through the session; a database that stays busy (another writer held
        it past the timeout) is reported like a refused edit, and nothing changes."""
        self._own_edit = edit
        try:
            return self.session.push(edit)
        except sqlite3.OperationalError as error:
            self.session.edit_failed.emit(f"{self.session.project.path}: {error}; edit not saved")
            return False
        finally:
            self._own_edit = None

    def _create_span(self, label: str) -> None:
        assert self._doc_id is not None and self._text_selection is not None
        start, end = self._text_selection
        span = Span(doc_id=self._doc_id, start=start, end=end, label=label)
        if self._push(edits.add_span(span)):
            self._text_selection = None
            self._set_selected(span.id)
            self._propagate(span)

    def _relabel_span(self, span: Span, label: str) -> None:
        edit = gestures.label_span(span, label)
        if edit is not None and self._push(edit):
            self._propagate(edit.after)

    def _relabel_relation(self, relation: Relation, label: str) -> None:
        edit = gestures.label_relation(relation, label)
        if edit is not None:
            self._push(edit)

    def _on_accept_triggered(self) -> None:
        if self._mode is Mode.PICK_CHILD:
            self._pick_child()
            return
        edit = gestures.accept(self.selected())
        if edit is not None and self._push(edit) and isinstance(edit, edits.UpdateSpan):
            self._propagate(edit.after)

    def _on_reject_triggered(self) -> None:
        self._remove_selected(gestures.reject)

    def _on_delete_triggered(self) -> None:
        self._remove_selected(gestures.delete)

    def _remove_selected(
        self, gesture: Callable[[Span | Relation | None, list[Relation]], edits.Edit | None]
    ) -> None:
        """Reject or delete the selection, then select what Tab would reach next."""
        if self._mode is not Mode.NORMAL:
            return
        item = self.selected()
        edit = gesture(item, list(self._index.all_relations.values()))
        following = gestures.following(self._index, item)
        if edit is not None and self._push(edit):
            self._set_selected(following)

    def _on_accept_all_triggered(self) -> None:
        if self._doc_id is None or self._mode is not Mode.NORMAL:
            return
        spans = list(self._index.all_spans.values())
        group = edits.accept_all(spans, list(self._index.all_relations.values()))
        if group.edits and self._push(group):
            for edit in group.edits:
                if isinstance(edit, edits.UpdateSpan):
                    self._propagate(edit.after)

    def _move_edge(self, edge: str, step: int) -> None:
        if self._mode is not Mode.NORMAL:
            return
        item = self.selected()
        if isinstance(item, Span):
            current = (item.start, item.end)
        elif self._text_selection is not None:
            current = self._text_selection
        else:
            return
        moved = gestures.moved_range(*current, edge, step, self._tokens)
        if moved is None:
            return
        if isinstance(item, Span):
            self._push(edits.resize_span(item, *moved))
        else:
            self._text_selection = moved
            self.viewport().update()
        self._reveal_range(*moved)

    def _propagate(self, span: Span) -> None:
        """Let the suggester spread an accepted span to its other mentions (in the background)."""
        self._propagation.request(span, self._text)

    def _on_propagation_finished(self, doc_id: int, added: int) -> None:
        self.propagated.emit(added)
        if added and self._doc_id is not None:
            self.session.annotations_changed.emit(self._doc_id)

    # -- relations ------------------------------------------------------------------------------

    def _on_new_relation_triggered(self) -> None:
        item = self.selected()
        if self._mode is not Mode.NORMAL or not isinstance(item, Span):
            return
        candidates = [s.id for s in self._index.spans if s.id != item.id]
        if not candidates:
            self.session.edit_failed.emit("A relation needs a second span in this document")
            return
        self._mode = Mode.PICK_CHILD
        self._pick_head = item.id
        self._pick_candidate = gestures.neighbour(candidates, None, +1)
        following = [s.id for s in self._index.spans if s.start > item.start]
        if following:
            self._pick_candidate = following[0]
        self._reveal_item(self._pick_candidate)
        self.viewport().update()

    def _pick_child(self) -> None:
        head, child = self._pick_head, self._pick_candidate
        self._leave_pick_mode()
        if head is not None and child is not None:
            self._choose_relation_label(head, child)

    def _leave_pick_mode(self) -> None:
        self._mode = Mode.NORMAL
        self._pick_head = None
        self._pick_candidate = None
        self.viewport().update()

    def _choose_relation_label(self, head_id: str, child_id: str) -> None:
        head = self._index.span_by_id.get(head_id)
        child = self._index.span_by_id.get(child_id)
        if head is None or child is None or self._doc_id is None:
            return
        allowed = self.session.project.schema.relation_labels_for(head.label, child.label)
        if not allowed:
            self.session.edit_failed.emit(
                f"No relation label allows {head.label} \u2192 {child.label} in the schema"
            )
            return
        doc_id = self._doc_id

        def create(label: str) -> None:
            relation = Relation(doc_id=doc_id, head=head_id, child=child_id, label=label)
            if self._push(edits.add_relation(relation)):
                self._set_selected(relation.id)

        self._show_label_menu(
            f"{head.label} \u2192 {child.label}", allowed, create, self._anchor_point(child)
        )

    def _on_choose_label_triggered(self) -> None:
        if self._mode is not Mode.NORMAL:
            return
        self.label_requested.emit()
        schema = self.session.project.schema
        item = self.selected()
        if isinstance(item, Relation):
            head = self._index.span_by_id[item.head]
            child = self._index.span_by_id[item.child]
            labels = schema.relation_labels_for(head.label, child.label)
            at = self._anchor_point(child)
        elif isinstance(item, Span) or self._text_selection is not None:
            labels = schema.entities
            start = item.start if isinstance(item, Span) else self._text_selection[0]  # type: ignore[index]
            at = self.viewport().mapToGlobal(self.point_for_offset(start))
        else:
            return
        if labels:
            self._show_label_menu("Label", labels, self.apply_label, at)

    def _show_label_menu(
        self,
        title: str,
        labels: Sequence[EntityLabel | RelationLabel],
        on_chosen: Callable[[str], None],
        at: QPoint,
    ) -> None:
        self._label_menu = open_label_menu(self, title, labels, on_chosen, at)

    def _anchor_point(self, span: Span) -> QPoint:
        return self.viewport().mapToGlobal(self.point_for_offset(span.start))

    def _on_cancel_triggered(self) -> None:
        if self._mode is Mode.PICK_CHILD:
            self._leave_pick_mode()
        elif self._text_selection is not None:
            self._text_selection = None
            self.viewport().update()
        else:
            self._set_selected(None)
