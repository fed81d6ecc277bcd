"""Texts longer than spaCy's ``nlp.max_length`` (1,000,000 characters by default).

spaCy refuses such a text (E088). Suggestions run it in pieces, each below the limit, cut at
the last paragraph break, else sentence end, else whitespace of the window (a hard cut only in
a window without any whitespace); the pieces are contiguous, so ``Doc.from_docs`` without added
whitespace gives back one ``Doc`` over exactly the original text, entities and span groups
included, with character offsets unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

_PARAGRAPH_END = re.compile(r"\n[ \t]*\n\s*")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'»”)\]]*\s+")
_WHITESPACE = re.compile(r"\s+")


def pieces(text: str, limit: int) -> list[tuple[int, int]]:
    """(start, end) of contiguous pieces covering ``text``, each at most ``limit`` long."""
    if limit < 1:
        raise ValueError("the piece length limit must be positive")
    bounds = []
    start = 0
    while len(text) - start > limit:
        end = _cut(text, start, start + limit)
        bounds.append((start, end))
        start = end
    bounds.append((start, len(text)))
    return bounds


def _cut(text: str, start: int, stop: int) -> int:
    """Where to end the piece that starts at ``start`` and may not pass ``stop``: after the
    last paragraph break, sentence end or whitespace run that ends by ``stop``."""
    window = text[start:stop]
    for pattern in (_PARAGRAPH_END, _SENTENCE_END, _WHITESPACE):
        ends = [match.end() for match in pattern.finditer(window)]
        if ends and ends[-1] > 0:
            return start + ends[-1]
    return stop


def pipe_long_texts(
    nlp: Language,
    items: Iterable[tuple[str, object]],
    batch_size: int = 64,
) -> Iterator[tuple[Doc, object]]:
    """``nlp.pipe(items, as_tuples=True)`` that also takes texts over ``nlp.max_length``."""
    limit = nlp.max_length
    parts: list[Doc] = []

    def split() -> Iterator[tuple[str, tuple[object, int, int]]]:
        for text, context in items:
            bounds = pieces(text, limit) if len(text) > limit else [(0, len(text))]
            for index, (start, end) in enumerate(bounds):
                yield text[start:end], (context, index, len(bounds))

    docs = nlp.pipe(split(), as_tuples=True, batch_size=batch_size)
    for doc, (context, index, count) in docs:
        if count == 1:
            yield doc, context
            continue
        parts.append(doc)
        if index == count - 1:
            yield Doc.from_docs(parts, ensure_whitespace=False), context
            parts = []
