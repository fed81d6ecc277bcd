"""spaCy Docs from stored tokens, and the ``--misaligned`` policy for spans off token boundaries.

spaCy drops a span whose offsets do not fall on token boundaries (warning W030). An export
names every such span by document and offsets and then expands it, contracts it or skips it
(``Doc.char_span(alignment_mode=...)``), as the user chose; it is never dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # imported where used: a doccano export needs neither spaCy nor numpy
    import numpy
    from spacy.tokens import Doc
    from spacy.tokens import Span as SpacySpan

from annotator.errors import ExportError
from annotator.io import tokenize
from annotator.io.records import DocumentRecord, ExportReport, RelationRecord, SpanRecord
from annotator.model import Document, Relation, Span
from annotator.model.document import TokenOffsets

MisalignedPolicy = Literal["expand", "contract", "skip"]
MISALIGNED_POLICIES: tuple[str, ...] = ("expand", "contract", "skip")
_GAP_PIECES = re.compile(r"\s+|\S+")


def words_and_spaces(text: str, tokens: TokenOffsets) -> tuple[list[str], list[bool]]:
    """Words and trailing-space flags whose ``Doc`` text is exactly ``text``.

    A single space after a token is that token's whitespace; any other gap becomes tokens of
    its own (whitespace runs and, if a gap holds other characters, those), as spaCy does.
    """
    if tokens and not tokens[0][0]:
        # the usual text: tokens from its start, one space or none between them, no token of
        # whitespace; its words and spaces taken by comprehensions, not a step a token
        words = [text[start:end] for start, end in tokens]
        ends = [end for _, end in tokens]
        gaps = [text[end:start] for end, (start, _) in zip(ends, tokens[1:], strict=False)]
        gaps.append(text[ends[-1] :])
        if set(gaps) <= _PLAIN_GAPS and not any(map(str.isspace, words)):
            return words, [gap == " " for gap in gaps]
    return _words_and_spaces(text, tokens)


_PLAIN_GAPS = frozenset({"", " "})


def _words_and_spaces(text: str, tokens: TokenOffsets) -> tuple[list[str], list[bool]]:
    """``words_and_spaces`` of any text, gaps of any kind, a token at a time."""
    words: list[str] = []
    spaces: list[bool] = []

    def add_gap(gap: str) -> None:
        for piece in _GAP_PIECES.findall(gap):
            if piece[0] == " " and words and not spaces[-1] and not words[-1].isspace():
                spaces[-1] = True
                piece = piece[1:]
            if piece:
                words.append(piece)
                spaces.append(False)

    position = 0
    for start, end in tokens:
        if start != position:  # no gap, the usual case, adds nothing
            gap = text[position:start]
            if gap == " " and words and not spaces[-1] and not words[-1].isspace():
                spaces[-1] = True  # what add_gap does with one space, without the regex
            else:
                add_gap(gap)
        words.append(text[start:end])
        spaces.append(False)
        position = end
    add_gap(text[position:])
    return words, spaces


class DocBuilder:
    """Makes spaCy Docs of stored documents, sharing one vocab per export.

    Documents carry their tokens, so no tokenizer is needed (loading the French one takes
    seconds in a new process); the project's tokenizer is loaded only for a document without
    stored tokens.
    """

    def __init__(self, lang: str) -> None:
        from spacy.vocab import Vocab

        self.lang = lang
        self.vocab = Vocab()

    def make(self, document: Document) -> Doc:
        """The document's own tokens; the project tokenizer's when it has none stored."""
        if not document.tokens:
            return tokenize.blank(self.lang).make_doc(document.text)
        from spacy.tokens import Doc

        words, spaces = words_and_spaces(document.text, document.tokens)
        return Doc(self.vocab, words=words, spaces=spaces)


@dataclass
class AlignedSpans:
    """The spans of one document as spaCy spans, after the policy; ``None`` where skipped."""

    by_id: dict[str, SpacySpan | None] = field(default_factory=dict)

    def kept(self, spans: Iterable[Span]) -> list[tuple[Span, SpacySpan]]:
        return [(span, s) for span in spans if (s := self.by_id.get(span.id)) is not None]


def align_spans(
    doc: Doc,
    document: Document | DocumentRecord,
    spans: Iterable[Span | SpanRecord],
    policy: MisalignedPolicy,
    report: ExportReport,
) -> AlignedSpans:
    """Each span as a ``spacy.tokens.Span`` of ``doc``; misaligned ones handled by ``policy``.

    Every misaligned span is named in ``report.warnings`` with what was done to it, and counted
    as ``misaligned_expanded`` / ``misaligned_contracted`` / ``misaligned_skipped``.
    """
    _check_policy(policy)
    aligned = AlignedSpans()
    for span in spans:
        if _past_the_text(document, span, report):
            aligned.by_id[span.id] = None
            continue
        exact = doc.char_span(span.start, span.end, label=span.label)
        if exact is not None:
            aligned.by_id[span.id] = _without_space_ends(exact, document, report)
            continue
        moved = None
        if policy != "skip":
            moved = doc.char_span(span.start, span.end, label=span.label, alignment_mode=policy)
            if moved is not None and not moved.text.strip():
                moved = None  # only whitespace left: no entity to train on
        aligned.by_id[span.id] = moved
        _note_misaligned(
            document,
            span,
            policy,
            None if moved is None else (moved.start_char, moved.end_char),
            report,
        )
        if moved is not None:
            aligned.by_id[span.id] = _without_space_ends(moved, document, report)
    return aligned


def _without_space_ends(
    span: SpacySpan, document: Document | DocumentRecord, report: ExportReport
) -> SpacySpan | None:
    """``span`` without the whitespace tokens at its ends (a line break: ``"\\nParis"``), named
    in the report; None, and named, when it holds nothing else. No writer should write them:
    CoNLL does not write a whitespace token, and tagged the next word I- with no B- before it;
    spaCy's NER cannot learn an entity that starts or ends with white space (E024)."""
    doc = span.doc
    start, end = span.start, span.end
    while start < end and doc[start].text.isspace():  # is_space: False in a DocBuilder Doc
        start += 1
    while end > start and doc[end - 1].text.isspace():
        end -= 1
    if (start, end) == (span.start, span.end):
        return span
    where = (
        f"document {document.id}: span [{span.start_char}, {span.end_char}) {span.label_} "
        f"{span.text!r}"
    )
    if start == end:
        report.count("whitespace_only_skipped")
        report.warnings.append(f"{where} holds only white space; skipped")
        return None
    trimmed = doc[start:end]
    report.count("whitespace_trimmed")
    report.warnings.append(
        f"{where} begins or ends with white space; written as [{trimmed.start_char}, "
        f"{trimmed.end_char}) {trimmed.text!r}"
    )
    from spacy.tokens import Span as SpacySpan

    return SpacySpan(doc, start, end, label=span.label_)


