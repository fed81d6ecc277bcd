"""Creating and describing projects: plain functions the CLI and the GUI both call."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from annotator.errors import AnnotatorError, FormatError
from annotator.model import LabelSchema, ProjectSettings
from annotator.model.parsing import one_line, parse
from annotator.store import Project, project_stats


def load_schema_file(path: str | Path) -> LabelSchema:
    """Read a label schema JSON file, with a one-line error naming the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise AnnotatorError(f"{path}: cannot read schema ({error.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FormatError(
            path, getattr(error, "lineno", None), f"not valid JSON ({error})"
        ) from None
    known = set(LabelSchema.model_fields)
    unknown = sorted(set(data) - known) if isinstance(data, dict) else []
    if unknown:  # validated alone, {"labels": [...]} made a schema without a label
        raise FormatError(
            path,
            None,
            f"invalid label schema: unknown key {unknown[0]!r} (a schema has "
            f"{' and '.join(sorted(known))})",
        )
    for kind in ("entities", "relations"):  # a label may be given by its name alone
        if isinstance(data, dict) and isinstance(data.get(kind), list):
            data[kind] = [{"name": x} if isinstance(x, str) else x for x in data[kind]]
    try:
        return LabelSchema.model_validate(data)
    except ValueError as error:
        import pydantic

        reason = one_line(error) if isinstance(error, pydantic.ValidationError) else str(error)
        raise FormatError(path, None, f"invalid label schema: {reason}") from None


def new_project(
    path: str | Path,
    lang: str = "fr",
    model: str | None = None,
    schema_file: str | Path | None = None,
    annotator: str | None = None,
) -> Project:
    """Create a project file; the caller closes the returned project."""
    if annotator is not None:
        from annotator.services.team import check_annotator_name

        check_annotator_name(annotator)
    lang = lang.strip().lower()  # spaCy's codes: "FR" is fr
    settings = parse(
        ProjectSettings, {"lang": lang, "model": model, "annotator": annotator}, "settings"
    )
    from annotator.io.tokenize import check_language

    check_language(settings.lang)  # else every import would fail, naming no project
    schema = load_schema_file(schema_file) if schema_file else None
    return Project.create(path, settings=settings, schema=schema)


def missing_model_note(settings: ProjectSettings) -> str | None:
    """A note when the project's suggesting pipeline is a package that is not installed:
    ``suggest`` would stop on it. A path, ``blank`` or ``project`` is left to ``suggest``."""
    import importlib.util

    name = settings.default_model
    if not name.isidentifier() or name in ("blank", "project"):
        return None
    if importlib.util.find_spec(name) is not None:
        return None
    return (
        f"the suggesting pipeline {name} is not installed: annotator suggest needs it "
        f"(pip install {name}), or --model blank"
    )


def stats(path: str | Path) -> dict[str, Any]:
    """The figures of ``annotator stats``; opens the project read-only."""
    from annotator.services.evaluating import evaluate_suggesters
    from annotator.services.model_versions import model_records

    with Project.open(path, read_only=True) as project:
        figures = project_stats(project)
        figures["suggesters"] = [asdict(entry) for entry in evaluate_suggesters(project)]
        figures["models"] = [record.model_dump(mode="json") for record in model_records(project)]
        return figures
