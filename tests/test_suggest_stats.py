"""``annotator stats``: how each suggester's proposals fared, after a real suggestion run."""

from __future__ import annotations

from pathlib import Path

from suggest_helpers import ENTITY_PATTERNS, add_texts, covered, write_patterns

from annotator import edits
from annotator.services.suggesting import SuggestOptions, run_suggestions
from annotator.store import Project, project_stats

TEXTS = [
    "Brad Smith, PDG de Microsoft, a parlé au WSJ.",
    "Satya Nadella, PDG de Microsoft, a parlé à la Chine.",
]


def test_origins_count_each_fate_and_precision_over_finished_documents(
    project: Project, tmp_path: Path
) -> None:
    patterns = write_patterns(tmp_path / "entities.jsonl", ENTITY_PATTERNS)
    finished, open_ = add_texts(project, TEXTS)
    run_suggestions(project, SuggestOptions(model="blank", patterns=(patterns,)))
    spans = {covered(project, s): s for s in project.spans(finished)}
    # finished document: one accepted as is, one accepted after a relabel, one rejected,
    # and its relation accepted
    project.apply(edits.accept_span(spans["Brad Smith"]))
    relabelled = edits.relabel_span(spans["WSJ"], "MISC")
    project.apply(relabelled)
    project.apply(edits.accept_span(relabelled.after))
    [relation] = project.relations(finished)
    project.apply(edits.accept_span(spans["Microsoft"]))
    project.apply(edits.accept_relation(relation))
    project.set_document_status(finished, "done")
    # open document: one rejected
    chine = next(s for s in project.spans(open_) if covered(project, s) == "Chine")
    project.apply(edits.reject_span(chine))

    origins = project_stats(project)["origins"]
    spans_row = origins["pattern:entities.jsonl"]["spans"]
    assert spans_row == {
        "suggested": 2,  # Satya Nadella and Microsoft of the open document
        "accepted": 3,
        "rejected": 1,
        "accepted_after_edit": 1,
        "in_done_documents": 3,
        "precision": round(2 / 3, 4),  # accepted as is, over the finished document's
        "on_decided_spans": 0,  # none fell on a span already decided
    }
    relations_row = origins["rule:fr_person_title_of_org"]["relations"]
    assert relations_row["accepted"] == 1 and relations_row["suggested"] == 1
    assert relations_row["precision"] == 1.0
    assert "spans" not in origins["rule:fr_person_title_of_org"]
