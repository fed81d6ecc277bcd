"""Which reader and writer handles which format, and telling formats apart by content.

A reader is ``read(path, **options) -> Iterator[ImportRecord]`` that raises ``FormatError``
naming the file and line. A sniffer looks at a path (file or folder) and the first bytes of a
file and says whether it is its format. Modules register themselves when imported;
``annotator.io.formats`` names the module of every format, and a format's module is imported
on first use of its entry (``READERS["doccano"]``), so that a command reading or writing doccano
never imports spaCy (a second of start-up) for the CoNLL and DocBin formats. Listing the names
imports nothing; going through every entry (``--format auto``'s sniffers) imports them all.

A writer is registered with ``@register_writer(name, suffix=".jsonl")`` and called by
``annotator.services.exporting`` once per part of the export, always with these keywords::

    def write(
        documents: Iterable[ExportDocument],  # streamed in document id order; read once
        output: Path,                         # where to write, see ``part_path``
        *,
        part: str | None,          # None: the whole export; "train" | "dev" | "test": one part
        schema: LabelSchema,       # the project's labels (entity and relation names, colours)
        settings: ProjectSettings, # the project's settings (lang, ...)
        spans_key: str,            # settings.spans_key, "sc" by default (doc.spans[KEY])
        misaligned: str,           # "expand" | "contract" | "skip": spans off token boundaries
        report: ExportReport,      # shared by every part: add files, counts and warnings here
        **options: Any,            # later options; ignore those you do not use
    ) -> ExportReport:             # the same ``report``

The documents hold only what the user selected (``--status``, ``--spans``): never rejected
annotations, and relations only between selected spans; the pending suggestions left out are in
``pending_spans`` / ``pending_relations`` (a training format writes their tokens as missing,
never as negatives). A writer that reads none of those, nor a span's origin, ``edited``,
``aligned`` or status reason, says so with ``spans="essentials"`` (or ``"places"``, without
status and score either: ``SpanPlace``), and gets only the selected spans, read quicker.
``export_project`` calls every writer with the cycle collector paused (``collector_paused``), as
``import_sources`` reads every source.
A writer adds every file it writes to ``report.files`` (and, for training
data, a ``FileSummary`` to ``report.summaries``), what it wrote to ``report.spans`` /
``report.relations``, and anything it had to change or leave out to ``report.warnings`` (naming
the document and offsets) and ``report.count(key)``; it never drops an annotation silently.
``report.documents`` is counted by the service. ``suffix`` is the file ending of a one-file
format; ``""`` means the format writes a folder (brat, spacy). ``annotator.io.alignment``
applies the ``misaligned`` policy.

A one-file writer may say ``joinable=True``: its file of documents A then B is its file of A
followed by its file of B, and what it adds to the report for A and B is what it adds for A,
then for B (counts added up, warnings in order, a file's ``FileSummary`` added). A writer
whose ids run through the file says ``numbered=True`` too, and takes the keyword ``first=
(spans, relations)``: the counts of A's file (``report.spans``, ``report.relations``), where
its numbering goes on for B. ``annotator.services.export_halves`` then writes B in a second
process while this one writes A.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from annotator.errors import FormatError
from annotator.io.records import ExportDocument, ExportReport, ImportRecord
from annotator.model.span import SpanFields

Reader = Callable[..., Iterator[ImportRecord]]
Sniffer = Callable[[Path, bytes], bool]
FolderFiles = Callable[[Path], bool]
Writer = Callable[..., ExportReport]
SNIFF_BYTES = 64 * 1024
WRITE_BUFFER = 1024 * 1024
"""Bytes a writer buffers before writing (``open(..., buffering=WRITE_BUFFER)``): an export
writes tens of megabytes in lines of a few kilobytes."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a bulk job runs (a writer, a whole import or
    export command), as it was before afterwards.

    A bulk job makes objects by the million (a record, a span, a row tuple each) and keeps a
    batch of them alive, which the collector scans again and again and finds nothing to free:
    9 full passes over the whole heap in a 10,000-document CoNLL export, a quarter of its
    time; 14 in an import (4.9 -> 4.4 CPU s); a sixth of a doccano export's CPU (1.34 -> 1.14
    s). ``import_sources`` and ``export_project`` pause it, for every reader and writer.
    Records and rows make no reference cycles (reference counting frees what they drop). The
    window turns automatic collection off anyway (``ui.collector``): this then changes nothing
    there."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class ReaderEntry:
    name: str
    read: Reader
    sniff: Sniffer | None
    priority: int  # higher is tried first by --format auto
    description: str
    folders: FolderFiles | None = None
    """Reads a folder as one source (brat, spaCy, plain text): which of its files it reads."""


@dataclass(frozen=True)
class WriterEntry:
    name: str
    write: Writer
    description: str
    suffix: str = ""  # file ending of a one-file format; "" for formats that write a folder
    tokens: bool = True  # whether the writer reads documents' tokens (else they are not loaded)
    decisions: bool = False  # whether it reads ``ExportDocument.decided`` (the edit log)
    spans: SpanFields = "all"  # what of the spans it reads (fewer columns read quicker)
    joinable: bool = False  # its file of documents A + B is its file of A, then its file of B
    numbered: bool = False  # its ids run through the file: B's go on from ``first``


Entry = TypeVar("Entry", ReaderEntry, WriterEntry)


