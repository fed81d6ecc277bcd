"""spaCy DocBin (``.spacy``) reader: entities, every span group, and ``doc._.rel`` relations.

A DocBin is one compressed blob, so the file is loaded whole; documents are then made one at a
time. Spans found in ``doc.ents`` and in a span group are one span; which groups held each
span is kept in ``meta["spacy"]["span_groups"]`` (``[start, end, label]`` lists), with
``doc.cats`` in ``meta["spacy"]["cats"]``. Relations come from ``doc._.rel`` as spaCy's
``rel_component`` tutorial writes it: ``{(head_first_token, child_first_token): {label:
score}}``; each label scored 0.5 or more is an accepted relation. ``doc.ents`` is kept in
``meta["spacy"]["entities"]``, so that the export gives back the same entities and groups.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy
import srsly

from annotator.errors import FormatError
from annotator.io import limits
from annotator.io.records import ImportedRelation, ImportedSpan, ImportRecord
from annotator.io.registry import register_reader

if TYPE_CHECKING:  # spaCy is imported where a file is read, not to detect a format
    from spacy.tokens import Doc, DocBin, Span

RELATION_THRESHOLD = 0.5
INFLATE_RATIO = 200  # real texts' DocBins inflate ~13 times (one word repeated: 400); bombs 1,032
INFLATE_FLOOR = 64 * 2**20  # a small file may always inflate this much
INFLATE_PIECE = 16 * 2**20


def ensure_rel_extension() -> None:
    """``doc._.rel`` must be registered before a DocBin's user data can be read through it."""
    from spacy.tokens import Doc

    if not Doc.has_extension("rel"):
        Doc.set_extension("rel", default={})


def load_docbin(path: Path) -> DocBin:
    """The DocBin of a file whose content was checked first: bounded inflating, then the
    type of every field spaCy reads (it trusts them and fails with a traceback otherwise)."""
    from spacy.tokens import DocBin

    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise FormatError(path, None, f"cannot read ({error.strerror})") from None
    if not data:
        raise FormatError(path, None, "the file is empty; nothing to import")
    try:
        message = srsly.msgpack_loads(_inflate(path, data))
    except (ValueError, TypeError) as error:
        raise FormatError(path, None, f"not a spaCy DocBin ({_reason(error)})") from None
    _check_layout(path, message)
    try:
        return DocBin(store_user_data=True).from_bytes(data)
    except (ValueError, KeyError, TypeError, zlib.error) as error:
        raise FormatError(path, None, f"not a spaCy DocBin ({_reason(error)})") from None


def _reason(error: Exception) -> str:
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__


def _inflate(path: Path, data: bytes) -> bytearray:
    """The msgpack inside, refused once it outgrows ``INFLATE_RATIO`` times the file (a zlib
    bomb) or ``limits.MAX_INFLATED_BYTES``; inflated piece by piece into one buffer, so memory
    never holds more than the limit."""
    limit = min(limits.MAX_INFLATED_BYTES, max(INFLATE_FLOOR, INFLATE_RATIO * len(data)))
    inflater = zlib.decompressobj()
    inflated = bytearray()
    pending = data
    try:
        while pending and not inflater.eof:
            room = limit + 1 - len(inflated)  # one byte past the limit tells it is passed
            inflated += inflater.decompress(pending, min(INFLATE_PIECE, room))
            pending = inflater.unconsumed_tail
            if len(inflated) > limit:
                raise FormatError(
                    path,
                    None,
                    f"inflates to more than {limit // 2**20:,} MB ({INFLATE_RATIO} times its "
                    "size at most): damaged, or made to exhaust memory",
                )
        inflated += inflater.flush()
    except zlib.error as error:
        raise FormatError(path, None, f"not a spaCy DocBin ({error})") from None
    return inflated


_LAYOUT: dict[str, type | tuple[type, ...]] = {
    "attrs": list,
    "strings": list,
    "lengths": bytes,
    "spaces": bytes,
    "tokens": bytes,
    "cats": list,
}
_PER_DOCUMENT: dict[str, type | tuple[type, ...]] = {
    "cats": dict,
    "span_groups": bytes,
    "flags": dict,
    "user_data": (bytes, type(None)),
}


def _check_layout(path: Path, message: Any) -> None:
    """Each field DocBin.from_bytes and get_docs read has the type and size they assume."""
    from spacy.attrs import ORTH

    def refuse(reason: str) -> NoReturn:
        raise FormatError(path, None, f"not a spaCy DocBin ({reason})")

    if not isinstance(message, dict):
        refuse("no field table")
    for key, kind in _LAYOUT.items():
        if not isinstance(message.get(key), kind):
            refuse(f"{key} is missing or not a {getattr(kind, '__name__', kind)}")
    attrs = message["attrs"]
    if not attrs or not all(limits.is_offset(a) for a in attrs) or ORTH not in attrs:
        refuse("attrs must be attribute ids, ORTH among them")
    if not all(isinstance(string, str) for string in message["strings"]):
        refuse("strings must be text")
    if len(message["lengths"]) % 4 or len(message["tokens"]) % (8 * len(attrs)):
        refuse("lengths or tokens are cut short")
    lengths = numpy.frombuffer(message["lengths"], dtype="int32")
    tokens = len(message["tokens"]) // (8 * len(attrs))
    if (lengths < 0).any() or int(lengths.sum()) != tokens or len(message["spaces"]) != tokens:
        refuse("token counts do not add up")
    for key, kind in _PER_DOCUMENT.items():
        values = message.get(key)
        if values is None and key != "cats":
            continue
        if not isinstance(values, list) or not all(isinstance(v, kind) for v in values):
            refuse(f"{key} must be a list with one entry per document")
        if len(values) < len(lengths) and key != "user_data":  # spaCy allows it shorter
            refuse(f"{key} has {len(values)} entries for {len(lengths)} documents")


