"""Label Studio JSON: tasks with ``annotations`` / ``predictions`` (and legacy ``completions``).

Reading rules (also in docs/exporting.md, "brat, doccano, CoNLL, Label Studio"):

- A file is a list of tasks or one task. The text is ``data.text``, else the reader option
  ``text_key``, else the only string in ``data``.
- ``annotations`` and legacy ``completions`` give accepted spans (``type: labels``) and
  relations (``type: relation``); ``predictions`` give suggestions, with the region's (or the
  prediction's) ``score``. A region with several labels (in one result, or in several results
  sharing its id) gives one span per label, and its relations attach to each. A relation
  without a label gets the label ``relation``; ``direction: left`` swaps head and child;
  ``direction: bi`` is listed in ``meta["labelstudio"]["bidirectional"]`` (by offsets and
  labels) and written back as ``bi``. A relation repeated within one annotation is kept each
  time; the same relation in two annotations once.
- ``predictions`` that are ids only (the default JSON export) carry no results: their ids go to
  ``meta["labelstudio"]["prediction_ids"]`` and a note to the import report.
- JSON-MIN (one flat object per annotation: the data, a list of ``{start, end, text, labels}``
  per labels control, ``annotation_id``, ``lead_time``...) is read as the task it stands for.
- ``was_cancelled`` (or ``skipped``) annotations are left out and their ids listed in
  ``meta["labelstudio"]["cancelled"]``. Results of other types (choices, text areas...) are kept
  in ``meta["labelstudio"]["other_results"]``. The same span in several annotations or in a
  prediction too is kept once.
- A task with at least one submitted annotation is imported as ``done``.
- Label Studio counts offsets in UTF-16 code units (JavaScript); where the text has characters
  outside the BMP (emoji), offsets are converted when that makes ``value.text`` match. The
  writer writes UTF-16 offsets.
- A region whose offsets run past the text, or whose ``value.text`` differs from the text at
  its offsets, stops the import with an error naming the task and the region id. With the
  reader option ``invalid_spans="skip"``, the region (and its relations) is left out instead
  and listed in ``meta["labelstudio"]["skipped_regions"]`` with the reason.
- ``annotations``, ``predictions``, ``result`` and a relation's ``labels`` must be lists (or
  absent): a string there (``"12"``, ``""``) is refused, not read letter by letter or dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from operator import attrgetter
from pathlib import Path
from typing import Any

from annotator.errors import ExportError, FormatError
from annotator.io import limits
from annotator.io.doccano import first_json_keys
from annotator.io.records import (
    ExportDocument,
    ExportReport,
    ImportedRelation,
    ImportedSpan,
    ImportRecord,
)
from annotator.io.registry import WRITE_BUFFER, part_path, register_reader, register_writer
from annotator.model import LabelSchema, Relation, Span

RESULT_KEYS = ("annotations", "completions", "predictions")
DEFAULT_RELATION_LABEL = "relation"
SKIPPED_REGIONS_NOTE = (
    "invalid regions left out (--skip-invalid); each is kept with its reason in the "
    "document's meta, labelstudio.skipped_regions"
)
PREDICTION_IDS_NOTE = (
    "Label Studio predictions given as ids only (no results) were skipped; "
    "export the project with predictions included to import them"
)


def sniff_labelstudio(path: Path, head: bytes) -> bool:
    """JSON whose first task has ``data`` (with annotations, predictions or completions, or
    none: a task still to do, as our export writes a document without suggestions), or a
    JSON-MIN export (``annotation_id`` and ``lead_time`` beside the data)."""
    if path.is_dir():
        return False
    keys = first_json_keys(head)
    if keys is None:
        return False
    json_min = "annotation_id" in keys and "lead_time" in keys
    bare_task = "data" in keys and "text" not in keys and path.suffix.lower() == ".json"
    return json_min or ("data" in keys and bool(keys & set(RESULT_KEYS))) or bare_task


@register_reader(
    "labelstudio", sniff=sniff_labelstudio, priority=70, description="Label Studio JSON"
)
def read_labelstudio(
    path: Path, text_key: str | None = None, invalid_spans: str = "refuse", **_options: Any
) -> Iterator[ImportRecord]:
    """Label Studio JSON export: a list of tasks, or one task."""
    path = Path(path)
    try:
        tasks = limits.loads(path.read_bytes().decode("utf-8-sig"), path, check=False)
    except OSError as error:
        raise FormatError(path, None, f"cannot read ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise FormatError(path, None, f"not UTF-8 (byte {error.start})") from None
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise FormatError(path, None, "expected a list of tasks or one task")
    for index, task in enumerate(tasks, start=1):
        if _is_json_min(task):
            task = _task_from_json_min(task, index, path, text_key)
        yield _TaskReader(path, index, task, text_key, invalid_spans == "skip").record()


# --- JSON-MIN -------------------------------------------------------------------------------

# the keys Label Studio's JSON-MIN export adds to each task's data (converter.convert_to_json_min)
JSON_MIN_INFO = ("annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement")


def _is_json_min(task: Any) -> bool:
    """One flat object per annotation: the task's data, its info keys, and no result lists."""
    return (
        isinstance(task, dict)
        and "data" not in task
        and not any(key in task for key in RESULT_KEYS)
        and "annotation_id" in task
    )


