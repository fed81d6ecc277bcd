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

from annotator.io.alignment import (
    DocBuilder,
    MisalignedPolicy,
    PlainTokens,
    align_plain,
    align_spans,
    relations_kept,
)
from annotator.io.jsonl import HASH_KEYS, KEPT, relation_key, span_key
from annotator.io.records import ExportDocument, ExportReport, FileSummary
from annotator.io.registry import WRITE_BUFFER, part_path, register_writer
from annotator.model import Document, ProjectSettings, Span

_TOKEN_COLUMNS = [IDX, LENGTH, SPACY]
ANSWERS: dict[str, str] = {"done": "accept", "skipped": "ignore"}
UNANSWERED_NOTE = (
    "a document not done is a task without an answer, still to do: Prodigy, and annotator "
    "import, read its spans as suggestions to review, not as decisions"
)
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


def _described(
    text: str, start: int, end: int, first: int, last: int, label: str, with_text: bool = True
) -> dict[str, Any]:
    """A span of characters ``start:end`` and tokens ``first:last`` as Prodigy writes it."""
    described = {"text": text[start:end]} if with_text else {}
    described.update(start=start, end=end, token_start=first, token_end=last - 1, label=label)
    return described


_TOKEN = '{{"text": "{}", "start": {}, "end": {}, "id": {}, "ws": {}}}'.format


def plain_tokens_json(tokens: PlainTokens) -> str | None:
    """``json.dumps(prodigy_tokens(doc))`` for a document's ``PlainTokens``, by a template
    (tokens are most of a task); None when a token's text would need escaping."""
    text = tokens.text
    if '"' in text or "\\" in text:  # printable, so these are the only characters to escape
        return None
    starts = tokens.starts.tolist()
    ends = tokens.ends.tolist()
    words = [text[start:end] for start, end in zip(starts, ends, strict=True)]
    ws = ["true" if space else "false" for space in tokens.spaces.tolist()]
    return "[" + ", ".join(map(_TOKEN, words, starts, ends, range(len(words)), ws)) + "]"


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
    doc = builder.make(document)  # type: ignore[arg-type]
    aligned = align_spans(doc, document, item.spans, misaligned, report)
    described = {
        span_id: (s.start_char, s.end_char, s.start, s.end)
        for span_id, s in aligned.by_id.items()
        if s is not None
    }
    task = _task(item, described, report)
    tokens = prodigy_tokens(doc, document.text)
    _with_token_extras(tokens, _kept(document))
    return {"text": task.pop("text"), "tokens": tokens, **task}


def _task_json(
    item: ExportDocument,
    settings: ProjectSettings,
    misaligned: MisalignedPolicy,
    report: ExportReport,
) -> str | None:
    """``to_prodigy_task`` as JSON for a document with ``PlainTokens`` and no kept token
    keys, without a Doc; None for any other document."""
    tokens = PlainTokens.of(item.document)
    if tokens is None or "token_extras" in _kept(item.document):
        return None
    tokens_json = plain_tokens_json(tokens)
    if tokens_json is None:
        return None
    aligned = align_plain(tokens, item.document, item.spans, misaligned, report)
    described = {
        span_id: (*tokens.offsets(*ends), *ends)
        for span_id, ends in aligned.items()
        if ends is not None
    }
    task = _sign(_task(item, described, report), settings)
    text = _dumps({"text": task.pop("text")})
    return f'{text[:-1]}, "tokens": {tokens_json}, {_dumps(task)[1:]}'


def _task(
    item: ExportDocument,
    described: dict[str, tuple[int, int, int, int]],
    report: ExportReport,
) -> dict[str, Any]:
    """The task without its tokens (``text`` first, then the other keys in order);
    ``described``: span id -> (start, end, first token, one past the last) as aligned."""
    document = item.document
    text = document.text
    kept = _kept(document)
    span_extras = kept.get("span_extras") if isinstance(kept.get("span_extras"), dict) else {}
    relation_extras = kept.get("relation_extras")
    relation_extras = relation_extras if isinstance(relation_extras, dict) else {}
    spans = []
    for span in item.spans:
        if (where := described.get(span.id)) is not None:
            spans.append(_described(text, *where, span.label))
            spans[-1].update(span_extras.get(_span_key(span), {}))
    by_id = {span.id: span for span in item.spans}
    relations = []
    for relation, head, child in relations_kept(document, item.relations, described, report):
        head_span, child_span = by_id[relation.head], by_id[relation.child]
        relation_json = {
            "head": head[3] - 1,
            "child": child[3] - 1,
            "head_span": _described(text, *head, head_span.label, with_text=False),
            "child_span": _described(text, *child, child_span.label, with_text=False),
            "label": relation.label,
        }
        key = relation_key(_span_key(head_span), _span_key(child_span), relation.label)
        relation_json.update(relation_extras.get(key, {}))
        relations.append(relation_json)
    meta = {k: v for k, v in document.meta.items() if k not in HASH_KEYS and k != KEPT}
    task: dict[str, Any] = {
        "text": document.text,
        "spans": spans,
        "relations": relations,
        "meta": meta,
    }
    for key in HASH_KEYS:
        if key in document.meta:
            task[key] = document.meta[key]
    for key, value in kept.items():
        if key not in _KEPT_DETAILS and key not in task and key != "answer" and key != "tokens":
            task[key] = value
    if document.status in ANSWERS:
        task["answer"] = ANSWERS[document.status]
    report.spans += len(spans)
    report.relations += len(relations)
    return task


def _dumps(task: dict[str, Any]) -> str:
    return json.dumps(task, ensure_ascii=False)


@register_writer(
    "prodigy", suffix=".jsonl", description="Prodigy JSONL tasks (spans, relations)", joinable=True
)
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
    summary = FileSummary(has_missing=False)  # an accepted task's other tokens are not entities
    with target.open("w", encoding="utf-8", newline="\n", buffering=WRITE_BUFFER) as handle:
        for item in documents:
            line = _task_json(item, settings, misaligned, report)
            if line is None:
                task = _sign(to_prodigy_task(builder, item, misaligned, report), settings)
                line = _dumps(task)
            handle.write(line + "\n")
            _summarise(item, summary, report)
            if item.document.status not in ANSWERS:
                summary.note = UNANSWERED_NOTE
    report.files.append(str(target))
    report.summaries[str(target)] = summary
    return report


def _sign(task: dict[str, Any], settings: ProjectSettings) -> dict[str, Any]:
    """Who made it, as Prodigy's named sessions record it."""
    if settings.annotator:
        task.setdefault("_annotator_id", settings.annotator)
        task.setdefault("_session_id", settings.annotator)
    return task


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
