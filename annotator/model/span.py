"""An entity span over character offsets."""

from __future__ import annotations

import os
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from annotator.model.labels import LabelName

AnnotationStatus = Literal["suggested", "accepted", "rejected"]
SpanFields = Literal["all", "essentials", "places"]
"""What of the stored spans an export writer reads (``register_writer(spans=...)``): "all"
their fields and every status (the pending suggestions the selection left out included);
"essentials" their id, offsets, label, status and score, and "places" their id, offsets and
label, of the selected statuses only (no pending suggestion)."""
ANNOTATION_STATUSES: tuple[str, ...] = ("suggested", "accepted", "rejected")


# A version in a merged project names the annotators who made it: ``annotator:alice+bob``.
ANNOTATOR_ORIGIN = "annotator:"


def annotators_of(origin: str) -> tuple[str, ...]:
    """The annotators a merged version names (empty for any other origin)."""
    if not origin.startswith(ANNOTATOR_ORIGIN):
        return ()
    return tuple(origin[len(ANNOTATOR_ORIGIN) :].split("+"))


def unusable_span(
    doc_id: object,
    span_id: object,
    start: object,
    end: object,
    label: object,
    length: int | None = None,
) -> str:
    """What is wrong with a stored span no reader can use (a crafted or damaged project file),
    in a few words with its document: ``Project.unreadable_value`` says it, and an export that
    finds one in a document's spans (``length``: that document's text's, when known)."""
    within = f" within its text ({length} characters)" if length is not None else ""
    return (
        f"document {doc_id}: span {span_id!r} holds start {start!r}, end {end!r} and label "
        f"{label!r}; a span needs an id, two integer offsets in order{within} and a label"
    )


def new_id() -> str:
    """A fresh id for a span or relation, made by the caller so that edits stay pure."""
    return uuid.uuid4().hex


def new_ids(count: int) -> list[str]:
    """``count`` fresh ids at once for bulk writers: 128 random bits as 32 hex digits, like
    ``new_id``'s, without building a ``UUID`` object for each."""
    digits = os.urandom(16 * count).hex()
    return [digits[at : at + 32] for at in range(0, 32 * count, 32)]


def consecutive_ids(count: int) -> list[str]:
    """``count`` fresh ids that sort in the order made: 64 random bits shared by the run, then
    a 64-bit counter, as 32 hex digits. A bulk writer's run of inserts then goes to one place
    of the id index instead of a random page per row (twice as quick for a merge's 400,000
    spans). As unlikely to meet another id as ``new_id``'s, unless 2^32 runs are made."""
    run = os.urandom(8).hex()  # hex digits: no % in the format
    return list(map(f"{run}%016x".__mod__, range(count)))  # a fifth quicker than an f-string


class Span(BaseModel):
    """A labelled character range ``[start, end)`` of one document.

    ``origin`` is ``human``, ``model:<name>@<version>``, ``pattern:<file>``, ``rule:<id>``,
    ``propagation`` or ``import:<format>``. ``edited`` records that a suggestion was relabelled
    or resized by a person before being accepted. ``status_reason`` says why a span has its
    status when no person set it directly, e.g. a suggestion superseded by a person's decision
    on the same tokens (see ``annotator.edits.supersede``).
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str = Field(default_factory=new_id)
    doc_id: int
    start: int = Field(ge=0)
    end: int
    label: LabelName
    origin: str = "human"
    status: AnnotationStatus = "accepted"
    score: float | None = None
    edited: bool = False
    status_reason: str | None = None

    @field_validator("end")
    @classmethod
    def _start_before_end(cls, end: int, info: ValidationInfo) -> int:
        # a field's check: it runs when a span is made, not when a span already made goes
        # into an edit, so that a stored span a crafted file holds can still be removed
        start = info.data.get("start")
        if start is not None and start >= end:
            raise ValueError(f"start {start} must be before end {end}")
        return end

    @property
    def key(self) -> tuple[int, int, int, str]:
        """What makes two spans "the same annotation": document, offsets and label."""
        return (self.doc_id, self.start, self.end, self.label)
