"""doccano: JSONL (sequence labelling, relation extraction, classification) in, JSONL out.

Reading rules (also in docs/exporting.md, "brat, doccano, CoNLL, Label Studio"):

- Sequence labelling ``{"text", "label": [[start, end, label], ...]}`` (also ``labels`` or
  doccano's example column names ``column_data`` / ``column_label``) gives spans.
- Relation extraction ``{"text", "entities": [{"id", "start_offset", "end_offset", "label"}],
  "relations": [{"from_id", "to_id", "type"}]}`` gives spans and relations.
- Intent detection ``{"text", "entities": [[start, end, label]], "cats": [...]}`` gives spans,
  and its categories go to ``meta["doccano"]["categories"]``.
- Text classification (JSON/JSONL ``label``/``labels`` lists of strings, CSV with a ``text`` and a
  ``label`` column, fastText ``__label__x text`` lines): the text, with its categories in
  ``meta["doccano"]["categories"]``.
- CRLF line ends, a UTF-8 byte-order mark, and a "JSONL" file that is one pretty-printed JSON
  object or list are read. The record's ``meta`` object becomes the document meta; other keys
  (``id``, ``Comments``...) are kept in ``meta["doccano"]``. A span listed twice is kept once
  (the count is in ``meta["doccano"]["duplicate_spans"]``).
- A record with an empty text is passed on empty (the importer counts and leaves it out).
- A record without text, a span outside its text or with offsets that are not integers
  (``true`` is not 1), an entity id that is not a number or a string, ``entities`` or
  ``relations`` that are not lists, or a relation to an unknown entity id stops the import with
  an error naming the file and line (or record). With the reader option
  ``invalid_spans="skip"``, a span outside its text (and its relations) is left out instead and
  kept in ``meta["doccano"]["skipped_entities"]`` / ``["skipped_relations"]``.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from itertools import chain
from operator import attrgetter, lt
from pathlib import Path
from typing import Any

from annotator.errors import ExportError, FormatError
from annotator.io import limits
from annotator.io.records import (
    ExportDocument,
    ExportReport,
    ImportedRelation,
    ImportedSpan,
    ImportRecord,
    SpanColumns,
    span_columns,
)
from annotator.io.registry import WRITE_BUFFER, part_path, register_reader, register_writer
from annotator.model import Span

TEXT_KEYS = ("text", "column_data", "data")
SPAN_KEYS = ("label", "labels", "column_label", "entities")
CATEGORY_KEYS = ("cats",)
_FASTTEXT_LABEL = re.compile(r"^__label__\S+$")
_KEY = re.compile(rb'"([A-Za-z_]+)"\s*:')


# --- sniffing -------------------------------------------------------------------------------


def _decode_head(head: bytes) -> str:
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            return head[: len(head) // 2 * 2].decode(encoding, errors="ignore")
    return head.decode("utf-8-sig", errors="ignore")


def first_json_keys(head: bytes) -> set[str] | None:
    """Top-level keys of the first JSON record in ``head``; None when it is not JSON.

    The first line is tried as a JSONL record, then the whole head as a pretty-printed object
    or list; when the head cuts a big file short, every quoted key seen is returned.
    """
    text = _decode_head(head).lstrip()
    if not text.startswith(("{", "[")):
        return None
    first_line = text.split("\n", 1)[0].strip()
    for candidate in (first_line, text):
        try:
            value = json.loads(candidate)
        except (ValueError, RecursionError):
            continue
        if isinstance(value, list):
            value = value[0] if value else None
        return set(value) if isinstance(value, dict) else None
    return {match.decode() for match in _KEY.findall(head)}


def sniff_doccano(path: Path, head: bytes) -> bool:
    """doccano JSON(L) by its keys, a doccano CSV by its header, or fastText label lines."""
    if path.is_dir():
        return False
    if path.suffix.lower() == ".csv":
        header = _decode_head(head).split("\n", 1)[0]
        columns = {c.strip().strip('"') for c in header.split(",")}
        return bool(columns & {"text", "column_data"}) and bool(columns & {"label", "column_label"})
    keys = first_json_keys(head)
    if keys is None:
        lines = [line for line in _decode_head(head).splitlines()[:20] if line.strip()]
        return bool(lines) and all(_FASTTEXT_LABEL.match(line.split()[0]) for line in lines[:1])
    foreign = {"tokens", "spans", "answer", "_input_hash", "annotations", "predictions"}
    return (
        bool(keys & set(TEXT_KEYS))
        and bool(keys & {*SPAN_KEYS, *CATEGORY_KEYS, "relations"})
        and not keys & foreign
        and not ("data" in keys and "text" not in keys)
    )


# --- reading --------------------------------------------------------------------------------


SKIPPED_ENTITIES_NOTE = (
    "invalid entities left out (--skip-invalid), with their relations; each is kept with its "
    "reason in the document's meta, doccano.skipped_entities"
)


@register_reader("doccano", sniff=sniff_doccano, priority=60, description="doccano JSONL")
def read_doccano(
    path: Path,
    text_key: str | None = None,
    invalid_spans: str = "refuse",
    **_options: Any,
) -> Iterator[ImportRecord]:
    """doccano JSONL / JSON / CSV / fastText exports and import files."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        records: Iterable[tuple[str | int, Any]] = _csv_records(path)
    else:
        records = _text_records(path)
    for where, value in records:
        yield _record(path, where, value, text_key, skip_invalid=invalid_spans == "skip")


