"""brat standoff: folders of ``.txt`` + ``.ann`` pairs, in and out.

Reading rules (also in docs/exporting.md, "brat, doccano, CoNLL, Label Studio"):

- ``T`` lines become spans, keyed by their brat id. A discontinuous ``T`` line
  (``T1 Label 0 5;10 15``) becomes ONE span covering all fragments (0-15); its fragments are kept
  in ``meta["brat"]["discontinuous"]["T1"]``, so relations and events that point at ``T1`` still
  point at one span.
- ``R`` lines become relations (``Arg1`` is the head, ``Arg2`` the child). An ``R`` line whose
  arguments are not ``T`` spans (e.g. events) is kept in ``meta["brat"]["relations"]``; one
  whose argument is no ``T`` or ``E`` of the file stops the import naming its line.
- ``E``, ``A``, ``M``, ``N``, ``#`` and ``*`` lines are kept in ``meta["brat"]`` under
  ``events``, ``attributes`` (A and M), ``normalizations``, ``notes`` and ``equivalences``.
- ``*.ann~`` backups are ignored and named in ``meta["brat"]["ignored_files"]`` of their document;
  an empty ``.ann`` gives a document without spans; a ``.txt`` without ``.ann`` is a plain
  document; an ``.ann`` without its ``.txt`` is refused.
- Offsets outside the text, or a ``T`` text that differs from the document text at its offsets,
  stop the import with an error naming ``file.ann:line``.
- brat reads a ``.txt`` with universal newlines (its ``open_textfile``: CRLF and a lone CR
  become one LF), so its offsets count a CRLF as ONE character. The document keeps the file's
  own line ends; offsets are converted both ways (``BratOffsets``), on import and on export.
"""

from __future__ import annotations

import hashlib
import os
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from operator import attrgetter
from pathlib import Path, PurePosixPath
from typing import Any

from annotator.errors import ExportError, FormatError
from annotator.io.records import (
    DocumentRecord,
    ExportDocument,
    ExportReport,
    ImportedRelation,
    ImportedSpan,
    ImportRecord,
    span_columns,
)
from annotator.io.registry import part_path, register_reader, register_writer
from annotator.model import LabelSchema

_OFFSETS = re.compile(r"^\d{1,15} \d{1,15}(;\d{1,15} \d{1,15})*$")  # digits: a sane int


def sniff_brat(path: Path, head: bytes) -> bool:
    """A folder holding ``.ann`` files, an ``.ann`` file, or a ``.txt`` with its ``.ann``."""
    if path.is_dir():
        return next(path.rglob("*.ann"), None) is not None
    if path.suffix == ".ann":
        return True
    return path.suffix == ".txt" and path.with_suffix(".ann").is_file()


def brat_file(path: Path) -> bool:
    """A file a brat collection's reader reads (its texts, annotations and configuration)."""
    return path.suffix in (".txt", ".ann", ".conf")


@register_reader(
    "brat",
    sniff=sniff_brat,
    priority=60,
    description="brat standoff (.txt + .ann)",
    folders=brat_file,
)
def read_brat(path: Path, **_options: Any) -> Iterator[ImportRecord]:
    """brat standoff (.txt + .ann): a folder (searched recursively) or one pair."""
    path = Path(path)
    if path.is_dir():
        root = path
        texts = sorted(path.rglob("*.txt"))
        orphans = sorted(p for p in path.rglob("*.ann") if not p.with_suffix(".txt").is_file())
        if orphans:
            raise FormatError(
                orphans[0], None, f"no {orphans[0].with_suffix('.txt').name} beside it"
            )
    else:
        if path.suffix not in (".txt", ".ann"):
            raise FormatError(
                path, None, "not brat: brat reads a .txt with its .ann, or a folder of them"
            )
        root = path.parent
        text_path = path.with_suffix(".txt")
        if not text_path.is_file():
            raise FormatError(path, None, f"no {text_path.name} beside it")
        texts = [text_path]
    for text_path in texts:
        yield _read_pair(text_path, root)


