"""A directed, labelled link between two spans of the same document."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from annotator.model.labels import LabelName
from annotator.model.span import AnnotationStatus, new_id


class Relation(BaseModel):
    """Points at span ids, never at token indices, so it survives resizing."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str = Field(default_factory=new_id)
    doc_id: int
    head: str
    child: str
    label: LabelName
    origin: str = "human"
    status: AnnotationStatus = "accepted"
    score: float | None = None

    @model_validator(mode="after")
    def _two_different_spans(self) -> Relation:
        if self.head == self.child:
            raise ValueError("a relation needs two different spans")
        return self


def unusable_relation(doc_id: object, relation_id: object) -> str:
    """What is wrong with a stored relation whose two ends are not spans of its document (a
    crafted or damaged project file): ``Project.unreadable_value`` says it, and an export."""
    return f"document {doc_id}: relation {relation_id!r} does not link two spans of its document"
