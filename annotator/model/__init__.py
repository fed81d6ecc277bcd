"""Pydantic value objects of the data model. Character offsets, end exclusive, are the truth."""

from annotator.model.document import Document, DocumentStatus, TokenOffsets, text_hash
from annotator.model.parsing import parse
from annotator.model.relation import Relation
from annotator.model.schema import EntityLabel, LabelSchema, RelationLabel, default_schema
from annotator.model.settings import ProjectSettings
from annotator.model.span import AnnotationStatus, Span, new_id, new_ids
from annotator.model.validation import TokenBoundaries, check_relation, check_span, is_aligned

__all__ = [
    "AnnotationStatus",
    "Document",
    "DocumentStatus",
    "EntityLabel",
    "LabelSchema",
    "ProjectSettings",
    "Relation",
    "RelationLabel",
    "Span",
    "TokenBoundaries",
    "TokenOffsets",
    "check_relation",
    "check_span",
    "default_schema",
    "is_aligned",
    "new_id",
    "new_ids",
    "parse",
    "text_hash",
]
