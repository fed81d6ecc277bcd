"""The document list's text index, caught up after an import.

An import commits its documents without adding their texts to the trigram index behind the
list's text filter (a third of its time on a large file); the filter scans the texts past the
index's border meanwhile (``store.listing``), so its answers stay right, only slower. The window
catches the index up in the background (``ui.background_index``), a batch at a time, each batch
in a short transaction of its own with the index's border, so an edit never waits long and an
interrupted pass keeps every batch it committed.
"""

from __future__ import annotations

from collections.abc import Callable

from annotator.errors import Cancelled
from annotator.store import Project

Progress = Callable[[int, int | None], None]
BATCH_DOCUMENTS = 250  # about 0.1 s of writing for texts of 5,000 characters


def ensure_text_index(
    project: Project,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    batch: int | None = BATCH_DOCUMENTS,
) -> int:
    """Add every text the index lacks, ``batch`` documents a transaction (``None``: all in one,
    the quickest when nothing else writes); returns how many were indexed.

    ``progress(done, total)`` follows each batch; ``cancel()`` is asked before each and, when
    true, stops with ``Cancelled`` (what was committed stays).
    """
    total = project.count_unindexed()
    if progress is not None:
        progress(0, total)
    done = 0
    while total:
        if cancel is not None and cancel():
            raise Cancelled(f"indexing stopped; {done} texts were indexed")
        indexed = project.index_texts(limit=batch)
        done += indexed
        if progress is not None:
            progress(done, max(total, done))  # documents added meanwhile wait for it too
        if batch is None or indexed < batch:
            break
    return done
