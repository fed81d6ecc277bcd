"""CoNLL / IOB: ``token TAG`` lines in (IOB1, IOB2, BILUO/IOBES) and out (IOB2 or BILUO).

Reading rules (also in docs/exporting.md, "brat, doccano, CoNLL, Label Studio"):

- One token per line; the first column is the token and the LAST column its tag, so
  CoNLL-2003's four columns read too. Tags are ``O`` or ``B-``/``I-``/``L-``/``U-`` (and
  ``E-``/``S-``) plus a label; anything else stops the import naming the line.
- IOB1 and IOB2 are both read by spaCy's ``iob_to_biluo`` (an ``I-`` that starts an entity
  begins it). A file using ``L-``/``U-``/``E-``/``S-`` is BILUO and must be a valid sequence.
- ``-DOCSTART-`` lines start a new document; blank lines end sentences.
- A file with no blank line (the Europeana newspapers) ends a sentence after a ``.``, ``!``,
  ``?`` or ``…`` token tagged ``O``.
- A file without ``-DOCSTART-`` is cut into documents of whole sentences: a document ends at the
  first sentence end once it holds ``tokens_per_document`` tokens (default 500).
- The file's tokens are the document's tokens; its text is the tokens joined by spaces, with a
  newline between sentences.

Writing gives the tags of spaCy's ``offsets_to_biluo_tags`` (and ``biluo_to_iob`` for IOB2) on
each document's own tokens, after the ``--misaligned`` policy; overlapping spans are resolved by
spaCy's ``filter_spans`` (the longest wins, then the first) and every one left out is counted and
named.
Sentences come from spaCy's rule-based sentencizer and the text's line breaks.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import chain, groupby, pairwise, repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy

from annotator.errors import ExportError, FormatError
from annotator.io.alignment import (
    DocBuilder,
    PlainTokens,
    _check_policy,
    _note_misaligned,
    align_plain,
    align_spans,
)
from annotator.io.offset_arrays import flat_offsets, token_counts
from annotator.io.records import (
    DocumentRecord,
    ExportDocument,
    ExportReport,
    ImportedSpan,
    ImportRecord,
    SpanColumns,
    SpanPlace,
)
from annotator.io.registry import (
    WRITE_BUFFER,
    part_path,
    register_reader,
    register_writer,
)
from annotator.model import LabelSchema, ProjectSettings

if TYPE_CHECKING:  # spaCy is imported where a document needs it, not to detect a format
    from spacy.pipeline import Sentencizer
    from spacy.tokens import Span as SpacySpan

_SPACE = ord(" ")
_START, _END, _LABEL = attrgetter("start"), attrgetter("end"), attrgetter("label")
_STARTS, _ENDS, _LABELS = itemgetter(0), itemgetter(1), itemgetter(2)  # of ``_joined_spans``


SENTENCE_PUNCT = (
    0x21, 0x2E, 0x3F, 0x589, 0x61F, 0x6D4, 0x700, 0x701, 0x702, 0x7F9, 0x964, 0x965, 0x104A,
    0x104B, 0x1362, 0x1367, 0x1368, 0x166E, 0x1735, 0x1736, 0x1803, 0x1809, 0x1944, 0x1945,
    0x1AA8, 0x1AA9, 0x1AAA, 0x1AAB, 0x1B5A, 0x1B5B, 0x1B5E, 0x1B5F, 0x1C3B, 0x1C3C, 0x1C7E,
    0x1C7F, 0x203C, 0x203D, 0x2047, 0x2048, 0x2049, 0x2E2E, 0x2E3C, 0xA4FF, 0xA60E, 0xA60F,
    0xA6F3, 0xA6F7, 0xA876, 0xA877, 0xA8CE, 0xA8CF, 0xA92F, 0xA9C8, 0xA9C9, 0xAA5D, 0xAA5E,
    0xAA5F, 0xAAF0, 0xAAF1, 0xABEB, 0xFE52, 0xFE56, 0xFE57, 0xFF01, 0xFF0E, 0xFF1F, 0x10A56,
    0x10A57, 0x11047, 0x11048, 0x110BE, 0x110BF, 0x110C0, 0x110C1, 0x11141, 0x11142, 0x11143,
    0x111C5, 0x111C6, 0x111CD, 0x111DE, 0x111DF, 0x11238, 0x11239, 0x1123B, 0x1123C, 0x112A9,
    0x1144B, 0x1144C, 0x115C2, 0x115C3, 0x115C9, 0x115CA, 0x115CB, 0x115CC, 0x115CD, 0x115CE,
    0x115CF, 0x115D0, 0x115D1, 0x115D2, 0x115D3, 0x115D4, 0x115D5, 0x115D6, 0x115D7, 0x11641,
    0x11642, 0x1173C, 0x1173D, 0x1173E, 0x11A42, 0x11A43, 0x11A9B, 0x11A9C, 0x11C41, 0x11C42,
    0x16A6E, 0x16A6F, 0x16AF5, 0x16B37, 0x16B38, 0x16B44, 0x1BC9F, 0x1DA88, 0xFF61, 0x3002,
)  # fmt: skip
"""spaCy's ``Sentencizer.default_punct_chars`` as code points, in its order (a test compares
them): written here so that a CoNLL export of plain documents never imports spaCy (0.8 s)."""


_PRINTABLE_LATIN1 = numpy.array([chr(code).isprintable() for code in range(256)])
"""``str.isprintable`` of each Latin-1 character: checked on a batch's one-byte codes."""
_PRINTABLE_BYTES = bytes(numpy.flatnonzero(_PRINTABLE_LATIN1).tolist())
"""The Latin-1 bytes of printable characters: deleting them from a batch's text
(``bytes.translate``) leaves nothing when all are printable, 4x quicker than looking each up."""


