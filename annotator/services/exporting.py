"""Exporting a project: pick documents and annotations, split them, stream them to a writer.

The same function serves ``annotator export`` and the window (which passes ``progress`` and
``cancel`` from its worker). It reads the project in one read transaction, so an edit made
meanwhile in another window is in the export whole or not at all (a large export from the
command line reads in two, of one state: ``export_halves``). Files are written in a hidden
folder beside the output and put in place only when the whole export succeeded, so a failed,
cancelled or killed export leaves what was there before (``export_output`` has the rules).
"""

from __future__ import annotations

import math
import random
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Any, BinaryIO, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, field_validator

import annotator.io.formats  # noqa: F401 - registers every reader and writer
from annotator.errors import (
    Cancelled,
    ExportError,
    ProjectLockedError,
    ProjectNotWritableError,
    StoredValueError,
)
from annotator.io.alignment import MisalignedPolicy
from annotator.io.records import ExportDocument, ExportReport
from annotator.io.registry import WRITERS, collector_paused
from annotator.model.parsing import reason
from annotator.services.export_halves import (
    SecondProcesses,
    in_halves,
    worth_starting_ahead,
    write_in_halves,
)
from annotator.services.export_output import prepared_output
from annotator.services.export_records import export_documents
from annotator.services.tokenizing import ensure_tokens
from annotator.store import Project
from annotator.wording import counted

StatusSelection = Literal["done", "all"]
SpanSelection = Literal["accepted", "all"]
Progress = Callable[[int, int], None]

PART_NAMES: dict[int, tuple[str, ...]] = {
    1: ("train",),
    2: ("train", "dev"),
    3: ("train", "dev", "test"),
}
DEFAULT_SPLITS: dict[str, tuple[float, ...]] = {"spacy": (0.8, 0.2)}
EXPORTS_FOLDER = Path("exports")
LOSSLESS_FORMATS = frozenset({"annotator"})


class ExportOptions(BaseModel):
    """What to export and how; each field is a CLI option of ``annotator export``."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    format: str
    output: Path
    status: StatusSelection = "done"
    spans: SpanSelection = "accepted"
    split: tuple[float, ...] | None = None
    seed: int = 0
    misaligned: MisalignedPolicy = "expand"
    force: bool = False

    @field_validator("format")
    @classmethod
    def _known_format(cls, name: str) -> str:
        if name not in WRITERS:
            raise ValueError(f"unknown format {name!r} (known: {', '.join(export_formats())})")
        return name

    @field_validator("split")
    @classmethod
    def _split_fractions(cls, split: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if split is None:
            return None
        if not 1 <= len(split) <= 3:
            raise ValueError("give 1 to 3 fractions (train, dev, test), e.g. 0.8,0.2")
        if any(not math.isfinite(f) or f <= 0 for f in split):
            raise ValueError("every fraction must be above 0")
        if abs(sum(split) - 1) > 1e-6:
            raise ValueError(f"the fractions must add up to 1, not {sum(split):g}")
        return split

    @property
    def effective_split(self) -> tuple[float, ...] | None:
        return self.split or DEFAULT_SPLITS.get(self.format)


def export_options(**values: Any) -> ExportOptions:
    """Checked options; a one-line ``ExportError`` naming the option (``--status: ...``)."""
    try:
        return ExportOptions.model_validate(values)
    except pydantic.ValidationError as error:
        problems = []
        for item in error.errors():
            name = "--" + ".".join(str(p) for p in item["loc"][:1])
            problems.append(f"{name}: {reason(item)}")
        raise ExportError("; ".join(problems)) from None


def export_formats() -> list[str]:
    return sorted(WRITERS)


def parse_split(text: str | None) -> tuple[float, ...] | None:
    """``"0.8,0.2"`` as fractions; a one-line ``ExportError`` when it is not numbers."""
    if text is None or not text.strip():
        return None
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ExportError(f"--split {text!r}: expected fractions such as 0.8,0.2") from None


def default_output(project_path: Path, format: str, split: tuple[float, ...] | None) -> Path:
    """``exports/<project-stem>-<format>``, with the format's file ending for one file."""
    stem = Path(project_path).name.split(".")[0] or "project"
    entry = WRITERS.get(format)
    suffix = entry.suffix if entry else ""
    one_file = suffix and split is None and format not in DEFAULT_SPLITS
    return EXPORTS_FOLDER / f"{stem}-{format}{suffix if one_file else ''}"