def _read_text(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except UnicodeDecodeError as error:
        raise FormatError(path, None, f"not UTF-8 (byte {error.start})") from None
    except OSError as error:
        raise FormatError(path, None, f"cannot read ({error.strerror})") from None


class BratOffsets:
    """Our string indices <-> brat's offsets, which count a CRLF as one character."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.crlf = [m.start() for m in re.finditer("\r\n", text)]  # where each CR stands
        self.brat_newlines = [at - n for n, at in enumerate(self.crlf)]  # its LF, as brat sees it
        self.brat_text = re.sub("\r\n?", "\n", text) if "\r" in text else text

    def to_brat(self, index: int) -> int:
        return index - bisect_left(self.crlf, index)

    def from_brat(self, offset: int) -> int:
        return offset + bisect_left(self.brat_newlines, offset)


def _read_pair(text_path: Path, root: Path) -> ImportRecord:
    text = _read_text(text_path)
    where = text_path.relative_to(root).as_posix()
    record = ImportRecord(text=text, where=where, meta={"source": where})
    ann_path = text_path.with_suffix(".ann")
    brat: dict[str, Any] = {}
    backup = text_path.with_suffix(".ann~")
    if backup.is_file():
        brat["ignored_files"] = [backup.name]
    if ann_path.is_file():
        _parse_ann(ann_path, _read_text(ann_path), text, record, brat)
    if brat:
        record.meta["brat"] = brat
    return record


def _parse_ann(
    ann_path: Path, ann: str, text: str, record: ImportRecord, brat: dict[str, Any]
) -> None:
    spans: dict[str, ImportedSpan] = {}
    raw_relations: list[tuple[int, str, str, str, str]] = []
    offsets = BratOffsets(text)
    # brat ends lines at "\n" only: str.splitlines() would also cut at U+2028, \x85, \x0c...
    # which a span's text may hold
    for number, line in enumerate(ann.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        fields = line.split("\t", 2)
        ident = fields[0].strip()
        if len(fields) < 2 or not ident:
            raise FormatError(ann_path, number, "expected an id, a tab and an annotation")
        kind = ident[0]
        body = fields[1].split()
        extra = fields[2] if len(fields) > 2 else None
        if kind == "T":
            if ident in spans:
                raise FormatError(ann_path, number, f"{ident} is defined twice")
            spans[ident] = _text_bound(ann_path, number, ident, fields[1], extra, offsets, brat)
        elif kind == "R":
            if len(body) < 3:
                raise FormatError(ann_path, number, f"{ident}: expected 'Label Arg1:X Arg2:Y'")
            head, child = (_argument(ann_path, number, arg)[1] for arg in body[1:3])
            raw_relations.append((number, ident, body[0], head, child))
        elif kind == "E":
            if not body or ":" not in body[0]:
                raise FormatError(ann_path, number, f"{ident}: expected 'Type:Trigger Role:Arg...'")
            event_type, trigger = _argument(ann_path, number, body[0])
            args = [list(_argument(ann_path, number, arg)) for arg in body[1:]]
            brat.setdefault("events", []).append(
                {"id": ident, "type": event_type, "trigger": trigger, "args": args}
            )
        elif kind in "AM":
            if len(body) < 2:
                raise FormatError(ann_path, number, f"{ident}: expected 'Name Target [Value]'")
            value: Any = " ".join(body[2:]) if len(body) > 2 else True
            brat.setdefault("attributes", []).append(
                {"id": ident, "name": body[0], "target": body[1], "value": value}
            )
        elif kind == "N":
            if len(body) < 3:
                raise FormatError(ann_path, number, f"{ident}: expected 'Type Target DB:ID'")
            brat.setdefault("normalizations", []).append(
                {"id": ident, "type": body[0], "target": body[1], "ref": body[2], "text": extra}
            )
        elif kind == "#":
            brat.setdefault("notes", []).append(
                {
                    "id": ident,
                    "type": body[0] if body else "",
                    "target": body[1] if len(body) > 1 else None,
                    "text": extra or "",
                }
            )
        elif kind == "*":
            if len(body) < 2:
                raise FormatError(ann_path, number, "expected '* Type Member Member...'")
            brat.setdefault("equivalences", []).append({"type": body[0], "members": body[1:]})
        else:
            raise FormatError(ann_path, number, f"unknown annotation type {ident!r}")
    record.spans.extend(spans.values())
    events = {event["id"] for event in brat.get("events", [])}
    for number, ident, label, head, child in raw_relations:
        if head in spans and child in spans:
            record.relations.append(ImportedRelation(head=head, child=child, label=label))
            continue
        missing = next(
            (arg for arg in (head, child) if arg not in spans and arg not in events), None
        )
        if missing is not None:
            raise FormatError(
                ann_path, number, f"{ident}: {missing} is not an annotation of this file"
            )
        brat.setdefault("relations", []).append(
            {"id": ident, "type": label, "arg1": head, "arg2": child, "line": number}
        )


def _argument(ann_path: Path, number: int, text: str) -> tuple[str, str]:
    role, sep, target = text.partition(":")
    if not sep or not role or not target:
        raise FormatError(ann_path, number, f"expected ROLE:ID, got {text!r}")
    return role, target


def _text_bound(
    ann_path: Path,
    number: int,
    ident: str,
    type_and_offsets: str,
    given: str | None,
    converter: BratOffsets,
    brat: dict[str, Any],
) -> ImportedSpan:
    """A span in our indices; ``given`` is checked against the text as brat reads it. An .ann
    whose offsets count a CRLF as two characters (not brat's own) is read when only that fits."""
    label, _, offsets = type_and_offsets.partition(" ")
    offsets = offsets.strip()
    if not label or not _OFFSETS.match(offsets):
        raise FormatError(ann_path, number, f"{ident}: expected 'Label START END[;START END]'")
    fragments = [tuple(int(n) for n in part.split()) for part in offsets.split(";")]
    for start, end in fragments:
        if start >= end:
            raise FormatError(ann_path, number, f"{ident}: empty or reversed offsets {start} {end}")
    problem = _fragments_problem(fragments, converter.brat_text, given)
    if problem is None:
        fragments = [
            (converter.from_brat(start), converter.from_brat(end)) for start, end in fragments
        ]
    elif converter.crlf and _fragments_problem(fragments, converter.text, given) is None:
        pass  # offsets in characters of the file, CRLF as two
    else:
        raise FormatError(ann_path, number, f"{ident}: {problem}")
    if len(fragments) > 1:
        brat.setdefault("discontinuous", {})[ident] = [list(f) for f in fragments]
    start = min(f[0] for f in fragments)
    end = max(f[1] for f in fragments)
    return ImportedSpan(start=start, end=end, label=label, key=ident)


def _fragments_problem(
    fragments: list[tuple[int, ...]], text: str, given: str | None
) -> str | None:
    """Why ``fragments`` do not fit ``text`` (or do not cover ``given``); None when they do."""
    for start, end in fragments:
        if end > len(text):
            return f"offsets {start} {end} run past the end of the text ({len(text)} characters)"
    expected = " ".join(text[start:end] for start, end in fragments)
    if given is not None and given != expected and given != re.sub(r"[\r\n]", " ", expected):
        offsets = ";".join(f"{start} {end}" for start, end in fragments)
        return f"text {given!r} does not match the document text {expected!r} at {offsets}"
    return None


# --- writer -----------------------------------------------------------------------------------

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 100  # characters of a file name stem, well under the 255 bytes file systems allow
_HASHED = 10  # hex digits of the hash that keeps a shortened name unique


@register_writer(
    "brat",
    description="brat standoff: .txt + .ann pairs and annotation.conf",
    tokens=False,
    spans="places",
)
def write_brat(
    documents: Iterable[ExportDocument],
    output: Path,
    *,
    part: str | None = None,
    schema: LabelSchema | None = None,
    report: ExportReport | None = None,
    **_options: Any,
) -> ExportReport:
    """brat standoff: .txt + .ann pairs (T and R lines) and annotation.conf from the schema."""
    report = report if report is not None else ExportReport()
    folder = part_path(Path(output), part, "")
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder}: brat export needs a folder, and this is a file")
    folder.mkdir(parents=True, exist_ok=True)
    used_names: set[str] = set()
    entity_labels: set[str] = set()
    relation_pairs: dict[str, set[tuple[str, str]]] = {}
    inside = os.path.join(folder, "")  # strings: 20,000 files
    for item in documents:
        name = _file_name(item, used_names)
        lines, relation_lines = _ann_lines(item, report, relation_pairs, entity_labels)
        base = inside + name
        report.write_file(f"{base}.txt", item.document.text.encode("utf-8"))
        ann = "\n".join([*lines, *relation_lines, ""]) if lines or relation_lines else ""
        report.write_file(f"{base}.ann", ann.encode("utf-8"))
        report.spans += len(lines)
        report.relations += len(relation_lines)
    conf = folder / "annotation.conf"
    conf.write_text(annotation_conf(schema, entity_labels, relation_pairs), encoding="utf-8")
    visual = folder / "visual.conf"
    visual.write_text(visual_conf(schema), encoding="utf-8")
    report.files.extend([str(conf), str(visual)])
    return report


def _file_name(item: ExportDocument, used: set[str]) -> str:
    """The file name of ``meta.source`` (else ``meta.file``) without folders and ending, made
    safe and at most ``MAX_NAME`` characters; unique among the export's names, also where case
    does not count (``-2``, ``-3``...)."""
    document = item.document
    for key in ("source", "file"):  # a brat import's, else a plain text import's file name
        if isinstance(document, DocumentRecord):
            source = document.meta_value(key)
        else:
            source = document.meta.get(key)
        if isinstance(source, str) and source:
            break
    stem = ""
    if isinstance(source, str):
        stem = _safe_stem(PurePosixPath(PurePosixPath(source.replace("\\", "/")).name).stem)
    stem = stem or f"doc-{item.document.id or len(used) + 1}"
    name, n = stem, 1
    while name.casefold() in used:
        n += 1
        name = f"{stem}-{n}"
    used.add(name.casefold())
    return name


def _safe_stem(name: str) -> str:
    """Letters, digits, ``._-`` only; a long name cut, with a hash of the whole kept unique."""
    safe = _SAFE_NAME.sub("_", name).strip("._")
    if len(safe) <= MAX_NAME:
        return safe
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:_HASHED]
    return f"{safe[: MAX_NAME - _HASHED - 1]}-{digest}"


