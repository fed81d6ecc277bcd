"""Importing files into a project: streamed, in one transaction per command, with a report.

Any registered reader works here. Records are read and checked one at a time
(``import_records``; for large sources in a second process, ``child_iteration``) and written
in batches (inserted with ``executemany``), so memory stays flat however many documents a file
holds.
Texts are not tokenized here: tokens land on first need (``services.tokenizing``), or right
after the import with ``import_into_file(tokenize_after=...)``; tokens the file brings are
checked and kept. Nor are the texts added to the document list's text index: it catches up
after the commit (``Project.index_texts``; the window does it in the background), and the text
filter scans the texts it does not hold yet meanwhile. One bad record rolls back everything
the command wrote and raises one line naming the file and the line (or document); nothing is
kept.

Rules, also in docs/importing.md:
- the same text already in the project is not imported again: it is counted as a duplicate,
  with where it was seen, and the record's annotations are left out;
- a text repeated within one command is one document: its annotations are merged (the same
  offsets and label once, the strongest status: accepted > rejected > suggested); within one
  record, a relation listed twice is kept twice, as the file has it;
- labels the source brings that the schema lacks are added to it (relation labels allow the
  (head, child) label pairs seen) and reported; a project created by the import starts with
  no labels but those (the default schema only when the source brings none);
- a span off token boundaries is stored and flagged (counted as misaligned) once the document
  has tokens: from the file, else when they are made (until then its flag is unknown);
- a document's status is the record's, else ``in_progress`` when it has accepted spans,
  ``suggested`` when it has suggested ones, else ``new``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from itertools import islice
from operator import add, itemgetter
from pathlib import Path
from typing import Any

from annotator.errors import AnnotatorError, Cancelled, FormatError
from annotator.io import (
    formats,  # noqa: F401 - registers every reader
    tokenize,
)
from annotator.io import jsonl as jsonl_io
from annotator.io import text as text_io
from annotator.io.registry import READERS, collector_paused
from annotator.model import (
    LabelSchema,
    TokenBoundaries,
    default_schema,
)
from annotator.model.document import TokenOffsets, check_tokens, encode_offsets
from annotator.model.span import consecutive_ids
from annotator.services.child_iteration import iterate_in_child, usable_cores
from annotator.services.import_records import (
    SPAN_RANK,
    Pending,
    Plan,
    SourceReport,
    checked_records,
    plan_sources,
    stronger_status,
)
from annotator.services.projects import new_project
from annotator.services.tokenizing import ensure_tokens
from annotator.store import Project
from annotator.wording import counted

Progress = Callable[[int, int | None], None]
SPLITS = text_io.SPLITS
BATCH_RECORDS = 250
BATCH_CHARACTERS = 1_000_000
DUPLICATE_EXAMPLES = 10
_LINE_FORMATS = frozenset({"jsonl", "prodigy", "annotator"})  # one record per non-blank line


@dataclass
class ImportReport:
    sources: list[SourceReport] = field(default_factory=list)
    documents: int = 0
    duplicates: int = 0
    duplicate_examples: list[str] = field(default_factory=list)
    repeated: int = 0
    repeated_places: dict[str, list[str | int]] = field(default_factory=dict)  # by source
    empty: int = 0
    spans: int = 0
    relations: int = 0
    misaligned: int = 0
    spans_by_status: dict[str, int] = field(default_factory=dict)
    relations_by_status: dict[str, int] = field(default_factory=dict)
    labels_added: list[str] = field(default_factory=list)
    relation_labels_added: list[str] = field(default_factory=list)
    relation_pairs_added: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    encodings: dict[str, list[str]] = field(default_factory=dict)  # detected -> files
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(source.records for source in self.sources)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["records"] = self.records
        data["relation_pairs_added"] = {
            name: [list(pair) for pair in pairs]
            for name, pairs in self.relation_pairs_added.items()
        }
        return data


def check_language(lang: str) -> None:
    """Refuse, before a project is created, a language spaCy cannot tokenize."""
    tokenize.check_language(lang)


def known_formats() -> list[str]:
    """Every registered reader name, for a format choice (``auto`` is not among them)."""
    return sorted(READERS)


def import_sources(
    project: Project,
    sources: list[Path],
    format: str = "auto",
    split: str = "none",
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    skip_invalid: bool = False,
    text_key: str | None = None,
) -> ImportReport:
    """Import every source (file or folder) in one transaction; see the module docstring.

    ``progress(records_read, total_or_None)`` is called after each batch; ``cancel()`` is asked
    before each record and, when true, everything is rolled back (``Cancelled``). Large
    sources are read and checked in a second process meanwhile (``READ_APART_FROM``).
    ``skip_invalid`` lets readers that can (doccano, Label Studio) leave out a region whose
    offsets run past its text or whose text does not match, listing it in the document's meta,
    instead of refusing the whole import. ``text_key`` names the field holding the text for
    readers that look for it (doccano, Label Studio) when they cannot tell by themselves.
    """
    lang = project.settings.lang
    with read_sources(sources, format, split, lang, skip_invalid, text_key) as reading:
        return write_records(project, reading, progress, cancel)


@dataclass
class Reading:
    """Sources being read (``read_sources``): their plans, and their checked records."""

    plans: list[Plan]
    records: CheckedRecords
    total: int | None  # how many records, when cheap to know (``_total``), for progress
    started: float  # ``time.perf_counter()`` when reading began, for the report
    notes: list[str] = field(default_factory=list)  # on the sources (a folder's skipped files)


@contextmanager
def read_sources(
    sources: list[Path],
    format: str,
    split: str,
    lang: str,
    skip_invalid: bool = False,
    text_key: str | None = None,
) -> Iterator[Reading]:
    """Choose each source's reader and start reading: a bad source or option is refused
    here, before anything is written. A project made for the import is made after this, so
    a reading process (``READ_APART_FROM``) starts meanwhile; leaving the block stops it."""
    started = time.perf_counter()
    if split not in SPLITS:
        raise AnnotatorError(f"unknown --split {split!r} (use {', '.join(SPLITS)})")
    check_language(lang)
    reader_options: dict[str, Any] = {"invalid_spans": "skip"} if skip_invalid else {}
    if text_key:
        reader_options["text_key"] = text_key
    plans: list[Plan] = []
    notes: list[str] = []
    for source in sources:
        found, said = plan_sources(Path(source), format, split, lang, reader_options)
        plans += found
        notes += said
    with _checked_records_of(plans) as records:
        # counted while the reading process, if there is one, starts
        yield Reading(plans, records, _total(plans, split), started, notes)


def write_records(
    project: Project,
    reading: Reading,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ImportReport:
    """Write what ``reading`` reads into ``project``, in one transaction (``import_sources``)."""
    plans, records = reading.plans, reading.records
    report = ImportReport(sources=[plan.report for plan in plans], notes=list(reading.notes))
    with collector_paused(), project.bulk_cache(), project.transaction():
        with (
            project.documents_counted_after(),
            project.annotations_indexed_after() as index_annotations,
        ):
            importer = _Importer(project, report, progress, reading.total, index_annotations)
            for index, pending in records:
                if cancel is not None and cancel():
                    raise Cancelled("import cancelled; nothing from it was kept")
                importer.add(pending, plans[index])
            importer.flush()
        # its documents' accepted spans joined for the export (m008), once its indexes are back
        project.keep_span_places(after=importer.last_before)
        importer.report_notes()
        report.seconds = round(time.perf_counter() - reading.started, 3)
        project.log_event("import", _describe(report), report.to_dict(), actor="import")
    return report


def import_into_file(
    path: str | Path,
    sources: list[Path],
    format: str = "auto",
    split: str = "none",
    lang: str | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    skip_invalid: bool = False,
    text_key: str | None = None,
    tokenize_after: Progress | None = None,
) -> tuple[ImportReport, bool]:
    """``annotator import``: open the project, or create it (``lang``, default fr), and import.

    ``tokenize_after`` (a progress callback) makes the tokens of every document without them
    once the import has committed (``services.tokenizing``), counting the spans found off token
    boundaries in the report; otherwise they are made on first need.

    Returns the report and whether the project was created. A project created here starts
    from the labels the source brings (entity and relation labels), not from the default
    schema as well, so that an export trains on no label the data never uses; a source with no
    labels gets the default schema. When the import fails, a project created for it is removed
    again, so a failed command leaves nothing behind; interrupted (Ctrl-C), it raises
    ``Cancelled`` saying so (the tokenizing after it keeps what it committed).
    """
    path = Path(path)
    lang = lang.strip().lower() if lang else lang  # spaCy's codes: "FR" is fr
    was_there = path.exists()
    created = not (was_there and path.stat().st_size > 0)
    with ExitStack() as reading_stack:  # leaving it stops the reading process, if any
        if created:
            # the sources first: a bad one is refused before the file is made, and a reading
            # process starts while it is made
            reading = reading_stack.enter_context(
                read_sources(sources, format, split, lang or "fr", skip_invalid, text_key)
            )
            project = new_project(path, lang=lang or "fr")
            project.set_schema(LabelSchema())  # the labels the source brings, and only those
        else:
            project = Project.open(path)
        last_before = project.last_document_id()
        try:
            if not created:
                reading = reading_stack.enter_context(
                    read_sources(
                        sources, format, split, project.settings.lang, skip_invalid, text_key
                    )
                )
            # a file made here, that no one else has open: written through a rollback
            # journal, not the WAL (see ``Project.rollback_journal``)
            with project.rollback_journal() if created else nullcontext():
                report = write_records(project, reading, progress, cancel)
            if created and not report.documents:  # else an empty project is left behind
                what = (
                    f"{counted(report.empty, 'record')} with an empty or blank text"
                    if report.empty
                    else "no record"
                )
                raise AnnotatorError(
                    f"{', '.join(map(str, sources))}: nothing to import ({what}); "
                    f"{path} was not made"
                )
            if created and not project.schema.entities:
                project.set_schema(default_schema())  # the source brought no labels
        except BaseException as error:
            project.close()
            if created:
                for end in ("-wal", "-shm", "-journal"):
                    Path(f"{path}{end}").unlink(missing_ok=True)
                if was_there:
                    path.write_bytes(b"")  # it was an empty file: leave it so
                else:
                    path.unlink(missing_ok=True)
            if isinstance(error, KeyboardInterrupt):  # Ctrl-C: say what it left
                removed = f"; {path}, made for it, is removed" if created and not was_there else ""
                raise Cancelled(f"import interrupted; nothing from it was kept{removed}") from None
            raise
    if not created and lang and lang != project.settings.lang:
        report.notes.append(
            f"the project's language is {project.settings.lang}; --lang {lang} was not used"
        )
    try:
        if tokenize_after is not None:
            new = [doc_id for doc_id in project.document_ids() if doc_id > last_before]
            ensure_tokens(project, new, progress=tokenize_after, cancel=cancel)
            report.misaligned = project.count_misaligned(after_document=last_before)
    finally:
        project.close()
    return report, created


# -- planning ---------------------------------------------------------------------------------


READ_APART_FROM = 16 * 2**20
"""Sources of this many bytes and more, on a machine with two cores or more, are read and
checked in a second process (``child_iteration``) while this one writes to the store."""


_ROW_STATUS = itemgetter(6)  # of a span row (``Project.add_span_rows``)
CheckedRecords = Iterator[tuple[int, Pending | None]]
READING_TARGET = "annotator.services.import_records:checked_records"


@contextmanager
def _checked_records_of(plans: list[Plan]) -> Iterator[CheckedRecords]:
    """``import_records.checked_records(plans)``, read in the reading process when the
    sources are large enough to pay for starting it (a fifth of a second): reading and
    checking 10,000 documents is a third of an import's time, which then overlaps the
    writing. Where no process can be started (memory, limits), they are read here."""
    if usable_cores() > 1 and sum(_size(plan.path) for plan in plans) >= READ_APART_FROM:
        with ExitStack() as stack:
            try:
                records = stack.enter_context(iterate_in_child(READING_TARGET, plans))
            except OSError:
                pass
            else:
                yield records
                return
    yield checked_records(plans)


def _size(path: Path) -> int:
    """A file's size in bytes, or the total of a folder's files; 0 when it cannot be told
    (the reader then says what is wrong with the source)."""
    try:
        if path.is_file():
            return path.stat().st_size
        return sum(child.stat().st_size for child in path.rglob("*") if child.is_file())
    except OSError:
        return 0


def _total(plans: list[Plan], split: str) -> int | None:
    """How many records all sources hold, when cheap to know (for a real progress bar)."""
    total = 0
    for plan in plans:
        if plan.format in _LINE_FORMATS and plan.path.is_file():
            total += jsonl_io.count_documents(plan.path)
        elif plan.format == "text" and split == "none":
            total += text_io.count_documents(plan.path)
        else:
            return None
    return total


def _describe(report: ImportReport) -> str:
    sources = ", ".join(source.source for source in report.sources)
    return (
        f"import {report.documents} documents, {report.spans} spans, "
        f"{report.relations} relations from {sources}"
    )


def place(path: str | Path, where: str | int | None) -> str:
    """``file:line`` or ``file (document 3)``, as error messages name a record."""
    if isinstance(where, int):
        return f"{path}:{where}"
    return f"{path} ({where})" if where else str(path)


PLACES_SHOWN = 10


def describe_places(places: list[str | int]) -> str:
    """``lines 4, 9, 12`` (line numbers) or ``task 3, task 7``: the first ``PLACES_SHOWN``,
    then ``...``."""
    shown = ", ".join(str(place) for place in places[:PLACES_SHOWN])
    more = ", ..." if len(places) > PLACES_SHOWN else ""
    lines = "lines " if all(isinstance(place, int) for place in places) else ""
    return f"{lines}{shown}{more}"


# -- one record -------------------------------------------------------------------------------


# -- batches ----------------------------------------------------------------------------------


class _Importer:
    """Collects records into batches and writes each batch with a few bulk statements."""

    def __init__(
        self,
        project: Project,
        report: ImportReport,
        progress: Progress | None,
        total: int | None,
        index_annotations: Callable[[], None] = lambda: None,
    ) -> None:
        self.project = project
        self.index_annotations = index_annotations  # before reading by document or label
        self.report = report
        self.progress = progress
        self.total = total
        self.last_before = project.last_document_id()
        self.batch: dict[str, Pending] = {}
        self.fresh: set[int] = set()  # the batch's new documents: revisions counted at insert
        self.characters = 0
        self.read = 0
        self.notes: dict[tuple[str, str], list[str | int]] = {}  # (source, note) -> places
        if progress is not None:
            progress(0, total)

    def add(self, pending: Pending | None, plan: Plan) -> None:
        """One record of ``plan``'s source, checked (``checked_records``)."""
        plan.report.records += 1
        self.read += 1
        if pending is None:  # no text
            plan.report.empty += 1
            self.report.empty += 1
            return
        pending.plan = plan
        for note in pending.notes:
            self.notes.setdefault((str(plan.path), note), []).append(pending.where)
        encoding = pending.encoding
        if encoding is not None:
            inside = pending.meta.get("file")  # the file, in a folder read as one source
            folder = isinstance(inside, str) and plan.path.is_dir()
            file = str(plan.path / inside if folder else plan.path)
            files = self.report.encodings.setdefault(encoding, [])
            if not files or files[-1] != file:  # a file's records come together
                files.append(file)
        known = self.batch.get(pending.digest)
        if known is not None:
            known.merge(pending)
        else:
            self.batch[pending.digest] = pending
            self.characters += len(pending.text)
        if len(self.batch) >= BATCH_RECORDS or self.characters >= BATCH_CHARACTERS:
            self.flush()

    def _count_repeated(self, pending: Pending) -> None:
        pending.plan.report.repeated += 1
        self.report.repeated += 1
        source = str(pending.plan.path)
        self.report.repeated_places.setdefault(source, []).append(pending.where)

    def report_notes(self) -> None:
        """Each reader note once per source, with how many records gave it and where."""
        for (source, note), places in self.notes.items():
            count = counted(len(places), "record")
            self.report.notes.append(f"{source}: {note} ({count}: {describe_places(places)})")

    def flush(self) -> None:
        if self.batch:
            self._write(list(self.batch.values()))
            self.batch.clear()
            self.characters = 0
        if self.progress is not None:
            self.progress(self.read, self.total)

    def _write(self, batch: list[Pending]) -> None:
        project = self.project
        stored = project.document_ids_by_hash([pending.digest for pending in batch])
        fresh: list[Pending] = []
        targets: list[tuple[int, Pending]] = []  # (document id, annotations to add)
        for pending in batch:
            doc_id = stored.get(pending.digest)
            if doc_id is not None and doc_id <= self.last_before:
                for record in (pending, *pending.repeats):
                    self._count_duplicate(record, doc_id)
                continue
            for repeat in pending.repeats:
                self._count_repeated(repeat)
            if doc_id is None:
                fresh.append(pending)
            else:
                self._count_repeated(pending)
                self.index_annotations()
                targets.append((doc_id, self._merge_stored(doc_id, pending)))
        boundaries: dict[int, TokenBoundaries] = {}
        rows = self._document_rows(fresh, boundaries)
        # a new document's revision as the bumps of its spans and relations would leave it
        revisions = [int(bool(p.spans)) + int(bool(p.relation_order)) for p in fresh]
        added = project.add_document_rows(rows, index_texts=False, revisions=revisions)
        self.fresh = set(added)
        for pending, doc_id in zip(fresh, added, strict=True):
            pending.plan.report.documents += 1
            self.report.documents += 1
            if -id(pending) in boundaries:
                boundaries[doc_id] = boundaries.pop(-id(pending))
            targets.append((doc_id, pending))
        self._extend_schema([pending for _, pending in targets])
        self._insert_annotations(targets, boundaries)

    def _document_rows(
        self, fresh: list[Pending], boundaries: dict[int, TokenBoundaries]
    ) -> list[tuple[str, str, str, str, str | None]]:
        """Each new document as the store's row, checked; the boundaries of tokens the file
        brings go into ``boundaries`` under ``-id(pending)`` until the store gives the document
        its id. Tokens the file brings are checked against the text; the others are made on
        first need (``services.tokenizing``), so their offsets are None here.
        """
        rows = []
        for pending in fresh:
            if not isinstance(pending.meta, dict):
                raise FormatError(pending.plan.path, pending.where, "the meta is not an object")
            offsets = None
            if pending.tokens is not None:
                try:
                    check_tokens(pending.tokens, len(pending.text))
                except (TypeError, ValueError) as error:
                    raise FormatError(pending.plan.path, pending.where, str(error)) from None
                offsets = encode_offsets(*_columns(pending.tokens))
                boundaries[-id(pending)] = TokenBoundaries(pending.tokens)
            meta = json.dumps(pending.meta, ensure_ascii=False)
            rows.append((pending.text, pending.digest, meta, pending.status, offsets))
        return rows

    def _count_duplicate(self, pending: Pending, doc_id: int) -> None:
        pending.plan.report.duplicates += 1
        self.report.duplicates += 1
        if len(self.report.duplicate_examples) < DUPLICATE_EXAMPLES:
            self.report.duplicate_examples.append(
                f"{place(pending.plan.path, pending.where)} is document {doc_id}"
            )

    def _merge_stored(self, doc_id: int, pending: Pending) -> Pending:
        """A text added earlier in this command: upgrade what it has, return what is new."""
        project = self.project
        stored = {(span.start, span.end, span.label): span for span in project.spans(doc_id)}
        for key, (_, status, *_) in list(pending.spans.items()):
            current = stored.get(key)
            if current is None:
                continue
            if SPAN_RANK[status] > SPAN_RANK[current.status]:
                project.replace_span(current, current.model_copy(update={"status": status}))
            del pending.spans[key]
        pending.stored_span_ids = {key: span.id for key, span in stored.items()}
        keys_by_id = {span.id: key for key, span in stored.items()}
        for relation in project.relations(doc_id):
            key = (keys_by_id[relation.head], keys_by_id[relation.child], relation.label)
            new = pending.relations.pop(key, None)
            if new is not None and SPAN_RANK[new[0].status] > SPAN_RANK[relation.status]:
                project.replace_relation(
                    relation, relation.model_copy(update={"status": new[0].status})
                )
        current_status = project.document_status(doc_id)
        status = stronger_status(current_status, pending.status)
        if status != current_status:
            project.set_document_status(doc_id, status)
        return pending

    def _extend_schema(self, batch: list[Pending]) -> None:
        schema = self.project.schema
        entity_names = {key[2] for pending in batch for key in pending.spans}
        entity_names |= {
            key[i][2] for pending in batch for key in pending.relations for i in (0, 1)
        }
        missing = entity_names - set(schema.entity_names)
        pairs: dict[str, set[tuple[str, str]]] = {}
        # each (label, head label, child label) once: a batch repeats a few thousand times
        seen = {(label, head[2], child[2]) for p in batch for head, child, label in p.relations}
        for label, *pair in seen:
            known = schema.relation(label)
            if known is None or not known.allows(*pair):
                pairs.setdefault(label, set()).add((pair[0], pair[1]))
        if not missing and not pairs:
            return
        if self.report.spans:
            self.index_annotations()  # set_schema reads the labels in use: by the label index
        self.project.set_schema(schema.with_labels(missing, pairs))
        self.report.labels_added.extend(sorted(missing))
        self.report.relation_labels_added.extend(
            sorted(label for label in pairs if schema.relation(label) is None)
        )
        for label, new_pairs in sorted(pairs.items()):
            seen = self.report.relation_pairs_added.setdefault(label, [])
            seen.extend(sorted(pair for pair in new_pairs if pair not in seen))

    def _insert_annotations(
        self, targets: list[tuple[int, Pending]], boundaries: dict[int, TokenBoundaries]
    ) -> None:
        """Spans and relations as the store's plain rows (no model object for each: a corpus
        has hundreds of thousands); the store checks them against texts and schema."""
        spans: list[tuple] = []
        relations: list[tuple] = []
        relation_statuses: list[str] = []
        ends: dict[str, tuple[int, str]] = {}  # span id -> (document, label), of relations
        # ids in insert order: a batch's rows go to one place of each id index (random ids
        # sent each row to its own page: twice the work once the indexes outgrow the cache)
        span_ids = iter(consecutive_ids(sum(len(pending.spans) for _, pending in targets)))
        relation_ids = iter(consecutive_ids(sum(len(p.relation_order) for _, p in targets)))
        for doc_id, pending in targets:
            ids = dict(pending.stored_span_ids)
            new_ids = list(islice(span_ids, len(pending.spans)))
            ids.update(zip(pending.spans, new_ids, strict=True))
            # each row joined in C: (id, doc_id) + (start, end, label) + (origin, status,
            # score, edited), the store's order (SpanFacts)
            spans.extend(
                map(
                    add,
                    map(add, zip(new_ids, [doc_id] * len(new_ids), strict=True), pending.spans),
                    pending.spans.values(),
                )
            )
            pending.plan.report.spans += len(pending.spans)
            listed = [
                (key, relation)
                for key, relation in pending.relation_order
                if key in pending.relations  # else already in the project (a repeated text)
            ]
            for ((head, child, label), relation), relation_id in zip(
                listed, islice(relation_ids, len(listed)), strict=True
            ):
                head_id, child_id = ids[head], ids[child]
                ends[head_id], ends[child_id] = (doc_id, head[2]), (doc_id, child[2])
                relations.append(
                    (
                        relation_id,
                        doc_id,
                        head_id,
                        child_id,
                        label,
                        relation.origin,
                        relation.status,
                        relation.score,
                    )
                )
                relation_statuses.append(relation.status)
            pending.plan.report.relations += len(listed)
        if spans:
            inserted, misaligned = self.project.add_span_rows(spans, boundaries, self.fresh)
            self.report.spans += inserted
            self.report.misaligned += misaligned
            _add_counts(self.report.spans_by_status, map(_ROW_STATUS, spans))
        if relations:
            self.report.relations += self.project.add_relation_rows(relations, self.fresh, ends)
            _add_counts(self.report.relations_by_status, relation_statuses)


def _add_counts(counts: dict[str, int], keys: Iterable[str]) -> None:
    for key, number in Counter(keys).items():
        counts[key] = counts.get(key, 0) + number


def _columns(tokens: TokenOffsets) -> tuple[tuple[int, ...], tuple[int, ...]]:
    starts, ends = zip(*tokens, strict=True) if tokens else ((), ())
    return starts, ends