def split_documents(
    doc_ids: Sequence[int], fractions: tuple[float, ...], seed: int
) -> dict[str, list[int]]:
    """Shuffle ids with ``seed`` and cut them by the fractions; each part in id order.

    The same ids, fractions and seed always give the same parts.
    """
    shuffled = sorted(doc_ids)
    random.Random(seed).shuffle(shuffled)
    parts: dict[str, list[int]] = {}
    cumulative = 0.0
    start = 0
    for name, fraction in zip(PART_NAMES[len(fractions)], fractions, strict=True):
        cumulative += fraction
        end = (
            len(shuffled)
            if name == PART_NAMES[len(fractions)][-1]
            else round(cumulative * len(shuffled))
        )
        parts[name] = sorted(shuffled[start:end])
        start = end
    return parts


def _selected_statuses(spans: SpanSelection, format: str) -> tuple[str, ...]:
    if spans == "accepted":
        return ("accepted",)
    if format in LOSSLESS_FORMATS:
        return ("accepted", "suggested", "rejected")
    return ("accepted", "suggested")


def export_project(
    project: Project,
    format: str,
    output: Path,
    status: StatusSelection = "done",
    spans: SpanSelection = "accepted",
    split: tuple[float, ...] | None = None,
    seed: int = 0,
    misaligned: MisalignedPolicy = "expand",
    force: bool = False,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    processes: int = 1,
    second_processes: SecondProcesses | None = None,
    logged_as: str | None = None,
    delivered: Callable[[], None] | None = None,
) -> ExportReport:
    """Write the selected documents of ``project`` as ``format`` to ``output``.

    ``status="done"`` exports finished documents, ``"all"`` every one. ``spans="accepted"``
    exports accepted annotations, ``"all"`` pending suggestions too; rejected annotations are
    never exported, except by the lossless ``annotator`` format with ``spans="all"``, which
    keeps them with their status; ``spacy`` never writes a suggestion as a label, and writes the
    tokens nobody judged as missing (see ``annotator.io.docbin_writer``). ``split`` cuts the
    documents into train/dev(/test) with ``seed``; ``spacy`` is split 0.8/0.2 unless told.
    ``misaligned`` says what happens to a span off token boundaries (each is named in the
    report). ``force`` replaces an existing file that no export of ours wrote (never the
    project, an SQLite file or a folder's files). ``processes=2`` lets a large export of a
    joinable format (doccano, CoNLL, Prodigy, annotator) write its second half in a second
    process; only for a caller that holds the project's writer lock and writes nothing
    meanwhile (``export_halves``). The missing tokens are then made, and committed, before
    the export reads the project. ``second_processes`` may hold one started ahead.
    ``logged_as`` names the output in the edit log instead of ``output``, and ``delivered``
    passes the written file on before the export is logged (``export_to_stream``): when it
    raises, the export is not in the edit log.
    """
    options = export_options(
        format=format,
        output=output,
        status=status,
        spans=spans,
        split=split,
        seed=seed,
        misaligned=misaligned,
        force=force,
    )
    entry = WRITERS[options.format]
    output = Path(options.output)
    folder = options.effective_split is not None or not entry.suffix
    try:
        with prepared_output(output, folder, project.path, options.force) as target:
            if processes > 1 and entry.joinable and entry.tokens and not project.read_only:
                # a second process reads only committed tokens: made before the snapshot
                ensure_tokens(project, _selected_ids(project, options), cancel=cancel)
            with project.snapshot(), collector_paused():
                report = _write_export(
                    project, options, target.staged, progress, cancel, processes, second_processes
                )
            report.warnings.extend(target.notes)
            staged_files = list(report.files)
            report.rename_files(
                dict(zip(staged_files, target.commit(staged_files, report), strict=True))
            )
    except OSError as error:
        raise ExportError(
            f"{output}: cannot write the export ({error.strerror or error})"
        ) from None
    except StoredValueError as error:  # a crafted file: a span outside its text...
        raise ExportError(f"{error}; nothing was exported") from None
    except (TypeError, ValueError, OverflowError, AttributeError, IndexError, KeyError):
        found = project.unreadable_value()  # a crafted file: say what, else it is our bug
        if found is None:
            raise
        raise ExportError(f"{project.path}: {found}; nothing was exported") from None
    if delivered is not None:  # the file was a stage on the way (``export_to_stream``)
        delivered()
    if logged_as is not None:
        report.rename_files(dict.fromkeys(report.files, logged_as))
    _log_export(project, options, report, logged_as or str(output))
    return report


