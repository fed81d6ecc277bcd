"""A new model version replaces the pending suggestions of the model before it: "the model" is
one suggester, and a token never carries two of its pending suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from suggest_helpers import add_texts, described_spans

from annotator import edits
from annotator.errors import AnnotatorError
from annotator.services.model_versions import MODELS_STATE, resolve_model
from annotator.services.suggesting import SuggestOptions, run_suggestions
from annotator.store import Project
from annotator.suggest.results import is_model_origin

TEXT = "Brad Smith travaille pour Microsoft à Redmond."


def ruler_pipeline(folder: Path, name: str, version: str, patterns: list[tuple[str, str]]) -> str:
    """A pipeline folder whose NER is an entity ruler, standing for one model version."""
    nlp = spacy.blank("fr")
    nlp.add_pipe("entity_ruler").add_patterns(
        [{"label": label, "pattern": text} for text, label in patterns]
    )
    nlp.meta["name"] = name
    nlp.meta["version"] = version
    path = folder / f"{name}-{version}"
    nlp.to_disk(path)
    return str(path)


def suggest_with(project: Project, model: str) -> None:
    run_suggestions(project, SuggestOptions(model=model, default_rules=False, propagate=False))


def pending_model_spans_per_token(project: Project, doc_id: int) -> dict[int, int]:
    counts: dict[int, int] = {}
    for span in project.spans(doc_id, status="suggested"):
        if is_model_origin(span.origin):
            for start, end in project.tokens(doc_id):
                if span.start < end and start < span.end:
                    counts[start] = counts.get(start, 0) + 1
    return counts


def test_a_new_version_replaces_the_pending_suggestions_of_the_previous_one(
    project: Project, tmp_path: Path
) -> None:
    base = ruler_pipeline(tmp_path, "core", "3.8.0", [("Brad", "PER"), ("Redmond", "ORG")])
    trained = ruler_pipeline(
        tmp_path, "project", "2", [("Brad Smith", "PER"), ("Redmond", "LOC"), ("Microsoft", "ORG")]
    )
    [doc_id] = add_texts(project, [TEXT])
    suggest_with(project, base)
    assert described_spans(project, doc_id) == {
        ("Brad", "PER", "model:fr_core@3.8.0", "suggested"),
        ("Redmond", "ORG", "model:fr_core@3.8.0", "suggested"),
    }
    suggest_with(project, trained)
    assert described_spans(project, doc_id) == {
        ("Brad Smith", "PER", "model:fr_project@2", "suggested"),
        ("Redmond", "LOC", "model:fr_project@2", "suggested"),
        ("Microsoft", "ORG", "model:fr_project@2", "suggested"),
    }
    assert max(pending_model_spans_per_token(project, doc_id).values()) == 1


def test_a_pending_suggestion_proposed_again_becomes_the_new_versions(
    project: Project, tmp_path: Path
) -> None:
    one = ruler_pipeline(tmp_path, "project", "1", [("Microsoft", "ORG"), ("Brad Smith", "PER")])
    two = ruler_pipeline(tmp_path, "project", "2", [("Microsoft", "ORG"), ("Brad Smith", "PER")])
    [doc_id] = add_texts(project, [TEXT])
    suggest_with(project, one)
    brad = next(s for s in project.spans(doc_id) if s.label == "PER")
    project.apply(edits.accept_span(brad))
    before_ids = {s.id for s in project.spans(doc_id)}
    suggest_with(project, two)
    assert {s.id for s in project.spans(doc_id)} == before_ids
    assert described_spans(project, doc_id) == {
        ("Brad Smith", "PER", "model:fr_project@1", "accepted"),  # a decision keeps its origin
        ("Microsoft", "ORG", "model:fr_project@2", "suggested"),
    }


def test_a_decided_or_corrected_model_span_keeps_other_model_suggestions_off_its_tokens(
    project: Project, tmp_path: Path
) -> None:
    one = ruler_pipeline(tmp_path, "project", "1", [("Brad", "PER"), ("Microsoft", "ORG")])
    two = ruler_pipeline(
        tmp_path, "project", "2", [("Brad Smith", "PER"), ("Microsoft à Redmond", "ORG")]
    )
    [doc_id] = add_texts(project, [TEXT])
    suggest_with(project, one)
    brad = next(s for s in project.spans(doc_id) if s.label == "PER")
    microsoft = next(s for s in project.spans(doc_id) if s.label == "ORG")
    project.apply(edits.relabel_span(brad, "MISC"))  # corrected by a person, still pending
    project.apply(edits.reject_span(microsoft))
    suggest_with(project, two)
    described = described_spans(project, doc_id)
    assert ("Brad", "MISC", "model:fr_project@1", "suggested") in described
    assert ("Microsoft", "ORG", "model:fr_project@1", "rejected") in described
    assert ("Brad Smith", "PER", "model:fr_project@2", "suggested") not in described
    assert ("Microsoft à Redmond", "ORG", "model:fr_project@2", "suggested") in described
    assert max(pending_model_spans_per_token(project, doc_id).values()) == 1


def test_model_project_names_the_best_trained_version(project: Project, tmp_path: Path) -> None:
    with pytest.raises(AnnotatorError, match="no trained model yet"):
        resolve_model(project, "project")
    records = []
    for version, f1 in ((1, 0.6), (2, 0.7), (3, 0.65)):
        folder = tmp_path / "test.models" / str(version)
        folder.mkdir(parents=True)
        records.append(_record(version, folder, f1))
    project.set_state(MODELS_STATE, records)
    assert resolve_model(project, "project") == str(tmp_path / "test.models" / "2")
    assert resolve_model(project, "project@3") == str(tmp_path / "test.models" / "3")
    assert resolve_model(project, "fr_core_news_sm") == "fr_core_news_sm"
    with pytest.raises(AnnotatorError, match="no such version"):
        resolve_model(project, "project@9")


def test_the_best_version_is_the_one_that_won_on_documents_neither_was_trained_on(
    project: Project, tmp_path: Path
) -> None:
    """Each version's dev part is drawn from the documents done by its training: version 1,
    scored 90% on two easy documents, stayed "the best" against any later version scored on
    more. Each version is now compared with the best before it on its dev documents that
    neither was trained on (the best scored on its own training documents could hardly lose)."""
    from annotator.services.model_versions import (
        best_model,
        compared_figures,
        comparison_note,
        model_records,
    )

    records = []
    for version, f1, compared in (
        (1, 0.9, None),
        (2, 0.8, (1, [4, 5], 0.7, 0.75)),
        (3, 0.85, (2, [6], 0.88, 0.8)),
        (4, 0.95, (2, [], None, None)),  # no dev document new to version 2
    ):
        folder = tmp_path / "test.models" / str(version)
        folder.mkdir(parents=True)
        record = _record(version, folder, f1)
        if compared is not None:
            keys = ("compared_with", "compared_documents", "compared_f1", "compared_own_f1")
            record.update(zip(keys, compared, strict=True))
        records.append(record)
    project.set_state(MODELS_STATE, records[:3])
    best = best_model(project)
    assert best is not None and best.version == 2
    assert resolve_model(project, "project") == str(tmp_path / "test.models" / "2")
    one, two, three = model_records(project)
    assert comparison_note(project, two) == (
        "on 2 dev documents neither was trained on, it scores 75.0% F1 and version 1 70.0%: "
        "--model project is now version 2"
    )
    assert comparison_note(project, three) == (
        "on 1 dev document neither was trained on, it scores 80.0% F1 and version 2 88.0%: "
        "--model project stays version 2 (this one is project@3)"
    )
    assert comparison_note(project, one) == "--model project is version 2"
    assert compared_figures(two) == "75.0% vs 70.0% (version 1, 2 documents)"
    assert compared_figures(one) == "—"
    from typer.testing import CliRunner

    from annotator.cli import app

    table = CliRunner().invoke(app, ["evaluate", str(project.path)])
    assert table.exit_code == 0, table.output
    assert "75.0% vs 70.0% (version 1, 2 documents)" in " ".join(table.stdout.split())
    assert "--model project is version 2" in table.stdout
    project.set_state(MODELS_STATE, records)  # not compared: its dev F1 as it is
    four = model_records(project)[3]
    assert best_model(project).version == 4  # type: ignore[union-attr]
    assert comparison_note(project, four) == (
        "version 2 was not compared on the same documents (it was trained on all of version "
        "4's dev documents): by dev F1 as measured, --model project is version 4"
    )


def test_a_version_is_found_beside_the_project_from_any_folder(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``train lab/lab.annotator`` recorded ``lab/lab.models/2``, relative to the folder it ran
    in: from any other folder ``--model project@2`` said the version's folder was missing."""
    (tmp_path / "test.models" / "2").mkdir(parents=True)
    project.set_state(MODELS_STATE, [_record(2, Path("elsewhere/test.models/2"), 0.7)])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    found = Path(resolve_model(project, "project@2"))
    assert found.is_absolute() and found == tmp_path / "test.models" / "2"


def _record(version: int, folder: Path, f1: float) -> dict[str, object]:
    return {
        "version": version,
        "path": str(folder),
        "base": "fr_core_news_sm",
        "origin": f"model:fr_project@{version}",
        "components": ["ner"],
        "train_documents": [1],
        "dev_documents": [2],
        "partial_documents": [],
        "steps": 10,
        "seconds": 1.0,
        "trained_at": "2026-01-01T00:00:00+00:00",
        "scores": {"ents_f": f1},
        "per_label": {},
    }