@cache
def _sentence_final() -> numpy.ndarray:
    """By character number: the characters after which spaCy's ``Sentencizer`` starts a
    sentence (each is one character)."""
    final = numpy.zeros(0x110000, dtype=bool)
    final[list(SENTENCE_PUNCT)] = True
    return final


TAG = re.compile(r"^(O|[BIELUS]-\S+)$")
DOCSTART = "-DOCSTART-"
SENTENCE_END_TOKENS = frozenset({".", "!", "?", "…"})
TOKENS_PER_DOCUMENT = 500
_SNIFF_LINES = 200


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as error:
        raise FormatError(path, None, f"not UTF-8 (byte {error.start})") from None


def sniff_conll(path: Path, head: bytes) -> bool:
    """Nearly every line (of the first 200) is ``token ... TAG`` or ``-DOCSTART-``."""
    if path.is_dir() or not head:
        return False
    text = head.decode("utf-8-sig", errors="ignore")
    lines = text.split("\n")
    if len(head) == len(text.encode()) and not text.endswith("\n"):
        lines = lines[:-1] or lines  # the last line may be cut short
    lines = [line for line in lines[:_SNIFF_LINES] if line.strip()]
    if not lines:
        return False
    tagged = sum(
        1
        for line in lines
        if line.startswith(DOCSTART) or (len(line.split()) >= 2 and TAG.match(line.split()[-1]))
    )
    return tagged / len(lines) >= 0.9


@dataclass
class _Sentence:
    words: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


@dataclass
class _Document:
    sentences: list[_Sentence] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(sentence.words) for sentence in self.sentences)


@register_reader("conll", sniff=sniff_conll, priority=40, description="CoNLL / IOB")
def read_conll(
    path: Path, tokens_per_document: int = TOKENS_PER_DOCUMENT, **_options: Any
) -> Iterator[ImportRecord]:
    """CoNLL / IOB files (IOB1, IOB2, BILUO); see the module docstring for the document split."""
    path = Path(path)
    try:
        text = _decode(path.read_bytes(), path)
    except OSError as error:
        raise FormatError(path, None, f"cannot read ({error.strerror})") from None
    lines = text.split("\n")
    documents = _documents(path, lines, tokens_per_document)
    all_tags = [tag for d in documents for s in d.sentences for tag in s.tags]
    biluo = any(tag[0] in "LUES" for tag in all_tags if tag != "O")
    iob1 = not biluo and _starts_with_inside(documents)
    scheme = "BILUO" if biluo else ("IOB1" if iob1 else "IOB2")
    for document in documents:
        yield _record(path, document, biluo, scheme)


def _documents(path: Path, lines: list[str], tokens_per_document: int) -> list[_Document]:
    has_docstart = any(line.startswith(DOCSTART) for line in lines)
    has_breaks = _has_sentence_breaks(lines)
    documents: list[_Document] = [_Document()]
    sentence = _Sentence()

    def end_sentence() -> None:
        nonlocal sentence
        if sentence.words:
            documents[-1].sentences.append(sentence)
            if not has_docstart and documents[-1].size >= tokens_per_document:
                documents.append(_Document())
        sentence = _Sentence()

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            end_sentence()
            continue
        if line.startswith(DOCSTART):
            end_sentence()
            documents.append(_Document())
            continue
        fields = line.split()
        if len(fields) < 2:
            raise FormatError(path, number, f"expected 'token TAG', got {line.strip()!r}")
        word, tag = fields[0], fields[-1]
        if not TAG.match(tag):
            raise FormatError(
                path, number, f"{tag!r} is not a tag (O, or B-/I-/L-/U-/E-/S- and a label)"
            )
        sentence.words.append(word)
        sentence.tags.append(tag)
        sentence.lines.append(number)
        if not has_breaks and tag == "O" and word in SENTENCE_END_TOKENS:
            end_sentence()
    end_sentence()
    return [document for document in documents if document.sentences]


def _has_sentence_breaks(lines: list[str]) -> bool:
    """Whether a blank line separates two token lines (not just DOCSTART's own blank line)."""
    seen_token = False
    blank_pending = False
    for line in lines:
        if not line.strip():
            blank_pending = seen_token
        elif line.startswith(DOCSTART):
            seen_token = blank_pending = False
        else:
            if blank_pending:
                return True
            seen_token = True
    return False


def _starts_with_inside(documents: list[_Document]) -> bool:
    """IOB1: some ``I-`` tag begins an entity (after ``O``, another label, or a sentence start)."""
    for document in documents:
        for sentence in document.sentences:
            previous = "O"
            for tag in sentence.tags:
                if tag.startswith("I-") and previous[2:] != tag[2:]:
                    return True
                previous = tag
    return False


def _record(path: Path, document: _Document, biluo: bool, scheme: str) -> ImportRecord:
    from spacy.training import biluo_to_iob, tags_to_entities

    pieces: list[str] = []
    tokens: list[tuple[int, int]] = []
    spans: list[ImportedSpan] = []
    position = 0
    for index, sentence in enumerate(document.sentences):
        if index:
            pieces.append("\n")
            position += 1
        first_token = len(tokens)
        for number, word in enumerate(sentence.words):
            if number:
                pieces.append(" ")
                position += 1
            tokens.append((position, position + len(word)))
            pieces.append(word)
            position += len(word)
        tags = [_normalise(tag) for tag in sentence.tags]
        if biluo:
            if iob_to_biluo_linear(biluo_to_iob(tags)) != tags:
                raise FormatError(path, sentence.lines[0], "not a valid BILUO tag sequence")
        else:
            tags = iob_to_biluo_linear(tags)
        for label, start, end in tags_to_entities(tags):
            spans.append(
                ImportedSpan(
                    start=tokens[first_token + start][0],
                    end=tokens[first_token + end][1],
                    label=label,
                )
            )
    first_line = document.sentences[0].lines[0]
    return ImportRecord(
        text="".join(pieces),
        where=first_line,
        meta={"source": path.name, "conll": {"scheme": scheme, "line": first_line}},
        tokens=tuple(tokens),
        spans=spans,
    )


