"""Working as a team: one project file per annotator, shared out, then merged for review.

A team needs no server: ``split_project`` makes a project per annotator from a base project,
the files travel by any means, and ``merge_projects`` gathers every annotator's decisions in a
new project where each version is a suggestion that names who made it (``annotator:alice+bob``).
Documents are matched by the hash of their text, so the files may come back in any order.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from annotator.errors import ProjectError, ValidationError
from annotator.model import Document, LabelSchema
from annotator.model.span import ANNOTATOR_ORIGIN
from annotator.services.tokenizing import ensure_tokens
from annotator.store import Project, team_merge
from annotator.store.team_tables import TeamFile, TeamTables
from annotator.wording import counted

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_annotator_name(name: str) -> str:
    """A name that can stand in a file name and an origin: letters, digits, ``_ . -``."""
    if not _NAME.match(name):
        raise ValidationError(
            f"annotator name {name!r}: use 1 to 64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def set_annotator(project: Project, name: str) -> None:
    """Name who annotates in ``project`` (checked by ``check_annotator_name``): every later
    edit is logged with it, and merge and agreement tell the team's files apart by it. The
    change itself goes to the edit log."""
    name = check_annotator_name(name.strip())
    before = project.settings.annotator
    if name == before:
        return
    project.set_settings(project.settings.model_copy(update={"annotator": name}))
    project.log_event(
        "annotator", f"annotator name {before or '(none)'} -> {name}", {"before": before}
    )


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
    notes: list[str] = field(default_factory=list)  # what makes the split less useful


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
            finished = source.count_documents(("done", "skipped"))
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
    documents = {name: len(share) for name, share in shares.items()}
    return SplitReport(
        targets,
        documents,
        shared_count,
        _split_notes(documents, shared_count, overlap, finished, len(ids)),
    )


def _split_notes(
    documents: dict[str, int], shared: int, overlap: float, finished: int, total: int
) -> list[str]:
    """A split that cannot measure agreement, an annotator with nothing to do, or documents
    already finished (their decisions go to everyone: agreement on them measures the base)."""
    notes = []
    if overlap > 0 and shared == 0:
        notes.append(
            f"no document goes to everyone ({overlap:.0%} of {counted(total, 'document')}): "
            "agreement will have nothing to compare; raise --overlap"
        )
    idle = [name for name, count in documents.items() if count == 0]
    if idle:
        notes.append(
            f"{', '.join(idle)} get{'s' if len(idle) == 1 else ''} no document "
            f"({counted(total, 'document')} for {len(documents)} annotators)"
        )
    if finished:
        notes.append(
            f"{counted(finished, 'document')} already done or skipped in the base: every "
            "annotator gets those decisions, so agreement there measures the base, not the "
            "annotators"
        )
    return notes


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
            try:
                if spans:
                    target.add_spans(spans)
                if relations:
                    target.add_relations(relations)
            except ValidationError as error:  # a crafted base: name it, not the new file
                raise ValidationError(
                    f"{source.path}: document {doc_id} cannot be copied ({error})"
                ) from None


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
        twice = f" ({notes[0]})" if notes else ""
        raise ValidationError(f"give at least two annotators' project files{twice}")
    with ExitStack() as stack:
        members: list[TeamMember] = []
        fingerprints: dict[tuple[str, str], Path] = {}
        for path in unique:
            project = stack.enter_context(Project.open(path, read_only=True))
            name = project.settings.annotator or path.stem
            fingerprint = (name, project.created_at())
            if fingerprint in fingerprints and _same_content(
                project, next(m.project for m in members if m.path == fingerprints[fingerprint])
            ):
                notes.append(f"{path}: a copy of {fingerprints[fingerprint]}; read once")
                continue
            fingerprints.setdefault(fingerprint, path)
            if any(member.name == name for member in members):
                raise ValidationError(
                    f"{path}: annotator {name!r} also made "
                    f"{next(m.path for m in members if m.name == name)}; "
                    "name each project's annotator first (annotator name PROJECT NAME)"
                )
            ensure_tokens(project)  # compared and copied by merge, tagged by agreement
            members.append(TeamMember(name, path, project))
        if len(members) < 2:
            copies = f" ({'; '.join(notes)})" if notes else ""
            raise ValidationError(f"give at least two different annotators' project files{copies}")
        first = members[0]
        for member in members[1:]:
            if member.project.settings.lang != first.project.settings.lang:
                raise ValidationError(
                    f"{member.path}: language {member.project.settings.lang!r}, but "
                    f"{first.path} is {first.project.settings.lang!r}; their tokens differ"
                )
        _check_labels(members, label_map)
        yield Team(members, first.project.schema, label_map, notes)


def _same_content(project: Project, other: Project) -> bool:
    """Whether two files of one annotator made at one time hold the same work (a copy), not
    a copy worked on since: that is another file claiming the same annotator."""
    return project.content_digest() == other.content_digest()


def _check_labels(members: list[TeamMember], label_map: dict[str, str]) -> None:
    """Every label of a later project is one of the first project's (after ``--map``): the
    merged project takes the first one's schema. The first may have more (a label nobody
    else has decides nothing of theirs)."""
    first = members[0]
    schema = first.project.schema
    for old, target in label_map.items():
        if target not in schema.entity_names and target not in schema.relation_names:
            raise ValidationError(f"--map {old}={target}: {first.path} has no label {target}")
        if not any(
            old in (*m.project.schema.entity_names, *m.project.schema.relation_names)
            for m in members[1:]
        ):
            raise ValidationError(
                f"--map {old}={target}: no project after {first.path} has a label {old} "
                "(--map renames a later project's label to one of the first project's)"
            )
    for kind, names_of in (
        ("entity", lambda s: s.entity_names),
        ("relation", lambda s: s.relation_names),
    ):
        expected = set(names_of(schema))
        for member in members[1:]:
            own = {label_map.get(name, name) for name in names_of(member.project.schema)}
            extra = sorted(own - expected)
            if extra:
                raise ValidationError(
                    f"{kind} labels differ: {member.path} has {', '.join(extra)} "
                    f"({first.path} does not); map each onto one of {first.path}'s with "
                    f"--map {extra[0]}=LABEL, or give the project with every label first"
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
    and whose score is the share of those who worked on the document who did (one who
    skipped it or never opened it is no disagreement). A span everybody
    rejected stays rejected. Relations likewise. Nothing is decided for the reviewer; the
    output is an ordinary project (undo, autosave and export work as everywhere).

    The matching is SQL over the files attached to the new project's connection
    (``store.team_tables``, ``store.team_merge``): documents by text hash, spans by offsets
    and label. Documents in dispute take the ids from the first up and the others from the
    last down, so that the review starts with the disputes.
    """
    output = Path(output)
    with open_team(inputs, label_map) as team:
        first = team.members[0].project
        settings = first.settings.model_copy(
            update={"annotator": None, "review_of": tuple(m.name for m in team.members)}
        )
        merged = Project.create(output, settings, team.schema)  # refuses a file already there
        try:
            with merged:
                counts = _merge_into(merged, team)
        except BaseException:  # only what this merge made is removed
            output.unlink(missing_ok=True)
            for leftover in output.parent.glob(output.name + "-*"):
                leftover.unlink(missing_ok=True)
            raise
    report = MergeReport(
        output=output,
        annotators=[m.name for m in team.members],
        documents=counts.documents,
        shared=counts.shared,
        unmatched={m.name: counts.unmatched.get(index, 0) for index, m in enumerate(team.members)},
        versions=counts.versions,
        disputed=counts.disputed,
        relations=counts.relations,
        notes=list(team.notes),
    )
    for name, count in report.unmatched.items():
        if count:
            report.notes.append(
                f"{counted(count, 'document')} only {name} has (merged with one version)"
            )
    return report


