"""JSON Lines readers: plain ``{"text", "meta"}`` records, and Prodigy task files.

Prodigy tasks (``tokens``, ``spans``, ``relations``, ``answer``) keep everything a Prodigy
writer needs to give the task back: ``_input_hash`` and ``_task_hash`` at the top of the
document meta, the task's own ``meta`` as the rest of it, and every other key of the task under
``meta["prodigy"]`` (with ``token_keys``, ``token_extras``, ``span_extras`` and
``relation_extras`` for keys of tokens, spans and relations that the store has no column for).
The file's tokens become the document's tokens.

What each ``answer`` becomes (also in docs/importing.md):

==========  ==================================  =================================
answer      spans and relations                 document status
==========  ==================================  =================================
accept      accepted                            done (binary ``ner`` task: in_progress)
reject      rejected: never suggested again     new, or in_progress if others accepted
ignore      suggested                           skipped
(none)      suggested (pre-annotations)         suggested, or new without spans
==========  ==================================  =================================

A task whose answer judges a category or a choice (top-level ``label``, ``options`` or
``accept``: textcat and choice recipes) is imported as its text: the answer, label, options and
choices stay in ``meta["prodigy"]``, its spans become suggestions, and it is not marked done.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotator.errors import FormatError
from annotator.io import limits
from annotator.io.records import ImportedRelation, ImportedSpan, ImportRecord
from annotator.io.registry import SNIFF_BYTES, register_reader
from annotator.model.document import DocumentStatus, TokenOffsets
from annotator.model.span import AnnotationStatus

PRODIGY_KEYS = frozenset(
    {"_input_hash", "_task_hash", "answer", "tokens", "spans", "relations", "_view_id"}
)
HASH_KEYS = ("_input_hash", "_task_hash")
KEPT = "prodigy"  # the meta key where the rest of a task is kept, for the Prodigy writer
_STORED_KEYS = frozenset({"text", "meta", "tokens", "spans", "relations", *HASH_KEYS})
_TOKEN_KEYS = frozenset({"text", "start", "end", "id", "ws"})
_SPAN_KEYS = frozenset({"start", "end", "label", "token_start", "token_end", "text"})
_RELATION_KEYS = frozenset({"head", "child", "head_span", "child_span", "label"})
_BINARY_VIEWS = frozenset({"ner", "classification"})
_JSON_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json", ".jsonlines"})


# -- lines ------------------------------------------------------------------------------------


def json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line (UTF-8, BOM allowed, CRLF or LF); a
    one-line error naming the line and column for bad UTF-8, bad JSON or a non-object."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as error:
        raise FormatError(path, None, f"cannot read ({error.strerror})") from None
    with handle:
        for number, raw in limits.read_lines(handle, path):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            raw = raw.strip()
            if not raw:
                continue
            value = _parse_line(raw, path, number)
            if not isinstance(value, dict):
                found = type(value).__name__
                hint = " (a JSON file rather than JSON Lines?)" if found == "list" else ""
                raise FormatError(path, number, f"expected a JSON object, found a {found}{hint}")
            yield number, value


def read_tasks(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``json_lines`` whose objects each hold a ``text`` string: texts to annotate."""
    for number, task in json_lines(path):
        if not isinstance(task.get("text"), str):
            if "pattern" in task and "label" in task:
                raise FormatError(
                    path,
                    number,
                    'a pattern file ("label" + "pattern"), not texts to annotate; '
                    "use it with: annotator suggest PROJECT --patterns FILE",
                )
            raise FormatError(
                path,
                number,
                'no "text" string; only text tasks can be imported '
                "(not image, audio or video tasks)",
            )
        limits.check_text(task["text"], path, number)  # before a reader works on its tokens
        yield number, task


