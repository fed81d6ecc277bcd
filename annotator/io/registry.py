"""Which reader and writer handles which format, and telling formats apart by content.

A reader is ``read(path, **options) -> Iterator[ImportRecord]`` that raises ``FormatError``
naming the file and line. A sniffer looks at a path (file or folder) and the first bytes of a
file and says whether it is its format. Modules register themselves when imported; importing
``annotator.io.formats`` imports them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.errors import FormatError
from annotator.io.records import ExportDocument, ExportReport, ImportRecord

Reader = Callable[..., Iterator[ImportRecord]]
Sniffer = Callable[[Path, bytes], bool]
Writer = Callable[..., ExportReport]
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class ReaderEntry:
    name: str
    read: Reader
    sniff: Sniffer | None
    priority: int  # higher is tried first by --format auto
    description: str


@dataclass(frozen=True)
class WriterEntry:
    name: str
    write: Writer
    description: str


READERS: dict[str, ReaderEntry] = {}
WRITERS: dict[str, WriterEntry] = {}


def register_reader(
    name: str, sniff: Sniffer | None = None, priority: int = 0, description: str = ""
) -> Callable[[Reader], Reader]:
    def decorate(read: Reader) -> Reader:
        READERS[name] = ReaderEntry(
            name, read, sniff, priority, description or (read.__doc__ or "").strip().split("\n")[0]
        )
        return read

    return decorate


def register_writer(name: str, description: str = "") -> Callable[[Writer], Writer]:
    def decorate(write: Writer) -> Writer:
        WRITERS[name] = WriterEntry(
            name, write, description or (write.__doc__ or "").strip().split("\n")[0]
        )
        return write

    return decorate


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
    known = ", ".join(sorted(READERS))
    raise FormatError(path, None, f"cannot tell the format; pass --format ({known})")


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
