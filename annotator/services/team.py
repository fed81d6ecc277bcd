"""Working as a team: one project file per annotator, shared out, then merged for review.

A team needs no server: ``split_project`` makes a project per annotator from a base project,
the files travel by any means, and ``merge_projects`` gathers every annotator's decisions in a
new project where each version is a suggestion that names who made it (``annotator:alice+bob``).
Documents are matched by the hash of their text, so the files may come back in any order.
"""

from __future__ import annotations

import heapq
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from itertools import chain, compress, groupby
from operator import itemgetter
from pathlib import Path

from annotator.errors import ProjectError, ValidationError
from annotator.model import Document, LabelSchema
from annotator.model.span import ANNOTATOR_ORIGIN, consecutive_ids
from annotator.services.tokenizing import ensure_tokens
from annotator.store import Project
from annotator.store.decisions import DocumentDecisions, decisions_by_hash, text_hashes

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_annotator_name(name: str) -> str:
    """A name that can stand in a file name and an origin: letters, digits, ``_ . -``."""
    if not _NAME.match(name):
        raise ValidationError(
            f"annotator name {name!r}: use 1 to 64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def parse_label_map(pairs: Sequence[str]) -> dict[str, str]:
    """``["OLD=NEW", ...]`` as a dict, with a clear line for a malformed pair."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ValidationError(f"--map {pair!r}: write OLD=NEW")
        mapping[old.strip()] = new.strip()
    return mapping


# -- split ------------------------------------------------------------------------------------


@dataclass
class SplitReport:
    projects: dict[str, Path]
    documents: dict[str, int]  # per annotator
    shared: int  # documents every annotator has, for agreement


def split_project(
    base: str | Path,
    annotators: Sequence[str],
    overlap: float = 0.2,
    seed: int = 0,
    out_dir: str | Path | None = None,
) -> SplitReport:
    """One project per annotator, named ``BASE-NAME.annotator``, with their share of documents.

    A fraction ``overlap`` of the documents goes to everyone (to measure agreement); the others
    are dealt out in turn after a shuffle with ``seed``. Documents keep their status, tokens,
    suggestions and decisions. Nothing is written unless every project is made.
    """
    base = Path(base)
    names = [check_annotator_name(name.strip()) for name in annotators if name.strip()]
    if len(names) < 2:
        raise ValidationError("--annotators: name at least two annotators, e.g. a,b")
    if len(set(names)) != len(names):
        raise ValidationError(f"--annotators: a name is repeated in {','.join(names)}")
    if not 0.0 <= overlap <= 1.0:
        raise ValidationError(f"--overlap {overlap}: give a fraction between 0 and 1")
    folder = Path(out_dir) if out_dir is not None else base.parent
    targets = {name: folder / f"{base.stem}-{name}.annotator" for name in names}
    for target in targets.values():
        if target.exists():
            raise ProjectError(f"{target}: a file already exists there")
    made: list[Path] = []
    try:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ProjectError(f"{folder}: cannot make the folder ({error.strerror})") from None
        with Project.open(base, read_only=True) as source:
            ensure_tokens(source)  # each copy keeps them
            ids = source.document_ids()
            random.Random(seed).shuffle(ids)
            shared_count = round(overlap * len(ids))
            shares: dict[str, list[int]] = {name: list(ids[:shared_count]) for name in names}
            for position, doc_id in enumerate(ids[shared_count:]):
                shares[names[position % len(names)]].append(doc_id)
            for name in names:
                settings = source.settings.model_copy(update={"annotator": name})
                with Project.create(targets[name], settings, source.schema) as target:
                    made.append(targets[name])
                    _copy_documents(source, target, sorted(shares[name]))
    except BaseException:
        for path in made:
            for leftover in (path, *path.parent.glob(path.name + "-*")):
                leftover.unlink(missing_ok=True)
        raise
    return SplitReport(
        projects=targets,
        documents={name: len(share) for name, share in shares.items()},
        shared=shared_count,
    )


def _copy_documents(source: Project, target: Project, doc_ids: Sequence[int]) -> None:
    with target.transaction():
        for doc_id in doc_ids:
            document = source.document(doc_id)
            new_id, _ = target.add_document(
                Document(
                    text=document.text,
                    meta=document.meta,
                    status=document.status,
                    tokens=document.tokens,
                )
            )
            spans = [s.model_copy(update={"doc_id": new_id}) for s in source.spans(doc_id)]
            relations = [r.model_copy(update={"doc_id": new_id}) for r in source.relations(doc_id)]
            if spans:
                target.add_spans(spans)
            if relations:
                target.add_relations(relations)


# -- opening several annotators' projects -----------------------------------------------------


@dataclass
class TeamMember:
    """One annotator's project, opened read-only."""

    name: str
    path: Path
    project: Project


@dataclass
class Team:
    members: list[TeamMember]
    schema: LabelSchema
    label_map: dict[str, str]
    notes: list[str] = field(default_factory=list)


@contextmanager
def open_team(
    paths: Sequence[str | Path], label_map: dict[str, str] | None = None
) -> Iterator[Team]:
    """Open the annotators' projects read-only and check they can be compared.

    Refused with one line: fewer than two projects, different languages, label sets that
    differ (unless ``label_map`` maps them onto the first project's labels) or two projects
    that claim the same annotator. The same file given twice is reported and read once.
    """
    label_map = dict(label_map or {})
    notes: list[str] = []
    unique: list[Path] = []
    seen: dict[Path, Path] = {}
    for path in map(Path, paths):
        resolved = path.resolve()
        if resolved in seen:
            notes.append(f"{path}: given twice (as {seen[resolved]}); read once")
            continue
        seen[resolved] = path
        unique.append(path)
    if len(unique) < 2:
        raise ValidationError("give at least two annotators' project files")
    with ExitStack() as stack:
        members: list[TeamMember] = []
        fingerprints: dict[tuple[str, str], Path] = {}
        for path in unique:
            project = stack.enter_context(Project.open(path, read_only=True))
            name = project.settings.annotator or path.stem
            fingerprint = (name, project.created_at())
            if fingerprint in fingerprints:
                notes.append(f"{path}: a copy of {fingerprints[fingerprint]}; read once")
                continue
            fingerprints[fingerprint] = path
            if any(member.name == name for member in members):
                raise ValidationError(
                    f"{path}: annotator {name!r} also made "
                    f"{next(m.path for m in members if m.name == name)}; "
                    "set each project's annotator (annotator new --annotator) before merging"
                )
            ensure_tokens(project)  # compared and copied by merge, tagged by agreement
            members.append(TeamMember(name, path, project))
        if len(members) < 2:
            raise ValidationError("give at least two different annotators' project files")
        first = members[0]
        for member in members[1:]:
            if member.project.settings.lang != first.project.settings.lang:
                raise ValidationError(
                    f"{member.path}: language {member.project.settings.lang!r}, but "
                    f"{first.path} is {first.project.settings.lang!r}; their tokens differ"
                )
        _check_labels(members, label_map)
        yield Team(members, first.project.schema, label_map, notes)


def _check_labels(members: list[TeamMember], label_map: dict[str, str]) -> None:
    first = members[0]
    schema = first.project.schema
    for target in label_map.values():
        if target not in schema.entity_names and target not in schema.relation_names:
            raise ValidationError(f"--map ...={target}: {first.path} has no label {target}")
    for kind, names_of in (
        ("entity", lambda s: s.entity_names),
        ("relation", lambda s: s.relation_names),
    ):
        expected = set(names_of(schema))
        for member in members[1:]:
            own = {label_map.get(name, name) for name in names_of(member.project.schema)}
            extra, lacking = sorted(own - expected), sorted(expected - own)
            if extra or lacking:
                parts = []
                if extra:
                    parts.append(f"{member.path} has {', '.join(extra)} ({first.path} does not)")
                if lacking:
                    parts.append(f"{first.path} has {', '.join(lacking)} ({member.path} does not)")
                raise ValidationError(
                    f"{kind} labels differ: {'; '.join(parts)}; map them with --map OLD=NEW"
                )


def side_by_side(
    team: Team, status: str | None = None, with_text: bool = False, accepted: bool = False
) -> Iterator[tuple[str, list[tuple[TeamMember, DocumentDecisions]]]]:
    """Each text hash once, with every member that has that document (``status`` if given),
    and its decisions (``decisions_by_hash``: only the accepted ones with ``accepted``).

    Labels are mapped onto the first project's (``--map``) on the way.
    """
    streams = [
        _keyed(index, m.project, status, with_text, accepted)
        for index, m in enumerate(team.members)
    ]
    mapping = team.label_map
    for digest, group in groupby(heapq.merge(*streams), key=itemgetter(0)):
        entries = []
        for _digest, index, decisions in group:
            if mapping:
                decisions = _mapped(decisions, mapping)
            entries.append((team.members[index], decisions))
        yield digest, entries


def _keyed(
    index: int, project: Project, status: str | None, with_text: bool, accepted: bool
) -> Iterator[tuple[str, int, DocumentDecisions]]:
    """(hash, member index, decisions): ``heapq.merge`` never compares two decisions."""
    for decisions in decisions_by_hash(project, status, with_text, accepted):
        yield decisions.text_hash, index, decisions


def _mapped(decisions: DocumentDecisions, mapping: dict[str, str]) -> DocumentDecisions:
    def key(span: tuple[int, int, str]) -> tuple[int, int, str]:
        return (span[0], span[1], mapping.get(span[2], span[2]))

    return replace(
        decisions,
        spans=[
            (digest, s, e, mapping.get(label, label), st, span_id)
            for digest, s, e, label, st, span_id in decisions.spans
        ],
        relations=[
            (key(head), key(child), mapping.get(label, label), status)
            for head, child, label, status in decisions.relations
        ],
    )


# -- merge ------------------------------------------------------------------------------------


@dataclass
class MergeReport:
    output: Path
    annotators: list[str]
    documents: int
    shared: int  # documents that two or more annotators have
    unmatched: dict[str, int]  # documents only one annotator has, by annotator
    versions: int  # span versions written (each names who made it)
    disputed: int  # documents where the versions disagree
    relations: int
    notes: list[str]


def merge_projects(
    output: str | Path, inputs: Sequence[str | Path], label_map: dict[str, str] | None = None
) -> MergeReport:
    """Gather every annotator's decisions, per document, in a new project for review.

    Each accepted span becomes a suggestion whose origin names the annotators who accepted it
    and whose score is the share of the document's annotators who did. A span everybody
    rejected stays rejected. Relations likewise. Nothing is decided for the reviewer; the
    output is an ordinary project (undo, autosave and export work as everywhere).

    One pass over the projects: the documents in dispute take the ids from the first up and
    the others from the last down, so that the review starts with the disputes.
    """
    output = Path(output)
    with open_team(inputs, label_map) as team:
        first = team.members[0].project
        settings = first.settings.model_copy(
            update={"annotator": None, "review_of": tuple(m.name for m in team.members)}
        )
        report = MergeReport(
            output=output,
            annotators=[m.name for m in team.members],
            documents=0,
            shared=0,
            unmatched={m.name: 0 for m in team.members},
            versions=0,
            disputed=0,
            relations=0,
            notes=list(team.notes),
        )
        try:
            with Project.create(output, settings, team.schema) as merged, merged.transaction():
                writer = _MergeWriter(merged, _count_texts(team), report)
                checks = _BulkChecks(team.schema)
                for _digest, entries in side_by_side(team, with_text=True):
                    item = _merge_document(entries)
                    checks.check(item, entries)
                    _count(item, entries, report)
                    writer.add(item)
                writer.finish()
        except BaseException:
            output.unlink(missing_ok=True)
            for leftover in output.parent.glob(output.name + "-*"):
                leftover.unlink(missing_ok=True)
            raise
    for name, count in report.unmatched.items():
        if count:
            report.notes.append(f"{count} document(s) only {name} has (merged with one version)")
    return report


def _count_texts(team: Team) -> int:
    """How many different texts the members have: the merged project's documents."""
    streams = [text_hashes(member.project) for member in team.members]
    return sum(1 for _ in groupby(heapq.merge(*streams)))


_BATCH = 500  # documents written together

SpanKey = tuple[int, int, str]


@dataclass
class _MergedDocument:
    text: str  # the first project that has the document: its text, meta and tokens
    text_hash: str
    meta_json: str
    tokens_json: str
    statuses: dict[str, str]  # each annotator's status of the document
    spans: dict[SpanKey, tuple[tuple[str, ...], str]]  # key -> (who, status)
    links: dict[tuple[SpanKey, SpanKey, str], tuple[str, ...]]
    everyone: int
    disputed: bool

    def document_row(self) -> tuple[str, str, str, str, str]:
        """(text, hash, meta JSON, status, offsets JSON), as ``add_document_rows`` takes it."""
        worked = any(s in ("in_progress", "done") for s in self.statuses.values())
        meta = {**json.loads(self.meta_json or "{}"), "annotators": self.statuses}
        return (
            self.text,
            self.text_hash,
            json.dumps(meta, ensure_ascii=False),
            "in_progress" if worked else "new",
            self.tokens_json,
        )


class _BulkChecks:
    """What ``add_span_rows`` and ``add_relation_rows`` check row by row, once per document's
    distinct spans and once per relation's label triple: the merged rows are then written
    without a check per row (each project checked its own when they were made)."""

    def __init__(self, schema: LabelSchema) -> None:
        self.schema = schema
        self.labels = frozenset(schema.entity_names)
        self.allowed: set[tuple[str, str, str]] = set()  # (label, head label, child label)

    def check(
        self, item: _MergedDocument, entries: list[tuple[TeamMember, DocumentDecisions]]
    ) -> None:
        length = len(item.text)
        for start, end, label in item.spans:
            if not (0 <= start < end <= length and label in self.labels):
                raise ValidationError(
                    f"{_holder(entries, (start, end, label))}: span [{start}, {end}) {label!r} "
                    "is not within its text or not a label of the schema"
                )
        for head, child, label in item.links:
            triple = (label, head[2], child[2])
            if triple not in self.allowed:
                relation = self.schema.relation(label)
                if relation is None or not relation.allows(head[2], child[2]):
                    raise ValidationError(
                        f"{_holder(entries, head)}: relation {label!r} from {head[2]} to "
                        f"{child[2]} is not allowed by the schema"
                    )
                self.allowed.add(triple)


def _holder(entries: list[tuple[TeamMember, DocumentDecisions]], key: SpanKey) -> str:
    """``FILE: document N`` of the first member with a span ``key``, to name a bad one."""
    for member, decisions in entries:
        if any(row[1:4] == key for row in decisions.spans):
            return f"{member.path}: document {decisions.doc_id}"
    member, decisions = entries[0]
    return f"{member.path}: document {decisions.doc_id}"


def _count(
    item: _MergedDocument, entries: list[tuple[TeamMember, DocumentDecisions]], report: MergeReport
) -> None:
    report.documents += 1
    report.disputed += item.disputed
    if len(entries) > 1:
        report.shared += 1
    else:
        report.unmatched[entries[0][0].name] += 1


_ROW_KEY = itemgetter(1, 2, 3)  # (start, end, label) of a decided span's row
_ROW_STATUS = itemgetter(4)
_ROW_STATUS_OF_SPAN = itemgetter(6)  # of a merged span's row, as written


def _merge_document(entries: list[tuple[TeamMember, DocumentDecisions]]) -> _MergedDocument:
    owner, first = entries[0]
    for member, decisions in entries[1:]:
        if decisions.tokens_json != first.tokens_json:
            raise ValidationError(
                f"{member.path}: document {decisions.doc_id} has other tokens than in "
                f"{owner.path}; projects made with different tokenizers cannot be merged"
            )
    statuses = {member.name: decisions.status for member, decisions in entries}
    names = tuple(member.name for member, _decisions in entries)
    accepted_keys: list[list[SpanKey]] = []  # by member, in the order read
    rejected: dict[SpanKey, list[str]] = defaultdict(list)
    links: dict[tuple[SpanKey, SpanKey, str], list[str]] = defaultdict(list)
    for name, (_member, decisions) in zip(names, entries, strict=True):
        keys = list(map(_ROW_KEY, decisions.spans))  # no Python step per row: most are accepted
        statuses_read = list(map(_ROW_STATUS, decisions.spans))
        accepted_keys.append(list(compress(keys, map("accepted".__eq__, statuses_read))))
        for key in compress(keys, map("accepted".__ne__, statuses_read)):
            rejected[key].append(name)
        for head, child, label, status in decisions.relations:
            if status == "accepted":
                links[(head, child, label)].append(name)
    accepted_sets = [set(keys) for keys in accepted_keys]
    everybody = set.intersection(*accepted_sets)  # most spans: no look-up per annotator
    spans: dict[SpanKey, tuple[tuple[str, ...], str]] = {
        key: (
            names
            if key in everybody
            else tuple(n for n, own in zip(names, accepted_sets, strict=True) if key in own),
            "suggested",
        )
        for key in dict.fromkeys(chain.from_iterable(accepted_keys))
    }
    disputed = len(names) > 1 and len(everybody) < len(spans)
    for key, who in rejected.items():
        spans.setdefault(key, (tuple(who), "rejected"))
    for (head, child, _label), who in links.items():  # an end someone linked, not accepted
        for key in (head, child):
            if spans.get(key, ((), "rejected"))[1] == "rejected":
                spans[key] = (tuple(who), "suggested")
    everyone = len(entries)
    disputed = disputed or (everyone > 1 and any(len(who) < everyone for who in links.values()))
    return _MergedDocument(
        text=first.text or "",
        text_hash=first.text_hash,
        meta_json=first.meta_json or "{}",
        tokens_json=first.tokens_json,
        statuses=statuses,
        spans=spans,
        links={key: tuple(names) for key, names in links.items()},
        everyone=everyone,
        disputed=disputed,
    )


class _MergeWriter:
    """Writes merged documents in batches of plain rows: those in dispute get the ids from the
    first up, the others from the last down (``total`` documents in all)."""

    def __init__(self, merged: Project, total: int, report: MergeReport) -> None:
        self.merged = merged
        self.report = report
        self.next_disputed = merged.last_document_id() + 1
        self.next_settled = self.next_disputed + total - 1
        self.batches: dict[bool, list[tuple[int, _MergedDocument]]] = {True: [], False: []}
        self.versions: dict[int, dict[tuple[str, ...], tuple[str, float]]] = {}  # by team size

    def add(self, item: _MergedDocument) -> None:
        if item.disputed:
            doc_id, self.next_disputed = self.next_disputed, self.next_disputed + 1
        else:
            doc_id, self.next_settled = self.next_settled, self.next_settled - 1
        batch = self.batches[item.disputed]
        batch.append((doc_id, item))
        if len(batch) >= _BATCH:
            self._write(batch)
            batch.clear()

    def finish(self) -> None:
        for batch in self.batches.values():
            self._write(batch)
            batch.clear()
        if self.next_disputed != self.next_settled + 1:  # every id used once
            raise ProjectError(
                f"{self.merged.path}: the projects changed while they were merged; merge again"
            )

    def _write(self, batch: list[tuple[int, _MergedDocument]]) -> None:
        if not batch:
            return
        merged, report = self.merged, self.report
        merged.add_document_rows(
            [item.document_row() for _doc_id, item in batch], [doc_id for doc_id, _ in batch]
        )
        span_ids = consecutive_ids(sum(len(item.spans) for _, item in batch))
        relation_ids = iter(consecutive_ids(sum(len(item.links) for _, item in batch)))
        span_rows: list[tuple] = []
        relation_rows: list[tuple] = []
        add_span = span_rows.append
        used = 0
        for doc_id, item in batch:
            versions = self.versions.setdefault(item.everyone, {})
            starts, ends = _token_edges(item.tokens_json)
            own_ids = dict(zip(item.spans, span_ids[used : used + len(item.spans)], strict=True))
            used += len(item.spans)
            for (key, (names, status)), span_id in zip(
                item.spans.items(), own_ids.values(), strict=True
            ):
                origin, score = versions.get(names) or _version(names, item.everyone, versions)
                start, end, label = key
                aligned = not starts or (start in starts and end in ends)
                add_span(
                    (span_id, doc_id, start, end, label, origin, status, score, 0, aligned, None)
                )
            for (head, child, label), names in item.links.items():
                origin, score = versions.get(names) or _version(names, item.everyone, versions)
                relation_rows.append(
                    (
                        next(relation_ids),
                        doc_id,
                        own_ids[head],
                        own_ids[child],
                        label,
                        origin,
                        "suggested",
                        score,
                    )
                )
        report.versions += list(map(_ROW_STATUS_OF_SPAN, span_rows)).count("suggested")
        merged.add_checked_rows(span_rows, relation_rows)
        report.relations += len(relation_rows)


def _version(
    names: tuple[str, ...], everyone: int, known: dict[tuple[str, ...], tuple[str, float]]
) -> tuple[str, float]:
    """The origin and score of a merged version: who made it, and what share of the team
    (kept in ``known``: a team makes few different versions)."""
    who = sorted(set(names))
    known[names] = found = (ANNOTATOR_ORIGIN + "+".join(who), round(len(who) / everyone, 4))
    return found


def _token_edges(tokens_json: str) -> tuple[frozenset[int], frozenset[int]]:
    """The token starts and ends of stored offsets (``[[0,4],[5,10]]``), read flat: no pair
    tuples. A span is aligned when it starts at a start and ends at an end (or no tokens)."""
    flat = json.loads("[" + tokens_json.replace("[", "").replace("]", "") + "]")
    return frozenset(flat[0::2]), frozenset(flat[1::2])


__all__ = [
    "MergeReport",
    "SplitReport",
    "Team",
    "TeamMember",
    "check_annotator_name",
    "merge_projects",
    "open_team",
    "parse_label_map",
    "side_by_side",
    "split_project",
]
