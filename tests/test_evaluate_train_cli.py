"""``annotator evaluate`` scores each suggester from what it proposed in the done documents;
``annotator train`` and ``suggest --model project`` refuse bad input with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from suggest_helpers import add_texts
from typer.testing import CliRunner

from annotator import edits
from annotator.cli import app
from annotator.model import Relation, Span
from annotator.services.evaluating import evaluate_suggesters, suggester_precision
from annotator.store import Project

runner = CliRunner()
TEXT = "Brad Smith dirige Microsoft à Redmond avec Satya Nadella."
MODEL = "model:fr_project@2"
PATTERNS = "pattern:orgs.jsonl"


def _at(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return start, start + len(needle)


def _suggestion(doc_id: int, needle: str, label: str, origin: str = MODEL) -> Span:
    start, end = _at(TEXT, needle)
    return Span(doc_id=doc_id, start=start, end=end, label=label, origin=origin, status="suggested")


@pytest.fixture
def corrected(tmp_path: Path) -> Path:
    """One done document corrected by a person, one unfinished with pending suggestions."""
    path = tmp_path / "corpus.annotator"
    with Project.create(path) as project:
        done, open_ = add_texts(project, [TEXT, TEXT + " Encore."])
        brad = _suggestion(done, "Brad Smith", "PER")
        microsoft = _suggestion(done, "Microsoft", "LOC")  # wrong label: corrected
        redmond = _suggestion(done, "Redmond", "ORG")  # wrong: rejected
        pattern = _suggestion(done, "Microsoft", "ORG", PATTERNS)
        project.add_spans([brad, microsoft, redmond, pattern, _suggestion(open_, "Brad", "PER")])
        project.apply(edits.accept_span(brad))
        relabelled = edits.relabel_span(microsoft, "ORG")
        project.apply(relabelled)
        project.apply(edits.accept_span(relabelled.after))
        project.apply(edits.reject_span(redmond))
        project.apply(edits.accept_span(pattern))
        start, end = _at(TEXT, "Satya Nadella")  # missed by every suggester: added by hand
        project.apply(edits.add_span(Span(doc_id=done, start=start, end=end, label="PER")))
        relation = Relation(
            doc_id=done, head=brad.id, child=pattern.id, label="works_for",
            origin="rule:boss", status="suggested",
        )  # fmt: skip
        project.add_relations([relation])
        project.apply(edits.accept_relation(relation))
        project.apply(edits.set_document_status(done, project.document_status(done), "done"))
    return path


def test_each_suggester_is_scored_on_what_it_proposed_in_done_documents(corrected: Path) -> None:
    with Project.open(corrected, read_only=True) as project:
        figures = {entry.origin: entry for entry in evaluate_suggesters(project)}
    assert set(figures) == {MODEL, PATTERNS, "rule:boss"}  # the open document does not count
    model = figures[MODEL].spans
    assert model is not None and figures[MODEL].kind == "model"
    # right: Brad Smith; wrong: Microsoft (corrected) and Redmond (rejected);
    # missed: Microsoft ORG (the pattern's) and Satya Nadella (typed)
    assert (model["tp"], model["fp"], model["fn"]) == (1, 2, 2)
    assert model["p"] == pytest.approx(1 / 3, abs=1e-4)
    assert model["per_label"]["PER"]["fn"] == 1 and model["per_label"]["ORG"]["fp"] == 2
    patterns = figures[PATTERNS].spans
    assert patterns is not None and (patterns["tp"], patterns["fp"], patterns["fn"]) == (1, 0, 2)
    rule = figures["rule:boss"]
    assert rule.spans is None and rule.relations is not None
    assert (rule.relations["tp"], rule.relations["fp"], rule.relations["fn"]) == (1, 0, 0)


def test_evaluate_json_and_stats_print_the_same_figures(corrected: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(corrected), "--json"])
    assert result.exit_code == 0, result.output
    evaluation = json.loads(result.output)
    assert evaluation["done_documents"] == 1
    model = next(s for s in evaluation["suggesters"] if s["origin"] == MODEL)
    assert model["spans"]["f"] == pytest.approx(2 * (1 / 3) * (1 / 3) / (1 / 3 + 1 / 3), abs=1e-4)
    stats = json.loads(runner.invoke(app, ["stats", str(corrected), "--json"]).output)
    assert stats["suggesters"] == evaluation["suggesters"]
    table = runner.invoke(app, ["evaluate", str(corrected)])
    assert table.exit_code == 0 and "Entities, by suggester" in table.output


def test_train_without_done_documents_says_so_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "empty.annotator"
    with Project.create(path) as project:
        add_texts(project, [TEXT])
    result = runner.invoke(app, ["train", str(path), "--base", "fr_core_news_sm"])
    assert result.exit_code == 1
    assert "training needs done documents" in result.output
    assert "Traceback" not in result.output


def test_train_refuses_an_unknown_component_and_a_missing_base(corrected: Path) -> None:
    with Project.open(corrected) as project:
        project.set_document_status(2, "done")
    result = runner.invoke(app, ["train", str(corrected), "--components", "tagger"])
    assert result.exit_code == 1 and "--components takes ner" in result.output
    result = runner.invoke(app, ["train", str(corrected), "--base", "xx_no_such_pipeline"])
    assert result.exit_code == 1
    assert "spaCy pipeline 'xx_no_such_pipeline' is not installed" in result.output
    assert len(result.output.strip().splitlines()) == 1
    folder = corrected.with_suffix(".models")
    assert not folder.exists() or list(folder.iterdir()) == []  # no staging left behind


def test_suggest_with_the_project_model_before_any_training(corrected: Path) -> None:
    result = runner.invoke(app, ["suggest", str(corrected), "--model", "project"])
    assert result.exit_code == 1
    assert "no trained model yet; run annotator train" in result.output


def test_the_precision_the_inspector_shows_is_the_evaluated_one(corrected: Path) -> None:
    with Project.open(corrected, read_only=True) as project:
        evaluated = {entry.origin: entry.precision for entry in evaluate_suggesters(project)}
        shown = suggester_precision(project)
    assert set(shown) == {(MODEL, "spans"), (PATTERNS, "spans"), ("rule:boss", "relations")}
    for (origin, kind), precision in shown.items():
        if kind == "spans":
            assert precision == pytest.approx(evaluated[origin], abs=1e-4)
    assert shown["rule:boss", "relations"] == 1.0


def test_a_suggestion_found_on_a_decided_span_counts_for_its_suggester(tmp_path: Path) -> None:
    """A corpus imported with its annotations, then suggested: a suggestion that fell on an
    accepted span is not stored (the person's span stays), so the suggester got no credit: the
    base model read 0 % right (150 wrong) where it had found 93 of them."""
    from annotator.services.suggesting import SuggestOptions, run_suggestions
    from annotator.store import project_stats

    patterns = tmp_path / "orgs.jsonl"
    patterns.write_text(
        '{"label": "ORG", "pattern": "Microsoft"}\n{"label": "ORG", "pattern": "Redmond"}\n'
        '{"label": "PER", "pattern": [{"LOWER": "satya"}, {"LOWER": "nadella"}]}\n',
        encoding="utf-8",
    )
    path = tmp_path / "imported.annotator"
    with Project.create(path) as project:
        [doc_id] = add_texts(project, [TEXT])
        imported = [  # as an import stores a corpus's annotations: accepted, or rejected
            Span(doc_id=doc_id, start=s, end=e, label=label, origin="import:gold", status=status)
            for (s, e), label, status in (
                (_at(TEXT, "Microsoft"), "ORG", "accepted"),
                (_at(TEXT, "Satya Nadella"), "PER", "rejected"),
            )
        ]
        project.add_spans(imported)
        run_suggestions(project, SuggestOptions(model="blank", patterns=(patterns,)))
        [redmond] = project.spans(doc_id, status="suggested")  # the only one stored
        project.apply(edits.reject_span(redmond))
        project.apply(edits.set_document_status(doc_id, project.document_status(doc_id), "done"))
        # run again on the done document: Redmond, its own rejected suggestion, counts once
        run_suggestions(
            project, SuggestOptions(model="blank", patterns=(patterns,), docs=(doc_id,))
        )
        [figures] = evaluate_suggesters(project)
        stats = project_stats(project)["origins"]
        precision = suggester_precision(project)
        runs = [json.loads(e["payload"]) for e in project.edit_log() if e["kind"] == "suggest"]
    origin = "pattern:orgs.jsonl"
    assert [run["suggesters"] for run in runs] == [[origin], [origin]]  # who suggested
    assert figures.origin == origin and figures.spans is not None
    # Microsoft found again on the accepted span: right; Satya Nadella on a rejected one and
    # Redmond, rejected: wrong
    assert (figures.spans["tp"], figures.spans["fp"]) == (1, 2)
    assert stats[origin]["spans"]["precision"] == precision[origin, "spans"] == round(1 / 3, 4)


def test_the_curve_with_nothing_done_says_only_why(tmp_path: Path) -> None:
    """It printed "Training one model per point of the curve; this takes a while..." and then
    refused: nothing is done."""
    path = tmp_path / "new.annotator"
    with Project.create(path) as project:
        add_texts(project, [TEXT])
    result = runner.invoke(app, ["evaluate", str(path), "--curve"])
    assert result.exit_code == 1
    assert "Training" not in result.stdout
    assert "the curve needs done documents for both train and dev" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--base", ""], "--base: give a spaCy pipeline (e.g. fr_core_news_md), or leave it out"),
        ([], "corpus.models: a file is where the project keeps its model versions (a folder)"),
    ],
)
def test_train_refuses_an_empty_base_and_a_file_in_the_way(
    corrected: Path, arguments: list[str], expected: str
) -> None:
    """An empty --base trained from the default; a file named like the versions' folder gave
    'x.models/.training-4: Not a directory', naming a folder the user never made."""
    if not arguments:
        corrected.with_suffix(".models").write_text("not a folder", encoding="utf-8")
    result = runner.invoke(app, ["train", str(corrected), *arguments])
    assert result.exit_code == 1
    assert expected in " ".join(result.stderr.split())


def test_train_refuses_a_span_outside_its_text_and_leaves_no_staging(corrected: Path) -> None:
    """A crafted span past the text was left out of the training data with a warning the
    command did not print, so the done document taught its words as no entity; a start
    stored as text gave a traceback, and both left the staging folder behind."""
    import sqlite3

    with Project.open(corrected) as project:
        project.set_document_status(2, "done")
        span = next(s for s in project.spans(1) if s.status == "accepted")
    for change in ('"end" = 400', "start = 'x'"):
        db = sqlite3.connect(corrected)
        db.execute(f"UPDATE spans SET {change} WHERE id = ?", [span.id])
        db.commit()
        db.close()
        result = runner.invoke(app, ["train", str(corrected), "--max-steps", "1"])
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {corrected}: document 1: span ")
        assert f"{span.id!r} holds start" in lines[0]
        folder = corrected.with_suffix(".models")
        assert not folder.exists() or list(folder.iterdir()) == []