def _check_policy(policy: str) -> None:
    if policy not in MISALIGNED_POLICIES:
        raise ExportError(
            f"unknown misaligned policy {policy!r} (known: {', '.join(MISALIGNED_POLICIES)})"
        )


def _past_the_text(
    document: Document | DocumentRecord, span: Span | SpanRecord, report: ExportReport
) -> bool:
    if span.end <= len(document.text):
        return False
    report.count("outside_text_skipped")
    report.warnings.append(
        f"document {document.id}: span [{span.start}, {span.end}) {span.label} runs past "
        f"the end of the text ({len(document.text)} characters); skipped"
    )
    return True


def _note_misaligned(
    document: Document | DocumentRecord,
    span: Span | SpanRecord,
    policy: MisalignedPolicy,
    moved: tuple[int, int] | None,
    report: ExportReport,
) -> None:
    """Name a span off token boundaries and what ``policy`` made of it (``moved``: offsets)."""
    text = document.text
    where = (
        f"document {document.id}: span [{span.start}, {span.end}) {span.label} "
        f"{text[span.start : span.end]!r} is not on token boundaries"
    )
    if moved is None:
        report.count("misaligned_skipped")
        reason = "" if policy == "skip" else f" (nothing left to {policy} to)"
        report.warnings.append(f"{where}; skipped{reason}")
    else:
        done = "expanded" if policy == "expand" else "contracted"
        report.count(f"misaligned_{done}")
        # what became of it, whatever the policy: expanding a span that starts on a space
        # gives one that starts after it (said "expanded to" a shorter span, before)
        if moved[0] <= span.start and moved[1] >= span.end:
            said = "expanded"
        elif moved[0] >= span.start and moved[1] <= span.end:
            said = "contracted"
        else:
            said = "moved"
        report.warnings.append(
            f"{where}; {said} to [{moved[0]}, {moved[1]}) {text[moved[0] : moved[1]]!r}"
        )


