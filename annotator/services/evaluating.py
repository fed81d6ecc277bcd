"""Evaluating: how well each suggester did, measured on the documents people finished.

Three questions, three functions:

- ``evaluate_suggesters``: what each suggester (each model version, pattern file, propagation,
  relation rule) proposed in the done documents against what was finally accepted there. A
  suggestion keeps its origin when accepted and stays (rejected) when refused, so the spans
  of an origin are what it proposed; one a person resized or relabelled counts as wrong. Each
  suggester is scored over the done documents where it proposed something.
- ``evaluate_model``: run a pipeline (``project``, ``project@N``, a package or a folder) over
  the done documents and score its entities against the accepted spans.
- ``learning_curve``: train on 25/50/75/100% of the done documents and score each on one fixed
  dev part, as Prodigy's ``train-curve`` does.
"""

from __future__ import annotations

import dataclasses
import random
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.errors import AnnotatorError
from annotator.store import Project
from annotator.store.search import document_text
from annotator.store.stats import decided_matches_in_done, precision_in_done_documents

if TYPE_CHECKING:  # training is imported where it runs: ``annotator stats`` needs none of it
    from annotator.services.training import TrainOptions

CURVE_FRACTIONS = (0.25, 0.5, 0.75, 1.0)
Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


@dataclass
class SuggesterFigures:
    """One suggester's P/R/F (``Scores.to_dict()``) for spans and for relations."""

    origin: str
    kind: str
    documents: int
    spans: dict[str, Any] | None = None
    relations: dict[str, Any] | None = None

    @property
    def precision(self) -> float | None:
        return None if self.spans is None else self.spans["p"]


@dataclass
class Evaluation:
    """What ``annotator evaluate`` prints (``--json``: ``to_dict()``)."""

    project: str
    done_documents: int
    suggesters: list[SuggesterFigures] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    model: dict[str, Any] | None = None
    curve: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def suggester_kind(origin: str) -> str:
    for prefix, kind in (("model:", "model"), ("pattern:", "patterns"), ("rule:", "rule")):
        if origin.startswith(prefix):
            return kind
    return origin


def _is_suggester(origin: str) -> bool:
    return origin != "human" and not origin.startswith("import:")


def evaluate_suggesters(project: Project) -> list[SuggesterFigures]:
    """Every suggester's figures over the done documents; see the module docstring."""
    from annotator.suggest.scores import score_keys  # no spaCy: stats shows these

    gold_spans: set[tuple[Any, ...]] = set()
    gold_relations: set[tuple[Any, ...]] = set()
    proposed: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    corrected: dict[str, Counter[str]] = defaultdict(Counter)
    proposed_relations: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    span_docs: dict[str, set[int]] = defaultdict(set)
    relation_docs: dict[str, set[int]] = defaultdict(set)
    done = project.document_ids("done")
    for doc_id in done:
        spans = project.spans(doc_id)
        key_of = {s.id: (s.start, s.end, s.label) for s in spans}
        for span in spans:
            key = (doc_id, span.start, span.end, span.label)
            if span.status == "accepted":
                gold_spans.add(key)
            if not _is_suggester(span.origin):
                continue
            span_docs[span.origin].add(doc_id)
            if span.edited:
                corrected[span.origin][span.label] += 1
            else:
                proposed[span.origin].add(key)
        for relation in project.relations(doc_id):
            key = (doc_id, key_of[relation.head], key_of[relation.child], relation.label)
            if relation.status == "accepted":
                gold_relations.add(key)
            if _is_suggester(relation.origin):
                relation_docs[relation.origin].add(doc_id)
                proposed_relations[relation.origin].add(key)
    # proposed too, though not stored: suggestions that fell on a span already decided
    for origin, doc_id, start, end, label, _kept in decided_matches_in_done(project):
        span_docs[origin].add(doc_id)
        proposed[origin].add((doc_id, start, end, label))
    figures = []
    for origin in sorted(set(span_docs) | set(relation_docs)):
        scope_docs = span_docs.get(origin, set()) | relation_docs.get(origin, set())
        entry = SuggesterFigures(origin, suggester_kind(origin), len(scope_docs))
        if origin in span_docs:
            scope = span_docs[origin]
            entry.spans = score_keys(
                proposed[origin], {k for k in gold_spans if k[0] in scope}, corrected[origin]
            ).to_dict()
        if origin in relation_docs:
            scope = relation_docs[origin]
            entry.relations = score_keys(
                proposed_relations[origin], {k for k in gold_relations if k[0] in scope}
            ).to_dict()
        figures.append(entry)
    return figures


def suggester_precision(project: Project) -> dict[tuple[str, str], float]:
    """(origin, ``spans`` or ``relations``) -> its precision in the done documents, for the
    suggesters with a suggestion there: ``evaluate_suggesters``' P, counted by SQLite over the
    done documents only, so the window can ask often."""
    return precision_in_done_documents(project)