def _read_text(path: Path) -> str:
    """The file's text: UTF-8 (BOM dropped) or UTF-16 with a BOM; CRLF read as LF."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FormatError(path, None, f"cannot read ({error.strerror})") from None
    encoding = "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    try:
        return data.decode(encoding).replace("\r\n", "\n")
    except UnicodeDecodeError as error:
        raise FormatError(path, None, f"not {encoding} (byte {error.start})") from None


def _text_records(path: Path) -> Iterator[tuple[str | int, Any]]:
    """Records of a JSONL, JSON or fastText file. A UTF-8 JSONL file is read a line at a time
    (memory stays flat however large it is); the others are read whole."""
    lines = _utf8_lines(path)
    first = next(((n, line) for n, line in lines if line.strip()), None)
    if first is None:
        return
    number, line = first
    words = line.split()
    if _FASTTEXT_LABEL.match(words[0]):
        yield from _fasttext_records(_read_text(path))
        return
    try:
        value = _jsonl_line(path, number, line)
    except FormatError:
        value = None
    if not isinstance(value, dict):  # a JSON list, a pretty-printed object, or an error
        yield from _json_records(path, _read_text(path))
        return
    yield number, value
    for number, line in lines:
        if line.strip():
            yield number, _jsonl_line(path, number, line)


def _jsonl_line(path: Path, number: int, line: str) -> Any:
    """One JSONL line, under the limits of every reader (length, depth, numbers, surrogates)."""
    if len(line) > limits.MAX_LINE_BYTES:
        raise FormatError(path, number, "the line is longer than one record may take")
    return limits.loads(line, path, number)


def _utf8_lines(path: Path) -> Iterator[tuple[int, str]]:
    """The numbered lines of a UTF-8 file (BOM dropped, CRLF read as LF), one at a time; a
    UTF-16 file is decoded whole."""
    try:
        handle = path.open("rb")
    except OSError as error:
        raise FormatError(path, None, f"cannot read ({error.strerror})") from None
    with handle:
        head = handle.read(2)
        handle.seek(0)
        if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            yield from enumerate(_read_text(path).split("\n"), start=1)
            return
        offset = 0
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                where = offset + error.start
                raise FormatError(path, None, f"not utf-8-sig (byte {where})") from None
            offset += len(raw)
            yield number, line[:-2] if line.endswith("\r\n") else line.removesuffix("\n")


def _json_records(path: Path, text: str) -> Iterator[tuple[str | int, Any]]:
    """Records of a JSONL file; of a pretty-printed JSON list or object when it is one."""
    if text.lstrip().startswith("["):
        yield from _whole_json(path, text)
        return
    first = True
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if len(line) > limits.MAX_LINE_BYTES:
            raise FormatError(path, number, "the line is longer than one record may take")
        try:
            value = limits.loads(line, path, number)
        except FormatError:
            if first and "\n" in text.strip():  # maybe one pretty-printed object
                yield from _whole_json(path, text)
                return
            raise
        first = False
        yield number, value


def _fasttext_records(text: str) -> Iterator[tuple[str | int, Any]]:
    """fastText classification lines: ``__label__a __label__b the text``."""
    for number, line in enumerate(text.split("\n"), start=1):
        words = line.split()
        if not words:
            continue
        labels = [w for w in words if _FASTTEXT_LABEL.match(w)]
        record: dict[str, Any] = {"text": " ".join(w for w in words if w not in labels)}
        if labels:
            record["label"] = [label.removeprefix("__label__") for label in labels]
        yield number, record


def _whole_json(path: Path, text: str) -> Iterator[tuple[str | int, Any]]:
    value = limits.loads(text, path, check=False)
    if isinstance(value, dict):
        limits.check_value(value, path, "record 1")
        yield "record 1", value
    elif isinstance(value, list):
        for index, item in enumerate(value, start=1):
            limits.check_value(item, path, f"record {index}")
            yield f"record {index}", item
    else:
        raise FormatError(path, 1, "expected JSON objects")


def _csv_records(path: Path) -> Iterator[tuple[str | int, Any]]:
    """doccano's classification CSV: a header naming ``text`` and ``label`` columns."""
    # a field may hold a whole text (the default limit is 128 KB)
    csv.field_size_limit(max(csv.field_size_limit(), limits.MAX_TEXT_CHARACTERS + 1))
    reader = csv.reader(io.StringIO(_read_text(path), newline=""))
    try:
        yield from _csv_rows(path, reader)
    except csv.Error as error:
        raise FormatError(path, reader.line_num, f"not a valid CSV file ({error})") from None