def iob_to_biluo_linear(tags: list[str]) -> list[str]:
    """spaCy's ``iob_to_biluo``, in linear time: spaCy's pops from the front of a list, which
    took 213 s on a file of a million tokens with no sentence end."""
    out: list[str] = []
    index = 0
    while index < len(tags):
        tag = tags[index]
        if tag == "O":
            out.append(tag)
            index += 1
            continue
        label = tag[2:]
        inside = {f"I-{label}", f"L-{label}"}
        end = index + 1
        while end < len(tags) and tags[end] in inside:
            end += 1
        if end - index == 1:
            out.append(f"U-{label}")
        else:
            out += [f"B-{label}", *[f"I-{label}"] * (end - index - 2), f"L-{label}"]
        index = end
    return out


def _normalise(tag: str) -> str:
    """IOBES to BILUO: ``E-`` is ``L-`` and ``S-`` is ``U-``."""
    if tag.startswith("E-"):
        return "L-" + tag[2:]
    if tag.startswith("S-"):
        return "U-" + tag[2:]
    return tag


# --- writing --------------------------------------------------------------------------------


def _writer(scheme: str) -> Any:
    def write(
        documents: Iterable[ExportDocument],
        output: Path,
        *,
        part: str | None = None,
        schema: LabelSchema | None = None,
        settings: ProjectSettings | None = None,
        misaligned: str = "expand",
        report: ExportReport | None = None,
        **_options: Any,
    ) -> ExportReport:
        return write_conll(
            documents,
            output,
            part=part,
            settings=settings,
            misaligned=misaligned,
            report=report,
            scheme=scheme,
        )

    write.__doc__ = f"CoNLL {scheme.upper()} (token TAG lines, -DOCSTART- between documents)."
    return write


