"""``annotator done``: mark documents done from the command line, deciding what is pending."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.model import Document, Span
from annotator.store import Project

runner = CliRunner()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Document 1 with two pending suggestions, document 2 with none."""
    path = tmp_path / "corpus.annotator"
    with Project.create(path) as project:
        first, _ = project.add_document(Document(text="Brad Smith works for Microsoft."))
        project.add_document(Document(text="Nothing here."))
        project.add_spans(
            [
                Span(doc_id=first, start=0, end=10, label="PER", status="suggested"),
                Span(doc_id=first, start=21, end=30, label="ORG", status="suggested"),
            ]
        )
    return path


def _state(path: Path) -> tuple[dict[int, str], list[str]]:
    with Project.open(path, read_only=True) as project:
        statuses = {doc_id: project.document_status(doc_id) for doc_id in project.document_ids()}
        return statuses, [s.status for s in project.spans(1)]


def test_pending_suggestions_without_a_choice_are_one_clear_error(corpus: Path) -> None:
    result = runner.invoke(app, ["done", str(corpus), "2,1"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "document 1 has 2 pending suggestions" in lines[0]
    assert str(corpus.name) in lines[0]
    assert "Traceback" not in result.output
    assert _state(corpus) == ({1: "new", 2: "new"}, ["suggested", "suggested"])


@pytest.mark.parametrize("choice", ["accept", "reject"])
def test_pending_accept_or_reject_decides_the_rest(corpus: Path, choice: str) -> None:
    result = runner.invoke(app, ["done", str(corpus), "1", "2", "--pending", choice])
    assert result.exit_code == 0, result.output
    assert "marked 2 documents done" in result.output
    decided = "accepted" if choice == "accept" else "rejected"
    assert _state(corpus) == ({1: "done", 2: "done"}, [decided, decided])
    again = runner.invoke(app, ["done", str(corpus), "1"])
    assert again.exit_code == 0 and "already done: 1" in again.output


@pytest.mark.parametrize("change", ['"end" = start', "start = -2", "start = start + 0.5"])
def test_accepting_a_suggestion_a_crafted_file_made_unusable_is_one_line(
    corpus: Path, change: str
) -> None:
    """An empty suggestion was accepted (the span model checks offsets only when a span is
    made), and the document marked done; every export then refused that span."""
    import sqlite3

    db = sqlite3.connect(corpus)
    db.execute(f"UPDATE spans SET {change} WHERE label = 'ORG'")
    db.commit()
    db.close()
    result = runner.invoke(app, ["done", str(corpus), "1", "--pending", "accept"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "needs two integer offsets, the start before the end" in lines[0]
    assert _state(corpus) == ({1: "new", 2: "new"}, ["suggested", "suggested"])


def test_an_unknown_document_or_choice_is_one_line(corpus: Path) -> None:
    missing = runner.invoke(app, ["done", str(corpus), "1", "9", "--pending", "accept"])
    assert missing.exit_code == 1 and "no document 9" in missing.output
    assert "Traceback" not in missing.output
    assert _state(corpus)[0] == {1: "new", 2: "new"}
    words = runner.invoke(app, ["done", str(corpus), "first"])
    assert words.exit_code == 1 and "DOC takes document ids" in words.output
    wrong = runner.invoke(app, ["done", str(corpus), "1", "--pending", "maybe"])
    assert wrong.exit_code == 2


def test_ranges_of_ids_and_every_refused_document_named(tmp_path: Path) -> None:
    """``done P 1-6`` was refused as not ids, and a refusal named the first document with
    pending suggestions only."""
    path = tmp_path / "corpus.annotator"
    with Project.create(path) as project:
        for number in range(1, 5):
            doc_id, _ = project.add_document(Document(text=f"Brad Smith, numéro {number}."))
            if number != 2:
                project.add_spans(
                    [Span(doc_id=doc_id, start=0, end=10, label="PER", status="suggested")]
                )
    refused = runner.invoke(app, ["done", str(path), "1-4"])
    assert refused.exit_code == 1
    assert "document 1 has 1 pending suggestion;" in refused.output
    assert "(and 2 other documents too: 3, 4); nothing changed" in refused.output
    result = runner.invoke(app, ["done", str(path), "2-3,4", "--pending", "reject"])
    assert result.exit_code == 0, result.output
    assert "marked 3 documents done (accepted 0, rejected 2 suggestions)" in result.output
    backwards = runner.invoke(app, ["done", str(path), "4-1"])
    assert (
        backwards.exit_code == 1 and "DOC takes document ids (1 2, 1,2 or 1-6)" in backwards.output
    )