def _parse_line(raw: bytes, path: Path, number: int) -> Any:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FormatError(
            path,
            number,
            f"not UTF-8 (byte 0x{raw[error.start]:02x} at column {error.start + 1}); "
            "convert the file to UTF-8",
        ) from None
    # the standard parser: srsly's ujson reads 0.7 as 0.7000000000000001, which would
    # change scores on a round trip; it also says where and why a line is bad
    return limits.loads(line, path, number)


def count_documents(path: Path) -> int:
    """Non-blank lines: the records a JSONL reader yields, for a progress bar."""
    with Path(path).open("rb") as handle:
        return sum(1 for raw in handle if raw.strip())


def _head_tasks(path: Path, head: bytes) -> list[dict[str, Any]]:
    """The objects with a ``text`` on the complete lines of ``head``; [] if one is not such."""
    if path.is_dir():
        return []
    lines = head.removeprefix(codecs.BOM_UTF8).split(b"\n")
    if len(head) >= SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    tasks = []
    for raw in lines:
        if not raw.strip():
            continue
        try:
            task = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return []
        if not (isinstance(task, dict) and isinstance(task.get("text"), str)):
            return []
        tasks.append(task)
    return tasks


def _task_meta(task: dict[str, Any], path: Path, number: int) -> dict[str, Any]:
    meta = task.get("meta")
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise FormatError(path, number, f'"meta" must be an object, not {type(meta).__name__}')
    return dict(meta)


# -- plain JSONL ------------------------------------------------------------------------------


def sniff_jsonl(path: Path, head: bytes) -> bool:
    """Lines of JSON objects with a ``text`` string."""
    if _head_tasks(path, head):
        return True
    # A first line longer than the sniffed bytes cannot be parsed; trust the suffix then.
    return path.suffix.lower() in _JSON_SUFFIXES and head.lstrip().startswith(b"{")


@register_reader("jsonl", sniff=sniff_jsonl, priority=10)
def read_jsonl(path: Path, **_options: Any) -> Iterator[ImportRecord]:
    """JSON Lines of {"text": ..., "meta": {...}}; other top-level keys are kept in meta."""
    for number, task in read_tasks(path):
        meta = _task_meta(task, path, number)
        for key, value in task.items():
            if key not in ("text", "meta"):
                meta.setdefault(key, value)
        yield ImportRecord(text=task["text"], where=number, meta=meta)


# -- Prodigy ----------------------------------------------------------------------------------


def sniff_prodigy(path: Path, head: bytes) -> bool:
    """Tasks with Prodigy's own keys (hashes, answer, tokens, spans as objects)."""
    tasks = _head_tasks(path, head)
    if not tasks and sniff_jsonl(path, head):  # one line longer than the sniffed bytes
        return b'"entities"' not in head and any(
            f'"{key}"'.encode() in head for key in PRODIGY_KEYS
        )
    if not tasks or any("entities" in task for task in tasks):  # doccano
        return False
    for task in tasks:
        spans = task.get("spans")
        if spans is not None and not (
            isinstance(spans, list) and all(isinstance(span, dict) for span in spans)
        ):
            return False
    return any(PRODIGY_KEYS & task.keys() for task in tasks)


@register_reader("prodigy", sniff=sniff_prodigy, priority=20)
def read_prodigy(path: Path, **_options: Any) -> Iterator[ImportRecord]:
    """Prodigy task JSONL (ner/spans/rel.manual, ner.teach, textcat, choice; any answer)."""
    for number, task in read_tasks(path):
        yield prodigy_record(task, path, number)


def prodigy_record(task: dict[str, Any], path: Path, number: int) -> ImportRecord:
    """One task as a record; see the module docstring for what the answer becomes."""
    text: str = task["text"]
    meta = _task_meta(task, path, number)
    for key in HASH_KEYS:
        if key in task:
            meta[key] = task[key]
    extras = {key: value for key, value in task.items() if key not in _STORED_KEYS}
    tokens, token_extras = _tokens(task.get("tokens"), text, path, number)
    extras.update(token_extras)
    span_status, status = _answer_mapping(task, path, number)
    spans, span_extras = _spans(task.get("spans"), tokens, span_status, path, number)
    relations, relation_extras = _relations(
        task.get("relations"), spans, tokens, span_status, path, number
    )
    if span_extras:
        extras["span_extras"] = span_extras
    if relation_extras:
        extras["relation_extras"] = relation_extras
    meta[KEPT] = extras
    return ImportRecord(
        text=text,
        where=number,
        meta=meta,
        tokens=tokens,
        spans=spans,
        relations=relations,
        status=status,
    )