def write_conll(
    documents: Iterable[ExportDocument],
    output: Path,
    *,
    part: str | None = None,
    settings: ProjectSettings | None = None,
    misaligned: str = "expand",
    report: ExportReport | None = None,
    scheme: str = "iob2",
) -> ExportReport:
    """``token TAG`` lines, a blank line between sentences, ``-DOCSTART-`` before each document.

    Documents are taken ``BATCH`` at a time (fewer when long): those whose stored tokens are
    plain are written together from arrays (``_plain_run``), any other one by itself
    (``_Writer.one_document``)."""
    if scheme not in ("iob2", "biluo"):
        raise ExportError(f"unknown CoNLL tag scheme {scheme!r} (known: iob2, biluo)")
    report = report if report is not None else ExportReport()
    target = part_path(Path(output), part, ".conll")
    if target.is_dir():
        raise ExportError(f"{target}: CoNLL export writes one file, and this is a folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    writer = _Writer(settings.lang if settings else "xx", misaligned, report, scheme)
    # the export's manifest needs the file's digest: taken from the bytes as they are
    # written, not read back (0.03 CPU s of 80 MB)
    digest = hashlib.sha256()
    # bytes, encoded by the writer: a batch's lines are made as bytes (``_run_lines``)
    with target.open("wb", buffering=WRITE_BUFFER) as handle:
        for batch in _pulled(documents, report, BATCH, BATCH_CHARACTERS):
            for run in _runs(batch):
                for lines in _run_texts(run, writer):
                    digest.update(lines)
                    handle.write(lines)
    report.files.append(str(target))
    report.digests[str(target)] = digest.hexdigest()
    return report


BATCH = 250
"""Documents written together from arrays: a few dozen numpy calls per batch instead of per
document. 250 rather than 500: a batch's arrays of half the size stay in the processor's caches
and in memory already paged in (the bench's export: 56,000 -> 36,000 page faults, peak RSS
120 -> 98 MB, 3.01 -> 2.61 CPU s, medians of 7 interleaved runs)."""
BATCH_CHARACTERS = 4_000_000
"""Characters of text after which a batch is written even when it holds fewer than ``BATCH``
documents: its arrays and strings stay within about a hundred MB whatever the documents'
length (the bench's 10,000 documents: peak RSS 130 -> 143 MB with batches of 2.3 million)."""
_HEADER = f"{DOCSTART} O\n\n"
_HEADER_BYTES = _HEADER.encode()


@dataclass
class _Pulled:
    """A document as taken from the stream, with the warnings and counts the stream added to
    the report while giving it (selection notes), held back to be put in the report in
    document order (``replay``) after the documents before it are written."""

    item: ExportDocument
    warnings: list[str]
    counts: dict[str, int] | None
    plain: bool = True  # worth trying the arrays: stored token offsets to parse

    def replay(self, report: ExportReport) -> None:
        report.warnings.extend(self.warnings)
        if self.counts:
            for key, n in self.counts.items():
                report.count(key, n)


def _pulled(
    documents: Iterable[ExportDocument],
    report: ExportReport,
    size: int,
    characters: int,
) -> Iterator[list[_Pulled]]:
    """The documents ``size`` at a time, or fewer once they hold ``characters`` of text (long
    documents: a batch's arrays and strings take tens of bytes a character), each with what the
    stream added to the report for it taken out of the report again (``_Pulled.replay`` puts
    it back), so that the report reads as if each document had been written before the next
    was taken.

    Once a document's additions are taken out, the report is as it was before the stream gave
    it: its state is taken again only after a batch was written, not copied for each
    document."""
    batch: list[_Pulled] = []
    held = 0
    mark = len(report.warnings)
    counts = dict(report.counts)
    for item in documents:
        warnings: list[str] = []
        if len(report.warnings) != mark:
            warnings = report.warnings[mark:]
            del report.warnings[mark:]
        added = None
        if report.counts != counts:
            added = {k: n - counts.get(k, 0) for k, n in report.counts.items()}
            added = {k: n for k, n in added.items() if n}
            report.counts.clear()
            report.counts.update(counts)
        document = item.document
        plain = isinstance(document, DocumentRecord) and document.offsets is not None
        batch.append(_Pulled(item, warnings, added, plain))
        held += len(document.text)
        if len(batch) == size or held >= characters:
            yield batch
            batch = []
            held = 0
            mark = len(report.warnings)
            counts = dict(report.counts)
    if batch:
        yield batch


def _runs(batch: list[_Pulled]) -> Iterator[list[_Pulled]]:
    """Runs of documents with stored token offsets, to try on arrays together, and the
    others one by one."""
    for plain, group in groupby(batch, key=attrgetter("plain")):
        if plain:
            yield list(group)
        else:
            yield from ([pulled] for pulled in group)


def _run_texts(run: list[_Pulled], writer: _Writer) -> Iterator[bytes]:
    """The lines of a run of documents, in UTF-8: on arrays where they are plain, else one by
    one."""
    if not run[0].plain:
        yield writer.one_document(run[0]).encode()
        return
    result = _plain_run(run, writer)
    if isinstance(result, bytes):
        yield result
    elif result is None or all(result):
        yield from (writer.one_document(pulled).encode() for pulled in run)
    else:  # some are not plain: the others together again
        for plain, group in groupby(zip(result, run, strict=True), key=itemgetter(0)):
            part = [pulled for _, pulled in group]
            if plain:
                yield from _run_texts(part, writer)
            else:
                yield from (writer.one_document(pulled).encode() for pulled in part)


class _Writer:
    """What writing one document needs, the spaCy parts made on first need: a CoNLL export of
    plain documents never imports spaCy."""

    def __init__(self, lang: str, misaligned: str, report: ExportReport, scheme: str) -> None:
        self.lang = lang
        self.misaligned = misaligned
        self.report = report
        self.scheme = scheme
        self._doc_path: tuple[DocBuilder, Sentencizer] | None = None

    def one_document(self, pulled: _Pulled) -> str:
        """A document written by itself, its held-back report entries first."""
        pulled.replay(self.report)
        item = pulled.item
        plain = PlainTokens.of(item.document)
        if plain is not None:
            lines = _plain_document_lines(item, plain, self.misaligned, self.report, self.scheme)
            return _HEADER + lines
        if self._doc_path is None:
            from spacy.pipeline import Sentencizer

            self._doc_path = (DocBuilder(self.lang), Sentencizer())
        builder, sentencizer = self._doc_path
        lines = _document_lines(
            item, builder, sentencizer, self.misaligned, self.report, self.scheme
        )
        return _HEADER + lines


_ONE, _FIRST, _INSIDE, _LAST = range(4)  # a token's place in its entity


def _documents_of(
    first_token: numpy.ndarray, where: numpy.ndarray, tokens: numpy.ndarray | None = None
) -> numpy.ndarray:
    """The documents of the tokens where ``where`` is true (``tokens``: which token each of
    its entries is, when not all): found for those few, not by a document number per token."""
    found = numpy.flatnonzero(where)
    if tokens is not None:
        found = tokens[found]
    return numpy.searchsorted(first_token, found, side="right") - 1


def _joined_spans(spans: Sequence[Any]) -> tuple[str, str, list[str]]:
    """A document's span starts and ends, each as integers joined by commas, and its labels: as
    the store joined them (``SpanColumns``), else made from the spans, in their order."""
    if isinstance(spans, SpanColumns):
        _, starts, ends, labels = spans.joined_values
        return starts, ends, labels.split(" ")
    return (
        ",".join(map(str, map(_START, spans))),
        ",".join(map(str, map(_END, spans))),
        list(map(_LABEL, spans)),
    )


def _stored_order(spans: Sequence[Any]) -> Sequence[Any]:
    """``spans`` in the order of ``_joined_spans``."""
    return spans.stored_records() if isinstance(spans, SpanColumns) else spans


def _integer_array(joined: Iterable[str]) -> numpy.ndarray:
    """Integers joined by commas, of many documents (those without any give ""), as one array:
    parsed by numpy, not made one Python number at a time."""
    text = ",".join(filter(None, joined))
    if not text:
        return numpy.zeros(0, dtype=numpy.int64)
    return numpy.fromstring(text.encode(), sep=",", dtype=numpy.int64)  # type: ignore[call-overload]


def _plain_run(run: list[_Pulled], writer: _Writer) -> bytes | list[bool] | None:
    """The lines of documents with stored token offsets, all at once, in UTF-8: what
    ``_plain_document_lines`` writes for each, and the same report entries in the same order.
    The documents' texts are joined by a space into one, their tokens and spans placed in it;
    then alignment, overlaps, tags and sentences are worked out on arrays for all of them.

    When some documents are not plain (``PlainTokens.of`` would refuse them), which are (to
    try again without the others); None when that cannot be told (then each is written by
    itself), and before anything is added to the report."""
    items = [pulled.item for pulled in run]
    texts = [item.document.text for item in items]
    stored = [item.document.offsets for item in items]
    counts = token_counts(stored)  # type: ignore[arg-type]  # tokens of each document
    if not counts.all():  # no token, or not pairs
        return (counts > 0).tolist()
    flat = flat_offsets(stored, counts)  # type: ignore[arg-type]
    # the batch's big temporaries are let go as soon as done with (``del``): the memory is
    # used again by the next ones instead of new pages (a page fault each) from the system
    del stored
    if len(flat) != 2 * counts.sum():
        return None
    starts, ends = flat[0::2], flat[1::2]
    lengths = numpy.fromiter(map(len, texts), numpy.int64, len(texts))
    last_token = numpy.cumsum(counts) - 1
    first_token = last_token + 1 - counts
    # PlainTokens.of for each document at once, and tokens of at least a character, in order
    # (the joined arrays are then in order too)
    gaps = starts[1:] - ends[:-1]
    inner = numpy.ones(len(starts) - 1, dtype=bool)
    inner[first_token[1:] - 1] = False  # the gap between two documents is none of theirs
    spaced = numpy.zeros(len(starts), dtype=bool)  # a space follows the token
    spaced[:-1] = inner & (gaps == 1)
    bad = (starts[first_token] != 0) | (ends[last_token] != lengths)
    bad[_documents_of(first_token, inner & ((gaps < 0) | (gaps > 1)))] = True
    bad[_documents_of(first_token, ends <= starts)] = True
    del gaps, inner
    if bad.any():
        return (~bad).tolist()
    joined = " ".join(texts)
    ascii_text = joined.isascii()
    base = numpy.cumsum(lengths + 1) - (lengths + 1)  # where each text starts in ``joined``
    try:  # one byte a character where it can be (French, English...)
        latin = joined.encode("latin-1")
        codes = numpy.frombuffer(latin, dtype=numpy.uint8)
        if latin.translate(None, _PRINTABLE_BYTES):  # some character is not printable
            unprintable = numpy.flatnonzero(~_PRINTABLE_LATIN1[codes])
            bad[numpy.searchsorted(base, unprintable, side="right") - 1] = True
    except UnicodeEncodeError:
        codes = numpy.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=numpy.uint32)
        if not joined.isprintable():
            bad |= ~numpy.fromiter(map(str.isprintable, texts), bool, len(texts))
    del joined
    token_base = numpy.repeat(base, counts)
    all_starts, all_ends = starts + token_base, ends + token_base
    del token_base
    gap_ends = all_ends[spaced]
    not_space = codes[gap_ends] != _SPACE
    if not_space.any():
        bad[_documents_of(first_token, not_space, numpy.flatnonzero(spaced))] = True
    # each text's spaces all between tokens: its spaced gaps are at spaces (just checked), so
    # when the whole has as many spaces as gaps and separators, each text has
    if bad.any() or numpy.count_nonzero(codes == _SPACE) != len(gap_ends) + len(items) - 1:
        spaces = numpy.add.reduceat(spaced, first_token, dtype=numpy.int64)
        bad |= spaces != numpy.fromiter(map(str.count, texts, repeat(" ")), numpy.int64, len(texts))
    del gap_ends, not_space
    if bad.any():
        return (~bad).tolist()
    spaced[last_token] = True  # in ``joined``: the space between two documents

    # the spans on token boundaries, all at once (``PlainTokens.exact``)
    # the spans in the order the store joined them (``_joined_spans``): read into arrays
    # without a Python number per span; any order does, tags are placed by position
    joined_spans = list(map(_joined_spans, (item.spans for item in items)))
    labels = list(chain.from_iterable(map(_LABELS, joined_spans)))
    span_counts = numpy.fromiter(map(len, map(_LABELS, joined_spans)), numpy.int64, len(items))
    total = len(labels)
    span_doc = numpy.repeat(numpy.arange(len(items)), span_counts)
    span_starts = _integer_array(map(_STARTS, joined_spans))
    span_ends = _integer_array(map(_ENDS, joined_spans))
    if len(span_starts) != total or len(span_ends) != total:
        return None
    # spans outside their text, or empty, are left to align_plain, document by document
    outside = (span_starts < 0) | (span_ends > lengths[span_doc]) | (span_ends <= span_starts)
    special = numpy.zeros(len(items), dtype=bool)
    special[span_doc[outside]] = True
    span_base = base[span_doc]
    first = numpy.searchsorted(all_starts, span_starts + span_base)
    last = numpy.searchsorted(all_ends, span_ends + span_base)
    top = len(all_starts) - 1
    exact = (
        (first <= top)
        & (last <= top)
        & (all_starts[numpy.minimum(first, top)] == span_starts + span_base)
        & (all_ends[numpy.minimum(last, top)] == span_ends + span_base)
    )
    end = last + 1
    kept = exact.copy()
    policy = writer.misaligned
    _check_policy(policy)
    # the others one by one, as align_plain does, their report entries held per document
    notes: dict[int, ExportReport] = {}
    views: dict[int, PlainTokens] = {}

    def view(number: int) -> PlainTokens:
        if number not in views:
            a, b = int(first_token[number]), int(last_token[number]) + 1
            c = int(base[number])
            local_spaced = spaced[a:b].copy()
            local_spaced[-1] = False
            views[number] = PlainTokens(
                texts[number], codes[c : c + len(texts[number])], starts[a:b], ends[a:b],
                local_spaced,
            )  # fmt: skip
        return views[number]

    span_first = numpy.cumsum(span_counts) - span_counts
    for number in numpy.flatnonzero(special).tolist():
        a = int(span_first[number])
        these = _stored_order(items[number].spans)
        notes[number] = note = ExportReport()
        aligned = align_plain(view(number), items[number].document, these, policy, note)
        offset = int(first_token[number])
        for index, span in enumerate(these, start=a):
            moved = aligned.get(span.id)
            kept[index] = moved is not None
            if moved is not None:
                first[index], end[index] = moved[0] + offset, moved[1] + offset
    # the others moved by the policy as PlainTokens.char_span moves them (_align_off_tokens),
    # all at once, then named one by one
    off = numpy.flatnonzero(~exact & ~special[span_doc])
    if len(off):
        off_starts = span_starts[off] + span_base[off]
        off_ends = span_ends[off] + span_base[off]
        # the token whose characters or trailing space hold the first and last character
        # (spans inside their text: never before their document's first token)
        moved_first = numpy.searchsorted(all_starts, off_starts, side="right") - 1
        moved_last = numpy.searchsorted(all_starts, off_ends - 1, side="right") - 1
        moves = (off_starts < all_ends[moved_first] + spaced[moved_first]) & (
            off_ends - 1 < all_ends[moved_last] + spaced[moved_last]
        )
        if policy == "contract":
            moved_first += all_starts[moved_first] < off_starts
            moved_last -= off_ends < all_ends[moved_last]
        elif policy == "expand":
            moved_first += off_starts == all_ends[moved_first]
        moved_end = moved_last + 1
        moves &= (moved_end > moved_first) & (policy != "skip")
        kept[off] = moves
        first[off], end[off] = moved_first, moved_end
        moved_start_char = all_starts[numpy.minimum(moved_first, top)] - span_base[off]
        moved_end_char = all_ends[numpy.maximum(moved_last, 0)] - span_base[off]
        for index, number, moved, start, end_, start_char, end_char in zip(
            off.tolist(),
            span_doc[off].tolist(),
            moves.tolist(),
            span_starts[off].tolist(),
            span_ends[off].tolist(),
            moved_start_char.tolist(),
            moved_end_char.tolist(),
            strict=True,
        ):
            note = notes.get(number)
            if note is None:
                notes[number] = note = ExportReport()
            offsets = (start_char, end_char) if moved else None
            document = items[number].document
            span = SpanPlace("", document.id, start, end_, labels[index])  # what is named
            _note_misaligned(document, span, policy, offsets, note)

    # filter_spans: the kept spans by place and label; a document where two overlap (or one
    # is empty) goes through _filter_spans
    names = sorted(set(labels))
    rank = {name: number for number, name in enumerate(names)}
    label_of = numpy.fromiter(map(rank.__getitem__, labels), numpy.int64, len(labels))
    chosen = numpy.flatnonzero(kept)
    chosen = chosen[numpy.lexsort((label_of[chosen], end[chosen], first[chosen]))]
    entity_first, entity_end = first[chosen], end[chosen]
    entity_doc, entity_label = span_doc[chosen], label_of[chosen]
    crowded = numpy.zeros(len(items), dtype=bool)
    crowded[entity_doc[entity_first >= entity_end]] = True
    overlap = (entity_doc[1:] == entity_doc[:-1]) & (entity_end[:-1] > entity_first[1:])
    crowded[entity_doc[1:][overlap]] = True
    left_out: dict[int, list[tuple[int, int, str]]] = {}
    if crowded.any():
        keep = ~crowded[entity_doc]
        extra_first, extra_end, extra_label, extra_doc = [], [], [], []
        for number in numpy.flatnonzero(crowded).tolist():
            offset = int(first_token[number])
            a = int(span_first[number])
            local = [
                (int(first[i]) - offset, int(end[i]) - offset, labels[i])
                for i in range(a, a + int(span_counts[number]))
                if kept[i]
            ]
            entities = _filter_spans(local)
            if len(entities) < len(local):
                left_out[number] = sorted((Counter(local) - Counter(entities)).elements())
            for a_, b_, name in entities:
                if b_ <= a_:
                    return None  # an empty or reversed span: its tags are the per-document code's
                extra_first.append(a_ + offset)
                extra_end.append(b_ + offset)
                extra_label.append(rank[name])
                extra_doc.append(number)
        entity_first = numpy.concatenate((entity_first[keep], extra_first)).astype(numpy.int64)
        entity_end = numpy.concatenate((entity_end[keep], extra_end)).astype(numpy.int64)
        entity_label = numpy.concatenate((entity_label[keep], extra_label)).astype(numpy.int64)
        order = numpy.argsort(entity_first, kind="stable")
        entity_first, entity_end = entity_first[order], entity_end[order]
        entity_label = entity_label[order]

    # the report, document by document, as if each had been written before the next was taken
    report = writer.report
    for number, pulled in enumerate(run):
        pulled.replay(report)
        note = notes.get(number)
        if note is not None:
            report.warnings.extend(note.warnings)
            for key, n in note.counts.items():
                report.count(key, n)
        for a_, b_, name in left_out.get(number, ()):
            start_char, end_char = view(number).offsets(a_, b_)
            report.count("overlapping_removed")
            report.warnings.append(
                f"document {items[number].document.id}: span [{start_char}, {end_char}) "
                f"{name} {texts[number][start_char:end_char]!r} overlaps a longer or earlier "
                "span; left out of the CoNLL tags"
            )
        relations = items[number].relations
        if relations:
            report.count("relations_not_in_conll", len(relations))
    report.spans += len(entity_first)
    return _run_lines(
        writer.scheme, names, codes, ascii_text, all_starts, all_ends, spaced, last_token,
        entity_first, entity_end, entity_label,
    )  # fmt: skip