def _csv_rows(path: Path, reader: Any) -> Iterator[tuple[str | int, Any]]:
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return
    text_column = next((name for name in ("text", "column_data") if name in header), None)
    label_column = next((name for name in ("label", "column_label") if name in header), None)
    if text_column is None:
        raise FormatError(path, 1, f"no 'text' column in the header {header}")
    for row in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise FormatError(
                path, number, f"{len(row)} columns where the header has {len(header)}"
            )
        values = dict(zip(header, row, strict=True))
        record: dict[str, Any] = {"text": values.pop(text_column)}
        if label_column is not None:
            label = values.pop(label_column).strip()
            record["label"] = [label] if label else []
        record.update({key: value for key, value in values.items() if value})
        yield number, record


def _record(
    path: Path, where: str | int, value: Any, text_key: str | None, skip_invalid: bool
) -> ImportRecord:
    if not isinstance(value, dict):
        raise FormatError(path, where, "expected a JSON object")
    keys = (text_key,) if text_key else TEXT_KEYS
    used_key = next((k for k in keys if isinstance(value.get(k), str)), None)
    if used_key is None:
        raise FormatError(path, where, f"no text (expected a {' or '.join(keys)} string)")
    text = value[used_key]
    if not text.strip():  # the importer counts it as empty and leaves it out
        return ImportRecord(text="", where=where)
    record = ImportRecord(text=text, where=where)
    meta = value.get("meta")
    if isinstance(meta, dict):
        record.meta.update(meta)
    extra: dict[str, Any] = {}
    categories: list[Any] = []
    ids: dict[Any, str] = {}
    seen: set[tuple[int, int, str]] | None = None  # made when a span without an id comes
    duplicates = 0
    skipped_ids: set[Any] = set()
    spans = record.spans
    length = len(text)
    for key, item in value.items():
        if key in (used_key, "relations") or (key == "meta" and isinstance(meta, dict)):
            continue
        if key == "entities" and not isinstance(item, list | None):
            raise FormatError(path, where, f"entities: expected a list, got {item!r}"[:200])
        if key in SPAN_KEYS and isinstance(item, list):
            for entry in item:
                if type(entry) is dict:  # the usual entity, checked here without a call
                    entity_id = entry.get("id")
                    start, end = entry.get("start_offset"), entry.get("end_offset")
                    label = entry.get("label")
                    if (
                        type(entity_id) is int
                        and type(start) is int
                        and type(end) is int
                        and type(label) is str
                        and label
                        and 0 <= start < end <= length
                    ):
                        if entity_id in ids:
                            raise FormatError(path, where, f"entity id {entity_id!r} is used twice")
                        ids[entity_id] = span_key = str(len(spans))
                        if seen is not None:
                            seen.add((start, end, label))
                        spans.append(ImportedSpan(start, end, label, key=span_key))
                        continue
                if isinstance(entry, str):
                    categories.append(entry)
                    continue
                try:
                    span, entity_id = _span(path, where, key, entry, length)
                except FormatError as error:
                    if not skip_invalid:
                        raise
                    extra.setdefault("skipped_entities", []).append(
                        {"entity": entry, "reason": error.reason}
                    )
                    if isinstance(entry, dict) and "id" in entry:
                        skipped_ids.add(_entity_id(path, where, entry["id"]))
                    continue
                identity = (span.start, span.end, span.label)
                if seen is None:
                    seen = {(s.start, s.end, s.label) for s in spans}
                if identity in seen and entity_id is None:
                    duplicates += 1
                    continue
                seen.add(identity)
                span.key = str(len(spans))
                if entity_id is not None:
                    if entity_id in ids:
                        raise FormatError(path, where, f"entity id {entity_id!r} is used twice")
                    ids[entity_id] = span.key
                spans.append(span)
        elif key in CATEGORY_KEYS and isinstance(item, list):
            categories.extend(item)
        else:
            extra[key] = item
    relations = value.get("relations")
    if relations is not None and not isinstance(relations, list):
        raise FormatError(path, where, f"relations: expected a list, got {relations!r}"[:200])
    for relation in relations or []:
        if (
            isinstance(relation, dict)
            and {_entity_id(path, where, relation.get(role)) for role in ("from_id", "to_id")}
            & skipped_ids
        ):
            extra.setdefault("skipped_relations", []).append(relation)
            continue
        record.relations.append(_relation(path, where, relation, ids))
    if categories:
        extra["categories"] = categories
    if duplicates:
        extra["duplicate_spans"] = duplicates
    if extra:
        record.meta["doccano"] = extra
    if "skipped_entities" in extra:
        record.notes.append(SKIPPED_ENTITIES_NOTE)
    return record