def team_tables(conn: sqlite3.Connection, team: Team) -> TeamTables:
    """The team's files, to be gathered in temporary tables of ``conn``."""
    files = [TeamFile(m.name, m.path, m.project.held_tokens) for m in team.members]
    return TeamTables(conn, files, team.label_map)


def _merge_into(merged: Project, team: Team) -> team_merge.MergeCounts:
    """Gather, check, settle who made each version, then write."""
    tables = team_tables(merged.db.conn, team)
    tables.gather(status=None, accepted_only=False)
    team_merge.check_decisions(tables, team.schema.entity_names)
    for triple in team_merge.relation_triples(tables):
        label, head, child = triple
        relation = team.schema.relation(label)
        if relation is None or not relation.allows(head, child):
            raise ValidationError(
                f"{team_merge.relation_holder(tables, triple)}: relation {label!r} from {head} "
                f"to {child} is not allowed by the schema of {team.members[0].project.path}, "
                "the first file, which the merged project takes: allow the pair there, or "
                "list first a file whose schema does"
            )
    tables.group_relations()
    team_merge.settle_versions(tables, merged.last_document_id() + 1)
    names = [m.name for m in team.members]
    origins = {
        (made_by, everyone): _version(made_by, everyone, names)
        for made_by, everyone in team_merge.version_makers(tables)
    }
    return team_merge.write_merged(merged, tables, origins)


def _version(made_by: int, everyone: int, names: list[str]) -> tuple[str, float]:
    """The origin and score of a merged version: who made it (``made_by``: a mask of the
    files), and what share of the document's team."""
    who = sorted(name for index, name in enumerate(names) if made_by >> index & 1)
    return ANNOTATOR_ORIGIN + "+".join(who), round(len(who) / everyone, 4)


__all__ = [
    "MergeReport",
    "SplitReport",
    "Team",
    "TeamMember",
    "check_annotator_name",
    "merge_projects",
    "open_team",
    "parse_label_map",
    "split_project",
]
