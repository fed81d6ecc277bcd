"""Tokens on first need: an import stores texts, spans and relations without tokens.

Tokenizing is most of an import's time (and loading a language's rules takes seconds), yet
tokens are only needed to snap spans and to write formats made of tokens. So a document has no
row in the ``tokens`` table until a reader of tokens asks for it here, and its spans' alignment
flags stay unknown (NULL) until then. Every reader of tokens (exports that write tokens,
suggest, train, team merge and agreement, propagation, the window) calls ``ensure_tokens``
first; ``Project.tokens`` raises ``TokensMissingError`` for a reader that forgot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from annotator.errors import Cancelled
from annotator.model import TokenBoundaries
from annotator.store import Project

Progress = Callable[[int, int | None], None]
TokenRow = tuple[int, bytes, TokenBoundaries]
"""A document's id, its token offsets as stored (``encode_offsets``) and their boundaries."""
BATCH_DOCUMENTS = 250  # committed together: an interrupted pass keeps every batch before


def ensure_tokens(
    project: Project,
    doc_ids: Sequence[int] | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> int:
    """Tokenize the documents (of ``doc_ids``, default all) that have no tokens yet with the
    project's tokenizer, store their tokens and set their spans' alignment flags; returns how
    many documents were tokenized.

    Each batch is committed on its own (unless the caller holds a transaction), so an
    interrupted pass keeps what it did. ``progress(done, total)`` follows each batch;
    ``cancel()`` is asked before each and, when true, stops with ``Cancelled``. A read-only
    project keeps the tokens in memory while it is open (see ``Project.store_tokens``).
    """
    missing = project.untokenized_ids(doc_ids)
    if progress is not None:
        progress(0, len(missing))
    done = 0
    for first in range(0, len(missing), BATCH_DOCUMENTS):
        if cancel is not None and cancel():
            raise Cancelled(f"tokenizing stopped; the tokens of {done} documents were kept")
        made = _made(project, missing[first : first + BATCH_DOCUMENTS])
        project.store_tokens(made)
        done += len(made)
        if progress is not None:
            progress(done, len(missing))
    return done


def made_tokens(project: Project, doc_ids: Sequence[int]) -> list[TokenRow]:
    """The tokens of the documents of ``doc_ids`` that have none yet, made but not stored, as
    ``Project.store_tokens`` takes them: a read-only window's worker makes them, and the
    window's own connection keeps them (a read-only project keeps tokens in its memory)."""
    return _made(project, project.untokenized_ids(doc_ids))


def _made(project: Project, doc_ids: Sequence[int]) -> list[TokenRow]:
    if not doc_ids:
        return []
    from annotator.io import tokenize  # spaCy: loaded only when there is work (seconds)

    ids, texts = zip(*project.texts(doc_ids), strict=True)
    tokenized = tokenize.tokenize_for_store(project.settings.lang, texts)
    return [
        (doc_id, offsets, boundaries)
        for doc_id, (offsets, boundaries) in zip(ids, tokenized, strict=True)
    ]


def import_spacy() -> None:
    """Import spaCy, one thread at a time (``io.tokenize.import_spacy``): what each of the
    window's workers that may import it does first."""
    from annotator.io import tokenize

    tokenize.import_spacy()


def load_tokenizer(lang: str) -> None:
    """Load the project's tokenizer now (the window does it in the background as a project
    opens), so that tokenizing the first document opened takes milliseconds, not seconds."""
    from annotator.io import tokenize

    tokenize.blank(lang)