def _ann_lines(
    item: ExportDocument,
    report: ExportReport,
    relation_pairs: dict[str, set[tuple[str, str]]],
    entity_labels: set[str],
) -> tuple[list[str], list[str]]:
    """T lines, in text order; a span crossing line breaks is written as fragments, as brat does.
    Adds the labels of the spans to ``entity_labels``, the pairs of relations' labels to
    ``relation_pairs``.

    Offsets are brat's: a CRLF in the text counts as one character."""
    text = item.document.text
    spans = item.spans
    if not item.statuses_selected and "rejected" in map(_STATUS, spans):
        spans = [s for s in spans if s.status != "rejected"]
    if not item.spans_sorted:
        spans = sorted(spans, key=lambda s: (s.start, s.end, s.label))
    one_line_text = "\n" not in text and "\r" not in text  # then so is every span
    span_ids, starts, ends, labels = span_columns(spans)
    covered = list(map(text.__getitem__, map(slice, starts, ends))) if one_line_text else []
    if one_line_text and all(covered):
        # most documents: every span one T line of its offsets (brat's: no CRLF), by C loops
        numbers = range(1, len(spans) + 1)
        lines = list(map(_T_LINE.__mod__, zip(numbers, labels, starts, ends, covered, strict=True)))
        keys = {}
        if item.relations:
            keys = dict(zip(span_ids, map("T%s".__mod__, numbers), strict=True))
        entity_labels.update(labels)
        return lines, _relation_lines(item, spans, keys, report, relation_pairs)
    keys: dict[str, str] = {}
    lines = []
    converter = BratOffsets(text)
    plain = not converter.crlf
    for number, span in enumerate(spans, start=1):
        covered = text[span.start : span.end]
        one_line = covered and (one_line_text or ("\n" not in covered and "\r" not in covered))
        if one_line and plain:  # most spans: offsets are brat's, no regex
            keys[span.id] = key = f"T{number}"
            lines.append(f"{key}\t{span.label} {span.start} {span.end}\t{covered}")
            continue
        if one_line:
            fragments = [(span.start, span.end)]
        else:
            fragments = [
                (span.start + m.start(), span.start + m.end())
                for m in re.finditer(r"[^\r\n]+", covered)
            ]
        if not fragments:
            report.count("brat: spans of line breaks only, left out")
            continue
        if fragments[0][0] != span.start or fragments[-1][1] != span.end:
            # brat's spans hold no line break: one at an end is left out, and said
            start, end = fragments[0][0], fragments[-1][1]
            report.count("brat: line breaks at a span's ends left out")
            report.warnings.append(
                f"document {item.document.id}: span [{span.start}, {span.end}) {span.label} "
                f"{text[span.start : span.end]!r} begins or ends with a line break, which brat "
                f"spans do not hold; written as [{start}, {end}) {text[start:end]!r}"
            )
        offsets = ";".join(
            f"{converter.to_brat(start)} {converter.to_brat(end)}" for start, end in fragments
        )
        covered = " ".join(text[start:end] for start, end in fragments)
        keys[span.id] = f"T{number}"
        lines.append(f"T{number}\t{span.label} {offsets}\t{covered}")
    entity_labels.update({span.label for span in spans})
    return lines, _relation_lines(item, spans, keys, report, relation_pairs)


