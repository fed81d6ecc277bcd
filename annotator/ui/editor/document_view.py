"""The document view: one document's text with its spans and relation arcs, edited by keyboard
and mouse.

Every change goes through ``ProjectSession.push`` (one undo step each); the view redraws from
the store when the session announces ``annotations_changed``, so undo, redo and edits made
elsewhere show the same way. A refused edit (``edit_failed``) leaves the view as it was.
Only the blocks on screen are laid out and painted (see ``text_layout``).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QMenu, QWidget

from annotator import edits
from annotator.errors import AnnotatorError, TokensMissingError
from annotator.model import Relation, Span
from annotator.services import tokenizing
from annotator.ui.editor import gestures
from annotator.ui.editor.annotation_index import AnnotationIndex
from annotator.ui.editor.banner import ModeBanner
from annotator.ui.editor.document_tokens import DocumentTokenizer
from annotator.ui.editor.editing import EditingInteraction, Mode
from annotator.ui.editor.editor_actions import build_actions
from annotator.ui.editor.geometry import ArcShape, ViewGeometry
from annotator.ui.editor.local_copy import LocalAnnotations
from annotator.ui.editor.mouse import MouseInteraction, Press
from annotator.ui.editor.painting import (
    PaintState,
    paint_arcs,
    paint_drag_line,
    paint_lines,
)
from annotator.ui.editor.propagation import PropagationRunner
from annotator.ui.editor.style import ViewStyle
from annotator.ui.editor.text_layout import MARGIN, DocumentLayout, LineBox
from annotator.ui.editor.tokens import TokenIndex
from annotator.ui.session import ProjectSession
from annotator.wording import counted

_WINDOW_KEYS = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)
"""Modifiers of the window's keys (quit, undo, open...), which do not wait for tokens."""


