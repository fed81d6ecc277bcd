"""Pure, invertible edits: the only way annotations change after import.

An edit is data. ``edit.apply(target)`` performs it on anything that implements
``EditTarget`` (the project store does), and ``edit.inverse()`` is the edit that undoes it:
applying an edit and then its inverse leaves the target exactly as before. The UI wraps edits
in ``QUndoCommand``s; one gesture is one edit (``EditGroup`` for several changes at once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Annotated, Literal, Protocol, Union, get_args

from pydantic import BaseModel, ConfigDict, Field

from annotator.errors import ValidationError
from annotator.model import Relation, Span
from annotator.model.document import DocumentStatus
from annotator.model.span import annotators_of
from annotator.wording import counted


class EditTarget(Protocol):
    """The primitive writes an edit needs; the store runs them inside one transaction."""

    def insert_span(self, span: Span) -> None: ...
    def delete_span(self, span: Span) -> None: ...
    def replace_span(self, before: Span, after: Span) -> None: ...
    def insert_relation(self, relation: Relation) -> None: ...
    def delete_relation(self, relation: Relation) -> None: ...
    def replace_relation(self, before: Relation, after: Relation) -> None: ...
    def replace_document_status(
        self, doc_id: int, before: DocumentStatus, after: DocumentStatus
    ) -> None: ...


class _Edit(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    @property
    def doc_id(self) -> int:
        raise NotImplementedError

    @property
    def description(self) -> str:
        """A short phrase for menus ("Undo relabel span") and the edit log."""
        raise NotImplementedError


class AddSpan(_Edit):
    """Add a span, and with it any relations that hang on it (so it can undo ``RemoveSpan``)."""

    kind: Literal["add_span"] = "add_span"
    span: Span
    relations: tuple[Relation, ...] = ()

    @property
    def doc_id(self) -> int:
        return self.span.doc_id

    @property
    def description(self) -> str:
        return f"add {self.span.label} span"

    def apply(self, target: EditTarget) -> None:
        target.insert_span(self.span)
        for relation in self.relations:
            target.insert_relation(relation)

    def inverse(self) -> RemoveSpan:
        return RemoveSpan(span=self.span, relations=self.relations)


class RemoveSpan(_Edit):
    """Remove a span; ``relations`` must list every relation that uses it (see ``remove_span``)."""

    kind: Literal["remove_span"] = "remove_span"
    span: Span
    relations: tuple[Relation, ...] = ()

    @property
    def doc_id(self) -> int:
        return self.span.doc_id

    @property
    def description(self) -> str:
        return f"remove {self.span.label} span"

    def apply(self, target: EditTarget) -> None:
        for relation in reversed(self.relations):
            target.delete_relation(relation)
        target.delete_span(self.span)

    def inverse(self) -> AddSpan:
        return AddSpan(span=self.span, relations=self.relations)


class UpdateSpan(_Edit):
    """Change a span's label, offsets or status; ``before`` is what the target holds now."""

    kind: Literal["update_span"] = "update_span"
    before: Span
    after: Span

    @property
    def doc_id(self) -> int:
        return self.before.doc_id

    @property
    def description(self) -> str:
        before, after = self.before, self.after
        if after.status == "rejected" and after.status_reason:
            return "supersede suggestion"
        if before.label != after.label and after.status == "accepted":
            # a label key on a suggestion relabels and accepts it: the relabel is the news
            return f"relabel span as {after.label}"
        if before.status != after.status:
            return {"accepted": "accept", "rejected": "reject"}.get(after.status, "reopen") + (
                " suggestion"
            )
        if before.label != after.label:
            return f"relabel span as {after.label}"
        return "resize span"

    def apply(self, target: EditTarget) -> None:
        target.replace_span(self.before, self.after)

    def inverse(self) -> UpdateSpan:
        return UpdateSpan(before=self.after, after=self.before)