def _span(
    path: Path, where: str | int, key: str, entry: Any, length: int
) -> tuple[ImportedSpan, Any]:
    entity_id = None
    if isinstance(entry, dict):
        entity_id = entry.get("id")
        if type(entity_id) is not int:  # the usual case needs no call (330,000 a corpus)
            entity_id = _entity_id(path, where, entity_id)
        start, end, label = entry.get("start_offset"), entry.get("end_offset"), entry.get("label")
    elif isinstance(entry, list) and len(entry) == 3:
        start, end, label = entry
    else:
        raise FormatError(path, where, f"{key}: expected [start, end, label], got {entry!r}")
    if not (
        (type(start) is int or limits.is_offset(start))
        and (type(end) is int or limits.is_offset(end))
        and isinstance(label, str)
        and label
    ):
        raise FormatError(path, where, f"{key}: bad span {entry!r}"[:200])
    if not 0 <= start < end:
        raise FormatError(path, where, f"{key}: empty or reversed span [{start}, {end}) {label}")
    if end > length:
        raise FormatError(
            path,
            where,
            f"{key}: span [{start}, {end}) {label} runs past the end of the text "
            f"({length} characters)",
        )
    return ImportedSpan(start=start, end=end, label=label), entity_id


def _relation(path: Path, where: str | int, relation: Any, ids: dict[Any, str]) -> ImportedRelation:
    if not isinstance(relation, dict):
        raise FormatError(path, where, f"relations: expected an object, got {relation!r}")
    label = relation.get("type") or relation.get("label")
    if not isinstance(label, str) or not label:
        raise FormatError(path, where, f"relation {relation.get('id')!r} has no type")
    ends = []
    for role in ("from_id", "to_id"):
        entity_id = _entity_id(path, where, relation.get(role))
        if entity_id not in ids:
            raise FormatError(
                path,
                where,
                f"relation {relation.get('id')!r}: {role} {entity_id!r} is not an entity id",
            )
        ends.append(ids[entity_id])
    return ImportedRelation(head=ends[0], child=ends[1], label=label)


def _entity_id(path: Path, where: str | int, value: Any) -> Any:
    """An entity id as doccano writes it: a number or a string (None when absent)."""
    if value is None or isinstance(value, str) or limits.is_offset(value):
        return value
    raise FormatError(path, where, f"entity id {value!r} is not a number or a string"[:200])


# --- writing --------------------------------------------------------------------------------

# ASCII only (\\u escapes): doccano's "Auto" encoding detection misreads UTF-8
_LINE = '{"id": %s, "text": %s, "entities": [%s], "relations": [%s]%s}\n'
_ENTITY = '{"id": %d, "label": %s, "start_offset": %d, "end_offset": %d}'
_ENTITY_OF_TEXT = '{"id": %d, "label": %s, "start_offset": %s, "end_offset": %s}'  # text_columns
_RELATION = '{"id": %d, "from_id": %d, "to_id": %d, "type": %s}'
_json_string = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


_STATUS = attrgetter("status")


class _QuotedLabels(dict[str, str]):
    """Label -> its JSON string (ASCII only), made once per label."""

    def __missing__(self, label: str) -> str:
        self[label] = quoted = json.dumps(label)
        return quoted