_SPACE = ord(" ")


@dataclass
class PlainTokens:
    """A document's stored tokens when they are already the tokens of its ``DocBuilder`` Doc:
    every gap between tokens is one space or none, and the text has no other whitespace (so no
    whitespace token either). What that Doc would hold and what its ``char_span`` would give,
    from arrays, without making the Doc: the writers' fast path for the usual document.
    """

    text: str
    codes: numpy.ndarray  # the text's characters as numbers
    starts: numpy.ndarray  # each token's first character
    ends: numpy.ndarray  # one past each token's last character
    spaces: numpy.ndarray  # whether a space follows the token

    @classmethod
    def of(cls, document: Document | DocumentRecord) -> PlainTokens | None:
        """The document's tokens, or None when they are not plain (or not stored)."""
        import numpy

        from annotator.io.offset_arrays import flat_offsets, token_counts

        text = document.text
        stored = document.offsets if isinstance(document, DocumentRecord) else None
        if stored:
            counts = token_counts([stored])
            if not counts.all():  # not whole pairs: not plain
                return None
            flat = flat_offsets([stored], counts)
        elif document.tokens:
            flat = numpy.array(document.tokens, dtype=numpy.int64).ravel()
        else:
            return None
        starts, ends = flat[0::2], flat[1::2]
        if not len(starts) or starts[0] != 0 or ends[-1] != len(text) or not text.isprintable():
            return None
        gaps = starts[1:] - ends[:-1]
        if gaps.min(initial=0) < 0 or gaps.max(initial=0) > 1:
            return None
        spaces = numpy.append(gaps == 1, False)
        # isprintable: no whitespace but " "; each space must be a whole gap between tokens
        if text.count(" ") != int(spaces.sum()):
            return None
        codes = numpy.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=numpy.uint32)
        if not (codes[ends[spaces]] == _SPACE).all():
            return None
        return cls(text, codes, starts, ends, spaces)

    def __len__(self) -> int:
        return len(self.starts)

    def exact(self, starts: list[int], ends: list[int]) -> tuple[list[int], list[int], list[bool]]:
        """For spans given by character offsets inside the text: the first token and one past
        the last, and whether the span is exactly on those tokens (``char_span`` strict)."""
        import numpy

        span_starts = numpy.array(starts, dtype=numpy.int64)
        span_ends = numpy.array(ends, dtype=numpy.int64)
        first = numpy.searchsorted(self.starts, span_starts)
        last = numpy.searchsorted(self.ends, span_ends)
        inside = (first < len(self.starts)) & (last < len(self.starts))
        first_start = self.starts[numpy.minimum(first, len(self.starts) - 1)]
        last_end = self.ends[numpy.minimum(last, len(self.starts) - 1)]
        exact = inside & (first_start == span_starts) & (last_end == span_ends)
        return first.tolist(), (last + 1).tolist(), exact.tolist()

    def char_span(self, start: int, end: int, mode: str = "strict") -> tuple[int, int] | None:
        """``Doc.char_span(start, end, alignment_mode=mode)`` as token indexes ``(first,
        one past the last)``; None where it gives None."""
        first = self._token_at(start)
        last = self._token_at(end - 1)
        if first < 0 or last < 0:
            return None
        if mode == "strict":
            if self.starts[first] != start or self.ends[last] != end:
                return None
        elif mode == "contract":
            if self.starts[first] < start:
                first += 1
            if end < self.ends[last]:
                last -= 1
            if last < first:
                return None
        elif start == self.ends[first]:  # expand: not from the trailing space of a token
            first += 1
        return first, last + 1

    def _token_at(self, char: int) -> int:
        """The token whose characters or trailing space hold ``char`` (spaCy's
        ``token_by_char``), -1 for none."""
        import numpy

        index = int(numpy.searchsorted(self.starts, char, side="right")) - 1
        if index < 0 or char >= self.ends[index] + self.spaces[index]:
            return -1
        return index

    def offsets(self, first: int, end: int) -> tuple[int, int]:
        """The characters of tokens ``first`` to ``end`` (excluded)."""
        return int(self.starts[first]), int(self.ends[end - 1])