class Registry(MutableMapping[str, Entry], Generic[Entry]):
    """Entries by format name. A name declared with its module (``declare``) is known at once;
    its module, which registers the entry (``register_reader``), is imported when the entry is first
    asked for. Names iterate in declaration order, then those registered undeclared."""

    def __init__(self) -> None:
        self._modules: dict[str, str] = {}
        self._entries: dict[str, Entry] = {}

    def declare(self, name: str, module: str) -> None:
        self._modules[name] = module

    def __getitem__(self, name: str) -> Entry:
        if name not in self._entries and name in self._modules:
            importlib.import_module(self._modules[name])
        return self._entries[name]

    def __setitem__(self, name: str, entry: Entry) -> None:
        self._entries[name] = entry

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._entries.pop(name, None)
        self._modules.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._modules or name in self._entries

    def __iter__(self) -> Iterator[str]:
        yield from self._modules
        yield from (name for name in self._entries if name not in self._modules)

    def __len__(self) -> int:
        return len(self._modules.keys() | self._entries.keys())


READERS: Registry[ReaderEntry] = Registry()
WRITERS: Registry[WriterEntry] = Registry()


def register_reader(
    name: str,
    sniff: Sniffer | None = None,
    priority: int = 0,
    description: str = "",
    folders: FolderFiles | None = None,
) -> Callable[[Reader], Reader]:
    def decorate(read: Reader) -> Reader:
        READERS[name] = ReaderEntry(
            name, read, sniff, priority, description or _first_line(read.__doc__), folders
        )
        return read

    return decorate


def register_writer(
    name: str,
    description: str = "",
    suffix: str = "",
    tokens: bool = True,
    decisions: bool = False,
    spans: SpanFields = "all",
    joinable: bool = False,
    numbered: bool = False,
) -> Callable[[Writer], Writer]:
    def decorate(write: Writer) -> Writer:
        WRITERS[name] = WriterEntry(
            name,
            write,
            description or _first_line(write.__doc__),
            suffix,
            tokens,
            decisions,
            spans,
            joinable,
            numbered,
        )
        return write

    return decorate


def part_path(output: Path, part: str | None, suffix: str) -> Path:
    """Where a writer puts one part: ``output`` itself for a whole export, else inside it.

    A one-file format writes ``output`` (a file) or ``output/<part><suffix>``; a folder format
    (``suffix=""``) writes into the folder ``output`` or ``output/<part>``.
    """
    return output if part is None else output / f"{part}{suffix}"


def visible_files(folder: Path) -> list[Path]:
    """The files below ``folder`` (recursive), sorted by their path inside it; files and
    folders whose name starts with a dot (an export's manifest, ``.DS_Store``) are left out."""
    found = []
    for file in folder.rglob("*"):
        relative = file.relative_to(folder)
        if not any(part.startswith(".") for part in relative.parts) and file.is_file():
            found.append(file)
    return sorted(found, key=lambda file: file.relative_to(folder).as_posix())


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n")[0]


def head_bytes(path: Path) -> bytes:
    if path.is_dir():
        return b""
    try:
        with path.open("rb") as handle:
            return handle.read(SNIFF_BYTES)
    except OSError as error:
        raise FormatError(path, None, f"cannot read ({error.strerror})") from None


def detect_format(path: Path) -> str:
    """The registered format whose sniffer accepts ``path`` first, by priority."""
    head = head_bytes(path)
    for entry in sorted(READERS.values(), key=lambda e: -e.priority):
        if entry.sniff is not None and entry.sniff(path, head):
            return entry.name
    if path.is_file() and not head.strip():  # not "of no known format": there is nothing
        what = "the file is empty" if not head else "the file holds blank lines only"
        raise FormatError(path, None, f"{what}; nothing to import")
    if path.suffix.lower() in (".json", ".jsonl"):
        _refuse_broken_json(path)  # a cut or broken file: where, not "no known format"
    known = ", ".join(sorted(READERS))
    hint = _FILE_HINTS.get(path.suffix.lower(), "not a known annotation format")
    raise FormatError(
        path,
        None,
        f"{hint}; to import it anyway pass --format text (plain text) or --format NAME ({known})",
    )


def _refuse_broken_json(path: Path) -> None:
    """Raise the JSON parser's place when ``path`` (``.json`` whole, ``.jsonl`` line by line)
    is not valid JSON; return when it is (then it is JSON of no known shape)."""
    from annotator.io import limits

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return  # the readers' own checks name these
    if path.suffix.lower() == ".json":
        limits.loads(text, path, check=False)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            limits.loads(line, path, number, check=False)


_FILE_HINTS = {
    ".conf": "a brat configuration file (import its folder to read the .txt/.ann pairs)",
    ".xml": "an XML file (a Label Studio labeling config?), not annotations",
    ".md": "a Markdown document, not annotations",
}


def read(path: Path, format: str = "auto", **options: Any) -> Iterator[ImportRecord]:
    name = detect_format(path) if format == "auto" else format
    if name not in READERS:
        raise FormatError(
            path, None, f"unknown format {name!r} (known: {', '.join(sorted(READERS))})"
        )
    return READERS[name].read(path, **options)


def write(
    format: str, documents: Iterable[ExportDocument], output: Path, **options: Any
) -> ExportReport:
    if format not in WRITERS:
        from annotator.errors import ExportError

        raise ExportError(f"unknown export format {format!r} (known: {', '.join(sorted(WRITERS))})")
    return WRITERS[format].write(documents, output, **options)
