"""``annotator``: our own lossless JSONL, one document per line, versioned on every line.

    {"format": "annotator/1", "text": ..., "status": "done", "meta": {...},
     "tokens": [[0, 4], [5, 10], ...],
     "spans": [{"start", "end", "label", "status", "origin", "score", "edited"}, ...],
     "relations": [{"head": 0, "child": 1, "label", "status", "origin", "score"}, ...]}

A relation's ``head`` / ``child`` are indexes into the line's ``spans``. Spans are sorted by
every field and relations by what they point at, so that exporting, importing into a new
project and exporting again gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from annotator.errors import FormatError
from annotator.io.jsonl import json_lines
from annotator.io.records import (
    DocumentRecord,
    ExportDocument,
    ExportReport,
    ImportedRelation,
    ImportedSpan,
    ImportRecord,
    RelationRecord,
    SpanRecord,
)
from annotator.io.registry import WRITE_BUFFER, part_path, register_reader, register_writer
from annotator.model import Relation, Span
from annotator.model.document import DOCUMENT_STATUSES, offsets_json
from annotator.model.span import ANNOTATION_STATUSES

FORMAT = "annotator/1"
FORMAT_PREFIX = "annotator/"


def _span_order(span: Span | SpanRecord) -> tuple[Any, ...]:
    score = (span.score is not None, span.score or 0.0)
    return (span.start, span.end, span.label, span.status, span.origin, score, span.edited)


def to_line(item: ExportDocument) -> dict[str, Any]:
    """One document with every annotation it was exported with, as a JSON-ready dict."""
    document = item.document
    return {
        "format": FORMAT,
        "text": document.text,
        "status": document.status,
        "meta": document.meta,
        "tokens": [list(token) for token in document.tokens],
        **_annotations(item),
    }


def _annotations(item: ExportDocument) -> dict[str, Any]:
    """The ``spans`` and ``relations`` of a line."""
    spans = sorted(item.spans, key=_span_order)
    index = {span.id: number for number, span in enumerate(spans)}
    relations = sorted(
        (r for r in item.relations if r.head in index and r.child in index),
        key=lambda r: (index[r.head], index[r.child], r.label, r.status, r.origin),
    )
    return {
        "spans": [
            {
                "start": span.start,
                "end": span.end,
                "label": span.label,
                "status": span.status,
                "origin": span.origin,
                "score": span.score,
                "edited": bool(span.edited),
            }
            for span in spans
        ],
        "relations": [_relation_line(r, index) for r in relations],
    }


def _line_json(item: ExportDocument) -> tuple[str, dict[str, Any]]:
    """``to_line`` as compact JSON, and its annotations. The tokens are written from the
    stored offsets when the store gives them (``offsets_json``: a document's pairs formatted by
    one ``%``, or the JSON text an earlier version stored, already these bytes): 800 tokens are
    most of a line's encoding."""
    document = item.document
    stored = document.offsets if isinstance(document, DocumentRecord) else None
    if stored and not isinstance(stored, str):
        try:
            stored = offsets_json(stored)
        except ValueError:  # not whole pairs (a crafted file): as the tokens' reader says
            stored = None
    if not stored or " " in stored:
        line = to_line(item)
        return _dumps(line), line
    head = {
        "format": FORMAT,
        "text": document.text,
        "status": document.status,
        "meta": document.meta,
    }
    annotations = _annotations(item)
    return f'{_dumps(head)[:-1]},"tokens":{stored},{_dumps(annotations)[1:]}', annotations


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _relation_line(relation: Relation | RelationRecord, index: dict[str, int]) -> dict[str, Any]:
    return {
        "head": index[relation.head],
        "child": index[relation.child],
        "label": relation.label,
        "status": relation.status,
        "origin": relation.origin,
        "score": relation.score,
    }


@register_writer(
    "annotator", suffix=".jsonl", description="annotator JSONL (lossless)", joinable=True
)
def write_annotator_jsonl(
    documents: Iterable[ExportDocument],
    output: Path,
    *,
    part: str | None,
    report: ExportReport,
    **_: Any,
) -> ExportReport:
    """Write our own JSONL: every selected span and relation with its status and provenance."""
    target = part_path(output, part, ".jsonl")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="\n", buffering=WRITE_BUFFER) as handle:
        for item in documents:
            line, annotations = _line_json(item)
            handle.write(line + "\n")
            report.spans += len(annotations["spans"])
            report.relations += len(annotations["relations"])
    report.files.append(str(target))
    return report


# -- reading ----------------------------------------------------------------------------------


def sniff_annotator_jsonl(path: Path, head: bytes) -> bool:
    """The first line is a JSON object whose ``format`` starts with ``annotator/``."""
    if path.is_dir():
        return False
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].strip()
    return first.startswith(b"{") and b'"format":"annotator/' in first.replace(b" ", b"")