def align_plain(
    tokens: PlainTokens,
    document: Document | DocumentRecord,
    spans: list[Span] | list[SpanRecord],
    policy: MisalignedPolicy,
    report: ExportReport,
) -> dict[str, tuple[int, int] | None]:
    """``align_spans`` on ``PlainTokens``: span id -> token indexes (first, one past the last),
    or None where skipped; the same warnings and counts. The spans on token boundaries (most)
    are found for all at once."""
    _check_policy(policy)
    length = len(tokens.text)
    if max(map(_END, spans), default=0) <= length:  # most documents: every span in the text
        firsts, ends, exact = tokens.exact(list(map(_START, spans)), list(map(_END, spans)))
        on_tokens = zip(firsts, ends, strict=True)  # most spans: then set by C loops
        aligned = dict(zip(map(_ID, spans), on_tokens, strict=True))
        for index in [i for i, is_exact in enumerate(exact) if not is_exact]:
            _align_off_tokens(tokens, document, spans[index], policy, aligned, report)
        return aligned  # type: ignore[return-value]
    aligned = {}
    inside = [span for span in spans if span.end <= length]
    firsts, ends, exact = tokens.exact([s.start for s in inside], [s.end for s in inside])
    on_tokens = iter(zip(firsts, ends, exact, strict=True))
    for span in spans:
        if span.end > length and _past_the_text(document, span, report):
            aligned[span.id] = None
            continue
        first, end, is_exact = next(on_tokens)
        if is_exact:
            aligned[span.id] = (first, end)
        else:
            _align_off_tokens(tokens, document, span, policy, aligned, report)
    return aligned


_ID, _START, _END = attrgetter("id"), attrgetter("start"), attrgetter("end")


def _align_off_tokens(
    tokens: PlainTokens,
    document: Document | DocumentRecord,
    span: Span | SpanRecord,
    policy: MisalignedPolicy,
    aligned: dict[str, tuple[int, int] | None],
    report: ExportReport,
) -> None:
    """``aligned[span.id]`` for a span off token boundaries, as ``policy`` moves it, named."""
    moved = None if policy == "skip" else tokens.char_span(span.start, span.end, policy)
    if moved is not None and (
        moved[1] <= moved[0]  # no token: spaCy's span would be empty
        or not tokens.text[slice(*tokens.offsets(*moved))].strip()
    ):
        moved = None
    aligned[span.id] = moved
    _note_misaligned(
        document, span, policy, None if moved is None else tokens.offsets(*moved), report
    )


def relations_kept(
    document: Document | DocumentRecord,
    relations: Iterable[Relation | RelationRecord],
    aligned: AlignedSpans | Mapping[str, Any],
    report: ExportReport,
) -> list[tuple[Any, Any, Any]]:
    """Relations whose two spans survived alignment, with those spans (as ``aligned`` holds
    them: spaCy spans, or ``align_plain``'s token indexes); the others are named and counted."""
    by_id = aligned.by_id if isinstance(aligned, AlignedSpans) else aligned
    kept = []
    for relation in relations:
        head, child = by_id.get(relation.head), by_id.get(relation.child)
        if head is None or child is None:
            report.count("relations_skipped")
            report.warnings.append(
                f"document {document.id}: relation {relation.label} skipped because one of its "
                f"spans was skipped"
            )
            continue
        kept.append((relation, head, child))
    return kept
