"""Training: fine-tune the suggesting pipeline on the project's corrections, keep it beside it.

``annotator train`` and the window's Train... job both come here. Three steps, so the window
can run the slow middle one in a worker:

1. ``plan_training`` (UI thread): base, labels, which documents go to train and dev, version;
2. ``write_training_data`` + ``train_pipeline`` (worker): the export's DocBin writer writes the
   parts (done documents whole; unfinished ones with decisions as partial examples), then
   spaCy's own training loop fine-tunes the base pipeline's NER;
3. ``keep_model`` (UI thread): moves the best checkpoint to ``PROJECT.models/N/`` and records
   base, documents, steps, time and dev P/R/F per label in the project.

Suggestions with ``--model project`` (the best version) or ``project@N`` carry the origin
``model:<lang>_project@N``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.errors import AnnotatorError, Cancelled
from annotator.io.records import ExportDocument, ExportReport
from annotator.services.model_versions import (
    MODELS_STATE,
    PROJECT_MODEL,
    ModelRecord,
    best_model,
    model_records,
    models_folder,
    resolve_model,
    version_folder,
)
from annotator.services.tokenizing import ensure_tokens
from annotator.store import Project
from annotator.store.listing import UNFINISHED_STATUSES
from annotator.wording import counted

if TYPE_CHECKING:
    from annotator.suggest.training import TrainingResult

TRAINABLE_COMPONENTS = ("ner", "spancat")
Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class TrainOptions:
    """What ``annotator train`` takes; ``base=None`` means the project's suggesting model."""

    base: str | None = None
    components: tuple[str, ...] = ("ner",)
    max_steps: int = 300
    dev: float = 0.2
    seed: int = 0
    train_ids: tuple[int, ...] | None = None
    """Done documents to train on (``--curve``); ``None``: the done documents not in dev."""
    dev_ids: tuple[int, ...] | None = None
    """A fixed dev part (``--curve``); ``None``: ``dev`` of the done documents, by ``seed``."""
    partial: bool = True
    """Also train on unfinished documents that hold decisions (unreviewed tokens missing)."""


@dataclass
class TrainingPlan:
    """Everything a run needs from the project, captured up front."""

    base: str
    labels: tuple[str, ...]
    components: tuple[str, ...]
    max_steps: int
    seed: int
    version: int
    folder: Path
    parts: dict[str, list[int]]
    partial: list[int] = field(default_factory=list)
    label_map: tuple[tuple[str, str], ...] = ()  # the project's, as suggestions apply it
    champion: tuple[int, str | None] | None = None
    """The best version so far and its folder (None: missing): it and this one are scored,
    once this one is trained, on ``compared_documents`` (``best_model``)."""
    compared_documents: list[int] = field(default_factory=list)
    """The dev documents the best version so far was not trained on either."""

    @property
    def staging(self) -> Path:
        return self.folder / f".training-{self.version}"


