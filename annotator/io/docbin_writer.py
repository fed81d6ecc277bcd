"""The ``spacy`` export: DocBin files that ``spacy train`` reads as they are.

- ``doc.spans[KEY]`` holds every exported span (KEY: the project's ``spans_key``, ``sc``); a
  document imported from a DocBin gets back its own span groups, by name, and its ``doc.cats``.
- ``doc.ents`` holds accepted entities only. Where accepted spans overlap, the one a person
  decided last wins, then one that was an entity in the imported file, then the longest, the
  earliest, the first label in alphabetical order; every span left out is named in the report.
- Unreviewed is missing, never negative: in a ``done`` document every token outside an accepted
  span is ``O``, except the tokens of a pending suggestion (or of an accepted span that could
  not be an entity), which are missing; in any other document every token outside an entity is
  missing (``Doc.set_ents(default="missing")``).
- ``doc._.rel`` holds the relations as explosion's ``rel_component`` tutorial trains on them:
  ``{(head_first_token, child_first_token): {label: 1.0}}``, with 0.0 for every other label on
  every ordered pair of span starts. The tutorial reads a pair or label it does not find as 0.0
  and its scorer looks up every pair of entities, so a document whose relations are not all
  judged (not ``done``, or with pending relation suggestions) cannot be written in that shape:
  it goes to ``<part>-unfinished.spacy``, with only its 1.0 labels. A project without
  relation labels has nothing to judge: every document goes to its part's file, and
  ``doc._.rel`` stays empty.
"""

from __future__ import annotations

import struct
import tempfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy
import srsly
from spacy.attrs import (
    DEP,
    ENT_ID,
    ENT_KB_ID,
    ENT_TYPE,
    LEMMA,
    MORPH,
    NORM,
    ORTH,
    SPACY,
    TAG,
)
from spacy.morphology import Morphology
from spacy.tokens import Doc, DocBin
from spacy.tokens import Span as SpacySpan

from annotator.io.alignment import DocBuilder, MisalignedPolicy, align_spans, relations_kept
from annotator.io.docbin import ensure_rel_extension
from annotator.io.records import ExportDocument, ExportReport, FileSummary
from annotator.io.registry import part_path, register_writer
from annotator.model import LabelSchema, ProjectSettings, Span

Relations = dict[tuple[int, int], dict[str, float]]
Candidate = tuple[Span, SpacySpan]
UNFINISHED_NOTE = (
    "documents whose relations are not all judged (not done, or with pending relation "
    "suggestions): the rel_component tutorial reads an absent pair as 'no relation', so they "
    "are kept apart from the training file"
)


def unique_spans(candidates: Iterable[Candidate], decided: dict[str, int]) -> list[Candidate]:
    """One span per (tokens, label), the most recently decided: the same thing trains once."""
    seen: dict[tuple[int, int, str], Candidate] = {}
    for span, spacy_span in candidates:
        key = (spacy_span.start, spacy_span.end, spacy_span.label_)
        known = seen.get(key)
        if known is None or decided.get(span.id, -1) > decided.get(known[0].id, -1):
            seen[key] = (span, spacy_span)
    return list(seen.values())


@dataclass
class Entities:
    """The spans picked for ``doc.ents``, and those left out with the span that beat them."""

    chosen: list[SpacySpan] = field(default_factory=list)
    dropped: list[tuple[SpacySpan, SpacySpan, str]] = field(default_factory=list)


def choose_entities(
    candidates: list[Candidate],
    decided: dict[str, int],
    source_entities: set[tuple[int, int, str]],
) -> Entities:
    """Non-overlapping entities: the latest human decision first (see the module docstring)."""

    def priority(candidate: Candidate) -> tuple[int, bool, int, int]:
        span, s = candidate
        return (
            decided.get(span.id, -1),
            (s.start_char, s.end_char, s.label_) in source_entities,
            s.end - s.start,
            -s.start,
        )

    ranked = sorted(candidates, key=priority, reverse=True)  # stable: ties keep store order
    entities = Entities()
    owner: dict[int, Candidate] = {}
    for candidate in ranked:
        spacy_span = candidate[1]
        winner = next(
            (owner[i] for i in range(spacy_span.start, spacy_span.end) if i in owner), None
        )
        if winner is None:
            entities.chosen.append(spacy_span)
            owner.update(dict.fromkeys(range(spacy_span.start, spacy_span.end), candidate))
        else:
            reason = _why_first(priority(winner), priority(candidate))
            entities.dropped.append((spacy_span, winner[1], reason))
    entities.chosen.sort(key=lambda s: s.start)
    return entities


