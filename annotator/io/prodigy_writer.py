"""The ``prodigy`` export: one Prodigy task per line, as ``ner.manual`` / ``rel.manual`` write.

``tokens`` are the document's stored tokens (whitespace tokens added where a gap is not one
space, as spaCy does); ``spans`` have an inclusive ``token_end``; a relation's ``head`` and
``child`` are the index of the LAST token of each span, with ``head_span`` / ``child_span``.
``answer`` is ``accept`` for a finished document and ``ignore`` for a skipped one (no answer
otherwise: the task is still to do). ``_input_hash`` / ``_task_hash`` kept from an import are
written back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan

from annotator.io.alignment import DocBuilder, MisalignedPolicy, align_spans, relations_kept
from annotator.io.records import ExportDocument, ExportReport
from annotator.io.registry import part_path, register_writer
from annotator.model import ProjectSettings

HASH_KEYS: tuple[str, ...] = ("_input_hash", "_task_hash")
ANSWERS: dict[str, str] = {"done": "accept", "skipped": "ignore"}


def prodigy_tokens(doc: Doc) -> list[dict[str, Any]]:
    return [
        {
            "text": token.text,
            "start": token.idx,
            "end": token.idx + len(token),
            "id": token.i,
            "ws": bool(token.whitespace_),
        }
        for token in doc
    ]


def prodigy_span(span: SpacySpan) -> dict[str, Any]:
    return {
        "text": span.text,
        "start": span.start_char,
        "end": span.end_char,
        "token_start": span.start,
        "token_end": span.end - 1,
        "label": span.label_,
    }


def to_prodigy_task(
    builder: DocBuilder, item: ExportDocument, misaligned: MisalignedPolicy, report: ExportReport
) -> dict[str, Any]:
    """One document as a Prodigy task; misaligned spans follow the policy (named in report)."""
    document = item.document
    doc = builder.make(document)
    aligned = align_spans(doc, document, item.spans, misaligned, report)
    spans = [prodigy_span(span) for _, span in aligned.kept(item.spans)]
    relations = [
        {
            "head": head.end - 1,
            "child": child.end - 1,
            "head_span": prodigy_span(head),
            "child_span": prodigy_span(child),
            "label": relation.label,
        }
        for relation, head, child in relations_kept(document, item.relations, aligned, report)
    ]
    meta = {key: value for key, value in document.meta.items() if key not in HASH_KEYS}
    task: dict[str, Any] = {
        "text": document.text,
        "tokens": prodigy_tokens(doc),
        "spans": spans,
        "relations": relations,
        "meta": meta,
    }
    for key in HASH_KEYS:
        if key in document.meta:
            task[key] = document.meta[key]
    if document.status in ANSWERS:
        task["answer"] = ANSWERS[document.status]
    report.spans += len(spans)
    report.relations += len(relations)
    return task


@register_writer("prodigy", suffix=".jsonl", description="Prodigy JSONL tasks (spans, relations)")
def write_prodigy(
    documents: Iterable[ExportDocument],
    output: Path,
    *,
    part: str | None,
    settings: ProjectSettings,
    misaligned: MisalignedPolicy,
    report: ExportReport,
    **_: Any,
) -> ExportReport:
    """Write Prodigy JSONL (input for ``ner.correct``/``rel.manual``, or ``db-in``)."""
    builder = DocBuilder(settings.lang)
    target = part_path(output, part, ".jsonl")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="\n") as handle:
        for item in documents:
            task = to_prodigy_task(builder, item, misaligned, report)
            handle.write(json.dumps(task, ensure_ascii=False) + "\n")
    report.files.append(str(target))
    return report
