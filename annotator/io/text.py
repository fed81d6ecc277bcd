"""Plain-text reader: ``.txt`` files, or folders of them, one document per file or per part.

Texts are decoded as UTF-8 (a byte-order mark is dropped); CRLF and lone CR line ends become
LF, so offsets always count characters of the LF text. A file in another encoding is decoded
with the encoding charset-normalizer detects (named in the document meta), or refused with a
one-line error naming the file when none is found.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from charset_normalizer import from_bytes

from annotator.errors import FormatError
from annotator.io import limits, tokenize
from annotator.io.records import ImportRecord
from annotator.io.registry import register_reader, visible_files

Split = Literal["none", "paragraph", "sentence"]
SPLITS: tuple[str, ...] = ("none", "paragraph", "sentence")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\f\v]*\n\s*")


def text_files(path: Path) -> list[Path]:
    """``path`` itself, or every ``.txt`` below the folder (recursive, sorted, hidden skipped)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FormatError(path, None, "no such file or folder")
    return [file for file in visible_files(path) if file.suffix.lower() == ".txt"]


_MAGIC = (
    (b"%PDF", "a PDF file; extract its text first (e.g. pdftotext)"),
    (b"PK\x03\x04", "a ZIP archive (or .docx/.odt/.xlsx); save or extract it as plain text"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "a program (ELF)"),
    (b"\x1f\x8b", "a gzip archive; decompress it first"),
    (
        b"SQLite format 3\x00",
        "an SQLite database (an annotator project? open it: annotator gui FILE)",
    ),
)
BINARY_SNIFF = 8192


def binary_kind(head: bytes) -> str | None:
    """What binary file ``head`` starts, by its magic bytes or NUL bytes; None for text.

    A UTF-16/32 text has NUL bytes but starts with its byte-order mark: it is text.
    """
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    sniffed = head[:BINARY_SNIFF]
    if b"\x00" in sniffed and not head.startswith(_UNICODE_BOMS):
        if _utf16_without_bom(sniffed):
            return (
                "NUL bytes every other byte, as in UTF-16 without a byte-order mark; "
                "save it as UTF-8"
            )
        return "a binary file (NUL bytes)"
    return None


def _utf16_without_bom(head: bytes) -> bool:
    """Every other byte NUL, and none of the others: Latin text in UTF-16 (LE or BE)."""
    even, odd = head[0::2], head[1::2]
    return any(
        len(nuls) >= 2 and not nuls.strip(b"\x00") and b"\x00" not in chars
        for nuls, chars in ((odd, even), (even, odd))
    )


def refuse_binary(path: Path, head: bytes) -> None:
    """One line naming the file when it is not text, whatever format it was given as."""
    kind = binary_kind(head)
    if kind is not None:
        raise FormatError(path, None, f"not text: {kind}")


def count_documents(path: Path) -> int:
    """How many records ``read_text`` yields without ``--split``, without reading the texts."""
    return len(text_files(path))


def decode(data: bytes, path: Path) -> tuple[str, dict[str, Any]]:
    """The text of a file and what was done to get it (encoding, BOM, line ends), for meta."""
    notes: dict[str, Any] = {}
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
        notes["bom"] = True
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        encoding = _detect(data)
        if encoding is None:
            raise FormatError(
                path,
                None,
                f"not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start}) and no "
                "other text encoding could be detected; convert the file to UTF-8",
            ) from None
        text = data.decode(encoding)
        notes["encoding"] = encoding
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        notes["line_endings"] = "crlf"
    return text, notes


_TIE = 0.1  # charset-normalizer "chaos" difference below which two guesses are as good
_UNICODE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _detect(data: bytes) -> str | None:
    """The encoding charset-normalizer finds, or None for binary data or a doubtful guess.

    UTF-16/32 are trusted only with their byte-order mark: without one, any even-length
    Latin-1 text "decodes" as UTF-16, so such a guess is refused rather than believed.
    """
    has_bom = data.startswith(_UNICODE_BOMS)
    if b"\x00" in data and not has_bom:
        return None
    matches = from_bytes(data)
    best = matches.best()
    if best is None or best.encoding in (None, "utf_8", "ascii"):
        return None
    if best.encoding.startswith(("utf_16", "utf_32")) and not has_bom:
        return None
    # On short Western texts the Latin code pages tie and the guess is arbitrary ("déją"):
    # prefer the commonest one, Windows-1252 (a superset of Latin-1), when it is as plausible.
    for match in matches:
        if match.encoding == "cp1252" and match.chaos <= best.chaos + _TIE:
            return "cp1252"
    return best.encoding


def _paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each paragraph: text between blank lines, surrounding spaces left out."""
    position = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        yield from _stripped(text, position, match.start())
        position = match.end()
    yield from _stripped(text, position, len(text))


def _stripped(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end


def _parts(
    text: str, split: str, lang: str, path: Path
) -> Iterator[tuple[int, int, dict[str, int]]]:
    if split == "none":
        yield 0, len(text), {}
        return
    sentence_number = 0
    for paragraph_number, (start, end) in enumerate(_paragraphs(text), 1):
        if split == "paragraph":
            yield start, end, {"paragraph": paragraph_number}
            continue
        # spaCy's tokenizer takes gigabytes on a paragraph of tens of megabytes
        limits.check_text_size(end - start, path, f"paragraph {paragraph_number}")
        for sent_start, sent_end in tokenize.sentences(lang, text[start:end]):
            for part_start, part_end in _stripped(text, start + sent_start, start + sent_end):
                sentence_number += 1
                place = {"paragraph": paragraph_number, "sentence": sentence_number}
                yield part_start, part_end, place


def sniff_text(path: Path, head: bytes) -> bool:
    """A ``.txt`` file without a brat ``.ann`` beside it, or a folder of such files only (a
    folder holding other files too is read file by file: ``import_records.plan_sources``)."""
    if path.is_dir():
        files = visible_files(path)
        return bool(files) and all(
            file.suffix.lower() == ".txt" and not file.with_suffix(".ann").exists()
            for file in files
        )
    return path.suffix.lower() == ".txt" and not path.with_suffix(".ann").exists()


@register_reader(
    "text", sniff=sniff_text, priority=0, folders=lambda path: path.suffix.lower() == ".txt"
)
def read_text(
    path: Path, split: Split = "none", lang: str = "fr", **_options: Any
) -> Iterator[ImportRecord]:
    """Plain text (.txt files or folders of them); --split none|paragraph|sentence."""
    if split not in SPLITS:
        raise FormatError(path, None, f"unknown split {split!r} (use {', '.join(SPLITS)})")
    path = Path(path)
    for file in text_files(path):
        relative = file.name if file == path else file.relative_to(path).as_posix()
        try:
            if split == "none":  # refused before it is read: no encoding takes over 4 bytes
                limits.check_text_size(file.stat().st_size // 4, file, None)
            data = file.read_bytes()
        except OSError as error:
            raise FormatError(file, None, f"cannot read ({error.strerror})") from None
        refuse_binary(file, data[:BINARY_SNIFF])
        text, notes = decode(data, file)
        for start, end, place in _parts(text, split, lang, file):
            meta: dict[str, Any] = {"file": relative, **place}
            if split != "none":
                meta["offset"] = start
            meta.update(notes)
            where = ", ".join(
                ([relative] if file != path else []) + [f"{k} {n}" for k, n in place.items()]
            )
            yield ImportRecord(text=text[start:end], where=where, meta=meta)