def _run_lines(
    scheme: str,
    names: list[str],
    codes: numpy.ndarray,
    ascii_text: bool,
    starts: numpy.ndarray,
    ends: numpy.ndarray,
    spaced: numpy.ndarray,
    last_token: numpy.ndarray,
    entity_first: numpy.ndarray,
    entity_end: numpy.ndarray,
    entity_label: numpy.ndarray,
) -> bytes:
    """The lines of joined documents in UTF-8 (``_plain_document_lines``'s way, for all at
    once), a document start first: the text with a space put between touching tokens and every
    space made " O\n"; then the tags of entity tokens, sentence ends and document ends patched
    in. Made as bytes (``ascii_text``: ``codes`` are UTF-8 already), and cut where the patches go
    by ``bytes.split`` on a mark put in the text: replacing, cutting and joining bytes took
    half the time of slicing a str at each point, and no file encodes them."""
    length = entity_end - entity_first
    several = length > 1
    inside_count = numpy.where(several, length - 2, 0)
    inside_total = int(inside_count.sum())
    inside_at = numpy.repeat(entity_first + 1, inside_count) + (
        numpy.arange(inside_total)
        - numpy.repeat(numpy.cumsum(inside_count) - inside_count, inside_count)
    )
    tagged = numpy.concatenate((entity_first, entity_end[several] - 1, inside_at))
    place = numpy.concatenate(
        (
            numpy.where(several, _FIRST, _ONE),
            numpy.full(int(several.sum()), _LAST),
            numpy.full(inside_total, _INSIDE),
        )
    )
    label = numpy.concatenate(
        (entity_label, entity_label[several], numpy.repeat(entity_label, inside_count))
    )
    count = len(starts)
    tag = numpy.zeros(count, dtype=numpy.int32)  # 0: O, else 1 + place * labels + label
    tag[tagged] = 1 + place * len(names) + label
    within = numpy.zeros(count, dtype=bool)  # an I- or L- tag: no sentence break before it
    within[tagged[place >= _INSIDE]] = True
    # the Sentencizer: a sentence starts at a token not in its characters after one that is
    # (looked up for the tokens of one character only)
    single = numpy.flatnonzero(ends - starts == 1)
    final = numpy.zeros(count, dtype=bool)
    final[single] = _sentence_final()[codes[starts[single]]]
    sentence_start = numpy.flatnonzero(final[:-1] & ~final[1:]) + 1
    breaks = numpy.zeros(count, dtype=bool)
    breaks[sentence_start[~within[sentence_start]] - 1] = True
    breaks[last_token] = True
    document_end = numpy.zeros(count, dtype=bool)
    document_end[last_token[:-1]] = True
    points = numpy.flatnonzero((tag > 0) | breaks)
    kinds = (tag[points] * 2 + breaks[points]) * 2 + document_end[points]
    del tag, within, final, breaks, document_end  # let go before the bytes are made
    one = "B-" if scheme == "iob2" else "U-"
    end_tag = "I-" if scheme == "iob2" else "L-"
    prefixes = {_ONE: one, _FIRST: "B-", _INSIDE: "I-", _LAST: end_tag}
    tags = ["O"] + [prefixes[p] + name for p in range(4) for name in names]
    table = [
        f" {tag_text}\n" + ("\n" if brk else "") + (_HEADER if doc_end else "")
        for tag_text in tags
        for brk in (0, 1)
        for doc_end in (0, 1)
    ]
    touching = numpy.flatnonzero(~spaced[:-1])
    # the text with each token's separator after it: a space put between touching tokens and
    # one after the last token; the separator of each point made a NUL (never in a printable
    # text), where its patch goes
    text = numpy.insert(codes, numpy.append(ends[touching], len(codes)), _SPACE)
    text[ends[points] + numpy.searchsorted(touching, points)] = 0
    if codes.itemsize == 1 and ascii_text:
        data = text.tobytes()  # already UTF-8
    else:
        encoding = "latin-1" if codes.itemsize == 1 else "utf-32-le"
        data = str(text.data, encoding, "surrogatepass").encode()  # no copy of the array
    del text
    # the lines between points, cut by one C call: the last is after the last token, empty
    pieces = data.replace(b" ", b" O\n").split(b"\0")
    del data, pieces[-1]
    out = [_HEADER_BYTES] * (2 * len(pieces) + 1)
    out[1::2] = pieces
    out[2::2] = map([patch.encode() for patch in table].__getitem__, kinds.tolist())
    return b"".join(out)