_T_LINE = "T%s\t%s %s %s\t%s"
_STATUS = attrgetter("status")


def _relation_lines(
    item: ExportDocument,
    spans: list[Any],
    keys: dict[str, str],
    report: ExportReport,
    relation_pairs: dict[str, set[tuple[str, str]]],
) -> list[str]:
    """R lines of the relations whose spans were written (``keys``: span id -> T id); adds
    the pairs of their spans' labels to ``relation_pairs``."""
    labels: dict[str, str] = {}
    if item.relations:
        span_ids, _, _, span_labels = span_columns(spans)
        labels = dict(zip(span_ids, span_labels, strict=True))
    relation_lines: list[str] = []
    for relation in item.relations:
        if relation.status == "rejected":
            continue
        if relation.head not in keys or relation.child not in keys:
            report.count("brat: relations whose spans were not exported, left out")
            continue
        number = len(relation_lines) + 1
        relation_lines.append(
            f"R{number}\t{relation.label} Arg1:{keys[relation.head]} Arg2:{keys[relation.child]}\t"
        )
        pair = (labels[relation.head], labels[relation.child])
        relation_pairs.setdefault(relation.label, set()).add(pair)
    return relation_lines


def annotation_conf(
    schema: LabelSchema | None,
    entity_labels: Iterable[str] = (),
    relation_pairs: dict[str, set[tuple[str, str]]] | None = None,
) -> str:
    """brat's ``annotation.conf``: the schema's labels and allowed pairs, plus any label used."""
    relation_pairs = relation_pairs or {}
    entities = list(schema.entity_names) if schema else []
    entities += sorted(set(entity_labels) - set(entities))
    out = ["[entities]", *entities, "", "[relations]"]
    relations = list(schema.relations) if schema else []
    known = {label.name for label in relations}
    for label in relations:
        used = relation_pairs.get(label.name, set())
        pairs = sorted(set(label.allowed) | used) if label.allowed else []
        symmetric = "" if label.directed else ", <REL-TYPE>:symmetric"
        out.extend(_relation_conf_lines(label.name, pairs, symmetric))
    for name in sorted(set(relation_pairs) - known):
        out.extend(_relation_conf_lines(name, sorted(relation_pairs[name]), ""))
    out += ["", "[events]", "", "[attributes]", ""]
    return "\n".join(out)


def _relation_conf_lines(name: str, pairs: list[tuple[str, str]], suffix: str) -> list[str]:
    """One line per head label (brat's Arg1 x Arg2 product must not allow unlisted pairs)."""
    if not pairs:
        return [f"{name}\tArg1:<ENTITY>, Arg2:<ENTITY>{suffix}"]
    by_head: dict[str, list[str]] = {}
    for head, child in pairs:
        by_head.setdefault(head, []).append(child)
    return [
        f"{name}\tArg1:{head}, Arg2:{'|'.join(children)}{suffix}"
        for head, children in by_head.items()
    ]


def visual_conf(schema: LabelSchema | None) -> str:
    """brat's ``visual.conf``: the schema's colours, so brat shows the labels as we do."""
    out = ["[labels]", "", "[drawing]"]
    if schema:
        out += [f"{label.name}\tbgColor:{label.color}" for label in schema.entities]
        out += [f"{label.name}\tcolor:{label.color}" for label in schema.relations]
    out.append("")
    return "\n".join(out)