def _is_json_min_region(value: Any) -> bool:
    return isinstance(value, dict) and "start" in value and "end" in value and "labels" in value


def _task_from_json_min(
    flat: dict[str, Any], index: int, path: Path, text_key: str | None
) -> dict[str, Any]:
    """The full-JSON task a JSON-MIN record stands for, so one reader checks both.

    Each key whose value is a list of ``{start, end, text, labels}`` is a labels control: its
    items are the regions (``<control>-<n>`` ids; JSON-MIN keeps no region ids or relations).
    """
    data: dict[str, Any] = {}
    result: list[dict[str, Any]] = []
    info: dict[str, Any] = {}
    for key, value in flat.items():
        if key in JSON_MIN_INFO:
            info[key] = value
        elif key == "id":
            continue
        elif key != text_key and isinstance(value, list) and any(map(_is_json_min_region, value)):
            for number, region in enumerate(value, start=1):
                if not _is_json_min_region(region):
                    where = f"task {flat.get('id', index)}"
                    raise FormatError(path, where, f"{key}[{number - 1}] is not a labelled region")
                result.append(
                    {"id": f"{key}-{number}", "from_name": key, "type": "labels", "value": region}
                )
        else:
            data[key] = value
    annotation: dict[str, Any] = {"id": info.pop("annotation_id"), **info, "result": result}
    task: dict[str, Any] = {"data": data, "annotations": [annotation]}
    if "id" in flat:
        task["id"] = flat["id"]
    return task