class DocumentView(EditingInteraction, MouseInteraction, QAbstractScrollArea):
    """The editor of one document; it follows the session's current document by itself."""

    selection_changed = Signal(object)  # the selected Span or Relation, or None
    label_requested = Signal()  # the user asked for a label picker (Space)
    propagated = Signal(int)  # background propagation of an accepted span ended: spans added
    propagation_withdrawn = Signal(int)  # a decision withdrew pending propagated suggestions

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
        self._token_index = TokenIndex((), "")
        self._tokens_missing = False  # the worker is making the open document's tokens
        self._tokens_started = False
        self._index = AnnotationIndex()
        self._local: LocalAnnotations | None = None
        self._relation_blocks_cache: list[tuple[Relation, int, int]] = []
        self._relation_blocks_for: list[Relation] | None = None
        self._relation_block_of: dict[str, tuple[int, int, int, int]] = {}
        self._own_edit: edits.Edit | None = None  # being pushed by this view
        self._replayed: tuple[edits.Edit, bool] | None = None  # an undo or redo; undoing?
        self._propagated: tuple[Span, ...] | None = None  # just stored here by propagation
        self._layout: DocumentLayout | None = None
        self._anchor: int | None = None  # the offset set_scroll_position keeps in view
        self._anchor_value = -1  # the scroll value that showed it
        self._selected_id: str | None = None
        self._text_selection: tuple[int, int] | None = None
        self._mode = Mode.NORMAL
        self._banner = ModeBanner(self)
        self._pick_head: str | None = None
        self._pick_candidate: str | None = None
        self._press: Press | None = None
        self._arcs: list[ArcShape] = []
        self._label_menu: QMenu | None = None
        build_actions(  # attached to the view: ``actions()`` lists them in menu order
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
        self._document_tokens = DocumentTokenizer(session.project, self)
        self._document_tokens.tokenized.connect(self._on_document_tokenized)
        self._document_tokens.failed.connect(self._on_document_tokens_failed)
        self._propagation.stored.connect(self._on_propagation_stored)
        self._propagation.withdrawn.connect(self._on_propagation_withdrawn)
        self._propagation.finished.connect(self._on_propagation_finished)
        # after the view has redrawn from them (or not): never used for a later change
        self._propagation.finished.connect(self._forget_propagated)
        self._propagation.failed.connect(session.edit_failed)
        session.document_opened.connect(self._on_document_opened)
        session.annotations_changed.connect(self._on_annotations_changed)
        session.edit_replayed.connect(self._on_edit_replayed)
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
        chosen = (
            self._tokens.snap(start, end)
            if snap
            else gestures.without_outer_spaces(self._text, start, end)
        )
        self._text_selection = chosen if chosen and chosen[0] < chosen[1] else None
        self._set_selected(None)
        self.viewport().update()

    def mode(self) -> Mode:
        return self._mode

    def pick_candidate(self) -> str | None:
        """In relation mode: the span that Enter would make the child."""
        return self._pick_candidate

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
            else:
                self.session.noted.emit(
                    f"{label}: select a span (Tab), or drag over text, then the label key"
                )
        elif label in schema.relation_names and isinstance(item, Relation):
            self._relabel_relation(item, label)
        elif label in schema.relation_names:
            self.session.noted.emit(f"{label} labels a relation: select one (Tab) first")

    def scroll_position(self) -> int:
        """The character offset of the first line shown (stable across window sizes): the
        offset last asked of ``set_scroll_position`` while nothing scrolled since."""
        if self._layout is None:
            return 0
        if self._anchor_holds():
            assert self._anchor is not None
            return self._anchor
        box = self._layout.line_at_y(float(self.verticalScrollBar().value()), self._index)
        return box.start if box else 0

    def set_scroll_position(self, value: int) -> None:
        """Scroll so that the line holding character ``value`` is the first one shown.

        ``value`` stays the anchor until something scrolls: a resize re-wraps around it, not
        around the start of the line that held it at the old width. Re-anchoring at that line
        start moved the restored position a line up each time the width changed (as when the
        scroll bar appears just after a document opens), so a reopened session showed the
        line before the one it was closed on."""
        if self._layout is None:
            return
        value = min(max(0, value), max(0, len(self._text) - 1))
        box = self._layout.line_for_offset(value, self._index)
        self._update_scroll_range()
        # ceil: a fractional line top rounded down would show the line before it first
        bar = self.verticalScrollBar()
        bar.setValue(math.ceil(box.top))
        self._anchor, self._anchor_value = value, bar.value()
        self.viewport().update()

    def _anchor_holds(self) -> bool:
        return self._anchor is not None and self.verticalScrollBar().value() == self._anchor_value

    def action(self, name: str) -> QAction:
        """One action by name, e.g. ``"editor.accept"`` (see ``editor_actions.ACTION_SPECS``)."""
        return self.findChild(QAction, name)

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

    def shown_item(self, item_id: str) -> Span | Relation | None:
        """The span or relation as the view shows it (None when it is not shown)."""
        return self._index.item(item_id)

    def shown_item_ids(self) -> list[str]:
        """Spans then relations as Tab visits them: everything shown (rejected ones are not)."""
        return self._index.tab_order()

    def first_line_shown(self) -> tuple[int, int] | None:
        """(start, end) offsets of the line at the top of the view, as painted."""
        if self._layout is None:
            return None
        lines = self._layout_visible()
        top = self.verticalScrollBar().value()
        box = next((box for box in lines if box.top + 0.5 >= top), None)
        return (box.start, box.end) if box else None

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

    def missing_glyph_fonts(self) -> list[str]:
        """Fonts that drew an empty box (glyph 0) on screen: none, given a good fallback."""
        if self._layout is None:
            return []
        self._layout_visible()
        return [
            run.rawFont().familyName()
            for block in self._layout.blocks
            if block.layout is not None
            for run in block.layout.glyphRuns()
            if 0 in run.glyphIndexes()
        ]

    def tag_texts(self) -> list[str]:
        """The label tags on screen, as drawn (who made a merged version is on its tag)."""
        if self._layout is None:
            return []
        geometry = self._geometry()
        return [
            geometry.tag_text(fragment.span)
            for box in self._layout_visible()
            for fragment in geometry.fragments(box)
            if fragment.first
        ]

    def visible_block_count(self) -> tuple[int, int]:
        """(blocks laid out, blocks in the document): what lazy layout saved."""
        if self._layout is None:
            return 0, 0
        laid = sum(1 for block in self._layout.blocks if block.layout is not None)
        return laid, len(self._layout.blocks)

    # -- session signals ------------------------------------------------------------------------

    def _on_document_opened(self, doc_id: int) -> None:
        self._load_document(doc_id)

    def _on_edit_replayed(self, edit: edits.Edit, undoing: bool) -> None:
        """An undo or redo of this document: applied to the view's copy like its own edits
        (reading 10,000 spans back took 150 ms a key)."""
        if edit.doc_id == self._doc_id:
            self._own_edit = edit
            self._replayed = (edit, undoing)

    def _on_annotations_changed(self, doc_id: int) -> None:
        if doc_id != self._doc_id:
            return
        before = self.selected()
        replayed, self._replayed = self._replayed, None
        own_edit, self._own_edit = self._own_edit, None
        propagated, self._propagated = self._propagated, None
        if own_edit is not None and self._local is not None:
            self._index = self._local.apply(own_edit)
        elif propagated is not None and self._local is not None:
            self._index = self._local.add_spans(propagated)
        else:
            self._index = self._read_annotations(doc_id)
        assert self._layout is not None
        self._layout.reposition(self._index, self._index.changed_ranges)
        for item_id in (self._pick_head, self._pick_candidate):
            if item_id is not None and item_id not in self._index.span_by_id:
                self._leave_pick_mode()
        if replayed is not None:  # an undo shows what it brought back (a deleted span)
            shown = next(
                (i for i in edits.items_left(*replayed) if self._index.item(i) is not None), None
            )
            if shown is not None:
                self._selected_id = shown
                self._reveal_item(shown)
        after = self.selected()
        if after is None:
            self._selected_id = None
        if after != before:
            self.selection_changed.emit(after)
        self._update_scroll_range()
        self.viewport().update()

    def _on_propagation_stored(self, stored: dict[int, tuple[Span, ...] | None]) -> None:
        """Propagation stored suggestions (``finished`` follows): the view adds those of its
        document to its copy rather than reading 10,000 spans back, unless propagation also
        superseded suggestions there (``None``): then the document is read again."""
        self._propagated = stored.get(self._doc_id, ()) if self._doc_id is not None else None

    def _forget_propagated(self) -> None:
        self._propagated = None

    def _on_schema_changed(self) -> None:
        self._style = ViewStyle(self.session.project.schema, self.font())
        if self._doc_id is not None:
            self._on_annotations_changed(self._doc_id)

    # -- loading --------------------------------------------------------------------------------

    @property
    def _tokens(self) -> TokenIndex:
        """The open document's tokens (the gestures' snapping and stepping read them)."""
        return self._require_tokens()

    def _require_tokens(self) -> TokenIndex:
        """The open document's tokens. A gesture that needs them before the worker has stored
        them waits for it: only in the first seconds after an imported document opens, while
        spaCy's tokenizer loads. Its edit is then made, not refused."""
        if self._tokens_missing:
            self._await_tokens()
        return self._token_index

    def tokens_pending(self) -> bool:
        """Whether the open document's tokens are still being made in the worker."""
        return self._tokens_missing

    def wait_for_tokens(self) -> None:
        """Until the tokens under way are stored (a job that writes is starting)."""
        self._document_tokens.wait()

    def close_tokens(self) -> None:
        """Wait for the tokens under way and drop what the worker still reports (the project
        closes)."""
        self._document_tokens.close()

    def _load_document(self, doc_id: int) -> None:
        project = self.session.project
        missing = False
        try:
            try:
                document = project.document(doc_id)
            except TokensMissingError:  # an import leaves them for later: made in the worker,
                document = project.document(doc_id, tokens=False)  # the text shows at once
                missing = True
        except AnnotatorError as error:
            self.session.edit_failed.emit(str(error))
            return
        self._leave_pick_mode()
        had_selection = self._selected_id is not None
        self._doc_id = doc_id
        self._text = document.text
        self._token_index = TokenIndex(document.tokens, document.text)
        self._tokens_missing = missing
        self._tokens_started = False
        if missing:  # after the text's first paint (spaCy's tokenizer holds the GIL while it
            QTimer.singleShot(250, self._start_tokens)  # runs), or soon if it is not painted
        self._index = self._read_annotations(doc_id)
        self._layout = DocumentLayout(document.text, self._style.text_font, self._style.tag_font)
        self._relation_block_of = {}
        self._layout.set_width(self._text_width())
        self._selected_id = None
        self._text_selection = None
        self._arcs = []
        self._anchor = None
        self.verticalScrollBar().setValue(0)
        self._update_scroll_range()
        self.viewport().update()
        if had_selection:
            self.selection_changed.emit(None)

    def _start_tokens(self) -> None:
        if self._tokens_missing and not self._tokens_started:
            self._tokens_started = True
            assert self._doc_id is not None
            self._document_tokens.start(self._doc_id)

    def _on_document_tokenized(self, doc_id: int) -> None:
        if self._document_tokens.closed:
            return  # closing
        self._document_tokens.hold(doc_id)  # a read-only project's: kept, as a stored one
        if doc_id != self._doc_id or not self._tokens_missing:
            return  # another document, or a gesture already waited for them
        self._apply_tokens()

    def _on_document_tokens_failed(self, message: str) -> None:
        """Said in the status bar; the view makes the tokens itself when a gesture needs
        them (``_apply_tokens``)."""
        if not self._document_tokens.closed:
            self.session.edit_failed.emit(message)

    def _await_tokens(self) -> None:
        self._start_tokens()
        self.viewport().setCursor(Qt.CursorShape.BusyCursor)
        try:
            self._document_tokens.wait()  # spaCy's first load, then milliseconds
        finally:
            self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self._apply_tokens()

    def _apply_tokens(self) -> None:
        """Read the open document's stored tokens, and the spans' alignment flags they set.
        Made here when the worker could not (it said why)."""
        assert self._doc_id is not None
        doc_id = self._doc_id
        project = self.session.project
        self._tokens_missing = False
        try:
            try:
                self._document_tokens.hold(doc_id)  # a read-only project's, made in the worker
                tokens = project.tokens(doc_id)
            except TokensMissingError:
                tokenizing.ensure_tokens(project, [doc_id])
                tokens = project.tokens(doc_id)
        except AnnotatorError as error:
            self.session.edit_failed.emit(str(error))
            return
        self._token_index = TokenIndex(tokens, self._text)
        self._index = self._read_annotations(doc_id)
        self._arcs = []
        self.viewport().update()
        self.selection_changed.emit(self.selected())  # the inspector's alignment line

    def _read_annotations(self, doc_id: int) -> AnnotationIndex:
        project = self.session.project
        spans = project.spans(doc_id)
        placed = [span for span in spans if _placeable(span)]
        if len(placed) < len(spans):
            self.session.edit_failed.emit(
                f"document {doc_id}: {counted(len(spans) - len(placed), 'span')} not shown: "
                "an offset is not a number (a damaged file; see the export's message)"
            )
        self._local = LocalAnnotations(
            placed,
            project.relations(doc_id),
            project.misaligned_span_ids(doc_id),
            self._token_index,
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
                anchored = self._anchor_holds()
                self._update_scroll_range()
                bar.blockSignals(True)
                bar.setValue(int(top + change))
                bar.blockSignals(False)
                if anchored:  # the same line, moved down: still the anchor
                    self._anchor_value = bar.value()
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

    def event(self, event: QEvent) -> bool:
        # every key reaches the view first as a ShortcutOverride (actions' keys included):
        # the next propagation search waits for the keys to rest
        if event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            self._propagation.hold_off()
            if self._tokens_missing and not event.modifiers() & _WINDOW_KEYS:
                # an editing key's edit is built from spans whose alignment flags the tokens
                # set: it waits for them first (Ctrl+Q, Ctrl+Z... need none, and do not)
                self._require_tokens()
        return super().event(event)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._propagation.watch_window(self.window())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._banner.place()
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
        if self._tokens_missing and not self._tokens_started:
            QTimer.singleShot(0, self._start_tokens)  # once this paint is on screen
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
            text=palette.color(QPalette.ColorRole.Text),
            base=palette.color(QPalette.ColorRole.Base),
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
        """Each relation with the first and last block it touches (cached while the shown
        relations stay the same list; each relation's blocks while its spans stay put)."""
        index, layout = self._index, self._layout
        assert layout is not None
        if self._relation_blocks_for is not index.relations:
            known = self._relation_block_of
            found = []
            for relation in index.relations:
                head = index.span_by_id[relation.head].start
                child = index.span_by_id[relation.child].start
                cached = known.get(relation.id)
                if cached is None or cached[:2] != (head, child):
                    a, b = layout.block_of_offset(head), layout.block_of_offset(child)
                    cached = known[relation.id] = (head, child, min(a, b), max(a, b))
                found.append((relation, cached[2], cached[3]))
            self._relation_blocks_cache = found
            self._relation_blocks_for = index.relations
        return self._relation_blocks_cache


def _placeable(span: Span) -> bool:
    """Whether the view can place ``span``: its offsets are numbers. A crafted file's may be
    text (sorting the spans then failed, and the document showed none)."""
    return type(span.start) in _NUMBERS and type(span.end) in _NUMBERS


_NUMBERS = (int, float)