def _document_lines(
    item: ExportDocument,
    builder: DocBuilder,
    sentencizer: Sentencizer,
    misaligned: str,
    report: ExportReport,
    scheme: str,
) -> str:
    from spacy.attrs import IDX, LENGTH, SENT_START
    from spacy.training import biluo_to_iob
    from spacy.util import filter_spans

    document = item.document
    doc = sentencizer(builder.make(document))
    aligned = align_spans(doc, document, item.spans, misaligned, report)  # type: ignore[arg-type]
    kept = [spacy_span for _, spacy_span in aligned.kept(item.spans)]
    entities = filter_spans(kept)
    # a multiset: a span expanded onto another one's tokens and label is left out too
    for span in sorted(
        (Counter(kept) - Counter(entities)).elements(),
        key=lambda s: (s.start_char, s.end_char, s.label_),
    ):
        report.count("overlapping_removed")
        report.warnings.append(
            f"document {document.id}: span [{span.start_char}, {span.end_char}) {span.label_} "
            f"{span.text!r} overlaps a longer or earlier span; left out of the CoNLL tags"
        )
    if item.relations:
        report.count("relations_not_in_conll", len(item.relations))
    report.spans += len(entities)
    tags = _biluo_tags(len(doc), entities)
    if scheme == "iob2":
        tags = biluo_to_iob(tags)
    out: list[str] = []
    sentence_open = False
    text = document.text  # doc.text, without spaCy joining it again from every token
    columns = doc.to_array([IDX, LENGTH, SENT_START]).tolist()
    for (start, length, sent_start), tag in zip(columns, tags, strict=True):
        word = text[start : start + length]
        if not word.strip():
            if "\n" in word and sentence_open and tag == "O":
                out.append("\n")
                sentence_open = False
            continue
        if sent_start == 1 and sentence_open and not tag.startswith(("I-", "L-")):
            out.append("\n")
        if any(c.isspace() for c in word):
            word = re.sub(r"\s", "_", word)
            report.count("conll_tokens_with_spaces_joined")
        out.append(f"{word} {tag}\n")
        sentence_open = True
    if sentence_open:
        out.append("\n")
    return "".join(out)


