"""The project's tokenizer and sentence splitter: spaCy's rule-based ones for a language.

Token offsets are what the store keeps for snapping spans and for exports; they come from
``spacy.blank(lang)`` so that a trained pipeline of the same language agrees with them.
spaCy is imported on first use, not with this module: an import checks the language but does
not tokenize, and importing spaCy takes a second.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import Sentencizer

from annotator.errors import AnnotatorError
from annotator.model import TokenBoundaries
from annotator.model.document import TokenOffsets, encode_offsets

BATCH_SIZE = 64  # Docs alive at once: 1,000 Docs of 800 tokens hold ~100 MB
MAX_LEXEMES = 50_000


@cache
def _sentencizer() -> Sentencizer:
    """The component alone: no second pipeline to load."""
    from spacy.pipeline import Sentencizer

    return Sentencizer()


_LOADING = threading.Lock()


def import_spacy() -> None:
    """Import spaCy in this thread, one thread at a time (the lock ``blank`` loads under).

    Two threads importing spaCy for the first time at once break the import: Python's import
    locks find a deadlock between its modules and hand one thread a module half made
    ("cannot import name 'get_string_id' from partially initialized module 'spacy.strings'").
    The window's workers that may import spaCy call this first; once done, it costs nothing.
    """
    with _LOADING:
        import spacy  # noqa: F401


def blank(lang: str) -> Language:
    """One blank pipeline per language for the whole process. Loading one takes seconds for
    French (its tokenizer exceptions), and the window's background pass and a document opened
    meanwhile may both ask: the second waits for the first load instead of doing it again."""
    with _LOADING:
        return _load_blank(lang)


@lru_cache(maxsize=8)
def _load_blank(lang: str) -> Language:
    import spacy

    try:
        return spacy.blank(lang)
    except (ImportError, KeyError, ValueError) as error:
        raise AnnotatorError(
            f"spaCy has no language {lang!r} ({str(error).splitlines()[0]})"
        ) from None


def check_language(lang: str) -> None:
    """Raise a one-line ``AnnotatorError`` when spaCy cannot tokenize ``lang``.

    A language spaCy ships is known by its folder, without loading its rules (French takes
    2.5 s: an import does not tokenize, so it need not pay that); others (a language a
    package registers) are loaded to be sure."""
    if not _ships_language(lang):
        blank(lang)


def _ships_language(lang: str) -> bool:
    spec = importlib.util.find_spec("spacy")  # where it is, without importing it
    folder = Path(spec.origin if spec and spec.origin else "").parent / "lang" / lang
    return lang.isascii() and lang.isalpha() and (folder / "__init__.py").is_file()


def tokenize(lang: str, texts: Iterable[str]) -> Iterator[TokenOffsets]:
    """Token offsets of each text, in order, through the tokenizer's batched ``pipe``."""
    for starts, ends in _columns(lang, texts):
        yield tuple(zip(starts, ends, strict=True))


def tokenize_for_store(lang: str, texts: Iterable[str]) -> Iterator[tuple[bytes, TokenBoundaries]]:
    """``tokenize`` as the import needs it: the offsets encoded for the project file and the
    boundaries spans are checked against, made from the tokenizer's arrays (no tuple per
    token: a corpus of 800-token documents has millions)."""
    for starts, ends in _columns(lang, texts):
        yield encode_offsets(starts, ends), TokenBoundaries.from_edges(starts, ends)


def _columns(lang: str, texts: Iterable[str]) -> Iterator[tuple[list[int], list[int]]]:
    """Token starts and ends of each text, as two lists.

    The vocabulary grows with every new word (~0.3 KB each); past ``MAX_LEXEMES`` the
    pipeline is made afresh (same rules, same tokens; ~0.1 s) so a long import keeps flat memory.
    """
    nlp = blank(lang)  # first: it imports spaCy under its lock (two threads may ask at once)
    from spacy.attrs import IDX, LENGTH

    if len(nlp.vocab) > MAX_LEXEMES:
        with _LOADING:
            _load_blank.cache_clear()
        nlp = blank(lang)
    for doc in nlp.tokenizer.pipe(texts, batch_size=BATCH_SIZE):
        offsets = doc.to_array([IDX, LENGTH]).reshape(-1, 2)
        starts = offsets[:, 0]
        yield starts.tolist(), (starts + offsets[:, 1]).tolist()


def sentences(lang: str, text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence of ``text``, by spaCy's punctuation sentencizer."""
    doc = _sentencizer()(blank(lang).make_doc(text))
    return [(sent.start_char, sent.end_char) for sent in doc.sents]