def plan_training(project: Project, options: TrainOptions | None = None) -> TrainingPlan:
    from annotator.services.exporting import split_documents

    options = options or TrainOptions()
    if options.max_steps < 1:
        raise AnnotatorError("--max-steps must be at least 1")
    if not 0 < options.dev < 1:
        raise AnnotatorError(f"--dev takes a fraction between 0 and 1, not {options.dev:g}")
    if options.base is not None and not options.base.strip():
        raise AnnotatorError(
            "--base: give a spaCy pipeline (e.g. fr_core_news_md), or leave it out for the "
            "project's"
        )
    unknown = [c for c in options.components if c not in TRAINABLE_COMPONENTS]
    if unknown or "ner" not in options.components:
        raise AnnotatorError(
            f"--components takes ner, optionally with spancat, not {','.join(options.components)}"
        )
    folder = models_folder(project.path)
    if folder.exists() and not folder.is_dir():
        raise AnnotatorError(
            f"{folder}: a file is where the project keeps its model versions (a folder); "
            "move it away"
        )
    done = project.document_ids("done")
    if options.dev_ids is not None:
        dev = sorted(options.dev_ids)
        train = sorted(options.train_ids or [d for d in done if d not in set(dev)])
    else:
        pool = sorted(options.train_ids) if options.train_ids is not None else done
        parts = split_documents(pool, (1 - options.dev, options.dev), options.seed)
        train, dev = parts["train"], parts["dev"]
        if not dev and len(train) > 1:  # a few documents: still one for dev
            dev = [train.pop()]
    if not train or not dev:
        raise AnnotatorError(
            f"{project.path}: training needs done documents for both train and dev "
            f"({len(done)} done, --dev {options.dev:g} gives {len(train)} train, {len(dev)} "
            "dev); mark more documents done"
        )
    partial: list[int] = []
    if options.partial and options.train_ids is None:
        partial = [
            doc_id
            for doc_id in project.document_ids(UNFINISHED_STATUSES)
            if project.spans(doc_id, status="accepted")
        ]
    settings = project.settings
    champion: tuple[int, str | None] | None = None
    compared: list[int] = []
    best = best_model(project)
    if best is not None:
        seen = {*best.train_documents, *best.partial_documents}
        compared = [doc_id for doc_id in dev if doc_id not in seen]
        try:
            champion = (best.version, version_folder(project, best))
        except AnnotatorError:  # its folder is gone: not compared (the record says so)
            champion = (best.version, None)
    versions = [r.version for r in model_records(project)]
    if folder.is_dir():
        versions += [int(p.name) for p in folder.iterdir() if p.name.isdigit()]
    return TrainingPlan(
        base=resolve_model(project, options.base or settings.default_model),
        labels=tuple(project.schema.entity_names),
        components=tuple(options.components),
        max_steps=options.max_steps,
        seed=options.seed,
        version=max(versions, default=0) + 1,
        folder=folder,
        parts={"train": train + partial, "dev": dev},
        partial=partial,
        label_map=tuple(settings.label_map.items()),
        champion=champion,
        compared_documents=compared,
    )


def write_training_data(project: Project, plan: TrainingPlan) -> ExportReport:
    """Each part in its own folder of the staging folder (``train/``, ``dev/``), by the export's
    writer: accepted spans, and a document not done has its unreviewed tokens missing. spaCy
    reads every DocBin of a part's folder, so the files the writer puts beside the part's own
    (documents whose relations are not all judged) train too."""
    from annotator.io.registry import WRITERS
    from annotator.services.export_records import export_document

    report = ExportReport()
    writer = WRITERS["spacy"]
    settings = project.settings
    ensure_tokens(project, [doc_id for ids in plan.parts.values() for doc_id in ids])

    def documents(ids: Sequence[int]) -> Iterator[ExportDocument]:
        for doc_id in ids:
            yield export_document(project, doc_id, ("accepted",), report)
            report.documents += 1

    parts = dict(plan.parts)
    if _compared_folder(plan) is not None:  # scored by both versions once this one is trained
        parts[COMPARED] = plan.compared_documents
    plan.staging.mkdir(parents=True, exist_ok=True)
    try:
        for part, ids in parts.items():
            writer.write(
                documents(ids),
                plan.staging / part,
                part=part,
                schema=project.schema,
                settings=settings,
                spans_key=settings.spans_key,
                misaligned="expand",
                report=report,
            )
    except BaseException:  # a crafted file's span, a full disk: no half-written staging left
        shutil.rmtree(plan.staging, ignore_errors=True)
        raise
    return report


def train_model(
    plan: TrainingPlan, progress: Progress | None = None, cancel: Cancel | None = None
) -> TrainingResult:
    """spaCy's training on the written parts (slow: the worker's half). Staging is removed
    when training fails or is cancelled."""
    from annotator.suggest.training import TrainingRequest, train_pipeline

    request = TrainingRequest(
        base=plan.base,
        train_path=plan.staging / "train",
        dev_path=plan.staging / "dev",
        output=plan.staging / "output",
        labels=plan.labels,
        components=plan.components,
        max_steps=plan.max_steps,
        seed=plan.seed,
        label_map=plan.label_map,
    )
    try:
        result = train_pipeline(request, progress=progress, cancel=cancel)
        best_folder = _compared_folder(plan)
        if best_folder is not None:
            result.champion_f1 = _compared_f1(plan, best_folder)
            result.own_f1 = _compared_f1(plan, result.model_path)
        if cancel is not None and cancel():  # asked while the best version was scored
            raise Cancelled("training cancelled; no model was kept")
        return result
    except BaseException:
        shutil.rmtree(plan.staging, ignore_errors=True)
        raise