class AddRelation(_Edit):
    kind: Literal["add_relation"] = "add_relation"
    relation: Relation

    @property
    def doc_id(self) -> int:
        return self.relation.doc_id

    @property
    def description(self) -> str:
        return f"add {self.relation.label} relation"

    def apply(self, target: EditTarget) -> None:
        target.insert_relation(self.relation)

    def inverse(self) -> RemoveRelation:
        return RemoveRelation(relation=self.relation)


class RemoveRelation(_Edit):
    kind: Literal["remove_relation"] = "remove_relation"
    relation: Relation

    @property
    def doc_id(self) -> int:
        return self.relation.doc_id

    @property
    def description(self) -> str:
        return f"remove {self.relation.label} relation"

    def apply(self, target: EditTarget) -> None:
        target.delete_relation(self.relation)

    def inverse(self) -> AddRelation:
        return AddRelation(relation=self.relation)


class UpdateRelation(_Edit):
    """Change a relation's label or status."""

    kind: Literal["update_relation"] = "update_relation"
    before: Relation
    after: Relation

    @property
    def doc_id(self) -> int:
        return self.before.doc_id

    @property
    def description(self) -> str:
        if self.before.status != self.after.status:
            verb = {"accepted": "accept", "rejected": "reject"}.get(self.after.status, "reopen")
            return f"{verb} relation"
        return f"relabel relation as {self.after.label}"

    def apply(self, target: EditTarget) -> None:
        target.replace_relation(self.before, self.after)

    def inverse(self) -> UpdateRelation:
        return UpdateRelation(before=self.after, after=self.before)


class SetDocumentStatus(_Edit):
    kind: Literal["set_document_status"] = "set_document_status"
    document: int
    before: DocumentStatus
    after: DocumentStatus

    @property
    def doc_id(self) -> int:
        return self.document

    @property
    def description(self) -> str:
        return f"mark document {self.after}"

    def apply(self, target: EditTarget) -> None:
        target.replace_document_status(self.document, self.before, self.after)

    def inverse(self) -> SetDocumentStatus:
        return SetDocumentStatus(document=self.document, before=self.after, after=self.before)


class EditGroup(_Edit):
    """Several edits of one document as one step (e.g. accept every suggestion)."""

    kind: Literal["group"] = "group"
    edits: tuple[Edit, ...]
    label: str = "edit"

    @property
    def doc_id(self) -> int:
        return self.edits[0].doc_id if self.edits else -1

    @property
    def description(self) -> str:
        return self.label

    def apply(self, target: EditTarget) -> None:
        for edit in self.edits:
            edit.apply(target)

    def inverse(self) -> EditGroup:
        return EditGroup(edits=tuple(e.inverse() for e in reversed(self.edits)), label=self.label)


Edit = Annotated[
    Union[  # noqa: UP007 - a discriminated union needs the Union form here
        AddSpan,
        RemoveSpan,
        UpdateSpan,
        AddRelation,
        RemoveRelation,
        UpdateRelation,
        SetDocumentStatus,
        EditGroup,
    ],
    Field(discriminator="kind"),
]
# EditGroup refers to Edit, defined after it: pydantic resolves it when first used (defer_build).


class _EditEnvelope(BaseModel):
    model_config = ConfigDict(defer_build=True)

    edit: Edit


def build_validators() -> None:
    """Build every edit's pydantic validator now. ``defer_build`` leaves that to the first edit
    made, which suits the commands (most make none, and start quicker); the window builds them
    as it opens a project, so that its first accept does not pay for them (50-75 ms)."""
    edit_types = get_args(get_args(Edit)[0])  # the union's members
    for model in (*edit_types, _EditEnvelope):
        model.model_rebuild()


def edit_to_json(edit: Edit) -> str:
    return edit.model_dump_json()


def edit_from_json(text: str) -> Edit:
    return _EditEnvelope.model_validate_json('{"edit": ' + text + "}").edit


# Constructors for the gestures a person makes. They read the current objects and return an
# edit; they never touch a store.


def add_span(span: Span) -> AddSpan:
    return AddSpan(span=span)


