"""Reading and checking the records of an import: all it does before the store.

Everything here is a function of the files alone (no project, no store), so that it runs in
the command's process or in the reading process (``child_iteration``), which imports this
module and what it needs, not the store. ``checked_records`` yields each record checked
against its own text (offsets, labels, scores, relations between its own spans) and reduced
to what is stored (``Pending``); ``importing`` writes them.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic

from annotator.errors import FormatError
from annotator.io import (
    formats,  # noqa: F401 - registers every reader
    limits,
)
from annotator.io import text as text_io
from annotator.io.records import ImportedRelation, ImportedSpan, ImportRecord
from annotator.io.registry import READERS, detect_format, head_bytes, visible_files
from annotator.model.document import DocumentStatus, TokenOffsets, utf8_hash
from annotator.model.labels import label_problem
from annotator.model.parsing import one_line
from annotator.wording import counted

SPAN_RANK = {"suggested": 0, "rejected": 1, "accepted": 2}
DOCUMENT_RANK = {"new": 0, "skipped": 1, "suggested": 2, "in_progress": 3, "done": 4}

SpanKey = tuple[int, int, str]
SpanFacts = tuple[str, str, float | None, bool]
"""A span's origin, status, score and ``edited`` flag, as ``check_record`` checked them: a plain
tuple (330,000 a corpus, sent from the reading process as they are), in the order of the store's
span rows (``Project.add_span_rows``)."""
RelationKey = tuple[SpanKey, SpanKey, str]


@dataclass
class SourceReport:
    """What one SOURCE argument (file or folder) gave."""

    source: str
    format: str
    records: int = 0
    documents: int = 0  # new documents
    duplicates: int = 0  # texts the project already had before this command
    repeated: int = 0  # texts seen earlier in this command, merged into that document
    empty: int = 0  # records with no text (or white space only), left out
    spans: int = 0
    relations: int = 0


# -- planning ---------------------------------------------------------------------------------


@dataclass
class Plan:
    """One source, the reader that reads it with its options, and what it gave so far."""

    path: Path
    format: str
    options: dict[str, Any]
    report: SourceReport

    def records(self) -> Iterable[ImportRecord]:
        return READERS[self.format].read(self.path, **self.options)


def plan_source(
    path: Path, format: str, split: str, lang: str, reader_options: dict[str, Any] | None = None
) -> Plan:
    """Which reader reads ``path``, and with which of the options it takes."""
    if not path.exists():
        raise FormatError(path, None, "no such file or folder")
    if path.is_file() and format != "spacy":  # a DocBin is the one binary input
        head = head_bytes(path)
        if not (format == "auto" and READERS["spacy"].sniff(path, head)):  # type: ignore[misc]
            text_io.refuse_binary(path, head)
    name = detect_format(path) if format == "auto" else format
    if name not in READERS:
        raise FormatError(path, None, f"unknown format {name!r} (known: {', '.join(READERS)})")
    parameters = inspect.signature(READERS[name].read).parameters
    options: dict[str, Any] = {}
    if "lang" in parameters:
        options["lang"] = lang
    if split != "none":
        if "split" not in parameters:
            raise FormatError(
                path, None, f"--split {split} applies to plain text, not to the {name} format"
            )
        options["split"] = split
    options.update((k, v) for k, v in (reader_options or {}).items() if k in parameters)
    return Plan(path, name, options, SourceReport(str(path), name))


NAMED_SKIPPED = 5  # files named in the note on a folder's skipped files


def plan_sources(
    path: Path, format: str, split: str, lang: str, reader_options: dict[str, Any] | None = None
) -> tuple[list[Plan], list[str]]:
    """The plans for one SOURCE argument, and notes for the import report.

    A file is one plan, and so is a folder a folder format reads whole, every file of it
    (brat, spaCy, plain text). Any other folder (a ``--split`` export of a one-file format, a
    folder of Label Studio tasks, a folder of exports of several formats) is read file by
    file, each file by its own format, hidden files left out. A file no reader knows, or
    that the format given does not read, is named in a note, never left out silently; a
    folder with no file of a known format is refused."""
    if not path.is_dir():
        return [plan_source(path, format, split, lang, reader_options)], []
    files = visible_files(path)
    if format != "auto":
        if format not in READERS:
            plan_source(path, format, split, lang)  # refuses it, naming the folder
        folders = READERS[format].folders
        if folders is None:
            return _file_by_file(path, files, format, split, lang, reader_options)
        plan = plan_source(path, format, split, lang, reader_options)
        unread = [_inside(path, file) for file in files if not folders(file)]
        return [plan], _skipped_note(path, unread, f"not read as {format}")
    try:
        plan = plan_source(path, format, split, lang, reader_options)
    except FormatError:  # no format reads this folder whole
        plan = None
    folders = READERS[plan.format].folders if plan is not None else None
    if plan is not None and folders is not None and all(map(folders, files)):
        return [plan], []
    return _file_by_file(path, files, format, split, lang, reader_options)


def _file_by_file(
    path: Path,
    files: list[Path],
    format: str,
    split: str,
    lang: str,
    reader_options: dict[str, Any] | None,
) -> tuple[list[Plan], list[str]]:
    plans, skipped = [], []
    for file in files:
        if format == "auto" and file.suffix in (".txt", ".conf") and _beside_brat(file):
            continue  # read with the pair's .ann, or brat's configuration
        try:
            plans.append(plan_source(file, format, split, lang, reader_options))
        except FormatError as error:
            if format != "auto":  # the format was given: the file is wrong, not unknown
                raise
            skipped.append(f"{_inside(path, file)} ({error.reason.split(';')[0]})")
    if not plans:
        named = _named(skipped)
        why = f": {named}" if skipped else ""
        raise FormatError(path, None, f"no file of a known annotation format in this folder{why}")
    return plans, _skipped_note(path, skipped)


def _beside_brat(file: Path) -> bool:
    """A ``.txt`` with its ``.ann``, or a ``.conf`` among ``.ann`` files: part of brat."""
    if file.suffix == ".txt":
        return file.with_suffix(".ann").is_file()
    return next(file.parent.glob("*.ann"), None) is not None


def _inside(folder: Path, file: Path) -> str:
    return file.relative_to(folder).as_posix()


def _named(files: list[str]) -> str:
    more = f" and {len(files) - NAMED_SKIPPED} more" if len(files) > NAMED_SKIPPED else ""
    return ", ".join(files[:NAMED_SKIPPED]) + more


def _skipped_note(
    path: Path, skipped: list[str], why: str = "of no known annotation format"
) -> list[str]:
    if not skipped:
        return []
    return [f"{path}: {counted(len(skipped), 'file')} {why} skipped: {_named(skipped)}"]


# -- one record -------------------------------------------------------------------------------


@dataclass
class Pending:
    """A record checked and reduced to what is stored; repeated texts merge into it."""

    text: str
    digest: str
    meta: dict[str, Any]
    tokens: TokenOffsets | None
    status: DocumentStatus
    where: str | int
    plan: Plan  # not pickled: ``add`` gives it back to a record from the reading process
    spans: dict[SpanKey, SpanFacts]
    relations: dict[RelationKey, list[ImportedRelation]]  # a record may list one twice
    relation_order: list[tuple[RelationKey, ImportedRelation]]  # as the file lists them
    notes: list[str] = field(default_factory=list)  # the reader's, reported once per source
    encoding: str | None = None  # the text's, when detected and not UTF-8
    stored_span_ids: dict[SpanKey, str] = field(default_factory=dict)  # when merged into one
    repeats: list[Pending] = field(default_factory=list)  # later records of the same text

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "plan": None}  # not pickled again with every record

    def merge(self, other: Pending) -> None:
        self.repeats.append(other)
        for key, span in other.spans.items():
            self.spans[key] = _stronger_span(self.spans.get(key), span)
        for key, relations in other.relations.items():
            if key in self.relations:
                _upgrade(self.relations[key], relations[0].status)
            else:
                self.relations[key] = relations
                self.relation_order.extend((key, relation) for relation in relations)
        self.status = stronger_status(self.status, other.status)


def _stronger_span(current: SpanFacts | None, new: SpanFacts) -> SpanFacts:
    if current is None or SPAN_RANK[new[1]] > SPAN_RANK[current[1]]:
        return new
    return current


def _upgrade(relations: list[ImportedRelation], status: str) -> None:
    for relation in relations:
        if SPAN_RANK[status] > SPAN_RANK[relation.status]:
            relation.status = status  # type: ignore[assignment]


def stronger_status(a: DocumentStatus, b: DocumentStatus) -> DocumentStatus:
    return a if DOCUMENT_RANK[a] >= DOCUMENT_RANK[b] else b


SHARED_MAX = 10_000  # labels and span facts kept by each of the two tables below
_GOOD_LABELS: dict[str, str] = {}  # labels checked once already (a corpus repeats a few): each
# to one string object of its value, that the records' span keys share
_SHARED_FACTS: dict[SpanFacts, SpanFacts] = {}
"""Span facts without a score, each to one tuple of its value that the records' spans share.