COMPARED = "compared"
"""The staging folder of the documents both versions are scored on (``compared_documents``)."""


def _compared_folder(plan: TrainingPlan) -> Path | None:
    """The best version's folder, when it and this one are to be scored on documents neither
    was trained on; else None."""
    if plan.champion is None or plan.champion[1] is None or not plan.compared_documents:
        return None
    return Path(plan.champion[1])


def _compared_f1(plan: TrainingPlan, model_path: Path) -> float | None:
    """A version's entity F1 on the documents both versions are scored on, as the new one's
    dev F1 is counted (``schema_scores``); None when there is nothing to score, or the folder
    does not load."""
    from annotator.suggest.training import schema_scores

    try:
        scores = schema_scores(
            model_path, plan.staging / COMPARED, plan.labels, dict(plan.label_map)
        )
    except Exception:  # a kept version's folder changed by hand: whatever spaCy raises
        return None
    f1 = scores.get("ents_f")
    return None if f1 is None else float(f1)


def keep_model(project: Project, plan: TrainingPlan, result: TrainingResult) -> ModelRecord:
    """Move the best checkpoint to ``PROJECT.models/N`` and record it in the project."""
    from annotator.suggest.training import name_model

    target = plan.folder / str(plan.version)
    name_model(
        result.model_path,
        PROJECT_MODEL,
        str(plan.version),
        f"{plan.base} fine-tuned on {project.path.name}",
    )
    shutil.move(str(result.model_path), str(target))
    shutil.rmtree(plan.staging, ignore_errors=True)
    lang = project.settings.lang
    record = ModelRecord(
        version=plan.version,
        path=str(target),
        base=plan.base,
        origin=f"model:{lang}_{PROJECT_MODEL}@{plan.version}",
        components=plan.components,
        train_documents=[d for d in plan.parts["train"] if d not in set(plan.partial)],
        dev_documents=plan.parts["dev"],
        partial_documents=plan.partial,
        steps=result.steps,
        seconds=round(result.seconds, 1),
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        scores={k: round(v, 4) for k, v in result.scores.items()},
        per_label={
            label: {
                "p": round(s.precision, 4),
                "r": round(s.recall, 4),
                "f": round(s.f1, 4),
            }
            for label, s in result.per_label.items()
        },
        compared_with=None if plan.champion is None else plan.champion[0],
        compared_documents=plan.compared_documents,
        compared_f1=None if result.champion_f1 is None else round(result.champion_f1, 4),
        compared_own_f1=None if result.own_f1 is None else round(result.own_f1, 4),
    )
    with project.transaction():
        project.set_state(
            MODELS_STATE, [*project.get_state(MODELS_STATE, []), record.model_dump(mode="json")]
        )
        project.log_event(
            "train",
            f"trained model version {record.version} on "
            f"{counted(len(record.train_documents), 'document')} from {record.base}",
            record.model_dump(mode="json"),
        )
    return record


def run_training(
    project: Project,
    options: TrainOptions | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ModelRecord:
    """All three steps on one connection (the CLI)."""
    started = time.perf_counter()
    plan = plan_training(project, options)
    write_training_data(project, plan)
    if cancel is not None and cancel():
        shutil.rmtree(plan.staging, ignore_errors=True)
        raise Cancelled("training cancelled; no model was kept")
    result = train_model(plan, progress=progress, cancel=cancel)
    result.seconds = time.perf_counter() - started
    return keep_model(project, plan, result)


def train_project_file(
    path: Path,
    options: TrainOptions | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ModelRecord:
    with Project.open(path) as project:
        return run_training(project, options, progress=progress, cancel=cancel)