def _require(condition: bool, path: Path, line: int, reason: str) -> None:
    if not condition:
        raise FormatError(path, line, reason)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def from_line(data: Any, path: Path, line: int) -> ImportRecord:
    """Check one parsed line and turn it into an ``ImportRecord`` (span keys: their index)."""
    _require(isinstance(data, dict), path, line, "expected a JSON object")
    version = data.get("format")
    _require(
        isinstance(version, str) and version.startswith(FORMAT_PREFIX),
        path,
        line,
        f'missing "format": "{FORMAT}"',
    )
    _require(
        version == FORMAT,
        path,
        line,
        f"written in {version}, which this version of annotator cannot read (it reads {FORMAT})",
    )
    text = data.get("text")
    _require(isinstance(text, str), path, line, '"text" must be a string')
    status = data.get("status", "new")
    _require(status in DOCUMENT_STATUSES, path, line, f"unknown document status {status!r}")
    meta = data.get("meta", {})
    _require(isinstance(meta, dict), path, line, '"meta" must be an object')
    tokens = _tokens(data.get("tokens"), len(text), path, line)
    spans = [
        _span(number, s, len(text), path, line)
        for number, s in enumerate(_list(data, "spans", path, line))
    ]
    relations = [_relation(r, len(spans), path, line) for r in _list(data, "relations", path, line)]
    return ImportRecord(
        text=text,
        where=line,
        meta=meta,
        tokens=tokens,
        spans=spans,
        relations=relations,
        status=status,
    )


def _list(data: dict[str, Any], key: str, path: Path, line: int) -> list[Any]:
    value = data.get(key, [])
    _require(isinstance(value, list), path, line, f'"{key}" must be a list')
    return value


def _tokens(value: Any, length: int, path: Path, line: int) -> tuple[tuple[int, int], ...] | None:
    if value is None:
        return None
    _require(isinstance(value, list), path, line, '"tokens" must be a list of [start, end]')
    tokens = []
    previous_end = 0
    for number, token in enumerate(value):
        ok = (
            isinstance(token, list)
            and len(token) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in token)
        )
        _require(ok, path, line, f"token {number} must be [start, end]")
        start, end = token
        _require(
            previous_end <= start < end <= length,
            path,
            line,
            f"token {number} [{start}, {end}) is outside the text, empty or out of order",
        )
        tokens.append((start, end))
        previous_end = end
    return tuple(tokens)


def _span(number: int, value: Any, length: int, path: Path, line: int) -> ImportedSpan:
    where = f"span {number}"
    _require(isinstance(value, dict), path, line, f"{where} must be an object")
    start, end, label = value.get("start"), value.get("end"), value.get("label")
    offsets_ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end))
    _require(offsets_ok, path, line, f"{where}: start and end must be integers")
    _require(
        0 <= start < end <= length,
        path,
        line,
        f"{where} [{start}, {end}) is outside the text ({length} characters) or empty",
    )
    _require(isinstance(label, str) and label, path, line, f"{where}: label must be a string")
    status = value.get("status", "accepted")
    _require(status in ANNOTATION_STATUSES, path, line, f"{where}: unknown status {status!r}")
    score = value.get("score")
    _require(score is None or _number(score), path, line, f"{where}: score must be a number")
    origin = value.get("origin")
    _require(
        origin is None or (isinstance(origin, str) and origin),
        path,
        line,
        f"{where}: origin must be a string",
    )
    edited = value.get("edited", False)
    _require(isinstance(edited, bool), path, line, f"{where}: edited must be true or false")
    return ImportedSpan(
        start=start,
        end=end,
        label=label,
        status=status,
        score=score,
        origin=origin,
        key=str(number),
        edited=edited,
    )


def _relation(value: Any, span_count: int, path: Path, line: int) -> ImportedRelation:
    _require(isinstance(value, dict), path, line, "a relation must be an object")
    head, child, label = value.get("head"), value.get("child"), value.get("label")
    for role, index in (("head", head), ("child", child)):
        _require(
            isinstance(index, int) and not isinstance(index, bool) and 0 <= index < span_count,
            path,
            line,
            f"relation {role} {index!r} is not the index of one of the line's spans",
        )
    _require(head != child, path, line, "a relation needs two different spans")
    _require(isinstance(label, str) and label, path, line, "relation label must be a string")
    status = value.get("status", "accepted")
    _require(status in ANNOTATION_STATUSES, path, line, f"unknown relation status {status!r}")
    score = value.get("score")
    _require(score is None or _number(score), path, line, "relation score must be a number")
    origin = value.get("origin")
    _require(
        origin is None or (isinstance(origin, str) and origin),
        path,
        line,
        "relation origin must be a string",
    )
    return ImportedRelation(
        head=str(head), child=str(child), label=label, status=status, score=score, origin=origin
    )


@register_reader(
    "annotator", sniff=sniff_annotator_jsonl, priority=50, description="annotator JSONL"
)
def read_annotator_jsonl(path: Path, **_: Any) -> Iterator[ImportRecord]:
    """Read our own JSONL back, with statuses, origins, scores and tokens as they were."""
    for number, data in json_lines(path):
        yield from_line(data, path, number)