def _plain_document_lines(
    item: ExportDocument, tokens: PlainTokens, misaligned: str, report: ExportReport, scheme: str
) -> str:
    """``_document_lines`` for a document with ``PlainTokens``, the same lines, without a Doc:
    the spans aligned on the token arrays, overlaps resolved as ``filter_spans`` does and the
    sentencizer's rule applied to the arrays. The lines are written as if every token were
    ``O`` by replacing the spaces of the text (with one put between tokens that touch), then
    the few entity tokens and sentence ends are patched in."""
    document = item.document
    aligned = align_plain(tokens, document, item.spans, misaligned, report)  # type: ignore[arg-type]
    kept = [(*ends, span.label) for span in item.spans if (ends := aligned.get(span.id))]
    entities = _filter_spans(kept)
    text = tokens.text
    # a multiset: a span expanded onto another one's tokens and label is left out too
    removed = (Counter(kept) - Counter(entities)).elements() if len(entities) < len(kept) else ()
    for first, end, label in sorted(removed):  # by place, then label: the same every run
        start_char, end_char = tokens.offsets(first, end)
        report.count("overlapping_removed")
        report.warnings.append(
            f"document {document.id}: span [{start_char}, {end_char}) {label} "
            f"{text[start_char:end_char]!r} overlaps a longer or earlier span; left out of the "
            "CoNLL tags"
        )
    if item.relations:
        report.count("relations_not_in_conll", len(item.relations))
    report.spans += len(entities)
    tags = _entity_tags(entities, scheme)
    # the Sentencizer: a sentence starts at a token not in its characters after one that is
    final = (tokens.ends - tokens.starts == 1) & _sentence_final()[tokens.codes[tokens.starts]]
    sentence_starts = (numpy.flatnonzero(final[:-1] & ~final[1:]) + 1).tolist()
    last = len(tokens) - 1
    breaks = {i - 1 for i in sentence_starts if not tags.get(i, "O").startswith(("I-", "L-"))}
    breaks.add(last)
    touching = numpy.flatnonzero(~tokens.spaces[:-1])
    spaced = numpy.insert(tokens.codes, tokens.ends[touching], _SPACE)
    lines = spaced.tobytes().decode("utf-32-le", "surrogatepass").replace(" ", " O\n") + " O\n"
    # what stands for the " O\n" of each patched token: its tag, a blank line after a sentence
    patches = {i: f" {tag}\n" for i, tag in tags.items()}
    for i in breaks:
        patches[i] = patches.get(i, " O\n") + "\n"
    points = sorted(patches)  # the last token is one: nothing after it
    # where each of their " O\n" starts in ``lines``: 2 more characters per token before it,
    # 1 more per space put in
    at = numpy.array(points, dtype=numpy.int64)
    ends = (tokens.ends[at] + numpy.searchsorted(touching, at) + 2 * at).tolist()
    starts = [0, *[end + 3 for end in ends]]
    pieces = map(lines.__getitem__, map(slice, starts, ends))  # C loops, not one per point
    return "".join(chain.from_iterable(zip(pieces, map(patches.__getitem__, points), strict=True)))


