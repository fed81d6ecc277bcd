"""What a command that moves a whole corpus at once does to the Python process around it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside (collection as before after it).

    A bulk import or export makes objects by the million (a record, a span, a row tuple each)
    and keeps a batch of them alive; every 700 of them the collector walks the young ones,
    and now and then every object the process holds, and finds nothing to free: the rows
    hold no reference cycles, and plain reference counting frees them. 10,000 documents of
    33 spans: an import 4.9 -> 4.4 CPU s. For the command-line's one job (``annotator import``
    / ``export``), not for a window, whose other threads keep allocating meanwhile.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