def docbin_files(path: Path) -> list[Path]:
    """``path`` itself, or every ``.spacy`` below the folder (as ``export --split`` writes)."""
    if path.is_dir():
        return sorted(path.rglob("*.spacy"), key=lambda file: file.relative_to(path).as_posix())
    return [path]


def sniff_docbin(path: Path, head: bytes) -> bool:
    """A ``.spacy`` file or a folder of them, or zlib data (how DocBin.to_bytes starts)."""
    if path.is_dir():
        return next(path.rglob("*.spacy"), None) is not None
    return path.suffix.lower() == ".spacy" or head[:2] in (b"\x78\x9c", b"\x78\xda")


@register_reader(
    "spacy", sniff=sniff_docbin, priority=30, folders=lambda path: path.suffix.lower() == ".spacy"
)
def read_docbin(path: Path, **_options: Any) -> Iterator[ImportRecord]:
    """spaCy DocBin (.spacy file or folder): doc.ents, every doc.spans group, doc._.rel."""
    from spacy.vocab import Vocab

    path = Path(path)
    ensure_rel_extension()
    files = docbin_files(path)
    if not files:
        raise FormatError(path, None, "no .spacy file in this folder")
    for file in files:
        docbin = load_docbin(file)
        try:
            for number, doc in enumerate(docbin.get_docs(Vocab()), 1):
                record = doc_record(doc, file, number)
                if file != path:
                    relative = file.relative_to(path).as_posix()
                    record.meta["file"] = relative
                    record.where = f"{relative}, document {number}"
                yield record
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
            # what spaCy raises on values its checks do not cover (attribute values, span
            # group and user data bytes)
            raise FormatError(file, None, f"damaged DocBin ({_reason(error)})") from None


def doc_record(doc: Doc, path: Path, number: int) -> ImportRecord:
    """One Doc as a record; ``number`` counts documents from 1 for error messages."""
    where = f"document {number}"
    spans: dict[str, ImportedSpan] = {}
    by_first_token: dict[int, str] = {}
    groups: dict[str, list[list[Any]]] = {}

    def add(span: Span) -> str:
        key = f"{span.start_char}:{span.end_char}:{span.label_}"
        if key not in spans:
            spans[key] = ImportedSpan(span.start_char, span.end_char, span.label_, key=key)
            by_first_token.setdefault(span.start, key)
        return key

    for span in doc.ents:
        add(span)
    for name, group in doc.spans.items():
        members = []
        for span in group:
            if not span.label_:
                raise FormatError(
                    path,
                    where,
                    f"span [{span.start_char}, {span.end_char}) in group {name!r} has no label",
                )
            add(span)
            members.append([span.start_char, span.end_char, span.label_])
        groups[name] = members
    relations = _relations(doc, by_first_token, path, where)
    spacy_meta: dict[str, Any] = {
        "entities": [[span.start_char, span.end_char, span.label_] for span in doc.ents]
    }
    if groups:
        spacy_meta["span_groups"] = groups
    if doc.cats:
        spacy_meta["cats"] = dict(doc.cats)
    return ImportRecord(
        text=doc.text,
        where=where,
        meta={"spacy": spacy_meta},
        tokens=tuple((token.idx, token.idx + len(token)) for token in doc),
        spans=list(spans.values()),
        relations=relations,
    )


def _relations(
    doc: Doc, by_first_token: dict[int, str], path: Path, where: str
) -> list[ImportedRelation]:
    rel = doc._.rel
    if not rel:
        return []
    if not isinstance(rel, dict):
        raise FormatError(path, where, f"doc._.rel is a {type(rel).__name__}, not a dict")
    relations = []
    for pair, scores in rel.items():
        if not (isinstance(pair, tuple | list) and len(pair) == 2 and isinstance(scores, dict)):
            raise FormatError(
                path, where, f"doc._.rel entry {pair!r} is not (head, child): {{label: score}}"
            )
        if not all(isinstance(label, str) and _is_number(s) for label, s in scores.items()):
            raise FormatError(path, where, f"doc._.rel entry {pair!r}: scores must be numbers")
        chosen = [label for label, score in scores.items() if score >= RELATION_THRESHOLD]
        if not chosen:
            continue
        keys = []
        for role, token in zip(("head", "child"), pair, strict=True):
            key = by_first_token.get(token)
            if key is None:
                raise FormatError(
                    path, where, f"doc._.rel {role} token {token} is not the start of an entity"
                )
            keys.append(key)
        relations.extend(
            ImportedRelation(head=keys[0], child=keys[1], label=label) for label in chosen
        )
    return relations


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