def remove_span(span: Span, relations: tuple[Relation, ...] | list[Relation]) -> RemoveSpan:
    """``relations``: the document's relations; those touching the span go with it."""
    attached = tuple(r for r in relations if span.id in (r.head, r.child))
    return RemoveSpan(span=span, relations=attached)


def relabel_span(span: Span, label: str) -> UpdateSpan:
    edited = span.edited or span.origin != "human"
    return UpdateSpan(before=span, after=span.model_copy(update={"label": label, "edited": edited}))


def resize_span(span: Span, start: int, end: int) -> UpdateSpan:
    if start >= end:
        raise ValidationError(f"a span cannot be resized to [{start}, {end})")
    edited = span.edited or span.origin != "human"
    after = span.model_copy(update={"start": start, "end": end, "edited": edited})
    return UpdateSpan(before=span, after=after)


def accept_span(span: Span) -> UpdateSpan:
    return UpdateSpan(before=span, after=span.model_copy(update={"status": "accepted"}))


def reject_span(
    span: Span, relations: tuple[Relation, ...] | list[Relation] = (), reason: str | None = None
) -> Edit:
    """Reject a suggestion; relations still pending on it are rejected too. ``reason`` is
    recorded on the span when no person rejected it directly (see ``supersede``)."""
    edits = _rejections([(span, reason)], relations)
    return edits[0] if len(edits) == 1 else EditGroup(edits=edits, label="reject suggestion")


def reject_spans(spans: Sequence[Span], relations: Sequence[Relation]) -> tuple[Edit, ...]:
    """Rejections of ``spans`` and of the relations hanging on them (see ``_rejections``)."""
    return _rejections([(span, None) for span in spans], relations)


def _rejections(
    spans: Sequence[tuple[Span, str | None]], relations: Sequence[Relation]
) -> tuple[Edit, ...]:
    """Reject each span (with its reason) and every relation not yet rejected that hangs on
    one of them, each relation once, relations first."""
    ids = {span.id for span, _ in spans}
    hanging = tuple(
        reject_relation(r)
        for r in relations
        if r.status != "rejected" and (r.head in ids or r.child in ids)
    )
    return hanging + tuple(
        UpdateSpan(
            before=span, after=span.model_copy(update={"status": "rejected", "status_reason": why})
        )
        for span, why in spans
    )


def add_relation(relation: Relation) -> AddRelation:
    return AddRelation(relation=relation)


def remove_relation(relation: Relation) -> RemoveRelation:
    return RemoveRelation(relation=relation)


def relabel_relation(relation: Relation, label: str) -> UpdateRelation:
    return UpdateRelation(before=relation, after=relation.model_copy(update={"label": label}))


def accept_relation(relation: Relation) -> UpdateRelation:
    return UpdateRelation(before=relation, after=relation.model_copy(update={"status": "accepted"}))


def reject_relation(relation: Relation) -> UpdateRelation:
    return UpdateRelation(before=relation, after=relation.model_copy(update={"status": "rejected"}))


def set_document_status(doc_id: int, before: DocumentStatus, after: DocumentStatus) -> Edit:
    return SetDocumentStatus(document=doc_id, before=before, after=after)


SUPERSEDED_PREFIX = "superseded"


def superseded_by(decided: Span) -> str:
    """The reason recorded on a suggestion that ``decided`` superseded."""
    return f"{SUPERSEDED_PREFIX}: {decided.label} decided on the same tokens"


def is_superseded(span: Span) -> bool:
    """Rejected because a decision on its tokens replaced it, not because a person said no."""
    return span.status == "rejected" and (span.status_reason or "").startswith(SUPERSEDED_PREFIX)


def is_decided(span: Span) -> bool:
    """Accepted, or rejected by a person: a decision a suggestion must not contradict."""
    return span.status == "accepted" or (span.status == "rejected" and not is_superseded(span))


