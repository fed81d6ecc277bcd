"""Trained model versions: what the project records of each, and which one a name means.

Kept apart from ``training`` (which brings spaCy's training with it) because ``annotator
stats`` and ``suggest`` read these records and nothing else of it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from annotator.errors import AnnotatorError
from annotator.store import Project

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
    """The best version when this one was trained (none before the first)..."""
    compared_f1: float | None = None
    """...and its dev F1 on this version's dev documents: the two compared on the same ones."""

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
    """The best version, ``None`` before training: each version is compared with the best
    before it on its own dev documents, which both scored as it was trained (each version's
    dev part is drawn from the documents done by then, so two F1s measured apart compare
    different documents); a version recorded without that comparison, by its dev F1 as it is
    (the latest of equals)."""
    return _best_of(model_records(project))


def _best_of(records: list[ModelRecord]) -> ModelRecord | None:
    best = None
    for record in sorted(records, key=lambda r: r.version):
        if best is None:
            best = record
        elif record.compared_with == best.version and record.compared_f1 is not None:
            if record.f1 >= record.compared_f1:
                best = record
        elif record.f1 >= best.f1:
            best = record
    return best


def comparison_note(project: Project, record: ModelRecord) -> str:
    """What ``--model project`` is after ``record`` was trained, and why, in one sentence."""
    best = best_model(project)
    name = f"{PROJECT_MODEL}@{record.version}"
    if record.compared_with is None or record.compared_f1 is None:
        return f"--model {PROJECT_MODEL} is version {best.version if best else record.version}"
    figures = (
        f"on its dev documents it scores {record.f1:.1%} F1 and version "
        f"{record.compared_with} {record.compared_f1:.1%}"
    )
    if best is not None and best.version == record.version:
        return f"{figures}: --model {PROJECT_MODEL} is now version {record.version}"
    kept = best.version if best is not None else record.compared_with
    return f"{figures}: --model {PROJECT_MODEL} stays version {kept} (this one is {name})"


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
