"""The ``prodigy`` export: one Prodigy task per line, as ``ner.manual`` / ``rel.manual`` write.

``tokens`` are the document's stored tokens (whitespace tokens added where a gap is not one
space, as spaCy does); ``spans`` have an inclusive ``token_end``; a relation's ``head`` and
``child`` are the index of the LAST token of each span, with ``head_span`` / ``child_span``.
``answer`` is ``accept`` for a finished document and ``ignore`` for a skipped one (no answer
otherwise: the task is still to do). What the Prodigy reader kept from an imported task is
written back: ``_input_hash`` / ``_task_hash``, the task's other keys (``_view_id``, ...) and
the extra keys of its tokens, spans and relations (``disabled``, ``color``, ...), so that an
imported file comes back as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from spacy.attrs import IDX, LENGTH, SPACY
from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan

from annotator.io.alignment import DocBuilder, MisalignedPolicy, align_spans, relations_kept
from annotator.io.jsonl import HASH_KEYS, KEPT, relation_key, span_key
from annotator.io.records import ExportDocument, ExportReport, FileSummary
from annotator.io.registry import part_path, register_writer
from annotator.model import Document, ProjectSettings, Span

_TOKEN_COLUMNS = [IDX, LENGTH, SPACY]
ANSWERS: dict[str, str] = {"done": "accept", "skipped": "ignore"}
_KEPT_DETAILS = frozenset({"token_keys", "token_extras", "span_extras", "relation_extras"})


def prodigy_tokens(doc: Doc, text: str | None = None) -> list[dict[str, Any]]:
    """Each token as ``{text, start, end, id, ws}``, from the Doc's arrays (no ``Token``
    object per token). ``text`` is ``doc.text`` when the caller has it (spaCy joins it anew
    from every token on each call)."""
    text = doc.text if text is None else text
    return [
        {
            "text": text[start : start + length],
            "start": start,
            "end": start + length,
            "id": i,
            "ws": bool(space),
        }
        for i, (start, length, space) in enumerate(doc.to_array(_TOKEN_COLUMNS).tolist())
    ]


def prodigy_span(span: SpacySpan, with_text: bool = True) -> dict[str, Any]:
    """A span as Prodigy writes it; ``head_span`` / ``child_span`` have no ``text``."""
    described = {"text": span.text} if with_text else {}
    described.update(
        start=span.start_char,
        end=span.end_char,
        token_start=span.start,
        token_end=span.end - 1,
        label=span.label_,
    )
    return described


def _span_key(span: Span) -> str:
    return span_key(span.start, span.end, span.label)


def _kept(document: Document) -> dict[str, Any]:
    kept = document.meta.get(KEPT)
    return kept if isinstance(kept, dict) else {}


def _with_token_extras(tokens: list[dict[str, Any]], kept: dict[str, Any]) -> None:
    """Give back per-token keys (e.g. ``disabled``) when the tokens are still the same."""
    extras = kept.get("token_extras")
    if not isinstance(extras, dict):
        return
    for key, values in extras.items():
        if isinstance(values, list) and len(values) == len(tokens):
            for token, value in zip(tokens, values, strict=True):
                token[key] = value


def to_prodigy_task(
    builder: DocBuilder, item: ExportDocument, misaligned: MisalignedPolicy, report: ExportReport
) -> dict[str, Any]:
    """One document as a Prodigy task; misaligned spans follow the policy (named in report)."""
    document = item.document
    kept = _kept(document)
    span_extras = kept.get("span_extras") if isinstance(kept.get("span_extras"), dict) else {}
    relation_extras = kept.get("relation_extras")
    relation_extras = relation_extras if isinstance(relation_extras, dict) else {}
    doc = builder.make(document)
    aligned = align_spans(doc, document, item.spans, misaligned, report)
    spans = []
    for span, spacy_span in aligned.kept(item.spans):
        described = prodigy_span(spacy_span)
        described.update(span_extras.get(_span_key(span), {}))
        spans.append(described)
    by_id = {span.id: span for span in item.spans}
    relations = []
    for relation, head, child in relations_kept(document, item.relations, aligned, report):
        described = {
            "head": head.end - 1,
            "child": child.end - 1,
            "head_span": prodigy_span(head, with_text=False),
            "child_span": prodigy_span(child, with_text=False),
            "label": relation.label,
        }
        key = relation_key(
            _span_key(by_id[relation.head]), _span_key(by_id[relation.child]), relation.label
        )
        described.update(relation_extras.get(key, {}))
        relations.append(described)
    tokens = prodigy_tokens(doc, document.text)
    _with_token_extras(tokens, kept)
    meta = {k: v for k, v in document.meta.items() if k not in HASH_KEYS and k != KEPT}
    task: dict[str, Any] = {
        "text": document.text,
        "tokens": tokens,
        "spans": spans,
        "relations": relations,
        "meta": meta,
    }
    for key in HASH_KEYS:
        if key in document.meta:
            task[key] = document.meta[key]
    for key, value in kept.items():
        if key not in _KEPT_DETAILS and key not in task and key != "answer":
            task[key] = value
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
    summary = FileSummary()
    with target.open("w", encoding="utf-8", newline="\n") as handle:
        for item in documents:
            task = to_prodigy_task(builder, item, misaligned, report)
            if settings.annotator:  # who made it, as Prodigy's named sessions record it
                task.setdefault("_annotator_id", settings.annotator)
                task.setdefault("_session_id", settings.annotator)
            handle.write(json.dumps(task, ensure_ascii=False) + "\n")
            _summarise(item, summary, report)
    report.files.append(str(target))
    report.summaries[str(target)] = summary
    return report


def _summarise(item: ExportDocument, summary: FileSummary, report: ExportReport) -> None:
    """Count the document; name an accepted task that leaves pending suggestions out.

    Prodigy has no "missing" tokens: in an accepted task, a token outside its spans is read
    as not an entity, so such a task turns those suggestions into negatives.
    """
    document = item.document
    left_out = len(item.pending_spans) + len(item.pending_relations)
    summary.documents += 1
    summary.done += document.status == "done"
    summary.pending_left_out += left_out
    if left_out and document.status == "done":
        report.count("accepted_with_pending_suggestions")
        report.warnings.append(
            f"document {document.id}: done, but {left_out} pending suggestions are not in its "
            "task; Prodigy reads an accepted task's unlabelled tokens as not entities (judge "
            "them first)"
        )