def _answer_mapping(
    task: dict[str, Any], path: Path, number: int
) -> tuple[AnnotationStatus, DocumentStatus | None]:
    """(status of the task's spans and relations, document status or None for the default)."""
    answer = task.get("answer")
    if answer not in (None, "accept", "reject", "ignore"):
        raise FormatError(
            path, number, f"unknown answer {answer!r} (expected accept, reject or ignore)"
        )
    if answer == "ignore":
        return "suggested", "skipped"
    judges_other = isinstance(task.get("label"), str) or "options" in task or "accept" in task
    if answer is None or judges_other:
        return "suggested", None
    if answer == "reject":
        return "rejected", None
    view = task.get("_view_id")
    binary = task.get("_is_binary") is True or (isinstance(view, str) and view in _BINARY_VIEWS)
    return "accepted", "in_progress" if binary else "done"


def _tokens(
    raw: Any, text: str, path: Path, number: int
) -> tuple[TokenOffsets | None, dict[str, Any]]:
    if raw is None or raw == []:
        return None, {}
    if not isinstance(raw, list):
        raise FormatError(path, number, '"tokens" must be a list')
    offsets: list[tuple[int, int]] = []
    keys: dict[str, None] = {}
    previous_end = 0
    for index, token in enumerate(raw):
        if not isinstance(token, dict) or not _ints(token.get("start"), token.get("end")):
            raise FormatError(path, number, f"token {index} has no integer start and end")
        start, end = token["start"], token["end"]
        if not previous_end <= start < end <= len(text):
            raise FormatError(
                path,
                number,
                f"token {index} [{start}, {end}) is empty, out of order or outside the text "
                f"({len(text)} characters)",
            )
        previous_end = end
        offsets.append((start, end))
        keys.update(dict.fromkeys(token))
    info: dict[str, Any] = {"token_keys": list(keys)}
    extra_keys = [key for key in keys if key not in _TOKEN_KEYS]
    if extra_keys:
        info["token_extras"] = {key: [token.get(key) for token in raw] for key in extra_keys}
    return tuple(offsets), info


def _ints(*values: Any) -> bool:
    return all(limits.is_offset(value) for value in values)


def span_key(start: int, end: int, label: str) -> str:
    """Where ``meta["prodigy"]["span_extras"]`` keeps a span's extra keys (and the writer finds
    them)."""
    return f"{start}:{end}:{label}"


def relation_key(head_key: str, child_key: str, label: str) -> str:
    """Where ``meta["prodigy"]["relation_extras"]`` keeps a relation's extra keys."""
    return f"{head_key}>{child_key}:{label}"


def _spans(
    raw: Any,
    tokens: TokenOffsets | None,
    status: AnnotationStatus,
    path: Path,
    number: int,
) -> tuple[list[ImportedSpan], dict[str, dict[str, Any]]]:
    if raw is None:
        return [], {}
    if not isinstance(raw, list):
        raise FormatError(path, number, '"spans" must be a list')
    spans: list[ImportedSpan] = []
    extras: dict[str, dict[str, Any]] = {}
    for index, span in enumerate(raw):
        if not isinstance(span, dict):
            raise FormatError(path, number, f"span {index} is not an object")
        start, end = _span_offsets(span, tokens, f"span {index}", path, number)
        label = span.get("label")
        if not isinstance(label, str) or not label:
            raise FormatError(path, number, f"span {index} [{start}, {end}) has no label")
        key = span_key(start, end, label)
        score = span.get("score")
        extra = {k: v for k, v in span.items() if k not in _SPAN_KEYS}
        if extra:
            extras[key] = extra
        spans.append(
            ImportedSpan(
                start=start,
                end=end,
                label=label,
                status=status,
                score=limits.check_score(score, path, number, f"span {index}"),
                key=key,
            )
        )
    return spans, extras


