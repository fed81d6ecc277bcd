"""Rules that need more than one object: a span against its text, a relation against its spans."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from operator import itemgetter

from annotator.errors import ValidationError
from annotator.model.document import TokenOffsets
from annotator.model.relation import Relation
from annotator.model.schema import LabelSchema
from annotator.model.span import Span


def offsets_within(start: object, end: object, text_length: int) -> bool:
    """Whether ``[start, end)`` is a span's place in a text of ``text_length`` characters: two
    integers, the start before the end, within the text. A span read from a crafted file may
    have any values (``Span`` checks them only when one is made)."""
    return type(start) is int and type(end) is int and 0 <= start < end <= text_length


def check_span(span: Span, text_length: int, schema: LabelSchema) -> None:
    """Refuse a span outside its text or with a label the schema does not have."""
    start, end = span.start, span.end
    if not offsets_within(start, end, text_length):
        if type(start) is type(end) is int and 0 <= start < end:  # past the end only
            raise ValidationError(
                f"span [{start}, {end}) of document {span.doc_id} runs past the end "
                f"of its text ({text_length} characters)"
            )
        # what the model refuses when a span is made, for one read from a crafted file
        raise ValidationError(
            f"span [{start!r}, {end!r}) of document {span.doc_id} needs two integer offsets, "
            f"the start before the end, within its text ({text_length} characters)"
        )
    if span.label not in schema.entity_names:
        raise ValidationError(
            f"span label {span.label!r} is not in the schema "
            f"(known: {', '.join(schema.entity_names) or 'none'})"
        )


def check_relation(relation: Relation, spans: Mapping[str, Span], schema: LabelSchema) -> None:
    """Refuse a relation with a missing endpoint, endpoints elsewhere, or a disallowed pair.

    ``spans`` maps span ids to spans of any documents the caller knows of.
    """
    ends = {}
    for role in ("head", "child"):
        span_id = getattr(relation, role)
        span = spans.get(span_id)
        if span is None:
            raise ValidationError(f"relation {relation.label!r}: {role} span {span_id} not found")
        if span.doc_id != relation.doc_id:
            raise ValidationError(
                f"relation {relation.label!r}: {role} span {span_id} is in document "
                f"{span.doc_id}, not {relation.doc_id}"
            )
        ends[role] = span
    label = schema.relation(relation.label)
    if label is None:
        raise ValidationError(
            f"relation label {relation.label!r} is not in the schema "
            f"(known: {', '.join(schema.relation_names) or 'none'})"
        )
    head, child = ends["head"].label, ends["child"].label
    if not label.allows(head, child):
        raise ValidationError(f"relation {relation.label!r} is not allowed from {head} to {child}")


class TokenBoundaries:
    """Token start and end offsets of one document, for O(1) alignment checks."""

    def __init__(self, tokens: TokenOffsets) -> None:
        starts, ends = zip(*tokens, strict=True) if tokens else ((), ())
        self.empty = not tokens
        self.starts = frozenset(starts)
        self.ends = frozenset(ends)

    @classmethod
    def from_edges(cls, starts: Iterable[int], ends: Iterable[int]) -> TokenBoundaries:
        """The same from the token starts and ends as two columns (a tokenizer's arrays)."""
        bounds = cls(())
        bounds.starts = frozenset(starts)
        bounds.ends = frozenset(ends)
        bounds.empty = not bounds.starts
        return bounds

    def aligned(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` falls on token boundaries, as spaCy needs (else W030)."""
        return self.empty or (start in self.starts and end in self.ends)


class SortedBoundaries:
    """``TokenBoundaries`` answered by binary search in the sorted token offsets themselves:
    nothing to build, for a few checks on a long document (building the sets of 100,000
    tokens is one long call, which a worker's search would hold the GIL through)."""

    def __init__(self, tokens: TokenOffsets) -> None:
        self.tokens = tokens
        self.empty = not tokens

    def aligned(self, start: int, end: int) -> bool:
        return is_aligned(start, end, self.tokens)


def is_aligned(start: int, end: int, tokens: TokenOffsets) -> bool:
    """One-off form of ``TokenBoundaries(tokens).aligned(start, end)``, by binary search (tokens
    are in text order, so their starts and their ends are both sorted)."""
    if not tokens:
        return True
    first = bisect_left(tokens, start, key=itemgetter(0))
    if first == len(tokens) or tokens[first][0] != start:
        return False
    last = bisect_left(tokens, end, key=itemgetter(1))
    return last < len(tokens) and tokens[last][1] == end
