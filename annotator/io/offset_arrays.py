"""Stored token offsets of many documents as numpy arrays, for the code that works on arrays:
the CoNLL and Prodigy writers' plain tokens, and the agreement counts. Each takes both forms of
``model.document.StoredOffsets``: bytes read as they are, JSON text parsed by numpy."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress, groupby

import numpy

from annotator.model.document import StoredOffsets

_STORED_TYPE = numpy.dtype("<u4")  # model.document.encode_offsets


def token_counts(stored: Sequence[StoredOffsets]) -> numpy.ndarray:
    """Each document's number of tokens; 0 for none, and for offsets that are not whole pairs
    (a crafted file), which the caller takes one by one."""
    return numpy.fromiter(map(_token_count, stored), numpy.int64, len(stored))


def _token_count(offsets: StoredOffsets) -> int:
    if isinstance(offsets, str):
        commas = offsets.count(",")  # [[0,4],[5,10]]: one within each pair, one between
        return (commas + 1) // 2 if commas % 2 else 0
    return 0 if len(offsets) % 8 else len(offsets) // 8


def flat_offsets(stored: Sequence[StoredOffsets], counts: numpy.ndarray) -> numpy.ndarray:
    """The offsets of all, one after the other (start, end, start...), as 64-bit integers:
    bytes joined and read without parsing, JSON text parsed by one numpy call a run of them.
    ``counts`` are ``token_counts(stored)``: documents with 0 add none, so the length is twice
    their sum, unless some JSON text holds what is not a number (a crafted file)."""
    pieces = []
    counted = compress(stored, counts)
    for is_text, run in groupby(counted, key=lambda offsets: isinstance(offsets, str)):
        if is_text:
            digits = ",".join(run).encode().translate(None, b"[]")  # type: ignore[arg-type]
            pieces.append(numpy.fromstring(digits, sep=",", dtype=numpy.int64))  # type: ignore[call-overload]
        else:
            joined = b"".join(run)  # type: ignore[arg-type]
            pieces.append(numpy.frombuffer(joined, dtype=_STORED_TYPE).astype(numpy.int64))
    if len(pieces) == 1:
        return pieces[0]
    return numpy.concatenate(pieces) if pieces else numpy.zeros(0, dtype=numpy.int64)