def evaluate_model(
    project: Project, model: str, doc_ids: Sequence[int] | None = None
) -> dict[str, Any]:
    """Run ``model`` over done documents (``doc_ids``: some of them) and score its entities.

    A version ``annotator train`` made is not run over the documents it was trained on (it
    scored 97 % there against 73 % on its dev part): they are left out, and counted."""
    from annotator.services.model_versions import is_project_model, version_folder, version_record
    from annotator.suggest.evaluation import predict_entities, score_keys

    ids = list(doc_ids) if doc_ids is not None else project.document_ids("done")
    if not ids:
        raise AnnotatorError(f"{project.path}: no document is done; nothing to evaluate on")
    left_out = 0
    folder = model  # a pipeline's name or folder, as given, else the version's folder
    if is_project_model(model):
        record = version_record(project, model)
        trained_on = {*record.train_documents, *record.partial_documents}
        kept = [doc_id for doc_id in ids if doc_id not in trained_on]
        left_out = len(ids) - len(kept)
        if not kept:
            raise AnnotatorError(
                f"{project.path}: version {record.version} was trained on every done document; "
                "its dev figures are in annotator evaluate's versions table, or mark more "
                "documents done"
            )
        ids = kept
        folder = version_folder(project, record)
    settings = project.settings
    origin, found = predict_entities(
        folder,
        settings.lang,
        settings.label_map,
        project.schema.entity_names,
        ((doc_id, document_text(project, doc_id)) for doc_id in ids),
    )
    gold = {
        (doc_id, s.start, s.end, s.label)
        for doc_id in ids
        for s in project.spans(doc_id, status="accepted")
    }
    scores = score_keys({(s.doc_id, s.start, s.end, s.label) for s in found}, gold)
    return {
        "model": model,
        "origin": origin,
        "documents": len(ids),
        "left_out": left_out,  # done documents a project version was trained on
        **scores.to_dict(),
    }


def learning_curve(
    project: Project,
    options: TrainOptions | None = None,
    fractions: Sequence[float] = CURVE_FRACTIONS,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> list[dict[str, Any]]:
    """F1 on one fixed dev part after training on growing shares of the other done documents;
    the first row (0%) is the base pipeline. Nothing is kept as a model version."""
    from annotator.services.exporting import split_documents
    from annotator.services.training import (
        TrainOptions,
        plan_training,
        train_model,
        write_training_data,
    )

    options = options or TrainOptions()
    parts = split_documents(
        project.document_ids("done"), (1 - options.dev, options.dev), options.seed
    )
    pool, dev = parts["train"], parts["dev"]
    random.Random(options.seed).shuffle(pool)
    if not pool or not dev:
        raise AnnotatorError(
            f"{project.path}: the curve needs done documents for both train and dev "
            f"({len(pool) + len(dev)} done); mark more documents done"
        )
    if progress is not None:  # checked: the long part starts
        progress(0, len(fractions))
    base = options.base or project.settings.default_model
    rows = [{"fraction": 0.0, "documents": 0, "f": evaluate_model(project, base, dev)["f"]}]
    for number, fraction in enumerate(fractions, start=1):
        train_ids = tuple(pool[: max(1, round(fraction * len(pool)))])
        plan = plan_training(
            project, dataclasses.replace(options, train_ids=train_ids, dev_ids=tuple(dev))
        )
        with tempfile.TemporaryDirectory(prefix="annotator-curve-") as folder:
            plan = dataclasses.replace(plan, folder=Path(folder), champion=None)  # none kept
            write_training_data(project, plan)
            result = train_model(plan, cancel=cancel)
            shutil.rmtree(plan.staging, ignore_errors=True)
        rows.append(
            {
                "fraction": fraction,
                "documents": len(train_ids),
                "f": round(result.scores.get("ents_f", 0.0), 4),
            }
        )
        if progress is not None:
            progress(number, len(fractions))
    return rows


def evaluate_project(
    project: Project,
    model: str | None = None,
    curve: TrainOptions | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> Evaluation:
    """Everything ``annotator evaluate`` reports: suggesters, trained versions, and on request
    a pipeline run over the done documents and the learning curve."""
    from annotator.services.model_versions import model_records

    evaluation = Evaluation(
        project=str(project.path),
        done_documents=project.count_documents("done"),
        suggesters=evaluate_suggesters(project),
        models=[record.model_dump(mode="json") for record in model_records(project)],
    )
    if model is not None:
        evaluation.model = evaluate_model(project, model)
    if curve is not None:
        evaluation.curve = learning_curve(project, curve, progress=progress, cancel=cancel)
    return evaluation


def evaluate_project_file(path: Path, **options: Any) -> Evaluation:
    """Read-only: evaluating never changes the project."""
    with Project.open(path, read_only=True) as project:
        return evaluate_project(project, **options)