A corpus' 330,000 spans have a handful of labels and of facts (origin, status, no score,
``edited``). Shared, a batch sent from the reading process pickles each once and refers to it
after (the memo of one ``pickle.dumps``), and the writing process unpickles one object, not
330,000 strings and tuples: in the import command, 0.38-0.44 -> 0.26-0.33 CPU s to unpickle
the batches of 10,000 articles, which are 55 MB instead of 59."""


def _check_label(label: Any, what: str, path: Path, where: str | int) -> None:
    if type(label) is str and label in _GOOD_LABELS:
        return
    problem = label_problem(label)
    if problem is not None:
        raise FormatError(path, where, f"{what} label {repr(label)[:60]}: {problem}")
    if len(_GOOD_LABELS) < SHARED_MAX:
        _GOOD_LABELS[label] = label


def _check_annotation(
    item: ImportedSpan | ImportedRelation, what: str, plan: Plan, where: str | int
) -> None:
    """Its label and score, as every format must give them (readers pass on what they read)."""
    _check_label(item.label, what, plan.path, where)
    score = item.score
    described = f"{what} {item.label}"
    if score is not None and limits.check_score(score, plan.path, where, described) is None:
        raise FormatError(plan.path, where, f"{described}: score {score!r} is not a number")


def check_record(record: ImportRecord, plan: Plan) -> Pending:
    """Check one record against its own text; a ``FormatError`` names its place."""
    path, where, text = plan.path, record.where, record.text
    if not isinstance(text, str):
        raise FormatError(path, where, "the text is not a string")
    utf8 = limits.check_text(text, path, where)
    limits.check_value(record.meta, path, where, "the record's meta")
    length = len(text)
    spans: dict[SpanKey, SpanFacts] = {}
    by_key: dict[str, SpanKey] = {}
    origin = f"import:{plan.format}"
    for span in record.spans:  # 330,000 spans a corpus: fields read once, no call per span
        start, end, label, status = span.start, span.end, span.label, span.status
        if not (
            (type(start) is int or limits.is_offset(start))
            and (type(end) is int or limits.is_offset(end))
        ):
            raise FormatError(path, where, f"span {start!r}-{end!r}: offsets must be integers")
        if not (0 <= start < end <= length):
            raise FormatError(
                path,
                where,
                f"span [{start}, {end}) {label} is outside the text ({length} characters) or empty",
            )
        if status not in SPAN_RANK:
            raise FormatError(path, where, f"span status {status!r} is unknown")
        score = span.score
        if score is not None or type(label) is not str or label not in _GOOD_LABELS:
            _check_annotation(span, "span", plan, where)  # else a label seen, no score: good
            if score is not None and type(score) is not float:
                score = _score(score, path, where)
        key = (start, end, _GOOD_LABELS.get(label, label))
        current = spans.get(key)
        if current is None or SPAN_RANK[status] > SPAN_RANK[current[1]]:
            # the stronger of the two (_stronger_span)
            facts = (span.origin or origin, status, score, span.edited)
            if score is None:
                facts = _SHARED_FACTS.get(facts) or _shared(facts)
            spans[key] = facts
        if span.key is not None:
            by_key[span.key] = key
    relations: dict[RelationKey, list[ImportedRelation]] = {}
    relation_order: list[tuple[RelationKey, ImportedRelation]] = []
    for relation in record.relations:
        _check_annotation(relation, "relation", plan, where)
        ends = []
        for role in ("head", "child"):
            key = by_key.get(getattr(relation, role))
            if key is None:
                raise FormatError(
                    path,
                    where,
                    f"relation {relation.label}: its {role} {getattr(relation, role)!r} is not "
                    "a span of this record",
                )
            ends.append(key)
        if ends[0] == ends[1]:
            raise FormatError(path, where, f"relation {relation.label} links a span to itself")
        if relation.status not in SPAN_RANK:
            raise FormatError(path, where, f"relation status {relation.status!r} is unknown")
        relation.origin = relation.origin or origin
        relation.score = _score(relation.score, path, where)
        relation_key = (ends[0], ends[1], relation.label)
        relations.setdefault(relation_key, []).append(relation)
        relation_order.append((relation_key, relation))
    if record.status is not None and record.status not in DOCUMENT_RANK:
        raise FormatError(path, where, f"document status {record.status!r} is unknown")
    status = record.status or _default_status(spans.values())
    encoding = record.meta.get("encoding") if isinstance(record.meta, dict) else None
    return Pending(
        text=text,
        digest=utf8_hash(utf8),
        meta=record.meta,
        tokens=record.tokens or None,
        status=status,
        where=where,
        plan=plan,
        spans=spans,
        relations=relations,
        relation_order=relation_order,
        notes=record.notes,
        encoding=encoding if isinstance(encoding, str) else None,
    )


def _shared(facts: SpanFacts) -> SpanFacts:
    if len(_SHARED_FACTS) < SHARED_MAX:
        _SHARED_FACTS[facts] = facts
    return facts


def checked_records(plans: list[Plan]) -> Iterator[tuple[int, Pending | None]]:
    """Each record of every source as ``(source index, checked record)``, None for a record
    with no text, or only white space (a ``.txt`` of one line break: nothing to annotate): all
    the import does before the store, a function of the files alone, which runs here or in the
    reading process (``child_iteration``)."""
    for index, plan in enumerate(plans):
        for record in plan.records():
            text = record.text
            blank = not text or (type(text) is str and text.isspace())
            yield index, (None if blank else check_record(record, plan))


def _default_status(spans: Iterable[SpanFacts]) -> DocumentStatus:
    statuses = {facts[1] for facts in spans}
    if "accepted" in statuses:
        return "in_progress"
    return "suggested" if "suggested" in statuses else "new"


_SCORE = pydantic.TypeAdapter(float | None)


def _score(score: Any, path: Path, where: str | int) -> float | None:
    """A score as ``Span.score`` / ``Relation.score`` take it (a float or none)."""
    if score is None or type(score) is float:
        return score
    try:
        return _SCORE.validate_python(score)
    except pydantic.ValidationError as error:
        raise FormatError(path, where, f"score: {one_line(error)}") from None