def _why_first(winner: tuple[int, bool, int, int], loser: tuple[int, bool, int, int]) -> str:
    reasons = (
        "decided later",
        "an entity in the imported file",
        "longer",
        "earlier",
    )
    for reason, won, lost in zip(reasons, winner, loser, strict=True):
        if won != lost:
            return reason
    return "same tokens, label first alphabetically"


def _group_only(candidate: Candidate, decided: dict[str, int], meta_spacy: Any) -> bool:
    """A span the imported DocBin had in a span group but not in ``doc.ents``, untouched since:
    it goes back to its group only, as the file had it."""
    span, spacy_span = candidate
    if not isinstance(meta_spacy, dict) or "entities" not in meta_spacy or span.id in decided:
        return False
    key = [spacy_span.start_char, spacy_span.end_char, spacy_span.label_]
    return key not in meta_spacy["entities"]


def relations_of(
    pairs: Iterable[tuple[SpacySpan, SpacySpan, str]],
    spans: list[SpacySpan],
    labels: Iterable[str],
    complete: bool,
) -> Relations:
    """The ``doc._.rel`` dict; ``complete`` (every pair judged) adds the 0.0 labels."""
    relations: Relations = {}
    for head, child, label in pairs:
        relations.setdefault((head.start, child.start), {})[label] = 1.0
    labels = tuple(labels)
    if complete and labels:  # with no relation label there is nothing to deny
        starts = sorted({span.start for span in spans})
        for head_start in starts:
            for child_start in starts:
                if head_start != child_start:
                    scores = relations.setdefault((head_start, child_start), {})
                    for label in labels:
                        scores.setdefault(label, 0.0)
    return relations


def _keyed_relations(
    doc_id: int | None,
    kept: list[tuple[Any, SpacySpan, SpacySpan]],
    entities: set[tuple[int, int, str]],
    report: ExportReport,
) -> list[tuple[Any, SpacySpan, SpacySpan]]:
    """The relations ``doc._.rel`` can hold, keyed by their spans' first tokens.

    A relation between two spans that start on the same token (a span and one nested in it)
    would be the pair (t, t), which the tutorial never reads and our own import refuses. Two
    pairs of spans on the same two first tokens (``Barack Obama`` -> ``Paris`` and ``Barack``
    -> ``Paris``, or a PER and a MISC on the same words, each with a relation) would share one
    key, read back as one pair: the pair of entities keeps it (the tutorial reads the pairs of
    ``doc.ents``), else the first. The others are left out and named."""
    owners: dict[tuple[int, int], tuple[SpacySpan, SpacySpan, bool]] = {}
    for _relation, head, child in kept:
        key = (head.start, child.start)
        of_entities = _labelled(head) in entities and _labelled(child) in entities
        owner = owners.get(key)
        if head.start != child.start and (owner is None or (of_entities and not owner[2])):
            owners[key] = (head, child, of_entities)
    distinct = []
    for relation, head, child in kept:
        where = f"document {doc_id}: relation {relation.label} from {head.text!r} to {child.text!r}"
        if head.start == child.start:
            report.count("relations_on_one_start_token")
            report.warnings.append(
                f"{where} left out: both spans start at token {head.start}, and doc._.rel keys "
                "a relation by its spans' first tokens"
            )
            continue
        owner_head, owner_child, _ = owners[(head.start, child.start)]
        if _labelled_places(owner_head, owner_child) != _labelled_places(head, child):
            owner = f"{owner_head.text!r} to {owner_child.text!r}"
            if _places(owner_head, owner_child) == _places(head, child):  # other labels only
                where += f" ({head.label_} to {child.label_})"
                owner = (
                    f"{owner_head.text!r} ({owner_head.label_}) to {owner_child.text!r} "
                    f"({owner_child.label_})"
                )
            report.count("relations_on_shared_start_tokens")
            report.warnings.append(
                f"{where} left out: {owner} starts on the same tokens, and doc._.rel keys a "
                "relation by its spans' first tokens"
            )
            continue
        distinct.append((relation, head, child))
    return distinct


def _places(head: SpacySpan, child: SpacySpan) -> tuple[int, int, int, int]:
    return head.start_char, head.end_char, child.start_char, child.end_char


def _labelled_places(head: SpacySpan, child: SpacySpan) -> tuple[int | str, ...]:
    return (*_labelled(head), *_labelled(child))


def _labelled(span: SpacySpan) -> tuple[int, int, str]:
    return span.start_char, span.end_char, span.label_


