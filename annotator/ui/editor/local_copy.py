"""The view's own copy of one document's annotations.

After an edit the view made itself, it applies the same core edit to this copy (it implements
the core's ``EditTarget``) instead of reading 500 spans back from the store: that keeps a label
keystroke well inside one frame. Undo, redo and changes from elsewhere still re-read the store.
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

    def apply(self, edit: Edit) -> AnnotationIndex:
        """Apply an edit the store has just committed; returns the new index."""
        edit.apply(self)
        return self.index()

    def index(self) -> AnnotationIndex:
        return AnnotationIndex(self.spans.values(), self.relations.values(), self.misaligned)

    # EditTarget: the same primitive writes the store performs, in memory.

    def insert_span(self, span: Span) -> None:
        self.spans[span.id] = span
        self._flag(span)

    def delete_span(self, span: Span) -> None:
        self.spans.pop(span.id, None)
        self.misaligned.discard(span.id)

    def replace_span(self, before: Span, after: Span) -> None:
        self.spans[after.id] = after
        self._flag(after)

    def insert_relation(self, relation: Relation) -> None:
        self.relations[relation.id] = relation

    def delete_relation(self, relation: Relation) -> None:
        self.relations.pop(relation.id, None)

    def replace_relation(self, before: Relation, after: Relation) -> None:
        self.relations[after.id] = after

    def replace_document_status(
        self, doc_id: int, before: DocumentStatus, after: DocumentStatus
    ) -> None:
        """Document status is not drawn by the view."""

    def _flag(self, span: Span) -> None:
        if self._tokens.boundaries.aligned(span.start, span.end):
            self.misaligned.discard(span.id)
        else:
            self.misaligned.add(span.id)
