"""``project_stats`` counts documents, spans, relations and how each suggester fared."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from annotator import edits
from annotator.cli.app import app
from annotator.model import Document, Relation, Span
from annotator.store import Project, project_stats
from annotator.store.stats import precision_in_done_documents


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


def _suggested(doc_id: int, start: int, end: int, label: str, origin: str) -> Span:
    return Span(doc_id=doc_id, start=start, end=end, label=label, origin=origin, status="suggested")


def test_the_windows_precision_is_read_from_the_done_documents_alone(project: Project) -> None:
    """``precision_in_done_documents`` gives ``project_stats``' precision of each suggester with
    a suggestion in a done document, spans and relations, and nothing for the others."""
    text = "Brad Smith works for Microsoft in Redmond."
    done, open_one = (project.add_document(Document(text=f"{n}. {text}"))[0] for n in (1, 2))
    for doc_id in (done, open_one):
        person, company, place = (
            _suggested(doc_id, start, end, label, origin)
            for start, end, label, origin in (
                (3, 13, "PER", "model:m@1"),
                (24, 33, "ORG", "model:m@1"),
                (37, 44, "LOC", "pattern:p"),
            )
        )
        project.add_spans([person, company, place])
        works_for = Relation(doc_id=doc_id, head=person.id, child=company.id, label="works_for")
        project.add_relations(
            [works_for.model_copy(update={"origin": "rule:r", "status": "suggested"})]
        )
        project.apply(edits.accept_span(person))
        project.apply(edits.reject_span(company))
    project.add_spans([_suggested(open_one, 0, 1, "MISC", "model:other@1")])
    project.apply(edits.set_document_status(done, "new", "done"))
    origins = project_stats(project)["origins"]
    expected = {
        (origin, kind): row["precision"]
        for origin, kinds in origins.items()
        for kind, row in kinds.items()
        if row["in_done_documents"]
    }
    assert expected == {
        ("model:m@1", "spans"): 0.5,
        ("pattern:p", "spans"): 0.0,
        ("rule:r", "relations"): 0.0,
    }
    assert precision_in_done_documents(project) == expected


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


def test_stats_of_an_empty_project_prints_no_empty_table(tmp_path: Path) -> None:
    """A new project's stats printed the "by status" title over a line of spaces."""
    path = tmp_path / "empty.annotator"
    Project.create(path).close()
    result = CliRunner().invoke(app, ["stats", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:3] == [
        "Documents: 0",
        "Spans: 0 (0 not on token boundaries)",
    ]
