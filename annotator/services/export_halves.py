"""An export part written by two processes: this one writes its first documents, a second
process (``child_iteration``) the rest, and the second file is joined to the first.

An export reads each document's rows out of SQLite through ``sqlite3`` (a Python object per
value) and formats it, on one core. A writer whose files join (``WriterEntry.joinable``:
doccano, CoNLL, Prodigy, our JSONL) can have its second half read and written on the
machine's second core meanwhile. A writer that reads tokens finds them committed: the export
makes the missing ones before its read transaction when it writes in two processes.

The command starts the second process ahead (``SecondProcesses.start``), while it opens the
project and selects the documents: the interpreter's start-up (0.3 to 0.4 s) is then over when
the second half is ready to go, and that half is nearly as large as the first. Where no
process can be started (memory, process limits), the part is written here, as by one process.

Both processes must read the same state of the project. Only ``export_project_file`` (the
command line) asks for two processes: it holds the project's writer lock, so no other process
writes, and it writes nothing itself until the export is done. The window exports in one
process, since its own connection may write while the export runs.

Where a writer numbers through the file (``WriterEntry.numbered``: doccano's entity and
relation ids), the second half's numbers go on from the first's: the second process has SQLite
count what the first half holds (``Project.export_counts``), and the count is checked here
against what the first half's writer wrote. Should they differ, or
should the second process fail, the second half is written again here, from the right
numbers: the file is the one a single process writes, byte for byte.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import annotator.io.formats  # noqa: F401 - registers every writer, in the second process too
from annotator.io.records import ExportDocument, ExportReport
from annotator.io.registry import (
    WRITE_BUFFER,
    WRITERS,
    WriterEntry,
    collector_paused,
    part_path,
)
from annotator.services.child_iteration import StartedChild, child_started, usable_cores
from annotator.services.export_records import export_documents
from annotator.store import Project

MIN_DOCUMENTS = 2_000
"""Documents in a part at least: below, the second interpreter's start-up (0.3 to 0.4 s)
costs about what it saves."""
SECOND_SHARE = 0.45
"""The second process' share of a part's documents when it starts with the part: 0.3 to 0.4 s
after this process begins writing."""
SECOND_SHARE_AHEAD = 0.48
"""Its share when it was started ahead (``SecondProcesses.start``): ready when the part is."""
AHEAD_FROM_BYTES = 16 * 2**20
"""Project files of this size and more: the command starts a second process ahead of knowing
whether a part has ``MIN_DOCUMENTS`` (10,000 documents of the benchmark's corpus: 200 MB)."""
TARGET = f"{__name__}:write_second_half"

Stream = Callable[[Sequence[int], float], Iterator[ExportDocument]]
"""The service's documents of these ids, each counted as this many for its progress."""


@dataclass(frozen=True)
class SecondHalf:
    """What the second process writes, and where (it pickles)."""

    project: Path
    format: str
    ids: list[int]
    statuses: tuple[str, ...]
    output: Path
    first_ids: list[int]  # the first half's documents, whose entities and relations it counts
    numbered: bool  # whether to count them (``WriterEntry.numbered``)
    options: dict[str, Any] = field(default_factory=dict)  # the writer's other keywords


class SecondProcesses:
    """The second processes of an export's parts: the first may have been started ahead
    (``start``), the others are started with their part. Leaving the block stops any still
    running (one started ahead and not needed)."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._ready: StartedChild | None = None

    def __enter__(self) -> SecondProcesses:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def start(self) -> None:
        """Start one now, for the first part written in two processes (none where no process
        can be started: the part then starts its own, or is written by one process)."""
        if self._ready is None:
            with suppress(OSError):
                self._ready = self._stack.enter_context(child_started(TARGET))

    @contextmanager
    def take(self) -> Iterator[tuple[StartedChild, bool]]:
        """A second process, and whether it was started ahead."""
        if self._ready is not None:
            child, self._ready = self._ready, None
            try:
                yield child, True
            finally:  # as ``child_started`` stops the others: not left writing
                child.stop()
        else:
            with child_started(TARGET) as child:
                yield child, False


def worth_starting_ahead(format: str, project_path: Path) -> bool:
    """Whether the export command of ``format`` from ``project_path`` is likely to write a part
    in two processes: a large project file, two cores, and a joinable format (asked last: the
    format's module is imported to tell, spaCy with some)."""
    try:
        if project_path.stat().st_size < AHEAD_FROM_BYTES or usable_cores() < 2:
            return False
    except OSError:
        return False
    entry = WRITERS.get(format)
    return entry is not None and entry.joinable and bool(entry.suffix)


def in_halves(entry: WriterEntry, documents: int, processes: int) -> bool:
    """Whether a part of ``documents`` is written in two processes."""
    return (
        processes > 1
        and entry.joinable
        and bool(entry.suffix)
        and documents >= MIN_DOCUMENTS
        and usable_cores() > 1
    )


def write_in_halves(
    project: Project,
    entry: WriterEntry,
    ids: Sequence[int],
    statuses: tuple[str, ...],
    stream: Stream,
    staged: Path,
    part: str | None,
    options: dict[str, Any],
    report: ExportReport,
    processes: SecondProcesses,
    start_next: bool = False,
) -> None:
    """Write the part ``ids`` to ``staged`` as ``entry.write`` would, the last
    ``SECOND_SHARE`` of them (``SECOND_SHARE_AHEAD`` when ``processes`` has one started
    ahead) in a second process, taken from ``processes`` (which outlives the part).
    ``start_next``: a later part will take one too, started now, so that its start-up (0.3 to
    0.4 s) is over when that part begins."""
    target = part_path(staged, part, entry.suffix)
    with ExitStack() as stack:
        try:
            child, ahead = stack.enter_context(processes.take())
        except OSError:  # no process can be started: all of the part here
            entry.write(stream(ids), staged, part=part, report=report, **options)
            return
        if start_next:
            processes.start()
        cut = len(ids) - int(len(ids) * (SECOND_SHARE_AHEAD if ahead else SECOND_SHARE))
        second = SecondHalf(
            project=project.path,
            format=entry.name,
            ids=list(ids[cut:]),
            statuses=statuses,
            output=staged.parent / f".{target.name}.second",  # beside, not in, the staged output
            first_ids=list(ids[:cut]),
            numbered=entry.numbered,
            options=options,
        )
        results = child.items(second)
        weight = len(ids) / cut  # both halves go at about the same pace
        before = report.spans, report.relations
        entry.write(stream(ids[:cut], weight), staged, part=part, report=report, **options)
        written = report.spans - before[0], report.relations - before[1]
        try:
            counted, second_report = next(results)
        except Exception:  # whatever stopped it, the second half is written here
            counted, second_report = None, None
    if second_report is not None and (counted == written or not entry.numbered):
        report.documents += second_report.documents
        report.spans += second_report.spans
        report.relations += second_report.relations
        report.warnings.extend(second_report.warnings)
        for key, value in second_report.counts.items():
            report.count(key, value)
        report.summaries.update(second_report.summaries)
    else:  # numbered from a count the first half does not hold, or not written
        write_here(entry, second, stream, written, options, report)
    summary = report.summaries.pop(str(second.output), None)
    if summary is not None:
        report.summaries[str(target)].add(summary)
    _join(target, second.output, report)


def write_here(
    entry: WriterEntry,
    second: SecondHalf,
    stream: Stream,
    first: tuple[int, int],
    options: dict[str, Any],
    report: ExportReport,
) -> None:
    """The second half written by this process after all, numbered from ``first``, what the
    first half holds."""
    entry.write(
        stream(second.ids, 1.0), second.output, part=None, report=report, first=first, **options
    )
    report.files.remove(str(second.output))  # joined to the first half's file
    report.digests.pop(str(second.output), None)


def write_second_half(
    second: SecondHalf,
) -> Iterator[tuple[tuple[int, int], ExportReport]]:
    """The second process' side: count what the first half holds, then write ``second.ids`` to
    ``second.output`` numbered from there, in one read transaction; yields the count and the
    report."""
    entry = WRITERS[second.format]
    report = ExportReport()
    with Project.reader(second.project) as project, project.snapshot(), collector_paused():
        first = (0, 0)
        if second.numbered:
            first = project.export_counts(second.first_ids, second.statuses)
        documents = export_documents(
            project,
            second.ids,
            second.statuses,
            report,
            entry.tokens,
            entry.decisions,
            span_fields=entry.spans,
        )
        entry.write(
            documents,
            second.output,
            part=None,
            report=report,
            first=first,
            **second.options,
        )
    report.documents = len(second.ids)
    yield first, report


def _join(target: Path, second: Path, report: ExportReport) -> None:
    """Append ``second`` to ``target`` and take the joined file's SHA-256 for the manifest."""
    with target.open("ab") as joined, second.open("rb") as tail:
        shutil.copyfileobj(tail, joined, WRITE_BUFFER)
    second.unlink()
    with target.open("rb") as joined:
        report.digests[str(target)] = hashlib.file_digest(joined, "sha256").hexdigest()
