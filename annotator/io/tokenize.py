"""The project's tokenizer and sentence splitter: spaCy's rule-based ones for a language.

Token offsets are what the store keeps for snapping spans and for exports; they come from
``spacy.blank(lang)`` so that a trained pipeline of the same language agrees with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

import spacy
from spacy.language import Language

from annotator.errors import AnnotatorError
from annotator.model.document import TokenOffsets

BATCH_SIZE = 1000


@lru_cache(maxsize=8)
def blank(lang: str) -> Language:
    """One blank pipeline per language for the whole process (loading one takes ~0.3 s)."""
    try:
        return spacy.blank(lang)
    except (ImportError, KeyError, ValueError) as error:
        raise AnnotatorError(
            f"spaCy has no language {lang!r} ({str(error).splitlines()[0]})"
        ) from None


@lru_cache(maxsize=8)
def _sentencizer(lang: str) -> Language:
    nlp = spacy.blank(lang)
    nlp.add_pipe("sentencizer")
    return nlp


def check_language(lang: str) -> None:
    """Raise a one-line ``AnnotatorError`` when spaCy cannot tokenize ``lang``."""
    blank(lang)


def tokenize(lang: str, texts: Iterable[str]) -> Iterator[TokenOffsets]:
    """Token offsets of each text, in order, through the tokenizer's batched ``pipe``."""
    tokenizer = blank(lang).tokenizer
    for doc in tokenizer.pipe(texts, batch_size=BATCH_SIZE):
        yield tuple((token.idx, token.idx + len(token)) for token in doc)


def sentences(lang: str, text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence of ``text``, by spaCy's punctuation sentencizer."""
    doc = _sentencizer(lang)(text)
    return [(sent.start_char, sent.end_char) for sent in doc.sents]
