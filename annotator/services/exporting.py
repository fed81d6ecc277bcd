"""Exporting a project: pick documents and annotations, split them, stream them to a writer.

The same function serves ``annotator export`` and the window (which passes ``progress`` and
``cancel`` from its worker). It reads the project in one read transaction, so an edit made
meanwhile in another window is in the export whole or not at all. Files are written in a hidden
folder beside the output and put in place only when the whole export succeeded, so a failed,
cancelled or killed export leaves what was there before (``export_output`` has the rules).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, field_validator

import annotator.io.formats  # noqa: F401 - registers every reader and writer
from annotator.edits import AddSpan, Edit, EditGroup, UpdateSpan, edit_from_json
from annotator.errors import Cancelled, ExportError, ProjectLockedError, ProjectNotWritableError
from annotator.io.alignment import MisalignedPolicy
from annotator.io.records import (
    DocumentRecord,
    ExportDocument,
    ExportReport,
    RelationRecord,
    SpanEssentials,
    SpanPlace,
    SpanRecord,
)
from annotator.io.registry import WRITERS, collector_paused
from annotator.model.span import SpanFields
from annotator.services.export_output import prepared_output
from annotator.services.tokenizing import ensure_tokens
from annotator.store import Project

StatusSelection = Literal["done", "all"]
SpanSelection = Literal["accepted", "all"]
Progress = Callable[[int, int], None]

PART_NAMES: dict[int, tuple[str, ...]] = {
    1: ("train",),
    2: ("train", "dev"),
    3: ("train", "dev", "test"),
}
DEFAULT_SPLITS: dict[str, tuple[float, ...]] = {"spacy": (0.8, 0.2)}
EXPORTS_FOLDER = Path("exports")
LOSSLESS_FORMATS = frozenset({"annotator"})
_ID, _STATUS = attrgetter("id"), attrgetter("status")
_HEAD, _CHILD = attrgetter("head"), attrgetter("child")


class ExportOptions(BaseModel):
    """What to export and how; each field is a CLI option of ``annotator export``."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    format: str
    output: Path
    status: StatusSelection = "done"
    spans: SpanSelection = "accepted"
    split: tuple[float, ...] | None = None
    seed: int = 0
    misaligned: MisalignedPolicy = "expand"
    force: bool = False

    @field_validator("format")
    @classmethod
    def _known_format(cls, name: str) -> str:
        if name not in WRITERS:
            raise ValueError(f"unknown format {name!r} (known: {', '.join(export_formats())})")
        return name

    @field_validator("split")
    @classmethod
    def _split_fractions(cls, split: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if split is None:
            return None
        if not 1 <= len(split) <= 3:
            raise ValueError("give 1 to 3 fractions (train, dev, test), e.g. 0.8,0.2")
        if any(not math.isfinite(f) or f <= 0 for f in split):
            raise ValueError("every fraction must be above 0")
        if abs(sum(split) - 1) > 1e-6:
            raise ValueError(f"the fractions must add up to 1, not {sum(split):g}")
        return split

    @property
    def effective_split(self) -> tuple[float, ...] | None:
        return self.split or DEFAULT_SPLITS.get(self.format)


def export_options(**values: Any) -> ExportOptions:
    """Checked options; a one-line ``ExportError`` naming the option (``--status: ...``)."""
    try:
        return ExportOptions.model_validate(values)
    except pydantic.ValidationError as error:
        problems = []
        for item in error.errors():
            name = "--" + ".".join(str(p) for p in item["loc"][:1])
            problems.append(f"{name}: {item['msg'].removeprefix('Value error, ')}")
        raise ExportError("; ".join(problems)) from None


def export_formats() -> list[str]:
    return sorted(WRITERS)


def parse_split(text: str | None) -> tuple[float, ...] | None:
    """``"0.8,0.2"`` as fractions; a one-line ``ExportError`` when it is not numbers."""
    if text is None or not text.strip():
        return None
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ExportError(f"--split {text!r}: expected fractions such as 0.8,0.2") from None


def default_output(project_path: Path, format: str, split: tuple[float, ...] | None) -> Path:
    """``exports/<project-stem>-<format>``, with the format's file ending for one file."""
    stem = Path(project_path).name.split(".")[0] or "project"
    entry = WRITERS.get(format)
    suffix = entry.suffix if entry else ""
    one_file = suffix and split is None and format not in DEFAULT_SPLITS
    return EXPORTS_FOLDER / f"{stem}-{format}{suffix if one_file else ''}"


def split_documents(
    doc_ids: Sequence[int], fractions: tuple[float, ...], seed: int
) -> dict[str, list[int]]:
    """Shuffle ids with ``seed`` and cut them by the fractions; each part in id order.

    The same ids, fractions and seed always give the same parts.
    """
    shuffled = sorted(doc_ids)
    random.Random(seed).shuffle(shuffled)
    parts: dict[str, list[int]] = {}
    cumulative = 0.0
    start = 0
    for name, fraction in zip(PART_NAMES[len(fractions)], fractions, strict=True):
        cumulative += fraction
        end = (
            len(shuffled)
            if name == PART_NAMES[len(fractions)][-1]
            else round(cumulative * len(shuffled))
        )
        parts[name] = sorted(shuffled[start:end])
        start = end
    return parts


def _selected_statuses(spans: SpanSelection, format: str) -> tuple[str, ...]:
    if spans == "accepted":
        return ("accepted",)
    if format in LOSSLESS_FORMATS:
        return ("accepted", "suggested", "rejected")
    return ("accepted", "suggested")


def export_document(
    project: Project, doc_id: int, statuses: tuple[str, ...], report: ExportReport
) -> ExportDocument:
    """A document with its selected spans, the relations between selected spans, the pending
    suggestions the selection left out, and the order of the person's decisions on spans."""
    return next(export_documents(project, [doc_id], statuses, report))


def export_documents(
    project: Project,
    doc_ids: Sequence[int],
    statuses: tuple[str, ...],
    report: ExportReport,
    tokens: bool = True,
    decisions: bool = True,
    span_fields: SpanFields = "all",
) -> Iterator[ExportDocument]:
    """``export_document`` for each of ``doc_ids``, streamed from the project's rows a chunk of
    documents at a time (``Project.export_rows``), as records rather than models.
    ``decisions=False`` skips the edit log (``decided`` stays empty) for writers without use
    for it. ``span_fields="essentials"`` gives the spans as ``SpanEssentials`` (no origin,
    ``edited``, ``aligned`` or ``status_reason``), ``"places"`` as ``SpanPlace``s (no status
    or score either); either reads only the selected spans and relations, and leaves the
    pending suggestions out (``statuses_selected``), for writers that read none."""
    selected = frozenset(statuses)
    pending = frozenset() if "suggested" in statuses else frozenset({"suggested"})
    only_selected = span_fields != "all"
    # records made from rows, and fields taken, by C loops (map), not a Python loop per span
    span_record = partial(tuple.__new__, _SPAN_RECORDS[span_fields])
    relation_record = partial(tuple.__new__, RelationRecord)
    for row, offsets, span_rows, relation_rows, log in project.export_rows(
        doc_ids, tokens, decisions, span_fields, statuses if only_selected else None
    ):
        spans = list(map(span_record, span_rows))
        if only_selected or selected.issuperset(map(_STATUS, spans)):  # most: all are kept
            chosen, pending_spans = spans, []
        else:
            chosen = [span for span in spans if span.status in selected]
            pending_spans = [span for span in spans if span.status in pending]
        relations = list(map(relation_record, relation_rows))
        candidates = relations  # the relations of a selected status
        if relations and not only_selected:
            candidates = [relation for relation in relations if relation.status in selected]
        kept = candidates
        if candidates:
            span_ids = set(map(_ID, chosen))
            if not (
                span_ids.issuperset(map(_HEAD, candidates))
                and span_ids.issuperset(map(_CHILD, candidates))
            ):
                kept = _relations_with_spans(row[0], candidates, span_ids, report)
        yield ExportDocument(
            document=DocumentRecord(row, offsets),
            spans=chosen,
            relations=kept,
            pending_spans=pending_spans,
            pending_relations=[r for r in relations if r.status in pending] if pending else [],
            decided=_decision_order(log) if log else {},
            spans_sorted=True,  # export_rows reads them by start, end, label
            statuses_selected=only_selected,
        )


def _relations_with_spans(
    doc_id: int, relations: list[RelationRecord], span_ids: set[str], report: ExportReport
) -> list[RelationRecord]:
    """The relations whose two spans are exported; each other one named in the report."""
    kept = []
    for relation in relations:
        if relation.head in span_ids and relation.child in span_ids:
            kept.append(relation)
        else:
            report.count("relations_without_spans")
            report.warnings.append(
                f"document {doc_id}: relation {relation.label} left out because one "
                "of its spans is not exported (its status was not selected)"
            )
    return kept


_SPAN_RECORDS = {"all": SpanRecord, "essentials": SpanEssentials, "places": SpanPlace}


_SPAN_EDITS = frozenset({"add_span", "update_span", "group"})


def decision_order(project: Project, doc_id: int) -> dict[str, int]:
    """Span id -> the edit log id of the last edit a person made to it (add, accept, relabel,
    resize): a later decision has a higher number. Imported spans have none."""
    return _decision_order(project.edit_log(doc_id))


def _decision_order(log: list[dict[str, Any]]) -> dict[str, int]:
    order: dict[str, int] = {}

    def visit(edit: Edit, at: int) -> None:
        if isinstance(edit, EditGroup):
            for part in edit.edits:
                visit(part, at)
        elif isinstance(edit, AddSpan):
            order[edit.span.id] = at
        elif isinstance(edit, UpdateSpan):
            order[edit.after.id] = at

    for entry in log:
        if entry["kind"] in _SPAN_EDITS:
            visit(edit_from_json(entry["payload"]), entry["id"])
    return order


def export_project(
    project: Project,
    format: str,
    output: Path,
    status: StatusSelection = "done",
    spans: SpanSelection = "accepted",
    split: tuple[float, ...] | None = None,
    seed: int = 0,
    misaligned: MisalignedPolicy = "expand",
    force: bool = False,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ExportReport:
    """Write the selected documents of ``project`` as ``format`` to ``output``.

    ``status="done"`` exports finished documents, ``"all"`` every one. ``spans="accepted"``
    exports accepted annotations, ``"all"`` pending suggestions too; rejected annotations are
    never exported, except by the lossless ``annotator`` format with ``spans="all"``, which
    keeps them with their status; ``spacy`` never writes a suggestion as a label, and writes the
    tokens nobody judged as missing (see ``annotator.io.docbin_writer``). ``split`` cuts the
    documents into train/dev(/test) with ``seed``; ``spacy`` is split 0.8/0.2 unless told.
    ``misaligned`` says what happens to a span off token boundaries (each is named in the
    report). ``force`` replaces an existing file that no export of ours wrote (never the
    project, an SQLite file or a folder's files).
    """
    options = export_options(
        format=format,
        output=output,
        status=status,
        spans=spans,
        split=split,
        seed=seed,
        misaligned=misaligned,
        force=force,
    )
    entry = WRITERS[options.format]
    output = Path(options.output)
    folder = options.effective_split is not None or not entry.suffix
    try:
        with prepared_output(output, folder, project.path, options.force) as target:
            with project.snapshot(), collector_paused():
                report = _write_export(project, options, target.staged, progress, cancel)
            report.warnings.extend(target.notes)
            staged_files = list(report.files)
            report.rename_files(
                dict(zip(staged_files, target.commit(staged_files, report), strict=True))
            )
    except OSError as error:
        raise ExportError(
            f"{output}: cannot write the export ({error.strerror or error})"
        ) from None
    _log_export(project, options, report)
    return report


def _write_export(
    project: Project,
    options: ExportOptions,
    staged: Path,
    progress: Progress | None,
    cancel: Callable[[], bool] | None,
) -> ExportReport:
    """Write the selected documents, each part, to ``staged``."""
    doc_ids = project.document_ids(None if options.status == "all" else "done")
    if not doc_ids:
        total = project.count_documents()
        raise ExportError(
            f"{project.path}: nothing to export: no document is done ({total} in the project); "
            "mark documents done or pass --status all"
        )
    fractions = options.effective_split
    parts: dict[str | None, list[int]] = (
        {None: doc_ids}
        if fractions is None
        else dict(split_documents(doc_ids, fractions, options.seed))
    )
    report = ExportReport()
    statuses = _selected_statuses(options.spans, options.format)
    entry = WRITERS[options.format]
    if entry.tokens:  # made on first need: an import leaves them for later
        ensure_tokens(project, doc_ids, cancel=cancel)
    written = 0

    def stream(ids: list[int]) -> Iterator[ExportDocument]:
        nonlocal written
        for document in export_documents(
            project,
            ids,
            statuses,
            report,
            entry.tokens,
            entry.decisions,
            span_fields=entry.spans,
        ):
            if cancel is not None and cancel():
                raise Cancelled("export cancelled; nothing was written")
            yield document
            written += 1
            report.documents += 1
            if progress is not None:
                progress(written, len(doc_ids))

    for part, ids in parts.items():
        if part is not None:
            report.counts[f"documents_{part}"] = len(ids)
            if not ids:
                report.warnings.append(
                    f"the {part} part is empty ({len(doc_ids)} documents split "
                    f"{','.join(f'{f:g}' for f in fractions or ())})"
                )
        entry.write(
            stream(ids),
            staged,
            part=part,
            schema=project.schema,
            settings=project.settings,
            spans_key=project.settings.spans_key,
            misaligned=options.misaligned,
            report=report,
        )
    return report


def _log_export(project: Project, options: ExportOptions, report: ExportReport) -> None:
    if project.read_only:
        report.warnings.append(
            f"{project.path} was opened read-only (asked, open in another window, or not "
            "writable), so this export is not in its edit log"
        )
        return
    payload: dict[str, Any] = {
        **options.model_dump(mode="json"),
        "documents": report.documents,
        "spans": report.spans,
        "relations": report.relations,
        "files": report.files,
        "counts": report.counts,
        "summaries": {file: asdict(summary) for file, summary in report.summaries.items()},
        "warnings": len(report.warnings),
    }
    project.log_event(
        "export",
        f"exported {report.documents} documents as {options.format} to {options.output}",
        payload,
    )


def export_project_file(path: Path, read_only: bool = False, **options: Any) -> ExportReport:
    """Open the project file and export it; read-only when asked, when another process has it
    open, or when this user may not write it (the export is then not in its edit log)."""
    try:
        project = Project.open(path, read_only=read_only)
    except (ProjectLockedError, ProjectNotWritableError):
        project = Project.open(path, read_only=True)
    with project:
        return export_project(project, **options)


__all__ = [
    "ExportOptions",
    "default_output",
    "export_formats",
    "export_project",
    "export_project_file",
    "parse_split",
    "split_documents",
]
