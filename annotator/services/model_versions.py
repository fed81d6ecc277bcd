"""Trained model versions: what the project records of each, and which one a name means.

Kept apart from ``training`` (which brings spaCy's training with it) because ``annotator
stats`` and ``suggest`` read these records and nothing else of it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from annotator.errors import AnnotatorError
from annotator.store import Project
from annotator.wording import counted

PROJECT_MODEL = "project"
"""``--model project``: the project's best trained version; ``project@N``: version N."""
MODELS_STATE = "models"


class ModelRecord(BaseModel):
    """One trained version, as recorded in the project."""

    # built at the first record read, not when ``annotator stats`` imports this
    model_config = ConfigDict(defer_build=True)

    version: int
    path: str
    base: str
    origin: str
    components: tuple[str, ...]
    train_documents: list[int]
    dev_documents: list[int]
    partial_documents: list[int]
    steps: int
    seconds: float
    trained_at: str
    scores: dict[str, float]
    per_label: dict[str, dict[str, float]]
    compared_with: int | None = None
    """The best version when this one was trained (none before the first)."""
    compared_documents: list[int] = []
    """This version's dev documents that version was not trained on either."""
    compared_f1: float | None = None
    """That version's entity F1 on them (None: not scored; its folder missing or not loading,
    or no such document)..."""
    compared_own_f1: float | None = None
    """...and this version's, on the same documents."""

    @property
    def f1(self) -> float:
        return self.scores.get("ents_f", 0.0)


def models_folder(project_path: Path) -> Path:
    """``corpus.annotator`` -> ``corpus.models/``, beside the project file (an absolute path:
    the versions are found from whatever folder a command runs in)."""
    return Path(project_path).absolute().with_suffix(".models")


def model_records(project: Project) -> list[ModelRecord]:
    return [ModelRecord.model_validate(item) for item in project.get_state(MODELS_STATE, [])]


def best_model(project: Project) -> ModelRecord | None:
    """The best version, ``None`` before training. Each version's dev part is drawn from the
    documents done by its training, so two dev F1s measured apart compare different documents,
    some of which the earlier version was trained on. So each version is compared with the
    best before it on its dev documents that neither was trained on, both scored as it was
    trained (``compared_*``); one recorded without that comparison, by its dev F1 as it is
    (the latest of equals)."""
    return best_of(model_records(project))


def best_of(records: list[ModelRecord]) -> ModelRecord | None:
    """``best_model`` of these records."""
    best = None
    for record in sorted(records, key=lambda r: r.version):
        if best is None:
            best = record
        elif _compared(record) and record.compared_with == best.version:
            if record.compared_own_f1 >= record.compared_f1:  # type: ignore[operator]
                best = record
        elif record.f1 >= best.f1:
            best = record
    return best


def _compared(record: ModelRecord) -> bool:
    return record.compared_f1 is not None and record.compared_own_f1 is not None


def compared_figures(record: ModelRecord) -> str:
    """This version's entity F1 against the best version's before it, on the dev documents
    neither was trained on, for a table; "—" when they were not compared."""
    if not _compared(record):
        return "—"
    return (
        f"{record.compared_own_f1:.1%} vs {record.compared_f1:.1%} (version "
        f"{record.compared_with}, {counted(len(record.compared_documents), 'document')})"
    )


def comparison_note(project: Project, record: ModelRecord) -> str:
    """What ``--model project`` is after ``record`` was trained, and why, in one sentence."""
    best = best_model(project)
    now = best.version if best is not None else record.version
    if record.compared_with is None:  # the first version, or one recorded before
        return f"--model {PROJECT_MODEL} is version {now}"
    if not _compared(record):
        why = (
            "its folder is missing or does not load, or those documents hold no entity"
            if record.compared_documents
            else f"it was trained on all of version {record.version}'s dev documents"
        )
        return (
            f"version {record.compared_with} was not compared on the same documents ({why}): "
            f"by dev F1 as measured, --model {PROJECT_MODEL} is version {now}"
        )
    figures = (
        f"on {counted(len(record.compared_documents), 'dev document')} neither was trained "
        f"on, it scores {record.compared_own_f1:.1%} F1 and version {record.compared_with} "
        f"{record.compared_f1:.1%}"
    )
    if now == record.version:
        return f"{figures}: --model {PROJECT_MODEL} is now version {now}"
    return (
        f"{figures}: --model {PROJECT_MODEL} stays version {now} "
        f"(this one is {PROJECT_MODEL}@{record.version})"
    )


def is_project_model(name: str) -> bool:
    """``project`` or ``project@N``: a version ``annotator train`` made."""
    return name == PROJECT_MODEL or name.startswith(PROJECT_MODEL + "@")


def version_record(project: Project, name: str) -> ModelRecord:
    """The version ``project`` (the best) or ``project@N`` names; one line when there is none."""
    records = model_records(project)
    if not records:
        raise AnnotatorError(
            f"{project.path}: no trained model yet; run annotator train {project.path} first"
        )
    if name == PROJECT_MODEL:
        record = best_model(project)
    else:
        wanted = name.partition("@")[2]
        record = next((r for r in records if str(r.version) == wanted), None)
        if record is None:
            known = ", ".join(str(r.version) for r in records)
            raise AnnotatorError(f"--model {name}: no such version (trained: {known})")
    assert record is not None
    return record


def resolve_model(project: Project, name: str) -> str:
    """``project`` / ``project@N`` -> that version's folder; any other name is returned as is."""
    if not is_project_model(name):
        return name
    return version_folder(project, version_record(project, name))


def version_folder(project: Project, record: ModelRecord) -> str:
    """The folder of a version ``annotator train`` made; one line when it is missing."""
    # beside the project, where ``train`` keeps it: the recorded path was relative to the
    # folder ``train`` ran in (before), or names the project's old place (moved since)
    path = models_folder(project.path) / str(record.version)
    if not path.is_dir() and Path(record.path).is_absolute() and Path(record.path).is_dir():
        path = Path(record.path)
    if not path.is_dir():
        raise AnnotatorError(f"{path}: the folder of model version {record.version} is missing")
    return str(path)