def _span_offsets(
    span: dict[str, Any], tokens: TokenOffsets | None, what: str, path: Path, number: int
) -> tuple[int, int]:
    """Character offsets, from ``start``/``end`` or else from the token indices."""
    for key in ("start", "end", "token_start", "token_end"):
        value = span.get(key)
        if value is not None and not _ints(value):
            raise FormatError(path, number, f"{what}: {key} {value!r} is not an integer")
    start, end = span.get("start"), span.get("end")
    if _ints(start, end):
        return start, end
    first, last = span.get("token_start"), span.get("token_end")
    if tokens and _ints(first, last):
        if not 0 <= first <= last < len(tokens):
            raise FormatError(
                path,
                number,
                f"{what}: tokens {first}..{last} are outside the task's {len(tokens)} tokens",
            )
        return tokens[first][0], tokens[last][1]
    raise FormatError(path, number, f"{what} has no integer start and end")


def _relations(
    raw: Any,
    spans: list[ImportedSpan],
    tokens: TokenOffsets | None,
    status: AnnotationStatus,
    path: Path,
    number: int,
) -> tuple[list[ImportedRelation], dict[str, dict[str, Any]]]:
    """Relations between the task's spans; an endpoint span missing from ``spans`` is added."""
    if raw is None:
        return [], {}
    if not isinstance(raw, list):
        raise FormatError(path, number, '"relations" must be a list')
    by_key = {span.key: span for span in spans}
    relations: list[ImportedRelation] = []
    extras: dict[str, dict[str, Any]] = {}
    for index, relation in enumerate(raw):
        if not isinstance(relation, dict):
            raise FormatError(path, number, f"relation {index} is not an object")
        label = relation.get("label")
        if not isinstance(label, str) or not label:
            raise FormatError(path, number, f"relation {index} has no label")
        what = f"relation {index} ({label})"
        ends = [
            _relation_end(relation, role, spans, by_key, tokens, status, what, path, number)
            for role in ("head", "child")
        ]
        relations.append(ImportedRelation(head=ends[0], child=ends[1], label=label, status=status))
        extra = {k: v for k, v in relation.items() if k not in _RELATION_KEYS}
        if extra:
            extras[relation_key(ends[0], ends[1], label)] = extra
    return relations, extras


def _relation_end(
    relation: dict[str, Any],
    role: str,
    spans: list[ImportedSpan],
    by_key: dict[str | None, ImportedSpan],
    tokens: TokenOffsets | None,
    status: AnnotationStatus,
    what: str,
    path: Path,
    number: int,
) -> str:
    """The key of the span at one end: from ``<role>_span``, else by its last token index."""
    described = relation.get(f"{role}_span")
    if isinstance(described, dict):
        start, end = _span_offsets(described, tokens, f"{what} {role}_span", path, number)
        label = described.get("label")
        if not isinstance(label, str) or not label:
            raise FormatError(
                path,
                number,
                f"{what}: its {role} [{start}, {end}) has no entity label; only relations "
                "between labelled spans can be imported",
            )
        key = span_key(start, end, label)
        if key not in by_key:
            span = ImportedSpan(start=start, end=end, label=label, status=status, key=key)
            spans.append(span)
            by_key[key] = span
        return key
    last_token = relation.get(role)
    if tokens and _ints(last_token) and 0 <= last_token < len(tokens):
        token_end = tokens[last_token][1]
        for span in spans:
            if span.end == token_end and span.key is not None:
                return span.key
    raise FormatError(path, number, f"{what}: no span ends at its {role} token {last_token!r}")