def supersede(
    decided: Sequence[Span],
    spans: Iterable[Span],
    relations: Sequence[Relation],
    reason: str | None = None,
) -> tuple[Edit, ...]:
    """Rejections of the pending suggestions on exactly the tokens (offsets) of a ``decided``
    span, whatever their label: a person's decision wins. The reason (``superseded_by`` the
    winner unless given) is recorded on each."""
    decided_ids = {span.id for span in decided}
    winners: dict[tuple[int, int], Span] = {}
    for span in decided:
        winners.setdefault((span.start, span.end), span)
    losers = [
        (span, reason or superseded_by(winners[(span.start, span.end)]))
        for span in spans
        if span.status == "suggested"
        and span.id not in decided_ids
        and (span.start, span.end) in winners
    ]
    return _rejections(losers, relations) if losers else ()


def leaves(edit: Edit) -> list[Edit]:
    """The plain edits ``edit`` is made of, groups opened, in order."""
    if isinstance(edit, EditGroup):
        return [leaf for part in edit.edits for leaf in leaves(part)]
    return [edit]


def decided_spans(edit: Edit) -> list[Span]:
    """The spans ``edit`` leaves accepted by a person's gesture: added, accepted, relabelled
    or resized (a plain status change back to pending or rejected decides nothing)."""
    decided = []
    for leaf in leaves(edit):
        if isinstance(leaf, AddSpan) and leaf.span.status == "accepted":
            decided.append(leaf.span)
        elif isinstance(leaf, UpdateSpan) and leaf.after.status == "accepted":
            before, after = leaf.before, leaf.after
            if (before.status, before.label, before.start, before.end) != (
                after.status,
                after.label,
                after.start,
                after.end,
            ):
                decided.append(after)
    return decided


def with_superseded(edit: Edit, spans: Iterable[Span], relations: Sequence[Relation]) -> Edit:
    """``edit`` and the rejection of each suggestion it supersedes (see ``supersede``), as one
    undo step; ``spans`` and ``relations`` are the document's before the edit."""
    rejections = supersede(decided_spans(edit), spans, relations)
    if not rejections:
        return edit
    return EditGroup(edits=(edit, *rejections), label=edit.description)


def accepted_relations(edit: Edit) -> list[Relation]:
    """The relations ``edit`` leaves accepted by a person's gesture: drawn, or accepted."""
    accepted = []
    for leaf in leaves(edit):
        if isinstance(leaf, AddRelation) and leaf.relation.status == "accepted":
            accepted.append(leaf.relation)
        elif (
            isinstance(leaf, UpdateRelation)
            and leaf.after.status == "accepted"
            and leaf.before.status != "accepted"
        ):
            accepted.append(leaf.after)
    return accepted


def with_ends_accepted(edit: Edit, spans: Mapping[str, Span]) -> Edit:
    """``edit`` and the acceptance of the pending spans its accepted relations link, as one
    undo step: drawing or accepting a relation says that both its ends are right. Left
    pending, "reject the rest" on Ctrl+Enter rejected them, and the relation with them.
    ``spans``: the document's, by id, before the edit."""
    relations = accepted_relations(edit)
    if not relations:
        return edit
    changed = {  # the edit decides them itself
        leaf.span.id if isinstance(leaf, AddSpan | RemoveSpan) else leaf.before.id
        for leaf in leaves(edit)
        if isinstance(leaf, AddSpan | RemoveSpan | UpdateSpan)
    }
    pending = {
        end: spans[end]
        for relation in relations
        for end in (relation.head, relation.child)
        if end in spans and spans[end].status == "suggested" and end not in changed
    }
    if not pending:
        return edit
    return EditGroup(
        edits=(edit, *(accept_span(span) for span in pending.values())), label=edit.description
    )


def items_left(edit: Edit, undoing: bool = False) -> list[str]:
    """The ids of the spans and relations ``edit`` adds or changes, in its order (what an
    undo or redo shows selected). ``undoing``: ``edit`` is the inverse of an undo step, and
    the ids come in the step's order, so the first is what the step was about (a relation
    accepted with its ends: the relation, not an end)."""
    items = []
    for leaf in leaves(edit):
        if isinstance(leaf, AddSpan):
            items.append(leaf.span.id)
        elif isinstance(leaf, AddRelation):
            items.append(leaf.relation.id)
        elif isinstance(leaf, UpdateSpan | UpdateRelation):
            items.append(leaf.after.id)
    return items[::-1] if undoing else items