def touched_tokens(doc: Doc, spans: Iterable[Span], text_length: int) -> set[int]:
    """The token indexes each span touches (offsets past the text are ignored)."""
    tokens: set[int] = set()
    for span in spans:
        if span.end <= text_length:
            touched = doc.char_span(span.start, span.end, alignment_mode="expand")
            if touched is not None:
                tokens.update(range(touched.start, touched.end))
    return tokens


def set_entities(doc: Doc, entities: list[SpacySpan], done: bool, unknown: set[int]) -> int:
    """``doc.ents`` with the missing tokens marked; returns how many tokens are missing."""
    if not done:
        doc.set_ents(entities, default="missing")
        return len(doc) - sum(len(entity) for entity in entities)
    inside = {i for entity in entities for i in range(entity.start, entity.end)}
    missing = sorted(unknown - inside)
    doc.set_ents(entities, missing=[doc[i : i + 1] for i in missing], default="outside")
    return len(missing)


def span_groups(
    document_meta: dict[str, Any], exported: list[SpacySpan], spans_key: str
) -> dict[str, list[SpacySpan]]:
    """``doc.spans``: every span under ``spans_key``, or a DocBin's own groups given back.

    A document imported from a DocBin keeps its groups by name; a span in none of them (one a
    person added) goes to ``spans_key``, and a group that was not there is not made.
    """
    source = document_meta.get("spacy")
    if not isinstance(source, dict) or "entities" not in source:
        return {spans_key: exported}
    groups: dict[str, list[SpacySpan]] = {}
    placed: set[tuple[int, int, str]] = {tuple(e) for e in source["entities"]}  # type: ignore[misc]
    for name, members in source.get("span_groups", {}).items():
        wanted = {tuple(member) for member in members}
        groups[name] = [s for s in exported if (s.start_char, s.end_char, s.label_) in wanted]
        placed |= wanted  # type: ignore[arg-type]
    others = [s for s in exported if (s.start_char, s.end_char, s.label_) not in placed]
    if others:
        groups.setdefault(spans_key, []).extend(others)
    return groups


class StreamedDocBin(DocBin):
    """A ``DocBin(store_user_data=True)`` that keeps what each added Doc leaves (its arrays,
    span groups, user data...) in temporary files in ``folder`` rather than in memory, and
    writes the bytes ``DocBin.to_disk`` would write, compressed on the way: memory stays flat
    however many Docs a file holds (only the set of strings grows)."""

    _SPILLED = ("tokens", "spaces", "cats", "flags", "span_groups", "user_data")

    def __init__(self, folder: Path) -> None:
        super().__init__(store_user_data=True)
        self._files = {  # closed by close()
            name: tempfile.TemporaryFile(dir=folder)  # noqa: SIM115
            for name in self._SPILLED
        }
        self._lengths: list[int] = []
        # what srsly.msgpack_dumps packs with, made once: it makes a Packer for each call,
        # which reads every installed package's entry points (0.19 ms; 4 calls a Doc)
        self._packer = srsly.msgpack.Packer(use_bin_type=True)

    def add(self, doc: Doc) -> None:
        """What ``DocBin.add`` (spaCy 3.8) keeps of ``doc``, written to the files, packed with
        this DocBin's one Packer: ``DocBin.add`` packs the user data and the span groups with
        ``srsly.msgpack_dumps``, which makes a Packer for each call, and each Packer gathers its
        encoders from catalogue's whole registry and every installed package's entry points
        (0.44 ms once spaCy is loaded; three calls a Doc, 13 s of a 10,000-document export).
        ``test_export_fast_paths`` checks the bytes against ``DocBin``'s own."""
        tokens = doc.to_array(self.attrs)
        if len(tokens.shape) == 1:
            tokens = tokens.reshape((tokens.shape[0], 1))
        spaces = numpy.asarray(doc.to_array(SPACY).reshape((-1, 1)), dtype=bool)
        strings = self.strings
        known = doc.vocab.strings
        # each token's text, tag_, lemma_, norm_, dep_, ent_type_, ent_kb_id_, ent_id_ and
        # str(morph), as DocBin.add adds them, taken from the Doc's arrays: each distinct value
        # once, not nine property reads a token
        values = doc.to_array(_STRING_ATTRS)
        strings.update(map(known.__getitem__, numpy.unique(values[:, :-1]).tolist()))
        for key in numpy.unique(values[:, -1]).tolist():  # MORPH: str() of the analysis
            morph = known[key]
            strings.add("" if morph == Morphology.EMPTY_MORPH else morph)
        for group in doc.spans.values():
            for span in group:
                strings.add(span.label_)
                if span.kb_id in known:
                    strings.add(span.kb_id_)
                if span.id in known:
                    strings.add(span.id_)
        pack = self._packer.pack
        self._lengths.append(len(tokens))
        self._files["tokens"].write(tokens.tobytes("C"))
        self._files["spaces"].write(spaces.tobytes("C"))
        self._files["cats"].write(pack(doc.cats))
        self._files["flags"].write(pack({"has_unknown_spaces": doc.has_unknown_spaces}))
        self._files["span_groups"].write(pack(_span_groups_bytes(doc, pack)))
        self._files["user_data"].write(pack(pack(doc.user_data)))

    def __len__(self) -> int:
        return len(self._lengths)

    def to_disk(self, path: str | Path) -> None:
        """``DocBin.to_disk``: ``zlib.compress`` of the msgpack map ``to_bytes`` makes, put
        together piece by piece (a list is its header and its packed items one after another)."""
        count = len(self._lengths)
        compressor = zlib.compressobj()
        with Path(path).open("wb") as handle:

            def write(data: bytes) -> None:
                handle.write(compressor.compress(data))

            def copy(name: str) -> None:
                spilled = self._files[name]
                spilled.seek(0)
                while chunk := spilled.read(_COPY_CHUNK):
                    write(chunk)

            packer = srsly.msgpack.Packer(use_bin_type=True)
            write(packer.pack_map_header(10))
            write(srsly.msgpack_dumps("version") + srsly.msgpack_dumps(self.version))
            write(srsly.msgpack_dumps("attrs") + srsly.msgpack_dumps(self.attrs))
            for name in ("tokens", "spaces"):
                write(srsly.msgpack_dumps(name) + _bin_header(self._files[name].tell()))
                copy(name)
            lengths = numpy.asarray(self._lengths, dtype="int32").tobytes("C")
            write(srsly.msgpack_dumps("lengths") + srsly.msgpack_dumps(lengths))
            write(srsly.msgpack_dumps("strings") + srsly.msgpack_dumps(sorted(self.strings)))
            for name in ("cats", "flags", "span_groups", "user_data"):
                write(srsly.msgpack_dumps(name) + packer.pack_array_header(count))
                copy(name)
            handle.write(compressor.flush())

    def close(self) -> None:
        for spilled in self._files.values():
            spilled.close()


