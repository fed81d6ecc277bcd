"""spaCy Docs from stored tokens, and the ``--misaligned`` policy for spans off token boundaries.

spaCy drops a span whose offsets do not fall on token boundaries (warning W030). An export
names every such span by document and offsets and then expands it, contracts it or skips it
(``Doc.char_span(alignment_mode=...)``), as the user chose; it is never dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan
from spacy.vocab import Vocab

from annotator.errors import ExportError
from annotator.io import tokenize
from annotator.io.records import ExportReport
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
        self.lang = lang
        self.vocab = Vocab()

    def make(self, document: Document) -> Doc:
        """The document's own tokens; the project tokenizer's when it has none stored."""
        if not document.tokens:
            return tokenize.blank(self.lang).make_doc(document.text)
        words, spaces = words_and_spaces(document.text, document.tokens)
        return Doc(self.vocab, words=words, spaces=spaces)


@dataclass
class AlignedSpans:
    """The spans of one document as spaCy spans, after the policy; ``None`` where skipped."""

    by_id: dict[str, SpacySpan | None] = field(default_factory=dict)

    def kept(self, spans: Iterable[Span]) -> list[tuple[Span, SpacySpan]]:
        return [(span, s) for span in spans if (s := self.by_id.get(span.id)) is not None]

    def relation_ends(self, relation: Relation) -> tuple[SpacySpan, SpacySpan] | None:
        head, child = self.by_id.get(relation.head), self.by_id.get(relation.child)
        return None if head is None or child is None else (head, child)


def align_spans(
    doc: Doc,
    document: Document,
    spans: Iterable[Span],
    policy: MisalignedPolicy,
    report: ExportReport,
) -> AlignedSpans:
    """Each span as a ``spacy.tokens.Span`` of ``doc``; misaligned ones handled by ``policy``.

    Every misaligned span is named in ``report.warnings`` with what was done to it, and counted
    as ``misaligned_expanded`` / ``misaligned_contracted`` / ``misaligned_skipped``.
    """
    if policy not in MISALIGNED_POLICIES:
        raise ExportError(
            f"unknown misaligned policy {policy!r} (known: {', '.join(MISALIGNED_POLICIES)})"
        )
    aligned = AlignedSpans()
    text = document.text
    for span in spans:
        if span.end > len(text):
            aligned.by_id[span.id] = None
            report.count("outside_text_skipped")
            report.warnings.append(
                f"document {document.id}: span [{span.start}, {span.end}) {span.label} runs past "
                f"the end of the text ({len(text)} characters); skipped"
            )
            continue
        exact = doc.char_span(span.start, span.end, label=span.label)
        if exact is not None:
            aligned.by_id[span.id] = exact
            continue
        moved = None
        if policy != "skip":
            moved = doc.char_span(span.start, span.end, label=span.label, alignment_mode=policy)
            if moved is not None and not moved.text.strip():
                moved = None  # only whitespace left: no entity to train on
        aligned.by_id[span.id] = moved
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
            report.warnings.append(
                f"{where}; {done} to [{moved.start_char}, {moved.end_char}) {moved.text!r}"
            )
    return aligned


def relations_kept(
    document: Document,
    relations: Iterable[Relation],
    aligned: AlignedSpans,
    report: ExportReport,
) -> list[tuple[Relation, SpacySpan, SpacySpan]]:
    """Relations whose two spans survived alignment; the others are named and counted."""
    kept = []
    for relation in relations:
        ends = aligned.relation_ends(relation)
        if ends is None:
            report.count("relations_skipped")
            report.warnings.append(
                f"document {document.id}: relation {relation.label} skipped because one of its "
                f"spans was skipped"
            )
            continue
        kept.append((relation, *ends))
    return kept