WORK_NOT_STARTED: tuple[DocumentStatus, ...] = ("new", "suggested")


def with_work_started(edit: Edit, status: DocumentStatus) -> Edit:
    """``edit`` and, on a document still ``new`` or ``suggested``, the move to
    ``in_progress``, as one undo step: the first edit starts the work on a document."""
    if status not in WORK_NOT_STARTED or status_changes(edit):
        return edit
    started = SetDocumentStatus(document=edit.doc_id, before=status, after="in_progress")
    return EditGroup(edits=(edit, started), label=edit.description)


def status_changes(edit: Edit) -> list[SetDocumentStatus]:
    """The document status changes inside ``edit`` (for announcing them)."""
    return [leaf for leaf in leaves(edit) if isinstance(leaf, SetDocumentStatus)]


def conflicting_suggestions(spans: Iterable[Span]) -> list[Span]:
    """Pending suggestions sharing their exact offsets with a pending suggestion of another
    label, where nothing is accepted yet: accepting one would put two labels on the same
    tokens, and only a person can tell which (an accepted span there supersedes them all)."""
    labels: dict[tuple[int, int], set[str]] = {}
    decided: set[tuple[int, int]] = set()
    pending = [span for span in spans if span.status == "suggested"]
    for span in spans:
        if span.status == "accepted":
            decided.add((span.start, span.end))
    for span in pending:
        labels.setdefault((span.start, span.end), set()).add(span.label)
    rivals = {span.id for span in competing_versions(spans)}
    return [
        s
        for s in pending
        if (s.start, s.end) not in decided and (len(labels[(s.start, s.end)]) > 1 or s.id in rivals)
    ]


def competing_versions(spans: Sequence[Span]) -> list[Span]:
    """The pending versions of a merged project that share characters with a span made by
    other annotators (a pending version, or any accepted span), on other offsets or with
    another label: what ``take_version`` settles. Accepting both would train the minority's
    span beside the majority's ("de Lille" beside "Lille"). Versions the same annotators made
    (nested spans they all drew) do not compete."""
    if not any(s.status == "suggested" and annotators_of(s.origin) for s in spans):
        return []  # not a review: nothing to sort
    versions = sorted(
        (
            s
            for s in spans
            if s.status == "accepted" or (s.status == "suggested" and annotators_of(s.origin))
        ),
        key=attrgetter("start"),
    )
    found: dict[str, Span] = {}
    for index, span in enumerate(versions):
        for other in versions[index + 1 :]:
            if other.start >= span.end:
                break
            if annotators_of(span.origin) == annotators_of(other.origin):
                continue
            for one in (span, other):
                if one.status == "suggested" and annotators_of(one.origin):
                    found[one.id] = one
    return list(found.values())


def accept_all(spans: list[Span], relations: list[Relation]) -> EditGroup:
    """Accept every pending suggestion of a document, spans first, as one undo step.

    Never two labels on the same tokens: suggestions in conflict (``conflicting_suggestions``)
    stay pending for a person to decide; a suggestion on the offsets of an accepted span (or
    of one accepted here) is superseded. A relation is accepted only when both its spans end up
    accepted.
    """
    conflicting = {span.id for span in conflicting_suggestions(spans)}
    taken = {(s.start, s.end) for s in spans if s.status == "accepted"}
    accepting: list[UpdateSpan] = []
    for span in spans:
        offsets = (span.start, span.end)
        if span.status == "suggested" and span.id not in conflicting and offsets not in taken:
            taken.add(offsets)
            accepting.append(accept_span(span))
    winners = [s for s in spans if s.status == "accepted"] + [e.after for e in accepting]
    rejections = supersede(winners, spans, relations)
    rejected = {e.before.id for e in rejections}  # type: ignore[union-attr]
    accepted = {span.id for span in winners}
    relations_accepted = [
        accept_relation(r)
        for r in relations
        if r.status == "suggested"
        and r.id not in rejected
        and r.head in accepted
        and r.child in accepted
    ]
    return EditGroup(
        edits=(*accepting, *relations_accepted, *rejections), label="accept all suggestions"
    )


