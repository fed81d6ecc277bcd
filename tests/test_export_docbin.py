"""The ``spacy`` export: what the DocBin files hold, and how documents are split."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from export_corpus import add_annotated
from spacy.tokens import Doc, DocBin

from annotator.io.docbin_writer import ensure_rel_extension
from annotator.model import Document, ProjectSettings, Relation, Span
from annotator.services.exporting import export_project, split_documents
from annotator.services.importing import import_sources
from annotator.store import Project

RELATION_LABELS = ("works_for", "located_in", "member_of")


def load(path: Path) -> list[Doc]:
    ensure_rel_extension()
    return list(DocBin().from_disk(path).get_docs(spacy.blank("fr").vocab))


def test_ents_hold_the_longest_of_overlapping_spans_and_spans_hold_all(
    project: Project, tmp_path: Path
) -> None:
    add_annotated(project, 1)
    report = export_project(project, "spacy", tmp_path / "out", split=(1.0,))
    (doc,) = load(tmp_path / "out" / "train.spacy")
    assert doc.text == "Brad Smith works for Microsoft in Redmond. 1"
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Brad Smith", "PER"),
        ("Microsoft", "ORG"),
        ("Redmond", "LOC"),
    ]
    assert sorted((s.text, s.label_) for s in doc.spans["sc"]) == [
        ("Brad", "PER"),
        ("Brad Smith", "PER"),
        ("Microsoft", "ORG"),
        ("Redmond", "LOC"),
    ]
    assert report.counts["overlaps_spans_only"] == 1
    assert (report.documents, report.spans, report.relations) == (1, 4, 2)
    assert report.files == [str(tmp_path / "out" / "train.spacy")]


def test_overlap_rule_prefers_longest_then_earliest(project: Project, tmp_path: Path) -> None:
    text = "a b c d e"
    tokens = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))
    doc_id, _ = project.add_document(Document(text=text, tokens=tokens, status="done"))
    project.add_spans(
        [
            Span(doc_id=doc_id, start=0, end=3, label="PER"),  # a b
            Span(doc_id=doc_id, start=2, end=7, label="ORG"),  # b c d: longest
            Span(doc_id=doc_id, start=6, end=9, label="LOC"),  # d e
            Span(doc_id=doc_id, start=8, end=9, label="MISC"),  # e
        ]
    )
    report = export_project(project, "spacy", tmp_path / "out", split=(1.0,))
    (doc,) = load(tmp_path / "out" / "train.spacy")
    assert [(e.text, e.label_) for e in doc.ents] == [("b c d", "ORG"), ("e", "MISC")]
    assert len(doc.spans["sc"]) == 4
    assert report.counts["overlaps_spans_only"] == 2


def test_spans_key_comes_from_the_project_settings(project: Project, tmp_path: Path) -> None:
    project.set_settings(ProjectSettings(spans_key="entities"))
    add_annotated(project, 1)
    export_project(project, "spacy", tmp_path / "out", split=(1.0,))
    (doc,) = load(tmp_path / "out" / "train.spacy")
    assert list(doc.spans) == ["entities"]
    assert len(doc.spans["entities"]) == 4


def test_relations_of_a_finished_document_have_every_label(
    project: Project, tmp_path: Path
) -> None:
    add_annotated(project, 1)
    export_project(project, "spacy", tmp_path / "out", split=(1.0,))
    (doc,) = load(tmp_path / "out" / "train.spacy")
    # Span starts: Brad / Brad Smith at token 0, Microsoft at 4, Redmond at 6.
    pairs = {(a, b) for a in (0, 4, 6) for b in (0, 4, 6) if a != b}
    assert set(doc._.rel) == pairs
    for pair, scores in doc._.rel.items():
        assert set(scores) == set(RELATION_LABELS)
        expected = {(0, 4): "works_for", (4, 6): "located_in"}.get(pair)
        for label, score in scores.items():
            assert score == (1.0 if label == expected else 0.0)


def test_relations_of_an_unfinished_document_have_only_what_was_annotated(
    project: Project, tmp_path: Path
) -> None:
    add_annotated(project, 1, status="in_progress")
    export_project(project, "spacy", tmp_path / "out", status="all", split=(1.0,))
    assert load(tmp_path / "out" / "train.spacy") == []
    (doc,) = load(tmp_path / "out" / "train-unfinished.spacy")
    assert doc._.rel == {(0, 4): {"works_for": 1.0}, (4, 6): {"located_in": 1.0}}


@pytest.mark.parametrize("status", ["done", "in_progress"])
def test_a_relation_between_spans_on_one_start_token_is_left_out_and_named(
    project: Project, tmp_path: Path, status: str
) -> None:
    """ "Brad Smith" -> "Brad" would be the pair (0, 0): never read by the tutorial, refused by
    our own import. The export leaves it out, says so, and reads back into a new project."""
    made = add_annotated(project, 1, status=status)  # type: ignore[arg-type]
    brad = Span(doc_id=made["doc_id"], start=0, end=4, label="ORG")  # nested, on token 0
    project.add_spans([brad])
    nested = Relation(
        doc_id=made["doc_id"], head=made["person"].id, child=brad.id, label="works_for"
    )
    project.add_relations([nested])
    out = tmp_path / "out"
    report = export_project(project, "spacy", out, status="all", split=(1.0,))
    (path,) = (p for p in out.glob("*.spacy") if load(p))
    (doc,) = load(path)
    assert (0, 0) not in doc._.rel
    assert doc._.rel[(0, 4)]["works_for"] == 1.0 and doc._.rel[(4, 6)]["located_in"] == 1.0
    assert report.relations == 2 and report.counts["relations_on_one_start_token"] == 1
    assert [w for w in report.warnings if "left out: both spans" in w] == [
        f"document {made['doc_id']}: relation works_for from 'Brad Smith' to 'Brad' left out: "
        "both spans start at token 0, and doc._.rel keys a relation by its spans' first tokens"
    ]
    with Project.create(tmp_path / "back.annotator") as back:
        import_sources(back, [out])
        (doc_id,) = back.document_ids()
        assert sorted(r.label for r in back.relations(doc_id)) == ["located_in", "works_for"]


def test_a_part_whose_documents_are_all_unfinished_is_said_first(
    project: Project, tmp_path: Path
) -> None:
    """spacy train stops on an empty dev file: the report says so before anything else."""
    for number in range(3):
        add_annotated(project, number, status="in_progress")
    report = export_project(project, "spacy", tmp_path / "out", status="all", split=(1.0,))
    assert report.warnings[0] == (
        "train.spacy holds no document: all 3 of its part are in train-unfinished.spacy "
        "(relations not all judged); mark documents done to train on it"
    )
    one = export_project(project, "spacy", tmp_path / "one", status="all", split=(0.7, 0.3))
    assert one.warnings[0].startswith(
        "dev.spacy holds no document: its part's one document is in dev-unfinished.spacy"
    )


def test_doc_text_is_the_document_text_whatever_the_gaps(project: Project, tmp_path: Path) -> None:
    text = "  Hello  world\n\nagain\tand  \n"
    tokens = ((2, 7), (9, 14), (16, 21), (22, 25))
    doc_id, _ = project.add_document(Document(text=text, tokens=tokens, status="done"))
    project.add_spans([Span(doc_id=doc_id, start=9, end=14, label="LOC")])
    export_project(project, "spacy", tmp_path / "out", split=(1.0,))
    (doc,) = load(tmp_path / "out" / "train.spacy")
    assert doc.text == text
    assert [(e.start_char, e.end_char) for e in doc.ents] == [(9, 14)]
    assert {"Hello", "world", "again", "and"} <= {t.text for t in doc}


def test_default_split_is_train_and_dev(project: Project, tmp_path: Path) -> None:
    for number in range(10):
        add_annotated(project, number)
    report = export_project(project, "spacy", tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".annotator-export.json",  # what this export wrote, for the next one into the folder
        "dev.spacy",
        "train.spacy",
    ]
    assert len(load(tmp_path / "out" / "train.spacy")) == 8
    assert len(load(tmp_path / "out" / "dev.spacy")) == 2
    assert (report.counts["documents_train"], report.counts["documents_dev"]) == (8, 2)


def _texts(folder: Path, part: str) -> list[str]:
    return [doc.text for doc in load(folder / f"{part}.spacy")]


def test_split_by_seed_is_deterministic_and_by_document(project: Project, tmp_path: Path) -> None:
    for number in range(20):
        add_annotated(project, number)
    runs = {}
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        export_project(project, "spacy", tmp_path / name, split=(0.5, 0.3, 0.2), seed=seed)
        runs[name] = {part: _texts(tmp_path / name, part) for part in ("train", "dev", "test")}
    assert runs["a"] == runs["b"]
    assert runs["a"] != runs["c"]
    parts = runs["a"]
    assert [len(parts[p]) for p in ("train", "dev", "test")] == [10, 6, 4]
    every = parts["train"] + parts["dev"] + parts["test"]
    assert sorted(every) == sorted(set(every)) and len(every) == 20


def test_split_documents_cuts_by_fractions() -> None:
    parts = split_documents(list(range(1, 11)), (0.7, 0.2, 0.1), seed=3)
    assert [len(ids) for ids in parts.values()] == [7, 2, 1]
    assert list(parts) == ["train", "dev", "test"]
    assert parts == split_documents(list(reversed(range(1, 11))), (0.7, 0.2, 0.1), seed=3)


@pytest.mark.parametrize("split", [(0.5, 0.6), (0.0, 1.0), (0.25,) * 4])
def test_bad_split_is_refused(project: Project, tmp_path: Path, split: tuple) -> None:
    from annotator.errors import ExportError

    add_annotated(project, 1)
    with pytest.raises(ExportError, match="--split"):
        export_project(project, "spacy", tmp_path / "out", split=split)
    assert not (tmp_path / "out").exists()


def test_a_document_without_stored_tokens_gets_the_project_tokenizer(
    project: Project, tmp_path: Path
) -> None:
    doc_id, _ = project.add_document(Document(text="L'ONU siège à New York.", status="done"))
    project.add_spans([Span(doc_id=doc_id, start=2, end=5, label="ORG")])
    report = export_project(project, "spacy", tmp_path / "out", split=(1.0,))
    (doc,) = load(tmp_path / "out" / "train.spacy")
    assert [t.text for t in doc][:2] == ["L'", "ONU"]
    assert [(e.text, e.label_) for e in doc.ents] == [("ONU", "ORG")]
    assert not report.warnings


@pytest.mark.parametrize("nested_first", [False, True])
def test_two_pairs_of_spans_on_the_same_first_tokens_keep_the_entities_pair(
    project: Project, tmp_path: Path, nested_first: bool
) -> None:
    """'Brad Smith' -> Microsoft and 'Brad' -> Microsoft shared the key (0, 4): read back, both
    were relations of 'Brad Smith', one of them with a wrong head."""
    made = add_annotated(project, 1)
    brad = made["first_name"]  # "Brad": PER, nested at the start of "Brad Smith" (the entity)
    project.add_relations(
        [Relation(doc_id=made["doc_id"], head=brad.id, child=made["company"].id, label="member_of")]
    )
    if nested_first:  # the entities' relation made after the nested one
        works_for = made["works_for"]
        project.delete_relation(works_for)  # type: ignore[arg-type]
        project.add_relations([works_for.model_copy(update={"id": "again"})])  # type: ignore[union-attr]
    out = tmp_path / "out"
    report = export_project(project, "spacy", out, split=(1.0,))
    (doc,) = load(out / "train.spacy")
    assert doc._.rel[(0, 4)]["works_for"] == 1.0 and doc._.rel[(0, 4)]["member_of"] == 0.0
    assert report.relations == 2 and report.counts["relations_on_shared_start_tokens"] == 1
    assert (
        f"document {made['doc_id']}: relation member_of from 'Brad' to 'Microsoft' left out: "
        "'Brad Smith' to 'Microsoft' starts on the same tokens, and doc._.rel keys a relation "
        "by its spans' first tokens"
    ) in report.warnings


def test_a_relation_of_a_second_label_on_the_same_words_is_left_out_not_moved(
    project: Project, tmp_path: Path
) -> None:
    """PER and LOC on 'Brad Smith', each with a relation to Microsoft: both went under the key
    (0, 4), and read back both were the relations of the one entity, one with a wrong head."""
    made = add_annotated(project, 1)
    company = made["company"]
    second = Span(doc_id=made["doc_id"], start=0, end=10, label="LOC")
    project.add_spans([second])
    project.add_relations(
        [Relation(doc_id=made["doc_id"], head=second.id, child=company.id, label="member_of")]
    )
    out = tmp_path / "out"
    report = export_project(project, "spacy", out, split=(1.0,))
    (doc,) = load(out / "train.spacy")
    entity = next(e for e in doc.ents if e.start == 0)
    kept, dropped, other = ("works_for", "member_of", "LOC")
    if entity.label_ == "LOC":
        kept, dropped, other = ("member_of", "works_for", "PER")
    assert doc._.rel[(0, 4)][kept] == 1.0 and doc._.rel[(0, 4)][dropped] == 0.0
    assert report.relations == 2 and report.counts["relations_on_shared_start_tokens"] == 1
    assert (
        f"document {made['doc_id']}: relation {dropped} from 'Brad Smith' to 'Microsoft' "
        f"({other} to ORG) left out: 'Brad Smith' ({entity.label_}) to 'Microsoft' (ORG) starts "
        "on the same tokens, and doc._.rel keys a relation by its spans' first tokens"
    ) in report.warnings


def test_an_empty_part_of_one_document_is_said_in_the_singular(
    project: Project, tmp_path: Path
) -> None:
    add_annotated(project, 1)
    report = export_project(project, "spacy", tmp_path / "out")
    assert "the dev part is empty (1 document split 0.8,0.2)" in report.warnings


def test_an_entity_is_written_without_the_line_break_at_its_start(
    project: Project, tmp_path: Path
) -> None:
    """'\\nParis' went into doc.ents with its line break: spaCy's NER cannot learn an entity
    that starts with white space (E024)."""
    text = "Jean Dupont\nParis est belle."
    tokens = ((0, 4), (5, 11), (11, 12), (12, 17), (18, 21), (22, 27), (27, 28))
    doc_id, _ = project.add_document(Document(text=text, tokens=tokens, status="done"))
    project.add_spans([Span(doc_id=doc_id, start=11, end=17, label="LOC")])
    report = export_project(project, "spacy", tmp_path / "out", split=(1.0,))
    (doc,) = load(tmp_path / "out" / "train.spacy")
    assert [(e.text, e.label_, e.start_char) for e in doc.ents] == [("Paris", "LOC", 12)]
    assert report.counts["whitespace_trimmed"] == 1
    assert (
        f"document {doc_id}: span [11, 17) LOC '\\nParis' begins or ends with white space; "
        "written as [12, 17) 'Paris'"
    ) in report.warnings
