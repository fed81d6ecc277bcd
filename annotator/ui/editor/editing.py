"""Keyboard gestures and edits of the document view: label keys, accept and reject, resizing,
Tab navigation and relation mode. Every change goes through ``ProjectSession.push``.

A mixin of ``DocumentView``: it works on the view's state (layout, annotations, selection).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence

from annotator import edits
from annotator.model import EntityLabel, Relation, RelationLabel, Span
from annotator.ui.editor import gestures
from annotator.ui.editor.banner import PICK_CHILD_TEXT, ModeBanner
from annotator.ui.editor.label_menu import open_label_menu
from annotator.ui.session import REDO_KEYS, UNDO_KEYS
from annotator.wording import counted


class Mode(Enum):
    NORMAL = "normal"
    PICK_CHILD = "pick_child"  # after R: choosing the child span of a new relation


class EditingInteraction:
    """Keyboard handling and edits mixed into ``DocumentView``."""

    _banner: ModeBanner  # made by the view

    # -- keyboard ----------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._said_nothing_to_replay(event):
            event.accept()
            return
        text = event.text()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if text and modifiers in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.ShiftModifier,
        ):
            label = self._label_for_key(text)
            if label is not None:
                self.apply_label(label)
                event.accept()
                return
        super().keyPressEvent(event)

    def _said_nothing_to_replay(self, event: QKeyEvent) -> bool:
        """Ctrl+Z (or Ctrl+Shift+Z, Ctrl+Y) reaches the view only while its menu action is
        off, with nothing to undo (redo): say so, rather than let the key pass unnoticed."""
        pressed = QKeySequence(event.keyCombination())
        stack = self.session.undo_stack
        if not stack.canUndo() and pressed in map(QKeySequence, UNDO_KEYS):
            self.session.noted.emit("Nothing to undo")
            return True
        if not stack.canRedo() and pressed in map(QKeySequence, REDO_KEYS):
            self.session.noted.emit("Nothing to redo")
            return True
        return False

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
            head = self._index.span_by_id.get(str(self._pick_head))
            candidates = self._child_candidates(head) if head is not None else []
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
        """One undo step through the session (which reports a refused edit). A relation the
        edit draws or accepts accepts its pending ends, and a span the edit decides supersedes
        the pending suggestions on its exact tokens, in the same step.
        Only the spans around what it decides can be superseded: those are looked up in the
        index, not all of a long document's 10,000 (4 ms a key)."""
        self._require_tokens()  # tokens still being made: wait, the index follows their flags
        index = self._index
        edit = edits.with_ends_accepted(edit, index.all_spans)
        around = {
            span.id: span
            for decided in edits.decided_spans(edit)
            for span in index.spans_between(decided.start, decided.end)
        }
        edit = edits.with_superseded(edit, around.values(), list(index.all_relations.values()))
        self._own_edit = edit
        try:
            return self.session.push(edit)
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
        item = self.selected()
        edit = gestures.accept(item)
        if edit is None:
            self._say_why_nothing(item, "accepted")
            return
        if not self._push(edit):
            return
        assert item is not None
        following = gestures.next_pending(self._index, item.id)
        if following is not None:
            self.select(following)
        if isinstance(edit, edits.UpdateSpan):
            self._propagate(edit.after)

    def _on_reject_triggered(self) -> None:
        item = self.selected()
        if self._remove_selected(gestures.reject) and isinstance(item, Span):
            # the string's evidence changed: its pending propagation may have to go
            self._propagate(item.model_copy(update={"status": "rejected"}))

    def _on_delete_triggered(self) -> None:
        self._remove_selected(gestures.delete)

    def _remove_selected(
        self, gesture: Callable[[Span | Relation | None, list[Relation]], edits.Edit | None]
    ) -> bool:
        """Reject or delete the selection, then select what Tab would reach next; whether the
        edit was made."""
        if self._mode is not Mode.NORMAL:
            return False
        item = self.selected()
        edit = gesture(item, list(self._index.all_relations.values()))
        if edit is None:
            self._say_why_nothing(item, "rejected")
            return False
        following = gestures.following(self._index, item)
        if not self._push(edit):
            return False
        self._set_selected(following)
        return True

    def _on_accept_all_triggered(self) -> None:
        if self._doc_id is None or self._mode is not Mode.NORMAL:
            return
        spans = list(self._index.all_spans.values())
        group = edits.accept_all(spans, list(self._index.all_relations.values()))
        left = len(edits.conflicting_suggestions(spans))
        if not group.edits and not left:
            self.session.noted.emit("Nothing left to accept in this document")
        accepted = 0
        if group.edits and self._push(group):
            for edit in group.edits:
                if isinstance(edit, edits.UpdateSpan | edits.UpdateRelation):
                    accepted += edit.after.status == "accepted"
                if isinstance(edit, edits.UpdateSpan) and edit.after.status == "accepted":
                    self._propagate(edit.after)
        if left:  # after the edit, whose change clears the status bar's notes
            self.session.edit_failed.emit(
                f"{counted(left, 'suggestion')} left pending: they put two labels on the same "
                "tokens, or other annotators' versions compete with them; accept the right one "
                "(A, or T in a review) or reject the wrong one (X)"
            )
        elif accepted:
            self.session.noted.emit(
                f"Accepted {counted(accepted, 'suggestion')}; Ctrl+Z takes them all back"
            )

    def _say_why_nothing(self, item: Span | Relation | None, decided: str) -> None:
        """A key that changed nothing says why, instead of seeming broken."""
        if item is None:
            self.session.noted.emit("Nothing is selected: Tab selects the next suggestion")
        elif item.status == decided:
            self.session.noted.emit(f"Already {decided}")

    def _move_edge(self, edge: str, step: int) -> None:
        if self._mode is not Mode.NORMAL:
            return
        item = self.selected()
        if isinstance(item, Span):
            current = (item.start, item.end)
        elif self._text_selection is not None:
            current = self._text_selection
        else:
            self._say_why_nothing(None, "")
            return
        moved = gestures.moved_range(*current, edge, step, self._tokens)
        if moved is None:
            if (edge == "end") != (step > 0):  # shrinking
                self.session.noted.emit("A span keeps at least one token")
            else:
                self.session.noted.emit(f"Already at the {edge} of the text")
            return
        if isinstance(item, Span):
            self._push(edits.resize_span(item, *moved))
        else:
            self._text_selection = moved
            self.viewport().update()
        self._reveal_range(*moved)

    def _propagate(self, span: Span) -> None:
        """Let the suggester spread an accepted span to its other mentions, or withdraw the
        pending ones of a rejected span's string (in the background)."""
        self._propagation.request(span, self._text)

    def _on_propagation_withdrawn(self, doc_ids: set[int]) -> None:
        self.propagation_withdrawn.emit(len(doc_ids))
        if self._doc_id in doc_ids:
            self.session.annotations_changed.emit(self._doc_id)

    def _on_propagation_finished(self, doc_id: int, added: int) -> None:
        self.propagated.emit(added)
        if added and self._doc_id is not None:
            self.session.annotations_changed.emit(self._doc_id)

    # -- relations ------------------------------------------------------------------------------

    def _on_new_relation_triggered(self) -> None:
        item = self.selected()
        if self._mode is not Mode.NORMAL:
            return
        if not isinstance(item, Span):
            self.session.noted.emit(
                "Select the relation's head span first (Tab, or a click), then R"
            )
            return
        candidates = self._child_candidates(item)
        if not candidates:
            self.session.edit_failed.emit(
                f"No other span here can be the child of a relation from {item.label}"
            )
            return
        self._mode = Mode.PICK_CHILD
        self._banner.show_text(PICK_CHILD_TEXT)
        self._pick_head = item.id
        following = [s.id for s in self._index.spans if s.start > item.start]
        self._pick_candidate = next((i for i in following if i in candidates), candidates[0])
        self._reveal_item(self._pick_candidate)
        self.viewport().update()

    def _child_candidates(self, head: Span) -> list[str]:
        """Spans that some relation label of the schema allows as the child of ``head``."""
        schema = self.session.project.schema
        return [
            s.id
            for s in self._index.spans
            if s.id != head.id and schema.relation_labels_for(head.label, s.label)
        ]

    def _pick_child(self) -> None:
        head, child = self._pick_head, self._pick_candidate
        self._leave_pick_mode()
        if head is not None and child is not None:
            self._choose_relation_label(head, child)

    def _leave_pick_mode(self) -> None:
        self._mode = Mode.NORMAL
        self._banner.clear()
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
            self._say_why_nothing(None, "")
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
