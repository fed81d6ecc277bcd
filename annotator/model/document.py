"""A document: immutable text plus the token offsets used for snapping and export."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DocumentStatus = Literal["new", "suggested", "in_progress", "done", "skipped"]
DOCUMENT_STATUSES: tuple[str, ...] = ("new", "suggested", "in_progress", "done", "skipped")

TokenOffsets = tuple[tuple[int, int], ...]
"""(start, end) character offsets of each token, end exclusive, in text order."""


def encode_offsets(starts: Iterable[int], ends: Iterable[int]) -> str:
    """Token offsets as the project file keeps them: ``[[0,4],[5,10]]``, the bytes of
    ``json.dumps(tokens, separators=(",", ":"))``, made from two columns without a tuple per
    token (the import's hot path)."""
    return "[" + ",".join(map("[{},{}]".format, starts, ends)) + "]"


DECODED_PIECE = 32_768
"""Characters of stored offsets (about 2,500 tokens) decoded by one call of ``json.loads``."""


def decode_offsets(offsets: str | None) -> TokenOffsets:
    """Stored token offsets (``[[0,4],...]``, see ``encode_offsets``) as a tuple of pairs: read
    flat and paired by ``zip``, 1.5 times quicker than converting each decoded pair.

    Decoded a piece at a time: one ``json.loads`` of a 100,000-token document holds the GIL
    for tens of milliseconds, which a keystroke would wait for while a worker decodes."""
    if not offsets:
        return ()
    pairs: list[tuple[int, int]] = []
    begin = 0
    while begin < len(offsets):
        cut = offsets.find("]", begin + DECODED_PIECE)  # the end of a pair, or of the list
        end = len(offsets) if cut == -1 else cut + 1
        numbers = offsets[begin:end].replace("[", "").replace("]", "").strip(", ")
        flat = json.loads(f"[{numbers}]")
        pairs += zip(flat[0::2], flat[1::2], strict=True)
        begin = end
    return tuple(pairs)


def text_hash(text: str) -> str:
    """Identity of a text, used to find the same text imported twice."""
    return utf8_hash(text.encode("utf-8"))


def utf8_hash(data: bytes) -> str:
    """``text_hash`` of a text given as UTF-8 (an import has it from its checks)."""
    return hashlib.sha1(data).hexdigest()


def check_tokens(tokens: TokenOffsets, text_length: int) -> None:
    """Raise ``ValueError`` for a token outside the text, empty or out of order."""
    previous_end = 0
    for index, (start, end) in enumerate(tokens):
        if not (previous_end <= start < end <= text_length):
            raise ValueError(
                f"token {index} ({start}, {end}) is outside the text, empty or out of order"
            )
        previous_end = end


class Document(BaseModel):
    """One text to annotate. ``id`` is given by the project store."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: int | None = None
    text: str
    meta: dict[str, Any] = Field(default_factory=dict)
    status: DocumentStatus = "new"
    tokens: TokenOffsets = ()

    @model_validator(mode="after")
    def _tokens_inside_text(self) -> Document:
        check_tokens(self.tokens, len(self.text))
        return self

    @property
    def hash(self) -> str:
        return text_hash(self.text)

    @property
    def title(self) -> str:
        """What a list shows: the meta title if any, else the first words."""
        title = self.meta.get("title")
        if isinstance(title, str) and title.strip():
            return title.strip()
        first_line = self.text.strip().split("\n", 1)[0]
        return first_line[:80]