def _entity_tags(entities: list[tuple[int, int, str]], scheme: str) -> dict[int, str]:
    """The tags of the entity tokens: ``_biluo_tags``, and ``biluo_to_iob`` for IOB2."""
    last_tag = "I-" if scheme == "iob2" else "L-"
    one_tag = "B-" if scheme == "iob2" else "U-"
    tags: dict[int, str] = {}
    for first, end, label in entities:
        if end - first == 1:
            tags[first] = one_tag + label
            continue
        tags[first] = f"B-{label}"
        tags.update(dict.fromkeys(range(first + 1, end - 1), f"I-{label}"))
        tags[end - 1] = last_tag + label
    return tags


def _filter_spans(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """spaCy's ``filter_spans`` on (first token, one past the last, label) triples."""
    ordered = sorted(spans)
    if all(a[1] <= b[0] for a, b in pairwise(ordered)) and all(
        first < end for first, end, _ in ordered
    ):
        return ordered  # none overlaps (most documents): it keeps them all, by start
    ranked = sorted(spans, key=lambda span: (span[1] - span[0], -span[0]), reverse=True)
    chosen = []
    seen: set[int] = set()
    for span in ranked:
        if span[0] not in seen and span[1] - 1 not in seen:
            chosen.append(span)
            seen.update(range(span[0], span[1]))
    return sorted(chosen, key=lambda span: span[0])


def _biluo_tags(length: int, entities: Iterable[SpacySpan]) -> list[str]:
    """BILUO tags of a Doc's tokens for non-overlapping entity spans of it: what spaCy's
    ``offsets_to_biluo_tags`` gives for their offsets, without a pass over every token's
    characters."""
    tags = ["O"] * length
    for span in entities:
        if len(span) == 1:
            tags[span.start] = f"U-{span.label_}"
        else:
            tags[span.start] = f"B-{span.label_}"
            tags[span.start + 1 : span.end - 1] = [f"I-{span.label_}"] * (len(span) - 2)
            tags[span.end - 1] = f"L-{span.label_}"
    return tags


register_writer(
    "conll",
    description="CoNLL IOB2 (token TAG lines)",
    suffix=".conll",
    spans="places",
    joinable=True,
)(_writer("iob2"))
register_writer(
    "conll-biluo",
    description="CoNLL BILUO (token TAG lines)",
    suffix=".conll",
    spans="places",
    joinable=True,
)(_writer("biluo"))