class _TaskReader:
    """One task to one record; regions are keyed ``<source><n>:<region id>``."""

    def __init__(
        self, path: Path, index: int, task: Any, text_key: str | None, skip_invalid: bool
    ) -> None:
        self.path = path
        if not isinstance(task, dict):
            raise FormatError(path, f"task {index}", "expected a task object")
        self.task = task
        task_id = task.get("id", index)
        plain = limits.is_offset(task_id) or (isinstance(task_id, str) and task_id.isprintable())
        self.where = f"task {(task_id if plain else repr(task_id))!s:.40}"
        limits.check_value(task, path, self.where)
        self.skip_invalid = skip_invalid
        data = task.get("data")
        if not isinstance(data, dict):
            raise FormatError(path, self.where, "no 'data' object")
        self.text_key = self._text_key(data, text_key)
        self.text: str = data[self.text_key]
        self.utf16 = _Utf16Offsets(self.text)
        self.out = ImportRecord(text=self.text, where=self.where)
        self.meta: dict[str, Any] = {}
        if "id" in task:
            self.meta["id"] = task["id"]
        other_data = {k: v for k, v in data.items() if k != self.text_key}
        if other_data:
            self.meta["data"] = other_data
        self.identity: dict[tuple[int, int, str], str] = {}
        self.relation_seen: set[tuple[str, str, str]] = set()

    def _text_key(self, data: dict[str, Any], text_key: str | None) -> str:
        if text_key is not None:
            if not isinstance(data.get(text_key), str):
                raise FormatError(self.path, self.where, f"data has no {text_key!r} text")
            return text_key
        if isinstance(data.get("text"), str):
            return "text"
        strings = [k for k, v in data.items() if isinstance(v, str)]
        if len(strings) == 1:
            return strings[0]
        raise FormatError(
            self.path,
            self.where,
            f"cannot tell which data key holds the text ({', '.join(strings) or 'none'}); "
            "name it with --text-key",
        )

    def record(self) -> ImportRecord:
        submitted = False
        for source in RESULT_KEYS:
            entries = self.task.get(source)
            if entries is None:
                continue
            if not isinstance(entries, list):
                raise FormatError(self.path, self.where, f"{source} is not a list")
            for number, entry in enumerate(entries):
                if source == "predictions" and isinstance(entry, int | str):
                    # the default export lists prediction ids only: they carry no results
                    self.meta.setdefault("prediction_ids", []).append(entry)
                    continue
                if not isinstance(entry, dict):
                    raise FormatError(self.path, self.where, f"{source}[{number}] is not an object")
                if entry.get("was_cancelled") or entry.get("skipped"):
                    self.meta.setdefault("cancelled", []).append(entry.get("id", number))
                    continue
                suggested = source == "predictions"
                submitted = submitted or not suggested
                self._read_result(f"{source[0]}{number}", entry, suggested)
                info = {k: v for k, v in entry.items() if k != "result"}
                if info:
                    self.meta.setdefault(source, []).append(info)
        if "prediction_ids" in self.meta:
            self.out.notes.append(PREDICTION_IDS_NOTE)
        if "skipped_regions" in self.meta:
            self.out.notes.append(SKIPPED_REGIONS_NOTE)
        if submitted:
            self.out.status = "done"
        task_meta = self.task.get("meta")
        if isinstance(task_meta, dict):
            self.out.meta.update(task_meta)
        self.out.meta["labelstudio"] = self.meta
        return self.out

    def _read_result(self, prefix: str, entry: dict[str, Any], suggested: bool) -> None:
        result = entry.get("result")
        result = [] if result is None else result
        if not isinstance(result, list):
            raise FormatError(self.path, self.where, f"{prefix}: result is not a list")
        keys: dict[str, list[str]] = {}  # region id -> its spans (one per label)
        skipped: set[str] = set()
        relations = []
        for region in result:
            if not isinstance(region, dict):
                raise FormatError(self.path, self.where, f"region {region!r} is not an object")
            kind = region.get("type")
            if kind == "relation":
                relations.append(region)
            elif kind == "labels":
                region_keys = self._span(prefix, region, entry, suggested)
                if region_keys is None:
                    skipped.add(str(region.get("id")))
                else:
                    spans = keys.setdefault(str(region.get("id")), [])
                    spans.extend(key for key in region_keys if key not in spans)
            else:
                self.meta.setdefault("other_results", []).append(region)
        seen_before = set(self.relation_seen)  # the same relation in another annotation: once
        for region in relations:
            self._relation(region, keys, skipped, suggested, seen_before)

    def _span(
        self, prefix: str, region: dict[str, Any], entry: dict[str, Any], suggested: bool
    ) -> list[str] | None:
        """The keys of the region's spans, one per label; None when it is skipped."""
        region_id = str(region.get("id"))
        value = region.get("value")
        if not isinstance(value, dict):
            raise FormatError(self.path, self.where, f"region {region_id}: no value")
        start, end, labels = value.get("start"), value.get("end"), value.get("labels")
        if not (limits.is_offset(start) and limits.is_offset(end) and 0 <= start < end):
            return self._invalid(region, f"offsets {start!r}-{end!r} are not a character range")
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(x, str) for x in labels)
        ):
            raise FormatError(self.path, self.where, f"region {region_id}: no labels")
        given = value.get("text")
        if given is not None and self.text[start:end] != given:
            converted = self.utf16.to_index(start), self.utf16.to_index(end)
            if None not in converted and self.text[converted[0] : converted[1]] == given:
                start, end = converted  # type: ignore[assignment]
        if end > len(self.text):
            return self._invalid(
                region,
                f"offsets {start}-{end} run past the end of the text ({len(self.text)} characters)",
            )
        if given is not None and self.text[start:end] != given:
            return self._invalid(
                region,
                f"text {given!r} does not match the document text "
                f"{self.text[start:end]!r} at {start}-{end}",
            )
        score = region.get("score", entry.get("score") if suggested else None)
        score = limits.check_score(score, self.path, self.where, f"region {region_id}")
        span_keys = []
        for label in labels:
            identity = (start, end, label)
            key = self.identity.get(identity)
            if key is None:
                key = f"{prefix}:{region_id}:{label}"
                self.identity[identity] = key
                self.out.spans.append(
                    ImportedSpan(
                        start=start,
                        end=end,
                        label=label,
                        status="suggested" if suggested else "accepted",
                        score=score,
                        key=key,
                    )
                )
            span_keys.append(key)
        return span_keys

    def _invalid(self, region: dict[str, Any], reason: str) -> None:
        region_id = region.get("id")
        if not self.skip_invalid:
            raise FormatError(self.path, self.where, f"region {region_id}: {reason}")
        self.meta.setdefault("skipped_regions", []).append({"id": region_id, "reason": reason})
        return None

    def _relation(
        self,
        region: dict[str, Any],
        keys: dict[str, list[str]],
        skipped: set[str],
        suggested: bool,
        seen_before: set[tuple[str, str, str]],
    ) -> None:
        """One relation per label and per span of each end region (a region with two labels
        is two spans); ``direction`` left points from ``to_id`` to ``from_id``, bi both ways."""
        ends = [str(region.get("from_id")), str(region.get("to_id"))]
        if any(end in skipped for end in ends):
            self.meta.setdefault("skipped_relations", []).append(region)
            return
        for end in ends:
            if end not in keys:
                raise FormatError(
                    self.path, self.where, f"relation {ends[0]} -> {ends[1]}: no region {end}"
                )
        heads, children = (keys[end] for end in ends)
        direction = region.get("direction")
        if direction == "left":
            heads, children = children, heads
        labels = region.get("labels")
        if labels is None or labels == []:
            labels = [DEFAULT_RELATION_LABEL]
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise FormatError(
                self.path,
                self.where,
                f"relation {ends[0]} -> {ends[1]}: labels must be a list of strings, "
                f"not {labels!r}"[:200],
            )
        for label in labels:
            for head in heads:
                for child in children:
                    identity = (head, child, str(label))
                    if identity in seen_before or head == child:
                        continue
                    self.relation_seen.add(identity)
                    if direction == "bi":
                        self.meta.setdefault("bidirectional", []).append(
                            self._relation_identity(head, child, str(label))
                        )
                    self.out.relations.append(
                        ImportedRelation(
                            head=head,
                            child=child,
                            label=str(label),
                            status="suggested" if suggested else "accepted",
                        )
                    )

    def _relation_identity(self, head: str, child: str, label: str) -> list[Any]:
        by_key = {span.key: span for span in self.out.spans}
        return relation_identity(by_key[head], by_key[child], label)