def _write_export(
    project: Project,
    options: ExportOptions,
    staged: Path,
    progress: Progress | None,
    cancel: Callable[[], bool] | None,
    processes: int = 1,
    second_processes: SecondProcesses | None = None,
) -> ExportReport:
    """Write the selected documents, each part, to ``staged``; a large part of a joinable
    format in two processes when ``processes`` allows (``export_halves``)."""
    doc_ids = _selected_ids(project, options)
    if not doc_ids:
        total = project.count_documents()
        raise ExportError(
            f"{project.path}: nothing to export: no document is done ({total} in the project); "
            "mark documents done or pass --status all"
        )
    fractions = options.effective_split
    parts: dict[str | None, list[int]] = (
        {None: doc_ids}
        if fractions is None
        else dict(split_documents(doc_ids, fractions, options.seed))
    )
    report = ExportReport()
    statuses = _selected_statuses(options.spans, options.format)
    entry = WRITERS[options.format]
    if entry.tokens:  # made on first need: an import leaves them for later
        ensure_tokens(project, doc_ids, cancel=cancel)
    written = 0.0
    writer_options = {
        "schema": project.schema,
        "settings": project.settings,
        "spans_key": project.settings.spans_key,
        "misaligned": options.misaligned,
    }

    def stream(ids: Sequence[int], weight: float = 1.0) -> Iterator[ExportDocument]:
        """The documents ``ids``; each counts as ``weight`` documents for the progress (more
        than one while a second process writes others: ``export_halves``)."""
        nonlocal written
        for document in export_documents(
            project,
            ids,
            statuses,
            report,
            entry.tokens,
            entry.decisions,
            span_fields=entry.spans,
        ):
            if cancel is not None and cancel():
                raise Cancelled("export cancelled; nothing was written")
            yield document
            written += weight
            report.documents += 1
            if progress is not None:
                progress(min(round(written), len(doc_ids)), len(doc_ids))

    # which parts are written in two processes: the next one's second process starts while
    # this one's are written, as the first part's did while the project opened
    halved = [in_halves(entry, len(ids), processes) for ids in parts.values()]
    with ExitStack() as stack:
        if second_processes is None:  # one for all the parts (none started until needed)
            second_processes = stack.enter_context(SecondProcesses())
        for number, (part, ids) in enumerate(parts.items()):
            if part is not None:
                report.counts[f"documents_{part}"] = len(ids)
                if not ids:
                    report.warnings.append(
                        f"the {part} part is empty ({counted(len(doc_ids), 'document')} split "
                        f"{','.join(f'{f:g}' for f in fractions or ())})"
                    )
            if halved[number]:
                write_in_halves(
                    project,
                    entry,
                    ids,
                    statuses,
                    stream,
                    staged,
                    part,
                    writer_options,
                    report,
                    second_processes,
                    start_next=any(halved[number + 1 :]),
                )
                written = report.documents  # what the progress shows from here
            else:
                entry.write(stream(ids), staged, part=part, report=report, **writer_options)
    return report