_COPY_CHUNK = 1024 * 1024
_STRING_ATTRS = [ORTH, TAG, LEMMA, NORM, DEP, ENT_TYPE, ENT_KB_ID, ENT_ID, MORPH]
"""The token attributes whose strings ``DocBin.add`` keeps (``MORPH`` last: see ``add``)."""
_SPAN_FIELDS = ">QQQllll"  # id, kb_id, label, start, end, start_char, end_char


def _span_groups_bytes(doc: Doc, pack: Callable[[Any], bytes]) -> bytes:
    """``doc.spans.to_bytes()`` (spaCy 3.8's ``SpanGroups`` and ``SpanGroup.to_bytes``), packed
    with ``pack``: a map of each group's bytes to the keys it is kept under."""
    if not doc.spans:
        return pack([])
    groups: dict[bytes, list[str]] = {}
    for key, group in doc.spans.items():
        packed = pack(
            {
                "name": group.name,
                "attrs": group.attrs,
                "spans": [
                    struct.pack(
                        _SPAN_FIELDS,
                        span.id,
                        span.kb_id,
                        span.label,
                        span.start,
                        span.end,
                        span.start_char,
                        span.end_char,
                    )
                    for span in group
                ],
            }
        )
        groups.setdefault(packed, []).append(key)
    return pack(groups)


def _bin_header(size: int) -> bytes:
    """msgpack's header of a ``bytes`` value of ``size`` bytes (``use_bin_type``)."""
    if size < 2**8:
        return b"\xc4" + size.to_bytes(1, "big")
    if size < 2**16:
        return b"\xc5" + size.to_bytes(2, "big")
    return b"\xc6" + size.to_bytes(4, "big")


