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
from annotator.store import Project

Progress = Callable[[int, int | None], None]
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
    if not missing:
        return 0
    from annotator.io import tokenize  # spaCy: loaded only when there is work (seconds)

    lang = project.settings.lang
    done = 0
    for first in range(0, len(missing), BATCH_DOCUMENTS):
        if cancel is not None and cancel():
            raise Cancelled(f"tokenizing stopped; the tokens of {done} documents were kept")
        ids, texts = zip(*project.texts(missing[first : first + BATCH_DOCUMENTS]), strict=True)
        tokenized = tokenize.tokenize_for_store(lang, texts)
        project.store_tokens(
            [
                (doc_id, offsets, boundaries)
                for doc_id, (offsets, boundaries) in zip(ids, tokenized, strict=True)
            ]
        )
        done += len(ids)
        if progress is not None:
            progress(done, len(missing))
    return done


def load_tokenizer(lang: str) -> None:
    """Load the project's tokenizer now (the window does it in the background as a project
    opens), so that tokenizing the first document opened takes milliseconds, not seconds."""
    from annotator.io import tokenize

    tokenize.blank(lang)