# -- review of a merged project ------------------------------------------------------------


def take_version(version: Span, spans: list[Span], relations: list[Relation]) -> EditGroup:
    """Accept one annotator's version and reject the pending versions it competes with.

    Competing versions are the pending spans of other annotators that share characters with
    it (another label, other boundaries); their relations are rejected with them. One undo step.
    """
    rivals = [
        s
        for s in spans
        if s.id != version.id
        and s.status == "suggested"
        and annotators_of(s.origin)
        and s.start < version.end
        and version.start < s.end
    ]
    edits: list[Edit] = [accept_span(version)] if version.status == "suggested" else []
    rejected: set[str] = set()  # a relation between two rivals is rejected once
    for rival in rivals:
        hanging = [r for r in relations if rival.id in (r.head, r.child) and r.id not in rejected]
        rejected.update(r.id for r in hanging)
        edits.append(reject_span(rival, hanging))
    return EditGroup(edits=tuple(edits), label="take this version")


def accept_agreements(spans: list[Span], relations: list[Relation]) -> EditGroup:
    """Accept every pending version all the document's annotators made (score 1), as one step.

    A relation everyone made is accepted when both its spans end up accepted.
    """
    agreed = [
        s for s in spans if s.status == "suggested" and annotators_of(s.origin) and s.score == 1.0
    ]
    accepted = {s.id for s in spans if s.status == "accepted"} | {s.id for s in agreed}
    edits: list[Edit] = [accept_span(s) for s in agreed]
    edits += [
        accept_relation(r)
        for r in relations
        if r.status == "suggested"
        and annotators_of(r.origin)
        and r.score == 1.0
        and r.head in accepted
        and r.child in accepted
    ]
    return EditGroup(edits=tuple(edits), label="accept agreements")


PendingChoice = Literal["accept", "reject"]


def pending_count(spans: Iterable[Span], relations: Iterable[Relation]) -> int:
    """Suggestions (spans and relations) nobody decided yet."""
    return sum(s.status == "suggested" for s in spans) + sum(
        r.status == "suggested" for r in relations
    )


def finish_document(
    doc_id: int,
    status: DocumentStatus,
    spans: list[Span],
    relations: list[Relation],
    pending: PendingChoice | None,
) -> Edit | None:
    """Mark a document done, deciding its pending suggestions first, as one undo step
    (``None``: it is done already, with nothing pending).

    A done document means "what is left is wrong", so pending suggestions need a choice:
    ``accept`` the rest (refused when two of them would put two labels on the same tokens) or
    ``reject`` the rest. Without one, a document with pending suggestions is refused.
    """
    done = SetDocumentStatus(document=doc_id, before=status, after="done")
    waiting = pending_count(spans, relations)
    if not waiting:
        return done if status != "done" else None
    if pending is None:
        raise ValidationError(
            f"document {doc_id} has {counted(waiting, 'pending suggestion')}; accept or reject "
            "them first (--pending accept|reject)"
        )
    if pending == "accept":
        conflicts = conflicting_suggestions(spans)
        if conflicts:
            raise ValidationError(
                f"document {doc_id}: {counted(len(conflicts), 'pending suggestion')} put two "
                "labels on the same tokens, or are versions other annotators' spans compete "
                "with; decide them first, or reject the rest"
            )
        decisions: list[Edit] = list(accept_all(spans, relations).edits)
    else:
        decisions = list(reject_spans([s for s in spans if s.status == "suggested"], relations))
    decided = {e.before.id for e in decisions if isinstance(e, UpdateRelation)}
    decisions += [
        reject_relation(r) for r in relations if r.status == "suggested" and r.id not in decided
    ]
    if status != "done":
        decisions.append(done)
    return EditGroup(edits=tuple(decisions), label=f"{pending} the rest and mark document done")