def _selected_ids(project: Project, options: ExportOptions) -> list[int]:
    return project.document_ids(None if options.status == "all" else "done")


def _log_export(
    project: Project, options: ExportOptions, report: ExportReport, output: str
) -> None:
    if project.read_only:
        report.warnings.append(
            f"{project.path} was opened read-only (asked, open in another window, or not "
            "writable), so this export is not in its edit log"
        )
        return
    payload: dict[str, Any] = {
        **options.model_dump(mode="json"),  # "spans" is the selection, "accepted" or "all"
        "output": output,
        "documents": report.documents,
        "spans_written": report.spans,
        "relations_written": report.relations,
        "files": report.files,
        "counts": report.counts,
        "summaries": {file: asdict(summary) for file, summary in report.summaries.items()},
        "warnings": len(report.warnings),
    }
    project.log_event(
        "export",
        f"exported {counted(report.documents, 'document')} as {options.format} to {output}",
        payload,
    )


def export_project_file(path: Path, read_only: bool = False, **options: Any) -> ExportReport:
    """Open the project file and export it; read-only when asked, when another process has it
    open, or when this user may not write it (the export is then not in its edit log).

    Opened for writing, it holds the project's writer lock, so no other process writes while it
    exports: a large export of a joinable format then takes a second process
    (``export_halves``), started before the project is opened when the file is large."""
    with SecondProcesses() as second_processes:
        if not read_only and worth_starting_ahead(options.get("format", ""), Path(path)):
            second_processes.start()
        try:
            project = Project.open(path, read_only=read_only)
        except (ProjectLockedError, ProjectNotWritableError):
            project = Project.open(path, read_only=True)
        with project:
            options.setdefault("processes", 1 if project.read_only else 2)
            return export_project(project, second_processes=second_processes, **options)


STANDARD_OUTPUT = "standard output"


def export_to_stream(path: Path, stream: BinaryIO, **options: Any) -> ExportReport:
    """Export the project file ``path`` in a one-file format and copy the file to ``stream``
    (``annotator export --output -``: standard output, for a pipe). It is written to a
    temporary file first, so a failed export writes nothing to the stream; the report names
    the file ``STANDARD_OUTPUT``, and so does the edit log, once the stream took it whole (a
    reader that stopped early, ``| head``, or a full disk: no export logged)."""
    checked = export_options(**{"output": Path("-"), **options})
    if checked.effective_split is not None or not WRITERS[checked.format].suffix:
        why = "--split" if checked.split else f"{checked.format} export"
        raise ExportError(
            f"a {why} writes a folder, not one file: give --output a folder, not - "
            "(standard output)"
        )
    with tempfile.TemporaryDirectory(prefix="annotator-export-") as folder:
        target = Path(folder) / f"export{WRITERS[checked.format].suffix}"

        def deliver() -> None:
            try:
                with target.open("rb") as handle:
                    shutil.copyfileobj(handle, stream)
                stream.flush()
            except BrokenPipeError:
                raise  # the reader stopped (| head): the caller's to end quietly
            except (OSError, ValueError) as error:  # a full disk, a stream closed
                why = error.strerror if isinstance(error, OSError) and error.strerror else error
                raise ExportError(f"standard output: cannot write the export ({why})") from None

        return export_project_file(
            path,
            **{**options, "output": target, "logged_as": STANDARD_OUTPUT, "delivered": deliver},
        )


__all__ = [
    "STANDARD_OUTPUT",
    "ExportOptions",
    "default_output",
    "export_formats",
    "export_project",
    "export_project_file",
    "export_to_stream",
    "parse_split",
    "split_documents",
]
