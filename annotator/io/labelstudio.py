"""Label Studio JSON: tasks with ``annotations`` / ``predictions`` (and legacy ``completions``).

Reading rules (also in docs/exporting.md, "brat, doccano, CoNLL, Label Studio"):

- A file is a list of tasks or one task. The text is ``data.text``, else the reader option
  ``text_key``, else the only string in ``data``.
- ``annotations`` and legacy ``completions`` give accepted spans (``type: labels``) and
  relations (``type: relation``); ``predictions`` give suggestions, with the region's (or the
  prediction's) ``score``. A region with several labels gives one span per label. A relation
  without a label gets the label ``relation``; ``direction: left`` swaps head and child.
- ``was_cancelled`` (or ``skipped``) annotations are left out and their ids listed in
  ``meta["labelstudio"]["cancelled"]``. Results of other types (choices, text areas...) are kept
  in ``meta["labelstudio"]["other_results"]``. The same span in several annotations or in a
  prediction too is kept once.
- A task with at least one submitted annotation is imported as ``done``.
- Label Studio counts offsets in UTF-16 code units (JavaScript); where the text has characters
  outside the BMP (emoji), offsets are converted when that makes ``value.text`` match.
- A region whose offsets run past the text, or whose ``value.text`` differs from the text at
  its offsets, stops the import with an error naming the task and the region id. With the
  reader option ``invalid_spans="skip"``, the region (and its relations) is left out instead
  and listed in ``meta["labelstudio"]["skipped_regions"]`` with the reason.
- ``annotations``, ``predictions``, ``result`` and a relation's ``labels`` must be lists (or
  absent): a string there (``"12"``, ``""``) is refused, not read letter by letter or dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
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
from annotator.io.registry import part_path, register_reader, register_writer
from annotator.model import Relation, Span

RESULT_KEYS = ("annotations", "completions", "predictions")
DEFAULT_RELATION_LABEL = "relation"


def sniff_labelstudio(path: Path, head: bytes) -> bool:
    """JSON whose first task has ``data`` and annotations, predictions or completions."""
    if path.is_dir():
        return False
    keys = first_json_keys(head)
    return keys is not None and "data" in keys and bool(keys & set(RESULT_KEYS))


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
        yield _TaskReader(path, index, task, text_key, invalid_spans == "skip").record()


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
        keys: dict[str, str] = {}
        skipped: set[str] = set()
        relations = []
        for region in result:
            if not isinstance(region, dict):
                raise FormatError(self.path, self.where, f"region {region!r} is not an object")
            kind = region.get("type")
            if kind == "relation":
                relations.append(region)
            elif kind == "labels":
                key = self._span(prefix, region, entry, suggested)
                if key is None:
                    skipped.add(str(region.get("id")))
                else:
                    keys[str(region.get("id"))] = key
            else:
                self.meta.setdefault("other_results", []).append(region)
        for region in relations:
            self._relation(region, keys, skipped, suggested)

    def _span(
        self, prefix: str, region: dict[str, Any], entry: dict[str, Any], suggested: bool
    ) -> str | None:
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
        first_key = None
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
            first_key = first_key or key
        return first_key

    def _invalid(self, region: dict[str, Any], reason: str) -> None:
        region_id = region.get("id")
        if not self.skip_invalid:
            raise FormatError(self.path, self.where, f"region {region_id}: {reason}")
        self.meta.setdefault("skipped_regions", []).append({"id": region_id, "reason": reason})
        return None

    def _relation(
        self, region: dict[str, Any], keys: dict[str, str], skipped: set[str], suggested: bool
    ) -> None:
        ends = [str(region.get("from_id")), str(region.get("to_id"))]
        if any(end in skipped for end in ends):
            self.meta.setdefault("skipped_relations", []).append(region)
            return
        for end in ends:
            if end not in keys:
                raise FormatError(
                    self.path, self.where, f"relation {ends[0]} -> {ends[1]}: no region {end}"
                )
        head, child = (keys[end] for end in ends)
        if region.get("direction") == "left":
            head, child = child, head
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
            if (head, child, label) in self.relation_seen or head == child:
                continue
            self.relation_seen.add((head, child, label))
            self.out.relations.append(
                ImportedRelation(
                    head=head,
                    child=child,
                    label=str(label),
                    status="suggested" if suggested else "accepted",
                )
            )


class _Utf16Offsets:
    """JavaScript (UTF-16) offsets to Python string indices, for texts with emoji."""

    def __init__(self, text: str) -> None:
        self.table: dict[int, int] | None = None
        if any(ord(c) > 0xFFFF for c in text):
            self.table = {}
            units = 0
            for index, char in enumerate(text):
                self.table[units] = index
                units += 2 if ord(char) > 0xFFFF else 1
            self.table[units] = len(text)

    def to_index(self, units: int) -> int | None:
        return None if self.table is None else self.table.get(units)


# --- writing --------------------------------------------------------------------------------


@register_writer("labelstudio", description="Label Studio JSON tasks", suffix=".json")
def write_labelstudio(
    documents: Iterable[ExportDocument],
    output: Path,
    *,
    part: str | None = None,
    report: ExportReport | None = None,
    from_name: str = "label",
    to_name: str = "text",
    **_options: Any,
) -> ExportReport:
    """Label Studio tasks: accepted spans and relations as ``annotations``, suggestions as
    ``predictions``; region ids are the span ids, so they stay the same from export to export."""
    report = report if report is not None else ExportReport()
    target = part_path(Path(output), part, ".json")
    if target.is_dir():
        raise ExportError(f"{target}: Label Studio export writes one file, and this is a folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("[")
        for number, item in enumerate(documents):
            task = _task(item, from_name, to_name, report)
            handle.write(("," if number else "") + "\n" + json.dumps(task, ensure_ascii=False))
        handle.write("\n]\n")
    report.files.append(str(target))
    return report


def _task(item: ExportDocument, from_name: str, to_name: str, report: ExportReport) -> dict:
    document = item.document
    spans = {s.id: s for s in item.spans if s.status != "rejected"}
    relations = [r for r in item.relations if r.status != "rejected"]

    def accepted_span(span_id: str) -> bool:
        span = spans.get(span_id)
        return span is not None and span.status == "accepted"

    accepted_relations = [
        r
        for r in relations
        if r.status == "accepted" and accepted_span(r.head) and accepted_span(r.child)
    ]
    suggested_relations = [r for r in relations if r not in accepted_relations]
    accepted = [s for s in spans.values() if s.status == "accepted"]
    suggested = [s for s in spans.values() if s.status == "suggested"]
    # a suggested relation needs both of its regions in the prediction's own result
    for relation in suggested_relations:
        for end in (relation.head, relation.child):
            span = spans.get(end)
            if span is not None and span not in suggested:
                suggested.append(span)
    task: dict[str, Any] = {"id": document.id, "data": {"text": document.text}}
    if document.meta:
        task["meta"] = document.meta
    if accepted or accepted_relations or document.status == "done":
        result = _regions(accepted, document.text, from_name, to_name)
        result += _relations(accepted_relations, spans, report)
        report.relations += len(result) - len(accepted)
        task["annotations"] = [{"result": result, "was_cancelled": False}]
    if suggested or suggested_relations:
        result = _regions(suggested, document.text, from_name, to_name)
        result += _relations(suggested_relations, spans, report)
        report.relations += len(result) - len(suggested)
        task["predictions"] = [{"model_version": "annotator", "result": result}]
    report.spans += len(spans)
    return task


def _regions(spans: list[Span], text: str, from_name: str, to_name: str) -> list[dict]:
    regions = []
    for span in sorted(spans, key=lambda s: (s.start, s.end, s.label)):
        region: dict[str, Any] = {
            "id": span.id,
            "from_name": from_name,
            "to_name": to_name,
            "type": "labels",
            "value": {
                "start": span.start,
                "end": span.end,
                "text": text[span.start : span.end],
                "labels": [span.label],
            },
        }
        if span.score is not None:
            region["score"] = span.score
        regions.append(region)
    return regions


def _relations(
    relations: list[Relation], spans: dict[str, Span], report: ExportReport
) -> list[dict]:
    out = []
    for relation in relations:
        if relation.head not in spans or relation.child not in spans:
            report.count("labelstudio: relations whose spans were not exported, left out")
            continue
        out.append(
            {
                "from_id": relation.head,
                "to_id": relation.child,
                "type": "relation",
                "direction": "right",
                "labels": [relation.label],
            }
        )
    return out