class _Part:
    """One DocBin file being written, with its summary for the report."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.doc_bin = StreamedDocBin(path.parent)
        self.summary = FileSummary()


@register_writer(
    "spacy",
    suffix=".spacy",
    description="spaCy DocBin: train.spacy / dev.spacy",
    decisions=True,
)
def write_docbin(
    documents: Iterable[ExportDocument],
    output: Path,
    *,
    part: str | None,
    schema: LabelSchema,
    settings: ProjectSettings,
    spans_key: str,
    misaligned: MisalignedPolicy,
    report: ExportReport,
    **_: Any,
) -> ExportReport:
    """Write one DocBin (``store_user_data=True`` so that ``doc._.rel`` is kept), and one of
    the documents whose relations are not all judged beside it when there are any."""
    ensure_rel_extension()
    builder = DocBuilder(settings.lang)
    target = part_path(output, part, ".spacy")
    target.parent.mkdir(parents=True, exist_ok=True)
    complete = _Part(target)
    unfinished = _Part(target.with_name(f"{target.stem}-unfinished.spacy"))
    unfinished.summary.note = UNFINISHED_NOTE
    try:
        for item in documents:
            doc, relations_complete, summary = _make_doc(
                builder, item, schema, spans_key, misaligned, report
            )
            written = complete if relations_complete else unfinished
            written.doc_bin.add(doc)
            written.summary.add(summary)
        for written in (complete, unfinished):
            if written is complete or written.summary.documents:
                written.doc_bin.to_disk(written.path)
                report.files.append(str(written.path))
                report.summaries[str(written.path)] = written.summary
        if not complete.summary.documents and unfinished.summary.documents:
            report.warnings.insert(  # first: spacy train would stop on an empty file
                0,
                f"{complete.path.name} holds no document: "
                + (
                    f"all {unfinished.summary.documents} of its part are"
                    if unfinished.summary.documents > 1
                    else "its part's one document is"
                )
                + f" in {unfinished.path.name} (relations not all judged); mark documents done "
                "to train on it",
            )
    finally:
        complete.doc_bin.close()
        unfinished.doc_bin.close()
    return report


def _make_doc(
    builder: DocBuilder,
    item: ExportDocument,
    schema: LabelSchema,
    spans_key: str,
    misaligned: MisalignedPolicy,
    report: ExportReport,
) -> tuple[Doc, bool, FileSummary]:
    """One Doc; whether its relations are all judged; what it adds to its file's summary."""
    document = item.document
    doc = builder.make(document)
    done = document.status == "done"
    accepted = [span for span in item.spans if span.status == "accepted"]
    pending_spans = item.suggested_spans()
    pending_relations = item.suggested_relations()
    aligned = align_spans(doc, document, accepted, misaligned, report)
    candidates = aligned.kept(accepted)
    unique = unique_spans(candidates, item.decided)
    _count(report, "duplicate_spans_merged", len(candidates) - len(unique))
    exported = [spacy_span for _, spacy_span in unique]
    meta_spacy = document.meta.get("spacy")
    source_entities = {
        (e[0], e[1], e[2])
        for e in (meta_spacy.get("entities", []) if isinstance(meta_spacy, dict) else [])
    }
    eligible = [c for c in unique if not _group_only(c, item.decided, meta_spacy)]
    entities = choose_entities(eligible, item.decided, source_entities)
    for lost, winner, reason in entities.dropped:
        report.count("overlaps_spans_only")
        report.warnings.append(
            f"document {document.id}: span [{lost.start_char}, {lost.end_char}) {lost.label_} "
            f"{lost.text!r} overlaps [{winner.start_char}, {winner.end_char}) {winner.label_} "
            f"{winner.text!r}, the entity ({reason}); it is in doc.spans only"
        )
    # A pending suggestion, and an accepted span that is not an entity, is not "O".
    chosen = {(e.start_char, e.end_char) for e in entities.chosen}
    not_entities = [s for s in accepted if (s.start, s.end) not in chosen]
    length = len(document.text)
    unknown = touched_tokens(doc, pending_spans, length) | touched_tokens(doc, not_entities, length)
    missing = set_entities(doc, entities.chosen, done, unknown)
    for name, group in span_groups(document.meta, exported, spans_key).items():
        doc.spans[name] = group
    if isinstance(meta_spacy, dict) and isinstance(meta_spacy.get("cats"), dict):
        doc.cats = dict(meta_spacy["cats"])
    selected = [r for r in item.relations if r.status == "accepted"]
    labelled = {(e.start_char, e.end_char, e.label_) for e in entities.chosen}
    kept = _keyed_relations(
        document.id, relations_kept(document, selected, aligned, report), labelled, report
    )
    # a schema with no relation label has nothing to judge: an unfinished document is NER
    # data with missing tokens, for the training file
    relations_complete = (done and not pending_relations) or not schema.relation_names
    doc._.rel = relations_of(
        ((head, child, relation.label) for relation, head, child in kept),
        exported,
        schema.relation_names,
        complete=relations_complete,
    )
    report.spans += len(exported)
    report.relations += len(kept)
    summary = FileSummary(
        documents=1,
        done=int(done),
        missing_tokens=missing,
        pending_left_out=len(pending_spans) + len(pending_relations),
    )
    return doc, relations_complete, summary


def _count(report: ExportReport, key: str, n: int) -> None:
    if n:
        report.count(key, n)