def relation_identity(head: ImportedSpan | Span, child: ImportedSpan | Span, label: str) -> list:
    """How ``meta["labelstudio"]["bidirectional"]`` names a relation: by its spans' offsets
    and labels, which survive the import (span ids do not)."""
    return [head.start, head.end, head.label, child.start, child.end, child.label, label]


class _Utf16Offsets:
    """JavaScript (UTF-16) offsets <-> Python string indices, for texts with emoji."""

    def __init__(self, text: str) -> None:
        self.table: dict[int, int] | None = None
        self.units: dict[int, int] | None = None
        if len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text):  # one pass in C
            self.table = {}
            units = 0
            for index, char in enumerate(text):
                self.table[units] = index
                units += 2 if ord(char) > 0xFFFF else 1
            self.table[units] = len(text)

    def to_index(self, units: int) -> int | None:
        return None if self.table is None else self.table.get(units)

    def to_units(self, index: int) -> int:
        """A Python index as Label Studio's frontend counts it (an emoji is two units)."""
        if self.table is None:
            return index
        if self.units is None:
            self.units = {i: units for units, i in self.table.items()}
        return self.units[index]


# --- writing --------------------------------------------------------------------------------


@register_writer(
    "labelstudio",
    description="Label Studio JSON tasks",
    suffix=".json",
    tokens=False,
    spans="essentials",
)
def write_labelstudio(
    documents: Iterable[ExportDocument],
    output: Path,
    *,
    part: str | None = None,
    report: ExportReport | None = None,
    from_name: str = "label",
    to_name: str = "text",
    schema: LabelSchema | None = None,
    **_options: Any,
) -> ExportReport:
    """Label Studio tasks: a done document's accepted spans and relations as ``annotations``,
    suggestions as ``predictions``; an unfinished document's accepted ones are ``predictions``
    too, since Label Studio takes a task with an annotation as finished. Region ids are the
    span ids, so they stay the same from export to export."""
    report = report if report is not None else ExportReport()
    target = part_path(Path(output), part, ".json")
    if target.is_dir():
        raise ExportError(f"{target}: Label Studio export writes one file, and this is a folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    names = (_quote(from_name), _quote(to_name))
    with target.open("w", encoding="utf-8", newline="\n", buffering=WRITE_BUFFER) as handle:
        handle.write("[")
        for number, item in enumerate(documents):
            task = _task(item, names, report, _undirected(schema))
            handle.write(("," if number else "") + "\n" + task)
        handle.write("\n]\n")
    report.files.append(str(target))
    return report


def _undirected(schema: LabelSchema | None) -> frozenset[str]:
    """Relation labels the schema marks as not directed: Label Studio's ``direction: bi``."""
    if schema is None:
        return frozenset()
    return frozenset(label.name for label in schema.relations if not label.directed)


def _task(
    item: ExportDocument,
    names: tuple[str, str],
    report: ExportReport,
    undirected: frozenset[str],
) -> str:
    """The task as ``json.dumps(..., ensure_ascii=False)`` writes it (the tests compare bytes),
    its many small objects formatted directly."""
    document = item.document
    spans = {s.id: s for s in item.spans if s.status != "rejected"}
    relations = [r for r in item.relations if r.status != "rejected"]
    # Label Studio reads a task with a submitted annotation as labelled, finished: only a done
    # document's decisions are one; an unfinished one's are prelabels, with its suggestions
    finished = document.status == "done"

    def accepted_span(span_id: str) -> bool:
        span = spans.get(span_id)
        return finished and span is not None and span.status == "accepted"

    accepted_relations = [
        r
        for r in relations
        if r.status == "accepted" and accepted_span(r.head) and accepted_span(r.child)
    ]
    suggested_relations = [r for r in relations if r not in accepted_relations]
    accepted = [s for s in spans.values() if finished and s.status == "accepted"]
    suggested = [s for s in spans.values() if not finished or s.status == "suggested"]
    # a suggested relation needs both of its regions in the prediction's own result
    for relation in suggested_relations:
        for end in (relation.head, relation.child):
            span = spans.get(end)
            if span is not None and span not in suggested:
                suggested.append(span)
    text = document.text
    task = f'{{"id": {json.dumps(document.id)}, "data": {{"text": {_quote(text)}}}'
    if document.meta:
        task += f', "meta": {json.dumps(document.meta, ensure_ascii=False)}'
    stored = document.meta.get("labelstudio")
    bidirectional = stored.get("bidirectional", []) if isinstance(stored, dict) else []

    def direction(relation: Relation) -> str:
        identity = relation_identity(spans[relation.head], spans[relation.child], relation.label)
        both = relation.label in undirected or identity in bidirectional
        return "bi" if both else "right"

    if finished:
        result = _regions(accepted, text, names, item.spans_sorted)
        result += _relations(accepted_relations, spans, report, direction)
        report.relations += len(result) - len(accepted)
        task += f', "annotations": [{{"result": [{", ".join(result)}], "was_cancelled": false}}]'
    if suggested or suggested_relations:
        result = _regions(suggested, text, names, False)
        result += _relations(suggested_relations, spans, report, direction)
        report.relations += len(result) - len(suggested)
        task += (
            f', "predictions": [{{"model_version": "annotator", "result": [{", ".join(result)}]}}]'
        )
    report.spans += len(spans)
    return task + "}"


_quote = json.encoder.encode_basestring  # type: ignore[attr-defined]
"""A string as JSON without escaping non-ASCII characters (``ensure_ascii=False``)."""
_REGION = (
    '{"id": %s, "from_name": %s, "to_name": %s, "type": "labels", '
    '"value": {"start": %d, "end": %d, "text": %s, "labels": [%s]}%s}'
)
_RELATION = '{"from_id": %s, "to_id": %s, "type": "relation", "direction": "%s", "labels": [%s]}'


def _regions(spans: list[Span], text: str, names: tuple[str, str], in_order: bool) -> list[str]:
    """Regions with Label Studio's offsets: UTF-16 units, as its frontend (JavaScript) counts.
    ``in_order``: the spans are already by start, end, label."""
    utf16 = _Utf16Offsets(text)
    from_name, to_name = names
    ordered = spans if in_order else sorted(spans, key=attrgetter("start", "end", "label"))
    offsets = (
        [(span.start, span.end) for span in ordered]
        if utf16.table is None  # no character outside the BMP: the same offsets
        else [(utf16.to_units(span.start), utf16.to_units(span.end)) for span in ordered]
    )
    return [
        _REGION
        % (
            _quote(span.id),
            from_name,
            to_name,
            start,
            end,
            _quote(text[span.start : span.end]),
            _quote(span.label),
            "" if span.score is None else f', "score": {json.dumps(span.score)}',
        )
        for span, (start, end) in zip(ordered, offsets, strict=True)
    ]


def _relations(
    relations: list[Relation],
    spans: dict[str, Span],
    report: ExportReport,
    direction: Callable[[Relation], str],
) -> list[str]:
    out = []
    for relation in relations:
        if relation.head not in spans or relation.child not in spans:
            report.count("labelstudio: relations whose spans were not exported, left out")
            continue
        out.append(
            _RELATION
            % (
                _quote(relation.head),
                _quote(relation.child),
                direction(relation),
                _quote(relation.label),
            )
        )
    return out
