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

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import chain, pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy

from annotator.errors import ExportError, FormatError
from annotator.io.alignment import DocBuilder, PlainTokens, align_plain, align_spans
from annotator.io.records import ExportDocument, ExportReport, ImportedSpan, ImportRecord
from annotator.io.registry import WRITE_BUFFER, part_path, register_reader, register_writer
from annotator.model import LabelSchema, ProjectSettings

if TYPE_CHECKING:  # spaCy is imported where a document needs it, not to detect a format
    from spacy.pipeline import Sentencizer
    from spacy.tokens import Span as SpacySpan

_SPACE = ord(" ")


@cache
def _sentence_final() -> numpy.ndarray:
    """By character number: the characters after which spaCy's ``Sentencizer`` starts a
    sentence (each is one character)."""
    from spacy.pipeline import Sentencizer

    final = numpy.zeros(0x110000, dtype=bool)
    final[[ord(c) for c in Sentencizer.default_punct_chars]] = True
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
    """``token TAG`` lines, a blank line between sentences, ``-DOCSTART-`` before each document."""
    if scheme not in ("iob2", "biluo"):
        raise ExportError(f"unknown CoNLL tag scheme {scheme!r} (known: iob2, biluo)")
    report = report if report is not None else ExportReport()
    target = part_path(Path(output), part, ".conll")
    if target.is_dir():
        raise ExportError(f"{target}: CoNLL export writes one file, and this is a folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    from spacy.pipeline import Sentencizer

    builder = DocBuilder(settings.lang if settings else "xx")
    sentencizer = Sentencizer()
    with target.open("w", encoding="utf-8", newline="\n", buffering=WRITE_BUFFER) as handle:
        for item in documents:
            handle.write(f"{DOCSTART} O\n\n")
            plain = PlainTokens.of(item.document)
            if plain is None:
                lines = _document_lines(item, builder, sentencizer, misaligned, report, scheme)
            else:
                lines = _plain_document_lines(item, plain, misaligned, report, scheme)
            handle.write(lines)
    report.files.append(str(target))
    return report


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


register_writer("conll", description="CoNLL IOB2 (token TAG lines)", suffix=".conll")(
    _writer("iob2")
)
register_writer("conll-biluo", description="CoNLL BILUO (token TAG lines)", suffix=".conll")(
    _writer("biluo")
)
