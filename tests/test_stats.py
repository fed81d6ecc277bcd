"""``project_stats`` counts documents, spans, relations and how each suggester fared."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from annotator import edits
from annotator.cli.app import app
from annotator.model import Document, Relation, Span
from annotator.store import Project, project_stats


def test_counts_by_status_label_and_origin(project: Project, doc_id: int) -> None:
    person = Span(doc_id=doc_id, start=0, end=10, label="PER")
    company = Span(
        doc_id=doc_id, start=21, end=30, label="ORG", origin="model:m@1", status="suggested"
    )
    project.add_spans([person, company])
    project.add_relations(
        [
            Relation(
                doc_id=doc_id,
                head=person.id,
                child=company.id,
                label="works_for",
                origin="rule:r",
                status="suggested",
            )
        ]
    )
    figures = project_stats(project)
    assert figures["documents"] == {"total": 1, "by_status": {"new": 1}}
    assert figures["spans"]["by_status"] == {"accepted": 1, "suggested": 1}
    assert figures["spans"]["by_label"] == {"ORG": 1, "PER": 1}
    assert figures["spans"]["by_origin"] == {"human": 1, "model:m@1": 1}
    assert figures["relations"]["by_label"] == {"works_for": 1}
    assert figures["origins"]["model:m@1"]["spans"]["suggested"] == 1


def test_precision_counts_only_finished_documents(project: Project, doc_id: int) -> None:
    origin = "model:m@1"
    good = Span(doc_id=doc_id, start=0, end=10, label="PER", origin=origin, status="suggested")
    edited = Span(doc_id=doc_id, start=21, end=30, label="ORG", origin=origin, status="suggested")
    wrong = Span(doc_id=doc_id, start=34, end=41, label="PER", origin=origin, status="suggested")
    project.add_spans([good, edited, wrong])
    project.apply(edits.accept_span(good))
    project.apply(edits.resize_span(edited, 21, 25))
    project.apply(edits.accept_span(project.span(edited.id)))
    project.apply(edits.reject_span(wrong))
    row = project_stats(project)["origins"][origin]["spans"]
    assert row["precision"] is None  # the document is not finished
    assert (row["accepted"], row["rejected"], row["accepted_after_edit"]) == (2, 1, 1)
    project.apply(edits.set_document_status(doc_id, "new", "done"))
    assert project_stats(project)["origins"][origin]["spans"]["precision"] == round(1 / 3, 4)


def test_human_and_imported_spans_are_not_suggesters(project: Project, doc_id: int) -> None:
    project.add_spans([Span(doc_id=doc_id, start=0, end=10, label="PER", origin="import:prodigy")])
    assert project_stats(project)["origins"] == {}


def test_stats_command_prints_json(project: Project, doc_id: int) -> None:
    project.add_spans([Span(doc_id=doc_id, start=0, end=10, label="PER")])
    project.close()
    result = CliRunner().invoke(app, ["stats", str(project.path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["spans"]["total"] == 1
    result = CliRunner().invoke(app, ["stats", str(project.path)])
    assert "Documents: 1" in result.output


def test_stats_on_a_missing_project_is_one_line(tmp_path) -> None:
    result = CliRunner().invoke(app, ["stats", str(tmp_path / "nope.annotator")])
    assert result.exit_code == 1
    assert "no such project file" in result.output
    assert "Traceback" not in result.output


def test_a_table_of_one_short_row_keeps_its_title_on_one_line(tmp_path) -> None:
    path = tmp_path / "one.annotator"
    with Project.create(path) as project:
        project.add_document(Document(text="Texte court."))  # one row: "new  1"
    result = CliRunner().invoke(app, ["stats", str(path)])
    assert result.exit_code == 0
    assert "by status" in result.output