@register_writer(
    "doccano",
    description="doccano JSONL (entities + relations)",
    suffix=".jsonl",
    tokens=False,
    spans="places",
    joinable=True,
    numbered=True,
)
def write_doccano(
    documents: Iterable[ExportDocument],
    output: Path,
    *,
    part: str | None = None,
    report: ExportReport | None = None,
    first: tuple[int, int] = (0, 0),
    **_options: Any,
) -> ExportReport:
    """doccano relation-extraction JSONL: ``text``, ``entities``, ``relations`` and ``meta``.

    Entities and relations are numbered from 1 through the file, as doccano's own export
    does; ``first`` (entities, relations) are those written before these documents in the same
    file, by another process (``registry``, ``numbered``)."""
    report = report if report is not None else ExportReport()
    target = part_path(Path(output), part, ".jsonl")
    if target.is_dir():
        raise ExportError(f"{target}: doccano export writes one file, and this is a folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    next_entity = first[0] + 1
    next_relation = first[1] + 1
    quoted = _QuotedLabels()
    digest = hashlib.sha256()  # the export's manifest needs it: taken here, not read back
    with target.open("wb", buffering=WRITE_BUFFER) as handle:
        for item in documents:
            # each span's fields taken by C loops (map, zip, chain), not a Python loop per span
            spans = item.spans
            texts = spans.text_columns() if type(spans) is SpanColumns else None
            if texts is not None:  # in order, the numbers as SQLite wrote them
                span_ids, starts, ends, labels = texts
                entity, overlapping = _ENTITY_OF_TEXT, spans.overlapping
            else:
                if not item.statuses_selected and "rejected" in map(_STATUS, spans):
                    spans = [s for s in spans if s.status != "rejected"]
                if not item.spans_sorted:
                    spans = sorted(spans, key=attrgetter("start", "end", "label"))
                span_ids, starts, ends, labels = span_columns(spans)
                entity = _ENTITY
                overlapping = any(map(lt, starts[1:], ends[:-1]))  # sorted by start
            numbers = range(next_entity, next_entity + len(spans))
            next_entity += len(spans)
            entities = ", ".join([entity] * len(spans)) % tuple(  # one % for all
                chain.from_iterable(
                    zip(numbers, map(quoted.__getitem__, labels), starts, ends, strict=True)
                )
            )
            relations = []
            ids = dict(zip(span_ids, numbers, strict=True)) if item.relations else {}
            for relation in item.relations:
                if relation.status == "rejected":
                    continue
                if relation.head not in ids or relation.child not in ids:
                    report.count("doccano: relations whose spans were not exported, left out")
                    continue
                relations.append(
                    _RELATION
                    % (
                        next_relation,
                        ids[relation.head],
                        ids[relation.child],
                        quoted[relation.label],
                    )
                )
                next_relation += 1
            if overlapping:  # a span overlaps the next
                _warn_overlaps(item.document.id, spans, report)
            document = item.document
            doc_id, meta = document.id, document.meta
            # what json.dumps (ASCII only) writes for {"id", "text", "entities", "relations",
            # "meta"}, with the many small objects formatted directly: the tests compare bytes
            line = _LINE % (
                str(doc_id) if type(doc_id) is int else json.dumps(doc_id),
                _json_string(document.text),  # what json.dumps(text) calls
                entities,
                ", ".join(relations),
                f', "meta": {json.dumps(meta)}' if meta else "",
            )
            # a line at a time into the file's buffer, not joined a megabyte at a time: freeing
            # those blocks gave the heap back to the system, and taking it again cost 36,000
            # page faults (0.06-0.08 CPU s of 10,000 documents)
            data = line.encode()
            digest.update(data)
            handle.write(data)
            report.spans += len(spans)
            report.relations += len(relations)
    report.files.append(str(target))
    report.digests[str(target)] = digest.hexdigest()
    return report


def _warn_overlaps(doc_id: int | None, spans: list[Span], report: ExportReport) -> None:
    """doccano drops overlapping spans silently unless the project allows them: say so."""
    pairs = []
    for index, first in enumerate(spans):  # sorted by start
        for second in spans[index + 1 :]:
            if second.start >= first.end:
                break
            pairs.append((first, second))
    if not pairs:
        return
    first, second = pairs[0]
    more = f" (and {len(pairs) - 1} more pairs)" if len(pairs) > 1 else ""
    report.count("doccano: documents with overlapping spans")
    report.warnings.append(
        f"document {doc_id}: spans [{first.start}, {first.end}) {first.label} and "
        f"[{second.start}, {second.end}) {second.label} overlap{more}; doccano keeps them only "
        'in a project with "Allow overlapping spans" set'
    )
