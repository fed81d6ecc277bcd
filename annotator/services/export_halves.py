"""An export part written by two processes: this one writes its first documents, a second
process (``child_iteration``) the rest, and the second file is joined to the first.

An export reads each document's rows out of SQLite through ``sqlite3`` (a Python object per
value) and formats it, on one core. A writer whose files join (``WriterEntry.joinable``:
doccano, CoNLL, Prodigy, our JSONL) can have its second half read and written on the
machine's second core meanwhile. A writer that reads tokens finds them committed: the export
makes the missing ones before its read transaction when it writes in two processes.

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
from annotator.services.child_iteration import iterate_in_child, usable_cores
from annotator.services.export_records import export_documents
from annotator.store import Project

MIN_DOCUMENTS = 2_000
"""Documents in a part at least: below, the second interpreter's start-up (0.3 to 0.4 s)
costs about what it saves."""
SECOND_SHARE = 0.45
"""The second process' share of a part's documents: it starts 0.3 to 0.4 s after this one."""

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
) -> None:
    """Write the part ``ids`` to ``staged`` as ``entry.write`` would, the last
    ``SECOND_SHARE`` of them in a second process."""
    cut = len(ids) - int(len(ids) * SECOND_SHARE)
    target = part_path(staged, part, entry.suffix)
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
    weight = len(ids) / cut  # both halves go at about the same pace
    with iterate_in_child(f"{__name__}:write_second_half", second) as results:
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
