"""The view's own copy of one document's annotations.

After an edit the view made itself, it applies the same core edit to this copy (it implements
the core's ``EditTarget``) instead of reading 10,000 spans back from the store, and the index
it paints from is updated for the annotations that edit touched only: that keeps a keystroke
inside one frame. Undo and redo are applied the same way (the session announces their edit);
changes from elsewhere re-read the store.
"""

from __future__ import annotations

from collections.abc import Iterable

from annotator.edits import Edit
from annotator.model import Relation, Span
from annotator.model.document import DocumentStatus
from annotator.ui.editor.annotation_index import AnnotationIndex
from annotator.ui.editor.tokens import TokenIndex


class LocalAnnotations:
    def __init__(
        self,
        spans: Iterable[Span],
        relations: Iterable[Relation],
        misaligned: Iterable[str],
        tokens: TokenIndex,
    ) -> None:
        self.spans = {span.id: span for span in spans}
        self.relations = {relation.id: relation for relation in relations}
        self.misaligned = set(misaligned)
        self._tokens = tokens
        self._index: AnnotationIndex | None = None
        self._changed_spans: set[str] = set()
        self._changed_relations: set[str] = set()

    def apply(self, edit: Edit) -> AnnotationIndex:
        """Apply an edit the store has just committed; returns the new index."""
        self._changed_spans.clear()
        self._changed_relations.clear()
        edit.apply(self)
        if self._index is None:
            return self.index()
        self._index = self._index.updated(
            self.spans,
            self.relations,
            self.misaligned,
            self._changed_spans,
            self._changed_relations,
        )
        return self._index

    def add_spans(self, spans: Iterable[Span]) -> AnnotationIndex:
        """Suggestions stored elsewhere (propagation) for this document, added to the copy."""
        self._changed_spans.clear()
        self._changed_relations.clear()
        for span in spans:
            self.insert_span(span)
        assert self._index is not None
        self._index = self._index.updated(
            self.spans, self.relations, self.misaligned, self._changed_spans, ()
        )
        return self._index

    def index(self) -> AnnotationIndex:
        """Everything indexed afresh."""
        self._index = AnnotationIndex(self.spans.values(), self.relations.values(), self.misaligned)
        return self._index

    # EditTarget: the same primitive writes the store performs, in memory.

    def insert_span(self, span: Span) -> None:
        self.spans[span.id] = span
        self._flag(span)
        self._changed_spans.add(span.id)

    def delete_span(self, span: Span) -> None:
        self.spans.pop(span.id, None)
        self.misaligned.discard(span.id)
        self._changed_spans.add(span.id)

    def replace_span(self, before: Span, after: Span) -> None:
        self.spans[after.id] = after
        self._flag(after)
        self._changed_spans.add(after.id)

    def insert_relation(self, relation: Relation) -> None:
        self.relations[relation.id] = relation
        self._changed_relations.add(relation.id)

    def delete_relation(self, relation: Relation) -> None:
        self.relations.pop(relation.id, None)
        self._changed_relations.add(relation.id)

    def replace_relation(self, before: Relation, after: Relation) -> None:
        self.relations[after.id] = after
        self._changed_relations.add(after.id)

    def replace_document_status(
        self, doc_id: int, before: DocumentStatus, after: DocumentStatus
    ) -> None:
        """Document status is not drawn by the view."""

    def _flag(self, span: Span) -> None:
        if self._tokens.aligned(span.start, span.end):
            self.misaligned.discard(span.id)
        else:
            self.misaligned.add(span.id)
